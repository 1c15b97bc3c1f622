/*
 * Socket-like API: descriptor table, argument checking, POSIX -1/errno results, SO_ERROR
 * delivery, generic socket options and the blocking convenience, dispatching to the
 * protocol's struct ust__sock_ops (net/sock.h).
 *   ust_sendto -> checks -> ops->send -> protocol -> ust__ipv4_output ... -> flush
 * Every refused call increments a socket.err_* counter. Owns the sockets themselves.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "api/api.h"
#include "core/util.h"
#include "net/stack.h"
#include "ustack/socket.h"

#define UST_FD_MAX (1u << 20)

/* --- descriptor table --- */

int ust__fd_alloc(struct ust_stack *st, enum ust__fd_kind kind, void *obj)
{
	if (st->fd_free < 0) {
		uint32_t n = st->nfds ? st->nfds * 2 : 64;
		if (n > UST_FD_MAX)
			return -EMFILE;
		struct ust__fdent *t = realloc(st->fds, n * sizeof(*t));
		if (!t)
			return -ENOMEM;
		/* new descriptors are handed out lowest first */
		for (uint32_t i = n; i-- > st->nfds;) {
			t[i] = (struct ust__fdent){ .kind = UST_FD_FREE, .next_free = st->fd_free };
			st->fd_free = (int)i;
		}
		st->fds = t;
		st->nfds = n;
	}
	int fd = st->fd_free;
	struct ust__fdent *e = &st->fds[fd];
	st->fd_free = e->next_free;
	e->kind = (uint8_t)kind;
	e->gen++;
	e->obj = obj;
	st->live_fds++;
	return fd;
}

void ust__fd_release(struct ust_stack *st, int fd)
{
	struct ust__fdent *e = &st->fds[fd];
	e->kind = UST_FD_FREE;
	e->obj = NULL;
	e->next_free = st->fd_free;
	st->fd_free = fd;
	st->live_fds--;
}

enum ust__fd_kind ust__fd_kind(struct ust_stack *st, int fd)
{
	if (fd < 0 || (uint32_t)fd >= st->nfds)
		return UST_FD_FREE;
	return st->fds[fd].kind;
}

void *ust__fd_get(struct ust_stack *st, int fd, enum ust__fd_kind kind)
{
	return ust__fd_kind(st, fd) == kind ? st->fds[fd].obj : NULL;
}

struct ust__sock *ust__sock_get(struct ust_stack *st, int sd)
{
	return ust__fd_get(st, sd, UST_FD_SOCK);
}

struct ust__sock *ust__sock_by_token(struct ust_stack *st, uint64_t token)
{
	int sd = (int)(uint32_t)token - 1;
	struct ust__sock *s = ust__sock_get(st, sd);
	return s && s->gen == (uint32_t)(token >> 32) ? s : NULL;
}

/* --- errors --- */

static int fail(struct ust_stack *st, int err)
{
	return ust__api_fail(st, err);
}

int ust__api_fail(struct ust_stack *st, int err)
{
	struct ust__socket_counters *c = &st->sock;
	switch (err) {
	case EBADF: c->err_badf++; break;
	case ENOTSOCK: c->err_notsock++; break;
	case EINVAL: c->err_inval++; break;
	case EAFNOSUPPORT: c->err_afnosupport++; break;
	case EPROTONOSUPPORT: c->err_protonosupport++; break;
	case EADDRINUSE: c->err_addrinuse++; break;
	case EADDRNOTAVAIL: c->err_addrnotavail++; break;
	case EMSGSIZE: c->err_msgsize++; break;
	case EAGAIN: c->err_again++; break;
	case ENOTCONN: c->err_notconn++; break;
	case EISCONN: c->err_isconn++; break;
	case EACCES: c->err_acces++; break;
	case ENOBUFS: case ENOMEM: c->err_nobufs++; break;
	case EOPNOTSUPP: c->err_opnotsupp++; break;
	case ENOPROTOOPT: c->err_noprotoopt++; break;
	case EDESTADDRREQ: c->err_destaddrreq++; break;
	case EFAULT: c->err_fault++; break;
	case EMFILE: c->err_mfile++; break;
	case EINPROGRESS: break;	/* a connect under way is not a refusal */
	default: c->err_other++; break;
	}
	errno = err;
	return -1;
}

