/*
 * Emit side and helpers: TCP option layouts byte for byte (Linux's aligned layout), SACK
 * blocks clamped to the option space, checksum-offload seeds, UDP's zero checksum, ICMP
 * errors, IPv4 emit/parse round trips, and the MAC/IPv4 address text helpers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wire/arp.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"
#include "wire/udp.h"

#define SRC UST_IPV4(192, 168, 7, 1)
#define DST UST_IPV4(192, 168, 7, 200)

/* Emits repr with no payload and compares the option bytes; then parses it back. */
static void check_tcp_layout(const struct ust_tcp_options *opts, const uint8_t *want, size_t n)
{
	struct ust_tcp_repr repr = { .src_port = 1, .dst_port = 2, .seq = 3, .ack = 4,
				     .flags = UST_TCP_ACK, .window = 5, .opts = *opts };
	struct ust_tcp_repr back;
	uint8_t buf[80];

	assert_int_equal(ust_tcp_header_len(opts), 20 + n);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(ust_tcp_emit(&repr, SRC, DST, false, buf, 20 + n), UST_WIRE_OK);
	assert_int_equal(buf[12] >> 4, (20 + n) / 4);
	assert_memory_equal(buf + 20, want, n);
	assert_int_equal(ust_tcp_parse(buf, 20 + n, SRC, DST, 0, &back), UST_WIRE_OK);
	assert_int_equal(back.header_len, 20 + n);
	assert_int_equal(back.opts.has_mss, opts->has_mss);
	assert_int_equal(back.opts.has_wscale, opts->has_wscale);
	assert_int_equal(back.opts.sack_permitted, opts->sack_permitted);
	assert_int_equal(back.opts.has_timestamp, opts->has_timestamp);
	if (opts->has_timestamp) {
		assert_int_equal(back.opts.ts_val, opts->ts_val);
		assert_int_equal(back.opts.ts_ecr, opts->ts_ecr);
	}
}

static void test_tcp_option_layouts(void **state)
{
	(void)state;
	{
		struct ust_tcp_options o = { 0 };

		check_tcp_layout(&o, NULL, 0);
	}
	{	/* Linux SYN: MSS, SACK-permitted + TS, NOP + WS. */
		struct ust_tcp_options o = { .has_mss = true, .mss = 1460, .sack_permitted = true,
					     .has_timestamp = true, .ts_val = 0x01020304,
					     .has_wscale = true, .wscale = 7 };
		static const uint8_t want[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0,
						1, 3, 3, 7 };

		check_tcp_layout(&o, want, sizeof(want));
	}
	{	/* SYN without timestamps: MSS, NOP NOP SACK-permitted, NOP WS. */
		struct ust_tcp_options o = { .has_mss = true, .mss = 536, .sack_permitted = true,
					     .has_wscale = true, .wscale = 14 };
		static const uint8_t want[] = { 2, 4, 0x02, 0x18, 1, 1, 4, 2, 1, 3, 3, 14 };

		check_tcp_layout(&o, want, sizeof(want));
	}
	{	/* Data segment: NOP NOP TS. */
		struct ust_tcp_options o = { .has_timestamp = true, .ts_val = 0xa0b0c0d0,
					     .ts_ecr = 0x11223344 };
		static const uint8_t want[] = { 1, 1, 8, 10, 0xa0, 0xb0, 0xc0, 0xd0,
						0x11, 0x22, 0x33, 0x44 };

		check_tcp_layout(&o, want, sizeof(want));
	}
	{	/* Duplicate ACK: NOP NOP TS, NOP NOP SACK with two blocks. */
		struct ust_tcp_options o = { .has_timestamp = true, .ts_val = 1, .ts_ecr = 2,
					     .sack_count = 2,
					     .sack = { { 100, 200 }, { 300, 400 } } };
		static const uint8_t want[] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2,
						1, 1, 5, 18, 0, 0, 0, 100, 0, 0, 0, 200,
						0, 0, 1, 44, 0, 0, 1, 144 };

		check_tcp_layout(&o, want, sizeof(want));
	}
}

