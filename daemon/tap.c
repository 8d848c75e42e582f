/*
 * tap.c - opening, configuring and closing TAP devices
 *
 * Theory of operation. tap_open() does, in order:
 *
 *   1. if_nametoindex(name): does the device exist already? Then it
 *      must be a persistent TAP, and we will leave it as we found it.
 *   2. open("/dev/net/tun", O_RDWR | O_NONBLOCK) and TUNSETIFF with
 *      IFF_TAP | IFF_NO_PI: creates the TAP or attaches to the
 *      existing one. The kernel refuses with EPERM (no CAP_NET_ADMIN),
 *      EBUSY (another process has it) or EINVAL (not a TAP).
 *      With offload, IFF_VNET_HDR too, then TUNSETOFFLOAD(TUN_F_CSUM |
 *      TUN_F_TSO4); should that fail the TAP is used without offload
 *      (logged), its frames still behind a zeroed virtio-net header.
 *   3. Through rtnetlink (libnl-route): read the link as it is (its
 *      MTU, IFF_UP, MAC are saved for a pre-existing TAP), then one
 *      change: the MTU, a new kernel-side MAC if it equals the stack's,
 *      and IFF_UP.
 *
 * tap_close() closes the descriptor (a TAP we created is destroyed with
 * it; a persistent one loses its carrier) and, for a pre-existing TAP,
 * puts back the MTU, the MAC and IFF_UP as they were. Each step that
 * fails is logged with the device name and the step.
 *
 * Frames. tap_read_frames() reads each frame into a buffer of the
 * stack's pool and hands it to stack_input(); with IFF_VNET_HDR the
 * virtio-net header is read into the headroom just in front of the
 * frame, and frames of up to 64 KiB arrive (TAP_FRAME_MAX), read into a
 * large buffer kept from one read to the next (t->spare) and copied
 * into a small one when they turn out small. A call ends with a spare
 * ready, whether its last read found nothing or its budget ran out
 * (rx_budget.h), so the pool holds one large buffer per TAP once frames
 * have come, whatever the traffic (tests compare the pool in use with
 * a baseline). When the pool is exhausted
 * a frame is read and dropped (rx_drops) so that the loop does not spin
 * on a readable TAP. tap_write_frame() writes one frame, behind a
 * virtio-net header holding the offloads the stack asked for; a frame
 * the TAP cannot take at once is dropped and counted (tx_drops), as a
 * NIC would.
 *
 * Capture (capture.h): while a capture runs, t->capture is set and
 * every frame read (after its virtio-net header, before the stack sees
 * it) and every frame to write (before the write, as a NIC's capture
 * sees a frame its driver may still drop) is handed to capture_frame();
 * otherwise the test of t->capture is all a frame costs.
 *
 * SYN floods: tap_syn_shed() attaches syn_shed.c's filter to the TAP
 * while the stack drops SYNs of this interface beyond its budget, and
 * takes it off when the flood is over.
 */
#include "tap.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <unistd.h>

#include "capture.h"
#include "log.h"

/* The largest frame a TAP hands over: an IPv4 datagram of 64 KiB (a TSO
 * super-segment) with its Ethernet header. */
#define TAP_FRAME_MAX (65535u + 14u)

/* A negative errno for a libnl error. */
static int nl_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_PERM:
	case NLE_NOACCESS:
		return -EPERM;
	case NLE_NODEV:
	case NLE_OBJ_NOTFOUND:
		return -ENODEV;
	case NLE_INVAL:
	case NLE_RANGE:
		return -EINVAL;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	default:
		return -EIO;
	}
}

/* Opens a connected rtnetlink socket into *out. Returns 0 or -errno. */
static int rtnl_open(const char *name, struct nl_sock **out)
{
	struct nl_sock *sock = nl_socket_alloc();
	int err;

	if (!sock) {
		log_msg(LOG_ERR, "%s: netlink socket: %s", name,
			strerror(ENOMEM));
		return -ENOMEM;
	}
	err = nl_connect(sock, NETLINK_ROUTE);
	if (err < 0) {
		log_msg(LOG_ERR, "%s: netlink: %s", name, nl_geterror(err));
		nl_socket_free(sock);
		return nl_to_errno(err);
	}
	*out = sock;
	return 0;
}

/* Records the present state of link `name` in t (kernel ifindex, MTU,
 * IFF_UP, MAC). Returns 0 or -errno. */
