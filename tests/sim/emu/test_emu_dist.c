/*
 * Distributions and boundaries of the emulator, on virtual time with fixed seeds: delay
 * profile sampling from an uneven table, normal/uniform/Pareto jitter (mean and spread within
 * statistical bounds), gentle RED against RED, a bandwidth given in Byte/s, and a queue in
 * bytes that overflows exactly at its limit.
 */
#include "emu_test_util.h"

#include <math.h>
#include <unistd.h>

#define GRAN 10000ull	/* 10 us: small against the delays measured */
#define MS 1000000ull

/* One 100-byte packet 100 ms after the previous one left (the link idle each time): the
 * extra delay of each, in ms. */
static double *lone_delays(struct ust_emu *emu, struct ust_pool *pool, uint32_t n, uint64_t base_ns)
{
	double *d = calloc(n, sizeof(*d));
	assert_non_null(d);
	uint64_t now = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct t_sink s = { 0 };
		ust_emu_input(emu, UST_EMU_DIR_OUT, t_udp(pool, 100), now);
		t_run(emu, pool, now, UINT64_MAX, &s);
		assert_int_equal(s.n, 1);
		d[i] = (double)(int64_t)(s.v[0].at - now - base_ns) / 1e6;
		now = s.v[0].at + 100 * MS;
		free(s.v);
	}
	return d;
}

static void stats(const double *d, uint32_t n, double *mean, double *sd)
{
	double m = 0, v = 0;
	for (uint32_t i = 0; i < n; i++)
		m += d[i];
	m /= n;
	for (uint32_t i = 0; i < n; i++)
		v += (d[i] - m) * (d[i] - m);
	*mean = m;
	*sd = sqrt(v / (n - 1));
}

static double fraction(const double *d, uint32_t n, double lo, double hi)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < n; i++)
		k += d[i] >= lo && d[i] < hi;
	return (double)k / n;
}

