/*
 * Limits and defaults of the IP layer (src/net) and the socket layer (src/api), in one place.
 * Every value is a default a test or a tool may rely on; change them here, not at use sites.
 */
#ifndef UST_NET_CONFIG_H
#define UST_NET_CONFIG_H

/* --- pools --- */
#define UST_NET_BIG_BUF_SIZE (65536u + 512u)	/* one reassembled or big outgoing datagram + headroom */
#define UST_NET_BIG_BUF_COUNT 48u		/* big buffers per stack (reassembly + big sends + queued) */
#define UST_NET_HEADROOM 128u			/* headroom in both pools */
/* The frame pool of a TAP stack with offload (ust_stack_create): 64 KiB TSO/GRO frames. */
#define UST_NET_OFFLOAD_BUF_SIZE (65536u + UST_NET_HEADROOM)	/* a multiple of 64, as pools want */
#define UST_NET_OFFLOAD_BUF_COUNT 1024u

/* --- ARP --- */
#define UST_ARP_TABLE_SIZE 256u			/* entries (incomplete + resolved) */
#define UST_ARP_REACHABLE_NS (60ull * 1000000000ull)	/* lifetime of a resolved entry */
#define UST_ARP_RETRY_NS (1000000000ull)	/* between requests while resolving */
#define UST_ARP_TRIES 3u			/* requests before giving up */
/* Frames waiting for resolution are limited by their bytes (Ethernet frame length), like
 * Linux's unres_qlen_bytes (212992 by default), so that a burst of fragments, e.g. two
 * back-to-back 64 KiB UDP datagrams (2 x 45 frames), survives resolution. Whatever the
 * frame size, at most half of the stack's frame pool is ever held here (UST_ARP_QUEUE_
 * POOL_DIVISOR), so tiny frames cannot starve receive and send of buffers. */
#define UST_ARP_QUEUE_BYTES_PER_ENTRY (256u * 1024u)	/* waiting for one resolution */
#define UST_ARP_QUEUE_BYTES_TOTAL (1024u * 1024u)	/* waiting for all resolutions */
#define UST_ARP_QUEUE_POOL_DIVISOR 2u		/* frames queued <= frame pool count / this */

/* --- IPv4 --- */
#define UST_IPV4_MIN_MTU 68u
#define UST_PMTU_ENTRIES 32u			/* path MTU cache (learned from frag-needed) */
#define UST_PMTU_LIFETIME_NS (600ull * 1000000000ull)

/* --- reassembly --- */
#define UST_REASM_MAX_DEFAULT 16u		/* concurrent reassemblies; each holds one big buffer */
#define UST_REASM_MAX_LIMIT 64u
#define UST_REASM_TIMEOUT_NS (30ull * 1000000000ull)

/* --- ICMP --- */
#define UST_ICMP_RATE_BURST 50u			/* token bucket for ICMP errors we send */
#define UST_ICMP_RATE_INTERVAL_NS (10ull * 1000000ull)	/* one token per 10 ms */

/* --- UDP / sockets --- */
#define UST_EPHEMERAL_LOW 32768u
#define UST_EPHEMERAL_HIGH 60999u
#define UST_SOCK_RCVBUF_DEFAULT (212992u)	/* bytes of payload queued per socket (Linux default) */
#define UST_SOCK_SNDBUF_DEFAULT (212992u)
/* What a queued datagram costs against SO_RCVBUF beyond its payload (Linux's truesize idea):
 * without it, a flood of 1-byte datagrams to an unread socket could hold every frame buffer. */
#define UST_SOCK_DGRAM_OVERHEAD 768u
#define UST_SOCK_BUF_MIN 2048u
#define UST_SOCK_BUF_MAX (64u * 1024u * 1024u)

#endif
