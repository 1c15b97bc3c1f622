/*
 * Emulator instance and packet path: input -> rule -> flowset -> per-flow queue (loss, RED,
 * limits) -> scheduler instance -> link (exact transmission time) -> delay line -> output.
 * Owns every packet it holds (queues, delay lines, output queues) and every runtime object;
 * ust_emu_destroy frees them all. Per-flow instances (creation, lookup, reclaiming) are in
 * emu_flows.c, configuration parsing in emu_config.c.
 *
 * Timing (dummynet): a packet leaves after (Q + L) / B + delay, where Q is what the link
 * still has to send when the packet reaches it. We keep, per scheduler instance, the exact
 * time the link becomes free (link_free_at, ns) and the sub-nanosecond remainder of every
 * transmission time (carry, in units of 1/B ns), so transmission times add up exactly
 * (bits * 1e9 / B with the remainders carried: 1 bit/s resolution, no drift). Timers only
 * decide when we look; they never change the computed times.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emu/emu.h"
#include "core/util.h"

/* --- PRNG --- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void ust__emu_rng_seed(struct ust_emu_rng *rng, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t ust__emu_rng_next(struct ust_emu_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double ust__emu_rng_unit(struct ust_emu_rng *rng)
{
	return (double)(ust__emu_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t ust__emu_prob64(double p)
{
	if (!(p > 0.0))
		return 0;
	if (p >= 1.0)
		return UINT64_MAX;
	return (uint64_t)(p * 18446744073709551616.0);
}

/* --- instance --- */

int ust_emu_create(struct ust_emu **out, const struct ust_emu_config *cfg)
{
	if (!out || !cfg || !cfg->pool[0] || !cfg->pool[1])
		return -EINVAL;
	struct ust_emu *emu = calloc(1, sizeof(*emu));
	if (!emu)
		return -ENOMEM;
	emu->pool[0] = cfg->pool[0];
	emu->pool[1] = cfg->pool[1];
	emu->now = cfg->now;
	emu->seed = cfg->seed;
	ust__emu_rng_seed(&emu->rng, cfg->seed);
	ust_timer_wheel_init(&emu->wheel, cfg->now,
			     cfg->granularity_ns ? cfg->granularity_ns : UST_EMU_GRANULARITY_NS_DEFAULT);
	ust_pkt_queue_init(&emu->outq[0]);
	ust_pkt_queue_init(&emu->outq[1]);
	*out = emu;
	return 0;
}

void ust_emu_destroy(struct ust_emu *emu)
{
	if (!emu)
		return;
	while (emu->pipes) {
		struct ust_emu_pipe *p = emu->pipes;
		emu->pipes = p->next;
		ust__emu_pipe_free(emu, p);
	}
	while (emu->flowsets) {
		struct ust_emu_flowset *fs = emu->flowsets;
		emu->flowsets = fs->next;
		ust__emu_flowset_free(emu, fs);
	}
	ust_pkt_queue_purge(emu->pool[0], &emu->outq[0]);
	ust_pkt_queue_purge(emu->pool[1], &emu->outq[1]);
	free(emu->rules);
	free(emu);
}

/* --- link: transmission time --- */

static uint64_t trace_opp_time(const struct ust_emu_si *si, const struct ust_emu_trace *tr,
			       uint64_t k)
{
	return si->trace_base + (k / tr->count) * tr->period_ns + tr->at_ns[k % tr->count];
}

#define TRACE_MTU 1500u

