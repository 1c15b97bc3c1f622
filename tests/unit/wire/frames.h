/*
 * Test helper: loads the known-good frames captured from Linux (the pcap files in tests/data/frames)
 * into memory with libpcap, and small byte-poking helpers the wire tests share.
 */
#ifndef UST_TEST_WIRE_FRAMES_H
#define UST_TEST_WIRE_FRAMES_H

#include <stddef.h>
#include <stdint.h>

struct test_frame {
	uint8_t *data;		/* exactly len bytes on the heap, so ASan sees any overread */
	size_t len;
};

struct test_capture {
	struct test_frame *frames;
	size_t count;
};

/* Loads tests/data/frames/<name>.pcap; fails the test if it cannot. */
void test_capture_load(const char *name, struct test_capture *cap);
void test_capture_free(struct test_capture *cap);

/* A heap copy of exactly len bytes (len may be 0); free with free(). */
uint8_t *test_dup(const void *data, size_t len);

/* Recompute the checksums of an IPv4 header / an IPv4 payload after a test mutated it. */
void test_fix_ipv4_csum(uint8_t *ip);
void test_fix_l4_csum(uint8_t *l4, size_t len, uint32_t src, uint32_t dst, uint8_t proto);

#endif
