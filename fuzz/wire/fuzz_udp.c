/*
 * Fuzz target: UDP parse. Input: one flags byte, source and destination address (4 bytes
 * each), then the datagram. What parses re-emits to the same header.
 */
#include <stdlib.h>

#include "fuzz_wire.h"
#include "wire/udp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned flags = fuzz_take8(&data, &size) & UST_UDP_PARSE_NO_CSUM;
	uint32_t src = fuzz_take32(&data, &size);
	uint32_t dst = fuzz_take32(&data, &size);
	struct ust_udp_repr udp, back;
	uint8_t *out;

	if (ust_udp_parse(data, size, src, dst, flags, &udp) != UST_WIRE_OK)
		return 0;
	FUZZ_CHECK(udp.length >= UST_UDP_HDR_LEN && udp.length <= size);
	FUZZ_CHECK(udp.payload == data + UST_UDP_HDR_LEN);
	FUZZ_CHECK(udp.payload_len == (size_t)udp.length - UST_UDP_HDR_LEN);
	FUZZ_CHECK(fuzz_within(data, size, udp.payload, udp.payload_len));

	out = malloc(udp.length);
	if (out == NULL)
		return 0;
	FUZZ_CHECK(ust_udp_emit(&udp, src, dst, out, udp.length) == UST_WIRE_OK);
	FUZZ_CHECK(memcmp(out, data, 6) == 0);
	FUZZ_CHECK(memcmp(out + 8, data + 8, udp.payload_len) == 0);
	/* A verified non-zero checksum is the one emit computes (0xffff standing for 0). */
	if (!(flags & UST_UDP_PARSE_NO_CSUM) && udp.checksum != 0)
		FUZZ_CHECK(memcmp(out + 6, data + 6, 2) == 0);
	FUZZ_CHECK(ust_udp_parse(out, udp.length, src, dst, 0, &back) == UST_WIRE_OK);
	FUZZ_CHECK(back.checksum != 0);
	free(out);
	return 0;
}
