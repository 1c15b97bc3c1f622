/*
 * Known-good frames captured from Linux (tests/data/frames/, made by capture.sh): every frame
 * parses layer by layer, the fields hold what Linux put there, and re-emitting every parsed
 * header over scribbled bytes reproduces the captured frame exactly.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "frames.h"
#include "wire/arp.h"
#include "wire/bytes.h"
#include "wire/eth.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"
#include "wire/udp.h"

#define HOST_A UST_IPV4(10, 77, 0, 1)
#define HOST_B UST_IPV4(10, 77, 0, 2)

static const struct ust_eth_addr mac_a = { { 2, 0, 0, 0, 0, 0x0a } };
static const struct ust_eth_addr mac_b = { { 2, 0, 0, 0, 0, 0x0b } };

struct parsed {
	struct ust_eth_repr eth;
	bool has_arp, has_ip, has_icmp, has_udp, has_tcp;
	struct ust_arp_repr arp;
	struct ust_ipv4_repr ip;
	struct ust_icmp_repr icmp;
	struct ust_udp_repr udp;
	struct ust_tcp_repr tcp;
};

/*
 * Parses f layer by layer (every layer must be OK), then rebuilds a copy of the frame whose
 * header bytes were overwritten with garbage by emitting each parsed header in place, and
 * requires the copy to equal the capture byte for byte. Pointers in out point into f.
 */
static void parse_and_reemit(const struct test_frame *f, struct parsed *out)
{
	uint8_t *copy = test_dup(f->data, f->len);
	const uint8_t *l3 = f->data + UST_ETH_HDR_LEN;
	size_t l3_len = f->len - UST_ETH_HDR_LEN;

	memset(out, 0, sizeof(*out));
	assert_int_equal(ust_eth_parse(f->data, f->len, &out->eth), UST_WIRE_OK);
	memset(copy, 0xa5, UST_ETH_HDR_LEN);
	assert_int_equal(ust_eth_emit(&out->eth, copy, f->len), UST_WIRE_OK);

	if (out->eth.ethertype == UST_ETHERTYPE_ARP) {
		out->has_arp = true;
		assert_int_equal(ust_arp_parse(l3, l3_len, &out->arp), UST_WIRE_OK);
		memset(copy + UST_ETH_HDR_LEN, 0xa5, UST_ARP_LEN);
		assert_int_equal(ust_arp_emit(&out->arp, copy + UST_ETH_HDR_LEN, l3_len), UST_WIRE_OK);
	} else {
		assert_int_equal(out->eth.ethertype, UST_ETHERTYPE_IPV4);
		out->has_ip = true;
		assert_int_equal(ust_ipv4_parse(l3, l3_len, 0, &out->ip), UST_WIRE_OK);
		assert_int_equal(out->ip.header_len, UST_IPV4_HDR_LEN);	/* Linux sent no options */
		memset(copy + UST_ETH_HDR_LEN, 0xa5, UST_IPV4_HDR_LEN);
		assert_int_equal(ust_ipv4_emit(&out->ip, copy + UST_ETH_HDR_LEN, l3_len), UST_WIRE_OK);
	}

	if (out->has_ip && !out->ip.more_fragments && out->ip.frag_offset == 0) {
		const struct ust_ipv4_repr *ip = &out->ip;
		size_t l4_off = (size_t)(ip->payload - f->data);
		uint8_t *l4 = copy + l4_off;

		switch (ip->protocol) {
		case UST_IPPROTO_ICMP:
			out->has_icmp = true;
			assert_int_equal(ust_icmp_parse(ip->payload, ip->payload_len, &out->icmp),
					 UST_WIRE_OK);
			assert_int_equal(ust_icmp_len(&out->icmp), ip->payload_len);
			memset(l4, 0xa5, UST_ICMP_HDR_LEN);
			struct ust_icmp_repr icmp = out->icmp;

			icmp.data = l4 + UST_ICMP_HDR_LEN;
			assert_int_equal(ust_icmp_emit(&icmp, l4, ip->payload_len), UST_WIRE_OK);
			break;
		case UST_IPPROTO_UDP:
			out->has_udp = true;
			assert_int_equal(ust_udp_parse(ip->payload, ip->payload_len, ip->src, ip->dst, 0,
						       &out->udp), UST_WIRE_OK);
			memset(l4, 0xa5, UST_UDP_HDR_LEN);
			struct ust_udp_repr udp = out->udp;

			udp.payload = l4 + UST_UDP_HDR_LEN;
			assert_int_equal(ust_udp_emit(&udp, ip->src, ip->dst, l4, ip->payload_len),
					 UST_WIRE_OK);
			break;
		case UST_IPPROTO_TCP:
			out->has_tcp = true;
			assert_int_equal(ust_tcp_parse(ip->payload, ip->payload_len, ip->src, ip->dst, 0,
						       &out->tcp), UST_WIRE_OK);
			assert_int_equal(ust_tcp_header_len(&out->tcp.opts), out->tcp.header_len);
			memset(l4, 0xa5, out->tcp.header_len);
			struct ust_tcp_repr tcp = out->tcp;

			tcp.payload = l4 + tcp.header_len;
			assert_int_equal(ust_tcp_emit(&tcp, ip->src, ip->dst, false, l4, ip->payload_len),
					 UST_WIRE_OK);
			break;
		default:
			fail_msg("unexpected protocol %u", ip->protocol);
		}
	}
	if (memcmp(copy, f->data, f->len) != 0) {
		for (size_t i = 0; i < f->len; i++)
			if (copy[i] != f->data[i])
				fail_msg("re-emitted frame differs at byte %zu: %#x, captured %#x", i,
					 copy[i], f->data[i]);
	}
	free(copy);
}

