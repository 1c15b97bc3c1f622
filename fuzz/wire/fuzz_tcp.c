/*
 * Fuzz target: TCP parse. Input: one flags byte, source and destination address (4 bytes
 * each), then the segment. What parses must re-emit to a segment that parses back to the
 * same fields, and to the same bytes when its options were already in emit's layout.
 */
#include <stdlib.h>

#include "fuzz_wire.h"
#include "wire/checksum.h"
#include "wire/tcp.h"

static size_t blocks_that_fit(const struct ust_tcp_options *o)
{
	struct ust_tcp_options none = *o;

	none.sack_count = 0;
	size_t room = UST_TCP_HDR_LEN_MAX - ust_tcp_header_len(&none);
	size_t fit = room < 12 ? 0 : (room - 4) / 8;

	return o->sack_count < fit ? o->sack_count : fit;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned flags = fuzz_take8(&data, &size) & UST_TCP_PARSE_NO_CSUM;
	uint32_t src = fuzz_take32(&data, &size);
	uint32_t dst = fuzz_take32(&data, &size);
	struct ust_tcp_repr tcp, back;
	size_t out_len, blocks;
	uint8_t *out;

	if (ust_tcp_parse(data, size, src, dst, flags, &tcp) != UST_WIRE_OK)
		return 0;
	FUZZ_CHECK(tcp.header_len >= UST_TCP_HDR_LEN && tcp.header_len <= UST_TCP_HDR_LEN_MAX);
	FUZZ_CHECK(tcp.header_len % 4 == 0 && tcp.header_len <= size);
	FUZZ_CHECK(tcp.payload == data + tcp.header_len);
	FUZZ_CHECK(tcp.payload_len == size - tcp.header_len);
	FUZZ_CHECK(fuzz_within(data, size, tcp.payload, tcp.payload_len));
	FUZZ_CHECK(tcp.opts.sack_count <= UST_TCP_MAX_SACK_BLOCKS);
	FUZZ_CHECK(!((tcp.flags & UST_TCP_SYN) && (tcp.flags & (UST_TCP_FIN | UST_TCP_RST))));

	out_len = ust_tcp_header_len(&tcp.opts) + tcp.payload_len;
	if (out_len > 65535)
		return 0;
	out = malloc(out_len);
	if (out == NULL)
		return 0;
	FUZZ_CHECK(ust_tcp_emit(&tcp, src, dst, false, out, out_len) == UST_WIRE_OK);
	FUZZ_CHECK(ust_tcp_parse(out, out_len, src, dst, 0, &back) == UST_WIRE_OK);
	FUZZ_CHECK(back.src_port == tcp.src_port && back.dst_port == tcp.dst_port);
	FUZZ_CHECK(back.seq == tcp.seq && back.ack == tcp.ack && back.flags == tcp.flags);
	FUZZ_CHECK(back.window == tcp.window && back.urgent == tcp.urgent);
	FUZZ_CHECK(back.opts.has_mss == tcp.opts.has_mss && back.opts.mss == tcp.opts.mss);
	FUZZ_CHECK(back.opts.has_wscale == tcp.opts.has_wscale);
	FUZZ_CHECK(back.opts.wscale == tcp.opts.wscale);
	FUZZ_CHECK(back.opts.sack_permitted == tcp.opts.sack_permitted);
	FUZZ_CHECK(back.opts.has_timestamp == tcp.opts.has_timestamp);
	FUZZ_CHECK(back.opts.ts_val == tcp.opts.ts_val && back.opts.ts_ecr == tcp.opts.ts_ecr);
	blocks = blocks_that_fit(&tcp.opts);
	FUZZ_CHECK(back.opts.sack_count == blocks);
	for (size_t i = 0; i < blocks; i++) {
		FUZZ_CHECK(back.opts.sack[i].start == tcp.opts.sack[i].start);
		FUZZ_CHECK(back.opts.sack[i].end == tcp.opts.sack[i].end);
	}
	FUZZ_CHECK(memcmp(out + back.header_len, tcp.payload, tcp.payload_len) == 0);

	/* Options already in emit's layout: the bytes come back, reserved bits aside. */
	if (out_len == size && memcmp(out + 20, data + 20, tcp.header_len - 20) == 0) {
		FUZZ_CHECK(memcmp(out, data, 12) == 0);
		FUZZ_CHECK(out[12] == (data[12] & 0xf0));
		FUZZ_CHECK(memcmp(out + 13, data + 13, 3) == 0);
		FUZZ_CHECK(memcmp(out + 18, data + 18, 2) == 0);
		if (!(flags & UST_TCP_PARSE_NO_CSUM) && (data[12] & 0x0f) == 0)
			FUZZ_CHECK(fuzz_csum_equiv(out + 16, data + 16));
	}
	free(out);
	return 0;
}
