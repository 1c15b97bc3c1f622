/*
 * Emulator benchmarks (print numbers; never part of the test suite):
 *   bench_emu pps             64-byte frames through one pipe on one core, in memory
 *   bench_emu sched           cost per packet of each scheduler with 1..10,000 active flows
 *   bench_emu hold            4 million frames held in one pipe at once
 *   bench_emu delay [CSV]     delay accuracy on the real clock: error of each frame's
 *                             one-way delay against the configured 10 ms (p50/p99), with
 *                             the samples written to CSV for plot_delay.py
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/pktbuf.h"
#include "emu/emu.h"
#include "wire/bytes.h"

/* CPU time of this thread: the VM is shared, so wall time would measure the neighbours. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct ust_pool *make_pool(uint32_t count)
{
	struct ust_pool_config pc = { .count = count, .buf_size = 2048, .headroom = 64 };
	struct ust_pool *pool = NULL;
	if (ust_pool_create(&pool, &pc)) {
		fprintf(stderr, "pool of %u buffers: out of memory\n", count);
		exit(1);
	}
	return pool;
}

static struct ust_emu *make_emu(struct ust_pool *pool, uint64_t gran)
{
	struct ust_emu_config c = { .granularity_ns = gran, .seed = 1, .pool = { pool, pool } };
	struct ust_emu *emu = NULL;
	if (ust_emu_create(&emu, &c))
		exit(1);
	return emu;
}

static void cmd(struct ust_emu *emu, const char *line)
{
	char msg[512];
	if (ust_emu_command(emu, line, msg, sizeof(msg), 0)) {
		fprintf(stderr, "%s\n", msg);
		exit(1);
	}
}

static void fill_frame(struct ust_pool *pool, struct ust_pkt *p, uint32_t len, uint16_t dport)
{
	uint8_t *d = ust_pkt_put(pool, p, len);
	memset(d, 0, 42);
	ust_put_be16(d + 12, 0x0800);
	d[14] = 0x45;
	d[23] = 17;
	ust_put_be32(d + 26, UST_IPV4(10, 0, 0, 1));
	ust_put_be32(d + 30, UST_IPV4(10, 0, 0, 2));
	ust_put_be16(d + 34, 1000);
	ust_put_be16(d + 36, dport);
}

/* Frames per second through emu with a given config; frames are recycled, not rebuilt. */
static double run_pps(const char *const *cfg, uint64_t step_ns, uint64_t packets, double *wall_pps)
{
	struct ust_pool *pool = make_pool(8192);
	struct ust_emu *emu = make_emu(pool, 100000);
	for (; *cfg; cfg++)
		cmd(emu, *cfg);
	struct ust_pkt *b[64];
	uint64_t now = 0, done = 0;
	uint64_t t0 = cpu_ns(), w0 = ust_clock_now_ns();
	while (done < packets) {
		unsigned n = ust_pkt_alloc_batch(pool, b, 64);
		for (unsigned i = 0; i < n; i++) {
			fill_frame(pool, b[i], 64, 2000);
			ust_emu_input(emu, 0, b[i], now);
		}
		now += step_ns * 64;
		unsigned got;
		while ((got = ust_emu_output(emu, 0, b, 64, now)) > 0) {
			ust_pkt_free_batch(pool, b, got);
			done += got;
		}
	}
	double secs = (double)(cpu_ns() - t0) / 1e9;
	*wall_pps = (double)done / ((double)(ust_clock_now_ns() - w0) / 1e9);
	ust_emu_destroy(emu);
	ust_pool_destroy(pool);
	return (double)done / secs;
}

static int bench_pps(void)
{
	static const char *const pass[] = { NULL };
	static const char *const pipe_unlimited[] = { "pipe 1 config queue 1000",
						      "add 100 pipe 1 ip from any to any", NULL };
	static const char *const pipe_shaped[] = { "pipe 1 config bw 10Gbit/s delay 1ms queue 4096",
						   "add 100 pipe 1 ip from any to any", NULL };
	static const char *const pipe_rules[] = { "pipe 1 config bw 10Gbit/s delay 1ms queue 4096",
						  "add 10 deny tcp from 192.168.0.0/16 to any",
						  "add 20 allow udp from any to any 53",
						  "add 30 pipe 2 ip from 10.9.0.0/16 to any",
						  "add 100 pipe 1 udp from 10.0.0.0/8 to any 1000-3000", NULL };
	struct {
		const char *name;
		const char *const *cfg;
	} cases[] = {
		{ "no rules (pass-through)", pass },
		{ "pipe, no bandwidth limit, no delay", pipe_unlimited },
		{ "pipe 10Gbit/s + 1ms delay (64-byte frames)", pipe_shaped },
		{ "pipe 10Gbit/s + 1ms, 5-rule list", pipe_rules },
	};
	printf("# emu pps: 64-byte frames through one instance, one core, in memory (thread CPU time)\n");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* 10 Gbit/s carries 50 IP bytes in 40 ns: offer at that rate */
		double wall;
		double pps = run_pps(cases[i].cfg, 40, 20000000, &wall);
		printf("%-48s %8.2f Mpps (CPU time)  %8.2f Mpps (wall clock)\n", cases[i].name,
		       pps / 1e6, wall / 1e6);
	}
	return 0;
}

