/*
 * TCP connections (RFC 9293): the control block, the module state and the internal interface
 * between the TCP files (FreeBSD style split by concern):
 *   tcp_module.c  module init/fini, counters, control block lifetime, the one timer per
 *                 connection and what it multiplexes (RTO/persist, delayed ACK, keepalive,
 *                 TIME_WAIT, FIN_WAIT_2, SYN-RECEIVED)
 *   tcp_input.c   segment arrival: lookup, RFC 9293 3.10.7 processing, RFC 5961, PAWS, SACK
 *   tcp_output.c  segment building, send decisions (cwnd, peer window, Nagle), retransmission
 *   tcp_listen.c  listeners: SYN queue, accept queue, SYN cookies
 *   tcp_sock.c    the socket ops (struct ust__sock_ops) the API calls
 *
 * Packet path:  ust__ipv4_input -> ust__tcp_input -> tcb (rcvq/oooq of packet buffers)
 *               ust_write -> tcp_send -> sndq -> ust__tcp_output -> ust__ipv4_output
 *
 * Connections are objects of the module, linked in the stack's demux table under their
 * 5-tuple (tcb->node). A socket references its tcb (s->proto) while it exists; after close()
 * the tcb lives on (FIN_WAIT, LAST_ACK, TIME_WAIT) as an orphan until it reaches CLOSED.
 */
#ifndef UST_NET_TCP_H
#define UST_NET_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/timer.h"
#include "core/util.h"
#include "net/pq.h"
#include "net/stack.h"
#include "net/tcp_cc.h"
#include "net/tcp_isn.h"
#include "net/tcp_rtt.h"
#include "net/tcp_sack.h"
#include "wire/tcp.h"

#define UST_TCP_COUNTERS(X)                                                              \
	X(rx_segments) X(rx_bad_checksum) X(rx_bad_offset) X(rx_bad_option)              \
	X(rx_truncated) X(rx_broadcast) X(rx_no_socket) X(rx_out_of_window)              \
	X(rx_paws_rejected) X(rx_rst_challenged) X(rx_syn_challenged)                    \
	X(rx_ack_challenged) X(rx_ack_unsent) X(rx_after_fin) X(rx_listen_overflow)      \
	X(rx_syn_queue_full) X(rx_rst) X(rx_dup_acks) X(rx_ooo_segments)                 \
	X(rx_rcvq_full) X(rx_data_orphan) X(rx_bad_ack_syn_sent) X(rx_no_ack)            \
	X(rx_icmp_errors) X(rx_tw_reuse)                                                 \
	X(tx_segments) X(tx_data_segments) X(tx_acks) X(tx_rsts) X(tx_nobuf)             \
	X(tx_errors) X(tx_challenge_acks) X(tx_challenge_limited) X(tx_oow_acks_limited)                        \
	X(syncookies_sent) X(syncookies_ok) X(syncookies_failed)                         \
	X(retransmits) X(fast_retransmits) X(sack_retransmits) X(rto_timeouts)           \
	X(lost_retransmits) X(tlp_probes) X(tlp_recoveries)                              \
	X(zero_window_probes) X(keepalive_probes) X(keepalive_timeouts)                  \
	X(rto_giveups) X(delayed_acks) X(tx_autocorked)                                  \
	X(conn_active) X(conn_passive) X(conn_established) X(conn_reset_rx)              \
	X(conn_refused) X(conn_time_wait) X(conn_closed) X(conn_aborted_unread)          \
	X(conn_aborted_linger) X(conn_fin_wait2_timeout) X(tcb_alloc_fail)               \
	X(rcvbuf_grown) X(tso_segments)                                                  \
	X(mem_limit_hits) X(tx_mem_limited) X(rx_dropped_mem) X(rx_ooo_dropped_mem)      \
	X(autotune_mem_limited)

struct ust__tcp_counters { UST_TCP_COUNTERS(UST_COUNTER_FIELD) };

enum ust__tcp_state {
	UST_TCPS_CLOSED = 0,
	UST_TCPS_LISTEN,
	UST_TCPS_SYN_SENT,
	UST_TCPS_SYN_RECEIVED,
	UST_TCPS_ESTABLISHED,
	UST_TCPS_FIN_WAIT_1,
	UST_TCPS_FIN_WAIT_2,
	UST_TCPS_CLOSE_WAIT,
	UST_TCPS_CLOSING,
	UST_TCPS_LAST_ACK,
	UST_TCPS_TIME_WAIT,
};

