/*
 * Emulator internals shared by the files of src/emu. The public API is include/ustack/emu.h.
 *
 * Packet path:
 *   ust_emu_input -> classify (emu_classify.c: rule list) -> flowset (a "queue N" or the
 *   default flowset of "pipe N") -> per-flow queue (mask, hash) -> loss/RED/queue limit ->
 *   scheduler instance (alg->enqueue) -> link: serve when free (alg->dequeue, exact
 *   transmission time from bandwidth/trace/profile) -> delay line (propagation delay,
 *   jitter, reordering) -> output queue of the direction -> ust_emu_output.
 *
 * Objects: a pipe is a scheduler + a link (dummynet: sched N and pipe N share the number);
 * with a mask it has one scheduler instance ("si") per masked flow, each with its own link.
 * A flowset ("queue N", or the pipe's default one) has one queue per masked flow per si.
 * Everything is allocated at configuration time or at flow creation (bounded by `flows`);
 * packets are held in index-linked ust_pkt_queue, never copied or wrapped.
 */
#ifndef UST_EMU_EMU_H
#define UST_EMU_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/counters.h"
#include "core/pktbuf.h"
#include "core/timer.h"
#include "io/backend.h"
#include "ustack/emu.h"

/* --- limits and defaults --- */
#define UST_EMU_GRANULARITY_NS_DEFAULT 100000ull	/* 100 us timer tick */
#define UST_EMU_QUEUE_SLOTS_DEFAULT 50u			/* dummynet's default */
#define UST_EMU_QUEUE_SLOTS_MAX (1u << 24)
#define UST_EMU_QUEUE_BYTES_MAX (1ull << 34)
#define UST_EMU_FLOWS_DEFAULT 4096u			/* instances per mask before overflow */
#define UST_EMU_FLOWS_MAX (1u << 20)
#define UST_EMU_BUCKETS_DEFAULT 256u
#define UST_EMU_BUCKETS_MAX (1u << 20)
#define UST_EMU_ID_MAX 65535u				/* pipe/queue/sched/rule numbers */
#define UST_EMU_RULES_MAX 4096u
#define UST_EMU_PORT_RANGES_MAX 16u
#define UST_EMU_WEIGHT_MAX 65536u
#define UST_EMU_PRIORITY_LEVELS 16u
#define UST_EMU_DRR_QUANTUM_DEFAULT 1514u
#define UST_EMU_PROFILE_SAMPLES_MAX 65536u
#define UST_EMU_TRACE_LINES_MAX (1u << 22)
#define UST_EMU_MSG_MAX 256u
#define UST_EMU_GC_INTERVAL_NS 100000000ull	/* at the flows bound, sweep idle ones at most every 100 ms */

#define UST_EMU_COUNTERS(X)                                                            \
	X(rx_packets)		/* frames entering the instance */                     \
	X(tx_packets)		/* frames leaving it */                                \
	X(passed)		/* allowed or matched no rule: forwarded unshaped */   \
	X(drop_deny)		/* matched a deny rule */                              \
	X(drop_no_pipe)		/* rule names a pipe/queue that does not exist */      \
	X(drop_plr)		/* random loss (plr) */                                \
	X(drop_ge)		/* Gilbert-Elliott loss */                             \
	X(drop_profile)		/* delay profile loss-level */                         \
	X(drop_queue_full)	/* queue limit reached (tail drop) */                  \
	X(drop_red)		/* RED/GRED early drop */                              \
	X(drop_flush)		/* held when its pipe/queue was reconfigured or deleted */ \
	X(drop_nomem)		/* no memory for a new flow instance */                \
	X(dup)			/* extra copies made */                                \
	X(dup_nobuf)		/* duplicate wanted, pool exhausted */                 \
	X(corrupt)		/* frames with a flipped bit */                        \
	X(corrupt_shared)	/* corruption skipped: buffer shared */                \
	X(reorder)		/* frames held back to be overtaken */                 \
	X(flow_overflow)	/* packets sent to a shared overflow instance */       \
	X(flows_created)	/* queue or scheduler instances created */             \
	X(flows_reclaimed)	/* idle instances freed to make room for new flows */  \
	X(config_ok) X(config_refused)

