/* Receive reassembly over packet buffers: in-order delivery, reordering, duplicates and
 * overlaps (held bytes never rewritten), the 2^32 wrap, window and segment limits, SACK and
 * D-SACK block order, zero-copy fragments, purge; no buffer leaks (pool back to full). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/pktbuf.h"
#include "net/tcp_rxq.h"

#define HDR 40u	/* pretend headers in front of the payload */
#define POOL_COUNT 512u

static struct ust_pool *pool;

static uint8_t pat(uint32_t s)
{
	return (uint8_t)(s ^ (s >> 8) ^ (s >> 16) ^ (s >> 24) ^ 0x5a);
}

static int setup(void **state)
{
	struct ust_pool_config cfg = { .count = POOL_COUNT, .buf_size = 8192, .headroom = 128 };

	(void)state;
	return ust_pool_create(&pool, &cfg);
}

static int teardown(void **state)
{
	(void)state;
	ust_pool_destroy(pool);
	return 0;
}

/* A packet with HDR junk bytes then len payload bytes of stream position seq (xor garble). */
static struct ust_pkt *mk(uint32_t seq, uint32_t len, uint8_t garble)
{
	struct ust_pkt *p = ust_pkt_alloc(pool);
	uint8_t *d;

	assert_non_null(p);
	d = ust_pkt_put(pool, p, HDR + len);
	assert_non_null(d);
	memset(d, 0xee, HDR);
	for (uint32_t i = 0; i < len; i++)
		d[HDR + i] = pat(seq + i) ^ garble;
	return p;
}

static void ins(struct ust_tcp_rxq *q, uint32_t seq, uint32_t len, struct ust_tcp_rxq_result *r)
{
	ust_tcp_rxq_insert(q, mk(seq, len, 0), HDR, seq, len, r);
}

static void check_read(struct ust_tcp_rxq *q, uint32_t seq, uint32_t len)
{
	static uint8_t buf[70000];

	assert_true(len <= sizeof(buf));
	assert_int_equal(ust_tcp_rxq_read(q, buf, len), len);
	for (uint32_t i = 0; i < len; i++)
		if (buf[i] != pat(seq + i))
			fail_msg("byte %u (seq %u) is %02x, want %02x", i, seq + i, buf[i], pat(seq + i));
}

static void test_in_order(void **state)
{
	struct ust_tcp_rxq q;
	struct ust_tcp_rxq_result r;

	(void)state;
	assert_int_equal(ust_tcp_rxq_init(&q, pool, 1000, NULL), 0);
	ins(&q, 1000, 500, &r);
	assert_int_equal(r.advanced, 500);
	assert_int_equal(r.new_bytes, 500);
	assert_false(r.ooo);
	ins(&q, 1500, 1460, &r);
	ins(&q, 2960, 40, &r);
	assert_int_equal(q.rcv_nxt, 3000);
	assert_int_equal(ust_tcp_rxq_readable(&q), 2000);
	assert_int_equal(ust_tcp_rxq_window(&q), UST_TCP_RXQ_LIMIT_DEFAULT - 2000);
	check_read(&q, 1000, 700);	/* partial segment */
	check_read(&q, 1700, 1300);
	assert_int_equal(ust_tcp_rxq_read(&q, NULL, 0), 0);
	assert_int_equal(ust_tcp_rxq_readable(&q), 0);
	assert_int_equal(ust_pool_available(pool), POOL_COUNT);
	ust_tcp_rxq_destroy(&q);
}

