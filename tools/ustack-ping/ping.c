/*
 * ustack-ping: ICMP echo from a user-level stack, with Linux ping's options and output.
 * Sends echo requests through an ICMP echo socket (SOCK_DGRAM, IPPROTO_ICMP) of the stack,
 * matches replies by sequence number, checks the echoed data byte for byte, and prints the
 * same per-reply lines and summary as iputils ping. While it runs the stack also answers ARP
 * and pings addressed to it.
 *
 * Owns: the stack (through struct ust_tool), one socket, the send-time table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

#define ICMP_HDR 8u
#define MAX_DATA 65507u		/* 65535 - 20 (IPv4) - 8 (ICMP) */
#define FLOOD_MIN_GAP_NS 10000000ull	/* flood: at least 100 batches/s even without replies */

enum { OPT_BATCH = UST_TOOL_OPT_FIRST_FREE };

struct ping {
	struct ust_tool tool;
	struct in_addr dest;
	char dest_str[INET_ADDRSTRLEN];
	unsigned long count;		/* 0: until interrupted */
	unsigned long size;		/* data bytes after the ICMP header */
	unsigned long batch;		/* requests sent back to back per interval */
	uint64_t interval_ns;
	uint64_t wait_ns;		/* -W: 0 = Linux default (2 * max RTT, or 10 s without replies) */
	uint64_t deadline_ns;		/* -w: 0 = none */
	bool interval_given;
	bool quiet;
	bool flood;

	int sd;
	uint8_t *txbuf, *rxbuf;
	uint64_t *sent_at;		/* by sequence number; 0: not outstanding */
	uint8_t *replied;		/* bitmap by sequence number, for (DUP!) */
	uint16_t next_seq;
	unsigned long outstanding;

	unsigned long transmitted, received, duplicates, errors, corrupted;
	double tmin, tmax, tsum, tsum2;	/* milliseconds */
};

static void usage(FILE *f)
{
	fputs("Usage: ustack-ping [options] --if SPEC --ip A.B.C.D/N DESTINATION\n"
	      "Send ICMP echo requests from a user-level stack, like ping(8).\n"
	      "  -c COUNT       stop after COUNT requests (default: until interrupted)\n"
	      "  -s SIZE        data bytes per request, 0..65507 (default 56)\n"
	      "  -i SECONDS     interval between requests (fractions allowed; default 1)\n"
	      "  -W SECONDS     after the last request, wait this long for replies\n"
	      "  -w SECONDS     stop after this many seconds whatever was sent\n"
	      "  -q             quiet: only the summary\n"
	      "  -f             flood: send as fast as replies come back (at least 100/s),\n"
	      "                 print '.' per request and erase one per reply\n"
	      "  --batch N      send N requests back to back each interval (default 1)\n"
	      "Each reply line shows the TTL the reply arrived with (IP_RECVTTL).\n", f);
	ust_tool_common_usage(f);
}

