/*
 * resolver.h - the stub resolver in the daemon: stack/dns.c's queries
 * carried over the daemon's own stack
 *
 * d->resolver holds one struct dns_resolver (stack/dns.h), made from
 * the configuration's [dns] and [hosts] sections, and the sockets that
 * carry its queries: for each transport the resolver asks for, a UDP
 * socket of the stack on a random port connected to the server (so
 * only the server's datagrams reach it), or a TCP connection of the
 * stack with the 2-byte length framing of RFC 1035 4.2.2. Their stack
 * cookies point into this object, so their events come here
 * (resolver_on_stack_event), not to the control server.
 *
 * The servers and the search list follow each interface's settings
 * (netconf.h: static `dns =` / --dns-servers, or the lease's options 6,
 * 119 and 15), the interfaces in the file's order; [dns] search, when
 * set, wins over every lease's. resolver_follow() recomputes them and
 * hands the resolver a change.
 *
 * Results go to the control server (control_dns_on_result()), which
 * writes each to its lookup's descriptor.
 */
#ifndef UTCPD_RESOLVER_H
#define UTCPD_RESOLVER_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "../stack/dns.h"
#include "../stack/stack.h"

struct daemon;

/* One transport's socket (resolver.c's own). */
struct resolver_transport;

struct resolver {
	struct dns_resolver *dns;
	struct resolver_transport *transports; /* [queries_max] */
	uint32_t ntransports;
	ev_timer timer;		 /* at dns_next_deadline() */
	uint64_t timer_deadline; /* what it is armed for */
	/* What was handed to the resolver last (resolver_follow()). */
	struct dns_server servers[DNS_SERVERS_MAX];
	size_t nservers;
	char search[DNS_SEARCH_MAX][DNS_NAME_MAX];
	size_t nsearch;
	struct dns_result *result; /* resolver_flush()'s, off the C stack */
};

/*
 * Makes d->resolver (into `r`, the caller's storage) from d->cfg: the
 * limits of [dns], the static hosts of [hosts], and the servers and
 * search list the interfaces have now. Returns 0 or -ENOMEM (logged).
 */
int resolver_start(struct daemon *d, struct resolver *r);

/* Closes every transport and frees the resolver; d->resolver = NULL.
 * Lookups pending get no result (their clients are being closed). */
void resolver_stop(struct daemon *d);

/* Hands the resolver the servers and search list of the interfaces'
 * settings when they changed (at the end of each turn, loop.c: cheap
 * when nothing changed). No-op without d->resolver. */
void resolver_follow(struct daemon *d);

/*
 * Moves what the resolver wants done: opens, sends on and closes its
 * transports through the stack, hands its results to the control
 * server, and re-arms its timer. At the end of each turn (loop.c,
 * each round, with the stack's other work). Returns true when it sent
 * something (the caller drains the stack's frames again).
 */
bool resolver_flush(struct daemon *d);

/* Handles a stack event when it is one of the resolver's sockets (its
 * cookie points into d->resolver): returns true then, false for any
 * other event. */
bool resolver_on_stack_event(struct daemon *d, const struct stack_event *ev);

/* dns_lookup() at the current time. Returns the lookup id or its
 * negative errno; -ENOSYS without a resolver. */
int resolver_lookup(struct daemon *d, const char *name, unsigned want,
		    uint64_t owner, void *cookie);

/* dns_cancel(). */
void resolver_cancel(struct daemon *d, int lookup);

#endif
