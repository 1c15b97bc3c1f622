/*
 * Unit tests for core/timer on a virtual clock: exact firing tick, never early, stop, restart
 * from a callback, timers on every level and the overflow list with random expiries and
 * random (also huge) time steps, and the next_deadline property.
 *
 * "Due time" of a timer below is its expiry rounded up to the granularity: the wheel fires it
 * at the first advance whose now reaches that (timer.h: never early, < one granularity late).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/timer.h"
#include "core/util.h"

struct probe {
	struct ust_timer timer;
	unsigned fired;
	uint64_t fired_at;
};

static void probe_fn(struct ust_timer *timer, uint64_t now)
{
	struct probe *p = UST_CONTAINER_OF(timer, struct probe, timer);
	assert_false(ust_timer_pending(timer));
	p->fired++;
	p->fired_at = now;
}

static void test_fires_in_its_tick(void **state)
{
	(void)state;
	const uint64_t g = UST_NS_PER_MS;
	struct ust_timer_wheel w;
	ust_timer_wheel_init(&w, 0, g);
	assert_int_equal(ust_timer_wheel_next_deadline(&w), UINT64_MAX);

	struct probe a = { 0 }, b = { 0 }, c = { 0 };
	ust_timer_init(&a.timer, probe_fn);
	ust_timer_init(&b.timer, probe_fn);
	ust_timer_init(&c.timer, probe_fn);
	assert_false(ust_timer_pending(&a.timer));
	ust_timer_start(&w, &a.timer, 5 * g + g / 2);	/* due at 6 ms */
	ust_timer_start(&w, &b.timer, 7 * g);		/* exactly on a tick: due at 7 ms */
	ust_timer_start(&w, &c.timer, 300 * g + 1);	/* level 1: due at 301 ms */
	assert_true(ust_timer_pending(&a.timer));
	assert_int_equal(w.pending, 3);
	assert_int_equal(ust_timer_wheel_next_deadline(&w), 6 * g);

	for (uint64_t now = 0; now <= 400 * g; now += g / 10) {
		unsigned n = ust_timer_wheel_advance(&w, now);
		assert_int_equal(a.fired, now >= 6 * g);
		assert_int_equal(b.fired, now >= 7 * g);
		assert_int_equal(c.fired, now >= 301 * g);
		if (now == 6 * g || now == 7 * g || now == 301 * g)
			assert_int_equal(n, 1);
		else
			assert_int_equal(n, 0);
	}
	assert_int_equal(a.fired_at, 6 * g);
	assert_int_equal(b.fired_at, 7 * g);
	assert_int_equal(c.fired_at, 301 * g);
	assert_int_equal(w.pending, 0);
	assert_int_equal(w.fired, 3);
	assert_int_equal(ust_timer_wheel_next_deadline(&w), UINT64_MAX);
}

static void test_past_and_stop(void **state)
{
	(void)state;
	const uint64_t g = 1000;
	struct ust_timer_wheel w;
	ust_timer_wheel_init(&w, 1000000, g);
	struct probe a = { 0 }, b = { 0 }, c = { 0 };
	ust_timer_init(&a.timer, probe_fn);
	ust_timer_init(&b.timer, probe_fn);
	ust_timer_init(&c.timer, probe_fn);

	/* In the past (or exactly now): fires on the next advance, even with the same now. */
	ust_timer_start(&w, &a.timer, 5);
	ust_timer_start(&w, &b.timer, 1000000);
	assert_int_equal(ust_timer_wheel_next_deadline(&w), 1000000);
	assert_int_equal(ust_timer_wheel_advance(&w, 1000000), 2);
	assert_int_equal(a.fired_at, 1000000);

	/* Stop prevents firing; stop twice and stop of an idle timer are harmless. */
	ust_timer_start(&w, &c.timer, 1000000 + 50 * g);
	ust_timer_stop(&w, &c.timer);
	ust_timer_stop(&w, &c.timer);
	ust_timer_stop(&w, &a.timer);
	assert_false(ust_timer_pending(&c.timer));
	assert_int_equal(w.pending, 0);
	assert_int_equal(ust_timer_wheel_next_deadline(&w), UINT64_MAX);
	assert_int_equal(ust_timer_wheel_advance(&w, 1000000 + 100 * g), 0);
	assert_int_equal(c.fired, 0);

	/* Re-arming moves the timer: only the last expiry counts. */
	uint64_t t0 = 1000000 + 100 * g;
	ust_timer_start(&w, &c.timer, t0 + 10 * g);
	ust_timer_start(&w, &c.timer, t0 + 100000 * g);
	ust_timer_start(&w, &c.timer, t0 + 20 * g);
	assert_int_equal(w.pending, 1);
	assert_int_equal(ust_timer_wheel_advance(&w, t0 + 19 * g), 0);
	assert_int_equal(ust_timer_wheel_advance(&w, t0 + 20 * g), 1);
	assert_int_equal(ust_timer_wheel_advance(&w, t0 + 200000 * g), 0);
	assert_int_equal(c.fired, 1);

	/* Time does not go backwards. */
	ust_timer_start(&w, &c.timer, t0 + 300000 * g);
	assert_int_equal(ust_timer_wheel_advance(&w, 0), 0);
	assert_true(ust_timer_pending(&c.timer));
	ust_timer_stop(&w, &c.timer);
}

