/*
 * Interop test program for the real backends, run by io_interop.sh inside a network
 * namespace (ip netns exec). It plays a tiny host on the link with hand-built frames:
 *
 *   tap IFNAME OUR_IP KERNEL_IP GHOST_IP
 *   afpacket IFNAME OUR_IP KERNEL_IP GHOST_IP IF_MAC KERNEL_MAC
 *       ARP-resolve the kernel's IP and check its reply byte by byte; receive the ARP request
 *       the kernel sends when the script pings GHOST_IP (an address nobody has). afpacket
 *       also checks hw_addr, that our MAC (different from the interface's) is reachable
 *       (promiscuous mode), that our own transmissions never come back, and that TCP and
 *       UDP from the kernel (sent over veth with the checksum left undone) arrive with
 *       their checksums finished.
 *   offload IFNAME OUR_IP KERNEL_IP PORT
 *       TAP with virtio-net headers and MTU 9000: features and MTU set, a small pool
 *       refused, ARP round trip, an ICMP echo sent with checksum offload (CSUM_PARTIAL,
 *       checksum left to the kernel) answered, and a TCP exchange with a kernel listener on
 *       PORT: one 8000-byte TSO frame (GSO_TCPV4) is acknowledged in full, and the kernel's
 *       own data arrives as GRO/TSO super-frames larger than the MTU.
 *
 * Protocol: after opening the backend the program prints READY and waits for a line on
 * stdin, so the script can configure the kernel side (the TAP device exists only now).
 * Exit status 0 on success; every failure prints what was wrong.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "io/backend.h"
#include "io/backend_impl.h"

#define DEADLINE_NS (10ull * 1000000000ull)
#define RESEND_NS (500ull * 1000000ull)

static const uint8_t our_mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x02 };
static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "io_interop: FAIL: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static uint32_t parse_ip(const char *text)
{
	struct in_addr a;
	if (inet_pton(AF_INET, text, &a) != 1)
		die("bad IPv4 address %s", text);
	return ntohl(a.s_addr);
}

static void parse_mac(const char *text, uint8_t mac[6])
{
	unsigned v[6];
	if (sscanf(text, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		die("bad MAC %s", text);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* Ones' complement sum of len bytes added to sum (not folded, not complemented). */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* ---- frames ---- */

static size_t build_eth(uint8_t *f, const uint8_t dst[6], uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, our_mac, 6);
	put16(f + 12, type);
	return 14;
}

