/*
 * Value parsers for the configuration language: bandwidths, times, sizes, probabilities,
 * masks, addresses and port lists, and their formatting for "show". Pure functions on
 * words; the line grammar is in emu_config.c. Decimal fractions are read as exact
 * integer ratios so "1.5Mbit/s" is exactly 1500000 bit/s.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "emu/emu.h"
#include "emu/emu_values.h"

/* Read "123", "1.5", "0.001" as mantissa / 10^scale; *end points after the number. */
static bool read_decimal(const char *s, uint64_t *mant, unsigned *scale, const char **end)
{
	uint64_t m = 0;
	unsigned sc = 0;
	bool digits = false, dot = false;
	const char *p = s;
	for (;; p++) {
		if (isdigit((unsigned char)*p)) {
			if (m > (UINT64_MAX - 9) / 10 / 1000000000ull)
				return false;	/* keep room to scale by units later */
			if (dot) {
				if (sc >= 9)
					continue;	/* ignore digits beyond 1e-9 */
				sc++;
			}
			m = m * 10 + (uint64_t)(*p - '0');
			digits = true;
		} else if (*p == '.' && !dot) {
			dot = true;
		} else {
			break;
		}
	}
	if (!digits)
		return false;
	*mant = m;
	*scale = sc;
	*end = p;
	return true;
}

static uint64_t pow10u(unsigned n)
{
	uint64_t v = 1;
	while (n--)
		v *= 10;
	return v;
}

/* mant / 10^scale * mult, rounded down; false on overflow. */
static bool scale_value(uint64_t mant, unsigned scale, uint64_t mult, uint64_t *out)
{
	unsigned __int128 v = (unsigned __int128)mant * mult / pow10u(scale);
	if (v > UINT64_MAX)
		return false;
	*out = (uint64_t)v;
	return true;
}

/* Unit of a bandwidth: multiplier in bit/s, or 0 if not a bandwidth unit. */
static uint64_t bw_unit(const char *u)
{
	uint64_t mult = 1;
	if (*u == 'k' || *u == 'K')
		mult = 1000, u++;
	else if (*u == 'm' || *u == 'M')
		mult = 1000000, u++;
	else if (*u == 'g' || *u == 'G')
		mult = 1000000000, u++;
	if (!strcasecmp(u, "bit/s") || !strcasecmp(u, "bits/s") || !strcmp(u, "b/s"))
		return mult;
	if (!strcasecmp(u, "byte/s") || !strcasecmp(u, "bytes/s") || !strcmp(u, "B/s"))
		return mult * 8;
	return 0;
}

#define BW_MAX 10000000000000ull	/* 10 Tbit/s */

int ust__emu_parse_bw2(const char *word, const char *unit, uint64_t *bps, bool *used_unit)
{
	uint64_t mant;
	unsigned scale;
	const char *end;
	if (used_unit)
		*used_unit = false;
	if (!word || !read_decimal(word, &mant, &scale, &end))
		return -EINVAL;
	uint64_t mult = 1;
	if (*end) {
		mult = bw_unit(end);
		if (!mult)
			return -EINVAL;
	} else if (unit && bw_unit(unit)) {
		mult = bw_unit(unit);
		if (used_unit)
			*used_unit = true;
	}
	uint64_t v;
	if (!scale_value(mant, scale, mult, &v) || v > BW_MAX || (v == 0 && mant != 0))
		return -EINVAL;
	*bps = v;
	return 0;
}

int ust__emu_parse_bw(const char *word, const char *unit, uint64_t *bps)
{
	return ust__emu_parse_bw2(word, unit, bps, NULL);
}

static uint64_t time_unit(const char *u)
{
	if (!strcmp(u, "s") || !strcmp(u, "sec"))
		return UST_NS_PER_SEC;
	if (!strcmp(u, "ms"))
		return UST_NS_PER_MS;
	if (!strcmp(u, "us"))
		return UST_NS_PER_US;
	if (!strcmp(u, "ns"))
		return 1;
	return 0;
}

