/*
 * Test harness for the IP-layer tests: two stacks (A 10.0.0.1, B 10.0.0.2, /24) joined by a
 * pair link on a virtual clock, or one stack (B) facing a raw end through which a test
 * injects hand-made frames and reads what the stack sends. The impairment hook sees every
 * frame (dir 0: towards B, dir 1: towards A) and may drop, duplicate, delay or rewrite it.
 */
#ifndef UST_TEST_NET_HARNESS_H
#define UST_TEST_NET_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/backend.h"
#include "net/stack.h"
#include "ustack/socket.h"
#include "ustack/stack.h"
#include "wire/arp.h"
#include "wire/bytes.h"

#define SIM_IP_A UST_IPV4(10, 0, 0, 1)
#define SIM_IP_B UST_IPV4(10, 0, 0, 2)
#define SIM_MS 1000000ull
#define SIM_SEC 1000000000ull

struct sim;
/* Return copies to deliver (0 drop, 1, 2 duplicate) and optionally *delay_ns. */
typedef unsigned (*sim_impair_fn)(struct sim *s, int dir, struct ust_pool *pool, struct ust_pkt *pkt,
				  uint64_t *delay_ns);

struct sim_opts {
	bool raw_a;		/* A is a raw end, not a stack */
	uint32_t mtu;		/* 0: 1500 */
	uint64_t delay_ns;	/* one-way link delay */
	uint32_t buffers;	/* per pool; 0: 2048 */
	sim_impair_fn impair;
	void *arg;
	bool accept_unsolicited_arp;	/* for B */
	uint32_t tcp_msl_ms;		/* both stacks' ust_stack_config.tcp_msl_ms */
	const char *tcp_congestion;	/* both stacks' ust_stack_config.tcp_congestion */
	size_t tcp_mem_limit;		/* both stacks' ust_stack_config.tcp_mem_limit */
};

struct sim {
	struct sim_opts opts;
	struct ust_pool *pool_a, *pool_b;
	struct ust_backend *end_a;	/* raw mode: the raw end */
	struct ust_stack *a, *b;
	uint64_t now;
	unsigned frames[2];		/* frames seen by the hook per direction */
};

int sim_init(struct sim *s, const struct sim_opts *opts);
void sim_fini(struct sim *s);
/* Run both sides until `end` (absolute virtual time), processing everything due. */
void sim_run_until(struct sim *s, uint64_t end);
static inline void sim_run(struct sim *s, uint64_t dur)
{
	sim_run_until(s, s->now + dur);
}

uint64_t sim_counter(struct ust_stack *st, const char *name);
/* Buffers of a stack's pools in use now. */
uint32_t sim_small_in_use(const struct ust_stack *st);
uint32_t sim_big_in_use(const struct ust_stack *st);

/* Raw mode: send a frame from A's end / receive the next frame B sent (-1 if none). */
void raw_send(struct sim *s, const uint8_t *frame, size_t len);
int raw_recv(struct sim *s, uint8_t *buf, size_t cap);

/* Frame builders (return the frame length). MACs: A 02:00:0a:00:00:01, B derived. */
extern const struct ust_eth_addr sim_mac_a;
extern const struct ust_eth_addr sim_mac_b;
size_t build_eth(uint8_t *f, const struct ust_eth_addr *dst, uint16_t type);
size_t build_arp(uint8_t *f, uint16_t op, const struct ust_eth_addr *eth_dst, const struct ust_eth_addr *sha,
		 uint32_t spa, const struct ust_eth_addr *tha, uint32_t tpa);
/* IPv4 (fragment) carrying payload bytes; offset in bytes. */
size_t build_ip(uint8_t *f, const struct ust_eth_addr *eth_dst, uint32_t src, uint32_t dst, uint8_t proto,
		uint16_t id, uint16_t offset, bool mf, const uint8_t *payload, size_t len);
/* A whole UDP datagram's L4 bytes (header + data) with checksum, into out. */
size_t build_udp_l4(uint8_t *out, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		    const uint8_t *data, size_t len);

/* Socket helpers: a UDP socket on st bound to port (0: ephemeral). */
int sim_udp_socket(struct ust_stack *st, uint16_t port);
struct sockaddr_in sim_addr(uint32_t ip, uint16_t port);

#endif
