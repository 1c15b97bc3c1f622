/*
 * ICMP echo between two stacks on a virtual clock, through ICMP sockets (Linux ping-socket
 * semantics): payloads from 0 to 65507 bytes come back intact (requests and replies fragmented
 * and reassembled), replies are matched to the socket by identifier, broadcast pings are
 * ignored, and every buffer returns to its pool. By default sizes 0..3000 one by one, then
 * every 97th size and both sides of every fragment-count boundary up to 65507; with
 * UST_PING_EVERY_SIZE=1 in the environment, every single size 0..65507 (about 5 s of CPU).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "wire/bytes.h"

static uint8_t req[65536], rep[65536];

static int ping_socket(struct ust_stack *st)
{
	return ust_socket(st, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
}

static void ping_once(struct sim *s, int sd, size_t size, uint16_t seq)
{
	req[0] = 8;
	req[1] = 0;
	memset(req + 2, 0, 6);
	ust_put_be16(req + 6, seq);
	for (size_t i = 0; i < size; i++)
		req[8 + i] = (uint8_t)(i ^ seq ^ (i >> 9));
	struct sockaddr_in dst = sim_addr(SIM_IP_B, 0);
	assert_int_equal(ust_sendto(s->a, sd, req, 8 + size, 0, (struct sockaddr *)&dst, sizeof(dst)),
			 (ssize_t)(8 + size));
	sim_run(s, 5 * SIM_MS);
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	ssize_t n = ust_recvfrom(s->a, sd, rep, sizeof(rep), 0, (struct sockaddr *)&from, &flen);
	assert_int_equal(n, (ssize_t)(8 + size));
	assert_int_equal(rep[0], 0);	/* echo reply */
	assert_int_equal(ust_get_be16(rep + 6), seq);
	assert_memory_equal(rep + 8, req + 8, size);
	assert_int_equal(ntohl(from.sin_addr.s_addr), SIM_IP_B);
}

static void test_ping_sizes(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, &(struct sim_opts){ .delay_ns = 20000 }), 0);
	int sd = ping_socket(s.a);
	assert_true(sd >= 0);
	uint16_t seq = 0;
	uint64_t pings = 0;
	/* every size across the first fragmentation boundaries, then a dense stride to the
	 * maximum, plus both sides of every point where one more fragment is needed */
	for (size_t size = 0; size <= 3000; size++)
		ping_once(&s, sd, size, seq++), pings++;
	size_t stride = getenv("UST_PING_EVERY_SIZE") ? 1 : 97;	/* every size: ~10 s */
	for (size_t size = 3001; size < 65507; size += stride)
		ping_once(&s, sd, size, seq++), pings++;
	for (size_t edge = 1472 + 1480; edge < 65507; edge += 1480)
		for (size_t size = edge - 1; size <= edge + 1; size++)
			ping_once(&s, sd, size, seq++), pings++;
	ping_once(&s, sd, 65506, seq++), pings++;
	ping_once(&s, sd, 65507, seq++), pings++;
	assert_int_equal(sim_counter(s.b, "icmp.tx_echo_replies"), pings);
	/* 65508 bytes of payload do not fit an IP datagram */
	struct sockaddr_in dst = sim_addr(SIM_IP_B, 0);
	assert_int_equal(ust_sendto(s.a, sd, req, 8 + 65508, 0, (struct sockaddr *)&dst, sizeof(dst)), -1);
	assert_int_equal(errno, EMSGSIZE);
	ust_close(s.a, sd);
	assert_int_equal(sim_big_in_use(s.a), 0);
	assert_int_equal(sim_big_in_use(s.b), 0);
	assert_int_equal(sim_small_in_use(s.a), 0);
	assert_int_equal(sim_small_in_use(s.b), 0);
	sim_fini(&s);
}

static void test_ids_and_errors(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int s1 = ping_socket(s.a), s2 = ping_socket(s.a);
	ping_once(&s, s1, 10, 1);
	/* the reply went to s1 only */
	assert_int_equal(ust_read(s.a, s2, rep, sizeof(rep)), -1);
	assert_int_equal(errno, EAGAIN);
	ping_once(&s, s2, 20, 2);
	/* not an echo request: EINVAL; too short: EINVAL */
	struct sockaddr_in dst = sim_addr(SIM_IP_B, 0);
	uint8_t bad[8] = { 13, 0 };
	assert_int_equal(ust_sendto(s.a, s1, bad, 8, 0, (struct sockaddr *)&dst, sizeof(dst)), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(ust_sendto(s.a, s1, req, 4, 0, (struct sockaddr *)&dst, sizeof(dst)), -1);
	assert_int_equal(errno, EINVAL);
	/* broadcast ping: refused without SO_BROADCAST, ignored by B with it */
	dst = sim_addr(UST_IPV4(10, 0, 0, 255), 0);
	req[0] = 8;
	assert_int_equal(ust_sendto(s.a, s1, req, 8, 0, (struct sockaddr *)&dst, sizeof(dst)), -1);
	assert_int_equal(errno, EACCES);
	int one = 1;
	ust_setsockopt(s.a, s1, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
	assert_int_equal(ust_sendto(s.a, s1, req, 8, 0, (struct sockaddr *)&dst, sizeof(dst)), 8);
	sim_run(&s, 5 * SIM_MS);
	assert_int_equal(sim_counter(s.b, "icmp.rx_echo_broadcast_ignored"), 1);
	sim_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ping_sizes),
		cmocka_unit_test(test_ids_and_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
