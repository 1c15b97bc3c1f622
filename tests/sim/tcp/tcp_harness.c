/* TCP simulation helpers (see tcp_harness.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_harness.h"
#include "wire/checksum.h"

int tsim_listen(struct ust_stack *st, uint16_t port, int backlog)
{
	int sd = ust_socket(st, AF_INET, SOCK_STREAM, 0);
	if (sd < 0)
		return -1;
	struct sockaddr_in a = sim_addr(0, port);
	if (ust_bind(st, sd, (struct sockaddr *)&a, sizeof(a)) < 0 || ust_listen(st, sd, backlog) < 0)
		return -1;
	return sd;
}

int tsim_connect(struct ust_stack *st, uint32_t ip, uint16_t port)
{
	int sd = ust_socket(st, AF_INET, SOCK_STREAM, 0);
	if (sd < 0)
		return -1;
	struct sockaddr_in a = sim_addr(ip, port);
	if (ust_connect(st, sd, (struct sockaddr *)&a, sizeof(a)) == 0 || errno != EINPROGRESS)
		return -1;
	return sd;
}

int tsim_accept(struct sim *s, struct ust_stack *st, int lsd, uint64_t max_ns)
{
	uint64_t end = s->now + max_ns;
	for (;;) {
		int c = ust_accept(st, lsd, NULL, NULL);
		if (c >= 0)
			return c;
		if (s->now >= end)
			return -1;
		sim_run(s, SIM_MS);
	}
}

void tsim_pair(struct sim *s, uint16_t port, int *c, int *d)
{
	int l = tsim_listen(s->b, port, 16);
	*c = tsim_connect(s->a, SIM_IP_B, port);
	*d = tsim_accept(s, s->b, l, 5 * SIM_SEC);
	sim_run(s, 10 * SIM_MS);
	ust_close(s->b, l);
}

uint32_t tsim_events(struct ust_stack *st, int sd)
{
	struct ust__sock *so = ust__sock_get(st, sd);
	uint32_t m = so->ops->poll(st, so);
	if (so->so_error)
		m |= EPOLLERR;
	return m;
}

int tsim_state(struct ust_stack *st, int sd)
{
	struct ust__tcb *t = ust__tcp_tcb(st, sd);
	return t ? t->state : -1;
}

int tsim_so_error(struct ust_stack *st, int sd)
{
	int e = 0;
	socklen_t l = sizeof(e);
	ust_getsockopt(st, sd, SOL_SOCKET, SO_ERROR, &e, &l);
	return e;
}

static uint64_t gen_word(uint32_t seed, uint64_t w)
{
	uint64_t x = (w + 1) * 0x9e3779b97f4a7c15ull ^ seed;
	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	return x ^ (x >> 32);
}

/* The stream's bytes [pos, pos + n): a pure function of (seed, offset). */
static void gen(uint32_t seed, uint64_t pos, uint8_t *out, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint64_t w = gen_word(seed, (pos + i) / 8);
		unsigned k = (unsigned)((pos + i) % 8);
		for (; k < 8 && i < n; k++, i++)
			out[i] = (uint8_t)(w >> (k * 8));
	}
}

/* FNV-1a over the stream in order (both ends see the bytes in the same order). */
static uint64_t mix(uint64_t sum, const uint8_t *p, size_t n, uint64_t pos)
{
	if (pos == 0 && sum == 0)
		sum = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		sum = (sum ^ p[i]) * 0x100000001b3ull;
	return sum;
}

