/*
 * TCP socket ops (struct ust__sock_ops for SOCK_STREAM / IPPROTO_TCP): what the API layer
 * (src/api/socket.c) calls. A socket owns a reference to its control block (s->proto); the
 * control block outlives close() when the connection still has work to do (FIN_WAIT,
 * LAST_ACK, TIME_WAIT) and then belongs to the TCP module alone.
 *   ust_write -> tcp_send -> sndq (packet buffers) -> ust__tcp_output
 *   ust_read  -> tcp_recv <- rcvq (packet buffers) ; window update -> ust__tcp_rcvd
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "core/util.h"
#include "net/tcp.h"
#include "net/tcp_seq.h"

static int tcp_init(struct ust_stack *st, struct ust__sock *s)
{
	struct ust__tcb *tcb = ust__tcb_alloc(st);
	if (!tcb)
		return -ENOMEM;
	tcb->sock = s;
	tcb->rcvbuf = s->rcvbuf;
	tcb->sndbuf = s->sndbuf;
	s->proto = tcb;
	return 0;
}

static int tcp_bind(struct ust_stack *st, struct ust__sock *s, uint32_t addr, uint16_t port)
{
	if (s->flags & UST_SOCK_F_BOUND)
		return -EINVAL;
	if (ust__ipv4_is_broadcast(st, addr))
		return -EADDRNOTAVAIL;
	return ust__sock_bind_port(st, s, addr, port);
}

static int tcp_connect(struct ust_stack *st, struct ust__sock *s, uint32_t addr, uint16_t port)
{
	struct ust__tcp *tp = ust__tcp(st);
	struct ust__tcb *tcb = s->proto;
	switch (tcb->state) {
	case UST_TCPS_CLOSED:
		break;
	case UST_TCPS_LISTEN:
		return -EINVAL;
	case UST_TCPS_SYN_SENT:
	case UST_TCPS_SYN_RECEIVED:
		return -EALREADY;
	default:
		return -EISCONN;
	}
	if (s->flags & UST_SOCK_F_CONNECTED || (tcb->flags & UST_TF_STARTED))
		return -EISCONN;	/* a connection already ran on this socket */
	if (addr == 0 || port == 0)
		return -EINVAL;
	uint32_t nh;
	if (ust__ipv4_is_broadcast(st, addr))
		return -ENETUNREACH;
	if (addr != st->addr && ust__ipv4_route(st, addr, &nh) != 0)
		return -ENETUNREACH;
	if (!(s->flags & UST_SOCK_F_BOUND)) {
		int err = ust__sock_bind_port(st, s, 0, 0);
		if (err)
			return err;
	}
	tcb->laddr = s->laddr ? s->laddr : st->addr;
	tcb->lport = s->lport;
	tcb->raddr = addr;
	tcb->rport = port;
	struct ust__demux_key k = ust__demux_key_make(UST_IPPROTO_TCP, tcb->laddr, tcb->lport, addr, port);
	struct ust__demux_node *n = ust__demux_lookup(&st->demux, &k);
	if (n) {
		struct ust__tcb *old = n->owner;
		if (old->state != UST_TCPS_TIME_WAIT || old->sock)
			return -EADDRNOTAVAIL;
		tp->c.rx_tw_reuse++;
		ust__tcb_close(st, old, 0);	/* our own TIME_WAIT: a new incarnation may reuse it */
	}
	tcb->flags |= UST_TF_TS | UST_TF_STARTED;
	ust__tcb_init_conn(st, tcb);
	tcb->rcvbuf = s->rcvbuf > tcb->rcvbuf ? s->rcvbuf : tcb->rcvbuf;
	tcb->iss = ust__tcp_new_isn(st, tcb);
	tcb->snd_una = tcb->snd_nxt = tcb->snd_max = tcb->iss;
	int err = ust__tcb_link(st, tcb);
	if (err)
		return err;
	s->raddr = addr;
	s->rport = port;
	tcb->state = UST_TCPS_SYN_SENT;
	tp->c.conn_active++;
	ust__tcp_output(st, tcb);
	return -EINPROGRESS;
}

