/*
 * Backends: where a stack's (or the emulator's) frames come from and go to, behind one small
 * ops table (netmap's rxsync/txsync/close). Every backend moves packets in batches between the
 * link and buffers of the caller's pool; a frame is a whole Ethernet frame starting at the
 * packet's data (any virtio-net header is translated into the packet's offload fields).
 *
 *   stack poll -> ust_backend_rx(be, pkts, n, now) -> ops->rx -> link
 *   stack flush -> ust_backend_tx(be, pkts, n, now) -> ops->tx -> link
 *
 * Specs: "tap:NAME" (attach to TAP device NAME, created if absent), "afpacket:IFNAME"
 * (receive ring TPACKET_V2, lowest latency; "afpacket:IFNAME,ring=v3" for TPACKET_V3, fewer
 * wakeups at sustained high rates; ",ring=v2" is accepted too; other options are -EINVAL),
 * "pair" links are made with ust_pair_create (they join two backends in memory).
 * The wrappers ust_backend_rx/tx also feed the pcap capture when one is set.
 */
#ifndef UST_IO_BACKEND_H
#define UST_IO_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "core/counters.h"
#include "core/pktbuf.h"
#include "wire/eth.h"

struct ust_backend;
struct ust_pcap_writer;

#define UST_BACKEND_COUNTERS(X)                                                       \
	X(rx_packets) X(rx_bytes) X(tx_packets) X(tx_bytes)                           \
	X(rx_nobuf)		/* frame dropped: pool exhausted */                   \
	X(rx_truncated)		/* frame larger than a buffer, dropped */             \
	X(rx_errors)		/* read error from the link */                        \
	X(tx_dropped)		/* link full or refused the frame */                  \
	X(tx_errors)								      \
	X(rx_link_drops)	/* the kernel dropped frames before we took them (ring full) */

struct ust_backend_counters {
	UST_BACKEND_COUNTERS(UST_COUNTER_FIELD)
};

/* Feature bits a backend reports after open. */
#define UST_BACKEND_F_CSUM_OFFLOAD 0x1u	/* accepts UST_PKT_F_CSUM_PARTIAL on tx, may set CSUM_VALID on rx */
#define UST_BACKEND_F_TSO 0x2u		/* accepts UST_PKT_F_GSO_TCPV4 frames up to 64 KiB */
#define UST_BACKEND_F_GRO 0x4u		/* may deliver frames larger than the MTU (GRO'ed) */

struct ust_backend_config {
	bool offload;		/* negotiate checksum/TSO offload where the backend can (TAP vnet hdr);
				 * TAP then needs pool buf_size >= 65536 + headroom, else -EINVAL */
	uint32_t mtu;		/* 0: the link's own (TAP default 1500) */
};

struct ust_backend_ops {
	const char *name;
	/* Receive up to n frames into buffers allocated from be->pool; never blocks. */
	unsigned (*rx)(struct ust_backend *be, struct ust_pkt **pkts, unsigned n, uint64_t now);
	/* Transmit n frames; consumes all of them (sent, or dropped and counted). Never blocks. */
	void (*tx)(struct ust_backend *be, struct ust_pkt **pkts, unsigned n, uint64_t now);
	/* Pollable fd that becomes readable when rx has frames, or -1 (pair: see next_deadline). */
	int (*fd)(const struct ust_backend *be);
	/* Earliest time at which rx could return a frame that is not ready yet (UINT64_MAX: none). */
	uint64_t (*next_deadline)(const struct ust_backend *be);
	void (*close)(struct ust_backend *be);
};

struct ust_backend {
	const struct ust_backend_ops *ops;
	struct ust_pool *pool;		/* borrowed: rx buffers come from here */
	struct ust_eth_addr hw_addr;	/* the link's MAC if it has one (afpacket), else zero */
	uint32_t mtu;			/* IP MTU of the link */
	unsigned features;		/* UST_BACKEND_F_* */
	char name[32];			/* interface or link name */
	struct ust_pcap_writer *pcap;	/* capture of every frame in and out, or NULL */
	struct ust_backend_counters counters;
	void *priv;			/* the backend's own state */
};

