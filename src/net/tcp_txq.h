/*
 * TCP send queue over packet buffers: the bytes the application wrote that are not yet
 * acknowledged, [snd_una, end), held as a FIFO of pool buffers each carrying up to one
 * segment's payload (seg_payload bytes, normally the MSS) after the pool's headroom.
 *
 * Where it sits: the socket layer's write() calls ust_tcp_txq_write(); tcp output fetches
 * [seq, seq + len) for (re)transmission with ust_tcp_txq_get() - references plus offsets,
 * no copy - or ust_tcp_txq_copy() into a fresh packet; tcp input calls ust_tcp_txq_ack()
 * when SND.UNA advances, which frees fully acknowledged buffers.
 *
 * Ownership: the queue holds one reference per buffer. A reference handed out by get()
 * belongs to the caller (free it with ust_pkt_free()); the bytes it covers never change
 * while the queue lives, but the buffer's metadata (head, len, next) is the queue's: holders
 * must not push, pull or trim it nor link it into another queue - build headers in a
 * separate packet, or copy.
 * A buffer is appended to (write fills the last buffer up to seg_payload) only past the
 * bytes already handed out, so handed-out ranges stay valid.
 */
#ifndef UST_NET_TCP_TXQ_H
#define UST_NET_TCP_TXQ_H

#include <stddef.h>
#include <stdint.h>

#include "core/counters.h"
#include "core/pktbuf.h"

#define UST_TCP_TXQ_COUNTERS(X) \
	X(txq_write_full)	/* writes cut short: send buffer limit reached */ \
	X(txq_alloc_fail)	/* writes cut short: packet pool exhausted */

struct ust_tcp_txq_counters {
	UST_TCP_TXQ_COUNTERS(UST_COUNTER_FIELD)
};

#define UST_TCP_TXQ_COUNTER_COUNT (sizeof(struct ust_tcp_txq_counters) / sizeof(uint64_t))
extern const char *const ust_tcp_txq_counter_names[UST_TCP_TXQ_COUNTER_COUNT];

struct ust_tcp_txq {
	struct ust_pool *pool;
	struct ust_pkt_queue bufs;	/* FIFO, pkt->len = payload bytes in the buffer */
	uint32_t una;			/* first unacknowledged byte */
	uint32_t head_off;		/* bytes of the first buffer already acknowledged */
	uint32_t bytes;			/* end - una */
	uint32_t limit;			/* send buffer size (SO_SNDBUF) */
	uint32_t seg_payload;		/* payload bytes per buffer */
	struct ust_tcp_txq_counters counters;
};

/* A piece of queued data: len bytes at ust_pkt_data(pool, pkt) + off. */
struct ust_tcp_txq_ref {
	struct ust_pkt *pkt;	/* one reference owned by the caller */
	uint32_t off;
	uint32_t len;
};

/*
 * una: the sequence number of the first byte that will be written (ISS + 1). seg_payload
 * is clamped to what a buffer holds after headroom. -EINVAL without pool or with zero sizes.
 */
int ust_tcp_txq_init(struct ust_tcp_txq *q, struct ust_pool *pool, uint32_t una, uint32_t limit,
		     uint32_t seg_payload);
void ust_tcp_txq_destroy(struct ust_tcp_txq *q);

/* Append up to len bytes; returns how many were taken (0 when full or out of buffers). */
size_t ust_tcp_txq_write(struct ust_tcp_txq *q, const void *buf, size_t len);

/* SND.UNA moved to ack (ignored unless within (una, end]): free what is acknowledged. */
void ust_tcp_txq_ack(struct ust_tcp_txq *q, uint32_t ack);

/*
 * References covering [seq, seq + len) clipped to [una, end), in order, at most max pieces;
 * returns the number of pieces (0 if seq is outside). Each piece holds a reference.
 */
unsigned ust_tcp_txq_get(const struct ust_tcp_txq *q, uint32_t seq, uint32_t len,
			 struct ust_tcp_txq_ref *refs, unsigned max);

/* Copy [seq, seq + len) clipped to [una, end) into dst; returns bytes copied. */
size_t ust_tcp_txq_copy(const struct ust_tcp_txq *q, uint32_t seq, uint32_t len, void *dst);

static inline uint32_t ust_tcp_txq_una(const struct ust_tcp_txq *q)
{
	return q->una;
}

/* Sequence number after the last byte written (SND.NXT can be at most this). */
static inline uint32_t ust_tcp_txq_end(const struct ust_tcp_txq *q)
{
	return q->una + q->bytes;
}

static inline uint32_t ust_tcp_txq_space(const struct ust_tcp_txq *q)
{
	return q->bytes < q->limit ? q->limit - q->bytes : 0;
}

#endif
