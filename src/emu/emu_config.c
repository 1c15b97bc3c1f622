/*
 * Configuration language (ipfw syntax): one line at a time, parsed completely into a
 * temporary record, validated, and only then committed to the instance. A refused line
 * leaves the instance untouched and explains itself naming the word at fault:
 *   pipe 1 config: 'bw': '10Mbps' is not a bandwidth (use 10Mbit/s)
 * Commands: pipe|queue|sched N config ..., pipe|queue|sched N delete, add, delete, flush,
 * show/list. The grammar is documented in docs/EMU.md. Objects (pipes, queues, schedulers)
 * and the option parsers are here, the rule list in emu_rules.c, "show" in emu_show.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "emu/emu_parser.h"

int ust__emu_fail(struct ust_emu_parser *p, const char *fmt, ...)
{
	if (p->msg && p->msglen) {
		int k = snprintf(p->msg, p->msglen, "%s: ", p->ctx);
		if (k < 0)
			k = 0;
		if ((size_t)k < p->msglen) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(p->msg + k, p->msglen - (size_t)k, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

static int opt_time(struct ust_emu_parser *p, const char *kw, uint64_t *ns)
{
	const char *v;
	bool used;
	if (value(p, kw, &v))
		return -EINVAL;
	if (ust__emu_parse_time(v, peek(p, 0), ns, &used))
		return ust__emu_fail(p, "'%s': '%s' is not a time (use 20ms, 500us, 1s)", kw, v);
	if (used)
		p->i++;
	return 0;
}

static uint32_t pow2_at_least(uint64_t v)
{
	uint32_t b = 1;
	while (b < v && b < UST_EMU_BUCKETS_MAX)
		b <<= 1;
	return b;
}

/* mask src-ip M dst-ip M src-port M dst-port M proto M | all */
static int opt_mask(struct ust_emu_parser *p, struct ust_emu_mask *m)
{
	memset(m, 0, sizeof(*m));
	int fields = 0;
	for (;;) {
		const char *kw = peek(p, 0);
		uint32_t v32;
		uint64_t v;
		if (is(kw, "all")) {
			p->i++;
			m->src = m->dst = 0xffffffffu;
			m->sport = m->dport = 0xffff;
			m->proto = 0xff;
		} else if (is(kw, "src-ip") || is(kw, "dst-ip")) {
			const char *val;
			p->i++;
			if (value(p, kw, &val))
				return -EINVAL;
			if (ust__emu_parse_mask32(val, &v32))
				return ust__emu_fail(p, "'%s': '%s' is not a 32-bit mask (e.g. 0xffffff00, /24)",
					    kw, val);
			if (is(kw, "src-ip"))
				m->src = v32;
			else
				m->dst = v32;
		} else if (is(kw, "src-port") || is(kw, "dst-port") || is(kw, "proto")) {
			p->i++;
			uint64_t max = is(kw, "proto") ? 0xff : 0xffff;
			if (opt_uint(p, kw, 0, max, &v))
				return -EINVAL;
			if (is(kw, "src-port"))
				m->sport = (uint16_t)v;
			else if (is(kw, "dst-port"))
				m->dport = (uint16_t)v;
			else
				m->proto = (uint8_t)v;
		} else {
			break;
		}
		fields++;
	}
	if (!fields)
		return ust__emu_fail(p, "'mask': expected src-ip, dst-ip, src-port, dst-port, proto or all");
	m->set = m->src || m->dst || m->sport || m->dport || m->proto;
	return 0;
}

