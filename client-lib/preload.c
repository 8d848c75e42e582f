/*
 * preload.c - utcp-run's LD_PRELOAD layer: an unmodified program's
 * IPv4 TCP and UDP sockets and name lookups go through utcpd (utcp-run(1))
 *
 * Theory of operation
 *
 * utcpd's sockets are real descriptors (docs/design.md, "The data
 * path"): a TCP connection is one end of an AF_UNIX stream pair, a
 * listener a SEQPACKET pair over which accepted connections arrive, a
 * UDP socket a SEQPACKET pair carrying one datagram per packet behind a
 * header (ipc.h). So a connection's data moves with the C library's own
 * read, write, send, recv, poll, select, epoll, fcntl(F_SETFL) and
 * ioctl(FIONREAD): what is interposed is the control path (socket,
 * bind, listen, accept, accept4, connect, getsockname, getpeername,
 * getsockopt, setsockopt, shutdown of a listener, close, dup, dup2,
 * dup3, fcntl's F_DUPFD, epoll_ctl before connect or listen), the names
 * (getaddrinfo, freeaddrinfo, gethostbyname, gethostbyname2 and their
 * _r forms; getnameinfo, gethostbyaddr and its _r form, which look
 * nothing up), the data calls (preload_io.c: a UDP socket's are
 * translated, a connection's look for its failure first, below) and
 * exec (to carry the table). Each reaches the C library's own function
 * with dlsym(RTLD_NEXT) for what is not ours.
 *
 * A descriptor before the daemon knows it. socket(AF_INET,
 * SOCK_STREAM) cannot ask the daemon for anything yet: whether the
 * socket becomes a connection or a listener, and where, is decided
 * later. So it makes a real kernel TCP socket with the flags asked
 * (SOCK_NONBLOCK, SOCK_CLOEXEC): that reserves the descriptor number,
 * makes fcntl(), F_SETFL O_NONBLOCK and shutdown() on it behave as on
 * any unconnected socket, and is what a connection to loopback uses
 * (below). connect() and listen() then ask libutcp for the daemon's
 * descriptor and put it in the reserved number with dup3(), which
 * replaces the kernel socket atomically: O_NONBLOCK (a file status
 * flag) is read from the placeholder at that moment and given to the
 * new descriptor through libutcp's UTCP_NONBLOCK; FD_CLOEXEC (a
 * descriptor flag) through dup3's O_CLOEXEC. accept() takes the next
 * connection from the listener and sets both from accept4's flags, as
 * Linux does (the listener's own O_NONBLOCK is not inherited).
 *
 * epoll before connect or listen (or a UDP socket's bind, connect or
 * first datagram). An epoll set watches an open file (with its
 * descriptor number), and dup3() closes the placeholder's: its
 * registrations would be lost. So epoll_ctl() on a placeholder
 * (PENDING, UDP_NEW) records each set (epfd, events, data; ADD, MOD and DEL
 * kept up to date) in the entry, at most PRELOAD_WATCH_MAX sets (one
 * more ADD fails with ENOSPC rather than be forgotten), and the
 * replacement adds the new descriptor to each again. A copy made with
 * dup() has no registrations (they name the other number).
 *
 * The descriptor table. Each descriptor that is ours has an entry (its
 * state: PENDING until connect or listen, CONNECTING, CONNECTED,
 * FAILED, LISTENING; UDP_NEW, UDP for a UDP socket; what bind and
 * setsockopt recorded; the daemon's id and both endpoints), in an array indexed
 * by descriptor number (PRELOAD_FDS_MAX; a socket whose descriptor is beyond it
 * fails with EMFILE rather than go to the kernel). One mutex guards the table
 * and is held only to copy an entry in or out, never across a call into libutcp
 * or a blocking system call: libutcp's own socket(), connect() and close() come
 * back through this layer (they are AF_UNIX or not in the table, so they pass
 * through), and a blocking connect() or accept() in one thread must not stop
 * another's. close(), close_range(), closefrom() and dup2() onto a
 * descriptor remove its entry;
 * dup/dup2/dup3 copy it.
 *
 * Initialisation (the C library's functions found with dlsym, the
 * environment read, an inherited table loaded) runs once, from the
 * library's constructor or from the first interposed call, whichever
 * comes first: another library's constructor may run before ours and
 * already call socket() or write() (PRELOAD_READY in preload.h).
 *
 * One control connection per process (struct utcp is thread-safe),
 * opened at the first call that needs the daemon, on $UTCPD_SOCKET
 * (utcp-run sets it) as it was when the library was loaded: a program
 * may empty its environment before it first needs the daemon (nginx's
 * workers keep only TZ). A control connection that broke (the daemon went)
 * is abandoned and the next call opens a new one; what it held is not
 * freed, since another thread may still be in a call on it.
 *
 * fork. The child gets a copy of the table, which stays true: the
 * descriptors are the same open sockets (TCP connections and listeners
 * belong to their descriptors, not to the control connection, so a
 * listener shared by forked workers accepts in each, one connection to
 * one of them). The control connection must not be shared (replies are
 * matched by id on one stream): pthread_atfork() makes the child drop
 * it, unclosed, and open its own when it needs one; the table's mutex
 * is taken around fork() so the child's copy is consistent. Options of
 * a connection the child inherited (or an exec'd program, or another
 * process) are read and changed through its own control connection,
 * which the daemon does not know as the connection's owner: the
 * descriptor goes along as the proof (utcp_tcp_setopt_fd,
 * utcp_tcp_getopt_fd).
 *
 * exec. The table is gone after exec; the descriptors that were not
 * close-on-exec remain. So execve() and the calls built on it (execv,
 * execvp, execvpe, execl, execlp, execle, posix_spawn, posix_spawnp:
 * the C library's own reach execve without coming back through here)
 * put the entries of the descriptors that are not close-on-exec in
 * the new image's environment, UTCP_RUN_FDS="fd:state:id:laddr:lport:
 * raddr:rport,..." (addresses as 32-bit numbers, network order
 * printed in hex), replacing any that was there; the new image's
 * constructor reads it back, keeping an entry only when its descriptor
 * is still a socket of the kind the state says (an AF_UNIX stream for a
 * connection, SEQPACKET for a listener or a UDP socket, the placeholder
 * AF_INET stream before connect or listen, an AF_INET datagram socket
 * for a UDP socket not bound yet), and removes the variable. Options
 * recorded before connect or listen are not carried. The new
 * environment is built in memory from mmap(), not malloc(), since
 * execve() may be called in a vfork() child; when no descriptor is to
 * be inherited, the environment passes untouched. posix_spawn()'s
 * file actions (a descriptor closed or moved in the child) are not
 * followed: an entry may then name a descriptor the child does not
 * have, which the check above drops, or another socket of the same
 * kind at that number (wrong, and not caught: unsupported).
 *
 * A connection's failure after it was established (a reset, a timeout,
 * the daemon stopping) comes after its data as an urgent byte, then
 * the end of the stream (docs/design.md). An AF_UNIX read() that
 * reaches that byte with nothing copied drops it and goes on to the
 * end of the stream, so it must be looked for before the read, as
 * utcp_tcp_recv() does: read, readv, recv, recvfrom, recvmsg (and the
 * fortified __read_chk, __recv_chk, __recvfrom_chk) on a connection's
 * descriptor first wait in a blocking peek of one byte (the kernel's
 * wait, so SO_RCVTIMEO and SA_RESTART are Linux's; a poll() is never
 * restarted) unless the descriptor is O_NONBLOCK or the call
 * MSG_DONTWAIT, then ask sockatmark(): at the mark, they
 * fail with the error (utcp_tcp_error) once, and return 0 after, as a
 * kernel socket does. A lock-free mark per descriptor says which are
 * connections, so other descriptors' reads pay one load; a
 * connection's read pays an fcntl, a peek (blocking) and an ioctl. A
 * non-blocking read can still race the byte: it arrives between
 * sockatmark() and the read, which then sees the end of the stream
 * (a daemon that kept its end open until the byte was read would close
 * that race). Writes on such a connection (write, writev, send,
 * sendto, sendmsg, sendmmsg) are sent with MSG_NOSIGNAL, at the same
 * cost; one that fails with EPIPE takes the connection's error instead
 * (utcp_tcp_error), once, as Linux's first write after a reset gives
 * ECONNRESET, and only after that EPIPE, with SIGPIPE raised in the
 * calling thread unless the caller gave MSG_NOSIGNAL. The mark is
 * cleared once a read, a write or SO_ERROR took the error. The daemon sends the
 * urgent byte, then closes its end: a write between the two (after a
 * poll() that saw the byte) still succeeds, its bytes dropped.
 *
 * UDP (preload_udp.c). socket(AF_INET, SOCK_DGRAM) makes a kernel UDP
 * placeholder, as for TCP (state UDP_NEW): nothing can be asked of the
 * daemon before the local address is known. bind(), connect() and the
 * first send (an implicit bind to any:0, as Linux's autobind) open the
 * daemon's socket with UTCP_OWN_FD - it belongs to its descriptor, so
 * it outlives the control connection, a parent that forked, an image
 * that exec'd - and dup3() puts it in the placeholder's place (state
 * UDP; connected when the entry has a peer). A UDP descriptor is marked
 * FD_MARK_UDP, and every data call on it is translated: a send adds the
 * header (the destination, or 0:0 for the connected peer) before the
 * caller's iovecs in one sendmsg() with MSG_NOSIGNAL, after taking a
 * pending error at the head of the channel (as Linux's send returns
 * sk_err); a receive reads the header into a buffer of its own and the
 * payload into the caller's iovecs, with MSG_TRUNC to learn the
 * datagram's whole length, and gives an error packet as the call's
 * error. recvmmsg and sendmmsg loop over those; recvmmsg leaves an
 * error met after some datagrams in the entry for the next call, as
 * Linux leaves it in sk_err. A connect() on a socket that has the
 * daemon's closes that socket (a fresh placeholder takes the number)
 * and opens another on the same local port, connected: the daemon
 * frees the port when it notices the channel closed, apart from the
 * request, so EADDRINUSE is asked again for up to a second; in between
 * another socket may take the port, datagrams queued on the old one are
 * lost, and a copy of the descriptor (dup, or a process that forked)
 * keeps the old socket open (the port then stays in use). connect()
 * with AF_UNSPEC reopens the socket unconnected on its port when bind()
 * gave it, else returns to a placeholder (Linux releases an implicit
 * port); each of those puts a new descriptor in the number, so an
 * epoll set watching the old daemon socket loses it (unsupported, as
 * for a TCP socket that connects again; the placeholder's sets are
 * carried, "epoll before connect or listen" above). shutdown() is
 * recorded, not passed to the channel (whose
 * closed end would close the socket). Options are recorded in the
 * entry; IP_TOS and IP_TTL go to the daemon's socket too
 * (utcp_udp_setopt_fd, proving the socket by its descriptor, so a
 * child's or a new image's change works). The UDP changes of state are
 * serialized by a lock of their own, so two threads' first sends make
 * one socket.
 *
 * What goes to the kernel. Every family but AF_INET (AF_UNIX,
 * AF_NETLINK, AF_PACKET ...) untouched; AF_INET6 too, unless
 * UTCP_RUN_IPV6=fail (utcp-run --ipv6=fail), when socket() fails with
 * EAFNOSUPPORT and says why on stderr once. AF_INET SOCK_RAW goes to
 * the kernel (ping), and so does SOCK_DGRAM IPPROTO_ICMP (ping's
 * unprivileged socket); other IPv4 protocols fail with EPROTONOSUPPORT
 * and a message, rather than leak past the daemon. Loopback
 * (127.0.0.0/8): a connect() or bind() to it, or a UDP socket's first
 * send there, uses the placeholder kernel socket itself, and the
 * descriptor leaves the table (it is a kernel socket from then on),
 * unless UTCP_RUN_LOOPBACK=fail (utcp-run --loopback=fail): then the
 * bind fails with EADDRNOTAVAIL, the connect or send with ENETUNREACH,
 * said on stderr once. A listener on INADDR_ANY is the daemon's and is
 * not reachable over the kernel's loopback.
 *
 * Errors are the kernel's: connect() returns EINPROGRESS for a
 * non-blocking socket, EALREADY while it is in progress, EISCONN once
 * connected; the descriptor becomes writable exactly when the
 * connection is established or failed, and getsockopt(SO_ERROR) then
 * gives 0 or ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH (once:
 * read, it is cleared, as Linux clears sk_err). Errors that come at
 * once (ENETUNREACH, EADDRINUSE, EMFILE) are connect()'s own. The
 * next connect() after a failure gives the error (ECONNABORTED when
 * SO_ERROR took it) and puts a new placeholder in (the daemon's
 * descriptor is spent): the socket may connect again, as Linux's. A daemon
 * that cannot be reached or whose control connection broke is
 * ENETDOWN, as an interface that went down.
 *
 * Names: getaddrinfo(), gethostbyname(), gethostbyname2() (and their
 * _r forms) of a name that is not a numeric address ask the daemon's
 * stub resolver (utcp_resolve) for A records (AAAA when AF_INET6 is
 * asked alone); the service and the
 * socket types come from the C library's own getaddrinfo() on the
 * numeric address 0.0.0.0, whose entries are then copied once for each
 * address found. Numeric addresses and a NULL node go to the C
 * library, which looks nothing up for them. The daemon answers no
 * reverse (PTR) question and the C library's would go over the kernel:
 * getnameinfo() gives an IPv4 or IPv6 host in numeric form (EAI_NONAME
 * with NI_NAMEREQD) and gethostbyaddr() finds nothing (HOST_NOT_FOUND).
 *
 * Options. A connection's are the daemon's (set and read through
 * libutcp, proven by the descriptor); before connect() or listen(), and
 * on a listener, they are recorded in the entry, given to the daemon at
 * connect() or listen(), and read back as recorded (utcpd's defaults
 * for what was not set). TCP_INFO comes from the daemon's figures for
 * the connection (preload_tcpinfo.c). SO_RCVTIMEO, SO_SNDTIMEO and
 * SO_RCVLOWAT belong to the descriptor: they are the real socket's
 * (the placeholder's, carried to the daemon's descriptor when it
 * replaces it; a listener's, given to the connections it accepts, and
 * accept() waits at most SO_RCVTIMEO (without one, in a peek at the
 * listener, so that SA_RESTART is Linux's), as does the peek before a
 * blocking read of a connection, above, which then fails with EAGAIN). close()
 * of the last descriptor of a connection with SO_LINGER on and a time waits in
 * utcp_tcp_close() until the data and the FIN are acknowledged or the
 * time has passed, as Linux's does, on a non-blocking socket too.
 *
 * What cannot work: statically linked programs (utcp-run refuses them),
 * programs that make system calls without the C library (Go's runtime,
 * raw syscall()) and io_uring's socket operations.
 */
