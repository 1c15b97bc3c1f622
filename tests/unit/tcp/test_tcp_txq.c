/* Send queue over packet buffers: writes fill buffers up to the segment payload, the send
 * buffer limit and pool exhaustion cut writes short, get() hands out references + offsets
 * that stay valid across appends and acks, copy() matches, acks free buffers (also across
 * the 2^32 wrap), nothing leaks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/pktbuf.h"
#include "net/tcp_txq.h"

#define COUNT 64u
static struct ust_pool *pool;

static uint8_t pat(uint32_t i)
{
	return (uint8_t)(i * 7 + (i >> 8));
}

static int setup(void **state)
{
	struct ust_pool_config cfg = { .count = COUNT, .buf_size = 2048, .headroom = 128 };

	(void)state;
	return ust_pool_create(&pool, &cfg);
}

static int teardown(void **state)
{
	(void)state;
	ust_pool_destroy(pool);
	return 0;
}

static void write_stream(struct ust_tcp_txq *q, uint32_t from, uint32_t len, size_t expect)
{
	static uint8_t buf[200000];

	for (uint32_t i = 0; i < len; i++)
		buf[i] = pat(from + i);
	assert_int_equal(ust_tcp_txq_write(q, buf, len), expect);
}

static void check_refs(struct ust_tcp_txq *q, uint32_t base, uint32_t seq, uint32_t len,
		       unsigned want_pieces)
{
	struct ust_tcp_txq_ref r[8];
	unsigned n = ust_tcp_txq_get(q, seq, len, r, 8);
	uint32_t at = seq - base, total = 0;

	assert_int_equal(n, want_pieces);
	for (unsigned k = 0; k < n; k++) {
		const uint8_t *d = ust_pkt_data(pool, r[k].pkt) + r[k].off;
		for (uint32_t i = 0; i < r[k].len; i++)
			assert_int_equal(d[i], pat(at + i));
		at += r[k].len;
		total += r[k].len;
		ust_pkt_free(pool, r[k].pkt);
	}
	assert_int_equal(total, len);
}

static void test_fill_and_get(void **state)
{
	struct ust_tcp_txq q;
	const uint32_t base = 0xfffff000u;	/* wraps after 4096 bytes */

	(void)state;
	assert_int_equal(ust_tcp_txq_init(&q, pool, base, 64 * 1024, 1000), 0);
	write_stream(&q, 0, 300, 300);
	write_stream(&q, 300, 2900, 2900);	/* fills 1000-byte buffers */
	assert_int_equal(q.bufs.count, 4);
	assert_int_equal(ust_tcp_txq_end(&q), base + 3200);
	check_refs(&q, base, base, 1000, 1);
	check_refs(&q, base, base + 500, 1000, 2);
	check_refs(&q, base, base + 100, 3100, 4);
	/* a handed-out reference stays valid while more is written into its buffer */
	struct ust_tcp_txq_ref r;
	assert_int_equal(ust_tcp_txq_get(&q, base + 3000, 200, &r, 1), 1);
	write_stream(&q, 3200, 5000, 5000);
	const uint8_t *d = ust_pkt_data(pool, r.pkt) + r.off;
	for (uint32_t i = 0; i < 200; i++)
		assert_int_equal(d[i], pat(3000 + i));
	/* clipping and out-of-range requests */
	uint8_t out[9000];
	assert_int_equal(ust_tcp_txq_copy(&q, base + 7000, 5000, out), 1200);
	for (uint32_t i = 0; i < 1200; i++)
		assert_int_equal(out[i], pat(7000 + i));
	struct ust_tcp_txq_ref rr[2];
	assert_int_equal(ust_tcp_txq_get(&q, base + 8200, 10, rr, 2), 0);
	assert_int_equal(ust_tcp_txq_get(&q, base - 1, 10, rr, 2), 0);
	/* max pieces respected */
	assert_int_equal(ust_tcp_txq_get(&q, base, 5000, rr, 2), 2);
	ust_pkt_free(pool, rr[0].pkt);
	ust_pkt_free(pool, rr[1].pkt);
	/* acks across the wrap: partial, then whole buffers */
	ust_tcp_txq_ack(&q, base + 250);
	assert_int_equal(ust_tcp_txq_una(&q), base + 250);
	assert_int_equal(q.bufs.count, 9);
	check_refs(&q, base, base + 250, 1000, 2);
	ust_tcp_txq_ack(&q, base + 4100);	/* past 2^32 */
	assert_int_equal(q.bufs.count, 5);
	assert_int_equal(q.head_off, 100);
	check_refs(&q, base, base + 4100, 4100, 5);
	assert_int_equal(ust_tcp_txq_copy(&q, base + 4100, 4100, out), 4100);
	ust_tcp_txq_ack(&q, base + 4000);	/* old ACK: ignored */
	ust_tcp_txq_ack(&q, base + 9000);	/* beyond what was written: ignored */
	assert_int_equal(ust_tcp_txq_una(&q), base + 4100);
	ust_tcp_txq_ack(&q, base + 8200);
	assert_int_equal(q.bufs.count, 0);
	assert_int_equal(q.bytes, 0);
	/* the buffer we still reference was acked: it is ours until we free it */
	assert_int_equal(d[0], pat(3000));
	ust_pkt_free(pool, r.pkt);
	assert_int_equal(ust_pool_available(pool), COUNT);
	write_stream(&q, 8200, 10, 10);
	check_refs(&q, base, base + 8200, 10, 1);
	ust_tcp_txq_destroy(&q);
	assert_int_equal(ust_pool_available(pool), COUNT);
}

static void test_limits(void **state)
{
	struct ust_tcp_txq q;

	(void)state;
	assert_int_equal(ust_tcp_txq_init(&q, NULL, 0, 1000, 100), -EINVAL);
	assert_int_equal(ust_tcp_txq_init(&q, pool, 0, 0, 100), -EINVAL);
	assert_int_equal(ust_tcp_txq_init(&q, pool, 0, 5000, 1460), 0);
	write_stream(&q, 0, 6000, 5000);
	assert_int_equal(q.counters.txq_write_full, 1);
	assert_int_equal(ust_tcp_txq_space(&q), 0);
	write_stream(&q, 5000, 10, 0);
	ust_tcp_txq_ack(&q, 1460);
	assert_int_equal(ust_tcp_txq_space(&q), 1460);
	ust_tcp_txq_destroy(&q);
	/* seg_payload larger than a buffer is clamped */
	assert_int_equal(ust_tcp_txq_init(&q, pool, 0, 200000, 9000), 0);
	assert_int_equal(q.seg_payload, 2048 - 128);
	/* pool exhaustion cuts the write short and is counted */
	write_stream(&q, 0, 200000, (size_t)COUNT * (2048 - 128));
	assert_int_equal(q.counters.txq_alloc_fail, 1);
	assert_int_equal(ust_pool_available(pool), 0);
	ust_tcp_txq_destroy(&q);
	assert_int_equal(ust_pool_available(pool), COUNT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill_and_get),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