static int parse_args(struct ping *p, int argc, char **argv)
{
	static const struct option longopts[] = {
		UST_TOOL_COMMON_LONGOPTS,
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ NULL, 0, NULL, 0 },
	};
	struct ust_tool *t = &p->tool;
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:s:i:W:w:qf", longopts, NULL)) != -1) {
		int rc = ust_tool_common_option(t, opt, optarg);

		if (rc < 0)
			return -1;
		if (rc > 0)
			continue;
		switch (opt) {
		case 'c':
			if (ust_tool_parse_ulong(t, "-c", optarg, 1, 1000000000ul, &p->count) < 0)
				return -1;
			break;
		case 's':
			if (ust_tool_parse_ulong(t, "-s", optarg, 0, MAX_DATA, &p->size) < 0)
				return -1;
			break;
		case 'i':
			if (ust_tool_parse_seconds(t, "-i", optarg, 0, 3600, &p->interval_ns) < 0)
				return -1;
			p->interval_given = true;
			break;
		case 'W':
			if (ust_tool_parse_seconds(t, "-W", optarg, 0.001, 3600, &p->wait_ns) < 0)
				return -1;
			break;
		case 'w':
			if (ust_tool_parse_seconds(t, "-w", optarg, 0.001, 86400, &p->deadline_ns) < 0)
				return -1;
			break;
		case 'q':
			p->quiet = true;
			break;
		case 'f':
			p->flood = true;
			break;
		case OPT_BATCH:
			if (ust_tool_parse_ulong(t, "--batch", optarg, 1, 65536, &p->batch) < 0)
				return -1;
			break;
		default:
			ust_tool_bad_option(t, opt, argv);
			return -1;
		}
	}
	if (t->help)
		return 0;
	if (ust_tool_check_required(t) < 0)
		return -1;
	if (optind >= argc) {
		ust_tool_error(t, "DESTINATION: missing (try --help)");
		return -1;
	}
	if (optind + 1 < argc) {
		ust_tool_error(t, "'%s': unexpected argument after the destination", argv[optind + 1]);
		return -1;
	}
	if (ust_tool_parse_ipv4(t, "DESTINATION", argv[optind], &p->dest) < 0)
		return -1;
	inet_ntop(AF_INET, &p->dest, p->dest_str, sizeof(p->dest_str));
	if (p->flood && !p->interval_given)
		p->interval_ns = 0;
	return 0;
}

static void fill_request(struct ping *p, uint16_t seq)
{
	uint8_t *b = p->txbuf;

	b[0] = 8;	/* echo request */
	b[1] = 0;
	b[2] = b[3] = 0;	/* checksum: the stack fills it */
	b[4] = b[5] = 0;	/* identifier: the stack sets the socket's */
	b[6] = (uint8_t)(seq >> 8);
	b[7] = (uint8_t)seq;
}

static void send_one(struct ping *p)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = p->dest };
	uint16_t seq = p->next_seq++;
	size_t len = ICMP_HDR + p->size;

	fill_request(p, seq);
	p->transmitted++;
	p->replied[seq >> 3] &= (uint8_t)~(1u << (seq & 7));
	if (ust_sendto(p->tool.stack, p->sd, p->txbuf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		p->errors++;
		if (!p->quiet)
			printf("ustack-ping: sendto: %s\n", strerror(errno));
		return;
	}
	if (p->sent_at[seq] == 0)
		p->outstanding++;
	p->sent_at[seq] = ust_now();
	if (p->flood && !p->quiet)
		putchar('.');
}

/* Linux ping prints 3 significant decimals below 1 ms, fewer above. */
static void format_ms(double ms, char *buf, size_t len)
{
	if (ms >= 100)
		snprintf(buf, len, "%.0f", ms);
	else if (ms >= 10)
		snprintf(buf, len, "%.1f", ms);
	else if (ms >= 1)
		snprintf(buf, len, "%.2f", ms);
	else
		snprintf(buf, len, "%.3f", ms);
}

static bool data_intact(struct ping *p, const uint8_t *data, size_t len, uint16_t seq)
{
	const uint8_t *want = p->txbuf + ICMP_HDR;

	for (size_t i = 0; i < len; i++) {
		if (data[i] != want[i]) {
			printf("wrong data byte #%zu in reply icmp_seq=%u: should be 0x%02x but was 0x%02x\n",
			       i, (unsigned)seq, want[i], data[i]);
			return false;
		}
	}
	return true;
}

