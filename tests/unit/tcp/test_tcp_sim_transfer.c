/*
 * A bulk transfer through a bottleneck (rate, one-way delay, tail-drop queue, random loss)
 * on a virtual clock, with a minimal sender loop built from the TCP building blocks:
 * txq (send buffer), cc (NewReno or CUBIC), SACK scoreboard with RFC 6675 recovery, RTT
 * estimator with per-ACK timestamp samples, RTO with backoff; the receiver is an rxq that
 * ACKs every segment with SACK blocks (3, as with timestamps). Checks that every byte
 * arrives intact and in order, that losses were repaired by fast recovery, and that no
 * packet buffer leaks. This is how the state machine is expected to drive the blocks.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/pktbuf.h"
#include "core/util.h"
#include "net/tcp_cc.h"
#include "net/tcp_check.h"
#include "net/tcp_rtt.h"
#include "net/tcp_rxq.h"
#include "net/tcp_sack.h"
#include "net/tcp_seq.h"
#include "net/tcp_txq.h"

#define MSS 1448u
#define HDR 66u
#define TOTAL (3u * 1024u * 1024u)
#define RATE_BPS 1250000ull		/* 10 Mbit/s */
#define DELAY_NS 20000000ull		/* one way */
#define QUEUE_PKTS 40u
#define MAXQ 8192u

struct data_pkt {
	uint64_t at;
	struct ust_pkt *pkt;
	uint32_t seq, len, tsval;
};

struct ack_pkt {
	uint64_t at;
	uint32_t ack, tsecr;
	unsigned n;
	struct ust_tcp_sack_block b[4];
};

struct sim {
	struct ust_pool *pool;
	uint64_t now;
	uint32_t rng;
	unsigned loss_per_mille;
	/* link: data FIFO (through the bottleneck) and ACK FIFO */
	struct data_pkt dq[MAXQ];
	unsigned dh, dt;
	uint64_t link_free_at;
	struct ack_pkt aq[MAXQ];
	unsigned ah, at;
	/* sender */
	struct ust_tcp_txq txq;
	struct ust_tcp_cc cc;
	struct ust_tcp_sack_board sb;
	struct ust_tcp_rtt rtt;
	uint32_t iss, una, snd_max, send_ptr, written;
	unsigned dupacks;
	uint64_t rto_at;
	/* receiver */
	struct ust_tcp_rxq rxq;
	uint32_t irs, got;
	uint8_t *out;
	/* stats */
	unsigned sent, retrans, drops, rtos, recoveries;
};

static uint8_t pat(uint32_t off)
{
	return (uint8_t)(off * 131u + (off >> 9));
}

static uint32_t rnd(struct sim *s)
{
	s->rng = s->rng * 1664525u + 1013904223u;
	return s->rng >> 8;
}

static uint32_t sacked_below(const struct sim *s, uint32_t end)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < s->sb.count; i++) {
		const struct ust_tcp_sack_block *r = &s->sb.ranges[i];
		if (ust_seq_lt(r->start, end))
			n += ust_seq_min(r->end, end) - r->start;
	}
	return n;
}

static uint32_t flight(const struct sim *s)
{
	if (s->sb.in_recovery)
		return ust_tcp_sack_pipe(&s->sb);
	return (s->send_ptr - s->una) - sacked_below(s, s->send_ptr);
}

static void arm_rto(struct sim *s)
{
	s->rto_at = s->now + (uint64_t)ust_tcp_rtt_rto(&s->rtt) * 1000u;
}

/* Put [seq, seq + len) on the wire: copy out of the send queue into a fresh packet. */
static void xmit(struct sim *s, uint32_t seq, uint32_t len)
{
	struct ust_pkt *p = ust_pkt_alloc(s->pool);
	uint64_t depart;

	assert_non_null(p);
	uint8_t *d = ust_pkt_put(s->pool, p, HDR + len);
	assert_int_equal(ust_tcp_txq_copy(&s->txq, seq, len, d + HDR), len);
	s->sent++;
	if (ust_seq_lt(seq, s->snd_max))
		s->retrans++;
	if (s->rto_at == 0)
		arm_rto(s);
	/* bottleneck: tail drop when QUEUE_PKTS are waiting, then random loss */
	depart = s->link_free_at > s->now ? s->link_free_at : s->now;
	if ((depart - s->now) * RATE_BPS / 1000000000ull > QUEUE_PKTS * (MSS + HDR) ||
	    rnd(s) % 1000 < s->loss_per_mille) {
		s->drops++;
		ust_pkt_free(s->pool, p);
		return;
	}
	s->link_free_at = depart + (uint64_t)(HDR + len) * 1000000000ull / RATE_BPS;
	assert_true(s->dt - s->dh < MAXQ);
	s->dq[s->dt++ % MAXQ] = (struct data_pkt){ .at = s->link_free_at + DELAY_NS, .pkt = p,
						   .seq = seq, .len = len,
						   .tsval = (uint32_t)(s->now / 1000) };
}