static void step(struct ust_stack *stt, int t, struct ust_stack *str, int r, struct tsim_xfer *x)
{
	static uint8_t buf[65536];
	if (!x)
		return;
	while (x->sent < x->len) {
		size_t n = x->len - x->sent < sizeof(buf) ? (size_t)(x->len - x->sent) : sizeof(buf);
		struct ust__tcb *tcb = ust__tcp_tcb(stt, t);
		if (tcb && tcb->sndq.bytes >= tcb->sndbuf)
			break;	/* full: don't generate what write would refuse */
		if (tcb && tcb->sndbuf - tcb->sndq.bytes < n)
			n = (size_t)(tcb->sndbuf - tcb->sndq.bytes);
		gen(x->seed, x->sent, buf, n);
		ssize_t w = ust_write(stt, t, buf, n);
		if (w <= 0)
			break;
		x->sum_tx = mix(x->sum_tx, buf, (size_t)w, x->sent);
		x->sent += (uint64_t)w;
		if (x->sent == x->len && x->close_after)
			ust_shutdown(stt, t, SHUT_WR);
	}
	for (;;) {
		ssize_t n = ust_read(str, r, buf, sizeof(buf));
		if (n == 0) {
			x->eof = true;
			break;
		}
		if (n < 0)
			break;
		x->sum_rx = mix(x->sum_rx, buf, (size_t)n, x->rcvd);
		x->rcvd += (uint64_t)n;
	}
}

static bool done(const struct tsim_xfer *x)
{
	return !x || (x->rcvd == x->len && (!x->close_after || x->eof));
}

bool tsim_pump(struct sim *s, struct ust_stack *sta, int a, struct tsim_xfer *ab, struct ust_stack *stb, int b,
	       struct tsim_xfer *ba, uint64_t deadline)
{
	while (s->now < deadline) {
		step(sta, a, stb, b, ab);
		step(stb, b, sta, a, ba);
		if (done(ab) && done(ba))
			return true;
		if (getenv("TSIM_DEBUG") && s->now % (100 * SIM_MS) == 0) {
			struct ust__tcb *t = ust__tcp_tcb(sta, a);
			fprintf(stderr, "t=%.3f sent %llu rcvd %llu | a: st %d una %u nxt %u max %u wnd %u cwnd %u sndq %llu rto_at %llu flags %x\n",
				(double)s->now / 1e9, (unsigned long long)(ab ? ab->sent : 0), (unsigned long long)(ab ? ab->rcvd : 0),
				t->state, t->snd_una, t->snd_nxt, t->snd_max, t->snd_wnd, t->cc.conn.cwnd,
				(unsigned long long)t->sndq.bytes, (unsigned long long)t->rto_at, t->flags);
		}
		sim_run(s, SIM_MS);
	}
	return false;
}

void tsim_inject_raw(struct ust_stack *st, uint32_t src, uint32_t dst, const uint8_t *l4, size_t len)
{
	struct ust_pkt *pkt = ust_pkt_alloc(st->pools.small);
	if (!pkt)
		return;
	pkt->head = 128;
	uint8_t *p = ust_pkt_put(st->pools.small, pkt, (uint32_t)(20 + len));
	struct ust_ipv4_repr ip = { .src = src, .dst = dst, .protocol = UST_IPPROTO_TCP, .ttl = 64,
				    .header_len = 20, .total_len = (uint16_t)(20 + len) };
	ust_ipv4_emit(&ip, p, 20);
	memcpy(p + 20, l4, len);
	pkt->l3_offset = (uint16_t)pkt->head;
	ust_pkt_pull(pkt, 20);
	pkt->l4_offset = (uint16_t)pkt->head;
	ip.payload = ust_pkt_data(st->pools.small, pkt);
	ip.payload_len = (uint16_t)len;
	struct ust__ip_rx rx = { .ip = &ip, .now = st->now };
	ust__tcp_input(st, pkt, &rx);
	ust__stack_flush(st);
}

void tsim_inject(struct ust_stack *st, uint32_t src, uint32_t dst, const struct ust_tcp_repr *r,
		 const uint8_t *payload, size_t len)
{
	uint8_t buf[2048];
	size_t hl = ust_tcp_header_len(&r->opts);
	if (len)
		memcpy(buf + hl, payload, len);
	struct ust_tcp_repr c = *r;
	c.payload = buf + hl;
	c.payload_len = len;
	ust_tcp_emit(&c, src, dst, false, buf, hl + len);
	tsim_inject_raw(st, src, dst, buf, hl + len);
}
