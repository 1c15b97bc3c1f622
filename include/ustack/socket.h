/*
 * ustack: socket-like and event API (mTCP style). Sockets are small integers ("socket
 * descriptors") that belong to one stack, not kernel file descriptors. The calls mirror POSIX
 * and use its constants and structs (AF_INET, SOCK_STREAM, struct sockaddr_in, SOL_SOCKET,
 * SO_*, IPPROTO_TCP, TCP_NODELAY, SHUT_*, struct epoll_event, EPOLL*), so porting a sockets
 * program is mostly adding `ust_` and a stack argument.
 *
 * Errors: every call returns -1 and sets errno on failure, with POSIX meanings (EAGAIN,
 * EINPROGRESS, ECONNREFUSED, ECONNRESET, ETIMEDOUT, EADDRINUSE, EBADF, EINVAL, EMSGSIZE,
 * ENOTCONN, EHOSTUNREACH, ...). A call that fails changes nothing.
 *
 * Sockets are non-blocking by default: nothing happens until the stack is polled, either by
 * ust_stack_poll/ust_stack_run_once or by ust_epoll_wait, which drives the stack itself.
 * ust_set_blocking() turns a socket into a blocking one for simple tools: its calls then run
 * the stack's loop (real time) until they can complete, or SO_RCVTIMEO/SO_SNDTIMEO expire.
 *
 * Socket kinds:
 *   SOCK_DGRAM,  IPPROTO_UDP  (or 0)  UDP
 *   SOCK_STREAM, IPPROTO_TCP  (or 0)  TCP
 *   SOCK_DGRAM,  IPPROTO_ICMP         ICMP echo, like Linux ping sockets: sendto() an echo
 *                                     request (8-byte header + data; the stack sets the
 *                                     identifier to the socket's and fills the checksum);
 *                                     recvfrom() returns matching echo replies (header + data).
 * ICMP errors received for a socket's traffic are delivered as an error (SO_ERROR) on its next
 * call, as Linux does for connected UDP sockets (ECONNREFUSED for port unreachable).
 */
#ifndef USTACK_SOCKET_H
#define USTACK_SOCKET_H

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ust_stack;

int ust_socket(struct ust_stack *st, int domain, int type, int protocol);
int ust_bind(struct ust_stack *st, int sd, const struct sockaddr *addr, socklen_t len);
int ust_listen(struct ust_stack *st, int sd, int backlog);
/* addr/len may be NULL. The new socket is non-blocking. */
int ust_accept(struct ust_stack *st, int sd, struct sockaddr *addr, socklen_t *len);
/* Non-blocking sockets: -1/EINPROGRESS, completion reported as EPOLLOUT (or EPOLLERR + SO_ERROR). */
int ust_connect(struct ust_stack *st, int sd, const struct sockaddr *addr, socklen_t len);

ssize_t ust_read(struct ust_stack *st, int sd, void *buf, size_t len);
ssize_t ust_readv(struct ust_stack *st, int sd, const struct iovec *iov, int iovcnt);
ssize_t ust_write(struct ust_stack *st, int sd, const void *buf, size_t len);
ssize_t ust_writev(struct ust_stack *st, int sd, const struct iovec *iov, int iovcnt);
ssize_t ust_sendto(struct ust_stack *st, int sd, const void *buf, size_t len, int flags,
		   const struct sockaddr *to, socklen_t tolen);
ssize_t ust_recvfrom(struct ust_stack *st, int sd, void *buf, size_t len, int flags,
		     struct sockaddr *from, socklen_t *fromlen);
/*
 * As recvmsg(2)/sendmsg(2): iovecs, the peer's address, MSG_TRUNC in msg_flags for a datagram
 * longer than the buffers; control messages IP_TTL (int) and IP_TOS (byte) for datagrams when
 * IP_RECVTTL / IP_RECVTOS are set (MSG_CTRUNC if msg_control is too small).
 */
ssize_t ust_recvmsg(struct ust_stack *st, int sd, struct msghdr *msg, int flags);
ssize_t ust_sendmsg(struct ust_stack *st, int sd, const struct msghdr *msg, int flags);

int ust_shutdown(struct ust_stack *st, int sd, int how);
/* Graceful close (TCP: FIN after queued data; SO_LINGER with l_linger 0: RST; with l_linger
 * N > 0 on a blocking socket: runs the stack until the FIN is acknowledged or N s pass). */
int ust_close(struct ust_stack *st, int sd);

int ust_getsockname(struct ust_stack *st, int sd, struct sockaddr *addr, socklen_t *len);
int ust_getpeername(struct ust_stack *st, int sd, struct sockaddr *addr, socklen_t *len);
int ust_setsockopt(struct ust_stack *st, int sd, int level, int name, const void *val, socklen_t len);
int ust_getsockopt(struct ust_stack *st, int sd, int level, int name, void *val, socklen_t *len);

/* Blocking convenience for simple tools (see above). */
int ust_set_blocking(struct ust_stack *st, int sd, bool blocking);

/*
 * Event API, epoll-like: level-triggered by default, EPOLLET for edge-triggered; events
 * EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLERR, EPOLLHUP. ust_epoll_wait drives the stack on real
 * time: it polls the stack, and sleeps in the kernel on the backend's fd until an event, the
 * stack's next deadline or the timeout. ust_epoll_collect only reports what is ready now,
 * for callers that drive the stack themselves on a virtual clock.
 */
int ust_epoll_create(struct ust_stack *st);
int ust_epoll_ctl(struct ust_stack *st, int epd, int op, int sd, struct epoll_event *event);
int ust_epoll_wait(struct ust_stack *st, int epd, struct epoll_event *events, int maxevents,
		   int timeout_ms);
int ust_epoll_collect(struct ust_stack *st, int epd, struct epoll_event *events, int maxevents);

#ifdef __cplusplus
}
#endif
#endif
