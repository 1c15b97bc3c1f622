/*
 * ustack-perf: shared definitions. The program speaks iperf3's TCP test protocol (so Linux
 * iperf3 can be the client or the server on the other side) and has a connection-rate mode
 * (connect, send N bytes, close) with a matching sink server. See iperf3.c and rate.c.
 */
#ifndef USTACK_PERF_PERF_H
#define USTACK_PERF_PERF_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "transport.h"

struct perf_options {
	bool server;
	bool one_off;		/* -1: serve one test, then exit */
	bool reverse;		/* -R: server sends */
	bool json;		/* -J */
	bool rate;		/* --rate: connection-rate client */
	bool sink;		/* --sink: connection-rate server */
	bool nodelay;		/* -N */
	const char *congestion;	/* -C */
	struct sockaddr_in peer;	/* -c HOST, -p PORT */
	uint16_t port;
	double seconds;		/* -t */
	uint64_t bytes;		/* -n (0: use -t) */
	uint32_t len;		/* -l */
	int parallel;		/* -P */
	double interval;	/* -i (0: no interval reports) */
};

/* Set by SIGINT/SIGTERM: every loop returns cleanly so the stack can be destroyed. */
extern volatile sig_atomic_t perf_stop;

double perf_now(void);
/* "1.10 GBytes", "943 Mbits/sec" in iperf3's style. */
void perf_format_bytes(char *out, size_t size, double bytes);
void perf_format_rate(char *out, size_t size, double bits_per_second);

int perf_iperf3_client(struct perf_transport *t, const struct perf_options *o);
int perf_iperf3_server(struct perf_transport *t, const struct perf_options *o);
int perf_rate_client(struct perf_transport *t, const struct perf_options *o);
int perf_sink_server(struct perf_transport *t, const struct perf_options *o);

#endif
