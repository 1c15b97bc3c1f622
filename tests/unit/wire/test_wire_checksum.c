/*
 * Internet checksum against a byte-at-a-time reference: every length 0..2000 at every start
 * offset 0..7, chained partial sums, the pseudo-header, RFC 1624 incremental updates, and
 * the worked example of RFC 1071.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wire/bytes.h"
#include "wire/checksum.h"

/* Deterministic generator so a failure reproduces. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* RFC 1071 as written: big-endian 16-bit words, odd byte padded, carries folded at the end. */
static uint32_t ref_sum(const uint8_t *p, size_t len)
{
	uint64_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint32_t)sum;
}

static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	return (uint16_t)~ref_sum(p, len);
}

static uint16_t fold16(uint32_t sum)
{
	/* fold(x) = ~folded sum; undo the complement to compare raw sums. */
	return (uint16_t)~ust_csum_fold(sum);
}

static void test_rfc1071_example(void **state)
{
	static const uint8_t bytes[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	(void)state;
	assert_int_equal(fold16(ust_csum_partial(bytes, sizeof(bytes), 0)), 0xddf2);
	assert_int_equal(ust_csum(bytes, sizeof(bytes)), 0x220d);
	assert_int_equal(ust_csum(NULL, 0), 0xffff);
}

static void test_all_lengths_and_offsets(void **state)
{
	enum { MAX = 2000 };
	uint8_t *buf = malloc(MAX + 8);

	(void)state;
	assert_non_null(buf);
	for (int round = 0; round < 2; round++) {
		/* Round 1 uses all-ones bytes: the worst case for carries. */
		for (size_t i = 0; i < MAX + 8; i++)
			buf[i] = round == 0 ? (uint8_t)rng() : 0xff;
		for (size_t off = 0; off < 8; off++)
			for (size_t len = 0; len <= MAX; len++) {
				const uint8_t *p = buf + off;
				uint16_t got = ust_csum(p, len);

				if (got != ref_csum(p, len))
					fail_msg("len %zu off %zu: got %#x want %#x", len, off, got,
						 ref_csum(p, len));
			}
	}
	free(buf);
}

static void test_exact_size_buffers(void **state)
{
	/* Buffers of exactly len bytes on the heap: any overread is an ASan failure. */
	(void)state;
	for (size_t len = 0; len < 80; len++) {
		uint8_t *p = malloc(len ? len : 1);

		for (size_t i = 0; i < len; i++)
			p[i] = (uint8_t)rng();
		assert_int_equal(ust_csum(p, len), ref_csum(p, len));
		free(p);
	}
}

static void test_partial_chains(void **state)
{
	uint8_t buf[1500];

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rng();
	for (int t = 0; t < 2000; t++) {
		size_t len = rng() % sizeof(buf);
		size_t split = (rng() % (len + 1)) & ~(size_t)1;	/* even: words stay aligned */
		uint32_t seed = rng();
		uint32_t s = ust_csum_partial(buf, split, seed);

		s = ust_csum_partial(buf + split, len - split, s);
		/* seed + data, compared after folding (the 32-bit sums may differ by carries). */
		uint64_t want = (uint64_t)seed + ref_sum(buf, len);

		while (want >> 16)
			want = (want & 0xffff) + (want >> 16);
		assert_int_equal(fold16(s), (uint16_t)want);
	}
}

static void test_pseudo_header(void **state)
{
	(void)state;
	for (int t = 0; t < 10000; t++) {
		uint32_t src = rng() ^ rng() << 16, dst = rng() ^ rng() << 16;
		uint8_t proto = (uint8_t)rng();
		uint16_t len = (uint16_t)rng();
		uint8_t ph[12];

		ust_put_be32(ph, src);
		ust_put_be32(ph + 4, dst);
		ph[8] = 0;
		ph[9] = proto;
		ust_put_be16(ph + 10, len);
		assert_int_equal(fold16(ust_csum_pseudo_ipv4(src, dst, proto, len)), ref_sum(ph, 12));
	}
	/* A known one: 10.77.0.1 -> 10.77.0.2, TCP, 40 bytes. */
	assert_int_equal(fold16(ust_csum_pseudo_ipv4(UST_IPV4(10, 77, 0, 1), UST_IPV4(10, 77, 0, 2),
						     6, 40)),
			 (0x0a4d + 0x0001 + 0x0a4d + 0x0002 + 6 + 40) & 0xffff);
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static void test_incremental_update(void **state)
{
	uint8_t buf[64];

	(void)state;
	for (int t = 0; t < 100000; t++) {
		size_t len = 8 + (rng() % 28) * 2;
		size_t pos = (rng() % (len / 2 - 1)) * 2;	/* a 16-bit word, not the csum word */
		bool wide = (t & 1) && pos + 4 <= len;

		for (size_t i = 0; i < len; i++)
			buf[i] = (t & 7) == 7 ? 0xff : (uint8_t)rng();	/* also the all-ones corner */
		if (pos + (wide ? 4 : 2) > len - 2)
			continue;
		/* The checksum field lives in the last word of the buffer. */
		buf[len - 2] = buf[len - 1] = 0;
		ust_put_be16(buf + len - 2, ust_csum(buf, len));
		uint16_t old_csum = ust_get_be16(buf + len - 2), new_csum;

		if (wide) {
			uint32_t old = ust_get_be32(buf + pos), nw = rng() ^ rng() << 16;

			ust_put_be32(buf + pos, nw);
			new_csum = ust_csum_update32(old_csum, old, nw);
		} else {
			uint16_t old = ust_get_be16(buf + pos), nw = (uint16_t)rng();

			ust_put_be16(buf + pos, nw);
			new_csum = ust_csum_update16(old_csum, old, nw);
		}
		if (all_zero(buf, len - 2))
			continue;	/* +0/-0 ambiguity: RFC 1624 section 3 */
		buf[len - 2] = buf[len - 1] = 0;
		assert_int_equal(new_csum, ust_csum(buf, len));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_all_lengths_and_offsets),
		cmocka_unit_test(test_exact_size_buffers),
		cmocka_unit_test(test_partial_chains),
		cmocka_unit_test(test_pseudo_header),
		cmocka_unit_test(test_incremental_update),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
