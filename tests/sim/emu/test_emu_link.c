/*
 * Pipes on a virtual clock: bandwidth reached exactly (1 Mbit/s, 100 Mbit/s, 1 Gbit/s, with
 * no drift), delay within one timer tick, random loss within 3 standard deviations, tail
 * drop exactly when the queue is full, delay profiles, Mahimahi traces, the seed, the
 * netem-style extras, non-IP pass-through, and destroy returning every buffer.
 */
#include "emu_test_util.h"

#include <math.h>
#include <unistd.h>

#define GRAN 100000ull	/* 100 us timer tick */

static void sink_free(struct t_sink *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Advance the clock to `until` (delivering on the way). */
static uint64_t run_to(struct ust_emu *emu, struct ust_pool *pool, uint64_t now, uint64_t until,
		       struct t_sink *s)
{
	now = t_run(emu, pool, now, until, s);
	if (until > now)
		now = until;
	t_drain(emu, pool, now, s);
	return now;
}

static void send_seq(struct ust_emu *emu, struct ust_pool *pool, int dir, uint32_t len,
		     uint32_t seq, uint64_t now)
{
	struct ust_pkt *p = t_udp(pool, len);
	t_seq_set(pool, p, seq);
	ust_emu_input(emu, dir, p, now);
}

static void check_bandwidth(uint64_t bps, uint32_t count)
{
	const uint32_t len = 1500;	/* IP bytes on the link; the frame has 14 more */
	struct ust_pool *pool = t_pool(count + 16);
	struct ust_emu *emu = t_emu(pool, 1, GRAN);
	t_cmd(emu, "pipe 1 config bw %llubit/s queue %u", (unsigned long long)bps, count);
	t_cmd(emu, "add 100 pipe 1 ip from any to any");
	for (uint32_t i = 0; i < count; i++)
		send_seq(emu, pool, 0, len + 14, i, 0);
	struct t_sink s = { 0 };
	t_run(emu, pool, 0, UINT64_MAX, &s);
	assert_int_equal(s.n, count);
	/* packet k leaves when the link has sent k+1 packets: exact, never early, < 1 tick late */
	for (uint32_t k = 0; k < count; k++) {
		unsigned __int128 bits = (unsigned __int128)(k + 1) * len * 8;
		uint64_t finish = (uint64_t)(bits * 1000000000u / bps);
		assert_int_equal(s.v[k].seq, k);
		if (s.v[k].at < finish || s.v[k].at >= finish + GRAN)
			fail_msg("bw %llu: packet %u out at %llu, link finished it at %llu",
				 (unsigned long long)bps, k, (unsigned long long)s.v[k].at,
				 (unsigned long long)finish);
	}
	double rate = (double)count * len * 8 / ((double)s.v[count - 1].at / 1e9);
	double err = fabs(rate - (double)bps) / (double)bps;
	print_message("bw %llu bit/s: measured %.1f bit/s (error %.4f%%)\n", (unsigned long long)bps,
		      rate, err * 100);
	assert_true(err < 0.01);
	sink_free(&s);
	ust_emu_destroy(emu);
	assert_int_equal(ust_pool_available(pool), count + 16);
	ust_pool_destroy(pool);
}

static void test_emu_bandwidth_1mbit(void **state)
{
	(void)state;
	check_bandwidth(1000000, 1000);
}

static void test_emu_bandwidth_100mbit(void **state)
{
	(void)state;
	check_bandwidth(100000000, 10000);
}

static void test_emu_bandwidth_1gbit(void **state)
{
	(void)state;
	check_bandwidth(1000000000, 20000);
}

static void test_emu_bandwidth_odd_rate_no_drift(void **state)
{
	(void)state;
	/* 1 bit/s resolution: 999,999 bit/s does not divide packet times evenly */
	check_bandwidth(999999, 500);
	check_bandwidth(7, 3);
}

static void test_emu_delay(void **state)
{
	(void)state;
	struct ust_pool *pool = t_pool(256);
	struct ust_emu *emu = t_emu(pool, 1, GRAN);
	t_cmd(emu, "pipe 1 config delay 20ms");
	t_cmd(emu, "add 100 pipe 1 ip from any to any");
	struct t_sink s = { 0 };
	uint64_t now = 0;
	for (uint32_t i = 0; i < 100; i++) {
		now = run_to(emu, pool, now, (uint64_t)i * 1234567, &s);
		send_seq(emu, pool, 0, 100, i, now);
	}
	now = t_run(emu, pool, now, UINT64_MAX, &s);
	assert_int_equal(s.n, 100);
	for (uint32_t i = 0; i < 100; i++) {
		uint64_t sent = (uint64_t)s.v[i].seq * 1234567;
		uint64_t owd = s.v[i].at - sent;
		if (owd < 20000000 || owd >= 20000000 + GRAN)
			fail_msg("packet %u: one-way delay %llu ns", i, (unsigned long long)owd);
	}
	sink_free(&s);

	/* bandwidth and delay together: (Q + L) / B + delay */
	t_cmd(emu, "pipe 1 config bw 1Mbit/s delay 10ms");
	for (uint32_t i = 0; i < 10; i++)
		send_seq(emu, pool, 1, 1014, i, now);
	uint64_t start = now;
	t_run(emu, pool, now, UINT64_MAX, &s);
	assert_int_equal(s.n, 10);
	for (uint32_t k = 0; k < 10; k++) {
		uint64_t want = start + (k + 1) * 8000000ull + 10000000ull;
		assert_int_equal(s.v[k].dir, 1);
		assert_true(s.v[k].at >= want && s.v[k].at < want + GRAN);
	}
	sink_free(&s);
	ust_emu_destroy(emu);
	ust_pool_destroy(pool);
}

static uint32_t run_loss(const char *pipe_cfg, uint64_t seed, uint32_t n, uint8_t *pattern)
{
	struct ust_pool *pool = t_pool(64);
	struct ust_emu *emu = t_emu(pool, seed, GRAN);
	t_cmd(emu, "%s", pipe_cfg);
	t_cmd(emu, "add 100 pipe 1 ip from any to any");
	struct ust_pkt *out[8];
	uint32_t delivered = 0;
	for (uint32_t i = 0; i < n; i++) {
		send_seq(emu, pool, 0, 100, i, i);
		unsigned got = ust_emu_output(emu, 0, out, 8, i);
		if (pattern)
			pattern[i] = (uint8_t)got;
		delivered += got;
		ust_pkt_free_batch(pool, out, got);
	}
	assert_int_equal(ust_emu_held(emu), 0);
	ust_emu_destroy(emu);
	ust_pool_destroy(pool);
	return n - delivered;
}

static void test_emu_random_loss(void **state)
{
	(void)state;
	const uint32_t n = 100000;
	const double p = 0.01;
	uint32_t drops = run_loss("pipe 1 config plr 0.01", 42, n, NULL);
	double mean = n * p, sd = sqrt(n * p * (1 - p));
	print_message("plr 0.01 over %u packets: %u dropped (expected %.0f +- %.1f)\n", n, drops,
		      mean, 3 * sd);
	assert_true(fabs(drops - mean) <= 3 * sd);
	assert_int_equal(run_loss("pipe 1 config plr 0", 42, 1000, NULL), 0);
	assert_int_equal(run_loss("pipe 1 config plr 1", 42, 1000, NULL), 1000);
}

static void test_emu_seed_reproducible(void **state)
{
	(void)state;
	static uint8_t a[5000], b[5000], c[5000];
	run_loss("pipe 1 config plr 0.1", 7, 5000, a);
	run_loss("pipe 1 config plr 0.1", 7, 5000, b);
	run_loss("pipe 1 config plr 0.1", 8, 5000, c);
	assert_memory_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, c, sizeof(a));
}

