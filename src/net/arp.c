/*
 * ARP cache and resolution (see arp.h for the states and limits).
 *   ust__ipv4_output -> ust__arp_output -> ust__eth_output | queue + request
 *   ust__eth_input -> ust__arp_input -> update entry, flush its queue, answer requests
 * Owns the cache entries, their timers and the frames waiting for resolution.
 */
#include <errno.h>
#include <string.h>

#include "core/util.h"
#include "net/stack.h"
#include "wire/arp.h"

static uint32_t hash_ip(uint32_t ip)
{
	return (ip * 2654435761u) >> (32 - 7);	/* UST_ARP_HASH = 128 buckets */
}

_Static_assert(UST_ARP_HASH == 128, "hash_ip gives 7 bits");

static struct ust__arp_entry *lookup(struct ust_stack *st, uint32_t ip)
{
	struct ust__arp_entry *e = st->arp.hash[hash_ip(ip)];
	while (e && e->ip != ip)
		e = e->hnext;
	return e;
}

const struct ust__arp_entry *ust__arp_lookup(const struct ust_stack *st, uint32_t ip)
{
	return lookup((struct ust_stack *)st, ip);
}

static void entry_remove(struct ust_stack *st, struct ust__arp_entry *e)
{
	struct ust__arp *arp = &st->arp;
	ust_timer_stop(&st->wheel, &e->timer);
	arp->queued_total -= e->queue.count;
	arp->queued_bytes -= ust__arp_entry_bytes(st->pools.small, e);
	ust_pkt_queue_purge(st->pools.small, &e->queue);
	struct ust__arp_entry **pp = &arp->hash[hash_ip(e->ip)];
	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	e->hnext = NULL;
	e->state = UST_ARP_FREE;
}

static void on_timer(struct ust_timer *t, uint64_t now);

void ust__arp_init(struct ust_stack *st)
{
	struct ust__arp *arp = &st->arp;
	for (unsigned i = 0; i < UST_ARP_TABLE_SIZE; i++) {
		struct ust__arp_entry *e = &arp->entries[i];
		e->st = st;
		e->state = UST_ARP_FREE;
		ust_pkt_queue_init(&e->queue);
		ust_timer_init(&e->timer, on_timer);
	}
}

void ust__arp_fini(struct ust_stack *st)
{
	for (unsigned i = 0; i < UST_ARP_TABLE_SIZE; i++)
		if (st->arp.entries[i].state != UST_ARP_FREE)
			entry_remove(st, &st->arp.entries[i]);
}

static struct ust__arp_entry *entry_new(struct ust_stack *st, uint32_t ip)
{
	struct ust__arp *arp = &st->arp;
	struct ust__arp_entry *e = NULL, *victim = NULL;
	for (unsigned i = 0; i < UST_ARP_TABLE_SIZE && !e; i++) {
		struct ust__arp_entry *c = &arp->entries[i];
		if (c->state == UST_ARP_FREE)
			e = c;
		else if (c->state != UST_ARP_INCOMPLETE && (!victim || c->confirmed < victim->confirmed))
			victim = c;
	}
	if (!e) {
		/* full: recycle the resolved entry confirmed longest ago (it can be asked again) */
		if (!victim) {
			arp->counters.table_full++;
			return NULL;
		}
		entry_remove(st, victim);
		e = victim;
	}
	e->ip = ip;
	e->tries = 0;
	e->used = false;
	memset(&e->mac, 0, sizeof(e->mac));
	e->confirmed = 0;
	uint32_t b = hash_ip(ip);
	e->hnext = arp->hash[b];
	arp->hash[b] = e;
	return e;
}

static void send_arp(struct ust_stack *st, uint16_t op, const struct ust_eth_addr *eth_dst,
		     const struct ust_eth_addr *tha, uint32_t tpa)
{
	struct ust_pkt *pkt = ust__alloc_frame(st);
	if (!pkt) {
		st->arp.counters.tx_nobuf++;
		return;
	}
	uint8_t *p = ust_pkt_put(st->pools.small, pkt, UST_ARP_LEN);
	struct ust_arp_repr a = { .op = op, .sha = st->mac, .spa = st->addr, .tha = *tha, .tpa = tpa };
	ust_arp_emit(&a, p, UST_ARP_LEN);
	ust__eth_output(st, pkt, eth_dst, UST_ETHERTYPE_ARP);
}

