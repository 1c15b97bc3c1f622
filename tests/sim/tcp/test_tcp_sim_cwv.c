/*
 * Cwnd validation on the pair link (RFC 5681 4.1, RFC 7661, RFC 9438 5.8): a bulk transfer
 * limited by the receiver's small fixed SO_RCVBUF, for many RTTs, NewReno and CUBIC. The
 * sender's cwnd must stay within a small factor of the receiver's window (slow start may
 * take it to twice the flight it used, congestion avoidance about one segment past it)
 * instead of growing on every ACK of a window it never fills.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tcp_harness.h"

#define RCVBUF 65536

static void rwnd_limited(const char *cc)
{
	static uint8_t buf[65536];
	struct sim s;
	struct sim_opts o = { .delay_ns = 10 * SIM_MS, .buffers = 4096, .tcp_congestion = cc };
	assert_int_equal(sim_init(&s, &o), 0);
	int l = tsim_listen(s.b, 5001, 8);
	int small = RCVBUF;
	assert_int_equal(ust_setsockopt(s.b, l, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	int c = tsim_connect(s.a, SIM_IP_B, 5001);
	int d = tsim_accept(&s, s.b, l, 10 * SIM_SEC);
	assert_true(d >= 0);
	struct ust__tcb *t = ust__tcp_tcb(s.a, c);
	uint32_t max_cwnd = 0, max_wnd = 0, max_flight = 0;
	uint64_t got = 0;
	memset(buf, 'x', sizeof(buf));
	for (int ms = 0; ms < 20000; ms++) {	/* 20 s: 1000 RTTs */
		while (ust_write(s.a, c, buf, sizeof(buf)) > 0)
			;
		ssize_t n;
		while ((n = ust_read(s.b, d, buf, sizeof(buf))) > 0)
			got += (uint64_t)n;
		sim_run(&s, SIM_MS);
		if (ms < 2000)
			continue;	/* past the start */
		if (t->cc.conn.cwnd > max_cwnd)
			max_cwnd = t->cc.conn.cwnd;
		if (t->snd_wnd > max_wnd)
			max_wnd = t->snd_wnd;
		if (t->snd_max - t->snd_una > max_flight)
			max_flight = t->snd_max - t->snd_una;
	}
	uint32_t mss = t->cc.conn.smss;
	printf("%s: cwnd max %u segments, receiver window max %u, flight max %u, %llu bytes\n", cc,
	       max_cwnd / mss, max_wnd / mss, max_flight / mss, (unsigned long long)got);
	assert_true(got > 20ull * 1000 * 1000);	/* about rwnd per RTT: ~60 MB */
	assert_true(max_wnd <= 2 * RCVBUF);
	assert_int_equal(t->total_retrans, 0);
	/* the flow used the window it had, and cwnd did not run away from it */
	assert_true(max_cwnd >= max_flight);
	assert_true(max_cwnd / mss <= 2 * (max_wnd / mss) + 4);
	sim_fini(&s);
}

static void newreno_rwnd_limited(void **state)
{
	(void)state;
	rwnd_limited("newreno");
}

static void cubic_rwnd_limited(void **state)
{
	(void)state;
	rwnd_limited("cubic");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(newreno_rwnd_limited),
		cmocka_unit_test(cubic_rwnd_limited),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
