/*
 * UDP between two stacks over a pair link on a virtual clock: datagrams of 1..65507 bytes both
 * ways arrive intact (fragmented and reassembled above the MTU), a closed port gives
 * ECONNREFUSED on the sender's connected socket, broadcast needs SO_BROADCAST, SO_RCVBUF
 * bounds the receive queue, and nothing leaks.
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

static uint8_t txbuf[65536], rxbuf[65536];

static void fill(uint8_t *b, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 7 + seed + (i >> 8));
}

static void xfer(struct sim *s, struct ust_stack *from, struct ust_stack *to, uint32_t from_ip, uint32_t to_ip,
		 size_t len)
{
	int rx = sim_udp_socket(to, 5000);
	int tx = sim_udp_socket(from, 0);
	assert_true(rx >= 0 && tx >= 0);
	fill(txbuf, len, (unsigned)len);
	struct sockaddr_in dst = sim_addr(to_ip, 5000);
	assert_int_equal(ust_sendto(from, tx, txbuf, len, 0, (struct sockaddr *)&dst, sizeof(dst)), (ssize_t)len);
	sim_run(s, 20 * SIM_MS);
	struct sockaddr_in src;
	socklen_t slen = sizeof(src);
	memset(rxbuf, 0, len);
	ssize_t n = ust_recvfrom(to, rx, rxbuf, sizeof(rxbuf), 0, (struct sockaddr *)&src, &slen);
	assert_int_equal(n, (ssize_t)len);
	assert_memory_equal(rxbuf, txbuf, len);
	assert_int_equal(ntohl(src.sin_addr.s_addr), from_ip);
	struct sockaddr_in me;
	socklen_t mlen = sizeof(me);
	assert_int_equal(ust_getsockname(from, tx, (struct sockaddr *)&me, &mlen), 0);
	assert_int_equal(src.sin_port, me.sin_port);
	/* nothing more queued */
	assert_int_equal(ust_recvfrom(to, rx, rxbuf, sizeof(rxbuf), 0, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	ust_close(to, rx);
	ust_close(from, tx);
}

static void test_sizes_both_ways(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, &(struct sim_opts){ .delay_ns = 50000 }), 0);
	static const size_t sizes[] = { 0, 1, 1472, 1473, 2952, 8000, 30001, 65507 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		xfer(&s, s.a, s.b, SIM_IP_A, SIM_IP_B, sizes[i]);
		xfer(&s, s.b, s.a, SIM_IP_B, SIM_IP_A, sizes[i]);
	}
	assert_true(sim_counter(s.b, "frag.reassembled") >= 4);
	assert_true(sim_counter(s.a, "ipv4.tx_fragmented_datagrams") >= 4);
	/* every buffer back in its pool (ARP entries hold none) */
	assert_int_equal(sim_big_in_use(s.a), 0);
	assert_int_equal(sim_big_in_use(s.b), 0);
	assert_int_equal(sim_small_in_use(s.a), 0);
	assert_int_equal(sim_small_in_use(s.b), 0);
	sim_fini(&s);
}

static void test_too_big(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int tx = sim_udp_socket(s.a, 0);
	struct sockaddr_in dst = sim_addr(SIM_IP_B, 5000);
	assert_int_equal(ust_sendto(s.a, tx, txbuf, 65508, 0, (struct sockaddr *)&dst, sizeof(dst)), -1);
	assert_int_equal(errno, EMSGSIZE);
	/* DF set and larger than the MTU: EMSGSIZE too */
	int v = IP_PMTUDISC_DO;
	assert_int_equal(ust_setsockopt(s.a, tx, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v)), 0);
	assert_int_equal(ust_sendto(s.a, tx, txbuf, 1473, 0, (struct sockaddr *)&dst, sizeof(dst)), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(ust_sendto(s.a, tx, txbuf, 1472, 0, (struct sockaddr *)&dst, sizeof(dst)), 1472);
	assert_true(sim_counter(s.a, "socket.err_msgsize") >= 2);
	sim_fini(&s);
}

