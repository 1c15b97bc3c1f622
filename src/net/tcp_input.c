/*
 * TCP input: every segment the IP layer delivers for protocol 6.
 *   ust__ipv4_input -> ust__tcp_input -> parse (checksum unless offloaded, options)
 *     -> connection by 5-tuple -> ust__tcp_segment (RFC 9293 3.10.7)
 *     -> else listener by (address, port) -> tcp_listen.c
 *     -> else RST (RFC 9293 "CLOSED" rules)
 * Segment processing order: PAWS (RFC 7323), sequence acceptability and trimming to the
 * window, RST (RFC 5961 3: exact match resets, in-window gets a challenge ACK), SYN in a
 * synchronized state (RFC 5961 4: challenge ACK), ACK (RFC 5961 5 acceptability, SND.UNA,
 * RTT, congestion control, SACK scoreboard, fast retransmit, window update, FIN acked),
 * data (in order to rcvq, out of order to oooq with immediate ACK + SACK), FIN.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "net/tcp.h"
#include "net/tcp_seq.h"
#include "wire/bytes.h"

void ust__tcp_syn_options(struct ust_stack *st, struct ust__tcb *tcb, const struct ust_tcp_repr *seg)
{
	const struct ust_tcp_options *o = &seg->opts;
	uint16_t path = ust__tcp_path_mss(st, tcb->raddr);
	if (tcb->user_mss && tcb->user_mss < path)
		path = tcb->user_mss;
	uint16_t mss = o->has_mss ? o->mss : UST_TCP_MSS_DEFAULT;
	mss = UST_MIN(mss, path);
	tcb->smss = UST_MAX(mss, (uint16_t)UST_TCP_MSS_MIN);
	if (o->has_timestamp && (tcb->flags & UST_TF_TS)) {
		tcb->ts_recent = o->ts_val;
		tcb->ts_recent_ms = ust__tcp_now_ms(st);
	} else {
		tcb->flags &= ~UST_TF_TS;
	}
	if (o->has_wscale && !(tcb->flags & UST_TF_NOWS_OFFER)) {
		tcb->flags |= UST_TF_WS;
		tcb->snd_wscale = (uint8_t)UST_MIN(o->wscale, UST_TCP_WSCALE_MAX);	/* RFC 7323 2.3 */
	} else {
		tcb->flags &= ~UST_TF_WS;
		tcb->snd_wscale = 0;
		tcb->rcv_wscale = 0;
	}
	if (o->sack_permitted && !(tcb->flags & UST_TF_NOSACK_OFFER))
		tcb->flags |= UST_TF_SACK;
	else
		tcb->flags &= ~UST_TF_SACK;
	tcb->quickacks = UST_TCP_QUICKACKS;
}

/* Congestion control and the first send window once the handshake is over. */
static void conn_start(struct ust_stack *st, struct ust__tcb *tcb, const struct ust_tcp_repr *seg)
{
	ust_tcp_cc_init(&tcb->cc, tcb->cc.ops ? tcb->cc.ops : ust_tcp_cc_default(&ust__tcp(st)->ccreg), tcb->smss,
			tcb->iss, (tcb->flags & UST_TF_SACK) != 0, st->now);
	tcb->snd_wnd = (uint32_t)seg->window << tcb->snd_wscale;
	tcb->max_snd_wnd = tcb->snd_wnd;
	tcb->snd_wl1 = seg->seq;
	tcb->snd_wl2 = seg->ack;
	tcb->retries = 0;
	tcb->rcv_tune_ns = st->now;
	tcb->rcv_tune_seq = tcb->rcv_nxt;
	if ((tcb->flags & UST_TF_TS) && seg->opts.has_timestamp && seg->opts.ts_ecr &&
	    !(tcb->flags & UST_TF_SYN_RETX)) {
		uint32_t ms = ust__tcp_now_ms(st) - seg->opts.ts_ecr;
		ust_tcp_rtt_sample(&tcb->rtt, UST_MAX(ms * 1000u, 1u));
	} else {
		ust_tcp_rtt_handshake_done(&tcb->rtt, (tcb->flags & UST_TF_SYN_RETX) != 0);
	}
	if (ust__tcp(st)->tso)
		tcb->flags |= UST_TF_TSO;
	if (tcb->flags & UST_TF_KEEPALIVE)
		tcb->keep_at = st->now + (uint64_t)tcb->ka_idle * UST_NS_PER_SEC;
	tcb->rto_at = 0;
	ust__tcb_timer_update(st, tcb);
}

/* A FIN was queued while the handshake was still running: now it can be sent. */
static void established_fin(struct ust__tcb *tcb)
{
	if ((tcb->flags & UST_TF_FIN_QUEUED) && tcb->state == UST_TCPS_ESTABLISHED)
		tcb->state = UST_TCPS_FIN_WAIT_1;
}

