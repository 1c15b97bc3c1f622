/* RFC 6675 scoreboard: IsLost (bytes and discontiguous-range criteria), SetPipe, NextSeg rules
 * 1-4 in order with HighRxt/RescueRxt, partial/full ACKs, D-SACK and invalid blocks, bounded
 * ranges, everything at a base near 2^32 too, a randomized check against a per-byte model,
 * and the receiver's block ordering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "net/tcp_sack.h"
#include "net/tcp_seq.h"

#define MSS 1000u

static const uint32_t bases[] = { 1000, 0xffffb000u, 0x7fffff00u };
#define NB (sizeof(bases) / sizeof(bases[0]))

static struct ust_tcp_sack_block blk(uint32_t base, uint32_t s, uint32_t e)
{
	return (struct ust_tcp_sack_block){ base + s, base + e };
}

static uint32_t upd1(struct ust_tcp_sack_board *sb, uint32_t base, uint32_t ack, uint32_t s, uint32_t e)
{
	struct ust_tcp_sack_block b = blk(base, s, e);
	return ust_tcp_sack_update(sb, base + ack, &b, 1, NULL);
}

static void test_first_loss(void **state)
{
	(void)state;
	for (size_t bi = 0; bi < NB; bi++) {
		uint32_t B = bases[bi];
		struct ust_tcp_sack_board sb;
		struct ust_tcp_sack_seg seg;

		ust_tcp_sack_init(&sb, B, MSS);
		ust_tcp_sack_sent(&sb, B + 10000);
		assert_int_equal(ust_tcp_sack_pipe(&sb), 10000);
		assert_int_equal(upd1(&sb, B, 0, 1000, 2000), 1000);
		assert_false(ust_tcp_sack_is_lost(&sb, B));
		assert_int_equal(ust_tcp_sack_pipe(&sb), 9000);
		assert_int_equal(upd1(&sb, B, 0, 2000, 3000), 1000);
		assert_int_equal(sb.count, 1);	/* merged */
		/* exactly 2*SMSS above: not yet "more than (DupThresh-1)*SMSS" */
		assert_false(ust_tcp_sack_is_lost(&sb, B));
		assert_int_equal(upd1(&sb, B, 0, 3000, 4000), 1000);
		assert_true(ust_tcp_sack_is_lost(&sb, B));
		assert_true(ust_tcp_sack_is_lost(&sb, B + 999));
		assert_false(ust_tcp_sack_is_lost(&sb, B + 4000));
		assert_int_equal(ust_tcp_sack_pipe(&sb), 6000);
		/* a repeat of the same SACK adds nothing (not a DupAck by RFC 6675) */
		assert_int_equal(upd1(&sb, B, 0, 1000, 4000), 0);
		assert_true(ust_tcp_sack_may_enter_recovery(&sb));
		assert_true(ust_tcp_sack_enter_recovery(&sb, &seg));
		assert_int_equal(seg.seq, B);
		assert_int_equal(seg.len, 1000);
		assert_int_equal(sb.high_rxt, B + 1000);
		assert_int_equal(sb.recovery_point, B + 10000);
		assert_false(ust_tcp_sack_may_enter_recovery(&sb));
		assert_int_equal(ust_tcp_sack_pipe(&sb), 7000);	/* + the retransmission */
		assert_false(ust_tcp_sack_next_seg(&sb, 0, &seg));
		assert_true(ust_tcp_sack_next_seg(&sb, 5000, &seg));
		assert_int_equal(seg.rule, UST_TCP_SACK_RULE_NEW);
		assert_int_equal(seg.seq, B + 10000);
		assert_int_equal(seg.len, 1000);
		ust_tcp_sack_sent_seg(&sb, &seg);
		assert_int_equal(sb.snd_nxt, B + 11000);
		assert_int_equal(ust_tcp_sack_pipe(&sb), 8000);
		/* the retransmission is acked: everything up to 4000 */
		upd1(&sb, B, 4000, 0, 0);
		assert_int_equal(sb.count, 0);
		assert_true(sb.in_recovery);	/* RecoveryPoint 10000 not reached */
		assert_int_equal(ust_tcp_sack_pipe(&sb), 7000);
		upd1(&sb, B, 10000, 0, 0);
		assert_false(sb.in_recovery);
		assert_true(ust_tcp_sack_may_enter_recovery(&sb));
	}
}