static void test_closed_port_refused(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int tx = sim_udp_socket(s.a, 0);
	struct sockaddr_in dst = sim_addr(SIM_IP_B, 9999);
	assert_int_equal(ust_connect(s.a, tx, (struct sockaddr *)&dst, sizeof(dst)), 0);
	assert_int_equal(ust_write(s.a, tx, "hello", 5), 5);
	sim_run(&s, 10 * SIM_MS);
	assert_int_equal(sim_counter(s.b, "udp.rx_no_port"), 1);
	assert_int_equal(sim_counter(s.b, "icmp.tx_port_unreach"), 1);
	assert_int_equal(sim_counter(s.a, "icmp.rx_port_unreach"), 1);
	/* reported once, on the next call, then cleared */
	char b[8];
	assert_int_equal(ust_read(s.a, tx, b, sizeof(b)), -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_int_equal(ust_read(s.a, tx, b, sizeof(b)), -1);
	assert_int_equal(errno, EAGAIN);
	/* and through SO_ERROR */
	assert_int_equal(ust_write(s.a, tx, "again", 5), 5);
	sim_run(&s, 10 * SIM_MS);
	int err = 0;
	socklen_t len = sizeof(err);
	assert_int_equal(ust_getsockopt(s.a, tx, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	assert_int_equal(err, ECONNREFUSED);
	assert_int_equal(ust_getsockopt(s.a, tx, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	assert_int_equal(err, 0);
	sim_fini(&s);
}

static void test_broadcast(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int rx = sim_udp_socket(s.b, 6000);
	int tx = sim_udp_socket(s.a, 0);
	struct sockaddr_in dst = sim_addr(UST_IPV4(10, 0, 0, 255), 6000);
	assert_int_equal(ust_sendto(s.a, tx, "bc", 2, 0, (struct sockaddr *)&dst, sizeof(dst)), -1);
	assert_int_equal(errno, EACCES);
	int one = 1;
	assert_int_equal(ust_setsockopt(s.a, tx, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)), 0);
	assert_int_equal(ust_sendto(s.a, tx, "bc", 2, 0, (struct sockaddr *)&dst, sizeof(dst)), 2);
	dst = sim_addr(0xffffffffu, 6000);
	assert_int_equal(ust_sendto(s.a, tx, "lb", 2, 0, (struct sockaddr *)&dst, sizeof(dst)), 2);
	/* broadcast to a closed port: no ICMP error */
	dst = sim_addr(0xffffffffu, 6001);
	assert_int_equal(ust_sendto(s.a, tx, "no", 2, 0, (struct sockaddr *)&dst, sizeof(dst)), 2);
	sim_run(&s, 10 * SIM_MS);
	char b[8];
	assert_int_equal(ust_read(s.b, rx, b, sizeof(b)), 2);
	assert_memory_equal(b, "bc", 2);
	assert_int_equal(ust_read(s.b, rx, b, sizeof(b)), 2);
	assert_memory_equal(b, "lb", 2);
	assert_int_equal(sim_counter(s.b, "icmp.tx_port_unreach"), 0);
	assert_int_equal(sim_counter(s.b, "udp.rx_no_port"), 1);
	sim_fini(&s);
}

static void test_rcvbuf_overflow(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int rx = sim_udp_socket(s.b, 7000);
	int sz = 4096;
	assert_int_equal(ust_setsockopt(s.b, rx, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)), 0);
	int tx = sim_udp_socket(s.a, 0);
	struct sockaddr_in dst = sim_addr(SIM_IP_B, 7000);
	for (int i = 0; i < 10; i++)
		assert_int_equal(ust_sendto(s.a, tx, txbuf, 1000, 0, (struct sockaddr *)&dst, sizeof(dst)), 1000);
	sim_run(&s, 10 * SIM_MS);
	int got = 0;
	while (ust_read(s.b, rx, rxbuf, sizeof(rxbuf)) == 1000)
		got++;
	/* 1000 bytes + 768 of overhead each: two fit in 4096 */
	assert_int_equal(got, 2);
	assert_int_equal(sim_counter(s.b, "udp.rx_queue_full"), 8);
	/* a flood of 1-byte datagrams to an unread socket holds a bounded number of buffers */
	int idle = sim_udp_socket(s.b, 7001);
	dst = sim_addr(SIM_IP_B, 7001);
	for (int i = 0; i < 1000; i++) {
		ust_sendto(s.a, tx, "x", 1, 0, (struct sockaddr *)&dst, sizeof(dst));
		if (i % 50 == 0)
			sim_run(&s, SIM_MS);
	}
	sim_run(&s, 10 * SIM_MS);
	assert_true(sim_small_in_use(s.b) <= UST_SOCK_RCVBUF_DEFAULT / UST_SOCK_DGRAM_OVERHEAD + 1);
	(void)idle;
	sim_fini(&s);
}

static void test_connected_filters_and_peek(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int rx = sim_udp_socket(s.b, 8000);
	struct sockaddr_in peer = sim_addr(SIM_IP_A, 8001);
	assert_int_equal(ust_connect(s.b, rx, (struct sockaddr *)&peer, sizeof(peer)), 0);
	int good = sim_udp_socket(s.a, 8001), bad = sim_udp_socket(s.a, 8002);
	struct sockaddr_in dst = sim_addr(SIM_IP_B, 8000);
	assert_int_equal(ust_sendto(s.a, bad, "bad", 3, 0, (struct sockaddr *)&dst, sizeof(dst)), 3);
	assert_int_equal(ust_sendto(s.a, good, "good", 4, 0, (struct sockaddr *)&dst, sizeof(dst)), 4);
	sim_run(&s, 10 * SIM_MS);
	char b[8];
	assert_int_equal(ust_recvfrom(s.b, rx, b, sizeof(b), MSG_PEEK, NULL, NULL), 4);
	assert_int_equal(ust_recvfrom(s.b, rx, b, 2, MSG_TRUNC, NULL, NULL), 4);	/* real length */
	assert_int_equal(ust_read(s.b, rx, b, sizeof(b)), -1);
	assert_int_equal(errno, EAGAIN);
	/* write on the connected socket reaches the peer */
	assert_int_equal(ust_write(s.b, rx, "back", 4), 4);
	sim_run(&s, 10 * SIM_MS);
	assert_int_equal(ust_read(s.a, good, b, sizeof(b)), 4);
	assert_memory_equal(b, "back", 4);
	sim_fini(&s);
}

static void test_vectors(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int rx = sim_udp_socket(s.b, 5000), tx = sim_udp_socket(s.a, 0);
	struct sockaddr_in dst = sim_addr(SIM_IP_B, 5000);
	assert_int_equal(ust_connect(s.a, tx, (struct sockaddr *)&dst, sizeof(dst)), 0);
	struct iovec out[3] = { { "abc", 3 }, { "", 0 }, { "defgh", 5 } };
	assert_int_equal(ust_writev(s.a, tx, out, 3), 8);
	sim_run(&s, 5 * SIM_MS);
	char a[2], b[10];
	struct iovec in[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	assert_int_equal(ust_readv(s.b, rx, in, 2), 8);
	assert_memory_equal(a, "ab", 2);
	assert_memory_equal(b, "cdefgh", 6);
	/* no urgent data anywhere: MSG_OOB is refused, not ignored */
	assert_int_equal(ust_recvfrom(s.b, rx, b, sizeof(b), MSG_OOB, NULL, NULL), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	assert_int_equal(ust_sendto(s.a, tx, "x", 1, MSG_OOB, NULL, 0), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	/* MSG_DONTWAIT on an empty queue */
	assert_int_equal(ust_recvfrom(s.b, rx, b, sizeof(b), MSG_DONTWAIT, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	sim_fini(&s);
}

/* recvmsg/sendmsg: address, iovecs, MSG_TRUNC, and the IP_TTL / IP_TOS control messages. */
static void test_msg_ttl_tos(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int rx = sim_udp_socket(s.b, 5000), tx = sim_udp_socket(s.a, 6000);
	int on = 1, ttl = 33, tos = 0x28;
	assert_int_equal(ust_setsockopt(s.a, tx, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)), 0);
	assert_int_equal(ust_setsockopt(s.a, tx, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)), 0);
	assert_int_equal(ust_setsockopt(s.b, rx, IPPROTO_IP, IP_RECVTTL, &on, sizeof(on)), 0);
	assert_int_equal(ust_setsockopt(s.b, rx, IPPROTO_IP, IP_RECVTOS, &on, sizeof(on)), 0);
	int v = 0;
	socklen_t vl = sizeof(v);
	assert_int_equal(ust_getsockopt(s.b, rx, IPPROTO_IP, IP_RECVTTL, &v, &vl), 0);
	assert_int_equal(v, 1);
	struct sockaddr_in dst = sim_addr(SIM_IP_B, 5000);
	struct iovec out[2] = { { "hello ", 6 }, { "ttl", 3 } };
	struct msghdr m = { .msg_name = &dst, .msg_namelen = sizeof(dst), .msg_iov = out, .msg_iovlen = 2 };
	assert_int_equal(ust_sendmsg(s.a, tx, &m, 0), 9);
	assert_int_equal(ust_sendmsg(s.a, tx, &m, 0), 9);
	sim_run(&s, 5 * SIM_MS);

	char b[16];
	struct sockaddr_in from;
	struct iovec in = { b, 5 };	/* shorter than the datagram */
	union { struct cmsghdr align; uint8_t buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(1)]; } ctl;
	struct msghdr r = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &in, .msg_iovlen = 1,
			    .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	assert_int_equal(ust_recvmsg(s.b, rx, &r, 0), 5);
	assert_memory_equal(b, "hello", 5);
	assert_true(r.msg_flags & MSG_TRUNC);
	assert_false(r.msg_flags & MSG_CTRUNC);
	assert_int_equal(r.msg_namelen, sizeof(from));
	assert_int_equal(ntohs(from.sin_port), 6000);
	assert_int_equal(ntohl(from.sin_addr.s_addr), SIM_IP_A);
	int got_ttl = -1, got_tos = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&r); c; c = CMSG_NXTHDR(&r, c)) {
		assert_int_equal(c->cmsg_level, IPPROTO_IP);
		if (c->cmsg_type == IP_TTL)
			memcpy(&got_ttl, CMSG_DATA(c), sizeof(int));
		else if (c->cmsg_type == IP_TOS)
			got_tos = *CMSG_DATA(c);
	}
	assert_int_equal(got_ttl, 33);	/* one hop on the pair link: no router decremented it */
	assert_int_equal(got_tos, 0x28);

	/* no room for control messages: the datagram still comes, flagged MSG_CTRUNC */
	in.iov_len = sizeof(b);
	r.msg_controllen = 0;
	r.msg_control = NULL;
	assert_int_equal(ust_recvmsg(s.b, rx, &r, 0), 9);
	assert_false(r.msg_flags & MSG_TRUNC);
	assert_true(r.msg_flags & MSG_CTRUNC);
	assert_int_equal(r.msg_controllen, 0);
	assert_int_equal(ust_recvmsg(s.b, rx, &r, 0), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(ust_recvmsg(s.b, rx, NULL, 0), -1);
	assert_int_equal(errno, EFAULT);
	sim_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes_both_ways),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_closed_port_refused),
		cmocka_unit_test(test_broadcast),
		cmocka_unit_test(test_rcvbuf_overflow),
		cmocka_unit_test(test_connected_filters_and_peek),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_msg_ttl_tos),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
