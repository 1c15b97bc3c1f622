/* Fuzz target: ICMP parse; what parses re-emits to the same bytes where the format fixes them. */
#include <stdlib.h>

#include "fuzz_wire.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ust_icmp_repr icmp;
	struct ust_ipv4_repr quoted;
	uint8_t *out;
	bool error, exact;

	if (ust_icmp_parse(data, size, &icmp) != UST_WIRE_OK)
		return 0;
	FUZZ_CHECK(size >= UST_ICMP_HDR_LEN && ust_csum(data, size) == 0);
	FUZZ_CHECK(icmp.data == data + UST_ICMP_HDR_LEN);
	FUZZ_CHECK(fuzz_within(data, size, icmp.data, icmp.data_len));
	FUZZ_CHECK(ust_icmp_len(&icmp) == size);
	error = icmp.type == UST_ICMP_DEST_UNREACH || icmp.type == UST_ICMP_TIME_EXCEEDED;
	if (error) {
		FUZZ_CHECK(icmp.data_len >= 28);
		/* What the stack does next: the quote, cut short, parses with the quote flag. */
		if (ust_ipv4_parse(icmp.data, icmp.data_len, UST_IPV4_PARSE_QUOTE, &quoted) ==
		    UST_WIRE_OK) {
			FUZZ_CHECK(fuzz_within(icmp.data, icmp.data_len, quoted.payload,
					       quoted.payload_len));
			FUZZ_CHECK(quoted.payload_len >= 8);
		}
	}

	out = malloc(size);
	if (out == NULL)
		return 0;
	FUZZ_CHECK(ust_icmp_emit(&icmp, out, size) == UST_WIRE_OK);
	FUZZ_CHECK(ust_csum(out, size) == 0);
	/* Bytes 4..7 of an error are only kept where they mean something (the MTU). */
	exact = !error || ust_get_be16(data + 4) == 0;
	if (exact && error && !(icmp.type == UST_ICMP_DEST_UNREACH &&
				icmp.code == UST_ICMP_UNREACH_FRAG_NEEDED))
		exact = ust_get_be16(data + 6) == 0;
	if (exact) {
		FUZZ_CHECK(memcmp(out, data, 2) == 0 && fuzz_csum_equiv(out + 2, data + 2));
		FUZZ_CHECK(memcmp(out + 4, data + 4, size - 4) == 0);
	}
	else
		FUZZ_CHECK(memcmp(out + UST_ICMP_HDR_LEN, data + UST_ICMP_HDR_LEN, icmp.data_len) == 0);
	free(out);
	return 0;
}
