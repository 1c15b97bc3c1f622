/*
 * Shared plumbing for the ustack programs: the common command-line options (--if, --ip, --gw,
 * --mac, --pcap, --no-offload, --congestion, --stats, --help), strict value parsers whose error messages
 * name the option, and the event loop every tool runs: one kernel epoll holding the stack's
 * backend fd, a signalfd for SIGINT/SIGTERM and the tool's own kernel fds (stdin), so that
 * nothing a tool waits for can block the stack. The stack answers ARP and pings whenever it
 * is polled, so every tool answers pings while it runs.
 *
 * Sits above include/ustack/ only. Owns: the tool's stack, its epoll fd and signalfd, and the
 * PM QoS request of --cpu-latency (held open for the program's lifetime).
 * Exit codes: UST_TOOL_EXIT_OK 0, UST_TOOL_EXIT_RUNTIME 1, UST_TOOL_EXIT_USAGE 2.
 */
#ifndef USTACK_TOOL_COMMON_H
#define USTACK_TOOL_COMMON_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <ustack/socket.h>
#include <ustack/stack.h>

#define UST_TOOL_EXIT_OK 0
#define UST_TOOL_EXIT_RUNTIME 1
#define UST_TOOL_EXIT_USAGE 2

/* --busy-poll: one round of ust_tool_wait in this many also watches the tool's fds and
 * signals and yields the CPU when idle; the others only poll the stack (about 0.5 us). */
#define UST_TOOL_BUSY_FULL_ROUND 64u

/* getopt_long codes of the common options (outside the range of short options). */
enum {
	UST_TOOL_OPT_IF = 0x1000,
	UST_TOOL_OPT_IP,
	UST_TOOL_OPT_GW,
	UST_TOOL_OPT_MAC,
	UST_TOOL_OPT_PCAP,
	UST_TOOL_OPT_NO_OFFLOAD,
	UST_TOOL_OPT_STATS,
	UST_TOOL_OPT_HELP,
	UST_TOOL_OPT_BUSY_POLL,
	UST_TOOL_OPT_PCAP_SNAPLEN,
	UST_TOOL_OPT_CPU_LATENCY,
	UST_TOOL_OPT_CONGESTION,
	UST_TOOL_OPT_FIRST_FREE,	/* tools number their own long-only options from here */
};

/* Entries to splice into a tool's struct option array. */
#define UST_TOOL_COMMON_LONGOPTS                                              \
	{ "if", required_argument, NULL, UST_TOOL_OPT_IF },                   \
	{ "ip", required_argument, NULL, UST_TOOL_OPT_IP },                   \
	{ "gw", required_argument, NULL, UST_TOOL_OPT_GW },                   \
	{ "mac", required_argument, NULL, UST_TOOL_OPT_MAC },                 \
	{ "pcap", required_argument, NULL, UST_TOOL_OPT_PCAP },               \
	{ "no-offload", no_argument, NULL, UST_TOOL_OPT_NO_OFFLOAD },         \
	{ "stats", no_argument, NULL, UST_TOOL_OPT_STATS },                   \
	{ "help", no_argument, NULL, UST_TOOL_OPT_HELP },                     \
	{ "busy-poll", no_argument, NULL, UST_TOOL_OPT_BUSY_POLL },           \
	{ "pcap-snaplen", required_argument, NULL, UST_TOOL_OPT_PCAP_SNAPLEN }, \
	{ "cpu-latency", required_argument, NULL, UST_TOOL_OPT_CPU_LATENCY }, \
	{ "congestion", required_argument, NULL, UST_TOOL_OPT_CONGESTION }

/* Tag of the events ust_tool_wait returns for the tool's own fds (stack/signal are internal). */
struct ust_tool_event {
	uint32_t tag;		/* what the tool passed to ust_tool_watch_fd */
	uint32_t events;	/* EPOLLIN, EPOLLOUT, EPOLLHUP, ... */
};

