/*
 * Per-flow instances: scheduler instances ("si": a scheduler + a link, one per masked flow of
 * a pipe) and queues (one per masked flow of a flowset inside each si), kept in hash tables,
 * created on demand, bounded by `flows`, reclaimed when idle at the bound, else replaced by
 * a shared overflow instance. Also the lookups that tie rules, flowsets and pipes together,
 * and teardown (which frees every packet an instance holds).
 *
 *   ust_emu_input -> ust__emu_si_lookup -> ust__emu_q_lookup -> (emu.c) enqueue
 *
 * Owns the instance and queue allocations; nothing here runs per packet except the lookups.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "emu/emu.h"

/* --- lookups --- */

struct ust_emu_pipe *ust__emu_pipe_find(const struct ust_emu *emu, uint32_t id)
{
	for (struct ust_emu_pipe *p = emu->pipes; p; p = p->next)
		if (p->id == id)
			return p;
	return NULL;
}

struct ust_emu_flowset *ust__emu_flowset_find(const struct ust_emu *emu, uint32_t id)
{
	for (struct ust_emu_flowset *fs = emu->flowsets; fs; fs = fs->next)
		if (fs->id == id)
			return fs;
	return NULL;
}

/* Point every rule at its flowset and every flowset at its pipe (after any change). */
void ust__emu_resolve(struct ust_emu *emu)
{
	for (struct ust_emu_flowset *fs = emu->flowsets; fs; fs = fs->next)
		fs->pipe = ust__emu_pipe_find(emu, fs->cfg.sched_id);
	for (uint32_t i = 0; i < emu->nrules; i++) {
		struct ust_emu_rule *r = &emu->rules[i];
		r->fs = NULL;
		if (r->action == UST_EMU_ACT_PIPE) {
			struct ust_emu_pipe *p = ust__emu_pipe_find(emu, r->target);
			r->fs = p ? p->fs_default : NULL;
		} else if (r->action == UST_EMU_ACT_QUEUE) {
			r->fs = ust__emu_flowset_find(emu, r->target);
		}
	}
}

/* --- flow ids --- */

uint32_t ust__emu_flow_hash(const struct ust_emu_flow_id *id)
{
	uint64_t h = (uint64_t)id->src * 0x9e3779b97f4a7c15ull;
	h ^= ((uint64_t)id->dst << 32 | (uint64_t)id->sport << 16 | id->dport) *
	     0xc2b2ae3d27d4eb4full;
	h ^= ((uint64_t)id->proto << 16 | (uint64_t)id->is_ip << 8 | id->pool_slot) *
	     0x165667b19e3779f9ull;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (uint32_t)h;
}

bool ust__emu_flow_eq(const struct ust_emu_flow_id *a, const struct ust_emu_flow_id *b)
{
	return a->src == b->src && a->dst == b->dst && a->sport == b->sport &&
	       a->dport == b->dport && a->proto == b->proto && a->is_ip == b->is_ip &&
	       a->pool_slot == b->pool_slot;
}

void ust__emu_flow_apply_mask(const struct ust_emu_flow_id *id, const struct ust_emu_mask *m,
			      struct ust_emu_flow_id *out)
{
	memset(out, 0, sizeof(*out));
	out->pool_slot = id->pool_slot;
	if (!m->set)
		return;
	out->src = id->src & m->src;
	out->dst = id->dst & m->dst;
	out->sport = id->sport & m->sport;
	out->dport = id->dport & m->dport;
	out->proto = id->proto & m->proto;
}

/* Reserved id of the shared instance that takes flows beyond the bound. */
#define OVERFLOW_MARK 0xffu

/* --- scheduler instances and queues --- */

static struct ust_emu_si *si_create(struct ust_emu *emu, struct ust_emu_pipe *pipe,
				    const struct ust_emu_flow_id *id, struct ust_pool *pool)
{
	const struct ust_emu_sched_alg *alg = pipe->sched.alg;
	struct ust_emu_si *si = calloc(1, sizeof(*si) + alg->si_size);
	if (!si)
		return NULL;
	si->pipe = pipe;
	si->emu = emu;
	si->id = *id;
	si->pool = pool;
	si->link_free_at = 0;
	si->trace_base = emu->now;
	ust_pkt_queue_init(&si->dline);
	ust_pkt_queue_init(&si->dline_slow);
	ust_timer_init(&si->serve_timer, ust__emu_serve_timer_fn);
	ust_timer_init(&si->deliver_timer, ust__emu_deliver_timer_fn);
	if (alg->new_sched && alg->new_sched(si) != 0) {
		free(si);
		return NULL;
	}
	si->next = pipe->si_list;
	pipe->si_list = si;
	emu->counters.flows_created++;
	return si;
}

static void si_destroy(struct ust_emu *emu, struct ust_emu_si *si);
static void q_unlink_from_fs(struct ust_emu_queue *q);

