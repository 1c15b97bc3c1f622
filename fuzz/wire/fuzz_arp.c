/* Fuzz target: ARP parse; whatever parses re-emits to the same 28 bytes. */
#include "fuzz_wire.h"
#include "wire/arp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ust_arp_repr arp;
	uint8_t out[UST_ARP_LEN];

	if (ust_arp_parse(data, size, &arp) != UST_WIRE_OK)
		return 0;
	FUZZ_CHECK(size >= UST_ARP_LEN);
	FUZZ_CHECK(arp.op == UST_ARP_OP_REQUEST || arp.op == UST_ARP_OP_REPLY);
	FUZZ_CHECK(!ust_eth_addr_is_multicast(&arp.sha));
	FUZZ_CHECK(ust_arp_emit(&arp, out, sizeof(out)) == UST_WIRE_OK);
	FUZZ_CHECK(memcmp(out, data, UST_ARP_LEN) == 0);
	return 0;
}
