/*
 * SYN option negotiation: what we offer in a SYN or SYN-ACK and what a connection ends up
 * using once both SYNs are seen (RFC 9293 3.7.1 MSS, RFC 7323 window scale and timestamps,
 * RFC 2018 SACK-permitted). Pure functions over wire/tcp.h's option representation; the
 * listener, connect() and the SYN-SENT/SYN-RECEIVED handlers call them.
 */
#ifndef UST_NET_TCP_OPTS_H
#define UST_NET_TCP_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "wire/tcp.h"

/* What this side is willing to use (per socket). */
struct ust_tcp_syn_config {
	uint16_t mss;		/* our MSS: interface MTU - 40 */
	uint32_t rcvbuf;	/* receive buffer, decides our window scale */
	bool wscale;		/* offer window scaling */
	bool timestamps;	/* offer timestamps */
	bool sack;		/* offer SACK-permitted */
};

/* The outcome for one connection. */
struct ust_tcp_negotiated {
	uint16_t peer_mss;	/* the peer's MSS option, 536 if absent */
	bool wscale_ok;		/* both sides sent window scale */
	uint8_t snd_wscale;	/* shift for windows the peer advertises (clamped to 14) */
	uint8_t rcv_wscale;	/* shift for windows we advertise */
	bool ts_ok;		/* both sides sent timestamps */
	uint32_t ts_recent;	/* the peer's SYN TSval (TS.Recent) when ts_ok */
	bool sack_ok;		/* both sides sent SACK-permitted */
};

/*
 * Options for our SYN (active open: peer == NULL) or SYN-ACK (peer = the SYN's options: we
 * only echo what the peer offered, RFC 7323 2.2/3.2 and RFC 2018). tsval is our TSval.
 * ts_ecr in a SYN-ACK is the peer's TSval.
 */
void ust_tcp_syn_options(const struct ust_tcp_syn_config *cfg, const struct ust_tcp_options *peer,
			 uint32_t tsval, struct ust_tcp_options *out);

/*
 * The negotiated parameters from what we sent (ours) and what the peer sent in its SYN or
 * SYN-ACK (theirs).
 */
void ust_tcp_negotiate(const struct ust_tcp_options *ours, const struct ust_tcp_options *theirs,
		       struct ust_tcp_negotiated *out);

#endif
