/*
 * preload.h - what the parts of utcp-run's preload library share
 *
 * preload.c's comment is the theory of operation of the whole library:
 * the descriptor table, the control connection, fork and exec. The
 * parts are preload.c (the control path of TCP sockets, the table, the
 * control connection), preload_names.c (getaddrinfo and gethostbyname)
 * and preload_exec.c (exec and posix_spawn carrying the table). Nothing
 * declared here is exported from the library: only the interposed C
 * library functions are.
 */
#ifndef UTCP_PRELOAD_H
#define UTCP_PRELOAD_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "utcp.h"

#pragma GCC visibility push(hidden)

/* Descriptors the table can hold: a socket numbered beyond is refused. */
#define PRELOAD_FDS_MAX 65536
/* utcpd's send and receive buffers when not set (conf/utcpd.conf). */
#define PRELOAD_TCP_BUF_DEFAULT 262144
/* The epoll sets a socket may be added to before connect() or listen()
 * (they are added again once the placeholder is replaced); one more
 * epoll_ctl(EPOLL_CTL_ADD) fails with ENOSPC. */
#define PRELOAD_WATCH_MAX 4
/* The environment variable that carries the table across exec. */
#define PRELOAD_FDS_ENV "UTCP_RUN_FDS"
/* The longest text of one inherited entry, with its comma. */
#define PRELOAD_ENTRY_TEXT_MAX 64

/* The sockaddr pointer inside glibc's transparent unions (_GNU_SOURCE). */
#define SA(arg)	 ((arg).__sockaddr__)
#define SIN(arg) ((arg).__sockaddr_in__)

enum usock_state {
	USOCK_PENDING,	  /* socket() done: a placeholder kernel socket */
	USOCK_CONNECTING, /* a non-blocking connect under way */
	USOCK_CONNECTED,  /* a connection (established, or failed since) */
	USOCK_FAILED,	  /* a non-blocking connect that failed, reported */
	USOCK_LISTENING,
};

struct usock {
	enum usock_state state;
	bool bound; /* bind() recorded local */
	struct sockaddr_in local, remote;
	struct utcp_tcp_opts opts; /* setsockopt() before connect/listen */
	bool reuseaddr, reuseport;
	int id;		   /* the daemon's, once connected or listening */
	int connect_error; /* FAILED: the error, until SO_ERROR takes it */
	bool error_taken;  /* a read returned the connection's error */
	bool fd_opts;	   /* SO_RCVTIMEO, SO_SNDTIMEO or SO_RCVLOWAT was set */
	unsigned late_set; /* LISTENING: opts set after listen() */
	/* PENDING: the epoll sets watching the placeholder */
	unsigned n_watch;
	struct {
		int epfd;
		uint32_t events;
		uint64_t data;
	} watch[PRELOAD_WATCH_MAX];
};

/* The table, indexed by descriptor; table_lock guards it. */
extern struct usock *table[PRELOAD_FDS_MAX];
extern pthread_mutex_t table_lock;

/* The C library's functions that several parts call. */
extern int (*real_getsockopt)(int, int, int, void *, socklen_t *);

/* The C library's `name` (dlsym RTLD_NEXT); aborts when it has none. */
void *next_symbol(const char *name);

/* Called once by the library's constructor, in this order. */
void preload_names_init(void);
void preload_exec_init(void); /* reads the table an exec carried */

/* Copies fd's entry into *out. Returns true when fd is ours. */
bool table_lookup(int fd, struct usock *out);
/* Stores *s as fd's entry. Returns 0 or ENOMEM. */
int table_store(int fd, const struct usock *s);
/* Removes fd's entry, if any. */
void table_forget(int fd);

/* The process's control connection, opened on first use. Returns it,
 * or NULL with *err the open's error. */
struct utcp *get_handle(int *err);
/* Maps a libutcp error to the errno of a kernel socket call; a broken
 * control connection is dropped (ENETDOWN: the stack is gone). */
int control_errno(struct utcp *u, int err);
/* The errno for a daemon that cannot be reached. */
int open_errno(int err);

/* Returns -1 with errno set to err. */
int fail_with(int err);
/* Whether a is in 127.0.0.0/8. */
bool is_loopback(struct in_addr a);
/* Writes sin into a caller's sockaddr buffer as the kernel does:
 * truncated to *len, *len set to the full size. */
void give_addr(const struct sockaddr_in *sin, struct sockaddr *addr,
	       socklen_t *len);
/* An AF_INET address of a and port (host order). */
struct sockaddr_in make_sin(struct in_addr a, uint16_t port);

/* getsockopt(TCP_INFO) of the socket whose entry is *s (preload_tcpinfo.c):
 * fills the caller's (val, *len) as Linux does. Returns 0, or -1 with
 * errno EFAULT, EINVAL, ENETDOWN. */
int give_tcp_info(const struct usock *s, void *val, socklen_t *len);

#pragma GCC visibility pop

#endif
