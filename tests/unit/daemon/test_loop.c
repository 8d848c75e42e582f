/*
 * test_loop.c - the end of a loop turn (daemon/loop.c) at its bound
 *
 * daemon_drain() repeats "events handled, frames out" while handlers
 * make more events, at most DAEMON_DRAIN_ROUNDS_MAX (16) rounds; with
 * work left it re-arms the stack's timer at once, so the loop does not
 * block while there is some. Here a struct daemon with a real stack
 * and a real libev loop, but no control server: its event handler
 * (d->on_event) answers each READABLE on a UDP socket by reading the
 * datagram and reading in another, so every round makes one more event
 * for as long as the test likes. No root, no TAP.
 *
 * Busy-polling ([daemon] busy_poll_us): a pipe watched by the loop is
 * the work; whether the loop's next poll blocks is whether its idle
 * watcher is active. The window's arithmetic is test_busy_poll.c's.
 */
#include <unistd.h>

#include <ev.h>

#include "config.h"
#include "loop.h"
#include "utcpd.h"

#include "harness.h"

#define UDP_PORT 5000

static struct {
	struct daemon d;
	struct config cfg;
	int sock;
	unsigned handled; /* READABLEs handled */
	unsigned more;	  /* datagrams still to read in, one per event */
	unsigned frames;  /* frames the drain wrote to the link */
	unsigned full;	  /* events handed out in a full turn */
} W;

static void link_send(struct daemon *d, const struct pkt *p)
{
	W.frames++;
}

/* A datagram from the peer to the UDP socket, read in as a TAP would. */
static void datagram_in(void)
{
	struct tframe f;

	t_udp_frame(&f, PEER_ADDR, 7, OUR_ADDR, UDP_PORT, "x", 1);
	t_input(W.d.stack, daemon_now(), &f);
}

/* Reads what is queued; while W.more lasts, reads another in, which
 * makes the queue non-empty again: one more READABLE. */
static void on_event(struct daemon *d, const struct stack_event *ev)
{
	struct udp_datagram dg;

	ck_assert_int_eq(ev->type, STACK_EV_UDP_READABLE);
	W.handled++;
	if (daemon_turn_full(d))
		W.full++;
	while (udp_peek(d->stack, W.sock, &dg) == 0)
		udp_pop(d->stack, W.sock);
	if (W.more > 0) {
		W.more--;
		datagram_in();
	}
}

static void setup_with(uint32_t busy_poll_us)
{
	memset(&W, 0, sizeof(W));
	config_defaults(&W.cfg);
	W.cfg.busy_poll_us = busy_poll_us;
	W.d.cfg = &W.cfg;
	W.d.loop = ev_loop_new(EVFLAG_AUTO);
	ck_assert_ptr_nonnull(W.d.loop);
	W.d.stack = t_stack_lim(&W.cfg.limits);
	t_drain(W.d.stack);
	W.d.link_send = link_send;
	W.d.on_event = on_event;
	W.sock = udp_socket_open(W.d.stack, 0, UDP_PORT, 0, 0);
	ck_assert_int_ge(W.sock, 0);
	daemon_loop_start(&W.d);
}

static void setup(void)
{
	setup_with(0);
}

static void setup_busy(void)
{
	setup_with(CONFIG_BUSY_POLL_US_MAX);
}

static void teardown(void)
{
	W.more = 0;
	daemon_loop_stop(&W.d);
	stack_free(W.d.stack);
	ev_loop_destroy(W.d.loop);
}

START_TEST(test_drain_stops_after_16_rounds_and_comes_back_at_once)
{
	W.more = 1000;
	datagram_in();
	daemon_drain(&W.d);
	/* one event a round, and no more than the bound of rounds */
	ck_assert_uint_eq(W.handled, 16);
	/* work is left: the stack's timer fires at once */
	ck_assert(ev_is_active(&W.d.stack_timer));
	ck_assert_uint_eq(W.d.timer_deadline, 0);
	ck_assert_double_eq(ev_timer_remaining(W.d.loop, &W.d.stack_timer), 0);
	/* and the next turn goes on where this one stopped */
	ev_run(W.d.loop, EVRUN_NOWAIT);
	ck_assert_uint_ge(W.handled, 32);
}
END_TEST

START_TEST(test_drain_ends_when_the_events_end)
{
	W.more = 5;
	datagram_in();
	daemon_drain(&W.d);
	/* the first event and the five it led to, in six rounds; the
	 * seventh found none */
	ck_assert_uint_eq(W.handled, 6);
	ck_assert_uint_ne(W.d.timer_deadline, 0);
	ck_assert_uint_eq(W.frames, 0);
}
END_TEST

/* The turn's input fills the tx queue to the mark (an application's
 * datagrams, as control_udp.c reads them in until daemon_turn_full()),
 * and an event waits: a handler that feeds the stack in bulk
 * (control_tcp.c's channel_input, on a WRITABLE) would be refused by
 * the input's frames alone, and, put back on the hang-up set, meet the
 * same full queue after the next turn's input (priority 0 before -1),
 * turn after turn. The drain writes those frames before it hands the
 * events out, as it did before events went first. */
START_TEST(test_a_turn_filled_by_its_input_leaves_the_handlers_room)
{
	t_learn_peer(W.d.stack);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(udp_send(W.d.stack, daemon_now(), W.sock,
					  PEER_ADDR, 7, "y", 1),
				 0);
	W.d.turn_tx_max = stack_tx_queued(W.d.stack);
	ck_assert_uint_ge(W.d.turn_tx_max, 4);
	ck_assert(daemon_turn_full(&W.d));
	datagram_in();
	daemon_drain(&W.d);
	ck_assert_uint_eq(W.handled, 1);
	ck_assert_uint_eq(W.full, 0);
	ck_assert_uint_eq(W.frames, W.d.turn_tx_max);
	ck_assert_uint_eq(stack_tx_queued(W.d.stack), 0);
}
END_TEST

