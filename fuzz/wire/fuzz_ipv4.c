/*
 * Fuzz target: IPv4 header parse (first byte selects the parse flags), the re-emit round trip
 * for option-less headers, and the address/prefix text parsers.
 */
#include <stdlib.h>

#include "fuzz_wire.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"

static void fuzz_text(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	char text[16];
	uint32_t addr, again;
	uint8_t plen;

	if (copy == NULL)
		return;
	memcpy(copy, data, size);
	copy[size] = '\0';
	if (ust_ipv4_addr_parse(copy, &addr) == 0) {
		ust_ipv4_addr_format(addr, text);
		/* Canonical text: no leading zeros, so formatting gives back the input. */
		FUZZ_CHECK(strcmp(text, copy) == 0);
		FUZZ_CHECK(ust_ipv4_addr_parse(text, &again) == 0 && again == addr);
	}
	if (ust_ipv4_prefix_parse(copy, &addr, &plen) == 0)
		FUZZ_CHECK(plen <= 32);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned flags = fuzz_take8(&data, &size) & (UST_IPV4_PARSE_NO_CSUM | UST_IPV4_PARSE_QUOTE);
	struct ust_ipv4_repr ip;
	uint8_t out[UST_IPV4_HDR_LEN];

	fuzz_text(data, size);
	if (ust_ipv4_parse(data, size, flags, &ip) != UST_WIRE_OK)
		return 0;
	FUZZ_CHECK(ip.header_len >= UST_IPV4_HDR_LEN && ip.header_len <= UST_IPV4_HDR_LEN_MAX);
	FUZZ_CHECK(ip.header_len % 4 == 0);
	FUZZ_CHECK(ip.payload == data + ip.header_len);
	FUZZ_CHECK(fuzz_within(data, size, ip.payload, ip.payload_len));
	FUZZ_CHECK(ip.total_len >= ip.header_len);
	if (!(flags & UST_IPV4_PARSE_QUOTE)) {
		FUZZ_CHECK(ip.total_len <= size);
		FUZZ_CHECK(ip.payload_len == ip.total_len - ip.header_len);
		FUZZ_CHECK((size_t)ip.frag_offset + ip.payload_len <= UST_IPV4_MAX_PACKET);
	}
	if (!(flags & UST_IPV4_PARSE_NO_CSUM))
		FUZZ_CHECK(ust_csum(data, ip.header_len) == 0);

	if (ip.header_len == UST_IPV4_HDR_LEN) {
		FUZZ_CHECK(ust_ipv4_emit(&ip, out, sizeof(out)) == UST_WIRE_OK);
		/* Every bit of an option-less header is represented; the checksum only when it
		 * was verified (emit always writes a correct one). */
		FUZZ_CHECK(memcmp(out, data, 10) == 0);
		FUZZ_CHECK(memcmp(out + 12, data + 12, 8) == 0);
		if (!(flags & UST_IPV4_PARSE_NO_CSUM))
			FUZZ_CHECK(fuzz_csum_equiv(out + 10, data + 10));
		FUZZ_CHECK(ust_csum(out, sizeof(out)) == 0);
	}
	return 0;
}
