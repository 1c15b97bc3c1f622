/*
 * HyStart++ (RFC 9406) arithmetic on its own (tcp_cc_hystart.c): RttThresh clamp, slow-start
 * growth limit L, CSS growth divisor, CSS_ROUNDS, the return to slow start when the RTT falls
 * below the CSS baseline, round boundaries at windowEnd with ACKs that cover many segments,
 * and that only the first N_RTT_SAMPLE samples of a round are checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/tcp_cc.h"

#define SMSS 1000u
#define US 1u
#define MS 1000u

struct hs {
	struct ust_tcp_hystart h;
	struct ust_tcp_cc_conn c;
};

static void hs_init(struct hs *s, uint32_t l)
{
	ust__tcp_hystart_init(&s->h, l);
	s->c = (struct ust_tcp_cc_conn){ .cwnd = 10 * SMSS, .ssthresh = UINT32_MAX, .smss = SMSS,
					 .snd_una = 1, .snd_nxt = 1 };
}

/*
 * One HyStart++ round with delayed ACKs (2 SMSS each) and the sender refilling cwnd after
 * each: the first ACK covers the last windowEnd (starts the round), the round ends before the
 * ACK that would cover the new one. The first n_first ACKs carry rtt_first, the rest rtt_rest.
 * Returns the bytes acknowledged.
 */
static uint32_t round_of(struct hs *s, unsigned n_first, uint32_t rtt_first, uint32_t rtt_rest)
{
	uint32_t una0 = s->c.snd_una;
	for (unsigned i = 0; !s->h.done; i++) {
		uint32_t to = s->c.snd_una + 2 * SMSS;
		if (i > 0 && s->h.round_valid && (int32_t)(to - s->h.window_end) >= 0)
			break;
		if (s->c.snd_nxt - s->c.snd_una < 2 * SMSS)
			s->c.snd_nxt = s->c.snd_una + 2 * SMSS;
		s->c.snd_una = to;
		ust__tcp_hystart_on_ack(&s->h, &s->c, 2 * SMSS, i < n_first ? rtt_first : rtt_rest);
		s->c.snd_nxt = s->c.snd_una + s->c.cwnd;	/* the ACK clock refills the window */
	}
	return s->c.snd_una - una0;
}

static uint32_t flat_round(struct hs *s, uint32_t rtt)
{
	return round_of(s, 0, 0, rtt);
}

static void test_rtt_thresh_clamp(void **state)
{
	(void)state;
	assert_int_equal(ust__tcp_hystart_rtt_thresh(1 * MS), 4 * MS);	/* floor */
	assert_int_equal(ust__tcp_hystart_rtt_thresh(32 * MS), 4 * MS);
	assert_int_equal(ust__tcp_hystart_rtt_thresh(40 * MS), 5 * MS);	/* /8 */
	assert_int_equal(ust__tcp_hystart_rtt_thresh(100 * MS), 12500 * US);
	assert_int_equal(ust__tcp_hystart_rtt_thresh(128 * MS), 16 * MS);
	assert_int_equal(ust__tcp_hystart_rtt_thresh(1000 * MS), 16 * MS);	/* ceiling */
}

static void test_growth_limit_l(void **state)
{
	(void)state;
	struct hs s;
	hs_init(&s, UST_TCP_HYSTART_L);
	/* a stretch ACK of 20 segments counts for L = 8 */
	s.c.snd_nxt = 21 * SMSS;
	s.c.snd_una = 20 * SMSS + 1;
	ust__tcp_hystart_on_ack(&s.h, &s.c, 20 * SMSS, 40 * MS);
	assert_int_equal(s.c.cwnd, 18 * SMSS);
	hs_init(&s, UST_TCP_CC_ABC_L);
	s.c.snd_nxt = 21 * SMSS;
	s.c.snd_una = 20 * SMSS + 1;
	ust__tcp_hystart_on_ack(&s.h, &s.c, 20 * SMSS, 40 * MS);
	assert_int_equal(s.c.cwnd, 12 * SMSS);	/* NewReno's RFC 3465 L = 2 */
}

static void test_flat_rtt_stays_in_slow_start(void **state)
{
	(void)state;
	struct hs s;
	hs_init(&s, UST_TCP_HYSTART_L);
	for (int r = 0; r < 6; r++) {
		uint32_t before = s.c.cwnd;
		uint32_t acked = flat_round(&s, 40 * MS);
		assert_false(s.h.in_css);
		assert_int_equal(s.c.cwnd, before + acked);	/* every byte acked counts */
	}
	assert_true(s.c.cwnd > 300 * SMSS);	/* about doubling per round */
	assert_false(s.h.done);
}

static void test_below_thresh_no_css(void **state)
{
	(void)state;
	struct hs s;
	hs_init(&s, UST_TCP_HYSTART_L);
	flat_round(&s, 40 * MS);
	flat_round(&s, 40 * MS);
	flat_round(&s, 40 * MS + 5 * MS - 1);	/* RttThresh(40 ms) = 5 ms: just short */
	assert_false(s.h.in_css);
	flat_round(&s, 45 * MS - 1 + 5625 * US);	/* RttThresh(44.999 ms) = 5.624875 ms */
	assert_true(s.h.in_css);
}

