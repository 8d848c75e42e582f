/*
 * utcpd.h - the daemon's shared state
 *
 * One `struct daemon` exists per process: the libev loop, the stack, the
 * TAP devices and the control server. main.c owns it; control.c serves
 * the IPC on top of it. Every function that hands the stack an input
 * (a frame, a timer, a user call) must call daemon_flush() afterwards,
 * which writes queued frames to the TAPs, dispatches stack events to the
 * control server and re-arms the stack timer.
 */
#ifndef UTCPD_H
#define UTCPD_H

#include <ev.h>
#include <stdint.h>

#include "../stack/stack.h"
#include "config.h"

struct control;

struct tap {
	int fd;
	int ifindex; /* the stack's interface index */
	int created; /* we created it (not an existing persistent TAP) */
	char name[STACK_IF_NAME_MAX];
	uint32_t mtu;
	ev_io watcher;
	uint64_t rx_frames, tx_frames, rx_errors, tx_errors, tx_drops;
	uint64_t rx_drops; /* read but no stack buffer (pool exhausted) */
	/* tap.c: IFF_VNET_HDR (every frame carries a struct virtio_net_hdr)
	 * and, with it, TSO and checksum offload granted by TUNSETOFFLOAD. */
	int vnet_hdr;
	int offload;
	/* main.c: a large stack buffer read into and kept while the frames
	 * that arrive are small (they are copied into small buffers). */
	struct pkt *spare;
	/* tap.c: the kernel's view, and what to restore on a pre-existing
	 * TAP when the daemon stops. */
	int kernel_ifindex;
	uint8_t kernel_mac[6]; /* the kernel side's MAC, != the stack's */
	uint32_t orig_mtu;     /* pre-existing TAP: the MTU it had */
	unsigned orig_flags;   /* pre-existing TAP: its IFF_UP then */
	uint8_t orig_mac[6];   /* pre-existing TAP: its MAC then */
	int orig_mac_changed;  /* we had to change that MAC */
};

struct daemon {
	struct ev_loop *loop;
	struct config *cfg;
	struct stack *stack;
	struct tap taps[STACK_IF_MAX];
	int ntaps;
	struct control *control;
	ev_timer stack_timer;
	uint64_t start_ns;
	/* main.c: signals, and flush bookkeeping */
	ev_signal sig_term, sig_int, sig_hup;
	int in_flush;	 /* daemon_flush() is running ... */
	int flush_again; /* ... and was called again from inside */
	int exit_status; /* set before ev_break() */
};

/* CLOCK_MONOTONIC in nanoseconds: the `now` handed to the stack. */
uint64_t daemon_now(void);

/* Drains the stack's tx queue to the TAPs and its events to the control
 * server, then re-arms the stack timer at stack_next_deadline(). */
void daemon_flush(struct daemon *d);

/* Reads every frame waiting on every TAP (until EAGAIN, at most
 * DAEMON_BARRIER_FRAMES_MAX per TAP) and processes it, flushing as it
 * goes: what the BARRIER request promises. Returns the frames read. */
unsigned daemon_taps_drain(struct daemon *d);

#endif