/*
 * Instances with nothing queued, nothing in the delay line and an idle link hold no state
 * worth keeping (a returning flow starts afresh, as after any idle period). At the flows
 * bound they are swept, at most every UST_EMU_GC_INTERVAL_NS, before falling back to the
 * shared overflow instance: long runs with many short flows keep per-flow service.
 */
static bool si_idle(const struct ust_emu_si *si, uint64_t now)
{
	return si->npkts == 0 && si->dline.count == 0 && si->dline_slow.count == 0 &&
	       si->link_free_at <= now && !ust_timer_pending(&si->serve_timer) &&
	       !ust_timer_pending(&si->deliver_timer);
}

static void pipe_gc(struct ust_emu *emu, struct ust_emu_pipe *pipe)
{
	pipe->gc_at = emu->now + UST_EMU_GC_INTERVAL_NS;
	struct ust_emu_si **pp = &pipe->si_list;
	while (*pp) {
		struct ust_emu_si *si = *pp;
		if (si == pipe->si_overflow || !si_idle(si, emu->now)) {
			pp = &si->next;
			continue;
		}
		*pp = si->next;
		uint32_t b = ust__emu_flow_hash(&si->id) & (pipe->nbuckets - 1);
		for (struct ust_emu_si **hp = &pipe->buckets[b]; *hp; hp = &(*hp)->hnext) {
			if (*hp == si) {
				*hp = si->hnext;
				break;
			}
		}
		pipe->nsi--;
		si_destroy(emu, si);
		emu->counters.flows_reclaimed++;
	}
}

static void fs_gc(struct ust_emu *emu, struct ust_emu_flowset *fs)
{
	fs->gc_at = emu->now + UST_EMU_GC_INTERVAL_NS;
	for (struct ust_emu_si *si = fs->pipe->si_list; si; si = si->next) {
		const struct ust_emu_sched_alg *alg = si->pipe->sched.alg;
		struct ust_emu_queue **pp = &si->queues;
		while (*pp) {
			struct ust_emu_queue *q = *pp;
			if (q->fs != fs || q->len != 0 || q->id.is_ip == OVERFLOW_MARK) {
				pp = &q->si_next;
				continue;
			}
			*pp = q->si_next;
			q_unlink_from_fs(q);
			if (alg->free_queue)
				alg->free_queue(q);
			free(q);
			emu->counters.flows_reclaimed++;
		}
	}
}

struct ust_emu_si *ust__emu_si_lookup(struct ust_emu *emu, struct ust_emu_pipe *pipe,
				      const struct ust_emu_flow_id *fid, struct ust_pool *pool,
				      bool *overflow)
{
	struct ust_emu_flow_id key;
	ust__emu_flow_apply_mask(fid, &pipe->sched.mask, &key);
	uint32_t b = ust__emu_flow_hash(&key) & (pipe->nbuckets - 1);
	for (struct ust_emu_si *si = pipe->buckets[b]; si; si = si->hnext)
		if (ust__emu_flow_eq(&si->id, &key))
			return si;
	if (pipe->nsi >= pipe->sched.flows && emu->now >= pipe->gc_at)
		pipe_gc(emu, pipe);
	if (pipe->nsi >= pipe->sched.flows) {
		*overflow = true;
		if (!pipe->si_overflow) {
			key = (struct ust_emu_flow_id){ .is_ip = OVERFLOW_MARK,
							.pool_slot = fid->pool_slot };
			pipe->si_overflow = si_create(emu, pipe, &key, pool);
		}
		return pipe->si_overflow;
	}
	struct ust_emu_si *si = si_create(emu, pipe, &key, pool);
	if (!si)
		return NULL;
	si->hnext = pipe->buckets[b];
	pipe->buckets[b] = si;
	pipe->nsi++;
	return si;
}

static uint32_t q_bucket(const struct ust_emu_flowset *fs, const struct ust_emu_flow_id *key,
			 const struct ust_emu_si *si)
{
	return (ust__emu_flow_hash(key) ^ (uint32_t)((uintptr_t)si >> 4) * 0x9e3779b1u) &
	       (fs->nbuckets - 1);
}

static struct ust_emu_queue *q_create(struct ust_emu *emu, struct ust_emu_flowset *fs,
				      struct ust_emu_si *si, const struct ust_emu_flow_id *key)
{
	const struct ust_emu_sched_alg *alg = si->pipe->sched.alg;
	struct ust_emu_queue *q = calloc(1, sizeof(*q) + alg->q_size);
	if (!q)
		return NULL;
	q->fs = fs;
	q->si = si;
	q->id = *key;
	q->weight = fs->cfg.weight ? fs->cfg.weight : 1;
	q->priority = fs->cfg.priority;
	q->red_count = -1;
	q->idle_since = emu->now;
	ust_pkt_queue_init(&q->pkts);
	if (alg->new_queue && alg->new_queue(q) != 0) {
		free(q);
		return NULL;
	}
	uint32_t b = q_bucket(fs, key, si);
	q->hnext = fs->buckets[b];
	fs->buckets[b] = q;
	q->si_next = si->queues;
	si->queues = q;
	fs->nqueues++;
	emu->counters.flows_created++;
	return q;
}

