/*
 * Structure-aware TCP fuzz target. One stack (10.0.0.2, listener on port 80, backlog 2, plus
 * an active connect to 10.0.0.1:5000) sits on a pair link on a virtual clock; the fuzzer plays
 * the peer 10.0.0.1 on the other end with frames it builds itself (valid Ethernet/IPv4/TCP,
 * correct checksums, ARP answered), so segments get past the checksum and into the TCP state
 * machines. Sequence and acknowledgment numbers are chosen relative to what the peer learned
 * from the stack's own output (its ISN, SND.NXT, the last RCV.NXT it acknowledged, its window)
 * plus a fuzzed offset, so in-window, old, out-of-window and wrapped values all occur.
 *
 * Input: records, each decoding into one action (op = first byte % 10):
 *   0..2  segment on peer connection (byte & 3): flags, seq/ack base + offset, window,
 *         options (MSS, WS, SACK-permitted, SACK blocks, timestamps), payload length
 *   3,9   advance the virtual clock by 2^n ns (n < 36), or to the stack's next deadline
 *   4,5   application action on a socket: accept, read, write, shutdown, close, SO_LINGER 0,
 *         TCP_NODELAY, keepalive, SO_RCVBUF/SO_SNDBUF, TCP_MAXSEG, new connect, re-listen
 *   6     corrupted segment: bad checksum, truncated header, lying data offset, flipped
 *         header byte (the payload follows the changed header), IP total length short
 *   7     segment with raw (unknown / malformed) option bytes and a correct checksum
 *   8     ICMP error (unreachable, frag needed with an MTU, time exceeded) quoting a segment
 * Invariants (abort() on violation): the application reads exactly the peer's bytes in order
 * (payload byte at sequence s is a pure function of (peer port, s), the read check uses the
 * connection's IRS) and end of stream comes where the peer sent a FIN; every payload byte the
 * stack sends is one the application wrote at that stream offset (a pure function of (ports,
 * ISS, offset)) and its FIN follows the last byte written; its RCV.NXT (the ACK field) never
 * goes back; its TCP output parses with a valid checksum; SND.UNA <= SND.NXT <= SND.MAX; an
 * hour (virtual) after every socket was closed no TCB is left; after the stack is destroyed
 * the pools are whole (ASan/LSan catch leaks and bad accesses). FUZZ_TCPCONN_TRACE=1 prints
 * every segment, the TCBs and counters.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pktbuf.h"
#include "io/backend.h"
#include "net/stack.h"
#include "net/tcp.h"
#include "wire/arp.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"
#include "ustack/socket.h"
#include "ustack/stack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PEER_IP 0x0a000001u
#define STACK_IP 0x0a000002u
#define NCONN 4
#define NAPP 24

static const struct ust_eth_addr peer_mac = { { 0x02, 0, 0, 0, 0, 0x01 } };

/* What the peer knows about one of its connections (learned from the stack's output). */
struct pconn {
	uint16_t pport, sport;	/* peer's port, stack's port */
	uint32_t peer_iss, peer_nxt;	/* our ISN and the highest sequence we sent */
	uint32_t peer_ack;	/* last ACK we sent */
	uint32_t ts;		/* our timestamp clock */
	bool stk_known;
	uint32_t stk_iss, stk_nxt, stk_ack, stk_wnd, stk_tsval;
	bool ack_known;		/* ack_hi: last non-RST ACK of this connection (RCV.NXT never goes back) */
	uint32_t ack_hi;
	uint32_t fin_seq[32];	/* sequence numbers of the FINs we sent (for the EOF check) */
	unsigned nfin;
};

/* One application socket (kept after close: the stack may still retransmit its bytes). */
struct app {
	int sd;			/* -1 once closed */
	uint16_t lport, rport;
	bool have_iss, have_irs;
	uint32_t iss, irs;
	uint64_t written, read;
	bool eof;
};

struct fz {
	struct ust_stack *st;
	struct ust_backend *peer;
	struct ust_pool *pool;	/* the peer's */
	struct ust_eth_addr stack_mac;
	uint64_t now;
	const uint8_t *in;
	size_t len, off;
	int lsd;
	struct pconn c[NCONN];
	struct app a[NAPP];
	unsigned napp;
	bool trace;		/* FUZZ_TCPCONN_TRACE set: print what goes over the link (for seeds, repros) */
};

static uint8_t get8(struct fz *f)
{
	return f->off < f->len ? f->in[f->off++] : 0;
}

static uint16_t get16(struct fz *f)
{
	uint16_t hi = get8(f);
	return (uint16_t)(hi << 8 | get8(f));
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 32);
}

