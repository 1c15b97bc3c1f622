/*
 * Fragmentation and reassembly under impairment: fragments reordered, duplicated, lost
 * (no delivery, memory released after the 30 s timeout, ICMP time exceeded back to the
 * sender), hand-made overlaps (identical: delivered; rewriting: the whole datagram dropped),
 * a flood of first fragments with random ids (reassembly memory stays within its limit), and
 * frames for other MACs/IPs or damaged ones (dropped and counted by name).
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

static uint8_t txbuf[65536], rxbuf[65536], frame[2048];

/* Fragment offset (bytes) and MF of an IPv4 frame in the pair hook, or -1 if not a fragment. */
static int frag_offset(struct ust_pool *pool, struct ust_pkt *pkt)
{
	const uint8_t *d = ust_pkt_data(pool, pkt);
	if (pkt->len < 34 || ust_get_be16(d + 12) != UST_ETHERTYPE_IPV4)
		return -1;
	uint16_t f = ust_get_be16(d + 14 + 6);
	if (!(f & 0x2000) && !(f & 0x1fff))
		return -1;
	return (f & 0x1fff) * 8;
}

static unsigned reverse_hook(struct sim *s, int dir, struct ust_pool *pool, struct ust_pkt *pkt, uint64_t *delay)
{
	(void)s;
	int off = frag_offset(pool, pkt);
	if (dir == 0 && off >= 0)
		*delay = (uint64_t)(65536 - off) * 100;	/* later fragments overtake earlier ones */
	return 1;
}

static unsigned dup_hook(struct sim *s, int dir, struct ust_pool *pool, struct ust_pkt *pkt, uint64_t *delay)
{
	(void)s;
	(void)delay;
	return dir == 0 && frag_offset(pool, pkt) >= 0 ? 2 : 1;
}

static int lost_count;
static unsigned lose_hook(struct sim *s, int dir, struct ust_pool *pool, struct ust_pkt *pkt, uint64_t *delay)
{
	(void)s;
	(void)delay;
	if (dir == 0 && frag_offset(pool, pkt) == 1480 && lost_count == 0) {
		lost_count++;
		return 0;
	}
	return 1;
}

static void roundtrip(struct sim *s, size_t len)
{
	int rx = sim_udp_socket(s->b, 5000), tx = sim_udp_socket(s->a, 0);
	for (size_t i = 0; i < len; i++)
		txbuf[i] = (uint8_t)(i * 13 + 1);
	struct sockaddr_in dst = sim_addr(SIM_IP_B, 5000);
	assert_int_equal(ust_sendto(s->a, tx, txbuf, len, 0, (struct sockaddr *)&dst, sizeof(dst)), (ssize_t)len);
	sim_run(s, 50 * SIM_MS);
	assert_int_equal(ust_read(s->b, rx, rxbuf, sizeof(rxbuf)), (ssize_t)len);
	assert_memory_equal(rxbuf, txbuf, len);
	assert_int_equal(ust_read(s->b, rx, rxbuf, sizeof(rxbuf)), -1);	/* exactly once */
	ust_close(s->b, rx);
	ust_close(s->a, tx);
}

static void test_reordered(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, &(struct sim_opts){ .impair = reverse_hook }), 0);
	roundtrip(&s, 8000);
	roundtrip(&s, 65507);
	assert_int_equal(sim_big_in_use(s.b), 0);
	sim_fini(&s);
}

static void test_duplicated(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, &(struct sim_opts){ .impair = dup_hook }), 0);
	roundtrip(&s, 8000);
	roundtrip(&s, 65507);
	assert_true(sim_counter(s.b, "frag.duplicates") > 0);
	/* a duplicate arriving after its datagram completed starts a new one, which never
	 * completes: bounded, and released by the timeout */
	assert_true(sim_big_in_use(s.b) <= 2);
	sim_run(&s, 31 * SIM_SEC);
	assert_int_equal(sim_big_in_use(s.b), 0);
	sim_fini(&s);
}

