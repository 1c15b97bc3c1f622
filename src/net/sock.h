/*
 * The socket object shared by the socket layer (src/api) and the protocols (src/net: UDP,
 * ICMP echo, later TCP). The API layer owns descriptors, argument checking, SO_ERROR delivery,
 * blocking and epoll; a protocol implements a `struct ust__sock_ops` and registers it with
 * ust__sock_register_ops() from its module init (see net/modules.c).
 *
 *   ust_sendto() -> api/socket.c (checks) -> ops->send -> udp_send -> ust__ipv4_output
 *   ipv4_input -> udp_input -> demux -> ust__pq_push(&s->rxq) -> ust__sock_wakeup(EPOLLIN)
 *
 * Protocols report readiness changes with ust__sock_wakeup(); ops->poll answers "what is
 * ready now" (EPOLLIN/OUT/HUP/RDHUP/ERR). Errors are negative errno everywhere here.
 */
#ifndef UST_NET_SOCK_H
#define UST_NET_SOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "net/demux.h"
#include "net/pq.h"

struct ust_stack;
struct ust__sock;
struct ust__epitem;

/* s->flags */
#define UST_SOCK_F_BOUND 0x0001u
#define UST_SOCK_F_CONNECTED 0x0002u
#define UST_SOCK_F_BLOCKING 0x0004u
#define UST_SOCK_F_REUSEADDR 0x0008u
#define UST_SOCK_F_BROADCAST 0x0010u
#define UST_SOCK_F_SHUT_RD 0x0020u
#define UST_SOCK_F_SHUT_WR 0x0040u
#define UST_SOCK_F_LISTENING 0x0080u
#define UST_SOCK_F_DF 0x0100u		/* IP_MTU_DISCOVER = IP_PMTUDISC_DO: set DF, EMSGSIZE */
#define UST_SOCK_F_KEEPALIVE 0x0200u
#define UST_SOCK_F_REUSEPORT 0x0400u
#define UST_SOCK_F_RECVTTL 0x0800u	/* IP_RECVTTL: ust_recvmsg reports each datagram's TTL */
#define UST_SOCK_F_RECVTOS 0x1000u	/* IP_RECVTOS: ... and its TOS byte */

struct ust__sock_ops {
	const char *name;	/* "udp", "icmp", "tcp" */
	int type;		/* SOCK_DGRAM, SOCK_STREAM */
	int protocol;		/* IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_TCP */
	bool type_default;	/* chosen for protocol 0 of this type */
	/* Every op may be NULL: the API answers EOPNOTSUPP (or a sensible default). */
	int (*init)(struct ust_stack *st, struct ust__sock *s);
	int (*bind)(struct ust_stack *st, struct ust__sock *s, uint32_t addr, uint16_t port);
	int (*connect)(struct ust_stack *st, struct ust__sock *s, uint32_t addr, uint16_t port);
	int (*listen)(struct ust_stack *st, struct ust__sock *s, int backlog);
	/* Fill `child` (already allocated with a descriptor, ops copied) or -EAGAIN. */
	int (*accept)(struct ust_stack *st, struct ust__sock *s, struct ust__sock *child);
	/* to is NULL for write/send on a connected socket. Returns bytes or -errno. */
	ssize_t (*send)(struct ust_stack *st, struct ust__sock *s, const struct iovec *iov, int iovcnt,
			int flags, const uint32_t *to_addr, const uint16_t *to_port);
	/* from_* may be NULL. Returns bytes or -errno (-EAGAIN when nothing is queued). */
	ssize_t (*recv)(struct ust_stack *st, struct ust__sock *s, const struct iovec *iov, int iovcnt,
			int flags, uint32_t *from_addr, uint16_t *from_port);
	int (*shutdown)(struct ust_stack *st, struct ust__sock *s, int how);
	/*
	 * The descriptor is going away: unlink s->bind_node/conn_node (ust__sock_unlink) and drop
	 * what belongs to the socket; the socket is freed right after. State that must outlive it
	 * (a closing TCP connection) detaches here, keeps no pointer to s, and uses demux nodes
	 * embedded in itself (node->share says whether its port may be shared).
	 */
	void (*close)(struct ust_stack *st, struct ust__sock *s);
	/* SO_LINGER with a timeout: ns a blocking close waits (0: it does not), after a
	 * shutdown(SHUT_WR), while close_pending says what was sent is not acknowledged yet. */
	uint64_t (*linger_ns)(struct ust_stack *st, const struct ust__sock *s);
	bool (*close_pending)(struct ust_stack *st, const struct ust__sock *s);
	/* -ENOPROTOOPT: not handled here, the API layer tries its generic options. */
	int (*setsockopt)(struct ust_stack *st, struct ust__sock *s, int level, int name,
			  const void *val, uint32_t len);
	int (*getsockopt)(struct ust_stack *st, struct ust__sock *s, int level, int name, void *val,
			  uint32_t *len);
	/* EPOLL* bits ready now (the API adds EPOLLERR for a pending SO_ERROR). */
	uint32_t (*poll)(struct ust_stack *st, const struct ust__sock *s);
};