static int link_read(const char *name, struct tap *t)
{
	struct nl_sock *sock = NULL;
	struct rtnl_link *link = NULL;
	struct nl_addr *cur;
	int err, ret;

	ret = rtnl_open(name, &sock);
	if (ret < 0)
		return ret;
	err = rtnl_link_get_kernel(sock, 0, name, &link);
	if (err < 0) {
		log_msg(LOG_ERR, "%s: reading the link: %s", name,
			nl_geterror(err));
		ret = nl_to_errno(err);
		goto out;
	}
	t->kernel_ifindex = rtnl_link_get_ifindex(link);
	t->orig_mtu = rtnl_link_get_mtu(link);
	t->orig_flags = rtnl_link_get_flags(link) & IFF_UP;
	cur = rtnl_link_get_addr(link);
	if (cur && nl_addr_get_len(cur) == 6)
		memcpy(t->orig_mac, nl_addr_get_binary_addr(cur), 6);
	memcpy(t->kernel_mac, t->orig_mac, 6);
	ret = 0;
out:
	rtnl_link_put(link);
	nl_socket_free(sock);
	return ret;
}

/*
 * Applies one change to link `name`: mtu (0 = leave), mac (NULL =
 * leave), and IFF_UP set or cleared when set_up is 1 or 0 (-1 = leave).
 * `what` names the operation in messages. Returns 0 or -errno.
 */
static int link_change(const char *name, const char *what, uint32_t mtu,
		       const uint8_t *mac, int set_up)
{
	struct nl_sock *sock = NULL;
	struct rtnl_link *link = NULL, *change = NULL;
	struct nl_addr *addr = NULL;
	int err, ret;

	ret = rtnl_open(name, &sock);
	if (ret < 0)
		return ret;
	err = rtnl_link_get_kernel(sock, 0, name, &link);
	if (err < 0) {
		log_msg(LOG_ERR, "%s: %s: %s", name, what, nl_geterror(err));
		ret = nl_to_errno(err);
		goto out;
	}
	change = rtnl_link_alloc();
	if (!change) {
		ret = -ENOMEM;
		log_msg(LOG_ERR, "%s: %s: %s", name, what, strerror(ENOMEM));
		goto out;
	}
	if (mtu)
		rtnl_link_set_mtu(change, mtu);
	if (mac) {
		addr = nl_addr_build(AF_LLC, mac, 6);
		if (!addr) {
			ret = -ENOMEM;
			log_msg(LOG_ERR, "%s: %s: %s", name, what,
				strerror(ENOMEM));
			goto out;
		}
		rtnl_link_set_addr(change, addr);
	}
	if (set_up == 1)
		rtnl_link_set_flags(change, IFF_UP);
	else if (set_up == 0)
		rtnl_link_unset_flags(change, IFF_UP);

	err = rtnl_link_change(sock, link, change, 0);
	if (err < 0) {
		log_msg(LOG_ERR, "%s: %s: %s", name, what, nl_geterror(err));
		ret = nl_to_errno(err);
		goto out;
	}
	ret = 0;
out:
	nl_addr_put(addr);
	rtnl_link_put(change);
	rtnl_link_put(link);
	nl_socket_free(sock);
	return ret;
}

/* A random locally administered unicast MAC other than `avoid`. */
static void random_mac(uint8_t mac[6], const uint8_t avoid[6])
{
	do {
		if (getrandom(mac, 6, 0) != 6)
			memset(mac, 0x5a, 6); /* cannot happen for 6 bytes */
		mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
	} while (memcmp(mac, avoid, 6) == 0);
}

int tap_open(struct tap *t, const char *name, uint32_t mtu,
	     const uint8_t stack_mac[6], bool offload)
{
	struct ifreq ifr;
	uint8_t new_mac[6];
	bool existed;
	int fd, ret;

	t->fd = -1;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->mtu = mtu;
	t->orig_mac_changed = 0;
	t->vnet_hdr = 0;
	t->offload = 0;
	existed = if_nametoindex(name) != 0;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		log_msg(LOG_ERR, "%s: /dev/net/tun: %m", name);
		return ret;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		log_msg(LOG_ERR, "%s: TUNSETIFF: %m%s", name,
			ret == -EBUSY ? " (another process holds this TAP)"
			: ret == -EINVAL && existed
			    ? " (a device of that name exists and is "
			      "not a TAP)"
			    : "");
		goto fail;
	}
	t->fd = fd;
	t->created = !existed;
	if (offload) {
		int hdr_sz = (int)sizeof(struct virtio_net_hdr);

		t->vnet_hdr = 1;
		if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_sz) < 0) {
			ret = -errno;
			log_msg(LOG_ERR, "%s: TUNSETVNETHDRSZ: %m", name);
			goto fail;
		}
		if (ioctl(fd, TUNSETOFFLOAD,
			  (unsigned long)(TUN_F_CSUM | TUN_F_TSO4)) < 0)
			log_msg(LOG_WARNING,
				"%s: TUNSETOFFLOAD: %m; going on without "
				"offload",
				name);
		else
			t->offload = 1;
	}

	/* Read the link (saving its state), then the one change. */
	ret = link_read(name, t);
	if (ret < 0)
		goto fail;
	if (memcmp(t->kernel_mac, stack_mac, 6) == 0) {
		random_mac(new_mac, stack_mac);
		t->orig_mac_changed = 1;
	}
	ret = link_change(name, "setting the MTU and bringing the link up", mtu,
			  t->orig_mac_changed ? new_mac : NULL, 1);
	if (ret < 0)
		goto fail;
	if (t->orig_mac_changed) {
		memcpy(t->kernel_mac, new_mac, 6);
		log_msg(
		    LOG_NOTICE,
		    "%s: the kernel side had the stack's MAC; changed it to "
		    "%02x:%02x:%02x:%02x:%02x:%02x",
		    name, new_mac[0], new_mac[1], new_mac[2], new_mac[3],
		    new_mac[4], new_mac[5]);
	}
	return 0;

