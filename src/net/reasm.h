/*
 * IPv4 reassembly engine. ipv4_input() -> ust__reasm_input() for every fragment; a complete
 * datagram comes back in a big-pool buffer (data at a rebuilt 20-byte IP header).
 *
 * Each datagram in progress owns exactly one big buffer (64 KiB + headroom) into which
 * fragments are copied at their offsets, and a bitmap of received 8-byte blocks. So memory
 * is bounded by max_entries big buffers whatever arrives; a new datagram beyond the limit
 * evicts the oldest one (counted). Fragments may come in any order; exact duplicates and
 * overlaps carrying the same bytes are accepted; an overlap that rewrites bytes already
 * received with different ones, or fragments that disagree about the end of the datagram,
 * drop the whole datagram (counted: an attack or corruption, never "last writer wins").
 * A datagram not complete within timeout_ns of its first fragment is dropped; if its first
 * fragment (offset 0) had arrived, timeout_cb gets its header + 8 bytes to quote in an ICMP
 * time exceeded (code 1).
 */
#ifndef UST_NET_REASM_H
#define UST_NET_REASM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/counters.h"
#include "core/pktbuf.h"
#include "core/timer.h"
#include "wire/ipv4.h"

#define UST_FRAG_COUNTERS(X)                                                            \
	X(rx_fragments)		/* fragments fed in */                                  \
	X(reassembled)		/* datagrams completed */                               \
	X(duplicates)		/* fragments whose bytes were all received already */  \
	X(overlap_identical)	/* partial overlaps with identical bytes (accepted) */ \
	X(overlap_conflict)	/* overlaps rewriting bytes: whole datagram dropped */ \
	X(inconsistent_end)	/* fragments disagree on the end: datagram dropped */  \
	X(bad_length)		/* non-last fragment not a multiple of 8, or empty */  \
	X(too_big)		/* would exceed 65535 bytes */                          \
	X(timeouts)		/* datagrams dropped after the reassembly timeout */   \
	X(evicted)		/* datagrams dropped to make room for a new one */     \
	X(nobuf)		/* no big buffer for a new datagram */

struct ust__frag_counters {
	UST_FRAG_COUNTERS(UST_COUNTER_FIELD)
};

#define UST_REASM_BLOCKS (65536u / 8u)

struct ust__reasm;

struct ust__reasm_entry {
	struct ust__reasm *owner;
	struct ust_pkt *buf;		/* NULL when the entry is free */
	uint32_t src, dst;
	uint16_t id;
	uint8_t proto;
	uint8_t tos, ttl;
	bool has_first, has_last;
	uint32_t total;			/* payload bytes, known once the last fragment came */
	uint32_t max_end;		/* highest payload end seen */
	uint32_t blocks;		/* 8-byte blocks received */
	uint64_t seq;			/* creation order, for eviction */
	uint16_t quote_len;
	uint8_t quote[UST_IPV4_HDR_LEN_MAX + 8];
	struct ust_timer timer;
	uint8_t bitmap[UST_REASM_BLOCKS / 8];
};

typedef void (*ust__reasm_timeout_fn)(void *arg, const uint8_t *quote, size_t quote_len, uint64_t now);

struct ust__reasm {
	struct ust_pool *pool;		/* big buffers (>= UST_NET_HEADROOM + 65535 bytes) */
	struct ust_timer_wheel *wheel;
	struct ust__reasm_entry *entries;
	uint32_t max_entries;
	uint32_t active;
	uint64_t timeout_ns;
	uint64_t seq;
	ust__reasm_timeout_fn timeout_cb;
	void *cb_arg;
	struct ust__frag_counters counters;
};

int ust__reasm_init(struct ust__reasm *r, struct ust_pool *big_pool, struct ust_timer_wheel *wheel,
		    uint32_t max_entries, uint64_t timeout_ns, ust__reasm_timeout_fn cb, void *arg);
/* Free every datagram in progress and the table. */
void ust__reasm_fini(struct ust__reasm *r);

/*
 * Feed one fragment (ip parsed by ust_ipv4_parse, ip->payload valid; hdr = its raw header,
 * ip->header_len bytes). The fragment's bytes are copied; the caller keeps its packet.
 * Returns a complete datagram (owned by the caller, from the big pool) or NULL.
 */
struct ust_pkt *ust__reasm_input(struct ust__reasm *r, const struct ust_ipv4_repr *ip,
				 const uint8_t *hdr, uint64_t now);

static inline uint32_t ust__reasm_active(const struct ust__reasm *r)
{
	return r->active;
}

#endif
