/* Congestion-control registry and NewReno: IW, slow start with ABC (L = 2), congestion
 * avoidance by byte counting, fast recovery with inflation and partial ACKs (RFC 6582),
 * the recover guard, SACK-mode recovery, RTO response (first and repeated), SMSS change. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/tcp_cc.h"

#define MSS 1000u

static void nop_ack(struct ust_tcp_cc_conn *c, void *p, uint32_t a, uint32_t r)
{
	(void)c; (void)p; (void)a; (void)r;
}

static void nop(struct ust_tcp_cc_conn *c, void *p)
{
	(void)c; (void)p;
}

static void test_registry(void **state)
{
	struct ust_tcp_cc_registry reg;
	static const struct ust_tcp_cc_ops bad = { .name = "bad", .priv_size = UST_TCP_CC_PRIV_MAX + 1,
						   .on_ack = nop_ack, .on_congestion_event = nop,
						   .on_recovery_exit = nop, .on_rto = nop };
	static const struct ust_tcp_cc_ops noname = { .name = "", .on_ack = nop_ack,
						      .on_congestion_event = nop,
						      .on_recovery_exit = nop, .on_rto = nop };
	static struct ust_tcp_cc_ops extra[8];
	static char names[8][8];

	(void)state;
	ust_tcp_cc_registry_init(&reg);
	assert_ptr_equal(ust_tcp_cc_find(&reg, "newreno"), &ust_tcp_cc_newreno);
	assert_ptr_equal(ust_tcp_cc_find(&reg, "cubic"), &ust_tcp_cc_cubic);
	assert_null(ust_tcp_cc_find(&reg, "bbr"));
	assert_null(ust_tcp_cc_find(&reg, NULL));
	assert_ptr_equal(ust_tcp_cc_default(&reg), &ust_tcp_cc_cubic);
	assert_int_equal(ust_tcp_cc_set_default(&reg, "newreno"), 0);
	assert_ptr_equal(ust_tcp_cc_default(&reg), &ust_tcp_cc_newreno);
	assert_int_equal(ust_tcp_cc_set_default(&reg, "vegas"), -ENOENT);
	assert_ptr_equal(ust_tcp_cc_default(&reg), &ust_tcp_cc_newreno);
	assert_int_equal(ust_tcp_cc_register(&reg, &ust_tcp_cc_cubic), -EEXIST);
	assert_int_equal(ust_tcp_cc_register(&reg, &bad), -EINVAL);
	assert_int_equal(ust_tcp_cc_register(&reg, &noname), -EINVAL);
	assert_int_equal(ust_tcp_cc_register(&reg, NULL), -EINVAL);
	for (int i = 0; i < 8; i++) {
		names[i][0] = 'x';
		names[i][1] = (char)('0' + i);
		extra[i] = (struct ust_tcp_cc_ops){ .name = names[i], .on_ack = nop_ack,
						    .on_congestion_event = nop,
						    .on_recovery_exit = nop, .on_rto = nop };
		int rc = ust_tcp_cc_register(&reg, &extra[i]);
		assert_int_equal(rc, i < UST_TCP_CC_REGISTRY_MAX - 2 ? 0 : -ENOSPC);
	}
	assert_ptr_equal(ust_tcp_cc_find(&reg, "x0"), &extra[0]);
	/* two stacks, two registries, independent defaults */
	struct ust_tcp_cc_registry other;
	ust_tcp_cc_registry_init(&other);
	assert_ptr_equal(ust_tcp_cc_default(&other), &ust_tcp_cc_cubic);
}

static void test_initial_window(void **state)
{
	struct ust_tcp_cc cc;

	(void)state;
	assert_int_equal(ust_tcp_cc_initial_window(1460), 14600);
	assert_int_equal(ust_tcp_cc_initial_window(536), 5360);
	assert_int_equal(ust_tcp_cc_initial_window(9000), 18000);
	assert_int_equal(ust_tcp_cc_init(&cc, &ust_tcp_cc_newreno, 1460, 0, false, 0), 0);
	assert_int_equal(ust_tcp_cc_cwnd(&cc), 14600);
	assert_int_equal(ust_tcp_cc_ssthresh(&cc), UINT32_MAX);
	assert_true(ust_tcp_cc_in_slow_start(&cc));
	assert_int_equal(ust_tcp_cc_init(&cc, NULL, 1460, 0, false, 0), -EINVAL);
	assert_int_equal(ust_tcp_cc_init(&cc, &ust_tcp_cc_newreno, 0, 0, false, 0), -EINVAL);
}

