/*
 * IPv4 reassembly (see reasm.h for the model). Owns the table of datagrams in progress and
 * their big buffers. Called from ipv4 input; completion hands the buffer to the caller.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "net/net_config.h"
#include "net/reasm.h"

/* Where payload byte 0 of the datagram sits in the buffer: after a rebuilt 20-byte header. */
static uint8_t *payload_base(const struct ust__reasm *r, const struct ust__reasm_entry *e)
{
	return ust_pkt_buf(r->pool, e->buf) + UST_NET_HEADROOM + UST_IPV4_HDR_LEN;
}

static bool bit_get(const struct ust__reasm_entry *e, uint32_t b)
{
	return (e->bitmap[b >> 3] >> (b & 7)) & 1;
}

static void bit_set(struct ust__reasm_entry *e, uint32_t b)
{
	e->bitmap[b >> 3] |= (uint8_t)(1u << (b & 7));
}

/* Bits set in [lo, hi) of the bitmap: whole bytes at a time, the edges masked. */
static uint32_t count_range(const struct ust__reasm_entry *e, uint32_t lo, uint32_t hi)
{
	uint32_t n = 0;
	while (lo < hi && (lo & 7))
		n += bit_get(e, lo++);
	while (lo + 8 <= hi) {
		n += (uint32_t)__builtin_popcount(e->bitmap[lo >> 3]);
		lo += 8;
	}
	while (lo < hi)
		n += bit_get(e, lo++);
	return n;
}

static void set_range(struct ust__reasm_entry *e, uint32_t lo, uint32_t hi)
{
	while (lo < hi && (lo & 7))
		bit_set(e, lo++);
	if (lo + 8 <= hi) {
		memset(&e->bitmap[lo >> 3], 0xff, (hi - lo) / 8);
		lo += (hi - lo) & ~7u;
	}
	while (lo < hi)
		bit_set(e, lo++);
}

static void entry_free(struct ust__reasm *r, struct ust__reasm_entry *e)
{
	ust_timer_stop(r->wheel, &e->timer);
	ust_pkt_free(r->pool, e->buf);
	e->buf = NULL;
	r->active--;
}

static void on_timeout(struct ust_timer *t, uint64_t now)
{
	struct ust__reasm_entry *e = UST_CONTAINER_OF(t, struct ust__reasm_entry, timer);
	struct ust__reasm *r = e->owner;
	r->counters.timeouts++;
	uint8_t quote[sizeof(e->quote)];
	size_t qlen = e->has_first ? e->quote_len : 0;
	memcpy(quote, e->quote, qlen);
	entry_free(r, e);
	if (qlen && r->timeout_cb)
		r->timeout_cb(r->cb_arg, quote, qlen, now);
}

int ust__reasm_init(struct ust__reasm *r, struct ust_pool *big_pool, struct ust_timer_wheel *wheel,
		    uint32_t max_entries, uint64_t timeout_ns, ust__reasm_timeout_fn cb, void *arg)
{
	memset(r, 0, sizeof(*r));
	if (max_entries == 0 || max_entries > UST_REASM_MAX_LIMIT)
		return -EINVAL;
	r->entries = calloc(max_entries, sizeof(*r->entries));
	if (!r->entries)
		return -ENOMEM;
	for (uint32_t i = 0; i < max_entries; i++) {
		r->entries[i].owner = r;
		ust_timer_init(&r->entries[i].timer, on_timeout);
	}
	r->pool = big_pool;
	r->wheel = wheel;
	r->max_entries = max_entries;
	r->timeout_ns = timeout_ns;
	r->timeout_cb = cb;
	r->cb_arg = arg;
	return 0;
}

void ust__reasm_fini(struct ust__reasm *r)
{
	if (!r->entries)
		return;
	for (uint32_t i = 0; i < r->max_entries; i++)
		if (r->entries[i].buf)
			entry_free(r, &r->entries[i]);
	free(r->entries);
	r->entries = NULL;
}

static struct ust__reasm_entry *find(struct ust__reasm *r, const struct ust_ipv4_repr *ip)
{
	for (uint32_t i = 0; i < r->max_entries; i++) {
		struct ust__reasm_entry *e = &r->entries[i];
		if (e->buf && e->src == ip->src && e->dst == ip->dst && e->id == ip->id &&
		    e->proto == ip->protocol)
			return e;
	}
	return NULL;
}

