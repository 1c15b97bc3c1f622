/*
 * Every kind of malformed input is rejected with its reason code, and no parser reads a
 * byte past its buffer (every buffer here is a heap block of exactly the tested length, so
 * ASan turns an overread into a failure). Inputs start from the known-good Linux frames.
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
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"
#include "wire/udp.h"

#define HOST_A UST_IPV4(10, 77, 0, 1)
#define HOST_B UST_IPV4(10, 77, 0, 2)

#define assert_reason(expr, want)                                                          \
	do {                                                                               \
		enum ust_wire_error got_ = (expr);                                         \
		if (got_ != (want))                                                        \
			fail_msg("%s: got %s, want %s", #expr, ust_wire_error_name(got_),  \
				 ust_wire_error_name(want));                               \
	} while (0)

static const char *const captures[] = { "arp_icmp", "frag", "udp", "tcp", "sack" };

/* What a parser must answer for the first l bytes of one known-good L4 message. */
static void check_l4_truncations(const uint8_t *l4, size_t n, uint8_t proto, uint32_t src,
				 uint32_t dst)
{
	for (size_t l = 0; l < n; l++) {
		uint8_t *p = test_dup(l4, l);

		if (proto == UST_IPPROTO_UDP) {
			struct ust_udp_repr r;

			assert_reason(ust_udp_parse(p, l, src, dst, 0, &r),
				      l < 8 ? UST_WIRE_TRUNCATED : UST_WIRE_BAD_LENGTH);
		} else if (proto == UST_IPPROTO_TCP) {
			struct ust_tcp_repr r;
			size_t hlen = (size_t)(l4[12] >> 4) * 4;
			enum ust_wire_error want = l < 20 ? UST_WIRE_TRUNCATED :
						   l < hlen ? UST_WIRE_BAD_HEADER_LEN : UST_WIRE_OK;

			assert_reason(ust_tcp_parse(p, l, src, dst, UST_TCP_PARSE_NO_CSUM, &r), want);
			if (want == UST_WIRE_OK) {
				assert_ptr_equal(r.payload, p + hlen);
				assert_int_equal(r.payload_len, l - hlen);
				want = UST_WIRE_BAD_CHECKSUM;	/* the pseudo-header length changed */
			}
			assert_reason(ust_tcp_parse(p, l, src, dst, 0, &r), want);
		} else if (proto == UST_IPPROTO_ICMP) {
			struct ust_icmp_repr r;

			if (l < 8)
				assert_reason(ust_icmp_parse(p, l, &r), UST_WIRE_TRUNCATED);
			else if (ust_csum(p, l) != 0)	/* cutting trailing zeros keeps the sum */
				assert_reason(ust_icmp_parse(p, l, &r), UST_WIRE_BAD_CHECKSUM);
		}
		free(p);
	}
}

/* Every captured frame cut at every length, checked at every layer it has. */
static void test_truncated_at_every_length(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(captures) / sizeof(captures[0]); c++) {
		struct test_capture cap;

		test_capture_load(captures[c], &cap);
		for (size_t i = 0; i < cap.count; i++) {
			const uint8_t *f = cap.frames[i].data;
			size_t n = cap.frames[i].len;
			const uint8_t *l3 = f + UST_ETH_HDR_LEN;
			size_t l3n = n - UST_ETH_HDR_LEN;
			struct ust_eth_repr eth;
			struct ust_ipv4_repr ip;

			for (size_t l = 0; l <= n; l++) {
				uint8_t *p = test_dup(f, l);

				assert_reason(ust_eth_parse(p, l, &eth),
					      l < UST_ETH_HDR_LEN ? UST_WIRE_TRUNCATED : UST_WIRE_OK);
				free(p);
			}
			if (eth.ethertype == UST_ETHERTYPE_ARP) {
				for (size_t l = 0; l < UST_ARP_LEN; l++) {
					struct ust_arp_repr arp;
					uint8_t *p = test_dup(l3, l);

					assert_reason(ust_arp_parse(p, l, &arp), UST_WIRE_TRUNCATED);
					free(p);
				}
				continue;
			}
			size_t ihl = (size_t)(l3[0] & 0xf) * 4, total = ust_get_be16(l3 + 2);

			for (size_t l = 0; l < l3n; l++) {
				uint8_t *p = test_dup(l3, l);
				enum ust_wire_error want = l < 20 ? UST_WIRE_TRUNCATED :
							   l < ihl ? UST_WIRE_BAD_HEADER_LEN :
							   l < total ? UST_WIRE_BAD_LENGTH : UST_WIRE_OK;

				assert_reason(ust_ipv4_parse(p, l, 0, &ip), want);
				free(p);
			}
			assert_reason(ust_ipv4_parse(l3, l3n, 0, &ip), UST_WIRE_OK);
			if (ip.more_fragments || ip.frag_offset != 0)
				continue;
			check_l4_truncations(ip.payload, ip.payload_len, ip.protocol, ip.src, ip.dst);
		}
		test_capture_free(&cap);
	}
}