/* Options that belong to a flowset (queue size, loss, RED, weight, mask...). 1: not ours. */
static int fs_option(struct ust_emu_parser *p, const char *kw, struct ust_emu_fs_cfg *c, bool *red_seen)
{
	uint64_t v;
	if (is(kw, "queue")) {
		const char *val;
		bool bytes, used;
		if (value(p, kw, &val))
			return -EINVAL;
		if (ust__emu_parse_size(val, peek(p, 0), &v, &bytes, &used))
			return ust__emu_fail(p, "'queue': '%s' is not a queue size (use 50 or 100KBytes)", val);
		if (used)
			p->i++;
		if (bytes) {
			if (v < 1 || v > UST_EMU_QUEUE_BYTES_MAX)
				return ust__emu_fail(p, "'queue': '%s' is out of range", val);
			c->qlimit_bytes = v;
		} else {
			if (v < 1 || v > UST_EMU_QUEUE_SLOTS_MAX)
				return ust__emu_fail(p, "'queue': '%s' is not 1..%u slots", val,
					    UST_EMU_QUEUE_SLOTS_MAX);
			c->qlimit_slots = (uint32_t)v;
			c->qlimit_bytes = 0;
		}
		return 0;
	}
	if (is(kw, "plr"))
		return opt_prob(p, kw, &c->plr, &c->plr64);
	if (is(kw, "red") || is(kw, "gred")) {
		const char *val;
		if (value(p, kw, &val))
			return -EINVAL;
		double wq, maxp;
		unsigned long minth, maxth;
		char tail;
		if (sscanf(val, "%lf/%lu/%lu/%lf%c", &wq, &minth, &maxth, &maxp, &tail) != 4 ||
		    !(wq > 0 && wq <= 1) || !(maxp > 0 && maxp <= 1) || minth >= maxth ||
		    maxth > 0xffffffffu)
			return ust__emu_fail(p, "'%s': '%s' is not w_q/min_th/max_th/max_p (e.g. 0.002/5/15/0.1)",
				    kw, val);
		c->red = is(kw, "red");
		c->gred = is(kw, "gred");
		c->w_q = wq;
		c->max_p = maxp;
		c->min_th = (uint32_t)minth;
		c->max_th = (uint32_t)maxth;
		*red_seen = true;
		return 0;
	}
	if (is(kw, "droptail")) {
		c->red = c->gred = false;
		return 0;
	}
	if (is(kw, "weight")) {
		if (opt_uint(p, kw, 1, UST_EMU_WEIGHT_MAX, &v))
			return -EINVAL;
		c->weight = (uint32_t)v;
		return 0;
	}
	if (is(kw, "priority") || is(kw, "prio")) {
		if (opt_uint(p, kw, 0, UST_EMU_PRIORITY_LEVELS - 1, &v))
			return -EINVAL;
		c->priority = (uint32_t)v;
		return 0;
	}
	if (is(kw, "buckets")) {
		if (opt_uint(p, kw, 1, UST_EMU_BUCKETS_MAX, &v))
			return -EINVAL;
		c->buckets = pow2_at_least(v);
		return 0;
	}
	if (is(kw, "flows")) {
		if (opt_uint(p, kw, 1, UST_EMU_FLOWS_MAX, &v))
			return -EINVAL;
		c->flows = (uint32_t)v;
		return 0;
	}
	return 1;
}

static void fs_defaults(struct ust_emu_fs_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->qlimit_slots = UST_EMU_QUEUE_SLOTS_DEFAULT;
	c->weight = 1;
	c->flows = UST_EMU_FLOWS_DEFAULT;
	c->buckets = UST_EMU_BUCKETS_DEFAULT;
}

static void sched_defaults(struct ust_emu_sched_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->alg = &ust__emu_sched_fifo;
	c->quantum = UST_EMU_DRR_QUANTUM_DEFAULT;
	c->flows = UST_EMU_FLOWS_DEFAULT;
	c->buckets = UST_EMU_BUCKETS_DEFAULT;
}

static int sched_option(struct ust_emu_parser *p, const char *kw, struct ust_emu_sched_cfg *c,
			bool *type_seen, bool *mask_seen, bool *quantum_seen)
{
	uint64_t v;
	if (is(kw, "type") || is(kw, "sched")) {
		const char *val;
		if (value(p, kw, &val))
			return -EINVAL;
		const struct ust_emu_sched_alg *alg = ust__emu_sched_find(val);
		if (!alg)
			return ust__emu_fail(p, "'%s': '%s' is not a scheduler (fifo, prio, drr, wf2q+, qfq)",
				    kw, val);
		c->alg = alg;
		*type_seen = true;
		return 0;
	}
	if (is(kw, "mask")) {
		if (opt_mask(p, &c->mask))
			return -EINVAL;
		*mask_seen = true;
		return 0;
	}
	if (is(kw, "quantum")) {
		if (opt_uint(p, kw, 64, 1u << 20, &v))
			return -EINVAL;
		c->quantum = (uint32_t)v;
		*quantum_seen = true;
		return 0;
	}
	return 1;
}

static struct ust_emu_loaded *loaded_find(struct ust_emu_loaded **list, bool trace,
					  const char *path)
{
	for (struct ust_emu_loaded *e = list ? *list : NULL; e; e = e->next)
		if ((e->trace != NULL) == trace && strcmp(e->path, path) == 0)
			return e;
	return NULL;
}

/* Remember data read from path (takes a reference). -ENOMEM. */
static int loaded_add(struct ust_emu_loaded **list, const char *path,
		      struct ust_emu_profile *profile, struct ust_emu_trace *trace)
{
	struct ust_emu_loaded *e = calloc(1, sizeof(*e));
	char *copy = strdup(path);
	if (!e || !copy) {
		free(e);
		free(copy);
		return -ENOMEM;
	}
	e->path = copy;
	e->profile = profile;
	e->trace = trace;
	if (profile)
		profile->refs++;
	if (trace)
		trace->refs++;
	e->next = *list;
	*list = e;
	return 0;
}

