/*
 * Congestion control on the pair link: the stack-wide default (ust_stack_config.tcp_congestion,
 * TCP_CONGESTION overriding it, unknown names refused at creation).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "io/backend.h"
#include "tcp_harness.h"

static void cc_name(struct ust_stack *st, int sd, char *out, size_t cap)
{
	socklen_t n = (socklen_t)cap;
	memset(out, 0, cap);
	assert_int_equal(ust_getsockopt(st, sd, IPPROTO_TCP, TCP_CONGESTION, out, &n), 0);
}

static void default_is_cubic(void **state)
{
	(void)state;
	struct sim s;
	char nm[16];
	assert_int_equal(sim_init(&s, NULL), 0);
	int l = tsim_listen(s.b, 80, 8);
	int c = tsim_connect(s.a, SIM_IP_B, 80);
	cc_name(s.a, c, nm, sizeof(nm));
	assert_string_equal(nm, "cubic");
	int d = tsim_accept(&s, s.b, l, SIM_SEC);
	assert_true(d >= 0);
	cc_name(s.b, d, nm, sizeof(nm));
	assert_string_equal(nm, "cubic");
	assert_ptr_equal(ust__tcp_tcb(s.b, d)->cc.ops, &ust_tcp_cc_cubic);
	sim_fini(&s);
}

static void stack_default_newreno(void **state)
{
	(void)state;
	struct sim s;
	struct sim_opts o = { .tcp_congestion = "newreno" };
	char nm[16];
	assert_int_equal(sim_init(&s, &o), 0);
	int l = tsim_listen(s.b, 80, 8);
	int c = tsim_connect(s.a, SIM_IP_B, 80);
	cc_name(s.a, c, nm, sizeof(nm));
	assert_string_equal(nm, "newreno");
	/* TCP_CONGESTION still overrides the stack's default for one socket */
	int c2 = tsim_connect(s.a, SIM_IP_B, 80);
	assert_int_equal(ust_setsockopt(s.a, c2, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5), 0);
	int d = tsim_accept(&s, s.b, l, SIM_SEC);
	int d2 = tsim_accept(&s, s.b, l, SIM_SEC);
	assert_true(d >= 0 && d2 >= 0);
	/* the connection actually runs the module (passive side too: children take the default) */
	assert_ptr_equal(ust__tcp_tcb(s.a, c)->cc.ops, &ust_tcp_cc_newreno);
	assert_ptr_equal(ust__tcp_tcb(s.a, c2)->cc.ops, &ust_tcp_cc_cubic);
	assert_ptr_equal(ust__tcp_tcb(s.b, d)->cc.ops, &ust_tcp_cc_newreno);
	assert_ptr_equal(ust__tcp_tcb(s.b, d2)->cc.ops, &ust_tcp_cc_newreno);
	cc_name(s.b, d, nm, sizeof(nm));
	assert_string_equal(nm, "newreno");
	sim_fini(&s);
}

static void unknown_name_refused(void **state)
{
	(void)state;
	struct ust_pool_config pc = { .count = 256, .buf_size = 2048, .headroom = 128 };
	struct ust_pool *pa, *pb;
	assert_int_equal(ust_pool_create(&pa, &pc), 0);
	assert_int_equal(ust_pool_create(&pb, &pc), 0);
	struct ust_pair_config lc = { 0 };
	struct ust_backend *ea, *eb;
	assert_int_equal(ust_pair_create(&ea, &eb, pa, pb, &lc), 0);
	struct ust_stack_config cfg = { .ip = "10.0.0.2/24", .seed = 2, .tcp_congestion = "bbr" };
	struct ust_stack *st = (struct ust_stack *)0x1;
	const char *why = NULL;
	assert_int_equal(ust_stack_create_on(&st, eb, &cfg, &why), -ENOENT);	/* eb is closed */
	assert_non_null(why);
	assert_non_null(strstr(why, "tcp_congestion"));
	ust_backend_close(ea);
	ust_pool_destroy(pa);
	ust_pool_destroy(pb);
	assert_string_equal(ust_tcp_congestion_builtin(0), "newreno");
	assert_string_equal(ust_tcp_congestion_builtin(1), "cubic");
	assert_null(ust_tcp_congestion_builtin(2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_is_cubic),
		cmocka_unit_test(stack_default_newreno),
		cmocka_unit_test(unknown_name_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
