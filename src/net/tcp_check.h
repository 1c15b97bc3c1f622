/*
 * Input-side validity rules of TCP as pure functions, for the state machine to call in
 * the order RFC 9293 section 3.10.7.4 gives ("first check sequence number ..."):
 *   - segment acceptability (RFC 9293 3.10.7.4, the four cases);
 *   - PAWS and the TS.Recent update rule (RFC 7323 sections 4.3, 5.3, 5.5);
 *   - RFC 5961 blind-attack defences: RST in window -> challenge ACK (3.2), SYN in a
 *     synchronized state -> challenge ACK (4.2), ACK acceptability with MAX.SND.WND (5.2),
 *     and the per-stack challenge-ACK rate limit (7);
 *   - window scaling (RFC 7323 section 2): shift clamp, choosing our shift, the window field,
 *     never shrinking the offered window, and the SND.WND update test (SND.WL1/WL2);
 *   - the effective send MSS (RFC 9293 3.7.1, RFC 6691).
 * No state of its own except the challenge-ACK limiter, which the stack owns.
 */
#ifndef UST_NET_TCP_CHECK_H
#define UST_NET_TCP_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#define UST_TCP_WSCALE_MAX 14
#define UST_TCP_PAWS_IDLE_NS (24ull * 24 * 3600 * 1000000000ull)	/* RFC 7323 5.5: 24 days */
#define UST_TCP_CHALLENGE_ACK_LIMIT_DEFAULT 1000u	/* per second, like Linux */
#define UST_TCP_DEFAULT_MSS 536u	/* RFC 9293 3.7.1: when the peer sent no MSS option */

/*
 * RFC 9293 3.10.7.4: is a segment with seq and seg_len (data plus SYN and FIN, each
 * counting one) acceptable for a receive window [rcv_nxt, rcv_nxt + rcv_wnd)?
 */
bool ust_tcp_seq_acceptable(uint32_t seq, uint32_t seg_len, uint32_t rcv_nxt, uint32_t rcv_wnd);

/*
 * PAWS (RFC 7323 5.3 R1): true when the segment must be rejected (send an ACK unless it is
 * an RST, then drop): it carries a TSval older than TS.Recent, and TS.Recent is still valid,
 * i.e. was recorded less than 24 days ago (5.5; ts_recent_at_ns is when). RST segments are
 * not subject to PAWS here (RFC 7323 recommends accepting them whatever their timestamp;
 * they are checked by sequence number, RFC 5961).
 */
bool ust_tcp_paws_reject(bool has_ts, uint32_t tsval, bool ts_recent_set, uint32_t ts_recent,
			 uint64_t ts_recent_at_ns, uint64_t now_ns, bool rst);

/*
 * RFC 7323 4.3 (2) / 5.3 R3: record SEG.TSval in TS.Recent when TSval >= TS.Recent and
 * SEG.SEQ <= Last.ACK.sent (the segment covers the left edge we last acknowledged).
 */
bool ust_tcp_ts_recent_update(uint32_t tsval, uint32_t ts_recent, bool ts_recent_set,
			      uint32_t seq, uint32_t last_ack_sent);

enum ust_tcp_rst_action {
	UST_TCP_RST_ACCEPT,	/* SEG.SEQ == RCV.NXT: reset the connection */
	UST_TCP_RST_CHALLENGE,	/* in window but not exact: send a challenge ACK, drop */
	UST_TCP_RST_DROP,	/* outside the window: drop silently */
};

/* RFC 5961 3.2, for synchronized states (SYN-SENT validates RSTs by their ACK instead). */
enum ust_tcp_rst_action ust_tcp_rst_check(uint32_t seq, uint32_t rcv_nxt, uint32_t rcv_wnd);

enum ust_tcp_ack_action {
	UST_TCP_ACK_NEW,	/* SND.UNA < SEG.ACK <= SND.NXT: acknowledges new data */
	UST_TCP_ACK_DUP,	/* SEG.ACK == SND.UNA */
	UST_TCP_ACK_OLD,	/* SND.UNA - MAX.SND.WND <= SEG.ACK < SND.UNA: ignore the ACK field */
	UST_TCP_ACK_INVALID,	/* beyond SND.NXT or too old: send an ACK (rate-limited), drop */
};

/* RFC 9293 3.10.7.4 fifth check with RFC 5961 5.2's lower bound. */
enum ust_tcp_ack_action ust_tcp_ack_check(uint32_t ack, uint32_t snd_una, uint32_t snd_nxt,
					  uint32_t max_snd_wnd);

/* RFC 5961 section 7: at most `limit` challenge ACKs per second per stack. */
struct ust_tcp_challenge_limiter {
	uint64_t window_start_ns;
	uint32_t count;
	uint32_t limit;
	uint64_t suppressed;	/* challenge ACKs not sent because of the limit */
};

void ust_tcp_challenge_init(struct ust_tcp_challenge_limiter *l, uint32_t per_second);
/* True if a challenge ACK may be sent now (and counts it). */
bool ust_tcp_challenge_allow(struct ust_tcp_challenge_limiter *l, uint64_t now_ns);

/* RFC 7323 2.3: a received shift above 14 is used as 14. */
static inline uint8_t ust_tcp_wscale_clamp(uint8_t shift)
{
	return shift > UST_TCP_WSCALE_MAX ? UST_TCP_WSCALE_MAX : shift;
}

/* The smallest shift that lets a window of rcvbuf bytes fit the 16-bit field (<= 14). */
uint8_t ust_tcp_wscale_for(uint32_t rcvbuf);

/* The 16-bit window field for window bytes at shift (rounded down, saturated). */
uint16_t ust_tcp_window_field(uint32_t window, uint8_t shift);

/*
 * The window to offer (bytes, a multiple of 2^shift unless shift is 0): free space rounded
 * down, but never moving the right edge left of rcv_adv (the right edge offered last,
 * RFC 9293 3.8.6 / RFC 7323 2.4). Update rcv_adv = rcv_nxt + result after sending.
 */
uint32_t ust_tcp_rcv_window(uint32_t free_space, uint32_t rcv_nxt, uint32_t rcv_adv, uint8_t shift);

/* RFC 9293 3.10.7.4: update SND.WND from this segment? (SND.WL1 < SEG.SEQ, or equal and
 * SND.WL2 =< SEG.ACK) */
bool ust_tcp_snd_wnd_update_ok(uint32_t wl1, uint32_t wl2, uint32_t seq, uint32_t ack);

/*
 * Effective send MSS: min(peer MSS (536 if it sent none), mtu - 40) minus 12 bytes when
 * every segment carries timestamps (RFC 6691: options shrink the payload, not the MSS).
 * Never below 64.
 */
uint32_t ust_tcp_effective_mss(bool has_mss, uint16_t peer_mss, uint32_t mtu, bool timestamps);

#endif