static void fill_txq(struct sim *s)
{
	static uint8_t chunk[65536];

	while (s->written < TOTAL && ust_tcp_txq_space(&s->txq) > 0) {
		uint32_t n = UST_MIN(UST_MIN(TOTAL - s->written, (uint32_t)sizeof(chunk)),
				     ust_tcp_txq_space(&s->txq));
		for (uint32_t i = 0; i < n; i++)
			chunk[i] = pat(s->written + i);
		size_t w = ust_tcp_txq_write(&s->txq, chunk, n);
		assert_true(w > 0);
		s->written += (uint32_t)w;
	}
}

/* tcp output: RFC 6675 (C) in recovery, otherwise (go-back-N after an RTO, skipping SACKed
 * data) then new data, while the congestion window allows. */
static void output(struct sim *s)
{
	uint32_t cwnd;

	fill_txq(s);
	for (;;) {
		uint32_t end = ust_tcp_txq_end(&s->txq);

		cwnd = ust_tcp_cc_cwnd(&s->cc);
		if (flight(s) + MSS > cwnd)
			return;
		if (s->sb.in_recovery) {
			struct ust_tcp_sack_seg seg;

			if (!ust_tcp_sack_next_seg(&s->sb, end - s->snd_max, &seg))
				return;
			xmit(s, seg.seq, seg.len);
			ust_tcp_sack_sent_seg(&s->sb, &seg);
			if (seg.rule == UST_TCP_SACK_RULE_NEW) {
				s->snd_max = s->send_ptr = seg.seq + seg.len;
				ust_tcp_cc_on_send(&s->cc, s->snd_max);
			}
			continue;
		}
		if (ust_seq_lt(s->send_ptr, s->snd_max)) {
			uint32_t seq, len;

			if (ust_tcp_sack_next_hole(&s->sb, s->send_ptr, MSS, &seq, &len) &&
			    ust_seq_lt(seq, s->snd_max)) {
				len = UST_MIN(len, s->snd_max - seq);
				xmit(s, seq, len);
				s->send_ptr = seq + len;
				continue;
			}
			s->send_ptr = s->snd_max;
		}
		if (s->send_ptr == end)
			return;
		uint32_t len = UST_MIN(MSS, end - s->send_ptr);
		xmit(s, s->send_ptr, len);
		s->send_ptr += len;
		s->snd_max = s->send_ptr;
		ust_tcp_sack_sent(&s->sb, s->snd_max);
		ust_tcp_cc_on_send(&s->cc, s->snd_max);
	}
}

