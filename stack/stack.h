/*
 * stack.h - the sans-IO host stack, as the daemon sees it
 *
 * A `struct stack` is one IPv4 host with up to STACK_IF_MAX Ethernet
 * interfaces. It performs no I/O and reads no clock: every entry point
 * takes the current time in nanoseconds (`now`, any monotonic origin),
 * and randomness comes from the seed handed to stack_new(). Everything
 * the stack wants done is queued for the caller to drain:
 *
 *   - frames to transmit: stack_pop_tx(), each with pkt->ifindex set;
 *     the caller writes them and returns them with stack_pkt_free();
 *   - events for sockets: stack_pop_event();
 *   - the next time stack_timer() must run: stack_next_deadline().
 *
 * The caller's loop is: frame read -> stack_input(); timer -> stack_timer();
 * a user call (udp_send ...) -> its function; after each, drain tx and
 * events and re-arm the timer.
 *
 * Addresses are IPv4 addresses in host byte order (10.0.0.1 is
 * 0x0a000001); ports are in host byte order. Errors are negative errno
 * values. Nothing here is thread-safe: one stack, one thread.
 */
#ifndef UTCP_STACK_H
#define UTCP_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "dhcp.h"
#include "pkt.h"

#define STACK_IF_MAX	  8
#define STACK_IF_NAME_MAX 16 /* including the NUL, as IFNAMSIZ */
#define STACK_ROUTE_MAX	  64

#define STACK_NS_PER_SEC  1000000000ull
#define STACK_NO_DEADLINE UINT64_MAX

/* The ephemeral ports connects choose from unless configured (IANA's
 * dynamic range, RFC 6335). */
#define TCP_PORT_FIRST_DEFAULT 49152u
#define TCP_PORT_LAST_DEFAULT  65535u

/* Bounds on every table and queue; stack_limits_default() fills sane
 * values, the daemon may override some from its configuration. */
