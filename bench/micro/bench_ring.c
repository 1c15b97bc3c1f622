/*
 * Micro-benchmark of core/ring: slots per second between a producer and a consumer thread
 * (pinned to CPUs 0 and 1 when the machine has two), with batches of 1 and of 32 slots.
 * Prints "ring transfer batch 1: X Mpps" and "ring transfer batch 32: X Mpps".
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/ring.h"

#define RING_SLOTS 1024u

struct side {
	struct ust_ring *ring;
	unsigned batch;
	uint64_t count;
	int cpu;
	uint64_t check;
};

static void pin(int cpu)
{
	if (cpu < 0)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *producer(void *arg)
{
	struct side *s = arg;
	struct ust_slot slots[32];
	pin(s->cpu);
	for (uint64_t seq = 0; seq < s->count;) {
		unsigned n = s->batch;
		if (n > s->count - seq)
			n = (unsigned)(s->count - seq);
		for (unsigned i = 0; i < n; i++)
			slots[i].buf = (uint32_t)(seq + i);
		seq += ust_ring_enqueue(s->ring, slots, n);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct side *s = arg;
	struct ust_slot slots[32];
	pin(s->cpu);
	for (uint64_t got = 0; got < s->count;) {
		unsigned n = ust_ring_dequeue(s->ring, slots, s->batch);
		for (unsigned i = 0; i < n; i++)
			s->check += slots[i].buf;
		got += n;
	}
	return NULL;
}

static double run(unsigned batch, uint64_t count)
{
	struct ust_ring *prod = NULL;
	struct ust_ring cons;
	if (ust_ring_create(&prod, RING_SLOTS) != 0 ||
	    ust_ring_attach(&cons, prod->mem, ust_ring_mem_size(RING_SLOTS)) != 0) {
		fprintf(stderr, "bench_ring: cannot create ring\n");
		exit(1);
	}
	int two = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
	struct side p = { .ring = prod, .batch = batch, .count = count, .cpu = two ? 0 : -1 };
	struct side c = { .ring = &cons, .batch = batch, .count = count, .cpu = two ? 1 : -1 };
	pthread_t tp, tc;
	uint64_t t0 = ust_clock_now_ns();
	pthread_create(&tc, NULL, consumer, &c);
	pthread_create(&tp, NULL, producer, &p);
	pthread_join(tp, NULL);
	pthread_join(tc, NULL);
	uint64_t t1 = ust_clock_now_ns();
	uint64_t want = 0;
	for (uint64_t i = 0; i < count; i++)
		want += (uint32_t)i;
	if (c.check != want) {
		fprintf(stderr, "bench_ring: transfer corrupted\n");
		exit(1);
	}
	ust_ring_destroy(prod);
	return (double)count / ((double)(t1 - t0) / 1000.0);	/* per microsecond = Mpps */
}

int main(void)
{
	printf("ring transfer batch 1: %.1f Mpps\n", run(1, 20000000));
	printf("ring transfer batch 32: %.1f Mpps\n", run(32, 100000000));
	return 0;
}
