/*
 * Congestion control on the pair link: the stack-wide default (ust_stack_config.tcp_congestion,
 * TCP_CONGESTION overriding it, unknown names refused at creation), and the window a bulk
 * transfer actually gets after one induced loss, sampled from the control block every RTT
 * and held against the RFC formulas: NewReno (RFC 5681 / 6582: ssthresh = max(FlightSize/2,
 * 2 SMSS), then about 1 SMSS per RTT) and CUBIC (RFC 9438: ssthresh = FlightSize * 0.7,
 * W_cubic(t) = C (t - K)^3 + W_max). The link has no bandwidth limit, so each round of
 * segments leaves and is acknowledged at one instant; the dropped segment is the first of a
 * round, so that the ACKs which reveal its loss are all duplicates.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "io/backend.h"
#include "tcp_harness.h"

static void cc_name(struct ust_stack *st, int sd, char *out, size_t cap)
{
	socklen_t n = (socklen_t)cap;
	memset(out, 0, cap);
	assert_int_equal(ust_getsockopt(st, sd, IPPROTO_TCP, TCP_CONGESTION, out, &n), 0);
}

static void default_is_cubic(void **state)
{
	(void)state;
	struct sim s;
	char nm[16];
	assert_int_equal(sim_init(&s, NULL), 0);
	int l = tsim_listen(s.b, 80, 8);
	int c = tsim_connect(s.a, SIM_IP_B, 80);
	cc_name(s.a, c, nm, sizeof(nm));
	assert_string_equal(nm, "cubic");
	int d = tsim_accept(&s, s.b, l, SIM_SEC);
	assert_true(d >= 0);
	cc_name(s.b, d, nm, sizeof(nm));
	assert_string_equal(nm, "cubic");
	assert_ptr_equal(ust__tcp_tcb(s.b, d)->cc.ops, &ust_tcp_cc_cubic);
	sim_fini(&s);
}

static void stack_default_newreno(void **state)
{
	(void)state;
	struct sim s;
	struct sim_opts o = { .tcp_congestion = "newreno" };
	char nm[16];
	assert_int_equal(sim_init(&s, &o), 0);
	int l = tsim_listen(s.b, 80, 8);
	int c = tsim_connect(s.a, SIM_IP_B, 80);
	cc_name(s.a, c, nm, sizeof(nm));
	assert_string_equal(nm, "newreno");
	/* TCP_CONGESTION still overrides the stack's default for one socket */
	int c2 = tsim_connect(s.a, SIM_IP_B, 80);
	assert_int_equal(ust_setsockopt(s.a, c2, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5), 0);
	int d = tsim_accept(&s, s.b, l, SIM_SEC);
	int d2 = tsim_accept(&s, s.b, l, SIM_SEC);
	assert_true(d >= 0 && d2 >= 0);
	/* the connection actually runs the module (passive side too: children take the default) */
	assert_ptr_equal(ust__tcp_tcb(s.a, c)->cc.ops, &ust_tcp_cc_newreno);
	assert_ptr_equal(ust__tcp_tcb(s.a, c2)->cc.ops, &ust_tcp_cc_cubic);
	assert_ptr_equal(ust__tcp_tcb(s.b, d)->cc.ops, &ust_tcp_cc_newreno);
	assert_ptr_equal(ust__tcp_tcb(s.b, d2)->cc.ops, &ust_tcp_cc_newreno);
	cc_name(s.b, d, nm, sizeof(nm));
	assert_string_equal(nm, "newreno");
	sim_fini(&s);
}