/* tcp input, sender side. */
static void on_ack(struct sim *s, const struct ack_pkt *a)
{
	enum ust_tcp_ack_action act = ust_tcp_ack_check(a->ack, s->una, s->snd_max, 1u << 30);
	bool dsack;
	uint32_t newly;

	if (act == UST_TCP_ACK_INVALID)
		return;
	newly = ust_tcp_sack_update(&s->sb, a->ack, a->b, a->n, &dsack);
	if (act == UST_TCP_ACK_NEW) {
		uint32_t acked = a->ack - s->una;

		s->una = a->ack;
		ust_tcp_txq_ack(&s->txq, a->ack);
		if (ust_seq_lt(s->send_ptr, s->una))
			s->send_ptr = s->una;
		uint32_t rtt_us = (uint32_t)(s->now / 1000) - a->tsecr;
		ust_tcp_rtt_sample_ts(&s->rtt, rtt_us ? rtt_us : 1, flight(s) + acked, MSS);
		ust_tcp_cc_set_rtt(&s->cc, ust_tcp_rtt_srtt_us(&s->rtt), s->rtt.min_us);
		ust_tcp_cc_on_ack(&s->cc, a->ack, acked, flight(s), rtt_us, s->now);
		s->dupacks = 0;
		s->rto_at = 0;	/* RFC 6298 5.3: restart on new data acked, stop when all acked */
		if (s->una != s->snd_max)
			arm_rto(s);
	} else if (newly > 0 && !s->sb.in_recovery) {
		s->dupacks++;
	}
	if (!s->sb.in_recovery && ust_tcp_sack_may_enter_recovery(&s->sb) &&
	    (s->dupacks >= UST_TCP_SACK_DUPTHRESH || (newly > 0 && ust_tcp_sack_is_lost(&s->sb, s->una))) &&
	    ust_tcp_cc_enter_recovery(&s->cc, s->una, s->snd_max, flight(s), s->now)) {
		struct ust_tcp_sack_seg first;

		if (ust_tcp_sack_enter_recovery(&s->sb, &first)) {
			s->recoveries++;
			xmit(s, first.seq, first.len);
		}
	}
	output(s);
}

/* Invariants after every ACK: both recovery trackers agree, and the scoreboard never claims
 * data the receiver does not hold (it never reneges with these limits). */
static void check_invariants(const struct sim *s)
{
	assert_int_equal(s->cc.conn.in_recovery, s->sb.in_recovery);
	for (unsigned i = 0; i < s->sb.count; i++) {
		uint32_t a = s->sb.ranges[i].start, e = s->sb.ranges[i].end;

		if (ust_seq_lt(a, s->rxq.rcv_nxt))
			a = s->rxq.rcv_nxt;
		for (uint32_t k = s->rxq.ooo_head; k != UST_PKT_NONE && ust_seq_lt(a, e);
		     k = s->rxq.segs[k].next) {
			const struct ust_tcp_rxq_seg *g = &s->rxq.segs[k];
			if (ust_seq_leq(g->seq, a) && ust_seq_gt(g->seq + g->len, a))
				a = g->seq + g->len;
		}
		assert_true(ust_seq_geq(a, e));
	}
}

static void on_rto(struct sim *s)
{
	s->rtos++;
	ust_tcp_cc_on_rto(&s->cc, s->una, s->snd_max, flight(s), s->now);
	ust_tcp_sack_on_rto(&s->sb, false);
	ust_tcp_rtt_backoff(&s->rtt);
	s->send_ptr = s->una;
	s->dupacks = 0;
	s->rto_at = 0;
	output(s);
	if (s->rto_at == 0)
		arm_rto(s);
}

/* Receiver: hold, read everything in order, ACK with SACK blocks. */
static void on_data(struct sim *s, const struct data_pkt *d)
{
	struct ust_tcp_rxq_result r;
	struct ack_pkt a = { .at = s->now + DELAY_NS, .tsecr = d->tsval };
	uint8_t buf[8192];
	size_t n;

	ust_tcp_rxq_insert(&s->rxq, d->pkt, HDR, d->seq, d->len, &r);
	while ((n = ust_tcp_rxq_read(&s->rxq, buf, sizeof(buf))) > 0) {
		assert_true(s->got + n <= TOTAL);
		memcpy(s->out + s->got, buf, n);
		s->got += (uint32_t)n;
	}
	a.ack = s->rxq.rcv_nxt;
	a.n = ust_tcp_rxq_sack_blocks(&s->rxq, a.b, ust_tcp_sack_max_blocks(true));
	assert_true(s->at - s->ah < MAXQ);
	s->aq[s->at++ % MAXQ] = a;
}

