/*
 * Pair link: frames cross intact both ways, fixed delay holds them until due on a virtual
 * clock, the queue limit tail-drops and counts, the impairment hook drops, duplicates,
 * reorders and corrupts, a link stage delays, receiver pool exhaustion is counted, and
 * closing the ends returns every buffer. Also: spec parsing errors of ust_backend_open.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "io/backend.h"
#include "io/backend_impl.h"

#define POOL_COUNT 64u
#define MS 1000000ull

struct fixture {
	struct ust_pool *pool_a;
	struct ust_pool *pool_b;
	struct ust_backend *a;
	struct ust_backend *b;
};

static struct ust_pool *make_pool(uint32_t count)
{
	struct ust_pool_config pc = { .count = count, .buf_size = 2048, .headroom = 128 };
	struct ust_pool *pool = NULL;
	assert_int_equal(ust_pool_create(&pool, &pc), 0);
	return pool;
}

static void open_pair(struct fixture *f, const struct ust_pair_config *cfg, uint32_t count_b)
{
	f->pool_a = make_pool(POOL_COUNT);
	f->pool_b = make_pool(count_b);
	assert_int_equal(ust_pair_create(&f->a, &f->b, f->pool_a, f->pool_b, cfg), 0);
	assert_int_equal(ust_backend_fd(f->a), -1);
}

/* Close both ends and check that no buffer is left behind in either pool. */
static void close_pair(struct fixture *f, uint32_t count_b)
{
	ust_backend_close(f->a);
	ust_backend_close(f->b);
	assert_int_equal(ust_pool_available(f->pool_a), POOL_COUNT);
	assert_int_equal(ust_pool_available(f->pool_b), count_b);
	ust_pool_destroy(f->pool_a);
	ust_pool_destroy(f->pool_b);
}

/* A frame of len bytes: Ethernet header to a unicast MAC, then byte i = seq + i. */
static struct ust_pkt *make_frame(struct ust_pool *pool, uint8_t seq, uint32_t len)
{
	struct ust_pkt *pkt = ust_pkt_alloc(pool);
	assert_non_null(pkt);
	uint8_t *p = ust_pkt_put(pool, pkt, len);
	assert_non_null(p);
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seq + i);
	p[0] = 0x02;	/* unicast, locally administered */
	return pkt;
}

static void send_frame(struct ust_backend *be, uint8_t seq, uint32_t len, uint64_t now)
{
	struct ust_pkt *pkt = make_frame(be->pool, seq, len);
	ust_backend_tx(be, &pkt, 1, now);
}

/* Receive everything due at now into seqs[] (byte 1 of each frame); returns the count. */
static unsigned receive_seqs(struct ust_backend *be, uint64_t now, uint8_t *seqs, unsigned max)
{
	struct ust_pkt *pkts[16];
	unsigned total = 0;
	unsigned got;
	while ((got = ust_backend_rx(be, pkts, 16, now)) > 0) {
		for (unsigned i = 0; i < got; i++) {
			assert_true(total < max);
			seqs[total++] = (uint8_t)(ust_pkt_data(be->pool, pkts[i])[1] - 1);
		}
		ust_pkt_free_batch(be->pool, pkts, got);
	}
	return total;
}

