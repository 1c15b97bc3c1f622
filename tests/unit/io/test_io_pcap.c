/*
 * Pcap writer: files read back with libpcap at nanosecond precision (header, timestamps,
 * snaplen cut, bytes), large captures that cross the writer's buffer, a capture taken by a
 * pair backend on its virtual clock, tshark opening the file without complaint (when tshark
 * is installed), and write errors (/dev/full) reported by flush and close.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "io/backend.h"
#include "io/pcap.h"

struct tmpfile {
	char path[64];
};

static void tmp_path(struct tmpfile *t)
{
	strcpy(t->path, "/tmp/ust-io-pcap-XXXXXX");
	int fd = mkstemp(t->path);
	assert_true(fd >= 0);
	close(fd);
}

static pcap_t *open_nano(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (p == NULL)
		fail_msg("libpcap could not open %s: %s", path, errbuf);
	return p;
}

/* An ARP request (who-has 10.0.0.2 tell 10.0.0.1), so that dissectors see a real frame. */
static size_t arp_frame(uint8_t *buf)
{
	static const uint8_t frame[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
		10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2,
	};
	memcpy(buf, frame, sizeof(frame));
	return sizeof(frame);
}

static void test_pcap_read_back_nanosecond(void **state)
{
	(void)state;
	struct tmpfile t;
	tmp_path(&t);
	struct ust_pcap_writer *w;
	assert_int_equal(ust_pcap_open(&w, t.path, 100), 0);

	uint8_t arp[64];
	size_t arp_len = arp_frame(arp);
	uint8_t big[300];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	const uint64_t t0 = 1700000000ull * 1000000000ull + 123456789ull;
	assert_int_equal(ust_pcap_write(w, t0, arp, arp_len), 0);
	assert_int_equal(ust_pcap_write(w, t0 + 999999999ull, big, sizeof(big)), 0);
	assert_int_equal(ust_pcap_close(w), 0);

	pcap_t *p = open_nano(t.path);
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	assert_int_equal(pcap_snapshot(p), 100);
	assert_int_equal(pcap_get_tstamp_precision(p), PCAP_TSTAMP_PRECISION_NANO);
	struct pcap_pkthdr *h;
	const u_char *data;
	assert_int_equal(pcap_next_ex(p, &h, &data), 1);
	assert_int_equal(h->ts.tv_sec, 1700000000);
	assert_int_equal(h->ts.tv_usec, 123456789);	/* nanoseconds at this precision */
	assert_int_equal(h->caplen, arp_len);
	assert_int_equal(h->len, arp_len);
	assert_memory_equal(data, arp, arp_len);
	assert_int_equal(pcap_next_ex(p, &h, &data), 1);
	assert_int_equal(h->ts.tv_sec, 1700000001);
	assert_int_equal(h->ts.tv_usec, 123456788);
	assert_int_equal(h->caplen, 100);
	assert_int_equal(h->len, sizeof(big));
	assert_memory_equal(data, big, 100);
	assert_int_equal(pcap_next_ex(p, &h, &data), PCAP_ERROR_BREAK);
	pcap_close(p);
	unlink(t.path);
}

/* Many records and one larger than the writer's buffer, in order and intact. */
static void test_pcap_large_capture(void **state)
{
	(void)state;
	struct tmpfile t;
	tmp_path(&t);
	struct ust_pcap_writer *w;
	assert_int_equal(ust_pcap_open(&w, t.path, 0), 0);
	static uint8_t frame[100000];
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7);
	const unsigned count = 500;
	for (unsigned i = 0; i < count; i++) {
		size_t len = i == 250 ? sizeof(frame) : 60 + i;
		frame[0] = (uint8_t)i;
		assert_int_equal(ust_pcap_write(w, (uint64_t)i * 1000, frame, len), 0);
	}
	assert_int_equal(ust_pcap_flush(w), 0);
	assert_int_equal(ust_pcap_close(w), 0);

	pcap_t *p = open_nano(t.path);
	assert_int_equal(pcap_snapshot(p), 262144);
	struct pcap_pkthdr *h;
	const u_char *data;
	for (unsigned i = 0; i < count; i++) {
		assert_int_equal(pcap_next_ex(p, &h, &data), 1);
		size_t len = i == 250 ? sizeof(frame) : 60 + i;
		assert_int_equal(h->caplen, len);
		assert_int_equal(data[0], (uint8_t)i);
		assert_int_equal(data[len - 1], (uint8_t)((len - 1) * 7));
		assert_int_equal(h->ts.tv_usec, i * 1000);
	}
	assert_int_equal(pcap_next_ex(p, &h, &data), PCAP_ERROR_BREAK);
	pcap_close(p);
	unlink(t.path);
}

