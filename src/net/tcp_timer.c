/*
 * TCP timers: what each deadline of a connection's one timer entry does when it passes.
 *   tcp_module.c tcb_timer_fn (the wheel's callback) -> delayed ACK there, or
 *   ust__tcp_rto_expired    retransmission timeout: RFC 6298 backoff, retry limit, go-back-N
 *                           over what the SACK scoreboard does not cover (RFC 6675 5.1)
 *   ust__tcp_tlp_expired    tail loss probe (RFC 8985 7), whose deadline stands in the RTO's
 *   ust__tcp_persist_expired  zero-window probes with backoff and a give-up
 *   ust__tcp_keepalive_expired  keepalive probes (TCP_KEEPIDLE/INTVL/CNT)
 * ust__tcp_arm_rto sets the retransmission deadline (or the probe's, when it comes first);
 * every deadline is folded into the one timer by ust__tcb_timer_update.
 */
#include <errno.h>
#include <string.h>

#include "core/util.h"
#include "net/tcp.h"
#include "net/tcp_seq.h"

/*
 * The tail loss probe's timeout (RFC 8985 7.2), or 0 when no probe may be scheduled: data
 * in flight with SACK, not in loss recovery (fast, or after an RTO until SND.UNA passes its
 * RecoveryPoint), no probe of this tail yet, a window open.
 */
static uint64_t tlp_pto(struct ust_stack *st, const struct ust__tcb *tcb)
{
	if (!ust__tcp(st)->tlp || !(tcb->flags & UST_TF_SACK) ||
	    (tcb->flags & (UST_TF_INRECOVERY | UST_TF_TLP_OUT | UST_TF_PERSIST)) || tcb->retries ||
	    tcb->snd_una == tcb->snd_max || tcb->snd_wnd == 0 || ust_seq_lt(tcb->snd_nxt, tcb->snd_max) ||
	    (tcb->sb && !ust_tcp_sack_may_enter_recovery(tcb->sb)))
		return 0;
	switch (tcb->state) {
	case UST_TCPS_ESTABLISHED:
	case UST_TCPS_FIN_WAIT_1:
	case UST_TCPS_CLOSE_WAIT:
	case UST_TCPS_CLOSING:
	case UST_TCPS_LAST_ACK:
		break;
	default:
		return 0;
	}
	uint32_t srtt = ust_tcp_rtt_srtt_us(&tcb->rtt);
	uint64_t pto = srtt ? 2ull * srtt * UST_NS_PER_US : UST_NS_PER_SEC;
	pto = UST_MAX(pto, UST_TCP_TLP_MIN_NS);
	if (tcb->snd_max - tcb->snd_una <= ust__tcp_eff_mss(tcb) + 1)
		pto += UST_TCP_TLP_DELACK_NS;	/* one segment: the peer may delay its ACK */
	return pto;
}

void ust__tcp_arm_rto(struct ust_stack *st, struct ust__tcb *tcb)
{
	tcb->flags &= ~(UST_TF_PERSIST | UST_TF_TLP);
	uint64_t rto = (uint64_t)ust_tcp_rtt_rto(&tcb->rtt) * UST_NS_PER_US;
	uint64_t pto = tlp_pto(st, tcb);
	if (pto && pto < rto) {
		/* the probe's deadline takes the RTO's place; the RTO is armed when it is sent */
		rto = pto;
		tcb->flags |= UST_TF_TLP;
	}
	tcb->rto_at = st->now + rto;
	ust__tcb_timer_update(st, tcb);
}