/* Mahimahi: each trace line is one opportunity to send 1500 bytes; the trace repeats. */
static uint64_t trace_finish(struct ust_emu_si *si, const struct ust_emu_trace *tr,
			     uint32_t len, uint64_t start)
{
	uint64_t finish = start;
	uint32_t need = len;
	if (si->trace_left) {
		uint32_t use = UST_MIN(si->trace_left, need);
		si->trace_left -= use;
		need -= use;
	}
	while (need) {
		uint64_t t = trace_opp_time(si, tr, si->trace_k);
		if (t < start) {
			/* skip whole periods at once, then single opportunities */
			uint64_t behind = start - t;
			if (behind > tr->period_ns)
				si->trace_k += (behind / tr->period_ns - 1) * tr->count;
			si->trace_k++;
			continue;
		}
		uint32_t use = UST_MIN(TRACE_MTU, need);
		need -= use;
		si->trace_left = TRACE_MTU - use;
		si->trace_k++;
		finish = t;
	}
	return finish;
}

/* When the link finishes sending len bytes that start at `start` (exact, ns). */
static uint64_t link_finish(struct ust_emu *emu, struct ust_emu_si *si,
			    const struct ust_emu_link_cfg *l, uint32_t len, uint64_t start)
{
	if (l->trace)
		return trace_finish(si, l->trace, len, start);
	uint64_t busy = 0;
	if (l->bw_bps) {
		uint64_t bits = (uint64_t)len * 8;
		if (l->burst_bytes && bits <= si->burst_credit) {
			si->burst_credit -= bits;
			bits = 0;
		}
		if (bits) {
			unsigned __int128 num = (unsigned __int128)bits * UST_NS_PER_SEC + si->carry;
			busy = (uint64_t)(num / l->bw_bps);
			si->carry = (uint64_t)(num % l->bw_bps);
		}
	}
	if (l->profile && l->profile->samples)
		busy += l->profile->delay_ns[ust__emu_rng_next(&emu->rng) % l->profile->samples];
	return start + busy;
}

static int64_t jitter_draw(struct ust_emu *emu, const struct ust_emu_link_cfg *l)
{
	double j = (double)l->jitter_ns;
	double u = ust__emu_rng_unit(&emu->rng);
	switch (l->jitter_dist) {
	case UST_EMU_JITTER_UNIFORM:
		return (int64_t)((2.0 * u - 1.0) * j);
	case UST_EMU_JITTER_NORMAL: {
		double u2 = ust__emu_rng_unit(&emu->rng);
		double z = sqrt(-2.0 * log(1.0 - u)) * cos(2.0 * M_PI * u2);
		return (int64_t)(z * j);
	}
	case UST_EMU_JITTER_PARETO:
		/* shape 3, scale chosen so the mean extra delay is j */
		return (int64_t)(j * 2.0 * (pow(1.0 - u, -1.0 / 3.0) - 1.0));
	case UST_EMU_JITTER_TABLE:
		if (l->jitter_table && l->jitter_table->samples)
			return (int64_t)l->jitter_table->delay_ns[ust__emu_rng_next(&emu->rng) %
								  l->jitter_table->samples];
		return 0;
	}
	return 0;
}

static void flip_random_bit(struct ust_emu *emu, struct ust_pool *pool, struct ust_pkt *pkt)
{
	if (pkt->len == 0)
		return;
	if (ust_pkt_shared(pkt)) {
		emu->counters.corrupt_shared++;
		return;
	}
	/* keep the Ethernet header intact so the frame still reaches its receiver */
	uint32_t first = pkt->len > 14 ? 14 : 0;
	uint64_t bit = ust__emu_rng_next(&emu->rng) % ((uint64_t)(pkt->len - first) * 8);
	ust_pkt_data(pool, pkt)[first + bit / 8] ^= (uint8_t)(1u << (bit % 8));
	emu->counters.corrupt++;
}

static void si_arm_deliver(struct ust_emu *emu, struct ust_emu_si *si)
{
	uint64_t due = UINT64_MAX;
	struct ust_pkt *p = ust_pkt_queue_peek(si->pool, &si->dline);
	if (p)
		due = p->timestamp;
	p = ust_pkt_queue_peek(si->pool, &si->dline_slow);
	if (p && p->timestamp < due)
		due = p->timestamp;
	if (due == UINT64_MAX)
		ust_timer_stop(&emu->wheel, &si->deliver_timer);
	else if (!ust_timer_pending(&si->deliver_timer) || si->deliver_timer.expires != due)
		ust_timer_start(&emu->wheel, &si->deliver_timer, due);
}

