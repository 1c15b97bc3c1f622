/*
 * Shared by the wire fuzz targets: invariant checks that crash (so libFuzzer records the
 * input) and a small reader that takes parser flags and addresses off the front of the input.
 */
#ifndef UST_FUZZ_WIRE_H
#define UST_FUZZ_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire/bytes.h"

#define FUZZ_CHECK(cond)                    \
	do {                                \
		if (!(cond))                \
			__builtin_trap();   \
	} while (0)

/* [p, p + n) lies inside [base, base + len). */
static inline bool fuzz_within(const uint8_t *base, size_t len, const uint8_t *p, size_t n)
{
	return p >= base && n <= len && (size_t)(p - base) <= len - n;
}

/*
 * Two checksum fields are equivalent if equal, or if both are a form of zero: when the rest
 * of the data sums to 0xffff both 0x0000 and 0xffff verify, and emit writes one of them.
 */
static inline bool fuzz_csum_equiv(const uint8_t *a, const uint8_t *b)
{
	uint16_t x = ust_get_be16(a), y = ust_get_be16(b);

	return x == y || ((x == 0 || x == 0xffff) && (y == 0 || y == 0xffff));
}

/* Consumes one byte (0 if none left). */
static inline uint8_t fuzz_take8(const uint8_t **data, size_t *size)
{
	uint8_t v = 0;

	if (*size >= 1) {
		v = (*data)[0];
		(*data)++;
		(*size)--;
	}
	return v;
}

/* Consumes a big-endian 32-bit value (0 if fewer than 4 bytes left). */
static inline uint32_t fuzz_take32(const uint8_t **data, size_t *size)
{
	uint32_t v = 0;

	if (*size >= 4) {
		v = ust_get_be32(*data);
		*data += 4;
		*size -= 4;
	}
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
