/*
 * Losses at the tail of the flight, repaired by the tail loss probe (RFC 8985 section 7)
 * instead of the retransmission timeout:
 *   - big segments (pair link with offload, like TAP with TSO) through 5% random loss of
 *     whole frames each way, the way nftables drops a GSO super-frame before the kernel cuts
 *     it: with a small RTT the whole flight is one or two super-frames and the receiver
 *     answers each with one ACK, so every drop (of data or of that ACK) used to leave nothing
 *     to make duplicate ACKs and waited for the RTO (bulk.sh tap 5: 63 RTOs for 44 drops);
 *   - the last two segments of a write lost: one probe, the repair long before the RTO;
 *   - the only ACK of a flight lost: the probe's ACK acknowledges everything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tcp_harness.h"

#define BIG_BUF (65536u + 128u)

struct frame_loss {
	uint64_t rng;
	unsigned pm;		/* per mille of TCP frames dropped, each way */
	uint64_t frames[2], dropped[2], big;
};

static struct frame_loss fl;

static uint32_t rnd(void)
{
	fl.rng ^= fl.rng << 13;
	fl.rng ^= fl.rng >> 7;
	fl.rng ^= fl.rng << 17;
	return (uint32_t)(fl.rng >> 11);
}

/* Whole frames (a super-frame with all its segments) dropped at random; dir 0 is A -> B. */
static unsigned frame_hook(void *arg, struct ust_pool *pool, struct ust_pkt *pkt, uint64_t now, uint64_t *delay_ns)
{
	(void)arg;
	(void)now;
	(void)delay_ns;
	const uint8_t *f = ust_pkt_data(pool, pkt);
	if (pkt->len <= 34 || f[12] != 0x08 || f[13] != 0x00 || f[23] != 6)
		return 1;
	int dir = f[29] == 1 ? 0 : 1;	/* source 10.0.0.1: A's */
	fl.frames[dir]++;
	if (pkt->len > 1514)
		fl.big++;
	if (rnd() % 1000 < fl.pm) {
		fl.dropped[dir]++;
		return 0;
	}
	return 1;
}

static void setup_offload(struct sim *s, uint64_t delay_ns)
{
	memset(s, 0, sizeof(*s));
	struct ust_pool_config pc = { .count = 1024, .buf_size = BIG_BUF, .headroom = 128 };
	assert_int_equal(ust_pool_create(&s->pool_a, &pc), 0);
	assert_int_equal(ust_pool_create(&s->pool_b, &pc), 0);
	struct ust_pair_config lc = { .mtu = 1500, .delay_ns = delay_ns, .offload = true, .impair = frame_hook };
	struct ust_backend *ea, *eb;
	assert_int_equal(ust_pair_create(&ea, &eb, s->pool_a, s->pool_b, &lc), 0);
	struct ust_stack_config ca = { .ip = "10.0.0.1/24", .seed = 1 }, cb = { .ip = "10.0.0.2/24", .seed = 2 };
	assert_int_equal(ust_stack_create_on(&s->a, ea, &ca, NULL), 0);
	assert_int_equal(ust_stack_create_on(&s->b, eb, &cb, NULL), 0);
	sim_run(s, SIM_MS);
}

/*
 * 8 MiB A -> B with big segments, 5% of frames lost each way, RTT 200 us (a namespace
 * hop). Before the probe: 8 MiB took 14 s of virtual time, with about one RTO per drop.
 */
static void tlp_bigseg_frame_loss(void **state)
{
	(void)state;
	memset(&fl, 0, sizeof(fl));
	fl.rng = 0x9e3779b97f4a7c15ull;
	fl.pm = 50;
	struct sim s;
	setup_offload(&s, 100 * 1000);
	int ls = tsim_listen(s.b, 5001, 8);
	int c = tsim_connect(s.a, SIM_IP_B, 5001);
	int d = tsim_accept(&s, s.b, ls, 60 * SIM_SEC);
	assert_true(d >= 0);
	uint64_t t0 = s.now;
	struct tsim_xfer ab = { .len = 8u << 20, .seed = 5, .close_after = true };
	assert_true(tsim_pump(&s, s.a, c, &ab, s.b, d, NULL, s.now + 600 * SIM_SEC));
	assert_int_equal(ab.rcvd, ab.len);
	assert_true(ab.sum_rx == ab.sum_tx);
	double secs = (double)(s.now - t0) / SIM_SEC;
	uint64_t rto = sim_counter(s.a, "tcp.rto_timeouts"), tlp = sim_counter(s.a, "tcp.tlp_probes");
	uint64_t drops = fl.dropped[0] + fl.dropped[1];
	printf("8 MiB in %.2f s virtual; frames %llu (%llu big), dropped data %llu acks %llu; "
	       "RTO %llu, TLP %llu, fast %llu, SACK %llu, retransmits %llu\n",
	       secs, (unsigned long long)(fl.frames[0] + fl.frames[1]), (unsigned long long)fl.big,
	       (unsigned long long)fl.dropped[0], (unsigned long long)fl.dropped[1], (unsigned long long)rto,
	       (unsigned long long)tlp, (unsigned long long)sim_counter(s.a, "tcp.fast_retransmits"),
	       (unsigned long long)sim_counter(s.a, "tcp.sack_retransmits"),
	       (unsigned long long)sim_counter(s.a, "tcp.retransmits"));
	assert_true(fl.big > 100 && drops > 20);
	/* tail losses go to the probe: RTOs are a small fraction of the drops */
	assert_true(tlp > 0);
	assert_true(rto * 4 <= drops);
	assert_true(secs < 4.0);
	sim_fini(&s);
}

