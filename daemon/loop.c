/*
 * loop.c - the end of each loop turn: the stack's output, its events,
 * its timer
 *
 * Theory of operation. Every watcher of the daemon (a TAP readable, a
 * control request, an application's socket readable, the stack's timer)
 * only hands the stack its input. What the stack wants done in return
 * waits in its queues until the end of the turn: an ev_prepare watcher,
 * which libev runs after every pending callback of the turn and just
 * before it blocks, calls daemon_drain(). That
 *
 *   0. hands the stack's DHCP reports to netconf.c (logged, leases
 *      saved, settings updated), sends the log lines queued for the
 *      remote syslog server (syslog_remote.c) through the stack, and
 *      moves the stub resolver's work (resolver.c): its servers and
 *      search list follow the settings just updated, its queries go
 *      out through the stack, its results to the control server;
 *   1. hands the events queued when the round began to the resolver
 *      when they are its sockets', else to the control server, whose
 *      handlers may give the stack more input (a window update, an
 *      accepted connection, data that waited for room; an answer to
 *      the resolver) and so make more frames, events and results;
 *      the events wait for the next round;
 *   2. writes every queued frame to its link (d->link_send: the TAPs,
 *      or a test's simulated link), those of the stack's input and of
 *      the handlers alike, in the stack's order, and gives its buffer
 *      back. The events go first because a frame's write can be long
 *      and can hand the CPU to another process: at a TAP the kernel
 *      receives the frame inside the write, so the ACK that completes
 *      a handshake wakes the kernel's listener there, which often
 *      runs before the write returns. Events first, the application
 *      whose connect completed has its descriptor before that ACK is
 *      written (as a kernel socket's connect() wakes its caller before
 *      its ACK goes), and bytes reach an application before the ACK
 *      that acknowledges them. Only when the frames queued already
 *      fill the turn (daemon_turn_full: an application's datagrams or
 *      bytes read in to the mark) do they go before the events, so
 *      that the handlers which feed the stack in bulk have the room
 *      they had when frames went first:
 *      so 0, 1 and 2 repeat until a round finds no event, at most
 *      DAEMON_DRAIN_ROUNDS_MAX rounds (handlers that keep making events
 *      cannot hold the turn for ever);
 *   3. re-arms the stack's timer at stack_next_deadline(), or at once
 *      when the rounds ran out with work left, so the loop does not
 *      block while there is some;
 *   4. with busy-polling on ([daemon] busy_poll_us, busy_poll.h), asks
 *      whether the coming poll may block: after a turn that did work,
 *      and until busy_poll_us have passed without any, an active
 *      ev_idle watcher makes libev poll with a zero timeout. libev
 *      queues an idle watcher only in a turn that found nothing else
 *      to do, so its callback running is how a turn is known to have
 *      found no work.
 *
 * Nothing is re-entered: event handlers never drain. The other callers
 * are BARRIER, which reads the TAPs in batches and drains between
 * them (its promise in docs/ipc.md), and the end of a turn that held a
 * non-blocking connect's reply (control_tcp.c, held_turn_cb, another
 * ev_prepare, after this one), which reads the TAPs once more
 * (d->link_read_now) and drains.
 *
 * Bounds between two drains. The event queue cannot overflow (stack.h:
 * an event is queued at most once per socket and kind until acted on).
 * The tx queue is a list, but each frame holds a buffer of the pool:
 * handlers that feed the stack in bulk (the UDP and TCP data paths)
 * stop when daemon_turn_full() says half the pool's small buffers wait
 * in it, and go on next turn.
 */
#include "loop.h"

#include <ev.h>
#include <stdint.h>
#include <time.h>

#include "control.h"
#include "control_ping.h"
#include "netconf.h"
#include "resolver.h"
#include "syslog_remote.h"
#include "utcpd.h"

/* Rounds of draining tx and events in one daemon_drain(); events that
 * keep making events beyond this are left for the next turn. */
#define DAEMON_DRAIN_ROUNDS_MAX 16

uint64_t daemon_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * STACK_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

void daemon_timer_arm(struct daemon *d, ev_timer *t, uint64_t *armed,
		      uint64_t deadline)
{
	uint64_t now;
	double delay = 0;

	/* The timer already runs to this deadline: nothing to do. */
	if (deadline == *armed &&
	    (deadline == STACK_NO_DEADLINE || ev_is_active(t)))
		return;
	ev_timer_stop(d->loop, t);
	*armed = deadline;
	if (deadline == STACK_NO_DEADLINE)
		return;
	now = daemon_now();
	if (deadline > now)
		delay = (double)(deadline - now) / 1e9;
	/* libev counts the delay from its cached loop time, which may be
	 * late by the work done since the loop woke. */
	ev_now_update(d->loop);
	ev_timer_set(t, delay, 0.);
	ev_timer_start(d->loop, t);
}

