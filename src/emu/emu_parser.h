/*
 * The configuration parser's state and word helpers, shared by emu_config.c (objects and
 * the command dispatcher) and emu_rules.c (the rule list). Internal to src/emu.
 */
#ifndef UST_EMU_PARSER_H
#define UST_EMU_PARSER_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <strings.h>

#include "emu/emu.h"
#include "emu/emu_values.h"

#define UST_EMU_WORDS_MAX 128
#define UST_EMU_LINE_MAX 4096

struct ust_emu_parser {
	char *w[UST_EMU_WORDS_MAX];
	int n;
	int i;
	char ctx[64];		/* "pipe 1 config": prefix of every message */
	char *msg;
	size_t msglen;
	uint64_t now;
	struct ust_emu_loaded **loaded;	/* files in memory (ust_emu_configure), or NULL */
};

/* Write "CTX: MESSAGE" into the caller's buffer; returns -EINVAL. */
int ust__emu_fail(struct ust_emu_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline const char *peek(const struct ust_emu_parser *p, int ahead)
{
	return p->i + ahead < p->n ? p->w[p->i + ahead] : NULL;
}

static inline const char *take(struct ust_emu_parser *p)
{
	return p->i < p->n ? p->w[p->i++] : NULL;
}

static inline bool is(const char *w, const char *kw)
{
	return w && strcasecmp(w, kw) == 0;
}

/* Value word for keyword kw, or a "missing value" failure. */
static inline int value(struct ust_emu_parser *p, const char *kw, const char **out)
{
	*out = take(p);
	if (!*out)
		return ust__emu_fail(p, "'%s': missing value", kw);
	return 0;
}

/* --- shared option parsers --- */

static inline int opt_prob(struct ust_emu_parser *p, const char *kw, double *d, uint64_t *p64)
{
	const char *v;
	if (value(p, kw, &v))
		return -EINVAL;
	if (ust__emu_parse_prob(v, d))
		return ust__emu_fail(p, "'%s': '%s' is not a probability (0..1 or N%%)", kw, v);
	if (p64)
		*p64 = ust__emu_prob64(*d);
	return 0;
}

static inline int opt_uint(struct ust_emu_parser *p, const char *kw, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *v;
	if (value(p, kw, &v))
		return -EINVAL;
	if (ust__emu_parse_uint(v, min, max, out))
		return ust__emu_fail(p, "'%s': '%s' is not a number in %llu..%llu", kw, v,
			     (unsigned long long)min, (unsigned long long)max);
	return 0;
}

/* emu_rules.c */
int ust__emu_cmd_add(struct ust_emu *emu, struct ust_emu_parser *p);
int ust__emu_cmd_delete_rules(struct ust_emu *emu, struct ust_emu_parser *p);

#endif
