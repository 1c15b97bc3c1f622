/*
 * The demultiplexing table: exact-key lookup, several owners per key (SO_REUSEADDR) in
 * insertion order, removal, and growth with thousands of keys (lookups stay exact).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "net/demux.h"

static void test_lookup_insert_remove(void **state)
{
	(void)state;
	struct ust__demux d;
	assert_int_equal(ust__demux_init(&d, 4, 42), 0);
	struct ust__demux_node a = { .owner = &a }, b = { .owner = &b }, c = { .owner = &c };
	struct ust__demux_key ka = ust__demux_key_make(17, 0, 53, 0, 0);
	struct ust__demux_key kc = ust__demux_key_make(17, 0x0a000002, 53, 0x0a000001, 4000);
	ust__demux_insert(&d, &a, &ka);
	ust__demux_insert(&d, &b, &ka);
	ust__demux_insert(&d, &c, &kc);
	assert_ptr_equal(ust__demux_lookup(&d, &ka), &a);
	assert_ptr_equal(ust__demux_next(&a), &b);
	assert_null(ust__demux_next(&b));
	assert_ptr_equal(ust__demux_lookup(&d, &kc), &c);
	/* a different protocol or port is a different key */
	struct ust__demux_key kt = ust__demux_key_make(6, 0, 53, 0, 0);
	assert_null(ust__demux_lookup(&d, &kt));
	ust__demux_remove(&d, &a);
	ust__demux_remove(&d, &a);	/* harmless twice */
	assert_ptr_equal(ust__demux_lookup(&d, &ka), &b);
	assert_int_equal(d.count, 2);
	ust__demux_remove(&d, &b);
	ust__demux_remove(&d, &c);
	assert_null(ust__demux_lookup(&d, &ka));
	assert_int_equal(d.count, 0);
	ust__demux_fini(&d);
}

static void test_growth(void **state)
{
	(void)state;
	struct ust__demux d;
	assert_int_equal(ust__demux_init(&d, 16, 7), 0);
	enum { N = 5000 };
	struct ust__demux_node *nodes = calloc(N, sizeof(*nodes));
	for (int i = 0; i < N; i++) {
		struct ust__demux_key k = ust__demux_key_make(6, 0x0a000002, 80, 0x0a000000u + (uint32_t)i,
							      (uint16_t)(1024 + i));
		nodes[i].owner = &nodes[i];
		ust__demux_insert(&d, &nodes[i], &k);
	}
	assert_true(d.mask + 1 >= N / 2);
	for (int i = 0; i < N; i++) {
		struct ust__demux_key k = ust__demux_key_make(6, 0x0a000002, 80, 0x0a000000u + (uint32_t)i,
							      (uint16_t)(1024 + i));
		assert_ptr_equal(ust__demux_lookup(&d, &k), &nodes[i]);
	}
	for (int i = 0; i < N; i += 2)
		ust__demux_remove(&d, &nodes[i]);
	for (int i = 0; i < N; i++) {
		struct ust__demux_key k = ust__demux_key_make(6, 0x0a000002, 80, 0x0a000000u + (uint32_t)i,
							      (uint16_t)(1024 + i));
		assert_ptr_equal(ust__demux_lookup(&d, &k), i % 2 ? &nodes[i] : NULL);
	}
	ust__demux_fini(&d);
	free(nodes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_insert_remove),
		cmocka_unit_test(test_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
