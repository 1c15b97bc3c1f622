/*
 * TAP backend: the stack's frames go to and come from a TAP device, i.e. the kernel sees the
 * stack as a host on the other end of a virtual Ethernet cable.
 *
 *   ust_backend_rx -> tap_rx -> readv(/dev/net/tun) per frame -> pool buffer
 *   ust_backend_tx -> tap_tx -> writev(/dev/net/tun) per frame
 *
 * One read or write per frame is inherent to TAP. The device is created if absent (and goes
 * away with the descriptor unless someone made it persistent) and is brought up, in the
 * network namespace the process runs in. The TAP device is the kernel's end of the cable, so
 * the stack has no MAC of its own here: hw_addr stays zero and the stack picks one.
 *
 * With cfg->offload every frame carries a virtio_net_hdr in front (IFF_VNET_HDR), which this
 * file translates to and from the packet's offload fields: checksum offload in both
 * directions, TSO (GSO_TCPV4) on transmit and GRO'ed super-frames on receive. Such frames are
 * up to 64 KiB, so offload demands a pool whose buffers hold 65536 bytes after the headroom.
 *
 * Owns the tun descriptor and a scratch buffer used to discard frames the pool has no room for.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "io/backend_impl.h"

#define TAP_BIG_FRAME 65536u	/* data room a buffer needs with offload (GSO/GRO frames) */
#define TAP_SCRATCH 2048u	/* a discarded frame only has to be dequeued, not kept whole */

struct tap_priv {
	int fd;
	bool vnet;		/* frames carry a struct virtio_net_hdr (offload negotiated) */
	uint8_t scratch[TAP_SCRATCH];
};

static struct tap_priv *priv_of(const struct ust_backend *be)
{
	return be->priv;
}

/*
 * Receive side of the virtio header: what the kernel tells us about a frame. The legacy
 * header is in host byte order (we never set TUNSETVNETLE/BE). Returns false for a GSO type
 * we did not negotiate, which would leave a frame the stack cannot take apart.
 */
static bool vnet_to_pkt(const struct virtio_net_hdr *vh, struct ust_pkt *pkt)
{
	if ((vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0) {
		/* A frame the kernel built with its checksum left to "hardware": its bytes are
		 * good (CSUM_VALID, nothing to verify), but the checksum field only holds the
		 * pseudo-header sum; CSUM_PARTIAL tells whoever sends it on to finish it. */
		pkt->flags |= UST_PKT_F_CSUM_PARTIAL | UST_PKT_F_CSUM_VALID;
		pkt->csum_start = vh->csum_start;
		pkt->csum_offset = vh->csum_offset;
	}
	if ((vh->flags & VIRTIO_NET_HDR_F_DATA_VALID) != 0)
		pkt->flags |= UST_PKT_F_CSUM_VALID;
	switch (vh->gso_type) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return true;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		pkt->flags |= UST_PKT_F_GSO_TCPV4;
		pkt->gso_size = vh->gso_size;
		return true;
	default:
		return false;
	}
}

/* Transmit side: ask the kernel to finish the checksum and/or cut the segment. */
static void pkt_to_vnet(const uint8_t *frame, const struct ust_pkt *pkt, struct virtio_net_hdr *vh)
{
	memset(vh, 0, sizeof(*vh));
	if ((pkt->flags & UST_PKT_F_CSUM_PARTIAL) != 0) {
		vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh->csum_start = pkt->csum_start;
		vh->csum_offset = pkt->csum_offset;
	}
	if ((pkt->flags & UST_PKT_F_GSO_TCPV4) != 0 && pkt->gso_size != 0) {
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		vh->gso_size = pkt->gso_size;
		/* hdr_len (Ethernet + IP + TCP headers) is a hint for the kernel's linear part:
		 * the TCP header starts at csum_start and its data offset gives its length. */
		uint32_t tcp = pkt->csum_start;
		if (tcp + 13 < pkt->len)
			vh->hdr_len = (uint16_t)(tcp + (uint32_t)(frame[tcp + 12] >> 4) * 4);
	}
}

/*
 * Read up to n frames. Each read dequeues exactly one frame; the iovec after the buffer is a
 * one-byte probe: if the kernel fills it, the frame was longer than the buffer and is counted
 * as truncated. A frame for which the pool has no buffer is read into scratch and counted, so
 * the kernel's queue keeps moving. At most n reads per call, to bound the time spent here.
 */