static size_t build_arp_request(uint8_t *f, uint32_t our_ip, uint32_t target_ip)
{
	size_t o = build_eth(f, bcast_mac, 0x0806);
	static const uint8_t fixed[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	memcpy(f + o, fixed, 8);
	memcpy(f + o + 8, our_mac, 6);
	put32(f + o + 14, our_ip);
	memset(f + o + 18, 0, 6);
	put32(f + o + 24, target_ip);
	return o + 28;
}

/* IPv4 header at f with a correct header checksum; returns its length (20). */
static size_t build_ipv4(uint8_t *f, uint8_t proto, uint32_t src, uint32_t dst, size_t payload)
{
	memset(f, 0, 20);
	f[0] = 0x45;
	put16(f + 2, (uint16_t)(20 + payload));
	put16(f + 4, 0x1234);
	put16(f + 6, 0x4000);	/* DF */
	f[8] = 64;
	f[9] = proto;
	put32(f + 12, src);
	put32(f + 16, dst);
	put16(f + 10, (uint16_t)~csum_fold(csum_add(0, f, 20)));
	return 20;
}

static struct ust_backend *g_be;

struct tx_meta {
	uint16_t flags;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t gso_size;
};

static void send_bytes(const uint8_t *frame, size_t len, const struct tx_meta *meta)
{
	struct ust_pkt *pkt = ust_pkt_alloc(g_be->pool);
	if (pkt == NULL)
		die("pool empty on send");
	uint8_t *p = ust_pkt_put(g_be->pool, pkt, (uint32_t)len);
	if (p == NULL)
		die("frame of %zu bytes does not fit a buffer", len);
	memcpy(p, frame, len);
	if (meta != NULL) {
		pkt->flags = meta->flags;
		pkt->csum_start = meta->csum_start;
		pkt->csum_offset = meta->csum_offset;
		pkt->gso_size = meta->gso_size;
	}
	uint64_t dropped = g_be->counters.tx_dropped + g_be->counters.tx_errors;
	ust_backend_tx(g_be, &pkt, 1, ust_clock_now_ns());
	if (g_be->counters.tx_dropped + g_be->counters.tx_errors != dropped)
		die("backend refused a %zu-byte frame", len);
}

/*
 * Receive until handle() says done or the deadline passes; resend() (if any) is called at the
 * start and every RESEND_NS while waiting, so a frame lost to a link not quite up yet is
 * repeated.
 */
typedef bool (*frame_fn)(void *ctx, const struct ust_pkt *pkt, const uint8_t *f, size_t len);
typedef void (*resend_fn)(void *ctx);

static void run_until(frame_fn handle, resend_fn resend, void *ctx, const char *what)
{
	uint64_t start = ust_clock_now_ns();
	uint64_t next_send = start;
	for (;;) {
		uint64_t now = ust_clock_now_ns();
		if (now - start > DEADLINE_NS)
			die("timed out waiting for %s", what);
		if (resend != NULL && now >= next_send) {
			resend(ctx);
			next_send = now + RESEND_NS;
		}
		struct pollfd pfd = { .fd = ust_backend_fd(g_be), .events = POLLIN };
		(void)poll(&pfd, 1, 50);
		struct ust_pkt *pkts[32];
		unsigned n = ust_backend_rx(g_be, pkts, 32, ust_clock_now_ns());
		bool done = false;
		for (unsigned i = 0; i < n; i++) {
			const uint8_t *f = ust_pkt_data(g_be->pool, pkts[i]);
			if (!done && handle(ctx, pkts[i], f, pkts[i]->len))
				done = true;
		}
		ust_pkt_free_batch(g_be->pool, pkts, n);
		if (done)
			return;
	}
}

/* ---- ARP scenario (tap and afpacket) ---- */

struct arp_ctx {
	uint32_t our_ip;
	uint32_t kernel_ip;
	uint32_t ghost_ip;
	uint8_t kernel_mac[6];
	bool check_no_echo;	/* afpacket: our own frames must not come back */
	uint16_t l4_port;	/* afpacket: expect UDP and TCP here with good checksums */
	bool got_udp;
	bool got_tcp;
	bool got_reply;
	bool got_ghost_request;
};

static void arp_resend(void *arg)
{
	struct arp_ctx *c = arg;
	if (c->got_reply)
		return;
	uint8_t f[64];
	size_t len = build_arp_request(f, c->our_ip, c->kernel_ip);
	send_bytes(f, len, NULL);
}

/* TCP or UDP checksum over the pseudo-header, as a receiver checks it (20-byte IPv4 header). */
static void check_l4_checksum(const uint8_t *f, size_t len)
{
	size_t l4_len = (size_t)get16(f + 16) - 20;
	uint8_t proto = f[23];
	if (l4_len < 8 || 34 + l4_len > len)
		die("L4 length %zu does not fit the frame", l4_len);
	if (proto == 17 && get16(f + 40) == 0)
		die("UDP datagram without a checksum");
	uint8_t pseudo[12];
	memcpy(pseudo, f + 26, 8);
	pseudo[8] = 0;
	pseudo[9] = proto;
	put16(pseudo + 10, (uint16_t)l4_len);
	if (csum_fold(csum_add(csum_add(0, pseudo, 12), f + 34, l4_len)) != 0xffff)
		die("%s checksum from the kernel is not complete (CSUMNOTREADY not finished)",
		    proto == 6 ? "TCP" : "UDP");
}

static bool arp_done(const struct arp_ctx *c)
{
	return c->got_reply && c->got_ghost_request &&
	       (c->l4_port == 0 || (c->got_udp && c->got_tcp));
}

static bool arp_handle(void *arg, const struct ust_pkt *pkt, const uint8_t *f, size_t len)
{
	struct arp_ctx *c = arg;
	(void)pkt;
	if (len < 14)
		die("runt frame of %zu bytes", len);
	if (c->check_no_echo && memcmp(f + 6, our_mac, 6) == 0)
		die("received our own transmission back (PACKET_OUTGOING not ignored)");
	if (c->l4_port != 0 && get16(f + 12) == 0x0800 && len >= 42 && (f[14] & 0xf) == 5 &&
	    (f[23] == 6 || f[23] == 17) && get32(f + 26) == c->kernel_ip &&
	    get32(f + 30) == c->our_ip && get16(f + 36) == c->l4_port) {
		check_l4_checksum(f, len);
		bool *got = f[23] == 6 ? &c->got_tcp : &c->got_udp;
		if (!*got)
			printf("got a %s segment from the kernel with a correct checksum\n",
			       f[23] == 6 ? "TCP" : "UDP");
		*got = true;
		return arp_done(c);
	}
	if (get16(f + 12) != 0x0806 || len < 42)
		return false;
	const uint8_t *a = f + 14;
	uint16_t op = get16(a + 6);
	if (op == 2 && get32(a + 14) == c->kernel_ip) {
		/* The kernel's reply: every field as RFC 826 says. */
		uint8_t want[42];
		memcpy(want, our_mac, 6);
		memcpy(want + 6, c->kernel_mac, 6);
		put16(want + 12, 0x0806);
		static const uint8_t fixed[8] = { 0, 1, 8, 0, 6, 4, 0, 2 };
		memcpy(want + 14, fixed, 8);
		memcpy(want + 22, c->kernel_mac, 6);
		put32(want + 28, c->kernel_ip);
		memcpy(want + 32, our_mac, 6);
		put32(want + 38, c->our_ip);
		if (memcmp(f, want, 42) != 0) {
			for (int i = 0; i < 42; i++)
				fprintf(stderr, "%02x%s", f[i], i == 41 ? "\n" : " ");
			die("ARP reply bytes differ from the expected reply");
		}
		if (!c->got_reply)
			printf("got ARP reply from the kernel (%zu bytes)\n", len);
		c->got_reply = true;
	} else if (op == 1 && get32(a + 24) == c->ghost_ip) {
		if (memcmp(f, bcast_mac, 6) != 0 || memcmp(f + 6, c->kernel_mac, 6) != 0 ||
		    memcmp(a + 8, c->kernel_mac, 6) != 0 || get32(a + 14) != c->kernel_ip)
			die("ARP request for the ghost address has unexpected fields");
		if (!c->got_ghost_request)
			printf("got the kernel's ARP request for the ghost address\n");
		c->got_ghost_request = true;
	}
	return arp_done(c);
}

static void wait_for_go(void)
{
	printf("READY\n");
	fflush(stdout);
	char line[64];
	if (fgets(line, sizeof(line), stdin) == NULL)
		die("no go from the script");
}

static struct ust_pool *make_pool(uint32_t count, uint32_t buf_size)
{
	struct ust_pool_config pc = { .count = count, .buf_size = buf_size, .headroom = 128 };
	struct ust_pool *pool;
	int err = ust_pool_create(&pool, &pc);
	if (err != 0)
		die("pool: %s", strerror(-err));
	return pool;
}

static void print_counters(void)
{
	const struct ust_backend_counters *k = &g_be->counters;
	printf("counters: rx %llu/%llu B, tx %llu/%llu B, nobuf %llu trunc %llu rxerr %llu "
	       "txdrop %llu txerr %llu\n",
	       (unsigned long long)k->rx_packets, (unsigned long long)k->rx_bytes,
	       (unsigned long long)k->tx_packets, (unsigned long long)k->tx_bytes,
	       (unsigned long long)k->rx_nobuf, (unsigned long long)k->rx_truncated,
	       (unsigned long long)k->rx_errors, (unsigned long long)k->tx_dropped,
	       (unsigned long long)k->tx_errors);
}

/*
 * With every buffer of the pool held, the kernel's reply to our ARP request must be counted
 * as rx_nobuf and not delivered. Each send frees one buffer for a moment (tx consumes it),
 * so it is taken back right after.
 */
static void check_pool_exhaustion(const struct arp_ctx *c)
{
	struct ust_pool *pool = g_be->pool;
	uint32_t avail = ust_pool_available(pool);
	struct ust_pkt **held = calloc(avail, sizeof(*held));
	if (held == NULL)
		die("out of memory");
	for (uint32_t i = 0; i < avail; i++)
		if ((held[i] = ust_pkt_alloc(pool)) == NULL)
			die("pool refused buffer %u of %u", i, avail);

	uint8_t f[64];
	size_t len = build_arp_request(f, c->our_ip, c->kernel_ip);
	uint64_t start = ust_clock_now_ns();
	uint64_t next_send = start;
	uint64_t nobuf = g_be->counters.rx_nobuf;
	while (g_be->counters.rx_nobuf == nobuf) {
		uint64_t now = ust_clock_now_ns();
		if (now - start > DEADLINE_NS)
			die("timed out waiting for a frame dropped for lack of buffers");
		if (now >= next_send) {
			ust_pkt_free(pool, held[0]);
			send_bytes(f, len, NULL);
			if ((held[0] = ust_pkt_alloc(pool)) == NULL)
				die("buffer not returned after tx");
			next_send = now + RESEND_NS;
		}
		struct pollfd pfd = { .fd = ust_backend_fd(g_be), .events = POLLIN };
		(void)poll(&pfd, 1, 50);
		struct ust_pkt *pkts[8];
		if (ust_backend_rx(g_be, pkts, 8, ust_clock_now_ns()) != 0)
			die("a frame was delivered from an exhausted pool");
	}
	printf("frame dropped and counted while the pool was exhausted (rx_nobuf %llu)\n",
	       (unsigned long long)g_be->counters.rx_nobuf);
	ust_pkt_free_batch(pool, held, avail);
	free(held);
}

/* The capture of a real backend: classic nanosecond pcap, Ethernet, wall-clock stamps. */
static void check_capture(const char *path, unsigned min_records)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		die("capture %s missing", path);
	uint32_t fh[6];
	if (fread(fh, sizeof(fh), 1, f) != 1 || fh[0] != 0xa1b23c4du || fh[5] != 1)
		die("capture %s: bad file header", path);
	unsigned records = 0;
	uint32_t rh[4];
	uint64_t wall = ust_clock_realtime_ns() / 1000000000ull;
	while (fread(rh, sizeof(rh), 1, f) == 1) {
		if (rh[0] + 3600 < wall || rh[0] > wall + 3600 || rh[1] >= 1000000000u)
			die("capture record %u: timestamp %u.%09u is not wall-clock time", records,
			    rh[0], rh[1]);
		if (rh[2] != rh[3] || fseek(f, rh[2], SEEK_CUR) != 0)
			die("capture record %u: bad lengths", records);
		records++;
	}
	fclose(f);
	if (records < min_records)
		die("capture has %u records, expected at least %u", records, min_records);
	printf("capture: %u records\n", records);
}