#define _GNU_SOURCE
/* Both fcntl and fcntl64 are defined here: the headers must not rename
 * one to the other (they do with 64-bit file offsets asked for). */
#undef _FILE_OFFSET_BITS
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "preload.h"

struct usock *table[PRELOAD_FDS_MAX];
atomic_uchar fd_mark[PRELOAD_FDS_MAX];
/* Above the highest descriptor that has had an entry (table_lock). */
static int table_top;
pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t handle_lock = PTHREAD_MUTEX_INITIALIZER;
static struct utcp *handle;
/* $UTCPD_SOCKET at load time (NULL: libutcp's default). */
static char *socket_path;

/* The C library's functions. */
int (*real_socket)(int, int, int);
int (*real_bind)(int, const struct sockaddr *, socklen_t);
int (*real_connect)(int, const struct sockaddr *, socklen_t);
static int (*real_listen)(int, int);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
static int (*real_getsockname)(int, struct sockaddr *, socklen_t *);
static int (*real_getpeername)(int, struct sockaddr *, socklen_t *);
int (*real_setsockopt)(int, int, int, const void *, socklen_t);
int (*real_close)(int);
static int (*real_shutdown)(int, int);
static int (*real_epoll_ctl)(int, int, int, struct epoll_event *);
static int (*real_dup)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
static int (*real_fcntl)(int, int, ...);
static int (*real_fcntl64)(int, int, ...);
int (*real_getsockopt)(int, int, int, void *, socklen_t *);

