/*
 * The reassembly engine on its own (pool + timer wheel, no stack): any order, duplicates,
 * identical and rewriting overlaps, disagreeing ends, size limits, the concurrent-datagram
 * limit with oldest-first eviction, and the timeout with its ICMP quote callback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/net_config.h"
#include "net/reasm.h"
#include "wire/bytes.h"

struct fixture {
	struct ust_pool *pool;
	struct ust_timer_wheel wheel;
	struct ust__reasm r;
	int timeouts;
	size_t quote_len;
	uint8_t quote[80];
};

static uint8_t data[65536];

static void on_timeout(void *arg, const uint8_t *quote, size_t len, uint64_t now)
{
	(void)now;
	struct fixture *f = arg;
	f->timeouts++;
	f->quote_len = len;
	memcpy(f->quote, quote, len);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ust_pool_config pc = { .count = 8, .buf_size = UST_NET_BIG_BUF_SIZE, .headroom = UST_NET_HEADROOM };
	assert_int_equal(ust_pool_create(&f->pool, &pc), 0);
	ust_timer_wheel_init(&f->wheel, 0, 1000000);
	assert_int_equal(ust__reasm_init(&f->r, f->pool, &f->wheel, 4, 30000000000ull, on_timeout, f), 0);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + (i >> 8));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	ust__reasm_fini(&f->r);
	assert_int_equal(ust_pool_available(f->pool), 8);	/* nothing leaked */
	ust_pool_destroy(f->pool);
	free(f);
	return 0;
}

/* Feed payload bytes [from, to) of datagram id (MF unless it ends the datagram of `total`). */
static struct ust_pkt *feed(struct fixture *f, uint16_t id, const uint8_t *src, uint32_t from, uint32_t to,
			    uint32_t total, uint64_t now)
{
	uint8_t hdr[20] = { 0x45 };
	struct ust_ipv4_repr ip = { .src = 0x0a000001, .dst = 0x0a000002, .protocol = 17, .ttl = 64, .id = id,
				    .more_fragments = to < total, .frag_offset = (uint16_t)from,
				    .header_len = 20, .total_len = (uint16_t)(20 + to - from),
				    .payload = src + from, .payload_len = (uint16_t)(to - from) };
	return ust__reasm_input(&f->r, &ip, hdr, now);
}

static void check_whole(struct fixture *f, struct ust_pkt *pkt, uint32_t total)
{
	assert_non_null(pkt);
	const uint8_t *p = ust_pkt_data(f->pool, pkt);
	assert_int_equal(pkt->len, 20 + total);
	assert_int_equal(ust_get_be16(p + 2), 20 + total);
	assert_int_equal(ust_get_be16(p + 6) & 0x3fff, 0);	/* no MF, offset 0 */
	assert_memory_equal(p + 20, data, total);
	ust_pkt_free(f->pool, pkt);
}

static void test_in_order_and_reverse(void **state)
{
	struct fixture *f = *state;
	assert_null(feed(f, 1, data, 0, 1480, 4000, 0));
	assert_null(feed(f, 1, data, 1480, 2960, 4000, 0));
	check_whole(f, feed(f, 1, data, 2960, 4000, 4000, 0), 4000);
	assert_null(feed(f, 2, data, 2960, 4000, 4000, 0));
	assert_null(feed(f, 2, data, 1480, 2960, 4000, 0));
	check_whole(f, feed(f, 2, data, 0, 1480, 4000, 0), 4000);
	/* middle first */
	assert_null(feed(f, 3, data, 1480, 2960, 4000, 0));
	assert_null(feed(f, 3, data, 2960, 4000, 4000, 0));
	check_whole(f, feed(f, 3, data, 0, 1480, 4000, 0), 4000);
	assert_int_equal(f->r.counters.reassembled, 3);
	assert_int_equal(ust__reasm_active(&f->r), 0);
}

static void test_max_size(void **state)
{
	struct fixture *f = *state;
	uint32_t total = 65515;	/* 65535 - 20 */
	for (uint32_t off = 0; off < total; off += 1480) {
		uint32_t end = off + 1480 < total ? off + 1480 : total;
		struct ust_pkt *p = feed(f, 9, data, off, end, total, 0);
		if (end == total)
			check_whole(f, p, total);
		else
			assert_null(p);
	}
	/* one byte more cannot be represented */
	assert_null(feed(f, 10, data, 65512, 65516, 65516, 0));
	assert_int_equal(f->r.counters.too_big, 1);
}