#define TIME_MAX (3600ull * UST_NS_PER_SEC)

int ust__emu_parse_time(const char *word, const char *unit, uint64_t *ns, bool *used_unit)
{
	uint64_t mant, v;
	unsigned scale;
	const char *end;
	*used_unit = false;
	if (!word || !read_decimal(word, &mant, &scale, &end))
		return -EINVAL;
	uint64_t mult = UST_NS_PER_MS;	/* dummynet: plain numbers are milliseconds */
	if (*end) {
		mult = time_unit(end);
		if (!mult)
			return -EINVAL;
	} else if (unit && time_unit(unit)) {
		mult = time_unit(unit);
		*used_unit = true;
	}
	if (!scale_value(mant, scale, mult, &v) || v > TIME_MAX)
		return -EINVAL;
	*ns = v;
	return 0;
}

/* Multiplier of a byte unit ("B", "Bytes", "KBytes", "KB", "MBytes", "GB"...), or 0. */
static uint64_t size_unit(const char *u)
{
	uint64_t mult = 1;
	if (*u == 'k' || *u == 'K')
		mult = 1024, u++;
	else if (*u == 'M')
		mult = 1024 * 1024, u++;
	else if (*u == 'G')
		mult = 1024ull * 1024 * 1024, u++;
	if (strcasecmp(u, "bytes") && strcasecmp(u, "byte") && strcmp(u, "B"))
		return 0;
	return mult;
}

/*
 * "50" (slots) or "100KBytes", "1500B", "1MB", "100 KBytes" (bytes). The next word is a
 * unit only when it is a whole byte unit: "queue 50 bw 10Mbit/s", "queue 50 burst 15KBytes"
 * and "queue 50 buckets 64" are a slot count followed by another option.
 */
int ust__emu_parse_size(const char *word, const char *unit, uint64_t *value, bool *bytes,
			bool *used_unit)
{
	uint64_t mant, v;
	unsigned scale;
	const char *end;
	*used_unit = false;
	if (!word || !read_decimal(word, &mant, &scale, &end))
		return -EINVAL;
	uint64_t mult = 1;
	bool in_bytes = false, took = false;
	if (*end) {
		mult = size_unit(end);
		if (!mult)
			return -EINVAL;
		in_bytes = true;
	} else if (unit && size_unit(unit)) {
		mult = size_unit(unit);
		in_bytes = took = true;
	}
	if (!scale_value(mant, scale, mult, &v))
		return -EINVAL;
	*value = v;
	*bytes = in_bytes;
	*used_unit = took;
	return 0;
}

/* "0.01", "1%", "1e-3": a probability in [0, 1]. */
int ust__emu_parse_prob(const char *word, double *p)
{
	char *end;
	if (!word || !*word)
		return -EINVAL;
	errno = 0;
	double v = strtod(word, &end);
	if (end == word || errno || v != v)
		return -EINVAL;
	if (*end == '%' && end[1] == '\0') {
		v /= 100.0;
	} else if (*end) {
		return -EINVAL;
	}
	if (v < 0.0 || v > 1.0)
		return -EINVAL;
	*p = v;
	return 0;
}

