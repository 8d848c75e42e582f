/*
 * test_control.c - the control server in process: libutcp <-> the real
 * control server <-> a real struct stack <-> a simulated link <-> a peer
 * stack
 *
 * No root, no TAP: daemon_harness.h runs the daemon's loop in a thread
 * of its own over a simulated link to a peer stack (10.0.0.1; the
 * daemon's stack is 10.0.0.2); the test thread is the application,
 * calling libutcp's blocking functions.
 *
 * The peer runs small applications of its own in its event callback: a
 * UDP echo on port 7, a TCP echo listening on port 80, a TCP sink on
 * port 9 that accepts and never reads, and one active connection that
 * sends a greeting and keeps what it receives.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ev.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <netdb.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <linux/io_uring.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>

#include "byteorder.h"
#include "checksum.h"
#include "ipc.h"
#include "config.h"
#include "control.h"
#include "control_client.h"
#include "control_limits.h"
#include "control_tcp.h"
#include "daemon_harness.h"
#include "log.h"
#include "loop.h"
#include "netconf.h"
#include "pcap.h"
#include "resolver.h"
#include "sim.h"
#include "tcp.h"
#include "tcp_wire.h"
#include "utcp.h"
#include "utcpd.h"

#define DAEMON_ADDR HARNESS_DAEMON_ADDR /* 10.0.0.2 */
#define PEER_ADDR   HARNESS_PEER_ADDR	/* 10.0.0.1 */
#define UDP_ECHO    7
#define TCP_ECHO    80
#define TCP_SINK    9 /* accepts, never reads */

/* The peer's applications (run in the loop thread, by its events). */
struct peer {
	struct stack *s;
	int udp_echo;
	int tcp_listener;
	int sink_listener;
	int active;	      /* its own connection, -1 = none */
	const char *greeting; /* sent once `active` is established */
	char got[256];	      /* what `active` received */
	size_t got_len;
	int dns_sink; /* names fixture: port 53 open, never answering */
};

/* What this test keeps besides the harness's world (H). */
static struct world {
	struct peer peer;
	/* The DHCP client's messages on the second link (DHCP_IF): how
	 * many, and the last one's type and transaction id. */
	int dhcp_sent;
	uint8_t dhcp_type;
	uint32_t dhcp_xid;
	/* The first FIN or RST from local port fin_port (0: none
	 * watched), and whether a reply waited on fin_reply_fd when it
	 * went (fin_sniff; loop thread). */
	uint16_t fin_port;
	int fin_reply_fd;
	bool fin_seen;
	bool fin_was_rst;
	bool reply_before_fin;
	/* SYNs the daemon sent (connects), and how many had gone when
	 * that FIN or RST went (fin_sniff); a descriptor it closes once
	 * syns_to_close went (-1: none), so on the loop, whatever the
	 * test thread's speed. */
	unsigned syns;
	unsigned syns_at_fin;
	unsigned syns_to_close;
	int close_fd;
	/* The daemon's tcp_send() calls with bytes, their connections,
	 * while sends_on (__wrap_tcp_send; loop thread). */
	bool sends_on;
	unsigned nsends;
	int sends[64];
	/* While hs_watch: the first SYN the daemon sends, and the first
	 * segment that is a bare ACK from its port after it: the loop
	 * iterations (ev_iteration) they left in (handshake_sniff). */
	bool hs_watch;
	uint16_t hs_port;
	unsigned hs_syn_iter, hs_ack_iter;
	size_t hs_events_at_ack; /* the stack's events queued then */
	bool hs_done;
	/* While burst > 0: at the daemon's next SYN the peer sends that
	 * many datagrams to a port of the daemon where nothing listens,
	 * so that they wait on the link with the SYN-ACK (burst_sniff);
	 * the early reads of the link (H.read_now.calls) made by then. */
	unsigned burst;
	uint64_t burst_read_now_calls;
} W;

/* The second link, where a test runs a scripted DHCP server. */
#define DHCP_IF 1

static void dhcp_sniff(const struct pkt *p);
static void fin_sniff(const struct pkt *p);
static void handshake_sniff(const struct pkt *p);
static void burst_sniff(const struct pkt *p);

/* The harness's link_tap: the frames for the second link go to the
 * scripted DHCP server; the first link's go on, looked at. */
static bool dhcp_link_tap(const struct pkt *p)
{
	if (p->ifindex != DHCP_IF) {
		fin_sniff(p);
		handshake_sniff(p);
		burst_sniff(p);
		return false;
	}
	dhcp_sniff(p);
	return true;
}

/* ---- the peer's applications ---------------------------------------- */

static void peer_udp_echo(struct peer *p, uint64_t now)
{
	struct udp_datagram dg;

	while (udp_peek(p->s, p->udp_echo, &dg) == 0) {
		(void)udp_send(p->s, now, p->udp_echo, dg.src_addr, dg.src_port,
			       dg.data, dg.len);
		udp_pop(p->s, p->udp_echo);
	}
}

/* Echoes what an accepted connection receives, or keeps what the
 * active one does; closes an echo connection at the client's FIN. */
static void peer_tcp_readable(struct peer *p, int conn, uint64_t now)
{
	const uint8_t *data;
	size_t len;
	struct stack_tcp_info info;

	if (tcp_conn_info(p->s, conn, &info) == 0 &&
	    info.local_port == TCP_SINK)
		return; /* never read */
	while (tcp_recv_peek(p->s, conn, &data, &len) == 0) {
		if (len == 0) {
			if (conn != p->active)
				tcp_close(p->s, now, conn);
			return;
		}
		if (conn == p->active) {
			if (len > sizeof(p->got) - p->got_len)
				len = sizeof(p->got) - p->got_len;
			memcpy(p->got + p->got_len, data, len);
			p->got_len += len;
		} else {
			ck_assert_int_eq(tcp_send(p->s, now, conn, data, len),
					 (long)len);
		}
		tcp_recv_consume(p->s, now, conn, len);
	}
}

static void peer_event(struct sim *sim, struct sim_node *node,
		       const struct stack_event *ev, void *arg)
{
	struct peer *p = arg;
	uint64_t now = sim_now(sim);
	uint32_t raddr;
	uint16_t rport;

	switch (ev->type) {
	case STACK_EV_UDP_READABLE:
		peer_udp_echo(p, now);
		break;
	case STACK_EV_TCP_ACCEPTABLE:
		while (tcp_accept(p->s, ev->sock, &raddr, &rport) >= 0)
			; /* its events say the rest */
		break;
	case STACK_EV_TCP_CONNECTED:
		if (ev->sock == p->active && p->greeting)
			(void)tcp_send(p->s, now, p->active, p->greeting,
				       strlen(p->greeting));
		break;
	case STACK_EV_TCP_READABLE:
		peer_tcp_readable(p, ev->sock, now);
		break;
	default:
		break;
	}
}

/* ---- a world per test ------------------------------------------------ */

/* The daemon's send-buffer chunks (send_chunks_max) and small packet
 * buffers (pkt_small_max), when a test's fixture sets them; 0 keeps
 * the default. */
static uint32_t setup_chunks_max, setup_pkt_small_max;
/* ... and the reserve (send_chunks_reserve), when set: the value + 1. */
static uint32_t setup_chunks_reserve_plus1;

/* The configuration a test's fixture asks for. */
static void control_config(struct config *cfg)
{
	if (setup_chunks_max)
		cfg->limits.tcp_chunks_max = setup_chunks_max;
	if (setup_pkt_small_max)
		cfg->limits.pkt_small_max = setup_pkt_small_max;
	if (setup_chunks_reserve_plus1)
		cfg->limits.tcp_chunks_reserve = setup_chunks_reserve_plus1 - 1;
}

/* The peer's applications: the UDP echo, the TCP echo and the sink. */
static void peer_apps(struct stack *s)
{
	W.peer.s = s;
	W.peer.active = -1;
	W.peer.udp_echo = udp_socket_open(s, 0, UDP_ECHO, 0, 0);
	ck_assert_int_ge(W.peer.udp_echo, 0);
	W.peer.tcp_listener = tcp_listen(s, 0, TCP_ECHO, 16, NULL);
	ck_assert_int_ge(W.peer.tcp_listener, 0);
	W.peer.sink_listener = tcp_listen(s, 0, TCP_SINK, 16, NULL);
	ck_assert_int_ge(W.peer.sink_listener, 0);
}

static void setup(void)
{
	const struct harness_opts opts = {
	    .config = control_config,
	    .peer_event = peer_event,
	    .peer_arg = &W.peer,
	    .peer_apps = peer_apps,
	    .link_tap = dhcp_link_tap,
	};

	memset(&W, 0, sizeof(W));
	W.close_fd = -1;
	harness_setup(&opts);
}

static void teardown(void)
{
	harness_teardown();
}

static struct utcp *client(void)
{
	int err = 0;
	struct utcp *u = utcp_open(H.path, &err);

	ck_assert_msg(u, "utcp_open: %s", strerror(-err));
	return u;
}

static struct in_addr in4(uint32_t a)
{
	return (struct in_addr){htonl(a)};
}

/* Reads exactly len bytes from a TCP descriptor. */
static void recv_all(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = utcp_tcp_recv(fd, buf + got, len - got, 0);

		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
}

/* ---- the tests ------------------------------------------------------ */

START_TEST(test_hello_then_status_describes_the_daemon)
{
	struct utcp *u = client();
	struct utcp_status *st;
	char buf[8];
	int fd;

	/* An exchange with the peer first, for an ARP entry. */
	fd = utcp_udp_connect(u, in4(PEER_ADDR), UDP_ECHO, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(utcp_send(fd, "arp", 3), 3);
	ck_assert_int_eq(utcp_recvfrom(fd, buf, sizeof(buf), NULL, NULL), 3);
	close(fd);

	/* Every counter: more records than one reply holds, so the
	 * status spans several replies. */
	ck_assert_int_eq(utcp_status(u, &st), 0);
	ck_assert_str_eq(st->name, "in-process");
	ck_assert_uint_eq(st->n_interfaces, 1);
	ck_assert_str_eq(st->interfaces[0].name, "sim0");
	ck_assert(st->interfaces[0].has_address);
	ck_assert_uint_eq(ntohl(st->interfaces[0].address.s_addr), DAEMON_ADDR);
	ck_assert(!st->interfaces[0].has_gateway);
	ck_assert_uint_eq(st->n_routes, 1);
	ck_assert_uint_eq(ntohl(st->routes[0].destination.s_addr), 0x0a000000);
	ck_assert_uint_eq(st->routes[0].prefix_len, 24);
	ck_assert_str_eq(st->routes[0].interface, "sim0");
	ck_assert_int_eq(st->routes[0].kind, UTCP_ROUTE_CONNECTED);
	ck_assert_uint_eq(st->n_arp, 1);
	ck_assert_uint_eq(ntohl(st->arp[0].address.s_addr), PEER_ADDR);
	ck_assert_int_eq(st->arp[0].state, UTCP_ARP_REACHABLE);
	/* the stack's, then the loop's two busy-polling ones (off: 0),
	 * then the captures' three (none ran: 0), then the control server's */
	ck_assert_uint_eq(st->n_counters,
			  STACK_COUNTER_COUNT + 5 + CONTROL_COUNTERS);
	ck_assert_uint_gt(st->n_counters * (IPC_REC_HDR_LEN + 56), IPC_MSG_MAX);
	ck_assert_str_eq(st->counters[0].name,
			 stack_counter_name((enum stack_counter)0));
	ck_assert_str_eq(st->counters[STACK_COUNTER_COUNT].name, "busy_polls");
	ck_assert_uint_eq(st->counters[STACK_COUNTER_COUNT].value, 0);
	ck_assert_str_eq(st->counters[STACK_COUNTER_COUNT + 1].name,
			 "busy_poll_hits");
	ck_assert_uint_eq(st->counters[STACK_COUNTER_COUNT + 1].value, 0);
	ck_assert_str_eq(st->counters[STACK_COUNTER_COUNT + 2].name,
			 "capture_started");
	ck_assert_str_eq(st->counters[STACK_COUNTER_COUNT + 3].name,
			 "capture_frames");
	ck_assert_str_eq(st->counters[STACK_COUNTER_COUNT + 4].name,
			 "capture_drops");
	ck_assert_uint_eq(st->counters[STACK_COUNTER_COUNT + 4].value, 0);
	for (unsigned i = 0; i < CONTROL_COUNTERS; i++)
		ck_assert_str_eq(st->counters[STACK_COUNTER_COUNT + 5 + i].name,
				 control_counter_name((enum control_counter)i));
	utcp_status_free(st);
	/* The connection stays usable after a multi-reply exchange. */
	ck_assert_int_eq(utcp_status(u, &st), 0);
	utcp_status_free(st);
	utcp_close(u);
}
END_TEST

/* ---- a lease from a scripted DHCP server, in status ------------------ */

#define DHCP_SERVER 0x0a010001u /* 10.1.0.1, on the second link */
#define DHCP_ADDR   0x0a010032u /* 10.1.0.50, what it leases */
#define DHCP_METRIC 50u

static const uint8_t DHCP_MAC[6] = {0x02, 0, 0, 0, 0, 0x43};
static const uint8_t DHCP_SERVER_MAC[6] = {0x02, 0, 0, 0, 0, 0x01};

/* A DHCP message the daemon sent on the second link: its type and xid. */
static void dhcp_sniff(const struct pkt *p)
{
	const uint8_t *ip = p->data + 14, *udp, *m, *o, *end;

	if (p->len < 14 + 20 + 8 + 240 || get_be16(p->data + 12) != 0x0800 ||
	    ip[9] != 17)
		return;
	udp = ip + (ip[0] & 15u) * 4u;
	if (get_be16(udp + 2) != 67)
		return;
	m = udp + 8;
	end = p->data + p->len;
	for (o = m + 240; o + 2 <= end && o[0] != 255;
	     o += o[0] ? 2u + o[1] : 1u)
		if (o[0] == 53)
			W.dhcp_type = o[2];
	W.dhcp_xid = get_be32(m + 4);
	W.dhcp_sent++;
}

/* The options of a reply: code, length, value, ... */
struct dhcp_opts {
	uint8_t b[512];
	size_t n;
};

static void opt_add(struct dhcp_opts *o, uint8_t code, const void *v, size_t n)
{
	o->b[o->n++] = code;
	o->b[o->n++] = (uint8_t)n;
	memcpy(o->b + o->n, v, n);
	o->n += n;
}

static void opt_u32(struct dhcp_opts *o, uint8_t code, uint32_t v)
{
	uint8_t b[4];

	put_be32(b, v);
	opt_add(o, code, b, 4);
}

/* The server's reply `o` (its type among them) to the last message,
 * broadcast, into the daemon's stack on the second link. */
struct dhcp_reply {
	const struct dhcp_opts *o;
};

static void dhcp_reply_fn(void *arg)
{
	const struct dhcp_opts *o = ((struct dhcp_reply *)arg)->o;
	size_t mlen = 240 + o->n + 1, ulen = 8 + (mlen < 300 ? 300 : mlen);
	size_t len = 14 + 20 + ulen;
	struct pkt *p = stack_pkt_alloc(H.d.stack, len);
	uint8_t *f, *ip, *u, *m;

	ck_assert_ptr_nonnull(p);
	f = p->data;
	memset(f, 0, len);
	memset(f, 0xff, 6);
	memcpy(f + 6, DHCP_SERVER_MAC, 6);
	put_be16(f + 12, 0x0800);
	ip = f + 14;
	ip[0] = 0x45;
	put_be16(ip + 2, (uint16_t)(20 + ulen));
	ip[8] = 64;
	ip[9] = 17;
	put_be32(ip + 12, DHCP_SERVER);
	put_be32(ip + 16, 0xffffffffu);
	put_be16(ip + 10, csum_fold(csum_partial(ip, 20, 0)));
	u = ip + 20;
	put_be16(u, 67);
	put_be16(u + 2, 68);
	put_be16(u + 4, (uint16_t)ulen);
	m = u + 8;
	m[0] = 2; /* BOOTREPLY, Ethernet */
	m[1] = 1;
	m[2] = 6;
	put_be32(m + 4, W.dhcp_xid);
	put_be32(m + 16, DHCP_ADDR);
	put_be32(m + 20, DHCP_SERVER);
	memcpy(m + 28, DHCP_MAC, 6);
	put_be32(m + 236, 0x63825363u);
	memcpy(m + 240, o->b, o->n);
	m[240 + o->n] = 255;
	put_be16(u + 6,
		 csum_fold(csum_partial(u, ulen,
					csum_pseudo(DHCP_SERVER, 0xffffffffu,
						    17, (uint16_t)ulen))));
	p->len = (uint32_t)len;
	p->ifindex = DHCP_IF;
	stack_input(H.d.stack, daemon_now(), p);
}

static void dhcp_start_fn(void *arg)
{
	struct stack_dhcp_config cfg = {
	    .use_routes = true, .use_mtu = true, .route_metric = DHCP_METRIC};

	(void)arg;
	ck_assert_int_eq(stack_if_add(H.d.stack, "sim1", DHCP_MAC, 1500),
			 DHCP_IF);
	ck_assert_int_eq(
	    stack_dhcp_start(H.d.stack, daemon_now(), DHCP_IF, &cfg), 0);
}

static int dhcp_wanted_type;

static bool dhcp_message_came(void)
{
	return W.dhcp_sent > 0 && W.dhcp_type == dhcp_wanted_type;
}

static bool dhcp_bound(void)
{
	struct stack_dhcp_info info;

	return stack_dhcp_info(H.d.stack, daemon_now(), DHCP_IF, &info) == 0 &&
	       info.bound;
}

/* What the ACK carries, in order: the status lists each option as it
 * came. */
static void dhcp_ack_options(struct dhcp_opts *o)
{
	const uint8_t ack = DHCPACK, mtu[2] = {0x05, 0x78}; /* 1400 */
	/* a.test, then b.test pointing back at "test" (RFC 3397) */
	const uint8_t search[] = {1,   'a', 4, 't', 'e',  's',
				  't', 0,   1, 'b', 0xc0, 2};
	/* 10.9.0.0/16 and the default route, both via the server */
	const uint8_t routes[] = {16, 10, 9, 10, 1, 0, 1, 0, 10, 1, 0, 1};
	const uint8_t private_opt[] = {0x00, 0x0a, 0xff};

	o->n = 0;
	opt_add(o, DHCP_OPT_MSG_TYPE, &ack, 1);
	opt_u32(o, DHCP_OPT_SERVER_ID, DHCP_SERVER);
	opt_u32(o, DHCP_OPT_LEASE_TIME, 3600);
	opt_u32(o, DHCP_OPT_SUBNET_MASK, 0xffffff00u);
	opt_u32(o, DHCP_OPT_DNS, DHCP_SERVER);
	opt_add(o, DHCP_OPT_DOMAIN, "example.test", 12);
	opt_add(o, DHCP_OPT_SEARCH, search, sizeof(search));
	opt_add(o, DHCP_OPT_CLASSLESS_ROUTES, routes, sizeof(routes));
	opt_add(o, DHCP_OPT_MTU, mtu, sizeof(mtu));
	opt_u32(o, DHCP_OPT_LOG_SERVERS, DHCP_SERVER);
	opt_u32(o, DHCP_OPT_NTP, DHCP_SERVER);
	opt_add(o, 224, private_opt, sizeof(private_opt));
}

/* Status while the client selects, then once a scripted server's lease
 * is bound: the DHCP record with the lease's times and counters, every
 * option as it came, the lease's routes with their kind and metric,
 * the settings' sources, READY only once every interface has an
 * address. */
START_TEST(test_status_shows_a_lease_from_a_scripted_server)
{
	static const uint8_t codes[] = {53,  54,  51, 1, 6,  15,
					119, 121, 26, 7, 42, 224};
	const uint8_t offer = DHCPOFFER;
	struct utcp *u = client();
	const struct utcp_dhcp *dh;
	const struct utcp_settings *set;
	struct utcp_status *st;
	struct dhcp_opts o = {0};
	struct dhcp_reply reply = {&o};
	size_t n = 0, routes = 0;

	on_loop(dhcp_start_fn, NULL);
	dhcp_wanted_type = DHCPDISCOVER;
	ck_assert(wait_until(dhcp_message_came));

	ck_assert_int_eq(utcp_status(u, &st), 0);
	ck_assert(!st->ready); /* sim1 has no address yet */
	ck_assert_uint_eq(st->n_dhcp, 2);
	ck_assert_int_eq(st->dhcp[0].state, UTCP_DHCP_STOPPED);
	ck_assert_int_eq(st->dhcp[1].state, UTCP_DHCP_SELECTING);
	ck_assert(st->dhcp[1].running && !st->dhcp[1].bound);
	ck_assert_uint_eq(st->dhcp[1].counters.tx_discover, 1);
	ck_assert_uint_eq(st->n_dhcp_options, 0);
	ck_assert(st->settings[1].dhcp && !st->settings[1].configured);
	ck_assert_int_eq(st->settings[1].address_source, UTCP_SOURCE_NONE);
	utcp_status_free(st);

	opt_add(&o, DHCP_OPT_MSG_TYPE, &offer, 1);
	opt_u32(&o, DHCP_OPT_SERVER_ID, DHCP_SERVER);
	opt_u32(&o, DHCP_OPT_LEASE_TIME, 3600);
	opt_u32(&o, DHCP_OPT_SUBNET_MASK, 0xffffff00u);
	on_loop(dhcp_reply_fn, &reply);
	dhcp_wanted_type = DHCPREQUEST;
	ck_assert(wait_until(dhcp_message_came));
	dhcp_ack_options(&o);
	on_loop(dhcp_reply_fn, &reply);
	ck_assert(wait_until(dhcp_bound));

	ck_assert_int_eq(utcp_status(u, &st), 0);
	ck_assert(st->ready);
	ck_assert_uint_eq(st->n_dhcp, 2);
	dh = &st->dhcp[1];
	ck_assert_str_eq(dh->interface, "sim1");
	ck_assert_int_eq(dh->state, UTCP_DHCP_BOUND);
	ck_assert(dh->running && dh->bound && !dh->options_truncated);
	ck_assert_uint_eq(ntohl(dh->address.s_addr), DHCP_ADDR);
	ck_assert_uint_eq(dh->prefix_len, 24);
	ck_assert_uint_eq(ntohl(dh->server.s_addr), DHCP_SERVER);
	ck_assert_uint_eq(dh->lease_s, 3600);
	ck_assert_uint_eq(dh->t1_s, 1800);
	ck_assert_uint_eq(dh->t2_s, 3150);
	/* times count from the REQUEST, a moment ago */
	ck_assert_uint_le(dh->t1_in_ms, 1800 * 1000);
	ck_assert_uint_gt(dh->t1_in_ms, 1790 * 1000);
	ck_assert_uint_le(dh->t2_in_ms, 3150 * 1000);
	ck_assert_uint_gt(dh->t2_in_ms, 3140 * 1000);
	ck_assert_uint_le(dh->expires_in_ms, 3600 * 1000);
	ck_assert_uint_gt(dh->expires_in_ms, 3590 * 1000);
	ck_assert_uint_eq(dh->mtu, 1400);
	ck_assert_uint_eq(dh->counters.tx_discover, 1);
	ck_assert_uint_eq(dh->counters.tx_request, 1);
	ck_assert_uint_eq(dh->counters.rx_offer, 1);
	ck_assert_uint_eq(dh->counters.rx_ack, 1);

	/* every option of the ACK, in order, as it came */
	for (size_t i = 0; i < st->n_dhcp_options; i++) {
		const struct utcp_dhcp_option *op = &st->dhcp_options[i];

		ck_assert_int_eq(op->ifindex, DHCP_IF);
		ck_assert_uint_lt(n, sizeof(codes));
		ck_assert_uint_eq(op->code, codes[n]);
		n++;
		if (op->code == 224) {
			ck_assert_uint_eq(op->length, 3);
			ck_assert_uint_eq(op->value[2], 0xff);
		}
		if (op->code == 119) {
			char text[64];

			ck_assert(
			    utcp_dhcp_option_text(op, text, sizeof(text)));
			ck_assert_str_eq(text, "a.test b.test");
		}
	}
	ck_assert_uint_eq(n, sizeof(codes));

	/* the lease's routes: kind dhcp, the configured metric */
	for (size_t i = 0; i < st->n_routes; i++) {
		if (st->routes[i].ifindex != DHCP_IF ||
		    st->routes[i].kind != UTCP_ROUTE_DHCP)
			continue;
		ck_assert_uint_eq(st->route_metrics[i], DHCP_METRIC);
		ck_assert_uint_eq(ntohl(st->routes[i].gateway.s_addr),
				  DHCP_SERVER);
		routes++;
	}
	ck_assert_uint_eq(routes, 2);

	/* without a netconf: address, routes and MTU from the lease */
	set = &st->settings[1];
	ck_assert(set->dhcp && set->configured);
	ck_assert_int_eq(set->address_source, UTCP_SOURCE_LEASE);
	ck_assert_int_eq(set->routes_source, UTCP_SOURCE_LEASE);
	ck_assert_int_eq(set->mtu_source, UTCP_SOURCE_LEASE);
	ck_assert_uint_eq(st->interfaces[1].mtu, 1400);
	utcp_status_free(st);
	utcp_close(u);
}
END_TEST

/* Without a netconf, the settings are the configuration's: a static
 * address, the configured MTU; DHCP stopped (the placeholder runs
 * none); READY since every interface has its address; a static route
 * shows as static with its metric. */
static void add_default_route_fn(void *arg)
{
	(void)arg;
	ck_assert_int_eq(
	    stack_route_add_metric(H.d.stack, 0, 0, PEER_ADDR, 0, 100), 0);
}

START_TEST(test_status_shows_dhcp_and_settings_from_the_config)
{
	struct utcp *u = client();
	const struct utcp_settings *set;
	struct utcp_status *st;

	on_loop(add_default_route_fn, NULL);
	ck_assert_int_eq(utcp_status(u, &st), 0);
	ck_assert(st->ready);
	ck_assert_uint_eq(st->n_dhcp, 1);
	ck_assert_str_eq(st->dhcp[0].interface, "sim0");
	ck_assert_int_eq(st->dhcp[0].state, UTCP_DHCP_STOPPED);
	ck_assert(!st->dhcp[0].running && !st->dhcp[0].bound);
	ck_assert_uint_eq(st->dhcp[0].expires_in_ms, 0);
	ck_assert_uint_eq(st->dhcp[0].counters.tx_discover, 0);
	ck_assert_uint_eq(st->n_settings, 1);
	set = &st->settings[0];
	ck_assert_str_eq(set->interface, "sim0");
	ck_assert(!set->dhcp && set->configured);
	ck_assert_int_eq(set->address_source, UTCP_SOURCE_CONFIG);
	ck_assert_int_eq(set->mtu_source, UTCP_SOURCE_CONFIG);
	ck_assert_int_eq(set->routes_source, UTCP_SOURCE_NONE);
	ck_assert_int_eq(set->dns_source, UTCP_SOURCE_NONE);
	ck_assert_int_eq(set->log_server_source, UTCP_SOURCE_NONE);
	ck_assert_uint_eq(set->n_dns, 0);
	ck_assert(!set->has_log_server);
	ck_assert_uint_eq(st->n_dhcp_options, 0);
	ck_assert_uint_eq(st->n_routes, 2);
	for (size_t i = 0; i < st->n_routes; i++) {
		if (st->routes[i].prefix_len != 0)
			continue;
		ck_assert_int_eq(st->routes[i].kind, UTCP_ROUTE_STATIC);
		ck_assert_uint_eq(ntohl(st->routes[i].gateway.s_addr),
				  PEER_ADDR);
		ck_assert_uint_eq(st->route_metrics[i], 100);
	}
	utcp_status_free(st);
	utcp_close(u);
}
END_TEST

/* The daemon's netconf, as the DHCP wiring fills it. */
static struct netconf test_netconf;

static void set_netconf_fn(void *arg)
{
	H.d.netconf = arg;
}

/* With a netconf: every setting with its source, the search list in
 * order, READY and when it came. */
START_TEST(test_status_shows_the_netconf_settings_and_sources)
{
	struct netconf *nc = &test_netconf;
	struct netconf_if *nif = &nc->ifs[0];
	struct utcp *u = client();
	const struct utcp_settings *set;
	struct utcp_status *st;

	memset(nc, 0, sizeof(*nc));
	nc->nifs = 1;
	nc->ready = true;
	nc->ready_ns = H.d.start_ns + 2500 * 1000000ull;
	nif->dhcp = true;
	nif->configured = true;
	nif->address_src = NETCONF_LEASE;
	nif->routes_src = NETCONF_LEASE;
	nif->mtu_src = NETCONF_CONFIG;
	nif->dns[0] = 0x0a000001;
	nif->dns[1] = 0x08080808;
	nif->ndns = 2;
	nif->dns_src = NETCONF_LEASE;
	snprintf(nif->domain, sizeof(nif->domain), "example.test");
	nif->domain_src = NETCONF_LEASE;
	snprintf(nif->search[0], sizeof(nif->search[0]), "a.test");
	snprintf(nif->search[1], sizeof(nif->search[1]), "b.test");
	nif->nsearch = 2;
	nif->search_src = NETCONF_LEASE;
	nif->log_server = 0x0a000001;
	nif->log_port = 514;
	nif->log_server_src = NETCONF_CONFIG;
	for (int i = 0; i < DHCP_ADDRS_MAX; i++)
		nif->ntp[i] = 0x0a000010u + (uint32_t)i;
	nif->nntp = DHCP_ADDRS_MAX;
	nif->ntp_src = NETCONF_LEASE;
	on_loop(set_netconf_fn, nc);

	ck_assert_int_eq(utcp_status(u, &st), 0);
	ck_assert(st->ready);
	ck_assert_uint_eq(st->ready_at_ms, 2500);
	ck_assert_uint_eq(st->n_settings, 1);
	set = &st->settings[0];
	ck_assert(set->dhcp && set->configured);
	ck_assert_int_eq(set->address_source, UTCP_SOURCE_LEASE);
	ck_assert_int_eq(set->routes_source, UTCP_SOURCE_LEASE);
	ck_assert_int_eq(set->mtu_source, UTCP_SOURCE_CONFIG);
	ck_assert_int_eq(set->dns_source, UTCP_SOURCE_LEASE);
	ck_assert_uint_eq(set->n_dns, 2);
	ck_assert_uint_eq(ntohl(set->dns[1].s_addr), 0x08080808);
	ck_assert_str_eq(set->domain, "example.test");
	ck_assert_int_eq(set->domain_source, UTCP_SOURCE_LEASE);
	ck_assert_uint_eq(set->n_search, 2);
	ck_assert_str_eq(set->search[0], "a.test");
	ck_assert_str_eq(set->search[1], "b.test");
	ck_assert_int_eq(set->search_source, UTCP_SOURCE_LEASE);
	ck_assert(set->has_log_server);
	ck_assert_uint_eq(ntohl(set->log_server.s_addr), 0x0a000001);
	ck_assert_uint_eq(set->log_port, 514);
	ck_assert_int_eq(set->log_server_source, UTCP_SOURCE_CONFIG);
	/* the most a lease may carry */
	ck_assert_uint_eq(set->n_ntp, DHCP_ADDRS_MAX);
	ck_assert_uint_eq(ntohl(set->ntp[DHCP_ADDRS_MAX - 1].s_addr),
			  0x0a000010u + DHCP_ADDRS_MAX - 1);
	ck_assert_int_eq(set->ntp_source, UTCP_SOURCE_LEASE);
	utcp_status_free(st);

	/* not ready yet: said so */
	nc->ready = false;
	ck_assert_int_eq(utcp_status(u, &st), 0);
	ck_assert(!st->ready);
	ck_assert_uint_eq(st->ready_at_ms, 0);
	utcp_status_free(st);
	on_loop(set_netconf_fn, NULL);
	utcp_close(u);
}
END_TEST

/* A version 1 client gets ROUTE records, a version 2 one ROUTE_V2;
 * both get READY, DHCP and NETCONF (new types an old reader skips). */
static void see_type(const struct ipc_record *r, void *arg)
{
	bool *seen = arg;

	seen[r->type & 0xff] = true;
}

/* The types of the records of a STATUS at version_max. */
static void status_record_types(uint16_t version_max, bool seen[256])
{
	memset(seen, 0, 256);
	ck_assert_uint_eq(status_records(version_max, see_type, seen),
			  version_max);
}

START_TEST(test_status_routes_follow_the_clients_version)
{
	bool seen[256];

	status_record_types(1, seen);
	ck_assert(seen[IPC_REC_ROUTE] && !seen[IPC_REC_ROUTE_V2]);
	ck_assert(seen[IPC_REC_READY] && seen[IPC_REC_DHCP] &&
		  seen[IPC_REC_NETCONF]);
	status_record_types(2, seen);
	ck_assert(!seen[IPC_REC_ROUTE] && seen[IPC_REC_ROUTE_V2]);
	ck_assert(seen[IPC_REC_READY] && seen[IPC_REC_DHCP] &&
		  seen[IPC_REC_NETCONF]);
}
END_TEST

START_TEST(test_socket_path_comes_from_the_environment)
{
	struct utcp *u;
	int err = 0;

	ck_assert_ptr_null(utcp_open("/nonexistent/utcpd.sock", &err));
	ck_assert_int_eq(err, -ENOENT);
	setenv(UTCP_SOCKET_ENV, H.path, 1);
	u = utcp_open(NULL, &err);
	unsetenv(UTCP_SOCKET_ENV);
	ck_assert_ptr_nonnull(u);
	utcp_close(u);
}
END_TEST

START_TEST(test_udp_open_failure_is_the_stacks_status)
{
	struct utcp *u = client();
	char b[8];
	int a, fd;

	a = utcp_udp_bind(u, in4(0), 5000, 0);
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(utcp_udp_bind(u, in4(0), 5000, 0), -EADDRINUSE);
	ck_assert_int_eq(utcp_udp_bind(u, in4(0x0a000063), 5001, 0),
			 -EADDRNOTAVAIL);
	/* and the connection is fine afterwards */
	fd = utcp_udp_bind(u, in4(0), 5001, UTCP_NONBLOCK);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(utcp_recvfrom(fd, b, sizeof(b), NULL, NULL), -EAGAIN);
	close(fd);
	close(a);
	/* arguments the library refuses itself */
	ck_assert_int_eq(utcp_udp_connect(u, in4(PEER_ADDR), 0, 0), -EINVAL);
	ck_assert_int_eq(utcp_udp_bind(u, in4(0), 5002, 0x80), -EINVAL);
	utcp_close(u);
}
END_TEST

START_TEST(test_udp_datagram_to_the_peer_and_its_echo_back)
{
	struct utcp *u = client();
	struct in_addr from;
	uint16_t port;
	char buf[64];
	int fd = utcp_udp_connect(u, in4(PEER_ADDR), UDP_ECHO, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(utcp_send(fd, "ping", 4), 4);
	ck_assert_int_eq(utcp_recvfrom(fd, buf, sizeof(buf), &from, &port), 4);
	ck_assert_mem_eq(buf, "ping", 4);
	ck_assert_uint_eq(ntohl(from.s_addr), PEER_ADDR);
	ck_assert_uint_eq(port, UDP_ECHO);
	close(fd);
	utcp_close(u);
}
END_TEST

START_TEST(test_tcp_connect_to_a_listening_peer_data_both_ways)
{
	struct utcp *u = client();
	struct utcp_tcp_info info;
	char buf[16];
	int fd =
	    utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, &info);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(ntohl(info.local_addr.s_addr), DAEMON_ADDR);
	ck_assert_uint_ne(info.local_port, 0);
	ck_assert_int_eq(utcp_tcp_send(fd, "hello, peer", 11), 11);
	recv_all(fd, buf, 11);
	ck_assert_mem_eq(buf, "hello, peer", 11);
	/* FIN: the echo closes too, and the application reads EOF. */
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 0);
	close(fd);
	utcp_close(u);
}
END_TEST