static void test_multiple_losses_nextseg_order(void **state)
{
	(void)state;
	for (size_t bi = 0; bi < NB; bi++) {
		uint32_t B = bases[bi];
		struct ust_tcp_sack_board sb;
		struct ust_tcp_sack_seg seg;
		struct ust_tcp_sack_block b[3] = { blk(B, 11000, 20000), blk(B, 6000, 10000),
						   blk(B, 1000, 5000) };

		ust_tcp_sack_init(&sb, B, MSS);
		ust_tcp_sack_sent(&sb, B + 20000);
		assert_int_equal(ust_tcp_sack_update(&sb, B, b, 3, NULL), 17000);
		assert_int_equal(sb.count, 3);
		assert_int_equal(sb.sacked_bytes, 17000);
		assert_true(ust_tcp_sack_is_lost(&sb, B));
		assert_true(ust_tcp_sack_is_lost(&sb, B + 5000));
		assert_true(ust_tcp_sack_is_lost(&sb, B + 10000));
		assert_int_equal(ust_tcp_sack_pipe(&sb), 0);
		assert_true(ust_tcp_sack_enter_recovery(&sb, &seg));
		assert_int_equal(seg.seq, B);
		uint32_t want[] = { 5000, 10000 };
		for (int i = 0; i < 2; i++) {
			assert_true(ust_tcp_sack_next_seg(&sb, 0, &seg));
			assert_int_equal(seg.rule, UST_TCP_SACK_RULE_LOST);
			assert_int_equal(seg.seq, B + want[i]);
			assert_int_equal(seg.len, 1000);
			ust_tcp_sack_sent_seg(&sb, &seg);
		}
		assert_int_equal(sb.high_rxt, B + 11000);
		assert_int_equal(ust_tcp_sack_pipe(&sb), 3000);
		/* rule 1 before rule 2: new data only once the lost holes are resent */
		assert_true(ust_tcp_sack_next_seg(&sb, 3000, &seg));
		assert_int_equal(seg.rule, UST_TCP_SACK_RULE_NEW);
		assert_false(ust_tcp_sack_next_seg(&sb, 0, &seg));	/* no rescue yet */
		/* partial ACK to 5000 */
		upd1(&sb, B, 5000, 0, 0);
		assert_int_equal(sb.count, 2);
		assert_int_equal(ust_tcp_sack_pipe(&sb), 2000);
		assert_true(sb.in_recovery);
		/* full ACK */
		upd1(&sb, B, 20000, 0, 0);
		assert_false(sb.in_recovery);
		assert_int_equal(sb.count, 0);
		assert_int_equal(sb.sacked_bytes, 0);
		assert_int_equal(ust_tcp_sack_pipe(&sb), 0);
	}
}

static void test_discontiguous_criterion(void **state)
{
	(void)state;
	for (size_t bi = 0; bi < NB; bi++) {
		uint32_t B = bases[bi];
		struct ust_tcp_sack_board sb;
		struct ust_tcp_sack_block b[3] = { blk(B, 1400, 1500), blk(B, 1200, 1300),
						   blk(B, 1000, 1100) };

		ust_tcp_sack_init(&sb, B, MSS);
		ust_tcp_sack_sent(&sb, B + 2000);
		ust_tcp_sack_update(&sb, B, b, 3, NULL);
		/* only 300 bytes, but three discontiguous SACKed blocks above 0 */
		assert_true(ust_tcp_sack_is_lost(&sb, B));
		assert_true(ust_tcp_sack_is_lost(&sb, B + 999));
		assert_false(ust_tcp_sack_is_lost(&sb, B + 1100));	/* two above */
		assert_false(ust_tcp_sack_is_lost(&sb, B + 1300));
		/* pipe: [0,1000) lost; [1100,1200), [1300,1400), [1500,2000) in flight */
		assert_int_equal(ust_tcp_sack_pipe(&sb), 700);
		assert_true(ust_tcp_sack_is_sacked(&sb, B + 1000));
		assert_false(ust_tcp_sack_is_sacked(&sb, B + 1100));
	}
}

