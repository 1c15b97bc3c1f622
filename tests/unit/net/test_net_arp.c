/*
 * The ARP cache of one stack facing a raw end: answering requests for our address, learning
 * from them, ignoring unsolicited replies (unless configured), expiry of unused entries,
 * refresh of used ones (unicast request, then still usable), queue bounds while resolving,
 * and the gratuitous ARP at start.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "wire/arp.h"
#include "wire/bytes.h"

static const struct ust_eth_addr zero;
static uint8_t f[2048];

static void drain(struct sim *s)
{
	while (raw_recv(s, f, sizeof(f)) >= 0)
		;
}

/* Next ARP packet B sent, parsed; false if none. */
static bool next_arp(struct sim *s, struct ust_arp_repr *a, struct ust_eth_addr *eth_dst)
{
	int n;
	while ((n = raw_recv(s, f, sizeof(f))) >= 0) {
		if (n >= 42 && ust_get_be16(f + 12) == UST_ETHERTYPE_ARP) {
			memcpy(eth_dst->b, f, 6);
			return ust_arp_parse(f + 14, (size_t)n - 14, a) == UST_WIRE_OK;
		}
	}
	return false;
}

static void test_gratuitous_and_reply(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, &(struct sim_opts){ .raw_a = true }), 0);
	struct ust_arp_repr a;
	struct ust_eth_addr dst;
	assert_true(next_arp(&s, &a, &dst));
	assert_true(ust_eth_addr_is_broadcast(&dst));
	assert_int_equal(a.op, UST_ARP_OP_REQUEST);
	assert_int_equal(a.spa, SIM_IP_B);
	assert_int_equal(a.tpa, SIM_IP_B);	/* gratuitous */
	/* a request for B is answered, unicast, and teaches B our MAC */
	size_t n = build_arp(f, UST_ARP_OP_REQUEST, &ust_eth_broadcast, &sim_mac_a, SIM_IP_A, &zero, SIM_IP_B);
	raw_send(&s, f, n);
	sim_run(&s, SIM_MS);
	assert_true(next_arp(&s, &a, &dst));
	assert_int_equal(a.op, UST_ARP_OP_REPLY);
	assert_memory_equal(dst.b, sim_mac_a.b, 6);
	assert_memory_equal(a.sha.b, sim_mac_b.b, 6);
	assert_int_equal(a.tpa, SIM_IP_A);
	const struct ust__arp_entry *e = ust__arp_lookup(s.b, SIM_IP_A);
	assert_non_null(e);
	assert_int_equal(e->state, UST_ARP_REACHABLE);
	/* a request for someone else: not answered, not learned */
	struct ust_eth_addr c = { { 2, 0, 10, 0, 0, 3 } };
	n = build_arp(f, UST_ARP_OP_REQUEST, &ust_eth_broadcast, &c, UST_IPV4(10, 0, 0, 3), &zero,
		      UST_IPV4(10, 0, 0, 4));
	raw_send(&s, f, n);
	sim_run(&s, SIM_MS);
	assert_false(next_arp(&s, &a, &dst));
	assert_null(ust__arp_lookup(s.b, UST_IPV4(10, 0, 0, 3)));
	assert_int_equal(sim_counter(s.b, "arp.rx_not_for_us"), 1);
	sim_fini(&s);
}

