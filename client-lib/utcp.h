/*
 * utcp.h - libutcp: sockets from the utcpd userspace TCP/IP stack
 *
 * An application connects to the daemon once (utcp_open), then asks it
 * for sockets. Each socket reaches the application as an ordinary file
 * descriptor, so it can sit in any event loop (poll, epoll, libev):
 *
 *     int err;
 *     struct utcp *u = utcp_open(NULL, &err);
 *     struct in_addr peer;
 *     utcp_parse_addr("10.0.0.1", &peer);
 *     int fd = utcp_udp_connect(u, peer, 53, 0);
 *     utcp_send(fd, query, len);
 *     ssize_t n = utcp_recvfrom(fd, buf, sizeof(buf), NULL, NULL);
 *     close(fd);          // closes the socket in the daemon
 *     utcp_close(u);      // closes every socket still open
 *
 * Conventions:
 *   - Errors are negative errno values (-ECONNREFUSED); utcp_strerror()
 *     names them. Functions returning a pointer take an `int *err`.
 *   - IPv4 addresses are `struct in_addr` (network byte order, as
 *     inet_pton() fills it); ports are host-order numbers.
 *   - A UDP descriptor carries one datagram per packet with a small
 *     header: use utcp_sendto/utcp_send/utcp_recvfrom on it, never
 *     read()/write(). Poll it for POLLIN/POLLOUT as usual. Closing it
 *     closes the socket in the daemon. Descriptors are close-on-exec.
 *   - struct utcp is thread-safe: one request at a time goes over the
 *     control connection (a mutex), matched to its reply by id. A call
 *     waits for its reply in poll(), at most UTCP_REPLY_TIMEOUT_MS.
 *   - UDP sockets belong to the control connection that opened them:
 *     utcp_close() (or the process exiting) closes them all. TCP
 *     connections and listeners belong to their descriptors (see TCP).
 *
 * Link with `pkg-config --cflags --libs utcp`.
 */
#ifndef UTCP_H
#define UTCP_H

#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The daemon's control socket when neither a path nor $UTCPD_SOCKET is
 * given: RUNSTATEDIR/utcpd/utcpd.sock of the build (libutcp and utcpctl
 * are built with it); /run/utcpd/utcpd.sock by default. */
#ifndef UTCP_DEFAULT_SOCKET
#define UTCP_DEFAULT_SOCKET "/run/utcpd/utcpd.sock"
#endif
#define UTCP_SOCKET_ENV "UTCPD_SOCKET"
/* How long a control request waits for the daemon's reply. */
#define UTCP_REPLY_TIMEOUT_MS 10000
/* The largest UDP payload (IPv4: 65535 - 20 - 8). */
#define UTCP_UDP_PAYLOAD_MAX 65507

/* Flags for the socket calls. */
#define UTCP_NONBLOCK 0x1 /* the descriptor is O_NONBLOCK */
/* utcp_udp_open(): the socket belongs to its descriptor, as a TCP
 * connection does, not to the handle: it stays open after utcp_close()
 * (or the process's exit) for as long as a copy of the descriptor is
 * open anywhere (a child after fork, a program after exec), and closes
 * when the last copy is closed. It still counts against the limits of
 * the client that opened it, and of its uid, as long as it is open. (A
 * daemon from before this flag, without IPC_CAP_UDP_OWN_FD, is not
 * asked: the socket is then the handle's.) */
#define UTCP_OWN_FD 0x2

struct utcp;

/*
 * Connects to the daemon at `path` (NULL: $UTCPD_SOCKET, else
 * UTCP_DEFAULT_SOCKET) and negotiates the protocol version. Returns the
 * handle, or NULL with *err set (when err is not NULL): -ENOENT or
 * -ECONNREFUSED (no daemon), -EACCES, -EUSERS (the daemon has too many
 * clients in all, or of this user), -EPROTONOSUPPORT (no common protocol
 * version), -ETIMEDOUT, -ENOMEM, -EPROTO (a daemon that breaks the protocol).
 */
struct utcp *utcp_open(const char *path, int *err);

/* Closes the control connection and with it every socket it opened. */
void utcp_close(struct utcp *u);

/* Parses "a.b.c.d" into *out. Returns 0 or -EINVAL. */
int utcp_parse_addr(const char *s, struct in_addr *out);

/* A static description of a negative (or positive) errno value; for
 * the errors of utcpd's limits (EUSERS, EMFILE, ENFILE) it says whose
 * limit it may be. */
const char *utcp_strerror(int err);

/* ---- UDP ----------------------------------------------------------- */

/* Where a socket ended up bound. */
struct utcp_udp_info {
	int id; /* the daemon's socket id, as utcpctl status shows it */
	struct in_addr local_addr;
	uint16_t local_port;
};

/*
 * Opens a UDP socket bound to local_addr:local_port (INADDR_ANY / 0 =
 * any address / an ephemeral port) and, when remote_port is not 0,
 * connected to remote_addr:remote_port: only its datagrams arrive, and
 * utcp_send() goes there. Fills *info when not NULL. Returns the
 * descriptor, or -EADDRINUSE, -EADDRNOTAVAIL, -ENETUNREACH (connected,
 * and no route to remote_addr, as Linux's connect), -EACCES (a port below
 * 1024 without the privilege), -EMFILE (this client's or user's share
 * of sockets), -ENFILE (the daemon's sockets in all), -EINVAL, -ENOMEM,
 * or a control-connection error (-EPIPE, -ETIMEDOUT, -EPROTO).
 */
int utcp_udp_open(struct utcp *u, struct in_addr local_addr,
		  uint16_t local_port, struct in_addr remote_addr,
		  uint16_t remote_port, int flags, struct utcp_udp_info *info);

/* utcp_udp_open() bound to addr:port, not connected. */
int utcp_udp_bind(struct utcp *u, struct in_addr addr, uint16_t port,
		  int flags);

/* utcp_udp_open() on any address and an ephemeral port, connected to
 * addr:port. */
int utcp_udp_connect(struct utcp *u, struct in_addr addr, uint16_t port,
		     int flags);

