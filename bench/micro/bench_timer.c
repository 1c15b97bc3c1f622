/*
 * Micro-benchmark of core/timer: one start+stop pair on a wheel that already holds 100k armed
 * timers (expiries spread over 10 minutes at 1 ms granularity, so on levels 0-2), which is the
 * per-segment cost TCP pays to re-arm its retransmission timer.
 * Prints "timer start+stop: X ns".
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/timer.h"
#include "core/util.h"

#define ARMED 100000u
#define ROUNDS 10000000u
#define PROBES 1024u

static void noop(struct ust_timer *timer, uint64_t now)
{
	(void)timer;
	(void)now;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int main(void)
{
	struct ust_timer_wheel *w = malloc(sizeof(*w));
	struct ust_timer *armed = calloc(ARMED, sizeof(*armed));
	struct ust_timer *probes = calloc(PROBES, sizeof(*probes));
	uint64_t *exp = calloc(PROBES, sizeof(*exp));
	uint64_t s = 88172645463325252ull, now = 1000 * UST_NS_PER_SEC;
	ust_timer_wheel_init(w, now, UST_TIMER_GRANULARITY_NS_DEFAULT);
	for (unsigned i = 0; i < ARMED; i++) {
		ust_timer_init(&armed[i], noop);
		ust_timer_start(w, &armed[i], now + 1 + rnd(&s) % (600 * UST_NS_PER_SEC));
	}
	for (unsigned i = 0; i < PROBES; i++) {
		ust_timer_init(&probes[i], noop);
		exp[i] = now + 1 + rnd(&s) % (600 * UST_NS_PER_SEC);
	}
	uint64_t t0 = ust_clock_now_ns();
	for (unsigned i = 0; i < ROUNDS; i++) {
		struct ust_timer *t = &probes[i % PROBES];
		ust_timer_start(w, t, exp[(i * 7) % PROBES]);
		ust_timer_stop(w, t);
	}
	uint64_t t1 = ust_clock_now_ns();
	printf("timer start+stop: %.1f ns\n", (double)(t1 - t0) / ROUNDS);
	if (w->pending != ARMED)
		return 1;
	free(exp);
	free(probes);
	free(armed);
	free(w);
	return 0;
}
