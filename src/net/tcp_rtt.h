/*
 * Round-trip time estimation and retransmission timeout (RFC 6298), in integer microseconds.
 * Owned by one connection; fed by the ACK path (tcp input) and read by the retransmit timer.
 *
 *   first sample R:  SRTT = R, RTTVAR = R/2
 *   later samples:   RTTVAR = (1 - beta) RTTVAR + beta |SRTT - R|,
 *                    SRTT = (1 - alpha) SRTT + alpha R
 *                    (alpha = 1/8, beta = 1/4; RTTVAR uses the SRTT from before this sample)
 *   RTO = SRTT + max(G, 4 RTTVAR), clamped to [min_rto, max_rto], doubled on each expiry.
 *
 * Deviations and choices, all configurable:
 *   - min RTO 200 ms like Linux (RFC 6298 2.4 says 1 s); max RTO 120 s (RFC: at least 60 s);
 *     initial RTO 1 s (RFC 6298 2.1); G = 1 ms (the timer wheel's default tick).
 * SRTT and RTTVAR are kept in fixed point (1/256 us) so that the RFC 7323 Appendix G per-ACK
 * weights (alpha/ExpectedSamples) do not round to zero.
 *
 * Two ways to get samples:
 *   - without timestamps, Karn's algorithm: time one segment at a time (timing_start on new
 *     data), cancel on any retransmission (timing_cancel), sample when an ACK covers it
 *     (timing_ack); the backed-off RTO is kept until a new sample arrives.
 *   - with timestamps (RFC 7323 section 4 and Appendix G): every ACK that advances SND.UNA
 *     gives a sample now - TSecr; pass it with the FlightSize so the weights are divided by
 *     ExpectedSamples = ceil(FlightSize / (2 SMSS)).
 */
#ifndef UST_NET_TCP_RTT_H
#define UST_NET_TCP_RTT_H

#include <stdbool.h>
#include <stdint.h>

#define UST_TCP_RTO_MIN_US_DEFAULT 200000u		/* Linux TCP_RTO_MIN; RFC 6298 says 1 s */
#define UST_TCP_RTO_MAX_US_DEFAULT 120000000u		/* Linux TCP_RTO_MAX; RFC: >= 60 s */
#define UST_TCP_RTO_INITIAL_US_DEFAULT 1000000u		/* RFC 6298 2.1 */
#define UST_TCP_RTO_SYN_FALLBACK_US 3000000u		/* RFC 6298 5.7 */
#define UST_TCP_RTT_GRANULARITY_US_DEFAULT 1000u	/* G: timer wheel tick */
#define UST_TCP_RTT_FRAC_BITS 8				/* fixed point of srtt/rttvar */

struct ust_tcp_rtt_config {
	uint32_t min_rto_us;
	uint32_t max_rto_us;
	uint32_t initial_rto_us;
	uint32_t granularity_us;
};

struct ust_tcp_rtt {
	struct ust_tcp_rtt_config cfg;
	uint64_t srtt_fp;	/* SRTT << UST_TCP_RTT_FRAC_BITS */
	uint64_t rttvar_fp;	/* RTTVAR << UST_TCP_RTT_FRAC_BITS */
	uint32_t base_rto_us;	/* RTO before backoff, already clamped */
	uint32_t backoff;	/* number of expiries since the last sample */
	uint32_t latest_us;	/* last sample */
	uint32_t min_us;	/* smallest sample seen (for CUBIC/HyStart); UINT32_MAX if none */
	bool has_sample;
	/* Karn timing of one segment (no timestamps) */
	bool timing;
	uint32_t timed_end;	/* sample when an ACK reaches this sequence number */
	uint64_t timed_at_ns;
};

/* Defaults as documented above. */
void ust_tcp_rtt_config_default(struct ust_tcp_rtt_config *cfg);

/*
 * Initialise with cfg (NULL = defaults). A cfg with zero fields gets defaults for those;
 * min_rto is raised to at least 1 us and max_rto to at least min_rto.
 */
void ust_tcp_rtt_init(struct ust_tcp_rtt *r, const struct ust_tcp_rtt_config *cfg);

/* One RTT measurement with the RFC 6298 weights. Clears the backoff (RFC 6298 5.7 / Karn). */
void ust_tcp_rtt_sample(struct ust_tcp_rtt *r, uint32_t rtt_us);

/*
 * One per-ACK timestamp measurement (RFC 7323 Appendix G): weights alpha/E and beta/E with
 * E = ceil(flight / (2 smss)), at least 1. The first sample initialises as usual.
 */
void ust_tcp_rtt_sample_ts(struct ust_tcp_rtt *r, uint32_t rtt_us, uint32_t flight, uint32_t smss);

/* Current RTO in us (with backoff, clamped to max_rto): arm the retransmit timer with it. */
uint32_t ust_tcp_rtt_rto(const struct ust_tcp_rtt *r);

/* The retransmit timer expired: double the RTO (RFC 6298 5.5), up to max_rto. */
void ust_tcp_rtt_backoff(struct ust_tcp_rtt *r);

/* SRTT and RTTVAR in whole us (0 before the first sample). */
uint32_t ust_tcp_rtt_srtt_us(const struct ust_tcp_rtt *r);
uint32_t ust_tcp_rtt_rttvar_us(const struct ust_tcp_rtt *r);

/*
 * RFC 6298 5.7: the handshake finished after the SYN (or SYN-ACK) had to be retransmitted
 * and no RTT sample exists: the RTO becomes 3 s (unless configured higher) with no backoff.
 */
void ust_tcp_rtt_handshake_done(struct ust_tcp_rtt *r, bool syn_retransmitted);

/* Karn timing (no timestamps). start does nothing if a segment is already timed. */
void ust_tcp_rtt_timing_start(struct ust_tcp_rtt *r, uint32_t seq_end, uint64_t now_ns);
void ust_tcp_rtt_timing_cancel(struct ust_tcp_rtt *r);
/* An ACK with cumulative ack arrived: returns true (and samples) if it covers the timed one. */
bool ust_tcp_rtt_timing_ack(struct ust_tcp_rtt *r, uint32_t ack, uint64_t now_ns);

#endif