/* The first echo request's IP packet (84 bytes), for IPv4 header mutations. */
static uint8_t *echo_packet(size_t *len)
{
	struct test_capture cap;
	uint8_t *p;

	test_capture_load("arp_icmp", &cap);
	*len = cap.frames[2].len - UST_ETH_HDR_LEN;
	p = test_dup(cap.frames[2].data + UST_ETH_HDR_LEN, *len);
	test_capture_free(&cap);
	assert_int_equal(*len, 84);
	return p;
}

static enum ust_wire_error ipv4_mutated(void (*mutate)(uint8_t *ip), size_t len, bool fix)
{
	size_t n;
	uint8_t *base = echo_packet(&n);
	uint8_t *p = malloc(len);
	struct ust_ipv4_repr r;
	enum ust_wire_error err;

	assert_non_null(p);
	memcpy(p, base, len < n ? len : n);
	if (len > n)
		memset(p + n, 0, len - n);
	mutate(p);
	if (fix)
		test_fix_ipv4_csum(p);
	err = ust_ipv4_parse(p, len, 0, &r);
	free(p);
	free(base);
	return err;
}

static void m_version6(uint8_t *ip) { ip[0] = 0x65; }
static void m_ihl4(uint8_t *ip) { ip[0] = 0x44; }
static void m_ihl0(uint8_t *ip) { ip[0] = 0x40; }
static void m_ihl15(uint8_t *ip) { ip[0] = 0x4f; }
static void m_total85(uint8_t *ip) { ust_put_be16(ip + 2, 85); }
static void m_total19(uint8_t *ip) { ust_put_be16(ip + 2, 19); }
static void m_total22_ihl6(uint8_t *ip) { ip[0] = 0x46; ust_put_be16(ip + 2, 22); }
static void m_src(uint8_t *ip) { ip[15] ^= 1; }
static void m_reserved_flag(uint8_t *ip) { ip[6] |= 0x80; }
static void m_offset_max(uint8_t *ip) { ust_put_be16(ip + 6, 0x1fff); }
static void m_mf_odd(uint8_t *ip) { ust_put_be16(ip + 6, 0x2000); ust_put_be16(ip + 2, 83); }
static void m_mf_even(uint8_t *ip) { ust_put_be16(ip + 6, 0x2000); ust_put_be16(ip + 2, 36); }
static void m_nothing(uint8_t *ip) { (void)ip; }

static void test_ipv4_malformed(void **state)
{
	(void)state;
	assert_reason(ipv4_mutated(m_nothing, 84, false), UST_WIRE_OK);
	assert_reason(ipv4_mutated(m_version6, 84, true), UST_WIRE_BAD_VERSION);
	assert_reason(ipv4_mutated(m_ihl4, 84, true), UST_WIRE_BAD_HEADER_LEN);
	assert_reason(ipv4_mutated(m_ihl0, 84, false), UST_WIRE_BAD_HEADER_LEN);
	assert_reason(ipv4_mutated(m_ihl15, 40, false), UST_WIRE_BAD_HEADER_LEN);
	assert_reason(ipv4_mutated(m_total85, 84, true), UST_WIRE_BAD_LENGTH);
	assert_reason(ipv4_mutated(m_total19, 84, true), UST_WIRE_BAD_LENGTH);
	assert_reason(ipv4_mutated(m_total22_ihl6, 84, true), UST_WIRE_BAD_LENGTH);
	assert_reason(ipv4_mutated(m_src, 84, false), UST_WIRE_BAD_CHECKSUM);
	assert_reason(ipv4_mutated(m_reserved_flag, 84, true), UST_WIRE_BAD_FLAGS);
	assert_reason(ipv4_mutated(m_offset_max, 84, true), UST_WIRE_BAD_FRAGMENT);
	assert_reason(ipv4_mutated(m_mf_odd, 84, true), UST_WIRE_BAD_FRAGMENT);
	assert_reason(ipv4_mutated(m_mf_even, 84, true), UST_WIRE_OK);
	/* Ethernet padding after total_len is ignored. */
	assert_reason(ipv4_mutated(m_nothing, 200, false), UST_WIRE_OK);
}

