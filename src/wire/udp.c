/*
 * UDP header parse/emit (RFC 768) with the IPv4 pseudo-header checksum. net/udp parses
 * every IPv4 payload with protocol 17 here before the socket lookup, and writes every
 * datagram's header here after the payload has been placed behind it.
 */
#include "wire/udp.h"

#include <string.h>

#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"

enum ust_wire_error ust_udp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
				  unsigned flags, struct ust_udp_repr *out)
{
	uint16_t length;

	if (len < UST_UDP_HDR_LEN)
		return UST_WIRE_TRUNCATED;
	length = ust_get_be16(buf + 4);
	if (length < UST_UDP_HDR_LEN || length > len)
		return UST_WIRE_BAD_LENGTH;
	out->src_port = ust_get_be16(buf);
	out->dst_port = ust_get_be16(buf + 2);
	out->length = length;
	out->checksum = ust_get_be16(buf + 6);
	if (out->checksum != 0 && !(flags & UST_UDP_PARSE_NO_CSUM)) {
		uint32_t sum = ust_csum_pseudo_ipv4(src, dst, UST_IPPROTO_UDP, length);

		if (ust_csum_fold(ust_csum_partial(buf, length, sum)) != 0)
			return UST_WIRE_BAD_CHECKSUM;
	}
	out->payload = buf + UST_UDP_HDR_LEN;
	out->payload_len = length - UST_UDP_HDR_LEN;
	return UST_WIRE_OK;
}

/*
 * The length field is computed from payload_len (repr->length and repr->checksum are
 * ignored); a datagram over 65535 bytes is BAD_LENGTH. If repr->payload points elsewhere
 * than buf + 8 it is moved there first.
 */
enum ust_wire_error ust_udp_emit(const struct ust_udp_repr *repr, uint32_t src, uint32_t dst,
				 uint8_t *buf, size_t len)
{
	size_t total = UST_UDP_HDR_LEN + repr->payload_len;
	uint16_t csum;

	if (total > UST_IPV4_MAX_PACKET)
		return UST_WIRE_BAD_LENGTH;
	if (len < total)
		return UST_WIRE_NO_SPACE;
	if (repr->payload_len > 0 && repr->payload != NULL && repr->payload != buf + UST_UDP_HDR_LEN)
		memmove(buf + UST_UDP_HDR_LEN, repr->payload, repr->payload_len);
	ust_put_be16(buf, repr->src_port);
	ust_put_be16(buf + 2, repr->dst_port);
	ust_put_be16(buf + 4, (uint16_t)total);
	ust_put_be16(buf + 6, 0);
	csum = ust_csum_fold(ust_csum_partial(buf, total,
				ust_csum_pseudo_ipv4(src, dst, UST_IPPROTO_UDP, (uint16_t)total)));
	/* RFC 768: a computed zero is sent as all ones, since zero means "no checksum". */
	ust_put_be16(buf + 6, csum == 0 ? 0xffff : csum);
	return UST_WIRE_OK;
}
