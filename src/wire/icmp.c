/*
 * ICMPv4 (RFC 792, RFC 1191) parse/emit for echo request/reply, destination unreachable and
 * time exceeded. net/icmp parses every IPv4 payload with protocol 1 here and writes echo
 * replies and error messages (port unreachable, TTL exceeded, fragmentation needed) here.
 */
#include "wire/icmp.h"

#include <stdbool.h>
#include <string.h>

#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"

static bool is_error(uint8_t type)
{
	return type == UST_ICMP_DEST_UNREACH || type == UST_ICMP_TIME_EXCEEDED;
}

/*
 * Checks: TRUNCATED below 8 bytes; BAD_CHECKSUM over the whole message; UNSUPPORTED for
 * other types (type and code are still filled in so the caller can count them); for errors,
 * TRUNCATED when the quote is shorter than 20 + 8 bytes or than its own IHL * 4 + 8 bytes
 * (RFC 792: the quote holds the whole IP header and the first 8 bytes of its payload,
 * which is where the ports a socket lookup needs are).
 */
enum ust_wire_error ust_icmp_parse(const uint8_t *buf, size_t len, struct ust_icmp_repr *out)
{
	if (len < UST_ICMP_HDR_LEN)
		return UST_WIRE_TRUNCATED;
	if (ust_csum(buf, len) != 0)
		return UST_WIRE_BAD_CHECKSUM;
	out->type = buf[0];
	out->code = buf[1];
	out->echo_id = 0;
	out->echo_seq = 0;
	out->next_hop_mtu = 0;
	out->data = buf + UST_ICMP_HDR_LEN;
	out->data_len = len - UST_ICMP_HDR_LEN;
	switch (out->type) {
	case UST_ICMP_ECHO_REQUEST:
	case UST_ICMP_ECHO_REPLY:
		out->echo_id = ust_get_be16(buf + 4);
		out->echo_seq = ust_get_be16(buf + 6);
		return UST_WIRE_OK;
	case UST_ICMP_DEST_UNREACH:
	case UST_ICMP_TIME_EXCEEDED:
		break;
	default:
		return UST_WIRE_UNSUPPORTED;
	}
	if (out->type == UST_ICMP_DEST_UNREACH && out->code == UST_ICMP_UNREACH_FRAG_NEEDED)
		out->next_hop_mtu = ust_get_be16(buf + 6);
	if (out->data_len < UST_IPV4_HDR_LEN + 8)
		return UST_WIRE_TRUNCATED;
	if (out->data_len < (size_t)(out->data[0] & 0x0f) * 4 + 8)
		return UST_WIRE_TRUNCATED;
	return UST_WIRE_OK;
}

size_t ust_icmp_len(const struct ust_icmp_repr *repr)
{
	return UST_ICMP_HDR_LEN + repr->data_len;
}

/*
 * Bytes 4..7 hold the echo identifier and sequence, or the next-hop MTU in 6..7 for
 * fragmentation needed; they are zero for other errors. Types other than the four supported
 * are UNSUPPORTED rather than written with a guessed layout.
 */
enum ust_wire_error ust_icmp_emit(const struct ust_icmp_repr *repr, uint8_t *buf, size_t len)
{
	size_t total = ust_icmp_len(repr);

	if (repr->type != UST_ICMP_ECHO_REQUEST && repr->type != UST_ICMP_ECHO_REPLY &&
	    !is_error(repr->type))
		return UST_WIRE_UNSUPPORTED;
	if (len < total)
		return UST_WIRE_NO_SPACE;
	if (repr->data_len > 0 && repr->data != NULL && repr->data != buf + UST_ICMP_HDR_LEN)
		memmove(buf + UST_ICMP_HDR_LEN, repr->data, repr->data_len);
	buf[0] = repr->type;
	buf[1] = repr->code;
	ust_put_be16(buf + 2, 0);
	if (is_error(repr->type)) {
		bool frag = repr->type == UST_ICMP_DEST_UNREACH &&
			    repr->code == UST_ICMP_UNREACH_FRAG_NEEDED;

		ust_put_be16(buf + 4, 0);
		ust_put_be16(buf + 6, frag ? repr->next_hop_mtu : 0);
	} else {
		ust_put_be16(buf + 4, repr->echo_id);
		ust_put_be16(buf + 6, repr->echo_seq);
	}
	ust_put_be16(buf + 2, ust_csum(buf, total));
	return UST_WIRE_OK;
}
