/*
 * The stack-wide TCP memory limit (ust_stack_config.tcp_mem_limit) on the pair link's virtual
 * clock: connections whose application never reads cannot make a stack hold more than the
 * limit (plus each socket's guaranteed minimum) while another connection still transfers to
 * completion; a writer at the limit gets EAGAIN and no EPOLLOUT, then both come back once the
 * peer reads; and the accounting returns to zero when every socket is closed, also after loss
 * and reordering filled out-of-order queues. At every quiet point the accounted total is
 * checked against the buffers really on the queues.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tcp_harness.h"

#define BUF 2048u			/* the harness's buffer size */
#define LIMIT_BUFS 256u
#define NIDLE 16

struct watch {
	uint32_t max_in_use_b;
	uint32_t loss_pm, reorder_pm;
	uint32_t rng;
};

static uint32_t rnd(struct watch *w)
{
	w->rng = w->rng * 1103515245u + 12345u;
	return w->rng >> 8;
}

static unsigned hook(struct sim *s, int dir, struct ust_pool *pool, struct ust_pkt *pkt, uint64_t *delay_ns)
{
	(void)dir;
	(void)pool;
	(void)pkt;
	struct watch *w = s->opts.arg;
	if (s->b) {
		uint32_t n = sim_small_in_use(s->b);
		if (n > w->max_in_use_b)
			w->max_in_use_b = n;
	}
	if (w->loss_pm && rnd(w) % 1000 < w->loss_pm)
		return 0;
	if (w->reorder_pm && rnd(w) % 1000 < w->reorder_pm)
		*delay_ns = 3 * SIM_MS;
	return 1;
}

static uint64_t queue_mem(struct ust_stack *st, const struct ust__pq *q)
{
	uint64_t mem = 0;
	uint32_t n = 0;
	for (uint32_t t = q->head; t != UST_PKT_NONE; n++) {
		struct ust_pkt *p = ust__pq_deref(&st->pools, t);
		mem += ust__pkt_pool(&st->pools, p)->buf_size;
		t = p->next;
	}
	assert_int_equal(n, q->count);
	return mem;
}

/* The accounted total is the sum over the connections of the buffers on their queues. */
static uint64_t check_accounting(struct ust_stack *st)
{
	struct ust__tcp *tp = ust__tcp(st);
	uint64_t sum = 0;
	for (struct ust__tcb *t = tp->all; t; t = t->all_next) {
		uint64_t mem = queue_mem(st, &t->sndq) + queue_mem(st, &t->rcvq) + queue_mem(st, &t->oooq);
		assert_int_equal(mem, t->sndq.mem + t->rcvq.mem + t->oooq.mem);
		assert_int_equal(mem, t->mem);
		sum += mem;
	}
	assert_int_equal(sum, tp->mem_total);
	assert_true(tp->mem_peak >= tp->mem_total);
	return sum;
}

/* Write up to len bytes of a counting pattern from *pos; returns bytes written. */
static size_t write_pattern(struct ust_stack *st, int sd, uint64_t *pos, size_t len)
{
	uint8_t buf[16384];
	size_t done = 0;
	while (done < len) {
		size_t n = UST_MIN(sizeof(buf), len - done);
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)((*pos + i) * 7u);
		ssize_t w = ust_write(st, sd, buf, n);
		if (w <= 0)
			break;
		*pos += (uint64_t)w;
		done += (size_t)w;
	}
	return done;
}

