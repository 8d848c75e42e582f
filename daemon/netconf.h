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
	uint32_t addr;	 /* configured: the address and its prefix */
	uint8_t prefix_len;
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
	struct netconf_if ifs[STACK_IF_MAX]; /* by the stack's ifindex */
	int nifs;
	bool ready; /* every interface configured */
	uint64_t ready_ns;
	/* netconf.c's own: lease files are written (the state directory
	 * exists or could be made; else a warning was logged once). */
	bool lease_files;
	bool stopping; /* netconf_dhcp_stop() ran: the daemon is stopping */
};

struct config;
struct daemon;

/* "none", "config", "lease". */
const char *netconf_source_name(enum netconf_source src);

/*
 * What interface cfg->ifs[i] is configured with, from the configuration
 * and the lease bound on it (NULL: none): static keys win key by key
 * (address; gateway over the lease's routes; mtu when set; dns; the
 * [daemon] log_server over option 7, `none` included). Domain, search
 * list and NTP servers come only from the lease. Pure.
 */
void netconf_if_compute(const struct config *cfg, int i,
			const struct dhcp_lease *lease, struct netconf_if *out);

/* The log server remote syslog sends to: that of the first configured
 * interface that has one. Returns false when there is none. */
bool netconf_log_server(const struct netconf *nc, uint32_t *addr,
			uint16_t *port);

/*
 * Sets d->netconf up at start (interfaces added to the stack, static
 * addresses set): static interfaces are configured. Makes the state
 * directory when an interface runs DHCP (a failure is a warning: no
 * lease files then).
 */
void netconf_start(struct daemon *d);

/* Computes every interface's settings again from d->cfg and the lease
 * bound on it now (a reload changed static keys), and lets remote
 * syslog follow. No-op without d->netconf. */
void netconf_recompute(struct daemon *d);

/* Logs READY (and sets it) when every interface is configured and it
 * was not logged before: at start, after the interfaces are up. */
void netconf_ready_check(struct daemon *d);

/*
 * Starts DHCP on interface cfg->ifs[i] (stack ifindex `ifindex`, MAC
 * `mac`): reads its saved lease for INIT-REBOOT. Returns 0 or the
 * negative errno of stack_dhcp_start() (logged).
 */
int netconf_dhcp_start(struct daemon *d, int i, int ifindex,
		       const uint8_t mac[6]);

/* Stops DHCP on every interface that runs it, with a DHCPRELEASE where
 * `release` is configured (the caller drains the stack afterwards). */
void netconf_dhcp_stop(struct daemon *d);

/*
 * Handles every DHCP report the stack has queued (loop.c, once per
 * round of the end of a turn): logs state changes and notes, saves a
 * new lease to its file and updates the interface's settings, clears
 * them when the lease is lost, and logs READY the first time every
 * interface is configured. No-op without d->netconf.
 */
void netconf_drain_reports(struct daemon *d);

/* Handles one report (as netconf_drain_reports() does); info is the
 * stack's view of the interface (stack_dhcp_info()), used for LEASE.
 * For tests that make their own reports. */
void netconf_on_report(struct daemon *d, const struct stack_dhcp_report *r,
		       const struct stack_dhcp_info *info);

#endif