static void test_pair_bytes_both_ways(void **state)
{
	(void)state;
	struct fixture f;
	open_pair(&f, NULL, POOL_COUNT);
	assert_int_equal(f.a->mtu, 1500);

	send_frame(f.a, 7, 1514, 0);
	send_frame(f.b, 9, 60, 0);

	struct ust_pkt *pkt;
	assert_int_equal(ust_backend_rx(f.b, &pkt, 1, 0), 1);
	assert_int_equal(pkt->len, 1514);
	const uint8_t *p = ust_pkt_data(f.pool_b, pkt);
	assert_int_equal(p[0], 0x02);
	for (uint32_t i = 1; i < 1514; i++)
		assert_int_equal(p[i], (uint8_t)(7 + i));
	ust_pkt_free(f.pool_b, pkt);

	assert_int_equal(ust_backend_rx(f.a, &pkt, 1, 0), 1);
	assert_int_equal(pkt->len, 60);
	p = ust_pkt_data(f.pool_a, pkt);
	for (uint32_t i = 1; i < 60; i++)
		assert_int_equal(p[i], (uint8_t)(9 + i));
	ust_pkt_free(f.pool_a, pkt);

	/* Nothing else arrives; counters saw one frame each way. */
	assert_int_equal(ust_backend_rx(f.b, &pkt, 1, 0), 0);
	assert_int_equal(f.a->counters.tx_packets, 1);
	assert_int_equal(f.a->counters.tx_bytes, 1514);
	assert_int_equal(f.b->counters.rx_packets, 1);
	assert_int_equal(f.b->counters.rx_bytes, 1514);
	assert_int_equal(f.b->counters.tx_packets, 1);
	assert_int_equal(f.a->counters.rx_bytes, 60);

	/* A frame larger than the MTU allows is refused and counted. */
	send_frame(f.a, 1, 1600, 0);
	assert_int_equal(f.a->counters.tx_dropped, 1);
	assert_int_equal(f.a->counters.tx_packets, 1);
	assert_int_equal(ust_backend_rx(f.b, &pkt, 1, 0), 0);
	close_pair(&f, POOL_COUNT);
}

static void test_pair_broadcast_flag(void **state)
{
	(void)state;
	struct fixture f;
	open_pair(&f, NULL, POOL_COUNT);
	struct ust_pkt *pkt = make_frame(f.pool_a, 0, 60);
	memset(ust_pkt_data(f.pool_a, pkt), 0xff, 6);
	ust_backend_tx(f.a, &pkt, 1, 0);
	assert_int_equal(ust_backend_rx(f.b, &pkt, 1, 0), 1);
	assert_true(pkt->flags & UST_PKT_F_BROADCAST);
	ust_pkt_free(f.pool_b, pkt);
	close_pair(&f, POOL_COUNT);
}

/* Ones' complement checksum over len bytes, folded and complemented. */
static uint16_t inet_checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A frame asking for checksum offload on a link without it gets its checksum in software. */
static void test_pair_finishes_partial_checksum(void **state)
{
	(void)state;
	struct fixture f;
	open_pair(&f, NULL, POOL_COUNT);
	/* Ethernet + IPv4 (10.0.0.1 -> 10.0.0.2) + UDP 1000 -> 2000 with 7 bytes "payload". */
	static const uint8_t frame[] = {
		0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00,
		0x45, 0, 0, 35, 0, 1, 0x40, 0, 64, 17, 0x26, 0xc4, 10, 0, 0, 1, 10, 0, 0, 2,
		0x03, 0xe8, 0x07, 0xd0, 0, 15, 0, 0, 'p', 'a', 'y', 'l', 'o', 'a', 'd',
	};
	uint8_t pseudo[12] = { 10, 0, 0, 1, 10, 0, 0, 2, 0, 17, 0, 15 };
	uint8_t seeded[sizeof(frame)];
	memcpy(seeded, frame, sizeof(frame));
	uint16_t seed = (uint16_t)~inet_checksum(pseudo, sizeof(pseudo));
	seeded[40] = (uint8_t)(seed >> 8);
	seeded[41] = (uint8_t)seed;

	struct ust_pkt *pkt = ust_pkt_alloc(f.pool_a);
	memcpy(ust_pkt_put(f.pool_a, pkt, sizeof(seeded)), seeded, sizeof(seeded));
	pkt->flags = UST_PKT_F_CSUM_PARTIAL;
	pkt->csum_start = 34;
	pkt->csum_offset = 6;
	ust_backend_tx(f.a, &pkt, 1, 0);

	assert_int_equal(ust_backend_rx(f.b, &pkt, 1, 0), 1);
	const uint8_t *p = ust_pkt_data(f.pool_b, pkt);
	/* A receiver's check: pseudo-header + UDP sums to 0xffff. */
	uint8_t whole[12 + 15];
	memcpy(whole, pseudo, 12);
	memcpy(whole + 12, p + 34, 15);
	assert_int_equal(inet_checksum(whole, sizeof(whole)), 0);
	assert_memory_equal(p, frame, 40);
	assert_memory_equal(p + 42, frame + 42, sizeof(frame) - 42);
	ust_pkt_free(f.pool_b, pkt);
	close_pair(&f, POOL_COUNT);
}

