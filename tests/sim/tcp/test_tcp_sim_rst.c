/*
 * Resets: SO_LINGER 0 and close with unread data abort with RST (peer: ECONNRESET, then EOF,
 * EPIPE on write); an exact RST (seq == RCV.NXT) closes a connection in every state:
 * SYN_RECEIVED (passive: forgotten; active: ECONNREFUSED), ESTABLISHED, FIN_WAIT_1/2,
 * CLOSE_WAIT (ECONNRESET), CLOSING, LAST_ACK, TIME_WAIT (quietly).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tcp_harness.h"

static bool block[2];	/* drop TCP frames per direction */
static bool block_acks;	/* drop pure ACKs from A */

static unsigned hook(struct sim *s, int dir, struct ust_pool *pool, struct ust_pkt *pkt, uint64_t *delay_ns)
{
	(void)s;
	(void)delay_ns;
	const uint8_t *f = ust_pkt_data(pool, pkt);
	bool tcp = pkt->len >= 54 && f[12] == 0x08 && f[13] == 0x00 && f[23] == 6;
	if (!tcp)
		return 1;
	if (dir == 0 && block_acks && f[47] == UST_TCP_ACK)
		return 0;
	return block[dir] ? 0 : 1;
}

static void setup(struct sim *s, uint64_t delay)
{
	block[0] = block[1] = false;
	block_acks = false;
	struct sim_opts o = { .impair = hook, .delay_ns = delay };
	assert_int_equal(sim_init(s, &o), 0);
}

/* Forge the exact RST the peer of tcb would send. */
static void exact_rst(struct ust_stack *st, const struct ust__tcb *t)
{
	struct ust_tcp_repr r = { .src_port = t->rport, .dst_port = t->lport, .seq = t->rcv_nxt, .flags = UST_TCP_RST };
	tsim_inject(st, t->raddr, t->laddr, &r, NULL, 0);
}

