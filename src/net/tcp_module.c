/*
 * TCP module: state per stack (counters, congestion-control registry, ISN/cookie secret,
 * challenge-ACK rate limit), control block lifetime and the one timer entry per connection.
 *
 * The timer multiplexes every deadline a connection has onto a single struct ust_timer:
 *   rto_at    retransmission (RFC 6298) or, with UST_TF_PERSIST, the zero-window probe, or,
 *             with UST_TF_TLP, the tail loss probe (RFC 8985 7, earlier than the RTO)
 *   delack_at delayed ACK (40 ms)
 *   keep_at   keepalive idle/interval, TIME_WAIT (2 MSL), orphan FIN_WAIT_2, handshake limit
 * The wheel entry is armed at the earliest of them; on expiry each due one is handled.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/util.h"
#include "net/tcp.h"

static const char *const tcp_names[] = { UST_TCP_COUNTERS(UST_COUNTER_NAME) };

static const char *const state_names[] = {
	"CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
	"FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
};

const char *ust__tcp_state_name(int state)
{
	return state >= 0 && state < (int)UST_ARRAY_SIZE(state_names) ? state_names[state] : "?";
}

/* Each tcb needs its stack in the timer callback: keep a back pointer next to the timer. */
struct tcb_box {
	struct ust__tcb tcb;
	struct ust_stack *st;
};

static struct ust_stack *tcb_stack(struct ust__tcb *tcb)
{
	return ((struct tcb_box *)(void *)tcb)->st;
}

static void tcb_timer_fn(struct ust_timer *t, uint64_t now)
{
	struct ust__tcb *tcb = UST_CONTAINER_OF(t, struct ust__tcb, timer);
	struct ust_stack *st = tcb_stack(tcb);
	if (tcb->delack_at && tcb->delack_at <= now) {
		tcb->delack_at = 0;
		if (tcb->flags & UST_TF_DELACK) {
			ust__tcp(st)->c.delayed_acks++;
			tcb->flags |= UST_TF_ACKNOW;
			ust__tcp_output(st, tcb);
		}
	}
	if (tcb->rto_at && tcb->rto_at <= now) {
		tcb->rto_at = 0;
		if (tcb->flags & UST_TF_PERSIST)
			ust__tcp_persist_expired(st, tcb);
		else if (tcb->flags & UST_TF_TLP)
			ust__tcp_tlp_expired(st, tcb);
		else
			ust__tcp_rto_expired(st, tcb);
		return;	/* may have freed tcb; it re-armed its timer otherwise */
	}
	if (tcb->keep_at && tcb->keep_at <= now) {
		tcb->keep_at = 0;
		ust__tcp_keepalive_expired(st, tcb);	/* may free tcb */
		return;
	}
	ust__tcb_timer_update(st, tcb);
}

void ust__tcb_timer_update(struct ust_stack *st, struct ust__tcb *tcb)
{
	uint64_t t = UINT64_MAX;
	if (tcb->rto_at)
		t = tcb->rto_at;
	if (tcb->delack_at && tcb->delack_at < t)
		t = tcb->delack_at;
	if (tcb->keep_at && tcb->keep_at < t)
		t = tcb->keep_at;
	if (t == UINT64_MAX) {
		ust_timer_stop(&st->wheel, &tcb->timer);
		return;
	}
	if (!ust_timer_pending(&tcb->timer) || tcb->timer.expires != t)
		ust_timer_start(&st->wheel, &tcb->timer, t);
}

struct ust__tcb *ust__tcb_alloc(struct ust_stack *st)
{
	struct ust__tcp *tp = ust__tcp(st);
	struct tcb_box *box = calloc(1, sizeof(*box));
	if (!box) {
		tp->c.tcb_alloc_fail++;
		return NULL;
	}
	box->st = st;
	struct ust__tcb *tcb = &box->tcb;
	ust_timer_init(&tcb->timer, tcb_timer_fn);
	tcb->node.owner = tcb;
	ust__pq_init(&tcb->sndq);
	ust__pq_init(&tcb->rcvq);
	ust__pq_init(&tcb->oooq);
	tcb->state = UST_TCPS_CLOSED;
	tcb->ka_idle = UST_TCP_KEEPIDLE_S;
	tcb->ka_intvl = UST_TCP_KEEPINTVL_S;
	tcb->ka_cnt = UST_TCP_KEEPCNT;
	tcb->smss = UST_TCP_MSS_DEFAULT;
	tcb->rcv_mss = UST_TCP_MSS_DEFAULT;
	tcb->rcvbuf = UST_SOCK_RCVBUF_DEFAULT;
	tcb->sndbuf = UST_SOCK_SNDBUF_DEFAULT;
	ust_tcp_rtt_init(&tcb->rtt, NULL);
	tcb->cc.ops = ust_tcp_cc_default(&tp->ccreg);
	tcb->all_next = tp->all;
	if (tp->all)
		tp->all->all_prev = tcb;
	tp->all = tcb;
	tp->ntcb++;
	return tcb;
}

