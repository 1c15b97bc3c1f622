/*
 * Schedulers and masks on a virtual clock: WF2Q+, QFQ and DRR share a link by weight
 * (within 2%), PRIO serves the higher priority first, the FreeBSD weight test (a bulk
 * transfer finishes during a flood only when it holds the big weight), masks create one
 * pipe per flow (and fall back to a shared overflow instance beyond the bound), and the
 * per-/24 fair-queueing shaper from the dummynet paper.
 */
#include "emu_test_util.h"

#include <math.h>

#define GRAN 100000ull

static void sink_free(struct t_sink *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static struct ust_pkt *flow_pkt(struct ust_pool *pool, uint16_t dport, uint32_t len, uint32_t seq)
{
	struct ust_pkt *p = t_frame(pool, IP(10, 0, 0, 1), IP(10, 0, 0, 2), 17, 1000, dport, len);
	t_seq_set(pool, p, seq);
	return p;
}

/* Two always-backlogged flows with weights w1:w2 and packet sizes l1, l2 for 1 s at 10 Mbit/s. */
static void check_share(const char *type, uint32_t w1, uint32_t w2, uint32_t l1, uint32_t l2)
{
	struct ust_pool *pool = t_pool(8192);
	struct ust_emu *emu = t_emu(pool, 1, GRAN);
	t_cmd(emu, "pipe 1 config bw 10Mbit/s type %s", type);
	t_cmd(emu, "queue 1 config pipe 1 weight %u queue 4000", w1);
	t_cmd(emu, "queue 2 config pipe 1 weight %u queue 4000", w2);
	t_cmd(emu, "add 100 queue 1 udp from any to any 1111");
	t_cmd(emu, "add 200 queue 2 udp from any to any 2222");
	/* enough of each to stay backlogged for the whole second */
	for (uint32_t i = 0; i < 1200; i++) {
		ust_emu_input(emu, 0, flow_pkt(pool, 1111, l1, i), 0);
		ust_emu_input(emu, 0, flow_pkt(pool, 2222, l2, i), 0);
	}
	struct t_sink s = { 0 };
	t_run(emu, pool, 0, 1000000000ull, &s);
	uint64_t b1 = 0, b2 = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (s.v[i].dport == 1111)
			b1 += s.v[i].len;
		else
			b2 += s.v[i].len;
	}
	double want = (double)w1 / w2;
	double got = (double)b1 / (double)b2;
	print_message("%s %u:%u (%u/%u bytes): share %.4f want %.4f (%.2f%%), link %.3f Mbit/s\n",
		      type, w1, w2, l1, l2, got, want, 100 * fabs(got - want) / want,
		      (double)(b1 + b2) * 8 / 1e6);
	assert_true(fabs(got - want) / want < 0.02);
	/* the link stays busy: within a packet of 10 Mbit over the second */
	assert_true((b1 + b2) * 8 > 10000000 - 2 * 1500 * 8);
	sink_free(&s);
	ust_emu_destroy(emu);
	assert_int_equal(ust_pool_available(pool), 8192);
	ust_pool_destroy(pool);
}

static void test_emu_wf2q_share(void **state)
{
	(void)state;
	check_share("wf2q+", 3, 1, 1500, 1000);
	check_share("wf2q+", 1, 4, 1000, 1500);
	check_share("wf2q+", 10, 1, 1400, 200);
}

static void test_emu_qfq_share(void **state)
{
	(void)state;
	check_share("qfq", 3, 1, 1500, 1000);
	check_share("qfq", 1, 4, 1000, 1500);
	check_share("qfq", 10, 1, 1400, 200);
}

static void test_emu_drr_share(void **state)
{
	(void)state;
	check_share("drr", 3, 1, 1500, 1000);
	check_share("drr", 1, 2, 1000, 1500);
}