struct ust_emu_counters {
	UST_EMU_COUNTERS(UST_COUNTER_FIELD)
};

/* --- PRNG: xoshiro256**, seeded with splitmix64 (one per instance, no rand()) --- */
struct ust_emu_rng {
	uint64_t s[4];
};

void ust__emu_rng_seed(struct ust_emu_rng *rng, uint64_t seed);
uint64_t ust__emu_rng_next(struct ust_emu_rng *rng);
/* Uniform double in [0, 1). */
double ust__emu_rng_unit(struct ust_emu_rng *rng);
/* Probability as a 64-bit threshold: 0 never, UINT64_MAX always. */
uint64_t ust__emu_prob64(double p);
static inline bool ust__emu_chance(struct ust_emu_rng *rng, uint64_t p64)
{
	if (p64 == 0)
		return false;
	if (p64 == UINT64_MAX)
		return true;
	return ust__emu_rng_next(rng) < p64;
}

/* --- flow identification and masks --- */
struct ust_emu_flow_id {
	uint32_t src;		/* host order */
	uint32_t dst;
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;
	uint8_t is_ip;		/* 0: not IPv4 (ARP...), fields are zero */
	uint8_t has_ports;	/* TCP/UDP first fragment with ports read */
	uint8_t pool_slot;	/* direction, when the two directions use different pools */
};

struct ust_emu_mask {
	uint32_t src;
	uint32_t dst;
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;
	bool set;		/* any bit set: instances are per masked flow */
};

/* Read the header fields the classifier and masks need (Ethernet + IPv4 + TCP/UDP). */
void ust__emu_flow_parse(const uint8_t *frame, size_t len, struct ust_emu_flow_id *id);
uint32_t ust__emu_flow_hash(const struct ust_emu_flow_id *id);
void ust__emu_flow_apply_mask(const struct ust_emu_flow_id *id, const struct ust_emu_mask *m,
			      struct ust_emu_flow_id *out);
bool ust__emu_flow_eq(const struct ust_emu_flow_id *a, const struct ust_emu_flow_id *b);

/* --- delay profiles (dummynet) and Mahimahi traces --- */
struct ust_emu_profile {
	char name[64];
	uint64_t bw_bps;	/* informational: the link's bandwidth the profile was made for */
	double loss_level;	/* a draw >= loss_level drops the packet (1.0: never) */
	uint32_t samples;
	uint64_t *delay_ns;	/* samples entries: extra link-busy time per packet */
	uint32_t refs;
};

struct ust_emu_trace {
	uint32_t count;		/* delivery opportunities per period */
	uint64_t period_ns;	/* last timestamp: the trace repeats after it */
	uint64_t *at_ns;	/* opportunity times, non-decreasing, within (0, period] */
	uint32_t refs;
};

/* Parse text; on error write a message naming the line and word and return -EINVAL. */
int ust__emu_profile_parse(const char *text, struct ust_emu_profile **out, char *msg,
			   size_t msglen);
int ust__emu_trace_parse(const char *text, struct ust_emu_trace **out, char *msg,
			 size_t msglen);
void ust__emu_profile_put(struct ust_emu_profile *p);
void ust__emu_trace_put(struct ust_emu_trace *t);
/*
 * Value parsers shared by the config and profile parsers. Each returns 0, or -EINVAL when
 * the word is not a value of that kind. `unit` is the following word for forms written
 * with a space ("256 Kbit/s"); *used_unit says whether it was consumed (may be NULL).
 */
int ust__emu_parse_bw(const char *word, const char *unit, uint64_t *bps);
int ust__emu_parse_bw2(const char *word, const char *unit, uint64_t *bps, bool *used_unit);
/* Read a whole file into a NUL-terminated malloc'ed string (config path only). */
int ust__emu_read_file(const char *path, char **text, size_t max);

