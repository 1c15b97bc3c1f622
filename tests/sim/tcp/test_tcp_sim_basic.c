/*
 * TCP basics on two simulated stacks: three-way handshake, data both ways, options
 * negotiated (MSS, window scale, SACK, timestamps as TCP_INFO shows them), connect to a
 * closed port (ECONNREFUSED), simultaneous open, socket options.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tcp_harness.h"

static void handshake_and_data(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int l = tsim_listen(s.b, 80, 8);
	assert_true(l >= 0);
	int c = tsim_connect(s.a, SIM_IP_B, 80);
	assert_true(c >= 0);
	assert_int_equal(tsim_state(s.a, c), UST_TCPS_SYN_SENT);
	assert_false(tsim_events(s.a, c) & EPOLLOUT);
	int d = tsim_accept(&s, s.b, l, SIM_SEC);
	assert_true(d >= 0);
	assert_int_equal(tsim_state(s.a, c), UST_TCPS_ESTABLISHED);
	assert_int_equal(tsim_state(s.b, d), UST_TCPS_ESTABLISHED);
	assert_true(tsim_events(s.a, c) & EPOLLOUT);
	assert_int_equal(tsim_so_error(s.a, c), 0);

	struct sockaddr_in pa;
	socklen_t pl = sizeof(pa);
	assert_int_equal(ust_getpeername(s.b, d, (struct sockaddr *)&pa, &pl), 0);
	assert_int_equal(ntohl(pa.sin_addr.s_addr), SIM_IP_A);

	assert_int_equal(ust_write(s.a, c, "hello", 5), 5);
	sim_run(&s, 10 * SIM_MS);
	assert_true(tsim_events(s.b, d) & EPOLLIN);
	char buf[64];
	assert_int_equal(ust_read(s.b, d, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(ust_read(s.b, d, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(ust_write(s.b, d, "world!", 6), 6);
	sim_run(&s, 10 * SIM_MS);
	assert_int_equal(ust_read(s.a, c, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "world!", 6);

	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	assert_int_equal(ust_getsockopt(s.a, c, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0);
	assert_int_equal(ti.tcpi_state, 1);
	assert_int_equal(ti.tcpi_snd_mss, 1460);
	assert_true(ti.tcpi_options & TCPI_OPT_TIMESTAMPS);
	assert_true(ti.tcpi_options & TCPI_OPT_SACK);
	assert_true(ti.tcpi_options & TCPI_OPT_WSCALE);
	assert_true(ti.tcpi_rcv_wscale > 0);
	assert_true(ti.tcpi_rtt > 0);
	assert_int_equal(ti.tcpi_total_retrans, 0);
	int mss = 0;
	socklen_t ml = sizeof(mss);
	assert_int_equal(ust_getsockopt(s.a, c, IPPROTO_TCP, TCP_MAXSEG, &mss, &ml), 0);
	assert_int_equal(mss, 1460);
	char cc[16] = { 0 };
	socklen_t cl = sizeof(cc);
	assert_int_equal(ust_getsockopt(s.a, c, IPPROTO_TCP, TCP_CONGESTION, cc, &cl), 0);
	assert_string_equal(cc, "cubic");
	assert_int_equal(ust_setsockopt(s.a, c, IPPROTO_TCP, TCP_CONGESTION, "newreno", 7), 0);
	cl = sizeof(cc);
	assert_int_equal(ust_getsockopt(s.a, c, IPPROTO_TCP, TCP_CONGESTION, cc, &cl), 0);
	assert_string_equal(cc, "newreno");
	assert_int_equal(ust_setsockopt(s.a, c, IPPROTO_TCP, TCP_CONGESTION, "nope", 4), -1);
	int one = 1;
	assert_int_equal(ust_setsockopt(s.a, c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);

	ust_close(s.a, c);
	ust_close(s.b, d);
	ust_close(s.b, l);
	sim_run(&s, 200 * SIM_SEC);
	assert_int_equal(ust__tcp(s.a)->ntcb, 0);
	assert_int_equal(ust__tcp(s.b)->ntcb, 0);
	sim_fini(&s);
}

static void refused(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int c = tsim_connect(s.a, SIM_IP_B, 81);
	assert_true(c >= 0);
	sim_run(&s, 100 * SIM_MS);
	assert_true(tsim_events(s.a, c) & EPOLLERR);
	assert_int_equal(tsim_so_error(s.a, c), ECONNREFUSED);
	assert_int_equal(tsim_state(s.a, c), UST_TCPS_CLOSED);
	assert_true(sim_counter(s.b, "tcp.rx_no_socket") >= 1);
	assert_int_equal(ust_write(s.a, c, "x", 1), -1);
	ust_close(s.a, c);
	sim_fini(&s);
}

static void host_unreachable(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int c = tsim_connect(s.a, UST_IPV4(10, 0, 0, 99), 80);	/* nobody answers ARP */
	assert_true(c >= 0);
	sim_run(&s, 10 * SIM_SEC);
	assert_true(tsim_events(s.a, c) & EPOLLERR);
	assert_int_equal(tsim_so_error(s.a, c), EHOSTUNREACH);
	ust_close(s.a, c);
	assert_int_equal(ust__tcp(s.a)->ntcb, 0);
	sim_fini(&s);
}