/* Socket behind sd, or NULL with errno set (EBADF, or ENOTSOCK for an epoll descriptor). */
struct ust__sock *ust__api_get_sock(struct ust_stack *st, int sd)
{
	enum ust__fd_kind k = ust__fd_kind(st, sd);
	if (k == UST_FD_SOCK)
		return st->fds[sd].obj;
	fail(st, k == UST_FD_FREE ? EBADF : ENOTSOCK);
	return NULL;
}

static struct ust__sock *get_sock(struct ust_stack *st, int sd)
{
	return ust__api_get_sock(st, sd);
}

/* A pending asynchronous error is reported (and cleared) by the next call. */
static bool take_error(struct ust_stack *st, struct ust__sock *s)
{
	if (!s->so_error)
		return false;
	int err = s->so_error;
	s->so_error = 0;
	st->sock.err_async++;
	errno = err;
	return true;
}

void ust__sock_set_error(struct ust_stack *st, struct ust__sock *s, int err)
{
	s->so_error = err;
	ust__sock_wakeup(st, s);
}

uint32_t ust__sock_events(struct ust_stack *st, struct ust__sock *s)
{
	uint32_t m = s->ops->poll ? s->ops->poll(st, s) : 0;
	if (s->so_error)
		m |= EPOLLERR;
	return m;
}

/* --- protocol registration and sockets --- */

int ust__sock_register_ops(struct ust_stack *st, const struct ust__sock_ops *ops)
{
	if (st->n_sock_ops >= UST_SOCK_OPS_MAX)
		return -ENOSPC;
	st->sock_ops[st->n_sock_ops++] = ops;
	return 0;
}

struct ust__sock *ust__sock_alloc(struct ust_stack *st, const struct ust__sock_ops *ops)
{
	struct ust__sock *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	int sd = ust__fd_alloc(st, UST_FD_SOCK, s);
	if (sd < 0) {
		free(s);
		return NULL;
	}
	s->sd = sd;
	s->gen = st->fds[sd].gen;
	s->ops = ops;
	s->type = ops->type;
	s->protocol = ops->protocol;
	s->rcvbuf = UST_SOCK_RCVBUF_DEFAULT;
	s->sndbuf = UST_SOCK_SNDBUF_DEFAULT;
	s->bind_node.owner = s;
	s->conn_node.owner = s;
	ust__pq_init(&s->rxq);
	st->sock.opened++;
	return s;
}

static void sock_free(struct ust_stack *st, struct ust__sock *s)
{
	ust__fd_release(st, s->sd);
	free(s);
}

static bool blocking(const struct ust__sock *s, int flags);

/*
 * SO_LINGER with a timeout on a blocking socket: like Linux, close sends the FIN and runs
 * the stack until everything sent is acknowledged or the time passes, so a program that
 * exits (destroying its stack) right after close does not cut the connection short.
 */
static void sock_linger(struct ust_stack *st, struct ust__sock *s)
{
	uint64_t ns = s->ops->linger_ns && blocking(s, 0) ? s->ops->linger_ns(st, s) : 0;
	if (!ns || !s->ops->close_pending(st, s))
		return;
	if (s->ops->shutdown && !(s->flags & UST_SOCK_F_SHUT_WR))
		s->ops->shutdown(st, s, SHUT_WR);
	ust__stack_flush(st);
	uint64_t deadline = ust_now() + ns;
	while (s->ops->close_pending(st, s)) {
		uint64_t now = ust_now();
		if (now >= deadline)
			break;
		int ms = (int)UST_MIN((deadline - now + UST_NS_PER_MS - 1) / UST_NS_PER_MS, (uint64_t)INT32_MAX);
		if (ust_stack_run_once(st, ms) < 0)
			break;
	}
}

