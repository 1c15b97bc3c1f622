/* RFC 6298 estimator: first sample, later samples vs a double-precision model, clamps,
 * backoff up to the maximum, Karn's rule, RFC 7323 Appendix G weights, SYN fallback. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/tcp_rtt.h"

#define MS 1000u
#define SEC 1000000u

static void test_initial(void **state)
{
	struct ust_tcp_rtt r;

	(void)state;
	ust_tcp_rtt_init(&r, NULL);
	assert_int_equal(ust_tcp_rtt_rto(&r), 1 * SEC);	/* RFC 6298 2.1 */
	assert_int_equal(ust_tcp_rtt_srtt_us(&r), 0);
}

static void test_first_sample(void **state)
{
	struct ust_tcp_rtt r;

	(void)state;
	ust_tcp_rtt_init(&r, NULL);
	ust_tcp_rtt_sample(&r, 100 * MS);
	assert_int_equal(ust_tcp_rtt_srtt_us(&r), 100 * MS);
	assert_int_equal(ust_tcp_rtt_rttvar_us(&r), 50 * MS);
	/* 100 + 4 * 50 = 300 ms */
	assert_int_equal(ust_tcp_rtt_rto(&r), 300 * MS);
}

static void test_sequence_matches_formula(void **state)
{
	struct ust_tcp_rtt r;
	uint32_t samples[] = { 80000, 120000, 95000, 300000, 50000, 51000, 49000, 50500,
			       50000, 1200000, 40000, 40000, 40000, 40000, 40000 };
	double srtt = 0, var = 0;

	(void)state;
	ust_tcp_rtt_init(&r, NULL);
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		double R = samples[i];

		if (i == 0) {
			srtt = R;
			var = R / 2;
		} else {
			var = 0.75 * var + 0.25 * fabs(srtt - R);
			srtt = 0.875 * srtt + 0.125 * R;
		}
		ust_tcp_rtt_sample(&r, samples[i]);
		double rto = srtt + fmax(1000.0, 4 * var);
		if (rto < 200000)
			rto = 200000;
		assert_true(fabs(ust_tcp_rtt_srtt_us(&r) - srtt) <= 1.0);
		assert_true(fabs(ust_tcp_rtt_rttvar_us(&r) - var) <= 1.0);
		assert_true(fabs((double)ust_tcp_rtt_rto(&r) - rto) <= 2.0);
	}
}

static void test_min_rto_and_granularity(void **state)
{
	struct ust_tcp_rtt r;
	struct ust_tcp_rtt_config cfg = { .min_rto_us = 1, .granularity_us = 1000 };

	(void)state;
	ust_tcp_rtt_init(&r, NULL);
	ust_tcp_rtt_sample(&r, 1 * MS);
	assert_int_equal(ust_tcp_rtt_rto(&r), 200 * MS);	/* Linux-like floor */

	/* no floor: G dominates once RTTVAR decays below G/4 */
	ust_tcp_rtt_init(&r, &cfg);
	for (int i = 0; i < 200; i++)
		ust_tcp_rtt_sample(&r, 10 * MS);
	assert_int_equal(ust_tcp_rtt_srtt_us(&r), 10 * MS);
	assert_int_equal(ust_tcp_rtt_rto(&r), 11 * MS);

	/* RFC value: 1 s minimum */
	cfg.min_rto_us = SEC;
	ust_tcp_rtt_init(&r, &cfg);
	ust_tcp_rtt_sample(&r, 100 * MS);
	assert_int_equal(ust_tcp_rtt_rto(&r), SEC);
}

static void test_backoff(void **state)
{
	struct ust_tcp_rtt r;
	uint32_t expect = 300 * MS;

	(void)state;
	ust_tcp_rtt_init(&r, NULL);
	ust_tcp_rtt_sample(&r, 100 * MS);
	for (int i = 0; i < 40; i++) {
		assert_int_equal(ust_tcp_rtt_rto(&r), expect);
		ust_tcp_rtt_backoff(&r);
		expect = expect * 2 > 120 * SEC ? 120 * SEC : expect * 2;
	}
	assert_int_equal(ust_tcp_rtt_rto(&r), 120 * SEC);
	/* a new sample clears the backoff */
	ust_tcp_rtt_sample(&r, 100 * MS);
	assert_true(ust_tcp_rtt_rto(&r) < SEC);
}

static void test_max_rto_configurable(void **state)
{
	struct ust_tcp_rtt r;
	struct ust_tcp_rtt_config cfg = { .max_rto_us = 60 * SEC };

	(void)state;
	ust_tcp_rtt_init(&r, &cfg);
	for (int i = 0; i < 10; i++)
		ust_tcp_rtt_backoff(&r);
	assert_int_equal(ust_tcp_rtt_rto(&r), 60 * SEC);
	ust_tcp_rtt_sample(&r, 100 * SEC);	/* huge sample clamps to max too */
	assert_int_equal(ust_tcp_rtt_rto(&r), 60 * SEC);
}

