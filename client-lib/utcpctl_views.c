/*
 * utcpctl_views.c - utcpctl's subcommands: one view each of a status
 *
 * Theory of operation. Every subcommand but resolve and barrier fetches
 * one STATUS (utcp_status(), a snapshot of the daemon) and renders a
 * part of it here, client-side: status (a summary), ifaces, conns (as
 * ss -tanpi), arp, routes, lease, dns and counters. Each view prints
 * readable text, or with --json one JSON object whose shape utcpctl(8)
 * documents field by field: every object of a kind has every field,
 * null where it does not apply or the daemon did not say, so a
 * consumer never meets a missing key. Sockets of every kind share one
 * id namespace in the JSON as "udp:N", "tcp:N" (a connection) and
 * "tcp-listen:N" (a listener), since the daemon numbers the three
 * separately. A socket's owner (pid, uid, gid, command of the client
 * that made it) comes from SOCK_OWNER records; a daemon that does not
 * send them shows no owner (null, "-"). Counters are grouped by layer,
 * the part of their name before the first '_' (eth, arp, ip, frag,
 * icmp, udp, dhcp, tcp, dns, ...), zeros left out unless asked for.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "utcpctl.h"

/* ---- shared -------------------------------------------------------- */

static const char *yes_no(bool v)
{
	return v ? "true" : "false";
}

static const struct utcp_link *link_of(const struct utcp_status *st, int index)
{
	for (size_t i = 0; i < st->n_links; i++)
		if (st->links[i].ifindex == index)
			return &st->links[i];
	return NULL;
}

/*
 * An interface's state, as networkctl's SETUP column: "configured" (a
 * static address set, or a lease bound), "configuring" (its DHCP client
 * runs, no lease yet), "unconfigured". A daemon without NETCONF records
 * is judged by the address alone.
 */
static const char *iface_state(const struct utcp_status *st,
			       const struct utcp_interface *f)
{
	const struct utcp_settings *s = settings_of(st, f->index);
	const struct utcp_dhcp *d = dhcp_of(st, f->index);

	if (s ? s->configured : f->has_address)
		return "configured";
	if (d && d->running)
		return "configuring";
	return "unconfigured";
}

/* "a.b.c.d/len", or "none". */
static const char *cidr_str(bool present, struct in_addr a, unsigned len,
			    char out[INET_ADDRSTRLEN + 4])
{
	char buf[INET_ADDRSTRLEN];

	if (!present)
		return "none";
	snprintf(out, INET_ADDRSTRLEN + 4, "%s/%u", addr_str(a, buf), len);
	return out;
}

static void json_cidr(bool present, struct in_addr a, unsigned len)
{
	char buf[INET_ADDRSTRLEN + 4];

	if (present)
		printf("\"%s\"", cidr_str(true, a, len, buf));
	else
		fputs("null", stdout);
}

/* ---- status -------------------------------------------------------- */

