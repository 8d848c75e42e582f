/*
 * preload.h - what the parts of utcp-run's preload library share
 *
 * preload.c's comment is the theory of operation of the whole library:
 * the descriptor table, the control connection, fork and exec. The
 * parts are preload.c (the control path of TCP sockets, the table, the
 * control connection), preload_udp.c (UDP sockets), preload_io.c (the
 * data calls), preload_names.c (getaddrinfo and gethostbyname;
 * getnameinfo and gethostbyaddr), preload_exec.c (exec and posix_spawn
 * carrying the table) and preload_tcpinfo.c (TCP_INFO). Nothing
 * declared here is exported from the library: only the interposed C
 * library functions are.
 */
#ifndef UTCP_PRELOAD_H
#define UTCP_PRELOAD_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

#include "utcp.h"

#pragma GCC visibility push(hidden)

/*
 * Whether the library is initialised (the C library's functions found,
 * the environment read, the inherited table loaded). Another library's
 * constructor may run before this one's and call an interposed
 * function, so each calls PRELOAD_READY() first: one acquire load once
 * initialised; before, the initialisation, once (preload_init_now()).
 */
extern atomic_bool preload_ready;
void preload_init_now(void);
#define PRELOAD_READY()                                                        \
	do {                                                                   \
		if (__builtin_expect(                                          \
			!atomic_load_explicit(&preload_ready,                  \
					      memory_order_acquire),           \
			0))                                                    \
			preload_init_now();                                    \
	} while (0)

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
	USOCK_UDP_NEW, /* UDP, socket() done: a placeholder kernel socket */
	USOCK_UDP,     /* UDP, the daemon's socket (connected: remote's port) */
};
#define USOCK_STATE_LAST USOCK_UDP

struct usock {
	enum usock_state state;
	bool bound;	  /* bind() recorded local (UDP: a port) */
	bool port_chosen; /* ... with a port other than 0 (TCP) */
	struct sockaddr_in local, remote;
	struct utcp_tcp_opts opts; /* setsockopt() before connect/listen */
	bool reuseaddr, reuseport;
	int id;		   /* the daemon's, once connected or listening */
	int connect_error; /* FAILED: the error, until SO_ERROR takes it */
	bool error_taken;  /* a call (read, write, SO_ERROR) took the
			    * connection's error */
	bool shut_wr;	   /* CONNECTED: shutdown(SHUT_WR or SHUT_RDWR) here,
			    * through this descriptor or a copy of it */
	bool fd_opts;	   /* SO_RCVTIMEO, SO_SNDTIMEO or SO_RCVLOWAT was set */
	unsigned late_set; /* LISTENING: opts set after listen() */
	bool opts_unknown; /* inherited across exec: opts not carried */
	/* PENDING, UDP_NEW: the epoll sets watching the placeholder */
	unsigned n_watch;
	struct {
		int epfd;
		uint32_t events;
		uint64_t data;
	} watch[PRELOAD_WATCH_MAX];
	bool shared; /* TCP: another process may hold a copy (the
		      * descriptor was there at a fork, an exec or
		      * spawn, or was sent with SCM_RIGHTS): a
		      * shutdown there is not seen here (shut_wr) */
	/* UDP: what setsockopt() recorded, and an error taken from the
	 * channel (by recvmmsg) that no call has returned yet */
	struct utcp_udp_opts udp_opts;
	struct in_addr bind_addr; /* UDP: bind()'s address (or any) */
	bool broadcast;
	int rcvbuf, sndbuf; /* as getsockopt() gives them; 0: the default */
	int udp_error;
	int udp_shut; /* shutdown(): 1 << SHUT_RD, 1 << SHUT_WR */
};

/* Whether an entry is a UDP socket. */
static inline bool usock_is_udp(const struct usock *s)
{
	return s->state == USOCK_UDP_NEW || s->state == USOCK_UDP;
}

/* The table, indexed by descriptor; table_lock guards it. */
extern struct usock *table[PRELOAD_FDS_MAX];
extern pthread_mutex_t table_lock;

