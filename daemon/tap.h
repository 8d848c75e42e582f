/*
 * tap.h - the TAP devices the daemon's stack speaks through
 *
 * A TAP is opened on /dev/net/tun as IFF_TAP | IFF_NO_PI (one Ethernet
 * frame per read and write, no packet-information header), non-blocking,
 * and with offload also IFF_VNET_HDR: every frame read or written is
 * then preceded by a struct virtio_net_hdr (10 bytes), and
 * TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4) lets the kernel hand over and
 * accept TCP frames of up to 64 KiB with partial checksums. When the
 * kernel refuses TUNSETOFFLOAD the TAP works without offload (the
 * header stays, zeroed). If a device of that
 * name already exists it must be a persistent TAP nobody has attached:
 * the daemon attaches to it, and on close puts back the MTU, the up/down
 * state and the MAC it found. Otherwise the daemon creates it, and it
 * disappears when closed.
 *
 * The kernel side of the TAP is the stack's Ethernet peer, so its MAC
 * must differ from the stack's: tap_open() changes it when they clash.
 * Errors are logged as "tap0: WHAT: reason" and returned as -errno.
 */
#ifndef UTCPD_TAP_H
#define UTCPD_TAP_H

#include <stdbool.h>
#include <stdint.h>

#include "utcpd.h"

/*
 * Opens the TAP `name` (creating it when absent) into t (t->fd,
 * t->created, t->kernel_ifindex, the saved state; t->vnet_hdr and
 * t->offload when `offload` is asked for and granted), sets its MTU to
 * `mtu`, gives the kernel side a MAC other than stack_mac and brings
 * the link up. Leaves t->ifindex and the counters alone. Returns 0 or a
 * negative errno (-EPERM without CAP_NET_ADMIN, -EBUSY when another
 * process holds the TAP, -EINVAL when `name` is a device but not a TAP).
 */
int tap_open(struct tap *t, const char *name, uint32_t mtu,
	     const uint8_t stack_mac[6], bool offload);

/* Closes t->fd (a TAP we created goes away) and restores a pre-existing
 * TAP's MTU, MAC and down state. Safe on a closed tap (fd < 0). */
void tap_close(struct tap *t);

#endif