static void test_tcp_sack_clamped(void **state)
{
	struct ust_tcp_options o = { .sack_count = 4,
				     .sack = { { 1, 2 }, { 3, 4 }, { 5, 6 }, { 7, 8 } } };
	struct ust_tcp_repr repr = { .flags = UST_TCP_ACK, .opts = o };
	struct ust_tcp_repr back;
	uint8_t buf[60];

	(void)state;
	/* Without timestamps all four fit: 20 + 4 + 32. */
	assert_int_equal(ust_tcp_header_len(&o), 56);
	/* With timestamps only three: 20 + 12 + 4 + 24 = 60. */
	repr.opts.has_timestamp = true;
	assert_int_equal(ust_tcp_header_len(&repr.opts), 60);
	assert_int_equal(ust_tcp_emit(&repr, SRC, DST, false, buf, sizeof(buf)), UST_WIRE_OK);
	assert_int_equal(ust_tcp_parse(buf, 60, SRC, DST, 0, &back), UST_WIRE_OK);
	assert_int_equal(back.opts.sack_count, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(back.opts.sack[i].start, o.sack[i].start);
		assert_int_equal(back.opts.sack[i].end, o.sack[i].end);
	}
	/* With MSS, WS and SACK-permitted too, 20 option bytes are left: two blocks. */
	repr.opts.has_mss = repr.opts.has_wscale = repr.opts.sack_permitted = true;
	assert_int_equal(ust_tcp_header_len(&repr.opts), 20 + 20 + 4 + 16);
	assert_int_equal(ust_tcp_emit(&repr, SRC, DST, false, buf, sizeof(buf)), UST_WIRE_OK);
	assert_int_equal(ust_tcp_parse(buf, 60, SRC, DST, 0, &back), UST_WIRE_OK);
	assert_int_equal(back.opts.sack_count, 2);
	assert_true(back.opts.has_mss && back.opts.has_wscale && back.opts.sack_permitted);
	/* A count above the array size is treated as the array size. */
	repr.opts = o;
	repr.opts.sack_count = 200;
	assert_int_equal(ust_tcp_header_len(&repr.opts), 56);
}

static void test_tcp_payload_and_offload(void **state)
{
	static const char text[] = "payload bytes, odd length";
	struct ust_tcp_repr repr = { .src_port = 443, .dst_port = 50000, .seq = 0xfffffff0u,
				     .ack = 7, .flags = UST_TCP_ACK | UST_TCP_PSH, .window = 1024,
				     .opts = { .has_timestamp = true, .ts_val = 9, .ts_ecr = 8 },
				     .payload = (const uint8_t *)text, .payload_len = sizeof(text) - 1 };
	struct ust_tcp_repr back;
	uint8_t full[128], offl[128];
	size_t total = 32 + repr.payload_len;

	(void)state;
	/* The payload is moved into place when it is elsewhere. */
	assert_int_equal(ust_tcp_emit(&repr, SRC, DST, false, full, sizeof(full)), UST_WIRE_OK);
	assert_int_equal(ust_tcp_parse(full, total, SRC, DST, 0, &back), UST_WIRE_OK);
	assert_int_equal(back.payload_len, repr.payload_len);
	assert_memory_equal(back.payload, text, repr.payload_len);
	assert_int_equal(back.seq, 0xfffffff0u);
	assert_int_equal(back.flags, UST_TCP_ACK | UST_TCP_PSH);

	/* Offload: the field holds the folded pseudo-header sum; finishing the sum over the
	 * segment (as the device does from csum_start) gives the full checksum. */
	assert_int_equal(ust_tcp_emit(&repr, SRC, DST, true, offl, sizeof(offl)), UST_WIRE_OK);
	assert_int_equal(ust_get_be16(offl + 16),
			 (uint16_t)~ust_csum_fold(ust_csum_pseudo_ipv4(SRC, DST, 6, (uint16_t)total)));
	assert_int_equal(ust_csum(offl, total), ust_get_be16(full + 16));
	assert_memory_equal(offl, full, 16);
	assert_memory_equal(offl + 18, full + 18, total - 18);
}