/*
 * Bytes a frame costs on the link: the IP packet (the frame minus its Ethernet and VLAN
 * headers) as dummynet charges at layer 3 and Mahimahi charges, so a "100 Mbit/s" pipe
 * carries 100 Mbit/s of IP; frames that are not IPv4 are charged whole.
 */
static uint32_t link_len(const struct ust_pool *pool, const struct ust_pkt *pkt)
{
	const uint8_t *d = ust_pkt_data(pool, pkt);
	if (pkt->len < 34)
		return pkt->len;
	uint32_t hdr = 14;
	uint16_t type = (uint16_t)(d[12] << 8 | d[13]);
	if (type == 0x8100) {
		hdr = 18;
		type = (uint16_t)(d[16] << 8 | d[17]);
	}
	return type == 0x0800 ? pkt->len - hdr : pkt->len;
}

/* Send what the link can send by `now`: every packet whose transmission starts by now. */
static void si_serve(struct ust_emu *emu, struct ust_emu_si *si, uint64_t now)
{
	const struct ust_emu_sched_alg *alg = si->pipe->sched.alg;
	const struct ust_emu_link_cfg *l = &si->pipe->link;
	bool delivered = false;

	while (si->npkts && si->link_free_at <= now) {
		struct ust_pkt *pkt = alg->dequeue(si);
		if (!pkt)
			break;
		struct ust_emu_queue *q = ust__emu_pkt_queue(pkt);
		int dir = ust__emu_pkt_dir(pkt);
		si->npkts--;
		si->nbytes -= pkt->len;
		q->len--;
		q->len_bytes -= pkt->len;
		if (q->len == 0)
			q->idle_since = now;

		uint64_t start = pkt->timestamp;	/* arrival */
		if (start <= si->link_free_at) {
			start = si->link_free_at;	/* link busy: queued behind Q */
		} else {
			/* link was idle: fractions of a ns and unused trace bytes are gone */
			if (l->burst_bytes && l->bw_bps) {
				unsigned __int128 gained = (unsigned __int128)(start - si->link_free_at) *
							   l->bw_bps / UST_NS_PER_SEC;
				unsigned __int128 credit = si->burst_credit + gained;
				uint64_t cap = l->burst_bytes * 8;
				si->burst_credit = credit > cap ? cap : (uint64_t)credit;
			}
			si->carry = 0;
			si->trace_left = 0;
		}
		uint64_t finish = link_finish(emu, si, l, link_len(si->pool, pkt), start);
		si->link_free_at = finish;
		si->tot_pkts++;
		si->tot_bytes += pkt->len;

		uint64_t due = finish + l->delay_ns;
		if (l->jitter_ns || l->jitter_dist == UST_EMU_JITTER_TABLE) {
			int64_t j = jitter_draw(emu, l);
			if (j < 0 && (uint64_t)-j > l->delay_ns)
				due = finish;
			else
				due = (uint64_t)((int64_t)due + j);
		}
		if (due < si->last_due)
			due = si->last_due;	/* jitter alone never reorders */
		si->last_due = due;

		if (l->corrupt_p64 && ust__emu_chance(&emu->rng, l->corrupt_p64))
			flip_random_bit(emu, si->pool, pkt);

		pkt->user = (uint64_t)dir;
		bool slow = false;
		if (l->reorder_gap) {
			if (++si->reorder_count >= l->reorder_gap) {
				si->reorder_count = 0;
				slow = true;
			}
		} else if (l->reorder_p64 && ust__emu_chance(&emu->rng, l->reorder_p64)) {
			slow = true;
		}
		if (slow) {
			emu->counters.reorder++;
			pkt->timestamp = due + l->reorder_delay_ns;
			ust_pkt_queue_push(si->pool, &si->dline_slow, pkt);
		} else {
			pkt->timestamp = due;
			ust_pkt_queue_push(si->pool, &si->dline, pkt);
		}
		delivered = true;
	}
	if (si->npkts)
		ust_timer_start(&emu->wheel, &si->serve_timer, si->link_free_at);
	else
		ust_timer_stop(&emu->wheel, &si->serve_timer);
	if (delivered)
		si_arm_deliver(emu, si);
}