static void test_lost_fragment_times_out(void **state)
{
	(void)state;
	struct sim s;
	lost_count = 0;
	assert_int_equal(sim_init(&s, &(struct sim_opts){ .impair = lose_hook }), 0);
	int rx = sim_udp_socket(s.b, 5000), tx = sim_udp_socket(s.a, 0);
	struct sockaddr_in dst = sim_addr(SIM_IP_B, 5000);
	assert_int_equal(ust_connect(s.a, tx, (struct sockaddr *)&dst, sizeof(dst)), 0);
	assert_int_equal(ust_write(s.a, tx, txbuf, 4000), 4000);
	sim_run(&s, 100 * SIM_MS);
	assert_int_equal(ust_read(s.b, rx, rxbuf, sizeof(rxbuf)), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(sim_big_in_use(s.b), 1);	/* the datagram in progress */
	sim_run(&s, 31 * SIM_SEC);
	assert_int_equal(sim_counter(s.b, "frag.timeouts"), 1);
	assert_int_equal(sim_big_in_use(s.b), 0);
	assert_int_equal(sim_counter(s.b, "icmp.tx_time_exceeded"), 1);
	assert_int_equal(sim_counter(s.a, "icmp.rx_time_exceeded"), 1);
	assert_int_equal(ust_read(s.a, tx, rxbuf, sizeof(rxbuf)), -1);
	assert_int_equal(errno, EHOSTUNREACH);
	/* the link works again */
	assert_int_equal(ust_write(s.a, tx, txbuf, 4000), 4000);
	sim_run(&s, 10 * SIM_MS);
	assert_int_equal(ust_read(s.b, rx, rxbuf, sizeof(rxbuf)), 4000);
	sim_fini(&s);
}

/* --- raw peer: hand-made fragments towards B --- */

static void raw_setup(struct sim *s)
{
	assert_int_equal(sim_init(s, &(struct sim_opts){ .raw_a = true }), 0);
	/* teach B our MAC (a request for its address), then drain what B sent */
	static const struct ust_eth_addr zero;
	size_t n = build_arp(frame, UST_ARP_OP_REQUEST, &ust_eth_broadcast, &sim_mac_a, SIM_IP_A, &zero, SIM_IP_B);
	raw_send(s, frame, n);
	sim_run(s, SIM_MS);
	while (raw_recv(s, frame, sizeof(frame)) >= 0)
		;
}

static void send_frag(struct sim *s, uint16_t id, const uint8_t *l4, size_t from, size_t to, bool mf)
{
	size_t n = build_ip(frame, &sim_mac_b, SIM_IP_A, SIM_IP_B, UST_IPPROTO_UDP, id, (uint16_t)from, mf,
			    l4 + from, to - from);
	raw_send(s, frame, n);
	sim_run(s, SIM_MS);
}

static size_t make_udp(uint8_t *l4, size_t len, unsigned seed)
{
	uint8_t data[4096];
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 3 + seed);
	return build_udp_l4(l4, SIM_IP_A, SIM_IP_B, 1234, 5000, data, len);
}

static void test_overlaps(void **state)
{
	(void)state;
	struct sim s;
	raw_setup(&s);
	int rx = sim_udp_socket(s.b, 5000);
	uint8_t l4[4096];
	size_t len = make_udp(l4, 92, 1);	/* 100 bytes of L4 */

	/* identical overlaps, in a scrambled order */
	send_frag(&s, 1, l4, 64, len, false);
	send_frag(&s, 1, l4, 24, 72, true);
	send_frag(&s, 1, l4, 0, 48, true);
	assert_int_equal(ust_read(s.b, rx, rxbuf, sizeof(rxbuf)), 92);
	assert_memory_equal(rxbuf, l4 + 8, 92);
	assert_true(sim_counter(s.b, "frag.overlap_identical") >= 1);

	/* exact duplicates of every fragment */
	send_frag(&s, 2, l4, 0, 48, true);
	send_frag(&s, 2, l4, 0, 48, true);
	send_frag(&s, 2, l4, 48, len, false);
	assert_int_equal(ust_read(s.b, rx, rxbuf, sizeof(rxbuf)), 92);
	assert_int_equal(sim_counter(s.b, "frag.duplicates"), 1);

	/* an overlap that rewrites bytes: the whole datagram goes */
	uint8_t evil[4096];
	memcpy(evil, l4, len);
	evil[30] ^= 0xff;
	send_frag(&s, 3, l4, 0, 48, true);
	send_frag(&s, 3, evil, 24, 72, true);
	assert_int_equal(sim_counter(s.b, "frag.overlap_conflict"), 1);
	assert_int_equal(sim_big_in_use(s.b), 0);
	send_frag(&s, 3, l4, 64, len, false);	/* starts a new, incomplete datagram */
	assert_int_equal(ust_read(s.b, rx, rxbuf, sizeof(rxbuf)), -1);

	/* fragments that disagree on the end */
	send_frag(&s, 4, l4, 48, len, false);
	send_frag(&s, 4, l4, 56, 80, false);	/* a second, different end */
	assert_int_equal(sim_counter(s.b, "frag.inconsistent_end"), 1);
	/* a non-last fragment whose length is not a multiple of 8 */
	send_frag(&s, 5, l4, 0, 50, true);
	assert_int_equal(sim_counter(s.b, "ipv4.rx_bad_fragment"), 1);	/* refused by the parser */
	assert_int_equal(ust_read(s.b, rx, rxbuf, sizeof(rxbuf)), -1);

	sim_run(&s, 31 * SIM_SEC);
	assert_int_equal(sim_big_in_use(s.b), 0);
	assert_int_equal(sim_counter(s.b, "frag.timeouts"), 1);	/* id 3's tail */
	sim_fini(&s);
}