START_TEST(test_tcp_setopt_on_own_connection_only)
{
	struct utcp *u = client(), *other = client();
	struct utcp_tcp_opts o = {.set = UTCP_TCP_OPT_NODELAY |
					 UTCP_TCP_OPT_KEEPALIVE,
				  .nodelay = true,
				  .keepalive = true};
	struct utcp_tcp_info info;
	int fd =
	    utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, &info);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(utcp_tcp_setopt(u, info.id, &o), 0);
	/* Another client's connection, and no connection at all. */
	ck_assert_int_eq(utcp_tcp_setopt(other, info.id, &o), -EBADF);
	ck_assert_int_eq(utcp_tcp_setopt(u, info.id + 1000, &o), -EBADF);
	close(fd);
	utcp_close(other);
	utcp_close(u);
}
END_TEST

START_TEST(test_barrier_answers_after_the_link_is_quiet)
{
	struct utcp *u = client();

	ck_assert_int_eq(utcp_barrier(u), 0);
	ck_assert_int_eq(utcp_barrier(u), 0);
	utcp_close(u);
}
END_TEST

static void peer_connect_fn(void *arg)
{
	W.peer.greeting = "from peer";
	W.peer.active = tcp_connect(W.peer.s, sim_now(H.sim), 0, 0, DAEMON_ADDR,
				    *(uint16_t *)arg, NULL);
}

static bool peer_got_reply(void)
{
	return W.peer.got_len >= 7;
}

START_TEST(test_tcp_listen_accepts_a_connection_from_the_peer)
{
	struct utcp *u = client();
	struct in_addr from;
	uint16_t port = 8080, rport;
	char buf[16];
	int lfd, fd;

	lfd = utcp_tcp_listen(u, in4(0), port, 4, NULL, 0, NULL);
	ck_assert_int_ge(lfd, 0);
	on_loop(peer_connect_fn, &port);
	ck_assert_int_ge(W.peer.active, 0);
	fd = utcp_tcp_accept(lfd, &from, &rport, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(ntohl(from.s_addr), PEER_ADDR);
	recv_all(fd, buf, 9);
	ck_assert_mem_eq(buf, "from peer", 9);
	ck_assert_int_eq(utcp_tcp_send(fd, "to peer", 7), 7);
	ck_assert(wait_until(peer_got_reply));
	ck_assert_mem_eq(W.peer.got, "to peer", 7);
	close(fd);
	close(lfd);
	utcp_close(u);
}
END_TEST

START_TEST(test_tcp_connect_to_a_closed_port_is_refused)
{
	struct utcp *u = client();

	ck_assert_int_eq(utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO + 1, 5000,
					  NULL, 0, NULL),
			 -ECONNREFUSED);
	utcp_close(u);
}
END_TEST

START_TEST(test_status_lists_sockets_and_listeners)
{
	struct utcp *u = client();
	struct utcp_status *st;
	bool listener = false;
	int ufd = utcp_udp_bind(u, in4(0), 5353, 0);
	int lfd = utcp_tcp_listen(u, in4(0), 8081, 4, NULL, 0, NULL);

	ck_assert_int_ge(ufd, 0);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(utcp_status(u, &st), 0);
	ck_assert_uint_eq(st->n_sockets, 1);
	ck_assert_uint_eq(st->sockets[0].local_port, 5353);
	for (size_t i = 0; i < st->n_tcp; i++)
		if (st->tcp[i].listener && st->tcp[i].local_port == 8081)
			listener = true;
	ck_assert(listener);
	utcp_status_free(st);
	close(ufd);
	close(lfd);
	utcp_close(u);
}
END_TEST

static bool no_udp_sockets(void)
{
	return stack_udp_snapshot(H.d.stack, NULL, 0) == 0;
}

START_TEST(test_client_disconnect_frees_its_sockets)
{
	struct utcp *u = client();
	int a = utcp_udp_bind(u, in4(0), 6000, 0);
	int b = utcp_udp_connect(u, in4(PEER_ADDR), UDP_ECHO, 0);

	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);
	utcp_close(u);
	ck_assert(wait_until(no_udp_sockets));
	close(a);
	close(b);
	/* The port is free again for another client. */
	u = client();
	a = utcp_udp_bind(u, in4(0), 6000, 0);
	ck_assert_int_ge(a, 0);
	close(a);
	utcp_close(u);
}
END_TEST

/* ---- limits: a fair share of the control socket ---------------------- */

/* Sets the control server's limits (on the loop: it reads them there). */
static void limits_fn(void *arg)
{
	H.d.control->limits = *(const struct config_control *)arg;
}

static struct config_control limits_now(void)
{
	return H.d.control->limits; /* written only by limits_fn */
}

static void set_limits(const struct config_control *cc)
{
	on_loop(limits_fn, (void *)cc);
}

/* A client whose peer is said to be uid (and gid). */
static struct utcp *client_as(uid_t uid, gid_t gid)
{
	struct utcp *u;

	H.next_uid = uid;
	H.next_gid = gid;
	u = client(); /* accepted, and HELLO answered, on return */
	H.next_uid = 0;
	H.next_gid = 0;
	return u;
}

/* STATUS names who made each socket: the client's pid, uid and gid as
 * SO_PEERCRED gave them when it connected, and its command read at
 * HELLO; a UDP socket and a listener each in their own id space. */
START_TEST(test_status_names_each_sockets_owner)
{
	struct utcp *u = client_as(1234, 5678);
	const struct utcp_sock_owner *o;
	struct utcp_status *st;
	char comm[16] = "";
	FILE *f = fopen("/proc/self/comm", "re");
	int ufd, lfd;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(comm, sizeof(comm), f));
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	ufd = utcp_udp_bind(u, in4(0), 5300, 0);
	ck_assert_int_ge(ufd, 0);
	lfd = utcp_tcp_listen(u, in4(0), 8300, 4, NULL, 0, NULL);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(utcp_status(u, &st), 0);
	ck_assert_uint_eq(st->n_sockets, 1);
	ck_assert_uint_eq(st->n_tcp, 1);
	ck_assert_uint_eq(st->n_sock_owners, 2);
	for (size_t i = 0; i < st->n_sock_owners; i++) {
		o = &st->sock_owners[i];
		if (o->kind == UTCP_SOCK_UDP)
			ck_assert_int_eq(o->id, st->sockets[0].id);
		else
			ck_assert_int_eq(o->kind, UTCP_SOCK_TCP_LISTENER);
		if (o->kind == UTCP_SOCK_TCP_LISTENER)
			ck_assert_int_eq(o->id, st->tcp[0].id);
		ck_assert_uint_eq(o->pid, (uint32_t)getpid());
		ck_assert_uint_eq(o->uid, 1234);
		ck_assert_uint_eq(o->gid, 5678);
		ck_assert_str_eq(o->comm, comm);
		ck_assert(!o->gone);
	}
	ck_assert_int_ne(st->sock_owners[0].kind, st->sock_owners[1].kind);
	utcp_status_free(st);

	/* The client goes: its UDP socket with it, its listener lives on
	 * (it belongs to its descriptor), its owner marked gone. */
	utcp_close(u);
	u = client();
	for (int tries = 0;; tries++) {
		ck_assert_int_eq(utcp_status(u, &st), 0);
		if (st->n_sock_owners == 1 && st->sock_owners[0].gone)
			break;
		ck_assert_int_lt(tries, 1000);
		utcp_status_free(st);
		usleep(1000);
	}
	o = &st->sock_owners[0];
	ck_assert_int_eq(o->kind, UTCP_SOCK_TCP_LISTENER);
	ck_assert_uint_eq(o->uid, 1234);
	ck_assert_str_eq(o->comm, comm);
	utcp_status_free(st);
	close(ufd);
	close(lfd);
	utcp_close(u);
}
END_TEST

/* The daemon's UDP sockets number udp_target (for wait_until). */
static size_t udp_target;
static bool udp_sockets_at_target(void)
{
	return stack_udp_snapshot(H.d.stack, NULL, 0) == udp_target;
}

static void wait_until_udp_sockets(size_t n)
{
	udp_target = n;
	ck_assert(wait_until(udp_sockets_at_target));
}

/* A reload's [control] (control_apply_config(), on the loop). */
static void apply_fn(void *arg)
{
	control_apply_config(H.d.control, (const struct config_control *)arg);
}

/* A reload lowers udp_per_client below what a client holds: its
 * sockets stay and work, new ones are refused until it is under the
 * limit again (as a lowered RLIMIT_NOFILE on Linux); and
 * connections_max is capped by the descriptors as at start. */
