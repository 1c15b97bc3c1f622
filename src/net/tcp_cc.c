/*
 * Congestion-control registry and the recovery bookkeeping shared by every module
 * (RFC 5681 section 3.2, RFC 6582 section 3.2, RFC 6675 section 5). Modules only decide
 * window values; this file decides when they are asked.
 */
#include "net/tcp_cc.h"

#include <errno.h>
#include <string.h>

#include "net/tcp_seq.h"
#include "ustack/stack.h"

/* What every stack's registry starts with, in registration order. */
static const struct ust_tcp_cc_ops *const builtin[] = { &ust_tcp_cc_newreno, &ust_tcp_cc_cubic };

void ust_tcp_cc_registry_init(struct ust_tcp_cc_registry *reg)
{
	memset(reg, 0, sizeof(*reg));
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		ust_tcp_cc_register(reg, builtin[i]);
	ust_tcp_cc_set_default(reg, UST_TCP_CC_DEFAULT);
}

const char *ust_tcp_congestion_builtin(unsigned index)
{
	return index < sizeof(builtin) / sizeof(builtin[0]) ? builtin[index]->name : NULL;
}

int ust_tcp_cc_register(struct ust_tcp_cc_registry *reg, const struct ust_tcp_cc_ops *ops)
{
	if (!ops || !ops->name || !ops->name[0] || strlen(ops->name) >= UST_TCP_CC_NAME_MAX ||
	    ops->priv_size > UST_TCP_CC_PRIV_MAX || !ops->on_ack || !ops->on_congestion_event ||
	    !ops->on_recovery_exit || !ops->on_rto)
		return -EINVAL;
	if (ust_tcp_cc_find(reg, ops->name))
		return -EEXIST;
	if (reg->count >= UST_TCP_CC_REGISTRY_MAX)
		return -ENOSPC;
	reg->ops[reg->count++] = ops;
	if (!reg->dflt)
		reg->dflt = ops;
	return 0;
}

const struct ust_tcp_cc_ops *ust_tcp_cc_find(const struct ust_tcp_cc_registry *reg,
					     const char *name)
{
	if (!name)
		return NULL;
	for (unsigned i = 0; i < reg->count; i++)
		if (strcmp(reg->ops[i]->name, name) == 0)
			return reg->ops[i];
	return NULL;
}

int ust_tcp_cc_set_default(struct ust_tcp_cc_registry *reg, const char *name)
{
	const struct ust_tcp_cc_ops *ops = ust_tcp_cc_find(reg, name);

	if (!ops)
		return -ENOENT;
	reg->dflt = ops;
	return 0;
}

const struct ust_tcp_cc_ops *ust_tcp_cc_default(const struct ust_tcp_cc_registry *reg)
{
	return reg->dflt;
}

uint32_t ust_tcp_cc_initial_window(uint32_t smss)
{
	uint32_t ten = 10 * smss, floor = 2 * smss > 14600 ? 2 * smss : 14600;

	return ten < floor ? ten : floor;
}

int ust_tcp_cc_set_ops(struct ust_tcp_cc *cc, const struct ust_tcp_cc_ops *ops)
{
	if (!ops || ops->priv_size > UST_TCP_CC_PRIV_MAX)
		return -EINVAL;
	cc->ops = ops;
	memset(&cc->priv, 0, sizeof(cc->priv));
	if (ops->init)
		ops->init(&cc->conn, &cc->priv);
	return 0;
}

int ust_tcp_cc_init(struct ust_tcp_cc *cc, const struct ust_tcp_cc_ops *ops, uint32_t smss,
		    uint32_t iss, bool sack, uint64_t now_ns)
{
	if (!ops || ops->priv_size > UST_TCP_CC_PRIV_MAX || smss == 0)
		return -EINVAL;
	memset(cc, 0, sizeof(*cc));
	cc->conn.smss = smss;
	cc->conn.cwnd = ust_tcp_cc_initial_window(smss);
	cc->conn.ssthresh = UINT32_MAX;
	cc->conn.now_ns = now_ns;
	cc->conn.snd_una = iss + 1;
	cc->conn.snd_nxt = iss + 1;
	cc->recover = iss;
	cc->sack = sack;
	cc->cwnd_blocked = true;	/* no report yet: grow as if cwnd-limited */
	cc->usage_seq = iss + 1;
	return ust_tcp_cc_set_ops(cc, ops);
}

unsigned ust_tcp_cc_on_ack(struct ust_tcp_cc *cc, uint32_t ack, uint32_t acked, uint32_t flight,
			   uint32_t rtt_us, uint64_t now_ns)
{
	struct ust_tcp_cc_conn *c = &cc->conn;
	unsigned flags = 0;

	c->now_ns = now_ns;
	c->flight = flight;
	if (acked == 0)
		return 0;
	c->snd_una = ack;
	cc->rto_pending = false;
	if (c->in_recovery) {
		if (ust_seq_gt(ack, cc->recover)) {
			/* full ACK: everything up to and including recover is acknowledged */
			c->in_recovery = false;
			cc->ops->on_recovery_exit(c, &cc->priv);
			flags = UST_TCP_CC_EXITED;
		} else {
			/* partial ACK (RFC 6582 step 5) */
			if (!cc->sack) {
				c->cwnd = acked < c->cwnd ? c->cwnd - acked : 0;
				if (acked >= c->smss)
					c->cwnd += c->smss;
				if (c->cwnd < c->smss)
					c->cwnd = c->smss;
				flags |= UST_TCP_CC_RETRANSMIT;
			}
			if (!cc->partial_seen) {
				cc->partial_seen = true;
				flags |= UST_TCP_CC_RESTART_TIMER;
			}
		}
	} else {
		/* the module sees every ACK (CUBIC keeps its clock honest) and grows only when
		 * cwnd_limited */
		c->cwnd_limited = ust_tcp_cc_is_cwnd_limited(cc);
		cc->ops->on_ack(c, &cc->priv, acked, rtt_us);
	}
	ust_tcp_cc_pacing_rate(cc);
	return flags;
}

