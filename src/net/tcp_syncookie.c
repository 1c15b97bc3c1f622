/*
 * SYN cookie encode/validate (layout in tcp_syncookie.h). Stateless: everything needed to
 * validate comes back in the peer's ACK; the only inputs kept are the secret and the clock.
 */
#include "net/tcp_syncookie.h"

#include <errno.h>

#include "net/tcp_seq.h"

const uint16_t ust_tcp_syncookie_mss_table[UST_TCP_SYNCOOKIE_MSS_COUNT] = {
	216, 536, 1220, 1300, 1380, 1440, 1460, 8960,
};

#define OPT_NO_TS 0x40u		/* "no timestamps" marker hashed instead of option bits */
#define MAC_MASK 0x00ffffffu

unsigned ust_tcp_syncookie_mss_index(uint16_t mss)
{
	unsigned idx = 0;

	for (unsigned i = 0; i < UST_TCP_SYNCOOKIE_MSS_COUNT; i++)
		if (ust_tcp_syncookie_mss_table[i] <= mss)
			idx = i;
	return idx;
}

static uint32_t mac(const struct ust_tcp_secret *key, const struct ust_tcp_tuple *t,
		    uint32_t peer_isn, uint32_t slot, unsigned mss_idx, unsigned optbits)
{
	uint8_t buf[22];

	ust_tcp_tuple_bytes(t, buf);
	for (int i = 0; i < 4; i++) {
		buf[12 + i] = (uint8_t)(peer_isn >> (24 - 8 * i));
		buf[16 + i] = (uint8_t)(slot >> (24 - 8 * i));
	}
	buf[20] = (uint8_t)mss_idx;
	buf[21] = (uint8_t)optbits;
	return (uint32_t)ust_tcp_siphash24(key->bytes, buf, sizeof(buf)) & MAC_MASK;
}

static unsigned encode_opts(const struct ust_tcp_syncookie_opts *o)
{
	unsigned bits;

	if (!o->ts_ok)
		return OPT_NO_TS;
	bits = o->wscale_ok ? (o->wscale > 14 ? 14u : o->wscale) : UST_TCP_SYNCOOKIE_WSCALE_NONE;
	if (o->sack_ok)
		bits |= 0x10u;
	return bits;
}

uint32_t ust_tcp_syncookie_make(const struct ust_tcp_secret *key, const struct ust_tcp_tuple *t,
				uint32_t peer_isn, uint64_t now_ns,
				const struct ust_tcp_syncookie_opts *syn, uint32_t ts_now,
				uint32_t *tsval)
{
	uint32_t slot = (uint32_t)(now_ns / UST_TCP_SYNCOOKIE_SLOT_NS);
	unsigned idx = ust_tcp_syncookie_mss_index(syn->mss);
	unsigned bits = encode_opts(syn);

	*tsval = 0;
	if (syn->ts_ok) {
		uint32_t v = (ts_now & ~(uint32_t)63) | bits;

		/* never send a TSval ahead of our clock: the peer's PAWS would see time go back */
		if (ust_ts_gt(v, ts_now))
			v -= 64;
		*tsval = v;
	}
	return ((slot & 31u) << 27) | ((uint32_t)idx << 24) | mac(key, t, peer_isn, slot, idx, bits);
}

int ust_tcp_syncookie_check(const struct ust_tcp_secret *key, const struct ust_tcp_tuple *t,
			    uint32_t seq, uint32_t ack, uint64_t now_ns, bool has_ts,
			    uint32_t tsecr, struct ust_tcp_syncookie_opts *out)
{
	uint32_t cookie = ack - 1, peer_isn = seq - 1;
	uint32_t now_slot = (uint32_t)(now_ns / UST_TCP_SYNCOOKIE_SLOT_NS);
	uint32_t cslot = cookie >> 27, slot;
	unsigned idx = (cookie >> 24) & 7u;
	unsigned bits = has_ts ? (tsecr & 63u) : OPT_NO_TS;

	if (cslot == (now_slot & 31u))
		slot = now_slot;
	else if (now_slot > 0 && cslot == ((now_slot - 1) & 31u))
		slot = now_slot - 1;
	else
		return -ETIMEDOUT;
	if (mac(key, t, peer_isn, slot, idx, bits) != (cookie & MAC_MASK))
		return -EINVAL;
	*out = (struct ust_tcp_syncookie_opts){ .mss = ust_tcp_syncookie_mss_table[idx] };
	if (has_ts) {
		unsigned ws = bits & 0xfu;

		if (bits & 0x20u)
			return -EINVAL;
		if (ws != UST_TCP_SYNCOOKIE_WSCALE_NONE && ws > 14)
			return -EINVAL;
		out->ts_ok = true;
		out->wscale_ok = ws != UST_TCP_SYNCOOKIE_WSCALE_NONE;
		out->wscale = out->wscale_ok ? (uint8_t)ws : 0;
		out->sack_ok = (bits & 0x10u) != 0;
	}
	return 0;
}
