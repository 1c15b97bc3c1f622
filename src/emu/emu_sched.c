/*
 * Simple schedulers behind the dn_alg-style ops table (struct ust_emu_sched_alg):
 *   fifo  one FIFO of packets for the whole instance (queues only count and limit)
 *   prio  strict priority by queue priority (higher first), round robin within a level
 *   drr   deficit round robin, quantum * weight bytes per round
 * Each declares the size of its private data in the scheduler instance and in each queue.
 * WF2Q+ and QFQ are in emu_sched_wf2q.c. Called from emu.c: enqueue on arrival, dequeue
 * when the link is free. Packets carry their queue in pkt->user (see emu.h).
 */
#include <string.h>
#include <strings.h>

#include "emu/emu.h"

/* --- fifo --- */

static int fifo_new_sched(struct ust_emu_si *si)
{
	ust_pkt_queue_init((struct ust_pkt_queue *)(void *)si->priv);
	return 0;
}

static void fifo_enqueue(struct ust_emu_si *si, struct ust_emu_queue *q, struct ust_pkt *pkt)
{
	(void)q;
	ust_pkt_queue_push(si->pool, (struct ust_pkt_queue *)(void *)si->priv, pkt);
}

static struct ust_pkt *fifo_dequeue(struct ust_emu_si *si)
{
	return ust_pkt_queue_pop(si->pool, (struct ust_pkt_queue *)(void *)si->priv);
}

const struct ust_emu_sched_alg ust__emu_sched_fifo = {
	.name = "fifo",
	.si_size = sizeof(struct ust_pkt_queue),
	.new_sched = fifo_new_sched,
	.enqueue = fifo_enqueue,
	.dequeue = fifo_dequeue,
};

/* --- active lists shared by prio and drr --- */

struct rr_q {
	struct ust_emu_queue *next;
	int64_t deficit;
	bool active;
};

struct rr_list {
	struct ust_emu_queue *head, *tail;
};

static inline struct rr_q *rrq(struct ust_emu_queue *q)
{
	return (struct rr_q *)(void *)q->priv;
}

static void rr_append(struct rr_list *l, struct ust_emu_queue *q)
{
	rrq(q)->next = NULL;
	rrq(q)->active = true;
	if (l->tail)
		rrq(l->tail)->next = q;
	else
		l->head = q;
	l->tail = q;
}

static struct ust_emu_queue *rr_pop_head(struct rr_list *l)
{
	struct ust_emu_queue *q = l->head;
	if (q) {
		l->head = rrq(q)->next;
		if (!l->head)
			l->tail = NULL;
		rrq(q)->active = false;
	}
	return q;
}

/* --- prio --- */

struct prio_si {
	uint32_t bitmap;	/* bit p set: level p has active queues */
	struct rr_list level[UST_EMU_PRIORITY_LEVELS];
};

static void prio_enqueue(struct ust_emu_si *si, struct ust_emu_queue *q, struct ust_pkt *pkt)
{
	struct prio_si *ps = (struct prio_si *)(void *)si->priv;
	ust_pkt_queue_push(si->pool, &q->pkts, pkt);
	if (!rrq(q)->active) {
		uint32_t p = q->priority % UST_EMU_PRIORITY_LEVELS;
		rr_append(&ps->level[p], q);
		ps->bitmap |= 1u << p;
	}
}

static struct ust_pkt *prio_dequeue(struct ust_emu_si *si)
{
	struct prio_si *ps = (struct prio_si *)(void *)si->priv;
	if (!ps->bitmap)
		return NULL;
	uint32_t p = 31u - (uint32_t)__builtin_clz(ps->bitmap);
	struct ust_emu_queue *q = rr_pop_head(&ps->level[p]);
	struct ust_pkt *pkt = ust_pkt_queue_pop(si->pool, &q->pkts);
	if (q->pkts.count)
		rr_append(&ps->level[p], q);	/* round robin among equals */
	if (!ps->level[p].head)
		ps->bitmap &= ~(1u << p);
	return pkt;
}

const struct ust_emu_sched_alg ust__emu_sched_prio = {
	.name = "prio",
	.per_queue_weights = true,
	.si_size = sizeof(struct prio_si),
	.q_size = sizeof(struct rr_q),
	.enqueue = prio_enqueue,
	.dequeue = prio_dequeue,
};

/* --- drr --- */

static void drr_enqueue(struct ust_emu_si *si, struct ust_emu_queue *q, struct ust_pkt *pkt)
{
	struct rr_list *l = (struct rr_list *)(void *)si->priv;
	ust_pkt_queue_push(si->pool, &q->pkts, pkt);
	if (!rrq(q)->active) {
		rrq(q)->deficit = 0;
		rr_append(l, q);
	}
}

static struct ust_pkt *drr_dequeue(struct ust_emu_si *si)
{
	struct rr_list *l = (struct rr_list *)(void *)si->priv;
	int64_t quantum = si->pipe->sched.quantum ? si->pipe->sched.quantum
						    : UST_EMU_DRR_QUANTUM_DEFAULT;
	for (;;) {
		struct ust_emu_queue *q = l->head;
		if (!q)
			return NULL;
		struct ust_pkt *head = ust_pkt_queue_peek(si->pool, &q->pkts);
		if (rrq(q)->deficit >= (int64_t)head->len) {
			struct ust_pkt *pkt = ust_pkt_queue_pop(si->pool, &q->pkts);
			rrq(q)->deficit -= pkt->len;
			if (!q->pkts.count) {
				rr_pop_head(l);
				rrq(q)->deficit = 0;
			}
			return pkt;
		}
		/* not enough credit: top up and go to the back of the round */
		rrq(q)->deficit += quantum * (int64_t)q->weight;
		rr_pop_head(l);
		rr_append(l, q);
	}
}

const struct ust_emu_sched_alg ust__emu_sched_drr = {
	.name = "drr",
	.per_queue_weights = true,
	.si_size = sizeof(struct rr_list),
	.q_size = sizeof(struct rr_q),
	.enqueue = drr_enqueue,
	.dequeue = drr_dequeue,
};

const struct ust_emu_sched_alg *ust__emu_sched_find(const char *name)
{
	static const struct ust_emu_sched_alg *const algs[] = {
		&ust__emu_sched_fifo, &ust__emu_sched_prio, &ust__emu_sched_drr,
		&ust__emu_sched_wf2q, &ust__emu_sched_qfq,
	};
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcasecmp(name, algs[i]->name) == 0)
			return algs[i];
	if (strcasecmp(name, "wf2q") == 0 || strcasecmp(name, "wf2qp") == 0)
		return &ust__emu_sched_wf2q;
	return NULL;
}