static void loaded_free(struct ust_emu_loaded *list)
{
	while (list) {
		struct ust_emu_loaded *next = list->next;
		ust__emu_profile_put(list->profile);
		ust__emu_trace_put(list->trace);
		free(list->path);
		free(list);
		list = next;
	}
}

/* The data of a profile (trace false) or trace file: from p->loaded, else read and parsed. */
static int load_file(struct ust_emu_parser *p, const char *kw, const char *path, bool trace,
		     struct ust_emu_profile **prof, struct ust_emu_trace **tr)
{
	struct ust_emu_loaded *e = loaded_find(p->loaded, trace, path);
	if (e) {
		if (trace)
			(*tr = e->trace)->refs++;
		else
			(*prof = e->profile)->refs++;
		return 0;
	}
	char *text = NULL;
	char m[UST_EMU_MSG_MAX];
	int err = ust__emu_read_file(path, &text, trace ? 64u << 20 : 1u << 20);
	if (err)
		return ust__emu_fail(p, "'%s': '%s': %s", kw, path, strerror(-err));
	err = trace ? ust__emu_trace_parse(text, tr, m, sizeof(m))
		    : ust__emu_profile_parse(text, prof, m, sizeof(m));
	free(text);
	if (err)
		return ust__emu_fail(p, "'%s': '%s': %s", kw, path, err == -EINVAL ? m : strerror(-err));
	if (p->loaded && loaded_add(p->loaded, path, trace ? NULL : *prof, trace ? *tr : NULL)) {
		if (trace) {
			ust__emu_trace_put(*tr);
			*tr = NULL;
		} else {
			ust__emu_profile_put(*prof);
			*prof = NULL;
		}
		return ust__emu_fail(p, "out of memory");
	}
	return 0;
}

static int load_profile(struct ust_emu_parser *p, const char *kw, const char *path,
			struct ust_emu_profile **out)
{
	return load_file(p, kw, path, false, out, NULL);
}

/* Options of the link (pipe only). 1: not ours. */
static int link_option(struct ust_emu_parser *p, const char *kw, struct ust_emu_link_cfg *l)
{
	const char *val;
	if (is(kw, "bw") || is(kw, "bandwidth")) {
		bool used;
		if (value(p, kw, &val))
			return -EINVAL;
		if (ust__emu_parse_bw2(val, peek(p, 0), &l->bw_bps, &used))
			return ust__emu_fail(p, "'%s': '%s' is not a bandwidth (use 10Mbit/s)", kw, val);
		if (used)
			p->i++;
		return 0;
	}
	if (is(kw, "delay"))
		return opt_time(p, kw, &l->delay_ns);
	if (is(kw, "burst")) {
		uint64_t v;
		bool bytes, used;
		if (value(p, kw, &val))
			return -EINVAL;
		if (ust__emu_parse_size(val, peek(p, 0), &v, &bytes, &used) || v > (1ull << 40))
			return ust__emu_fail(p, "'burst': '%s' is not a size in bytes (e.g. 15KBytes)", val);
		if (used)
			p->i++;
		l->burst_bytes = v;
		return 0;
	}
	if (is(kw, "profile")) {
		if (value(p, kw, &val))
			return -EINVAL;
		ust__emu_profile_put(l->profile);
		l->profile = NULL;
		if (load_profile(p, kw, val, &l->profile))
			return -EINVAL;
		snprintf(l->profile_path, sizeof(l->profile_path), "%s", val);
		return 0;
	}
	if (is(kw, "trace")) {
		if (value(p, kw, &val))
			return -EINVAL;
		ust__emu_trace_put(l->trace);
		l->trace = NULL;
		if (load_file(p, kw, val, true, NULL, &l->trace))
			return -EINVAL;
		snprintf(l->trace_path, sizeof(l->trace_path), "%s", val);
		return 0;
	}
	if (is(kw, "jitter")) {
		if (opt_time(p, kw, &l->jitter_ns))
			return -EINVAL;
		const char *d = peek(p, 0);
		l->jitter_dist = UST_EMU_JITTER_UNIFORM;
		if (is(d, "uniform"))
			p->i++;
		else if (is(d, "normal"))
			l->jitter_dist = UST_EMU_JITTER_NORMAL, p->i++;
		else if (is(d, "pareto"))
			l->jitter_dist = UST_EMU_JITTER_PARETO, p->i++;
		return 0;
	}
	if (is(kw, "jitter-table")) {
		if (value(p, kw, &val))
			return -EINVAL;
		ust__emu_profile_put(l->jitter_table);
		l->jitter_table = NULL;
		if (load_profile(p, kw, val, &l->jitter_table))
			return -EINVAL;
		l->jitter_dist = UST_EMU_JITTER_TABLE;
		snprintf(l->jitter_path, sizeof(l->jitter_path), "%s", val);
		return 0;
	}
	if (is(kw, "reorder")) {
		if (is(peek(p, 0), "gap")) {
			uint64_t g;
			p->i++;
			if (opt_uint(p, "gap", 2, 1u << 30, &g))
				return -EINVAL;
			l->reorder_gap = (uint32_t)g;
		} else if (opt_prob(p, kw, &l->reorder_p, &l->reorder_p64)) {
			return -EINVAL;
		}
		l->reorder_delay_ns = 10 * UST_NS_PER_MS;
		if (is(peek(p, 0), "delay")) {
			p->i++;
			if (opt_time(p, "reorder delay", &l->reorder_delay_ns))
				return -EINVAL;
		}
		return 0;
	}
	if (is(kw, "dup") || is(kw, "duplicate"))
		return opt_prob(p, kw, &l->dup_p, &l->dup_p64);
	if (is(kw, "corrupt"))
		return opt_prob(p, kw, &l->corrupt_p, &l->corrupt_p64);
	if (is(kw, "ge") || is(kw, "gilbert")) {
		l->ge = true;
		l->ge_loss_good = 0.0;
		l->ge_loss_bad = 1.0;
		if (opt_prob(p, kw, &l->ge_p, &l->ge_p64) || opt_prob(p, kw, &l->ge_r, &l->ge_r64))
			return -EINVAL;
		double d;
		if (peek(p, 0) && ust__emu_parse_prob(peek(p, 0), &d) == 0) {
			if (opt_prob(p, kw, &l->ge_loss_good, NULL) ||
			    opt_prob(p, kw, &l->ge_loss_bad, NULL))
				return -EINVAL;
		}
		l->ge_good64 = ust__emu_prob64(l->ge_loss_good);
		l->ge_bad64 = ust__emu_prob64(l->ge_loss_bad);
		return 0;
	}
	return 1;
}

