/*
 * Big segments: when the backend offers TSO, TCP sends segments of up to 64 KiB (GSO_TCPV4,
 * gso_size = MSS, partial checksum at csum_start/csum_offset) and IPv4 passes them without
 * fragmenting. The pair link here plays the device on both sides: it finishes the checksum
 * and delivers the big frame whole, as GRO would, and the receiver takes it as it is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tcp_harness.h"
#include "wire/checksum.h"

static uint64_t big_frames;

static unsigned hook(void *arg, struct ust_pool *pool, struct ust_pkt *pkt, uint64_t now, uint64_t *delay_ns)
{
	(void)arg;
	(void)now;
	(void)delay_ns;
	uint8_t *f = ust_pkt_data(pool, pkt);
	if (pkt->len < 54 || f[12] != 0x08 || f[13] != 0x00 || f[23] != 6)
		return 1;
	if (pkt->len > 1514)
		big_frames++;
	/* the "device": complete the TCP checksum the stack left partial */
	uint16_t tot = ust_get_be16(f + 16);
	uint32_t src = ust_get_be32(f + 26), dst = ust_get_be32(f + 30);
	uint8_t *tcp = f + 34;
	uint16_t tl = (uint16_t)(tot - 20);
	tcp[16] = tcp[17] = 0;
	ust_put_be16(tcp + 16, ust_csum_fold(ust_csum_partial(tcp, tl, ust_csum_pseudo_ipv4(src, dst, 6, tl))));
	return 1;
}

static void tso_transfer(void **state)
{
	(void)state;
	struct ust_pool *pa, *pb;
	struct ust_pool_config pc = { .count = 512, .buf_size = 65536 + 256, .headroom = 128 };
	assert_int_equal(ust_pool_create(&pa, &pc), 0);
	assert_int_equal(ust_pool_create(&pb, &pc), 0);
	/* the link carries big frames; the stacks' IP MTU stays 1500 */
	struct ust_pair_config lc = { .mtu = 65000, .delay_ns = SIM_MS, .impair = hook };
	struct ust_backend *ea, *eb;
	assert_int_equal(ust_pair_create(&ea, &eb, pa, pb, &lc), 0);
	ea->features |= UST_BACKEND_F_TSO | UST_BACKEND_F_GRO;
	eb->features |= UST_BACKEND_F_TSO | UST_BACKEND_F_GRO;
	struct sim s;
	memset(&s, 0, sizeof(s));
	struct ust_stack_config ca = { .ip = "10.0.0.1/24", .seed = 1, .mtu = 1500 },
				cb = { .ip = "10.0.0.2/24", .seed = 2, .mtu = 1500 };
	assert_int_equal(ust_stack_create_on(&s.a, ea, &ca, NULL), 0);
	assert_int_equal(ust_stack_create_on(&s.b, eb, &cb, NULL), 0);
	s.pool_a = pa;
	s.pool_b = pb;
	sim_run(&s, SIM_MS);
	int c, d;
	tsim_pair(&s, 80, &c, &d);
	assert_true(c >= 0 && d >= 0);
	struct tsim_xfer x = { .len = 4 * 1024 * 1024, .seed = 11, .close_after = true };
	assert_true(tsim_pump(&s, s.a, c, &x, s.b, d, NULL, s.now + 120 * SIM_SEC));
	assert_true(x.sum_rx == x.sum_tx);
	printf("big segments sent %llu, big frames on the link %llu, IPv4 fragments %llu\n",
	       (unsigned long long)sim_counter(s.a, "tcp.tso_segments"), (unsigned long long)big_frames,
	       (unsigned long long)sim_counter(s.a, "ipv4.tx_fragments"));
	assert_true(sim_counter(s.a, "tcp.tso_segments") > 10);
	assert_true(big_frames > 10);
	assert_int_equal(sim_counter(s.a, "ipv4.tx_fragments"), 0);
	ust_close(s.a, c);
	ust_close(s.b, d);
	sim_run(&s, 100 * SIM_SEC);
	sim_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(tso_transfer) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
