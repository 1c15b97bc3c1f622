/*
 * What datagram sockets (UDP, ICMP echo) share: copying between iovecs and packet bytes,
 * receiving the next queued datagram (with its source), readiness (EPOLLIN while datagrams are queued, always EPOLLOUT), shutdown and close.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "core/util.h"
#include "net/stack.h"
#include "wire/bytes.h"

size_t ust__iov_total(const struct iovec *iov, int iovcnt)
{
	size_t n = 0;
	for (int i = 0; i < iovcnt; i++)
		n += iov[i].iov_len;
	return n;
}

void ust__iov_gather(uint8_t *dst, const struct iovec *iov, int iovcnt, size_t len)
{
	for (int i = 0; i < iovcnt && len; i++) {
		size_t n = UST_MIN(len, iov[i].iov_len);
		memcpy(dst, iov[i].iov_base, n);
		dst += n;
		len -= n;
	}
}

size_t ust__iov_scatter(const struct iovec *iov, int iovcnt, const uint8_t *src, size_t len)
{
	size_t done = 0;
	for (int i = 0; i < iovcnt && done < len; i++) {
		size_t n = UST_MIN(len - done, iov[i].iov_len);
		memcpy(iov[i].iov_base, src + done, n);
		done += n;
	}
	return done;
}

ssize_t ust__dgram_recv(struct ust_stack *st, struct ust__sock *s, const struct iovec *iov, int iovcnt, int flags,
			uint32_t *from_addr, uint16_t *from_port)
{
	struct ust_pkt *pkt = ust__pq_peek(&st->pools, &s->rxq);
	if (!pkt)
		return (s->flags & UST_SOCK_F_SHUT_RD) ? 0 : -EAGAIN;
	const uint8_t *buf = ust__pkt_buf(&st->pools, pkt);
	if (from_addr)
		*from_addr = ust_get_be32(buf + pkt->l3_offset + 12);
	if (from_port)	/* ICMP echo sockets have none */
		*from_port = s->protocol == IPPROTO_UDP ? ust_get_be16(buf + pkt->l4_offset) : 0;
	size_t len = pkt->len;
	size_t n = ust__iov_scatter(iov, iovcnt, ust__pkt_data(&st->pools, pkt), len);
	if (!(flags & MSG_PEEK)) {
		ust__pq_pop(&st->pools, &s->rxq);
		ust__pkt_free(&st->pools, pkt);
	}
	return (ssize_t)((flags & MSG_TRUNC) ? len : n);
}

uint32_t ust__dgram_poll(struct ust_stack *st, const struct ust__sock *s)
{
	(void)st;
	uint32_t m = EPOLLOUT;
	if (s->rxq.count)
		m |= EPOLLIN;
	if (s->flags & UST_SOCK_F_SHUT_RD)
		m |= EPOLLIN | EPOLLRDHUP;
	if ((s->flags & UST_SOCK_F_SHUT_RD) && (s->flags & UST_SOCK_F_SHUT_WR))
		m |= EPOLLHUP;
	return m;
}

int ust__dgram_shutdown(struct ust_stack *st, struct ust__sock *s, int how)
{
	if (!(s->flags & UST_SOCK_F_CONNECTED))
		return -ENOTCONN;
	if (how == SHUT_RD || how == SHUT_RDWR)
		s->flags |= UST_SOCK_F_SHUT_RD;
	if (how == SHUT_WR || how == SHUT_RDWR)
		s->flags |= UST_SOCK_F_SHUT_WR;
	ust__sock_wakeup(st, s);
	return 0;
}

void ust__dgram_close(struct ust_stack *st, struct ust__sock *s)
{
	ust__sock_unlink(st, s);
	ust__pq_purge(&st->pools, &s->rxq);
}
