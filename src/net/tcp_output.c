/*
 * TCP output: what to send and building the segments.
 *   tcp_send / input / timers -> ust__tcp_output -> send decisions (cwnd or RFC 6675 pipe,
 *   peer window, Nagle, FIN after the data, owed ACK) -> ust__tcp_send_segment -> header +
 *   options (MSS, window scale, SACK-permitted, timestamps, SACK blocks) -> ust__ipv4_output
 * The timer expiries that send (RTO, tail loss probe, persist, keepalive) are in tcp_timer.c.
 * The send queue holds the bytes from SND.UNA on in packet buffers; each transmission copies
 * its range into a fresh frame, so a retransmission never races a buffer still on the wire.
 */
#include <errno.h>
#include <string.h>

#include "core/util.h"
#include "net/tcp.h"
#include "wire/eth.h"
#include "wire/ipv4.h"
#include "net/tcp_seq.h"

uint32_t ust__tcp_unsent(const struct ust__tcb *tcb)
{
	uint32_t off = tcb->snd_nxt - tcb->snd_una;
	uint32_t n = (uint32_t)tcb->sndq.bytes;
	return off < n ? n - off : 0;
}

uint32_t ust__tcp_rcv_window(struct ust_stack *st, const struct ust__tcb *tcb)
{
	uint64_t used = tcb->rcvq.bytes + tcb->oooq.bytes;
	uint32_t space = used >= tcb->rcvbuf ? 0 : (uint32_t)(tcb->rcvbuf - used);
	/* the frame pool is shared by every connection: stop offering new window when less
	 * than an eighth of it is free, so queued data cannot starve the stack of buffers */
	const struct ust_pool *pool = st->pools.small;
	uint32_t free_bufs = ust_pool_available(pool), reserve = pool->count / 8;
	uint64_t cap = (uint64_t)(free_bufs > reserve ? free_bufs - reserve : 0) *
		       ust__tcp_rx_buf_bytes(pool, tcb->rcv_mss);
	if (cap < space)
		space = (uint32_t)cap;
	/* nor more than the stack's memory limit leaves room for (at least this connection's
	 * guaranteed minimum), so what the peer sends in the window is not dropped */
	const struct ust__tcp *tp = ust__tcp(st);
	uint64_t room = ust__tcp_mem_room(tp->mem_total, tp->mem_limit, tcb->rcvq.count, pool->buf_size);
	cap = room * ust__tcp_rx_buf_bytes(pool, tcb->rcv_mss);
	if (cap < space)
		space = (uint32_t)cap;
	/* receiver silly-window avoidance: don't offer slivers */
	if (space < UST_MIN(tcb->rcvbuf / 4, (uint32_t)tcb->rcv_mss))
		space = 0;
	uint32_t max = 65535u << tcb->rcv_wscale;
	space = UST_MIN(space, max);
	/* never shrink what was already offered (RFC 9293 3.8.6.2.2) */
	if (ust_seq_gt(tcb->rcv_adv, tcb->rcv_nxt) && tcb->rcv_adv - tcb->rcv_nxt > space)
		space = tcb->rcv_adv - tcb->rcv_nxt;
	return space;
}

/* Copy len bytes of the send queue starting off bytes after SND.UNA. */
static void sndq_copy(struct ust_stack *st, struct ust__tcb *tcb, uint32_t off, uint8_t *dst, uint32_t len)
{
	uint32_t t = tcb->sndq.head;
	uint32_t seq = tcb->snd_una + off;
	if (tcb->sndq_hint && ust_seq_geq(seq, tcb->sndq_hint_seq)) {
		t = tcb->sndq_hint - 1;
		off = seq - tcb->sndq_hint_seq;
	}
	bool hinted = false;
	while (t != UST_PKT_NONE && len) {
		struct ust_pkt *p = ust__pq_deref(&st->pools, t);
		if (off >= p->len) {
			off -= p->len;
		} else {
			if (!hinted) {
				tcb->sndq_hint = t + 1;
				tcb->sndq_hint_seq = seq - off;
				hinted = true;
			}
			uint32_t n = UST_MIN(p->len - off, len);
			memcpy(dst, ust__pkt_data(&st->pools, p) + off, n);
			dst += n;
			len -= n;
			off = 0;
		}
		t = p->next;
	}
}

