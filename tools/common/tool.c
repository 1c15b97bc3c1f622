/*
 * Common options, value parsers and the event loop of the ustack programs (see tool.h).
 * Each parser either accepts the whole string or prints one line naming the option and the
 * rejected value, so every tool refuses bad input the same way.
 */
#include "tool.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* epoll data of the two internal fds; tool tags are stored with this bit clear. */
#define TAG_INTERNAL 0x80000000u
#define TAG_STACK (TAG_INTERNAL | 1u)
#define TAG_SIGNAL (TAG_INTERNAL | 2u)

void ust_tool_init(struct ust_tool *t, const char *prog)
{
	memset(t, 0, sizeof(*t));
	t->prog = prog;
	t->epfd = -1;
	t->sigfd = -1;
	t->cpu_latency_us = -1;
	t->cpu_latency_fd = -1;
}

/*
 * --cpu-latency: a PM QoS request through /dev/cpu_dma_latency (the kernel's interface for
 * it; tuned's latency-performance profile uses the same). While the descriptor is open the
 * idle governor keeps every CPU in states that wake within the bound; with 0 an idle CPU polls
 * instead of halting, so a frame's wakeup of a sleeping stack needs no interrupt into a halted
 * (virtual) CPU. Closing the descriptor, also by exiting or crashing, withdraws the request.
 */
static int hold_cpu_latency(struct ust_tool *t)
{
	int32_t us = (int32_t)t->cpu_latency_us;
	int fd = open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, &us, sizeof(us)) != (ssize_t)sizeof(us)) {
		ust_tool_error(t, "--cpu-latency: /dev/cpu_dma_latency: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	t->cpu_latency_fd = fd;
	return 0;
}

void ust_tool_error(const struct ust_tool *t, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", t->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool ust_tool_valid_ipv4(const char *s, uint32_t *host_order)
{
	uint32_t addr = 0;
	int parts = 0;

	while (parts < 4) {
		unsigned value = 0;
		int digits = 0;

		while (isdigit((unsigned char)*s) && digits < 4) {
			value = value * 10 + (unsigned)(*s - '0');
			s++;
			digits++;
		}
		if (digits == 0 || digits > 3 || value > 255)
			return false;
		addr = (addr << 8) | value;
		parts++;
		if (parts < 4) {
			if (*s != '.')
				return false;
			s++;
		}
	}
	if (*s != '\0')
		return false;
	if (host_order)
		*host_order = addr;
	return true;
}

static bool valid_ipv4_prefix(const char *s)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	size_t n;
	unsigned long prefix;
	char *end;

	if (!slash)
		return false;
	n = (size_t)(slash - s);
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!ust_tool_valid_ipv4(buf, NULL))
		return false;
	if (!isdigit((unsigned char)slash[1]))
		return false;
	errno = 0;
	prefix = strtoul(slash + 1, &end, 10);
	return errno == 0 && *end == '\0' && prefix <= 32;
}

static bool valid_mac(const char *s)
{
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
			return false;
		s += 2;
		if (i < 5) {
			if (*s != ':')
				return false;
			s++;
		}
	}
	return *s == '\0';
}

/* KIND:NAME with a known kind; interface names fit IFNAMSIZ. */
static bool valid_ifspec(const char *s)
{
	static const char *const kinds[] = { "tap", "afpacket", "afxdp", "switch" };
	const char *colon = strchr(s, ':');

	if (strcmp(s, "pair") == 0)
		return true;
	if (!colon || colon[1] == '\0')
		return false;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i]);

		if ((size_t)(colon - s) != n || strncmp(s, kinds[i], n) != 0)
			continue;
		if (strcmp(kinds[i], "switch") == 0)
			return true;	/* a socket path: any length */
		/* The name ends at a ',' (backend options such as afpacket's ",ring=v3", which
		 * ust_backend_open checks). */
		return strcspn(colon + 1, ",") < 16 && !strchr(colon + 1, '/');
	}
	return false;
}

