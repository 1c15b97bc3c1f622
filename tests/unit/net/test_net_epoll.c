/*
 * Epoll-like API on a virtual clock (ust_epoll_collect): level-triggered readiness repeats
 * while data is queued, edge-triggered readiness is reported once per arrival; EPOLLOUT,
 * EPOLLERR for a pending error, EPOLLONESHOT, MOD/DEL, closing a watched socket, errors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static void send_to_b(struct sim *s, int tx, uint16_t port, const char *msg)
{
	struct sockaddr_in dst = sim_addr(SIM_IP_B, port);
	assert_int_equal(ust_sendto(s->a, tx, msg, strlen(msg), 0, (struct sockaddr *)&dst, sizeof(dst)),
			 (ssize_t)strlen(msg));
	sim_run(s, 5 * SIM_MS);
}

static void test_level_vs_edge(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int lt = sim_udp_socket(s.b, 5000), et = sim_udp_socket(s.b, 5001), tx = sim_udp_socket(s.a, 0);
	int ep = ust_epoll_create(s.b);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 1 };
	assert_int_equal(ust_epoll_ctl(s.b, ep, EPOLL_CTL_ADD, lt, &ev), 0);
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u32 = 2 };
	assert_int_equal(ust_epoll_ctl(s.b, ep, EPOLL_CTL_ADD, et, &ev), 0);
	struct epoll_event out[4];
	assert_int_equal(ust_epoll_collect(s.b, ep, out, 4), 0);

	send_to_b(&s, tx, 5000, "one");
	send_to_b(&s, tx, 5001, "one");
	send_to_b(&s, tx, 5001, "two");
	int n = ust_epoll_collect(s.b, ep, out, 4);
	assert_int_equal(n, 2);
	/* again without reading: level reports again, edge does not */
	n = ust_epoll_collect(s.b, ep, out, 4);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].data.u32, 1);
	assert_int_equal(out[0].events, EPOLLIN);
	/* reading one of two datagrams from the edge socket: no new edge */
	char b[8];
	assert_int_equal(ust_read(s.b, et, b, sizeof(b)), 3);
	n = ust_epoll_collect(s.b, ep, out, 4);
	assert_int_equal(n, 1);
	/* a new arrival is a new edge */
	send_to_b(&s, tx, 5001, "three");
	n = ust_epoll_collect(s.b, ep, out, 4);
	assert_int_equal(n, 2);
	/* drain the level socket: it stops being reported */
	assert_int_equal(ust_read(s.b, lt, b, sizeof(b)), 3);
	n = ust_epoll_collect(s.b, ep, out, 4);
	assert_int_equal(n, 0);
	sim_fini(&s);
}

static void test_out_err_oneshot(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int sd = sim_udp_socket(s.a, 0);
	int ep = ust_epoll_create(s.a);
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLONESHOT, .data.u32 = 7 };
	assert_int_equal(ust_epoll_ctl(s.a, ep, EPOLL_CTL_ADD, sd, &ev), 0);
	struct epoll_event out[2];
	assert_int_equal(ust_epoll_collect(s.a, ep, out, 2), 1);
	assert_int_equal(out[0].events, EPOLLOUT);
	assert_int_equal(ust_epoll_collect(s.a, ep, out, 2), 0);	/* one shot */
	ev.events = EPOLLIN;
	assert_int_equal(ust_epoll_ctl(s.a, ep, EPOLL_CTL_MOD, sd, &ev), 0);
	assert_int_equal(ust_epoll_collect(s.a, ep, out, 2), 0);
	/* a pending error shows as EPOLLERR even when not asked for */
	struct sockaddr_in dst = sim_addr(SIM_IP_B, 9999);
	ust_connect(s.a, sd, (struct sockaddr *)&dst, sizeof(dst));
	ust_write(s.a, sd, "x", 1);
	sim_run(&s, 5 * SIM_MS);
	assert_int_equal(ust_epoll_collect(s.a, ep, out, 2), 1);
	assert_int_equal(out[0].events, EPOLLERR);
	char b[4];
	assert_int_equal(ust_read(s.a, sd, b, sizeof(b)), -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_int_equal(ust_epoll_collect(s.a, ep, out, 2), 0);
	/* DEL, and errors */
	assert_int_equal(ust_epoll_ctl(s.a, ep, EPOLL_CTL_DEL, sd, NULL), 0);
	assert_int_equal(ust_epoll_ctl(s.a, ep, EPOLL_CTL_DEL, sd, NULL), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(ust_epoll_ctl(s.a, ep, EPOLL_CTL_ADD, 99, &ev), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(ust_epoll_ctl(s.a, sd, EPOLL_CTL_ADD, sd, &ev), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(ust_epoll_ctl(s.a, ep, EPOLL_CTL_ADD, ep, &ev), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(ust_epoll_ctl(s.a, ep, EPOLL_CTL_ADD, sd, &ev), 0);
	assert_int_equal(ust_epoll_ctl(s.a, ep, EPOLL_CTL_ADD, sd, &ev), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(ust_epoll_collect(s.a, ep, out, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(ust_epoll_collect(s.a, 123, out, 2), -1);
	assert_int_equal(errno, EBADF);
	sim_fini(&s);
}

static void test_close_watched_and_maxevents(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int ep1 = ust_epoll_create(s.a), ep2 = ust_epoll_create(s.a);
	int sds[5];
	for (int i = 0; i < 5; i++) {
		sds[i] = sim_udp_socket(s.a, 0);
		struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = (uint32_t)i };
		assert_int_equal(ust_epoll_ctl(s.a, ep1, EPOLL_CTL_ADD, sds[i], &ev), 0);
		assert_int_equal(ust_epoll_ctl(s.a, ep2, EPOLL_CTL_ADD, sds[i], &ev), 0);
	}
	struct epoll_event out[8];
	/* fewer slots than ready sockets: the rest come next time (round robin) */
	assert_int_equal(ust_epoll_collect(s.a, ep1, out, 2), 2);
	assert_int_equal(ust_epoll_collect(s.a, ep1, out, 8), 5);
	ust_close(s.a, sds[2]);
	assert_int_equal(ust_epoll_collect(s.a, ep1, out, 8), 4);
	assert_int_equal(ust_epoll_collect(s.a, ep2, out, 8), 4);
	for (int i = 0; i < 4; i++)
		assert_int_not_equal(out[i].data.u32, 2);
	ust_close(s.a, ep1);
	assert_int_equal(ust_epoll_collect(s.a, ep2, out, 8), 4);
	/* the rest is freed by the stack (LSan checks) */
	sim_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_level_vs_edge),
		cmocka_unit_test(test_out_err_oneshot),
		cmocka_unit_test(test_close_watched_and_maxevents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