/*
 * Sends one datagram of len bytes to addr:port (INADDR_ANY / 0: the
 * connected peer). Returns len, or -EMSGSIZE (over
 * UTCP_UDP_PAYLOAD_MAX), -EAGAIN (non-blocking and full), -EPIPE (the
 * daemon closed the socket), -EOPNOTSUPP on a descriptor that is not a
 * UDP socket (a TCP connection: nothing is written, nothing is read),
 * -ENOTSOCK, or the socket's pending error, taken (nothing is sent
 * then), as a kernel's send() returns it: -ENETUNREACH when an earlier
 * send had no route (the daemon finds that after this call returned,
 * so it is the *next* call that fails), -EHOSTUNREACH when the
 * neighbour of a connected socket never answered ARP, -ECONNREFUSED ...
 * for an ICMP error on a connected socket. The error is found only when
 * it is next in the channel, ahead of any datagram received.
 *
 * A plain write() on a UDP descriptor cannot be refused by the
 * socketpair: the daemon drops what it gets and makes -EDESTADDRREQ
 * (unconnected socket, as write() fails on Linux) or -EINVAL
 * (connected) the socket's pending error, which the next
 * utcp_recvfrom() (or utcp_sendto()) returns; the socket stays.
 */
ssize_t utcp_sendto(int fd, const void *buf, size_t len, struct in_addr addr,
		    uint16_t port);

/* utcp_sendto() to the connected peer. */
ssize_t utcp_send(int fd, const void *buf, size_t len);

/* Which fields of struct utcp_udp_opts are given. */
#define UTCP_UDP_OPT_TOS 0x1 /* IP_TOS: the whole byte, as Linux's UDP */
#define UTCP_UDP_OPT_TTL 0x2 /* IP_TTL: 1 .. 255, 0 = default (64) */

/* A UDP socket's options; fields not named in `set` keep their values. */
struct utcp_udp_opts {
	unsigned set; /* UTCP_UDP_OPT_* */
	uint8_t tos, ttl;
};

/*
 * Sets the options of UDP socket `id` (utcp_udp_info's id; the socket
 * must have been opened through this handle) for the datagrams it
 * sends from then on. Returns 0, -EBADF (no such socket of ours),
 * -EINVAL (an unknown `set` bit), -EOPNOTSUPP (a daemon without
 * UDP_SETOPT) or a control-connection error.
 */
int utcp_udp_setopt(struct utcp *u, int id, const struct utcp_udp_opts *opts);

/*
 * utcp_udp_setopt() on a socket this handle did not open, proving
 * possession with its descriptor: fd (the descriptor the daemon handed
 * out for socket `id`, or a copy of it, inherited across fork or exec)
 * is sent along, and the daemon accepts the request from any handle
 * when fd is that socket's descriptor. Returns as utcp_udp_setopt(),
 * and -EBADF when fd is not socket `id`'s descriptor (fd < 0
 * included). A daemon from before the proof (without IPC_CAP_FD_PROOF)
 * gets the request without fd, and answers as to utcp_udp_setopt().
 */
int utcp_udp_setopt_fd(struct utcp *u, int id, int fd,
		       const struct utcp_udp_opts *opts);

/*
 * Receives one datagram into buf: returns its length (the part beyond
 * cap is discarded, as recvfrom() does) and fills *addr and *port with
 * its source when not NULL. Returns -ECONNREFUSED (or another error a
 * peer's ICMP message reported) on a connected socket, -EAGAIN when
 * non-blocking and nothing is queued, -ECONNRESET when the daemon
 * closed the socket, -EBADMSG for a packet that is not from the daemon,
 * -EDESTADDRREQ or -EINVAL after a plain write() (above), -EOPNOTSUPP
 * on a TCP descriptor (nothing is read), -ENOTSOCK.
 */
ssize_t utcp_recvfrom(int fd, void *buf, size_t cap, struct in_addr *addr,
		      uint16_t *port);

/* ---- TCP ----------------------------------------------------------- */

/*
 * A TCP connection is a SOCK_STREAM descriptor: read/write/poll it like
 * a TCP socket. shutdown(fd, SHUT_WR) sends FIN; shutdown(fd, SHUT_RD)
 * stops reception only (the connection goes on); EOF on read means the
 * peer's FIN. close() closes the connection (FIN, or RST when received
 * data was left unread, as a kernel does); so does the process dying.
 * Unlike UDP sockets, TCP descriptors belong to themselves, not to the
 * struct utcp that made them: they outlive utcp_close().
 *
 * A reset, a timeout or another failure arrives as an error *after* the
 * data received before it: utcp_tcp_recv() and utcp_tcp_send() return
 * it (-ECONNRESET, -ETIMEDOUT, ...). A plain read() sees the data, then
 * EOF; poll() shows the pending error as POLLPRI and utcp_tcp_error()
 * tells it. When the daemon stops, the error is -ENETDOWN. Once the
 * peer's FIN has been read, a later failure has no errno to carry: reads
 * go on returning 0 and writes fail with -EPIPE, as on Linux after a
 * RST in CLOSE-WAIT. See docs/ipc.md, "How an error reaches the
 * application".
 */

/* Which fields of struct utcp_tcp_opts are given. */
#define UTCP_TCP_OPT_NODELAY   0x01
#define UTCP_TCP_OPT_KEEPALIVE 0x02
#define UTCP_TCP_OPT_SNDBUF    0x04  /* 2048 .. 64 MiB */
#define UTCP_TCP_OPT_RCVBUF    0x08  /* 2048 .. 64 MiB */
#define UTCP_TCP_OPT_KEEPIDLE  0x10  /* s, 1 .. 30 days */
#define UTCP_TCP_OPT_KEEPINTVL 0x20  /* s, 1 .. 1 day */
#define UTCP_TCP_OPT_KEEPCNT   0x40  /* 1 .. 255 */
#define UTCP_TCP_OPT_LINGER    0x80  /* SO_LINGER: linger, linger_s */
#define UTCP_TCP_OPT_MAXSEG    0x100 /* TCP_MAXSEG: 0 (none) or 88 .. 32767 */
#define UTCP_TCP_OPT_TOS       0x200 /* IP_TOS */
#define UTCP_TCP_OPT_TTL       0x400 /* IP_TTL: 1 .. 255, 0 = default (64) */