static int tcp_listen(struct ust_stack *st, struct ust__sock *s, int backlog)
{
	struct ust__tcb *tcb = s->proto;
	if (backlog < 1)
		backlog = 1;
	if (backlog > 4096)
		backlog = 4096;
	if (tcb->state == UST_TCPS_LISTEN) {
		tcb->backlog = (uint16_t)backlog;
		return 0;
	}
	if (tcb->state != UST_TCPS_CLOSED || (s->flags & UST_SOCK_F_CONNECTED) || (tcb->flags & UST_TF_STARTED))
		return -EINVAL;
	if (!(s->flags & UST_SOCK_F_BOUND)) {
		int err = ust__sock_bind_port(st, s, 0, 0);
		if (err)
			return err;
	}
	tcb->laddr = s->laddr;
	tcb->lport = s->lport;
	tcb->backlog = (uint16_t)backlog;
	tcb->rcvbuf = s->rcvbuf;
	tcb->sndbuf = s->sndbuf;
	tcb->state = UST_TCPS_LISTEN;
	s->flags |= UST_SOCK_F_LISTENING;
	return 0;
}

static int tcp_accept(struct ust_stack *st, struct ust__sock *s, struct ust__sock *child)
{
	struct ust__tcb *l = s->proto;
	if (l->state != UST_TCPS_LISTEN)
		return -EINVAL;
	struct ust__tcb *c = l->qnext;
	if (!c)
		return -EAGAIN;
	ust__tcp_child_unlink(st, c);
	c->sock = child;
	child->proto = c;
	child->laddr = c->laddr;
	child->lport = c->lport;
	child->raddr = c->raddr;
	child->rport = c->rport;
	child->flags |= UST_SOCK_F_BOUND | UST_SOCK_F_CONNECTED | (s->flags & UST_SOCK_F_KEEPALIVE);
	child->rcvbuf = s->rcvbuf;
	child->sndbuf = s->sndbuf;
	child->ttl = s->ttl;
	child->tos = s->tos;
	if (c->state == UST_TCPS_CLOSED && (c->flags & UST_TF_RESET))
		child->so_error = ECONNRESET;
	return 0;
}

static bool can_send(const struct ust__tcb *tcb)
{
	return tcb->state == UST_TCPS_ESTABLISHED || tcb->state == UST_TCPS_CLOSE_WAIT;
}

static ssize_t tcp_send(struct ust_stack *st, struct ust__sock *s, const struct iovec *iov, int iovcnt, int flags,
			const uint32_t *to_addr, const uint16_t *to_port)
{
	(void)flags;
	(void)to_addr;
	(void)to_port;
	struct ust__tcb *tcb = s->proto;
	if (tcb->state == UST_TCPS_SYN_SENT || tcb->state == UST_TCPS_SYN_RECEIVED)
		return -EAGAIN;
	if (tcb->state == UST_TCPS_LISTEN || (tcb->state == UST_TCPS_CLOSED && !(tcb->flags & UST_TF_STARTED)))
		return -ENOTCONN;
	if ((s->flags & UST_SOCK_F_SHUT_WR) || (tcb->flags & UST_TF_FIN_QUEUED) || !can_send(tcb))
		return -EPIPE;
	size_t total = ust__iov_total(iov, iovcnt);
	if (total == 0)
		return 0;
	uint32_t space = tcb->sndq.bytes >= tcb->sndbuf ? 0 : tcb->sndbuf - (uint32_t)tcb->sndq.bytes;
	if (space == 0)
		return -EAGAIN;
	size_t want = UST_MIN(total, (size_t)space);
	size_t done = 0;
	int vi = 0;
	size_t voff = 0;
	struct ust_pool *pool = st->pools.small;
	bool mem_limited = false;
	while (done < want) {
		struct ust_pkt *tail = ust__pq_deref(&st->pools, tcb->sndq.tail);
		uint32_t room = 0;
		if (tail && ust__pkt_pool(&st->pools, tail) == pool)
			room = ust_pkt_tailroom(pool, tail);
		if (room == 0) {
			/* Leave a quarter of the pool to receive ACKs and build frames: send queues
			 * that take every buffer deadlock the stack (TCP-BUGS.md B4). */
			if (ust_pool_available(pool) <= pool->count / 4)
				break;
			/* the stack-wide memory limit (each socket may hold its minimum) */
			if (!ust__tcp_mem_admit(st, tcb, tcb->sndq.count, pool->buf_size)) {
				mem_limited = true;
				break;
			}
			struct ust_pkt *p = ust_pkt_alloc(pool);
			if (!p)
				break;
			ust__pq_push(&st->pools, &tcb->sndq, p);
			ust__tcp_mem_sync(st, tcb);
			continue;
		}
		uint32_t n = (uint32_t)UST_MIN((size_t)room, want - done);
		uint8_t *dst = ust_pkt_put(pool, tail, n);
		tcb->sndq.bytes += n;
		for (uint32_t c = 0; c < n;) {
			while (voff == iov[vi].iov_len) {
				vi++;
				voff = 0;
			}
			size_t k = UST_MIN((size_t)(n - c), iov[vi].iov_len - voff);
			memcpy(dst + c, (const uint8_t *)iov[vi].iov_base + voff, k);
			c += (uint32_t)k;
			voff += k;
		}
		done += n;
	}
	if (mem_limited) {
		struct ust__tcp *tp = ust__tcp(st);
		tp->c.tx_mem_limited++;
		tp->c.mem_limit_hits++;
		if (done == 0) {
			/* EPOLLOUT again when memory frees up (ust__tcp_mem_sync) */
			tcb->flags |= UST_TF_MEMWAIT;
			tp->mem_wait = true;
		}
	}
	if (done == 0)
		return -EAGAIN;	/* pool reserve or memory limit reached: buffers return as data is acknowledged */
	ust__tcp(st)->in_write = true;
	ust__tcp_output(st, tcb);
	ust__tcp(st)->in_write = false;
	return (ssize_t)done;
}

