/*
 * Small helpers shared by every module: container_of, branch hints, min/max, array size.
 * No state, no allocation. Byte-order helpers for wire fields live in wire/bytes.h.
 */
#ifndef UST_CORE_UTIL_H
#define UST_CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define UST_CONTAINER_OF(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define UST_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UST_MIN(a, b) ((a) < (b) ? (a) : (b))
#define UST_MAX(a, b) ((a) > (b) ? (a) : (b))
#define UST_LIKELY(x) __builtin_expect(!!(x), 1)
#define UST_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define UST_UNUSED __attribute__((unused))
#define UST_CACHELINE 64
#define UST_ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define UST_IS_POW2(x) ((x) != 0 && ((x) & ((x) - 1)) == 0)

#define UST_NS_PER_US 1000ull
#define UST_NS_PER_MS 1000000ull
#define UST_NS_PER_SEC 1000000000ull

#endif
