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

/*
 * 5% loss each way (data and ACKs), 8 MB one way, four loss patterns, on a LAN-like path
 * (0.1 ms RTT, where a 200 ms RTO costs two thousand RTTs) and a 4 ms RTT path. Before lost
 * retransmissions were detected, about one loss in 25 ended in an RTO (the retransmission at
 * SND.UNA lost with everything above it SACKed) and the LAN transfers took 2-3 s of virtual
 * time; a sender that repairs nearly everything by SACK needs a fraction of a second.
 */
static void loss5_each_way(void **state)
{
	(void)state;
	const uint64_t delays[] = { SIM_MS / 20, 2 * SIM_MS };
	for (unsigned di = 0; di < 2; di++) {
		uint64_t drops = 0, rtos = 0, fast = 0;
		double secs = 0;
		for (uint64_t seed = 1; seed <= 4; seed++) {
			struct result r = run(seed, 50, 50, 8 * MB, delays[di], NULL);
			drops += r.dropped_data;
			rtos += r.rto;
			fast += r.fast;
			secs += r.seconds;
		}
		printf("delay %.2f ms: %llu data segments dropped, %llu fast retransmits, %llu RTOs, %.2f s\n",
		       (double)delays[di] / 1e6, (unsigned long long)drops, (unsigned long long)fast,
		       (unsigned long long)rtos, secs);
		assert_true(fast > drops / 4);		/* recovery episodes, not timeouts */
		assert_true(rtos * 100 < drops);	/* RTOs under 1% of the losses */
		if (di == 0)
			assert_true(secs < 4 * 1.0);	/* 4 transfers, under a second each */
	}
}

/* The same on the LAN path with NewReno, and with losses of data only (every ACK arrives). */
static void loss5_newreno_and_data_only(void **state)
{
	(void)state;
	uint64_t drops = 0, rtos = 0;
	for (uint64_t seed = 11; seed <= 13; seed++) {
		struct result r = run(seed, 50, 50, 8 * MB, SIM_MS / 20, "newreno");
		struct result q = run(seed, 50, 0, 8 * MB, SIM_MS / 20, NULL);
		drops += r.dropped_data + q.dropped_data;
		rtos += r.rto + q.rto;
	}
	printf("newreno / data-only: %llu data segments dropped, %llu RTOs\n", (unsigned long long)drops,
	       (unsigned long long)rtos);
	/* NewReno halves: windows of a few segments, where a loss of two or of the DupAcks
	 * leaves only the RTO (no TLP); before, twice as many */
	assert_true(rtos * 40 < drops);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loss5_each_way),
		cmocka_unit_test(loss5_newreno_and_data_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
