/*
 * bench_tcp_pair: whole-stack TCP benchmarks between two ustack stacks joined in one process
 * by an in-memory pair link (no kernel in the data path), on real time.
 *
 *   bench_tcp_pair bulk [SECONDS]     one flow A -> B as fast as possible: payload bytes moved,
 *                                     wall time and CPU time of the process (both stacks and
 *                                     both applications run in this one thread, so "per CPU
 *                                     second" counts sender and receiver together); the link
 *                                     carries 64 KB segments like veth with GSO/GRO
 *   bench_tcp_pair bulk1500 [SECONDS] the same over a link of plain 1500-byte frames
 *   bench_tcp_pair conns [N]          N (default 100000) concurrent idle connections A -> B:
 *                                     RSS before and after, bytes per connection (both ends,
 *                                     and halved: one end), sizeof(struct ust__tcb)
 *
 * Prints "key value" lines that the bench/tcp scripts collect. Uses internal headers (pair backend).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <ustack/socket.h>
#include <ustack/stack.h>

#include "core/pktbuf.h"
#include "io/backend.h"
#include "net/tcp.h"

struct bench {
	struct ust_pool *pool_a, *pool_b;
	struct ust_stack *a, *b;
};

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int print_counter(void *arg, const char *group, const char *name, uint64_t value)
{
	if (value && (strstr(name, "drop") || strstr(name, "full") || strstr(name, "overflow") ||
		      strstr(name, "nobuf") || strstr(name, "fail") || strstr(name, "retrans") ||
		      strstr(name, "cookie") || strstr(name, "timeout")))
		printf("counter_%s %s.%s %llu\n", (const char *)arg, group, name, (unsigned long long)value);
	return 0;
}

/*
 * big: the pair link carries 64 KB segments (offload, as veth does with GSO/GRO) and both
 * stacks share one pool of 64 KiB buffers, so frames are handed over rather than copied.
 * Otherwise 1500-byte frames, 2 KiB buffers, one pool per stack (a copy per frame).
 */
static int bench_init(struct bench *bn, uint32_t buffers, bool big)
{
	memset(bn, 0, sizeof(*bn));
	struct ust_pool_config pc = { .count = buffers, .buf_size = 2048, .headroom = 128 };
	if (big) {
		pc.buf_size = 65536 + 128;
		if (ust_pool_create(&bn->pool_a, &pc))
			return -1;
		bn->pool_b = bn->pool_a;
	} else if (ust_pool_create(&bn->pool_a, &pc) || ust_pool_create(&bn->pool_b, &pc)) {
		return -1;
	}
	struct ust_pair_config lc = { .mtu = 1500, .queue_limit = 8192, .offload = big };
	struct ust_backend *ea, *eb;
	if (ust_pair_create(&ea, &eb, bn->pool_a, bn->pool_b, &lc))
		return -1;
	const char *why;
	struct ust_stack_config ca = { .ip = "10.0.0.1/24", .seed = 1 };
	struct ust_stack_config cb = { .ip = "10.0.0.2/24", .seed = 2 };
	if (ust_stack_create_on(&bn->a, ea, &ca, &why) || ust_stack_create_on(&bn->b, eb, &cb, &why)) {
		fprintf(stderr, "bench_tcp_pair: %s\n", why);
		return -1;
	}
	return 0;
}

static void bench_fini(struct bench *bn)
{
	ust_stack_destroy(bn->a);
	ust_stack_destroy(bn->b);
	if (bn->pool_b != bn->pool_a)
		ust_pool_destroy(bn->pool_b);
	ust_pool_destroy(bn->pool_a);
}

static void run(struct bench *bn)
{
	uint64_t now = ust_now();
	ust_stack_poll(bn->a, now);
	ust_stack_poll(bn->b, now);
}

