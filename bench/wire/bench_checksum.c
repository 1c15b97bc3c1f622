/*
 * Internet checksum throughput (ust_csum) over 64 B, 1500 B and 9000 B buffers, in GB/s
 * (10^9 bytes per second), best of several runs. Prints one line per size, e.g.
 * "checksum 1500B: 12.3 GB/s". Optional argument: seconds per size (default 1).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "wire/checksum.h"

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Bytes per second over one timed run of `iterations` checksums of `len` bytes. */
static double run(const uint8_t *buf, size_t len, uint64_t iterations, uint32_t *sink)
{
	double start = now_seconds();
	uint32_t acc = 0;

	for (uint64_t i = 0; i < iterations; i++) {
		/* Depend on the previous result so calls cannot be merged or hoisted. */
		acc += ust_csum(buf + (acc & 1), len);
	}
	*sink += acc;
	return (double)len * (double)iterations / (now_seconds() - start);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 64, 1500, 9000 };
	double seconds = argc > 1 ? atof(argv[1]) : 1.0;
	uint8_t *buf = malloc(9000 + 64);
	uint32_t sink = 0;

	if (buf == NULL || seconds <= 0) {
		fprintf(stderr, "usage: %s [seconds per size]\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < 9000 + 64; i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t len = sizes[s];
		uint64_t iterations = 1000;
		double best = 0;

		/* Calibrate to about a tenth of the budget per run, then keep the best of runs. */
		while (iterations * len < 1ull << 40) {
			double t0 = now_seconds();

			run(buf, len, iterations, &sink);
			if (now_seconds() - t0 > seconds / 10)
				break;
			iterations *= 2;
		}
		for (int r = 0; r < 10; r++) {
			double rate = run(buf, len, iterations, &sink);

			if (rate > best)
				best = rate;
		}
		printf("checksum %zuB: %.1f GB/s\n", len, best / 1e9);
	}
	free(buf);
	return sink == 0xdeadbeef;	/* keeps sink alive; never true in practice */
}
