/*
 * AF_PACKET backend: the stack sits directly on an Ethernet interface (a veth end, a NIC),
 * beside the kernel, with its own MAC address.
 *
 *   ust_backend_rx -> afp_rx -> TPACKET_V3 ring (mmap'd blocks) -> copy into pool buffers
 *   ust_backend_tx -> afp_tx -> sendmmsg(), one syscall per batch
 *
 * Receive uses a TPACKET_V3 ring: the kernel fills whole blocks of frames and hands a block
 * over when it is full or its retire timer (1 ms, rounded up to a jiffy) expires; we walk the
 * blocks in order, copy each frame into a pool buffer and give the block back. A batch that
 * ends in the middle of a block remembers where it stopped. The price of V3's batching is
 * latency for sparse traffic: a lone frame becomes visible (and the fd readable) only when the
 * retire timer closes its block, so a ping-pong over this backend sees about 1 ms per receive
 * (measured: ARP round trip over veth ~1 ms here, against ~6 us over TAP); busy links fill
 * blocks long before. A TPACKET_V2 ring would hand over each frame at once. Frames the
 * interface transmits (our own, or the kernel's) are not delivered (PACKET_IGNORE_OUTGOING, and
 * the packet type is checked as well for older kernels). The interface is put in promiscuous
 * mode for as long as the socket lives, because the stack's MAC differs from the interface's.
 *
 * Transmit uses sendmmsg rather than a TPACKET_V2 TX ring: frames already sit in pool
 * buffers, so sendmmsg sends them with one syscall per batch and the kernel's one copy,
 * while a TX ring would add our own copy into ring slots and still need a send() to kick it,
 * plus a second mapping to size and manage. PACKET_QDISC_BYPASS sends straight to the driver.
 *
 * Owns the socket and the ring mapping.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/config.h"
#include "core/util.h"
#include "io/backend_impl.h"

#define AFP_BLOCK_SIZE (256u * 1024u)	/* holds a 64 KiB GRO frame; multiple of the page size */
#define AFP_BLOCK_COUNT 16u		/* 4 MiB of ring */
#define AFP_FRAME_SIZE 2048u		/* nominal; V3 packs variable-size frames in a block */
#define AFP_RETIRE_MS 1u		/* hand a partly filled block over after this long */
#define AFP_VLAN_LEN 4u

struct afp_priv {
	int fd;
	uint8_t *ring;
	size_t ring_size;
	unsigned block;			/* block being walked, or next to wait for */
	uint32_t frames_left;		/* frames not yet taken from that block (valid if in_block) */
	uint8_t *frame;			/* next frame in that block */
	bool in_block;
};

static struct afp_priv *priv_of(const struct ust_backend *be)
{
	return be->priv;
}

