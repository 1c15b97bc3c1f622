/*
 * SACK (RFC 2018) on both sides of a connection.
 *
 * Sender: the RFC 6675 scoreboard of SACKed ranges within [SND.UNA, SND.NXT), with IsLost()
 * (DupThresh = 3), SetPipe(), NextSeg() rules 1-4, HighRxt, RescueRxt and RecoveryPoint.
 * tcp input calls ust_tcp_sack_update() for every ACK (after SND.UNA is known), tcp output
 * asks ust_tcp_sack_next_seg() what to send while cwnd - pipe >= SMSS and reports what it
 * sent with ust_tcp_sack_sent_seg(). Sequence numbers here are exclusive ends ("one past"):
 * the RFC's HighACK is snd_una - 1, HighData is snd_nxt - 1, HighRxt is high_rxt - 1,
 * RecoveryPoint is recovery_point - 1, RescueRxt is rescue_rxt - 1.
 *
 * Memory is bounded: at most UST_TCP_SACK_MAX_RANGES (128) disjoint ranges per connection
 * (fixed array, 8 bytes each: 1 KiB; a window of 256 full-sized segments with every other
 * one lost fits). When a new disjoint range does not fit, the HIGHEST range is
 * forgotten (the new one if it is the highest) and sack_overflow counts it: losing SACK
 * information only makes the sender more conservative (those bytes count as in flight and
 * may be resent), while the lowest holes - the ones recovery repairs first - stay exact.
 *
 * D-SACK (RFC 2883): a first block that lies at or below the cumulative ACK, or inside the
 * second block, reports a duplicate; it is counted and reported to the caller and never
 * enters the scoreboard. Blocks reaching beyond SND.NXT or empty/inverted are ignored
 * (sack_invalid); parts of blocks below SND.UNA (an old reordered ACK) are clipped.
 *
 * Receiver: ust_tcp_sack_build() orders the blocks to send (RFC 2018 section 4: the block
 * holding the most recently received segment first, then the others most recent first, at
 * most 3 with timestamps, 4 without; a D-SACK block goes in front).
 */
#ifndef UST_NET_TCP_SACK_H
#define UST_NET_TCP_SACK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/counters.h"
#include "wire/tcp.h"

#define UST_TCP_SACK_MAX_RANGES 128
#define UST_TCP_SACK_DUPTHRESH 3
#define UST_TCP_SACK_MAX_RTX 64	/* retransmissions remembered per recovery */

#define UST_TCP_SACK_COUNTERS(X) \
	X(sack_blocks)		/* blocks recorded */ \
	X(sack_dsack)		/* D-SACK blocks seen (not recorded) */ \
	X(sack_invalid)		/* blocks ignored: empty, inverted or beyond SND.NXT */ \
	X(sack_overflow)	/* ranges forgotten because the scoreboard was full */ \
	X(sack_rtx_lost)	/* retransmissions deemed lost (something sent later arrived) */

struct ust_tcp_sack_counters {
	UST_TCP_SACK_COUNTERS(UST_COUNTER_FIELD)
};

#define UST_TCP_SACK_COUNTER_COUNT (sizeof(struct ust_tcp_sack_counters) / sizeof(uint64_t))
extern const char *const ust_tcp_sack_counter_names[UST_TCP_SACK_COUNTER_COUNT];

/*
 * A retransmission sent in this recovery: [start, end), its place in the order of
 * transmissions (order) and HighData when it left (high). It is delivered once SND.UNA
 * passes end or all of it is SACKed; it is lost when something sent after it was delivered:
 * a later retransmission, or data above high (RFC 8985's idea in transmission order rather
 * than time, and Linux's pre-RACK tcp_mark_lost_retrans()).
 */
struct ust_tcp_sack_rtx {
	uint32_t start;
	uint32_t end;
	uint32_t high;
	uint32_t order;
	bool lost;
};

struct ust_tcp_sack_board {
	uint32_t snd_una;
	uint32_t snd_nxt;
	uint32_t smss;
	uint32_t high_rxt;
	uint32_t rescue_rxt;
	uint32_t recovery_point;
	bool rescue_valid;
	bool in_recovery;
	bool lost_below_valid;
	uint32_t lost_below;	/* everything un-SACKed below it is lost (a later probe arrived) */
	uint16_t count;
	uint32_t sacked_bytes;	/* sum of range lengths */
	struct ust_tcp_sack_block ranges[UST_TCP_SACK_MAX_RANGES];	/* sorted, disjoint, not adjacent */
	uint16_t rtx_count;
	uint32_t rtx_order;	/* transmissions recorded so far in this recovery */
	struct ust_tcp_sack_rtx rtx[UST_TCP_SACK_MAX_RTX];	/* oldest first */
	struct ust_tcp_sack_counters counters;
};

/* Which NextSeg() rule produced a segment. */
enum ust_tcp_sack_rule {
	UST_TCP_SACK_RULE_RELOST = 0,	/* a retransmission deemed lost: resend it (before rule 1) */
	UST_TCP_SACK_RULE_LOST = 1,	/* rule 1: a lost hole, retransmit */
	UST_TCP_SACK_RULE_NEW = 2,	/* rule 2: new data */
	UST_TCP_SACK_RULE_HOLE = 3,	/* rule 3: a hole not yet deemed lost */
	UST_TCP_SACK_RULE_RESCUE = 4,	/* rule 4: the rescue retransmission */
};

