/*
 * control_udp.h - UDP sockets through the IPC: UDP_OPEN and the data
 * path (see control_udp.c)
 */
#ifndef UTCPD_CONTROL_UDP_H
#define UTCPD_CONTROL_UDP_H

#include "control_client.h"

/* Answers UDP_OPEN request m: opens the socket in the stack and replies
 * with its id, the bound address and the application's end of the
 * socketpair (or an error status: -EMFILE at a limit, the stack's). */
void control_udp_open(struct control_client *c, const struct ipc_msg *m,
		      const struct ipc_udp_open *o);

/* Answers UDP_SETOPT request m: sets IP_TOS and IP_TTL of one of the
 * client's sockets, or, when the request carried a descriptor (`proof`,
 * its identity; NULL: none), of the socket whose application end that
 * descriptor is; -EBADF for another's, or none. */
void control_udp_setopt(struct control_client *c, const struct ipc_msg *m,
			const struct ipc_udp_setopt *o,
			const struct control_fd_id *proof);

/* The client is going: each of its sockets passes on what the
 * application had already written, then closes; those opened with
 * OWN_FD live on (ctl->udp_orphans) until their descriptor closes. */
void control_udp_client_gone(struct control_client *c);

/* Who made each UDP socket (its client's, or its gone client's for an
 * OWN_FD orphan): fills up to max SOCK_OWNER records into out (NULL
 * when max is 0) and returns how many there are. */
size_t control_udp_sock_owners(const struct control *ctl,
			       struct ipc_rec_sock_owner *out, size_t max);

/* Closes the orphaned OWN_FD sockets (the daemon stops). */
void control_udp_stop(struct control *ctl);

/* Handles STACK_EV_UDP_READABLE or STACK_EV_UDP_ERROR. */
void control_udp_on_event(struct control *ctl, const struct stack_event *ev);

#endif
