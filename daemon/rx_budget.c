/*
 * rx_budget.c - how many frames one wakeup reads from a TAP (the
 * theory is in rx_budget.h)
 */
#include "rx_budget.h"

void rx_budget_init(struct rx_budget *b)
{
	*b = (struct rx_budget){.budget = 1};
}

unsigned rx_budget_begin(struct rx_budget *b, unsigned iteration)
{
	if (b->full && iteration == b->iteration + 1 &&
	    b->budget < RX_BUDGET_MAX)
		b->budget = b->budget * 2 < RX_BUDGET_MAX ? b->budget * 2
							  : RX_BUDGET_MAX;
	if (b->budget == 0)
		b->budget = 1;
	b->iteration = iteration;
	return b->budget;
}

void rx_budget_end(struct rx_budget *b, unsigned got, bool drained)
{
	b->full = !drained && got >= b->budget;
	if (drained && got < b->budget && b->budget > 1)
		b->budget /= 2;
}
