/*
 * CUBIC congestion control (RFC 9438), as a tcp_cc module.
 *
 * Arithmetic: IEEE double for the cubic function and the window in segments (cbrt from libm);
 * the window handed back to TCP is floor(cwnd_segments * SMSS) bytes. The fractional part is
 * kept in the private state between ACKs so that sub-byte increments accumulate; if TCP
 * changed cwnd behind our back (recovery inflation, SMSS change) the byte value wins.
 *
 *   W_cubic(t) = C (t - K)^3 + W_max,  K = cbrt((W_max - cwnd_epoch) / C)        (4.2)
 *   target = clamp(W_cubic(t + RTT), cwnd, 1.5 cwnd); cwnd += (target - cwnd)/cwnd per
 *   segment acknowledged                                                           (4.4, 4.5)
 *   W_est += alpha_cubic * segments_acked / cwnd, alpha_cubic = 3(1 - beta)/(1 + beta), and 1
 *   once W_est >= cwnd_prior; when W_cubic(t) < W_est, cwnd = W_est (Reno-friendly) (4.3)
 *   on loss: W_max = cwnd, or cwnd (1 + beta)/2 if cwnd < W_max (fast convergence, 4.7);
 *   ssthresh = max(FlightSize * beta, 2 SMSS), cwnd = ssthresh                      (4.6)
 *   on RTO: ssthresh as on loss, cwnd = 1 SMSS (Reno, 4.8); the first CA epoch after it uses
 *   K = 0 and W_max = cwnd at the epoch's start.
 * t runs from the first ACK in congestion avoidance after a reduction (the epoch); RTT is the
 * smoothed RTT (min RTT if no SRTT yet). The initial slow start uses HyStart++ (RFC 9406,
 * tcp_cc_hystart.c, L = 8); after the first loss or timeout slow start is RFC 5681 with
 * RFC 3465 ABC (L = 2). No growth while in recovery (tcp_cc.c).
 * No growth either on an ACK that finds the flow not cwnd-limited (RFC 9438 5.8): neither cwnd
 * nor W_est moves, and the time until growth resumes is left out of t (epoch_start moves
 * forward by it, like Linux does for idle periods) so that W_cubic continues from where it
 * stopped instead of jumping by the whole pause; an epoch that has not begun yet begins at
 * the first cwnd-limited ACK.
 */
#include <math.h>
#include <string.h>

#include "net/tcp_cc.h"

#define C UST_TCP_CUBIC_C
#define BETA UST_TCP_CUBIC_BETA
#define ALPHA_CUBIC (3.0 * (1.0 - BETA) / (1.0 + BETA))

struct cubic {
	double w_max;
	double cwnd_prior;
	double k;
	double w_est;
	double cwnd_epoch;
	double cwnd_seg;	/* our fractional cwnd, segments */
	uint64_t epoch_start_ns;
	uint64_t pause_start_ns;	/* first ACK of the current pause in growth */
	bool epoch_valid;
	bool paused;		/* the epoch is suspended: not cwnd-limited since pause_start_ns */
	bool after_rto;
	struct ust_tcp_hystart hs;
};

_Static_assert(sizeof(struct cubic) <= UST_TCP_CC_PRIV_MAX, "cubic state too large");

static double cubic_w(const struct cubic *cu, double t)
{
	double d = t - cu->k;

	return C * d * d * d + cu->w_max;
}

static void set_cwnd(struct ust_tcp_cc_conn *c, struct cubic *cu, double seg)
{
	double bytes = seg * c->smss;

	cu->cwnd_seg = seg;
	c->cwnd = bytes >= (double)UINT32_MAX ? UINT32_MAX : (uint32_t)bytes;
}

/* Our fractional view, unless TCP moved cwnd itself. */
static double cur_seg(const struct ust_tcp_cc_conn *c, const struct cubic *cu)
{
	double bytes = cu->cwnd_seg * c->smss;
	uint32_t b = bytes >= (double)UINT32_MAX ? UINT32_MAX : (uint32_t)bytes;

	return b == c->cwnd ? cu->cwnd_seg : (double)c->cwnd / c->smss;
}

static void cubic_init(struct ust_tcp_cc_conn *c, void *priv)
{
	struct cubic *cu = priv;

	memset(cu, 0, sizeof(*cu));
	cu->cwnd_seg = (double)c->cwnd / c->smss;
	ust__tcp_hystart_init(&cu->hs, UST_TCP_HYSTART_L);
	/* a switch to CUBIC mid-connection does not restart the initial slow start logic */
	cu->hs.done = c->ssthresh != UINT32_MAX;
}

static void start_epoch(const struct ust_tcp_cc_conn *c, struct cubic *cu, double cwnd)
{
	cu->epoch_valid = true;
	cu->paused = false;
	cu->epoch_start_ns = c->now_ns;
	cu->cwnd_epoch = cwnd;
	cu->w_est = cwnd;
	if (cu->after_rto || cu->w_max <= 0) {
		/* 4.8 (and no loss seen yet): grow from here, convex, K = 0 */
		cu->w_max = cwnd;
		cu->k = 0;
		cu->after_rto = false;
	} else {
		cu->k = cbrt((cu->w_max - cwnd) / C);
	}
}

