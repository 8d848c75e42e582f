/*
 * control_client.h - one control connection, and what every control
 * file shares
 *
 * struct control is the server (control.c creates it, accepts and
 * dispatches); struct control_client is one accepted connection
 * (control_client.c: its reply queue, sending with SCM_RIGHTS, its
 * send timeout, freeing it). Every request handler, in control.c,
 * control_udp.c, control_tcp.c or control_status.c, answers by queuing
 * a reply with control_client_queue(); a reply that cannot be given at
 * once (a blocking TCP connect) sets c->reply_pending, which stops the
 * daemon reading further requests from that client until the handler
 * queues the reply and calls control_client_flush(). A long reply (a
 * STATUS) is a struct control_stream that produces one chunk at a time
 * as the client's socket takes them.
 *
 * The include graph is a tree: control.c includes control_udp.h,
 * control_tcp.h and control_status.h, each of which includes this
 * header and nothing of the others. The one call upwards, tearing a
 * client down with the sockets it owns, goes through
 * ctl->client_destroy (set by control.c).
 */
#ifndef UTCPD_CONTROL_CLIENT_H
#define UTCPD_CONTROL_CLIENT_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "../ipc/ipc.h"
#include "utcpd.h"

#define CONTROL_OUTQ_MAX 8
/* A client whose replies make no progress this long is disconnected. */
#define CONTROL_SEND_TIMEOUT_S 10.0
/* Every reply but a status chunk (the largest: TCP_INFO's). */
#define CONTROL_SMALL_MSG_MAX 128

struct control_client;
struct control_socket;
struct ucred;
struct control_tcp;
struct capture_set;
struct control_lookup;

/* What the limits count (control_limits.c). */
enum control_kind {
	CONTROL_KIND_CLIENT,   /* control connections */
	CONTROL_KIND_UDP,      /* UDP sockets */
	CONTROL_KIND_LISTENER, /* TCP listeners */
	CONTROL_KIND_CONN,     /* TCP connections */
	CONTROL_KINDS
};

/* The control server's counters, shown by STATUS as COUNTER records
 * named control_* (control_counter_name()), after the stack's: clients
 * refused at the door, and clients the daemon closed, by reason. */
enum control_counter {
	CONTROL_CTR_REFUSED,	   /* over clients_max or clients_per_uid */
	CONTROL_CTR_HELLO_TIMEOUT, /* no HELLO within hello_timeout_ms */
	CONTROL_CTR_MALFORMED,	   /* not a message: magic, version, length */
	CONTROL_CTR_BEFORE_HELLO,  /* a request before HELLO */
	CONTROL_CTR_BAD_REQUEST,   /* bad body, second HELLO, wrong version */
	CONTROL_CTR_ANCILLARY,	   /* descriptors or other ancillary data */
	CONTROL_CTR_NOT_READING,   /* replies not read for the send timeout */
	CONTROL_CTR_UNFRAMED,	   /* a UDP datagram libutcp did not frame */
	CONTROL_CTR_UNWATCHED,	   /* TCP reset: epoll_ctl refused its end */
	CONTROL_CTR_SPARE_FAILED, /* a TCP pair made ahead: socketpair failed */
	CONTROL_COUNTERS
};

/* The name of counter `i` ("control_dropped_malformed"), or "?". */
const char *control_counter_name(enum control_counter i);

/* What one client, or one uid, holds (control_limits.c). Reference
 * counted by its holders: a client, and each socket or connection
 * charged to it, so a connection that outlives its client keeps the
 * accounts it was charged to. */
struct control_account {
	struct control_account *next; /* in ctl->uids (a uid's account) */
	unsigned refs;
	bool is_uid;
	bool gone; /* a client's account whose client went: limits nothing */
	uid_t uid;
	unsigned held[CONTROL_KINDS];
	/* A client's account: who the client is (SO_PEERCRED at connect
	 * time; comm from /proc/PID/comm at HELLO, "" until then), shown
	 * as the owner of what is charged to it (SOCK_OWNER records). */
	pid_t pid;
	gid_t gid;
	char comm[16];
};

/* Who a socket is charged to: its client's account and its uid's. */
struct control_owner {
	struct control_account *client, *uid;
};

/*
 * Proof of possession (docs/ipc.md, "Proof by descriptor"): a socket's
 * application end is known by its identity (st_dev, st_ino and the
 * socket's cookie, SO_COOKIE), recorded when the daemon makes the
 * socketpair; a request that carries a descriptor carries that
 * descriptor's identity, taken as it arrived (the descriptor itself is
 * closed at once). The cookie is what makes it unique: a socket's inode
 * number comes from a 32-bit counter that wraps (a local user can make
 * four billion pipes), the cookie from a 64-bit one that does not. An
 * identity with ino 0 is none (a socket's inode is never 0): what is
 * not a socket, or an O_PATH handle of one, has none.
 */
struct control_fd_id {
	dev_t dev;
	ino_t ino;
	uint64_t cookie; /* 0 only on a kernel without SO_COOKIE */
};

/* The identity of descriptor fd; none (ino 0) when fd is no socket (an
 * O_PATH handle included) or fstat() or getsockopt() fails. */
