/*
 * TCP receive reassembly (see tcp_rxq.h for the contract). Descriptors live in one array
 * allocated at init and are linked by index: a free list, the in-order FIFO and the sorted
 * out-of-order list. The out-of-order list is short (<= max_ooo), so walks are linear.
 */
#include "net/tcp_rxq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "net/tcp_sack.h"
#include "net/tcp_seq.h"

#define NONE UST_PKT_NONE

const char *const ust_tcp_rxq_counter_names[UST_TCP_RXQ_COUNTER_COUNT] = {
	UST_TCP_RXQ_COUNTERS(UST_COUNTER_NAME)
};

int ust_tcp_rxq_init(struct ust_tcp_rxq *q, struct ust_pool *pool, uint32_t rcv_nxt,
		     const struct ust_tcp_rxq_config *cfg)
{
	uint32_t limit = cfg && cfg->limit ? cfg->limit : UST_TCP_RXQ_LIMIT_DEFAULT;
	uint32_t segs = cfg && cfg->max_segs ? cfg->max_segs : UST_TCP_RXQ_SEGS_DEFAULT;
	uint32_t ooo = cfg && cfg->max_ooo ? cfg->max_ooo : UST_TCP_RXQ_OOO_DEFAULT;

	memset(q, 0, sizeof(*q));
	if (!pool || limit > INT32_MAX)
		return -EINVAL;
	ooo = UST_MIN(ooo, UST_MIN(segs, UST_TCP_RXQ_OOO_MAX));
	q->segs = calloc(segs, sizeof(*q->segs));
	if (!q->segs)
		return -ENOMEM;
	for (uint32_t i = 0; i < segs; i++)
		q->segs[i].next = i + 1 < segs ? i + 1 : NONE;
	q->pool = pool;
	q->free_head = 0;
	q->in_head = q->in_tail = q->ooo_head = NONE;
	q->rcv_nxt = q->read_seq = rcv_nxt;
	q->limit = limit;
	q->max_segs = segs;
	q->max_ooo = ooo;
	return 0;
}

static void release(struct ust_tcp_rxq *q, uint32_t i)
{
	ust_pkt_free(q->pool, q->segs[i].pkt);
	q->segs[i].pkt = NULL;
	q->segs[i].next = q->free_head;
	q->free_head = i;
	q->used--;
}

void ust_tcp_rxq_purge(struct ust_tcp_rxq *q)
{
	uint32_t i, n;

	for (i = q->in_head; i != NONE; i = n) {
		n = q->segs[i].next;
		release(q, i);
	}
	for (i = q->ooo_head; i != NONE; i = n) {
		n = q->segs[i].next;
		release(q, i);
	}
	q->in_head = q->in_tail = q->ooo_head = NONE;
	q->read_seq = q->rcv_nxt;
	q->ready = 0;
	q->ooo_bytes = 0;
	q->ooo_count = 0;
	q->dsack_pending = false;
}

void ust_tcp_rxq_destroy(struct ust_tcp_rxq *q)
{
	if (!q->segs)
		return;
	ust_tcp_rxq_purge(q);
	free(q->segs);
	q->segs = NULL;
}

/* Drop the highest out-of-order segment if it starts above seq. */
static bool evict_highest_above(struct ust_tcp_rxq *q, uint32_t seq)
{
	uint32_t prev = NONE, i = q->ooo_head;

	if (i == NONE)
		return false;
	while (q->segs[i].next != NONE) {
		prev = i;
		i = q->segs[i].next;
	}
	if (!ust_seq_gt(q->segs[i].seq, seq))
		return false;
	if (prev == NONE)
		q->ooo_head = NONE;
	else
		q->segs[prev].next = NONE;
	q->ooo_bytes -= q->segs[i].len;
	q->ooo_count--;
	q->counters.rxq_ooo_pruned++;
	release(q, i);
	return true;
}

static void append_in_order(struct ust_tcp_rxq *q, uint32_t i)
{
	q->segs[i].next = NONE;
	if (q->in_tail == NONE)
		q->in_head = i;
	else
		q->segs[q->in_tail].next = i;
	q->in_tail = i;
	q->rcv_nxt += q->segs[i].len;
	q->ready += q->segs[i].len;
}

