/*
 * Packet buffer pool: one region allocated at create time (anonymous mmap, or a sealed memfd
 * that another process maps with ust_pool_attach), holding a header, the per-buffer metadata,
 * a LIFO stack of free indices and the data buffers. Every backend rx, every emitted segment
 * and every emulator copy takes its buffer here; nothing on the data path calls malloc.
 *
 *   backend rx / tcp output -> ust_pkt_alloc -> ... -> ust_pkt_free (last reference)
 *
 * The pool owns the region and the process-local handle. Because a shared region may be
 * written by a peer we do not trust, every value read back from it (free-stack depth,
 * free-stack entries) is bounds-checked before use, and the sizes that shape the mapping are
 * kept in the handle, never re-read from the region.
 */
#include "core/pktbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"

#define UST_POOL_MAGIC 0x50545355u	/* "USTP" little-endian */
#define UST_POOL_VERSION 1u
#define UST_POOL_PAGE 4096u		/* fixed so both sides compute the same layout */

struct ust_pool_region {
	uint32_t magic;
	uint32_t version;
	uint32_t count;
	uint32_t buf_size;
	uint32_t headroom;
	uint32_t free_top;	/* number of valid entries in the free stack */
	uint64_t region_size;
	uint64_t meta_off;
	uint64_t free_off;
	uint64_t data_off;
};

struct ust_pool_layout {
	uint64_t meta_off;
	uint64_t free_off;
	uint64_t data_off;
	uint64_t size;
};

static const char *const ust_pool_counter_names[] = {
	"alloc", "free", "alloc_fail", "in_use_max", "double_free", "bad_free",
};
_Static_assert(sizeof(struct ust_pool_stats) == sizeof(ust_pool_counter_names) / sizeof(char *) * 8,
	       "ust_pool_counter_names must list every field of struct ust_pool_stats");

static bool ust_pool_sizes_ok(uint32_t count, uint32_t buf_size)
{
	return count >= 1 && count <= UST_POOL_COUNT_MAX && buf_size >= UST_PKT_BUF_SIZE_MIN &&
	       buf_size <= UST_PKT_BUF_SIZE_MAX && buf_size % UST_PKT_BUF_ALIGN == 0;
}

/* Sizes are bounded (2^24 buffers of 2^18 bytes) so 64-bit arithmetic cannot overflow. */
static bool ust_pool_layout(uint32_t count, uint32_t buf_size, struct ust_pool_layout *l)
{
	if (!ust_pool_sizes_ok(count, buf_size))
		return false;
	l->meta_off = UST_ALIGN_UP((uint64_t)sizeof(struct ust_pool_region), (uint64_t)UST_CACHELINE);
	l->free_off = UST_ALIGN_UP(l->meta_off + (uint64_t)count * sizeof(struct ust_pkt),
				   (uint64_t)UST_CACHELINE);
	l->data_off = UST_ALIGN_UP(l->free_off + (uint64_t)count * sizeof(uint32_t),
				   (uint64_t)UST_POOL_PAGE);
	l->size = UST_ALIGN_UP(l->data_off + (uint64_t)count * buf_size, (uint64_t)UST_POOL_PAGE);
	return l->size <= SIZE_MAX;
}

size_t ust_pool_region_size(uint32_t count, uint32_t buf_size)
{
	struct ust_pool_layout l;
	return ust_pool_layout(count, buf_size, &l) ? (size_t)l.size : 0;
}

static struct ust_pool *ust_pool_handle(void *base, const struct ust_pool_layout *l, uint32_t count,
					uint32_t buf_size, uint32_t headroom, int memfd)
{
	struct ust_pool *pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	pool->region = base;
	pool->meta = (struct ust_pkt *)(void *)((uint8_t *)base + l->meta_off);
	pool->free_stack = (uint32_t *)(void *)((uint8_t *)base + l->free_off);
	pool->data = (uint8_t *)base + l->data_off;
	pool->count = count;
	pool->buf_size = buf_size;
	pool->headroom = headroom;
	pool->region_size = (size_t)l->size;
	pool->memfd = memfd;
	return pool;
}