/* A periodic timer restarting itself, and a callback that stops another timer of its slot. */
struct periodic {
	struct ust_timer timer;
	struct ust_timer_wheel *wheel;
	uint64_t period;
	unsigned fired;
	uint64_t last;
	struct ust_timer *victim;
};

static void periodic_fn(struct ust_timer *timer, uint64_t now)
{
	struct periodic *p = UST_CONTAINER_OF(timer, struct periodic, timer);
	p->fired++;
	p->last = now;
	if (p->victim)
		ust_timer_stop(p->wheel, p->victim);
	if (p->fired < 100)
		ust_timer_start(p->wheel, timer, now + p->period);
}

static void test_restart_from_callback(void **state)
{
	(void)state;
	const uint64_t g = 1000;
	struct ust_timer_wheel w;
	ust_timer_wheel_init(&w, 0, g);
	struct periodic p = { .wheel = &w, .period = 10 * g };
	struct probe victim = { 0 };
	ust_timer_init(&p.timer, periodic_fn);
	ust_timer_init(&victim.timer, probe_fn);
	ust_timer_start(&w, &p.timer, 10 * g);
	for (uint64_t now = 0; now <= 2000 * g; now += g) {
		ust_timer_wheel_advance(&w, now);
		assert_int_equal(p.fired, UST_MIN(now / (10 * g), 100));
	}
	assert_int_equal(p.last, 1000 * g);
	assert_false(ust_timer_pending(&p.timer));

	/* Both due in the same tick: whichever runs first, the victim must not fire after being
	 * stopped by the other's callback (at most one of the two fires). */
	ust_timer_wheel_init(&w, 0, g);
	p.fired = 99;	/* no restart */
	p.victim = &victim.timer;
	ust_timer_start(&w, &victim.timer, 5 * g);
	ust_timer_start(&w, &p.timer, 5 * g);
	assert_int_equal(ust_timer_wheel_advance(&w, 5 * g) + 0u, 1u + victim.fired);
	assert_int_equal(p.fired, 100);
	assert_int_equal(w.pending, 0);

	/* A callback restarting in the past: fires on the following advance, not in a loop. */
	p.victim = NULL;
	p.fired = 0;
	p.period = 0;
	ust_timer_start(&w, &p.timer, 6 * g);
	assert_int_equal(ust_timer_wheel_advance(&w, 6 * g), 1);
	assert_true(ust_timer_pending(&p.timer));
	assert_int_equal(ust_timer_wheel_advance(&w, 6 * g), 1);
	assert_int_equal(p.fired, 2);
	ust_timer_stop(&w, &p.timer);
}

/* --- property test: random expiries on every level, random steps, stops and restarts --- */

#define NTIMERS 4000

struct rtimer {
	struct ust_timer timer;
	uint64_t expires;	/* as last started */
	bool past;		/* started with expires <= the wheel's now: due next advance */
	unsigned fired;		/* in the current advance */
	bool restart;		/* restart from the callback */
};

struct rctx {
	struct ust_timer_wheel wheel;
	struct rtimer t[NTIMERS];
	uint64_t rng;
	uint64_t g;
};

