/*
 * Unit tests for core/ring: ownership window (full/empty), wrap-around of both the slot array
 * and the free-running 32-bit indices, partial batches, attach validation, a 1M-slot ordered
 * transfer between two processes over a memfd, and the eventfd sleep/wake protocol.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/ring.h"

/* Offsets of the shared indices in ring memory (see ring.c's layout comment). */
#define RING_TAIL_OFFSET 64
#define RING_HEAD_OFFSET 128

static struct ust_slot slot_for(uint32_t seq)
{
	return (struct ust_slot){ .buf = seq, .len = seq * 3u + 1u, .flags = (uint16_t)seq,
				  .offset = (uint16_t)(seq >> 16), .aux = ~seq };
}

static bool slot_matches(const struct ust_slot *s, uint32_t seq)
{
	struct ust_slot want = slot_for(seq);
	return memcmp(s, &want, sizeof(want)) == 0;
}

static void test_sizes_and_init(void **state)
{
	(void)state;
	assert_int_equal(ust_ring_mem_size(0), 0);
	assert_int_equal(ust_ring_mem_size(1), 0);
	assert_int_equal(ust_ring_mem_size(3), 0);
	assert_int_equal(ust_ring_mem_size(1000), 0);
	assert_true(ust_ring_mem_size(2) >= 2 * sizeof(struct ust_slot));
	assert_int_equal(ust_ring_mem_size(1024) - ust_ring_mem_size(512), 512 * sizeof(struct ust_slot));

	struct ust_ring *r = NULL;
	assert_int_equal(ust_ring_create(&r, 6), -EINVAL);
	assert_null(r);
	assert_int_equal(ust_ring_create(&r, 0), -EINVAL);

	size_t len = ust_ring_mem_size(16);
	void *mem = aligned_alloc(64, len + 64);
	struct ust_ring ring;
	assert_int_equal(ust_ring_init(&ring, mem, len - 1, 16), -EINVAL);
	assert_int_equal(ust_ring_init(&ring, mem, len, 12), -EINVAL);
	assert_int_equal(ust_ring_init(&ring, (char *)mem + 4, len, 16), -EINVAL);
	assert_int_equal(ust_ring_init(&ring, mem, len, 16), 0);
	assert_int_equal(ring.size, 16);
	assert_int_equal(ring.mask, 15);
	assert_int_equal(ring.eventfd, -1);
	assert_int_equal(ust_ring_count(&ring), 0);
	assert_int_equal(ust_ring_space(&ring), 16);
	free(mem);
	ust_ring_destroy(NULL);
}

static void test_full_empty(void **state)
{
	(void)state;
	struct ust_ring *r = NULL;
	assert_int_equal(ust_ring_create(&r, 8), 0);
	struct ust_slot in[10], out[10];
	for (uint32_t i = 0; i < 10; i++)
		in[i] = slot_for(i);
	assert_int_equal(ust_ring_dequeue(r, out, 4), 0);	/* empty */
	assert_int_equal(ust_ring_enqueue(r, in, 10), 8);	/* only 8 fit */
	assert_int_equal(ust_ring_count(r), 8);
	assert_int_equal(ust_ring_space(r), 0);
	assert_int_equal(ust_ring_enqueue(r, in + 8, 1), 0);	/* full */
	assert_int_equal(ust_ring_dequeue(r, out, 3), 3);
	assert_int_equal(ust_ring_space(r), 3);
	assert_int_equal(ust_ring_count(r), 5);
	assert_int_equal(ust_ring_dequeue(r, out + 3, 10), 5);	/* fewer than asked */
	for (uint32_t i = 0; i < 8; i++)
		assert_true(slot_matches(&out[i], i));
	assert_int_equal(ust_ring_dequeue(r, out, 1), 0);
	assert_int_equal(ust_ring_enqueue(r, in, 0), 0);
	assert_int_equal(ust_ring_dequeue(r, out, 0), 0);
	ust_ring_destroy(r);
}