static void linger0(void **state)
{
	(void)state;
	struct sim s;
	setup(&s, 0);
	int c, d;
	tsim_pair(&s, 80, &c, &d);
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	assert_int_equal(ust_setsockopt(s.a, c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	uint64_t rst0 = sim_counter(s.a, "tcp.tx_rsts");
	ust_close(s.a, c);
	assert_int_equal(sim_counter(s.a, "tcp.tx_rsts"), rst0 + 1);
	assert_int_equal(ust__tcp(s.a)->ntcb, 0);	/* no TIME_WAIT after an abort */
	sim_run(&s, 10 * SIM_MS);
	uint32_t ev = tsim_events(s.b, d);
	assert_true(ev & EPOLLERR);
	assert_true(ev & EPOLLHUP);
	char buf[4];
	assert_int_equal(ust_read(s.b, d, buf, sizeof(buf)), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(ust_read(s.b, d, buf, sizeof(buf)), 0);
	assert_int_equal(ust_write(s.b, d, "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	ust_close(s.b, d);
	sim_fini(&s);
}

static void close_with_unread_data(void **state)
{
	(void)state;
	struct sim s;
	setup(&s, 0);
	int c, d;
	tsim_pair(&s, 80, &c, &d);
	assert_int_equal(ust_write(s.a, c, "unread", 6), 6);
	sim_run(&s, 10 * SIM_MS);
	ust_close(s.b, d);	/* RFC 9293 3.10.4: unread data -> RST, not FIN */
	assert_int_equal(sim_counter(s.b, "tcp.conn_aborted_unread"), 1);
	sim_run(&s, 10 * SIM_MS);
	assert_int_equal(tsim_so_error(s.a, c), ECONNRESET);
	assert_int_equal(tsim_state(s.a, c), UST_TCPS_CLOSED);
	ust_close(s.a, c);
	sim_fini(&s);
}

static void rst_syn_received_passive(void **state)
{
	(void)state;
	struct sim s;
	setup(&s, SIM_MS);
	int l = tsim_listen(s.b, 80, 8);
	block_acks = true;	/* the client's ACK of the SYN-ACK is lost */
	int c = tsim_connect(s.a, SIM_IP_B, 80);
	sim_run(&s, 50 * SIM_MS);
	assert_int_equal(ust__tcp(s.b)->ntcb, 2);
	struct ust__tcb *child = ust__tcp(s.b)->all;
	assert_int_equal(child->state, UST_TCPS_SYN_RECEIVED);
	exact_rst(s.b, child);
	assert_int_equal(ust__tcp(s.b)->ntcb, 1);	/* back to just the listener */
	ust_close(s.a, c);
	ust_close(s.b, l);
	sim_fini(&s);
}

/* Bring (c on A, d on B) to a state pair, then RST the A side. */
static void rst_in(int which)
{
	struct sim s;
	setup(&s, 5 * SIM_MS);
	int c, d;
	tsim_pair(&s, 80, &c, &d);
	int want_err = ECONNRESET;
	int expect;
	switch (which) {
	case UST_TCPS_ESTABLISHED:
		expect = UST_TCPS_ESTABLISHED;
		break;
	case UST_TCPS_FIN_WAIT_1:
		block[0] = true;
		ust_shutdown(s.a, c, SHUT_WR);
		expect = UST_TCPS_FIN_WAIT_1;
		break;
	case UST_TCPS_FIN_WAIT_2:
		ust_shutdown(s.a, c, SHUT_WR);
		sim_run(&s, 20 * SIM_MS);
		expect = UST_TCPS_FIN_WAIT_2;
		break;
	case UST_TCPS_CLOSE_WAIT:
		ust_shutdown(s.b, d, SHUT_WR);
		sim_run(&s, 20 * SIM_MS);
		expect = UST_TCPS_CLOSE_WAIT;
		break;
	case UST_TCPS_CLOSING:
		ust_shutdown(s.a, c, SHUT_WR);
		ust_shutdown(s.b, d, SHUT_WR);
		sim_run(&s, 4 * SIM_MS);	/* FINs in flight; their ACKs will be lost */
		block[0] = block[1] = true;
		sim_run(&s, 10 * SIM_MS);
		expect = UST_TCPS_CLOSING;
		want_err = 0;
		break;
	case UST_TCPS_LAST_ACK:
		ust_shutdown(s.b, d, SHUT_WR);
		sim_run(&s, 20 * SIM_MS);
		block[0] = true;
		ust_shutdown(s.a, c, SHUT_WR);
		expect = UST_TCPS_LAST_ACK;
		want_err = 0;
		break;
	default: /* TIME_WAIT */
		ust_shutdown(s.a, c, SHUT_WR);
		ust_shutdown(s.b, d, SHUT_WR);
		sim_run(&s, 40 * SIM_MS);
		expect = UST_TCPS_TIME_WAIT;
		want_err = 0;
		break;
	}
	assert_int_equal(tsim_state(s.a, c), expect);
	struct ust__tcb *t = ust__tcp_tcb(s.a, c);
	uint64_t n0 = sim_counter(s.a, "tcp.rx_rst");
	exact_rst(s.a, t);
	assert_int_equal(sim_counter(s.a, "tcp.rx_rst"), n0 + 1);
	assert_int_equal(tsim_state(s.a, c), UST_TCPS_CLOSED);
	assert_int_equal(tsim_so_error(s.a, c), want_err);
	ust_close(s.a, c);
	ust_close(s.b, d);
	assert_int_equal(ust__tcp(s.a)->ntcb, 0);
	sim_fini(&s);
}

static void rst_each_state(void **state)
{
	(void)state;
	int states[] = { UST_TCPS_ESTABLISHED, UST_TCPS_FIN_WAIT_1, UST_TCPS_FIN_WAIT_2, UST_TCPS_CLOSE_WAIT,
			 UST_TCPS_CLOSING, UST_TCPS_LAST_ACK, UST_TCPS_TIME_WAIT };
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		printf("RST in %s\n", ust__tcp_state_name(states[i]));
		rst_in(states[i]);
	}
}

static void rst_simultaneous_open_refused(void **state)
{
	(void)state;
	struct sim s;
	setup(&s, 0);
	int a = ust_socket(s.a, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in la = sim_addr(0, 5000), ra = sim_addr(SIM_IP_B, 6000);
	assert_int_equal(ust_bind(s.a, a, (struct sockaddr *)&la, sizeof(la)), 0);
	block[0] = true;
	assert_int_equal(ust_connect(s.a, a, (struct sockaddr *)&ra, sizeof(ra)), -1);
	struct ust__tcb *t = ust__tcp_tcb(s.a, a);
	/* a crossing SYN moves us to SYN_RECEIVED (active side) ... */
	struct ust_tcp_repr syn = { .src_port = 6000, .dst_port = 5000, .seq = 777, .flags = UST_TCP_SYN,
				    .window = 1000 };
	tsim_inject(s.a, SIM_IP_B, SIM_IP_A, &syn, NULL, 0);
	assert_int_equal(t->state, UST_TCPS_SYN_RECEIVED);
	/* ... and an exact RST there means connection refused */
	exact_rst(s.a, t);
	assert_int_equal(t->state, UST_TCPS_CLOSED);
	assert_int_equal(tsim_so_error(s.a, a), ECONNREFUSED);
	ust_close(s.a, a);
	sim_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(linger0),
		cmocka_unit_test(close_with_unread_data),
		cmocka_unit_test(rst_syn_received_passive),
		cmocka_unit_test(rst_each_state),
		cmocka_unit_test(rst_simultaneous_open_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