void ust__emu_serve_timer_fn(struct ust_timer *t, uint64_t now)
{
	struct ust_emu_si *si = UST_CONTAINER_OF(t, struct ust_emu_si, serve_timer);
	si_serve(si->emu, si, now);
}

void ust__emu_deliver_timer_fn(struct ust_timer *t, uint64_t now)
{
	struct ust_emu_si *si = UST_CONTAINER_OF(t, struct ust_emu_si, deliver_timer);
	struct ust_emu *emu = si->emu;
	/* merge the two lanes in due order so reordered packets land where they belong */
	for (;;) {
		struct ust_pkt *a = ust_pkt_queue_peek(si->pool, &si->dline);
		struct ust_pkt *b = ust_pkt_queue_peek(si->pool, &si->dline_slow);
		struct ust_pkt_queue *dl;
		if (a && a->timestamp <= now && (!b || b->timestamp > now || a->timestamp <= b->timestamp))
			dl = &si->dline;
		else if (b && b->timestamp <= now)
			dl = &si->dline_slow;
		else
			break;
		struct ust_pkt *p = ust_pkt_queue_pop(si->pool, dl);
		ust_pkt_queue_push(si->pool, &emu->outq[ust__emu_pkt_dir(p)], p);
	}
	si_arm_deliver(emu, si);
}

/* --- enqueue: loss, RED, limits --- */

static bool red_drop(struct ust_emu *emu, struct ust_emu_queue *q, const struct ust_emu_fs_cfg *c,
		     const struct ust_emu_link_cfg *l, uint32_t len, uint64_t now)
{
	double qlen = c->qlimit_bytes ? (double)q->len_bytes : (double)q->len;
	if (q->len == 0) {
		/* idle: decay the average as if m small packets had left meanwhile */
		double m = 0;
		if (l->bw_bps && now > q->idle_since)
			m = (double)(now - q->idle_since) * (double)l->bw_bps / 1e9 / (1500.0 * 8);
		q->avg *= pow(1.0 - c->w_q, m);
	}
	q->avg = (1.0 - c->w_q) * q->avg + c->w_q * qlen;
	(void)len;
	double min_th = c->min_th, max_th = c->max_th;
	if (q->avg < min_th) {
		q->red_count = -1;
		return false;
	}
	double pb;
	if (q->avg >= max_th) {
		if (!c->gred || q->avg >= 2 * max_th) {
			q->red_count = 0;
			return true;
		}
		pb = c->max_p + (1.0 - c->max_p) * (q->avg - max_th) / max_th;
	} else {
		pb = c->max_p * (q->avg - min_th) / (max_th - min_th);
	}
	q->red_count++;
	double pa = pb;
	if (q->red_count > 0 && q->red_count * pb < 1.0)
		pa = pb / (1.0 - q->red_count * pb);
	else if (q->red_count > 0)
		pa = 1.0;
	if (ust__emu_rng_unit(&emu->rng) < pa) {
		q->red_count = 0;
		return true;
	}
	return false;
}