START_TEST(test_a_reload_lowering_a_limit_keeps_what_is_open)
{
	struct config_control cc = limits_now();
	struct utcp *a;
	int fds[3], fd;
	char buf[8];

	a = client_as(1000, 1000);
	for (int i = 0; i < 3; i++) {
		fds[i] = i == 0
			     ? utcp_udp_connect(a, in4(PEER_ADDR), UDP_ECHO, 0)
			     : utcp_udp_bind(a, in4(0), 0, 0);
		ck_assert_int_ge(fds[i], 0);
	}
	wait_until_udp_sockets(3);
	cc.udp_per_client = 2;
	cc.connections_max = 1u << 20;
	on_loop(apply_fn, &cc);
	ck_assert_uint_eq(limits_now().udp_per_client, 2);
	ck_assert_uint_gt(H.d.control->connections_fit, 0);
	ck_assert_uint_eq(limits_now().connections_max,
			  cc.connections_max < H.d.control->connections_fit
			      ? cc.connections_max
			      : H.d.control->connections_fit);
	/* over the new limit: what is open stays and works */
	ck_assert_int_eq(utcp_udp_bind(a, in4(0), 0, 0), -EMFILE);
	ck_assert_int_eq(utcp_send(fds[0], "kept", 4), 4);
	ck_assert_int_eq(utcp_recvfrom(fds[0], buf, sizeof(buf), NULL, NULL),
			 4);
	/* one closed: 2, at the limit, still refused */
	close(fds[2]);
	wait_until_udp_sockets(2);
	ck_assert_int_eq(utcp_udp_bind(a, in4(0), 0, 0), -EMFILE);
	/* two closed: 1, one more fits, then the limit again */
	close(fds[1]);
	wait_until_udp_sockets(1);
	fd = utcp_udp_bind(a, in4(0), 0, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(utcp_udp_bind(a, in4(0), 0, 0), -EMFILE);
	close(fd);
	close(fds[0]);
	utcp_close(a);
}
END_TEST

START_TEST(test_udp_limit_per_client_and_per_uid_leaves_others_alone)
{
	struct config_control cc = limits_now();
	struct utcp *a, *b, *c;
	int fds[8], n = 0, fd;

	cc.udp_per_client = 3;
	cc.udp_per_uid = 5;
	set_limits(&cc);
	a = client_as(1000, 1000);
	b = client_as(1000, 1000);
	c = client_as(1001, 1001);
	for (int i = 0; i < 3; i++) {
		fds[n] = utcp_udp_bind(a, in4(0), 0, 0);
		ck_assert_int_ge(fds[n++], 0);
	}
	/* a is at its own limit; b, of the same uid, is not */
	ck_assert_int_eq(utcp_udp_bind(a, in4(0), 0, 0), -EMFILE);
	for (int i = 0; i < 2; i++) {
		fds[n] = utcp_udp_bind(b, in4(0), 0, 0);
		ck_assert_int_ge(fds[n++], 0);
	}
	/* now the uid is at its limit: b is refused, another uid is not */
	ck_assert_int_eq(utcp_udp_bind(b, in4(0), 0, 0), -EMFILE);
	fd = utcp_udp_connect(c, in4(PEER_ADDR), UDP_ECHO, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(utcp_send(fd, "still", 5), 5);
	char buf[8];
	ck_assert_int_eq(utcp_recvfrom(fd, buf, sizeof(buf), NULL, NULL), 5);
	close(fd);
	/* a socket given back is a socket free again */
	close(fds[0]);
	utcp_close(b); /* b's two sockets go with it */
	for (int i = 3; i < 5; i++)
		close(fds[i]);
	b = client_as(1000, 1000);
	fd = utcp_udp_bind(b, in4(0), 0, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	for (int i = 1; i < 3; i++)
		close(fds[i]);
	utcp_close(a);
	utcp_close(b);
	utcp_close(c);
}
END_TEST

/* STATUS shows what each uid holds through the control socket. */
START_TEST(test_status_shows_what_each_uid_holds)
{
	struct utcp *a = client_as(1000, 1000), *root = client();
	struct utcp_status *st;
	const struct utcp_owner *o1000 = NULL, *o0 = NULL;
	int u1, u2, l, c;

	u1 = utcp_udp_bind(a, in4(0), 0, 0);
	u2 = utcp_udp_bind(a, in4(0), 0, 0);
	l = utcp_tcp_listen(a, in4(0), 8090, 4, NULL, 0, NULL);
	c = utcp_tcp_connect(a, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL);
	ck_assert_int_ge(u1, 0);
	ck_assert_int_ge(u2, 0);
	ck_assert_int_ge(l, 0);
	ck_assert_int_ge(c, 0);
	ck_assert_int_eq(utcp_status(root, &st), 0);
	for (size_t i = 0; i < st->n_owners; i++) {
		if (st->owners[i].uid == 1000)
			o1000 = &st->owners[i];
		if (st->owners[i].uid == 0)
			o0 = &st->owners[i];
	}
	ck_assert_uint_eq(st->n_owners, 2);
	ck_assert_ptr_nonnull(o1000);
	ck_assert_ptr_nonnull(o0);
	ck_assert_uint_eq(o1000->clients, 1);
	ck_assert_uint_eq(o1000->udp, 2);
	ck_assert_uint_eq(o1000->listeners, 1);
	ck_assert_uint_eq(o1000->connections, 1);
	ck_assert_uint_eq(o0->clients, 1);
	ck_assert_uint_eq(o0->udp + o0->listeners + o0->connections, 0);
	ck_assert_uint_eq(st->n_links, 0); /* no TAP in process */
	utcp_status_free(st);
	close(u1);
	close(u2);
	close(l);
	close(c);
	utcp_close(a);
	utcp_close(root);
}
END_TEST

static bool uid_1000_holds_no_connection(void)
{
	for (struct control_account *a = H.d.control->uids; a; a = a->next)
		if (a->uid == 1000 && a->held[CONTROL_KIND_CONN] > 0)
			return false;
	return true;
}

START_TEST(test_tcp_connections_count_against_the_uid_after_the_client_went)
{
	struct config_control cc = limits_now();
	struct utcp *a, *b, *c;
	int fd1, fd2, fd;

	cc.connections_per_client = 2;
	cc.connections_per_uid = 2;
	set_limits(&cc);
	a = client_as(1000, 1000);
	fd1 =
	    utcp_tcp_connect(a, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL);
	fd2 =
	    utcp_tcp_connect(a, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL);
	ck_assert_int_ge(fd1, 0);
	ck_assert_int_ge(fd2, 0);
	ck_assert_int_eq(
	    utcp_tcp_connect(a, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL),
	    -EMFILE);
	/* The connections outlive their control connection, and still
	 * count against the uid. */
	utcp_close(a);
	b = client_as(1000, 1000);
	ck_assert_int_eq(
	    utcp_tcp_connect(b, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL),
	    -EMFILE);
	/* another uid is not stopped */
	c = client_as(1001, 1001);
	fd = utcp_tcp_connect(c, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(utcp_tcp_send(fd, "ok", 2), 2);
	close(fd);
	/* once the application lets go, its uid may connect again */
	close(fd1);
	close(fd2);
	ck_assert(wait_until(uid_1000_holds_no_connection));
	fd = utcp_tcp_connect(b, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	utcp_close(b);
	utcp_close(c);
}
END_TEST

START_TEST(test_listeners_per_client_and_the_global_connection_limit)
{
	struct config_control cc = limits_now();
	struct utcp *a = client(), *b = client();
	int l1, l2, fd;

	cc.listeners_per_client = 1;
	cc.connections_max = 1;
	set_limits(&cc);
	l1 = utcp_tcp_listen(a, in4(0), 9001, 4, NULL, 0, NULL);
	ck_assert_int_ge(l1, 0);
	ck_assert_int_eq(utcp_tcp_listen(a, in4(0), 9002, 4, NULL, 0, NULL),
			 -EMFILE);
	l2 = utcp_tcp_listen(b, in4(0), 9002, 4, NULL, 0, NULL);
	ck_assert_int_ge(l2, 0);
	/* connections_max is everybody's: ENFILE, as at file-max */
	fd = utcp_tcp_connect(a, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(
	    utcp_tcp_connect(b, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL),
	    -ENFILE);
	close(fd);
	close(l1);
	close(l2);
	utcp_close(a);
	utcp_close(b);
}
END_TEST

START_TEST(test_control_connections_per_uid_and_roots_reserve)
{
	struct config_control cc = limits_now();
	struct utcp *u[4], *root, *other;
	int err = 0;

	cc.clients_per_uid = 2;
	cc.clients_max = 6; /* the last 3 are root's */
	set_limits(&cc);
	u[0] = client_as(1000, 1000);
	u[1] = client_as(1000, 1000);
	H.next_uid = 1000;
	ck_assert_ptr_null(utcp_open(H.path, &err));
	ck_assert_int_eq(err, -EUSERS);
	ck_assert_str_eq(utcp_strerror(err),
			 "Too many users (utcpd refused the control "
			 "connection: too many clients in all, or of this "
			 "user)");
	/* another uid gets in, until only root's reserve is left */
	other = client_as(1001, 1001);
	H.next_uid = 1002;
	ck_assert_ptr_null(utcp_open(H.path, &err));
	ck_assert_int_eq(err, -EUSERS);
	H.next_uid = 0;
	/* root still gets in: utcpctl status answers */
	root = client();
	struct utcp_status *st;
	ck_assert_int_eq(utcp_status(root, &st), 0);
	utcp_status_free(st);
	/* a uid's slot given back is free again (and one below root's
	 * reserve, which root's own client counts against) */
	utcp_close(u[1]);
	utcp_close(other);
	u[2] = NULL;
	for (int i = 0; i < WAIT_MS && !u[2]; i += 10) {
		H.next_uid = 1000;
		u[2] = utcp_open(H.path, &err);
		H.next_uid = 0;
		if (!u[2])
			usleep(10000);
	}
	ck_assert_ptr_nonnull(u[2]);
	utcp_close(u[0]);
	utcp_close(u[2]);
	utcp_close(root);
}
END_TEST

START_TEST(test_client_without_hello_is_disconnected_others_work)
{
	struct config_control cc = limits_now();
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct utcp *u;
	struct utcp_status *st;
	struct pollfd pfd;
	char b;
	int fd;

	cc.hello_timeout_ms = 200;
	set_limits(&cc);
	ck_assert_uint_lt(strlen(H.path), sizeof(addr.sun_path));
	memcpy(addr.sun_path, H.path, strlen(H.path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)),
			 0);
	/* meanwhile another client works */
	u = client();
	ck_assert_int_eq(utcp_status(u, &st), 0);
	utcp_status_free(st);
	/* the silent one is closed: EOF, well within the wait */
	pfd = (struct pollfd){.fd = fd, .events = POLLIN};
	ck_assert_int_eq(poll(&pfd, 1, WAIT_MS), 1);
	ck_assert_int_eq(recv(fd, &b, 1, MSG_DONTWAIT), 0);
	close(fd);
	/* the client that said HELLO is not: it outlives the timeout */
	usleep(300 * 1000);
	ck_assert_int_eq(utcp_status(u, &st), 0);
	utcp_status_free(st);
	utcp_close(u);
}
END_TEST

START_TEST(test_privileged_ports_need_root_or_the_group)
{
	struct config_control cc = limits_now();
	struct utcp *user, *member, *root;
	int fd;

	cc.has_privileged_group = true;
	cc.privileged_group = 500;
	set_limits(&cc);
	user = client_as(1000, 1000);
	member = client_as(1001, 500);
	root = client();
	/* bind, listen, and connect from an explicit port below 1024 */
	ck_assert_int_eq(utcp_udp_bind(user, in4(0), 53, 0), -EACCES);
	ck_assert_int_eq(utcp_tcp_listen(user, in4(0), 80, 4, NULL, 0, NULL),
			 -EACCES);
	ck_assert_int_eq(utcp_tcp_open(user, in4(0), 1023, in4(PEER_ADDR),
				       TCP_ECHO, 5000, NULL, 0, NULL),
			 -EACCES);
	/* 1024 and up, and ephemeral ports, are anyone's */
	fd = utcp_udp_bind(user, in4(0), 1024, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = utcp_tcp_connect(user, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0,
			      NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* the group's member and root may */
	fd = utcp_udp_bind(member, in4(0), 53, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = utcp_tcp_listen(root, in4(0), 80, 4, NULL, 0, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	utcp_close(user);
	utcp_close(member);
	utcp_close(root);
}
END_TEST

/* A client of uid and gid with one supplementary group. */
static struct utcp *client_in(uid_t uid, gid_t gid, gid_t group)
{
	struct utcp *u;

	H.next_group = group;
	u = client_as(uid, gid);
	H.next_group = 0;
	return u;
}

/* Port 80 is refused to a plain user for a TCP listen, and 8080 is
 * not; a supplementary group counts as the primary one; the rules are
 * the ones in force at each request: a group named later lets an
 * already connected client in, one removed shuts it out. */
START_TEST(test_privileged_group_by_supplementary_group_and_at_run_time)
{
	struct config_control cc = limits_now();
	struct utcp *user, *member;
	int fd;

	cc.has_privileged_group = true;
	cc.privileged_group = 500;
	set_limits(&cc);
	user = client_as(1000, 1000);
	member = client_in(1001, 1001, 500);
	ck_assert_int_eq(utcp_tcp_listen(user, in4(0), 80, 4, NULL, 0, NULL),
			 -EACCES);
	fd = utcp_tcp_listen(user, in4(0), 8080, 4, NULL, 0, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = utcp_tcp_listen(member, in4(0), 80, 4, NULL, 0, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* the group becomes 1000's: user may, member may no longer */
	cc.privileged_group = 1000;
	set_limits(&cc);
	fd = utcp_udp_bind(user, in4(0), 80, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(utcp_udp_bind(member, in4(0), 80, 0), -EACCES);
	/* no group: only root */
	cc.has_privileged_group = false;
	set_limits(&cc);
	ck_assert_int_eq(utcp_udp_bind(user, in4(0), 80, 0), -EACCES);
	utcp_close(user);
	utcp_close(member);
}
END_TEST

/* listen_groups: a client in none of them cannot listen on any port
 * (EACCES), one in any (primary or supplementary) can, root always can;
 * connects and UDP are not concerned; emptied at run time, anyone may. */
START_TEST(test_listen_groups_limit_who_may_listen)
{
	struct config_control cc = limits_now();
	struct utcp *user, *primary, *supp, *root;
	int fd;

	cc.nlisten_groups = 2;
	cc.listen_groups[0] = 600;
	cc.listen_groups[1] = 601;
	set_limits(&cc);
	user = client_as(1000, 1000);
	primary = client_as(1001, 600);
	supp = client_in(1002, 1002, 601);
	root = client();
	ck_assert_int_eq(utcp_tcp_listen(user, in4(0), 8080, 4, NULL, 0, NULL),
			 -EACCES);
	ck_assert_int_eq(utcp_tcp_listen(user, in4(0), 0, 4, NULL, 0, NULL),
			 -EACCES);
	fd = utcp_tcp_connect(user, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0,
			      NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = utcp_udp_bind(user, in4(0), 8080, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = utcp_tcp_listen(primary, in4(0), 8080, 4, NULL, 0, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = utcp_tcp_listen(supp, in4(0), 8081, 4, NULL, 0, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = utcp_tcp_listen(root, in4(0), 8082, 4, NULL, 0, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* listening below 1024 still needs the privilege as well */
	ck_assert_int_eq(utcp_tcp_listen(primary, in4(0), 80, 4, NULL, 0, NULL),
			 -EACCES);
	cc.nlisten_groups = 0;
	set_limits(&cc);
	fd = utcp_tcp_listen(user, in4(0), 8083, 4, NULL, 0, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	utcp_close(user);
	utcp_close(primary);
	utcp_close(supp);
	utcp_close(root);
}
END_TEST

static int second_peer_conn = -1;

static void peer_connect_again_fn(void *arg)
{
	second_peer_conn = tcp_connect(W.peer.s, sim_now(H.sim), 0, 0,
				       DAEMON_ADDR, *(uint16_t *)arg, NULL);
}

static bool second_peer_conn_reset(void)
{
	struct stack_tcp_info info;

	return tcp_conn_info(W.peer.s, second_peer_conn, &info) != 0 ||
	       info.state == TCPS_CLOSED;
}

START_TEST(test_accepted_connection_past_the_listeners_share_is_reset)
{
	struct config_control cc = limits_now();
	struct utcp *u, *other;
	uint16_t port = 8082;
	struct pollfd pfd;
	int lfd, fd, ofd;

	cc.connections_per_uid = 1;
	set_limits(&cc);
	u = client_as(1000, 1000);
	lfd = utcp_tcp_listen(u, in4(0), port, 4, NULL, 0, NULL);
	ck_assert_int_ge(lfd, 0);
	on_loop(peer_connect_fn, &port);
	fd = utcp_tcp_accept(lfd, NULL, NULL, 0);
	ck_assert_int_ge(fd, 0);
	/* the uid's one connection is taken: the next is reset (the
	 * daemon accepts on the application's behalf, docs/ipc.md) and
	 * never announced */
	on_loop(peer_connect_again_fn, &port);
	ck_assert_int_ge(second_peer_conn, 0);
	ck_assert(wait_until(second_peer_conn_reset));
	pfd = (struct pollfd){.fd = lfd, .events = POLLIN};
	ck_assert_int_eq(poll(&pfd, 1, 100), 0);
	/* another uid still connects */
	other = client_as(1001, 1001);
	ofd = utcp_tcp_connect(other, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0,
			       NULL);
	ck_assert_int_ge(ofd, 0);
	close(ofd);
	close(fd);
	close(lfd);
	utcp_close(other);
	utcp_close(u);
}
END_TEST

static void fit_fn(void *arg)
{
	control_limits_fit(H.d.control);
}

START_TEST(test_connections_max_is_lowered_to_the_descriptor_limit)
{
	struct config_control cc = limits_now();
	struct rlimit rl;

	cc.connections_max = 1u << 20;
	set_limits(&cc);
	on_loop(fit_fn, NULL);
	cc = limits_now();
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	/* the soft limit was raised to the hard one */
	ck_assert_uint_eq(rl.rlim_cur, rl.rlim_max);
	ck_assert_uint_lt(cc.connections_max, 1u << 20);
	ck_assert_uint_lt(cc.connections_max, rl.rlim_cur);
	ck_assert_uint_gt(cc.connections_max, 0);
}
END_TEST

/* ---- send memory: a small chunk pool ---------------------------------- */

#define SMALL_POOL_CHUNKS 32

#define SMALL_POOL_RESERVE 8

/* A small pool shared alike by all (no reserve). */
static void setup_small_pool(void)
{
	setup_chunks_max = SMALL_POOL_CHUNKS;
	setup_chunks_reserve_plus1 = 1;
	setup();
	setup_chunks_max = 0;
	setup_chunks_reserve_plus1 = 0;
}

/* A small pool with a reserve for connections below their minimum. */
static void setup_small_pool_reserve(void)
{
	setup_chunks_max = SMALL_POOL_CHUNKS;
	setup_chunks_reserve_plus1 = SMALL_POOL_RESERVE + 1;
	setup();
	setup_chunks_max = 0;
	setup_chunks_reserve_plus1 = 0;
}

static int conn_a = -1, conn_b = -1; /* the daemon's connection ids */

/* The chunk pool is dry and stays so: conn_a holds all of it outside
 * the reserve and the peer's window is closed. */
static bool pool_dry(void)
{
	const struct pkt_pool *pool = &H.d.stack->tcp->chunk_pool;
	struct tcp_conn *a = tcp_conn_get(H.d.stack, conn_a);

	return pool->in_use[PKT_CLASS_SMALL] ==
		   pool->max[PKT_CLASS_SMALL] -
		       H.d.stack->tcp->chunks_reserve &&
	       a && a->snd_wnd == 0;
}

/* conn_b has bytes to send, nothing in flight, and waits for chunks. */
static bool b_waits_for_memory(void)
{
	struct tcp_conn *c = tcp_conn_get(H.d.stack, conn_b);

	return c && c->mem_waiting && c->snd_una == c->snd_max;
}

static bool a_gone(void)
{
	return tcp_conn_get(H.d.stack, conn_a) == NULL;
}

static bool b_gone(void)
{
	return tcp_conn_get(H.d.stack, conn_b) == NULL;
}

static bool no_tcp_connections(void)
{
	return stack_tcp_snapshot(H.d.stack, daemon_now(), NULL, 0) == 0;
}

/* Descriptors this process holds (the daemon's and the application's). */
static int open_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(dir);
	while ((e = readdir(dir)))
		n += e->d_name[0] != '.';
	closedir(dir);
	return n - 1; /* the directory's own */
}

/* Opens a connection to the peer's sink with `u` and writes into it
 * until the daemon's chunk pool is dry. Returns the descriptor. */
static int fill_pool(struct utcp *u)
{
	static char junk[16384];
	struct utcp_tcp_info info;
	int fd =
	    utcp_tcp_connect(u, in4(PEER_ADDR), TCP_SINK, 5000, NULL, 0, &info);
	struct probe pr = {pool_dry, false};

	ck_assert_int_ge(fd, 0);
	conn_a = info.id;
	for (int ms = 0; ms < WAIT_MS && !pr.result; ms++) {
		while (send(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
			;
		usleep(1000);
		on_loop(probe_fn, &pr);
	}
	ck_assert_msg(pr.result, "the chunk pool never ran dry");
	return fd;
}

/* Opens a connection to the echo with `u` and has it write "hello"
 * while the pool is dry: the stack refuses it, nothing is in flight. */
static int blocked_sender(struct utcp *u)
{
	struct utcp_tcp_info info;
	int fd =
	    utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, &info);

	ck_assert_int_ge(fd, 0);
	conn_b = info.id;
	ck_assert_int_eq(utcp_tcp_send(fd, "hello", 5), 5);
	ck_assert(wait_until(b_waits_for_memory));
	return fd;
}

/* Waits (up to WAIT_MS) for fd to become readable. */
static bool readable(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	return poll(&pfd, 1, WAIT_MS) == 1;
}

START_TEST(test_tcp_sender_short_of_memory_resumes_when_it_frees)
{
	struct utcp *u = client();
	int a = fill_pool(u), b = blocked_sender(u);
	char buf[8];

	/* Memory frees elsewhere: a's connection goes (its application
	 * closes it; its unread-by-the-peer data is reset away). b has
	 * no ACK of its own coming: the stack's memory waiters wake it. */
	close(a);
	ck_assert(wait_until(a_gone));
	ck_assert_msg(readable(b), "the blocked sender never resumed");
	recv_all(b, buf, 5);
	ck_assert_mem_eq(buf, "hello", 5);
	close(b);
	utcp_close(u);
}
END_TEST

START_TEST(test_tcp_app_gone_while_waiting_for_memory_is_noticed)
{
	int base = open_fds();
	struct utcp *u = client();
	int a = fill_pool(u), b = blocked_sender(u);

	/* b's application goes while its channel waits for chunks (not
	 * reading, the bytes it wrote still in the socketpair): the
	 * daemon notices, lets the connection go and closes its end. */
	close(b);
	ck_assert(wait_until(b_gone));
	close(a);
	utcp_close(u);
	ck_assert(wait_until(no_tcp_connections));
	for (int ms = 0; ms < WAIT_MS && open_fds() != base; ms++)
		usleep(1000);
	ck_assert_int_eq(open_fds(), base);
}
END_TEST

/* The descriptor budget sets aside, per control client, its connection
 * and every descriptor its reply queue may hold; fitted to an
 * RLIMIT_NOFILE that leaves room for exactly K connections, the
 * (K+1)th connect is refused with ENFILE and the daemon goes on
 * serving (a status, another client, a UDP socket). */
START_TEST(test_connections_at_the_descriptor_budget_end_in_enfile)
{
	enum { K = 4 };
	struct config_control cc = limits_now(), fewer;
	struct utcp *u, *v;
	struct utcp_status *st;
	struct rlimit rl;
	unsigned long long reserved;
	int fds[K], fd;

	cc.connections_max = 1u << 20;
	cc.clients_max = 4;
	fewer = cc;
	fewer.clients_max = 3;
	ck_assert_uint_eq(control_fds_reserved(&cc, &H.cfg.limits, 0) -
			      control_fds_reserved(&fewer, &H.cfg.limits, 0),
			  1 + CONTROL_OUTQ_MAX);
	set_limits(&cc);
	reserved =
	    control_fds_reserved(&cc, &H.cfg.limits, (unsigned)open_fds());
	rl.rlim_cur = rl.rlim_max = reserved + K;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	on_loop(fit_fn, NULL);
	ck_assert_uint_eq(limits_now().connections_max, K);
	u = client();
	for (int i = 0; i < K; i++) {
		fds[i] = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000,
					  NULL, 0, NULL);
		ck_assert_int_ge(fds[i], 0);
	}
	ck_assert_int_eq(
	    utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL),
	    -ENFILE);
	/* nothing else failed: the daemon still serves everybody */
	ck_assert_int_eq(utcp_status(u, &st), 0);
	utcp_status_free(st);
	v = client();
	fd = utcp_udp_connect(v, in4(PEER_ADDR), UDP_ECHO, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(utcp_tcp_send(fds[0], "ok", 2), 2);
	/* a connection given back is one free again */
	close(fds[K - 1]);
	for (int ms = 0; ms < WAIT_MS; ms += 10) {
		fd = utcp_tcp_connect(v, in4(PEER_ADDR), TCP_ECHO, 5000, NULL,
				      0, NULL);
		if (fd != -ENFILE)
			break;
		usleep(10000);
	}
	ck_assert_int_ge(fd, 0);
	close(fd);
	for (int i = 0; i < K - 1; i++)
		close(fds[i]);
	utcp_close(v);
	utcp_close(u);
}
END_TEST

/* ---- orphans: a dead application facing a shut window ---------------- */

static int probe_conn = -1; /* the daemon's connection a predicate reads */
static int orphan_conn = -1, live_conn = -1;

/* The stack's tcp_orphan_retries (on the loop: the stack lives there). */
static void orphan_retries_fn(void *arg)
{
	H.d.stack->lim.tcp_orphan_retries = *(const uint32_t *)arg;
}

/* Writes to fd without blocking, as much as goes, until `pred` holds
 * (on the loop), for WAIT_MS at most. Returns whether it held. */
static bool write_until(int fd, bool (*pred)(void))
{
	static char junk[16384];
	struct probe pr = {pred, false};

	for (int ms = 0; ms < WAIT_MS && !pr.result; ms++) {
		while (send(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
			;
		usleep(1000);
		on_loop(probe_fn, &pr);
	}
	return pr.result;
}

/* probe_conn's peer keeps its window shut and its own send buffer is
 * full: the daemon reads no more from the application. */
static bool shut_and_full(void)
{
	struct tcp_conn *c = tcp_conn_get(H.d.stack, probe_conn);

	return c && c->snd_wnd == 0 && c->sndbuf.len >= c->sndbuf_max;
}

static bool orphan_gone(void)
{
	return tcp_conn_get(H.d.stack, orphan_conn) == NULL;
}

/* The live connection is still there, probed well past the bound an
 * orphan gets (tcp_orphan_retries, set to 2 below). */
static bool live_probed_past_the_orphan_bound(void)
{
	struct tcp_conn *c = tcp_conn_get(H.d.stack, live_conn);

	return c && c->state == TCPS_ESTABLISHED && c->backoff >= 2 + 2;
}

/* Connects to the peer's sink with `u` and writes until the peer's
 * window is shut and the connection's send buffer full (the shared
 * pool is not short). Returns the descriptor; *conn is the daemon's id. */
static int stuck_sender(struct utcp *u, int *conn)
{
	struct utcp_tcp_info info;
	int fd =
	    utcp_tcp_connect(u, in4(PEER_ADDR), TCP_SINK, 5000, NULL, 0, &info);

	ck_assert_int_ge(fd, 0);
	*conn = probe_conn = info.id;
	ck_assert_msg(write_until(fd, shut_and_full),
		      "the sink's window never shut");
	return fd;
}

/* An application dies with its send buffer full, facing a peer that
 * keeps its window shut and answers every probe: the connection is an
 * orphan, which gives up after tcp_orphan_retries probes, and the
 * daemon lets its descriptor go. A live application waiting in the same
 * place is probed for as long as the peer answers. */
START_TEST(test_tcp_app_dead_facing_a_shut_window_goes_in_bounded_probes)
{
	int base = open_fds();
	uint32_t retries = 2;
	struct utcp *u;
	int live, dead, fds;

	on_loop(orphan_retries_fn, &retries);
	u = client();
	live = stuck_sender(u, &live_conn);
	dead = stuck_sender(u, &orphan_conn);
	fds = open_fds();
	close(dead); /* with bytes still in its socketpair */
	ck_assert(wait_until(orphan_gone));
	ck_assert_uint_eq(
	    stack_counter_get(H.d.stack,
			      STACK_CTR_tcp_rule_persist_orphan_give_up),
	    1);
	/* the daemon's end went with it */
	for (int ms = 0; ms < WAIT_MS && open_fds() != fds - 2; ms++)
		usleep(1000);
	ck_assert_int_eq(open_fds(), fds - 2);
	/* the live one is not an orphan: still probed, still there */
	ck_assert(wait_until(live_probed_past_the_orphan_bound));
	/* and once its application goes too, it goes at its next probe */
	close(live);
	utcp_close(u);
	ck_assert(wait_until(no_tcp_connections));
	ck_assert_uint_eq(
	    stack_counter_get(H.d.stack,
			      STACK_CTR_tcp_rule_persist_orphan_give_up),
	    2);
	for (int ms = 0; ms < WAIT_MS && open_fds() != base; ms++)
		usleep(1000);
	ck_assert_int_eq(open_fds(), base);
}
END_TEST

/* The peer's side on `port` of connection `conn` (the daemon's id)
 * resets it: RST from its side. */
static void peer_aborts(int conn, uint16_t port)
{
	struct tcp_conn *c = tcp_conn_get(H.d.stack, conn);
	struct tcp_conn *pc;

	ck_assert_ptr_nonnull(c);
	pc = tcp_conn_lookup(W.peer.s, PEER_ADDR, port, DAEMON_ADDR, c->lport);
	ck_assert_ptr_nonnull(pc);
	tcp_abort(W.peer.s, sim_now(H.sim), pc->id);
}

/* The sink resets connection *arg (the daemon's id). */
static void peer_aborts_fn(void *arg)
{
	peer_aborts(*(const int *)arg, TCP_SINK);
}

/* A kernel TCP connection on loopback, `out` connected to `*in`, which
 * was accepted (listener closed). */
static void kernel_tcp_pair(int *out, int *in)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t slen = sizeof(sin);
	int lsn = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(lsn, 0);
	ck_assert_int_eq(bind(lsn, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(lsn, 1), 0);
	ck_assert_int_eq(getsockname(lsn, (struct sockaddr *)&sin, &slen), 0);
	*out = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(*out, 0);
	ck_assert_int_eq(connect(*out, (struct sockaddr *)&sin, sizeof(sin)),
			 0);
	*in = accept4(lsn, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_int_ge(*in, 0);
	close(lsn);
}

/* A connection to the sink whose peer resets it while its application
 * has bytes the daemon never read (the peer's window shut, the send
 * buffer full, the socketpair holding the rest). Returns its descriptor
 * once the error is there to read. */
static int utcpd_reset_with_bytes_unread(struct utcp *u)
{
	static char junk[16384];
	int conn, fd = stuck_sender(u, &conn), outq = 0;
	struct pollfd pfd = {.fd = fd, .events = POLLPRI};

	while (send(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
	ck_assert_int_eq(ioctl(fd, SIOCOUTQ, &outq), 0);
	ck_assert_int_gt(outq, 0); /* unread in the daemon's end */
	on_loop(peer_aborts_fn, &conn);
	ck_assert_int_eq(poll(&pfd, 1, WAIT_MS), 1);
	return fd;
}

/* The same with the kernel's TCP on loopback: the peer closes with what
 * it received unread (RST) while the sender has bytes unsent. */
static int kernel_reset_with_bytes_unsent(void)
{
	static char junk[16384];
	int out, in;
	struct pollfd pfd;

	kernel_tcp_pair(&out, &in);
	while (send(out, junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
	close(in);
	pfd = (struct pollfd){.fd = out, .events = POLLIN};
	ck_assert_int_eq(poll(&pfd, 1, WAIT_MS), 1);
	return out;
}

static int so_error(int fd)
{
	int err = -1;
	socklen_t len = sizeof(err);

	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	return err;
}

/* A write on each (utcpd's connection and the kernel's) fails with
 * EPIPE; then both are closed. */
static void write_fails_with_epipe_then_close(int fd, int k)
{
	ck_assert_int_eq(send(fd, "x", 1, MSG_NOSIGNAL), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(send(k, "x", 1, MSG_NOSIGNAL), -1);
	ck_assert_int_eq(errno, EPIPE);
	close(fd);
	close(k);
}

/* The peer resets a connection whose application wrote bytes the daemon
 * never read. The application learns the error once, by reading it or
 * with SO_ERROR (utcp_tcp_error), and then reads the end of the stream
 * and its writes fail with EPIPE, as on a kernel socket reset in the
 * same place (each step beside the kernel's, on loopback): the daemon
 * discards what it never read before it closes its end, which would
 * otherwise fail the next read with ECONNRESET again, from AF_UNIX. */
START_TEST(test_tcp_reset_with_bytes_unread_reads_the_error_once_then_eof)
{
	struct utcp *u = client();
	char buf[16];
	int fd = utcpd_reset_with_bytes_unread(u);
	int k = kernel_reset_with_bytes_unsent();

	/* the error read first */
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), -ECONNRESET);
	ck_assert_int_eq(read(k, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 0);
	ck_assert_int_eq(read(k, buf, sizeof(buf)), 0);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 0);
	ck_assert_int_eq(utcp_tcp_error(fd), 0);
	ck_assert_int_eq(so_error(k), 0);
	write_fails_with_epipe_then_close(fd, k);

	/* SO_ERROR first, then a read */
	fd = utcpd_reset_with_bytes_unread(u);
	k = kernel_reset_with_bytes_unsent();
	ck_assert_int_eq(utcp_tcp_error(fd), -ECONNRESET);
	ck_assert_int_eq(so_error(k), ECONNRESET);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 0);
	ck_assert_int_eq(read(k, buf, sizeof(buf)), 0);
	write_fails_with_epipe_then_close(fd, k);
	utcp_close(u);
	ck_assert(wait_until(no_tcp_connections));
}
END_TEST

/* CHANNEL_DISCARD_READS: before the daemon closes its end it discards
 * at most 8 reads of 512 KiB (4 MiB) that the application wrote and it
 * never read, far more than an end's send buffer holds; what the reads
 * do not cover is left, and AF_UNIX fails the application's next read
 * with ECONNRESET. So an application that forced its end's send buffer
 * past that (SO_SNDBUFFORCE, CAP_NET_ADMIN) and wrote 6 MiB the daemon
 * never read, its peer resetting the connection, reads the error (the
 * urgent byte: -ECONNRESET) and then ECONNRESET again, never a silent
 * end of the stream. (Within the reads it reads EOF then:
 * test_tcp_reset_with_bytes_unread_reads_the_error_once_then_eof.) */
START_TEST(test_tcp_reset_past_the_discard_reads_reads_econnreset)
{
	static char junk[65536];
	int big = 8 << 20, conn, fd;
	size_t written = 0;
	struct utcp *u = client();
	struct pollfd pfd = {.events = POLLPRI};
	char buf[16];

	fd = stuck_sender(u, &conn);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) < 0) {
		ck_assert_int_eq(errno, EPERM);
		fprintf(stderr,
			"skipped: SO_SNDBUFFORCE needs CAP_NET_ADMIN\n");
		close(fd);
		utcp_close(u);
		return;
	}
	while (written < (6u << 20)) {
		ssize_t n = send(fd, junk, sizeof(junk), MSG_DONTWAIT);

		ck_assert_int_gt(n, 0);
		written += (size_t)n;
	}
	on_loop(peer_aborts_fn, &conn);
	pfd.fd = fd;
	ck_assert_int_eq(poll(&pfd, 1, WAIT_MS), 1);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), -ECONNRESET);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	close(fd);
	utcp_close(u);
	ck_assert(wait_until(no_tcp_connections));
}
END_TEST

/* The echo resets connection *arg (the daemon's id). */
static void echo_peer_aborts_fn(void *arg)
{
	peer_aborts(*(const int *)arg, TCP_ECHO);
}

/* probe_conn has received bytes that wait for room in its pair. */
static bool received_bytes_wait(void)
{
	struct tcp_conn *c = tcp_conn_get(H.d.stack, probe_conn);

	return c && c->rcvq.head;
}

/* Writes (without blocking) until fd's writes fail (EPIPE): the daemon
 * shut its end for reading. */
static void write_until_epipe(int fd)
{
	for (int ms = 0; ms < WAIT_MS; ms++) {
		if (send(fd, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
		    errno == EPIPE)
			return;
		usleep(1000);
	}
	ck_abort_msg("writes never failed");
}

/* The kernel's socket fd has an error (POLLERR) within WAIT_MS. */
static bool wait_for_error(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = 0};

	return poll(&pfd, 1, WAIT_MS) == 1 && (pfd.revents & POLLERR);
}

/* Reads fd with utcp_tcp_recv() (or read() on the kernel's socket) to
 * the end of the stream: only data comes before it, no error. */
static void reads_data_then_eof(int fd, bool kernel)
{
	static char buf[65536];
	size_t total = 0;

	for (;;) {
		ssize_t n = kernel ? read(fd, buf, sizeof(buf))
				   : utcp_tcp_recv(fd, buf, sizeof(buf), 0);

		ck_assert_msg(n >= 0, "a read after %zu bytes: %zd (errno %d)",
			      total, n, errno);
		if (n == 0)
			break;
		total += (size_t)n;
	}
	ck_assert_uint_gt(total, 0);
}

/* A reset while bytes received before it wait for room (the application
 * does not read; the echo filled its end and the stack's queue): its
 * first utcp_tcp_send() says -ECONNRESET, the next -EPIPE, and the reads
 * get every byte, then the end of the stream, the error not again; as
 * the kernel's TCP on loopback in the same place (a write to a socket
 * whose peer closed with bytes unread). The daemon's urgent byte waits
 * behind the bytes, so this is libutcp's own doing. (Before: -EPIPE
 * first.) */
START_TEST(test_tcp_send_after_a_reset_behind_unread_bytes_is_econnreset)
{
	static char junk[16384];
	struct utcp_tcp_info info;
	struct utcp *u = client();
	int fd, out, in;

	fd =
	    utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, &info);
	ck_assert_int_ge(fd, 0);
	probe_conn = info.id;
	ck_assert_msg(write_until(fd, received_bytes_wait),
		      "the echo never filled the descriptor");
	on_loop(echo_peer_aborts_fn, &info.id);
	write_until_epipe(fd);
	/* The departure libutcp(3) documents: the error is not in the
	 * descriptor yet, and the end looks as after the application's own
	 * shutdown(SHUT_WR), so utcp_tcp_error() does not guess (the
	 * kernel's SO_ERROR says ECONNRESET; utcp-run's too: tcp_edges). */
	ck_assert_int_eq(utcp_tcp_error(fd), 0);
	ck_assert_int_eq(utcp_tcp_send(fd, "x", 1), -ECONNRESET);
	ck_assert_int_eq(utcp_tcp_send(fd, "x", 1), -EPIPE);
	reads_data_then_eof(fd, false);
	ck_assert_int_eq(utcp_tcp_send(fd, "x", 1), -EPIPE);
	close(fd);

	kernel_tcp_pair(&out, &in);
	ck_assert_int_eq(send(out, "unread", 6, 0), 6);
	while (send(in, junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
	close(in); /* with "unread" unread: RST */
	ck_assert(wait_for_error(out));
	ck_assert_int_eq(send(out, "x", 1, MSG_NOSIGNAL), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	ck_assert_int_eq(send(out, "x", 1, MSG_NOSIGNAL), -1);
	ck_assert_int_eq(errno, EPIPE);
	reads_data_then_eof(out, true);
	close(out);
	utcp_close(u);
}
END_TEST

static size_t turn_tx_max_saved;

/* From now on every turn is full (daemon_turn_full()), and the peer
 * resets conn_a, whose chunks go back to the pool: the memory waiter
 * is woken in a full turn. */
static void full_turns_and_a_reset_fn(void *arg)
{
	turn_tx_max_saved = H.d.turn_tx_max;
	H.d.turn_tx_max = 0;
	peer_aborts_fn(&conn_a);
}

static void turns_not_full_fn(void *arg)
{
	H.d.turn_tx_max = turn_tx_max_saved;
}

/* conn_b was woken (it holds a claim on a chunk) and sent nothing. */
static bool b_woken_and_waits_for_its_turn(void)
{
	struct tcp_conn *c = tcp_conn_get(H.d.stack, conn_b);

	return a_gone() && c && c->mem_claim && !c->mem_waiting &&
	       c->sndbuf.len == 0 && c->snd_una == c->snd_max;
}

static bool b_shut(void)
{
	struct tcp_conn *c = tcp_conn_get(H.d.stack, conn_b);

	return !c || c->state != TCPS_ESTABLISHED;
}

/* An application sends an urgent byte and shuts its side while its
 * connection has no send room (the pool is dry): the daemon's peek for
 * the end of the stream passes over the byte (AF_UNIX MSG_OOB) and
 * reads EOF with the byte still in its end. The connection closes
 * cleanly, and when the daemon closes its end the byte is discarded
 * first: the application reads the end of the stream, not ECONNRESET
 * (what AF_UNIX says when an end is closed with bytes unread). */
START_TEST(test_tcp_urgent_byte_then_shutdown_without_room_reads_eof)
{
	struct utcp *u = client();
	int a = fill_pool(u);
	struct utcp_tcp_info info;
	char buf[8];
	int base = open_fds();
	int fd =
	    utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, &info);

	ck_assert_int_ge(fd, 0);
	conn_b = info.id;
	ck_assert_int_eq(send(fd, "x", 1, MSG_OOB), 1);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert(wait_until(b_shut));
	close(a);
	ck_assert(wait_until(a_gone));
	/* The peer's FIN comes back and the daemon closes its end: of
	 * the four ends a and this connection had, this one's application
	 * end is left. */
	for (int ms = 0; ms < WAIT_MS && open_fds() != base - 1; ms++)
		usleep(1000);
	ck_assert_int_eq(open_fds(), base - 1);
	ck_assert_int_eq(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), 0);
	close(fd);
	utcp_close(u);
}
END_TEST

/* A sender woken as a memory waiter in a turn that is already full
 * (daemon_turn_full()) cannot use its wakeup then: it keeps its claim
 * and is reported again the turns after, so once a turn has room its
 * bytes go (no second wakeup is needed). */
START_TEST(test_tcp_memory_waiter_woken_in_a_full_turn_sends_next_turn)
{
	struct utcp *u = client();
	int a = fill_pool(u), b = blocked_sender(u);
	char buf[8];

	on_loop(full_turns_and_a_reset_fn, NULL);
	ck_assert(wait_until(b_woken_and_waits_for_its_turn));
	on_loop(turns_not_full_fn, NULL);
	ck_assert_msg(readable(b), "the woken sender never sent");
	recv_all(b, buf, 5);
	ck_assert_mem_eq(buf, "hello", 5);
	close(a);
	close(b);
	utcp_close(u);
}
END_TEST

/* ---- the per-turn bound on what handlers queue ------------------------ */

#define SMALL_POOL_BUFFERS 64 /* so a turn queues at most 32 frames */
/* more than a turn takes, fewer than a UDP receive queue holds (64) */
#define BURST 60

static void setup_small_pkt_pool(void)
{
	setup_pkt_small_max = SMALL_POOL_BUFFERS;
	setup();
	setup_pkt_small_max = 0;
}

/* Writes BURST datagrams into the application's end at once, on the
 * loop, so the daemon finds them all waiting in one wakeup. */
static void burst_fn(void *arg)
{
	int fd = *(const int *)arg;

	for (int i = 0; i < BURST; i++)
		ck_assert_int_eq(utcp_send(fd, "datagram", 8), 8);
	H.tx_peak = 0;
}

/* A UDP sender with BURST datagrams waiting: the daemon hands the stack
 * no more in one turn than half the pool's small buffers (then the turn
 * is full, daemon_turn_full()), and the rest in the turns after; every
 * datagram goes, and comes back from the echo. */
START_TEST(test_udp_burst_stops_for_the_turn_at_half_the_small_pool)
{
	struct utcp *u = client();
	char buf[16];
	int fd = utcp_udp_connect(u, in4(PEER_ADDR), UDP_ECHO, UTCP_NONBLOCK);
	int got = 0;

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(H.d.turn_tx_max, SMALL_POOL_BUFFERS / 2);
	/* the peer's address first */
	ck_assert_int_eq(utcp_send(fd, "arp", 3), 3);
	ck_assert(readable(fd));
	ck_assert_int_eq(utcp_recvfrom(fd, buf, sizeof(buf), NULL, NULL), 3);
	on_loop(burst_fn, &fd);
	while (got < BURST && readable(fd)) {
		ck_assert_int_eq(
		    utcp_recvfrom(fd, buf, sizeof(buf), NULL, NULL), 8);
		got++;
	}
	ck_assert_int_eq(got, BURST);
	/* the bound was reached, and held */
	ck_assert_uint_eq(H.tx_peak, SMALL_POOL_BUFFERS / 2);
	close(fd);
	utcp_close(u);
}
END_TEST

/* conn_a is still there, and chunks were taken from the reserve. */
static bool a_holds_b_used_the_reserve(void)
{
	return !a_gone() &&
	       stack_counter_get(H.d.stack, STACK_CTR_tcp_send_reserve_chunks) >
		   0;
}

START_TEST(test_tcp_fresh_sender_moves_data_while_another_holds_the_pool)
{
	static char out[256 << 10], in[sizeof(out)];
	struct utcp *u = client();
	int a = fill_pool(u), b;
	struct utcp_tcp_info info;
	size_t sent = 0, got = 0;
	struct probe pr = {a_holds_b_used_the_reserve, false};

	/* a holds every chunk outside the reserve and its peer reads
	 * nothing. A fresh connection still sends at once, from the
	 * reserve (its minimum, TCP_SND_MIN_CHUNKS), and moves 256 KiB
	 * through the echo, 4 KiB at a time, while a holds on. */
	b = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, &info);
	ck_assert_int_ge(b, 0);
	conn_b = info.id;
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7 + i / 251);
	for (int ms = 0; ms < 4 * WAIT_MS && got < sizeof(out); ms++) {
		ssize_t n;

		if (sent < sizeof(out)) {
			n = send(b, out + sent, sizeof(out) - sent,
				 MSG_DONTWAIT);
			if (n > 0)
				sent += (size_t)n;
		}
		n = recv(b, in + got, sizeof(in) - got, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
		else
			usleep(1000);
	}
	ck_assert_uint_eq(got, sizeof(out));
	ck_assert_mem_eq(in, out, sizeof(out));
	on_loop(probe_fn, &pr);
	ck_assert_msg(pr.result, "a went, or the reserve was not used");
	close(b);
	close(a);
	utcp_close(u);
}
END_TEST

/* ---- connect: writable when over, SO_ERROR, no lock held -------------- */

#define NOBODY_ADDR 0x0a000003u /* on the link, answers no ARP */

/* poll()'s events for POLLOUT within ms. */
static short writable_within(int fd, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};

	return poll(&pfd, 1, ms) == 1 ? pfd.revents : 0;
}

START_TEST(test_nonblocking_connect_is_writable_once_established)
{
	struct utcp *u = client();
	struct utcp_tcp_info info;
	char buf[8];
	int fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL,
				  UTCP_NONBLOCK, &info);

	ck_assert_int_ge(fd, 0);
	/* made non-blocking by the daemon (TCP_NONBLOCK_END) */
	ck_assert_int_ne(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert(writable_within(fd, WAIT_MS) & POLLOUT);
	ck_assert_int_eq(utcp_tcp_error(fd), 0); /* SO_ERROR: 0 */
	/* the first bytes written after it became writable go whole */
	ck_assert_int_eq(utcp_tcp_send(fd, "hello", 5), 5);
	for (size_t got = 0; got < 5;) {
		ssize_t n = utcp_tcp_recv(fd, buf + got, 5 - got, 0);

		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
	ck_assert_mem_eq(buf, "hello", 5);
	close(fd);
	utcp_close(u);
}
END_TEST

START_TEST(test_nonblocking_connect_stays_unwritable_until_it_times_out)
{
	struct utcp *u = client();
	char buf[8];
	int fd = utcp_tcp_connect(u, in4(NOBODY_ADDR), TCP_ECHO, 1500, NULL,
				  UTCP_NONBLOCK, NULL);

	ck_assert_int_ge(fd, 0);
	/* in progress: not writable, SO_ERROR 0, write() EAGAIN as on a
	 * connecting kernel socket */
	ck_assert_int_eq(writable_within(fd, 0) & POLLOUT, 0);
	ck_assert_int_eq(utcp_tcp_error(fd), 0);
	ck_assert_int_eq(utcp_tcp_send(fd, "x", 1), -EAGAIN);
	/* failed: writable, and SO_ERROR says why (without taking it) */
	ck_assert(writable_within(fd, WAIT_MS) & POLLOUT);
	ck_assert_int_eq(utcp_tcp_error(fd), -ETIMEDOUT);
	ck_assert_int_eq(utcp_tcp_error(fd), -ETIMEDOUT);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), -ETIMEDOUT);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 0);
	close(fd);
	utcp_close(u);
}
END_TEST

START_TEST(test_nonblocking_connect_refused_is_writable_with_the_error)
{
	struct utcp *u = client();
	int fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO + 1, 5000, NULL,
				  UTCP_NONBLOCK, NULL);

	ck_assert_int_ge(fd, 0);
	ck_assert(writable_within(fd, WAIT_MS) & POLLOUT);
	ck_assert_int_eq(utcp_tcp_error(fd), -ECONNREFUSED);
	close(fd);
	utcp_close(u);
}
END_TEST

/* Sends a TCP_CONNECT on a raw control connection (version `version`)
 * and takes its reply: returns the descriptor that came with it, or -1. */
static int raw_tcp_connect(int fd, uint8_t version, uint32_t id,
			   const struct ipc_tcp_connect *req,
			   struct ipc_tcp_open_reply *r)
{
	uint8_t buf[IPC_MSG_MAX];
	struct ipc_msg m;
	int len, passed;

	len = ipc_encode_tcp_connect(buf, sizeof(buf), version, id, req);
	ck_assert_int_eq(send(fd, buf, (size_t)len, 0), len);
	raw_reply(fd, buf, sizeof(buf), &m, &passed);
	ck_assert_uint_eq(m.id, id);
	ck_assert_int_eq(ipc_decode_tcp_connect_reply(&m, r), 0);
	return passed;
}

/* A non-blocking connect's end, filled while it is in progress so
 * that it is not writable, has its own send buffer once the connect is
 * over, as an end never filled has (the daemon's blocking form), or
 * the one the application set meanwhile. */
START_TEST(test_nonblocking_connect_end_keeps_its_send_buffer)
{
	struct ipc_tcp_connect req = {.remote_addr = PEER_ADDR,
				      .remote_port = TCP_ECHO,
				      .timeout_ms = 5000};
	struct ipc_tcp_open_reply r;
	struct ipc_hello_reply hr;
	struct utcp *u = client();
	int raw, plain, fd, mine, size, want, own = 8192;
	socklen_t sl = sizeof(size);

	raw = raw_hello(IPC_VERSION_MAX, &hr);
	plain = raw_tcp_connect(raw, (uint8_t)hr.version, 2, &req, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(getsockopt(plain, SOL_SOCKET, SO_SNDBUF, &want, &sl),
			 0);
	/* two in progress until they time out; one gets its own size */
	fd = utcp_tcp_connect(u, in4(NOBODY_ADDR), TCP_ECHO, 1000, NULL,
			      UTCP_NONBLOCK, NULL);
	mine = utcp_tcp_connect(u, in4(NOBODY_ADDR), TCP_ECHO, 1000, NULL,
				UTCP_NONBLOCK, NULL);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(mine, 0);
	ck_assert_int_eq(writable_within(fd, 0) & POLLOUT, 0);
	ck_assert_int_eq(writable_within(mine, 0) & POLLOUT, 0);
	ck_assert_int_eq(
	    setsockopt(mine, SOL_SOCKET, SO_SNDBUF, &own, sizeof(own)), 0);
	ck_assert(writable_within(fd, WAIT_MS) & POLLOUT);
	ck_assert(writable_within(mine, WAIT_MS) & POLLOUT);
	ck_assert_int_eq(utcp_tcp_error(fd), -ETIMEDOUT);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, &sl), 0);
	ck_assert_int_eq(size, want);
	ck_assert_int_eq(getsockopt(mine, SOL_SOCKET, SO_SNDBUF, &size, &sl),
			 0);
	ck_assert_int_eq(size, 2 * own);
	close(mine);
	close(fd);
	/* established */
	fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL,
			      UTCP_NONBLOCK, NULL);
	ck_assert_int_ge(fd, 0);
	ck_assert(writable_within(fd, WAIT_MS) & POLLOUT);
	ck_assert_int_eq(utcp_tcp_error(fd), 0);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, &sl), 0);
	ck_assert_int_eq(size, want);
	close(fd);
	close(plain);
	close(raw);
	utcp_close(u);
}
END_TEST

/* A non-blocking connect's reply is held a turn: clients that go
 * during it, beside others whose replies are held in the same turn
 * (established, refused, in progress), leave nothing behind. */
START_TEST(test_nonblocking_connect_held_while_clients_go)
{
	struct ipc_tcp_connect req[3] = {{.remote_addr = PEER_ADDR,
					  .remote_port = TCP_ECHO,
					  .timeout_ms = 5000,
					  .flags = IPC_TCP_CONNECT_F_NONBLOCK},
					 {.remote_addr = PEER_ADDR,
					  .remote_port = TCP_ECHO + 1,
					  .timeout_ms = 5000,
					  .flags = IPC_TCP_CONNECT_F_NONBLOCK},
					 {.remote_addr = NOBODY_ADDR,
					  .remote_port = TCP_ECHO,
					  .timeout_ms = 100,
					  .flags = IPC_TCP_CONNECT_F_NONBLOCK}};
	struct ipc_hello_reply hr;
	uint8_t buf[IPC_MSG_MAX];
	int base = open_fds();

	for (int round = 0; round < 30; round++) {
		int raw[3], passed[3];

		for (int i = 0; i < 3; i++)
			raw[i] = raw_hello(IPC_VERSION_MAX, &hr);
		for (int i = 0; i < 3; i++) {
			int len = ipc_encode_tcp_connect(
			    buf, sizeof(buf), (uint8_t)hr.version, 2, &req[i]);
			ck_assert_int_eq(send(raw[i], buf, (size_t)len, 0),
					 len);
		}
		/* one of the three goes at once */
		close(raw[round % 3]);
		for (int i = 0; i < 3; i++) {
			struct ipc_msg m;
			struct ipc_tcp_open_reply r;

			passed[i] = -1;
			if (i == round % 3)
				continue;
			raw_reply(raw[i], buf, sizeof(buf), &m, &passed[i]);
			ck_assert_int_eq(ipc_decode_tcp_connect_reply(&m, &r),
					 0);
			ck_assert_int_eq(r.status, 0);
			ck_assert_int_ge(passed[i], 0);
			ck_assert(writable_within(passed[i], WAIT_MS) &
				  POLLOUT);
		}
		ck_assert_int_eq(passed[0] >= 0 ? utcp_tcp_error(passed[0]) : 0,
				 0);
		if (passed[1] >= 0)
			ck_assert_int_eq(utcp_tcp_error(passed[1]),
					 -ECONNREFUSED);
		if (passed[2] >= 0) {
			/* its 100 ms, or ARP giving up on the address (3 s
			 * after the first round asked) when that comes
			 * first in a round */
			int err = utcp_tcp_error(passed[2]);

			ck_assert_msg(err == -ETIMEDOUT || err == -EHOSTUNREACH,
				      "unanswered connect: %d", err);
		}
		for (int i = 0; i < 3; i++) {
			if (passed[i] >= 0)
				close(passed[i]);
			if (i != round % 3)
				close(raw[i]);
		}
	}
	/* every channel gone (the connections TIME_WAIT orphans or
	 * gone), its descriptors closed */
	for (int ms = 0; ms < WAIT_MS && open_fds() != base; ms++)
		usleep(1000);
	ck_assert_int_eq(open_fds(), base);
}
END_TEST

/* Counts the daemon's SYNs (and closes W.close_fd after
 * W.syns_to_close); notes the first FIN or RST from local port
 * W.fin_port, the SYNs sent before it, and whether a reply was waiting
 * on W.fin_reply_fd when it went. */
static void fin_sniff(const struct pkt *p)
{
	const uint8_t *ip = p->data + 14, *tcp;
	struct pollfd pfd = {.fd = W.fin_reply_fd, .events = POLLIN};

	if (p->len < 14 + 20 + TCP_HDR_LEN ||
	    get_be16(p->data + 12) != 0x0800 || ip[9] != 6)
		return;
	tcp = ip + (ip[0] & 15u) * 4u;
	if (tcp + TCP_HDR_LEN > p->data + p->len)
		return;
	if ((tcp[TCP_OFF_FLAGS] & (TCP_SYN | TCP_ACK)) == TCP_SYN)
		W.syns++;
	if (W.close_fd >= 0 && W.syns >= W.syns_to_close) {
		close(W.close_fd);
		W.close_fd = -1;
	}
	if (W.fin_port == 0 || W.fin_seen ||
	    get_be16(tcp + TCP_OFF_SPORT) != W.fin_port ||
	    !(tcp[TCP_OFF_FLAGS] & (TCP_FIN | TCP_RST)))
		return;
	W.fin_seen = true;
	W.fin_was_rst = tcp[TCP_OFF_FLAGS] & TCP_RST;
	W.syns_at_fin = W.syns;
	W.reply_before_fin = poll(&pfd, 1, 0) == 1;
}

static bool fin_went(void)
{
	return W.fin_seen;
}

/* Notes, while W.hs_watch, the loop iteration of the daemon's first SYN
 * and of the first bare ACK from that SYN's port after it. */
static void handshake_sniff(const struct pkt *p)
{
	const uint8_t *ip = p->data + 14, *tcp;
	uint8_t flags;

	if (!W.hs_watch || W.hs_done || p->len < 14 + 20 + TCP_HDR_LEN ||
	    get_be16(p->data + 12) != 0x0800 || ip[9] != 6)
		return;
	tcp = ip + (ip[0] & 15u) * 4u;
	if (tcp + TCP_HDR_LEN > p->data + p->len)
		return;
	flags = tcp[TCP_OFF_FLAGS];
	if (W.hs_port == 0 && flags == TCP_SYN) {
		W.hs_port = get_be16(tcp + TCP_OFF_SPORT);
		W.hs_syn_iter = ev_iteration(H.d.loop);
	} else if (W.hs_port != 0 &&
		   get_be16(tcp + TCP_OFF_SPORT) == W.hs_port &&
		   flags == TCP_ACK) {
		W.hs_ack_iter = ev_iteration(H.d.loop);
		W.hs_events_at_ack = stack_events_queued(H.d.stack);
		W.hs_done = true;
	}
}

static void handshake_watch_fn(void *arg)
{
	W.hs_watch = true;
	W.hs_port = 0;
	W.hs_done = false;
}

static bool handshake_went(void)
{
	return W.hs_done;
}

/* Has the peer no connection left (listeners aside)? Then the last
 * frame of the daemon's connections reached it and nothing of theirs is
 * on the link. */
static bool peer_connections_gone(void)
{
	struct stack_tcp_info info[16];
	size_t n = stack_tcp_snapshot(H.peer, sim_now(H.sim), info, 16);

	for (size_t i = 0; i < n && i < 16; i++)
		if (!info[i].listener)
			return false;
	return n <= 16;
}

/* A non-blocking connect to a peer that answers at once (the kernel
 * behind the TAP queues its SYN-ACK inside the SYN's write) is
 * established and answered in the turn of its request: the links are
 * read as soon as the SYN went (d->link_read_now), not in a turn of
 * their own, so the handshake's ACK leaves in the SYN's loop iteration,
 * and the descriptor arrives writable. The drain hands the connection's
 * event out (the reply with its descriptor goes) before it writes that
 * ACK, whose write runs the kernel's listener at a TAP: no event waits
 * when the ACK is written. The first connection's end is
 * over first: that early read takes a frame per connect, and one of its
 * closing frames waiting ahead of the SYN-ACK would be that frame. */
START_TEST(test_connect_to_a_prompt_peer_is_answered_in_its_turn)
{
	struct utcp *u = client();
	int fd;

	/* the peer's address resolved first (ARP holds the first SYN) */
	fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert(wait_until(peer_connections_gone));
	on_loop(handshake_watch_fn, NULL);
	fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL,
			      UTCP_NONBLOCK, NULL);
	ck_assert_int_ge(fd, 0);
	ck_assert(wait_until(handshake_went));
	W.hs_watch = false;
	ck_assert_uint_eq(W.hs_ack_iter, W.hs_syn_iter);
	ck_assert_uint_eq(W.hs_events_at_ack, 0);
	ck_assert(writable_within(fd, 0) & POLLOUT);
	ck_assert_int_eq(utcp_tcp_error(fd), 0);
	close(fd);
	utcp_close(u);
}
END_TEST

#define BURST_PORT 9999 /* nothing listens there on the daemon */

static void burst_sniff(const struct pkt *p)
{
	const uint8_t *ip = p->data + 14, *tcp;

	if (W.burst == 0 || p->len < 14 + 20 + TCP_HDR_LEN ||
	    get_be16(p->data + 12) != 0x0800 || ip[9] != 6)
		return;
	tcp = ip + (ip[0] & 15u) * 4u;
	if (tcp + TCP_HDR_LEN > p->data + p->len ||
	    tcp[TCP_OFF_FLAGS] != TCP_SYN)
		return;
	for (unsigned i = 0; i < W.burst; i++)
		ck_assert_int_eq(udp_send(W.peer.s, sim_now(H.sim),
					  W.peer.udp_echo, DAEMON_ADDR,
					  BURST_PORT, "x", 1),
				 0);
	W.burst = 0;
	W.burst_read_now_calls = H.read_now.calls;
}

static void burst_arm_fn(void *arg)
{
	W.burst = *(const unsigned *)arg;
}

static uint64_t no_port_wanted;

static void no_port_fn(void *arg)
{
	*(uint64_t *)arg =
	    stack_counter_get(H.d.stack, STACK_CTR_udp_rx_no_port);
}

static bool no_port_reached(void)
{
	return stack_counter_get(H.d.stack, STACK_CTR_udp_rx_no_port) >=
	       no_port_wanted;
}

static void read_now_fn(void *arg)
{
	memcpy(arg, &H.read_now, sizeof(H.read_now));
}

/* The early read of the links after a held connect's SYN (held_turn_cb,
 * d->link_read_now) takes a frame per connect held in that turn, not
 * what else waits there: with many frames waiting beside the SYN-ACK
 * only one is read then, and the rest in the turns that follow, none
 * lost; the connect completes. (Without the cap the early read took
 * them all: a flood read into a pool that is not drained meanwhile.) */
START_TEST(test_early_read_after_a_connect_takes_one_frame_for_it)
{
	struct utcp *u = client();
	unsigned burst = 32;
	uint64_t before;
	typeof(H.read_now) rn;
	int fd;

	/* the peer's address resolved first (ARP holds the first SYN) */
	fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	on_loop(no_port_fn, &before);
	on_loop(burst_arm_fn, &burst);
	fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL,
			      UTCP_NONBLOCK, NULL);
	ck_assert_int_ge(fd, 0);
	no_port_wanted = before + burst;
	ck_assert(wait_until(no_port_reached)); /* every one came in */
	on_loop(read_now_fn, &rn);
	ck_assert_uint_eq(rn.calls, W.burst_read_now_calls + 1);
	ck_assert_uint_eq(rn.frames_max, 1); /* one connect held */
	ck_assert_uint_ge(rn.waiting, burst);
	ck_assert_uint_eq(rn.read, 1);
	ck_assert(writable_within(fd, WAIT_MS) & POLLOUT);
	ck_assert_int_eq(utcp_tcp_error(fd), 0);
	on_loop(no_port_fn, &before);
	ck_assert_uint_eq(before, no_port_wanted); /* each once */
	ck_assert_uint_eq(H.rx_dropped, 0);
	close(fd);
	utcp_close(u);
}
END_TEST

/* A capture's stream as the loop reads it, in a check watcher: libev
 * runs check watchers right after it polls, so the first one after the
 * turn whose end sent the handshake's ACK (W.hs_ack_iter; ev_iteration
 * counts the polls) sees what that end wrote to the stream, no more. */
static struct capture_watch {
	int fd; /* the reader's end */
	ev_check check;
	uint8_t buf[65536];
	size_t len;
	bool checked;	  /* that check ran */
	unsigned iter;	  /* ... in this iteration */
	bool synack, ack; /* ... and found these records in the stream */
} CW;

/* Looks at each whole record of the stream for the handshake's SYN-ACK
 * (to W.hs_port) and ACK (from it). */
static void capture_watch_parse(void)
{
	size_t at = PCAP_FILE_HDR_LEN;

	while (at + PCAP_REC_HDR_LEN <= CW.len) {
		const uint8_t *r = CW.buf + at, *f = r + PCAP_REC_HDR_LEN;
		uint32_t caplen = (uint32_t)r[8] | (uint32_t)r[9] << 8 |
				  (uint32_t)r[10] << 16 | (uint32_t)r[11] << 24;
		const uint8_t *tcp = f + 14 + 20;

		if (at + PCAP_REC_HDR_LEN + caplen > CW.len)
			break;
		at += PCAP_REC_HDR_LEN + caplen;
		if (caplen < 14 + 20 + TCP_HDR_LEN ||
		    get_be16(f + 12) != 0x0800 || f[14 + 9] != 6 ||
		    (f[14] & 15u) != 5)
			continue;
		if (get_be16(tcp + TCP_OFF_DPORT) == W.hs_port &&
		    tcp[TCP_OFF_FLAGS] == (TCP_SYN | TCP_ACK))
			CW.synack = true;
		if (get_be16(tcp + TCP_OFF_SPORT) == W.hs_port &&
		    tcp[TCP_OFF_FLAGS] == TCP_ACK)
			CW.ack = true;
	}
}

static void capture_check_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	ssize_t n;

	if (!W.hs_done || CW.checked)
		return;
	while ((n = recv(CW.fd, CW.buf + CW.len, sizeof(CW.buf) - CW.len,
			 MSG_DONTWAIT)) > 0)
		CW.len += (size_t)n;
	CW.checked = true;
	CW.iter = ev_iteration(loop);
	capture_watch_parse();
}

static void capture_watch_fn(void *arg)
{
	memset(&CW, 0, sizeof(CW));
	CW.fd = *(const int *)arg;
	ev_check_init(&CW.check, capture_check_cb);
	ev_set_priority(&CW.check, EV_MAXPRI); /* before anything else */
	ev_check_start(H.d.loop, &CW.check);
	handshake_watch_fn(NULL);
}

static void capture_unwatch_fn(void *arg)
{
	ev_check_stop(H.d.loop, &CW.check);
	W.hs_watch = false;
}

static bool capture_checked(void)
{
	return CW.checked;
}

/* The frames of the early read after a held connect's SYN (held_turn_cb)
 * are captured in the turn that read them: the capture's flush runs
 * after held_turn_cb, so the SYN-ACK it read and the ACK its drain sent
 * are in the stream when that turn ends, not left in the capture's queue
 * until the next turn's end. (Fails with the order reversed.) */
START_TEST(test_early_read_frames_are_captured_in_their_turn)
{
	struct utcp_capture_stats stats;
	struct utcp *u = client();
	int fd, cap_fd, id;

	/* the peer's address resolved first, and that connection over */
	fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert(wait_until(peer_connections_gone));
	ck_assert_int_eq(utcp_capture_start(u, -1, 128, 0, &cap_fd, &id), 0);
	on_loop(capture_watch_fn, &cap_fd);
	fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL,
			      UTCP_NONBLOCK, NULL);
	ck_assert_int_ge(fd, 0);
	ck_assert(wait_until(capture_checked));
	on_loop(capture_unwatch_fn, NULL);
	/* the SYN-ACK was read early: the ACK left in the SYN's turn */
	ck_assert_uint_eq(W.hs_ack_iter, W.hs_syn_iter);
	ck_assert_uint_eq(CW.iter, W.hs_ack_iter + 1); /* the next poll's */
	ck_assert(CW.synack);
	ck_assert(CW.ack);
	ck_assert_int_eq(utcp_capture_stop(u, id, &stats), 0);
	ck_assert_uint_eq(stats.dropped, 0);
	close(cap_fd);
	close(fd);
	utcp_close(u);
}
END_TEST

/* A close and a connect request made between two turns of the loop. */
struct close_and_connect {
	int closed;    /* an established connection's descriptor */
	uint16_t port; /* ... its local port */
	int raw;       /* a control connection, for the request */
	const uint8_t *req;
	int len;
};

static void close_and_connect_fn(void *arg)
{
	struct close_and_connect *cc = arg;

	W.fin_port = cc->port;
	W.fin_reply_fd = cc->raw;
	close(cc->closed);
	ck_assert_int_eq(send(cc->raw, cc->req, (size_t)cc->len, 0), cc->len);
}

/* Request first, housekeeping later: when an application closes one
 * connection and asks for the next in the same turn (a client that
 * connects one at a time), the connect is answered before the closed
 * connection's FIN goes. */
START_TEST(test_connect_answered_before_a_close_of_the_same_turn)
{
	struct ipc_tcp_connect req = {.remote_addr = PEER_ADDR,
				      .remote_port = TCP_ECHO,
				      .timeout_ms = 5000,
				      .flags = IPC_TCP_CONNECT_F_NONBLOCK};
	struct close_and_connect cc;
	struct ipc_hello_reply hr;
	struct ipc_tcp_open_reply r;
	struct utcp_tcp_info info;
	uint8_t buf[IPC_MSG_MAX];
	struct utcp *u = client();
	struct ipc_msg m;
	int passed;

	cc.closed =
	    utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, &info);
	ck_assert_int_ge(cc.closed, 0);
	ck_assert_uint_ne(info.local_port, 0);
	cc.port = info.local_port;
	cc.raw = raw_hello(IPC_VERSION_MAX, &hr);
	cc.len = ipc_encode_tcp_connect(buf, sizeof(buf), (uint8_t)hr.version,
					2, &req);
	ck_assert_int_gt(cc.len, 0);
	cc.req = buf;
	/* both seen by the daemon's next poll */
	on_loop(close_and_connect_fn, &cc);
	ck_assert(wait_until(fin_went));
	ck_assert(W.reply_before_fin);
	raw_reply(cc.raw, buf, sizeof(buf), &m, &passed);
	ck_assert_int_eq(ipc_decode_tcp_connect_reply(&m, &r), 0);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_ge(passed, 0);
	ck_assert(writable_within(passed, WAIT_MS) & POLLOUT);
	ck_assert_int_eq(utcp_tcp_error(passed), 0);
	close(passed);
	close(cc.raw);
	utcp_close(u);
}
END_TEST

/* The daemon's tcp_send() calls with bytes, by connection, while
 * W.sends_on (on the loop). */
long __real_tcp_send(struct stack *s, uint64_t now, int conn, const void *data,
		     size_t len);
long __wrap_tcp_send(struct stack *s, uint64_t now, int conn, const void *data,
		     size_t len);

long __wrap_tcp_send(struct stack *s, uint64_t now, int conn, const void *data,
		     size_t len)
{
	if (W.sends_on && s == H.d.stack && len > 0 &&
	    W.nsends < sizeof(W.sends) / sizeof(W.sends[0]))
		W.sends[W.nsends++] = conn;
	return __real_tcp_send(s, now, conn, data, len);
}

#define WAKEUP_PIECES 20

/* Two connections' ends written between two turns: `a` gets
 * WAKEUP_PIECES writes of a byte, each with a descriptor (so each
 * ends a read), then `b` one byte. */
struct pieces {
	int a, b;
};

static void pieces_fn(void *arg)
{
	const struct pieces *pc = arg;
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = {.iov_base = "a", .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf.b,
			    .msg_controllen = sizeof(cbuf.b)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	int passed = STDERR_FILENO;

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &passed, sizeof(int));
	for (int i = 0; i < WAKEUP_PIECES; i++)
		ck_assert_int_eq(sendmsg(pc->a, &mh, 0), 1);
	ck_assert_int_eq(send(pc->b, "b", 1, 0), 1);
	W.nsends = 0;
	W.sends_on = true;
}

static bool all_pieces_sent(void)
{
	return W.nsends >= WAKEUP_PIECES + 1;
}

/* CONTROL_TCP_WAKEUP_READS: one wakeup reads an application's end at
 * most 16 times, so that one whose every write ends a read (a
 * descriptor, an urgent byte) cannot keep the others waiting: of 20
 * such writes on one connection, 16 are read, the other connection
 * reported in the same wakeup is served, and the 17th waits for the
 * next wakeup. */
START_TEST(test_the_seventeenth_read_waits_for_the_next_wakeup)
{
	struct utcp_tcp_info ia, ib;
	struct utcp *u = client();
	struct pieces pc;
	struct probe barrier = {all_pieces_sent, false};

	pc.a =
	    utcp_tcp_connect(u, in4(PEER_ADDR), TCP_SINK, 5000, NULL, 0, &ia);
	pc.b =
	    utcp_tcp_connect(u, in4(PEER_ADDR), TCP_SINK, 5000, NULL, 0, &ib);
	ck_assert_int_ge(pc.a, 0);
	ck_assert_int_ge(pc.b, 0);
	on_loop(pieces_fn, &pc);
	ck_assert(wait_until(all_pieces_sent));
	on_loop(probe_fn, &barrier); /* W.sends as the loop left them */
	W.sends_on = false;
	ck_assert_uint_eq(W.nsends, WAKEUP_PIECES + 1);
	for (unsigned i = 0; i < W.nsends; i++)
		ck_assert_msg(W.sends[i] == (i == 16 ? ib.id : ia.id),
			      "send %u: connection %d (a %d, b %d)", i,
			      W.sends[i], ia.id, ib.id);
	close(pc.a);
	close(pc.b);
	utcp_close(u);
}
END_TEST

#define CONNECT_STREAM_CLIENTS 4
#define CONNECT_STREAM_EACH    40

/* HUP_DEFER_TURNS_MAX: the channel set waits for held connect replies
 * at most two turns in a row, so connects that keep coming do not
 * starve it. Four control connections with 40 non-blocking connects
 * queued each (refused by the peer: one held reply after another, in
 * every turn): an established connection closed while they flow gets
 * its FIN before the connects are over. (Without the bound it went
 * after the last SYN.) */
START_TEST(test_connects_that_keep_coming_do_not_starve_a_close)
{
	struct ipc_tcp_connect req = {.remote_addr = PEER_ADDR,
				      .remote_port = TCP_ECHO + 1,
				      .timeout_ms = 5000,
				      .flags = IPC_TCP_CONNECT_F_NONBLOCK};
	const unsigned total = CONNECT_STREAM_CLIENTS * CONNECT_STREAM_EACH;
	int raw[CONNECT_STREAM_CLIENTS], fd, passed;
	struct probe barrier = {fin_went, false};
	struct ipc_hello_reply hr;
	struct ipc_tcp_open_reply r;
	struct utcp_tcp_info info;
	uint8_t buf[IPC_MSG_MAX];
	struct utcp *u = client();
	struct ipc_msg m;

	fd =
	    utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, &info);
	ck_assert_int_ge(fd, 0);
	W.fin_port = info.local_port;
	W.fin_reply_fd = -1;
	W.syns = 0;
	W.syns_to_close = 8; /* closed once the connects flow */
	W.close_fd = fd;
	on_loop(probe_fn, &barrier); /* the loop sees them from here */
	for (int c = 0; c < CONNECT_STREAM_CLIENTS; c++) {
		raw[c] = raw_hello(IPC_VERSION_MAX, &hr);
		for (uint32_t i = 0; i < CONNECT_STREAM_EACH; i++) {
			int len = ipc_encode_tcp_connect(
			    buf, sizeof(buf), (uint8_t)hr.version, i + 2, &req);

			ck_assert_int_eq(send(raw[c], buf, (size_t)len, 0),
					 len);
		}
	}
	ck_assert(wait_until(fin_went));
	for (int c = 0; c < CONNECT_STREAM_CLIENTS; c++) {
		for (uint32_t i = 0; i < CONNECT_STREAM_EACH; i++) {
			raw_reply(raw[c], buf, sizeof(buf), &m, &passed);
			ck_assert_int_eq(ipc_decode_tcp_connect_reply(&m, &r),
					 0);
			ck_assert_int_eq(r.status, 0);
			ck_assert_int_ge(passed, 0);
			close(passed);
		}
		close(raw[c]);
	}
	on_loop(probe_fn, &barrier); /* W as the loop left it */
	ck_assert_uint_eq(W.syns, total);
	ck_assert_msg(W.syns_at_fin < total - CONNECT_STREAM_CLIENTS,
		      "the close went after %u of %u connects", W.syns_at_fin,
		      total);
	utcp_close(u);
}
END_TEST

struct slow_connect {
	struct utcp *u;
	int result;
	bool done; /* under H.mu */
};

static void *slow_connect_thread(void *arg)
{
	struct slow_connect *sc = arg;
	int r = utcp_tcp_connect(sc->u, in4(NOBODY_ADDR), TCP_ECHO, 1500, NULL,
				 0, NULL);

	pthread_mutex_lock(&H.mu);
	sc->result = r;
	sc->done = true;
	pthread_mutex_unlock(&H.mu);
	return NULL;
}

/* Whether the daemon's status (asked on u) shows a SYN_SENT connection. */
static bool status_shows_syn_sent(struct utcp *u)
{
	struct utcp_status *st;
	bool found = false;

	ck_assert_int_eq(utcp_status(u, &st), 0);
	for (size_t i = 0; i < st->n_tcp; i++)
		found |= st->tcp[i].state == UTCP_TCP_SYN_SENT;
	utcp_status_free(st);
	return found;
}

START_TEST(test_blocking_connect_does_not_stall_the_handles_other_calls)
{
	struct slow_connect sc = {.u = client()};
	pthread_t th;
	bool seen = false, done;

	ck_assert_int_eq(pthread_create(&th, NULL, slow_connect_thread, &sc),
			 0);
	/* Another thread's calls on the same handle are answered while
	 * the connect waits (it held the handle's lock for 1.5 s). */
	for (int ms = 0; ms < WAIT_MS && !seen; ms++) {
		seen = status_shows_syn_sent(sc.u);
		if (!seen)
			usleep(1000);
	}
	ck_assert(seen);
	pthread_mutex_lock(&H.mu);
	done = sc.done;
	pthread_mutex_unlock(&H.mu);
	ck_assert_msg(!done, "utcp_status waited for the connect");
	ck_assert_int_eq(utcp_barrier(sc.u), 0);
	pthread_join(th, NULL);
	ck_assert_int_eq(sc.result, -ETIMEDOUT);
	utcp_close(sc.u);
}
END_TEST

/* ---- shutdown(SHUT_RD) ------------------------------------------------ */

static int shut_rd_conn = -1; /* the daemon's id of the accepted one */

static void peer_sends_more_fn(void *arg)
{
	(void)tcp_send(W.peer.s, sim_now(H.sim), W.peer.active, arg,
		       strlen(arg));
}

static bool daemon_queues_what_arrived(void)
{
	struct stack_tcp_info info;

	return tcp_conn_info(H.d.stack, shut_rd_conn, &info) == 0 &&
	       info.state == TCPS_ESTABLISHED && info.recv_queue == 10;
}

static bool peer_got_after_shut_rd(void)
{
	return W.peer.got_len >= 5;
}

START_TEST(test_shutdown_rd_stops_reception_and_keeps_the_connection)
{
	struct utcp *u = client();
	struct utcp_tcp_info info;
	uint16_t port = 8081;
	char buf[16];
	int lfd, fd;

	lfd = utcp_tcp_listen(u, in4(0), port, 4, NULL, 0, NULL);
	ck_assert_int_ge(lfd, 0);
	on_loop(peer_connect_fn, &port);
	fd = utcp_tcp_accept4(lfd, &info, 0);
	ck_assert_int_ge(fd, 0);
	shut_rd_conn = info.id;
	recv_all(fd, buf, 9); /* the greeting */
	ck_assert_int_eq(shutdown(fd, SHUT_RD), 0);
	/* What arrives now is queued in the stack (as Linux queues it),
	 * not delivered, and the connection stays up (it was reset). */
	on_loop(peer_sends_more_fn, "0123456789");
	ck_assert(wait_until(daemon_queues_what_arrived));
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 0);
	/* the other direction still works */
	ck_assert_int_eq(utcp_tcp_send(fd, "after", 5), 5);
	ck_assert(wait_until(peer_got_after_shut_rd));
	ck_assert_mem_eq(W.peer.got, "after", 5);
	ck_assert(wait_until(daemon_queues_what_arrived));
	close(fd);
	close(lfd);
	utcp_close(u);
}
END_TEST

/* ---- calls on the wrong kind of socket -------------------------------- */

START_TEST(test_udp_calls_on_a_tcp_descriptor_are_refused)
{
	struct ipc_dgram_hdr err_hdr = {.flags = IPC_DGRAM_F_ERROR,
					.error = EHOSTUNREACH};
	uint8_t err_pkt[IPC_DGRAM_HDR_LEN];
	struct utcp *u = client();
	char buf[16];
	int pipefd[2];
	int fd =
	    utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL);

	ck_assert_int_ge(fd, 0);
	/* a datagram call would put its header in the byte stream */
	ck_assert_int_eq(utcp_send(fd, "abc", 3), -EOPNOTSUPP);
	ck_assert_int_eq(utcp_sendto(fd, "abc", 3, in4(PEER_ADDR), 7),
			 -EOPNOTSUPP);
	ck_assert_int_eq(utcp_recvfrom(fd, buf, sizeof(buf), NULL, NULL),
			 -EOPNOTSUPP);
	/* the stream is intact: only what the TCP calls sent comes back */
	ck_assert_int_eq(utcp_tcp_send(fd, "hello", 5), 5);
	recv_all(fd, buf, 5);
	ck_assert_mem_eq(buf, "hello", 5);
	/* nor does utcp_send()'s peek for a pending UDP error take stream
	 * bytes that look like an error packet */
	ipc_dgram_hdr_encode(err_pkt, &err_hdr);
	ck_assert_int_eq(utcp_tcp_send(fd, err_pkt, sizeof(err_pkt)),
			 sizeof(err_pkt));
	for (int ms = 0; ms < WAIT_MS && recv(fd, buf, sizeof(err_pkt),
					      MSG_PEEK | MSG_DONTWAIT) !=
					     (ssize_t)sizeof(err_pkt);
	     ms++)
		usleep(1000);
	ck_assert_int_eq(utcp_send(fd, "abc", 3), -EOPNOTSUPP);
	recv_all(fd, buf, sizeof(err_pkt));
	ck_assert_mem_eq(buf, err_pkt, sizeof(err_pkt));
	close(fd);
	/* not a socket at all */
	ck_assert_int_eq(pipe(pipefd), 0);
	ck_assert_int_eq(utcp_send(pipefd[1], "abc", 3), -ENOTSOCK);
	ck_assert_int_eq(utcp_recvfrom(pipefd[0], buf, sizeof(buf), NULL, NULL),
			 -ENOTSOCK);
	ck_assert_int_eq(utcp_tcp_error(pipefd[0]), -ENOTSOCK);
	close(pipefd[0]);
	close(pipefd[1]);
	utcp_close(u);
}
END_TEST

START_TEST(test_write_on_a_udp_descriptor_is_refused_and_the_socket_stays)
{
	struct utcp *u = client();
	struct in_addr from;
	uint16_t port;
	char buf[64];
	int fd = utcp_udp_bind(u, in4(0), 5003, 0);

	ck_assert_int_ge(fd, 0);
	/* Unconnected: write() has no destination. The socketpair takes
	 * the bytes; the daemon drops them and the next receive says why
	 * (it used to close the socket). */
	ck_assert_int_eq(write(fd, "hi", 2), 2);
	ck_assert_int_eq(utcp_recvfrom(fd, buf, sizeof(buf), NULL, NULL),
			 -EDESTADDRREQ);
	ck_assert_int_eq(utcp_sendto(fd, "ping", 4, in4(PEER_ADDR), UDP_ECHO),
			 4);
	ck_assert_int_eq(utcp_recvfrom(fd, buf, sizeof(buf), &from, &port), 4);
	ck_assert_mem_eq(buf, "ping", 4);
	close(fd);
	/* Connected: refused too (EINVAL), and the socket goes on. */
	fd = utcp_udp_connect(u, in4(PEER_ADDR), UDP_ECHO, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "hi", 2), 2);
	ck_assert_int_eq(utcp_recvfrom(fd, buf, sizeof(buf), NULL, NULL),
			 -EINVAL);
	ck_assert_int_eq(utcp_send(fd, "pong", 4), 4);
	ck_assert_int_eq(utcp_recvfrom(fd, buf, sizeof(buf), NULL, NULL), 4);
	ck_assert_mem_eq(buf, "pong", 4);
	/* The refusal is the socket's pending error: a send that finds it
	 * first returns it (and sends nothing), as for a route's error. */
	ck_assert_int_eq(write(fd, "hi", 2), 2);
	ck_assert(readable(fd));
	ck_assert_int_eq(utcp_send(fd, "lost", 4), -EINVAL);
	ck_assert_int_eq(utcp_send(fd, "sent", 4), 4);
	ck_assert_int_eq(utcp_recvfrom(fd, buf, sizeof(buf), NULL, NULL), 4);
	ck_assert_mem_eq(buf, "sent", 4);
	close(fd);
	utcp_close(u);
}
END_TEST