static bool ipv6_fail;
static bool loopback_fail;

void *next_symbol(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (!p) {
		fprintf(stderr, "utcp-run: the C library has no %s\n", name);
		abort();
	}
	return p;
}

/* ---- fork ----------------------------------------------------------- */

static void before_fork(void)
{
	pthread_mutex_lock(&handle_lock);
	pthread_mutex_lock(&table_lock);
}

/* After a fork (table_lock held), each connection of the table is in
 * both processes: a shutdown() in one is not recorded in the other's
 * table (shut_wr). */
static void mark_shared(void)
{
	for (int i = 0; i < table_top; i++) {
		struct usock *s = table[i];
		if (s && (s->state == USOCK_CONNECTED ||
			  s->state == USOCK_CONNECTING))
			s->shared = true;
	}
}

static void after_fork_parent(void)
{
	mark_shared();
	pthread_mutex_unlock(&table_lock);
	pthread_mutex_unlock(&handle_lock);
}

static void after_fork_child(void)
{
	handle = NULL; /* the parent's: left open, never used here */
	mark_shared();
	pthread_mutex_unlock(&table_lock);
	pthread_mutex_unlock(&handle_lock);
}

atomic_bool preload_ready;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
/* Set in the thread running preload_init(): an interposed function it
 * calls (inherit_table's checks) must not wait for itself. */
static __thread bool initialising;

static void preload_init(void)
{
	const char *v6 = getenv("UTCP_RUN_IPV6");
	const char *lo = getenv("UTCP_RUN_LOOPBACK");
	const char *path = getenv(UTCP_SOCKET_ENV);

	initialising = true;

	real_socket = next_symbol("socket");
	real_bind = next_symbol("bind");
	real_connect = next_symbol("connect");
	real_listen = next_symbol("listen");
	real_accept4 = next_symbol("accept4");
	real_getsockname = next_symbol("getsockname");
	real_getpeername = next_symbol("getpeername");
	real_getsockopt = next_symbol("getsockopt");
	real_setsockopt = next_symbol("setsockopt");
	real_close = next_symbol("close");
	real_shutdown = next_symbol("shutdown");
	real_epoll_ctl = next_symbol("epoll_ctl");
	real_dup = next_symbol("dup");
	real_dup2 = next_symbol("dup2");
	real_dup3 = next_symbol("dup3");
	real_fcntl = next_symbol("fcntl");
	real_fcntl64 = next_symbol("fcntl64");
	ipv6_fail = v6 && strcmp(v6, "fail") == 0;
	loopback_fail = lo && strcmp(lo, "fail") == 0;
	/* Without memory: NULL, libutcp's default. */
	if (path && *path)
		socket_path = strdup(path);
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
	preload_io_init();
	preload_udp_init(); /* after: its fork handlers' locks come first */
	preload_names_init();
	preload_exec_init();
	initialising = false;
	atomic_store_explicit(&preload_ready, true, memory_order_release);
}

void preload_init_now(void)
{
	if (!initialising)
		pthread_once(&init_once, preload_init);
}

__attribute__((constructor)) static void preload_ctor(void)
{
	preload_init_now();
}

/* ---- the control connection ----------------------------------------- */

/* The process's control connection, opened on first use. Returns it,
 * or NULL with *err the open's error. */
struct utcp *get_handle(int *err)
{
	struct utcp *u;

	pthread_mutex_lock(&handle_lock);
	if (!handle)
		handle = utcp_open(socket_path, err);
	u = handle;
	pthread_mutex_unlock(&handle_lock);
	return u;
}

/* Maps a libutcp error to the errno of a kernel socket call; a broken
 * control connection is dropped (ENETDOWN: the stack is gone). */
int control_errno(struct utcp *u, int err)
{
	switch (err) {
	case -ENOTCONN:
	case -EPIPE:
	case -EPROTO:
	case -ECONNRESET:
		pthread_mutex_lock(&handle_lock);
		if (handle == u)
			handle =
			    NULL; /* abandoned: another thread may use it */
		pthread_mutex_unlock(&handle_lock);
		return ENETDOWN;
	default:
		return -err;
	}
}

/* The errno for a daemon that cannot be reached. */
int open_errno(int err)
{
	(void)err;
	return ENETDOWN;
}

/* ---- the table ------------------------------------------------------ */

/* Copies fd's entry into *out. Returns true when fd is ours. */
bool table_lookup(int fd, struct usock *out)
{
	bool ours = false;

	if (fd < 0 || fd >= PRELOAD_FDS_MAX)
		return false;
	pthread_mutex_lock(&table_lock);
	if (table[fd]) {
		*out = *table[fd];
		ours = true;
	}
	pthread_mutex_unlock(&table_lock);
	return ours;
}

/* The mark (fd_mark) of a descriptor whose entry is *s. */
static unsigned mark_of(const struct usock *s)
{
	if (usock_is_udp(s))
		return FD_MARK_UDP;
	return (s->state == USOCK_CONNECTED || s->state == USOCK_CONNECTING) &&
		       !s->error_taken
		   ? FD_MARK_TCP
		   : 0;
}

/* Stores *s as fd's entry. Returns 0 or ENOMEM. */
int table_store(int fd, const struct usock *s)
{
	int ret = 0;

	pthread_mutex_lock(&table_lock);
	if (!table[fd])
		table[fd] = malloc(sizeof(*s));
	if (table[fd]) {
		*table[fd] = *s;
		if (fd >= table_top)
			table_top = fd + 1;
	} else {
		ret = ENOMEM;
	}
	atomic_store_explicit(&fd_mark[fd], ret ? 0 : mark_of(s),
			      memory_order_relaxed);
	pthread_mutex_unlock(&table_lock);
	return ret;
}

/* preload.h */
void table_mark_shut_wr(int fd)
{
	struct stat st, other;
	struct usock *s;
	bool known;

	if (fd < 0 || fd >= PRELOAD_FDS_MAX)
		return;
	known = fstat(fd, &st) == 0;
	pthread_mutex_lock(&table_lock);
	s = table[fd];
	if (s && s->state == USOCK_CONNECTED) {
		int id = s->id;

		s->shut_wr = true;
		/* The copies: the same connection id, and the same socket
		 * (an id may have gone to a newer connection since). */
		for (int i = 0; known && i < table_top; i++) {
			struct usock *c = table[i];
			if (i != fd && c && c->state == USOCK_CONNECTED &&
			    c->id == id && !c->shut_wr &&
			    fstat(i, &other) == 0 &&
			    other.st_dev == st.st_dev &&
			    other.st_ino == st.st_ino)
				c->shut_wr = true;
		}
	}
	pthread_mutex_unlock(&table_lock);
}

/* preload.h */
void table_mark_sent(const struct msghdr *msg)
{
	struct cmsghdr *cm;
	bool locked = false;

	if (!msg || !msg->msg_control ||
	    msg->msg_controllen < sizeof(struct cmsghdr))
		return;
	for (cm = CMSG_FIRSTHDR((struct msghdr *)msg); cm;
	     cm = CMSG_NXTHDR((struct msghdr *)msg, cm)) {
		size_t n;
		const unsigned char *p = CMSG_DATA(cm);

		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len < CMSG_LEN(0))
			continue;
		if (!locked) /* other control messages need no table */
			pthread_mutex_lock(&table_lock);
		locked = true;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			struct usock *s;

			memcpy(&fd, p + i * sizeof(int), sizeof(fd));
			s = fd >= 0 && fd < PRELOAD_FDS_MAX ? table[fd] : NULL;
			if (s && (s->state == USOCK_CONNECTED ||
				  s->state == USOCK_CONNECTING))
				s->shared = true;
		}
	}
	if (locked)
		pthread_mutex_unlock(&table_lock);
}

