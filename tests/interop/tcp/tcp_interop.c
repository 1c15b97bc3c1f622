/*
 * tcp_interop: ustack TCP against the Linux kernel's TCP over a TAP device (driven by
 * tcp_interop.sh inside a network namespace). Real time, public API only.
 *   tcp_interop tap:NAME [offload]
 * With "offload" the TAP device negotiates checksum offload and TSO (virtio-net header, 64 KiB
 * frame buffers): ustack then sends big segments and receives the kernel's GRO'ed ones.
 * Prints READY, waits for "go" on stdin (the script configures the kernel's side), then:
 *   1. client: connects to 10.77.0.1:6000 (a Linux echo server), sends 2 MB of a pattern
 *      while reading the echo back, compares, half-closes, expects EOF;
 *   2. server: listens on 10.77.0.2:5000 (prints LISTENING), accepts one Linux client and
 *      echoes everything until EOF, then closes.
 * Exit 0 when both worked.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/backend.h"
#include "net/tcp.h"
#include "ustack/socket.h"
#include "ustack/stack.h"

#define LEN (2u * 1024u * 1024u)
#define DEADLINE_NS (40ull * 1000000000ull)

static uint8_t pattern(size_t i)
{
	return (uint8_t)((i * 2654435761u) >> 13);
}

static struct sockaddr_in addr(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static int client(struct ust_stack *st)
{
	int sd = ust_socket(st, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = addr("10.77.0.1", 6000);
	if (ust_connect(st, sd, (struct sockaddr *)&a, sizeof(a)) == 0 || errno != EINPROGRESS) {
		perror("connect");
		return 1;
	}
	uint64_t end = ust_now() + DEADLINE_NS;
	struct sockaddr_in p;
	socklen_t pl = sizeof(p);
	while (ust_getpeername(st, sd, (struct sockaddr *)&p, &pl) != 0) {
		int e = 0;
		socklen_t el = sizeof(e);
		ust_getsockopt(st, sd, SOL_SOCKET, SO_ERROR, &e, &el);
		if (e || ust_now() > end) {
			fprintf(stderr, "client: connect failed: %s\n", e ? strerror(e) : "timeout");
			return 1;
		}
		ust_stack_run_once(st, 10);
		pl = sizeof(p);
	}
	static uint8_t out[65536], in[65536];
	size_t sent = 0, got = 0;
	bool shut = false, eof = false;
	while (!eof) {
		bool progress = false;
		if (sent < LEN) {
			size_t n = LEN - sent < sizeof(out) ? LEN - sent : sizeof(out);
			for (size_t i = 0; i < n; i++)
				out[i] = pattern(sent + i);
			ssize_t w = ust_write(st, sd, out, n);
			if (w > 0) {
				sent += (size_t)w;
				progress = true;
			}
		} else if (!shut) {
			ust_shutdown(st, sd, SHUT_WR);
			shut = true;
		}
		ssize_t r = ust_read(st, sd, in, sizeof(in));
		if (r > 0) {
			for (ssize_t i = 0; i < r; i++)
				if (in[i] != pattern(got + (size_t)i)) {
					fprintf(stderr, "client: byte %zu differs\n", got + (size_t)i);
					return 1;
				}
			got += (size_t)r;
			progress = true;
		} else if (r == 0) {
			eof = true;
		} else if (errno != EAGAIN) {
			perror("client read");
			return 1;
		}
		if (ust_now() > end) {
			fprintf(stderr, "client: timeout (sent %zu, echoed %zu)\n", sent, got);
			return 1;
		}
		if (!progress)
			ust_stack_run_once(st, 5);
	}
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	ust_getsockopt(st, sd, IPPROTO_TCP, TCP_INFO, &ti, &tl);
	printf("client: %zu bytes echoed intact; mss %u wscale %u/%u options 0x%x rtt %u us retrans %u\n", got,
	       ti.tcpi_snd_mss, ti.tcpi_snd_wscale, ti.tcpi_rcv_wscale, ti.tcpi_options, ti.tcpi_rtt,
	       ti.tcpi_total_retrans);
	ust_close(st, sd);
	return got == LEN ? 0 : 1;
}

static int server(struct ust_stack *st)
{
	int l = ust_socket(st, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = addr("0.0.0.0", 5000);
	if (ust_bind(st, l, (struct sockaddr *)&a, sizeof(a)) < 0 || ust_listen(st, l, 4) < 0) {
		perror("listen");
		return 1;
	}
	printf("LISTENING\n");
	fflush(stdout);
	uint64_t end = ust_now() + DEADLINE_NS;
	int c;
	while ((c = ust_accept(st, l, NULL, NULL)) < 0) {
		if (ust_now() > end) {
			fprintf(stderr, "server: nobody came\n");
			return 1;
		}
		ust_stack_run_once(st, 10);
	}
	static uint8_t buf[65536];
	size_t pend = 0, off = 0, total = 0;
	bool eof = false;
	while (!eof || pend) {
		bool progress = false;
		if (pend) {
			ssize_t w = ust_write(st, c, buf + off, pend);
			if (w > 0) {
				off += (size_t)w;
				pend -= (size_t)w;
				progress = true;
			}
		} else {
			off = 0;
			ssize_t r = ust_read(st, c, buf, sizeof(buf));
			if (r > 0) {
				pend = (size_t)r;
				total += (size_t)r;
				progress = true;
			} else if (r == 0) {
				eof = true;
			} else if (errno != EAGAIN) {
				perror("server read");
				return 1;
			}
		}
		if (ust_now() > end) {
			fprintf(stderr, "server: timeout after %zu bytes\n", total);
			return 1;
		}
		if (!progress)
			ust_stack_run_once(st, 5);
	}
	ust_close(st, c);
	printf("server: echoed %zu bytes\n", total);
	/* let the FIN exchange finish */
	uint64_t t = ust_now() + 500000000ull;
	while (ust_now() < t)
		ust_stack_run_once(st, 10);
	ust_close(st, l);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: tcp_interop tap:NAME\n");
		return 2;
	}
	struct ust_stack_config cfg = { .ifspec = argv[1], .ip = "10.77.0.2/24",
					.pcap = getenv("TCP_INTEROP_PCAP") };	/* for debugging */
	struct ust_stack *st;
	const char *why = NULL;
	int err;
	struct ust_pool *pool = NULL;
	bool offload = argc > 2 && strcmp(argv[2], "offload") == 0;
	if (offload) {
		struct ust_pool_config pc = { .count = 1024, .buf_size = 65536 + 256, .headroom = 128 };
		struct ust_backend_config bc = { .offload = true };
		struct ust_backend *be;
		err = ust_pool_create(&pool, &pc);
		if (!err)
			err = ust_backend_open(&be, argv[1], pool, &bc);
		if (!err)
			err = ust_stack_create_on(&st, be, &cfg, &why);
	} else {
		err = ust_stack_create(&st, &cfg, &why);
	}
	if (err) {
		fprintf(stderr, "stack: %s (%s)\n", why ? why : "?", strerror(-err));
		return 1;
	}
	printf("READY\n");
	fflush(stdout);
	char go[8];
	if (!fgets(go, sizeof(go), stdin))
		return 1;
	/* socket calls stamp segments with the time of the last poll: refresh it after idling */
	ust_stack_run_once(st, 0);
	int rc = client(st);
	if (rc == 0)
		rc = server(st);
	if (offload) {
		uint64_t tso = 0;
		ust_stack_counter(st, "tcp.tso_segments", &tso);
		printf("big segments sent: %llu\n", (unsigned long long)tso);
		if (tso == 0)
			rc = 1;
	}
	ust_stack_destroy(st);
	ust_pool_destroy(pool);
	return rc;
}
