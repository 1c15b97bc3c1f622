/*
 * TCP receive reassembly queue over packet buffers (no linear copy on arrival).
 *
 * Where it sits: tcp input, after the segment passed the acceptability and PAWS checks,
 * hands the payload to ust_tcp_rxq_insert() as (packet, offset of the payload in the
 * packet's data, seq, len); the socket layer reads with ust_tcp_rxq_read() (copy) or
 * ust_tcp_rxq_peek()/ust_tcp_rxq_consume() (zero-copy fragments); tcp output asks
 * ust_tcp_rxq_window() for the window to advertise and ust_tcp_rxq_sack_blocks() for the
 * SACK option. FIN is not data: the state machine tracks it (its RCV.NXT = rxq.rcv_nxt + 1
 * once the FIN is in order).
 *
 * What it owns: one packet reference per held piece (a packet whose payload was split
 * around already-held data holds one reference per piece), and a descriptor array
 * allocated at init (max_segs entries, no allocation per packet). Two lists of
 * descriptors: in-order data [read_seq, rcv_nxt) waiting for the reader, and out-of-order
 * segments above rcv_nxt sorted by sequence number. Out-of-order data is kept across
 * losses until the hole fills (or until pruned, below).
 *
 * Rules:
 *   - Bytes already held are never rewritten: a new segment is trimmed around them; those
 *     bytes count as duplicates (rxq_dup_bytes) and the first duplicate span is reported
 *     once as a D-SACK block (RFC 2883) in the next ust_tcp_rxq_sack_blocks().
 *   - Only bytes in [read_seq, read_seq + limit) are held, so at most `limit` bytes (the
 *     receive buffer) are ever held; the rest is dropped (rxq_beyond_window_bytes).
 *   - At most max_ooo out-of-order segments (adjacent ones are NOT copied together): a new
 *     one beyond that evicts the highest held segment if it lies below it, else it is dropped
 *     (rxq_ooo_pruned / rxq_ooo_limit_drops). When all max_segs descriptors are in use,
 *     the highest out-of-order segment is evicted for lower data, else the piece is dropped
 *     (rxq_desc_drops). Evicting SACKed data is reneging, which RFC 2018 permits; the
 *     sender's retransmission timer recovers it.
 */
#ifndef UST_NET_TCP_RXQ_H
#define UST_NET_TCP_RXQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/counters.h"
#include "core/pktbuf.h"
#include "wire/tcp.h"

#define UST_TCP_RXQ_LIMIT_DEFAULT (256u * 1024u)
#define UST_TCP_RXQ_SEGS_DEFAULT 512u
#define UST_TCP_RXQ_OOO_DEFAULT 64u
#define UST_TCP_RXQ_OOO_MAX 256u	/* upper bound for max_ooo */

#define UST_TCP_RXQ_COUNTERS(X) \
	X(rxq_segs)			/* segments inserted */ \
	X(rxq_ooo_segs)			/* ... of which arrived out of order */ \
	X(rxq_dup_bytes)		/* bytes received that were already held or read */ \
	X(rxq_beyond_window_bytes)	/* bytes dropped beyond read_seq + limit */ \
	X(rxq_ooo_limit_drops)		/* pieces dropped: max_ooo reached */ \
	X(rxq_ooo_pruned)		/* held out-of-order segments evicted for lower data */ \
	X(rxq_desc_drops)		/* pieces dropped: no descriptor left */ \
	X(rxq_bad_range)		/* inserts refused: off + len beyond the packet's data */

struct ust_tcp_rxq_counters {
	UST_TCP_RXQ_COUNTERS(UST_COUNTER_FIELD)
};

#define UST_TCP_RXQ_COUNTER_COUNT (sizeof(struct ust_tcp_rxq_counters) / sizeof(uint64_t))
extern const char *const ust_tcp_rxq_counter_names[UST_TCP_RXQ_COUNTER_COUNT];

struct ust_tcp_rxq_config {
	uint32_t limit;		/* bytes; 0 = UST_TCP_RXQ_LIMIT_DEFAULT */
	uint32_t max_segs;	/* descriptors; 0 = UST_TCP_RXQ_SEGS_DEFAULT */
	uint32_t max_ooo;	/* 0 = UST_TCP_RXQ_OOO_DEFAULT; capped at min(max_segs, OOO_MAX) */
};

