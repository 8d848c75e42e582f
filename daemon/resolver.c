/*
 * resolver.c - the stub resolver's queries over the daemon's own stack
 * (resolver.h)
 *
 * Theory of operation. struct dns_resolver (stack/dns.c) decides
 * everything: which question goes to which server, when, over what;
 * this file only carries its transports. Transport i of the resolver
 * is r->transports[i], and the stack cookie of the socket carrying it
 * points there, so resolver_on_stack_event() knows its events by the
 * cookie alone and the transport's id by its place in the array.
 *
 *   DNS_TX_UDP   udp_socket_open(stack, 0, 0, server, port): a new
 *                socket on a random free ephemeral port (RFC 6056,
 *                RFC 5452), connected to the server so only its
 *                datagrams come in; then one udp_send(). Each datagram
 *                that comes back goes to dns_udp_input() with its
 *                source; an ICMP error (UDP_ERROR) to
 *                dns_transport_error().
 *   DNS_TX_TCP   tcp_connect() with the default options; once
 *                CONNECTED, the 2-byte length and the query are sent
 *                (what the send buffer does not take waits for
 *                WRITABLE). What is read is gathered in a buffer made
 *                on demand (at most 2 + DNS_MSG_MAX bytes, freed at
 *                close) and each whole message goes to dns_tcp_input().
 *                A refused or reset connection, or the end of the
 *                stream before a whole message, is a transport error.
 *   DNS_TX_CLOSE the socket is closed: udp_socket_close(), tcp_close()
 *                when the exchange finished cleanly (query sent, an
 *                answer read), else tcp_abort().
 * An error opening or sending is a transport error too; the resolver
 * then pops a CLOSE for the transport, as for any other end.
 *
 * resolver_flush() runs at the end of each turn (loop.c): it pops what
 * the resolver wants sent, pops its results (to the control server, or
 * to d->on_dns_result when a test set it) and re-arms the one ev_timer
 * at dns_next_deadline(). resolver_follow() runs there too: it
 * recomputes the servers and search list from each interface's
 * settings (netconf.h) and hands the resolver a change, logged; when
 * the servers' addresses, ports or order changed (a reload, a lease
 * bound, renewed with others or lost) it flushes the cache, as the old
 * servers' answers may not be the new ones' (another network's view of
 * its names).
 */
#include "resolver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "control_dns.h"
#include "log.h"
#include "loop.h"
#include "netconf.h"
#include "utcpd.h"

enum transport_kind { TR_NONE, TR_UDP, TR_TCP };

struct resolver_transport {
	enum transport_kind kind;
	int sock;      /* the UDP socket or TCP connection id */
	bool failed;   /* an error was handed to the resolver */
	bool answered; /* TCP: a whole message was read */
	/* TCP: the framed query still to send (out_off of out_len sent),
	 * and what was read of the answer. Made on demand, freed at
	 * close. */
	uint8_t *out;
	size_t out_len, out_off;
	uint8_t *in;
	size_t in_len;
};

/* What TCP reads gather at most: one framed message. */
#define TCP_IN_MAX (2u + DNS_MSG_MAX)

static uint32_t transport_id(const struct resolver *r,
			     const struct resolver_transport *t)
{
	return (uint32_t)(t - r->transports);
}

static void transport_error(struct daemon *d, struct resolver_transport *t,
			    int err)
{
	struct resolver *r = d->resolver;

	if (t->failed)
		return;
	t->failed = true;
	dns_transport_error(r->dns, daemon_now(), transport_id(r, t), err);
}

/* Lets go of the transport's socket and buffers. */
static void transport_close(struct daemon *d, struct resolver_transport *t)
{
	uint64_t now = daemon_now();

	if (t->kind == TR_UDP) {
		udp_socket_close(d->stack, t->sock);
	} else if (t->kind == TR_TCP) {
		if (t->answered && !t->failed && t->out_off == t->out_len)
			tcp_close(d->stack, now, t->sock);
		else
			tcp_abort(d->stack, now, t->sock);
	}
	free(t->out);
	free(t->in);
	memset(t, 0, sizeof(*t));
	t->kind = TR_NONE;
	t->sock = -1;
}

