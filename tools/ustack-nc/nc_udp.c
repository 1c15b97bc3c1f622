/*
 * ustack-nc over UDP. Client: a connected UDP socket (so a port-unreachable from the peer
 * comes back as ECONNREFUSED, as on Linux). Server (-l): bound to PORT; the first sender
 * becomes the peer and the socket is connected to it, like OpenBSD nc; with -k the socket
 * stays unconnected and stdin goes to whoever sent last. Each stdin read is one datagram.
 */
#include <errno.h>
#include <string.h>

#include "nc.h"

static void report_error(struct nc *nc, const char *what)
{
	char a[32];
	int err = errno;

	ust_tool_error(&nc->tool, "%s %s: %s", what, ust_tool_addr_str(&nc->peer, a, sizeof(a)),
		       strerror(err));
	if (!nc->keep && (err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH)) {
		nc->failed = true;
		nc->done = true;
	}
}

static int udp_open(struct nc *nc)
{
	struct ust_stack *st = nc->tool.stack;
	struct sockaddr_in local = { .sin_family = AF_INET, .sin_port = htons(nc->lport) };

	nc->sd = ust_socket(st, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	if (nc->sd < 0) {
		ust_tool_error(&nc->tool, "UDP socket: %s", strerror(errno));
		return -1;
	}
	if (nc->lport && ust_bind(st, nc->sd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		ust_tool_error(&nc->tool, "bind to port %u: %s", (unsigned)nc->lport, strerror(errno));
		return -1;
	}
	if (!nc->listen) {
		if (ust_connect(st, nc->sd, (struct sockaddr *)&nc->raddr, sizeof(nc->raddr)) < 0) {
			ust_tool_error(&nc->tool, "connect: %s", strerror(errno));
			return -1;
		}
		nc->peer = nc->raddr;
		nc->have_peer = nc->connected = true;
	}
	return 0;
}

static void udp_flush(struct nc *nc)
{
	struct ust_stack *st = nc->tool.stack;
	ssize_t n;

	if (nc->out_off >= nc->out_len)
		return;
	if (nc->connected)
		n = ust_write(st, nc->sd, nc->out + nc->out_off, nc->out_len - nc->out_off);
	else
		n = ust_sendto(st, nc->sd, nc->out + nc->out_off, nc->out_len - nc->out_off, 0,
			       (struct sockaddr *)&nc->peer, sizeof(nc->peer));
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS))
		return;	/* transmit queue full: try again after the next poll */
	if (n < 0) {
		report_error(nc, "send to");
	} else {
		nc->bytes_out += (uint64_t)n;
		nc->chunks_out++;
	}
	nc->out_len = nc->out_off = 0;
}

static void got_datagram(struct nc *nc, size_t n, const struct sockaddr_in *from)
{
	struct ust_stack *st = nc->tool.stack;
	char a[32];

	nc->bytes_in += n;
	nc->chunks_in++;
	if (nc->verbose)
		fprintf(stderr, "%s: received %zu bytes from %s\n", nc->tool.prog, n,
			ust_tool_addr_str(from, a, sizeof(a)));
	if (!nc->have_peer || nc->keep) {
		nc->peer = *from;
		if (!nc->have_peer && !nc->keep && !nc->echo) {
			/* Like OpenBSD nc: talk to this peer only, and learn of its errors. */
			if (ust_connect(st, nc->sd, (const struct sockaddr *)from, sizeof(*from)) == 0)
				nc->connected = true;
		}
		nc->have_peer = true;
	}
	if (nc->echo) {
		if (ust_sendto(st, nc->sd, nc->in, n, 0, (const struct sockaddr *)from, sizeof(*from)) < 0) {
			if (nc->verbose)
				fprintf(stderr, "%s: echo to %s: %s\n", nc->tool.prog,
					ust_tool_addr_str(from, a, sizeof(a)), strerror(errno));
		} else {
			nc->bytes_out += n;
			nc->chunks_out++;
		}
		return;
	}
	if (nc_write_stdout(nc, nc->in, n) < 0) {
		nc->failed = nc->done = true;
	}
}

static void udp_poll(struct nc *nc)
{
	struct ust_stack *st = nc->tool.stack;

	while (!nc->done) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = ust_recvfrom(st, nc->sd, nc->in, NC_BUF, 0, (struct sockaddr *)&from, &fl);

		if (n >= 0) {
			got_datagram(nc, (size_t)n, &from);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			break;
		report_error(nc, "receive from");
	}
	udp_flush(nc);
}

static bool udp_can_send(const struct nc *nc)
{
	return nc->have_peer;
}

static void udp_stdin_eof(struct nc *nc)
{
	(void)nc;	/* UDP has no end of stream; -q decides when to quit */
}

static void udp_close(struct nc *nc)
{
	if (nc->sd >= 0)
		ust_close(nc->tool.stack, nc->sd);
	nc->sd = -1;
}

const struct nc_transport nc_udp_ops = {
	.name = "udp",
	.max_chunk = NC_UDP_MAX,
	.open = udp_open,
	.poll = udp_poll,
	.can_send = udp_can_send,
	.flush = udp_flush,
	.stdin_eof = udp_stdin_eof,
	.close = udp_close,
};
