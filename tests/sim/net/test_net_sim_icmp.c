/*
 * ICMP errors, seen from a raw peer: frag-needed lowers the path MTU and reaches the connected
 * socket as EMSGSIZE (later DF sends above it fail at once, others are fragmented to it);
 * port unreachable is rate limited (counted) and never sent about broadcasts, ICMP errors or
 * non-first fragments; datagrams to our own address loop back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "wire/bytes.h"
#include "wire/icmp.h"

static const struct ust_eth_addr zero;
static uint8_t f[2048], buf[65536];

static void raw_setup(struct sim *s)
{
	assert_int_equal(sim_init(s, &(struct sim_opts){ .raw_a = true }), 0);
	size_t n = build_arp(f, UST_ARP_OP_REQUEST, &ust_eth_broadcast, &sim_mac_a, SIM_IP_A, &zero, SIM_IP_B);
	raw_send(s, f, n);
	sim_run(s, SIM_MS);
	while (raw_recv(s, f, sizeof(f)) >= 0)
		;
}

/* Frames B sent that are IPv4 with this protocol; the last one is left in f. */
static int count_ip(struct sim *s, uint8_t proto, int *last_len)
{
	int n, c = 0;
	while ((n = raw_recv(s, f, sizeof(f))) >= 0) {
		if (n >= 34 && ust_get_be16(f + 12) == UST_ETHERTYPE_IPV4 && f[14 + 9] == proto) {
			c++;
			if (last_len)
				*last_len = n;
			if (c == 1)
				memcpy(buf, f, (size_t)n);	/* keep the first */
		}
	}
	return c;
}

static void test_frag_needed(void **state)
{
	(void)state;
	struct sim s;
	raw_setup(&s);
	int sd = sim_udp_socket(s.b, 4000);
	int v = IP_PMTUDISC_DO;
	ust_setsockopt(s.b, sd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v));
	struct sockaddr_in a = sim_addr(SIM_IP_A, 9);
	assert_int_equal(ust_connect(s.b, sd, (struct sockaddr *)&a, sizeof(a)), 0);
	static uint8_t data[1400];
	assert_int_equal(ust_write(s.b, sd, data, sizeof(data)), 1400);
	sim_run(&s, SIM_MS);
	assert_int_equal(count_ip(&s, UST_IPPROTO_UDP, NULL), 1);
	assert_int_equal(ust_get_be16(buf + 14 + 6) & 0x4000, 0x4000);	/* DF */
	/* a router says: 1000 bytes at most */
	uint8_t icmp[8 + 28];
	struct ust_icmp_repr r = { .type = UST_ICMP_DEST_UNREACH, .code = UST_ICMP_UNREACH_FRAG_NEEDED,
				   .next_hop_mtu = 1000, .data = buf + 14, .data_len = 28 };
	ust_icmp_emit(&r, icmp, sizeof(icmp));
	size_t n = build_ip(f, &sim_mac_b, UST_IPV4(10, 0, 0, 254), SIM_IP_B, UST_IPPROTO_ICMP, 77, 0, false,
			    icmp, sizeof(icmp));
	raw_send(&s, f, n);
	sim_run(&s, SIM_MS);
	assert_int_equal(sim_counter(s.b, "icmp.rx_frag_needed"), 1);
	assert_int_equal(ust_write(s.b, sd, data, 10), -1);
	assert_int_equal(errno, EMSGSIZE);
	int mtu = 0;
	socklen_t len = sizeof(mtu);
	assert_int_equal(ust_getsockopt(s.b, sd, IPPROTO_IP, IP_MTU, &mtu, &len), 0);
	assert_int_equal(mtu, 1000);
	assert_int_equal(ust_write(s.b, sd, data, 1000 - 28 + 1), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(ust_write(s.b, sd, data, 1000 - 28), 1000 - 28);
	/* without DF the same datagram is fragmented to the path MTU */
	v = IP_PMTUDISC_DONT;
	ust_setsockopt(s.b, sd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v));
	while (raw_recv(&s, f, sizeof(f)) >= 0)
		;
	assert_int_equal(ust_write(s.b, sd, data, 1400), 1400);
	sim_run(&s, SIM_MS);
	int last = 0;
	assert_int_equal(count_ip(&s, UST_IPPROTO_UDP, &last), 2);
	assert_int_equal(ust_get_be16(buf + 14 + 2), 996);	/* 20 + 976 (a multiple of 8) */
	sim_fini(&s);
}

