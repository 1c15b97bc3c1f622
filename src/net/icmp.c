/*
 * ICMP: echo replies, echo sockets (Linux ping-socket semantics), errors we send (rate
 * limited by a token bucket) and errors we receive (delivered to the sending protocol).
 *   ust__ipv4_input -> icmp_input -> echo reply | echo socket queue | ip_protos[q].error
 *   ust_sendto(ICMP socket) -> icmp_send -> ust__ipv4_output
 * Owns the ICMP sockets' receive queues (through their struct ust__sock).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "core/util.h"
#include "net/stack.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/udp.h"

int ust__icmp_errno(uint8_t type, uint8_t code)
{
	if (type == UST_ICMP_TIME_EXCEEDED)
		return EHOSTUNREACH;
	if (type != UST_ICMP_DEST_UNREACH)
		return EPROTO;
	switch (code) {
	case UST_ICMP_UNREACH_NET: return ENETUNREACH;
	case UST_ICMP_UNREACH_HOST: return EHOSTUNREACH;
	case UST_ICMP_UNREACH_PROTOCOL: return ENOPROTOOPT;
	case UST_ICMP_UNREACH_PORT: return ECONNREFUSED;
	case UST_ICMP_UNREACH_FRAG_NEEDED: return EMSGSIZE;
	case 5: return EOPNOTSUPP;		/* source route failed */
	case 6: return ENETUNREACH;		/* destination network unknown */
	case 9: case 10: case 13: return EACCES;	/* administratively prohibited */
	default: return EHOSTUNREACH;
	}
}

/* Minimal view of a quoted header: it may be cut short, so ust_ipv4_parse would refuse it. */
struct quote {
	uint32_t src, dst;
	uint8_t proto;
	uint16_t frag_offset;	/* field value, in 8-byte units */
	const uint8_t *l4;
	size_t l4_len;
};

static bool quote_parse(const uint8_t *q, size_t len, struct quote *out)
{
	if (len < UST_IPV4_HDR_LEN || (q[0] >> 4) != 4)
		return false;
	size_t ihl = (size_t)(q[0] & 0xf) * 4;
	if (ihl < UST_IPV4_HDR_LEN || len < ihl + 8)
		return false;
	out->proto = q[9];
	out->frag_offset = ust_get_be16(q + 6) & 0x1fff;
	out->src = ust_get_be32(q + 12);
	out->dst = ust_get_be32(q + 16);
	out->l4 = q + ihl;
	out->l4_len = len - ihl;
	return true;
}

static bool rate_allow(struct ust_stack *st)
{
	uint64_t now = st->now;
	if (now > st->icmp_tokens_time) {
		st->icmp_tokens += (double)(now - st->icmp_tokens_time) / (double)UST_ICMP_RATE_INTERVAL_NS;
		if (st->icmp_tokens > UST_ICMP_RATE_BURST)
			st->icmp_tokens = UST_ICMP_RATE_BURST;
	}
	st->icmp_tokens_time = now;
	if (st->icmp_tokens < 1.0)
		return false;
	st->icmp_tokens -= 1.0;
	return true;
}

void ust__icmp_send_error(struct ust_stack *st, uint8_t type, uint8_t code, uint16_t mtu,
			  const uint8_t *quote, size_t quote_len, bool was_broadcast)
{
	struct quote q;
	if (!quote_parse(quote, quote_len, &q) || was_broadcast || q.frag_offset != 0 || q.src == 0 ||
	    ust__ipv4_is_broadcast(st, q.src) || (q.src >> 28) == 0xe || ust__ipv4_is_broadcast(st, q.dst) ||
	    (q.proto == UST_IPPROTO_ICMP && q.l4[0] != UST_ICMP_ECHO_REQUEST && q.l4[0] != UST_ICMP_ECHO_REPLY)) {
		st->icmp.tx_error_suppressed++;
		return;
	}
	if (!rate_allow(st)) {
		st->icmp.tx_rate_limited++;
		return;
	}
	size_t qlen = (size_t)(q.l4 - quote) + 8;	/* header + 8 bytes, as RFC 792 asks */
	struct ust_icmp_repr r = { .type = type, .code = code, .next_hop_mtu = mtu, .data = quote,
				   .data_len = qlen };
	size_t len = ust_icmp_len(&r);
	struct ust_pkt *pkt = ust__alloc_l4(st, len);
	if (!pkt) {
		st->icmp.tx_nobuf++;
		return;
	}
	uint8_t *p = ust_pkt_put(ust__pkt_pool(&st->pools, pkt), pkt, (uint32_t)len);
	ust_icmp_emit(&r, p, len);
	if (type == UST_ICMP_TIME_EXCEEDED)
		st->icmp.tx_time_exceeded++;
	else if (code == UST_ICMP_UNREACH_PORT)
		st->icmp.tx_port_unreach++;
	else if (code == UST_ICMP_UNREACH_PROTOCOL)
		st->icmp.tx_proto_unreach++;
	else if (code == UST_ICMP_UNREACH_FRAG_NEEDED)
		st->icmp.tx_frag_needed++;
	struct ust__ip_tx tx = { .dst = q.src, .protocol = UST_IPPROTO_ICMP, .tos = 0xc0 };
	(void)ust__ipv4_output(st, pkt, &tx);
}

