/*
 * test_cookie.c - the user cookie every stack event carries
 *
 * Two stacks on one wire: A (10.0.0.2, the harness's) and B (10.0.0.1),
 * frames moved between them by pump() until neither has any. Each test
 * attaches cookies to sockets, connections and listeners and checks the
 * events that come out: the cookie of their socket as it is when the
 * event is popped, NULL once the caller has let go of the socket, and
 * none at all once its id is free for another (a closed UDP socket or
 * listener, a connection gone from the table).
 */
#include "harness.h"

static struct stack *peer_stack(void)
{
	struct stack_limits lim;
	struct stack *s;

	stack_limits_default(&lim);
	s = stack_new(&lim, 7);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(stack_if_add(s, "tap0", PEER_MAC, 1500), 0);
	ck_assert_int_eq(stack_if_set_address(s, T0, 0, PEER_ADDR, 24), 0);
	return s;
}

/* Moves frames from each stack to the other until both are quiet. */
static void pump(struct stack *a, struct stack *b, uint64_t now)
{
	bool moved = true;

	while (moved) {
		struct pkt *p;

		moved = false;
		while ((p = stack_pop_tx(a))) {
			struct pkt *q = stack_pkt_alloc(b, p->len);

			ck_assert_ptr_nonnull(q);
			memcpy(q->data, p->data, p->len);
			q->len = p->len;
			q->ifindex = 0;
			stack_pkt_free(a, p);
			stack_input(b, now, q);
			moved = true;
		}
		while ((p = stack_pop_tx(b))) {
			struct pkt *q = stack_pkt_alloc(a, p->len);

			ck_assert_ptr_nonnull(q);
			memcpy(q->data, p->data, p->len);
			q->len = p->len;
			q->ifindex = 0;
			stack_pkt_free(b, p);
			stack_input(a, now, q);
			moved = true;
		}
	}
}

/* Pops events until one of `type` (failing when there is none). */
static struct stack_event pop_type(struct stack *s, enum stack_event_type type)
{
	struct stack_event ev;

	while (stack_pop_event(s, &ev))
		if (ev.type == type)
			return ev;
	ck_abort_msg("no event of type %d", (int)type);
	return ev;
}

START_TEST(test_udp_readable_carries_the_sockets_cookie)
{
	struct stack *a = t_stack(), *b = peer_stack();
	int cookie, sa, sb;
	struct stack_event ev;

	sb = udp_socket_open(b, 0, 7, 0, 0);
	ck_assert_int_ge(sb, 0);
	ck_assert_int_eq(udp_socket_set_user(b, sb, &cookie), 0);
	sa = udp_socket_open(a, 0, 0, 0, 0);
	ck_assert_int_ge(sa, 0);
	ck_assert_int_eq(udp_send(a, T0, sa, PEER_ADDR, 7, "hi", 2), 0);
	pump(a, b, T0);
	ev = pop_type(b, STACK_EV_UDP_READABLE);
	ck_assert_int_eq(ev.sock, sb);
	ck_assert_ptr_eq(ev.user, &cookie);
	stack_free(a);
	stack_free(b);
}
END_TEST

START_TEST(test_udp_event_after_close_is_dropped)
{
	struct stack *a = t_stack(), *b = peer_stack();
	int cookie, sa, sb;
	struct stack_event ev;

	sb = udp_socket_open(b, 0, 7, 0, 0);
	ck_assert_int_eq(udp_socket_set_user(b, sb, &cookie), 0);
	sa = udp_socket_open(a, 0, 0, 0, 0);
	ck_assert_int_eq(udp_send(a, T0, sa, PEER_ADDR, 7, "hi", 2), 0);
	pump(a, b, T0);
	/* The READABLE was queued; closing the socket drops it (its id
	 * may go to the next socket at once). */
	udp_socket_close(b, sb);
	while (stack_pop_event(b, &ev))
		ck_assert(ev.type != STACK_EV_UDP_READABLE || ev.sock != sb);
	stack_free(a);
	stack_free(b);
}
END_TEST

START_TEST(test_tcp_listener_and_connections_carry_their_cookies)
{
	struct stack *a = t_stack(), *b = peer_stack();
	int lcookie, acookie, bcookie, listener, ca, cb;
	struct stack_event ev;
	uint32_t raddr;
	uint16_t rport;

	listener = tcp_listen(b, 0, 80, 8, NULL);
	ck_assert_int_ge(listener, 0);
	ck_assert_int_eq(tcp_listen_set_user(b, listener, &lcookie), 0);
	ca = tcp_connect(a, T0, 0, 0, PEER_ADDR, 80, NULL);
	ck_assert_int_ge(ca, 0);
	ck_assert_int_eq(tcp_set_user(a, ca, &acookie), 0);
	pump(a, b, T0);

	ev = pop_type(a, STACK_EV_TCP_CONNECTED);
	ck_assert_int_eq(ev.sock, ca);
	ck_assert_ptr_eq(ev.user, &acookie);
	ev = pop_type(b, STACK_EV_TCP_ACCEPTABLE);
	ck_assert_int_eq(ev.sock, listener);
	ck_assert_ptr_eq(ev.user, &lcookie);

	/* Data that arrives before the accept: the READABLE event that
	 * tcp_accept() queues carries the cookie set after it. */
	ck_assert_int_eq(tcp_send(a, T0, ca, "data", 4), 4);
	pump(a, b, T0);
	cb = tcp_accept(b, listener, &raddr, &rport);
	ck_assert_int_ge(cb, 0);
	ck_assert_int_eq(tcp_set_user(b, cb, &bcookie), 0);
	ev = pop_type(b, STACK_EV_TCP_READABLE);
	ck_assert_int_eq(ev.sock, cb);
	ck_assert_ptr_eq(ev.user, &bcookie);
	stack_free(a);
	stack_free(b);
}
END_TEST

