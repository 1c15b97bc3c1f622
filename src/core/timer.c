/*
 * Hierarchical timing wheel: 4 levels of 256 slots plus an overflow list and a "due" list.
 * Every protocol timer (TCP retransmit/keepalive/TIME_WAIT, ARP and reassembly timeouts) is
 * filed here; the owner's poll loop drives it:
 *
 *   ust_stack_poll(now) -> ust_timer_wheel_advance(now) -> cascade -> timer->fn(timer, now)
 *
 * Time is counted in ticks of `granularity` ns. A timer expiring at e ns is due at tick
 * et = ceil(e / g) and fires during the advance that takes now_tick to or past et, i.e. the
 * first advance with now >= et * g >= e: never early, less than one tick late.
 *
 * Filing (relative to the base tick b = now_tick, delta = et - b):
 *   delta < 2^8  -> level 0, slot et & 255      (fired when tick et is processed)
 *   delta < 2^16 -> level 1, slot (et >> 8) & 255
 *   delta < 2^24 -> level 2, slot (et >> 16) & 255
 *   delta < 2^32 -> level 3, slot (et >> 24) & 255
 *   otherwise    -> overflow
 * Processing tick t cascades (re-files, with base t) level L's slot (t >> 8L) & 255 whenever
 * t is a multiple of 2^(8L), highest level first. The slot of a level-L timer is cascaded
 * exactly at tick (et >> 8L) << 8L, the first multiple of 2^(8L) after the base (delta >= 2^(8L)
 * puts it after the base; delta < 2^(8L+8) rules out the previous lap), and there
 * et - t < 2^(8L) so it lands on a lower level. The overflow list is re-filed (before the
 * cascades) at the first tick where its earliest timer comes within 2^32 ticks, which the
 * argument above shows is a valid base like any other; so a timer far in the future costs one
 * re-file, not one per 2^32 ticks.
 *
 * Advance does not walk every tick: a bitmap of non-empty slots per level gives the next tick
 * at which anything happens (a level-0 slot to fire, a non-empty slot to cascade, the overflow
 * re-file), and the ticks in between are skipped. This also makes big time jumps cheap.
 * The wheel owns only list links; timers are embedded in and owned by their users.
 */
#include "core/timer.h"

#include <stddef.h>

#include "core/util.h"

#define UST_TIMER_SLOT_MASK (UST_TIMER_SLOTS - 1u)
#define UST_TIMER_BUCKET_OVERFLOW (UST_TIMER_LEVELS * UST_TIMER_SLOTS)
#define UST_TIMER_BUCKET_DUE (UST_TIMER_BUCKET_OVERFLOW + 1u)
#define UST_TIMER_OVERFLOW_REACH ((1ull << (UST_TIMER_SLOTS_BITS * UST_TIMER_LEVELS)) - 1)
#define UST_TIMER_BUCKET_LOCAL (UST_TIMER_BUCKET_OVERFLOW + 2u)	/* a detached list being walked */

static void ust_timer_list_add(struct ust_timer_list *list, struct ust_timer *timer, uint32_t bucket)
{
	timer->next = list->first;
	if (timer->next)
		timer->next->prev = &timer->next;
	list->first = timer;
	timer->prev = &list->first;
	timer->bucket = bucket;
}

/* Move every node of `from` to the empty `to` (both heads stay valid for O(1) unlink). */
static void ust_timer_list_move(struct ust_timer_list *to, struct ust_timer_list *from)
{
	to->first = from->first;
	from->first = NULL;
	if (to->first)
		to->first->prev = &to->first;
	for (struct ust_timer *t = to->first; t; t = t->next)
		t->bucket = UST_TIMER_BUCKET_LOCAL;
}

static inline void ust_timer_bit_set(struct ust_timer_wheel *w, uint32_t level, uint32_t slot)
{
	w->occupied[level][slot / 64] |= 1ull << (slot % 64);
}

static inline void ust_timer_bit_clear(struct ust_timer_wheel *w, uint32_t level, uint32_t slot)
{
	w->occupied[level][slot / 64] &= ~(1ull << (slot % 64));
}