/* Defaults (all per stack or per socket). */
#define UST_TCP_MSL_NS_DEFAULT (30ull * UST_NS_PER_SEC)	/* TIME_WAIT = 2 MSL = 60 s like Linux */
#define UST_TCP_MSL_MS_MAX 3600000u	/* ust_stack_config.tcp_msl_ms: at most an hour */
#define UST_TCP_DELACK_NS (40ull * UST_NS_PER_MS)
#define UST_TCP_QUICKACKS 16		/* segments ACKed at once when a connection starts */
#define UST_TCP_FIN_WAIT2_NS (60ull * UST_NS_PER_SEC)	/* orphan FIN_WAIT_2 (Linux tcp_fin_timeout) */
#define UST_TCP_SYN_RETRIES 6
#define UST_TCP_SYNACK_RETRIES 5
#define UST_TCP_RETRIES2 15				/* data retransmissions before ETIMEDOUT */
#define UST_TCP_KEEPIDLE_S 7200
#define UST_TCP_KEEPINTVL_S 75
#define UST_TCP_KEEPCNT 9
#define UST_TCP_PERSIST_MIN_NS (200ull * UST_NS_PER_MS)
#define UST_TCP_PERSIST_MAX_NS (60ull * UST_NS_PER_SEC)
#define UST_TCP_MSS_DEFAULT 536u			/* RFC 9293 without an MSS option */
#define UST_TCP_MSS_MIN 88u
#define UST_TCP_WSCALE_MAX 14
#define UST_TCP_CHALLENGE_ACK_PER_SEC 1000u		/* Linux tcp_challenge_ack_limit */
#define UST_TCP_OOW_ACK_MS 500u				/* Linux tcp_invalid_ratelimit */
#define UST_TCP_RCVBUF_MAX (6u * 1024u * 1024u)		/* auto-tuning ceiling (Linux tcp_rmem[2]) */
#define UST_TCP_SNDBUF_MAX (4u * 1024u * 1024u)
#define UST_TCP_TSO_MAX 65000u				/* payload of one big segment */
/* Tail loss probe (RFC 8985 7.2): PTO = 2 SRTT, at least UST_TCP_TLP_MIN_NS (the peer's and
 * our timer granularity, Linux's TCP_TIMEOUT_MIN), plus the worst-case delayed ACK when one
 * segment is in flight, at most the RTO. */
#define UST_TCP_TLP_MIN_NS (2ull * UST_NS_PER_MS)
#define UST_TCP_TLP_DELACK_NS (200ull * UST_NS_PER_MS)	/* RFC 8985 WCDelAckT */
/* Stack-wide TCP memory (ust_stack_config.tcp_mem_limit): the default is three quarters of
 * the frame pool (the rest receives ACKs and builds frames); whatever the limit, each socket's send queue and in-order receive queue may always
 * hold this many buffers, so no connection is starved to a dead stop by the others. */
#define UST_TCP_MEM_MIN_BUFS 4u

/* tcb->flags */
#define UST_TF_ACKNOW 0x00000001u	/* send an ACK at the next output */
#define UST_TF_DELACK 0x00000002u	/* an ACK is owed (delayed) */
#define UST_TF_NODELAY 0x00000004u
#define UST_TF_TS 0x00000008u		/* timestamps negotiated (or offered while connecting) */
#define UST_TF_WS 0x00000010u		/* window scaling negotiated */
#define UST_TF_SACK 0x00000020u		/* SACK permitted both ways */
#define UST_TF_FIN_QUEUED 0x00000040u	/* send FIN after the queued data */
#define UST_TF_FIN_SENT 0x00000080u	/* FIN occupies sequence number snd_max - 1 */
#define UST_TF_RCVD_FIN 0x00000100u
#define UST_TF_RESET 0x00000200u	/* closed by RST or error: reads give EOF, writes EPIPE */
#define UST_TF_PASSIVE 0x00000400u	/* created by a listener */
#define UST_TF_PERSIST 0x00000800u	/* rto_at is the persist timer */
#define UST_TF_SYN_RETX 0x00001000u	/* SYN or SYN-ACK was retransmitted */
#define UST_TF_INRECOVERY 0x00002000u
#define UST_TF_LINGER0 0x00004000u	/* SO_LINGER with l_linger 0: close sends RST */
#define UST_TF_ACCEPTQ 0x00008000u	/* on the listener's accept queue */
#define UST_TF_NOWS_OFFER 0x00010000u	/* test hook: don't offer window scaling */
#define UST_TF_NOSACK_OFFER 0x00020000u	/* don't offer SACK (tests compare with/without) */
#define UST_TF_KEEPALIVE 0x00040000u
#define UST_TF_TSO 0x00080000u		/* backend cuts big segments */
#define UST_TF_SHUT_RD 0x00100000u
#define UST_TF_RCVBUF_LOCK 0x00200000u	/* SO_RCVBUF set: no auto-tuning */
#define UST_TF_SNDBUF_LOCK 0x00400000u
#define UST_TF_STARTED 0x01000000u	/* a connection was attempted (socket is used up) */
#define UST_TF_TS_COOKIE 0x00800000u	/* cookie SYN-ACK: TSval is in ts_recent_ms */
#define UST_TF_CORKED 0x02000000u	/* on the autocork list: a runt held back until the poll */
#define UST_TF_MEMWAIT 0x04000000u	/* a write found the stack at its memory limit: wake on free */
#define UST_TF_TLP 0x08000000u		/* rto_at is the tail loss probe's deadline (PTO) */
#define UST_TF_TLP_OUT 0x10000000u	/* a probe was sent and SND.UNA has not passed tlp_high */