static void tcb_purge(struct ust_stack *st, struct ust__tcb *tcb)
{
	ust__tcp_sndq_purge(st, tcb);
	ust__pq_purge(&st->pools, &tcb->rcvq);
	ust__pq_purge(&st->pools, &tcb->oooq);
	ust__tcp_mem_sync(st, tcb);
}

void ust__tcp_mem_sync(struct ust_stack *st, struct ust__tcb *tcb)
{
	struct ust__tcp *tp = ust__tcp(st);
	uint64_t mem = tcb->sndq.mem + tcb->rcvq.mem + tcb->oooq.mem;
	if (mem == tcb->mem)
		return;
	bool freed = mem < tcb->mem;
	tp->mem_total = tp->mem_total - tcb->mem + mem;
	tcb->mem = mem;
	if (tp->mem_total > tp->mem_peak)
		tp->mem_peak = tp->mem_total;
	if (!freed || !tp->mem_wait || tp->mem_total + st->pools.small->buf_size > tp->mem_limit)
		return;
	/* room again: writers that were refused see EPOLLOUT (an O(connections) walk, only
	 * when memory frees up while someone waits) */
	tp->mem_wait = false;
	for (struct ust__tcb *t = tp->all; t; t = t->all_next) {
		if (t->flags & UST_TF_MEMWAIT) {
			t->flags &= ~UST_TF_MEMWAIT;
			ust__tcb_wakeup(st, t);
		}
	}
}

bool ust__tcp_mem_admit(struct ust_stack *st, struct ust__tcb *tcb, uint32_t own_bufs, uint32_t buf_cost)
{
	struct ust__tcp *tp = ust__tcp(st);
	ust__tcp_mem_sync(st, tcb);
	return ust__tcp_mem_room(tp->mem_total, tp->mem_limit, own_bufs, buf_cost) > 0;
}

int ust__tcp_set_mem_limit(struct ust_stack *st, uint64_t limit)
{
	const struct ust_pool *pool = st->pools.small;
	if (limit == 0)
		limit = ust__tcp_mem_limit_default(pool->count, pool->buf_size);
	else if (!ust__tcp_mem_limit_valid(limit, pool->count, pool->buf_size))
		return -EINVAL;
	ust__tcp(st)->mem_limit = limit;
	return 0;
}

/* Off the autocork list (a connection freed while it held a runt back). */
static void cork_unlink(struct ust__tcp *tp, struct ust__tcb *tcb)
{
	for (struct ust__tcb **p = &tp->corked; *p; p = &(*p)->cork_next) {
		if (*p == tcb) {
			*p = tcb->cork_next;
			break;
		}
	}
	tcb->cork_next = NULL;
	tcb->flags &= ~UST_TF_CORKED;
}

void ust__tcp_cork(struct ust_stack *st, struct ust__tcb *tcb)
{
	struct ust__tcp *tp = ust__tcp(st);
	if (tcb->flags & UST_TF_CORKED)
		return;
	tcb->flags |= UST_TF_CORKED;
	tcb->cork_next = tp->corked;
	tp->corked = tcb;
	tp->c.tx_autocorked++;
	st->output_pending = true;
}

void ust__tcp_push_corked(struct ust_stack *st)
{
	struct ust__tcp *tp = ust__tcp(st);
	struct ust__tcb *list = tp->corked;
	tp->corked = NULL;
	while (list) {
		struct ust__tcb *tcb = list;
		list = tcb->cork_next;
		tcb->cork_next = NULL;
		tcb->flags &= ~UST_TF_CORKED;
		ust__tcp_output(st, tcb);	/* not in a write: sends the runt */
	}
}