struct stack_limits {
	/* The pool also bounds what TCP receives (tcp_buf.c): over half
	 * of a class in use, new and growing windows stay at 2 MSS; over
	 * 3/4, out-of-order data is pruned from the connections holding
	 * the most and a connection may queue no more than 2 MSS; the
	 * last 64 small buffers take no TCP data at all. */
	uint32_t pkt_small_max;	   /* small buffers in the pool */
	uint32_t pkt_large_max;	   /* 64 KiB buffers in the pool: TSO
				    * super-segments held in TCP receive
				    * queues, reassembly; allocated on
				    * demand, 1024 bound ~64 MiB */
	uint32_t arp_cache_max;	   /* entries, all interfaces together */
	uint32_t arp_hold_max;	   /* frames queued on one INCOMPLETE entry */
	uint64_t arp_reachable_ns; /* a resolved entry ages out after this */
	uint64_t arp_retry_ns;	   /* between requests while INCOMPLETE */
	uint32_t arp_retries;	   /* requests before the entry times out */
	uint32_t reasm_datagrams_max; /* datagrams being reassembled */
	uint32_t reasm_frags_max;     /* fragments held for one datagram */
	uint32_t reasm_bytes_max;     /* payload bytes held, all datagrams */
	uint64_t reasm_timeout_ns;    /* a datagram not complete by then goes */
	uint32_t udp_sockets_max;
	uint32_t udp_rcvq_max;	     /* datagrams queued on one socket */
	uint32_t udp_rcvq_bytes_max; /* bytes queued on one socket */
	uint32_t icmp_error_rate;    /* ICMP errors per second, sustained */
	uint32_t icmp_error_burst;   /* ... and in a burst */
	uint32_t icmp_echo_max;	     /* our own echo requests outstanding */
	uint32_t tcp_conns_max;	     /* connections, TIME_WAIT included */
	uint32_t tcp_listeners_max;
	uint32_t tcp_port_first; /* ephemeral ports for connects, first */
	uint32_t tcp_port_last;	 /* ... and last (Linux: ip_local_port_range) */
	/* ACKs to invalid segments (out of window, PAWS, RFC 5961's
	 * challenges) a second, all connections; 0: no global bound. */
	uint32_t tcp_challenge_ack_limit;
	uint32_t tcp_syn_backlog; /* half-open per listener, then cookies */
	/* SYNs at listeners answered per turn (between two times
	 * stack_pop_tx() finds its queue empty), all listeners; beyond
	 * it they are dropped; 0: no bound. */
	uint32_t tcp_syn_turn_budget;
	uint32_t tcp_chunks_max; /* send buffer chunks (2 KiB), all conns */
	/* Of those, the last ones kept for connections below their minimum
	 * (TCP_SND_MIN_CHUNKS): a connection holding more takes no chunk
	 * from them. At most a quarter of tcp_chunks_max is kept (a larger
	 * value counts as that). */
	uint32_t tcp_chunks_reserve;
	uint32_t tcp_sndbuf; /* default send buffer, bytes */
	uint32_t tcp_rcvbuf; /* default receive buffer, bytes: the
			      * most a connection advertises; its
			      * out-of-order store pins at most twice
			      * this in pool bytes (each buffer at its
			      * capacity; payloads of 256 bytes or
			      * less share compact buffers) and 256
			      * segments */
	/* Receive-buffer auto-tuning's ceiling, bytes (Linux's
	 * tcp_rmem[2]): a connection starts at tcp_rcvbuf and grows its
	 * buffer (and window) with what its user reads per round trip, up to
	 * this, unless its user set rcvbuf (tcp_sockopts.rcvbuf_lock). Not
	 * above tcp_rcvbuf (0 included): no auto-tuning. The window scale
	 * of every connection that may grow is chosen for this. Default 4
	 * MiB: an eighth of the large-buffer pool's pressure mark (half of
	 * 1024 x 64 KiB), as Linux's tcp_rmem[2] (1/128 of memory) is an
	 * eighth of its tcp_mem pressure mark (1/16), under its 6 MiB cap. */
	uint32_t tcp_rcvbuf_max;
	/* Orphans (connections closed by their user, or whose user's
	 * application is gone: tcp_orphan()) held at once; one more is
	 * reset instead (Linux's tcp_max_orphans). */
	uint32_t tcp_orphans_max;
	/* An orphan gives up (RST, ETIMEDOUT) after this many
	 * retransmission timeouts, or zero-window probes while the window
	 * stays shut, answered or not (Linux's tcp_orphan_retries). */
	uint32_t tcp_orphan_retries;
	uint32_t tcp_keepidle_s; /* keepalive defaults (RFC 1122 4.2.3.6) */
	uint32_t tcp_keepintvl_s;
	uint32_t tcp_keepcnt;
	bool tcp_cubic; /* CUBIC (default) or NewReno */
	/* HyStart++ (RFC 9406) in the first slow start: leave it when the
	 * round trip grows, before the bottleneck's queue overflows
	 * (default on). */
	bool tcp_hystart;
	/* Proportional Rate Reduction (RFC 6937) of the window in fast
	 * recovery (default on); off: RFC 6675's (SACK) and RFC 6582's
	 * (no SACK) window, kept to compare them. */
	bool tcp_prr;
};

/* Fills `lim` with the defaults. */
void stack_limits_default(struct stack_limits *lim);

/* Returns a new stack or NULL when out of memory. `seed` feeds the
 * stack's random generator (ephemeral ports, IP IDs). */
struct stack *stack_new(const struct stack_limits *lim, uint64_t seed);

/* Frees the stack, every socket, queue and buffer it holds. */
void stack_free(struct stack *s);

/* ---- interfaces and routes ---------------------------------------- */

/* Adds an Ethernet interface; returns its index (0, 1, ...) or -ENOSPC
 * when STACK_IF_MAX exist, -EINVAL for a bad MTU (68..65535 - 14). */
int stack_if_add(struct stack *s, const char *name, const uint8_t mac[6],
		 uint32_t mtu);

/*
 * Assigns the interface its IPv4 address and prefix (replacing any
 * previous one), installs the connected route and queues a gratuitous
 * ARP. addr 0 removes the address. The same address and prefix again
 * change nothing. When an address goes (removed, or replaced by
 * another) and no interface has it any more: TCP connections from it
 * fail with EADDRNOTAVAIL (STACK_EV_TCP_ERROR; no RST, we cannot send
 * from it) and are freed as an abort frees them; UDP sockets bound to
 * it stay but their sends fail with -EADDRNOTAVAIL, and connected ones
 * get STACK_EV_UDP_ERROR EADDRNOTAVAIL; listeners bound to it stay,
 * as Linux's do (they take connections again if it comes back), and
 * their connections not yet accepted are freed. Returns 0, -ENODEV or
 * -EINVAL.
 */
int stack_if_set_address(struct stack *s, uint64_t now, int ifindex,
			 uint32_t addr, uint8_t prefix_len);