static void sock_close(struct ust_stack *st, struct ust__sock *s)
{
	sock_linger(st, s);
	ust__epoll_sock_closed(st, s);
	if (s->ops->close)
		s->ops->close(st, s);
	else
		ust__sock_unlink(st, s);
	ust__pq_purge(&st->pools, &s->rxq);
	st->sock.closed++;
	sock_free(st, s);
}

/* Is (addr, port) taken for s? Sharing needs SO_REUSEADDR (or SO_REUSEPORT) on both. */
static bool port_taken(struct ust_stack *st, const struct ust__sock *s, uint32_t addr, uint16_t port)
{
	uint8_t proto = (uint8_t)s->ops->protocol;
	uint32_t addrs[2] = { 0, st->addr };
	for (int i = 0; i < 2; i++) {
		if (addr != 0 && addrs[i] != 0 && addrs[i] != addr)
			continue;
		struct ust__demux_key k = ust__demux_key_make(proto, addrs[i], port, 0, 0);
		for (struct ust__demux_node *n = ust__demux_lookup(&st->demux, &k); n; n = ust__demux_next(n)) {
			/* n->owner may be a protocol's own object (a lingering TCP connection): look
			 * only at what the node says about sharing */
			bool share = (s->flags & n->share & (UST_SOCK_F_REUSEADDR | UST_SOCK_F_REUSEPORT)) != 0;
			if (!share)
				return true;
		}
	}
	return false;
}

int ust__sock_bind_port(struct ust_stack *st, struct ust__sock *s, uint32_t addr, uint16_t port)
{
	if (addr != 0 && addr != st->addr && !ust__ipv4_is_broadcast(st, addr))
		return -EADDRNOTAVAIL;
	if (port == 0) {
		/* ephemeral: from a random point of the range, the first free port */
		uint32_t range = UST_EPHEMERAL_HIGH - UST_EPHEMERAL_LOW + 1;
		uint32_t start = st->ephemeral_next;
		for (uint32_t i = 0; i < range; i++) {
			uint16_t p = (uint16_t)(UST_EPHEMERAL_LOW + (start - UST_EPHEMERAL_LOW + i) % range);
			if (!port_taken(st, s, addr, p) && !port_taken(st, s, 0, p)) {
				port = p;
				break;
			}
		}
		if (port == 0)
			return -EADDRINUSE;
		st->ephemeral_next = (uint16_t)(UST_EPHEMERAL_LOW + ust__rand(st) % range);
	} else if (port_taken(st, s, addr, port)) {
		return -EADDRINUSE;
	}
	s->laddr = addr;
	s->lport = port;
	s->flags |= UST_SOCK_F_BOUND;
	struct ust__demux_key k = ust__demux_key_make((uint8_t)s->ops->protocol, addr, port, 0, 0);
	s->bind_node.share = s->flags & (UST_SOCK_F_REUSEADDR | UST_SOCK_F_REUSEPORT);
	return ust__demux_insert(&st->demux, &s->bind_node, &k);
}

int ust__sock_link_conn(struct ust_stack *st, struct ust__sock *s)
{
	uint32_t laddr = s->laddr ? s->laddr : st->addr;
	struct ust__demux_key k = ust__demux_key_make((uint8_t)s->ops->protocol, laddr, s->lport, s->raddr,
						      s->rport);
	return ust__demux_insert(&st->demux, &s->conn_node, &k);
}

void ust__sock_unlink(struct ust_stack *st, struct ust__sock *s)
{
	ust__demux_remove(&st->demux, &s->bind_node);
	ust__demux_remove(&st->demux, &s->conn_node);
}

/* --- blocking --- */