/* The peer's byte at sequence number seq on its port pport. */
static uint8_t peer_byte(uint16_t pport, uint32_t seq)
{
	return (uint8_t)mix64((uint64_t)pport << 32 | seq);
}

/* The application's byte at stream offset off on the connection (lport, rport, iss). */
static uint8_t app_byte(uint16_t lport, uint16_t rport, uint32_t iss, uint64_t off)
{
	return (uint8_t)mix64(mix64((uint64_t)lport << 48 | (uint64_t)rport << 32 | iss) + off);
}

static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static void send_frame(struct fz *f, const uint8_t *l4, size_t l4len, size_t ip_total_extra)
{
	struct ust_pkt *pkt = ust_pkt_alloc(f->pool);
	if (!pkt)
		return;
	uint8_t *p = ust_pkt_put(f->pool, pkt, (uint32_t)(14 + 20 + l4len));
	struct ust_eth_repr e = { .dst = f->stack_mac, .src = peer_mac, .ethertype = UST_ETHERTYPE_IPV4 };
	ust_eth_emit(&e, p, 14);
	struct ust_ipv4_repr ip = { .src = PEER_IP, .dst = STACK_IP, .protocol = UST_IPPROTO_TCP, .ttl = 64,
				    .header_len = 20, .total_len = (uint16_t)(20 + l4len - ip_total_extra) };
	ust_ipv4_emit(&ip, p + 14, 20);
	memcpy(p + 34, l4, l4len);
	if (f->trace)
		fprintf(stderr, "peer %u->%u flags %02x seq %u ack %u len %zu\n", ust_get_be16(l4), ust_get_be16(l4 + 2),
			l4len > 13 ? l4[13] : 0, l4len >= 8 ? ust_get_be32(l4 + 4) : 0,
			l4len >= 12 ? ust_get_be32(l4 + 8) : 0, l4len);
	ust_backend_tx(f->peer, &pkt, 1, f->now);
}

static void fix_csum(uint8_t *l4, size_t len)
{
	ust_put_be16(l4 + 16, 0);
	uint32_t sum = ust_csum_pseudo_ipv4(PEER_IP, STACK_IP, UST_IPPROTO_TCP, (uint16_t)len);
	ust_put_be16(l4 + 16, ust_csum_fold(ust_csum_partial(l4, len, sum)));
}

/* A TCP segment from the stack: check its payload, learn its numbers. */
static void peer_tcp_rx(struct fz *f, const struct ust_ipv4_repr *ip)
{
	struct ust_tcp_repr t;
	if (ust_tcp_parse(ip->payload, ip->payload_len, ip->src, ip->dst, 0, &t) != UST_WIRE_OK) {
		fprintf(stderr, "fuzz_tcpconn: the stack sent a TCP segment that does not parse\n");
		abort();
	}
	uint32_t dseq = t.seq + ((t.flags & UST_TCP_SYN) ? 1 : 0);
	if (f->trace)
		fprintf(stderr, "  stack %u->%u flags %02x seq %u ack %u win %u len %zu\n", t.src_port, t.dst_port,
			t.flags, t.seq, t.ack, t.window, t.payload_len);
	if (t.payload_len) {
		/* Several candidates (same ports, different ISS) are possible: any full match will do. */
		bool ok = false;
		for (unsigned i = 0; i < f->napp && !ok; i++) {
			struct app *a = &f->a[i];
			if (!a->have_iss || a->lport != t.src_port || a->rport != t.dst_port)
				continue;
			uint32_t off = dseq - a->iss - 1;
			if ((uint64_t)off + t.payload_len > a->written)
				continue;
			ok = true;
			for (size_t k = 0; k < t.payload_len && ok; k++)
				ok = t.payload[k] == app_byte(a->lport, a->rport, a->iss, (uint64_t)off + k);
		}
		if (!ok) {
			fprintf(stderr, "fuzz_tcpconn: the stack sent %zu bytes at seq %u on %u->%u the application never wrote there\n",
				t.payload_len, dseq, t.src_port, t.dst_port);
			abort();
		}
	}
	if (t.flags & UST_TCP_FIN) {
		/* The FIN comes right after the last byte the application wrote, never inside them. */
		uint32_t fseq = dseq + (uint32_t)t.payload_len;
		bool inside = false, exact = false;
		for (unsigned i = 0; i < f->napp; i++) {
			struct app *a = &f->a[i];
			if (!a->have_iss || a->lport != t.src_port || a->rport != t.dst_port)
				continue;
			uint32_t off = fseq - a->iss - 1;
			exact |= off == a->written;
			inside |= off < a->written;
		}
		if (inside && !exact) {
			fprintf(stderr, "fuzz_tcpconn: FIN at seq %u on %u->%u before the end of what was written\n", fseq,
				t.src_port, t.dst_port);
			abort();
		}
	}
	for (int i = 0; i < NCONN; i++) {
		struct pconn *c = &f->c[i];
		if (c->pport != t.dst_port || c->sport != t.src_port)
			continue;
		uint32_t end = dseq + (uint32_t)t.payload_len + ((t.flags & UST_TCP_FIN) ? 1 : 0);
		if (t.flags & UST_TCP_SYN)
			c->ack_known = false;	/* a new connection (or its first SYN-ACK) */
		if ((t.flags & (UST_TCP_ACK | UST_TCP_RST)) == UST_TCP_ACK) {
			if (c->ack_known && seq_lt(t.ack, c->ack_hi)) {
				fprintf(stderr, "fuzz_tcpconn: %u->%u acknowledged %u after %u (RCV.NXT went back)\n",
					t.src_port, t.dst_port, t.ack, c->ack_hi);
				abort();
			}
			c->ack_known = true;
			c->ack_hi = t.ack;
		}
		if (t.flags & UST_TCP_SYN) {
			c->stk_known = true;
			c->stk_iss = t.seq;
			c->stk_nxt = end;
		} else if (!c->stk_known || seq_lt(c->stk_nxt, end)) {
			c->stk_nxt = end;
		}
		if (t.flags & UST_TCP_ACK)
			c->stk_ack = t.ack;
		c->stk_wnd = t.window;
		if (t.opts.has_timestamp)
			c->stk_tsval = t.opts.ts_val;
	}
}

