/*
 * RFC 6675 sender scoreboard and RFC 2018 receiver block ordering (see tcp_sack.h).
 * Ranges are few (<= 32), so everything is a linear walk over a sorted array.
 */
#include "net/tcp_sack.h"

#include <string.h>

#include "core/util.h"
#include "net/tcp_seq.h"

const char *const ust_tcp_sack_counter_names[UST_TCP_SACK_COUNTER_COUNT] = {
	UST_TCP_SACK_COUNTERS(UST_COUNTER_NAME)
};

void ust_tcp_sack_init(struct ust_tcp_sack_board *sb, uint32_t snd_una, uint32_t smss)
{
	memset(sb, 0, sizeof(*sb));
	sb->snd_una = snd_una;
	sb->snd_nxt = snd_una;
	sb->smss = smss ? smss : 1;
	sb->high_rxt = snd_una;
	sb->recovery_point = snd_una;
}

void ust_tcp_sack_sent(struct ust_tcp_sack_board *sb, uint32_t snd_nxt)
{
	if (ust_seq_gt(snd_nxt, sb->snd_nxt))
		sb->snd_nxt = snd_nxt;
}

static void remove_at(struct ust_tcp_sack_board *sb, unsigned i)
{
	memmove(&sb->ranges[i], &sb->ranges[i + 1], (sb->count - i - 1) * sizeof(sb->ranges[0]));
	sb->count--;
}

/* Drop what the cumulative ACK now covers. */
static void advance(struct ust_tcp_sack_board *sb, uint32_t ack)
{
	sb->snd_una = ack;
	while (sb->count > 0 && ust_seq_leq(sb->ranges[0].end, ack)) {
		sb->sacked_bytes -= sb->ranges[0].end - sb->ranges[0].start;
		remove_at(sb, 0);
	}
	if (sb->count > 0 && ust_seq_lt(sb->ranges[0].start, ack)) {
		sb->sacked_bytes -= ack - sb->ranges[0].start;
		sb->ranges[0].start = ack;
	}
	if (ust_seq_lt(sb->high_rxt, ack))
		sb->high_rxt = ack;
	if (sb->lost_below_valid && ust_seq_geq(ack, sb->lost_below))
		sb->lost_below_valid = false;
	if (sb->in_recovery && ust_seq_geq(ack, sb->recovery_point)) {
		sb->in_recovery = false;
		sb->rtx_count = 0;
	}
}

/* Merge [s, e) into the sorted set; returns how many bytes were not SACKed before. */
static uint32_t insert(struct ust_tcp_sack_board *sb, uint32_t s, uint32_t e)
{
	unsigned i = 0, j;
	uint32_t covered = 0, ns = s, ne = e;

	/* first range that ends at or after s (adjacent ranges merge too) */
	while (i < sb->count && ust_seq_lt(sb->ranges[i].end, s))
		i++;
	/* ranges i..j-1 touch or overlap [s, e) */
	for (j = i; j < sb->count && ust_seq_leq(sb->ranges[j].start, e); j++) {
		uint32_t os = ust_seq_max(sb->ranges[j].start, s);
		uint32_t oe = ust_seq_min(sb->ranges[j].end, e);

		if (ust_seq_lt(os, oe))
			covered += oe - os;
		ns = ust_seq_min(ns, sb->ranges[j].start);
		ne = ust_seq_max(ne, sb->ranges[j].end);
	}
	if (j > i) {
		/* replace ranges i..j-1 by the union */
		for (unsigned k = i; k < j; k++)
			sb->sacked_bytes -= sb->ranges[k].end - sb->ranges[k].start;
		sb->ranges[i].start = ns;
		sb->ranges[i].end = ne;
		sb->sacked_bytes += ne - ns;
		memmove(&sb->ranges[i + 1], &sb->ranges[j], (sb->count - j) * sizeof(sb->ranges[0]));
		sb->count = (uint16_t)(sb->count - (j - i - 1));
		return (e - s) - covered;
	}
	/* a new disjoint range at position i */
	if (sb->count == UST_TCP_SACK_MAX_RANGES) {
		sb->counters.sack_overflow++;
		if (i == sb->count)
			return 0;	/* it would be the highest: forget it */
		sb->sacked_bytes -= sb->ranges[sb->count - 1].end - sb->ranges[sb->count - 1].start;
		sb->count--;	/* forget the highest */
	}
	memmove(&sb->ranges[i + 1], &sb->ranges[i], (sb->count - i) * sizeof(sb->ranges[0]));
	sb->ranges[i].start = s;
	sb->ranges[i].end = e;
	sb->count++;
	sb->sacked_bytes += e - s;
	return e - s;
}

