/* CUBIC (RFC 9438) against the RFC formulas computed here with doubles: K, W_cubic(t),
 * window tracking W_cubic over time, the 1.5x target cap, the Reno-friendly region with the
 * alpha_cubic -> 1 switch, fast convergence, RTO behaviour, slow start, and HyStart++
 * (RFC 9406): no exit on flat RTT, CSS entry on an RTT rise, CSS growth, exit to CA after
 * CSS_ROUNDS, back to slow start on a spurious rise, end on loss. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "net/tcp_cc.h"

#define MSS 1000u
#define NS 1000000000ull

static const double Cc = 0.4, B = 0.7;

static double seg(const struct ust_tcp_cc *cc)
{
	return (double)cc->conn.cwnd / MSS;
}

/* A CUBIC connection in CA at cwnd segs that just lost a packet and recovered (SACK). */
static void lose_at(struct ust_tcp_cc *cc, uint32_t segs, uint32_t *una, uint64_t now)
{
	assert_true(ust_tcp_cc_enter_recovery(cc, *una, *una + segs * MSS, segs * MSS, now));
	*una += segs * MSS;
	assert_true(ust_tcp_cc_on_ack(cc, *una, segs * MSS, (uint32_t)(segs * MSS * B), 0, now) &
		    UST_TCP_CC_EXITED);
}

static void test_reduction_and_k(void **state)
{
	struct ust_tcp_cc cc;
	struct ust_tcp_cubic_view v;
	uint32_t una = 1;

	(void)state;
	ust_tcp_cc_init(&cc, &ust_tcp_cc_cubic, MSS, 0, true, 0);
	ust_tcp_cc_set_rtt(&cc, 100000, 100000);
	cc.conn.cwnd = 100 * MSS;
	cc.conn.ssthresh = 50 * MSS;
	lose_at(&cc, 100, &una, 0);
	ust__tcp_cubic_view(&cc, &v);
	assert_true(fabs(v.w_max - 100) < 1e-9);
	assert_true(fabs(v.cwnd_prior - 100) < 1e-9);
	assert_int_equal(cc.conn.ssthresh, 70 * MSS);	/* FlightSize * beta */
	assert_int_equal(cc.conn.cwnd, 70 * MSS);
	assert_false(v.epoch_valid);
	/* the first CA ACK starts the epoch: K = cbrt(W_max (1 - beta) / C) */
	ust_tcp_cc_on_ack(&cc, una += MSS, MSS, 69 * MSS, 0, 10 * NS);
	ust__tcp_cubic_view(&cc, &v);
	assert_true(v.epoch_valid);
	assert_int_equal(v.epoch_start_ns, 10 * NS);
	assert_true(fabs(v.cwnd_epoch - 70) < 1e-9);
	assert_true(fabs(v.k - cbrt(100 * (1 - B) / Cc)) < 1e-9);
	assert_true(fabs(v.k - 4.217163326508746) < 1e-9);
	double ts[] = { 0, 0.5, 1, 2, 3, 4.217163326508746, 5, 6.5, 8, 12 };
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		double want = Cc * pow(ts[i] - v.k, 3) + 100;
		assert_true(fabs(ust__tcp_cubic_w(&cc, ts[i]) - want) < 1e-9);
	}
	assert_true(fabs(ust__tcp_cubic_w(&cc, 0) - 70) < 1e-9);	/* W(0) = cwnd_epoch */
	assert_true(fabs(ust__tcp_cubic_w(&cc, v.k) - 100) < 1e-9);	/* plateau at W_max */
}

/* ACK clock: cwnd worth of one-segment ACKs per RTT, for `secs` seconds. Checks that cwnd
 * follows the cubic curve: W(t) - 1 <= cwnd(t) <= W(t + RTT) + 1 in the cubic region. */