/* preload.h */
bool table_take_reset(int fd, bool shared_ok)
{
	struct usock *s;
	bool taken = false;

	if (fd < 0 || fd >= PRELOAD_FDS_MAX)
		return false;
	pthread_mutex_lock(&table_lock);
	s = table[fd];
	if (s && s->state == USOCK_CONNECTED && !s->shut_wr &&
	    !s->error_taken && !s->opts_unknown && (shared_ok || !s->shared)) {
		s->error_taken = true;
		atomic_store_explicit(&fd_mark[fd], mark_of(s),
				      memory_order_relaxed);
		taken = true;
	}
	pthread_mutex_unlock(&table_lock);
	return taken;
}

void table_forget(int fd)
{
	struct usock *s;

	if (fd < 0 || fd >= PRELOAD_FDS_MAX)
		return;
	pthread_mutex_lock(&table_lock);
	s = table[fd];
	table[fd] = NULL;
	atomic_store_explicit(&fd_mark[fd], 0, memory_order_relaxed);
	pthread_mutex_unlock(&table_lock);
	free(s);
}

bool is_loopback(struct in_addr a)
{
	return (ntohl(a.s_addr) >> 24) == 127;
}

bool loopback_refused(struct in_addr a)
{
	static atomic_bool said;

	if (!loopback_fail || !is_loopback(a))
		return false;
	if (!atomic_exchange(&said, true))
		fprintf(stderr, "utcp-run: loopback addresses are not "
				"supported (--loopback=fail)\n");
	return true;
}

/* Writes sin into a caller's sockaddr buffer as the kernel does:
 * truncated to *len, *len set to the full size. */
void give_addr(const struct sockaddr_in *sin, struct sockaddr *addr,
	       socklen_t *len)
{
	if (!addr || !len)
		return;
	memcpy(addr, sin, *len < sizeof(*sin) ? *len : sizeof(*sin));
	*len = sizeof(*sin);
}

struct sockaddr_in make_sin(struct in_addr a, uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};

	sin.sin_addr = a;
	sin.sin_port = htons(port);
	return sin;
}

/* Returns -1 with errno set to err. */
int fail_with(int err)
{
	errno = err;
	return -1;
}

/* ---- socket ---------------------------------------------------------- */

int socket(int domain, int type, int protocol)
{
	PRELOAD_READY();
	int kind = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct usock s = {.state = USOCK_PENDING, .id = -1};
	int fd, err;

	if (domain == AF_INET6 && ipv6_fail) {
		static bool said;

		if (!said)
			fprintf(stderr, "utcp-run: IPv6 sockets are not "
					"supported (--ipv6=fail)\n");
		said = true;
		return fail_with(EAFNOSUPPORT);
	}
	/* SOCK_DGRAM IPPROTO_ICMP (ping's) is a raw socket's kin */
	if (domain != AF_INET || kind == SOCK_RAW ||
	    (kind == SOCK_DGRAM && protocol == IPPROTO_ICMP))
		return real_socket(domain, type, protocol);
	if (kind == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP))
		s.state = USOCK_UDP_NEW;
	else if (kind != SOCK_STREAM ||
		 (protocol != 0 && protocol != IPPROTO_TCP)) {
		static bool said;

		if (!said)
			fprintf(stderr, "utcp-run: IPv4 sockets other than "
					"TCP and UDP are not supported\n");
		said = true;
		return fail_with(EPROTONOSUPPORT);
	}
	fd = real_socket(domain, type, protocol);
	if (fd < 0)
		return fd;
	if (fd >= PRELOAD_FDS_MAX) {
		real_close(fd);
		return fail_with(EMFILE);
	}
	s.local.sin_family = AF_INET;
	err = table_store(fd, &s);
	if (err) {
		real_close(fd);
		return fail_with(err);
	}
	return fd;
}

/* ---- bind, listen ----------------------------------------------------- */

int bind(int fd, __CONST_SOCKADDR_ARG arg, socklen_t len)
{
	PRELOAD_READY();
	const struct sockaddr_in *sin = SIN(arg);
	struct usock s;

	if (!table_lookup(fd, &s))
		return real_bind(fd, SA(arg), len);
	if (usock_is_udp(&s))
		return udp_bind(fd, &s, sin, len);
	if (s.state != USOCK_PENDING || s.bound)
		return fail_with(EINVAL);
	if (!sin || len < sizeof(*sin))
		return fail_with(EINVAL);
	if (sin->sin_family != AF_INET)
		return fail_with(EAFNOSUPPORT);
	if (loopback_refused(sin->sin_addr))
		return fail_with(EADDRNOTAVAIL);
	if (is_loopback(sin->sin_addr)) {
		/* The kernel's from now on. */
		int ret = real_bind(fd, SA(arg), len);

		if (ret == 0)
			table_forget(fd);
		return ret;
	}
	s.bound = true;
	s.port_chosen = sin->sin_port != 0;
	s.local = *sin;
	s.local.sin_family = AF_INET;
	return table_store(fd, &s) ? fail_with(ENOMEM) : 0;
}

/* The flags libutcp's open takes for descriptor fd's O_NONBLOCK, and
 * dup3's for its FD_CLOEXEC. */
void fd_flags(int fd, int *utcp_flags, int *dup_flags)
{
	int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);

	*utcp_flags = fl >= 0 && (fl & O_NONBLOCK) ? UTCP_NONBLOCK : 0;
	*dup_flags = fdfl >= 0 && (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0;
}

/* Whether SOL_SOCKET option name belongs to the descriptor: the real
 * socket's (the placeholder's, then the daemon's descriptor's). */
static bool fd_option(int name)
{
	switch (name) {
	case SO_RCVLOWAT:
	case SO_RCVTIMEO_OLD:
	case SO_SNDTIMEO_OLD:
#ifdef SO_RCVTIMEO_NEW
	case SO_RCVTIMEO_NEW:
	case SO_SNDTIMEO_NEW:
#endif
		return true;
	default:
		return false;
	}
}

/* Gives descriptor to the options fd_option() names that from has. */
static void copy_fd_options(int from, int to)
{
	static const int names[] = {SO_RCVTIMEO_OLD, SO_SNDTIMEO_OLD};
	struct timeval tv;
	socklen_t len;
	int v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		len = sizeof(tv);
		if (real_getsockopt(from, SOL_SOCKET, names[i], &tv, &len) == 0)
			real_setsockopt(to, SOL_SOCKET, names[i], &tv, len);
	}
	len = sizeof(v);
	if (real_getsockopt(from, SOL_SOCKET, SO_RCVLOWAT, &v, &len) == 0)
		real_setsockopt(to, SOL_SOCKET, SO_RCVLOWAT, &v, len);
}

/* Puts newfd in fd's place (closing what was there) and newfd away;
 * when s is given, gives the new descriptor the descriptor options and
 * the epoll sets the entry says the old one had (one that was closed
 * since is passed over). Returns 0 or -1 with errno (dup3's). */
int replace(int fd, int newfd, int dup_flags, struct usock *s)
{
	int ret, err;

	if (s && s->fd_opts)
		copy_fd_options(fd, newfd);
	ret = real_dup3(newfd, fd, dup_flags);
	err = errno;

	real_close(newfd);
	if (ret < 0)
		return fail_with(err);
	if (!s)
		return 0;
	for (unsigned i = 0; i < s->n_watch; i++) {
		struct epoll_event ev = {.events = s->watch[i].events};

		ev.data.u64 = s->watch[i].data;
		real_epoll_ctl(s->watch[i].epfd, EPOLL_CTL_ADD, fd, &ev);
	}
	s->n_watch = 0;
	return 0;
}