static void test_port_unreach_rules(void **state)
{
	(void)state;
	struct sim s;
	raw_setup(&s);
	uint8_t l4[64];
	size_t len = build_udp_l4(l4, SIM_IP_A, SIM_IP_B, 1000, 9999, (const uint8_t *)"x", 1);
	/* a burst of 200 datagrams to a closed port: the token bucket lets 50 answers out */
	for (int i = 0; i < 200; i++) {
		size_t n = build_ip(f, &sim_mac_b, SIM_IP_A, SIM_IP_B, UST_IPPROTO_UDP, (uint16_t)i, 0, false, l4, len);
		raw_send(&s, f, n);
	}
	sim_run(&s, SIM_MS);
	int got = count_ip(&s, UST_IPPROTO_ICMP, NULL);
	assert_int_equal(got, UST_ICMP_RATE_BURST);
	assert_int_equal(sim_counter(s.b, "icmp.tx_rate_limited"), 200 - UST_ICMP_RATE_BURST);
	assert_int_equal(buf[14 + 20], UST_ICMP_DEST_UNREACH);
	assert_int_equal(buf[14 + 21], UST_ICMP_UNREACH_PORT);
	/* the quote: the offending IP header and the first 8 bytes of UDP */
	assert_int_equal(ust_get_be32(buf + 14 + 28 + 12), SIM_IP_A);
	assert_int_equal(ust_get_be16(buf + 14 + 28 + 20 + 2), 9999);
	/* tokens come back with time */
	sim_run(&s, SIM_SEC);
	size_t n = build_ip(f, &sim_mac_b, SIM_IP_A, SIM_IP_B, UST_IPPROTO_UDP, 500, 0, false, l4, len);
	raw_send(&s, f, n);
	sim_run(&s, SIM_MS);
	assert_int_equal(count_ip(&s, UST_IPPROTO_ICMP, NULL), 1);
	/* never about a broadcast */
	n = build_ip(f, &ust_eth_broadcast, SIM_IP_A, UST_IPV4(10, 0, 0, 255), UST_IPPROTO_UDP, 501, 0, false, l4, len);
	raw_send(&s, f, n);
	/* never about an ICMP error (an unknown protocol inside would otherwise answer) */
	uint8_t icmp[8 + 28];
	struct ust_icmp_repr r = { .type = UST_ICMP_DEST_UNREACH, .code = UST_ICMP_UNREACH_HOST,
				   .data = f + 14, .data_len = 28 };
	ust_icmp_emit(&r, icmp, sizeof(icmp));
	uint8_t g[2048];
	n = build_ip(g, &sim_mac_b, SIM_IP_A, SIM_IP_B, UST_IPPROTO_ICMP, 502, 0, false, icmp, sizeof(icmp));
	raw_send(&s, g, n);
	sim_run(&s, SIM_MS);
	assert_int_equal(count_ip(&s, UST_IPPROTO_ICMP, NULL), 0);
	assert_int_equal(sim_counter(s.b, "icmp.rx_error_bad_quote"), 1);	/* it quoted A's own packet */
	sim_fini(&s);
}