static void test_tracks_cubic_curve(void **state)
{
	struct ust_tcp_cc cc;
	struct ust_tcp_cubic_view v;
	uint32_t una = 1;
	const double rtt = 0.1;
	uint64_t now = 10 * NS;
	int checked = 0, reno = 0;

	(void)state;
	ust_tcp_cc_init(&cc, &ust_tcp_cc_cubic, MSS, 0, true, 0);
	ust_tcp_cc_set_rtt(&cc, 100000, 100000);
	cc.conn.cwnd = 100 * MSS;
	cc.conn.ssthresh = 50 * MSS;
	lose_at(&cc, 100, &una, now);
	ust_tcp_cc_on_ack(&cc, una += MSS, MSS, cc.conn.cwnd, 0, now);
	ust__tcp_cubic_view(&cc, &v);
	uint64_t start = v.epoch_start_ns;
	while (now - start < 8 * NS) {
		uint32_t n = cc.conn.cwnd / MSS;
		uint64_t step = (uint64_t)(rtt * 1e9) / n;
		for (uint32_t i = 0; i < n; i++) {
			now += step;
			ust_tcp_cc_on_ack(&cc, una += MSS, MSS, cc.conn.cwnd, 0, now);
		}
		double t = (double)(now - start) / 1e9;
		double lo = Cc * pow(t - v.k, 3) + 100;
		double hi = Cc * pow(t + rtt - v.k, 3) + 100;
		ust__tcp_cubic_view(&cc, &v);
		if (v.w_est < lo) {
			/* cubic region */
			assert_true(seg(&cc) >= lo - 1.0);
			assert_true(seg(&cc) <= hi + 1.0);
			checked++;
		} else {
			/* Reno-friendly region (late here: W_est passed cwnd_prior, alpha = 1) */
			assert_true(t > 5.0);
			assert_true(fabs(seg(&cc) - v.w_est) < 0.01);
			reno++;
		}
	}
	assert_true(checked > 40);
	assert_true(reno > 0);
	/* concave then convex: near K it is at W_max, at 8 s well above */
	assert_true(seg(&cc) > 100 + Cc * pow(8 - 4.2172 - 0.2, 3));
}

/* RFC 9438 5.8: no growth while not cwnd-limited, and the pause is left out of t, so
 * W_cubic goes on from where it stopped instead of jumping by the pause's length. */
static void test_not_cwnd_limited(void **state)
{
	struct ust_tcp_cc cc;
	struct ust_tcp_cubic_view v;
	uint32_t una = 1;
	const uint64_t rtt = NS / 10;
	uint64_t now = 10 * NS;

	(void)state;
	ust_tcp_cc_init(&cc, &ust_tcp_cc_cubic, MSS, 0, true, 0);
	ust_tcp_cc_set_rtt(&cc, 100000, 100000);
	cc.conn.cwnd = 100 * MSS;
	cc.conn.ssthresh = 50 * MSS;
	lose_at(&cc, 100, &una, now);
	/* 2 s of cwnd-limited ACK clock: each round the sender is blocked by cwnd */
	for (int round = 0; round < 20; round++) {
		uint32_t n = cc.conn.cwnd / MSS;
		ust_tcp_cc_on_output(&cc, una, una + n * MSS, n * MSS, true);
		for (uint32_t i = 0; i < n; i++) {
			now += rtt / n;
			ust_tcp_cc_on_ack(&cc, una += MSS, MSS, cc.conn.cwnd, 0, now);
		}
	}
	ust__tcp_cubic_view(&cc, &v);
	uint64_t start = v.epoch_start_ns;
	uint32_t before = cc.conn.cwnd;
	double w_est = v.w_est;
	double t_active = (double)(now - start) / 1e9;
	assert_true(before > 70 * MSS && before < 100 * MSS);	/* concave region, below W_max */
	/* 10 s limited by the receiver: 40 segments a round, never blocked by cwnd */
	for (int round = 0; round < 100; round++) {
		ust_tcp_cc_on_output(&cc, una, una + 40 * MSS, 40 * MSS, false);
		for (int i = 0; i < 40; i++) {
			now += rtt / 40;
			ust_tcp_cc_on_ack(&cc, una += MSS, MSS, 39 * MSS, 0, now);
		}
	}
	ust__tcp_cubic_view(&cc, &v);
	assert_int_equal(cc.conn.cwnd, before);
	assert_true(fabs(v.w_est - w_est) < 1e-9);
	assert_int_equal(v.epoch_start_ns, start);
	/* blocked again: the first ACK moves the epoch forward by the pause */
	uint32_t n = cc.conn.cwnd / MSS;
	ust_tcp_cc_on_output(&cc, una, una + n * MSS, n * MSS, true);
	now += rtt / n;
	ust_tcp_cc_on_ack(&cc, una += MSS, MSS, cc.conn.cwnd, 0, now);
	ust__tcp_cubic_view(&cc, &v);
	assert_true(v.epoch_valid);
	double t = (double)(now - v.epoch_start_ns) / 1e9;
	assert_true(fabs(t - t_active) < 0.1);
	/* one more round: cwnd follows W_cubic at the active time (no 10 s jump) */
	for (uint32_t i = 1; i < n; i++) {
		now += rtt / n;
		ust_tcp_cc_on_ack(&cc, una += MSS, MSS, cc.conn.cwnd, 0, now);
	}
	t = (double)(now - v.epoch_start_ns) / 1e9;
	assert_true(seg(&cc) <= Cc * pow(t + 0.1 - v.k, 3) + v.w_max + 1.0);
	assert_true(cc.conn.cwnd >= before);
	assert_true(cc.conn.cwnd < before + 5 * MSS);
	/* with the whole pause counted, W_cubic(t + pause) would be far above */
	assert_true(ust__tcp_cubic_w(&cc, t + 10.0) > seg(&cc) + 50);
}