/*
 * The software fallback when the sum comes out zero: TCP's field keeps 0x0000 (RFC 1624; tshark
 * warns about 0xffff), UDP's becomes 0xffff (RFC 768: zero there means "no checksum").
 */
static uint16_t finish_zero_sum(uint16_t csum_offset)
{
	struct ust_pool *pool = make_pool(4);
	struct ust_pkt *pkt = ust_pkt_alloc(pool);
	const uint32_t start = 34, len = start + 24;
	uint8_t *d = ust_pkt_put(pool, pkt, len);
	memset(d, 0, start);
	for (uint32_t i = start; i < len; i++)
		d[i] = (uint8_t)(i * 7 + 1);
	d[start + csum_offset] = d[start + csum_offset + 1] = 0;
	d[start + 20] = d[start + 21] = 0;
	/* The word at start + 20 makes everything from start sum to 0xffff. */
	uint16_t fill = inet_checksum(d + start, len - start);
	d[start + 20] = (uint8_t)(fill >> 8);
	d[start + 21] = (uint8_t)fill;
	pkt->flags = UST_PKT_F_CSUM_PARTIAL;
	pkt->csum_start = (uint16_t)start;
	pkt->csum_offset = csum_offset;
	ust__backend_finish_csum(pool, pkt);
	assert_int_equal(pkt->flags & UST_PKT_F_CSUM_PARTIAL, 0);
	uint16_t field = (uint16_t)(d[start + csum_offset] << 8 | d[start + csum_offset + 1]);
	ust_pkt_free(pool, pkt);
	ust_pool_destroy(pool);
	return field;
}

static void test_finish_csum_zero_result(void **state)
{
	(void)state;
	assert_int_equal(finish_zero_sum(16), 0x0000);	/* TCP */
	assert_int_equal(finish_zero_sum(6), 0xffff);	/* UDP */
}

static void test_pair_delay_holds_until_due(void **state)
{
	(void)state;
	struct fixture f;
	struct ust_pair_config cfg = { .delay_ns = 5 * MS };
	open_pair(&f, &cfg, POOL_COUNT);
	assert_int_equal(ust_backend_next_deadline(f.b), UINT64_MAX);

	send_frame(f.a, 1, 100, 1 * MS);
	send_frame(f.a, 2, 100, 2 * MS);
	assert_int_equal(ust_backend_next_deadline(f.b), 6 * MS);
	assert_int_equal(ust_backend_next_deadline(f.a), UINT64_MAX);

	uint8_t seqs[8];
	assert_int_equal(receive_seqs(f.b, 6 * MS - 1, seqs, 8), 0);
	assert_int_equal(receive_seqs(f.b, 6 * MS, seqs, 8), 1);
	assert_int_equal(seqs[0], 1);
	assert_int_equal(ust_backend_next_deadline(f.b), 7 * MS);
	assert_int_equal(receive_seqs(f.b, 100 * MS, seqs, 8), 1);
	assert_int_equal(seqs[0], 2);
	assert_int_equal(ust_backend_next_deadline(f.b), UINT64_MAX);
	close_pair(&f, POOL_COUNT);
}

static void test_pair_queue_limit_tail_drops(void **state)
{
	(void)state;
	struct fixture f;
	struct ust_pair_config cfg = { .queue_limit = 3 };
	open_pair(&f, &cfg, POOL_COUNT);

	struct ust_pkt *pkts[5];
	for (uint8_t i = 0; i < 5; i++)
		pkts[i] = make_frame(f.pool_a, i, 80);
	ust_backend_tx(f.a, pkts, 5, 0);
	assert_int_equal(f.a->counters.tx_dropped, 2);
	assert_int_equal(f.a->counters.tx_packets, 3);
	assert_int_equal(f.a->counters.tx_bytes, 240);

	uint8_t seqs[8];
	assert_int_equal(receive_seqs(f.b, 0, seqs, 8), 3);
	assert_int_equal(seqs[0], 0);
	assert_int_equal(seqs[1], 1);
	assert_int_equal(seqs[2], 2);
	/* The queue has room again. */
	send_frame(f.a, 9, 80, 0);
	assert_int_equal(receive_seqs(f.b, 0, seqs, 8), 1);
	assert_int_equal(seqs[0], 9);
	close_pair(&f, POOL_COUNT);
}