int ust_tool_common_option(struct ust_tool *t, int opt, const char *arg)
{
	switch (opt) {
	case UST_TOOL_OPT_IF:
		if (!valid_ifspec(arg)) {
			ust_tool_error(t, "--if: '%s' is not an interface spec "
				       "(tap:NAME or afpacket:IFNAME[,ring=v3])", arg);
			return -1;
		}
		t->cfg.ifspec = arg;
		return 1;
	case UST_TOOL_OPT_IP:
		if (!valid_ipv4_prefix(arg)) {
			ust_tool_error(t, "--ip: '%s' is not an IPv4 address/prefix", arg);
			return -1;
		}
		t->cfg.ip = arg;
		return 1;
	case UST_TOOL_OPT_GW:
		if (!ust_tool_valid_ipv4(arg, NULL)) {
			ust_tool_error(t, "--gw: '%s' is not an IPv4 address", arg);
			return -1;
		}
		t->cfg.gateway = arg;
		return 1;
	case UST_TOOL_OPT_MAC:
		if (!valid_mac(arg)) {
			ust_tool_error(t, "--mac: '%s' is not a MAC address (aa:bb:cc:dd:ee:ff)", arg);
			return -1;
		}
		t->cfg.mac = arg;
		return 1;
	case UST_TOOL_OPT_PCAP:
		if (arg[0] == '\0') {
			ust_tool_error(t, "--pcap: empty file name");
			return -1;
		}
		t->cfg.pcap = arg;
		return 1;
	case UST_TOOL_OPT_PCAP_SNAPLEN: {
		unsigned long v;

		if (ust_tool_parse_ulong(t, "--pcap-snaplen", arg, 60, 262144, &v) < 0)
			return -1;
		t->cfg.pcap_snaplen = (uint32_t)v;
		return 1;
	}
	case UST_TOOL_OPT_CONGESTION: {
		char known[128] = "";
		size_t n = 0;

		for (unsigned i = 0; ust_tcp_congestion_builtin(i); i++) {
			const char *name = ust_tcp_congestion_builtin(i);

			if (strcmp(name, arg) == 0) {
				t->cfg.tcp_congestion = name;
				return 1;
			}
			n += (size_t)snprintf(known + n, sizeof(known) - n, "%s%s", i ? ", " : "", name);
			if (n >= sizeof(known))
				n = sizeof(known) - 1;
		}
		ust_tool_error(t, "--congestion: '%s' is not a congestion control module (%s)", arg, known);
		return -1;
	}
	case UST_TOOL_OPT_NO_OFFLOAD:
		t->cfg.no_offload = true;
		return 1;
	case UST_TOOL_OPT_STATS:
		t->print_stats = true;
		return 1;
	case UST_TOOL_OPT_HELP:
		t->help = true;
		return 1;
	case UST_TOOL_OPT_BUSY_POLL:
		t->busy_poll = true;
		return 1;
	case UST_TOOL_OPT_CPU_LATENCY: {
		unsigned long v;

		if (ust_tool_parse_ulong(t, "--cpu-latency", arg, 0, 2000000000ul, &v) < 0)
			return -1;
		t->cpu_latency_us = (long)v;
		return 1;
	}
	default:
		return 0;
	}
}

void ust_tool_bad_option(const struct ust_tool *t, int opt, char *const argv[])
{
	/*
	 * getopt leaves the offending word at argv[optind - 1]; optopt is the short letter, or
	 * the long option's code (not a letter) for a long option missing its value.
	 */
	const char *word = optind > 0 ? argv[optind - 1] : "?";
	bool is_long = word[0] == '-' && word[1] == '-';
	bool short_opt = optopt > 0 && optopt < 128 && !is_long;

	if (opt == ':') {
		if (short_opt)
			ust_tool_error(t, "-%c: needs a value (try --help)", optopt);
		else
			ust_tool_error(t, "%s: needs a value (try --help)", word);
	} else if (short_opt) {
		ust_tool_error(t, "-%c: unknown option (try --help)", optopt);
	} else {
		ust_tool_error(t, "%s: unknown option (try --help)", word);
	}
}