static void run(const struct ust_tcp_cc_ops *ops, unsigned loss, uint32_t iss, bool strict)
{
	struct ust_pool_config pc = { .count = 4096, .buf_size = 2048, .headroom = 0 };
	struct sim *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	assert_int_equal(ust_pool_create(&s->pool, &pc), 0);
	s->out = malloc(TOTAL);
	s->rng = 7 + loss;
	s->loss_per_mille = loss;
	s->now = 1000000000ull;
	s->iss = iss;
	s->una = s->snd_max = s->send_ptr = iss + 1;
	assert_int_equal(ust_tcp_txq_init(&s->txq, s->pool, iss + 1, 256 * 1024, MSS), 0);
	assert_int_equal(ust_tcp_cc_init(&s->cc, ops, MSS, iss, true, s->now), 0);
	ust_tcp_cc_on_send(&s->cc, iss + 1);
	ust_tcp_sack_init(&s->sb, iss + 1, MSS);
	ust_tcp_rtt_init(&s->rtt, NULL);
	struct ust_tcp_rxq_config rc = { .limit = 1024 * 1024, .max_segs = 2048, .max_ooo = 256 };
	assert_int_equal(ust_tcp_rxq_init(&s->rxq, s->pool, iss + 1, &rc), 0);

	output(s);
	while (s->got < TOTAL) {
		uint64_t t = UINT64_MAX;

		if (s->dh != s->dt)
			t = s->dq[s->dh % MAXQ].at;
		if (s->ah != s->at && s->aq[s->ah % MAXQ].at < t)
			t = s->aq[s->ah % MAXQ].at;
		if (s->rto_at && s->rto_at < t)
			t = s->rto_at;
		assert_true(t != UINT64_MAX);
		s->now = t;
		assert_true(s->now < 1000000000ull + 600ull * 1000000000ull);	/* virtual: no livelock */
		if (s->dh != s->dt && s->dq[s->dh % MAXQ].at == t) {
			struct data_pkt d = s->dq[s->dh++ % MAXQ];
			on_data(s, &d);
		} else if (s->ah != s->at && s->aq[s->ah % MAXQ].at == t) {
			struct ack_pkt a = s->aq[s->ah++ % MAXQ];
			on_ack(s, &a);
			check_invariants(s);
		} else {
			on_rto(s);
		}
	}
	for (uint32_t i = 0; i < TOTAL; i++)
		if (s->out[i] != pat(i))
			fail_msg("%s loss %u: byte %u corrupted", ops->name, loss, i);
	/* the last ACKs */
	while (s->ah != s->at) {
		struct ack_pkt a = s->aq[s->ah++ % MAXQ];
		s->now = a.at;
		on_ack(s, &a);
	}
	assert_int_equal(s->una, iss + 1 + TOTAL);
	assert_false(s->cc.conn.in_recovery);
	assert_true(s->drops > 0);
	assert_true(s->retrans >= s->drops / 2);
	assert_true(s->recoveries > 0);
	if (strict) {
		/* congestion losses only: SACK recovery repaired each, nothing resent needlessly */
		assert_int_equal(s->rtos, 0);
		assert_int_equal(s->retrans, s->drops);
	}
	print_message("%-8s loss %u/1000: %u segments, %u dropped, %u retransmitted, %u recoveries, "
		      "%u RTOs, %.2f s virtual, srtt %u us\n", ops->name, loss, s->sent, s->drops,
		      s->retrans, s->recoveries, s->rtos, (double)(s->now - 1000000000ull) / 1e9,
		      ust_tcp_rtt_srtt_us(&s->rtt));
	ust_tcp_rxq_destroy(&s->rxq);
	ust_tcp_txq_destroy(&s->txq);
	while (s->dh != s->dt)
		ust_pkt_free(s->pool, s->dq[s->dh++ % MAXQ].pkt);
	assert_int_equal(ust_pool_available(s->pool), pc.count);
	ust_pool_destroy(s->pool);
	free(s->out);
	free(s);
}

static void test_newreno_congestion_only(void **state)
{
	(void)state;
	run(&ust_tcp_cc_newreno, 0, 12345, true);
}

static void test_newreno_random_loss(void **state)
{
	(void)state;
	run(&ust_tcp_cc_newreno, 10, 0xffff0000u, false);	/* wraps during the transfer */
}

static void test_cubic_congestion_only(void **state)
{
	(void)state;
	run(&ust_tcp_cc_cubic, 0, 0x7fff0000u, true);
}

static void test_cubic_random_loss(void **state)
{
	(void)state;
	run(&ust_tcp_cc_cubic, 20, 0xfffff000u, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newreno_congestion_only),
		cmocka_unit_test(test_newreno_random_loss),
		cmocka_unit_test(test_cubic_congestion_only),
		cmocka_unit_test(test_cubic_random_loss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