/* Why an arriving packet is refused, or 0 to accept it. */
static uint64_t *admission(struct ust_emu *emu, struct ust_emu_queue *q, struct ust_emu_si *si,
			   uint32_t len, uint64_t now)
{
	const struct ust_emu_fs_cfg *c = &q->fs->cfg;
	const struct ust_emu_link_cfg *l = &si->pipe->link;
	if (c->plr64 && ust__emu_chance(&emu->rng, c->plr64))
		return &emu->counters.drop_plr;
	if (l->ge) {
		/* state transition first, then loss according to the new state */
		if (si->ge_bad) {
			if (ust__emu_chance(&emu->rng, l->ge_r64))
				si->ge_bad = false;
		} else if (ust__emu_chance(&emu->rng, l->ge_p64)) {
			si->ge_bad = true;
		}
		if (ust__emu_chance(&emu->rng, si->ge_bad ? l->ge_bad64 : l->ge_good64))
			return &emu->counters.drop_ge;
	}
	if (l->profile && l->profile->loss_level < 1.0 &&
	    ust__emu_rng_unit(&emu->rng) >= l->profile->loss_level)
		return &emu->counters.drop_profile;
	if (c->qlimit_bytes ? q->len_bytes + len > c->qlimit_bytes : q->len >= c->qlimit_slots)
		return &emu->counters.drop_queue_full;
	if ((c->red || c->gred) && red_drop(emu, q, c, l, len, now))
		return &emu->counters.drop_red;
	return NULL;
}

static void enqueue_one(struct ust_emu *emu, struct ust_emu_si *si, struct ust_emu_queue *q,
			int dir, struct ust_pkt *pkt, uint64_t now)
{
	uint64_t *why = admission(emu, q, si, pkt->len, now);
	if (why) {
		(*why)++;
		q->drops++;
		si->drops++;
		ust_pkt_free(si->pool, pkt);
		return;
	}
	pkt->timestamp = now;
	pkt->user = (uint64_t)(uintptr_t)q | (uint64_t)dir;
	q->len++;
	q->len_bytes += pkt->len;
	q->tot_pkts++;
	q->tot_bytes += pkt->len;
	si->npkts++;
	si->nbytes += pkt->len;
	emu->held++;
	si->pipe->sched.alg->enqueue(si, q, pkt);
}

static void pass_through(struct ust_emu *emu, int dir, struct ust_pkt *pkt)
{
	emu->counters.passed++;
	emu->held++;
	pkt->user = (uint64_t)dir;
	ust_pkt_queue_push(emu->pool[dir], &emu->outq[dir], pkt);
}

void ust_emu_input(struct ust_emu *emu, int dir, struct ust_pkt *pkt, uint64_t now)
{
	dir &= 1;
	struct ust_pool *pool = emu->pool[dir];
	if (now > emu->now)
		emu->now = now;
	emu->counters.rx_packets++;
	/* time passes first, so the link state seen below is current */
	ust_timer_wheel_advance(&emu->wheel, emu->now);

	struct ust_emu_flow_id id;
	ust__emu_flow_parse(ust_pkt_data(pool, pkt), pkt->len, &id);
	id.pool_slot = emu->pool[0] != emu->pool[1] ? (uint8_t)dir : 0;
	const struct ust_emu_rule *r = ust__emu_classify(emu, dir, &id, pkt->len);
	if (!r || r->action == UST_EMU_ACT_ALLOW) {
		pass_through(emu, dir, pkt);
		return;
	}
	if (r->action == UST_EMU_ACT_DENY) {
		emu->counters.drop_deny++;
		ust_pkt_free(pool, pkt);
		return;
	}
	struct ust_emu_flowset *fs = r->fs;
	if (!fs || !fs->pipe) {
		emu->counters.drop_no_pipe++;
		ust_pkt_free(pool, pkt);
		return;
	}
	struct ust_emu_pipe *pipe = fs->pipe;
	bool overflow = false;
	struct ust_emu_si *si = ust__emu_si_lookup(emu, pipe, &id, pool, &overflow);
	struct ust_emu_queue *q = si ? ust__emu_q_lookup(emu, fs, si, &id, &overflow) : NULL;
	if (overflow)
		emu->counters.flow_overflow++;
	if (!q) {
		emu->counters.drop_nomem++;
		ust_pkt_free(pool, pkt);
		return;
	}
	struct ust_pkt *copy = NULL;
	if (pipe->link.dup_p64 && ust__emu_chance(&emu->rng, pipe->link.dup_p64)) {
		copy = ust_pkt_alloc(pool);
		if (copy && ust_pkt_put(pool, copy, pkt->len)) {
			memcpy(ust_pkt_data(pool, copy), ust_pkt_data(pool, pkt), pkt->len);
			copy->flags = pkt->flags;
			emu->counters.dup++;
		} else {
			ust_pkt_free(pool, copy);
			copy = NULL;
			emu->counters.dup_nobuf++;
		}
	}
	enqueue_one(emu, si, q, dir, pkt, now);
	if (copy)
		enqueue_one(emu, si, q, dir, copy, now);
	if (si->link_free_at <= emu->now)
		si_serve(emu, si, emu->now);
	else if (si->npkts && !ust_timer_pending(&si->serve_timer))
		ust_timer_start(&emu->wheel, &si->serve_timer, si->link_free_at);
}