static void test_rule3_and_rescue(void **state)
{
	(void)state;
	for (size_t bi = 0; bi < NB; bi++) {
		uint32_t B = bases[bi];
		struct ust_tcp_sack_board sb;
		struct ust_tcp_sack_seg seg;

		ust_tcp_sack_init(&sb, B, MSS);
		ust_tcp_sack_sent(&sb, B + 10000);
		upd1(&sb, B, 0, 8000, 9000);
		assert_false(ust_tcp_sack_is_lost(&sb, B));
		/* recovery entered by DupAcks >= DupThresh although IsLost is false */
		assert_true(ust_tcp_sack_enter_recovery(&sb, &seg));
		assert_int_equal(sb.rescue_rxt, B + 1000);
		for (uint32_t s = 1000; s < 8000; s += 1000) {
			assert_true(ust_tcp_sack_next_seg(&sb, 0, &seg));
			assert_int_equal(seg.rule, UST_TCP_SACK_RULE_HOLE);
			assert_int_equal(seg.seq, B + s);
			ust_tcp_sack_sent_seg(&sb, &seg);
		}
		/* rule 3 never goes above the highest SACKed octet; rescue needs HighACK > RescueRxt */
		assert_false(ust_tcp_sack_next_seg(&sb, 0, &seg));
		upd1(&sb, B, 2000, 8000, 9000);
		assert_true(ust_tcp_sack_next_seg(&sb, 0, &seg));
		assert_int_equal(seg.rule, UST_TCP_SACK_RULE_RESCUE);
		assert_int_equal(seg.seq, B + 9000);	/* ends at the highest un-SACKed octet */
		assert_int_equal(seg.len, 1000);
		uint32_t hr = sb.high_rxt;
		ust_tcp_sack_sent_seg(&sb, &seg);
		assert_int_equal(sb.high_rxt, hr);	/* rule 4 leaves HighRxt alone */
		assert_int_equal(sb.rescue_rxt, B + 10000);
		assert_false(ust_tcp_sack_next_seg(&sb, 0, &seg));	/* one per recovery */
		/* new data still allowed by rule 2 */
		assert_true(ust_tcp_sack_next_seg(&sb, 1, &seg));
		assert_int_equal(seg.len, 1);
	}
}

static void test_short_holes(void **state)
{
	struct ust_tcp_sack_board sb;
	struct ust_tcp_sack_seg seg;
	struct ust_tcp_sack_block b[2] = { { 5500, 9000 }, { 0, 0 } };

	(void)state;
	ust_tcp_sack_init(&sb, 0, MSS);
	ust_tcp_sack_sent(&sb, 9000);
	ust_tcp_sack_update(&sb, 0, b, 1, NULL);
	b[0] = (struct ust_tcp_sack_block){ 1000, 5000 };
	ust_tcp_sack_update(&sb, 0, b, 1, NULL);
	assert_true(ust_tcp_sack_enter_recovery(&sb, &seg));
	assert_true(ust_tcp_sack_next_seg(&sb, 0, &seg));
	assert_int_equal(seg.seq, 5000);
	assert_int_equal(seg.len, 500);	/* stops where SACKed data begins */
	/* next_hole (go-back-N after RTO) skips SACKed data */
	uint32_t s, l;
	assert_true(ust_tcp_sack_next_hole(&sb, 1000, MSS, &s, &l));
	assert_int_equal(s, 5000);
	assert_int_equal(l, 500);
	assert_false(ust_tcp_sack_next_hole(&sb, 5500, MSS, &s, &l));
}

