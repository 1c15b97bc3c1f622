/*
 * The stack object (struct ust_stack) and the internal interfaces between the modules of
 * src/net and src/api. Everything a stack owns hangs off this struct: backend, pools, timer
 * wheel, ARP cache, reassembly, demux table, descriptor table, counters. No globals.
 *
 * Receive path:  ust_stack_poll -> ust_backend_rx -> ust__eth_input -> ust__arp_input
 *                                                              \-> ust__ipv4_input -> reasm
 *                -> st->ip_protos[proto].input (icmp, udp, tcp) -> socket queues
 * Transmit path: protocol -> ust__ipv4_output (route, fragment) -> ust__arp_output
 *                -> ust__eth_output -> ust__stack_xmit (batch) -> ust_backend_tx per batch
 *
 * Packet ownership: every function taking a `struct ust_pkt *` consumes it.
 */
#ifndef UST_NET_STACK_H
#define UST_NET_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/counters.h"
#include "core/pktbuf.h"
#include "core/timer.h"
#include "io/backend.h"
#include "net/arp.h"
#include "net/demux.h"
#include "net/net_config.h"
#include "net/pq.h"
#include "net/reasm.h"
#include "net/sock.h"
#include "ustack/stack.h"
#include "wire/eth.h"
#include "wire/ipv4.h"

#define UST_ETH_COUNTERS(X)                                                              \
	X(rx_frames)                                                                     \
	X(rx_truncated)		/* shorter than an Ethernet header */                    \
	X(rx_other_mac)		/* unicast to another MAC */                             \
	X(rx_multicast)		/* multicast (we join no group) */                       \
	X(rx_unknown_ethertype)                                                          \
	X(rx_own_source)	/* our own MAC as source: a loop */                      \
	X(tx_frames) X(tx_batches)                                                       \
	X(tx_nobuf)		/* no headroom for the Ethernet header */

#define UST_IPV4_COUNTERS(X)                                                             \
	X(rx_packets) X(rx_delivered)                                                    \
	X(rx_truncated) X(rx_bad_version) X(rx_bad_header_len) X(rx_bad_length)          \
	X(rx_bad_checksum) X(rx_bad_fragment) X(rx_malformed)                            \
	X(rx_not_for_us)	/* destination is not our address or a broadcast */     \
	X(rx_bad_source)	/* source broadcast, multicast, zero or ours */          \
	X(rx_unknown_protocol)                                                           \
	X(rx_fragments)                                                                  \
	X(tx_packets) X(tx_fragments) X(tx_fragmented_datagrams)                         \
	X(tx_no_route) X(tx_too_big) X(tx_nobuf) X(tx_loopback)                          \
	X(pmtu_updates)

#define UST_ICMP_COUNTERS(X)                                                             \
	X(rx_packets) X(rx_malformed) X(rx_bad_checksum) X(rx_unsupported_type)          \
	X(rx_echo_requests) X(rx_echo_broadcast_ignored) X(rx_echo_replies)              \
	X(rx_echo_reply_unmatched) X(rx_echo_reply_queue_full)                           \
	X(rx_dest_unreach) X(rx_port_unreach) X(rx_frag_needed) X(rx_time_exceeded)      \
	X(rx_error_bad_quote) X(rx_error_unmatched) X(rx_error_delivered)                \
	X(tx_echo_replies) X(tx_echo_requests)                                           \
	X(tx_port_unreach) X(tx_proto_unreach) X(tx_time_exceeded) X(tx_frag_needed)     \
	X(tx_rate_limited)	/* errors suppressed by the token bucket */              \
	X(tx_error_suppressed)	/* never for broadcast, ICMP errors, non-first frags */  \
	X(tx_nobuf)

