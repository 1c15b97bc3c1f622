/*
 * ustack-perf: iperf3's TCP test protocol, client and server, over the transport shim.
 *
 * The protocol (as Linux iperf3 3.x speaks it): the client opens a control connection and
 * sends a 37-byte cookie; the server answers with one-byte states. PARAM_EXCHANGE: the client
 * sends its parameters as a 4-byte big-endian length + JSON. CREATE_STREAMS: the client opens
 * the data connections one after the other, each starting with the same cookie (stream ids
 * are 1, 3, 4, 5, ... in that order on both sides). TEST_START, TEST_RUNNING: data flows
 * (client to server, or server to client with -R). The client ends the test with TEST_END;
 * the server asks for EXCHANGE_RESULTS: the client sends its results JSON, the server its
 * own; DISPLAY_RESULTS; the client answers IPERF_DONE.
 *
 * Everything runs in one event loop over non-blocking sockets: control bytes are buffered
 * and parsed as they complete, streams are read or written whenever they are ready.
 */
#include "perf.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

enum {
	IPERF_TEST_START = 1,
	IPERF_TEST_RUNNING = 2,
	IPERF_TEST_END = 4,
	IPERF_PARAM_EXCHANGE = 9,
	IPERF_CREATE_STREAMS = 10,
	IPERF_SERVER_TERMINATE = 11,
	IPERF_CLIENT_TERMINATE = 12,
	IPERF_EXCHANGE_RESULTS = 13,
	IPERF_DISPLAY_RESULTS = 14,
	IPERF_DONE = 16,
	IPERF_ACCESS_DENIED = -1,
	IPERF_SERVER_ERROR = -2,
};

#define COOKIE_SIZE 37
#define JSON_MAX (1u << 20)	/* refuse a peer that announces more */
#define STREAMS_MAX 128
#define READ_CHUNK (128u * 1024u)
#define EVENTS_MAX 64
/* Client, before TEST_END: how long the streams may go without any of their unacknowledged
 * data being acknowledged before the peer is given up on, and how often they are checked. */
#define DRAIN_STALL_S 10.0
#define DRAIN_POLL_MS 5
/* Client, once its data is acknowledged: a peer's kernel acknowledges data when it reaches the
 * socket buffer, not when the application reads it, and iperf3 -s stops counting when it takes
 * TEST_END (even with data still unread in the same select round): give it this long to read. */
#define PEER_READ_GRACE_S 0.2
/* Server with -n: after TEST_END, how long to wait for the rest of the -n bytes (the control
 * connection can overtake the tail of a data connection) while none of it arrives. */
#define TAIL_STALL_S 2.0

struct bytebuf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

struct stream {
	int sd;
	int id;
	bool sender;
	bool connected;
	bool cookie_sent;	/* client: cookie written after connect */
	size_t cookie_got;	/* server: cookie bytes read so far */
	uint8_t cookie[COOKIE_SIZE];
	uint64_t bytes;
	uint64_t interval_bytes;
	uint64_t retransmits;
};

struct session {
	struct perf_transport *t;
	const struct perf_options *o;
	bool is_server;
	int listen_sd;
	int ctl_sd;
	bool ctl_connected;
	struct bytebuf ctl_in;
	struct bytebuf ctl_out;
	char cookie[COOKIE_SIZE];
	bool expect_cookie;	/* server: control cookie not yet complete */
	bool expect_json;	/* next control message is length + JSON */
	/* test parameters (client: from options; server: from the client's JSON) */
	bool reverse;
	int parallel;
	uint32_t len;
	double seconds;
	uint64_t bytes_target;
	/* run state */
	struct stream streams[STREAMS_MAX];
	int nstreams;
	bool creating;		/* client: opening streams */
	bool running;
	bool ended;		/* client: done writing; server: TEST_END received */
	bool draining;		/* client: waiting for the written data to be acknowledged */
	double settle_until;	/* client: data acknowledged; TEST_END goes at this time */
	bool awaiting_tail;	/* server: TEST_END came before all -n bytes did */
	double tail_progress;	/* server: time the received total last grew */
	uint64_t tail_mark;	/* server: the received total at tail_progress */
	double drain_progress;	/* time the unacknowledged total last went down */
	uint64_t drain_mark;	/* what was unacknowledged at drain_progress */
	bool done;
	int error;
	double start_time;
	double end_time;
	double next_interval;
	double interval_start;
	struct rusage ru_start;
	cJSON *remote_results;
	cJSON *json_out;	/* -J document */
	cJSON *json_intervals;
	uint8_t *block;		/* send buffer of len bytes */
	uint8_t *scratch;	/* receive buffer */
};

/* --- small helpers --------------------------------------------------------------------- */

static int buf_append(struct bytebuf *b, const void *data, size_t len)
{
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + len)
			cap *= 2;
		uint8_t *p = realloc(b->data, cap);
		if (!p)
			return -1;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

static void buf_consume(struct bytebuf *b, size_t n)
{
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

static void buf_free(struct bytebuf *b)
{
	free(b->data);
	*b = (struct bytebuf){ 0 };
}

static void make_cookie(char cookie[COOKIE_SIZE])
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	uint8_t raw[COOKIE_SIZE - 1];
	FILE *f = fopen("/dev/urandom", "rb");

	if (!f || fread(raw, 1, sizeof(raw), f) != sizeof(raw)) {
		for (size_t i = 0; i < sizeof(raw); i++)
			raw[i] = (uint8_t)(perf_now() * 1e9 + (double)i * 7919);
	}
	if (f)
		fclose(f);
	for (size_t i = 0; i < sizeof(raw); i++)
		cookie[i] = alphabet[raw[i] % 32];
	cookie[COOKIE_SIZE - 1] = '\0';
}

/* Stream id sequence of iperf3: 1, then 3, 4, 5, ... */
static int stream_id(int index)
{
	return index == 0 ? 1 : index + 2;
}