void ust__tcp_rto_expired(struct ust_stack *st, struct ust__tcb *tcb)
{
	struct ust__tcp *tp = ust__tcp(st);
	tp->c.rto_timeouts++;
	tcb->retries++;
	if (tcb->state == UST_TCPS_SYN_SENT || tcb->state == UST_TCPS_SYN_RECEIVED) {
		unsigned limit = tcb->state == UST_TCPS_SYN_SENT ? UST_TCP_SYN_RETRIES : UST_TCP_SYNACK_RETRIES;
		if (tcb->retries > limit) {
			tp->c.rto_giveups++;
			ust__tcb_close(st, tcb, ETIMEDOUT);
			return;
		}
		ust_tcp_rtt_backoff(&tcb->rtt);
		tcb->flags |= UST_TF_SYN_RETX;
		tcb->snd_nxt = tcb->iss;
		tp->c.retransmits++;
		tcb->total_retrans++;
		ust__tcp_send_syn(st, tcb);
		ust__tcp_arm_rto(st, tcb);
		return;
	}
	if (tcb->snd_una == tcb->snd_max) {
		/* Nothing in flight: the timer was the retry ust__tcp_output armed for a send that
		 * failed (no buffer, a segment above the path MTU). Retry it; returning without
		 * output left the queued data (and the FIN) unsent forever (found by fuzz_tcpconn).
		 * Nothing was retransmitted, so nothing counts towards RETRIES2. */
		tcb->retries = 0;
		ust__tcp_output(st, tcb);
		ust__tcb_timer_update(st, tcb);
		return;
	}
	if (tcb->retries > UST_TCP_RETRIES2) {
		tp->c.rto_giveups++;
		ust__tcb_close(st, tcb, ETIMEDOUT);
		return;
	}
	if (tcb->snd_wnd == 0) {
		/* the window closed under data in flight: nothing may be resent, so ask for the
		 * window like the persist timer does (retries still count: a dead peer times out) */
		tp->c.zero_window_probes++;
		ust__tcp_send_segment(st, tcb, tcb->snd_una - 1, 0, UST_TCP_ACK);
	}
	ust_tcp_cc_on_rto(&tcb->cc, tcb->snd_una, tcb->snd_max, tcb->snd_max - tcb->snd_una, st->now);
	ust_tcp_rtt_backoff(&tcb->rtt);
	ust_tcp_rtt_timing_cancel(&tcb->rtt);
	tcb->flags &= ~(UST_TF_INRECOVERY | UST_TF_TLP_OUT);
	tcb->dupacks = 0;
	/* the scoreboard is kept (RFC 6675 5.1): going back over the window skips SACKed data */
	if (tcb->sb) {
		/* RecoveryPoint = HighData: the board's SND.NXT lags what the normal send path sent */
		ust_tcp_sack_sent(tcb->sb, tcb->snd_max);
		ust_tcp_sack_on_rto(tcb->sb, false);
	}
	tcb->snd_nxt = tcb->snd_una;
	tcb->rto_at = 0;
	ust__tcp_output(st, tcb);
	if (!tcb->rto_at)
		ust__tcp_arm_rto(st, tcb);
}

/*
 * The probe's deadline passed with no ACK for the tail (RFC 8985 7.3): send the last segment
 * again, MSS-sized even with big segments, so its ACK tells what happened to the flight.
 * RFC 8985 would rather send a new segment when there is one; but a Linux receiver that got
 * the flight (its ACK was lost) holds the ACK of one more in-order segment for its delayed-ACK
 * time, up to 200 ms, as long as our RTO: 4 of the 9 RTOs left in bulk.sh tap 5. A duplicate
 * is ACKed at once (with a D-SACK), and so is one above a hole (with a SACK).
 * Then the RTO is armed (not backed off: nothing timed out). At most one probe per tail:
 * the next may follow once SND.UNA passes what was sent before it.
 */
void ust__tcp_tlp_expired(struct ust_stack *st, struct ust__tcb *tcb)
{
	struct ust__tcp *tp = ust__tcp(st);
	tcb->flags &= ~UST_TF_TLP;
	if (!tlp_pto(st, tcb)) {
		ust__tcp_arm_rto(st, tcb);	/* the situation changed: a plain RTO */
		return;
	}
	uint32_t out = tcb->snd_max - tcb->snd_una;
	uint32_t data_end = tcb->snd_una + UST_MIN((uint32_t)tcb->sndq.bytes, out);
	uint32_t seq = data_end - UST_MIN(data_end - tcb->snd_una, ust__tcp_eff_mss(tcb));
	/* the range reaches SND.MAX: the FIN goes with it if it was sent */
	if (!ust__tcp_send_range(st, tcb, seq, tcb->snd_max - seq)) {
		tp->c.tlp_probes++;
		tcb->tlp_seq = seq;
		tcb->tlp_high = tcb->snd_max;
		tcb->flags |= UST_TF_TLP_OUT;
	}
	ust__tcp_arm_rto(st, tcb);
}

