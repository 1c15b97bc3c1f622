/*
 * ustack: the stack object. One `struct ust_stack` is one independent, single-threaded
 * TCP/IP stack with its own backend, addresses, buffers, timers, sockets and counters.
 * Several can live in one process. Nothing here reads the clock: the caller passes `now`
 * (nanoseconds, monotonic) to every call that lets time pass, so the same stack runs on
 * real time (ust_stack_run) or on a virtual clock (tests, simulations).
 *
 * Errors: functions returning int give 0 or a negative errno (-EINVAL, -ENOMEM, ...).
 */
#ifndef USTACK_STACK_H
#define USTACK_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ust_stack;
struct ust_backend;

struct ust_stack_config {
	const char *ifspec;	/* "tap:NAME", "afpacket:IFNAME" (ignored by ust_stack_create_on) */
	const char *ip;		/* "A.B.C.D/N", required */
	const char *gateway;	/* "A.B.C.D" or NULL */
	const char *mac;	/* "aa:bb:cc:dd:ee:ff" or NULL: derived from the IP (locally administered) */
	const char *pcap;	/* capture every frame in and out to this file, or NULL */
	uint32_t pcap_snaplen;	/* keep at most this many bytes of each captured frame; 0: all */
	uint32_t mtu;		/* 0: the backend's */
	uint32_t buffers;	/* packet buffers in the pool; 0: default (8192 of 2 KiB; 1024 of
				 * 64 KiB on TAP with offload) */
	bool no_offload;	/* TAP: plain 1500-byte frames, no virtio-net header (default:
				 * checksum offload, TSO and GRO'ed frames, 64 KiB buffers) */
	bool accept_unsolicited_arp; /* learn from ARP replies nobody asked for (default: ignore) */
	uint64_t seed;		/* for ISNs, ephemeral ports, ICMP ids: 0 = from getrandom() */
	uint32_t tcp_msl_ms;	/* TCP maximum segment lifetime, TIME_WAIT lasting 2 MSL; 0: 30000
				 * (a 60 s TIME_WAIT, as Linux); at most 3600000 */
	const char *tcp_congestion; /* congestion control of every new TCP socket unless
				 * TCP_CONGESTION picks another: a name ust_tcp_congestion_builtin
				 * lists; NULL: "cubic". An unknown name fails creation with -ENOENT */
	size_t tcp_mem_limit;	/* bytes of packet-buffer memory (whole buffers, by their size) the
				 * send and receive queues of all TCP sockets may hold together; at
				 * the limit buffers stop auto-tuning, writes give EAGAIN and received
				 * data is dropped unacknowledged, except that each socket may always
				 * hold 4 buffers per direction. 0: 3/4 of the frame pool (with
				 * 8192 buffers of 2 KiB, 12 MiB). At least 8 buffers, at most the whole
				 * pool, or creation fails with -EINVAL */
};

/*
 * The congestion-control modules every stack has, by index from 0 ("newreno", "cubic");
 * NULL past the last. For ust_stack_config.tcp_congestion and TCP_CONGESTION.
 */
const char *ust_tcp_congestion_builtin(unsigned index);

/*
 * Create a stack on the backend named by cfg->ifspec. Returns 0 and *out or a negative errno;
 * *errmsg (if not NULL) then points at a static string naming what was wrong
 * ("bad --ip", "cannot open tap device", ...).
 */
int ust_stack_create(struct ust_stack **out, const struct ust_stack_config *cfg, const char **errmsg);

/* Create a stack on an already-open backend (pair links); the stack takes ownership of it. */
int ust_stack_create_on(struct ust_stack **out, struct ust_backend *backend,
			const struct ust_stack_config *cfg, const char **errmsg);

/* Close every socket (TCP connections are reset), free everything. NULL is allowed. */
void ust_stack_destroy(struct ust_stack *st);

/*
 * Do all work that is due at `now`: receive and process a batch of frames, run expired
 * timers, flush transmit batches. Never blocks. Returns the number of frames processed.
 */
int ust_stack_poll(struct ust_stack *st, uint64_t now);

/* Earliest time the stack needs ust_stack_poll again even if no frame arrives (UINT64_MAX: none). */
uint64_t ust_stack_next_deadline(const struct ust_stack *st);

/* File descriptor that becomes readable when frames arrive (-1 for pair links). */
int ust_stack_fd(const struct ust_stack *st);

/*
 * Convenience loop step on real time: poll, then block in epoll on the backend's fd until a
 * frame arrives, the next deadline passes, or timeout_ms (-1: no limit) elapses, then poll again.
 * Returns frames processed or a negative errno.
 */
int ust_stack_run_once(struct ust_stack *st, int timeout_ms);

/* Monotonic clock in ns, the one real-time tools pass as `now`. */
uint64_t ust_now(void);

/* The stack's IPv4 address / prefix / gateway (host byte order) and MAC. */
uint32_t ust_stack_ipv4(const struct ust_stack *st);
void ust_stack_mac(const struct ust_stack *st, uint8_t mac[6]);

/*
 * Counters, by group and name: the callback gets ("ipv4", "rx_bad_checksum", 3) for every
 * counter of every module. Stops early if the callback returns non-zero.
 */
typedef int (*ust_counter_fn)(void *arg, const char *group, const char *name, uint64_t value);
void ust_stack_counters(const struct ust_stack *st, ust_counter_fn fn, void *arg);
/* One counter by "group.name"; returns 0 and *value, or -ENOENT. */
int ust_stack_counter(const struct ust_stack *st, const char *group_dot_name, uint64_t *value);

/* Start or stop capturing to a pcap file at run time (path NULL stops). */
int ust_stack_capture(struct ust_stack *st, const char *path);

#ifdef __cplusplus
}
#endif
#endif
