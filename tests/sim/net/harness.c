/* Test harness for the IP-layer tests (see harness.h). */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "wire/arp.h"
#include "wire/bytes.h"
#include "wire/ipv4.h"
#include "wire/udp.h"

const struct ust_eth_addr sim_mac_a = { { 0x02, 0x00, 10, 0, 0, 1 } };
const struct ust_eth_addr sim_mac_b = { { 0x02, 0x00, 10, 0, 0, 2 } };

static unsigned hook(void *arg, struct ust_pool *pool, struct ust_pkt *pkt, uint64_t now, uint64_t *delay_ns)
{
	(void)now;
	struct sim *s = arg;
	int dir = pool == s->pool_b ? 0 : 1;
	s->frames[dir]++;
	if (!s->opts.impair)
		return 1;
	return s->opts.impair(s, dir, pool, pkt, delay_ns);
}

int sim_init(struct sim *s, const struct sim_opts *opts)
{
	memset(s, 0, sizeof(*s));
	if (opts)
		s->opts = *opts;
	uint32_t n = s->opts.buffers ? s->opts.buffers : 2048;
	struct ust_pool_config pc = { .count = n, .buf_size = 2048, .headroom = 128 };
	int err = ust_pool_create(&s->pool_a, &pc);
	if (!err)
		err = ust_pool_create(&s->pool_b, &pc);
	if (err)
		return err;
	struct ust_pair_config lc = { .mtu = s->opts.mtu, .delay_ns = s->opts.delay_ns, .impair = hook,
				      .impair_arg = s };
	struct ust_backend *ea, *eb;
	err = ust_pair_create(&ea, &eb, s->pool_a, s->pool_b, &lc);
	if (err)
		return err;
	const char *why;
	struct ust_stack_config cb = { .ip = "10.0.0.2/24", .seed = 2,
				       .accept_unsolicited_arp = s->opts.accept_unsolicited_arp,
				       .tcp_msl_ms = s->opts.tcp_msl_ms,
				       .tcp_congestion = s->opts.tcp_congestion,
				       .tcp_mem_limit = s->opts.tcp_mem_limit };
	err = ust_stack_create_on(&s->b, eb, &cb, &why);
	if (err)
		return err;
	if (s->opts.raw_a) {
		s->end_a = ea;
	} else {
		struct ust_stack_config ca = { .ip = "10.0.0.1/24", .seed = 1, .tcp_msl_ms = s->opts.tcp_msl_ms,
					       .tcp_congestion = s->opts.tcp_congestion,
					       .tcp_mem_limit = s->opts.tcp_mem_limit };
		err = ust_stack_create_on(&s->a, ea, &ca, &why);
		if (err)
			return err;
	}
	sim_run(s, SIM_MS);	/* gratuitous ARPs */
	return 0;
}

void sim_fini(struct sim *s)
{
	ust_stack_destroy(s->a);
	ust_stack_destroy(s->b);
	ust_backend_close(s->end_a);
	ust_pool_destroy(s->pool_a);
	ust_pool_destroy(s->pool_b);
}

static uint64_t deadline(struct sim *s)
{
	uint64_t t = ust_stack_next_deadline(s->b);
	if (s->a) {
		uint64_t u = ust_stack_next_deadline(s->a);
		t = u < t ? u : t;
	} else {
		uint64_t u = ust_backend_next_deadline(s->end_a);
		(void)u;	/* the test drains the raw end itself */
	}
	return t;
}

void sim_run_until(struct sim *s, uint64_t end)
{
	for (;;) {
		for (int i = 0; i < 100000; i++) {
			int n = ust_stack_poll(s->b, s->now);
			if (s->a)
				n += ust_stack_poll(s->a, s->now);
			if (n == 0 && deadline(s) > s->now)
				break;
		}
		if (s->now >= end)
			return;
		uint64_t next = deadline(s);
		if (next > end)
			next = end;
		if (next <= s->now)
			next = s->now + 1;
		s->now = next;
	}
}

