/*
 * What a TCP application sees on the wire and through the API, on the pair link's virtual
 * clock (10 ms one way): Nagle coalescing small writes while data is unacknowledged and
 * TCP_NODELAY sending each at once (segments counted by the link hook); quick ACKs for the
 * first segments of a connection, then an ACK every second segment or after the 40 ms delayed
 * ACK timer; edge-triggered epoll; readv/writev; EADDRINUSE; SO_SNDBUF bounding what a write
 * may queue.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "net/tcp_seq.h"
#include "tcp_harness.h"

#define DELAY (10 * SIM_MS)

struct seg {
	uint64_t t;	/* when it entered the link (sent) */
	int dir;	/* 0: A -> B, 1: B -> A */
	uint8_t flags;
	uint32_t seq, ack, len;
};

static struct seg segs[4096];
static unsigned nsegs;

static unsigned log_hook(struct sim *s, int dir, struct ust_pool *pool, struct ust_pkt *pkt, uint64_t *delay_ns)
{
	(void)delay_ns;
	const uint8_t *f = ust_pkt_data(pool, pkt);
	if (pkt->len < 54 || f[12] != 0x08 || f[13] != 0x00 || f[23] != 6 || nsegs >= 4096)
		return 1;
	uint32_t ihl = (f[14] & 0xfu) * 4u, tot = ust_get_be16(f + 16);
	const uint8_t *t = f + 14 + ihl;
	uint32_t doff = (t[12] >> 4) * 4u;
	segs[nsegs++] = (struct seg){ .t = s->now, .dir = dir, .flags = t[13], .seq = ust_get_be32(t + 4),
				      .ack = ust_get_be32(t + 8), .len = tot - ihl - doff };
	return 1;
}

static void setup(struct sim *s, int *c, int *d)
{
	nsegs = 0;
	struct sim_opts o = { .impair = log_hook, .delay_ns = DELAY };
	assert_int_equal(sim_init(s, &o), 0);
	tsim_pair(s, 80, c, d);
	sim_run(s, 100 * SIM_MS);
	nsegs = 0;
}

static unsigned data_segments(int dir, unsigned from, uint32_t *total)
{
	unsigned n = 0;
	*total = 0;
	for (unsigned i = from; i < nsegs; i++)
		if (segs[i].dir == dir && segs[i].len) {
			n++;
			*total += segs[i].len;
		}
	return n;
}

