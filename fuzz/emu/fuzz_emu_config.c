/*
 * Fuzz target for the emulator's text parsers: configuration lines (ipfw syntax), delay
 * profiles and Mahimahi traces. Input: the first byte picks the parser; the rest is text.
 * After a configuration, a few frames go through so that whatever was accepted is also
 * exercised, and destroy must give every buffer back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/pktbuf.h"
#include "emu/emu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run_config(const char *text)
{
	struct ust_pool_config pc = { .count = 64, .buf_size = 2048, .headroom = 64 };
	struct ust_pool *pool = NULL;
	if (ust_pool_create(&pool, &pc))
		abort();
	struct ust_emu_config ec = { .granularity_ns = 100000, .seed = 1, .pool = { pool, pool } };
	struct ust_emu *emu = NULL;
	if (ust_emu_create(&emu, &ec))
		abort();
	char out[2048];
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[512];
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		/* lines naming files could open a FIFO or a device and block: the file parsers
		 * are fuzzed directly below instead */
		if (!strstr(line, "profile") && !strstr(line, "trace") && !strstr(line, "jitter-table"))
			ust_emu_command(emu, line, out, sizeof(out), 0);
		if (!nl)
			break;
		p = nl + 1;
	}
	/* a few frames through whatever was configured */
	static const uint8_t frame[60] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
					    0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1,
					    10, 0, 0, 2, 0x13, 0x88, 0x00, 0x35 };
	uint64_t now = 0;
	for (int i = 0; i < 16; i++) {
		struct ust_pkt *pkt = ust_pkt_alloc(pool);
		if (!pkt)
			break;
		memcpy(ust_pkt_put(pool, pkt, sizeof(frame)), frame, sizeof(frame));
		ust_emu_input(emu, i & 1, pkt, now);
		struct ust_pkt *o[8];
		unsigned n = ust_emu_output(emu, i & 1, o, 8, now);
		ust_pkt_free_batch(pool, o, n);
		now += 1000000;
	}
	ust_emu_command(emu, "show", out, sizeof(out), now);
	ust_emu_destroy(emu);
	if (ust_pool_available(pool) != 64)
		abort();	/* destroy must return every held buffer */
	ust_pool_destroy(pool);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 8192)
		return 0;
	char *text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	char msg[256];
	switch (data[0] % 3) {
	case 0:
		run_config(text);
		break;
	case 1: {
		struct ust_emu_profile *pr = NULL;
		if (ust__emu_profile_parse(text, &pr, msg, sizeof(msg)) == 0)
			ust__emu_profile_put(pr);
		break;
	}
	default: {
		struct ust_emu_trace *t = NULL;
		if (ust__emu_trace_parse(text, &t, msg, sizeof(msg)) == 0)
			ust__emu_trace_put(t);
		break;
	}
	}
	free(text);
	return 0;
}