static void test_duplicates_and_identical_overlaps(void **state)
{
	struct fixture *f = *state;
	assert_null(feed(f, 4, data, 0, 64, 100, 0));
	assert_null(feed(f, 4, data, 0, 64, 100, 0));
	assert_int_equal(f->r.counters.duplicates, 1);
	assert_null(feed(f, 4, data, 32, 80, 100, 0));	/* identical overlap */
	assert_int_equal(f->r.counters.overlap_identical, 1);
	check_whole(f, feed(f, 4, data, 72, 100, 100, 0), 100);
	/* the last fragment twice, then the rest */
	assert_null(feed(f, 5, data, 96, 100, 100, 0));
	assert_null(feed(f, 5, data, 96, 100, 100, 0));
	check_whole(f, feed(f, 5, data, 0, 96, 100, 0), 100);
}

static void test_rewriting_overlap_drops_datagram(void **state)
{
	struct fixture *f = *state;
	static uint8_t evil[256];
	memcpy(evil, data, sizeof(evil));
	evil[40] ^= 1;
	assert_null(feed(f, 6, data, 0, 64, 100, 0));
	assert_null(feed(f, 6, evil, 32, 80, 100, 0));
	assert_int_equal(f->r.counters.overlap_conflict, 1);
	assert_int_equal(ust__reasm_active(&f->r), 0);
	/* the rest of it alone never completes a datagram */
	assert_null(feed(f, 6, data, 80, 100, 100, 0));
	assert_int_equal(ust__reasm_active(&f->r), 1);
	/* rewriting bytes of the partial last block counts too */
	evil[97] ^= 1;
	assert_null(feed(f, 7, data, 96, 101, 101, 0));
	assert_null(feed(f, 7, evil, 96, 101, 101, 0));
	assert_int_equal(f->r.counters.overlap_conflict, 2);
}

static void test_inconsistent_end(void **state)
{
	struct fixture *f = *state;
	assert_null(feed(f, 8, data, 0, 64, 100, 0));
	check_whole(f, feed(f, 8, data, 64, 100, 100, 0), 100);
	/* a second datagram whose fragments disagree on the end */
	assert_null(feed(f, 11, data, 64, 100, 100, 0));
	assert_null(feed(f, 11, data, 0, 72, 72, 0));
	assert_int_equal(f->r.counters.inconsistent_end, 1);
	/* a fragment reaching past a known end */
	assert_null(feed(f, 12, data, 64, 100, 100, 0));
	assert_null(feed(f, 12, data, 96, 104, 200, 0));
	assert_int_equal(f->r.counters.inconsistent_end, 2);
	/* bad lengths: empty, or not a multiple of 8 before the end */
	assert_null(feed(f, 13, data, 0, 50, 100, 0));
	assert_null(feed(f, 13, data, 8, 8, 100, 0));
	assert_int_equal(f->r.counters.bad_length, 2);
}

static void test_limit_evicts_oldest(void **state)
{
	struct fixture *f = *state;
	for (uint16_t id = 100; id < 104; id++)
		assert_null(feed(f, id, data, 0, 8, 16, id));
	assert_int_equal(ust__reasm_active(&f->r), 4);
	assert_null(feed(f, 200, data, 0, 8, 16, 300));	/* evicts id 100 */
	assert_int_equal(f->r.counters.evicted, 1);
	assert_int_equal(ust__reasm_active(&f->r), 4);
	/* id 100 is gone: its second half starts a new datagram (and evicts 101) */
	assert_null(feed(f, 100, data, 8, 16, 16, 301));
	assert_int_equal(f->r.counters.evicted, 2);
	/* id 102 survived */
	check_whole(f, feed(f, 102, data, 8, 16, 16, 302), 16);
	assert_true(ust_pool_available(f->pool) >= 8 - 4);
}

static void test_timeout_quotes_first_fragment(void **state)
{
	struct fixture *f = *state;
	assert_null(feed(f, 20, data, 0, 1480, 3000, 1000));
	assert_null(feed(f, 21, data, 1480, 2960, 3000, 1000));	/* no first fragment */
	ust_timer_wheel_advance(&f->wheel, 29000000000ull);
	assert_int_equal(f->timeouts, 0);
	assert_int_equal(ust__reasm_active(&f->r), 2);
	ust_timer_wheel_advance(&f->wheel, 31000000000ull);
	assert_int_equal(f->r.counters.timeouts, 2);
	assert_int_equal(f->timeouts, 1);	/* only id 20 had its offset-0 fragment */
	assert_int_equal(f->quote_len, 28);
	assert_memory_equal(f->quote + 20, data, 8);
	assert_int_equal(ust__reasm_active(&f->r), 0);
	assert_int_equal(ust_pool_available(f->pool), 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_in_order_and_reverse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_and_identical_overlaps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rewriting_overlap_drops_datagram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inconsistent_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limit_evicts_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_quotes_first_fragment, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