int ust__emu_parse_uint(const char *word, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	if (!word || !isdigit((unsigned char)word[0]))
		return -EINVAL;
	errno = 0;
	bool hex = word[0] == '0' && (word[1] == 'x' || word[1] == 'X');
	unsigned long long v = strtoull(word, &end, hex ? 16 : 10);
	if (*end || errno || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int ust__emu_parse_ipv4(const char *s, uint32_t *addr)
{
	unsigned a[4];
	int n = 0;
	const char *p = s;
	for (int i = 0; i < 4; i++) {
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		unsigned v = 0, digits = 0;
		while (isdigit((unsigned char)*p)) {
			v = v * 10 + (unsigned)(*p++ - '0');
			if (++digits > 3 || v > 255)
				return -EINVAL;
		}
		a[n++] = v;
		if (i < 3 && *p++ != '.')
			return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	*addr = UST_EMU_IPV4(a[0], a[1], a[2], a[3]);
	return 0;
}

/* Mask value for an IPv4 field: hex/decimal, dotted quad or /N. */
int ust__emu_parse_mask32(const char *word, uint32_t *mask)
{
	uint64_t v;
	if (word && word[0] == '/') {
		if (ust__emu_parse_uint(word + 1, 0, 32, &v))
			return -EINVAL;
		*mask = v ? (uint32_t)(0xffffffffu << (32 - v)) : 0;
		return 0;
	}
	if (word && strchr(word, '.'))
		return ust__emu_parse_ipv4(word, mask);
	if (ust__emu_parse_uint(word, 0, UINT64_MAX, &v))
		return -EINVAL;
	if (v > 0xffffffffu) {
		/*
		 * ipfw reads a mask with strtoul into a 32-bit field, so the dummynet paper's
		 * "mask src-ip 0xffffffff00" means 0xffffff00 (/24). Accept that shape, and only
		 * it: the bits above 32 must be a run of ones (a mask written too long); any other
		 * value that does not fit is refused.
		 */
		uint64_t high = v >> 32;
		if ((high & (high + 1)) != 0)
			return -EINVAL;
	}
	*mask = (uint32_t)v;
	return 0;
}

/* "80", "80,443,1000-2000", "any" (count 0). */
int ust__emu_parse_ports(const char *word, struct ust_emu_port_match *pm)
{
	memset(pm, 0, sizeof(*pm));
	if (!word)
		return -EINVAL;
	if (!strcmp(word, "any"))
		return 0;
	const char *p = word;
	while (*p) {
		uint64_t lo = 0, hi;
		unsigned digits = 0;
		while (isdigit((unsigned char)*p) && digits < 6) {
			lo = lo * 10 + (uint64_t)(*p++ - '0');
			digits++;
		}
		if (!digits || lo > 65535)
			return -EINVAL;
		hi = lo;
		if (*p == '-') {
			p++;
			hi = 0;
			digits = 0;
			while (isdigit((unsigned char)*p) && digits < 6) {
				hi = hi * 10 + (uint64_t)(*p++ - '0');
				digits++;
			}
			if (!digits || hi > 65535 || hi < lo)
				return -EINVAL;
		}
		if (pm->count == UST_EMU_PORT_RANGES_MAX)
			return -E2BIG;
		pm->lo[pm->count] = (uint16_t)lo;
		pm->hi[pm->count] = (uint16_t)hi;
		pm->count++;
		if (*p == ',')
			p++;
		else if (*p)
			return -EINVAL;
		if (*p == '\0' && p[-1] == ',')
			return -EINVAL;
	}
	return pm->count ? 0 : -EINVAL;
}

/* --- formatting --- */

void ust__emu_fmt_bw(char *out, size_t len, uint64_t bps)
{
	if (bps == 0)
		snprintf(out, len, "0");
	else if (bps % 1000000000ull == 0)
		snprintf(out, len, "%lluGbit/s", (unsigned long long)(bps / 1000000000ull));
	else if (bps % 1000000ull == 0)
		snprintf(out, len, "%lluMbit/s", (unsigned long long)(bps / 1000000ull));
	else if (bps % 1000ull == 0)
		snprintf(out, len, "%lluKbit/s", (unsigned long long)(bps / 1000ull));
	else
		snprintf(out, len, "%llubit/s", (unsigned long long)bps);
}

void ust__emu_fmt_time(char *out, size_t len, uint64_t ns)
{
	if (ns % UST_NS_PER_MS == 0)
		snprintf(out, len, "%llums", (unsigned long long)(ns / UST_NS_PER_MS));
	else if (ns % UST_NS_PER_US == 0)
		snprintf(out, len, "%lluus", (unsigned long long)(ns / UST_NS_PER_US));
	else
		snprintf(out, len, "%lluns", (unsigned long long)ns);
}

void ust__emu_fmt_ipv4(char *out, size_t len, uint32_t a)
{
	snprintf(out, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}
