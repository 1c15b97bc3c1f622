/*
 * bench_tcp_pair: TCP bulk throughput through the whole stack (socket copy in, segments,
 * checksums, pair link copy, input, reassembly, socket copy out) between two stacks in one
 * process on a pair link without delay or loss, driven as fast as the CPU allows on a
 * virtual clock. Prints MB/s of CPU-limited goodput (real time) and segments per second.
 *   bench_tcp_pair [MB] [cc]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/backend.h"
#include "net/tcp.h"
#include "ustack/socket.h"
#include "ustack/stack.h"

static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t mb = argc > 1 ? strtoull(argv[1], NULL, 10) : 200;
	const char *cc = argc > 2 ? argv[2] : "cubic";
	struct ust_pool *pa, *pb;
	struct ust_pool_config pc = { .count = 4096, .buf_size = 2048, .headroom = 128 };
	if (ust_pool_create(&pa, &pc) || ust_pool_create(&pb, &pc))
		return 1;
	struct ust_pair_config lc = { .delay_ns = 0 };
	struct ust_backend *ea, *eb;
	if (ust_pair_create(&ea, &eb, pa, pb, &lc))
		return 1;
	struct ust_stack *a, *b;
	struct ust_stack_config ca = { .ip = "10.0.0.1/24", .seed = 1 }, cb = { .ip = "10.0.0.2/24", .seed = 2 };
	if (ust_stack_create_on(&a, ea, &ca, NULL) || ust_stack_create_on(&b, eb, &cb, NULL))
		return 1;
	uint64_t now = 0;
	int l = ust_socket(b, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in la = { .sin_family = AF_INET, .sin_port = htons(5001) };
	ust_bind(b, l, (struct sockaddr *)&la, sizeof(la));
	ust_listen(b, l, 4);
	int c = ust_socket(a, AF_INET, SOCK_STREAM, 0);
	ust_setsockopt(a, c, IPPROTO_TCP, TCP_CONGESTION, cc, (socklen_t)strlen(cc));
	struct sockaddr_in ra = { .sin_family = AF_INET, .sin_port = htons(5001), .sin_addr.s_addr = htonl(0x0a000002) };
	ust_connect(a, c, (struct sockaddr *)&ra, sizeof(ra));
	int d = -1;
	while (d < 0) {
		now += 100000;
		ust_stack_poll(a, now);
		ust_stack_poll(b, now);
		d = ust_accept(b, l, NULL, NULL);
	}
	static uint8_t buf[65536];
	memset(buf, 0x5a, sizeof(buf));
	uint64_t total = mb << 20, sent = 0, got = 0;
	double t0 = wall();
	while (got < total) {
		if (sent < total) {
			ssize_t w = ust_write(a, c, buf, (size_t)(total - sent < sizeof(buf) ? total - sent : sizeof(buf)));
			if (w > 0)
				sent += (uint64_t)w;
		}
		ssize_t r;
		while ((r = ust_read(b, d, buf, sizeof(buf))) > 0)
			got += (uint64_t)r;
		now += 10000;	/* 10 us of virtual time per round */
		ust_stack_poll(a, now);
		ust_stack_poll(b, now);
	}
	double dt = wall() - t0;
	uint64_t segs = 0;
	ust_stack_counter(a, "tcp.tx_data_segments", &segs);
	printf("tcp pair (%s): %llu MB in %.3f s = %.1f MB/s, %.0f data segments/s, tcb %zu bytes\n", cc,
	       (unsigned long long)mb, dt, (double)mb / dt, (double)segs / dt, sizeof(struct ust__tcb));
	ust_close(a, c);
	ust_close(b, d);
	ust_close(b, l);
	ust_stack_destroy(a);
	ust_stack_destroy(b);
	ust_pool_destroy(pa);
	ust_pool_destroy(pb);
	return 0;
}
