/*
 * Unit tests for core/pktbuf: pool creation and limits, alloc/free accounting, refcounts,
 * headroom/tailroom arithmetic, shared (memfd) pools across fork, validation of hostile
 * regions on attach, and the index-linked packet queue.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/pktbuf.h"

static struct ust_pool *make_pool(uint32_t count, uint32_t buf_size, uint32_t headroom, bool shared)
{
	struct ust_pool *pool = NULL;
	struct ust_pool_config cfg = { .count = count, .buf_size = buf_size, .headroom = headroom,
				       .shared = shared };
	assert_int_equal(ust_pool_create(&pool, &cfg), 0);
	assert_non_null(pool);
	return pool;
}

static void test_create_both_sizes(void **state)
{
	(void)state;
	const uint32_t sizes[] = { UST_PKT_BUF_SIZE_DEFAULT, UST_PKT_BUF_SIZE_BIG, UST_PKT_BUF_SIZE_MAX };
	for (unsigned s = 0; s < 3; s++) {
		for (int shared = 0; shared <= 1; shared++) {
			struct ust_pool *pool = make_pool(64, sizes[s], UST_PKT_HEADROOM_DEFAULT, shared);
			assert_int_equal(ust_pool_available(pool), 64);
			assert_int_equal(pool->buf_size, sizes[s]);
			assert_true(pool->region_size >= ust_pool_region_size(64, sizes[s]));
			assert_int_equal(ust_pool_memfd(pool) >= 0, shared);
			/* Every buffer is 64-byte aligned and writable end to end. */
			struct ust_pkt *pkts[64];
			assert_int_equal(ust_pkt_alloc_batch(pool, pkts, 64), 64);
			for (unsigned i = 0; i < 64; i++) {
				uint8_t *buf = ust_pkt_buf(pool, pkts[i]);
				assert_int_equal((uintptr_t)buf % 64, 0);
				assert_int_equal((uintptr_t)ust_pkt_data(pool, pkts[i]) % 64, 0);
				buf[0] = (uint8_t)i;
				buf[sizes[s] - 1] = (uint8_t)i;
			}
			for (unsigned i = 0; i < 64; i++) {
				uint8_t *buf = ust_pkt_buf(pool, pkts[i]);
				assert_int_equal(buf[0], (uint8_t)i);
				assert_int_equal(buf[sizes[s] - 1], (uint8_t)i);
			}
			ust_pkt_free_batch(pool, pkts, 64);
			assert_int_equal(ust_pool_available(pool), 64);
			ust_pool_destroy(pool);
		}
	}
	ust_pool_destroy(NULL);
}

static void test_invalid_configs(void **state)
{
	(void)state;
	struct ust_pool_config bad[] = {
		{ .count = 0, .buf_size = 2048, .headroom = 128 },
		{ .count = UST_POOL_COUNT_MAX + 1, .buf_size = 2048, .headroom = 128 },
		{ .count = 16, .buf_size = 2048, .headroom = 2048 },
		{ .count = 16, .buf_size = 2048, .headroom = 4096 },
		{ .count = 16, .buf_size = 0, .headroom = 0 },
		{ .count = 16, .buf_size = 32, .headroom = 0 },
		{ .count = 16, .buf_size = 2000, .headroom = 0 },	/* not a multiple of 64 */
		{ .count = 16, .buf_size = UST_PKT_BUF_SIZE_MAX + 64, .headroom = 0 },
		{ .count = 16, .buf_size = 2048, .headroom = 3000, .shared = true },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ust_pool *pool = (struct ust_pool *)1;
		assert_int_equal(ust_pool_create(&pool, &bad[i]), -EINVAL);
		assert_null(pool);
	}
	assert_int_equal(ust_pool_region_size(0, 2048), 0);
	assert_int_equal(ust_pool_region_size(1, 100), 0);
	assert_true(ust_pool_region_size(1, 2048) >= 2048);
	assert_int_equal(ust_pool_region_size(8, 2048) % 4096, 0);
}