/*
 * Tells the stack what the link under an interface offloads (both off
 * when the interface is added). tso: the link cuts a TCP frame of up to
 * 64 KiB into MSS-sized segments (pkt->gso_size), so TCP sends
 * super-segments; csum: the link completes a partial L4 checksum
 * (PKT_F_CSUM_PARTIAL). TCP uses both only together (tso needs csum).
 * Returns 0, -ENODEV, or -EINVAL for tso without csum.
 */
int stack_if_set_offload(struct stack *s, int ifindex, bool tso, bool csum);

/* Adds a route: dst/prefix_len via gateway (0 = on-link) out ifindex.
 * A default route is 0/0. Returns 0, -ENOSPC, -EEXIST or -EINVAL. */
int stack_route_add(struct stack *s, uint32_t dst, uint8_t prefix_len,
		    uint32_t gateway, int ifindex);

/* As stack_route_add(), with a metric: of two routes with the same
 * prefix length, the lower metric wins, and of equal metrics the first
 * in the table (stack_route_add's metric is 0). Routes differing only
 * in metric may coexist. */
int stack_route_add_metric(struct stack *s, uint32_t dst, uint8_t prefix_len,
			   uint32_t gateway, int ifindex, uint32_t metric);

/* ---- DHCP (dhcp_if.c) ---------------------------------------------- */

/*
 * An interface may run the DHCP client (dhcp.h). The stack then sends
 * and receives its messages on UDP ports 68/67 (broadcast from 0.0.0.0
 * before it has an address), makes its ARP probes, and applies the
 * lease itself: the address, prefix and broadcast; the routes (121,
 * else 3; kind STACK_ROUTE_DHCP, with the configured metric) and the
 * MTU (26, clamped to the interface's own MTU and to at least 576).
 * A renewal with the same values changes nothing. When the lease goes
 * (expiry, a NAK while rebinding, a new address) the address and its
 * routes are removed and sockets bound to it fail with EADDRNOTAVAIL.
 * What the daemon must know (state changes to log, a lease to save, a
 * lease lost) it pops as reports, stack_dhcp_pop_report().
 */
struct stack_dhcp_config {
	uint8_t client_id[DHCP_CLIENT_ID_MAX]; /* option 61; length 0: */
	uint8_t client_id_len;		       /* type 1 + the MAC */
	char hostname[DHCP_HOSTNAME_MAX];      /* option 12; "": none */
	bool arp_check;	      /* probe an offered address (RFC 5227) */
	uint32_t reboot_addr; /* a saved lease's address: INIT-REBOOT */
	bool use_routes;      /* false: static routes win, 121/3 unused */
	bool use_mtu;	      /* false: a static mtu wins over 26 */
	uint32_t route_metric;
};

/* Starts DHCP on the interface. Returns 0, -ENODEV, -EALREADY, or
 * -ENOMEM (the client's state is allocated on the first start). */
int stack_dhcp_start(struct stack *s, uint64_t now, int ifindex,
		     const struct stack_dhcp_config *cfg);

/* Stops DHCP on the interface, with a DHCPRELEASE when `release` and
 * a lease is held (the address is then removed). No-op when not
 * running. */
void stack_dhcp_stop(struct stack *s, uint64_t now, int ifindex, bool release);

struct stack_dhcp_info {
	bool running;
	enum dhcp_state state;
	bool bound;		 /* a lease is in use */
	struct dhcp_lease lease; /* when bound */
	/* From now; UINT64_MAX: never (an infinite lease). */
	uint64_t t1_in_ns, t2_in_ns, expires_in_ns;
	uint32_t mtu_applied; /* 0: option 26 not applied */
	struct dhcp_client_stats stats;
};

/* Fills *out for the interface. Returns 0, -ENODEV. */
int stack_dhcp_info(const struct stack *s, uint64_t now, int ifindex,
		    struct stack_dhcp_info *out);

enum stack_dhcp_report_kind {
	STACK_DHCP_STATE, /* from -> to */
	STACK_DHCP_NOTE,  /* text: a correction, a decline, a NAK's why */
	STACK_DHCP_LEASE, /* a lease was applied (new, or changed) */
	STACK_DHCP_LOST,  /* the lease was dropped (expiry, NAK, release) */
};

struct stack_dhcp_report {
	int ifindex;
	enum stack_dhcp_report_kind kind;
	enum dhcp_state from, to;
	char text[96];
};

/* Pops the next DHCP report; false when there is none. At most
 * STACK_DHCP_REPORTS_MAX wait; beyond, the oldest is dropped
 * (counted as dhcp_reports_dropped). */