static void test_unsolicited(void **state)
{
	(void)state;
	for (int accept = 0; accept < 2; accept++) {
		struct sim s;
		assert_int_equal(sim_init(&s, &(struct sim_opts){ .raw_a = true, .accept_unsolicited_arp = accept }), 0);
		size_t n = build_arp(f, UST_ARP_OP_REPLY, &sim_mac_b, &sim_mac_a, SIM_IP_A, &sim_mac_b, SIM_IP_B);
		raw_send(&s, f, n);
		sim_run(&s, SIM_MS);
		if (accept) {
			assert_non_null(ust__arp_lookup(s.b, SIM_IP_A));
		} else {
			assert_null(ust__arp_lookup(s.b, SIM_IP_A));
			assert_int_equal(sim_counter(s.b, "arp.rx_unsolicited_ignored"), 1);
		}
		/* someone claiming B's own address is a conflict, never learned */
		struct ust_eth_addr c = { { 2, 0, 10, 0, 0, 9 } };
		n = build_arp(f, UST_ARP_OP_REPLY, &ust_eth_broadcast, &c, SIM_IP_B, &zero, SIM_IP_B);
		raw_send(&s, f, n);
		/* and garbage */
		raw_send(&s, f, 14 + 10);
		sim_run(&s, SIM_MS);
		assert_int_equal(sim_counter(s.b, "arp.rx_address_conflict"), 1);
		assert_int_equal(sim_counter(s.b, "arp.rx_malformed"), 1);
		sim_fini(&s);
	}
}

static void answer(struct sim *s)
{
	size_t n = build_arp(f, UST_ARP_OP_REPLY, &sim_mac_b, &sim_mac_a, SIM_IP_A, &sim_mac_b, SIM_IP_B);
	raw_send(s, f, n);
	sim_run(s, SIM_MS);
}

static void test_expiry_and_refresh(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, &(struct sim_opts){ .raw_a = true }), 0);
	int sd = sim_udp_socket(s.b, 0);
	struct sockaddr_in dst = sim_addr(SIM_IP_A, 9);
	/* resolve A (a solicited reply is accepted) */
	assert_int_equal(ust_sendto(s.b, sd, "x", 1, 0, (struct sockaddr *)&dst, sizeof(dst)), 1);
	sim_run(&s, SIM_MS);
	answer(&s);
	drain(&s);
	assert_int_equal(ust__arp_lookup(s.b, SIM_IP_A)->state, UST_ARP_REACHABLE);
	/* unused for its lifetime: expired */
	sim_run(&s, UST_ARP_REACHABLE_NS + SIM_SEC);
	assert_null(ust__arp_lookup(s.b, SIM_IP_A));
	assert_int_equal(sim_counter(s.b, "arp.expired"), 1);
	drain(&s);

	/* resolve again, then keep using it: at the end of its lifetime it is refreshed */
	assert_int_equal(ust_sendto(s.b, sd, "x", 1, 0, (struct sockaddr *)&dst, sizeof(dst)), 1);
	sim_run(&s, SIM_MS);
	answer(&s);
	drain(&s);
	sim_run(&s, UST_ARP_REACHABLE_NS - 2 * SIM_SEC);
	assert_int_equal(ust_sendto(s.b, sd, "x", 1, 0, (struct sockaddr *)&dst, sizeof(dst)), 1);
	drain(&s);
	sim_run(&s, 3 * SIM_SEC - SIM_MS);
	const struct ust__arp_entry *e = ust__arp_lookup(s.b, SIM_IP_A);
	assert_non_null(e);
	assert_int_equal(e->state, UST_ARP_REFRESH);
	struct ust_arp_repr a;
	struct ust_eth_addr edst;
	assert_true(next_arp(&s, &a, &edst));
	assert_memory_equal(edst.b, sim_mac_a.b, 6);	/* unicast to the known MAC */
	/* still usable while refreshing: the datagram goes straight out */
	drain(&s);
	assert_int_equal(ust_sendto(s.b, sd, "y", 1, 0, (struct sockaddr *)&dst, sizeof(dst)), 1);
	sim_run(&s, SIM_MS);
	assert_true(raw_recv(&s, f, sizeof(f)) > 0);
	answer(&s);
	assert_int_equal(ust__arp_lookup(s.b, SIM_IP_A)->state, UST_ARP_REACHABLE);
	assert_int_equal(sim_counter(s.b, "arp.refreshed"), 1);
	sim_fini(&s);
}

/* 1400 bytes of UDP payload: a 1442-byte frame against the byte limits. */
#define QB_PAYLOAD 1400u
static uint8_t qb_data[QB_PAYLOAD];