static int run_arp(int argc, char **argv, bool afpacket)
{
	if (argc != (afpacket ? 8 : 6))
		die("usage: %s IFNAME OUR_IP KERNEL_IP GHOST_IP%s", argv[1],
		    afpacket ? " IF_MAC KERNEL_MAC" : "");
	struct arp_ctx c = {
		.our_ip = parse_ip(argv[3]),
		.kernel_ip = parse_ip(argv[4]),
		.ghost_ip = parse_ip(argv[5]),
		.check_no_echo = afpacket,
		.l4_port = afpacket ? 7777 : 0,
	};
	char spec[64];
	snprintf(spec, sizeof(spec), "%s:%s", afpacket ? "afpacket" : "tap", argv[2]);
	struct ust_pool *pool = make_pool(256, 2048);
	int err = ust_backend_open(&g_be, spec, pool, NULL);
	if (err != 0)
		die("open %s: %s", spec, strerror(-err));
	if (ust_backend_fd(g_be) < 0)
		die("no pollable fd");
	if (g_be->mtu != 1500)
		die("mtu %u, expected 1500", g_be->mtu);
	if (g_be->features != 0)
		die("features %#x without offload", g_be->features);

	static const uint8_t zero[6];
	if (afpacket) {
		uint8_t if_mac[6];
		parse_mac(argv[6], if_mac);
		parse_mac(argv[7], c.kernel_mac);
		if (memcmp(g_be->hw_addr.b, if_mac, 6) != 0)
			die("hw_addr is not the interface's MAC %s", argv[6]);
	} else {
		if (memcmp(g_be->hw_addr.b, zero, 6) != 0)
			die("TAP must not report a MAC of its own");
		struct ust_eth_addr k;
		if ((err = ust__netdev_get_hwaddr(argv[2], &k)) != 0)
			die("SIOCGIFHWADDR %s: %s", argv[2], strerror(-err));
		memcpy(c.kernel_mac, k.b, 6);
	}
	/* In the script's scratch directory (TMPDIR), which it removes even if we crash. */
	const char *dir = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	char capture[256];
	snprintf(capture, sizeof(capture), "%s/ust-io-interop-%d.pcap", dir, (int)getpid());
	if ((err = ust_backend_capture(g_be, capture)) != 0)
		die("capture: %s", strerror(-err));
	wait_for_go();
	run_until(arp_handle, arp_resend, &c, "the ARP reply and the ghost ARP request");
	if (g_be->counters.rx_packets < 2 || g_be->counters.tx_packets < 1 ||
	    g_be->counters.rx_nobuf != 0)
		die("counters do not match the frames seen");
	check_pool_exhaustion(&c);
	print_counters();
	ust_backend_close(g_be);
	check_capture(capture, 3);
	unlink(capture);
	ust_pool_destroy(pool);
	printf("PASS\n");
	return 0;
}

