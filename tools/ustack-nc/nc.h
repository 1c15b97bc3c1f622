/*
 * ustack-nc internals: the program state shared by the loop (nc.c) and the transports
 * (nc_udp.c, nc_tcp.c). A transport opens its sockets, moves data between the stack and
 * stdout / the outbound buffer on every turn of the loop, and says when it can take more.
 */
#ifndef USTACK_NC_H
#define USTACK_NC_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tool.h"

#define NC_BUF 65536u		/* one UDP datagram (65507) or one TCP chunk */
#define NC_UDP_MAX 65507u

struct nc;

struct nc_transport {
	const char *name;
	size_t max_chunk;			/* largest stdin read sent as one unit */
	int (*open)(struct nc *nc);		/* -1 after printing why */
	void (*poll)(struct nc *nc);		/* receive, accept/connect progress, flush out[] */
	bool (*can_send)(const struct nc *nc);	/* a peer exists and out[] may be refilled */
	void (*flush)(struct nc *nc);		/* try to send out[out_off, out_len) */
	void (*stdin_eof)(struct nc *nc);
	void (*close)(struct nc *nc);
};

extern const struct nc_transport nc_udp_ops;
extern const struct nc_transport nc_tcp_ops;

struct nc {
	struct ust_tool tool;
	const struct nc_transport *ops;
	/* options */
	bool udp, listen, keep, no_stdin, verbose, echo, quit_given;
	uint16_t lport;			/* -p / -l PORT (host order), 0: any */
	struct sockaddr_in raddr;	/* client: HOST PORT */
	uint64_t quit_after_ns;
	uint64_t wait_ns;		/* -w: connect / idle timeout, 0: none */
	bool shut_net;			/* -N: parsed, unused: TCP always half-closes on stdin EOF */
	bool reset_on_eof;		/* --reset: on stdin EOF abort with RST (SO_LINGER 0) */
	int ka_idle, ka_intvl, ka_cnt;	/* --keepalive IDLE,INTVL,CNT (0: off) */
	/* state */
	int sd;				/* data socket */
	int lsd;			/* TCP listening socket */
	int epd;			/* ust_epoll set (TCP) */
	bool have_peer, connected, peer_eof, shut_wr, done, failed;
	struct sockaddr_in peer;
	bool stdin_pollable, stdin_watched, stdin_readable, stdin_eof;
	uint64_t quit_at;		/* ust_now() clock; UINT64_MAX: never */
	uint8_t *out;			/* stdin (or echo) data waiting to go out */
	size_t out_len, out_off;
	uint8_t *in;			/* receive buffer */
	uint64_t bytes_in, bytes_out, chunks_in, chunks_out;
	/* TCP: stdout as a non-blocking fd (a pipe reopened through /proc), so a slow consumer
	 * never blocks the stack: what it cannot take waits in in[in_off, in_len) and the
	 * socket is not read meanwhile (the receive window closes, the peer probes it). */
	int out_fd;			/* fd written to: STDOUT_FILENO or the non-blocking reopen */
	bool out_nonblock, out_watched;
	size_t in_len, in_off;
	uint64_t last_activity;		/* ust_now() of the last byte moved (for -w) */
};

/* Write what the (non-blocking) stdout takes of in[in_off, in_len); -1 on error. */
int nc_flush_stdout(struct nc *nc);

/* Write all of buf to stdout; -1 after printing the error. */
int nc_write_stdout(struct nc *nc, const uint8_t *buf, size_t len);

#endif