/* Slow start (HyStart++ too) does not grow while the flight is under half of cwnd. */
static void test_slow_start_not_cwnd_limited(void **state)
{
	struct ust_tcp_cc cc;
	struct ust_tcp_cubic_view v;
	uint32_t una = 1;

	(void)state;
	ust_tcp_cc_init(&cc, &ust_tcp_cc_cubic, MSS, 0, true, 0);
	ust_tcp_cc_on_output(&cc, una, una + 4 * MSS, 4 * MSS, false);
	for (int i = 0; i < 4; i++)
		ust_tcp_cc_on_ack(&cc, una += MSS, MSS, 3 * MSS, 1000, (uint64_t)i * 1000);
	assert_int_equal(cc.conn.cwnd, 10 * MSS);
	ust__tcp_cubic_view(&cc, &v);
	assert_false(v.hystart.done);
	ust_tcp_cc_on_output(&cc, una, una + 6 * MSS, 6 * MSS, false);
	ust_tcp_cc_on_ack(&cc, una += MSS, MSS, 5 * MSS, 1000, 5000);
	assert_int_equal(cc.conn.cwnd, 11 * MSS);
}

static void test_target_cap(void **state)
{
	struct ust_tcp_cc cc;
	struct ust_tcp_cubic_view v;
	uint32_t una = 1;

	(void)state;
	ust_tcp_cc_init(&cc, &ust_tcp_cc_cubic, MSS, 0, true, 0);
	ust_tcp_cc_set_rtt(&cc, 3000000, 3000000);	/* RTT 3 s */
	cc.conn.cwnd = 10 * MSS;
	ust_tcp_cc_on_rto(&cc, una, una + 10 * MSS, 10 * MSS, 0);
	assert_int_equal(cc.conn.cwnd, MSS);
	assert_int_equal(cc.conn.ssthresh, 7 * MSS);
	/* slow start back to ssthresh */
	while (cc.conn.cwnd < cc.conn.ssthresh)
		ust_tcp_cc_on_ack(&cc, una += MSS, MSS, 0, 0, 0);
	assert_int_equal(cc.conn.cwnd, 7 * MSS);
	/* first CA ACK at t = 0 after a timeout: K = 0, W_max = cwnd_epoch = 7;
	 * W_cubic(0) = 7 < W_est = 7 + alpha/7: Reno-friendly, cwnd = W_est */
	double alpha = 3 * (1 - B) / (1 + B);
	double west = 7 + alpha / 7;
	ust_tcp_cc_on_ack(&cc, una += MSS, MSS, 0, 0, 1 * NS);
	ust__tcp_cubic_view(&cc, &v);
	assert_true(fabs(v.k) < 1e-12);
	assert_true(fabs(v.w_max - 7) < 1e-9);
	assert_true(fabs(v.w_est - west) < 1e-9);
	assert_int_equal(cc.conn.cwnd, (uint32_t)(west * MSS));
	/* at t = 1 s: W(1) = 7.4 > W_est; target W(1 + 3) = 32.6 capped at 1.5 cwnd:
	 * cwnd += (1.5 cwnd - cwnd) / cwnd = 0.5 segment */
	double cw = west;
	west += alpha / cw;
	assert_true(Cc * 1 + 7 > west);
	ust_tcp_cc_on_ack(&cc, una += MSS, MSS, 0, 0, 2 * NS);
	assert_int_equal(cc.conn.cwnd, (uint32_t)((cw + 0.5) * MSS));
}