static void test_flood_bounded(void **state)
{
	(void)state;
	struct sim s;
	raw_setup(&s);
	uint8_t payload[1480];
	memset(payload, 0x5a, sizeof(payload));
	srand(7);
	for (int i = 0; i < 2000; i++) {
		uint16_t id = (uint16_t)rand();
		size_t n = build_ip(frame, &sim_mac_b, SIM_IP_A, SIM_IP_B, UST_IPPROTO_UDP, id,
				    (uint16_t)((rand() % 40) * 1480), true, payload, sizeof(payload));
		raw_send(&s, frame, n);
		if (i % 50 == 0) {
			sim_run(&s, SIM_MS);
			assert_true(sim_big_in_use(s.b) <= UST_REASM_MAX_DEFAULT);
			while (raw_recv(&s, frame, sizeof(frame)) >= 0)
				;
		}
	}
	sim_run(&s, SIM_MS);
	assert_true(sim_big_in_use(s.b) <= UST_REASM_MAX_DEFAULT);
	assert_true(sim_counter(s.b, "frag.evicted") >= 2000 - UST_REASM_MAX_DEFAULT - 100);
	sim_run(&s, 31 * SIM_SEC);
	while (raw_recv(&s, frame, sizeof(frame)) >= 0)
		;
	assert_int_equal(sim_big_in_use(s.b), 0);
	assert_int_equal(sim_small_in_use(s.b), 0);
	sim_fini(&s);
}

static void test_junk_counted(void **state)
{
	(void)state;
	struct sim s;
	raw_setup(&s);
	int rx = sim_udp_socket(s.b, 5000);
	uint8_t l4[4096];
	size_t len = make_udp(l4, 20, 9);
	static const struct ust_eth_addr other_mac = { { 0x02, 0x99, 0, 0, 0, 1 } };
	static const struct ust_eth_addr mcast = { { 0x01, 0x00, 0x5e, 0, 0, 1 } };

	size_t n = build_ip(frame, &other_mac, SIM_IP_A, SIM_IP_B, UST_IPPROTO_UDP, 9, 0, false, l4, len);
	raw_send(&s, frame, n);
	n = build_ip(frame, &mcast, SIM_IP_A, SIM_IP_B, UST_IPPROTO_UDP, 9, 0, false, l4, len);
	raw_send(&s, frame, n);
	n = build_ip(frame, &sim_mac_b, SIM_IP_A, UST_IPV4(10, 0, 0, 77), UST_IPPROTO_UDP, 9, 0, false, l4, len);
	raw_send(&s, frame, n);
	n = build_ip(frame, &sim_mac_b, SIM_IP_A, SIM_IP_B, UST_IPPROTO_UDP, 9, 0, false, l4, len);
	frame[14 + 10] ^= 0x55;	/* IP header checksum */
	raw_send(&s, frame, n);
	n = build_ip(frame, &sim_mac_b, SIM_IP_A, SIM_IP_B, UST_IPPROTO_UDP, 9, 0, false, l4, len);
	frame[n - 1] ^= 0x55;	/* UDP checksum */
	raw_send(&s, frame, n);
	raw_send(&s, frame, 10);	/* truncated Ethernet */
	raw_send(&s, frame, 14 + 12);	/* truncated IP */
	n = build_eth(frame, &sim_mac_b, 0x88b5);
	raw_send(&s, frame, n + 10);
	n = build_ip(frame, &sim_mac_b, SIM_IP_A, SIM_IP_B, 99, 9, 0, false, l4, len);	/* protocol 99 */
	raw_send(&s, frame, n);
	sim_run(&s, 10 * SIM_MS);

	assert_int_equal(sim_counter(s.b, "eth.rx_other_mac"), 1);
	assert_int_equal(sim_counter(s.b, "eth.rx_multicast"), 1);
	assert_int_equal(sim_counter(s.b, "ipv4.rx_not_for_us"), 1);
	assert_int_equal(sim_counter(s.b, "ipv4.rx_bad_checksum"), 1);
	assert_int_equal(sim_counter(s.b, "udp.rx_bad_checksum"), 1);
	assert_int_equal(sim_counter(s.b, "eth.rx_truncated"), 1);
	assert_int_equal(sim_counter(s.b, "ipv4.rx_truncated"), 1);
	assert_int_equal(sim_counter(s.b, "eth.rx_unknown_ethertype"), 1);
	assert_int_equal(sim_counter(s.b, "ipv4.rx_unknown_protocol"), 1);
	assert_int_equal(sim_counter(s.b, "icmp.tx_proto_unreach"), 1);
	assert_int_equal(ust_read(s.b, rx, rxbuf, sizeof(rxbuf)), -1);
	/* and a good one still gets through, with a zero (absent) checksum too */
	n = build_ip(frame, &sim_mac_b, SIM_IP_A, SIM_IP_B, UST_IPPROTO_UDP, 10, 0, false, l4, len);
	frame[14 + 20 + 6] = frame[14 + 20 + 7] = 0;
	raw_send(&s, frame, n);
	sim_run(&s, SIM_MS);
	assert_int_equal(ust_read(s.b, rx, rxbuf, sizeof(rxbuf)), 20);
	assert_int_equal(sim_counter(s.b, "udp.rx_zero_checksum"), 1);
	sim_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reordered),
		cmocka_unit_test(test_duplicated),
		cmocka_unit_test(test_lost_fragment_times_out),
		cmocka_unit_test(test_overlaps),
		cmocka_unit_test(test_flood_bounded),
		cmocka_unit_test(test_junk_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