static size_t read_check(struct ust_stack *st, int sd, uint64_t *pos)
{
	uint8_t buf[16384];
	size_t done = 0;
	ssize_t r;
	while ((r = ust_read(st, sd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < r; i++)
			assert_int_equal(buf[i], (uint8_t)((*pos + (uint64_t)i) * 7u));
		*pos += (uint64_t)r;
		done += (size_t)r;
	}
	return done;
}

static void close_all_and_check(struct sim *s, const int *socks_a, int na, const int *socks_b, int nb)
{
	for (int i = 0; i < na; i++)
		ust_close(s->a, socks_a[i]);
	for (int i = 0; i < nb; i++)
		ust_close(s->b, socks_b[i]);
	sim_run(s, 130 * SIM_SEC);
	assert_int_equal(ust__tcp(s->a)->ntcb, 0);
	assert_int_equal(ust__tcp(s->b)->ntcb, 0);
	assert_int_equal(ust__tcp(s->a)->mem_total, 0);
	assert_int_equal(ust__tcp(s->b)->mem_total, 0);
	assert_int_equal(sim_small_in_use(s->a), 0);
	assert_int_equal(sim_small_in_use(s->b), 0);
}

static void idle_readers_bounded(void **state)
{
	(void)state;
	struct watch w = { 0 };
	struct sim s;
	uint64_t limit = (uint64_t)LIMIT_BUFS * BUF;
	struct sim_opts o = { .delay_ns = 2 * SIM_MS, .impair = hook, .arg = &w, .buffers = 2048,
			      .tcp_mem_limit = limit };
	assert_int_equal(sim_init(&s, &o), 0);
	assert_int_equal(ust__tcp(s.b)->mem_limit, limit);
	int l = tsim_listen(s.b, 80, NIDLE + 4);
	int ca[NIDLE + 1], cb[NIDLE + 2];
	for (int i = 0; i <= NIDLE; i++) {
		ca[i] = tsim_connect(s.a, SIM_IP_B, 80);
		cb[i] = tsim_accept(&s, s.b, l, 10 * SIM_SEC);
		assert_true(cb[i] >= 0);
	}
	cb[NIDLE + 1] = l;
	/* the first NIDLE connections: A writes all it can, B never reads */
	uint64_t pos[NIDLE] = { 0 };
	for (int round = 0; round < 100; round++) {
		for (int i = 0; i < NIDLE; i++)
			write_pattern(s.a, ca[i], &pos[i], 1u << 20);
		sim_run(&s, 20 * SIM_MS);
		check_accounting(s.a);
		check_accounting(s.b);
	}
	/* meanwhile the last one moves 2 MB both ways to completion */
	struct tsim_xfer ab = { .len = 2u << 20, .seed = 11 };
	struct tsim_xfer ba = { .len = 2u << 20, .seed = 12 };
	assert_true(tsim_pump(&s, s.a, ca[NIDLE], &ab, s.b, cb[NIDLE], &ba, s.now + 600 * SIM_SEC));
	assert_true(ab.sum_rx == ab.sum_tx && ba.sum_rx == ba.sum_tx);
	check_accounting(s.a);
	check_accounting(s.b);

	/* each socket may exceed the limit by its guaranteed minimum, nothing more */
	uint64_t bound = limit + (uint64_t)(NIDLE + 1) * 2 * UST_TCP_MEM_MIN_BUFS * BUF;
	struct ust__tcp *tb = ust__tcp(s.b), *ta = ust__tcp(s.a);
	printf("B: peak %llu of limit %llu (bound %llu), pool in use at most %u; A: peak %llu\n",
	       (unsigned long long)tb->mem_peak, (unsigned long long)limit, (unsigned long long)bound,
	       w.max_in_use_b, (unsigned long long)ta->mem_peak);
	printf("A: mem_limit_hits %llu tx_mem_limited %llu; B: rx_dropped_mem %llu rx_ooo_dropped_mem %llu autotune_mem_limited %llu\n",
	       (unsigned long long)sim_counter(s.a, "tcp.mem_limit_hits"),
	       (unsigned long long)sim_counter(s.a, "tcp.tx_mem_limited"),
	       (unsigned long long)sim_counter(s.b, "tcp.rx_dropped_mem"),
	       (unsigned long long)sim_counter(s.b, "tcp.rx_ooo_dropped_mem"),
	       (unsigned long long)sim_counter(s.b, "tcp.autotune_mem_limited"));
	assert_true(tb->mem_peak <= bound);
	assert_true(ta->mem_peak <= bound);
	assert_true(tb->mem_peak >= limit / 2);	/* the idle readers did press on the limit */
	/* the pool: what TCP holds plus frames being received and sent */
	assert_true(w.max_in_use_b <= bound / BUF + 64);
	assert_true(sim_counter(s.a, "tcp.tx_mem_limited") > 0);
	assert_true(sim_counter(s.a, "tcp.mem_limit_hits") >= sim_counter(s.a, "tcp.tx_mem_limited"));
	close_all_and_check(&s, ca, NIDLE + 1, cb, NIDLE + 2);
	sim_fini(&s);
}

static void writer_eagain_then_resumes(void **state)
{
	(void)state;
	struct watch w = { 0 };
	struct sim s;
	uint64_t limit = 64u * BUF;
	struct sim_opts o = { .delay_ns = 2 * SIM_MS, .impair = hook, .arg = &w, .tcp_mem_limit = limit };
	assert_int_equal(sim_init(&s, &o), 0);
	int c, d;
	tsim_pair(&s, 80, &c, &d);
	/* a send buffer far above the stack's limit: the limit is what stops the writer */
	int v = 1 << 20;
	assert_int_equal(ust_setsockopt(s.a, c, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), 0);
	int ep = ust_epoll_create(s.a);
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLET, .data.u32 = 1 }, out[4];
	assert_int_equal(ust_epoll_ctl(s.a, ep, EPOLL_CTL_ADD, c, &ev), 0);
	uint64_t wpos = 0, rpos = 0;
	/* fill until a write right after the stack ran still gets nothing in */
	for (int i = 0; i < 100; i++) {
		write_pattern(s.a, c, &wpos, 1u << 20);
		sim_run(&s, 20 * SIM_MS);
	}
	uint8_t byte = (uint8_t)(wpos * 7u);
	errno = 0;
	assert_int_equal(ust_write(s.a, c, &byte, 1), -1);
	assert_int_equal(errno, EAGAIN);
	struct ust__tcb *t = ust__tcp_tcb(s.a, c);
	assert_true(t->sndq.bytes < t->sndbuf);		/* not the send buffer */
	assert_true(ust__tcp(s.a)->mem_total <= limit);
	assert_true(sim_counter(s.a, "tcp.tx_mem_limited") > 0);
	assert_false(tsim_events(s.a, c) & EPOLLOUT);
	while (ust_epoll_collect(s.a, ep, out, 4) > 0) {
	}
	assert_int_equal(ust_epoll_collect(s.a, ep, out, 4), 0);
	check_accounting(s.a);
	check_accounting(s.b);

	/* the peer reads: acknowledged data frees the send queue, EPOLLOUT comes back */
	uint64_t before = wpos, t0 = s.now;
	for (int i = 0; i < 6000 && rpos < before; i++) {
		read_check(s.b, d, &rpos);
		sim_run(&s, 20 * SIM_MS);
	}
	printf("all %llu bytes written before the limit were read %.2f s (virtual) later; B dropped %llu in-order segments at its limit\n",
	       (unsigned long long)before, (double)(s.now - t0) / 1e9,
	       (unsigned long long)sim_counter(s.b, "tcp.rx_dropped_mem"));
	assert_int_equal(rpos, before);
	assert_int_equal(ust_epoll_collect(s.a, ep, out, 4), 1);
	assert_true(out[0].events & EPOLLOUT);
	assert_true(tsim_events(s.a, c) & EPOLLOUT);
	assert_true(write_pattern(s.a, c, &wpos, 4096) > 0);
	/* and everything written arrives intact */
	for (int i = 0; i < 200 && rpos < wpos; i++) {
		read_check(s.b, d, &rpos);
		sim_run(&s, 20 * SIM_MS);
	}
	assert_int_equal(rpos, wpos);
	check_accounting(s.a);
	check_accounting(s.b);
	ust_close(s.a, ep);
	int sa[] = { c }, sb[] = { d };
	close_all_and_check(&s, sa, 1, sb, 1);
	sim_fini(&s);
}

