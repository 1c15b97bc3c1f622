/* Ethernet II header: parse and emit. No 802.1Q (a tagged frame parses as ethertype 0x8100). */
#ifndef UST_WIRE_ETH_H
#define UST_WIRE_ETH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

#define UST_ETH_ADDR_LEN 6
#define UST_ETH_HDR_LEN 14
#define UST_ETH_MTU_DEFAULT 1500
#define UST_ETHERTYPE_IPV4 0x0800
#define UST_ETHERTYPE_ARP 0x0806
#define UST_ETHERTYPE_VLAN 0x8100
#define UST_ETHERTYPE_IPV6 0x86dd

struct ust_eth_addr {
	uint8_t b[UST_ETH_ADDR_LEN];
};

struct ust_eth_repr {
	struct ust_eth_addr dst;
	struct ust_eth_addr src;
	uint16_t ethertype;
};

extern const struct ust_eth_addr ust_eth_broadcast;

static inline bool ust_eth_addr_eq(const struct ust_eth_addr *a, const struct ust_eth_addr *b)
{
	for (int i = 0; i < UST_ETH_ADDR_LEN; i++)
		if (a->b[i] != b->b[i])
			return false;
	return true;
}

static inline bool ust_eth_addr_is_broadcast(const struct ust_eth_addr *a)
{
	return ust_eth_addr_eq(a, &ust_eth_broadcast);
}

static inline bool ust_eth_addr_is_multicast(const struct ust_eth_addr *a)
{
	return (a->b[0] & 1) != 0;
}

/* Parse "aa:bb:cc:dd:ee:ff"; 0 or -EINVAL. Format into out (>= 18 bytes). */
int ust_eth_addr_parse(const char *text, struct ust_eth_addr *out);
void ust_eth_addr_format(const struct ust_eth_addr *addr, char out[18]);

/* Parse the header at buf; payload starts at buf + UST_ETH_HDR_LEN. */
enum ust_wire_error ust_eth_parse(const uint8_t *buf, size_t len, struct ust_eth_repr *out);

/* Write the header at buf (len >= UST_ETH_HDR_LEN); returns UST_WIRE_NO_SPACE otherwise. */
enum ust_wire_error ust_eth_emit(const struct ust_eth_repr *repr, uint8_t *buf, size_t len);

#endif
