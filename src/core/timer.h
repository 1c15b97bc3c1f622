/*
 * Hierarchical timing wheel (Varghese & Lauck) on an injected clock in nanoseconds.
 * Start, stop and expiry are O(1): a timer is an intrusive doubly-linked node embedded in
 * its owner (TCP has one per connection), found back with UST_CONTAINER_OF in the callback.
 * Time only moves when the owner calls ust_timer_wheel_advance(now), so the same code runs
 * on real time and on virtual time in tests.
 *
 * Resolution: a timer fires at the first advance() whose `now` is at or past its expiry,
 * rounded up to the wheel's granularity: never early, at most one granularity late
 * (plus however late the owner calls advance).
 */
#ifndef UST_CORE_TIMER_H
#define UST_CORE_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct ust_timer;
struct ust_timer_wheel;

/* Runs from ust_timer_wheel_advance. The timer is already stopped; it may restart itself. */
typedef void (*ust_timer_fn)(struct ust_timer *timer, uint64_t now);

/*
 * Lists are singly linked forward with a back pointer to the link that points at the node
 * (the previous node's `next`, or the list's `first`): O(1) unlink with a one-word list head.
 */
struct ust_timer {
	struct ust_timer *next;
	struct ust_timer **prev;	/* NULL when not pending */
	uint64_t expires;	/* ns, injected clock */
	ust_timer_fn fn;
	uint32_t bucket;	/* private: which list holds the timer (level * SLOTS + slot, ...) */
};

#define UST_TIMER_LEVELS 4
#define UST_TIMER_SLOTS_BITS 8
#define UST_TIMER_SLOTS (1u << UST_TIMER_SLOTS_BITS)

struct ust_timer_list {
	struct ust_timer *first;
};

struct ust_timer_wheel {
	uint64_t granularity;		/* ns per tick of level 0 */
	uint64_t now_tick;		/* ticks processed so far */
	uint32_t pending;		/* number of armed timers */
	struct ust_timer_list slots[UST_TIMER_LEVELS][UST_TIMER_SLOTS];
	struct ust_timer_list overflow;	/* beyond the top level's range; re-filed as time passes */
	uint64_t fired;			/* counters */
	/* Private, added by core: */
	uint64_t now;			/* `now` of the last advance (or init) */
	struct ust_timer_list due;	/* started with an expiry <= now: fire on the next advance */
	uint64_t overflow_min;		/* lower bound of the overflow list's due ticks */
	uint64_t occupied[UST_TIMER_LEVELS][UST_TIMER_SLOTS / 64];	/* non-empty slot bitmap */
};

/* granularity_ns > 0; now is the current injected time. */
void ust_timer_wheel_init(struct ust_timer_wheel *wheel, uint64_t now, uint64_t granularity_ns);

/* Initialise a timer node once, before first use. */
void ust_timer_init(struct ust_timer *timer, ust_timer_fn fn);

/*
 * Arm (or re-arm) to fire at absolute time `expires` (ns). A time in the past (at or before the
 * `now` of the last advance or init) fires on the next advance, whatever its `now`.
 */
void ust_timer_start(struct ust_timer_wheel *wheel, struct ust_timer *timer, uint64_t expires);

/* Disarm; harmless if not pending. */
void ust_timer_stop(struct ust_timer_wheel *wheel, struct ust_timer *timer);

static inline bool ust_timer_pending(const struct ust_timer *timer)
{
	return timer->prev != 0;
}

/* Fire every timer due at `now`; returns how many fired. now must not go backwards. */
unsigned ust_timer_wheel_advance(struct ust_timer_wheel *wheel, uint64_t now);

/*
 * Earliest time at which advance() could fire something: UINT64_MAX when nothing is armed.
 * Never later than the true next expiry; may be earlier (a cascade boundary), in which case
 * the caller simply wakes, advances, and asks again.
 */
uint64_t ust_timer_wheel_next_deadline(const struct ust_timer_wheel *wheel);

#endif