struct ust_tool {
	const char *prog;		/* program name for messages */
	struct ust_stack_config cfg;	/* filled by the common options */
	bool print_stats;		/* --stats: dump every counter to stderr on exit */
	bool help;			/* --help was given */
	bool busy_poll;			/* --busy-poll: never sleep in the kernel (a core of its own) */
	unsigned busy_rounds;		/* --busy-poll: rounds of ust_tool_wait so far */
	long cpu_latency_us;		/* --cpu-latency: PM QoS wake-up latency to hold, -1 = none */
	int cpu_latency_fd;		/* /dev/cpu_dma_latency while the request is held, else -1 */
	struct ust_stack *stack;	/* NULL until ust_tool_open */
	int epfd;			/* kernel epoll: stack fd, signalfd, tool fds */
	int sigfd;			/* SIGINT/SIGTERM/SIGHUP, blocked and read here */
	int stop_signal;		/* non-zero once such a signal arrived */
};

/* Set defaults (no stack yet). */
void ust_tool_init(struct ust_tool *t, const char *prog);

/*
 * Handle one getopt_long result if it is a common option. Returns 1 when handled, 0 when the
 * option is not a common one, -1 after printing an error that names the option.
 */
int ust_tool_common_option(struct ust_tool *t, int opt, const char *arg);

/* Print the message for getopt's '?' and ':' results, naming the offending option. */
void ust_tool_bad_option(const struct ust_tool *t, int opt, char *const argv[]);

/* Lines of --help describing the common options. */
void ust_tool_common_usage(FILE *f);

/* After parsing: --if and --ip are required. Prints what is missing; returns 0 or -1. */
int ust_tool_check_required(const struct ust_tool *t);

/* printf-style error "prog: message" on stderr. */
void ust_tool_error(const struct ust_tool *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Value parsers: 0 on success, -1 after printing "prog: OPT: 'VALUE' is not ..." */
int ust_tool_parse_ulong(const struct ust_tool *t, const char *opt, const char *s,
			 unsigned long min, unsigned long max, unsigned long *out);
int ust_tool_parse_seconds(const struct ust_tool *t, const char *opt, const char *s,
			   double min, double max, uint64_t *out_ns);
int ust_tool_parse_port(const struct ust_tool *t, const char *opt, const char *s, uint16_t *out);
/* Dotted quad only (no host names: the stack has no resolver). Result in network order. */
int ust_tool_parse_ipv4(const struct ust_tool *t, const char *opt, const char *s, struct in_addr *out);
bool ust_tool_valid_ipv4(const char *s, uint32_t *host_order);

/*
 * Create the stack from t->cfg, block SIGINT/SIGTERM/SIGHUP into a signalfd, and build the
 * epoll set. Returns 0, or -1 after printing why (the stack's own message included).
 */
int ust_tool_open(struct ust_tool *t);

/*
 * Watch a kernel fd for `events`; reported by ust_tool_wait with `tag`. Returns 0, or -1 with
 * errno (EPERM: the fd cannot be polled, e.g. a regular file: treat it as always ready).
 */
int ust_tool_watch_fd(struct ust_tool *t, int fd, uint32_t events, uint32_t tag);
int ust_tool_unwatch_fd(struct ust_tool *t, int fd);

/*
 * One turn of the event loop: poll the stack (process frames, timers, flush transmits); unless
 * that processed frames, sleep until a frame, a watched fd, a signal, the stack's next deadline
 * or `until_ns` (absolute, ust_now() clock; UINT64_MAX: no limit; 0: do not sleep); then poll
 * the stack again. The caller then looks at its sockets (non-blocking calls). With
 * --busy-poll it never sleeps, and only one call in UST_TOOL_BUSY_FULL_ROUND looks at the
 * tool's fds and signals (the others poll the stack once and return 0).
 * Returns the number of tool events stored (<= max); t->stop_signal is set by signals.
 */
int ust_tool_wait(struct ust_tool *t, uint64_t until_ns, struct ust_tool_event *ev, int max);

/* Flush what is queued, print counters if --stats, destroy the stack, close fds. */
void ust_tool_close(struct ust_tool *t);

/* "a.b.c.d:port" of a sockaddr_in, into buf (at least 24 bytes). */
const char *ust_tool_addr_str(const struct sockaddr_in *sa, char *buf, size_t len);

#endif
