/*
 * netconf.c - each interface's settings and their sources (netconf.h)
 */
#include "netconf.h"

const char *netconf_source_name(enum netconf_source src)
{
	switch (src) {
	case NETCONF_CONFIG:
		return "config";
	case NETCONF_LEASE:
		return "lease";
	case NETCONF_NONE:
	default:
		return "none";
	}
}