fail:
	/* A TAP we created vanishes with the descriptor; one we attached
	 * to has not been changed yet (the change is the last step). */
	close(fd);
	t->fd = -1;
	return ret;
}

void tap_close(struct tap *t)
{
	if (t->fd < 0)
		return;
	close(t->fd);
	t->fd = -1;
	if (t->created)
		return;
	/* A persistent TAP stays: put back what we changed. */
	if (link_change(t->name, "restoring the link",
			t->orig_mtu != t->mtu ? t->orig_mtu : 0,
			t->orig_mac_changed ? t->orig_mac : NULL,
			t->orig_flags & IFF_UP ? -1 : 0) == 0)
		log_msg(LOG_INFO, "%s: left in place (persistent TAP), %s",
			t->name, t->orig_flags & IFF_UP ? "up" : "down");
}

/* ---- frames ------------------------------------------------------ */

/* Fills the virtio-net header that goes in front of p: the offloads the
 * stack asked for (a partial checksum, TSO), or zeroes. */
static void vnet_hdr_fill(struct virtio_net_hdr *vh, const struct pkt *p)
{
	memset(vh, 0, sizeof(*vh));
	if (!(p->flags & PKT_F_CSUM_PARTIAL))
		return;
	size_t l4 = (size_t)(p->buf + p->l4_offset - p->data);
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->csum_start = htole16((uint16_t)l4);
	vh->csum_offset = htole16(p->csum_offset);
	if (p->gso_size && l4 + 13 <= p->len) {
		size_t thl = (size_t)(p->data[l4 + 12] >> 4) * 4;
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		vh->gso_size = htole16(p->gso_size);
		vh->hdr_len = htole16((uint16_t)(l4 + thl));
	}
}

void tap_write_frame(struct tap *t, const struct pkt *p)
{
	struct virtio_net_hdr vh;
	struct iovec iov[2];
	size_t want = p->len;
	int niov = 0;
	ssize_t n;

	if (t->fd < 0)
		return;
	if (__builtin_expect(t->capture != NULL, 0))
		capture_frame(t->capture, t->ifindex, p->data, p->len);
	if (t->vnet_hdr) {
		vnet_hdr_fill(&vh, p);
		iov[niov++] = (struct iovec){&vh, sizeof(vh)};
		want += sizeof(vh);
	}
	iov[niov++] = (struct iovec){p->data, p->len};
	n = niov == 1 ? write(t->fd, p->data, p->len)
		      : writev(t->fd, iov, niov);
	if (n == (ssize_t)want) {
		t->tx_frames++;
		t->tx_bytes += p->len;
	} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
			     errno == ENOBUFS)) {
		t->tx_drops++;
	} else {
		/* Count every error; log the first, then one in 1024. */
		if ((t->tx_errors++ & 1023) == 0)
			log_msg(LOG_WARNING, "%s: writing a %u-byte frame: %s",
				t->name, p->len,
				n < 0 ? strerror(errno) : "short write");
	}
}

/*
 * A buffer to read one frame into. With the virtio-net header, frames up
 * to 64 KiB arrive: a large buffer (the one kept from the last read, or a
 * new one); a small one when the pool has no large one left (a large
 * frame then fails to read and is lost, as with a NIC out of large
 * descriptors). Without, a small one for the MTU. NULL: pool exhausted.
 */
static struct pkt *tap_rx_buffer(struct tap *t, struct stack *s)
{
	struct pkt *p;

	if (t->vnet_hdr) {
		p = t->spare;
		t->spare = NULL;
		if (!p)
			p = stack_pkt_alloc(s, TAP_FRAME_MAX);
		if (p)
			return p;
	}
	return stack_pkt_alloc(s, t->mtu + 14);
}

