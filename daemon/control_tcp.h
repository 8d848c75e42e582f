/*
 * control_tcp.h - TCP connections and listeners through the IPC (see
 * control_tcp.c)
 */
#ifndef UTCPD_CONTROL_TCP_H
#define UTCPD_CONTROL_TCP_H

#include "control_client.h"

/* Socketpairs made ahead (control_tcp.c, "Pairs made ahead"): at most
 * this many of each kind, the application's end blocking or not, and
 * the descriptors they hold, which control_fds_reserved() sets aside. */
#define CONTROL_TCP_SPARES    2
#define CONTROL_TCP_SPARE_FDS (2 * 2 * CONTROL_TCP_SPARES)

/* The pairs made ahead that wait, of both kinds (2 * CONTROL_TCP_SPARES
 * when none is missing). */
unsigned control_tcp_spares_ready(const struct control *ctl);

/* Is the making of pairs ahead under way (its idle watcher started, not
 * stopped by a pair that could not be made, or by none missing)? */
bool control_tcp_spares_making(const struct control *ctl);

/* Does a timer wait to make pairs ahead again, after one could not be
 * made? */
bool control_tcp_spares_retrying(const struct control *ctl);

/* The wait before the retry after the next failure, in seconds. */
double control_tcp_spares_retry_next_s(const struct control *ctl);

/* Sets up the TCP side (its tables, the hang-up watcher). Returns 0 or
 * a negative errno. */
int control_tcp_start(struct control *ctl);

/* Closes every TCP connection and listener (the stack is going away). */
void control_tcp_stop(struct control *ctl);

/* A client is going: a blocking connect it waits for is abandoned.
 * Connections and listeners it made live on: they belong to their
 * descriptors. */
void control_tcp_client_gone(struct control *ctl, struct control_client *c);

/* Who made each listener and connection that has its channel: fills up
 * to max SOCK_OWNER records into out (NULL when max is 0) and returns
 * how many there are. */
size_t control_tcp_sock_owners(const struct control *ctl,
			       struct ipc_rec_sock_owner *out, size_t max);

/* Handles a STACK_EV_TCP_* event. */
void control_tcp_on_event(struct control *ctl, const struct stack_event *ev);

/* Request handlers; each queues its reply (or defers it). The options
 * requests take `proof`, the identity of the descriptor the request
 * carried (NULL: none): with it, the connection is the sender's when
 * that descriptor is its application end; without, when the client
 * made it. Else they answer -EBADF. */
void control_tcp_connect(struct control_client *c, const struct ipc_msg *m,
			 const struct ipc_tcp_connect *req);
void control_tcp_listen(struct control_client *c, const struct ipc_msg *m,
			const struct ipc_tcp_listen *req);
void control_tcp_setopt(struct control_client *c, const struct ipc_msg *m,
			const struct ipc_tcp_setopt *req,
			const struct control_fd_id *proof);
/* TCP_LINGER: answers once the connection's FIN is acknowledged or its
 * SO_LINGER time has passed (at once without a linger time), or
 * -EBADF; the client's other requests wait meanwhile. */
void control_tcp_linger(struct control_client *c, const struct ipc_msg *m,
			const struct ipc_tcp_linger *req,
			const struct control_fd_id *proof);
/* TCP_GETOPT: replies with the options of one of the client's
 * connections (as TCP_SETOPT finds it), or -EBADF. */
void control_tcp_getopt(struct control_client *c, const struct ipc_msg *m,
			const struct ipc_tcp_getopt *req,
			const struct control_fd_id *proof);

#endif