static void udp_open_send(struct daemon *d, struct resolver_transport *t,
			  const struct dns_tx *tx)
{
	int sock = udp_socket_open(d->stack, 0, 0, tx->server, tx->port);
	int rc;

	if (sock < 0) {
		transport_error(d, t, sock);
		return;
	}
	t->kind = TR_UDP;
	t->sock = sock;
	udp_socket_set_user(d->stack, sock, t);
	rc = udp_send(d->stack, daemon_now(), sock, 0, 0, tx->data, tx->len);
	if (rc < 0)
		transport_error(d, t, rc);
}

/* Sends what is left of the framed query. */
static void tcp_send_rest(struct daemon *d, struct resolver_transport *t)
{
	while (t->out && t->out_off < t->out_len) {
		long n = tcp_send(d->stack, daemon_now(), t->sock,
				  t->out + t->out_off, t->out_len - t->out_off);

		if (n == -EAGAIN)
			return; /* WRITABLE follows */
		if (n < 0) {
			transport_error(d, t, (int)n);
			return;
		}
		t->out_off += (size_t)n;
	}
}

static void tcp_open(struct daemon *d, struct resolver_transport *t,
		     const struct dns_tx *tx)
{
	struct tcp_sockopts o;
	int conn;

	if (tx->len > DNS_MSG_MAX) {
		transport_error(d, t, -EMSGSIZE);
		return;
	}
	t->out = malloc(2 + tx->len);
	if (!t->out) {
		transport_error(d, t, -ENOMEM);
		return;
	}
	t->out[0] = (uint8_t)(tx->len >> 8);
	t->out[1] = (uint8_t)tx->len;
	memcpy(t->out + 2, tx->data, tx->len);
	t->out_len = 2 + tx->len;
	tcp_sockopts_default(d->stack, &o);
	o.nodelay = true; /* one small message, at once */
	conn =
	    tcp_connect(d->stack, daemon_now(), 0, 0, tx->server, tx->port, &o);
	if (conn < 0) {
		transport_error(d, t, conn);
		return;
	}
	t->kind = TR_TCP;
	t->sock = conn;
	tcp_set_user(d->stack, conn, t);
}

/* Hands each whole message gathered to the resolver. */
static void tcp_deliver(struct daemon *d, struct resolver_transport *t)
{
	struct resolver *r = d->resolver;

	while (t->in_len >= 2) {
		size_t len = (size_t)t->in[0] << 8 | t->in[1];

		if (t->in_len < 2 + len)
			return;
		t->answered = true;
		dns_tcp_input(r->dns, daemon_now(), transport_id(r, t),
			      t->in + 2, len);
		memmove(t->in, t->in + 2 + len, t->in_len - 2 - len);
		t->in_len -= 2 + len;
	}
}

static void tcp_readable(struct daemon *d, struct resolver_transport *t)
{
	for (;;) {
		const uint8_t *data;
		size_t len, take;
		int rc = tcp_recv_peek(d->stack, t->sock, &data, &len);

		if (rc == -EAGAIN)
			return;
		if (rc < 0) {
			transport_error(d, t, rc);
			return;
		}
		if (len == 0) {
			/* The end of the stream: an error unless an answer
			 * came whole. */
			if (!t->answered)
				transport_error(d, t, -ECONNRESET);
			return;
		}
		if (!t->in) {
			t->in = malloc(TCP_IN_MAX);
			if (!t->in) {
				transport_error(d, t, -ENOMEM);
				return;
			}
		}
		take = TCP_IN_MAX - t->in_len;
		if (take > len)
			take = len;
		memcpy(t->in + t->in_len, data, take);
		t->in_len += take;
		tcp_recv_consume(d->stack, daemon_now(), t->sock, take);
		tcp_deliver(d, t);
		if (t->in_len == TCP_IN_MAX)
			return; /* cannot happen: a message fits */
	}
}