/* --- pipe / queue / sched config --- */

static bool mask_eq(const struct ust_emu_mask *a, const struct ust_emu_mask *b)
{
	return a->src == b->src && a->dst == b->dst && a->sport == b->sport &&
	       a->dport == b->dport && a->proto == b->proto;
}

static bool fs_structural_change(const struct ust_emu_fs_cfg *a, const struct ust_emu_fs_cfg *b)
{
	return !mask_eq(&a->mask, &b->mask) || a->flows != b->flows || a->buckets != b->buckets ||
	       a->weight != b->weight || a->priority != b->priority || a->sched_id != b->sched_id;
}

static bool sched_structural_change(const struct ust_emu_sched_cfg *a,
				    const struct ust_emu_sched_cfg *b)
{
	return a->alg != b->alg || !mask_eq(&a->mask, &b->mask) || a->flows != b->flows ||
	       a->buckets != b->buckets;
}

static struct ust_emu_flowset *flowset_new(uint32_t id, const struct ust_emu_fs_cfg *cfg)
{
	struct ust_emu_flowset *fs = calloc(1, sizeof(*fs));
	if (!fs)
		return NULL;
	fs->buckets = calloc(cfg->buckets, sizeof(*fs->buckets));
	if (!fs->buckets) {
		free(fs);
		return NULL;
	}
	fs->id = id;
	fs->cfg = *cfg;
	fs->nbuckets = cfg->buckets;
	return fs;
}

/*
 * Install a pipe's new link/scheduler/default-queue settings. Packets in flight survive
 * changes of link parameters; a change of scheduler, masks, weights or bounds rebuilds the
 * instances (held packets are dropped and counted in drop_flush).
 */
