/*
 * ustack-nc over TCP. Client: non-blocking connect, completion seen through the stack's
 * epoll-like API (EPOLLOUT or EPOLLERR + SO_ERROR). Server (-l): listen and accept one
 * connection (with -k, accept the next one when it ends). EOF on stdin half-closes
 * (shutdown SHUT_WR); the peer's EOF ends the program, like nc -N.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>

#include "nc.h"

static void tcp_fail(struct nc *nc, const char *what)
{
	char a[INET_ADDRSTRLEN];

	/* OpenBSD nc's wording: "connect to 10.0.0.1 port 9: Connection refused" */
	inet_ntop(AF_INET, &nc->peer.sin_addr, a, sizeof(a));
	ust_tool_error(&nc->tool, "%s %s port %u: %s", what, a, (unsigned)ntohs(nc->peer.sin_port),
		       strerror(errno));
	nc->failed = nc->done = true;
}

/* --keepalive: set on the listener too, so accepted connections inherit SO_KEEPALIVE. */
static void tcp_keepalive(struct nc *nc, int sd)
{
	struct ust_stack *st = nc->tool.stack;
	int one = 1;

	if (!nc->ka_idle)
		return;
	if (ust_setsockopt(st, sd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) < 0 ||
	    ust_setsockopt(st, sd, IPPROTO_TCP, TCP_KEEPIDLE, &nc->ka_idle, sizeof(int)) < 0 ||
	    ust_setsockopt(st, sd, IPPROTO_TCP, TCP_KEEPINTVL, &nc->ka_intvl, sizeof(int)) < 0 ||
	    ust_setsockopt(st, sd, IPPROTO_TCP, TCP_KEEPCNT, &nc->ka_cnt, sizeof(int)) < 0)
		ust_tool_error(&nc->tool, "keepalive options: %s", strerror(errno));
}