void ust__tcb_free(struct ust_stack *st, struct ust__tcb *tcb)
{
	struct ust__tcp *tp = ust__tcp(st);
	if (tcb->flags & UST_TF_CORKED)
		cork_unlink(tp, tcb);
	if (tcb->parent)
		ust__tcp_child_unlink(st, tcb);
	if (tcb->state == UST_TCPS_LISTEN)
		ust__tcp_listen_close(st, tcb);
	ust_timer_stop(&st->wheel, &tcb->timer);
	ust__demux_remove(&st->demux, &tcb->node);
	tcb_purge(st, tcb);
	free(tcb->sb);
	if (tcb->all_prev)
		tcb->all_prev->all_next = tcb->all_next;
	else
		tp->all = tcb->all_next;
	if (tcb->all_next)
		tcb->all_next->all_prev = tcb->all_prev;
	tp->ntcb--;
	free(UST_CONTAINER_OF(tcb, struct tcb_box, tcb));
}

int ust__tcb_link(struct ust_stack *st, struct ust__tcb *tcb)
{
	struct ust__demux_key k = ust__demux_key_make(UST_IPPROTO_TCP, tcb->laddr, tcb->lport, tcb->raddr,
						      tcb->rport);
	return ust__demux_insert(&st->demux, &tcb->node, &k);
}

void ust__tcb_wakeup(struct ust_stack *st, struct ust__tcb *tcb)
{
	if (tcb->sock)
		ust__sock_wakeup(st, tcb->sock);
	else if (tcb->parent && tcb->parent->sock && (tcb->flags & UST_TF_ACCEPTQ))
		ust__sock_wakeup(st, tcb->parent->sock);
}

void ust__tcb_set_state(struct ust_stack *st, struct ust__tcb *tcb, int state)
{
	if (state == UST_TCPS_ESTABLISHED)
		ust__tcp(st)->c.conn_established++;
	tcb->state = (uint8_t)state;
	ust__tcb_wakeup(st, tcb);
}

void ust__tcb_close(struct ust_stack *st, struct ust__tcb *tcb, int err)
{
	struct ust__tcp *tp = ust__tcp(st);
	tp->c.conn_closed++;
	tcb->state = UST_TCPS_CLOSED;
	tcb->rto_at = tcb->delack_at = tcb->keep_at = 0;
	tcb->flags &= ~(UST_TF_PERSIST | UST_TF_DELACK | UST_TF_ACKNOW);
	ust_timer_stop(&st->wheel, &tcb->timer);
	ust__demux_remove(&st->demux, &tcb->node);
	/* sent data can never be delivered now; received in-order data stays readable */
	ust__tcp_sndq_purge(st, tcb);
	free(tcb->sb);
	tcb->sb = NULL;
	ust__pq_purge(&st->pools, &tcb->oooq);
	ust__tcp_mem_sync(st, tcb);
	if (err)
		tcb->flags |= UST_TF_RESET;
	if (!tcb->sock) {
		/* an orphan, or a child not accepted yet (dropped from the listener's queues) */
		ust__tcb_free(st, tcb);
		return;
	}
	if (err)
		ust__sock_set_error(st, tcb->sock, err);
	ust__tcb_wakeup(st, tcb);
}

void ust__tcp_enter_time_wait(struct ust_stack *st, struct ust__tcb *tcb)
{
	struct ust__tcp *tp = ust__tcp(st);
	tp->c.conn_time_wait++;
	tcb->state = UST_TCPS_TIME_WAIT;
	tcb->rto_at = 0;
	tcb->flags &= ~UST_TF_PERSIST;
	tcb->keep_at = st->now + 2 * tp->msl_ns;
	ust__tcp_sndq_purge(st, tcb);
	ust__tcb_timer_update(st, tcb);
	ust__tcb_wakeup(st, tcb);
}

bool ust__tcp_challenge_allowed(struct ust_stack *st)
{
	struct ust__tcp *tp = ust__tcp(st);
	uint64_t sec = st->now / UST_NS_PER_SEC;
	if (sec != tp->challenge_sec) {
		tp->challenge_sec = sec;
		tp->challenge_tokens = UST_TCP_CHALLENGE_ACK_PER_SEC;
	}
	if (tp->challenge_tokens == 0) {
		tp->c.tx_challenge_limited++;
		return false;
	}
	tp->challenge_tokens--;
	return true;
}

uint32_t ust__tcp_new_isn(struct ust_stack *st, const struct ust__tcb *tcb)
{
	struct ust__tcp *tp = ust__tcp(st);
	if (tp->isn_forced) {
		tp->isn_forced = false;
		return tp->isn_next;
	}
	struct ust_tcp_tuple t = { .local_ip = tcb->laddr, .remote_ip = tcb->raddr, .local_port = tcb->lport,
				   .remote_port = tcb->rport };
	return ust_tcp_isn(&tp->secret, &t, st->now);
}