static int listener(struct bench *bn, uint16_t port, int backlog)
{
	int one = 1;
	int l = ust_socket(bn->b, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	ust_setsockopt(bn->b, l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || ust_bind(bn->b, l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || ust_listen(bn->b, l, backlog) < 0) {
		perror("listen");
		exit(1);
	}
	return l;
}

static int bulk(double seconds, bool big)
{
	struct bench bn;
	if (bench_init(&bn, big ? 1024 : 8192, big))
		return 1;
	int l = listener(&bn, 5001, 8);
	int c = ust_socket(bn.a, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(5001) };
	inet_pton(AF_INET, "10.0.0.2", &to.sin_addr);
	ust_connect(bn.a, c, (struct sockaddr *)&to, sizeof(to));
	int d = -1;
	for (int i = 0; i < 100000 && d < 0; i++) {
		run(&bn);
		d = ust_accept(bn.b, l, NULL, NULL);
	}
	if (d < 0) {
		fprintf(stderr, "bench_tcp_pair: no connection\n");
		return 1;
	}
	static char buf[131072];
	memset(buf, 0x5a, sizeof(buf));
	uint64_t moved = 0;
	double t0 = (double)ust_now() / 1e9, c0 = cpu_now(), t = t0;
	while (t - t0 < seconds) {
		for (int k = 0; k < 4; k++)
			if (ust_write(bn.a, c, buf, sizeof(buf)) < 0)
				break;
		run(&bn);
		for (;;) {
			ssize_t n = ust_read(bn.b, d, buf, sizeof(buf));
			if (n <= 0)
				break;
			moved += (uint64_t)n;
		}
		t = (double)ust_now() / 1e9;
	}
	double wall = t - t0, cpu = cpu_now() - c0;
	printf("bulk_bytes %llu\nbulk_wall_s %.3f\nbulk_cpu_s %.3f\n", (unsigned long long)moved, wall, cpu);
	printf("bulk_gbit_per_wall_s %.3f\nbulk_gbit_per_cpu_s %.3f\n", moved * 8 / wall / 1e9, moved * 8 / cpu / 1e9);
	uint64_t rtx = 0;
	ust_stack_counter(bn.a, "tcp.retransmits", &rtx);
	printf("bulk_retransmits %llu\n", (unsigned long long)rtx);
	bench_fini(&bn);
	return 0;
}

static int conns(long n)
{
	long rss0 = rss_kib();
	struct bench bn;
	if (bench_init(&bn, 8192, false))
		return 1;
	long rss_stacks = rss_kib();
	enum { PER_PORT = 50000, NPORTS_MAX = 64 };
	int nports = (int)((n + PER_PORT - 1) / PER_PORT);
	if (nports > NPORTS_MAX) {
		fprintf(stderr, "bench_tcp_pair: at most %d connections\n", NPORTS_MAX * PER_PORT);
		return 1;
	}
	int ls[NPORTS_MAX];
	for (int p = 0; p < nports; p++)
		ls[p] = listener(&bn, (uint16_t)(5000 + p), 4096);
	int *cs = malloc(sizeof(int) * (size_t)n), *ds = malloc(sizeof(int) * (size_t)n);
	if (!cs || !ds)
		return 1;
	long opened = 0, accepted = 0, failed = 0;
	double t0 = (double)ust_now() / 1e9;
	int one = 1;
	while (accepted < n) {
		/* open in bursts well below the SYN queue and the link queue, accept what arrived;
		 * the first burst is one connection, so ARP is resolved before the crowd */
		int burst = opened == 0 ? 1 : 128;
		for (int k = 0; k < burst && opened < n; k++, opened++) {
			int sd = ust_socket(bn.a, AF_INET, SOCK_STREAM, 0);
			if (sd < 0) {
				fprintf(stderr, "socket %ld: %s\n", opened, strerror(errno));
				failed++;
				n = opened;
				break;
			}
			struct sockaddr_in me = { .sin_family = AF_INET,
						  .sin_port = htons((uint16_t)(10000 + opened % PER_PORT)) };
			struct sockaddr_in to = { .sin_family = AF_INET,
						  .sin_port = htons((uint16_t)(5000 + opened / PER_PORT)) };
			inet_pton(AF_INET, "10.0.0.2", &to.sin_addr);
			ust_setsockopt(bn.a, sd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (ust_bind(bn.a, sd, (struct sockaddr *)&me, sizeof(me)) < 0 ||
			    (ust_connect(bn.a, sd, (struct sockaddr *)&to, sizeof(to)) < 0 && errno != EINPROGRESS)) {
				fprintf(stderr, "connect %ld: %s\n", opened, strerror(errno));
				failed++;
			}
			cs[opened] = sd;
		}
		for (int r = 0; r < 8; r++)
			run(&bn);
		for (int p = 0; p < nports; p++) {
			for (;;) {
				int sd = ust_accept(bn.b, ls[p], NULL, NULL);
				if (sd < 0)
					break;
				ds[accepted++] = sd;
			}
		}
		if ((double)ust_now() / 1e9 - t0 > 120) {
			fprintf(stderr, "bench_tcp_pair: gave up after 120 s\n");
			break;
		}
	}
	for (int r = 0; r < 100; r++)
		run(&bn);	/* settle: final ACKs, no queued data anywhere */
	double secs = (double)ust_now() / 1e9 - t0;
	long rss1 = rss_kib();
	uint64_t est_a = 0, est_b = 0;
	ust_stack_counter(bn.a, "tcp.conn_established", &est_a);
	ust_stack_counter(bn.b, "tcp.conn_established", &est_b);
	printf("conns_requested %ld\nconns_accepted %ld\nconns_failed %ld\n", n, accepted, failed);
	printf("conns_established_a %llu\nconns_established_b %llu\n", (unsigned long long)est_a,
	       (unsigned long long)est_b);
	printf("conns_setup_s %.2f\nconns_per_s %.0f\n", secs, accepted / secs);
	printf("rss_start_kib %ld\nrss_stacks_kib %ld\nrss_conns_kib %ld\n", rss0, rss_stacks, rss1);
	if (accepted > 0) {
		double per2 = (double)(rss1 - rss_stacks) * 1024.0 / (double)accepted;
		printf("bytes_per_conn_both_ends %.0f\nbytes_per_conn_one_end %.0f\n", per2, per2 / 2);
	}
	printf("sizeof_tcb %zu\n", sizeof(struct ust__tcb));
	ust_stack_counters(bn.a, print_counter, "a");
	ust_stack_counters(bn.b, print_counter, "b");
	free(cs);
	free(ds);
	bench_fini(&bn);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "bulk") == 0)
		return bulk(argc >= 3 ? atof(argv[2]) : 3.0, true);
	if (argc >= 2 && strcmp(argv[1], "bulk1500") == 0)
		return bulk(argc >= 3 ? atof(argv[2]) : 3.0, false);
	if (argc >= 2 && strcmp(argv[1], "conns") == 0)
		return conns(argc >= 3 ? atol(argv[2]) : 100000);
	fprintf(stderr, "usage: bench_tcp_pair bulk|bulk1500 [SECONDS] | conns [N]\n");
	return 2;
}