static void test_karn(void **state)
{
	struct ust_tcp_rtt r;
	uint64_t t0 = 5ull * 1000000000ull;

	(void)state;
	ust_tcp_rtt_init(&r, NULL);
	/* time segment [1000, 2000) */
	ust_tcp_rtt_timing_start(&r, 2000, t0);
	/* a second start while timing does not move the timed segment */
	ust_tcp_rtt_timing_start(&r, 3000, t0 + 10000000);
	/* an ACK below the end does not sample */
	assert_false(ust_tcp_rtt_timing_ack(&r, 1500, t0 + 40000000));
	assert_true(ust_tcp_rtt_timing_ack(&r, 2000, t0 + 50000000));
	assert_int_equal(ust_tcp_rtt_srtt_us(&r), 50 * MS);
	assert_false(ust_tcp_rtt_timing_ack(&r, 3000, t0 + 60000000));	/* not timing */

	/* retransmission: timing is cancelled, the ambiguous ACK gives no sample and the
	 * backed-off RTO stays until a fresh measurement */
	ust_tcp_rtt_timing_start(&r, 4000, t0 + 100000000);
	ust_tcp_rtt_backoff(&r);
	ust_tcp_rtt_timing_cancel(&r);
	uint32_t backed = ust_tcp_rtt_rto(&r);
	assert_false(ust_tcp_rtt_timing_ack(&r, 4000, t0 + 900000000));
	assert_int_equal(ust_tcp_rtt_rto(&r), backed);
	assert_int_equal(ust_tcp_rtt_srtt_us(&r), 50 * MS);
	/* across the sequence wrap */
	ust_tcp_rtt_timing_start(&r, 0x10, t0 + 1000000000);
	assert_false(ust_tcp_rtt_timing_ack(&r, 0xfffffff0u, t0 + 1010000000));
	assert_true(ust_tcp_rtt_timing_ack(&r, 0x20, t0 + 1050000000));
	assert_true(ust_tcp_rtt_rto(&r) < backed);
}

static void test_timestamp_weights(void **state)
{
	struct ust_tcp_rtt a, b;
	double srtt = 100000, var = 50000;
	const uint32_t smss = 1000, flight = 20000;	/* E = ceil(20000 / 2000) = 10 */

	(void)state;
	ust_tcp_rtt_init(&a, NULL);
	ust_tcp_rtt_init(&b, NULL);
	ust_tcp_rtt_sample_ts(&a, 100000, flight, smss);
	ust_tcp_rtt_sample(&b, 100000);
	assert_int_equal(ust_tcp_rtt_srtt_us(&a), 100000);	/* first sample as usual */
	for (int i = 0; i < 10; i++) {
		ust_tcp_rtt_sample_ts(&a, 200000, flight, smss);
		var = (1 - 0.25 / 10) * var + (0.25 / 10) * fabs(srtt - 200000);
		srtt = (1 - 0.125 / 10) * srtt + (0.125 / 10) * 200000;
		assert_true(fabs(ust_tcp_rtt_srtt_us(&a) - srtt) <= 1.0);
		assert_true(fabs(ust_tcp_rtt_rttvar_us(&a) - var) <= 1.0);
	}
	/* ten per-ACK samples move SRTT about as much as one per-RTT sample */
	ust_tcp_rtt_sample(&b, 200000);
	assert_true(fabs((double)ust_tcp_rtt_srtt_us(&a) - ust_tcp_rtt_srtt_us(&b)) < 1000);
	/* flight 0 and 1 byte: E = 1 */
	ust_tcp_rtt_init(&a, NULL);
	ust_tcp_rtt_sample_ts(&a, 100000, 0, smss);
	ust_tcp_rtt_sample_ts(&a, 180000, 1, smss);
	assert_int_equal(ust_tcp_rtt_srtt_us(&a), 110000);
}

static void test_syn_fallback(void **state)
{
	struct ust_tcp_rtt r;

	(void)state;
	ust_tcp_rtt_init(&r, NULL);
	ust_tcp_rtt_backoff(&r);	/* SYN timed out */
	assert_int_equal(ust_tcp_rtt_rto(&r), 2 * SEC);
	ust_tcp_rtt_handshake_done(&r, true);
	assert_int_equal(ust_tcp_rtt_rto(&r), 3 * SEC);
	/* with a sample (e.g. from timestamps) the measured RTO stands */
	ust_tcp_rtt_init(&r, NULL);
	ust_tcp_rtt_sample(&r, 10 * MS);
	ust_tcp_rtt_handshake_done(&r, true);
	assert_int_equal(ust_tcp_rtt_rto(&r), 200 * MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial),
		cmocka_unit_test(test_first_sample),
		cmocka_unit_test(test_sequence_matches_formula),
		cmocka_unit_test(test_min_rto_and_granularity),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_max_rto_configurable),
		cmocka_unit_test(test_karn),
		cmocka_unit_test(test_timestamp_weights),
		cmocka_unit_test(test_syn_fallback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