static int pipe_commit(struct ust_emu *emu, struct ust_emu_parser *p, uint32_t id,
		       struct ust_emu_link_cfg *link, const struct ust_emu_sched_cfg *sched,
		       const struct ust_emu_fs_cfg *fscfg, bool as_pipe)
{
	struct ust_emu_pipe *pipe = ust__emu_pipe_find(emu, id);
	if (!pipe) {
		pipe = calloc(1, sizeof(*pipe));
		struct ust_emu_si **b = calloc(sched->buckets, sizeof(*b));
		struct ust_emu_flowset *fs = flowset_new(id, fscfg);
		if (!pipe || !b || !fs) {
			free(pipe);
			free(b);
			ust__emu_flowset_free(emu, fs);
			return ust__emu_fail(p, "out of memory");
		}
		pipe->id = id;
		pipe->link = *link;
		pipe->sched = *sched;
		pipe->buckets = b;
		pipe->nbuckets = sched->buckets;
		pipe->fs_default = fs;
		fs->is_default = true;
		fs->cfg.sched_id = id;
		fs->pipe = pipe;
		pipe->configured_as_pipe = as_pipe;
		pipe->next = emu->pipes;
		emu->pipes = pipe;
		memset(link, 0, sizeof(*link));	/* references moved */
		return 0;
	}
	struct ust_emu_fs_cfg nfs = *fscfg;
	nfs.sched_id = id;
	bool rebuild = sched_structural_change(&pipe->sched, sched) ||
		       fs_structural_change(&pipe->fs_default->cfg, &nfs);
	struct ust_emu_si **nb = NULL;
	struct ust_emu_queue **nqb = NULL;
	if (rebuild) {
		nb = calloc(sched->buckets, sizeof(*nb));
		nqb = calloc(nfs.buckets, sizeof(*nqb));
		if (!nb || !nqb) {
			free(nb);
			free(nqb);
			return ust__emu_fail(p, "out of memory");
		}
		ust__emu_pipe_flush(emu, pipe);
		free(pipe->buckets);
		pipe->buckets = nb;
		pipe->nbuckets = sched->buckets;
		free(pipe->fs_default->buckets);
		pipe->fs_default->buckets = nqb;
		pipe->fs_default->nbuckets = nfs.buckets;
		/* queues of other flowsets lived in the flushed instances; their tables are empty */
	}
	ust__emu_link_cfg_release(&pipe->link);
	pipe->link = *link;
	memset(link, 0, sizeof(*link));
	pipe->sched = *sched;
	pipe->fs_default->cfg = nfs;
	pipe->configured_as_pipe |= as_pipe;
	return 0;
}

static int cmd_pipe_config(struct ust_emu *emu, struct ust_emu_parser *p, uint32_t id)
{
	struct ust_emu_link_cfg link = { 0 };
	struct ust_emu_sched_cfg sched;
	struct ust_emu_fs_cfg fs;
	const struct ust_emu_pipe *old = ust__emu_pipe_find(emu, id);
	bool type_seen = false, mask_seen = false, quantum_seen = false, red_seen = false;
	sched_defaults(&sched);
	fs_defaults(&fs);
	int err = 0;
	while (!err && peek(p, 0)) {
		const char *kw = take(p);
		int r = link_option(p, kw, &link);
		if (r == 1)
			r = sched_option(p, kw, &sched, &type_seen, &mask_seen, &quantum_seen);
		if (r == 1)
			r = fs_option(p, kw, &fs, &red_seen);
		if (r == 1)
			r = ust__emu_fail(p, "'%s': unknown option", kw);
		err = r;
	}
	if (!err && red_seen) {
		uint64_t limit = fs.qlimit_bytes ? fs.qlimit_bytes : fs.qlimit_slots;
		if (fs.max_th > limit)
			err = ust__emu_fail(p, "'red': max_th %u is above the queue size %llu", fs.max_th,
				   (unsigned long long)limit);
	}
	if (err) {
		ust__emu_link_cfg_release(&link);
		return err;
	}
	/*
	 * A pipe without its own type/mask keeps what "sched N config" set; a quantum given
	 * on the line applies to the kept scheduler.
	 */
	if (old && !type_seen) {
		sched.alg = old->sched.alg;
		if (!quantum_seen)
			sched.quantum = old->sched.quantum;
	}
	if (old && !mask_seen)
		sched.mask = old->sched.mask;
	/* dummynet: the pipe's mask also splits its default queue per flow */
	fs.mask = sched.mask;
	sched.flows = fs.flows;
	sched.buckets = fs.buckets;
	err = pipe_commit(emu, p, id, &link, &sched, &fs, true);
	ust__emu_link_cfg_release(&link);	/* emptied by a successful commit */
	return err;
}

static int cmd_sched_config(struct ust_emu *emu, struct ust_emu_parser *p, uint32_t id)
{
	struct ust_emu_sched_cfg sched;
	struct ust_emu_fs_cfg dummy;
	bool type_seen = false, mask_seen = false, quantum_seen = false, red_seen = false;
	sched_defaults(&sched);
	fs_defaults(&dummy);
	while (peek(p, 0)) {
		const char *kw = take(p);
		int r = sched_option(p, kw, &sched, &type_seen, &mask_seen, &quantum_seen);
		if (r == 1 && (is(kw, "flows") || is(kw, "buckets"))) {
			r = fs_option(p, kw, &dummy, &red_seen);
			sched.flows = dummy.flows;
			sched.buckets = dummy.buckets;
		}
		if (r == 1)
			r = ust__emu_fail(p, "'%s': unknown option", kw);
		if (r)
			return r;
	}
	struct ust_emu_pipe *old = ust__emu_pipe_find(emu, id);
	struct ust_emu_link_cfg link = { 0 };
	struct ust_emu_fs_cfg fs;
	fs_defaults(&fs);
	if (old) {
		/* keep the link and the default queue; take references for the copy */
		link = old->link;
		if (link.profile)
			link.profile->refs++;
		if (link.trace)
			link.trace->refs++;
		if (link.jitter_table)
			link.jitter_table->refs++;
		fs = old->fs_default->cfg;
	}
	fs.mask = sched.mask;
	fs.flows = sched.flows;
	fs.buckets = sched.buckets;
	int err = pipe_commit(emu, p, id, &link, &sched, &fs, false);
	ust__emu_link_cfg_release(&link);	/* emptied by a successful commit */
	return err;
}