/*
 * Would a write queue anything as far as the stack's memory limit goes: room in the tail
 * buffer, or one more buffer admitted? If not, the connection waits for memory (woken by
 * ust__tcp_mem_sync), so EPOLLOUT comes when it frees up.
 */
static bool mem_writable(struct ust_stack *st, struct ust__tcb *tcb)
{
	struct ust_pool *pool = st->pools.small;
	struct ust_pkt *tail = ust__pq_deref(&st->pools, tcb->sndq.tail);
	if (tail && ust__pkt_pool(&st->pools, tail) == pool && ust_pkt_tailroom(pool, tail) > 0)
		return true;
	struct ust__tcp *tp = ust__tcp(st);
	if (ust__tcp_mem_room(tp->mem_total, tp->mem_limit, tcb->sndq.count, pool->buf_size) > 0)
		return true;
	tcb->flags |= UST_TF_MEMWAIT;
	tp->mem_wait = true;
	return false;
}

static ssize_t tcp_recv(struct ust_stack *st, struct ust__sock *s, const struct iovec *iov, int iovcnt, int flags,
			uint32_t *from_addr, uint16_t *from_port)
{
	struct ust__tcb *tcb = s->proto;
	if (from_addr)
		*from_addr = s->raddr;
	if (from_port)
		*from_port = s->rport;
	if (tcb->state == UST_TCPS_LISTEN)
		return -ENOTCONN;
	if (tcb->rcvq.bytes == 0) {
		if ((tcb->flags & (UST_TF_RCVD_FIN | UST_TF_RESET)) || (s->flags & UST_SOCK_F_SHUT_RD))
			return 0;
		if (tcb->state == UST_TCPS_CLOSED)
			return (tcb->flags & UST_TF_STARTED) ? 0 : -ENOTCONN;
		return -EAGAIN;
	}
	size_t cap = ust__iov_total(iov, iovcnt);
	size_t done = 0;
	int vi = 0;
	size_t voff = 0;
	uint32_t t = tcb->rcvq.head;
	while (done < cap && t != UST_PKT_NONE) {
		struct ust_pkt *p = ust__pq_deref(&st->pools, t);
		uint32_t next = p->next;
		const uint8_t *src = ust__pkt_data(&st->pools, p);
		uint32_t n = (uint32_t)UST_MIN((size_t)p->len, cap - done);
		for (uint32_t c = 0; c < n;) {
			while (voff == iov[vi].iov_len) {
				vi++;
				voff = 0;
			}
			size_t k = UST_MIN((size_t)(n - c), iov[vi].iov_len - voff);
			memcpy((uint8_t *)iov[vi].iov_base + voff, src + c, k);
			c += (uint32_t)k;
			voff += k;
		}
		done += n;
		if (!(flags & MSG_PEEK)) {
			if (n == p->len) {
				ust__pq_pop(&st->pools, &tcb->rcvq);
				ust__pkt_free(&st->pools, p);
			} else {
				ust_pkt_pull(p, n);
				tcb->rcvq.bytes -= n;
			}
		}
		t = next;
	}
	if (!(flags & MSG_PEEK)) {
		ust__tcp_mem_sync(st, tcb);
		ust__tcp_rcvd(st, tcb);
	}
	return (ssize_t)done;
}