int view_status(const struct utcp_status *st, const struct view_opts *o)
{
	unsigned by_state[UTCP_TCP_TIME_WAIT + 1] = {0};
	unsigned listeners = 0, conns = 0;
	char buf[INET_ADDRSTRLEN + 4];
	size_t i;
	bool first;

	for (i = 0; i < st->n_tcp; i++) {
		if (st->tcp[i].listener)
			listeners++;
		else
			conns++;
		if ((unsigned)st->tcp[i].state <= UTCP_TCP_TIME_WAIT)
			by_state[st->tcp[i].state]++;
	}
	if (o->json) {
		fputs("{\"name\": ", stdout);
		json_string(st->name);
		printf(", \"uptime_ms\": %" PRIu64 ", \"ready\": %s, "
		       "\"interfaces\": [",
		       st->uptime_ms, yes_no(st->ready));
		for (i = 0; i < st->n_interfaces; i++) {
			const struct utcp_interface *f = &st->interfaces[i];
			const struct utcp_dhcp *d = dhcp_of(st, f->index);

			printf("%s{\"name\": ", i ? ", " : "");
			json_string(f->name);
			printf(", \"state\": \"%s\", \"address\": ",
			       iface_state(st, f));
			json_cidr(f->has_address, f->address, f->prefix_len);
			fputs(", \"dhcp\": ", stdout);
			if (d)
				printf("\"%s\"",
				       utcp_dhcp_state_name(d->state));
			else
				fputs("null", stdout);
			putchar('}');
		}
		printf("], \"tcp\": {\"listeners\": %u, \"connections\": %u, "
		       "\"states\": {",
		       listeners, conns);
		first = true;
		for (i = 0; i <= UTCP_TCP_TIME_WAIT; i++) {
			if (!by_state[i])
				continue;
			printf("%s\"%s\": %u", first ? "" : ", ",
			       utcp_tcp_state_name((enum utcp_tcp_state)i),
			       by_state[i]);
			first = false;
		}
		printf("}}, \"udp\": {\"sockets\": %zu}, \"dns\": ",
		       st->n_sockets);
		if (st->has_dns) {
			fputs("{\"servers\": [", stdout);
			for (i = 0; i < st->n_dns_servers; i++) {
				fputs(i ? ", " : "", stdout);
				json_addr(true, st->dns_servers[i].address);
			}
			printf("], \"cache_entries\": %" PRIu32 "}",
			       st->dns.cache_entries);
		} else {
			fputs("null", stdout);
		}
		fputs("}\n", stdout);
		return 0;
	}

	printf("utcpd %s: up %" PRIu64 ".%03" PRIu64 " s, %s\n", st->name,
	       st->uptime_ms / 1000, st->uptime_ms % 1000,
	       st->ready ? "ready" : "not ready");
	for (i = 0; i < st->n_interfaces; i++) {
		const struct utcp_interface *f = &st->interfaces[i];
		const struct utcp_dhcp *d = dhcp_of(st, f->index);

		printf(
		    "  %-10s %-12s %s", f->name, iface_state(st, f),
		    cidr_str(f->has_address, f->address, f->prefix_len, buf));
		if (d && (d->running || d->bound))
			printf("  dhcp %s", utcp_dhcp_state_name(d->state));
		putchar('\n');
	}
	printf("tcp: %u listening, %u connection%s", listeners, conns,
	       conns == 1 ? "" : "s");
	first = true;
	for (i = 0; i <= UTCP_TCP_TIME_WAIT; i++) {
		if (!by_state[i] || i == UTCP_TCP_LISTEN)
			continue;
		printf("%s%s %u", first ? " (" : ", ",
		       utcp_tcp_state_name((enum utcp_tcp_state)i),
		       by_state[i]);
		first = false;
	}
	printf("%s\nudp: %zu socket%s\n", first ? "" : ")", st->n_sockets,
	       st->n_sockets == 1 ? "" : "s");
	if (st->has_dns) {
		printf("dns: servers");
		for (i = 0; i < st->n_dns_servers; i++)
			printf(" %s",
			       addr_str(st->dns_servers[i].address, buf));
		printf("%s; cache %" PRIu32 "/%" PRIu32 "\n",
		       st->n_dns_servers ? "" : " none", st->dns.cache_entries,
		       st->dns.cache_max);
	}
	return 0;
}

/* ---- ifaces -------------------------------------------------------- */

static void json_iface(const struct utcp_status *st,
		       const struct utcp_interface *f)
{
	const struct utcp_settings *s = settings_of(st, f->index);
	const struct utcp_dhcp *d = dhcp_of(st, f->index);
	const struct utcp_link *l = link_of(st, f->index);
	const struct utcp_ifstats *c = ifstats_of(st, f->index);
	char mac[18];

	mac_str(f->mac, mac);
	fputs("{\"name\": ", stdout);
	json_string(f->name);
	printf(", \"index\": %d, \"state\": \"%s\", \"mac\": \"%s\", "
	       "\"mtu\": %u, \"address\": ",
	       f->index, iface_state(st, f), mac, f->mtu);
	json_cidr(f->has_address, f->address, f->prefix_len);
	fputs(", \"gateway\": ", stdout);
	json_addr(f->has_gateway, f->gateway);
	fputs(", \"address_source\": ", stdout);
	if (s)
		printf("\"%s\", \"mtu_source\": \"%s\", \"dns\": ",
		       utcp_source_name(s->address_source),
		       utcp_source_name(s->mtu_source));
	else
		fputs("null, \"mtu_source\": null, \"dns\": ", stdout);
	json_addrs(s ? s->dns : NULL, s ? s->n_dns : 0);
	fputs(", \"domain\": ", stdout);
	if (s && s->domain[0])
		json_string(s->domain);
	else
		fputs("null", stdout);
	fputs(", \"dhcp\": ", stdout);
	if (d)
		printf("\"%s\"", utcp_dhcp_state_name(d->state));
	else
		fputs("null", stdout);
	fputs(", \"link\": ", stdout);
	if (l)
		printf("{\"syn_filter\": %s, \"syn_filter_times\": %" PRIu64
		       ", \"syn_drops\": %" PRIu64
		       ", \"kernel_drops\": %" PRIu64 "}",
		       yes_no(l->syn_shed), l->syn_shed_times, l->syn_drops,
		       l->kernel_drops);
	else
		fputs("null", stdout);
	json_ifstats(c);
	putchar('}');
}

