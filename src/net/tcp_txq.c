/*
 * TCP send queue (see tcp_txq.h). Buffers are found by walking the FIFO from its head: the
 * queue holds at most a send buffer's worth of segments, and transmission mostly asks for
 * the tail end, so a linear walk is the simple choice for now.
 */
#include "net/tcp_txq.h"

#include <errno.h>
#include <string.h>

#include "core/util.h"
#include "net/tcp_seq.h"

const char *const ust_tcp_txq_counter_names[UST_TCP_TXQ_COUNTER_COUNT] = {
	UST_TCP_TXQ_COUNTERS(UST_COUNTER_NAME)
};

int ust_tcp_txq_init(struct ust_tcp_txq *q, struct ust_pool *pool, uint32_t una, uint32_t limit,
		     uint32_t seg_payload)
{
	memset(q, 0, sizeof(*q));
	if (!pool || limit == 0 || seg_payload == 0 || limit > INT32_MAX ||
	    pool->buf_size <= pool->headroom)
		return -EINVAL;
	q->pool = pool;
	ust_pkt_queue_init(&q->bufs);
	q->una = una;
	q->limit = limit;
	q->seg_payload = UST_MIN(seg_payload, pool->buf_size - pool->headroom);
	return 0;
}

void ust_tcp_txq_destroy(struct ust_tcp_txq *q)
{
	if (q->pool)
		ust_pkt_queue_purge(q->pool, &q->bufs);
	q->bytes = 0;
	q->head_off = 0;
}

size_t ust_tcp_txq_write(struct ust_tcp_txq *q, const void *buf, size_t len)
{
	const uint8_t *in = buf;
	size_t done = 0;

	if (len > ust_tcp_txq_space(q)) {
		q->counters.txq_write_full++;
		len = ust_tcp_txq_space(q);
	}
	while (done < len) {
		struct ust_pkt *tail = q->bufs.tail == UST_PKT_NONE ? NULL :
				       ust_pool_pkt(q->pool, q->bufs.tail);
		uint32_t room = tail ? q->seg_payload - UST_MIN(tail->len, q->seg_payload) : 0;

		if (room == 0) {
			tail = ust_pkt_alloc(q->pool);
			if (!tail) {
				q->counters.txq_alloc_fail++;
				break;
			}
			ust_pkt_queue_push(q->pool, &q->bufs, tail);
			room = q->seg_payload;
		}
		uint32_t n = (uint32_t)UST_MIN((size_t)room, len - done);

		memcpy(ust_pkt_put(q->pool, tail, n), in + done, n);
		q->bufs.bytes += n;
		q->bytes += n;
		done += n;
	}
	return done;
}

void ust_tcp_txq_ack(struct ust_tcp_txq *q, uint32_t ack)
{
	uint32_t n;

	if (!ust_seq_gt(ack, q->una) || ust_seq_gt(ack, q->una + q->bytes))
		return;
	n = ack - q->una;
	q->una = ack;
	q->bytes -= n;
	n += q->head_off;
	while (q->bufs.count > 0) {
		struct ust_pkt *p = ust_pkt_queue_peek(q->pool, &q->bufs);

		if (n < p->len)
			break;
		n -= p->len;
		ust_pkt_free(q->pool, ust_pkt_queue_pop(q->pool, &q->bufs));
	}
	q->head_off = n;
}

/* The pieces of [seq, seq + len) in order: as references (refs) or copied to dst. */
static unsigned walk(const struct ust_tcp_txq *q, uint32_t seq, uint32_t len,
		     struct ust_tcp_txq_ref *refs, unsigned max, uint8_t *dst, size_t *copied)
{
	uint32_t pos, end, first, cur_seq;
	unsigned k = 0;

	if (!ust_seq_in(seq, q->una, q->una + q->bytes))
		return 0;
	end = seq + UST_MIN(len, q->una + q->bytes - seq);
	cur_seq = q->una - q->head_off;	/* sequence number of the first buffer's first byte */
	for (uint32_t i = q->bufs.head; i != UST_PKT_NONE && ust_seq_lt(cur_seq, end);) {
		struct ust_pkt *p = ust_pool_pkt(q->pool, i);
		uint32_t b_end = cur_seq + p->len;

		if (ust_seq_gt(b_end, seq)) {
			pos = ust_seq_max(seq, cur_seq);
			first = pos - cur_seq;
			uint32_t n = ust_seq_min(b_end, end) - pos;

			if (refs) {
				if (k == max)
					break;
				ust_pkt_ref(p);
				refs[k] = (struct ust_tcp_txq_ref){ .pkt = p, .off = first, .len = n };
			} else {
				memcpy(dst + *copied, ust_pkt_data(q->pool, p) + first, n);
				*copied += n;
			}
			k++;
		}
		cur_seq = b_end;
		i = p->next;
	}
	return k;
}

unsigned ust_tcp_txq_get(const struct ust_tcp_txq *q, uint32_t seq, uint32_t len,
			 struct ust_tcp_txq_ref *refs, unsigned max)
{
	if (len == 0 || max == 0)
		return 0;
	return walk(q, seq, len, refs, max, NULL, NULL);
}

size_t ust_tcp_txq_copy(const struct ust_tcp_txq *q, uint32_t seq, uint32_t len, void *dst)
{
	size_t copied = 0;

	if (len == 0)
		return 0;
	walk(q, seq, len, NULL, 0, dst, &copied);
	return copied;
}