void ust_tcp_cc_on_dupack(struct ust_tcp_cc *cc)
{
	if (cc->conn.in_recovery && !cc->sack && cc->conn.cwnd <= UINT32_MAX - cc->conn.smss)
		cc->conn.cwnd += cc->conn.smss;
}

bool ust_tcp_cc_enter_recovery(struct ust_tcp_cc *cc, uint32_t ack, uint32_t snd_nxt,
			       uint32_t flight, uint64_t now_ns)
{
	struct ust_tcp_cc_conn *c = &cc->conn;

	if (c->in_recovery || !ust_seq_gt(ack, cc->recover))
		return false;
	c->now_ns = now_ns;
	c->flight = flight;
	c->snd_una = ack;
	c->snd_nxt = snd_nxt;
	cc->recover = snd_nxt - 1;
	cc->partial_seen = false;
	c->in_recovery = true;
	cc->ops->on_congestion_event(c, &cc->priv);
	if (!cc->sack)
		c->cwnd += 3 * c->smss;	/* RFC 5681 step 3: the three segments that left */
	return true;
}

void ust_tcp_cc_on_rto(struct ust_tcp_cc *cc, uint32_t snd_una, uint32_t snd_nxt, uint32_t flight,
		       uint64_t now_ns)
{
	struct ust_tcp_cc_conn *c = &cc->conn;

	c->now_ns = now_ns;
	c->snd_una = snd_una;
	c->snd_nxt = snd_nxt;
	c->flight = flight;
	c->in_recovery = false;
	cc->recover = snd_nxt - 1;	/* RFC 6582 section 4 */
	if (cc->rto_pending) {
		c->cwnd = c->smss;	/* same segment timed out again: ssthresh held */
	} else {
		cc->ops->on_rto(c, &cc->priv);
		cc->rto_pending = true;
	}
	ust_tcp_cc_pacing_rate(cc);
}

void ust_tcp_cc_on_send(struct ust_tcp_cc *cc, uint32_t snd_nxt)
{
	cc->conn.snd_nxt = snd_nxt;
}

void ust_tcp_cc_on_output(struct ust_tcp_cc *cc, uint32_t snd_una, uint32_t snd_nxt,
			  uint32_t flight, bool blocked)
{
	/* Keep the strongest signal of the window (Linux tcp_cwnd_validate): a block by cwnd
	 * holds until the window ends; otherwise the highest flight. A new window starts over. */
	if (ust_seq_geq(snd_una, cc->usage_seq) || blocked ||
	    (!cc->cwnd_blocked && flight > cc->max_flight)) {
		cc->cwnd_blocked = blocked;
		cc->max_flight = flight;
		cc->usage_seq = snd_nxt;
	}
}

bool ust_tcp_cc_is_cwnd_limited(const struct ust_tcp_cc *cc)
{
	const struct ust_tcp_cc_conn *c = &cc->conn;

	if (c->cwnd < c->ssthresh)
		return cc->cwnd_blocked || (uint64_t)c->cwnd < 2 * (uint64_t)cc->max_flight;
	return cc->cwnd_blocked;
}

const struct ust_tcp_hystart *ust__tcp_cc_hystart(const struct ust_tcp_cc *cc)
{
	return cc->ops && cc->ops->hystart ? cc->ops->hystart(&cc->priv) : NULL;
}

void ust_tcp_cc_set_smss(struct ust_tcp_cc *cc, uint32_t smss)
{
	struct ust_tcp_cc_conn *c = &cc->conn;
	uint64_t segs;

	if (smss == 0 || smss == c->smss)
		return;
	/* Not started yet (an ICMP frag-needed during the handshake lowers the tcb's MSS before
	 * ust_tcp_cc_init ran): there is no window to rescale, and init takes the new MSS. Found by
	 * fuzz_tcpconn: c->smss == 0 divided by zero here. */
	if (c->smss == 0)
		return;
	segs = c->cwnd / c->smss;
	if (segs == 0)
		segs = 1;
	segs *= smss;
	c->cwnd = segs > UINT32_MAX ? UINT32_MAX : (uint32_t)segs;
	c->smss = smss;
}

void ust_tcp_cc_set_rtt(struct ust_tcp_cc *cc, uint32_t srtt_us, uint32_t min_rtt_us)
{
	cc->conn.srtt_us = srtt_us;
	cc->conn.min_rtt_us = min_rtt_us;
}

uint64_t ust_tcp_cc_pacing_rate(struct ust_tcp_cc *cc)
{
	struct ust_tcp_cc_conn *c = &cc->conn;
	uint64_t rate = 0;

	if (cc->ops->pacing_rate) {
		rate = cc->ops->pacing_rate(c, &cc->priv);
	} else if (c->srtt_us) {
		/* bytes per second = cwnd / srtt * factor, factor 2 (SS) or 1.2 (CA), in tenths */
		uint64_t factor = c->cwnd < c->ssthresh ? 20 : 12;

		rate = (uint64_t)c->cwnd * 1000000ull * factor / 10 / c->srtt_us;
	}
	c->pacing_rate = rate;
	return rate;
}