/* Move out-of-order segments that now start at rcv_nxt to the in-order list. */
static bool promote(struct ust_tcp_rxq *q)
{
	bool moved = false;

	while (q->ooo_head != NONE && q->segs[q->ooo_head].seq == q->rcv_nxt) {
		uint32_t i = q->ooo_head;

		q->ooo_head = q->segs[i].next;
		q->ooo_bytes -= q->segs[i].len;
		q->ooo_count--;
		append_in_order(q, i);
		moved = true;
	}
	return moved;
}

/* Hold [seq, seq + len) of pkt at data offset off; *ref says whether the caller's reference
 * is still unused (then it is taken, else a new one is). */
static void place(struct ust_tcp_rxq *q, struct ust_pkt *pkt, bool *ref, uint32_t off, uint32_t seq,
		  uint32_t len, struct ust_tcp_rxq_result *res)
{
	bool in_order = seq == q->rcv_nxt;
	uint32_t i;

	if (!in_order && q->ooo_count >= q->max_ooo && !evict_highest_above(q, seq)) {
		q->counters.rxq_ooo_limit_drops++;
		res->dropped_bytes += len;
		return;
	}
	if (q->free_head == NONE && !evict_highest_above(q, seq)) {
		q->counters.rxq_desc_drops++;
		res->dropped_bytes += len;
		return;
	}
	i = q->free_head;
	q->free_head = q->segs[i].next;
	q->used++;
	if (*ref)
		*ref = false;
	else
		ust_pkt_ref(pkt);
	q->segs[i] = (struct ust_tcp_rxq_seg){ .pkt = pkt, .off = off, .len = len, .seq = seq,
					       .next = NONE, .stamp = ++q->stamp };
	res->new_bytes += len;
	if (in_order) {
		append_in_order(q, i);
		if (promote(q))
			res->filled_gap = true;
		return;
	}
	/* sorted insert; the caller made sure [seq, seq + len) overlaps nothing held */
	uint32_t prev = NONE, cur = q->ooo_head;

	while (cur != NONE && ust_seq_lt(q->segs[cur].seq, seq)) {
		prev = cur;
		cur = q->segs[cur].next;
	}
	q->segs[i].next = cur;
	if (prev == NONE)
		q->ooo_head = i;
	else
		q->segs[prev].next = i;
	q->ooo_bytes += len;
	q->ooo_count++;
	res->ooo = true;
}

static void note_dup(struct ust_tcp_rxq *q, uint32_t s, uint32_t e, bool *first_dup,
		     struct ust_tcp_rxq_result *res)
{
	res->dup_bytes += e - s;
	q->counters.rxq_dup_bytes += e - s;
	if (*first_dup) {
		*first_dup = false;
		q->dsack = (struct ust_tcp_sack_block){ s, e };
		q->dsack_pending = true;
	} else if (q->dsack_pending && q->dsack.end == s) {
		q->dsack.end = e;	/* the duplicate span continues */
	}
}