struct ust_tcp_rxq_seg {
	struct ust_pkt *pkt;	/* one reference held */
	uint32_t off;		/* first held byte, from the packet's data start */
	uint32_t len;
	uint32_t seq;
	uint32_t next;		/* descriptor index or UST_PKT_NONE */
	uint64_t stamp;		/* arrival order, refreshed when a duplicate touches it */
};

struct ust_tcp_rxq {
	struct ust_pool *pool;
	struct ust_tcp_rxq_seg *segs;
	uint32_t free_head;
	uint32_t in_head, in_tail;	/* in-order FIFO */
	uint32_t ooo_head;		/* out-of-order, ascending seq */
	uint32_t rcv_nxt;		/* next in-order byte expected */
	uint32_t read_seq;		/* first byte not yet read */
	uint32_t ready;			/* rcv_nxt - read_seq */
	uint32_t ooo_bytes;
	uint32_t ooo_count;
	uint32_t used;			/* descriptors in use */
	uint32_t limit, max_segs, max_ooo;
	uint64_t stamp;
	bool dsack_pending;
	struct ust_tcp_sack_block dsack;
	struct ust_tcp_rxq_counters counters;
};

/* What one insert did. */
struct ust_tcp_rxq_result {
	uint32_t advanced;	/* rcv_nxt moved by this many bytes */
	uint32_t new_bytes;	/* bytes newly held (in order or not) */
	uint32_t dup_bytes;	/* bytes already held or read */
	uint32_t dropped_bytes;	/* bytes refused: window or limits */
	bool ooo;		/* some data went to the out-of-order list: ACK now (RFC 5681 4.2) */
	bool filled_gap;	/* out-of-order data became in order: ACK now */
};

/* A zero-copy view of in-order bytes. */
struct ust_tcp_rxq_frag {
	const uint8_t *data;
	uint32_t len;
};

/* -EINVAL (no pool), -ENOMEM. rcv_nxt: the first data byte expected (IRS + 1). */
int ust_tcp_rxq_init(struct ust_tcp_rxq *q, struct ust_pool *pool, uint32_t rcv_nxt,
		     const struct ust_tcp_rxq_config *cfg);
/* Purge and free the descriptor array. */
void ust_tcp_rxq_destroy(struct ust_tcp_rxq *q);
/* Release every held packet (connection reset/abort); rcv_nxt and read_seq stay. */
void ust_tcp_rxq_purge(struct ust_tcp_rxq *q);

/*
 * Insert len payload bytes found at data offset off of pkt, sequence number seq. Consumes the
 * caller's reference to pkt in every case. res may be NULL.
 */
void ust_tcp_rxq_insert(struct ust_tcp_rxq *q, struct ust_pkt *pkt, uint32_t off, uint32_t seq,
			uint32_t len, struct ust_tcp_rxq_result *res);

/* Copy up to len in-order bytes to buf; returns the count (0 when nothing is ready). */
size_t ust_tcp_rxq_read(struct ust_tcp_rxq *q, void *buf, size_t len);

/* Up to n fragments of in-order data, oldest first; valid until consume/read/purge. */
unsigned ust_tcp_rxq_peek(const struct ust_tcp_rxq *q, struct ust_tcp_rxq_frag *frags, unsigned n);

/* Release the first bytes in-order bytes (after peek); bytes > readable is clamped. */
void ust_tcp_rxq_consume(struct ust_tcp_rxq *q, size_t bytes);

static inline uint32_t ust_tcp_rxq_readable(const struct ust_tcp_rxq *q)
{
	return q->ready;
}

/* Receive window to advertise (before scaling): read_seq + limit - rcv_nxt. */
static inline uint32_t ust_tcp_rxq_window(const struct ust_tcp_rxq *q)
{
	return q->limit - q->ready;
}

/* Bytes held (in order + out of order). */
static inline uint32_t ust_tcp_rxq_held(const struct ust_tcp_rxq *q)
{
	return q->ready + q->ooo_bytes;
}

/*
 * SACK blocks for the next ACK (at most max, see ust_tcp_sack_max_blocks): a pending
 * D-SACK first (then cleared), then out-of-order ranges, most recently received first.
 */
unsigned ust_tcp_rxq_sack_blocks(struct ust_tcp_rxq *q, struct ust_tcp_sack_block *out,
				 unsigned max);

#endif