/* Run the stack on real time until s has one of `want` (or an error) or the timeout passes. */
static int wait_for(struct ust_stack *st, struct ust__sock *s, uint32_t want, uint64_t timeo_ns)
{
	uint64_t deadline = timeo_ns ? ust_now() + timeo_ns : UINT64_MAX;
	for (;;) {
		if (ust__sock_events(st, s) & (want | EPOLLERR | EPOLLHUP))
			return 0;
		uint64_t now = ust_now();
		if (now >= deadline)
			return -EAGAIN;
		int ms = -1;
		if (deadline != UINT64_MAX)
			ms = (int)UST_MIN((deadline - now + UST_NS_PER_MS - 1) / UST_NS_PER_MS, (uint64_t)INT32_MAX);
		if (ust_stack_run_once(st, ms) < 0)
			return -EIO;
	}
}

static bool blocking(const struct ust__sock *s, int flags)
{
	return (s->flags & UST_SOCK_F_BLOCKING) && !(flags & MSG_DONTWAIT);
}

int ust_set_blocking(struct ust_stack *st, int sd, bool on)
{
	struct ust__sock *s = get_sock(st, sd);
	if (!s)
		return -1;
	if (on)
		s->flags |= UST_SOCK_F_BLOCKING;
	else
		s->flags &= ~UST_SOCK_F_BLOCKING;
	return 0;
}

/* --- addresses --- */

static int addr_in(struct ust_stack *st, const struct sockaddr *addr, socklen_t len, uint32_t *ip,
		   uint16_t *port, bool allow_unspec)
{
	if (!addr)
		return fail(st, EFAULT);
	if (len < (socklen_t)sizeof(sa_family_t))
		return fail(st, EINVAL);
	if (allow_unspec && addr->sa_family == AF_UNSPEC) {
		*ip = 0;
		*port = 0;
		return 0;
	}
	if (len < (socklen_t)sizeof(struct sockaddr_in))
		return fail(st, EINVAL);
	if (addr->sa_family != AF_INET)
		return fail(st, EAFNOSUPPORT);
	const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)addr;
	*ip = ntohl(sin->sin_addr.s_addr);
	*port = ntohs(sin->sin_port);
	return 0;
}

static void addr_out(struct sockaddr *addr, socklen_t *len, uint32_t ip, uint16_t port)
{
	if (!addr || !len)
		return;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(ip) };
	socklen_t n = *len < (socklen_t)sizeof(sin) ? *len : (socklen_t)sizeof(sin);
	memcpy(addr, &sin, (size_t)n);
	*len = sizeof(sin);
}

/* --- calls --- */

int ust_socket(struct ust_stack *st, int domain, int type, int protocol)
{
	if (!st) {
		errno = EINVAL;
		return -1;
	}
	if (domain != AF_INET)
		return fail(st, EAFNOSUPPORT);
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	const struct ust__sock_ops *ops = NULL;
	for (unsigned i = 0; i < st->n_sock_ops && !ops; i++) {
		const struct ust__sock_ops *o = st->sock_ops[i];
		if (o->type == base && (protocol == o->protocol || (protocol == 0 && o->type_default)))
			ops = o;
	}
	if (!ops)
		return fail(st, base == SOCK_DGRAM || base == SOCK_STREAM ? EPROTONOSUPPORT : EINVAL);
	struct ust__sock *s = ust__sock_alloc(st, ops);
	if (!s)
		return fail(st, st->nfds >= UST_FD_MAX ? EMFILE : ENOMEM);
	if (ops->init) {
		int err = ops->init(st, s);
		if (err) {
			sock_free(st, s);
			return fail(st, -err);
		}
	}
	return s->sd;
}

