/*
 * ARP queue limits in bytes, between two stacks on a pair link with a virtual clock:
 * - two back-to-back 65507-byte UDP datagrams (45 fragments each) sent to a neighbour not
 *   yet resolved both wait for the ARP reply and arrive intact (a 64-frame limit lost the
 *   second);
 * - a flood beyond UST_ARP_QUEUE_BYTES_PER_ENTRY to one unresolved neighbour is dropped and
 *   counted (arp.queue_full_dropped), the queue never holds more than the limit, and the
 *   datagrams that were queued whole still arrive intact once the neighbour answers;
 * - a flood to many unresolved neighbours stays under UST_ARP_QUEUE_BYTES_TOTAL and every
 *   buffer comes back when their resolutions fail.
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

#define BIG 65507u		/* the largest UDP payload over IPv4 */
/* One BIG datagram over MTU 1500: 44 fragments of 1480 bytes and one of 395, as frames. */
#define BIG_FRAMES 45u
/* What they are charged against the ARP queue limits: the 2 KiB buffers they pin. */
#define BUF(st) ((st)->pools.small->buf_size)
#define BIG_CHARGE(st) (BIG_FRAMES * BUF(st))

static uint8_t out[BIG];
static uint8_t in[BIG + 1];

static bool drop_arp_replies;

static unsigned impair(struct sim *s, int dir, struct ust_pool *pool, struct ust_pkt *pkt, uint64_t *delay)
{
	(void)s;
	(void)delay;
	const uint8_t *d = ust_pkt_data(pool, pkt);
	if (drop_arp_replies && dir == 1 && pkt->len >= 42 &&
	    ust_get_be16(d + 12) == UST_ETHERTYPE_ARP && ust_get_be16(d + 14 + 6) == UST_ARP_OP_REPLY)
		return 0;
	return 1;
}

static void fill(unsigned seq)
{
	for (size_t i = 0; i < BIG; i++)
		out[i] = (uint8_t)(i * 7 + seq * 13 + (i >> 8));
}

static void send_big(struct sim *s, int sd, uint32_t ip, unsigned seq)
{
	struct sockaddr_in dst = sim_addr(ip, 5000);
	fill(seq);
	assert_int_equal(ust_sendto(s->a, sd, out, BIG, 0, (struct sockaddr *)&dst, sizeof(dst)), BIG);
}

/* Read the next datagram on B and check it is datagram `seq`, byte for byte. */
static bool recv_big(struct sim *s, int rx, unsigned seq)
{
	ssize_t n = ust_read(s->b, rx, in, sizeof(in));
	if (n < 0)
		return false;
	assert_int_equal(n, BIG);
	fill(seq);
	assert_memory_equal(in, out, BIG);
	return true;
}

static void test_two_big_datagrams(void **state)
{
	(void)state;
	struct sim s;
	drop_arp_replies = false;
	assert_int_equal(sim_init(&s, &(struct sim_opts){ .impair = impair }), 0);
	int rx = sim_udp_socket(s.b, 5000), tx = sim_udp_socket(s.a, 0);
	int big = 4 * BIG;
	assert_int_equal(ust_setsockopt(s.b, rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big)), 0);
	send_big(&s, tx, SIM_IP_B, 1);
	send_big(&s, tx, SIM_IP_B, 2);
	/* both wait for the one resolution, whole */
	assert_int_equal(sim_counter(s.a, "arp.queued"), 2 * BIG_FRAMES);
	assert_int_equal(sim_counter(s.a, "arp.queue_full_dropped"), 0);
	assert_int_equal(s.a->arp.queued_bytes, 2 * BIG_CHARGE(s.a));
	assert_int_equal(sim_counter(s.a, "arp.tx_requests"), 1);
	sim_run(&s, 100 * SIM_MS);
	assert_true(recv_big(&s, rx, 1));
	assert_true(recv_big(&s, rx, 2));
	assert_false(recv_big(&s, rx, 3));
	assert_int_equal(s.a->arp.queued_bytes, 0);
	ust_close(s.b, rx);
	ust_close(s.a, tx);
	sim_run(&s, SIM_SEC);
	assert_int_equal(sim_small_in_use(s.a), 0);
	assert_int_equal(sim_small_in_use(s.b), 0);
	sim_fini(&s);
}

