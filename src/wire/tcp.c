/*
 * TCP header and option parse/emit (RFC 9293, RFC 7323, RFC 2018). net/tcp input parses
 * every IPv4 payload with protocol 6 here before the connection lookup; tcp output writes
 * every segment's header here after placing the payload behind it.
 *
 * Emitted options use the layout Linux uses, so every option lands 4-byte aligned and a
 * capture of ours reads like a capture of Linux:
 *   MSS                      02 04 mm mm
 *   SACK-permitted + TS      04 02 08 0a <tsval> <tsecr>     (SYN with both)
 *   TS alone                 01 01 08 0a <tsval> <tsecr>
 *   SACK-permitted alone     01 01 04 02
 *   window scale             01 03 03 ss
 *   SACK blocks              01 01 05 len <start end>...
 */
#include "wire/tcp.h"

#include <string.h>

#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"

#define TCP_OPT_LEN_MSS 4
#define TCP_OPT_LEN_WSCALE 3
#define TCP_OPT_LEN_SACK_PERMITTED 2
#define TCP_OPT_LEN_TIMESTAMP 10
#define TCP_OPT_LEN_SACK_BLOCK 8
#define TCP_OPT_SPACE (UST_TCP_HDR_LEN_MAX - UST_TCP_HDR_LEN)

/*
 * Walks the options in [p, end). Every read is bounded by end: the kind byte by the loop
 * condition, the length byte by the explicit check, the body by olen <= end - p.
 */
static enum ust_wire_error parse_options(const uint8_t *p, const uint8_t *end,
					 struct ust_tcp_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	while (p < end) {
		uint8_t kind = p[0];
		size_t olen;

		if (kind == UST_TCP_OPT_EOL)
			break;
		if (kind == UST_TCP_OPT_NOP) {
			p++;
			continue;
		}
		if (end - p < 2)
			return UST_WIRE_BAD_OPTION;
		olen = p[1];
		if (olen < 2 || olen > (size_t)(end - p))
			return UST_WIRE_BAD_OPTION;
		switch (kind) {
		case UST_TCP_OPT_MSS:
			if (olen != TCP_OPT_LEN_MSS)
				return UST_WIRE_BAD_OPTION;
			opts->has_mss = true;
			opts->mss = ust_get_be16(p + 2);
			break;
		case UST_TCP_OPT_WSCALE:
			if (olen != TCP_OPT_LEN_WSCALE)
				return UST_WIRE_BAD_OPTION;
			opts->has_wscale = true;
			opts->wscale = p[2];
			break;
		case UST_TCP_OPT_SACK_PERMITTED:
			if (olen != TCP_OPT_LEN_SACK_PERMITTED)
				return UST_WIRE_BAD_OPTION;
			opts->sack_permitted = true;
			break;
		case UST_TCP_OPT_SACK: {
			size_t blocks = (olen - 2) / TCP_OPT_LEN_SACK_BLOCK;

			if (olen < 2 + TCP_OPT_LEN_SACK_BLOCK || (olen - 2) % TCP_OPT_LEN_SACK_BLOCK != 0)
				return UST_WIRE_BAD_OPTION;
			if (blocks > UST_TCP_MAX_SACK_BLOCKS)
				blocks = UST_TCP_MAX_SACK_BLOCKS;
			for (size_t i = 0; i < blocks; i++) {
				opts->sack[i].start = ust_get_be32(p + 2 + i * 8);
				opts->sack[i].end = ust_get_be32(p + 6 + i * 8);
			}
			opts->sack_count = (uint8_t)blocks;
			break;
		}
		case UST_TCP_OPT_TIMESTAMP:
			if (olen != TCP_OPT_LEN_TIMESTAMP)
				return UST_WIRE_BAD_OPTION;
			opts->has_timestamp = true;
			opts->ts_val = ust_get_be32(p + 2);
			opts->ts_ecr = ust_get_be32(p + 6);
			break;
		default:
			/* Unknown: skipped by its length (RFC 9293 3.2). */
			break;
		}
		p += olen;
	}
	return UST_WIRE_OK;
}