static void test_css_growth_and_rounds(void **state)
{
	(void)state;
	struct hs s;
	hs_init(&s, UST_TCP_HYSTART_L);
	flat_round(&s, 40 * MS);
	flat_round(&s, 40 * MS);
	/* the round that sees +5 ms enters CSS after its 8th sample */
	flat_round(&s, 45 * MS);
	assert_true(s.h.in_css);
	assert_int_equal(s.h.css_baseline_min_rtt, 45 * MS);
	/* in CSS, growth is acked / CSS_GROWTH_DIVISOR */
	uint32_t before = s.c.cwnd;
	uint32_t acked = flat_round(&s, 46 * MS);
	assert_true(s.h.in_css);
	assert_int_equal(s.c.cwnd - before, acked / UST_TCP_HYSTART_CSS_GROWTH_DIVISOR);
	/* the partial entry round counts: CSS_ROUNDS round starts after entry end slow start */
	unsigned rounds = 1;
	while (!s.h.done && rounds < 10) {
		flat_round(&s, 46 * MS);
		rounds++;
	}
	assert_true(s.h.done);
	assert_int_equal(rounds, UST_TCP_HYSTART_CSS_ROUNDS);
	assert_int_equal(s.c.ssthresh, s.c.cwnd);
	assert_false(s.h.in_css);
}

static void test_css_back_to_slow_start(void **state)
{
	(void)state;
	struct hs s;
	hs_init(&s, UST_TCP_HYSTART_L);
	flat_round(&s, 40 * MS);
	flat_round(&s, 40 * MS);
	flat_round(&s, 50 * MS);
	assert_true(s.h.in_css);
	/* the next round's RTT is below the 50 ms baseline: the rise was spurious */
	flat_round(&s, 42 * MS);
	assert_false(s.h.in_css);
	assert_false(s.h.done);
	assert_int_equal(s.h.css_baseline_min_rtt, UINT32_MAX);
	uint32_t before = s.c.cwnd;
	uint32_t acked = flat_round(&s, 42 * MS);
	assert_int_equal(s.c.cwnd, before + acked);	/* full slow-start growth again */
}

static void test_only_first_samples_checked(void **state)
{
	(void)state;
	struct hs s;
	hs_init(&s, UST_TCP_HYSTART_L);
	flat_round(&s, 40 * MS);
	flat_round(&s, 40 * MS);
	/* first 8 samples +10 ms: CSS; the rest of the round at the base RTT (ACK-clock gaps)
	 * must not make it fall back within the round */
	round_of(&s, UST_TCP_HYSTART_N_RTT_SAMPLE, 50 * MS, 40 * MS);
	assert_true(s.h.in_css);
	assert_int_equal(s.h.first_samples_min_rtt, 50 * MS);
	assert_int_equal(s.h.current_round_min_rtt, 40 * MS);
}

static void test_round_ends_at_window_end(void **state)
{
	(void)state;
	struct hs s;
	hs_init(&s, UST_TCP_HYSTART_L);
	/* first ACK starts round 1 with windowEnd = SND.NXT */
	s.c.snd_nxt = 1 + 10 * SMSS;
	s.c.snd_una = 1 + 2 * SMSS;
	ust__tcp_hystart_on_ack(&s.h, &s.c, 2 * SMSS, 40 * MS);
	assert_int_equal(s.h.window_end, 1 + 10 * SMSS);
	s.c.snd_nxt = 1 + 14 * SMSS;	/* more sent: the round's end does not move */
	s.c.snd_una = 1 + 9 * SMSS;	/* one big ACK short of windowEnd */
	ust__tcp_hystart_on_ack(&s.h, &s.c, 7 * SMSS, 40 * MS);
	assert_int_equal(s.h.window_end, 1 + 10 * SMSS);
	assert_int_equal(s.h.rtt_sample_count, 2);
	/* an ACK covering windowEnd and more (TSO / stretch ACK) starts the next round */
	s.c.snd_una = 1 + 13 * SMSS;
	ust__tcp_hystart_on_ack(&s.h, &s.c, 4 * SMSS, 41 * MS);
	assert_int_equal(s.h.window_end, 1 + 14 * SMSS);
	assert_int_equal(s.h.last_round_min_rtt, 40 * MS);
	assert_int_equal(s.h.rtt_sample_count, 1);
}

static void test_no_samples_no_exit(void **state)
{
	(void)state;
	struct hs s;
	hs_init(&s, UST_TCP_HYSTART_L);
	flat_round(&s, 40 * MS);
	flat_round(&s, 40 * MS);
	/* fewer than N_RTT_SAMPLE samples in the round (the rest without one): no decision */
	round_of(&s, UST_TCP_HYSTART_N_RTT_SAMPLE - 1, 80 * MS, 0);
	assert_false(s.h.in_css);
	flat_round(&s, 0);
	assert_false(s.h.in_css);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtt_thresh_clamp),
		cmocka_unit_test(test_growth_limit_l),
		cmocka_unit_test(test_flat_rtt_stays_in_slow_start),
		cmocka_unit_test(test_below_thresh_no_css),
		cmocka_unit_test(test_css_growth_and_rounds),
		cmocka_unit_test(test_css_back_to_slow_start),
		cmocka_unit_test(test_only_first_samples_checked),
		cmocka_unit_test(test_round_ends_at_window_end),
		cmocka_unit_test(test_no_samples_no_exit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
