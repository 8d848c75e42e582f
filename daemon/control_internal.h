/*
 * control_internal.h - what control.c and control_tcp.c share
 *
 * control.c owns the control server (struct control), its clients and
 * their reply queues, and the UDP sockets; control_tcp.c owns the TCP
 * connections and listeners (struct control_tcp). A request handler
 * in either queues its reply with control_client_queue(); a reply that
 * cannot be given at once (a blocking TCP connect) sets
 * c->reply_pending, which stops the daemon reading further requests
 * from that client until control_client_reply_done().
 */
#ifndef UTCPD_CONTROL_INTERNAL_H
#define UTCPD_CONTROL_INTERNAL_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "../ipc/ipc.h"
#include "utcpd.h"

#define CONTROL_OUTQ_MAX      8
#define CONTROL_SMALL_MSG_MAX 64  /* every reply but a status chunk */
#define CONTROL_SOCK_HASH     256 /* buckets, a power of two */

struct control_socket;
struct control_tcp;
struct status_stream;

struct control_outmsg {
	uint8_t data[CONTROL_SMALL_MSG_MAX];
	size_t len;
	int fd; /* passed with SCM_RIGHTS, closed once sent; -1 = none */
};

struct control_client {
	struct control *ctl;
	struct control_client *prev, *next;
	int fd;
	unsigned serial; /* for log lines */
	pid_t pid;
	uid_t uid;
	uint8_t version; /* 0 until HELLO */
	bool closing;	 /* disconnect once the output is sent */
	ev_io read_watcher;
	ev_io write_watcher;
	ev_timer send_timer;
	struct control_outmsg outq[CONTROL_OUTQ_MAX];
	unsigned outq_head, outq_count;
	struct status_stream *status;
	struct control_socket *sockets;
	unsigned nsockets;
	bool reply_pending; /* a deferred reply (blocking TCP connect) */
};

struct control {
	struct daemon *d;
	int listen_fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ev_io accept_watcher;
	ev_timer accept_retry;
	struct control_client *clients;
	unsigned nclients;
	unsigned next_serial;
	struct control_socket *sock_hash[CONTROL_SOCK_HASH];
	unsigned nsockets;
	uint64_t clients_refused;
	uint64_t protocol_errors;
	struct control_tcp *tcp; /* control_tcp.c */
	uint8_t msg_buf[IPC_MSG_MAX + 1];
	uint8_t dgram_buf[IPC_DGRAM_HDR_LEN + IPC_UDP_PAYLOAD_MAX + 1];
};

/* Queues a small reply (with a descriptor to pass, which the queue
 * then owns, or -1). The caller has checked there is room: a request
 * is only read while the queue has a free slot. */
void control_client_queue(struct control_client *c, const void *msg, int len,
			  int fd);

/* Queues an ERROR reply to request `id`. */
void control_reply_error(struct control_client *c, uint32_t id, int status);

/* Sends what the client has pending and resumes reading its requests.
 * Returns 0, or -1 when the client was destroyed (a send failed). */
int control_client_flush(struct control_client *c);

/* ---- control_tcp.c ----------------------------------------------- */

/* Sets up the TCP side (its tables, the hang-up watcher). Returns 0 or
 * a negative errno. */
int control_tcp_start(struct control *ctl);

/* Closes every TCP connection and listener (the stack is going away). */
void control_tcp_stop(struct control *ctl);

/* A client is going: a blocking connect it waits for is abandoned.
 * Connections and listeners it made live on: they belong to their
 * descriptors. */
void control_tcp_client_gone(struct control *ctl, struct control_client *c);

/* Handles a STACK_EV_TCP_* event. */
void control_tcp_on_event(struct control *ctl, const struct stack_event *ev);

/* Request handlers; each queues its reply (or defers it). */
void control_tcp_connect(struct control_client *c, const struct ipc_msg *m,
			 const struct ipc_tcp_connect *req);
void control_tcp_listen(struct control_client *c, const struct ipc_msg *m,
			const struct ipc_tcp_listen *req);
void control_tcp_setopt(struct control_client *c, const struct ipc_msg *m,
			const struct ipc_tcp_setopt *req);

#endif
