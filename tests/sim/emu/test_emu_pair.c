/*
 * The emulator as a pair link's stage: what end a sends reaches end b after the pipe's
 * bandwidth and delay (on virtual time), the reverse direction gets its own pipe, and
 * closing the link with frames still inside the emulator leaks nothing.
 */
#include "emu_test_util.h"

#include "io/backend.h"

#define GRAN 100000ull

static void test_emu_pair_stage(void **state)
{
	(void)state;
	struct ust_pool *pa = t_pool(512), *pb = t_pool(512);
	struct ust_emu_config ec = { .granularity_ns = GRAN, .seed = 3, .pool = { pb, pa } };
	struct ust_emu *emu = NULL;
	assert_int_equal(ust_emu_create(&emu, &ec), 0);
	t_cmd(emu, "pipe 1 config bw 10Mbit/s delay 20ms");
	t_cmd(emu, "pipe 2 config bw 1Mbit/s delay 5ms");
	t_cmd(emu, "add 100 pipe 1 ip from any to any out");
	t_cmd(emu, "add 200 pipe 2 ip from any to any in");
	struct ust_pair_config pc = { .stage_ops = &ust_emu_stage_ops, .stage = emu };
	struct ust_backend *a = NULL, *b = NULL;
	assert_int_equal(ust_pair_create(&a, &b, pa, pb, &pc), 0);

	/* a -> b: 10 frames of 1250 IP bytes (1 ms each at 10 Mbit/s) */
	struct ust_pkt *f[10];
	for (uint32_t i = 0; i < 10; i++) {
		f[i] = t_udp(pa, 1264);
		t_seq_set(pa, f[i], i);
	}
	ust_backend_tx(a, f, 10, 0);
	/* b -> a: 2 frames of 125 IP bytes (1 ms each at 1 Mbit/s) */
	struct ust_pkt *g[2] = { t_udp(pb, 139), t_udp(pb, 139) };
	ust_backend_tx(b, g, 2, 0);

	uint64_t now = 0;
	uint32_t got_b = 0, got_a = 0;
	uint64_t at_b[10], at_a[2];
	while (got_b < 10 || got_a < 2) {
		uint64_t d = UST_MIN(ust_backend_next_deadline(a), ust_backend_next_deadline(b));
		assert_true(d != UINT64_MAX);
		if (d > now)
			now = d;
		struct ust_pkt *r[16];
		unsigned n = ust_backend_rx(b, r, 16, now);
		for (unsigned i = 0; i < n; i++) {
			assert_int_equal(ust_get_be32(ust_pkt_data(pb, r[i]) + 42), got_b);
			at_b[got_b++] = now;
		}
		ust_pkt_free_batch(pb, r, n);
		n = ust_backend_rx(a, r, 16, now);
		for (unsigned i = 0; i < n; i++)
			at_a[got_a++] = now;
		ust_pkt_free_batch(pa, r, n);
		assert_true(now < 1000000000ull);
	}
	for (uint32_t k = 0; k < 10; k++) {
		uint64_t want = (k + 1) * 1000000ull + 20000000ull;
		assert_true(at_b[k] >= want && at_b[k] < want + GRAN);
	}
	for (uint32_t k = 0; k < 2; k++) {
		uint64_t want = (k + 1) * 1000000ull + 5000000ull;
		assert_true(at_a[k] >= want && at_a[k] < want + GRAN);
	}

	/* frames left inside the emulator at teardown are freed by destroy */
	struct ust_pkt *h = t_udp(pa, 1000);
	ust_backend_tx(a, &h, 1, now);
	ust_backend_close(a);
	ust_backend_close(b);
	ust_emu_destroy(emu);
	assert_int_equal(ust_pool_available(pa), 512);
	assert_int_equal(ust_pool_available(pb), 512);
	ust_pool_destroy(pa);
	ust_pool_destroy(pb);
}

/* One pipe for both directions of a pair with two pools: each direction gets its own
 * instance (packets of different pools never share a queue), both arrive intact. */
static void test_emu_pair_shared_pipe_two_pools(void **state)
{
	(void)state;
	struct ust_pool *pa = t_pool(64), *pb = t_pool(64);
	struct ust_emu_config ec = { .granularity_ns = GRAN, .seed = 3, .pool = { pb, pa } };
	struct ust_emu *emu = NULL;
	assert_int_equal(ust_emu_create(&emu, &ec), 0);
	t_cmd(emu, "pipe 1 config bw 1Mbit/s delay 1ms");
	t_cmd(emu, "add 100 pipe 1 ip from any to any");
	struct ust_pair_config pc = { .stage_ops = &ust_emu_stage_ops, .stage = emu };
	struct ust_backend *a = NULL, *b = NULL;
	assert_int_equal(ust_pair_create(&a, &b, pa, pb, &pc), 0);
	for (uint32_t i = 0; i < 5; i++) {
		struct ust_pkt *x = t_udp(pa, 139), *y = t_udp(pb, 139);
		t_seq_set(pa, x, i);
		t_seq_set(pb, y, 100 + i);
		ust_backend_tx(a, &x, 1, 0);
		ust_backend_tx(b, &y, 1, 0);
	}
	uint32_t got_a = 0, got_b = 0;
	uint64_t now = 0;
	while ((got_a < 5 || got_b < 5) && now < 1000000000ull) {
		uint64_t d = UST_MIN(ust_backend_next_deadline(a), ust_backend_next_deadline(b));
		now = d > now ? d : now + GRAN;
		struct ust_pkt *r[8];
		unsigned n = ust_backend_rx(b, r, 8, now);
		for (unsigned i = 0; i < n; i++)
			assert_int_equal(ust_get_be32(ust_pkt_data(pb, r[i]) + 42), got_b++);
		ust_pkt_free_batch(pb, r, n);
		n = ust_backend_rx(a, r, 8, now);
		for (unsigned i = 0; i < n; i++)
			assert_int_equal(ust_get_be32(ust_pkt_data(pa, r[i]) + 42), 100 + got_a++);
		ust_pkt_free_batch(pa, r, n);
	}
	assert_int_equal(got_a, 5);
	assert_int_equal(got_b, 5);
	/* both directions at full rate in parallel: 5 ms of transmission each, not 10 */
	assert_true(now < 7000000);
	assert_int_equal(ust_emu_counter(emu, "flows_created"), 4);	/* 2 instances + 2 queues */
	ust_backend_close(a);
	ust_backend_close(b);
	ust_emu_destroy(emu);
	assert_int_equal(ust_pool_available(pa), 64);
	assert_int_equal(ust_pool_available(pb), 64);
	ust_pool_destroy(pa);
	ust_pool_destroy(pb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emu_pair_stage),
		cmocka_unit_test(test_emu_pair_shared_pipe_two_pools),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