static void unknown_name_refused(void **state)
{
	(void)state;
	struct ust_pool_config pc = { .count = 256, .buf_size = 2048, .headroom = 128 };
	struct ust_pool *pa, *pb;
	assert_int_equal(ust_pool_create(&pa, &pc), 0);
	assert_int_equal(ust_pool_create(&pb, &pc), 0);
	struct ust_pair_config lc = { 0 };
	struct ust_backend *ea, *eb;
	assert_int_equal(ust_pair_create(&ea, &eb, pa, pb, &lc), 0);
	struct ust_stack_config cfg = { .ip = "10.0.0.2/24", .seed = 2, .tcp_congestion = "bbr" };
	struct ust_stack *st = (struct ust_stack *)0x1;
	const char *why = NULL;
	assert_int_equal(ust_stack_create_on(&st, eb, &cfg, &why), -ENOENT);	/* eb is closed */
	assert_non_null(why);
	assert_non_null(strstr(why, "tcp_congestion"));
	ust_backend_close(ea);
	ust_pool_destroy(pa);
	ust_pool_destroy(pb);
	assert_string_equal(ust_tcp_congestion_builtin(0), "newreno");
	assert_string_equal(ust_tcp_congestion_builtin(1), "cubic");
	assert_null(ust_tcp_congestion_builtin(2));
}

/* --- window evolution after one loss --- */

#define RTT_NS (100 * SIM_MS)	/* long enough for CUBIC to leave the Reno-friendly region */

struct drop_one {
	uint64_t last_data_ns;	/* when A last sent data */
	uint64_t data_frames;
	uint32_t dropped_seq;
	bool dropped;
	uint64_t after;		/* drop the first segment of the first round after this many */
};

static unsigned drop_hook(struct sim *s, int dir, struct ust_pool *pool, struct ust_pkt *pkt, uint64_t *delay_ns)
{
	(void)delay_ns;
	struct drop_one *d = s->opts.arg;
	const uint8_t *f = ust_pkt_data(pool, pkt);
	if (dir != 0 || pkt->len < 54 || f[23] != 6)
		return 1;
	uint32_t ihl = (f[14] & 0xfu) * 4u, tot = ust_get_be16(f + 16);
	const uint8_t *t = f + 14 + ihl;
	uint32_t doff = (t[12] >> 4) * 4u;
	if (tot <= ihl + doff)
		return 1;
	bool round_start = s->now >= d->last_data_ns + RTT_NS / 2;
	d->last_data_ns = s->now;
	d->data_frames++;
	if (!d->dropped && round_start && d->data_frames > d->after) {
		d->dropped = true;
		d->dropped_seq = ust_get_be32(t + 4);
		return 0;
	}
	return 1;
}

struct sample {
	uint64_t t;
	uint32_t cwnd, ssthresh, flight;
	bool in_recovery;
};

#define MAX_SAMPLES 20000

struct run {
	struct sim s;
	struct drop_one drop;
	int c, d;
	struct ust__tcb *tcb;
	struct sample *v;
	unsigned n;
	/* at the first sample in recovery */
	unsigned entry;		/* index of that sample; entry - 1 is the last one before it */
	uint32_t entry_flightsize, entry_ssthresh, entry_cwnd;
	unsigned exit;		/* index of the first sample after recovery */
};

