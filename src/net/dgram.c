/*
 * What datagram sockets (UDP, ICMP echo) share: copying between iovecs and packet bytes,
 * readiness (EPOLLIN while datagrams are queued, always EPOLLOUT), shutdown and close.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "core/util.h"
#include "net/stack.h"

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
