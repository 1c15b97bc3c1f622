/*
 * Internal interface of the socket layer (src/api): the descriptor table shared by sockets
 * and epoll instances, and the hooks the stack calls at teardown.
 */
#ifndef UST_API_API_H
#define UST_API_API_H

#include <stdint.h>

struct ust_stack;
struct ust__sock;
struct ust__ep;

enum ust__fd_kind {
	UST_FD_FREE = 0,
	UST_FD_SOCK,
	UST_FD_EPOLL,
};

struct ust__fdent {
	uint8_t kind;		/* enum ust__fd_kind */
	uint32_t gen;		/* bumped at every allocation of this descriptor */
	int next_free;
	void *obj;		/* struct ust__sock * or struct ust__ep * */
};

/* Allocate a descriptor for obj; returns it or a negative errno (-EMFILE, -ENOMEM). */
int ust__fd_alloc(struct ust_stack *st, enum ust__fd_kind kind, void *obj);
void ust__fd_release(struct ust_stack *st, int fd);
/* The object behind fd if it is of kind, else NULL. */
void *ust__fd_get(struct ust_stack *st, int fd, enum ust__fd_kind kind);
enum ust__fd_kind ust__fd_kind(struct ust_stack *st, int fd);

/* Count err under its socket.err_* counter, set errno, return -1. */
int ust__api_fail(struct ust_stack *st, int err);
/* Socket behind sd, or NULL with errno set (EBADF, or ENOTSOCK for an epoll descriptor). */
struct ust__sock *ust__api_get_sock(struct ust_stack *st, int sd);

/* Ready mask of a socket as epoll sees it (protocol poll + EPOLLERR for SO_ERROR). */
uint32_t ust__sock_events(struct ust_stack *st, struct ust__sock *s);

/* epoll.c: forget a closing socket / destroy an epoll instance. */
void ust__epoll_sock_closed(struct ust_stack *st, struct ust__sock *s);
void ust__epoll_destroy(struct ust_stack *st, struct ust__ep *ep);

/* Close every descriptor (stack teardown), then free the table. */
void ust__api_close_all(struct ust_stack *st);
void ust__api_fini(struct ust_stack *st);

#endif