static void udp_readable(struct daemon *d, struct resolver_transport *t)
{
	struct resolver *r = d->resolver;
	struct udp_datagram dg;

	while (t->kind == TR_UDP && udp_peek(d->stack, t->sock, &dg) == 0) {
		dns_udp_input(r->dns, daemon_now(), transport_id(r, t),
			      dg.src_addr, dg.src_port, dg.data, dg.len);
		udp_pop(d->stack, t->sock);
	}
}

bool resolver_on_stack_event(struct daemon *d, const struct stack_event *ev)
{
	struct resolver *r = d->resolver;
	struct resolver_transport *t = ev->user;
	uintptr_t p = (uintptr_t)ev->user, first, end;

	if (!r || !p)
		return false;
	first = (uintptr_t)r->transports;
	end = (uintptr_t)(r->transports + r->ntransports);
	if (p < first || p >= end)
		return false;
	switch (ev->type) {
	case STACK_EV_UDP_READABLE:
		udp_readable(d, t);
		break;
	case STACK_EV_UDP_ERROR:
		if (t->kind == TR_UDP)
			transport_error(d, t, -ev->error);
		break;
	case STACK_EV_TCP_CONNECTED:
	case STACK_EV_TCP_WRITABLE:
		if (t->kind == TR_TCP)
			tcp_send_rest(d, t);
		break;
	case STACK_EV_TCP_READABLE:
		if (t->kind == TR_TCP)
			tcp_readable(d, t);
		break;
	case STACK_EV_TCP_ERROR:
		if (t->kind == TR_TCP)
			transport_error(d, t, -ev->error);
		break;
	default:
		break;
	}
	return true;
}

/* ---- the timer ----------------------------------------------------- */

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;

	(void)loop;
	(void)revents;
	if (d->resolver) {
		d->resolver->timer_deadline = UINT64_MAX;
		dns_timer(d->resolver->dns, daemon_now());
	}
}

static void rearm_timer(struct daemon *d)
{
	struct resolver *r = d->resolver;

	daemon_timer_arm(d, &r->timer, &r->timer_deadline,
			 dns_next_deadline(r->dns));
}

/* ---- the turn's work ----------------------------------------------- */

bool resolver_flush(struct daemon *d)
{
	struct resolver *r = d->resolver;
	struct dns_result *res;
	struct dns_tx tx;
	bool sent = false;

	if (!r)
		return false;
	while (dns_pop_tx(r->dns, &tx)) {
		struct resolver_transport *t;

		if (tx.transport >= r->ntransports)
			continue; /* cannot happen: ids < queries_max */
		t = &r->transports[tx.transport];
		switch (tx.kind) {
		case DNS_TX_UDP:
		case DNS_TX_TCP:
			if (t->kind != TR_NONE || t->out || t->in)
				transport_close(d, t); /* cannot happen */
			t->failed = false;
			t->answered = false;
			if (tx.kind == DNS_TX_UDP)
				udp_open_send(d, t, &tx);
			else
				tcp_open(d, t, &tx);
			sent = true;
			break;
		case DNS_TX_CLOSE:
			transport_close(d, t);
			sent = true;
			break;
		}
	}
	res = r->result;
	while (dns_pop_result(r->dns, res)) {
		if (d->on_dns_result)
			d->on_dns_result(d, res);
		else
			control_dns_on_result(d, res);
	}
	rearm_timer(d);
	return sent;
}

/* ---- servers and search list --------------------------------------- */

static const char *if_name(const struct daemon *d, int i)
{
	return i >= 0 && i < d->cfg->nifs ? d->cfg->ifs[i].name : "?";
}

static bool server_add(struct dns_server *sv, size_t *n, uint32_t addr,
		       int ifindex, uint8_t source)
{
	if (addr == 0)
		return false;
	for (size_t i = 0; i < *n; i++)
		if (sv[i].addr == addr && sv[i].port == DNS_PORT)
			return false;
	if (*n == DNS_SERVERS_MAX)
		return false;
	sv[*n] = (struct dns_server){.addr = addr,
				     .port = DNS_PORT,
				     .ifindex = ifindex,
				     .source = source};
	(*n)++;
	return true;
}