static void test_emu_prio(void **state)
{
	(void)state;
	struct ust_pool *pool = t_pool(256);
	struct ust_emu *emu = t_emu(pool, 1, GRAN);
	t_cmd(emu, "pipe 1 config bw 1Mbit/s type prio");
	t_cmd(emu, "queue 1 config pipe 1 priority 1");
	t_cmd(emu, "queue 2 config pipe 1 priority 5");
	t_cmd(emu, "add 100 queue 1 udp from any to any 1111");
	t_cmd(emu, "add 200 queue 2 udp from any to any 2222");
	for (uint32_t i = 0; i < 20; i++)
		ust_emu_input(emu, 0, flow_pkt(pool, 1111, 500, i), 0);
	for (uint32_t i = 0; i < 20; i++)
		ust_emu_input(emu, 0, flow_pkt(pool, 2222, 600, 100 + i), 0);
	struct t_sink s = { 0 };
	t_run(emu, pool, 0, UINT64_MAX, &s);
	assert_int_equal(s.n, 40);
	/* the low-priority packet already on the link goes first, then all of priority 5 */
	assert_int_equal(s.v[0].len, 500);
	for (int i = 1; i <= 20; i++)
		assert_int_equal(s.v[i].len, 600);
	for (int i = 21; i < 40; i++)
		assert_int_equal(s.v[i].len, 500);
	sink_free(&s);
	ust_emu_destroy(emu);
	ust_pool_destroy(pool);
}

/*
 * FreeBSD's dummynet weight test: a bulk transfer (200 KB) and a flood share a 1 Mbit/s
 * WF2Q+ pipe. With weight 99 the bulk transfer finishes while the flood is still going;
 * with weight 1 it finishes only after the flood is over.
 */
static void freebsd_case(const char *type, uint32_t w_bulk, uint32_t w_flood, uint64_t *bulk_done,
			 uint64_t *flood_done)
{
	struct ust_pool *pool = t_pool(2048);
	struct ust_emu *emu = t_emu(pool, 1, GRAN);
	t_cmd(emu, "pipe 1 config bw 1Mbit/s delay 10ms type %s", type);
	t_cmd(emu, "queue 1 config pipe 1 weight %u queue 200", w_bulk);
	t_cmd(emu, "queue 2 config pipe 1 weight %u queue 1000", w_flood);
	t_cmd(emu, "add 100 queue 1 tcp from any to any 5001");
	t_cmd(emu, "add 200 queue 2 udp from any to any");
	/* flood: 6 s worth of 1500-byte datagrams; bulk: 140 segments of 1460 bytes */
	for (uint32_t i = 0; i < 500; i++)
		ust_emu_input(emu, 0, flow_pkt(pool, 9, 1500, i), 0);
	for (uint32_t i = 0; i < 140; i++) {
		struct ust_pkt *p = t_frame(pool, IP(10, 0, 0, 3), IP(10, 0, 0, 4), 6, 40000, 5001, 1514);
		ust_emu_input(emu, 0, p, 0);
	}
	struct t_sink s = { 0 };
	t_run(emu, pool, 0, UINT64_MAX, &s);
	assert_int_equal(s.n, 640);
	*bulk_done = *flood_done = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (s.v[i].len == 1514)
			*bulk_done = s.v[i].at;
		else
			*flood_done = s.v[i].at;
	}
	sink_free(&s);
	ust_emu_destroy(emu);
	ust_pool_destroy(pool);
}

static void test_emu_freebsd_weights(void **state)
{
	(void)state;
	const char *types[] = { "wf2q+", "qfq", "drr" };
	for (int t = 0; t < 3; t++) {
		uint64_t bulk, flood;
		freebsd_case(types[t], 99, 1, &bulk, &flood);
		print_message("%s bulk weight 99: bulk done %.2f s, flood done %.2f s\n", types[t],
			      bulk / 1e9, flood / 1e9);
		assert_true(bulk < flood);
		assert_true(bulk < 2000000000ull);	/* ~1.7 s at 99% of 1 Mbit/s */
		freebsd_case(types[t], 1, 99, &bulk, &flood);
		print_message("%s bulk weight 1:  bulk done %.2f s, flood done %.2f s\n", types[t],
			      bulk / 1e9, flood / 1e9);
		assert_true(bulk > flood);
	}
}