/* --- configuration records (parsed into temporaries, then committed) --- */
enum ust_emu_jitter_dist {
	UST_EMU_JITTER_UNIFORM,
	UST_EMU_JITTER_NORMAL,
	UST_EMU_JITTER_PARETO,
	UST_EMU_JITTER_TABLE,
};

struct ust_emu_link_cfg {
	uint64_t bw_bps;		/* 0: unlimited */
	uint64_t delay_ns;
	uint64_t burst_bytes;
	struct ust_emu_profile *profile;	/* holds a reference */
	struct ust_emu_trace *trace;		/* holds a reference; replaces bw */
	char profile_path[128];
	char trace_path[128];
	uint64_t jitter_ns;
	enum ust_emu_jitter_dist jitter_dist;
	struct ust_emu_profile *jitter_table;	/* for UST_EMU_JITTER_TABLE */
	char jitter_path[128];
	uint64_t reorder_p64;
	uint64_t reorder_delay_ns;
	uint32_t reorder_gap;		/* every gap-th packet is held back (0: off) */
	double reorder_p;
	uint64_t dup_p64;
	double dup_p;
	uint64_t corrupt_p64;
	double corrupt_p;
	bool ge;			/* Gilbert-Elliott */
	double ge_p, ge_r, ge_loss_good, ge_loss_bad;
	uint64_t ge_p64, ge_r64, ge_good64, ge_bad64;
};

struct ust_emu_fs_cfg {
	uint32_t qlimit_slots;		/* limit in packets (when qlimit_bytes == 0) */
	uint64_t qlimit_bytes;		/* limit in bytes, or 0 */
	double plr;
	uint64_t plr64;
	bool red, gred;
	double w_q, max_p;
	uint32_t min_th, max_th;	/* packets, or bytes when the limit is in bytes */
	uint32_t weight;
	uint32_t priority;
	struct ust_emu_mask mask;
	uint32_t flows;			/* max queue instances before overflow */
	uint32_t buckets;
	uint32_t sched_id;		/* queue N config pipe|sched M */
};

struct ust_emu_sched_alg;

struct ust_emu_sched_cfg {
	const struct ust_emu_sched_alg *alg;
	uint32_t quantum;		/* DRR: bytes per round per unit of weight */
	struct ust_emu_mask mask;	/* one scheduler instance + link per masked flow */
	uint32_t flows;
	uint32_t buckets;
};

/* --- runtime objects --- */
struct ust_emu;
struct ust_emu_pipe;
struct ust_emu_si;

struct ust_emu_flowset {
	uint32_t id;			/* queue number, or the pipe number for a default one */
	bool is_default;		/* the implicit flowset of "pipe N" */
	struct ust_emu_fs_cfg cfg;
	struct ust_emu_pipe *pipe;	/* resolved after every config change; NULL: missing */
	struct ust_emu_queue **buckets;	/* hash of queues by (masked flow, si) */
	uint32_t nbuckets;
	uint32_t nqueues;
	uint64_t gc_at;			/* earliest time of the next sweep for idle queues */
	struct ust_emu_flowset *next;	/* in emu->flowsets */
};

struct ust_emu_queue {
	struct ust_emu_queue *hnext;	/* in the flowset's hash chain */
	struct ust_emu_queue *si_next;	/* in the si's list (teardown) */
	struct ust_emu_flowset *fs;
	struct ust_emu_si *si;
	struct ust_emu_flow_id id;
	struct ust_pkt_queue pkts;	/* used by per-queue schedulers */
	uint32_t len;			/* packets held for this queue (any storage) */
	uint64_t len_bytes;
	uint32_t weight;
	uint32_t priority;
	/* RED */
	double avg;
	int32_t red_count;
	uint64_t idle_since;
	/* statistics */
	uint64_t tot_pkts, tot_bytes, drops;
	/* scheduler private data follows (alg->q_size bytes) */
	_Alignas(16) unsigned char priv[];
};