static struct rctx *g_ctx;	/* the callback needs the wheel and the RNG */

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t round_up(uint64_t e, uint64_t g)
{
	return (e / g + (e % g != 0)) * g;
}

/* Expiry at a random distance (in ticks 1..2^40, every level and the overflow list). */
static uint64_t random_expiry(struct rctx *c)
{
	unsigned bits = (unsigned)(rnd(&c->rng) % 41);
	uint64_t ticks = rnd(&c->rng) & ((1ull << bits) - 1);
	uint64_t ns = ticks * c->g + rnd(&c->rng) % c->g;
	if (rnd(&c->rng) % 50 == 0)
		return c->wheel.now - UST_MIN(c->wheel.now, ns);	/* in the past */
	return c->wheel.now + ns;
}

static void arm(struct rctx *c, struct rtimer *t, uint64_t e)
{
	t->expires = e;
	t->past = e <= c->wheel.now;
	ust_timer_start(&c->wheel, &t->timer, e);
}

static void rtimer_fn(struct ust_timer *timer, uint64_t now)
{
	struct rtimer *t = UST_CONTAINER_OF(timer, struct rtimer, timer);
	assert_true(now >= t->expires);	/* never early */
	t->fired++;
	if (t->restart)
		arm(g_ctx, t, random_expiry(g_ctx));
}

static void run_random(uint64_t seed, uint64_t g, unsigned steps)
{
	struct rctx *c = calloc(1, sizeof(*c));
	g_ctx = c;
	c->rng = seed;
	c->g = g;
	ust_timer_wheel_init(&c->wheel, rnd(&c->rng) % (1ull << 40), g);
	for (unsigned i = 0; i < NTIMERS; i++) {
		ust_timer_init(&c->t[i].timer, rtimer_fn);
		arm(c, &c->t[i], random_expiry(c));
	}
	uint64_t now = c->wheel.now;
	bool due_before[NTIMERS];
	bool pending_before[NTIMERS];
	for (unsigned step = 0; step < steps; step++) {
		/* Random stops, restarts and restart-from-callback flags. */
		for (unsigned k = 0; k < 20; k++) {
			struct rtimer *t = &c->t[rnd(&c->rng) % NTIMERS];
			switch (rnd(&c->rng) % 4) {
			case 0: ust_timer_stop(&c->wheel, &t->timer); break;
			case 1: arm(c, t, random_expiry(c)); break;
			default: t->restart = !t->restart; break;
			}
		}

		/* next_deadline: never later than the earliest due time. */
		uint64_t earliest = UINT64_MAX;
		unsigned pending = 0;
		for (unsigned i = 0; i < NTIMERS; i++) {
			struct rtimer *t = &c->t[i];
			if (!ust_timer_pending(&t->timer))
				continue;
			pending++;
			uint64_t due = t->past ? c->wheel.now : round_up(t->expires, g);
			earliest = UST_MIN(earliest, due);
		}
		assert_int_equal(pending, c->wheel.pending);
		uint64_t deadline = ust_timer_wheel_next_deadline(&c->wheel);
		assert_true(deadline <= earliest);

		/* Step: one tick, a random amount, straight to the deadline, or a huge jump. */
		uint64_t step_ns;
		switch (rnd(&c->rng) % 6) {
		case 0: step_ns = g; break;
		case 1: step_ns = rnd(&c->rng) % (g * 3); break;
		case 2: step_ns = deadline > now && deadline != UINT64_MAX ? deadline - now : g; break;
		case 3: step_ns = rnd(&c->rng) % (1ull << (rnd(&c->rng) % 45)); break;
		case 4: step_ns = deadline > now + 1 && deadline != UINT64_MAX ? deadline - now - 1 : 0; break;
		default: step_ns = (1ull << 30) * g + rnd(&c->rng) % (1ull << 34); break;
		}
		now += step_ns;

		for (unsigned i = 0; i < NTIMERS; i++) {
			struct rtimer *t = &c->t[i];
			t->fired = 0;
			pending_before[i] = ust_timer_pending(&t->timer);
			due_before[i] = pending_before[i] && (t->past || round_up(t->expires, g) <= now);
		}
		unsigned n = ust_timer_wheel_advance(&c->wheel, now);
		if (now < deadline)
			assert_int_equal(n, 0);
		unsigned count = 0;
		for (unsigned i = 0; i < NTIMERS; i++) {
			struct rtimer *t = &c->t[i];
			if (t->fired != (due_before[i] ? 1u : 0u))
				fail_msg("step %u timer %u: fired %u times, due %d (expires %llu now %llu)",
					 step, i, t->fired, due_before[i], (unsigned long long)t->expires,
					 (unsigned long long)now);
			count += t->fired;
		}
		assert_int_equal(count, n);
	}
	for (unsigned i = 0; i < NTIMERS; i++)
		ust_timer_stop(&c->wheel, &c->t[i].timer);
	assert_int_equal(c->wheel.pending, 0);
	assert_int_equal(ust_timer_wheel_next_deadline(&c->wheel), UINT64_MAX);
	free(c);
	g_ctx = NULL;
}