void ust_tool_common_usage(FILE *f)
{
	fputs("Where the stack runs (every ustack program):\n"
	      "  --if SPEC        tap:NAME (TAP device, created if absent) or afpacket:IFNAME\n"
	      "                   (AF_PACKET ring TPACKET_V2; afpacket:IFNAME,ring=v3 for TPACKET_V3)\n"
	      "  --ip A.B.C.D/N   the stack's address and prefix length (required)\n"
	      "  --gw A.B.C.D     default gateway\n"
	      "  --mac MAC        aa:bb:cc:dd:ee:ff (default: derived from the address)\n"
	      "  --pcap FILE      capture every frame the stack sends and receives\n"
	      "  --pcap-snaplen N keep only the first N bytes (60..262144) of each captured frame\n"
	      "  --no-offload     TAP: plain frames, no checksum/segmentation offload\n"
	      "  --congestion CC  TCP congestion control of every socket: cubic (default) or newreno\n"
	      "  --stats          print the stack's counters on stderr at exit\n"
	      "  --busy-poll      poll the link without ever sleeping (lowest latency; burns a core)\n"
	      "  --cpu-latency US hold a PM QoS request: idle CPUs wake within US microseconds\n"
	      "                   (0: they poll instead of halting; root; released at exit)\n"
	      "  --help           this text\n"
	      "Exit status: 0 success, 1 runtime error, 2 usage error.\n", f);
}

int ust_tool_check_required(const struct ust_tool *t)
{
	if (!t->cfg.ifspec) {
		ust_tool_error(t, "--if: missing (e.g. --if tap:tap0; try --help)");
		return -1;
	}
	if (!t->cfg.ip) {
		ust_tool_error(t, "--ip: missing (e.g. --ip 10.0.0.2/24; try --help)");
		return -1;
	}
	return 0;
}

