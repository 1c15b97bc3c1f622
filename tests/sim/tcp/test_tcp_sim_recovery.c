/*
 * Loss recovery of a bulk sender (RFC 6675 / RFC 5681): one-way transfers over a pair link
 * with random loss of data segments and of ACKs (pair impairment hook), like the interop
 * bulk tests' nftables loss between ustack and Linux. Asserts that losses are repaired by
 * fast retransmit and SACK-driven retransmission, with retransmission timeouts a small
 * fraction of the loss events, and that the transfer finishes in the virtual time a correct
 * RFC 6675 sender needs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tcp_harness.h"

struct loss {
	uint64_t rng;
	unsigned loss_pm[2];	/* per mille, per direction (0: data A -> B, 1: ACKs B -> A) */
	uint64_t dropped_data, dropped_acks;
};

struct result {
	uint64_t fast, sack, rto, retrans, dropped_data, dropped_acks;
	double seconds;
};

static uint32_t rnd(struct loss *l)
{
	l->rng ^= l->rng << 13;
	l->rng ^= l->rng >> 7;
	l->rng ^= l->rng << 17;
	return (uint32_t)(l->rng >> 11);
}

static unsigned hook(struct sim *s, int dir, struct ust_pool *pool, struct ust_pkt *pkt, uint64_t *delay_ns)
{
	struct loss *l = s->opts.arg;
	const uint8_t *f = ust_pkt_data(pool, pkt);
	(void)delay_ns;
	if (pkt->len <= 34 || f[12] != 0x08 || f[13] != 0x00 || f[23] != 6)
		return 1;
	if (rnd(l) % 1000 < l->loss_pm[dir]) {
		if (dir == 0)
			l->dropped_data++;
		else
			l->dropped_acks++;
		return 0;
	}
	return 1;
}

static struct result run(uint64_t seed, unsigned pm_data, unsigned pm_ack, uint64_t len, uint64_t delay_ns,
			 const char *cc)
{
	struct loss l = { .rng = seed, .loss_pm = { pm_data, pm_ack } };
	struct sim s;
	struct sim_opts o = { .delay_ns = delay_ns, .impair = hook, .arg = &l, .buffers = 4096,
			      .tcp_congestion = cc };
	assert_int_equal(sim_init(&s, &o), 0);
	int ls = tsim_listen(s.b, 5001, 8);
	int c = tsim_connect(s.a, SIM_IP_B, 5001);
	int d = tsim_accept(&s, s.b, ls, 60 * SIM_SEC);
	assert_true(d >= 0);
	uint64_t t0 = s.now;
	struct tsim_xfer ab = { .len = len, .seed = 7, .close_after = true };
	bool ok = tsim_pump(&s, s.a, c, &ab, s.b, d, NULL, s.now + 600 * SIM_SEC);
	assert_true(ok);
	assert_int_equal(ab.rcvd, len);
	assert_true(ab.sum_rx == ab.sum_tx);
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	assert_int_equal(ust_getsockopt(s.a, c, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0);
	struct result r = {
		.fast = sim_counter(s.a, "tcp.fast_retransmits"),
		.sack = sim_counter(s.a, "tcp.sack_retransmits"),
		.rto = sim_counter(s.a, "tcp.rto_timeouts"),
		.retrans = ti.tcpi_total_retrans,
		.dropped_data = l.dropped_data,
		.dropped_acks = l.dropped_acks,
		.seconds = (double)(s.now - t0) / 1e9,
	};
	printf("%s %llu bytes, delay %.2f ms, loss %u/%u per mille: dropped %llu data-way, %llu ack-way; "
	       "retransmits %llu (fast %llu, sack %llu, rto %llu), %.2f s virtual\n",
	       cc ? cc : "default", (unsigned long long)len, (double)delay_ns / 1e6, pm_data, pm_ack,
	       (unsigned long long)r.dropped_data, (unsigned long long)r.dropped_acks,
	       (unsigned long long)r.retrans, (unsigned long long)r.fast, (unsigned long long)r.sack,
	       (unsigned long long)r.rto, r.seconds);
	ust_close(s.b, d);
	ust_close(s.a, c);
	ust_close(s.b, ls);
	sim_run(&s, 130 * SIM_SEC);
	sim_fini(&s);
	return r;
}

#define MB (1024ull * 1024ull)

static void explore(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++) {
		run(seed, 50, 50, 4 * MB, SIM_MS / 20, NULL);
		run(seed, 50, 50, 4 * MB, 2 * SIM_MS, NULL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(explore),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
