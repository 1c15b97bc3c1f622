/*
 * "show": the instance's configuration written back in the configuration language (so a
 * `show` can be saved and re-applied), each object followed by its statistics, then the
 * instance counters. Reads only; called from ust_emu_command (emu_config.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "emu/emu.h"
#include "emu/emu_values.h"

#define SHOW_INSTANCES_MAX 16u

struct sbuf {
	char *p;
	size_t len, cap;
};

static void put(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct sbuf *b, const char *fmt, ...)
{
	if (b->len + 1 >= b->cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (k > 0)
		b->len = UST_MIN(b->len + (size_t)k, b->cap - 1);
}

static void put_mask(struct sbuf *b, const struct ust_emu_mask *m)
{
	if (!m->set)
		return;
	put(b, " mask");
	if (m->src)
		put(b, " src-ip 0x%08x", m->src);
	if (m->dst)
		put(b, " dst-ip 0x%08x", m->dst);
	if (m->sport)
		put(b, " src-port 0x%04x", m->sport);
	if (m->dport)
		put(b, " dst-port 0x%04x", m->dport);
	if (m->proto)
		put(b, " proto 0x%02x", m->proto);
}

static void put_fs(struct sbuf *b, const struct ust_emu_fs_cfg *c, bool weights)
{
	if (c->qlimit_bytes)
		put(b, " queue %lluBytes", (unsigned long long)c->qlimit_bytes);
	else
		put(b, " queue %u", c->qlimit_slots);
	if (c->plr > 0)
		put(b, " plr %g", c->plr);
	if (c->red || c->gred)
		put(b, " %s %g/%u/%u/%g", c->gred ? "gred" : "red", c->w_q, c->min_th, c->max_th,
		    c->max_p);
	if (weights) {
		put(b, " weight %u", c->weight);
		if (c->priority)
			put(b, " priority %u", c->priority);
	}
	if (c->flows != UST_EMU_FLOWS_DEFAULT)
		put(b, " flows %u", c->flows);
	if (c->buckets != UST_EMU_BUCKETS_DEFAULT)
		put(b, " buckets %u", c->buckets);
}

static void put_link(struct sbuf *b, const struct ust_emu_link_cfg *l)
{
	char t[32];
	if (l->trace) {
		put(b, " trace %s", l->trace_path);
	} else {
		ust__emu_fmt_bw(t, sizeof(t), l->bw_bps);
		put(b, " bw %s", t);
	}
	ust__emu_fmt_time(t, sizeof(t), l->delay_ns);
	put(b, " delay %s", t);
	if (l->burst_bytes)
		put(b, " burst %lluBytes", (unsigned long long)l->burst_bytes);
	if (l->profile)
		put(b, " profile %s", l->profile_path);
	if (l->jitter_dist == UST_EMU_JITTER_TABLE) {
		put(b, " jitter-table %s", l->jitter_path);
	} else if (l->jitter_ns) {
		static const char *const dist[] = { "uniform", "normal", "pareto", "table" };
		ust__emu_fmt_time(t, sizeof(t), l->jitter_ns);
		put(b, " jitter %s %s", t, dist[l->jitter_dist]);
	}
	if (l->reorder_gap || l->reorder_p > 0) {
		ust__emu_fmt_time(t, sizeof(t), l->reorder_delay_ns);
		if (l->reorder_gap)
			put(b, " reorder gap %u delay %s", l->reorder_gap, t);
		else
			put(b, " reorder %g delay %s", l->reorder_p, t);
	}
	if (l->dup_p > 0)
		put(b, " dup %g", l->dup_p);
	if (l->corrupt_p > 0)
		put(b, " corrupt %g", l->corrupt_p);
	if (l->ge)
		put(b, " ge %g %g %g %g", l->ge_p, l->ge_r, l->ge_loss_good, l->ge_loss_bad);
}

static void put_ports(struct sbuf *b, const struct ust_emu_port_match *pm)
{
	for (uint32_t i = 0; i < pm->count; i++) {
		put(b, "%s%u", i ? "," : " ", pm->lo[i]);
		if (pm->hi[i] != pm->lo[i])
			put(b, "-%u", pm->hi[i]);
	}
}

static void put_addr(struct sbuf *b, const struct ust_emu_addr_match *a)
{
	char t[20];
	put(b, "%s", a->negate ? " not" : "");
	if (a->mask == 0) {
		put(b, " any");
		return;
	}
	ust__emu_fmt_ipv4(t, sizeof(t), a->addr);
	int n = __builtin_popcount(a->mask);
	if (a->mask == (n ? 0xffffffffu << (32 - n) : 0))
		put(b, n == 32 ? " %s" : " %s/%d", t, n);
	else
		put(b, " %s:0x%08x", t, a->mask);
}

static void put_rule(struct sbuf *b, const struct ust_emu_rule *r)
{
	put(b, "add %05u", r->num);
	if (r->prob64 != UINT64_MAX)
		put(b, " prob %g", r->prob);
	switch (r->action) {
	case UST_EMU_ACT_ALLOW:
		put(b, " allow");
		break;
	case UST_EMU_ACT_DENY:
		put(b, " deny");
		break;
	case UST_EMU_ACT_PIPE:
		put(b, " pipe %u", r->target);
		break;
	case UST_EMU_ACT_QUEUE:
		put(b, " queue %u", r->target);
		break;
	}
	if (r->proto == UST_EMU_PROTO_IP)
		put(b, " ip");
	else if (r->proto == UST_EMU_PROTO_ALL)
		put(b, " all");
	else if (r->proto == 6)
		put(b, " tcp");
	else if (r->proto == 17)
		put(b, " udp");
	else if (r->proto == 1)
		put(b, " icmp");
	else if (r->proto == 132)
		put(b, " sctp");
	else
		put(b, " %u", r->proto);
	put(b, " from");
	put_addr(b, &r->src);
	put_ports(b, &r->sport);
	put(b, " to");
	put_addr(b, &r->dst);
	put_ports(b, &r->dport);
	if (r->dir >= 0)
		put(b, r->dir == UST_EMU_DIR_IN ? " in" : " out");
	put(b, "   # %llu pkts %llu bytes%s\n", (unsigned long long)r->pkts,
	    (unsigned long long)r->bytes, (r->action == UST_EMU_ACT_PIPE ||
					   r->action == UST_EMU_ACT_QUEUE) && !r->fs ? " (target missing)" : "");
}

static void put_pipe(struct sbuf *b, const struct ust_emu_pipe *pipe)
{
	const struct ust_emu_sched_cfg *s = &pipe->sched;
	put(b, "pipe %u config", pipe->id);
	put_link(b, &pipe->link);
	put_fs(b, &pipe->fs_default->cfg, false);
	if (s->alg != &ust__emu_sched_fifo)
		put(b, " type %s", s->alg->name);
	if (s->quantum != UST_EMU_DRR_QUANTUM_DEFAULT)	/* kept, even if only drr uses it */
		put(b, " quantum %u", s->quantum);
	put_mask(b, &s->mask);
	put(b, "\n");
	uint64_t held = 0, dl = 0, pk = 0, by = 0, dr = 0;
	for (const struct ust_emu_si *si = pipe->si_list; si; si = si->next) {
		held += si->npkts;
		dl += si->dline.count + si->dline_slow.count;
		pk += si->tot_pkts;
		by += si->tot_bytes;
		dr += si->drops;
	}
	put(b, "#   %u instance(s)%s: queued %llu, in delay line %llu, sent %llu pkts %llu bytes, dropped %llu\n",
	    pipe->nsi + (pipe->si_overflow ? 1 : 0), pipe->si_overflow ? " (incl. overflow)" : "",
	    (unsigned long long)held, (unsigned long long)dl, (unsigned long long)pk,
	    (unsigned long long)by, (unsigned long long)dr);
	if (!s->mask.set)
		return;
	/* masked pipes: the first few instances by flow id */
	unsigned shown = 0;
	for (const struct ust_emu_si *si = pipe->si_list; si && shown < SHOW_INSTANCES_MAX;
	     si = si->next, shown++) {
		char src[20], dst[20];
		if (si->id.is_ip == 0xff) {
			put(b, "#     overflow:");
		} else {
			ust__emu_fmt_ipv4(src, sizeof(src), si->id.src);
			ust__emu_fmt_ipv4(dst, sizeof(dst), si->id.dst);
			put(b, "#     %s:%u -> %s:%u proto %u:", src, si->id.sport, dst, si->id.dport,
			    si->id.proto);
		}
		put(b, " queued %u, sent %llu pkts %llu bytes, dropped %llu\n", si->npkts,
		    (unsigned long long)si->tot_pkts, (unsigned long long)si->tot_bytes,
		    (unsigned long long)si->drops);
	}
	if (pipe->nsi + (pipe->si_overflow ? 1u : 0u) > shown)
		put(b, "#     ... %u more\n", pipe->nsi + (pipe->si_overflow ? 1u : 0u) - shown);
}