static double cpu_seconds(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

/* --- control channel --------------------------------------------------------------------- */

static void ctl_flush(struct session *s)
{
	while (s->ctl_out.len > 0) {
		ssize_t n = pt_write(s->t, s->ctl_sd, s->ctl_out.data, s->ctl_out.len);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				s->error = errno;
			}
			break;
		}
		buf_consume(&s->ctl_out, (size_t)n);
	}
	unsigned events = EPOLLIN | (s->ctl_out.len ? EPOLLOUT : 0);
	pt_watch(s->t, s->ctl_sd, events, 0);
}

static void ctl_send_state(struct session *s, int state)
{
	uint8_t b = (uint8_t)(int8_t)state;
	if (buf_append(&s->ctl_out, &b, 1) < 0)
		s->error = ENOMEM;
	ctl_flush(s);
}

static void ctl_send_json(struct session *s, cJSON *doc)
{
	char *text = cJSON_PrintUnformatted(doc);
	if (!text) {
		s->error = ENOMEM;
		return;
	}
	uint32_t len = (uint32_t)strlen(text);
	uint8_t hdr[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len };
	if (buf_append(&s->ctl_out, hdr, 4) < 0 || buf_append(&s->ctl_out, text, len) < 0)
		s->error = ENOMEM;
	free(text);
	ctl_flush(s);
}

/* Take one complete JSON message off the control input, or NULL if not complete yet. */
static cJSON *ctl_take_json(struct session *s, bool *bad)
{
	*bad = false;
	if (s->ctl_in.len < 4)
		return NULL;
	const uint8_t *p = s->ctl_in.data;
	uint32_t len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	if (len > JSON_MAX) {
		*bad = true;
		return NULL;
	}
	if (s->ctl_in.len < 4 + (size_t)len)
		return NULL;
	cJSON *doc = cJSON_ParseWithLength((const char *)p + 4, len);
	buf_consume(&s->ctl_in, 4 + (size_t)len);
	if (!doc)
		*bad = true;
	return doc;
}

/* --- results -------------------------------------------------------------------------------- */

static uint64_t stream_retransmits(struct session *s, struct stream *st)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (pt_getsockopt(s->t, st->sd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0)
		return UINT64_MAX;
	return info.tcpi_total_retrans;
}

static void congestion_name(struct session *s, char *out, size_t size)
{
	socklen_t len = (socklen_t)size;

	snprintf(out, size, "unknown");
	if (s->nstreams > 0 &&
	    pt_getsockopt(s->t, s->streams[0].sd, IPPROTO_TCP, TCP_CONGESTION, out, &len) == 0)
		out[size - 1] = '\0';
}

static bool local_is_sender(const struct session *s)
{
	return s->is_server ? s->reverse : !s->reverse;
}

static cJSON *build_results(struct session *s)
{
	struct rusage ru;
	char cc[32];
	cJSON *doc = cJSON_CreateObject();
	bool sender = local_is_sender(s);
	double wall = (s->end_time > s->start_time ? s->end_time : perf_now()) - s->start_time;

	getrusage(RUSAGE_SELF, &ru);
	double user = cpu_seconds(&ru.ru_utime) - cpu_seconds(&s->ru_start.ru_utime);
	double sys = cpu_seconds(&ru.ru_stime) - cpu_seconds(&s->ru_start.ru_stime);
	if (wall <= 0)
		wall = 1e-9;
	congestion_name(s, cc, sizeof(cc));
	cJSON_AddNumberToObject(doc, "cpu_util_total", 100.0 * (user + sys) / wall);
	cJSON_AddNumberToObject(doc, "cpu_util_user", 100.0 * user / wall);
	cJSON_AddNumberToObject(doc, "cpu_util_system", 100.0 * sys / wall);
	cJSON_AddNumberToObject(doc, "sender_has_retransmits", sender ? 1 : -1);
	cJSON_AddStringToObject(doc, "congestion_used", cc);
	cJSON *arr = cJSON_AddArrayToObject(doc, "streams");
	for (int i = 0; i < s->nstreams; i++) {
		struct stream *st = &s->streams[i];
		cJSON *o = cJSON_CreateObject();
		if (sender)
			st->retransmits = stream_retransmits(s, st);
		cJSON_AddNumberToObject(o, "id", st->id);
		cJSON_AddNumberToObject(o, "bytes", (double)st->bytes);
		cJSON_AddNumberToObject(o, "retransmits",
					sender && st->retransmits != UINT64_MAX ? (double)st->retransmits : -1);
		cJSON_AddNumberToObject(o, "jitter", 0);
		cJSON_AddNumberToObject(o, "errors", 0);
		cJSON_AddNumberToObject(o, "packets", 0);
		cJSON_AddNumberToObject(o, "start_time", 0);
		cJSON_AddNumberToObject(o, "end_time", wall);
		cJSON_AddItemToArray(arr, o);
	}
	return doc;
}

static double json_number(const cJSON *obj, const char *key, double fallback)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsNumber(item) ? item->valuedouble : fallback;
}

/* Bytes and duration the peer reported for stream id (from its results JSON). */
static bool remote_stream(const struct session *s, int id, double *bytes, double *seconds,
			  double *retr)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(s->remote_results, "streams");
	const cJSON *o;

	cJSON_ArrayForEach(o, arr) {
		if ((int)json_number(o, "id", -1) == id) {
			*bytes = json_number(o, "bytes", 0);
			*seconds = json_number(o, "end_time", 0) - json_number(o, "start_time", 0);
			*retr = json_number(o, "retransmits", -1);
			return true;
		}
	}
	return false;
}

static cJSON *summary_json(double bytes, double seconds, double retr, bool sender)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "start", 0);
	cJSON_AddNumberToObject(o, "end", seconds);
	cJSON_AddNumberToObject(o, "seconds", seconds);
	cJSON_AddNumberToObject(o, "bytes", bytes);
	cJSON_AddNumberToObject(o, "bits_per_second", seconds > 0 ? bytes * 8 / seconds : 0);
	if (sender && retr >= 0)
		cJSON_AddNumberToObject(o, "retransmits", retr);
	cJSON_AddBoolToObject(o, "sender", sender);
	return o;
}

