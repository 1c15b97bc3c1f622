/*
 * QFQ: Quick Fair Queueing (Checconi, Rizzo, Valente), O(1) per packet, behind the emulator's
 * scheduler ops table. Called from emu.c: enqueue on arrival, dequeue when the link is free.
 *
 * Each queue (class) has exact virtual start/finish times S, F = S + L / w. Classes are put
 * in groups by slot size 2^shift >= Lmax / w; a group keeps its classes in a ring of
 * QFQ_SLOTS bucket lists indexed by the class's start rounded down to the slot, and has its
 * own S (rounded start of its front class) and F = S + 2 * slot. Groups move between four
 * sets kept as bitmaps: eligible or not (S <= V), ready or blocked (no eligible group with a
 * lower index has a smaller F). The scheduler serves the front class of the lowest-index
 * eligible-ready group, which is the eligible group with the smallest finish time, found
 * with one find-first-set. V advances by L / sum(w) per packet and jumps forward when
 * nothing is eligible.
 *
 * Times are fixed point with QFQ_FRAC_BITS of fraction and compared through signed
 * differences (they may wrap). Lmax is the pool's buffer size (at least 2 KiB), so no
 * packet the emulator can hold breaks the slot bound.
 */
#include <string.h>

#include "emu/emu.h"

#define QFQ_FRAC_BITS 30
#define QFQ_ONE_FP (1ull << QFQ_FRAC_BITS)
#define QFQ_MTU_SHIFT 11		/* smallest Lmax: 2 KiB */
#define QFQ_MAX_INDEX 26		/* groups 0..26: Lmax up to 256 KiB at weight 1 */
#define QFQ_MIN_SLOT_SHIFT (QFQ_FRAC_BITS + QFQ_MTU_SHIFT - 19)
#define QFQ_SLOTS 32

enum qfq_state { ER, IR, EB, IB, QFQ_SETS };

struct qfq_class {
	struct ust_emu_queue *next;	/* in a group's bucket list */
	uint64_t S, F;
	uint64_t inv_w;
	uint32_t index;			/* group */
};

struct qfq_group {
	uint64_t S, F;
	uint32_t slot_shift;
	uint32_t index;
	uint32_t front;			/* bucket holding the smallest rounded start */
	uint32_t full_slots;		/* bit i: bucket front + i is not empty */
	struct ust_emu_queue *slots[QFQ_SLOTS];
};

struct qfq_sched {
	uint64_t V;
	uint64_t wsum;			/* weights of every class of the instance */
	uint64_t iwsum;			/* ONE_FP / wsum */
	uint64_t bitmaps[QFQ_SETS];
	struct qfq_group groups[QFQ_MAX_INDEX + 1];
};

static inline struct qfq_class *C(struct ust_emu_queue *q)
{
	return (struct qfq_class *)(void *)q->priv;
}

static inline struct qfq_sched *QS(struct ust_emu_si *si)
{
	return (struct qfq_sched *)(void *)si->priv;
}

static inline bool qfq_gt(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) > 0;
}

static inline uint64_t round_down(uint64_t ts, uint32_t shift)
{
	return ts & ~((1ull << shift) - 1);
}

/* Bits of `bitmap` above `from`. */
static inline uint64_t mask_from(uint64_t bitmap, uint32_t from)
{
	return from >= 63 ? 0 : bitmap & ~((1ull << from) - 1);
}

static inline struct qfq_group *first_group(struct qfq_sched *s, uint64_t bitmap)
{
	return &s->groups[__builtin_ctzll(bitmap)];
}

static uint32_t lmax_of(const struct ust_emu_si *si)
{
	return si->pool->buf_size > (1u << QFQ_MTU_SHIFT) ? si->pool->buf_size : 1u << QFQ_MTU_SHIFT;
}

/* Group index: the smallest i with 2^(MIN_SLOT_SHIFT + i) >= Lmax / w. */
static uint32_t calc_index(uint64_t inv_w, uint32_t lmax)
{
	uint64_t slot_size = (uint64_t)lmax * inv_w;
	uint64_t size_map = slot_size >> QFQ_MIN_SLOT_SHIFT;
	if (!size_map)
		return 0;
	uint32_t index = 64u - (uint32_t)__builtin_clzll(size_map);	/* fls */
	if (slot_size == 1ull << (index + QFQ_MIN_SLOT_SHIFT - 1))
		index--;
	return index > QFQ_MAX_INDEX ? QFQ_MAX_INDEX : index;
}

static int qfq_new_sched(struct ust_emu_si *si)
{
	struct qfq_sched *s = QS(si);
	memset(s, 0, sizeof(*s));
	for (uint32_t i = 0; i <= QFQ_MAX_INDEX; i++) {
		s->groups[i].index = i;
		s->groups[i].slot_shift = QFQ_MIN_SLOT_SHIFT + i;
	}
	return 0;
}

