/*
 * Pcap writer: classic pcap (magic 0xa1b23c4d, nanosecond timestamps, LINKTYPE_ETHERNET) in
 * the host's byte order, as libpcap itself writes it. Sits beside the packet path: the backend
 * wrappers (ust_backend_rx/tx) hand it every frame they see. Owns its file descriptor and a
 * 64 KiB record buffer; records are appended to the buffer and written out when it fills, on
 * flush and on close. The first write error is remembered: later writes become no-ops that
 * return it, and ust_pcap_close reports it, so a full disk never crashes the stack.
 */
#include "io/pcap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define PCAP_VERSION_MAJOR 2
#define PCAP_VERSION_MINOR 4
#define PCAP_LINKTYPE_ETHERNET 1u
#define PCAP_SNAPLEN_DEFAULT 262144u
#define PCAP_BUF_SIZE (64u * 1024u)

struct pcap_file_header {
	uint32_t magic;
	uint16_t version_major;
	uint16_t version_minor;
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t linktype;
};

struct pcap_record_header {
	uint32_t ts_sec;
	uint32_t ts_nsec;
	uint32_t incl_len;
	uint32_t orig_len;
};

struct ust_pcap_writer {
	int fd;
	int error;		/* first error seen (negative errno), 0 if none */
	uint32_t snaplen;
	size_t used;		/* bytes waiting in buf */
	uint8_t buf[PCAP_BUF_SIZE];
};

/* Write all of [p, p+len) to fd; 0 or negative errno. */
static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t r = write(fd, p, len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* Remember the first error only: it is the one that explains the rest. */
static int remember(struct ust_pcap_writer *w, int err)
{
	if (err != 0 && w->error == 0)
		w->error = err;
	return w->error;
}

int ust_pcap_flush(struct ust_pcap_writer *w)
{
	if (w->error != 0)
		return w->error;
	if (w->used == 0)
		return 0;
	int err = write_all(w->fd, w->buf, w->used);
	w->used = 0;
	return remember(w, err);
}

/* Append bytes to the buffer, writing out when full; a block larger than the buffer goes
 * straight to the file after what is already buffered. */
static int append(struct ust_pcap_writer *w, const void *p, size_t len)
{
	if (len > sizeof(w->buf) - w->used) {
		int err = ust_pcap_flush(w);
		if (err != 0)
			return err;
		if (len > sizeof(w->buf))
			return remember(w, write_all(w->fd, p, len));
	}
	memcpy(w->buf + w->used, p, len);
	w->used += len;
	return 0;
}

int ust_pcap_open(struct ust_pcap_writer **out, const char *path, uint32_t snaplen)
{
	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return -EINVAL;
	struct ust_pcap_writer *w = malloc(sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		int err = -errno;
		free(w);
		return err;
	}
	w->error = 0;
	w->used = 0;
	w->snaplen = snaplen != 0 ? snaplen : PCAP_SNAPLEN_DEFAULT;

	const struct pcap_file_header fh = {
		.magic = PCAP_MAGIC_NSEC,
		.version_major = PCAP_VERSION_MAJOR,
		.version_minor = PCAP_VERSION_MINOR,
		.thiszone = 0,
		.sigfigs = 0,
		.snaplen = w->snaplen,
		.linktype = PCAP_LINKTYPE_ETHERNET,
	};
	(void)append(w, &fh, sizeof(fh));
	*out = w;
	return 0;
}

int ust_pcap_write(struct ust_pcap_writer *w, uint64_t timestamp_ns, const void *frame, size_t len)
{
	if (w->error != 0)
		return w->error;
	uint32_t incl = len > w->snaplen ? w->snaplen : (uint32_t)len;
	const struct pcap_record_header rh = {
		.ts_sec = (uint32_t)(timestamp_ns / 1000000000ull),
		.ts_nsec = (uint32_t)(timestamp_ns % 1000000000ull),
		.incl_len = incl,
		/* orig_len is 32 bits in the format; a larger frame cannot exist on Ethernet. */
		.orig_len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len,
	};
	int err = append(w, &rh, sizeof(rh));
	if (err != 0)
		return err;
	return append(w, frame, incl);
}

int ust_pcap_close(struct ust_pcap_writer *w)
{
	if (w == NULL)
		return 0;
	(void)ust_pcap_flush(w);
	if (close(w->fd) != 0)
		remember(w, -errno);
	int err = w->error;
	free(w);
	return err;
}
