/*
 * ustack-perf's transport shim: the same test code runs over a ustack stack (the normal case)
 * or over the kernel's sockets (--kernel), so the two can be measured side by side with one
 * program. The ustack API mirrors POSIX, so each call is a two-way switch. All sockets are
 * non-blocking; events come from ust_epoll_wait (which also drives the stack) or epoll_wait.
 */
#ifndef USTACK_PERF_TRANSPORT_H
#define USTACK_PERF_TRANSPORT_H

#include <stddef.h>
#include <sys/epoll.h>
#include <sys/types.h>
#include <netinet/in.h>

struct ust_stack;

struct perf_transport {
	struct ust_stack *st;	/* NULL: kernel sockets */
	int epd;		/* epoll descriptor (ustack or kernel) */
};

int pt_init(struct perf_transport *t, struct ust_stack *st);
void pt_fini(struct perf_transport *t);

int pt_tcp_socket(struct perf_transport *t);
int pt_listen(struct perf_transport *t, const struct sockaddr_in *addr, int backlog);
int pt_accept(struct perf_transport *t, int sd);
int pt_connect(struct perf_transport *t, int sd, const struct sockaddr_in *addr);
ssize_t pt_read(struct perf_transport *t, int sd, void *buf, size_t len);
ssize_t pt_write(struct perf_transport *t, int sd, const void *buf, size_t len);
int pt_close(struct perf_transport *t, int sd);
int pt_shutdown_write(struct perf_transport *t, int sd);
int pt_sockerror(struct perf_transport *t, int sd);
int pt_setsockopt(struct perf_transport *t, int sd, int level, int name, const void *val, socklen_t len);
int pt_getsockopt(struct perf_transport *t, int sd, int level, int name, void *val, socklen_t *len);

/* Register (or change) interest in events for sd; data.fd is sd. */
int pt_watch(struct perf_transport *t, int sd, unsigned events, int add);
int pt_unwatch(struct perf_transport *t, int sd);
int pt_wait(struct perf_transport *t, struct epoll_event *events, int max, int timeout_ms);

#endif