/*
 * Checks in order: TRUNCATED, BAD_HEADER_LEN, BAD_CHECKSUM (so options are only interpreted
 * in a segment known to be intact), BAD_FLAGS for SYN together with FIN or RST (no valid
 * segment carries both; RFC 9293 gives them no meaning), BAD_OPTION.
 */
enum ust_wire_error ust_tcp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
				  unsigned flags, struct ust_tcp_repr *out)
{
	size_t header_len;
	enum ust_wire_error err;

	if (len < UST_TCP_HDR_LEN)
		return UST_WIRE_TRUNCATED;
	header_len = (size_t)(buf[12] >> 4) * 4;
	if (header_len < UST_TCP_HDR_LEN || header_len > len)
		return UST_WIRE_BAD_HEADER_LEN;
	if (!(flags & UST_TCP_PARSE_NO_CSUM)) {
		uint32_t sum;

		/* The pseudo-header length field is 16 bits; longer cannot be a valid segment. */
		if (len > UST_IPV4_MAX_PACKET)
			return UST_WIRE_BAD_LENGTH;
		sum = ust_csum_pseudo_ipv4(src, dst, UST_IPPROTO_TCP, (uint16_t)len);
		if (ust_csum_fold(ust_csum_partial(buf, len, sum)) != 0)
			return UST_WIRE_BAD_CHECKSUM;
	}
	out->src_port = ust_get_be16(buf);
	out->dst_port = ust_get_be16(buf + 2);
	out->seq = ust_get_be32(buf + 4);
	out->ack = ust_get_be32(buf + 8);
	out->flags = buf[13];
	out->window = ust_get_be16(buf + 14);
	out->urgent = ust_get_be16(buf + 18);
	out->header_len = (uint16_t)header_len;
	if ((out->flags & UST_TCP_SYN) && (out->flags & (UST_TCP_FIN | UST_TCP_RST)))
		return UST_WIRE_BAD_FLAGS;
	err = parse_options(buf + UST_TCP_HDR_LEN, buf + header_len, &out->opts);
	if (err != UST_WIRE_OK)
		return err;
	out->payload = buf + header_len;
	out->payload_len = len - header_len;
	return UST_WIRE_OK;
}

/* SACK blocks that fit in the option space left after the other options. */
static size_t sack_blocks_that_fit(const struct ust_tcp_options *opts, size_t used)
{
	size_t room = TCP_OPT_SPACE - used;
	size_t fit, want = opts->sack_count;

	if (want > UST_TCP_MAX_SACK_BLOCKS)
		want = UST_TCP_MAX_SACK_BLOCKS;
	fit = room < 4 + TCP_OPT_LEN_SACK_BLOCK ? 0 : (room - 4) / TCP_OPT_LEN_SACK_BLOCK;
	return want < fit ? want : fit;
}

/* Option bytes before the SACK blocks; every piece is a multiple of 4. */
static size_t fixed_options_len(const struct ust_tcp_options *opts)
{
	size_t n = 0;

	if (opts->has_mss)
		n += 4;
	if (opts->has_timestamp || opts->sack_permitted)
		n += opts->has_timestamp ? 12 : 4;
	if (opts->has_wscale)
		n += 4;
	return n;
}

/*
 * At most 40 option bytes exist; the fixed options take at most 24, and SACK blocks are
 * dropped from the end (the oldest, per RFC 2018 ordering) until they fit, as Linux does.
 */
size_t ust_tcp_header_len(const struct ust_tcp_options *opts)
{
	size_t fixed = fixed_options_len(opts);
	size_t blocks = sack_blocks_that_fit(opts, fixed);

	return UST_TCP_HDR_LEN + fixed + (blocks > 0 ? 4 + blocks * TCP_OPT_LEN_SACK_BLOCK : 0);
}

