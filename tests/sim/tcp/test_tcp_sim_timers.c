/*
 * Timers on the virtual clock: RTO backoff doubling and the retry limit (ETIMEDOUT), SYN
 * retries against a black hole (ETIMEDOUT), zero window with persist probes (backing off)
 * and resumption when the reader reads, keepalive detecting a vanished peer (ETIMEDOUT) and
 * keeping a live one, delayed ACKs (sent 40 ms after a lone segment on the virtual clock).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tcp_harness.h"

static bool blackhole;
static uint64_t data_times[64];
static unsigned ndata;

static unsigned hook(struct sim *s, int dir, struct ust_pool *pool, struct ust_pkt *pkt, uint64_t *delay_ns)
{
	(void)delay_ns;
	const uint8_t *f = ust_pkt_data(pool, pkt);
	bool tcp = pkt->len >= 54 && f[12] == 0x08 && f[13] == 0x00 && f[23] == 6;
	if (!tcp)
		return 1;
	if (blackhole) {
		unsigned thl = (f[46] >> 4) * 4u;
		if (dir == 0 && pkt->len > 34 + thl && ndata < 64)
			data_times[ndata++] = s->now;
		return 0;
	}
	return 1;
}

static void setup(struct sim *s)
{
	blackhole = false;
	ndata = 0;
	struct sim_opts o = { .impair = hook, .delay_ns = 10 * SIM_MS };
	assert_int_equal(sim_init(s, &o), 0);
}

static void rto_backoff_and_giveup(void **state)
{
	(void)state;
	struct sim s;
	setup(&s);
	int c, d;
	tsim_pair(&s, 80, &c, &d);
	blackhole = true;
	assert_int_equal(ust_write(s.a, c, "are you there?", 14), 14);
	sim_run(&s, 2000 * SIM_SEC);
	assert_int_equal(tsim_so_error(s.a, c), ETIMEDOUT);
	assert_int_equal(tsim_state(s.a, c), UST_TCPS_CLOSED);
	/* the original + UST_TCP_RETRIES2 retransmissions, each gap twice the one before until
	 * the RTO reaches its maximum */
	assert_int_equal(ndata, 1 + UST_TCP_RETRIES2);
	for (unsigned i = 2; i < ndata; i++) {
		uint64_t g1 = data_times[i - 1] - data_times[i - 2], g2 = data_times[i] - data_times[i - 1];
		printf("retransmission %u after %.3f s\n", i - 1, (double)g2 / 1e9);
		if (g1 * 2 <= UST_TCP_RTO_MAX_US_DEFAULT * 1000ull) {
			assert_true(g2 >= 2 * g1 - 2 * SIM_MS && g2 <= 2 * g1 + g1 / 100 + 2 * SIM_MS);
		} else {
			assert_true(g2 >= g1 - 2 * SIM_MS && g2 <= UST_TCP_RTO_MAX_US_DEFAULT * 1010ull);
		}
	}
	assert_int_equal(sim_counter(s.a, "tcp.rto_giveups"), 1);
	char buf[4];
	assert_int_equal(ust_read(s.a, c, buf, sizeof(buf)), 0);
	ust_close(s.a, c);
	ust_close(s.b, d);
	sim_fini(&s);
}

static void syn_retries(void **state)
{
	(void)state;
	struct sim s;
	setup(&s);
	blackhole = true;
	int c = tsim_connect(s.a, SIM_IP_B, 80);
	sim_run(&s, 60 * SIM_SEC);
	assert_int_equal(tsim_state(s.a, c), UST_TCPS_SYN_SENT);
	sim_run(&s, 200 * SIM_SEC);
	assert_int_equal(tsim_so_error(s.a, c), ETIMEDOUT);
	assert_int_equal(sim_counter(s.a, "tcp.retransmits"), UST_TCP_SYN_RETRIES);
	ust_close(s.a, c);
	sim_fini(&s);
}

static void zero_window(void **state)
{
	(void)state;
	struct sim s;
	setup(&s);
	int l = tsim_listen(s.b, 80, 4);
	int small = 8192;
	assert_int_equal(ust_setsockopt(s.b, l, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	int c = tsim_connect(s.a, SIM_IP_B, 80);
	int d = tsim_accept(&s, s.b, l, SIM_SEC);
	assert_true(d >= 0);
	struct tsim_xfer x = { .len = 100000, .seed = 3 };
	/* write without reading: the window closes */
	static uint8_t buf[100000];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 13 + 1);
	ssize_t w = ust_write(s.a, c, buf, sizeof(buf));
	assert_int_equal(w, (ssize_t)sizeof(buf));
	sim_run(&s, 60 * SIM_SEC);
	struct ust__tcb *at = ust__tcp_tcb(s.a, c);
	assert_int_equal(at->snd_wnd, 0);
	uint64_t probes = sim_counter(s.a, "tcp.zero_window_probes");
	printf("zero-window probes in 60 s: %llu\n", (unsigned long long)probes);
	assert_true(probes >= 3 && probes < 100);	/* probing, with backoff */
	assert_int_equal(tsim_state(s.a, c), UST_TCPS_ESTABLISHED);
	/* the reader reads: the window opens and everything arrives intact */
	static uint8_t got[100000];
	size_t n = 0;
	for (int i = 0; i < 200000 && n < sizeof(got); i++) {
		ssize_t r = ust_read(s.b, d, got + n, sizeof(got) - n);
		if (r > 0)
			n += (size_t)r;
		else
			sim_run(&s, SIM_MS);
	}
	assert_int_equal(n, sizeof(got));
	assert_memory_equal(got, buf, sizeof(got));
	(void)x;
	ust_close(s.a, c);
	ust_close(s.b, d);
	ust_close(s.b, l);
	sim_fini(&s);
}

static void set_keepalive(struct ust_stack *st, int sd, int idle, int intvl, int cnt)
{
	int one = 1;
	assert_int_equal(ust_setsockopt(st, sd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)), 0);
	assert_int_equal(ust_setsockopt(st, sd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)), 0);
	assert_int_equal(ust_setsockopt(st, sd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)), 0);
	assert_int_equal(ust_setsockopt(st, sd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)), 0);
	int v = 0;
	socklen_t vl = sizeof(v);
	assert_int_equal(ust_getsockopt(st, sd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &vl), 0);
	assert_int_equal(v, idle);
}

