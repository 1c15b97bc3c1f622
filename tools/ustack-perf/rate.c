/*
 * ustack-perf connection-rate mode: each of -P slots loops "connect, send -n bytes, half-close,
 * wait for the server's close, close" for -t seconds; the report is completed connections
 * per second. The sink server (--sink) accepts, reads to end of stream, and closes.
 * Waiting for the server's close means every counted connection delivered its bytes.
 */
#include "perf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE_SLOTS_MAX 1024
#define EVENTS_MAX 128

enum slot_state { SLOT_IDLE, SLOT_CONNECTING, SLOT_SENDING, SLOT_DRAINING };

struct rate_slot {
	int sd;
	enum slot_state state;
	uint64_t sent;
};

struct rate_client {
	struct perf_transport *t;
	const struct perf_options *o;
	struct rate_slot slots[RATE_SLOTS_MAX];
	uint8_t *payload;
	uint64_t completed;
	uint64_t failed;
	uint64_t bytes;
	bool stopping;
};

static struct rate_slot *slot_by_sd(struct rate_client *c, int sd)
{
	for (int i = 0; i < c->o->parallel; i++)
		if (c->slots[i].state != SLOT_IDLE && c->slots[i].sd == sd)
			return &c->slots[i];
	return NULL;
}

static void slot_close(struct rate_client *c, struct rate_slot *s, bool ok)
{
	pt_unwatch(c->t, s->sd);
	pt_close(c->t, s->sd);
	s->state = SLOT_IDLE;
	if (ok) {
		c->completed++;
		c->bytes += s->sent;
	} else {
		c->failed++;
	}
}

static void slot_start(struct rate_client *c, struct rate_slot *s)
{
	s->sd = pt_tcp_socket(c->t);
	s->sent = 0;
	if (s->sd < 0) {
		c->failed++;
		return;
	}
	if (pt_connect(c->t, s->sd, &c->o->peer) < 0 && errno != EINPROGRESS) {
		pt_close(c->t, s->sd);
		c->failed++;
		return;
	}
	s->state = SLOT_CONNECTING;
	pt_watch(c->t, s->sd, EPOLLOUT, 1);
}

static void slot_send(struct rate_client *c, struct rate_slot *s)
{
	uint64_t want = c->o->bytes;

	while (s->sent < want) {
		size_t chunk = (size_t)(want - s->sent);
		ssize_t n = pt_write(c->t, s->sd, c->payload, chunk);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				slot_close(c, s, false);
			return;
		}
		s->sent += (uint64_t)n;
	}
	pt_shutdown_write(c->t, s->sd);
	s->state = SLOT_DRAINING;
	pt_watch(c->t, s->sd, EPOLLIN, 0);
}

static void slot_event(struct rate_client *c, struct rate_slot *s, unsigned events)
{
	uint8_t tmp[512];

	switch (s->state) {
	case SLOT_CONNECTING:
		if (pt_sockerror(c->t, s->sd) != 0) {
			slot_close(c, s, false);
			return;
		}
		s->state = SLOT_SENDING;
		slot_send(c, s);
		return;
	case SLOT_SENDING:
		if (events & EPOLLOUT)
			slot_send(c, s);
		return;
	case SLOT_DRAINING:
		for (;;) {
			ssize_t n = pt_read(c->t, s->sd, tmp, sizeof(tmp));
			if (n == 0) {
				slot_close(c, s, true);
				return;
			}
			if (n < 0) {
				if (errno != EAGAIN && errno != EWOULDBLOCK)
					slot_close(c, s, false);
				return;
			}
		}
	case SLOT_IDLE:
		return;
	}
}

