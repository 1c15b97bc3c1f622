/*
 * The one place that reads the real clock. Protocol code never calls this: time is injected
 * through ust_stack_poll(st, now) so that tests can run on a virtual clock. Event loops in
 * src/api and the tools read it once per iteration and pass it down.
 */
#ifndef UST_CORE_CLOCK_H
#define UST_CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic time in nanoseconds since an arbitrary origin. */
static inline uint64_t ust_clock_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Wall-clock time in nanoseconds since the Unix epoch (pcap timestamps only). */
static inline uint64_t ust_clock_realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
