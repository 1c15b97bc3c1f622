/*
 * Demultiplexing table: (protocol, local address, local port, remote address, remote port)
 * -> owner, in O(1) expected time (chained hash, grows by doubling). Used by UDP and ICMP
 * sockets now and by TCP (listeners with remote 0/0, connections with the full 5-tuple).
 *
 * Nodes are intrusive (embedded in the socket or connection that owns them), so inserting
 * never allocates except when the bucket array grows. Several nodes may share one key
 * (SO_REUSEADDR); lookups return the first and ust__demux_next walks the others.
 * Addresses are host order; a wildcard is 0.
 */
#ifndef UST_NET_DEMUX_H
#define UST_NET_DEMUX_H

#include <stdbool.h>
#include <stdint.h>

struct ust__demux_key {
	uint32_t laddr;
	uint32_t raddr;
	uint16_t lport;
	uint16_t rport;
	uint8_t proto;
};

struct ust__demux_node {
	struct ust__demux_node *next;	/* bucket chain */
	struct ust__demux_key key;
	bool linked;
	unsigned share;			/* port sharing allowed (UST_SOCK_F_REUSEADDR|REUSEPORT bits) */
	void *owner;			/* the socket or connection (the protocol decides which) */
};

struct ust__demux {
	struct ust__demux_node **buckets;
	uint32_t mask;			/* bucket count - 1 */
	uint32_t count;
	uint64_t seed;			/* hash seed: remote peers cannot aim at one bucket */
};

int ust__demux_init(struct ust__demux *d, uint32_t initial_buckets, uint64_t seed);
void ust__demux_fini(struct ust__demux *d);

/* Link node under key (node->owner set by the caller). 0 or -ENOMEM (growing failed: still linked). */
int ust__demux_insert(struct ust__demux *d, struct ust__demux_node *node,
		      const struct ust__demux_key *key);
/* Unlink; harmless if not linked. */
void ust__demux_remove(struct ust__demux *d, struct ust__demux_node *node);

/* First node with exactly this key, or NULL. */
struct ust__demux_node *ust__demux_lookup(const struct ust__demux *d, const struct ust__demux_key *key);
/* Next node after `node` with the same key, or NULL. */
struct ust__demux_node *ust__demux_next(const struct ust__demux_node *node);

static inline struct ust__demux_key ust__demux_key_make(uint8_t proto, uint32_t laddr, uint16_t lport,
							  uint32_t raddr, uint16_t rport)
{
	struct ust__demux_key k = { .laddr = laddr, .raddr = raddr, .lport = lport, .rport = rport,
				    .proto = proto };
	return k;
}

#endif
