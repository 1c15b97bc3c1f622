/*
 * Pair link: two backends joined in memory, for tests, simulations and benchmarks on an
 * injected clock. What end a transmits, end b receives, and back.
 *
 *   ust_backend_tx(a) -> pair_tx -> copy into b's pool -> impair hook -> queue[0] by due time
 *        [-> stage input when due]
 *   ust_backend_rx(b) -> pair_rx -> queue[0] frames whose time has come [or stage output]
 *
 * Direction d carries frames sent by end d (0: a->b, 1: b->a). Each direction holds a queue of
 * frames already copied into the receiver's pool, ordered by due time (pkt->timestamp) and
 * stable for equal times, so a frame the impairment hook delays less than an earlier one
 * overtakes it (reordering) while everything else stays in order. The queue is bounded
 * (queue_limit frames); a frame arriving at a full queue is tail-dropped and counted as the
 * sender's tx_dropped (the limit is checked once per frame sent, so the extra copies of a
 * duplicated frame may exceed it by one). A frame the receiver's pool cannot hold is counted as
 * the receiver's rx_nobuf. With a link stage (the emulator), frames enter the stage when due
 * and the receiver pulls them from the stage's output.
 *
 * Copies are avoided when both ends share one pool and no impair hook is set: a frame whose
 * sender holds the only reference is handed over (the receiver gets the same buffer). With
 * cfg.offload the link carries big segments like veth: both ends report TSO/GRO/checksum
 * offload, GSO frames of up to 64 KiB pass whole with their offload metadata, and a partial
 * checksum arrives as valid, or is finished in software when a hook or stage may change bytes.
 *
 * No global state: the link object is shared by both ends and freed when the second closes.
 * Each end's close frees the frames still queued towards it (they live in its pool).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "io/backend_impl.h"

#define PAIR_MTU_DEFAULT 1500u
#define PAIR_QUEUE_LIMIT_DEFAULT 4096u
#define PAIR_VLAN_LEN 4u
#define PAIR_BIG_FRAME 65536u	/* data room a buffer needs with offload (big segments) */

/* Frames of one direction in the receiver's pool, linked through pkt->next. */
struct due_queue {
	uint32_t head;
	uint32_t tail;
	uint32_t count;
};

struct pair_link {
	struct ust_pair_config cfg;
	struct ust_backend *end[2];	/* NULL once closed */
	struct ust_pool *pool[2];	/* end i's pool: receives direction 1 - i */
	struct due_queue queue[2];	/* direction d: frames sent by end d */
	unsigned open_ends;
};

static struct pair_link *link_of(const struct ust_backend *be)
{
	return be->priv;
}

static int side_of(const struct ust_backend *be)
{
	return link_of(be)->end[0] == be ? 0 : 1;
}

/* Insert after every frame due no later than pkt: O(1) in the usual in-order case. */
static void queue_insert(const struct ust_pool *pool, struct due_queue *q, struct ust_pkt *pkt)
{
	uint64_t due = pkt->timestamp;
	pkt->next = UST_PKT_NONE;
	q->count++;
	if (q->head == UST_PKT_NONE) {
		q->head = q->tail = pkt->index;
		return;
	}
	if (ust_pool_pkt(pool, q->tail)->timestamp <= due) {
		ust_pool_pkt(pool, q->tail)->next = pkt->index;
		q->tail = pkt->index;
		return;
	}
	uint32_t prev = UST_PKT_NONE;
	uint32_t cur = q->head;
	while (cur != UST_PKT_NONE && ust_pool_pkt(pool, cur)->timestamp <= due) {
		prev = cur;
		cur = ust_pool_pkt(pool, cur)->next;
	}
	/* cur != NONE: the tail is due later than pkt, so the walk stops before the end. */
	pkt->next = cur;
	if (prev == UST_PKT_NONE)
		q->head = pkt->index;
	else
		ust_pool_pkt(pool, prev)->next = pkt->index;
}

/* Pop the head if it is due at now; NULL otherwise. */
static struct ust_pkt *queue_pop_due(const struct ust_pool *pool, struct due_queue *q, uint64_t now)
{
	if (q->head == UST_PKT_NONE)
		return NULL;
	struct ust_pkt *pkt = ust_pool_pkt(pool, q->head);
	if (pkt->timestamp > now)
		return NULL;
	q->head = pkt->next;
	if (q->head == UST_PKT_NONE)
		q->tail = UST_PKT_NONE;
	q->count--;
	pkt->next = UST_PKT_NONE;
	return pkt;
}

static void queue_purge(struct ust_pool *pool, struct due_queue *q)
{
	struct ust_pkt *pkt;
	while ((pkt = queue_pop_due(pool, q, UINT64_MAX)) != NULL)
		ust_pkt_free(pool, pkt);
}

/*
 * Move the frames of direction d that are due into the stage, each stamped with its due time
 * as the moment it enters. Due times popped are non-decreasing as long as callers' clocks
 * are: a frame is only ever inserted with a due time >= the sender's now.
 */