static void test_emu_mask_per_flow_pipes(void **state)
{
	(void)state;
	struct ust_pool *pool = t_pool(512);
	struct ust_emu *emu = t_emu(pool, 1, GRAN);
	t_cmd(emu, "pipe 1 config bw 1Mbit/s mask src-ip 0xffffffff");
	t_cmd(emu, "add 100 pipe 1 ip from any to any");
	/* 5 hosts, 10 packets each, all at t = 0: each host has its own 1 Mbit/s pipe */
	for (uint32_t k = 0; k < 10; k++)
		for (uint32_t h = 1; h <= 5; h++)
			ust_emu_input(emu, 0, t_frame(pool, IP(10, 0, 0, h), IP(10, 9, 9, 9), 17, 1, 1, 1014), 0);
	assert_int_equal(ust_emu_counter(emu, "flows_created"), 10);	/* 5 pipes + 5 queues */
	struct t_sink s = { 0 };
	uint64_t now = t_run(emu, pool, 0, UINT64_MAX, &s);
	assert_int_equal(s.n, 50);
	/* the 10th packet of every host is out at 80 ms, as if it were alone */
	uint64_t last[6] = { 0 };
	for (size_t i = 0; i < s.n; i++)
		last[s.v[i].src & 0xff] = s.v[i].at;
	for (int h = 1; h <= 5; h++)
		assert_true(last[h] >= 80000000 && last[h] < 80000000 + GRAN);
	sink_free(&s);

	/* bounded: with flows 2 the 3rd..5th host share one overflow instance */
	t_cmd(emu, "pipe 1 config bw 1Mbit/s mask src-ip 0xffffffff flows 2");
	for (uint32_t h = 1; h <= 5; h++)
		ust_emu_input(emu, 0, t_frame(pool, IP(10, 0, 0, h), IP(10, 9, 9, 9), 17, 1, 1, 1000), now);
	assert_int_equal(ust_emu_counter(emu, "flow_overflow"), 3);
	now = t_run(emu, pool, now, UINT64_MAX, &s);
	assert_int_equal(s.n, 5);
	char out[2048];
	assert_int_equal(ust_emu_command(emu, "pipe show", out, sizeof(out), now), 0);
	assert_non_null(strstr(out, "3 instance(s) (incl. overflow)"));
	sink_free(&s);

	/* idle instances are reclaimed at the bound: later flows get their own pipes again */
	now += 200000000;	/* past the sweep interval */
	uint64_t reclaimed = ust_emu_counter(emu, "flows_reclaimed");
	for (uint32_t h = 6; h <= 7; h++)
		ust_emu_input(emu, 0, t_frame(pool, IP(10, 0, 0, h), IP(10, 9, 9, 9), 17, 1, 1, 1000), now);
	assert_int_equal(ust_emu_counter(emu, "flow_overflow"), 3);
	assert_true(ust_emu_counter(emu, "flows_reclaimed") >= reclaimed + 2);
	now = t_run(emu, pool, now, UINT64_MAX, &s);
	assert_int_equal(s.n, 2);
	sink_free(&s);

	/* the same for queues: short flows one after the other never need the overflow queue */
	t_cmd(emu, "pipe 2 config bw 10Mbit/s type wf2q+");
	t_cmd(emu, "queue 1 config pipe 2 mask src-port 0xffff flows 2");
	t_cmd(emu, "add 50 queue 1 udp from any to any 7777");
	uint64_t over = ust_emu_counter(emu, "flow_overflow");
	for (uint16_t sp = 1; sp <= 6; sp++) {
		now += 200000000;
		for (int k = 0; k < 3; k++)
			ust_emu_input(emu, 0, t_frame(pool, IP(10, 0, 0, 1), IP(10, 9, 9, 9), 17, sp, 7777, 500), now);
		now = t_run(emu, pool, now, UINT64_MAX, &s);
	}
	assert_int_equal(s.n, 18);
	assert_int_equal(ust_emu_counter(emu, "flow_overflow"), over);
	sink_free(&s);
	ust_emu_destroy(emu);
	assert_int_equal(ust_pool_available(pool), 512);
	ust_pool_destroy(pool);
}

