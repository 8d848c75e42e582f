/*
 * control_dns.c - RESOLVE (control_dns.h)
 *
 * Not written yet: RESOLVE is refused with -ENOSYS.
 */
#include "control_dns.h"

#include <errno.h>

int control_dns_resolve(struct control_client *c, const struct ipc_msg *m)
{
	return -ENOSYS;
}

void control_dns_on_result(struct daemon *d, const struct dns_result *res)
{
}

void control_dns_client_gone(struct control_client *c)
{
}