/* A pipe on the loop: its callback reads what was written, the work
 * of a turn. */
static int pipe_fds[2];
static unsigned pipe_reads;

static void pipe_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	char c;

	ck_assert_int_eq(read(w->fd, &c, 1), 1);
	pipe_reads++;
}

/* Runs `turns` loop turns, each after one byte written to the pipe,
 * with a watcher on it; returns with the watcher stopped. */
static void turns_with_work(ev_io *w, int turns)
{
	ck_assert_int_eq(pipe(pipe_fds), 0);
	pipe_reads = 0;
	ev_io_init(w, pipe_cb, pipe_fds[0], EV_READ);
	ev_io_start(W.d.loop, w);
	for (int i = 0; i < turns; i++) {
		ck_assert_int_eq(write(pipe_fds[1], "x", 1), 1);
		ev_run(W.d.loop, EVRUN_ONCE);
	}
	ck_assert_uint_eq(pipe_reads, (unsigned)turns);
	ev_io_stop(W.d.loop, w);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
}

START_TEST(test_busy_poll_off_the_loop_blocks)
{
	ev_io w;

	turns_with_work(&w, 3);
	ev_run(W.d.loop, EVRUN_NOWAIT); /* the end of the last turn */
	ck_assert(!ev_is_active(&W.d.busy_idle));
	ck_assert_uint_eq(W.d.busy.polls, 0);
	ck_assert_uint_eq(W.d.busy.hits, 0);
}
END_TEST

START_TEST(test_busy_poll_on_after_work_the_next_poll_does_not_block)
{
	ev_io w;

	turns_with_work(&w, 3);
	/* The end of the last turn (it did work): the next poll must not
	 * block, whatever the clock says (the work was 0 ns ago). */
	ev_run(W.d.loop, EVRUN_NOWAIT);
	ck_assert(ev_is_active(&W.d.busy_idle));
	ck_assert_uint_ge(W.d.busy.polls, 1);
}
END_TEST

/* A turn whose only work is a watcher of a priority below the default
 * (control_tcp.c's hup watcher, -1: an application closed its end) did
 * work: its poll is a hit, and the window goes on from it. */
START_TEST(test_busy_poll_work_below_the_default_priority_is_work)
{
	ev_io w, low;
	int fds[2];
	uint64_t hits;

	turns_with_work(&w, 3);
	ev_run(W.d.loop, EVRUN_NOWAIT); /* a busy poll that found nothing */
	ck_assert(ev_is_active(&W.d.busy_idle));
	hits = W.d.busy.hits;

	ck_assert_int_eq(pipe(fds), 0);
	pipe_reads = 0;
	ev_io_init(&low, pipe_cb, fds[0], EV_READ);
	ev_set_priority(&low, -1);
	ev_io_start(W.d.loop, &low);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	ev_run(W.d.loop, EVRUN_NOWAIT); /* the busy poll finds the pipe */
	ck_assert_uint_eq(pipe_reads, 1);
	ev_run(W.d.loop, EVRUN_NOWAIT); /* the end of that turn */
	ck_assert_uint_eq(W.d.busy.hits, hits + 1);
	ev_io_stop(W.d.loop, &low);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* A reload turns busy-polling off in a turn whose poll was busy, and
 * a later one on again: the polls between blocked, so the work of the
 * turn that turned it on was found by no busy poll: no hit. */
START_TEST(test_busy_poll_off_while_polling_then_on_counts_no_hit)
{
	ev_io w;
	uint64_t polls, hits;

	turns_with_work(&w, 3); /* each poll after the first was busy */
	ck_assert(ev_is_active(&W.d.busy_idle));
	polls = W.d.busy.polls;
	hits = W.d.busy.hits;
	daemon_busy_poll_set(&W.d, 0); /* a reload, in the third turn */
	ck_assert(!ev_is_active(&W.d.busy_idle));
	turns_with_work(&w, 2); /* off: polls that blocked */
	ck_assert_uint_eq(W.d.busy.polls, polls);
	daemon_busy_poll_set(&W.d, CONFIG_BUSY_POLL_US_MAX); /* in the 2nd */
	ev_run(W.d.loop, EVRUN_NOWAIT);			     /* its end */
	ck_assert(ev_is_active(&W.d.busy_idle));
	ck_assert_uint_eq(W.d.busy.polls, polls + 1);
	ck_assert_uint_eq(W.d.busy.hits, hits);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("drain");
	TCase *busy = tcase_create("busy_poll");
	TCase *busy_off = tcase_create("busy_poll_off");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc,
		       test_drain_stops_after_16_rounds_and_comes_back_at_once);
	tcase_add_test(tc, test_drain_ends_when_the_events_end);
	tcase_add_test(
	    tc, test_a_turn_filled_by_its_input_leaves_the_handlers_room);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(busy_off, setup, teardown);
	tcase_add_test(busy_off, test_busy_poll_off_the_loop_blocks);
	suite_add_tcase(s, busy_off);
	tcase_add_checked_fixture(busy, setup_busy, teardown);
	tcase_add_test(
	    busy, test_busy_poll_on_after_work_the_next_poll_does_not_block);
	tcase_add_test(busy,
		       test_busy_poll_work_below_the_default_priority_is_work);
	tcase_add_test(busy,
		       test_busy_poll_off_while_polling_then_on_counts_no_hit);
	suite_add_tcase(s, busy);
	return t_run(s);
}
