/*
 * TCP through the emulator on virtual time: two ustack stacks (A 10.0.0.1 sends, B 10.0.0.2
 * receives) on a pair link whose stage is an emulator instance, one pipe for both directions
 * (each direction gets its own instance: the pair's two pools differ). A bulk transfer must
 * arrive intact, reach a throughput that one TCP flow really gets over that link, and make
 * both the emulator (drops) and TCP (retransmissions) do their work.
 *
 * Throughput is measured on the virtual clock only, from the first byte written to the last
 * byte read; no real-time timing.
 */
#include "emu_tcp_pair.h"

#include <arpa/inet.h>
#include <math.h>

#include "io/backend.h"
#include "ustack/socket.h"
#include "ustack/stack.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define BUFFERS 8192u

static uint64_t stack_counter(struct ust_stack *st, const char *name)
{
	uint64_t v = 0;
	assert_int_equal(ust_stack_counter(st, name, &v), 0);
	return v;
}

/* Byte i of the stream: a pure function of its offset, so the receiver checks each byte. */
static uint8_t stream_byte(uint64_t i)
{
	uint64_t x = (i / 8 + 1) * 0x9e3779b97f4a7c15ull;
	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	return (uint8_t)((x ^ (x >> 32)) >> ((i % 8) * 8));
}

struct xfer_result {
	uint64_t bytes;
	uint64_t elapsed_ns;	/* first write to last byte read, virtual time */
	double goodput_bps;
};