/* The dummynet paper's shaper: 1 Mbit/s per /24, QFQ inside, two classes per host. */
static void test_emu_paper_per_subnet_shaper(void **state)
{
	(void)state;
	struct ust_pool *pool = t_pool(4096);
	struct ust_emu *emu = t_emu(pool, 1, GRAN);
	t_cmd(emu, "ipfw pipe 5 config sched qfq mask src-ip 0xffffffff00 bw 1 Mbit/s");
	/* the paper's lines plus "queue 2000" (docs/EMU.md says why): the whole load is
	 * offered at time 0 and must fit in the queues */
	t_cmd(emu, "ipfw queue 1 config pipe 5 weight 10 mask src-ip 0xffffffff queue 2000");
	t_cmd(emu, "ipfw queue 2 config pipe 5 weight 4 mask src-ip 0xffffffff queue 2000");
	t_cmd(emu, "ipfw add 100 queue 1 in dst-port 22,53");
	t_cmd(emu, "ipfw add 200 queue 2 in dst-port any");
	/* subnet 10.0.1.0/24: one host with ssh and web; subnet 10.0.2.0/24: one web host */
	for (uint32_t i = 0; i < 1300; i++) {
		if (i < 1000) {
			ust_emu_input(emu, 1, t_frame(pool, IP(10, 0, 1, 7), IP(1, 1, 1, 1), 6, 999, 22, 1014), 0);
			ust_emu_input(emu, 1, t_frame(pool, IP(10, 0, 1, 7), IP(1, 1, 1, 1), 6, 999, 80, 1014), 0);
		}
		ust_emu_input(emu, 1, t_frame(pool, IP(10, 0, 2, 9), IP(1, 1, 1, 1), 6, 998, 80, 1014), 0);
	}
	struct t_sink s = { 0 };
	t_run(emu, pool, 0, 10000000000ull, &s);
	uint64_t ssh = 0, web1 = 0, web2 = 0;
	for (size_t i = 0; i < s.n; i++) {
		if ((s.v[i].src & 0xffffff00u) == IP(10, 0, 2, 0))
			web2 += s.v[i].len;
		else if (s.v[i].dport == 22)
			ssh += s.v[i].len;
		else
			web1 += s.v[i].len;
	}
	double share = (double)ssh / (double)web1;
	print_message("subnet 1: ssh %llu web %llu bytes (share %.3f, want 2.5); subnet 2: %llu bytes\n",
		      (unsigned long long)ssh, (unsigned long long)web1, share,
		      (unsigned long long)web2);
	/* each /24 has its own 1 Mbit/s (of IP) for the 10 s... */
	web2 = web2 * 1000 / 1014;
	ssh = ssh * 1000 / 1014;
	web1 = web1 * 1000 / 1014;
	assert_true(web2 * 8 >= 10000000 - 2 * 8000 && web2 * 8 <= 10000000 + 8000);
	assert_true((ssh + web1) * 8 >= 10000000 - 2 * 8000 && (ssh + web1) * 8 <= 10000000 + 8000);
	/* ...and inside a subnet the classes share 10:4 */
	assert_true(fabs(share - 2.5) / 2.5 < 0.02);
	sink_free(&s);
	ust_emu_destroy(emu);
	assert_int_equal(ust_pool_available(pool), 4096);
	ust_pool_destroy(pool);
}

/*
 * Random weights, packet sizes and arrivals through every scheduler, with per-flow queues:
 * every admitted packet comes out exactly once, per flow in order, and the pool is whole
 * at the end (a scheduler that lost or duplicated a queue would break one of these).
 */
