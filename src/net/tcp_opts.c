/*
 * SYN option offer and negotiation (see tcp_opts.h).
 */
#include "net/tcp_opts.h"

#include <string.h>

#include "net/tcp_check.h"

void ust_tcp_syn_options(const struct ust_tcp_syn_config *cfg, const struct ust_tcp_options *peer,
			 uint32_t tsval, struct ust_tcp_options *out)
{
	memset(out, 0, sizeof(*out));
	out->has_mss = true;
	out->mss = cfg->mss;
	if (cfg->wscale && (!peer || peer->has_wscale)) {
		out->has_wscale = true;
		out->wscale = ust_tcp_wscale_for(cfg->rcvbuf);
	}
	if (cfg->timestamps && (!peer || peer->has_timestamp)) {
		out->has_timestamp = true;
		out->ts_val = tsval;
		out->ts_ecr = peer ? peer->ts_val : 0;
	}
	if (cfg->sack && (!peer || peer->sack_permitted))
		out->sack_permitted = true;
}

void ust_tcp_negotiate(const struct ust_tcp_options *ours, const struct ust_tcp_options *theirs,
		       struct ust_tcp_negotiated *out)
{
	memset(out, 0, sizeof(*out));
	out->peer_mss = theirs->has_mss && theirs->mss > 0 ? theirs->mss : UST_TCP_DEFAULT_MSS;
	out->wscale_ok = ours->has_wscale && theirs->has_wscale;
	if (out->wscale_ok) {
		/* RFC 7323 2.2: both shifts apply only when both sides sent the option */
		out->snd_wscale = ust_tcp_wscale_clamp(theirs->wscale);
		out->rcv_wscale = ust_tcp_wscale_clamp(ours->wscale);
	}
	out->ts_ok = ours->has_timestamp && theirs->has_timestamp;
	if (out->ts_ok)
		out->ts_recent = theirs->ts_val;
	out->sack_ok = ours->sack_permitted && theirs->sack_permitted;
}
