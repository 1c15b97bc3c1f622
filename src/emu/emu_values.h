/*
 * Value parsers and formatters of the configuration language (emu_values.c), shared by
 * emu_config.c and emu_profile.c. Each parser returns 0 or -EINVAL and writes nothing on
 * failure. For forms written with a space ("256 Kbit/s", "20 ms") the next word is passed
 * as `unit` and *used_unit tells whether it was taken.
 */
#ifndef UST_EMU_VALUES_H
#define UST_EMU_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/emu.h"

#define UST_EMU_IPV4(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

int ust__emu_parse_time(const char *word, const char *unit, uint64_t *ns, bool *used_unit);
int ust__emu_parse_size(const char *word, const char *unit, uint64_t *value, bool *bytes,
			bool *used_unit);
int ust__emu_parse_prob(const char *word, double *p);
int ust__emu_parse_uint(const char *word, uint64_t min, uint64_t max, uint64_t *out);
int ust__emu_parse_ipv4(const char *s, uint32_t *addr);
int ust__emu_parse_mask32(const char *word, uint32_t *mask);
int ust__emu_parse_ports(const char *word, struct ust_emu_port_match *pm);

void ust__emu_fmt_bw(char *out, size_t len, uint64_t bps);
void ust__emu_fmt_time(char *out, size_t len, uint64_t ns);
void ust__emu_fmt_ipv4(char *out, size_t len, uint32_t addr);

#endif