static void cubic_on_ack(struct ust_tcp_cc_conn *c, void *priv, uint32_t acked, uint32_t rtt_us)
{
	struct cubic *cu = priv;
	double cwnd, segs, t, rtt, alpha, target;

	if (c->cwnd < c->ssthresh) {
		if (!c->cwnd_limited)
			return;
		if (!cu->hs.done)
			ust__tcp_hystart_on_ack(&cu->hs, c, acked, rtt_us);
		else
			ust__tcp_reno_slow_start(c, acked);
		cu->cwnd_seg = (double)c->cwnd / c->smss;
		return;
	}
	cu->hs.done = true;
	if (!c->cwnd_limited) {
		if (cu->epoch_valid && !cu->paused) {
			cu->paused = true;
			cu->pause_start_ns = c->now_ns;
		}
		return;
	}
	if (cu->paused) {
		/* growth resumes: the pause does not count in t */
		if (c->now_ns > cu->pause_start_ns)
			cu->epoch_start_ns += c->now_ns - cu->pause_start_ns;
		cu->paused = false;
	}
	cwnd = cur_seg(c, cu);
	if (!cu->epoch_valid)
		start_epoch(c, cu, cwnd);
	segs = (double)acked / c->smss;
	t = c->now_ns > cu->epoch_start_ns ? (double)(c->now_ns - cu->epoch_start_ns) / 1e9 : 0;
	rtt = (c->srtt_us ? c->srtt_us : c->min_rtt_us) / 1e6;

	alpha = cu->w_est >= cu->cwnd_prior ? 1.0 : ALPHA_CUBIC;
	cu->w_est += alpha * segs / cwnd;

	if (cubic_w(cu, t) < cu->w_est) {
		/* Reno-friendly region */
		if (cu->w_est > cwnd)
			cwnd = cu->w_est;
	} else {
		/* concave or convex region */
		target = cubic_w(cu, t + rtt);
		if (target < cwnd)
			target = cwnd;
		else if (target > 1.5 * cwnd)
			target = 1.5 * cwnd;
		cwnd += (target - cwnd) / cwnd * segs;
	}
	set_cwnd(c, cu, cwnd);
}

/* 4.6 / 4.7: remember the window and set ssthresh; returns the new ssthresh in bytes. */
static uint32_t reduce(struct ust_tcp_cc_conn *c, struct cubic *cu)
{
	double cwnd = cur_seg(c, cu);
	double ss = (double)c->flight * BETA;

	if (cwnd < cu->w_max)
		cu->w_max = cwnd * (1.0 + BETA) / 2.0;	/* fast convergence */
	else
		cu->w_max = cwnd;
	cu->cwnd_prior = cwnd;
	cu->epoch_valid = false;
	cu->paused = false;
	cu->hs.done = true;
	cu->hs.in_css = false;
	if (ss < 2.0 * c->smss)
		ss = 2.0 * c->smss;
	c->ssthresh = ss >= (double)UINT32_MAX ? UINT32_MAX : (uint32_t)ss;
	return c->ssthresh;
}

static void cubic_on_congestion_event(struct ust_tcp_cc_conn *c, void *priv)
{
	struct cubic *cu = priv;

	cu->after_rto = false;
	set_cwnd(c, cu, (double)reduce(c, cu) / c->smss);
}

static void cubic_on_recovery_exit(struct ust_tcp_cc_conn *c, void *priv)
{
	struct cubic *cu = priv;

	ust__tcp_reno_recovery_exit(c);
	cu->cwnd_seg = (double)c->cwnd / c->smss;
	cu->epoch_valid = false;	/* t starts at the first CA ACK after recovery */
	cu->paused = false;
}

static void cubic_on_rto(struct ust_tcp_cc_conn *c, void *priv)
{
	struct cubic *cu = priv;

	reduce(c, cu);
	cu->after_rto = true;
	set_cwnd(c, cu, 1.0);
}

static const struct ust_tcp_hystart *cubic_hystart(const void *priv)
{
	return &((const struct cubic *)priv)->hs;
}

const struct ust_tcp_cc_ops ust_tcp_cc_cubic = {
	.name = "cubic",
	.priv_size = sizeof(struct cubic),
	.init = cubic_init,
	.on_ack = cubic_on_ack,
	.on_congestion_event = cubic_on_congestion_event,
	.on_recovery_exit = cubic_on_recovery_exit,
	.on_rto = cubic_on_rto,
	.hystart = cubic_hystart,
};

void ust__tcp_cubic_view(const struct ust_tcp_cc *cc, struct ust_tcp_cubic_view *out)
{
	const struct cubic *cu = (const struct cubic *)(const void *)&cc->priv;

	*out = (struct ust_tcp_cubic_view){
		.w_max = cu->w_max, .cwnd_prior = cu->cwnd_prior, .k = cu->k, .w_est = cu->w_est,
		.cwnd_epoch = cu->cwnd_epoch, .epoch_start_ns = cu->epoch_start_ns,
		.epoch_valid = cu->epoch_valid, .hystart = cu->hs,
	};
}

double ust__tcp_cubic_w(const struct ust_tcp_cc *cc, double t)
{
	return cubic_w((const struct cubic *)(const void *)&cc->priv, t);
}