/* Bulk A -> B, sampling every ms, until `dur` after recovery ended. */
static void run_bulk(struct run *r, const char *cc, uint64_t after_frames, uint64_t dur)
{
	static uint8_t buf[65536];
	struct sim_opts o = { .delay_ns = RTT_NS / 2, .buffers = 8192, .impair = drop_hook, .arg = &r->drop,
			      .tcp_congestion = cc };
	memset(r, 0, sizeof(*r));
	r->drop.after = after_frames;
	o.arg = &r->drop;
	assert_int_equal(sim_init(&r->s, &o), 0);
	struct sim *s = &r->s;
	int l = tsim_listen(s->b, 5001, 8);
	r->c = tsim_connect(s->a, SIM_IP_B, 5001);
	r->d = tsim_accept(s, s->b, l, 10 * SIM_SEC);
	assert_true(r->d >= 0);
	r->tcb = ust__tcp_tcb(s->a, r->c);
	r->v = calloc(MAX_SAMPLES, sizeof(*r->v));
	assert_non_null(r->v);
	uint64_t stop = UINT64_MAX;
	memset(buf, 'x', sizeof(buf));
	while (s->now < stop && r->n < MAX_SAMPLES) {
		while (ust_write(s->a, r->c, buf, sizeof(buf)) > 0)
			;
		while (ust_read(s->b, r->d, buf, sizeof(buf)) > 0)
			;
		sim_run(s, SIM_MS);
		struct ust__tcb *t = r->tcb;
		struct sample *x = &r->v[r->n];
		x->t = s->now;
		x->cwnd = t->cc.conn.cwnd;
		x->ssthresh = t->cc.conn.ssthresh;
		x->flight = t->snd_max - t->snd_una;
		x->in_recovery = t->cc.conn.in_recovery;
		if (x->in_recovery && !r->entry) {
			r->entry = r->n;
			/* FlightSize when recovery began: SND.NXT then is recover + 1 */
			r->entry_flightsize = t->cc.recover + 1 - t->cc.conn.snd_una;
			r->entry_ssthresh = x->ssthresh;
			r->entry_cwnd = x->cwnd;
		}
		if (r->entry && !r->exit && !x->in_recovery) {
			r->exit = r->n;
			stop = s->now + dur;
		}
		r->n++;
	}
	assert_true(r->drop.dropped);
	assert_true(r->entry > 0);
	assert_true(r->exit > r->entry);
	/* one loss, repaired by fast retransmit: no timeout, nothing else resent */
	assert_int_equal(sim_counter(s->a, "tcp.rto_timeouts"), 0);
	assert_int_equal(sim_counter(s->a, "tcp.fast_retransmits"), 1);
	assert_int_equal(r->tcb->total_retrans, 1);
	printf("%s: dropped seq %u after %llu frames; before: cwnd %u; entry: FlightSize %u ssthresh %u cwnd %u; "
	       "exit at +%.3f s cwnd %u\n", cc, r->drop.dropped_seq, (unsigned long long)r->drop.data_frames,
	       r->v[r->entry - 1].cwnd, r->entry_flightsize, r->entry_ssthresh, r->entry_cwnd,
	       (double)(r->v[r->exit].t - r->v[r->entry].t) / 1e9, r->v[r->exit].cwnd);
}

static void run_fini(struct run *r)
{
	free(r->v);
	sim_fini(&r->s);
}

/* The sample closest to time t (samples are 1 ms apart). */
static const struct sample *at(const struct run *r, uint64_t t)
{
	unsigned i = r->exit;
	while (i + 1 < r->n && r->v[i].t < t)
		i++;
	return &r->v[i];
}

static void newreno_window(void **state)
{
	(void)state;
	struct run r;
	run_bulk(&r, "newreno", 100, 30 * RTT_NS);
	uint32_t smss = r.tcb->cc.conn.smss;
	/* RFC 5681 eq. (4) / RFC 6582 step 2: ssthresh = max(FlightSize / 2, 2 SMSS), cwnd = ssthresh */
	uint32_t want = UST_MAX(r.entry_flightsize / 2, 2 * smss);
	assert_int_equal(r.entry_ssthresh, want);
	assert_int_equal(r.entry_cwnd, want);
	/* the window before the loss was at least the flight (slow start was cwnd-limited) */
	assert_true(r.v[r.entry - 1].cwnd >= r.entry_flightsize - 3 * smss);
	/* RFC 6582 step 3: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS) at the full ACK */
	assert_true(r.v[r.exit].cwnd <= want);
	/* congestion avoidance: about one SMSS per RTT (RFC 5681 3.1, RFC 3465 byte counting) */
	uint64_t t0 = r.v[r.exit].t + RTT_NS;
	uint32_t prev = at(&r, t0)->cwnd;
	uint32_t first = prev;
	for (int k = 1; k <= 25; k++) {
		uint32_t w = at(&r, t0 + (uint64_t)k * RTT_NS)->cwnd;
		assert_true(w >= prev);
		assert_true(w - prev <= 2 * smss);
		prev = w;
	}
	double per_rtt = (double)(prev - first) / smss / 25.0;
	printf("newreno: %.2f SMSS per RTT over 25 RTTs (cwnd %u -> %u)\n", per_rtt, first, prev);
	assert_true(per_rtt >= 0.9 && per_rtt <= 1.1);
	assert_true(r.v[r.n - 1].ssthresh == want);	/* no second reduction */
	run_fini(&r);
}