static void text_iface(const struct utcp_status *st,
		       const struct utcp_interface *f)
{
	const struct utcp_settings *s = settings_of(st, f->index);
	const struct utcp_dhcp *d = dhcp_of(st, f->index);
	const struct utcp_link *l = link_of(st, f->index);
	const struct utcp_ifstats *c = ifstats_of(st, f->index);
	char buf[INET_ADDRSTRLEN + 4], mac[18];

	mac_str(f->mac, mac);
	printf("%d: %s\n", f->index, f->name);
	printf("       state %s\n", iface_state(st, f));
	if (c)
		printf("     carrier %s\n", utcp_carrier_name(c->carrier));
	printf("         mac %s\n", mac);
	printf("         mtu %u", f->mtu);
	if (s)
		printf(" (%s)", utcp_source_name(s->mtu_source));
	printf("\n     address %s",
	       cidr_str(f->has_address, f->address, f->prefix_len, buf));
	if (s && f->has_address)
		printf(" (%s)", utcp_source_name(s->address_source));
	if (f->has_gateway)
		printf("\n     gateway %s", addr_str(f->gateway, buf));
	if (s && f->has_gateway)
		printf(" (%s)", utcp_source_name(s->routes_source));
	putchar('\n');
	if (d) {
		printf("        dhcp %s", utcp_dhcp_state_name(d->state));
		if (d->bound)
			printf(" (lease from %s: utcpctl lease)",
			       addr_str(d->server, buf));
		putchar('\n');
	}
	if (s && s->n_dns) {
		printf("         dns");
		for (size_t i = 0; i < s->n_dns; i++)
			printf(" %s", addr_str(s->dns[i], buf));
		printf(" (%s)\n", utcp_source_name(s->dns_source));
	}
	if (s && s->domain[0])
		printf("      domain %s (%s)\n", s->domain,
		       utcp_source_name(s->domain_source));
	if (l)
		printf("  syn filter %s (on %" PRIu64
		       " times)  syn drops %" PRIu64 "  kernel drops %" PRIu64
		       "\n",
		       l->syn_shed ? "on" : "off", l->syn_shed_times,
		       l->syn_drops, l->kernel_drops);
	if (c)
		text_ifstats("          ", c);
}

int view_ifaces(const struct utcp_status *st, const struct view_opts *o)
{
	bool any = false;

	if (o->json)
		fputs("{\"interfaces\": [", stdout);
	for (size_t i = 0; i < st->n_interfaces; i++) {
		const struct utcp_interface *f = &st->interfaces[i];

		if (o->iface && strcmp(o->iface, f->name) != 0)
			continue;
		if (o->json) {
			fputs(any ? ", " : "", stdout);
			json_iface(st, f);
		} else {
			if (any)
				putchar('\n');
			text_iface(st, f);
		}
		any = true;
	}
	if (o->json)
		fputs("]}\n", stdout);
	if (o->iface && !any) {
		fprintf(stderr, "utcpctl: no interface %s\n", o->iface);
		return 1;
	}
	return 0;
}

/* ---- conns --------------------------------------------------------- */

/* One socket of any kind, as conns shows it. */
struct conn_row {
	enum utcp_sock_kind kind;
	const struct utcp_tcp_socket *t; /* TCP: listener or connection */
	const struct utcp_socket *u;	 /* UDP */
};