static void test_udp_emit(void **state)
{
	uint8_t buf[64];
	struct ust_udp_repr repr = { .src_port = 53, .dst_port = 33333, .payload = buf + 8,
				     .payload_len = 2 };
	struct ust_udp_repr back;
	bool seen_zero = false;

	(void)state;
	/* Search the two payload bytes that make the computed checksum zero: sent as 0xffff. */
	for (uint32_t w = 0; w <= 0xffff && !seen_zero; w++) {
		ust_put_be16(buf + 8, (uint16_t)w);
		assert_int_equal(ust_udp_emit(&repr, SRC, DST, buf, 10), UST_WIRE_OK);
		assert_int_not_equal(ust_get_be16(buf + 6), 0);
		if (ust_get_be16(buf + 6) == 0xffff) {
			seen_zero = true;
			assert_int_equal(ust_udp_parse(buf, 10, SRC, DST, 0, &back), UST_WIRE_OK);
		}
	}
	assert_true(seen_zero);
	assert_int_equal(ust_get_be16(buf + 4), 10);
	assert_int_equal(back.src_port, 53);
	assert_int_equal(back.dst_port, 33333);
	/* A payload held elsewhere is moved behind the header. */
	repr.payload = (const uint8_t *)"elsewhere";
	repr.payload_len = 9;
	assert_int_equal(ust_udp_emit(&repr, SRC, DST, buf, 17), UST_WIRE_OK);
	assert_int_equal(ust_udp_parse(buf, 17, SRC, DST, 0, &back), UST_WIRE_OK);
	assert_int_equal(back.payload_len, 9);
	assert_memory_equal(back.payload, "elsewhere", 9);
	repr.payload_len = 65535;
	assert_int_equal(ust_udp_emit(&repr, SRC, DST, buf, sizeof(buf)), UST_WIRE_BAD_LENGTH);
}

static void test_icmp_emit(void **state)
{
	uint8_t quote[28], buf[64];
	struct ust_icmp_repr repr = { .type = UST_ICMP_DEST_UNREACH,
				      .code = UST_ICMP_UNREACH_FRAG_NEEDED, .next_hop_mtu = 1280,
				      .echo_id = 0x1234, .data = quote, .data_len = sizeof(quote) };
	struct ust_icmp_repr back;

	(void)state;
	for (size_t i = 0; i < sizeof(quote); i++)
		quote[i] = (uint8_t)(0x45 + i);
	assert_int_equal(ust_icmp_len(&repr), 36);
	assert_int_equal(ust_icmp_emit(&repr, buf, sizeof(buf)), UST_WIRE_OK);
	/* Unused bytes 4..5 are zero even if the repr carried an echo id. */
	assert_int_equal(ust_get_be16(buf + 4), 0);
	assert_int_equal(ust_get_be16(buf + 6), 1280);
	assert_int_equal(ust_icmp_parse(buf, 36, &back), UST_WIRE_OK);
	assert_int_equal(back.next_hop_mtu, 1280);
	assert_memory_equal(back.data, quote, sizeof(quote));

	repr.type = UST_ICMP_TIME_EXCEEDED;
	repr.code = UST_ICMP_EXC_TTL;
	assert_int_equal(ust_icmp_emit(&repr, buf, sizeof(buf)), UST_WIRE_OK);
	assert_int_equal(ust_get_be32(buf + 4), 0);
	assert_int_equal(ust_icmp_parse(buf, 36, &back), UST_WIRE_OK);
	assert_int_equal(back.next_hop_mtu, 0);

	repr = (struct ust_icmp_repr){ .type = UST_ICMP_ECHO_REPLY, .echo_id = 7, .echo_seq = 9,
				       .data = NULL, .data_len = 0 };
	assert_int_equal(ust_icmp_emit(&repr, buf, 8), UST_WIRE_OK);
	assert_int_equal(ust_icmp_parse(buf, 8, &back), UST_WIRE_OK);
	assert_int_equal(back.echo_id, 7);
	assert_int_equal(back.echo_seq, 9);
	assert_int_equal(back.data_len, 0);
}