#define UST_UDP_COUNTERS(X)                                                              \
	X(rx_datagrams) X(rx_delivered)                                                  \
	X(rx_malformed)		/* truncated or bad length field */                      \
	X(rx_bad_checksum) X(rx_zero_checksum)                                           \
	X(rx_no_port)		/* no socket: port unreachable (unless broadcast) */     \
	X(rx_queue_full)	/* receive queue over SO_RCVBUF: dropped */              \
	X(rx_nobuf)		/* no buffer to copy a broadcast for a 2nd socket */     \
	X(tx_datagrams) X(tx_errors)

#define UST_SOCKET_COUNTERS(X)                                                           \
	X(opened) X(closed) X(epoll_opened)                                              \
	X(err_badf) X(err_notsock) X(err_inval) X(err_afnosupport) X(err_protonosupport) \
	X(err_addrinuse) X(err_addrnotavail) X(err_msgsize) X(err_again) X(err_notconn)  \
	X(err_isconn) X(err_acces) X(err_nobufs) X(err_opnotsupp) X(err_noprotoopt)      \
	X(err_destaddrreq) X(err_fault) X(err_mfile)                                     \
	X(err_async)		/* pending errors (SO_ERROR) reported by a call */        \
	X(err_other)

struct ust__eth_counters { UST_ETH_COUNTERS(UST_COUNTER_FIELD) };
struct ust__ipv4_counters { UST_IPV4_COUNTERS(UST_COUNTER_FIELD) };
struct ust__icmp_counters { UST_ICMP_COUNTERS(UST_COUNTER_FIELD) };
struct ust__udp_counters { UST_UDP_COUNTERS(UST_COUNTER_FIELD) };
struct ust__socket_counters { UST_SOCKET_COUNTERS(UST_COUNTER_FIELD) };

/* What an IP protocol handler gets with each datagram. */
struct ust__ip_rx {
	const struct ust_ipv4_repr *ip;	/* ip->payload points at the L4 bytes in pkt */
	bool link_broadcast;		/* arrived as an Ethernet broadcast */
	bool ip_broadcast;		/* destination was a broadcast address */
	bool reassembled;
	uint64_t now;
};

/* An ICMP error about a packet we sent, as delivered to the protocol that sent it. */
struct ust__icmp_err {
	uint8_t type, code;
	uint16_t mtu;			/* frag-needed: next-hop MTU (0 if the router gave none) */
	int error;			/* positive errno the socket should see */
	uint32_t src, dst;		/* quoted header: our address, the peer */
	uint8_t proto;
	const uint8_t *l4;		/* quoted L4 header (>= 8 bytes) */
	size_t l4_len;
};

/*
 * IP protocol handlers. input consumes pkt (data at the L4 header, trimmed to the IP
 * payload; pkt->l3_offset/l4_offset are offsets of the IP/L4 headers from the buffer start).
 */
typedef void (*ust__ip_input_fn)(struct ust_stack *st, struct ust_pkt *pkt, const struct ust__ip_rx *rx);
typedef void (*ust__ip_error_fn)(struct ust_stack *st, const struct ust__icmp_err *err);

struct ust__ip_proto {
	ust__ip_input_fn input;
	ust__ip_error_fn error;
};

/* What ust__ipv4_output needs besides the L4 bytes. */
struct ust__ip_tx {
	uint32_t src;		/* 0: the stack's address */
	uint32_t dst;
	uint8_t protocol;
	uint8_t ttl;		/* 0: UST_IPV4_TTL_DEFAULT */
	uint8_t tos;
	bool df;		/* don't fragment: -EMSGSIZE if larger than the path MTU */
	uint64_t owner;		/* socket token (ust__sock_token) for asynchronous errors, or 0 */
};

/*
 * Protocol modules: each gets init at stack creation (register IP handlers and socket ops)
 * and fini at destruction (after every socket was closed). The list is in net/modules.c.
 */
