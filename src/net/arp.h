/*
 * ARP cache and resolution. ipv4 output -> ust__arp_output() (resolve next hop, then
 * eth output, or queue the frame while a request is outstanding); eth input -> ust__arp_input().
 *
 * Entries: INCOMPLETE (requests sent, frames queued: at most UST_ARP_QUEUE_BYTES_PER_ENTRY
 * bytes of buffers here, UST_ARP_QUEUE_BYTES_TOTAL overall, and never more than a
 * UST_ARP_QUEUE_POOL_DIVISOR-th of the frame pool's buffers; see net_config.h), REACHABLE (for UST_ARP_REACHABLE_NS after the last
 * confirmation), REFRESH (expired but recently used: still used while a new request is sent;
 * unanswered, it is deleted). UST_ARP_TRIES requests UST_ARP_RETRY_NS apart; then the queued
 * frames are dropped and counted, and the sockets that sent them (pkt->user token) get
 * EHOSTUNREACH on their next call. Owns the queued frames and one timer per entry.
 */
#ifndef UST_NET_ARP_H
#define UST_NET_ARP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/counters.h"
#include "core/pktbuf.h"
#include "core/timer.h"
#include "net/net_config.h"
#include "wire/eth.h"

struct ust_stack;

#define UST_ARP_COUNTERS(X)                                                               \
	X(rx_packets) X(rx_requests) X(rx_replies)                                        \
	X(rx_malformed)		/* unparsable or not Ethernet/IPv4 ARP */                 \
	X(rx_not_for_us)	/* requests for other addresses */                        \
	X(rx_unsolicited_ignored)	/* replies/announcements nobody asked for */      \
	X(rx_address_conflict)	/* someone else claims our address */                     \
	X(rx_bad_sender)	/* sender address broadcast/multicast/ours */             \
	X(tx_requests) X(tx_replies) X(tx_gratuitous)                                     \
	X(learned)		/* entries created or updated from packets */             \
	X(resolved)		/* INCOMPLETE -> REACHABLE */                             \
	X(refreshed)		/* REFRESH -> REACHABLE */                                \
	X(expired)		/* entries removed after their lifetime */                \
	X(resolve_failed)	/* no reply after UST_ARP_TRIES requests */               \
	X(queued)		/* frames held while resolving */                         \
	X(queue_full_dropped)	/* frames dropped: queue limits */                        \
	X(unresolved_dropped)	/* queued frames dropped when resolution failed */        \
	X(table_full)		/* no entry could be made for a new address */            \
	X(tx_nobuf)

struct ust__arp_counters {
	UST_ARP_COUNTERS(UST_COUNTER_FIELD)
};

enum ust__arp_state {
	UST_ARP_FREE = 0,
	UST_ARP_INCOMPLETE,
	UST_ARP_REACHABLE,
	UST_ARP_REFRESH,
};

struct ust__arp_entry {
	struct ust_stack *st;
	struct ust__arp_entry *hnext;	/* hash chain */
	uint32_t ip;			/* host order */
	uint8_t state;			/* enum ust__arp_state */
	uint8_t tries;			/* requests sent in this resolution */
	bool used;			/* used for output since the last confirmation */
	struct ust_eth_addr mac;
	uint64_t confirmed;		/* time of the last reply or learning */
	struct ust_pkt_queue queue;	/* frames (IP packet, no Ethernet header) waiting */
	struct ust_timer timer;
};

#define UST_ARP_HASH 128u

struct ust__arp {
	struct ust__arp_entry entries[UST_ARP_TABLE_SIZE];
	struct ust__arp_entry *hash[UST_ARP_HASH];
	uint32_t queued_total;		/* frames queued in all entries */
	uint64_t queued_bytes;		/* buffer bytes they pin (see ust__arp_frame_bytes) */
	struct ust__arp_counters counters;
};

/* What a queued frame counts against the byte limits: the buffer it pins, not its length
 * (its "true size"), so a flood of small frames (SYN-ACKs to spoofed addresses) cannot hold
 * more of the frame pool than a few big ones. Queued frames are in the small pool. A pool of
 * 64 KiB buffers (TAP with offload) is charged 2 KiB per frame: frames waiting here are at
 * most one MTU, and charging 64 KiB would leave room for three (an 8000-byte ping, six
 * fragments, could not wait for resolution); the pool share is still bounded by
 * UST_ARP_QUEUE_POOL_DIVISOR. */
#define UST_ARP_FRAME_CHARGE_MAX 2048u
static inline uint64_t ust__arp_frame_bytes(const struct ust_pool *pool)
{
	return pool->buf_size < UST_ARP_FRAME_CHARGE_MAX ? pool->buf_size : UST_ARP_FRAME_CHARGE_MAX;
}

/* Bytes charged to one entry's queue. */
static inline uint64_t ust__arp_entry_bytes(const struct ust_pool *pool, const struct ust__arp_entry *e)
{
	return (uint64_t)e->queue.count * ust__arp_frame_bytes(pool);
}

void ust__arp_init(struct ust_stack *st);
void ust__arp_fini(struct ust_stack *st);

/*
 * Send an IP packet (pkt data = IP header onwards, frame pool) to next hop `nexthop`: add
 * the Ethernet header and transmit, or queue while resolving. owner: socket token or 0.
 * Consumes pkt. 0, or -ENOBUFS when the frame had to be dropped (queue limits; counted).
 */
int ust__arp_output(struct ust_stack *st, struct ust_pkt *pkt, uint32_t nexthop, uint64_t owner);

/* An ARP packet (pkt data at the ARP header). Consumes pkt. */
void ust__arp_input(struct ust_stack *st, struct ust_pkt *pkt, uint64_t now);

/* Broadcast a gratuitous ARP request announcing our address. */
void ust__arp_announce(struct ust_stack *st);

/* Cache lookup for tests and tools: the entry for ip or NULL. */
const struct ust__arp_entry *ust__arp_lookup(const struct ust_stack *st, uint32_t ip);

#endif