static void test_ipv4_checksum_offload_and_options(void **state)
{
	size_t n;
	uint8_t *p = echo_packet(&n);
	uint8_t *opt = malloc(n + 4);
	struct ust_ipv4_repr r;

	(void)state;
	p[15] ^= 1;
	assert_reason(ust_ipv4_parse(p, n, 0, &r), UST_WIRE_BAD_CHECKSUM);
	assert_reason(ust_ipv4_parse(p, n, UST_IPV4_PARSE_NO_CSUM, &r), UST_WIRE_OK);
	p[15] ^= 1;

	/* Four option bytes (NOPs) after the fixed header: skipped, payload after them. */
	memcpy(opt, p, 20);
	memset(opt + 20, 1, 4);
	memcpy(opt + 24, p + 20, n - 20);
	opt[0] = 0x46;
	ust_put_be16(opt + 2, (uint16_t)(n + 4));
	test_fix_ipv4_csum(opt);
	assert_reason(ust_ipv4_parse(opt, n + 4, 0, &r), UST_WIRE_OK);
	assert_int_equal(r.header_len, 24);
	assert_ptr_equal(r.payload, opt + 24);
	assert_int_equal(r.payload_len, n - 20);
	assert_memory_equal(r.payload, p + 20, n - 20);
	/* Cut inside the options: the header length no longer fits. */
	for (size_t l = 0; l < 24; l++) {
		uint8_t *cut = test_dup(opt, l);

		assert_reason(ust_ipv4_parse(cut, l, 0, &r),
			      l < 20 ? UST_WIRE_TRUNCATED : UST_WIRE_BAD_HEADER_LEN);
		free(cut);
	}
	free(opt);
	free(p);
}

/* A TCP segment 10.77.0.1:41000 -> 10.77.0.2:8080 with the given option bytes. */
static uint8_t *tcp_with_options(const uint8_t *opts, size_t n, uint8_t flags)
{
	uint8_t *p = calloc(1, 20 + n);

	assert_non_null(p);
	assert_true(n % 4 == 0 && n <= 40);
	ust_put_be16(p, 41000);
	ust_put_be16(p + 2, 8080);
	ust_put_be32(p + 4, 1000);
	p[12] = (uint8_t)((20 + n) / 4 << 4);
	p[13] = flags;
	ust_put_be16(p + 14, 65535);
	memcpy(p + 20, opts, n);
	test_fix_l4_csum(p, 20 + n, HOST_A, HOST_B, UST_IPPROTO_TCP);
	return p;
}

struct option_case {
	const char *what;
	uint8_t bytes[40];
	size_t n;
	enum ust_wire_error want;
};