#define STACK_DHCP_REPORTS_MAX 64
bool stack_dhcp_pop_report(struct stack *s, struct stack_dhcp_report *r);

/* ---- the I/O contract -------------------------------------------- */

/* Returns a buffer for a frame of up to `size` bytes (data at the end of
 * the headroom), or NULL when the pool is exhausted (counted). */
struct pkt *stack_pkt_alloc(struct stack *s, size_t size);

/* Returns a buffer obtained from stack_pkt_alloc() or stack_pop_tx(). */
void stack_pkt_free(struct stack *s, struct pkt *p);

/* Processes one received Ethernet frame; frame->ifindex names the
 * interface. Takes ownership of the buffer in every case. */
void stack_input(struct stack *s, uint64_t now, struct pkt *frame);

/* Runs every timer due at `now`. */
void stack_timer(struct stack *s, uint64_t now);

/* The earliest time stack_timer() has work, or STACK_NO_DEADLINE. */
uint64_t stack_next_deadline(const struct stack *s);

/* The next frame to transmit (ownership passes to the caller), or NULL.
 * Finding the queue empty ends a turn: the per-turn budgets (SYNs at
 * listeners, tcp_syn_turn_budget) are full again, so a caller that
 * drains the queue after each batch of input bounds the work a flood
 * makes per batch. */
struct pkt *stack_pop_tx(struct stack *s);

/* How many frames wait in the transmit queue. Each holds a buffer of
 * the pool until the caller drains it: a caller that feeds the stack
 * much input between drains watches this to pause before the pool runs
 * dry. */
size_t stack_tx_queued(const struct stack *s);

enum stack_event_type {
	STACK_EV_UDP_READABLE, /* the socket's receive queue became non-empty */
	STACK_EV_UDP_ERROR,    /* an ICMP error arrived for a connected socket,
				* or its local address went (EADDRNOTAVAIL) */
	STACK_EV_TCP_ACCEPTABLE, /* a listener has a connection to accept */
	STACK_EV_TCP_CONNECTED,	 /* an active open completed */
	STACK_EV_TCP_READABLE,	 /* data or the peer's FIN can be read */
	STACK_EV_TCP_WRITABLE,	 /* send buffer space opened up */
	STACK_EV_TCP_ERROR,	 /* the connection failed: error says why */
};

struct stack_event {
	enum stack_event_type type;
	int sock;   /* socket id (UDP), connection or listener id (TCP) */
	int error;  /* positive errno for *_ERROR (ECONNREFUSED, EHOSTUNREACH,
		     * ECONNRESET, ETIMEDOUT, EADDRNOTAVAIL) */
	void *user; /* the socket's cookie when the event is popped */
};

/*
 * User cookies. The caller may attach one pointer to a UDP socket, a
 * TCP connection or a listener, and every event for it carries that
 * pointer, so the caller finds its own object without a table of ids.
 * The cookie is read when the event is popped, not when it was queued:
 * an event for a socket the caller has let go of since (tcp_close,
 * tcp_abort, tcp_listen_close) carries NULL, and once its id is free
 * (a UDP socket or listener closed, a connection gone from the table,
 * which the stack never frees while the user holds it) its queued
 * events are dropped, so a new socket given the id never gets them; so does one
 * for a socket that has no cookie yet (a connection accepted after its event
 * was queued gets the one set after tcp_accept). A new socket starts with NULL.
 * Each returns 0 or -EBADF.
 */
int udp_socket_set_user(struct stack *s, int sock, void *user);
int tcp_set_user(struct stack *s, int conn, void *user);
int tcp_listen_set_user(struct stack *s, int listener, void *user);
/* A connection's cookie; NULL when it has none or is not the caller's
 * (closed, not yet accepted, no such id). */
void *tcp_get_user(struct stack *s, int conn);

/* Pops the next event into *ev; false when there is none. The queue is
 * sized from the limits so that it cannot overflow: every event but
 * UDP_ERROR is queued at most once per socket and kind until the caller
 * acts on it (READABLE on an empty -> non-empty transition, WRITABLE
 * after a refused write, CONNECTED and TCP_ERROR once). UDP_ERROR is
 * dropped, counted as stack_events_dropped, when the queue is full. */
bool stack_pop_event(struct stack *s, struct stack_event *ev);

/* How many events wait to be popped. */
size_t stack_events_queued(const struct stack *s);

/* ---- UDP sockets --------------------------------------------------- */

