/*
 * control.h - the control socket: IPC server side (see docs/ipc.md)
 *
 * The control server listens on a Unix SOCK_SEQPACKET socket, accepts
 * clients, answers their requests (hello, status, opening sockets) and
 * owns the application's side of every socket it opened: the
 * socketpair end it kept, watched on the daemon's loop, that carries
 * datagrams between the application and the stack.
 */
#ifndef UTCPD_CONTROL_H
#define UTCPD_CONTROL_H

#include <sys/types.h>

#include "../stack/stack.h"

struct daemon;

/* Creates the listening socket at `path` (removing a stale socket file
 * first; refusing if a live daemon answers there) with permissions
 * `mode`, and starts watching it. Returns 0 or a negative errno; logs
 * the reason. */
int control_start(struct daemon *d, const char *path, mode_t mode);

/* Closes every client and socket, removes the socket file. */
void control_stop(struct daemon *d);

/* Handles one stack event (called by daemon_drain, loop.c). */
void control_on_stack_event(struct daemon *d, const struct stack_event *ev);

#endif