int ust_pool_create(struct ust_pool **out, const struct ust_pool_config *cfg)
{
	struct ust_pool_layout l;
	*out = NULL;
	if (!cfg || !ust_pool_layout(cfg->count, cfg->buf_size, &l) || cfg->headroom >= cfg->buf_size)
		return -EINVAL;

	int memfd = -1;
	void *base;
	if (cfg->shared) {
		memfd = memfd_create("ustack-pool", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (memfd < 0)
			return -errno;
		if (ftruncate(memfd, (off_t)l.size) < 0 ||
		    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0) {
			int err = -errno;
			close(memfd);
			return err;
		}
		base = mmap(NULL, (size_t)l.size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	} else {
		base = mmap(NULL, (size_t)l.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	}
	if (base == MAP_FAILED) {
		int err = -errno;
		if (memfd >= 0)
			close(memfd);
		return err;
	}

	struct ust_pool *pool = ust_pool_handle(base, &l, cfg->count, cfg->buf_size, cfg->headroom, memfd);
	if (!pool) {
		munmap(base, (size_t)l.size);
		if (memfd >= 0)
			close(memfd);
		return -ENOMEM;
	}

	/* Fresh mappings are zero-filled: only non-zero fields need writing. */
	for (uint32_t i = 0; i < cfg->count; i++) {
		pool->meta[i].index = i;
		pool->meta[i].next = UST_PKT_NONE;
		/* Pop order 0, 1, 2...: the stack top holds index 0. */
		pool->free_stack[i] = cfg->count - 1 - i;
	}
	struct ust_pool_region *r = pool->region;
	r->count = cfg->count;
	r->buf_size = cfg->buf_size;
	r->headroom = cfg->headroom;
	r->free_top = cfg->count;
	r->region_size = l.size;
	r->meta_off = l.meta_off;
	r->free_off = l.free_off;
	r->data_off = l.data_off;
	r->version = UST_POOL_VERSION;
	r->magic = UST_POOL_MAGIC;
	*out = pool;
	return 0;
}

int ust_pool_attach(struct ust_pool **out, int memfd)
{
	struct ust_pool_region hdr;
	struct ust_pool_layout l;
	struct stat st;
	*out = NULL;

	/* Read the header with pread so a bad one never shapes a mapping. */
	if (fstat(memfd, &st) < 0)
		return -errno;
	if (pread(memfd, &hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		return -EINVAL;
	if (hdr.magic != UST_POOL_MAGIC || hdr.version != UST_POOL_VERSION ||
	    !ust_pool_layout(hdr.count, hdr.buf_size, &l) || hdr.headroom >= hdr.buf_size ||
	    hdr.region_size != l.size || hdr.meta_off != l.meta_off || hdr.free_off != l.free_off ||
	    hdr.data_off != l.data_off || hdr.free_top > hdr.count)
		return -EINVAL;
	if (st.st_size < 0 || (uint64_t)st.st_size < l.size)
		return -EINVAL;
	/* Without this seal the creator could shrink the file and make our accesses fault. */
	int seals = fcntl(memfd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK))
		return -EINVAL;

	void *base = mmap(NULL, (size_t)l.size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (base == MAP_FAILED)
		return -errno;
	/* Sizes come from our validated copy; the live header is never trusted for them again. */
	struct ust_pool *pool = ust_pool_handle(base, &l, hdr.count, hdr.buf_size, hdr.headroom, -1);
	if (!pool) {
		munmap(base, (size_t)l.size);
		return -ENOMEM;
	}
	*out = pool;
	return 0;
}

void ust_pool_destroy(struct ust_pool *pool)
{
	if (!pool)
		return;
	munmap(pool->region, pool->region_size);
	if (pool->memfd >= 0)
		close(pool->memfd);
	free(pool);
}

/* Free-stack depth, clamped: a peer may have scribbled on it. */
static inline uint32_t ust_pool_free_top(const struct ust_pool *pool)
{
	uint32_t top = pool->region->free_top;
	return top <= pool->count ? top : 0;
}

int ust_pool_memfd(const struct ust_pool *pool)
{
	return pool->memfd;
}

uint32_t ust_pool_available(const struct ust_pool *pool)
{
	return ust_pool_free_top(pool);
}

struct ust_counter_group ust_pool_counter_group(const struct ust_pool *pool)
{
	return UST_COUNTER_GROUP("pool", ust_pool_counter_names, &pool->stats);
}

bool ust_pkt_valid(const struct ust_pool *pool, const struct ust_pkt *pkt)
{
	uintptr_t off = (uintptr_t)pkt - (uintptr_t)pool->meta;
	if ((uintptr_t)pkt < (uintptr_t)pool->meta || off % sizeof(*pkt) != 0 ||
	    off / sizeof(*pkt) >= pool->count)
		return false;
	return pkt->index == off / sizeof(*pkt) && pkt->head <= pool->buf_size &&
	       pkt->len <= pool->buf_size - pkt->head;
}

/* A fresh packet: one reference, empty data after the headroom, no flags. */
static inline struct ust_pkt *ust_pool_take(struct ust_pool *pool, uint32_t idx)
{
	struct ust_pkt *pkt = &pool->meta[idx];
	*pkt = (struct ust_pkt){ .index = idx, .refcnt = 1, .next = UST_PKT_NONE,
				 .head = pool->headroom };
	return pkt;
}

/* A free-stack entry is usable if it is in range and its buffer is unreferenced; anything
 * else (only a peer scribbling on a shared region can cause it) is dropped and counted. */
static inline bool ust_pool_entry_ok(struct ust_pool *pool, uint32_t idx)
{
	if (UST_LIKELY(idx < pool->count && pool->meta[idx].refcnt == 0))
		return true;
	pool->stats.bad_free++;
	return false;
}

static inline void ust_pool_note_in_use(struct ust_pool *pool, uint32_t top)
{
	uint64_t in_use = pool->count - top;
	if (in_use > pool->stats.in_use_max)
		pool->stats.in_use_max = in_use;
}

struct ust_pkt *ust_pkt_alloc(struct ust_pool *pool)
{
	uint32_t top = ust_pool_free_top(pool);
	while (top > 0) {
		uint32_t idx = pool->free_stack[--top];
		if (UST_LIKELY(ust_pool_entry_ok(pool, idx))) {
			pool->region->free_top = top;
			pool->stats.alloc++;
			ust_pool_note_in_use(pool, top);
			return ust_pool_take(pool, idx);
		}
	}
	pool->region->free_top = 0;
	pool->stats.alloc_fail++;
	return NULL;
}

unsigned ust_pkt_alloc_batch(struct ust_pool *pool, struct ust_pkt **out, unsigned n)
{
	uint32_t top = ust_pool_free_top(pool);
	unsigned got = 0;
	while (got < n && top > 0) {
		uint32_t idx = pool->free_stack[--top];
		if (UST_LIKELY(ust_pool_entry_ok(pool, idx)))
			out[got++] = ust_pool_take(pool, idx);
	}
	pool->region->free_top = top;
	if (got < n)
		pool->stats.alloc_fail++;
	pool->stats.alloc += got;
	ust_pool_note_in_use(pool, top);
	return got;
}

void ust_pkt_free(struct ust_pool *pool, struct ust_pkt *pkt)
{
	if (!pkt)
		return;
	/* Index from the pointer, not from pkt->index, which a peer may have rewritten. */
	uintptr_t off = (uintptr_t)pkt - (uintptr_t)pool->meta;
	if (UST_UNLIKELY((uintptr_t)pkt < (uintptr_t)pool->meta || off % sizeof(*pkt) != 0 ||
			 off / sizeof(*pkt) >= pool->count)) {
		pool->stats.bad_free++;
		return;
	}
	if (UST_UNLIKELY(pkt->refcnt == 0)) {
		pool->stats.double_free++;
		return;
	}
	if (--pkt->refcnt != 0)
		return;
	uint32_t top = pool->region->free_top;
	if (UST_UNLIKELY(top >= pool->count)) {
		/* More free entries than buffers: the stack is corrupt; do not write past it. */
		pool->stats.bad_free++;
		return;
	}
	pool->free_stack[top] = (uint32_t)(off / sizeof(*pkt));
	pool->region->free_top = top + 1;
	pool->stats.free++;
}

void ust_pkt_free_batch(struct ust_pool *pool, struct ust_pkt **pkts, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		ust_pkt_free(pool, pkts[i]);
}

void ust_pkt_queue_init(struct ust_pkt_queue *q)
{
	q->head = UST_PKT_NONE;
	q->tail = UST_PKT_NONE;
	q->count = 0;
	q->bytes = 0;
}

void ust_pkt_queue_push(const struct ust_pool *pool, struct ust_pkt_queue *q, struct ust_pkt *pkt)
{
	uint32_t idx = (uint32_t)(pkt - pool->meta);
	pkt->next = UST_PKT_NONE;
	if (q->tail == UST_PKT_NONE)
		q->head = idx;
	else
		pool->meta[q->tail].next = idx;
	q->tail = idx;
	q->count++;
	q->bytes += pkt->len;
}

struct ust_pkt *ust_pkt_queue_pop(const struct ust_pool *pool, struct ust_pkt_queue *q)
{
	if (q->head == UST_PKT_NONE)
		return NULL;
	struct ust_pkt *pkt = &pool->meta[q->head];
	q->head = pkt->next;
	if (q->head == UST_PKT_NONE)
		q->tail = UST_PKT_NONE;
	pkt->next = UST_PKT_NONE;
	q->count--;
	q->bytes -= pkt->len;
	return pkt;
}

struct ust_pkt *ust_pkt_queue_peek(const struct ust_pool *pool, const struct ust_pkt_queue *q)
{
	return q->head == UST_PKT_NONE ? NULL : &pool->meta[q->head];
}

void ust_pkt_queue_purge(struct ust_pool *pool, struct ust_pkt_queue *q)
{
	struct ust_pkt *pkt;
	while ((pkt = ust_pkt_queue_pop(pool, q)) != NULL)
		ust_pkt_free(pool, pkt);
}