static const struct option_case option_cases[] = {
	{ "MSS", { 2, 4, 5, 0xb4 }, 4, UST_WIRE_OK },
	{ "zero-length MSS", { 2, 0, 0, 0 }, 4, UST_WIRE_BAD_OPTION },
	{ "length-1 MSS", { 2, 1, 0, 0 }, 4, UST_WIRE_BAD_OPTION },
	{ "zero-length unknown", { 30, 0, 0, 0 }, 4, UST_WIRE_BAD_OPTION },
	{ "length-1 unknown", { 1, 1, 30, 1 }, 4, UST_WIRE_BAD_OPTION },
	{ "kind in the last byte, no length", { 1, 1, 1, 2 }, 4, UST_WIRE_BAD_OPTION },
	{ "unknown overruns", { 1, 1, 30, 8 }, 4, UST_WIRE_BAD_OPTION },
	{ "MSS overruns", { 1, 1, 2, 4 }, 4, UST_WIRE_BAD_OPTION },
	{ "unknown overruns by one", { 1, 1, 30, 3 }, 4, UST_WIRE_BAD_OPTION },
	{ "timestamp overruns by one", { 1, 1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0 }, 12,
	  UST_WIRE_BAD_OPTION },
	{ "timestamp overruns", { 1, 1, 8, 10, 0, 0, 0, 0 }, 8, UST_WIRE_BAD_OPTION },
	{ "MSS length 3", { 2, 3, 5, 0 }, 4, UST_WIRE_BAD_OPTION },
	{ "MSS length 5", { 2, 5, 5, 0xb4, 0, 0, 0, 0 }, 8, UST_WIRE_BAD_OPTION },
	{ "window scale length 4", { 3, 4, 7, 0 }, 4, UST_WIRE_BAD_OPTION },
	{ "window scale length 2", { 3, 2, 1, 1 }, 4, UST_WIRE_BAD_OPTION },
	{ "SACK-permitted length 3", { 4, 3, 0, 0 }, 4, UST_WIRE_BAD_OPTION },
	{ "timestamp length 8", { 8, 8, 0, 0, 0, 0, 0, 0 }, 8, UST_WIRE_BAD_OPTION },
	{ "timestamp length 12", { 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 12, UST_WIRE_BAD_OPTION },
	{ "SACK length 2", { 5, 2, 0, 0 }, 4, UST_WIRE_BAD_OPTION },
	{ "SACK length 9", { 5, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 12, UST_WIRE_BAD_OPTION },
	{ "SACK length 11", { 5, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 12, UST_WIRE_BAD_OPTION },
	{ "SACK overruns", { 1, 1, 5, 18, 0, 0, 0, 0, 0, 0, 0, 0 }, 12, UST_WIRE_BAD_OPTION },
	{ "unknown skipped", { 30, 6, 0xaa, 0xbb, 0xcc, 0xdd, 2, 4, 5, 0xb4, 0, 0 }, 12, UST_WIRE_OK },
	{ "EOL ends the list", { 2, 4, 5, 0xb4, 0, 0xff, 0xff, 0xff }, 8, UST_WIRE_OK },
	{ "NOPs only", { 1, 1, 1, 1 }, 4, UST_WIRE_OK },
	{ "four SACK blocks", { 1, 1, 5, 34, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4,
				0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0, 8 }, 36, UST_WIRE_OK },
};

static void test_tcp_options_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(option_cases) / sizeof(option_cases[0]); i++) {
		const struct option_case *c = &option_cases[i];
		uint8_t *p = tcp_with_options(c->bytes, c->n, UST_TCP_ACK);
		struct ust_tcp_repr r;
		enum ust_wire_error got = ust_tcp_parse(p, 20 + c->n, HOST_A, HOST_B, 0, &r);

		if (got != c->want)
			fail_msg("%s: got %s, want %s", c->what, ust_wire_error_name(got),
				 ust_wire_error_name(c->want));
		if (got == UST_WIRE_OK)
			assert_int_equal(r.header_len, 20 + c->n);
		free(p);
	}
}

static const struct option_case *find_case(const char *what)
{
	for (size_t i = 0; i < sizeof(option_cases) / sizeof(option_cases[0]); i++)
		if (strcmp(option_cases[i].what, what) == 0)
			return &option_cases[i];
	fail_msg("no option case \"%s\"", what);
	return NULL;
}

static void test_tcp_option_values(void **state)
{
	struct ust_tcp_repr r;
	uint8_t *p;

	(void)state;
	p = tcp_with_options(find_case("unknown skipped")->bytes, 12, UST_TCP_SYN);
	assert_reason(ust_tcp_parse(p, 32, HOST_A, HOST_B, 0, &r), UST_WIRE_OK);
	assert_true(r.opts.has_mss);
	assert_int_equal(r.opts.mss, 1460);
	assert_false(r.opts.has_timestamp || r.opts.has_wscale || r.opts.sack_permitted);
	free(p);

	p = tcp_with_options(find_case("four SACK blocks")->bytes, 36, UST_TCP_ACK);
	assert_reason(ust_tcp_parse(p, 56, HOST_A, HOST_B, 0, &r), UST_WIRE_OK);
	assert_int_equal(r.opts.sack_count, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(r.opts.sack[i].start, 2 * i + 1);
		assert_int_equal(r.opts.sack[i].end, 2 * i + 2);
	}
	free(p);
}

static void test_tcp_header_malformed(void **state)
{
	static const uint8_t mss[] = { 2, 4, 5, 0xb4 };
	struct ust_tcp_repr r;
	uint8_t *p = tcp_with_options(mss, 4, UST_TCP_SYN);

	(void)state;
	assert_reason(ust_tcp_parse(p, 24, HOST_A, HOST_B, 0, &r), UST_WIRE_OK);
	/* Wrong addresses in the pseudo-header, or a flipped bit: the checksum catches it. */
	assert_reason(ust_tcp_parse(p, 24, HOST_A, HOST_A, 0, &r), UST_WIRE_BAD_CHECKSUM);
	p[5] ^= 0x40;
	assert_reason(ust_tcp_parse(p, 24, HOST_A, HOST_B, 0, &r), UST_WIRE_BAD_CHECKSUM);
	assert_reason(ust_tcp_parse(p, 24, HOST_A, HOST_B, UST_TCP_PARSE_NO_CSUM, &r), UST_WIRE_OK);
	p[5] ^= 0x40;

	for (uint8_t doff = 0; doff < 16; doff++) {
		p[12] = (uint8_t)(doff << 4);
		test_fix_l4_csum(p, 24, HOST_A, HOST_B, UST_IPPROTO_TCP);
		/* Offsets 5 and 6 fit in 24 bytes (5: the MSS option becomes payload). */
		assert_reason(ust_tcp_parse(p, 24, HOST_A, HOST_B, 0, &r),
			      doff == 5 || doff == 6 ? UST_WIRE_OK : UST_WIRE_BAD_HEADER_LEN);
	}
	p[12] = 6 << 4;
	p[13] = UST_TCP_SYN | UST_TCP_FIN;
	test_fix_l4_csum(p, 24, HOST_A, HOST_B, UST_IPPROTO_TCP);
	assert_reason(ust_tcp_parse(p, 24, HOST_A, HOST_B, 0, &r), UST_WIRE_BAD_FLAGS);
	p[13] = UST_TCP_SYN | UST_TCP_RST;
	test_fix_l4_csum(p, 24, HOST_A, HOST_B, UST_IPPROTO_TCP);
	assert_reason(ust_tcp_parse(p, 24, HOST_A, HOST_B, 0, &r), UST_WIRE_BAD_FLAGS);
	free(p);
}

/* The datagram "hello over udp\n" from 40000 to 7777 (23 bytes). */
static uint8_t *udp_datagram(size_t extra)
{
	struct test_capture cap;
	uint8_t *p = calloc(1, 23 + extra);

	assert_non_null(p);
	test_capture_load("udp", &cap);
	memcpy(p, cap.frames[2].data + 34, 23);
	test_capture_free(&cap);
	assert_int_equal(ust_get_be16(p + 4), 23);
	return p;
}

static void test_udp_malformed(void **state)
{
	struct ust_udp_repr r;
	uint8_t *p = udp_datagram(0);
	uint8_t *padded = udp_datagram(9);

	(void)state;
	assert_reason(ust_udp_parse(p, 23, HOST_A, HOST_B, 0, &r), UST_WIRE_OK);
	assert_reason(ust_udp_parse(p, 23, HOST_B, HOST_A + 1, 0, &r), UST_WIRE_BAD_CHECKSUM);
	p[10] ^= 1;
	assert_reason(ust_udp_parse(p, 23, HOST_A, HOST_B, 0, &r), UST_WIRE_BAD_CHECKSUM);
	assert_reason(ust_udp_parse(p, 23, HOST_A, HOST_B, UST_UDP_PARSE_NO_CSUM, &r), UST_WIRE_OK);
	/* A zero checksum means "none": accepted even over corrupted data. */
	ust_put_be16(p + 6, 0);
	assert_reason(ust_udp_parse(p, 23, HOST_A, HOST_B, 0, &r), UST_WIRE_OK);
	assert_int_equal(r.checksum, 0);
	for (uint16_t len = 0; len < 8; len++) {
		ust_put_be16(p + 4, len);
		assert_reason(ust_udp_parse(p, 23, HOST_A, HOST_B, 0, &r), UST_WIRE_BAD_LENGTH);
	}
	ust_put_be16(p + 4, 24);
	assert_reason(ust_udp_parse(p, 23, HOST_A, HOST_B, 0, &r), UST_WIRE_BAD_LENGTH);
	ust_put_be16(p + 4, 0xffff);
	assert_reason(ust_udp_parse(p, 23, HOST_A, HOST_B, 0, &r), UST_WIRE_BAD_LENGTH);

	/* Bytes beyond the length field (IP or Ethernet padding) are not payload. */
	memset(padded + 23, 0xee, 9);
	assert_reason(ust_udp_parse(padded, 32, HOST_A, HOST_B, 0, &r), UST_WIRE_OK);
	assert_int_equal(r.payload_len, 15);
	free(padded);
	free(p);
}

static uint8_t *arp_request(void)
{
	struct test_capture cap;
	uint8_t *p;

	test_capture_load("arp_icmp", &cap);
	p = test_dup(cap.frames[0].data + UST_ETH_HDR_LEN, UST_ARP_LEN);
	test_capture_free(&cap);
	return p;
}

static void test_arp_malformed(void **state)
{
	static const struct { size_t off; uint8_t value; enum ust_wire_error want; } cases[] = {
		{ 1, 6, UST_WIRE_UNSUPPORTED },		/* htype IEEE 802 */
		{ 0, 1, UST_WIRE_UNSUPPORTED },		/* htype 257 */
		{ 2, 0x86, UST_WIRE_UNSUPPORTED },	/* ptype 0x8600 */
		{ 3, 0x06, UST_WIRE_UNSUPPORTED },	/* ptype 0x0806 */
		{ 4, 8, UST_WIRE_BAD_LENGTH },		/* hlen */
		{ 4, 0, UST_WIRE_BAD_LENGTH },
		{ 5, 16, UST_WIRE_BAD_LENGTH },		/* plen */
		{ 5, 0, UST_WIRE_BAD_LENGTH },
		{ 7, 0, UST_WIRE_UNSUPPORTED },		/* op 0 */
		{ 7, 3, UST_WIRE_UNSUPPORTED },		/* op 3 (RARP request) */
		{ 6, 1, UST_WIRE_UNSUPPORTED },		/* op 257 */
		{ 8, 0x01, UST_WIRE_BAD_ADDRESS },	/* multicast sender */
		{ 8, 0xff, UST_WIRE_BAD_ADDRESS },
		{ 18, 0xff, UST_WIRE_OK },		/* target MAC is not checked */
	};
	struct ust_arp_repr r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *p = arp_request();

		assert_reason(ust_arp_parse(p, UST_ARP_LEN, &r), UST_WIRE_OK);
		p[cases[i].off] = cases[i].value;
		if (ust_arp_parse(p, UST_ARP_LEN, &r) != cases[i].want)
			fail_msg("case %zu: got %s want %s", i,
				 ust_wire_error_name(ust_arp_parse(p, UST_ARP_LEN, &r)),
				 ust_wire_error_name(cases[i].want));
		free(p);
	}
}