static void test_emu_gilbert_elliott(void **state)
{
	(void)state;
	/* p = 1: bad after the first packet; loss 1 in bad: everything is lost */
	assert_int_equal(run_loss("pipe 1 config ge 1 0 0 1", 1, 1000, NULL), 1000);
	/* never leaves good, no loss in good */
	assert_int_equal(run_loss("pipe 1 config ge 0 1 0 1", 1, 1000, NULL), 0);
	/* stationary bad probability p/(p+r) = 0.01/0.11: loss close to 9.1%, in bursts */
	static uint8_t pat[100000];
	uint32_t drops = run_loss("pipe 1 config ge 0.01 0.1", 3, 100000, pat);
	assert_true(drops > 7000 && drops < 11000);
	uint32_t runs = 0;
	for (uint32_t i = 1; i < 100000; i++)
		runs += pat[i] == 0 && pat[i - 1] != 0;
	/* mean burst length 1/r = 10: far fewer loss runs than losses */
	assert_true(runs < drops / 5);
}

static void test_emu_queue_overflow(void **state)
{
	(void)state;
	const char *cfgs[] = { "pipe 1 config bw 1Mbit/s queue 10",
			       "pipe 1 config bw 1Mbit/s queue 10KBytes" };
	for (int c = 0; c < 2; c++) {
		struct ust_pool *pool = t_pool(64);
		struct ust_emu *emu = t_emu(pool, 1, GRAN);
		t_cmd(emu, "%s", cfgs[c]);
		t_cmd(emu, "add 100 pipe 1 ip from any to any");
		/* the first packet goes straight onto the idle link; 10 fill the queue */
		for (uint32_t i = 0; i < 15; i++)
			send_seq(emu, pool, 0, 1000, i, 0);
		assert_int_equal(ust_emu_counter(emu, "drop_queue_full"), 4);
		struct t_sink s = { 0 };
		t_run(emu, pool, 0, UINT64_MAX, &s);
		assert_int_equal(s.n, 11);
		for (uint32_t i = 0; i < 11; i++)
			assert_int_equal(s.v[i].seq, i);
		/* queue drained: room again */
		send_seq(emu, pool, 0, 1000, 99, s.v[10].at);
		assert_int_equal(ust_emu_counter(emu, "drop_queue_full"), 4);
		sink_free(&s);
		ust_emu_destroy(emu);
		assert_int_equal(ust_pool_available(pool), 64);
		ust_pool_destroy(pool);
	}
}