/* Impairment script: frame with seq s gets action[s]. */
enum action { PASS, DROP, DUPLICATE, DELAY, CORRUPT };

struct impair_script {
	enum action action[16];
	unsigned calls;
};

static unsigned impair(void *arg, struct ust_pool *pool, struct ust_pkt *pkt, uint64_t now,
		       uint64_t *delay_ns)
{
	(void)now;
	struct impair_script *s = arg;
	uint8_t *p = ust_pkt_data(pool, pkt);
	uint8_t seq = (uint8_t)(p[1] - 1);
	s->calls++;
	switch (s->action[seq]) {
	case DROP:
		return 0;
	case DUPLICATE:
		return 2;
	case DELAY:
		*delay_ns = 10 * MS;
		return 1;
	case CORRUPT:
		p[20] ^= 0xff;
		return 1;
	case PASS:
	default:
		return 1;
	}
}

static void test_pair_impairment(void **state)
{
	(void)state;
	struct fixture f;
	struct impair_script script = { .action = { DELAY, DROP, DUPLICATE, CORRUPT, PASS } };
	struct ust_pair_config cfg = { .impair = impair, .impair_arg = &script };
	open_pair(&f, &cfg, POOL_COUNT);

	struct ust_pkt *pkts[5];
	for (uint8_t i = 0; i < 5; i++)
		pkts[i] = make_frame(f.pool_a, i, 64);
	ust_backend_tx(f.a, pkts, 5, 0);
	assert_int_equal(script.calls, 5);

	/* At time 0: 2, 2 (duplicate), 3 (corrupted), 4; 0 is held back, 1 is gone. */
	struct ust_pkt *rx[8];
	assert_int_equal(ust_backend_rx(f.b, rx, 8, 0), 4);
	const uint8_t *p[4];
	for (int i = 0; i < 4; i++)
		p[i] = ust_pkt_data(f.pool_b, rx[i]);
	assert_int_equal(p[0][1], 3);
	assert_int_equal(p[1][1], 3);
	assert_memory_equal(p[0], p[1], 64);
	assert_int_equal(p[2][1], 4);
	assert_int_equal(p[2][20], (uint8_t)~(uint8_t)(3 + 20));
	assert_int_equal(p[2][21], (uint8_t)(3 + 21));
	assert_int_equal(p[3][1], 5);
	assert_int_equal(p[3][20], (uint8_t)(4 + 20));
	ust_pkt_free_batch(f.pool_b, rx, 4);

	/* A frame sent later without delay overtakes the delayed one (reordering). */
	script.action[5] = PASS;
	send_frame(f.a, 5, 64, 1 * MS);
	uint8_t seqs[8];
	assert_int_equal(ust_backend_next_deadline(f.b), 1 * MS);
	assert_int_equal(receive_seqs(f.b, 1 * MS, seqs, 8), 1);
	assert_int_equal(seqs[0], 5);
	assert_int_equal(ust_backend_next_deadline(f.b), 10 * MS);
	assert_int_equal(receive_seqs(f.b, 10 * MS, seqs, 8), 1);
	assert_int_equal(seqs[0], 0);
	/* The corrupted frame was the receiver's copy: the sender's bytes were never touched
	 * (checked indirectly: the duplicate of an untouched frame compared equal above). */
	assert_int_equal(f.a->counters.tx_packets, 6);
	assert_int_equal(f.b->counters.rx_packets, 6);
	close_pair(&f, POOL_COUNT);
}

/* A stage that holds every frame for a fixed time: a tiny stand-in for the emulator. */
#define STAGE_SLOTS 32
struct delay_stage {
	struct ust_pool *pool[2];	/* receiver pool per direction */
	struct ust_pkt *held[2][STAGE_SLOTS];
	uint64_t due[2][STAGE_SLOTS];
	unsigned head[2];
	unsigned count[2];
	uint64_t delay;
	unsigned inputs;
};