static struct tpacket_block_desc *block_desc(const struct afp_priv *ap, unsigned i)
{
	return (struct tpacket_block_desc *)(void *)(ap->ring + (size_t)i * AFP_BLOCK_SIZE);
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Finish the TCP or UDP checksum of an untagged IPv4 frame whose checksum field still holds
 * only the pseudo-header sum (Linux's CHECKSUM_PARTIAL convention), so that the bytes are
 * right for everyone who looks at them later (the stack, a capture, a forwarding path).
 * Frames it does not understand are left alone.
 */
static void complete_l4_checksum(uint8_t *f, uint32_t len)
{
	if (len < UST_ETH_HDR_LEN + 20 || be16(f + 12) != UST_ETHERTYPE_IPV4)
		return;
	const uint8_t *ip = f + UST_ETH_HDR_LEN;
	uint32_t ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	uint32_t total = be16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl || UST_ETH_HDR_LEN + total > len ||
	    (be16(ip + 6) & 0x3fff) != 0)	/* a fragment: the checksum spans others */
		return;
	uint32_t field;
	if (ip[9] == 6)
		field = 16;
	else if (ip[9] == 17)
		field = 6;
	else
		return;
	uint8_t *l4 = f + UST_ETH_HDR_LEN + ihl;
	uint32_t l4_len = total - ihl;
	if (l4_len < field + 2)
		return;
	uint32_t sum = 0;
	for (uint32_t i = 0; i + 1 < l4_len; i += 2)
		sum += be16(l4 + i);
	if (l4_len & 1)
		sum += (uint32_t)l4[l4_len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	uint16_t csum = (uint16_t)~sum;
	if (csum == 0 && ip[9] == 17)
		csum = 0xffff;	/* UDP: zero means "no checksum" */
	l4[field] = (uint8_t)(csum >> 8);
	l4[field + 1] = (uint8_t)csum;
}

/*
 * Copy one ring frame into a pool buffer. The kernel strips a hardware-accelerated VLAN tag
 * into the header; it is put back so the stack sees the frame as it was on the wire.
 * Frames the kernel marks as locally generated with the checksum still to be done
 * (CSUMNOTREADY, e.g. from the kernel on the other end of a veth) or already verified get
 * UST_PKT_F_CSUM_VALID; the former also get their TCP/UDP checksum finished here, since the
 * kernel gives us no csum_start to pass the job on with.
 */
static void take_frame(struct ust_backend *be, const struct tpacket3_hdr *h,
		       struct ust_pkt **pkts, unsigned *got)
{
	const struct sockaddr_ll *sll =
		(const struct sockaddr_ll *)(const void *)((const uint8_t *)h +
							    TPACKET_ALIGN(sizeof(*h)));
	if (sll->sll_pkttype == PACKET_OUTGOING)
		return;
	if (h->tp_snaplen < h->tp_len) {
		be->counters.rx_truncated++;
		return;
	}
	bool vlan = (h->tp_status & TP_STATUS_VLAN_VALID) != 0 && h->tp_snaplen >= 2 * UST_ETH_ADDR_LEN;
	uint32_t len = h->tp_snaplen + (vlan ? AFP_VLAN_LEN : 0);
	if (len < UST_ETH_HDR_LEN) {
		be->counters.rx_errors++;
		return;
	}
	struct ust_pkt *pkt = ust_pkt_alloc(be->pool);
	if (pkt == NULL) {
		be->counters.rx_nobuf++;
		return;
	}
	uint8_t *dst = ust_pkt_put(be->pool, pkt, len);
	if (dst == NULL) {
		ust_pkt_free(be->pool, pkt);
		be->counters.rx_truncated++;
		return;
	}
	const uint8_t *src = (const uint8_t *)h + h->tp_mac;
	if (vlan) {
		uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) != 0 ? h->hv1.tp_vlan_tpid
										 : ETH_P_8021Q;
		uint16_t tci = (uint16_t)h->hv1.tp_vlan_tci;
		memcpy(dst, src, 2 * UST_ETH_ADDR_LEN);
		dst[12] = (uint8_t)(tpid >> 8);
		dst[13] = (uint8_t)tpid;
		dst[14] = (uint8_t)(tci >> 8);
		dst[15] = (uint8_t)tci;
		memcpy(dst + 16, src + 12, h->tp_snaplen - 12);
	} else {
		memcpy(dst, src, len);
	}
	if ((h->tp_status & TP_STATUS_CSUMNOTREADY) != 0)
		complete_l4_checksum(dst, len);
	if ((h->tp_status & (TP_STATUS_CSUMNOTREADY | TP_STATUS_CSUM_VALID)) != 0)
		pkt->flags |= UST_PKT_F_CSUM_VALID;
	pkts[(*got)++] = pkt;
}

/* The kernel flags a block handed over after it had to drop frames (ring full); reading
 * the statistics also resets them, so each drop is counted once. */
static void collect_ring_drops(struct ust_backend *be, const struct afp_priv *ap)
{
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);
	if (getsockopt(ap->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
		be->counters.rx_link_drops += st.tp_drops;
}

static unsigned afp_rx(struct ust_backend *be, struct ust_pkt **pkts, unsigned n, uint64_t now)
{
	struct afp_priv *ap = priv_of(be);
	unsigned got = 0;
	(void)now;

	while (got < n) {
		struct tpacket_block_desc *bd = block_desc(ap, ap->block);
		if (!ap->in_block) {
			/* Acquire: the frames must be read after the kernel's status store. */
			uint32_t status = __atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
			if ((status & TP_STATUS_USER) == 0)
				break;
			if ((status & TP_STATUS_LOSING) != 0)
				collect_ring_drops(be, ap);
			ap->in_block = true;
			ap->frames_left = bd->hdr.bh1.num_pkts;
			ap->frame = (uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt;
		}
		while (ap->frames_left > 0 && got < n) {
			const struct tpacket3_hdr *h = (const struct tpacket3_hdr *)(void *)ap->frame;
			take_frame(be, h, pkts, &got);
			ap->frames_left--;
			ap->frame += h->tp_next_offset;
		}
		if (ap->frames_left > 0)
			break;
		/* Release: our reads of the block are done before the kernel may refill it. */
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		ap->in_block = false;
		ap->block = (ap->block + 1) % AFP_BLOCK_COUNT;
	}
	return got;
}

static void afp_tx(struct ust_backend *be, struct ust_pkt **pkts, unsigned n, uint64_t now)
{
	struct afp_priv *ap = priv_of(be);
	struct ust_pool *pool = be->pool;
	(void)now;

	for (unsigned base = 0; base < n; base += UST_BATCH_MAX) {
		unsigned count = UST_MIN(n - base, UST_BATCH_MAX);
		struct iovec iov[UST_BATCH_MAX];
		struct mmsghdr msgs[UST_BATCH_MAX];
		memset(msgs, 0, sizeof(msgs[0]) * count);
		for (unsigned i = 0; i < count; i++) {
			const struct ust_pkt *pkt = pkts[base + i];
			iov[i] = (struct iovec){ .iov_base = ust_pkt_data(pool, pkt), .iov_len = pkt->len };
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		/* sendmmsg stops at the first frame that fails; that one is counted and skipped. */
		for (unsigned i = 0; i < count;) {
			int r = sendmmsg(ap->fd, msgs + i, count - i, MSG_DONTWAIT);
			if (r > 0) {
				i += (unsigned)r;
				continue;
			}
			if (r < 0 && errno == EINTR)
				continue;
			ust__backend_tx_fail(be, pkts[base + i], r < 0 && errno != EAGAIN && errno != ENOBUFS);
			i++;
		}
	}
	ust_pkt_free_batch(pool, pkts, n);
}

static int afp_fd(const struct ust_backend *be)
{
	return priv_of(be)->fd;
}

static void afp_release(struct afp_priv *ap)
{
	if (ap->ring != NULL)
		munmap(ap->ring, ap->ring_size);
	if (ap->fd >= 0)
		close(ap->fd);
	free(ap);
}

static void afp_close(struct ust_backend *be)
{
	if (be->priv != NULL)
		afp_release(be->priv);
	be->priv = NULL;
}

static const struct ust_backend_ops afp_ops = {
	.name = "afpacket",
	.rx = afp_rx,
	.tx = afp_tx,
	.fd = afp_fd,
	.next_deadline = NULL,
	.close = afp_close,
};

/* Ring first, then bind: a socket created with protocol 0 receives nothing until bound. */
static int afp_setup(struct afp_priv *ap, int ifindex)
{
	int fd = ap->fd;
	int version = TPACKET_V3;
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) < 0)
		return -errno;

	struct tpacket_req3 req = {
		.tp_block_size = AFP_BLOCK_SIZE,
		.tp_block_nr = AFP_BLOCK_COUNT,
		.tp_frame_size = AFP_FRAME_SIZE,
		.tp_frame_nr = AFP_BLOCK_SIZE / AFP_FRAME_SIZE * AFP_BLOCK_COUNT,
		.tp_retire_blk_tov = AFP_RETIRE_MS,
		.tp_sizeof_priv = 0,
		.tp_feature_req_word = 0,
	};
	if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0)
		return -errno;
	ap->ring_size = (size_t)AFP_BLOCK_SIZE * AFP_BLOCK_COUNT;
	void *ring = mmap(NULL, ap->ring_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (ring == MAP_FAILED)
		return -errno;
	ap->ring = ring;

	/* Both are optimisations with a fallback (the qdisc path; the pkttype check on rx). */
	int one = 1;
	(void)setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	(void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));

	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = ifindex,
	};
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;

