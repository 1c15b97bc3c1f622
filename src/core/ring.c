/*
 * Single-producer single-consumer slot rings (see ring.h for the ownership window). They
 * carry packets between a stack and the switch (shm port), between the emulator's stages and
 * between threads; the memory may be a memfd shared with a process we do not trust.
 *
 *   producer: ust_ring_enqueue -> [slots] -> ust_ring_dequeue :consumer
 *
 * Memory layout (ust_ring_mem_size bytes, no pointers):
 *   line 0  constant header (magic, version, size), written once by ust_ring_init
 *   line 1  tail: written by the producer only
 *   line 2  head: written by the consumer only
 *   line 3  need_wakeup: set by a consumer about to sleep, cleared by whoever consumes it
 *   then    size slots of 16 bytes
 * head and tail sit on separate cache lines so the two sides do not false-share; each side
 * also keeps a cached copy of the other's index in its handle and re-reads the shared one only
 * when the cached value says "full" (producer) or "empty" (consumer).
 */
#include "core/ring.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

#define UST_RING_MAGIC 0x474e5255u	/* "URNG" little-endian */
#define UST_RING_VERSION 1u

struct ust_ring_mem {
	uint32_t magic;
	uint32_t version;
	uint32_t size;
	uint32_t reserved;
	_Alignas(UST_CACHELINE) _Atomic uint32_t tail;
	_Alignas(UST_CACHELINE) _Atomic uint32_t head;
	_Alignas(UST_CACHELINE) _Atomic uint32_t need_wakeup;
	_Alignas(UST_CACHELINE) struct ust_slot slots[];
};

_Static_assert(sizeof(struct ust_slot) == 16, "slots are 16 bytes");

size_t ust_ring_mem_size(uint32_t nslots)
{
	if (nslots < 2 || !UST_IS_POW2(nslots))
		return 0;
	return sizeof(struct ust_ring_mem) + (size_t)nslots * sizeof(struct ust_slot);
}

static void ust_ring_handle(struct ust_ring *ring, struct ust_ring_mem *mem, uint32_t size)
{
	ring->mem = mem;
	ring->slots = mem->slots;
	ring->size = size;
	ring->mask = size - 1;
	ring->cached_head = atomic_load_explicit(&mem->head, memory_order_acquire);
	ring->cached_tail = atomic_load_explicit(&mem->tail, memory_order_acquire);
	ring->eventfd = -1;
}

int ust_ring_init(struct ust_ring *ring, void *mem, size_t mem_len, uint32_t nslots)
{
	size_t need = ust_ring_mem_size(nslots);
	if (need == 0 || !mem || mem_len < need || (uintptr_t)mem % _Alignof(struct ust_ring_mem))
		return -EINVAL;
	struct ust_ring_mem *m = mem;
	memset(m, 0, sizeof(*m));
	m->magic = UST_RING_MAGIC;
	m->version = UST_RING_VERSION;
	m->size = nslots;
	atomic_store_explicit(&m->tail, 0, memory_order_relaxed);
	atomic_store_explicit(&m->head, 0, memory_order_relaxed);
	atomic_store_explicit(&m->need_wakeup, 0, memory_order_release);
	ust_ring_handle(ring, m, nslots);
	return 0;
}

int ust_ring_attach(struct ust_ring *ring, void *mem, size_t mem_len)
{
	if (!mem || mem_len < sizeof(struct ust_ring_mem) ||
	    (uintptr_t)mem % _Alignof(struct ust_ring_mem))
		return -EINVAL;
	struct ust_ring_mem *m = mem;
	/* Read size once: the handle's size and mask come from this validated copy only. */
	uint32_t size = *(volatile uint32_t *)&m->size;
	size_t need = ust_ring_mem_size(size);
	if (m->magic != UST_RING_MAGIC || m->version != UST_RING_VERSION || need == 0 || mem_len < need)
		return -EINVAL;
	ust_ring_handle(ring, m, size);
	return 0;
}

int ust_ring_create(struct ust_ring **out, uint32_t nslots)
{
	*out = NULL;
	size_t need = ust_ring_mem_size(nslots);
	if (need == 0)
		return -EINVAL;
	struct ust_ring *ring = malloc(sizeof(*ring));
	void *mem = NULL;
	if (!ring || posix_memalign(&mem, UST_CACHELINE, need) != 0) {
		free(ring);
		return -ENOMEM;
	}
	ust_ring_init(ring, mem, need, nslots);
	*out = ring;
	return 0;
}

void ust_ring_destroy(struct ust_ring *ring)
{
	if (!ring)
		return;
	free(ring->mem);
	free(ring);
}

/*
 * Slots in use as seen from one side. The peer's index may be garbage (hostile shared
 * memory): callers treat a distance larger than the ring as "full" (producer) or clamp it to
 * one ring (consumer), and every slot access is masked, so nothing leaves the slot array.
 */
static inline uint32_t ust_ring_used(uint32_t tail, uint32_t head)
{
	return tail - head;
}