static int qfq_new_queue(struct ust_emu_queue *q)
{
	struct qfq_sched *s = QS(q->si);
	struct qfq_class *c = C(q);
	memset(c, 0, sizeof(*c));
	c->inv_w = QFQ_ONE_FP / q->weight;
	c->index = calc_index(c->inv_w, lmax_of(q->si));
	s->wsum += q->weight;
	s->iwsum = QFQ_ONE_FP / s->wsum;
	return 0;
}

static void qfq_free_queue(struct ust_emu_queue *q)
{
	struct qfq_sched *s = QS(q->si);
	s->wsum -= q->weight;
	s->iwsum = s->wsum ? QFQ_ONE_FP / s->wsum : 0;
}

/* Which set a group belongs in now: eligible or not, ready or blocked. */
static enum qfq_state calc_state(struct qfq_sched *s, const struct qfq_group *g)
{
	unsigned state = qfq_gt(g->S, s->V) ? IR : ER;
	uint64_t mask = mask_from(s->bitmaps[ER], g->index);
	if (mask) {
		const struct qfq_group *next = first_group(s, mask);
		if (qfq_gt(g->F, next->F))
			state |= EB;
	}
	return (enum qfq_state)state;
}

static void move_groups(struct qfq_sched *s, uint64_t mask, enum qfq_state src, enum qfq_state dst)
{
	s->bitmaps[dst] |= s->bitmaps[src] & mask;
	s->bitmaps[src] &= ~mask;
}

static void unblock_groups(struct qfq_sched *s, uint32_t index, uint64_t old_finish)
{
	uint64_t mask = mask_from(s->bitmaps[ER], index + 1);
	if (mask) {
		const struct qfq_group *next = first_group(s, mask);
		if (!qfq_gt(next->F, old_finish))
			return;
	}
	mask = (1ull << index) - 1;
	move_groups(s, mask, EB, ER);
	move_groups(s, mask, IB, IR);
}

/* V moved from old_V: groups whose slot boundary it crossed become eligible. */
static void make_eligible(struct qfq_sched *s, uint64_t old_V)
{
	uint64_t vslot = s->V >> QFQ_MIN_SLOT_SHIFT;
	uint64_t old_vslot = old_V >> QFQ_MIN_SLOT_SHIFT;
	if (vslot != old_vslot) {
		uint32_t top = 63u - (uint32_t)__builtin_clzll(vslot ^ old_vslot);
		uint64_t mask = top >= 62 ? ~0ull : (2ull << top) - 1;
		move_groups(s, mask, IR, ER);
		move_groups(s, mask, IB, EB);
	}
}

static void slot_insert(struct qfq_group *g, struct ust_emu_queue *q, uint64_t roundedS)
{
	uint64_t slot = (roundedS - g->S) >> g->slot_shift;
	if (slot >= QFQ_SLOTS)
		slot = QFQ_SLOTS - 1;	/* cannot happen with len <= Lmax; stay in bounds */
	uint32_t i = (g->front + (uint32_t)slot) % QFQ_SLOTS;
	C(q)->next = g->slots[i];
	g->slots[i] = q;
	g->full_slots |= 1u << slot;
}

static void front_slot_remove(struct qfq_group *g)
{
	struct ust_emu_queue **h = &g->slots[g->front];
	*h = C(*h)->next;
	if (!*h)
		g->full_slots &= ~1u;
}

/* First non-empty bucket, made the front; NULL if the group is empty. */
static struct ust_emu_queue *slot_scan(struct qfq_group *g)
{
	if (!g->full_slots)
		return NULL;
	uint32_t i = (uint32_t)__builtin_ctz(g->full_slots);
	if (i) {
		g->front = (g->front + i) % QFQ_SLOTS;
		g->full_slots >>= i;
	}
	return g->slots[g->front];
}

/* The group's start moves back to roundedS: shift the ring so that bucket 0 stays front. */
static void slot_rotate(struct qfq_group *g, uint64_t roundedS)
{
	uint32_t i = (uint32_t)((g->S - roundedS) >> g->slot_shift);
	g->full_slots = i >= 32 ? 0 : g->full_slots << i;
	g->front = (g->front - i) % QFQ_SLOTS;
}

static void update_eligible(struct qfq_sched *s, uint64_t old_V)
{
	uint64_t ineligible = s->bitmaps[IR] | s->bitmaps[IB];
	if (ineligible) {
		if (!s->bitmaps[ER]) {
			struct qfq_group *g = first_group(s, ineligible);
			if (qfq_gt(g->S, s->V))
				s->V = g->S;
		}
		make_eligible(s, old_V);
	}
}