static void print_line(const char *label, double seconds, double bytes, double retr, const char *role)
{
	char tb[32], rb[32], rt[16] = "";

	perf_format_bytes(tb, sizeof(tb), bytes);
	perf_format_rate(rb, sizeof(rb), seconds > 0 ? bytes * 8 / seconds : 0);
	if (retr >= 0)
		snprintf(rt, sizeof(rt), "%4.0f", retr);
	printf("[%5s]   0.00-%-6.2f sec  %12s  %16s  %5s  %s\n", label, seconds, tb, rb, rt, role);
}

/* Final report, from the local counts and the peer's results. */
static void report_final(struct session *s)
{
	bool sender = local_is_sender(s);
	double local_secs = s->end_time - s->start_time;
	double sum_sent = 0, sum_recv = 0, sum_retr = 0, sent_secs = 0, recv_secs = 0;
	bool have_retr = false;
	cJSON *jstreams = NULL;

	if (s->o->json) {
		cJSON *end = cJSON_AddObjectToObject(s->json_out, "end");
		jstreams = cJSON_AddArrayToObject(end, "streams");
	} else {
		printf("- - - - - - - - - - - - - - - - - - - - - - - - -\n");
		printf("[   ID] Interval           Transfer          Bitrate         Retr\n");
	}
	for (int i = 0; i < s->nstreams; i++) {
		struct stream *st = &s->streams[i];
		double rbytes = 0, rsecs = 0, rretr = -1;
		bool have_remote = remote_stream(s, st->id, &rbytes, &rsecs, &rretr);
		double sbytes, ssecs, retr, recv_bytes, recv_s;

		if (sender) {
			sbytes = (double)st->bytes;
			ssecs = local_secs;
			retr = st->retransmits == UINT64_MAX ? -1 : (double)st->retransmits;
			recv_bytes = have_remote ? rbytes : 0;
			recv_s = have_remote ? rsecs : local_secs;
		} else {
			sbytes = have_remote ? rbytes : 0;
			ssecs = have_remote ? rsecs : local_secs;
			retr = rretr;
			recv_bytes = (double)st->bytes;
			recv_s = local_secs;
		}
		sum_sent += sbytes;
		sum_recv += recv_bytes;
		if (retr >= 0) {
			sum_retr += retr;
			have_retr = true;
		}
		if (ssecs > sent_secs)
			sent_secs = ssecs;
		if (recv_s > recv_secs)
			recv_secs = recv_s;
		char label[8];
		snprintf(label, sizeof(label), "%d", st->id);
		if (s->o->json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddItemToObject(o, "sender", summary_json(sbytes, ssecs, retr, true));
			cJSON_AddItemToObject(o, "receiver", summary_json(recv_bytes, recv_s, -1, false));
			cJSON_AddItemToArray(jstreams, o);
		} else {
			print_line(label, ssecs, sbytes, retr, "sender");
			print_line(label, recv_s, recv_bytes, -1, "receiver");
		}
	}
	if (s->o->json) {
		cJSON *end = cJSON_GetObjectItemCaseSensitive(s->json_out, "end");
		cJSON_AddItemToObject(end, "sum_sent", summary_json(sum_sent, sent_secs, have_retr ? sum_retr : -1, true));
		cJSON_AddItemToObject(end, "sum_received", summary_json(sum_recv, recv_secs, -1, false));
		cJSON *cpu = cJSON_AddObjectToObject(end, "cpu_utilization_percent");
		cJSON *local = build_results(s);
		cJSON_AddNumberToObject(cpu, "host_total", json_number(local, "cpu_util_total", 0));
		cJSON_AddNumberToObject(cpu, "host_user", json_number(local, "cpu_util_user", 0));
		cJSON_AddNumberToObject(cpu, "host_system", json_number(local, "cpu_util_system", 0));
		cJSON_AddNumberToObject(cpu, "remote_total", json_number(s->remote_results, "cpu_util_total", 0));
		cJSON_AddNumberToObject(cpu, "remote_user", json_number(s->remote_results, "cpu_util_user", 0));
		cJSON_AddNumberToObject(cpu, "remote_system", json_number(s->remote_results, "cpu_util_system", 0));
		cJSON_Delete(local);
		char *text = cJSON_Print(s->json_out);
		if (text) {
			printf("%s\n", text);
			free(text);
		}
	} else if (s->nstreams > 1) {
		print_line("SUM", sent_secs, sum_sent, have_retr ? sum_retr : -1, "sender");
		print_line("SUM", recv_secs, sum_recv, -1, "receiver");
	}
	fflush(stdout);
}

