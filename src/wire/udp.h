/* UDP header: parse with pseudo-header checksum (zero checksum = none, accepted), emit. */
#ifndef UST_WIRE_UDP_H
#define UST_WIRE_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

#define UST_UDP_HDR_LEN 8
#define UST_UDP_CSUM_OFFSET 6	/* the checksum field, from the start of the header */
#define UST_UDP_MAX_PAYLOAD 65507	/* 65535 - 20 (IP) - 8 (UDP) */

struct ust_udp_repr {
	uint16_t src_port;
	uint16_t dst_port;
	uint16_t length;		/* header + payload, as on the wire */
	uint16_t checksum;		/* as on the wire; 0 means none */
	const uint8_t *payload;
	size_t payload_len;
};

#define UST_UDP_PARSE_NO_CSUM 0x1u	/* checksum verified by offload */

/*
 * Parse a datagram of len bytes (the IP payload) from src to dst (host order).
 * TRUNCATED if len < 8; BAD_LENGTH if the length field < 8 or > len (bytes beyond the length
 * field are ignored); BAD_CHECKSUM unless the checksum is 0 or verifies.
 */
enum ust_wire_error ust_udp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
				  unsigned flags, struct ust_udp_repr *out);

/*
 * Write the header at buf (payload already at buf + 8, payload_len bytes) with the checksum
 * over the pseudo-header (a computed 0 is sent as 0xffff). The length field comes from
 * payload_len (repr->length/checksum are ignored); a payload elsewhere is moved to buf + 8.
 */
enum ust_wire_error ust_udp_emit(const struct ust_udp_repr *repr, uint32_t src, uint32_t dst,
				 uint8_t *buf, size_t len);

#endif