/* Queue our FIN behind the data (SHUT_WR or close). */
static void queue_fin(struct ust_stack *st, struct ust__tcb *tcb)
{
	if (tcb->flags & UST_TF_FIN_QUEUED)
		return;
	tcb->flags |= UST_TF_FIN_QUEUED;
	switch (tcb->state) {
	case UST_TCPS_ESTABLISHED:
		tcb->state = UST_TCPS_FIN_WAIT_1;
		break;
	case UST_TCPS_CLOSE_WAIT:
		tcb->state = UST_TCPS_LAST_ACK;
		break;
	default:
		break;	/* SYN_RECEIVED: sent once established */
	}
	ust__tcp_output(st, tcb);
}

static int tcp_shutdown(struct ust_stack *st, struct ust__sock *s, int how)
{
	struct ust__tcb *tcb = s->proto;
	if (tcb->state == UST_TCPS_LISTEN || tcb->state == UST_TCPS_CLOSED)
		return ((tcb->flags & UST_TF_STARTED) && tcb->state == UST_TCPS_CLOSED) ? 0 : -ENOTCONN;
	if (tcb->state == UST_TCPS_SYN_SENT) {
		ust__tcb_close(st, tcb, 0);
		return 0;
	}
	if (how == SHUT_RD || how == SHUT_RDWR) {
		s->flags |= UST_SOCK_F_SHUT_RD;
		tcb->flags |= UST_TF_SHUT_RD;
		ust__pq_purge(&st->pools, &tcb->rcvq);
		ust__tcp_mem_sync(st, tcb);
	}
	if (how == SHUT_WR || how == SHUT_RDWR) {
		s->flags |= UST_SOCK_F_SHUT_WR;
		queue_fin(st, tcb);
	}
	ust__tcb_wakeup(st, tcb);
	return 0;
}

static void tcp_close(struct ust_stack *st, struct ust__sock *s)
{
	struct ust__tcp *tp = ust__tcp(st);
	struct ust__tcb *tcb = s->proto;
	ust__sock_unlink(st, s);
	s->proto = NULL;
	if (!tcb)
		return;
	tcb->sock = NULL;
	switch (tcb->state) {
	case UST_TCPS_LISTEN:
	case UST_TCPS_CLOSED:
	case UST_TCPS_SYN_SENT:
		ust__tcb_free(st, tcb);
		return;
	case UST_TCPS_TIME_WAIT:
		return;	/* lives on in the module until 2 MSL pass */
	default:
		break;
	}
	bool unread = tcb->rcvq.bytes > 0;
	if ((tcb->flags & UST_TF_LINGER0) || unread) {
		/* RFC 9293 3.10.4: data the application will never read means abort with RST */
		if (unread)
			tp->c.conn_aborted_unread++;
		else
			tp->c.conn_aborted_linger++;
		ust__tcp_send_rst_tcb(st, tcb);
		ust__tcb_close(st, tcb, 0);
		return;
	}
	if (tcb->state == UST_TCPS_FIN_WAIT_2) {
		tcb->keep_at = st->now + UST_TCP_FIN_WAIT2_NS;
		ust__tcb_timer_update(st, tcb);
		return;
	}
	queue_fin(st, tcb);
}

/* SO_LINGER with a timeout: how long a blocking close may wait for the FIN to be ACKed. */
static uint64_t tcp_linger_ns(struct ust_stack *st, const struct ust__sock *s)
{
	(void)st;
	const struct ust__tcb *tcb = s->proto;
	if (!tcb || (tcb->flags & UST_TF_LINGER0) || tcb->rcvq.bytes > 0)
		return 0;	/* unread data: close aborts at once (RFC 9293 3.10.4) */
	return (uint64_t)tcb->linger_s * UST_NS_PER_SEC;
}

