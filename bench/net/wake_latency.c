/*
 * wake-latency: what it costs this machine to wake a sleeping thread, the floor under any
 * responder that sleeps between requests. Two threads play ping-pong over two eventfds, 2000
 * rounds with 200 us pauses (so the partner really sleeps each time); one round trip is two
 * wakeups. The partner runs on CPU 1 (or CPU 0 with --same-cpu), the caller on CPU 0.
 *
 *   wake-latency [--same-cpu] [--epoll]     prints "round trip (2 wakeups) X us"
 *
 * Run it beside a PM QoS request (e.g. `ustack-nc ... --cpu-latency 0` running) to see the
 * cost with idle CPUs polling instead of halting. Used by bench/net/RESULTS.md.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 2000
#define PAUSE_US 200

struct pingpong {
	int to_partner, to_caller;
	int partner_cpu;
	int use_epoll;
};

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)sched_setaffinity(0, sizeof(set), &set);
}

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void *partner(void *arg)
{
	struct pingpong *pp = arg;
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(0);
	uint64_t v;

	pin(pp->partner_cpu);
	epoll_ctl(ep, EPOLL_CTL_ADD, pp->to_partner, &ev);
	for (;;) {
		if (pp->use_epoll)
			(void)epoll_wait(ep, &ev, 1, -1);
		if (read(pp->to_partner, &v, sizeof(v)) != (ssize_t)sizeof(v))
			continue;
		v = 1;
		if (write(pp->to_caller, &v, sizeof(v)) < 0)
			return NULL;
	}
}

int main(int argc, char **argv)
{
	struct pingpong pp = { .partner_cpu = 1 };
	pthread_t t;
	uint64_t v = 1;
	double sum = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--same-cpu") == 0) {
			pp.partner_cpu = 0;
		} else if (strcmp(argv[i], "--epoll") == 0) {
			pp.use_epoll = 1;
		} else {
			fprintf(stderr, "wake-latency: %s: unknown option (--same-cpu, --epoll)\n", argv[i]);
			return 2;
		}
	}
	pp.to_partner = eventfd(0, pp.use_epoll ? EFD_NONBLOCK : 0);
	pp.to_caller = eventfd(0, 0);
	if (pp.to_partner < 0 || pp.to_caller < 0 || pthread_create(&t, NULL, partner, &pp) != 0) {
		perror("wake-latency");
		return 1;
	}
	pin(0);
	usleep(1000);
	for (int i = 0; i < ROUNDS; i++) {
		usleep(PAUSE_US);
		double t0 = now_us();
		if (write(pp.to_partner, &v, sizeof(v)) < 0 || read(pp.to_caller, &v, sizeof(v)) < 0) {
			perror("wake-latency");
			return 1;
		}
		sum += now_us() - t0;
	}
	printf("round trip (2 wakeups) %.1f us\n", sum / ROUNDS);
	return 0;
}
