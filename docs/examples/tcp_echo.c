/*
 * tcp_echo: a complete TCP echo server on ustack's public API.
 *
 *   tcp_echo --if tap:ust0 --ip 10.0.0.2/24 [--gw 10.0.0.1] [--port 7] [--max N] [--pcap FILE]
 *
 * It creates a stack on the interface, listens on the port and echoes every byte each client
 * sends back to it, for up to --max clients at once (default 64), driving the stack through
 * ust_epoll_wait until SIGINT/SIGTERM. What a client sends while its echo is still waiting
 * to go out (the peer reads slowly) stays in the stack: the server stops reading that client
 * until its pending bytes are written, so the client's own window throttles it (no unbounded
 * buffering in the application). A client that closes its side gets the rest, then a FIN.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ustack/socket.h>
#include <ustack/stack.h>

#define BUF_SIZE 16384

struct client {
	int sd;			/* -1: free slot */
	size_t len, off;	/* buf[off, len) still to be written back */
	char buf[BUF_SIZE];
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tcp_echo --if SPEC --ip A.B.C.D/N [--gw A.B.C.D] [--mac MAC] [--port N] "
		   "[--max N] [--pcap FILE]\n");
}

static void drop_client(struct ust_stack *st, int ep, struct client *c)
{
	ust_epoll_ctl(st, ep, EPOLL_CTL_DEL, c->sd, NULL);
	ust_close(st, c->sd);	/* graceful: FIN after what is still queued */
	c->sd = -1;
}

/* Write back what is pending; then read more only when nothing is pending. */
static void serve(struct ust_stack *st, int ep, struct client *c)
{
	for (;;) {
		while (c->off < c->len) {
			ssize_t n = ust_write(st, c->sd, c->buf + c->off, c->len - c->off);
			if (n < 0) {
				if (errno == EAGAIN) {
					/* send buffer full: wait for EPOLLOUT, stop reading meanwhile */
					struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
					ust_epoll_ctl(st, ep, EPOLL_CTL_MOD, c->sd, &ev);
					return;
				}
				drop_client(st, ep, c);	/* ECONNRESET, EPIPE, ... */
				return;
			}
			c->off += (size_t)n;
		}
		c->len = c->off = 0;
		ssize_t n = ust_read(st, c->sd, c->buf, sizeof(c->buf));
		if (n > 0) {
			c->len = (size_t)n;
			continue;
		}
		if (n == 0 || errno != EAGAIN) {
			drop_client(st, ep, c);	/* the client finished (or failed) */
			return;
		}
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };
		ust_epoll_ctl(st, ep, EPOLL_CTL_MOD, c->sd, &ev);
		return;
	}
}

int main(int argc, char **argv)
{
	struct ust_stack_config cfg = { 0 };
	int port = 7, max = 64;
	for (int i = 1; i < argc; i += 2) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(opt, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (!val) {
			usage(stderr);
			return 2;
		}
		if (strcmp(opt, "--if") == 0)
			cfg.ifspec = val;
		else if (strcmp(opt, "--ip") == 0)
			cfg.ip = val;
		else if (strcmp(opt, "--gw") == 0)
			cfg.gateway = val;
		else if (strcmp(opt, "--mac") == 0)
			cfg.mac = val;
		else if (strcmp(opt, "--pcap") == 0)
			cfg.pcap = val;
		else if (strcmp(opt, "--port") == 0)
			port = atoi(val);
		else if (strcmp(opt, "--max") == 0)
			max = atoi(val);
		else {
			usage(stderr);
			return 2;
		}
	}
	if (port <= 0 || port > 65535 || max <= 0 || max > 100000) {
		usage(stderr);
		return 2;
	}

	/* 1. A stack on the interface: it owns the device, the addresses and the buffers. */
	struct ust_stack *st;
	const char *why;
	int err = ust_stack_create(&st, &cfg, &why);
	if (err) {
		fprintf(stderr, "tcp_echo: %s (%s)\n", why, strerror(-err));
		return 1;
	}
	struct client *clients = calloc((size_t)max, sizeof(*clients));
	if (!clients) {
		ust_stack_destroy(st);
		return 1;
	}
	for (int i = 0; i < max; i++)
		clients[i].sd = -1;

	/* 2. A listening TCP socket: the POSIX calls, plus the stack argument. */
	int one = 1;
	int lsd = ust_socket(st, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				    .sin_addr.s_addr = htonl(INADDR_ANY) };
	if (lsd < 0 || ust_setsockopt(st, lsd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    ust_bind(st, lsd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || ust_listen(st, lsd, 128) < 0) {
		fprintf(stderr, "tcp_echo: listen on port %d: %s\n", port, strerror(errno));
		free(clients);
		ust_stack_destroy(st);
		return 1;
	}

	/* 3. An epoll instance: ust_epoll_wait also runs the stack (frames, timers). The
	 * listener is tagged NULL, clients by their slot. */
	int ep = ust_epoll_create(st);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	ust_epoll_ctl(st, ep, EPOLL_CTL_ADD, lsd, &ev);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop) {
		struct epoll_event events[32];
		int n = ust_epoll_wait(st, ep, events, 32, 200);
		for (int i = 0; i < n; i++) {
			struct client *c = events[i].data.ptr;
			if (c) {
				if (c->sd >= 0)
					serve(st, ep, c);
				continue;
			}
			/* The listener: accept everything queued, while there are free slots. */
			for (;;) {
				struct client *slot = NULL;
				for (int k = 0; k < max && !slot; k++)
					if (clients[k].sd < 0)
						slot = &clients[k];
				if (!slot)
					break;	/* full: the rest wait in the backlog (level-triggered, so
						 * the listener is reported again until a slot frees) */
				int sd = ust_accept(st, lsd, NULL, NULL);
				if (sd < 0)
					break;	/* EAGAIN: none left */
				slot->sd = sd;
				slot->len = slot->off = 0;
				struct epoll_event cev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = slot };
				ust_epoll_ctl(st, ep, EPOLL_CTL_ADD, sd, &cev);
				serve(st, ep, slot);	/* data may have arrived with the handshake */
			}
		}
	}

	/* 4. Destroying the stack closes every socket (open connections are reset). */
	ust_stack_destroy(st);
	free(clients);
	return 0;
}