/*
 * Socket options; fields not named in `set` take the daemon's
 * defaults (utcp_tcp_open, utcp_tcp_listen) or keep their values
 * (utcp_tcp_setopt). A NULL pointer means all defaults. As Linux's:
 *   - sndbuf/rcvbuf are the buffers' sizes in bytes of data, read back
 *     (utcp_tcp_getopt) as set. Linux doubles the value given to
 *     setsockopt() (its buffers count kernel overhead too) and reads
 *     the doubled value back; here the value is what the stack holds,
 *     so it is neither doubled nor reported doubled.
 *   - linger with linger_s 0: close() resets the connection (RST,
 *     unsent data discarded) instead of finishing it with FIN. With
 *     linger_s > 0, utcp_tcp_close() blocks until everything is sent
 *     or linger_s has passed; close() of the descriptor itself cannot
 *     block (the connection finishes in the background, as Linux's
 *     does once its linger time has passed).
 *   - maxseg (TCP_MAXSEG) clamps the MSS advertised in the SYN and
 *     used for sending; it applies when set at utcp_tcp_open or
 *     utcp_tcp_listen (for the connections accepted), and a later
 *     utcp_tcp_setopt only records it.
 *   - tos (IP_TOS: the DSCP bits; TCP keeps the ECN bits to itself)
 *     and ttl (IP_TTL) go on every segment sent from then on.
 */
struct utcp_tcp_opts {
	unsigned set; /* UTCP_TCP_OPT_* */
	bool nodelay;
	bool keepalive;
	uint32_t sndbuf, rcvbuf;
	uint32_t keepidle_s, keepintvl_s, keepcnt;
	bool linger;
	uint32_t linger_s;
	uint32_t maxseg;
	uint8_t tos, ttl;
};

/* A connection's or listener's identity. */
struct utcp_tcp_info {
	int id; /* the daemon's id, as utcpctl status shows it */
	struct in_addr local_addr;  /* INADDR_ANY when not known */
	uint16_t local_port;	    /* 0 when not known */
	struct in_addr remote_addr; /* INADDR_ANY for a listener */
	uint16_t remote_port;
};

/* The longest connect timeout, and what 0 means. */
#define UTCP_TCP_CONNECT_TIMEOUT_MAX_MS	    600000
#define UTCP_TCP_CONNECT_TIMEOUT_DEFAULT_MS 75000

/*
 * Connects to remote_addr:remote_port from local_addr:local_port
 * (INADDR_ANY / 0: the route's source address / an ephemeral port).
 * Without UTCP_NONBLOCK it waits (in poll) until the connection is
 * established and returns the descriptor, or -ECONNREFUSED,
 * -ETIMEDOUT (timeout_ms passed; 0 = UTCP_TCP_CONNECT_TIMEOUT_DEFAULT_MS),
 * -EHOSTUNREACH (also when no one answers ARP for the next hop: after
 * about 3 s, three requests 1 s apart, as Linux), -ENETUNREACH (no
 * route), -EADDRINUSE, -EADDRNOTAVAIL, -EACCES
 * (local_port below 1024 without the privilege), -EMFILE (this client's
 * or user's share), -ENFILE (the daemon's connections in all), -EINVAL,
 * or a control-connection error. It waits on the new descriptor, not
 * holding the handle's lock: other threads' calls on the handle go on.
 *
 * With UTCP_NONBLOCK it returns the descriptor (O_NONBLOCK) at once,
 * as connect(2) returns EINPROGRESS: the descriptor becomes writable
 * (POLLOUT) when the connection is established or has failed, and not
 * before (write() gives -EAGAIN meanwhile); utcp_tcp_error() then tells
 * which, as getsockopt(SO_ERROR) does: 0, -ECONNREFUSED, -ETIMEDOUT,
 * -EHOSTUNREACH, -ENETUNREACH. A failure also shows as POLLPRI, and
 * utcp_tcp_recv() returns it once, then 0.
 * Fills *info when not NULL.
 */
int utcp_tcp_open(struct utcp *u, struct in_addr local_addr,
		  uint16_t local_port, struct in_addr remote_addr,
		  uint16_t remote_port, int timeout_ms,
		  const struct utcp_tcp_opts *opts, int flags,
		  struct utcp_tcp_info *info);

/* utcp_tcp_open() from any address and an ephemeral port. */
int utcp_tcp_connect(struct utcp *u, struct in_addr addr, uint16_t port,
		     int timeout_ms, const struct utcp_tcp_opts *opts,
		     int flags, struct utcp_tcp_info *info);

/*
 * Listens on addr:port (INADDR_ANY = every address; port 0 = an
 * ephemeral port, as Linux's listen() without bind(): *info's
 * local_port says which) with at most `backlog` (1..4096) connections
 * waiting to be accepted; `opts` apply to the connections it accepts.
 * Returns the listening
 * descriptor (a SOCK_SEQPACKET socket: poll it for POLLIN, pass it to
 * utcp_tcp_accept(), close it to stop listening), or -EADDRINUSE,
 * -EADDRNOTAVAIL, -EACCES (a port below 1024 without the privilege),
 * -EMFILE (this client's or user's share of listeners), -ENFILE (the
 * daemon's listeners in all), -EINVAL or a control-connection error.
 */
int utcp_tcp_listen(struct utcp *u, struct in_addr addr, uint16_t port,
		    int backlog, const struct utcp_tcp_opts *opts, int flags,
		    struct utcp_tcp_info *info);

/*
 * Takes the next connection from a listening descriptor: returns its
 * descriptor (close-on-exec; O_NONBLOCK exactly when `flags` has
 * UTCP_NONBLOCK: as with Linux's accept4(), the listening descriptor's
 * own O_NONBLOCK is not inherited) and fills
 * *info (its id, both endpoints) when not NULL. Without UTCP_NONBLOCK
 * it sleeps in poll() until one arrives; with it, returns -EAGAIN when
 * none is waiting. -EBADMSG for a packet not from the daemon,
 * -ECONNRESET when the daemon closed the listener.
 */