static void test_reorder_and_sack(void **state)
{
	struct ust_tcp_rxq q;
	struct ust_tcp_rxq_result r;
	struct ust_tcp_sack_block b[4];

	(void)state;
	ust_tcp_rxq_init(&q, pool, 0, NULL);
	ins(&q, 3000, 1000, &r);
	assert_true(r.ooo);
	assert_int_equal(r.advanced, 0);
	ins(&q, 9000, 1000, &r);
	ins(&q, 6000, 1000, &r);
	ins(&q, 4000, 1000, &r);	/* adjacent to 3000: same range */
	assert_int_equal(q.ooo_count, 4);
	assert_int_equal(ust_tcp_rxq_held(&q), 4000);
	/* most recent first: [3000,5000) (4000 just arrived), [6000,7000), [9000,10000) */
	assert_int_equal(ust_tcp_rxq_sack_blocks(&q, b, 4), 3);
	assert_int_equal(b[0].start, 3000);
	assert_int_equal(b[0].end, 5000);
	assert_int_equal(b[1].start, 6000);
	assert_int_equal(b[2].start, 9000);
	/* with timestamps only 3 fit; here exactly 3 exist */
	assert_int_equal(ust_tcp_rxq_sack_blocks(&q, b, 2), 2);
	/* fill the first hole: data up to 5000 becomes readable */
	ins(&q, 0, 3000, &r);
	assert_true(r.filled_gap);
	assert_int_equal(r.advanced, 5000);
	assert_int_equal(q.rcv_nxt, 5000);
	assert_int_equal(ust_tcp_rxq_sack_blocks(&q, b, 4), 2);
	assert_int_equal(b[0].start, 6000);
	check_read(&q, 0, 5000);
	ins(&q, 5000, 1000, &r);
	ins(&q, 7000, 2000, &r);
	assert_int_equal(q.rcv_nxt, 10000);
	assert_int_equal(ust_tcp_rxq_sack_blocks(&q, b, 4), 0);
	check_read(&q, 5000, 5000);
	assert_int_equal(ust_pool_available(pool), POOL_COUNT);
	ust_tcp_rxq_destroy(&q);
}

static void test_duplicates_and_dsack(void **state)
{
	struct ust_tcp_rxq q;
	struct ust_tcp_rxq_result r;
	struct ust_tcp_sack_block b[4];

	(void)state;
	ust_tcp_rxq_init(&q, pool, 0, NULL);
	ins(&q, 0, 1000, &r);
	ins(&q, 0, 1000, &r);	/* full duplicate of in-order data */
	assert_int_equal(r.dup_bytes, 1000);
	assert_int_equal(r.new_bytes, 0);
	assert_int_equal(q.counters.rxq_dup_bytes, 1000);
	assert_int_equal(ust_tcp_rxq_sack_blocks(&q, b, 4), 1);
	assert_int_equal(b[0].start, 0);	/* D-SACK below the ACK */
	assert_int_equal(b[0].end, 1000);
	assert_int_equal(ust_tcp_rxq_sack_blocks(&q, b, 4), 0);	/* reported once */
	/* duplicate of already READ data counts too */
	check_read(&q, 0, 1000);
	ins(&q, 500, 1000, &r);
	assert_int_equal(r.dup_bytes, 500);
	assert_int_equal(r.advanced, 500);
	/* duplicate of out-of-order data: D-SACK, then its range */
	ins(&q, 3000, 1000, &r);
	ins(&q, 6000, 1000, &r);
	ins(&q, 3200, 300, &r);
	assert_int_equal(r.dup_bytes, 300);
	assert_int_equal(ust_tcp_rxq_sack_blocks(&q, b, 3), 3);
	assert_int_equal(b[0].start, 3200);
	assert_int_equal(b[0].end, 3500);
	assert_int_equal(b[1].start, 3000);	/* touched: most recent */
	assert_int_equal(b[2].start, 6000);
	ust_tcp_rxq_destroy(&q);
	assert_int_equal(ust_pool_available(pool), POOL_COUNT);
}

