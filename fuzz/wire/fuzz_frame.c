/*
 * Fuzz target: a whole Ethernet frame parsed layer by layer the way the stack's input path
 * does (Ethernet -> ARP | IPv4 -> ICMP (and the datagram an error quotes) | UDP | TCP), with
 * every parsed header re-emitted and compared with the input where the format fixes the
 * bytes. The first input byte's low bit means "checksums verified by offload" (parsers skip
 * them); the rest is the frame.
 */
#include <stdlib.h>

#include "fuzz_wire.h"
#include "wire/arp.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"
#include "wire/udp.h"

static void l4_icmp(const uint8_t *p, size_t n)
{
	struct ust_icmp_repr icmp;
	struct ust_ipv4_repr quoted;

	if (ust_icmp_parse(p, n, &icmp) != UST_WIRE_OK)
		return;
	FUZZ_CHECK(fuzz_within(p, n, icmp.data, icmp.data_len));
	if (icmp.type != UST_ICMP_DEST_UNREACH && icmp.type != UST_ICMP_TIME_EXCEEDED)
		return;
	/* Error delivery: the quoted header and the first 8 bytes (ports) of its payload. */
	if (ust_ipv4_parse(icmp.data, icmp.data_len, UST_IPV4_PARSE_QUOTE, &quoted) != UST_WIRE_OK)
		return;
	FUZZ_CHECK(fuzz_within(icmp.data, icmp.data_len, quoted.payload, quoted.payload_len));
	FUZZ_CHECK(quoted.payload_len >= 8);
	(void)ust_get_be16(quoted.payload);
	(void)ust_get_be16(quoted.payload + 2);
}

static void l4_udp(const struct ust_ipv4_repr *ip, unsigned flags)
{
	struct ust_udp_repr udp;
	uint8_t *out;

	if (ust_udp_parse(ip->payload, ip->payload_len, ip->src, ip->dst,
			  flags ? UST_UDP_PARSE_NO_CSUM : 0, &udp) != UST_WIRE_OK)
		return;
	FUZZ_CHECK(fuzz_within(ip->payload, ip->payload_len, udp.payload, udp.payload_len));
	out = malloc(udp.length);
	if (out == NULL)
		return;
	FUZZ_CHECK(ust_udp_emit(&udp, ip->src, ip->dst, out, udp.length) == UST_WIRE_OK);
	FUZZ_CHECK(memcmp(out, ip->payload, 6) == 0);
	if (!flags && udp.checksum != 0)
		FUZZ_CHECK(memcmp(out + 6, ip->payload + 6, 2) == 0);
	free(out);
}

static void l4_tcp(const struct ust_ipv4_repr *ip, unsigned flags)
{
	struct ust_tcp_repr tcp;
	size_t out_len;
	uint8_t *out;

	if (ust_tcp_parse(ip->payload, ip->payload_len, ip->src, ip->dst,
			  flags ? UST_TCP_PARSE_NO_CSUM : 0, &tcp) != UST_WIRE_OK)
		return;
	FUZZ_CHECK(fuzz_within(ip->payload, ip->payload_len, tcp.payload, tcp.payload_len));
	out_len = ust_tcp_header_len(&tcp.opts) + tcp.payload_len;
	if (out_len > UST_IPV4_MAX_PACKET)
		return;	/* more options than the input had could not fit in a datagram */
	out = malloc(out_len);
	if (out == NULL)
		return;
	FUZZ_CHECK(ust_tcp_emit(&tcp, ip->src, ip->dst, false, out, out_len) == UST_WIRE_OK);
	/* Ports, sequence numbers: always the input's bytes. */
	FUZZ_CHECK(memcmp(out, ip->payload, 12) == 0);
	FUZZ_CHECK(out[13] == ip->payload[13]);
	if (out_len == ip->payload_len &&
	    memcmp(out + 20, ip->payload + 20, tcp.header_len - 20) == 0 &&
	    (ip->payload[12] & 0x0f) == 0) {
		FUZZ_CHECK(out[12] == ip->payload[12]);
		if (!flags)
			FUZZ_CHECK(fuzz_csum_equiv(out + 16, ip->payload + 16));
	}
	free(out);
}

static void l3_ipv4(const uint8_t *p, size_t n, unsigned flags)
{
	struct ust_ipv4_repr ip;
	uint8_t out[UST_IPV4_HDR_LEN];

	if (ust_ipv4_parse(p, n, flags ? UST_IPV4_PARSE_NO_CSUM : 0, &ip) != UST_WIRE_OK)
		return;
	FUZZ_CHECK(fuzz_within(p, n, ip.payload, ip.payload_len));
	FUZZ_CHECK(ip.payload == p + ip.header_len);
	if (ip.header_len == UST_IPV4_HDR_LEN) {
		FUZZ_CHECK(ust_ipv4_emit(&ip, out, sizeof(out)) == UST_WIRE_OK);
		FUZZ_CHECK(memcmp(out, p, 10) == 0 && memcmp(out + 12, p + 12, 8) == 0);
		if (!flags)
			FUZZ_CHECK(fuzz_csum_equiv(out + 10, p + 10));
	}
	/* Fragments go to reassembly; only whole datagrams reach the transport parsers. */
	if (ip.more_fragments || ip.frag_offset != 0)
		return;
	switch (ip.protocol) {
	case UST_IPPROTO_ICMP:
		l4_icmp(ip.payload, ip.payload_len);
		break;
	case UST_IPPROTO_UDP:
		l4_udp(&ip, flags);
		break;
	case UST_IPPROTO_TCP:
		l4_tcp(&ip, flags);
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned flags = fuzz_take8(&data, &size) & 1;
	struct ust_eth_repr eth;
	struct ust_arp_repr arp;
	uint8_t out[UST_ARP_LEN];

	if (ust_eth_parse(data, size, &eth) != UST_WIRE_OK)
		return 0;
	FUZZ_CHECK(ust_eth_emit(&eth, out, sizeof(out)) == UST_WIRE_OK);
	FUZZ_CHECK(memcmp(out, data, UST_ETH_HDR_LEN) == 0);
	data += UST_ETH_HDR_LEN;
	size -= UST_ETH_HDR_LEN;
	switch (eth.ethertype) {
	case UST_ETHERTYPE_ARP:
		if (ust_arp_parse(data, size, &arp) == UST_WIRE_OK) {
			FUZZ_CHECK(ust_arp_emit(&arp, out, sizeof(out)) == UST_WIRE_OK);
			FUZZ_CHECK(memcmp(out, data, UST_ARP_LEN) == 0);
		}
		break;
	case UST_ETHERTYPE_IPV4:
		l3_ipv4(data, size, flags);
		break;
	default:
		break;
	}
	return 0;
}