static void maxseg_clamp(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int l = tsim_listen(s.b, 80, 4);
	int c = ust_socket(s.a, AF_INET, SOCK_STREAM, 0);
	int v = 1000;
	assert_int_equal(ust_setsockopt(s.a, c, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof(v)), 0);
	struct sockaddr_in a = sim_addr(SIM_IP_B, 80);
	assert_int_equal(ust_connect(s.a, c, (struct sockaddr *)&a, sizeof(a)), -1);
	int d = tsim_accept(&s, s.b, l, SIM_SEC);
	assert_true(d >= 0);
	socklen_t vl = sizeof(v);
	assert_int_equal(ust_getsockopt(s.a, c, IPPROTO_TCP, TCP_MAXSEG, &v, &vl), 0);
	assert_int_equal(v, 1000);
	assert_int_equal(ust_getsockopt(s.b, d, IPPROTO_TCP, TCP_MAXSEG, &v, &vl), 0);
	assert_int_equal(v, 1000);	/* the peer honours the MSS we advertised */
	assert_int_equal(ust_setsockopt(s.a, c, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof(v)), -1);
	struct tsim_xfer x = { .len = 100000, .seed = 1, .close_after = true };
	assert_true(tsim_pump(&s, s.b, d, &x, s.a, c, NULL, s.now + 10 * SIM_SEC));
	assert_true(x.sum_rx == x.sum_tx);
	ust_close(s.a, c);
	ust_close(s.b, d);
	ust_close(s.b, l);
	sim_run(&s, 100 * SIM_SEC);
	sim_fini(&s);
}