static void test_overlap_never_rewrites(void **state)
{
	struct ust_tcp_rxq q;
	struct ust_tcp_rxq_result r;

	(void)state;
	ust_tcp_rxq_init(&q, pool, 100, NULL);
	ins(&q, 200, 100, &r);	/* held [200,300) */
	ins(&q, 350, 50, &r);	/* held [350,400) */
	/* [100,500) arrives with garbled bytes: only the gaps may be taken from it, and for
	 * the check the gap bytes must be right, so garble only what overlaps */
	struct ust_pkt *p = mk(100, 400, 0);
	uint8_t *d = ust_pkt_data(pool, p) + HDR;
	for (uint32_t s = 200; s < 300; s++)
		d[s - 100] ^= 0xff;
	for (uint32_t s = 350; s < 400; s++)
		d[s - 100] ^= 0xff;
	ust_tcp_rxq_insert(&q, p, HDR, 100, 400, &r);
	assert_int_equal(r.new_bytes, 250);
	assert_int_equal(r.dup_bytes, 150);
	assert_int_equal(r.advanced, 400);
	assert_true(r.filled_gap);
	assert_int_equal(q.rcv_nxt, 500);
	assert_int_equal(p->refcnt, 3);	/* three pieces: [100,200) [300,350) [400,500) */
	check_read(&q, 100, 400);
	assert_int_equal(ust_pool_available(pool), POOL_COUNT);
	/* an out-of-order segment overlapping two held ones on both sides */
	ins(&q, 1000, 100, &r);
	ins(&q, 1200, 100, &r);
	ins(&q, 1050, 200, &r);
	assert_int_equal(r.new_bytes, 100);
	assert_int_equal(r.dup_bytes, 100);
	assert_int_equal(q.ooo_bytes, 300);
	ins(&q, 500, 500, &r);
	assert_int_equal(q.rcv_nxt, 1300);
	check_read(&q, 500, 800);
	ust_tcp_rxq_destroy(&q);
	assert_int_equal(ust_pool_available(pool), POOL_COUNT);
}

static void test_wraparound(void **state)
{
	struct ust_tcp_rxq q;
	struct ust_tcp_rxq_result r;
	struct ust_tcp_sack_block b[4];
	const uint32_t base = 0xfffffa00u;	/* 1536 bytes before the wrap */

	(void)state;
	ust_tcp_rxq_init(&q, pool, base, NULL);
	ins(&q, base + 2000, 1000, &r);	/* past the wrap */
	ins(&q, base + 1000, 1000, &r);	/* crosses the wrap */
	assert_int_equal(ust_tcp_rxq_sack_blocks(&q, b, 4), 1);
	assert_int_equal(b[0].start, base + 1000);
	assert_int_equal(b[0].end, base + 3000);
	ins(&q, base + 500, 1000, &r);	/* overlaps the held block by 500 */
	assert_int_equal(r.dup_bytes, 500);
	ins(&q, base, 500, &r);
	assert_int_equal(q.rcv_nxt, base + 3000);
	assert_true(q.rcv_nxt < 0x1000);
	check_read(&q, base, 3000);
	ust_tcp_rxq_destroy(&q);
	assert_int_equal(ust_pool_available(pool), POOL_COUNT);
}

static void test_window_limit(void **state)
{
	struct ust_tcp_rxq q;
	struct ust_tcp_rxq_result r;
	struct ust_tcp_rxq_config cfg = { .limit = 4000 };

	(void)state;
	ust_tcp_rxq_init(&q, pool, 0, &cfg);
	ins(&q, 5000, 100, &r);	/* entirely beyond */
	assert_int_equal(r.dropped_bytes, 100);
	assert_int_equal(r.new_bytes, 0);
	ins(&q, 3500, 1000, &r);	/* half beyond: the first 500 kept */
	assert_int_equal(r.new_bytes, 500);
	assert_int_equal(r.dropped_bytes, 500);
	assert_int_equal(q.counters.rxq_beyond_window_bytes, 600);
	ins(&q, 0, 3500, &r);
	assert_int_equal(q.rcv_nxt, 4000);
	assert_int_equal(ust_tcp_rxq_window(&q), 0);
	assert_int_equal(ust_tcp_rxq_held(&q), 4000);
	ins(&q, 4000, 10, &r);	/* zero window: dropped */
	assert_int_equal(r.dropped_bytes, 10);
	check_read(&q, 0, 1000);
	assert_int_equal(ust_tcp_rxq_window(&q), 1000);
	ins(&q, 4000, 1500, &r);
	assert_int_equal(r.new_bytes, 1000);
	check_read(&q, 1000, 4000);
	ust_tcp_rxq_destroy(&q);
	assert_int_equal(ust_pool_available(pool), POOL_COUNT);
}