static void test_dsack_and_invalid(void **state)
{
	(void)state;
	for (size_t bi = 0; bi < NB; bi++) {
		uint32_t B = bases[bi];
		struct ust_tcp_sack_board sb;
		bool dsack;

		ust_tcp_sack_init(&sb, B, MSS);
		ust_tcp_sack_sent(&sb, B + 10000);
		upd1(&sb, B, 5000, 6000, 7000);
		uint16_t count = sb.count;
		uint32_t bytes = sb.sacked_bytes;
		/* D-SACK below the cumulative ACK */
		struct ust_tcp_sack_block b1[2] = { blk(B, 3000, 4000), blk(B, 6000, 7000) };
		assert_int_equal(ust_tcp_sack_update(&sb, B + 5000, b1, 2, &dsack), 0);
		assert_true(dsack);
		/* D-SACK inside the second block (duplicate of SACKed data) */
		struct ust_tcp_sack_block b2[2] = { blk(B, 6200, 6400), blk(B, 6000, 7000) };
		assert_int_equal(ust_tcp_sack_update(&sb, B + 5000, b2, 2, &dsack), 0);
		assert_true(dsack);
		assert_int_equal(sb.counters.sack_dsack, 2);
		assert_int_equal(sb.count, count);
		assert_int_equal(sb.sacked_bytes, bytes);
		assert_int_equal(sb.snd_una, B + 5000);
		/* D-SACK for data at SND.UNA - 1 (the last byte acked) */
		struct ust_tcp_sack_block b3 = blk(B, 4999, 5000);
		ust_tcp_sack_update(&sb, B + 5000, &b3, 1, &dsack);
		assert_true(dsack);
		/* invalid blocks: beyond SND.NXT, inverted, empty */
		struct ust_tcp_sack_block bad[3] = { blk(B, 9000, 10001), blk(B, 8000, 7500),
						     blk(B, 8000, 8000) };
		assert_int_equal(ust_tcp_sack_update(&sb, B + 5000, bad, 3, &dsack), 0);
		assert_false(dsack);
		assert_int_equal(sb.counters.sack_invalid, 3);
		assert_int_equal(sb.count, count);
		/* an old (reordered) ACK: cumulative ack below SND.UNA is ignored, its block clipped */
		struct ust_tcp_sack_block old[2] = { blk(B, 4500, 5500), blk(B, 3000, 3500) };
		assert_int_equal(ust_tcp_sack_update(&sb, B + 4000, old, 2, &dsack), 500);
		assert_int_equal(sb.snd_una, B + 5000);
		assert_true(ust_tcp_sack_is_sacked(&sb, B + 5000));
		assert_false(ust_tcp_sack_is_sacked(&sb, B + 4999));
		/* a cumulative ACK beyond SND.NXT is not believed */
		ust_tcp_sack_update(&sb, B + 20000, NULL, 0, NULL);
		assert_int_equal(sb.snd_una, B + 5000);
	}
}

static void test_bounded_ranges(void **state)
{
	struct ust_tcp_sack_board sb;
	const uint32_t M = UST_TCP_SACK_MAX_RANGES;

	(void)state;
	ust_tcp_sack_init(&sb, 0, MSS);
	ust_tcp_sack_sent(&sb, 1000000);
	for (uint32_t i = 0; i < M + 8; i++)
		upd1(&sb, 0, 0, 1000 + i * 200, 1100 + i * 200);
	assert_int_equal(sb.count, M);
	assert_int_equal(sb.counters.sack_overflow, 8);
	assert_int_equal(sb.ranges[0].start, 1000);
	assert_int_equal(sb.ranges[M - 1].start, 1000 + (M - 1) * 200);
	assert_int_equal(sb.sacked_bytes, M * 100);
	/* a new low range evicts the highest */
	upd1(&sb, 0, 0, 500, 600);
	assert_int_equal(sb.count, M);
	assert_int_equal(sb.ranges[0].start, 500);
	assert_int_equal(sb.ranges[M - 1].start, 1000 + (M - 2) * 200);
	assert_int_equal(sb.sacked_bytes, M * 100);
	/* a block bridging many ranges collapses them */
	assert_int_equal(upd1(&sb, 0, 0, 1000, 3000), 2000 - 10 * 100);
	/* 10 ranges inside plus the adjacent one at 3000 become one */
	assert_int_equal(sb.count, M - 11 + 1);
	assert_int_equal(sb.sacked_bytes, M * 100 + 1000);
	/* RTO with discard forgets everything */
	ust_tcp_sack_on_rto(&sb, true);
	assert_int_equal(sb.count, 0);
	assert_int_equal(ust_tcp_sack_pipe(&sb), 1000000);
}

static void test_rto_keeps_info(void **state)
{
	struct ust_tcp_sack_board sb;
	struct ust_tcp_sack_seg seg;

	(void)state;
	ust_tcp_sack_init(&sb, 0, MSS);
	ust_tcp_sack_sent(&sb, 10000);
	upd1(&sb, 0, 0, 1000, 4000);
	ust_tcp_sack_enter_recovery(&sb, &seg);
	ust_tcp_sack_sent(&sb, 12000);
	ust_tcp_sack_on_rto(&sb, false);
	assert_false(sb.in_recovery);
	assert_int_equal(sb.recovery_point, 12000);
	assert_int_equal(sb.high_rxt, 0);
	assert_int_equal(sb.count, 1);
	assert_false(ust_tcp_sack_may_enter_recovery(&sb));
	upd1(&sb, 0, 12000, 0, 0);
	assert_true(ust_tcp_sack_may_enter_recovery(&sb));
}

