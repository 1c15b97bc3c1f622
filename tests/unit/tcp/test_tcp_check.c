/* Input validity rules: RFC 9293 acceptability (four cases, wrap), PAWS incl. 24-day
 * idle and RST exemption, TS.Recent update, RFC 5961 RST/ACK checks and challenge-ACK
 * limit, window scaling helpers (clamp, choice, field, never shrink), SND.WND update,
 * effective MSS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/tcp_check.h"

#define SEC 1000000000ull

static void test_acceptability(void **state)
{
	const uint32_t bases[] = { 1000, 0xfffffff0u };

	(void)state;
	for (int b = 0; b < 2; b++) {
		uint32_t n = bases[b];
		/* len 0, wnd 0: only RCV.NXT */
		assert_true(ust_tcp_seq_acceptable(n, 0, n, 0));
		assert_false(ust_tcp_seq_acceptable(n + 1, 0, n, 0));
		assert_false(ust_tcp_seq_acceptable(n - 1, 0, n, 0));
		/* len 0, wnd > 0 */
		assert_true(ust_tcp_seq_acceptable(n, 0, n, 100));
		assert_true(ust_tcp_seq_acceptable(n + 99, 0, n, 100));
		assert_false(ust_tcp_seq_acceptable(n + 100, 0, n, 100));
		assert_false(ust_tcp_seq_acceptable(n - 1, 0, n, 100));
		/* len > 0, wnd 0: never */
		assert_false(ust_tcp_seq_acceptable(n, 1, n, 0));
		/* len > 0, wnd > 0: start or end in window */
		assert_true(ust_tcp_seq_acceptable(n + 50, 100, n, 100));	/* start in */
		assert_true(ust_tcp_seq_acceptable(n - 50, 100, n, 100));	/* end in */
		assert_false(ust_tcp_seq_acceptable(n - 100, 100, n, 100));	/* ends at n - 1 */
		assert_true(ust_tcp_seq_acceptable(n - 99, 100, n, 100));	/* last byte is n */
		assert_false(ust_tcp_seq_acceptable(n + 100, 10, n, 100));
	}
}

static void test_paws(void **state)
{
	uint64_t now = 1000 * SEC;

	(void)state;
	assert_false(ust_tcp_paws_reject(true, 100, true, 100, now, now, false));	/* equal ok */
	assert_true(ust_tcp_paws_reject(true, 99, true, 100, now, now, false));
	assert_false(ust_tcp_paws_reject(true, 101, true, 100, now, now, false));
	/* across the TS wrap */
	assert_false(ust_tcp_paws_reject(true, 5, true, 0xfffffff0u, now, now, false));
	assert_true(ust_tcp_paws_reject(true, 0xfffffff0u, true, 5, now, now, false));
	/* no timestamp, no TS.Recent, RST: not subject */
	assert_false(ust_tcp_paws_reject(false, 0, true, 100, now, now, false));
	assert_false(ust_tcp_paws_reject(true, 99, false, 100, now, now, false));
	assert_false(ust_tcp_paws_reject(true, 99, true, 100, now, now, true));
	/* TS.Recent older than 24 days is invalid */
	uint64_t later = now + UST_TCP_PAWS_IDLE_NS + 1;
	assert_false(ust_tcp_paws_reject(true, 99, true, 100, now, later, false));
	assert_true(ust_tcp_paws_reject(true, 99, true, 100, now, now + UST_TCP_PAWS_IDLE_NS, false));
	/* TS.Recent update: TSval >= TS.Recent and SEG.SEQ <= Last.ACK.sent */
	assert_true(ust_tcp_ts_recent_update(200, 100, true, 5000, 5000));
	assert_true(ust_tcp_ts_recent_update(100, 100, true, 4000, 5000));
	assert_false(ust_tcp_ts_recent_update(200, 100, true, 5001, 5000));	/* beyond left edge */
	assert_false(ust_tcp_ts_recent_update(99, 100, true, 5000, 5000));
	assert_true(ust_tcp_ts_recent_update(7, 0, false, 5000, 5000));
}

