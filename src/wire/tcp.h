/*
 * TCP header and options: MSS, window scale, SACK-permitted, SACK blocks, timestamps,
 * NOP/EOL; unknown options are skipped by their length. Parse verifies the checksum unless
 * told it was offloaded; emit writes options in a fixed, aligned layout.
 */
#ifndef UST_WIRE_TCP_H
#define UST_WIRE_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

#define UST_TCP_HDR_LEN 20
#define UST_TCP_HDR_LEN_MAX 60
#define UST_TCP_MAX_SACK_BLOCKS 4

#define UST_TCP_FIN 0x01
#define UST_TCP_SYN 0x02
#define UST_TCP_RST 0x04
#define UST_TCP_PSH 0x08
#define UST_TCP_ACK 0x10
#define UST_TCP_URG 0x20
#define UST_TCP_ECE 0x40
#define UST_TCP_CWR 0x80

#define UST_TCP_OPT_EOL 0
#define UST_TCP_OPT_NOP 1
#define UST_TCP_OPT_MSS 2
#define UST_TCP_OPT_WSCALE 3
#define UST_TCP_OPT_SACK_PERMITTED 4
#define UST_TCP_OPT_SACK 5
#define UST_TCP_OPT_TIMESTAMP 8

struct ust_tcp_sack_block {
	uint32_t start;		/* left edge, first sequence number of the block */
	uint32_t end;		/* right edge, one past the last */
};

struct ust_tcp_options {
	bool has_mss;
	bool has_wscale;
	bool sack_permitted;
	bool has_timestamp;
	uint16_t mss;
	uint8_t wscale;		/* as received (callers clamp to 14 per RFC 7323) */
	uint8_t sack_count;	/* 0..4 valid entries in sack[] */
	uint32_t ts_val;
	uint32_t ts_ecr;
	struct ust_tcp_sack_block sack[UST_TCP_MAX_SACK_BLOCKS];
};

struct ust_tcp_repr {
	uint16_t src_port;
	uint16_t dst_port;
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;		/* UST_TCP_* */
	uint16_t window;	/* raw field, unscaled */
	uint16_t urgent;
	uint16_t header_len;	/* data offset * 4: 20..60 */
	struct ust_tcp_options opts;
	const uint8_t *payload;
	size_t payload_len;
};

#define UST_TCP_PARSE_NO_CSUM 0x1u

/*
 * Parse a segment of len bytes (the IP payload) from src to dst (host order).
 * TRUNCATED if len < 20; BAD_HEADER_LEN for data offset < 5 or beyond len; BAD_OPTION for an
 * option whose length is < 2 or overruns the header, or a known option with the wrong length;
 * BAD_CHECKSUM. SACK blocks beyond four are ignored. Also BAD_FLAGS for SYN together with FIN
 * or RST. Checks run in the order TRUNCATED, BAD_HEADER_LEN, BAD_CHECKSUM, BAD_FLAGS,
 * BAD_OPTION, so options are only interpreted in a segment whose checksum verified.
 */
enum ust_wire_error ust_tcp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
				  unsigned flags, struct ust_tcp_repr *out);

/* Header length (20 + options, padded to 4) that emit will write for these options. */
size_t ust_tcp_header_len(const struct ust_tcp_options *opts);

/*
 * Write the header and options at buf; the payload (payload_len bytes) must already sit right
 * after the header. With csum_offload false the full checksum is computed; with it true only
 * the pseudo-header sum is stored (for virtio-net checksum offload) and the caller sets
 * csum_start/csum_offset. repr->header_len is ignored (computed from the options).
 * SACK blocks that do not fit in the 40 option bytes are left out from the end (3 fit
 * beside timestamps, 4 without). A payload not already at buf + header length is moved
 * there. BAD_LENGTH if header + payload exceed 65535, NO_SPACE if len is too small.
 */
enum ust_wire_error ust_tcp_emit(const struct ust_tcp_repr *repr, uint32_t src, uint32_t dst,
				 bool csum_offload, uint8_t *buf, size_t len);

#endif