/* Is something we sent, the FIN included, still unacknowledged? */
static bool tcp_close_pending(struct ust_stack *st, const struct ust__sock *s)
{
	(void)st;
	const struct ust__tcb *tcb = s->proto;
	if (!tcb)
		return false;
	switch (tcb->state) {
	case UST_TCPS_SYN_RECEIVED:
	case UST_TCPS_ESTABLISHED:
	case UST_TCPS_CLOSE_WAIT:
	case UST_TCPS_FIN_WAIT_1:
	case UST_TCPS_CLOSING:
	case UST_TCPS_LAST_ACK:
		return true;
	default:
		return false;
	}
}

static uint32_t tcp_poll(struct ust_stack *st, const struct ust__sock *s)
{
	struct ust__tcb *tcb = s->proto;	/* not const: mem_writable may mark it waiting */
	uint32_t m = 0;
	switch (tcb->state) {
	case UST_TCPS_LISTEN:
		return tcb->nacc ? EPOLLIN : 0;
	case UST_TCPS_SYN_SENT:
	case UST_TCPS_SYN_RECEIVED:
		return 0;
	case UST_TCPS_CLOSED:
		if (!(tcb->flags & UST_TF_STARTED))
			return EPOLLOUT | EPOLLHUP;	/* never connected (Linux answers the same) */
		m = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLOUT;
		return m;
	default:
		break;
	}
	if (tcb->rcvq.bytes || (tcb->flags & UST_TF_RCVD_FIN) || (s->flags & UST_SOCK_F_SHUT_RD))
		m |= EPOLLIN;
	if ((tcb->flags & UST_TF_RCVD_FIN) || (s->flags & UST_SOCK_F_SHUT_RD))
		m |= EPOLLRDHUP;
	if ((s->flags & UST_SOCK_F_SHUT_WR) || (can_send(tcb) && tcb->sndq.bytes < tcb->sndbuf && mem_writable(st, tcb)))
		m |= EPOLLOUT;
	if ((tcb->flags & UST_TF_RCVD_FIN) && (tcb->flags & UST_TF_FIN_QUEUED))
		m |= EPOLLHUP;
	return m;
}

static int get_int(const void *val, uint32_t len, int *v)
{
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(v, val, sizeof(int));
	return 0;
}

static int put_int(void *val, uint32_t *len, int v)
{
	if (*len < sizeof(int))
		return -EINVAL;
	memcpy(val, &v, sizeof(int));
	*len = sizeof(int);
	return 0;
}

static void keepalive_arm(struct ust_stack *st, struct ust__tcb *tcb)
{
	if (!(tcb->flags & UST_TF_KEEPALIVE) || tcb->state < UST_TCPS_ESTABLISHED || tcb->state == UST_TCPS_TIME_WAIT)
		return;
	tcb->ka_probes = 0;
	tcb->keep_at = tcb->last_rx_ns + (uint64_t)tcb->ka_idle * UST_NS_PER_SEC;
	if (tcb->keep_at <= st->now)
		tcb->keep_at = st->now + 1;
	ust__tcb_timer_update(st, tcb);
}

