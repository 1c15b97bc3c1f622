/*
 * Regressions for bugs fuzz_tcpconn (fuzz/net/fuzz_tcpconn.c) found, replayed against stack B from a
 * raw end A that plays the peer 10.0.0.1 with hand-built frames:
 *  - an ICMP "fragmentation needed" quoting B's SYN while B is still in SYN_SENT (congestion
 *    control not started yet: it divided by a zero MSS). B must lower its MSS, complete the
 *    handshake and send segments that fit the reported MTU.
 *  - a peer that advertised a zero window and then went silent: B probed forever and its TCB
 *    was never freed. B must give up (ETIMEDOUT) like a retransmission timeout does.
 *  - a path MTU lowered by an ICMP error that names no connection: B's segments were refused
 *    by IP (EMSGSIZE) and the retry timer then did nothing, so the data never left. B must
 *    take the path's MSS and send.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tcp_harness.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

static uint8_t f[2048];

/* A raw end A (10.0.0.1) that B knows the MAC of. */
static void raw_setup(struct sim *s)
{
	static const struct ust_eth_addr zero;
	assert_int_equal(sim_init(s, &(struct sim_opts){ .raw_a = true }), 0);
	size_t n = build_arp(f, UST_ARP_OP_REQUEST, &ust_eth_broadcast, &sim_mac_a, SIM_IP_A, &zero, SIM_IP_B);
	raw_send(s, f, n);
	sim_run(s, SIM_MS);
	while (raw_recv(s, f, sizeof(f)) >= 0)
		;
}

/* Next TCP segment B sent (parsed into *r, payload copied to f); false if none. */
static bool next_tcp(struct sim *s, struct ust_tcp_repr *r)
{
	int n;
	while ((n = raw_recv(s, f, sizeof(f))) >= 0) {
		if (n < 54 || ust_get_be16(f + 12) != UST_ETHERTYPE_IPV4 || f[14 + 9] != UST_IPPROTO_TCP)
			continue;
		size_t ihl = (size_t)(f[14] & 15) * 4;
		size_t tot = ust_get_be16(f + 16);
		assert_int_equal(ust_tcp_parse(f + 14 + ihl, tot - ihl, SIM_IP_B, SIM_IP_A, 0, r), UST_WIRE_OK);
		return true;
	}
	return false;
}

static void send_tcp(struct sim *s, const struct ust_tcp_repr *r)
{
	uint8_t l4[64];
	size_t hl = ust_tcp_header_len(&r->opts);
	struct ust_tcp_repr c = *r;
	c.payload = l4 + hl;
	c.payload_len = 0;
	assert_int_equal(ust_tcp_emit(&c, SIM_IP_A, SIM_IP_B, false, l4, hl), UST_WIRE_OK);
	size_t n = build_ip(f, &sim_mac_b, SIM_IP_A, SIM_IP_B, UST_IPPROTO_TCP, 1, 0, false, l4, hl);
	raw_send(s, f, n);
}

static void test_frag_needed_in_syn_sent(void **state)
{
	(void)state;
	struct sim s;
	raw_setup(&s);
	int sd = tsim_connect(s.b, SIM_IP_A, 5000);
	assert_true(sd >= 0);
	sim_run(&s, SIM_MS);
	struct ust_tcp_repr syn;
	assert_true(next_tcp(&s, &syn));
	assert_int_equal(syn.flags, UST_TCP_SYN);
	assert_int_equal(tsim_state(s.b, sd), UST_TCPS_SYN_SENT);

	/* A router on the path says 576 bytes: quote B's SYN (IP header + 8 bytes). */
	uint8_t icmp[8 + 28] = { 3, 4, 0, 0, 0, 0, 0, 0 };
	ust_put_be16(icmp + 6, 576);
	struct ust_ipv4_repr q = { .src = SIM_IP_B, .dst = SIM_IP_A, .protocol = UST_IPPROTO_TCP, .ttl = 64,
				   .header_len = 20, .total_len = 60 };
	ust_ipv4_emit(&q, icmp + 8, 20);
	ust_put_be16(icmp + 28, syn.src_port);
	ust_put_be16(icmp + 30, syn.dst_port);
	ust_put_be32(icmp + 32, syn.seq);
	ust_put_be16(icmp + 2, ust_csum(icmp, sizeof(icmp)));
	size_t n = build_ip(f, &sim_mac_b, SIM_IP_A, SIM_IP_B, UST_IPPROTO_ICMP, 2, 0, false, icmp, sizeof(icmp));
	raw_send(&s, f, n);
	sim_run(&s, SIM_MS);
	while (raw_recv(&s, f, sizeof(f)) >= 0)
		;	/* a resent SYN, if any */

	/* The peer answers with MSS 1460: B must keep the smaller path MSS. */
	struct ust_tcp_repr sa = { .src_port = 5000, .dst_port = syn.src_port, .seq = 1000, .ack = syn.seq + 1,
				   .flags = UST_TCP_SYN | UST_TCP_ACK, .window = 65535 };
	sa.opts.has_mss = true;
	sa.opts.mss = 1460;
	send_tcp(&s, &sa);
	sim_run(&s, SIM_MS);
	assert_int_equal(tsim_state(s.b, sd), UST_TCPS_ESTABLISHED);

	static uint8_t data[3000];
	memset(data, 'x', sizeof(data));
	assert_int_equal(ust_write(s.b, sd, data, sizeof(data)), (ssize_t)sizeof(data));
	sim_run(&s, SIM_MS);
	struct ust_tcp_repr r;
	size_t got = 0;
	while (next_tcp(&s, &r)) {
		assert_true(r.payload_len <= 576 - 40);
		got += r.payload_len;
	}
	assert_true(got > 0);
	ust_close(s.b, sd);
	sim_run(&s, 100 * SIM_SEC);
	sim_fini(&s);
}