void ust__tcp_sndq_drop(struct ust_stack *st, struct ust__tcb *tcb, uint32_t bytes)
{
	while (bytes) {
		struct ust_pkt *p = ust__pq_peek(&st->pools, &tcb->sndq);
		if (!p)
			break;
		bool hint = tcb->sndq_hint == tcb->sndq.head + 1;
		if (p->len <= bytes) {
			bytes -= p->len;
			ust__pq_pop(&st->pools, &tcb->sndq);
			ust__pkt_free(&st->pools, p);
			if (hint)
				tcb->sndq_hint = 0;
		} else {
			ust_pkt_pull(p, bytes);
			tcb->sndq.bytes -= bytes;
			if (hint)
				tcb->sndq_hint_seq += bytes;
			bytes = 0;
		}
	}
	ust__tcp_mem_sync(st, tcb);
}

void ust__tcp_sndq_purge(struct ust_stack *st, struct ust__tcb *tcb)
{
	ust__pq_purge(&st->pools, &tcb->sndq);
	tcb->sndq_hint = 0;
	ust__tcp_mem_sync(st, tcb);
}

/* Receiver SACK blocks from the out-of-order queue; the block holding the latest arrival first. */
static unsigned sack_blocks(struct ust_stack *st, const struct ust__tcb *tcb, struct ust_tcp_sack_block *out,
			    unsigned max)
{
	struct ust_tcp_sack_block all[16];
	unsigned n = 0;
	for (uint32_t t = tcb->oooq.head; t != UST_PKT_NONE;) {
		struct ust_pkt *p = ust__pq_deref(&st->pools, t);
		uint32_t s = (uint32_t)p->user, e = s + p->len;
		if (n && ust_seq_leq(s, all[n - 1].end)) {
			if (ust_seq_gt(e, all[n - 1].end))
				all[n - 1].end = e;
		} else if (n < UST_ARRAY_SIZE(all)) {
			all[n].start = s;
			all[n].end = e;
			n++;
		}
		t = p->next;
	}
	unsigned first = 0;
	for (unsigned i = 0; i < n; i++)
		if (ust_seq_in(tcb->ooo_last, all[i].start, all[i].end))
			first = i;
	unsigned k = 0;
	if (n && max) {
		out[k++] = all[first];
		for (unsigned i = n; i-- > 0 && k < max;)
			if (i != first)
				out[k++] = all[i];
	}
	return k;
}

static void fill_options(struct ust_stack *st, struct ust__tcb *tcb, uint8_t flags, struct ust_tcp_options *o)
{
	memset(o, 0, sizeof(*o));
	if (flags & UST_TCP_SYN) {
		o->has_mss = true;
		o->mss = tcb->rcv_mss;
		bool synack = flags & UST_TCP_ACK;
		if (synack ? (tcb->flags & UST_TF_WS) != 0 : !(tcb->flags & UST_TF_NOWS_OFFER)) {
			o->has_wscale = true;
			o->wscale = tcb->rcv_wscale;
		}
		o->sack_permitted = synack ? (tcb->flags & UST_TF_SACK) != 0 : !(tcb->flags & UST_TF_NOSACK_OFFER);
	}
	if (tcb->flags & UST_TF_TS) {
		o->has_timestamp = true;
		o->ts_val = (tcb->flags & UST_TF_TS_COOKIE) ? tcb->ts_recent_ms : ust__tcp_now_ms(st);
		o->ts_ecr = tcb->ts_recent;
	}
	if ((tcb->flags & UST_TF_SACK) && !(flags & UST_TCP_SYN) && tcb->oooq.count)
		o->sack_count = (uint8_t)sack_blocks(st, tcb, o->sack, o->has_timestamp ? 3 : 4);
}