int listen(int fd, int backlog)
{
	PRELOAD_READY();
	struct utcp_tcp_info info;
	struct utcp *u;
	struct usock s;
	int uflags, dflags, lfd, err;

	if (!table_lookup(fd, &s))
		return real_listen(fd, backlog);
	if (usock_is_udp(&s))
		return fail_with(EOPNOTSUPP); /* as Linux's UDP */
	if (s.state == USOCK_LISTENING)
		return 0; /* Linux changes the backlog; ours stays */
	if (s.state != USOCK_PENDING)
		return fail_with(EINVAL);
	/* As Linux: at most SOMAXCONN (4096), negative is the most, and
	 * 0 still takes one. */
	if (backlog < 0 || backlog > 4096)
		backlog = 4096;
	if (backlog == 0)
		backlog = 1;
	u = get_handle(&err);
	if (!u)
		return fail_with(open_errno(err));
	fd_flags(fd, &uflags, &dflags);
	lfd = utcp_tcp_listen(u, s.local.sin_addr, ntohs(s.local.sin_port),
			      backlog, &s.opts, uflags, &info);
	if (lfd < 0)
		return fail_with(control_errno(u, lfd));
	if (replace(fd, lfd, dflags, &s) < 0)
		return -1;
	s.state = USOCK_LISTENING;
	s.id = info.id;
	s.local = make_sin(info.local_addr, info.local_port);
	return table_store(fd, &s) ? fail_with(ENOMEM) : 0;
}

/* ---- accept ----------------------------------------------------------- */

/* Milliseconds of CLOCK_MONOTONIC now. */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rcvtimeo_ms(int fd)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);
	int64_t ms;

	if (real_getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO_OLD, &tv, &len) != 0 ||
	    (tv.tv_sec == 0 && tv.tv_usec == 0))
		return -1;
	ms = (int64_t)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* When a blocking accept() on listener fd gives up: now plus its
 * SO_RCVTIMEO, or -1 (never). */
static int64_t accept_deadline(int fd)
{
	int ms = rcvtimeo_ms(fd);

	return ms < 0 ? -1 : now_ms() + ms;
}

/* poll()'s timeout until deadline (-1: none); 0 once it has passed. */
static int ms_until(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	if (left <= 0)
		return 0;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

/* Gives connection id (descriptor cfd), accepted on the listener *s,
 * the options set on the listener after listen(): the daemon gave it
 * those of listen() only. */
static void late_options(const struct usock *s, int id, int cfd)
{
	struct utcp_tcp_opts o = s->opts;
	struct utcp *u;
	int err;

	o.set = s->late_set;
	u = get_handle(&err);
	if (u) {
		err = utcp_tcp_setopt_fd(u, id, cfd, &o);
		if (err)
			control_errno(u, err);
	}
}

static int accept_common(int fd, struct sockaddr *addr, socklen_t *len,
			 int flags)
{
	struct utcp_tcp_info info;
	struct usock s, c = {.state = USOCK_CONNECTED};
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int64_t deadline;
	int cfd, fl, wait;
	bool polling = false;
	char byte;

	if (!table_lookup(fd, &s))
		return real_accept4(fd, addr, len, flags);
	if (usock_is_udp(&s))
		return fail_with(EOPNOTSUPP);
	if (s.state != USOCK_LISTENING)
		return fail_with(EINVAL);
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return fail_with(EINVAL);
	fl = fcntl(fd, F_GETFL);
	deadline = s.fd_opts ? accept_deadline(fd) : -1;
	for (;;) {
		cfd = utcp_tcp_accept4(fd, &info, UTCP_NONBLOCK);
		if (cfd != -EAGAIN)
			break;
		if (fl >= 0 && (fl & O_NONBLOCK))
			return fail_with(EAGAIN);
		wait = ms_until(deadline);
		if (wait == 0)
			return fail_with(EAGAIN); /* SO_RCVTIMEO passed */
		/* without a time, the kernel's wait (a peek), as Linux's:
		 * a handler with SA_RESTART does not end it, where poll()
		 * would fail with EINTR; the end of the listener's stream or
		 * an error goes on to poll(), which does not take them */
		if (wait < 0 && !polling) {
			ssize_t n = recv(fd, &byte, 1, MSG_PEEK);

			if (n > 0)
				continue; /* a connection, or taken by another
					   */
			if (n < 0 && errno == EINTR)
				return -1;
			polling = true;
		}
		if (poll(&pfd, 1, wait) < 0)
			return -1; /* EINTR, as accept's with SO_RCVTIMEO */
	}
	if (cfd == -ECONNRESET)
		return fail_with(ENETDOWN); /* the daemon closed the listener */
	if (cfd < 0)
		return fail_with(-cfd);
	/* libutcp gave it O_NONBLOCK and FD_CLOEXEC: keep what flags say */
	if (!(flags & SOCK_NONBLOCK)) {
		fl = fcntl(cfd, F_GETFL);
		if (fl >= 0)
			fcntl(cfd, F_SETFL, fl & ~O_NONBLOCK);
	}
	if (!(flags & SOCK_CLOEXEC))
		fcntl(cfd, F_SETFD, 0);
	if (cfd >= PRELOAD_FDS_MAX) {
		real_close(cfd);
		return fail_with(EMFILE);
	}
	if (s.fd_opts)
		copy_fd_options(fd, cfd); /* as Linux's accepted sockets */
	if (s.late_set)
		late_options(&s, info.id, cfd);
	c.fd_opts = s.fd_opts;
	c.opts_unknown = s.opts_unknown; /* the listener's were not carried */
	c.id = info.id;
	c.local = make_sin(info.local_addr, info.local_port);
	c.remote = make_sin(info.remote_addr, info.remote_port);
	c.opts = s.opts;
	if (table_store(cfd, &c)) {
		real_close(cfd);
		return fail_with(ENOMEM);
	}
	give_addr(&c.remote, addr, len);
	return cfd;
}

int accept(int fd, __SOCKADDR_ARG addr, socklen_t *__restrict len)
{
	PRELOAD_READY();
	return accept_common(fd, SA(addr), len, 0);
}

int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *__restrict len, int flags)
{
	PRELOAD_READY();
	return accept_common(fd, SA(addr), len, flags);
}

/* ---- connect ---------------------------------------------------------- */

/* Whether a CONNECTING socket is over: true with *err (0 or the
 * positive errno) once its descriptor is writable, as libutcp's own
 * blocking connect decides it. */
static bool connect_done(int fd, int *err)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	uint8_t byte;

	if (poll(&pfd, 1, 0) != 1)
		return false;
	*err = 0;
	/* Data before an error: established; the error comes later. */
	if (sockatmark(fd) == 1 ||
	    recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0)
		*err = -utcp_tcp_error(fd);
	return true;
}

/* Moves a CONNECTING entry on when its connect is over; returns the
 * error it ended with (0: established or still under way). */
static int connect_settle(int fd, struct usock *s)
{
	int err;

	if (s->state != USOCK_CONNECTING || !connect_done(fd, &err))
		return 0;
	s->state = err ? USOCK_FAILED : USOCK_CONNECTED;
	s->connect_error = err;
	table_store(fd, s);
	return err;
}

/* Makes entry *s of descriptor fd, now a new placeholder, unconnected
 * as Linux's socket is after a failed connect or a listener's
 * shutdown: it keeps the address bind() gave, and the port only when
 * bind() chose one (an ephemeral port is given up). Returns 0 or -1
 * with errno ENOMEM. */
static int unconnect(int fd, struct usock *s)
{
	s->state = USOCK_PENDING;
	s->id = -1;
	if (!s->bound)
		s->local = make_sin((struct in_addr){INADDR_ANY}, 0);
	else if (!s->port_chosen)
		s->local.sin_port = 0;
	return table_store(fd, s) ? fail_with(ENOMEM) : 0;
}

/* Gives socket fd (entry *s) a new placeholder, unconnected: as
 * Linux's once connect() has reported a failure (it may connect anew),
 * or after a listener's shutdown (it may listen anew). Returns 0 or -1
 * with errno. */
static int renew(int fd, struct usock *s)
{
	int uflags, dflags, nfd;

	fd_flags(fd, &uflags, &dflags);
	nfd =
	    real_socket(AF_INET, SOCK_STREAM | (uflags ? SOCK_NONBLOCK : 0), 0);
	if (nfd < 0)
		return -1;
	if (replace(fd, nfd, dflags, s) < 0)
		return -1;
	s->connect_error = 0;
	s->error_taken = false;
	return unconnect(fd, s);
}

