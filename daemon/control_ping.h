/*
 * control_ping.h - PING: ICMP echoes through the daemon's stack
 *
 * A PING request (docs/ipc.md) hands the stack one echo request
 * (icmp_echo_send(), stack/stack.h) and defers its reply
 * (c->reply_pending: the client sends nothing else meanwhile, so each
 * client has at most one echo outstanding, and the stack's table of
 * icmp_echo_max bounds them all). At the end of each turn
 * control_ping_flush() pops the echoes that ended (a reply, an error
 * about it, the timeout) and answers their clients. A client that goes
 * first cancels its echo.
 */
#ifndef UTCPD_CONTROL_PING_H
#define UTCPD_CONTROL_PING_H

#include "control_client.h"

/* Handles a PING request of client c. Returns 0, or a negative errno
 * when the request was malformed (the client is dropped). */
int control_ping(struct control_client *c, const struct ipc_msg *m);

/* Answers the clients whose echoes ended (daemon_drain, loop.c). */
void control_ping_flush(struct daemon *d);

/* Client c is going: its echo, if any, is cancelled. */
void control_ping_client_gone(struct control_client *c);

#endif