static void stage_input(void *arg, int dir, struct ust_pkt *pkt, uint64_t now)
{
	struct delay_stage *s = arg;
	assert_true(s->count[dir] < STAGE_SLOTS);
	unsigned slot = (s->head[dir] + s->count[dir]++) % STAGE_SLOTS;
	s->held[dir][slot] = pkt;
	s->due[dir][slot] = now + s->delay;
	s->inputs++;
}

static unsigned stage_output(void *arg, int dir, struct ust_pkt **pkts, unsigned n, uint64_t now)
{
	struct delay_stage *s = arg;
	unsigned got = 0;
	while (got < n && s->count[dir] > 0 && s->due[dir][s->head[dir]] <= now) {
		pkts[got++] = s->held[dir][s->head[dir]];
		s->head[dir] = (s->head[dir] + 1) % STAGE_SLOTS;
		s->count[dir]--;
	}
	return got;
}

static uint64_t stage_next_deadline(void *arg, int dir)
{
	struct delay_stage *s = arg;
	return s->count[dir] > 0 ? s->due[dir][s->head[dir]] : UINT64_MAX;
}

static void stage_teardown(struct delay_stage *s)
{
	for (int d = 0; d < 2; d++)
		while (s->count[d] > 0) {
			ust_pkt_free(s->pool[d], s->held[d][s->head[d]]);
			s->head[d] = (s->head[d] + 1) % STAGE_SLOTS;
			s->count[d]--;
		}
}

static const struct ust_link_stage_ops delay_stage_ops = {
	.input = stage_input,
	.output = stage_output,
	.next_deadline = stage_next_deadline,
};

static void test_pair_stage_delays(void **state)
{
	(void)state;
	struct fixture f;
	struct delay_stage stage = { .delay = 3 * MS };
	struct ust_pair_config cfg = { .stage_ops = &delay_stage_ops, .stage = &stage,
				       .delay_ns = 1 * MS };
	open_pair(&f, &cfg, POOL_COUNT);
	stage.pool[0] = f.pool_b;
	stage.pool[1] = f.pool_a;

	/* Link delay 1 ms, then the stage's 3 ms: due at 4 ms. */
	send_frame(f.a, 1, 100, 0);
	send_frame(f.b, 2, 100, 0);
	assert_int_equal(ust_backend_next_deadline(f.b), 1 * MS);
	uint8_t seqs[8];
	assert_int_equal(receive_seqs(f.b, 1 * MS, seqs, 8), 0);
	assert_int_equal(stage.inputs, 1);	/* entered the stage when the link delay ran out */
	assert_int_equal(ust_backend_next_deadline(f.b), 4 * MS);
	assert_int_equal(receive_seqs(f.b, 4 * MS - 1, seqs, 8), 0);
	assert_int_equal(receive_seqs(f.b, 4 * MS, seqs, 8), 1);
	assert_int_equal(seqs[0], 1);

	/* The b->a frame is still inside (or before) the stage at teardown: the stage and the
	 * link free what each holds. */
	assert_int_equal(receive_seqs(f.a, 1 * MS, seqs, 8), 0);
	stage_teardown(&stage);
	close_pair(&f, POOL_COUNT);
}

static void test_pair_receiver_pool_exhausted(void **state)
{
	(void)state;
	struct fixture f;
	open_pair(&f, NULL, 4);
	struct ust_pkt *pkts[6];
	for (uint8_t i = 0; i < 6; i++)
		pkts[i] = make_frame(f.pool_a, i, 64);
	ust_backend_tx(f.a, pkts, 6, 0);
	assert_int_equal(f.b->counters.rx_nobuf, 2);
	assert_int_equal(ust_pool_available(f.pool_a), POOL_COUNT);

	uint8_t seqs[8];
	assert_int_equal(receive_seqs(f.b, 0, seqs, 8), 4);
	assert_int_equal(seqs[3], 3);
	/* Buffers are back: the next frame gets through. */
	send_frame(f.a, 7, 64, 0);
	assert_int_equal(receive_seqs(f.b, 0, seqs, 8), 1);
	assert_int_equal(f.b->counters.rx_nobuf, 2);
	close_pair(&f, 4);
}