int connect(int fd, __CONST_SOCKADDR_ARG arg, socklen_t len)
{
	PRELOAD_READY();
	const struct sockaddr_in *sin = SIN(arg);
	struct utcp_tcp_info info;
	struct utcp *u;
	struct usock s;
	int uflags, dflags, cfd, err;

	if (!table_lookup(fd, &s))
		return real_connect(fd, SA(arg), len);
	if (usock_is_udp(&s))
		return udp_connect(fd, &s, sin, len);
	switch (s.state) {
	case USOCK_PENDING:
		break;
	case USOCK_CONNECTING:
		err = connect_settle(fd, &s);
		if (s.state == USOCK_CONNECTING)
			return fail_with(EALREADY);
		if (err) {
			if (renew(fd, &s) < 0)
				return -1;
			return fail_with(err);
		}
		return fail_with(EISCONN);
	case USOCK_CONNECTED:
		return fail_with(EISCONN);
	case USOCK_FAILED:
		/* As Linux: the error if SO_ERROR did not take it, else
		 * ECONNABORTED; unconnected after, to connect anew. */
		err = s.connect_error ? s.connect_error : ECONNABORTED;
		if (renew(fd, &s) < 0)
			return -1;
		return fail_with(err);
	case USOCK_LISTENING:
	default:
		return fail_with(EISCONN);
	}
	if (!sin || len < sizeof(sa_family_t))
		return fail_with(EINVAL);
	if (sin->sin_family == AF_UNSPEC)
		return 0; /* dissolves nothing: not connected */
	if (len < sizeof(*sin))
		return fail_with(EINVAL);
	if (sin->sin_family != AF_INET)
		return fail_with(EAFNOSUPPORT);
	if (loopback_refused(sin->sin_addr))
		return fail_with(ENETUNREACH);
	if (is_loopback(sin->sin_addr) && !s.bound) {
		table_forget(fd); /* the kernel's from now on */
		return real_connect(fd, SA(arg), len);
	}
	if (sin->sin_port == 0)
		return fail_with(ECONNREFUSED); /* as Linux, for port 0 */
	u = get_handle(&err);
	if (!u)
		return fail_with(open_errno(err));
	fd_flags(fd, &uflags, &dflags);
	cfd = utcp_tcp_open(u, s.local.sin_addr, ntohs(s.local.sin_port),
			    sin->sin_addr, ntohs(sin->sin_port), 0, &s.opts,
			    uflags, &info);
	if (cfd < 0)
		return fail_with(control_errno(u, cfd));
	if (replace(fd, cfd, dflags, &s) < 0)
		return -1;
	s.state = uflags ? USOCK_CONNECTING : USOCK_CONNECTED;
	s.id = info.id;
	s.local = make_sin(info.local_addr, info.local_port);
	s.remote = *sin;
	if (table_store(fd, &s))
		return fail_with(ENOMEM);
	return uflags ? fail_with(EINPROGRESS) : 0;
}

/* ---- shutdown ---------------------------------------------------------- */

/*
 * shutdown() of a TCP socket (preload_io.c's for any descriptor but a
 * UDP socket's). A listener's is Linux's: SHUT_WR does nothing, SHUT_RD
 * and SHUT_RDWR stop the listening - the socket is unconnected again
 * (renew()), and may listen anew (accept() meanwhile gives EINVAL). The
 * daemon's listener closes with its descriptor, so a copy in another process
 * (fork) goes on listening there, where Linux would stop it for all. Other
 * sockets' shutdown() is the real socket's: the placeholder's (ENOTCONN) or the
 * connection's, whose SHUT_WR is recorded (shut_wr).
 */
int tcp_shutdown(int fd, int how)
{
	struct usock s;
	bool ours = table_lookup(fd, &s);

	if (!ours || s.state != USOCK_LISTENING) {
		/* Its writes fail with EPIPE from now on, not because the
		 * connection failed (tcp_written()), through every copy of
		 * the descriptor. Recorded first: another thread that sees
		 * such a write fail sees the record too (table_take_reset). A
		 * shutdown of a connected socket with a valid `how` does not
		 * fail. */
		if (ours && (how == SHUT_WR || how == SHUT_RDWR) &&
		    s.state == USOCK_CONNECTED)
			table_mark_shut_wr(fd);
		return real_shutdown(fd, how);
	}
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return fail_with(EINVAL);
	if (how == SHUT_WR)
		return 0;
	s.late_set = 0;
	return renew(fd, &s);
}

/* ---- names of a socket ----------------------------------------------- */

int getsockname(int fd, __SOCKADDR_ARG addr, socklen_t *__restrict len)
{
	PRELOAD_READY();
	struct usock s;

	if (!table_lookup(fd, &s))
		return real_getsockname(fd, SA(addr), len);
	if (!SA(addr) || !len)
		return fail_with(EFAULT);
	give_addr(&s.local, SA(addr), len);
	return 0;
}

/* Whether connection fd is over both ways (its FIN sent and the
 * peer's received, or a failure): Linux's socket is then CLOSE, with
 * no peer. The descriptor's pair then hangs up. */
static bool closed(int fd)
{
	struct pollfd pfd = {.fd = fd};

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP);
}

int getpeername(int fd, __SOCKADDR_ARG addr, socklen_t *__restrict len)
{
	PRELOAD_READY();
	struct usock s;

	if (!table_lookup(fd, &s))
		return real_getpeername(fd, SA(addr), len);
	connect_settle(fd, &s);
	if (usock_is_udp(&s) ? s.remote.sin_port == 0
			     : s.state != USOCK_CONNECTED || closed(fd))
		return fail_with(ENOTCONN);
	if (!SA(addr) || !len)
		return fail_with(EFAULT);
	give_addr(&s.remote, SA(addr), len);
	return 0;
}

/* ---- epoll before connect or listen ---------------------------------- */

/* Returns the index of epfd in s's watches, or s->n_watch. */
static unsigned watch_index(const struct usock *s, int epfd)
{
	unsigned i = 0;

	while (i < s->n_watch && s->watch[i].epfd != epfd)
		i++;
	return i;
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	PRELOAD_READY();
	struct usock s;
	unsigned i;
	int ret;

	if (!table_lookup(fd, &s) ||
	    (s.state != USOCK_PENDING && s.state != USOCK_UDP_NEW))
		return real_epoll_ctl(epfd, op, fd, ev);
	i = watch_index(&s, epfd);
	if (op == EPOLL_CTL_ADD && i == PRELOAD_WATCH_MAX)
		return fail_with(ENOSPC);
	ret = real_epoll_ctl(epfd, op, fd, ev);
	if (ret < 0)
		return ret;
	if (op == EPOLL_CTL_DEL) {
		if (i < s.n_watch)
			s.watch[i] = s.watch[--s.n_watch];
	} else if (op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) {
		if (i == s.n_watch)
			s.n_watch++;
		s.watch[i].epfd = epfd;
		s.watch[i].events = ev->events;
		s.watch[i].data = ev->data.u64;
	}
	return table_store(fd, &s) ? fail_with(ENOMEM) : ret;
}

/* ---- options ---------------------------------------------------------- */