static void test_reasm_timeout_sends_time_exceeded_only_with_first(void **state)
{
	(void)state;
	struct sim s;
	raw_setup(&s);
	uint8_t payload[1480];
	memset(payload, 1, sizeof(payload));
	size_t n = build_ip(f, &sim_mac_b, SIM_IP_A, SIM_IP_B, UST_IPPROTO_UDP, 1, 1480, true, payload, 1480);
	raw_send(&s, f, n);	/* a non-first fragment only */
	n = build_ip(f, &sim_mac_b, SIM_IP_A, SIM_IP_B, UST_IPPROTO_UDP, 2, 0, true, payload, 1480);
	raw_send(&s, f, n);	/* a first fragment */
	payload[0] = UST_ICMP_DEST_UNREACH;
	n = build_ip(f, &sim_mac_b, SIM_IP_A, SIM_IP_B, UST_IPPROTO_ICMP, 3, 0, true, payload, 1480);
	raw_send(&s, f, n);	/* the first fragment of an ICMP error: never answered */
	sim_run(&s, 31 * SIM_SEC);
	assert_int_equal(sim_counter(s.b, "frag.timeouts"), 3);
	assert_int_equal(sim_counter(s.b, "icmp.tx_error_suppressed"), 1);
	assert_int_equal(count_ip(&s, UST_IPPROTO_ICMP, NULL), 1);
	assert_int_equal(buf[14 + 20], UST_ICMP_TIME_EXCEEDED);
	assert_int_equal(buf[14 + 21], UST_ICMP_EXC_FRAGTIME);
	assert_int_equal(ust_get_be16(buf + 14 + 28 + 4), 2);	/* the quoted id */
	sim_fini(&s);
}

static void test_loopback(void **state)
{
	(void)state;
	struct sim s;
	raw_setup(&s);
	int rx = sim_udp_socket(s.b, 5000), tx = sim_udp_socket(s.b, 0);
	struct sockaddr_in self = sim_addr(SIM_IP_B, 5000);
	static uint8_t big[5000];
	memset(big, 0x42, sizeof(big));
	assert_int_equal(ust_sendto(s.b, tx, "me", 2, 0, (struct sockaddr *)&self, sizeof(self)), 2);
	assert_int_equal(ust_sendto(s.b, tx, big, sizeof(big), 0, (struct sockaddr *)&self, sizeof(self)), 5000);
	sim_run(&s, SIM_MS);
	assert_int_equal(ust_read(s.b, rx, buf, sizeof(buf)), 2);
	assert_int_equal(ust_read(s.b, rx, buf, sizeof(buf)), 5000);
	assert_memory_equal(buf, big, sizeof(big));
	assert_int_equal(count_ip(&s, UST_IPPROTO_UDP, NULL), 0);	/* nothing on the wire */
	sim_fini(&s);
}

static void test_real_time_waits(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	/* on real time now: a blocking read times out with EAGAIN; epoll_wait returns 0 */
	int sd = sim_udp_socket(s.b, 5000);
	struct timeval tv = { .tv_sec = 0, .tv_usec = 30000 };
	ust_setsockopt(s.b, sd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(ust_set_blocking(s.b, sd, true), 0);
	assert_int_equal(ust_read(s.b, sd, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	int ep = ust_epoll_create(s.b);
	struct epoll_event ev = { .events = EPOLLIN };
	ust_epoll_ctl(s.b, ep, EPOLL_CTL_ADD, sd, &ev);
	struct epoll_event out[1];
	assert_int_equal(ust_epoll_wait(s.b, ep, out, 1, 20), 0);
	/* data already there: the blocking read returns it at once */
	int tx = sim_udp_socket(s.a, 0);
	struct sockaddr_in b = sim_addr(SIM_IP_B, 5000);
	ust_sendto(s.a, tx, "rt", 2, 0, (struct sockaddr *)&b, sizeof(b));
	for (int i = 0; i < 50 && ust_epoll_wait(s.b, ep, out, 1, 10) == 0; i++) {
		ust_stack_run_once(s.a, 0);
	}
	assert_int_equal(ust_read(s.b, sd, buf, sizeof(buf)), 2);
	sim_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frag_needed),
		cmocka_unit_test(test_port_unreach_rules),
		cmocka_unit_test(test_reasm_timeout_sends_time_exceeded_only_with_first),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_real_time_waits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
