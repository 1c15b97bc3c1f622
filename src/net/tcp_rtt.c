/*
 * RFC 6298 RTT estimator and RTO with backoff, Karn timing, and RFC 7323 Appendix G per-ACK
 * timestamp samples. Pure arithmetic on a struct the connection owns; no clock reads.
 */
#include "net/tcp_rtt.h"

#include "net/tcp_seq.h"

#define FRAC UST_TCP_RTT_FRAC_BITS

void ust_tcp_rtt_config_default(struct ust_tcp_rtt_config *cfg)
{
	cfg->min_rto_us = UST_TCP_RTO_MIN_US_DEFAULT;
	cfg->max_rto_us = UST_TCP_RTO_MAX_US_DEFAULT;
	cfg->initial_rto_us = UST_TCP_RTO_INITIAL_US_DEFAULT;
	cfg->granularity_us = UST_TCP_RTT_GRANULARITY_US_DEFAULT;
}

static uint32_t clamp_rto(const struct ust_tcp_rtt *r, uint64_t us)
{
	if (us < r->cfg.min_rto_us)
		return r->cfg.min_rto_us;
	if (us > r->cfg.max_rto_us)
		return r->cfg.max_rto_us;
	return (uint32_t)us;
}

void ust_tcp_rtt_init(struct ust_tcp_rtt *r, const struct ust_tcp_rtt_config *cfg)
{
	struct ust_tcp_rtt_config d;

	ust_tcp_rtt_config_default(&d);
	*r = (struct ust_tcp_rtt){ 0 };
	r->cfg = d;
	if (cfg) {
		if (cfg->min_rto_us)
			r->cfg.min_rto_us = cfg->min_rto_us;
		if (cfg->max_rto_us)
			r->cfg.max_rto_us = cfg->max_rto_us;
		if (cfg->initial_rto_us)
			r->cfg.initial_rto_us = cfg->initial_rto_us;
		r->cfg.granularity_us = cfg->granularity_us;	/* 0 is a legal G */
	}
	if (r->cfg.max_rto_us < r->cfg.min_rto_us)
		r->cfg.max_rto_us = r->cfg.min_rto_us;
	r->min_us = UINT32_MAX;
	r->base_rto_us = clamp_rto(r, r->cfg.initial_rto_us);
}

static void recompute(struct ust_tcp_rtt *r)
{
	uint64_t var4 = r->rttvar_fp * 4;
	uint64_t g = (uint64_t)r->cfg.granularity_us << FRAC;
	uint64_t fp = r->srtt_fp + (var4 > g ? var4 : g);

	/* round up so that the timer never fires before SRTT + 4 RTTVAR */
	r->base_rto_us = clamp_rto(r, (fp + (1u << FRAC) - 1) >> FRAC);
	r->backoff = 0;
}

static void sample_weighted(struct ust_tcp_rtt *r, uint32_t rtt_us, uint32_t expected)
{
	int64_t rfp = (int64_t)rtt_us << FRAC;

	r->latest_us = rtt_us;
	if (rtt_us < r->min_us)
		r->min_us = rtt_us;
	if (!r->has_sample) {
		/* RFC 6298 2.2 */
		r->srtt_fp = (uint64_t)rfp;
		r->rttvar_fp = (uint64_t)rfp / 2;
		r->has_sample = true;
	} else {
		/* RFC 6298 2.3: RTTVAR first, with the old SRTT */
		int64_t srtt = (int64_t)r->srtt_fp;
		int64_t var = (int64_t)r->rttvar_fp;
		int64_t err = srtt > rfp ? srtt - rfp : rfp - srtt;

		var += (err - var) / (4 * (int64_t)expected);
		srtt += (rfp - srtt) / (8 * (int64_t)expected);
		r->rttvar_fp = (uint64_t)var;
		r->srtt_fp = (uint64_t)srtt;
	}
	recompute(r);
}

void ust_tcp_rtt_sample(struct ust_tcp_rtt *r, uint32_t rtt_us)
{
	sample_weighted(r, rtt_us, 1);
}

void ust_tcp_rtt_sample_ts(struct ust_tcp_rtt *r, uint32_t rtt_us, uint32_t flight, uint32_t smss)
{
	uint32_t per = smss ? 2 * smss : 1;
	uint32_t expected = flight / per + (flight % per != 0);

	sample_weighted(r, rtt_us, expected ? expected : 1);
}

uint32_t ust_tcp_rtt_rto(const struct ust_tcp_rtt *r)
{
	uint32_t shift = r->backoff > 32 ? 32 : r->backoff;
	uint64_t rto = (uint64_t)r->base_rto_us << shift;

	return rto > r->cfg.max_rto_us ? r->cfg.max_rto_us : (uint32_t)rto;
}

void ust_tcp_rtt_backoff(struct ust_tcp_rtt *r)
{
	/* stop counting once the RTO sits at max; keeps the shift bounded */
	if (ust_tcp_rtt_rto(r) < r->cfg.max_rto_us)
		r->backoff++;
}

uint32_t ust_tcp_rtt_srtt_us(const struct ust_tcp_rtt *r)
{
	return (uint32_t)(r->srtt_fp >> FRAC);
}

uint32_t ust_tcp_rtt_rttvar_us(const struct ust_tcp_rtt *r)
{
	return (uint32_t)(r->rttvar_fp >> FRAC);
}

void ust_tcp_rtt_handshake_done(struct ust_tcp_rtt *r, bool syn_retransmitted)
{
	if (!syn_retransmitted || r->has_sample)
		return;
	if (r->base_rto_us < UST_TCP_RTO_SYN_FALLBACK_US)
		r->base_rto_us = clamp_rto(r, UST_TCP_RTO_SYN_FALLBACK_US);
	r->backoff = 0;
}

void ust_tcp_rtt_timing_start(struct ust_tcp_rtt *r, uint32_t seq_end, uint64_t now_ns)
{
	if (r->timing)
		return;
	r->timing = true;
	r->timed_end = seq_end;
	r->timed_at_ns = now_ns;
}

void ust_tcp_rtt_timing_cancel(struct ust_tcp_rtt *r)
{
	r->timing = false;
}

bool ust_tcp_rtt_timing_ack(struct ust_tcp_rtt *r, uint32_t ack, uint64_t now_ns)
{
	uint64_t us;

	if (!r->timing || ust_seq_lt(ack, r->timed_end))
		return false;
	r->timing = false;
	us = now_ns > r->timed_at_ns ? (now_ns - r->timed_at_ns) / 1000u : 0;
	if (us == 0)
		us = 1;	/* a zero sample would claim infinite precision */
	ust_tcp_rtt_sample(r, us > UINT32_MAX ? UINT32_MAX : (uint32_t)us);
	return true;
}
