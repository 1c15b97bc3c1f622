/*
 * HyStart++ (RFC 9406) through the emulator on virtual time: one ustack flow through a
 * 100 Mbit/s pipe with 20 ms delay each way and a 1000-slot queue (BDP 333 packets, so the
 * queue holds three BDPs and the RTT climbs from 40 ms to 160 ms before anything drops).
 * HyStart++ must see the round's minimum RTT rise and leave slow start (through CSS) while
 * the queue still has room: few tail drops in slow start, ssthresh within a sensible factor
 * of what the path holds, for both CUBIC and NewReno. HYSTART_TRACE=1 prints every round
 * (cwnd, RTT samples, HyStart++ state) and the per-second throughput; HYSTART_TRACE_ALL=1
 * also prints cwnd, peer window, flight and the last RTT sample every 20 ms.
 */
#include "emu_tcp_pair.h"

#include <arpa/inet.h>

#include "io/backend.h"
#include "net/tcp.h"
#include "ustack/socket.h"
#include "ustack/stack.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define BUFFERS 32768u		/* the stacks use the pair's pools: a receive window up to 6 MB */
#define PIPE "pipe 1 config bw 100Mbit/s delay 20ms queue 1000"
#define QUEUE_SLOTS 1000u
#define BDP_BYTES (100000000ull / 8 * 40 / 1000)	/* 500 kB at the base RTT */
#define PKT_PAYLOAD 1448u

static uint64_t drops(const struct emu_tcp_pair *t)
{
	return ust_emu_counter(t->emu, "drop_queue_full");
}

struct hs_result {
	uint64_t ss_drops;		/* tail drops until the sender left slow start */
	uint64_t total_drops;
	uint32_t ssthresh;		/* when slow start ended (bytes) */
	bool left_by_hystart;		/* slow start ended without a loss or timeout */
	double mbps[8];			/* per second of virtual time */
	unsigned seconds;
};

static const char *hs_state(const struct ust_tcp_hystart *h)
{
	return h->done ? "done" : h->in_css ? "css" : "ss";
}