static void test_exhaustion_and_stats(void **state)
{
	(void)state;
	struct ust_pool *pool = make_pool(8, 2048, 128, false);
	struct ust_pkt *pkts[8];
	for (unsigned i = 0; i < 8; i++) {
		pkts[i] = ust_pkt_alloc(pool);
		assert_non_null(pkts[i]);
		for (unsigned j = 0; j < i; j++)
			assert_ptr_not_equal(pkts[i], pkts[j]);
	}
	assert_null(ust_pkt_alloc(pool));
	assert_null(ust_pkt_alloc(pool));
	assert_int_equal(pool->stats.alloc, 8);
	assert_int_equal(pool->stats.alloc_fail, 2);
	assert_int_equal(pool->stats.in_use_max, 8);
	assert_int_equal(ust_pool_available(pool), 0);

	ust_pkt_free(pool, pkts[3]);
	assert_int_equal(ust_pool_available(pool), 1);
	struct ust_pkt *again = ust_pkt_alloc(pool);
	assert_ptr_equal(again, pkts[3]);	/* LIFO: warmest buffer first */
	for (unsigned i = 0; i < 8; i++)
		ust_pkt_free(pool, pkts[i]);
	assert_int_equal(pool->stats.free, 9);
	assert_int_equal(ust_pool_available(pool), 8);
	assert_int_equal(pool->stats.in_use_max, 8);

	/* Named counters carry the same values. */
	struct ust_counter_group g = ust_pool_counter_group(pool);
	assert_string_equal(g.group, "pool");
	assert_int_equal(g.count, 6);
	assert_string_equal(g.names[2], "alloc_fail");
	assert_int_equal(g.values[2], 2);
	ust_pool_destroy(pool);
}

static void test_alloc_resets_metadata(void **state)
{
	(void)state;
	struct ust_pool *pool = make_pool(1, 2048, 100, false);
	struct ust_pkt *pkt = ust_pkt_alloc(pool);
	pkt->flags = UST_PKT_F_CSUM_PARTIAL;
	pkt->gso_size = 1448;
	pkt->timestamp = 77;
	pkt->user = 5;
	ust_pkt_put(pool, pkt, 300);
	ust_pkt_free(pool, pkt);
	pkt = ust_pkt_alloc(pool);
	assert_int_equal(pkt->refcnt, 1);
	assert_int_equal(pkt->head, 100);
	assert_int_equal(pkt->len, 0);
	assert_int_equal(pkt->flags, 0);
	assert_int_equal(pkt->gso_size, 0);
	assert_int_equal(pkt->timestamp, 0);
	assert_int_equal(pkt->user, 0);
	assert_int_equal(pkt->next, UST_PKT_NONE);
	assert_int_equal(pkt->index, 0);
	assert_true(ust_pkt_valid(pool, pkt));
	ust_pkt_free(pool, pkt);
	ust_pool_destroy(pool);
}

static void test_refcount_and_double_free(void **state)
{
	(void)state;
	struct ust_pool *pool = make_pool(4, 2048, 128, false);
	struct ust_pkt *pkt = ust_pkt_alloc(pool);
	assert_false(ust_pkt_shared(pkt));
	ust_pkt_ref(pkt);
	ust_pkt_ref(pkt);
	assert_true(ust_pkt_shared(pkt));
	ust_pkt_free(pool, pkt);
	ust_pkt_free(pool, pkt);
	assert_int_equal(ust_pool_available(pool), 3);	/* still held once */
	assert_false(ust_pkt_shared(pkt));
	ust_pkt_free(pool, pkt);
	assert_int_equal(ust_pool_available(pool), 4);
	assert_int_equal(pool->stats.free, 1);

	/* Double free: refused and counted, the free stack keeps 4 distinct entries. */
	ust_pkt_free(pool, pkt);
	assert_int_equal(pool->stats.double_free, 1);
	assert_int_equal(ust_pool_available(pool), 4);
	struct ust_pkt *pkts[5];
	assert_int_equal(ust_pkt_alloc_batch(pool, pkts, 5), 4);
	for (unsigned i = 0; i < 4; i++)
		for (unsigned j = 0; j < i; j++)
			assert_ptr_not_equal(pkts[i], pkts[j]);

	/* A packet of another pool, or a misaligned pointer, is refused and counted. */
	struct ust_pool *other = make_pool(2, 2048, 128, false);
	struct ust_pkt *foreign = ust_pkt_alloc(other);
	ust_pkt_free(pool, foreign);
	ust_pkt_free(pool, (struct ust_pkt *)(void *)((char *)pkts[0] + 4));
	assert_int_equal(pool->stats.bad_free, 2);
	assert_int_equal(foreign->refcnt, 1);
	ust_pkt_free(other, foreign);
	ust_pkt_free(pool, NULL);
	ust_pkt_free_batch(pool, pkts, 4);
	assert_int_equal(ust_pool_available(pool), 4);
	ust_pool_destroy(other);
	ust_pool_destroy(pool);
}