static const struct ust_eth_addr zero_mac;

static void send_request(struct ust_stack *st, struct ust__arp_entry *e, const struct ust_eth_addr *to)
{
	st->arp.counters.tx_requests++;
	send_arp(st, UST_ARP_OP_REQUEST, to, &zero_mac, e->ip);
}

void ust__arp_announce(struct ust_stack *st)
{
	st->arp.counters.tx_gratuitous++;
	send_arp(st, UST_ARP_OP_REQUEST, &ust_eth_broadcast, &zero_mac, st->addr);
}

/* Resolution failed: drop what waited, tell the senders on their next call. */
static void fail_entry(struct ust_stack *st, struct ust__arp_entry *e)
{
	struct ust__arp *arp = &st->arp;
	arp->counters.resolve_failed++;
	struct ust_pkt *pkt;
	while ((pkt = ust_pkt_queue_pop(st->pools.small, &e->queue))) {
		arp->queued_total--;
		arp->queued_bytes -= ust__arp_frame_bytes(st->pools.small);
		arp->counters.unresolved_dropped++;
		struct ust__sock *s = pkt->user ? ust__sock_by_token(st, pkt->user) : NULL;
		if (s)
			ust__sock_set_error(st, s, EHOSTUNREACH);
		ust_pkt_free(st->pools.small, pkt);
	}
	entry_remove(st, e);
}

static void on_timer(struct ust_timer *t, uint64_t now)
{
	struct ust__arp_entry *e = UST_CONTAINER_OF(t, struct ust__arp_entry, timer);
	struct ust_stack *st = e->st;
	switch (e->state) {
	case UST_ARP_INCOMPLETE:
		if (e->tries >= UST_ARP_TRIES) {
			fail_entry(st, e);
			return;
		}
		e->tries++;
		send_request(st, e, &ust_eth_broadcast);
		ust_timer_start(&st->wheel, &e->timer, now + UST_ARP_RETRY_NS);
		return;
	case UST_ARP_REACHABLE:
		if (!e->used) {
			st->arp.counters.expired++;
			entry_remove(st, e);
			return;
		}
		/* in use: keep using it while asking the owner directly (unicast) to confirm */
		e->state = UST_ARP_REFRESH;
		e->tries = 1;
		send_request(st, e, &e->mac);
		ust_timer_start(&st->wheel, &e->timer, now + UST_ARP_RETRY_NS);
		return;
	case UST_ARP_REFRESH:
		if (e->tries >= UST_ARP_TRIES) {
			st->arp.counters.expired++;
			entry_remove(st, e);
			return;
		}
		e->tries++;
		/* the last try is broadcast, in case the host changed its MAC */
		send_request(st, e, e->tries == UST_ARP_TRIES ? &ust_eth_broadcast : &e->mac);
		ust_timer_start(&st->wheel, &e->timer, now + UST_ARP_RETRY_NS);
		return;
	default:
		return;
	}
}

static void update(struct ust_stack *st, struct ust__arp_entry *e, const struct ust_eth_addr *mac, uint64_t now)
{
	uint8_t was = e->state;
	e->mac = *mac;
	e->confirmed = now;
	e->state = UST_ARP_REACHABLE;
	e->tries = 0;
	e->used = false;
	ust_timer_start(&st->wheel, &e->timer, now + UST_ARP_REACHABLE_NS);
	st->arp.counters.learned++;
	if (was == UST_ARP_REFRESH)
		st->arp.counters.refreshed++;
	if (was != UST_ARP_INCOMPLETE)
		return;
	st->arp.counters.resolved++;
	struct ust_pkt *pkt;
	while ((pkt = ust_pkt_queue_pop(st->pools.small, &e->queue))) {
		st->arp.queued_total--;
		st->arp.queued_bytes -= ust__arp_frame_bytes(st->pools.small);
		ust__eth_output(st, pkt, &e->mac, UST_ETHERTYPE_IPV4);
	}
}