/* An ICMP error of type/code quoting quote_len bytes of a UDP datagram with IHL ihl. */
static uint8_t *icmp_error(uint8_t type, uint8_t code, size_t quote_len, uint8_t ihl)
{
	uint8_t *p = calloc(1, 8 + quote_len);

	assert_non_null(p);
	p[0] = type;
	p[1] = code;
	if (quote_len > 0)
		p[8] = (uint8_t)(0x40 | ihl);
	for (size_t i = 9; i < 8 + quote_len; i++)
		p[i] = (uint8_t)i;
	test_fix_l4_csum(p, 8 + quote_len, 0, 0, UST_IPPROTO_ICMP);
	return p;
}

static void test_icmp_malformed(void **state)
{
	struct ust_icmp_repr r;
	uint8_t *p;

	(void)state;
	for (size_t q = 0; q < 40; q++) {
		p = icmp_error(UST_ICMP_DEST_UNREACH, UST_ICMP_UNREACH_PORT, q, 5);
		assert_reason(ust_icmp_parse(p, 8 + q, &r), q < 28 ? UST_WIRE_TRUNCATED : UST_WIRE_OK);
		free(p);
		p = icmp_error(UST_ICMP_TIME_EXCEEDED, UST_ICMP_EXC_TTL, q, 5);
		assert_reason(ust_icmp_parse(p, 8 + q, &r), q < 28 ? UST_WIRE_TRUNCATED : UST_WIRE_OK);
		free(p);
		/* A quoted header with 8 option bytes needs 28 + 8 bytes of quote. */
		p = icmp_error(UST_ICMP_DEST_UNREACH, UST_ICMP_UNREACH_HOST, q, 7);
		assert_reason(ust_icmp_parse(p, 8 + q, &r), q < 36 ? UST_WIRE_TRUNCATED : UST_WIRE_OK);
		free(p);
		/* A quote claiming IHL 0 still needs the minimal 28 bytes. */
		p = icmp_error(UST_ICMP_TIME_EXCEEDED, UST_ICMP_EXC_FRAGTIME, q, 0);
		assert_reason(ust_icmp_parse(p, 8 + q, &r), q < 28 ? UST_WIRE_TRUNCATED : UST_WIRE_OK);
		free(p);
	}
	/* Unsupported types still report type and code. */
	p = icmp_error(13, 0, 12, 5);
	assert_reason(ust_icmp_parse(p, 20, &r), UST_WIRE_UNSUPPORTED);
	assert_int_equal(r.type, 13);
	free(p);
	p = icmp_error(5, 1, 28, 5);	/* redirect */
	assert_reason(ust_icmp_parse(p, 36, &r), UST_WIRE_UNSUPPORTED);
	p[20] ^= 0x10;
	assert_reason(ust_icmp_parse(p, 36, &r), UST_WIRE_BAD_CHECKSUM);
	free(p);

	/* Fragmentation needed carries the next-hop MTU in bytes 6..7. */
	p = icmp_error(UST_ICMP_DEST_UNREACH, UST_ICMP_UNREACH_FRAG_NEEDED, 28, 5);
	ust_put_be16(p + 6, 1400);
	test_fix_l4_csum(p, 36, 0, 0, UST_IPPROTO_ICMP);
	assert_reason(ust_icmp_parse(p, 36, &r), UST_WIRE_OK);
	assert_int_equal(r.next_hop_mtu, 1400);
	assert_ptr_equal(r.data, p + 8);
	assert_int_equal(r.data_len, 28);
	free(p);
}