static void test_ooo_and_descriptor_limits(void **state)
{
	struct ust_tcp_rxq q;
	struct ust_tcp_rxq_result r;
	struct ust_tcp_rxq_config cfg = { .max_ooo = 4, .max_segs = 6 };

	(void)state;
	ust_tcp_rxq_init(&q, pool, 0, &cfg);
	for (uint32_t i = 1; i <= 5; i++)
		ins(&q, i * 1000, 100, &r);
	assert_int_equal(q.ooo_count, 4);
	assert_int_equal(q.counters.rxq_ooo_limit_drops, 1);	/* 5000 was the highest */
	assert_int_equal(r.dropped_bytes, 100);
	ins(&q, 500, 100, &r);	/* lower: evicts the highest (4000) */
	assert_int_equal(q.ooo_count, 4);
	assert_int_equal(q.counters.rxq_ooo_pruned, 1);
	assert_int_equal(r.new_bytes, 100);
	/* in-order data: two descriptors left, then in-order data evicts OOO ones */
	ins(&q, 0, 100, &r);
	ins(&q, 100, 100, &r);
	assert_int_equal(q.used, 6);
	ins(&q, 200, 100, &r);
	assert_int_equal(q.counters.rxq_ooo_pruned, 2);
	assert_int_equal(r.advanced, 100);
	assert_int_equal(q.ooo_count, 3);
	ust_tcp_rxq_destroy(&q);
	assert_int_equal(ust_pool_available(pool), POOL_COUNT);

	cfg = (struct ust_tcp_rxq_config){ .max_ooo = 2, .max_segs = 2 };
	ust_tcp_rxq_init(&q, pool, 0, &cfg);
	ins(&q, 0, 10, &r);
	ins(&q, 10, 10, &r);
	ins(&q, 20, 10, &r);
	assert_int_equal(q.counters.rxq_desc_drops, 1);
	assert_int_equal(q.rcv_nxt, 20);
	check_read(&q, 0, 20);
	ins(&q, 20, 10, &r);
	assert_int_equal(q.rcv_nxt, 30);
	ust_tcp_rxq_destroy(&q);
	assert_int_equal(ust_pool_available(pool), POOL_COUNT);
}

static void test_zero_copy(void **state)
{
	struct ust_tcp_rxq q;
	struct ust_tcp_rxq_frag f[4];

	(void)state;
	ust_tcp_rxq_init(&q, pool, 7, NULL);
	ins(&q, 7, 100, NULL);
	ins(&q, 107, 200, NULL);
	ins(&q, 307, 300, NULL);
	assert_int_equal(ust_tcp_rxq_peek(&q, f, 4), 3);
	assert_int_equal(f[0].len, 100);
	assert_int_equal(f[1].len, 200);
	assert_int_equal(f[2].len, 300);
	assert_int_equal(f[1].data[0], pat(107));
	assert_int_equal(f[2].data[299], pat(606));
	ust_tcp_rxq_consume(&q, 150);
	assert_int_equal(ust_tcp_rxq_peek(&q, f, 1), 1);
	assert_int_equal(f[0].len, 150);
	assert_int_equal(f[0].data[0], pat(157));
	assert_int_equal(ust_tcp_rxq_window(&q), UST_TCP_RXQ_LIMIT_DEFAULT - 450);
	ust_tcp_rxq_consume(&q, 100000);	/* clamped */
	assert_int_equal(ust_tcp_rxq_readable(&q), 0);
	assert_int_equal(ust_tcp_rxq_peek(&q, f, 4), 0);
	assert_int_equal(ust_pool_available(pool), POOL_COUNT);
	ust_tcp_rxq_destroy(&q);
}

