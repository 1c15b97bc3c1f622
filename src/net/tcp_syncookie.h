/*
 * SYN cookies: when the SYN backlog is full, a listener answers a SYN without keeping state
 * and encodes what it must remember in its ISN (and, when the SYN had timestamps, in the low
 * bits of its TSval, as Linux does). The returning ACK (ack - 1 = our ISN, seq - 1 = the
 * peer's ISN, TSecr = our TSval) is validated and yields the negotiated options.
 *
 * Cookie (our ISN), 32 bits:
 *   [31..27] time slot counter mod 32 (64 s slots of the injected clock; the current and the
 *            previous slot are accepted, so a cookie lives 64..128 s)
 *   [26..24] MSS table index (3 bits, ust_tcp_syncookie_mss_table)
 *   [23..0]  MAC: SipHash-2-4(secret; 4-tuple, peer ISN, full slot counter, MSS index,
 *            option bits) truncated to 24 bits. A forger guesses with probability 2^-24.
 * Option bits, stored in TSval[5..0] when the SYN had timestamps (covered by the MAC):
 *   [3..0] peer's window scale (0..14), 0xf = no window scale;  [4] SACK permitted;
 *   [5] reserved, 0.  TSval = (ts_now & ~63) | bits, minus 64 if that would be ahead of ts_now.
 * Without timestamps the connection gets neither window scaling nor SACK (as on Linux).
 *
 * Used by the listener's SYN handler (make) and by the ACK handler when no request socket
 * matches (check). The secret is the stack's; nothing here is global.
 */
#ifndef UST_NET_TCP_SYNCOOKIE_H
#define UST_NET_TCP_SYNCOOKIE_H

#include <stdbool.h>
#include <stdint.h>

#include "net/tcp_isn.h"

#define UST_TCP_SYNCOOKIE_SLOT_NS (64ull * 1000000000ull)
#define UST_TCP_SYNCOOKIE_MSS_COUNT 8
#define UST_TCP_SYNCOOKIE_TS_BITS 6
#define UST_TCP_SYNCOOKIE_WSCALE_NONE 0xfu

/* MSS values a cookie can carry, ascending. */
extern const uint16_t ust_tcp_syncookie_mss_table[UST_TCP_SYNCOOKIE_MSS_COUNT];

/* What the SYN offered (make) or what the validated ACK yields (check). */
struct ust_tcp_syncookie_opts {
	uint16_t mss;		/* make: the SYN's MSS (536 if absent); check: table value */
	bool ts_ok;		/* SYN had timestamps */
	bool wscale_ok;		/* SYN had window scale (meaningful only with ts_ok) */
	uint8_t wscale;		/* peer's shift, 0..14 */
	bool sack_ok;		/* SACK permitted (meaningful only with ts_ok) */
};

/* Largest table index whose MSS is <= mss (0 when mss is below the smallest entry). */
unsigned ust_tcp_syncookie_mss_index(uint16_t mss);

/*
 * Make a cookie for a SYN with ISN peer_isn on tuple t (local = us). Returns our ISN.
 * When syn->ts_ok, *tsval gets the TSval to send (ts_now is our TS clock); otherwise *tsval
 * is set to 0. The MSS we will use toward the peer is ust_tcp_syncookie_mss_table[index].
 */
uint32_t ust_tcp_syncookie_make(const struct ust_tcp_secret *key, const struct ust_tcp_tuple *t,
				uint32_t peer_isn, uint64_t now_ns,
				const struct ust_tcp_syncookie_opts *syn, uint32_t ts_now,
				uint32_t *tsval);

/*
 * Check the ACK that completes a cookie handshake: seq and ack are that segment's fields,
 * has_ts/tsecr its timestamp option. Returns 0 and the negotiated options in *out,
 * -ETIMEDOUT for a cookie from an expired slot, -EINVAL for a forged one or bad option bits.
 */
int ust_tcp_syncookie_check(const struct ust_tcp_secret *key, const struct ust_tcp_tuple *t,
			    uint32_t seq, uint32_t ack, uint64_t now_ns, bool has_ts,
			    uint32_t tsecr, struct ust_tcp_syncookie_opts *out);

#endif