static void test_emit_no_space(void **state)
{
	uint8_t buf[128];
	struct ust_eth_repr eth = { .ethertype = UST_ETHERTYPE_IPV4 };
	struct ust_arp_repr arp = { .op = UST_ARP_OP_REQUEST };
	struct ust_ipv4_repr ip = { .total_len = 20, .ttl = 64 };
	struct ust_icmp_repr icmp = { .type = UST_ICMP_ECHO_REQUEST, .data = buf + 8, .data_len = 10 };
	struct ust_udp_repr udp = { .payload = buf + 8, .payload_len = 10 };
	struct ust_tcp_repr tcp = { .opts = { .has_mss = true, .mss = 1460 }, .payload_len = 10 };

	(void)state;
	memset(buf, 0, sizeof(buf));
	assert_reason(ust_eth_emit(&eth, buf, 13), UST_WIRE_NO_SPACE);
	assert_reason(ust_arp_emit(&arp, buf, 27), UST_WIRE_NO_SPACE);
	assert_reason(ust_ipv4_emit(&ip, buf, 19), UST_WIRE_NO_SPACE);
	assert_reason(ust_icmp_emit(&icmp, buf, 17), UST_WIRE_NO_SPACE);
	assert_reason(ust_udp_emit(&udp, 1, 2, buf, 17), UST_WIRE_NO_SPACE);
	assert_reason(ust_tcp_emit(&tcp, 1, 2, false, buf, 33), UST_WIRE_NO_SPACE);
	assert_reason(ust_tcp_emit(&tcp, 1, 2, false, buf, 34), UST_WIRE_OK);
	/* Unrepresentable requests. */
	ip.frag_offset = 12;
	assert_reason(ust_ipv4_emit(&ip, buf, 20), UST_WIRE_BAD_FRAGMENT);
	ip.frag_offset = 0;
	ip.total_len = 19;
	assert_reason(ust_ipv4_emit(&ip, buf, 20), UST_WIRE_BAD_LENGTH);
	icmp.type = 13;
	assert_reason(ust_icmp_emit(&icmp, buf, 64), UST_WIRE_UNSUPPORTED);
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static bool inside(const uint8_t *base, size_t len, const uint8_t *p, size_t n)
{
	return p >= base && n <= len && (size_t)(p - base) <= len - n;
}

/* Parses a (possibly broken) frame layer by layer; every payload must lie inside the frame. */
static void parse_any(const uint8_t *f, size_t n, unsigned no_csum)
{
	struct ust_eth_repr eth;
	struct ust_arp_repr arp;
	struct ust_ipv4_repr ip, quoted;
	struct ust_icmp_repr icmp;
	struct ust_udp_repr udp;
	struct ust_tcp_repr tcp;

	if (ust_eth_parse(f, n, &eth) != UST_WIRE_OK)
		return;
	f += UST_ETH_HDR_LEN;
	n -= UST_ETH_HDR_LEN;
	(void)ust_arp_parse(f, n, &arp);
	if (ust_ipv4_parse(f, n, no_csum ? UST_IPV4_PARSE_NO_CSUM : 0, &ip) != UST_WIRE_OK)
		return;
	assert_true(inside(f, n, ip.payload, ip.payload_len));
	if (ust_icmp_parse(ip.payload, ip.payload_len, &icmp) == UST_WIRE_OK) {
		assert_true(inside(f, n, icmp.data, icmp.data_len));
		if (ust_ipv4_parse(icmp.data, icmp.data_len, UST_IPV4_PARSE_QUOTE, &quoted) ==
		    UST_WIRE_OK)
			assert_true(inside(icmp.data, icmp.data_len, quoted.payload, quoted.payload_len));
	}
	if (ust_udp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, no_csum, &udp) == UST_WIRE_OK)
		assert_true(inside(f, n, udp.payload, udp.payload_len));
	if (ust_tcp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, no_csum, &tcp) ==
	    UST_WIRE_OK) {
		assert_true(inside(f, n, tcp.payload, tcp.payload_len));
		assert_true(tcp.opts.sack_count <= UST_TCP_MAX_SACK_BLOCKS);
	}
}