int ust_bind(struct ust_stack *st, int sd, const struct sockaddr *addr, socklen_t len)
{
	struct ust__sock *s = get_sock(st, sd);
	uint32_t ip;
	uint16_t port;
	if (!s || addr_in(st, addr, len, &ip, &port, false) < 0)
		return -1;
	if (!s->ops->bind)
		return fail(st, EOPNOTSUPP);
	int err = s->ops->bind(st, s, ip, port);
	return err ? fail(st, -err) : 0;
}

int ust_connect(struct ust_stack *st, int sd, const struct sockaddr *addr, socklen_t len)
{
	struct ust__sock *s = get_sock(st, sd);
	uint32_t ip;
	uint16_t port;
	if (!s || addr_in(st, addr, len, &ip, &port, true) < 0)
		return -1;
	if (!s->ops->connect)
		return fail(st, EOPNOTSUPP);
	int err = s->ops->connect(st, s, ip, port);
	ust__stack_flush(st);
	if (err == -EINPROGRESS && blocking(s, 0)) {
		int w = wait_for(st, s, EPOLLOUT, s->sndtimeo_ns);
		if (w)
			return fail(st, w == -EAGAIN ? ETIMEDOUT : -w);
		if (take_error(st, s)) {
			int e = errno;
			return fail(st, e);
		}
		return 0;
	}
	return err ? fail(st, -err) : 0;
}

int ust_listen(struct ust_stack *st, int sd, int backlog)
{
	struct ust__sock *s = get_sock(st, sd);
	if (!s)
		return -1;
	if (!s->ops->listen)
		return fail(st, EOPNOTSUPP);
	int err = s->ops->listen(st, s, backlog);
	return err ? fail(st, -err) : 0;
}

int ust_accept(struct ust_stack *st, int sd, struct sockaddr *addr, socklen_t *len)
{
	struct ust__sock *s = get_sock(st, sd);
	if (!s)
		return -1;
	if (!s->ops->accept)
		return fail(st, EOPNOTSUPP);
	for (;;) {
		struct ust__sock *child = ust__sock_alloc(st, s->ops);
		if (!child)
			return fail(st, ENOMEM);
		int err = s->ops->accept(st, s, child);
		if (err == 0) {
			addr_out(addr, len, child->raddr, child->rport);
			ust__stack_flush(st);
			return child->sd;
		}
		st->sock.opened--;
		sock_free(st, child);
		if (err != -EAGAIN || !blocking(s, 0))
			return fail(st, -err);
		int w = wait_for(st, s, EPOLLIN, s->rcvtimeo_ns);
		if (w)
			return fail(st, -w);
	}
}

/* What ust_recvmsg reports beside the bytes: the datagram's IP header fields and length. */
struct rx_info {
	bool dgram;		/* the bytes came from one queued datagram */
	uint8_t ttl, tos;
	size_t len;		/* its full length */
};

/* The head datagram of a datagram socket's queue, which ops->recv is about to take. */
static void peek_dgram(struct ust_stack *st, struct ust__sock *s, struct rx_info *info)
{
	struct ust_pkt *pkt = s->type == SOCK_DGRAM ? ust__pq_peek(&st->pools, &s->rxq) : NULL;
	if (!pkt)
		return;
	const uint8_t *ip = ust__pkt_buf(&st->pools, pkt) + pkt->l3_offset;
	info->dgram = true;
	info->tos = ip[1];
	info->ttl = ip[8];
	info->len = pkt->len;
}