static void report_interval(struct session *s, double now)
{
	double secs = now - s->interval_start;
	double from = s->interval_start - s->start_time, to = now - s->start_time;
	uint64_t sum = 0;
	cJSON *jint = NULL, *jstreams = NULL;

	if (s->o->json) {
		jint = cJSON_CreateObject();
		jstreams = cJSON_AddArrayToObject(jint, "streams");
	}
	for (int i = 0; i < s->nstreams; i++) {
		struct stream *st = &s->streams[i];
		sum += st->interval_bytes;
		if (s->o->json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "socket", st->id);
			cJSON_AddNumberToObject(o, "start", from);
			cJSON_AddNumberToObject(o, "end", to);
			cJSON_AddNumberToObject(o, "seconds", secs);
			cJSON_AddNumberToObject(o, "bytes", (double)st->interval_bytes);
			cJSON_AddNumberToObject(o, "bits_per_second", secs > 0 ? st->interval_bytes * 8.0 / secs : 0);
			cJSON_AddItemToArray(jstreams, o);
		} else {
			char tb[32], rb[32];
			perf_format_bytes(tb, sizeof(tb), (double)st->interval_bytes);
			perf_format_rate(rb, sizeof(rb), secs > 0 ? st->interval_bytes * 8.0 / secs : 0);
			printf("[%5d] %6.2f-%-6.2f sec  %12s  %16s\n", st->id, from, to, tb, rb);
		}
		st->interval_bytes = 0;
	}
	if (s->o->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "start", from);
		cJSON_AddNumberToObject(o, "end", to);
		cJSON_AddNumberToObject(o, "seconds", secs);
		cJSON_AddNumberToObject(o, "bytes", (double)sum);
		cJSON_AddNumberToObject(o, "bits_per_second", secs > 0 ? sum * 8.0 / secs : 0);
		cJSON_AddItemToObject(jint, "sum", o);
		cJSON_AddItemToArray(s->json_intervals, jint);
	} else if (s->nstreams > 1) {
		char tb[32], rb[32];
		perf_format_bytes(tb, sizeof(tb), (double)sum);
		perf_format_rate(rb, sizeof(rb), secs > 0 ? sum * 8.0 / secs : 0);
		printf("[  SUM] %6.2f-%-6.2f sec  %12s  %16s\n", from, to, tb, rb);
	}
	fflush(stdout);
	s->interval_start = now;
}

/* --- streams ---------------------------------------------------------------------------- */

static struct stream *find_stream(struct session *s, int sd)
{
	for (int i = 0; i < s->nstreams; i++)
		if (s->streams[i].sd == sd)
			return &s->streams[i];
	return NULL;
}

static void tune_socket(struct session *s, int sd)
{
	if (s->o->nodelay) {
		int one = 1;
		pt_setsockopt(s->t, sd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	if (s->o->congestion &&
	    pt_setsockopt(s->t, sd, IPPROTO_TCP, TCP_CONGESTION, s->o->congestion,
			  (socklen_t)strlen(s->o->congestion)) < 0 && !s->error) {
		fprintf(stderr, "ustack-perf: -C %s: %s\n", s->o->congestion, strerror(errno));
		s->error = errno;
	}
}

/* Bytes written so far over all streams (the sender's total, for -n). */
static uint64_t bytes_sent(const struct session *s)
{
	uint64_t total = 0;

	for (int i = 0; i < s->nstreams; i++)
		total += s->streams[i].bytes;
	return total;
}

static bool target_reached(const struct session *s)
{
	return s->bytes_target != 0 && bytes_sent(s) >= s->bytes_target;
}

static void stream_send(struct session *s, struct stream *st)
{
	while (s->running && !s->ended && !target_reached(s)) {
		/* with -n, the last write is cut to what is left: a short write earlier (the
		 * send buffer full) must not push the total past -n (iperf3 sends exactly -n) */
		size_t len = s->len;
		if (s->bytes_target && s->bytes_target - bytes_sent(s) < len)
			len = (size_t)(s->bytes_target - bytes_sent(s));
		ssize_t n = pt_write(s->t, st->sd, s->block, len);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				s->error = errno;
			return;
		}
		st->bytes += (uint64_t)n;
		st->interval_bytes += (uint64_t)n;
	}
}

static void stream_receive(struct session *s, struct stream *st)
{
	for (;;) {
		ssize_t n = pt_read(s->t, st->sd, s->scratch, READ_CHUNK);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && !s->ended)
				s->error = errno;
			return;
		}
		if (n == 0) {
			pt_unwatch(s->t, st->sd);
			return;
		}
		if (s->running) {
			st->bytes += (uint64_t)n;
			st->interval_bytes += (uint64_t)n;
		}
	}
}

/* Server: a data connection delivered (part of) its cookie. */
static void stream_read_cookie(struct session *s, struct stream *st)
{
	while (st->cookie_got < COOKIE_SIZE) {
		ssize_t n = pt_read(s->t, st->sd, st->cookie + st->cookie_got, COOKIE_SIZE - st->cookie_got);
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
				s->error = EPROTO;
			return;
		}
		st->cookie_got += (size_t)n;
	}
	if (memcmp(st->cookie, s->cookie, COOKIE_SIZE) != 0) {
		fprintf(stderr, "ustack-perf: data connection with a foreign cookie refused\n");
		s->error = EPROTO;
	}
}

static void start_test(struct session *s)
{
	double now = perf_now();

	s->running = true;
	s->start_time = now;
	s->interval_start = now;
	s->next_interval = s->o->interval > 0 ? now + s->o->interval : 0;
	getrusage(RUSAGE_SELF, &s->ru_start);
	for (int i = 0; i < s->nstreams; i++) {
		struct stream *st = &s->streams[i];
		st->sender = local_is_sender(s);
		pt_watch(s->t, st->sd, st->sender ? EPOLLOUT : EPOLLIN, 0);
		if (st->sender)
			stream_send(s, st);
	}
}

static void stop_sending(struct session *s)
{
	s->ended = true;
	s->end_time = perf_now();
	for (int i = 0; i < s->nstreams; i++)
		if (s->streams[i].sender)
			pt_watch(s->t, s->streams[i].sd, EPOLLIN, 0);
}

/* Read whatever the receiving streams hold. */
static void receive_all(struct session *s)
{
	for (int i = 0; i < s->nstreams; i++)
		if (!s->streams[i].sender)
			stream_receive(s, &s->streams[i]);
}

/* Server, the test over (TEST_END, and with -n its bytes in): stop, then exchange results. */
static void server_end_test(struct session *s)
{
	if (!s->ended)
		stop_sending(s);
	/* As iperf3's server does (it closes the data sockets here): the client's reverse-mode
	 * drain reads whole blocks with blocking reads, and only an EOF ends a block cut short;
	 * without the FIN it hangs (TCP-BUGS.md B5). */
	for (int i = 0; i < s->nstreams; i++)
		if (s->streams[i].sender)
			pt_shutdown_write(s->t, s->streams[i].sd);
	ctl_send_state(s, IPERF_EXCHANGE_RESULTS);
	s->expect_json = true;
}