struct ust__tcb {
	struct ust__demux_node node;	/* 5-tuple (connections) */
	struct ust_timer timer;		/* the connection's only timer entry */
	struct ust__tcb *all_prev, *all_next;	/* every tcb of the stack (teardown) */
	struct ust__sock *sock;		/* NULL when orphaned (closed or not yet accepted) */
	struct ust__tcb *parent;	/* listener (SYN-RECEIVED and accept-queue children) */
	struct ust__tcb *qnext;		/* listener: accept queue (children); child: next */
	struct ust__tcb *qtail;		/* listener only */
	struct ust__tcb *cork_next;	/* on the autocork list (UST_TF_CORKED) */
	uint64_t rto_at;		/* retransmission or persist timer, 0 = off */
	uint64_t delack_at;		/* delayed ACK, 0 = off */
	uint64_t keep_at;		/* keepalive / TIME_WAIT / FIN_WAIT_2 / handshake, 0 = off */
	uint64_t last_rx_ns;		/* last segment received (keepalive idle) */
	uint64_t rcv_tune_ns;		/* receive-buffer auto-tuning epoch */
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	uint32_t flags;			/* UST_TF_* */
	uint8_t state;			/* enum ust__tcp_state */
	uint8_t snd_wscale, rcv_wscale;
	uint8_t dupacks;
	uint8_t retries;		/* RTO expiries of the current segment */
	uint8_t ka_probes;		/* keepalive probes unanswered / persist backoff */
	uint8_t ka_cnt;
	uint8_t quickacks;		/* segments still ACKed at once (connection start) */
	uint16_t smss;			/* segment size we send (payload bytes) */
	uint16_t rcv_mss;		/* largest segment seen / advertised by us */
	uint16_t ka_idle, ka_intvl;	/* seconds */
	uint16_t user_mss;		/* TCP_MAXSEG clamp, 0 = none */
	uint16_t linger_s;		/* SO_LINGER timeout: a blocking close waits this long */
	uint16_t backlog;		/* listener */
	uint16_t nsyn, nacc;		/* listener: SYN-RECEIVED children, accept queue length */
	uint32_t snd_una, snd_nxt, snd_max, snd_wnd, max_snd_wnd, snd_wl1, snd_wl2, iss;
	uint32_t rcv_nxt, rcv_adv, irs;
	uint32_t ts_recent, ts_recent_ms;	/* RFC 7323 TS.Recent and when it was set (ms) */
	uint32_t last_ack_sent;
	uint32_t rcvbuf, sndbuf;	/* effective (auto-tuned) limits */
	uint32_t rcv_tune_seq;		/* rcv_nxt at the tuning epoch */
	uint32_t total_retrans;
	uint32_t ooo_last;		/* seq of the last out-of-order segment (first SACK block) */
	uint32_t rtx_ms;		/* TSval of the last retransmission (Karn's rule for TS samples) */
	uint32_t oow_ack_ms;		/* last ACK answering an invalid pure ACK (ACK-loop limit) */
	uint32_t tlp_seq, tlp_high;	/* UST_TF_TLP_OUT: the probe's first octet, SND.MAX after it */
	/* RFC 6675 scoreboard (dev-tcp's tcp_sack), allocated only while the peer SACKs data */
	struct ust_tcp_sack_board *sb;
	struct ust__pq sndq;		/* bytes from snd_una on (sent and unsent), packet buffers */
	/* Cursor into sndq so building a segment does not walk the queue from its head (that
	 * walk was 70% of the CPU of a bulk transfer with a full 4 MiB queue): the link token of
	 * one queued buffer + 1 (0: none) and the sequence number of its first byte. Reset with
	 * the queue (ust__tcp_sndq_purge) and when that buffer leaves the head. */
	uint32_t sndq_hint;
	uint32_t sndq_hint_seq;
	struct ust__pq rcvq;		/* in-order bytes for the application (data at payload) */
	struct ust__pq oooq;		/* out-of-order segments sorted by seq (pkt->user = seq) */
	/* Buffer memory of sndq + rcvq + oooq as last charged to ust__tcp.mem_total
	 * (ust__tcp_mem_sync brings both up to date after the queues changed). */
	uint64_t mem;
	struct ust_tcp_rtt rtt;
	struct ust_tcp_cc cc;
};