static void test_slow_start_abc(void **state)
{
	struct ust_tcp_cc cc;
	uint32_t una = 1;

	(void)state;
	ust_tcp_cc_init(&cc, &ust_tcp_cc_newreno, MSS, 0, false, 0);
	assert_int_equal(cc.conn.cwnd, 10000);
	ust_tcp_cc_on_ack(&cc, una += 1000, 1000, 9000, 0, 0);
	assert_int_equal(cc.conn.cwnd, 11000);
	/* a stretch ACK of 3 segments grows by L*SMSS = 2000 only */
	ust_tcp_cc_on_ack(&cc, una += 3000, 3000, 8000, 0, 0);
	assert_int_equal(cc.conn.cwnd, 13000);
	/* a small ACK grows by what it acked */
	ust_tcp_cc_on_ack(&cc, una += 500, 500, 8000, 0, 0);
	assert_int_equal(cc.conn.cwnd, 13500);
	/* never beyond ssthresh in slow start */
	cc.conn.ssthresh = 15000;
	ust_tcp_cc_on_ack(&cc, una += 2000, 2000, 8000, 0, 0);
	assert_int_equal(cc.conn.cwnd, 15000);
	assert_false(ust_tcp_cc_in_slow_start(&cc));
	/* application-limited: no growth */
	cc.conn.ssthresh = UINT32_MAX;
	cc.conn.cwnd = 13500;
	ust_tcp_cc_on_output(&cc, una, una + 3000, 3000, false);	/* flight 3000 < cwnd / 2 */
	ust_tcp_cc_on_ack(&cc, una += 1000, 1000, 2000, 0, 0);
	assert_int_equal(cc.conn.cwnd, 13500);
	ust_tcp_cc_on_output(&cc, una, una + 13500, 13500, true);
	cc.conn.ssthresh = 15000;
	ust_tcp_cc_on_ack(&cc, una += 2000, 2000, 8000, 0, 0);
	assert_int_equal(cc.conn.cwnd, 15000);
	/* an ACK that acks nothing changes nothing */
	ust_tcp_cc_on_ack(&cc, una, 0, 8000, 0, 0);
	assert_int_equal(cc.conn.cwnd, 15000);
}

static void test_congestion_avoidance(void **state)
{
	struct ust_tcp_cc cc;
	uint32_t una = 1;

	(void)state;
	ust_tcp_cc_init(&cc, &ust_tcp_cc_newreno, MSS, 0, false, 0);
	cc.conn.cwnd = 15000;
	cc.conn.ssthresh = 15000;
	for (int i = 0; i < 14; i++)
		ust_tcp_cc_on_ack(&cc, una += 1000, 1000, 15000, 0, 0);
	assert_int_equal(cc.conn.cwnd, 15000);
	ust_tcp_cc_on_ack(&cc, una += 1000, 1000, 15000, 0, 0);
	assert_int_equal(cc.conn.cwnd, 16000);	/* +1 SMSS after cwnd bytes acked */
	for (int i = 0; i < 8; i++)	/* delayed ACKs, 2 segments each */
		ust_tcp_cc_on_ack(&cc, una += 2000, 2000, 16000, 0, 0);
	assert_int_equal(cc.conn.cwnd, 17000);
}

