/*
 * Classifier: reads the few header fields rules and masks look at (Ethernet, optional
 * 802.1Q tag, IPv4, TCP/UDP/SCTP ports) and walks the ordered rule list, ipfw style:
 * the first rule that matches decides (with `prob P`, a rule matches only with probability
 * P and otherwise the walk continues). No rule matching means "pass unshaped".
 * Called from ust_emu_input (emu.c) once per frame; reads bytes, never writes them.
 */
#include "emu/emu.h"
#include "wire/bytes.h"

#define ETH_HLEN 14u
#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_VLAN 0x8100u

void ust__emu_flow_parse(const uint8_t *frame, size_t len, struct ust_emu_flow_id *id)
{
	*id = (struct ust_emu_flow_id){ 0 };
	if (len < ETH_HLEN)
		return;
	size_t off = 12;
	uint16_t type = ust_get_be16(frame + off);
	if (type == ETHERTYPE_VLAN) {
		if (len < ETH_HLEN + 4)
			return;
		off += 4;
		type = ust_get_be16(frame + off);
	}
	off += 2;
	if (type != ETHERTYPE_IPV4 || len < off + 20)
		return;
	const uint8_t *ip = frame + off;
	unsigned ihl = (ip[0] & 0x0fu) * 4u;
	if ((ip[0] >> 4) != 4 || ihl < 20 || len < off + ihl)
		return;
	id->is_ip = 1;
	id->proto = ip[9];
	id->src = ust_get_be32(ip + 12);
	id->dst = ust_get_be32(ip + 16);
	uint16_t frag = ust_get_be16(ip + 6) & 0x1fffu;
	if (frag == 0 && (id->proto == 6 || id->proto == 17 || id->proto == 132) &&
	    len >= off + ihl + 4) {
		id->sport = ust_get_be16(ip + ihl);
		id->dport = ust_get_be16(ip + ihl + 2);
		id->has_ports = 1;
	}
}

static bool addr_match(const struct ust_emu_addr_match *m, uint32_t addr)
{
	bool hit = (addr & m->mask) == (m->addr & m->mask);
	return hit != m->negate;
}

static bool port_match(const struct ust_emu_port_match *m, const struct ust_emu_flow_id *id,
		       uint16_t port)
{
	if (m->count == 0)
		return true;
	if (!id->has_ports)
		return false;
	for (uint32_t i = 0; i < m->count; i++)
		if (port >= m->lo[i] && port <= m->hi[i])
			return true;
	return false;
}

static bool rule_match(const struct ust_emu_rule *r, int dir, const struct ust_emu_flow_id *id)
{
	if (r->dir >= 0 && r->dir != dir)
		return false;
	if (!id->is_ip) {
		/* ARP and other non-IP frames only meet rules that ask for every frame */
		return r->proto == UST_EMU_PROTO_ALL && r->src.mask == 0 && !r->src.negate &&
		       r->dst.mask == 0 && !r->dst.negate && r->sport.count == 0 &&
		       r->dport.count == 0;
	}
	if (r->proto != UST_EMU_PROTO_IP && r->proto != UST_EMU_PROTO_ALL && r->proto != id->proto)
		return false;
	return addr_match(&r->src, id->src) && addr_match(&r->dst, id->dst) &&
	       port_match(&r->sport, id, id->sport) && port_match(&r->dport, id, id->dport);
}

const struct ust_emu_rule *ust__emu_classify(struct ust_emu *emu, int dir,
					     const struct ust_emu_flow_id *id, uint32_t len)
{
	for (uint32_t i = 0; i < emu->nrules; i++) {
		struct ust_emu_rule *r = &emu->rules[i];
		if (!rule_match(r, dir, id))
			continue;
		if (r->prob64 != UINT64_MAX && !ust__emu_chance(&emu->rng, r->prob64))
			continue;
		r->pkts++;
		r->bytes += len;
		return r;
	}
	return NULL;
}