/* Per-byte model: SACKed bitmap over a 20000-byte window. */
static void test_random_vs_model(void **state)
{
	static uint8_t sacked[20000];
	uint32_t x = 99;

	(void)state;
	for (int iter = 0; iter < 300; iter++) {
		uint32_t B = (iter & 1) ? 0xffffc000u + (uint32_t)iter : (uint32_t)iter * 7919u;
		struct ust_tcp_sack_board sb;
		uint32_t una = 0;

		memset(sacked, 0, sizeof(sacked));
		ust_tcp_sack_init(&sb, B, MSS);
		ust_tcp_sack_sent(&sb, B + 20000);
		for (int step = 0; step < 12; step++) {
			struct ust_tcp_sack_block b[4];
			unsigned n = 0;
			uint32_t model_new = 0;
			x = x * 1664525u + 1013904223u;
			if ((x >> 28) < 3 && una < 19500) {
				una += 500 * ((x >> 20) % 4);
				for (uint32_t i = 0; i < una; i++)
					sacked[i] = 0;
			}
			for (unsigned k = 0; k < 1 + (x >> 30); k++) {
				x = x * 1664525u + 1013904223u;
				uint32_t s = una + 500 * ((x >> 16) % 40);
				uint32_t e = s + 500 * (1 + (x >> 28) % 4);
				if (e > 20000 || s >= 20000)
					continue;
				b[n++] = blk(B, s, e);
			}
			/* keep D-SACK heuristics out of the model: first block not inside the second */
			if (n > 1 && ust_seq_geq(b[0].start, b[1].start) && ust_seq_leq(b[0].end, b[1].end))
				n = 1;
			for (unsigned k = 0; k < n; k++)
				for (uint32_t i = b[k].start - B; i < b[k].end - B; i++)
					if (!sacked[i] && i >= una) {
						sacked[i] = 1;
						model_new++;
					}
			assert_int_equal(ust_tcp_sack_update(&sb, B + una, b, n, NULL), model_new);
			/* compare sacked bytes, IsLost at every 100th octet, pipe */
			uint32_t total = 0;
			for (uint32_t i = una; i < 20000; i++)
				total += sacked[i];
			assert_int_equal(sb.sacked_bytes, total);
			/* suffix scan: SACKed bytes and SACKed runs strictly above s */
			uint32_t pipe = 0, bytes = 0, runs = 0;
			for (uint32_t s = 20000; s-- > una;) {
				if (s + 1 < 20000) {
					bytes += sacked[s + 1];
					/* octet s + 1 joins: a run not counted yet unless s + 2 is in it */
					if (sacked[s + 1] && !(s + 2 < 20000 && sacked[s + 2]))
						runs++;
				}
				uint32_t r = runs;
				bool lost = r >= 3 || bytes > 2 * MSS;
				if (s % 100 == 0)
					assert_int_equal(ust_tcp_sack_is_lost(&sb, B + s), lost);
				if (!sacked[s] && !lost)
					pipe++;
			}
			assert_int_equal(ust_tcp_sack_pipe(&sb), pipe);
		}
	}
}