static void test_emu_sched_random_stress(void **state)
{
	(void)state;
	static const char *const types[] = { "fifo", "prio", "drr", "wf2q+", "qfq" };
	for (size_t run = 0; run < 10; run++) {
		size_t t = run % 5;
		/* second half: bounds small enough that reclaiming and overflow happen all the time
		 * (a flow moving between its own and the overflow instance may be reordered then) */
		bool bounded = run >= 5;
		struct ust_pool *pool = t_pool(16384);
		struct ust_emu *emu = t_emu(pool, 77, GRAN);
		t_cmd(emu, "pipe 1 config bw 20Mbit/s delay 1ms type %s mask dst-ip 0x3 flows %d",
		      types[t], bounded ? 2 : 4096);
		for (int qn = 1; qn <= 4; qn++)
			t_cmd(emu, "queue %d config pipe 1 weight %d priority %d queue 10 mask src-port 0x1f flows %d",
			      qn, 1 + (qn * 37) % 500, qn * 3, bounded ? 5 : 4096);
		for (int qn = 1; qn <= 4; qn++)
			t_cmd(emu, "add %d queue %d udp from any to any %d", qn * 10, qn, 1000 + qn);
		uint64_t rng = 12345 + run, now = 0;
		uint32_t next_seq[4 * 32 * 4] = { 0 }, sent = 0;
		struct t_sink s = { 0 };
		for (int i = 0; i < 20000; i++) {
			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			uint32_t r = (uint32_t)(rng >> 33);
			uint16_t sport = (uint16_t)(r & 31);
			uint8_t host = (uint8_t)((r >> 5) & 3);
			int qn = 1 + (int)((r >> 7) % 4);
			uint32_t len = 60 + (r >> 9) % 1455;
			uint32_t flow = ((uint32_t)(qn - 1) * 32 + sport) * 4 + host;
			struct ust_pkt *p = t_frame(pool, IP(10, 0, 0, 1), IP(10, 0, 1, host), 17, sport,
						    (uint16_t)(1000 + qn), len);
			t_seq_set(pool, p, flow << 16 | (next_seq[flow] & 0xffff));
			next_seq[flow]++;
			ust_emu_input(emu, 0, p, now);
			sent++;
			if ((r & 7) == 0) {
				uint64_t until = now + (rng >> 3) % 900000;
				t_run(emu, pool, now, until, &s);
				now = until;
			}
		}
		t_run(emu, pool, now, UINT64_MAX, &s);
		uint64_t dropped = ust_emu_counter(emu, "drop_queue_full");
		assert_int_equal(s.n + dropped, sent);
		assert_int_equal(ust_emu_held(emu), 0);
		/* within each flow, what came out is in sending order */
		static uint32_t last[4 * 32 * 4];
		memset(last, 0xff, sizeof(last));
		for (size_t i = 0; i < s.n && !bounded; i++) {
			uint32_t flow = s.v[i].seq >> 16, seq = s.v[i].seq & 0xffff;
			if (last[flow] != UINT32_MAX)
				assert_true(seq > last[flow]);
			last[flow] = seq;
		}
		print_message("%s%s: %u sent, %zu delivered, %llu tail-dropped, %llu reclaimed, %llu to overflow\n",
			      types[t], bounded ? " (small bounds)" : "", sent, s.n,
			      (unsigned long long)dropped,
			      (unsigned long long)ust_emu_counter(emu, "flows_reclaimed"),
			      (unsigned long long)ust_emu_counter(emu, "flow_overflow"));
		sink_free(&s);
		ust_emu_destroy(emu);
		assert_int_equal(ust_pool_available(pool), 16384);
		ust_pool_destroy(pool);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emu_wf2q_share),
		cmocka_unit_test(test_emu_qfq_share),
		cmocka_unit_test(test_emu_drr_share),
		cmocka_unit_test(test_emu_prio),
		cmocka_unit_test(test_emu_freebsd_weights),
		cmocka_unit_test(test_emu_mask_per_flow_pipes),
		cmocka_unit_test(test_emu_paper_per_subnet_shaper),
		cmocka_unit_test(test_emu_sched_random_stress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