static void syn_sent_input(struct ust_stack *st, struct ust__tcb *tcb, const struct ust_tcp_repr *seg)
{
	struct ust__tcp *tp = ust__tcp(st);
	bool ack = seg->flags & UST_TCP_ACK;
	if (ack && (ust_seq_leq(seg->ack, tcb->iss) || ust_seq_gt(seg->ack, tcb->snd_max))) {
		tp->c.rx_bad_ack_syn_sent++;
		if (!(seg->flags & UST_TCP_RST))
			ust__tcp_respond(st, tcb->laddr, tcb->raddr, tcb->lport, tcb->rport, seg->ack, 0, UST_TCP_RST);
		return;
	}
	if (seg->flags & UST_TCP_RST) {
		tp->c.rx_rst++;
		if (ack) {
			tp->c.conn_refused++;
			ust__tcb_close(st, tcb, ECONNREFUSED);
		}
		return;
	}
	if (!(seg->flags & UST_TCP_SYN))
		return;
	tcb->irs = seg->seq;
	tcb->rcv_nxt = seg->seq + 1;
	tcb->rcv_adv = tcb->rcv_nxt;
	ust__tcp_syn_options(st, tcb, seg);
	if (ack) {
		tcb->snd_una = seg->ack;
		if (ust_seq_lt(tcb->snd_nxt, tcb->snd_una))
			tcb->snd_nxt = tcb->snd_una;
		/* the window of a SYN-ACK is never scaled (RFC 7323 2.2) */
		uint8_t ws = tcb->snd_wscale;
		tcb->snd_wscale = 0;
		conn_start(st, tcb, seg);
		tcb->snd_wscale = ws;
		if (tcb->sock)
			tcb->sock->flags |= UST_SOCK_F_CONNECTED;
		ust__tcb_set_state(st, tcb, UST_TCPS_ESTABLISHED);
		established_fin(tcb);
		tcb->flags |= UST_TF_ACKNOW;
		ust__tcp_output(st, tcb);
		return;
	}
	/* simultaneous open: our SYN crossed theirs; answer with SYN-ACK */
	tcb->snd_wnd = seg->window;
	tcb->state = UST_TCPS_SYN_RECEIVED;
	tcb->snd_nxt = tcb->iss;	/* output sends SYN-ACK */
	ust__tcp_output(st, tcb);
}

static void retransmit_head(struct ust_stack *st, struct ust__tcb *tcb)
{
	ust__tcp_send_range(st, tcb, tcb->snd_una, ust__tcp_eff_mss(tcb));
}

/* The SACK blocks of an ACK into the scoreboard; returns the bytes newly SACKed. */
static uint32_t sack_input(struct ust__tcb *tcb, const struct ust_tcp_repr *seg)
{
	if (!(tcb->flags & UST_TF_SACK))
		return 0;
	if (!tcb->sb) {
		if (!seg->opts.sack_count || tcb->snd_una == tcb->snd_max)
			return 0;
		tcb->sb = malloc(sizeof(*tcb->sb));
		if (!tcb->sb)
			return 0;	/* without a scoreboard we recover like NewReno */
		ust_tcp_sack_init(tcb->sb, tcb->snd_una, ust__tcp_eff_mss(tcb));
	}
	ust_tcp_sack_sent(tcb->sb, tcb->snd_max);
	return ust_tcp_sack_update(tcb->sb, seg->ack, seg->opts.sack, seg->opts.sack_count, NULL);
}

/*
 * RFC 3042 limited transmit: each of the first two duplicate ACKs lets one new segment out
 * beyond cwnd (the peer's window permitting), so a small window still gets the three
 * duplicate ACKs fast retransmit needs instead of waiting for the RTO.
 */
static void limited_transmit(struct ust_stack *st, struct ust__tcb *tcb)
{
	if (tcb->snd_nxt != tcb->snd_max || (tcb->flags & UST_TF_FIN_SENT))
		return;
	uint32_t out = tcb->snd_max - tcb->snd_una;
	uint32_t unsent = tcb->sndq.bytes > out ? (uint32_t)tcb->sndq.bytes - out : 0;
	uint32_t rwnd = tcb->snd_wnd > out ? tcb->snd_wnd - out : 0;
	uint32_t len = UST_MIN(UST_MIN(unsent, rwnd), ust__tcp_eff_mss(tcb));
	if (len == 0 || (len < ust__tcp_eff_mss(tcb) && len < unsent))
		return;
	if (ust__tcp_send_segment(st, tcb, tcb->snd_nxt, len, UST_TCP_ACK))
		return;
	tcb->snd_nxt += len;
	tcb->snd_max = tcb->snd_nxt;
	if (tcb->sb)
		ust_tcp_sack_sent(tcb->sb, tcb->snd_max);
}

/*
 * A duplicate acknowledgment (RFC 5681), or one that SACKs new data (RFC 6675 section 2,
 * counted "regardless of its status as a cumulative acknowledgment", step 3): limited
 * transmit, or loss recovery at DupThresh or once IsLost(HighACK + 1).
 */