/* Cwnd validation (RFC 5681 4.1, RFC 7661): growth only while the sender uses the window. */
static void test_cwnd_validation(void **state)
{
	struct ust_tcp_cc cc;
	uint32_t una = 1;

	(void)state;
	ust_tcp_cc_init(&cc, &ust_tcp_cc_newreno, MSS, 0, false, 0);
	/* no report yet: cwnd-limited by default */
	assert_true(ust_tcp_cc_is_cwnd_limited(&cc));
	/* slow start: limited while cwnd < 2 * the window's highest flight */
	ust_tcp_cc_on_output(&cc, una, una + 5000, 5000, false);
	assert_false(ust_tcp_cc_is_cwnd_limited(&cc));	/* 10000 = 2 * 5000 */
	ust_tcp_cc_on_ack(&cc, una += 1000, 1000, 4000, 0, 0);
	assert_int_equal(cc.conn.cwnd, 10000);
	assert_false(cc.conn.cwnd_limited);
	/* a higher flight in the same window raises the mark */
	ust_tcp_cc_on_output(&cc, una, una + 5000, 5001, false);
	assert_true(ust_tcp_cc_is_cwnd_limited(&cc));
	ust_tcp_cc_on_ack(&cc, una += 1000, 1000, 4001, 0, 0);
	assert_int_equal(cc.conn.cwnd, 11000);
	assert_true(cc.conn.cwnd_limited);
	/* a new window (SND.UNA reached the last report's SND.NXT) starts over, lower */
	una = 6001;
	ust_tcp_cc_on_output(&cc, una, una + 2000, 2000, false);
	ust_tcp_cc_on_ack(&cc, una += 1000, 1000, 1000, 0, 0);
	assert_int_equal(cc.conn.cwnd, 11000);
	/* congestion avoidance: only a block by cwnd counts, however full the flight */
	cc.conn.cwnd = 15000;
	cc.conn.ssthresh = 15000;
	ust_tcp_cc_on_output(&cc, una, una + 14500, 14500, false);
	for (int i = 0; i < 30; i++)
		ust_tcp_cc_on_ack(&cc, una += 1000, 1000, 14000, 0, 0);
	assert_int_equal(cc.conn.cwnd, 15000);	/* not even the byte counter moved */
	/* blocked: growth resumes, one SMSS per cwnd bytes acked */
	ust_tcp_cc_on_output(&cc, una, una + 15000, 15000, true);
	for (int i = 0; i < 14; i++)
		ust_tcp_cc_on_ack(&cc, una += 1000, 1000, 15000, 0, 0);
	assert_int_equal(cc.conn.cwnd, 15000);
	/* the block holds for the window even if a later send round was not blocked */
	ust_tcp_cc_on_output(&cc, una, una + 15000, 1000, false);
	ust_tcp_cc_on_ack(&cc, una += 1000, 1000, 15000, 0, 0);
	assert_int_equal(cc.conn.cwnd, 16000);
	/* past the window's end a report that is not blocked ends it */
	una += 20000;
	ust_tcp_cc_on_output(&cc, una, una + 8000, 8000, false);
	for (int i = 0; i < 40; i++)
		ust_tcp_cc_on_ack(&cc, una += 1000, 1000, 8000, 0, 0);
	assert_int_equal(cc.conn.cwnd, 16000);
}

/* Per-RTT rounds with one ACK per ack_segs segments: doubling then +1 per round. */
static void test_window_evolution(void **state)
{
	struct ust_tcp_cc cc;
	uint32_t una = 1;

	(void)state;
	for (uint32_t per = 1; per <= 2; per++) {
		ust_tcp_cc_init(&cc, &ust_tcp_cc_newreno, MSS, 0, false, 0);
		cc.conn.ssthresh = 64 * MSS;
		uint32_t expect = 10;
		for (int round = 0; round < 12; round++) {
			assert_int_equal(cc.conn.cwnd, expect * MSS);
			uint32_t segs = cc.conn.cwnd / MSS;
			for (uint32_t s = 0; s < segs; s += per)
				ust_tcp_cc_on_ack(&cc, una += per * MSS, per * MSS, cc.conn.cwnd, 0, 0);
			expect = expect < 64 ? (expect * 2 > 64 ? 64 : expect * 2) : expect + 1;
		}
	}
}

