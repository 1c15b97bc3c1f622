/*
 * Bulk transfers: 10 MB each way at the same time, contents compared by checksum, under
 * 0%, 1% and 5% random loss, reordering and duplication (pair impairment hook); SACK
 * recovery needs fewer retransmissions than NewReno without SACK on the same loss pattern;
 * loss recovery is checked to be fast retransmit / SACK retransmission (counters), not just
 * delivery; sequence-number wraparound (ISN forced just below 2^32, the wrap seen on the wire).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tcp_harness.h"

struct impair {
	uint64_t rng;
	/* filled by run_xfer for the A -> B direction */
	uint64_t fast_retransmits, sack_retransmits, rto_timeouts;
	uint32_t iss_a, rcv_nxt_b;	/* A's ISS, B's RCV.NXT when B saw A's FIN */
	uint32_t seq_min, seq_max;	/* lowest and highest data sequence number A sent */
	bool seen_data;
	unsigned loss_pm;	/* per mille */
	unsigned reorder_pm;
	unsigned dup_pm;
	uint64_t dropped, reordered, duplicated;
};

static uint32_t rnd(struct impair *im)
{
	im->rng ^= im->rng << 13;
	im->rng ^= im->rng >> 7;
	im->rng ^= im->rng << 17;
	return (uint32_t)(im->rng >> 11);
}

static bool is_tcp(struct ust_pool *pool, struct ust_pkt *pkt)
{
	const uint8_t *f = ust_pkt_data(pool, pkt);
	return pkt->len > 34 && f[12] == 0x08 && f[13] == 0x00 && f[23] == 6;
}

static unsigned hook(struct sim *s, int dir, struct ust_pool *pool, struct ust_pkt *pkt, uint64_t *delay_ns)
{
	struct impair *im = s->opts.arg;
	if (!is_tcp(pool, pkt))
		return 1;
	if (dir == 0) {
		const uint8_t *f = ust_pkt_data(pool, pkt);
		uint32_t ihl = (f[14] & 0xfu) * 4u, seq = ust_get_be32(f + 14 + ihl + 4);
		uint32_t doff = (f[14 + ihl + 12] >> 4) * 4u;
		if (ust_get_be16(f + 16) > ihl + doff) {
			if (!im->seen_data || seq < im->seq_min)
				im->seq_min = seq;
			if (!im->seen_data || seq > im->seq_max)
				im->seq_max = seq;
			im->seen_data = true;
		}
	}
	if (rnd(im) % 1000 < im->loss_pm) {
		im->dropped++;
		return 0;
	}
	if (rnd(im) % 1000 < im->reorder_pm) {
		im->reordered++;
		*delay_ns = 3 * SIM_MS;
	}
	if (rnd(im) % 1000 < im->dup_pm) {
		im->duplicated++;
		return 2;
	}
	return 1;
}

