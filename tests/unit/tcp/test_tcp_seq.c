/* Sequence and timestamp comparisons across the 2^32 wrap (tcp_seq.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/tcp_seq.h"

static void test_basic_order(void **state)
{
	(void)state;
	assert_true(ust_seq_lt(1, 2));
	assert_false(ust_seq_lt(2, 2));
	assert_true(ust_seq_leq(2, 2));
	assert_true(ust_seq_gt(3, 2));
	assert_true(ust_seq_geq(3, 3));
	assert_int_equal(ust_seq_diff(10, 3), 7);
	assert_int_equal(ust_seq_diff(3, 10), -7);
}

static void test_wrap(void **state)
{
	(void)state;
	/* 0xfffffff0 is 32 before 0x10 */
	assert_true(ust_seq_lt(0xfffffff0u, 0x10u));
	assert_true(ust_seq_gt(0x10u, 0xfffffff0u));
	assert_int_equal(ust_seq_diff(0x10u, 0xfffffff0u), 32);
	assert_int_equal(ust_seq_diff(0xfffffff0u, 0x10u), -32);
	assert_true(ust_seq_leq(UINT32_MAX, 0));
	assert_true(ust_seq_lt(UINT32_MAX, 0));
	assert_int_equal(ust_seq_max(0xffffff00u, 5), 5);
	assert_int_equal(ust_seq_min(0xffffff00u, 5), 0xffffff00u);
	/* exactly 2^31 apart: ambiguous, diff is INT32_MIN, must not be UB */
	assert_int_equal(ust_seq_diff(0x80000000u, 0), INT32_MIN);
	assert_true(ust_seq_lt(0x80000000u, 0));
	/* 2^31 - 1 apart: still ordered */
	assert_true(ust_seq_gt(0x7fffffffu, 0));
	assert_true(ust_seq_lt(0, 0x7fffffffu));
}

static void test_intervals(void **state)
{
	(void)state;
	assert_true(ust_seq_between(5, 5, 10));
	assert_true(ust_seq_between(10, 5, 10));
	assert_false(ust_seq_between(11, 5, 10));
	assert_false(ust_seq_between(4, 5, 10));
	assert_true(ust_seq_in(5, 5, 10));
	assert_false(ust_seq_in(10, 5, 10));
	assert_false(ust_seq_in(5, 5, 5));	/* empty */
	/* across the wrap */
	assert_true(ust_seq_in(0, 0xfffffff0u, 0x10));
	assert_true(ust_seq_in(0xfffffffeu, 0xfffffff0u, 0x10));
	assert_false(ust_seq_in(0x10, 0xfffffff0u, 0x10));
	assert_true(ust_seq_between(0x10, 0xfffffff0u, 0x10));
	assert_false(ust_seq_between(0xffffffefu, 0xfffffff0u, 0x10));
}

static void test_exhaustive_small_offsets(void **state)
{
	(void)state;
	uint32_t bases[] = { 0, 1, 0x7fffffffu, 0x80000000u, 0xfffffff0u, UINT32_MAX };

	for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
		for (int d = -1000; d <= 1000; d += 7) {
			uint32_t a = bases[b], c = bases[b] + (uint32_t)d;

			assert_int_equal(ust_seq_diff(c, a), d);
			assert_true(ust_seq_lt(a, c) == (d > 0));
			assert_true(ust_seq_gt(a, c) == (d < 0));
			assert_true(ust_seq_leq(a, c) == (d >= 0));
			assert_true(ust_seq_geq(a, c) == (d <= 0));
			assert_true(ust_ts_lt(a, c) == (d > 0));
			assert_true(ust_ts_geq(a, c) == (d <= 0));
		}
	}
}

static void test_timestamps(void **state)
{
	(void)state;
	/* PAWS: TSval just after wrap is newer than TS.Recent just before */
	assert_true(ust_ts_gt(3, 0xfffffffdu));
	assert_true(ust_ts_lt(0xfffffffdu, 3));
	assert_true(ust_ts_leq(7, 7));
	assert_false(ust_ts_gt(7, 7));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_order),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_intervals),
		cmocka_unit_test(test_exhaustive_small_offsets),
		cmocka_unit_test(test_timestamps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