/*
 * What a descriptor's data calls must do, read without the table's
 * lock (one relaxed load): 0 for every descriptor that is not ours
 * (or needs nothing), so that their reads and writes pay only that.
 */
#define FD_MARK_TCP 0x1 /* a connection whose error no call has taken */
#define FD_MARK_UDP 0x2 /* a UDP socket: every data call is translated */
extern atomic_uchar fd_mark[PRELOAD_FDS_MAX];

/* fd's mark (0 for a descriptor out of the table's range). */
static inline unsigned fd_mark_of(int fd)
{
	if (fd < 0 || fd >= PRELOAD_FDS_MAX)
		return 0;
	return atomic_load_explicit(&fd_mark[fd], memory_order_relaxed);
}

/* The C library's functions that several parts call. */
extern int (*real_getsockopt)(int, int, int, void *, socklen_t *);
extern int (*real_setsockopt)(int, int, int, const void *, socklen_t);
extern int (*real_socket)(int, int, int);
extern int (*real_connect)(int, const struct sockaddr *, socklen_t);
extern int (*real_bind)(int, const struct sockaddr *, socklen_t);
extern int (*real_close)(int);

/* The C library's `name` (dlsym RTLD_NEXT); aborts when it has none. */
void *next_symbol(const char *name);

/* Called once by the library's constructor, in this order. */
void preload_names_init(void);
void preload_exec_init(void); /* reads the table an exec carried */
void preload_io_init(void);

/* Copies fd's entry into *out. Returns true when fd is ours. */
bool table_lookup(int fd, struct usock *out);
/* Stores *s as fd's entry. Returns 0 or ENOMEM. */
int table_store(int fd, const struct usock *s);
/* Removes fd's entry, if any. */
void table_forget(int fd);
/* Records in fd's entry, and in every copy of the same socket here
 * (dup, dup2, dup3, F_DUPFD: the same open file), that this process
 * shut the connection's sending side (shut_wr), as shutdown() shuts the
 * socket, not one descriptor of it. */
void table_mark_shut_wr(int fd);
/* Marks the connections whose descriptors msg sends (SCM_RIGHTS) as
 * shared: the receiver's shutdown() is not seen here. */
void table_mark_sent(const struct msghdr *msg);
/* Takes connection fd's failure behind received bytes (preload_io.c's
 * take_tcp_reset_behind_data) unless, by now, its sending side was shut
 * here (shut_wr), its error taken, or, with shared_ok false, a copy may
 * be in another process (shared): checked and set under the table's
 * lock, so a shutdown() in another thread is not taken for the failure.
 * Returns true when taken (error_taken set). */
bool table_take_reset(int fd, bool shared_ok);

/* The process's control connection, opened on first use. Returns it,
 * or NULL with *err the open's error. */
struct utcp *get_handle(int *err);
/* Maps a libutcp error to the errno of a kernel socket call; a broken
 * control connection is dropped (ENETDOWN: the stack is gone). */
int control_errno(struct utcp *u, int err);
/* The errno for a daemon that cannot be reached. */
int open_errno(int err);

/* fd's SO_RCVTIMEO in ms (rounded up, at most INT_MAX), or -1 when it
 * has none: poll()'s timeout for a blocking call on it. */
int rcvtimeo_ms(int fd);
/* Gives an int option value as the kernel's getsockopt() does: at most
 * *len bytes of it, *len set to what was copied. Returns 0, or -1 with
 * errno EFAULT or EINVAL (a negative length). */
int give_int(int v, void *val, socklen_t *len);
/* Returns -1 with errno set to err. */
int fail_with(int err);
/* Whether a is in 127.0.0.0/8. */
bool is_loopback(struct in_addr a);
/* Whether a is a loopback address that --loopback=fail refuses (said on
 * stderr the first time): the caller fails (EADDRNOTAVAIL for a bind,
 * ENETUNREACH for a connect or a send). */
bool loopback_refused(struct in_addr a);
/* Writes sin into a caller's sockaddr buffer as the kernel does:
 * truncated to *len, *len set to the full size. */
void give_addr(const struct sockaddr_in *sin, struct sockaddr *addr,
	       socklen_t *len);