int utcp_tcp_accept4(int lfd, struct utcp_tcp_info *info, int flags);

/* utcp_tcp_accept4() giving the peer's address and port. */
int utcp_tcp_accept(int lfd, struct in_addr *addr, uint16_t *port, int flags);

/*
 * Reads up to cap bytes from a connection: returns the count, 0 at the
 * peer's FIN, the connection's error (-ECONNRESET, -ETIMEDOUT, ...)
 * once every byte received before it has been read, or -EAGAIN. It
 * waits (in poll) unless flags has UTCP_NONBLOCK, whatever the
 * descriptor's O_NONBLOCK says. After the error has been returned once,
 * later calls return 0, as with a kernel socket.
 */
ssize_t utcp_tcp_recv(int fd, void *buf, size_t cap, int flags);

/*
 * Writes up to len bytes (send(2) with MSG_NOSIGNAL): returns the count
 * written, -EAGAIN (non-blocking and full), the connection's error when
 * it has one, else -EPIPE once the connection is closed. As a kernel
 * socket's write, it takes the error it returns: utcp_tcp_recv() then
 * returns the data and 0, a later write -EPIPE. A connection that failed
 * while bytes it received still wait to be read (its error comes after
 * them) gives -ECONNRESET once, then -EPIPE; so does, unlike Linux
 * (EPIPE), a write after the application's own shutdown(SHUT_WR) while
 * bytes are left to read: the two look alike from here.
 */
ssize_t utcp_tcp_send(int fd, const void *buf, size_t len);

/*
 * The connection's pending error (negative), without taking it, or 0:
 * what getsockopt(SO_ERROR) gives on a kernel socket (a preload layer
 * maps it here). After a non-blocking connect became writable it is 0
 * (established) or why it failed; -ECONNRESET also when the daemon went
 * with bytes the application wrote unsent; -ENOTSOCK for a descriptor
 * that is not a socket. While bytes received before a failure still
 * wait in the daemon for room in the descriptor, the error is not there
 * yet and this says 0, where a kernel socket says ECONNRESET at once:
 * from the descriptor that cannot be told from the application's own
 * shutdown(SHUT_WR) with bytes left to read (libutcp(3)).
 */
int utcp_tcp_error(int fd);

/* Changes the options of connection `id` (made or accepted through
 * this handle's connection to the daemon); fields not in opts->set
 * keep their current values. Returns 0, -EBADF (no such connection of
 * ours), -EINVAL, or a control-connection error. */
int utcp_tcp_setopt(struct utcp *u, int id, const struct utcp_tcp_opts *opts);

/*
 * Closes connection `id` whose descriptor is fd, as Linux's close()
 * does with SO_LINGER: with linger on and linger_s > 0 it shuts the
 * sending side (FIN after the data) and waits until the peer has
 * acknowledged everything, FIN included, or linger_s has passed, then
 * closes fd; the connection goes on in the background after a timeout,
 * as on Linux. Other threads' requests on this handle wait meanwhile.
 * Without a linger time it is close(fd) (linger 0: the connection is
 * reset). fd goes along as proof of possession (see
 * utcp_tcp_setopt_fd()), so the connection may be another handle's.
 * Returns 0 (also when the time ran out, as Linux's close), or -EBADF
 * (fd is not connection `id`'s descriptor, or with a daemon that takes
 * no proof, not a connection of this handle; fd is closed all the
 * same), -ENOMEM (the daemon had no memory to wait: fd is closed, the
 * connection goes on in the background), or a control-connection
 * error. When the peer had already closed its
 * side, the wait ends once the FIN is handed to the stack.
 */
int utcp_tcp_close(struct utcp *u, int id, int fd);

/* Reads the options of connection `id` (as utcp_tcp_setopt finds it)
 * into *out: every field, with `set` naming them all; ttl reads 64
 * when left to the default, as Linux's getsockopt(IP_TTL). Returns 0,
 * -EBADF, -EOPNOTSUPP (a daemon without TCP_GETOPT) or a
 * control-connection error. */
int utcp_tcp_getopt(struct utcp *u, int id, struct utcp_tcp_opts *out);

/*
 * utcp_tcp_setopt() and utcp_tcp_getopt() on a connection this handle
 * did not make or accept (inherited across fork or exec, made by
 * another thread's handle), proving possession with its descriptor: fd
 * (the connection's descriptor, or a copy of it) is sent along, and the
 * daemon accepts the request from any handle when fd is connection
 * `id`'s descriptor. Return as utcp_tcp_setopt() and utcp_tcp_getopt(),
 * and -EBADF when fd is not connection `id`'s descriptor (fd < 0
 * included). utcp_tcp_close() sends its fd along the same way. A
 * daemon from before the proof (without IPC_CAP_FD_PROOF) gets the
 * request without fd, and answers as to utcp_tcp_setopt().
 */
int utcp_tcp_setopt_fd(struct utcp *u, int id, int fd,
		       const struct utcp_tcp_opts *opts);
int utcp_tcp_getopt_fd(struct utcp *u, int id, int fd,
		       struct utcp_tcp_opts *out);

struct utcp_tcp_socket;

/*
 * Fills *out with what the daemon's stack knows of TCP connection `id`
 * now (state, queues, windows, cwnd, RTT, retransmissions, bytes: the
 * figures `utcpctl status` shows, what Linux's TCP_INFO gives), whoever
 * owns it. Returns 0, -ENOENT (no connection `id`; a listener's id is
 * not looked up) or a control-connection error.
 */
int utcp_tcp_info(struct utcp *u, int id, struct utcp_tcp_socket *out);

/*
 * Returns once the daemon has read and processed every frame that had
 * reached its TAP devices when the request arrived (and what the stack
 * did in answer has been sent): a test's way to wait for the network
 * without sleeping. Returns 0 or a control-connection error.
 */
int utcp_barrier(struct utcp *u);

