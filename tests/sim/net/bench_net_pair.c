/*
 * IP-layer micro benchmark (not a test): two stacks over a pair link on a virtual clock,
 * CPU only. Prints datagrams/s and MB/s of UDP payload from A to B for several sizes
 * (fragmented above 1472), and ICMP echo round trips/s through a ping socket.
 *   build/normal/tests/sim/net/bench_net_pair [seconds-per-case, default 1]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint8_t buf[65536];

static void udp_case(size_t size, double seconds)
{
	struct sim s;
	if (sim_init(&s, &(struct sim_opts){ .buffers = 8192 }) != 0)
		abort();
	int rx = sim_udp_socket(s.b, 5000), tx = sim_udp_socket(s.a, 0);
	int big = 8 << 20;
	ust_setsockopt(s.b, rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	struct sockaddr_in dst = sim_addr(SIM_IP_B, 5000);
	ust_sendto(s.a, tx, buf, size, 0, (struct sockaddr *)&dst, sizeof(dst));	/* ARP */
	sim_run(&s, 10 * SIM_MS);
	while (ust_read(s.b, rx, buf, sizeof(buf)) >= 0)
		;
	uint64_t got = 0;
	double t0 = wall(), t;
	int burst = size > 8000 ? 4 : 32;
	do {
		for (int i = 0; i < burst; i++)
			ust_sendto(s.a, tx, buf, size, 0, (struct sockaddr *)&dst, sizeof(dst));
		while (ust_stack_poll(s.b, s.now) > 0)
			;
		while (ust_read(s.b, rx, buf, sizeof(buf)) >= 0)
			got++;
		t = wall() - t0;
	} while (t < seconds);
	printf("udp %5zu B: %9.0f datagrams/s %8.1f MB/s payload (reassembly drops: %llu)\n", size,
	       (double)got / t, (double)got * (double)size / t / 1e6,
	       (unsigned long long)(sim_counter(s.b, "frag.evicted") + sim_counter(s.b, "frag.nobuf")));
	sim_fini(&s);
}

static void ping_case(size_t size, double seconds)
{
	struct sim s;
	if (sim_init(&s, NULL) != 0)
		abort();
	int sd = ust_socket(s.a, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	struct sockaddr_in dst = sim_addr(SIM_IP_B, 0);
	memset(buf, 0, 8);
	buf[0] = 8;
	uint64_t n = 0;
	double t0 = wall(), t;
	do {
		ust_sendto(s.a, sd, buf, 8 + size, 0, (struct sockaddr *)&dst, sizeof(dst));
		sim_run(&s, 1000);
		if (ust_read(s.a, sd, buf + 8192, sizeof(buf) - 8192) > 0)
			n++;
		t = wall() - t0;
	} while (t < seconds);
	printf("ping %5zu B: %9.0f round trips/s\n", size, (double)n / t);
	sim_fini(&s);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 1.0;
	static const size_t sizes[] = { 64, 512, 1472, 8000, 65507 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		udp_case(sizes[i], seconds);
	ping_case(56, seconds);
	ping_case(1472, seconds);
	ping_case(65507, seconds);
	return 0;
}
