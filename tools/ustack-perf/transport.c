/* ustack-perf transport shim: each call goes to ustack's socket API or to the kernel's. */
#include "transport.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ustack/socket.h>
#include <ustack/stack.h>

int pt_init(struct perf_transport *t, struct ust_stack *st)
{
	t->st = st;
	t->epd = st ? ust_epoll_create(st) : epoll_create1(EPOLL_CLOEXEC);
	return t->epd < 0 ? -1 : 0;
}

void pt_fini(struct perf_transport *t)
{
	if (t->epd >= 0)
		pt_close(t, t->epd);
	t->epd = -1;
}

int pt_tcp_socket(struct perf_transport *t)
{
	if (t->st)
		return ust_socket(t->st, AF_INET, SOCK_STREAM, IPPROTO_TCP);
	return socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
}

int pt_listen(struct perf_transport *t, const struct sockaddr_in *addr, int backlog)
{
	int sd = pt_tcp_socket(t);
	int one = 1;

	if (sd < 0)
		return -1;
	pt_setsockopt(t, sd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	int rc = t->st ? ust_bind(t->st, sd, (const struct sockaddr *)addr, sizeof(*addr))
		       : bind(sd, (const struct sockaddr *)addr, sizeof(*addr));
	if (rc == 0)
		rc = t->st ? ust_listen(t->st, sd, backlog) : listen(sd, backlog);
	if (rc < 0) {
		int saved = errno;
		pt_close(t, sd);
		errno = saved;
		return -1;
	}
	return sd;
}

int pt_accept(struct perf_transport *t, int sd)
{
	if (t->st)
		return ust_accept(t->st, sd, NULL, NULL);
	return accept4(sd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int pt_connect(struct perf_transport *t, int sd, const struct sockaddr_in *addr)
{
	if (t->st)
		return ust_connect(t->st, sd, (const struct sockaddr *)addr, sizeof(*addr));
	return connect(sd, (const struct sockaddr *)addr, sizeof(*addr));
}

ssize_t pt_read(struct perf_transport *t, int sd, void *buf, size_t len)
{
	return t->st ? ust_read(t->st, sd, buf, len) : read(sd, buf, len);
}

ssize_t pt_write(struct perf_transport *t, int sd, const void *buf, size_t len)
{
	if (t->st) {
		ssize_t n = ust_write(t->st, sd, buf, len);
		/* The stack's packet pool ran dry before this socket's send buffer filled (many
		 * streams): buffers come back as data is acknowledged, so retry like EAGAIN. */
		if (n < 0 && errno == ENOBUFS)
			errno = EAGAIN;
		return n;
	}
	return send(sd, buf, len, MSG_NOSIGNAL);
}

int pt_close(struct perf_transport *t, int sd)
{
	return t->st ? ust_close(t->st, sd) : close(sd);
}

int pt_shutdown_write(struct perf_transport *t, int sd)
{
	return t->st ? ust_shutdown(t->st, sd, SHUT_WR) : shutdown(sd, SHUT_WR);
}

int pt_setsockopt(struct perf_transport *t, int sd, int level, int name, const void *val, socklen_t len)
{
	if (t->st)
		return ust_setsockopt(t->st, sd, level, name, val, len);
	return setsockopt(sd, level, name, val, len);
}

int pt_getsockopt(struct perf_transport *t, int sd, int level, int name, void *val, socklen_t *len)
{
	if (t->st)
		return ust_getsockopt(t->st, sd, level, name, val, len);
	return getsockopt(sd, level, name, val, len);
}

int pt_sockerror(struct perf_transport *t, int sd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (pt_getsockopt(t, sd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

int pt_watch(struct perf_transport *t, int sd, unsigned events, int add)
{
	struct epoll_event ev = { .events = events, .data.fd = sd };
	int op = add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;

	return t->st ? ust_epoll_ctl(t->st, t->epd, op, sd, &ev) : epoll_ctl(t->epd, op, sd, &ev);
}

int pt_unwatch(struct perf_transport *t, int sd)
{
	struct epoll_event ev = { 0 };

	if (t->st)
		return ust_epoll_ctl(t->st, t->epd, EPOLL_CTL_DEL, sd, &ev);
	return epoll_ctl(t->epd, EPOLL_CTL_DEL, sd, &ev);
}

int pt_wait(struct perf_transport *t, struct epoll_event *events, int max, int timeout_ms)
{
	/* EINTR is returned to the caller: a signal usually means "stop". */
	if (t->st)
		return ust_epoll_wait(t->st, t->epd, events, max, timeout_ms);
	return epoll_wait(t->epd, events, max, timeout_ms);
}
