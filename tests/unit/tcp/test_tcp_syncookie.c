/* SYN cookies: round trip for every MSS index and option combination, TSval never ahead of
 * the clock, previous slot accepted, expired and forged cookies (ISN, tuple, peer ISN,
 * option bits) rejected. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "net/tcp_seq.h"
#include "net/tcp_syncookie.h"

#define SLOT UST_TCP_SYNCOOKIE_SLOT_NS

static struct ust_tcp_secret key;
static const struct ust_tcp_tuple tup = { 0x0a000001, 0x0a000063, 80, 51000 };

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < 16; i++)
		key.bytes[i] = (uint8_t)(0xa0 + i);
	return 0;
}

static void test_mss_index(void **state)
{
	(void)state;
	assert_int_equal(ust_tcp_syncookie_mss_index(100), 0);
	assert_int_equal(ust_tcp_syncookie_mss_index(536), 1);
	assert_int_equal(ust_tcp_syncookie_mss_index(1459), 5);
	assert_int_equal(ust_tcp_syncookie_mss_index(1460), 6);
	assert_int_equal(ust_tcp_syncookie_mss_index(9000), 7);
	assert_int_equal(ust_tcp_syncookie_mss_index(65535), 7);
	for (unsigned i = 0; i < UST_TCP_SYNCOOKIE_MSS_COUNT; i++) {
		uint16_t m = ust_tcp_syncookie_mss_table[i];
		assert_int_equal(ust_tcp_syncookie_mss_index(m), i);
		if (i > 0)
			assert_true(ust_tcp_syncookie_mss_table[i - 1] < m);
	}
}

static void test_round_trip_all(void **state)
{
	(void)state;
	uint64_t now = 1000 * SLOT + 12345;
	uint32_t ts_clock = 0xfffffff0u;	/* near the wrap on purpose */
	uint32_t peer_isn = 0xdeadbeefu;

	for (unsigned i = 0; i < UST_TCP_SYNCOOKIE_MSS_COUNT; i++) {
		for (int ts = 0; ts < 2; ts++) {
			for (int ws = -1; ws <= 14; ws++) {
				for (int sack = 0; sack < 2; sack++) {
					struct ust_tcp_syncookie_opts syn = {
						.mss = ust_tcp_syncookie_mss_table[i], .ts_ok = ts,
						.wscale_ok = ws >= 0, .wscale = (uint8_t)(ws < 0 ? 0 : ws),
						.sack_ok = sack,
					};
					struct ust_tcp_syncookie_opts got;
					uint32_t tsval;
					uint32_t isn = ust_tcp_syncookie_make(&key, &tup, peer_isn, now,
									      &syn, ts_clock, &tsval);
					if (ts) {
						assert_true(ust_ts_leq(tsval, ts_clock));
						assert_true(ust_seq_diff(ts_clock, tsval) < 128);
					}
					/* the peer's ACK: seq = peer_isn + 1, ack = isn + 1, echoes TSval */
					int rc = ust_tcp_syncookie_check(&key, &tup, peer_isn + 1, isn + 1,
									 now + SLOT / 2, ts, tsval, &got);
					assert_int_equal(rc, 0);
					assert_int_equal(got.mss, ust_tcp_syncookie_mss_table[i]);
					assert_int_equal(got.ts_ok, ts);
					if (ts) {
						assert_int_equal(got.wscale_ok, ws >= 0);
						if (ws >= 0)
							assert_int_equal(got.wscale, ws);
						assert_int_equal(got.sack_ok, sack);
					} else {
						assert_false(got.wscale_ok);
						assert_false(got.sack_ok);
					}
				}
			}
		}
	}
}

static uint32_t make_default(uint64_t now, uint32_t *tsval)
{
	struct ust_tcp_syncookie_opts syn = { .mss = 1460, .ts_ok = true, .wscale_ok = true,
					      .wscale = 7, .sack_ok = true };
	return ust_tcp_syncookie_make(&key, &tup, 1000, now, &syn, 5000000, tsval);
}