/* Appends a search domain: checked, without its trailing dot, once. */
static void search_add(char out[][DNS_NAME_MAX], size_t *n, const char *name)
{
	size_t len = strlen(name);

	if (len && name[len - 1] == '.')
		len--;
	if (len == 0 || len >= DNS_NAME_MAX || *n == DNS_SEARCH_MAX)
		return;
	memcpy(out[*n], name, len);
	out[*n][len] = '\0';
	if (dns_name_check(out[*n]) < 0)
		return;
	for (size_t i = 0; i < *n; i++)
		if (strcasecmp(out[i], out[*n]) == 0)
			return;
	(*n)++;
}

static void log_servers(struct daemon *d, const struct dns_server *sv, size_t n)
{
	char line[DNS_SERVERS_MAX * 48 + 16];
	size_t at = 0;

	if (n == 0) {
		log_msg(LOG_INFO, "dns: servers none");
		return;
	}
	for (size_t i = 0; i < n && at < sizeof(line); i++)
		at += (size_t)snprintf(
		    line + at, sizeof(line) - at, "%s%u.%u.%u.%u (%s %s)",
		    i ? ", " : "", sv[i].addr >> 24, (sv[i].addr >> 16) & 0xff,
		    (sv[i].addr >> 8) & 0xff, sv[i].addr & 0xff,
		    netconf_source_name((enum netconf_source)sv[i].source),
		    if_name(d, sv[i].ifindex));
	log_msg(LOG_INFO, "dns: servers %s", line);
}

static void log_search(char list[][DNS_NAME_MAX], size_t n)
{
	char line[DNS_SEARCH_MAX * DNS_NAME_MAX + 8];
	size_t at = 0;

	if (n == 0) {
		log_msg(LOG_INFO, "dns: search none");
		return;
	}
	for (size_t i = 0; i < n && at < sizeof(line); i++)
		at += (size_t)snprintf(line + at, sizeof(line) - at, "%s%s",
				       i ? " " : "", list[i]);
	log_msg(LOG_INFO, "dns: search %s", line);
}

/* Do two server lists get the same answers: the same addresses and
 * ports, in the same order (the first that answers is asked first)?
 * Where a server came from (the configuration, a lease) and the
 * interface it came with are for status only: the resolver sends to
 * the address whatever they are. */
static bool servers_alike(const struct dns_server *a, size_t na,
			  const struct dns_server *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].addr != b[i].addr || a[i].port != b[i].port)
			return false;
	return true;
}

void resolver_follow(struct daemon *d)
{
	struct resolver *r = d->resolver;
	const struct config *cfg = d->cfg;
	const struct netconf *nc = d->netconf;
	struct dns_server sv[DNS_SERVERS_MAX];
	char search[DNS_SEARCH_MAX][DNS_NAME_MAX];
	const char *names[DNS_SEARCH_MAX];
	size_t nsv = 0, nsearch = 0;
	bool same;

	if (!r)
		return;
	memset(sv, 0, sizeof(sv));
	if (nc) {
		for (int i = 0; i < nc->nifs && i < STACK_IF_MAX; i++)
			for (int k = 0; k < nc->ifs[i].ndns; k++)
				server_add(sv, &nsv, nc->ifs[i].dns[k], i,
					   (uint8_t)nc->ifs[i].dns_src);
	} else {
		for (int i = 0; i < cfg->nifs; i++)
			for (int k = 0; k < cfg->ifs[i].ndns; k++)
				server_add(sv, &nsv, cfg->ifs[i].dns[k], i,
					   NETCONF_CONFIG);
	}
	if (cfg->dns.search_set) {
		for (int k = 0; k < cfg->dns.nsearch; k++)
			search_add(search, &nsearch, cfg->dns.search[k]);
	} else if (nc) {
		for (int i = 0; i < nc->nifs && i < STACK_IF_MAX; i++) {
			const struct netconf_if *nif = &nc->ifs[i];

			for (int k = 0; k < nif->nsearch; k++)
				search_add(search, &nsearch, nif->search[k]);
			if (nif->nsearch == 0 && nif->domain[0])
				search_add(search, &nsearch, nif->domain);
		}
	}

	same = nsv == r->nservers;
	for (size_t i = 0; same && i < nsv; i++)
		same = sv[i].addr == r->servers[i].addr &&
		       sv[i].port == r->servers[i].port &&
		       sv[i].ifindex == r->servers[i].ifindex &&
		       sv[i].source == r->servers[i].source;
	if (!same && dns_set_servers(r->dns, daemon_now(), sv, nsv) == 0) {
		/* The old servers' answers go, whoever changed them: a
		 * reload, a lease (another network's servers) */
		if (!servers_alike(sv, nsv, r->servers, r->nservers) &&
		    dns_cache_size(r->dns) > 0) {
			dns_cache_flush(r->dns);
			log_msg(LOG_INFO, "dns: cache flushed: the servers "
					  "changed");
		}
		memcpy(r->servers, sv, sizeof(sv));
		r->nservers = nsv;
		log_servers(d, sv, nsv);
	}

	same = nsearch == r->nsearch;
	for (size_t i = 0; same && i < nsearch; i++)
		same = strcmp(search[i], r->search[i]) == 0;
	if (same)
		return;
	for (size_t i = 0; i < nsearch; i++)
		names[i] = search[i];
	if (dns_set_search(r->dns, names, nsearch) == 0) {
		memcpy(r->search, search, nsearch * sizeof(search[0]));
		r->nsearch = nsearch;
		log_search(search, nsearch);
	}
}