size_t ust__emu_show(const struct ust_emu *emu, char *out, size_t outlen)
{
	struct sbuf b = { .p = out, .cap = outlen };
	if (!outlen)
		return 0;
	out[0] = '\0';
	/* objects in ascending number order */
	uint32_t last = 0;
	for (;;) {
		const struct ust_emu_pipe *best = NULL;
		for (const struct ust_emu_pipe *p = emu->pipes; p; p = p->next)
			if (p->id > last && (!best || p->id < best->id))
				best = p;
		if (!best)
			break;
		put_pipe(&b, best);
		last = best->id;
	}
	last = 0;
	for (;;) {
		const struct ust_emu_flowset *best = NULL;
		for (const struct ust_emu_flowset *f = emu->flowsets; f; f = f->next)
			if (f->id > last && (!best || f->id < best->id))
				best = f;
		if (!best)
			break;
		put(&b, "queue %u config pipe %u", best->id, best->cfg.sched_id);
		put_fs(&b, &best->cfg, true);
		put_mask(&b, &best->cfg.mask);
		put(&b, "\n#   %u queue(s)%s\n", best->nqueues, best->pipe ? "" : " (pipe missing)");
		last = best->id;
	}
	for (uint32_t i = 0; i < emu->nrules; i++)
		put_rule(&b, &emu->rules[i]);
	put(&b, "# counters:");
	static const char *const names[] = { UST_EMU_COUNTERS(UST_COUNTER_NAME) };
	const uint64_t *v = (const uint64_t *)(const void *)&emu->counters;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (v[i])
			put(&b, " %s=%llu", names[i], (unsigned long long)v[i]);
	put(&b, "\n");
	return b.len;
}
