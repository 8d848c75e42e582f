/*
 * netconf.h - what each interface is configured with, and from where
 *
 * The daemon's view of every interface's network settings: its
 * address, routes and MTU (static from the configuration, or applied
 * by the stack from a DHCP lease), and what the stack does not use
 * itself but the daemon does: DNS servers, domain and search list (for
 * the stub resolver), log servers (remote syslog) and NTP servers
 * (shown only). Static keys of the configuration win over the lease,
 * key by key; each setting records its source, which status shows.
 * `ready` becomes true once every interface is configured (a static
 * address set, or a lease bound).
 *
 * netconf.c fills it: from the configuration at start, then from the
 * stack's DHCP reports (stack_dhcp_pop_report()), and saves each lease
 * to its file in the state directory.
 */
#ifndef UTCPD_NETCONF_H
#define UTCPD_NETCONF_H

#include <stdbool.h>
#include <stdint.h>

#include "../stack/stack.h"

enum netconf_source {
	NETCONF_NONE,	/* not set */
	NETCONF_CONFIG, /* the configuration file or the command line */
	NETCONF_LEASE,	/* the DHCP lease */
};

struct netconf_if {
	bool dhcp;	 /* the interface runs DHCP */
	bool configured; /* a static address is set or a lease bound */
	enum netconf_source address_src, routes_src, mtu_src;
	uint32_t dns[DHCP_ADDRS_MAX];
	uint8_t ndns;
	enum netconf_source dns_src;
	char domain[DHCP_NAME_MAX];
	enum netconf_source domain_src;
	char search[DHCP_SEARCH_MAX][DHCP_NAME_MAX];
	uint8_t nsearch;
	enum netconf_source search_src;
	uint32_t log_server; /* 0: none */
	uint16_t log_port;
	enum netconf_source log_server_src;
	uint32_t ntp[DHCP_ADDRS_MAX];
	uint8_t nntp;
	enum netconf_source ntp_src;
};

struct netconf {
	struct netconf_if ifs[STACK_IF_MAX];
	int nifs;
	bool ready; /* every interface configured */
	uint64_t ready_ns;
};

/* "none", "config", "lease". */
const char *netconf_source_name(enum netconf_source src);

#endif
