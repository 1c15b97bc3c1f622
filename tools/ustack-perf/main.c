/*
 * ustack-perf: throughput and connection-rate tests. Speaks iperf3's TCP protocol so Linux
 * iperf3 can be either side; --rate/--sink measure connections per second; --kernel runs the
 * same code on the kernel's sockets for side-by-side comparisons.
 */
#include "perf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ustack/stack.h>

volatile sig_atomic_t perf_stop;

static void on_signal(int sig)
{
	(void)sig;
	perf_stop = 1;
}

double perf_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void perf_format_bytes(char *out, size_t size, double bytes)
{
	static const char *const units[] = { "Bytes", "KBytes", "MBytes", "GBytes", "TBytes" };
	int u = 0;

	while (bytes >= 1024.0 && u < 4) {
		bytes /= 1024.0;
		u++;
	}
	snprintf(out, size, bytes < 10 && u > 0 ? "%.2f %s" : bytes < 100 && u > 0 ? "%.1f %s" : "%.0f %s",
		 bytes, units[u]);
}

void perf_format_rate(char *out, size_t size, double bps)
{
	static const char *const units[] = { "bits/sec", "Kbits/sec", "Mbits/sec", "Gbits/sec", "Tbits/sec" };
	int u = 0;

	while (bps >= 1000.0 && u < 4) {
		bps /= 1000.0;
		u++;
	}
	snprintf(out, size, bps < 10 && u > 0 ? "%.2f %s" : bps < 100 && u > 0 ? "%.1f %s" : "%.0f %s",
		 bps, units[u]);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ustack-perf -s [options]            iperf3-compatible server\n"
		"       ustack-perf -c HOST [options]       iperf3-compatible client\n"
		"       ustack-perf --sink [options]        connection-rate server\n"
		"       ustack-perf --rate -c HOST [options] connection-rate client\n"
		"\n"
		"where the stack runs (ustack; omit with --kernel):\n"
		"  --if SPEC          tap:NAME or afpacket:IFNAME\n"
		"  --ip A.B.C.D/N     the stack's address\n"
		"  --gw A.B.C.D       default gateway\n"
		"  --mac M            MAC address (default: derived from the IP)\n"
		"  --pcap FILE        capture every frame in and out\n"
		"  --pcap-snaplen N   keep the first N bytes (60-262144) of each captured frame\n"
		"  --no-offload       TAP: plain 1500-byte frames, no virtio-net header\n"
		"  --kernel           use the kernel's TCP instead of a ustack stack\n"
		"test options:\n"
		"  -p, --port N       server port (default 5201)\n"
		"  -t, --time S       seconds to run (default 10)\n"
		"  -n, --bytes N[KMG] bytes to send instead of -t (--rate: bytes per connection, default 4K)\n"
		"  -l, --length N[KM] bytes per write (default 128K)\n"
		"  -P, --parallel N   parallel streams / concurrent connections (default 1)\n"
		"  -R, --reverse      the server sends\n"
		"  -J, --json         JSON output\n"
		"  -i, --interval S   seconds between interval reports (default 1, 0 = none)\n"
		"  -1, --one-off      server: handle one test, then exit\n"
		"  -N, --no-delay     set TCP_NODELAY\n"
		"  -C, --congestion A congestion control (newreno, cubic)\n"
		"  -h, --help\n");
}

/* "128K", "1M", "4096" -> bytes; false if malformed or zero. */
static bool parse_size(const char *text, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || end == text || text[0] == '-')
		return false;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end != '\0' || v == 0)
		return false;
	*out = v;
	return true;
}

static bool parse_seconds(const char *text, double *out, bool zero_ok)
{
	char *end;
	double v = strtod(text, &end);
	if (end == text || *end != '\0' || v < 0 || (v == 0 && !zero_ok) || v > 86400 * 365)
		return false;
	*out = v;
	return true;
}

static int bad_option(const char *opt, const char *value, const char *why)
{
	fprintf(stderr, "ustack-perf: %s: '%s' %s\n", opt, value, why);
	return 2;
}

