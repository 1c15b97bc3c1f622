/*
 * Delay profiles (dummynet's format) and Mahimahi packet-delivery traces, parsed from text
 * at configuration time (never on the data path). Both are shared, reference-counted and
 * immutable once built, so a pipe can be reconfigured while an old copy is still in use.
 *
 * Profile:  name NAME / samples N / bw B / loss-level L / "prob delay" (or "delay prob")
 *           header / then points "P D" with D in milliseconds (fractions allowed). The curve
 *           is linearly interpolated into N samples; each packet adds a random sample to the
 *           time the link stays busy (dummynet's "extra air time"), and a uniform draw
 *           >= loss-level drops it.
 * Trace:    one integer millisecond timestamp per line, non-decreasing; each line is one
 *           opportunity to deliver 1500 bytes; the trace repeats after its last timestamp.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "emu/emu.h"

void ust__emu_profile_put(struct ust_emu_profile *p)
{
	if (p && --p->refs == 0) {
		free(p->delay_ns);
		free(p);
	}
}

void ust__emu_trace_put(struct ust_emu_trace *t)
{
	if (t && --t->refs == 0) {
		free(t->at_ns);
		free(t);
	}
}

int ust__emu_read_file(const char *path, char **text, size_t max)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (len + 1 >= cap) {
			if (cap >= max) {
				free(buf);
				fclose(f);
				return -EFBIG;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		size_t n = fread(buf + len, 1, cap - 1 - len, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	if (!buf)
		return -ENOMEM;
	buf[len] = '\0';
	*text = buf;
	return 0;
}

/* Next line of text into line[] (without newline); returns false at the end. */
static bool next_line(const char **pos, char *line, size_t cap)
{
	const char *p = *pos;
	if (!*p)
		return false;
	size_t n = 0;
	while (*p && *p != '\n') {
		if (n + 1 < cap)
			line[n++] = *p;
		p++;
	}
	if (*p == '\n')
		p++;
	line[n] = '\0';
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	*pos = p;
	return true;
}

static bool parse_double(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || v != v)
		return false;
	*out = v;
	return true;
}

struct point {
	double prob, delay_ms;
};

static int point_cmp(const void *a, const void *b)
{
	const struct point *x = a, *y = b;
	return x->prob < y->prob ? -1 : x->prob > y->prob;
}

#define PROFILE_POINTS_MAX 1024