static void test_random_all_levels(void **state)
{
	(void)state;
	run_random(0x9e3779b97f4a7c15ull, 1000, 1500);
	run_random(0x0123456789abcdefull, 1, 1000);
	run_random(0xfeedfacecafebeefull, UST_NS_PER_MS, 1000);
}

/* Tick by tick, many timers per level: each fires exactly at its due time. */
static void test_tick_by_tick(void **state)
{
	(void)state;
	const uint64_t g = 10;
	const unsigned n = 3000;
	struct ust_timer_wheel w;
	struct probe *p = calloc(n, sizeof(*p));
	uint64_t *due = calloc(n, sizeof(*due));
	uint64_t s = 42;
	ust_timer_wheel_init(&w, 7, g);
	for (unsigned i = 0; i < n; i++) {
		ust_timer_init(&p[i].timer, probe_fn);
		uint64_t e = 8 + rnd(&s) % (200000 * g);	/* up to level 2 */
		ust_timer_start(&w, &p[i].timer, e);
		due[i] = round_up(e, g);
	}
	for (uint64_t now = 0; now <= 200001 * g; now += g)
		ust_timer_wheel_advance(&w, now);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(p[i].fired, 1);
		assert_int_equal(p[i].fired_at, due[i]);
	}
	free(p);
	free(due);
}

/* Huge jumps: far-future timers (overflow list) fire after one giant advance. */
static void test_big_jumps(void **state)
{
	(void)state;
	const uint64_t g = 1;
	struct ust_timer_wheel w;
	ust_timer_wheel_init(&w, 0, g);
	struct probe p[6] = { 0 };
	const uint64_t e[6] = { 100, 70000, 1ull << 30, 1ull << 33, 1ull << 50, (1ull << 62) + 3 };
	for (unsigned i = 0; i < 6; i++) {
		ust_timer_init(&p[i].timer, probe_fn);
		ust_timer_start(&w, &p[i].timer, e[i]);
	}
	/* Walk by deadlines: each step fires at most the due timers, never early. */
	unsigned steps = 0, fired = 0;
	while (w.pending) {
		uint64_t d = ust_timer_wheel_next_deadline(&w);
		assert_true(d != UINT64_MAX);
		fired += ust_timer_wheel_advance(&w, d);
		assert_true(++steps < 10000);
	}
	assert_int_equal(fired, 6);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(p[i].fired_at, e[i]);

	/* Everything at once after one jump of 2^63 ns. */
	ust_timer_wheel_init(&w, 5, 1000);
	for (unsigned i = 0; i < 6; i++) {
		p[i].fired = 0;
		ust_timer_start(&w, &p[i].timer, e[i] + 5);
	}
	assert_int_equal(ust_timer_wheel_advance(&w, 1ull << 63), 6);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(p[i].fired, 1);
	/* And an empty wheel jumps to the end of time at no cost. */
	assert_int_equal(ust_timer_wheel_advance(&w, UINT64_MAX - 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fires_in_its_tick),
		cmocka_unit_test(test_past_and_stop),
		cmocka_unit_test(test_restart_from_callback),
		cmocka_unit_test(test_tick_by_tick),
		cmocka_unit_test(test_big_jumps),
		cmocka_unit_test(test_random_all_levels),
	};
	return cmocka_run_group_tests_name("core_timer", tests, NULL, NULL);
}
