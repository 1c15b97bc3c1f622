/*
 * Internal glue between the generic backend code (backend.c) and the backends themselves
 * (tap.c, afpacket.c, pair.c). Not for users: they see only io/backend.h.
 *
 * Lifecycle: ust_backend_open (or ust_pair_create) allocates the struct ust_backend with
 * ust__backend_alloc and lets the backend fill ops, priv, mtu, features, hw_addr and name.
 * ust_backend_close closes the capture, calls ops->close (which frees priv and whatever the
 * backend owns) and frees the struct.
 *
 * Counting: ust_backend_tx counts every frame it hands to ops->tx as sent (tx_packets,
 * tx_bytes) before the call, because ops->tx consumes the frames; an op that then fails to
 * send a frame calls ust__backend_tx_fail, which moves it from "sent" to tx_dropped or
 * tx_errors. ops->tx is therefore only ever called through ust_backend_tx.
 */
#ifndef UST_IO_BACKEND_IMPL_H
#define UST_IO_BACKEND_IMPL_H

#include <stdbool.h>

#include "io/backend.h"

/* Zeroed backend with pool set and name copied (truncated to fit); NULL on ENOMEM. */
struct ust_backend *ust__backend_alloc(struct ust_pool *pool, const char *name);

/* Complete a CSUM_PARTIAL frame's L4 checksum in software (backend.c) and clear the flag. */
void ust__backend_finish_csum(const struct ust_pool *pool, struct ust_pkt *pkt);
/* A frame ops->tx could not send: dropped (link full, refused) or an error. Does not free. */
void ust__backend_tx_fail(struct ust_backend *be, const struct ust_pkt *pkt, bool error);

/* Each fills *be (ops, priv, mtu, features, hw_addr) or returns a negative errno, leaving
 * nothing open. ifname is non-empty and shorter than IFNAMSIZ. */
int ust__tap_open(struct ust_backend *be, const char *ifname, const struct ust_backend_config *cfg);

/* AF_PACKET receive ring kind (spec option ",ring=v2|v3"); see afpacket.c for the trade-off. */
enum ust__afp_ring {
	UST__AFP_RING_V2,	/* default: per-frame handover, lowest latency */
	UST__AFP_RING_V3,	/* block handover: fewer wakeups at sustained high rates */
};
int ust__afpacket_open(struct ust_backend *be, const char *ifname,
		       const struct ust_backend_config *cfg, enum ust__afp_ring ring);

/* Interface ioctls in the caller's network namespace (netdev.c); 0 or negative errno. */
int ust__netdev_get_mtu(const char *ifname, uint32_t *mtu);
int ust__netdev_set_mtu(const char *ifname, uint32_t mtu);
int ust__netdev_set_up(const char *ifname);
int ust__netdev_get_hwaddr(const char *ifname, struct ust_eth_addr *addr);

/* Pair ends are on an injected clock: their captures use `now`, not the wall clock. */
extern const struct ust_backend_ops ust__pair_ops;

#endif
