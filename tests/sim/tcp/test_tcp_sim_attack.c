/*
 * Forged and malformed segments against an established connection (injected into stack B as
 * if from A): RFC 5961 (in-window RST -> challenge ACK, connection kept; out-of-window RST
 * dropped; SYN -> challenge ACK; ACK of data never sent -> ACK and drop), PAWS rejecting an
 * old timestamp, data after FIN ignored, bad checksum, option overrun, bad data offset,
 * absurd window scale clamped to 14, challenge-ACK rate limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tcp_harness.h"
#include "wire/checksum.h"

struct fx {
	struct sim s;
	int c, d;
	struct ust__tcb *bt;	/* B's side */
};

static void up(struct fx *f)
{
	assert_int_equal(sim_init(&f->s, NULL), 0);
	tsim_pair(&f->s, 80, &f->c, &f->d);
	f->bt = ust__tcp_tcb(f->s.b, f->d);
	assert_non_null(f->bt);
}

static void down(struct fx *f)
{
	ust_close(f->s.a, f->c);
	ust_close(f->s.b, f->d);
	sim_run(&f->s, 100 * SIM_SEC);
	sim_fini(&f->s);
}

/* A segment from A's side of the connection to B with A's current timestamp. */
static struct ust_tcp_repr from_a(const struct fx *f, uint8_t flags, uint32_t seq, uint32_t ack)
{
	struct ust_tcp_repr r = { .src_port = f->bt->rport, .dst_port = f->bt->lport, .seq = seq, .ack = ack,
				  .flags = flags, .window = 1000 };
	r.opts.has_timestamp = true;
	r.opts.ts_val = f->bt->ts_recent + 1;
	r.opts.ts_ecr = 0;
	return r;
}

static void inject(struct fx *f, const struct ust_tcp_repr *r, const char *data)
{
	tsim_inject(f->s.b, SIM_IP_A, SIM_IP_B, r, (const uint8_t *)data, data ? strlen(data) : 0);
}