static void cubic_window(void **state)
{
	(void)state;
	struct run r;
	run_bulk(&r, "cubic", 100, 60 * RTT_NS);
	uint32_t smss = r.tcb->cc.conn.smss;
	/* RFC 9438 4.6: ssthresh = max(flight_size * beta_cubic, 2 SMSS), cwnd = ssthresh */
	double want = UST_MAX(r.entry_flightsize * UST_TCP_CUBIC_BETA, 2.0 * smss);
	assert_true(fabs((double)r.entry_ssthresh - want) <= 1.0);
	assert_true(fabs((double)r.entry_cwnd - want) <= 1.0);

	/* W_max is the window just before the reduction (first loss: no fast convergence); the
	 * round that revealed the loss grew nothing, so it is the last sample before entry */
	struct ust_tcp_cubic_view cv;
	ust__tcp_cubic_view(&r.tcb->cc, &cv);
	double w_max = (double)r.v[r.entry - 1].cwnd / smss;
	assert_true(fabs(cv.w_max - w_max) < 0.01);
	/* the epoch starts at the first ACK in congestion avoidance, within an RTT of the full ACK */
	assert_true(cv.epoch_valid);
	assert_true(cv.epoch_start_ns >= r.v[r.exit - 1].t && cv.epoch_start_ns <= r.v[r.exit].t + RTT_NS);
	double cwnd_epoch = (double)r.v[r.exit].cwnd / smss;
	double k = cbrt((w_max - cwnd_epoch) / UST_TCP_CUBIC_C);
	assert_true(fabs(cv.k - k) < 0.05);
	printf("cubic: W_max %.1f segments, cwnd_epoch %.1f, K %.3f s\n", w_max, cwnd_epoch, k);
	/* cwnd follows W_cubic(t) through the concave region, the plateau and into the convex one */
	unsigned checked = 0;
	for (uint64_t t = 2 * RTT_NS; cv.epoch_start_ns + t < r.v[r.n - 1].t; t += RTT_NS) {
		double ts = (double)t / 1e9;
		double w = UST_TCP_CUBIC_C * pow(ts - k, 3) + w_max;
		double got = (double)at(&r, cv.epoch_start_ns + t)->cwnd / smss;
		double reno = cwnd_epoch + 3.0 * (1 - UST_TCP_CUBIC_BETA) / (1 + UST_TCP_CUBIC_BETA) * ts / ((double)RTT_NS / 1e9);
		if (getenv("TSIM_DEBUG"))
			printf("t %.2f s: cwnd %.1f W_cubic %.1f W_est ~%.1f\n", ts, got, w, reno);
		assert_true(w > reno);	/* the test is meant to stay out of the Reno-friendly region */
		assert_true(fabs(got - w) <= 0.03 * w + 1.0);
		checked++;
	}
	assert_true(checked >= 40);
	assert_true(at(&r, cv.epoch_start_ns + (uint64_t)((k + 1.0) * 1e9))->cwnd > w_max * smss); /* convex */
	run_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_is_cubic),
		cmocka_unit_test(stack_default_newreno),
		cmocka_unit_test(unknown_name_refused),
		cmocka_unit_test(newreno_window),
		cmocka_unit_test(cubic_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