static void test_pair_close_with_frames_in_flight(void **state)
{
	(void)state;
	struct fixture f;
	struct ust_pair_config cfg = { .delay_ns = 1 * MS };
	open_pair(&f, &cfg, POOL_COUNT);
	send_frame(f.a, 1, 64, 0);
	send_frame(f.b, 2, 64, 0);
	/* Closing b frees what was queued towards b; a's send to a closed end is dropped. */
	ust_backend_close(f.b);
	assert_int_equal(ust_pool_available(f.pool_b), POOL_COUNT);
	send_frame(f.a, 3, 64, 0);
	assert_int_equal(f.a->counters.tx_dropped, 1);
	uint8_t seqs[4];
	assert_int_equal(receive_seqs(f.a, 1 * MS, seqs, 4), 1);
	assert_int_equal(seqs[0], 2);
	ust_backend_close(f.a);
	assert_int_equal(ust_pool_available(f.pool_a), POOL_COUNT);
	ust_pool_destroy(f.pool_a);
	ust_pool_destroy(f.pool_b);
}

static void test_backend_open_bad_specs(void **state)
{
	(void)state;
	struct ust_pool *pool = make_pool(4);
	struct ust_backend *be = (struct ust_backend *)(uintptr_t)1;
	const char *bad[] = { "tap:", "afpacket:", "tap", "", "foo:eth0", "pair:x", ":eth0",
			      "tap:name-far-too-long-for-ifnamsiz", "tap:a/b", "TAP:x",
			      /* ring options: afpacket only, known values only, no empty ones;
			       * refused before anything is opened (and nothing leaks, see ASan) */
			      "afpacket:eth0,ring=v4", "afpacket:eth0,ring=", "afpacket:eth0,",
			      "afpacket:eth0,bogus", "afpacket:eth0,ring=v3,", "afpacket:eth0,RING=V3",
			      "afpacket:,ring=v3", "tap:x,ring=v2", "afpacket:eth0,ring=v2x",
			      "afpacket:name-far-too-long,ring=v3" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ust_backend_open(&be, bad[i], pool, NULL), -EINVAL);
		assert_null(be);
		be = (struct ust_backend *)(uintptr_t)1;
	}
	ust_backend_close(NULL);

	/* Offload over TAP needs 64 KiB of data room per buffer: refused before any device
	 * is touched, so this needs no privileges. */
	struct ust_backend_config offload = { .offload = true };
	assert_int_equal(ust_backend_open(&be, "tap:ust-never", pool, &offload), -EINVAL);
	assert_null(be);
	ust_pool_destroy(pool);
}

static void test_backend_capture_errors(void **state)
{
	(void)state;
	struct fixture f;
	open_pair(&f, NULL, POOL_COUNT);
	assert_int_equal(ust_backend_capture(f.a, "/nonexistent-dir/a.pcap"), -ENOENT);
	assert_null(f.a->pcap);
	/* A capture that cannot be written does not disturb the traffic. */
	assert_int_equal(ust_backend_capture(f.a, "/dev/full"), 0);
	send_frame(f.a, 1, 64, 0);
	uint8_t seqs[2];
	assert_int_equal(receive_seqs(f.b, 0, seqs, 2), 1);
	assert_int_equal(f.a->counters.tx_packets, 1);
	close_pair(&f, POOL_COUNT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pair_bytes_both_ways),
		cmocka_unit_test(test_pair_broadcast_flag),
		cmocka_unit_test(test_pair_finishes_partial_checksum),
		cmocka_unit_test(test_finish_csum_zero_result),
		cmocka_unit_test(test_pair_delay_holds_until_due),
		cmocka_unit_test(test_pair_queue_limit_tail_drops),
		cmocka_unit_test(test_pair_impairment),
		cmocka_unit_test(test_pair_stage_delays),
		cmocka_unit_test(test_pair_receiver_pool_exhausted),
		cmocka_unit_test(test_pair_close_with_frames_in_flight),
		cmocka_unit_test(test_backend_open_bad_specs),
		cmocka_unit_test(test_backend_capture_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