static void handle_reply(struct ping *p, const uint8_t *b, size_t n, const struct sockaddr_in *from, int ttl)
{
	uint64_t now = ust_now();
	uint16_t seq;
	bool dup;
	double ms = 0;
	char from_str[INET_ADDRSTRLEN], tbuf[32];

	if (n < ICMP_HDR || b[0] != 0)
		return;	/* the socket only returns echo replies; be defensive anyway */
	seq = (uint16_t)(b[6] << 8 | b[7]);
	dup = (p->replied[seq >> 3] >> (seq & 7)) & 1;
	if (!dup && p->sent_at[seq] == 0)
		return;	/* never sent (or from a previous run) */
	if (dup) {
		p->duplicates++;
	} else {
		ms = (double)(now - p->sent_at[seq]) / 1e6;
		p->sent_at[seq] = 0;
		p->outstanding--;
		p->replied[seq >> 3] |= (uint8_t)(1u << (seq & 7));
		p->received++;
		p->tsum += ms;
		p->tsum2 += ms * ms;
		if (p->received == 1 || ms < p->tmin)
			p->tmin = ms;
		if (ms > p->tmax)
			p->tmax = ms;
	}
	if (n - ICMP_HDR != p->size) {
		printf("reply icmp_seq=%u has %zu data bytes, sent %lu\n", (unsigned)seq, n - ICMP_HDR, p->size);
		p->corrupted++;
	} else if (!data_intact(p, b + ICMP_HDR, n - ICMP_HDR, seq)) {
		p->corrupted++;
	}
	if (p->quiet)
		return;
	if (p->flood) {
		if (!dup)
			fputs("\b \b", stdout);
		return;
	}
	inet_ntop(AF_INET, &from->sin_addr, from_str, sizeof(from_str));
	format_ms(ms, tbuf, sizeof(tbuf));
	if (dup)
		printf("%zu bytes from %s: icmp_seq=%u ttl=%d (DUP!)\n", n, from_str, (unsigned)seq, ttl);
	else
		printf("%zu bytes from %s: icmp_seq=%u ttl=%d time=%s ms\n", n, from_str, (unsigned)seq, ttl, tbuf);
}

/* The TTL the reply arrived with, from its IP_TTL control message (-1 if none). */
static int reply_ttl(struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		int ttl;

		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL && c->cmsg_len >= CMSG_LEN(sizeof(ttl))) {
			memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
			return ttl;
		}
	}
	return -1;
}

static void receive_all(struct ping *p)
{
	for (;;) {
		struct sockaddr_in from;
		struct iovec iov = { .iov_base = p->rxbuf, .iov_len = ICMP_HDR + MAX_DATA };
		union { struct cmsghdr align; uint8_t buf[CMSG_SPACE(sizeof(int))]; } control;
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
		ssize_t n = ust_recvmsg(p->tool.stack, p->sd, &msg, 0);

		if (n >= 0) {
			handle_reply(p, p->rxbuf, (size_t)n, &from, reply_ttl(&msg));
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		/* An ICMP error for our traffic (unreachable, ...), delivered like Linux does. */
		p->errors++;
		if (!p->quiet)
			printf("From %s: %s\n", p->dest_str, strerror(errno));
	}
}

/* How long to wait for replies after the last request (iputils' rules). */
static uint64_t linger_ns(const struct ping *p)
{
	if (p->wait_ns)
		return p->wait_ns;
	if (p->received) {
		uint64_t two_rtt = (uint64_t)(2 * p->tmax * 1e6);

		return two_rtt > 100000000ull ? two_rtt : 100000000ull;
	}
	return 10000000000ull;
}

static void summary(const struct ping *p, uint64_t elapsed_ns)
{
	double loss = p->transmitted ? 100.0 * (double)(p->transmitted - p->received) /
					       (double)p->transmitted : 0;

	if (p->flood && !p->quiet)
		putchar('\n');
	printf("\n--- %s ping statistics ---\n", p->dest_str);
	printf("%lu packets transmitted, %lu received", p->transmitted, p->received);
	if (p->duplicates)
		printf(", +%lu duplicates", p->duplicates);
	if (p->corrupted)
		printf(", +%lu corrupted", p->corrupted);
	if (p->errors)
		printf(", +%lu errors", p->errors);
	printf(", %g%% packet loss, time %llums\n", loss,
	       (unsigned long long)(elapsed_ns / 1000000ull));
	if (p->received) {
		double avg = p->tsum / (double)p->received;
		double var = p->tsum2 / (double)p->received - avg * avg;

		printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", p->tmin, avg, p->tmax,
		       sqrt(var > 0 ? var : 0));
	}
}

