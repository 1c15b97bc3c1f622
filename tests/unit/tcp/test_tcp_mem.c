/*
 * The pure rules of the stack-wide TCP memory limit (net/tcp.h): the default limit, which
 * limits ust_stack_create accepts, and how many buffers a queue may still take.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/tcp.h"

#define MIN UST_TCP_MEM_MIN_BUFS

static void default_is_three_quarters_of_the_pool(void **state)
{
	(void)state;
	assert_int_equal(ust__tcp_mem_limit_default(8192, 2048), 6144ull * 2048);	/* 12 MiB */
	assert_int_equal(ust__tcp_mem_limit_default(1024, 65536), 768ull * 65536);	/* 48 MiB */
	assert_int_equal(ust__tcp_mem_limit_default(2048, 2048), 1536ull * 2048);
	/* rounds down to whole buffers */
	assert_int_equal(ust__tcp_mem_limit_default(10, 2048), 6ull * 2048);
}

static void valid_limits(void **state)
{
	(void)state;
	uint64_t lo = 2ull * MIN * 2048;
	assert_false(ust__tcp_mem_limit_valid(lo - 1, 8192, 2048));
	assert_true(ust__tcp_mem_limit_valid(lo, 8192, 2048));
	assert_true(ust__tcp_mem_limit_valid(8192ull * 2048, 8192, 2048));
	assert_false(ust__tcp_mem_limit_valid(8192ull * 2048 + 1, 8192, 2048));
	/* the minimum is in buffers: bigger buffers need a bigger limit */
	assert_false(ust__tcp_mem_limit_valid(lo, 1024, 65536));
	assert_true(ust__tcp_mem_limit_valid(2ull * MIN * 65536, 1024, 65536));
	/* a pool too small for one connection's minimum has no valid limit */
	assert_false(ust__tcp_mem_limit_valid(7ull * 2048, 7, 2048));
}

static void room_under_the_limit(void **state)
{
	(void)state;
	uint64_t limit = 100ull * 2048;
	/* what fits under the limit, in whole buffers */
	assert_int_equal(ust__tcp_mem_room(0, limit, MIN, 2048), 100);
	assert_int_equal(ust__tcp_mem_room(90ull * 2048, limit, MIN, 2048), 10);
	assert_int_equal(ust__tcp_mem_room(99ull * 2048 + 1, limit, 100, 2048), 0);
	assert_int_equal(ust__tcp_mem_room(limit, limit, 100, 2048), 0);
	/* a big buffer needs room for all of it */
	assert_int_equal(ust__tcp_mem_room(90ull * 2048, limit, MIN, 65536), 0);
}

static void room_at_the_limit_keeps_the_minimum(void **state)
{
	(void)state;
	uint64_t limit = 100ull * 2048;
	/* over the limit a queue still gets up to MIN buffers of its own */
	assert_int_equal(ust__tcp_mem_room(limit, limit, 0, 2048), MIN);
	assert_int_equal(ust__tcp_mem_room(2 * limit, limit, 1, 2048), MIN - 1);
	assert_int_equal(ust__tcp_mem_room(2 * limit, limit, MIN, 2048), 0);
	assert_int_equal(ust__tcp_mem_room(2 * limit, limit, MIN + 5, 2048), 0);
	/* the larger of the two */
	assert_int_equal(ust__tcp_mem_room(98ull * 2048, limit, 0, 2048), MIN);
	assert_int_equal(ust__tcp_mem_room(90ull * 2048, limit, 0, 2048), 10);
	/* out-of-order data has no minimum: callers pass UINT32_MAX own buffers */
	assert_int_equal(ust__tcp_mem_room(limit, limit, UINT32_MAX, 2048), 0);
	assert_int_equal(ust__tcp_mem_room(0, limit, UINT32_MAX, 2048), 100);
	/* a zero cost cannot divide by zero */
	assert_int_equal(ust__tcp_mem_room(0, 10, UINT32_MAX, 0), 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_is_three_quarters_of_the_pool),
		cmocka_unit_test(valid_limits),
		cmocka_unit_test(room_under_the_limit),
		cmocka_unit_test(room_at_the_limit_keeps_the_minimum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