/* ---- the daemon stops --------------------------------------------------- */

static void control_stop_fn(void *arg)
{
	control_stop(&H.d);
}

START_TEST(test_daemon_stop_is_an_error_not_an_end_of_stream)
{
	struct utcp *u = client();
	char buf[8];
	int fd =
	    utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL);
	int nb = utcp_tcp_connect(u, in4(NOBODY_ADDR), TCP_ECHO, 5000, NULL,
				  UTCP_NONBLOCK, NULL);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(nb, 0);
	ck_assert_int_eq(utcp_tcp_send(fd, "abc", 3), 3);
	recv_all(fd, buf, 3);
	on_loop(control_stop_fn, NULL);
	/* a transfer cut off by the daemon's stop is not complete */
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), -ENETDOWN);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 0);
	/* a connect in progress fails with it */
	ck_assert(writable_within(nb, WAIT_MS) & POLLOUT);
	ck_assert_int_eq(utcp_tcp_error(nb), -ENETDOWN);
	close(nb);
	close(fd);
	utcp_close(u);
}
END_TEST

static bool no_listeners(void)
{
	struct stack_tcp_info info[8];
	size_t n = stack_tcp_snapshot(H.d.stack, daemon_now(), info, 8);

	for (size_t i = 0; i < n && i < 8; i++)
		if (info[i].listener)
			return false;
	return true;
}

