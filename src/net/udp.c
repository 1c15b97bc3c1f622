/*
 * UDP: datagram input and demultiplexing, sockets (bind, connect, sendto/recvfrom,
 * broadcast, SO_RCVBUF limit), ICMP errors to connected sockets.
 *   ust__ipv4_input -> udp_input -> demux (5-tuple, then bound address, then any)
 *        -> s->rxq (packet buffers, data at the payload) -> EPOLLIN
 *   ust_sendto -> udp_send -> ust__ipv4_output (fragments above the MTU)
 * Datagrams up to 65507 bytes both ways: big ones live in 64 KiB buffers.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "core/util.h"
#include "net/stack.h"
#include "wire/bytes.h"
#include "wire/icmp.h"
#include "wire/udp.h"

static bool acceptable(const struct ust__sock *s, uint32_t src, uint16_t sport)
{
	/* a connected socket only hears from its peer */
	if (!(s->flags & UST_SOCK_F_CONNECTED))
		return true;
	return s->raddr == src && s->rport == sport;
}

static struct ust__sock *first_bound(struct ust_stack *st, uint32_t laddr, uint16_t port, uint32_t src,
				     uint16_t sport)
{
	struct ust__demux_key k = ust__demux_key_make(UST_IPPROTO_UDP, laddr, port, 0, 0);
	for (struct ust__demux_node *n = ust__demux_lookup(&st->demux, &k); n; n = ust__demux_next(n))
		if (acceptable(n->owner, src, sport))
			return n->owner;
	return NULL;
}

static bool enqueue(struct ust_stack *st, struct ust__sock *s, struct ust_pkt *pkt)
{
	/* Payload plus a per-datagram overhead against SO_RCVBUF; an empty queue takes any
	 * datagram, so memory stays below rcvbuf + one datagram and tiny datagrams cannot
	 * hoard frame buffers. */
	if ((s->flags & UST_SOCK_F_SHUT_RD) ||
	    ust__pq_over(&s->rxq, pkt->len, UST_SOCK_DGRAM_OVERHEAD, s->rcvbuf)) {
		st->udp.rx_queue_full++;
		ust__pkt_free(&st->pools, pkt);
		return false;
	}
	ust__pq_push(&st->pools, &s->rxq, pkt);
	st->udp.rx_delivered++;
	ust__sock_wakeup(st, s);
	return true;
}

/* Broadcast: every unconnected socket bound to the port on any address gets a copy. */
static void deliver_broadcast(struct ust_stack *st, struct ust_pkt *pkt, uint16_t dport, uint32_t src,
			      uint16_t sport)
{
	struct ust__demux_key k = ust__demux_key_make(UST_IPPROTO_UDP, 0, dport, 0, 0);
	struct ust__sock *first = NULL;
	for (struct ust__demux_node *n = ust__demux_lookup(&st->demux, &k); n; n = ust__demux_next(n)) {
		struct ust__sock *s = n->owner;
		if (!acceptable(s, src, sport))
			continue;
		if (!first) {
			first = s;
			continue;
		}
		struct ust_pool *pool = ust__pkt_pool(&st->pools, pkt);
		struct ust_pkt *copy = ust_pkt_alloc(pool);
		if (!copy) {
			st->udp.rx_nobuf++;
			continue;
		}
		/* same layout, so l3/l4 offsets stay valid */
		memcpy(ust_pkt_buf(pool, copy), ust_pkt_buf(pool, pkt), pkt->head + pkt->len);
		copy->head = pkt->head;
		copy->len = pkt->len;
		copy->l3_offset = pkt->l3_offset;
		copy->l4_offset = pkt->l4_offset;
		enqueue(st, s, copy);
	}
	if (first) {
		enqueue(st, first, pkt);
	} else {
		st->udp.rx_no_port++;
		ust__pkt_free(&st->pools, pkt);
	}
}