/*
 * Packet capture (`utcpctl capture`). utcp_capture_start() asks the
 * daemon for a pcap file of the frames its TAPs carry: of interface
 * `ifindex` (struct utcp_interface's index; -1: every interface), each
 * cut to `snaplen` bytes (1..UTCP_CAPTURE_SNAPLEN_MAX), ending after
 * `count` frames (0: at utcp_capture_stop()). On success *fd is a
 * stream socket (blocking, close-on-exec) to read the file from, whole
 * and in order until EOF, and *id names the capture. The daemon never
 * waits for the reader: what it cannot queue (4 MiB per capture) is
 * dropped and counted. Returns 0, -EPERM (only root may capture),
 * -ENODEV (no such interface), -EBUSY (the daemon runs as many captures
 * as it allows), -EOPNOTSUPP (a daemon without capture), -ENOMEM or a
 * control-connection error.
 */
#define UTCP_CAPTURE_SNAPLEN_MAX 262144u
int utcp_capture_start(struct utcp *u, int ifindex, unsigned snaplen,
		       unsigned count, int *fd, int *id);

/* A capture's counts: frames that matched it, and those of them the
 * daemon had no room to queue (what tcpdump calls "dropped by kernel"). */
struct utcp_capture_stats {
	uint64_t seen;
	uint64_t dropped;
};

/*
 * Ends capture `id` of this handle: the daemon takes no more frames,
 * writes what it has queued and closes the stream (read it to EOF).
 * Fills *out. Returns 0, -ENOENT (no such capture of this handle, or
 * stopped already) or a control-connection error.
 */
int utcp_capture_stop(struct utcp *u, int id, struct utcp_capture_stats *out);

/* One ICMP echo through the daemon's stack (utcpctl ping). */
struct utcp_ping {
	struct in_addr dst;
	int ifindex;	     /* the interface to leave by; -1: any */
	uint16_t seq;	     /* the echo's sequence number */
	uint16_t size;	     /* payload bytes, <= UTCP_PING_SIZE_MAX */
	uint32_t timeout_ms; /* 1..UTCP_PING_TIMEOUT_MAX_MS */
};
#define UTCP_PING_SIZE_MAX	 65507u
#define UTCP_PING_TIMEOUT_MAX_MS 600000u

/* How it ended. */
struct utcp_ping_result {
	int status;	     /* 0 answered; -ETIMEDOUT; an error (below) */
	struct in_addr from; /* who answered, or reported the error */
	uint16_t seq;
	uint16_t size;	 /* the reply's payload bytes */
	uint8_t ttl;	 /* the reply's TTL */
	uint64_t rtt_ns; /* from the send to the reply, daemon's clock */
};

/*
 * Has the daemon's stack send one ICMP echo request and waits for its
 * reply, an error about it or the timeout (at most timeout_ms and a
 * little more). Returns 0 with *out filled (out->status says how the
 * echo ended: 0, -ETIMEDOUT, -EHOSTUNREACH, -ENETUNREACH ... an error
 * came back; -ENETUNREACH no route or not out ifindex, -ENODEV no
 * interface ifindex, -EACCES a broadcast address, -ENOBUFS too many
 * echoes outstanding in the daemon: it was not sent), or -EINVAL (a
 * bad request), -EOPNOTSUPP (a daemon without PING), or a
 * control-connection error.
 */
int utcp_ping(struct utcp *u, const struct utcp_ping *p,
	      struct utcp_ping_result *out);

/*
 * utcp_ping(), but the wait for the reply is ppoll()'s with the signal
 * mask sigmask (NULL: the thread's own), and a signal handler that runs
 * during it ends it: returns -EINTR, the echo abandoned (utcp_ping()
 * waits on through signals). The handle stays usable: the daemon
 * answers the abandoned request when its echo ends, before it reads
 * the next, and the next request on the handle reads that answer and
 * drops it first (so it waits for it, at most timeout_ms and a little
 * more from when the echo left). Closing the handle instead abandons
 * the echo in the daemon at once.
 */
int utcp_ping_pwait(struct utcp *u, const struct utcp_ping *p,
		    struct utcp_ping_result *out, const sigset_t *sigmask);

/* ---- status -------------------------------------------------------- */

#define UTCP_NAME_MAX	      64
#define UTCP_IFNAME_MAX	      16
#define UTCP_COUNTER_NAME_MAX 48

struct utcp_interface {
	int index;
	char name[UTCP_IFNAME_MAX];
	uint8_t mac[6];
	uint32_t mtu;
	bool has_address;
	struct in_addr address;
	uint8_t prefix_len;
	bool has_gateway; /* a default route goes out this interface */
	struct in_addr gateway;
};

enum utcp_route_kind {
	UTCP_ROUTE_CONNECTED,
	UTCP_ROUTE_STATIC,
	UTCP_ROUTE_DHCP, /* made from a DHCP lease (options 121 or 3) */
};

struct utcp_route {
	struct in_addr destination;
	uint8_t prefix_len;
	bool has_gateway; /* false: on-link */
	struct in_addr gateway;
	int ifindex;
	char interface[UTCP_IFNAME_MAX]; /* "" when unknown */
	enum utcp_route_kind kind;
};

enum utcp_arp_state {
	UTCP_ARP_INCOMPLETE,
	UTCP_ARP_REACHABLE,
	UTCP_ARP_STATIC,
};

struct utcp_arp_entry {
	struct in_addr address;
	uint8_t mac[6]; /* zero while INCOMPLETE */
	int ifindex;
	char interface[UTCP_IFNAME_MAX];
	enum utcp_arp_state state;
	uint64_t expires_ms; /* until aged out, or the next retry */
	uint32_t queued;     /* frames waiting for the answer */
};

enum utcp_protocol { UTCP_PROTO_TCP = 6, UTCP_PROTO_UDP = 17 };

struct utcp_socket {
	int id;
	enum utcp_protocol protocol;
	struct in_addr local_addr;
	uint16_t local_port;
	bool connected;
	struct in_addr remote_addr;
	uint16_t remote_port;
	uint32_t recv_queue; /* datagrams waiting in the daemon */
	uint32_t recv_bytes;
	uint64_t rx, tx, drops;
};