unsigned tap_read_frames(struct tap *t, struct stack *s, uint64_t now,
			 unsigned max, bool *drained)
{
	/* > the largest frame, 65535 + 14, and its header */
	static uint8_t discard[TAP_FRAME_MAX + 64];
	size_t hdr = t->vnet_hdr ? sizeof(struct virtio_net_hdr) : 0;
	unsigned i;

	*drained = false;
	for (i = 0; i < max; i++) {
		struct pkt *p = tap_rx_buffer(t, s);
		struct virtio_net_hdr vh;
		size_t room;
		ssize_t n;

		if (!p) {
			/* Pool exhausted: drop the frame, as a NIC out of
			 * descriptors would. */
			n = read(t->fd, discard, sizeof(discard));
			if (n < 0) {
				*drained = true;
				break;
			}
			t->rx_drops++;
			continue;
		}
		/* Read into all the room there is: should the kernel side's
		 * MTU have been raised behind our back, a frame a little over
		 * ours still arrives whole (tun fails a read into a buffer
		 * too small, and the frame is lost). */
		room = pkt_tailroom(p);
		if (room > TAP_FRAME_MAX)
			room = TAP_FRAME_MAX;
		n = read(t->fd, p->data - hdr, room + hdr);
		if (n <= (ssize_t)hdr) {
			if (p->pkt_class == PKT_CLASS_LARGE && !t->spare)
				t->spare = p;
			else
				stack_pkt_free(s, p);
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && (t->rx_errors++ & 1023) == 0)
				log_msg(LOG_WARNING, "%s: read: %m", t->name);
			if (n >= 0 && n <= (ssize_t)hdr && n > 0)
				continue; /* a header and no frame */
			*drained = !(n < 0 && errno == EINTR);
			break;
		}
		n -= (ssize_t)hdr;
		p->len = (uint32_t)n;
		if (hdr) {
			memcpy(&vh, p->data - hdr, sizeof(vh));
			if (vh.flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM |
					VIRTIO_NET_HDR_F_DATA_VALID))
				p->flags |= PKT_F_CSUM_VALID;
			if (p->pkt_class == PKT_CLASS_LARGE &&
			    (size_t)n + PKT_HEADROOM <= PKT_SMALL_CAP) {
				struct pkt *q = stack_pkt_alloc(s, (size_t)n);

				if (q) {
					memcpy(q->data, p->data, (size_t)n);
					q->len = p->len;
					q->flags = p->flags;
					p->flags = 0;
					p->len = 0;
					t->spare = p;
					p = q;
				}
			}
		}
		p->ifindex = (uint16_t)t->ifindex;
		t->rx_frames++;
		t->rx_bytes += p->len;
		if (__builtin_expect(t->capture != NULL, 0))
			capture_frame(t->capture, t->ifindex, p->data, p->len);
		stack_input(s, now, p);
	}
	if (t->vnet_hdr && !t->spare)
		t->spare = stack_pkt_alloc(s, TAP_FRAME_MAX);
	return i;
}

void tap_release_spare(struct tap *t, struct stack *s)
{
	if (t->spare) {
		stack_pkt_free(s, t->spare);
		t->spare = NULL;
	}
}

bool tap_syn_shed(struct tap *t, struct stack *s, uint64_t now)
{
	struct stack_if_info info;
	struct sock_fprog prog;

	if (stack_if_info(s, t->ifindex, &info) < 0)
		return false;
	if (t->fd < 0 || t->shed_broken) {
		t->shed.seen = info.syn_over_budget;
		return false;
	}
	syn_shed_filter(&prog);
	switch (syn_shed_step(&t->shed, info.syn_over_budget, now)) {
	case SYN_SHED_ATTACH:
		if (ioctl(t->fd, TUNATTACHFILTER, &prog) < 0) {
			log_msg(LOG_WARNING, "%s: TUNATTACHFILTER: %s", t->name,
				strerror(errno));
			t->shed_broken = true; /* not again */
			t->shed.on = false;
			return false;
		}
		log_msg(LOG_DEBUG, "%s: SYN flood: shedding SYNs at the TAP",
			t->name);
		break;
	case SYN_SHED_DETACH:
		if (ioctl(t->fd, TUNDETACHFILTER, &prog) < 0)
			log_msg(LOG_WARNING, "%s: TUNDETACHFILTER: %s", t->name,
				strerror(errno));
		log_msg(LOG_DEBUG, "%s: SYN flood over: the TAP unfiltered",
			t->name);
		break;
	case SYN_SHED_SAME:
		break;
	}
	return t->shed.on;
}