static void stage_feed(struct pair_link *link, int d, uint64_t now)
{
	struct ust_pool *pool = link->pool[1 - d];
	struct ust_pkt *pkt;
	while ((pkt = queue_pop_due(pool, &link->queue[d], now)) != NULL)
		link->cfg.stage_ops->input(link->cfg.stage, d, pkt, pkt->timestamp);
}

/* A fresh buffer in pool holding the bytes of src (from src_pool); NULL if none or too big. */
static struct ust_pkt *copy_frame(struct ust_backend *receiver, const struct ust_pool *src_pool,
				  const struct ust_pkt *src)
{
	struct ust_pkt *pkt = ust_pkt_alloc(receiver->pool);
	if (pkt == NULL) {
		receiver->counters.rx_nobuf++;
		return NULL;
	}
	uint8_t *dst = ust_pkt_put(receiver->pool, pkt, src->len);
	if (dst == NULL) {
		ust_pkt_free(receiver->pool, pkt);
		receiver->counters.rx_truncated++;
		return NULL;
	}
	memcpy(dst, ust_pkt_data(src_pool, src), src->len);
	return pkt;
}

/*
 * The frame the receiver gets: the sender's own buffer when both ends share a pool, nobody
 * else holds it and no hook may change its bytes (a hand-over: the caller frees its
 * reference after tx, leaving ours), else a copy. Offload metadata crosses an offload link
 * the way a virtio-net header carries it over TAP; anything else arrives as a plain frame.
 */
static struct ust_pkt *receiver_frame(struct ust_backend *be, struct pair_link *link, int d,
				      struct ust_pkt *pkt)
{
	struct ust_backend *receiver = link->end[1 - d];
	struct ust_pkt *rx;
	if (be->pool == receiver->pool && link->cfg.impair == NULL && !ust_pkt_shared(pkt)) {
		ust_pkt_ref(pkt);
		rx = pkt;
		rx->next = UST_PKT_NONE;
		rx->l3_offset = rx->l4_offset = 0;
		rx->timestamp = rx->user = 0;
	} else {
		rx = copy_frame(receiver, be->pool, pkt);
		if (rx == NULL)
			return NULL;
	}
	uint16_t flags = pkt->flags;
	rx->flags = 0;
	rx->csum_start = rx->csum_offset = rx->gso_size = 0;
	if (!link->cfg.offload)
		return rx;
	if ((flags & UST_PKT_F_GSO_TCPV4) != 0) {
		rx->flags |= UST_PKT_F_GSO_TCPV4;
		rx->gso_size = pkt->gso_size;
	}
	if ((flags & UST_PKT_F_CSUM_PARTIAL) != 0) {
		rx->flags |= UST_PKT_F_CSUM_PARTIAL;
		rx->csum_start = pkt->csum_start;
		rx->csum_offset = pkt->csum_offset;
		if (link->cfg.impair != NULL || link->cfg.stage_ops != NULL)
			ust__backend_finish_csum(receiver->pool, rx);	/* bytes may change on the way */
		else
			rx->flags |= UST_PKT_F_CSUM_VALID;
	}
	return rx;
}

static void pair_send_one(struct ust_backend *be, struct pair_link *link, int d,
			  struct ust_pkt *pkt, uint64_t now)
{
	struct ust_backend *receiver = link->end[1 - d];
	struct ust_pool *rx_pool = link->pool[1 - d];
	struct due_queue *q = &link->queue[d];
	/* a big segment may be as long as an IPv4 datagram can be */
	uint32_t max_ip = link->cfg.offload && (pkt->flags & UST_PKT_F_GSO_TCPV4) != 0 ? 65535u : link->cfg.mtu;

	if (receiver == NULL || pkt->len > max_ip + UST_ETH_HDR_LEN + PAIR_VLAN_LEN ||
	    q->count >= link->cfg.queue_limit) {
		ust__backend_tx_fail(be, pkt, false);
		return;
	}
	struct ust_pkt *copy = receiver_frame(be, link, d, pkt);
	if (copy == NULL)
		return;

	/* The hook sees the receiver's copy, so corrupting it never touches the sender's
	 * buffer (which a retransmission queue may still hold). */
	unsigned copies = 1;
	uint64_t extra = 0;
	if (link->cfg.impair != NULL)
		copies = link->cfg.impair(link->cfg.impair_arg, rx_pool, copy, now, &extra);
	if (copies == 0) {
		ust_pkt_free(rx_pool, copy);
		return;
	}
	uint64_t due = now + link->cfg.delay_ns + extra;
	if (due < now)
		due = UINT64_MAX;	/* a delay that overflows means "never" */

	/* Duplicates are made from the (possibly modified) copy, then the copy itself goes in
	 * last, so all copies share one due time and keep their order. */
	for (unsigned c = 1; c < copies; c++) {
		struct ust_pkt *dup = copy_frame(receiver, rx_pool, copy);
		if (dup == NULL)
			continue;
		dup->timestamp = due;
		queue_insert(rx_pool, q, dup);
	}
	copy->timestamp = due;
	queue_insert(rx_pool, q, copy);
}