/* ---- offload scenario ---- */

struct off_ctx {
	struct arp_ctx arp;
	uint16_t port;
	uint32_t snd_nxt;	/* our next sequence number */
	uint32_t rcv_nxt;	/* kernel's next sequence number, once known */
	bool echo_replied;
	bool synack;
	bool data_acked;
	size_t max_frame;	/* largest frame the kernel sent us */
	bool saw_gso;
};

#define OUR_PORT 40000u
#define OUR_ISN 1000u
#define ECHO_ID 0x4242u
#define ECHO_PAYLOAD 56u
#define TSO_PAYLOAD 8000u
#define TSO_MSS 1000u

static void send_echo_request(void *arg)
{
	struct off_ctx *c = arg;
	if (c->echo_replied)
		return;
	uint8_t f[128];
	size_t o = build_eth(f, c->arp.kernel_mac, 0x0800);
	o += build_ipv4(f + o, 1, c->arp.our_ip, c->arp.kernel_ip, 8 + ECHO_PAYLOAD);
	uint8_t *icmp = f + o;
	icmp[0] = 8;
	icmp[1] = 0;
	put16(icmp + 2, 0);	/* left to the kernel: CSUM_PARTIAL over [34, end) */
	put16(icmp + 4, ECHO_ID);
	put16(icmp + 6, 1);
	for (unsigned i = 0; i < ECHO_PAYLOAD; i++)
		icmp[8 + i] = (uint8_t)(0xa0 + i);
	struct tx_meta m = { .flags = UST_PKT_F_CSUM_PARTIAL, .csum_start = 34, .csum_offset = 2 };
	send_bytes(f, o + 8 + ECHO_PAYLOAD, &m);
}