static void test_arp_and_echo(void **state)
{
	struct test_capture cap;
	struct parsed p;
	size_t echoes = 0;

	(void)state;
	test_capture_load("arp_icmp", &cap);
	assert_int_equal(cap.count, 6);

	parse_and_reemit(&cap.frames[0], &p);
	assert_true(p.has_arp);
	assert_true(ust_eth_addr_is_broadcast(&p.eth.dst));
	assert_true(ust_eth_addr_eq(&p.eth.src, &mac_a));
	assert_int_equal(p.arp.op, UST_ARP_OP_REQUEST);
	assert_true(ust_eth_addr_eq(&p.arp.sha, &mac_a));
	assert_int_equal(p.arp.spa, HOST_A);
	assert_int_equal(p.arp.tpa, HOST_B);

	parse_and_reemit(&cap.frames[1], &p);
	assert_true(p.has_arp);
	assert_int_equal(p.arp.op, UST_ARP_OP_REPLY);
	assert_true(ust_eth_addr_eq(&p.arp.sha, &mac_b));
	assert_true(ust_eth_addr_eq(&p.arp.tha, &mac_a));
	assert_int_equal(p.arp.spa, HOST_B);
	assert_int_equal(p.arp.tpa, HOST_A);

	for (size_t i = 2; i < cap.count; i++) {
		bool request = i % 2 == 0;

		parse_and_reemit(&cap.frames[i], &p);
		assert_true(p.has_icmp);
		assert_int_equal(p.ip.src, request ? HOST_A : HOST_B);
		assert_int_equal(p.ip.dst, request ? HOST_B : HOST_A);
		assert_int_equal(p.ip.ttl, 64);
		assert_true(p.ip.dont_fragment || !request);
		assert_int_equal(p.ip.total_len, 84);
		assert_int_equal(p.icmp.type, request ? UST_ICMP_ECHO_REQUEST : UST_ICMP_ECHO_REPLY);
		assert_int_equal(p.icmp.echo_seq, 1 + (i - 2) / 2);
		assert_int_equal(p.icmp.data_len, 56);
		/* ping -p 7573746163 filled the payload with "ustac". */
		assert_non_null(memmem(p.icmp.data, p.icmp.data_len, "ustacustac", 10));
		echoes++;
	}
	assert_int_equal(echoes, 4);
	test_capture_free(&cap);
}