int ust__tcp_send_segment(struct ust_stack *st, struct ust__tcb *tcb, uint32_t seq, uint32_t len, uint8_t flags)
{
	struct ust__tcp *tp = ust__tcp(st);
	struct ust_tcp_repr r = { .src_port = tcb->lport, .dst_port = tcb->rport, .seq = seq, .flags = flags };
	fill_options(st, tcb, flags, &r.opts);
	if (flags & UST_TCP_ACK)
		r.ack = tcb->rcv_nxt;
	uint32_t win = (flags & UST_TCP_RST) ? 0 : ust__tcp_rcv_window(st, tcb);
	if (flags & UST_TCP_SYN)
		r.window = (uint16_t)UST_MIN(win, 65535u);
	else
		r.window = (uint16_t)UST_MIN(win >> tcb->rcv_wscale, 65535u);
	size_t hl = ust_tcp_header_len(&r.opts);
	bool tso = len > ust__tcp_eff_mss(tcb);
	/* SACK blocks give way to data: a full segment must still fit the path MTU */
	while (r.opts.sack_count && (tso || hl - UST_TCP_HDR_LEN + len > tcb->smss)) {
		r.opts.sack_count--;
		hl = ust_tcp_header_len(&r.opts);
	}
	struct ust_pkt *pkt;
	if (tso) {
		/* a big segment lives in one frame buffer (TSO backends have 64 KiB frames) */
		pkt = ust_pkt_alloc(st->pools.small);
		if (pkt)
			pkt->head = UST_MAX(pkt->head, (uint32_t)(UST_ETH_HDR_LEN + UST_IPV4_HDR_LEN));
	} else {
		pkt = ust__alloc_l4(st, hl + len);
	}
	if (!pkt) {
		tp->c.tx_nobuf++;
		return -ENOBUFS;
	}
	struct ust_pool *pool = ust__pkt_pool(&st->pools, pkt);
	uint8_t *p = ust_pkt_put(pool, pkt, (uint32_t)(hl + len));
	if (!p) {
		tp->c.tx_nobuf++;
		ust__pkt_free(&st->pools, pkt);
		return -ENOBUFS;
	}
	if (len) {
		uint32_t off = seq - tcb->snd_una;
		sndq_copy(st, tcb, off, p + hl, len);
		r.payload = p + hl;
		r.payload_len = len;
	}
	ust_tcp_emit(&r, tcb->laddr, tcb->raddr, tso, p, hl + len);
	if (tso) {
		pkt->flags |= UST_PKT_F_GSO_TCPV4 | UST_PKT_F_CSUM_PARTIAL;
		pkt->gso_size = (uint16_t)ust__tcp_eff_mss(tcb);
		/* offsets in the finished frame: Ethernet + IPv4 without options come first */
		pkt->csum_start = UST_ETH_HDR_LEN + UST_IPV4_HDR_LEN;
		pkt->csum_offset = 16;
		tp->c.tso_segments++;
	}
	struct ust__ip_tx tx = { .src = tcb->laddr, .dst = tcb->raddr, .protocol = UST_IPPROTO_TCP,
				 .ttl = tcb->sock ? tcb->sock->ttl : 0, .tos = tcb->sock ? tcb->sock->tos : 0,
				 .df = true, .owner = tcb->sock ? ust__sock_token(tcb->sock) : 0 };
	int err = ust__ipv4_output(st, pkt, &tx);
	tp->c.tx_segments++;
	if (len)
		tp->c.tx_data_segments++;
	if (flags & UST_TCP_RST)
		tp->c.tx_rsts++;
	if (err)
		tp->c.tx_errors++;
	if (err == -EMSGSIZE && len) {
		/* The path MTU fell below our MSS without an ICMP error naming this connection
		 * (one quoting another connection to the host, or matching none): take the path's
		 * MSS so the retry fits. Found by fuzz_tcpconn: the segment was refused forever. */
		uint16_t pm = ust__tcp_path_mss(st, tcb->raddr);
		if (pm < tcb->smss) {
			tcb->smss = pm;
			ust_tcp_cc_set_smss(&tcb->cc, pm);
		}
	}
	if (flags & UST_TCP_ACK) {
		tcb->last_ack_sent = tcb->rcv_nxt;
		uint32_t adv = tcb->rcv_nxt + ((uint32_t)r.window << ((flags & UST_TCP_SYN) ? 0 : tcb->rcv_wscale));
		if (ust_seq_gt(adv, tcb->rcv_adv))
			tcb->rcv_adv = adv;
		tcb->flags &= ~(UST_TF_ACKNOW | UST_TF_DELACK);
		tcb->delack_at = 0;
	}
	return err;
}

