/*
 * WF2Q+ (Bennett & Zhang, as in dummynet): per backlogged queue a virtual start S and
 * finish F = S + L / w, and a system virtual time V that advances by L / sum(w) of the
 * backlogged queues per packet sent. A queue is eligible when S <= V; among eligible queues
 * the smallest F goes first. Two binary heaps hold the queues: `ne` (not yet eligible, by
 * S) and `el` (eligible, by F): O(log n) per packet. (QFQ, the O(1) approximation of the
 * same service order, is in emu_sched_qfq.c.)
 *
 * Virtual times are 64-bit fixed point (FRAC_BITS fraction) compared through signed
 * differences, so they may wrap.
 */
#include <stdlib.h>
#include <string.h>

#include "emu/emu.h"

#define FRAC_BITS 24

struct wq {
	uint64_t S, F;		/* exact virtual start and finish */
	uint64_t key_el;	/* ordering key in the eligible heap (F) */
	uint64_t key_ne;	/* ordering key in the not-eligible heap (S) */
	uint64_t inv_w;		/* (1 << FRAC_BITS) / weight, pre-scaled */
	bool backlogged;
	bool ever;		/* has F been set once */
};

struct heap {
	struct ust_emu_queue **a;
	uint32_t n, cap;
};

struct wsi {
	uint64_t V;
	uint64_t wsum;
	uint32_t nq;		/* queues attached (never fewer: queues die with the si) */
	struct heap ne, el;
};

static inline bool vt_lt(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) < 0;
}

static inline bool vt_le(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) <= 0;
}

static inline struct wq *W(struct ust_emu_queue *q)
{
	return (struct wq *)(void *)q->priv;
}

static inline struct wsi *WS(struct ust_emu_si *si)
{
	return (struct wsi *)(void *)si->priv;
}

static uint64_t key_of(struct ust_emu_queue *q, bool el)
{
	return el ? W(q)->key_el : W(q)->key_ne;
}

static void heap_push(struct heap *h, struct ust_emu_queue *q, bool el)
{
	uint32_t i = h->n++;
	uint64_t k = key_of(q, el);
	while (i) {
		uint32_t p = (i - 1) / 2;
		if (!vt_lt(k, key_of(h->a[p], el)))
			break;
		h->a[i] = h->a[p];
		i = p;
	}
	h->a[i] = q;
}

static struct ust_emu_queue *heap_pop(struct heap *h, bool el)
{
	struct ust_emu_queue *top = h->a[0];
	struct ust_emu_queue *last = h->a[--h->n];
	uint64_t k = key_of(last, el);
	uint32_t i = 0;
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && vt_lt(key_of(h->a[c + 1], el), key_of(h->a[c], el)))
			c++;
		if (!vt_lt(key_of(h->a[c], el), k))
			break;
		h->a[i] = h->a[c];
		i = c;
	}
	if (h->n)
		h->a[i] = last;
	return top;
}

static int heap_reserve(struct heap *h, uint32_t need)
{
	if (need <= h->cap)
		return 0;
	uint32_t cap = h->cap ? h->cap * 2 : 16;
	while (cap < need)
		cap *= 2;
	void *a = realloc(h->a, sizeof(*h->a) * cap);
	if (!a)
		return -1;
	h->a = a;
	h->cap = cap;
	return 0;
}

static int wf2q_new_sched(struct ust_emu_si *si)
{
	memset(WS(si), 0, sizeof(struct wsi));
	return 0;
}

static void common_free_sched(struct ust_emu_si *si)
{
	free(WS(si)->ne.a);
	free(WS(si)->el.a);
}

static int common_new_queue(struct ust_emu_queue *q)
{
	struct wsi *s = WS(q->si);
	/* room for every queue of the instance in either heap: no allocation per packet */
	if (heap_reserve(&s->ne, s->nq + 1) || heap_reserve(&s->el, s->nq + 1))
		return -1;
	s->nq++;
	struct wq *w = W(q);
	memset(w, 0, sizeof(*w));
	w->inv_w = (1ull << FRAC_BITS) / q->weight;
	return 0;
}

/* An idle queue goes away (reclaimed): it is in no heap, only the count changes. */
static void wf2q_free_queue(struct ust_emu_queue *q)
{
	WS(q->si)->nq--;
}

/* File a backlogged queue in the heap its start time says. */
static void file_queue(struct wsi *s, struct ust_emu_queue *q)
{
	W(q)->key_ne = W(q)->S;
	W(q)->key_el = W(q)->F;
	if (vt_le(W(q)->key_ne, s->V))
		heap_push(&s->el, q, true);
	else
		heap_push(&s->ne, q, false);
}

static void common_enqueue(struct ust_emu_si *si, struct ust_emu_queue *q, struct ust_pkt *pkt)
{
	struct wsi *s = WS(si);
	struct wq *w = W(q);
	ust_pkt_queue_push(si->pool, &q->pkts, pkt);
	if (w->backlogged)
		return;
	w->backlogged = true;
	if (s->wsum == 0 && s->el.n == 0 && s->ne.n == 0 && !w->ever)
		w->F = s->V;
	s->wsum += q->weight;
	w->S = (w->ever && vt_lt(s->V, w->F)) ? w->F : s->V;
	w->ever = true;
	w->F = w->S + (uint64_t)pkt->len * w->inv_w;
	file_queue(s, q);
}

static struct ust_pkt *common_dequeue(struct ust_emu_si *si)
{
	struct wsi *s = WS(si);
	if (!s->el.n && !s->ne.n)
		return NULL;
	/* nothing eligible: jump V to the earliest start (the system was under-loaded) */
	if (!s->el.n && vt_lt(s->V, W(s->ne.a[0])->key_ne))
		s->V = W(s->ne.a[0])->key_ne;
	while (s->ne.n && vt_le(W(s->ne.a[0])->key_ne, s->V))
		heap_push(&s->el, heap_pop(&s->ne, false), true);

	struct ust_emu_queue *q = heap_pop(&s->el, true);
	struct wq *w = W(q);
	struct ust_pkt *pkt = ust_pkt_queue_pop(si->pool, &q->pkts);
	s->V += ((uint64_t)pkt->len << FRAC_BITS) / (s->wsum ? s->wsum : 1);
	if (q->pkts.count) {
		struct ust_pkt *next = ust_pkt_queue_peek(si->pool, &q->pkts);
		w->S = w->F;
		w->F = w->S + (uint64_t)next->len * w->inv_w;
		file_queue(s, q);
	} else {
		w->backlogged = false;
		s->wsum -= q->weight;
	}
	return pkt;
}

const struct ust_emu_sched_alg ust__emu_sched_wf2q = {
	.name = "wf2q+",
	.per_queue_weights = true,
	.si_size = sizeof(struct wsi),
	.q_size = sizeof(struct wq),
	.new_sched = wf2q_new_sched,
	.free_sched = common_free_sched,
	.new_queue = common_new_queue,
	.free_queue = wf2q_free_queue,
	.enqueue = common_enqueue,
	.dequeue = common_dequeue,
};