void ust_tcp_rxq_insert(struct ust_tcp_rxq *q, struct ust_pkt *pkt, uint32_t off, uint32_t seq,
			uint32_t len, struct ust_tcp_rxq_result *res)
{
	struct ust_tcp_rxq_result local;
	uint32_t e = seq + len, wend = q->read_seq + q->limit, cur = seq, start_nxt = q->rcv_nxt;
	bool ref = true, first_dup = true;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (!pkt)
		return;
	if (len == 0 || (uint64_t)off + len > pkt->len) {
		if (len != 0) {
			q->counters.rxq_bad_range++;
			res->dropped_bytes = len;
		}
		ust_pkt_free(q->pool, pkt);
		return;
	}
	q->counters.rxq_segs++;
	if (ust_seq_gt(e, wend)) {
		uint32_t cut = ust_seq_gt(seq, wend) ? len : e - wend;

		q->counters.rxq_beyond_window_bytes += cut;
		res->dropped_bytes += cut;
		e -= cut;
	}
	if (ust_seq_gt(seq, q->rcv_nxt) && ust_seq_lt(seq, e))
		q->counters.rxq_ooo_segs++;
	while (ust_seq_lt(cur, e)) {
		uint32_t o, piece_end;

		if (ust_seq_lt(cur, q->rcv_nxt)) {
			uint32_t d_end = ust_seq_min(e, q->rcv_nxt);

			note_dup(q, cur, d_end, &first_dup, res);
			cur = d_end;
			continue;
		}
		/* first held out-of-order segment that ends after cur */
		for (o = q->ooo_head; o != NONE; o = q->segs[o].next)
			if (ust_seq_gt(q->segs[o].seq + q->segs[o].len, cur))
				break;
		if (o != NONE && ust_seq_leq(q->segs[o].seq, cur)) {
			uint32_t d_end = ust_seq_min(e, q->segs[o].seq + q->segs[o].len);

			q->segs[o].stamp = ++q->stamp;	/* RFC 2018: report this block first */
			note_dup(q, cur, d_end, &first_dup, res);
			cur = d_end;
			continue;
		}
		piece_end = o != NONE ? ust_seq_min(e, q->segs[o].seq) : e;
		place(q, pkt, &ref, off + (cur - seq), cur, piece_end - cur, res);
		cur = piece_end;
	}
	res->advanced = q->rcv_nxt - start_nxt;
	if (ref)
		ust_pkt_free(q->pool, pkt);
}

static void consume_head(struct ust_tcp_rxq *q, uint32_t n)
{
	uint32_t i = q->in_head;

	q->read_seq += n;
	q->ready -= n;
	if (n < q->segs[i].len) {
		q->segs[i].off += n;
		q->segs[i].len -= n;
		q->segs[i].seq += n;
		return;
	}
	q->in_head = q->segs[i].next;
	if (q->in_head == NONE)
		q->in_tail = NONE;
	release(q, i);
}

size_t ust_tcp_rxq_read(struct ust_tcp_rxq *q, void *buf, size_t len)
{
	uint8_t *out = buf;
	size_t done = 0;

	while (done < len && q->in_head != NONE) {
		const struct ust_tcp_rxq_seg *s = &q->segs[q->in_head];
		uint32_t n = (uint32_t)UST_MIN((size_t)s->len, len - done);

		memcpy(out + done, ust_pkt_data(q->pool, s->pkt) + s->off, n);
		done += n;
		consume_head(q, n);
	}
	return done;
}

unsigned ust_tcp_rxq_peek(const struct ust_tcp_rxq *q, struct ust_tcp_rxq_frag *frags, unsigned n)
{
	unsigned k = 0;

	for (uint32_t i = q->in_head; i != NONE && k < n; i = q->segs[i].next, k++) {
		frags[k].data = ust_pkt_data(q->pool, q->segs[i].pkt) + q->segs[i].off;
		frags[k].len = q->segs[i].len;
	}
	return k;
}

void ust_tcp_rxq_consume(struct ust_tcp_rxq *q, size_t bytes)
{
	while (bytes > 0 && q->in_head != NONE) {
		uint32_t n = (uint32_t)UST_MIN((size_t)q->segs[q->in_head].len, bytes);

		consume_head(q, n);
		bytes -= n;
	}
}

unsigned ust_tcp_rxq_sack_blocks(struct ust_tcp_rxq *q, struct ust_tcp_sack_block *out,
				 unsigned max)
{
	struct ust_tcp_sack_recv_range ranges[UST_TCP_RXQ_OOO_MAX];
	unsigned n = 0;
	bool dsack = q->dsack_pending;

	for (uint32_t i = q->ooo_head; i != NONE; i = q->segs[i].next) {
		const struct ust_tcp_rxq_seg *s = &q->segs[i];

		if (n > 0 && ranges[n - 1].end == s->seq) {
			ranges[n - 1].end = s->seq + s->len;
			ranges[n - 1].stamp = UST_MAX(ranges[n - 1].stamp, s->stamp);
		} else {
			ranges[n++] = (struct ust_tcp_sack_recv_range){ s->seq, s->seq + s->len, s->stamp };
		}
	}
	q->dsack_pending = false;
	return ust_tcp_sack_build(ranges, n, dsack ? &q->dsack : NULL, out, max);
}
