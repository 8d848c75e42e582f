/*
 * utcpctl.h - what utcpctl's files share: the JSON and text pieces
 * (utcpctl_dump.c), the full dump (`status -a`, utcpctl_dump.c) and the
 * subcommands' views (utcpctl_views.c)
 */
#ifndef UTCPCTL_H
#define UTCPCTL_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "utcp.h"

/* ---- the command line (utcpctl.c) ---------------------------------- */

/* The control connection, or NULL after saying on stderr, in one line,
 * why and what to do. */
struct utcp *open_daemon(const char *path);

/* One STATUS snapshot on a connection of its own (utcp_status_free it),
 * or NULL after saying on stderr, as subcommand `cmd`, why. */
struct utcp_status *status_snapshot(const char *path, const char *cmd);

/* The index of the interface called `name` in the daemon's stack,
 * looked up in one STATUS; -1 after saying on stderr, as subcommand
 * `cmd`, why (no such interface, or no STATUS). */
int iface_index(struct utcp *u, const char *cmd, const char *name);

/* A bad command line: one line on stderr; returns 2 (the exit status). */
__attribute__((format(printf, 1, 2))) int usage_error(const char *fmt, ...);

/* Writes what is buffered; returns status, or 1 after saying why when
 * stdout failed. */
int flush_stdout(int status);

/* ---- subcommands in their own files -------------------------------- */

/* `utcpctl ping` (utcpctl_ping.c); returns the exit status. */
int cmd_ping(const char *path, bool json, int argc, char **argv);

/* `utcpctl metrics` (utcpctl_metrics.c); returns the exit status. */
int cmd_metrics(const char *path, bool json, int argc, char **argv);

/* ---- pieces (utcpctl_dump.c) --------------------------------------- */

/* "a.b.c.d" of a into buf; returns buf. */
const char *addr_str(struct in_addr a, char buf[INET_ADDRSTRLEN]);

/* "xx:xx:xx:xx:xx:xx" of mac into buf. */
void mac_str(const uint8_t mac[6], char buf[18]);

/* Prints s as a JSON string. */
void json_string(const char *s);

/* Prints "a.b.c.d" as a JSON string, or null when not present. */
void json_addr(bool present, struct in_addr a);

/* Prints a timer in milliseconds, null for UTCP_DHCP_NEVER. */
void json_ms(uint64_t ms);

/* Prints a JSON array of addresses. */
void json_addrs(const struct in_addr *a, size_t n);

/* The DHCP client and the settings of interface `index`; NULL from a
 * daemon that does not send them. */
const struct utcp_dhcp *dhcp_of(const struct utcp_status *st, int index);
const struct utcp_settings *settings_of(const struct utcp_status *st,
					int index);

/* The counters and carrier of interface `index` (IFSTATS); NULL from
 * a daemon that does not send them. */
const struct utcp_ifstats *ifstats_of(const struct utcp_status *st, int index);

/* Prints an interface's ', "carrier": ..., "counters": {...}' (both
 * null without its IFSTATS). */
void json_ifstats(const struct utcp_ifstats *c);

/* Prints an interface's counters in two lines, rx and tx, each after
 * `lead`. */
void text_ifstats(const char *lead, const struct utcp_ifstats *c);

/* Sorts the status's owners by kind and id, once, so that owner_of()
 * finds one in log time (conns on 16,384 connections). */
void owners_sort(struct utcp_status *st);

/* The owner of socket `id` of `kind`, NULL when the daemon did not say
 * (an old daemon, or a connection without its channel). The owners
 * must have been sorted by owners_sort(). */
const struct utcp_sock_owner *owner_of(const struct utcp_status *st,
				       enum utcp_sock_kind kind, int id);

/* Prints a socket's owner object ({"pid", "uid", "gid", "command",
 * "gone"}), or null. */
void json_owner(const struct utcp_sock_owner *w);

/* Prints the DHCP object of interface `index` (its client, lease,
 * counters and options), or null. */
void json_dhcp(const struct utcp_status *st, int index);

/* Prints route i of the status as one object ({"destination",
 * "gateway", "interface", "kind", "metric"}). */
void json_route(const struct utcp_status *st, size_t i);

/* Prints the stub resolver's object, or null without one. */
void json_dns(const struct utcp_status *st);

/* Prints the interface's DHCP line (and its counters when any moved). */
void text_dhcp(const struct utcp_status *st, const struct utcp_interface *f);

/* Prints the interface's lease options, one a line. */
void text_options(const struct utcp_status *st, const struct utcp_interface *f);

/* Prints the stub resolver: servers, search list, limits, cache. */
void text_dns(const struct utcp_status *st);

/* ---- the full dump, `status -a` (utcpctl_dump.c) -------------------- */

/* Everything the status holds, as one JSON object (utcpctl(8)). */
void dump_json(const struct utcp_status *st);

/* Everything the status holds, in readable sections. */
void dump_text(const struct utcp_status *st);

/* ---- views (utcpctl_views.c) ---------------------------------------- */

/* What a view shows: its filters, parsed by utcpctl.c. */
struct view_opts {
	bool json;
	bool zeros;	   /* counters: zeros too */
	const char *iface; /* ifaces, lease: only this one (NULL all) */
	bool tcp, udp;	   /* conns: the kinds (neither set: both) */
	bool listening;	   /* conns: listeners and unconnected UDP only */
	int state;	   /* conns: this state (enum utcp_tcp_state), -1 any */
	int port;	   /* conns: local or peer port, -1 any */
	int sport, dport;  /* conns: local, peer port, -1 any */
};

/* Each subcommand's view of a status; returns 0, or 1 when the view
 * found nothing it was asked for (an unknown interface). */
int view_status(const struct utcp_status *st, const struct view_opts *o);
int view_ifaces(const struct utcp_status *st, const struct view_opts *o);
int view_conns(const struct utcp_status *st, const struct view_opts *o);
int view_arp(const struct utcp_status *st, const struct view_opts *o);
int view_routes(const struct utcp_status *st, const struct view_opts *o);
int view_lease(const struct utcp_status *st, const struct view_opts *o);
int view_dns(const struct utcp_status *st, const struct view_opts *o);
int view_counters(const struct utcp_status *st, const struct view_opts *o);

/* A TCP state by name, as utcpctl shows it or as ss(8) writes it
 * ("established", "syn-sent", "time-wait", "listening"), any case; -1
 * when unknown. */
int view_state_by_name(const char *name);

/* A whole number in lo..hi (lo >= 0) written in decimal, nothing
 * after it, or -1. */
long parse_whole(const char *s, long lo, long hi);

/* utcpctl capture (utcpctl_capture.c): its arguments after the word.
 * Returns the exit status. */
int cmd_capture(const char *path, bool json, int argc, char **argv);

#endif