START_TEST(test_tcp_event_after_close_carries_null)
{
	struct stack *a = t_stack(), *b = peer_stack();
	int cookie, listener, ca;
	struct stack_event ev;

	listener = tcp_listen(b, 0, 80, 8, NULL);
	ck_assert_int_ge(listener, 0);
	ca = tcp_connect(a, T0, 0, 0, PEER_ADDR, 80, NULL);
	ck_assert_int_eq(tcp_set_user(a, ca, &cookie), 0);
	pump(a, b, T0);
	/* Closed by the caller: the connection stays (it finishes as an
	 * orphan) but is the caller's no more; CONNECTED is still queued
	 * and carries NULL. */
	tcp_close(a, T0, ca);
	ev = pop_type(a, STACK_EV_TCP_CONNECTED);
	ck_assert_ptr_null(ev.user);
	/* Nor can a cookie be set on a connection let go of. */
	ck_assert_int_eq(tcp_set_user(a, ca, &cookie), -EBADF);
	stack_free(a);
	stack_free(b);
}
END_TEST

START_TEST(test_tcp_events_of_a_freed_id_are_dropped)
{
	struct stack_limits lim;
	struct stack *a, *b = peer_stack();
	int old_cookie, new_cookie, listener, ca, cn, seen = 0;
	struct stack_event ev;

	stack_limits_default(&lim);
	lim.tcp_conns_max = 2; /* ids 0 and 1: the next id is easy to tell */
	a = t_stack_lim(&lim);
	listener = tcp_listen(b, 0, 80, 8, NULL);
	ck_assert_int_ge(listener, 0);
	ca = tcp_connect(a, T0, 0, 0, PEER_ADDR, 80, NULL);
	ck_assert_int_eq(tcp_set_user(a, ca, &old_cookie), 0);
	pump(a, b, T0);
	/* CONNECTED is queued; the abort frees the id, and a connection
	 * made next is given it again: it must not get the old one's
	 * event, with its own cookie on it. */
	tcp_abort(a, T0, ca);
	ck_assert_int_ge(tcp_connect(a, T0, 0, 0, PEER_ADDR, 80, NULL), 0);
	cn = tcp_connect(a, T0, 0, 0, PEER_ADDR, 80, NULL);
	ck_assert_int_eq(cn, ca);
	ck_assert_int_eq(tcp_set_user(a, cn, &new_cookie), 0);
	while (stack_pop_event(a, &ev))
		ck_assert(ev.type != STACK_EV_TCP_CONNECTED);
	pump(a, b, T0);
	while (stack_pop_event(a, &ev)) {
		if (ev.type == STACK_EV_TCP_CONNECTED && ev.sock == cn) {
			ck_assert_ptr_eq(ev.user, &new_cookie);
			seen++;
		}
	}
	ck_assert_int_eq(seen, 1);

	/* A listener closed with ACCEPTABLE queued: a new listener given
	 * its id does not get it. */
	tcp_abort(a, T0, ca);
	ca = tcp_connect(a, T0, 0, 0, PEER_ADDR, 80, NULL);
	ck_assert_int_ge(ca, 0);
	pump(a, b, T0);
	tcp_listen_close(b, T0, listener);
	ck_assert_int_eq(tcp_listen(b, 0, 81, 8, NULL), listener);
	while (stack_pop_event(b, &ev))
		ck_assert(ev.type != STACK_EV_TCP_ACCEPTABLE);
	stack_free(a);
	stack_free(b);
}
END_TEST

START_TEST(test_set_user_on_a_bad_id_is_ebadf)
{
	struct stack *s = t_stack();
	int cookie;

	ck_assert_int_eq(udp_socket_set_user(s, 3, &cookie), -EBADF);
	ck_assert_int_eq(udp_socket_set_user(s, -1, &cookie), -EBADF);
	ck_assert_int_eq(tcp_set_user(s, 5, &cookie), -EBADF);
	ck_assert_int_eq(tcp_listen_set_user(s, 0, &cookie), -EBADF);
	ck_assert_int_eq(tcp_listen_set_user(s, 1 << 20, &cookie), -EBADF);
	stack_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cookie");
	TCase *tc = tcase_create("cookie");

	tcase_add_test(tc, test_udp_readable_carries_the_sockets_cookie);
	tcase_add_test(tc, test_udp_event_after_close_is_dropped);
	tcase_add_test(tc,
		       test_tcp_listener_and_connections_carry_their_cookies);
	tcase_add_test(tc, test_tcp_event_after_close_carries_null);
	tcase_add_test(tc, test_tcp_events_of_a_freed_id_are_dropped);
	tcase_add_test(tc, test_set_user_on_a_bad_id_is_ebadf);
	suite_add_tcase(s, tc);
	return t_run(s);
}
