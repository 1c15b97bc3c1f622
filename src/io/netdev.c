/*
 * Interface ioctls the real backends share (TAP, AF_PACKET): MTU, flags, hardware address.
 * They act on the network namespace the calling thread runs in, through a short-lived
 * control socket; nothing here keeps state.
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io/backend_impl.h"

/* Any socket reaches the device ioctls; AF_INET needs no privilege, AF_PACKET serves a
 * namespace without IPv4. */
static int control_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

static int ifreq_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr)
{
	int fd = control_socket();
	if (fd < 0)
		return fd;
	strncpy(ifr->ifr_name, ifname, IFNAMSIZ - 1);
	ifr->ifr_name[IFNAMSIZ - 1] = '\0';
	int err = ioctl(fd, req, ifr) < 0 ? -errno : 0;
	close(fd);
	return err;
}

int ust__netdev_get_mtu(const char *ifname, uint32_t *mtu)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	int err = ifreq_ioctl(ifname, SIOCGIFMTU, &ifr);
	if (err == 0)
		*mtu = ifr.ifr_mtu > 0 ? (uint32_t)ifr.ifr_mtu : 0;
	return err;
}

int ust__netdev_set_mtu(const char *ifname, uint32_t mtu)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	if (mtu > INT32_MAX)
		return -EINVAL;
	ifr.ifr_mtu = (int)mtu;
	return ifreq_ioctl(ifname, SIOCSIFMTU, &ifr);
}

int ust__netdev_set_up(const char *ifname)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	int err = ifreq_ioctl(ifname, SIOCGIFFLAGS, &ifr);
	if (err != 0 || (ifr.ifr_flags & IFF_UP) != 0)
		return err;
	ifr.ifr_flags |= IFF_UP;
	return ifreq_ioctl(ifname, SIOCSIFFLAGS, &ifr);
}

int ust__netdev_get_hwaddr(const char *ifname, struct ust_eth_addr *addr)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	int err = ifreq_ioctl(ifname, SIOCGIFHWADDR, &ifr);
	if (err == 0)
		memcpy(addr->b, ifr.ifr_hwaddr.sa_data, UST_ETH_ADDR_LEN);
	return err;
}
