/*
 * Threaded stress test for core/ring: a producer and a consumer thread pass N sequence-numbered
 * slots (default 10M) with random batch sizes through a small ring; the consumer checks every
 * slot's order and contents. Built also under ThreadSanitizer (suite 'tsan'), where it proves
 * the acquire/release pairing on head/tail covers the slot copies.
 *
 * The count comes from argv[1], else $USTACK_RING_STRESS_COUNT, else 10,000,000.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/ring.h"

static uint64_t stress_count = 10000000;

struct stress_ctx {
	struct ust_ring *prod;
	struct ust_ring cons;
	uint64_t received;
	uint64_t errors;
	uint64_t first_bad;
};

static inline uint32_t xorshift(uint32_t *s)
{
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static struct ust_slot slot_for(uint64_t seq)
{
	return (struct ust_slot){ .buf = (uint32_t)seq, .len = (uint32_t)(seq >> 32) ^ 0x5a5a5a5au,
				  .flags = (uint16_t)(seq * 3), .offset = (uint16_t)(seq >> 16),
				  .aux = (uint32_t)~seq };
}

static void *producer(void *arg)
{
	struct stress_ctx *c = arg;
	uint32_t rng = 0x12345678;
	struct ust_slot batch[64];
	uint64_t seq = 0;
	while (seq < stress_count) {
		unsigned n = 1 + xorshift(&rng) % 64;
		if (n > stress_count - seq)
			n = (unsigned)(stress_count - seq);
		for (unsigned i = 0; i < n; i++)
			batch[i] = slot_for(seq + i);
		unsigned put = ust_ring_enqueue(c->prod, batch, n);
		seq += put;
		if (put == 0)
			sched_yield();
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct stress_ctx *c = arg;
	uint32_t rng = 0x9abcdef1;
	struct ust_slot out[64];
	while (c->received < stress_count) {
		unsigned n = 1 + xorshift(&rng) % 64;
		unsigned got = ust_ring_dequeue(&c->cons, out, n);
		for (unsigned i = 0; i < got; i++) {
			struct ust_slot want = slot_for(c->received + i);
			if (out[i].buf != want.buf || out[i].len != want.len || out[i].flags != want.flags ||
			    out[i].offset != want.offset || out[i].aux != want.aux) {
				if (c->errors++ == 0)
					c->first_bad = c->received + i;
			}
		}
		c->received += got;
		if (got == 0)
			sched_yield();
	}
	return NULL;
}

static void test_threaded_transfer(void **state)
{
	(void)state;
	struct stress_ctx c = { 0 };
	assert_int_equal(ust_ring_create(&c.prod, 256), 0);
	assert_int_equal(ust_ring_attach(&c.cons, c.prod->mem, ust_ring_mem_size(256)), 0);
	pthread_t tp, tc;
	assert_int_equal(pthread_create(&tc, NULL, consumer, &c), 0);
	assert_int_equal(pthread_create(&tp, NULL, producer, &c), 0);
	assert_int_equal(pthread_join(tp, NULL), 0);
	assert_int_equal(pthread_join(tc, NULL), 0);
	if (c.errors)
		fail_msg("%llu slots out of order or corrupt, first at %llu",
			 (unsigned long long)c.errors, (unsigned long long)c.first_bad);
	assert_int_equal(c.received, stress_count);
	assert_int_equal(ust_ring_count(&c.cons), 0);
	print_message("ring stress: %llu slots passed in order\n", (unsigned long long)stress_count);
	ust_ring_destroy(c.prod);
}

int main(int argc, char **argv)
{
	const char *env = getenv("USTACK_RING_STRESS_COUNT");
	if (argc > 1)
		stress_count = strtoull(argv[1], NULL, 10);
	else if (env)
		stress_count = strtoull(env, NULL, 10);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threaded_transfer),
	};
	return cmocka_run_group_tests_name("core_ring_stress", tests, NULL, NULL);
}