/*
 * Open a backend from a spec string ("tap:NAME", "afpacket:IFNAME[,ring=v2|v3]"). Returns 0 or
 * a negative errno (-EINVAL with an unknown kind, empty name or unknown option, -EPERM without
 * privileges, ...).
 */
int ust_backend_open(struct ust_backend **out, const char *spec, struct ust_pool *pool,
		     const struct ust_backend_config *cfg);

/* Close and free; also closes the pcap capture if set. NULL is allowed. */
void ust_backend_close(struct ust_backend *be);

/* Start capturing to a pcap file (nanosecond timestamps, Ethernet). 0 or negative errno. */
int ust_backend_capture(struct ust_backend *be, const char *path);
/* The same, keeping at most snaplen bytes of each frame (0: all of it). */
int ust_backend_capture_snaplen(struct ust_backend *be, const char *path, uint32_t snaplen);

/* Wrappers every caller uses: they count and capture, then call the ops. */
unsigned ust_backend_rx(struct ust_backend *be, struct ust_pkt **pkts, unsigned n, uint64_t now);
void ust_backend_tx(struct ust_backend *be, struct ust_pkt **pkts, unsigned n, uint64_t now);

static inline int ust_backend_fd(const struct ust_backend *be)
{
	return be->ops->fd ? be->ops->fd(be) : -1;
}

static inline uint64_t ust_backend_next_deadline(const struct ust_backend *be)
{
	return be->ops->next_deadline ? be->ops->next_deadline(be) : UINT64_MAX;
}

/*
 * Impairment hook for pair links (used until and alongside the emulator): called for each
 * frame entering the link; returns how many copies to deliver (0 = drop, 2 = duplicate) and
 * may set *delay_ns to hold the frame back (reordering). May modify the bytes (corruption).
 */
typedef unsigned (*ust_pair_impair_fn)(void *arg, struct ust_pool *pool, struct ust_pkt *pkt,
				       uint64_t now, uint64_t *delay_ns);

/*
 * A stage a pair link can carry in each direction (the emulator provides one): frames enter
 * it already copied into the receiver's pool, and leave it when their time has come.
 * dir is 0 for a->b and 1 for b->a. The stage owns what it holds and frees it at teardown.
 */
struct ust_link_stage_ops {
	void (*input)(void *stage, int dir, struct ust_pkt *pkt, uint64_t now);
	unsigned (*output)(void *stage, int dir, struct ust_pkt **pkts, unsigned n, uint64_t now);
	uint64_t (*next_deadline)(void *stage, int dir);
};

struct ust_pair_config {
	uint32_t mtu;			/* 0: 1500 */
	uint64_t delay_ns;		/* fixed one-way delay */
	uint32_t queue_limit;		/* frames in flight per direction before tail drop (0: 4096) */
	ust_pair_impair_fn impair;	/* optional, both directions */
	void *impair_arg;
	const struct ust_link_stage_ops *stage_ops;	/* optional: e.g. an emulator instance */
	void *stage;
	/* Big segments, the way veth carries them: both ends report CSUM_OFFLOAD | TSO | GRO,
	 * a GSO_TCPV4 frame of up to 64 KiB crosses whole and arrives as a GRO'ed frame (GSO
	 * flag and gso_size kept), and a CSUM_PARTIAL frame arrives CSUM_VALID (memory does not
	 * corrupt). With an impair hook or a stage, which may change bytes, the checksum is
	 * finished in software before the frame enters the link and the receiver verifies it.
	 * Both pools need buffers of at least 65536 bytes after the headroom, else -EINVAL. */
	bool offload;
};

/*
 * Two backends joined in memory: what a sends, b receives, and back. Frames are copied into
 * the receiver's pool (the two may share one: then a frame nobody else holds a reference to
 * is handed over instead of copied, unless an impair hook is set). Both ends must be closed
 * with ust_backend_close; the link is freed with the second.
 */
int ust_pair_create(struct ust_backend **a, struct ust_backend **b, struct ust_pool *pool_a,
		    struct ust_pool *pool_b, const struct ust_pair_config *cfg);

#endif
