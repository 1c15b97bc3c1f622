/*
 * Internet checksum (RFC 1071), IPv4 pseudo-header sum and incremental update (RFC 1624).
 * Every parser that verifies a checksum and every emitter that writes one calls into here,
 * so this is on the per-packet path for every byte the stack sends or receives.
 *
 * The sum is byte-order independent (RFC 1071 section 2(B)): we add the buffer as native
 * words, fold to 16 bits, and swap once at the end on little-endian hosts. Words are loaded
 * with memcpy so any start alignment is fine and no pointer is type-punned.
 */
#include "wire/checksum.h"

#include <stdbool.h>
#include <string.h>

static inline bool host_is_little_endian(void)
{
	/* A constant expression: the branch it guards is removed at compile time. */
	return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
}

static inline uint32_t load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* One's-complement fold of a 64-bit accumulator down to 16 bits (no complement). */
static inline uint16_t fold64(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffu) + (acc >> 16);
	acc = (acc & 0xffffu) + (acc >> 16);
	acc = (acc & 0xffffu) + (acc >> 16);
	return (uint16_t)acc;
}

/*
 * Native-order one's-complement sum of len bytes, folded to 16 bits. Each 64-bit load is
 * split into two 32-bit halves added into separate 64-bit accumulators: no carry is lost
 * until 2^32 additions (16 GiB per accumulator), and the four independent chains let the
 * CPU (or the vectoriser) overlap the additions.
 */
static uint16_t sum_native(const uint8_t *p, size_t len)
{
	uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;

	while (len >= 32) {
		uint64_t w0 = load64(p);
		uint64_t w1 = load64(p + 8);
		uint64_t w2 = load64(p + 16);
		uint64_t w3 = load64(p + 24);

		a0 += (w0 & 0xffffffffu) + (w1 & 0xffffffffu);
		a1 += (w0 >> 32) + (w1 >> 32);
		a2 += (w2 & 0xffffffffu) + (w3 & 0xffffffffu);
		a3 += (w2 >> 32) + (w3 >> 32);
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		uint64_t w = load64(p);

		a0 += w & 0xffffffffu;
		a1 += w >> 32;
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		a2 += load32(p);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;

		memcpy(&w, p, sizeof(w));
		a3 += w;
		p += 2;
		len -= 2;
	}
	if (len == 1) {
		/* Pad with a zero byte after the last one, in memory order. */
		uint8_t last[2] = { p[0], 0 };
		uint16_t w;

		memcpy(&w, last, sizeof(w));
		a3 += w;
	}
	/* Each accumulator is far below 2^63, so their sum cannot overflow 64 bits. */
	return fold64(a0 + a1 + a2 + a3);
}

uint32_t ust_csum_partial(const void *data, size_t len, uint32_t sum)
{
	uint16_t s = sum_native(data, len);
	uint64_t total;

	if (host_is_little_endian())
		s = __builtin_bswap16(s);
	total = (uint64_t)sum + s;
	return (uint32_t)((total & 0xffffffffu) + (total >> 32));
}

uint16_t ust_csum_fold(uint32_t sum)
{
	return (uint16_t)~fold64(sum);
}

uint16_t ust_csum(const void *data, size_t len)
{
	return ust_csum_fold(ust_csum_partial(data, len, 0));
}

uint32_t ust_csum_pseudo_ipv4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t l4_len)
{
	uint64_t acc = (uint64_t)(src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
		       proto + l4_len;

	return fold64(acc);
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), all in one's-complement arithmetic. */
uint16_t ust_csum_update16(uint16_t csum, uint16_t old_word, uint16_t new_word)
{
	uint64_t acc = (uint64_t)(uint16_t)~csum + (uint16_t)~old_word + new_word;

	return (uint16_t)~fold64(acc);
}

uint16_t ust_csum_update32(uint16_t csum, uint32_t old_word, uint32_t new_word)
{
	uint64_t acc = (uint64_t)(uint16_t)~csum + (uint16_t)~(old_word >> 16) +
		       (uint16_t)~old_word + (new_word >> 16) + (new_word & 0xffff);

	return (uint16_t)~fold64(acc);
}
