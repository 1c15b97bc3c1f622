/*
 * Helpers for the emulator's unit and simulation tests: a pool, frames with chosen
 * addresses/ports/length, and a virtual-clock driver that jumps from deadline to deadline
 * and records when each frame comes out. Header-only (static functions) so each test
 * program stays one file.
 */
#ifndef UST_TEST_EMU_UTIL_H
#define UST_TEST_EMU_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/pktbuf.h"
#include "core/util.h"
#include "emu/emu.h"
#include "wire/bytes.h"

#define IP(a, b, c, d) UST_IPV4(a, b, c, d)

static inline struct ust_pool *t_pool(uint32_t count)
{
	struct ust_pool_config pc = { .count = count, .buf_size = 2048, .headroom = 64 };
	struct ust_pool *pool = NULL;
	assert_int_equal(ust_pool_create(&pool, &pc), 0);
	return pool;
}

static inline struct ust_emu *t_emu(struct ust_pool *pool, uint64_t seed, uint64_t gran)
{
	struct ust_emu_config c = { .now = 0, .granularity_ns = gran, .seed = seed,
				    .pool = { pool, pool } };
	struct ust_emu *emu = NULL;
	assert_int_equal(ust_emu_create(&emu, &c), 0);
	return emu;
}

static inline void t_cmd(struct ust_emu *emu, const char *fmt, ...)
{
	char line[512], msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	int err = ust_emu_command(emu, line, msg, sizeof(msg), 0);
	if (err)
		fail_msg("command '%s' refused: %s", line, msg);
}

/* Ethernet + IPv4 + UDP (or TCP when proto 6) frame of total length len (>= 42). */
static inline struct ust_pkt *t_frame(struct ust_pool *pool, uint32_t src, uint32_t dst,
				      uint8_t proto, uint16_t sport, uint16_t dport, uint32_t len)
{
	struct ust_pkt *p = ust_pkt_alloc(pool);
	if (!p)
		abort();	/* tests size their pools; running out is a test bug */
	uint8_t *d = ust_pkt_put(pool, p, len);
	if (!d)
		abort();
	memset(d, 0, len);
	memset(d, 0x02, 6);
	memset(d + 6, 0x04, 6);
	ust_put_be16(d + 12, 0x0800);
	uint8_t *ip = d + 14;
	ip[0] = 0x45;
	ust_put_be16(ip + 2, (uint16_t)(len - 14));
	ip[8] = 64;
	ip[9] = proto;
	ust_put_be32(ip + 12, src);
	ust_put_be32(ip + 16, dst);
	ust_put_be16(ip + 20, sport);
	ust_put_be16(ip + 22, dport);
	return p;
}

static inline struct ust_pkt *t_udp(struct ust_pool *pool, uint32_t len)
{
	return t_frame(pool, IP(10, 0, 0, 1), IP(10, 0, 0, 2), 17, 1000, 2000, len);
}

/* Where a frame came out: its time, direction, length and the sequence number it carried. */
struct t_out {
	uint64_t at;
	int dir;
	uint32_t len;
	uint32_t seq;
	uint32_t src;
	uint16_t sport;
	uint16_t dport;
};

struct t_sink {
	struct t_out *v;
	size_t n, cap;
};

static inline void t_seq_set(struct ust_pool *pool, struct ust_pkt *p, uint32_t seq)
{
	ust_put_be32(ust_pkt_data(pool, p) + 14 + 28, seq);
}

static inline void t_drain(struct ust_emu *emu, struct ust_pool *pool, uint64_t now,
			   struct t_sink *s)
{
	struct ust_pkt *out[64];
	for (int dir = 0; dir < 2; dir++) {
		unsigned n;
		while ((n = ust_emu_output(emu, dir, out, 64, now)) > 0) {
			for (unsigned i = 0; i < n; i++) {
				if (s) {
					if (s->n == s->cap) {
						s->cap = s->cap ? s->cap * 2 : 1024;
						s->v = realloc(s->v, s->cap * sizeof(*s->v));
						assert_non_null(s->v);
					}
					const uint8_t *d = ust_pkt_data(pool, out[i]);
					s->v[s->n++] = (struct t_out){
						.at = now, .dir = dir, .len = out[i]->len,
						.seq = out[i]->len >= 46 ? ust_get_be32(d + 42) : 0,
						.src = ust_get_be32(d + 26), .sport = ust_get_be16(d + 34),
						.dport = ust_get_be16(d + 36) };
				}
				ust_pkt_free(pool, out[i]);
			}
		}
	}
}

/* Run the clock from deadline to deadline until the emulator holds nothing or `until`. */
static inline uint64_t t_run(struct ust_emu *emu, struct ust_pool *pool, uint64_t now,
			     uint64_t until, struct t_sink *s)
{
	t_drain(emu, pool, now, s);
	while (ust_emu_held(emu) > 0) {
		uint64_t d = ust_emu_next_deadline(emu);
		if (d > until)
			break;
		if (d > now)
			now = d;
		t_drain(emu, pool, now, s);
	}
	return now;
}

#endif