struct ust_emu_si {
	struct ust_emu_si *hnext;	/* in the pipe's hash chain */
	struct ust_emu_si *next;	/* in the pipe's list */
	struct ust_emu_pipe *pipe;
	struct ust_emu *emu;
	struct ust_emu_flow_id id;
	struct ust_pool *pool;
	struct ust_emu_queue *queues;	/* every queue attached here */
	uint32_t npkts;			/* packets inside the scheduler */
	uint64_t nbytes;
	/* link */
	uint64_t link_free_at;		/* ns: when the link finishes the packet in transmission */
	uint64_t carry;			/* remainder of bits*1e9/bw (sub-ns), carried forward */
	uint64_t burst_credit;		/* bits that may go at line rate */
	uint64_t trace_base;		/* time origin of the trace */
	uint64_t trace_k;		/* next delivery opportunity (global index) */
	uint32_t trace_left;		/* bytes left in opportunity trace_k - 1 */
	bool ge_bad;
	uint32_t reorder_count;
	uint64_t last_due;		/* jitter never reorders: due times are non-decreasing */
	struct ust_pkt_queue dline;	/* due time in pkt->timestamp */
	struct ust_pkt_queue dline_slow;	/* reordered packets (extra delay) */
	struct ust_timer serve_timer;
	struct ust_timer deliver_timer;
	uint64_t tot_pkts, tot_bytes, drops;
	_Alignas(16) unsigned char priv[];
};

struct ust_emu_pipe {
	uint32_t id;
	struct ust_emu_link_cfg link;
	struct ust_emu_sched_cfg sched;
	struct ust_emu_flowset *fs_default;
	struct ust_emu_si **buckets;
	uint32_t nbuckets;
	uint32_t nsi;
	struct ust_emu_si *si_list;
	struct ust_emu_si *si_overflow;	/* shared instance beyond the flows bound */
	bool configured_as_pipe;	/* "pipe N config" seen (else only "sched N config") */
	uint64_t gc_at;			/* earliest time of the next sweep for idle instances */
	struct ust_emu_pipe *next;
};

enum ust_emu_action {
	UST_EMU_ACT_ALLOW,
	UST_EMU_ACT_DENY,
	UST_EMU_ACT_PIPE,
	UST_EMU_ACT_QUEUE,
};

struct ust_emu_addr_match {
	uint32_t addr, mask;	/* mask 0: any */
	bool negate;
};

struct ust_emu_port_match {
	uint32_t count;		/* 0: any port */
	uint16_t lo[UST_EMU_PORT_RANGES_MAX];
	uint16_t hi[UST_EMU_PORT_RANGES_MAX];
};

#define UST_EMU_PROTO_IP 0	/* every IPv4 packet */
#define UST_EMU_PROTO_ALL 256	/* every frame, IPv4 or not */

struct ust_emu_rule {
	uint32_t num;
	uint64_t prob64;	/* UINT64_MAX: always */
	double prob;
	enum ust_emu_action action;
	uint32_t target;
	unsigned proto;		/* UST_EMU_PROTO_* or an IP protocol number */
	struct ust_emu_addr_match src, dst;
	struct ust_emu_port_match sport, dport;
	int dir;		/* -1 both, else UST_EMU_DIR_* */
	struct ust_emu_flowset *fs;	/* resolved after each config change */
	uint64_t pkts, bytes;
};

/*
 * A profile or trace already in memory, keyed by the path it was read from. While
 * ust_emu_configure runs, files are taken from such a list instead of being read again, so
 * the scratch replay of the current configuration does not depend on files still existing
 * and the real pass uses exactly the data the scratch pass checked.
 */
struct ust_emu_loaded {
	struct ust_emu_loaded *next;
	char *path;
	struct ust_emu_profile *profile;	/* holds a reference; or */
	struct ust_emu_trace *trace;		/* holds a reference */
};

struct ust_emu {
	struct ust_pool *pool[2];
	struct ust_timer_wheel wheel;
	struct ust_emu_rng rng;
	uint64_t seed;
	uint64_t now;
	struct ust_emu_pipe *pipes;
	struct ust_emu_flowset *flowsets;	/* "queue N" flowsets */
	struct ust_emu_rule *rules;		/* sorted by number, stable */
	uint32_t nrules;
	struct ust_pkt_queue outq[2];
	uint64_t held;				/* packets in queues and delay lines */
	struct ust_emu_counters counters;
	struct ust_emu_loaded **loaded;		/* set only inside ust_emu_configure */
};