void ust__tcp_send_ack(struct ust_stack *st, struct ust__tcb *tcb)
{
	ust__tcp(st)->c.tx_acks++;
	ust__tcp_send_segment(st, tcb, tcb->snd_nxt, 0, UST_TCP_ACK);
}

void ust__tcp_send_challenge_ack(struct ust_stack *st, struct ust__tcb *tcb)
{
	if (!ust__tcp_challenge_allowed(st))
		return;
	ust__tcp(st)->c.tx_challenge_acks++;
	ust__tcp_send_ack(st, tcb);
}

void ust__tcp_send_rst_tcb(struct ust_stack *st, struct ust__tcb *tcb)
{
	ust__tcp_send_segment(st, tcb, tcb->snd_nxt, 0, UST_TCP_RST | UST_TCP_ACK);
}

void ust__tcp_respond(struct ust_stack *st, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		      uint32_t seq, uint32_t ack, uint8_t flags)
{
	struct ust__tcp *tp = ust__tcp(st);
	struct ust_pkt *pkt = ust__alloc_l4(st, UST_TCP_HDR_LEN);
	if (!pkt) {
		tp->c.tx_nobuf++;
		return;
	}
	uint8_t *p = ust_pkt_put(ust__pkt_pool(&st->pools, pkt), pkt, UST_TCP_HDR_LEN);
	struct ust_tcp_repr r = { .src_port = sport, .dst_port = dport, .seq = seq, .ack = ack, .flags = flags };
	ust_tcp_emit(&r, src, dst, false, p, UST_TCP_HDR_LEN);
	struct ust__ip_tx tx = { .src = src, .dst = dst, .protocol = UST_IPPROTO_TCP, .df = true };
	tp->c.tx_segments++;
	if (flags & UST_TCP_RST)
		tp->c.tx_rsts++;
	if (ust__ipv4_output(st, pkt, &tx))
		tp->c.tx_errors++;
}

uint32_t ust__tcp_pipe(struct ust__tcb *tcb)
{
	if (!tcb->sb)
		return tcb->snd_max - tcb->snd_una;
	ust_tcp_sack_sent(tcb->sb, tcb->snd_max);
	return ust_tcp_sack_pipe(tcb->sb);
}

int ust__tcp_send_range(struct ust_stack *st, struct ust__tcb *tcb, uint32_t seq, uint32_t len)
{
	uint32_t off = seq - tcb->snd_una;
	uint32_t data = (uint32_t)tcb->sndq.bytes;
	uint32_t n = off < data ? UST_MIN(len, data - off) : 0;
	uint8_t flags = UST_TCP_ACK;
	/* the FIN sits at SND.UNA + queued bytes once sent */
	if ((tcb->flags & UST_TF_FIN_SENT) && off <= data && off + len > data)
		flags |= UST_TCP_FIN;
	if (n == 0 && !(flags & UST_TCP_FIN))
		return 0;
	ust__tcp(st)->c.retransmits++;
	tcb->total_retrans++;
	tcb->rtx_ms = ust__tcp_now_ms(st);
	ust_tcp_rtt_timing_cancel(&tcb->rtt);
	return ust__tcp_send_segment(st, tcb, seq, n, flags);
}