/* Batches of every size 1..size+1 against a small ring: the slot array wraps mid-batch. */
static void run_wrap(struct ust_ring *r, uint32_t rounds)
{
	struct ust_slot in[40], out[40];
	uint32_t next_in = 0, next_out = 0;
	for (uint32_t round = 0; round < rounds; round++) {
		unsigned want = 1 + round % (r->size + 1);
		for (unsigned i = 0; i < want; i++)
			in[i] = slot_for(next_in + i);
		unsigned space = ust_ring_space(r);
		assert_int_equal(space + ust_ring_count(r), r->size);
		unsigned put = ust_ring_enqueue(r, in, want);
		assert_int_equal(put, want < space ? want : space);
		next_in += put;
		unsigned got = ust_ring_dequeue(r, out, (round * 7) % 40);
		for (unsigned i = 0; i < got; i++)
			assert_true(slot_matches(&out[i], next_out + i));
		next_out += got;
		/* Drain fully every few rounds so the ring is never stuck full. */
		if (round % 3 == 2) {
			while ((got = ust_ring_dequeue(r, out, 5)) > 0) {
				for (unsigned i = 0; i < got; i++)
					assert_true(slot_matches(&out[i], next_out + i));
				next_out += got;
			}
			assert_int_equal(next_out, next_in);
		}
	}
}

static void test_wrap_around(void **state)
{
	(void)state;
	struct ust_ring *r = NULL;
	assert_int_equal(ust_ring_create(&r, 16), 0);
	run_wrap(r, 1000);
	ust_ring_destroy(r);
}

/* Free-running indices crossing 2^32: start both just below the wrap. */
static void test_index_wrap(void **state)
{
	(void)state;
	size_t len = ust_ring_mem_size(16);
	void *mem = aligned_alloc(64, len);
	struct ust_ring ring;
	assert_int_equal(ust_ring_init(&ring, mem, len, 16), 0);
	uint32_t start = UINT32_MAX - 20;
	memcpy((char *)mem + RING_TAIL_OFFSET, &start, 4);
	memcpy((char *)mem + RING_HEAD_OFFSET, &start, 4);
	assert_int_equal(ust_ring_attach(&ring, mem, len), 0);
	assert_int_equal(ust_ring_count(&ring), 0);
	assert_int_equal(ust_ring_space(&ring), 16);
	run_wrap(&ring, 300);
	uint32_t tail;
	memcpy(&tail, (char *)mem + RING_TAIL_OFFSET, 4);
	assert_true(tail < start);	/* it did wrap */
	free(mem);
}

static void test_attach_validation(void **state)
{
	(void)state;
	size_t len = ust_ring_mem_size(64);
	uint8_t *mem = aligned_alloc(64, len);
	struct ust_ring prod, cons;
	assert_int_equal(ust_ring_init(&prod, mem, len, 64), 0);
	assert_int_equal(ust_ring_attach(&cons, mem, len), 0);
	assert_int_equal(cons.size, 64);
	struct ust_slot s = slot_for(42), o;
	assert_int_equal(ust_ring_enqueue(&prod, &s, 1), 1);
	assert_int_equal(ust_ring_dequeue(&cons, &o, 1), 1);
	assert_true(slot_matches(&o, 42));

	assert_int_equal(ust_ring_attach(&cons, mem, len - 1), -EINVAL);
	assert_int_equal(ust_ring_attach(&cons, mem, 16), -EINVAL);
	assert_int_equal(ust_ring_attach(&cons, NULL, len), -EINVAL);
	uint8_t saved[16];
	memcpy(saved, mem, 16);
	uint32_t v;
	v = 0xdeadbeef;	/* magic */
	memcpy(mem, &v, 4);
	assert_int_equal(ust_ring_attach(&cons, mem, len), -EINVAL);
	memcpy(mem, saved, 16);
	v = 7;		/* version */
	memcpy(mem + 4, &v, 4);
	assert_int_equal(ust_ring_attach(&cons, mem, len), -EINVAL);
	memcpy(mem, saved, 16);
	const uint32_t bad_sizes[] = { 0, 1, 63, 65, 128, 1u << 31, UINT32_MAX };
	for (unsigned i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		memcpy(mem + 8, &bad_sizes[i], 4);
		assert_int_equal(ust_ring_attach(&cons, mem, len), -EINVAL);
	}
	v = 32;	/* smaller power of two fits: accepted, and the handle uses 32 */
	memcpy(mem + 8, &v, 4);
	assert_int_equal(ust_ring_attach(&cons, mem, len), 0);
	assert_int_equal(cons.size, 32);
	free(mem);
}

/* A hostile producer publishes a tail far ahead: the consumer reads at most one ring. */
static void test_hostile_indices(void **state)
{
	(void)state;
	size_t len = ust_ring_mem_size(8);
	uint8_t *mem = aligned_alloc(64, len);
	struct ust_ring cons, prod;
	assert_int_equal(ust_ring_init(&cons, mem, len, 8), 0);
	assert_int_equal(ust_ring_attach(&prod, mem, len), 0);
	uint32_t bogus = 1000000;
	memcpy(mem + RING_TAIL_OFFSET, &bogus, 4);
	struct ust_slot out[64];
	assert_int_equal(ust_ring_count(&cons), 8);
	assert_int_equal(ust_ring_dequeue(&cons, out, 64), 8);
	/* And a consumer that publishes a head ahead of tail makes the producer see no space. */
	uint32_t tail = 5, head = 100;
	memcpy(mem + RING_TAIL_OFFSET, &tail, 4);
	memcpy(mem + RING_HEAD_OFFSET, &head, 4);
	assert_int_equal(ust_ring_space(&prod), 0);
	assert_int_equal(ust_ring_enqueue(&prod, out, 4), 0);
	free(mem);
}

