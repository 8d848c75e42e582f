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
 *   - Sockets belong to the control connection that opened them:
 *     utcp_close() (or the process exiting) closes them all.
 *
 * Link with `pkg-config --cflags --libs utcp`.
 */
#ifndef UTCP_H
#define UTCP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UTCP_DEFAULT_SOCKET "/run/utcpd/utcpd.sock"
#define UTCP_SOCKET_ENV	    "UTCPD_SOCKET"
/* How long a control request waits for the daemon's reply. */
#define UTCP_REPLY_TIMEOUT_MS 10000
/* The largest UDP payload (IPv4: 65535 - 20 - 8). */
#define UTCP_UDP_PAYLOAD_MAX 65507

/* Flags for the socket calls. */
#define UTCP_NONBLOCK 0x1 /* the descriptor is O_NONBLOCK */

struct utcp;

/*
 * Connects to the daemon at `path` (NULL: $UTCPD_SOCKET, else
 * UTCP_DEFAULT_SOCKET) and negotiates the protocol version. Returns the
 * handle, or NULL with *err set (when err is not NULL): -ENOENT or
 * -ECONNREFUSED (no daemon), -EACCES, -EUSERS (the daemon has too many
 * clients), -EPROTONOSUPPORT (no common protocol version), -ETIMEDOUT,
 * -ENOMEM, -EPROTO (a daemon that breaks the protocol).
 */
struct utcp *utcp_open(const char *path, int *err);

/* Closes the control connection and with it every socket it opened. */
void utcp_close(struct utcp *u);

/* Parses "a.b.c.d" into *out. Returns 0 or -EINVAL. */
int utcp_parse_addr(const char *s, struct in_addr *out);

/* A static description of a negative (or positive) errno value. */
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
 * descriptor, or -EADDRINUSE, -EADDRNOTAVAIL, -EMFILE (too many
 * sockets), -EINVAL, -ENOMEM, or a control-connection error (-EPIPE,
 * -ETIMEDOUT, -EPROTO).
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
 * daemon closed the socket). Routing errors are not reported here: the
 * daemon drops and counts such a datagram, as a kernel may.
 */
ssize_t utcp_sendto(int fd, const void *buf, size_t len, struct in_addr addr,
		    uint16_t port);

/* utcp_sendto() to the connected peer. */
ssize_t utcp_send(int fd, const void *buf, size_t len);

/*
 * Receives one datagram into buf: returns its length (the part beyond
 * cap is discarded, as recvfrom() does) and fills *addr and *port with
 * its source when not NULL. Returns -ECONNREFUSED (or another error a
 * peer's ICMP message reported) on a connected socket, -EAGAIN when
 * non-blocking and nothing is queued, -ECONNRESET when the daemon
 * closed the socket, -EBADMSG for a packet that is not from the daemon.
 */
ssize_t utcp_recvfrom(int fd, void *buf, size_t cap, struct in_addr *addr,
		      uint16_t *port);

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

enum utcp_route_kind { UTCP_ROUTE_CONNECTED, UTCP_ROUTE_STATIC };

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

enum utcp_protocol { UTCP_PROTO_UDP = 17 };

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

struct utcp_pool {
	uint32_t small_in_use, small_allocated, small_max;
	uint32_t large_in_use, large_allocated, large_max;
};

struct utcp_counter {
	char name[UTCP_COUNTER_NAME_MAX];
	uint64_t value;
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

/* "connected", "static". */
const char *utcp_route_kind_name(enum utcp_route_kind kind);

#ifdef __cplusplus
}
#endif

#endif