static uint64_t run_xfer(struct impair *im, uint64_t len, bool both, bool sack, const char *cc, uint32_t isn,
			 bool force_isn)
{
	struct sim s;
	struct sim_opts o = { .delay_ns = 2 * SIM_MS, .impair = hook, .arg = im, .buffers = 4096 };
	assert_int_equal(sim_init(&s, &o), 0);
	int l = tsim_listen(s.b, 5001, 8);
	if (!sack) {
		ust__tcp_tcb(s.b, l)->flags |= UST_TF_NOSACK_OFFER;
	}
	if (force_isn) {
		ust__tcp_force_isn(s.a, isn);
		ust__tcp_force_isn(s.b, isn + 1000);
	}
	int c = tsim_connect(s.a, SIM_IP_B, 5001);
	if (cc)
		assert_int_equal(ust_setsockopt(s.a, c, IPPROTO_TCP, TCP_CONGESTION, cc, (socklen_t)strlen(cc)), 0);
	int d = tsim_accept(&s, s.b, l, 60 * SIM_SEC);
	assert_true(d >= 0);
	struct tsim_xfer ab = { .len = len, .seed = 1, .close_after = true };
	struct tsim_xfer ba = { .len = len, .seed = 2, .close_after = true };
	bool ok = tsim_pump(&s, s.a, c, &ab, s.b, d, both ? &ba : NULL, s.now + 3600 * SIM_SEC);
	assert_true(ok);
	assert_int_equal(ab.rcvd, len);
	assert_true(ab.sum_rx == ab.sum_tx);
	assert_true(ab.eof);
	if (both) {
		assert_int_equal(ba.rcvd, len);
		assert_true(ba.sum_rx == ba.sum_tx);
	}
	struct ust__tcb *rt = ust__tcp_tcb(s.b, d);
	printf("receiver buffer %u bytes (auto-tuned %llu times), sender buffer %u\n", rt->rcvbuf,
	       (unsigned long long)sim_counter(s.b, "tcp.rcvbuf_grown"), ust__tcp_tcb(s.a, c)->sndbuf);
	if (im->loss_pm == 0)
		assert_true(rt->rcvbuf > UST_SOCK_RCVBUF_DEFAULT);	/* grew to what the path needs */
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	assert_int_equal(ust_getsockopt(s.a, c, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0);
	uint64_t retrans = ti.tcpi_total_retrans;
	printf("loss %u/1000 reorder %u dup %u sack %d: dropped %llu, retransmits %llu (fast %llu, sack %llu, rto %llu), %.1f s virtual\n",
	       im->loss_pm, im->reorder_pm, im->dup_pm, sack, (unsigned long long)im->dropped,
	       (unsigned long long)retrans, (unsigned long long)sim_counter(s.a, "tcp.fast_retransmits"),
	       (unsigned long long)sim_counter(s.a, "tcp.sack_retransmits"),
	       (unsigned long long)sim_counter(s.a, "tcp.rto_timeouts"), (double)s.now / 1e9);
	im->fast_retransmits = sim_counter(s.a, "tcp.fast_retransmits");
	im->sack_retransmits = sim_counter(s.a, "tcp.sack_retransmits");
	im->rto_timeouts = sim_counter(s.a, "tcp.rto_timeouts");
	im->iss_a = ust__tcp_tcb(s.a, c)->iss;
	im->rcv_nxt_b = ust__tcp_tcb(s.b, d)->rcv_nxt;
	ust_close(s.b, d);
	ust_close(s.a, c);
	ust_close(s.b, l);
	sim_run(&s, 130 * SIM_SEC);
	assert_int_equal(ust__tcp(s.a)->ntcb, 0);
	assert_int_equal(ust__tcp(s.b)->ntcb, 0);
	sim_fini(&s);
	return retrans;
}

#define MB (1024ull * 1024ull)

static void clean(void **state)
{
	(void)state;
	struct impair im = { .rng = 1 };
	assert_int_equal(run_xfer(&im, 10 * MB, true, true, NULL, 0, false), 0);
}

static void loss1(void **state)
{
	(void)state;
	struct impair im = { .rng = 2, .loss_pm = 10 };
	uint64_t retrans = run_xfer(&im, 10 * MB, true, true, NULL, 0, false);
	/* losses were repaired by fast retransmit and SACK-driven retransmission, not only
	 * by timeouts; and every retransmission is one of the counted kinds */
	assert_true(im.dropped > 0);
	assert_true(im.fast_retransmits > 0);
	assert_true(im.sack_retransmits > 0);
	assert_true(retrans >= im.fast_retransmits);
	assert_true(im.rto_timeouts < im.fast_retransmits);
}

static void loss5(void **state)
{
	(void)state;
	struct impair im = { .rng = 3, .loss_pm = 50 };
	uint64_t retrans = run_xfer(&im, 10 * MB, true, true, NULL, 0, false);
	assert_true(im.fast_retransmits > 0);
	assert_true(im.sack_retransmits > 0);
	assert_true(retrans >= im.fast_retransmits);
	assert_true(im.rto_timeouts < im.fast_retransmits);
}

static void reorder_dup(void **state)
{
	(void)state;
	struct impair im = { .rng = 4, .loss_pm = 5, .reorder_pm = 30, .dup_pm = 20 };
	run_xfer(&im, 10 * MB, true, true, "newreno", 0, false);
}

static void sack_beats_newreno(void **state)
{
	(void)state;
	struct impair a = { .rng = 5, .loss_pm = 30 };
	struct impair b = { .rng = 5, .loss_pm = 30 };
	uint64_t with = run_xfer(&a, 4 * MB, false, true, "newreno", 0, false);
	uint64_t without = run_xfer(&b, 4 * MB, false, false, "newreno", 0, false);
	printf("retransmissions with SACK %llu, without %llu\n", (unsigned long long)with, (unsigned long long)without);
	assert_true(with < without);
}

static void wraparound(void **state)
{
	(void)state;
	struct impair im = { .rng = 6, .loss_pm = 10 };
	uint32_t isn = 0xffffffffu - 300000u;
	run_xfer(&im, 2 * MB, true, true, NULL, isn, true);
	/* the forced ISN was used and the sequence space really wrapped: data went out on both
	 * sides of 2^32 and the receiver's RCV.NXT ended past zero (2 MB + SYN + FIN beyond it) */
	assert_int_equal(im.iss_a, isn);
	assert_true(im.seq_max > 0xffff0000u);
	assert_true(im.seq_min < 0x10000000u);
	assert_int_equal(im.rcv_nxt_b, (uint32_t)(isn + 2 * MB + 2));
	assert_true(im.fast_retransmits > 0);	/* loss recovery worked across the wrap too */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clean),
		cmocka_unit_test(loss1),
		cmocka_unit_test(loss5),
		cmocka_unit_test(reorder_dup),
		cmocka_unit_test(sack_beats_newreno),
		cmocka_unit_test(wraparound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
