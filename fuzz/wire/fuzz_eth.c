/* Fuzz target: Ethernet header parse/emit round trip and the MAC address text parser. */
#include <stdlib.h>

#include "fuzz_wire.h"
#include "wire/eth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ust_eth_repr eth;
	struct ust_eth_addr addr, again;
	uint8_t out[UST_ETH_HDR_LEN];
	char text[18];
	char *copy;

	if (ust_eth_parse(data, size, &eth) == UST_WIRE_OK) {
		FUZZ_CHECK(size >= UST_ETH_HDR_LEN);
		FUZZ_CHECK(ust_eth_emit(&eth, out, sizeof(out)) == UST_WIRE_OK);
		FUZZ_CHECK(memcmp(out, data, UST_ETH_HDR_LEN) == 0);
	} else {
		FUZZ_CHECK(size < UST_ETH_HDR_LEN);
	}

	/* The same bytes as text: whatever parses must format and parse back to itself. */
	copy = malloc(size + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	if (ust_eth_addr_parse(copy, &addr) == 0) {
		FUZZ_CHECK(strlen(copy) == 17);
		ust_eth_addr_format(&addr, text);
		FUZZ_CHECK(ust_eth_addr_parse(text, &again) == 0);
		FUZZ_CHECK(ust_eth_addr_eq(&addr, &again));
	}
	free(copy);
	return 0;
}