static void ust_timer_unlink(struct ust_timer_wheel *w, struct ust_timer *timer)
{
	*timer->prev = timer->next;
	if (timer->next)
		timer->next->prev = timer->prev;
	if (timer->bucket < UST_TIMER_BUCKET_OVERFLOW) {
		uint32_t level = timer->bucket / UST_TIMER_SLOTS, slot = timer->bucket % UST_TIMER_SLOTS;
		if (!w->slots[level][slot].first)
			ust_timer_bit_clear(w, level, slot);
	} else if (timer->bucket == UST_TIMER_BUCKET_OVERFLOW && !w->overflow.first) {
		w->overflow_min = UINT64_MAX;
	}
	timer->next = NULL;
	timer->prev = NULL;
	w->pending--;
}

/* ceil(e / g) without overflow. */
static inline uint64_t ust_timer_tick_of(const struct ust_timer_wheel *w, uint64_t e)
{
	return e / w->granularity + (e % w->granularity != 0);
}

/* File a timer whose due tick is >= now_tick (the base). */
static void ust_timer_file(struct ust_timer_wheel *w, struct ust_timer *timer)
{
	uint64_t et = ust_timer_tick_of(w, timer->expires);
	uint64_t delta = et > w->now_tick ? et - w->now_tick : 0;
	if (delta == 0)
		et = w->now_tick;	/* defensive: fire in the tick being processed */
	for (uint32_t level = 0; level < UST_TIMER_LEVELS; level++) {
		if (delta < 1ull << (UST_TIMER_SLOTS_BITS * (level + 1))) {
			uint32_t slot = (uint32_t)(et >> (UST_TIMER_SLOTS_BITS * level)) & UST_TIMER_SLOT_MASK;
			ust_timer_list_add(&w->slots[level][slot], timer, level * UST_TIMER_SLOTS + slot);
			ust_timer_bit_set(w, level, slot);
			return;
		}
	}
	ust_timer_list_add(&w->overflow, timer, UST_TIMER_BUCKET_OVERFLOW);
	if (et < w->overflow_min)
		w->overflow_min = et;
}

void ust_timer_wheel_init(struct ust_timer_wheel *wheel, uint64_t now, uint64_t granularity_ns)
{
	*wheel = (struct ust_timer_wheel){ 0 };
	wheel->granularity = granularity_ns ? granularity_ns : 1;
	wheel->now = now;
	wheel->now_tick = now / wheel->granularity;
	wheel->overflow_min = UINT64_MAX;
}

void ust_timer_init(struct ust_timer *timer, ust_timer_fn fn)
{
	timer->next = NULL;
	timer->prev = NULL;
	timer->expires = 0;
	timer->fn = fn;
	timer->bucket = 0;
}

void ust_timer_start(struct ust_timer_wheel *wheel, struct ust_timer *timer, uint64_t expires)
{
	if (timer->prev)
		ust_timer_unlink(wheel, timer);
	timer->expires = expires;
	wheel->pending++;
	/* expires > now >= now_tick * g implies a due tick >= now_tick + 1. */
	if (expires <= wheel->now)
		ust_timer_list_add(&wheel->due, timer, UST_TIMER_BUCKET_DUE);
	else
		ust_timer_file(wheel, timer);
}

void ust_timer_stop(struct ust_timer_wheel *wheel, struct ust_timer *timer)
{
	if (timer->prev)
		ust_timer_unlink(wheel, timer);
}

/* Offset (0..255) of the first set bit at or after `start`, cyclically; -1 if none. */
static int ust_timer_bitmap_next(const uint64_t bm[UST_TIMER_SLOTS / 64], uint32_t start)
{
	const uint32_t words = UST_TIMER_SLOTS / 64;
	uint32_t word = start / 64, bit = start % 64;
	uint64_t v = bm[word] & (~0ull << bit);	/* the start word, from `start` up */
	for (uint32_t i = 1; i <= words + 1; i++) {
		if (v) {
			uint32_t found = word * 64 + (uint32_t)__builtin_ctzll(v);
			return (int)((found - start) & UST_TIMER_SLOT_MASK);
		}
		word = (word + 1) % words;
		v = bm[word];
		if (i == words)	/* back at the start word: only the bits below `start` remain */
			v &= bit ? (1ull << bit) - 1 : 0;
	}
	return -1;
}

