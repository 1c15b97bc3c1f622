/* SipHash-2-4 against the SipHash paper's worked example, and RFC 6528 ISN properties:
 * advances with the 4 us clock, differs per tuple and per key, deterministic otherwise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "net/tcp_isn.h"

static void seq_key(uint8_t key[16])
{
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
}

static void test_siphash_paper_example(void **state)
{
	uint8_t key[16], msg[15];

	(void)state;
	seq_key(key);
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	/* Appendix A of the SipHash paper: key 00..0f, message 00..0e */
	assert_true(ust_tcp_siphash24(key, msg, 15) == 0xa129ca6149be45e5ull);
	/* first entry of the reference vectors (empty message, same key) */
	assert_true(ust_tcp_siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ull);
}

static void test_siphash_properties(void **state)
{
	uint8_t key[16] = { 0 }, msg[64];
	uint64_t seen[65];

	(void)state;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)(i * 7 + 1);
	/* every length (0..64, crossing word boundaries) gives a distinct value */
	for (int len = 0; len <= 64; len++) {
		seen[len] = ust_tcp_siphash24(key, msg, (size_t)len);
		for (int j = 0; j < len; j++)
			assert_true(seen[j] != seen[len]);
	}
	/* trailing zero bytes are not ignored (the length is hashed) */
	uint8_t z[9] = { 0 };
	assert_true(ust_tcp_siphash24(key, z, 8) != ust_tcp_siphash24(key, z, 9));
	/* one key bit changes the output */
	uint64_t a = ust_tcp_siphash24(key, msg, 12);
	key[15] ^= 0x80;
	assert_true(ust_tcp_siphash24(key, msg, 12) != a);
	/* unaligned input gives the same result */
	uint8_t buf[20];
	memcpy(buf + 3, msg, 12);
	assert_true(ust_tcp_siphash24(key, buf + 3, 12) == ust_tcp_siphash24(key, msg, 12));
}

static void test_isn_clock(void **state)
{
	struct ust_tcp_secret key;
	struct ust_tcp_tuple t = { 0x0a000001, 0x0a000002, 40000, 80 };
	uint64_t now = 123456789000ull;

	(void)state;
	memset(key.bytes, 0x5a, sizeof(key.bytes));
	uint32_t f = ust_tcp_isn_hash(&key, &t);
	uint32_t i0 = ust_tcp_isn(&key, &t, now);
	assert_int_equal(i0, (uint32_t)(now / 4000) + f);
	/* same tick: same ISN; 4 us later: +1; 1 s later: +250000 */
	assert_int_equal(ust_tcp_isn(&key, &t, now + 3999 - now % 4000), i0);
	assert_int_equal(ust_tcp_isn(&key, &t, now + 4000), i0 + 1);
	assert_int_equal(ust_tcp_isn(&key, &t, now + 1000000000ull), i0 + 250000);
	/* M wraps modulo 2^32 (every ~4.77 h) without trouble */
	uint64_t wrap = 4000ull << 32;
	assert_int_equal(ust_tcp_isn(&key, &t, wrap), f);
}

static void test_isn_per_tuple_and_key(void **state)
{
	struct ust_tcp_secret k1, k2;
	struct ust_tcp_tuple base = { 0x0a000001, 0x0a000002, 40000, 80 };
	struct ust_tcp_tuple v[5];
	uint64_t now = 1000000000ull;

	(void)state;
	memset(k1.bytes, 1, 16);
	memset(k2.bytes, 1, 16);
	k2.bytes[0] = 2;
	for (int i = 0; i < 5; i++)
		v[i] = base;
	v[1].local_ip++;
	v[2].remote_ip++;
	v[3].local_port++;
	v[4].remote_port++;
	for (int i = 0; i < 5; i++) {
		for (int j = 0; j < i; j++)
			assert_true(ust_tcp_isn(&k1, &v[i], now) != ust_tcp_isn(&k1, &v[j], now));
		assert_true(ust_tcp_isn(&k1, &v[i], now) != ust_tcp_isn(&k2, &v[i], now));
		assert_int_equal(ust_tcp_isn(&k1, &v[i], now), ust_tcp_isn(&k1, &v[i], now));
	}
	/* swapping local and remote is a different connection */
	struct ust_tcp_tuple sw = { base.remote_ip, base.local_ip, base.remote_port, base.local_port };
	assert_true(ust_tcp_isn(&k1, &sw, now) != ust_tcp_isn(&k1, &base, now));
}

static void test_isn_spread(void **state)
{
	struct ust_tcp_secret key;
	unsigned buckets[16] = { 0 };

	(void)state;
	memset(key.bytes, 0x33, 16);
	/* 4096 source ports: the top nibble of F should be roughly uniform */
	for (uint32_t p = 0; p < 4096; p++) {
		struct ust_tcp_tuple t = { 0xc0a80001, 0xc0a80002, (uint16_t)(32768 + p), 443 };
		buckets[ust_tcp_isn_hash(&key, &t) >> 28]++;
	}
	for (int i = 0; i < 16; i++)
		assert_true(buckets[i] > 150 && buckets[i] < 370);	/* mean 256 */
}

static void test_ts_clock(void **state)
{
	struct ust_tcp_secret key;
	struct ust_tcp_tuple a = { 0x0a000001, 0x0a000002, 40000, 80 }, b = a;

	(void)state;
	memset(key.bytes, 0x77, 16);
	b.remote_port = 81;
	uint32_t oa = ust_tcp_ts_offset(&key, &a), ob = ust_tcp_ts_offset(&key, &b);
	assert_true(oa != ob);
	assert_true(oa != ust_tcp_isn_hash(&key, &a));	/* not the ISN's hash */
	assert_int_equal(ust_tcp_ts_offset(&key, &a), oa);
	/* 1 ms ticks */
	uint64_t now = 5000000000ull;
	assert_int_equal(ust_tcp_ts_val(now, oa), 5000u + oa);
	assert_int_equal(ust_tcp_ts_val(now + 999999, oa), 5000u + oa);
	assert_int_equal(ust_tcp_ts_val(now + 1000000, oa), 5001u + oa);
	/* RTT from the echo, across the TS wrap of the offset */
	uint32_t off = 0xfffffff0u;
	uint32_t sent = ust_tcp_ts_val(now, off);
	assert_int_equal(ust_tcp_ts_rtt_us(now + 42000000ull, off, sent), 42000);
	assert_int_equal(ust_tcp_ts_rtt_us(now + 100000, off, sent), 1);	/* same tick */
	assert_int_equal(ust_tcp_ts_rtt_us(now, off, sent + 5), 1);	/* from the future */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_paper_example),
		cmocka_unit_test(test_siphash_properties),
		cmocka_unit_test(test_isn_clock),
		cmocka_unit_test(test_isn_per_tuple_and_key),
		cmocka_unit_test(test_isn_spread),
		cmocka_unit_test(test_ts_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