static void keepalive_live_peer(void **state)
{
	(void)state;
	struct sim s;
	setup(&s);
	int c, d;
	tsim_pair(&s, 80, &c, &d);
	set_keepalive(s.a, c, 10, 2, 3);
	sim_run(&s, 120 * SIM_SEC);
	assert_int_equal(tsim_state(s.a, c), UST_TCPS_ESTABLISHED);
	assert_true(sim_counter(s.a, "tcp.keepalive_probes") >= 5);
	assert_int_equal(sim_counter(s.a, "tcp.keepalive_timeouts"), 0);
	ust_close(s.a, c);
	ust_close(s.b, d);
	sim_fini(&s);
}

static void keepalive_vanished_peer(void **state)
{
	(void)state;
	struct sim s;
	setup(&s);
	int c, d;
	tsim_pair(&s, 80, &c, &d);
	set_keepalive(s.a, c, 10, 2, 3);
	blackhole = true;	/* the peer vanished: nothing gets through any more */
	sim_run(&s, 12 * SIM_SEC);
	assert_int_equal(tsim_state(s.a, c), UST_TCPS_ESTABLISHED);
	sim_run(&s, 10 * SIM_SEC);
	assert_int_equal(tsim_so_error(s.a, c), ETIMEDOUT);
	assert_int_equal(tsim_state(s.a, c), UST_TCPS_CLOSED);
	assert_int_equal(sim_counter(s.a, "tcp.keepalive_probes"), 3);
	assert_int_equal(sim_counter(s.a, "tcp.keepalive_timeouts"), 1);
	ust_close(s.a, c);
	ust_close(s.b, d);
	sim_fini(&s);
}

static void delayed_ack(void **state)
{
	(void)state;
	struct sim s;
	setup(&s);
	int c, d;
	tsim_pair(&s, 80, &c, &d);
	int one = 1;
	ust_setsockopt(s.a, c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	char buf[64];
	/* past the quick-ACK phase of the connection start */
	for (int i = 0; i < 20; i++) {
		ust_write(s.a, c, "0123456789", 10);
		sim_run(&s, 100 * SIM_MS);
		ust_read(s.b, d, buf, sizeof(buf));
	}
	assert_true(sim_counter(s.b, "tcp.delayed_acks") >= 2);
	/* timing on the virtual clock: a lone segment arrives after the 10 ms link delay; its
	 * ACK is held UST_TCP_DELACK_NS (40 ms) and leaves when the timer fires, not before */
	uint64_t before = sim_counter(s.b, "tcp.delayed_acks");
	struct ust__tcb *rt = ust__tcp_tcb(s.b, d), *st = ust__tcp_tcb(s.a, c);
	uint64_t t0 = s.now;
	ust_write(s.a, c, "0123456789", 10);
	sim_run(&s, 10 * SIM_MS);
	assert_int_equal(rt->rcv_nxt, st->snd_max);		/* arrived */
	assert_true(rt->flags & UST_TF_DELACK);
	assert_true(rt->delack_at == t0 + 10 * SIM_MS + UST_TCP_DELACK_NS);
	sim_run(&s, UST_TCP_DELACK_NS - SIM_MS);
	assert_true(st->snd_una != st->snd_max);		/* not acknowledged yet */
	assert_int_equal(sim_counter(s.b, "tcp.delayed_acks"), before);
	sim_run(&s, 2 * SIM_MS);				/* the timer fired (1 ms tick) */
	assert_int_equal(sim_counter(s.b, "tcp.delayed_acks"), before + 1);
	sim_run(&s, 10 * SIM_MS);				/* and the ACK crossed the link */
	assert_int_equal(st->snd_una, st->snd_max);
	ust_close(s.a, c);
	ust_close(s.b, d);
	sim_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rto_backoff_and_giveup),
		cmocka_unit_test(syn_retries),
		cmocka_unit_test(zero_window),
		cmocka_unit_test(keepalive_live_peer),
		cmocka_unit_test(keepalive_vanished_peer),
		cmocka_unit_test(delayed_ack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
