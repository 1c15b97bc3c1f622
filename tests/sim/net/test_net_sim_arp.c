/*
 * ARP between two stacks with lost replies: one or two lost replies only delay delivery
 * (the request is retried every second, three times); all lost: the queued datagram is
 * dropped and counted, and the sending socket gets EHOSTUNREACH on its next call.
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

static int replies_to_drop;
static int replies_dropped;

static unsigned drop_replies(struct sim *s, int dir, struct ust_pool *pool, struct ust_pkt *pkt, uint64_t *delay)
{
	(void)s;
	(void)delay;
	const uint8_t *d = ust_pkt_data(pool, pkt);
	if (dir == 1 && pkt->len >= 42 && ust_get_be16(d + 12) == UST_ETHERTYPE_ARP &&
	    ust_get_be16(d + 14 + 6) == UST_ARP_OP_REPLY && replies_dropped < replies_to_drop) {
		replies_dropped++;
		return 0;
	}
	return 1;
}

static void run_case(int lost, bool delivered)
{
	struct sim s;
	replies_to_drop = lost;
	replies_dropped = 0;
	assert_int_equal(sim_init(&s, &(struct sim_opts){ .impair = drop_replies }), 0);
	int rx = sim_udp_socket(s.b, 5000), tx = sim_udp_socket(s.a, 0);
	struct sockaddr_in dst = sim_addr(SIM_IP_B, 5000);
	assert_int_equal(ust_sendto(s.a, tx, "ping", 4, 0, (struct sockaddr *)&dst, sizeof(dst)), 4);
	assert_int_equal(sim_counter(s.a, "arp.queued"), 1);
	sim_run(&s, 5 * SIM_SEC);
	char b[8];
	if (delivered) {
		assert_int_equal(ust_read(s.b, rx, b, sizeof(b)), 4);
		assert_int_equal(sim_counter(s.a, "arp.tx_requests"), (uint64_t)lost + 1);
		assert_int_equal(sim_counter(s.a, "arp.resolved"), 1);
		const struct ust__arp_entry *e = ust__arp_lookup(s.a, SIM_IP_B);
		assert_non_null(e);
		assert_int_equal(e->state, UST_ARP_REACHABLE);
		assert_memory_equal(e->mac.b, sim_mac_b.b, 6);
		/* nothing pending: a later call succeeds */
		assert_int_equal(ust_sendto(s.a, tx, "more", 4, 0, (struct sockaddr *)&dst, sizeof(dst)), 4);
	} else {
		assert_int_equal(ust_read(s.b, rx, b, sizeof(b)), -1);
		assert_int_equal(sim_counter(s.a, "arp.tx_requests"), 3);
		assert_int_equal(sim_counter(s.a, "arp.resolve_failed"), 1);
		assert_int_equal(sim_counter(s.a, "arp.unresolved_dropped"), 1);
		assert_null(ust__arp_lookup(s.a, SIM_IP_B));
		assert_int_equal(ust_sendto(s.a, tx, "more", 4, 0, (struct sockaddr *)&dst, sizeof(dst)), -1);
		assert_int_equal(errno, EHOSTUNREACH);
		/* reported once: the next call goes through (and resolution starts again) */
		assert_int_equal(ust_sendto(s.a, tx, "more", 4, 0, (struct sockaddr *)&dst, sizeof(dst)), 4);
	}
	ust_close(s.b, rx);
	sim_run(&s, 10 * SIM_SEC);
	assert_int_equal(sim_small_in_use(s.b), 0);
	assert_int_equal(sim_small_in_use(s.a), 0);
	sim_fini(&s);
}

static void test_no_loss(void **state)
{
	(void)state;
	run_case(0, true);
}

static void test_one_lost(void **state)
{
	(void)state;
	run_case(1, true);
}

static void test_two_lost(void **state)
{
	(void)state;
	run_case(2, true);
}

static void test_all_lost(void **state)
{
	(void)state;
	run_case(100, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_loss),
		cmocka_unit_test(test_one_lost),
		cmocka_unit_test(test_two_lost),
		cmocka_unit_test(test_all_lost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
