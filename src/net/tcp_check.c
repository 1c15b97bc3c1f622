/*
 * TCP input validity rules (see tcp_check.h): pure functions over sequence numbers,
 * timestamps and windows, plus the stack-owned challenge-ACK limiter.
 */
#include "net/tcp_check.h"

#include "net/tcp_seq.h"

bool ust_tcp_seq_acceptable(uint32_t seq, uint32_t seg_len, uint32_t rcv_nxt, uint32_t rcv_wnd)
{
	if (seg_len == 0)
		return rcv_wnd == 0 ? seq == rcv_nxt : ust_seq_in(seq, rcv_nxt, rcv_nxt + rcv_wnd);
	if (rcv_wnd == 0)
		return false;
	return ust_seq_in(seq, rcv_nxt, rcv_nxt + rcv_wnd) ||
	       ust_seq_in(seq + seg_len - 1, rcv_nxt, rcv_nxt + rcv_wnd);
}

bool ust_tcp_paws_reject(bool has_ts, uint32_t tsval, bool ts_recent_set, uint32_t ts_recent,
			 uint64_t ts_recent_at_ns, uint64_t now_ns, bool rst)
{
	if (!has_ts || !ts_recent_set || rst)
		return false;
	if (now_ns >= ts_recent_at_ns && now_ns - ts_recent_at_ns > UST_TCP_PAWS_IDLE_NS)
		return false;	/* TS.Recent too old to judge by (RFC 7323 5.5) */
	return ust_ts_lt(tsval, ts_recent);
}

bool ust_tcp_ts_recent_update(uint32_t tsval, uint32_t ts_recent, bool ts_recent_set,
			      uint32_t seq, uint32_t last_ack_sent)
{
	return (!ts_recent_set || ust_ts_geq(tsval, ts_recent)) && ust_seq_leq(seq, last_ack_sent);
}

enum ust_tcp_rst_action ust_tcp_rst_check(uint32_t seq, uint32_t rcv_nxt, uint32_t rcv_wnd)
{
	if (seq == rcv_nxt)
		return UST_TCP_RST_ACCEPT;
	/* a zero window still has RCV.NXT itself; anything else in window is challenged */
	if (rcv_wnd > 0 && ust_seq_in(seq, rcv_nxt, rcv_nxt + rcv_wnd))
		return UST_TCP_RST_CHALLENGE;
	return UST_TCP_RST_DROP;
}

enum ust_tcp_ack_action ust_tcp_ack_check(uint32_t ack, uint32_t snd_una, uint32_t snd_nxt,
					  uint32_t max_snd_wnd)
{
	if (ust_seq_gt(ack, snd_nxt))
		return UST_TCP_ACK_INVALID;
	if (ust_seq_gt(ack, snd_una))
		return UST_TCP_ACK_NEW;
	if (ack == snd_una)
		return UST_TCP_ACK_DUP;
	if (ust_seq_geq(ack, snd_una - max_snd_wnd))
		return UST_TCP_ACK_OLD;
	return UST_TCP_ACK_INVALID;
}

void ust_tcp_challenge_init(struct ust_tcp_challenge_limiter *l, uint32_t per_second)
{
	*l = (struct ust_tcp_challenge_limiter){
		.limit = per_second ? per_second : UST_TCP_CHALLENGE_ACK_LIMIT_DEFAULT,
	};
}

bool ust_tcp_challenge_allow(struct ust_tcp_challenge_limiter *l, uint64_t now_ns)
{
	if (now_ns - l->window_start_ns >= 1000000000ull || now_ns < l->window_start_ns) {
		l->window_start_ns = now_ns;
		l->count = 0;
	}
	if (l->count >= l->limit) {
		l->suppressed++;
		return false;
	}
	l->count++;
	return true;
}

uint8_t ust_tcp_wscale_for(uint32_t rcvbuf)
{
	uint8_t shift = 0;

	while (shift < UST_TCP_WSCALE_MAX && (rcvbuf >> shift) > 65535u)
		shift++;
	return shift;
}

uint16_t ust_tcp_window_field(uint32_t window, uint8_t shift)
{
	uint32_t v = window >> ust_tcp_wscale_clamp(shift);

	return v > 65535u ? 65535u : (uint16_t)v;
}

uint32_t ust_tcp_rcv_window(uint32_t free_space, uint32_t rcv_nxt, uint32_t rcv_adv, uint8_t shift)
{
	uint32_t unit = 1u << ust_tcp_wscale_clamp(shift);
	uint64_t max = (uint64_t)65535u << ust_tcp_wscale_clamp(shift);
	uint32_t w = free_space > max ? (uint32_t)max : free_space;

	w &= ~(unit - 1);
	if (ust_seq_lt(rcv_nxt + w, rcv_adv)) {
		/* keep the promised right edge, rounded up to what the field can say */
		uint64_t need = (uint64_t)(rcv_adv - rcv_nxt) + unit - 1;

		need &= ~(uint64_t)(unit - 1);
		w = need > max ? (uint32_t)max : (uint32_t)need;
	}
	return w;
}

bool ust_tcp_snd_wnd_update_ok(uint32_t wl1, uint32_t wl2, uint32_t seq, uint32_t ack)
{
	return ust_seq_lt(wl1, seq) || (wl1 == seq && ust_seq_leq(wl2, ack));
}

uint32_t ust_tcp_effective_mss(bool has_mss, uint16_t peer_mss, uint32_t mtu, bool timestamps)
{
	uint32_t mss = has_mss ? peer_mss : UST_TCP_DEFAULT_MSS;
	uint32_t path = mtu > 40 ? mtu - 40 : 0;

	if (path < mss)
		mss = path;
	if (timestamps)
		mss = mss > 12 ? mss - 12 : 0;
	return mss < 64 ? 64 : mss;
}