/* An AF_INET address of a and port (host order). */
struct sockaddr_in make_sin(struct in_addr a, uint16_t port);
/* The flags libutcp's open takes for descriptor fd's O_NONBLOCK, and
 * dup3's for its FD_CLOEXEC. */
void fd_flags(int fd, int *utcp_flags, int *dup_flags);
/* Puts newfd in fd's place (closing what was there) and newfd away;
 * when s is given, gives the new descriptor the descriptor options and
 * the epoll sets the entry says the old one had. Returns 0 or -1 with
 * errno (dup3's). */
int replace(int fd, int newfd, int dup_flags, struct usock *s);

/* preload_io.c: takes connection fd's error for a call to return (a
 * read, a write, SO_ERROR): the errno, or 0 when there is none or a
 * call took it already; taken once, as a kernel socket's pending error
 * is. */
int take_tcp_error(int fd);

/* preload_io.c: a connection that failed while bytes it received still
 * wait for room in the descriptor has its error's urgent byte behind
 * them, not there yet, and the daemon shut its end for reading
 * (docs/ipc.md): writes fail with EPIPE although this process never
 * shut its side (shut_wr, through any copy here; not known for a
 * connection inherited across exec, nor, for SO_ERROR, one a fork left
 * in two processes: shared). That is taken as the connection's failure:
 * ECONNRESET, once (error_taken: the urgent byte, when it comes, is not
 * reported again), as a kernel socket reports a reset at once, unread bytes or
 * not. write_failed: a write just failed with EPIPE; else a send of nothing
 * asks, and bytes must wait to be read with the stream not ended.
 * Returns ECONNRESET or 0 (no such failure, or taken already). */
int take_tcp_reset_behind_data(int fd, bool write_failed);

/* preload_udp.c: UDP sockets (the control calls come from preload.c's
 * for a UDP entry *s, fd's; each returns as the call it stands for). */
void preload_udp_init(void);
int udp_bind(int fd, struct usock *s, const struct sockaddr_in *sin,
	     socklen_t len);
int udp_connect(int fd, struct usock *s, const struct sockaddr_in *sin,
		socklen_t len);
int udp_setsockopt(int fd, struct usock *s, int level, int name,
		   const void *val, socklen_t len);
int udp_getsockopt(int fd, struct usock *s, int level, int name, void *val,
		   socklen_t *len);
/* The data calls on a UDP descriptor (preload_io.c's, translated):
 * gathered from iov, to `to` (NULL: the connected peer); scattered
 * into iov, the source into from. Return as sendmsg() and recvmsg(). */
ssize_t udp_sendmsg(int fd, const struct iovec *iov, size_t iovcnt, int flags,
		    const struct sockaddr *to, socklen_t tolen);
ssize_t udp_recvmsg(int fd, const struct iovec *iov, size_t iovcnt, int flags,
		    struct sockaddr *from, socklen_t *fromlen, int *msg_flags);
int udp_sendmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags);
int udp_recvmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags,
		 struct timespec *timeout);
/* shutdown() of a UDP socket: recorded (its channel stays whole), as
 * Linux's: reads give 0 once nothing is queued, sends EPIPE. Returns 0,
 * or -1 with errno ENOTCONN (not connected: recorded still), EINVAL. */
int udp_shutdown(int fd, int how);
/* ioctl(FIONREAD) on a UDP descriptor: the next datagram's payload
 * size (0 when none), an int written to out. Returns 0. */
int udp_fionread(int fd, void *out);

/* shutdown() of any descriptor but a UDP socket's: a TCP listener's as
 * Linux's, any other the real socket's. Returns as shutdown(). */
int tcp_shutdown(int fd, int how);

/* getsockopt(TCP_INFO) of the socket whose entry is *s (preload_tcpinfo.c):
 * fills the caller's (val, *len) as Linux does. Returns 0, or -1 with
 * errno EFAULT, EINVAL, ENETDOWN. */
int give_tcp_info(const struct usock *s, void *val, socklen_t *len);

#pragma GCC visibility pop

#endif