static ssize_t do_recv(struct ust_stack *st, int sd, const struct iovec *iov, int iovcnt, int flags,
		       struct sockaddr *from, socklen_t *fromlen, struct rx_info *info)
{
	struct ust__sock *s = get_sock(st, sd);
	if (!s)
		return -1;
	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return fail(st, EINVAL);
	if (flags & MSG_OOB)	/* no urgent data: TCP keeps urgent bytes inline */
		return fail(st, EOPNOTSUPP);
	for (;;) {
		if (take_error(st, s)) {
			int e = errno;
			return fail(st, e);
		}
		if (!s->ops->recv)
			return fail(st, EOPNOTSUPP);
		uint32_t ip = 0;
		uint16_t port = 0;
		if (info)
			peek_dgram(st, s, info);
		ssize_t n = s->ops->recv(st, s, iov, iovcnt, flags, &ip, &port);
		if (n >= 0) {
			addr_out(from, fromlen, ip, port);
			ust__stack_flush(st);	/* a read may open a window (TCP) */
			return n;
		}
		if (n != -EAGAIN || !blocking(s, flags))
			return fail(st, (int)-n);
		int w = wait_for(st, s, EPOLLIN | EPOLLRDHUP, s->rcvtimeo_ns);
		if (w)
			return fail(st, -w);
	}
}

static ssize_t do_send(struct ust_stack *st, int sd, const struct iovec *iov, int iovcnt, int flags,
		       const struct sockaddr *to, socklen_t tolen)
{
	struct ust__sock *s = get_sock(st, sd);
	if (!s)
		return -1;
	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return fail(st, EINVAL);
	if (flags & MSG_OOB)
		return fail(st, EOPNOTSUPP);
	uint32_t ip;
	uint16_t port;
	if (to && addr_in(st, to, tolen, &ip, &port, false) < 0)
		return -1;
	for (;;) {
		if (take_error(st, s)) {
			int e = errno;
			return fail(st, e);
		}
		if (!s->ops->send)
			return fail(st, EOPNOTSUPP);
		ssize_t n = s->ops->send(st, s, iov, iovcnt, flags, to ? &ip : NULL, to ? &port : NULL);
		ust__stack_flush(st);
		if (n >= 0)
			return n;
		if (n != -EAGAIN || !blocking(s, flags))
			return fail(st, (int)-n);
		int w = wait_for(st, s, EPOLLOUT, s->sndtimeo_ns);
		if (w)
			return fail(st, -w);
	}
}

ssize_t ust_read(struct ust_stack *st, int sd, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	return do_recv(st, sd, &iov, 1, 0, NULL, NULL, NULL);
}

ssize_t ust_readv(struct ust_stack *st, int sd, const struct iovec *iov, int iovcnt)
{
	return do_recv(st, sd, iov, iovcnt, 0, NULL, NULL, NULL);
}

ssize_t ust_recvfrom(struct ust_stack *st, int sd, void *buf, size_t len, int flags,
		     struct sockaddr *from, socklen_t *fromlen)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	return do_recv(st, sd, &iov, 1, flags, from, fromlen, NULL);
}

/* Append one control message; false (and MSG_CTRUNC) when it does not fit. */
static bool put_cmsg(struct msghdr *msg, size_t *used, int level, int type, const void *data, size_t len)
{
	size_t space = CMSG_SPACE(len);
	if (!msg->msg_control || *used + space > msg->msg_controllen) {
		msg->msg_flags |= MSG_CTRUNC;
		return false;
	}
	struct cmsghdr *c = (struct cmsghdr *)((uint8_t *)msg->msg_control + *used);
	memset(c, 0, space);
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), data, len);
	*used += space;
	return true;
}

