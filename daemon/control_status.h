/*
 * control_status.h - the STATUS request: a snapshot of the stack as
 * a stream of records; TCP_INFO, one connection's record
 */
#ifndef UTCPD_CONTROL_STATUS_H
#define UTCPD_CONTROL_STATUS_H

#include "control_client.h"

/* Answers STATUS request m: takes a snapshot of the daemon and its stack
 * and makes it the client's stream (c->stream), sent as chunks as the
 * client reads them. Out of memory: an ERROR -ENOMEM reply, or a last
 * chunk with status -ENOMEM when the snapshot failed half-way. */
void control_status_request(struct control_client *c, const struct ipc_msg *m);

/* Answers TCP_INFO request m, from any client: the TCP record STATUS
 * would show for connection req->id now, or -ENOENT when there is no
 * such connection. */
void control_status_tcp_info(struct control_client *c, const struct ipc_msg *m,
			     const struct ipc_tcp_info *req);

#endif
