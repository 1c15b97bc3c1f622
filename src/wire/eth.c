/*
 * Ethernet II header parse/emit and MAC address text helpers. First and last step of every
 * frame: the stack's input demultiplexes on the ethertype parsed here, and its output writes
 * the header here after ARP resolved the destination.
 */
#include "wire/eth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "wire/bytes.h"

const struct ust_eth_addr ust_eth_broadcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly six pairs of hex digits separated by ':' and nothing after them. */
int ust_eth_addr_parse(const char *text, struct ust_eth_addr *out)
{
	struct ust_eth_addr addr;

	if (text == NULL)
		return -EINVAL;
	for (int i = 0; i < UST_ETH_ADDR_LEN; i++) {
		int hi = hex_value(text[0]);
		int lo = hi < 0 ? -1 : hex_value(text[1]);

		if (lo < 0)
			return -EINVAL;
		addr.b[i] = (uint8_t)(hi << 4 | lo);
		text += 2;
		if (i < UST_ETH_ADDR_LEN - 1) {
			if (*text != ':')
				return -EINVAL;
			text++;
		}
	}
	if (*text != '\0')
		return -EINVAL;
	*out = addr;
	return 0;
}

void ust_eth_addr_format(const struct ust_eth_addr *addr, char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", addr->b[0], addr->b[1], addr->b[2],
		 addr->b[3], addr->b[4], addr->b[5]);
}

enum ust_wire_error ust_eth_parse(const uint8_t *buf, size_t len, struct ust_eth_repr *out)
{
	if (len < UST_ETH_HDR_LEN)
		return UST_WIRE_TRUNCATED;
	memcpy(out->dst.b, buf, UST_ETH_ADDR_LEN);
	memcpy(out->src.b, buf + 6, UST_ETH_ADDR_LEN);
	out->ethertype = ust_get_be16(buf + 12);
	return UST_WIRE_OK;
}

enum ust_wire_error ust_eth_emit(const struct ust_eth_repr *repr, uint8_t *buf, size_t len)
{
	if (len < UST_ETH_HDR_LEN)
		return UST_WIRE_NO_SPACE;
	memcpy(buf, repr->dst.b, UST_ETH_ADDR_LEN);
	memcpy(buf + 6, repr->src.b, UST_ETH_ADDR_LEN);
	ust_put_be16(buf + 12, repr->ethertype);
	return UST_WIRE_OK;
}
