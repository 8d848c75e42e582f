/*
 * test_resolver.c - the daemon's stub resolver (daemon/resolver.c) in
 * process: lookups carried over the daemon's own stack to a scripted
 * DNS server on the peer
 *
 * The world is daemon_harness.h's: the real loop in a thread, a
 * simulated link to a peer stack (10.0.0.1). The peer runs a DNS server
 * on UDP and TCP port 53 whose answers are built with stack/dns_msg.h's
 * writer: an A record 192.0.2.N for a name asked (N counts the
 * queries), or, in `truncate` mode, an empty answer with TC over UDP
 * and TRUNC_ADDRS addresses over TCP. It notes every query it gets:
 * transport, source address and port, name and type.
 *
 * The daemon's resolver is started as main.c starts it, its results
 * taken through d->on_dns_result. Lookups are started on the loop
 * (resolver_lookup()) and their results waited for.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_harness.h"
#include "dns.h"
#include "dns_msg.h"
#include "netconf.h"
#include "reload.h"
#include "resolver.h"

#define PEER_ADDR   HARNESS_PEER_ADDR
#define DAEMON_ADDR HARNESS_DAEMON_ADDR
#define NOBODY	    0x0a000003u /* 10.0.0.3: no host there */
#define QUERIES_MAX 32		/* the server's notes */
#define RESULTS_MAX 16
#define TRUNC_ADDRS 40 /* addresses of a TCP answer in truncate mode */
#define TCP_CONNS   4

/* One query the server got. */
struct query {
	bool tcp;
	uint32_t src;
	uint16_t sport;
	uint16_t id, qtype;
	char name[DNS_NAME_MAX];
};

struct tcp_peer_conn {
	int id; /* -1: free */
	uint8_t buf[2 + 512];
	size_t len;
};

static struct server {
	struct stack *s;
	int udp;      /* -1: closed (ICMP port unreachable) */
	int listener; /* TCP 53 */
	bool truncate;
	bool tcp_hangup; /* TCP: closes at the query, without an answer */
	bool tcp_stall;	 /* TCP: announces 65535 bytes, sends a few, stops */
	struct tcp_peer_conn conns[TCP_CONNS];
	struct query q[QUERIES_MAX];
	int nq;
} S;

/* The results the daemon handed out (loop thread). */
static struct dns_result results[RESULTS_MAX];
static int nresults;
static struct resolver R;
/* The [dns] limits of the next world (0: default). */
static uint32_t setup_timeout_ms, setup_attempts, setup_queries_max;

/* ---- the scripted server --------------------------------------------- */

/* Reads a query's ID, first question's name and type. */
static int parse_query(const uint8_t *m, size_t len, struct query *q)
{
	size_t at = 12, n = 0;

	if (len < 12)
		return -1;
	q->id = (uint16_t)(m[0] << 8 | m[1]);
	while (at < len && m[at]) {
		size_t l = m[at++];

		if (l > 63 || at + l > len || n + l + 2 > sizeof(q->name))
			return -1;
		if (n)
			q->name[n++] = '.';
		memcpy(q->name + n, m + at, l);
		n += l;
		at += l;
	}
	q->name[n] = '\0';
	at++;
	if (at + 4 > len)
		return -1;
	q->qtype = (uint16_t)(m[at] << 8 | m[at + 1]);
	return 0;
}

/* The answer to q into buf (addresses from 192.0.2.N, N the queries
 * noted so far); returns its length. */