/* Server after an early TEST_END: the results go once all -n bytes are in, or once none of
 * the rest has come for TAIL_STALL_S (then the count is what it is, as with iperf3). */
static void server_await_tail(struct session *s, double now)
{
	receive_all(s);
	uint64_t got = bytes_sent(s);
	if (got != s->tail_mark) {
		s->tail_mark = got;
		s->tail_progress = now;
	}
	if (got < s->bytes_target && now - s->tail_progress < TAIL_STALL_S)
		return;
	s->awaiting_tail = false;
	server_end_test(s);
}

/* --- client ------------------------------------------------------------------------------ */

static int client_open_stream(struct session *s)
{
	struct stream *st = &s->streams[s->nstreams];
	int sd = pt_tcp_socket(s->t);

	if (sd < 0)
		return -1;
	memset(st, 0, sizeof(*st));
	st->sd = sd;
	st->id = stream_id(s->nstreams);
	st->retransmits = UINT64_MAX;
	s->nstreams++;
	tune_socket(s, sd);
	if (pt_connect(s->t, sd, &s->o->peer) < 0 && errno != EINPROGRESS)
		return -1;
	pt_watch(s->t, sd, EPOLLOUT, 1);
	return 0;
}

static void client_stream_writable(struct session *s, struct stream *st)
{
	if (!st->connected) {
		int err = pt_sockerror(s->t, st->sd);
		if (err) {
			fprintf(stderr, "ustack-perf: data connection: %s\n", strerror(err));
			s->error = err;
			return;
		}
		st->connected = true;
		/* The cookie is 37 bytes on an empty connection: it fits in one write. */
		if (pt_write(s->t, st->sd, s->cookie, COOKIE_SIZE) != COOKIE_SIZE) {
			s->error = errno ? errno : EIO;
			return;
		}
		st->cookie_sent = true;
		pt_watch(s->t, st->sd, EPOLLIN, 0);
		if (!s->o->json) {
			printf("[%5d] connected to %s port %u\n", st->id, inet_ntoa(s->o->peer.sin_addr),
			       ntohs(s->o->peer.sin_port));
		}
		if (s->nstreams < s->parallel && client_open_stream(s) < 0)
			s->error = errno;
		return;
	}
	stream_send(s, st);
}

static cJSON *client_params(struct session *s)
{
	cJSON *p = cJSON_CreateObject();

	cJSON_AddBoolToObject(p, "tcp", 1);
	cJSON_AddNumberToObject(p, "omit", 0);
	cJSON_AddNumberToObject(p, "time", s->bytes_target ? 0 : s->seconds);
	cJSON_AddNumberToObject(p, "num", (double)s->bytes_target);
	cJSON_AddNumberToObject(p, "blockcount", 0);
	cJSON_AddNumberToObject(p, "parallel", s->parallel);
	if (s->reverse)
		cJSON_AddBoolToObject(p, "reverse", 1);
	cJSON_AddNumberToObject(p, "len", s->len);
	cJSON_AddNumberToObject(p, "pacing_timer", 1000);
	cJSON_AddStringToObject(p, "client_version", "3.12");
	return p;
}

/* Act on every complete control message the client has. */
static void client_control(struct session *s)
{
	while (!s->error && !s->done) {
		if (s->expect_json) {
			bool bad;
			cJSON *doc = ctl_take_json(s, &bad);
			if (bad) {
				s->error = EPROTO;
				return;
			}
			if (!doc)
				return;
			s->remote_results = doc;
			s->expect_json = false;
			continue;
		}
		if (s->ctl_in.len < 1)
			return;
		int state = (int8_t)s->ctl_in.data[0];
		buf_consume(&s->ctl_in, 1);
		switch (state) {
		case IPERF_PARAM_EXCHANGE: {
			cJSON *p = client_params(s);
			ctl_send_json(s, p);
			cJSON_Delete(p);
			break;
		}
		case IPERF_CREATE_STREAMS:
			s->creating = true;
			if (client_open_stream(s) < 0)
				s->error = errno;
			break;
		case IPERF_TEST_START:
			break;
		case IPERF_TEST_RUNNING:
			start_test(s);
			break;
		case IPERF_EXCHANGE_RESULTS: {
			if (!s->ended)
				stop_sending(s);
			cJSON *r = build_results(s);
			ctl_send_json(s, r);
			cJSON_Delete(r);
			s->expect_json = true;
			break;
		}
		case IPERF_DISPLAY_RESULTS:
			report_final(s);
			ctl_send_state(s, IPERF_DONE);
			s->done = true;
			break;
		case IPERF_ACCESS_DENIED:
			fprintf(stderr, "ustack-perf: the server is busy running a test; try again later\n");
			s->error = EBUSY;
			break;
		case IPERF_SERVER_ERROR:
		case IPERF_SERVER_TERMINATE:
			fprintf(stderr, "ustack-perf: the server reported an error or terminated\n");
			s->error = ECONNABORTED;
			break;
		default:
			fprintf(stderr, "ustack-perf: unexpected control state %d from the server\n", state);
			s->error = EPROTO;
			break;
		}
	}
}

/* --- server ------------------------------------------------------------------------------ */

static bool parse_params(struct session *s, const cJSON *p)
{
	const cJSON *tcp = cJSON_GetObjectItemCaseSensitive(p, "tcp");
	const cJSON *udp = cJSON_GetObjectItemCaseSensitive(p, "udp");

	if (cJSON_IsTrue(udp) || (tcp && !cJSON_IsTrue(tcp))) {
		fprintf(stderr, "ustack-perf: the client asked for UDP; only TCP tests are supported\n");
		return false;
	}
	s->seconds = json_number(p, "time", 10);
	s->bytes_target = (uint64_t)json_number(p, "num", 0);
	s->parallel = (int)json_number(p, "parallel", 1);
	s->len = (uint32_t)json_number(p, "len", 128 * 1024);
	s->reverse = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "reverse"));
	if (s->parallel < 1 || s->parallel > STREAMS_MAX || s->len == 0 || s->len > (16u << 20)) {
		fprintf(stderr, "ustack-perf: refusing parameters (parallel %d, len %u)\n", s->parallel, s->len);
		return false;
	}
	return true;
}

