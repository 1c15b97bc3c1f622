/*
 * Socket API errors and bookkeeping on a stack over a pair link: EBADF, ENOTSOCK,
 * EAFNOSUPPORT, EPROTONOSUPPORT, EINVAL, EADDRINUSE (and SO_REUSEADDR sharing),
 * EADDRNOTAVAIL, EMSGSIZE, EDESTADDRREQ, ENOTCONN, ENETUNREACH, ephemeral ports, options,
 * and the counters each refusal increments.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static void test_bad_descriptors(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	char b[4];
	assert_int_equal(ust_read(s.a, 42, b, 4), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(ust_write(s.a, -1, b, 4), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(ust_close(s.a, 7), -1);
	assert_int_equal(errno, EBADF);
	int sd = sim_udp_socket(s.a, 0);
	assert_int_equal(ust_close(s.a, sd), 0);
	assert_int_equal(ust_close(s.a, sd), -1);	/* closed twice */
	assert_int_equal(errno, EBADF);
	int ep = ust_epoll_create(s.a);
	assert_int_equal(ust_bind(s.a, ep, NULL, 0), -1);
	assert_int_equal(errno, ENOTSOCK);
	assert_int_equal(sim_counter(s.a, "socket.err_badf"), 4);
	assert_int_equal(sim_counter(s.a, "socket.err_notsock"), 1);
	sim_fini(&s);
}

