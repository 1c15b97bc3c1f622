/*
 * udp_echo: a complete UDP echo server on ustack's public API (docs/API.md walks through it).
 *
 *   udp_echo --if tap:ust0 --ip 10.0.0.2/24 [--gw 10.0.0.1] [--port 7] [--pcap FILE]
 *
 * It creates a stack on the interface, binds a UDP socket, and echoes every datagram back
 * to its sender, driving the stack through ust_epoll_wait until SIGINT/SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ustack/socket.h>
#include <ustack/stack.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: udp_echo --if SPEC --ip A.B.C.D/N [--gw A.B.C.D] [--mac MAC] [--port N] [--pcap FILE]\n");
}

int main(int argc, char **argv)
{
	struct ust_stack_config cfg = { 0 };
	int port = 7;
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
		else {
			usage(stderr);
			return 2;
		}
	}

	/* 1. A stack on the interface: it owns the device, the addresses and the buffers. */
	struct ust_stack *st;
	const char *why;
	int err = ust_stack_create(&st, &cfg, &why);
	if (err) {
		fprintf(stderr, "udp_echo: %s (%s)\n", why, strerror(-err));
		return 1;
	}

	/* 2. A UDP socket bound to the port: same calls as POSIX, plus the stack argument. */
	int sd = ust_socket(st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				    .sin_addr.s_addr = htonl(INADDR_ANY) };
	if (sd < 0 || ust_bind(st, sd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		fprintf(stderr, "udp_echo: bind port %d: %s\n", port, strerror(errno));
		ust_stack_destroy(st);
		return 1;
	}

	/* 3. An epoll instance: ust_epoll_wait also runs the stack (frames, timers). */
	int ep = ust_epoll_create(st);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = sd };
	ust_epoll_ctl(st, ep, EPOLL_CTL_ADD, sd, &ev);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	static char buf[65536];
	while (!stop) {
		struct epoll_event events[8];
		int n = ust_epoll_wait(st, ep, events, 8, 200);
		for (int i = 0; i < n; i++) {
			/* Level-triggered: read until EAGAIN or the next wait reports it again. */
			struct sockaddr_in from;
			socklen_t fromlen = sizeof(from);
			ssize_t len = ust_recvfrom(st, events[i].data.fd, buf, sizeof(buf), 0,
						   (struct sockaddr *)&from, &fromlen);
			if (len < 0)
				continue;	/* EAGAIN, or an ICMP error reported on this socket */
			ust_sendto(st, events[i].data.fd, buf, (size_t)len, 0, (struct sockaddr *)&from, fromlen);
		}
	}

	/* 4. Destroying the stack closes every socket and frees everything. */
	ust_stack_destroy(st);
	return 0;
}
