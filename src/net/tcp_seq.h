/*
 * TCP sequence-number and timestamp arithmetic (RFC 9293 section 3.4, RFC 7323 section 5.2).
 * Both spaces are modulo 2^32: a is "before" b when the signed 32-bit distance b - a is
 * positive. The subtraction is done in uint32_t (defined wraparound) and only then converted
 * to int32_t, so there is no signed-overflow UB anywhere. Every TCP module compares sequence
 * numbers and TSvals through these helpers, never with < on raw values.
 *
 * Valid only for numbers less than 2^31 apart (the window rules of RFC 9293/7323 guarantee
 * that for live connections).
 */
#ifndef UST_NET_TCP_SEQ_H
#define UST_NET_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/* Signed distance a - b in sequence space. */
static inline int32_t ust_seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

static inline bool ust_seq_lt(uint32_t a, uint32_t b)
{
	return ust_seq_diff(a, b) < 0;
}

static inline bool ust_seq_leq(uint32_t a, uint32_t b)
{
	return ust_seq_diff(a, b) <= 0;
}

static inline bool ust_seq_gt(uint32_t a, uint32_t b)
{
	return ust_seq_diff(a, b) > 0;
}

static inline bool ust_seq_geq(uint32_t a, uint32_t b)
{
	return ust_seq_diff(a, b) >= 0;
}

/* lo <= s <= hi (closed interval, as in RFC 9293's acceptability tests). */
static inline bool ust_seq_between(uint32_t s, uint32_t lo, uint32_t hi)
{
	return (uint32_t)(s - lo) <= (uint32_t)(hi - lo);
}

/* lo <= s < hi (half-open interval: "s is inside [lo, hi)"). Empty when lo == hi. */
static inline bool ust_seq_in(uint32_t s, uint32_t lo, uint32_t hi)
{
	return (uint32_t)(s - lo) < (uint32_t)(hi - lo);
}

static inline uint32_t ust_seq_max(uint32_t a, uint32_t b)
{
	return ust_seq_gt(a, b) ? a : b;
}

static inline uint32_t ust_seq_min(uint32_t a, uint32_t b)
{
	return ust_seq_lt(a, b) ? a : b;
}

/*
 * Timestamps (RFC 7323 section 5.2): TSval t1 is "older" than t2 when t1 < t2 in the same
 * modulo-2^32 sense. PAWS rejects a segment whose TSval is older than TS.Recent.
 */
static inline bool ust_ts_lt(uint32_t a, uint32_t b)
{
	return ust_seq_diff(a, b) < 0;
}

static inline bool ust_ts_leq(uint32_t a, uint32_t b)
{
	return ust_seq_diff(a, b) <= 0;
}

static inline bool ust_ts_gt(uint32_t a, uint32_t b)
{
	return ust_seq_diff(a, b) > 0;
}

static inline bool ust_ts_geq(uint32_t a, uint32_t b)
{
	return ust_seq_diff(a, b) >= 0;
}

#endif
