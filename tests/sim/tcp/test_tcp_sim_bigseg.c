/*
 * Big segments over a pair link with offload (ust_pair_config.offload), the way veth carries
 * GSO/GRO frames: TCP sends 64 KB segments, the link passes them whole with their offload
 * metadata (GSO flag, partial checksum trusted as valid), and the receiver takes them like
 * GRO'ed frames from TAP. Proves the data arrives intact in both directions at once:
 *   - over one shared pool (frames handed over, not copied) and over two pools (copied);
 *   - with an impair hook that drops and corrupts big frames: the link then finishes the
 *     checksum in software, so the receiver catches every corruption and TCP repairs it;
 *   - every buffer comes back to the pool once the connection is gone;
 *   - autocork (a write's tail shorter than a big segment waits for the next poll while
 *     data is in flight) holds data back and loses none of it;
 *   - an offload link refuses pools whose buffers cannot hold a 64 KiB frame.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tcp_harness.h"

#define BIG_BUF (65536u + 128u)

struct link_stats {
	uint64_t frames, big_frames, dropped, corrupted;
	bool lossy;
};

static struct link_stats ls;

/* Every 23rd big frame is dropped and every 31st gets one payload byte flipped. */
static unsigned lossy_hook(void *arg, struct ust_pool *pool, struct ust_pkt *pkt, uint64_t now,
			   uint64_t *delay_ns)
{
	(void)arg;
	(void)now;
	(void)delay_ns;
	ls.frames++;
	if (pkt->len <= 1514)
		return 1;
	ls.big_frames++;
	if (!ls.lossy)
		return 1;
	if (ls.big_frames % 23 == 0) {
		ls.dropped++;
		return 0;
	}
	if (ls.big_frames % 31 == 0) {
		uint8_t *f = ust_pkt_data(pool, pkt);
		f[pkt->len - 100] ^= 0x40;
		ls.corrupted++;
	}
	return 1;
}

static void setup(struct sim *s, bool shared, bool hooked)
{
	memset(s, 0, sizeof(*s));
	memset(&ls, 0, sizeof(ls));
	struct ust_pool_config pc = { .count = 512, .buf_size = BIG_BUF, .headroom = 128 };
	assert_int_equal(ust_pool_create(&s->pool_a, &pc), 0);
	if (shared) {
		s->pool_b = NULL;	/* sim_fini destroys pool_a once */
	} else {
		assert_int_equal(ust_pool_create(&s->pool_b, &pc), 0);
	}
	struct ust_pair_config lc = { .mtu = 1500, .delay_ns = SIM_MS, .offload = true,
				      .impair = hooked ? lossy_hook : NULL };
	struct ust_backend *ea, *eb;
	assert_int_equal(ust_pair_create(&ea, &eb, s->pool_a, shared ? s->pool_a : s->pool_b, &lc), 0);
	assert_true((ea->features & UST_BACKEND_F_TSO) && (eb->features & UST_BACKEND_F_GRO));
	struct ust_stack_config ca = { .ip = "10.0.0.1/24", .seed = 1 }, cb = { .ip = "10.0.0.2/24", .seed = 2 };
	assert_int_equal(ust_stack_create_on(&s->a, ea, &ca, NULL), 0);
	assert_int_equal(ust_stack_create_on(&s->b, eb, &cb, NULL), 0);
	sim_run(s, SIM_MS);
}