/* tshark reads the file and dissects both frames; nothing on stderr but the root notice. */
static void test_pcap_tshark_reads(void **state)
{
	(void)state;
	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		skip();
		return;
	}
	struct tmpfile t;
	tmp_path(&t);
	struct ust_pcap_writer *w;
	assert_int_equal(ust_pcap_open(&w, t.path, 0), 0);
	uint8_t arp[64];
	size_t arp_len = arp_frame(arp);
	assert_int_equal(ust_pcap_write(w, 1700000000ull * 1000000000ull, arp, arp_len), 0);
	assert_int_equal(ust_pcap_write(w, 1700000000ull * 1000000000ull + 5, arp, arp_len), 0);
	assert_int_equal(ust_pcap_close(w), 0);

	char cmd[256];
	snprintf(cmd, sizeof(cmd), "tshark -n -r %s >%s.out 2>%s.err", t.path, t.path, t.path);
	assert_int_equal(system(cmd), 0);
	char out_path[80];
	char err_path[80];
	snprintf(out_path, sizeof(out_path), "%s.out", t.path);
	snprintf(err_path, sizeof(err_path), "%s.err", t.path);

	char line[512];
	FILE *f = fopen(err_path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "Running as user") == NULL && strspn(line, " \n") != strlen(line))
			fail_msg("tshark complained: %s", line);
	fclose(f);

	f = fopen(out_path, "r");
	assert_non_null(f);
	unsigned lines = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		lines++;
		if (strstr(line, "ARP") == NULL || strstr(line, "Who has 10.0.0.2") == NULL)
			fail_msg("unexpected tshark output: %s", line);
	}
	fclose(f);
	assert_int_equal(lines, 2);
	unlink(err_path);
	unlink(out_path);
	unlink(t.path);
}

static void test_pcap_write_error_reported(void **state)
{
	(void)state;
	struct ust_pcap_writer *w;
	assert_int_equal(ust_pcap_open(&w, "/dev/full", 0), 0);
	uint8_t arp[64];
	size_t arp_len = arp_frame(arp);
	assert_int_equal(ust_pcap_write(w, 0, arp, arp_len), 0);	/* buffered */
	assert_int_equal(ust_pcap_flush(w), -ENOSPC);
	assert_int_equal(ust_pcap_write(w, 0, arp, arp_len), -ENOSPC);
	assert_int_equal(ust_pcap_close(w), -ENOSPC);

	/* Error found only at close (nothing flushed before). */
	assert_int_equal(ust_pcap_open(&w, "/dev/full", 0), 0);
	assert_int_equal(ust_pcap_write(w, 0, arp, arp_len), 0);
	assert_int_equal(ust_pcap_close(w), -ENOSPC);

	assert_int_equal(ust_pcap_open(&w, "/nonexistent-dir/x.pcap", 0), -ENOENT);
	assert_null(w);
	assert_int_equal(ust_pcap_close(NULL), 0);
}

/* A pair backend captures what it sends and receives, stamped with the injected clock. */
static void test_pcap_backend_capture(void **state)
{
	(void)state;
	struct ust_pool_config pc = { .count = 16, .buf_size = 2048, .headroom = 128 };
	struct ust_pool *pool;
	assert_int_equal(ust_pool_create(&pool, &pc), 0);
	struct ust_backend *a;
	struct ust_backend *b;
	assert_int_equal(ust_pair_create(&a, &b, pool, pool, NULL), 0);
	struct tmpfile t;
	tmp_path(&t);
	assert_int_equal(ust_backend_capture(a, t.path), 0);

	struct ust_pkt *pkt = ust_pkt_alloc(pool);
	size_t len = arp_frame(ust_pkt_put(pool, pkt, 42));
	assert_int_equal(len, 42);
	ust_backend_tx(a, &pkt, 1, 1000);
	assert_int_equal(ust_backend_rx(b, &pkt, 1, 2000), 1);
	ust_pkt_data(pool, pkt)[0] = 0x02;	/* answer as unicast */
	ust_backend_tx(b, &pkt, 1, 3000);
	assert_int_equal(ust_backend_rx(a, &pkt, 1, 4000), 1);
	ust_pkt_free(pool, pkt);
	ust_backend_close(a);	/* closes the capture */
	ust_backend_close(b);
	assert_int_equal(ust_pool_available(pool), 16);
	ust_pool_destroy(pool);

	pcap_t *p = open_nano(t.path);
	struct pcap_pkthdr *h;
	const u_char *data;
	assert_int_equal(pcap_next_ex(p, &h, &data), 1);
	assert_int_equal(h->ts.tv_sec, 0);
	assert_int_equal(h->ts.tv_usec, 1000);
	assert_int_equal(data[0], 0xff);
	assert_int_equal(pcap_next_ex(p, &h, &data), 1);
	assert_int_equal(h->ts.tv_usec, 4000);
	assert_int_equal(h->caplen, 42);
	assert_int_equal(data[0], 0x02);
	assert_int_equal(pcap_next_ex(p, &h, &data), PCAP_ERROR_BREAK);
	pcap_close(p);
	unlink(t.path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcap_read_back_nanosecond),
		cmocka_unit_test(test_pcap_large_capture),
		cmocka_unit_test(test_pcap_tshark_reads),
		cmocka_unit_test(test_pcap_write_error_reported),
		cmocka_unit_test(test_pcap_backend_capture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
