/* Test helper: see frames.h. */
#include "frames.h"

#include <pcap/pcap.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wire/bytes.h"
#include "wire/checksum.h"

void test_capture_load(const char *name, struct test_capture *cap)
{
	char path[512], err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *bytes;
	pcap_t *p;
	int rc;

	snprintf(path, sizeof(path), "%s/%s.pcap", UST_FRAMES_DIR, name);
	p = pcap_open_offline(path, err);
	if (p == NULL)
		fail_msg("cannot open %s: %s", path, err);
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	cap->frames = NULL;
	cap->count = 0;
	while ((rc = pcap_next_ex(p, &hdr, &bytes)) == 1) {
		struct test_frame *f;

		/* A truncated capture record would not be a known-good frame. */
		assert_int_equal(hdr->caplen, hdr->len);
		cap->frames = realloc(cap->frames, (cap->count + 1) * sizeof(*cap->frames));
		assert_non_null(cap->frames);
		f = &cap->frames[cap->count++];
		f->len = hdr->caplen;
		f->data = test_dup(bytes, hdr->caplen);
	}
	assert_int_equal(rc, PCAP_ERROR_BREAK);
	pcap_close(p);
	assert_true(cap->count > 0);
}

void test_capture_free(struct test_capture *cap)
{
	for (size_t i = 0; i < cap->count; i++)
		free(cap->frames[i].data);
	free(cap->frames);
	cap->frames = NULL;
	cap->count = 0;
}

uint8_t *test_dup(const void *data, size_t len)
{
	/* malloc(0) may return NULL; one spare byte keeps the pointer valid, not the bytes. */
	uint8_t *p = malloc(len ? len : 1);

	assert_non_null(p);
	if (len)
		memcpy(p, data, len);
	return p;
}

void test_fix_ipv4_csum(uint8_t *ip)
{
	size_t hlen = (size_t)(ip[0] & 0x0f) * 4;

	ust_put_be16(ip + 10, 0);
	ust_put_be16(ip + 10, ust_csum(ip, hlen));
}

void test_fix_l4_csum(uint8_t *l4, size_t len, uint32_t src, uint32_t dst, uint8_t proto)
{
	size_t off = proto == 17 ? 6 : proto == 6 ? 16 : 2;
	uint32_t sum = proto == 1 ? 0 : ust_csum_pseudo_ipv4(src, dst, proto, (uint16_t)len);

	ust_put_be16(l4 + off, 0);
	ust_put_be16(l4 + off, ust_csum_fold(ust_csum_partial(l4, len, sum)));
}
