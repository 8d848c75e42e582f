/*
 * daemon_harness.h - the real daemon loop in process, over a simulated
 * link to a peer stack (shared by test_control.c and test_resolver.c)
 *
 * No root, no TAP. The daemon's side is built as utcpd builds it (the
 * control library: loop.c, control*.c, resolver.c ...) around a struct
 * daemon whose link is the simulator of tests/sim: d->link_send hands
 * each frame to a scripted node ("utcpd") on a wire to a peer stack
 * ("peer", HARNESS_PEER_ADDR; the daemon's stack is
 * HARNESS_DAEMON_ADDR on interface 0, "sim0"), and frames reaching that
 * node wait in a queue, as at a TAP, until a read of the link takes them
 * to stack_input(): the 1 ms timer (below: every frame waiting), BARRIER's
 * d->link_read_all, or d->link_read_now (at most its frames_max).
 * Captures see each frame read and each frame to write, as at a TAP. The
 * control socket is a real Unix socket in a temporary directory.
 *
 * Threads: the libev loop runs in a thread of its own (the daemon, the
 * simulator and the peer's stack are only ever touched there); the test
 * thread is the application. A 1 ms timer on the loop moves the
 * simulation to the loop's clock, so the simulated time follows
 * CLOCK_MONOTONIC. The test thread runs code on the loop (to steer the
 * peer or look at the daemon) with on_loop(), and waits for a condition
 * with wait_until(). raw_reply() and status_records() speak the control
 * protocol without libutcp.
 *
 * The test brings the peer's applications: its event callback, and a
 * function that opens their sockets before the loop runs.
 */
#ifndef UTCPD_TEST_DAEMON_HARNESS_H
#define UTCPD_TEST_DAEMON_HARNESS_H

#include <ev.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "ipc.h"
#include "sim.h"
#include "utcpd.h"

#define HARNESS_DAEMON_ADDR 0x0a000002u /* 10.0.0.2 */
#define HARNESS_PEER_ADDR   0x0a000001u /* 10.0.0.1 */
#define WAIT_MS		    5000 /* the longest any condition is waited for */
#define HARNESS_RX_QUEUE    4096 /* frames the daemon's end of the link holds */

/* What a test changes of the harness. Every member may be NULL. */
struct harness_opts {
	/* Changes the configuration (over config_defaults() and the
	 * harness's name and log level) before anything is made of it. */
	void (*config)(struct config *cfg);
	/* The peer's event callback and its argument. */
	sim_event_fn peer_event;
	void *peer_arg;
	/* Opens the peer's applications on its stack (before the loop). */
	void (*peer_apps)(struct stack *peer);
	/* A frame of the daemon's the test takes instead of the wire
	 * (returns true then): e.g. one for a second interface. */
	bool (*link_tap)(const struct pkt *p);
	/* Runs once the daemon is set up, before the loop thread starts;
	 * and after it stopped and the control server went, before the
	 * loop's last drain. */
	void (*before_run)(void);
	void (*after_run)(void);
};

struct harness {
	struct daemon d;
	struct config cfg;
	struct sim *sim;
	struct sim_node *wire; /* the daemon's end of the link */
	struct stack *peer;    /* the peer's stack */
	struct harness_opts opts;
	ev_timer tick;
	ev_async call;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	void (*fn)(void *arg);
	void *arg;
	char dir[64];
	char path[128]; /* the control socket */
	/* The credentials the next accepted client is said to have
	 * (d->peer_cred): in process every client is this test, root. */
	uid_t next_uid;
	gid_t next_gid;
	gid_t next_group; /* a supplementary group; 0: none */
	/* The longest the stack's tx queue was when a drain began. */
	size_t tx_peak;
	/* Frames the daemon's end of the link dropped, its queue full. */
	uint64_t rx_dropped;
	/* The last link_read_now: its frames_max, the frames waiting when
	 * it began (after the simulation ran up to now), those it read,
	 * and how many calls there were. */
	struct {
		unsigned frames_max, waiting, read;
		uint64_t calls;
	} read_now;
};

extern struct harness H;

/* The frames waiting at the daemon's end of the link, not read yet
 * (on the loop). */
unsigned harness_rx_queued(void);

/* Makes the world (check fixture's setup) and starts the loop thread. */
void harness_setup(const struct harness_opts *opts);

/* Stops the loop thread and frees the world (fixture's teardown). */
void harness_teardown(void);

/* Runs fn(arg) in the loop thread, between two callbacks, and returns
 * once it has. */
void on_loop(void (*fn)(void *arg), void *arg);

/* A predicate evaluated on the loop: on_loop(probe_fn, &probe) sets
 * probe.result to probe.pred(). */
struct probe {
	bool (*pred)(void);
	bool result;
};

void probe_fn(void *arg);

/* Waits (up to WAIT_MS) until pred(), evaluated on the loop, holds. */
bool wait_until(bool (*pred)(void));

/* Receives one reply on a raw control connection: the message, and the
 * descriptor it carried (-1 when none). */
void raw_reply(int fd, uint8_t *buf, size_t cap, struct ipc_msg *m,
	       int *passed);

/* Opens a raw control connection and says HELLO (versions
 * IPC_VERSION_MIN..version_max); checks the reply (status 0, no
 * descriptor) and fills *hr. Returns the connection's descriptor. */
int raw_hello(uint16_t version_max, struct ipc_hello_reply *hr);

/* Asks for a STATUS on a raw control connection of its own (HELLO up
 * to version_max) and hands each record to fn. Returns the version the
 * daemon agreed to. */
int status_records(uint16_t version_max,
		   void (*fn)(const struct ipc_record *r, void *arg),
		   void *arg);

#endif