static void test_fast_recovery_partial_acks(void **state)
{
	struct ust_tcp_cc cc;
	unsigned f;

	(void)state;
	ust_tcp_cc_init(&cc, &ust_tcp_cc_newreno, MSS, 0, false, 0);
	cc.conn.cwnd = 20000;
	cc.conn.ssthresh = 10000;
	/* 20 segments in flight [1, 20001); three dupacks at 1 */
	assert_true(ust_tcp_cc_enter_recovery(&cc, 1, 20001, 20000, 0));
	assert_true(cc.conn.in_recovery);
	assert_int_equal(cc.recover, 20000);
	assert_int_equal(cc.conn.ssthresh, 10000);	/* max(20000/2, 2*SMSS) */
	assert_int_equal(cc.conn.cwnd, 13000);		/* ssthresh + 3*SMSS */
	assert_false(ust_tcp_cc_enter_recovery(&cc, 1, 20001, 20000, 0));	/* already on */
	for (int i = 0; i < 5; i++)
		ust_tcp_cc_on_dupack(&cc);
	assert_int_equal(cc.conn.cwnd, 18000);
	/* partial ACK of 5 segments: deflate by 5000, add back one SMSS, retransmit, rearm */
	f = ust_tcp_cc_on_ack(&cc, 5001, 5000, 15000, 0, 0);
	assert_int_equal(f, UST_TCP_CC_RETRANSMIT | UST_TCP_CC_RESTART_TIMER);
	assert_int_equal(cc.conn.cwnd, 14000);
	/* a partial ACK of less than one SMSS: no add-back; the timer is rearmed only once */
	f = ust_tcp_cc_on_ack(&cc, 5501, 500, 14500, 0, 0);
	assert_int_equal(f, UST_TCP_CC_RETRANSMIT);
	assert_int_equal(cc.conn.cwnd, 13500);
	/* ACK of exactly recover (the last byte not yet covered) is still partial */
	f = ust_tcp_cc_on_ack(&cc, 20000, 14499, 1, 0, 0);
	assert_true(f & UST_TCP_CC_RETRANSMIT);
	assert_true(cc.conn.in_recovery);
	/* full ACK with little in flight: cwnd = min(ssthresh, max(flight, SMSS) + SMSS) */
	f = ust_tcp_cc_on_ack(&cc, 20001, 1, 2000, 0, 0);
	assert_int_equal(f, UST_TCP_CC_EXITED);
	assert_false(cc.conn.in_recovery);
	assert_int_equal(cc.conn.cwnd, 3000);
	/* the next ACK grows in CA/SS again (cwnd 3000 < ssthresh: slow start) */
	ust_tcp_cc_on_ack(&cc, 21001, 1000, 2000, 0, 0);
	assert_int_equal(cc.conn.cwnd, 4000);

	/* full ACK with a large flight: cwnd = ssthresh */
	ust_tcp_cc_init(&cc, &ust_tcp_cc_newreno, MSS, 0, false, 0);
	cc.conn.cwnd = 30000;
	assert_true(ust_tcp_cc_enter_recovery(&cc, 1, 30001, 30000, 0));
	assert_int_equal(cc.conn.cwnd, 18000);
	f = ust_tcp_cc_on_ack(&cc, 40001, 30000, 20000, 0, 0);
	assert_int_equal(f, UST_TCP_CC_EXITED);
	assert_int_equal(cc.conn.cwnd, 15000);
}

static void test_recover_guard(void **state)
{
	struct ust_tcp_cc cc;

	(void)state;
	/* ISS near the wrap: recover starts at ISS */
	ust_tcp_cc_init(&cc, &ust_tcp_cc_newreno, MSS, 0xffffff00u, false, 0);
	cc.conn.cwnd = 20000;
	/* RTO with data outstanding up to snd_nxt = 0x4e00 (past the wrap) */
	ust_tcp_cc_on_rto(&cc, 0xffffff01u, 0x4e00, 20000, 0);
	assert_int_equal(cc.recover, 0x4dff);
	/* duplicate ACKs for old data (ack <= recover) must not start a fast retransmit */
	assert_false(ust_tcp_cc_enter_recovery(&cc, 0x1000, 0x4e00, 10000, 0));
	assert_false(ust_tcp_cc_enter_recovery(&cc, 0x4dff, 0x4e00, 10000, 0));
	assert_false(cc.conn.in_recovery);
	/* once the ACK covers recover, a new loss episode may start */
	assert_true(ust_tcp_cc_enter_recovery(&cc, 0x4e00, 0x9000, 10000, 0));
	assert_int_equal(cc.recover, 0x8fff);
}