static void rearm_stack_timer(struct daemon *d, bool at_once)
{
	daemon_timer_arm(d, &d->stack_timer, &d->timer_deadline,
			 at_once ? 0 : stack_next_deadline(d->stack));
}

/* Writes every queued frame to its link, in the stack's order. */
static void link_write_queued(struct daemon *d)
{
	struct pkt *p;

	while ((p = stack_pop_tx(d->stack))) {
		d->link_send(d, p);
		stack_pkt_free(d->stack, p);
	}
}

void daemon_drain(struct daemon *d)
{
	struct stack_event ev;
	size_t events, n;
	int round;

	for (round = 0; round < DAEMON_DRAIN_ROUNDS_MAX; round++) {
		netconf_drain_reports(d);
		syslog_remote_flush(d);
		resolver_follow(d);
		resolver_flush(d);
		control_ping_flush(d);
		/* The events queued now; those their handlers make wait
		 * for the next round. */
		events = stack_events_queued(d->stack);
		/* Unless the frames already fill the turn: handlers that
		 * feed the stack in bulk (a channel woken by WRITABLE)
		 * would find no room, and on the hang-up set the next
		 * turn's input would fill it again before them. */
		if (events && daemon_turn_full(d))
			link_write_queued(d);
		for (n = 0; n < events && stack_pop_event(d->stack, &ev); n++) {
			if (resolver_on_stack_event(d, &ev))
				continue;
			if (d->on_event)
				d->on_event(d, &ev);
			else if (d->control)
				control_on_stack_event(d, &ev);
		}
		/* Then the frames, the handlers' after the input's. */
		link_write_queued(d);
		if (!events)
			break;
	}
	/* Lines the last round's handlers logged go now, not whenever the
	 * loop next wakes. */
	if (syslog_remote_flush(d))
		link_write_queued(d);
	rearm_stack_timer(d, round == DAEMON_DRAIN_ROUNDS_MAX);
}

/* Runs only in a turn whose poll found nothing (libev queues idle
 * watchers when nothing of their priority or above is pending: this
 * one has the lowest). A turn in which another idle watcher of a
 * higher priority runs (control_tcp.c's, which make pairs ahead or
 * keep a held connect's turn short) counts as one that worked. */
static void busy_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct daemon *d = w->data;

	d->busy_idle_ran = true;
}

static void turn_end_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct daemon *d = w->data;
	bool worked = !d->busy_idle_ran;

	daemon_drain(d);
	if (!d->busy.window)
		return;
	d->busy_idle_ran = false;
	if (busy_poll_turn(&d->busy, daemon_now(), worked))
		ev_idle_start(loop, &d->busy_idle);
	else
		ev_idle_stop(loop, &d->busy_idle);
}

static void stack_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;

	stack_timer(d->stack, daemon_now());
}

void daemon_loop_start(struct daemon *d)
{
	d->turn_tx_max = d->cfg->limits.pkt_small_max / 2;
	if (d->turn_tx_max == 0)
		d->turn_tx_max = 1;
	d->timer_deadline = STACK_NO_DEADLINE;
	ev_init(&d->stack_timer, stack_timer_cb);
	d->stack_timer.data = d;
	ev_prepare_init(&d->turn_end, turn_end_cb);
	d->turn_end.data = d;
	ev_prepare_start(d->loop, &d->turn_end);
	busy_poll_init(&d->busy, (uint64_t)d->cfg->busy_poll_us * 1000);
	d->busy_idle_ran = false;
	ev_idle_init(&d->busy_idle, busy_idle_cb);
	/* The lowest priority: libev runs an idle watcher when nothing
	 * of its priority or above is pending, so at the default one it
	 * would run beside a pending watcher below it (control_tcp.c's
	 * hup watcher, -1) and call that turn's work none. */
	ev_set_priority(&d->busy_idle, EV_MINPRI);
	d->busy_idle.data = d;
}

void daemon_busy_poll_set(struct daemon *d, uint32_t us)
{
	busy_poll_set_window(&d->busy, (uint64_t)us * 1000);
	if (!us)
		ev_idle_stop(d->loop, &d->busy_idle);
}

void daemon_loop_stop(struct daemon *d)
{
	ev_prepare_stop(d->loop, &d->turn_end);
	ev_idle_stop(d->loop, &d->busy_idle);
	daemon_drain(d);
	ev_timer_stop(d->loop, &d->stack_timer);
}