/*
 * Wakeup protocol (no lost wakeups). It is the store-buffering pattern, closed with a seq_cst
 * fence on each side:
 *
 *   consumer (prepare_sleep)          producer (enqueue)
 *   need_wakeup = 1                   slots..., tail = t + n   (release)
 *   fence(seq_cst)                    fence(seq_cst)
 *   read tail: new slots? -> no sleep read need_wakeup: set? -> write eventfd
 *
 * The two fences are totally ordered. If the producer's fence comes first, the consumer's
 * read of tail after its own fence sees the new tail and it does not sleep. If the
 * consumer's fence comes first, the producer's read of need_wakeup sees 1 and it writes the
 * eventfd, so the consumer's poll returns. Either way a consumer never sleeps on a non-empty
 * ring with nobody to wake it. The producer clears the flag with an exchange so that only one
 * enqueue pays for the write(); the consumer clears it again after waking (drain) or when it
 * decides not to sleep, so a busy consumer costs the producer no system calls.
 */
static void ust_ring_kick(struct ust_ring *ring)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&ring->mem->need_wakeup, memory_order_relaxed) &&
	    atomic_exchange_explicit(&ring->mem->need_wakeup, 0, memory_order_relaxed)) {
		uint64_t one = 1;
		/* EAGAIN means the counter is saturated: the consumer will wake anyway. */
		ssize_t r = write(ring->eventfd, &one, sizeof(one));
		(void)r;
	}
}

unsigned ust_ring_enqueue(struct ust_ring *ring, const struct ust_slot *slots, unsigned n)
{
	struct ust_ring_mem *m = ring->mem;
	uint32_t tail = atomic_load_explicit(&m->tail, memory_order_relaxed);
	uint32_t used = ust_ring_used(tail, ring->cached_head);
	uint32_t space = used <= ring->size ? ring->size - used : 0;
	if (space < n) {
		ring->cached_head = atomic_load_explicit(&m->head, memory_order_acquire);
		used = ust_ring_used(tail, ring->cached_head);
		space = used <= ring->size ? ring->size - used : 0;
	}
	if (n > space)
		n = space;
	if (n == 0)
		return 0;

	uint32_t idx = tail & ring->mask;
	uint32_t first = UST_MIN(n, ring->size - idx);
	memcpy(&ring->slots[idx], slots, first * sizeof(*slots));
	memcpy(&ring->slots[0], slots + first, (n - first) * sizeof(*slots));
	atomic_store_explicit(&m->tail, tail + n, memory_order_release);

	if (ring->eventfd >= 0)
		ust_ring_kick(ring);
	return n;
}

unsigned ust_ring_dequeue(struct ust_ring *ring, struct ust_slot *out, unsigned n)
{
	struct ust_ring_mem *m = ring->mem;
	uint32_t head = atomic_load_explicit(&m->head, memory_order_relaxed);
	uint32_t avail = ust_ring_used(ring->cached_tail, head);
	if (avail < n || avail > ring->size) {
		ring->cached_tail = atomic_load_explicit(&m->tail, memory_order_acquire);
		avail = ust_ring_used(ring->cached_tail, head);
	}
	/* A peer that publishes a tail more than a ring ahead is lying: read at most one ring. */
	if (avail > ring->size)
		avail = ring->size;
	if (n > avail)
		n = avail;
	if (n == 0)
		return 0;

	uint32_t idx = head & ring->mask;
	uint32_t first = UST_MIN(n, ring->size - idx);
	memcpy(out, &ring->slots[idx], first * sizeof(*out));
	memcpy(out + first, &ring->slots[0], (n - first) * sizeof(*out));
	atomic_store_explicit(&m->head, head + n, memory_order_release);
	return n;
}

unsigned ust_ring_count(struct ust_ring *ring)
{
	uint32_t head = atomic_load_explicit(&ring->mem->head, memory_order_relaxed);
	ring->cached_tail = atomic_load_explicit(&ring->mem->tail, memory_order_acquire);
	uint32_t avail = ust_ring_used(ring->cached_tail, head);
	return avail <= ring->size ? avail : ring->size;
}

unsigned ust_ring_space(struct ust_ring *ring)
{
	uint32_t tail = atomic_load_explicit(&ring->mem->tail, memory_order_relaxed);
	ring->cached_head = atomic_load_explicit(&ring->mem->head, memory_order_acquire);
	uint32_t used = ust_ring_used(tail, ring->cached_head);
	return used <= ring->size ? ring->size - used : 0;
}

void ust_ring_set_eventfd(struct ust_ring *ring, int fd)
{
	ring->eventfd = fd;
}

bool ust_ring_prepare_sleep(struct ust_ring *ring)
{
	struct ust_ring_mem *m = ring->mem;
	atomic_store_explicit(&m->need_wakeup, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	uint32_t head = atomic_load_explicit(&m->head, memory_order_relaxed);
	ring->cached_tail = atomic_load_explicit(&m->tail, memory_order_acquire);
	if (ring->cached_tail != head) {
		atomic_store_explicit(&m->need_wakeup, 0, memory_order_relaxed);
		return false;
	}
	return true;
}

void ust_ring_drain_eventfd(struct ust_ring *ring)
{
	atomic_store_explicit(&ring->mem->need_wakeup, 0, memory_order_relaxed);
	if (ring->eventfd < 0)
		return;
	/* Poll first: the wakeup may have been spurious and the eventfd may be blocking. */
	struct pollfd p = { .fd = ring->eventfd, .events = POLLIN };
	if (poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
		uint64_t v;
		ssize_t r = read(ring->eventfd, &v, sizeof(v));
		(void)r;
	}
}
