/*
 * Packet buffers: a pool of fixed-size buffers allocated once, addressed by 32-bit index
 * (like netmap slots), each with headroom so that prepending a header is a pointer move,
 * a length, and a reference count for zero-copy sharing. No malloc on the data path.
 *
 * Layout of a pool region (one mmap, optionally a memfd that another process can map):
 *   [struct ust_pool_region header][struct ust_pkt meta x count][free stack][data x count]
 * Nothing inside the region is a pointer, so it means the same in every process that maps it.
 * Allocation and free are O(1) (a LIFO stack of free indices). One thread owns a pool's
 * free stack at a time; buffers travel between owners only by index through rings.
 *
 * Ownership: a function that takes a `struct ust_pkt *` consumes one reference, on success
 * and failure alike; a `const struct ust_pkt *` is borrowed for the call. To keep a borrowed
 * packet, take a reference with ust_pkt_ref().
 */
#ifndef UST_CORE_PKTBUF_H
#define UST_CORE_PKTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/counters.h"

#define UST_PKT_NONE UINT32_MAX	/* "no packet" in index-linked lists */

/* Packet flags. */
#define UST_PKT_F_CSUM_PARTIAL 0x0001u	/* L4 checksum to be completed: csum_start/csum_offset */
#define UST_PKT_F_CSUM_VALID 0x0002u	/* received with checksum already verified (offload) */
#define UST_PKT_F_GSO_TCPV4 0x0004u	/* oversize TCP segment to be cut at gso_size */
#define UST_PKT_F_BROADCAST 0x0008u	/* received as link-layer broadcast */
#define UST_PKT_F_MULTICAST 0x0010u

/*
 * Per-buffer metadata. Lives in the pool region next to, not inside, the data bytes.
 * Fields below `refcnt` belong to whoever holds the packet and are reset by alloc.
 */
struct ust_pkt {
	uint32_t index;		/* this buffer's index in its pool; constant */
	uint32_t refcnt;	/* 0 while free */
	uint32_t next;		/* index of the next packet in a queue or chain, or UST_PKT_NONE */
	uint32_t head;		/* offset of the first data byte within the buffer */
	uint32_t len;		/* bytes of data starting at head */
	uint16_t flags;		/* UST_PKT_F_* */
	uint16_t csum_start;	/* offload: checksum coverage starts here (offset from data) */
	uint16_t csum_offset;	/* offload: checksum field at csum_start + csum_offset */
	uint16_t gso_size;	/* offload: payload bytes per segment when GSO flag set */
	uint16_t l3_offset;	/* set by the parser that last looked at the packet */
	uint16_t l4_offset;
	uint64_t timestamp;	/* receive time (ns, injected clock) or emulator due time */
	uint64_t user;		/* scratch word for the current owner (queue tag, emulator flow) */
};

struct ust_pool_stats {
	uint64_t alloc;		/* successful allocations */
	uint64_t free;		/* buffers returned to the pool */
	uint64_t alloc_fail;	/* allocation refused: pool exhausted */
	uint64_t in_use_max;	/* high-water mark of buffers in use */
	/* Added by core: refused frees. Neither ever touches the free stack. */
	uint64_t double_free;	/* free of a buffer whose refcnt was already 0: ignored */
	uint64_t bad_free;	/* pointer not in this pool, or free stack found corrupt: ignored */
};

struct ust_pool_config {
	uint32_t count;		/* number of buffers, >= 1 */
	uint32_t buf_size;	/* bytes per buffer incl. headroom: 2048 or 65536 typical, a multiple of
				 * 64 in [UST_PKT_BUF_SIZE_MIN, UST_PKT_BUF_SIZE_MAX] (buffers are
				 * 64-byte aligned) */
	uint32_t headroom;	/* bytes reserved in front of data at alloc, < buf_size */
	bool shared;		/* back the region with a memfd (see ust_pool_memfd) */
};

struct ust_pool_region;	/* the shared header inside the region */