int ust__arp_output(struct ust_stack *st, struct ust_pkt *pkt, uint32_t nexthop, uint64_t owner)
{
	struct ust__arp *arp = &st->arp;
	struct ust__arp_entry *e = lookup(st, nexthop);
	if (e && e->state != UST_ARP_INCOMPLETE) {
		e->used = true;
		ust__eth_output(st, pkt, &e->mac, UST_ETHERTYPE_IPV4);
		return 0;
	}
	if (!e) {
		e = entry_new(st, nexthop);
		if (!e) {
			ust_pkt_free(st->pools.small, pkt);
			return -ENOBUFS;
		}
		e->state = UST_ARP_INCOMPLETE;
		e->tries = 1;
		send_request(st, e, &ust_eth_broadcast);
		ust_timer_start(&st->wheel, &e->timer, st->now + UST_ARP_RETRY_NS);
	}
	/* Limits by bytes (a frame that does not fit is dropped, a later smaller one may still
	 * fit), and by buffers: never more than a share of the frame pool. */
	uint64_t bytes = ust__arp_frame_bytes(st->pools.small);
	uint32_t max_frames = st->pools.small->count / UST_ARP_QUEUE_POOL_DIVISOR;
	if (ust__arp_entry_bytes(st->pools.small, e) + bytes > UST_ARP_QUEUE_BYTES_PER_ENTRY ||
	    arp->queued_bytes + bytes > UST_ARP_QUEUE_BYTES_TOTAL || arp->queued_total >= max_frames) {
		arp->counters.queue_full_dropped++;
		ust_pkt_free(st->pools.small, pkt);
		return -ENOBUFS;
	}
	pkt->user = owner;
	ust_pkt_queue_push(st->pools.small, &e->queue, pkt);
	arp->queued_total++;
	arp->queued_bytes += bytes;
	arp->counters.queued++;
	return 0;
}

void ust__arp_input(struct ust_stack *st, struct ust_pkt *pkt, uint64_t now)
{
	struct ust__arp_counters *c = &st->arp.counters;
	c->rx_packets++;
	struct ust_arp_repr a;
	if (ust_arp_parse(ust_pkt_data(st->pools.small, pkt), pkt->len, &a) != UST_WIRE_OK) {
		c->rx_malformed++;
		goto done;
	}
	if (a.op == UST_ARP_OP_REQUEST)
		c->rx_requests++;
	else
		c->rx_replies++;
	if (ust_eth_addr_is_multicast(&a.sha) || ust_eth_addr_eq(&a.sha, &st->mac) ||
	    ust__ipv4_is_broadcast(st, a.spa) || (a.spa >> 28) == 0xe) {
		c->rx_bad_sender++;
		goto done;
	}
	if (a.spa == st->addr) {
		c->rx_address_conflict++;
		goto done;
	}
	bool for_us = a.tpa == st->addr;
	struct ust__arp_entry *e = a.spa ? lookup(st, a.spa) : NULL;
	if (e && (e->state == UST_ARP_INCOMPLETE || e->state == UST_ARP_REFRESH)) {
		update(st, e, &a.sha, now);	/* the answer (or news) we were waiting for */
	} else if (a.spa && a.op == UST_ARP_OP_REQUEST && for_us) {
		/* it is about to talk to us: learn it, saving a request of our own */
		if (!e)
			e = entry_new(st, a.spa);
		if (e)
			update(st, e, &a.sha, now);
	} else if (a.spa && (a.op == UST_ARP_OP_REPLY || a.spa == a.tpa)) {
		/* an unsolicited reply or a gratuitous announcement */
		if (st->accept_unsolicited_arp) {
			if (!e)
				e = entry_new(st, a.spa);
			if (e)
				update(st, e, &a.sha, now);
		} else {
			c->rx_unsolicited_ignored++;
		}
	} else if (!for_us) {
		c->rx_not_for_us++;
	}
	if (a.op == UST_ARP_OP_REQUEST && for_us) {
		c->tx_replies++;
		send_arp(st, UST_ARP_OP_REPLY, &a.sha, &a.sha, a.spa);
	}
done:
	ust_pkt_free(st->pools.small, pkt);
}