START_TEST(test_write_on_a_listener_fails_with_epipe_and_it_goes_on)
{
	struct utcp *u = client();
	struct pollfd pfd = {.events = POLLIN};
	uint16_t port = 8082;
	char buf[16];
	int lfd, fd;

	signal(SIGPIPE, SIG_IGN);
	lfd = utcp_tcp_listen(u, in4(0), port, 4, NULL, 0, NULL);
	ck_assert_int_ge(lfd, 0);
	/* as on a listening kernel socket (it closed the listener) */
	ck_assert_int_eq(write(lfd, "x", 1), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(utcp_send(lfd, "x", 1), -EPIPE);
	ck_assert_int_eq(utcp_tcp_send(lfd, "x", 1), -EPIPE);
	on_loop(peer_connect_fn, &port);
	/* a connection waits to be accepted: still EPIPE, as the kernel's
	 * send() on a listener, not a connection's failure (-ECONNRESET) */
	pfd.fd = lfd;
	ck_assert_int_eq(poll(&pfd, 1, WAIT_MS), 1);
	ck_assert_int_eq(utcp_tcp_send(lfd, "x", 1), -EPIPE);
	fd = utcp_tcp_accept(lfd, NULL, NULL, 0);
	ck_assert_int_ge(fd, 0);
	recv_all(fd, buf, 9);
	ck_assert_mem_eq(buf, "from peer", 9);
	close(fd);
	/* closing the descriptor still closes the listener */
	close(lfd);
	ck_assert(wait_until(no_listeners));
	utcp_close(u);
}
END_TEST

/* ---- requests sent ahead of their replies ------------------------- */

/* The daemon reads no further request after one it answered (a client
 * waiting for its reply has sent nothing more): one that sends many at
 * once, beyond the per-wakeup budget (16) and the reply queue (8), still
 * gets every answer, in order, as the loop comes back to it. */
START_TEST(test_requests_sent_ahead_are_all_answered_in_order)
{
	enum { AHEAD = 40 };
	struct ipc_tcp_getopt req = {.id = 123456};
	struct ipc_tcp_getopt_reply r;
	struct ipc_hello_reply hr;
	uint8_t buf[IPC_MSG_MAX], version;
	struct ipc_msg m;
	int fd, passed, len, i;

	fd = raw_hello(IPC_VERSION_MAX, &hr);
	version = (uint8_t)hr.version;
	for (i = 0; i < AHEAD; i++) {
		len = ipc_encode_tcp_getopt(buf, sizeof(buf), version,
					    (uint32_t)(10 + i), &req);
		ck_assert_int_gt(len, 0);
		ck_assert_int_eq(send(fd, buf, (size_t)len, 0), len);
	}
	for (i = 0; i < AHEAD; i++) {
		raw_reply(fd, buf, sizeof(buf), &m, &passed);
		ck_assert_int_eq(passed, -1);
		ck_assert_uint_eq(m.id, (uint32_t)(10 + i));
		ck_assert_int_eq(ipc_decode_tcp_getopt_reply(&m, &r), 0);
		ck_assert_int_eq(r.status, -EBADF); /* no such connection */
	}
	close(fd);
}
END_TEST

/* ---- the daemon's blocking TCP_CONNECT (libutcp no longer sends it) --- */

START_TEST(test_blocking_connect_form_answers_when_the_connection_is_up)
{
	struct ipc_tcp_connect req = {.remote_addr = PEER_ADDR,
				      .remote_port = TCP_ECHO,
				      .timeout_ms = 5000};
	struct ipc_tcp_open_reply r;
	struct ipc_hello_reply hr;
	uint8_t version;
	char got[4];
	int fd, conn;

	fd = raw_hello(IPC_VERSION_MAX, &hr);
	version = (uint8_t)hr.version;
	/* without NONBLOCK: the reply comes once established, with it */
	conn = raw_tcp_connect(fd, version, 2, &req, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_ge(conn, 0);
	ck_assert_int_eq(utcp_tcp_error(conn), 0);
	ck_assert_int_eq(utcp_tcp_send(conn, "ping", 4), 4);
	recv_all(conn, got, 4);
	ck_assert_mem_eq(got, "ping", 4);
	close(conn);
	/* a refusal is the reply's status, without a descriptor */
	req.remote_port = TCP_ECHO + 1;
	conn = raw_tcp_connect(fd, version, 3, &req, &r);
	ck_assert_int_eq(r.status, -ECONNREFUSED);
	ck_assert_int_eq(conn, -1);
	close(fd);
}
END_TEST

/* ---- socket semantics as Linux's ------------------------------------ */

/* Linux's listen() on an unbound socket takes an ephemeral port
 * (autobind), and accept4() decides O_NONBLOCK by its own flags, not
 * the listener's. */
START_TEST(test_listen_without_port_takes_an_ephemeral_one)
{
	struct utcp *u = client();
	struct utcp_tcp_info info, second;
	uint16_t port;
	int lfd, lfd2, fd, fd2;

	lfd = utcp_tcp_listen(u, in4(0), 0, 4, NULL, UTCP_NONBLOCK, &info);
	ck_assert_int_ge(lfd, 0);
	ck_assert_uint_ge(info.local_port, TCP_PORT_FIRST_DEFAULT);
	ck_assert_uint_le(info.local_port, TCP_PORT_LAST_DEFAULT);
	lfd2 = utcp_tcp_listen(u, in4(0), 0, 4, NULL, 0, &second);
	ck_assert_int_ge(lfd2, 0);
	ck_assert_uint_ne(second.local_port, info.local_port);
	ck_assert_int_ne(fcntl(lfd, F_GETFL) & O_NONBLOCK, 0);

	port = info.local_port;
	on_loop(peer_connect_fn, &port);
	ck_assert_int_ge(W.peer.active, 0);
	ck_assert(readable(lfd));
	/* The listener is O_NONBLOCK (its connections come non-blocking
	 * from the daemon: TCP_NONBLOCK_END); the connection is not. */
	fd = utcp_tcp_accept4(lfd, &info, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(info.local_port, port);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
	/* ... and with UTCP_NONBLOCK, it is */
	on_loop(peer_connect_fn, &port);
	ck_assert_int_ge(W.peer.active, 0);
	ck_assert(readable(lfd));
	fd = utcp_tcp_accept4(lfd, &info, UTCP_NONBLOCK);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ne(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_eq(utcp_tcp_send(fd, "x", 1), 1);
	close(fd);

	port = second.local_port;
	on_loop(peer_connect_fn, &port);
	ck_assert_int_ge(W.peer.active, 0);
	/* A blocking listener, and UTCP_NONBLOCK asked of accept. */
	ck_assert(readable(lfd2));
	fd2 = utcp_tcp_accept4(lfd2, &second, UTCP_NONBLOCK);
	ck_assert_int_ge(fd2, 0);
	ck_assert_int_ne(fcntl(fd2, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_eq(fcntl(lfd2, F_GETFL) & O_NONBLOCK, 0);
	close(fd2);
	close(lfd2);
	close(lfd);
	utcp_close(u);
}
END_TEST

static int locked_conn = -1, unlocked_conn = -1;

/* The connection whose client set its receive buffer does not auto-tune
 * it (as Linux's SOCK_RCVBUF_LOCK); the one that left it does. */
static bool rcvbuf_locks_as_set(void)
{
	struct tcp_sockopts a, b;

	return tcp_get_sockopts(H.d.stack, locked_conn, &a) == 0 &&
	       tcp_get_sockopts(H.d.stack, unlocked_conn, &b) == 0 &&
	       a.rcvbuf_lock && !b.rcvbuf_lock;
}

/* Every option travels through the IPC, reads back as set (buffers
 * neither doubled nor clamped; a TTL left to the default as 64, as
 * Linux's getsockopt(IP_TTL)), and changes with TCP_SETOPT; only the
 * client's own connections are visible. */
START_TEST(test_tcp_options_read_back_as_set)
{
	struct utcp *u = client(), *other = client();
	struct utcp_tcp_opts o = {
	    .set = UTCP_TCP_OPT_SNDBUF | UTCP_TCP_OPT_RCVBUF |
		   UTCP_TCP_OPT_LINGER | UTCP_TCP_OPT_MAXSEG |
		   UTCP_TCP_OPT_TOS | UTCP_TCP_OPT_TTL | UTCP_TCP_OPT_NODELAY,
	    .nodelay = true,
	    .sndbuf = 3000,
	    .rcvbuf = 5000,
	    .linger = true,
	    .linger_s = 0,
	    .maxseg = 700,
	    .tos = 0x20,
	    .ttl = 9,
	};
	struct utcp_tcp_opts got,
	    change = {.set = UTCP_TCP_OPT_TOS | UTCP_TCP_OPT_LINGER,
		      .tos = 0x48,
		      .linger = true,
		      .linger_s = 30};
	struct utcp_tcp_info info, plain_info;
	int fd, plain;

	fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, &o, 0, &info);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(utcp_tcp_getopt(u, info.id, &got), 0);
	ck_assert_uint_eq(got.set, 0x7ff);
	ck_assert(got.nodelay);
	ck_assert(!got.keepalive);
	ck_assert_uint_eq(got.sndbuf, 3000);
	ck_assert_uint_eq(got.rcvbuf, 5000);
	ck_assert(got.linger);
	ck_assert_uint_eq(got.linger_s, 0);
	ck_assert_uint_eq(got.maxseg, 700);
	ck_assert_uint_eq(got.tos, 0x20);
	ck_assert_uint_eq(got.ttl, 9);

	ck_assert_int_eq(utcp_tcp_setopt(u, info.id, &change), 0);
	ck_assert_int_eq(utcp_tcp_getopt(u, info.id, &got), 0);
	ck_assert_uint_eq(got.tos, 0x48);
	ck_assert_uint_eq(got.linger_s, 30);
	ck_assert_uint_eq(got.ttl, 9); /* not in `set`: kept */
	ck_assert_uint_eq(got.maxseg, 700);

	plain = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0,
				 &plain_info);
	ck_assert_int_ge(plain, 0);
	ck_assert_int_eq(utcp_tcp_getopt(u, plain_info.id, &got), 0);
	ck_assert_uint_eq(got.ttl, 64);
	ck_assert_uint_eq(got.tos, 0);
	ck_assert_uint_eq(got.maxseg, 0);
	ck_assert(!got.linger);
	locked_conn = (int)info.id;
	unlocked_conn = (int)plain_info.id;
	struct probe pr = {rcvbuf_locks_as_set, false};
	on_loop(probe_fn, &pr);
	ck_assert(pr.result);

	ck_assert_int_eq(utcp_tcp_getopt(other, info.id, &got), -EBADF);
	ck_assert_int_eq(utcp_tcp_getopt(u, info.id + 1000, &got), -EBADF);
	ck_assert_int_eq(utcp_tcp_getopt(u, -1, &got), -EBADF);
	close(plain);
	close(fd);
	utcp_close(other);
	utcp_close(u);
}
END_TEST

static uint64_t peer_resets_before;

static bool peer_got_a_reset(void)
{
	return stack_counter_get(W.peer.s, STACK_CTR_tcp_rx_resets) >
	       peer_resets_before;
}

static void peer_resets_fn(void *arg)
{
	*(uint64_t *)arg = stack_counter_get(W.peer.s, STACK_CTR_tcp_rx_resets);
}

/* SO_LINGER 0: closing the descriptor resets the connection, as
 * Linux's close() does. */
START_TEST(test_close_with_linger_zero_resets_the_connection)
{
	struct utcp *u = client();
	struct utcp_tcp_opts o = {
	    .set = UTCP_TCP_OPT_LINGER, .linger = true, .linger_s = 0};
	char buf[4];
	int fd;

	fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, &o, 0, NULL);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(utcp_tcp_send(fd, "ping", 4), 4);
	recv_all(fd, buf, 4);
	on_loop(peer_resets_fn, &peer_resets_before);
	close(fd);
	ck_assert(wait_until(peer_got_a_reset));
	utcp_close(u);
}
END_TEST

struct udp_tos_probe {
	int sock;
	uint8_t tos, ttl;
};

static void udp_tos_fn(void *arg)
{
	struct udp_tos_probe *pr = arg;

	(void)udp_socket_get_tos_ttl(H.d.stack, pr->sock, &pr->tos, &pr->ttl);
}

/* IP_TOS and IP_TTL of a UDP socket travel through the IPC to the
 * stack's socket (test_udp.c has them on the wire); fields not set keep
 * theirs; another client's socket is not ours to change. */
START_TEST(test_udp_setopt_sets_tos_and_ttl)
{
	struct utcp *u = client(), *other = client();
	struct utcp_udp_opts both = {.set = UTCP_UDP_OPT_TOS | UTCP_UDP_OPT_TTL,
				     .tos = 0x28,
				     .ttl = 5},
			     tos_only = {.set = UTCP_UDP_OPT_TOS, .tos = 0x48},
			     bad = {.set = 0x4};
	struct utcp_udp_info info;
	struct udp_tos_probe pr;
	char buf[8];
	int fd =
	    utcp_udp_open(u, in4(0), 0, in4(PEER_ADDR), UDP_ECHO, 0, &info);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(utcp_udp_setopt(u, info.id, &both), 0);
	pr.sock = info.id;
	on_loop(udp_tos_fn, &pr);
	ck_assert_uint_eq(pr.tos, 0x28);
	ck_assert_uint_eq(pr.ttl, 5);
	ck_assert_int_eq(utcp_udp_setopt(u, info.id, &tos_only), 0);
	on_loop(udp_tos_fn, &pr);
	ck_assert_uint_eq(pr.tos, 0x48);
	ck_assert_uint_eq(pr.ttl, 5);
	/* the socket still works */
	ck_assert_int_eq(utcp_send(fd, "ping", 4), 4);
	ck_assert_int_eq(utcp_recvfrom(fd, buf, sizeof(buf), NULL, NULL), 4);
	ck_assert_int_eq(utcp_udp_setopt(other, info.id, &both), -EBADF);
	ck_assert_int_eq(utcp_udp_setopt(u, info.id + 100, &both), -EBADF);
	ck_assert_int_eq(utcp_udp_setopt(u, info.id, &bad), -EINVAL);
	close(fd);
	utcp_close(other);
	utcp_close(u);
}
END_TEST

static bool peer_got_bye;

static void peer_got_bye_fn(void *arg)
{
	peer_got_bye = W.peer.got_len == 3 && memcmp(W.peer.got, "bye", 3) == 0;
}

/* SO_LINGER with a time, as Linux's close(): utcp_tcp_close() returns
 * only once the peer has acknowledged everything, FIN included, so
 * the peer holds the last bytes when it returns. */
START_TEST(test_lingering_close_returns_once_all_is_acknowledged)
{
	struct utcp *u = client();
	struct utcp_tcp_opts o = {
	    .set = UTCP_TCP_OPT_LINGER, .linger = true, .linger_s = 5};
	struct utcp_tcp_info info;
	uint16_t port = 8082;
	char buf[16];
	int lfd, fd;

	lfd = utcp_tcp_listen(u, in4(0), port, 4, NULL, 0, NULL);
	ck_assert_int_ge(lfd, 0);
	on_loop(peer_connect_fn, &port);
	ck_assert_int_ge(W.peer.active, 0);
	fd = utcp_tcp_accept4(lfd, &info, 0);
	ck_assert_int_ge(fd, 0);
	recv_all(fd, buf, 9); /* the greeting: nothing is left unread */
	ck_assert_int_eq(utcp_tcp_setopt(u, info.id, &o), 0);
	ck_assert_int_eq(utcp_tcp_send(fd, "bye", 3), 3);
	ck_assert_int_eq(utcp_tcp_close(u, info.id, fd), 0);
	on_loop(peer_got_bye_fn, NULL);
	ck_assert(peer_got_bye);
	close(lfd);
	utcp_close(u);
}
END_TEST

static bool peer_has_bye(void)
{
	return W.peer.got_len == 3 && memcmp(W.peer.got, "bye", 3) == 0;
}

/* A call of the daemon's own code (linked in: the executable is linked
 * with --wrap=calloc and --wrap=epoll_ctl) fails once on the loop
 * thread after on_loop(inject_fn, &kind) armed it: calloc() with
 * ENOMEM, epoll_ctl() (not its EPOLL_CTL_DEL) with ENOSPC, as at the
 * user's max_user_watches. */
enum injected { INJECT_NONE, INJECT_CALLOC, INJECT_EPOLL_CTL, INJECT_CHUNK };
static enum injected injected; /* the loop thread's alone */

/* Is this call the one to fail (and the failure used up)? */
static bool injected_here(enum injected kind)
{
	if (injected != kind || !pthread_equal(pthread_self(), H.thread))
		return false;
	injected = INJECT_NONE;
	return true;
}

void *__real_calloc(size_t nmemb, size_t size);
void *__wrap_calloc(size_t nmemb, size_t size);

void *__wrap_calloc(size_t nmemb, size_t size)
{
	if (injected_here(INJECT_CALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_calloc(nmemb, size);
}

/* The daemon's send-buffer chunks come from its stack's chunk pool: one
 * allocation there fails when injected (as a failed malloc does). */
struct pkt *__real_pkt_alloc(struct pkt_pool *pool, size_t size);
struct pkt *__wrap_pkt_alloc(struct pkt_pool *pool, size_t size);

struct pkt *__wrap_pkt_alloc(struct pkt_pool *pool, size_t size)
{
	if (H.d.stack && pool == &H.d.stack->tcp->chunk_pool &&
	    injected_here(INJECT_CHUNK))
		return NULL;
	return __real_pkt_alloc(pool, size);
}

int __real_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int __wrap_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);

int __wrap_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	if (op != EPOLL_CTL_DEL && injected_here(INJECT_EPOLL_CTL)) {
		errno = ENOSPC;
		return -1;
	}
	return __real_epoll_ctl(epfd, op, fd, ev);
}

/* While set (on the loop: socketpair_fails_fn), every socketpair() of
 * the loop thread fails with socketpair_errno (EMFILE unless a test
 * says otherwise), and each failure counts in socketpairs_failed. */
static bool socketpair_fails;
static int socketpair_errno = EMFILE;
static unsigned socketpairs_failed;
/* While set too, every other socketpair() works (socketpairs_tried
 * counts them): descriptors freed one at a time. */
static bool socketpair_alternates;
static unsigned socketpairs_tried;

int __real_socketpair(int domain, int type, int protocol, int sv[2]);
int __wrap_socketpair(int domain, int type, int protocol, int sv[2]);

int __wrap_socketpair(int domain, int type, int protocol, int sv[2])
{
	if (socketpair_fails && pthread_equal(pthread_self(), H.thread) &&
	    !(socketpair_alternates && socketpairs_tried++ % 2)) {
		socketpairs_failed++;
		errno = socketpair_errno;
		return -1;
	}
	return __real_socketpair(domain, type, protocol, sv);
}

static void socketpair_fails_fn(void *arg)
{
	socketpair_fails = *(const bool *)arg;
}

static void inject_fn(void *arg)
{
	injected = *(const enum injected *)arg;
}

/* Has the failure armed been used? (on the loop) */
static void injected_used_fn(void *arg)
{
	*(bool *)arg = injected == INJECT_NONE;
}

/* With a failure of `kind` injected, a connect to the echo fails with
 * `err`, the injected failure was what failed it, and it leaves no
 * connection behind. */
static void connect_fails_with(struct utcp *u, enum injected kind, int err)
{
	bool used = false;

	on_loop(inject_fn, &kind);
	ck_assert_int_eq(
	    utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL),
	    err);
	on_loop(injected_used_fn, &used);
	ck_assert(used);
	ck_assert(wait_until(no_tcp_connections));
}

/* A connect takes a socketpair the daemon made before the request: with
 * every socketpair() failing, connects of both kinds (blocking and
 * non-blocking end) with the default send buffer still succeed, while
 * one that wants another send buffer, whose pair is made for it, fails
 * (out of descriptors); once pairs can be made again it gets one sized
 * for it. */
START_TEST(test_connect_takes_a_socketpair_made_ahead)
{
	struct utcp_tcp_opts own = {.set = UTCP_TCP_OPT_SNDBUF,
				    .sndbuf = 32768};
	struct utcp *u = client();
	bool on = true, off = false;
	int fd, size;
	socklen_t sl = sizeof(size);

	on_loop(socketpair_fails_fn, &on);
	for (int i = 0; i < 2; i++) {
		int kind = i ? UTCP_NONBLOCK : 0;

		fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL,
				      kind, NULL);
		ck_assert_int_ge(fd, 0);
		ck_assert(writable_within(fd, WAIT_MS) & POLLOUT);
		ck_assert_int_eq(utcp_tcp_error(fd), 0);
		close(fd);
	}
	ck_assert_int_eq(
	    utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, &own, 0, NULL),
	    -ENFILE);
	on_loop(socketpair_fails_fn, &off);
	fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, &own, 0, NULL);
	ck_assert_int_ge(fd, 0);
	/* half the send buffer, doubled by the kernel */
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, &sl), 0);
	ck_assert_int_eq(size, 32768 / 2);
	close(fd);
	utcp_close(u);
}
END_TEST