struct tail_drop {
	unsigned data_frames;	/* A's data frames seen */
	unsigned drop_from, drop_to;	/* drop data frames with these numbers (1-based) */
	bool drop_acks;		/* drop B's ACKs while B has received drop_from..drop_to */
	unsigned dropped;
};

static unsigned tail_hook(struct sim *s, int dir, struct ust_pool *pool, struct ust_pkt *pkt, uint64_t *delay_ns)
{
	struct tail_drop *td = s->opts.arg;
	const uint8_t *f = ust_pkt_data(pool, pkt);
	(void)delay_ns;
	if (pkt->len <= 34 || f[12] != 0x08 || f[13] != 0x00 || f[23] != 6)
		return 1;
	unsigned ihl = (f[14] & 15u) * 4, tot = (unsigned)f[16] << 8 | f[17];
	unsigned thl = (f[14 + ihl + 12] >> 4) * 4u;
	bool data = tot > ihl + thl;
	if (dir == 0 && data) {
		td->data_frames++;
		if (!td->drop_acks && td->data_frames >= td->drop_from && td->data_frames <= td->drop_to) {
			td->dropped++;
			return 0;
		}
	}
	if (dir == 1 && td->drop_acks && td->data_frames >= td->drop_from && td->data_frames <= td->drop_to) {
		td->dropped++;
		return 0;
	}
	return 1;
}

/* Write len bytes at once from A, return the virtual time until B has them all. */
static uint64_t tail_run(struct tail_drop *td, uint32_t len, struct sim *s, int *c)
{
	struct sim_opts o = { .delay_ns = 5 * SIM_MS, .impair = tail_hook, .arg = td };
	assert_int_equal(sim_init(s, &o), 0);
	int ls = tsim_listen(s->b, 5001, 8);
	*c = tsim_connect(s->a, SIM_IP_B, 5001);
	int d = tsim_accept(s, s->b, ls, 10 * SIM_SEC);
	assert_true(d >= 0);
	sim_run(s, 50 * SIM_MS);	/* an SRTT of 10 ms from the handshake and first ACKs */
	static uint8_t buf[64 * 1024], got[64 * 1024];
	assert_true(len <= sizeof(buf));
	for (uint32_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	td->data_frames = 0;
	uint64_t t0 = s->now;
	assert_int_equal(ust_write(s->a, *c, buf, len), (ssize_t)len);
	uint32_t rcvd = 0;
	while (rcvd < len && s->now - t0 < 5 * SIM_SEC) {
		sim_run(s, SIM_MS);
		ssize_t n;
		while ((n = ust_read(s->b, d, got + rcvd, len - rcvd)) > 0)
			rcvd += (uint32_t)n;
	}
	assert_int_equal(rcvd, len);
	assert_memory_equal(got, buf, len);
	return s->now - t0;
}

/* 14 segments (initial window 10, then 4 more on the first ACKs); the last two are lost. */
static void tlp_tail_loss(void **state)
{
	(void)state;
	struct tail_drop td = { .drop_from = 13, .drop_to = 14 };
	struct sim s;
	int c;
	uint64_t t = tail_run(&td, 14 * 1448, &s, &c);
	printf("tail of 2 segments lost: repaired after %.1f ms (RTT 10 ms), probes %llu, RTOs %llu\n",
	       (double)t / SIM_MS, (unsigned long long)sim_counter(s.a, "tcp.tlp_probes"),
	       (unsigned long long)sim_counter(s.a, "tcp.rto_timeouts"));
	assert_int_equal(td.dropped, 2);
	assert_int_equal(sim_counter(s.a, "tcp.tlp_probes"), 1);
	assert_int_equal(sim_counter(s.a, "tcp.rto_timeouts"), 0);
	/* two RTTs for the data, about 2 SRTT for the probe, one RTT for the repair; the RTO
	 * (at least 200 ms) was the only way before */
	assert_true(t < 80 * SIM_MS);
	sim_fini(&s);
}

/* All ACKs of the last flight lost: the probe's ACK says everything arrived. */
static void tlp_ack_loss(void **state)
{
	(void)state;
	struct tail_drop td = { .drop_from = 11, .drop_to = 14, .drop_acks = true };
	struct sim s;
	int c;
	uint64_t t = tail_run(&td, 14 * 1448, &s, &c);
	sim_run(&s, 100 * SIM_MS);	/* the probe (about 2 SRTT) and its ACK, before any RTO */
	printf("ACKs of the tail lost: delivered after %.1f ms, probes %llu, RTOs %llu, retransmits %llu\n",
	       (double)t / SIM_MS, (unsigned long long)sim_counter(s.a, "tcp.tlp_probes"),
	       (unsigned long long)sim_counter(s.a, "tcp.rto_timeouts"),
	       (unsigned long long)sim_counter(s.a, "tcp.retransmits"));
	assert_true(td.dropped > 0);
	assert_int_equal(sim_counter(s.a, "tcp.tlp_probes"), 1);
	assert_int_equal(sim_counter(s.a, "tcp.rto_timeouts"), 0);
	assert_int_equal(sim_counter(s.a, "tcp.retransmits"), 1);
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	assert_int_equal(ust_getsockopt(s.a, c, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0);
	assert_int_equal(ti.tcpi_unacked, 0);
	sim_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tlp_bigseg_frame_loss),
		cmocka_unit_test(tlp_tail_loss),
		cmocka_unit_test(tlp_ack_loss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
