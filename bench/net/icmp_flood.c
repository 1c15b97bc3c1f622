/*
 * icmp-flood: ICMP echo request generator for bench/net/icmp-pps.sh. Writes prebuilt Ethernet
 * frames (echo requests to one MAC/IP) on a Linux interface through an AF_PACKET socket with
 * sendmmsg, as fast as it can or at a given rate, for a given time; then reports how many it
 * sent and how many frames came back on the interface (its rx_packets counter), i.e. how many
 * echo replies the stack under test answered per second.
 *
 *   icmp-flood IFNAME DST_MAC SRC_IP DST_IP SECONDS [RATE_PPS (0: max)] [DATA_BYTES]
 *
 * Runs on the Linux side of a veth pair or TAP device inside a benchmark namespace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_FRAME 1514

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static unsigned long long read_stat(const char *ifname, const char *name)
{
	char path[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* Frame: Ethernet + IPv4 (20) + ICMP echo (8) + data. Returns its length. */
static size_t build_frame(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], struct in_addr sip,
			  struct in_addr dip, size_t data, uint16_t seq)
{
	uint8_t *ip = f + 14, *icmp = ip + 20;
	size_t iplen = 20 + 8 + data;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	put16(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)iplen);
	put16(ip + 4, seq);
	ip[8] = 64;
	ip[9] = 1;
	memcpy(ip + 12, &sip, 4);
	memcpy(ip + 16, &dip, 4);
	put16(ip + 10, csum(ip, 20));
	memset(icmp, 0, 8);
	icmp[0] = 8;
	put16(icmp + 4, 0x5553);	/* "US" */
	put16(icmp + 6, seq);
	for (size_t i = 0; i < data; i++)
		icmp[8 + i] = (uint8_t)i;
	put16(icmp + 2, csum(icmp, 8 + data));
	return 14 + iplen;
}

int main(int argc, char **argv)
{
	static uint8_t frames[BATCH][MAX_FRAME];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP) };
	struct ifreq ifr;
	uint8_t dst[6], src[6];
	struct in_addr sip, dip;
	double seconds;
	unsigned long rate = 0, data = 56;
	unsigned long long sent = 0, failed = 0, rx0, rx1, txd0, txd1;
	uint64_t start, end, now;
	int fd;

	if (argc < 6) {
		fprintf(stderr, "usage: %s IFNAME DST_MAC SRC_IP DST_IP SECONDS [RATE_PPS] [DATA_BYTES]\n", argv[0]);
		return 2;
	}
	if (parse_mac(argv[2], dst) < 0 || !inet_aton(argv[3], &sip) || !inet_aton(argv[4], &dip)) {
		fprintf(stderr, "icmp-flood: bad MAC or address\n");
		return 2;
	}
	seconds = atof(argv[5]);
	if (argc > 6)
		rate = strtoul(argv[6], NULL, 10);
	if (argc > 7)
		data = strtoul(argv[7], NULL, 10);
	if (data > MAX_FRAME - 14 - 28)
		data = MAX_FRAME - 14 - 28;

	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
	if (fd < 0) {
		perror("icmp-flood: socket");
		return 1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		perror("icmp-flood: interface");
		return 1;
	}
	sll.sll_ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		perror("icmp-flood: hardware address");
		return 1;
	}
	memcpy(src, ifr.ifr_hwaddr.sa_data, 6);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("icmp-flood: bind");
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = frames[i];
		iov[i].iov_len = build_frame(frames[i], dst, src, sip, dip, data, (uint16_t)i);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	rx0 = read_stat(argv[1], "rx_packets");
	txd0 = read_stat(argv[1], "tx_dropped");
	start = now_ns();
	end = start + (uint64_t)(seconds * 1e9);
	while ((now = now_ns()) < end) {
		int n = BATCH;

		if (rate) {
			/* Stay on the line sent = rate * elapsed; sleep when ahead. */
			double due = (double)(now - start) * 1e-9 * (double)rate;

			if ((double)sent >= due) {
				usleep(100);
				continue;
			}
			if (due - (double)sent < n)
				n = (int)(due - (double)sent) + 1;
		}
		int r = sendmmsg(fd, msgs, (unsigned)n, 0);

		if (r > 0)
			sent += (unsigned long long)r;
		else if (errno == ENOBUFS || errno == EAGAIN)
			failed++;
		else {
			perror("icmp-flood: sendmmsg");
			return 1;
		}
	}
	usleep(200000);	/* let the last replies arrive */
	rx1 = read_stat(argv[1], "rx_packets");
	txd1 = read_stat(argv[1], "tx_dropped");
	seconds = (double)(end - start) * 1e-9;
	printf("sent %llu requests in %.2f s (%.0f/s), %llu frames back (%.0f/s), "
	       "%llu dropped by the link before the stack (tx_dropped), %llu send retries\n",
	       sent, seconds, (double)sent / seconds, rx1 - rx0, (double)(rx1 - rx0) / seconds,
	       txd1 - txd0, failed);
	close(fd);
	return 0;
}
