/*
 * IPv4 header parse/emit (RFC 791) and address text helpers. net/ipv4 parses every frame
 * with ethertype 0x0800 here before reassembly and demultiplexing to ICMP, UDP and TCP; its
 * output path (and fragmentation) writes the 20-byte header here.
 */
#include "wire/ipv4.h"

#include <errno.h>
#include <stdio.h>

#include "wire/bytes.h"
#include "wire/checksum.h"

#define IPV4_FLAG_RESERVED 0x8000
#define IPV4_FLAG_DF 0x4000
#define IPV4_FLAG_MF 0x2000
#define IPV4_OFFSET_MASK 0x1fff

/*
 * The checks follow the header's own dependency order: nothing is read before len covers
 * it, and the checksum is only computed over a header length already known to fit.
 * Beyond the codes in ipv4.h: the reserved flag bit set is BAD_FLAGS (RFC 791: must be
 * zero); a fragment with MF set whose payload is not a multiple of 8 bytes is BAD_FRAGMENT
 * (the next fragment's offset could not continue it).
 */
enum ust_wire_error ust_ipv4_parse(const uint8_t *buf, size_t len, unsigned flags,
				   struct ust_ipv4_repr *out)
{
	size_t header_len, total_len, payload_len;
	uint16_t frag;

	if (len < UST_IPV4_HDR_LEN)
		return UST_WIRE_TRUNCATED;
	if (buf[0] >> 4 != 4)
		return UST_WIRE_BAD_VERSION;
	header_len = (size_t)(buf[0] & 0x0f) * 4;
	if (header_len < UST_IPV4_HDR_LEN || header_len > len)
		return UST_WIRE_BAD_HEADER_LEN;
	total_len = ust_get_be16(buf + 2);
	if (total_len < header_len)
		return UST_WIRE_BAD_LENGTH;
	if (total_len > len) {
		if (!(flags & UST_IPV4_PARSE_QUOTE))
			return UST_WIRE_BAD_LENGTH;
		payload_len = len - header_len;
	} else {
		payload_len = total_len - header_len;
	}
	if (!(flags & UST_IPV4_PARSE_NO_CSUM) && ust_csum(buf, header_len) != 0)
		return UST_WIRE_BAD_CHECKSUM;

	frag = ust_get_be16(buf + 6);
	if (frag & IPV4_FLAG_RESERVED)
		return UST_WIRE_BAD_FLAGS;
	out->dont_fragment = (frag & IPV4_FLAG_DF) != 0;
	out->more_fragments = (frag & IPV4_FLAG_MF) != 0;
	out->frag_offset = (uint16_t)((frag & IPV4_OFFSET_MASK) * 8);
	if (!(flags & UST_IPV4_PARSE_QUOTE)) {
		if ((size_t)out->frag_offset + (total_len - header_len) > UST_IPV4_MAX_PACKET)
			return UST_WIRE_BAD_FRAGMENT;
		if (out->more_fragments && (total_len - header_len) % 8 != 0)
			return UST_WIRE_BAD_FRAGMENT;
	}

	out->tos = buf[1];
	out->id = ust_get_be16(buf + 4);
	out->ttl = buf[8];
	out->protocol = buf[9];
	out->src = ust_get_be32(buf + 12);
	out->dst = ust_get_be32(buf + 16);
	out->header_len = (uint16_t)header_len;
	out->total_len = (uint16_t)total_len;
	out->payload = buf + header_len;
	out->payload_len = (uint16_t)payload_len;
	return UST_WIRE_OK;
}

/*
 * Emits exactly what repr says; a fragment offset that is not a multiple of 8 cannot be
 * represented (BAD_FRAGMENT) and a total length below 20 would describe no valid datagram
 * (BAD_LENGTH).
 */
enum ust_wire_error ust_ipv4_emit(const struct ust_ipv4_repr *repr, uint8_t *buf, size_t len)
{
	uint16_t frag;

	if (len < UST_IPV4_HDR_LEN)
		return UST_WIRE_NO_SPACE;
	if (repr->total_len < UST_IPV4_HDR_LEN)
		return UST_WIRE_BAD_LENGTH;
	if (repr->frag_offset % 8 != 0)
		return UST_WIRE_BAD_FRAGMENT;
	frag = (uint16_t)(repr->frag_offset / 8);
	if (repr->dont_fragment)
		frag |= IPV4_FLAG_DF;
	if (repr->more_fragments)
		frag |= IPV4_FLAG_MF;
	buf[0] = 0x45;
	buf[1] = repr->tos;
	ust_put_be16(buf + 2, repr->total_len);
	ust_put_be16(buf + 4, repr->id);
	ust_put_be16(buf + 6, frag);
	buf[8] = repr->ttl;
	buf[9] = repr->protocol;
	ust_put_be16(buf + 10, 0);
	ust_put_be32(buf + 12, repr->src);
	ust_put_be32(buf + 16, repr->dst);
	ust_put_be16(buf + 10, ust_csum(buf, UST_IPV4_HDR_LEN));
	return UST_WIRE_OK;
}

/*
 * One decimal octet 0..255 of at most three digits; no sign, no leading zero (so "010" is
 * refused instead of guessing whether it meant octal as inet_aton would). Returns the text
 * after it, or NULL.
 */
static const char *parse_octet(const char *p, uint32_t *value)
{
	uint32_t v = 0;
	int digits = 0;

	while (*p >= '0' && *p <= '9') {
		if (digits == 3 || (digits == 1 && v == 0))
			return NULL;
		v = v * 10 + (uint32_t)(*p - '0');
		digits++;
		p++;
	}
	if (digits == 0 || v > 255)
		return NULL;
	*value = v;
	return p;
}

/* Parses the four octets; returns the text after them or NULL. */
static const char *parse_addr(const char *p, uint32_t *addr)
{
	uint32_t a = 0;

	if (p == NULL)
		return NULL;
	for (int i = 0; i < 4; i++) {
		uint32_t octet;

		p = parse_octet(p, &octet);
		if (p == NULL)
			return NULL;
		a = a << 8 | octet;
		if (i < 3) {
			if (*p != '.')
				return NULL;
			p++;
		}
	}
	*addr = a;
	return p;
}

int ust_ipv4_addr_parse(const char *text, uint32_t *addr)
{
	uint32_t a;
	const char *end = parse_addr(text, &a);

	if (end == NULL || *end != '\0')
		return -EINVAL;
	*addr = a;
	return 0;
}

/* "a.b.c.d/n" with n in 0..32; a plain "a.b.c.d" is accepted as a host route (/32). */
int ust_ipv4_prefix_parse(const char *text, uint32_t *addr, uint8_t *prefix_len)
{
	uint32_t a, n = 32;
	const char *p = parse_addr(text, &a);

	if (p == NULL)
		return -EINVAL;
	if (*p == '/') {
		int digits = 0;

		p++;
		n = 0;
		while (*p >= '0' && *p <= '9' && digits < 2) {
			n = n * 10 + (uint32_t)(*p - '0');
			digits++;
			p++;
		}
		if (digits == 0 || n > 32)
			return -EINVAL;
	}
	if (*p != '\0')
		return -EINVAL;
	*addr = a;
	*prefix_len = (uint8_t)n;
	return 0;
}

char *ust_ipv4_addr_format(uint32_t addr, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff,
		 addr & 0xff);
	return out;
}