/* Process-local handle on a pool region. Fields are read-only for users. */
struct ust_pool {
	struct ust_pool_region *region;
	struct ust_pkt *meta;	/* count entries */
	uint32_t *free_stack;	/* inside the region */
	uint8_t *data;		/* count * buf_size bytes */
	uint32_t count;
	uint32_t buf_size;
	uint32_t headroom;
	size_t region_size;
	int memfd;		/* -1 when not shared */
	struct ust_pool_stats stats;
};

/*
 * Create a pool. Returns 0 and *out, or a negative errno: -EINVAL for a bad config
 * (zero count or count > UST_POOL_COUNT_MAX, headroom >= buf_size, buf_size out of range or
 * not a multiple of 64), -ENOMEM, or the memfd error. A shared pool's memfd is sealed
 * against shrinking and growing, so a peer cannot make the mapping fault under us.
 */
int ust_pool_create(struct ust_pool **out, const struct ust_pool_config *cfg);

/*
 * Map a pool created by another process from its memfd (received over SCM_RIGHTS).
 * The region header is validated (magic, sizes, that it fits the file); a region that
 * does not check out gives -EINVAL. The caller keeps ownership of memfd.
 * Every offset is recomputed from count and buf_size; the memfd must carry F_SEAL_SHRINK
 * (ust_pool_create sets it), otherwise -EINVAL. Free-stack contents and packet metadata
 * written by a peer are bounds-checked on use, so a hostile peer can starve us of buffers
 * but not make us access memory outside the region.
 */
int ust_pool_attach(struct ust_pool **out, int memfd);

/* Unmap and free. Buffers still in use are simply gone; no callbacks. NULL is allowed. */
void ust_pool_destroy(struct ust_pool *pool);

/* Bytes a region for count buffers of buf_size takes (page-rounded); 0 if count or buf_size is invalid. */
size_t ust_pool_region_size(uint32_t count, uint32_t buf_size);

/* The pool's statistics as a named counter group ("pool"). Added by core. */
struct ust_counter_group ust_pool_counter_group(const struct ust_pool *pool);

/*
 * Added by core: true when a packet's metadata is consistent with its pool (index matches
 * its slot, head + len within the buffer). Use it on metadata a peer could have written
 * (a shared pool) before touching the bytes.
 */
bool ust_pkt_valid(const struct ust_pool *pool, const struct ust_pkt *pkt);

/*
 * Added by core: the memfd behind a shared pool (to pass over SCM_RIGHTS), or -1. The pool
 * keeps ownership: ust_pool_destroy closes it. An attached pool reports -1 (the caller owns
 * the fd it attached).
 */
int ust_pool_memfd(const struct ust_pool *pool);

/* Number of buffers currently free. */
uint32_t ust_pool_available(const struct ust_pool *pool);

/*
 * Take one buffer: refcnt 1, head = headroom, len 0, flags and offload fields 0, next NONE.
 * Returns NULL when the pool is exhausted (stats.alloc_fail counts it); never aborts.
 */
struct ust_pkt *ust_pkt_alloc(struct ust_pool *pool);

/* Take up to n buffers into out[]; returns how many were taken (may be fewer than n). */
unsigned ust_pkt_alloc_batch(struct ust_pool *pool, struct ust_pkt **out, unsigned n);

/*
 * Drop one reference; the buffer returns to the pool when the last one goes. NULL is allowed.
 * A free of a buffer whose refcnt is already 0 (double free) is ignored and counted in
 * stats.double_free, in every build type (no assert, so tests can exercise it); a pointer that
 * is not one of this pool's packets is ignored and counted in stats.bad_free. The free stack is
 * never corrupted by either. A stale free after the buffer was reallocated cannot be detected:
 * it drops the new owner's reference.
 */
void ust_pkt_free(struct ust_pool *pool, struct ust_pkt *pkt);
void ust_pkt_free_batch(struct ust_pool *pool, struct ust_pkt **pkts, unsigned n);