int perf_rate_client(struct perf_transport *t, const struct perf_options *o)
{
	struct rate_client c = { .t = t, .o = o };
	struct epoll_event events[EVENTS_MAX];

	if (o->parallel > RATE_SLOTS_MAX) {
		fprintf(stderr, "ustack-perf: -P: at most %d concurrent connections in --rate mode\n", RATE_SLOTS_MAX);
		return 2;
	}
	c.payload = calloc(1, o->bytes ? o->bytes : 1);
	if (!c.payload)
		return 1;
	for (uint64_t i = 0; i < o->bytes; i++)
		c.payload[i] = (uint8_t)('a' + i % 26);

	double start = perf_now(), end = start + o->seconds;
	for (int i = 0; i < o->parallel; i++)
		slot_start(&c, &c.slots[i]);
	while (!perf_stop) {
		double now = perf_now();
		int active = 0;
		if (now >= end)
			c.stopping = true;
		for (int i = 0; i < o->parallel; i++) {
			if (c.slots[i].state == SLOT_IDLE && !c.stopping)
				slot_start(&c, &c.slots[i]);
			active += c.slots[i].state != SLOT_IDLE;
		}
		if (c.stopping && active == 0)
			break;
		/* Give connections in flight at most 5 s to finish after the end. */
		if (c.stopping && now > end + 5.0)
			break;
		int n = pt_wait(t, events, EVENTS_MAX, 50);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			struct rate_slot *s = slot_by_sd(&c, events[i].data.fd);
			if (s)
				slot_event(&c, s, events[i].events);
		}
	}
	double elapsed = perf_now() - start;
	for (int i = 0; i < o->parallel; i++)
		if (c.slots[i].state != SLOT_IDLE)
			slot_close(&c, &c.slots[i], false);
	if (o->json) {
		printf("{\"connections\": %llu, \"failed\": %llu, \"seconds\": %.6f, "
		       "\"connections_per_second\": %.1f, \"bytes\": %llu, \"concurrency\": %d, \"payload\": %llu}\n",
		       (unsigned long long)c.completed, (unsigned long long)c.failed, elapsed,
		       c.completed / elapsed, (unsigned long long)c.bytes, o->parallel,
		       (unsigned long long)o->bytes);
	} else {
		printf("%llu connections in %.2f s with %d concurrent (%llu bytes each): %.1f connections/s, "
		       "%llu failed\n",
		       (unsigned long long)c.completed, elapsed, o->parallel, (unsigned long long)o->bytes,
		       c.completed / elapsed, (unsigned long long)c.failed);
	}
	free(c.payload);
	return c.completed > 0 && c.failed == 0 ? 0 : 1;
}

int perf_sink_server(struct perf_transport *t, const struct perf_options *o)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(o->port) };
	struct epoll_event events[EVENTS_MAX];
	uint8_t buf[16384];
	uint64_t connections = 0, bytes = 0;
	int lsd = pt_listen(t, &addr, 1024);

	if (lsd < 0) {
		fprintf(stderr, "ustack-perf: --sink: listen on port %u: %s\n", o->port, strerror(errno));
		return 1;
	}
	pt_watch(t, lsd, EPOLLIN, 1);
	if (!o->json) {
		printf("Sink listening on %u\n", o->port);
		fflush(stdout);
	}
	double start = perf_now();
	while (!perf_stop && (o->seconds <= 0 || perf_now() - start < o->seconds)) {
		int n = pt_wait(t, events, EVENTS_MAX, 100);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			int sd = events[i].data.fd;
			if (sd == lsd) {
				int c;
				while ((c = pt_accept(t, lsd)) >= 0)
					pt_watch(t, c, EPOLLIN, 1);
				continue;
			}
			for (;;) {
				ssize_t r = pt_read(t, sd, buf, sizeof(buf));
				if (r > 0) {
					bytes += (uint64_t)r;
					continue;
				}
				if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
					if (r == 0)
						connections++;
					pt_unwatch(t, sd);
					pt_close(t, sd);
				}
				break;
			}
		}
	}
	pt_close(t, lsd);
	printf("sink: %llu connections, %llu bytes\n", (unsigned long long)connections,
	       (unsigned long long)bytes);
	return 0;
}