static int fds_before;

static bool fds_as_before(void)
{
	return open_fds() == fds_before;
}

/* With socketpair() failing (and still so on return), blocking
 * connects take every blocking pair made ahead, and one more fails
 * (-ENFILE). */
static void take_blocking_pairs_while_socketpair_fails(struct utcp *u)
{
	bool on = true;
	int fd;

	on_loop(socketpair_fails_fn, &on);
	for (int i = 0; i < CONTROL_TCP_SPARES; i++) {
		fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL,
				      0, NULL);
		ck_assert_int_ge(fd, 0);
		close(fd);
	}
	ck_assert_int_eq(
	    utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL),
	    -ENFILE);
}

/* A blocking connect while socketpair() fails takes a pair made ahead. */
static void connect_while_socketpair_fails(struct utcp *u)
{
	bool on = true, off = false;
	int fd;

	on_loop(socketpair_fails_fn, &on);
	fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL);
	on_loop(socketpair_fails_fn, &off);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

/* The pairs made ahead come back after socketpair() failed (out of
 * descriptors) long enough for connects to take them all: the connect
 * after it works again makes them anew, so that a connect while it
 * fails once more still takes one. (Without: the making stopped at the
 * failure and only a pair taken started it again, so none ever did.) */
START_TEST(test_pairs_made_ahead_come_back_after_socketpair_failed)
{
	struct utcp *u = client();
	bool off = false;
	int fd;

	fds_before = open_fds(); /* the pairs made ahead among them */
	take_blocking_pairs_while_socketpair_fails(u);
	on_loop(socketpair_fails_fn, &off);
	fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert(wait_until(fds_as_before)); /* its channel gone, pairs back */
	connect_while_socketpair_fails(u);
	utcp_close(u);
}
END_TEST

static bool spares_all_there(void)
{
	return control_tcp_spares_ready(H.d.control) == 2 * CONTROL_TCP_SPARES;
}

static bool spares_not_making(void)
{
	return !control_tcp_spares_making(H.d.control);
}

/* socketpair() failures counted (on the loop) at a point of a test, and
 * the pairs made ahead ready then. */
static unsigned failed_mark;
static unsigned ready_mark;

static void socketpairs_failed_fn(void *arg)
{
	*(unsigned *)arg = socketpairs_failed;
}

/* Has socketpair() failed eight more times since failed_mark? Seven of
 * them at least were the retry timer's (a connect's own pair is the
 * eighth): its wait, 10 ms doubled after each, is 640 ms or more now. */
static bool retry_waits_long(void)
{
	return socketpairs_failed >= failed_mark + 8;
}

/* Are pairs made ahead being made, or more of them ready than at
 * ready_mark? */
static bool spares_made_again(void)
{
	return control_tcp_spares_making(H.d.control) ||
	       control_tcp_spares_ready(H.d.control) > ready_mark;
}

static bool spares_retrying(void)
{
	return control_tcp_spares_retrying(H.d.control);
}

static void spares_ready_fn(void *arg)
{
	*(unsigned *)arg = control_tcp_spares_ready(H.d.control);
}

/* A kind of pair made ahead that is missing is made again when a
 * connection of the other kind comes, not only one of its own, and
 * without waiting for the retry timer: blocking connects take the
 * blocking ends' pairs while socketpair() fails (their making stops
 * until its retry timer, whose wait grows to 640 ms or more while it
 * fails); once it works, a non-blocking connect that makes its own pair
 * (another send buffer) starts the making again at once, the timer
 * still waiting, and both kinds are there; so a blocking connect while
 * it fails once more still takes one. (Without: only a blocking connect
 * started it again; the pairs came back only when the timer ended.) */
START_TEST(test_pairs_made_ahead_come_back_for_a_connect_of_the_other_kind)
{
	struct utcp_tcp_opts own = {.set = UTCP_TCP_OPT_SNDBUF,
				    .sndbuf = 32768};
	struct utcp *u = client();
	bool off = false;
	struct probe pr = {spares_made_again, false};
	int fd;

	take_blocking_pairs_while_socketpair_fails(u);
	on_loop(socketpairs_failed_fn, &failed_mark);
	ck_assert(wait_until(retry_waits_long));
	ck_assert(wait_until(spares_retrying)); /* at once: it waits */
	on_loop(spares_ready_fn, &ready_mark);
	on_loop(socketpair_fails_fn, &off);
	fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, &own,
			      UTCP_NONBLOCK, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	on_loop(probe_fn, &pr); /* at once: not a wait for the timer */
	ck_assert(pr.result);
	ck_assert(wait_until(spares_all_there));
	connect_while_socketpair_fails(u);
	utcp_close(u);
}
END_TEST

static uint64_t status_counter(struct utcp *u, const char *name);

/* The warnings logged about pairs made ahead (the loop thread logs). */
static volatile unsigned spare_warnings;

static void spare_warnings_hook(void *arg, int priority, const char *msg)
{
	(void)arg;
	if (priority <= LOG_WARNING && strstr(msg, "made ahead"))
		spare_warnings++;
}

static void socketpair_errno_fn(void *arg)
{
	socketpair_errno = *(const int *)arg;
	socketpairs_failed = 0;
}

/* Has socketpair() failed twice more since failed_mark (on the loop)? */
static bool socketpair_failed_twice_more(void)
{
	return socketpairs_failed >= failed_mark + 2;
}

/* Pairs made ahead that socketpair() (with `err`) failed to make are
 * tried again on a timer, with no connection coming: while it fails it
 * is tried again and again, each failure counted and the run logged
 * once; once it works every pair is back, still with no connection.
 * (Without the timer the making stopped at the first failure until a
 * connection came.) */
static void pairs_come_back_with_no_connection(int err)
{
	struct utcp *u = client();
	uint64_t counted = status_counter(u, "control_tcp_pairs_ahead_failed");
	bool off = false;

	ck_assert(wait_until(spares_all_there));
	on_loop(socketpair_errno_fn, &err);
	log_set_hook(spare_warnings_hook, NULL);
	spare_warnings = 0;
	take_blocking_pairs_while_socketpair_fails(u);
	on_loop(socketpairs_failed_fn, &failed_mark);
	ck_assert(wait_until(socketpair_failed_twice_more)); /* the timer's */
	ck_assert_uint_lt(control_tcp_spares_ready(H.d.control),
			  2 * CONTROL_TCP_SPARES);
	on_loop(socketpair_fails_fn, &off);
	ck_assert(wait_until(spares_all_there));
	log_set_hook(NULL, NULL);
	ck_assert_uint_eq(spare_warnings, 1); /* one run, one warning */
	ck_assert_uint_ge(
	    status_counter(u, "control_tcp_pairs_ahead_failed") - counted,
	    failed_mark + 2 - 1); /* the third connect's own pair too */
	utcp_close(u);
}

START_TEST(test_pairs_made_ahead_come_back_after_emfile_with_no_connection)
{
	pairs_come_back_with_no_connection(EMFILE);
}
END_TEST

START_TEST(test_pairs_made_ahead_come_back_after_enfile_with_no_connection)
{
	pairs_come_back_with_no_connection(ENFILE);
}
END_TEST

static void socketpair_alternates_fn(void *arg)
{
	socketpair_alternates = *(const bool *)arg;
	socketpairs_tried = 0;
}

static bool socketpair_failed_once_more(void)
{
	return socketpairs_failed > failed_mark;
}

/* At the descriptor limit for a while, connections coming and going:
 * each takes a pair made ahead that cannot be made again until a
 * descriptor is freed, and then every pair is back: a run of failures
 * per connection. One run in 1024 is logged, as one refused client in
 * 1024 is, not each. (Without: a warning, and a notice, per
 * connection.) */
START_TEST(test_pairs_made_ahead_failing_again_and_again_warn_once)
{
	struct utcp *u = client();
	bool on = true, off = false;
	int fd;

	ck_assert(wait_until(spares_all_there));
	log_set_hook(spare_warnings_hook, NULL);
	spare_warnings = 0;
	for (int i = 0; i < 4; i++) {
		on_loop(socketpairs_failed_fn, &failed_mark);
		on_loop(socketpair_fails_fn, &on);
		fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL,
				      0, NULL);
		ck_assert_int_ge(fd, 0); /* a pair made ahead */
		close(fd);
		ck_assert(wait_until(socketpair_failed_once_more));
		on_loop(socketpair_fails_fn, &off);
		ck_assert(wait_until(spares_all_there));
		ck_assert(wait_until(spares_not_making)); /* the run's end */
	}
	log_set_hook(NULL, NULL);
	ck_assert_uint_eq(spare_warnings, 1);
	ck_assert_uint_eq(status_counter(u, "control_tcp_pairs_ahead_failed"),
			  socketpairs_failed);
	utcp_close(u);
}
END_TEST

static void retry_next_fn(void *arg)
{
	*(double *)arg = control_tcp_spares_retry_next_s(H.d.control);
}

/* The retry's wait doubles from CONTROL_TCP_SPARE_RETRY_MIN_S (10 ms)
 * and stays at CONTROL_TCP_SPARE_RETRY_MAX_S (1 s) once it gets there:
 * after eight failures in a row it would be 2.56 s, after nine 5.12 s. */
START_TEST(test_pairs_made_ahead_retry_waits_at_most_a_second)
{
	struct utcp *u = client();
	bool off = false;
	double next;

	ck_assert(wait_until(spares_all_there));
	take_blocking_pairs_while_socketpair_fails(u);
	on_loop(socketpairs_failed_fn, &failed_mark);
	failed_mark--; /* the failed connect's own */
	ck_assert(wait_until(retry_waits_long));
	on_loop(retry_next_fn, &next);
	ck_assert(next == 1.0);
	on_loop(socketpairs_failed_fn, &failed_mark);
	ck_assert(wait_until(socketpair_failed_once_more));
	on_loop(retry_next_fn, &next);
	ck_assert(next == 1.0);
	on_loop(socketpair_fails_fn, &off);
	ck_assert(wait_until(spares_all_there));
	on_loop(retry_next_fn, &next);
	ck_assert(next == 0.01); /* back to the first wait */
	utcp_close(u);
}
END_TEST

/* Out of descriptors, with one freed now and then: each pair made is
 * followed by a failure for the next one. That is one run of failures:
 * one warning when it starts (a notice when every pair is back, below
 * the harness's log level), not one for each pair made. (Without: the
 * run ended at each pair made, and the next failure warned again.) */
START_TEST(test_pairs_made_ahead_failing_every_other_time_log_one_run)
{
	struct utcp *u = client();
	bool on = true, off = false;

	ck_assert(wait_until(spares_all_there));
	log_set_hook(spare_warnings_hook, NULL);
	spare_warnings = 0;
	take_blocking_pairs_while_socketpair_fails(u);
	on_loop(socketpair_alternates_fn, &on);
	ck_assert(wait_until(spares_all_there));
	ck_assert(wait_until(spares_not_making)); /* the run's end */
	on_loop(socketpair_fails_fn, &off);
	on_loop(socketpair_alternates_fn, &off);
	log_set_hook(NULL, NULL);
	ck_assert_uint_ge(socketpairs_failed, CONTROL_TCP_SPARES);
	ck_assert_uint_eq(spare_warnings, 1);
	utcp_close(u);
}
END_TEST

/* The lingering close's wait is allocated when it starts: when that
 * fails, utcp_tcp_close() says -ENOMEM at once rather than wait, and
 * the connection ends as a close without linger does (the peer gets
 * what was written); the client's requests flow on. (The descriptor's
 * number cannot be checked here: in one process the daemon reuses it.) */
START_TEST(test_lingering_close_out_of_memory_says_enomem_and_closes)
{
	struct utcp *u = client();
	struct utcp_tcp_opts o = {
	    .set = UTCP_TCP_OPT_LINGER, .linger = true, .linger_s = 5};
	struct utcp_tcp_info info;
	enum injected kind = INJECT_CALLOC;
	uint16_t port = 8084;
	char buf[16];
	bool used = false;
	int lfd, fd;

	lfd = utcp_tcp_listen(u, in4(0), port, 4, NULL, 0, NULL);
	ck_assert_int_ge(lfd, 0);
	on_loop(peer_connect_fn, &port);
	ck_assert_int_ge(W.peer.active, 0);
	fd = utcp_tcp_accept4(lfd, &info, 0);
	ck_assert_int_ge(fd, 0);
	recv_all(fd, buf, 9); /* the greeting: nothing is left unread */
	ck_assert_int_eq(utcp_tcp_setopt(u, info.id, &o), 0);
	ck_assert_int_eq(utcp_tcp_send(fd, "bye", 3), 3);
	on_loop(inject_fn, &kind);
	ck_assert_int_eq(utcp_tcp_close(u, info.id, fd), -ENOMEM);
	on_loop(injected_used_fn, &used);
	ck_assert(used); /* the failure was the linger's */
	ck_assert(wait_until(peer_has_bye));
	/* the client is not left waiting */
	ck_assert_int_eq(utcp_tcp_setopt(u, info.id, &o), -EBADF);
	close(lfd);
	utcp_close(u);
}
END_TEST

/* probe_conn's send buffer is empty: its chunks went back. */
static bool sndbuf_empty(void)
{
	struct tcp_conn *c = tcp_conn_get(H.d.stack, probe_conn);

	return c && c->sndbuf.len == 0 && !c->sndbuf.chunks.head;
}

/* tcp_send() takes less than tcp_send_space() promised (a chunk that
 * cannot be allocated): the bytes read from the application are lost,
 * so the connection fails as on the peer's RST: the peer gets a RST,
 * the application reads what had arrived, then the error once
 * (-ECONNRESET: the urgent byte), then the end of the stream, and its
 * writes fail with EPIPE. (Without: its end was closed with no urgent
 * byte, a clean end of the stream after the data.) */
START_TEST(test_tcp_send_out_of_memory_fails_the_connection)
{
	struct utcp *u = client();
	struct utcp_tcp_info info;
	enum injected kind = INJECT_CHUNK;
	struct pollfd pfd;
	bool used = false;
	char buf[16];
	int fd;

	fd =
	    utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, &info);
	ck_assert_int_ge(fd, 0);
	probe_conn = info.id;
	W.fin_port = info.local_port;
	W.fin_reply_fd = -1;
	ck_assert_int_eq(send(fd, "hello", 5, 0), 5);
	pfd = (struct pollfd){.fd = fd, .events = POLLIN};
	ck_assert_int_eq(poll(&pfd, 1, WAIT_MS), 1); /* echoed, not read */
	ck_assert(wait_until(sndbuf_empty)); /* the next send allocates */
	on_loop(inject_fn, &kind);
	ck_assert_int_eq(send(fd, "lost", 4, 0), 4);
	pfd.events = POLLPRI;
	ck_assert_int_eq(poll(&pfd, 1, WAIT_MS), 1);
	on_loop(injected_used_fn, &used);
	ck_assert(used);
	ck_assert(wait_until(fin_went));
	ck_assert(W.fin_was_rst);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 5);
	ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), -ECONNRESET);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 0);
	ck_assert_int_eq(send(fd, "x", 1, MSG_NOSIGNAL), -1);
	ck_assert_int_eq(errno, EPIPE);
	close(fd);
	utcp_close(u);
	ck_assert(wait_until(no_tcp_connections));
}
END_TEST

/* A connect's own state is allocated with it: when that fails, the
 * connect answers -ENOMEM and leaves nothing behind; the next one works. */
START_TEST(test_tcp_connect_out_of_memory_says_enomem)
{
	struct utcp *u = client();
	int fd;

	connect_fails_with(u, INJECT_CALLOC, -ENOMEM);
	fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	utcp_close(u);
}
END_TEST

/* Is the descriptor that was `fd` (its identity: *was) closed? The
 * daemon, in this process, may have taken the number again since (a
 * pair made ahead in its thread): then it names another file. */
static bool fd_closed(int fd, const struct stat *was)
{
	struct stat now;

	return fstat(fd, &now) < 0 || now.st_dev != was->st_dev ||
	       now.st_ino != was->st_ino;
}

/* Facing a peer that never reads, the lingering close gives up after
 * linger_s and returns 0 (as Linux's close), the connection finishing
 * in the background with its data still queued. */
START_TEST(test_lingering_close_gives_up_after_the_linger_time)
{
	struct utcp *u = client(), *other = client();
	struct utcp_tcp_opts o = {
	    .set = UTCP_TCP_OPT_LINGER, .linger = true, .linger_s = 1};
	static char chunk[16384];
	struct utcp_tcp_info info;
	struct utcp_status *st;
	struct probe pr = {shut_and_full, false};
	uint32_t queued = 0;
	struct stat st2, st3;
	int fd, fd2, fd3;

	fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_SINK, 5000, &o,
			      UTCP_NONBLOCK, &info);
	ck_assert_int_ge(fd, 0);
	/* Until the peer's window is shut and the send buffer full, as the
	 * daemon sees it (not a quiet spell on the descriptor, which a
	 * loaded machine gives early). */
	probe_conn = info.id;
	for (int ms = 0; ms < WAIT_MS && !pr.result; ms++) {
		while (utcp_tcp_send(fd, chunk, sizeof(chunk)) > 0)
			;
		usleep(1000);
		on_loop(probe_fn, &pr);
	}
	ck_assert_msg(pr.result, "the sink's window never shut");
	ck_assert_int_eq(utcp_tcp_close(u, info.id, fd), 0);
	ck_assert_int_eq(utcp_status(u, &st), 0);
	for (size_t i = 0; i < st->n_tcp; i++)
		if (!st->tcp[i].listener && st->tcp[i].id == info.id)
			queued = st->tcp[i].send_queue;
	utcp_status_free(st);
	ck_assert_uint_gt(queued, 0);

	/* Another client's connection, named with another connection's
	 * descriptor: -EBADF, and that descriptor is closed all the
	 * same. With its own descriptor (proof of possession) the other
	 * client's close lingers as its maker's would: the echo
	 * acknowledges everything, so it returns 0. */
	fd2 = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, &o, 0, &info);
	ck_assert_int_ge(fd2, 0);
	fd3 = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, &o, 0, NULL);
	ck_assert_int_ge(fd3, 0);
	ck_assert_int_eq(fstat(fd2, &st2), 0);
	ck_assert_int_eq(fstat(fd3, &st3), 0);
	ck_assert_int_eq(utcp_tcp_close(other, info.id, fd3), -EBADF);
	ck_assert(fd_closed(fd3, &st3));
	ck_assert_int_eq(utcp_tcp_close(other, info.id, fd2), 0);
	ck_assert(fd_closed(fd2, &st2));
	utcp_close(other);
	utcp_close(u);
}
END_TEST

/* ---- sockets shared across processes: proof by descriptor, OWN_FD -- */

/* The HELLO reply announces what this daemon can do. */
START_TEST(test_hello_announces_fd_proof_tcp_info_and_own_fd)
{
	struct ipc_hello_reply hr;
	int fd = raw_hello(IPC_VERSION_MAX, &hr);

	ck_assert_uint_eq(hr.capabilities & IPC_CAP_FD_PROOF, IPC_CAP_FD_PROOF);
	ck_assert_uint_eq(hr.capabilities & IPC_CAP_TCP_INFO, IPC_CAP_TCP_INFO);
	ck_assert_uint_eq(hr.capabilities & IPC_CAP_UDP_OWN_FD,
			  IPC_CAP_UDP_OWN_FD);
	close(fd);
}
END_TEST

/* A connection made by client A (as after fork or exec, another
 * process's handle is another client): B may set and read its options
 * only with the connection's descriptor, and A reads back what B set;
 * another connection's descriptor, or a file that is no socket, proves
 * nothing, even to A. */
START_TEST(test_tcp_options_by_descriptor_from_another_client)
{
	struct utcp *a = client(), *b = client();
	struct utcp_tcp_opts set = {.set = UTCP_TCP_OPT_NODELAY |
					   UTCP_TCP_OPT_KEEPIDLE |
					   UTCP_TCP_OPT_TOS,
				    .nodelay = true,
				    .keepidle_s = 77,
				    .tos = 0x28},
			     got;
	struct utcp_tcp_info info, info2;
	int fd, fd2, devnull;
	char buf[4];

	fd =
	    utcp_tcp_connect(a, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, &info);
	ck_assert_int_ge(fd, 0);
	fd2 = utcp_tcp_connect(a, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0,
			       &info2);
	ck_assert_int_ge(fd2, 0);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(devnull, 0);

	/* without a descriptor: the old rule, the maker only */
	ck_assert_int_eq(utcp_tcp_setopt(b, info.id, &set), -EBADF);
	ck_assert_int_eq(utcp_tcp_getopt(b, info.id, &got), -EBADF);
	/* with it: anyone holding it */
	ck_assert_int_eq(utcp_tcp_setopt_fd(b, info.id, fd, &set), 0);
	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(utcp_tcp_getopt_fd(b, info.id, fd, &got), 0);
	ck_assert(got.nodelay);
	ck_assert_uint_eq(got.keepidle_s, 77);
	ck_assert_uint_eq(got.tos, 0x28);
	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(utcp_tcp_getopt(a, info.id, &got), 0);
	ck_assert(got.nodelay);
	ck_assert_uint_eq(got.keepidle_s, 77);
	ck_assert_uint_eq(got.tos, 0x28);

	/* a descriptor that is not this connection's */
	ck_assert_int_eq(utcp_tcp_setopt_fd(b, info.id, fd2, &set), -EBADF);
	ck_assert_int_eq(utcp_tcp_getopt_fd(b, info.id, fd2, &got), -EBADF);
	ck_assert_int_eq(utcp_tcp_getopt_fd(a, info.id, fd2, &got), -EBADF);
	ck_assert_int_eq(utcp_tcp_setopt_fd(b, info.id, devnull, &set), -EBADF);
	ck_assert_int_eq(utcp_tcp_getopt_fd(b, info.id + 1000, fd, &got),
			 -EBADF);
	ck_assert_int_eq(utcp_tcp_getopt_fd(b, info.id, -1, &got), -EBADF);
	/* the descriptors sent stay ours and work; the handles too */
	ck_assert_int_eq(fcntl(devnull, F_GETFD), FD_CLOEXEC);
	ck_assert_int_eq(utcp_tcp_send(fd, "ping", 4), 4);
	recv_all(fd, buf, 4);
	ck_assert_mem_eq(buf, "ping", 4);
	ck_assert_int_eq(utcp_tcp_getopt_fd(b, info2.id, fd2, &got), 0);
	ck_assert(!got.nodelay);
	close(devnull);
	close(fd2);
	close(fd);
	utcp_close(b);
	utcp_close(a);
}
END_TEST

/* UDP_SETOPT by descriptor, from a client that did not open the
 * socket. */
START_TEST(test_udp_setopt_by_descriptor_from_another_client)
{
	struct utcp *a = client(), *b = client();
	struct utcp_udp_opts both = {
	    .set = UTCP_UDP_OPT_TOS | UTCP_UDP_OPT_TTL, .tos = 0x28, .ttl = 5};
	struct utcp_udp_info info, info2;
	struct udp_tos_probe pr;
	int fd, fd2;

	fd = utcp_udp_open(a, in4(0), 0, in4(PEER_ADDR), UDP_ECHO, 0, &info);
	ck_assert_int_ge(fd, 0);
	fd2 = utcp_udp_open(a, in4(0), 0, in4(PEER_ADDR), UDP_ECHO, 0, &info2);
	ck_assert_int_ge(fd2, 0);
	ck_assert_int_eq(utcp_udp_setopt(b, info.id, &both), -EBADF);
	ck_assert_int_eq(utcp_udp_setopt_fd(b, info.id, fd2, &both), -EBADF);
	ck_assert_int_eq(utcp_udp_setopt_fd(b, info.id, fd, &both), 0);
	pr.sock = info.id;
	on_loop(udp_tos_fn, &pr);
	ck_assert_uint_eq(pr.tos, 0x28);
	ck_assert_uint_eq(pr.ttl, 5);
	close(fd2);
	close(fd);
	utcp_close(b);
	utcp_close(a);
}
END_TEST

/* Sends one request packet with the descriptors fds[0..n). */
static void send_with_fds(int sock, const void *buf, size_t len, const int *fds,
			  size_t n)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} cbuf;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cmsg;

	ck_assert_uint_le(n, 4);
	memset(&cbuf, 0, sizeof(cbuf));
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * n);
	ck_assert_int_eq(sendmsg(sock, &msg, MSG_NOSIGNAL), (ssize_t)len);
}

/* True once the daemon closed the connection (EOF or a reset). */
static bool raw_closed(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	uint8_t b[IPC_MSG_MAX];

	for (int ms = 0; ms < WAIT_MS; ms += 10) {
		if (poll(&pfd, 1, 10) == 1) {
			ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);

			if (n <= 0)
				return n == 0 || errno == ECONNRESET;
		}
	}
	return false;
}

/* The descriptor sent as proof is closed as soon as the request is
 * read: the write end of a pipe sent, and ours closed, the read end
 * sees EOF. */
static bool pipe_writers_gone(int rd)
{
	struct pollfd pfd = {.fd = rd, .events = POLLIN};
	char b;

	return poll(&pfd, 1, WAIT_MS) == 1 && read(rd, &b, 1) == 0;
}

/* One descriptor with an options request is a proof (and closed at
 * once); with any other request, or two with an options request, it is
 * a protocol error, as any descriptor was before. */
START_TEST(test_descriptors_with_requests_other_than_options_disconnect)
{
	struct ipc_tcp_getopt get = {.id = 0};
	struct ipc_status_only_reply br;
	struct ipc_tcp_getopt_reply gr;
	struct ipc_hello_reply hr;
	uint8_t buf[IPC_MSG_MAX], version;
	struct ipc_msg m;
	int fd, len, passed, p[2], two[2];

	fd = raw_hello(IPC_VERSION_MAX, &hr);
	version = (uint8_t)hr.version;
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	len = ipc_encode_tcp_getopt(buf, sizeof(buf), version, 2, &get);
	send_with_fds(fd, buf, (size_t)len, &p[1], 1);
	close(p[1]);
	raw_reply(fd, buf, sizeof(buf), &m, &passed);
	ck_assert_int_eq(ipc_decode_tcp_getopt_reply(&m, &gr), 0);
	ck_assert_int_eq(gr.status, -EBADF); /* a pipe proves nothing */
	ck_assert_int_eq(passed, -1);
	ck_assert(pipe_writers_gone(p[0]));
	close(p[0]);
	/* the connection goes on */
	len = ipc_encode_barrier(buf, sizeof(buf), version, 3);
	ck_assert_int_eq(send(fd, buf, (size_t)len, 0), len);
	raw_reply(fd, buf, sizeof(buf), &m, &passed);
	ck_assert_int_eq(ipc_decode_barrier_reply(&m, &br), 0);
	/* a descriptor with a BARRIER */
	ck_assert_int_eq(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, two), 0);
	len = ipc_encode_barrier(buf, sizeof(buf), version, 4);
	send_with_fds(fd, buf, (size_t)len, &two[0], 1);
	ck_assert(raw_closed(fd));
	close(fd);
	/* two descriptors with an options request */
	fd = raw_hello(IPC_VERSION_MAX, &hr);
	len = ipc_encode_tcp_getopt(buf, sizeof(buf), version, 2, &get);
	send_with_fds(fd, buf, (size_t)len, two, 2);
	ck_assert(raw_closed(fd));
	close(fd);
	close(two[0]);
	close(two[1]);
}
END_TEST

