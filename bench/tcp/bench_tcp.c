/*
 * Micro-benchmarks of the TCP building blocks (ns per operation, or MB/s for the receive
 * queue). Prints numbers; asserts nothing. Usage: bench_tcp [iterations-scale]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/pktbuf.h"
#include "net/tcp_cc.h"
#include "net/tcp_isn.h"
#include "net/tcp_rxq.h"
#include "net/tcp_sack.h"
#include "net/tcp_syncookie.h"

static volatile uint64_t sink;

static void report(const char *what, uint64_t ns, uint64_t ops)
{
	printf("%-40s %10.1f ns/op  (%llu ops)\n", what, (double)ns / (double)ops,
	       (unsigned long long)ops);
}

static void bench_isn(uint64_t n)
{
	struct ust_tcp_secret key = { { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 } };
	struct ust_tcp_tuple t = { 0x0a000001, 0x0a000002, 40000, 80 };
	uint64_t t0 = ust_clock_now_ns(), acc = 0;

	for (uint64_t i = 0; i < n; i++) {
		t.local_port = (uint16_t)i;
		acc += ust_tcp_isn(&key, &t, i * 1000);
	}
	sink = acc;
	report("isn (SipHash-2-4, 12 bytes)", ust_clock_now_ns() - t0, n);
}

static void bench_syncookie(uint64_t n)
{
	struct ust_tcp_secret key = { { 9 } };
	struct ust_tcp_tuple t = { 0x0a000001, 0x0a000002, 80, 40000 };
	struct ust_tcp_syncookie_opts syn = { .mss = 1460, .ts_ok = true, .wscale_ok = true,
					      .wscale = 7, .sack_ok = true }, got;
	uint64_t t0 = ust_clock_now_ns(), ok = 0;

	for (uint64_t i = 0; i < n; i++) {
		uint32_t tsval, isn;

		t.remote_port = (uint16_t)i;
		isn = ust_tcp_syncookie_make(&key, &t, (uint32_t)i, 1000000000ull, &syn, 123456, &tsval);
		ok += ust_tcp_syncookie_check(&key, &t, (uint32_t)i + 1, isn + 1, 1000000000ull, true,
					      tsval, &got) == 0;
	}
	sink = ok;
	report("syncookie make + check", ust_clock_now_ns() - t0, n);
}

static void bench_sack(uint64_t n)
{
	struct ust_tcp_sack_board sb;
	uint64_t t0 = ust_clock_now_ns(), acc = 0;
	const uint32_t mss = 1448;

	for (uint64_t r = 0; r < n / 100; r++) {
		uint32_t una = (uint32_t)(r * 1000000u);

		ust_tcp_sack_init(&sb, una, mss);
		ust_tcp_sack_sent(&sb, una + 200 * mss);
		/* every 4th segment lost: SACK blocks grow as ACKs arrive */
		for (uint32_t k = 0; k < 100; k++) {
			struct ust_tcp_sack_block b[3];
			uint32_t seg = 1 + (k / 3) * 4 + k % 3;

			b[0] = (struct ust_tcp_sack_block){ una + seg * mss, una + (seg + 1) * mss };
			b[1] = (struct ust_tcp_sack_block){ una + 1 * mss, una + 2 * mss };
			b[2] = (struct ust_tcp_sack_block){ una + 5 * mss, una + 6 * mss };
			acc += ust_tcp_sack_update(&sb, una, b, 3, NULL);
			acc += ust_tcp_sack_pipe(&sb);
		}
	}
	sink = acc;
	report("sack update(3 blocks) + pipe, <=34 ranges", ust_clock_now_ns() - t0, n);
}

static void bench_cc(const struct ust_tcp_cc_ops *ops, uint64_t n)
{
	struct ust_tcp_cc cc;
	uint64_t t0 = ust_clock_now_ns();
	uint32_t una = 1;
	char what[64];

	ust_tcp_cc_init(&cc, ops, 1448, 0, true, 0);
	ust_tcp_cc_set_rtt(&cc, 20000, 20000);
	cc.conn.ssthresh = 100 * 1448;
	for (uint64_t i = 0; i < n; i++) {
		una += 1448;
		ust_tcp_cc_on_ack(&cc, una, 1448, cc.conn.cwnd, 20000, i * 10000);
		if (cc.conn.cwnd > 1000 * 1448) {
			ust_tcp_cc_enter_recovery(&cc, una, una + cc.conn.cwnd, cc.conn.cwnd, i * 10000);
			ust_tcp_cc_on_ack(&cc, una + cc.conn.cwnd, cc.conn.cwnd, cc.conn.cwnd / 2, 0,
					  i * 10000);
			una += cc.conn.cwnd;
		}
	}
	snprintf(what, sizeof(what), "cc %s on_ack", ops->name);
	report(what, ust_clock_now_ns() - t0, n);
}

static void bench_rxq(struct ust_pool *pool, bool reorder, uint64_t n)
{
	struct ust_tcp_rxq q;
	static uint8_t buf[65536];
	const uint32_t len = 1448;
	uint64_t t0, bytes = 0;
	uint32_t seq = 1;

	ust_tcp_rxq_init(&q, pool, seq, NULL);
	t0 = ust_clock_now_ns();
	for (uint64_t i = 0; i < n; i += 2) {
		struct ust_pkt *a = ust_pkt_alloc(pool), *b = ust_pkt_alloc(pool);

		ust_pkt_put(pool, a, 66 + len);
		ust_pkt_put(pool, b, 66 + len);
		if (reorder) {
			ust_tcp_rxq_insert(&q, b, 66, seq + len, len, NULL);
			ust_tcp_rxq_insert(&q, a, 66, seq, len, NULL);
		} else {
			ust_tcp_rxq_insert(&q, a, 66, seq, len, NULL);
			ust_tcp_rxq_insert(&q, b, 66, seq + len, len, NULL);
		}
		seq += 2 * len;
		if ((i & 31) == 30)
			bytes += ust_tcp_rxq_read(&q, buf, sizeof(buf));
	}
	bytes += ust_tcp_rxq_read(&q, buf, sizeof(buf));
	uint64_t ns = ust_clock_now_ns() - t0;
	printf("%-40s %10.1f ns/segment  %8.0f MB/s (insert + copy out)\n",
	       reorder ? "rxq pairs swapped (1448 B)" : "rxq in order (1448 B)", (double)ns / (double)n,
	       (double)bytes / ((double)ns / 1e9) / 1e6);
	ust_tcp_rxq_destroy(&q);
}

int main(int argc, char **argv)
{
	uint64_t scale = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
	struct ust_pool_config pc = { .count = 4096, .buf_size = 2048, .headroom = 0 };
	struct ust_pool *pool;

	if (scale == 0)
		scale = 1;
	if (ust_pool_create(&pool, &pc) != 0) {
		fprintf(stderr, "bench_tcp: cannot create the packet pool\n");
		return 1;
	}
	bench_isn(2000000 * scale);
	bench_syncookie(1000000 * scale);
	bench_sack(1000000 * scale);
	bench_cc(&ust_tcp_cc_newreno, 5000000 * scale);
	bench_cc(&ust_tcp_cc_cubic, 5000000 * scale);
	bench_rxq(pool, false, 2000000 * scale);
	bench_rxq(pool, true, 2000000 * scale);
	ust_pool_destroy(pool);
	return 0;
}