int main(int argc, char **argv)
{
	enum { OPT_IF = 256, OPT_IP, OPT_GW, OPT_MAC, OPT_PCAP, OPT_PCAP_SNAPLEN, OPT_NO_OFFLOAD, OPT_KERNEL, OPT_RATE, OPT_SINK };
	static const struct option longopts[] = {
		{ "server", no_argument, NULL, 's' },
		{ "client", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "time", required_argument, NULL, 't' },
		{ "bytes", required_argument, NULL, 'n' },
		{ "length", required_argument, NULL, 'l' },
		{ "parallel", required_argument, NULL, 'P' },
		{ "reverse", no_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'J' },
		{ "interval", required_argument, NULL, 'i' },
		{ "one-off", no_argument, NULL, '1' },
		{ "no-delay", no_argument, NULL, 'N' },
		{ "congestion", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "if", required_argument, NULL, OPT_IF },
		{ "ip", required_argument, NULL, OPT_IP },
		{ "gw", required_argument, NULL, OPT_GW },
		{ "mac", required_argument, NULL, OPT_MAC },
		{ "pcap", required_argument, NULL, OPT_PCAP },
		{ "pcap-snaplen", required_argument, NULL, OPT_PCAP_SNAPLEN },
		{ "no-offload", no_argument, NULL, OPT_NO_OFFLOAD },
		{ "kernel", no_argument, NULL, OPT_KERNEL },
		{ "rate", no_argument, NULL, OPT_RATE },
		{ "sink", no_argument, NULL, OPT_SINK },
		{ NULL, 0, NULL, 0 },
	};
	struct perf_options o = { .port = 5201, .seconds = 10, .len = 128 * 1024, .parallel = 1, .interval = 1 };
	struct ust_stack_config cfg = { 0 };
	const char *host = NULL;
	bool kernel = false, bytes_given = false;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":sc:p:t:n:l:P:RJi:1NC:h", longopts, NULL)) != -1) {
		uint64_t v;
		switch (c) {
		case 's': o.server = true; break;
		case 'c': host = optarg; break;
		case 'p':
			if (!parse_size(optarg, &v) || v > 65535)
				return bad_option("-p", optarg, "is not a port (1-65535)");
			o.port = (uint16_t)v;
			break;
		case 't':
			if (!parse_seconds(optarg, &o.seconds, false))
				return bad_option("-t", optarg, "is not a positive number of seconds");
			break;
		case 'n':
			if (!parse_size(optarg, &o.bytes))
				return bad_option("-n", optarg, "is not a byte count (e.g. 4096, 100M)");
			bytes_given = true;
			break;
		case 'l':
			if (!parse_size(optarg, &v) || v > (16u << 20))
				return bad_option("-l", optarg, "is not a write size (1 to 16M)");
			o.len = (uint32_t)v;
			break;
		case 'P':
			if (!parse_size(optarg, &v) || v > 1024)
				return bad_option("-P", optarg, "is not a stream count (1-1024)");
			o.parallel = (int)v;
			break;
		case 'R': o.reverse = true; break;
		case 'J': o.json = true; break;
		case 'i':
			if (!parse_seconds(optarg, &o.interval, true))
				return bad_option("-i", optarg, "is not a number of seconds");
			break;
		case '1': o.one_off = true; break;
		case 'N': o.nodelay = true; break;
		case 'C': o.congestion = optarg; break;
		case 'h': usage(stdout); return 0;
		case OPT_IF: cfg.ifspec = optarg; break;
		case OPT_IP: cfg.ip = optarg; break;
		case OPT_GW: cfg.gateway = optarg; break;
		case OPT_MAC: cfg.mac = optarg; break;
		case OPT_PCAP: cfg.pcap = optarg; break;
		case OPT_PCAP_SNAPLEN:
			if (!parse_size(optarg, &v) || v < 60 || v > 262144)
				return bad_option("--pcap-snaplen", optarg, "is not a byte count (60-262144)");
			cfg.pcap_snaplen = (uint32_t)v;
			break;
		case OPT_NO_OFFLOAD: cfg.no_offload = true; break;
		case OPT_KERNEL: kernel = true; break;
		case OPT_RATE: o.rate = true; break;
		case OPT_SINK: o.sink = true; break;
		case ':':
			fprintf(stderr, "ustack-perf: %s needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "ustack-perf: unknown option '%s' (see --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ustack-perf: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	int roles = o.server + (host != NULL && !o.rate) + o.rate + o.sink;
	if (roles != 1) {
		fprintf(stderr, "ustack-perf: choose exactly one of -s, -c HOST, --rate -c HOST, --sink\n");
		return 2;
	}
	if (o.rate && !host) {
		fprintf(stderr, "ustack-perf: --rate needs -c HOST\n");
		return 2;
	}
	if (o.rate && !bytes_given)
		o.bytes = 4096;
	if (o.reverse && (o.server || o.sink || o.rate))
		return bad_option("-R", "", "only applies to the iperf3 client");
	if (host) {
		o.peer.sin_family = AF_INET;
		o.peer.sin_port = htons(o.port);
		if (inet_pton(AF_INET, host, &o.peer.sin_addr) != 1)
			return bad_option("-c", host, "is not an IPv4 address");
	}
	if (kernel && (cfg.ifspec || cfg.ip))
		return bad_option("--kernel", "", "cannot be combined with --if/--ip");
	if (!kernel && (!cfg.ifspec || !cfg.ip)) {
		fprintf(stderr, "ustack-perf: --if and --ip are required (or --kernel)\n");
		return 2;
	}

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct ust_stack *st = NULL;
	if (!kernel) {
		const char *why = NULL;
		int rc = ust_stack_create(&st, &cfg, &why);
		if (rc < 0) {
			fprintf(stderr, "ustack-perf: %s: %s\n", why ? why : "cannot create the stack", strerror(-rc));
			return 1;
		}
	}
	struct perf_transport t;
	if (pt_init(&t, st) < 0) {
		fprintf(stderr, "ustack-perf: epoll: %s\n", strerror(errno));
		ust_stack_destroy(st);
		return 1;
	}
	int status;
	if (o.server)
		status = perf_iperf3_server(&t, &o);
	else if (o.sink)
		status = perf_sink_server(&t, &o);
	else if (o.rate)
		status = perf_rate_client(&t, &o);
	else
		status = perf_iperf3_client(&t, &o);
	pt_fini(&t);
	ust_stack_destroy(st);
	return status;
}