/* A retransmission is deemed lost when a later one arrives, or data sent after it. */
static void test_lost_retransmission(void **state)
{
	(void)state;
	for (size_t bi = 0; bi < NB; bi++) {
		uint32_t B = bases[bi];
		struct ust_tcp_sack_board sb;
		struct ust_tcp_sack_seg seg, s2;

		ust_tcp_sack_init(&sb, B, MSS);
		ust_tcp_sack_sent(&sb, B + 10000);
		/* holes [0,1000) and [2000,3000); the rest SACKed */
		upd1(&sb, B, 0, 1000, 2000);
		upd1(&sb, B, 0, 3000, 10000);
		assert_true(ust_tcp_sack_enter_recovery(&sb, &seg));
		assert_int_equal(seg.seq, B);
		assert_true(ust_tcp_sack_next_seg(&sb, 0, &s2));
		assert_int_equal(s2.rule, UST_TCP_SACK_RULE_LOST);
		assert_int_equal(s2.seq, B + 2000);
		ust_tcp_sack_sent_seg(&sb, &s2);
		assert_int_equal(ust_tcp_sack_pipe(&sb), 2000);
		/* nothing else to send: RFC 6675 would wait for the RTO from here */
		assert_false(ust_tcp_sack_next_seg(&sb, 0, &s2));
		/* the second retransmission arrives, the first (sent before it) did not */
		assert_int_equal(upd1(&sb, B, 0, 1000, 10000), 1000);
		assert_int_equal(sb.counters.sack_rtx_lost, 1);
		assert_int_equal(ust_tcp_sack_pipe(&sb), 0);	/* it left the network */
		assert_true(ust_tcp_sack_next_seg(&sb, 5000, &s2));
		assert_int_equal(s2.rule, UST_TCP_SACK_RULE_RELOST);
		assert_int_equal(s2.seq, B);
		assert_int_equal(s2.len, 1000);
		ust_tcp_sack_sent_seg(&sb, &s2);
		assert_int_equal(ust_tcp_sack_pipe(&sb), 1000);
		assert_true(ust_tcp_sack_next_seg(&sb, 5000, &s2));
		assert_int_equal(s2.rule, UST_TCP_SACK_RULE_NEW);	/* not resent twice */
		ust_tcp_sack_sent_seg(&sb, &s2);	/* new data [10000, 11000) */
		/* that new data is SACKed first: the resend is lost again */
		upd1(&sb, B, 0, 10000, 11000);
		assert_int_equal(sb.counters.sack_rtx_lost, 2);
		assert_true(ust_tcp_sack_next_seg(&sb, 5000, &s2));
		assert_int_equal(s2.rule, UST_TCP_SACK_RULE_RELOST);
		ust_tcp_sack_sent_seg(&sb, &s2);
		/* it arrives: recovery ends, nothing remembered */
		upd1(&sb, B, 11000, 0, 0);
		assert_false(sb.in_recovery);
		assert_int_equal(sb.rtx_count, 0);
	}
}

static void test_receiver_blocks(void **state)
{
	struct ust_tcp_sack_recv_range r[5] = {
		{ 1000, 2000, 5 }, { 3000, 4000, 9 }, { 5000, 6000, 1 }, { 7000, 8000, 7 },
		{ 9000, 9500, 3 },
	};
	struct ust_tcp_sack_block out[4];
	struct ust_tcp_sack_block dsack = { 3200, 3300 };

	(void)state;
	assert_int_equal(ust_tcp_sack_max_blocks(true), 3);
	assert_int_equal(ust_tcp_sack_max_blocks(false), 4);
	assert_int_equal(ust_tcp_sack_build(r, 5, NULL, out, 4), 4);
	assert_int_equal(out[0].start, 3000);	/* most recent first */
	assert_int_equal(out[1].start, 7000);
	assert_int_equal(out[2].start, 1000);
	assert_int_equal(out[3].start, 9000);
	assert_int_equal(ust_tcp_sack_build(r, 5, NULL, out, 3), 3);
	assert_int_equal(out[2].start, 1000);
	/* D-SACK first, then its containing range (the most recently touched) */
	assert_int_equal(ust_tcp_sack_build(r, 5, &dsack, out, 3), 3);
	assert_int_equal(out[0].start, 3200);
	assert_int_equal(out[1].start, 3000);
	assert_int_equal(out[2].start, 7000);
	assert_int_equal(ust_tcp_sack_build(r, 0, NULL, out, 4), 0);
	assert_int_equal(ust_tcp_sack_build(r, 2, NULL, out, 4), 2);
	assert_int_equal(ust_tcp_sack_build(r, 5, NULL, out, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_loss),
		cmocka_unit_test(test_multiple_losses_nextseg_order),
		cmocka_unit_test(test_discontiguous_criterion),
		cmocka_unit_test(test_rule3_and_rescue),
		cmocka_unit_test(test_short_holes),
		cmocka_unit_test(test_dsack_and_invalid),
		cmocka_unit_test(test_bounded_ranges),
		cmocka_unit_test(test_rto_keeps_info),
		cmocka_unit_test(test_random_vs_model),
		cmocka_unit_test(test_lost_retransmission),
		cmocka_unit_test(test_receiver_blocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
