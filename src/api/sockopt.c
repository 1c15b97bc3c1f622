/*
 * Socket options: the generic SOL_SOCKET and IPPROTO_IP options every socket has, after the
 * protocol's own setsockopt/getsockopt declined (-ENOPROTOOPT).
 *   ust_setsockopt -> ops->setsockopt -> generic_setsockopt
 */
#include <errno.h>
#include <string.h>
#include <sys/time.h>

#include "api/api.h"
#include "core/util.h"
#include "net/stack.h"
#include "ustack/socket.h"

static int set_flag(struct ust__sock *s, unsigned flag, int v)
{
	if (v)
		s->flags |= flag;
	else
		s->flags &= ~flag;
	return 0;
}

static int generic_setsockopt(struct ust_stack *st, struct ust__sock *s, int level, int name,
			      const void *val, socklen_t len)
{
	if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
		if (len < (socklen_t)sizeof(struct timeval))
			return -EINVAL;
		struct timeval tv;
		memcpy(&tv, val, sizeof(tv));
		if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
			return -EDOM;
		uint64_t ns = (uint64_t)tv.tv_sec * UST_NS_PER_SEC + (uint64_t)tv.tv_usec * UST_NS_PER_US;
		if (name == SO_RCVTIMEO)
			s->rcvtimeo_ns = ns;
		else
			s->sndtimeo_ns = ns;
		return 0;
	}
	if (level == SOL_SOCKET && name == SO_LINGER)
		return len < (socklen_t)sizeof(struct linger) ? -EINVAL : 0;
	if (len < (socklen_t)sizeof(int))
		return -EINVAL;
	int v;
	memcpy(&v, val, sizeof(v));
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_REUSEADDR: return set_flag(s, UST_SOCK_F_REUSEADDR, v);
		case SO_REUSEPORT: return set_flag(s, UST_SOCK_F_REUSEPORT, v);
		case SO_BROADCAST: return set_flag(s, UST_SOCK_F_BROADCAST, v);
		case SO_KEEPALIVE: return set_flag(s, UST_SOCK_F_KEEPALIVE, v);
		case SO_RCVBUF:
		case SO_SNDBUF: {
			uint32_t b = v < (int)UST_SOCK_BUF_MIN ? UST_SOCK_BUF_MIN : (uint32_t)v;
			b = UST_MIN(b, UST_SOCK_BUF_MAX);
			if (name == SO_RCVBUF)
				s->rcvbuf = b;
			else
				s->sndbuf = b;
			return 0;
		}
		default: return -ENOPROTOOPT;
		}
	}
	if (level == IPPROTO_IP) {
		switch (name) {
		case IP_TTL:
			if (v == -1)
				v = UST_IPV4_TTL_DEFAULT;
			if (v < 1 || v > 255)
				return -EINVAL;
			s->ttl = (uint8_t)v;
			return 0;
		case IP_TOS:
			s->tos = (uint8_t)v;
			return 0;
		case IP_RECVTTL:
		case IP_RECVTOS: {
			uint32_t f = name == IP_RECVTTL ? UST_SOCK_F_RECVTTL : UST_SOCK_F_RECVTOS;
			if (v)
				s->flags |= f;
			else
				s->flags &= ~f;
			return 0;
		}
		case IP_MTU_DISCOVER:
			if (v < IP_PMTUDISC_DONT || v > IP_PMTUDISC_PROBE)
				return -EINVAL;
			return set_flag(s, UST_SOCK_F_DF, v == IP_PMTUDISC_DO || v == IP_PMTUDISC_PROBE);
		default: return -ENOPROTOOPT;
		}
	}
	(void)st;
	return -ENOPROTOOPT;
}