ssize_t ust_recvmsg(struct ust_stack *st, int sd, struct msghdr *msg, int flags)
{
	if (!msg)
		return fail(st, EFAULT);
	struct rx_info info = { 0 };
	socklen_t namelen = msg->msg_namelen;
	ssize_t n = do_recv(st, sd, msg->msg_iov, (int)msg->msg_iovlen, flags, (struct sockaddr *)msg->msg_name,
			    msg->msg_name ? &namelen : NULL, &info);
	if (n < 0)
		return n;
	msg->msg_namelen = msg->msg_name ? namelen : 0;
	msg->msg_flags = 0;
	if (info.dgram && info.len > ust__iov_total(msg->msg_iov, (int)msg->msg_iovlen))
		msg->msg_flags |= MSG_TRUNC;
	size_t used = 0;
	const struct ust__sock *s = get_sock(st, sd);
	if (info.dgram && s && (s->flags & UST_SOCK_F_RECVTTL)) {
		int ttl = info.ttl;	/* Linux passes IP_TTL as an int */
		put_cmsg(msg, &used, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	}
	if (info.dgram && s && (s->flags & UST_SOCK_F_RECVTOS))
		put_cmsg(msg, &used, IPPROTO_IP, IP_TOS, &info.tos, sizeof(info.tos));
	msg->msg_controllen = used;
	return n;
}

ssize_t ust_sendmsg(struct ust_stack *st, int sd, const struct msghdr *msg, int flags)
{
	if (!msg)
		return fail(st, EFAULT);
	return do_send(st, sd, msg->msg_iov, (int)msg->msg_iovlen, flags, (const struct sockaddr *)msg->msg_name,
		       msg->msg_namelen);
}

ssize_t ust_write(struct ust_stack *st, int sd, const void *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	return do_send(st, sd, &iov, 1, 0, NULL, 0);
}

ssize_t ust_writev(struct ust_stack *st, int sd, const struct iovec *iov, int iovcnt)
{
	return do_send(st, sd, iov, iovcnt, 0, NULL, 0);
}

ssize_t ust_sendto(struct ust_stack *st, int sd, const void *buf, size_t len, int flags,
		   const struct sockaddr *to, socklen_t tolen)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	return do_send(st, sd, &iov, 1, flags, to, tolen);
}

int ust_shutdown(struct ust_stack *st, int sd, int how)
{
	struct ust__sock *s = get_sock(st, sd);
	if (!s)
		return -1;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return fail(st, EINVAL);
	if (!s->ops->shutdown)
		return fail(st, EOPNOTSUPP);
	int err = s->ops->shutdown(st, s, how);
	ust__stack_flush(st);
	return err ? fail(st, -err) : 0;
}

int ust_close(struct ust_stack *st, int sd)
{
	switch (ust__fd_kind(st, sd)) {
	case UST_FD_SOCK:
		sock_close(st, st->fds[sd].obj);
		ust__stack_flush(st);
		return 0;
	case UST_FD_EPOLL:
		ust__epoll_destroy(st, st->fds[sd].obj);
		return 0;
	default:
		return fail(st, EBADF);
	}
}

int ust_getsockname(struct ust_stack *st, int sd, struct sockaddr *addr, socklen_t *len)
{
	struct ust__sock *s = get_sock(st, sd);
	if (!s)
		return -1;
	if (!addr || !len)
		return fail(st, EFAULT);
	uint32_t ip = s->laddr;
	if (ip == 0 && (s->flags & UST_SOCK_F_CONNECTED))
		ip = st->addr;	/* a connected socket has a definite source */
	addr_out(addr, len, ip, s->lport);
	return 0;
}

int ust_getpeername(struct ust_stack *st, int sd, struct sockaddr *addr, socklen_t *len)
{
	struct ust__sock *s = get_sock(st, sd);
	if (!s)
		return -1;
	if (!addr || !len)
		return fail(st, EFAULT);
	if (!(s->flags & UST_SOCK_F_CONNECTED))
		return fail(st, ENOTCONN);
	addr_out(addr, len, s->raddr, s->rport);
	return 0;
}

/* --- teardown --- */

void ust__api_close_all(struct ust_stack *st)
{
	for (uint32_t i = 0; i < st->nfds; i++)
		if (st->fds[i].kind == UST_FD_SOCK)
			sock_close(st, st->fds[i].obj);
	for (uint32_t i = 0; i < st->nfds; i++)
		if (st->fds[i].kind == UST_FD_EPOLL)
			ust__epoll_destroy(st, st->fds[i].obj);
}

void ust__api_fini(struct ust_stack *st)
{
	free(st->fds);
	st->fds = NULL;
	st->nfds = 0;
	st->fd_free = -1;
}