static void test_ipv4_emit_parse(void **state)
{
	struct ust_ipv4_repr repr = { .src = SRC, .dst = DST, .protocol = UST_IPPROTO_UDP,
				      .ttl = 3, .tos = 0xb8, .id = 0xbeef, .more_fragments = true,
				      .frag_offset = 2960, .total_len = 20 + 16 };
	struct ust_ipv4_repr back;
	uint8_t buf[36] = { 0 };

	(void)state;
	assert_int_equal(ust_ipv4_emit(&repr, buf, sizeof(buf)), UST_WIRE_OK);
	assert_int_equal(buf[0], 0x45);
	assert_int_equal(ust_csum(buf, 20), 0);
	assert_int_equal(ust_ipv4_parse(buf, sizeof(buf), 0, &back), UST_WIRE_OK);
	assert_int_equal(back.src, SRC);
	assert_int_equal(back.dst, DST);
	assert_int_equal(back.protocol, UST_IPPROTO_UDP);
	assert_int_equal(back.ttl, 3);
	assert_int_equal(back.tos, 0xb8);
	assert_int_equal(back.id, 0xbeef);
	assert_true(back.more_fragments);
	assert_false(back.dont_fragment);
	assert_int_equal(back.frag_offset, 2960);
	assert_int_equal(back.total_len, 36);
	assert_int_equal(back.payload_len, 16);
	assert_ptr_equal(back.payload, buf + 20);

	repr.more_fragments = false;
	repr.dont_fragment = true;
	repr.frag_offset = 0;
	assert_int_equal(ust_ipv4_emit(&repr, buf, sizeof(buf)), UST_WIRE_OK);
	assert_int_equal(ust_get_be16(buf + 6), 0x4000);
}

static void test_arp_emit(void **state)
{
	struct ust_arp_repr repr = { .op = UST_ARP_OP_REPLY,
				     .sha = { { 0x02, 1, 2, 3, 4, 5 } }, .spa = SRC,
				     .tha = { { 0x02, 9, 8, 7, 6, 5 } }, .tpa = DST };
	static const uint8_t want[28] = { 0, 1, 8, 0, 6, 4, 0, 2, 2, 1, 2, 3, 4, 5, 192, 168, 7, 1,
					  2, 9, 8, 7, 6, 5, 192, 168, 7, 200 };
	uint8_t buf[28];
	struct ust_arp_repr back;

	(void)state;
	assert_int_equal(ust_arp_emit(&repr, buf, sizeof(buf)), UST_WIRE_OK);
	assert_memory_equal(buf, want, 28);
	assert_int_equal(ust_arp_parse(buf, sizeof(buf), &back), UST_WIRE_OK);
	assert_int_equal(back.op, repr.op);
	assert_true(ust_eth_addr_eq(&back.sha, &repr.sha));
	assert_true(ust_eth_addr_eq(&back.tha, &repr.tha));
	assert_int_equal(back.spa, SRC);
	assert_int_equal(back.tpa, DST);
}

static void test_eth_addr_text(void **state)
{
	struct ust_eth_addr a;
	char text[18];
	static const char *const bad[] = { "", "02:00:00:00:00", "02:00:00:00:00:0", "02:00:00:00:00:0g",
					   "02-00-00-00-00-01", "02:00:00:00:00:01:", "02:00:00:00:00:011",
					   " 02:00:00:00:00:01", "2:0:0:0:0:1" };

	(void)state;
	assert_int_equal(ust_eth_addr_parse("02:Ab:cD:ef:00:99", &a), 0);
	ust_eth_addr_format(&a, text);
	assert_string_equal(text, "02:ab:cd:ef:00:99");
	assert_false(ust_eth_addr_is_multicast(&a));
	assert_int_equal(ust_eth_addr_parse("ff:ff:ff:ff:ff:ff", &a), 0);
	assert_true(ust_eth_addr_is_broadcast(&a));
	assert_true(ust_eth_addr_is_multicast(&a));
	ust_eth_addr_format(&ust_eth_broadcast, text);
	assert_string_equal(text, "ff:ff:ff:ff:ff:ff");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ust_eth_addr_parse(bad[i], &a) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
}

