/*
 * NewReno congestion control module: RFC 5681 slow start and congestion avoidance with
 * RFC 3465 Appropriate Byte Counting (L = 2 in slow start, byte counting in CA), the RFC 5681
 * / RFC 6582 window values at loss (ssthresh = max(FlightSize/2, 2*SMSS)) and at the end of
 * recovery, and the RTO response (cwnd = LW = 1 SMSS). The recovery mechanics (recover,
 * inflation, partial-ACK deflation) are in tcp_cc.c because SACK recovery and CUBIC use the
 * same ones. Also exports the Reno pieces CUBIC reuses.
 *
 * The initial slow start is HyStart++ (RFC 9406 applies to any slow start; tcp_cc_hystart.c)
 * with the RFC 3465 limit L = 2 kept; after the first loss or timeout, plain RFC 5681/3465.
 * No growth (and no CA byte counting) on an ACK that finds the flow not cwnd-limited.
 */
#include "net/tcp_cc.h"

struct newreno {
	uint32_t bytes_acked;	/* RFC 3465 CA counter */
	struct ust_tcp_hystart hs;
};

_Static_assert(sizeof(struct newreno) <= UST_TCP_CC_PRIV_MAX, "newreno state too large");

void ust__tcp_reno_slow_start(struct ust_tcp_cc_conn *c, uint32_t acked)
{
	uint32_t limit = UST_TCP_CC_ABC_L * c->smss;
	uint32_t inc = acked < limit ? acked : limit;
	uint64_t cwnd = (uint64_t)c->cwnd + inc;

	/* do not overshoot ssthresh: the rest of the window grows by CA rules */
	if (cwnd > c->ssthresh)
		cwnd = c->ssthresh;
	c->cwnd = (uint32_t)cwnd;
}

void ust__tcp_reno_recovery_exit(struct ust_tcp_cc_conn *c)
{
	uint64_t fl = c->flight > c->smss ? c->flight : c->smss;

	fl += c->smss;
	c->cwnd = fl < c->ssthresh ? (uint32_t)fl : c->ssthresh;
}

static uint32_t half_flight(const struct ust_tcp_cc_conn *c)
{
	uint32_t half = c->flight / 2;

	return half > 2 * c->smss ? half : 2 * c->smss;
}

static void newreno_init(struct ust_tcp_cc_conn *c, void *priv)
{
	struct newreno *nr = priv;

	nr->bytes_acked = 0;
	ust__tcp_hystart_init(&nr->hs, UST_TCP_CC_ABC_L);
	/* a switch to NewReno mid-connection does not restart the initial slow start logic */
	nr->hs.done = c->ssthresh != UINT32_MAX;
}

static void newreno_on_ack(struct ust_tcp_cc_conn *c, void *priv, uint32_t acked, uint32_t rtt_us)
{
	struct newreno *nr = priv;

	(void)rtt_us;
	if (!c->cwnd_limited)
		return;	/* RFC 5681 4.1, RFC 7661: the window was not used, no evidence to grow it */
	if (c->cwnd < c->ssthresh) {
		if (!nr->hs.done)
			ust__tcp_hystart_on_ack(&nr->hs, c, acked, rtt_us);
		else
			ust__tcp_reno_slow_start(c, acked);
		return;
	}
	nr->hs.done = true;
	/* RFC 3465 2.1: one SMSS per cwnd bytes acknowledged */
	nr->bytes_acked += acked;
	if (nr->bytes_acked >= c->cwnd) {
		nr->bytes_acked -= c->cwnd;
		if (c->cwnd <= UINT32_MAX - c->smss)
			c->cwnd += c->smss;
	}
}

static void newreno_on_congestion_event(struct ust_tcp_cc_conn *c, void *priv)
{
	struct newreno *nr = priv;

	c->ssthresh = half_flight(c);	/* RFC 5681 eq. (4), RFC 6582 step 2 */
	c->cwnd = c->ssthresh;
	nr->bytes_acked = 0;
	nr->hs.done = true;	/* a loss ends HyStart++ (RFC 9406 4.2) */
	nr->hs.in_css = false;
}

static void newreno_on_recovery_exit(struct ust_tcp_cc_conn *c, void *priv)
{
	(void)priv;
	ust__tcp_reno_recovery_exit(c);
}

static void newreno_on_rto(struct ust_tcp_cc_conn *c, void *priv)
{
	struct newreno *nr = priv;

	c->ssthresh = half_flight(c);
	c->cwnd = c->smss;	/* loss window */
	nr->bytes_acked = 0;
	nr->hs.done = true;
	nr->hs.in_css = false;
}

static const struct ust_tcp_hystart *newreno_hystart(const void *priv)
{
	return &((const struct newreno *)priv)->hs;
}

const struct ust_tcp_cc_ops ust_tcp_cc_newreno = {
	.name = "newreno",
	.priv_size = sizeof(struct newreno),
	.init = newreno_init,
	.on_ack = newreno_on_ack,
	.on_congestion_event = newreno_on_congestion_event,
	.on_recovery_exit = newreno_on_recovery_exit,
	.on_rto = newreno_on_rto,
	.hystart = newreno_hystart,
};