static unsigned tap_rx(struct ust_backend *be, struct ust_pkt **pkts, unsigned n, uint64_t now)
{
	struct tap_priv *tp = priv_of(be);
	struct ust_pool *pool = be->pool;
	struct ust_pkt *spare = NULL;	/* a buffer taken but not yet filled */
	unsigned got = 0;
	(void)now;

	for (unsigned reads = 0; got < n && reads < n;) {
		if (spare == NULL)
			spare = ust_pkt_alloc(pool);
		if (spare == NULL) {
			ssize_t r = read(tp->fd, tp->scratch, sizeof(tp->scratch));
			if (r < 0) {
				if (errno == EINTR)
					continue;
				if (errno != EAGAIN)
					be->counters.rx_errors++;
				break;
			}
			reads++;
			be->counters.rx_nobuf++;
			continue;
		}

		struct virtio_net_hdr vh;
		uint8_t probe;
		struct iovec iov[3];
		int iovcnt = 0;
		size_t hdr_len = tp->vnet ? sizeof(vh) : 0;
		size_t room = ust_pkt_tailroom(pool, spare);
		if (tp->vnet)
			iov[iovcnt++] = (struct iovec){ .iov_base = &vh, .iov_len = sizeof(vh) };
		iov[iovcnt++] = (struct iovec){ .iov_base = ust_pkt_data(pool, spare), .iov_len = room };
		iov[iovcnt++] = (struct iovec){ .iov_base = &probe, .iov_len = 1 };

		ssize_t r = readv(tp->fd, iov, iovcnt);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				be->counters.rx_errors++;
			break;
		}
		reads++;
		if ((size_t)r < hdr_len + UST_ETH_HDR_LEN) {
			be->counters.rx_errors++;
			continue;
		}
		size_t frame_len = (size_t)r - hdr_len;
		if (frame_len > room) {
			be->counters.rx_truncated++;
			continue;
		}
		spare->flags = 0;
		spare->csum_start = spare->csum_offset = spare->gso_size = 0;
		if (tp->vnet && !vnet_to_pkt(&vh, spare)) {
			be->counters.rx_errors++;
			continue;
		}
		spare->len = (uint32_t)frame_len;
		pkts[got++] = spare;
		spare = NULL;
	}
	ust_pkt_free(pool, spare);
	return got;
}

/*
 * One writev per frame. The virtio header goes in its own iovec rather than being pushed into
 * the packet's headroom: same single syscall, and a packet the caller still shares (say with
 * a retransmission queue) is not written to at all.
 */
static void tap_tx(struct ust_backend *be, struct ust_pkt **pkts, unsigned n, uint64_t now)
{
	struct tap_priv *tp = priv_of(be);
	struct ust_pool *pool = be->pool;
	(void)now;

	for (unsigned i = 0; i < n; i++) {
		const struct ust_pkt *pkt = pkts[i];
		uint8_t *frame = ust_pkt_data(pool, pkt);
		struct virtio_net_hdr vh;
		struct iovec iov[2];
		int iovcnt = 0;
		if (tp->vnet) {
			pkt_to_vnet(frame, pkt, &vh);
			iov[iovcnt++] = (struct iovec){ .iov_base = &vh, .iov_len = sizeof(vh) };
		}
		iov[iovcnt++] = (struct iovec){ .iov_base = frame, .iov_len = pkt->len };
		ssize_t r;
		do
			r = writev(tp->fd, iov, iovcnt);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			ust__backend_tx_fail(be, pkt, errno != EAGAIN && errno != ENOBUFS);
	}
	ust_pkt_free_batch(pool, pkts, n);
}

static int tap_fd(const struct ust_backend *be)
{
	return priv_of(be)->fd;
}

static void tap_close(struct ust_backend *be)
{
	struct tap_priv *tp = priv_of(be);
	if (tp == NULL)
		return;
	close(tp->fd);
	free(tp);
	be->priv = NULL;
}

static const struct ust_backend_ops tap_ops = {
	.name = "tap",
	.rx = tap_rx,
	.tx = tap_tx,
	.fd = tap_fd,
	.next_deadline = NULL,
	.close = tap_close,
};

/* Attach to (or create) the device and negotiate the virtio header and offloads. */
static int tap_attach(int fd, const char *ifname, bool offload)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return -errno;
	if (!offload)
		return 0;
	int hdr_size = (int)sizeof(struct virtio_net_hdr);
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_size) < 0)
		return -errno;
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4)) < 0)
		return -errno;
	return 0;
}

int ust__tap_open(struct ust_backend *be, const char *ifname, const struct ust_backend_config *cfg)
{
	struct ust_pool *pool = be->pool;
	if (cfg->offload && (pool->buf_size < pool->headroom ||
			     pool->buf_size - pool->headroom < TAP_BIG_FRAME))
		return -EINVAL;

	struct tap_priv *tp = calloc(1, sizeof(*tp));
	if (tp == NULL)
		return -ENOMEM;
	tp->vnet = cfg->offload;
	tp->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (tp->fd < 0) {
		/* /dev/net/tun is root-only: report it as the missing privilege it is. */
		int err = errno == EACCES ? -EPERM : -errno;
		free(tp);
		return err;
	}

	int err = tap_attach(tp->fd, ifname, cfg->offload);
	if (err == 0 && cfg->mtu != 0)
		err = ust__netdev_set_mtu(ifname, cfg->mtu);
	if (err == 0)
		err = ust__netdev_get_mtu(ifname, &be->mtu);
	if (err == 0)
		err = ust__netdev_set_up(ifname);
	if (err != 0) {
		close(tp->fd);
		free(tp);
		return err;
	}

	be->ops = &tap_ops;
	be->priv = tp;
	be->features = cfg->offload ? UST_BACKEND_F_CSUM_OFFLOAD | UST_BACKEND_F_TSO |
					      UST_BACKEND_F_GRO
				    : 0;
	memset(&be->hw_addr, 0, sizeof(be->hw_addr));
	return 0;
}