static void test_reno_friendly(void **state)
{
	struct ust_tcp_cc cc;
	struct ust_tcp_cubic_view v;
	uint32_t una = 1;
	uint64_t now = NS;
	const double alpha = 3 * (1 - B) / (1 + B);

	(void)state;
	/* short RTT (1 ms), small window: Reno outgrows the cubic curve */
	ust_tcp_cc_init(&cc, &ust_tcp_cc_cubic, MSS, 0, true, 0);
	ust_tcp_cc_set_rtt(&cc, 1000, 1000);
	cc.conn.cwnd = 20 * MSS;
	cc.conn.ssthresh = 10 * MSS;
	lose_at(&cc, 20, &una, now);
	assert_int_equal(cc.conn.cwnd, 14 * MSS);
	double west = 14, cwnd = 14;
	int rounds_to_prior = -1;
	for (int r = 0; r < 60; r++) {
		uint32_t n = cc.conn.cwnd / MSS;
		for (uint32_t i = 0; i < n; i++) {
			now += 1000000 / n;
			/* independent model of RFC 9438 4.3 in the Reno-friendly region */
			west += (west >= 20 ? 1.0 : alpha) / cwnd;
			cwnd = west;
			ust_tcp_cc_on_ack(&cc, una += MSS, MSS, cc.conn.cwnd, 0, now);
		}
		ust__tcp_cubic_view(&cc, &v);
		assert_true(fabs(v.w_est - west) < 1e-6);
		assert_true(fabs(seg(&cc) - west) < 0.002);
		if (rounds_to_prior < 0 && west >= 20)
			rounds_to_prior = r + 1;
	}
	/* alpha_cubic ~ 0.53 segment per RTT from 14 to 20 (~11-12 RTTs), then 1 per RTT */
	assert_true(rounds_to_prior >= 10 && rounds_to_prior <= 13);
	assert_true(west > 20 + (60 - rounds_to_prior) * 0.9);
	assert_true(west < 20 + (60 - rounds_to_prior) * 1.1 + 1);
}

static void test_fast_convergence(void **state)
{
	struct ust_tcp_cc cc;
	struct ust_tcp_cubic_view v;
	uint32_t una = 1;

	(void)state;
	ust_tcp_cc_init(&cc, &ust_tcp_cc_cubic, MSS, 0, true, 0);
	cc.conn.cwnd = 100 * MSS;
	cc.conn.ssthresh = 50 * MSS;
	lose_at(&cc, 100, &una, 0);
	/* second loss before getting back to W_max: W_max = cwnd (1 + beta) / 2 */
	cc.conn.cwnd = 80 * MSS;
	lose_at(&cc, 80, &una, NS);
	ust__tcp_cubic_view(&cc, &v);
	assert_true(fabs(v.w_max - 80 * (1 + B) / 2) < 1e-9);
	assert_true(fabs(v.cwnd_prior - 80) < 1e-9);
	assert_int_equal(cc.conn.cwnd, 56 * MSS);
	/* a loss above W_max: W_max = cwnd */
	cc.conn.cwnd = 90 * MSS;
	lose_at(&cc, 90, &una, 2 * NS);
	ust__tcp_cubic_view(&cc, &v);
	assert_true(fabs(v.w_max - 90) < 1e-9);
	/* ssthresh never below 2 SMSS */
	cc.conn.cwnd = 2 * MSS;
	lose_at(&cc, 2, &una, 3 * NS);
	assert_int_equal(cc.conn.ssthresh, 2 * MSS);
	assert_int_equal(cc.conn.cwnd, 2 * MSS);
}