struct ust_emu_queue *ust__emu_q_lookup(struct ust_emu *emu, struct ust_emu_flowset *fs,
					struct ust_emu_si *si, const struct ust_emu_flow_id *fid,
					bool *overflow)
{
	struct ust_emu_flow_id key;
	ust__emu_flow_apply_mask(fid, &fs->cfg.mask, &key);
	/* a pipe's own queue has the pipe's mask: one queue per instance, bounded with them */
	uint32_t bound = fs->is_default ? UINT32_MAX : fs->cfg.flows;
	for (int pass = 0; pass < 2; pass++) {
		uint32_t b = q_bucket(fs, &key, si);
		for (struct ust_emu_queue *q = fs->buckets[b]; q; q = q->hnext)
			if (q->si == si && ust__emu_flow_eq(&q->id, &key))
				return q;
		if (pass == 0 && fs->nqueues >= bound && emu->now >= fs->gc_at)
			fs_gc(emu, fs);
		if (pass == 1 || fs->nqueues < bound)
			break;
		/* beyond the bound: one shared overflow queue per scheduler instance */
		*overflow = true;
		key = (struct ust_emu_flow_id){ .is_ip = OVERFLOW_MARK, .pool_slot = fid->pool_slot };
	}
	return q_create(emu, fs, si, &key);
}

static void q_unlink_from_fs(struct ust_emu_queue *q)
{
	struct ust_emu_flowset *fs = q->fs;
	uint32_t b = q_bucket(fs, &q->id, q->si);
	for (struct ust_emu_queue **pp = &fs->buckets[b]; *pp; pp = &(*pp)->hnext) {
		if (*pp == q) {
			*pp = q->hnext;
			fs->nqueues--;
			return;
		}
	}
}

/* Free a scheduler instance, its queues and every packet they hold. */
static void si_destroy(struct ust_emu *emu, struct ust_emu_si *si)
{
	const struct ust_emu_sched_alg *alg = si->pipe->sched.alg;
	struct ust_pkt *pkt;
	while ((pkt = alg->dequeue(si)) != NULL) {
		emu->held--;
		emu->counters.drop_flush++;
		ust_pkt_free(si->pool, pkt);
	}
	uint64_t n = si->dline.count + si->dline_slow.count;
	emu->held -= n;
	emu->counters.drop_flush += n;
	ust_pkt_queue_purge(si->pool, &si->dline);
	ust_pkt_queue_purge(si->pool, &si->dline_slow);
	ust_timer_stop(&emu->wheel, &si->serve_timer);
	ust_timer_stop(&emu->wheel, &si->deliver_timer);
	struct ust_emu_queue *q = si->queues;
	while (q) {
		struct ust_emu_queue *next = q->si_next;
		q_unlink_from_fs(q);
		if (alg->free_queue)
			alg->free_queue(q);
		free(q);
		q = next;
	}
	if (alg->free_sched)
		alg->free_sched(si);
	free(si);
}

/* Drop every instance of a pipe (its packets are counted in drop_flush). */
void ust__emu_pipe_flush(struct ust_emu *emu, struct ust_emu_pipe *pipe)
{
	struct ust_emu_si *si = pipe->si_list;
	while (si) {
		struct ust_emu_si *next = si->next;
		si_destroy(emu, si);
		si = next;
	}
	pipe->si_list = NULL;
	pipe->si_overflow = NULL;
	pipe->nsi = 0;
	if (pipe->buckets)
		memset(pipe->buckets, 0, sizeof(*pipe->buckets) * pipe->nbuckets);
}

void ust__emu_link_cfg_release(struct ust_emu_link_cfg *link)
{
	ust__emu_profile_put(link->profile);
	ust__emu_trace_put(link->trace);
	ust__emu_profile_put(link->jitter_table);
	link->profile = NULL;
	link->trace = NULL;
	link->jitter_table = NULL;
}

void ust__emu_flowset_free(struct ust_emu *emu, struct ust_emu_flowset *fs)
{
	(void)emu;
	if (!fs)
		return;
	free(fs->buckets);
	free(fs);
}

void ust__emu_pipe_free(struct ust_emu *emu, struct ust_emu_pipe *pipe)
{
	ust__emu_pipe_flush(emu, pipe);
	ust__emu_link_cfg_release(&pipe->link);
	ust__emu_flowset_free(emu, pipe->fs_default);
	free(pipe->buckets);
	free(pipe);
}
