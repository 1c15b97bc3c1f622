/*
 * Congestion control: a small ops table per algorithm (FreeBSD mod_cc / dummynet scheduler
 * style: each module declares its private state size) and the loss-recovery bookkeeping
 * shared by all of them (RFC 5681 fast retransmit/recovery with RFC 6582 NewReno partial ACKs
 * and the "recover" variable, or RFC 6675 SACK recovery where pipe replaces inflation).
 *
 * Where it sits: tcp input calls ust_tcp_cc_on_ack() for every ACK that advances SND.UNA,
 * ust_tcp_cc_on_dupack() for duplicate ACKs while in recovery, ust_tcp_cc_enter_recovery() on
 * the third duplicate ACK (or RFC 6675 IsLost(HighACK+1)), and the retransmit timer calls
 * ust_tcp_cc_on_rto(). tcp output reads cc.conn.cwnd (and cc.conn.pacing_rate).
 * A module never sees the connection, only struct ust_tcp_cc_conn: all in bytes.
 *
 * Modules: "newreno" (RFC 5681 + RFC 3465 ABC with L = 2 + RFC 6582) and "cubic" (RFC 9438),
 * both with HyStart++ (RFC 9406) in the initial slow start.
 * The registry (one per stack, no globals besides the const ops tables) maps names to ops
 * so TCP_CONGESTION can pick one per socket; the stack's default is chosen by name.
 */
#ifndef UST_NET_TCP_CC_H
#define UST_NET_TCP_CC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UST_TCP_CC_PRIV_MAX 128		/* bytes of private state a module may declare */
#define UST_TCP_CC_REGISTRY_MAX 8
#define UST_TCP_CC_NAME_MAX 16		/* like Linux TCP_CA_NAME_MAX, NUL included */
#define UST_TCP_CC_DEFAULT "cubic"
#define UST_TCP_CC_ABC_L 2		/* RFC 3465 limit: cwnd grows <= L*SMSS per ACK in SS */
#define UST_TCP_CC_DUPTHRESH 3

/* The view of a connection a module reads and writes. Units: bytes, ns, us. */
struct ust_tcp_cc_conn {
	uint32_t cwnd;		/* congestion window */
	uint32_t ssthresh;	/* slow start threshold; UINT32_MAX = "arbitrarily high" */
	uint32_t smss;		/* sender maximum segment size */
	uint32_t flight;	/* FlightSize (or RFC 6675 pipe), as of the current event */
	bool in_recovery;	/* fast recovery in progress */
	uint64_t now_ns;	/* injected clock at the current event */
	uint32_t srtt_us;	/* 0 = no estimate yet */
	uint32_t min_rtt_us;	/* 0 = no estimate yet */
	uint64_t pacing_rate;	/* bytes/s hint (see ust_tcp_cc_pacing_rate) */
	uint32_t snd_una;	/* cumulative ACK of the current event */
	uint32_t snd_nxt;	/* kept current by ust_tcp_cc_on_send (HyStart++ rounds) */
	bool cwnd_limited;	/* the current ACK's window was used (ust_tcp_cc_on_output's
				 * rule): modules grow cwnd only when set (RFC 5681 4.1 / RFC 7661,
				 * RFC 9438 5.8); CUBIC leaves the time without growth out of t */
};

struct ust_tcp_cc_ops {
	const char *name;	/* < UST_TCP_CC_NAME_MAX chars */
	size_t priv_size;	/* <= UST_TCP_CC_PRIV_MAX; zeroed before init */
	/* Set up private state. cwnd/ssthresh are already initialised (and kept on a switch). */
	void (*init)(struct ust_tcp_cc_conn *c, void *priv);
	/* acked new bytes outside recovery (rtt_us: sample from this ACK or 0): grow cwnd. */
	void (*on_ack)(struct ust_tcp_cc_conn *c, void *priv, uint32_t acked, uint32_t rtt_us);
	/* Loss detected (fast retransmit): set ssthresh and cwnd (before any RFC 5681 inflation). */
	void (*on_congestion_event)(struct ust_tcp_cc_conn *c, void *priv);
	/* Recovery ended with a full ACK (c->flight is the flight after it): set cwnd. */
	void (*on_recovery_exit)(struct ust_tcp_cc_conn *c, void *priv);
	/* First retransmission timeout of a segment: set ssthresh and cwnd. */
	void (*on_rto)(struct ust_tcp_cc_conn *c, void *priv);
	/* Optional: pacing rate in bytes/s; NULL = the generic rule of ust_tcp_cc_pacing_rate. */
	uint64_t (*pacing_rate)(const struct ust_tcp_cc_conn *c, const void *priv);
	/* Optional: the module's HyStart++ state (read-only, for tests, stats and traces). */
	const struct ust_tcp_hystart *(*hystart)(const void *priv);
};