static bool is_ipv4_from_kernel(const struct off_ctx *c, const uint8_t *f, size_t len,
				uint8_t proto)
{
	return len >= 34 && get16(f + 12) == 0x0800 && (f[14] >> 4) == 4 && f[14 + 9] == proto &&
	       get32(f + 26) == c->arp.kernel_ip && get32(f + 30) == c->arp.our_ip;
}

static bool echo_handle(void *arg, const struct ust_pkt *pkt, const uint8_t *f, size_t len)
{
	struct off_ctx *c = arg;
	if (!is_ipv4_from_kernel(c, f, len, 1))
		return false;
	size_t ihl = (size_t)(f[14] & 0xf) * 4;
	const uint8_t *icmp = f + 14 + ihl;
	size_t icmp_len = get16(f + 16) - ihl;
	if (icmp_len != 8 + ECHO_PAYLOAD || len < 14 + ihl + icmp_len)
		die("echo reply of unexpected length %zu", icmp_len);
	if (icmp[0] != 0 || get16(icmp + 4) != ECHO_ID || get16(icmp + 6) != 1)
		return false;
	for (unsigned i = 0; i < ECHO_PAYLOAD; i++)
		if (icmp[8 + i] != (uint8_t)(0xa0 + i))
			die("echo reply payload differs at byte %u", i);
	if ((pkt->flags & UST_PKT_F_CSUM_PARTIAL) == 0 &&
	    csum_fold(csum_add(0, icmp, icmp_len)) != 0xffff)
		die("echo reply has a bad ICMP checksum");
	printf("echo request sent with checksum offload was answered\n");
	c->echo_replied = true;
	return true;
}