static int tcp_open(struct nc *nc)
{
	struct ust_stack *st = nc->tool.stack;
	struct sockaddr_in local = { .sin_family = AF_INET, .sin_port = htons(nc->lport) };
	struct epoll_event ev = { .events = EPOLLIN };
	int one = 1;

	nc->epd = ust_epoll_create(st);
	if (nc->epd < 0) {
		ust_tool_error(&nc->tool, "epoll set: %s", strerror(errno));
		return -1;
	}
	if (nc->listen) {
		nc->lsd = ust_socket(st, AF_INET, SOCK_STREAM, IPPROTO_TCP);
		if (nc->lsd < 0) {
			ust_tool_error(&nc->tool, "TCP socket: %s", strerror(errno));
			return -1;
		}
		ust_setsockopt(st, nc->lsd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ust_bind(st, nc->lsd, (struct sockaddr *)&local, sizeof(local)) < 0 ||
		    ust_listen(st, nc->lsd, 8) < 0) {
			ust_tool_error(&nc->tool, "listen on port %u: %s", (unsigned)nc->lport, strerror(errno));
			return -1;
		}
		ev.data.fd = nc->lsd;
		return ust_epoll_ctl(st, nc->epd, EPOLL_CTL_ADD, nc->lsd, &ev);
	}
	nc->sd = ust_socket(st, AF_INET, SOCK_STREAM, IPPROTO_TCP);
	if (nc->sd < 0) {
		ust_tool_error(&nc->tool, "TCP socket: %s", strerror(errno));
		return -1;
	}
	if (nc->lport && ust_bind(st, nc->sd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		ust_tool_error(&nc->tool, "bind to port %u: %s", (unsigned)nc->lport, strerror(errno));
		return -1;
	}
	nc->peer = nc->raddr;
	tcp_keepalive(nc, nc->sd);
	if (ust_connect(st, nc->sd, (struct sockaddr *)&nc->raddr, sizeof(nc->raddr)) < 0 &&
	    errno != EINPROGRESS) {
		tcp_fail(nc, "connect to");
		return -1;
	}
	ev.events = EPOLLOUT | EPOLLIN;
	ev.data.fd = nc->sd;
	return ust_epoll_ctl(st, nc->epd, EPOLL_CTL_ADD, nc->sd, &ev);
}

static void tcp_accept(struct nc *nc)
{
	struct ust_stack *st = nc->tool.stack;
	socklen_t len = sizeof(nc->peer);
	char a[32];
	int sd;

	if (nc->sd >= 0)
		return;	/* one connection at a time */
	sd = ust_accept(st, nc->lsd, (struct sockaddr *)&nc->peer, &len);
	if (sd < 0)
		return;
	nc->sd = sd;
	tcp_keepalive(nc, sd);
	nc->last_activity = ust_now();
	nc->have_peer = nc->connected = true;
	nc->peer_eof = false;
	if (nc->verbose)
		fprintf(stderr, "%s: connection from %s\n", nc->tool.prog,
			ust_tool_addr_str(&nc->peer, a, sizeof(a)));
	if (!nc->keep) {
		ust_epoll_ctl(st, nc->epd, EPOLL_CTL_DEL, nc->lsd, NULL);
		ust_close(st, nc->lsd);
		nc->lsd = -1;
	}
}

static void tcp_connected(struct nc *nc)
{
	struct ust_stack *st = nc->tool.stack;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = nc->sd };
	socklen_t len = sizeof(int);
	int err = 0;

	if (ust_getsockopt(st, nc->sd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		errno = err;
		tcp_fail(nc, "connect to");
		return;
	}
	ust_epoll_ctl(st, nc->epd, EPOLL_CTL_MOD, nc->sd, &ev);
	nc->have_peer = nc->connected = true;
	nc->last_activity = ust_now();
}

#define NC_LINGER_S 5

/* TCP_INFO says the FIN (and so all the data before it) is not acknowledged yet. */
static bool tcp_fin_pending(struct ust_stack *st, int sd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (ust_getsockopt(st, sd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return false;
	switch (ti.tcpi_state) {
	case TCP_SYN_RECV:
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
	case TCP_FIN_WAIT1:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		return true;
	default:
		return false;
	}
}

/*
 * Close a connection gracefully: FIN after the queued data, then run the stack until the FIN
 * is acknowledged or NC_LINGER_S pass, so destroying the stack right after cannot cut off the
 * tail of the stream. The wait is done here rather than by ust_close with SO_LINGER, because
 * ust_close returns 0 whether or not its linger ran out (as Linux's close does): when the
 * time runs out with data unacknowledged, it may not have been delivered, and that fails the
 * program.
 */
static void tcp_close_data_socket(struct nc *nc)
{
	struct ust_stack *st = nc->tool.stack;

	if (nc->sd < 0)
		return;
	if (nc->connected) {
		if (!nc->shut_wr)
			ust_shutdown(st, nc->sd, SHUT_WR);
		uint64_t deadline = ust_now() + (uint64_t)NC_LINGER_S * 1000000000ull;
		bool pending;

		while ((pending = tcp_fin_pending(st, nc->sd)) && ust_now() < deadline) {
			int ms = (int)((deadline - ust_now() + 999999ull) / 1000000ull);

			if (ust_stack_run_once(st, ms) < 0)
				break;
		}
		if (pending) {
			char a[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &nc->peer.sin_addr, a, sizeof(a));
			ust_tool_error(&nc->tool, "close: %s port %u did not acknowledge the data within "
				       "%d s: it may not have been delivered", a,
				       (unsigned)ntohs(nc->peer.sin_port), NC_LINGER_S);
			nc->failed = true;	/* with -k, the next connection is still served */
		}
	}
	ust_close(st, nc->sd);	/* no SO_LINGER: what is left goes on in the background */
	nc->sd = -1;
	nc->shut_wr = false;
}

static void tcp_end_connection(struct nc *nc)
{
	if (nc->keep && nc->lsd >= 0) {
		tcp_close_data_socket(nc);
		nc->have_peer = nc->connected = nc->peer_eof = false;
		nc->out_len = nc->out_off = 0;
		return;
	}
	nc->done = true;
}

static void tcp_flush(struct nc *nc)
{
	while (nc->connected && nc->out_off < nc->out_len) {
		ssize_t n = ust_write(nc->tool.stack, nc->sd, nc->out + nc->out_off, nc->out_len - nc->out_off);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				tcp_fail(nc, "write to");
			return;
		}
		nc->out_off += (size_t)n;
		nc->bytes_out += (uint64_t)n;
		nc->last_activity = ust_now();
	}
	if (nc->out_off >= nc->out_len && nc->out_len) {
		nc->chunks_out++;
		nc->out_len = nc->out_off = 0;
	}
	if (nc->connected && nc->stdin_eof && nc->out_len == 0 && !nc->echo && nc->reset_on_eof) {
		/* --reset: abort (RST) instead of a FIN */
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		ust_setsockopt(nc->tool.stack, nc->sd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		ust_epoll_ctl(nc->tool.stack, nc->epd, EPOLL_CTL_DEL, nc->sd, NULL);
		ust_close(nc->tool.stack, nc->sd);
		nc->sd = -1;
		nc->connected = false;
		nc->done = true;
		return;
	}
	if (nc->connected && nc->stdin_eof && nc->out_len == 0 && !nc->echo && !nc->shut_wr) {
		ust_shutdown(nc->tool.stack, nc->sd, SHUT_WR);
		nc->shut_wr = true;
	}
	/* Echo: the peer has finished and everything it sent went back: end. */
	if (nc->connected && nc->echo && nc->peer_eof && nc->out_len == 0)
		tcp_end_connection(nc);
}

static void tcp_read(struct nc *nc)
{
	struct ust_stack *st = nc->tool.stack;

	/* Echo reads only into an empty out[]: the peer's window then throttles it. Likewise
	 * nothing is read while stdout has not taken the last chunk. */
	while (nc->connected && !nc->done && (!nc->echo || nc->out_len == 0) && nc->in_len == 0) {
		ssize_t n = ust_read(st, nc->sd, nc->echo ? nc->out : nc->in, NC_BUF);

		if (n > 0) {
			nc->last_activity = ust_now();
			nc->bytes_in += (uint64_t)n;
			nc->chunks_in++;
			if (nc->echo) {
				nc->out_len = (size_t)n;
				nc->out_off = 0;
				tcp_flush(nc);
			} else if (nc_write_stdout(nc, nc->in, (size_t)n) < 0) {
				nc->failed = nc->done = true;
			}
			continue;
		}
		if (n == 0) {
			nc->peer_eof = true;
			if (!nc->echo || nc->out_len == 0)
				tcp_end_connection(nc);
			return;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			tcp_fail(nc, "read from");
		return;
	}
}

static void tcp_poll(struct nc *nc)
{
	struct ust_stack *st = nc->tool.stack;
	struct epoll_event evs[8];
	int n = ust_epoll_collect(st, nc->epd, evs, 8);

	for (int i = 0; i < n; i++) {
		if (nc->lsd >= 0 && evs[i].data.fd == nc->lsd)
			tcp_accept(nc);
		else if (evs[i].data.fd == nc->sd && !nc->connected && !nc->listen)
			tcp_connected(nc);
	}
	if (nc->lsd >= 0 && nc->sd < 0)
		tcp_accept(nc);
	tcp_read(nc);
	tcp_flush(nc);
}

static bool tcp_can_send(const struct nc *nc)
{
	return nc->connected;
}

static void tcp_stdin_eof(struct nc *nc)
{
	tcp_flush(nc);
}

static void tcp_close(struct nc *nc)
{
	struct ust_stack *st = nc->tool.stack;

	tcp_close_data_socket(nc);
	if (nc->lsd >= 0)
		ust_close(st, nc->lsd);
	if (nc->epd >= 0)
		ust_close(st, nc->epd);	/* ust_close on an epoll descriptor destroys it */
	nc->sd = nc->lsd = nc->epd = -1;
}

const struct nc_transport nc_tcp_ops = {
	.name = "tcp",
	.max_chunk = NC_BUF,
	.open = tcp_open,
	.poll = tcp_poll,
	.can_send = tcp_can_send,
	.flush = tcp_flush,
	.stdin_eof = tcp_stdin_eof,
	.close = tcp_close,
};