static int bench_sched(void)
{
	static const char *const types[] = { "fifo", "prio", "drr", "wf2q+", "qfq" };
	static const uint32_t flows[] = { 1, 10, 100, 1000, 10000 };
	printf("# emu sched: ns per packet (enqueue + dequeue + link + delivery), all flows backlogged\n");
	printf("%-8s", "flows");
	for (size_t f = 0; f < 5; f++)
		printf(" %9u", flows[f]);
	printf("\n");
	for (size_t t = 0; t < 5; t++) {
		printf("%-8s", types[t]);
		for (size_t f = 0; f < 5; f++) {
			uint32_t nf = flows[f];
			struct ust_pool *pool = make_pool(nf * 4 + 4096);
			struct ust_emu *emu = make_emu(pool, 100000);
			char line[256];
			/* 50 IP bytes at 1 Gbit/s: one packet every 400 ns */
			snprintf(line, sizeof(line), "pipe 1 config bw 1Gbit/s type %s", types[t]);
			cmd(emu, line);
			snprintf(line, sizeof(line),
				 "queue 1 config pipe 1 weight 1 queue 8 mask dst-port 0xffff flows %u buckets %u",
				 nf + 1, nf < 16 ? 16 : nf);
			cmd(emu, line);
			cmd(emu, "add 100 queue 1 ip from any to any");
			uint64_t now = 0;
			struct ust_pkt *b[64];
			/* backlog: 3 packets per flow */
			for (uint32_t k = 0; k < 3 * nf; k++) {
				struct ust_pkt *p = ust_pkt_alloc(pool);
				fill_frame(pool, p, 64, (uint16_t)(k % nf));
				ust_emu_input(emu, 0, p, now);
			}
			const uint64_t n = 2000000;
			uint64_t t0 = cpu_ns();
			for (uint64_t k = 0; k < n; k++) {
				struct ust_pkt *p = ust_pkt_alloc(pool);
				if (p) {
					fill_frame(pool, p, 64, (uint16_t)(k % nf));
					ust_emu_input(emu, 0, p, now);
				}
				now += 400;
				if ((k & 63) == 63) {
					unsigned got;
					while ((got = ust_emu_output(emu, 0, b, 64, now)) > 0)
						ust_pkt_free_batch(pool, b, got);
				}
			}
			double ns = (double)(cpu_ns() - t0) / (double)n;
			printf(" %9.1f", ns);
			fflush(stdout);
			ust_emu_destroy(emu);
			ust_pool_destroy(pool);
		}
		printf("\n");
	}
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = (time_t)(t / 1000000000ull), .tv_nsec = (long)(t % 1000000000ull) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int bench_delay(const char *csv_path)
{
	const uint32_t count = 2000;
	const uint64_t delay = 10000000, gap = 1000000;
	const uint64_t grans[] = { 1000000, 100000, 20000 };
	FILE *csv = csv_path ? fopen(csv_path, "w") : NULL;
	if (csv)
		fprintf(csv, "granularity_ns,seq,error_ns\n");
	printf("# emu delay accuracy on the real clock: pipe delay 10ms, 1 frame/ms, %u frames\n", count);
	printf("%-14s %10s %10s %10s %10s\n", "granularity", "p50 (us)", "p99 (us)", "max (us)", "min (us)");
	for (size_t g = 0; g < 3; g++) {
		struct ust_pool *pool = make_pool(4096);
		uint64_t start = ust_clock_now_ns();
		struct ust_emu_config c = { .now = start, .granularity_ns = grans[g], .seed = 1,
					    .pool = { pool, pool } };
		struct ust_emu *emu = NULL;
		if (ust_emu_create(&emu, &c))
			return 1;
		cmd(emu, "pipe 1 config delay 10ms");
		cmd(emu, "add 100 pipe 1 ip from any to any");
		int64_t *err = calloc(count, sizeof(*err));
		uint64_t *sent = calloc(count, sizeof(*sent));
		uint32_t nsent = 0, nrecv = 0;
		while (nrecv < count) {
			uint64_t next_send = nsent < count ? start + nsent * gap : UINT64_MAX;
			uint64_t d = ust_emu_next_deadline(emu);
			sleep_until(d < next_send ? d : next_send);
			uint64_t now = ust_clock_now_ns();
			if (nsent < count && now >= next_send) {
				struct ust_pkt *p = ust_pkt_alloc(pool);
				fill_frame(pool, p, 64, 2000);
				ust_put_be32(ust_pkt_data(pool, p) + 42, nsent);
				sent[nsent++] = now;
				ust_emu_input(emu, 0, p, now);
			}
			struct ust_pkt *b[16];
			unsigned got = ust_emu_output(emu, 0, b, 16, now);
			uint64_t at = ust_clock_now_ns();
			for (unsigned i = 0; i < got; i++) {
				uint32_t seq = ust_get_be32(ust_pkt_data(pool, b[i]) + 42);
				err[nrecv++] = (int64_t)(at - sent[seq] - delay);
				if (csv)
					fprintf(csv, "%llu,%u,%lld\n", (unsigned long long)grans[g], seq,
						(long long)err[nrecv - 1]);
			}
			ust_pkt_free_batch(pool, b, got);
		}
		qsort(err, count, sizeof(*err), cmp_i64);
		printf("%-11lluns %10.1f %10.1f %10.1f %10.1f\n", (unsigned long long)grans[g],
		       err[count / 2] / 1e3, err[count * 99 / 100] / 1e3, err[count - 1] / 1e3,
		       err[0] / 1e3);
		free(err);
		free(sent);
		ust_emu_destroy(emu);
		ust_pool_destroy(pool);
	}
	if (csv)
		fclose(csv);
	return 0;
}

/* Millions of packets held in one pipe: no per-packet allocation, O(1) per packet. */
static int bench_hold(void)
{
	const uint32_t count = 4000000;
	struct ust_pool_config pc = { .count = count + 64, .buf_size = 128, .headroom = 0 };
	struct ust_pool *pool = NULL;
	if (ust_pool_create(&pool, &pc)) {
		fprintf(stderr, "pool of %u buffers: out of memory\n", count);
		return 1;
	}
	struct ust_emu *emu = make_emu(pool, 100000);
	cmd(emu, "pipe 1 config bw 1Gbit/s delay 10ms queue 4000000");
	cmd(emu, "add 100 pipe 1 ip from any to any");
	uint64_t t0 = cpu_ns();
	for (uint32_t i = 0; i < count; i++) {
		struct ust_pkt *p = ust_pkt_alloc(pool);
		fill_frame(pool, p, 64, 2000);
		ust_emu_input(emu, 0, p, 0);
	}
	uint64_t t1 = cpu_ns();
	uint64_t held = ust_emu_held(emu);
	struct ust_pkt *b[64];
	uint64_t now = 0, out = 0;
	while (ust_emu_held(emu)) {
		now += 1000000;
		unsigned got;
		while ((got = ust_emu_output(emu, 0, b, 64, now)) > 0) {
			ust_pkt_free_batch(pool, b, got);
			out += got;
		}
	}
	uint64_t t2 = cpu_ns();
	printf("# emu hold: %u 64-byte frames queued at once in one 1 Gbit/s pipe\n", count);
	printf("held %llu at once; enqueue %.1f ns/packet; drain (link + delay line + output) %.1f ns/packet;\n"
	       "delivered %llu, virtual drain time %.3f s (4e6 x 50 B at 1 Gbit/s = 1.600 s + 10 ms)\n",
	       (unsigned long long)held, (double)(t1 - t0) / count, (double)(t2 - t1) / count,
	       (unsigned long long)out, now / 1e9);
	ust_emu_destroy(emu);
	ust_pool_destroy(pool);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "hold"))
		return bench_hold();
	if (argc >= 2 && !strcmp(argv[1], "pps"))
		return bench_pps();
	if (argc >= 2 && !strcmp(argv[1], "sched"))
		return bench_sched();
	if (argc >= 2 && !strcmp(argv[1], "delay"))
		return bench_delay(argc >= 3 ? argv[2] : NULL);
	fprintf(stderr, "usage: bench_emu pps | sched | hold | delay [CSV]\n");
	return 2;
}