struct ust_tcp_sack_seg {
	uint32_t seq;
	uint32_t len;
	enum ust_tcp_sack_rule rule;
};

void ust_tcp_sack_init(struct ust_tcp_sack_board *sb, uint32_t snd_una, uint32_t smss);

/* New data went out: SND.NXT (HighData + 1) moved to snd_nxt. */
void ust_tcp_sack_sent(struct ust_tcp_sack_board *sb, uint32_t snd_nxt);

/*
 * Update() for one ACK: cumulative ack (ignored unless it lies in (snd_una, snd_nxt]) and
 * n SACK blocks as parsed. Returns the number of bytes newly SACKed (> 0 makes the ACK a
 * "duplicate acknowledgment" in RFC 6675's sense); *dsack (may be NULL) tells whether a
 * D-SACK block was present. Ends recovery when ack reaches recovery_point.
 */
uint32_t ust_tcp_sack_update(struct ust_tcp_sack_board *sb, uint32_t ack,
			     const struct ust_tcp_sack_block *blocks, unsigned n, bool *dsack);

/* IsLost(seq): DupThresh ranges or more than (DupThresh - 1) * SMSS bytes SACKed above seq,
 * or seq below a mark set by ust_tcp_sack_mark_lost_below(). */
bool ust_tcp_sack_is_lost(const struct ust_tcp_sack_board *sb, uint32_t seq);

/*
 * Deem every un-SACKed octet below seq lost: a tail loss probe sent after all of it, at
 * least 2 SRTT later, has arrived (RFC 8985's rule in transmission order). The mark goes
 * when SND.UNA passes it or at the RTO.
 */
void ust_tcp_sack_mark_lost_below(struct ust_tcp_sack_board *sb, uint32_t seq);

/* SetPipe(): bytes presumed in the network. */
uint32_t ust_tcp_sack_pipe(const struct ust_tcp_sack_board *sb);

/* True when a new recovery may start (SND.UNA has reached the last RecoveryPoint). */
bool ust_tcp_sack_may_enter_recovery(const struct ust_tcp_sack_board *sb);

/*
 * Enter loss recovery (RFC 6675 section 5 step 4): RecoveryPoint = HighData; returns in *first
 * the segment to retransmit (from SND.UNA, up to SMSS, not into SACKed data) and sets
 * HighRxt and RescueRxt to its end. False (nothing changes) if nothing is outstanding.
 */
bool ust_tcp_sack_enter_recovery(struct ust_tcp_sack_board *sb, struct ust_tcp_sack_seg *first);

/*
 * NextSeg(): the next segment to send in recovery, or false. unsent: bytes of new data that
 * may be sent (queued and allowed by the peer's window). Does not change the scoreboard:
 * report the transmission with ust_tcp_sack_sent_seg().
 */
bool ust_tcp_sack_next_seg(const struct ust_tcp_sack_board *sb, uint32_t unsent,
			   struct ust_tcp_sack_seg *out);

/* The segment from next_seg was sent: HighRxt, HighData or RescueRxt move per step (C). */
void ust_tcp_sack_sent_seg(struct ust_tcp_sack_board *sb, const struct ust_tcp_sack_seg *seg);

/*
 * Retransmission timeout (RFC 6675 section 5.1): recovery ends, RecoveryPoint = HighData,
 * HighRxt back to SND.UNA. discard = true also forgets all SACK information (RFC 2018's
 * advice against receiver reneging); false keeps it so go-back-N can skip SACKed data.
 */
void ust_tcp_sack_on_rto(struct ust_tcp_sack_board *sb, bool discard);

/* The first un-SACKed range at or after from (up to max_len bytes, below SND.NXT), or false. */
bool ust_tcp_sack_next_hole(const struct ust_tcp_sack_board *sb, uint32_t from, uint32_t max_len,
			    uint32_t *seq, uint32_t *len);

/* True if seq has been SACKed. */
bool ust_tcp_sack_is_sacked(const struct ust_tcp_sack_board *sb, uint32_t seq);

/* Receiver side. */
struct ust_tcp_sack_recv_range {
	uint32_t start;
	uint32_t end;
	uint64_t stamp;	/* larger = more recently received into or touched */
};

/* Blocks that fit in the option space: 3 with the timestamp option, 4 without. */
static inline unsigned ust_tcp_sack_max_blocks(bool timestamps)
{
	return timestamps ? 3 : 4;
}

/*
 * Fill out[] (at most max entries, max <= UST_TCP_MAX_SACK_BLOCKS) with dsack (if not NULL)
 * then ranges in decreasing stamp order. Returns the number written.
 */
unsigned ust_tcp_sack_build(const struct ust_tcp_sack_recv_range *ranges, unsigned n,
			    const struct ust_tcp_sack_block *dsack, struct ust_tcp_sack_block *out,
			    unsigned max);

#endif