void ust__tcp_send_syn(struct ust_stack *st, struct ust__tcb *tcb)
{
	uint8_t flags = UST_TCP_SYN | (tcb->state == UST_TCPS_SYN_RECEIVED ? UST_TCP_ACK : 0);
	ust__tcp_send_segment(st, tcb, tcb->iss, 0, flags);
	tcb->snd_nxt = tcb->iss + 1;
	if (ust_seq_gt(tcb->snd_nxt, tcb->snd_max))
		tcb->snd_max = tcb->snd_nxt;
	if (!tcb->rto_at)
		ust__tcp_arm_rto(st, tcb);
}

/* Payload of a full segment: the MSS less the options every segment carries. */
uint32_t ust__tcp_eff_mss(const struct ust__tcb *tcb)
{
	return tcb->smss - ((tcb->flags & UST_TF_TS) ? 12u : 0u);
}

static uint32_t max_seg(struct ust_stack *st, const struct ust__tcb *tcb)
{
	uint32_t m = ust__tcp_eff_mss(tcb);
	if (ust__tcp(st)->tso && (tcb->flags & UST_TF_TSO)) {
		const struct ust_pool *small = st->pools.small;
		uint32_t room = small->buf_size - UST_MAX(small->headroom, 34u) - UST_TCP_HDR_LEN_MAX;
		uint32_t big = UST_MIN(UST_TCP_TSO_MAX, room);
		return big > m ? big / m * m : m;
	}
	return m;
}