struct control_fd_id control_fd_id_of(int fd);

/* The identity of fd, a socket the daemon made itself (an end of its
 * socketpairs): its SO_COOKIE alone (ino 0), which no other socket
 * shares until the system restarts; as control_fd_id_of() on a kernel
 * without socket cookies. */
struct control_fd_id control_fd_id_of_own(int fd);

/* True when a request's proof (not NULL) is the descriptor whose
 * identity the daemon recorded as `end` (by control_fd_id_of() or
 * control_fd_id_of_own()). */
bool control_fd_proves(const struct control_fd_id *proof,
		       const struct control_fd_id *end);

struct control_outmsg {
	uint8_t data[CONTROL_SMALL_MSG_MAX];
	size_t len;
	int fd; /* passed with SCM_RIGHTS, closed once sent; -1 = none */
};

/* A reply sent as a stream of chunks (each at most IPC_MSG_MAX bytes),
 * encoded one at a time as the client's socket takes them. */
struct control_stream {
	/* Encodes the next chunk into chunk, chunk_len, chunk_last. */
	void (*next)(struct control_stream *st, struct control_client *c);
	void (*free)(struct control_stream *st);
	uint8_t chunk[IPC_MSG_MAX]; /* encoded, not yet sent */
	size_t chunk_len;
	bool chunk_last;
};

struct control_client {
	struct control *ctl;
	struct control_client *prev, *next;
	int fd;
	unsigned serial; /* for log lines */
	pid_t pid;
	uid_t uid;
	gid_t gid;		    /* SO_PEERCRED's */
	gid_t *groups;		    /* supplementary (SO_PEERGROUPS), or NULL */
	size_t ngroups;		    /* for control_client_in_group() */
	struct control_owner owner; /* its limits (control_limits.c) */
	uint8_t version;	    /* 0 until HELLO */
	bool closing;		    /* disconnect once the output is sent */
	ev_io read_watcher;
	ev_io write_watcher;
	ev_timer send_timer;
	ev_timer hello_timer; /* HELLO must come within hello_timeout_ms */
	struct control_outmsg outq[CONTROL_OUTQ_MAX];
	unsigned outq_head, outq_count;
	struct control_stream *stream;	/* a STATUS being sent */
	struct control_socket *sockets; /* control_udp.c */
	struct control_lookup *lookups; /* control_dns.c: RESOLVEs pending */
	bool reply_pending; /* a deferred reply (blocking TCP connect) */
	/* control_ping.c: the echo whose reply is deferred, if any */
	bool ping_pending;
	int ping_echo;
	uint32_t ping_id;
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
	/* Tears a client down with everything it owns (control.c). */
	void (*client_destroy)(struct control_client *c);
	/* Who made each socket of the control socket (control.c, from
	 * control_udp.c's and control_tcp.c's): fills up to max records,
	 * returns how many there are. */
	size_t (*sock_owners)(const struct control *ctl,
			      struct ipc_rec_sock_owner *out, size_t max);
	struct config_control limits; /* [control], connections_max fitted */
	/* TCP connections the descriptors allow (control_limits_fit()),
	 * the cap of connections_max at a reload */
	unsigned long long connections_fit;
	struct control_account *uids;	     /* per-uid accounts in use */
	uint64_t counters[CONTROL_COUNTERS]; /* enum control_counter */
	/* CONTROL_SEND_TIMEOUT_S; a test may shorten it for new clients */
	double send_timeout_s;
	struct control_tcp *tcp;      /* control_tcp.c */
	struct capture_set *captures; /* capture.c: made at the first CAPTURE */
	/* UDP sockets opened with OWN_FD whose client went (control_udp.c) */
	struct control_socket *udp_orphans;
	uint8_t msg_buf[IPC_MSG_MAX + 1];
	uint8_t dgram_buf[IPC_DGRAM_HDR_LEN + IPC_UDP_PAYLOAD_MAX + 1];
};

/* Makes a client for the accepted connection `fd` (which it then owns)
 * of the peer `cred` with supplementary `groups` (allocated, which it
 * then owns too, or NULL), charged to `owner` (whose references it
 * takes over), its requests read by `read_cb`, and links it into
 * ctl->clients. Its HELLO timer runs until control.c stops it. Returns
 * NULL when out of memory (fd, groups and owner are left to the
 * caller). */
struct control_client *
control_client_new(struct control *ctl, int fd, const struct ucred *cred,
		   gid_t *groups, size_t ngroups,
		   const struct control_owner *owner,
		   void (*read_cb)(struct ev_loop *, ev_io *, int),
		   void (*hello_timeout_cb)(struct ev_loop *, ev_timer *, int));

/* Unlinks and frees the client: its pending output (closing the
 * descriptors in it), its stream, its watchers, its connection, its
 * charge as a control connection and its references to its accounts.
 * What else it owns is the caller's (ctl->client_destroy). */
void control_client_free(struct control_client *c);

/* Sends one packet on a SOCK_SEQPACKET socket, with a descriptor when
 * fd >= 0. Returns 0, -EAGAIN (no room now), or another negative errno
 * (the peer is gone). */
int control_send_packet(int sock, const void *buf, size_t len, int fd);

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

#endif
