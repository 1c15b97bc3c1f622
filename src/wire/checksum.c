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

/* a + b with the carry out added back in: one's-complement addition on 64 bits (add, adc). */
static inline uint64_t add_carry(uint64_t a, uint64_t b)
{
	uint64_t r;

	if (__builtin_add_overflow(a, b, &r))
		r++;
	return r;
}

/*
 * Native-order one's-complement sum of len bytes, folded to 16 bits. One's-complement sums
 * over 64-bit words are congruent to the 16-bit sum (2^16 - 1 divides 2^64 - 1), so the main
 * loop adds whole 64-bit words with end-around carry: one add and one add-with-carry per
 * 8 bytes. Four independent accumulators keep four carry chains in flight at once.
 */
static uint16_t sum_native(const uint8_t *p, size_t len)
{
	uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;

	while (len >= 64) {
		a0 = add_carry(a0, load64(p));
		a1 = add_carry(a1, load64(p + 8));
		a2 = add_carry(a2, load64(p + 16));
		a3 = add_carry(a3, load64(p + 24));
		a0 = add_carry(a0, load64(p + 32));
		a1 = add_carry(a1, load64(p + 40));
		a2 = add_carry(a2, load64(p + 48));
		a3 = add_carry(a3, load64(p + 56));
		p += 64;
		len -= 64;
	}
	while (len >= 8) {
		a0 = add_carry(a0, load64(p));
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		a1 = add_carry(a1, load32(p));
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;

		memcpy(&w, p, sizeof(w));
		a2 = add_carry(a2, w);
		p += 2;
		len -= 2;
	}
	if (len == 1) {
		/* Pad with a zero byte after the last one, in memory order. */
		uint8_t last[2] = { p[0], 0 };
		uint16_t w;

		memcpy(&w, last, sizeof(w));
		a3 = add_carry(a3, w);
	}
	return fold64(add_carry(add_carry(a0, a1), add_carry(a2, a3)));
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