/* B connects to A:5000; A answers SYN-ACK (MSS 1460, the given window). Returns B's socket. */
static int handshake(struct sim *s, uint16_t window, struct ust_tcp_repr *syn)
{
	int sd = tsim_connect(s->b, SIM_IP_A, 5000);
	assert_true(sd >= 0);
	sim_run(s, SIM_MS);
	assert_true(next_tcp(s, syn));
	struct ust_tcp_repr sa = { .src_port = 5000, .dst_port = syn->src_port, .seq = 1000, .ack = syn->seq + 1,
				   .flags = UST_TCP_SYN | UST_TCP_ACK, .window = window };
	sa.opts.has_mss = true;
	sa.opts.mss = 1460;
	send_tcp(s, &sa);
	sim_run(s, SIM_MS);
	assert_int_equal(tsim_state(s->b, sd), UST_TCPS_ESTABLISHED);
	while (raw_recv(s, f, sizeof(f)) >= 0)
		;
	return sd;
}

static void test_zero_window_silent_peer_times_out(void **state)
{
	(void)state;
	struct sim s;
	raw_setup(&s);
	struct ust_tcp_repr syn;
	int sd = handshake(&s, 0, &syn);
	assert_int_equal(ust_write(s.b, sd, "hello", 5), 5);
	/* A never answers a probe. Half an hour is well past RETRIES2 probes 60 s apart. */
	for (int i = 0; i < 30 * 60; i++) {
		sim_run(&s, SIM_SEC);
		while (raw_recv(&s, f, sizeof(f)) >= 0)
			;
	}
	assert_int_equal(tsim_so_error(s.b, sd), ETIMEDOUT);
	assert_int_equal(ust_close(s.b, sd), 0);
	sim_run(&s, SIM_SEC);
	assert_int_equal(((struct ust__tcp *)s.b->tcp)->ntcb, 0);
	sim_fini(&s);
}

static void test_pmtu_from_unmatched_icmp(void **state)
{
	(void)state;
	struct sim s;
	raw_setup(&s);
	struct ust_tcp_repr syn;
	int sd = handshake(&s, 65535, &syn);

	/* "Fragmentation needed, MTU 576" quoting a segment of no connection (port 9999). */
	uint8_t icmp[8 + 28] = { 3, 4, 0, 0, 0, 0, 0, 0 };
	ust_put_be16(icmp + 6, 576);
	struct ust_ipv4_repr q = { .src = SIM_IP_B, .dst = SIM_IP_A, .protocol = UST_IPPROTO_TCP, .ttl = 64,
				   .header_len = 20, .total_len = 1500 };
	ust_ipv4_emit(&q, icmp + 8, 20);
	ust_put_be16(icmp + 28, 9999);
	ust_put_be16(icmp + 30, 5000);
	ust_put_be32(icmp + 32, 1);
	ust_put_be16(icmp + 2, ust_csum(icmp, sizeof(icmp)));
	size_t n = build_ip(f, &sim_mac_b, SIM_IP_A, SIM_IP_B, UST_IPPROTO_ICMP, 2, 0, false, icmp, sizeof(icmp));
	raw_send(&s, f, n);
	sim_run(&s, SIM_MS);

	static uint8_t data[3000];
	memset(data, 'y', sizeof(data));
	assert_int_equal(ust_write(s.b, sd, data, sizeof(data)), (ssize_t)sizeof(data));
	size_t got = 0;
	for (int i = 0; i < 100 && got == 0; i++) {
		sim_run(&s, 100 * SIM_MS);
		struct ust_tcp_repr r;
		while (next_tcp(&s, &r)) {
			assert_true(20 + ust_tcp_header_len(&r.opts) + r.payload_len <= 576);
			got += r.payload_len;
		}
	}
	assert_true(got > 0);	/* within 10 s, long before the PMTU entry expires */
	ust_close(s.b, sd);
	sim_run(&s, 100 * SIM_SEC);
	sim_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frag_needed_in_syn_sent),
		cmocka_unit_test(test_zero_window_silent_peer_times_out),
		cmocka_unit_test(test_pmtu_from_unmatched_icmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