struct ust__tcp {
	struct ust__tcp_counters c;
	struct ust_tcp_cc_registry ccreg;
	struct ust_tcp_secret secret;
	struct ust__tcb *all;
	uint32_t ntcb;
	uint64_t msl_ns;
	uint32_t challenge_tokens;
	uint64_t challenge_sec;
	bool isn_forced;		/* test hook: next ISN */
	uint32_t isn_next;
	bool tso;			/* backend offers TSO: big segments */
	bool tlp;			/* tail loss probes (on; tests turn them off to compare) */
	/* Stack-wide memory: buffer sizes held by every connection's queues (the sum of tcb->mem),
	 * its high-water mark, and the limit (ust_stack_config.tcp_mem_limit). mem_wait: some
	 * connection has UST_TF_MEMWAIT set. */
	uint64_t mem_total;
	uint64_t mem_peak;
	uint64_t mem_limit;
	bool mem_wait;
	bool in_write;			/* output called from a socket write: autocork applies */
	struct ust__tcb *corked;	/* connections holding back a runt (linked by cork_next) */
};

static inline struct ust__tcp *ust__tcp(const struct ust_stack *st)
{
	return st->tcp;
}

static inline uint32_t ust__tcp_now_ms(const struct ust_stack *st)
{
	return (uint32_t)(st->now / UST_NS_PER_MS);
}

/* --- tcp_module.c --- */
int ust__tcp_module_init(struct ust_stack *st);
void ust__tcp_module_fini(struct ust_stack *st);
/* Autocork: hold tcb's runt back until the next poll / send what was held (module push). */
void ust__tcp_cork(struct ust_stack *st, struct ust__tcb *tcb);
void ust__tcp_push_corked(struct ust_stack *st);
size_t ust__tcp_counter_groups(const struct ust_stack *st, struct ust_counter_group *out, size_t max);
struct ust__tcb *ust__tcb_alloc(struct ust_stack *st);
/* Unlink, purge and free (the socket, if any, must have dropped its reference). */
void ust__tcb_free(struct ust_stack *st, struct ust__tcb *tcb);
int ust__tcb_link(struct ust_stack *st, struct ust__tcb *tcb);
/* Enter CLOSED: stop timers, unlink, free if orphaned. err: positive errno for the socket. */
void ust__tcb_close(struct ust_stack *st, struct ust__tcb *tcb, int err);
void ust__tcb_set_state(struct ust_stack *st, struct ust__tcb *tcb, int state);
/* Re-arm the connection's timer to the earliest of its deadlines. */
void ust__tcb_timer_update(struct ust_stack *st, struct ust__tcb *tcb);
void ust__tcb_wakeup(struct ust_stack *st, struct ust__tcb *tcb);
uint32_t ust__tcp_new_isn(struct ust_stack *st, const struct ust__tcb *tcb);
/* Options every new connection starts with (MSS from the route, buffers, cc, rtt). */
int ust__tcb_init_conn(struct ust_stack *st, struct ust__tcb *tcb);
const char *ust__tcp_state_name(int state);
bool ust__tcp_challenge_allowed(struct ust_stack *st);
void ust__tcp_enter_time_wait(struct ust_stack *st, struct ust__tcb *tcb);
/* Path MSS towards dst: path MTU - 40. */
uint16_t ust__tcp_path_mss(struct ust_stack *st, uint32_t dst);