int ust_tool_parse_ulong(const struct ust_tool *t, const char *opt, const char *s,
			 unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!isdigit((unsigned char)s[0]) || *end != '\0' || errno != 0 || v < min || v > max) {
		ust_tool_error(t, "%s: '%s' is not a number in %lu..%lu", opt, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int ust_tool_parse_seconds(const struct ust_tool *t, const char *opt, const char *s,
			   double min, double max, uint64_t *out_ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (s[0] == '\0' || isspace((unsigned char)s[0]) || *end != '\0' || errno != 0 ||
	    !isfinite(v) || v < min || v > max) {
		ust_tool_error(t, "%s: '%s' is not a time in seconds in %g..%g", opt, s, min, max);
		return -1;
	}
	*out_ns = (uint64_t)llround(v * 1e9);
	return 0;
}

int ust_tool_parse_port(const struct ust_tool *t, const char *opt, const char *s, uint16_t *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!isdigit((unsigned char)s[0]) || *end != '\0' || errno != 0 || v < 1 || v > 65535) {
		ust_tool_error(t, "%s: '%s' is not a port number (1..65535)", opt, s);
		return -1;
	}
	*out = (uint16_t)v;
	return 0;
}

int ust_tool_parse_ipv4(const struct ust_tool *t, const char *opt, const char *s, struct in_addr *out)
{
	uint32_t host;

	if (!ust_tool_valid_ipv4(s, &host)) {
		ust_tool_error(t, "%s: '%s' is not an IPv4 address", opt, s);
		return -1;
	}
	out->s_addr = htonl(host);
	return 0;
}

static int add_internal(struct ust_tool *t, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int ust_tool_open(struct ust_tool *t)
{
	const char *errmsg = NULL;
	sigset_t set;
	int rc;

	signal(SIGPIPE, SIG_IGN);	/* a closed stdout is reported as EPIPE */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
		ust_tool_error(t, "sigprocmask: %s", strerror(errno));
		return -1;
	}
	t->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (t->sigfd < 0 || t->epfd < 0) {
		ust_tool_error(t, "cannot create signalfd/epoll: %s", strerror(errno));
		return -1;
	}
	if (t->cpu_latency_us >= 0 && hold_cpu_latency(t) < 0)
		return -1;
	rc = ust_stack_create(&t->stack, &t->cfg, &errmsg);
	if (rc < 0) {
		t->stack = NULL;
		ust_tool_error(t, "--if %s: %s (%s)", t->cfg.ifspec, errmsg ? errmsg : "cannot create stack",
			       strerror(-rc));
		return -1;
	}
	if (add_internal(t, t->sigfd, TAG_SIGNAL) < 0) {
		ust_tool_error(t, "epoll_ctl: %s", strerror(errno));
		return -1;
	}
	int sfd = ust_stack_fd(t->stack);

	if (sfd >= 0 && add_internal(t, sfd, TAG_STACK) < 0) {
		ust_tool_error(t, "epoll_ctl (stack fd): %s", strerror(errno));
		return -1;
	}
	return 0;
}

int ust_tool_watch_fd(struct ust_tool *t, int fd, uint32_t events, uint32_t tag)
{
	struct epoll_event ev = { .events = events, .data.u32 = tag & ~TAG_INTERNAL };

	return epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int ust_tool_unwatch_fd(struct ust_tool *t, int fd)
{
	return epoll_ctl(t->epfd, EPOLL_CTL_DEL, fd, NULL);
}

static void drain_signals(struct ust_tool *t)
{
	struct signalfd_siginfo si;

	while (read(t->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		t->stop_signal = (int)si.ssi_signo;
}

int ust_tool_wait(struct ust_tool *t, uint64_t until_ns, struct ust_tool_event *out, int max)
{
	struct epoll_event evs[16];
	uint64_t now = ust_now();
	uint64_t deadline, wake;
	int timeout_ms, n, stored = 0;

	/*
	 * Busy polling: most rounds only poll the stack (one read of the link when it is idle)
	 * and return, so a frame waits at most one such round; every UST_TOOL_BUSY_FULL_ROUND-th
	 * round is a full step below (the tool's own fds, signals, and a yield when idle).
	 */
	if (t->busy_poll && ++t->busy_rounds % UST_TOOL_BUSY_FULL_ROUND != 0) {
		(void)ust_stack_poll(t->stack, now);
		return 0;
	}

	/*
	 * Frames processed here may have made a socket readable (a reply can arrive while the
	 * poll flushes the request): then do not sleep, let the tool look at its sockets first.
	 */
	int frames = ust_stack_poll(t->stack, now);

	deadline = ust_stack_next_deadline(t->stack);
	wake = until_ns < deadline ? until_ns : deadline;
	now = ust_now();
	if (frames > 0 || wake <= now || t->busy_poll)
		timeout_ms = 0;
	else if (wake == UINT64_MAX)
		timeout_ms = -1;
	else if (wake - now > 3600ull * 1000000000ull)
		timeout_ms = 3600 * 1000;
	else	/* round up: waking early only spins */
		timeout_ms = (int)((wake - now + 999999) / 1000000);

	n = epoll_wait(t->epfd, evs, 16, timeout_ms);
	if (n < 0)
		n = 0;	/* EINTR: signals come through the signalfd anyway */
	for (int i = 0; i < n; i++) {
		uint32_t tag = evs[i].data.u32;

		if (tag == TAG_SIGNAL)
			drain_signals(t);
		else if (tag == TAG_STACK)
			;	/* polled below */
		else if (stored < max)
			out[stored++] = (struct ust_tool_event){ .tag = tag, .events = evs[i].events };
	}
	int later = ust_stack_poll(t->stack, ust_now());
	/*
	 * Busy polling never sleeps, but an idle round yields the CPU: the kernel work our own
	 * transmissions cause (a TAP write's receive processing) may have been deferred to
	 * ksoftirqd on this CPU, and a spinner that never yields starves it (replies then wait
	 * for milliseconds). With nothing else runnable, sched_yield returns at once.
	 */
	if (t->busy_poll && frames == 0 && later == 0 && n == 0)
		sched_yield();
	return stored;
}

static int print_counter(void *arg, const char *group, const char *name, uint64_t value)
{
	(void)arg;
	if (value)
		fprintf(stderr, "  %s.%s %llu\n", group, name, (unsigned long long)value);
	return 0;
}

void ust_tool_close(struct ust_tool *t)
{
	if (t->stack) {
		ust_stack_poll(t->stack, ust_now());
		if (t->print_stats) {
			fprintf(stderr, "%s: counters (non-zero):\n", t->prog);
			ust_stack_counters(t->stack, print_counter, NULL);
		}
		ust_stack_destroy(t->stack);
		t->stack = NULL;
	}
	if (t->epfd >= 0)
		close(t->epfd);
	if (t->sigfd >= 0)
		close(t->sigfd);
	if (t->cpu_latency_fd >= 0)
		close(t->cpu_latency_fd);
	t->epfd = t->sigfd = t->cpu_latency_fd = -1;
}

const char *ust_tool_addr_str(const struct sockaddr_in *sa, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, (unsigned)ntohs(sa->sin_port));
	return buf;
}