uint64_t sim_counter(struct ust_stack *st, const char *name)
{
	uint64_t v = 0;
	if (ust_stack_counter(st, name, &v) != 0)
		return UINT64_MAX;
	return v;
}

uint32_t sim_small_in_use(const struct ust_stack *st)
{
	return st->pools.small->count - ust_pool_available(st->pools.small);
}

uint32_t sim_big_in_use(const struct ust_stack *st)
{
	return st->pools.big->count - ust_pool_available(st->pools.big);
}

void raw_send(struct sim *s, const uint8_t *frame, size_t len)
{
	struct ust_pkt *pkt = ust_pkt_alloc(s->pool_a);
	if (!pkt)
		return;
	memcpy(ust_pkt_put(s->pool_a, pkt, (uint32_t)len), frame, len);
	ust_backend_tx(s->end_a, &pkt, 1, s->now);
}

int raw_recv(struct sim *s, uint8_t *buf, size_t cap)
{
	struct ust_pkt *pkt;
	if (ust_backend_rx(s->end_a, &pkt, 1, s->now) != 1)
		return -1;
	size_t n = pkt->len < cap ? pkt->len : cap;
	memcpy(buf, ust_pkt_data(s->pool_a, pkt), n);
	ust_pkt_free(s->pool_a, pkt);
	return (int)n;
}

size_t build_eth(uint8_t *f, const struct ust_eth_addr *dst, uint16_t type)
{
	struct ust_eth_repr e = { .dst = *dst, .src = sim_mac_a, .ethertype = type };
	ust_eth_emit(&e, f, UST_ETH_HDR_LEN);
	return UST_ETH_HDR_LEN;
}

size_t build_arp(uint8_t *f, uint16_t op, const struct ust_eth_addr *eth_dst, const struct ust_eth_addr *sha,
		 uint32_t spa, const struct ust_eth_addr *tha, uint32_t tpa)
{
	size_t n = build_eth(f, eth_dst, UST_ETHERTYPE_ARP);
	struct ust_arp_repr a = { .op = op, .sha = *sha, .spa = spa, .tha = *tha, .tpa = tpa };
	ust_arp_emit(&a, f + n, UST_ARP_LEN);
	return n + UST_ARP_LEN;
}

size_t build_ip(uint8_t *f, const struct ust_eth_addr *eth_dst, uint32_t src, uint32_t dst, uint8_t proto,
		uint16_t id, uint16_t offset, bool mf, const uint8_t *payload, size_t len)
{
	size_t n = build_eth(f, eth_dst, UST_ETHERTYPE_IPV4);
	struct ust_ipv4_repr ip = { .src = src, .dst = dst, .protocol = proto, .ttl = 64, .id = id,
				    .more_fragments = mf, .frag_offset = offset,
				    .header_len = UST_IPV4_HDR_LEN, .total_len = (uint16_t)(20 + len) };
	ust_ipv4_emit(&ip, f + n, UST_IPV4_HDR_LEN);
	memcpy(f + n + 20, payload, len);
	return n + 20 + len;
}

size_t build_udp_l4(uint8_t *out, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		    const uint8_t *data, size_t len)
{
	memmove(out + 8, data, len);
	struct ust_udp_repr u = { .src_port = sport, .dst_port = dport, .length = (uint16_t)(8 + len),
				  .payload = out + 8, .payload_len = len };
	ust_udp_emit(&u, src, dst, out, 8 + len);
	return 8 + len;
}

int sim_udp_socket(struct ust_stack *st, uint16_t port)
{
	int sd = ust_socket(st, AF_INET, SOCK_DGRAM, 0);
	if (sd < 0)
		return -1;
	if (port) {
		struct sockaddr_in a = sim_addr(0, port);
		if (ust_bind(st, sd, (struct sockaddr *)&a, sizeof(a)) < 0)
			return -1;
	}
	return sd;
}

struct sockaddr_in sim_addr(uint32_t ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(ip) };
	return a;
}