static void test_emu_red(void **state)
{
	(void)state;
	struct ust_pool *pool = t_pool(2048);
	struct ust_emu *emu = t_emu(pool, 5, GRAN);
	t_cmd(emu, "pipe 1 config bw 1Mbit/s queue 100 red 0.02/10/40/0.1");
	t_cmd(emu, "add 100 pipe 1 ip from any to any");
	/* offer twice the link rate for 2 s */
	uint64_t now = 0;
	for (uint32_t i = 0; i < 333; i++) {
		now = run_to(emu, pool, now, (uint64_t)i * 6000000ull, NULL);
		send_seq(emu, pool, 0, 1500, i, now);
		send_seq(emu, pool, 0, 1500, i, now);
	}
	assert_true(ust_emu_counter(emu, "drop_red") > 0);
	/* RED keeps the average well below the hard limit: no tail drops */
	assert_int_equal(ust_emu_counter(emu, "drop_queue_full"), 0);
	ust_emu_destroy(emu);
	ust_pool_destroy(pool);
}

static char *write_tmp(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/ust-emu-test-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_emu_profile(void **state)
{
	(void)state;
	struct ust_pool *pool = t_pool(256);
	struct ust_emu *emu = t_emu(pool, 1, GRAN);
	/* constant 5 ms of extra air time per packet, no loss */
	char *path = write_tmp("# constant\nname flat\nsamples 10\nbw 1Mbit/s\nloss-level 1.0\n"
			       "delay prob\n5 0.0\n5 1.0\n");
	t_cmd(emu, "pipe 1 config profile %s", path);
	unlink(path);
	t_cmd(emu, "add 100 pipe 1 ip from any to any");
	for (uint32_t i = 0; i < 10; i++)
		send_seq(emu, pool, 0, 100, i, 0);
	struct t_sink s = { 0 };
	t_run(emu, pool, 0, UINT64_MAX, &s);
	assert_int_equal(s.n, 10);
	for (uint32_t k = 0; k < 10; k++) {
		uint64_t want = (k + 1) * 5000000ull;
		assert_true(s.v[k].at >= want && s.v[k].at < want + GRAN);
	}
	sink_free(&s);
	ust_emu_destroy(emu);
	ust_pool_destroy(pool);

	/* loss-level 0.8 drops about 20% */
	path = write_tmp("name lossy\nsamples 1000\nbw 10Mbit/s\nloss-level 0.8\nprob delay\n0 0\n1 0\n");
	char cfg[128];
	snprintf(cfg, sizeof(cfg), "pipe 1 config profile %s", path);
	uint32_t drops = run_loss(cfg, 9, 20000, NULL);
	unlink(path);
	double sd = sqrt(20000 * 0.2 * 0.8);
	assert_true(fabs(drops - 4000.0) <= 3 * sd);
}

static void test_emu_mahimahi_trace(void **state)
{
	(void)state;
	struct ust_pool *pool = t_pool(256);
	struct ust_emu *emu = t_emu(pool, 1, GRAN);
	/* opportunities at 1, 1, 3 ms; the trace repeats every 3 ms */
	char *path = write_tmp("1\n1\n3\n");
	t_cmd(emu, "pipe 1 config trace %s delay 2ms", path);
	unlink(path);
	t_cmd(emu, "add 100 pipe 1 ip from any to any");
	for (uint32_t i = 0; i < 7; i++)
		send_seq(emu, pool, 0, 1514, i, 0);	/* 1500 IP bytes: one opportunity each */
	struct t_sink s = { 0 };
	t_run(emu, pool, 0, UINT64_MAX, &s);
	assert_int_equal(s.n, 7);
	const uint64_t want_ms[] = { 1, 1, 3, 4, 4, 6, 7 };
	for (uint32_t k = 0; k < 7; k++) {
		uint64_t want = (want_ms[k] + 2) * 1000000ull;
		if (s.v[k].at < want || s.v[k].at >= want + GRAN)
			fail_msg("trace packet %u out at %llu, want %llu", k,
				 (unsigned long long)s.v[k].at, (unsigned long long)want);
	}
	sink_free(&s);
	/* small packets share opportunities: at 100 ms (period 33 starts at 99 ms) there are
	 * two, 3 x 500 bytes each; the 7th packet waits for the one at 102 ms */
	uint64_t now = 100000000;
	now = run_to(emu, pool, 0, now, NULL);
	for (uint32_t i = 0; i < 7; i++)
		send_seq(emu, pool, 0, 514, i, now);
	t_run(emu, pool, now, UINT64_MAX, &s);
	assert_int_equal(s.n, 7);
	for (uint32_t k = 0; k < 6; k++)
		assert_int_equal(s.v[k].at, 102000000);
	assert_int_equal(s.v[6].at, 104000000);
	sink_free(&s);
	ust_emu_destroy(emu);
	ust_pool_destroy(pool);
}

static void test_emu_extras(void **state)
{
	(void)state;
	struct ust_pool *pool = t_pool(512);
	struct ust_emu *emu = t_emu(pool, 11, GRAN);
	struct t_sink s = { 0 };
	uint64_t now = 0;

	/* duplication: every packet twice */
	t_cmd(emu, "pipe 1 config dup 1");
	t_cmd(emu, "add 100 pipe 1 ip from any to any");
	for (uint32_t i = 0; i < 10; i++)
		send_seq(emu, pool, 0, 100, i, now);
	now = t_run(emu, pool, now, UINT64_MAX, &s);
	assert_int_equal(s.n, 20);
	assert_int_equal(ust_emu_counter(emu, "dup"), 10);
	sink_free(&s);

	/* corruption: exactly one bit differs, never in the Ethernet header */
	t_cmd(emu, "pipe 1 config corrupt 1");
	for (uint32_t i = 0; i < 50; i++) {
		struct ust_pkt *p = t_udp(pool, 200);
		uint8_t orig[200];
		memcpy(orig, ust_pkt_data(pool, p), 200);
		ust_emu_input(emu, 0, p, now);
		struct ust_pkt *o;
		assert_int_equal(ust_emu_output(emu, 0, &o, 1, now), 1);
		int bits = 0;
		for (int b = 0; b < 200; b++)
			bits += __builtin_popcount(orig[b] ^ ust_pkt_data(pool, o)[b]);
		assert_int_equal(bits, 1);
		assert_memory_equal(orig, ust_pkt_data(pool, o), 14);
		ust_pkt_free(pool, o);
	}

	/* reordering: every 3rd packet is held 5 ms and overtaken */
	t_cmd(emu, "pipe 1 config bw 10Mbit/s reorder gap 3 delay 5ms");
	for (uint32_t i = 0; i < 9; i++)
		send_seq(emu, pool, 0, 1000, i, now);
	now = t_run(emu, pool, now, UINT64_MAX, &s);
	assert_int_equal(s.n, 9);
	const uint32_t order[] = { 0, 1, 3, 4, 6, 7, 2, 5, 8 };
	for (uint32_t i = 0; i < 9; i++)
		assert_int_equal(s.v[i].seq, order[i]);
	sink_free(&s);

	/* jitter: within delay +- jitter (+ a tick), and never reordered by itself */
	t_cmd(emu, "pipe 1 config delay 10ms jitter 3ms uniform");
	for (uint32_t i = 0; i < 200; i++) {
		now = run_to(emu, pool, now, now + 1000000, &s);
		send_seq(emu, pool, 0, 100, i, now);
	}
	uint64_t base = now - 199 * 1000000ull;
	now = t_run(emu, pool, now, UINT64_MAX, &s);
	assert_int_equal(s.n, 200);
	bool varied = false;
	for (uint32_t i = 0; i < 200; i++) {
		assert_int_equal(s.v[i].seq, i);
		uint64_t owd = s.v[i].at - (base + i * 1000000ull);
		assert_true(owd >= 7000000 && owd < 13000000 + 3 * GRAN);
		varied |= owd < 9000000 || owd > 11000000;
	}
	assert_true(varied);
	sink_free(&s);

	/* jitter from a table (profile format): extra 2..4 ms */
	char *path = write_tmp("name tbl\nsamples 50\nprob delay\n0 2\n1 4\n");
	t_cmd(emu, "pipe 1 config delay 10ms jitter-table %s", path);
	unlink(path);
	uint64_t t0 = now;
	for (uint32_t i = 0; i < 100; i++) {
		now = run_to(emu, pool, now, t0 + i * 5000000ull, &s);
		send_seq(emu, pool, 0, 100, i, now);
	}
	now = t_run(emu, pool, now, UINT64_MAX, &s);
	assert_int_equal(s.n, 100);
	for (uint32_t i = 0; i < 100; i++) {
		assert_int_equal(s.v[i].seq, i);
		uint64_t owd = s.v[i].at - (t0 + i * 5000000ull);
		assert_true(owd >= 12000000 && owd < 14000000 + GRAN);
	}
	sink_free(&s);

	/* reordering by probability: about 30% held 5 ms, overtaken by later packets */
	t_cmd(emu, "pipe 1 config bw 10Mbit/s queue 300 reorder 0.3 delay 5ms");
	uint64_t before = ust_emu_counter(emu, "reorder");
	for (uint32_t i = 0; i < 200; i++)
		send_seq(emu, pool, 0, 1000, i, now);
	now = t_run(emu, pool, now, UINT64_MAX, &s);
	assert_int_equal(s.n, 200);
	uint64_t held = ust_emu_counter(emu, "reorder") - before;
	uint32_t inversions = 0;
	for (uint32_t i = 1; i < 200; i++)
		inversions += s.v[i].seq < s.v[i - 1].seq;
	assert_true(held > 30 && held < 90);
	assert_true(inversions > 0);
	sink_free(&s);
	ust_emu_destroy(emu);
	assert_int_equal(ust_pool_available(pool), 512);
	ust_pool_destroy(pool);
}

static void test_emu_non_ip_passes(void **state)
{
	(void)state;
	struct ust_pool *pool = t_pool(64);
	struct ust_emu *emu = t_emu(pool, 1, GRAN);
	t_cmd(emu, "pipe 1 config bw 1Kbit/s delay 1s");
	t_cmd(emu, "add 100 pipe 1 ip from any to any");
	struct ust_pkt *arp = t_udp(pool, 60);
	ust_put_be16(ust_pkt_data(pool, arp) + 12, 0x0806);
	ust_emu_input(emu, 0, arp, 0);
	struct ust_pkt *o;
	assert_int_equal(ust_emu_output(emu, 0, &o, 1, 0), 1);	/* at once, unshaped */
	ust_pkt_free(pool, o);
	assert_int_equal(ust_emu_counter(emu, "passed"), 1);
	/* a rule for "all" frames shapes it */
	t_cmd(emu, "add 50 pipe 1 all from any to any");
	arp = t_udp(pool, 60);
	ust_put_be16(ust_pkt_data(pool, arp) + 12, 0x0806);
	ust_emu_input(emu, 0, arp, 0);
	assert_int_equal(ust_emu_output(emu, 0, &o, 1, 0), 0);
	assert_int_equal(ust_emu_held(emu), 1);
	/* destroy frees what is held */
	ust_emu_destroy(emu);
	assert_int_equal(ust_pool_available(pool), 64);
	ust_pool_destroy(pool);
}

static void test_emu_rules(void **state)
{
	(void)state;
	struct ust_pool *pool = t_pool(64);
	struct ust_emu *emu = t_emu(pool, 1, GRAN);
	t_cmd(emu, "pipe 10 config bw 256Kbit/s delay 20ms");
	t_cmd(emu, "pipe 11 config bw 4Mbit/s delay 5ms");
	t_cmd(emu, "ipfw add 100 pipe 10 out dst-port 2000-3000");
	t_cmd(emu, "ipfw add 200 pipe 11 in src-port 2000-3000");
	t_cmd(emu, "add 250 deny udp from 10.9.0.0/16 to any");
	t_cmd(emu, "ipfw add 300 allow ip from any to any");
	struct ust_pkt *o;
	/* out, dport 2500: pipe 10 (held 20 ms) */
	ust_emu_input(emu, 0, t_frame(pool, IP(1, 1, 1, 1), IP(2, 2, 2, 2), 6, 40000, 2500, 100), 0);
	/* in, sport 2500: pipe 11 */
	ust_emu_input(emu, 1, t_frame(pool, IP(2, 2, 2, 2), IP(1, 1, 1, 1), 6, 2500, 40000, 100), 0);
	/* in, dport 2500: no pipe rule matches (direction), allowed */
	ust_emu_input(emu, 1, t_frame(pool, IP(2, 2, 2, 2), IP(1, 1, 1, 1), 6, 40000, 2500, 100), 0);
	/* denied by source prefix */
	ust_emu_input(emu, 1, t_frame(pool, IP(10, 9, 3, 3), IP(1, 1, 1, 1), 17, 5, 5, 100), 0);
	assert_int_equal(ust_emu_output(emu, 1, &o, 1, 0), 1);
	ust_pkt_free(pool, o);
	assert_int_equal(ust_emu_counter(emu, "drop_deny"), 1);
	assert_int_equal(ust_emu_output(emu, 1, &o, 1, 5500000), 1);	/* pipe 11: 5 ms + tx */
	ust_pkt_free(pool, o);
	assert_int_equal(ust_emu_output(emu, 0, &o, 1, 19000000), 0);
	assert_int_equal(ust_emu_output(emu, 0, &o, 1, 24000000), 1);	/* pipe 10: 20 ms + 3.1 ms */
	ust_pkt_free(pool, o);
	/* a rule to a missing pipe drops and counts */
	t_cmd(emu, "add 50 pipe 99 ip from any to any");
	ust_emu_input(emu, 0, t_udp(pool, 100), 30000000);
	assert_int_equal(ust_emu_counter(emu, "drop_no_pipe"), 1);
	/* prob 0.5: about half take the rule */
	t_cmd(emu, "delete 50");
	t_cmd(emu, "add 60 prob 0.5 deny ip from any to any");
	for (int i = 0; i < 1000; i++) {
		ust_emu_input(emu, 0, t_frame(pool, IP(3, 3, 3, 3), IP(4, 4, 4, 4), 17, 1, 1, 60), 30000000);
		if (ust_emu_output(emu, 0, &o, 1, 30000000))
			ust_pkt_free(pool, o);
	}
	uint64_t denied = ust_emu_counter(emu, "drop_deny") - 1;
	assert_true(denied > 400 && denied < 600);
	ust_emu_destroy(emu);
	assert_int_equal(ust_pool_available(pool), 64);
	ust_pool_destroy(pool);
}

/* burst: after an idle period up to `burst` bytes go at line rate, then the rate applies */
static void test_emu_burst(void **state)
{
	(void)state;
	struct ust_pool *pool = t_pool(64);
	struct ust_emu *emu = t_emu(pool, 1, GRAN);
	t_cmd(emu, "pipe 1 config bw 1Mbit/s burst 10KBytes");
	t_cmd(emu, "add 100 pipe 1 ip from any to any");
	uint64_t now = 1000000000ull;	/* idle for 1 s: credit full (10240 bytes) */
	for (uint32_t i = 0; i < 14; i++)
		send_seq(emu, pool, 0, 1014, i, now);
	struct t_sink s = { 0 };
	t_run(emu, pool, now, UINT64_MAX, &s);
	assert_int_equal(s.n, 14);
	for (uint32_t k = 0; k < 10; k++)	/* 10 x 1000 IP bytes fit the credit */
		assert_int_equal(s.v[k].at, now);
	for (uint32_t k = 10; k < 14; k++) {	/* then 8 ms each at 1 Mbit/s */
		uint64_t want = now + (k - 9) * 8000000ull;
		assert_true(s.v[k].at >= want && s.v[k].at < want + GRAN);
	}
	sink_free(&s);
	ust_emu_destroy(emu);
	ust_pool_destroy(pool);
}

/* Hundreds of thousands of packets held at once: all delivered, in order, and destroy in
 * the middle of the drain gives every buffer back. */
static void test_emu_many_held(void **state)
{
	(void)state;
	const uint32_t count = 300000;
	struct ust_pool_config pc = { .count = count, .buf_size = 128, .headroom = 0 };
	struct ust_pool *pool = NULL;
	assert_int_equal(ust_pool_create(&pool, &pc), 0);
	struct ust_emu *emu = t_emu(pool, 1, GRAN);
	t_cmd(emu, "pipe 1 config bw 1Gbit/s delay 5ms queue %u", count);
	t_cmd(emu, "add 100 pipe 1 ip from any to any");
	for (uint32_t i = 0; i < count; i++)
		send_seq(emu, pool, 0, 64, i, 0);
	assert_int_equal(ust_emu_held(emu), count);
	assert_int_equal(ust_pool_available(pool), 0);
	struct ust_pkt *b[64];
	uint32_t next = 0;
	uint64_t now = 0;
	while (next < count / 2) {
		now += 1000000;
		unsigned got;
		while ((got = ust_emu_output(emu, 0, b, 64, now)) > 0) {
			for (unsigned i = 0; i < got; i++)
				assert_int_equal(ust_get_be32(ust_pkt_data(pool, b[i]) + 42), next++);
			ust_pkt_free_batch(pool, b, got);
		}
	}
	ust_emu_destroy(emu);
	assert_int_equal(ust_pool_available(pool), count);
	ust_pool_destroy(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emu_bandwidth_1mbit),
		cmocka_unit_test(test_emu_bandwidth_100mbit),
		cmocka_unit_test(test_emu_bandwidth_1gbit),
		cmocka_unit_test(test_emu_bandwidth_odd_rate_no_drift),
		cmocka_unit_test(test_emu_delay),
		cmocka_unit_test(test_emu_random_loss),
		cmocka_unit_test(test_emu_seed_reproducible),
		cmocka_unit_test(test_emu_gilbert_elliott),
		cmocka_unit_test(test_emu_queue_overflow),
		cmocka_unit_test(test_emu_red),
		cmocka_unit_test(test_emu_profile),
		cmocka_unit_test(test_emu_mahimahi_trace),
		cmocka_unit_test(test_emu_extras),
		cmocka_unit_test(test_emu_non_ip_passes),
		cmocka_unit_test(test_emu_rules),
		cmocka_unit_test(test_emu_burst),
		cmocka_unit_test(test_emu_many_held),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