static void dup_ack(struct ust_stack *st, struct ust__tcb *tcb, uint32_t ack)
{
	struct ust__tcp *tp = ust__tcp(st);
	tp->c.rx_dup_acks++;
	if (tcb->dupacks < 255)
		tcb->dupacks++;
	bool sack = tcb->flags & UST_TF_SACK;
	bool lost = sack && tcb->sb && ust_tcp_sack_is_lost(tcb->sb, tcb->snd_una);
	if (tcb->flags & UST_TF_INRECOVERY) {
		if (!sack)
			ust_tcp_cc_on_dupack(&tcb->cc);
	} else if (tcb->dupacks < UST_TCP_CC_DUPTHRESH && !lost) {
		limited_transmit(st, tcb);
	} else if (!tcb->sb || ust_tcp_sack_may_enter_recovery(tcb->sb)) {
		/* RFC 5681 FlightSize (SND.NXT - SND.UNA), which RFC 6675 (4.2) and RFC 9438
		 * halve or scale: not pipe, which leaves out what was SACKed and what is
		 * deemed lost, and made ssthresh several segments too small */
		uint32_t flight = tcb->snd_max - tcb->snd_una;
		if (ust_tcp_cc_enter_recovery(&tcb->cc, ack, tcb->snd_max, flight, st->now)) {
			tcb->flags |= UST_TF_INRECOVERY;
			tp->c.fast_retransmits++;
			struct ust_tcp_sack_seg first;
			if (tcb->sb && ust_tcp_sack_enter_recovery(tcb->sb, &first))
				ust__tcp_send_range(st, tcb, first.seq, first.len);
			else
				retransmit_head(st, tcb);
		}
	}
}

/* The ACK field of an acceptable segment (RFC 9293 3.10.7.4 fifth check). */
static void process_ack(struct ust_stack *st, struct ust__tcb *tcb, const struct ust_tcp_repr *seg, uint32_t dlen,
			bool fin)
{
	uint32_t ack = seg->ack;
	uint32_t new_wnd = (uint32_t)seg->window << tcb->snd_wscale;
	uint32_t newly_sacked = sack_input(tcb, seg);
	if (ust_seq_gt(ack, tcb->snd_una)) {
		uint32_t acked = ack - tcb->snd_una;
		uint32_t rtt_us = 0;
		if ((tcb->flags & UST_TF_TS) && seg->opts.has_timestamp && seg->opts.ts_ecr) {
			/* Karn's rule for timestamps: an echo of a transmission older than the last
			 * retransmission may be the original's (a duplicate makes the receiver echo
			 * it), which would measure the retransmission delay, not the path */
			uint32_t ms = ust__tcp_now_ms(st) - seg->opts.ts_ecr;
			if (ms < 600000u && (tcb->total_retrans == 0 || ust_ts_geq(seg->opts.ts_ecr, tcb->rtx_ms))) {
				rtt_us = UST_MAX(ms * 1000u, 1u);
				ust_tcp_rtt_sample_ts(&tcb->rtt, rtt_us, tcb->snd_max - tcb->snd_una, tcb->smss);
			}
		} else if (ust_tcp_rtt_timing_ack(&tcb->rtt, ack, st->now)) {
			rtt_us = tcb->rtt.latest_us;
		}
		if (rtt_us)
			ust_tcp_cc_set_rtt(&tcb->cc, ust_tcp_rtt_srtt_us(&tcb->rtt), tcb->rtt.min_us);
		uint32_t flight = tcb->snd_max - ack;
		/* HyStart++ rounds end at SND.NXT as of the round's start (RFC 9406 windowEnd) */
		ust_tcp_cc_on_send(&tcb->cc, tcb->snd_max);
		unsigned r = ust_tcp_cc_on_ack(&tcb->cc, ack, acked, flight, rtt_us, st->now);
		ust__tcp_sndq_drop(st, tcb, UST_MIN(acked, (uint32_t)tcb->sndq.bytes));
		tcb->snd_una = ack;
		if (ust_seq_lt(tcb->snd_nxt, ack))
			tcb->snd_nxt = ack;
		ust__tcp_tlp_ack(st, tcb);
		if (tcb->sb && tcb->sb->count == 0 && !tcb->sb->in_recovery && !(tcb->flags & UST_TF_INRECOVERY)) {
			free(tcb->sb);	/* nothing SACKed any more: idle connections stay small */
			tcb->sb = NULL;
		}
		tcb->retries = 0;
		if (r & UST_TCP_CC_EXITED) {
			tcb->flags &= ~UST_TF_INRECOVERY;
			tcb->dupacks = 0;
		}
		if (!(tcb->flags & UST_TF_INRECOVERY))
			tcb->dupacks = 0;
		if ((r & UST_TCP_CC_RETRANSMIT) && tcb->snd_una != tcb->snd_max)
			retransmit_head(st, tcb);
		if (newly_sacked && tcb->snd_una != tcb->snd_max && !(tcb->flags & UST_TF_INRECOVERY)) {
			/* it SACKs new data too: a DupAck all the same (RFC 6675 step 3). Without
			 * this, a loss whose first SACK came with a cumulative ACK (the ACK before
			 * it lost, or a hole filled) waited for three more: often for the RTO */
			dup_ack(st, tcb, ack);
		}
		if (tcb->snd_una == tcb->snd_max) {
			tcb->rto_at = 0;
			ust__tcb_timer_update(st, tcb);
		} else if (!(tcb->flags & UST_TF_PERSIST)) {
			ust__tcp_arm_rto(st, tcb);
		}
		/* send buffer follows the congestion window (auto-tuning) */
		if (!(tcb->flags & UST_TF_SNDBUF_LOCK)) {
			struct ust__tcp *tp = ust__tcp(st);
			const struct ust_pool *pool = st->pools.small;
			uint32_t cap = (uint32_t)UST_MIN((uint64_t)UST_TCP_SNDBUF_MAX,
							 (uint64_t)pool->count / 4 * ust__tcp_tx_buf_bytes(pool));
			uint32_t want = UST_MIN(2 * ust_tcp_cc_cwnd(&tcb->cc), cap);
			if (want > tcb->sndbuf) {
				/* only by what fits under the stack's memory limit */
				uint64_t grow = (uint64_t)(want - tcb->sndbuf) / ust__tcp_tx_buf_bytes(pool) * pool->buf_size;
				if (tp->mem_total + grow <= tp->mem_limit)
					tcb->sndbuf = want;
				else
					tp->c.autotune_mem_limited++;
			}
		}
		ust__tcb_wakeup(st, tcb);
	} else if (ack == tcb->snd_una && tcb->snd_max != tcb->snd_una &&
		   ((dlen == 0 && !fin && new_wnd == tcb->snd_wnd) || newly_sacked)) {
		/* a duplicate ACK (RFC 5681), or one carrying SACK information (RFC 6675) */
		ust__tcp_tlp_ack(st, tcb);
		dup_ack(st, tcb, ack);
	}
	/* window update (RFC 9293 3.10.7.4: SND.WL1/WL2 guard against old segments) */
	if (ust_seq_lt(tcb->snd_wl1, seg->seq) ||
	    (tcb->snd_wl1 == seg->seq && ust_seq_leq(tcb->snd_wl2, ack))) {
		bool opened = tcb->snd_wnd == 0 && new_wnd > 0;
		if (new_wnd == 0)
			tcb->retries = 0;	/* the peer is alive, only full: no reason to give up */
		tcb->snd_wnd = new_wnd;
		tcb->snd_wl1 = seg->seq;
		tcb->snd_wl2 = ack;
		if (new_wnd > tcb->max_snd_wnd)
			tcb->max_snd_wnd = new_wnd;
		if (opened && (tcb->flags & UST_TF_PERSIST)) {
			tcb->flags &= ~UST_TF_PERSIST;
			tcb->rto_at = 0;
			tcb->ka_probes = 0;
			ust__tcb_timer_update(st, tcb);
		}
	}
}