#define XPROC_SLOTS 1000000u

/* A child process produces 1M sequence-numbered slots through a ring in a memfd. */
static void test_cross_process(void **state)
{
	(void)state;
	size_t len = ust_ring_mem_size(256);
	int fd = memfd_create("ust-test-ring", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	void *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(mem != MAP_FAILED);
	struct ust_ring cons;
	assert_int_equal(ust_ring_init(&cons, mem, len, 256), 0);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Map it afresh from the fd, as a peer that received it over SCM_RIGHTS would. */
		void *m2 = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		struct ust_ring prod;
		if (m2 == MAP_FAILED || ust_ring_attach(&prod, m2, len) != 0)
			_exit(10);
		struct ust_slot batch[32];
		uint32_t seq = 0;
		while (seq < XPROC_SLOTS) {
			unsigned n = 1 + seq % 32;
			if (n > XPROC_SLOTS - seq)
				n = XPROC_SLOTS - seq;
			for (unsigned i = 0; i < n; i++)
				batch[i] = slot_for(seq + i);
			unsigned put = ust_ring_enqueue(&prod, batch, n);
			seq += put;
			if (put < n)
				sched_yield();
		}
		_exit(0);
	}
	struct ust_slot out[64];
	uint32_t expect = 0, errors = 0;
	while (expect < XPROC_SLOTS) {
		unsigned got = ust_ring_dequeue(&cons, out, 1 + expect % 64);
		for (unsigned i = 0; i < got; i++)
			errors += !slot_matches(&out[i], expect + i);
		expect += got;
		if (got == 0)
			sched_yield();
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(errors, 0);
	assert_int_equal(ust_ring_count(&cons), 0);
	munmap(mem, len);
	close(fd);
}

/* --- eventfd sleep/wake --- */

#define WAKE_ROUNDS 20000u

struct wake_ctx {
	struct ust_ring *prod;
	struct ust_ring cons;
	uint32_t received;
	uint32_t errors;
	uint32_t sleeps;
	uint32_t lost;		/* poll timed out while slots were waiting */
	uint32_t rng;
};

static void *wake_consumer(void *arg)
{
	struct wake_ctx *c = arg;
	struct ust_slot out[8];
	while (c->received < WAKE_ROUNDS) {
		unsigned got = ust_ring_dequeue(&c->cons, out, 8);
		for (unsigned i = 0; i < got; i++)
			c->errors += !slot_matches(&out[i], c->received + i);
		c->received += got;
		if (got)
			continue;
		if (!ust_ring_prepare_sleep(&c->cons))
			continue;
		c->sleeps++;
		struct pollfd p = { .fd = c->cons.eventfd, .events = POLLIN };
		/* Generous timeout: only a lost wakeup can make it expire. */
		int rc = poll(&p, 1, 10000);
		if (rc == 0 && ust_ring_count(&c->cons) > 0)
			c->lost++;	/* keep going so the producer can finish; the test fails */
		ust_ring_drain_eventfd(&c->cons);
	}
	return NULL;
}

static void test_eventfd_wakeup(void **state)
{
	(void)state;
	struct wake_ctx c = { .rng = 12345 };
	assert_int_equal(ust_ring_create(&c.prod, 64), 0);
	assert_int_equal(ust_ring_attach(&c.cons, c.prod->mem, ust_ring_mem_size(64)), 0);
	int efd = eventfd(0, EFD_CLOEXEC);	/* blocking on purpose: drain must not hang */
	assert_true(efd >= 0);
	ust_ring_set_eventfd(c.prod, efd);
	ust_ring_set_eventfd(&c.cons, efd);

	/* Nothing queued: prepare_sleep says sleep; something queued: it says don't. */
	assert_true(ust_ring_prepare_sleep(&c.cons));
	ust_ring_drain_eventfd(&c.cons);	/* spurious: must return at once */
	struct ust_slot s = slot_for(0);
	assert_true(ust_ring_prepare_sleep(&c.cons));
	assert_int_equal(ust_ring_enqueue(c.prod, &s, 1), 1);	/* wakes */
	struct pollfd p = { .fd = efd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 10000), 1);
	ust_ring_drain_eventfd(&c.cons);
	assert_int_equal(poll(&p, 1, 0), 0);	/* drained */
	assert_false(ust_ring_prepare_sleep(&c.cons));
	struct ust_slot o;
	assert_int_equal(ust_ring_dequeue(&c.cons, &o, 1), 1);
	/* A busy consumer (no sleep requested) costs the producer no eventfd writes. */
	assert_int_equal(ust_ring_enqueue(c.prod, &s, 1), 1);
	assert_int_equal(poll(&p, 1, 0), 0);
	assert_int_equal(ust_ring_dequeue(&c.cons, &o, 1), 1);

	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, wake_consumer, &c), 0);
	for (uint32_t seq = 0; seq < WAKE_ROUNDS;) {
		c.rng = c.rng * 1103515245u + 12345u;
		unsigned n = 1 + (c.rng >> 16) % 4;
		if (n > WAKE_ROUNDS - seq)
			n = WAKE_ROUNDS - seq;
		struct ust_slot batch[4];
		for (unsigned i = 0; i < n; i++)
			batch[i] = slot_for(seq + i);
		seq += ust_ring_enqueue(c.prod, batch, n);
		/* Pause now and then so the consumer runs dry and goes to sleep. */
		if ((c.rng >> 8) % 8 == 0)
			usleep((c.rng >> 20) % 50);
		else if ((c.rng >> 8) % 8 == 1)
			sched_yield();
	}
	assert_int_equal(pthread_join(th, NULL), 0);
	print_message("eventfd wakeup: %u rounds, consumer slept %u times\n", WAKE_ROUNDS, c.sleeps);
	assert_int_equal(c.lost, 0);
	assert_int_equal(c.errors, 0);
	assert_int_equal(c.received, WAKE_ROUNDS);
	close(efd);
	ust_ring_destroy(c.prod);
}