/*
 * Stack-wide memory accounting. Every change to a connection's sndq, rcvq or oooq is followed
 * by ust__tcp_mem_sync, which charges the difference to ust__tcp.mem_total (so a missed call
 * delays the accounting but cannot make it drift) and wakes connections waiting for memory
 * when it fell under the limit again.
 */
void ust__tcp_mem_sync(struct ust_stack *st, struct ust__tcb *tcb);
/* May a queue holding own_bufs buffers take one more of buf_cost bytes? */
bool ust__tcp_mem_admit(struct ust_stack *st, struct ust__tcb *tcb, uint32_t own_bufs, uint32_t buf_cost);
/* tcp_mem_limit from the config: 0 = the default (3/4 of the frame pool). 0 or -EINVAL. */
int ust__tcp_set_mem_limit(struct ust_stack *st, uint64_t limit);

/*
 * The pure rules behind it (unit-tested):
 * - mem_limit_default: three quarters of the frame pool's buffer memory;
 * - mem_limit_valid: a limit must hold the guaranteed minimum of one connection (both
 *   directions) and no more than the whole pool;
 * - mem_room: how many more buffers of buf_cost bytes a queue holding own_bufs may take with
 *   `total` of `limit` in use: what fits under the limit, but at least up to
 *   UST_TCP_MEM_MIN_BUFS of its own.
 */
static inline uint64_t ust__tcp_mem_limit_default(uint32_t pool_count, uint32_t buf_size)
{
	return (uint64_t)pool_count / 4 * 3 * buf_size;
}
static inline bool ust__tcp_mem_limit_valid(uint64_t limit, uint32_t pool_count, uint32_t buf_size)
{
	return limit >= 2ull * UST_TCP_MEM_MIN_BUFS * buf_size && limit <= (uint64_t)pool_count * buf_size;
}
static inline uint64_t ust__tcp_mem_room(uint64_t total, uint64_t limit, uint32_t own_bufs, uint32_t buf_cost)
{
	uint64_t room = total < limit ? (limit - total) / UST_MAX(buf_cost, 1u) : 0;
	uint64_t min = own_bufs < UST_TCP_MEM_MIN_BUFS ? UST_TCP_MEM_MIN_BUFS - own_bufs : 0;
	return UST_MAX(room, min);
}

/* --- tcp_output.c --- */
/* Send whatever the windows allow plus any owed ACK/FIN. */
void ust__tcp_output(struct ust_stack *st, struct ust__tcb *tcb);
/* Send one segment of the connection: [seq, seq+len) from sndq with flags. 0 or -errno. */
int ust__tcp_send_segment(struct ust_stack *st, struct ust__tcb *tcb, uint32_t seq, uint32_t len,
			  uint8_t flags);
void ust__tcp_send_ack(struct ust_stack *st, struct ust__tcb *tcb);
void ust__tcp_send_challenge_ack(struct ust_stack *st, struct ust__tcb *tcb);
void ust__tcp_send_rst_tcb(struct ust_stack *st, struct ust__tcb *tcb);
/* A segment without a connection (RST answers, cookie SYN-ACKs are built through a tcb). */
void ust__tcp_respond(struct ust_stack *st, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		      uint32_t seq, uint32_t ack, uint8_t flags);
uint32_t ust__tcp_rcv_window(struct ust_stack *st, const struct ust__tcb *tcb);
/* (Re)send the SYN or SYN-ACK from ISS; arms the RTO if none is armed. */
void ust__tcp_send_syn(struct ust_stack *st, struct ust__tcb *tcb);
/* Timer expiries (tcp_timer.c). */
void ust__tcp_rto_expired(struct ust_stack *st, struct ust__tcb *tcb);
void ust__tcp_persist_expired(struct ust_stack *st, struct ust__tcb *tcb);
void ust__tcp_tlp_expired(struct ust_stack *st, struct ust__tcb *tcb);
/* The ACK just processed: did it deliver the tail loss probe with holes below it? */
void ust__tcp_tlp_ack(struct ust_stack *st, struct ust__tcb *tcb);
void ust__tcp_keepalive_expired(struct ust_stack *st, struct ust__tcb *tcb);
void ust__tcp_arm_rto(struct ust_stack *st, struct ust__tcb *tcb);
/* Bytes of sndq not sent yet / in flight. */
uint32_t ust__tcp_unsent(const struct ust__tcb *tcb);
uint32_t ust__tcp_pipe(struct ust__tcb *tcb);
/* Retransmit [seq, seq+len) clamped to the queued data, with FIN if it reaches it. */
int ust__tcp_send_range(struct ust_stack *st, struct ust__tcb *tcb, uint32_t seq, uint32_t len);
uint32_t ust__tcp_eff_mss(const struct ust__tcb *tcb);
/*
 * How buffer counts turn into byte limits, for pools of any buffer size (2 KiB frames, or
 * 64 KiB frames on TSO/GRO links such as TAP with offload):
 * - rx_pack: in-order segments up to this many bytes are copied behind the previous one in
 *   the receive queue rather than keeping a buffer each (512, or an eighth of a big buffer);
 * - rx_buf_bytes: payload a receive-queue buffer holds at the least that the window and
 *   receive-buffer limits count on (one MSS-sized segment, or half of rx_pack with big
 *   buffers: bigger segments keep a buffer each, smaller ones are packed);
 * - tx_buf_bytes: payload a send-queue buffer holds (the send queue is packed).
 */
