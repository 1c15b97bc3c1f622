/*
 * Epoll-like event API over a stack's sockets. An epoll instance is a descriptor in the
 * stack's table; each watched socket has an item linked three ways: on the instance's item
 * list, on the socket's watcher list, and (when it may be ready) on the instance's ready list.
 *   protocol -> ust__sock_wakeup -> item onto the ready list
 *   ust_epoll_collect -> for each ready item: ask the socket (ops->poll) what is ready now
 * Level-triggered items stay on the ready list while they are ready; edge-triggered items
 * leave it once reported and come back only with the next wakeup (a new event).
 * Owns the instances and their items.
 */
#include <errno.h>
#include <stdlib.h>

#include "api/api.h"
#include "core/util.h"
#include "net/stack.h"
#include "ustack/socket.h"

struct ust__epitem {
	struct ust__ep *ep;
	struct ust__sock *s;
	uint32_t events;		/* interest (EPOLLIN, EPOLLET, ...) */
	epoll_data_t data;
	bool ready;			/* on ep's ready list */
	struct ust__epitem *iprev, *inext;	/* ep's items */
	struct ust__epitem *sprev, *snext;	/* socket's watchers */
	struct ust__epitem *rprev, *rnext;	/* ep's ready list */
};

struct ust__ep {
	int epd;
	struct ust__epitem *items;
	struct ust__epitem *rhead, *rtail;
};

static void ready_add(struct ust__epitem *it)
{
	if (it->ready)
		return;
	struct ust__ep *ep = it->ep;
	it->ready = true;
	it->rnext = NULL;
	it->rprev = ep->rtail;
	if (ep->rtail)
		ep->rtail->rnext = it;
	else
		ep->rhead = it;
	ep->rtail = it;
}

static void ready_del(struct ust__epitem *it)
{
	if (!it->ready)
		return;
	struct ust__ep *ep = it->ep;
	if (it->rprev)
		it->rprev->rnext = it->rnext;
	else
		ep->rhead = it->rnext;
	if (it->rnext)
		it->rnext->rprev = it->rprev;
	else
		ep->rtail = it->rprev;
	it->rprev = it->rnext = NULL;
	it->ready = false;
}

static void item_free(struct ust__epitem *it)
{
	ready_del(it);
	struct ust__ep *ep = it->ep;
	if (it->iprev)
		it->iprev->inext = it->inext;
	else
		ep->items = it->inext;
	if (it->inext)
		it->inext->iprev = it->iprev;
	struct ust__sock *s = it->s;
	if (it->sprev)
		it->sprev->snext = it->snext;
	else
		s->watchers = it->snext;
	if (it->snext)
		it->snext->sprev = it->sprev;
	free(it);
}

void ust__sock_wakeup(struct ust_stack *st, struct ust__sock *s)
{
	(void)st;
	for (struct ust__epitem *it = s->watchers; it; it = it->snext)
		ready_add(it);
}

void ust__epoll_sock_closed(struct ust_stack *st, struct ust__sock *s)
{
	(void)st;
	while (s->watchers)
		item_free(s->watchers);
}

void ust__epoll_destroy(struct ust_stack *st, struct ust__ep *ep)
{
	while (ep->items)
		item_free(ep->items);
	ust__fd_release(st, ep->epd);
	free(ep);
}

static int fail(struct ust_stack *st, int err)
{
	if (err == EBADF)
		st->sock.err_badf++;
	else if (err == EINVAL)
		st->sock.err_inval++;
	else if (err == EFAULT)
		st->sock.err_fault++;
	else
		st->sock.err_other++;
	errno = err;
	return -1;
}

int ust_epoll_create(struct ust_stack *st)
{
	if (!st) {
		errno = EINVAL;
		return -1;
	}
	struct ust__ep *ep = calloc(1, sizeof(*ep));
	if (!ep)
		return fail(st, ENOMEM);
	int fd = ust__fd_alloc(st, UST_FD_EPOLL, ep);
	if (fd < 0) {
		free(ep);
		return fail(st, -fd);
	}
	ep->epd = fd;
	st->sock.epoll_opened++;
	return fd;
}

