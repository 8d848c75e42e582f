/*
 * rx_budget.h - how many frames one wakeup reads from a TAP
 *
 * A read that finds nothing costs a system call as dear as one that
 * finds a frame. Request/response traffic brings one frame per wakeup,
 * so a fixed batch (read until EAGAIN) pays an empty read for each;
 * bulk traffic brings many, and a batch of one would pay a wakeup for
 * each. The budget adapts as NAPI's polling does: it starts at one
 * frame; a wakeup that reads its whole budget returns to the loop
 * without the empty read (the TAP's level-triggered watcher wakes the
 * loop again at once if more wait); when that next wakeup comes in the
 * very next loop iteration (frames keep coming) the budget doubles, up
 * to RX_BUDGET_MAX; a wakeup that finds the TAP empty (its read hit
 * EAGAIN) before spending its budget halves it, down to one.
 */
#ifndef UTCPD_RX_BUDGET_H
#define UTCPD_RX_BUDGET_H

#include <stdbool.h>

/* Frames one wakeup may read at most, so one busy TAP cannot starve
 * the others or the control socket. */
#define RX_BUDGET_MAX 64

struct rx_budget {
	unsigned budget;    /* frames this wakeup may read: 1..RX_BUDGET_MAX */
	unsigned iteration; /* the loop iteration of the last wakeup */
	bool full;	    /* the last wakeup read its whole budget */
};

/* A budget of one frame, no wakeup seen. */
void rx_budget_init(struct rx_budget *b);

/* A wakeup in loop iteration `iteration` (ev_iteration()): returns how
 * many frames it may read (doubled when the last wakeup spent its
 * budget and was in the iteration before). */
unsigned rx_budget_begin(struct rx_budget *b, unsigned iteration);

/* The wakeup read `got` frames; `drained` when a read found the TAP
 * empty (or failed). */
void rx_budget_end(struct rx_budget *b, unsigned got, bool drained);

#endif