/* The same protocol between processes: the child produces with pauses, the parent sleeps. */
#define XPROC_WAKE_SLOTS 3000u

static void test_eventfd_cross_process(void **state)
{
	(void)state;
	size_t len = ust_ring_mem_size(16);
	int fd = memfd_create("ust-test-ring-wake", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	void *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(mem != MAP_FAILED);
	struct ust_ring cons;
	assert_int_equal(ust_ring_init(&cons, mem, len, 16), 0);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(efd >= 0);
	ust_ring_set_eventfd(&cons, efd);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		void *m2 = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		struct ust_ring prod;
		if (m2 == MAP_FAILED || ust_ring_attach(&prod, m2, len) != 0)
			_exit(10);
		ust_ring_set_eventfd(&prod, efd);
		uint32_t rng = 777;
		for (uint32_t seq = 0; seq < XPROC_WAKE_SLOTS;) {
			struct ust_slot s = slot_for(seq);
			seq += ust_ring_enqueue(&prod, &s, 1);
			rng = rng * 1103515245u + 12345u;
			if ((rng >> 16) % 4 == 0)
				usleep((rng >> 20) % 100);
		}
		_exit(0);
	}
	uint32_t expect = 0, errors = 0, sleeps = 0, lost = 0;
	struct ust_slot out[16];
	while (expect < XPROC_WAKE_SLOTS) {
		unsigned got = ust_ring_dequeue(&cons, out, 16);
		for (unsigned i = 0; i < got; i++)
			errors += !slot_matches(&out[i], expect + i);
		expect += got;
		if (got || !ust_ring_prepare_sleep(&cons))
			continue;
		sleeps++;
		struct pollfd p = { .fd = efd, .events = POLLIN };
		if (poll(&p, 1, 10000) == 0 && ust_ring_count(&cons) > 0)
			lost++;
		ust_ring_drain_eventfd(&cons);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	print_message("cross-process wakeup: %u slots, parent slept %u times\n", XPROC_WAKE_SLOTS, sleeps);
	assert_int_equal(lost, 0);
	assert_int_equal(errors, 0);
	close(efd);
	munmap(mem, len);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes_and_init),
		cmocka_unit_test(test_full_empty),
		cmocka_unit_test(test_wrap_around),
		cmocka_unit_test(test_index_wrap),
		cmocka_unit_test(test_attach_validation),
		cmocka_unit_test(test_hostile_indices),
		cmocka_unit_test(test_cross_process),
		cmocka_unit_test(test_eventfd_wakeup),
		cmocka_unit_test(test_eventfd_cross_process),
	};
	return cmocka_run_group_tests_name("core_ring", tests, NULL, NULL);
}