static inline uint32_t ust__tcp_rx_pack(const struct ust_pool *pool)
{
	return UST_MAX(512u, (pool->buf_size - pool->headroom) / 8);
}
static inline uint32_t ust__tcp_rx_buf_bytes(const struct ust_pool *pool, uint32_t mss)
{
	return UST_MAX(mss, ust__tcp_rx_pack(pool) / 2);
}
static inline uint32_t ust__tcp_tx_buf_bytes(const struct ust_pool *pool)
{
	return UST_MAX(1400u, pool->buf_size - pool->headroom);
}
/* Drop acked bytes from the head of sndq. */
void ust__tcp_sndq_drop(struct ust_stack *st, struct ust__tcb *tcb, uint32_t bytes);
/* Free the whole send queue (and its cursor). */
void ust__tcp_sndq_purge(struct ust_stack *st, struct ust__tcb *tcb);
/* Window update after the application read. */
void ust__tcp_rcvd(struct ust_stack *st, struct ust__tcb *tcb);

/* --- tcp_input.c --- */
void ust__tcp_input(struct ust_stack *st, struct ust_pkt *pkt, const struct ust__ip_rx *rx);
void ust__tcp_icmp_error(struct ust_stack *st, const struct ust__icmp_err *err);
/* Option negotiation from a SYN (both open directions). */
void ust__tcp_syn_options(struct ust_stack *st, struct ust__tcb *tcb, const struct ust_tcp_repr *seg);
/* Segment processing for a tcb in any state but LISTEN/CLOSED. Consumes pkt. */
void ust__tcp_segment(struct ust_stack *st, struct ust__tcb *tcb, struct ust_pkt *pkt,
		      const struct ust_tcp_repr *seg);

/* --- tcp_listen.c --- */
/* A segment for a listener (no connection matched). Consumes pkt. */
void ust__tcp_listen_input(struct ust_stack *st, struct ust__tcb *ltcb, struct ust_pkt *pkt,
			   const struct ust_tcp_repr *seg, const struct ust_ipv4_repr *ip);
/* A child finished its handshake: onto the accept queue (false: queue full, stay). */
bool ust__tcp_child_established(struct ust_stack *st, struct ust__tcb *child);
/* Detach a child from its listener (closing or accepted). */
void ust__tcp_child_unlink(struct ust_stack *st, struct ust__tcb *child);
/* Listener closing: reset every child. */
void ust__tcp_listen_close(struct ust_stack *st, struct ust__tcb *ltcb);

/* --- tcp_sock.c --- */
int ust__tcp_sock_register(struct ust_stack *st);

/* MSL (TIME_WAIT lasts 2 MSL): ust_stack_config.tcp_msl_ms, applied at stack creation. */
void ust__tcp_set_msl(struct ust_stack *st, uint64_t msl_ns);
/* Default congestion control of new sockets (ust_stack_config.tcp_congestion): 0 or -ENOENT. */
int ust__tcp_set_default_cc(struct ust_stack *st, const char *name);

/* --- test hooks (tests/sim/tcp) --- */
/* The next connection (active or passive) gets this ISN. */
void ust__tcp_force_isn(struct ust_stack *st, uint32_t isn);
/* The control block behind a socket (NULL if none), for tests. */
struct ust__tcb *ust__tcp_tcb(struct ust_stack *st, int sd);

#endif
