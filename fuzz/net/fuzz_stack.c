/*
 * Whole-stack fuzz target: the input is a sequence of records
 *   [ctrl: 1 byte][len: 2 bytes big endian][frame: len bytes]
 * fed as Ethernet frames into a stack (10.0.0.2/24) over a pair link on a virtual clock.
 * ctrl's low 4 bits advance the clock by 2^n ms before the frame (up to 32 s: reassembly
 * and ARP timeouts fire); bit 4 makes the application read its sockets and echo what it got;
 * bit 5 makes it send a 3000-byte datagram (fragments, ARP) to 10.0.0.1. A UDP socket on
 * port 7 and an ICMP echo socket exist throughout. At the end the stack is destroyed: the
 * pools must be whole again and the sanitizers must see no leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/backend.h"
#include "net/stack.h"
#include "ustack/socket.h"
#include "ustack/stack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drain(struct ust_backend *peer, struct ust_pool *pool, uint64_t now)
{
	struct ust_pkt *pkts[64];
	unsigned n;
	while ((n = ust_backend_rx(peer, pkts, 64, now)) > 0)
		ust_pkt_free_batch(pool, pkts, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ust_pool *pool_a, *pool_b;
	struct ust_pool_config pc = { .count = 512, .buf_size = 2048, .headroom = 128 };
	if (ust_pool_create(&pool_a, &pc) || ust_pool_create(&pool_b, &pc))
		abort();
	struct ust_backend *peer, *end;
	struct ust_pair_config lc = { .mtu = 1500 };
	if (ust_pair_create(&peer, &end, pool_a, pool_b, &lc))
		abort();
	struct ust_stack_config cfg = { .ip = "10.0.0.2/24", .gateway = "10.0.0.254", .seed = 1 };
	struct ust_stack *st;
	if (ust_stack_create_on(&st, end, &cfg, NULL))
		abort();
	int udp = ust_socket(st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a7 = { .sin_family = AF_INET, .sin_port = htons(7) };
	ust_bind(st, udp, (struct sockaddr *)&a7, sizeof(a7));
	int icmp = ust_socket(st, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	int ep = ust_epoll_create(st);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	ust_epoll_ctl(st, ep, EPOLL_CTL_ADD, udp, &ev);

	static uint8_t buf[65536];
	uint64_t now = 0;
	size_t off = 0;
	while (off + 3 <= size) {
		uint8_t ctrl = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		off += 3;
		if (len > size - off)
			len = size - off;
		if (len > 1518)
			len = 1518;
		now += (1ull << (ctrl & 15)) * 1000000ull;
		struct ust_pkt *pkt = ust_pkt_alloc(pool_a);
		if (pkt) {
			memcpy(ust_pkt_put(pool_a, pkt, (uint32_t)len), data + off, len);
			ust_backend_tx(peer, &pkt, 1, now);
		}
		off += len;
		ust_stack_poll(st, now);
		if (ctrl & 0x10) {
			struct sockaddr_in from;
			socklen_t flen = sizeof(from);
			ssize_t n = ust_recvfrom(st, udp, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
			if (n >= 0)
				ust_sendto(st, udp, buf, (size_t)n, 0, (struct sockaddr *)&from, flen);
			(void)ust_read(st, icmp, buf, sizeof(buf));
			struct epoll_event out[2];
			ust_epoll_collect(st, ep, out, 2);
		}
		if (ctrl & 0x20) {
			struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9),
						  .sin_addr.s_addr = htonl(0x0a000001) };
			memset(buf, ctrl, 3000);
			ust_sendto(st, udp, buf, 3000, 0, (struct sockaddr *)&to, sizeof(to));
		}
		ust_stack_poll(st, now);
		drain(peer, pool_a, now);
	}
	ust_stack_destroy(st);
	ust_backend_close(peer);
	if (ust_pool_available(pool_a) != pool_a->count || ust_pool_available(pool_b) != pool_b->count)
		abort();	/* a buffer outlived the stack */
	ust_pool_destroy(pool_a);
	ust_pool_destroy(pool_b);
	return 0;
}