static void test_slow_start_and_nonsack(void **state)
{
	struct ust_tcp_cc cc;
	uint32_t una = 1;

	(void)state;
	ust_tcp_cc_init(&cc, &ust_tcp_cc_cubic, MSS, 0, false, 0);
	assert_int_equal(cc.conn.cwnd, 10 * MSS);
	/* initial slow start is HyStart++: L = 8, a stretch ACK of 3 segments counts fully */
	ust_tcp_cc_on_ack(&cc, una += 3 * MSS, 3 * MSS, 0, 0, 0);
	assert_int_equal(cc.conn.cwnd, 13 * MSS);
	ust_tcp_cc_on_ack(&cc, una += 9 * MSS, 9 * MSS, 0, 0, 0);
	assert_int_equal(cc.conn.cwnd, 21 * MSS);
	cc.conn.cwnd = 12 * MSS;
	/* non-SACK recovery: RFC 5681 inflation applies on top of CUBIC's reduction */
	assert_true(ust_tcp_cc_enter_recovery(&cc, una, una + 12 * MSS, 12 * MSS, 0));
	assert_int_equal(cc.conn.ssthresh, 8400);
	assert_int_equal(cc.conn.cwnd, 8400 + 3 * MSS);
	ust_tcp_cc_on_dupack(&cc);
	assert_int_equal(cc.conn.cwnd, 8400 + 4 * MSS);
	/* full ACK: cwnd = min(ssthresh, flight + SMSS); then CA growth resyncs with TCP's cwnd */
	ust_tcp_cc_on_ack(&cc, una + 12 * MSS, 12 * MSS, 8400, 0, NS);
	assert_int_equal(cc.conn.cwnd, 8400);
	ust_tcp_cc_on_ack(&cc, una + 13 * MSS, MSS, 8400, 0, 2 * NS);
	assert_true(cc.conn.cwnd >= 8400);
	/* after a timeout: RFC 5681/3465 slow start (L = 2), no HyStart++ */
	ust_tcp_cc_on_rto(&cc, una + 13 * MSS, una + 20 * MSS, 7 * MSS, 3 * NS);
	assert_int_equal(cc.conn.cwnd, MSS);
	ust_tcp_cc_on_ack(&cc, una + 16 * MSS, 3 * MSS, 4 * MSS, 0, 4 * NS);
	assert_int_equal(cc.conn.cwnd, 3 * MSS);
}

/* ACK-clocked slow start: each ACK of one segment lets the sender fill cwnd again.
 * Rounds are counted here the way RFC 9406 defines them (windowEnd = SND.NXT). */
struct sim {
	struct ust_tcp_cc cc;
	uint32_t una, nxt, wend;
	int round;
	uint64_t now;
};

static void sim_init(struct sim *s)
{
	memset(s, 0, sizeof(*s));
	ust_tcp_cc_init(&s->cc, &ust_tcp_cc_cubic, MSS, 0, true, 0);
	s->una = 1;
	s->nxt = 1 + s->cc.conn.cwnd;
	ust_tcp_cc_on_send(&s->cc, s->nxt);
	s->round = -1;
}

static void sim_ack(struct sim *s, uint32_t (*rtt_of_round)(int))
{
	s->una += MSS;
	if (s->round < 0 || (int32_t)(s->una - s->wend) >= 0) {
		s->round++;
		s->wend = s->nxt;
	}
	s->now += 1000000;
	ust_tcp_cc_on_ack(&s->cc, s->una, MSS, s->nxt - s->una, rtt_of_round(s->round), s->now);
	if ((int32_t)(s->una + s->cc.conn.cwnd - s->nxt) > 0)
		s->nxt = s->una + s->cc.conn.cwnd;
	ust_tcp_cc_on_send(&s->cc, s->nxt);
}

static struct ust_tcp_hystart hs_of(const struct sim *s)
{
	struct ust_tcp_cubic_view v;

	ust__tcp_cubic_view(&s->cc, &v);
	return v.hystart;
}

static uint32_t rtt_flat(int round)
{
	(void)round;
	return 50000;
}

static uint32_t rtt_rise(int round)
{
	return round < 3 ? 50000 : 58000;	/* +8 ms >= max(4, min(50/8, 16)) = 6.25 ms */
}

static uint32_t rtt_small_rise(int round)
{
	return round < 3 ? 50000 : 56000;	/* +6 ms < 6.25 ms: no exit */
}

static uint32_t rtt_spurious(int round)
{
	return round == 3 ? 58000 : 50000;
}