/* Bytes of [s, e) neither cumulatively acknowledged nor SACKed. */
static uint32_t unsacked(const struct ust_tcp_sack_board *sb, uint32_t s, uint32_t e)
{
	if (ust_seq_lt(s, sb->snd_una))
		s = sb->snd_una;
	if (!ust_seq_lt(s, e))
		return 0;
	uint32_t n = e - s;
	for (unsigned i = 0; i < sb->count; i++) {
		uint32_t os = ust_seq_max(sb->ranges[i].start, s);
		uint32_t oe = ust_seq_min(sb->ranges[i].end, e);

		if (ust_seq_lt(os, oe))
			n -= oe - os;
	}
	return n;
}

/*
 * After an ACK: forget the retransmissions that arrived, and deem lost those sent before
 * one that arrived or before data above their HighData that was SACKed. RFC 6675 alone
 * only finds a lost retransmission by the RTO; with a window stuck behind the hole at
 * SND.UNA (send buffer full) that was most of the timeouts under 5% loss.
 */
static void rtx_check(struct ust_tcp_sack_board *sb)
{
	uint32_t delivered = 0;
	unsigned w = 0;

	for (unsigned i = 0; i < sb->rtx_count; i++) {
		const struct ust_tcp_sack_rtx *r = &sb->rtx[i];

		if (unsacked(sb, r->start, r->end) == 0) {
			if (r->order > delivered)
				delivered = r->order;
			continue;
		}
		sb->rtx[w++] = *r;
	}
	sb->rtx_count = (uint16_t)w;
	uint32_t top = sb->count ? sb->ranges[sb->count - 1].end : sb->snd_una;
	for (unsigned i = 0; i < sb->rtx_count; i++) {
		struct ust_tcp_sack_rtx *r = &sb->rtx[i];

		if (!r->lost && (r->order < delivered || ust_seq_gt(top, r->high))) {
			r->lost = true;
			sb->counters.sack_rtx_lost++;
		}
	}
}

static void rtx_record(struct ust_tcp_sack_board *sb, uint32_t start, uint32_t end)
{
	if (sb->rtx_count == UST_TCP_SACK_MAX_RTX) {
		/* forget the oldest: it can still be found by the RTO */
		memmove(&sb->rtx[0], &sb->rtx[1], (sb->rtx_count - 1) * sizeof(sb->rtx[0]));
		sb->rtx_count--;
	}
	sb->rtx[sb->rtx_count++] = (struct ust_tcp_sack_rtx){
		.start = start, .end = end, .high = sb->snd_nxt, .order = ++sb->rtx_order };
}