static const char *kind_prefix(enum utcp_sock_kind kind)
{
	switch (kind) {
	case UTCP_SOCK_UDP:
		return "udp";
	case UTCP_SOCK_TCP_LISTENER:
		return "tcp-listen";
	default:
		return "tcp";
	}
}

static const char *kind_name(enum utcp_sock_kind kind)
{
	switch (kind) {
	case UTCP_SOCK_UDP:
		return "udp";
	case UTCP_SOCK_TCP_LISTENER:
		return "listener";
	default:
		return "connection";
	}
}

/* A UDP socket's state, as ss(8) names it. */
static const char *udp_state(const struct utcp_socket *u)
{
	return u->connected ? "ESTABLISHED" : "UNCONN";
}

int view_state_by_name(const char *name)
{
	char want[32];
	size_t i;

	if (strcasecmp(name, "listening") == 0)
		return UTCP_TCP_LISTEN;
	if (strcasecmp(name, "established") == 0 ||
	    strcasecmp(name, "estab") == 0)
		return UTCP_TCP_ESTABLISHED;
	/* ss writes syn-sent, fin-wait-1; utcpctl shows SYN_SENT */
	for (i = 0; name[i] && i < sizeof(want) - 1; i++)
		want[i] = name[i] == '-' ? '_' : (char)toupper(name[i]);
	want[i] = '\0';
	if (strcmp(want, "SYN_RECV") == 0)
		return UTCP_TCP_SYN_RECEIVED;
	for (i = 0; i <= UTCP_TCP_TIME_WAIT; i++)
		if (strcmp(want, utcp_tcp_state_name((enum utcp_tcp_state)i)) ==
		    0)
			return (int)i;
	return -1;
}

static bool conn_wanted(const struct conn_row *r, const struct view_opts *o)
{
	bool is_tcp = r->kind != UTCP_SOCK_UDP;
	unsigned sport = is_tcp ? r->t->local_port : r->u->local_port;
	int dport = -1;

	if ((o->tcp || o->udp) && !(is_tcp ? o->tcp : o->udp))
		return false;
	if (r->kind == UTCP_SOCK_TCP_CONNECTION)
		dport = r->t->remote_port;
	else if (r->kind == UTCP_SOCK_UDP && r->u->connected)
		dport = r->u->remote_port;
	if (o->listening && !(r->kind == UTCP_SOCK_TCP_LISTENER ||
			      (r->kind == UTCP_SOCK_UDP && !r->u->connected)))
		return false;
	if (o->state >= 0) {
		if (is_tcp && (int)r->t->state != o->state)
			return false;
		/* a UDP socket is "established" when connected, else
		 * "listening" as far as a filter goes */
		if (!is_tcp &&
		    !((o->state == UTCP_TCP_ESTABLISHED && r->u->connected) ||
		      (o->state == UTCP_TCP_LISTEN && !r->u->connected)))
			return false;
	}
	if (o->sport >= 0 && (int)sport != o->sport)
		return false;
	if (o->dport >= 0 && dport != o->dport)
		return false;
	if (o->port >= 0 && (int)sport != o->port && dport != o->port)
		return false;
	return true;
}

static void json_u64_or_null(bool present, uint64_t v)
{
	if (present)
		printf("%" PRIu64, v);
	else
		fputs("null", stdout);
}