/*
 * Opens a UDP socket bound to local_addr:local_port (addr 0 = any, port
 * 0 = a random free ephemeral port, RFC 6056) and, when remote_port is
 * non-zero, connected to remote_addr:remote_port (only datagrams from
 * there are delivered, and sends without a destination go there).
 * Returns a socket id >= 0, or -EADDRINUSE, -EADDRNOTAVAIL (local_addr
 * not ours), -ENETUNREACH (connected, and no route to remote_addr, as
 * Linux's connect), -EMFILE (udp_sockets_max reached), -ENOMEM.
 */
int udp_socket_open(struct stack *s, uint32_t local_addr, uint16_t local_port,
		    uint32_t remote_addr, uint16_t remote_port);

/* Closes the socket and frees its queued datagrams. */
void udp_socket_close(struct stack *s, int sock);

/* Sets the IPv4 TOS (IP_TOS, the whole byte, as Linux's for UDP) and
 * TTL (IP_TTL; 0 = STACK_DEFAULT_TTL) of the socket's datagrams from
 * now on. Returns 0 or -EBADF. */
int udp_socket_set_tos_ttl(struct stack *s, int sock, uint8_t tos, uint8_t ttl);
/* The socket's TOS and TTL as set (0 = default). Returns 0 or -EBADF. */
int udp_socket_get_tos_ttl(struct stack *s, int sock, uint8_t *tos,
			   uint8_t *ttl);

/*
 * Sends one datagram of `len` bytes to dst:dport (dst 0 and dport 0 =
 * the connected peer). Fragments when larger than the path MTU. Returns
 * 0, or -EBADF, -EDESTADDRREQ, -EMSGSIZE (over 65507 bytes), -ENETUNREACH,
 * -ENOBUFS (pool exhausted or the ARP hold queue full), -EADDRNOTAVAIL
 * (bound to an address that is ours no more).
 */
int udp_send(struct stack *s, uint64_t now, int sock, uint32_t dst,
	     uint16_t dport, const void *data, size_t len);

/* A received datagram, viewed in place in the stack's buffer. */
struct udp_datagram {
	const uint8_t *data;
	size_t len;
	uint32_t src_addr;
	uint16_t src_port;
	uint32_t dst_addr; /* the address it was sent to (ours or broadcast) */
};

/* Fills *dg with the oldest queued datagram without removing it.
 * Returns 0, -EAGAIN when the queue is empty, -EBADF. */
int udp_peek(struct stack *s, int sock, struct udp_datagram *dg);

/* Removes the oldest queued datagram (after udp_peek). */
void udp_pop(struct stack *s, int sock);

/* ---- ICMP echo: ping (icmp_echo.c) --------------------------------- */

/* The largest echo payload: an IPv4 datagram of 64 KiB, as ping -s. */
#define ICMP_ECHO_DATA_MAX (65535u - 20u - 8u)

struct icmp_echo_request {
	uint32_t dst;
	int ifindex; /* -1: any; else the route to dst must go out there */
	uint16_t seq;
	uint32_t len;	     /* payload bytes, 0..ICMP_ECHO_DATA_MAX */
	uint64_t timeout_ns; /* > 0 */
};

/*
 * Sends an echo request to rq->dst and waits for its reply in the
 * stack's table of outstanding echoes (lim.icmp_echo_max). Returns the
 * echo's id (>= 0; its result comes from icmp_echo_pop()), or
 * -EINVAL, -ENETUNREACH (no route, or not out rq->ifindex), -EACCES (a
 * broadcast or multicast address), -ENOBUFS (the table is full, or no
 * buffer), -EMSGSIZE.
 */
int icmp_echo_send(struct stack *s, uint64_t now,
		   const struct icmp_echo_request *rq);

/* How an echo ended. */
struct icmp_echo_result {
	int echo;      /* icmp_echo_send()'s id, free again now */
	int status;    /* 0: answered; -ETIMEDOUT; -EHOSTUNREACH ... */
	uint32_t from; /* who answered or reported the error */
	uint16_t seq;
	uint8_t ttl;	 /* of the reply */
	uint32_t len;	 /* the reply's payload bytes */
	uint64_t rtt_ns; /* from the send to the reply (or the end) */
};

/* Pops the next ended echo into *r (the caller drains these after each
 * call into the stack, as events); false when none is. */
bool icmp_echo_pop(struct stack *s, struct icmp_echo_result *r);

/* Forgets echo `echo` (its caller went): no result comes for it. */
void icmp_echo_cancel(struct stack *s, int echo);