static void test_batch(void **state)
{
	(void)state;
	struct ust_pool *pool = make_pool(100, 2048, 128, false);
	struct ust_pkt *a[32], *b[32], *c[64];
	assert_int_equal(ust_pkt_alloc_batch(pool, a, 32), 32);
	assert_int_equal(ust_pkt_alloc_batch(pool, b, 32), 32);
	assert_int_equal(ust_pkt_alloc_batch(pool, c, 64), 36);	/* only 36 left */
	assert_int_equal(pool->stats.alloc, 100);
	assert_int_equal(pool->stats.alloc_fail, 1);
	assert_int_equal(ust_pkt_alloc_batch(pool, c + 36, 1), 0);
	assert_int_equal(pool->stats.alloc_fail, 2);
	ust_pkt_free_batch(pool, b, 32);
	assert_int_equal(ust_pool_available(pool), 32);
	ust_pkt_free_batch(pool, a, 32);
	ust_pkt_free_batch(pool, c, 36);
	assert_int_equal(ust_pool_available(pool), 100);
	assert_int_equal(pool->stats.free, 100);
	assert_int_equal(pool->stats.in_use_max, 100);
	assert_int_equal(ust_pkt_alloc_batch(pool, a, 0), 0);
	ust_pool_destroy(pool);
}

static void test_push_put_pull_trim(void **state)
{
	(void)state;
	struct ust_pool *pool = make_pool(2, 2048, 128, false);
	struct ust_pkt *pkt = ust_pkt_alloc(pool);
	uint8_t *buf = ust_pkt_buf(pool, pkt);
	assert_int_equal(ust_pkt_headroom(pkt), 128);
	assert_int_equal(ust_pkt_tailroom(pool, pkt), 2048 - 128);

	/* Tailroom boundary: exactly fills, one more byte refused. */
	uint8_t *p = ust_pkt_put(pool, pkt, 1000);
	assert_ptr_equal(p, buf + 128);
	memset(p, 0xab, 1000);
	assert_null(ust_pkt_put(pool, pkt, 2048 - 128 - 1000 + 1));
	assert_int_equal(pkt->len, 1000);
	p = ust_pkt_put(pool, pkt, 2048 - 128 - 1000);
	assert_ptr_equal(p, buf + 1128);
	assert_int_equal(ust_pkt_tailroom(pool, pkt), 0);
	assert_null(ust_pkt_put(pool, pkt, 1));

	/* Headroom boundary. */
	assert_null(ust_pkt_push(pool, pkt, 129));
	p = ust_pkt_push(pool, pkt, 28);
	assert_ptr_equal(p, buf + 100);
	assert_int_equal(pkt->len, 1948);
	p = ust_pkt_push(pool, pkt, 100);
	assert_ptr_equal(p, buf);
	assert_int_equal(ust_pkt_headroom(pkt), 0);
	assert_null(ust_pkt_push(pool, pkt, 1));
	assert_int_equal(pkt->len, 2048);

	ust_pkt_pull(pkt, 128);
	assert_ptr_equal(ust_pkt_data(pool, pkt), buf + 128);
	assert_int_equal(ust_pkt_data(pool, pkt)[0], 0xab);
	assert_int_equal(pkt->len, 1920);
	ust_pkt_trim(pkt, 10);
	assert_int_equal(pkt->len, 10);
	assert_int_equal(ust_pkt_tailroom(pool, pkt), 2048 - 128 - 10);
	assert_true(ust_pkt_valid(pool, pkt));
	ust_pkt_pull(pkt, 10);
	assert_int_equal(pkt->len, 0);
	assert_non_null(ust_pkt_put(pool, pkt, 0));

	/* Zero headroom pool: push refused at once. */
	struct ust_pool *flat = make_pool(1, 64, 0, false);
	struct ust_pkt *f = ust_pkt_alloc(flat);
	assert_null(ust_pkt_push(flat, f, 1));
	assert_non_null(ust_pkt_put(flat, f, 64));
	ust_pkt_free(flat, f);
	ust_pool_destroy(flat);
	ust_pkt_free(pool, pkt);
	ust_pool_destroy(pool);
}