static void test_expiry(void **state)
{
	struct ust_tcp_syncookie_opts got;
	uint32_t tsval;
	uint64_t t0 = 77 * SLOT + 5;
	uint32_t isn = make_default(t0, &tsval);

	(void)state;
	assert_int_equal(ust_tcp_syncookie_check(&key, &tup, 1001, isn + 1, t0, true, tsval, &got), 0);
	/* next slot: still valid */
	assert_int_equal(ust_tcp_syncookie_check(&key, &tup, 1001, isn + 1, t0 + SLOT, true, tsval, &got), 0);
	/* two slots later: expired */
	assert_int_equal(ust_tcp_syncookie_check(&key, &tup, 1001, isn + 1, t0 + 2 * SLOT, true, tsval, &got),
			 -ETIMEDOUT);
	assert_int_equal(ust_tcp_syncookie_check(&key, &tup, 1001, isn + 1, t0 + 20 * SLOT, true, tsval, &got),
			 -ETIMEDOUT);
	/* 32 slots later the 5-bit counter matches again, the MAC does not */
	assert_int_equal(ust_tcp_syncookie_check(&key, &tup, 1001, isn + 1, t0 + 32 * SLOT, true, tsval, &got),
			 -EINVAL);
	/* a cookie from the future (clock went back a slot) is not accepted */
	assert_int_equal(ust_tcp_syncookie_check(&key, &tup, 1001, isn + 1, t0 - SLOT, true, tsval, &got),
			 -ETIMEDOUT);
}

static void test_forgery(void **state)
{
	struct ust_tcp_syncookie_opts got;
	uint32_t tsval;
	uint64_t t0 = 5 * SLOT;
	uint32_t isn = make_default(t0, &tsval);
	struct ust_tcp_tuple other = tup;
	struct ust_tcp_secret k2 = key;

	(void)state;
	other.remote_port++;
	k2.bytes[3] ^= 1;
	assert_int_equal(ust_tcp_syncookie_check(&key, &other, 1001, isn + 1, t0, true, tsval, &got), -EINVAL);
	assert_int_equal(ust_tcp_syncookie_check(&k2, &tup, 1001, isn + 1, t0, true, tsval, &got), -EINVAL);
	/* wrong peer ISN */
	assert_int_equal(ust_tcp_syncookie_check(&key, &tup, 1002, isn + 1, t0, true, tsval, &got), -EINVAL);
	/* tampered option bits (raise wscale, drop SACK), or timestamps stripped */
	assert_int_equal(ust_tcp_syncookie_check(&key, &tup, 1001, isn + 1, t0, true, tsval ^ 1, &got), -EINVAL);
	assert_int_equal(ust_tcp_syncookie_check(&key, &tup, 1001, isn + 1, t0, true, tsval ^ 0x10, &got), -EINVAL);
	assert_int_equal(ust_tcp_syncookie_check(&key, &tup, 1001, isn + 1, t0, false, 0, &got), -EINVAL);
	/* the high TSval bits are not part of the cookie (only the low 6 are) */
	assert_int_equal(ust_tcp_syncookie_check(&key, &tup, 1001, isn + 1, t0, true, tsval + 64, &got), 0);
	/* flipping any single bit of the MAC or MSS index is caught */
	for (int b = 0; b < 27; b++)
		assert_int_equal(ust_tcp_syncookie_check(&key, &tup, 1001, (isn ^ (1u << b)) + 1, t0, true,
							 tsval, &got), -EINVAL);
	/* brute force over 100000 random-ish cookies in the current slot: none accepted */
	uint32_t x = 12345;
	int accepted = 0;
	for (int i = 0; i < 100000; i++) {
		x = x * 1103515245u + 12345u;
		uint32_t c = (isn & 0xf8000000u) | (x & 0x07ffffffu);
		if (c != isn && ust_tcp_syncookie_check(&key, &tup, 1001, c + 1, t0, true, tsval, &got) == 0)
			accepted++;
	}
	assert_true(accepted <= 1);	/* expected 100000 / 2^24 ~ 0.006 */
}

static void test_tsval_low_bits(void **state)
{
	struct ust_tcp_syncookie_opts syn = { .mss = 536, .ts_ok = true };
	uint32_t tsval;

	(void)state;
	/* no wscale, no SACK: bits 0x0f */
	ust_tcp_syncookie_make(&key, &tup, 1, SLOT, &syn, 1000, &tsval);
	assert_int_equal(tsval & 63, 0x0f);
	assert_true(tsval <= 1000 && tsval > 1000 - 64);
	/* wscale clamped to 14 */
	syn.wscale_ok = true;
	syn.wscale = 20;
	syn.sack_ok = true;
	ust_tcp_syncookie_make(&key, &tup, 1, SLOT, &syn, 1000, &tsval);
	assert_int_equal(tsval & 63, 0x10 | 14);
	/* without timestamps nothing goes into TSval */
	syn.ts_ok = false;
	ust_tcp_syncookie_make(&key, &tup, 1, SLOT, &syn, 1000, &tsval);
	assert_int_equal(tsval, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mss_index),
		cmocka_unit_test(test_round_trip_all),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_forgery),
		cmocka_unit_test(test_tsval_low_bits),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