static void peer_arp_rx(struct fz *f, const uint8_t *p, size_t len)
{
	struct ust_arp_repr a;
	if (ust_arp_parse(p, len, &a) != UST_WIRE_OK || a.op != UST_ARP_OP_REQUEST || a.tpa != PEER_IP)
		return;
	struct ust_pkt *pkt = ust_pkt_alloc(f->pool);
	if (!pkt)
		return;
	uint8_t *o = ust_pkt_put(f->pool, pkt, 14 + UST_ARP_LEN);
	struct ust_eth_repr e = { .dst = a.sha, .src = peer_mac, .ethertype = UST_ETHERTYPE_ARP };
	ust_eth_emit(&e, o, 14);
	struct ust_arp_repr r = { .op = UST_ARP_OP_REPLY, .sha = peer_mac, .spa = PEER_IP, .tha = a.sha, .tpa = a.spa };
	ust_arp_emit(&r, o + 14, UST_ARP_LEN);
	ust_backend_tx(f->peer, &pkt, 1, f->now);
}

/* Everything the stack sent: check and learn; answer ARP. Runs until the link is quiet. */
static void peer_drain(struct fz *f)
{
	for (int round = 0; round < 8; round++) {
		struct ust_pkt *pkts[64];
		unsigned n = ust_backend_rx(f->peer, pkts, 64, f->now);
		if (n == 0)
			return;
		for (unsigned i = 0; i < n; i++) {
			const uint8_t *p = ust_pkt_data(f->pool, pkts[i]);
			size_t len = pkts[i]->len;
			struct ust_eth_repr e;
			if (ust_eth_parse(p, len, &e) != UST_WIRE_OK)
				continue;
			if (e.ethertype == UST_ETHERTYPE_ARP) {
				peer_arp_rx(f, p + 14, len - 14);
			} else if (e.ethertype == UST_ETHERTYPE_IPV4) {
				struct ust_ipv4_repr ip;
				if (ust_ipv4_parse(p + 14, len - 14, 0, &ip) == UST_WIRE_OK &&
				    ip.protocol == UST_IPPROTO_TCP && !ip.more_fragments && ip.frag_offset == 0)
					peer_tcp_rx(f, &ip);
			}
		}
		ust_pkt_free_batch(f->pool, pkts, n);
		ust_stack_poll(f->st, f->now);
	}
}

/* Application side: the socket's numbers (ISS for the write check, IRS for the read check). */
static void app_learn(struct fz *f, struct app *a)
{
	if (a->sd < 0 || (a->have_iss && a->have_irs))
		return;
	struct ust__tcb *t = ust__tcp_tcb(f->st, a->sd);
	if (!t)
		return;
	if (!a->have_iss && t->state >= UST_TCPS_SYN_SENT) {
		a->have_iss = true;
		a->iss = t->iss;
	}
	if (!a->have_irs && t->state >= UST_TCPS_SYN_RECEIVED) {
		a->have_irs = true;
		a->irs = t->irs;
	}
}