static void test_socket_kinds(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	assert_int_equal(ust_socket(s.a, AF_INET6, SOCK_DGRAM, 0), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
	assert_int_equal(ust_socket(s.a, AF_INET, SOCK_RAW, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(ust_socket(s.a, AF_INET, SOCK_DGRAM, IPPROTO_TCP), -1);
	assert_int_equal(errno, EPROTONOSUPPORT);
	int u = ust_socket(s.a, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	int i = ust_socket(s.a, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	assert_true(u >= 0 && i >= 0 && u != i);
	int v;
	socklen_t len = sizeof(v);
	assert_int_equal(ust_getsockopt(s.a, i, SOL_SOCKET, SO_PROTOCOL, &v, &len), 0);
	assert_int_equal(v, IPPROTO_ICMP);
	assert_int_equal(ust_getsockopt(s.a, u, SOL_SOCKET, SO_TYPE, &v, &len), 0);
	assert_int_equal(v, SOCK_DGRAM);
	/* descriptors are reused lowest first */
	ust_close(s.a, u);
	assert_int_equal(ust_socket(s.a, AF_INET, SOCK_DGRAM, 0), u);
	sim_fini(&s);
}

static void test_bind_errors(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int a = ust_socket(s.a, AF_INET, SOCK_DGRAM, 0), b = ust_socket(s.a, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in any = sim_addr(0, 4000), mine = sim_addr(SIM_IP_A, 4000);
	struct sockaddr_in foreign = sim_addr(UST_IPV4(192, 168, 1, 1), 4000);
	assert_int_equal(ust_bind(s.a, a, (struct sockaddr *)&any, sizeof(any) - 1), -1);
	assert_int_equal(errno, EINVAL);
	struct sockaddr_in6 six = { .sin6_family = AF_INET6 };
	assert_int_equal(ust_bind(s.a, a, (struct sockaddr *)&six, sizeof(six)), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
	assert_int_equal(ust_bind(s.a, a, (struct sockaddr *)&foreign, sizeof(foreign)), -1);
	assert_int_equal(errno, EADDRNOTAVAIL);
	assert_int_equal(ust_bind(s.a, a, (struct sockaddr *)&any, sizeof(any)), 0);
	assert_int_equal(ust_bind(s.a, a, (struct sockaddr *)&any, sizeof(any)), -1);	/* already bound */
	assert_int_equal(errno, EINVAL);
	assert_int_equal(ust_bind(s.a, b, (struct sockaddr *)&any, sizeof(any)), -1);
	assert_int_equal(errno, EADDRINUSE);
	assert_int_equal(ust_bind(s.a, b, (struct sockaddr *)&mine, sizeof(mine)), -1);
	assert_int_equal(errno, EADDRINUSE);
	assert_int_equal(sim_counter(s.a, "socket.err_addrinuse"), 2);
	/* with SO_REUSEADDR on both they may share */
	int one = 1;
	ust_close(s.a, a);
	a = ust_socket(s.a, AF_INET, SOCK_DGRAM, 0);
	ust_setsockopt(s.a, a, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ust_setsockopt(s.a, b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(ust_bind(s.a, a, (struct sockaddr *)&any, sizeof(any)), 0);
	assert_int_equal(ust_bind(s.a, b, (struct sockaddr *)&mine, sizeof(mine)), 0);
	/* closing frees the port */
	int c = ust_socket(s.a, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in p5 = sim_addr(0, 5000);
	assert_int_equal(ust_bind(s.a, c, (struct sockaddr *)&p5, sizeof(p5)), 0);
	ust_close(s.a, c);
	c = ust_socket(s.a, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(ust_bind(s.a, c, (struct sockaddr *)&p5, sizeof(p5)), 0);
	sim_fini(&s);
}

static void test_ephemeral_ports(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	uint16_t seen[64];
	for (int i = 0; i < 64; i++) {
		int sd = ust_socket(s.a, AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in any = sim_addr(0, 0);
		assert_int_equal(ust_bind(s.a, sd, (struct sockaddr *)&any, sizeof(any)), 0);
		struct sockaddr_in me;
		socklen_t len = sizeof(me);
		ust_getsockname(s.a, sd, (struct sockaddr *)&me, &len);
		seen[i] = ntohs(me.sin_port);
		assert_true(seen[i] >= UST_EPHEMERAL_LOW && seen[i] <= UST_EPHEMERAL_HIGH);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(seen[i], seen[j]);
	}
	sim_fini(&s);
}

static void test_send_errors(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int sd = ust_socket(s.a, AF_INET, SOCK_DGRAM, 0);
	static char big[65600];
	assert_int_equal(ust_write(s.a, sd, "x", 1), -1);
	assert_int_equal(errno, EDESTADDRREQ);
	struct sockaddr_in far = sim_addr(UST_IPV4(8, 8, 8, 8), 53);	/* no gateway */
	assert_int_equal(ust_sendto(s.a, sd, "x", 1, 0, (struct sockaddr *)&far, sizeof(far)), -1);
	assert_int_equal(errno, ENETUNREACH);
	assert_int_equal(ust_connect(s.a, sd, (struct sockaddr *)&far, sizeof(far)), -1);
	assert_int_equal(errno, ENETUNREACH);
	struct sockaddr_in b = sim_addr(SIM_IP_B, 53);
	assert_int_equal(ust_sendto(s.a, sd, big, 65508, 0, (struct sockaddr *)&b, sizeof(b)), -1);
	assert_int_equal(errno, EMSGSIZE);
	struct sockaddr_in p0 = sim_addr(SIM_IP_B, 0);
	assert_int_equal(ust_sendto(s.a, sd, "x", 1, 0, (struct sockaddr *)&p0, sizeof(p0)), -1);
	assert_int_equal(errno, EINVAL);
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	assert_int_equal(ust_getpeername(s.a, sd, (struct sockaddr *)&peer, &len), -1);
	assert_int_equal(errno, ENOTCONN);
	assert_int_equal(ust_shutdown(s.a, sd, SHUT_WR), -1);
	assert_int_equal(errno, ENOTCONN);
	assert_int_equal(ust_shutdown(s.a, sd, 42), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(ust_listen(s.a, sd, 5), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	assert_int_equal(ust_accept(s.a, sd, NULL, NULL), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	/* connect, then write and shut down */
	assert_int_equal(ust_connect(s.a, sd, (struct sockaddr *)&b, sizeof(b)), 0);
	assert_int_equal(ust_getpeername(s.a, sd, (struct sockaddr *)&peer, &len), 0);
	assert_int_equal(ntohs(peer.sin_port), 53);
	assert_int_equal(ust_shutdown(s.a, sd, SHUT_WR), 0);
	assert_int_equal(ust_write(s.a, sd, "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	assert_true(sim_counter(s.a, "socket.err_msgsize") >= 1);
	sim_fini(&s);
}

static void test_options(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int sd = ust_socket(s.a, AF_INET, SOCK_DGRAM, 0);
	int v = 8192;
	socklen_t len = sizeof(v);
	assert_int_equal(ust_setsockopt(s.a, sd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
	assert_int_equal(ust_getsockopt(s.a, sd, SOL_SOCKET, SO_RCVBUF, &v, &len), 0);
	assert_int_equal(v, 8192);
	assert_int_equal(ust_setsockopt(s.a, sd, SOL_SOCKET, SO_RCVBUF, &v, 2), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(ust_setsockopt(s.a, sd, SOL_SOCKET, 9999, &v, sizeof(v)), -1);
	assert_int_equal(errno, ENOPROTOOPT);
	assert_int_equal(ust_setsockopt(s.a, sd, SOL_SOCKET, SO_RCVBUF, NULL, sizeof(v)), -1);
	assert_int_equal(errno, EFAULT);
	struct timeval tv = { .tv_sec = 1, .tv_usec = 500000 };
	assert_int_equal(ust_setsockopt(s.a, sd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	struct timeval got;
	len = sizeof(got);
	assert_int_equal(ust_getsockopt(s.a, sd, SOL_SOCKET, SO_RCVTIMEO, &got, &len), 0);
	assert_int_equal(got.tv_sec, 1);
	assert_int_equal(got.tv_usec, 500000);
	v = 7;
	assert_int_equal(ust_setsockopt(s.a, sd, IPPROTO_IP, IP_TTL, &v, sizeof(v)), 0);
	len = sizeof(v);
	assert_int_equal(ust_getsockopt(s.a, sd, IPPROTO_IP, IP_TTL, &v, &len), 0);
	assert_int_equal(v, 7);
	v = 0;
	assert_int_equal(ust_setsockopt(s.a, sd, IPPROTO_IP, IP_TTL, &v, sizeof(v)), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(ust_set_blocking(s.a, 99, true), -1);
	assert_int_equal(errno, EBADF);
	sim_fini(&s);
}

static void test_ttl_on_the_wire(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, &(struct sim_opts){ .raw_a = true }), 0);
	/* B answers our request and learns us, then sends a datagram with TTL 7 */
	static const struct ust_eth_addr zero;
	uint8_t f[2048];
	size_t n = build_arp(f, UST_ARP_OP_REQUEST, &ust_eth_broadcast, &sim_mac_a, SIM_IP_A, &zero, SIM_IP_B);
	raw_send(&s, f, n);
	sim_run(&s, SIM_MS);
	while (raw_recv(&s, f, sizeof(f)) >= 0)
		;
	int sd = ust_socket(s.b, AF_INET, SOCK_DGRAM, 0);
	int v = 7;
	ust_setsockopt(s.b, sd, IPPROTO_IP, IP_TTL, &v, sizeof(v));
	struct sockaddr_in a = sim_addr(SIM_IP_A, 9);
	assert_int_equal(ust_sendto(s.b, sd, "ttl", 3, 0, (struct sockaddr *)&a, sizeof(a)), 3);
	sim_run(&s, SIM_MS);
	n = (size_t)raw_recv(&s, f, sizeof(f));
	assert_int_equal(n, 14 + 20 + 8 + 3);
	assert_int_equal(f[14 + 8], 7);		/* TTL */
	assert_int_equal(f[14 + 9], 17);	/* UDP */
	assert_memory_equal(f, sim_mac_a.b, 6);
	assert_memory_equal(f + 14 + 28, "ttl", 3);
	sim_fini(&s);
}

static void udp_from_a(struct sim *s, uint16_t sport, bool broadcast, const char *msg)
{
	uint8_t l4[64], f[2048];
	uint32_t dst = broadcast ? UST_IPV4(10, 0, 0, 255) : SIM_IP_B;
	size_t len = build_udp_l4(l4, SIM_IP_A, dst, sport, 5000, (const uint8_t *)msg, strlen(msg));
	size_t n = build_ip(f, broadcast ? &ust_eth_broadcast : &sim_mac_b, SIM_IP_A, dst, UST_IPPROTO_UDP, 1, 0,
			    false, l4, len);
	raw_send(s, f, n);
	sim_run(s, SIM_MS);
}

static bool got(struct sim *s, int sd, const char *msg)
{
	char b[64];
	ssize_t n = ust_read(s->b, sd, b, sizeof(b));
	return n == (ssize_t)strlen(msg) && memcmp(b, msg, (size_t)n) == 0;
}

static void test_udp_demux(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, &(struct sim_opts){ .raw_a = true }), 0);
	int one = 1;
	int any = ust_socket(s.b, AF_INET, SOCK_DGRAM, 0), spec = ust_socket(s.b, AF_INET, SOCK_DGRAM, 0);
	int conn = ust_socket(s.b, AF_INET, SOCK_DGRAM, 0);
	ust_setsockopt(s.b, any, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ust_setsockopt(s.b, spec, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ust_setsockopt(s.b, conn, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a_any = sim_addr(0, 5000), a_spec = sim_addr(SIM_IP_B, 5000);
	struct sockaddr_in peer = sim_addr(SIM_IP_A, 1234);
	assert_int_equal(ust_bind(s.b, any, (struct sockaddr *)&a_any, sizeof(a_any)), 0);
	assert_int_equal(ust_bind(s.b, spec, (struct sockaddr *)&a_spec, sizeof(a_spec)), 0);
	assert_int_equal(ust_bind(s.b, conn, (struct sockaddr *)&a_any, sizeof(a_any)), 0);
	assert_int_equal(ust_connect(s.b, conn, (struct sockaddr *)&peer, sizeof(peer)), 0);

	udp_from_a(&s, 1234, false, "to-conn");	/* the full 5-tuple wins */
	assert_true(got(&s, conn, "to-conn"));
	udp_from_a(&s, 999, false, "to-spec");	/* then the bound address, then any */
	assert_true(got(&s, spec, "to-spec"));
	assert_false(got(&s, any, "to-spec"));
	ust_close(s.b, spec);
	udp_from_a(&s, 999, false, "to-any");
	assert_true(got(&s, any, "to-any"));
	assert_false(got(&s, conn, "to-any"));	/* connected: only its peer */
	udp_from_a(&s, 999, true, "bc1");	/* broadcast: every socket that accepts it */
	assert_true(got(&s, any, "bc1"));
	assert_false(got(&s, conn, "bc1"));
	udp_from_a(&s, 1234, true, "bc2");
	assert_true(got(&s, any, "bc2"));
	assert_true(got(&s, conn, "bc2"));
	/* AF_UNSPEC dissolves the association */
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	assert_int_equal(ust_connect(s.b, conn, &unspec, sizeof(unspec)), 0);
	udp_from_a(&s, 1234, false, "any-again");
	assert_true(got(&s, any, "any-again") || got(&s, conn, "any-again"));
	assert_int_equal(sim_counter(s.b, "udp.rx_delivered"), 7);
	sim_fini(&s);
}

struct seen {
	int groups[16];
	const char *names[16];
	int n;
};

static int count_group(void *arg, const char *group, const char *name, uint64_t value)
{
	(void)name;
	(void)value;
	struct seen *sn = arg;
	for (int i = 0; i < sn->n; i++)
		if (strcmp(sn->names[i], group) == 0) {
			sn->groups[i]++;
			return 0;
		}
	sn->names[sn->n] = group;
	sn->groups[sn->n++] = 1;
	return 0;
}

static void test_counters(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	struct seen sn = { .n = 0 };
	ust_stack_counters(s.a, count_group, &sn);
	static const char *const want[] = { "eth", "arp", "ipv4", "frag", "icmp", "udp", "socket",
					    "pool", "bigpool", "backend" };
	for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
		bool found = false;
		for (int i = 0; i < sn.n; i++)
			found |= strcmp(sn.names[i], want[w]) == 0 && sn.groups[i] > 0;
		assert_true(found);
	}
	uint64_t v = 99;
	assert_int_equal(ust_stack_counter(s.a, "arp.tx_gratuitous", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(ust_stack_counter(s.a, "arp.nonsense", &v), -ENOENT);
	assert_int_equal(ust_stack_counter(s.a, "nodot", &v), -ENOENT);
	assert_int_equal(ust_stack_counter(s.a, "pool.alloc_fail", &v), 0);
	sim_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_descriptors),
		cmocka_unit_test(test_socket_kinds),
		cmocka_unit_test(test_bind_errors),
		cmocka_unit_test(test_ephemeral_ports),
		cmocka_unit_test(test_send_errors),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_ttl_on_the_wire),
		cmocka_unit_test(test_udp_demux),
		cmocka_unit_test(test_counters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