static void udp_input(struct ust_stack *st, struct ust_pkt *pkt, const struct ust__ip_rx *rx)
{
	const struct ust_ipv4_repr *ip = rx->ip;
	st->udp.rx_datagrams++;
	struct ust_udp_repr u;
	unsigned flags = (pkt->flags & UST_PKT_F_CSUM_VALID) ? UST_UDP_PARSE_NO_CSUM : 0;
	enum ust_wire_error err = ust_udp_parse(ust__pkt_data(&st->pools, pkt), pkt->len, ip->src, ip->dst,
						flags, &u);
	if (err != UST_WIRE_OK) {
		if (err == UST_WIRE_BAD_CHECKSUM)
			st->udp.rx_bad_checksum++;
		else
			st->udp.rx_malformed++;
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	if (u.checksum == 0)
		st->udp.rx_zero_checksum++;
	ust_pkt_trim(pkt, (uint32_t)(UST_UDP_HDR_LEN + u.payload_len));
	if (rx->ip_broadcast || rx->link_broadcast) {
		ust_pkt_pull(pkt, UST_UDP_HDR_LEN);
		deliver_broadcast(st, pkt, u.dst_port, ip->src, u.src_port);
		return;
	}
	struct ust__demux_key k = ust__demux_key_make(UST_IPPROTO_UDP, ip->dst, u.dst_port, ip->src, u.src_port);
	struct ust__demux_node *n = ust__demux_lookup(&st->demux, &k);
	struct ust__sock *s = n ? n->owner : NULL;
	if (!s)
		s = first_bound(st, ip->dst, u.dst_port, ip->src, u.src_port);
	if (!s)
		s = first_bound(st, 0, u.dst_port, ip->src, u.src_port);
	if (!s) {
		st->udp.rx_no_port++;
		size_t qlen;
		const uint8_t *q = ust__ipv4_quote(st, pkt, &qlen);
		ust__icmp_send_error(st, UST_ICMP_DEST_UNREACH, UST_ICMP_UNREACH_PORT, 0, q, qlen, false);
		ust__pkt_free(&st->pools, pkt);
		return;
	}
	ust_pkt_pull(pkt, UST_UDP_HDR_LEN);
	enqueue(st, s, pkt);
}

/* ICMP error about a datagram we sent: only connected sockets hear of it (as on Linux). */
static void udp_error(struct ust_stack *st, const struct ust__icmp_err *e)
{
	uint16_t sport = ust_get_be16(e->l4), dport = ust_get_be16(e->l4 + 2);
	struct ust__demux_key k = ust__demux_key_make(UST_IPPROTO_UDP, e->src, sport, e->dst, dport);
	struct ust__demux_node *n = ust__demux_lookup(&st->demux, &k);
	if (!n) {
		st->icmp.rx_error_unmatched++;
		return;
	}
	st->icmp.rx_error_delivered++;
	ust__sock_set_error(st, n->owner, e->error);
}

static int udp_bind(struct ust_stack *st, struct ust__sock *s, uint32_t addr, uint16_t port)
{
	if (s->flags & UST_SOCK_F_BOUND)
		return -EINVAL;
	return ust__sock_bind_port(st, s, addr, port);
}

static int udp_connect(struct ust_stack *st, struct ust__sock *s, uint32_t addr, uint16_t port)
{
	if (addr == 0 && port == 0) {	/* AF_UNSPEC: dissolve the association */
		ust__demux_remove(&st->demux, &s->conn_node);
		s->flags &= ~UST_SOCK_F_CONNECTED;
		s->raddr = 0;
		s->rport = 0;
		return 0;
	}
	if (port == 0 || addr == 0)
		return -EINVAL;
	uint32_t nh;
	if (ust__ipv4_is_broadcast(st, addr)) {
		if (!(s->flags & UST_SOCK_F_BROADCAST))
			return -EACCES;
	} else if (addr != st->addr && ust__ipv4_route(st, addr, &nh) != 0) {
		return -ENETUNREACH;
	}
	if (!(s->flags & UST_SOCK_F_BOUND)) {
		int err = ust__sock_bind_port(st, s, 0, 0);
		if (err)
			return err;
	}
	ust__demux_remove(&st->demux, &s->conn_node);
	s->raddr = addr;
	s->rport = port;
	s->flags |= UST_SOCK_F_CONNECTED;
	return ust__sock_link_conn(st, s);
}

static ssize_t udp_send(struct ust_stack *st, struct ust__sock *s, const struct iovec *iov, int iovcnt,
			int flags, const uint32_t *to_addr, const uint16_t *to_port)
{
	(void)flags;
	size_t len = ust__iov_total(iov, iovcnt);
	uint32_t dst;
	uint16_t dport;
	if (s->flags & UST_SOCK_F_SHUT_WR)
		return -EPIPE;
	if (to_addr) {
		dst = *to_addr;
		dport = *to_port;
	} else if (s->flags & UST_SOCK_F_CONNECTED) {
		dst = s->raddr;
		dport = s->rport;
	} else {
		return -EDESTADDRREQ;
	}
	if (len > UST_UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (dport == 0 || dst == 0)
		return -EINVAL;
	if (ust__ipv4_is_broadcast(st, dst) && !(s->flags & UST_SOCK_F_BROADCAST))
		return -EACCES;
	if (!(s->flags & UST_SOCK_F_BOUND)) {
		int err = ust__sock_bind_port(st, s, 0, 0);
		if (err)
			return err;
	}
	size_t l4len = UST_UDP_HDR_LEN + len;
	struct ust_pkt *pkt = ust__alloc_l4(st, l4len);
	if (!pkt) {
		st->udp.tx_errors++;
		return -ENOBUFS;
	}
	uint8_t *p = ust_pkt_put(ust__pkt_pool(&st->pools, pkt), pkt, (uint32_t)l4len);
	ust__iov_gather(p + UST_UDP_HDR_LEN, iov, iovcnt, len);
	uint32_t src = s->laddr ? s->laddr : st->addr;
	struct ust_udp_repr u = { .src_port = s->lport, .dst_port = dport, .length = (uint16_t)l4len,
				  .payload = p + UST_UDP_HDR_LEN, .payload_len = len };
	ust_udp_emit(&u, src, dst, p, l4len);
	struct ust__ip_tx tx = { .src = src, .dst = dst, .protocol = UST_IPPROTO_UDP, .ttl = s->ttl,
				 .tos = s->tos, .df = (s->flags & UST_SOCK_F_DF) != 0,
				 .owner = ust__sock_token(s) };
	int err = ust__ipv4_output(st, pkt, &tx);
	if (err) {
		st->udp.tx_errors++;
		return err;
	}
	st->udp.tx_datagrams++;
	return (ssize_t)len;
}

static const struct ust__sock_ops udp_sock_ops = {
	.name = "udp",
	.type = SOCK_DGRAM,
	.protocol = IPPROTO_UDP,
	.type_default = true,
	.bind = udp_bind,
	.connect = udp_connect,
	.send = udp_send,
	.recv = ust__dgram_recv,
	.shutdown = ust__dgram_shutdown,
	.close = ust__dgram_close,
	.poll = ust__dgram_poll,
};

int ust__udp_module_init(struct ust_stack *st)
{
	int err = ust__ipv4_register(st, UST_IPPROTO_UDP, udp_input, udp_error);
	if (!err)
		err = ust__sock_register_ops(st, &udp_sock_ops);
	return err;
}
