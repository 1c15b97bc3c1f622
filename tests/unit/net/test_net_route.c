/*
 * Routing decisions of a stack: local subnet direct, otherwise the default gateway, no route
 * without one (ENETUNREACH), broadcast addresses (limited and subnet; none for /31 and /32),
 * and the ARP target actually used on the wire for an off-link destination.
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

static struct ust_stack *make(struct ust_pool **pool, struct ust_backend **peer, const char *ip, const char *gw)
{
	struct ust_pool_config pc = { .count = 256, .buf_size = 2048, .headroom = 128 };
	assert_int_equal(ust_pool_create(pool, &pc), 0);
	struct ust_backend *a, *b;
	assert_int_equal(ust_pair_create(&a, &b, *pool, *pool, &(struct ust_pair_config){ 0 }), 0);
	struct ust_stack_config cfg = { .ip = ip, .gateway = gw, .seed = 3 };
	struct ust_stack *st;
	const char *why;
	assert_int_equal(ust_stack_create_on(&st, b, &cfg, &why), 0);
	*peer = a;
	return st;
}

static void test_decisions(void **state)
{
	(void)state;
	struct ust_pool *pool;
	struct ust_backend *peer;
	struct ust_stack *st = make(&pool, &peer, "192.168.1.10/24", "192.168.1.1");
	uint32_t nh;
	assert_int_equal(ust__ipv4_route(st, UST_IPV4(192, 168, 1, 77), &nh), 0);
	assert_int_equal(nh, UST_IPV4(192, 168, 1, 77));
	assert_int_equal(ust__ipv4_route(st, UST_IPV4(8, 8, 8, 8), &nh), 0);
	assert_int_equal(nh, UST_IPV4(192, 168, 1, 1));
	assert_int_equal(ust__ipv4_route(st, UST_IPV4(192, 168, 2, 1), &nh), 0);
	assert_int_equal(nh, UST_IPV4(192, 168, 1, 1));
	assert_int_equal(ust__ipv4_route(st, UST_IPV4(224, 0, 0, 1), &nh), -ENETUNREACH);
	assert_true(ust__ipv4_is_broadcast(st, UST_IPV4(192, 168, 1, 255)));
	assert_true(ust__ipv4_is_broadcast(st, 0xffffffffu));
	assert_false(ust__ipv4_is_broadcast(st, UST_IPV4(192, 168, 2, 255)));
	assert_int_equal(ust_stack_ipv4(st), UST_IPV4(192, 168, 1, 10));
	uint8_t mac[6];
	ust_stack_mac(st, mac);
	static const uint8_t derived[6] = { 0x02, 0x00, 192, 168, 1, 10 };
	assert_memory_equal(mac, derived, 6);

	/* a datagram to 8.8.8.8 asks ARP for the gateway */
	int sd = ust_socket(st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in d = sim_addr(UST_IPV4(8, 8, 8, 8), 53);
	assert_int_equal(ust_sendto(st, sd, "q", 1, 0, (struct sockaddr *)&d, sizeof(d)), 1);
	ust_stack_poll(st, 1);
	struct ust_pkt *pkts[8];
	unsigned n = ust_backend_rx(peer, pkts, 8, 1);
	bool asked_gw = false;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *p = ust_pkt_data(pool, pkts[i]);
		struct ust_arp_repr a;
		if (ust_get_be16(p + 12) == UST_ETHERTYPE_ARP && ust_arp_parse(p + 14, pkts[i]->len - 14, &a) == UST_WIRE_OK &&
		    a.tpa == UST_IPV4(192, 168, 1, 1))
			asked_gw = true;
		ust_pkt_free(pool, pkts[i]);
	}
	assert_true(asked_gw);
	ust_stack_destroy(st);
	ust_backend_close(peer);
	ust_pool_destroy(pool);
}

static void test_no_gateway_and_small_prefixes(void **state)
{
	(void)state;
	struct ust_pool *pool;
	struct ust_backend *peer;
	struct ust_stack *st = make(&pool, &peer, "10.1.2.3/31", NULL);
	uint32_t nh;
	assert_int_equal(ust__ipv4_route(st, UST_IPV4(10, 1, 2, 2), &nh), 0);
	assert_int_equal(ust__ipv4_route(st, UST_IPV4(10, 1, 2, 4), &nh), -ENETUNREACH);
	assert_false(ust__ipv4_is_broadcast(st, UST_IPV4(10, 1, 2, 3)));
	int sd = ust_socket(st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in d = sim_addr(UST_IPV4(10, 9, 9, 9), 53);
	assert_int_equal(ust_sendto(st, sd, "q", 1, 0, (struct sockaddr *)&d, sizeof(d)), -1);
	assert_int_equal(errno, ENETUNREACH);
	assert_int_equal(sim_counter(st, "ipv4.tx_no_route"), 1);
	ust_stack_destroy(st);
	ust_backend_close(peer);
	ust_pool_destroy(pool);
}

static void test_bad_config(void **state)
{
	(void)state;
	struct ust_pool_config pc = { .count = 64, .buf_size = 2048, .headroom = 128 };
	static const struct {
		const char *ip, *gw, *mac;
	} bad[] = {
		{ "10.0.0.1", NULL, NULL },		/* no prefix */
		{ "10.0.0.1/33", NULL, NULL },
		{ "nonsense", NULL, NULL },
		{ "10.0.0.1/24", "10.0.1.1", NULL },	/* gateway off-link */
		{ "10.0.0.1/24", NULL, "01:00:00:00:00:01" },	/* multicast MAC */
		{ "10.0.0.1/24", NULL, "zz" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ust_pool *pool;
		assert_int_equal(ust_pool_create(&pool, &pc), 0);
		struct ust_backend *a, *b;
		assert_int_equal(ust_pair_create(&a, &b, pool, pool, &(struct ust_pair_config){ 0 }), 0);
		struct ust_stack_config cfg = { .ip = bad[i].ip, .gateway = bad[i].gw, .mac = bad[i].mac };
		struct ust_stack *st = NULL;
		const char *why = NULL;
		assert_int_equal(ust_stack_create_on(&st, b, &cfg, &why), -EINVAL);
		assert_non_null(why);
		ust_backend_close(a);	/* b was handed over and closed */
		ust_pool_destroy(pool);
	}
	struct ust_stack_config cfg = { .ip = "10.0.0.1/24", .ifspec = "bogus:x" };
	struct ust_stack *st;
	const char *why = NULL;
	assert_true(ust_stack_create(&st, &cfg, &why) < 0);
	assert_non_null(why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decisions),
		cmocka_unit_test(test_no_gateway_and_small_prefixes),
		cmocka_unit_test(test_bad_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