static int cmd_queue_config(struct ust_emu *emu, struct ust_emu_parser *p, uint32_t id)
{
	struct ust_emu_fs_cfg c;
	bool red_seen = false, pipe_seen = false;
	fs_defaults(&c);
	while (peek(p, 0)) {
		const char *kw = take(p);
		int r;
		if (is(kw, "pipe") || is(kw, "sched")) {
			uint64_t v;
			r = opt_uint(p, kw, 1, UST_EMU_ID_MAX, &v);
			c.sched_id = (uint32_t)v;
			pipe_seen = true;
		} else if (is(kw, "mask")) {
			r = opt_mask(p, &c.mask);
		} else {
			r = fs_option(p, kw, &c, &red_seen);
			if (r == 1)
				r = ust__emu_fail(p, "'%s': unknown option", kw);
		}
		if (r)
			return r;
	}
	if (!pipe_seen)
		return ust__emu_fail(p, "'pipe': missing (queue N config pipe M ...)");
	if (red_seen) {
		uint64_t limit = c.qlimit_bytes ? c.qlimit_bytes : c.qlimit_slots;
		if (c.max_th > limit)
			return ust__emu_fail(p, "'red': max_th %u is above the queue size %llu", c.max_th,
				    (unsigned long long)limit);
	}
	struct ust_emu_flowset *fs = ust__emu_flowset_find(emu, id);
	if (!fs) {
		fs = flowset_new(id, &c);
		if (!fs)
			return ust__emu_fail(p, "out of memory");
		fs->next = emu->flowsets;
		emu->flowsets = fs;
		return 0;
	}
	if (fs_structural_change(&fs->cfg, &c)) {
		struct ust_emu_queue **nb = calloc(c.buckets, sizeof(*nb));
		if (!nb)
			return ust__emu_fail(p, "out of memory");
		if (fs->pipe)
			ust__emu_pipe_flush(emu, fs->pipe);
		free(fs->buckets);
		fs->buckets = nb;
		fs->nbuckets = c.buckets;
	}
	fs->cfg = c;
	return 0;
}

static int cmd_object_delete(struct ust_emu *emu, struct ust_emu_parser *p, const char *what,
			     uint32_t id)
{
	if (is(what, "queue")) {
		struct ust_emu_flowset **pp = &emu->flowsets;
		while (*pp && (*pp)->id != id)
			pp = &(*pp)->next;
		if (!*pp)
			return ust__emu_fail(p, "'%u': no such queue", id);
		struct ust_emu_flowset *fs = *pp;
		if (fs->pipe)
			ust__emu_pipe_flush(emu, fs->pipe);
		*pp = fs->next;
		ust__emu_flowset_free(emu, fs);
		return 0;
	}
	struct ust_emu_pipe **pp = &emu->pipes;
	while (*pp && (*pp)->id != id)
		pp = &(*pp)->next;
	if (!*pp)
		return ust__emu_fail(p, "'%u': no such %s", id, what);
	struct ust_emu_pipe *pipe = *pp;
	*pp = pipe->next;
	ust__emu_pipe_free(emu, pipe);
	return 0;
}