/* ping -s 3000: three fragments each way; reassembled by hand, the ICMP checksum verifies. */
static void test_fragments(void **state)
{
	struct test_capture cap;
	uint8_t *whole[2];
	uint16_t ids[2];
	struct ust_icmp_repr icmp[2];

	(void)state;
	test_capture_load("frag", &cap);
	assert_int_equal(cap.count, 6);
	for (int dir = 0; dir < 2; dir++) {
		whole[dir] = calloc(1, 3008);
		assert_non_null(whole[dir]);
		for (int k = 0; k < 3; k++) {
			struct parsed p;

			parse_and_reemit(&cap.frames[dir * 3 + k], &p);
			assert_true(p.has_ip);
			assert_int_equal(p.ip.protocol, UST_IPPROTO_ICMP);
			assert_int_equal(p.ip.frag_offset, k * 1480);
			assert_int_equal(p.ip.more_fragments, k < 2);
			assert_int_equal(p.ip.payload_len, k < 2 ? 1480 : 3008 - 2 * 1480);
			if (k == 0)
				ids[dir] = p.ip.id;
			assert_int_equal(p.ip.id, ids[dir]);
			memcpy(whole[dir] + p.ip.frag_offset, p.ip.payload, p.ip.payload_len);
		}
		assert_int_equal(ust_icmp_parse(whole[dir], 3008, &icmp[dir]), UST_WIRE_OK);
		assert_int_equal(icmp[dir].type, dir == 0 ? UST_ICMP_ECHO_REQUEST : UST_ICMP_ECHO_REPLY);
		assert_int_equal(icmp[dir].data_len, 3000);
		/* The first fragment alone does not verify: its checksum covers all 3008 bytes. */
		struct ust_icmp_repr tmp;

		assert_int_equal(ust_icmp_parse(whole[dir], 1480, &tmp), UST_WIRE_BAD_CHECKSUM);
	}
	assert_int_equal(icmp[0].echo_id, icmp[1].echo_id);
	assert_int_equal(icmp[0].echo_seq, icmp[1].echo_seq);
	assert_memory_equal(icmp[0].data, icmp[1].data, 3000);
	free(whole[0]);
	free(whole[1]);
	test_capture_free(&cap);
}

static void test_udp_and_port_unreachable(void **state)
{
	struct test_capture cap;
	struct parsed p;
	struct ust_ipv4_repr quoted;
	struct ust_udp_repr qudp;

	(void)state;
	test_capture_load("udp", &cap);
	assert_int_equal(cap.count, 5);
	parse_and_reemit(&cap.frames[0], &p);
	assert_true(p.has_arp);
	parse_and_reemit(&cap.frames[1], &p);
	assert_true(p.has_arp);

	parse_and_reemit(&cap.frames[2], &p);
	assert_true(p.has_udp);
	assert_int_equal(p.udp.src_port, 40000);
	assert_int_equal(p.udp.dst_port, 7777);
	assert_int_equal(p.udp.length, 8 + 15);
	assert_int_not_equal(p.udp.checksum, 0);
	assert_int_equal(p.udp.payload_len, 15);
	assert_memory_equal(p.udp.payload, "hello over udp\n", 15);

	parse_and_reemit(&cap.frames[3], &p);
	assert_true(p.has_udp);
	assert_int_equal(p.udp.dst_port, 5454);

	/* Port unreachable from b, quoting the whole datagram a sent to port 5454. */
	parse_and_reemit(&cap.frames[4], &p);
	assert_true(p.has_icmp);
	assert_int_equal(p.ip.src, HOST_B);
	assert_int_equal(p.icmp.type, UST_ICMP_DEST_UNREACH);
	assert_int_equal(p.icmp.code, UST_ICMP_UNREACH_PORT);
	assert_int_equal(p.icmp.data_len, 20 + 8 + 15);
	assert_int_equal(ust_ipv4_parse(p.icmp.data, p.icmp.data_len, 0, &quoted), UST_WIRE_OK);
	assert_int_equal(quoted.src, HOST_A);
	assert_int_equal(quoted.dst, HOST_B);
	assert_int_equal(quoted.protocol, UST_IPPROTO_UDP);
	assert_int_equal(ust_udp_parse(quoted.payload, quoted.payload_len, quoted.src, quoted.dst, 0,
				       &qudp), UST_WIRE_OK);
	assert_int_equal(qudp.src_port, 40001);
	assert_int_equal(qudp.dst_port, 5454);

	/* Cut to the minimum quote (header + 8): only the quote flag accepts the short datagram. */
	assert_int_equal(ust_ipv4_parse(p.icmp.data, 28, 0, &quoted), UST_WIRE_BAD_LENGTH);
	assert_int_equal(ust_ipv4_parse(p.icmp.data, 28, UST_IPV4_PARSE_QUOTE, &quoted), UST_WIRE_OK);
	assert_int_equal(quoted.total_len, 43);
	assert_int_equal(quoted.payload_len, 8);
	assert_int_equal(ust_get_be16(quoted.payload + 2), 5454);
	test_capture_free(&cap);
}