struct ust__module {
	const char *name;
	int (*init)(struct ust_stack *st);
	void (*fini)(struct ust_stack *st);
	/* Extra counter groups (TCP); may be NULL. Returns how many it wrote (<= max). */
	size_t (*counter_groups)(const struct ust_stack *st, struct ust_counter_group *out, size_t max);
	/* Output a socket call held back (TCP autocork), before the poll flushes; may be NULL.
	 * Called by ust_stack_poll when st->output_pending is set. */
	void (*push)(struct ust_stack *st);
};
extern const struct ust__module *const ust__modules[];	/* NULL-terminated */

struct ust__pmtu_entry {
	uint32_t dst;
	uint32_t mtu;
	uint64_t expires;
};

struct ust__fdent;	/* descriptor table entry (api/socket.c) */

#define UST_SOCK_OPS_MAX 8

struct ust_stack {
	struct ust_backend *be;
	struct ust__pools pools;	/* small: be->pool (frames); big: 64 KiB datagrams */
	bool own_small_pool;
	uint32_t mtu;			/* IP MTU of the link */
	uint32_t addr;			/* host order */
	uint8_t prefix_len;
	uint32_t netmask;
	uint32_t gateway;		/* 0: none */
	struct ust_eth_addr mac;
	bool accept_unsolicited_arp;
	uint64_t now;			/* last time passed to poll (socket calls use it) */
	uint64_t rng;			/* xorshift state, seeded from cfg->seed */
	int epfd;			/* kernel epoll on the backend fd (run_once), -1 if none */
	bool rx_more;			/* the last rx batch was full: more may be waiting */
	bool output_pending;		/* a module held output back until the next poll (push) */

	struct ust_timer_wheel wheel;
	struct ust_pkt *txq[UST_BATCH_MAX];	/* outgoing frames of this poll */
	unsigned ntx;
	struct ust_pkt_queue loopq;	/* frames we sent to ourselves, processed next poll */

	struct ust__arp arp;
	struct ust__reasm reasm;
	uint16_t ip_id;
	struct ust__pmtu_entry pmtu[UST_PMTU_ENTRIES];
	unsigned pmtu_count;		/* entries in use */
	struct ust__ip_proto ip_protos[256];
	double icmp_tokens;
	uint64_t icmp_tokens_time;

	struct ust__demux demux;
	const struct ust__sock_ops *sock_ops[UST_SOCK_OPS_MAX];
	unsigned n_sock_ops;
	struct ust__fdent *fds;		/* descriptor table (api/socket.c) */
	uint32_t nfds;
	int fd_free;			/* head of the free descriptor list, -1 if none */
	uint32_t live_fds;
	uint16_t ephemeral_next;
	void *tcp;			/* TCP module state (tcp_*.c) */

	struct ust__eth_counters eth;
	struct ust__ipv4_counters ipv4;
	struct ust__icmp_counters icmp;
	struct ust__udp_counters udp;
	struct ust__socket_counters sock;
};

/* --- stack.c --- */
uint64_t ust__rand(struct ust_stack *st);
/* Queue a finished frame for this poll's transmit batch (flushes when the batch is full). */
void ust__stack_xmit(struct ust_stack *st, struct ust_pkt *pkt);
/* Hand the batch to the backend now. */
void ust__stack_flush(struct ust_stack *st);
/* A frame-pool packet with headroom for Ethernet + IP, or NULL (counted by the caller). */
struct ust_pkt *ust__alloc_frame(struct ust_stack *st);
/*
 * A packet able to hold l4_len bytes of L4 data behind Ethernet + IP headers: a frame when
 * the datagram fits the MTU, else a big buffer. NULL when the pool is exhausted.
 */
struct ust_pkt *ust__alloc_l4(struct ust_stack *st, size_t l4_len);

/* --- eth.c --- */
void ust__eth_input(struct ust_stack *st, struct ust_pkt *pkt, uint64_t now);
/* Prepend an Ethernet header (src = our MAC) and transmit. Consumes pkt. */
void ust__eth_output(struct ust_stack *st, struct ust_pkt *pkt, const struct ust_eth_addr *dst,
		     uint16_t ethertype);

