/*
 * IPv4: input checks and dispatch, output with routing and fragmentation, path MTU cache.
 *   ust__eth_input -> ust__ipv4_input -> [ust__reasm_input] -> ip_protos[p].input
 *   protocol -> ust__ipv4_output -> route -> [fragment] -> ust__arp_output | broadcast | loopback
 * Owns the reassembly engine (reasm.c) and the path MTU cache. Accepts datagrams to our
 * address and to the limited and subnet broadcasts; everything else is dropped and counted.
 */
#include <errno.h>
#include <string.h>

#include "core/util.h"
#include "net/stack.h"
#include "wire/bytes.h"
#include "wire/icmp.h"

static void on_reasm_timeout(void *arg, const uint8_t *quote, size_t quote_len, uint64_t now)
{
	(void)now;
	struct ust_stack *st = arg;
	ust__icmp_send_error(st, UST_ICMP_TIME_EXCEEDED, UST_ICMP_EXC_FRAGTIME, 0, quote, quote_len, false);
}

int ust__ipv4_init(struct ust_stack *st)
{
	return ust__reasm_init(&st->reasm, st->pools.big, &st->wheel, UST_REASM_MAX_DEFAULT,
			       UST_REASM_TIMEOUT_NS, on_reasm_timeout, st);
}

int ust__ipv4_register(struct ust_stack *st, uint8_t proto, ust__ip_input_fn input, ust__ip_error_fn error)
{
	if (st->ip_protos[proto].input)
		return -EBUSY;
	st->ip_protos[proto].input = input;
	st->ip_protos[proto].error = error;
	return 0;
}

bool ust__ipv4_is_broadcast(const struct ust_stack *st, uint32_t addr)
{
	if (addr == 0xffffffffu)
		return true;
	/* /31 and /32 have no subnet broadcast (RFC 3021) */
	return st->prefix_len < 31 && addr == (st->addr | ~st->netmask);
}

static bool is_multicast(uint32_t addr)
{
	return (addr >> 28) == 0xe;
}

int ust__ipv4_route(const struct ust_stack *st, uint32_t dst, uint32_t *nexthop)
{
	if (dst == 0 || is_multicast(dst) || (dst >> 24) == 127)
		return -ENETUNREACH;
	if ((dst & st->netmask) == (st->addr & st->netmask) || dst == st->addr) {
		*nexthop = dst;
		return 0;
	}
	if (st->gateway) {
		*nexthop = st->gateway;
		return 0;
	}
	return -ENETUNREACH;
}

uint32_t ust__ipv4_path_mtu(struct ust_stack *st, uint32_t dst)
{
	if (!st->pmtu_count)
		return st->mtu;	/* the usual case: nobody ever said the path was narrower */
	for (unsigned i = 0; i < UST_PMTU_ENTRIES; i++) {
		struct ust__pmtu_entry *e = &st->pmtu[i];
		if (e->mtu && e->dst == dst) {
			if (e->expires <= st->now) {
				e->mtu = 0;
				st->pmtu_count--;
				break;
			}
			return UST_MIN(e->mtu, st->mtu);
		}
	}
	return st->mtu;
}

void ust__ipv4_pmtu_update(struct ust_stack *st, uint32_t dst, uint32_t mtu)
{
	if (mtu == 0)
		mtu = 576;	/* a router too old to say: RFC 1191's plateau for X.25-era links */
	if (mtu < UST_IPV4_MIN_MTU)
		mtu = UST_IPV4_MIN_MTU;
	if (mtu >= st->mtu)
		return;
	struct ust__pmtu_entry *slot = NULL;
	for (unsigned i = 0; i < UST_PMTU_ENTRIES && !slot; i++)
		if (st->pmtu[i].mtu && st->pmtu[i].dst == dst)
			slot = &st->pmtu[i];
	if (slot && slot->expires > st->now && slot->mtu <= mtu)
		return;	/* already as low */
	for (unsigned i = 0; i < UST_PMTU_ENTRIES && !slot; i++)
		if (!st->pmtu[i].mtu)
			slot = &st->pmtu[i];
	if (!slot) {
		slot = &st->pmtu[0];	/* table full: replace the entry closest to expiry */
		for (unsigned i = 1; i < UST_PMTU_ENTRIES; i++)
			if (st->pmtu[i].expires < slot->expires)
				slot = &st->pmtu[i];
	}
	if (!slot->mtu)
		st->pmtu_count++;
	slot->dst = dst;
	slot->mtu = mtu;
	slot->expires = st->now + UST_PMTU_LIFETIME_NS;
	st->ipv4.pmtu_updates++;
}

/* --- input --- */