uint32_t ust_tcp_sack_update(struct ust_tcp_sack_board *sb, uint32_t ack,
			     const struct ust_tcp_sack_block *blocks, unsigned n, bool *dsack)
{
	uint32_t added = 0;
	bool dup = false;

	if (ust_seq_gt(ack, sb->snd_una) && ust_seq_leq(ack, sb->snd_nxt))
		advance(sb, ack);
	for (unsigned i = 0; i < n; i++) {
		uint32_t s = blocks[i].start, e = blocks[i].end;

		if (i == 0 && (ust_seq_leq(e, ack) ||
			       (n > 1 && ust_seq_lt(s, e) && ust_seq_geq(s, blocks[1].start) &&
				ust_seq_leq(e, blocks[1].end)))) {
			/* RFC 2883 D-SACK: below the cumulative ACK or inside the next block */
			dup = true;
			sb->counters.sack_dsack++;
			continue;
		}
		if (!ust_seq_lt(s, e) || ust_seq_gt(e, sb->snd_nxt)) {
			sb->counters.sack_invalid++;
			continue;
		}
		if (ust_seq_leq(e, sb->snd_una))
			continue;	/* old news (reordered ACK) */
		if (ust_seq_lt(s, sb->snd_una))
			s = sb->snd_una;
		sb->counters.sack_blocks++;
		added += insert(sb, s, e);
	}
	if (sb->rtx_count)
		rtx_check(sb);
	if (dsack)
		*dsack = dup;
	return added;
}

bool ust_tcp_sack_is_lost(const struct ust_tcp_sack_board *sb, uint32_t seq)
{
	unsigned ranges = 0;
	uint32_t bytes = 0;

	if (sb->lost_below_valid && ust_seq_lt(seq, sb->lost_below))
		return true;
	/* walk from the top: SACKed octets with sequence numbers greater than seq */
	for (int i = sb->count - 1; i >= 0; i--) {
		const struct ust_tcp_sack_block *r = &sb->ranges[i];

		if (ust_seq_leq(r->end, seq + 1))
			break;
		bytes += r->end - ust_seq_max(r->start, seq + 1);
		ranges++;
		if (ranges >= UST_TCP_SACK_DUPTHRESH ||
		    bytes > (UST_TCP_SACK_DUPTHRESH - 1) * sb->smss)
			return true;
	}
	return false;
}

void ust_tcp_sack_mark_lost_below(struct ust_tcp_sack_board *sb, uint32_t seq)
{
	if (!ust_seq_gt(seq, sb->snd_una))
		return;
	if (!sb->lost_below_valid || ust_seq_gt(seq, sb->lost_below))
		sb->lost_below = seq;
	sb->lost_below_valid = true;
}

bool ust_tcp_sack_is_sacked(const struct ust_tcp_sack_board *sb, uint32_t seq)
{
	for (unsigned i = 0; i < sb->count; i++)
		if (ust_seq_in(seq, sb->ranges[i].start, sb->ranges[i].end))
			return true;
	return false;
}

/* Hole k (0..count): [start, end) of un-SACKed data; may be empty. */
static void hole(const struct ust_tcp_sack_board *sb, unsigned k, uint32_t *s, uint32_t *e)
{
	*s = k == 0 ? sb->snd_una : sb->ranges[k - 1].end;
	*e = k == sb->count ? sb->snd_nxt : sb->ranges[k].start;
}

uint32_t ust_tcp_sack_pipe(const struct ust_tcp_sack_board *sb)
{
	uint32_t pipe = 0;

	for (unsigned k = 0; k <= sb->count; k++) {
		uint32_t s, e;

		hole(sb, k, &s, &e);
		if (!ust_seq_lt(s, e))
			continue;
		/* IsLost() is the same for every octet of a hole: the SACKed data above is */
		if (!ust_tcp_sack_is_lost(sb, s))
			pipe += e - s;
		/* retransmitted octets (below HighRxt) are in flight once more */
		if (ust_seq_gt(sb->high_rxt, s))
			pipe += ust_seq_min(e, sb->high_rxt) - s;
	}
	/* a retransmission deemed lost has left the network */
	for (unsigned i = 0; i < sb->rtx_count; i++) {
		if (sb->rtx[i].lost && ust_seq_lt(sb->rtx[i].start, sb->high_rxt)) {
			uint32_t n = unsacked(sb, sb->rtx[i].start, ust_seq_min(sb->rtx[i].end, sb->high_rxt));

			pipe = pipe > n ? pipe - n : 0;
		}
	}
	return pipe;
}

