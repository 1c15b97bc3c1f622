/*
 * Generic backend code: parses a spec ("tap:NAME", "afpacket:IFNAME[,ring=v2|v3]") into the
 * right backend,
 * and wraps every backend's rx/tx with counting, link-layer broadcast/multicast marking, pcap
 * capture, and a software checksum for CSUM_PARTIAL frames sent to a link without offload.
 * Sits between the stack's poll/flush and the ops table:
 *
 *   ust_stack_poll -> ust_backend_rx -> ops->rx        ust_backend_tx -> ops->tx -> link
 *
 * Owns the struct ust_backend and its capture; the backend's own state hangs off priv.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "io/backend.h"
#include "io/backend_impl.h"
#include "io/pcap.h"
#include "wire/udp.h"

struct ust_backend *ust__backend_alloc(struct ust_pool *pool, const char *name)
{
	struct ust_backend *be = calloc(1, sizeof(*be));
	if (be == NULL)
		return NULL;
	be->pool = pool;
	size_t n = strlen(name);
	if (n >= sizeof(be->name))
		n = sizeof(be->name) - 1;
	memcpy(be->name, name, n);
	be->name[n] = '\0';
	return be;
}

void ust__backend_tx_fail(struct ust_backend *be, const struct ust_pkt *pkt, bool error)
{
	be->counters.tx_packets--;
	be->counters.tx_bytes -= pkt->len;
	if (error)
		be->counters.tx_errors++;
	else
		be->counters.tx_dropped++;
}

int ust_backend_open(struct ust_backend **out, const char *spec, struct ust_pool *pool,
		     const struct ust_backend_config *cfg)
{
	static const struct ust_backend_config defaults = { .offload = false, .mtu = 0 };

	*out = NULL;
	if (spec == NULL || pool == NULL)
		return -EINVAL;
	if (cfg == NULL)
		cfg = &defaults;

	const char *colon = strchr(spec, ':');
	if (colon == NULL)
		return -EINVAL;
	size_t kind_len = (size_t)(colon - spec);
	const char *rest = colon + 1;
	const char *comma = strchr(rest, ',');
	size_t name_len = comma != NULL ? (size_t)(comma - rest) : strlen(rest);
	/* Interface names are what the kernel accepts: 1..IFNAMSIZ-1 bytes, no '/' or space. */
	if (name_len == 0 || name_len >= IFNAMSIZ || strcspn(rest, "/ \t\n:") < name_len)
		return -EINVAL;
	char ifname[IFNAMSIZ];
	memcpy(ifname, rest, name_len);
	ifname[name_len] = '\0';

	bool tap = kind_len == 3 && memcmp(spec, "tap", 3) == 0;
	bool afpacket = kind_len == 8 && memcmp(spec, "afpacket", 8) == 0;
	if (!tap && !afpacket)
		return -EINVAL;
	/* Options (afpacket only), comma-separated; anything unknown is refused, and before
	 * anything is allocated or opened. */
	enum ust__afp_ring ring = UST__AFP_RING_V2;
	for (const char *opt = comma; opt != NULL;) {
		opt++;
		const char *end = strchr(opt, ',');
		size_t len = end != NULL ? (size_t)(end - opt) : strlen(opt);
		if (afpacket && len == 7 && memcmp(opt, "ring=v2", 7) == 0)
			ring = UST__AFP_RING_V2;
		else if (afpacket && len == 7 && memcmp(opt, "ring=v3", 7) == 0)
			ring = UST__AFP_RING_V3;
		else
			return -EINVAL;
		opt = end;
	}

	struct ust_backend *be = ust__backend_alloc(pool, ifname);
	if (be == NULL)
		return -ENOMEM;
	int err = tap ? ust__tap_open(be, ifname, cfg) : ust__afpacket_open(be, ifname, cfg, ring);
	if (err != 0) {
		free(be);
		return err;
	}
	*out = be;
	return 0;
}

void ust_backend_close(struct ust_backend *be)
{
	if (be == NULL)
		return;
	(void)ust_pcap_close(be->pcap);
	be->pcap = NULL;
	if (be->ops != NULL && be->ops->close != NULL)
		be->ops->close(be);
	free(be);
}

int ust_backend_capture(struct ust_backend *be, const char *path)
{
	return ust_backend_capture_snaplen(be, path, 0);
}