/* --- scheduler algorithms behind one ops table (dummynet's dn_alg) --- */
struct ust_emu_sched_alg {
	const char *name;
	bool per_queue_weights;		/* uses weights/priorities */
	size_t si_size;			/* private bytes in struct ust_emu_si */
	size_t q_size;			/* private bytes in struct ust_emu_queue */
	int (*new_sched)(struct ust_emu_si *si);
	void (*free_sched)(struct ust_emu_si *si);
	int (*new_queue)(struct ust_emu_queue *q);
	void (*free_queue)(struct ust_emu_queue *q);
	/* Store pkt (pkt->user already tags q); the queue's counts are kept by the caller. */
	void (*enqueue)(struct ust_emu_si *si, struct ust_emu_queue *q, struct ust_pkt *pkt);
	/* Next packet to transmit, or NULL. */
	struct ust_pkt *(*dequeue)(struct ust_emu_si *si);
};

extern const struct ust_emu_sched_alg ust__emu_sched_fifo;
extern const struct ust_emu_sched_alg ust__emu_sched_prio;
extern const struct ust_emu_sched_alg ust__emu_sched_drr;
extern const struct ust_emu_sched_alg ust__emu_sched_wf2q;
extern const struct ust_emu_sched_alg ust__emu_sched_qfq;
const struct ust_emu_sched_alg *ust__emu_sched_find(const char *name);

/* pkt->user holds the queue pointer (8-aligned) with the direction in bit 0. */
static inline struct ust_emu_queue *ust__emu_pkt_queue(const struct ust_pkt *pkt)
{
	return (struct ust_emu_queue *)(uintptr_t)(pkt->user & ~(uint64_t)7);
}

static inline int ust__emu_pkt_dir(const struct ust_pkt *pkt)
{
	return (int)(pkt->user & 1);
}

/* --- glue between the files --- */
/* emu.c: timer callbacks of a scheduler instance */
void ust__emu_serve_timer_fn(struct ust_timer *t, uint64_t now);
void ust__emu_deliver_timer_fn(struct ust_timer *t, uint64_t now);
/* emu_flows.c */
struct ust_emu_si *ust__emu_si_lookup(struct ust_emu *emu, struct ust_emu_pipe *pipe,
				      const struct ust_emu_flow_id *fid, struct ust_pool *pool,
				      bool *overflow);
struct ust_emu_queue *ust__emu_q_lookup(struct ust_emu *emu, struct ust_emu_flowset *fs,
					struct ust_emu_si *si, const struct ust_emu_flow_id *fid,
					bool *overflow);
struct ust_emu_pipe *ust__emu_pipe_find(const struct ust_emu *emu, uint32_t id);
struct ust_emu_flowset *ust__emu_flowset_find(const struct ust_emu *emu, uint32_t id);
void ust__emu_pipe_flush(struct ust_emu *emu, struct ust_emu_pipe *pipe);
void ust__emu_pipe_free(struct ust_emu *emu, struct ust_emu_pipe *pipe);
void ust__emu_flowset_free(struct ust_emu *emu, struct ust_emu_flowset *fs);
void ust__emu_resolve(struct ust_emu *emu);
void ust__emu_link_cfg_release(struct ust_emu_link_cfg *link);
/* emu_classify.c */
const struct ust_emu_rule *ust__emu_classify(struct ust_emu *emu, int dir,
					     const struct ust_emu_flow_id *id, uint32_t len);
/* The instance-wide counters as a group, for generic stats code (switch, ustackctl). */
struct ust_counter_group ust__emu_counter_group(const struct ust_emu *emu);
/* emu_config.c: formatting for "show" */
size_t ust__emu_show(const struct ust_emu *emu, char *out, size_t outlen);

#endif