/* First tick > now_tick at which something can happen; UINT64_MAX if the wheel is empty. */
static uint64_t ust_timer_next_event(const struct ust_timer_wheel *w)
{
	uint64_t best = UINT64_MAX;
	uint64_t now_tick = w->now_tick;
	if (w->overflow.first) {
		uint64_t reach = UST_TIMER_OVERFLOW_REACH;
		best = w->overflow_min > reach ? w->overflow_min - reach : 0;
		if (best <= now_tick)
			best = now_tick + 1;
	}
	for (uint32_t level = 0; level < UST_TIMER_LEVELS; level++) {
		uint32_t shift = UST_TIMER_SLOTS_BITS * level;
		uint64_t cur = now_tick >> shift;
		int off = ust_timer_bitmap_next(w->occupied[level], (uint32_t)(cur + 1) & UST_TIMER_SLOT_MASK);
		if (off < 0)
			continue;
		uint64_t block = cur + 1 + (uint64_t)off;
		if (block < cur || block > UINT64_MAX >> shift)
			continue;	/* beyond the end of time */
		uint64_t t = block << shift;
		if (t < best)
			best = t;
	}
	return best;
}

static void ust_timer_cascade(struct ust_timer_wheel *w, struct ust_timer_list *list)
{
	struct ust_timer_list local;
	ust_timer_list_move(&local, list);
	while (local.first) {
		struct ust_timer *timer = local.first;
		local.first = timer->next;
		if (local.first)
			local.first->prev = &local.first;
		ust_timer_file(w, timer);
	}
}

static unsigned ust_timer_fire_list(struct ust_timer_wheel *w, struct ust_timer_list *list, uint64_t now)
{
	unsigned fired = 0;
	/* Pop one at a time: a callback may stop or restart any timer, including ones still on
	 * this list. Nothing can be added to `list` meanwhile (see callers). */
	while (list->first) {
		struct ust_timer *timer = list->first;
		ust_timer_unlink(w, timer);
		fired++;
		w->fired++;
		timer->fn(timer, now);
	}
	return fired;
}

static void ust_timer_refile_overflow(struct ust_timer_wheel *w)
{
	w->overflow_min = UINT64_MAX;	/* recomputed by the timers that stay */
	ust_timer_cascade(w, &w->overflow);
}

static unsigned ust_timer_process_tick(struct ust_timer_wheel *w, uint64_t t, uint64_t now)
{
	w->now_tick = t;
	if (w->overflow.first &&
	    (w->overflow_min < t || w->overflow_min - t <= UST_TIMER_OVERFLOW_REACH))
		ust_timer_refile_overflow(w);
	if ((t & UST_TIMER_SLOT_MASK) == 0) {
		for (uint32_t level = UST_TIMER_LEVELS - 1; level >= 1; level--) {
			uint32_t shift = UST_TIMER_SLOTS_BITS * level;
			if ((t & ((1ull << shift) - 1)) != 0)
				continue;
			uint32_t slot = (uint32_t)(t >> shift) & UST_TIMER_SLOT_MASK;
			if (w->slots[level][slot].first) {
				ust_timer_bit_clear(w, level, slot);
				ust_timer_cascade(w, &w->slots[level][slot]);
			}
		}
	}
	/* A callback restarting a timer files it at tick > t (expiry > now) or on the due list,
	 * never back into this slot, so the loop ends. */
	uint32_t slot = (uint32_t)t & UST_TIMER_SLOT_MASK;
	return ust_timer_fire_list(w, &w->slots[0][slot], now);
}

unsigned ust_timer_wheel_advance(struct ust_timer_wheel *wheel, uint64_t now)
{
	unsigned fired = 0;
	if (now < wheel->now)
		now = wheel->now;	/* time never goes backwards */
	wheel->now = now;

	/* Timers started in the past. Detach first: one that restarts itself in the past from its
	 * callback fires on the next advance, not in an endless loop here. */
	if (wheel->due.first) {
		struct ust_timer_list local;
		ust_timer_list_move(&local, &wheel->due);
		fired += ust_timer_fire_list(wheel, &local, now);
	}

	uint64_t target = now / wheel->granularity;
	while (wheel->now_tick < target) {
		uint64_t t = ust_timer_next_event(wheel);
		if (t > target) {
			wheel->now_tick = target;	/* nothing happens in between */
			break;
		}
		fired += ust_timer_process_tick(wheel, t, now);
	}
	return fired;
}

uint64_t ust_timer_wheel_next_deadline(const struct ust_timer_wheel *wheel)
{
	if (wheel->due.first)
		return wheel->now;
	uint64_t t = ust_timer_next_event(wheel);
	if (t == UINT64_MAX)
		return UINT64_MAX;
	if (t > UINT64_MAX / wheel->granularity)
		return UINT64_MAX;
	return t * wheel->granularity;
}