static uint8_t *write_options(const struct ust_tcp_options *opts, uint8_t *p)
{
	size_t blocks = sack_blocks_that_fit(opts, fixed_options_len(opts));

	if (opts->has_mss) {
		p[0] = UST_TCP_OPT_MSS;
		p[1] = TCP_OPT_LEN_MSS;
		ust_put_be16(p + 2, opts->mss);
		p += 4;
	}
	if (opts->has_timestamp) {
		if (opts->sack_permitted) {
			p[0] = UST_TCP_OPT_SACK_PERMITTED;
			p[1] = TCP_OPT_LEN_SACK_PERMITTED;
		} else {
			p[0] = UST_TCP_OPT_NOP;
			p[1] = UST_TCP_OPT_NOP;
		}
		p[2] = UST_TCP_OPT_TIMESTAMP;
		p[3] = TCP_OPT_LEN_TIMESTAMP;
		ust_put_be32(p + 4, opts->ts_val);
		ust_put_be32(p + 8, opts->ts_ecr);
		p += 12;
	} else if (opts->sack_permitted) {
		p[0] = UST_TCP_OPT_NOP;
		p[1] = UST_TCP_OPT_NOP;
		p[2] = UST_TCP_OPT_SACK_PERMITTED;
		p[3] = TCP_OPT_LEN_SACK_PERMITTED;
		p += 4;
	}
	if (opts->has_wscale) {
		p[0] = UST_TCP_OPT_NOP;
		p[1] = UST_TCP_OPT_WSCALE;
		p[2] = TCP_OPT_LEN_WSCALE;
		p[3] = opts->wscale;
		p += 4;
	}
	if (blocks > 0) {
		p[0] = UST_TCP_OPT_NOP;
		p[1] = UST_TCP_OPT_NOP;
		p[2] = UST_TCP_OPT_SACK;
		p[3] = (uint8_t)(2 + blocks * TCP_OPT_LEN_SACK_BLOCK);
		p += 4;
		for (size_t i = 0; i < blocks; i++) {
			ust_put_be32(p, opts->sack[i].start);
			ust_put_be32(p + 4, opts->sack[i].end);
			p += 8;
		}
	}
	return p;
}

enum ust_wire_error ust_tcp_emit(const struct ust_tcp_repr *repr, uint32_t src, uint32_t dst,
				 bool csum_offload, uint8_t *buf, size_t len)
{
	size_t header_len = ust_tcp_header_len(&repr->opts);
	size_t total = header_len + repr->payload_len;
	uint32_t sum;

	if (total > UST_IPV4_MAX_PACKET)
		return UST_WIRE_BAD_LENGTH;
	if (len < total)
		return UST_WIRE_NO_SPACE;
	if (repr->payload_len > 0 && repr->payload != NULL && repr->payload != buf + header_len)
		memmove(buf + header_len, repr->payload, repr->payload_len);
	ust_put_be16(buf, repr->src_port);
	ust_put_be16(buf + 2, repr->dst_port);
	ust_put_be32(buf + 4, repr->seq);
	ust_put_be32(buf + 8, repr->ack);
	buf[12] = (uint8_t)(header_len / 4 << 4);
	buf[13] = repr->flags;
	ust_put_be16(buf + 14, repr->window);
	ust_put_be16(buf + 16, 0);
	ust_put_be16(buf + 18, repr->urgent);
	write_options(&repr->opts, buf + UST_TCP_HDR_LEN);

	sum = ust_csum_pseudo_ipv4(src, dst, UST_IPPROTO_TCP, (uint16_t)total);
	if (csum_offload) {
		/* virtio-net: the device sums from csum_start and adds this folded seed. */
		ust_put_be16(buf + 16, (uint16_t)~ust_csum_fold(sum));
	} else {
		ust_put_be16(buf + 16, ust_csum_fold(ust_csum_partial(buf, total, sum)));
	}
	return UST_WIRE_OK;
}