	struct packet_mreq mr = { .mr_ifindex = ifindex, .mr_type = PACKET_MR_PROMISC };
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
		return -errno;
	return 0;
}

int ust__afpacket_open(struct ust_backend *be, const char *ifname,
		       const struct ust_backend_config *cfg)
{
	unsigned ifindex = if_nametoindex(ifname);
	if (ifindex == 0)
		return errno == EPERM || errno == EACCES ? -errno : -ENODEV;

	struct afp_priv *ap = calloc(1, sizeof(*ap));
	if (ap == NULL)
		return -ENOMEM;
	ap->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ap->fd < 0) {
		int err = -errno;
		free(ap);
		return err;
	}

	uint32_t link_mtu = 0;
	int err = afp_setup(ap, (int)ifindex);
	if (err == 0)
		err = ust__netdev_get_hwaddr(ifname, &be->hw_addr);
	if (err == 0)
		err = ust__netdev_get_mtu(ifname, &link_mtu);
	if (err != 0) {
		afp_release(ap);
		return err;
	}

	be->ops = &afp_ops;
	be->priv = ap;
	/* We do not change a real interface's MTU; a smaller one may be asked for. */
	be->mtu = cfg->mtu != 0 && cfg->mtu < link_mtu ? cfg->mtu : link_mtu;
	be->features = 0;
	return 0;
}