void ust__tcp_output(struct ust_stack *st, struct ust__tcb *tcb)
{
	struct ust__tcp *tp = ust__tcp(st);
	switch (tcb->state) {
	case UST_TCPS_CLOSED:
	case UST_TCPS_LISTEN:
		return;
	case UST_TCPS_SYN_SENT:
	case UST_TCPS_SYN_RECEIVED:
		if (tcb->snd_nxt == tcb->iss)
			ust__tcp_send_syn(st, tcb);
		else if ((tcb->flags & UST_TF_ACKNOW) && tcb->state == UST_TCPS_SYN_RECEIVED)
			ust__tcp_send_ack(st, tcb);
		return;
	case UST_TCPS_TIME_WAIT:
		if (tcb->flags & UST_TF_ACKNOW)
			ust__tcp_send_ack(st, tcb);
		return;
	default:
		break;
	}
	uint32_t mseg = max_seg(st, tcb);
	bool sack_rec = (tcb->flags & (UST_TF_INRECOVERY | UST_TF_SACK)) == (UST_TF_INRECOVERY | UST_TF_SACK);
	for (int guard = 0; guard < 100000; guard++) {
		uint32_t cwnd = ust_tcp_cc_cwnd(&tcb->cc);
		uint32_t new_allowed = UINT32_MAX;
		if (sack_rec && tcb->sb) {
			/* RFC 6675 section 5 (C): while cwnd - pipe >= SMSS, send what NextSeg() says */
			uint32_t pipe = ust__tcp_pipe(tcb);
			if (cwnd < pipe + ust__tcp_eff_mss(tcb))
				break;
			uint32_t out = tcb->snd_max - tcb->snd_una;
			uint32_t queued = tcb->sndq.bytes > out ? (uint32_t)tcb->sndq.bytes - out : 0;
			uint32_t rwnd = tcb->snd_wnd > out ? tcb->snd_wnd - out : 0;
			struct ust_tcp_sack_seg sg;
			if (!ust_tcp_sack_next_seg(tcb->sb, UST_MIN(queued, rwnd), &sg))
				break;
			if (sg.rule != UST_TCP_SACK_RULE_NEW) {
				if (ust__tcp_send_range(st, tcb, sg.seq, sg.len))
					break;
				ust_tcp_sack_sent_seg(tcb->sb, &sg);
				tp->c.sack_retransmits++;
				if (sg.rule == UST_TCP_SACK_RULE_RELOST)
					tp->c.lost_retransmits++;
				continue;
			}
			new_allowed = sg.len;
		}
		uint32_t sndlen = (uint32_t)tcb->sndq.bytes;
		uint32_t sack_limit = UINT32_MAX;
		if (tcb->sb && ust_seq_lt(tcb->snd_nxt, tcb->snd_max)) {
			/* going back over the window (after an RTO): skip what the peer SACKed */
			uint32_t hs, hl;
			ust_tcp_sack_sent(tcb->sb, tcb->snd_max);	/* the board's HighData must be current */
			if (ust_tcp_sack_next_hole(tcb->sb, tcb->snd_nxt, UINT32_MAX, &hs, &hl)) {
				tcb->snd_nxt = hs;
				sack_limit = hl;
			} else {
				tcb->snd_nxt = tcb->snd_max;	/* the rest was all SACKed */
			}
		}
		uint32_t off = tcb->snd_nxt - tcb->snd_una;
		uint32_t avail = off < sndlen ? sndlen - off : 0;
		uint32_t wnd = UST_MIN(tcb->snd_wnd, cwnd);
		uint32_t allowed;
		if (new_allowed != UINT32_MAX) {
			allowed = new_allowed;
		} else {
			allowed = wnd > off ? wnd - off : 0;
		}
		uint32_t len = UST_MIN(avail, allowed);
		len = UST_MIN(len, mseg);
		len = UST_MIN(len, sack_limit);
		bool fin = (tcb->flags & UST_TF_FIN_QUEUED) && off + len == sndlen &&
			   !(off > sndlen) && (len > 0 || avail == 0);
		if (fin && (tcb->flags & UST_TF_FIN_SENT) && ust_seq_geq(tcb->snd_nxt, tcb->snd_max))
			fin = false;	/* already sent and not being retransmitted */
		if (len == 0 && !fin)
			break;
		if (len && len < ust__tcp_eff_mss(tcb) && !fin && ust_seq_geq(tcb->snd_nxt, tcb->snd_max)) {
			bool outstanding = tcb->snd_max != tcb->snd_una;
			/* Nagle: one small segment in flight at most; sender SWS: wait for a bigger window */
			if (outstanding && (len < avail || !(tcb->flags & UST_TF_NODELAY)))
				break;
		}
		bool retx = ust_seq_lt(tcb->snd_nxt, tcb->snd_max);
		if (tp->in_write && mseg > ust__tcp_eff_mss(tcb) && len < mseg && len == avail && !fin && !retx &&
		    tcb->snd_max != tcb->snd_una && !(tcb->flags & UST_TF_NODELAY)) {
			/* Autocork (big segments only): the tail of what the application just wrote
			 * is less than a big segment and data is in flight. Hold it until the stack's
			 * next poll, which the application reaches before it waits: writes made
			 * meanwhile fill it up, so a stream of 128 KB writes leaves as 64 KB
			 * segments rather than two of them and a runt per write. TCP_NODELAY asks
			 * for every write to leave at once: not corked. */
			ust__tcp_cork(st, tcb);
			break;
		}
		uint8_t flags = UST_TCP_ACK | (fin ? UST_TCP_FIN : 0) | (len && off + len == sndlen ? UST_TCP_PSH : 0);
		if (ust__tcp_send_segment(st, tcb, tcb->snd_nxt, len, flags)) {
			if (!tcb->rto_at)
				ust__tcp_arm_rto(st, tcb);	/* no buffer: try again later */
			break;
		}
		if (retx) {
			tp->c.retransmits++;
			tcb->total_retrans++;
			tcb->rtx_ms = ust__tcp_now_ms(st);
			ust_tcp_rtt_timing_cancel(&tcb->rtt);
		} else if (len && !(tcb->flags & UST_TF_TS)) {
			ust_tcp_rtt_timing_start(&tcb->rtt, tcb->snd_nxt + len, st->now);
		}
		tcb->snd_nxt += len + (fin ? 1 : 0);
		if (fin)
			tcb->flags |= UST_TF_FIN_SENT;
		if (ust_seq_gt(tcb->snd_nxt, tcb->snd_max))
			tcb->snd_max = tcb->snd_nxt;
		/* new data moves the probe's deadline (RFC 8985 7.2), never the RTO (RFC 6298) */
		if (!tcb->rto_at || (tcb->flags & (UST_TF_PERSIST | UST_TF_TLP)))
			ust__tcp_arm_rto(st, tcb);
		if (fin)
			break;
	}
	/* cwnd validation: was data left waiting because cwnd had no room for another segment?
	 * (off is the flight this loop measured against cwnd) */
	uint32_t off = tcb->snd_nxt - tcb->snd_una;
	bool waiting = (uint32_t)tcb->sndq.bytes > off;
	ust_tcp_cc_on_output(&tcb->cc, tcb->snd_una, tcb->snd_max, off,
			     waiting && (uint64_t)off + ust__tcp_eff_mss(tcb) > ust_tcp_cc_cwnd(&tcb->cc));
	if (tcb->flags & UST_TF_ACKNOW)
		ust__tcp_send_ack(st, tcb);
	/* zero window with data waiting and nothing in flight: probe it */
	if (tcb->snd_wnd == 0 && ust__tcp_unsent(tcb) && tcb->snd_max == tcb->snd_una && !tcb->rto_at) {
		uint64_t iv = (uint64_t)ust_tcp_rtt_rto(&tcb->rtt) * UST_NS_PER_US;
		iv = UST_MAX(iv, UST_TCP_PERSIST_MIN_NS);
		tcb->ka_probes = 0;
		tcb->rto_at = st->now + UST_MIN(iv, UST_TCP_PERSIST_MAX_NS);
		tcb->flags |= UST_TF_PERSIST;
		ust__tcb_timer_update(st, tcb);
	}
}

