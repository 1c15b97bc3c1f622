/*
 * TCP listeners: passive opens.
 *   ust__tcp_input (no connection) -> ust__tcp_listen_input
 *     SYN: SYN queue has room -> child tcb in SYN-RECEIVED (RFC 6528 ISN), SYN-ACK
 *          SYN queue full      -> SYN cookie SYN-ACK, no state (tcp_syncookie)
 *          accept queue full   -> dropped (counted), the client retries
 *     ACK: a valid cookie -> child straight to ESTABLISHED onto the accept queue
 *   child's handshake ACK (tcp_input) -> ust__tcp_child_established -> accept queue
 *   accept() (tcp_sock.c) takes children from the head of the accept queue.
 * Both queues are bounded by listen()'s backlog, so a SYN flood costs no memory beyond it.
 */
#include <errno.h>
#include <string.h>

#include "core/util.h"
#include "net/tcp.h"
#include "net/tcp_seq.h"
#include "net/tcp_syncookie.h"

static void inherit(struct ust__tcb *child, const struct ust__tcb *l)
{
	child->flags |= l->flags & (UST_TF_NODELAY | UST_TF_NOSACK_OFFER | UST_TF_NOWS_OFFER | UST_TF_KEEPALIVE |
				    UST_TF_RCVBUF_LOCK | UST_TF_SNDBUF_LOCK | UST_TF_LINGER0);
	child->ka_idle = l->ka_idle;
	child->user_mss = l->user_mss;
	child->ka_intvl = l->ka_intvl;
	child->ka_cnt = l->ka_cnt;
	child->rcvbuf = l->rcvbuf;
	child->sndbuf = l->sndbuf;
	child->cc.ops = l->cc.ops;
}

static struct ust__tcb *new_child(struct ust_stack *st, struct ust__tcb *l, const struct ust_ipv4_repr *ip,
				  const struct ust_tcp_repr *seg)
{
	struct ust__tcb *c = ust__tcb_alloc(st);
	if (!c)
		return NULL;
	c->laddr = ip->dst;
	c->raddr = ip->src;
	c->lport = seg->dst_port;
	c->rport = seg->src_port;
	c->flags |= UST_TF_PASSIVE | UST_TF_TS | UST_TF_STARTED;
	inherit(c, l);
	ust__tcb_init_conn(st, c);
	c->parent = l;
	return c;
}

static void send_cookie(struct ust_stack *st, struct ust__tcb *l, const struct ust_ipv4_repr *ip,
			const struct ust_tcp_repr *seg)
{
	struct ust__tcp *tp = ust__tcp(st);
	struct ust_tcp_tuple t = { .local_ip = ip->dst, .remote_ip = ip->src, .local_port = seg->dst_port,
				   .remote_port = seg->src_port };
	const struct ust_tcp_options *o = &seg->opts;
	struct ust_tcp_syncookie_opts so = { .mss = o->has_mss ? o->mss : UST_TCP_MSS_DEFAULT,
					     .ts_ok = o->has_timestamp, .wscale_ok = o->has_wscale,
					     .wscale = (uint8_t)UST_MIN(o->wscale, UST_TCP_WSCALE_MAX),
					     .sack_ok = o->sack_permitted && !(l->flags & UST_TF_NOSACK_OFFER) };
	so.mss = UST_MIN(so.mss, ust__tcp_path_mss(st, ip->src));
	uint32_t tsval = 0;
	uint32_t isn = ust_tcp_syncookie_make(&tp->secret, &t, seg->seq, st->now, &so, ust__tcp_now_ms(st), &tsval);
	/* the SYN-ACK, built on a throw-away control block that never enters any table */
	struct ust__tcb tmp;
	memset(&tmp, 0, sizeof(tmp));
	ust__pq_init(&tmp.sndq);
	ust__pq_init(&tmp.rcvq);
	ust__pq_init(&tmp.oooq);
	tmp.laddr = ip->dst;
	tmp.raddr = ip->src;
	tmp.lport = seg->dst_port;
	tmp.rport = seg->src_port;
	tmp.rcvbuf = l->rcvbuf;
	tmp.rcv_nxt = seg->seq + 1;
	tmp.snd_una = isn;
	ust__tcb_init_conn(st, &tmp);
	if (so.ts_ok) {
		tmp.flags |= UST_TF_TS;
		tmp.ts_recent = o->ts_val;
	}
	if (so.ts_ok && so.wscale_ok)
		tmp.flags |= UST_TF_WS;
	else
		tmp.rcv_wscale = 0;
	if (so.ts_ok && so.sack_ok)
		tmp.flags |= UST_TF_SACK;
	tmp.state = UST_TCPS_SYN_RECEIVED;
	tp->c.syncookies_sent++;
	/* the TSval must be the cookie's (it carries the option bits) */
	tmp.ts_recent_ms = tsval;
	tmp.flags |= UST_TF_TS_COOKIE;
	ust__tcp_send_segment(st, &tmp, isn, 0, UST_TCP_SYN | UST_TCP_ACK);
}