/* RFC 9293's states. */
enum utcp_tcp_state {
	UTCP_TCP_CLOSED,
	UTCP_TCP_LISTEN,
	UTCP_TCP_SYN_SENT,
	UTCP_TCP_SYN_RECEIVED,
	UTCP_TCP_ESTABLISHED,
	UTCP_TCP_FIN_WAIT_1,
	UTCP_TCP_FIN_WAIT_2,
	UTCP_TCP_CLOSE_WAIT,
	UTCP_TCP_CLOSING,
	UTCP_TCP_LAST_ACK,
	UTCP_TCP_TIME_WAIT,
};

/* A TCP connection or listener in the daemon's stack. */
struct utcp_tcp_socket {
	int id; /* connection or listener id (separate spaces) */
	bool listener;
	bool orphan; /* closed by its application, finishing */
	enum utcp_tcp_state state;
	struct in_addr local_addr;
	uint16_t local_port;
	struct in_addr remote_addr;
	uint16_t remote_port;
	uint32_t send_queue, recv_queue; /* bytes */
	uint32_t snd_wnd, rcv_wnd;	 /* bytes */
	uint32_t cwnd, ssthresh, mss;	 /* bytes */
	uint32_t backlog;		 /* listener: waiting to be accepted */
	uint64_t srtt_us, rttvar_us, rto_ms;
	uint64_t retransmits;
	uint64_t bytes_sent, bytes_received;
};

struct utcp_pool {
	uint32_t small_in_use, small_allocated, small_max;
	uint32_t large_in_use, large_allocated, large_max;
};

struct utcp_counter {
	char name[UTCP_COUNTER_NAME_MAX];
	uint64_t value;
};

/* What one uid holds through the daemon's control socket (its
 * limits: utcpd.conf(5), [control]). */
struct utcp_owner {
	uint32_t uid;
	uint32_t clients;     /* control connections */
	uint32_t udp;	      /* UDP sockets */
	uint32_t listeners;   /* TCP listeners */
	uint32_t connections; /* TCP connections */
};

/* Which id space a struct utcp_sock_owner's id is in. */
enum utcp_sock_kind {
	UTCP_SOCK_UDP,		  /* a struct utcp_socket's id */
	UTCP_SOCK_TCP_LISTENER,	  /* a listener's struct utcp_tcp_socket id */
	UTCP_SOCK_TCP_CONNECTION, /* a connection's */
};

/* Who made a socket through the control socket: the client's
 * credentials when it connected (SO_PEERCRED) and its command. */
struct utcp_sock_owner {
	enum utcp_sock_kind kind;
	int id;
	bool gone;    /* that client has disconnected; the socket lives on */
	uint32_t pid; /* 0: unknown */
	uint32_t uid, gid;
	char comm[UTCP_NAME_MAX]; /* /proc/PID/comm at the time; "" unknown */
};

/* A TAP under an interface, and its SYN flood filter. */
struct utcp_link {
	int ifindex;
	char interface[UTCP_IFNAME_MAX];
	bool syn_shed;		 /* the filter is on now */
	uint64_t syn_shed_times; /* it was turned on */
	uint64_t syn_drops;	 /* SYNs dropped beyond the turn budget */
	uint64_t kernel_drops;	 /* frames dropped in front of the TAP */
};

/* Whether an interface's link is up on the kernel's side of its TAP. */
enum utcp_carrier { UTCP_CARRIER_DOWN, UTCP_CARRIER_UP, UTCP_CARRIER_UNKNOWN };

/* What the daemon read from and wrote to an interface's TAP: frames as
 * the daemon handled them (a TSO super-segment is one), their Ethernet
 * bytes, failed reads and writes, and frames dropped (read with no
 * buffer free; not taken by the TAP). */
struct utcp_ifstats {
	int ifindex;
	char interface[UTCP_IFNAME_MAX];
	enum utcp_carrier carrier;
	uint64_t rx_frames, rx_bytes, rx_errors, rx_drops;
	uint64_t tx_frames, tx_bytes, tx_errors, tx_drops;
};

/* "down", "up", "unknown". */
const char *utcp_carrier_name(enum utcp_carrier carrier);

/* RFC 2131's client states (CHECKING: probing the offered address with
 * ARP, RFC 5227). */
enum utcp_dhcp_state {
	UTCP_DHCP_STOPPED,
	UTCP_DHCP_INIT,
	UTCP_DHCP_SELECTING,
	UTCP_DHCP_REQUESTING,
	UTCP_DHCP_CHECKING,
	UTCP_DHCP_BOUND,
	UTCP_DHCP_RENEWING,
	UTCP_DHCP_REBINDING,
	UTCP_DHCP_INIT_REBOOT,
	UTCP_DHCP_REBOOTING,
};

#define UTCP_DHCP_INFINITE 0xffffffffu /* lease_s, t1_s, t2_s: forever */
#define UTCP_DHCP_NEVER	   UINT64_MAX  /* *_in_ms: never */

/* What one interface's DHCP client sent and received. */
struct utcp_dhcp_counters {
	uint64_t tx_discover, tx_request, tx_decline, tx_release; /* sent */
	uint64_t rx_offer, rx_ack, rx_nak;			  /* taken */
	uint64_t rx_ignored; /* wrong xid or chaddr, unexpected in the state */
	uint64_t retransmits;
	uint64_t declines; /* offered addresses found in use */
	uint64_t naks;
	uint64_t expiries;
	uint64_t corrections; /* bogus T1, T2 or lease times corrected */
};

/* The DHCP client of one interface. The lease's fields are zero when
 * not bound. */
struct utcp_dhcp {
	int ifindex;
	char interface[UTCP_IFNAME_MAX];
	enum utcp_dhcp_state state;
	bool running;
	bool bound;		/* a lease is in use */
	bool options_truncated; /* more options came than are listed */
	struct in_addr address;
	uint8_t prefix_len;
	struct in_addr server;	      /* its server identifier */
	uint32_t lease_s, t1_s, t2_s; /* as used; UTCP_DHCP_INFINITE */
	/* from the snapshot on; UTCP_DHCP_NEVER for an infinite lease */
	uint64_t t1_in_ms, t2_in_ms, expires_in_ms;
	uint32_t mtu; /* applied from option 26; 0: not */
	struct utcp_dhcp_counters counters;
};

