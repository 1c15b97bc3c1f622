/*
 * ustack network emulator: dummynet's model (pipes, queues, schedulers, masks, delay profiles,
 * an ipfw-style rule list) plus netem/Mahimahi extras (jitter, Gilbert-Elliott loss,
 * reordering, duplication, corruption, trace-driven links), as a library with instances.
 *
 * An instance owns no thread and reads no clock: the caller passes `now` (ns) to every call,
 * feeds frames in with ust_emu_input() and takes them out with ust_emu_output() once their
 * time has come (ust_emu_next_deadline() says when to call again). The switch embeds one
 * instance per port, a pair link carries one through ust_emu_stage_ops, and ustack-emu runs
 * one between two interfaces (ust_emu_bump_run).
 *
 * Configuration is text in ipfw syntax (see docs/EMU.md), applied one line at a time with
 * ust_emu_command(): a line is parsed completely into a temporary and only then committed,
 * so a refused line changes nothing.
 *
 * Errors: negative errno. Ownership: ust_emu_input consumes the packet in every case.
 */
#ifndef USTACK_EMU_H
#define USTACK_EMU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ust_emu;
struct ust_pkt;
struct ust_pool;

/* Directions. A bump in the wire forwards a->b as "out" and b->a as "in". */
#define UST_EMU_DIR_OUT 0	/* a->b; pair link dir 0 */
#define UST_EMU_DIR_IN 1	/* b->a; pair link dir 1 */

struct ust_emu_config {
	uint64_t now;			/* current time, ns (injected clock) */
	uint64_t granularity_ns;	/* timer wheel tick (ns); 0: 100 us. Frames leave at most one tick late */
	uint64_t seed;			/* PRNG seed; same seed + same input = same drops */
	/*
	 * Pool of the packets that enter in each direction (and from which duplicates are
	 * allocated). May be the same pool. For a pair link (which copies into the receiver's
	 * pool): pool[0] = pool of b, pool[1] = pool of a.
	 */
	struct ust_pool *pool[2];
};

/* Create an instance with no pipes and no rules (everything passes). 0 or -EINVAL/-ENOMEM. */
int ust_emu_create(struct ust_emu **out, const struct ust_emu_config *cfg);

/* Free the instance and every packet it holds. NULL is allowed. */
void ust_emu_destroy(struct ust_emu *emu);

/*
 * Apply one configuration line (ipfw syntax: "pipe 1 config bw 10Mbit/s delay 20ms",
 * "queue 2 config pipe 1 weight 10", "sched 1 config type wf2q+", "add 100 pipe 1 ip from
 * any to any out", "delete 100", "show", "flush", comments with '#'). An optional leading
 * "ipfw" is ignored. Output (for "show", or the error message naming the word at fault)
 * goes to out[outlen] NUL-terminated (out may be NULL). Returns 0 or a negative errno
 * (-EINVAL for a refused line: nothing was changed). `now` is the current time (ns).
 */
int ust_emu_command(struct ust_emu *emu, const char *line, char *out, size_t outlen,
		    uint64_t now);

/*
 * Apply a whole configuration text (lines separated by '\n'), all or nothing: the text is
 * first tried on a scratch copy of the current configuration, and if any line is refused
 * nothing changes (the message, prefixed "line N: ", is in out). Returns 0 or the refused
 * line's error.
 */
int ust_emu_configure(struct ust_emu *emu, const char *text, char *out, size_t outlen,
		      uint64_t now);

/* Read a file and apply it with ust_emu_configure. */
int ust_emu_configure_file(struct ust_emu *emu, const char *path, char *out, size_t outlen,
			   uint64_t now);

/* Packet path (internal types: core/pktbuf.h). dir is UST_EMU_DIR_*. Consumes pkt. */
void ust_emu_input(struct ust_emu *emu, int dir, struct ust_pkt *pkt, uint64_t now);

/* Take up to n frames whose time has come in direction dir. Also advances timers to now. */
unsigned ust_emu_output(struct ust_emu *emu, int dir, struct ust_pkt **pkts, unsigned n,
			uint64_t now);

/* Run timers up to now (output() does this too). */
void ust_emu_advance(struct ust_emu *emu, uint64_t now);

/*
 * Earliest time at which calling ust_emu_output could return something new: 0 when frames
 * are ready now, UINT64_MAX when the instance holds nothing. May be early, never late.
 */
uint64_t ust_emu_next_deadline(const struct ust_emu *emu);

/* Frames held (in queues and delay lines and ready for output). */
uint64_t ust_emu_held(const struct ust_emu *emu);

/* Counters by name: calls fn(arg, name, value) for each instance-wide counter. */
void ust_emu_counters(const struct ust_emu *emu,
		      void (*fn)(void *arg, const char *name, uint64_t value), void *arg);

/* Value of one instance-wide counter by name, or UINT64_MAX if there is no such counter. */
uint64_t ust_emu_counter(const struct ust_emu *emu, const char *name);

/*
 * Stage ops for a pair link (struct ust_link_stage_ops in src/io/backend.h): put
 * `&ust_emu_stage_ops` and the instance into ust_pair_config.stage_ops / .stage.
 * Declared as an opaque object here; internal code sees its real type in src/emu/emu.h.
 */
extern const struct ust_link_stage_ops ust_emu_stage_ops;

/*
 * Bump in the wire (ustack-emu): forward every frame between two backends through an
 * instance, on the real clock, until *stop becomes non-zero (a signal handler sets it).
 */
struct ust_emu_bump_config {
	const char *a_spec;		/* "afpacket:IF1" or "tap:NAME" */
	const char *b_spec;
	const char *config_path;	/* optional configuration file */
	const char *control_path;	/* optional UNIX control socket path */
	uint64_t seed;
	uint64_t granularity_ns;	/* 0: 20 us (real time: a timerfd wakes the loop) */
	uint32_t pool_buffers;		/* 0: 65536 */
	volatile int *stop;
	/* Where to write errors and notices (NULL: stderr). */
	void (*log)(void *arg, const char *msg);
	void *log_arg;
};

/* Returns 0 when stopped, or a negative errno (with a message logged) on setup failure. */
int ust_emu_bump_run(const struct ust_emu_bump_config *cfg);

/*
 * Client side of the control socket: send one command line to a running ustack-emu and
 * copy its reply into out. Returns 0 when the command was accepted, -EINVAL when refused
 * (the message is in out), or another negative errno for socket errors.
 */
int ust_emu_control_send(const char *control_path, const char *line, char *out, size_t outlen);

#ifdef __cplusplus
}
#endif

#endif
