/*
 * utcpd.h - the daemon's shared state
 *
 * One `struct daemon` exists per process: the libev loop, the stack, the
 * TAP devices and the control server. main.c owns it; control.c serves
 * the IPC on top of it. Handlers only hand the stack its input (a frame,
 * a timer, a user call): what the stack queues in return is drained once
 * per loop turn (loop.c).
 */
#ifndef UTCPD_H
#define UTCPD_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../stack/stack.h"
#include "busy_poll.h"
#include "config.h"
#include "rx_budget.h"
#include "syn_shed.h"

struct capture_set;
struct control;
struct dns_result;
struct netconf;
struct resolver;
struct syslog_remote;
struct ucred;

struct tap {
	int fd;
	int ifindex; /* the stack's interface index */
	int created; /* we created it (not an existing persistent TAP) */
	char name[STACK_IF_NAME_MAX];
	uint32_t mtu;
	ev_io watcher;
	uint64_t rx_frames, tx_frames, rx_errors, tx_errors, tx_drops;
	uint64_t rx_drops; /* read but no stack buffer (pool exhausted) */
	uint64_t rx_bytes, tx_bytes; /* of the frames counted, no vnet header */
	struct rx_budget rx_budget;  /* main.c: frames one wakeup reads */
	/* tap.c: IFF_VNET_HDR (every frame carries a struct virtio_net_hdr)
	 * and, with it, TSO and checksum offload granted by TUNSETOFFLOAD. */
	int vnet_hdr;
	int offload;
	/* tap.c: a large stack buffer read into and kept while the frames
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
	/* tap.c: shedding SYNs (tap_syn_shed(), syn_shed.c), and whether
	 * the TAP refused the filter (not tried again). */
	struct syn_shed shed;
	bool shed_broken;
	/* capture.c: the capture set while a capture takes frames, else
	 * NULL (tap.c tests it for every frame). */
	struct capture_set *capture;
};

struct daemon {
	struct ev_loop *loop;
	struct config *cfg;
	struct stack *stack;
	struct tap taps[STACK_IF_MAX];
	int ntaps;
	struct control *control;
	/* netconf.c: each interface's settings and their sources; NULL in
	 * tests that run without one. */
	struct netconf *netconf;
	/* syslog_remote.c: log lines to the log server through the stack;
	 * NULL in tests that run without. */
	struct syslog_remote *syslog;
	/* resolver.c: the stub resolver and its transports; NULL in tests
	 * that run without one, and when it could not be made. */
	struct resolver *resolver;
	/* Where resolver_flush() hands each lookup's result: NULL, the
	 * control server (control_dns_on_result()); a test puts its own to
	 * take the results itself. */
	void (*on_dns_result)(struct daemon *d, const struct dns_result *res);
	uint64_t start_ns;
	/* The link under the stack: writes one frame the stack queued
	 * (main.c: to its TAP; a test: to its simulated link). */
	void (*link_send)(struct daemon *d, const struct pkt *p);
	/* What BARRIER promises (docs/ipc.md): reads every frame waiting
	 * on the links into the stack, draining it (daemon_drain) between
	 * batches. Returns the frames read. */
	unsigned (*link_read_all)(struct daemon *d);
	/* Reads at most frames_max frames waiting on each link into the
	 * stack, without waiting, and drains it once (a connect's SYN-ACK
	 * that a peer on this host queued inside the SYN's write:
	 * control_tcp.c, held_turn_cb). Returns the frames read. NULL:
	 * the loop's next turn reads them. */
	unsigned (*link_read_now)(struct daemon *d, unsigned frames_max);
	/* Where the end of a turn hands each stack event (loop.c): NULL,
	 * the control server (control_on_stack_event()); a test of the
	 * loop alone puts its own. */
	void (*on_event)(struct daemon *d, const struct stack_event *ev);
	/* Who is at the other end of an accepted control connection, and
	 * its supplementary groups (*groups allocated, the caller frees
	 * it; NULL with none) (NULL: the kernel's word,
	 * control_peer_cred(); the in-process tests put their own).
	 * Returns 0 or a negative errno. */
	int (*peer_cred)(int fd, struct ucred *cred, gid_t **groups,
			 size_t *ngroups);
	/* loop.c: the end of each turn, the stack's timer */
	ev_prepare turn_end;
	ev_timer stack_timer;
	/* loop.c: busy-polling ([daemon] busy_poll_us): while the idle
	 * watcher is active the loop polls without blocking; it runs only
	 * in a turn whose poll found nothing (busy_idle_ran). */
	struct busy_poll busy;
	ev_idle busy_idle;
	bool busy_idle_ran;
	/* main.c: while a TAP sheds SYNs (tap_syn_shed()), looks again
	 * each half second, so the filter comes off when no frame comes. */
	ev_timer syn_shed_timer;
	uint64_t timer_deadline; /* what stack_timer is armed for */
	size_t turn_tx_max;	 /* daemon_turn_full() from here */
	/* main.c: signals */
	ev_signal sig_term, sig_int, sig_hup;
	int exit_status; /* set before ev_break() */
};

/* True when the stack has queued so many frames this turn (half the
 * pool's small buffers, d->turn_tx_max) that a handler feeding it bulk
 * input (datagrams, stream bytes) should stop and leave the rest to the
 * next turn, so the pool drains (loop.c) before it runs dry. Input left
 * on a readable descriptor is seen again at once: the loop does not
 * block on it. */
static inline bool daemon_turn_full(const struct daemon *d)
{
	return stack_tx_queued(d->stack) >= d->turn_tx_max;
}

/* CLOCK_MONOTONIC in nanoseconds: the `now` handed to the stack
 * (loop.c). */
uint64_t daemon_now(void);

#endif
