/*
 * Micro-benchmark of core/pktbuf: cost of one alloc+free pair, and per packet when allocating
 * and freeing in batches of 32 (what a backend's rx path and a flush do).
 * Prints "pool alloc+free: X ns" and "pool alloc+free batch 32: X ns".
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/pktbuf.h"

#define ROUNDS 20000000u

int main(void)
{
	struct ust_pool *pool;
	struct ust_pool_config cfg = { .count = UST_POOL_COUNT_DEFAULT,
				       .buf_size = UST_PKT_BUF_SIZE_DEFAULT,
				       .headroom = UST_PKT_HEADROOM_DEFAULT };
	if (ust_pool_create(&pool, &cfg) != 0) {
		fprintf(stderr, "bench_pool: cannot create pool\n");
		return 1;
	}
	/* Keep part of the pool in use, as a running stack would. */
	struct ust_pkt *held[1024];
	ust_pkt_alloc_batch(pool, held, 1024);

	uint64_t sink = 0;
	uint64_t t0 = ust_clock_now_ns();
	for (unsigned i = 0; i < ROUNDS; i++) {
		struct ust_pkt *pkt = ust_pkt_alloc(pool);
		sink += pkt->index;
		ust_pkt_free(pool, pkt);
	}
	uint64_t t1 = ust_clock_now_ns();
	printf("pool alloc+free: %.1f ns\n", (double)(t1 - t0) / ROUNDS);

	struct ust_pkt *batch[32];
	t0 = ust_clock_now_ns();
	for (unsigned i = 0; i < ROUNDS / 32; i++) {
		unsigned n = ust_pkt_alloc_batch(pool, batch, 32);
		sink += batch[n - 1]->index;
		ust_pkt_free_batch(pool, batch, n);
	}
	t1 = ust_clock_now_ns();
	printf("pool alloc+free batch 32: %.1f ns\n", (double)(t1 - t0) / ((ROUNDS / 32) * 32.0));

	ust_pkt_free_batch(pool, held, 1024);
	ust_pool_destroy(pool);
	return sink == 42 ? 2 : 0;	/* keeps the loop's loads alive */
}