static void test_rfc5961(void **state)
{
	struct ust_tcp_challenge_limiter l;

	(void)state;
	assert_int_equal(ust_tcp_rst_check(1000, 1000, 500), UST_TCP_RST_ACCEPT);
	assert_int_equal(ust_tcp_rst_check(1001, 1000, 500), UST_TCP_RST_CHALLENGE);
	assert_int_equal(ust_tcp_rst_check(1499, 1000, 500), UST_TCP_RST_CHALLENGE);
	assert_int_equal(ust_tcp_rst_check(1500, 1000, 500), UST_TCP_RST_DROP);
	assert_int_equal(ust_tcp_rst_check(999, 1000, 500), UST_TCP_RST_DROP);
	assert_int_equal(ust_tcp_rst_check(1000, 1000, 0), UST_TCP_RST_ACCEPT);
	assert_int_equal(ust_tcp_rst_check(1001, 1000, 0), UST_TCP_RST_DROP);
	assert_int_equal(ust_tcp_rst_check(5, 0xfffffff0u, 100), UST_TCP_RST_CHALLENGE);

	/* ACK: (SND.UNA - MAX.SND.WND) <= SEG.ACK <= SND.NXT */
	assert_int_equal(ust_tcp_ack_check(1500, 1000, 2000, 5000), UST_TCP_ACK_NEW);
	assert_int_equal(ust_tcp_ack_check(2000, 1000, 2000, 5000), UST_TCP_ACK_NEW);
	assert_int_equal(ust_tcp_ack_check(2001, 1000, 2000, 5000), UST_TCP_ACK_INVALID);
	assert_int_equal(ust_tcp_ack_check(1000, 1000, 2000, 5000), UST_TCP_ACK_DUP);
	assert_int_equal(ust_tcp_ack_check(999, 1000, 2000, 500), UST_TCP_ACK_OLD);
	assert_int_equal(ust_tcp_ack_check(500, 1000, 2000, 500), UST_TCP_ACK_OLD);
	assert_int_equal(ust_tcp_ack_check(499, 1000, 2000, 500), UST_TCP_ACK_INVALID);
	assert_int_equal(ust_tcp_ack_check(0xfffffff0u, 10, 100, 100), UST_TCP_ACK_OLD);
	assert_int_equal(ust_tcp_ack_check(50, 0xfffffff0u, 100, 100), UST_TCP_ACK_NEW);

	/* rate limit: 3 per second */
	ust_tcp_challenge_init(&l, 3);
	uint64_t t = 10 * SEC;
	for (int i = 0; i < 3; i++)
		assert_true(ust_tcp_challenge_allow(&l, t + (uint64_t)i));
	assert_false(ust_tcp_challenge_allow(&l, t + SEC / 2));
	assert_int_equal(l.suppressed, 1);
	assert_true(ust_tcp_challenge_allow(&l, t + SEC));
	ust_tcp_challenge_init(&l, 0);
	assert_int_equal(l.limit, UST_TCP_CHALLENGE_ACK_LIMIT_DEFAULT);
}

static void test_window_scaling(void **state)
{
	(void)state;
	assert_int_equal(ust_tcp_wscale_clamp(15), 14);
	assert_int_equal(ust_tcp_wscale_clamp(255), 14);
	assert_int_equal(ust_tcp_wscale_clamp(7), 7);
	assert_int_equal(ust_tcp_wscale_for(65535), 0);
	assert_int_equal(ust_tcp_wscale_for(65536), 1);
	assert_int_equal(ust_tcp_wscale_for(256 * 1024), 3);
	assert_int_equal(ust_tcp_wscale_for(UINT32_MAX), 14);
	assert_int_equal(ust_tcp_window_field(1000, 0), 1000);
	assert_int_equal(ust_tcp_window_field(100000, 0), 65535);
	assert_int_equal(ust_tcp_window_field(100000, 2), 25000);
	assert_int_equal(ust_tcp_window_field(100003, 2), 25000);	/* rounded down */
	/* offered window: rounded down to the scale unit */
	assert_int_equal(ust_tcp_rcv_window(10000, 0, 0, 7), 9984);
	/* never shrink: free space dropped but the old right edge stays */
	assert_int_equal(ust_tcp_rcv_window(1000, 5000, 20000, 0), 15000);
	/* ...rounded up so the field can express it */
	assert_int_equal(ust_tcp_rcv_window(0, 5000, 5100, 7), 128);
	/* across the wrap */
	assert_int_equal(ust_tcp_rcv_window(100, 0xfffffff0u, 0x100, 0), 0x110);
	/* saturates at 65535 << shift */
	assert_int_equal(ust_tcp_rcv_window(UINT32_MAX, 0, 0, 0), 65535);
	assert_int_equal(ust_tcp_rcv_window(UINT32_MAX, 0, 0, 14), 65535u << 14);
	/* SND.WND update rule */
	assert_true(ust_tcp_snd_wnd_update_ok(100, 50, 101, 10));
	assert_true(ust_tcp_snd_wnd_update_ok(100, 50, 100, 50));
	assert_true(ust_tcp_snd_wnd_update_ok(100, 50, 100, 51));
	assert_false(ust_tcp_snd_wnd_update_ok(100, 50, 100, 49));
	assert_false(ust_tcp_snd_wnd_update_ok(100, 50, 99, 1000));
	assert_true(ust_tcp_snd_wnd_update_ok(0xfffffff0u, 0, 3, 0));
}

static void test_effective_mss(void **state)
{
	(void)state;
	assert_int_equal(ust_tcp_effective_mss(true, 1460, 1500, false), 1460);
	assert_int_equal(ust_tcp_effective_mss(true, 1460, 1500, true), 1448);
	assert_int_equal(ust_tcp_effective_mss(false, 0, 1500, false), 536);
	assert_int_equal(ust_tcp_effective_mss(true, 8960, 1500, false), 1460);
	assert_int_equal(ust_tcp_effective_mss(true, 8960, 9000, true), 8948);
	assert_int_equal(ust_tcp_effective_mss(true, 10, 1500, false), 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acceptability),
		cmocka_unit_test(test_paws),
		cmocka_unit_test(test_rfc5961),
		cmocka_unit_test(test_window_scaling),
		cmocka_unit_test(test_effective_mss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