static void test_hystart_flat_rtt(void **state)
{
	struct sim s;
	uint32_t at_round[8] = { 0 };

	(void)state;
	sim_init(&s);
	while (s.round < 7) {
		uint32_t before = s.cc.conn.cwnd;
		int r = s.round;
		sim_ack(&s, rtt_flat);
		if (s.round != r)
			at_round[s.round] = before;
		assert_int_equal(s.cc.conn.cwnd, before + MSS);	/* plain slow start */
		assert_false(hs_of(&s).in_css);
	}
	/* the window doubles every round */
	for (int r = 2; r < 7; r++) {
		double ratio = (double)at_round[r] / at_round[r - 1];
		assert_true(ratio > 1.9 && ratio < 2.1);
	}
	sim_init(&s);
	while (s.round < 8)
		sim_ack(&s, rtt_small_rise);
	assert_false(hs_of(&s).in_css);
	assert_true(ust_tcp_cc_in_slow_start(&s.cc));
}

static void test_hystart_css_then_ca(void **state)
{
	struct sim s;
	int entered = -1, acks_in_round = 0, last_round = -1;

	(void)state;
	sim_init(&s);
	while (ust_tcp_cc_in_slow_start(&s.cc)) {
		uint32_t before = s.cc.conn.cwnd;
		bool css_before = hs_of(&s).in_css;

		sim_ack(&s, rtt_rise);
		assert_true(s.round < 20);
		if (s.round != last_round) {
			last_round = s.round;
			acks_in_round = 0;
		}
		acks_in_round++;
		if (!css_before && hs_of(&s).in_css) {
			/* entered on the 8th RTT sample of the first slow round */
			entered = s.round;
			assert_int_equal(s.round, 3);
			assert_int_equal(acks_in_round, 8);
			assert_int_equal(hs_of(&s).css_baseline_min_rtt, 58000);
		}
		if (css_before && hs_of(&s).in_css)
			assert_int_equal(s.cc.conn.cwnd, before + MSS / 4);	/* CSS growth */
	}
	/* CSS_ROUNDS rounds after entering CSS, slow start ends with ssthresh = cwnd */
	assert_int_equal(entered, 3);
	assert_int_equal(s.round, 3 + 5);
	assert_int_equal(s.cc.conn.ssthresh, s.cc.conn.cwnd);
	assert_true(hs_of(&s).done);
	/* and CUBIC congestion avoidance takes over */
	uint32_t before = s.cc.conn.cwnd;
	sim_ack(&s, rtt_rise);
	assert_true(s.cc.conn.cwnd >= before);
	assert_false(ust_tcp_cc_in_slow_start(&s.cc));
}

static void test_hystart_spurious_and_loss(void **state)
{
	struct sim s;
	bool was_css = false;

	(void)state;
	sim_init(&s);
	while (s.round < 5) {
		sim_ack(&s, rtt_spurious);
		was_css |= hs_of(&s).in_css;
	}
	/* CSS in round 3, the RTT fell below the baseline in round 4: slow start again */
	assert_true(was_css);
	assert_false(hs_of(&s).in_css);
	assert_true(ust_tcp_cc_in_slow_start(&s.cc));
	uint32_t before = s.cc.conn.cwnd;
	sim_ack(&s, rtt_spurious);
	assert_int_equal(s.cc.conn.cwnd, before + MSS);

	/* a loss during CSS ends HyStart++ */
	sim_init(&s);
	while (!hs_of(&s).in_css)
		sim_ack(&s, rtt_rise);
	assert_true(ust_tcp_cc_enter_recovery(&s.cc, s.una, s.nxt, s.nxt - s.una, s.now));
	assert_true(hs_of(&s).done);
	assert_false(hs_of(&s).in_css);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reduction_and_k),
		cmocka_unit_test(test_tracks_cubic_curve),
		cmocka_unit_test(test_target_cap),
		cmocka_unit_test(test_not_cwnd_limited),
		cmocka_unit_test(test_slow_start_not_cwnd_limited),
		cmocka_unit_test(test_reno_friendly),
		cmocka_unit_test(test_fast_convergence),
		cmocka_unit_test(test_slow_start_and_nonsack),
		cmocka_unit_test(test_hystart_flat_rtt),
		cmocka_unit_test(test_hystart_css_then_ca),
		cmocka_unit_test(test_hystart_spurious_and_loss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