/* Take one more reference (zero-copy sharing: queues, retransmission, forwarding). */
static inline void ust_pkt_ref(struct ust_pkt *pkt)
{
	pkt->refcnt++;
}

/* True when more than one holder shares the bytes: writers must copy first. */
static inline bool ust_pkt_shared(const struct ust_pkt *pkt)
{
	return pkt->refcnt > 1;
}

/* Packet by index, for indices this process produced. */
static inline struct ust_pkt *ust_pool_pkt(const struct ust_pool *pool, uint32_t index)
{
	return &pool->meta[index];
}

/*
 * Packet by an index that came from an untrusted peer (a ring in shared memory):
 * NULL unless index < count.
 */
static inline struct ust_pkt *ust_pool_pkt_checked(const struct ust_pool *pool, uint32_t index)
{
	return index < pool->count ? &pool->meta[index] : NULL;
}

/* Start of the buffer (headroom included) and start of data. */
static inline uint8_t *ust_pkt_buf(const struct ust_pool *pool, const struct ust_pkt *pkt)
{
	return pool->data + (size_t)pkt->index * pool->buf_size;
}

static inline uint8_t *ust_pkt_data(const struct ust_pool *pool, const struct ust_pkt *pkt)
{
	return ust_pkt_buf(pool, pkt) + pkt->head;
}

static inline uint32_t ust_pkt_headroom(const struct ust_pkt *pkt)
{
	return pkt->head;
}

static inline uint32_t ust_pkt_tailroom(const struct ust_pool *pool, const struct ust_pkt *pkt)
{
	return pool->buf_size - pkt->head - pkt->len;
}

/* Prepend len bytes (grow at the front); returns the new data start or NULL if no headroom. */
static inline uint8_t *ust_pkt_push(const struct ust_pool *pool, struct ust_pkt *pkt, uint32_t len)
{
	if (len > pkt->head)
		return NULL;
	pkt->head -= len;
	pkt->len += len;
	return ust_pkt_data(pool, pkt);
}

/* Append len bytes at the tail; returns where they go or NULL if no tailroom. */
static inline uint8_t *ust_pkt_put(const struct ust_pool *pool, struct ust_pkt *pkt, uint32_t len)
{
	if (len > ust_pkt_tailroom(pool, pkt))
		return NULL;
	uint8_t *tail = ust_pkt_data(pool, pkt) + pkt->len;
	pkt->len += len;
	return tail;
}

/* Remove len bytes from the front (len <= pkt->len, caller checks). */
static inline void ust_pkt_pull(struct ust_pkt *pkt, uint32_t len)
{
	pkt->head += len;
	pkt->len -= len;
}

/* Cut the data to len bytes (len <= pkt->len, caller checks). */
static inline void ust_pkt_trim(struct ust_pkt *pkt, uint32_t len)
{
	pkt->len = len;
}

/*
 * Index-linked FIFO of packets through pkt->next: the queue used everywhere a module holds
 * packets (ARP waiters, reassembly, emulator queues). O(1) push and pop, no allocation.
 */
/* A packet's len must not change while it sits in a queue (bytes would drift). */
struct ust_pkt_queue {
	uint32_t head;
	uint32_t tail;
	uint32_t count;
	uint64_t bytes;	/* sum of pkt->len */
};

void ust_pkt_queue_init(struct ust_pkt_queue *q);
void ust_pkt_queue_push(const struct ust_pool *pool, struct ust_pkt_queue *q, struct ust_pkt *pkt);
struct ust_pkt *ust_pkt_queue_pop(const struct ust_pool *pool, struct ust_pkt_queue *q);
struct ust_pkt *ust_pkt_queue_peek(const struct ust_pool *pool, const struct ust_pkt_queue *q);
/* Free every packet in the queue. */
void ust_pkt_queue_purge(struct ust_pool *pool, struct ust_pkt_queue *q);

#endif
