/*
 * Classifier: header fields read from frames (Ethernet, 802.1Q, IPv4, ports only on first
 * fragments), and rule matching: addresses with prefixes, masks and `not`, port lists and
 * ranges, protocols, `all` for non-IP frames, direction, first match in number order.
 */
#include "emu_test_util.h"

static struct ust_emu_flow_id ip_id(uint32_t src, uint32_t dst, uint8_t proto, uint16_t sp,
				    uint16_t dp)
{
	return (struct ust_emu_flow_id){ .src = src, .dst = dst, .proto = proto, .sport = sp,
					 .dport = dp, .is_ip = 1, .has_ports = proto != 1 };
}

/* Number of the rule that takes the packet, or 0. */
static uint32_t which(struct ust_emu *emu, int dir, struct ust_emu_flow_id id)
{
	const struct ust_emu_rule *r = ust__emu_classify(emu, dir, &id, 100);
	return r ? r->num : 0;
}

static void test_emu_classify_parse(void **state)
{
	(void)state;
	struct ust_pool *pool = t_pool(8);
	struct ust_pkt *p = t_frame(pool, IP(10, 1, 2, 3), IP(192, 168, 0, 9), 6, 1234, 80, 60);
	struct ust_emu_flow_id id;
	ust__emu_flow_parse(ust_pkt_data(pool, p), p->len, &id);
	assert_int_equal(id.is_ip, 1);
	assert_int_equal(id.src, IP(10, 1, 2, 3));
	assert_int_equal(id.dst, IP(192, 168, 0, 9));
	assert_int_equal(id.proto, 6);
	assert_int_equal(id.sport, 1234);
	assert_int_equal(id.dport, 80);
	/* a non-first fragment has no ports */
	uint8_t *d = ust_pkt_data(pool, p);
	ust_put_be16(d + 14 + 6, 0x0010);
	ust__emu_flow_parse(d, p->len, &id);
	assert_int_equal(id.has_ports, 0);
	assert_int_equal(id.sport, 0);
	/* truncated IPv4 header: not IP */
	ust__emu_flow_parse(d, 30, &id);
	assert_int_equal(id.is_ip, 0);
	/* ARP */
	ust_put_be16(d + 12, 0x0806);
	ust__emu_flow_parse(d, p->len, &id);
	assert_int_equal(id.is_ip, 0);
	/* 802.1Q tag in front of IPv4 */
	struct ust_pkt *v = ust_pkt_alloc(pool);
	uint8_t *vd = ust_pkt_put(pool, v, 64);
	memset(vd, 0, 64);
	ust_put_be16(vd + 12, 0x8100);
	ust_put_be16(vd + 16, 0x0800);
	vd[18] = 0x45;
	vd[18 + 9] = 17;
	ust_put_be32(vd + 18 + 12, IP(1, 2, 3, 4));
	ust_put_be16(vd + 18 + 22, 53);
	ust__emu_flow_parse(vd, 64, &id);
	assert_int_equal(id.is_ip, 1);
	assert_int_equal(id.src, IP(1, 2, 3, 4));
	assert_int_equal(id.dport, 53);
	ust_pkt_free(pool, p);
	ust_pkt_free(pool, v);
	ust_pool_destroy(pool);
}

static void test_emu_classify_rules(void **state)
{
	(void)state;
	struct ust_pool *pool = t_pool(8);
	struct ust_emu *emu = t_emu(pool, 1, 0);
	t_cmd(emu, "add 500 allow all from any to any");
	t_cmd(emu, "add 100 deny tcp from 10.0.0.0/8 to not 10.1.0.0/16 80,443,8000-8080 out");
	t_cmd(emu, "add 200 deny udp from any 53 to 192.168.1.1:255.255.255.0");
	t_cmd(emu, "add 300 deny icmp from any to any in");
	t_cmd(emu, "add 400 deny ip from 172.16.0.0/12 to any");
	t_cmd(emu, "add 400 deny 132 from any to any");	/* same number: after the first 400 */

	assert_int_equal(which(emu, UST_EMU_DIR_OUT, ip_id(IP(10, 9, 9, 9), IP(8, 8, 8, 8), 6, 1, 443)), 100);
	assert_int_equal(which(emu, UST_EMU_DIR_OUT, ip_id(IP(10, 9, 9, 9), IP(8, 8, 8, 8), 6, 1, 8042)), 100);
	assert_int_equal(which(emu, UST_EMU_DIR_OUT, ip_id(IP(10, 9, 9, 9), IP(8, 8, 8, 8), 6, 1, 8081)), 500);
	assert_int_equal(which(emu, UST_EMU_DIR_IN, ip_id(IP(10, 9, 9, 9), IP(8, 8, 8, 8), 6, 1, 443)), 500);
	assert_int_equal(which(emu, UST_EMU_DIR_OUT, ip_id(IP(10, 9, 9, 9), IP(10, 1, 7, 7), 6, 1, 443)), 500);
	assert_int_equal(which(emu, UST_EMU_DIR_OUT, ip_id(IP(11, 9, 9, 9), IP(8, 8, 8, 8), 6, 1, 443)), 500);
	assert_int_equal(which(emu, UST_EMU_DIR_OUT, ip_id(IP(10, 9, 9, 9), IP(8, 8, 8, 8), 17, 1, 443)), 500);

	assert_int_equal(which(emu, UST_EMU_DIR_IN, ip_id(IP(1, 1, 1, 1), IP(192, 168, 1, 77), 17, 53, 999)), 200);
	assert_int_equal(which(emu, UST_EMU_DIR_IN, ip_id(IP(1, 1, 1, 1), IP(192, 168, 2, 77), 17, 53, 999)), 500);
	assert_int_equal(which(emu, UST_EMU_DIR_IN, ip_id(IP(1, 1, 1, 1), IP(192, 168, 1, 77), 17, 54, 999)), 500);

	assert_int_equal(which(emu, UST_EMU_DIR_IN, ip_id(IP(1, 1, 1, 1), IP(2, 2, 2, 2), 1, 0, 0)), 300);
	assert_int_equal(which(emu, UST_EMU_DIR_OUT, ip_id(IP(1, 1, 1, 1), IP(2, 2, 2, 2), 1, 0, 0)), 500);
	assert_int_equal(which(emu, UST_EMU_DIR_OUT, ip_id(IP(172, 31, 0, 1), IP(2, 2, 2, 2), 47, 0, 0)), 400);
	assert_int_equal(which(emu, UST_EMU_DIR_OUT, ip_id(IP(172, 32, 0, 1), IP(2, 2, 2, 2), 47, 0, 0)), 500);
	const struct ust_emu_flow_id sctp = ip_id(IP(9, 9, 9, 9), IP(2, 2, 2, 2), 132, 1, 1);
	const struct ust_emu_rule *r = ust__emu_classify(emu, 0, &sctp, 1);
	assert_int_equal(r->num, 400);
	assert_int_equal(r->proto, 132);

	/* non-IP frames meet only "all" rules */
	struct ust_emu_flow_id arp = { 0 };
	assert_int_equal(which(emu, UST_EMU_DIR_OUT, arp), 500);
	t_cmd(emu, "delete 500");
	assert_int_equal(which(emu, UST_EMU_DIR_OUT, arp), 0);
	t_cmd(emu, "add 600 deny ip from any to any");
	assert_int_equal(which(emu, UST_EMU_DIR_OUT, arp), 0);
	ust_emu_destroy(emu);
	ust_pool_destroy(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emu_classify_parse),
		cmocka_unit_test(test_emu_classify_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