extern const struct ust_tcp_cc_ops ust_tcp_cc_newreno;
extern const struct ust_tcp_cc_ops ust_tcp_cc_cubic;

/* Per-stack registry. */
struct ust_tcp_cc_registry {
	const struct ust_tcp_cc_ops *ops[UST_TCP_CC_REGISTRY_MAX];
	unsigned count;
	const struct ust_tcp_cc_ops *dflt;
};

/* Registers the built-in modules; the default is UST_TCP_CC_DEFAULT. */
void ust_tcp_cc_registry_init(struct ust_tcp_cc_registry *reg);
/* -EINVAL (bad ops/name/priv size), -EEXIST (name taken), -ENOSPC (registry full). */
int ust_tcp_cc_register(struct ust_tcp_cc_registry *reg, const struct ust_tcp_cc_ops *ops);
/* NULL when no module has that name. */
const struct ust_tcp_cc_ops *ust_tcp_cc_find(const struct ust_tcp_cc_registry *reg,
					     const char *name);
/* -ENOENT when unknown. */
int ust_tcp_cc_set_default(struct ust_tcp_cc_registry *reg, const char *name);
const struct ust_tcp_cc_ops *ust_tcp_cc_default(const struct ust_tcp_cc_registry *reg);

/* Per-connection congestion state: the module, its view and the recovery bookkeeping. */
struct ust_tcp_cc {
	const struct ust_tcp_cc_ops *ops;
	struct ust_tcp_cc_conn conn;
	uint32_t recover;	/* RFC 6582: highest sequence number sent when recovery/RTO began */
	bool sack;		/* RFC 6675 recovery: no inflation, no partial-ACK retransmit */
	bool partial_seen;	/* a partial ACK already arrived in this recovery */
	bool rto_pending;	/* an RTO happened and SND.UNA has not moved since */
	/* cwnd validation (ust_tcp_cc_on_output), per window of data: the window ends when
	 * SND.UNA reaches usage_seq */
	bool cwnd_blocked;	/* the sender was held back by cwnd in this window */
	uint32_t max_flight;	/* highest FlightSize the sender reached in this window */
	uint32_t usage_seq;
	union {
		uint64_t u64[UST_TCP_CC_PRIV_MAX / 8];
		double d[UST_TCP_CC_PRIV_MAX / 8];
	} priv;
};

/*
 * RFC 6928 initial window: min(10*SMSS, max(2*SMSS, 14600)) bytes. (RFC 5681's IW of 2-4
 * segments is available by setting conn.cwnd after init.)
 */
uint32_t ust_tcp_cc_initial_window(uint32_t smss);

/*
 * Start congestion control for a connection whose ISS is iss (recover = iss, RFC 6582),
 * with cwnd = IW and ssthresh arbitrarily high. sack: the connection negotiated SACK and
 * recovers per RFC 6675. Returns -EINVAL when ops is NULL or declares too much state.
 */
int ust_tcp_cc_init(struct ust_tcp_cc *cc, const struct ust_tcp_cc_ops *ops, uint32_t smss,
		    uint32_t iss, bool sack, uint64_t now_ns);

/* Switch algorithm mid-connection (TCP_CONGESTION): cwnd/ssthresh kept, module state fresh. */
int ust_tcp_cc_set_ops(struct ust_tcp_cc *cc, const struct ust_tcp_cc_ops *ops);

/* What the caller must do after an ACK (bit flags). */
#define UST_TCP_CC_RETRANSMIT 0x1u	/* partial ACK (NewReno, no SACK): resend at SND.UNA */
#define UST_TCP_CC_RESTART_TIMER 0x2u	/* first partial ACK of this recovery: rearm the RTO */
#define UST_TCP_CC_EXITED 0x4u		/* full ACK: recovery is over */

/*
 * An ACK advanced SND.UNA to ack by acked bytes (acked > 0), flight is the FlightSize after
 * it, rtt_us a sample from it (0: none). Outside recovery the module grows cwnd (only while
 * cwnd-limited, ust_tcp_cc_on_output; conn.cwnd_limited tells the module); inside,
 * a full ACK (ack beyond recover) ends recovery and a partial one deflates cwnd (non-SACK).
 * Returns UST_TCP_CC_* flags.
 */