bool ust_tcp_sack_may_enter_recovery(const struct ust_tcp_sack_board *sb)
{
	return !sb->in_recovery && ust_seq_geq(sb->snd_una, sb->recovery_point);
}

bool ust_tcp_sack_next_hole(const struct ust_tcp_sack_board *sb, uint32_t from, uint32_t max_len,
			    uint32_t *seq, uint32_t *len)
{
	if (ust_seq_lt(from, sb->snd_una))
		from = sb->snd_una;
	for (unsigned k = 0; k <= sb->count; k++) {
		uint32_t s, e;

		hole(sb, k, &s, &e);
		s = ust_seq_max(s, from);
		if (ust_seq_lt(s, e)) {
			*seq = s;
			*len = UST_MIN(e - s, max_len);
			return true;
		}
	}
	return false;
}

bool ust_tcp_sack_enter_recovery(struct ust_tcp_sack_board *sb, struct ust_tcp_sack_seg *first)
{
	uint32_t seq, len;

	if (!ust_tcp_sack_next_hole(sb, sb->snd_una, sb->smss, &seq, &len))
		return false;
	sb->in_recovery = true;
	sb->recovery_point = sb->snd_nxt;
	sb->high_rxt = seq + len;
	sb->rescue_rxt = seq + len;
	sb->rescue_valid = true;
	sb->rtx_count = 0;
	sb->rtx_order = 0;
	rtx_record(sb, seq, seq + len);
	*first = (struct ust_tcp_sack_seg){ .seq = seq, .len = len, .rule = UST_TCP_SACK_RULE_LOST };
	return true;
}

/* Rules 1 and 3: the first un-SACKed octet above HighRxt below the highest SACKed octet. */
static bool find_hole_seg(const struct ust_tcp_sack_board *sb, bool need_lost,
			  struct ust_tcp_sack_seg *out)
{
	for (unsigned k = 0; k < sb->count; k++) {	/* holes below the last range only */
		uint32_t s, e;

		hole(sb, k, &s, &e);
		s = ust_seq_max(s, sb->high_rxt);
		if (!ust_seq_lt(s, e))
			continue;
		if (need_lost && !ust_tcp_sack_is_lost(sb, s))
			continue;
		out->seq = s;
		out->len = UST_MIN(e - s, sb->smss);
		out->rule = need_lost ? UST_TCP_SACK_RULE_LOST : UST_TCP_SACK_RULE_HOLE;
		return true;
	}
	return false;
}

/* The lowest retransmission deemed lost, what of it is still missing (up to SMSS). */
static bool find_relost(const struct ust_tcp_sack_board *sb, struct ust_tcp_sack_seg *out)
{
	const struct ust_tcp_sack_rtx *best = NULL;
	uint32_t seq, len;

	for (unsigned i = 0; i < sb->rtx_count; i++)
		if (sb->rtx[i].lost && (!best || ust_seq_lt(sb->rtx[i].start, best->start)))
			best = &sb->rtx[i];
	if (!best || !ust_tcp_sack_next_hole(sb, best->start, sb->smss, &seq, &len) ||
	    !ust_seq_lt(seq, best->end))
		return false;
	out->seq = seq;
	out->len = UST_MIN(len, best->end - seq);
	out->rule = UST_TCP_SACK_RULE_RELOST;
	return true;
}