static void test_pkt_valid(void **state)
{
	(void)state;
	struct ust_pool *pool = make_pool(4, 2048, 128, true);
	struct ust_pkt *pkt = ust_pkt_alloc(pool);
	assert_true(ust_pkt_valid(pool, pkt));
	pkt->index = 3;	/* as a hostile peer could */
	assert_false(ust_pkt_valid(pool, pkt));
	pkt->index = 0;
	pkt->len = 2048 - 128 + 1;
	assert_false(ust_pkt_valid(pool, pkt));
	pkt->len = 0;
	pkt->head = 4096;
	assert_false(ust_pkt_valid(pool, pkt));
	pkt->head = 128;
	assert_false(ust_pkt_valid(pool, pool->meta + 4));
	ust_pkt_free(pool, pkt);
	ust_pool_destroy(pool);
}

/* A child maps the pool from its memfd, writes a packet, and hands the index back by pipe. */
static void test_memfd_fork(void **state)
{
	(void)state;
	struct ust_pool *pool = make_pool(32, 2048, 128, true);
	int pipefd[2];
	assert_int_equal(pipe(pipefd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ust_pool *child = NULL;
		if (ust_pool_attach(&child, pool->memfd) != 0)
			_exit(10);
		if (child->count != 32 || child->buf_size != 2048 || child->headroom != 128 ||
		    child->data == pool->data)
			_exit(11);
		struct ust_pkt *pkt = ust_pkt_alloc(child);
		struct ust_pkt *pkt2 = ust_pkt_alloc(child);
		if (!pkt || !pkt2)
			_exit(12);
		ust_pkt_free(child, pkt);	/* so the one we send is not index 0 */
		uint8_t *p = ust_pkt_put(child, pkt2, 1500);
		for (unsigned i = 0; i < 1500; i++)
			p[i] = (uint8_t)(i * 7 + 3);
		uint8_t *h = ust_pkt_push(child, pkt2, 14);
		memset(h, 0xee, 14);
		uint32_t idx = pkt2->index;
		if (write(pipefd[1], &idx, sizeof(idx)) != sizeof(idx))
			_exit(13);
		ust_pool_destroy(child);
		_exit(0);
	}
	close(pipefd[1]);
	uint32_t idx = UST_PKT_NONE;
	assert_int_equal(read(pipefd[0], &idx, sizeof(idx)), sizeof(idx));
	close(pipefd[0]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	struct ust_pkt *pkt = ust_pool_pkt_checked(pool, idx);
	assert_non_null(pkt);
	assert_int_equal(idx, 1);
	assert_true(ust_pkt_valid(pool, pkt));
	assert_int_equal(pkt->refcnt, 1);
	assert_int_equal(pkt->len, 1514);
	const uint8_t *d = ust_pkt_data(pool, pkt);
	for (unsigned i = 0; i < 14; i++)
		assert_int_equal(d[i], 0xee);
	for (unsigned i = 0; i < 1500; i++)
		assert_int_equal(d[14 + i], (uint8_t)(i * 7 + 3));
	/* The child's allocations are visible in the shared free stack. */
	assert_int_equal(ust_pool_available(pool), 31);
	assert_null(ust_pool_pkt_checked(pool, 32));
	ust_pkt_free(pool, pkt);
	assert_int_equal(ust_pool_available(pool), 32);
	ust_pool_destroy(pool);
}

static void test_attach_in_process(void **state)
{
	(void)state;
	struct ust_pool *pool = make_pool(16, 65536, 256, true);
	struct ust_pool *view = NULL;
	assert_int_equal(ust_pool_attach(&view, ust_pool_memfd(pool)), 0);
	assert_int_equal(ust_pool_memfd(view), -1);
	struct ust_pkt *pkt = ust_pkt_alloc(pool);
	memcpy(ust_pkt_put(pool, pkt, 5), "hello", 5);
	struct ust_pkt *seen = ust_pool_pkt_checked(view, pkt->index);
	assert_memory_equal(ust_pkt_data(view, seen), "hello", 5);
	assert_int_equal(ust_pool_available(view), 15);
	ust_pool_destroy(view);
	ust_pkt_free(pool, pkt);
	ust_pool_destroy(pool);
}

/* Copy a valid region's header into a fresh memfd, let `mutate` damage it, try to attach. */
struct corruption {
	const char *what;
	size_t offset;		/* byte offset of a 32- or 64-bit field in the header */
	uint64_t value;
	unsigned width;
	long size_delta;	/* change of file size relative to the valid one */
	bool seal;
};

static int attach_modified(const struct ust_pool *pool, const struct corruption *c)
{
	int fd = memfd_create("ust-test-pool", MFD_ALLOW_SEALING);
	assert_true(fd >= 0);
	size_t size = (size_t)((long)pool->region_size + c->size_delta);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	size_t copy = size < 4096 ? size : 4096;
	uint8_t hdr[4096];
	memcpy(hdr, pool->region, copy);
	if (c->width == 4) {
		uint32_t v = (uint32_t)c->value;
		memcpy(hdr + c->offset, &v, 4);
	} else if (c->width == 8) {
		memcpy(hdr + c->offset, &c->value, 8);
	}
	assert_int_equal(pwrite(fd, hdr, copy, 0), (ssize_t)copy);
	if (c->seal)
		assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	struct ust_pool *view = (struct ust_pool *)1;
	int rc = ust_pool_attach(&view, fd);
	if (rc == 0)
		ust_pool_destroy(view);
	else
		assert_null(view);
	close(fd);
	return rc;
}

static void test_attach_refuses_bad_regions(void **state)
{
	(void)state;
	struct ust_pool *pool = make_pool(64, 2048, 128, true);
	/* Header layout: magic, version, count, buf_size, headroom, free_top (u32),
	 * region_size, meta_off, free_off, data_off (u64). */
	const struct corruption ok = { "unchanged copy", 0, 0, 0, 0, true };
	assert_int_equal(attach_modified(pool, &ok), 0);
	const struct corruption bad[] = {
		{ "magic", 0, 0x12345678, 4, 0, true },
		{ "version", 4, 99, 4, 0, true },
		{ "count zero", 8, 0, 4, 0, true },
		{ "count huge", 8, 0x7fffffff, 4, 0, true },
		{ "count larger than file", 8, 65, 4, 0, true },
		{ "buf_size larger than file", 12, 4096, 4, 0, true },
		{ "buf_size unaligned", 12, 2047, 4, 0, true },
		{ "buf_size huge", 12, 0x80000000u, 4, 0, true },
		{ "headroom >= buf_size", 16, 2048, 4, 0, true },
		{ "free_top > count", 20, 65, 4, 0, true },
		{ "region_size mismatch", 24, 1u << 30, 8, 0, true },
		{ "meta_off moved", 32, 8, 8, 0, true },
		{ "free_off moved", 40, 1ull << 40, 8, 0, true },
		{ "data_off moved", 48, 0, 8, 0, true },
		{ "truncated file", 0, 0, 0, -4096, true },
		{ "header only", 0, 0, 0, -(long)pool->region_size + 16, true },
		{ "not sealed", 0, 0, 0, 0, false },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = attach_modified(pool, &bad[i]);
		if (rc != -EINVAL)
			fail_msg("attach accepted a region with bad %s (rc %d)", bad[i].what, rc);
	}
	/* Not a memfd at all. */
	struct ust_pool *view = NULL;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_true(ust_pool_attach(&view, fds[0]) < 0);
	close(fds[0]);
	close(fds[1]);
	assert_true(ust_pool_attach(&view, -1) < 0);
	ust_pool_destroy(pool);
}

/* A peer that scribbles on the free stack can starve us but never redirect our writes. */
static void test_corrupt_free_stack(void **state)
{
	(void)state;
	struct ust_pool *pool = make_pool(8, 2048, 128, true);
	pool->free_stack[7] = 1000;	/* the next pop: out of range */
	pool->free_stack[6] = 3;	/* a duplicate of a later entry */
	struct ust_pkt *pkts[8];
	unsigned n = ust_pkt_alloc_batch(pool, pkts, 8);
	for (unsigned i = 0; i < n; i++) {
		assert_true(pkts[i] >= pool->meta && pkts[i] < pool->meta + 8);
		for (unsigned j = 0; j < i; j++)
			assert_ptr_not_equal(pkts[i], pkts[j]);
	}
	assert_true(n < 8);
	assert_true(pool->stats.bad_free >= 1);
	ust_pkt_free_batch(pool, pkts, n);
	/* free_top beyond count reads as empty and refuses pushes beyond the array. */
	*(volatile uint32_t *)((uint8_t *)pool->region + 20) = 1000000;
	assert_int_equal(ust_pool_available(pool), 0);
	assert_null(ust_pkt_alloc(pool));
	ust_pool_destroy(pool);
}

static void test_queue(void **state)
{
	(void)state;
	struct ust_pool *pool = make_pool(16, 2048, 128, false);
	struct ust_pkt_queue q;
	ust_pkt_queue_init(&q);
	assert_null(ust_pkt_queue_peek(pool, &q));
	assert_null(ust_pkt_queue_pop(pool, &q));
	struct ust_pkt *pkts[10];
	for (unsigned i = 0; i < 10; i++) {
		pkts[i] = ust_pkt_alloc(pool);
		ust_pkt_put(pool, pkts[i], 100 + i);
		ust_pkt_queue_push(pool, &q, pkts[i]);
	}
	assert_int_equal(q.count, 10);
	assert_int_equal(q.bytes, 1045);
	assert_ptr_equal(ust_pkt_queue_peek(pool, &q), pkts[0]);
	for (unsigned i = 0; i < 4; i++) {
		struct ust_pkt *p = ust_pkt_queue_pop(pool, &q);
		assert_ptr_equal(p, pkts[i]);
		assert_int_equal(p->next, UST_PKT_NONE);
		ust_pkt_free(pool, p);
	}
	assert_int_equal(q.count, 6);
	assert_int_equal(q.bytes, 1045 - 100 - 101 - 102 - 103);
	/* Drain to empty and reuse: FIFO order holds across the empty state. */
	for (unsigned i = 4; i < 10; i++)
		assert_ptr_equal(ust_pkt_queue_pop(pool, &q), pkts[i]);
	assert_int_equal(q.count, 0);
	assert_int_equal(q.bytes, 0);
	assert_null(ust_pkt_queue_pop(pool, &q));
	for (unsigned i = 4; i < 10; i++)
		ust_pkt_queue_push(pool, &q, pkts[i]);
	assert_ptr_equal(ust_pkt_queue_peek(pool, &q), pkts[4]);

	/* A shared packet in the queue: purge drops only the queue's reference. */
	ust_pkt_ref(pkts[5]);
	ust_pkt_queue_purge(pool, &q);
	assert_int_equal(q.count, 0);
	assert_int_equal(q.bytes, 0);
	assert_null(ust_pkt_queue_peek(pool, &q));
	assert_int_equal(ust_pool_available(pool), 15);
	assert_int_equal(pkts[5]->refcnt, 1);
	ust_pkt_free(pool, pkts[5]);
	assert_int_equal(ust_pool_available(pool), 16);
	assert_int_equal(pool->stats.double_free, 0);
	ust_pool_destroy(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_both_sizes),
		cmocka_unit_test(test_invalid_configs),
		cmocka_unit_test(test_exhaustion_and_stats),
		cmocka_unit_test(test_alloc_resets_metadata),
		cmocka_unit_test(test_refcount_and_double_free),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_push_put_pull_trim),
		cmocka_unit_test(test_pkt_valid),
		cmocka_unit_test(test_memfd_fork),
		cmocka_unit_test(test_attach_in_process),
		cmocka_unit_test(test_attach_refuses_bad_regions),
		cmocka_unit_test(test_corrupt_free_stack),
		cmocka_unit_test(test_queue),
	};
	return cmocka_run_group_tests_name("core_pool", tests, NULL, NULL);
}