int ust_backend_capture_snaplen(struct ust_backend *be, const char *path, uint32_t snaplen)
{
	struct ust_pcap_writer *w;
	int err = ust_pcap_open(&w, path, snaplen);
	if (err != 0)
		return err;
	/* Replacing a capture closes the old file; its error, if any, has no one to go to. */
	(void)ust_pcap_close(be->pcap);
	be->pcap = w;
	return 0;
}

/* Pcap wants wall-clock time; pair links live on the injected (possibly virtual) clock. */
static uint64_t capture_time(const struct ust_backend *be, uint64_t now)
{
	return be->ops == &ust__pair_ops ? now : ust_clock_realtime_ns();
}

static bool is_broadcast(const uint8_t *dst)
{
	for (int i = 0; i < UST_ETH_ADDR_LEN; i++)
		if (dst[i] != 0xff)
			return false;
	return true;
}

unsigned ust_backend_rx(struct ust_backend *be, struct ust_pkt **pkts, unsigned n, uint64_t now)
{
	if (n == 0)
		return 0;
	unsigned got = be->ops->rx(be, pkts, n, now);
	uint64_t ts = got != 0 && be->pcap != NULL ? capture_time(be, now) : 0;
	for (unsigned i = 0; i < got; i++) {
		struct ust_pkt *pkt = pkts[i];
		const uint8_t *data = ust_pkt_data(be->pool, pkt);
		be->counters.rx_packets++;
		be->counters.rx_bytes += pkt->len;
		pkt->timestamp = now;
		if (pkt->len >= UST_ETH_ADDR_LEN && (data[0] & 1) != 0)
			pkt->flags |= is_broadcast(data) ? UST_PKT_F_BROADCAST : UST_PKT_F_MULTICAST;
		if (be->pcap != NULL)
			(void)ust_pcap_write(be->pcap, ts, data, pkt->len);
	}
	return got;
}

/*
 * Software fallback for a frame that asks for checksum offload (CSUM_PARTIAL) on a link that
 * has none, e.g. a frame received from a TAP with offload and forwarded to another backend:
 * the ones' complement sum from csum_start to the end, stored at csum_start + csum_offset
 * (whose bytes hold the pseudo-header seed). Bytes and flag then agree for every holder of
 * the buffer. A zero result is sent as 0xffff only where the field sits at UDP's offset (6):
 * there 0 means "no checksum" (RFC 768). TCP keeps 0x0000, the value RFC 1624 says a
 * computed checksum takes (receivers accept either one's-complement zero).
 */
void ust__backend_finish_csum(const struct ust_pool *pool, struct ust_pkt *pkt)
{
	uint32_t start = pkt->csum_start;
	uint32_t field = start + pkt->csum_offset;
	if (start >= pkt->len || field + 2 > pkt->len)
		return;	/* nonsense offsets: leave the frame as its sender made it */
	uint8_t *d = ust_pkt_data(pool, pkt);
	uint32_t sum = 0;
	uint32_t i = start;
	for (; i + 1 < pkt->len; i += 2)
		sum += (uint32_t)(d[i] << 8 | d[i + 1]);
	if (i < pkt->len)
		sum += (uint32_t)d[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	uint16_t csum = (uint16_t)~sum;
	if (csum == 0 && pkt->csum_offset == UST_UDP_CSUM_OFFSET)
		csum = 0xffff;
	d[field] = (uint8_t)(csum >> 8);
	d[field + 1] = (uint8_t)csum;
	pkt->flags &= (uint16_t)~UST_PKT_F_CSUM_PARTIAL;
}

void ust_backend_tx(struct ust_backend *be, struct ust_pkt **pkts, unsigned n, uint64_t now)
{
	if (n == 0)
		return;
	uint64_t ts = be->pcap != NULL ? capture_time(be, now) : 0;
	bool csum_offload = (be->features & UST_BACKEND_F_CSUM_OFFLOAD) != 0;
	for (unsigned i = 0; i < n; i++) {
		struct ust_pkt *pkt = pkts[i];
		if (!csum_offload &&
		    (pkt->flags & (UST_PKT_F_CSUM_PARTIAL | UST_PKT_F_GSO_TCPV4)) == UST_PKT_F_CSUM_PARTIAL)
			ust__backend_finish_csum(be->pool, pkt);
		be->counters.tx_packets++;
		be->counters.tx_bytes += pkt->len;
		if (be->pcap != NULL)
			(void)ust_pcap_write(be->pcap, ts, ust_pkt_data(be->pool, pkt), pkt->len);
	}
	be->ops->tx(be, pkts, n, now);
}
