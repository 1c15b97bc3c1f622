/*
 * Single-producer single-consumer rings of slots {buffer index, length, flags}, between
 * threads or between processes over shared memory (memfd), with batch enqueue/dequeue and an
 * optional eventfd so that a consumer with nothing to do can sleep in poll/epoll
 * (netmap's blocking descriptor).
 *
 * Ownership window, in one sentence: slots [head, tail) belong to the consumer, and all
 * other slots belong to the producer. The producer advances tail with a release store after
 * filling slots; the consumer advances head with a release store after reading them; each
 * side reads the other's index with an acquire load. Indices are free-running uint32_t,
 * masked on access.
 *
 * Ring memory (ust_ring_mem_size bytes) holds a header and the slot array, no pointers, so a
 * ring in a memfd means the same in every process. Each side keeps its own process-local
 * `struct ust_ring` handle with cached copies of the other side's index.
 * A ring whose memory is shared with an untrusted process must be treated as hostile by the
 * trusted side: ust_ring_dequeue never returns more than the ring holds even if the peer
 * writes garbage indices, and slot contents (buffer index, length) must be validated.
 */
#ifndef UST_CORE_RING_H
#define UST_CORE_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ust_slot {
	uint32_t buf;		/* packet buffer index */
	uint32_t len;		/* bytes of data */
	uint16_t flags;		/* UST_SLOT_F_* (and UST_PKT_F_* offload bits) */
	uint16_t offset;	/* data offset within the buffer (headroom used) */
	uint32_t aux;		/* producer-defined (e.g. gso_size, flow hash) */
};

#define UST_SLOT_F_MORE 0x8000u	/* more slots of the same packet follow */

struct ust_ring_mem;	/* header + slots, in (shared) memory */

/* Process-local handle on one side of a ring. */
struct ust_ring {
	struct ust_ring_mem *mem;
	struct ust_slot *slots;
	uint32_t size;		/* number of slots, power of two */
	uint32_t mask;
	uint32_t cached_head;	/* producer side: last head seen */
	uint32_t cached_tail;	/* consumer side: last tail seen */
	int eventfd;		/* -1 if none: written by the producer to wake the consumer */
};

/* Bytes needed for a ring of nslots (power of two, >= 2). */
size_t ust_ring_mem_size(uint32_t nslots);

/*
 * Lay out an empty ring in caller-provided memory of ust_ring_mem_size(nslots) bytes and
 * return a handle on it. -EINVAL if nslots is not a power of two >= 2 or mem_len too small.
 */
int ust_ring_init(struct ust_ring *ring, void *mem, size_t mem_len, uint32_t nslots);

/*
 * Attach a handle to a ring laid out by someone else (possibly another process).
 * Validates the header against mem_len; -EINVAL if it does not fit.
 */
int ust_ring_attach(struct ust_ring *ring, void *mem, size_t mem_len);

/* Convenience for in-process use: allocate memory and init. Free with ust_ring_destroy. */
int ust_ring_create(struct ust_ring **out, uint32_t nslots);
void ust_ring_destroy(struct ust_ring *ring);

/*
 * Producer: copy up to n slots in; returns how many fit (0..n). Wakes a sleeping consumer
 * through the eventfd if one is set and the consumer asked for it.
 */
unsigned ust_ring_enqueue(struct ust_ring *ring, const struct ust_slot *slots, unsigned n);

/* Consumer: copy up to n slots out; returns how many were there (0..n). */
unsigned ust_ring_dequeue(struct ust_ring *ring, struct ust_slot *out, unsigned n);

/* Consumer: slots ready to read. Producer: free slots. Both are snapshots. */
unsigned ust_ring_count(struct ust_ring *ring);
unsigned ust_ring_space(struct ust_ring *ring);

/*
 * Blocking support. The consumer sets an eventfd (the same fd in both processes, passed by
 * SCM_RIGHTS) and, before sleeping, calls ust_ring_prepare_sleep: it announces that it wants a
 * wakeup and returns false if slots arrived meanwhile (then it must not sleep). After waking,
 * it calls ust_ring_drain_eventfd. The producer only writes the eventfd when a wakeup was
 * requested, so a busy consumer costs the producer no system calls.
 * Both handles must be given the fd (the producer writes it). The eventfd may be blocking or
 * EFD_NONBLOCK: drain never blocks, and it also withdraws the wakeup request, so call it after
 * any wake (also one caused by another fd) that followed a prepare_sleep returning true.
 * The protocol and its fence pairing are explained in ring.c (ust_ring_kick).
 */
void ust_ring_set_eventfd(struct ust_ring *ring, int fd);
bool ust_ring_prepare_sleep(struct ust_ring *ring);
void ust_ring_drain_eventfd(struct ust_ring *ring);

#endif
