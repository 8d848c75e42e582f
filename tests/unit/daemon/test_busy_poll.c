/*
 * test_busy_poll.c - whether the loop polls again without blocking
 * (daemon/busy_poll.c)
 *
 * Turns at chosen times, with or without work: the decision against
 * its window, at the window's edge, and its counters. No clock.
 */
#include <check.h>

#include "busy_poll.h"

#include "harness.h"

#define US	1000ull
#define T_START (5 * 1000000000ull) /* a clock that has run a while */

START_TEST(test_off_never_polls)
{
	struct busy_poll b;

	busy_poll_init(&b, 0);
	ck_assert(!busy_poll_turn(&b, T_START, true));
	ck_assert(!busy_poll_turn(&b, T_START + 1, true));
	ck_assert(!busy_poll_turn(&b, T_START + 2, false));
	ck_assert_uint_eq(b.polls, 0);
	ck_assert_uint_eq(b.hits, 0);
}
END_TEST

START_TEST(test_no_work_yet_no_polling)
{
	struct busy_poll b;

	busy_poll_init(&b, 50 * US);
	/* a turn that found nothing (a signal ...) starts no window */
	ck_assert(!busy_poll_turn(&b, T_START, false));
	ck_assert_uint_eq(b.polls, 0);
}
END_TEST

START_TEST(test_polls_until_the_window_after_the_last_work)
{
	struct busy_poll b;

	busy_poll_init(&b, 50 * US);
	ck_assert(busy_poll_turn(&b, T_START, true));
	ck_assert_uint_eq(b.polls, 1);
	/* empty polls inside the window keep polling */
	ck_assert(busy_poll_turn(&b, T_START + 10 * US, false));
	ck_assert(busy_poll_turn(&b, T_START + 50 * US - 1, false));
	/* at the window's end it blocks */
	ck_assert(!busy_poll_turn(&b, T_START + 50 * US, false));
	ck_assert_uint_eq(b.polls, 3);
	ck_assert_uint_eq(b.hits, 0);
}
END_TEST

START_TEST(test_work_found_by_a_busy_poll_is_a_hit_and_restarts_the_window)
{
	struct busy_poll b;

	busy_poll_init(&b, 50 * US);
	ck_assert(busy_poll_turn(&b, T_START, true));
	ck_assert(busy_poll_turn(&b, T_START + 40 * US, true)); /* a hit */
	ck_assert_uint_eq(b.hits, 1);
	/* the window counts from the last work */
	ck_assert(busy_poll_turn(&b, T_START + 89 * US, false));
	ck_assert(!busy_poll_turn(&b, T_START + 90 * US, false));
	/* work after blocking is no hit, and opens a window again */
	ck_assert(busy_poll_turn(&b, T_START + 1000 * US, true));
	ck_assert_uint_eq(b.hits, 1);
	ck_assert_uint_eq(b.polls, 4);
}
END_TEST

START_TEST(test_off_ends_the_polling_and_on_again_counts_no_stale_hit)
{
	struct busy_poll b;

	busy_poll_init(&b, 50 * US);
	ck_assert(busy_poll_turn(&b, T_START, true));
	busy_poll_set_window(&b, 0); /* a reload, while polling */
	ck_assert(!b.polling);
	busy_poll_set_window(&b, 50 * US); /* a later one */
	/* the poll that found this work blocked: no hit */
	ck_assert(busy_poll_turn(&b, T_START + 45000000 * US, true));
	ck_assert_uint_eq(b.hits, 0);
	ck_assert_uint_eq(b.polls, 2);
	/* a window changed while polling goes on polling */
	busy_poll_set_window(&b, 80 * US);
	ck_assert(b.polling);
	ck_assert(busy_poll_turn(&b, T_START + 45000000 * US + 60 * US, false));
}
END_TEST

START_TEST(test_the_largest_window)
{
	struct busy_poll b;

	/* [daemon] busy_poll_us at its maximum, 1 s */
	busy_poll_init(&b, 1000000 * US);
	ck_assert(busy_poll_turn(&b, T_START, true));
	ck_assert(busy_poll_turn(&b, T_START + 1000000 * US - 1, false));
	ck_assert(!busy_poll_turn(&b, T_START + 1000000 * US, false));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("busy_poll");
	TCase *tc = tcase_create("window");

	tcase_add_test(tc, test_off_never_polls);
	tcase_add_test(tc, test_no_work_yet_no_polling);
	tcase_add_test(tc, test_polls_until_the_window_after_the_last_work);
	tcase_add_test(
	    tc,
	    test_work_found_by_a_busy_poll_is_a_hit_and_restarts_the_window);
	tcase_add_test(tc, test_the_largest_window);
	tcase_add_test(
	    tc, test_off_ends_the_polling_and_on_again_counts_no_stale_hit);
	suite_add_tcase(s, tc);
	return t_run(s);
}