unsigned ust_tcp_cc_on_ack(struct ust_tcp_cc *cc, uint32_t ack, uint32_t acked, uint32_t flight,
			   uint32_t rtt_us, uint64_t now_ns);

/* A duplicate ACK arrived during recovery (non-SACK): cwnd += SMSS (RFC 5681 step 4). */
void ust_tcp_cc_on_dupack(struct ust_tcp_cc *cc);

/*
 * Loss detected (DupThresh duplicate ACKs, or RFC 6675 IsLost(HighACK+1)) at cumulative ack
 * with snd_nxt and FlightSize flight. Returns false, changing nothing, when recovery is
 * already on or when ack does not cover more than recover (RFC 6582 section 3.2 step 1:
 * dupacks from segments sent before the last recovery/RTO): then do not fast retransmit.
 * Returns true after the module set ssthresh/cwnd (plus 3*SMSS inflation without SACK);
 * the caller retransmits the segment at ack.
 */
bool ust_tcp_cc_enter_recovery(struct ust_tcp_cc *cc, uint32_t ack, uint32_t snd_nxt,
			       uint32_t flight, uint64_t now_ns);

/*
 * The retransmit timer fired with snd_una/snd_nxt and FlightSize flight (before the caller
 * marks anything lost). Ends recovery, sets recover = snd_nxt - 1. The first timeout of a
 * segment calls the module (ssthresh reduction, cwnd = 1 SMSS); a repeated one (SND.UNA
 * did not move since the last timeout) keeps ssthresh (RFC 5681 section 3.1) and sets
 * cwnd = 1 SMSS.
 */
void ust_tcp_cc_on_rto(struct ust_tcp_cc *cc, uint32_t snd_una, uint32_t snd_nxt, uint32_t flight,
		       uint64_t now_ns);

/* Data went out: SND.NXT is now snd_nxt (marks the end of a HyStart++ round). */
void ust_tcp_cc_on_send(struct ust_tcp_cc *cc, uint32_t snd_nxt);

/*
 * Cwnd validation: the sender finished a round of sending with SND.UNA snd_una, SND.NXT
 * (highest sent) snd_nxt and FlightSize flight; blocked: cwnd left less than one segment
 * for the data that was waiting. Linux's tcp_cwnd_validate / tcp_is_cwnd_limited rule, per
 * window of data (from a report until SND.UNA passes that report's SND.NXT), kept in
 * bytes: an ACK finds the connection cwnd-limited
 *   in slow start:           when cwnd < 2 * the window's highest FlightSize
 *                            (cwnd may grow to twice what was really used);
 *   in congestion avoidance: when the sender was blocked by cwnd in the window.
 * RFC 5681 section 4.1 / RFC 7661 / RFC 9438 section 5.8: cwnd grows only while it is used,
 * otherwise a receiver- or application-limited flow inflates it without bound and the first
 * window opening lets it all out at line rate. Until the first report the connection counts
 * as cwnd-limited (callers that never report keep the unvalidated behaviour).
 */
void ust_tcp_cc_on_output(struct ust_tcp_cc *cc, uint32_t snd_una, uint32_t snd_nxt,
			  uint32_t flight, bool blocked);

/* Whether an ACK now would find the connection cwnd-limited (the rule above). */
bool ust_tcp_cc_is_cwnd_limited(const struct ust_tcp_cc *cc);

/* New SMSS (PMTU change): cwnd is rescaled to the same number of segments. */
void ust_tcp_cc_set_smss(struct ust_tcp_cc *cc, uint32_t smss);

/* Keep the RTT view current (call when the RTT estimator changes). */
void ust_tcp_cc_set_rtt(struct ust_tcp_cc *cc, uint32_t srtt_us, uint32_t min_rtt_us);

static inline uint32_t ust_tcp_cc_cwnd(const struct ust_tcp_cc *cc)
{
	return cc->conn.cwnd;
}

static inline uint32_t ust_tcp_cc_ssthresh(const struct ust_tcp_cc *cc)
{
	return cc->conn.ssthresh;
}

static inline bool ust_tcp_cc_in_slow_start(const struct ust_tcp_cc *cc)
{
	return cc->conn.cwnd < cc->conn.ssthresh;
}

/*
 * Pacing hint in bytes/s (0 without an RTT estimate): the module's op, or else Linux's rule
 * cwnd/SRTT times 2 in slow start and 1.2 in congestion avoidance. Also stored in
 * conn.pacing_rate by on_ack.
 */