/* --- ipv4.c --- */
int ust__ipv4_init(struct ust_stack *st);	/* reassembly engine */
/* A frame we sent to ourselves (data at the IP header). Consumes pkt. */
void ust__ipv4_input_loop(struct ust_stack *st, struct ust_pkt *pkt, uint64_t now);
void ust__ipv4_input(struct ust_stack *st, struct ust_pkt *pkt, bool link_broadcast, uint64_t now);
/*
 * Send an IPv4 datagram whose L4 header + payload is pkt's data (frame or big pool, headroom
 * >= 34 bytes). Routes (local subnet direct, else gateway), fragments to the path MTU, resolves
 * the next hop. Consumes pkt on success and failure. Returns 0 (sent or queued for ARP) or
 * -ENETUNREACH (no route), -EMSGSIZE (df and too big, or over 65535), -ENOBUFS.
 */
int ust__ipv4_output(struct ust_stack *st, struct ust_pkt *pkt, const struct ust__ip_tx *tx);
/* Register handlers for an IP protocol number. 0 or -EBUSY. */
int ust__ipv4_register(struct ust_stack *st, uint8_t proto, ust__ip_input_fn input, ust__ip_error_fn error);
/* Next hop for dst: 0 and *nexthop, or -ENETUNREACH. */
int ust__ipv4_route(const struct ust_stack *st, uint32_t dst, uint32_t *nexthop);
/*
 * The received datagram's IP header + up to 8 bytes of its L4 data (pkt as handed to an IP
 * protocol handler), to quote in an ICMP error.
 */
const uint8_t *ust__ipv4_quote(const struct ust_stack *st, const struct ust_pkt *pkt, size_t *len);
bool ust__ipv4_is_broadcast(const struct ust_stack *st, uint32_t addr);
/* MTU towards dst: the link MTU, or less when a frag-needed taught us so. */
uint32_t ust__ipv4_path_mtu(struct ust_stack *st, uint32_t dst);
void ust__ipv4_pmtu_update(struct ust_stack *st, uint32_t dst, uint32_t mtu);

/* --- icmp.c --- */
int ust__icmp_module_init(struct ust_stack *st);
/*
 * Send an ICMP error about a received datagram (hdr = its IP header + at least 8 bytes of
 * payload, quote_len bytes). Applies the rules (never about broadcasts, ICMP errors or
 * non-first fragments) and the rate limit; each refusal is counted.
 */
void ust__icmp_send_error(struct ust_stack *st, uint8_t type, uint8_t code, uint16_t mtu,
			  const uint8_t *quote, size_t quote_len, bool was_broadcast);
/* Positive errno for an ICMP error type/code (ECONNREFUSED for port unreachable ...). */
int ust__icmp_errno(uint8_t type, uint8_t code);

/* --- dgram.c: iovec helpers and datagram-socket ops shared by ICMP and UDP sockets --- */
size_t ust__iov_total(const struct iovec *iov, int iovcnt);
void ust__iov_gather(uint8_t *dst, const struct iovec *iov, int iovcnt, size_t len);
size_t ust__iov_scatter(const struct iovec *iov, int iovcnt, const uint8_t *src, size_t len);
/* Take (or with MSG_PEEK look at) the next queued datagram; 0 after SHUT_RD, else -EAGAIN. */
ssize_t ust__dgram_recv(struct ust_stack *st, struct ust__sock *s, const struct iovec *iov, int iovcnt, int flags,
			uint32_t *from_addr, uint16_t *from_port);
uint32_t ust__dgram_poll(struct ust_stack *st, const struct ust__sock *s);
int ust__dgram_shutdown(struct ust_stack *st, struct ust__sock *s, int how);
void ust__dgram_close(struct ust_stack *st, struct ust__sock *s);

/* --- udp.c --- */
int ust__udp_module_init(struct ust_stack *st);

/* --- counters for tools --- */
size_t ust__stack_counter_groups(const struct ust_stack *st, struct ust_counter_group *out, size_t max);

#endif
