/*
 * Listeners: the accept queue is bounded by listen()'s backlog (overflowing final ACKs and
 * SYNs are dropped and counted, clients get in later by retrying); a SYN flood from a
 * spoofed address fills only the SYN queue, then is answered with SYN cookies, so memory
 * stays flat while a legitimate client still connects (through a cookie) and talks.
 * Closing a listener resets its pending children.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tcp_harness.h"

static void backlog_overflow(void **state)
{
	(void)state;
	struct sim s;
	struct sim_opts o = { .delay_ns = SIM_MS };
	assert_int_equal(sim_init(&s, &o), 0);
	int l = tsim_listen(s.b, 80, 2);
	int c[5];
	for (int i = 0; i < 5; i++)
		c[i] = tsim_connect(s.a, SIM_IP_B, 80);
	sim_run(&s, 20 * SIM_MS);
	for (int i = 0; i < 5; i++)	/* clients that think they are connected speak first */
		assert_int_equal(ust_write(s.a, c[i], "hi", 2), 2);
	sim_run(&s, 500 * SIM_MS);
	struct ust__tcb *lt = ust__tcp_tcb(s.b, l);
	assert_int_equal(lt->nacc, 2);
	assert_true(sim_counter(s.b, "tcp.rx_listen_overflow") >= 1);
	/* drain the queue; the others get in as their SYN (or ACK) is retried */
	int acc = 0;
	for (int round = 0; round < 200 && acc < 5; round++) {
		int d;
		while ((d = ust_accept(s.b, l, NULL, NULL)) >= 0) {
			acc++;
			sim_run(&s, 10 * SIM_MS);
			char buf[4];
			assert_int_equal(ust_read(s.b, d, buf, sizeof(buf)), 2);
		}
		sim_run(&s, 100 * SIM_MS);
	}
	assert_int_equal(acc, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(tsim_state(s.a, c[i]), UST_TCPS_ESTABLISHED);
	sim_fini(&s);
}

static void syn_flood_cookies(void **state)
{
	(void)state;
	struct sim s;
	struct sim_opts o = { .delay_ns = SIM_MS };
	assert_int_equal(sim_init(&s, &o), 0);
	int l = tsim_listen(s.b, 80, 16);
	uint32_t spoofed = UST_IPV4(10, 0, 0, 77);	/* nobody answers for it */
	uint32_t in_use_after_first = 0;
	for (int i = 0; i < 5000; i++) {
		struct ust_tcp_repr syn = { .src_port = (uint16_t)(1024 + i), .dst_port = 80,
					    .seq = (uint32_t)i * 7919u, .flags = UST_TCP_SYN, .window = 65535 };
		syn.opts.has_mss = true;
		syn.opts.mss = 1460;
		syn.opts.has_timestamp = true;
		syn.opts.ts_val = (uint32_t)i;
		tsim_inject(s.b, spoofed, SIM_IP_B, &syn, NULL, 0);
		if (i % 100 == 0)
			sim_run(&s, SIM_MS);
		if (i == 1000)
			in_use_after_first = sim_small_in_use(s.b);
	}
	assert_true(ust__tcp(s.b)->ntcb <= 1 + 16);	/* listener + a full SYN queue, no more */
	assert_true(sim_counter(s.b, "tcp.syncookies_sent") >= 5000 - 16);
	uint32_t in_use = sim_small_in_use(s.b);
	printf("tcbs %u, buffers in use after 1000 SYNs %u, after 5000 %u\n", ust__tcp(s.b)->ntcb, in_use_after_first,
	       in_use);
	assert_true(in_use <= in_use_after_first + 8);	/* flat */
	/* a real client still gets in (its SYN is answered with a cookie too) */
	int c = tsim_connect(s.a, SIM_IP_B, 80);
	int d = tsim_accept(&s, s.b, l, 5 * SIM_SEC);
	assert_true(d >= 0);
	assert_int_equal(sim_counter(s.b, "tcp.syncookies_ok"), 1);
	assert_int_equal(tsim_state(s.a, c), UST_TCPS_ESTABLISHED);
	struct tsim_xfer x = { .len = 500000, .seed = 5, .close_after = true };
	assert_true(tsim_pump(&s, s.a, c, &x, s.b, d, NULL, s.now + 60 * SIM_SEC));
	assert_true(x.sum_rx == x.sum_tx);
	/* options came through the cookie: timestamps, window scale, SACK */
	struct ust__tcb *bt = ust__tcp_tcb(s.b, d);
	assert_true(bt->flags & UST_TF_TS);
	assert_true(bt->flags & UST_TF_WS);
	assert_true(bt->flags & UST_TF_SACK);
	/* a forged cookie ACK is refused */
	struct ust_tcp_repr ack = { .src_port = 999, .dst_port = 80, .seq = 1, .ack = 12345, .flags = UST_TCP_ACK };
	tsim_inject(s.b, SIM_IP_A, SIM_IP_B, &ack, NULL, 0);
	assert_int_equal(sim_counter(s.b, "tcp.syncookies_failed"), 1);
	ust_close(s.a, c);
	ust_close(s.b, d);
	ust_close(s.b, l);
	sim_run(&s, 100 * SIM_SEC);
	assert_int_equal(ust__tcp(s.b)->ntcb, 0);
	sim_fini(&s);
}

static void listener_close_resets_children(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int l = tsim_listen(s.b, 80, 8);
	int c = tsim_connect(s.a, SIM_IP_B, 80);
	sim_run(&s, 50 * SIM_MS);
	assert_int_equal(tsim_state(s.a, c), UST_TCPS_ESTABLISHED);
	ust_close(s.b, l);	/* never accepted */
	assert_int_equal(ust__tcp(s.b)->ntcb, 0);
	sim_run(&s, 50 * SIM_MS);
	assert_int_equal(tsim_so_error(s.a, c), ECONNRESET);
	ust_close(s.a, c);
	sim_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(backlog_overflow),
		cmocka_unit_test(syn_flood_cookies),
		cmocka_unit_test(listener_close_resets_children),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