static void count_parse_error(struct ust_stack *st, enum ust_wire_error err)
{
	switch (err) {
	case UST_WIRE_TRUNCATED: st->ipv4.rx_truncated++; break;
	case UST_WIRE_BAD_VERSION: st->ipv4.rx_bad_version++; break;
	case UST_WIRE_BAD_HEADER_LEN: st->ipv4.rx_bad_header_len++; break;
	case UST_WIRE_BAD_LENGTH: st->ipv4.rx_bad_length++; break;
	case UST_WIRE_BAD_CHECKSUM: st->ipv4.rx_bad_checksum++; break;
	case UST_WIRE_BAD_FRAGMENT: st->ipv4.rx_bad_fragment++; break;
	default: st->ipv4.rx_malformed++; break;
	}
}

static void deliver(struct ust_stack *st, struct ust_pkt *pkt, const struct ust_ipv4_repr *ip,
		    const struct ust__ip_rx *rx)
{
	pkt->l3_offset = (uint16_t)pkt->head;
	ust_pkt_pull(pkt, ip->header_len);
	ust_pkt_trim(pkt, ip->payload_len);
	pkt->l4_offset = (uint16_t)pkt->head;
	const struct ust__ip_proto *p = &st->ip_protos[ip->protocol];
	if (!p->input) {
		st->ipv4.rx_unknown_protocol++;
		size_t qlen;
		const uint8_t *q = ust__ipv4_quote(st, pkt, &qlen);
		ust__icmp_send_error(st, UST_ICMP_DEST_UNREACH, UST_ICMP_UNREACH_PROTOCOL, 0, q, qlen,
				     rx->ip_broadcast || rx->link_broadcast);
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	st->ipv4.rx_delivered++;
	p->input(st, pkt, rx);
}

const uint8_t *ust__ipv4_quote(const struct ust_stack *st, const struct ust_pkt *pkt, size_t *len)
{
	const uint8_t *buf = ust__pkt_buf(&st->pools, pkt);
	size_t hlen = (size_t)(pkt->l4_offset - pkt->l3_offset);
	size_t avail = pkt->head + pkt->len > pkt->l4_offset ? pkt->head + pkt->len - pkt->l4_offset : 0;
	*len = hlen + UST_MIN(avail, (size_t)8);
	return buf + pkt->l3_offset;
}

static void input(struct ust_stack *st, struct ust_pkt *pkt, bool link_broadcast, bool loop, uint64_t now)
{
	struct ust_pool *pool = st->pools.small;
	st->ipv4.rx_packets++;
	uint8_t *data = ust_pkt_data(pool, pkt);
	struct ust_ipv4_repr ip;
	unsigned flags = (pkt->flags & UST_PKT_F_CSUM_VALID) ? UST_IPV4_PARSE_NO_CSUM : 0;
	enum ust_wire_error err = ust_ipv4_parse(data, pkt->len, flags, &ip);
	if (err != UST_WIRE_OK) {
		count_parse_error(st, err);
		goto drop;
	}
	bool ip_bcast = false;
	if (ip.dst != st->addr) {
		if (!ust__ipv4_is_broadcast(st, ip.dst)) {
			st->ipv4.rx_not_for_us++;
			goto drop;
		}
		ip_bcast = true;
	}
	if (ip.src == 0 || ust__ipv4_is_broadcast(st, ip.src) || is_multicast(ip.src) ||
	    (ip.src == st->addr && !loop)) {
		st->ipv4.rx_bad_source++;
		goto drop;
	}
	ust_pkt_trim(pkt, ip.total_len);	/* Ethernet padding */
	struct ust__ip_rx rx = { .ip = &ip, .link_broadcast = link_broadcast, .ip_broadcast = ip_bcast,
				 .now = now };
	if (ip.more_fragments || ip.frag_offset) {
		st->ipv4.rx_fragments++;
		struct ust_pkt *whole = ust__reasm_input(&st->reasm, &ip, data, now);
		ust_pkt_free(pool, pkt);
		if (!whole)
			return;
		/* the rebuilt header is ours and valid: no need to check it again */
		if (ust_ipv4_parse(ust_pkt_data(st->pools.big, whole), whole->len, UST_IPV4_PARSE_NO_CSUM,
				   &ip) != UST_WIRE_OK) {
			st->ipv4.rx_malformed++;
			ust_pkt_free(st->pools.big, whole);
			return;
		}
		rx.reassembled = true;
		pkt = whole;
	}
	deliver(st, pkt, &ip, &rx);
	return;
drop:
	ust_pkt_free(pool, pkt);
}

void ust__ipv4_input(struct ust_stack *st, struct ust_pkt *pkt, bool link_broadcast, uint64_t now)
{
	input(st, pkt, link_broadcast, false, now);
}

void ust__ipv4_input_loop(struct ust_stack *st, struct ust_pkt *pkt, uint64_t now)
{
	input(st, pkt, false, true, now);
}

/* --- output --- */

struct hop {
	uint32_t nexthop;
	bool broadcast;
	bool loopback;
	uint64_t owner;
};

static int send_frame(struct ust_stack *st, struct ust_pkt *frame, const struct hop *hop)
{
	if (hop->loopback) {
		st->ipv4.tx_loopback++;
		ust_pkt_queue_push(st->pools.small, &st->loopq, frame);
		return 0;
	}
	if (hop->broadcast) {
		ust__eth_output(st, frame, &ust_eth_broadcast, UST_ETHERTYPE_IPV4);
		return 0;
	}
	/* A full ARP queue drops and counts; like a full device queue it is not the sender's error. */
	(void)ust__arp_output(st, frame, hop->nexthop, hop->owner);
	return 0;
}

int ust__ipv4_output(struct ust_stack *st, struct ust_pkt *pkt, const struct ust__ip_tx *tx)
{
	struct ust_pool *pool = ust__pkt_pool(&st->pools, pkt);
	struct ust_pool *small = st->pools.small;
	uint32_t l4len = pkt->len;
	uint32_t total = UST_IPV4_HDR_LEN + l4len;
	int err;
	struct hop hop = { .owner = tx->owner };
	struct ust_ipv4_repr h = {
		.src = tx->src ? tx->src : st->addr, .dst = tx->dst, .protocol = tx->protocol,
		.ttl = tx->ttl ? tx->ttl : UST_IPV4_TTL_DEFAULT, .tos = tx->tos, .id = st->ip_id++,
		.dont_fragment = tx->df, .header_len = UST_IPV4_HDR_LEN,
	};
	if (total > UST_IPV4_MAX_PACKET) {
		st->ipv4.tx_too_big++;
		err = -EMSGSIZE;
		goto fail;
	}
	if (ust__ipv4_is_broadcast(st, tx->dst)) {
		hop.broadcast = true;
	} else if (tx->dst == st->addr) {
		hop.loopback = true;
	} else if (ust__ipv4_route(st, tx->dst, &hop.nexthop) != 0) {
		st->ipv4.tx_no_route++;
		err = -ENETUNREACH;
		goto fail;
	}
	uint32_t mtu = hop.broadcast || hop.loopback ? st->mtu : ust__ipv4_path_mtu(st, tx->dst);

	/* a TCP big segment for a TSO backend goes out whole: the device cuts it (added by tcpsm) */
	bool gso = (pkt->flags & UST_PKT_F_GSO_TCPV4) && (st->be->features & UST_BACKEND_F_TSO) &&
		   pool == small && !hop.broadcast && !hop.loopback;
	if (total <= mtu || gso) {
		h.total_len = (uint16_t)total;
		uint8_t *ph;
		if (pool == small && pkt->head >= UST_IPV4_HDR_LEN + UST_ETH_HDR_LEN) {
			ph = ust_pkt_push(small, pkt, UST_IPV4_HDR_LEN);
		} else {
			/* a big buffer (or one without headroom) that fits one frame: copy it over */
			struct ust_pkt *frame = ust__alloc_frame(st);
			if (!frame) {
				st->ipv4.tx_nobuf++;
				err = -ENOBUFS;
				goto fail;
			}
			ph = ust_pkt_put(small, frame, total);
			memcpy(ph + UST_IPV4_HDR_LEN, ust_pkt_data(pool, pkt), l4len);
			frame->flags = pkt->flags;
			ust_pkt_free(pool, pkt);
			pkt = frame;
		}
		ust_ipv4_emit(&h, ph, UST_IPV4_HDR_LEN);
		st->ipv4.tx_packets++;
		return send_frame(st, pkt, &hop);
	}
	if (tx->df) {
		st->ipv4.tx_too_big++;
		err = -EMSGSIZE;
		goto fail;
	}
	/* Fragment: every fragment but the last carries a multiple of 8 payload bytes. */
	uint32_t chunk = (mtu - UST_IPV4_HDR_LEN) & ~7u;
	const uint8_t *src = ust_pkt_data(pool, pkt);
	st->ipv4.tx_packets++;
	st->ipv4.tx_fragmented_datagrams++;
	for (uint32_t off = 0; off < l4len; off += chunk) {
		uint32_t n = UST_MIN(chunk, l4len - off);
		struct ust_pkt *frame = ust__alloc_frame(st);
		if (!frame) {
			st->ipv4.tx_nobuf++;
			err = -ENOBUFS;
			goto fail;
		}
		uint8_t *ph = ust_pkt_put(small, frame, UST_IPV4_HDR_LEN + n);
		h.more_fragments = off + n < l4len;
		h.frag_offset = (uint16_t)off;
		h.total_len = (uint16_t)(UST_IPV4_HDR_LEN + n);
		ust_ipv4_emit(&h, ph, UST_IPV4_HDR_LEN);
		memcpy(ph + UST_IPV4_HDR_LEN, src + off, n);
		st->ipv4.tx_fragments++;
		send_frame(st, frame, &hop);
	}
	ust_pkt_free(pool, pkt);
	return 0;
fail:
	ust_pkt_free(pool, pkt);
	return err;
}