static void json_conn(const struct utcp_status *st, const struct conn_row *r)
{
	const struct utcp_tcp_socket *t = r->t;
	const struct utcp_socket *u = r->u;
	bool tcp = r->kind != UTCP_SOCK_UDP, conn = t && !t->listener;
	int id = tcp ? t->id : u->id;
	bool peer = tcp ? conn : u->connected;
	char buf[INET_ADDRSTRLEN];

	printf("{\"id\": \"%s:%d\", \"protocol\": \"%s\", \"kind\": \"%s\", "
	       "\"state\": \"%s\", \"local_address\": \"%s\", "
	       "\"local_port\": %u, \"peer_address\": ",
	       kind_prefix(r->kind), id, tcp ? "tcp" : "udp",
	       kind_name(r->kind),
	       tcp ? utcp_tcp_state_name(t->state) : udp_state(u),
	       addr_str(tcp ? t->local_addr : u->local_addr, buf),
	       tcp ? t->local_port : u->local_port);
	json_addr(peer, tcp ? t->remote_addr : u->remote_addr);
	fputs(", \"peer_port\": ", stdout);
	json_u64_or_null(peer, tcp ? t->remote_port : u->remote_port);
	printf(", \"recv_q\": %" PRIu32 ", \"send_q\": %" PRIu32
	       ", \"orphan\": %s, \"backlog\": ",
	       tcp ? (conn ? t->recv_queue : t->backlog) : u->recv_bytes,
	       conn ? t->send_queue : 0, yes_no(tcp && t->orphan));
	json_u64_or_null(tcp && !conn, tcp ? t->backlog : 0);
#define TCP_FIELD(name)                                                        \
	fputs(", \"" #name "\": ", stdout);                                    \
	json_u64_or_null(conn, conn ? t->name : 0);
	TCP_FIELD(snd_wnd)
	TCP_FIELD(rcv_wnd)
	TCP_FIELD(mss)
	TCP_FIELD(cwnd)
	TCP_FIELD(ssthresh)
	TCP_FIELD(srtt_us)
	TCP_FIELD(rttvar_us)
	TCP_FIELD(rto_ms)
	TCP_FIELD(retransmits)
	TCP_FIELD(bytes_sent)
	TCP_FIELD(bytes_received)
#undef TCP_FIELD
#define UDP_FIELD(json, name)                                                  \
	fputs(", \"" json "\": ", stdout);                                     \
	json_u64_or_null(!tcp, !tcp ? u->name : 0);
	UDP_FIELD("recv_datagrams", recv_queue)
	UDP_FIELD("rx_datagrams", rx)
	UDP_FIELD("tx_datagrams", tx)
	UDP_FIELD("drops", drops)
#undef UDP_FIELD
	fputs(", \"owner\": ", stdout);
	json_owner(owner_of(st, r->kind, id));
	putchar('}');
}

/* The Process column, as ss -p: users:(("comm",pid=N,uid=N)). */
static void text_owner(const struct utcp_sock_owner *w)
{
	if (!w) {
		fputs("-", stdout);
		return;
	}
	printf("users:((\"%s\",pid=%" PRIu32 ",uid=%" PRIu32 ",gid=%" PRIu32
	       "))%s",
	       w->comm[0] ? w->comm : "?", w->pid, w->uid, w->gid,
	       w->gone ? " (client gone)" : "");
}

static void text_conn(const struct utcp_status *st, const struct conn_row *r)
{
	const struct utcp_tcp_socket *t = r->t;
	const struct utcp_socket *u = r->u;
	bool tcp = r->kind != UTCP_SOCK_UDP, conn = t && !t->listener;
	bool peer = tcp ? conn : u->connected;
	int id = tcp ? t->id : u->id;
	char buf[INET_ADDRSTRLEN], local[32], remote[32], ident[32];

	snprintf(local, sizeof(local), "%s:%u",
		 addr_str(tcp ? t->local_addr : u->local_addr, buf),
		 tcp ? t->local_port : u->local_port);
	if (peer)
		snprintf(remote, sizeof(remote), "%s:%u",
			 addr_str(tcp ? t->remote_addr : u->remote_addr, buf),
			 tcp ? t->remote_port : u->remote_port);
	else
		snprintf(remote, sizeof(remote), "*:*");
	snprintf(ident, sizeof(ident), "%s:%d", kind_prefix(r->kind), id);
	printf("%-16s %-5s %-12s %7" PRIu32 " %7" PRIu32 " %-21s %-21s ", ident,
	       tcp ? "tcp" : "udp",
	       tcp ? utcp_tcp_state_name(t->state) : udp_state(u),
	       tcp ? (conn ? t->recv_queue : t->backlog) : u->recv_bytes,
	       conn ? t->send_queue : 0, local, remote);
	text_owner(owner_of(st, r->kind, id));
	putchar('\n');
	if (conn) {
		printf("\t mss %u cwnd %u", t->mss, t->cwnd);
		/* as ss: no ssthresh before the first loss sets one */
		if (t->ssthresh != UINT32_MAX)
			printf(" ssthresh %u", t->ssthresh);
		printf(" rtt %" PRIu64 ".%03" PRIu64 "/%" PRIu64 ".%03" PRIu64
		       " ms rto %" PRIu64 " ms snd_wnd %u rcv_wnd %u "
		       "retrans %" PRIu64 " bytes_sent %" PRIu64
		       " bytes_received %" PRIu64 "%s\n",
		       t->srtt_us / 1000, t->srtt_us % 1000,
		       t->rttvar_us / 1000, t->rttvar_us % 1000, t->rto_ms,
		       t->snd_wnd, t->rcv_wnd, t->retransmits, t->bytes_sent,
		       t->bytes_received, t->orphan ? " orphan" : "");
	} else if (!tcp) {
		printf("\t datagrams %" PRIu32 " rx %" PRIu64 " tx %" PRIu64
		       " drops %" PRIu64 "\n",
		       u->recv_queue, u->rx, u->tx, u->drops);
	}
}

int view_conns(const struct utcp_status *st, const struct view_opts *o)
{
	bool any = false;
	size_t i;

	if (o->json)
		fputs("{\"sockets\": [", stdout);
	else
		printf("%-16s %-5s %-12s %7s %7s %-21s %-21s %s\n", "Id",
		       "Netid", "State", "Recv-Q", "Send-Q",
		       "Local Address:Port", "Peer Address:Port", "Process");
	/* listeners, connections, then UDP sockets, as the daemon sends */
	for (i = 0; i < st->n_tcp + st->n_sockets; i++) {
		struct conn_row r = {0};

		if (i < st->n_tcp) {
			r.t = &st->tcp[i];
			r.kind = r.t->listener ? UTCP_SOCK_TCP_LISTENER
					       : UTCP_SOCK_TCP_CONNECTION;
		} else {
			r.u = &st->sockets[i - st->n_tcp];
			r.kind = UTCP_SOCK_UDP;
		}
		if (!conn_wanted(&r, o))
			continue;
		if (o->json) {
			fputs(any ? ", " : "", stdout);
			json_conn(st, &r);
		} else {
			text_conn(st, &r);
		}
		any = true;
	}
	if (o->json)
		fputs("]}\n", stdout);
	return 0;
}

/* ---- arp, routes --------------------------------------------------- */

int view_arp(const struct utcp_status *st, const struct view_opts *o)
{
	char buf[INET_ADDRSTRLEN], mac[18];

	if (o->json)
		fputs("{\"arp\": [", stdout);
	for (size_t i = 0; i < st->n_arp; i++) {
		const struct utcp_arp_entry *a = &st->arp[i];

		mac_str(a->mac, mac);
		if (o->json) {
			printf("%s{\"address\": \"%s\", \"mac\": ",
			       i ? ", " : "", addr_str(a->address, buf));
			if (a->state == UTCP_ARP_INCOMPLETE)
				fputs("null", stdout);
			else
				printf("\"%s\"", mac);
			fputs(", \"interface\": ", stdout);
			json_string(a->interface);
			printf(", \"state\": \"%s\", \"expires_ms\": %" PRIu64
			       ", \"queued\": %u}",
			       utcp_arp_state_name(a->state), a->expires_ms,
			       a->queued);
			continue;
		}
		/* as ip neigh */
		printf("%s dev %s", addr_str(a->address, buf), a->interface);
		if (a->state != UTCP_ARP_INCOMPLETE)
			printf(" lladdr %s", mac);
		printf(" %s", utcp_arp_state_name(a->state));
		if (a->state != UTCP_ARP_STATIC)
			printf(" expires %" PRIu64 " ms", a->expires_ms);
		if (a->queued)
			printf(" queued %u", a->queued);
		putchar('\n');
	}
	if (o->json)
		fputs("]}\n", stdout);
	return 0;
}

int view_routes(const struct utcp_status *st, const struct view_opts *o)
{
	char buf[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];

	if (o->json)
		fputs("{\"routes\": [", stdout);
	for (size_t i = 0; i < st->n_routes; i++) {
		const struct utcp_route *r = &st->routes[i];
		uint32_t metric = st->route_metrics ? st->route_metrics[i] : 0;

		if (o->json) {
			fputs(i ? ", " : "", stdout);
			json_route(st, i);
			continue;
		}
		/* as ip route */
		if (r->prefix_len == 0)
			printf("default");
		else
			printf("%s/%u", addr_str(r->destination, buf),
			       r->prefix_len);
		if (r->has_gateway)
			printf(" via %s", addr_str(r->gateway, gw));
		printf(" dev %s proto %s", r->interface,
		       utcp_route_kind_name(r->kind));
		if (metric)
			printf(" metric %" PRIu32, metric);
		putchar('\n');
	}
	if (o->json)
		fputs("]}\n", stdout);
	return 0;
}

/* ---- lease, dns ---------------------------------------------------- */

/* An interface shows in lease when it runs DHCP or holds a lease. */
static bool runs_dhcp(const struct utcp_status *st, int index)
{
	const struct utcp_settings *s = settings_of(st, index);
	const struct utcp_dhcp *d = dhcp_of(st, index);

	return (s && s->dhcp) || (d && (d->running || d->bound));
}

int view_lease(const struct utcp_status *st, const struct view_opts *o)
{
	bool any = false, named = false;

	if (o->json)
		fputs("{\"leases\": [", stdout);
	for (size_t i = 0; i < st->n_interfaces; i++) {
		const struct utcp_interface *f = &st->interfaces[i];

		if (o->iface && strcmp(o->iface, f->name) != 0)
			continue;
		named = true;
		if (!runs_dhcp(st, f->index))
			continue;
		if (o->json) {
			fputs(any ? ", {\"interface\": " : "{\"interface\": ",
			      stdout);
			json_string(f->name);
			fputs(", \"dhcp\": ", stdout);
			json_dhcp(st, f->index);
			putchar('}');
		} else {
			text_dhcp(st, f);
			text_options(st, f);
		}
		any = true;
	}
	if (o->json)
		fputs("]}\n", stdout);
	else if (!any && (named || !o->iface))
		printf("no interface%s%s runs DHCP\n", o->iface ? " " : "",
		       o->iface ? o->iface : "");
	if (o->iface && !named) {
		fprintf(stderr, "utcpctl: no interface %s\n", o->iface);
		return 1;
	}
	return 0;
}

int view_dns(const struct utcp_status *st, const struct view_opts *o)
{
	if (o->json) {
		fputs("{\"dns\": ", stdout);
		json_dns(st);
		fputs("}\n", stdout);
	} else if (st->has_dns) {
		text_dns(st);
	} else {
		printf("the daemon runs no stub resolver\n");
	}
	return 0;
}

/* ---- counters ------------------------------------------------------ */

/* The length of a counter's layer: its name up to the first '_'. */
static size_t layer_len(const char *name)
{
	return strcspn(name, "_");
}

static bool same_layer(const char *a, const char *b)
{
	size_t n = layer_len(a);

	return n == layer_len(b) && strncmp(a, b, n) == 0;
}

int view_counters(const struct utcp_status *st, const struct view_opts *o)
{
	bool any_layer = false;

	if (o->json)
		fputs("{\"counters\": {", stdout);
	/* layers in the order their first counter comes */
	for (size_t i = 0; i < st->n_counters; i++) {
		const char *name = st->counters[i].name;
		bool seen = false, first = true;

		for (size_t k = 0; k < i && !seen; k++)
			seen = same_layer(st->counters[k].name, name);
		if (seen)
			continue;
		for (size_t k = i; k < st->n_counters; k++) {
			const struct utcp_counter *c = &st->counters[k];

			if (!same_layer(c->name, name) ||
			    (c->value == 0 && !o->zeros))
				continue;
			if (first && o->json)
				printf("%s\"%.*s\": {", any_layer ? ", " : "",
				       (int)layer_len(name), name);
			else if (first)
				printf("%s%.*s\n", any_layer ? "\n" : "",
				       (int)layer_len(name), name);
			if (o->json) {
				fputs(first ? "" : ", ", stdout);
				json_string(c->name);
				printf(": %" PRIu64, c->value);
			} else {
				printf("  %-36s %" PRIu64 "\n", c->name,
				       c->value);
			}
			first = false;
			any_layer = true;
		}
		if (!first && o->json)
			putchar('}');
	}
	if (o->json)
		fputs("}}\n", stdout);
	else if (!any_layer)
		printf("(all zero)\n");
	return 0;
}
