/*
 * counters.c - names of the stack's counters (the list is in counters.h)
 */
#include <stddef.h>

#include "counters.h"

static const char *const stack_counter_names[STACK_COUNTER_COUNT] = {
#define STACK_COUNTER_NAME(name) [STACK_CTR_##name] = #name,
    STACK_COUNTERS(STACK_COUNTER_NAME)
#undef STACK_COUNTER_NAME
};

const char *stack_counter_name(enum stack_counter c)
{
	if ((unsigned)c >= STACK_COUNTER_COUNT)
		return NULL;
	return stack_counter_names[c];
}