static void server_control(struct session *s)
{
	while (!s->error && !s->done) {
		if (s->expect_cookie) {
			if (s->ctl_in.len < COOKIE_SIZE)
				return;
			memcpy(s->cookie, s->ctl_in.data, COOKIE_SIZE);
			s->cookie[COOKIE_SIZE - 1] = '\0';
			buf_consume(&s->ctl_in, COOKIE_SIZE);
			s->expect_cookie = false;
			s->expect_json = true;
			ctl_send_state(s, IPERF_PARAM_EXCHANGE);
			continue;
		}
		if (s->expect_json) {
			bool bad;
			cJSON *doc = ctl_take_json(s, &bad);
			if (bad) {
				s->error = EPROTO;
				return;
			}
			if (!doc)
				return;
			s->expect_json = false;
			if (!s->creating && !s->running && !s->ended) {
				bool ok = parse_params(s, doc);
				cJSON_Delete(doc);
				if (!ok) {
					ctl_send_state(s, IPERF_SERVER_ERROR);
					s->error = EINVAL;
					return;
				}
				free(s->block);
				s->block = malloc(s->len);
				if (!s->block) {
					s->error = ENOMEM;
					return;
				}
				for (uint32_t i = 0; i < s->len; i++)
					s->block[i] = (uint8_t)(i * 131u + 7u);
				s->creating = true;
				ctl_send_state(s, IPERF_CREATE_STREAMS);
			} else {
				/* The client's results: answer with ours, then display. */
				s->remote_results = doc;
				cJSON *r = build_results(s);
				ctl_send_json(s, r);
				cJSON_Delete(r);
				ctl_send_state(s, IPERF_DISPLAY_RESULTS);
			}
			continue;
		}
		if (s->ctl_in.len < 1)
			return;
		int state = (int8_t)s->ctl_in.data[0];
		buf_consume(&s->ctl_in, 1);
		switch (state) {
		case IPERF_TEST_END:
			/* The client's last data came before TEST_END, but this batch of events
			 * may have put the control connection first: count what is there now. With
			 * -n, the tail may still be on its way on a data connection: the results
			 * wait for it (server_await_tail). */
			receive_all(s);
			if (s->bytes_target != 0 && !s->ended && bytes_sent(s) < s->bytes_target &&
			    !s->streams[0].sender) {
				s->awaiting_tail = true;
				s->tail_progress = perf_now();
				s->tail_mark = bytes_sent(s);
				break;
			}
			server_end_test(s);
			break;
		case IPERF_DONE:
			report_final(s);
			s->done = true;
			break;
		case IPERF_CLIENT_TERMINATE:
			fprintf(stderr, "ustack-perf: the client terminated the test\n");
			s->error = ECONNABORTED;
			break;
		default:
			fprintf(stderr, "ustack-perf: unexpected control state %d from the client\n", state);
			s->error = EPROTO;
			break;
		}
	}
}

static void server_accept(struct session *s)
{
	for (;;) {
		int sd = pt_accept(s->t, s->listen_sd);
		if (sd < 0)
			return;
		if (s->ctl_sd < 0) {
			s->ctl_sd = sd;
			s->ctl_connected = true;
			s->expect_cookie = true;
			pt_watch(s->t, sd, EPOLLIN, 1);
			continue;
		}
		if (s->creating && s->nstreams < s->parallel) {
			struct stream *st = &s->streams[s->nstreams];
			memset(st, 0, sizeof(*st));
			st->sd = sd;
			st->id = stream_id(s->nstreams);
			st->retransmits = UINT64_MAX;
			s->nstreams++;
			tune_socket(s, sd);
			pt_watch(s->t, sd, EPOLLIN, 1);
			stream_read_cookie(s, st);
			continue;
		}
		/* A second client while a test runs: tell it, as iperf3 does. */
		uint8_t denied = (uint8_t)(int8_t)IPERF_ACCESS_DENIED;
		pt_write(s->t, sd, &denied, 1);
		pt_close(s->t, sd);
	}
}

static void server_maybe_start(struct session *s)
{
	if (!s->creating || s->nstreams < s->parallel)
		return;
	for (int i = 0; i < s->nstreams; i++)
		if (s->streams[i].cookie_got < COOKIE_SIZE)
			return;
	s->creating = false;
	ctl_send_state(s, IPERF_TEST_START);
	ctl_send_state(s, IPERF_TEST_RUNNING);
	start_test(s);
}

/* --- the loop ---------------------------------------------------------------------------- */

static void control_readable(struct session *s)
{
	uint8_t tmp[4096];
	bool eof = false;

	for (;;) {
		ssize_t n = pt_read(s->t, s->ctl_sd, tmp, sizeof(tmp));
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				s->error = errno;
			break;
		}
		if (n == 0) {
			eof = true;
			break;
		}
		if (s->ctl_in.len + (size_t)n > JSON_MAX + 4 + COOKIE_SIZE) {
			s->error = EPROTO;
			break;
		}
		if (buf_append(&s->ctl_in, tmp, (size_t)n) < 0) {
			s->error = ENOMEM;
			break;
		}
	}
	/* Act on what arrived before judging the end of stream: IPERF_DONE and the close
	 * often come in one read. */
	if (s->is_server)
		server_control(s);
	else
		client_control(s);
	if (eof && !s->done && !s->error) {
		s->error = ECONNRESET;
		pt_unwatch(s->t, s->ctl_sd);
	}
}

