/*
 * ARP for Ethernet/IPv4 (RFC 826): parse and emit the 28-byte body after the Ethernet
 * header. net/arp calls the parser for every frame with ethertype 0x0806 and the emitter for
 * requests, replies and gratuitous announcements.
 */
#include "wire/arp.h"

#include <string.h>

#include "wire/bytes.h"

#define ARP_HTYPE_ETHERNET 1

/*
 * Order of checks: a body too short for Ethernet/IPv4 is TRUNCATED; another hardware or
 * protocol type is UNSUPPORTED; Ethernet/IPv4 with address lengths other than 6 and 4 is
 * BAD_LENGTH (the length fields contradict the types); an op other than request/reply is
 * UNSUPPORTED; a multicast or broadcast sender hardware address is BAD_ADDRESS (no station
 * owns one, so a cache entry for it would be poison).
 */
enum ust_wire_error ust_arp_parse(const uint8_t *buf, size_t len, struct ust_arp_repr *out)
{
	if (len < UST_ARP_LEN)
		return UST_WIRE_TRUNCATED;
	if (ust_get_be16(buf) != ARP_HTYPE_ETHERNET || ust_get_be16(buf + 2) != UST_ETHERTYPE_IPV4)
		return UST_WIRE_UNSUPPORTED;
	if (buf[4] != UST_ETH_ADDR_LEN || buf[5] != 4)
		return UST_WIRE_BAD_LENGTH;
	out->op = ust_get_be16(buf + 6);
	if (out->op != UST_ARP_OP_REQUEST && out->op != UST_ARP_OP_REPLY)
		return UST_WIRE_UNSUPPORTED;
	memcpy(out->sha.b, buf + 8, UST_ETH_ADDR_LEN);
	out->spa = ust_get_be32(buf + 14);
	memcpy(out->tha.b, buf + 18, UST_ETH_ADDR_LEN);
	out->tpa = ust_get_be32(buf + 24);
	if (ust_eth_addr_is_multicast(&out->sha))
		return UST_WIRE_BAD_ADDRESS;
	return UST_WIRE_OK;
}

enum ust_wire_error ust_arp_emit(const struct ust_arp_repr *repr, uint8_t *buf, size_t len)
{
	if (len < UST_ARP_LEN)
		return UST_WIRE_NO_SPACE;
	ust_put_be16(buf, ARP_HTYPE_ETHERNET);
	ust_put_be16(buf + 2, UST_ETHERTYPE_IPV4);
	buf[4] = UST_ETH_ADDR_LEN;
	buf[5] = 4;
	ust_put_be16(buf + 6, repr->op);
	memcpy(buf + 8, repr->sha.b, UST_ETH_ADDR_LEN);
	ust_put_be32(buf + 14, repr->spa);
	memcpy(buf + 18, repr->tha.b, UST_ETH_ADDR_LEN);
	ust_put_be32(buf + 24, repr->tpa);
	return UST_WIRE_OK;
}