/* pipe|queue|sched ... */
static int cmd_object(struct ust_emu *emu, struct ust_emu_parser *p, const char *what, char *out,
		      size_t outlen)
{
	const char *w = take(p);
	uint64_t v;
	if (!w || is(w, "show") || is(w, "list")) {
		if (out && outlen)
			ust__emu_show(emu, out, outlen);
		return 0;
	}
	if (is(w, "flush")) {
		if (is(what, "queue")) {
			while (emu->flowsets)
				cmd_object_delete(emu, p, "queue", emu->flowsets->id);
		} else {
			while (emu->pipes)
				cmd_object_delete(emu, p, "pipe", emu->pipes->id);
		}
		return 0;
	}
	if (is(w, "delete")) {	/* "pipe delete N [N...]" */
		const char *nw;
		if (!peek(p, 0))
			return ust__emu_fail(p, "'delete': missing number");
		for (int k = 0; (nw = peek(p, k)) != NULL; k++)
			if (ust__emu_parse_uint(nw, 1, UST_EMU_ID_MAX, &v))
				return ust__emu_fail(p, "'%s' is not a %s number", nw, what);
		for (int k = 0; (nw = peek(p, k)) != NULL; k++) {
			ust__emu_parse_uint(nw, 1, UST_EMU_ID_MAX, &v);
			bool exists = is(what, "queue") ? ust__emu_flowset_find(emu, (uint32_t)v) != NULL
							 : ust__emu_pipe_find(emu, (uint32_t)v) != NULL;
			if (!exists)
				return ust__emu_fail(p, "'%s': no such %s", nw, what);
		}
		while ((nw = take(p)) != NULL) {
			ust__emu_parse_uint(nw, 1, UST_EMU_ID_MAX, &v);
			cmd_object_delete(emu, p, what, (uint32_t)v);
		}
		return 0;
	}
	if (ust__emu_parse_uint(w, 1, UST_EMU_ID_MAX, &v))
		return ust__emu_fail(p, "'%s' is not a %s number (1..%u)", w, what, UST_EMU_ID_MAX);
	uint32_t id = (uint32_t)v;
	const char *verb = take(p);
	snprintf(p->ctx, sizeof(p->ctx), "%s %u %s", what, id, verb ? verb : "");
	if (is(verb, "config")) {
		if (is(what, "pipe"))
			return cmd_pipe_config(emu, p, id);
		if (is(what, "queue"))
			return cmd_queue_config(emu, p, id);
		return cmd_sched_config(emu, p, id);
	}
	if (is(verb, "delete")) {
		if (peek(p, 0))
			return ust__emu_fail(p, "'%s': unexpected word", peek(p, 0));
		return cmd_object_delete(emu, p, what, id);
	}
	if (is(verb, "show") || is(verb, "list")) {
		if (out && outlen)
			ust__emu_show(emu, out, outlen);
		return 0;
	}
	return ust__emu_fail(p, "'%s': expected config, delete or show", verb ? verb : "end of line");
}

