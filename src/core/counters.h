/*
 * Named counters. A module lists its counters once with an X-macro and gets both a struct
 * of uint64_t fields and a table of names, so every counter can be printed by name
 * (ustackctl stats, ust_stack_stats) without hand-kept string lists:
 *
 *   #define UST_IPV4_COUNTERS(X) X(rx_packets) X(rx_bad_checksum) X(rx_too_short)
 *   struct ust_ipv4_counters { UST_IPV4_COUNTERS(UST_COUNTER_FIELD) };
 *   static const char *const ust_ipv4_counter_names[] = { UST_IPV4_COUNTERS(UST_COUNTER_NAME) };
 *
 * Counters are plain uint64_t: each belongs to one single-threaded stack, switch or emulator.
 */
#ifndef UST_CORE_COUNTERS_H
#define UST_CORE_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#define UST_COUNTER_FIELD(name) uint64_t name;
#define UST_COUNTER_NAME(name) #name,

/* A counter group as seen by generic code: names[i] labels values[i]. */
struct ust_counter_group {
	const char *group;		/* "ipv4", "tcp", "pool" ... */
	const char *const *names;
	const uint64_t *values;		/* points at the module's counter struct */
	size_t count;
};

#define UST_COUNTER_GROUP(group_name, names_array, counters_ptr)                          \
	((struct ust_counter_group){ .group = (group_name), .names = (names_array),          \
				     .values = (const uint64_t *)(const void *)(counters_ptr), \
				     .count = sizeof(names_array) / sizeof((names_array)[0]) })

#endif