static void still_works(struct fx *f)
{
	assert_int_equal(tsim_state(f->s.b, f->d), UST_TCPS_ESTABLISHED);
	assert_int_equal(ust_write(f->s.a, f->c, "ok", 2), 2);
	sim_run(&f->s, 100 * SIM_MS);
	char buf[16];
	assert_int_equal(ust_read(f->s.b, f->d, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "ok", 2);
}

static void rfc5961_rst(void **state)
{
	(void)state;
	struct fx f;
	up(&f);
	uint64_t ch0 = sim_counter(f.s.b, "tcp.tx_challenge_acks");
	struct ust_tcp_repr r = from_a(&f, UST_TCP_RST, f.bt->rcv_nxt + 1000, 0);
	inject(&f, &r, NULL);
	assert_int_equal(sim_counter(f.s.b, "tcp.rx_rst_challenged"), 1);
	assert_int_equal(sim_counter(f.s.b, "tcp.tx_challenge_acks"), ch0 + 1);
	/* out of the window: silently dropped */
	r = from_a(&f, UST_TCP_RST, f.bt->rcv_nxt + 0x40000000u, 0);
	inject(&f, &r, NULL);
	assert_int_equal(sim_counter(f.s.b, "tcp.tx_challenge_acks"), ch0 + 1);
	assert_true(sim_counter(f.s.b, "tcp.rx_out_of_window") >= 1);
	sim_run(&f.s, 10 * SIM_MS);
	still_works(&f);
	down(&f);
}

static void rfc5961_syn(void **state)
{
	(void)state;
	struct fx f;
	up(&f);
	struct ust_tcp_repr r = from_a(&f, UST_TCP_SYN, f.bt->rcv_nxt + 10, 0);
	inject(&f, &r, NULL);
	assert_int_equal(sim_counter(f.s.b, "tcp.rx_syn_challenged"), 1);
	assert_true(sim_counter(f.s.b, "tcp.tx_challenge_acks") >= 1);
	sim_run(&f.s, 10 * SIM_MS);
	still_works(&f);
	down(&f);
}

static void challenge_rate_limit(void **state)
{
	(void)state;
	struct fx f;
	up(&f);
	for (int i = 0; i < 1500; i++) {
		struct ust_tcp_repr r = from_a(&f, UST_TCP_RST, f.bt->rcv_nxt + 100 + (uint32_t)i, 0);
		inject(&f, &r, NULL);
	}
	assert_true(sim_counter(f.s.b, "tcp.tx_challenge_acks") <= UST_TCP_CHALLENGE_ACK_PER_SEC);
	assert_true(sim_counter(f.s.b, "tcp.tx_challenge_limited") >= 500);
	still_works(&f);
	down(&f);
}

static void ack_of_unsent_data(void **state)
{
	(void)state;
	struct fx f;
	up(&f);
	uint64_t acks0 = sim_counter(f.s.b, "tcp.tx_acks");
	struct ust_tcp_repr r = from_a(&f, UST_TCP_ACK | UST_TCP_PSH, f.bt->rcv_nxt, f.bt->snd_max + 5000);
	inject(&f, &r, "evil");
	assert_int_equal(sim_counter(f.s.b, "tcp.rx_ack_unsent"), 1);
	assert_int_equal(sim_counter(f.s.b, "tcp.tx_acks"), acks0 + 1);
	char buf[16];
	assert_int_equal(ust_read(f.s.b, f.d, buf, sizeof(buf)), -1);	/* the data was dropped too */
	assert_int_equal(errno, EAGAIN);
	still_works(&f);
	down(&f);
}

static void paws(void **state)
{
	(void)state;
	struct fx f;
	up(&f);
	struct ust_tcp_repr r = from_a(&f, UST_TCP_ACK | UST_TCP_PSH, f.bt->rcv_nxt, f.bt->snd_una);
	r.opts.ts_val = f.bt->ts_recent - 100000;	/* an old duplicate from a previous wrap */
	inject(&f, &r, "old!");
	assert_int_equal(sim_counter(f.s.b, "tcp.rx_paws_rejected"), 1);
	char buf[16];
	assert_int_equal(ust_read(f.s.b, f.d, buf, sizeof(buf)), -1);
	/* the same bytes with a current timestamp are accepted */
	r.opts.ts_val = f.bt->ts_recent + 1;
	inject(&f, &r, "new!");
	assert_int_equal(ust_read(f.s.b, f.d, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "new!", 4);
	down(&f);
}

static void data_after_fin(void **state)
{
	(void)state;
	struct fx f;
	up(&f);
	ust_shutdown(f.s.a, f.c, SHUT_WR);
	sim_run(&f.s, 10 * SIM_MS);
	assert_int_equal(tsim_state(f.s.b, f.d), UST_TCPS_CLOSE_WAIT);
	struct ust_tcp_repr r = from_a(&f, UST_TCP_ACK, f.bt->rcv_nxt, f.bt->snd_una);
	inject(&f, &r, "late");
	assert_int_equal(sim_counter(f.s.b, "tcp.rx_after_fin"), 1);
	char buf[16];
	assert_int_equal(ust_read(f.s.b, f.d, buf, sizeof(buf)), 0);	/* EOF, not "late" */
	down(&f);
}

static void malformed(void **state)
{
	(void)state;
	struct fx f;
	up(&f);
	uint8_t seg[40];
	struct ust_tcp_repr r = from_a(&f, UST_TCP_ACK, f.bt->rcv_nxt, f.bt->snd_una);
	r.opts.has_timestamp = false;
	ust_tcp_emit(&r, SIM_IP_A, SIM_IP_B, false, seg, 20);
	/* bad checksum */
	seg[16] ^= 0x55;
	tsim_inject_raw(f.s.b, SIM_IP_A, SIM_IP_B, seg, 20);
	assert_int_equal(sim_counter(f.s.b, "tcp.rx_bad_checksum"), 1);
	seg[16] ^= 0x55;
	/* data offset beyond the segment */
	uint8_t bad[20];
	memcpy(bad, seg, 20);
	bad[12] = 0xf0;
	tsim_inject_raw(f.s.b, SIM_IP_A, SIM_IP_B, bad, 20);
	assert_int_equal(sim_counter(f.s.b, "tcp.rx_bad_offset"), 1);
	/* an option whose length runs past the header */
	uint8_t opt[24];
	memcpy(opt, seg, 20);
	opt[12] = 0x60;
	opt[20] = UST_TCP_OPT_MSS;
	opt[21] = 8;	/* claims 8 bytes, 4 are there */
	opt[22] = 5;
	opt[23] = 0xb4;
	opt[16] = opt[17] = 0;
	uint16_t sum = ust_csum_fold(ust_csum_partial(opt, 24, ust_csum_pseudo_ipv4(SIM_IP_A, SIM_IP_B, 6, 24)));
	ust_put_be16(opt + 16, sum);
	tsim_inject_raw(f.s.b, SIM_IP_A, SIM_IP_B, opt, 24);
	assert_int_equal(sim_counter(f.s.b, "tcp.rx_bad_option"), 1);
	still_works(&f);
	down(&f);
}

static void absurd_window_scale(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int l = tsim_listen(s.b, 80, 8);
	struct ust_tcp_repr syn = { .src_port = 33333, .dst_port = 80, .seq = 1000, .flags = UST_TCP_SYN,
				    .window = 65535 };
	syn.opts.has_mss = true;
	syn.opts.mss = 1460;
	syn.opts.has_wscale = true;
	syn.opts.wscale = 20;
	tsim_inject(s.b, SIM_IP_A, SIM_IP_B, &syn, NULL, 0);
	struct ust__demux_key k = ust__demux_key_make(UST_IPPROTO_TCP, SIM_IP_B, 80, SIM_IP_A, 33333);
	struct ust__demux_node *n = ust__demux_lookup(&s.b->demux, &k);
	assert_non_null(n);
	struct ust__tcb *child = n->owner;
	assert_int_equal(child->state, UST_TCPS_SYN_RECEIVED);
	assert_int_equal(child->snd_wscale, 14);	/* RFC 7323 2.3 */
	ust_close(s.b, l);
	sim_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc5961_rst),
		cmocka_unit_test(rfc5961_syn),
		cmocka_unit_test(challenge_rate_limit),
		cmocka_unit_test(ack_of_unsent_data),
		cmocka_unit_test(paws),
		cmocka_unit_test(data_after_fin),
		cmocka_unit_test(malformed),
		cmocka_unit_test(absurd_window_scale),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
