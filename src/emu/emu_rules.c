/*
 * The rule list in ipfw syntax: "add [N] [prob P] ACTION [PROTO] [from A [PORTS] to B [PORTS]]
 * [in|out|src-port|dst-port|src-ip|dst-ip|proto ...]" and "delete N...". A rule is parsed
 * completely, then inserted in number order (stable for equal numbers). Called from
 * ust_emu_command (emu_config.c); matching is in emu_classify.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/emu_parser.h"

static int parse_addr(struct ust_emu_parser *p, const char *dirword, struct ust_emu_addr_match *a)
{
	const char *w = take(p);
	memset(a, 0, sizeof(*a));
	if (is(w, "not")) {
		a->negate = true;
		w = take(p);
	}
	if (!w)
		return ust__emu_fail(p, "'%s': missing address", dirword);
	if (is(w, "any"))
		return 0;
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", w);
	char *sep = strpbrk(buf, "/:");
	uint32_t mask = 0xffffffffu;
	if (sep) {
		char kind = *sep;
		*sep = '\0';
		if (kind == '/') {
			uint64_t n;
			if (ust__emu_parse_uint(sep + 1, 0, 32, &n))
				return ust__emu_fail(p, "'%s': '%s' is not an address (A.B.C.D[/N], any)",
					    dirword, w);
			mask = n ? 0xffffffffu << (32 - n) : 0;
		} else if (ust__emu_parse_ipv4(sep + 1, &mask)) {
			return ust__emu_fail(p, "'%s': '%s' is not an address (A.B.C.D[/N], any)", dirword, w);
		}
	}
	if (ust__emu_parse_ipv4(buf, &a->addr))
		return ust__emu_fail(p, "'%s': '%s' is not an address (A.B.C.D[/N], any)", dirword, w);
	a->mask = mask;
	a->addr &= mask;
	return 0;
}

static bool looks_like_ports(const char *w)
{
	return w && w[0] >= '0' && w[0] <= '9' && !strchr(w, '.');
}

static int parse_ports_word(struct ust_emu_parser *p, const char *kw, struct ust_emu_port_match *pm)
{
	const char *v;
	if (value(p, kw, &v))
		return -EINVAL;
	int err = ust__emu_parse_ports(v, pm);
	if (err == -E2BIG)
		return ust__emu_fail(p, "'%s': '%s' has more than %u ranges", kw, v, UST_EMU_PORT_RANGES_MAX);
	if (err)
		return ust__emu_fail(p, "'%s': '%s' is not a port list (80,443,1000-2000 or any)", kw, v);
	return 0;
}

static int parse_proto(struct ust_emu_parser *p, const char *w, unsigned *proto)
{
	uint64_t v;
	if (is(w, "ip") || is(w, "ipv4"))
		*proto = UST_EMU_PROTO_IP;
	else if (is(w, "all"))
		*proto = UST_EMU_PROTO_ALL;
	else if (is(w, "tcp"))
		*proto = 6;
	else if (is(w, "udp"))
		*proto = 17;
	else if (is(w, "icmp"))
		*proto = 1;
	else if (is(w, "sctp"))
		*proto = 132;
	else if (ust__emu_parse_uint(w, 1, 255, &v) == 0)
		*proto = (unsigned)v;
	else
		return ust__emu_fail(p, "'%s' is not a protocol (ip, all, tcp, udp, icmp, sctp or 1..255)", w);
	return 0;
}

static bool is_proto_word(const char *w)
{
	return is(w, "ip") || is(w, "ipv4") || is(w, "all") || is(w, "tcp") || is(w, "udp") ||
	       is(w, "icmp") || is(w, "sctp") || (w && w[0] >= '1' && w[0] <= '9' && !strchr(w, '.'));
}

int ust__emu_cmd_add(struct ust_emu *emu, struct ust_emu_parser *p)
{
	struct ust_emu_rule r = { .prob64 = UINT64_MAX, .prob = 1.0, .dir = -1,
				  .proto = UST_EMU_PROTO_IP };
	uint64_t v;
	const char *w = peek(p, 0);
	if (w && w[0] >= '0' && w[0] <= '9') {
		if (opt_uint(p, "add", 1, UST_EMU_ID_MAX, &v))
			return -EINVAL;
		r.num = (uint32_t)v;
	} else {
		uint32_t last = emu->nrules ? emu->rules[emu->nrules - 1].num : 0;
		r.num = last + 100 > UST_EMU_ID_MAX ? UST_EMU_ID_MAX : last + 100;
	}
	snprintf(p->ctx, sizeof(p->ctx), "add %u", r.num);
	if (is(peek(p, 0), "prob")) {
		p->i++;
		if (opt_prob(p, "prob", &r.prob, &r.prob64))
			return -EINVAL;
		if (r.prob >= 1.0)
			r.prob64 = UINT64_MAX;
	}
	w = take(p);
	if (is(w, "pipe") || is(w, "queue")) {
		r.action = is(w, "pipe") ? UST_EMU_ACT_PIPE : UST_EMU_ACT_QUEUE;
		if (opt_uint(p, w, 1, UST_EMU_ID_MAX, &v))
			return -EINVAL;
		r.target = (uint32_t)v;
	} else if (is(w, "allow") || is(w, "accept") || is(w, "pass") || is(w, "permit")) {
		r.action = UST_EMU_ACT_ALLOW;
	} else if (is(w, "deny") || is(w, "drop")) {
		r.action = UST_EMU_ACT_DENY;
	} else if (!w) {
		return ust__emu_fail(p, "missing action (pipe N, queue N, allow, deny)");
	} else {
		return ust__emu_fail(p, "'%s' is not an action (pipe N, queue N, allow, deny)", w);
	}
	/* body: [PROTO] [from A [ports] to B [ports]] then options, in any order */
	if (is_proto_word(peek(p, 0))) {
		if (parse_proto(p, take(p), &r.proto))
			return -EINVAL;
	}
	if (is(peek(p, 0), "from")) {
		p->i++;
		if (parse_addr(p, "from", &r.src))
			return -EINVAL;
		if (looks_like_ports(peek(p, 0)) && parse_ports_word(p, "from", &r.sport))
			return -EINVAL;
		if (!is(peek(p, 0), "to"))
			return ust__emu_fail(p, "'%s': expected 'to'", peek(p, 0) ? peek(p, 0) : "end of line");
		p->i++;
		if (parse_addr(p, "to", &r.dst))
			return -EINVAL;
		if (looks_like_ports(peek(p, 0)) && parse_ports_word(p, "to", &r.dport))
			return -EINVAL;
	}
	while ((w = take(p)) != NULL) {
		int err = 0;
		if (is(w, "in") || is(w, "out")) {
			r.dir = is(w, "in") ? UST_EMU_DIR_IN : UST_EMU_DIR_OUT;
		} else if (is(w, "src-port")) {
			err = parse_ports_word(p, w, &r.sport);
		} else if (is(w, "dst-port")) {
			err = parse_ports_word(p, w, &r.dport);
		} else if (is(w, "src-ip")) {
			err = parse_addr(p, "src-ip", &r.src);
		} else if (is(w, "dst-ip")) {
			err = parse_addr(p, "dst-ip", &r.dst);
		} else if (is(w, "proto")) {
			const char *pw;
			err = value(p, w, &pw);
			if (!err)
				err = parse_proto(p, pw, &r.proto);
		} else {
			err = ust__emu_fail(p, "'%s': unknown rule option", w);
		}
		if (err)
			return err;
	}
	if (emu->nrules >= UST_EMU_RULES_MAX)
		return ust__emu_fail(p, "too many rules (max %u)", UST_EMU_RULES_MAX);
	struct ust_emu_rule *nr = realloc(emu->rules, sizeof(*nr) * (emu->nrules + 1));
	if (!nr)
		return ust__emu_fail(p, "out of memory");
	emu->rules = nr;
	/* after every rule with a number <= ours (ipfw keeps equal numbers in order) */
	uint32_t pos = emu->nrules;
	while (pos > 0 && emu->rules[pos - 1].num > r.num)
		pos--;
	memmove(&emu->rules[pos + 1], &emu->rules[pos], sizeof(r) * (emu->nrules - pos));
	emu->rules[pos] = r;
	emu->nrules++;
	return 0;
}

int ust__emu_cmd_delete_rules(struct ust_emu *emu, struct ust_emu_parser *p)
{
	uint32_t nums[UST_EMU_WORDS_MAX];
	int count = 0;
	const char *w;
	while ((w = take(p)) != NULL) {
		uint64_t v;
		if (ust__emu_parse_uint(w, 1, UST_EMU_ID_MAX, &v))
			return ust__emu_fail(p, "'%s' is not a rule number", w);
		bool found = false;
		for (uint32_t i = 0; i < emu->nrules; i++)
			found |= emu->rules[i].num == v;
		if (!found)
			return ust__emu_fail(p, "'%s': no such rule", w);
		nums[count++] = (uint32_t)v;
	}
	if (!count)
		return ust__emu_fail(p, "missing rule number");
	uint32_t j = 0;
	for (uint32_t i = 0; i < emu->nrules; i++) {
		bool del = false;
		for (int k = 0; k < count; k++)
			del |= emu->rules[i].num == nums[k];
		if (!del)
			emu->rules[j++] = emu->rules[i];
	}
	emu->nrules = j;
	return 0;
}