/* Insert an out-of-order segment (data at its payload, seq in pkt->user), sorted by seq. */
static bool ooo_insert(struct ust_stack *st, struct ust__tcb *tcb, struct ust_pkt *pkt, uint32_t seq)
{
	const struct ust__pools *pools = &st->pools;
	uint32_t prev = UST_PKT_NONE, t = tcb->oooq.head;
	while (t != UST_PKT_NONE) {
		struct ust_pkt *p = ust__pq_deref(pools, t);
		uint32_t ps = (uint32_t)p->user;
		if (ust_seq_geq(seq, ps) && ust_seq_leq(seq + pkt->len, ps + p->len))
			return false;	/* nothing new */
		if (ust_seq_lt(seq, ps))
			break;
		prev = t;
		t = p->next;
	}
	if (tcb->oooq.count >= 64 + tcb->rcvbuf / 512)
		return false;	/* bounded: tiny out-of-order segments must not pin the pool */
	/* at the stack's memory limit out-of-order data goes first: it has no guaranteed minimum
	 * (UINT32_MAX own buffers), while in-order data does (process_data) */
	uint32_t cost = ust__pkt_pool(pools, pkt)->buf_size;
	if (!ust__tcp_mem_admit(st, tcb, UINT32_MAX, cost)) {
		struct ust__tcp *tp = ust__tcp(st);
		tp->c.rx_ooo_dropped_mem++;
		tp->c.mem_limit_hits++;
		return false;
	}
	pkt->user = seq;
	uint32_t tok = ust__pq_token(pools, pkt);
	pkt->next = t;
	if (prev == UST_PKT_NONE)
		tcb->oooq.head = tok;
	else
		ust__pq_deref(pools, prev)->next = tok;
	if (t == UST_PKT_NONE)
		tcb->oooq.tail = tok;
	tcb->oooq.count++;
	tcb->oooq.bytes += pkt->len;
	tcb->oooq.mem += cost;
	ust__tcp_mem_sync(st, tcb);
	return true;
}

/*
 * Small segments are copied behind the previous one, so a peer sending tiny segments cannot
 * pin one buffer per byte (nor one 64 KiB buffer per MSS: see ust__tcp_rx_pack). Returns the
 * receive queue's tail when len bytes are copied there (costing no buffer), else NULL.
 */
static struct ust_pkt *rcvq_pack_tail(struct ust_stack *st, const struct ust__tcb *tcb, uint32_t len)
{
	struct ust_pkt *tail = ust__pq_deref(&st->pools, tcb->rcvq.tail);
	if (!tail || len > ust__tcp_rx_pack(st->pools.small))
		return NULL;
	return ust_pkt_tailroom(ust__pkt_pool(&st->pools, tail), tail) >= len ? tail : NULL;
}