int ust__emu_profile_parse(const char *text, struct ust_emu_profile **out, char *msg,
			   size_t msglen)
{
	struct ust_emu_profile p = { .loss_level = 1.0, .samples = 100 };
	static const size_t pts_max = PROFILE_POINTS_MAX;
	struct point *pts = calloc(pts_max, sizeof(*pts));
	if (!pts)
		return -ENOMEM;
	size_t npts = 0;
	int prob_col = -1;	/* column of the probability once the header is seen */
	char line[256];
	unsigned lineno = 0;
	int err = -EINVAL;

	while (next_line(&text, line, sizeof(line))) {
		lineno++;
		char *w1 = strtok(line, " \t\r");
		if (!w1)
			continue;
		char *w2 = strtok(NULL, " \t\r");
		char *w3 = strtok(NULL, " \t\r");
		if (prob_col < 0) {
			if (!strcasecmp(w1, "prob") || !strcasecmp(w1, "delay")) {
				if (!w2 || (strcasecmp(w2, "prob") && strcasecmp(w2, "delay")) ||
				    !strcasecmp(w1, w2)) {
					snprintf(msg, msglen, "profile line %u: '%s': need 'prob delay' or 'delay prob'",
						 lineno, w2 ? w2 : w1);
					goto fail;
				}
				prob_col = !strcasecmp(w1, "prob") ? 0 : 1;
				continue;
			}
			if (!w2 || w3) {
				snprintf(msg, msglen, "profile line %u: '%s': expected 'KEY VALUE'", lineno, w1);
				goto fail;
			}
			if (!strcasecmp(w1, "name")) {
				snprintf(p.name, sizeof(p.name), "%s", w2);
			} else if (!strcasecmp(w1, "samples")) {
				char *end;
				unsigned long n = strtoul(w2, &end, 10);
				if (*end || n < 1 || n > UST_EMU_PROFILE_SAMPLES_MAX) {
					snprintf(msg, msglen, "profile line %u: 'samples': '%s' is not 1..%u",
						 lineno, w2, UST_EMU_PROFILE_SAMPLES_MAX);
					goto fail;
				}
				p.samples = (uint32_t)n;
			} else if (!strcasecmp(w1, "bw")) {
				if (ust__emu_parse_bw(w2, NULL, &p.bw_bps) != 0) {
					snprintf(msg, msglen, "profile line %u: 'bw': '%s' is not a bandwidth (use 10Mbit/s)",
						 lineno, w2);
					goto fail;
				}
			} else if (!strcasecmp(w1, "loss-level")) {
				if (!parse_double(w2, &p.loss_level) || p.loss_level < 0 || p.loss_level > 1) {
					snprintf(msg, msglen, "profile line %u: 'loss-level': '%s' is not 0..1",
						 lineno, w2);
					goto fail;
				}
			} else {
				snprintf(msg, msglen, "profile line %u: '%s': unknown keyword", lineno, w1);
				goto fail;
			}
			continue;
		}
		double a, b;
		if (!w2 || w3 || !parse_double(w1, &a) || !parse_double(w2, &b)) {
			const char *bad = !parse_double(w1, &a) ? w1 : !w2 ? w1 : !parse_double(w2, &b) ? w2 : w3;
			snprintf(msg, msglen, "profile line %u: '%s': expected two numbers (prob delay)",
				 lineno, bad);
			goto fail;
		}
		struct point pt = prob_col == 0 ? (struct point){ a, b } : (struct point){ b, a };
		if (pt.prob < 0 || pt.prob > 1 || pt.delay_ms < 0 || pt.delay_ms > 3600e3) {
			snprintf(msg, msglen, "profile line %u: '%s': probability must be 0..1, delay >= 0 ms",
				 lineno, w1);
			goto fail;
		}
		if (npts == pts_max) {
			snprintf(msg, msglen, "profile line %u: too many points (max %u)", lineno,
				 PROFILE_POINTS_MAX);
			goto fail;
		}
		pts[npts++] = pt;
	}
	if (npts == 0) {
		snprintf(msg, msglen, "profile: no 'prob delay' points");
		goto fail;
	}
	qsort(pts, npts, sizeof(*pts), point_cmp);
	err = -ENOMEM;
	struct ust_emu_profile *np = calloc(1, sizeof(*np));
	uint64_t *d = calloc(p.samples, sizeof(*d));
	if (!np || !d) {
		free(np);
		free(d);
		goto fail;
	}
	*np = p;
	np->delay_ns = d;
	np->refs = 1;
	/* sample i stands for cumulative probability (i + 0.5) / samples */
	for (uint32_t i = 0; i < p.samples; i++) {
		double x = (i + 0.5) / p.samples;
		double y;
		if (x <= pts[0].prob) {
			y = pts[0].delay_ms;
		} else if (x >= pts[npts - 1].prob) {
			y = pts[npts - 1].delay_ms;
		} else {
			size_t k = 1;
			while (pts[k].prob < x)
				k++;
			double span = pts[k].prob - pts[k - 1].prob;
			double f = span > 0 ? (x - pts[k - 1].prob) / span : 1.0;
			y = pts[k - 1].delay_ms + f * (pts[k].delay_ms - pts[k - 1].delay_ms);
		}
		d[i] = (uint64_t)(y * 1e6 + 0.5);
	}
	free(pts);
	*out = np;
	return 0;
fail:
	free(pts);
	return err;
}

int ust__emu_trace_parse(const char *text, struct ust_emu_trace **out, char *msg, size_t msglen)
{
	uint32_t cap = 1024, n = 0;
	uint64_t *at = malloc(sizeof(*at) * cap);
	char line[128];
	unsigned lineno = 0;
	uint64_t last = 0;
	if (!at)
		return -ENOMEM;
	while (next_line(&text, line, sizeof(line))) {
		lineno++;
		char *w = strtok(line, " \t\r");
		if (!w)
			continue;
		char *end;
		errno = 0;
		unsigned long long ms = strtoull(w, &end, 10);
		if (*end || errno || !isdigit((unsigned char)w[0]) || ms > 86400000ull ||
		    strtok(NULL, " \t\r")) {
			snprintf(msg, msglen, "trace line %u: '%s' is not a millisecond timestamp", lineno, w);
			goto fail;
		}
		if (ms < last) {
			snprintf(msg, msglen, "trace line %u: '%s' goes back in time", lineno, w);
			goto fail;
		}
		if (n == UST_EMU_TRACE_LINES_MAX) {
			snprintf(msg, msglen, "trace line %u: too many lines", lineno);
			goto fail;
		}
		if (n == cap) {
			uint64_t *na = realloc(at, sizeof(*at) * cap * 2);
			if (!na) {
				free(at);
				return -ENOMEM;
			}
			at = na;
			cap *= 2;
		}
		last = ms;
		at[n++] = ms * UST_NS_PER_MS;
	}
	if (n == 0 || last == 0) {
		snprintf(msg, msglen, "trace: needs at least one timestamp > 0");
		goto fail;
	}
	struct ust_emu_trace *t = calloc(1, sizeof(*t));
	if (!t) {
		free(at);
		return -ENOMEM;
	}
	t->count = n;
	t->period_ns = last * UST_NS_PER_MS;
	t->at_ns = at;
	t->refs = 1;
	*out = t;
	return 0;
fail:
	free(at);
	return -EINVAL;
}