static void cookie_ack(struct ust_stack *st, struct ust__tcb *l, struct ust_pkt *pkt, const struct ust_tcp_repr *seg,
		       const struct ust_ipv4_repr *ip)
{
	struct ust__tcp *tp = ust__tcp(st);
	struct ust_tcp_tuple t = { .local_ip = ip->dst, .remote_ip = ip->src, .local_port = seg->dst_port,
				   .remote_port = seg->src_port };
	struct ust_tcp_syncookie_opts so;
	int err = ust_tcp_syncookie_check(&tp->secret, &t, seg->seq, seg->ack, st->now, seg->opts.has_timestamp,
					  seg->opts.ts_ecr, &so);
	if (err) {
		tp->c.syncookies_failed++;
		ust__tcp_respond(st, ip->dst, ip->src, seg->dst_port, seg->src_port, seg->ack, 0, UST_TCP_RST);
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	if (l->nacc >= l->backlog) {
		tp->c.rx_listen_overflow++;
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	struct ust__tcb *c = new_child(st, l, ip, seg);
	if (!c) {
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	tp->c.syncookies_ok++;
	tp->c.conn_passive++;
	c->iss = seg->ack - 1;
	c->irs = seg->seq - 1;
	c->snd_una = c->snd_nxt = c->snd_max = seg->ack;
	c->rcv_nxt = seg->seq;
	c->rcv_adv = seg->seq;
	c->smss = so.mss;
	c->rcv_mss = ust__tcp_path_mss(st, ip->src);
	if (so.ts_ok) {
		c->ts_recent = seg->opts.ts_val;
		c->ts_recent_ms = ust__tcp_now_ms(st);
	} else {
		c->flags &= ~UST_TF_TS;
	}
	if (so.ts_ok && so.wscale_ok) {
		c->flags |= UST_TF_WS;
		c->snd_wscale = so.wscale;
	} else {
		c->snd_wscale = c->rcv_wscale = 0;
	}
	if (so.ts_ok && so.sack_ok && !(c->flags & UST_TF_NOSACK_OFFER))
		c->flags |= UST_TF_SACK;
	c->quickacks = UST_TCP_QUICKACKS;
	if (ust__tcb_link(st, c)) {
		ust__tcb_free(st, c);
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	/* treat it like a child whose SYN-ACK was just acknowledged */
	l->nsyn++;
	c->state = UST_TCPS_SYN_RECEIVED;
	c->snd_una = seg->ack - 1;
	c->snd_nxt = c->snd_max = seg->ack;
	c->last_ack_sent = c->rcv_nxt;
	c->rcv_adv = c->rcv_nxt + (ust__tcp_rcv_window(st, c) & ~((1u << c->rcv_wscale) - 1));
	ust__tcp_segment(st, c, pkt, seg);
}

void ust__tcp_listen_input(struct ust_stack *st, struct ust__tcb *l, struct ust_pkt *pkt,
			   const struct ust_tcp_repr *seg, const struct ust_ipv4_repr *ip)
{
	struct ust__tcp *tp = ust__tcp(st);
	uint8_t f = seg->flags;
	if (f & UST_TCP_RST) {
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	if (f & UST_TCP_ACK) {
		if (f & UST_TCP_SYN) {
			ust__tcp_respond(st, ip->dst, ip->src, seg->dst_port, seg->src_port, seg->ack, 0, UST_TCP_RST);
			ust__pkt_free(&st->pools, pkt);
			return;
		}
		cookie_ack(st, l, pkt, seg, ip);
		return;
	}
	if (!(f & UST_TCP_SYN) || ust__ipv4_is_broadcast(st, ip->src) || ip->src == 0) {
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	if (l->nacc >= l->backlog) {
		tp->c.rx_listen_overflow++;
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	if (l->nsyn >= l->backlog) {
		tp->c.rx_syn_queue_full++;
		send_cookie(st, l, ip, seg);
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	struct ust__tcb *c = new_child(st, l, ip, seg);
	if (!c) {
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	tp->c.conn_passive++;
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	ust__tcp_syn_options(st, c, seg);
	c->iss = ust__tcp_new_isn(st, c);
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->snd_wnd = seg->window;
	c->state = UST_TCPS_SYN_RECEIVED;
	if (ust__tcb_link(st, c)) {
		ust__tcb_free(st, c);
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	l->nsyn++;
	ust__tcp_output(st, c);
	ust__pkt_free(&st->pools, pkt);
}

bool ust__tcp_child_established(struct ust_stack *st, struct ust__tcb *c)
{
	struct ust__tcb *l = c->parent;
	if (!l)
		return false;
	if (l->nacc >= l->backlog)
		return false;
	l->nsyn--;
	l->nacc++;
	c->flags |= UST_TF_ACCEPTQ;
	c->qnext = NULL;
	if (l->qtail)
		l->qtail->qnext = c;
	else
		l->qnext = c;
	l->qtail = c;
	c->state = UST_TCPS_ESTABLISHED;
	ust__tcp(st)->c.conn_established++;
	if (l->sock)
		ust__sock_wakeup(st, l->sock);
	return true;
}

void ust__tcp_child_unlink(struct ust_stack *st, struct ust__tcb *c)
{
	(void)st;
	struct ust__tcb *l = c->parent;
	if (!l)
		return;
	if (c->flags & UST_TF_ACCEPTQ) {
		struct ust__tcb **pp = &l->qnext, *prev = NULL;
		while (*pp && *pp != c) {
			prev = *pp;
			pp = &(*pp)->qnext;
		}
		if (*pp) {
			*pp = c->qnext;
			if (l->qtail == c)
				l->qtail = prev;
		}
		l->nacc--;
		c->flags &= ~UST_TF_ACCEPTQ;
	} else {
		l->nsyn--;
	}
	c->parent = NULL;
	c->qnext = NULL;
}

void ust__tcp_listen_close(struct ust_stack *st, struct ust__tcb *l)
{
	struct ust__tcp *tp = ust__tcp(st);
	for (struct ust__tcb *t = tp->all, *next; t; t = next) {
		next = t->all_next;
		if (t->parent != l)
			continue;
		ust__tcp_child_unlink(st, t);
		ust__tcp_send_rst_tcb(st, t);
		ust__tcb_free(st, t);
		next = tp->all;	/* the list changed under us: start over (children are few) */
	}
	l->nsyn = l->nacc = 0;
	l->qnext = l->qtail = NULL;
}
