/*
 * SipHash-2-4 and RFC 6528 initial sequence numbers. Written from the SipHash paper's
 * description: state v0..v3 initialised from the key and the constants "somepseudorandomly
 * generatedbytes", 8-byte little-endian message words, 2 compression rounds per word, the
 * last word carrying the length in its top byte, 0xff xored into v2, 4 finalisation rounds.
 */
#include "net/tcp_isn.h"

#include <string.h>

static inline uint64_t rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#define SIPROUND(v0, v1, v2, v3)                                  \
	do {                                                      \
		v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32); \
		v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;            \
		v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;            \
		v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32); \
	} while (0)

uint64_t ust_tcp_siphash24(const uint8_t key[UST_TCP_SECRET_LEN], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull;
	uint64_t v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull;
	uint64_t v3 = k1 ^ 0x7465646279746573ull;
	size_t full = len & ~(size_t)7;
	uint64_t m, b;

	for (size_t i = 0; i < full; i += 8) {
		m = load_le64(in + i);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	b = (uint64_t)(len & 0xff) << 56;
	for (size_t i = 0; i < (len & 7); i++)
		b |= (uint64_t)in[full + i] << (8 * i);
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

void ust_tcp_tuple_bytes(const struct ust_tcp_tuple *t, uint8_t out[12])
{
	out[0] = (uint8_t)(t->local_ip >> 24);
	out[1] = (uint8_t)(t->local_ip >> 16);
	out[2] = (uint8_t)(t->local_ip >> 8);
	out[3] = (uint8_t)t->local_ip;
	out[4] = (uint8_t)(t->local_port >> 8);
	out[5] = (uint8_t)t->local_port;
	out[6] = (uint8_t)(t->remote_ip >> 24);
	out[7] = (uint8_t)(t->remote_ip >> 16);
	out[8] = (uint8_t)(t->remote_ip >> 8);
	out[9] = (uint8_t)t->remote_ip;
	out[10] = (uint8_t)(t->remote_port >> 8);
	out[11] = (uint8_t)t->remote_port;
}

uint32_t ust_tcp_isn_hash(const struct ust_tcp_secret *key, const struct ust_tcp_tuple *t)
{
	uint8_t buf[12];

	ust_tcp_tuple_bytes(t, buf);
	return (uint32_t)ust_tcp_siphash24(key->bytes, buf, sizeof(buf));
}

uint32_t ust_tcp_isn(const struct ust_tcp_secret *key, const struct ust_tcp_tuple *t,
		     uint64_t now_ns)
{
	uint32_t m = (uint32_t)(now_ns / UST_TCP_ISN_TICK_NS);

	return m + ust_tcp_isn_hash(key, t);
}

uint32_t ust_tcp_ts_offset(const struct ust_tcp_secret *key, const struct ust_tcp_tuple *t)
{
	uint8_t buf[13];

	buf[0] = 'T';	/* domain separation from the ISN's F() */
	ust_tcp_tuple_bytes(t, buf + 1);
	return (uint32_t)ust_tcp_siphash24(key->bytes, buf, sizeof(buf));
}
