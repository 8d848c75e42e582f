/*
 * tap.h - the TAP devices the daemon's stack speaks through: opening,
 * closing, reading and writing frames
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

/*
 * Reads up to `max` frames from the TAP, each handed to stack_input(s,
 * now, ...). Returns the number read, with *drained set when the TAP had no
 * more (EAGAIN or an error).
 *
 * With IFF_VNET_HDR the header is read into the headroom just in front
 * of the frame: a checksum the kernel left partial (NEEDS_CSUM) or
 * checked (DATA_VALID) is passed on as PKT_F_CSUM_VALID. A small frame
 * read into a large buffer is copied into a small one, so that large
 * buffers hold large frames only, and the large one is kept for the
 * next read.
 */
unsigned tap_read_frames(struct tap *t, struct stack *s, uint64_t now,
			 unsigned max, bool *drained);

/* Writes one frame to the TAP (behind a virtio-net header when it has
 * IFF_VNET_HDR) and counts the outcome: tx_frames, tx_drops when the
 * TAP cannot take it now, tx_errors (the first logged, then one in
 * 1024). Does nothing on a closed tap. */
void tap_write_frame(struct tap *t, const struct pkt *p);

/*
 * Sheds a SYN flood at the TAP's edge (syn_shed.c): called after each
 * batch of frames read, it looks at how many SYNs the stack dropped
 * beyond its per-turn budget on this TAP's interface since the last
 * call, and attaches (TUNATTACHFILTER) or detaches (TUNDETACHFILTER)
 * the filter as syn_shed_step() says. The caller must call again while
 * it returns true (the filter is on), even when nothing is read, so
 * that the filter comes off. Failures are logged once and leave the TAP
 * unfiltered.
 */
bool tap_syn_shed(struct tap *t, struct stack *s, uint64_t now);

/* Gives the large buffer kept between reads back to the pool. */
void tap_release_spare(struct tap *t, struct stack *s);

#endif
