/*
 * loop.h - the end of each loop turn: the stack's output, its events,
 * its timer
 *
 * See loop.c. Handlers only hand the stack its input (a frame, a user
 * call); what the stack wants done in return happens once per turn of
 * the libev loop, just before it blocks.
 */
#ifndef UTCPD_LOOP_H
#define UTCPD_LOOP_H

#include <ev.h>
#include <stdint.h>

struct daemon;

/* Starts the end-of-turn watcher and the stack's timer on d->loop
 * (d->stack, d->cfg and d->link_send are set), and busy-polling when
 * d->cfg->busy_poll_us says so. */
void daemon_loop_start(struct daemon *d);

/* Busy-polling's window set to `us` microseconds ([daemon] busy_poll_us
 * by a reload): 0 turns it off, and the loop blocks from its next poll
 * on. */
void daemon_busy_poll_set(struct daemon *d, uint32_t us);

/* Stops the watchers, then drains once more: the frames that closing
 * the sockets queued still reach their links. */
void daemon_loop_stop(struct daemon *d);

/*
 * Drains the stack: its tx queue to d->link_send(), its events to the
 * control server, a bounded number of rounds (an event's handler may
 * give the stack more input), then re-arms the stack's timer (at once
 * when work is left). Called at the end of every turn, and by a
 * BARRIER between its batches of frames: nobody else calls it.
 */
void daemon_drain(struct daemon *d);

/*
 * Arms the one-shot timer t to fire at `deadline` (CLOCK_MONOTONIC
 * nanoseconds, as daemon_now(); 0 = at once; STACK_NO_DEADLINE =
 * never: stopped). *armed holds the deadline it runs to: nothing is
 * done when that is already the one. For the stack's timer and the
 * resolver's.
 */
void daemon_timer_arm(struct daemon *d, ev_timer *t, uint64_t *armed,
		      uint64_t deadline);

#endif