uint16_t ust__tcp_path_mss(struct ust_stack *st, uint32_t dst)
{
	uint32_t mtu = ust__ipv4_path_mtu(st, dst);
	uint32_t mss = mtu > 40 + UST_TCP_MSS_MIN ? mtu - 40 : UST_TCP_MSS_MIN;
	return (uint16_t)UST_MIN(mss, 65495u);
}

int ust__tcb_init_conn(struct ust_stack *st, struct ust__tcb *tcb)
{
	tcb->rcv_mss = ust__tcp_path_mss(st, tcb->raddr);
	if (tcb->user_mss && tcb->user_mss < tcb->rcv_mss)
		tcb->rcv_mss = tcb->user_mss;
	tcb->smss = tcb->rcv_mss;
	/* window scale: the smallest shift that lets the largest receive buffer be advertised */
	uint8_t ws = 0;
	while (ws < UST_TCP_WSCALE_MAX && (65535u << ws) < UST_TCP_RCVBUF_MAX)
		ws++;
	tcb->rcv_wscale = (tcb->flags & UST_TF_NOWS_OFFER) ? 0 : ws;
	tcb->last_rx_ns = st->now;
	return 0;
}

void ust__tcp_force_isn(struct ust_stack *st, uint32_t isn)
{
	struct ust__tcp *tp = ust__tcp(st);
	tp->isn_forced = true;
	tp->isn_next = isn;
}

void ust__tcp_set_msl(struct ust_stack *st, uint64_t msl_ns)
{
	ust__tcp(st)->msl_ns = msl_ns;
}

int ust__tcp_set_default_cc(struct ust_stack *st, const char *name)
{
	return ust_tcp_cc_set_default(&ust__tcp(st)->ccreg, name);
}

struct ust__tcb *ust__tcp_tcb(struct ust_stack *st, int sd)
{
	struct ust__sock *s = ust__sock_get(st, sd);
	return s && s->protocol == UST_IPPROTO_TCP ? s->proto : NULL;
}

int ust__tcp_module_init(struct ust_stack *st)
{
	struct ust__tcp *tp = calloc(1, sizeof(*tp));
	if (!tp)
		return -ENOMEM;
	st->tcp = tp;
	ust_tcp_cc_registry_init(&tp->ccreg);
	for (size_t i = 0; i < sizeof(tp->secret.bytes); i += 8) {
		uint64_t r = ust__rand(st);
		memcpy(tp->secret.bytes + i, &r, 8);
	}
	/* a real secret when the kernel has entropy; tests with a seed stay reproducible */
	uint8_t extra[UST_TCP_SECRET_LEN];
	if (getrandom(extra, sizeof(extra), GRND_NONBLOCK) == (ssize_t)sizeof(extra))
		for (size_t i = 0; i < sizeof(extra); i++)
			tp->secret.bytes[i] ^= extra[i];
	tp->msl_ns = UST_TCP_MSL_NS_DEFAULT;
	tp->challenge_sec = UINT64_MAX;
	tp->tso = (st->be->features & UST_BACKEND_F_TSO) != 0;
	tp->tlp = true;
	/* stack-wide memory: 3/4 of the frame pool unless ust_stack_config.tcp_mem_limit says */
	ust__tcp_set_mem_limit(st, 0);
	int err = ust__ipv4_register(st, UST_IPPROTO_TCP, ust__tcp_input, ust__tcp_icmp_error);
	if (!err)
		err = ust__tcp_sock_register(st);
	return err;
}

void ust__tcp_module_fini(struct ust_stack *st)
{
	struct ust__tcp *tp = ust__tcp(st);
	if (!tp)
		return;
	/* connections that outlived their sockets: tell the peers, then free */
	while (tp->all) {
		struct ust__tcb *tcb = tp->all;
		if (tcb->state != UST_TCPS_CLOSED && tcb->state != UST_TCPS_LISTEN &&
		    tcb->state != UST_TCPS_TIME_WAIT && tcb->state != UST_TCPS_SYN_SENT)
			ust__tcp_send_rst_tcb(st, tcb);
		tcb->parent = NULL;
		tcb->sock = NULL;
		if (tcb->state == UST_TCPS_LISTEN)
			tcb->state = UST_TCPS_CLOSED;	/* children are on the list too */
		ust__tcb_free(st, tcb);
	}
	free(tp);
	st->tcp = NULL;
}

size_t ust__tcp_counter_groups(const struct ust_stack *st, struct ust_counter_group *out, size_t max)
{
	const struct ust__tcp *tp = ust__tcp(st);
	if (!tp || max == 0)
		return 0;
	out[0] = UST_COUNTER_GROUP("tcp", tcp_names, &tp->c);
	return 1;
}