/* A class was served: advance it; returns true when the group's front changed. */
static bool update_class(struct ust_emu_si *si, struct qfq_group *g, struct ust_emu_queue *q)
{
	struct qfq_class *c = C(q);
	c->S = c->F;
	if (!q->pkts.count) {
		front_slot_remove(g);
		return true;
	}
	struct ust_pkt *next = ust_pkt_queue_peek(si->pool, &q->pkts);
	c->F = c->S + (uint64_t)next->len * c->inv_w;
	uint64_t roundedS = round_down(c->S, g->slot_shift);
	if (roundedS == g->S)
		return false;
	front_slot_remove(g);
	slot_insert(g, q, roundedS);
	return true;
}

static struct ust_pkt *qfq_dequeue(struct ust_emu_si *si)
{
	struct qfq_sched *s = QS(si);
	if (!s->bitmaps[ER])
		return NULL;
	struct qfq_group *g = first_group(s, s->bitmaps[ER]);
	struct ust_emu_queue *q = g->slots[g->front];
	struct ust_pkt *pkt = ust_pkt_queue_pop(si->pool, &q->pkts);
	uint64_t old_V = s->V;
	s->V += (uint64_t)pkt->len * s->iwsum;
	if (update_class(si, g, q)) {
		uint64_t old_F = g->F;
		struct ust_emu_queue *front = slot_scan(g);
		if (!front) {
			s->bitmaps[ER] &= ~(1ull << g->index);
		} else {
			uint64_t roundedS = round_down(C(front)->S, g->slot_shift);
			if (g->S == roundedS)
				goto skip_unblock;
			g->S = roundedS;
			g->F = roundedS + (2ull << g->slot_shift);
			s->bitmaps[ER] &= ~(1ull << g->index);
			s->bitmaps[calc_state(s, g)] |= 1ull << g->index;
		}
		unblock_groups(s, g->index, old_F);
	}
skip_unblock:
	update_eligible(s, old_V);
	return pkt;
}

/* Start time of a class that becomes backlogged. */
static void update_start(struct qfq_sched *s, struct ust_emu_queue *q)
{
	struct qfq_class *c = C(q);
	uint32_t shift = s->groups[c->index].slot_shift;
	uint64_t roundedF = round_down(c->F, shift);
	uint64_t limit = round_down(s->V, shift) + (1ull << shift);
	if (!qfq_gt(c->F, s->V) || qfq_gt(roundedF, limit)) {
		/* timestamp was stale: pick a start not beyond the next eligible finish */
		uint64_t mask = mask_from(s->bitmaps[ER], c->index);
		if (mask) {
			struct qfq_group *next = first_group(s, mask);
			if (qfq_gt(roundedF, next->F)) {
				c->S = next->F;
				return;
			}
		}
		c->S = s->V;
	} else {
		c->S = c->F;	/* backlogged again within its last slot: continue */
	}
}

static void qfq_enqueue(struct ust_emu_si *si, struct ust_emu_queue *q, struct ust_pkt *pkt)
{
	struct qfq_sched *s = QS(si);
	struct qfq_class *c = C(q);
	ust_pkt_queue_push(si->pool, &q->pkts, pkt);
	if (q->pkts.count > 1)
		return;	/* already backlogged: its timestamps stand */
	struct qfq_group *g = &s->groups[c->index];
	update_start(s, q);
	c->F = c->S + (uint64_t)pkt->len * c->inv_w;
	uint64_t roundedS = round_down(c->S, g->slot_shift);
	if (g->full_slots) {
		if (!qfq_gt(g->S, c->S))
			goto skip_update;
		/* the class starts before the group: the group moves back */
		slot_rotate(g, roundedS);
		s->bitmaps[IR] &= ~(1ull << g->index);
		s->bitmaps[IB] &= ~(1ull << g->index);
	} else if (!s->bitmaps[ER] && qfq_gt(roundedS, s->V)) {
		s->V = roundedS;	/* idle system: jump to the new start */
	}
	g->S = roundedS;
	g->F = roundedS + (2ull << g->slot_shift);
	s->bitmaps[calc_state(s, g)] |= 1ull << g->index;
skip_update:
	slot_insert(g, q, roundedS);
}

const struct ust_emu_sched_alg ust__emu_sched_qfq = {
	.name = "qfq",
	.per_queue_weights = true,
	.si_size = sizeof(struct qfq_sched),
	.q_size = sizeof(struct qfq_class),
	.new_sched = qfq_new_sched,
	.new_queue = qfq_new_queue,
	.free_queue = qfq_free_queue,
	.enqueue = qfq_enqueue,
	.dequeue = qfq_dequeue,
};