/* Echoes in the table: waiting, or ended and not yet popped. */
uint32_t icmp_echo_outstanding(const struct stack *s);

/* ---- TCP ------------------------------------------------------------ */

/*
 * Connections and listeners have ids in their own spaces (a connection
 * id and a UDP socket id may be equal). A connection id belongs to the
 * caller from tcp_connect() or tcp_accept() until tcp_close() or
 * tcp_abort(): after an error the connection is dead (every call returns
 * the error) but the id stays valid until the caller lets go of it.
 * After tcp_close() the stack finishes the connection on its own (FIN
 * exchange, TIME_WAIT) and frees it.
 */

struct tcp_sockopts {
	bool nodelay;	      /* disable Nagle (TCP_NODELAY) */
	bool keepalive;	      /* SO_KEEPALIVE */
	uint32_t keepidle_s;  /* idle time before the first probe */
	uint32_t keepintvl_s; /* between probes */
	uint32_t keepcnt;     /* unanswered probes before ETIMEDOUT, < 256 */
	uint32_t sndbuf;      /* send buffer limit, bytes */
	uint32_t rcvbuf;      /* receive buffer limit, bytes */
	/* The user set rcvbuf (SO_RCVBUF, as Linux's SOCK_RCVBUF_LOCK):
	 * the buffer no longer grows on its own (tcp_rcvbuf_max). */
	bool rcvbuf_lock;
	/* SO_LINGER: with linger on and linger_s 0, tcp_close() resets
	 * the connection; linger_s > 0 changes nothing here (the caller
	 * waits for the FIN's ACK: the daemon's TCP_LINGER). */
	bool linger;
	uint32_t linger_s;
	/* TCP_MAXSEG: 0 = none, else TCP_MAXSEG_MIN..TCP_MAXSEG_MAX; the
	 * MSS we advertise and use is clamped to it. Applies when the
	 * connection is set up (connect, or the listener's for accepted
	 * ones); a later change is kept and read back only. */
	uint16_t maxseg;
	uint8_t tos; /* IP_TOS of every segment (the ECN bits are ignored) */
	uint8_t ttl; /* IP_TTL of every segment; 0 = IPV4_DEFAULT_TTL */
};

/* TCP_MAXSEG's range, as Linux's (88 .. MAX_TCP_WINDOW). */
#define TCP_MAXSEG_MIN 88u
#define TCP_MAXSEG_MAX 32767u
/* The TTL when none is set, as Linux's default ip_default_ttl. */
#define STACK_DEFAULT_TTL 64u

/* The defaults for new connections (from the stack's limits). */
void tcp_sockopts_default(const struct stack *s, struct tcp_sockopts *o);

/*
 * Listens on local_addr:local_port (addr 0 = any; port 0 = a random
 * free port of tcp_port_first..tcp_port_last, as Linux's listen()
 * without bind()). backlog bounds the connections waiting for
 * tcp_accept(); beyond it, and beyond the bound on half-open
 * connections, SYN cookies answer. Returns a listener id, or
 * -EADDRINUSE (also: no free port), -EADDRNOTAVAIL, -EMFILE, -EINVAL.
 */
int tcp_listen(struct stack *s, uint32_t local_addr, uint16_t local_port,
	       uint32_t backlog, const struct tcp_sockopts *o);

/* The port a listener listens on, or -EBADF. */
int tcp_listen_port(struct stack *s, int listener);

/* Takes the oldest established connection from the listener's queue;
 * returns its id and its peer, or -EAGAIN, -EBADF. */
int tcp_accept(struct stack *s, int listener, uint32_t *remote_addr,
	       uint16_t *remote_port);

/* Stops listening; connections not yet accepted are reset. */
void tcp_listen_close(struct stack *s, uint64_t now, int listener);

/*
 * Opens a connection (local_port 0 = an ephemeral port of
 * tcp_port_first..tcp_port_last free for this 4-tuple, RFC 6056, a
 * TIME_WAIT's taken over when timestamps make it safe; local_addr 0 =
 * the route's source). Completion is STACK_EV_TCP_CONNECTED or
 * STACK_EV_TCP_ERROR. Returns a connection id, or -EADDRINUSE (the
 * 4-tuple of local_port is taken), -EADDRNOTAVAIL (also: no ephemeral
 * port free), -ENETUNREACH, -EMFILE, -ENOMEM.
 */
int tcp_connect(struct stack *s, uint64_t now, uint32_t local_addr,
		uint16_t local_port, uint32_t remote_addr, uint16_t remote_port,
		const struct tcp_sockopts *o);

