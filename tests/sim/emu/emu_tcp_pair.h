/*
 * The harness of the TCP-through-the-emulator simulations: two ustack stacks (A 10.0.0.1,
 * B 10.0.0.2) on a pair link whose stage is one emulator instance (each direction gets its
 * own pipe instance: the pair's two pools differ), on a virtual clock. Header-only, for the
 * tests in this folder (test_emu_tcp.c, test_tcp_sim_hystart.c).
 */
#ifndef USTACK_TEST_EMU_TCP_PAIR_H
#define USTACK_TEST_EMU_TCP_PAIR_H

#include "emu_test_util.h"

#include "core/util.h"
#include "io/backend.h"
#include "ustack/stack.h"

#define ETP_GRAN_NS 100000ull	/* emulator timer tick: 100 us */

struct emu_tcp_pair {
	struct ust_pool *pa, *pb;
	struct ust_emu *emu;
	struct ust_stack *a, *b;
	uint64_t now;
};

/* Pools of `buffers` each, the emulator with `pipe_line` for all traffic, the two stacks
 * (A with congestion control `cc_a`, NULL for the default). */
static inline void etp_init(struct emu_tcp_pair *t, uint32_t buffers, const char *pipe_line,
			    uint64_t seed, const char *cc_a)
{
	memset(t, 0, sizeof(*t));
	t->pa = t_pool(buffers);
	t->pb = t_pool(buffers);
	/* the pair copies frames into the receiver's pool: a->b (out) frames live in pb */
	struct ust_emu_config ec = { .granularity_ns = ETP_GRAN_NS, .seed = seed, .pool = { t->pb, t->pa } };
	assert_int_equal(ust_emu_create(&t->emu, &ec), 0);
	t_cmd(t->emu, "%s", pipe_line);
	t_cmd(t->emu, "add 100 pipe 1 ip from any to any");
	struct ust_pair_config pc = { .stage_ops = &ust_emu_stage_ops, .stage = t->emu };
	struct ust_backend *ea = NULL, *eb = NULL;
	assert_int_equal(ust_pair_create(&ea, &eb, t->pa, t->pb, &pc), 0);
	const char *why = NULL;
	struct ust_stack_config ca = { .ip = "10.0.0.1/24", .seed = 1, .tcp_congestion = cc_a };
	struct ust_stack_config cb = { .ip = "10.0.0.2/24", .seed = 2 };
	assert_int_equal(ust_stack_create_on(&t->a, ea, &ca, &why), 0);
	assert_int_equal(ust_stack_create_on(&t->b, eb, &cb, &why), 0);
}

static inline void etp_fini(struct emu_tcp_pair *t)
{
	ust_stack_destroy(t->a);
	ust_stack_destroy(t->b);
	ust_emu_destroy(t->emu);
	ust_pool_destroy(t->pa);
	ust_pool_destroy(t->pb);
}

/* Process everything due, then jump to the next deadline (at most `end`). */
static inline void etp_run_until(struct emu_tcp_pair *t, uint64_t end)
{
	for (;;) {
		for (int i = 0; i < 100000; i++) {
			int n = ust_stack_poll(t->a, t->now) + ust_stack_poll(t->b, t->now);
			uint64_t d = UST_MIN(ust_stack_next_deadline(t->a), ust_stack_next_deadline(t->b));
			if (n == 0 && d > t->now)
				break;
		}
		if (t->now >= end)
			return;
		uint64_t next = UST_MIN(ust_stack_next_deadline(t->a), ust_stack_next_deadline(t->b));
		if (next > end)
			next = end;
		if (next <= t->now)
			next = t->now + 1;
		t->now = next;
	}
}

#endif
