/*
 * Closing: active/passive close through FIN_WAIT_1/2, CLOSE_WAIT, LAST_ACK, TIME_WAIT (2 MSL
 * on the virtual clock, MSL configurable), half-close (data keeps flowing the other way),
 * simultaneous close (CLOSING), close with data still queued (delivered, then FIN), and
 * TIME_WAIT reuse by a new connection on the same 4-tuple from either side; close() in
 * SYN_RECEIVED (FIN deferred until ESTABLISHED) and FIN_WAIT_1 -> TIME_WAIT on one FIN+ACK.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tcp_harness.h"

static struct ust__tcb *only_tcb(struct ust_stack *st)
{
	return ust__tcp(st)->ntcb == 1 ? ust__tcp(st)->all : NULL;
}

static void active_close_time_wait(void **state)
{
	(void)state;
	struct sim s;
	/* MSL 5 s through the public configuration: TIME_WAIT lasts 10 s */
	assert_int_equal(sim_init(&s, &(struct sim_opts){ .tcp_msl_ms = 5000 }), 0);
	int c, d;
	tsim_pair(&s, 80, &c, &d);
	assert_int_equal(ust_shutdown(s.a, c, SHUT_WR), 0);
	assert_int_equal(tsim_state(s.a, c), UST_TCPS_FIN_WAIT_1);
	sim_run(&s, 50 * SIM_MS);
	assert_int_equal(tsim_state(s.a, c), UST_TCPS_FIN_WAIT_2);
	assert_int_equal(tsim_state(s.b, d), UST_TCPS_CLOSE_WAIT);
	uint32_t ev = tsim_events(s.b, d);
	assert_true(ev & EPOLLIN);
	assert_true(ev & EPOLLRDHUP);
	char buf[8];
	assert_int_equal(ust_read(s.b, d, buf, sizeof(buf)), 0);
	assert_int_equal(ust_write(s.a, c, "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	ust_close(s.a, c);	/* FIN_WAIT_2 outlives the descriptor */
	assert_non_null(only_tcb(s.a));
	ust_close(s.b, d);
	struct ust__tcb *bt = only_tcb(s.b);
	assert_non_null(bt);
	assert_int_equal(bt->state, UST_TCPS_LAST_ACK);
	sim_run(&s, 50 * SIM_MS);
	assert_int_equal(ust__tcp(s.b)->ntcb, 0);
	struct ust__tcb *at = only_tcb(s.a);
	assert_non_null(at);
	assert_int_equal(at->state, UST_TCPS_TIME_WAIT);
	uint64_t tw_start = s.now;
	sim_run_until(&s, tw_start + 10 * SIM_SEC - 200 * SIM_MS);
	assert_int_equal(ust__tcp(s.a)->ntcb, 1);	/* still in TIME_WAIT just before 2 MSL */
	sim_run_until(&s, tw_start + 10 * SIM_SEC + 200 * SIM_MS);
	assert_int_equal(ust__tcp(s.a)->ntcb, 0);
	sim_fini(&s);
}

/* An MSL over an hour is refused, naming the option. */
static void msl_out_of_range_refused(void **state)
{
	(void)state;
	struct ust_pool_config pc = { .count = 64, .buf_size = 2048, .headroom = 128 };
	struct ust_pool *pa, *pb;
	assert_int_equal(ust_pool_create(&pa, &pc), 0);
	assert_int_equal(ust_pool_create(&pb, &pc), 0);
	struct ust_backend *ea, *eb;
	assert_int_equal(ust_pair_create(&ea, &eb, pa, pb, &(struct ust_pair_config){ 0 }), 0);
	struct ust_stack *st = NULL;
	const char *why = NULL;
	struct ust_stack_config cfg = { .ip = "10.0.0.1/24", .seed = 1, .tcp_msl_ms = UST_TCP_MSL_MS_MAX + 1 };
	assert_int_equal(ust_stack_create_on(&st, ea, &cfg, &why), -EINVAL);
	assert_null(st);
	assert_non_null(why);
	assert_non_null(strstr(why, "tcp_msl_ms"));
	cfg.tcp_msl_ms = UST_TCP_MSL_MS_MAX;
	assert_int_equal(ust_stack_create_on(&st, eb, &cfg, &why), 0);
	assert_int_equal(ust__tcp(st)->msl_ns, (uint64_t)UST_TCP_MSL_MS_MAX * UST_NS_PER_MS);
	ust_stack_destroy(st);
	ust_pool_destroy(pa);
	ust_pool_destroy(pb);
}

static void default_time_wait_is_60s(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int c, d;
	tsim_pair(&s, 80, &c, &d);
	ust_close(s.a, c);
	sim_run(&s, 20 * SIM_MS);
	ust_close(s.b, d);
	sim_run(&s, 20 * SIM_MS);
	uint64_t t0 = s.now;
	assert_int_equal(only_tcb(s.a)->state, UST_TCPS_TIME_WAIT);
	sim_run_until(&s, t0 + 59 * SIM_SEC);
	assert_int_equal(ust__tcp(s.a)->ntcb, 1);
	sim_run_until(&s, t0 + 61 * SIM_SEC);
	assert_int_equal(ust__tcp(s.a)->ntcb, 0);
	sim_fini(&s);
}

static void orphan_fin_wait2_timeout(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int c, d;
	tsim_pair(&s, 80, &c, &d);
	ust_close(s.a, c);	/* the peer never closes its side */
	sim_run(&s, 50 * SIM_MS);
	assert_int_equal(only_tcb(s.a)->state, UST_TCPS_FIN_WAIT_2);
	sim_run(&s, 59 * SIM_SEC);
	assert_int_equal(ust__tcp(s.a)->ntcb, 1);
	sim_run(&s, 2 * SIM_SEC);
	assert_int_equal(ust__tcp(s.a)->ntcb, 0);	/* an orphan does not wait forever */
	assert_int_equal(sim_counter(s.a, "tcp.conn_fin_wait2_timeout"), 1);
	assert_int_equal(tsim_state(s.b, d), UST_TCPS_CLOSE_WAIT);
	ust_close(s.b, d);	/* its FIN now meets no connection: answered with RST */
	sim_run(&s, 50 * SIM_MS);
	assert_int_equal(ust__tcp(s.b)->ntcb, 0);
	sim_fini(&s);
}

static void half_close(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int c, d;
	tsim_pair(&s, 80, &c, &d);
	assert_int_equal(ust_shutdown(s.a, c, SHUT_WR), 0);
	sim_run(&s, 50 * SIM_MS);
	char buf[64];
	assert_int_equal(ust_read(s.b, d, buf, sizeof(buf)), 0);
	/* the other direction still works */
	struct tsim_xfer ba = { .len = 300000, .seed = 9, .close_after = true };
	assert_true(tsim_pump(&s, s.b, d, &ba, s.a, c, NULL, s.now + 60 * SIM_SEC));
	assert_true(ba.sum_rx == ba.sum_tx);
	assert_true(ba.eof);
	assert_true(tsim_events(s.a, c) & EPOLLHUP);
	sim_run(&s, 50 * SIM_MS);
	assert_int_equal(tsim_state(s.a, c), UST_TCPS_TIME_WAIT);
	assert_int_equal(tsim_state(s.b, d), UST_TCPS_CLOSED);
	ust_close(s.a, c);
	ust_close(s.b, d);
	sim_fini(&s);
}

static void simultaneous_close(void **state)
{
	(void)state;
	struct sim s;
	struct sim_opts o = { .delay_ns = 5 * SIM_MS };
	assert_int_equal(sim_init(&s, &o), 0);
	int c, d;
	tsim_pair(&s, 80, &c, &d);
	assert_int_equal(ust_shutdown(s.a, c, SHUT_WR), 0);
	assert_int_equal(ust_shutdown(s.b, d, SHUT_WR), 0);
	sim_run(&s, 7 * SIM_MS);	/* FINs crossed: each saw the other's before its ACK */
	assert_int_equal(tsim_state(s.a, c), UST_TCPS_CLOSING);
	assert_int_equal(tsim_state(s.b, d), UST_TCPS_CLOSING);
	sim_run(&s, 20 * SIM_MS);
	assert_int_equal(tsim_state(s.a, c), UST_TCPS_TIME_WAIT);
	assert_int_equal(tsim_state(s.b, d), UST_TCPS_TIME_WAIT);
	ust_close(s.a, c);
	ust_close(s.b, d);
	sim_run(&s, 61 * SIM_SEC);
	assert_int_equal(ust__tcp(s.a)->ntcb, 0);
	assert_int_equal(ust__tcp(s.b)->ntcb, 0);
	sim_fini(&s);
}

static void close_with_queued_data(void **state)
{
	(void)state;
	struct sim s;
	struct sim_opts o = { .delay_ns = 10 * SIM_MS };
	assert_int_equal(sim_init(&s, &o), 0);
	int c, d;
	tsim_pair(&s, 80, &c, &d);
	static uint8_t data[150000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	assert_int_equal(ust_write(s.a, c, data, sizeof(data)), (ssize_t)sizeof(data));
	ust_close(s.a, c);	/* graceful: everything is still delivered, then FIN */
	static uint8_t got[sizeof(data)];
	size_t n = 0;
	bool eof = false;
	for (int i = 0; i < 20000 && !eof; i++) {
		ssize_t r = ust_read(s.b, d, got + n, sizeof(got) - n);
		if (r == 0)
			eof = true;
		else if (r > 0)
			n += (size_t)r;
		else
			sim_run(&s, SIM_MS);
	}
	assert_true(eof);
	assert_int_equal(n, sizeof(data));
	assert_memory_equal(got, data, sizeof(data));
	ust_close(s.b, d);
	sim_run(&s, 100 * SIM_SEC);
	assert_int_equal(ust__tcp(s.a)->ntcb, 0);
	sim_fini(&s);
}

static int connect_from(struct ust_stack *st, uint16_t lport, uint32_t ip, uint16_t port)
{
	int sd = ust_socket(st, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in la = sim_addr(0, lport), ra = sim_addr(ip, port);
	assert_int_equal(ust_bind(st, sd, (struct sockaddr *)&la, sizeof(la)), 0);
	assert_int_equal(ust_connect(st, sd, (struct sockaddr *)&ra, sizeof(ra)), -1);
	assert_int_equal(errno, EINPROGRESS);
	return sd;
}

/* What A sent towards B in the injection tests below (B never sees it). */
struct a_seg {
	uint8_t flags;
	uint32_t seq, ack, len;
};
static struct a_seg a_segs[64];
static unsigned n_a_segs;

static unsigned swallow_a(struct sim *s, int dir, struct ust_pool *pool, struct ust_pkt *pkt, uint64_t *delay_ns)
{
	(void)s;
	(void)delay_ns;
	const uint8_t *f = ust_pkt_data(pool, pkt);
	if (dir != 0 || pkt->len < 54 || f[23] != 6)
		return 1;
	uint32_t ihl = (f[14] & 0xfu) * 4u, tot = ust_get_be16(f + 16);
	const uint8_t *t = f + 14 + ihl;
	if (n_a_segs < 64)
		a_segs[n_a_segs++] = (struct a_seg){ .flags = t[13], .seq = ust_get_be32(t + 4),
						     .ack = ust_get_be32(t + 8),
						     .len = tot - ihl - (t[12] >> 4) * 4u };
	return 0;
}

/* B's side played by injection: segments from B:80 to A's connecting socket. */
static void to_a(struct sim *s, uint16_t aport, uint8_t flags, uint32_t seq, uint32_t ack)
{
	struct ust_tcp_repr r = { .src_port = 80, .dst_port = aport, .seq = seq, .ack = ack, .flags = flags,
				  .window = 65535 };
	if (flags & UST_TCP_SYN) {
		r.opts.has_mss = true;
		r.opts.mss = 1460;
	}
	tsim_inject(s->a, SIM_IP_B, SIM_IP_A, &r, NULL, 0);
	sim_run(s, SIM_MS);
}

/*
 * close() in SYN_RECEIVED (reached by a simultaneous open): the FIN is deferred until the
 * handshake completes (tcp_sock.c queue_fin), then leaves; and FIN_WAIT_1 goes straight to
 * TIME_WAIT when the peer's FIN and the ACK of ours come in one segment (RFC 9293 3.10.7.4).
 */
static void close_in_syn_received_then_fin_ack(void **state)
{
	(void)state;
	struct sim s;
	n_a_segs = 0;
	assert_int_equal(sim_init(&s, &(struct sim_opts){ .impair = swallow_a, .tcp_msl_ms = 1000 }), 0);
	int c = tsim_connect(s.a, SIM_IP_B, 80);
	sim_run(&s, SIM_MS);
	struct ust__tcb *t = ust__tcp_tcb(s.a, c);
	assert_int_equal(t->state, UST_TCPS_SYN_SENT);
	uint16_t aport = t->lport;
	uint32_t iss = t->iss;
	assert_int_equal(n_a_segs, 1);
	assert_int_equal(a_segs[0].flags, UST_TCP_SYN);
	/* B's SYN crosses ours: simultaneous open */
	to_a(&s, aport, UST_TCP_SYN, 5000, 0);
	assert_int_equal(t->state, UST_TCPS_SYN_RECEIVED);
	assert_int_equal(n_a_segs, 2);
	assert_int_equal(a_segs[1].flags, UST_TCP_SYN | UST_TCP_ACK);
	assert_int_equal(a_segs[1].ack, 5001);
	/* close now: no FIN yet, the handshake is not done */
	assert_int_equal(ust_close(s.a, c), 0);
	sim_run(&s, 10 * SIM_MS);
	assert_int_equal(t->state, UST_TCPS_SYN_RECEIVED);
	for (unsigned i = 0; i < n_a_segs; i++)
		assert_false(a_segs[i].flags & UST_TCP_FIN);
	/* B's ACK of A's SYN completes it: ESTABLISHED, then at once FIN_WAIT_1 with the FIN
	 * sent (B's own SYN-ACK would be below RCV.NXT: A answers it with an ACK, which is what
	 * completes a simultaneous open between two stacks, tcp_sim_basic) */
	unsigned before = n_a_segs;
	to_a(&s, aport, UST_TCP_ACK, 5001, iss + 1);
	assert_int_equal(t->state, UST_TCPS_FIN_WAIT_1);
	bool fin = false;
	for (unsigned i = before; i < n_a_segs; i++)
		if (a_segs[i].flags & UST_TCP_FIN) {
			fin = true;
			assert_int_equal(a_segs[i].seq, iss + 1);
		}
	assert_true(fin);
	/* B's FIN together with the ACK of A's FIN: straight to TIME_WAIT, B's FIN ACKed */
	before = n_a_segs;
	to_a(&s, aport, UST_TCP_FIN | UST_TCP_ACK, 5001, iss + 2);
	assert_int_equal(t->state, UST_TCPS_TIME_WAIT);
	assert_true(n_a_segs > before);
	assert_int_equal(a_segs[n_a_segs - 1].flags, UST_TCP_ACK);
	assert_int_equal(a_segs[n_a_segs - 1].ack, 5002);
	sim_run(&s, 3 * SIM_SEC);	/* 2 MSL = 2 s */
	assert_int_equal(ust__tcp(s.a)->ntcb, 0);
	sim_fini(&s);
}

static void time_wait_reuse(void **state)
{
	(void)state;
	struct sim s;
	assert_int_equal(sim_init(&s, NULL), 0);
	int l = tsim_listen(s.b, 80, 8);
	/* 1: the client closes first: its own TIME_WAIT is reused by its next connect */
	int c = connect_from(s.a, 40000, SIM_IP_B, 80);
	int d = tsim_accept(&s, s.b, l, SIM_SEC);
	assert_true(d >= 0);
	ust_close(s.a, c);
	sim_run(&s, 20 * SIM_MS);
	ust_close(s.b, d);
	sim_run(&s, 20 * SIM_MS);
	assert_int_equal(only_tcb(s.a)->state, UST_TCPS_TIME_WAIT);
	sim_run(&s, SIM_SEC);
	c = connect_from(s.a, 40000, SIM_IP_B, 80);
	d = tsim_accept(&s, s.b, l, SIM_SEC);
	assert_true(d >= 0);
	assert_int_equal(tsim_state(s.a, c), UST_TCPS_ESTABLISHED);
	assert_int_equal(sim_counter(s.a, "tcp.rx_tw_reuse"), 1);
	/* 2: the server closes first: a new SYN (newer timestamp) takes over its TIME_WAIT */
	ust_close(s.b, d);
	sim_run(&s, 20 * SIM_MS);
	ust_close(s.a, c);
	sim_run(&s, 20 * SIM_MS);
	struct ust__demux_key k = ust__demux_key_make(UST_IPPROTO_TCP, SIM_IP_B, 80, SIM_IP_A, 40000);
	struct ust__demux_node *n = ust__demux_lookup(&s.b->demux, &k);
	assert_non_null(n);
	assert_int_equal(((struct ust__tcb *)n->owner)->state, UST_TCPS_TIME_WAIT);
	sim_run(&s, SIM_SEC);
	c = connect_from(s.a, 40000, SIM_IP_B, 80);
	d = tsim_accept(&s, s.b, l, SIM_SEC);
	assert_true(d >= 0);
	assert_int_equal(sim_counter(s.b, "tcp.rx_tw_reuse"), 1);
	assert_int_equal(ust_write(s.a, c, "again", 5), 5);
	sim_run(&s, 50 * SIM_MS);
	char buf[8];
	assert_int_equal(ust_read(s.b, d, buf, sizeof(buf)), 5);
	ust_close(s.a, c);
	ust_close(s.b, d);
	ust_close(s.b, l);
	sim_run(&s, 70 * SIM_SEC);
	assert_int_equal(ust__tcp(s.a)->ntcb, 0);
	assert_int_equal(ust__tcp(s.b)->ntcb, 0);
	sim_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(active_close_time_wait),
		cmocka_unit_test(msl_out_of_range_refused),
		cmocka_unit_test(default_time_wait_is_60s),
		cmocka_unit_test(orphan_fin_wait2_timeout),
		cmocka_unit_test(half_close),
		cmocka_unit_test(simultaneous_close),
		cmocka_unit_test(close_with_queued_data),
		cmocka_unit_test(time_wait_reuse),
		cmocka_unit_test(close_in_syn_received_then_fin_ack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