static void pair_tx(struct ust_backend *be, struct ust_pkt **pkts, unsigned n, uint64_t now)
{
	struct pair_link *link = link_of(be);
	int d = side_of(be);
	for (unsigned i = 0; i < n; i++)
		pair_send_one(be, link, d, pkts[i], now);
	ust_pkt_free_batch(be->pool, pkts, n);
	if (link->cfg.stage_ops != NULL && link->end[1 - d] != NULL)
		stage_feed(link, d, now);
}

static unsigned pair_rx(struct ust_backend *be, struct ust_pkt **pkts, unsigned n, uint64_t now)
{
	struct pair_link *link = link_of(be);
	int d = 1 - side_of(be);
	if (link->cfg.stage_ops != NULL) {
		stage_feed(link, d, now);
		return link->cfg.stage_ops->output(link->cfg.stage, d, pkts, n, now);
	}
	unsigned got = 0;
	while (got < n) {
		struct ust_pkt *pkt = queue_pop_due(be->pool, &link->queue[d], now);
		if (pkt == NULL)
			break;
		pkts[got++] = pkt;
	}
	return got;
}

static uint64_t pair_next_deadline(const struct ust_backend *be)
{
	const struct pair_link *link = link_of(be);
	int d = 1 - side_of(be);
	const struct due_queue *q = &link->queue[d];
	uint64_t t = q->head == UST_PKT_NONE ? UINT64_MAX
					      : ust_pool_pkt(be->pool, q->head)->timestamp;
	if (link->cfg.stage_ops != NULL && link->cfg.stage_ops->next_deadline != NULL) {
		uint64_t s = link->cfg.stage_ops->next_deadline(link->cfg.stage, d);
		if (s < t)
			t = s;
	}
	return t;
}

static int pair_fd(const struct ust_backend *be)
{
	(void)be;
	return -1;
}

static void pair_close(struct ust_backend *be)
{
	struct pair_link *link = link_of(be);
	if (link == NULL)
		return;
	int s = side_of(be);
	queue_purge(link->pool[s], &link->queue[1 - s]);
	link->end[s] = NULL;
	be->priv = NULL;
	if (--link->open_ends == 0)
		free(link);
}

const struct ust_backend_ops ust__pair_ops = {
	.name = "pair",
	.rx = pair_rx,
	.tx = pair_tx,
	.fd = pair_fd,
	.next_deadline = pair_next_deadline,
	.close = pair_close,
};

int ust_pair_create(struct ust_backend **a, struct ust_backend **b, struct ust_pool *pool_a,
		    struct ust_pool *pool_b, const struct ust_pair_config *cfg)
{
	static const struct ust_pair_config defaults = { .mtu = 0 };

	if (a == NULL || b == NULL)
		return -EINVAL;
	*a = *b = NULL;
	if (pool_a == NULL || pool_b == NULL)
		return -EINVAL;
	if (cfg == NULL)
		cfg = &defaults;
	if (cfg->stage_ops != NULL && (cfg->stage_ops->input == NULL || cfg->stage_ops->output == NULL))
		return -EINVAL;
	if (cfg->offload && (pool_a->buf_size - pool_a->headroom < PAIR_BIG_FRAME ||
			     pool_b->buf_size - pool_b->headroom < PAIR_BIG_FRAME))
		return -EINVAL;

	struct pair_link *link = calloc(1, sizeof(*link));
	struct ust_backend *ea = ust__backend_alloc(pool_a, "pair:a");
	struct ust_backend *eb = ust__backend_alloc(pool_b, "pair:b");
	if (link == NULL || ea == NULL || eb == NULL) {
		free(link);
		free(ea);
		free(eb);
		return -ENOMEM;
	}
	link->cfg = *cfg;
	if (link->cfg.mtu == 0)
		link->cfg.mtu = PAIR_MTU_DEFAULT;
	if (link->cfg.queue_limit == 0)
		link->cfg.queue_limit = PAIR_QUEUE_LIMIT_DEFAULT;
	link->end[0] = ea;
	link->end[1] = eb;
	link->pool[0] = pool_a;
	link->pool[1] = pool_b;
	for (int d = 0; d < 2; d++)
		link->queue[d] = (struct due_queue){ UST_PKT_NONE, UST_PKT_NONE, 0 };
	link->open_ends = 2;

	struct ust_backend *ends[2] = { ea, eb };
	for (int i = 0; i < 2; i++) {
		ends[i]->ops = &ust__pair_ops;
		ends[i]->priv = link;
		ends[i]->mtu = link->cfg.mtu;
		ends[i]->features = cfg->offload ? UST_BACKEND_F_CSUM_OFFLOAD | UST_BACKEND_F_TSO |
							   UST_BACKEND_F_GRO
						 : 0;
	}
	*a = ea;
	*b = eb;
	return 0;
}