/* Where an interface's setting comes from. */
enum utcp_source {
	UTCP_SOURCE_NONE,   /* not set */
	UTCP_SOURCE_CONFIG, /* the configuration file or the command line */
	UTCP_SOURCE_LEASE,  /* the DHCP lease */
};

#define UTCP_SERVERS_MAX 8   /* DNS, NTP servers listed */
#define UTCP_DOMAIN_MAX	 256 /* a domain name with its NUL */
#define UTCP_SEARCH_MAX	 8   /* search list entries */

/* The stub resolver's settings and what it holds now. */
struct utcp_dns_info {
	unsigned ndots;
	uint32_t cache_entries, cache_max;
	uint32_t lookups_pending, lookups_max;
	uint32_t queries_active, queries_max; /* questions on the wire */
};

/* A server the resolver asks. */
struct utcp_dns_server {
	int ifindex; /* the interface whose settings list it */
	char interface[UTCP_IFNAME_MAX];
	struct in_addr address;
	uint16_t port;
	enum utcp_source source; /* config or lease */
	bool unresponsive;	 /* timed out, not answered since */
	uint64_t queries, answers, timeouts;
	uint64_t failures; /* SERVFAIL, REFUSED, transport errors */
};

/* What a cache entry holds. */
enum utcp_dns_cache_kind {
	UTCP_DNS_CACHE_POSITIVE, /* addresses */
	UTCP_DNS_CACHE_NXDOMAIN, /* the name does not exist */
	UTCP_DNS_CACHE_NODATA,	 /* no address of its type */
};

/* A live entry of the resolver's cache. */
struct utcp_dns_cache_entry {
	char name[UTCP_DOMAIN_MAX];
	uint16_t qtype; /* 1 A, 28 AAAA */
	enum utcp_dns_cache_kind kind;
	uint32_t ttl_left_s;
	uint64_t hits;
	uint16_t naddrs;			/* all of the entry's */
	struct in_addr addrs[UTCP_SERVERS_MAX]; /* its first IPv4 ones */
	size_t n_addrs;
};

/* What one interface is configured with, and from where. */
struct utcp_settings {
	int ifindex;
	char interface[UTCP_IFNAME_MAX];
	bool dhcp;	 /* the interface runs DHCP */
	bool configured; /* a static address set, or a lease bound */
	enum utcp_source address_source, routes_source, mtu_source;
	struct in_addr dns[UTCP_SERVERS_MAX];
	size_t n_dns;
	enum utcp_source dns_source;
	char domain[UTCP_DOMAIN_MAX]; /* "" when none */
	enum utcp_source domain_source;
	char search[UTCP_SEARCH_MAX][UTCP_DOMAIN_MAX];
	size_t n_search;
	enum utcp_source search_source;
	bool has_log_server; /* remote syslog */
	struct in_addr log_server;
	uint16_t log_port;
	enum utcp_source log_server_source;
	struct in_addr ntp[UTCP_SERVERS_MAX];
	size_t n_ntp;
	enum utcp_source ntp_source;
};

/* One option of an interface's lease, as the server sent it. */
struct utcp_dhcp_option {
	int ifindex;
	char interface[UTCP_IFNAME_MAX];
	uint8_t code;
	uint8_t length;
	uint8_t value[255];
};

struct utcp_status {
	char name[UTCP_NAME_MAX];
	uint64_t uptime_ms;
	struct utcp_interface *interfaces;
	size_t n_interfaces;
	struct utcp_route *routes;
	size_t n_routes;
	struct utcp_arp_entry *arp;
	size_t n_arp;
	struct utcp_socket *sockets;
	size_t n_sockets;
	struct utcp_pool pool;
	struct utcp_counter
	    *counters; /* every counter, in the daemon's order */
	size_t n_counters;
	struct utcp_tcp_socket *tcp; /* listeners and connections */
	size_t n_tcp;
	struct utcp_owner *owners; /* per uid with something open */
	size_t n_owners;
	struct utcp_link *links; /* per TAP */
	size_t n_links;
	/* Each route's metric, parallel to routes (0 from a daemon that
	 * does not send them). */
	uint32_t *route_metrics;
	/* Every interface is configured (static address or bound lease);
	 * false also from a daemon that does not say. */
	bool ready;
	uint64_t ready_at_ms;	/* the uptime when it became ready */
	struct utcp_dhcp *dhcp; /* per interface */
	size_t n_dhcp;
	struct utcp_settings *settings; /* per interface */
	size_t n_settings;
	/* the options of every bound lease, per interface in order */
	struct utcp_dhcp_option *dhcp_options;
	size_t n_dhcp_options;
	/* The stub resolver: false (and the rest empty) from a daemon that
	 * does not send it. */
	bool has_dns;
	struct utcp_dns_info dns;
	struct utcp_dns_server *dns_servers; /* in order of preference */
	size_t n_dns_servers;
	struct utcp_dns_cache_entry *dns_cache; /* most recently used first */
	size_t n_dns_cache;
	char (*dns_search)[UTCP_DOMAIN_MAX]; /* the search list in use */
	size_t n_dns_search;
	/* Who made each socket, listener and connection that still has
	 * its client's channel (none from a daemon that does not say). */
	struct utcp_sock_owner *sock_owners;
	size_t n_sock_owners;
	/* Each TAP's counters and carrier (none from a daemon that does
	 * not send them). */
	struct utcp_ifstats *ifstats;
	size_t n_ifstats;
};

/*
 * Fetches the daemon's status: a snapshot taken when the request
 * arrived. On success *out is a new status to release with
 * utcp_status_free(). Returns 0, -ENOMEM, -E2BIG (more records than
 * UTCP_STATUS_RECORDS_MAX) or a control-connection error.
 */
#define UTCP_STATUS_RECORDS_MAX (1u << 20)
int utcp_status(struct utcp *u, struct utcp_status **out);

/* Frees a status from utcp_status(). NULL is ignored. */
void utcp_status_free(struct utcp_status *st);