static int run(struct ping *p)
{
	uint64_t start = ust_now(), next_send = start, last_send = 0;
	uint64_t stop_at = p->deadline_ns ? start + p->deadline_ns : UINT64_MAX;

	printf("PING %s (%s) %lu(%lu) bytes of data.\n", p->dest_str, p->dest_str, p->size,
	       p->size + ICMP_HDR + 20);
	fflush(stdout);
	while (!p->tool.stop_signal) {
		uint64_t now = ust_now(), until;
		bool more = p->count == 0 || p->transmitted < p->count;

		if (now >= stop_at)
			break;
		if (more && (now >= next_send || (p->flood && p->outstanding == 0))) {
			for (unsigned long i = 0; i < p->batch && (p->count == 0 || p->transmitted < p->count); i++)
				send_one(p);
			last_send = ust_now();
			if (p->flood)
				next_send = last_send + (p->interval_ns > FLOOD_MIN_GAP_NS || p->interval_given
							 ? p->interval_ns : FLOOD_MIN_GAP_NS);
			else
				next_send = (next_send + p->interval_ns > now) ? next_send + p->interval_ns
									: now + p->interval_ns;
			more = p->count == 0 || p->transmitted < p->count;
		}
		receive_all(p);
		if (!more && (p->outstanding == 0 || ust_now() >= last_send + linger_ns(p)))
			break;
		until = more ? next_send : last_send + linger_ns(p);
		if (p->flood && more && p->outstanding == 0)
			until = 0;
		if (stop_at < until)
			until = stop_at;
		fflush(stdout);
		ust_tool_wait(&p->tool, until, NULL, 0);
		receive_all(p);
	}
	summary(p, ust_now() - start);
	fflush(stdout);
	return p->received ? UST_TOOL_EXIT_OK : UST_TOOL_EXIT_RUNTIME;
}

int main(int argc, char **argv)
{
	struct ping p = { .size = 56, .batch = 1, .interval_ns = 1000000000ull, .sd = -1 };
	int status;

	ust_tool_init(&p.tool, "ustack-ping");
	if (parse_args(&p, argc, argv) < 0)
		return UST_TOOL_EXIT_USAGE;
	if (p.tool.help) {
		usage(stdout);
		return UST_TOOL_EXIT_OK;
	}
	p.txbuf = malloc(ICMP_HDR + MAX_DATA);
	p.rxbuf = malloc(ICMP_HDR + MAX_DATA);
	p.sent_at = calloc(65536, sizeof(*p.sent_at));
	p.replied = calloc(65536 / 8, 1);
	if (!p.txbuf || !p.rxbuf || !p.sent_at || !p.replied) {
		ust_tool_error(&p.tool, "out of memory");
		status = UST_TOOL_EXIT_RUNTIME;
		goto out;
	}
	for (size_t i = 0; i < MAX_DATA; i++)
		p.txbuf[ICMP_HDR + i] = (uint8_t)(i + 8);	/* iputils' fill pattern */
	p.next_seq = 1;
	if (ust_tool_open(&p.tool) < 0) {
		status = UST_TOOL_EXIT_RUNTIME;
		goto out;
	}
	p.sd = ust_socket(p.tool.stack, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	if (p.sd >= 0) {
		int on = 1;

		ust_setsockopt(p.tool.stack, p.sd, IPPROTO_IP, IP_RECVTTL, &on, sizeof(on));
	}
	if (p.sd < 0) {
		ust_tool_error(&p.tool, "ICMP echo socket: %s", strerror(errno));
		status = UST_TOOL_EXIT_RUNTIME;
		goto out;
	}
	status = run(&p);
	ust_close(p.tool.stack, p.sd);
out:
	ust_tool_close(&p.tool);
	free(p.txbuf);
	free(p.rxbuf);
	free(p.sent_at);
	free(p.replied);
	return status;
}
