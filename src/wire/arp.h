/* ARP for Ethernet/IPv4 only (htype 1, ptype 0x0800, hlen 6, plen 4): parse and emit. */
#ifndef UST_WIRE_ARP_H
#define UST_WIRE_ARP_H

#include <stddef.h>
#include <stdint.h>

#include "wire/eth.h"
#include "wire/wire.h"

#define UST_ARP_LEN 28
#define UST_ARP_OP_REQUEST 1
#define UST_ARP_OP_REPLY 2

struct ust_arp_repr {
	uint16_t op;
	struct ust_eth_addr sha;	/* sender hardware address */
	uint32_t spa;			/* sender protocol address, host order */
	struct ust_eth_addr tha;
	uint32_t tpa;
};

/*
 * TRUNCATED below 28 bytes; UNSUPPORTED for other hardware/protocol types or ops other than
 * request/reply; BAD_LENGTH for Ethernet/IPv4 with hlen != 6 or plen != 4; BAD_ADDRESS for a
 * multicast/broadcast sender hardware address.
 */
enum ust_wire_error ust_arp_parse(const uint8_t *buf, size_t len, struct ust_arp_repr *out);
enum ust_wire_error ust_arp_emit(const struct ust_arp_repr *repr, uint8_t *buf, size_t len);

#endif