/*
 * A deterministic mini-fuzz for every build (the libFuzzer targets only run in the fuzz
 * build): captured frames with random bytes overwritten, cut at random lengths, each in a
 * heap block of exactly its length.
 */
static void test_random_mutations(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(captures) / sizeof(captures[0]); c++) {
		struct test_capture cap;

		test_capture_load(captures[c], &cap);
		for (int t = 0; t < 6000; t++) {
			const struct test_frame *f = &cap.frames[rng() % cap.count];
			size_t n = rng() % 4 == 0 ? rng() % (f->len + 1) : f->len;
			uint8_t *p = test_dup(f->data, n);
			int flips = 1 + (int)(rng() % 4);

			for (int k = 0; k < flips && n > 0; k++) {
				/* Mostly in the headers, where the parsers look. */
				size_t at = rng() % (n < 80 ? n : 80);

				p[at] = rng() % 3 == 0 ? (uint8_t)rng() : (uint8_t)(p[at] ^ (1u << (rng() % 8)));
			}
			parse_any(p, n, rng() & 1);
			free(p);
		}
		test_capture_free(&cap);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truncated_at_every_length),
		cmocka_unit_test(test_ipv4_malformed),
		cmocka_unit_test(test_ipv4_checksum_offload_and_options),
		cmocka_unit_test(test_tcp_options_malformed),
		cmocka_unit_test(test_tcp_option_values),
		cmocka_unit_test(test_tcp_header_malformed),
		cmocka_unit_test(test_udp_malformed),
		cmocka_unit_test(test_arp_malformed),
		cmocka_unit_test(test_icmp_malformed),
		cmocka_unit_test(test_emit_no_space),
		cmocka_unit_test(test_random_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
