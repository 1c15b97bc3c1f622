/*
 * Helpers for the TCP simulations: two stacks (A 10.0.0.1 client, B 10.0.0.2 server) on the
 * net harness's pair link and virtual clock, plus socket shortcuts, a bulk-transfer pump
 * with checksums, and a segment injector for forged segments (RFC 5961, PAWS, options).
 */
#ifndef UST_TEST_TCP_HARNESS_H
#define UST_TEST_TCP_HARNESS_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "../net/harness.h"
#include "net/tcp.h"
#include "wire/tcp.h"

int tsim_listen(struct ust_stack *st, uint16_t port, int backlog);
/* Non-blocking connect from st to ip:port; returns the socket (connect gave EINPROGRESS). */
int tsim_connect(struct ust_stack *st, uint32_t ip, uint16_t port);
/* Run until accept on lsd succeeds (or max_ns passes); returns the child or -1. */
int tsim_accept(struct sim *s, struct ust_stack *st, int lsd, uint64_t max_ns);
/* Connected pair: *c on A, *d on B (accepted). */
void tsim_pair(struct sim *s, uint16_t port, int *c, int *d);
/* Events of a socket now. */
uint32_t tsim_events(struct ust_stack *st, int sd);
int tsim_state(struct ust_stack *st, int sd);
int tsim_so_error(struct ust_stack *st, int sd);

/* Transfer len pseudo-random bytes from (st_tx, tx) to (st_rx, rx) and compare checksums. */
struct tsim_xfer {
	uint64_t len;
	uint64_t sent, rcvd;
	uint64_t sum_tx, sum_rx;
	uint32_t seed;
	bool close_after;	/* shutdown(SHUT_WR) when all is written; expect EOF */
	bool eof;
};
/* Pump both transfers (either may be NULL) until done or deadline. true when complete. */
bool tsim_pump(struct sim *s, struct ust_stack *sta, int a, struct tsim_xfer *ab, struct ust_stack *stb, int b,
	       struct tsim_xfer *ba, uint64_t deadline);

/* Inject a TCP segment into st as if it came from src:sport (IP + TCP built here). */
void tsim_inject(struct ust_stack *st, uint32_t src, uint32_t dst, const struct ust_tcp_repr *r,
		 const uint8_t *payload, size_t len);
/* Raw L4 bytes (for malformed options). */
void tsim_inject_raw(struct ust_stack *st, uint32_t src, uint32_t dst, const uint8_t *l4, size_t len);

#endif