/* A TCP segment (one frame, or a TSO super-frame when payload_len > mss). */
static void send_tcp(struct off_ctx *c, uint8_t flags, const uint8_t *payload, size_t payload_len)
{
	static uint8_t f[14 + 20 + 24 + TSO_PAYLOAD];
	bool syn = (flags & 0x02) != 0;
	size_t tcp_len = syn ? 24 : 20;
	size_t o = build_eth(f, c->arp.kernel_mac, 0x0800);
	o += build_ipv4(f + o, 6, c->arp.our_ip, c->arp.kernel_ip, tcp_len + payload_len);
	uint8_t *t = f + o;
	memset(t, 0, tcp_len);
	put16(t, OUR_PORT);
	put16(t + 2, c->port);
	put32(t + 4, c->snd_nxt);
	put32(t + 8, (flags & 0x10) != 0 ? c->rcv_nxt : 0);
	t[12] = (uint8_t)((tcp_len / 4) << 4);
	t[13] = flags;
	put16(t + 14, 65535);
	if (syn) {
		t[20] = 2;	/* MSS 1460 */
		t[21] = 4;
		put16(t + 22, 1460);
	}
	if (payload_len != 0)
		memcpy(t + tcp_len, payload, payload_len);
	/* CSUM_PARTIAL: the field holds the pseudo-header sum; the kernel adds the rest. */
	uint8_t pseudo[12];
	put32(pseudo, c->arp.our_ip);
	put32(pseudo + 4, c->arp.kernel_ip);
	pseudo[8] = 0;
	pseudo[9] = 6;
	put16(pseudo + 10, (uint16_t)(tcp_len + payload_len));
	put16(t + 16, csum_fold(csum_add(0, pseudo, 12)));
	struct tx_meta m = { .flags = UST_PKT_F_CSUM_PARTIAL, .csum_start = 34, .csum_offset = 16 };
	if (payload_len > TSO_MSS) {
		m.flags |= UST_PKT_F_GSO_TCPV4;
		m.gso_size = TSO_MSS;
	}
	send_bytes(f, o + tcp_len + payload_len, &m);
	c->snd_nxt += (uint32_t)payload_len + (syn ? 1 : 0) + ((flags & 0x01) ? 1 : 0);
}

static void send_syn(void *arg)
{
	struct off_ctx *c = arg;
	if (c->synack)
		return;
	c->snd_nxt = OUR_ISN;
	send_tcp(c, 0x02, NULL, 0);
}

static bool tcp_handle(void *arg, const struct ust_pkt *pkt, const uint8_t *f, size_t len)
{
	struct off_ctx *c = arg;
	if (!is_ipv4_from_kernel(c, f, len, 6))
		return false;
	size_t ihl = (size_t)(f[14] & 0xf) * 4;
	const uint8_t *t = f + 14 + ihl;
	if (get16(t) != c->port || get16(t + 2) != OUR_PORT)
		return false;
	uint8_t flags = t[13];
	if (flags & 0x04)
		die("the kernel reset the connection");
	size_t payload = get16(f + 16) - ihl - (size_t)(t[12] >> 4) * 4;
	if (!c->synack) {
		if ((flags & 0x12) == 0x12 && get32(t + 8) == OUR_ISN + 1) {
			c->synack = true;
			c->rcv_nxt = get32(t + 4) + 1;
			printf("SYN-ACK received\n");
			return true;
		}
		return false;
	}
	if (len > c->max_frame)
		c->max_frame = len;
	if ((pkt->flags & UST_PKT_F_GSO_TCPV4) != 0 && pkt->gso_size != 0 && len > 1514 &&
	    payload > pkt->gso_size)
		c->saw_gso = true;
	if ((flags & 0x10) && get32(t + 8) == OUR_ISN + 1 + TSO_PAYLOAD && !c->data_acked) {
		c->data_acked = true;
		printf("kernel acknowledged all %u bytes of the TSO frame\n", TSO_PAYLOAD);
	}
	return c->data_acked && c->saw_gso;
}