/* Connect A -> B, send len bytes (checked at B only by count), trace slow start. */
static struct hs_result run(const char *cc, uint64_t len)
{
	bool trace = getenv("HYSTART_TRACE") != NULL;
	struct emu_tcp_pair t;
	struct hs_result res = { 0 };
	etp_init(&t, BUFFERS, PIPE, 1, cc);
	int l = ust_socket(t.b, AF_INET, SOCK_STREAM, 0);
	assert_true(l >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(5001) };
	assert_int_equal(ust_bind(t.b, l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(ust_listen(t.b, l, 4), 0);
	int c = ust_socket(t.a, AF_INET, SOCK_STREAM, 0);
	assert_true(c >= 0);
	struct sockaddr_in da = { .sin_family = AF_INET, .sin_port = htons(5001),
				  .sin_addr.s_addr = htonl(IP(10, 0, 0, 2)) };
	assert_true(ust_connect(t.a, c, (struct sockaddr *)&da, sizeof(da)) == 0 || errno == EINPROGRESS);
	int d = -1;
	while ((d = ust_accept(t.b, l, NULL, NULL)) < 0) {
		assert_true(t.now < 10 * SEC);
		etp_run_until(&t, t.now + MS);
	}
	/* a receive window as large as Linux's tcp_rmem[2]: the congestion window, not the
	 * peer's window, must be what limits the sender (as against a Linux receiver) */
	int rb = 6 << 20;
	(void)ust_setsockopt(t.b, d, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	etp_run_until(&t, t.now + 100 * MS);
	struct ust__tcb *tcb = ust__tcp_tcb(t.a, c);
	assert_non_null(tcb);

	static uint8_t buf[65536];
	uint64_t sent = 0, rcvd = 0, start = t.now, sec_mark = t.now, sec_bytes = 0;
	uint64_t give_up = t.now + 120 * SEC;
	bool in_ss = true;
	uint32_t last_round_end = 0;
	const char *last_state = "ss";
	while (rcvd < len) {
		while (sent < len) {
			size_t n = (size_t)UST_MIN((uint64_t)sizeof(buf), len - sent);
			ssize_t w = ust_write(t.a, c, buf, n);
			if (w <= 0)
				break;
			sent += (uint64_t)w;
		}
		for (;;) {
			ssize_t n = ust_read(t.b, d, buf, sizeof(buf));
			if (n <= 0)
				break;
			rcvd += (uint64_t)n;
			sec_bytes += (uint64_t)n;
		}
		const struct ust_tcp_hystart *h = ust__tcp_cc_hystart(&tcb->cc);
		if (getenv("HYSTART_TRACE_ALL") && (t.now - start) % (20 * MS) == 0)
			print_message("  t=%7.3f cwnd %5u ssthresh %u snd_wnd %u flight %u rtt %u\n",
				      (double)(t.now - start) / 1e9, tcb->cc.conn.cwnd / tcb->smss,
				      tcb->cc.conn.ssthresh, tcb->snd_wnd, tcb->snd_max - tcb->snd_una,
				      tcb->rtt.latest_us);
		if (in_ss && trace && h && (h->window_end != last_round_end ||
					    strcmp(hs_state(h), last_state) != 0)) {
			print_message("%s t=%7.3f cwnd %5u seg ssthresh %10u rtt %6u us srtt %6u "
				      "round min %6u last %6u samples %2u %s css_rounds %u drops %llu\n",
				      cc, (double)(t.now - start) / 1e9, tcb->cc.conn.cwnd / tcb->smss,
				      tcb->cc.conn.ssthresh, tcb->rtt.latest_us,
				      ust_tcp_rtt_srtt_us(&tcb->rtt), h->current_round_min_rtt,
				      h->last_round_min_rtt, h->rtt_sample_count, hs_state(h),
				      h->css_rounds, (unsigned long long)drops(&t));
			last_round_end = h->window_end;
			last_state = hs_state(h);
		}
		if (in_ss && !ust_tcp_cc_in_slow_start(&tcb->cc)) {
			in_ss = false;
			res.ss_drops = drops(&t);
			res.ssthresh = ust_tcp_cc_ssthresh(&tcb->cc);
			res.left_by_hystart = tcb->total_retrans == 0;
			if (trace)
				print_message("%s t=%7.3f left slow start: cwnd %u ssthresh %u, "
					      "retransmits %u, drops %llu\n", cc,
					      (double)(t.now - start) / 1e9, tcb->cc.conn.cwnd,
					      res.ssthresh, tcb->total_retrans,
					      (unsigned long long)res.ss_drops);
		}
		if (t.now - sec_mark >= SEC) {
			if (res.seconds < sizeof(res.mbps) / sizeof(res.mbps[0]))
				res.mbps[res.seconds++] = (double)sec_bytes * 8 / 1e6;
			sec_mark += SEC;
			sec_bytes = 0;
		}
		assert_true(t.now < give_up);
		etp_run_until(&t, t.now + MS);
	}
	res.total_drops = drops(&t);
	print_message("%s: %llu bytes in %.3f s; drops in slow start %llu, total %llu; ssthresh "
		      "%u (%.2f x (BDP + queue)); per second:", cc, (unsigned long long)len,
		      (double)(t.now - start) / 1e9, (unsigned long long)res.ss_drops,
		      (unsigned long long)res.total_drops, res.ssthresh,
		      (double)res.ssthresh / (double)(BDP_BYTES + QUEUE_SLOTS * PKT_PAYLOAD));
	for (unsigned i = 0; i < res.seconds; i++)
		print_message(" %.1f", res.mbps[i]);
	print_message(" Mbit/s\n");
	ust_close(t.a, c);
	ust_close(t.b, d);
	ust_close(t.b, l);
	etp_run_until(&t, t.now + SEC);
	etp_fini(&t);
	return res;
}

static void check(const struct hs_result *r)
{
	/* fewer than 1 % of the queue's slots lost before slow start ended */
	assert_true(r->ss_drops < QUEUE_SLOTS / 100);
	assert_true(r->left_by_hystart);
	/* ssthresh: at least half the BDP (the queue only starts filling there), at most what
	 * the pipe and its queue hold */
	assert_true(r->ssthresh >= BDP_BYTES / 2);
	assert_true(r->ssthresh <= BDP_BYTES + QUEUE_SLOTS * PKT_PAYLOAD);
}

static void test_hystart_cubic(void **state)
{
	(void)state;
	struct hs_result r = run("cubic", 30u << 20);
	check(&r);
}

static void test_hystart_newreno(void **state)
{
	(void)state;
	struct hs_result r = run("newreno", 30u << 20);
	check(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hystart_cubic),
		cmocka_unit_test(test_hystart_newreno),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