static void no_drift_after_loss(void **state)
{
	(void)state;
	struct watch w = { .loss_pm = 20, .reorder_pm = 30, .rng = 5 };
	struct sim s;
	struct sim_opts o = { .delay_ns = 2 * SIM_MS, .impair = hook, .arg = &w, .tcp_mem_limit = 128u * BUF };
	assert_int_equal(sim_init(&s, &o), 0);
	int l = tsim_listen(s.b, 80, 8);
	int ca[3], cb[4];
	for (int i = 0; i < 3; i++) {
		ca[i] = tsim_connect(s.a, SIM_IP_B, 80);
		cb[i] = tsim_accept(&s, s.b, l, 10 * SIM_SEC);
		assert_true(cb[i] >= 0);
	}
	cb[3] = l;
	/* two connections hold unread data both ways; the third transfers through loss */
	uint64_t pos[4] = { 0 };
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 2; i++) {
			write_pattern(s.a, ca[i], &pos[i], 1u << 20);
			write_pattern(s.b, cb[i], &pos[2 + i], 1u << 20);
		}
		sim_run(&s, 20 * SIM_MS);
	}
	struct tsim_xfer ab = { .len = 1u << 20, .seed = 21, .close_after = true };
	struct tsim_xfer ba = { .len = 1u << 20, .seed = 22, .close_after = true };
	assert_true(tsim_pump(&s, s.a, ca[2], &ab, s.b, cb[2], &ba, s.now + 600 * SIM_SEC));
	assert_true(ab.sum_rx == ab.sum_tx && ba.sum_rx == ba.sum_tx);
	check_accounting(s.a);
	check_accounting(s.b);
	printf("ooo segments B %llu A %llu; dropped at the limit: in order %llu, out of order %llu\n",
	       (unsigned long long)sim_counter(s.b, "tcp.rx_ooo_segments"),
	       (unsigned long long)sim_counter(s.a, "tcp.rx_ooo_segments"),
	       (unsigned long long)(sim_counter(s.a, "tcp.rx_dropped_mem") + sim_counter(s.b, "tcp.rx_dropped_mem")),
	       (unsigned long long)(sim_counter(s.a, "tcp.rx_ooo_dropped_mem") +
				    sim_counter(s.b, "tcp.rx_ooo_dropped_mem")));
	assert_true(sim_counter(s.b, "tcp.rx_ooo_segments") > 0);
	assert_true(ust__tcp(s.a)->mem_total > 0 && ust__tcp(s.b)->mem_total > 0);
	close_all_and_check(&s, ca, 3, cb, 4);
	sim_fini(&s);
}