static void test_flood_one_neighbour(void **state)
{
	(void)state;
	struct sim s;
	drop_arp_replies = true;	/* the first request goes unanswered */
	assert_int_equal(sim_init(&s, &(struct sim_opts){ .impair = impair }), 0);
	int rx = sim_udp_socket(s.b, 5000), tx = sim_udp_socket(s.a, 0);
	int big = 16 * BIG;
	assert_int_equal(ust_setsockopt(s.b, rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big)), 0);
	const unsigned sent = 8;	/* ~536 KB offered, twice the per-entry limit */
	for (unsigned i = 0; i < sent; i++)
		send_big(&s, tx, SIM_IP_B, i);
	sim_run(&s, 100 * SIM_MS);	/* the reply is lost: everything still waits */
	const struct ust__arp_entry *e = ust__arp_lookup(s.a, SIM_IP_B);
	assert_non_null(e);
	assert_int_equal(e->state, UST_ARP_INCOMPLETE);
	uint64_t queued = sim_counter(s.a, "arp.queued");
	uint64_t dropped = sim_counter(s.a, "arp.queue_full_dropped");
	/* every frame is either queued or dropped and counted; memory stays within the limit */
	assert_int_equal(queued + dropped, sent * BIG_FRAMES);
	assert_true(dropped > 0);
	assert_true(ust__arp_entry_bytes(s.a->pools.small, e) <= UST_ARP_QUEUE_BYTES_PER_ENTRY);
	assert_true(ust__arp_entry_bytes(s.a->pools.small, e) > UST_ARP_QUEUE_BYTES_PER_ENTRY - BUF(s.a));
	assert_int_equal(s.a->arp.queued_bytes, ust__arp_entry_bytes(s.a->pools.small, e));
	assert_true(sim_small_in_use(s.a) <= e->queue.count + UST_BATCH_MAX);
	/* the retry is answered: the datagrams queued whole arrive, in order and intact */
	drop_arp_replies = false;
	sim_run(&s, 2 * SIM_SEC);
	assert_int_equal(sim_counter(s.a, "arp.resolved"), 1);
	const unsigned whole = UST_ARP_QUEUE_BYTES_PER_ENTRY / BIG_CHARGE(s.a);
	for (unsigned i = 0; i < whole; i++)
		assert_true(recv_big(&s, rx, i));
	assert_false(recv_big(&s, rx, whole));	/* the next one lost fragments */
	ust_close(s.b, rx);
	ust_close(s.a, tx);
	sim_run(&s, 40 * SIM_SEC);	/* B's partial reassembly times out */
	assert_int_equal(sim_small_in_use(s.a), 0);
	assert_int_equal(sim_small_in_use(s.b), 0);
	assert_int_equal(sim_big_in_use(s.b), 0);
	sim_fini(&s);
}

static void test_flood_many_neighbours(void **state)
{
	(void)state;
	struct sim s;
	drop_arp_replies = false;
	assert_int_equal(sim_init(&s, &(struct sim_opts){ .impair = impair }), 0);
	int tx = sim_udp_socket(s.a, 0);
	/* addresses nobody has: 6 x 4 datagrams, ~1.6 MB offered against a 1 MiB limit */
	for (unsigned h = 10; h < 16; h++)
		for (unsigned i = 0; i < 4; i++)
			send_big(&s, tx, UST_IPV4(10, 0, 0, h), i);
	uint64_t queued = sim_counter(s.a, "arp.queued");
	uint64_t dropped = sim_counter(s.a, "arp.queue_full_dropped");
	assert_int_equal(queued + dropped, 6 * 4 * BIG_FRAMES);
	assert_true(dropped > 0);
	assert_true(s.a->arp.queued_bytes <= UST_ARP_QUEUE_BYTES_TOTAL);
	assert_true(s.a->arp.queued_bytes > UST_ARP_QUEUE_BYTES_TOTAL - BUF(s.a));
	assert_true(s.a->arp.queued_total <= s.a->pools.small->count / UST_ARP_QUEUE_POOL_DIVISOR);
	assert_true(sim_small_in_use(s.a) <= s.a->arp.queued_total + UST_BATCH_MAX);
	/* nobody answers: after three tries each queue is dropped and counted, all freed */
	sim_run(&s, 5 * SIM_SEC);
	assert_int_equal(sim_counter(s.a, "arp.resolve_failed"), 6);
	assert_int_equal(sim_counter(s.a, "arp.unresolved_dropped"), queued);
	assert_int_equal(s.a->arp.queued_bytes, 0);
	assert_int_equal(s.a->arp.queued_total, 0);
	ust_close(s.a, tx);
	sim_run(&s, SIM_SEC);
	assert_int_equal(sim_small_in_use(s.a), 0);
	sim_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_big_datagrams),
		cmocka_unit_test(test_flood_one_neighbour),
		cmocka_unit_test(test_flood_many_neighbours),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