bool ust_tcp_sack_next_seg(const struct ust_tcp_sack_board *sb, uint32_t unsent,
			   struct ust_tcp_sack_seg *out)
{
	if (sb->in_recovery && find_relost(sb, out))
		return true;
	if (find_hole_seg(sb, true, out))
		return true;
	if (unsent > 0) {
		*out = (struct ust_tcp_sack_seg){ .seq = sb->snd_nxt, .len = UST_MIN(unsent, sb->smss),
						  .rule = UST_TCP_SACK_RULE_NEW };
		return true;
	}
	if (find_hole_seg(sb, false, out))
		return true;
	/* rule 4: one rescue retransmission per recovery, ending at the highest hole */
	if (sb->in_recovery && ust_seq_lt(sb->snd_una, sb->snd_nxt) &&
	    (!sb->rescue_valid || ust_seq_gt(sb->snd_una, sb->rescue_rxt))) {
		for (int k = sb->count; k >= 0; k--) {
			uint32_t s, e;

			hole(sb, (unsigned)k, &s, &e);
			if (ust_seq_lt(s, e)) {
				uint32_t len = UST_MIN(e - s, sb->smss);

				*out = (struct ust_tcp_sack_seg){ .seq = e - len, .len = len,
								  .rule = UST_TCP_SACK_RULE_RESCUE };
				return true;
			}
		}
	}
	return false;
}

void ust_tcp_sack_sent_seg(struct ust_tcp_sack_board *sb, const struct ust_tcp_sack_seg *seg)
{
	uint32_t end = seg->seq + seg->len;

	switch (seg->rule) {
	case UST_TCP_SACK_RULE_RELOST:
		for (unsigned i = 0; i < sb->rtx_count; i++) {
			struct ust_tcp_sack_rtx *r = &sb->rtx[i];

			if (r->lost && ust_seq_geq(seg->seq, r->start) && ust_seq_lt(seg->seq, r->end)) {
				/* sent again: now the newest transmission */
				struct ust_tcp_sack_rtx again = *r;

				memmove(r, r + 1, (sb->rtx_count - i - 1) * sizeof(*r));
				again.lost = false;
				again.high = sb->snd_nxt;
				again.order = ++sb->rtx_order;
				sb->rtx[sb->rtx_count - 1] = again;
				break;
			}
		}
		break;
	case UST_TCP_SACK_RULE_LOST:
	case UST_TCP_SACK_RULE_HOLE:
		if (ust_seq_gt(end, sb->high_rxt))
			sb->high_rxt = end;
		rtx_record(sb, seg->seq, end);
		break;
	case UST_TCP_SACK_RULE_NEW:
		ust_tcp_sack_sent(sb, end);
		break;
	case UST_TCP_SACK_RULE_RESCUE:
		sb->rescue_rxt = sb->recovery_point;	/* HighRxt is not updated */
		sb->rescue_valid = true;
		rtx_record(sb, seg->seq, end);
		break;
	}
}

void ust_tcp_sack_on_rto(struct ust_tcp_sack_board *sb, bool discard)
{
	sb->in_recovery = false;
	sb->recovery_point = sb->snd_nxt;
	sb->high_rxt = sb->snd_una;
	sb->rtx_count = 0;
	sb->lost_below_valid = false;
	if (discard) {
		sb->count = 0;
		sb->sacked_bytes = 0;
	}
}

unsigned ust_tcp_sack_build(const struct ust_tcp_sack_recv_range *ranges, unsigned n,
			    const struct ust_tcp_sack_block *dsack, struct ust_tcp_sack_block *out,
			    unsigned max)
{
	unsigned w = 0, nused = 0;
	unsigned used_idx[UST_TCP_MAX_SACK_BLOCKS];

	if (max > UST_TCP_MAX_SACK_BLOCKS)
		max = UST_TCP_MAX_SACK_BLOCKS;
	if (dsack && w < max)
		out[w++] = *dsack;
	while (w < max) {
		int best = -1;

		for (unsigned i = 0; i < n; i++) {
			bool taken = false;

			for (unsigned u = 0; u < nused; u++)
				taken |= used_idx[u] == i;
			if (taken || !ust_seq_lt(ranges[i].start, ranges[i].end))
				continue;
			if (best < 0 || ranges[i].stamp > ranges[best].stamp)
				best = (int)i;
		}
		if (best < 0)
			break;
		used_idx[nused++] = (unsigned)best;
		out[w].start = ranges[best].start;
		out[w].end = ranges[best].end;
		w++;
	}
	return w;
}