/* Reads an int option value. Returns 0 or EINVAL/EFAULT. */
static int int_value(const void *val, socklen_t len, int *out)
{
	if (!val)
		return EFAULT;
	if (len < sizeof(int))
		return EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

/* Records option (level, name) in *o; returns 0, ENOPROTOOPT for an
 * option not supported, EINVAL. */
static int record_option(struct usock *s, int level, int name, const void *val,
			 socklen_t len)
{
	struct utcp_tcp_opts *o = &s->opts;
	struct linger lg;
	int v, err;

	if (level == SOL_SOCKET && name == SO_LINGER) {
		if (!val)
			return EFAULT;
		if (len < sizeof(lg))
			return EINVAL;
		memcpy(&lg, val, sizeof(lg));
		o->set |= UTCP_TCP_OPT_LINGER;
		o->linger = lg.l_onoff != 0;
		o->linger_s = lg.l_linger < 0 ? 0 : (uint32_t)lg.l_linger;
		return 0;
	}
	err = int_value(val, len, &v);
	if (err)
		return err;
	switch (level == SOL_SOCKET    ? name
		: level == IPPROTO_TCP ? -name - 1
		: level == IPPROTO_IP  ? -name - 1000
				       : -100000) {
	case SO_REUSEADDR:
		s->reuseaddr = v != 0;
		return 0;
	case SO_REUSEPORT:
		s->reuseport = v != 0;
		return 0;
	case SO_KEEPALIVE:
		o->set |= UTCP_TCP_OPT_KEEPALIVE;
		o->keepalive = v != 0;
		return 0;
	case SO_SNDBUF:
	case SO_RCVBUF:
		/* Linux clamps into its range; so does this */
		if (v < 2048)
			v = 2048;
		if (v > 64 << 20)
			v = 64 << 20;
		if (name == SO_SNDBUF) {
			o->set |= UTCP_TCP_OPT_SNDBUF;
			o->sndbuf = (uint32_t)v;
		} else {
			o->set |= UTCP_TCP_OPT_RCVBUF;
			o->rcvbuf = (uint32_t)v;
		}
		return 0;
	case -TCP_NODELAY - 1:
		o->set |= UTCP_TCP_OPT_NODELAY;
		o->nodelay = v != 0;
		return 0;
	case -TCP_KEEPIDLE - 1:
	case -TCP_KEEPINTVL - 1:
	case -TCP_KEEPCNT - 1:
		if (v < 1 || v > (name == TCP_KEEPCNT ? 127 : 32767))
			return EINVAL; /* Linux's ranges */
		if (name == TCP_KEEPIDLE) {
			o->set |= UTCP_TCP_OPT_KEEPIDLE;
			o->keepidle_s = (uint32_t)v;
		} else if (name == TCP_KEEPINTVL) {
			o->set |= UTCP_TCP_OPT_KEEPINTVL;
			o->keepintvl_s = (uint32_t)v;
		} else {
			o->set |= UTCP_TCP_OPT_KEEPCNT;
			o->keepcnt = (uint32_t)v;
		}
		return 0;
	case -TCP_MAXSEG - 1:
		/* Linux's range: 0 (none) or TCP_MIN_MSS .. MAX_TCP_WINDOW */
		if (v != 0 && (v < 88 || v > 32767))
			return EINVAL;
		o->set |= UTCP_TCP_OPT_MAXSEG;
		o->maxseg = (uint32_t)v;
		return 0;
	case -IP_TOS - 1000:
		o->set |= UTCP_TCP_OPT_TOS;
		o->tos = (uint8_t)v;
		return 0;
	case -IP_TTL - 1000:
		if (v == -1)
			v = 0;
		if (v < 0 || v > 255)
			return EINVAL;
		o->set |= UTCP_TCP_OPT_TTL;
		o->ttl = (uint8_t)v;
		return 0;
	default:
		return ENOPROTOOPT;
	}
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	PRELOAD_READY();
	struct utcp_tcp_opts before;
	struct utcp *u;
	struct usock s;
	int err;

	if (!table_lookup(fd, &s))
		return real_setsockopt(fd, level, name, val, len);
	if (usock_is_udp(&s))
		return udp_setsockopt(fd, &s, level, name, val, len);
	if (level == SOL_SOCKET && fd_option(name)) {
		if (real_setsockopt(fd, level, name, val, len) < 0)
			return -1;
		s.fd_opts = true;
		return table_store(fd, &s) ? fail_with(ENOMEM) : 0;
	}
	before = s.opts;
	s.opts.set = 0;
	err = record_option(&s, level, name, val, len);
	if (err)
		return fail_with(err);
	/* A connection's options go to the daemon, proven by fd: also one
	 * this process did not make (inherited across fork or exec). */
	if (s.id >= 0 &&
	    (s.state == USOCK_CONNECTED || s.state == USOCK_CONNECTING) &&
	    s.opts.set) {
		u = get_handle(&err);
		if (!u)
			return fail_with(open_errno(err));
		err = utcp_tcp_setopt_fd(u, s.id, fd, &s.opts);
		if (err)
			return fail_with(control_errno(u, err));
	}
	if (s.state == USOCK_LISTENING)
		s.late_set |= s.opts.set; /* for the connections accepted */
	s.opts.set |= before.set;
	return table_store(fd, &s) ? fail_with(ENOMEM) : 0;
}

/* Gives an option's value of size n as the kernel does: at most *len
 * bytes of it, *len set to what was copied. */
static int give_bytes(const void *v, size_t n, void *val, socklen_t *len)
{
	if (!val || !len)
		return fail_with(EFAULT);
	if ((int)*len < 0)
		return fail_with(EINVAL);
	if (*len > n)
		*len = (socklen_t)n;
	memcpy(val, v, *len);
	return 0;
}

int give_int(int v, void *val, socklen_t *len)
{
	return give_bytes(&v, sizeof(v), val, len);
}

/* The options of fd's socket (entry *s) as they are now: a
 * connection's from the daemon, proven by fd; else what was recorded,
 * each unset field at utcpd's default (conf/utcpd.conf's [tcp]; a
 * daemon configured otherwise is not asked). */
static struct utcp_tcp_opts current_options(int fd, const struct usock *s)
{
	struct utcp_tcp_opts o = s->opts;
	struct utcp *u;
	int err;

	if (s->id >= 0 &&
	    (s->state == USOCK_CONNECTED || s->state == USOCK_CONNECTING)) {
		u = get_handle(&err);
		if (u && utcp_tcp_getopt_fd(u, s->id, fd, &o) == 0)
			return o;
		o = s->opts;
	}
	if (!(o.set & UTCP_TCP_OPT_SNDBUF))
		o.sndbuf = PRELOAD_TCP_BUF_DEFAULT;
	if (!(o.set & UTCP_TCP_OPT_RCVBUF))
		o.rcvbuf = PRELOAD_TCP_BUF_DEFAULT;
	if (!(o.set & UTCP_TCP_OPT_KEEPIDLE))
		o.keepidle_s = 7200;
	if (!(o.set & UTCP_TCP_OPT_KEEPINTVL))
		o.keepintvl_s = 75;
	if (!(o.set & UTCP_TCP_OPT_KEEPCNT))
		o.keepcnt = 9;
	if (!(o.set & UTCP_TCP_OPT_TTL) || o.ttl == 0)
		o.ttl = 64;
	return o;
}

/* TCP_MAXSEG as Linux reads it: a connection's MSS in use; before
 * connect() or on a listener, the value set, else 536. */
static int give_maxseg(const struct usock *s, const struct utcp_tcp_opts *o,
		       void *val, socklen_t *len)
{
	struct utcp_tcp_socket c;
	struct utcp *u;
	int err;

	if (s->id >= 0 && s->state == USOCK_CONNECTED) {
		u = get_handle(&err);
		if (u && utcp_tcp_info(u, s->id, &c) == 0 && c.mss)
			return give_int((int)c.mss, val, len);
	}
	if ((o->set & UTCP_TCP_OPT_MAXSEG) && o->maxseg)
		return give_int((int)o->maxseg, val, len);
	return give_int(536, val, len);
}

int getsockopt(int fd, int level, int name, void *val,
	       socklen_t *__restrict len)
{
	PRELOAD_READY();
	struct utcp_tcp_opts o;
	struct linger lg;
	struct usock s;
	int err;

	if (!table_lookup(fd, &s))
		return real_getsockopt(fd, level, name, val, len);
	if (usock_is_udp(&s))
		return udp_getsockopt(fd, &s, level, name, val, len);
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_ERROR:
			err = connect_settle(fd, &s);
			if (s.state == USOCK_FAILED) {
				err = s.connect_error;
				s.connect_error = 0; /* taken, as Linux */
				table_store(fd, &s);
			} else if (s.state == USOCK_CONNECTED) {
				err = take_tcp_error(fd); /* once, as Linux */
				if (!err) /* at once, unread bytes or not */
					err = take_tcp_reset_behind_data(fd,
									 false);
			}
			return give_int(err, val, len);
		case SO_TYPE:
			return give_int(SOCK_STREAM, val, len);
		case SO_DOMAIN:
			return give_int(AF_INET, val, len);
		case SO_PROTOCOL:
			return give_int(IPPROTO_TCP, val, len);
		case SO_ACCEPTCONN:
			return give_int(s.state == USOCK_LISTENING, val, len);
		case SO_REUSEADDR:
			return give_int(s.reuseaddr, val, len);
		case SO_REUSEPORT:
			return give_int(s.reuseport, val, len);
		}
		if (fd_option(name))
			return real_getsockopt(fd, level, name, val, len);
	}
	if (level == IPPROTO_TCP && name == TCP_INFO)
		return give_tcp_info(&s, val, len);
	switch (level == SOL_SOCKET    ? name
		: level == IPPROTO_TCP ? -name - 1
		: level == IPPROTO_IP  ? -name - 1000
				       : -100000) {
	case SO_KEEPALIVE:
	case SO_SNDBUF:
	case SO_RCVBUF:
	case SO_LINGER:
	case -TCP_NODELAY - 1:
	case -TCP_KEEPIDLE - 1:
	case -TCP_KEEPINTVL - 1:
	case -TCP_KEEPCNT - 1:
	case -TCP_MAXSEG - 1:
	case -IP_TOS - 1000:
	case -IP_TTL - 1000:
		break;
	default:
		return fail_with(ENOPROTOOPT);
	}
	o = current_options(fd, &s);
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_KEEPALIVE:
			return give_int(o.keepalive, val, len);
		case SO_SNDBUF:
			return give_int((int)o.sndbuf, val, len);
		case SO_RCVBUF:
			return give_int((int)o.rcvbuf, val, len);
		default: /* SO_LINGER */
			lg.l_onoff = o.linger;
			lg.l_linger = (int)o.linger_s;
			return give_bytes(&lg, sizeof(lg), val, len);
		}
	}
	if (level == IPPROTO_IP)
		return give_int(name == IP_TOS ? o.tos : o.ttl, val, len);
	switch (name) {
	case TCP_NODELAY:
		return give_int(o.nodelay, val, len);
	case TCP_KEEPIDLE:
		return give_int((int)o.keepidle_s, val, len);
	case TCP_KEEPINTVL:
		return give_int((int)o.keepintvl_s, val, len);
	case TCP_KEEPCNT:
		return give_int((int)o.keepcnt, val, len);
	default: /* TCP_MAXSEG */
		return give_maxseg(&s, &o, val, len);
	}
}