/* Connect A -> B, send len bytes, check every byte at B, return the virtual-time goodput. */
static struct xfer_result transfer(struct emu_tcp_pair *t, uint64_t len)
{
	int l = ust_socket(t->b, AF_INET, SOCK_STREAM, 0);
	assert_true(l >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(5001) };
	assert_int_equal(ust_bind(t->b, l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(ust_listen(t->b, l, 4), 0);
	int c = ust_socket(t->a, AF_INET, SOCK_STREAM, 0);
	assert_true(c >= 0);
	struct sockaddr_in da = { .sin_family = AF_INET, .sin_port = htons(5001),
				  .sin_addr.s_addr = htonl(IP(10, 0, 0, 2)) };
	assert_true(ust_connect(t->a, c, (struct sockaddr *)&da, sizeof(da)) == 0 || errno == EINPROGRESS);
	int d = -1;
	uint64_t give_up = t->now + 10 * SEC;
	while ((d = ust_accept(t->b, l, NULL, NULL)) < 0) {
		assert_true(t->now < give_up);
		etp_run_until(t, t->now + MS);
	}
	etp_run_until(t, t->now + 100 * MS);	/* the handshake's last ACK reaches A */

	static uint8_t buf[65536];
	uint64_t sent = 0, rcvd = 0, bad = 0, start = t->now, last_rx = t->now;
	give_up = t->now + 600 * SEC;
	while (rcvd < len) {
		while (sent < len) {
			size_t n = (size_t)UST_MIN((uint64_t)sizeof(buf), len - sent);
			for (size_t i = 0; i < n; i++)
				buf[i] = stream_byte(sent + i);
			ssize_t w = ust_write(t->a, c, buf, n);
			if (w <= 0)
				break;
			sent += (uint64_t)w;
		}
		for (;;) {
			ssize_t n = ust_read(t->b, d, buf, sizeof(buf));
			if (n <= 0)
				break;
			for (ssize_t i = 0; i < n; i++)
				bad += buf[i] != stream_byte(rcvd + (uint64_t)i);
			rcvd += (uint64_t)n;
			last_rx = t->now;
		}
		assert_true(t->now < give_up);
		etp_run_until(t, t->now + MS);
	}
	assert_int_equal(bad, 0);
	assert_int_equal(rcvd, len);
	ust_close(t->a, c);
	ust_close(t->b, d);
	ust_close(t->b, l);
	etp_run_until(t, t->now + SEC);
	struct xfer_result r = { .bytes = len, .elapsed_ns = last_rx - start };
	r.goodput_bps = (double)len * 8.0 * 1e9 / (double)r.elapsed_ns;
	return r;
}

/*
 * What one TCP flow gets with random loss p (Mathis et al. 1997): MSS / RTT * sqrt(3/2) /
 * sqrt(p), at the pipe's base RTT (2 x 20 ms; queueing only lowers it). At 1 % loss and
 * 40 ms this is 3.5 Mbit/s, 35 % of the 10 Mbit/s link: "more than half the link" is not
 * something a loss-based TCP achieves there (nor Linux's CUBIC, which is Reno-friendly at
 * this bandwidth-delay product). Seeds 1..7 measure 2.5..4.0 Mbit/s; the test asks for more
 * than half the model.
 */
static double mathis_bps(double rtt_s, double p)
{
	return 1448.0 * 8.0 / rtt_s * sqrt(1.5) / sqrt(p);
}

/*
 * The most a TCP flow gets out of a B bit/s pipe that charges IP packets: 1448 payload
 * bytes per 1500-byte packet (TCP with timestamps).
 */
static double max_goodput(double bps)
{
	return bps * 1448.0 / 1500.0;
}

static void print_result(const char *what, const struct emu_tcp_pair *t, const struct xfer_result *r)
{
	print_message("%s: %llu bytes in %.3f s virtual: %.2f Mbit/s; emu drop_plr %llu "
		      "drop_queue_full %llu reorder %llu dup %llu; tcp retransmits %llu "
		      "fast %llu rto %llu\n", what, (unsigned long long)r->bytes,
		      (double)r->elapsed_ns / 1e9, r->goodput_bps / 1e6,
		      (unsigned long long)ust_emu_counter(t->emu, "drop_plr"),
		      (unsigned long long)ust_emu_counter(t->emu, "drop_queue_full"),
		      (unsigned long long)ust_emu_counter(t->emu, "reorder"),
		      (unsigned long long)ust_emu_counter(t->emu, "dup"),
		      (unsigned long long)stack_counter(t->a, "tcp.retransmits"),
		      (unsigned long long)stack_counter(t->a, "tcp.fast_retransmits"),
		      (unsigned long long)stack_counter(t->a, "tcp.rto_timeouts"));
}

static void test_emu_tcp_lossy_10mbit(void **state)
{
	(void)state;
	struct emu_tcp_pair t;
	etp_init(&t, BUFFERS, "pipe 1 config bw 10Mbit/s delay 20ms queue 50 plr 0.01", 7, NULL);
	struct xfer_result r = transfer(&t, 3u << 20);
	print_result("plr 0.01", &t, &r);
	print_message("model (Mathis, 40 ms): %.2f Mbit/s\n", mathis_bps(0.040, 0.01) / 1e6);
	assert_true(r.goodput_bps <= max_goodput(10e6) * 1.001);
	assert_true(r.goodput_bps > 0.5 * mathis_bps(0.040, 0.01));
	assert_true(ust_emu_counter(t.emu, "drop_plr") > 0);
	assert_true(stack_counter(t.a, "tcp.retransmits") > 0);
	etp_fini(&t);
}

static void test_emu_tcp_reorder_dup_10mbit(void **state)
{
	(void)state;
	struct emu_tcp_pair t;
	/*
	 * 1 % of packets are held 3 ms (overtaken by two 1.2 ms packets: fewer than TCP's three
	 * duplicate ACKs) and 1 % duplicated: TCP must keep near line rate. (Held 4 ms or more,
	 * a held packet is overtaken by three and triggers a spurious fast retransmit each time:
	 * 5.4 Mbit/s at 4 ms, 3.7 at 5 ms; ustack's TCP has no DSACK/RACK undo yet.)
	 */
	etp_init(&t, BUFFERS, "pipe 1 config bw 10Mbit/s delay 20ms queue 50 reorder 0.01 delay 3ms dup 0.01", 11, NULL);
	struct xfer_result r = transfer(&t, 3u << 20);
	print_result("reorder+dup", &t, &r);
	assert_true(r.goodput_bps <= max_goodput(10e6) * 1.001);
	assert_true(r.goodput_bps > 0.5 * 10e6);
	assert_true(ust_emu_counter(t.emu, "reorder") > 0);
	assert_true(ust_emu_counter(t.emu, "dup") > 0);
	/* a single flow overruns a 50-slot queue at the end of slow start: tail drops */
	assert_true(ust_emu_counter(t.emu, "drop_queue_full") > 0);
	assert_true(stack_counter(t.a, "tcp.retransmits") > 0);
	etp_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emu_tcp_lossy_10mbit),
		cmocka_unit_test(test_emu_tcp_reorder_dup_10mbit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