static struct app *app_add(struct fz *f, int sd)
{
	if (f->napp == NAPP) {
		ust_close(f->st, sd);
		return NULL;
	}
	struct app *a = &f->a[f->napp++];
	memset(a, 0, sizeof(*a));
	a->sd = sd;
	struct sockaddr_in l, r;
	socklen_t ll = sizeof(l), rl = sizeof(r);
	if (ust_getsockname(f->st, sd, (struct sockaddr *)&l, &ll) == 0)
		a->lport = ntohs(l.sin_port);
	if (ust_getpeername(f->st, sd, (struct sockaddr *)&r, &rl) == 0)
		a->rport = ntohs(r.sin_port);
	app_learn(f, a);
	return a;
}

static void app_connect(struct fz *f)
{
	int sd = ust_socket(f->st, AF_INET, SOCK_STREAM, 0);
	if (sd < 0)
		return;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(5000), .sin_addr.s_addr = htonl(PEER_IP) };
	ust_connect(f->st, sd, (struct sockaddr *)&to, sizeof(to));
	struct app *a = app_add(f, sd);
	if (!a)
		return;
	a->rport = 5000;	/* getpeername fails until the handshake completes */
	/* Connection 0 now follows this socket. */
	struct pconn *c = &f->c[0];
	c->sport = a->lport;
	c->stk_known = false;
	c->ack_known = false;
}

/*
 * End of stream after a FIN: the peer must have sent a FIN right after the last byte read
 * (a FIN taken beyond a hole would cut the stream short). Reset and SHUT_RD also read 0.
 */
static void check_eof(struct fz *f, struct app *a)
{
	struct ust__tcb *t = ust__tcp_tcb(f->st, a->sd);
	if (!t || !a->have_irs || !(t->flags & UST_TF_RCVD_FIN) || (t->flags & (UST_TF_RESET | UST_TF_SHUT_RD)))
		return;
	uint32_t want = a->irs + 1 + (uint32_t)a->read;
	for (int i = 0; i < NCONN; i++) {
		struct pconn *c = &f->c[i];
		if (c->pport != a->rport)
			continue;	/* not the stack's port: connection 0 moves to each new connect */
		if (c->nfin > 32)
			return;	/* too many to remember */
		for (unsigned k = 0; k < c->nfin; k++)
			if (c->fin_seq[k] == want)
				return;
	}
	fprintf(stderr, "fuzz_tcpconn: EOF after %llu bytes on %u<-%u but no FIN was sent at seq %u\n",
		(unsigned long long)a->read, a->lport, a->rport, want);
	abort();
}

static void app_read(struct fz *f, struct app *a, size_t want)
{
	static uint8_t buf[8192];
	if (want > sizeof(buf))
		want = sizeof(buf);
	ssize_t n = ust_read(f->st, a->sd, buf, want);
	if (n == 0 && !a->eof)
		check_eof(f, a);
	if (n == 0)
		a->eof = true;
	if (n <= 0)
		return;
	if (a->eof) {
		fprintf(stderr, "fuzz_tcpconn: data after EOF\n");
		abort();
	}
	app_learn(f, a);
	if (!a->have_irs)
		abort();	/* data on a socket that never synchronized */
	for (ssize_t k = 0; k < n; k++) {
		uint32_t seq = a->irs + 1 + (uint32_t)(a->read + (uint64_t)k);
		if (buf[k] != peer_byte(a->rport, seq)) {
			fprintf(stderr, "fuzz_tcpconn: read byte %llu (seq %u) differs from what the peer sent\n",
				(unsigned long long)(a->read + (uint64_t)k), seq);
			abort();
		}
	}
	a->read += (uint64_t)n;
}

static void app_write(struct fz *f, struct app *a, size_t n)
{
	static uint8_t buf[8192];
	app_learn(f, a);
	if (!a->have_iss || n == 0)
		return;
	if (n > sizeof(buf))
		n = sizeof(buf);
	for (size_t k = 0; k < n; k++)
		buf[k] = app_byte(a->lport, a->rport, a->iss, a->written + k);
	ssize_t w = ust_write(f->st, a->sd, buf, n);
	if (w > 0)
		a->written += (uint64_t)w;
}