/* ust_stack_create_on with a limit of `limit` on a pool of 2048 buffers of BUF bytes. */
static int create_with_limit(size_t limit, uint64_t *got)
{
	struct ust_pool *pa, *pb;
	struct ust_pool_config pc = { .count = 2048, .buf_size = BUF, .headroom = 128 };
	assert_int_equal(ust_pool_create(&pa, &pc), 0);
	assert_int_equal(ust_pool_create(&pb, &pc), 0);
	struct ust_pair_config lc = { 0 };
	struct ust_backend *ea, *eb;
	assert_int_equal(ust_pair_create(&ea, &eb, pa, pb, &lc), 0);
	struct ust_stack_config cfg = { .ip = "10.0.0.2/24", .seed = 2, .tcp_mem_limit = limit };
	struct ust_stack *st = NULL;
	const char *why = NULL;
	int err = ust_stack_create_on(&st, eb, &cfg, &why);	/* takes eb, also on failure */
	if (err)
		assert_non_null(strstr(why, "tcp_mem_limit"));
	else
		*got = ust__tcp(st)->mem_limit;
	ust_stack_destroy(st);
	ust_backend_close(ea);
	ust_pool_destroy(pa);
	ust_pool_destroy(pb);
	return err;
}

static void bad_limit_refused(void **state)
{
	(void)state;
	uint64_t got = 0;
	/* less than one socket's guaranteed minimum (both directions) */
	assert_int_equal(create_with_limit(2u * UST_TCP_MEM_MIN_BUFS * BUF - 1, &got), -EINVAL);
	/* more than the pool */
	assert_int_equal(create_with_limit(2048ull * BUF + 1, &got), -EINVAL);
	assert_int_equal(create_with_limit(2u * UST_TCP_MEM_MIN_BUFS * BUF, &got), 0);
	assert_int_equal(got, 2u * UST_TCP_MEM_MIN_BUFS * BUF);
	assert_int_equal(create_with_limit(2048ull * BUF, &got), 0);
	assert_int_equal(got, 2048ull * BUF);
	assert_int_equal(create_with_limit(0, &got), 0);	/* default: 3/4 of the pool */
	assert_int_equal(got, 1536ull * BUF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(idle_readers_bounded),
		cmocka_unit_test(writer_eagain_then_resumes),
		cmocka_unit_test(no_drift_after_loss),
		cmocka_unit_test(bad_limit_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
