/*
 * The stack object: creation from a backend spec or an open backend, the event loop step
 * (ust_stack_poll: receive a batch, run timers, flush the transmit batch), deadlines, the
 * blocking loop step on real time (ust_stack_run_once), counters and capture.
 * Owns: the backend, the big pool (and the frame pool when it created it), the timer wheel,
 * the transmit batch and the loopback queue; the modules' state hangs off the same struct.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/util.h"
#include "io/pcap.h"
#include "net/stack.h"
#include "net/tcp.h"

static const char *const eth_names[] = { UST_ETH_COUNTERS(UST_COUNTER_NAME) };
static const char *const arp_names[] = { UST_ARP_COUNTERS(UST_COUNTER_NAME) };
static const char *const ipv4_names[] = { UST_IPV4_COUNTERS(UST_COUNTER_NAME) };
static const char *const frag_names[] = { UST_FRAG_COUNTERS(UST_COUNTER_NAME) };
static const char *const icmp_names[] = { UST_ICMP_COUNTERS(UST_COUNTER_NAME) };
static const char *const udp_names[] = { UST_UDP_COUNTERS(UST_COUNTER_NAME) };
static const char *const socket_names[] = { UST_SOCKET_COUNTERS(UST_COUNTER_NAME) };
static const char *const backend_names[] = { UST_BACKEND_COUNTERS(UST_COUNTER_NAME) };
/* struct ust_pool_stats, field by field */
static const char *const pool_names[] = { "alloc", "free", "alloc_fail", "in_use_max", "double_free", "bad_free" };
_Static_assert(sizeof(struct ust_pool_stats) == sizeof(pool_names) / sizeof(pool_names[0]) * sizeof(uint64_t),
	       "pool_names must list every field of struct ust_pool_stats");

uint64_t ust_now(void)
{
	return ust_clock_now_ns();
}