void ust_emu_advance(struct ust_emu *emu, uint64_t now)
{
	if (now > emu->now)
		emu->now = now;
	ust_timer_wheel_advance(&emu->wheel, emu->now);
}

unsigned ust_emu_output(struct ust_emu *emu, int dir, struct ust_pkt **pkts, unsigned n,
			uint64_t now)
{
	dir &= 1;
	ust_emu_advance(emu, now);
	unsigned got = 0;
	while (got < n) {
		struct ust_pkt *p = ust_pkt_queue_pop(emu->pool[dir], &emu->outq[dir]);
		if (!p)
			break;
		p->user = 0;
		pkts[got++] = p;
	}
	emu->held -= got;
	emu->counters.tx_packets += got;
	return got;
}

uint64_t ust_emu_next_deadline(const struct ust_emu *emu)
{
	if (emu->outq[0].count || emu->outq[1].count)
		return 0;
	return ust_timer_wheel_next_deadline(&emu->wheel);
}

uint64_t ust_emu_held(const struct ust_emu *emu)
{
	return emu->held;
}

static const char *const emu_counter_names[] = { UST_EMU_COUNTERS(UST_COUNTER_NAME) };

struct ust_counter_group ust__emu_counter_group(const struct ust_emu *emu)
{
	return UST_COUNTER_GROUP("emu", emu_counter_names, &emu->counters);
}

void ust_emu_counters(const struct ust_emu *emu,
		      void (*fn)(void *arg, const char *name, uint64_t value), void *arg)
{
	struct ust_counter_group g = UST_COUNTER_GROUP("emu", emu_counter_names, &emu->counters);
	for (size_t i = 0; i < g.count; i++)
		fn(arg, g.names[i], g.values[i]);
}

uint64_t ust_emu_counter(const struct ust_emu *emu, const char *name)
{
	struct ust_counter_group g = UST_COUNTER_GROUP("emu", emu_counter_names, &emu->counters);
	for (size_t i = 0; i < g.count; i++)
		if (strcmp(g.names[i], name) == 0)
			return g.values[i];
	return UINT64_MAX;
}

/* --- pair link stage adapter (src/io/backend.h) --- */

static void stage_input(void *stage, int dir, struct ust_pkt *pkt, uint64_t now)
{
	ust_emu_input(stage, dir, pkt, now);
}

static unsigned stage_output(void *stage, int dir, struct ust_pkt **pkts, unsigned n, uint64_t now)
{
	return ust_emu_output(stage, dir, pkts, n, now);
}

static uint64_t stage_next_deadline(void *stage, int dir)
{
	struct ust_emu *emu = stage;
	if (emu->outq[dir & 1].count)
		return 0;
	return ust_timer_wheel_next_deadline(&emu->wheel);
}

const struct ust_link_stage_ops ust_emu_stage_ops = {
	.input = stage_input,
	.output = stage_output,
	.next_deadline = stage_next_deadline,
};