/* "incomplete", "reachable", "static". */
const char *utcp_arp_state_name(enum utcp_arp_state state);

/* "ESTABLISHED", "TIME_WAIT", ... as RFC 9293 spells them. */
const char *utcp_tcp_state_name(enum utcp_tcp_state state);

/* "connected", "static", "dhcp". */
const char *utcp_route_kind_name(enum utcp_route_kind kind);

/* "positive", "nxdomain", "nodata"; "?" for others. */
const char *utcp_dns_cache_kind_name(enum utcp_dns_cache_kind kind);

/* "BOUND", "INIT-REBOOT", ... as RFC 2131 spells them; "?" for others. */
const char *utcp_dhcp_state_name(enum utcp_dhcp_state state);

/* "none", "config", "lease"; "?" for others. */
const char *utcp_source_name(enum utcp_source source);

/* The name of a DHCP option (RFC 2132 and later, lowercase with
 * underscores: "subnet_mask", "classless_static_routes"), or NULL for
 * one this library does not know. */
const char *utcp_dhcp_option_name(uint8_t code);

/*
 * Writes option o's value as text into buf (len bytes with the NUL,
 * cut when longer): decoded when its code is known and its bytes fit
 * it (addresses "10.0.0.1 10.0.0.2", numbers, names, 53's
 * "DHCPACK", 33's and 121's routes "10.0.0.0/8 via 10.0.0.1, ...",
 * 119's search list "a.test b.test"), else as hex ("0a0bff"). Returns
 * true when decoded.
 */
bool utcp_dhcp_option_text(const struct utcp_dhcp_option *o, char *buf,
			   size_t len);

/* ---- names ---------------------------------------------------------- */

/*
 * Names are looked up by the daemon's stub resolver (its servers come
 * from the DHCP lease or the configuration; it caches answers).
 * Errors are getaddrinfo()'s codes from <netdb.h> (negative in glibc):
 * EAI_NONAME (no such name: NXDOMAIN for every name tried, or a name
 * that is not valid), EAI_NODATA (the name exists without an address
 * of the families asked; a GNU extension, visible with _GNU_SOURCE),
 * EAI_AGAIN (no server answered, SERVFAIL, no server known, or this
 * client's or the daemon's lookups are at their limit), EAI_FAIL (an
 * unusable answer: a CNAME loop), EAI_FAMILY (a family other than
 * AF_UNSPEC, AF_INET, AF_INET6), EAI_MEMORY, EAI_INPROGRESS (from
 * utcp_resolve_finish() before the result came), EAI_SYSTEM (with
 * errno set: the daemon could not be reached, or sent what it should
 * not). gai_strerror() names them.
 */
#define UTCP_RESOLVE_ADDRS_MAX 128

/* Where an answer came from. */
enum utcp_dns_source {
	UTCP_DNS_NETWORK, /* a server's answer, just now */
	UTCP_DNS_CACHE,	  /* the daemon's cache: TTLs are what is left */
	UTCP_DNS_LOCAL,	  /* localhost, an IPv4 address literal */
	UTCP_DNS_HOSTS,	  /* a static host entry of the configuration */
};

/* One address of an answer. */
struct utcp_dns_addr {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
	uint32_t ttl; /* seconds */
};

/* The answer to a lookup. */
struct utcp_lookup {
	char name[256]; /* the canonical name (after CNAMEs) */
	enum utcp_dns_source source;
	struct in_addr server; /* whose answer (network, cache); 0 else */
	uint16_t server_port;
	size_t n; /* >= 1: IPv4 addresses first */
	struct utcp_dns_addr addrs[UTCP_RESOLVE_ADDRS_MAX];
};

/*
 * Looks `name` up for `family` (AF_UNSPEC: A and AAAA, AF_INET: A,
 * AF_INET6: AAAA) and waits for the answer (at most
 * UTCP_RESOLVE_TIMEOUT_MS). On success *out is a new struct utcp_lookup
 * to release with utcp_lookup_free(). Returns 0 or an EAI_* code.
 */
#define UTCP_RESOLVE_TIMEOUT_MS 60000
int utcp_resolve(struct utcp *u, const char *name, int family,
		 struct utcp_lookup **out);

/*
 * Starts a lookup without waiting: *fd gets a descriptor (close-on-exec,
 * O_NONBLOCK) that becomes readable (POLLIN) when the answer is there,
 * to put in any event loop; then utcp_resolve_finish(). Returns 0 or an
 * EAI_* code (no descriptor then).
 */
int utcp_resolve_start(struct utcp *u, const char *name, int family, int *fd);

/*
 * Takes the answer from a descriptor of utcp_resolve_start(): returns
 * EAI_INPROGRESS while it has not come (the descriptor stays open), or
 * else closes the descriptor and returns 0 with *out as utcp_resolve()
 * does, or an EAI_* code. To give a lookup up, close its descriptor.
 */
int utcp_resolve_finish(int fd, struct utcp_lookup **out);

/* Frees a lookup's answer. NULL is ignored. */
void utcp_lookup_free(struct utcp_lookup *l);

/* "network", "cache", "local", "hosts"; "?" for others. */
const char *utcp_dns_source_name(enum utcp_dns_source source);

/*
 * Connects to host:port, host being an IPv4 address in dotted form or a
 * name (looked up for AF_INET), trying each address of the answer in
 * turn until one connects, as utcp_tcp_connect() (blocking; timeout_ms
 * for each address). Returns the descriptor, or a negative errno: the
 * last address's error (-ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH...),
 * or -EHOSTUNREACH when the name has no address; when the lookup
 * itself failed, the EAI_* code is in *gai_err (else 0 there) and the
 * return is -ENOENT (EAI_NONAME, EAI_NODATA) or -EAGAIN (others).
 * gai_err may be NULL.
 */
int utcp_tcp_connect_name(struct utcp *u, const char *host, uint16_t port,
			  int timeout_ms, const struct utcp_tcp_opts *opts,
			  struct utcp_tcp_info *info, int *gai_err);

#ifdef __cplusplus
}
#endif

#endif