static void handle_event(struct session *s, const struct epoll_event *ev)
{
	int sd = ev->data.fd;

	if (s->is_server && sd == s->listen_sd) {
		server_accept(s);
		server_maybe_start(s);
		return;
	}
	if (sd == s->ctl_sd) {
		if (!s->ctl_connected) {
			int err = pt_sockerror(s->t, sd);
			if (err) {
				fprintf(stderr, "ustack-perf: connect to %s port %u: %s\n",
					inet_ntoa(s->o->peer.sin_addr), ntohs(s->o->peer.sin_port), strerror(err));
				s->error = err;
				return;
			}
			s->ctl_connected = true;
			if (buf_append(&s->ctl_out, s->cookie, COOKIE_SIZE) < 0)
				s->error = ENOMEM;
			ctl_flush(s);
			return;
		}
		if (ev->events & EPOLLOUT)
			ctl_flush(s);
		if (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			control_readable(s);
		return;
	}
	struct stream *st = find_stream(s, sd);
	if (!st)
		return;
	if (s->is_server && st->cookie_got < COOKIE_SIZE) {
		stream_read_cookie(s, st);
		server_maybe_start(s);
		return;
	}
	if (!s->is_server && (ev->events & EPOLLOUT)) {
		client_stream_writable(s, st);
		return;
	}
	if (ev->events & EPOLLOUT)
		stream_send(s, st);
	if (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		stream_receive(s, st);
}

/*
 * Sending streams whose FIN is not acknowledged yet, with *unacked their unacknowledged
 * segments (TCP_INFO tcpi_unacked); -1 with s->error set if a stream was reset.
 */
static int streams_pending(struct session *s, uint64_t *unacked)
{
	int pending = 0;

	*unacked = 0;
	for (int i = 0; i < s->nstreams; i++) {
		struct stream *st = &s->streams[i];
		struct tcp_info info;
		socklen_t len = sizeof(info);

		if (!st->sender)
			continue;
		int err = pt_sockerror(s->t, st->sd);
		memset(&info, 0, sizeof(info));
		if (!err && pt_getsockopt(s->t, st->sd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0)
			err = errno;
		if (!err && info.tcpi_state == TCP_CLOSE)
			err = ECONNRESET;
		if (err) {
			fprintf(stderr, "ustack-perf: data connection ended before its data was "
				"acknowledged: %s\n", strerror(err));
			s->error = err;
			return -1;
		}
		if (info.tcpi_state != TCP_FIN_WAIT2 && info.tcpi_state != TCP_TIME_WAIT)
			pending++;
		*unacked += info.tcpi_unacked;
	}
	return pending;
}

/*
 * Client, the data all written: TEST_END makes the server stop counting, so it goes only once
 * the streams' data is acknowledged. The kernel would go on draining a socket's buffer after
 * iperf3 sends TEST_END; ustack sends only while this loop polls it, so the server would count
 * short of -n. The streams were shut down (FIN after the data) when the writing stopped: a
 * FIN acknowledged (FIN_WAIT_2) means all the data before it is. tcpi_unacked alone cannot
 * tell: it counts only what was sent, not what still waits in the buffer (say behind a zero
 * window). Linux iperf3 -s takes the early EOF: it reads 0 until TEST_END. A peer that makes
 * no progress for DRAIN_STALL_S fails the test.
 */
static void client_drain(struct session *s, double now)
{
	uint64_t unacked = 0;
	int pending = local_is_sender(s) ? streams_pending(s, &unacked) : 0;

	if (pending < 0)
		return;
	if (pending > 0) {
		uint64_t mark = unacked * STREAMS_MAX + (uint64_t)pending;

		if (mark != s->drain_mark) {
			s->drain_mark = mark;
			s->drain_progress = now;
		} else if (now - s->drain_progress >= DRAIN_STALL_S) {
			fprintf(stderr, "ustack-perf: data still unacknowledged (%d streams, %llu segments "
				"in flight) after %.0f s without progress: giving up on the peer\n",
				pending, (unsigned long long)unacked, DRAIN_STALL_S);
			s->error = ETIMEDOUT;
		}
		return;
	}
	if (s->settle_until == 0) {
		s->end_time = now;
		s->settle_until = now + PEER_READ_GRACE_S;
	}
	if (now < s->settle_until)
		return;
	s->draining = false;
	ctl_send_state(s, IPERF_TEST_END);
}

static void session_tick(struct session *s)
{
	double now = perf_now();

	if (!s->running)
		return;
	if (s->next_interval > 0 && now >= s->next_interval && !s->ended) {
		report_interval(s, now);
		s->next_interval += s->o->interval;
	}
	/* The client ends the test: after -t seconds, or once -n bytes went (or came). */
	if (!s->is_server && !s->ended &&
	    ((s->bytes_target == 0 && now - s->start_time >= s->seconds) || target_reached(s))) {
		if (s->next_interval > 0 && now - s->interval_start > 0.05)
			report_interval(s, now);
		stop_sending(s);
		for (int i = 0; i < s->nstreams; i++)
			if (s->streams[i].sender)
				pt_shutdown_write(s->t, s->streams[i].sd);
		s->draining = true;
		s->drain_progress = now;
		s->drain_mark = UINT64_MAX;
	}
	if (s->draining)
		client_drain(s, now);
	if (s->awaiting_tail)
		server_await_tail(s, now);
}

static int session_timeout_ms(const struct session *s)
{
	double now = perf_now(), next = now + 0.1;

	if (s->draining || s->awaiting_tail)
		return DRAIN_POLL_MS;	/* ACKs raise no event on the streams: look again soon */

	if (s->running && !s->ended) {
		if (s->next_interval > 0 && s->next_interval < next)
			next = s->next_interval;
		if (!s->is_server && s->bytes_target == 0 && s->start_time + s->seconds < next)
			next = s->start_time + s->seconds;
	}
	int ms = (int)((next - now) * 1000.0 + 0.999);
	return ms < 0 ? 0 : ms;
}

static int session_run(struct session *s)
{
	struct epoll_event events[EVENTS_MAX];

	while (!s->error && !s->done && !perf_stop) {
		int n = pt_wait(s->t, events, EVENTS_MAX, session_timeout_ms(s));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			s->error = errno;
			break;
		}
		for (int i = 0; i < n && !s->error; i++)
			handle_event(s, &events[i]);
		session_tick(s);
	}
	return s->error ? -1 : 0;
}

static void session_init(struct session *s, struct perf_transport *t, const struct perf_options *o)
{
	memset(s, 0, sizeof(*s));
	s->t = t;
	s->o = o;
	s->listen_sd = -1;
	s->ctl_sd = -1;
	s->scratch = malloc(READ_CHUNK);
	if (o->json) {
		s->json_out = cJSON_CreateObject();
		cJSON_AddObjectToObject(s->json_out, "start");
		s->json_intervals = cJSON_AddArrayToObject(s->json_out, "intervals");
	}
}

/* Close the test's connections and forget its state; keep the listener. */
static void session_reset(struct session *s)
{
	for (int i = 0; i < s->nstreams; i++)
		pt_close(s->t, s->streams[i].sd);
	s->nstreams = 0;
	if (s->ctl_sd >= 0) {
		ctl_flush(s);
		pt_close(s->t, s->ctl_sd);
	}
	s->ctl_sd = -1;
	s->ctl_connected = false;
	buf_free(&s->ctl_in);
	buf_free(&s->ctl_out);
	cJSON_Delete(s->remote_results);
	s->remote_results = NULL;
	s->creating = s->running = s->ended = s->draining = s->awaiting_tail = s->done = false;
	s->settle_until = 0;
	s->expect_cookie = s->expect_json = false;
	s->error = 0;
	if (s->json_out) {
		cJSON_Delete(s->json_out);
		s->json_out = cJSON_CreateObject();
		cJSON_AddObjectToObject(s->json_out, "start");
		s->json_intervals = cJSON_AddArrayToObject(s->json_out, "intervals");
	}
}

static void session_fini(struct session *s)
{
	session_reset(s);
	if (s->listen_sd >= 0)
		pt_close(s->t, s->listen_sd);
	cJSON_Delete(s->json_out);
	free(s->block);
	free(s->scratch);
}

int perf_iperf3_client(struct perf_transport *t, const struct perf_options *o)
{
	struct session s;
	int rc;

	session_init(&s, t, o);
	s.reverse = o->reverse;
	s.parallel = o->parallel;
	s.len = o->len;
	s.seconds = o->seconds;
	s.bytes_target = o->bytes;
	s.block = malloc(s.len);
	if (!s.block || !s.scratch) {
		session_fini(&s);
		fprintf(stderr, "ustack-perf: out of memory\n");
		return 1;
	}
	for (uint32_t i = 0; i < s.len; i++)
		s.block[i] = (uint8_t)(i * 131u + 7u);
	make_cookie(s.cookie);
	if (o->json) {
		cJSON *start = cJSON_GetObjectItemCaseSensitive(s.json_out, "start");
		cJSON *to = cJSON_AddObjectToObject(start, "connecting_to");
		cJSON_AddStringToObject(to, "host", inet_ntoa(o->peer.sin_addr));
		cJSON_AddNumberToObject(to, "port", ntohs(o->peer.sin_port));
		cJSON_AddStringToObject(start, "cookie", s.cookie);
		cJSON *ts = cJSON_AddObjectToObject(start, "test_start");
		cJSON_AddStringToObject(ts, "protocol", "TCP");
		cJSON_AddNumberToObject(ts, "num_streams", s.parallel);
		cJSON_AddNumberToObject(ts, "blksize", s.len);
		cJSON_AddNumberToObject(ts, "duration", s.bytes_target ? 0 : s.seconds);
		cJSON_AddNumberToObject(ts, "bytes", (double)s.bytes_target);
		cJSON_AddNumberToObject(ts, "reverse", s.reverse);
	} else {
		printf("Connecting to host %s, port %u%s\n", inet_ntoa(o->peer.sin_addr),
		       ntohs(o->peer.sin_port), s.reverse ? " (reverse: server sends)" : "");
	}
	s.ctl_sd = pt_tcp_socket(t);
	if (s.ctl_sd < 0 || (pt_connect(t, s.ctl_sd, &o->peer) < 0 && errno != EINPROGRESS)) {
		fprintf(stderr, "ustack-perf: connect: %s\n", strerror(errno));
		session_fini(&s);
		return 1;
	}
	pt_watch(t, s.ctl_sd, EPOLLOUT | EPOLLIN, 1);
	rc = session_run(&s);
	if (rc < 0 && s.error != EBUSY && s.error != ECONNABORTED && s.error)
		fprintf(stderr, "ustack-perf: test failed: %s\n", strerror(s.error));
	if (perf_stop && !s.done)
		rc = -1;
	session_fini(&s);
	return rc < 0 ? 1 : 0;
}

int perf_iperf3_server(struct perf_transport *t, const struct perf_options *o)
{
	struct session s;
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(o->port) };
	int status = 0;

	session_init(&s, t, o);
	s.is_server = true;
	if (!s.scratch) {
		session_fini(&s);
		return 1;
	}
	s.listen_sd = pt_listen(t, &addr, 64);
	if (s.listen_sd < 0) {
		fprintf(stderr, "ustack-perf: listen on port %u: %s\n", o->port, strerror(errno));
		session_fini(&s);
		return 1;
	}
	pt_watch(t, s.listen_sd, EPOLLIN, 1);
	if (!o->json) {
		printf("-----------------------------------------------------------\n");
		printf("Server listening on %u\n", o->port);
		printf("-----------------------------------------------------------\n");
		fflush(stdout);
	}
	while (!perf_stop) {
		int rc = session_run(&s);
		if (rc < 0 && !perf_stop)
			fprintf(stderr, "ustack-perf: test aborted: %s\n", strerror(s.error));
		status = rc < 0 ? 1 : 0;
		session_reset(&s);
		if (o->one_off)
			break;
	}
	session_fini(&s);
	return status;
}