/* The value of the STATUS counter `name` (fails when there is none). */
static uint64_t status_counter(struct utcp *u, const char *name)
{
	struct utcp_status *st;
	uint64_t v = 0;
	bool found = false;

	ck_assert_int_eq(utcp_status(u, &st), 0);
	for (size_t i = 0; i < st->n_counters; i++) {
		if (strcmp(st->counters[i].name, name) == 0) {
			v = st->counters[i].value;
			found = true;
		}
	}
	utcp_status_free(st);
	ck_assert_msg(found, "no counter %s", name);
	return v;
}

/* A raw connection to the control socket, nothing said yet. */
static int raw_connect(void)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	memcpy(addr.sun_path, H.path, strlen(H.path) + 1);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)),
			 0);
	return fd;
}

/* Sends `len` bytes of buf on fd (with HELLO first when `hello`) and
 * checks the daemon closes the connection. */
static void garbage_closes(bool hello, const uint8_t *buf, size_t len)
{
	struct ipc_hello_reply hr;
	int fd = hello ? raw_hello(IPC_VERSION_MAX, &hr) : raw_connect();

	ck_assert_int_eq(send(fd, buf, len, 0), (ssize_t)len);
	ck_assert(raw_closed(fd));
	close(fd);
}

/* The TCP connection fd still carries data both ways. */
static void echo_moves(int fd)
{
	char buf[8];

	ck_assert_int_eq(utcp_tcp_send(fd, "payload!", 8), 8);
	recv_all(fd, buf, 8);
	ck_assert_mem_eq(buf, "payload!", 8);
}

/* A client that sends garbage (a bad magic, version or length, a
 * message too long, a request before HELLO, a second HELLO, a reply,
 * a request with a bad body) is disconnected and counted by reason;
 * another client's established TCP connection keeps moving data, and
 * its control connection keeps working. */
START_TEST(test_garbage_disconnects_and_is_counted_others_move_data)
{
	struct ipc_hello hello = {IPC_VERSION_MIN, IPC_VERSION_MAX};
	struct utcp *u = client();
	uint8_t good[IPC_MSG_MAX], bad[IPC_MSG_MAX + 64];
	uint64_t malformed, before, bad_req;
	int fd, len;

	fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL);
	ck_assert_int_ge(fd, 0);
	echo_moves(fd);
	malformed = status_counter(u, "control_dropped_malformed");
	before = status_counter(u, "control_dropped_before_hello");
	bad_req = status_counter(u, "control_dropped_bad_request");

	len = ipc_encode_hello(good, sizeof(good), 1, &hello);
	ck_assert_int_gt(len, 0);
	memcpy(bad, good, (size_t)len);
	bad[0] ^= 0xff; /* magic */
	garbage_closes(false, bad, (size_t)len);
	memcpy(bad, good, (size_t)len);
	bad[2] = 0xee; /* header version */
	garbage_closes(false, bad, (size_t)len);
	memcpy(bad, good, (size_t)len);
	bad[11] ^= 0x40; /* length: not the packet's */
	garbage_closes(false, bad, (size_t)len);
	garbage_closes(false, bad, 5);	/* shorter than a header */
	memset(bad, 0x55, sizeof(bad)); /* longer than any message */
	garbage_closes(true, bad, sizeof(bad));
	echo_moves(fd);
	ck_assert_uint_eq(status_counter(u, "control_dropped_malformed"),
			  malformed + 5);

	len = ipc_encode_barrier(good, sizeof(good), IPC_VERSION_MAX, 7);
	garbage_closes(false, good, (size_t)len); /* before HELLO */
	ck_assert_uint_eq(status_counter(u, "control_dropped_before_hello"),
			  before + 1);

	len = ipc_encode_hello(good, sizeof(good), 8, &hello);
	garbage_closes(true, good, (size_t)len); /* a second HELLO */
	len = ipc_encode_barrier(good, sizeof(good), IPC_VERSION_MAX, 9);
	memcpy(bad, good, (size_t)len);
	memset(bad + len, 0, 4); /* a body BARRIER has not */
	bad[11] = (uint8_t)(bad[11] + 4);
	garbage_closes(true, bad, (size_t)len + 4);
	memcpy(bad, good, (size_t)len);
	bad[4] |= (uint8_t)(IPC_T_REPLY >> 8); /* a reply */
	bad[5] |= (uint8_t)IPC_T_REPLY;
	garbage_closes(true, bad, (size_t)len);
	ck_assert_uint_eq(status_counter(u, "control_dropped_bad_request"),
			  bad_req + 3);
	echo_moves(fd);
	close(fd);
	utcp_close(u);
}
END_TEST

/* Sends BARRIER requests on fd without reading a reply until the
 * socket takes no more for 100 ms (the daemon stopped reading); returns
 * how many went. */
static uint32_t pipeline_until_full(int fd, uint8_t version)
{
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	uint32_t id = 1;

	while (id < 1000000) {
		int len = ipc_encode_barrier(buf, sizeof(buf), version, id);

		if (send(fd, buf, (size_t)len, MSG_DONTWAIT) == len) {
			id++;
			continue;
		}
		ck_assert_int_eq(errno, EAGAIN);
		if (!(writable_within(fd, 100) & POLLOUT))
			break;
	}
	ck_assert_uint_lt(id, 1000000); /* bounded */
	return id - 1;
}

/* The newest client: the one the test connected last. */
static struct control_client *newest_client(void)
{
	return H.d.control->clients;
}

static bool newest_stalled(void)
{
	const struct control_client *c = newest_client();

	return c && c->outq_count <= CONTROL_OUTQ_MAX &&
	       !ev_is_active(&c->read_watcher);
}

static void shorten_send_timeout_fn(void *arg)
{
	H.d.control->send_timeout_s = *(double *)arg;
}

/* True when the daemon hung up on fd (its replies may still wait). */
static bool hung_up_within(int fd, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = 0};

	for (int t = 0; t < ms; t += 10) {
		if (poll(&pfd, 1, 10) == 1 && (pfd.revents & POLLHUP))
			return true;
	}
	return false;
}

/* A client that pipelines requests without reading a reply stalls only
 * itself, as a writer facing a full socket buffer: the daemon stops
 * reading its requests once CONTROL_OUTQ_MAX replies wait, so it holds
 * a bounded amount for it; another client's requests and its TCP
 * connection go on meanwhile; once the pipeliner reads, every request
 * is answered in order, none lost. One that never reads is disconnected
 * at the send timeout and counted. */
START_TEST(test_pipelining_without_reading_stalls_only_that_client)
{
	struct utcp *u = client();
	struct ipc_hello_reply hr;
	struct ipc_status_only_reply br;
	struct ipc_msg m;
	uint8_t buf[IPC_MSG_MAX];
	struct utcp_status *st;
	double timeout = 0.3;
	uint64_t dropped;
	uint32_t sent;
	int fd, raw, passed;

	fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL);
	ck_assert_int_ge(fd, 0);
	raw = raw_hello(IPC_VERSION_MAX, &hr);
	sent = pipeline_until_full(raw, (uint8_t)hr.version);
	ck_assert_uint_gt(sent, CONTROL_OUTQ_MAX);
	ck_assert(wait_until(newest_stalled));
	/* the others are not held up */
	ck_assert_int_eq(utcp_status(u, &st), 0);
	utcp_status_free(st);
	echo_moves(fd);
	/* reading, the pipeliner gets every reply, in order */
	for (uint32_t id = 1; id <= sent; id++) {
		raw_reply(raw, buf, sizeof(buf), &m, &passed);
		ck_assert_uint_eq(m.id, id);
		ck_assert_int_eq(ipc_decode_barrier_reply(&m, &br), 0);
	}
	close(raw);

	/* one that never reads is dropped at the send timeout */
	dropped = status_counter(u, "control_dropped_not_reading");
	on_loop(shorten_send_timeout_fn, &timeout);
	raw = raw_hello(IPC_VERSION_MAX, &hr);
	(void)pipeline_until_full(raw, (uint8_t)hr.version);
	ck_assert(hung_up_within(raw, WAIT_MS));
	close(raw);
	ck_assert_uint_eq(status_counter(u, "control_dropped_not_reading"),
			  dropped + 1);
	echo_moves(fd);
	close(fd);
	utcp_close(u);
}
END_TEST

/* The daemon cannot watch a connection's end (epoll_ctl fails): rather
 * than a connection that never reads again, or never notices its
 * application's exit, unseen, it resets it and counts it, and the
 * application reads the urgent byte ECONNABORTED: a connect fails with
 * it (the end could not be added), an established connection reads it
 * and then EOF (here its watch could not be changed when the
 * application shut its side). The next connection works. */
START_TEST(test_tcp_connection_the_daemon_cannot_watch_is_reset_and_counted)
{
	struct utcp *u = client();
	uint64_t before = status_counter(u, "control_tcp_unwatchable");
	enum injected kind = INJECT_EPOLL_CTL;
	bool used = false;
	char buf[8];
	int fd;

	/* The connect fails with it, or, when the SYN-ACK was read in the
	 * request's own turn (held_turn_cb) and the reply went before the
	 * end was watched, its descriptor reads it first. */
	on_loop(inject_fn, &kind);
	fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL);
	if (fd >= 0) {
		ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0),
				 -ECONNABORTED);
		close(fd);
	} else {
		ck_assert_int_eq(fd, -ECONNABORTED);
	}
	on_loop(injected_used_fn, &used);
	ck_assert(used);
	ck_assert(wait_until(no_tcp_connections));
	ck_assert_uint_eq(status_counter(u, "control_tcp_unwatchable"),
			  before + 1);
	used = false;

	fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL);
	ck_assert_int_ge(fd, 0);
	echo_moves(fd);
	on_loop(inject_fn, &kind);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), -ECONNABORTED);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 0);
	on_loop(injected_used_fn, &used);
	ck_assert(used);
	ck_assert_uint_eq(status_counter(u, "control_tcp_unwatchable"),
			  before + 2);
	ck_assert(wait_until(no_tcp_connections));
	close(fd);

	fd = utcp_tcp_connect(u, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, NULL);
	ck_assert_int_ge(fd, 0);
	echo_moves(fd);
	close(fd);
	utcp_close(u);
}
END_TEST

/* A non-blocking connect still in progress after its held turn gets
 * its descriptor then, and the daemon watches that end for an early
 * close: when it cannot, the connect fails with ECONNABORTED, the
 * descriptor becomes writable with that error, and nothing is left. */
START_TEST(test_nonblocking_connect_the_daemon_cannot_watch_fails)
{
	struct utcp *u = client();
	uint64_t before = status_counter(u, "control_tcp_unwatchable");
	enum injected kind = INJECT_EPOLL_CTL;
	bool used = false;
	char buf[8];
	int fd;

	on_loop(inject_fn, &kind);
	fd = utcp_tcp_connect(u, in4(NOBODY_ADDR), TCP_ECHO, 5000, NULL,
			      UTCP_NONBLOCK, NULL);
	ck_assert_int_ge(fd, 0);
	on_loop(injected_used_fn, &used);
	ck_assert(used);
	ck_assert(writable_within(fd, WAIT_MS) & POLLOUT);
	ck_assert_int_eq(utcp_tcp_error(fd), -ECONNABORTED);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), -ECONNABORTED);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 0);
	ck_assert_uint_eq(status_counter(u, "control_tcp_unwatchable"),
			  before + 1);
	ck_assert(wait_until(no_tcp_connections));
	close(fd);
	utcp_close(u);
}
END_TEST

/* Nor an accepted connection's end: that connection is reset before it
 * is announced (the peer sees the reset, the application nothing), it
 * is counted, and the listener goes on accepting. */
START_TEST(test_accepted_connection_the_daemon_cannot_watch_is_reset)
{
	struct utcp *u = client();
	uint64_t before = status_counter(u, "control_tcp_unwatchable");
	enum injected kind = INJECT_EPOLL_CTL;
	uint16_t port = 8093;
	struct pollfd pfd;
	char buf[16];
	int lfd, fd;

	lfd = utcp_tcp_listen(u, in4(0), port, 4, NULL, 0, NULL);
	ck_assert_int_ge(lfd, 0);
	on_loop(inject_fn, &kind);
	on_loop(peer_connect_again_fn, &port);
	ck_assert_int_ge(second_peer_conn, 0);
	ck_assert(wait_until(second_peer_conn_reset));
	pfd = (struct pollfd){.fd = lfd, .events = POLLIN};
	ck_assert_int_eq(poll(&pfd, 1, 100), 0);
	ck_assert_uint_eq(status_counter(u, "control_tcp_unwatchable"),
			  before + 1);
	on_loop(peer_connect_fn, &port);
	fd = utcp_tcp_accept(lfd, NULL, NULL, 0);
	ck_assert_int_ge(fd, 0);
	recv_all(fd, buf, 9);
	ck_assert_mem_eq(buf, "from peer", 9);
	close(fd);
	close(lfd);
	utcp_close(u);
}
END_TEST

/* Nor can it watch a listener's end: the daemon would not notice the
 * application closing it, and the port would stay taken until the
 * daemon stops. So the listen fails with epoll_ctl's error, and leaves
 * the port free: the next listen on it works. */
START_TEST(test_tcp_listener_the_daemon_cannot_watch_is_refused)
{
	struct utcp *u = client();
	enum injected kind = INJECT_EPOLL_CTL;
	bool used = false;
	int lfd;

	on_loop(inject_fn, &kind);
	ck_assert_int_eq(utcp_tcp_listen(u, in4(0), 8090, 4, NULL, 0, NULL),
			 -ENOSPC);
	on_loop(injected_used_fn, &used);
	ck_assert(used);
	lfd = utcp_tcp_listen(u, in4(0), 8090, 4, NULL, 0, NULL);
	ck_assert_int_ge(lfd, 0);
	close(lfd);
	utcp_close(u);
}
END_TEST

struct access_call {
	struct config cfg;
	int result;
};

static void socket_access_fn(void *arg)
{
	struct access_call *a = arg;

	a->result = control_socket_access(&H.d, &a->cfg);
}

/* The socket's owner, group and mode can be given again while the
 * daemon runs (a reload): the file changes, a connected client keeps
 * working, and an owner or group left unset is left as it is. */
START_TEST(test_socket_access_applies_to_the_running_socket)
{
	static struct access_call a;
	struct utcp *u = client();
	struct utcp_status *st;
	struct stat sb;

	memset(&a, 0, sizeof(a));
	a.cfg.socket_mode = 0640;
	a.cfg.socket_owner_set = true;
	a.cfg.socket_owner = 4241;
	a.cfg.socket_group_set = true;
	a.cfg.socket_group = 4242;
	on_loop(socket_access_fn, &a);
	ck_assert_int_eq(a.result, 0);
	ck_assert_int_eq(stat(H.path, &sb), 0);
	ck_assert_uint_eq(sb.st_uid, 4241);
	ck_assert_uint_eq(sb.st_gid, 4242);
	ck_assert_uint_eq(sb.st_mode & 07777, 0640);
	ck_assert_int_eq(utcp_status(u, &st), 0);
	utcp_status_free(st);
	a.cfg.socket_owner_set = false;
	a.cfg.socket_group_set = false;
	a.cfg.socket_mode = 0600;
	on_loop(socket_access_fn, &a);
	ck_assert_int_eq(a.result, 0);
	ck_assert_int_eq(stat(H.path, &sb), 0);
	ck_assert_uint_eq(sb.st_uid, 4241);
	ck_assert_uint_eq(sb.st_gid, 4242);
	ck_assert_uint_eq(sb.st_mode & 07777, 0600);
	utcp_close(u);
}
END_TEST

/* A handle that is not the socket proves nothing: an O_PATH descriptor
 * of the application's end (anyone who may read the holder's
 * /proc/PID/fd can open one) cannot set options on a kernel socket
 * either. */