static char *write_tmp(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/ust-emu-dist-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/*
 * An uneven profile: half the packets get 1 ms, 40% between 1 and 10 ms (linear), 10%
 * between 10 and 50 ms. Mean 5.7 ms. Always using sample 0 (1 ms), or never interpolating,
 * fails these checks.
 */
static void test_emu_profile_uneven(void **state)
{
	(void)state;
	struct ust_pool *pool = t_pool(64);
	struct ust_emu *emu = t_emu(pool, 21, GRAN);
	char *path = write_tmp("name uneven\nsamples 1000\nbw 1Gbit/s\nloss-level 1\n"
			       "prob delay\n0.0 1\n0.5 1\n0.9 10\n1.0 50\n");
	t_cmd(emu, "pipe 1 config bw 1Gbit/s profile %s", path);
	unlink(path);
	t_cmd(emu, "add 100 pipe 1 ip from any to any");
	const uint32_t n = 4000;
	double *d = lone_delays(emu, pool, n, 0);
	double mean, sd;
	stats(d, n, &mean, &sd);
	double f_one = fraction(d, n, 0.9, 1.1), f_mid = fraction(d, n, 2.0, 9.0),
	       f_tail = fraction(d, n, 10.1, 51.0);
	print_message("profile: mean %.2f ms sd %.2f; 1 ms %.3f, 2..9 ms %.3f, >10 ms %.3f\n", mean,
		      sd, f_one, f_mid, f_tail);
	/* binomial bounds: 4 sigma of n draws */
	assert_true(fabs(f_one - 0.5) < 4 * sqrt(0.25 / n) + 0.01);
	assert_true(fabs(f_mid - 0.4 * 7.0 / 9.0) < 4 * sqrt(0.311 * 0.689 / n) + 0.01);
	assert_true(fabs(f_tail - 0.1) < 4 * sqrt(0.09 / n) + 0.01);
	assert_true(fabs(mean - 5.7) < 0.6);
	free(d);
	ust_emu_destroy(emu);
	ust_pool_destroy(pool);
}

static void jitter_case(const char *dist, uint64_t seed, double *mean, double *sd, double **out,
			uint32_t n)
{
	struct ust_pool *pool = t_pool(64);
	struct ust_emu *emu = t_emu(pool, seed, GRAN);
	t_cmd(emu, "pipe 1 config delay 50ms jitter 5ms %s", dist);
	t_cmd(emu, "add 100 pipe 1 ip from any to any");
	double *d = lone_delays(emu, pool, n, 50 * MS);
	stats(d, n, mean, sd);
	*out = d;
	ust_emu_destroy(emu);
	ust_pool_destroy(pool);
}

static void test_emu_jitter_distributions(void **state)
{
	(void)state;
	const uint32_t n = 5000;
	double mean, sd, *d;
	/* normal, sigma 5 ms: mean 0 +- 4 SE, sd within 10%, 68.3% within one sigma */
	jitter_case("normal", 3, &mean, &sd, &d, n);
	double f1 = fraction(d, n, -5.0, 5.0);
	print_message("normal: mean %.3f ms sd %.3f, within 1 sd %.3f\n", mean, sd, f1);
	assert_true(fabs(mean) < 4 * 5.0 / sqrt(n));
	assert_true(fabs(sd - 5.0) < 0.5);
	assert_true(fabs(f1 - 0.683) < 0.03);
	assert_true(fraction(d, n, -10.0, 10.0) > 0.94);
	free(d);
	/* uniform in +-5 ms: mean 0, sd 5/sqrt(3), nothing outside */
	jitter_case("uniform", 4, &mean, &sd, &d, n);
	print_message("uniform: mean %.3f ms sd %.3f\n", mean, sd);
	assert_true(fabs(mean) < 4 * 2.887 / sqrt(n));
	assert_true(fabs(sd - 2.887) < 0.2);
	double lo = 1e9, hi = -1e9;
	for (uint32_t i = 0; i < n; i++)
		lo = fmin(lo, d[i]), hi = fmax(hi, d[i]);
	print_message("uniform: min %.4f max %.4f\n", lo, hi);
	assert_true(fraction(d, n, -5.0, 5.02) == 1.0);
	assert_true(fabs(fraction(d, n, 0.0, 5.02) - 0.5) < 0.03);
	free(d);
	/* Pareto (Lomax, shape 3, mean 5 ms): never negative, mean 5 +- 4 SE (sd 1.73 x 5),
	 * median 2 x 5 x (2^(1/3) - 1) = 2.6 ms: a skewed distribution, not a symmetric one */
	jitter_case("pareto", 5, &mean, &sd, &d, n);
	double below_median = fraction(d, n, -1.0, 2.6);
	print_message("pareto: mean %.3f ms sd %.3f, below 2.6 ms %.3f\n", mean, sd, below_median);
	double plo = 1e9, phi = -1e9;
	for (uint32_t i = 0; i < n; i++)
		plo = fmin(plo, d[i]), phi = fmax(phi, d[i]);
	print_message("pareto: min %.4f max %.4f\n", plo, phi);
	assert_true(plo > -0.011);
	assert_true(fabs(mean - 5.0) < 4 * 8.66 / sqrt(n));
	assert_true(fabs(below_median - 0.5) < 0.03);
	free(d);
}

/*
 * w_q = 1 makes RED's average the instantaneous queue. With the link blocked, offered packets
 * pile up: RED drops every arrival once the queue reaches max_th, gentle RED admits some up
 * to 2 x max_th and drops every one beyond.
 */
static uint32_t red_fill(const char *kind)
{
	struct ust_pool *pool = t_pool(512);
	struct ust_emu *emu = t_emu(pool, 8, GRAN);
	t_cmd(emu, "pipe 1 config bw 8Kbit/s queue 200 %s 1/5/20/0.1", kind);
	t_cmd(emu, "add 100 pipe 1 ip from any to any");
	for (uint32_t i = 0; i < 400; i++)
		ust_emu_input(emu, UST_EMU_DIR_OUT, t_udp(pool, 1000), 0);
	uint32_t held = (uint32_t)ust_emu_held(emu);
	print_message("%s: %u held, drop_red %llu, drop_queue_full %llu\n", kind, held,
		      (unsigned long long)ust_emu_counter(emu, "drop_red"),
		      (unsigned long long)ust_emu_counter(emu, "drop_queue_full"));
	assert_int_equal(ust_emu_counter(emu, "drop_red") + held, 400);
	assert_int_equal(ust_emu_counter(emu, "drop_queue_full"), 0);
	ust_emu_destroy(emu);
	ust_pool_destroy(pool);
	return held;
}

static void test_emu_gred(void **state)
{
	(void)state;
	uint32_t red = red_fill("red"), gred = red_fill("gred");
	/* one packet on the link + the queue; RED: queue at most max_th (20) */
	assert_true(red >= 6 && red <= 21);
	/* GRED: beyond max_th (drop probability < 1 there), never beyond 2 x max_th */
	assert_true(gred > 21 && gred <= 41);
}

/* bw 125KByte/s is 1 Mbit/s: 1250 IP bytes take exactly 10 ms. */
static void test_emu_bandwidth_bytes(void **state)
{
	(void)state;
	struct ust_pool *pool = t_pool(256);
	struct ust_emu *emu = t_emu(pool, 1, GRAN);
	t_cmd(emu, "pipe 1 config bw 125KByte/s queue 200");
	t_cmd(emu, "add 100 pipe 1 ip from any to any");
	for (uint32_t i = 0; i < 100; i++)
		ust_emu_input(emu, UST_EMU_DIR_OUT, t_udp(pool, 1264), 0);
	struct t_sink s = { 0 };
	t_run(emu, pool, 0, UINT64_MAX, &s);
	assert_int_equal(s.n, 100);
	for (uint32_t k = 0; k < 100; k++) {
		uint64_t want = (k + 1) * 10 * MS;
		assert_true(s.v[k].at >= want && s.v[k].at < want + GRAN);
	}
	free(s.v);
	ust_emu_destroy(emu);
	ust_pool_destroy(pool);
}

/*
 * A queue of exactly k frames in bytes: with the link busy with the first frame, k more are
 * queued and the next one is the first drop; one byte less and the k-th queued is dropped.
 */
static void test_emu_queue_bytes_boundary(void **state)
{
	(void)state;
	const uint32_t frame = 1000, k = 10;
	for (int less = 0; less < 2; less++) {
		struct ust_pool *pool = t_pool(64);
		struct ust_emu *emu = t_emu(pool, 1, GRAN);
		t_cmd(emu, "pipe 1 config bw 1Mbit/s queue %uBytes", k * frame - (uint32_t)less);
		t_cmd(emu, "add 100 pipe 1 ip from any to any");
		ust_emu_input(emu, UST_EMU_DIR_OUT, t_udp(pool, frame), 0);	/* onto the link */
		for (uint32_t i = 1; i <= k; i++) {
			ust_emu_input(emu, UST_EMU_DIR_OUT, t_udp(pool, frame), 0);
			uint64_t want = (less && i == k) ? 1 : 0;
			if (ust_emu_counter(emu, "drop_queue_full") != want)
				fail_msg("limit %u: after queued frame %u drops %llu, want %llu",
					 k * frame - less, i,
					 (unsigned long long)ust_emu_counter(emu, "drop_queue_full"),
					 (unsigned long long)want);
		}
		ust_emu_input(emu, UST_EMU_DIR_OUT, t_udp(pool, frame), 0);	/* the (k+1)-th */
		assert_int_equal(ust_emu_counter(emu, "drop_queue_full"), less ? 2 : 1);
		assert_int_equal(ust_emu_held(emu), less ? k : k + 1);
		ust_emu_destroy(emu);
		assert_int_equal(ust_pool_available(pool), 64);
		ust_pool_destroy(pool);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emu_profile_uneven),
		cmocka_unit_test(test_emu_jitter_distributions),
		cmocka_unit_test(test_emu_gred),
		cmocka_unit_test(test_emu_bandwidth_bytes),
		cmocka_unit_test(test_emu_queue_bytes_boundary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