/* Bytes the send buffer can take now: its room under the connection's
 * sndbuf, and no more than the send-buffer chunks it may take from the
 * pool (tcp_chunks_max) hold, so tcp_send() takes all of at most this
 * many. 0 while full, short of chunks, or not open. */
size_t tcp_send_space(const struct stack *s, int conn);

/*
 * Copies up to len bytes into the send buffer and transmits what the
 * windows allow. Returns the bytes taken (possibly fewer than len; then
 * STACK_EV_TCP_WRITABLE follows when space opens), -EAGAIN when the
 * buffer is full or the chunk pool is short (the event follows too;
 * len 0 asks for it without sending anything). WRITABLE comes from an
 * ACK when the buffer was full, and when the pool was short from the
 * chunks that any connection gives back: refused connections wait in
 * a FIFO and are woken oldest first, one per free chunk (tcp_buf.c),
 * -ENOTCONN before the connection is established, -EPIPE after
 * tcp_shutdown(), the connection's error, or -EBADF.
 */
long tcp_send(struct stack *s, uint64_t now, int conn, const void *data,
	      size_t len);

/*
 * Views the next contiguous received bytes in place. Returns 0 with
 * *len > 0 for data, 0 with *len == 0 at end of stream (the peer's FIN,
 * all data read), -EAGAIN when nothing is there yet, or the connection's
 * error (-ECONNRESET ...), -EBADF.
 */
int tcp_recv_peek(struct stack *s, int conn, const uint8_t **data, size_t *len);

/* A piece of received data, viewed in place. */
struct stack_iov {
	const uint8_t *data;
	size_t len;
};

/*
 * As tcp_recv_peek(), several pieces at once (for one sendmsg/writev):
 * fills up to max views with the next received bytes in order. Returns
 * the number of views (> 0), 0 at end of stream, -EAGAIN, or the
 * connection's error, -EBADF.
 */
int tcp_recv_peekv(struct stack *s, int conn, struct stack_iov *iov, int max);

/* Marks n bytes returned by tcp_recv_peek() as read; opening the
 * receive window may send a window update. */
void tcp_recv_consume(struct stack *s, uint64_t now, int conn, size_t n);

/* Sends FIN once the queued data is out (shutdown(SHUT_WR)).
 * Returns 0, -ENOTCONN, -EBADF. */
int tcp_shutdown(struct stack *s, uint64_t now, int conn);

/* Lets go of the id. With unread received data the connection is reset
 * (RFC 9293 3.10.4, as a socket close does); with SO_LINGER 0 it is
 * reset (in states where the peer holds state; else freed at once, as
 * Linux's close); otherwise it is shut down and finished in the
 * background. */
void tcp_close(struct stack *s, uint64_t now, int conn);

/* Resets the connection (RST) and lets go of the id. */
void tcp_abort(struct stack *s, uint64_t now, int conn);

/* Resets the connection (RST), as tcp_abort(), but the id stays the
 * caller's, as after the peer's RST: what was received is still read,
 * then -ECONNRESET (STACK_EV_TCP_ERROR follows); tcp_close() lets go of
 * it. For a failure of the caller's that lost bytes it had promised to
 * send. Returns 0 (also when the connection had failed already), or
 * -EBADF. */
int tcp_reset(struct stack *s, uint64_t now, int conn);

/*
 * The user's application is gone, but the user keeps the id a while to
 * hand the stack what the application had written (then tcp_close()).
 * From now on the connection is an orphan, under the orphans' bounds
 * (tcp_orphans_max; tcp_orphan_retries; reset when its send chunks are
 * wanted by others), as a closed one is. Returns 0, -EBADF, or -ENOBUFS
 * when tcp_orphans_max orphans are held: nothing changed, and the
 * caller should tcp_abort() it, as tcp_close() would reset it.
 */
int tcp_orphan(struct stack *s, uint64_t now, int conn);

/* Fills *o with a connection's current options. Returns 0 or -EBADF. */
int tcp_get_sockopts(const struct stack *s, int conn, struct tcp_sockopts *o);

/* Changes the options of a connection (nodelay, keepalive, buffers).
 * Returns 0, -EINVAL, -EBADF. */
int tcp_set_sockopts(struct stack *s, uint64_t now, int conn,
		     const struct tcp_sockopts *o);

/* ---- inspection, for status ---------------------------------------- */