START_TEST(test_an_o_path_handle_of_the_descriptor_is_no_proof)
{
	struct utcp *a = client(), *b = client();
	struct utcp_tcp_opts set = {.set = UTCP_TCP_OPT_NODELAY,
				    .nodelay = true},
			     got;
	struct utcp_udp_opts tos = {.set = UTCP_UDP_OPT_TOS, .tos = 0x28};
	struct utcp_tcp_info info;
	struct utcp_udp_info uinfo;
	char path[64];
	int fd, ufd, handle, uhandle;

	fd =
	    utcp_tcp_connect(a, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, &info);
	ck_assert_int_ge(fd, 0);
	ufd = utcp_udp_open(a, in4(0), 0, in4(PEER_ADDR), UDP_ECHO, 0, &uinfo);
	ck_assert_int_ge(ufd, 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	handle = open(path, O_PATH | O_CLOEXEC);
	ck_assert_int_ge(handle, 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ufd);
	uhandle = open(path, O_PATH | O_CLOEXEC);
	ck_assert_int_ge(uhandle, 0);

	ck_assert_int_eq(utcp_tcp_setopt_fd(b, info.id, handle, &set), -EBADF);
	ck_assert_int_eq(utcp_tcp_getopt_fd(b, info.id, handle, &got), -EBADF);
	ck_assert_int_eq(utcp_udp_setopt_fd(b, uinfo.id, uhandle, &tos),
			 -EBADF);
	/* the descriptor itself still proves */
	ck_assert_int_eq(utcp_tcp_setopt_fd(b, info.id, fd, &set), 0);
	ck_assert_int_eq(utcp_udp_setopt_fd(b, uinfo.id, ufd, &tos), 0);
	close(uhandle);
	close(handle);
	close(ufd);
	close(fd);
	utcp_close(b);
	utcp_close(a);
}
END_TEST

/* Socket inode numbers come from a 32-bit counter the kernel shares
 * with pipes and other pseudo files, so they repeat once it wraps (four
 * billion of them made, which a local user can do): a socket that
 * happens to get the number of another's application end, on the same
 * device, must not prove possession of it. */
START_TEST(test_a_socket_with_a_wrapped_inode_number_is_no_proof)
{
	struct control_fd_id end, other;
	int pair[2], s;

	ck_assert_int_eq(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s, 0);
	end = control_fd_id_of(pair[1]);
	ck_assert(control_fd_proves(&end, &end));
	other = control_fd_id_of(s);
	ck_assert(!control_fd_proves(&other, &end));
	/* what fstat() says of it after the counter wrapped */
	other.dev = end.dev;
	other.ino = end.ino;
	ck_assert(!control_fd_proves(&other, &end));
	close(s);
	close(pair[0]);
	close(pair[1]);
}
END_TEST

/* Whatever a client sends is closed by the daemon, which must not wait
 * for it: a kernel TCP socket with SO_LINGER and data its peer does
 * not take would hold close() for its linger time (an hour here),
 * and every client with it. Another client is answered at once. */
START_TEST(test_a_lingering_socket_sent_as_proof_does_not_hold_the_daemon)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t slen = sizeof(sin);
	struct linger lg = {.l_onoff = 1, .l_linger = 3600};
	struct ipc_tcp_getopt get = {.id = 0};
	struct ipc_tcp_getopt_reply gr;
	struct ipc_hello_reply hr;
	uint8_t buf[IPC_MSG_MAX];
	static char fill[65536];
	struct ipc_msg m;
	struct utcp *b;
	int lsn, s, fd, len, passed, small = 4096;

	lsn = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(lsn, 0);
	ck_assert_int_eq(
	    setsockopt(lsn, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	ck_assert_int_eq(bind(lsn, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(lsn, 1), 0);
	ck_assert_int_eq(getsockname(lsn, (struct sockaddr *)&sin, &slen), 0);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(
	    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	ck_assert_int_eq(connect(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	/* never accepted, never read: the window closes */
	while (send(s, fill, sizeof(fill), MSG_DONTWAIT | MSG_NOSIGNAL) > 0)
		;
	ck_assert_int_eq(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)),
			 0);

	fd = raw_hello(IPC_VERSION_MAX, &hr);
	len = ipc_encode_tcp_getopt(buf, sizeof(buf), (uint8_t)hr.version, 2,
				    &get);
	send_with_fds(fd, buf, (size_t)len, &s, 1);
	close(s); /* the daemon holds the last reference */
	raw_reply(fd, buf, sizeof(buf), &m, &passed);
	ck_assert_int_eq(ipc_decode_tcp_getopt_reply(&m, &gr), 0);
	ck_assert_int_eq(gr.status, -EBADF);
	b = client();
	ck_assert_int_eq(utcp_barrier(b), 0);
	utcp_close(b);
	close(fd);
	close(lsn); /* resets the connection, should anything wait on it */
}
END_TEST

/* A descriptor the kernel will not pass (an io_uring instance's) makes
 * the request fail with -EBADF, as another file's does, and leaves the
 * handle working: nothing was sent. */
START_TEST(test_a_descriptor_that_cannot_travel_leaves_the_handle_working)
{
	struct utcp *u = client();
	struct utcp_tcp_opts set = {.set = UTCP_TCP_OPT_NODELAY,
				    .nodelay = true},
			     got;
	struct utcp_udp_opts tos = {.set = UTCP_UDP_OPT_TOS, .tos = 0x28};
	struct io_uring_params p;
	int ring;

	memset(&p, 0, sizeof(p));
	ring = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (ring < 0) { /* io_uring disabled here: nothing to send */
		utcp_close(u);
		return;
	}
	ck_assert_int_eq(utcp_tcp_setopt_fd(u, 0, ring, &set), -EBADF);
	ck_assert_int_eq(utcp_tcp_getopt_fd(u, 0, ring, &got), -EBADF);
	ck_assert_int_eq(utcp_udp_setopt_fd(u, 0, ring, &tos), -EBADF);
	ck_assert_int_eq(utcp_barrier(u), 0);
	close(ring);
	utcp_close(u);
}
END_TEST

static int probe_udp_sock;

static bool udp_sock_gone(void)
{
	struct stack_udp_info info;

	return udp_socket_info(H.d.stack, probe_udp_sock, &info) != 0;
}

/* An OWN_FD socket belongs to its descriptor: its client goes, it
 * carries datagrams both ways on; closing the descriptor closes it in
 * the stack. Without the flag the client takes it along (as
 * test_client_disconnect_frees_its_sockets has it). */
START_TEST(test_udp_own_fd_socket_outlives_its_client)
{
	struct utcp *a = client(), *b;
	struct utcp_udp_info info, plain_info;
	struct utcp_status *st;
	struct utcp_udp_opts tos = {.set = UTCP_UDP_OPT_TOS, .tos = 0x10};
	bool listed = false;
	char buf[8];
	int fd, plain;

	fd = utcp_udp_open(a, in4(0), 0, in4(PEER_ADDR), UDP_ECHO, UTCP_OWN_FD,
			   &info);
	ck_assert_int_ge(fd, 0);
	plain = utcp_udp_open(a, in4(0), 0, in4(PEER_ADDR), UDP_ECHO, 0,
			      &plain_info);
	ck_assert_int_ge(plain, 0);
	utcp_close(a);
	probe_udp_sock = plain_info.id;
	ck_assert(wait_until(udp_sock_gone));
	ck_assert_int_eq(utcp_send(plain, "x", 1), -EPIPE); /* closed */
	close(plain);

	ck_assert_int_eq(utcp_send(fd, "ping", 4), 4);
	ck_assert_int_eq(utcp_recvfrom(fd, buf, sizeof(buf), NULL, NULL), 4);
	ck_assert_mem_eq(buf, "ping", 4);
	b = client();
	ck_assert_int_eq(utcp_status(b, &st), 0);
	for (size_t i = 0; i < st->n_sockets; i++)
		listed |= st->sockets[i].id == info.id;
	utcp_status_free(st);
	ck_assert(listed);
	/* an orphan's options, by its descriptor */
	ck_assert_int_eq(utcp_udp_setopt_fd(b, info.id, fd, &tos), 0);
	ck_assert_int_eq(utcp_udp_setopt(b, info.id, &tos), -EBADF);
	close(fd);
	probe_udp_sock = info.id;
	ck_assert(wait_until(udp_sock_gone));
	ck_assert(wait_until(no_udp_sockets));
	ck_assert_int_eq(utcp_status(b, &st), 0);
	ck_assert_uint_eq(st->n_sockets, 0);
	utcp_status_free(st);
	utcp_close(b);
}
END_TEST

/* No client left, and the socket probe_udp_sock still open. */
static bool only_the_orphan_is_left(void)
{
	struct stack_udp_info info;

	return !H.d.control->clients &&
	       udp_socket_info(H.d.stack, probe_udp_sock, &info) == 0;
}

/* The handle left open while the daemon stops (reachable: no leak). */
static struct utcp *volatile left_open;

/* OWN_FD sockets still open when the daemon stops, orphaned or still
 * their client's, are closed and freed with it (the sanitizer build
 * sees a leak otherwise). */
START_TEST(test_udp_own_fd_sockets_open_at_stop_are_freed)
{
	struct utcp *a = client();
	struct utcp_udp_info info;
	int fd, fd2;

	fd = utcp_udp_open(a, in4(0), 0, in4(PEER_ADDR), UDP_ECHO, UTCP_OWN_FD,
			   &info);
	ck_assert_int_ge(fd, 0);
	utcp_close(a);
	probe_udp_sock = info.id;
	ck_assert(wait_until(only_the_orphan_is_left));
	a = client();
	fd2 = utcp_udp_bind(a, in4(0), 0, UTCP_OWN_FD);
	ck_assert_int_ge(fd2, 0);
	/* the daemon stops (teardown) with both open, a's client too */
	left_open = a;
	(void)fd;
}
END_TEST

static unsigned uid_1000_udp(void)
{
	for (struct control_account *a = H.d.control->uids; a; a = a->next)
		if (a->uid == 1000)
			return a->held[CONTROL_KIND_UDP];
	return 0;
}

static bool uid_1000_holds_one_udp(void)
{
	return uid_1000_udp() == 1;
}

/* OWN_FD sockets left behind by a client still count against its uid
 * (udp_per_uid), until their descriptors close. */
START_TEST(test_udp_own_fd_sockets_count_against_the_uid_until_closed)
{
	struct config_control cc = limits_now();
	struct utcp *a, *b;
	int fd1, fd2, fd;

	cc.udp_per_uid = 2;
	set_limits(&cc);
	a = client_as(1000, 1000);
	fd1 = utcp_udp_bind(a, in4(0), 0, UTCP_OWN_FD);
	fd2 = utcp_udp_bind(a, in4(0), 0, UTCP_OWN_FD);
	ck_assert_int_ge(fd1, 0);
	ck_assert_int_ge(fd2, 0);
	ck_assert_int_eq(utcp_udp_bind(a, in4(0), 0, 0), -EMFILE);
	utcp_close(a);
	b = client_as(1000, 1000);
	ck_assert_int_eq(utcp_udp_bind(b, in4(0), 0, 0), -EMFILE);
	close(fd1);
	ck_assert(wait_until(uid_1000_holds_one_udp));
	fd = utcp_udp_bind(b, in4(0), 0, 0);
	ck_assert_int_ge(fd, 0);
	/* at the limit again */
	ck_assert_int_eq(utcp_udp_bind(b, in4(0), 0, UTCP_OWN_FD), -EMFILE);
	close(fd);
	close(fd2);
	utcp_close(b);
}
END_TEST

/* TCP_INFO gives any client the figures STATUS shows for the same
 * connection; -ENOENT for no connection, and for a listener's id. */
START_TEST(test_tcp_info_matches_the_status_record)
{
	struct utcp *a = client(), *b = client();
	struct utcp_tcp_socket ti, *rec = NULL;
	struct utcp_tcp_info info;
	struct utcp_status *st;
	struct utcp_tcp_info linfo;
	char buf[16];
	int fd, lfd;

	fd =
	    utcp_tcp_connect(a, in4(PEER_ADDR), TCP_ECHO, 5000, NULL, 0, &info);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(utcp_tcp_send(fd, "hello, peer", 11), 11);
	recv_all(fd, buf, 11);
	ck_assert_int_eq(utcp_barrier(b), 0);
	ck_assert_int_eq(utcp_tcp_info(b, info.id, &ti), 0);
	ck_assert_int_eq(utcp_status(b, &st), 0);
	for (size_t i = 0; i < st->n_tcp; i++)
		if (!st->tcp[i].listener && st->tcp[i].id == info.id)
			rec = &st->tcp[i];
	ck_assert_ptr_nonnull(rec);
	ck_assert_int_eq(ti.id, info.id);
	ck_assert(!ti.listener);
	ck_assert(!ti.orphan);
	ck_assert_int_eq(ti.state, UTCP_TCP_ESTABLISHED);
	ck_assert_int_eq(ti.state, rec->state);
	ck_assert_uint_eq(ti.bytes_sent, 11);
	ck_assert_uint_eq(ti.bytes_received, 11);
	ck_assert_uint_eq(ti.bytes_sent, rec->bytes_sent);
	ck_assert_uint_eq(ti.bytes_received, rec->bytes_received);
	ck_assert_uint_eq(ti.local_port, info.local_port);
	ck_assert_uint_eq(ti.local_port, rec->local_port);
	ck_assert_uint_eq(ti.remote_port, TCP_ECHO);
	ck_assert_uint_eq(ntohl(ti.remote_addr.s_addr), PEER_ADDR);
	ck_assert_uint_eq(ti.local_addr.s_addr, rec->local_addr.s_addr);
	ck_assert_uint_eq(ti.mss, rec->mss);
	ck_assert_uint_gt(ti.mss, 0);
	utcp_status_free(st);

	lfd = utcp_tcp_listen(a, in4(0), 8090, 4, NULL, 0, &linfo);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(utcp_tcp_info(b, info.id + 1000, &ti), -ENOENT);
	ck_assert_int_eq(utcp_tcp_info(b, -1, &ti), -ENOENT);
	if (linfo.id != info.id) /* separate spaces: it may be both */
		ck_assert_int_eq(utcp_tcp_info(b, linfo.id, &ti), -ENOENT);
	close(lfd);
	close(fd);
	utcp_close(b);
	utcp_close(a);
}
END_TEST

/* ---- names: RESOLVE ------------------------------------------------- */

/* The "names" fixture: a resolver whose one server is the peer, which
 * holds UDP port 53 open and never answers (so a lookup that goes to
 * the wire stays pending for DNS_TEST_TIMEOUT_MS), at most
 * DNS_CLIENT_LOOKUPS lookups per client, and one static host entry. */
#define DNS_CLIENT_LOOKUPS  2
#define DNS_TEST_TIMEOUT_MS 8000
#define DNS_HOST_NAME	    "printer.test"
#define DNS_HOST_ADDR	    0x0a000009u /* 10.0.0.9 */

static struct resolver names_resolver;

static void names_config(struct config *cfg)
{
	struct config_host *h = &cfg->dns.hosts[0];

	control_config(cfg);
	cfg->dns.limits.owner_lookups_max = DNS_CLIENT_LOOKUPS;
	cfg->dns.limits.timeout_ms = DNS_TEST_TIMEOUT_MS;
	cfg->dns.limits.attempts = 1;
	snprintf(h->name, sizeof(h->name), "%s", DNS_HOST_NAME);
	h->addrs[0].family = 4;
	put_be32(h->addrs[0].addr, DNS_HOST_ADDR);
	h->naddrs = 1;
	cfg->dns.nhosts = 1;
	/* the resolver's servers are the interfaces' (no netconf here) */
	cfg->nifs = 1;
	snprintf(cfg->ifs[0].name, sizeof(cfg->ifs[0].name), "sim0");
	cfg->ifs[0].addr = DAEMON_ADDR;
	cfg->ifs[0].prefix_len = 24;
	cfg->ifs[0].dns[0] = PEER_ADDR;
	cfg->ifs[0].ndns = 1;
}

static void names_peer_apps(struct stack *s)
{
	peer_apps(s);
	W.peer.dns_sink = udp_socket_open(s, 0, 53, 0, 0);
	ck_assert_int_ge(W.peer.dns_sink, 0);
}

static void names_start(void)
{
	ck_assert_int_eq(resolver_start(&H.d, &names_resolver), 0);
}

static void names_stop(void)
{
	resolver_stop(&H.d);
}

static void setup_names(void)
{
	const struct harness_opts opts = {
	    .config = names_config,
	    .peer_event = peer_event,
	    .peer_arg = &W.peer,
	    .peer_apps = names_peer_apps,
	    .link_tap = dhcp_link_tap,
	    .before_run = names_start,
	    .after_run = names_stop,
	};

	memset(&W, 0, sizeof(W));
	W.close_fd = -1;
	harness_setup(&opts);
}

static bool no_lookups_pending(void)
{
	return dns_lookups_pending(H.d.resolver->dns) == 0;
}

static bool dns_query_reached_the_peer(void)
{
	struct udp_datagram dg;

	return udp_peek(W.peer.s, W.peer.dns_sink, &dg) == 0;
}

START_TEST(test_resolve_localhost_is_answered_locally)
{
	struct utcp *u = client();
	struct utcp_lookup *l = NULL;
	char buf[INET6_ADDRSTRLEN];

	ck_assert_int_eq(utcp_resolve(u, "localhost", AF_UNSPEC, &l), 0);
	ck_assert_str_eq(l->name, "localhost");
	ck_assert_int_eq(l->source, UTCP_DNS_LOCAL);
	ck_assert_uint_eq(l->server.s_addr, 0);
	ck_assert_uint_eq(l->n, 2);
	ck_assert_int_eq(l->addrs[0].family, AF_INET);
	ck_assert_uint_eq(ntohl(l->addrs[0].addr.v4.s_addr), 0x7f000001);
	ck_assert_int_eq(l->addrs[1].family, AF_INET6);
	ck_assert_str_eq(
	    inet_ntop(AF_INET6, &l->addrs[1].addr.v6, buf, sizeof(buf)), "::1");
	utcp_lookup_free(l);

	/* one family only */
	ck_assert_int_eq(utcp_resolve(u, "localhost", AF_INET6, &l), 0);
	ck_assert_uint_eq(l->n, 1);
	ck_assert_int_eq(l->addrs[0].family, AF_INET6);
	utcp_lookup_free(l);
	utcp_close(u);
}
END_TEST

START_TEST(test_resolve_static_host_entry)
{
	struct utcp *u = client();
	struct utcp_lookup *l = NULL;

	ck_assert_int_eq(utcp_resolve(u, DNS_HOST_NAME, AF_INET, &l), 0);
	ck_assert_str_eq(l->name, DNS_HOST_NAME);
	ck_assert_int_eq(l->source, UTCP_DNS_HOSTS);
	ck_assert_uint_eq(l->n, 1);
	ck_assert_uint_eq(ntohl(l->addrs[0].addr.v4.s_addr), DNS_HOST_ADDR);
	utcp_lookup_free(l);
	utcp_close(u);
}
END_TEST

START_TEST(test_resolve_bad_name_is_refused_without_a_descriptor)
{
	char label[70];
	struct utcp *u = client();
	struct utcp_lookup *l = NULL;
	int fd = 1234;

	ck_assert_int_eq(utcp_resolve_start(u, "a..test", AF_INET, &fd),
			 EAI_NONAME);
	ck_assert_int_eq(fd, -1);
	memset(label, 'x', 64);
	strcpy(label + 64, ".test"); /* a 64-byte label */
	ck_assert_int_eq(utcp_resolve(u, label, AF_UNSPEC, &l), EAI_NONAME);
	ck_assert_ptr_null(l);
	/* the connection goes on */
	ck_assert_int_eq(utcp_resolve(u, "localhost", AF_INET, &l), 0);
	utcp_lookup_free(l);
	utcp_close(u);
}
END_TEST

START_TEST(test_resolve_per_client_limit_leaves_other_clients_alone)
{
	struct utcp *a = client(), *b = client();
	struct utcp_lookup *l = NULL;
	struct utcp_status *st;
	int fds[DNS_CLIENT_LOOKUPS], fd = 1234;
	char name[32];

	/* A's lookups go to a server that never answers: pending */
	for (int i = 0; i < DNS_CLIENT_LOOKUPS; i++) {
		snprintf(name, sizeof(name), "host%d.test", i);
		ck_assert_int_eq(utcp_resolve_start(a, name, AF_INET, &fds[i]),
				 0);
		ck_assert_int_ge(fds[i], 0);
	}
	ck_assert(wait_until(dns_query_reached_the_peer));
	/* one past the limit */
	ck_assert_int_eq(utcp_resolve_start(a, "more.test", AF_INET, &fd),
			 EAI_AGAIN);
	ck_assert_int_eq(fd, -1);
	for (int i = 0; i < DNS_CLIENT_LOOKUPS; i++)
		ck_assert_int_eq(utcp_resolve_finish(fds[i], &l),
				 EAI_INPROGRESS);

	/* B is not A */
	ck_assert_int_eq(utcp_resolve(b, "localhost", AF_INET, &l), 0);
	ck_assert_int_eq(l->source, UTCP_DNS_LOCAL);
	utcp_lookup_free(l);
	ck_assert_int_eq(utcp_status(b, &st), 0);
	ck_assert(st->has_dns);
	ck_assert_uint_eq(st->dns.lookups_pending, DNS_CLIENT_LOOKUPS);
	ck_assert_uint_eq(st->n_dns_servers, 1);
	ck_assert_uint_eq(ntohl(st->dns_servers[0].address.s_addr), PEER_ADDR);
	ck_assert_int_eq(st->dns_servers[0].source, UTCP_SOURCE_CONFIG);
	utcp_status_free(st);

	/* A goes with its lookups pending: nothing is left of them, and
	 * their descriptors see the daemon's end close */
	utcp_close(a);
	ck_assert(wait_until(no_lookups_pending));
	for (int i = 0; i < DNS_CLIENT_LOOKUPS; i++) {
		struct pollfd pfd = {.fd = fds[i], .events = POLLIN};

		ck_assert_int_eq(poll(&pfd, 1, WAIT_MS), 1);
		errno = 0;
		ck_assert_int_eq(utcp_resolve_finish(fds[i], &l), EAI_SYSTEM);
		ck_assert_int_eq(errno, ECONNRESET);
	}
	ck_assert_int_eq(utcp_status(b, &st), 0);
	ck_assert_uint_eq(st->dns.lookups_pending, 0);
	utcp_status_free(st);
	utcp_close(b);
}
END_TEST

/* The wire: HELLO announces RESOLVE; the reply's id is the result's,
 * which comes as one packet on the descriptor, then EOF. */
START_TEST(test_resolve_on_the_wire)
{
	struct ipc_resolve req = {.want = IPC_RESOLVE_WANT_A,
				  .name = "localhost"};
	struct ipc_resolve_addr addrs[IPC_RESOLVE_ADDRS_MAX];
	struct ipc_resolve_result res;
	struct ipc_resolve_reply r;
	struct ipc_hello_reply hr;
	uint8_t buf[IPC_MSG_MAX], version;
	struct pollfd pfd = {.events = POLLIN};
	struct ipc_msg m;
	int fd, chan, len;
	ssize_t n;

	fd = raw_hello(IPC_VERSION_MAX, &hr);
	ck_assert_uint_eq(hr.capabilities & IPC_CAP_RESOLVE, IPC_CAP_RESOLVE);
	version = (uint8_t)hr.version;

	len = ipc_encode_resolve(buf, sizeof(buf), version, 2, &req);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(send(fd, buf, (size_t)len, 0), len);
	raw_reply(fd, buf, sizeof(buf), &m, &chan);
	ck_assert_int_eq(ipc_decode_resolve_reply(&m, &r), 0);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_ge(r.id, 0);
	ck_assert_int_ge(chan, 0);
	pfd.fd = chan;
	ck_assert_int_eq(poll(&pfd, 1, WAIT_MS), 1);
	n = recv(chan, buf, sizeof(buf), 0);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(ipc_resolve_result_decode(buf, (size_t)n, &res, addrs),
			 0);
	ck_assert_int_eq(res.id, r.id);
	ck_assert_uint_eq(res.status, IPC_DNS_OK);
	ck_assert_uint_eq(res.source, IPC_DNS_SRC_LOCAL);
	ck_assert_uint_eq(res.naddrs, 1);
	ck_assert_uint_eq(addrs[0].family, 4);
	ck_assert_uint_eq(get_be32(addrs[0].addr), 0x7f000001);
	/* then EOF, once the daemon has closed its end after the send */
	ck_assert_int_eq(poll(&pfd, 1, WAIT_MS), 1);
	ck_assert_int_eq(recv(chan, buf, sizeof(buf), 0), 0);
	close(chan);

	/* a bad name: the status, no descriptor */
	strcpy(req.name, "a..b");
	len = ipc_encode_resolve(buf, sizeof(buf), version, 3, &req);
	ck_assert_int_eq(send(fd, buf, (size_t)len, 0), len);
	raw_reply(fd, buf, sizeof(buf), &m, &chan);
	ck_assert_int_eq(ipc_decode_resolve_reply(&m, &r), 0);
	ck_assert_int_eq(r.status, -EINVAL);
	ck_assert_int_eq(r.id, -1);
	ck_assert_int_eq(chan, -1);
	close(fd);
}
END_TEST

START_TEST(test_resolve_descriptor_closed_early_loses_only_the_answer)
{
	struct utcp *u = client();
	struct utcp_lookup *l = NULL;
	int fd;

	/* its answer is ready at once, and written to a closed channel */
	ck_assert_int_eq(utcp_resolve_start(u, "localhost", AF_INET, &fd), 0);
	close(fd);
	ck_assert(wait_until(no_lookups_pending));
	ck_assert_int_eq(utcp_resolve(u, "localhost", AF_INET, &l), 0);
	utcp_lookup_free(l);
	utcp_close(u);
}
END_TEST

START_TEST(test_resolve_descriptor_closed_early_gives_the_lookup_up)
{
	struct utcp *u = client();
	int fds[DNS_CLIENT_LOOKUPS], fd = -1;
	char name[32];

	/* Lookups that the silent server keeps pending (8 s), given up
	 * by closing their descriptors: the client's limit is free again
	 * at once (docs/ipc.md: closing abandons the lookup). */
	for (int i = 0; i < DNS_CLIENT_LOOKUPS; i++) {
		snprintf(name, sizeof(name), "gone%d.test", i);
		ck_assert_int_eq(utcp_resolve_start(u, name, AF_INET, &fds[i]),
				 0);
	}
	ck_assert(wait_until(dns_query_reached_the_peer));
	for (int i = 0; i < DNS_CLIENT_LOOKUPS; i++)
		close(fds[i]);
	ck_assert(wait_until(no_lookups_pending));
	ck_assert_int_eq(utcp_resolve_start(u, "again.test", AF_INET, &fd), 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert(wait_until(no_lookups_pending));
	utcp_close(u);
}
END_TEST

/* ---- PING ------------------------------------------------------------ */

/* An echo to the peer's stack comes back through the daemon's. */
START_TEST(test_ping_the_peer)
{
	struct utcp *u = client();
	struct utcp_ping p = {.dst = in4(PEER_ADDR),
			      .ifindex = -1,
			      .seq = 9,
			      .size = 100,
			      .timeout_ms = WAIT_MS};
	struct utcp_ping_result r;

	ck_assert_int_eq(utcp_ping(u, &p, &r), 0);
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(ntohl(r.from.s_addr), PEER_ADDR);
	ck_assert_uint_eq(r.seq, 9);
	ck_assert_uint_eq(r.size, 100);
	ck_assert_uint_eq(r.ttl, 64);
	/* Refused at once: no such interface, a broadcast address. */
	p.ifindex = 5;
	ck_assert_int_eq(utcp_ping(u, &p, &r), 0);
	ck_assert_int_eq(r.status, -ENODEV);
	ck_assert_uint_eq(r.seq, 9);
	p.ifindex = -1;
	p.dst = in4(0x0a0000ffu);
	ck_assert_int_eq(utcp_ping(u, &p, &r), 0);
	ck_assert_int_eq(r.status, -EACCES);
	/* The connection goes on. */
	ck_assert_int_eq(utcp_barrier(u), 0);
	utcp_close(u);
}
END_TEST

static bool no_echo_outstanding(void)
{
	return icmp_echo_outstanding(H.d.stack) == 0;
}

/* As many echoes outstanding as echoes_wanted (a predicate for
 * wait_until, which waits generously: a stalled machine is not a
 * failure). */
static uint32_t echoes_wanted;

static bool echoes_are_wanted(void)
{
	return icmp_echo_outstanding(H.d.stack) == echoes_wanted;
}

/* Waits (up to WAIT_MS) until n echoes are outstanding. */
static bool wait_for_echoes(uint32_t n)
{
	echoes_wanted = n;
	return wait_until(echoes_are_wanted);
}

static volatile sig_atomic_t usr1_seen;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_seen = 1;
}

/* A signal that comes while utcp_ping_pwait() waits (here: pending,
 * blocked, let in by the wait's mask) ends the wait with -EINTR, the
 * echo still out (to an address nobody holds: out until ARP gives up,
 * 3 s, its timeout no sooner, so a slow look still finds it). The
 * handle goes on: the next echo gets its own answer, not the late one
 * of the echo given up on (another seq, another status), and a request
 * after it too. */
START_TEST(test_ping_pwait_ends_on_a_signal_and_the_handle_goes_on)
{
	struct utcp *u = client();
	struct utcp_ping p = {.dst = in4(0x0a000063u), /* 10.0.0.99 */
			      .ifindex = -1,
			      .seq = 1,
			      .size = 56,
			      .timeout_ms = 3000};
	struct sigaction sa = {.sa_handler = on_usr1}, old_sa;
	struct utcp_ping_result r = {.seq = 77};
	sigset_t usr1, waitmask;

	sigemptyset(&sa.sa_mask);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, &old_sa), 0);
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &usr1, &waitmask), 0);
	sigdelset(&waitmask, SIGUSR1);
	usr1_seen = 0;
	ck_assert_int_eq(pthread_kill(pthread_self(), SIGUSR1), 0);
	ck_assert_int_eq(utcp_ping_pwait(u, &p, &r, &waitmask), -EINTR);
	ck_assert_int_eq(usr1_seen, 1);
	ck_assert_uint_eq(r.seq, 77);  /* nothing filled */
	ck_assert(wait_for_echoes(1)); /* the echo is out */
	/* The next echo, to the peer: the answer is its own. */
	p.dst = in4(PEER_ADDR);
	p.seq = 2;
	p.timeout_ms = WAIT_MS;
	ck_assert_int_eq(utcp_ping(u, &p, &r), 0);
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(r.seq, 2);
	ck_assert_uint_eq(ntohl(r.from.s_addr), PEER_ADDR);
	ck_assert_int_eq(utcp_barrier(u), 0);
	/* Without a signal, utcp_ping_pwait() is utcp_ping(). */
	p.seq = 3;
	ck_assert_int_eq(utcp_ping_pwait(u, &p, &r, &waitmask), 0);
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(r.seq, 3);
	ck_assert_int_eq(pthread_sigmask(SIG_UNBLOCK, &usr1, NULL), 0);
	ck_assert_int_eq(sigaction(SIGUSR1, &old_sa, NULL), 0);
	utcp_close(u);
}
END_TEST

/* Sends PING `id` to 10.0.0.(100 + id), an address nobody holds (ARP
 * gives up on it 3 s later), on a raw connection that said HELLO. */
static void raw_ping_nobody(int fd, uint8_t version, uint32_t id)
{
	struct ipc_ping req = {.dst = 0x0a000064u + id,
			       .ifindex = -1,
			       .seq = (uint16_t)id,
			       .size = 56,
			       .timeout_ms = IPC_PING_TIMEOUT_MAX_MS};
	uint8_t buf[64];
	int len = ipc_encode_ping(buf, sizeof(buf), version, id, &req);

	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(send(fd, buf, (size_t)len, 0), len);
}

/* Each client has one echo outstanding; the daemon's stack holds 64 in
 * all: the 65th client's is refused with -ENOBUFS, at once. A client
 * that goes takes its echo with it. (All within the 3 s ARP takes to
 * give up on the first address.) */
START_TEST(test_ping_limit_and_a_client_that_goes)
{
	struct ipc_hello_reply hr;
	struct ipc_ping_reply pr;
	struct ipc_msg m;
	uint8_t buf[IPC_MSG_MAX];
	int fds[64], fd, passed;

	for (int i = 0; i < 64; i++) {
		fds[i] = raw_hello(IPC_VERSION_MAX, &hr);
		ck_assert_uint_eq(hr.capabilities & IPC_CAP_PING, IPC_CAP_PING);
		raw_ping_nobody(fds[i], (uint8_t)hr.version, (uint32_t)i + 1);
	}
	ck_assert(wait_for_echoes(64));
	fd = raw_hello(IPC_VERSION_MAX, &hr);
	raw_ping_nobody(fd, (uint8_t)hr.version, 70);
	raw_reply(fd, buf, sizeof(buf), &m, &passed);
	ck_assert_int_eq(passed, -1);
	ck_assert_int_eq(ipc_decode_ping_reply(&m, &pr), 0);
	ck_assert_uint_eq(m.id, 70);
	ck_assert_int_eq(pr.status, -ENOBUFS);
	ck_assert_uint_eq(pr.seq, 70);
	close(fd);
	/* One goes: its slot is free, and the 65th gets it. */
	close(fds[0]);
	ck_assert(wait_for_echoes(63));
	fds[0] = raw_hello(IPC_VERSION_MAX, &hr);
	raw_ping_nobody(fds[0], (uint8_t)hr.version, 71);
	ck_assert(wait_for_echoes(64));
	for (int i = 0; i < 64; i++)
		close(fds[i]);
	ck_assert(wait_until(no_echo_outstanding));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("in-process");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_hello_then_status_describes_the_daemon);
	tcase_add_test(tc, test_status_names_each_sockets_owner);
	tcase_add_test(tc, test_status_shows_dhcp_and_settings_from_the_config);
	tcase_add_test(tc, test_status_shows_the_netconf_settings_and_sources);
	tcase_add_test(tc, test_status_routes_follow_the_clients_version);
	tcase_add_test(tc, test_status_shows_a_lease_from_a_scripted_server);
	tcase_add_test(tc, test_socket_path_comes_from_the_environment);
	tcase_add_test(tc, test_udp_open_failure_is_the_stacks_status);
	tcase_add_test(tc, test_udp_datagram_to_the_peer_and_its_echo_back);
	tcase_add_test(tc, test_tcp_connect_to_a_listening_peer_data_both_ways);
	tcase_add_test(tc, test_tcp_listen_accepts_a_connection_from_the_peer);
	tcase_add_test(tc, test_tcp_connect_to_a_closed_port_is_refused);
	tcase_add_test(tc, test_tcp_setopt_on_own_connection_only);
	tcase_add_test(tc, test_barrier_answers_after_the_link_is_quiet);
	tcase_add_test(tc, test_status_lists_sockets_and_listeners);
	tcase_add_test(tc, test_status_shows_what_each_uid_holds);
	tcase_add_test(tc, test_client_disconnect_frees_its_sockets);
	tcase_add_test(tc, test_ping_the_peer);
	tcase_add_test(tc, test_ping_limit_and_a_client_that_goes);
	tcase_add_test(
	    tc, test_udp_limit_per_client_and_per_uid_leaves_others_alone);
	tcase_add_test(tc, test_a_reload_lowering_a_limit_keeps_what_is_open);
	tcase_add_test(
	    tc,
	    test_tcp_connections_count_against_the_uid_after_the_client_went);
	tcase_add_test(
	    tc, test_listeners_per_client_and_the_global_connection_limit);
	tcase_add_test(tc, test_control_connections_per_uid_and_roots_reserve);
	tcase_add_test(tc,
		       test_client_without_hello_is_disconnected_others_work);
	tcase_add_test(tc, test_privileged_ports_need_root_or_the_group);
	tcase_add_test(
	    tc, test_privileged_group_by_supplementary_group_and_at_run_time);
	tcase_add_test(tc, test_listen_groups_limit_who_may_listen);
	tcase_add_test(
	    tc, test_accepted_connection_past_the_listeners_share_is_reset);
	tcase_add_test(tc,
		       test_connections_max_is_lowered_to_the_descriptor_limit);
	tcase_add_test(tc,
		       test_connections_at_the_descriptor_budget_end_in_enfile);
	tcase_add_test(
	    tc, test_tcp_app_dead_facing_a_shut_window_goes_in_bounded_probes);
	tcase_add_test(
	    tc, test_tcp_reset_with_bytes_unread_reads_the_error_once_then_eof);
	tcase_add_test(tc,
		       test_tcp_reset_past_the_discard_reads_reads_econnreset);
	tcase_add_test(
	    tc, test_tcp_send_after_a_reset_behind_unread_bytes_is_econnreset);
	tcase_add_test(
	    tc,
	    test_tcp_connection_the_daemon_cannot_watch_is_reset_and_counted);
	tcase_add_test(tc,
		       test_tcp_listener_the_daemon_cannot_watch_is_refused);
	tcase_add_test(tc,
		       test_nonblocking_connect_is_writable_once_established);
	tcase_add_test(
	    tc, test_nonblocking_connect_stays_unwritable_until_it_times_out);
	tcase_add_test(
	    tc, test_nonblocking_connect_refused_is_writable_with_the_error);
	tcase_add_test(tc, test_nonblocking_connect_end_keeps_its_send_buffer);
	tcase_add_test(tc, test_nonblocking_connect_held_while_clients_go);
	tcase_add_test(tc,
		       test_connect_to_a_prompt_peer_is_answered_in_its_turn);
	tcase_add_test(tc,
		       test_early_read_after_a_connect_takes_one_frame_for_it);
	tcase_add_test(tc, test_early_read_frames_are_captured_in_their_turn);
	tcase_add_test(
	    tc, test_blocking_connect_does_not_stall_the_handles_other_calls);
	tcase_add_test(
	    tc, test_shutdown_rd_stops_reception_and_keeps_the_connection);
	tcase_add_test(tc, test_udp_calls_on_a_tcp_descriptor_are_refused);
	tcase_add_test(tc, test_daemon_stop_is_an_error_not_an_end_of_stream);
	tcase_add_test(
	    tc, test_write_on_a_listener_fails_with_epipe_and_it_goes_on);
	tcase_add_test(
	    tc, test_blocking_connect_form_answers_when_the_connection_is_up);
	tcase_add_test(tc, test_requests_sent_ahead_are_all_answered_in_order);
	tcase_add_test(
	    tc, test_write_on_a_udp_descriptor_is_refused_and_the_socket_stays);
	tcase_add_test(tc, test_listen_without_port_takes_an_ephemeral_one);
	tcase_add_test(tc, test_tcp_options_read_back_as_set);
	tcase_add_test(tc, test_close_with_linger_zero_resets_the_connection);
	tcase_add_test(tc, test_udp_setopt_sets_tos_and_ttl);
	tcase_add_test(tc,
		       test_lingering_close_returns_once_all_is_acknowledged);
	tcase_add_test(tc, test_lingering_close_gives_up_after_the_linger_time);
	tcase_add_test(
	    tc, test_lingering_close_out_of_memory_says_enomem_and_closes);
	tcase_add_test(tc, test_tcp_connect_out_of_memory_says_enomem);
	tcase_add_test(tc, test_tcp_send_out_of_memory_fails_the_connection);
	tcase_add_test(tc, test_hello_announces_fd_proof_tcp_info_and_own_fd);
	tcase_add_test(tc, test_tcp_options_by_descriptor_from_another_client);
	tcase_add_test(tc, test_udp_setopt_by_descriptor_from_another_client);
	tcase_add_test(
	    tc, test_descriptors_with_requests_other_than_options_disconnect);
	tcase_add_test(
	    tc, test_garbage_disconnects_and_is_counted_others_move_data);
	tcase_add_test(tc,
		       test_pipelining_without_reading_stalls_only_that_client);
	tcase_add_test(tc, test_socket_access_applies_to_the_running_socket);
	tcase_add_test(tc, test_an_o_path_handle_of_the_descriptor_is_no_proof);
	tcase_add_test(tc,
		       test_a_socket_with_a_wrapped_inode_number_is_no_proof);
	tcase_add_test(
	    tc, test_a_lingering_socket_sent_as_proof_does_not_hold_the_daemon);
	tcase_add_test(
	    tc, test_a_descriptor_that_cannot_travel_leaves_the_handle_working);
	tcase_add_test(tc, test_udp_own_fd_socket_outlives_its_client);
	tcase_add_test(
	    tc, test_udp_own_fd_sockets_count_against_the_uid_until_closed);
	tcase_add_test(tc, test_udp_own_fd_sockets_open_at_stop_are_freed);
	tcase_add_test(tc, test_tcp_info_matches_the_status_record);
	tcase_add_test(tc,
		       test_connect_answered_before_a_close_of_the_same_turn);
	tcase_add_test(tc,
		       test_connects_that_keep_coming_do_not_starve_a_close);
	tcase_add_test(tc, test_the_seventeenth_read_waits_for_the_next_wakeup);
	tcase_add_test(tc, test_connect_takes_a_socketpair_made_ahead);
	tcase_add_test(tc,
		       test_pairs_made_ahead_come_back_after_socketpair_failed);
	tcase_add_test(
	    tc,
	    test_pairs_made_ahead_come_back_for_a_connect_of_the_other_kind);
	tcase_add_test(
	    tc,
	    test_pairs_made_ahead_come_back_after_emfile_with_no_connection);
	tcase_add_test(
	    tc,
	    test_pairs_made_ahead_come_back_after_enfile_with_no_connection);
	tcase_add_test(
	    tc, test_pairs_made_ahead_failing_every_other_time_log_one_run);
	tcase_add_test(tc,
		       test_pairs_made_ahead_failing_again_and_again_warn_once);
	tcase_add_test(tc, test_pairs_made_ahead_retry_waits_at_most_a_second);
	tcase_add_test(tc,
		       test_nonblocking_connect_the_daemon_cannot_watch_fails);
	tcase_add_test(
	    tc, test_accepted_connection_the_daemon_cannot_watch_is_reset);
	suite_add_tcase(s, tc);
	tc = tcase_create("names");
	tcase_add_checked_fixture(tc, setup_names, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_resolve_localhost_is_answered_locally);
	tcase_add_test(tc, test_resolve_static_host_entry);
	tcase_add_test(
	    tc, test_resolve_descriptor_closed_early_gives_the_lookup_up);
	tcase_add_test(tc,
		       test_resolve_bad_name_is_refused_without_a_descriptor);
	tcase_add_test(
	    tc, test_resolve_per_client_limit_leaves_other_clients_alone);
	tcase_add_test(
	    tc, test_resolve_descriptor_closed_early_loses_only_the_answer);
	tcase_add_test(tc, test_resolve_on_the_wire);
	suite_add_tcase(s, tc);
	tc = tcase_create("send memory");
	tcase_add_checked_fixture(tc, setup_small_pool, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc,
		       test_tcp_sender_short_of_memory_resumes_when_it_frees);
	tcase_add_test(tc,
		       test_tcp_app_gone_while_waiting_for_memory_is_noticed);
	tcase_add_test(
	    tc, test_tcp_memory_waiter_woken_in_a_full_turn_sends_next_turn);
	tcase_add_test(
	    tc, test_tcp_urgent_byte_then_shutdown_without_room_reads_eof);
	suite_add_tcase(s, tc);
	tc = tcase_create("turn bound");
	tcase_add_checked_fixture(tc, setup_small_pkt_pool, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(
	    tc, test_udp_burst_stops_for_the_turn_at_half_the_small_pool);
	suite_add_tcase(s, tc);
	tc = tcase_create("send minimum");
	tcase_add_checked_fixture(tc, setup_small_pool_reserve, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(
	    tc, test_tcp_fresh_sender_moves_data_while_another_holds_the_pool);
	tcase_add_test(tc,
		       test_ping_pwait_ends_on_a_signal_and_the_handle_goes_on);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