static int tokenize(struct ust_emu_parser *p, char *buf)
{
	char *hash = strchr(buf, '#');
	if (hash)
		*hash = '\0';
	char *save = NULL;
	for (char *t = strtok_r(buf, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
		if (p->n == UST_EMU_WORDS_MAX)
			return -E2BIG;
		p->w[p->n++] = t;
	}
	return 0;
}

int ust_emu_command(struct ust_emu *emu, const char *line, char *out, size_t outlen,
		    uint64_t now)
{
	struct ust_emu_parser p = { .msg = out, .msglen = outlen, .now = now,
				    .loaded = emu ? emu->loaded : NULL };
	if (out && outlen)
		out[0] = '\0';
	if (!emu || !line)
		return -EINVAL;
	if (now > emu->now)
		ust_emu_advance(emu, now);
	size_t len = strnlen(line, UST_EMU_LINE_MAX + 1);
	snprintf(p.ctx, sizeof(p.ctx), "config");
	if (len > UST_EMU_LINE_MAX) {
		emu->counters.config_refused++;
		return ust__emu_fail(&p, "line longer than %u characters", UST_EMU_LINE_MAX);
	}
	char buf[UST_EMU_LINE_MAX + 1];
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (tokenize(&p, buf)) {
		emu->counters.config_refused++;
		return ust__emu_fail(&p, "more than %u words", UST_EMU_WORDS_MAX);
	}
	if (is(peek(&p, 0), "ipfw") || is(peek(&p, 0), "dnctl"))
		p.i++;
	if (is(peek(&p, 0), "-q"))
		p.i++;
	const char *cmd = take(&p);
	int err;
	if (!cmd) {
		return 0;	/* blank line or comment */
	}
	snprintf(p.ctx, sizeof(p.ctx), "%s", cmd);
	if (is(cmd, "pipe") || is(cmd, "queue") || is(cmd, "sched")) {
		char what[8];
		snprintf(what, sizeof(what), "%s", is(cmd, "pipe") ? "pipe" : is(cmd, "queue") ? "queue" : "sched");
		err = cmd_object(emu, &p, what, out, outlen);
	} else if (is(cmd, "add")) {
		err = ust__emu_cmd_add(emu, &p);
	} else if (is(cmd, "delete")) {
		err = ust__emu_cmd_delete_rules(emu, &p);
	} else if (is(cmd, "flush")) {
		emu->nrules = 0;
		err = 0;
	} else if (is(cmd, "show") || is(cmd, "list")) {
		if (out && outlen)
			ust__emu_show(emu, out, outlen);
		err = 0;
	} else {
		err = ust__emu_fail(&p, "unknown command (pipe, queue, sched, add, delete, flush, show)");
	}
	if (err) {
		emu->counters.config_refused++;
		return err;
	}
	emu->counters.config_ok++;
	ust__emu_resolve(emu);
	return 0;
}

static int apply_lines(struct ust_emu *emu, const char *text, char *out, size_t outlen,
		       uint64_t now)
{
	char line[UST_EMU_LINE_MAX + 2];
	char m[UST_EMU_MSG_MAX];
	unsigned lineno = 0;
	while (text && *text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		lineno++;
		if (len > UST_EMU_LINE_MAX) {
			if (out && outlen)
				snprintf(out, outlen, "line %u: longer than %u characters", lineno,
					 UST_EMU_LINE_MAX);
			return -EINVAL;
		}
		memcpy(line, text, len);
		line[len] = '\0';
		int err = ust_emu_command(emu, line, m, sizeof(m), now);
		if (err) {
			if (out && outlen)
				snprintf(out, outlen, "line %u: %s", lineno, m);
			return err;
		}
		text += len + (nl ? 1 : 0);
	}
	return 0;
}

/* The configuration emu has now, as lines ("show" output re-applies), malloc'd; NULL: no memory. */
static char *current_config(const struct ust_emu *emu)
{
	for (size_t cap = 4096; cap <= (64u << 20); cap *= 4) {
		char *buf = malloc(cap);
		if (!buf)
			return NULL;
		if (ust__emu_show(emu, buf, cap) + 1 < cap)
			return buf;
		free(buf);
	}
	return NULL;
}

/* The profiles and traces emu holds now, under the paths "show" prints for them. */
static int loaded_current(const struct ust_emu *emu, struct ust_emu_loaded **list)
{
	for (const struct ust_emu_pipe *pipe = emu->pipes; pipe; pipe = pipe->next) {
		const struct ust_emu_link_cfg *l = &pipe->link;
		if (l->profile && !loaded_find(list, false, l->profile_path) &&
		    loaded_add(list, l->profile_path, l->profile, NULL))
			return -ENOMEM;
		if (l->jitter_table && !loaded_find(list, false, l->jitter_path) &&
		    loaded_add(list, l->jitter_path, l->jitter_table, NULL))
			return -ENOMEM;
		if (l->trace && !loaded_find(list, true, l->trace_path) &&
		    loaded_add(list, l->trace_path, NULL, l->trace))
			return -ENOMEM;
	}
	return 0;
}

/*
 * All or nothing: the text is first rehearsed on a scratch instance that holds the current
 * configuration; only if every line is accepted there is it applied to emu.
 *
 * The scratch copy is rebuilt from "show" with the profiles and traces emu already holds
 * (not the files, which may have changed or gone). Files the text names are read once, in
 * the rehearsal, and the real pass takes the same data from memory: every line that can
 * fail on content or on the file system fails in the rehearsal. Only running out of memory
 * in the real pass can still stop it part way (the lines before stay applied).
 */
int ust_emu_configure(struct ust_emu *emu, const char *text, char *out, size_t outlen,
		      uint64_t now)
{
	struct ust_emu_config cfg = { .now = now, .granularity_ns = emu->wheel.granularity,
				      .seed = emu->seed, .pool = { emu->pool[0], emu->pool[1] } };
	struct ust_emu *scratch;
	struct ust_emu_loaded *current_files = NULL, *new_files = NULL;
	int err = ust_emu_create(&scratch, &cfg);
	if (err) {
		if (out && outlen)
			snprintf(out, outlen, "cannot check the configuration: %s", strerror(-err));
		return err;
	}
	char *current = current_config(emu);
	if (!current || loaded_current(emu, &current_files)) {
		err = -ENOMEM;
		if (out && outlen)
			snprintf(out, outlen, "cannot check the configuration: %s", strerror(ENOMEM));
	} else {
		scratch->loaded = &current_files;
		if (apply_lines(scratch, current, NULL, 0, now) != 0) {
			err = -EIO;
			if (out && outlen)
				snprintf(out, outlen,
					 "cannot check the configuration: the current one does not re-apply");
		} else {
			scratch->loaded = &new_files;
			err = apply_lines(scratch, text, out, outlen, now);
		}
		scratch->loaded = NULL;
	}
	free(current);
	ust_emu_destroy(scratch);
	loaded_free(current_files);
	if (!err) {
		emu->loaded = &new_files;
		err = apply_lines(emu, text, out, outlen, now);
		emu->loaded = NULL;
	}
	loaded_free(new_files);
	return err;
}

int ust_emu_configure_file(struct ust_emu *emu, const char *path, char *out, size_t outlen,
			   uint64_t now)
{
	char *text = NULL;
	int err = ust__emu_read_file(path, &text, 16u << 20);
	if (err) {
		if (out && outlen)
			snprintf(out, outlen, "%s: %s", path, strerror(-err));
		return err;
	}
	err = ust_emu_configure(emu, text, out, outlen, now);
	free(text);
	return err;
}
