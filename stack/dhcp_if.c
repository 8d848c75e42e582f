/*
 * dhcp_if.c - the DHCP client's glue to the stack (stack.h "DHCP")
 *
 * Placeholder while the client is written: DHCP cannot be started yet
 * (stack_dhcp_start() returns -ENOSYS), so no interface runs it and
 * every other entry point has nothing to report.
 */
#include <errno.h>
#include <string.h>

#include "stack_internal.h"

int stack_dhcp_start(struct stack *s, uint64_t now, int ifindex,
		     const struct stack_dhcp_config *cfg)
{
	(void)now;
	(void)cfg;
	if (ifindex < 0 || ifindex >= s->nifs)
		return -ENODEV;
	return -ENOSYS;
}

void stack_dhcp_stop(struct stack *s, uint64_t now, int ifindex, bool release)
{
	(void)s;
	(void)now;
	(void)ifindex;
	(void)release;
}

int stack_dhcp_info(const struct stack *s, uint64_t now, int ifindex,
		    struct stack_dhcp_info *out)
{
	(void)now;
	if (ifindex < 0 || ifindex >= s->nifs)
		return -ENODEV;
	memset(out, 0, sizeof(*out));
	out->state = DHCP_S_STOPPED;
	return 0;
}

bool stack_dhcp_pop_report(struct stack *s, struct stack_dhcp_report *r)
{
	(void)s;
	(void)r;
	return false;
}