uint64_t ust_tcp_cc_pacing_rate(struct ust_tcp_cc *cc);

/* Shared Reno pieces, used by the modules (internal). */
/* RFC 5681 + RFC 3465: slow-start growth for acked bytes, capped at ssthresh. */
void ust__tcp_reno_slow_start(struct ust_tcp_cc_conn *c, uint32_t acked);
/* RFC 6582 step 3 (option 1): cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS). */
void ust__tcp_reno_recovery_exit(struct ust_tcp_cc_conn *c);

/*
 * HyStart++ (RFC 9406), used by CUBIC and NewReno in the initial slow start: slow start with
 * L = 8 (non-paced; NewReno keeps RFC 3465's L = 2), per-round minimum RTT of the round's
 * first 8 samples; a rise of the round's minimum RTT by
 * clamp(lastRoundMinRTT / 8, 4 ms, 16 ms) after 8 samples moves to Conservative Slow Start
 * (growth / 4); a fall below the CSS baseline goes back to slow start; 5 CSS rounds end slow
 * start (ssthresh = cwnd). A loss or timeout ends HyStart++ for the connection.
 */
#define UST_TCP_HYSTART_MIN_RTT_THRESH_US 4000u
#define UST_TCP_HYSTART_MAX_RTT_THRESH_US 16000u
#define UST_TCP_HYSTART_MIN_RTT_DIVISOR 8u
#define UST_TCP_HYSTART_N_RTT_SAMPLE 8u
#define UST_TCP_HYSTART_CSS_GROWTH_DIVISOR 4u
#define UST_TCP_HYSTART_CSS_ROUNDS 5u
#define UST_TCP_HYSTART_L 8u

struct ust_tcp_hystart {
	uint32_t l;		/* growth limit per ACK in slow start, segments (RFC 9406 L) */
	bool done;		/* initial slow start is over: plain slow start from now on */
	bool in_css;		/* Conservative Slow Start */
	bool round_valid;
	uint32_t window_end;	/* the round ends when an ACK reaches this */
	uint32_t last_round_min_rtt;	/* us, UINT32_MAX = none */
	uint32_t current_round_min_rtt;	/* all samples of the round so far */
	uint32_t first_samples_min_rtt;	/* the round's first N_RTT_SAMPLE samples: the checks */
	uint32_t rtt_sample_count;	/* counts up to N_RTT_SAMPLE */
	uint32_t css_baseline_min_rtt;
	uint32_t css_rounds;
};

/* l: the module's L (UST_TCP_HYSTART_L for CUBIC, UST_TCP_CC_ABC_L for NewReno). */
void ust__tcp_hystart_init(struct ust_tcp_hystart *h, uint32_t l);
/* RttThresh = clamp(last_round_min_rtt / 8, 4 ms, 16 ms), us. */
uint32_t ust__tcp_hystart_rtt_thresh(uint32_t last_round_min_rtt_us);
/* The connection's HyStart++ state, NULL when its module has none. */
const struct ust_tcp_hystart *ust__tcp_cc_hystart(const struct ust_tcp_cc *cc);
/* One ACK while cwnd < ssthresh and !h->done: grows cwnd, may end slow start. */
void ust__tcp_hystart_on_ack(struct ust_tcp_hystart *h, struct ust_tcp_cc_conn *c,
			     uint32_t acked, uint32_t rtt_us);

/* CUBIC (RFC 9438) constants and a read-only view of its state, for tests and stats. */
#define UST_TCP_CUBIC_C 0.4
#define UST_TCP_CUBIC_BETA 0.7

struct ust_tcp_cubic_view {
	double w_max;		/* segments: window before the last reduction (fast convergence applied) */
	double cwnd_prior;	/* segments: cwnd just before the last reduction */
	double k;		/* seconds: time W_cubic takes to get back to w_max */
	double w_est;		/* segments: Reno-friendly estimate */
	double cwnd_epoch;	/* segments: cwnd when the current CA epoch began */
	uint64_t epoch_start_ns;
	bool epoch_valid;	/* false until the first ACK in congestion avoidance */
	struct ust_tcp_hystart hystart;
};

/* Valid only when cc->ops == &ust_tcp_cc_cubic. */
void ust__tcp_cubic_view(const struct ust_tcp_cc *cc, struct ust_tcp_cubic_view *out);
/* W_cubic(t) = C (t - K)^3 + W_max in segments, t in seconds since the epoch began. */
double ust__tcp_cubic_w(const struct ust_tcp_cc *cc, double t);

#endif
