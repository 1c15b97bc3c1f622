/* The per-connection control block stays under 1 KiB (issue goal for idle connections). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "net/tcp.h"

static void tcb_under_1k(void **state)
{
	(void)state;
	printf("sizeof(struct ust__tcb) = %zu bytes (of which cc %zu, rtt %zu)\n", sizeof(struct ust__tcb),
	       sizeof(struct ust_tcp_cc), sizeof(struct ust_tcp_rtt));
	assert_true(sizeof(struct ust__tcb) < 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(tcb_under_1k) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