struct stack_if_info {
	char name[STACK_IF_NAME_MAX];
	uint8_t mac[6];
	uint32_t mtu;  /* in use: a lease's option 26 may lower it */
	uint32_t addr; /* 0 = none */
	uint8_t prefix_len;
	/* SYNs that came in on it and were dropped beyond the per-turn
	 * budget (tcp_syn_turn_budget; tcp_rule_syn_over_budget counts
	 * them for all interfaces). */
	uint64_t syn_over_budget;
};

enum stack_route_kind {
	STACK_ROUTE_CONNECTED,
	STACK_ROUTE_STATIC,
	STACK_ROUTE_DHCP
};

struct stack_route_info {
	uint32_t dst;
	uint8_t prefix_len;
	uint32_t gateway; /* 0 = on-link */
	int ifindex;
	enum stack_route_kind kind;
	uint32_t metric;
};

enum arp_state { ARP_INCOMPLETE, ARP_REACHABLE, ARP_STATIC };

struct stack_arp_info {
	uint32_t addr;
	uint8_t mac[6];
	int ifindex;
	enum arp_state state;
	uint64_t expires_in_ns; /* until aged out (REACHABLE) or next retry */
	uint32_t queued;	/* frames waiting (INCOMPLETE) */
};

struct stack_udp_info {
	int sock;
	uint32_t local_addr;
	uint16_t local_port;
	uint32_t remote_addr;
	uint16_t remote_port;
	uint32_t rcvq_datagrams;
	uint32_t rcvq_bytes;
	uint64_t rx_datagrams;
	uint64_t tx_datagrams;
	uint64_t rx_drops; /* receive queue full */
};

enum tcp_state {
	TCPS_CLOSED,
	TCPS_LISTEN,
	TCPS_SYN_SENT,
	TCPS_SYN_RECEIVED,
	TCPS_ESTABLISHED,
	TCPS_FIN_WAIT_1,
	TCPS_FIN_WAIT_2,
	TCPS_CLOSE_WAIT,
	TCPS_CLOSING,
	TCPS_LAST_ACK,
	TCPS_TIME_WAIT,
	TCPS_STATE_COUNT
};

/* "ESTABLISHED", ... */
const char *tcp_state_name(enum tcp_state st);

struct stack_tcp_info {
	int id; /* connection or listener id */
	bool listener;
	bool orphan; /* closed by the user (or tcp_orphan()), finishing */
	enum tcp_state state;
	uint32_t local_addr, remote_addr;
	uint16_t local_port, remote_port;
	uint32_t send_queue; /* bytes not yet acknowledged or not yet sent */
	uint32_t recv_queue; /* bytes received, not yet read */
	uint32_t snd_wnd;    /* peer's advertised window, bytes */
	uint32_t rcv_wnd;    /* our advertised window, bytes */
	uint32_t cwnd, ssthresh; /* bytes */
	uint32_t mss;
	uint64_t srtt_us, rttvar_us, rto_ms;
	uint64_t retransmits; /* segments retransmitted */
	uint64_t bytes_sent, bytes_received;
	uint32_t backlog; /* listener: waiting to be accepted */
};

size_t stack_tcp_snapshot(const struct stack *s, uint64_t now,
			  struct stack_tcp_info *out, size_t max);
/* One connection's record (its local address and port once chosen,
 * its state ...). Returns 0 or -EBADF. */
int tcp_conn_info(const struct stack *s, int conn, struct stack_tcp_info *out);

struct stack_pool_info {
	uint32_t allocated[PKT_CLASS_COUNT];
	uint32_t in_use[PKT_CLASS_COUNT];
	uint32_t max[PKT_CLASS_COUNT];
};

const char *arp_state_name(enum arp_state st);

int stack_if_count(const struct stack *s);
/* Returns 0 or -ENODEV. */
int stack_if_info(const struct stack *s, int ifindex,
		  struct stack_if_info *out);
/* Each *_snapshot writes at most `max` records and returns how many
 * exist in all (which may exceed max). */
size_t stack_route_snapshot(const struct stack *s, struct stack_route_info *out,
			    size_t max);
size_t stack_arp_snapshot(const struct stack *s, uint64_t now,
			  struct stack_arp_info *out, size_t max);
size_t stack_udp_snapshot(const struct stack *s, struct stack_udp_info *out,
			  size_t max);
/* One UDP socket's record. Returns 0 or -EBADF. */
int udp_socket_info(const struct stack *s, int sock,
		    struct stack_udp_info *out);
void stack_pool_info(const struct stack *s, struct stack_pool_info *out);
uint64_t stack_counter_get(const struct stack *s, enum stack_counter c);

#endif
