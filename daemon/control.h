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
struct config;

/* Creates the listening socket at `path` (removing a stale socket file
 * first; refusing if a live daemon answers there) with permissions
 * `mode`, and starts watching it. Returns 0 or a negative errno; logs
 * the reason. */
int control_start(struct daemon *d, const char *path, mode_t mode);

/* Gives the running control socket cfg's owner and group ([daemon]
 * socket_owner, socket_group; one left unset is left as it is) and
 * mode (socket_mode), as control_start() did: for a reload. Clients
 * already connected keep their connections (a socket's permissions
 * count only at connect). Returns 0 or a negative errno, logged. */
int control_socket_access(struct daemon *d, const struct config *cfg);

/* Closes every client and socket, removes the socket file. */
void control_stop(struct daemon *d);

/* Handles one stack event (called by daemon_drain, loop.c). */
void control_on_stack_event(struct daemon *d, const struct stack_event *ev);

#endif
