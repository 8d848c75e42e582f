/*
 * test_loop.c - the end of a loop turn (daemon/loop.c) at its bound
 *
 * daemon_drain() repeats "frames out, events handled" while handlers
 * make more events, at most DAEMON_DRAIN_ROUNDS_MAX (16) rounds; with
 * work left it re-arms the stack's timer at once, so the loop does not
 * block while there is some. Here a struct daemon with a real stack
 * and a real libev loop, but no control server: its event handler
 * (d->on_event) answers each READABLE on a UDP socket by reading the
 * datagram and reading in another, so every round makes one more event
 * for as long as the test likes. No root, no TAP.
 */
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
	while (udp_peek(d->stack, W.sock, &dg) == 0)
		udp_pop(d->stack, W.sock);
	if (W.more > 0) {
		W.more--;
		datagram_in();
	}
}

static void setup(void)
{
	memset(&W, 0, sizeof(W));
	config_defaults(&W.cfg);
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

int main(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("drain");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc,
		       test_drain_stops_after_16_rounds_and_comes_back_at_once);
	tcase_add_test(tc, test_drain_ends_when_the_events_end);
	suite_add_tcase(s, tc);
	return t_run(s);
}
