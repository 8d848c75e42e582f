/*
 * busy_poll.c - whether the loop polls again without blocking (the
 * theory is in busy_poll.h)
 */
#include "busy_poll.h"

void busy_poll_init(struct busy_poll *b, uint64_t window_ns)
{
	*b = (struct busy_poll){.window = window_ns};
}

void busy_poll_set_window(struct busy_poll *b, uint64_t window_ns)
{
	b->window = window_ns;
	if (!window_ns)
		b->polling = false;
}

bool busy_poll_turn(struct busy_poll *b, uint64_t now, bool worked)
{
	if (worked) {
		if (b->polling)
			b->hits++;
		b->last_work = now;
	}
	/* (a turn that worked: 0 ns ago) */
	b->polling = b->window != 0 && b->last_work != 0 &&
		     now - b->last_work < b->window;
	if (b->polling)
		b->polls++;
	return b->polling;
}