static struct ust__epitem *find(struct ust__ep *ep, struct ust__sock *s)
{
	for (struct ust__epitem *it = s->watchers; it; it = it->snext)
		if (it->ep == ep)
			return it;
	return NULL;
}

int ust_epoll_ctl(struct ust_stack *st, int epd, int op, int sd, struct epoll_event *event)
{
	struct ust__ep *ep = ust__fd_get(st, epd, UST_FD_EPOLL);
	if (!ep)
		return fail(st, ust__fd_kind(st, epd) == UST_FD_FREE ? EBADF : EINVAL);
	enum ust__fd_kind k = ust__fd_kind(st, sd);
	if (k == UST_FD_FREE)
		return fail(st, EBADF);
	if (k != UST_FD_SOCK)
		return fail(st, EINVAL);	/* no epoll inside epoll */
	struct ust__sock *s = st->fds[sd].obj;
	struct ust__epitem *it = find(ep, s);
	switch (op) {
	case EPOLL_CTL_ADD:
		if (!event)
			return fail(st, EFAULT);
		if (it) {
			errno = EEXIST;
			st->sock.err_other++;
			return -1;
		}
		it = calloc(1, sizeof(*it));
		if (!it)
			return fail(st, ENOMEM);
		it->ep = ep;
		it->s = s;
		it->inext = ep->items;
		if (ep->items)
			ep->items->iprev = it;
		ep->items = it;
		it->snext = s->watchers;
		if (s->watchers)
			s->watchers->sprev = it;
		s->watchers = it;
		break;
	case EPOLL_CTL_MOD:
		if (!event)
			return fail(st, EFAULT);
		if (!it) {
			errno = ENOENT;
			st->sock.err_other++;
			return -1;
		}
		break;
	case EPOLL_CTL_DEL:
		if (!it) {
			errno = ENOENT;
			st->sock.err_other++;
			return -1;
		}
		item_free(it);
		return 0;
	default:
		return fail(st, EINVAL);
	}
	it->events = event->events;
	it->data = event->data;
	ready_add(it);	/* whatever is ready already is reported by the next collect */
	return 0;
}

int ust_epoll_collect(struct ust_stack *st, int epd, struct epoll_event *events, int maxevents)
{
	struct ust__ep *ep = ust__fd_get(st, epd, UST_FD_EPOLL);
	if (!ep)
		return fail(st, ust__fd_kind(st, epd) == UST_FD_FREE ? EBADF : EINVAL);
	if (maxevents <= 0)
		return fail(st, EINVAL);
	if (!events)
		return fail(st, EFAULT);
	/* Visit each item on the list once; level-triggered ones go back to the tail. */
	unsigned pending = 0;
	for (struct ust__epitem *it = ep->rhead; it; it = it->rnext)
		pending++;
	int n = 0;
	while (pending-- && n < maxevents) {
		struct ust__epitem *it = ep->rhead;
		ready_del(it);
		uint32_t want = (it->events & ~(uint32_t)(EPOLLET | EPOLLONESHOT)) | EPOLLERR | EPOLLHUP;
		uint32_t got = ust__sock_events(st, it->s) & want;
		if (!got)
			continue;
		events[n].events = got;
		events[n].data = it->data;
		n++;
		if (it->events & EPOLLONESHOT)
			it->events = 0;	/* disarmed until EPOLL_CTL_MOD */
		else if (!(it->events & EPOLLET))
			ready_add(it);
	}
	return n;
}

int ust_epoll_wait(struct ust_stack *st, int epd, struct epoll_event *events, int maxevents, int timeout_ms)
{
	uint64_t start = ust_now();
	uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : start + (uint64_t)timeout_ms * UST_NS_PER_MS;
	ust_stack_poll(st, start);
	for (;;) {
		int n = ust_epoll_collect(st, epd, events, maxevents);
		if (n != 0 || timeout_ms == 0)
			return n;
		uint64_t now = ust_now();
		if (now >= deadline)
			return 0;
		int ms = -1;
		if (deadline != UINT64_MAX)
			ms = (int)UST_MIN((deadline - now + UST_NS_PER_MS - 1) / UST_NS_PER_MS, (uint64_t)INT32_MAX);
		int r = ust_stack_run_once(st, ms);
		if (r < 0) {
			errno = -r;
			return -1;
		}
	}
}