void ust__tcp_rcvd(struct ust_stack *st, struct ust__tcb *tcb)
{
	if (tcb->state < UST_TCPS_ESTABLISHED || tcb->state == UST_TCPS_TIME_WAIT)
		return;
	/* receive-buffer auto-tuning: the application drained more than half the buffer within
	 * about one RTT, so the window limits the transfer: double it (up to the limits) */
	struct ust__tcp *tp = ust__tcp(st);
	uint64_t rtt_ns = (uint64_t)UST_MAX(ust_tcp_rtt_srtt_us(&tcb->rtt), 1000u) * UST_NS_PER_US;
	if (tcb->sock && !(tcb->flags & UST_TF_RCVBUF_LOCK)) {
		uint32_t got = tcb->rcv_nxt - tcb->rcv_tune_seq;
		if (st->now - tcb->rcv_tune_ns >= rtt_ns) {
			const struct ust_pool *pool = st->pools.small;
			uint32_t cap = (uint32_t)UST_MIN((uint64_t)UST_TCP_RCVBUF_MAX,
							 (uint64_t)pool->count / 4 * ust__tcp_rx_buf_bytes(pool, tcb->rcv_mss));
			if (got > tcb->rcvbuf / 2 && tcb->rcvbuf < cap) {
				/* only by what fits under the stack's memory limit */
				uint32_t want = UST_MIN(tcb->rcvbuf * 2, cap);
				uint64_t grow = (uint64_t)(want - tcb->rcvbuf) /
						ust__tcp_rx_buf_bytes(pool, tcb->rcv_mss) * pool->buf_size;
				if (tp->mem_total + grow <= tp->mem_limit) {
					tcb->rcvbuf = want;
					tp->c.rcvbuf_grown++;
				} else {
					tp->c.autotune_mem_limited++;
				}
			}
			tcb->rcv_tune_ns = st->now;
			tcb->rcv_tune_seq = tcb->rcv_nxt;
		}
	}
	/* window update: tell the peer when the window grew by 2 segments or half the buffer */
	uint32_t win = ust__tcp_rcv_window(st, tcb);
	uint32_t adv = ust_seq_gt(tcb->rcv_adv, tcb->rcv_nxt) ? tcb->rcv_adv - tcb->rcv_nxt : 0;
	if (win > adv && (win - adv >= 2u * tcb->rcv_mss || win - adv >= tcb->rcvbuf / 2)) {
		tcb->flags |= UST_TF_ACKNOW;
		ust__tcp_output(st, tcb);
	}
}