/* ---- start, stop, lookups ------------------------------------------ */

int resolver_start(struct daemon *d, struct resolver *r)
{
	const struct config_dns *cd = &d->cfg->dns;
	uint64_t seed;

	memset(r, 0, sizeof(*r));
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = daemon_now() ^ (uint64_t)(uintptr_t)r;
	r->dns = dns_new(&cd->limits, seed);
	r->transports = calloc(cd->limits.queries_max, sizeof(*r->transports));
	r->result = malloc(sizeof(*r->result));
	if (!r->dns || !r->transports || !r->result) {
		if (r->dns)
			dns_free(r->dns);
		free(r->transports);
		free(r->result);
		memset(r, 0, sizeof(*r));
		log_msg(LOG_WARNING, "dns: no resolver: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	r->ntransports = cd->limits.queries_max;
	for (uint32_t i = 0; i < r->ntransports; i++)
		r->transports[i].sock = -1;
	for (int i = 0; i < cd->nhosts; i++)
		for (int k = 0; k < cd->hosts[i].naddrs; k++) {
			int rc = dns_host_add(r->dns, cd->hosts[i].name,
					      &cd->hosts[i].addrs[k]);

			if (rc < 0)
				log_msg(LOG_WARNING, "dns: host %s: %s",
					cd->hosts[i].name, strerror(-rc));
		}
	ev_init(&r->timer, timer_cb);
	r->timer.data = d;
	r->timer_deadline = UINT64_MAX;
	d->resolver = r;
	resolver_follow(d);
	return 0;
}

void resolver_stop(struct daemon *d)
{
	struct resolver *r = d->resolver;

	if (!r)
		return;
	for (uint32_t i = 0; i < r->ntransports; i++)
		if (r->transports[i].kind != TR_NONE) {
			/* Not finished: reset, whatever the state. */
			r->transports[i].answered = false;
			transport_close(d, &r->transports[i]);
		}
	ev_timer_stop(d->loop, &r->timer);
	dns_free(r->dns);
	free(r->transports);
	free(r->result);
	memset(r, 0, sizeof(*r));
	d->resolver = NULL;
}

int resolver_lookup(struct daemon *d, const char *name, unsigned want,
		    uint64_t owner, void *cookie)
{
	if (!d->resolver)
		return -ENOSYS;
	return dns_lookup(d->resolver->dns, daemon_now(), name, want, owner,
			  cookie);
}

void resolver_cancel(struct daemon *d, int lookup)
{
	if (d->resolver)
		dns_cancel(d->resolver->dns, lookup);
}