static void app_action(struct fz *f)
{
	uint8_t which = get8(f), op = get8(f), arg = get8(f);
	if (op % 16 == 0) {
		int sd = ust_accept(f->st, f->lsd, NULL, NULL);
		if (sd >= 0)
			app_add(f, sd);
		return;
	}
	if (op % 16 == 9) {
		app_connect(f);
		return;
	}
	if (op % 16 == 10) {	/* close the listener and listen again */
		ust_close(f->st, f->lsd);
		f->lsd = ust_socket(f->st, AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a80 = { .sin_family = AF_INET, .sin_port = htons(80) };
		ust_bind(f->st, f->lsd, (struct sockaddr *)&a80, sizeof(a80));
		ust_listen(f->st, f->lsd, 1 + arg % 3);
		return;
	}
	if (f->napp == 0)
		return;
	struct app *a = &f->a[which % f->napp];
	if (a->sd < 0)
		return;
	int one = 1;
	switch (op % 16) {
	case 1: app_read(f, a, (size_t)arg * 32 + 1); break;
	case 2: case 12: app_write(f, a, (size_t)arg * 37 + 1); break;
	case 3: ust_shutdown(f->st, a->sd, SHUT_WR); break;
	case 4: ust_shutdown(f->st, a->sd, arg & 1 ? SHUT_RDWR : SHUT_RD); break;
	case 5: case 13:
		app_learn(f, a);
		ust_close(f->st, a->sd);
		a->sd = -1;
		break;
	case 6: {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };
		ust_setsockopt(f->st, a->sd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		break;
	}
	case 7: {
		int v = arg & 1;
		ust_setsockopt(f->st, a->sd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v));
		break;
	}
	case 8: {
		int idle = 1 + arg % 4, cnt = 1 + (arg >> 4) % 3;
		ust_setsockopt(f->st, a->sd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		ust_setsockopt(f->st, a->sd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
		ust_setsockopt(f->st, a->sd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof(idle));
		ust_setsockopt(f->st, a->sd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
		break;
	}
	case 14: {	/* small buffers: zero windows, persist, a full send queue */
		int v = 512 + arg * 64;
		ust_setsockopt(f->st, a->sd, SOL_SOCKET, (arg & 1) ? SO_SNDBUF : SO_RCVBUF, &v, sizeof(v));
		break;
	}
	case 15: {
		int v = 64 + arg * 8;
		ust_setsockopt(f->st, a->sd, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof(v));
		break;
	}
	default: app_read(f, a, 65536); break;
	}
}

static uint32_t scaled(uint16_t v, unsigned scale)
{
	static const unsigned shift[4] = { 0, 4, 16, 24 };
	return (uint32_t)(int32_t)(int16_t)v << shift[scale & 3];
}

/*
 * Build one segment from the input into l4 (at least 60 + 1460 bytes); returns its length.
 * Also records what the peer sent (its SND.NXT, the last ACK).
 */
static size_t build_segment(struct fz *f, uint8_t *l4, struct pconn **out)
{
	uint8_t b0 = get8(f), flags = get8(f);
	uint16_t soff = get16(f), aoff = get16(f);
	uint8_t scales = get8(f), win = get8(f), optm = get8(f), plen = get8(f);
	struct pconn *c = &f->c[b0 & 3];
	*out = c;
	uint32_t seq, ack;
	switch ((b0 >> 2) & 3) {
	case 0: seq = c->stk_ack; break;
	case 1: seq = c->peer_nxt; break;
	case 2: seq = c->peer_iss; break;
	default: seq = c->stk_ack + ((uint32_t)c->stk_wnd << 2); break;
	}
	seq += scaled(soff, scales);
	switch ((b0 >> 4) & 3) {
	case 0: ack = c->stk_nxt; break;
	case 1: ack = c->stk_iss + 1; break;
	case 2: ack = c->peer_ack; break;
	default: ack = 0; break;
	}
	ack += scaled(aoff, scales >> 2);
	/* Common flag shapes are more likely than the raw byte alone would make them. */
	if ((b0 >> 6) == 0)
		flags = (uint8_t)(UST_TCP_ACK | (flags & (UST_TCP_PSH | UST_TCP_FIN)));
	else if ((b0 >> 6) == 1)
		flags &= (uint8_t)(UST_TCP_SYN | UST_TCP_ACK | UST_TCP_RST | UST_TCP_FIN | UST_TCP_PSH);

	struct ust_tcp_repr r = { .src_port = c->pport, .dst_port = c->sport, .seq = seq, .ack = ack,
				  .flags = flags, .window = (uint16_t)(win * 257u), .urgent = (scales & 0x80) ? soff : 0 };
	if (optm & 1) {
		r.opts.has_mss = true;
		r.opts.mss = (uint16_t)(get8(f) * 8u);
	}
	if (optm & 2) {
		r.opts.has_wscale = true;
		r.opts.wscale = get8(f) & 15;
	}
	if (optm & 4)
		r.opts.sack_permitted = true;
	if (optm & 8) {
		r.opts.has_timestamp = true;
		uint8_t d = get8(f);
		c->ts += (d & 0x80) ? (uint32_t)(d & 0x7f) << 20 : d;	/* sometimes a big jump */
		r.opts.ts_val = (optm & 0x40) ? c->ts - 0x80000000u : c->ts;
		r.opts.ts_ecr = c->stk_tsval + (uint32_t)(int8_t)get8(f);
	}
	if (optm & 16) {
		unsigned n = 1 + (get8(f) & 3);
		for (unsigned i = 0; i < n; i++) {
			uint32_t s = c->stk_iss + 1 + scaled(get16(f), get8(f));
			r.opts.sack[i].start = s;
			r.opts.sack[i].end = s + (uint32_t)get8(f) * 16;
		}
		r.opts.sack_count = (uint8_t)n;
	}
	size_t hl = ust_tcp_header_len(&r.opts);
	size_t n = (optm & 0x20) ? (size_t)plen * 8 : plen;
	if (n > 1480 - hl)
		n = 1480 - hl;	/* the IP datagram fits the 1500-byte MTU */
	for (size_t k = 0; k < n; k++)
		l4[hl + k] = peer_byte(c->pport, seq + (uint32_t)k + ((flags & UST_TCP_SYN) ? 1 : 0));
	r.payload = l4 + hl;
	r.payload_len = n;
	if (ust_tcp_emit(&r, PEER_IP, STACK_IP, false, l4, hl + n) != UST_WIRE_OK)
		return 0;
	uint32_t end = seq + (uint32_t)n + ((flags & UST_TCP_SYN) ? 1 : 0) + ((flags & UST_TCP_FIN) ? 1 : 0);
	if (seq_lt(c->peer_nxt, end) && (uint32_t)(end - c->peer_nxt) < 0x10000000u)
		c->peer_nxt = end;
	if (flags & UST_TCP_ACK)
		c->peer_ack = ack;
	return hl + n;
}

/*
 * After a header byte was changed (sequence number, flags, data offset), make the payload what
 * the changed header says the peer sends: the bytes after the (new) data offset are the peer's
 * stream at the (new) sequence number. Otherwise a lying data offset would turn option bytes
 * into "data" the model never sent, and the read check would blame the stack.
 */
static void reconcile_payload(uint8_t *l4, size_t n, uint16_t pport)
{
	size_t hl = (size_t)(l4[12] >> 4) * 4;
	uint32_t seq = ust_get_be32(l4 + 4) + ((l4[13] & UST_TCP_SYN) ? 1 : 0);
	if (hl < UST_TCP_HDR_LEN || hl > n)
		return;	/* the stack drops it anyway */
	for (size_t k = hl; k < n; k++)
		l4[k] = peer_byte(pport, seq + (uint32_t)(k - hl));
}

/* Remember where a FIN we send sits (as the stack will see the segment). */
static void record_fin(struct pconn *c, const uint8_t *l4, size_t n)
{
	size_t hl = n >= UST_TCP_HDR_LEN ? (size_t)(l4[12] >> 4) * 4 : 0;
	if (n < UST_TCP_HDR_LEN || !(l4[13] & UST_TCP_FIN) || hl < UST_TCP_HDR_LEN || hl > n)
		return;
	uint32_t seq = ust_get_be32(l4 + 4) + ((l4[13] & UST_TCP_SYN) ? 1 : 0) + (uint32_t)(n - hl);
	if (c->nfin < 32)
		c->fin_seq[c->nfin] = seq;
	c->nfin++;
}

static void segment_action(struct fz *f, int kind)
{
	static uint8_t l4[2048];
	struct pconn *c;
	size_t n = build_segment(f, l4, &c);
	if (n == 0)
		return;
	if (kind == 1) {	/* corrupted */
		uint8_t how = get8(f), arg = get8(f);
		switch (how % 5) {
		case 0: l4[16] ^= (uint8_t)(arg | 1); break;
		case 1: n = arg % 20 < n ? arg % 20 : n; fix_csum(l4, n); break;
		case 2:
			l4[12] = (uint8_t)((arg & 0xf0) | (l4[12] & 0x0f));
			reconcile_payload(l4, n, c->pport);
			fix_csum(l4, n);
			break;
		case 3:
			l4[arg % 20] ^= get8(f);
			reconcile_payload(l4, n, c->pport);
			fix_csum(l4, n);
			break;
		default:	/* IP total length short: the stack sees fewer bytes */
			record_fin(c, l4, n - (size_t)(arg % 8));
			send_frame(f, l4, n, (size_t)(arg % 8));
			return;
		}
	} else if (kind == 2) {	/* raw options: replace the option area */
		uint8_t olen = get8(f) % 41;
		size_t hl = (size_t)(l4[12] >> 4) * 4;
		size_t pay = n - hl;
		size_t nhl = 20 + ((olen + 3u) & ~3u);
		memmove(l4 + nhl, l4 + hl, pay);
		for (size_t k = 20; k < nhl; k++)
			l4[k] = k - 20 < olen ? get8(f) : 0;
		l4[12] = (uint8_t)((nhl / 4) << 4 | (l4[12] & 0x0f));
		n = nhl + pay;
		fix_csum(l4, n);
	}
	record_fin(c, l4, n);
	send_frame(f, l4, n, 0);
}

/* An ICMP error from the peer quoting a segment the stack sent (unreachable, frag needed). */
static void icmp_action(struct fz *f)
{
	static const uint8_t tc[8][2] = { { 3, 0 }, { 3, 1 }, { 3, 3 }, { 3, 4 }, { 3, 4 }, { 11, 0 }, { 12, 0 }, { 3, 2 } };
	uint8_t b0 = get8(f), mtu = get8(f);
	uint16_t soff = get16(f);
	struct pconn *c = &f->c[b0 & 3];
	uint8_t m[8 + 28];
	memset(m, 0, sizeof(m));
	m[0] = tc[(b0 >> 2) & 7][0];
	m[1] = tc[(b0 >> 2) & 7][1];
	ust_put_be16(m + 6, (uint16_t)(mtu * 8u));
	struct ust_ipv4_repr q = { .src = STACK_IP, .dst = PEER_IP, .protocol = UST_IPPROTO_TCP, .ttl = 64,
				   .header_len = 20, .total_len = 1500 };
	ust_ipv4_emit(&q, m + 8, 20);
	ust_put_be16(m + 28, c->sport);
	ust_put_be16(m + 30, c->pport);
	ust_put_be32(m + 32, c->stk_nxt + scaled(soff, b0 >> 5));
	ust_put_be16(m + 2, ust_csum(m, sizeof(m)));
	struct ust_pkt *pkt = ust_pkt_alloc(f->pool);
	if (!pkt)
		return;
	uint8_t *p = ust_pkt_put(f->pool, pkt, 14 + 20 + sizeof(m));
	struct ust_eth_repr e = { .dst = f->stack_mac, .src = peer_mac, .ethertype = UST_ETHERTYPE_IPV4 };
	ust_eth_emit(&e, p, 14);
	struct ust_ipv4_repr ip = { .src = PEER_IP, .dst = STACK_IP, .protocol = UST_IPPROTO_ICMP, .ttl = 64,
				    .header_len = 20, .total_len = (uint16_t)(20 + sizeof(m)) };
	ust_ipv4_emit(&ip, p + 14, 20);
	memcpy(p + 34, m, sizeof(m));
	ust_backend_tx(f->peer, &pkt, 1, f->now);
}

static void clock_action(struct fz *f)
{
	uint8_t b = get8(f);
	if (b >= 0xf0) {
		uint64_t d = ust_stack_next_deadline(f->st);
		if (d > f->now && d != UINT64_MAX)
			f->now = d;
		else
			f->now += 1000000;
	} else {
		f->now += 1ull << (b % 36);
	}
}

static int print_counter(void *arg, const char *group, const char *name, uint64_t value)
{
	(void)arg;
	if (value)
		fprintf(stderr, "  counter %s.%s = %llu\n", group, name, (unsigned long long)value);
	return 0;
}

static void check_tcbs(struct fz *f)
{
	for (unsigned i = 0; i < f->napp; i++) {
		struct app *a = &f->a[i];
		if (a->sd < 0)
			continue;
		app_learn(f, a);
		struct ust__tcb *t = ust__tcp_tcb(f->st, a->sd);
		if (t && t->state >= UST_TCPS_SYN_SENT &&
		    (seq_lt(t->snd_nxt, t->snd_una) || seq_lt(t->snd_max, t->snd_nxt))) {
			fprintf(stderr, "fuzz_tcpconn: una %u nxt %u max %u out of order (state %d)\n", t->snd_una,
				t->snd_nxt, t->snd_max, t->state);
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz f;
	memset(&f, 0, sizeof(f));
	struct ust_pool *pool_b;
	struct ust_pool_config pc = { .count = 512, .buf_size = 2048, .headroom = 128 };
	if (ust_pool_create(&f.pool, &pc) || ust_pool_create(&pool_b, &pc))
		abort();
	struct ust_backend *end;
	struct ust_pair_config lc = { .mtu = 1500 };
	if (ust_pair_create(&f.peer, &end, f.pool, pool_b, &lc))
		abort();
	struct ust_stack_config cfg = { .ip = "10.0.0.2/24", .seed = 1, .tcp_msl_ms = 500 };
	if (ust_stack_create_on(&f.st, end, &cfg, NULL))
		abort();
	/* The ISN/cookie secret mixes in getrandom(): pin it so every run of an input is the same. */
	struct ust__tcp *tp = f.st->tcp;
	memset(tp->secret.bytes, 0x5a, sizeof(tp->secret.bytes));
	uint8_t mac[6];
	ust_stack_mac(f.st, mac);
	memcpy(f.stack_mac.b, mac, 6);
	f.in = data;
	f.trace = getenv("FUZZ_TCPCONN_TRACE") != NULL;
	f.len = size;
	f.now = 1000000000ull;
	ust_stack_poll(f.st, f.now);	/* the stack's clock starts at 0: set it before timers are armed */
	for (int i = 0; i < NCONN; i++) {
		f.c[i].pport = (uint16_t)(i == 0 ? 5000 : 40000 + i);
		f.c[i].sport = 80;
		f.c[i].peer_iss = f.c[i].peer_nxt = 0x1000000u * (uint32_t)(i + 1) + 12345u;
		f.c[i].ts = 1000u * (uint32_t)(i + 1);
	}
	f.lsd = ust_socket(f.st, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a80 = { .sin_family = AF_INET, .sin_port = htons(80) };
	if (ust_bind(f.st, f.lsd, (struct sockaddr *)&a80, sizeof(a80)) || ust_listen(f.st, f.lsd, 2))
		abort();
	app_connect(&f);
	ust_stack_poll(f.st, f.now);
	peer_drain(&f);

	for (int steps = 0; f.off < f.len && steps < 4096; steps++) {
		uint8_t op = get8(&f);
		switch (op % 10) {
		case 0: case 1: case 2: segment_action(&f, 0); break;
		case 3: case 9: clock_action(&f); break;
		case 4: case 5: app_action(&f); break;
		case 6: segment_action(&f, 1); break;
		case 7: segment_action(&f, 2); break;
		default: icmp_action(&f); break;
		}
		ust_stack_poll(f.st, f.now);
		peer_drain(&f);
		check_tcbs(&f);
	}
	/*
	 * Close everything and let an hour of virtual time pass with a silent peer: every TCB must
	 * go away on its own (FIN retransmissions give up, FIN_WAIT_2 and TIME_WAIT time out). A
	 * TCB still there is one no timer will ever free.
	 */
	if (f.trace)
		ust_stack_counters(f.st, print_counter, NULL);
	for (unsigned i = 0; i < f.napp; i++) {
		struct ust__tcb *t = f.a[i].sd >= 0 ? ust__tcp_tcb(f.st, f.a[i].sd) : NULL;
		if (f.trace && t)
			fprintf(stderr, "tcb %u: state %d una %u nxt %u max %u wnd %u rto_at %llu keep_at %llu flags %x unsent %u smss %u cwnd %u ccsmss %u\n", i,
				t->state, t->snd_una, t->snd_nxt, t->snd_max, t->snd_wnd, (unsigned long long)t->rto_at,
				(unsigned long long)t->keep_at, t->flags, ust__tcp_unsent(t), t->smss, t->cc.conn.cwnd, t->cc.conn.smss);
		if (f.a[i].sd >= 0)
			ust_close(f.st, f.a[i].sd);
	}
	ust_close(f.st, f.lsd);
	uint64_t quiet_end = f.now + 3600 * 1000000000ull;
	for (int i = 0; i < 100000; i++) {
		uint64_t d = ust_stack_next_deadline(f.st);
		if (d == UINT64_MAX || d > quiet_end)
			break;
		if (d > f.now)
			f.now = d;
		ust_stack_poll(f.st, f.now);
		peer_drain(&f);
	}
	if (tp->ntcb != 0) {
		fprintf(stderr, "fuzz_tcpconn: %u TCBs left an hour after every socket was closed\n", tp->ntcb);
		abort();
	}
	if (f.trace)
		for (unsigned i = 0; i < f.napp; i++)
			fprintf(stderr, "app %u: sd %d %u->%u written %llu read %llu eof %d\n", i, f.a[i].sd,
				f.a[i].lport, f.a[i].rport, (unsigned long long)f.a[i].written,
				(unsigned long long)f.a[i].read, f.a[i].eof);
	ust_stack_destroy(f.st);
	ust_backend_close(f.peer);
	if (ust_pool_available(f.pool) != f.pool->count || ust_pool_available(pool_b) != pool_b->count)
		abort();	/* a buffer outlived the stack */
	ust_pool_destroy(f.pool);
	ust_pool_destroy(pool_b);
	return 0;
}