struct ust__sock {
	int sd;
	uint32_t gen;			/* changes when the descriptor is reused */
	const struct ust__sock_ops *ops;
	int type;
	int protocol;
	unsigned flags;			/* UST_SOCK_F_* */
	uint32_t laddr, raddr;		/* host order; 0 = any / not connected */
	uint16_t lport, rport;
	int so_error;			/* pending asynchronous error (positive errno), 0 if none */
	uint32_t rcvbuf, sndbuf;	/* bytes */
	uint64_t rcvtimeo_ns, sndtimeo_ns;	/* blocking sockets: 0 = forever */
	uint8_t ttl;			/* 0: default */
	uint8_t tos;
	struct ust__demux_node bind_node;	/* (proto, laddr, lport, 0, 0): owns the port */
	struct ust__demux_node conn_node;	/* (proto, laddr, lport, raddr, rport) when connected */
	struct ust__pq rxq;		/* datagram protocols: received packets, data at the payload */
	struct ust__epitem *watchers;	/* epoll items watching this socket */
	void *proto;			/* protocol private state (TCP control block) */
};

/* Token identifying a socket in packets (pkt->user) across descriptor reuse: 0 = none. */
static inline uint64_t ust__sock_token(const struct ust__sock *s)
{
	return (uint64_t)s->gen << 32 | (uint32_t)(s->sd + 1);
}

/* Register a protocol's ops (from its module init). 0 or -ENOSPC. */
int ust__sock_register_ops(struct ust_stack *st, const struct ust__sock_ops *ops);

/* Socket behind a descriptor or token, or NULL. */
struct ust__sock *ust__sock_get(struct ust_stack *st, int sd);
struct ust__sock *ust__sock_by_token(struct ust_stack *st, uint64_t token);

/* Readiness may have changed: queue the socket on the ready lists of epolls watching it. */
void ust__sock_wakeup(struct ust_stack *st, struct ust__sock *s);

/* Set a pending asynchronous error (positive errno) and wake watchers (EPOLLERR). */
void ust__sock_set_error(struct ust_stack *st, struct ust__sock *s, int err);

/* Allocate a socket with a descriptor (for accept: TCP gets a fresh child), or NULL. */
struct ust__sock *ust__sock_alloc(struct ust_stack *st, const struct ust__sock_ops *ops);

/*
 * Port ownership helpers for protocols with ports (UDP, TCP): bind s to (addr, port) —
 * port 0 picks an ephemeral one from a randomized start in [32768, 60999] — checking
 * EADDRINUSE (both sockets need SO_REUSEADDR to share) and EADDRNOTAVAIL; links bind_node.
 */
int ust__sock_bind_port(struct ust_stack *st, struct ust__sock *s, uint32_t addr, uint16_t port);
/* Link conn_node under the full 5-tuple (after bind). */
int ust__sock_link_conn(struct ust_stack *st, struct ust__sock *s);
/* Unlink both nodes. */
void ust__sock_unlink(struct ust_stack *st, struct ust__sock *s);

#endif