static void test_sack_recovery(void **state)
{
	struct ust_tcp_cc cc;
	unsigned f;

	(void)state;
	ust_tcp_cc_init(&cc, &ust_tcp_cc_newreno, MSS, 0, true, 0);
	cc.conn.cwnd = 20000;
	assert_true(ust_tcp_cc_enter_recovery(&cc, 1, 20001, 20000, 0));
	assert_int_equal(cc.conn.cwnd, 10000);	/* RFC 6675 4.2: cwnd = ssthresh, no inflation */
	ust_tcp_cc_on_dupack(&cc);
	assert_int_equal(cc.conn.cwnd, 10000);
	f = ust_tcp_cc_on_ack(&cc, 5001, 5000, 12000, 0, 0);
	assert_int_equal(f, UST_TCP_CC_RESTART_TIMER);	/* pipe/NextSeg drive sending */
	assert_int_equal(cc.conn.cwnd, 10000);
	f = ust_tcp_cc_on_ack(&cc, 20001, 15000, 9000, 0, 0);
	assert_int_equal(f, UST_TCP_CC_EXITED);
	assert_int_equal(cc.conn.cwnd, 10000);
}

static void test_rto(void **state)
{
	struct ust_tcp_cc cc;

	(void)state;
	ust_tcp_cc_init(&cc, &ust_tcp_cc_newreno, MSS, 0, false, 0);
	cc.conn.cwnd = 20000;
	ust_tcp_cc_on_rto(&cc, 1, 20001, 20000, 0);
	assert_int_equal(cc.conn.ssthresh, 10000);
	assert_int_equal(cc.conn.cwnd, MSS);	/* LW */
	/* the same segment times out again: ssthresh held (RFC 5681 3.1) */
	ust_tcp_cc_on_rto(&cc, 1, 20001, 1000, 0);
	assert_int_equal(cc.conn.ssthresh, 10000);
	assert_int_equal(cc.conn.cwnd, MSS);
	/* progress, then slow start again from 1 SMSS */
	ust_tcp_cc_on_ack(&cc, 1001, 1000, 19000, 0, 0);
	assert_int_equal(cc.conn.cwnd, 2000);
	/* a new timeout after progress reduces again, floor 2*SMSS */
	ust_tcp_cc_on_rto(&cc, 1001, 20001, 3000, 0);
	assert_int_equal(cc.conn.ssthresh, 2000);
	assert_int_equal(cc.conn.cwnd, MSS);
	/* an RTO in recovery ends recovery */
	ust_tcp_cc_init(&cc, &ust_tcp_cc_newreno, MSS, 0, false, 0);
	cc.conn.cwnd = 20000;
	ust_tcp_cc_enter_recovery(&cc, 1, 20001, 20000, 0);
	ust_tcp_cc_on_rto(&cc, 1, 20001, 20000, 0);
	assert_false(cc.conn.in_recovery);
	assert_int_equal(cc.conn.cwnd, MSS);
	assert_int_equal(cc.conn.ssthresh, 10000);
}

static void test_smss_pacing_switch(void **state)
{
	struct ust_tcp_cc cc;

	(void)state;
	ust_tcp_cc_init(&cc, &ust_tcp_cc_newreno, 1460, 0, false, 0);
	assert_int_equal(ust_tcp_cc_pacing_rate(&cc), 0);	/* no RTT yet */
	ust_tcp_cc_set_rtt(&cc, 100000, 90000);
	/* slow start: 2 * cwnd / srtt = 2 * 14600 / 0.1 */
	assert_int_equal(ust_tcp_cc_pacing_rate(&cc), 292000);
	cc.conn.ssthresh = 14600;
	assert_int_equal(ust_tcp_cc_pacing_rate(&cc), 175200);	/* 1.2x in CA */
	ust_tcp_cc_set_smss(&cc, 1000);
	assert_int_equal(cc.conn.cwnd, 10000);
	assert_int_equal(cc.conn.smss, 1000);
	/* TCP_CONGESTION mid-connection keeps the window */
	assert_int_equal(ust_tcp_cc_set_ops(&cc, &ust_tcp_cc_cubic), 0);
	assert_int_equal(cc.conn.cwnd, 10000);
	assert_ptr_equal(cc.ops, &ust_tcp_cc_cubic);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_initial_window),
		cmocka_unit_test(test_slow_start_abc),
		cmocka_unit_test(test_congestion_avoidance),
		cmocka_unit_test(test_cwnd_validation),
		cmocka_unit_test(test_window_evolution),
		cmocka_unit_test(test_fast_recovery_partial_acks),
		cmocka_unit_test(test_recover_guard),
		cmocka_unit_test(test_sack_recovery),
		cmocka_unit_test(test_rto),
		cmocka_unit_test(test_smss_pacing_switch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
