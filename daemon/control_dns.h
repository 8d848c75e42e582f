/*
 * control_dns.h - RESOLVE: names for the control server's clients
 *
 * A RESOLVE request starts a lookup in the daemon's resolver
 * (resolver.h) on behalf of its client (the owner: the client's
 * serial, so the resolver's per-owner limit is per client) and answers
 * at once with the lookup's descriptor, one end of a SOCK_SEQPACKET
 * socketpair; the daemon keeps the other end until the result comes,
 * writes it there as one packet (docs/ipc.md, RESOLVE) and closes it.
 * When the application closes its descriptor first, the lookup is
 * cancelled.
 */
#ifndef UTCPD_CONTROL_DNS_H
#define UTCPD_CONTROL_DNS_H

#include "../stack/dns.h"
#include "control_client.h"

/* Handles a RESOLVE request of client c. Returns 0, or a negative errno
 * when the request was malformed (the client is dropped). */
int control_dns_resolve(struct control_client *c, const struct ipc_msg *m);

/* A lookup's result (resolver.c, at the end of a turn): written to its
 * descriptor, which is then closed. */
void control_dns_on_result(struct daemon *d, const struct dns_result *res);

/* Client c is going: its lookups are cancelled and their descriptors
 * closed. */
void control_dns_client_gone(struct control_client *c);

#endif