/* 6 MiB each way at the same time; data checked; then everything is given back. */
static void transfer(struct sim *s, uint32_t seed)
{
	int c, d;
	tsim_pair(s, 80, &c, &d);
	assert_true(c >= 0 && d >= 0);
	struct tsim_xfer ab = { .len = 6u << 20, .seed = seed, .close_after = true };
	struct tsim_xfer ba = { .len = 6u << 20, .seed = seed + 1, .close_after = true };
	assert_true(tsim_pump(s, s->a, c, &ab, s->b, d, &ba, s->now + 300 * SIM_SEC));
	assert_true(ab.eof && ba.eof);
	assert_int_equal(ab.rcvd, ab.len);
	assert_int_equal(ba.rcvd, ba.len);
	assert_true(ab.sum_rx == ab.sum_tx);
	assert_true(ba.sum_rx == ba.sum_tx);
	printf("big segments sent A %llu B %llu; bad checksums at A %llu B %llu; retransmits A %llu B %llu\n",
	       (unsigned long long)sim_counter(s->a, "tcp.tso_segments"),
	       (unsigned long long)sim_counter(s->b, "tcp.tso_segments"),
	       (unsigned long long)sim_counter(s->a, "tcp.rx_bad_checksum"),
	       (unsigned long long)sim_counter(s->b, "tcp.rx_bad_checksum"),
	       (unsigned long long)sim_counter(s->a, "tcp.retransmits"),
	       (unsigned long long)sim_counter(s->b, "tcp.retransmits"));
	/* big segments went both ways, and none was cut into IPv4 fragments */
	assert_true(sim_counter(s->a, "tcp.tso_segments") > 20);
	assert_true(sim_counter(s->b, "tcp.tso_segments") > 20);
	assert_int_equal(sim_counter(s->a, "ipv4.tx_fragments"), 0);
	assert_int_equal(sim_counter(s->b, "ipv4.tx_fragments"), 0);
	ust_close(s->a, c);
	ust_close(s->b, d);
	sim_run(s, 200 * SIM_SEC);	/* past TIME_WAIT */
	assert_int_equal(sim_small_in_use(s->a), 0);
	assert_int_equal(sim_small_in_use(s->b), 0);
	assert_int_equal(s->pool_a->stats.double_free + s->pool_a->stats.bad_free, 0);
}

static void bigseg_shared_pool(void **state)
{
	(void)state;
	struct sim s;
	setup(&s, true, false);
	transfer(&s, 21);
	/* runts of writes were held back (autocork) and still all arrived (sums checked) */
	assert_true(sim_counter(s.a, "tcp.tx_autocorked") > 0);
	assert_int_equal(sim_counter(s.a, "tcp.rx_bad_checksum") + sim_counter(s.b, "tcp.rx_bad_checksum"), 0);
	sim_fini(&s);
}

static void bigseg_two_pools(void **state)
{
	(void)state;
	struct sim s;
	setup(&s, false, true);
	transfer(&s, 31);
	assert_true(sim_counter(s.a, "tcp.tx_autocorked") > 0);
	assert_true(ls.big_frames > 40);
	assert_int_equal(sim_counter(s.a, "tcp.rx_bad_checksum") + sim_counter(s.b, "tcp.rx_bad_checksum"), 0);
	sim_fini(&s);
}

static void bigseg_lossy(void **state)
{
	(void)state;
	struct sim s;
	setup(&s, true, true);
	ls.lossy = true;
	transfer(&s, 41);
	printf("link: %llu frames, %llu big, %llu dropped, %llu corrupted\n", (unsigned long long)ls.frames,
	       (unsigned long long)ls.big_frames, (unsigned long long)ls.dropped, (unsigned long long)ls.corrupted);
	assert_true(ls.dropped > 0 && ls.corrupted > 0);
	/* every corrupted frame was caught by its checksum, none slipped into the data */
	assert_int_equal(sim_counter(s.a, "tcp.rx_bad_checksum") + sim_counter(s.b, "tcp.rx_bad_checksum"),
			 ls.corrupted);
	sim_fini(&s);
}

static void bigseg_needs_big_buffers(void **state)
{
	(void)state;
	struct ust_pool *small, *big;
	struct ust_pool_config pc = { .count = 16, .buf_size = 2048, .headroom = 128 };
	assert_int_equal(ust_pool_create(&small, &pc), 0);
	pc.buf_size = BIG_BUF;
	assert_int_equal(ust_pool_create(&big, &pc), 0);
	struct ust_pair_config lc = { .offload = true };
	struct ust_backend *ea, *eb;
	assert_int_equal(ust_pair_create(&ea, &eb, big, small, &lc), -EINVAL);
	assert_int_equal(ust_pair_create(&ea, &eb, small, big, &lc), -EINVAL);
	assert_int_equal(ust_pair_create(&ea, &eb, big, big, &lc), 0);
	ust_backend_close(ea);
	ust_backend_close(eb);
	ust_pool_destroy(small);
	ust_pool_destroy(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bigseg_shared_pool),
		cmocka_unit_test(bigseg_two_pools),
		cmocka_unit_test(bigseg_lossy),
		cmocka_unit_test(bigseg_needs_big_buffers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