static int put_int(void *val, socklen_t *len, int v)
{
	if (*len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(val, &v, sizeof(v));
	*len = sizeof(int);
	return 0;
}

static int generic_getsockopt(struct ust_stack *st, struct ust__sock *s, int level, int name, void *val,
			      socklen_t *len)
{
	if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
		if (*len < (socklen_t)sizeof(struct timeval))
			return -EINVAL;
		uint64_t ns = name == SO_RCVTIMEO ? s->rcvtimeo_ns : s->sndtimeo_ns;
		struct timeval tv = { .tv_sec = (time_t)(ns / UST_NS_PER_SEC),
				      .tv_usec = (suseconds_t)(ns % UST_NS_PER_SEC / UST_NS_PER_US) };
		memcpy(val, &tv, sizeof(tv));
		*len = sizeof(tv);
		return 0;
	}
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_ERROR: {
			int e = s->so_error;
			s->so_error = 0;
			return put_int(val, len, e);
		}
		case SO_TYPE: return put_int(val, len, s->type);
		case SO_PROTOCOL: return put_int(val, len, s->protocol);
		case SO_DOMAIN: return put_int(val, len, AF_INET);
		case SO_REUSEADDR: return put_int(val, len, !!(s->flags & UST_SOCK_F_REUSEADDR));
		case SO_REUSEPORT: return put_int(val, len, !!(s->flags & UST_SOCK_F_REUSEPORT));
		case SO_BROADCAST: return put_int(val, len, !!(s->flags & UST_SOCK_F_BROADCAST));
		case SO_KEEPALIVE: return put_int(val, len, !!(s->flags & UST_SOCK_F_KEEPALIVE));
		case SO_ACCEPTCONN: return put_int(val, len, !!(s->flags & UST_SOCK_F_LISTENING));
		case SO_RCVBUF: return put_int(val, len, (int)s->rcvbuf);
		case SO_SNDBUF: return put_int(val, len, (int)s->sndbuf);
		default: return -ENOPROTOOPT;
		}
	}
	if (level == IPPROTO_IP) {
		switch (name) {
		case IP_TTL: return put_int(val, len, s->ttl ? s->ttl : UST_IPV4_TTL_DEFAULT);
		case IP_TOS: return put_int(val, len, s->tos);
		case IP_RECVTTL: return put_int(val, len, !!(s->flags & UST_SOCK_F_RECVTTL));
		case IP_RECVTOS: return put_int(val, len, !!(s->flags & UST_SOCK_F_RECVTOS));
		case IP_MTU_DISCOVER:
			return put_int(val, len, (s->flags & UST_SOCK_F_DF) ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT);
		case IP_MTU:
			if (!(s->flags & UST_SOCK_F_CONNECTED))
				return -ENOTCONN;
			return put_int(val, len, (int)ust__ipv4_path_mtu(st, s->raddr));
		default: return -ENOPROTOOPT;
		}
	}
	return -ENOPROTOOPT;
}

int ust_setsockopt(struct ust_stack *st, int sd, int level, int name, const void *val, socklen_t len)
{
	struct ust__sock *s = ust__api_get_sock(st, sd);
	if (!s)
		return -1;
	if (!val)
		return ust__api_fail(st, EFAULT);
	int err = -ENOPROTOOPT;
	if (s->ops->setsockopt)
		err = s->ops->setsockopt(st, s, level, name, val, len);
	if (err == -ENOPROTOOPT)
		err = generic_setsockopt(st, s, level, name, val, len);
	return err ? ust__api_fail(st, -err) : 0;
}

int ust_getsockopt(struct ust_stack *st, int sd, int level, int name, void *val, socklen_t *len)
{
	struct ust__sock *s = ust__api_get_sock(st, sd);
	if (!s)
		return -1;
	if (!val || !len)
		return ust__api_fail(st, EFAULT);
	int err = -ENOPROTOOPT;
	if (s->ops->getsockopt) {
		uint32_t l = *len;
		err = s->ops->getsockopt(st, s, level, name, val, &l);
		if (!err)
			*len = l;
	}
	if (err == -ENOPROTOOPT)
		err = generic_getsockopt(st, s, level, name, val, len);
	return err ? ust__api_fail(st, -err) : 0;
}
