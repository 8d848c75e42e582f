/*
 * busy_poll.h - whether the loop polls again without blocking
 *
 * A request/response exchange wakes the daemon twice per round trip:
 * the application's request, then the peer's answer. Each wakeup is a
 * scheduler hand-off (the blocked epoll_wait made runnable, then run).
 * Busy-polling, as Linux's
 * net.core.busy_poll does for a socket, trades CPU for those hand-offs:
 * after a loop turn that did work the loop polls again with a zero
 * timeout, turn after turn, for as long as work keeps coming; once
 * `window` nanoseconds have passed since the last turn that did work,
 * it blocks as usual. It never spins longer than the window after the
 * last work, and a window of 0 (the default) is off. Whether it pays
 * depends on what a hand-off costs beside a system call (each empty
 * poll is one) and on a spare core: on the benchmark's 2-core guest it
 * about halves the round trip while a core is idle, and costs when
 * both are busy (tests/bench/README.md, "Busy-polling, session 14").
 *
 * This is the decision alone, against a clock it is given, so that it
 * is tested without time (tests/unit/daemon/test_busy_poll.c); loop.c
 * asks it at the end of every turn (docs/design.md, "Busy-polling").
 */
#ifndef UTCPD_BUSY_POLL_H
#define UTCPD_BUSY_POLL_H

#include <stdbool.h>
#include <stdint.h>

struct busy_poll {
	uint64_t window;    /* ns of polling after the last work; 0: off */
	uint64_t last_work; /* when the last turn that did work ended */
	bool polling;	    /* the coming poll does not block */
	uint64_t polls;	    /* polls made without blocking */
	uint64_t hits;	    /* of those, polls that found work */
};

/* Off or on with a window of `window_ns` nanoseconds; counters at 0. */
void busy_poll_init(struct busy_poll *b, uint64_t window_ns);

/* The window set to `window_ns` (a reload), the counters kept. Off (0)
 * also ends the polling: the coming poll blocks, so the work it finds
 * is no hit when the window comes back. */
void busy_poll_set_window(struct busy_poll *b, uint64_t window_ns);

/*
 * The end of a loop turn at `now` (ns, CLOCK_MONOTONIC), `worked` when
 * its poll found something to do (a descriptor, a timer). Counts a hit
 * when that poll was a busy one. Returns true when the next poll must
 * not block: the window is on and the last work is less than it ago.
 */
bool busy_poll_turn(struct busy_poll *b, uint64_t now, bool worked);

#endif
