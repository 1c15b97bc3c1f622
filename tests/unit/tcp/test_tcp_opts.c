/* SYN option offer/echo and negotiation: each option only when both sides sent it, MSS
 * default 536, window scale clamp to 14 and choice from the receive buffer, TS.Recent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/tcp_opts.h"

static const struct ust_tcp_syn_config all = { .mss = 1460, .rcvbuf = 1 << 20, .wscale = true,
					       .timestamps = true, .sack = true };

static void test_active_open(void **state)
{
	struct ust_tcp_options syn, synack = { 0 };
	struct ust_tcp_negotiated n;

	(void)state;
	ust_tcp_syn_options(&all, NULL, 777, &syn);
	assert_true(syn.has_mss && syn.mss == 1460);
	assert_true(syn.has_wscale);
	assert_int_equal(syn.wscale, 5);	/* 1 MiB >> 5 = 32768 */
	assert_true(syn.has_timestamp && syn.ts_val == 777 && syn.ts_ecr == 0);
	assert_true(syn.sack_permitted);
	/* a peer that answers with nothing */
	ust_tcp_negotiate(&syn, &synack, &n);
	assert_int_equal(n.peer_mss, 536);
	assert_false(n.wscale_ok);
	assert_int_equal(n.snd_wscale, 0);
	assert_int_equal(n.rcv_wscale, 0);	/* our offer is void too */
	assert_false(n.ts_ok);
	assert_false(n.sack_ok);
	/* a full answer, with an out-of-range shift */
	synack = (struct ust_tcp_options){ .has_mss = true, .mss = 1400, .has_wscale = true,
					   .wscale = 15, .has_timestamp = true, .ts_val = 99,
					   .ts_ecr = 777, .sack_permitted = true };
	ust_tcp_negotiate(&syn, &synack, &n);
	assert_int_equal(n.peer_mss, 1400);
	assert_true(n.wscale_ok);
	assert_int_equal(n.snd_wscale, 14);
	assert_int_equal(n.rcv_wscale, 5);
	assert_true(n.ts_ok);
	assert_int_equal(n.ts_recent, 99);
	assert_true(n.sack_ok);
}

static void test_passive_open_echoes_only_offers(void **state)
{
	struct ust_tcp_options peer = { .has_mss = true, .mss = 8960, .has_timestamp = true,
					.ts_val = 5 };
	struct ust_tcp_options synack;
	struct ust_tcp_negotiated n;

	(void)state;
	ust_tcp_syn_options(&all, &peer, 1000, &synack);
	assert_false(synack.has_wscale);	/* peer did not offer it */
	assert_false(synack.sack_permitted);
	assert_true(synack.has_timestamp);
	assert_int_equal(synack.ts_ecr, 5);
	ust_tcp_negotiate(&synack, &peer, &n);
	assert_int_equal(n.peer_mss, 8960);
	assert_false(n.wscale_ok);
	assert_true(n.ts_ok);
	assert_false(n.sack_ok);
	/* we do not offer what our config disables even if the peer does */
	struct ust_tcp_syn_config none = { .mss = 536, .rcvbuf = 65535 };
	peer.has_wscale = true;
	peer.sack_permitted = true;
	ust_tcp_syn_options(&none, &peer, 1, &synack);
	assert_false(synack.has_wscale || synack.has_timestamp || synack.sack_permitted);
	ust_tcp_negotiate(&synack, &peer, &n);
	assert_false(n.wscale_ok || n.ts_ok || n.sack_ok);
	/* window scale offered with shift 0 for small buffers is still "scaling on" */
	struct ust_tcp_syn_config small = all;
	small.rcvbuf = 65535;
	ust_tcp_syn_options(&small, &peer, 1, &synack);
	assert_true(synack.has_wscale);
	assert_int_equal(synack.wscale, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_active_open),
		cmocka_unit_test(test_passive_open_echoes_only_offers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
