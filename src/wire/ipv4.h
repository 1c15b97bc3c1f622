/* IPv4 header: parse (options skipped safely), emit (no options), address helpers. */
#ifndef UST_WIRE_IPV4_H
#define UST_WIRE_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

#define UST_IPV4_HDR_LEN 20		/* without options */
#define UST_IPV4_HDR_LEN_MAX 60
#define UST_IPV4_MAX_PACKET 65535
#define UST_IPPROTO_ICMP 1
#define UST_IPPROTO_TCP 6
#define UST_IPPROTO_UDP 17
#define UST_IPV4_TTL_DEFAULT 64

struct ust_ipv4_repr {
	uint32_t src;			/* host order */
	uint32_t dst;
	uint8_t protocol;
	uint8_t ttl;
	uint8_t tos;			/* DSCP + ECN byte */
	uint16_t id;
	bool dont_fragment;
	bool more_fragments;
	uint16_t frag_offset;		/* in bytes (field * 8) */
	uint16_t header_len;		/* bytes, 20..60 (emit always writes 20) */
	uint16_t total_len;		/* header + payload */
	const uint8_t *payload;		/* parse: into the caller's buffer */
	uint16_t payload_len;
};

/* Parse flags. */
#define UST_IPV4_PARSE_NO_CSUM 0x1u	/* checksum already verified by offload: skip it */
/*
 * The buffer is the datagram quoted inside an ICMP error, usually cut short: a total length
 * beyond len is accepted (payload_len is then the bytes present, total_len the field's value)
 * and the fragment range is not checked. Everything else is checked as usual.
 */
#define UST_IPV4_PARSE_QUOTE 0x2u

/*
 * Parse the header at buf. Rejects: len < 20 (TRUNCATED), version != 4 (BAD_VERSION),
 * IHL < 5 or IHL*4 > len (BAD_HEADER_LEN), total length < IHL*4 or > len (BAD_LENGTH),
 * checksum (BAD_CHECKSUM), fragment offset + payload beyond 65535 (BAD_FRAGMENT).
 * Also: the reserved flag bit set (BAD_FLAGS); MF set with a payload that is not a multiple
 * of 8 bytes (BAD_FRAGMENT).
 * Bytes after total_len (Ethernet padding) are ignored. Options are skipped unread.
 */
enum ust_wire_error ust_ipv4_parse(const uint8_t *buf, size_t len, unsigned flags,
				   struct ust_ipv4_repr *out);

/*
 * Write a 20-byte header at buf from repr (total_len, id, flags, offset, ttl, tos, protocol,
 * addresses) with a valid checksum. NO_SPACE when len < 20.
 */
enum ust_wire_error ust_ipv4_emit(const struct ust_ipv4_repr *repr, uint8_t *buf, size_t len);

/* "a.b.c.d" -> host order; "a.b.c.d/n" with prefix. 0 or -EINVAL. */
int ust_ipv4_addr_parse(const char *text, uint32_t *addr);
int ust_ipv4_prefix_parse(const char *text, uint32_t *addr, uint8_t *prefix_len);
/* Format host-order address into out (>= 16 bytes); returns out. */
char *ust_ipv4_addr_format(uint32_t addr, char out[16]);

static inline uint32_t ust_ipv4_netmask(uint8_t prefix_len)
{
	return prefix_len == 0 ? 0 : ~(uint32_t)0 << (32 - prefix_len);
}

#endif