static bool fin_acked(void *arg, const struct ust_pkt *pkt, const uint8_t *f, size_t len)
{
	struct off_ctx *c = arg;
	(void)pkt;
	if (!is_ipv4_from_kernel(c, f, len, 6))
		return false;
	const uint8_t *t = f + 14 + (size_t)(f[14] & 0xf) * 4;
	if (get16(t) != c->port || get16(t + 2) != OUR_PORT)
		return false;
	if (t[13] & 0x04)
		die("the kernel reset the connection");
	return (t[13] & 0x10) != 0 && get32(t + 8) == c->snd_nxt;
}

static int run_offload(int argc, char **argv)
{
	if (argc != 6)
		die("usage: offload IFNAME OUR_IP KERNEL_IP PORT");
	struct off_ctx c = {
		.arp = { .our_ip = parse_ip(argv[3]), .kernel_ip = parse_ip(argv[4]), .ghost_ip = 0 },
		.port = (uint16_t)atoi(argv[5]),
	};
	char spec[64];
	snprintf(spec, sizeof(spec), "tap:%s", argv[2]);
	struct ust_backend_config cfg = { .offload = true, .mtu = 9000 };

	/* Offload needs 64 KiB of data room per buffer: a 2 KiB pool is refused. */
	struct ust_pool *small = make_pool(16, 2048);
	int err = ust_backend_open(&g_be, spec, small, &cfg);
	if (err != -EINVAL)
		die("offload with a 2 KiB pool: got %d, expected -EINVAL", err);
	ust_pool_destroy(small);

	struct ust_pool *pool = make_pool(64, 65536 + 128);
	err = ust_backend_open(&g_be, spec, pool, &cfg);
	if (err != 0)
		die("open %s with offload: %s", spec, strerror(-err));
	unsigned want = UST_BACKEND_F_CSUM_OFFLOAD | UST_BACKEND_F_TSO | UST_BACKEND_F_GRO;
	if (g_be->features != want)
		die("features %#x, expected %#x", g_be->features, want);
	if (g_be->mtu != 9000)
		die("mtu %u, expected the 9000 asked for", g_be->mtu);
	struct ust_eth_addr k;
	if ((err = ust__netdev_get_hwaddr(argv[2], &k)) != 0)
		die("SIOCGIFHWADDR: %s", strerror(-err));
	memcpy(c.arp.kernel_mac, k.b, 6);
	wait_for_go();

	/* ARP round trip through the virtio header; the ghost part is not used here. */
	c.arp.got_ghost_request = true;
	run_until(arp_handle, arp_resend, &c.arp, "the ARP reply (offload)");
	run_until(echo_handle, send_echo_request, &c, "the echo reply");

	run_until(tcp_handle, send_syn, &c, "the SYN-ACK");
	send_tcp(&c, 0x10, NULL, 0);
	static uint8_t data[TSO_PAYLOAD];
	for (unsigned i = 0; i < TSO_PAYLOAD; i++)
		data[i] = (uint8_t)(i * 31 + 7);
	send_tcp(&c, 0x18, data, TSO_PAYLOAD);
	run_until(tcp_handle, NULL, &c, "the ACK of the TSO frame and a GSO frame from the kernel");
	printf("largest frame from the kernel: %zu bytes (GSO seen: %s)\n", c.max_frame,
	       c.saw_gso ? "yes" : "no");
	/* FIN, not RST: a reset can make the listener give up before it read the data. */
	send_tcp(&c, 0x11, NULL, 0);
	run_until(fin_acked, NULL, &c, "the ACK of our FIN");
	print_counters();
	ust_backend_close(g_be);
	ust_pool_destroy(pool);
	printf("PASS\n");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		die("usage: io_interop tap|afpacket|offload ...");
	if (strcmp(argv[1], "tap") == 0)
		return run_arp(argc, argv, false);
	if (strcmp(argv[1], "afpacket") == 0)
		return run_arp(argc, argv, true);
	if (strcmp(argv[1], "offload") == 0)
		return run_offload(argc, argv);
	die("unknown mode %s", argv[1]);
	return 1;
}