static void rcvq_append(struct ust_stack *st, struct ust__tcb *tcb, struct ust_pkt *pkt)
{
	uint32_t len = pkt->len;
	tcb->rcv_nxt += len;
	struct ust_pkt *tail = rcvq_pack_tail(st, tcb, len);
	if (tail) {
		struct ust_pool *pool = ust__pkt_pool(&st->pools, tail);
		memcpy(ust_pkt_put(pool, tail, len), ust__pkt_data(&st->pools, pkt), len);
		tcb->rcvq.bytes += len;
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	ust__pq_push(&st->pools, &tcb->rcvq, pkt);
}

/*
 * May in-order data of pkt be queued? It may when it is copied behind the tail, when the
 * receive queue holds fewer than UST_TCP_MEM_MIN_BUFS buffers, or when its buffer fits under
 * the stack's memory limit. Otherwise it is dropped unacknowledged and the peer retransmits.
 */
static bool rcvq_admit(struct ust_stack *st, struct ust__tcb *tcb, const struct ust_pkt *pkt)
{
	if (rcvq_pack_tail(st, tcb, pkt->len))
		return true;
	return ust__tcp_mem_admit(st, tcb, tcb->rcvq.count, ust__pkt_pool(&st->pools, pkt)->buf_size);
}

/* Move what became in order from the out-of-order queue. */
static void ooo_drain(struct ust_stack *st, struct ust__tcb *tcb)
{
	struct ust_pkt *p;
	while ((p = ust__pq_peek(&st->pools, &tcb->oooq)) && ust_seq_leq((uint32_t)p->user, tcb->rcv_nxt)) {
		ust__pq_pop(&st->pools, &tcb->oooq);
		uint32_t s = (uint32_t)p->user;
		uint32_t skip = tcb->rcv_nxt - s;
		if (skip >= p->len) {
			ust__pkt_free(&st->pools, p);
			continue;
		}
		ust_pkt_pull(p, skip);
		rcvq_append(st, tcb, p);
	}
}

/* In-order or out-of-order data of an acceptable segment. Consumes pkt. */
static void process_data(struct ust_stack *st, struct ust__tcb *tcb, struct ust_pkt *pkt, uint32_t seq)
{
	struct ust__tcp *tp = ust__tcp(st);
	if (tcb->flags & UST_TF_SHUT_RD) {
		/* shut down for reading: the data is acknowledged and thrown away (like Linux) */
		if (seq == tcb->rcv_nxt)
			tcb->rcv_nxt += pkt->len;
		ust__pkt_free(&st->pools, pkt);
		tcb->flags |= UST_TF_ACKNOW;
		return;
	}
	if (seq == tcb->rcv_nxt) {
		if (!rcvq_admit(st, tcb, pkt)) {
			/* not acknowledged (like Linux's TCPRcvQDrop): the peer sends it again */
			tp->c.rx_dropped_mem++;
			tp->c.mem_limit_hits++;
			ust__pkt_free(&st->pools, pkt);
			return;
		}
		rcvq_append(st, tcb, pkt);
		if (tcb->oooq.count) {
			ooo_drain(st, tcb);
			tcb->flags |= UST_TF_ACKNOW;	/* a hole filled: tell the sender now */
		}
		ust__tcp_mem_sync(st, tcb);
		if (tcb->quickacks) {
			tcb->quickacks--;
			tcb->flags |= UST_TF_ACKNOW;
		} else if (tcb->flags & UST_TF_DELACK) {
			tcb->flags |= UST_TF_ACKNOW;	/* every second segment */
		} else {
			tcb->flags |= UST_TF_DELACK;
			tcb->delack_at = st->now + UST_TCP_DELACK_NS;
			ust__tcb_timer_update(st, tcb);
		}
		ust__tcb_wakeup(st, tcb);
		return;
	}
	tp->c.rx_ooo_segments++;
	tcb->ooo_last = seq;
	if (!ooo_insert(st, tcb, pkt, seq))
		ust__pkt_free(&st->pools, pkt);
	tcb->flags |= UST_TF_ACKNOW;	/* duplicate ACK (with SACK) at once */
}

/*
 * Two desynchronized ends answering each other's invalid pure ACKs would loop forever:
 * answer such a segment at most once per UST_TCP_OOW_ACK_MS (segments with data always).
 */
static bool oow_limited(struct ust_stack *st, struct ust__tcb *tcb, uint32_t len)
{
	if (len)
		return false;
	uint32_t now = ust__tcp_now_ms(st);
	if (tcb->oow_ack_ms && now - tcb->oow_ack_ms < UST_TCP_OOW_ACK_MS) {
		ust__tcp(st)->c.tx_oow_acks_limited++;
		return true;
	}
	tcb->oow_ack_ms = now ? now : 1;
	return false;
}

static void reset_received(struct ust_stack *st, struct ust__tcb *tcb)
{
	struct ust__tcp *tp = ust__tcp(st);
	tp->c.rx_rst++;
	switch (tcb->state) {
	case UST_TCPS_SYN_RECEIVED:
		if (tcb->flags & UST_TF_PASSIVE) {
			ust__tcb_close(st, tcb, 0);	/* back to the listener: just forget it */
		} else {
			tp->c.conn_refused++;
			ust__tcb_close(st, tcb, ECONNREFUSED);
		}
		return;
	case UST_TCPS_ESTABLISHED:
	case UST_TCPS_FIN_WAIT_1:
	case UST_TCPS_FIN_WAIT_2:
	case UST_TCPS_CLOSE_WAIT:
		tp->c.conn_reset_rx++;
		ust__tcb_close(st, tcb, ECONNRESET);
		return;
	default:
		ust__tcb_close(st, tcb, 0);
		return;
	}
}

void ust__tcp_segment(struct ust_stack *st, struct ust__tcb *tcb, struct ust_pkt *pkt, const struct ust_tcp_repr *seg)
{
	struct ust__tcp *tp = ust__tcp(st);
	tcb->last_rx_ns = st->now;
	if (tcb->flags & UST_TF_KEEPALIVE)
		tcb->ka_probes = 0;
	if (tcb->state == UST_TCPS_SYN_SENT) {
		syn_sent_input(st, tcb, seg);
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	uint8_t flags = seg->flags;
	bool syn = flags & UST_TCP_SYN, fin = flags & UST_TCP_FIN, rst = flags & UST_TCP_RST;
	uint32_t seq = seg->seq;
	uint32_t dlen = (uint32_t)seg->payload_len;

	/* PAWS (RFC 7323 5.3) */
	if ((tcb->flags & UST_TF_TS) && seg->opts.has_timestamp && !rst &&
	    ust_ts_lt(seg->opts.ts_val, tcb->ts_recent) &&
	    ust__tcp_now_ms(st) - tcb->ts_recent_ms < 24u * 24 * 3600 * 1000) {
		tp->c.rx_paws_rejected++;
		tcb->flags |= UST_TF_ACKNOW;
		ust__tcp_output(st, tcb);
		ust__pkt_free(&st->pools, pkt);
		return;
	}

	/* sequence acceptability (RFC 9293 3.10.7.4 first check) */
	uint32_t wnd = ust_seq_gt(tcb->rcv_adv, tcb->rcv_nxt) ? tcb->rcv_adv - tcb->rcv_nxt : 0;
	uint32_t slen = dlen + (syn ? 1 : 0) + (fin ? 1 : 0);
	bool ok;
	if (slen == 0)
		ok = wnd == 0 ? seq == tcb->rcv_nxt : ust_seq_in(seq, tcb->rcv_nxt, tcb->rcv_nxt + wnd);
	else
		ok = wnd > 0 && (ust_seq_in(seq, tcb->rcv_nxt, tcb->rcv_nxt + wnd) ||
				 ust_seq_in(seq + slen - 1, tcb->rcv_nxt, tcb->rcv_nxt + wnd));
	if (!ok && wnd == 0 && seq == tcb->rcv_nxt)
		ok = true;	/* zero window: still take its ACK and RST; the data is trimmed below */
	if (!ok) {
		tp->c.rx_out_of_window++;
		if (!rst && !oow_limited(st, tcb, slen)) {
			tcb->flags |= UST_TF_ACKNOW;
			ust__tcp_output(st, tcb);
		}
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	/* trim what we already have from the front, what exceeds the window from the tail */
	if (ust_seq_lt(seq, tcb->rcv_nxt)) {
		uint32_t d = tcb->rcv_nxt - seq;
		if (syn) {
			syn = false;
			seq++;
			d--;
		}
		uint32_t dd = UST_MIN(d, dlen);
		ust_pkt_pull(pkt, dd);
		dlen -= dd;
		seq += dd;
		if (d > dd)
			fin = false;
	}
	if (ust_seq_gt(seq + dlen, tcb->rcv_nxt + wnd)) {
		uint32_t keep = ust_seq_gt(tcb->rcv_nxt + wnd, seq) ? tcb->rcv_nxt + wnd - seq : 0;
		dlen = keep;
		fin = false;
	}
	ust_pkt_trim(pkt, dlen);

	if (rst) {
		if (seq != tcb->rcv_nxt) {
			/* RFC 5961 3.2: in the window but not exact: maybe forged */
			tp->c.rx_rst_challenged++;
			ust__tcp_send_challenge_ack(st, tcb);
		} else {
			reset_received(st, tcb);
		}
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	if (syn) {
		/* RFC 5961 4.2: a SYN in a synchronized state gets a challenge ACK */
		tp->c.rx_syn_challenged++;
		ust__tcp_send_challenge_ack(st, tcb);
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	if (!(flags & UST_TCP_ACK)) {
		tp->c.rx_no_ack++;
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	/* timestamps: remember the peer's clock (RFC 7323 4.3) */
	if ((tcb->flags & UST_TF_TS) && seg->opts.has_timestamp && ust_seq_leq(seq, tcb->last_ack_sent) &&
	    ust_ts_geq(seg->opts.ts_val, tcb->ts_recent)) {
		tcb->ts_recent = seg->opts.ts_val;
		tcb->ts_recent_ms = ust__tcp_now_ms(st);
	}

	if (tcb->state == UST_TCPS_SYN_RECEIVED) {
		if (!ust_seq_gt(seg->ack, tcb->snd_una) || ust_seq_gt(seg->ack, tcb->snd_max)) {
			ust__tcp_respond(st, tcb->laddr, tcb->raddr, tcb->lport, tcb->rport, seg->ack, 0, UST_TCP_RST);
			ust__pkt_free(&st->pools, pkt);
			return;
		}
		if (tcb->flags & UST_TF_PASSIVE) {
			if (!ust__tcp_child_established(st, tcb)) {
				/* accept queue full: drop the ACK, the SYN-ACK timer will try again (Linux) */
				tp->c.rx_listen_overflow++;
				ust__pkt_free(&st->pools, pkt);
				return;
			}
		} else {
			if (tcb->sock)
				tcb->sock->flags |= UST_SOCK_F_CONNECTED;
			ust__tcb_set_state(st, tcb, UST_TCPS_ESTABLISHED);
		}
		tcb->snd_una = seg->ack;
		if (ust_seq_lt(tcb->snd_nxt, tcb->snd_una))
			tcb->snd_nxt = tcb->snd_una;
		conn_start(st, tcb, seg);
		established_fin(tcb);
	}

	/* RFC 5961 5.2 ACK acceptability */
	if (ust_seq_gt(seg->ack, tcb->snd_max)) {
		tp->c.rx_ack_unsent++;
		if (!oow_limited(st, tcb, dlen)) {
			tcb->flags |= UST_TF_ACKNOW;
			ust__tcp_output(st, tcb);
		}
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	if (ust_seq_lt(seg->ack, tcb->snd_una - tcb->max_snd_wnd)) {
		tp->c.rx_ack_challenged++;
		ust__tcp_send_challenge_ack(st, tcb);
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	process_ack(st, tcb, seg, dlen, fin);
	bool fin_acked = (tcb->flags & UST_TF_FIN_SENT) && tcb->snd_una == tcb->snd_max;
	switch (tcb->state) {
	case UST_TCPS_FIN_WAIT_1:
		if (fin_acked) {
			tcb->state = UST_TCPS_FIN_WAIT_2;
			if (!tcb->sock) {
				tcb->keep_at = st->now + UST_TCP_FIN_WAIT2_NS;
				ust__tcb_timer_update(st, tcb);
			}
			ust__tcb_wakeup(st, tcb);
		}
		break;
	case UST_TCPS_CLOSING:
		if (fin_acked)
			ust__tcp_enter_time_wait(st, tcb);
		break;
	case UST_TCPS_LAST_ACK:
		if (fin_acked) {
			ust__tcb_close(st, tcb, 0);
			ust__pkt_free(&st->pools, pkt);
			return;
		}
		break;
	case UST_TCPS_TIME_WAIT:
		if (fin) {
			/* the peer lost our last ACK: ACK again and restart 2 MSL */
			tcb->flags |= UST_TF_ACKNOW;
			tcb->keep_at = st->now + 2 * tp->msl_ns;
			ust__tcb_timer_update(st, tcb);
		}
		ust__tcp_output(st, tcb);
		ust__pkt_free(&st->pools, pkt);
		return;
	default:
		break;
	}

	if (dlen) {
		switch (tcb->state) {
		case UST_TCPS_ESTABLISHED:
		case UST_TCPS_FIN_WAIT_1:
		case UST_TCPS_FIN_WAIT_2:
			if (!tcb->sock && !tcb->parent) {
				/* nobody will ever read it: reset (RFC 9293 3.10.4 / Linux) */
				tp->c.rx_data_orphan++;
				ust__tcp_send_rst_tcb(st, tcb);
				ust__tcb_close(st, tcb, 0);
				ust__pkt_free(&st->pools, pkt);
				return;
			}
			process_data(st, tcb, pkt, seq);
			pkt = NULL;
			break;
		default:
			tp->c.rx_after_fin++;	/* CLOSE_WAIT, CLOSING, LAST_ACK: the peer said FIN */
			fin = false;
			break;
		}
	}
	ust__pkt_free(&st->pools, pkt);

	if (fin && seq + dlen == tcb->rcv_nxt && !(tcb->flags & UST_TF_RCVD_FIN)) {
		tcb->rcv_nxt++;
		tcb->flags |= UST_TF_RCVD_FIN | UST_TF_ACKNOW;
		switch (tcb->state) {
		case UST_TCPS_ESTABLISHED:
			tcb->state = UST_TCPS_CLOSE_WAIT;
			break;
		case UST_TCPS_FIN_WAIT_1:
			tcb->state = UST_TCPS_CLOSING;
			break;
		case UST_TCPS_FIN_WAIT_2:
			ust__tcp_send_ack(st, tcb);
			ust__tcp_enter_time_wait(st, tcb);
			return;
		default:
			break;
		}
		ust__tcb_wakeup(st, tcb);
	} else if (fin && seq + dlen != tcb->rcv_nxt) {
		tcb->flags |= UST_TF_ACKNOW;	/* FIN beyond a hole: the peer will resend it */
	}
	ust__tcp_output(st, tcb);
}

static void answer_closed(struct ust_stack *st, const struct ust_ipv4_repr *ip, const struct ust_tcp_repr *seg)
{
	if (seg->flags & UST_TCP_RST)
		return;
	if (seg->flags & UST_TCP_ACK) {
		ust__tcp_respond(st, ip->dst, ip->src, seg->dst_port, seg->src_port, seg->ack, 0, UST_TCP_RST);
	} else {
		uint32_t len = (uint32_t)seg->payload_len + ((seg->flags & UST_TCP_SYN) ? 1 : 0) +
			       ((seg->flags & UST_TCP_FIN) ? 1 : 0);
		ust__tcp_respond(st, ip->dst, ip->src, seg->dst_port, seg->src_port, 0, seg->seq + len,
				 UST_TCP_RST | UST_TCP_ACK);
	}
}

static struct ust__tcb *find_listener(struct ust_stack *st, uint32_t addr, uint16_t port)
{
	uint32_t addrs[2] = { addr, 0 };
	for (int i = 0; i < 2; i++) {
		struct ust__demux_key k = ust__demux_key_make(UST_IPPROTO_TCP, addrs[i], port, 0, 0);
		for (struct ust__demux_node *n = ust__demux_lookup(&st->demux, &k); n; n = ust__demux_next(n)) {
			struct ust__sock *s = n->owner;
			struct ust__tcb *t = s->proto;
			if (t && t->state == UST_TCPS_LISTEN)
				return t;
		}
	}
	return NULL;
}

void ust__tcp_input(struct ust_stack *st, struct ust_pkt *pkt, const struct ust__ip_rx *rx)
{
	struct ust__tcp *tp = ust__tcp(st);
	const struct ust_ipv4_repr *ip = rx->ip;
	tp->c.rx_segments++;
	if (rx->ip_broadcast || rx->link_broadcast) {
		tp->c.rx_broadcast++;
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	struct ust_tcp_repr seg;
	unsigned pf = (pkt->flags & UST_PKT_F_CSUM_VALID) ? UST_TCP_PARSE_NO_CSUM : 0;
	enum ust_wire_error err = ust_tcp_parse(ust__pkt_data(&st->pools, pkt), pkt->len, ip->src, ip->dst, pf, &seg);
	if (err != UST_WIRE_OK) {
		switch (err) {
		case UST_WIRE_BAD_CHECKSUM: tp->c.rx_bad_checksum++; break;
		case UST_WIRE_BAD_HEADER_LEN: tp->c.rx_bad_offset++; break;
		case UST_WIRE_BAD_OPTION: tp->c.rx_bad_option++; break;
		default: tp->c.rx_truncated++; break;
		}
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	ust_pkt_pull(pkt, seg.header_len);
	ust_pkt_trim(pkt, (uint32_t)seg.payload_len);
	struct ust__demux_key k = ust__demux_key_make(UST_IPPROTO_TCP, ip->dst, seg.dst_port, ip->src, seg.src_port);
	struct ust__demux_node *n = ust__demux_lookup(&st->demux, &k);
	if (n) {
		struct ust__tcb *tcb = n->owner;
		bool reuse = false;
		if (tcb->state == UST_TCPS_TIME_WAIT && (seg.flags & (UST_TCP_SYN | UST_TCP_ACK | UST_TCP_RST)) == UST_TCP_SYN) {
			/* a new incarnation may take over TIME_WAIT when it is clearly newer (RFC 6191) */
			if ((tcb->flags & UST_TF_TS) && seg.opts.has_timestamp)
				reuse = ust_ts_gt(seg.opts.ts_val, tcb->ts_recent);
			else
				reuse = ust_seq_gt(seg.seq, tcb->rcv_nxt);
		}
		if (!reuse) {
			ust__tcp_segment(st, tcb, pkt, &seg);
			return;
		}
		tp->c.rx_tw_reuse++;
		ust__tcb_close(st, tcb, 0);
	}
	struct ust__tcb *l = find_listener(st, ip->dst, seg.dst_port);
	if (l) {
		ust__tcp_listen_input(st, l, pkt, &seg, ip);
		return;
	}
	tp->c.rx_no_socket++;
	answer_closed(st, ip, &seg);
	ust__pkt_free(&st->pools, pkt);
}

void ust__tcp_icmp_error(struct ust_stack *st, const struct ust__icmp_err *e)
{
	struct ust__tcp *tp = ust__tcp(st);
	uint16_t sport = ust_get_be16(e->l4), dport = ust_get_be16(e->l4 + 2);
	struct ust__demux_key k = ust__demux_key_make(UST_IPPROTO_TCP, e->src, sport, e->dst, dport);
	struct ust__demux_node *n = ust__demux_lookup(&st->demux, &k);
	tp->c.rx_icmp_errors++;
	if (!n) {
		st->icmp.rx_error_unmatched++;
		return;
	}
	st->icmp.rx_error_delivered++;
	struct ust__tcb *tcb = n->owner;
	uint32_t seq = ust_get_be32(e->l4 + 4);
	if (!ust_seq_between(seq, tcb->snd_una, tcb->snd_max))
		return;	/* not about anything in flight: forged or stale */
	if (e->type == 3 && e->code == 4) {
		/* fragmentation needed: shrink the MSS and resend what was lost */
		uint16_t mss = ust__tcp_path_mss(st, tcb->raddr);
		if (mss < tcb->smss) {
			tcb->smss = mss;
			ust_tcp_cc_set_smss(&tcb->cc, mss);
			tcb->snd_nxt = tcb->snd_una;
			ust__tcp_output(st, tcb);
		}
		return;
	}
	/* hard errors abort a connection still being set up; soft ones are noted only */
	if (tcb->state == UST_TCPS_SYN_SENT && e->error) {
		int err = e->error == ECONNREFUSED ? ECONNREFUSED : EHOSTUNREACH;
		if (e->type == 3 && (e->code == 0 || e->code == 1))
			err = EHOSTUNREACH;
		ust__tcb_close(st, tcb, err);
	}
}
