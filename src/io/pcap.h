/*
 * Pcap writer: frames to a classic pcap file (magic 0xa1b23c4d: nanosecond timestamps,
 * LINKTYPE_ETHERNET), readable by tcpdump, tshark and Wireshark. Buffered; a write error is
 * remembered and reported by ust_pcap_close, never a crash.
 */
#ifndef UST_IO_PCAP_H
#define UST_IO_PCAP_H

#include <stddef.h>
#include <stdint.h>

struct ust_pcap_writer;

/* Create/truncate path. snaplen 0 means 262144. 0 or negative errno. */
int ust_pcap_open(struct ust_pcap_writer **out, const char *path, uint32_t snaplen);

/* Append one frame with a wall-clock timestamp (ns since the Unix epoch). 0 or negative errno. */
int ust_pcap_write(struct ust_pcap_writer *w, uint64_t timestamp_ns, const void *frame, size_t len);

/* Flush buffered records to the file. */
int ust_pcap_flush(struct ust_pcap_writer *w);

/* Flush and close; returns the first error seen (0 if none). NULL is allowed. */
int ust_pcap_close(struct ust_pcap_writer *w);

#endif
