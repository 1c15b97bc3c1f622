/*
 * Demultiplexing hash table (see demux.h). Chained buckets, power-of-two sized, doubled when
 * the load passes 1. The hash is keyed by a per-stack seed so that a remote sender cannot
 * choose ports that pile into one chain.
 */
#include <errno.h>
#include <stdlib.h>

#include "net/demux.h"

static bool key_eq(const struct ust__demux_key *a, const struct ust__demux_key *b)
{
	return a->laddr == b->laddr && a->raddr == b->raddr && a->lport == b->lport &&
	       a->rport == b->rport && a->proto == b->proto;
}

static uint32_t key_hash(const struct ust__demux *d, const struct ust__demux_key *k)
{
	uint64_t h = d->seed ^ 0x9e3779b97f4a7c15ull;
	uint64_t words[2] = { (uint64_t)k->laddr << 32 | k->raddr,
			      (uint64_t)k->lport << 24 | (uint64_t)k->rport << 8 | k->proto };
	for (int i = 0; i < 2; i++) {
		h ^= words[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 33;
		h *= 0xc4ceb9fe1a85ec53ull;
		h ^= h >> 29;
	}
	return (uint32_t)h;
}

int ust__demux_init(struct ust__demux *d, uint32_t initial_buckets, uint64_t seed)
{
	uint32_t n = 16;
	while (n < initial_buckets)
		n <<= 1;
	d->buckets = calloc(n, sizeof(*d->buckets));
	if (!d->buckets)
		return -ENOMEM;
	d->mask = n - 1;
	d->count = 0;
	d->seed = seed;
	return 0;
}

void ust__demux_fini(struct ust__demux *d)
{
	free(d->buckets);
	d->buckets = NULL;
	d->count = 0;
}

static void grow(struct ust__demux *d)
{
	uint32_t n = (d->mask + 1) * 2;
	struct ust__demux_node **nb = calloc(n, sizeof(*nb));
	if (!nb)
		return;	/* keep the old table: longer chains, still correct */
	for (uint32_t i = 0; i <= d->mask; i++) {
		struct ust__demux_node *node = d->buckets[i];
		while (node) {
			struct ust__demux_node *next = node->next;
			uint32_t b = key_hash(d, &node->key) & (n - 1);
			/* append to keep insertion order among equal keys */
			struct ust__demux_node **pp = &nb[b];
			while (*pp)
				pp = &(*pp)->next;
			node->next = NULL;
			*pp = node;
			node = next;
		}
	}
	free(d->buckets);
	d->buckets = nb;
	d->mask = n - 1;
}

int ust__demux_insert(struct ust__demux *d, struct ust__demux_node *node, const struct ust__demux_key *key)
{
	node->key = *key;
	node->next = NULL;
	struct ust__demux_node **pp = &d->buckets[key_hash(d, key) & d->mask];
	while (*pp)
		pp = &(*pp)->next;
	*pp = node;
	node->linked = true;
	d->count++;
	if (d->count > d->mask + 1)
		grow(d);
	return 0;
}

void ust__demux_remove(struct ust__demux *d, struct ust__demux_node *node)
{
	if (!node->linked)
		return;
	struct ust__demux_node **pp = &d->buckets[key_hash(d, &node->key) & d->mask];
	while (*pp && *pp != node)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = node->next;
		d->count--;
	}
	node->next = NULL;
	node->linked = false;
}

struct ust__demux_node *ust__demux_lookup(const struct ust__demux *d, const struct ust__demux_key *key)
{
	struct ust__demux_node *node = d->buckets[key_hash(d, key) & d->mask];
	while (node && !key_eq(&node->key, key))
		node = node->next;
	return node;
}

struct ust__demux_node *ust__demux_next(const struct ust__demux_node *node)
{
	struct ust__demux_node *n = node->next;
	while (n && !key_eq(&n->key, &node->key))
		n = n->next;
	return n;
}