static struct ust__reasm_entry *create(struct ust__reasm *r, const struct ust_ipv4_repr *ip, uint64_t now)
{
	struct ust__reasm_entry *slot = NULL, *oldest = NULL;
	for (uint32_t i = 0; i < r->max_entries; i++) {
		struct ust__reasm_entry *e = &r->entries[i];
		if (!e->buf) {
			slot = e;
			break;
		}
		if (!oldest || e->seq < oldest->seq)
			oldest = e;
	}
	if (!slot) {
		/* full: the oldest datagram is the one least likely to complete */
		r->counters.evicted++;
		entry_free(r, oldest);
		slot = oldest;
	}
	struct ust_pkt *buf = ust_pkt_alloc(r->pool);
	if (!buf) {
		r->counters.nobuf++;
		return NULL;
	}
	struct ust__reasm_entry *e = slot;
	e->buf = buf;
	e->src = ip->src;
	e->dst = ip->dst;
	e->id = ip->id;
	e->proto = ip->protocol;
	e->tos = ip->tos;
	e->ttl = ip->ttl;
	e->has_first = e->has_last = false;
	e->total = e->max_end = e->blocks = 0;
	e->quote_len = 0;
	e->seq = r->seq++;
	memset(e->bitmap, 0, sizeof(e->bitmap));
	ust_timer_start(r->wheel, &e->timer, now + r->timeout_ns);
	r->active++;
	return e;
}

static struct ust_pkt *complete(struct ust__reasm *r, struct ust__reasm_entry *e)
{
	struct ust_pkt *pkt = e->buf;
	ust_timer_stop(r->wheel, &e->timer);
	e->buf = NULL;
	r->active--;
	r->counters.reassembled++;

	pkt->head = UST_NET_HEADROOM;
	pkt->len = UST_IPV4_HDR_LEN + e->total;
	struct ust_ipv4_repr h = {
		.src = e->src, .dst = e->dst, .protocol = e->proto, .ttl = e->ttl, .tos = e->tos,
		.id = e->id, .header_len = UST_IPV4_HDR_LEN,
		.total_len = (uint16_t)(UST_IPV4_HDR_LEN + e->total),
	};
	ust_ipv4_emit(&h, ust_pkt_data(r->pool, pkt), UST_IPV4_HDR_LEN);
	pkt->l3_offset = (uint16_t)pkt->head;
	pkt->l4_offset = (uint16_t)(pkt->head + UST_IPV4_HDR_LEN);
	return pkt;
}

struct ust_pkt *ust__reasm_input(struct ust__reasm *r, const struct ust_ipv4_repr *ip,
				 const uint8_t *hdr, uint64_t now)
{
	uint32_t off = ip->frag_offset, len = ip->payload_len, end = off + len;
	r->counters.rx_fragments++;
	if (len == 0 || (ip->more_fragments && (len & 7))) {
		r->counters.bad_length++;
		return NULL;
	}
	if (end > UST_IPV4_MAX_PACKET - UST_IPV4_HDR_LEN) {
		r->counters.too_big++;
		return NULL;
	}
	struct ust__reasm_entry *e = find(r, ip);
	if (!e) {
		e = create(r, ip, now);
		if (!e)
			return NULL;
	}
	/* Fragments must agree on where the datagram ends. */
	if ((e->has_last && (end > e->total || (!ip->more_fragments && end != e->total))) ||
	    (!ip->more_fragments && e->max_end > end)) {
		r->counters.inconsistent_end++;
		entry_free(r, e);
		return NULL;
	}

	uint8_t *base = payload_base(r, e);
	uint32_t first_block = off / 8, last_block = (end + 7) / 8;	/* [first, last) */
	uint32_t seen = count_range(e, first_block, last_block);
	for (uint32_t b = first_block; seen && b < last_block; b++) {
		if (!bit_get(e, b))
			continue;
		/* Bytes of block b that were received before: the whole block, unless it is the
		 * datagram's final partial block (only the last fragment covers it). */
		uint32_t lo = b * 8, hi = b * 8 + 8;
		if (e->has_last && hi > e->total)
			hi = e->total;
		if (hi > end)
			hi = end;
		if (hi > lo && memcmp(base + lo, ip->payload + (lo - off), hi - lo) != 0) {
			r->counters.overlap_conflict++;
			entry_free(r, e);
			return NULL;
		}
	}
	if (seen == last_block - first_block)
		r->counters.duplicates++;
	else if (seen)
		r->counters.overlap_identical++;

	memcpy(base + off, ip->payload, len);
	set_range(e, first_block, last_block);
	e->blocks += last_block - first_block - seen;
	if (end > e->max_end)
		e->max_end = end;
	if (!ip->more_fragments) {
		e->has_last = true;
		e->total = end;
	}
	if (off == 0 && !e->has_first) {
		e->has_first = true;
		e->tos = ip->tos;
		e->ttl = ip->ttl;
		size_t q = UST_MIN((size_t)len, (size_t)8);
		memcpy(e->quote, hdr, ip->header_len);
		memcpy(e->quote + ip->header_len, ip->payload, q);
		e->quote_len = (uint16_t)(ip->header_len + q);
	}
	if (e->has_last && e->blocks == (e->total + 7) / 8)
		return complete(r, e);
	return NULL;
}