static void echo_reply(struct ust_stack *st, struct ust_pkt *pkt, const struct ust__ip_rx *rx,
		       const struct ust_icmp_repr *m)
{
	struct ust_pool *pool = ust__pkt_pool(&st->pools, pkt);
	uint8_t *p = ust_pkt_data(pool, pkt);
	/* the request becomes the reply in place: same id, sequence and data */
	struct ust_icmp_repr r = { .type = UST_ICMP_ECHO_REPLY, .code = 0, .echo_id = m->echo_id,
				   .echo_seq = m->echo_seq, .data = p + UST_ICMP_HDR_LEN,
				   .data_len = m->data_len };
	ust_icmp_emit(&r, p, pkt->len);
	st->icmp.tx_echo_replies++;
	struct ust__ip_tx tx = { .dst = rx->ip->src, .protocol = UST_IPPROTO_ICMP, .tos = rx->ip->tos };
	(void)ust__ipv4_output(st, pkt, &tx);
}

static void echo_reply_to_socket(struct ust_stack *st, struct ust_pkt *pkt, const struct ust_icmp_repr *m)
{
	struct ust__demux_key k = ust__demux_key_make(UST_IPPROTO_ICMP, 0, m->echo_id, 0, 0);
	struct ust__demux_node *n = ust__demux_lookup(&st->demux, &k);
	if (!n) {
		st->icmp.rx_echo_reply_unmatched++;
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	struct ust__sock *s = n->owner;
	if (ust__pq_over(&s->rxq, pkt->len, UST_SOCK_DGRAM_OVERHEAD, s->rcvbuf)) {
		st->icmp.rx_echo_reply_queue_full++;
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	ust__pq_push(&st->pools, &s->rxq, pkt);
	ust__sock_wakeup(st, s);
}

static void error_input(struct ust_stack *st, const struct ust_icmp_repr *m)
{
	struct quote q;
	if (!quote_parse(m->data, m->data_len, &q) || q.src != st->addr) {
		st->icmp.rx_error_bad_quote++;
		return;
	}
	if (m->type == UST_ICMP_TIME_EXCEEDED) {
		st->icmp.rx_time_exceeded++;
	} else {
		st->icmp.rx_dest_unreach++;
		if (m->code == UST_ICMP_UNREACH_PORT)
			st->icmp.rx_port_unreach++;
		if (m->code == UST_ICMP_UNREACH_FRAG_NEEDED) {
			st->icmp.rx_frag_needed++;
			ust__ipv4_pmtu_update(st, q.dst, m->next_hop_mtu);
		}
	}
	const struct ust__ip_proto *p = &st->ip_protos[q.proto];
	if (!p->error) {
		st->icmp.rx_error_unmatched++;
		return;
	}
	struct ust__icmp_err e = { .type = m->type, .code = m->code, .mtu = m->next_hop_mtu,
				   .error = ust__icmp_errno(m->type, m->code), .src = q.src, .dst = q.dst,
				   .proto = q.proto, .l4 = q.l4, .l4_len = q.l4_len };
	p->error(st, &e);
}

static void icmp_input(struct ust_stack *st, struct ust_pkt *pkt, const struct ust__ip_rx *rx)
{
	st->icmp.rx_packets++;
	struct ust_icmp_repr m;
	enum ust_wire_error err = ust_icmp_parse(ust__pkt_data(&st->pools, pkt), pkt->len, &m);
	if (err != UST_WIRE_OK) {
		if (err == UST_WIRE_BAD_CHECKSUM)
			st->icmp.rx_bad_checksum++;
		else if (err == UST_WIRE_UNSUPPORTED)
			st->icmp.rx_unsupported_type++;
		else
			st->icmp.rx_malformed++;
		goto drop;
	}
	switch (m.type) {
	case UST_ICMP_ECHO_REQUEST:
		st->icmp.rx_echo_requests++;
		if (rx->ip_broadcast || rx->link_broadcast) {
			st->icmp.rx_echo_broadcast_ignored++;	/* no smurf amplifier */
			goto drop;
		}
		echo_reply(st, pkt, rx, &m);
		return;
	case UST_ICMP_ECHO_REPLY:
		st->icmp.rx_echo_replies++;
		echo_reply_to_socket(st, pkt, &m);
		return;
	case UST_ICMP_DEST_UNREACH:
	case UST_ICMP_TIME_EXCEEDED:
		error_input(st, &m);
		goto drop;
	default:
		st->icmp.rx_unsupported_type++;
		goto drop;
	}
drop:
	ust__pkt_free(&st->pools, pkt);
}

/* An ICMP error quoting one of our echo requests: to the socket with that identifier. */
static void icmp_error(struct ust_stack *st, const struct ust__icmp_err *e)
{
	if (e->l4[0] != UST_ICMP_ECHO_REQUEST) {
		st->icmp.rx_error_unmatched++;
		return;
	}
	struct ust__demux_key k = ust__demux_key_make(UST_IPPROTO_ICMP, 0, ust_get_be16(e->l4 + 4), 0, 0);
	struct ust__demux_node *n = ust__demux_lookup(&st->demux, &k);
	if (!n) {
		st->icmp.rx_error_unmatched++;
		return;
	}
	st->icmp.rx_error_delivered++;
	ust__sock_set_error(st, n->owner, e->error);
}

/* --- echo sockets --- */

static int icmp_bind(struct ust_stack *st, struct ust__sock *s, uint32_t addr, uint16_t port)
{
	if (s->flags & UST_SOCK_F_BOUND)
		return -EINVAL;
	/* the "port" of a ping socket is its echo identifier; all share one address space */
	if (addr != 0 && addr != st->addr)
		return -EADDRNOTAVAIL;
	return ust__sock_bind_port(st, s, 0, port);
}

static int icmp_connect(struct ust_stack *st, struct ust__sock *s, uint32_t addr, uint16_t port)
{
	(void)port;
	if (addr == 0) {
		s->flags &= ~UST_SOCK_F_CONNECTED;
		s->raddr = 0;
		return 0;
	}
	uint32_t nh;
	if (!ust__ipv4_is_broadcast(st, addr) && ust__ipv4_route(st, addr, &nh) != 0)
		return -ENETUNREACH;
	if (!(s->flags & UST_SOCK_F_BOUND)) {
		int err = ust__sock_bind_port(st, s, 0, 0);
		if (err)
			return err;
	}
	s->raddr = addr;
	s->flags |= UST_SOCK_F_CONNECTED;
	return 0;
}

static ssize_t icmp_send(struct ust_stack *st, struct ust__sock *s, const struct iovec *iov, int iovcnt,
			 int flags, const uint32_t *to_addr, const uint16_t *to_port)
{
	(void)flags;
	(void)to_port;
	size_t len = ust__iov_total(iov, iovcnt);
	if (len < UST_ICMP_HDR_LEN)
		return -EINVAL;
	if (len > UST_UDP_MAX_PAYLOAD + UST_UDP_HDR_LEN)	/* 65515: 65535 minus the IP header */
		return -EMSGSIZE;
	uint32_t dst;
	if (to_addr)
		dst = *to_addr;
	else if (s->flags & UST_SOCK_F_CONNECTED)
		dst = s->raddr;
	else
		return -EDESTADDRREQ;
	if (dst == 0)
		return -EINVAL;
	if (ust__ipv4_is_broadcast(st, dst) && !(s->flags & UST_SOCK_F_BROADCAST))
		return -EACCES;
	if (!(s->flags & UST_SOCK_F_BOUND)) {
		int err = ust__sock_bind_port(st, s, 0, 0);
		if (err)
			return err;
	}
	struct ust_pkt *pkt = ust__alloc_l4(st, len);
	if (!pkt)
		return -ENOBUFS;
	uint8_t *p = ust_pkt_put(ust__pkt_pool(&st->pools, pkt), pkt, (uint32_t)len);
	ust__iov_gather(p, iov, iovcnt, len);
	if (p[0] != UST_ICMP_ECHO_REQUEST || p[1] != 0) {
		ust__pkt_free(&st->pools, pkt);
		return -EINVAL;
	}
	struct ust_icmp_repr r = { .type = UST_ICMP_ECHO_REQUEST, .echo_id = s->lport,
				   .echo_seq = ust_get_be16(p + 6), .data = p + UST_ICMP_HDR_LEN,
				   .data_len = len - UST_ICMP_HDR_LEN };
	ust_icmp_emit(&r, p, len);
	struct ust__ip_tx tx = { .dst = dst, .protocol = UST_IPPROTO_ICMP, .ttl = s->ttl, .tos = s->tos,
				 .df = (s->flags & UST_SOCK_F_DF) != 0, .owner = ust__sock_token(s) };
	int err = ust__ipv4_output(st, pkt, &tx);
	if (err)
		return err;
	st->icmp.tx_echo_requests++;
	return (ssize_t)len;
}

static const struct ust__sock_ops icmp_sock_ops = {
	.name = "icmp",
	.type = SOCK_DGRAM,
	.protocol = IPPROTO_ICMP,
	.type_default = false,
	.bind = icmp_bind,
	.connect = icmp_connect,
	.send = icmp_send,
	.recv = ust__dgram_recv,
	.shutdown = ust__dgram_shutdown,
	.close = ust__dgram_close,
	.poll = ust__dgram_poll,
};

int ust__icmp_module_init(struct ust_stack *st)
{
	int err = ust__ipv4_register(st, UST_IPPROTO_ICMP, icmp_input, icmp_error);
	if (!err)
		err = ust__sock_register_ops(st, &icmp_sock_ops);
	return err;
}