static void test_queue_bounds(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, &(struct sim_opts){ .raw_a = true }), 0);
	int sd = sim_udp_socket(s.b, 0);
	struct sockaddr_in dst = sim_addr(SIM_IP_A, 9);
	const unsigned charge = s.b->pools.small->buf_size;	/* per queued frame: its buffer */
	const unsigned per_entry = UST_ARP_QUEUE_BYTES_PER_ENTRY / charge;
	const unsigned total = UST_ARP_QUEUE_BYTES_TOTAL / charge;
	/* the frame-count cap (half of 2048 buffers) is not what limits here */
	assert_true(total < 2048 / UST_ARP_QUEUE_POOL_DIVISOR);
	for (unsigned i = 0; i < per_entry + 10; i++)
		assert_int_equal(ust_sendto(s.b, sd, qb_data, QB_PAYLOAD, 0, (struct sockaddr *)&dst,
					    sizeof(dst)), QB_PAYLOAD);
	assert_int_equal(sim_counter(s.b, "arp.queued"), per_entry);
	assert_int_equal(sim_counter(s.b, "arp.queue_full_dropped"), 10);
	assert_true(ust__arp_entry_bytes(s.b->pools.small, ust__arp_lookup(s.b, SIM_IP_A)) <= UST_ARP_QUEUE_BYTES_PER_ENTRY);
	/* overall bound across many unresolved neighbours */
	for (unsigned h = 10; h < 30; h++) {
		struct sockaddr_in d = sim_addr(UST_IPV4(10, 0, 0, h), 9);
		for (unsigned i = 0; i < per_entry; i++)
			ust_sendto(s.b, sd, qb_data, QB_PAYLOAD, 0, (struct sockaddr *)&d, sizeof(d));
	}
	assert_int_equal(sim_counter(s.b, "arp.queued"), total);
	assert_true(s.b->arp.queued_bytes <= UST_ARP_QUEUE_BYTES_TOTAL);
	assert_true(sim_small_in_use(s.b) <= total + UST_BATCH_MAX);
	/* the answer releases A's queue in order */
	answer(&s);
	int got = 0;
	while (raw_recv(&s, f, sizeof(f)) >= 0)
		if (ust_get_be16(f + 12) == UST_ETHERTYPE_IPV4)
			got++;
	assert_int_equal(got, per_entry);
	/* the others fail after three tries: everything is freed */
	sim_run(&s, 4 * SIM_SEC);
	drain(&s);
	assert_int_equal(sim_small_in_use(s.b), 0);
	assert_int_equal(s.b->arp.queued_bytes, 0);
	assert_int_equal(sim_counter(s.b, "arp.resolve_failed"), 20);
	sim_fini(&s);
}

/* Tiny frames: the byte limits would allow thousands; the pool cap keeps half the buffers. */
static void test_queue_pool_cap(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, &(struct sim_opts){ .raw_a = true, .buffers = 256 }), 0);
	int sd = sim_udp_socket(s.b, 0);
	struct sockaddr_in dst = sim_addr(SIM_IP_A, 9);
	const unsigned cap = 256 / UST_ARP_QUEUE_POOL_DIVISOR;
	for (unsigned i = 0; i < cap + 50; i++)
		assert_int_equal(ust_sendto(s.b, sd, "q", 1, 0, (struct sockaddr *)&dst, sizeof(dst)), 1);
	assert_int_equal(sim_counter(s.b, "arp.queued"), cap);
	assert_int_equal(sim_counter(s.b, "arp.queue_full_dropped"), 50);
	assert_true(sim_small_in_use(s.b) <= cap + UST_BATCH_MAX);
	answer(&s);
	int got = 0;
	while (raw_recv(&s, f, sizeof(f)) >= 0)
		if (ust_get_be16(f + 12) == UST_ETHERTYPE_IPV4)
			got++;
	assert_int_equal(got, cap);
	drain(&s);
	assert_int_equal(sim_small_in_use(s.b), 0);
	sim_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gratuitous_and_reply),
		cmocka_unit_test(test_unsolicited),
		cmocka_unit_test(test_expiry_and_refresh),
		cmocka_unit_test(test_queue_bounds),
		cmocka_unit_test(test_queue_pool_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
