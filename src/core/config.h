/*
 * Compile-time limits and defaults, in one place. Each has a documented default; most are
 * only defaults that a stack's runtime configuration can override within the stated range.
 * Modules add their own section here rather than scattering #defines.
 */
#ifndef UST_CORE_CONFIG_H
#define UST_CORE_CONFIG_H

/* --- packet buffers (core/pktbuf) --- */
#define UST_PKT_BUF_SIZE_DEFAULT 2048u	/* bytes per buffer, headroom included */
#define UST_PKT_BUF_SIZE_BIG 65536u	/* big-segment links (TSO/GRO over TAP) */
#define UST_PKT_BUF_SIZE_MAX (256u * 1024u)
#define UST_PKT_BUF_SIZE_MIN 64u	/* smallest buffer; sizes must be multiples of 64 */
#define UST_PKT_BUF_ALIGN 64u	/* every buffer starts on a cache line */
#define UST_PKT_HEADROOM_DEFAULT 128u	/* room to prepend virtio-net + Ethernet + IP + TCP */
#define UST_POOL_COUNT_DEFAULT 8192u	/* buffers per pool */
#define UST_POOL_COUNT_MAX (1u << 24)	/* upper bound on buffers per pool (index fits, sizes cannot overflow) */

/* --- rings (core/ring) --- */
#define UST_RING_SLOTS_DEFAULT 1024u	/* must be a power of two */
#define UST_BATCH_MAX 64u		/* packets moved per receive/transmit batch */

/* --- timers (core/timer) --- */
#define UST_TIMER_GRANULARITY_NS_DEFAULT 1000000ull	/* 1 ms tick */

#endif