static void test_tcp_connection(void **state)
{
	struct test_capture cap;
	struct parsed p;
	uint32_t isn_a, isn_b;

	(void)state;
	test_capture_load("tcp", &cap);
	assert_int_equal(cap.count, 11);

	parse_and_reemit(&cap.frames[0], &p);
	assert_true(p.has_tcp);
	assert_int_equal(p.tcp.flags, UST_TCP_SYN);
	assert_int_equal(p.tcp.src_port, 41000);
	assert_int_equal(p.tcp.dst_port, 8080);
	assert_int_equal(p.tcp.header_len, 40);
	assert_true(p.tcp.opts.has_mss);
	assert_int_equal(p.tcp.opts.mss, 1460);
	assert_true(p.tcp.opts.sack_permitted);
	assert_true(p.tcp.opts.has_timestamp);
	assert_int_equal(p.tcp.opts.ts_ecr, 0);
	assert_true(p.tcp.opts.has_wscale);
	assert_int_equal(p.tcp.opts.wscale, 10);
	assert_int_equal(p.tcp.opts.sack_count, 0);
	assert_int_equal(p.tcp.payload_len, 0);
	isn_a = p.tcp.seq;

	parse_and_reemit(&cap.frames[1], &p);
	assert_int_equal(p.tcp.flags, UST_TCP_SYN | UST_TCP_ACK);
	assert_int_equal(p.tcp.ack, isn_a + 1);
	assert_true(p.tcp.opts.has_mss && p.tcp.opts.sack_permitted && p.tcp.opts.has_wscale);
	assert_true(p.tcp.opts.has_timestamp);
	isn_b = p.tcp.seq;

	parse_and_reemit(&cap.frames[2], &p);
	assert_int_equal(p.tcp.flags, UST_TCP_ACK);
	assert_int_equal(p.tcp.header_len, 32);	/* NOP NOP TS */
	assert_true(p.tcp.opts.has_timestamp);
	assert_false(p.tcp.opts.has_mss || p.tcp.opts.has_wscale || p.tcp.opts.sack_permitted);

	parse_and_reemit(&cap.frames[3], &p);
	assert_int_equal(p.tcp.flags, UST_TCP_PSH | UST_TCP_ACK);
	assert_int_equal(p.tcp.seq, isn_a + 1);
	assert_int_equal(p.tcp.ack, isn_b + 1);
	assert_int_equal(p.tcp.payload_len, 18);
	assert_memory_equal(p.tcp.payload, "GET / HTTP/1.0\r\n\r\n", 18);

	for (size_t i = 4; i < cap.count; i++) {
		parse_and_reemit(&cap.frames[i], &p);
		assert_true(p.has_tcp);
		assert_true(p.tcp.opts.has_timestamp);
	}
	parse_and_reemit(&cap.frames[5], &p);
	assert_memory_equal(p.tcp.payload, "reply from b\n", 13);
	parse_and_reemit(&cap.frames[7], &p);
	assert_int_equal(p.tcp.flags, UST_TCP_FIN | UST_TCP_ACK);
	test_capture_free(&cap);
}

/* Real SACK blocks: b lost a's second segment and acknowledged the ones after the hole. */
static void test_tcp_sack(void **state)
{
	struct test_capture cap;
	struct parsed p;
	size_t sack_frames = 0;

	(void)state;
	test_capture_load("sack", &cap);
	assert_true(cap.count >= 12);
	parse_and_reemit(&cap.frames[0], &p);
	assert_int_equal(p.tcp.opts.mss, 560);	/* route MTU 600 */
	for (size_t i = 0; i < cap.count; i++) {
		parse_and_reemit(&cap.frames[i], &p);
		assert_true(p.has_tcp);
		if (p.tcp.opts.sack_count == 0)
			continue;
		sack_frames++;
		assert_int_equal(p.tcp.src_port, 8081);
		assert_int_equal(p.tcp.header_len, 44);	/* NOP NOP TS NOP NOP SACK(1) */
		assert_int_equal(p.tcp.opts.sack_count, 1);
		/* The hole is the 548-byte segment right after the cumulative ACK. */
		assert_int_equal(p.tcp.opts.sack[0].start, p.tcp.ack + 548);
		assert_true(p.tcp.opts.sack[0].end - p.tcp.opts.sack[0].start >= 548);
	}
	assert_true(sack_frames >= 2);
	test_capture_free(&cap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arp_and_echo),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_udp_and_port_unreachable),
		cmocka_unit_test(test_tcp_connection),
		cmocka_unit_test(test_tcp_sack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