uint64_t ust__rand(struct ust_stack *st)
{
	/* xorshift64*: cheap, good enough for ports, ids and hash seeds */
	uint64_t x = st->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	st->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

void ust__stack_flush(struct ust_stack *st)
{
	if (st->ntx == 0)
		return;
	st->eth.tx_batches++;
	ust_backend_tx(st->be, st->txq, st->ntx, st->now);
	st->ntx = 0;
}

void ust__stack_xmit(struct ust_stack *st, struct ust_pkt *pkt)
{
	st->eth.tx_frames++;
	st->txq[st->ntx++] = pkt;
	if (st->ntx == UST_BATCH_MAX)
		ust__stack_flush(st);
}

struct ust_pkt *ust__alloc_frame(struct ust_stack *st)
{
	return ust_pkt_alloc(st->pools.small);
}

struct ust_pkt *ust__alloc_l4(struct ust_stack *st, size_t l4_len)
{
	struct ust_pool *small = st->pools.small;
	if (l4_len + UST_IPV4_HDR_LEN <= st->mtu &&
	    small->headroom + UST_ETH_HDR_LEN + l4_len <= small->buf_size) {
		struct ust_pkt *pkt = ust_pkt_alloc(small);
		if (pkt)
			pkt->head = UST_MAX(pkt->head, (uint32_t)(UST_ETH_HDR_LEN + UST_IPV4_HDR_LEN));
		return pkt;
	}
	if (l4_len + UST_IPV4_HDR_LEN > UST_IPV4_MAX_PACKET)
		return NULL;
	return ust_pkt_alloc(st->pools.big);
}

static uint64_t seed_from(uint64_t seed)
{
	if (seed == 0 && getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = ust_clock_now_ns() ^ (uint64_t)(uintptr_t)&seed;
	return seed ? seed : 0x853c49e6748fea9bull;
}

static int parse_config(struct ust_stack *st, const struct ust_stack_config *cfg, const char **errmsg)
{
	if (!cfg->ip || !strchr(cfg->ip, '/') || ust_ipv4_prefix_parse(cfg->ip, &st->addr, &st->prefix_len) != 0 ||
	    st->addr == 0 || st->prefix_len > 32) {
		*errmsg = "bad --ip (want A.B.C.D/N)";
		return -EINVAL;
	}
	st->netmask = ust_ipv4_netmask(st->prefix_len);
	if (cfg->gateway) {
		if (ust_ipv4_addr_parse(cfg->gateway, &st->gateway) != 0 || st->gateway == 0) {
			*errmsg = "bad --gw (want A.B.C.D)";
			return -EINVAL;
		}
		if ((st->gateway & st->netmask) != (st->addr & st->netmask)) {
			*errmsg = "bad --gw: not in the local subnet";
			return -EINVAL;
		}
	}
	if (cfg->mac) {
		if (ust_eth_addr_parse(cfg->mac, &st->mac) != 0 || ust_eth_addr_is_multicast(&st->mac)) {
			*errmsg = "bad --mac (want a unicast aa:bb:cc:dd:ee:ff)";
			return -EINVAL;
		}
	} else {
		/* locally administered, unicast, unique per address: 02:00:a:b:c:d */
		uint8_t m[6] = { 0x02, 0x00, (uint8_t)(st->addr >> 24), (uint8_t)(st->addr >> 16),
				 (uint8_t)(st->addr >> 8), (uint8_t)st->addr };
		memcpy(st->mac.b, m, 6);
	}
	return 0;
}

static int create_common(struct ust_stack **out, struct ust_backend *be, const struct ust_stack_config *cfg,
			 bool own_pool, uint64_t now, const char **errmsg)
{
	const char *dummy;
	if (!errmsg)
		errmsg = &dummy;
	*errmsg = NULL;
	struct ust_stack *st = calloc(1, sizeof(*st));
	if (!st) {
		*errmsg = "out of memory";
		return -ENOMEM;
	}
	st->be = be;
	st->pools.small = be->pool;
	st->own_small_pool = own_pool;
	st->epfd = -1;
	st->fd_free = -1;
	st->now = now;
	ust__arp_init(st);
	ust_pkt_queue_init(&st->loopq);
	int err = parse_config(st, cfg, errmsg);
	if (err)
		goto fail;
	struct ust_pool *small = be->pool;
	if (small->headroom < UST_ETH_HDR_LEN + UST_IPV4_HDR_LEN) {
		*errmsg = "pool headroom too small (need 34 bytes)";
		err = -EINVAL;
		goto fail;
	}
	uint32_t mtu = be->mtu ? be->mtu : UST_ETH_MTU_DEFAULT;
	if (cfg->mtu)
		mtu = UST_MIN(mtu, cfg->mtu);
	mtu = UST_MIN(mtu, small->buf_size - small->headroom - UST_ETH_HDR_LEN);
	if (mtu < UST_IPV4_MIN_MTU) {
		*errmsg = "bad --mtu (at least 68, and frames must fit a buffer)";
		err = -EINVAL;
		goto fail;
	}
	st->mtu = mtu;
	if (cfg->tcp_msl_ms > UST_TCP_MSL_MS_MAX) {
		*errmsg = "bad tcp_msl_ms (at most 3600000 ms)";
		err = -EINVAL;
		goto fail;
	}
	st->accept_unsolicited_arp = cfg->accept_unsolicited_arp;
	st->rng = seed_from(cfg->seed);
	st->ip_id = (uint16_t)ust__rand(st);
	st->ephemeral_next = (uint16_t)(UST_EPHEMERAL_LOW +
					ust__rand(st) % (UST_EPHEMERAL_HIGH - UST_EPHEMERAL_LOW + 1));
	st->icmp_tokens = UST_ICMP_RATE_BURST;
	st->icmp_tokens_time = now;

	struct ust_pool_config big = { .count = UST_NET_BIG_BUF_COUNT, .buf_size = UST_NET_BIG_BUF_SIZE,
				       .headroom = UST_NET_HEADROOM };
	err = ust_pool_create(&st->pools.big, &big);
	if (err) {
		*errmsg = "cannot allocate the big-buffer pool";
		goto fail;
	}
	ust_timer_wheel_init(&st->wheel, now, UST_TIMER_GRANULARITY_NS_DEFAULT);
	err = ust__demux_init(&st->demux, 256, ust__rand(st));
	if (err) {
		*errmsg = "out of memory";
		goto fail;
	}
	err = ust__ipv4_init(st);
	if (err) {
		*errmsg = "out of memory";
		goto fail;
	}
	for (const struct ust__module *const *m = ust__modules; *m; m++) {
		err = (*m)->init(st);
		if (err) {
			*errmsg = "protocol module failed to start";
			goto fail;
		}
	}
	if (cfg->tcp_msl_ms)
		ust__tcp_set_msl(st, (uint64_t)cfg->tcp_msl_ms * UST_NS_PER_MS);
	err = ust__tcp_set_mem_limit(st, cfg->tcp_mem_limit);
	if (err) {
		*errmsg = "bad tcp_mem_limit (at least 8 buffers, at most the packet pool)";
		goto fail;
	}
	if (cfg->tcp_congestion) {
		err = ust__tcp_set_default_cc(st, cfg->tcp_congestion);
		if (err) {
			*errmsg = "unknown tcp_congestion (built in: newreno, cubic)";
			goto fail;
		}
	}
	int fd = ust_backend_fd(be);
	if (fd >= 0) {
		st->epfd = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN };
		if (st->epfd < 0 || epoll_ctl(st->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			err = -errno;
			*errmsg = "cannot create an epoll instance";
			goto fail;
		}
	}
	if (cfg->pcap) {
		err = ust_backend_capture_snaplen(be, cfg->pcap, cfg->pcap_snaplen);
		if (err) {
			*errmsg = "cannot open the pcap file";
			goto fail;
		}
	}
	ust__arp_announce(st);
	ust__stack_flush(st);
	*out = st;
	return 0;
fail:
	ust_stack_destroy(st);	/* closes the backend: it was handed over */
	return err;
}

int ust_stack_create_on(struct ust_stack **out, struct ust_backend *backend,
			const struct ust_stack_config *cfg, const char **errmsg)
{
	if (!out || !backend || !cfg) {
		if (errmsg)
			*errmsg = "missing argument";
		return -EINVAL;
	}
	return create_common(out, backend, cfg, false, 0, errmsg);
}

int ust_stack_create(struct ust_stack **out, const struct ust_stack_config *cfg, const char **errmsg)
{
	const char *dummy;
	if (!errmsg)
		errmsg = &dummy;
	if (!out || !cfg || !cfg->ifspec) {
		*errmsg = "missing --if";
		return -EINVAL;
	}
	/* A TAP device takes offload unless told not to: with TSO and GRO a 64 KB super-frame
	 * costs one read()/write() instead of 45, which is what makes TAP fast. Its frames need
	 * 64 KiB buffers; the pool is a lazily touched mapping, so only buffers in use cost
	 * memory, and fewer of them are needed (one holds 45 frames' worth). */
	bool offload = strncmp(cfg->ifspec, "tap:", 4) == 0 && !cfg->no_offload;
	struct ust_pool_config pc = { .count = cfg->buffers ? cfg->buffers : UST_POOL_COUNT_DEFAULT,
				      .buf_size = UST_PKT_BUF_SIZE_DEFAULT, .headroom = UST_NET_HEADROOM };
	if (offload) {
		pc.count = cfg->buffers ? cfg->buffers : UST_NET_OFFLOAD_BUF_COUNT;
		pc.buf_size = UST_NET_OFFLOAD_BUF_SIZE;
	}
	struct ust_pool *pool;
	int err = ust_pool_create(&pool, &pc);
	if (err) {
		*errmsg = "cannot allocate packet buffers";
		return err;
	}
	struct ust_backend_config bc = { .offload = offload, .mtu = cfg->mtu };
	struct ust_backend *be;
	err = ust_backend_open(&be, cfg->ifspec, pool, &bc);
	if (err) {
		*errmsg = err == -EPERM ? "cannot open the interface: permission denied (need root or CAP_NET_ADMIN)"
					: "cannot open the interface given by --if";
		ust_pool_destroy(pool);
		return err;
	}
	return create_common(out, be, cfg, true, ust_now(), errmsg);
}

void ust_stack_destroy(struct ust_stack *st)
{
	if (!st)
		return;
	ust__api_close_all(st);
	int nmod = 0;
	while (ust__modules[nmod])
		nmod++;
	for (int i = nmod - 1; i >= 0; i--)
		if (ust__modules[i]->fini)
			ust__modules[i]->fini(st);
	ust__reasm_fini(&st->reasm);
	ust__arp_fini(st);
	ust_pkt_queue_purge(st->pools.small, &st->loopq);
	ust__stack_flush(st);	/* last words (TCP resets) go out */
	ust__api_fini(st);
	ust__demux_fini(&st->demux);
	if (st->epfd >= 0)
		close(st->epfd);
	struct ust_pool *small = st->pools.small;
	ust_backend_close(st->be);
	ust_pool_destroy(st->pools.big);
	if (st->own_small_pool)
		ust_pool_destroy(small);
	free(st);
}

int ust_stack_poll(struct ust_stack *st, uint64_t now)
{
	if (now < st->now)
		now = st->now;	/* the injected clock never goes backwards */
	st->now = now;
	int done = 0;

	/* Frames we sent to ourselves, queued during the previous step. */
	uint32_t loops = st->loopq.count;
	for (uint32_t i = 0; i < loops; i++) {
		struct ust_pkt *pkt = ust_pkt_queue_pop(st->pools.small, &st->loopq);
		ust__ipv4_input_loop(st, pkt, now);
		done++;
	}

	struct ust_pkt *pkts[UST_BATCH_MAX];
	unsigned got = ust_backend_rx(st->be, pkts, UST_BATCH_MAX, now);
	st->rx_more = got == UST_BATCH_MAX;
	for (unsigned i = 0; i < got; i++)
		ust__eth_input(st, pkts[i], now);
	done += (int)got;

	ust_timer_wheel_advance(&st->wheel, now);
	if (st->output_pending) {
		st->output_pending = false;
		for (const struct ust__module *const *m = ust__modules; *m; m++)
			if ((*m)->push)
				(*m)->push(st);
	}
	ust__stack_flush(st);
	return done;
}

uint64_t ust_stack_next_deadline(const struct ust_stack *st)
{
	if (st->rx_more || st->loopq.count || st->output_pending)
		return st->now;
	uint64_t t = ust_timer_wheel_next_deadline(&st->wheel);
	uint64_t b = ust_backend_next_deadline(st->be);
	return UST_MIN(t, b);
}

int ust_stack_fd(const struct ust_stack *st)
{
	return ust_backend_fd(st->be);
}

int ust_stack_run_once(struct ust_stack *st, int timeout_ms)
{
	uint64_t now = ust_now();
	int done = ust_stack_poll(st, now);
	uint64_t deadline = ust_stack_next_deadline(st);
	int wait_ms = timeout_ms;
	if (deadline != UINT64_MAX) {
		uint64_t ms = deadline <= now ? 0 : (deadline - now + UST_NS_PER_MS - 1) / UST_NS_PER_MS;
		if (wait_ms < 0 || ms < (uint64_t)wait_ms)
			wait_ms = (int)UST_MIN(ms, (uint64_t)INT32_MAX);
	}
	if (done > 0 && wait_ms != 0)
		wait_ms = 0;	/* work was done: let the caller look at its sockets first */
	if (wait_ms != 0) {
		if (st->epfd >= 0) {
			struct epoll_event ev;
			int r = epoll_wait(st->epfd, &ev, 1, wait_ms);
			if (r < 0 && errno != EINTR)
				return -errno;
		} else if (wait_ms > 0) {
			struct timespec ts = { .tv_sec = wait_ms / 1000, .tv_nsec = (long)(wait_ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
	return done + ust_stack_poll(st, ust_now());
}

uint32_t ust_stack_ipv4(const struct ust_stack *st)
{
	return st->addr;
}

void ust_stack_mac(const struct ust_stack *st, uint8_t mac[6])
{
	memcpy(mac, st->mac.b, 6);
}

size_t ust__stack_counter_groups(const struct ust_stack *st, struct ust_counter_group *out, size_t max)
{
	struct ust_counter_group g[] = {
		UST_COUNTER_GROUP("eth", eth_names, &st->eth),
		UST_COUNTER_GROUP("arp", arp_names, &st->arp.counters),
		UST_COUNTER_GROUP("ipv4", ipv4_names, &st->ipv4),
		UST_COUNTER_GROUP("frag", frag_names, &st->reasm.counters),
		UST_COUNTER_GROUP("icmp", icmp_names, &st->icmp),
		UST_COUNTER_GROUP("udp", udp_names, &st->udp),
		UST_COUNTER_GROUP("socket", socket_names, &st->sock),
		UST_COUNTER_GROUP("pool", pool_names, &st->pools.small->stats),
		UST_COUNTER_GROUP("bigpool", pool_names, &st->pools.big->stats),
		UST_COUNTER_GROUP("backend", backend_names, &st->be->counters),
	};
	size_t n = 0;
	for (size_t i = 0; i < UST_ARRAY_SIZE(g) && n < max; i++)
		out[n++] = g[i];
	for (const struct ust__module *const *m = ust__modules; *m && n < max; m++)
		if ((*m)->counter_groups)
			n += (*m)->counter_groups(st, out + n, max - n);
	return n;
}

void ust_stack_counters(const struct ust_stack *st, ust_counter_fn fn, void *arg)
{
	struct ust_counter_group g[32];
	size_t n = ust__stack_counter_groups(st, g, UST_ARRAY_SIZE(g));
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < g[i].count; j++)
			if (fn(arg, g[i].group, g[i].names[j], g[i].values[j]))
				return;
}

int ust_stack_counter(const struct ust_stack *st, const char *group_dot_name, uint64_t *value)
{
	const char *dot = group_dot_name ? strchr(group_dot_name, '.') : NULL;
	if (!dot)
		return -ENOENT;
	size_t glen = (size_t)(dot - group_dot_name);
	struct ust_counter_group g[32];
	size_t n = ust__stack_counter_groups(st, g, UST_ARRAY_SIZE(g));
	for (size_t i = 0; i < n; i++) {
		if (strlen(g[i].group) != glen || memcmp(g[i].group, group_dot_name, glen) != 0)
			continue;
		for (size_t j = 0; j < g[i].count; j++) {
			if (strcmp(g[i].names[j], dot + 1) == 0) {
				if (value)
					*value = g[i].values[j];
				return 0;
			}
		}
	}
	return -ENOENT;
}

int ust_stack_capture(struct ust_stack *st, const char *path)
{
	if (!path) {
		int err = ust_pcap_close(st->be->pcap);
		st->be->pcap = NULL;
		return err;
	}
	return ust_backend_capture(st->be, path);
}