static int tcp_setsockopt(struct ust_stack *st, struct ust__sock *s, int level, int name, const void *val,
			  uint32_t len)
{
	struct ust__tcb *tcb = s->proto;
	int v = 0;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_LINGER: {
			struct linger lg;
			if (len < sizeof(lg))
				return -EINVAL;
			memcpy(&lg, val, sizeof(lg));
			if (lg.l_linger < 0)
				return -EINVAL;
			if (lg.l_onoff && lg.l_linger == 0)
				tcb->flags |= UST_TF_LINGER0;
			else
				tcb->flags &= ~UST_TF_LINGER0;
			tcb->linger_s = lg.l_onoff ? (uint16_t)UST_MIN(lg.l_linger, UINT16_MAX) : 0;
			return 0;
		}
		case SO_KEEPALIVE:
			if (get_int(val, len, &v))
				return -EINVAL;
			if (v) {
				tcb->flags |= UST_TF_KEEPALIVE;
				keepalive_arm(st, tcb);
			} else {
				tcb->flags &= ~UST_TF_KEEPALIVE;
			}
			return -ENOPROTOOPT;	/* the socket layer keeps its flag too */
		case SO_RCVBUF:
		case SO_SNDBUF:
			if (get_int(val, len, &v))
				return -EINVAL;
			v = v < (int)UST_SOCK_BUF_MIN ? (int)UST_SOCK_BUF_MIN : v;
			v = v > (int)UST_SOCK_BUF_MAX ? (int)UST_SOCK_BUF_MAX : v;
			if (name == SO_RCVBUF) {
				tcb->rcvbuf = (uint32_t)v;
				tcb->flags |= UST_TF_RCVBUF_LOCK;
			} else {
				tcb->sndbuf = (uint32_t)v;
				tcb->flags |= UST_TF_SNDBUF_LOCK;
			}
			return -ENOPROTOOPT;
		default:
			return -ENOPROTOOPT;
		}
	}
	if (level != IPPROTO_TCP)
		return -ENOPROTOOPT;
	if (name == TCP_CONGESTION) {
		char buf[UST_TCP_CC_NAME_MAX];
		size_t n = UST_MIN((size_t)len, sizeof(buf) - 1);
		memcpy(buf, val, n);
		buf[n] = 0;
		const struct ust_tcp_cc_ops *ops = ust_tcp_cc_find(&ust__tcp(st)->ccreg, buf);
		if (!ops)
			return -ENOENT;
		if (tcb->cc.conn.smss)
			return ust_tcp_cc_set_ops(&tcb->cc, ops);
		tcb->cc.ops = ops;
		return 0;
	}
	if (get_int(val, len, &v))
		return -EINVAL;
	switch (name) {
	case TCP_NODELAY:
		if (v)
			tcb->flags |= UST_TF_NODELAY;
		else
			tcb->flags &= ~UST_TF_NODELAY;
		ust__tcp_output(st, tcb);
		return 0;
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
		if (v < 1 || v > 32767)
			return -EINVAL;
		if (name == TCP_KEEPIDLE)
			tcb->ka_idle = (uint16_t)v;
		else
			tcb->ka_intvl = (uint16_t)v;
		keepalive_arm(st, tcb);
		return 0;
	case TCP_KEEPCNT:
		if (v < 1 || v > 127)
			return -EINVAL;
		tcb->ka_cnt = (uint8_t)v;
		return 0;
	case TCP_MAXSEG:
		if (v < (int)UST_TCP_MSS_MIN || v > 65495)
			return -EINVAL;
		/* before connecting: clamps the MSS we advertise and use (Linux semantics) */
		if (tcb->state != UST_TCPS_CLOSED && tcb->state != UST_TCPS_LISTEN)
			return -EINVAL;
		tcb->user_mss = (uint16_t)v;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

/* Linux state numbers as struct tcp_info reports them. */
static uint8_t linux_state(int s)
{
	static const uint8_t map[] = {
		[UST_TCPS_CLOSED] = 7, [UST_TCPS_LISTEN] = 10, [UST_TCPS_SYN_SENT] = 2,
		[UST_TCPS_SYN_RECEIVED] = 3, [UST_TCPS_ESTABLISHED] = 1, [UST_TCPS_FIN_WAIT_1] = 4,
		[UST_TCPS_FIN_WAIT_2] = 5, [UST_TCPS_CLOSE_WAIT] = 8, [UST_TCPS_CLOSING] = 11,
		[UST_TCPS_LAST_ACK] = 9, [UST_TCPS_TIME_WAIT] = 6,
	};
	return map[s];
}

static int tcp_getsockopt(struct ust_stack *st, struct ust__sock *s, int level, int name, void *val, uint32_t *len)
{
	struct ust__tcb *tcb = s->proto;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_LINGER: {
			struct linger lg = { .l_onoff = (tcb->flags & UST_TF_LINGER0) || tcb->linger_s,
					     .l_linger = tcb->linger_s };
			if (*len < sizeof(lg))
				return -EINVAL;
			memcpy(val, &lg, sizeof(lg));
			*len = sizeof(lg);
			return 0;
		}
		case SO_RCVBUF: return put_int(val, len, (int)tcb->rcvbuf);
		case SO_SNDBUF: return put_int(val, len, (int)tcb->sndbuf);
		default: return -ENOPROTOOPT;
		}
	}
	if (level != IPPROTO_TCP)
		return -ENOPROTOOPT;
	switch (name) {
	case TCP_NODELAY: return put_int(val, len, !!(tcb->flags & UST_TF_NODELAY));
	case TCP_KEEPIDLE: return put_int(val, len, tcb->ka_idle);
	case TCP_KEEPINTVL: return put_int(val, len, tcb->ka_intvl);
	case TCP_KEEPCNT: return put_int(val, len, tcb->ka_cnt);
	case TCP_MAXSEG: return put_int(val, len, tcb->smss);
	case TCP_CONGESTION: {
		const char *nm = tcb->cc.ops ? tcb->cc.ops->name : ust_tcp_cc_default(&ust__tcp(st)->ccreg)->name;
		size_t n = UST_MIN((size_t)*len, strlen(nm) + 1);
		memcpy(val, nm, n);
		*len = (uint32_t)n;
		return 0;
	}
	case TCP_INFO: {
		struct tcp_info ti;
		memset(&ti, 0, sizeof(ti));
		ti.tcpi_state = linux_state(tcb->state);
		ti.tcpi_ca_state = (tcb->flags & UST_TF_INRECOVERY) ? 3 : 0;
		ti.tcpi_retransmits = tcb->retries;
		ti.tcpi_backoff = (uint8_t)tcb->rtt.backoff;
		ti.tcpi_options = (uint8_t)(((tcb->flags & UST_TF_TS) ? TCPI_OPT_TIMESTAMPS : 0) |
					    ((tcb->flags & UST_TF_SACK) ? TCPI_OPT_SACK : 0) |
					    ((tcb->flags & UST_TF_WS) ? TCPI_OPT_WSCALE : 0));
		ti.tcpi_snd_wscale = tcb->snd_wscale & 0xf;
		ti.tcpi_rcv_wscale = tcb->rcv_wscale & 0xf;
		ti.tcpi_rto = ust_tcp_rtt_rto(&tcb->rtt);
		ti.tcpi_ato = (uint32_t)(UST_TCP_DELACK_NS / UST_NS_PER_US);
		ti.tcpi_snd_mss = tcb->smss;
		ti.tcpi_rcv_mss = tcb->rcv_mss;
		uint32_t smss = tcb->smss ? tcb->smss : 1;
		ti.tcpi_unacked = (tcb->snd_max - tcb->snd_una + smss - 1) / smss;
		ti.tcpi_retrans = tcb->total_retrans;
		ti.tcpi_sacked = tcb->sb ? tcb->sb->sacked_bytes / smss : 0;
		ti.tcpi_pmtu = ust__ipv4_path_mtu(st, tcb->raddr ? tcb->raddr : st->addr);
		ti.tcpi_rtt = ust_tcp_rtt_srtt_us(&tcb->rtt);
		ti.tcpi_rttvar = ust_tcp_rtt_rttvar_us(&tcb->rtt);
		uint32_t ss = ust_tcp_cc_ssthresh(&tcb->cc);
		ti.tcpi_snd_ssthresh = ss == UINT32_MAX ? 0x7fffffffu : ss / smss;
		ti.tcpi_snd_cwnd = ust_tcp_cc_cwnd(&tcb->cc) / smss;
		ti.tcpi_advmss = tcb->rcv_mss;
		ti.tcpi_reordering = 3;
		ti.tcpi_rcv_space = tcb->rcvbuf;
		ti.tcpi_total_retrans = tcb->total_retrans;
		size_t n = UST_MIN((size_t)*len, sizeof(ti));
		memcpy(val, &ti, n);
		*len = (uint32_t)n;
		return 0;
	}
	default:
		return -ENOPROTOOPT;
	}
}

static const struct ust__sock_ops tcp_sock_ops = {
	.name = "tcp",
	.type = SOCK_STREAM,
	.protocol = IPPROTO_TCP,
	.type_default = true,
	.init = tcp_init,
	.bind = tcp_bind,
	.connect = tcp_connect,
	.listen = tcp_listen,
	.accept = tcp_accept,
	.send = tcp_send,
	.recv = tcp_recv,
	.shutdown = tcp_shutdown,
	.close = tcp_close,
	.linger_ns = tcp_linger_ns,
	.close_pending = tcp_close_pending,
	.setsockopt = tcp_setsockopt,
	.getsockopt = tcp_getsockopt,
	.poll = tcp_poll,
};

int ust__tcp_sock_register(struct ust_stack *st)
{
	return ust__sock_register_ops(st, &tcp_sock_ops);
}
