/*
 * Ethernet II: the first and last step of the stack's packet path.
 *   ust_stack_poll -> ust__eth_input -> ust__ipv4_input | ust__arp_input
 *   ust__arp_output -> ust__eth_output -> ust__stack_xmit
 * Accepts frames to our MAC and broadcasts; everything else is dropped and counted.
 */
#include "net/stack.h"

void ust__eth_input(struct ust_stack *st, struct ust_pkt *pkt, uint64_t now)
{
	struct ust_pool *pool = st->pools.small;
	st->eth.rx_frames++;
	struct ust_eth_repr eth;
	if (ust_eth_parse(ust_pkt_data(pool, pkt), pkt->len, &eth) != UST_WIRE_OK) {
		st->eth.rx_truncated++;
		goto drop;
	}
	bool bcast = false;
	if (ust_eth_addr_eq(&eth.dst, &st->mac)) {
		/* ours */
	} else if (ust_eth_addr_is_broadcast(&eth.dst)) {
		bcast = true;
	} else if (ust_eth_addr_is_multicast(&eth.dst)) {
		st->eth.rx_multicast++;
		goto drop;
	} else {
		st->eth.rx_other_mac++;
		goto drop;
	}
	if (ust_eth_addr_eq(&eth.src, &st->mac)) {
		st->eth.rx_own_source++;
		goto drop;
	}
	ust_pkt_pull(pkt, UST_ETH_HDR_LEN);
	switch (eth.ethertype) {
	case UST_ETHERTYPE_IPV4:
		ust__ipv4_input(st, pkt, bcast, now);
		return;
	case UST_ETHERTYPE_ARP:
		ust__arp_input(st, pkt, now);
		return;
	default:
		st->eth.rx_unknown_ethertype++;
		goto drop;
	}
drop:
	ust_pkt_free(pool, pkt);
}

void ust__eth_output(struct ust_stack *st, struct ust_pkt *pkt, const struct ust_eth_addr *dst,
		     uint16_t ethertype)
{
	struct ust_pool *pool = st->pools.small;
	uint8_t *h = ust_pkt_push(pool, pkt, UST_ETH_HDR_LEN);
	if (!h) {
		st->eth.tx_nobuf++;
		ust_pkt_free(pool, pkt);
		return;
	}
	struct ust_eth_repr eth = { .dst = *dst, .src = st->mac, .ethertype = ethertype };
	ust_eth_emit(&eth, h, UST_ETH_HDR_LEN);
	ust__stack_xmit(st, pkt);
}