static void simultaneous_open(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int a = ust_socket(s.a, AF_INET, SOCK_STREAM, 0);
	int b = ust_socket(s.b, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in la = sim_addr(0, 5000), lb = sim_addr(0, 6000);
	assert_int_equal(ust_bind(s.a, a, (struct sockaddr *)&la, sizeof(la)), 0);
	assert_int_equal(ust_bind(s.b, b, (struct sockaddr *)&lb, sizeof(lb)), 0);
	struct sockaddr_in ra = sim_addr(SIM_IP_B, 6000), rb = sim_addr(SIM_IP_A, 5000);
	assert_int_equal(ust_connect(s.a, a, (struct sockaddr *)&ra, sizeof(ra)), -1);
	assert_int_equal(ust_connect(s.b, b, (struct sockaddr *)&rb, sizeof(rb)), -1);
	sim_run(&s, 5 * SIM_SEC);
	assert_int_equal(tsim_state(s.a, a), UST_TCPS_ESTABLISHED);
	assert_int_equal(tsim_state(s.b, b), UST_TCPS_ESTABLISHED);
	assert_int_equal(ust_write(s.a, a, "simul", 5), 5);
	sim_run(&s, 100 * SIM_MS);
	char buf[8];
	assert_int_equal(ust_read(s.b, b, buf, sizeof(buf)), 5);
	ust_close(s.a, a);
	ust_close(s.b, b);
	sim_run(&s, 100 * SIM_SEC);
	sim_fini(&s);
}

static void epoll_events(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int ep = ust_epoll_create(s.a);
	int epb = ust_epoll_create(s.b);
	int l = tsim_listen(s.b, 80, 4);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = l };
	assert_int_equal(ust_epoll_ctl(s.b, epb, EPOLL_CTL_ADD, l, &ev), 0);
	int c = tsim_connect(s.a, SIM_IP_B, 80);
	int bad = tsim_connect(s.a, SIM_IP_B, 99);
	ev = (struct epoll_event){ .events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.fd = c };
	assert_int_equal(ust_epoll_ctl(s.a, ep, EPOLL_CTL_ADD, c, &ev), 0);
	ev = (struct epoll_event){ .events = EPOLLOUT, .data.fd = bad };
	assert_int_equal(ust_epoll_ctl(s.a, ep, EPOLL_CTL_ADD, bad, &ev), 0);
	struct epoll_event out[8];
	assert_int_equal(ust_epoll_collect(s.a, ep, out, 8), 0);	/* connecting: nothing yet */
	sim_run(&s, 50 * SIM_MS);
	int n = ust_epoll_collect(s.a, ep, out, 8);
	assert_int_equal(n, 2);
	for (int i = 0; i < n; i++) {
		if (out[i].data.fd == c) {
			assert_true(out[i].events & EPOLLOUT);	/* connected */
			assert_false(out[i].events & EPOLLERR);
		} else {
			assert_true(out[i].events & EPOLLERR);	/* refused */
			assert_int_equal(tsim_so_error(s.a, bad), ECONNREFUSED);
		}
	}
	n = ust_epoll_collect(s.b, epb, out, 8);
	assert_int_equal(n, 1);
	assert_true(out[0].events & EPOLLIN);	/* a connection to accept */
	int d = ust_accept(s.b, l, NULL, NULL);
	assert_true(d >= 0);
	ust_close(s.b, d);	/* FIN to the client: EPOLLIN | EPOLLRDHUP */
	sim_run(&s, 50 * SIM_MS);
	n = ust_epoll_collect(s.a, ep, out, 8);
	bool seen = false;
	for (int i = 0; i < n; i++)
		if (out[i].data.fd == c) {
			assert_true(out[i].events & EPOLLIN);
			assert_true(out[i].events & EPOLLRDHUP);
			seen = true;
		}
	assert_true(seen);
	ust_close(s.a, c);
	ust_close(s.a, bad);
	ust_close(s.b, l);
	ust_close(s.a, ep);
	ust_close(s.b, epb);
	sim_run(&s, 100 * SIM_SEC);
	sim_fini(&s);
}

static void tiny_segments_do_not_pin_buffers(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int c, d;
	tsim_pair(&s, 80, &c, &d);
	int one = 1;
	assert_int_equal(ust_setsockopt(s.a, c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	uint32_t before = sim_small_in_use(s.b);
	for (int i = 0; i < 20000; i++) {
		assert_int_equal(ust_write(s.a, c, "x", 1), 1);
		if (i % 50 == 0)
			sim_run(&s, SIM_MS);
	}
	sim_run(&s, SIM_SEC);
	uint32_t after = sim_small_in_use(s.b);
	printf("receiver buffers: %u before, %u holding 20000 one-byte segments\n", before, after);
	assert_true(after < before + 40);
	char buf[32768];
	assert_int_equal(ust_read(s.b, d, buf, sizeof(buf)), 20000);
	ust_close(s.a, c);
	ust_close(s.b, d);
	sim_run(&s, 100 * SIM_SEC);
	sim_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(handshake_and_data),
		cmocka_unit_test(refused),
		cmocka_unit_test(host_unreachable),
		cmocka_unit_test(maxseg_clamp),
		cmocka_unit_test(simultaneous_open),
		cmocka_unit_test(epoll_events),
		cmocka_unit_test(tiny_segments_do_not_pin_buffers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