static void test_purge_and_edge_cases(void **state)
{
	struct ust_tcp_rxq q;
	struct ust_tcp_rxq_result r;

	(void)state;
	assert_int_equal(ust_tcp_rxq_init(&q, NULL, 0, NULL), -EINVAL);
	ust_tcp_rxq_init(&q, pool, 0, NULL);
	ust_tcp_rxq_insert(&q, mk(0, 0, 0), HDR, 0, 0, &r);	/* empty: freed */
	ust_tcp_rxq_insert(&q, NULL, 0, 0, 10, &r);
	/* a payload range outside the packet is refused, not read */
	ust_tcp_rxq_insert(&q, mk(0, 100, 0), HDR + 1, 0, 100, &r);
	assert_int_equal(q.counters.rxq_bad_range, 1);
	assert_int_equal(r.dropped_bytes, 100);
	assert_int_equal(q.rcv_nxt, 0);
	ins(&q, 0, 100, NULL);
	ins(&q, 500, 100, NULL);
	ins(&q, 900, 100, NULL);
	assert_true(ust_pool_available(pool) < POOL_COUNT);
	ust_tcp_rxq_purge(&q);
	assert_int_equal(ust_pool_available(pool), POOL_COUNT);
	assert_int_equal(ust_tcp_rxq_held(&q), 0);
	assert_int_equal(q.rcv_nxt, 100);
	ust_tcp_rxq_destroy(&q);
	ust_tcp_rxq_destroy(&q);	/* idempotent */
}

/* Random segmentation, order, duplication and overlap of a 60000-byte stream. */
static void test_random_stream(void **state)
{
	uint32_t x = 4242;

	(void)state;
	for (int run = 0; run < 20; run++) {
		struct ust_tcp_rxq q;
		struct ust_tcp_rxq_config cfg = { .limit = 16384, .max_ooo = (run & 1) ? 8 : 64 };
		uint32_t base = run * 0x13579bdfu, total = 60000, got = 0;
		static uint8_t out[60000];

		ust_tcp_rxq_init(&q, pool, base, &cfg);
		for (int it = 0; got < total; it++) {
			assert_true(it < 100000);
			x = x * 1664525u + 1013904223u;
			uint32_t rel = q.rcv_nxt - base;
			/* mostly near rcv_nxt, sometimes old, sometimes far */
			int32_t off = (int32_t)((x >> 8) % 12000) - 1500;
			uint32_t len = 1 + (x >> 20) % 1460;
			int64_t s = (int64_t)rel + off;
			if (s < 0)
				s = 0;
			if (s >= total)
				continue;
			if (s + len > total)
				len = total - (uint32_t)s;
			ins(&q, base + (uint32_t)s, len, NULL);
			assert_true(ust_tcp_rxq_held(&q) <= cfg.limit);
			if ((x & 7) == 0 || ust_tcp_rxq_window(&q) == 0) {
				size_t n = ust_tcp_rxq_read(&q, out + got, total - got);
				got += (uint32_t)n;
			}
		}
		for (uint32_t i = 0; i < total; i++)
			if (out[i] != pat(base + i))
				fail_msg("run %d byte %u wrong", run, i);
		ust_tcp_rxq_destroy(&q);
		assert_int_equal(ust_pool_available(pool), POOL_COUNT);
	}
}

static void test_counter_names(void **state)
{
	struct ust_tcp_rxq q;

	(void)state;
	ust_tcp_rxq_init(&q, pool, 0, NULL);
	struct ust_counter_group g = UST_COUNTER_GROUP("tcp_rxq", ust_tcp_rxq_counter_names, &q.counters);
	assert_int_equal(g.count, 8);
	for (size_t i = 0; i < g.count; i++)
		assert_non_null(g.names[i]);
	assert_string_equal(g.names[0], "rxq_segs");
	ins(&q, 0, 10, NULL);
	assert_int_equal(g.values[0], 1);
	ust_tcp_rxq_destroy(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_reorder_and_sack),
		cmocka_unit_test(test_duplicates_and_dsack),
		cmocka_unit_test(test_overlap_never_rewrites),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_window_limit),
		cmocka_unit_test(test_ooo_and_descriptor_limits),
		cmocka_unit_test(test_zero_copy),
		cmocka_unit_test(test_purge_and_edge_cases),
		cmocka_unit_test(test_random_stream),
		cmocka_unit_test(test_counter_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