static void small_writes(bool nodelay, unsigned *nseg, uint32_t *bytes, uint32_t *first_len)
{
	struct sim s;
	int c, d;
	setup(&s, &c, &d);
	int v = nodelay;
	assert_int_equal(ust_setsockopt(s.a, c, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(ust_write(s.a, c, "x", 1), 1);
	/* nothing acknowledged yet: still one round trip away */
	sim_run(&s, DELAY / 2);
	*first_len = 0;
	for (unsigned i = 0; i < nsegs; i++)
		if (segs[i].dir == 0 && segs[i].len) {
			*first_len = segs[i].len;
			break;
		}
	sim_run(&s, 200 * SIM_MS);
	*nseg = data_segments(0, 0, bytes);
	char buf[64];
	assert_int_equal(ust_read(s.b, d, buf, sizeof(buf)), 10);
	sim_fini(&s);
}

static void nagle_coalesces(void **state)
{
	(void)state;
	unsigned n;
	uint32_t bytes, first;
	/* Nagle (RFC 9293 3.7.4): the first byte leaves, the other nine wait for its ACK and then
	 * leave together */
	small_writes(false, &n, &bytes, &first);
	assert_int_equal(bytes, 10);
	assert_int_equal(first, 1);
	assert_int_equal(n, 2);
	/* TCP_NODELAY: every write is a segment of its own, at once */
	small_writes(true, &n, &bytes, &first);
	assert_int_equal(bytes, 10);
	assert_int_equal(n, 10);
}

/* Time from the data segment i (A -> B) to B's first ACK covering it, or UINT64_MAX. */
static uint64_t ack_delay(unsigned i)
{
	for (unsigned j = i + 1; j < nsegs; j++)
		if (segs[j].dir == 1 && (segs[j].flags & UST_TCP_ACK) &&
		    ust_seq_geq(segs[j].ack, segs[i].seq + segs[i].len))
			return segs[j].t - segs[i].t;
	return UINT64_MAX;
}

static void quick_then_delayed_acks(void **state)
{
	(void)state;
	struct sim s;
	int c, d;
	setup(&s, &c, &d);
	int one = 1;
	assert_int_equal(ust_setsockopt(s.a, c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	char buf[64];
	unsigned idx[24];
	for (int k = 0; k < 24; k++) {
		idx[k] = nsegs;
		assert_int_equal(ust_write(s.a, c, "0123456789", 10), 10);
		sim_run(&s, 100 * SIM_MS);
		assert_int_equal(ust_read(s.b, d, buf, sizeof(buf)), 10);
	}
	for (int k = 0; k < 24; k++) {
		assert_true(segs[idx[k]].dir == 0 && segs[idx[k]].len == 10);
		uint64_t dl = ack_delay(idx[k]);
		if (k < UST_TCP_QUICKACKS) {
			/* connection start: the ACK leaves the moment the segment arrives */
			assert_true(dl == DELAY);
		} else {
			/* a lone segment later: the delayed-ACK timer, 40 ms (one 1 ms tick of slack) */
			assert_true(dl >= DELAY + UST_TCP_DELACK_NS);
			assert_true(dl <= DELAY + UST_TCP_DELACK_NS + SIM_MS);
		}
	}
	/* two segments in a row: the second is ACKed at once (every second segment) */
	unsigned first = nsegs;
	assert_int_equal(ust_write(s.a, c, "abcde", 5), 5);
	assert_int_equal(ust_write(s.a, c, "fghij", 5), 5);
	sim_run(&s, 100 * SIM_MS);
	assert_true(segs[first].dir == 0 && segs[first + 1].dir == 0 && segs[first + 1].len == 5);
	assert_true(ack_delay(first + 1) == DELAY);
	unsigned acks = 0;
	for (unsigned j = first + 2; j < nsegs; j++)
		acks += segs[j].dir == 1;
	assert_int_equal(acks, 1);	/* one ACK for both */
	sim_fini(&s);
}

static void epoll_edge_triggered(void **state)
{
	(void)state;
	struct sim s;
	int c, d;
	setup(&s, &c, &d);
	int epb = ust_epoll_create(s.b);
	assert_true(epb >= 0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u32 = 7 };
	assert_int_equal(ust_epoll_ctl(s.b, epb, EPOLL_CTL_ADD, d, &ev), 0);
	struct epoll_event out[4];
	assert_int_equal(ust_epoll_collect(s.b, epb, out, 4), 0);	/* nothing yet */
	assert_int_equal(ust_write(s.a, c, "0123456789", 10), 10);
	sim_run(&s, 50 * SIM_MS);
	assert_int_equal(ust_epoll_collect(s.b, epb, out, 4), 1);
	assert_true(out[0].events & EPOLLIN);
	assert_int_equal(out[0].data.u32, 7);
	/* edge: data still unread, but no new arrival, so no new event */
	assert_int_equal(ust_epoll_collect(s.b, epb, out, 4), 0);
	char buf[64];
	assert_int_equal(ust_read(s.b, d, buf, 4), 4);
	assert_int_equal(ust_epoll_collect(s.b, epb, out, 4), 0);
	/* new data is a new edge */
	assert_int_equal(ust_write(s.a, c, "abc", 3), 3);
	sim_run(&s, 50 * SIM_MS);
	assert_int_equal(ust_epoll_collect(s.b, epb, out, 4), 1);
	assert_int_equal(ust_epoll_collect(s.b, epb, out, 4), 0);
	/* level-triggered again: reported on every call while data is unread */
	ev.events = EPOLLIN;
	assert_int_equal(ust_epoll_ctl(s.b, epb, EPOLL_CTL_MOD, d, &ev), 0);
	assert_int_equal(ust_epoll_collect(s.b, epb, out, 4), 1);
	assert_int_equal(ust_epoll_collect(s.b, epb, out, 4), 1);
	assert_int_equal(ust_read(s.b, d, buf, sizeof(buf)), 9);
	assert_int_equal(ust_epoll_collect(s.b, epb, out, 4), 0);

	/* EPOLLOUT edge on the sender: once when registered writable, again only after it was full */
	int epa = ust_epoll_create(s.a);
	struct epoll_event evo = { .events = EPOLLOUT | EPOLLET, .data.u32 = 9 };
	assert_int_equal(ust_epoll_ctl(s.a, epa, EPOLL_CTL_ADD, c, &evo), 0);
	assert_int_equal(ust_epoll_collect(s.a, epa, out, 4), 1);
	assert_true(out[0].events & EPOLLOUT);
	assert_int_equal(ust_epoll_collect(s.a, epa, out, 4), 0);
	static uint8_t big[65536];
	while (ust_write(s.a, c, big, sizeof(big)) > 0)
		;
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(ust_epoll_collect(s.a, epa, out, 4), 0);
	for (int i = 0; i < 200; i++) {
		while (ust_read(s.b, d, big, sizeof(big)) > 0)
			;
		sim_run(&s, 5 * SIM_MS);
	}
	assert_int_equal(ust_epoll_collect(s.a, epa, out, 4), 1);
	assert_true(out[0].events & EPOLLOUT);
	assert_int_equal(ust_epoll_collect(s.a, epa, out, 4), 0);
	ust_close(s.a, epa);
	ust_close(s.b, epb);
	sim_fini(&s);
}

static void readv_writev(void **state)
{
	(void)state;
	struct sim s;
	int c, d;
	setup(&s, &c, &d);
	struct iovec wv[3] = { { "hello", 5 }, { NULL, 0 }, { ", world", 7 } };
	assert_int_equal(ust_writev(s.a, c, wv, 3), 12);
	sim_run(&s, 50 * SIM_MS);
	char a[4], b[20];
	struct iovec rv[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	assert_int_equal(ust_readv(s.b, d, rv, 2), 12);
	assert_memory_equal(a, "hell", 4);
	assert_memory_equal(b, "o, world", 8);
	assert_int_equal(ust_readv(s.b, d, rv, 2), -1);
	assert_int_equal(errno, EAGAIN);
	/* a writev larger than the send buffer takes what fits, whole iovecs or not */
	int sz = 16384;
	assert_int_equal(ust_setsockopt(s.a, c, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)), 0);
	static uint8_t p1[10000], p2[10000];
	memset(p1, 1, sizeof(p1));
	memset(p2, 2, sizeof(p2));
	struct iovec big[2] = { { p1, sizeof(p1) }, { p2, sizeof(p2) } };
	ssize_t n = ust_writev(s.a, c, big, 2);
	assert_true(n > (ssize_t)sizeof(p1) && n < (ssize_t)(sizeof(p1) + sizeof(p2)));
	sim_run(&s, 100 * SIM_MS);
	static uint8_t r1[12000], r2[12000];
	struct iovec rb[2] = { { r1, sizeof(r1) }, { r2, sizeof(r2) } };
	assert_int_equal(ust_readv(s.b, d, rb, 2), n);
	assert_memory_equal(r1, p1, sizeof(p1));
	for (ssize_t i = 10000; i < n; i++)
		assert_int_equal(i < 12000 ? r1[i] : r2[i - 12000], 2);
	sim_fini(&s);
}

static void bind_conflicts(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int l = tsim_listen(s.b, 80, 8);
	assert_true(l >= 0);
	struct sockaddr_in any = sim_addr(0, 80), own = sim_addr(SIM_IP_B, 80);
	int x = ust_socket(s.b, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(ust_bind(s.b, x, (struct sockaddr *)&any, sizeof(any)), -1);
	assert_int_equal(errno, EADDRINUSE);
	assert_int_equal(ust_bind(s.b, x, (struct sockaddr *)&own, sizeof(own)), -1);
	assert_int_equal(errno, EADDRINUSE);
	/* a failed bind changed nothing: the socket still binds elsewhere and listens */
	struct sockaddr_in other = sim_addr(0, 81);
	assert_int_equal(ust_bind(s.b, x, (struct sockaddr *)&other, sizeof(other)), 0);
	assert_int_equal(ust_listen(s.b, x, 4), 0);
	/* UDP has its own port space */
	int u = sim_udp_socket(s.b, 80);
	assert_true(u >= 0);
	/* the listener still works */
	int c = tsim_connect(s.a, SIM_IP_B, 80);
	assert_true(tsim_accept(&s, s.b, l, SIM_SEC) >= 0);
	assert_true(c >= 0);
	/* once the listener is closed the port is free again */
	ust_close(s.b, l);
	int y = ust_socket(s.b, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(ust_bind(s.b, y, (struct sockaddr *)&any, sizeof(any)), 0);
	sim_fini(&s);
}

static void sndbuf_limits_queue(void **state)
{
	(void)state;
	struct sim s;
	int c, d;
	setup(&s, &c, &d);
	int sz = 20000;
	assert_int_equal(ust_setsockopt(s.a, c, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)), 0);
	int got = 0;
	socklen_t gl = sizeof(got);
	assert_int_equal(ust_getsockopt(s.a, c, SOL_SOCKET, SO_SNDBUF, &got, &gl), 0);
	assert_int_equal(got, sz);
	static uint8_t big[65536];
	uint64_t queued = 0;
	ssize_t n;
	while ((n = ust_write(s.a, c, big, sizeof(big))) > 0)
		queued += (uint64_t)n;
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(queued, (uint64_t)sz);	/* exactly the buffer, not a byte more */
	assert_false(tsim_events(s.a, c) & EPOLLOUT);
	/* the reader does not read: the peer's window fills, A's buffer stays at the limit */
	uint64_t more = 0;
	for (int i = 0; i < 100; i++) {
		while ((n = ust_write(s.a, c, big, sizeof(big))) > 0)
			more += (uint64_t)n;
		sim_run(&s, 10 * SIM_MS);
		assert_true(ust__tcp_tcb(s.a, c)->sndq.bytes <= (uint64_t)sz);
	}
	/* auto-tuning is off once SO_SNDBUF was set */
	assert_int_equal(ust__tcp_tcb(s.a, c)->sndbuf, (uint32_t)sz);
	printf("queued %llu, then %llu more while the peer's window filled\n", (unsigned long long)queued,
	       (unsigned long long)more);
	sim_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nagle_coalesces),
		cmocka_unit_test(quick_then_delayed_acks),
		cmocka_unit_test(epoll_edge_triggered),
		cmocka_unit_test(readv_writev),
		cmocka_unit_test(bind_conflicts),
		cmocka_unit_test(sndbuf_limits_queue),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