void ust__tcp_tlp_ack(struct ust_stack *st, struct ust__tcb *tcb)
{
	if (!(tcb->flags & UST_TF_TLP_OUT))
		return;
	if (ust_seq_geq(tcb->snd_una, tcb->tlp_high)) {
		tcb->flags &= ~UST_TF_TLP_OUT;	/* the whole tail arrived: the next may be probed */
		return;
	}
	/* The probe arrived (SACKed) above un-SACKed data sent before it, at least 2 SRTT
	 * earlier: that data is lost (RFC 8985 6.2 with the probe as the most recently
	 * delivered segment). Without this, one SACKed segment is no DupThresh and the holes
	 * waited for the RTO; now recovery starts at once, with all of them deemed lost. */
	if (tcb->sb && !(tcb->flags & UST_TF_INRECOVERY) && ust_seq_gt(tcb->tlp_seq, tcb->snd_una) &&
	    ust_tcp_sack_is_sacked(tcb->sb, tcb->tlp_seq) && !ust_tcp_sack_is_lost(tcb->sb, tcb->snd_una)) {
		ust_tcp_sack_mark_lost_below(tcb->sb, tcb->tlp_seq);
		ust__tcp(st)->c.tlp_recoveries++;
	}
}

void ust__tcp_persist_expired(struct ust_stack *st, struct ust__tcb *tcb)
{
	struct ust__tcp *tp = ust__tcp(st);
	tcb->flags &= ~UST_TF_PERSIST;
	if (tcb->snd_wnd != 0 || !ust__tcp_unsent(tcb)) {
		ust__tcp_output(st, tcb);
		ust__tcb_timer_update(st, tcb);
		return;
	}
	/* A peer silent for as long as RETRIES2 probes at the longest interval is gone: give up
	 * like the RTO does. Without this a vanished peer that left a zero window kept the TCB
	 * probing forever (found by fuzz_tcpconn; an orphaned socket's TCB was never freed). */
	if (st->now - tcb->last_rx_ns > (uint64_t)UST_TCP_RETRIES2 * UST_TCP_PERSIST_MAX_NS) {
		tp->c.rto_giveups++;
		ust__tcb_close(st, tcb, ETIMEDOUT);
		return;
	}
	/* a probe the receiver must answer with its window: an old sequence number, no data */
	tp->c.zero_window_probes++;
	ust__tcp_send_segment(st, tcb, tcb->snd_una - 1, 0, UST_TCP_ACK);
	if (tcb->ka_probes < 16)
		tcb->ka_probes++;
	uint64_t iv = (uint64_t)ust_tcp_rtt_rto(&tcb->rtt) * UST_NS_PER_US;
	iv = UST_MAX(iv, UST_TCP_PERSIST_MIN_NS) << tcb->ka_probes;
	tcb->rto_at = st->now + UST_MIN(iv, UST_TCP_PERSIST_MAX_NS);
	tcb->flags |= UST_TF_PERSIST;
	ust__tcb_timer_update(st, tcb);
}

void ust__tcp_keepalive_expired(struct ust_stack *st, struct ust__tcb *tcb)
{
	struct ust__tcp *tp = ust__tcp(st);
	switch (tcb->state) {
	case UST_TCPS_TIME_WAIT:
		ust__tcb_close(st, tcb, 0);
		return;
	case UST_TCPS_FIN_WAIT_2:
		if (!tcb->sock) {
			tp->c.conn_fin_wait2_timeout++;
			ust__tcb_close(st, tcb, 0);
			return;
		}
		break;
	default:
		break;
	}
	if (!(tcb->flags & UST_TF_KEEPALIVE) ||
	    (tcb->state != UST_TCPS_ESTABLISHED && tcb->state != UST_TCPS_CLOSE_WAIT &&
	     tcb->state != UST_TCPS_FIN_WAIT_2)) {
		ust__tcb_timer_update(st, tcb);
		return;
	}
	uint64_t idle_ns = (uint64_t)tcb->ka_idle * UST_NS_PER_SEC;
	if (st->now < tcb->last_rx_ns + idle_ns && tcb->ka_probes == 0) {
		tcb->keep_at = tcb->last_rx_ns + idle_ns;
		ust__tcb_timer_update(st, tcb);
		return;
	}
	if (tcb->ka_probes >= tcb->ka_cnt) {
		tp->c.keepalive_timeouts++;
		ust__tcp_send_rst_tcb(st, tcb);
		ust__tcb_close(st, tcb, ETIMEDOUT);
		return;
	}
	tp->c.keepalive_probes++;
	tcb->ka_probes++;
	ust__tcp_send_segment(st, tcb, tcb->snd_una - 1, 0, UST_TCP_ACK);
	tcb->keep_at = st->now + (uint64_t)tcb->ka_intvl * UST_NS_PER_SEC;
	ust__tcb_timer_update(st, tcb);
}
