/*
 * A FIFO of packets that may come from either of a stack's two pools (2 KiB frames and
 * 64 KiB big buffers): socket receive queues hold both small datagrams and reassembled ones.
 * Linked through pkt->next like ust_pkt_queue, with the pool encoded in the link's top bit.
 */
#ifndef UST_NET_PQ_H
#define UST_NET_PQ_H

#include <stdbool.h>
#include <stdint.h>

#include "core/pktbuf.h"

struct ust__pq {
	uint32_t head;		/* link tokens (index | UST_PQ_BIG), UST_PKT_NONE when empty */
	uint32_t tail;
	uint32_t count;
	uint64_t bytes;		/* sum of pkt->len */
	uint64_t mem;		/* sum of the buffer sizes of the queued packets (what they cost) */
};

#define UST_PQ_BIG 0x80000000u

struct ust__pools {
	struct ust_pool *small;	/* frames */
	struct ust_pool *big;	/* datagrams beyond one frame */
};

static inline struct ust_pool *ust__pkt_pool(const struct ust__pools *p, const struct ust_pkt *pkt)
{
	const struct ust_pool *s = p->small;
	if (pkt >= s->meta && pkt < s->meta + s->count)
		return p->small;
	return p->big;
}

static inline uint8_t *ust__pkt_data(const struct ust__pools *p, const struct ust_pkt *pkt)
{
	return ust_pkt_data(ust__pkt_pool(p, pkt), pkt);
}

static inline uint8_t *ust__pkt_buf(const struct ust__pools *p, const struct ust_pkt *pkt)
{
	return ust_pkt_buf(ust__pkt_pool(p, pkt), pkt);
}

static inline void ust__pkt_free(const struct ust__pools *p, struct ust_pkt *pkt)
{
	if (pkt)
		ust_pkt_free(ust__pkt_pool(p, pkt), pkt);
}

/*
 * Would one more datagram of len bytes push q over limit? Each queued datagram counts its
 * payload plus `overhead`; an empty queue takes any datagram (so a 64 KiB one always fits).
 */
static inline bool ust__pq_over(const struct ust__pq *q, uint32_t len, uint32_t overhead, uint32_t limit)
{
	if (q->count == 0)
		return false;
	return q->bytes + (uint64_t)(q->count + 1) * overhead + len > limit;
}

static inline void ust__pq_init(struct ust__pq *q)
{
	q->head = q->tail = UST_PKT_NONE;
	q->count = 0;
	q->bytes = 0;
	q->mem = 0;
}

static inline uint32_t ust__pq_token(const struct ust__pools *p, const struct ust_pkt *pkt)
{
	return pkt->index | (ust__pkt_pool(p, pkt) == p->big ? UST_PQ_BIG : 0);
}

static inline struct ust_pkt *ust__pq_deref(const struct ust__pools *p, uint32_t token)
{
	if (token == UST_PKT_NONE)
		return NULL;
	if (token & UST_PQ_BIG)
		return ust_pool_pkt(p->big, token & ~UST_PQ_BIG);
	return ust_pool_pkt(p->small, token);
}

static inline void ust__pq_push(const struct ust__pools *p, struct ust__pq *q, struct ust_pkt *pkt)
{
	uint32_t t = ust__pq_token(p, pkt);
	pkt->next = UST_PKT_NONE;
	if (q->tail == UST_PKT_NONE)
		q->head = t;
	else
		ust__pq_deref(p, q->tail)->next = t;
	q->tail = t;
	q->count++;
	q->bytes += pkt->len;
	q->mem += ust__pkt_pool(p, pkt)->buf_size;
}

static inline struct ust_pkt *ust__pq_peek(const struct ust__pools *p, const struct ust__pq *q)
{
	return ust__pq_deref(p, q->head);
}

static inline struct ust_pkt *ust__pq_pop(const struct ust__pools *p, struct ust__pq *q)
{
	struct ust_pkt *pkt = ust__pq_deref(p, q->head);
	if (!pkt)
		return NULL;
	q->head = pkt->next;
	if (q->head == UST_PKT_NONE)
		q->tail = UST_PKT_NONE;
	q->count--;
	q->bytes -= pkt->len;
	q->mem -= ust__pkt_pool(p, pkt)->buf_size;
	pkt->next = UST_PKT_NONE;
	return pkt;
}

static inline void ust__pq_purge(const struct ust__pools *p, struct ust__pq *q)
{
	struct ust_pkt *pkt;
	while ((pkt = ust__pq_pop(p, q)))
		ust__pkt_free(p, pkt);
}

#endif
