/*
 * Unit tests of the tools' common option parsing (tool.c): every value is accepted whole or
 * refused, and a refusal leaves the configuration unchanged. Runs without a stack or root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tool.h"

static void test_ipv4_addresses(void **state)
{
	uint32_t a = 0;

	(void)state;
	assert_true(ust_tool_valid_ipv4("10.0.0.1", &a));
	assert_int_equal(a, 0x0a000001u);
	assert_true(ust_tool_valid_ipv4("255.255.255.255", &a));
	assert_int_equal(a, 0xffffffffu);
	assert_true(ust_tool_valid_ipv4("0.0.0.0", NULL));
	const char *bad[] = { "", "10.0.0", "10.0.0.1.2", "10.0.0.300", "1..2.3", "a.b.c.d",
			      " 1.2.3.4", "1.2.3.4 ", "1.2.3.-4", "1.2.3.4/24", "1234.1.1.1", "1.2.3.0004" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(ust_tool_valid_ipv4(bad[i], NULL));
}

static void test_common_options(void **state)
{
	struct ust_tool t;

	(void)state;
	ust_tool_init(&t, "test");
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_IP, "10.0.0.2/24"), 1);
	assert_string_equal(t.cfg.ip, "10.0.0.2/24");
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_IP, "10.0.0.300/24"), -1);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_IP, "10.0.0.3"), -1);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_IP, "10.0.0.3/33"), -1);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_IP, "10.0.0.3/"), -1);
	assert_string_equal(t.cfg.ip, "10.0.0.2/24");	/* refusals change nothing */

	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_IF, "tap:ut0"), 1);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_IF, "afpacket:veth0"), 1);
	assert_string_equal(t.cfg.ifspec, "afpacket:veth0");
	/* backend options after the name do not count against its length */
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_IF, "afpacket:0123456789abcde,ring=v3"), 1);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_IF, "afpacket:0123456789abcdef,ring=v3"), -1);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_IF, "tap:"), -1);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_IF, "ut0"), -1);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_IF, "bogus:ut0"), -1);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_IF, "tap:0123456789abcdef"), -1);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_IF, "tap:a/b"), -1);

	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_MAC, "02:00:0a:4d:00:02"), 1);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_MAC, "02:00:0a:4d:00"), -1);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_MAC, "02:00:0a:4d:00:02:03"), -1);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_MAC, "2:00:0a:4d:00:02"), -1);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_GW, "10.0.0.1"), 1);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_GW, "10.0.0.1/24"), -1);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_PCAP, ""), -1);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_PCAP_SNAPLEN, "128"), 1);
	assert_int_equal(t.cfg.pcap_snaplen, 128);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_PCAP_SNAPLEN, "59"), -1);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_PCAP_SNAPLEN, "128k"), -1);
	assert_int_equal(t.cfg.pcap_snaplen, 128);	/* refusals change nothing */
	assert_null(t.cfg.tcp_congestion);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_CONGESTION, "newreno"), 1);
	assert_string_equal(t.cfg.tcp_congestion, "newreno");
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_CONGESTION, "bbr"), -1);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_CONGESTION, ""), -1);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_CONGESTION, "cubic "), -1);
	assert_string_equal(t.cfg.tcp_congestion, "newreno");	/* refusals change nothing */
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_NO_OFFLOAD, NULL), 1);
	assert_true(t.cfg.no_offload);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_BUSY_POLL, NULL), 1);
	assert_true(t.busy_poll);
	assert_int_equal(t.cpu_latency_us, -1);	/* no PM QoS request unless asked */
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_CPU_LATENCY, "0"), 1);
	assert_int_equal(t.cpu_latency_us, 0);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_CPU_LATENCY, "-5"), -1);
	assert_int_equal(ust_tool_common_option(&t, UST_TOOL_OPT_CPU_LATENCY, "10us"), -1);
	assert_int_equal(t.cpu_latency_us, 0);
	assert_int_equal(ust_tool_common_option(&t, 'c', "3"), 0);	/* not a common option */
	assert_int_equal(ust_tool_check_required(&t), 0);
}

static void test_required(void **state)
{
	struct ust_tool t;

	(void)state;
	ust_tool_init(&t, "test");
	assert_int_equal(ust_tool_check_required(&t), -1);
	t.cfg.ifspec = "tap:x";
	assert_int_equal(ust_tool_check_required(&t), -1);
	t.cfg.ip = "10.0.0.2/24";
	assert_int_equal(ust_tool_check_required(&t), 0);
}

static void test_numbers(void **state)
{
	struct ust_tool t;
	unsigned long v = 7;
	uint64_t ns = 7;
	uint16_t port = 7;

	(void)state;
	ust_tool_init(&t, "test");
	assert_int_equal(ust_tool_parse_ulong(&t, "-c", "65507", 0, 65507, &v), 0);
	assert_int_equal(v, 65507);
	assert_int_equal(ust_tool_parse_ulong(&t, "-c", "65508", 0, 65507, &v), -1);
	assert_int_equal(ust_tool_parse_ulong(&t, "-c", "-1", 0, 65507, &v), -1);
	assert_int_equal(ust_tool_parse_ulong(&t, "-c", "12x", 0, 65507, &v), -1);
	assert_int_equal(ust_tool_parse_ulong(&t, "-c", "", 0, 65507, &v), -1);
	assert_int_equal(v, 65507);

	assert_int_equal(ust_tool_parse_seconds(&t, "-i", "0.2", 0, 3600, &ns), 0);
	assert_int_equal(ns, 200000000ull);
	assert_int_equal(ust_tool_parse_seconds(&t, "-i", "0", 0, 3600, &ns), 0);
	assert_int_equal(ns, 0);
	const char *bad[] = { "-1", "", "fast", "nan", "inf", "1e9", " 1", "1s" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ust_tool_parse_seconds(&t, "-i", bad[i], 0, 3600, &ns), -1);

	assert_int_equal(ust_tool_parse_port(&t, "-p", "65535", &port), 0);
	assert_int_equal(port, 65535);
	assert_int_equal(ust_tool_parse_port(&t, "-p", "0", &port), -1);
	assert_int_equal(ust_tool_parse_port(&t, "-p", "65536", &port), -1);
	assert_int_equal(ust_tool_parse_port(&t, "-p", "+1", &port), -1);
	assert_int_equal(ust_tool_parse_port(&t, "-p", "http", &port), -1);
	assert_int_equal(port, 65535);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_addresses),
		cmocka_unit_test(test_common_options),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