static size_t build_answer(const struct query *q, bool tcp, uint8_t *buf,
			   size_t cap)
{
	struct dns_writer w;
	uint16_t flags = DNS_F_QR | DNS_F_RD | DNS_F_RA;
	int n;

	if (S.truncate && !tcp)
		flags |= DNS_F_TC;
	dns_writer_init(&w, buf, cap, q->id, flags);
	dns_writer_question(&w, q->name, q->qtype);
	if (q->qtype == DNS_TYPE_A && !(S.truncate && !tcp)) {
		int count = S.truncate ? TRUNC_ADDRS : 1;

		for (int i = 0; i < count; i++) {
			uint8_t a[4] = {192, 0, 2, (uint8_t)(S.nq + i)};

			dns_writer_rr(&w, DNS_SEC_ANSWER, q->name, DNS_TYPE_A,
				      300, a, 4);
		}
	}
	n = dns_writer_finish(&w);
	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

static void note_query(const struct query *q)
{
	if (S.nq < QUERIES_MAX)
		S.q[S.nq] = *q;
	S.nq++;
}

static void server_udp(uint64_t now)
{
	struct udp_datagram dg;
	uint8_t out[1500];

	while (S.udp >= 0 && udp_peek(S.s, S.udp, &dg) == 0) {
		struct query q = {
		    .tcp = false, .src = dg.src_addr, .sport = dg.src_port};

		if (parse_query(dg.data, dg.len, &q) == 0) {
			size_t n = build_answer(&q, false, out, sizeof(out));

			note_query(&q);
			(void)udp_send(S.s, now, S.udp, dg.src_addr,
				       dg.src_port, out, n);
		}
		udp_pop(S.s, S.udp);
	}
}

static struct tcp_peer_conn *tcp_conn_of(int id)
{
	for (int i = 0; i < TCP_CONNS; i++)
		if (S.conns[i].id == id)
			return &S.conns[i];
	return NULL;
}

static void server_tcp_readable(int conn, uint64_t now)
{
	struct tcp_peer_conn *c = tcp_conn_of(conn);
	const uint8_t *data;
	size_t len;

	if (!c)
		return;
	while (tcp_recv_peek(S.s, conn, &data, &len) == 0) {
		if (len == 0) {
			tcp_close(S.s, now, conn);
			c->id = -1;
			return;
		}
		if (len > sizeof(c->buf) - c->len)
			len = sizeof(c->buf) - c->len;
		memcpy(c->buf + c->len, data, len);
		c->len += len;
		tcp_recv_consume(S.s, now, conn, len);
		if (c->len >= 2 &&
		    c->len >= 2u + (size_t)(c->buf[0] << 8 | c->buf[1])) {
			struct stack_tcp_info info;
			struct query q = {.tcp = true};
			uint8_t out[2 + 2048];
			size_t n;

			ck_assert_int_eq(tcp_conn_info(S.s, conn, &info), 0);
			q.src = info.remote_addr;
			q.sport = info.remote_port;
			ck_assert_int_eq(
			    parse_query(c->buf + 2, c->len - 2, &q), 0);
			if (S.tcp_hangup) {
				note_query(&q);
				tcp_close(S.s, now, conn);
				c->id = -1;
				return;
			}
			n = build_answer(&q, true, out + 2, sizeof(out) - 2);
			note_query(&q);
			if (S.tcp_stall) {
				/* The start of a message that never ends. */
				out[0] = 0xff;
				out[1] = 0xff;
				ck_assert_int_eq(
				    tcp_send(S.s, now, conn, out, n + 2),
				    (long)(n + 2));
				c->len = 0;
				continue;
			}
			out[0] = (uint8_t)(n >> 8);
			out[1] = (uint8_t)n;
			ck_assert_int_eq(tcp_send(S.s, now, conn, out, n + 2),
					 (long)(n + 2));
			c->len = 0;
		}
	}
}

static void server_event(struct sim *sim, struct sim_node *node,
			 const struct stack_event *ev, void *arg)
{
	uint64_t now = sim_now(sim);
	uint32_t raddr;
	uint16_t rport;
	int conn;

	switch (ev->type) {
	case STACK_EV_UDP_READABLE:
		server_udp(now);
		break;
	case STACK_EV_TCP_ACCEPTABLE:
		while ((conn = tcp_accept(S.s, ev->sock, &raddr, &rport)) >=
		       0) {
			struct tcp_peer_conn *c = tcp_conn_of(-1);

			ck_assert_ptr_nonnull(c);
			c->id = conn;
			c->len = 0;
		}
		break;
	case STACK_EV_TCP_READABLE:
		server_tcp_readable(ev->sock, now);
		break;
	default:
		break;
	}
}

static void server_apps(struct stack *s)
{
	S.s = s;
	S.udp = udp_socket_open(s, 0, DNS_PORT, 0, 0);
	ck_assert_int_ge(S.udp, 0);
	S.listener = tcp_listen(s, 0, DNS_PORT, 4, NULL);
	ck_assert_int_ge(S.listener, 0);
	for (int i = 0; i < TCP_CONNS; i++)
		S.conns[i].id = -1;
}

/* ---- the daemon's side ------------------------------------------------ */

static void take_result(struct daemon *d, const struct dns_result *res)
{
	if (nresults < RESULTS_MAX)
		results[nresults] = *res;
	nresults++;
}

/* The configuration: interface sim0 with DNS server 10.0.0.1, and a
 * static host printer.lan ([hosts]) with two addresses. */
static void resolver_config(struct config *cfg)
{
	struct config_host *h = &cfg->dns.hosts[0];

	snprintf(h->name, sizeof(h->name), "printer.lan");
	h->addrs[0] = (struct dns_addr){.family = 4, .addr = {10, 0, 0, 9}};
	h->addrs[1] = (struct dns_addr){.family = 4, .addr = {10, 0, 0, 10}};
	h->naddrs = 2;
	cfg->dns.nhosts = 1;
	cfg->nifs = 1;
	snprintf(cfg->ifs[0].name, sizeof(cfg->ifs[0].name), "sim0");
	cfg->ifs[0].dns[0] = PEER_ADDR;
	cfg->ifs[0].ndns = 1;
	if (setup_timeout_ms)
		cfg->dns.limits.timeout_ms = setup_timeout_ms;
	if (setup_attempts)
		cfg->dns.limits.attempts = setup_attempts;
	if (setup_queries_max)
		cfg->dns.limits.queries_max = setup_queries_max;
}

static void start_resolver(void)
{
	H.d.on_dns_result = take_result;
	ck_assert_int_eq(resolver_start(&H.d, &R), 0);
	ck_assert_ptr_eq(H.d.resolver, &R);
}

static void stop_resolver(void)
{
	resolver_stop(&H.d);
	ck_assert_ptr_null(H.d.resolver);
}

static void setup(void)
{
	const struct harness_opts opts = {
	    .config = resolver_config,
	    .peer_event = server_event,
	    .peer_apps = server_apps,
	    .before_run = start_resolver,
	    .after_run = stop_resolver,
	};

	memset(&S, 0, sizeof(S));
	memset(results, 0, sizeof(results));
	nresults = 0;
	harness_setup(&opts);
}

static void teardown(void)
{
	harness_teardown();
}

/* A world whose attempts give up fast: 1 round of 100 ms. */
static void setup_fast(void)
{
	setup_timeout_ms = 100;
	setup_attempts = 1;
	setup();
	setup_timeout_ms = 0;
	setup_attempts = 0;
}

/* A world with 2 transports (queries_max). */
static void setup_two_queries(void)
{
	setup_queries_max = 2;
	setup();
	setup_queries_max = 0;
}

struct lookup_call {
	const char *name;
	int rc;
};

static void lookup_fn(void *arg)
{
	struct lookup_call *c = arg;

	c->rc = resolver_lookup(&H.d, c->name, DNS_WANT_A, 1, NULL);
}

/* Starts a lookup of name (A) on the loop; returns its id. */
static int lookup(const char *name)
{
	struct lookup_call c = {name, 0};

	on_loop(lookup_fn, &c);
	ck_assert_msg(c.rc >= 0, "resolver_lookup(%s): %d", name, c.rc);
	return c.rc;
}

struct lookups_call {
	const char *const *names;
	int n;
};

static void lookups_fn(void *arg)
{
	const struct lookups_call *c = arg;

	for (int i = 0; i < c->n; i++)
		ck_assert_int_ge(
		    resolver_lookup(&H.d, c->names[i], DNS_WANT_A, 1, NULL), 0);
}

/* Starts lookups of every name at once, in one turn of the loop. */
static void lookup_all(const char *const *names, int n)
{
	struct lookups_call c = {names, n};

	on_loop(lookups_fn, &c);
}

static int results_wanted;

static bool results_came(void)
{
	return nresults >= results_wanted;
}

/* Waits for the n-th result; returns it (a copy, taken on the loop). */
static void wait_results(int n)
{
	results_wanted = n;
	ck_assert_msg(wait_until(results_came), "%d results, not %d", nresults,
		      n);
}

static uint32_t addr4(const struct dns_addr *a)
{
	return (uint32_t)a->addr[0] << 24 | (uint32_t)a->addr[1] << 16 |
	       (uint32_t)a->addr[2] << 8 | a->addr[3];
}

static void counter_fn(void *arg)
{
	uint64_t *v = arg;

	*v = dns_counter_get(R.dns, (enum dns_counter) * v);
}

static uint64_t counter(enum dns_counter c)
{
	uint64_t v = (uint64_t)c;

	on_loop(counter_fn, &v);
	return v;
}

/* ---- the tests ------------------------------------------------------ */

START_TEST(test_lookup_goes_out_over_udp_and_its_answer_comes_back)
{
	const struct dns_result *res = &results[0];

	lookup("host.example.");
	wait_results(1);
	ck_assert_int_eq(res->status, DNS_OK);
	ck_assert_int_eq(res->source, DNS_SRC_NETWORK);
	ck_assert_uint_eq(res->server, PEER_ADDR);
	ck_assert_uint_eq(res->server_port, DNS_PORT);
	ck_assert_str_eq(res->name, "host.example");
	ck_assert_uint_eq(res->naddrs, 1);
	ck_assert_int_eq(res->addrs[0].family, 4);
	ck_assert_uint_eq(addr4(&res->addrs[0]), 0xc0000200u); /* query 0 */
	/* One datagram from the daemon to port 53 of the server, from an
	 * ephemeral port. */
	ck_assert_int_eq(S.nq, 1);
	ck_assert(!S.q[0].tcp);
	ck_assert_str_eq(S.q[0].name, "host.example");
	ck_assert_uint_eq(S.q[0].qtype, DNS_TYPE_A);
	ck_assert_uint_eq(S.q[0].src, DAEMON_ADDR);
	ck_assert_uint_ge(S.q[0].sport, 1024);
	ck_assert_uint_eq(counter(DNS_C_queries), 1);
	ck_assert_uint_eq(counter(DNS_C_answers), 1);
}
END_TEST

START_TEST(test_static_hosts_and_localhost_are_answered_without_a_query)
{
	lookup("printer.lan");
	lookup("localhost");
	wait_results(2);
	ck_assert_int_eq(results[0].status, DNS_OK);
	ck_assert_int_eq(results[0].source, DNS_SRC_HOSTS);
	ck_assert_uint_eq(results[0].naddrs, 2);
	ck_assert_uint_eq(addr4(&results[0].addrs[0]), 0x0a000009u);
	ck_assert_uint_eq(addr4(&results[0].addrs[1]), 0x0a00000au);
	ck_assert_int_eq(results[1].status, DNS_OK);
	ck_assert_int_eq(results[1].source, DNS_SRC_LOCAL);
	ck_assert_uint_eq(addr4(&results[1].addrs[0]), 0x7f000001u);
	ck_assert_int_eq(S.nq, 0);
	ck_assert_uint_eq(counter(DNS_C_queries), 0);
}
END_TEST

START_TEST(test_each_query_leaves_from_another_port)
{
	const char *names[] = {"a.example.", "b.example.", "c.example.",
			       "d.example."};
	int n = (int)(sizeof(names) / sizeof(names[0]));

	lookup_all(names, n); /* all on the wire at once */
	wait_results(n);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(results[i].status, DNS_OK);
	ck_assert_int_eq(S.nq, n);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			ck_assert_msg(S.q[i].sport != S.q[j].sport,
				      "queries %d and %d from port %u", i, j,
				      S.q[i].sport);
}
END_TEST

/* No UDP socket open, no TCP connection of the daemon's established. */
static bool no_transport_open(void)
{
	struct stack_tcp_info tcp[8];
	size_t n = stack_tcp_snapshot(H.d.stack, daemon_now(), tcp, 8);

	if (stack_udp_snapshot(H.d.stack, NULL, 0) != 0 || n > 8)
		return false;
	for (size_t i = 0; i < n; i++)
		if (tcp[i].state == TCPS_ESTABLISHED)
			return false;
	return dns_questions_active(R.dns) == 0;
}

START_TEST(test_truncated_answer_is_asked_again_over_tcp)
{
	const struct dns_result *res = &results[0];

	S.truncate = true;
	lookup("big.example.");
	wait_results(1);
	ck_assert_int_eq(res->status, DNS_OK);
	ck_assert_uint_eq(res->naddrs, TRUNC_ADDRS);
	ck_assert_uint_eq(addr4(&res->addrs[TRUNC_ADDRS - 1]),
			  0xc0000200u + 1 + TRUNC_ADDRS - 1);
	/* UDP first, then the same question over TCP. */
	ck_assert_int_eq(S.nq, 2);
	ck_assert(!S.q[0].tcp);
	ck_assert(S.q[1].tcp);
	ck_assert_str_eq(S.q[1].name, "big.example");
	ck_assert_uint_eq(S.q[1].src, DAEMON_ADDR);
	ck_assert_uint_eq(counter(DNS_C_truncated), 1);
	ck_assert_uint_eq(counter(DNS_C_queries_tcp), 1);
	/* Its socket and connection are let go of. */
	ck_assert(wait_until(no_transport_open));
}
END_TEST

START_TEST(test_tcp_answer_that_never_ends_times_out)
{
	int waits = 0;

	S.truncate = true;
	S.tcp_stall = true;
	lookup("big.example.");
	/* DNS_TCP_TIMEOUT_MS (5 s) for the TCP attempt: longer than one
	 * wait_until(). */
	results_wanted = 1;
	while (!wait_until(results_came))
		ck_assert_int_lt(++waits, 3);
	ck_assert_int_eq(results[0].status, DNS_AGAIN);
	ck_assert_int_eq(S.nq, 2);
	ck_assert(S.q[1].tcp);
	ck_assert_uint_eq(counter(DNS_C_timeouts), 1);
	ck_assert_uint_eq(counter(DNS_C_answers), 1); /* the TC one */
	/* The connection is aborted, its buffer freed: nothing open. */
	ck_assert(wait_until(no_transport_open));
}
END_TEST

static void close_server_udp_fn(void *arg)
{
	udp_socket_close(S.s, S.udp);
	S.udp = -1;
}

START_TEST(test_port_unreachable_ends_the_attempt_at_once)
{
	const struct dns_result *res = &results[0];

	on_loop(close_server_udp_fn, NULL);
	lookup("host.example.");
	wait_results(1);
	/* The only server refused (ICMP), one round: no address. */
	ck_assert_int_eq(res->status, DNS_AGAIN);
	ck_assert_uint_ge(counter(DNS_C_transport_errors), 1);
	ck_assert_uint_eq(counter(DNS_C_timeouts), 0);
	ck_assert_int_eq(S.nq, 0);
}
END_TEST

/* The daemon's netconf (touched on the loop only), and what a test
 * wants it to be. */
/* The most UDP sockets the daemon's stack had open at a drain. */
static size_t udp_peak;

static bool count_udp_and_done(void)
{
	size_t n = stack_udp_snapshot(H.d.stack, NULL, 0);

	if (n > udp_peak)
		udp_peak = n;
	return nresults >= results_wanted;
}

START_TEST(test_lookups_beyond_queries_max_wait_for_a_transport)
{
	const char *names[] = {"a.example.", "b.example.", "c.example.",
			       "d.example.", "e.example."};
	int n = (int)(sizeof(names) / sizeof(names[0]));

	ck_assert_uint_eq(R.ntransports, 2);
	udp_peak = 0;
	lookup_all(names, n);
	results_wanted = n;
	ck_assert(wait_until(count_udp_and_done));
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(results[i].status, DNS_OK);
	ck_assert_int_eq(S.nq, n);
	ck_assert_uint_le(udp_peak, 2);
	ck_assert_uint_ge(counter(DNS_C_queries_waited), 1);
}
END_TEST

START_TEST(test_tcp_closed_before_an_answer_is_a_transport_error)
{
	S.truncate = true;
	S.tcp_hangup = true;
	lookup("big.example.");
	wait_results(1);
	/* The one server's TCP connection ended without an answer: that
	 * attempt failed at once (no 5 s wait), and one round is all. */
	ck_assert_int_eq(results[0].status, DNS_AGAIN);
	ck_assert_int_eq(S.nq, 2);
	ck_assert(S.q[1].tcp);
	ck_assert_uint_ge(counter(DNS_C_transport_errors), 1);
	ck_assert_uint_eq(counter(DNS_C_timeouts), 0);
	ck_assert(wait_until(no_transport_open));
}
END_TEST

static struct netconf test_netconf, nc;

/* Sets d->netconf to a copy of arg (NULL: none) and follows it, as the
 * end of a turn does. */
static void set_netconf_fn(void *arg)
{
	if (arg) {
		test_netconf = *(const struct netconf *)arg;
		H.d.netconf = &test_netconf;
	} else {
		H.d.netconf = NULL;
	}
	resolver_follow(&H.d);
}

/* Sets [dns] search to arg ("": none), on the loop. */
static void set_search_fn(void *arg)
{
	const char *name = arg;

	H.cfg.dns.search_set = true;
	H.cfg.dns.nsearch = name[0] ? 1 : 0;
	snprintf(H.cfg.dns.search[0], DNS_NAME_MAX, "%s", name);
}

START_TEST(test_no_server_is_again)
{
	memset(&nc, 0, sizeof(nc));
	nc.nifs = 1;
	on_loop(set_netconf_fn, &nc);
	ck_assert_uint_eq(R.nservers, 0);
	lookup("host.example.");
	wait_results(1);
	ck_assert_int_eq(results[0].status, DNS_AGAIN);
	ck_assert_int_eq(S.nq, 0);
	on_loop(set_netconf_fn, NULL);
}
END_TEST

START_TEST(test_a_server_that_does_not_answer_gives_way_to_the_next)
{
	memset(&nc, 0, sizeof(nc));
	nc.nifs = 1;
	nc.ifs[0].dns[0] = NOBODY;
	nc.ifs[0].dns[1] = PEER_ADDR;
	nc.ifs[0].ndns = 2;
	nc.ifs[0].dns_src = NETCONF_LEASE;
	on_loop(set_netconf_fn, &nc);
	ck_assert_uint_eq(R.nservers, 2);
	lookup("host.example.");
	wait_results(1);
	ck_assert_int_eq(results[0].status, DNS_OK);
	ck_assert_uint_eq(results[0].server, PEER_ADDR);
	ck_assert_int_eq(S.nq, 1);
	ck_assert_uint_ge(
	    counter(DNS_C_timeouts) + counter(DNS_C_transport_errors), 1);
	on_loop(set_netconf_fn, NULL);
}
END_TEST

struct snap {
	struct dns_server_info sv[DNS_SERVERS_MAX];
	size_t nsv;
	char search[DNS_SEARCH_MAX][DNS_NAME_MAX];
	size_t nsearch;
};

static void snap_fn(void *arg)
{
	struct snap *sn = arg;

	sn->nsv = dns_server_snapshot(R.dns, sn->sv, DNS_SERVERS_MAX);
	sn->nsearch = dns_search_snapshot(R.dns, sn->search, DNS_SEARCH_MAX);
}

START_TEST(test_servers_and_search_list_follow_the_settings)
{
	struct snap sn;

	/* The configuration's at start (no netconf). */
	on_loop(snap_fn, &sn);
	ck_assert_uint_eq(sn.nsv, 1);
	ck_assert_uint_eq(sn.sv[0].server.addr, PEER_ADDR);
	ck_assert_uint_eq(sn.sv[0].server.port, DNS_PORT);
	ck_assert_int_eq(sn.sv[0].server.source, NETCONF_CONFIG);
	ck_assert_uint_eq(sn.nsearch, 0);

	/* Two interfaces' leases: in order, each server once, at most
	 * DNS_SERVERS_MAX; each one's search list, or its domain. */
	memset(&nc, 0, sizeof(nc));
	nc.nifs = 2;
	nc.ifs[0].dns[0] = 0x0a000035u;
	nc.ifs[0].dns[1] = PEER_ADDR;
	nc.ifs[0].ndns = 2;
	nc.ifs[0].dns_src = NETCONF_LEASE;
	snprintf(nc.ifs[0].search[0], DHCP_NAME_MAX, "corp.example");
	snprintf(nc.ifs[0].search[1], DHCP_NAME_MAX, "lab.example.");
	nc.ifs[0].nsearch = 2;
	snprintf(nc.ifs[0].domain, DHCP_NAME_MAX, "unused.example");
	for (int i = 0; i < DNS_SERVERS_MAX; i++)
		nc.ifs[1].dns[i] = PEER_ADDR + (uint32_t)i; /* dup */
	nc.ifs[1].ndns = DNS_SERVERS_MAX;
	nc.ifs[1].dns_src = NETCONF_CONFIG;
	snprintf(nc.ifs[1].domain, DHCP_NAME_MAX, "Corp.Example");
	on_loop(set_netconf_fn, &nc);
	on_loop(snap_fn, &sn);
	ck_assert_uint_eq(sn.nsv, DNS_SERVERS_MAX);
	ck_assert_uint_eq(sn.sv[0].server.addr, 0x0a000035u);
	ck_assert_int_eq(sn.sv[0].server.ifindex, 0);
	ck_assert_int_eq(sn.sv[0].server.source, NETCONF_LEASE);
	ck_assert_uint_eq(sn.sv[1].server.addr, PEER_ADDR);
	ck_assert_uint_eq(sn.sv[2].server.addr, PEER_ADDR + 1);
	ck_assert_int_eq(sn.sv[2].server.ifindex, 1);
	ck_assert_int_eq(sn.sv[2].server.source, NETCONF_CONFIG);
	ck_assert_uint_eq(sn.sv[DNS_SERVERS_MAX - 1].server.addr,
			  PEER_ADDR + DNS_SERVERS_MAX - 2);
	ck_assert_uint_eq(sn.nsearch, 2);
	ck_assert_str_eq(sn.search[0], "corp.example");
	ck_assert_str_eq(sn.search[1], "lab.example");

	/* A lease lost: its servers go. */
	nc.ifs[0].ndns = 0;
	nc.ifs[0].nsearch = 0;
	nc.ifs[0].domain[0] = '\0';
	nc.ifs[1].ndns = 1;
	on_loop(set_netconf_fn, &nc);
	on_loop(snap_fn, &sn);
	ck_assert_uint_eq(sn.nsv, 1);
	ck_assert_uint_eq(sn.sv[0].server.addr, PEER_ADDR);
	ck_assert_int_eq(sn.sv[0].server.ifindex, 1);
	ck_assert_uint_eq(sn.nsearch, 1);
	ck_assert_str_eq(sn.search[0], "Corp.Example");

	/* [dns] search wins over the leases'; none is an empty list. */
	on_loop(set_search_fn, "");
	on_loop(set_netconf_fn, &nc);
	on_loop(snap_fn, &sn);
	ck_assert_uint_eq(sn.nsearch, 0);
	on_loop(set_search_fn, "mine.example");
	on_loop(set_netconf_fn, &nc);
	on_loop(snap_fn, &sn);
	ck_assert_uint_eq(sn.nsearch, 1);
	ck_assert_str_eq(sn.search[0], "mine.example");

	/* And the lookup goes to the server in use. */
	lookup("host.example.");
	wait_results(1);
	ck_assert_int_eq(results[0].status, DNS_OK);
	ck_assert_uint_eq(results[0].server, PEER_ADDR);
	on_loop(set_netconf_fn, NULL);
}
END_TEST

/* ---- reloads ------------------------------------------------------- */

/* The file read again: the running configuration as `change` changes
 * it, applied as SIGHUP does (reload_apply(), on the loop). */
struct reload_call {
	void (*change)(struct config *cfg);
	int applied;
};

static struct config reload_cfg; /* the loop thread's */

static void reload_fn(void *arg)
{
	struct reload_call *c = arg;

	reload_cfg = H.cfg;
	c->change(&reload_cfg);
	c->applied = reload_apply(&H.d, &reload_cfg, "utcpd.conf");
}

/* Reloads; returns how many keys took effect. */
static int reload(void (*change)(struct config *cfg))
{
	struct reload_call c = {change, 0};

	on_loop(reload_fn, &c);
	return c.applied;
}

static void file_without_dns(struct config *cfg)
{
	cfg->ifs[0].ndns = 0;
}

static void file_names_the_peer(struct config *cfg)
{
	cfg->ifs[0].dns[0] = PEER_ADDR;
	cfg->ifs[0].ndns = 1;
}

static void file_adds_nobody(struct config *cfg)
{
	cfg->ifs[0].dns[0] = PEER_ADDR;
	cfg->ifs[0].dns[1] = NOBODY;
	cfg->ifs[0].ndns = 2;
}

static void file_nobody_first(struct config *cfg)
{
	cfg->ifs[0].dns[0] = NOBODY;
	cfg->ifs[0].dns[1] = PEER_ADDR;
	cfg->ifs[0].ndns = 2;
}

static void file_ttl_max_raised(struct config *cfg)
{
	cfg->dns.limits.ttl_max_s *= 2;
}

static void file_ttl_max_lowered(struct config *cfg)
{
	cfg->dns.limits.ttl_max_s = 60;
}

static void file_search_and_hosts_changed(struct config *cfg)
{
	cfg->dns.search_set = true;
	cfg->dns.nsearch = 1;
	snprintf(cfg->dns.search[0], DNS_NAME_MAX, "corp.example");
	cfg->dns.nhosts = 0;
}

static void cache_size_fn(void *arg)
{
	*(size_t *)arg = dns_cache_size(R.dns);
}

static size_t cache_size(void)
{
	size_t n;

	on_loop(cache_size_fn, &n);
	return n;
}

/* sim0's settings: a lease that gives one DNS server, `server` (on the
 * loop; the resolver follows). */
static void lease_gives(uint32_t server)
{
	memset(&nc, 0, sizeof(nc));
	nc.nifs = 1;
	nc.ifs[0].dns[0] = server;
	nc.ifs[0].ndns = 1;
	nc.ifs[0].dns_src = NETCONF_LEASE;
	on_loop(set_netconf_fn, &nc);
}

/* Looks host.example up (the result's number `n`) and checks it is an
 * answer from `source`. */
static void look_host_up(int n, enum dns_source source)
{
	lookup("host.example.");
	wait_results(n);
	ck_assert_int_eq(results[n - 1].status, DNS_OK);
	ck_assert_int_eq(results[n - 1].source, source);
}

/* A reload keeps the cache when what its answers depend on stays: the
 * same server, once from a lease and then from the file (only its
 * source changed), another search list or other [hosts], a TTL cap
 * raised; it flushes it when the servers' addresses or their order
 * change, or a TTL cap is lowered. (Without: any change of the servers,
 * their source too, flushed it.) */
START_TEST(test_reload_flushes_the_cache_only_when_its_answers_change)
{
	/* A file without a server for sim0, and a lease that gives the
	 * peer: one query, and its answer cached. */
	ck_assert_int_eq(reload(file_without_dns), 1);
	lease_gives(PEER_ADDR);
	ck_assert_int_eq(R.servers[0].source, NETCONF_LEASE);
	look_host_up(1, DNS_SRC_NETWORK);
	ck_assert_int_eq(S.nq, 1);

	/* The file names the same server now (the lease is not bound
	 * here: it is the file's alone): the answer stays cached. */
	ck_assert_int_eq(reload(file_names_the_peer), 1);
	ck_assert_uint_eq(R.nservers, 1);
	ck_assert_int_eq(R.servers[0].source, NETCONF_CONFIG);
	look_host_up(2, DNS_SRC_CACHE);
	ck_assert_int_eq(S.nq, 1);
	ck_assert_uint_eq(counter(DNS_C_cache_hits), 1);

	/* Neither the search list, nor [hosts], nor a raised TTL cap. */
	ck_assert_int_ge(reload(file_search_and_hosts_changed), 1);
	ck_assert_int_eq(reload(file_ttl_max_raised), 1);
	look_host_up(3, DNS_SRC_CACHE);
	ck_assert_int_eq(S.nq, 1);

	/* A second server: flushed, the question asked again. */
	ck_assert_int_eq(reload(file_adds_nobody), 1);
	ck_assert_uint_eq(cache_size(), 0);
	look_host_up(4, DNS_SRC_NETWORK);
	ck_assert_int_eq(S.nq, 2);
	ck_assert_uint_eq(counter(DNS_C_cache_hits), 2);

	/* The same servers in another order: flushed. */
	ck_assert_uint_eq(cache_size(), 1);
	ck_assert_int_eq(reload(file_nobody_first), 1);
	ck_assert_uint_eq(cache_size(), 0);

	/* A TTL cap lowered: flushed. */
	ck_assert_int_eq(reload(file_adds_nobody), 1);
	look_host_up(5, DNS_SRC_NETWORK);
	ck_assert_uint_eq(cache_size(), 1);
	ck_assert_int_eq(reload(file_ttl_max_lowered), 1);
	ck_assert_uint_eq(cache_size(), 0);
	on_loop(set_netconf_fn, NULL);
}
END_TEST

/* A lease that changes the servers, with no reload (another network's
 * DHCP server), flushes the cache as a reload does: the old servers'
 * answers may not be the new ones' (a name only the old network has,
 * or has another address for). The same server again, renewed or from
 * another source, keeps it. (Without: only a reload flushed it, and
 * the answers of a server no longer asked were served until their TTL,
 * up to ttl_max, or negative_ttl_max for a name it did not know.) */
START_TEST(test_a_lease_with_other_servers_flushes_the_cache)
{
	lease_gives(PEER_ADDR);
	look_host_up(1, DNS_SRC_NETWORK);
	ck_assert_uint_eq(cache_size(), 1);

	/* The same server, from the file now: kept. */
	nc.ifs[0].dns_src = NETCONF_CONFIG;
	on_loop(set_netconf_fn, &nc);
	ck_assert_int_eq(R.servers[0].source, NETCONF_CONFIG);
	look_host_up(2, DNS_SRC_CACHE);
	ck_assert_int_eq(S.nq, 1);

	/* Another network's lease, another server: flushed. */
	lease_gives(NOBODY);
	ck_assert_uint_eq(R.nservers, 1);
	ck_assert_uint_eq(R.servers[0].addr, NOBODY);
	ck_assert_uint_eq(cache_size(), 0);
	on_loop(set_netconf_fn, NULL);
}
END_TEST

/* What a STATUS says of the resolver. */
struct status_seen {
	int dns, servers, caches, counters;
	struct ipc_rec_dns rec;
	struct ipc_rec_dns_server server;
	struct ipc_rec_dns_cache cache;
	char search[4][IPC_DNAME_MAX + 1];
	int nsearch;
	bool dns_after_stack_counters;
	int stack_counters;
	int loop_counters; /* busy_polls, busy_poll_hits: after the DNS's */
	bool loop_after_dns_counters;
	int control_counters; /* control_*: after the loop's */
	bool control_after_loop;
	uint64_t dns_queries;
};

static void dns_record(const struct ipc_record *r, void *arg)
{
	struct status_seen *ds = arg;

	switch (r->type) {
	case IPC_REC_DNS:
		ds->dns++;
		ds->rec = r->u.dns;
		break;
	case IPC_REC_DNS_SERVER:
		ds->servers++;
		ds->server = r->u.dns_server;
		break;
	case IPC_REC_DNS_CACHE:
		ds->caches++;
		ds->cache = r->u.dns_cache;
		break;
	case IPC_REC_SEARCH:
		if (r->u.search.ifindex == -1 && ds->nsearch < 4)
			snprintf(ds->search[ds->nsearch++],
				 sizeof(ds->search[0]), "%s", r->u.search.name);
		break;
	case IPC_REC_COUNTER:
		if (strncmp(r->u.counter.name, "control_", 8) == 0) {
			/* the control server's, last */
			ds->control_counters++;
			ds->control_after_loop = ds->loop_counters == 2;
			break;
		}
		if (strncmp(r->u.counter.name, "busy_poll", 9) == 0) {
			ds->loop_counters++;
			ds->loop_after_dns_counters =
			    ds->counters == DNS_COUNTER_COUNT;
			break;
		}
		if (strncmp(r->u.counter.name, "capture_", 8) == 0)
			break; /* the captures': test_control checks them */
		if (strncmp(r->u.counter.name, "dns_", 4) != 0) {
			ds->stack_counters++;
			ds->dns_after_stack_counters = ds->counters == 0;
			break;
		}
		ds->counters++;
		if (strcmp(r->u.counter.name, "dns_queries") == 0)
			ds->dns_queries = r->u.counter.value;
		break;
	default:
		break;
	}
}

START_TEST(test_status_shows_the_resolver)
{
	struct status_seen ds;

	memset(&nc, 0, sizeof(nc));
	nc.nifs = 1;
	nc.ifs[0].dns[0] = PEER_ADDR;
	nc.ifs[0].ndns = 1;
	nc.ifs[0].dns_src = NETCONF_LEASE;
	snprintf(nc.ifs[0].search[0], DHCP_NAME_MAX, "corp.example");
	nc.ifs[0].nsearch = 1;
	on_loop(set_netconf_fn, &nc);
	lookup("host.example.");
	wait_results(1);
	ck_assert_int_eq(results[0].status, DNS_OK);

	memset(&ds, 0, sizeof(ds));
	status_records(IPC_VERSION_MAX, dns_record, &ds);
	ck_assert_int_eq(ds.dns, 1);
	ck_assert_uint_eq(ds.rec.ndots, 1);
	ck_assert_uint_eq(ds.rec.cache_max, 512);
	ck_assert_uint_eq(ds.rec.cache_entries, 1);
	ck_assert_uint_eq(ds.rec.lookups_max, 256);
	ck_assert_uint_eq(ds.rec.queries_max, 128);
	ck_assert_uint_eq(ds.rec.lookups_pending, 0);
	ck_assert_int_eq(ds.servers, 1);
	ck_assert_int_eq(ds.server.ifindex, 0);
	ck_assert_uint_eq(ds.server.addr, PEER_ADDR);
	ck_assert_uint_eq(ds.server.port, DNS_PORT);
	ck_assert_uint_eq(ds.server.source, IPC_SOURCE_LEASE);
	ck_assert_uint_eq(ds.server.flags, 0);
	ck_assert_uint_eq(ds.server.queries, 1);
	ck_assert_uint_eq(ds.server.answers, 1);
	ck_assert_int_eq(ds.nsearch, 1);
	ck_assert_str_eq(ds.search[0], "corp.example");
	/* The name had a trailing dot: only itself, no search. */
	ck_assert_int_eq(ds.caches, 1);
	ck_assert_str_eq(ds.cache.name, "host.example");
	ck_assert_uint_eq(ds.cache.qtype, DNS_TYPE_A);
	ck_assert_uint_eq(ds.cache.kind, IPC_DNS_CACHE_POSITIVE);
	ck_assert_uint_eq(ds.cache.naddrs, 1);
	ck_assert_uint_eq(ds.cache.addrs.n, 1);
	ck_assert_uint_eq(ds.cache.addrs.a[0], 0xc0000200u);
	ck_assert_uint_le(ds.cache.ttl_left_s, 300);
	ck_assert_uint_gt(ds.cache.ttl_left_s, 0);
	/* Every DNS counter, after the stack's. */
	ck_assert_int_eq(ds.stack_counters, STACK_COUNTER_COUNT);
	ck_assert(ds.dns_after_stack_counters);
	ck_assert_int_eq(ds.counters, DNS_COUNTER_COUNT);
	ck_assert_uint_eq(ds.dns_queries, 1);
	/* then the loop's two */
	ck_assert_int_eq(ds.loop_counters, 2);
	ck_assert(ds.loop_after_dns_counters);
	ck_assert_int_gt(ds.control_counters, 0);
	ck_assert(ds.control_after_loop);
	on_loop(set_netconf_fn, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("resolver");
	TCase *tc = tcase_create("in-process");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc,
		       test_lookup_goes_out_over_udp_and_its_answer_comes_back);
	tcase_add_test(tc, test_each_query_leaves_from_another_port);
	tcase_add_test(
	    tc, test_static_hosts_and_localhost_are_answered_without_a_query);
	tcase_add_test(tc, test_truncated_answer_is_asked_again_over_tcp);
	tcase_add_test(tc, test_servers_and_search_list_follow_the_settings);
	tcase_add_test(tc, test_no_server_is_again);
	tcase_add_test(
	    tc, test_a_server_that_does_not_answer_gives_way_to_the_next);
	tcase_add_test(tc, test_status_shows_the_resolver);
	tcase_add_test(
	    tc, test_reload_flushes_the_cache_only_when_its_answers_change);
	tcase_add_test(tc, test_a_lease_with_other_servers_flushes_the_cache);
	suite_add_tcase(s, tc);
	tc = tcase_create("two transports");
	tcase_add_checked_fixture(tc, setup_two_queries, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc,
		       test_lookups_beyond_queries_max_wait_for_a_transport);
	suite_add_tcase(s, tc);
	tc = tcase_create("fast");
	tcase_add_checked_fixture(tc, setup_fast, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_port_unreachable_ends_the_attempt_at_once);
	tcase_add_test(tc,
		       test_tcp_closed_before_an_answer_is_a_transport_error);
	tcase_add_test(tc, test_tcp_answer_that_never_ends_times_out);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