static void test_ipv4_addr_text(void **state)
{
	uint32_t a;
	uint8_t plen;
	char text[16];
	static const char *const bad[] = { "", "1.2.3", "1.2.3.4.", "1.2.3.4.5", "256.1.1.1",
					   "1.2.3.-4", "01.2.3.4", "1..3.4", " 1.2.3.4", "1.2.3.4 ",
					   "1.2.3.4/24", "1.2.3.1000", "a.b.c.d" };
	static const char *const bad_prefix[] = { "1.2.3.4/", "1.2.3.4/33", "1.2.3.4/100",
						  "1.2.3.4/2x", "1.2.3.4/-1", "1.2.3/8" };

	(void)state;
	assert_int_equal(ust_ipv4_addr_parse("10.77.0.254", &a), 0);
	assert_int_equal(a, UST_IPV4(10, 77, 0, 254));
	assert_int_equal(ust_ipv4_addr_parse("0.0.0.0", &a), 0);
	assert_int_equal(a, 0);
	assert_int_equal(ust_ipv4_addr_parse("255.255.255.255", &a), 0);
	assert_int_equal(a, 0xffffffffu);
	assert_string_equal(ust_ipv4_addr_format(a, text), "255.255.255.255");
	assert_string_equal(ust_ipv4_addr_format(UST_IPV4(192, 0, 2, 7), text), "192.0.2.7");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ust_ipv4_addr_parse(bad[i], &a) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);

	assert_int_equal(ust_ipv4_prefix_parse("10.1.2.3/24", &a, &plen), 0);
	assert_int_equal(a, UST_IPV4(10, 1, 2, 3));
	assert_int_equal(plen, 24);
	assert_int_equal(ust_ipv4_prefix_parse("0.0.0.0/0", &a, &plen), 0);
	assert_int_equal(plen, 0);
	assert_int_equal(ust_ipv4_prefix_parse("10.1.2.3", &a, &plen), 0);
	assert_int_equal(plen, 32);
	for (size_t i = 0; i < sizeof(bad_prefix) / sizeof(bad_prefix[0]); i++)
		if (ust_ipv4_prefix_parse(bad_prefix[i], &a, &plen) != -EINVAL)
			fail_msg("accepted \"%s\"", bad_prefix[i]);
	assert_int_equal(ust_ipv4_netmask(0), 0);
	assert_int_equal(ust_ipv4_netmask(24), 0xffffff00u);
	assert_int_equal(ust_ipv4_netmask(32), 0xffffffffu);
}

static void test_error_names(void **state)
{
	(void)state;
	assert_string_equal(ust_wire_error_name(UST_WIRE_OK), "OK");
	assert_string_equal(ust_wire_error_name(UST_WIRE_BAD_OPTION), "BAD_OPTION");
	assert_string_equal(ust_wire_error_name(UST_WIRE_ERROR_COUNT), "UNKNOWN");
	for (int e = 0; e < UST_WIRE_ERROR_COUNT; e++)
		assert_true(strlen(ust_wire_error_text((enum ust_wire_error)e)) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_option_layouts),
		cmocka_unit_test(test_tcp_sack_clamped),
		cmocka_unit_test(test_tcp_payload_and_offload),
		cmocka_unit_test(test_udp_emit),
		cmocka_unit_test(test_icmp_emit),
		cmocka_unit_test(test_ipv4_emit_parse),
		cmocka_unit_test(test_arp_emit),
		cmocka_unit_test(test_eth_addr_text),
		cmocka_unit_test(test_ipv4_addr_text),
		cmocka_unit_test(test_error_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
