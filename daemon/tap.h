/*
 * tap.h - the TAP devices the daemon's stack speaks through
 *
 * A TAP is opened on /dev/net/tun as IFF_TAP | IFF_NO_PI (one Ethernet
 * frame per read and write, no packet-information header; the
 * virtio-net header comes later), non-blocking. If a device of that
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

#include <stdint.h>

#include "utcpd.h"

/*
 * Opens the TAP `name` (creating it when absent) into t (t->fd,
 * t->created, t->kernel_ifindex, the saved state), sets its MTU to
 * `mtu`, gives the kernel side a MAC other than stack_mac and brings
 * the link up. Leaves t->ifindex and the counters alone. Returns 0 or a
 * negative errno (-EPERM without CAP_NET_ADMIN, -EBUSY when another
 * process holds the TAP, -EINVAL when `name` is a device but not a TAP).
 */
int tap_open(struct tap *t, const char *name, uint32_t mtu,
	     const uint8_t stack_mac[6]);

/* Closes t->fd (a TAP we created goes away) and restores a pre-existing
 * TAP's MTU, MAC and down state. Safe on a closed tap (fd < 0). */
void tap_close(struct tap *t);

#endif
