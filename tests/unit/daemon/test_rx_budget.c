/*
 * test_rx_budget.c - how many frames one wakeup reads from a TAP
 * (daemon/rx_budget.c)
 *
 * A model TAP with `waiting` frames: a wakeup reads up to its budget,
 * and a read that finds nothing (the TAP empty before the budget is
 * spent) is counted, as it is the system call the budget saves.
 */
#include <check.h>

#include "rx_budget.h"

#include "harness.h"

struct model {
	struct rx_budget b;
	unsigned waiting;     /* frames in the TAP's queue */
	unsigned empty_reads; /* reads that found nothing */
	unsigned reads;	      /* reads that found a frame */
};

/* One wakeup in loop iteration `it`: returns the frames read. */
static unsigned wake(struct model *m, unsigned it)
{
	unsigned budget = rx_budget_begin(&m->b, it), got = 0;
	bool drained = false;

	while (got < budget) {
		if (m->waiting == 0) {
			m->empty_reads++;
			drained = true;
			break;
		}
		m->waiting--;
		m->reads++;
		got++;
	}
	rx_budget_end(&m->b, got, drained);
	return got;
}

/* Request/response: one frame per wakeup, the next one only after the
 * loop went round (our reply, then the peer's answer): never a read
 * that finds nothing, the budget stays at one. */
START_TEST(test_one_frame_per_wakeup_never_reads_empty)
{
	struct model m = {0};

	rx_budget_init(&m.b);
	for (unsigned it = 10; it < 10 + 2 * 1000; it += 2) {
		m.waiting = 1;
		ck_assert_uint_eq(wake(&m, it), 1);
	}
	ck_assert_uint_eq(m.reads, 1000);
	ck_assert_uint_eq(m.empty_reads, 0);
	ck_assert_uint_eq(m.b.budget, 1);
}
END_TEST

/* Two frames at once: the first wakeup reads one, the loop comes back
 * at once for the second (budget two), finds the TAP empty after it,
 * and the budget goes back to one. */
START_TEST(test_a_pair_of_frames_costs_one_empty_read)
{
	struct model m = {.waiting = 2};

	rx_budget_init(&m.b);
	ck_assert_uint_eq(wake(&m, 1), 1);
	ck_assert_uint_eq(wake(&m, 2), 1);
	ck_assert_uint_eq(m.empty_reads, 1);
	ck_assert_uint_eq(m.b.budget, 1);
	m.waiting = 1;
	ck_assert_uint_eq(wake(&m, 5), 1);
	ck_assert_uint_eq(m.empty_reads, 1);
}
END_TEST

/* Bulk: frames keep coming, every loop iteration wakes for the TAP:
 * the budget doubles to RX_BUDGET_MAX and stays there, never above. */
START_TEST(test_bulk_grows_to_the_maximum_and_no_further)
{
	struct model m = {.waiting = 100000};
	unsigned it = 1, want = 1;

	rx_budget_init(&m.b);
	while (want < RX_BUDGET_MAX) {
		ck_assert_uint_eq(wake(&m, it++), want);
		want *= 2;
	}
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq(wake(&m, it++), RX_BUDGET_MAX);
	ck_assert_uint_eq(m.b.budget, RX_BUDGET_MAX);
	ck_assert_uint_eq(m.empty_reads, 0);
	/* A full wakeup followed by one in a later iteration (the loop
	 * blocked in between): no growth, and none needed. */
	ck_assert_uint_eq(wake(&m, it + 5), RX_BUDGET_MAX);
}
END_TEST

/* The flow stops: each wakeup that finds the TAP empty first halves
 * the budget, down to one and not below. */
START_TEST(test_drained_wakeups_shrink_to_one)
{
	struct model m = {.waiting = 100000};
	unsigned it = 1, halvings = 0;

	rx_budget_init(&m.b);
	while (m.b.budget < RX_BUDGET_MAX || !m.b.full)
		wake(&m, it++);
	m.waiting = 0;
	while (m.b.budget > 1) {
		ck_assert_uint_eq(wake(&m, it += 2), 0);
		halvings++;
	}
	ck_assert_uint_eq(halvings, 6); /* 64 -> 1 */
	ck_assert_uint_eq(wake(&m, it += 2), 0);
	ck_assert_uint_eq(m.b.budget, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rx_budget");
	TCase *tc = tcase_create("budget");

	tcase_add_test(tc, test_one_frame_per_wakeup_never_reads_empty);
	tcase_add_test(tc, test_a_pair_of_frames_costs_one_empty_read);
	tcase_add_test(tc, test_bulk_grows_to_the_maximum_and_no_further);
	tcase_add_test(tc, test_drained_wakeups_shrink_to_one);
	suite_add_tcase(s, tc);
	return t_run(s);
}