/* ---- close, dup ------------------------------------------------------- */

/* Whether a descriptor of this process other than fd is connection
 * id. */
static bool other_copy(int fd, int id)
{
	bool found = false;

	pthread_mutex_lock(&table_lock);
	for (int i = 0; i < PRELOAD_FDS_MAX && !found; i++)
		found = i != fd && table[i] && table[i]->id == id &&
			table[i]->state == USOCK_CONNECTED;
	pthread_mutex_unlock(&table_lock);
	return found;
}

/* Whether connection fd (entry *s) has SO_LINGER on with a time: as
 * recorded, or, for one inherited across exec (its options were not
 * carried), as the daemon says. */
static bool lingers(int fd, const struct usock *s)
{
	struct utcp_tcp_opts o;
	struct utcp *u;
	int err;

	if (!s->opts_unknown)
		return (s->opts.set & UTCP_TCP_OPT_LINGER) && s->opts.linger &&
		       s->opts.linger_s > 0;
	u = get_handle(&err);
	return u && utcp_tcp_getopt_fd(u, s->id, fd, &o) == 0 && o.linger &&
	       o.linger_s > 0;
}

/* Closes connection id's descriptor fd in utcp_tcp_close(), on a
 * control connection of its own so that the wait does not hold other
 * threads' requests (on the process's when none can be opened). */
static void linger_close(int fd, int id)
{
	struct utcp *own, *u;
	int err;

	own = utcp_open(NULL, &err);
	u = own ? own : get_handle(&err);
	if (!u) {
		real_close(fd);
		return;
	}
	err = utcp_tcp_close(u, id, fd); /* closes fd in any case */
	if (own)
		utcp_close(own);
	else if (err && err != -EBADF)
		control_errno(u, err);
}

/* The last close() of a connection with SO_LINGER on and a time waits,
 * as Linux's, until its data and FIN are acknowledged or the time has
 * passed (also on a non-blocking socket, as Linux), and succeeds
 * either way. A copy in another process (fork) is not seen: the
 * connection is shut for it too. */
int close(int fd)
{
	PRELOAD_READY();
	struct usock s;
	bool ours = table_lookup(fd, &s);

	table_forget(fd);
	if (!ours || s.state != USOCK_CONNECTED || !lingers(fd, &s) ||
	    other_copy(fd, s.id))
		return real_close(fd);
	linger_close(fd, s.id);
	return 0;
}

/* Forgets the entries of descriptors first to last, under one lock. */
static void table_forget_range(unsigned first, unsigned last)
{
	unsigned fd;

	if (first >= PRELOAD_FDS_MAX)
		return;
	if (last >= PRELOAD_FDS_MAX)
		last = PRELOAD_FDS_MAX - 1;
	pthread_mutex_lock(&table_lock);
	for (fd = first; fd <= last; fd++) {
		if (!table[fd])
			continue;
		free(table[fd]);
		table[fd] = NULL;
		atomic_store_explicit(&fd_mark[fd], 0, memory_order_relaxed);
	}
	pthread_mutex_unlock(&table_lock);
}

/* close_range() and closefrom() close descriptors without close(): the
 * entries in the range are forgotten first, as close()'s (a number
 * reused for a pipe must not stay a connection). SO_LINGER is not
 * waited for. close_range() with CLOSE_RANGE_CLOEXEC closes nothing;
 * its EINVAL cases forget nothing. */
int close_range(unsigned first, unsigned last, int flags)
{
	PRELOAD_READY();
	if (first <= last &&
	    !(flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) &&
	    !(flags & CLOSE_RANGE_CLOEXEC))
		table_forget_range(first, last);
	return (int)syscall(SYS_close_range, first, last, flags);
}

void closefrom(int lowfd)
{
	static void (*real_closefrom)(int);

	PRELOAD_READY();
	if (!real_closefrom)
		real_closefrom = next_symbol("closefrom");
	table_forget_range(lowfd < 0 ? 0 : (unsigned)lowfd, UINT_MAX);
	if (real_closefrom)
		real_closefrom(lowfd);
	else
		syscall(SYS_close_range, lowfd < 0 ? 0 : lowfd, ~0U, 0);
}

/* Copies oldfd's entry to newfd (after a dup of ours succeeded). */
static void copy_entry(int oldfd, int newfd)
{
	struct usock s;

	if (newfd < 0)
		return;
	table_forget(newfd);
	if (table_lookup(oldfd, &s) && newfd < PRELOAD_FDS_MAX) {
		s.n_watch = 0; /* epoll watches (file, number) */
		table_store(newfd, &s);
	}
}

int dup(int fd)
{
	PRELOAD_READY();
	int nfd = real_dup(fd);

	copy_entry(fd, nfd);
	return nfd;
}

int dup2(int fd, int nfd)
{
	PRELOAD_READY();
	int ret = real_dup2(fd, nfd);

	if (ret >= 0 && fd != nfd)
		copy_entry(fd, ret);
	return ret;
}

int dup3(int fd, int nfd, int flags)
{
	PRELOAD_READY();
	int ret = real_dup3(fd, nfd, flags);

	if (ret >= 0)
		copy_entry(fd, ret);
	return ret;
}

/* fcntl()'s third argument is an int or a pointer by command: taken as
 * a pointer-sized value and passed on as such, as the C library's own
 * fcntl() does. F_DUPFD and F_DUPFD_CLOEXEC copy the entry. */
static int fcntl_common(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
	int ret = real(fd, cmd, arg);

	if (ret >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		copy_entry(fd, ret);
	return ret;
}

int fcntl(int fd, int cmd, ...)
{
	PRELOAD_READY();
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(real_fcntl, fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
	PRELOAD_READY();
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(real_fcntl64, fd, cmd, arg);
}
