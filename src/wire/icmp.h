/*
 * ICMPv4: echo request/reply, destination unreachable (incl. fragmentation needed with the
 * next-hop MTU), time exceeded. Errors carry the offending IP header + at least 8 bytes.
 */
#ifndef UST_WIRE_ICMP_H
#define UST_WIRE_ICMP_H

#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

#define UST_ICMP_HDR_LEN 8
#define UST_ICMP_ECHO_REPLY 0
#define UST_ICMP_DEST_UNREACH 3
#define UST_ICMP_ECHO_REQUEST 8
#define UST_ICMP_TIME_EXCEEDED 11

/* Destination unreachable codes. */
#define UST_ICMP_UNREACH_NET 0
#define UST_ICMP_UNREACH_HOST 1
#define UST_ICMP_UNREACH_PROTOCOL 2
#define UST_ICMP_UNREACH_PORT 3
#define UST_ICMP_UNREACH_FRAG_NEEDED 4
/* Time exceeded codes. */
#define UST_ICMP_EXC_TTL 0
#define UST_ICMP_EXC_FRAGTIME 1

struct ust_icmp_repr {
	uint8_t type;
	uint8_t code;
	uint16_t echo_id;		/* echo request/reply */
	uint16_t echo_seq;
	uint16_t next_hop_mtu;		/* unreachable/frag-needed */
	const uint8_t *data;		/* echo payload, or the quoted datagram of an error */
	size_t data_len;
};

/*
 * Parse and verify the checksum over the whole message (len bytes). UNSUPPORTED for types
 * other than the four above; for errors, TRUNCATED if the quote is shorter than a minimal IP
 * header + 8 bytes. The quoted datagram itself is parsed by the caller with ust_ipv4_parse.
 */
enum ust_wire_error ust_icmp_parse(const uint8_t *buf, size_t len, struct ust_icmp_repr *out);

/* Bytes ust_icmp_emit writes for repr (8 + data_len). */
size_t ust_icmp_len(const struct ust_icmp_repr *repr);

/* Write header + data with checksum; data may already sit at buf + 8 (then it is not copied). */
enum ust_wire_error ust_icmp_emit(const struct ust_icmp_repr *repr, uint8_t *buf, size_t len);

#endif
