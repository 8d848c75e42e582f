/*
 * utcpctl_dump.c - utcpctl's JSON and text pieces, and the full dump
 *
 * Theory of operation. `utcpctl status -a` prints everything a STATUS
 * holds: readable sections (only non-zero counters), or one JSON object
 * whose shape is documented in utcpctl(8) and relied on by the
 * integration tests (lib.sh's status_json). TCP listeners and
 * connections are "sockets" entries with "protocol": "tcp"; each entry
 * has the "owner" conns shows (owner_of, json_owner: shared with the
 * views). Each
 * interface shows its DHCP client, where each of its settings came
 * from, and every option of its lease, decoded where the option is
 * known (utcp_dhcp_option_text) and in hex otherwise. The daemon's stub
 * resolver shows as a "dns" part: its servers with their interface,
 * source and counters, the search list and the cache. The pieces the
 * subcommands' views share (utcpctl_views.c) are here too: JSON
 * strings and addresses, an interface's DHCP object and line, the
 * resolver's object and section.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "utcpctl.h"

const char *addr_str(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

void mac_str(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
}

/* Prints s as a JSON string. */
void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* Prints "a.b.c.d" as a JSON string, or null when absent. */
void json_addr(bool present, struct in_addr a)
{
	char buf[INET_ADDRSTRLEN];

	if (!present) {
		fputs("null", stdout);
		return;
	}
	json_string(addr_str(a, buf));
}

static void json_endpoint(struct in_addr a, uint16_t port)
{
	char buf[INET_ADDRSTRLEN];

	printf("\"%s:%u\"", addr_str(a, buf), port);
}

/* The value in hex, two digits a byte. */
static void hex_str(const uint8_t *v, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", v[i]);
	out[2 * n] = '\0';
}

/* An option's value as shown: decoded, else its hex. */
static void option_text(const struct utcp_dhcp_option *o, char *out, size_t cap)
{
	(void)utcp_dhcp_option_text(o, out, cap);
}

/* The DHCP client and the settings of interface `index`; NULL from a
 * daemon that does not send them. */
const struct utcp_dhcp *dhcp_of(const struct utcp_status *st, int index)
{
	for (size_t i = 0; i < st->n_dhcp; i++)
		if (st->dhcp[i].ifindex == index)
			return &st->dhcp[i];
	return NULL;
}

const struct utcp_settings *settings_of(const struct utcp_status *st, int index)
{
	for (size_t i = 0; i < st->n_settings; i++)
		if (st->settings[i].ifindex == index)
			return &st->settings[i];
	return NULL;
}

const struct utcp_ifstats *ifstats_of(const struct utcp_status *st, int index)
{
	for (size_t i = 0; i < st->n_ifstats; i++)
		if (st->ifstats[i].ifindex == index)
			return &st->ifstats[i];
	return NULL;
}

void json_ifstats(const struct utcp_ifstats *c)
{
	if (!c) {
		fputs(", \"carrier\": null, \"counters\": null", stdout);
		return;
	}
	printf(", \"carrier\": \"%s\", \"counters\": {\"rx_frames\": %" PRIu64
	       ", \"rx_bytes\": %" PRIu64 ", \"rx_errors\": %" PRIu64
	       ", \"rx_drops\": %" PRIu64 ", \"tx_frames\": %" PRIu64
	       ", \"tx_bytes\": %" PRIu64 ", \"tx_errors\": %" PRIu64
	       ", \"tx_drops\": %" PRIu64 "}",
	       utcp_carrier_name(c->carrier), c->rx_frames, c->rx_bytes,
	       c->rx_errors, c->rx_drops, c->tx_frames, c->tx_bytes,
	       c->tx_errors, c->tx_drops);
}

void text_ifstats(const char *lead, const struct utcp_ifstats *c)
{
	printf("%srx %" PRIu64 " frames  %" PRIu64 " bytes  %" PRIu64
	       " errors  %" PRIu64 " drops\n",
	       lead, c->rx_frames, c->rx_bytes, c->rx_errors, c->rx_drops);
	printf("%stx %" PRIu64 " frames  %" PRIu64 " bytes  %" PRIu64
	       " errors  %" PRIu64 " drops\n",
	       lead, c->tx_frames, c->tx_bytes, c->tx_errors, c->tx_drops);
}

static const char *proto_name(enum utcp_protocol p)
{
	return p == UTCP_PROTO_UDP ? "udp" : "?";
}

/* A timer in milliseconds, null for never. */
void json_ms(uint64_t ms)
{
	if (ms == UTCP_DHCP_NEVER)
		fputs("null", stdout);
	else
		printf("%" PRIu64, ms);
}

void json_addrs(const struct in_addr *a, size_t n)
{
	char buf[INET_ADDRSTRLEN];

	putchar('[');
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : "", stdout);
		json_string(addr_str(a[i], buf));
	}
	putchar(']');
}

/* The owner of socket `id` of `kind`, NULL when the daemon did not say
 * (an old daemon, or a connection without its channel). */
/* Orders owners by kind, then id. */
static int owner_cmp(const void *a, const void *b)
{
	const struct utcp_sock_owner *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

void owners_sort(struct utcp_status *st)
{
	if (st->n_sock_owners > 1)
		qsort(st->sock_owners, st->n_sock_owners,
		      sizeof(st->sock_owners[0]), owner_cmp);
}

const struct utcp_sock_owner *owner_of(const struct utcp_status *st,
				       enum utcp_sock_kind kind, int id)
{
	struct utcp_sock_owner key = {.kind = kind, .id = id};

	if (st->n_sock_owners == 0)
		return NULL;
	return bsearch(&key, st->sock_owners, st->n_sock_owners,
		       sizeof(st->sock_owners[0]), owner_cmp);
}

/* {"pid", "uid", "gid", "command", "gone"}, or null. */
void json_owner(const struct utcp_sock_owner *w)
{
	if (!w) {
		fputs("null", stdout);
		return;
	}
	printf("{\"pid\": ");
	if (w->pid)
		printf("%" PRIu32, w->pid);
	else
		fputs("null", stdout);
	printf(", \"uid\": %" PRIu32 ", \"gid\": %" PRIu32 ", \"command\": ",
	       w->uid, w->gid);
	if (w->comm[0])
		json_string(w->comm);
	else
		fputs("null", stdout);
	printf(", \"gone\": %s}", w->gone ? "true" : "false");
}

/* ", \"dhcp\": {...}" of interface `index`: the client, its lease, its
 * counters and options. */
void json_dhcp(const struct utcp_status *st, int index)
{
	const struct utcp_dhcp *d = dhcp_of(st, index);
	const struct utcp_dhcp_counters *c;
	char buf[INET_ADDRSTRLEN], value[1024], hex[2 * 255 + 1];
	bool first = true;

	if (!d) {
		fputs("null", stdout);
		return;
	}
	c = &d->counters;
	printf("{\"state\": \"%s\", \"running\": %s, "
	       "\"bound\": %s, \"address\": ",
	       utcp_dhcp_state_name(d->state), d->running ? "true" : "false",
	       d->bound ? "true" : "false");
	if (d->bound)
		printf("\"%s/%u\"", addr_str(d->address, buf), d->prefix_len);
	else
		fputs("null", stdout);
	fputs(", \"server\": ", stdout);
	json_addr(d->bound, d->server);
	printf(", \"lease_s\": %" PRIu32 ", \"t1_s\": %" PRIu32
	       ", \"t2_s\": %" PRIu32 ", \"t1_in_ms\": ",
	       d->lease_s, d->t1_s, d->t2_s);
	json_ms(d->t1_in_ms);
	fputs(", \"t2_in_ms\": ", stdout);
	json_ms(d->t2_in_ms);
	fputs(", \"expires_in_ms\": ", stdout);
	json_ms(d->expires_in_ms);
	printf(", \"mtu\": %" PRIu32
	       ", \"counters\": {\"tx_discover\": %" PRIu64
	       ", \"tx_request\": %" PRIu64 ", \"tx_decline\": %" PRIu64
	       ", \"tx_release\": %" PRIu64 ", \"rx_offer\": %" PRIu64
	       ", \"rx_ack\": %" PRIu64 ", \"rx_nak\": %" PRIu64
	       ", \"rx_ignored\": %" PRIu64 ", \"retransmits\": %" PRIu64
	       ", \"declines\": %" PRIu64 ", \"naks\": %" PRIu64
	       ", \"expiries\": %" PRIu64 ", \"corrections\": %" PRIu64
	       "}, \"options_truncated\": %s, \"options\": [",
	       d->mtu, c->tx_discover, c->tx_request, c->tx_decline,
	       c->tx_release, c->rx_offer, c->rx_ack, c->rx_nak, c->rx_ignored,
	       c->retransmits, c->declines, c->naks, c->expiries,
	       c->corrections, d->options_truncated ? "true" : "false");
	for (size_t i = 0; i < st->n_dhcp_options; i++) {
		const struct utcp_dhcp_option *o = &st->dhcp_options[i];
		const char *name = utcp_dhcp_option_name(o->code);

		if (o->ifindex != index)
			continue;
		option_text(o, value, sizeof(value));
		hex_str(o->value, o->length, hex);
		printf("%s{\"code\": %u, \"name\": ", first ? "" : ", ",
		       o->code);
		if (name)
			json_string(name);
		else
			fputs("null", stdout);
		fputs(", \"value\": ", stdout);
		json_string(value);
		printf(", \"hex\": \"%s\"}", hex);
		first = false;
	}
	fputs("]}", stdout);
}

/* The settings of interface `index` and their sources, as members of
 * its object. */
static void json_settings(const struct utcp_status *st, int index)
{
	const struct utcp_settings *s = settings_of(st, index);
	const struct utcp_settings none = {0};
	char buf[INET_ADDRSTRLEN];

	if (!s)
		s = &none;
	printf(", \"configured\": %s, \"address_source\": \"%s\", "
	       "\"routes_source\": \"%s\", \"mtu_source\": \"%s\", "
	       "\"dns\": ",
	       s->configured ? "true" : "false",
	       utcp_source_name(s->address_source),
	       utcp_source_name(s->routes_source),
	       utcp_source_name(s->mtu_source));
	json_addrs(s->dns, s->n_dns);
	printf(", \"dns_source\": \"%s\", \"domain\": ",
	       utcp_source_name(s->dns_source));
	if (s->domain[0])
		json_string(s->domain);
	else
		fputs("null", stdout);
	printf(", \"domain_source\": \"%s\", \"search\": [",
	       utcp_source_name(s->domain_source));
	for (size_t i = 0; i < s->n_search; i++) {
		fputs(i ? ", " : "", stdout);
		json_string(s->search[i]);
	}
	printf("], \"search_source\": \"%s\", \"log_server\": ",
	       utcp_source_name(s->search_source));
	if (s->has_log_server)
		printf("\"%s:%u\"", addr_str(s->log_server, buf), s->log_port);
	else
		fputs("null", stdout);
	printf(", \"log_server_source\": \"%s\", \"ntp\": ",
	       utcp_source_name(s->log_server_source));
	json_addrs(s->ntp, s->n_ntp);
	printf(", \"ntp_source\": \"%s\"", utcp_source_name(s->ntp_source));
}

/* A cache entry's type: "A", "AAAA", or the number. */
static const char *qtype_name(uint16_t qtype, char buf[8])
{
	if (qtype == 1)
		return "A";
	if (qtype == 28)
		return "AAAA";
	snprintf(buf, 8, "%u", qtype);
	return buf;
}

void json_route(const struct utcp_status *st, size_t i)
{
	const struct utcp_route *r = &st->routes[i];
	char buf[INET_ADDRSTRLEN];

	printf("{\"destination\": \"%s/%u\", \"gateway\": ",
	       addr_str(r->destination, buf), r->prefix_len);
	json_addr(r->has_gateway, r->gateway);
	fputs(", \"interface\": ", stdout);
	json_string(r->interface);
	printf(", \"kind\": \"%s\", \"metric\": %" PRIu32 "}",
	       utcp_route_kind_name(r->kind),
	       st->route_metrics ? st->route_metrics[i] : 0);
}

/* ", \"dns\": {...}": the stub resolver, null from a daemon without. */
void json_dns(const struct utcp_status *st)
{
	const struct utcp_dns_info *d = &st->dns;
	char buf[INET_ADDRSTRLEN], type[8];
	size_t i;

	if (!st->has_dns) {
		fputs("null", stdout);
		return;
	}
	printf("{\"ndots\": %u, \"search\": [", d->ndots);
	for (i = 0; i < st->n_dns_search; i++) {
		fputs(i ? ", " : "", stdout);
		json_string(st->dns_search[i]);
	}
	printf("], \"cache_entries\": %" PRIu32 ", \"cache_max\": %" PRIu32
	       ", \"lookups_pending\": %" PRIu32 ", \"lookups_max\": %" PRIu32
	       ", \"queries_active\": %" PRIu32 ", \"queries_max\": %" PRIu32
	       ", \"servers\": [",
	       d->cache_entries, d->cache_max, d->lookups_pending,
	       d->lookups_max, d->queries_active, d->queries_max);
	for (i = 0; i < st->n_dns_servers; i++) {
		const struct utcp_dns_server *v = &st->dns_servers[i];

		printf("%s{\"interface\": ", i ? ", " : "");
		json_string(v->interface);
		printf(", \"address\": \"%s\", \"port\": %u, \"source\": "
		       "\"%s\", \"unresponsive\": %s, \"queries\": %" PRIu64
		       ", \"answers\": %" PRIu64 ", \"timeouts\": %" PRIu64
		       ", \"failures\": %" PRIu64 "}",
		       addr_str(v->address, buf), v->port,
		       utcp_source_name(v->source),
		       v->unresponsive ? "true" : "false", v->queries,
		       v->answers, v->timeouts, v->failures);
	}
	fputs("], \"cache\": [", stdout);
	for (i = 0; i < st->n_dns_cache; i++) {
		const struct utcp_dns_cache_entry *e = &st->dns_cache[i];

		printf("%s{\"name\": ", i ? ", " : "");
		json_string(e->name);
		printf(", \"type\": \"%s\", \"kind\": \"%s\", \"ttl_left\": "
		       "%" PRIu32 ", \"hits\": %" PRIu64 ", \"naddrs\": %u, "
		       "\"addresses\": ",
		       qtype_name(e->qtype, type),
		       utcp_dns_cache_kind_name(e->kind), e->ttl_left_s,
		       e->hits, e->naddrs);
		json_addrs(e->addrs, e->n_addrs);
		putchar('}');
	}
	fputs("]}", stdout);
}

void dump_json(const struct utcp_status *st)
{
	char buf[INET_ADDRSTRLEN], mac[18];
	size_t i;

	fputs("{\"name\": ", stdout);
	json_string(st->name);
	printf(", \"uptime_ms\": %" PRIu64 ", \"ready\": %s, "
	       "\"ready_at_ms\": %" PRIu64 ", \"interfaces\": [",
	       st->uptime_ms, st->ready ? "true" : "false", st->ready_at_ms);
	for (i = 0; i < st->n_interfaces; i++) {
		const struct utcp_interface *f = &st->interfaces[i];

		mac_str(f->mac, mac);
		printf("%s{\"name\": ", i ? ", " : "");
		json_string(f->name);
		printf(", \"index\": %d, \"mac\": \"%s\", \"mtu\": %u, "
		       "\"address\": ",
		       f->index, mac, f->mtu);
		if (f->has_address)
			printf("\"%s/%u\"", addr_str(f->address, buf),
			       f->prefix_len);
		else
			fputs("null", stdout);
		fputs(", \"gateway\": ", stdout);
		json_addr(f->has_gateway, f->gateway);
		fputs(", \"dhcp\": ", stdout);
		json_dhcp(st, f->index);
		json_settings(st, f->index);
		json_ifstats(ifstats_of(st, f->index));
		putchar('}');
	}
	fputs("], \"routes\": [", stdout);
	for (i = 0; i < st->n_routes; i++) {
		fputs(i ? ", " : "", stdout);
		json_route(st, i);
	}
	fputs("], \"arp\": [", stdout);
	for (i = 0; i < st->n_arp; i++) {
		const struct utcp_arp_entry *a = &st->arp[i];

		mac_str(a->mac, mac);
		printf("%s{\"address\": \"%s\", \"mac\": \"%s\", "
		       "\"interface\": ",
		       i ? ", " : "", addr_str(a->address, buf), mac);
		json_string(a->interface);
		printf(", \"state\": \"%s\", \"expires_ms\": %" PRIu64
		       ", \"queued\": %u}",
		       utcp_arp_state_name(a->state), a->expires_ms, a->queued);
	}
	fputs("], \"sockets\": [", stdout);
	for (i = 0; i < st->n_sockets; i++) {
		const struct utcp_socket *s = &st->sockets[i];

		printf("%s{\"id\": %d, \"protocol\": \"%s\", \"local\": ",
		       i ? ", " : "", s->id, proto_name(s->protocol));
		json_endpoint(s->local_addr, s->local_port);
		fputs(", \"remote\": ", stdout);
		if (s->connected)
			json_endpoint(s->remote_addr, s->remote_port);
		else
			fputs("null", stdout);
		printf(", \"recv_queue\": %u, \"recv_bytes\": %u, "
		       "\"rx\": %" PRIu64 ", \"tx\": %" PRIu64
		       ", \"drops\": %" PRIu64 ", \"owner\": ",
		       s->recv_queue, s->recv_bytes, s->rx, s->tx, s->drops);
		json_owner(owner_of(st, UTCP_SOCK_UDP, s->id));
		putchar('}');
	}
	for (i = 0; i < st->n_tcp; i++) {
		const struct utcp_tcp_socket *t = &st->tcp[i];

		printf("%s{\"id\": %d, \"protocol\": \"tcp\", "
		       "\"listener\": %s, \"state\": \"%s\", \"orphan\": %s, "
		       "\"local\": ",
		       i || st->n_sockets ? ", " : "", t->id,
		       t->listener ? "true" : "false",
		       utcp_tcp_state_name(t->state),
		       t->orphan ? "true" : "false");
		json_endpoint(t->local_addr, t->local_port);
		fputs(", \"remote\": ", stdout);
		if (t->listener)
			fputs("null", stdout);
		else
			json_endpoint(t->remote_addr, t->remote_port);
		printf(", \"send_queue\": %u, \"recv_queue\": %u, "
		       "\"snd_wnd\": %u, \"rcv_wnd\": %u, \"cwnd\": %u, "
		       "\"ssthresh\": %u, \"mss\": %u, \"srtt_us\": %" PRIu64
		       ", \"rttvar_us\": %" PRIu64 ", \"rto_ms\": %" PRIu64
		       ", \"retransmits\": %" PRIu64
		       ", \"bytes_sent\": %" PRIu64
		       ", \"bytes_received\": %" PRIu64 ", \"backlog\": %u"
		       ", \"owner\": ",
		       t->send_queue, t->recv_queue, t->snd_wnd, t->rcv_wnd,
		       t->cwnd, t->ssthresh, t->mss, t->srtt_us, t->rttvar_us,
		       t->rto_ms, t->retransmits, t->bytes_sent,
		       t->bytes_received, t->backlog);
		json_owner(owner_of(st,
				    t->listener ? UTCP_SOCK_TCP_LISTENER
						: UTCP_SOCK_TCP_CONNECTION,
				    t->id));
		putchar('}');
	}
	printf("], \"pool\": {\"small_in_use\": %u, \"small_allocated\": %u, "
	       "\"small_max\": %u, \"large_in_use\": %u, "
	       "\"large_allocated\": %u, \"large_max\": %u}, \"counters\": {",
	       st->pool.small_in_use, st->pool.small_allocated,
	       st->pool.small_max, st->pool.large_in_use,
	       st->pool.large_allocated, st->pool.large_max);
	for (i = 0; i < st->n_counters; i++) {
		fputs(i ? ", " : "", stdout);
		json_string(st->counters[i].name);
		printf(": %" PRIu64, st->counters[i].value);
	}
	putchar('}');
	fputs(", \"dns\": ", stdout);
	json_dns(st);
	fputs(", \"owners\": [", stdout);
	for (i = 0; i < st->n_owners; i++) {
		const struct utcp_owner *o = &st->owners[i];

		printf("%s{\"uid\": %u, \"clients\": %u, \"udp\": %u, "
		       "\"listeners\": %u, \"connections\": %u}",
		       i ? ", " : "", o->uid, o->clients, o->udp, o->listeners,
		       o->connections);
	}
	fputs("], \"links\": [", stdout);
	for (i = 0; i < st->n_links; i++) {
		const struct utcp_link *l = &st->links[i];

		printf("%s{\"interface\": ", i ? ", " : "");
		json_string(l->interface);
		printf(", \"syn_shed\": %s, \"syn_shed_times\": %" PRIu64
		       ", \"syn_drops\": %" PRIu64
		       ", \"kernel_drops\": %" PRIu64 "}",
		       l->syn_shed ? "true" : "false", l->syn_shed_times,
		       l->syn_drops, l->kernel_drops);
	}
	fputs("]}\n", stdout);
}

/* "in N s", or "never". */
static void text_in(const char *what, uint64_t ms)
{
	if (ms == UTCP_DHCP_NEVER)
		printf("  %s never", what);
	else
		printf("  %s in %" PRIu64 " s", what, ms / 1000);
}

/* The interface's DHCP line, and its counters when any moved. */
void text_dhcp(const struct utcp_status *st, const struct utcp_interface *f)
{
	const struct utcp_dhcp *d = dhcp_of(st, f->index);
	const struct utcp_dhcp_counters *c;
	char buf[INET_ADDRSTRLEN];

	if (!d)
		return;
	c = &d->counters;
	printf("  %-10s dhcp %s", f->name, utcp_dhcp_state_name(d->state));
	if (d->bound) {
		printf("  server %s", addr_str(d->server, buf));
		if (d->lease_s == UTCP_DHCP_INFINITE)
			printf("  lease infinite");
		else
			printf("  lease %" PRIu32 " s", d->lease_s);
		text_in("t1", d->t1_in_ms);
		text_in("t2", d->t2_in_ms);
		text_in("expires", d->expires_in_ms);
	}
	putchar('\n');
	if (c->tx_discover + c->tx_request + c->tx_decline + c->tx_release +
		c->rx_offer + c->rx_ack + c->rx_nak + c->rx_ignored ==
	    0)
		return;
	printf(
	    "  %-10s dhcp sent discover %" PRIu64 " request %" PRIu64
	    " decline %" PRIu64 " release %" PRIu64 "  received offer %" PRIu64
	    " ack %" PRIu64 " nak %" PRIu64 "  ignored %" PRIu64
	    "  retransmits %" PRIu64 "  declines %" PRIu64 "  naks %" PRIu64
	    "  expiries %" PRIu64 "  corrections %" PRIu64 "%s\n",
	    f->name, c->tx_discover, c->tx_request, c->tx_decline,
	    c->tx_release, c->rx_offer, c->rx_ack, c->rx_nak, c->rx_ignored,
	    c->retransmits, c->declines, c->naks, c->expiries, c->corrections,
	    d->options_truncated ? "  (options truncated)" : "");
}

static void text_addrs(const struct in_addr *a, size_t n)
{
	char buf[INET_ADDRSTRLEN];

	for (size_t i = 0; i < n; i++)
		printf(" %s", addr_str(a[i], buf));
}

/* The interface's settings line: each with its source. */
static void text_settings(const struct utcp_interface *f,
			  const struct utcp_settings *s)
{
	char buf[INET_ADDRSTRLEN];

	printf("  %-10s dns", f->name);
	if (s->n_dns) {
		text_addrs(s->dns, s->n_dns);
		printf(" (%s)", utcp_source_name(s->dns_source));
	} else {
		printf(" none");
	}
	if (s->domain[0])
		printf("  domain %s (%s)", s->domain,
		       utcp_source_name(s->domain_source));
	else
		printf("  domain none");
	printf("  search");
	for (size_t i = 0; i < s->n_search; i++)
		printf(" %s", s->search[i]);
	if (s->n_search)
		printf(" (%s)", utcp_source_name(s->search_source));
	else
		printf(" none");
	printf("  mtu %u (%s)", f->mtu, utcp_source_name(s->mtu_source));
	if (s->has_log_server)
		printf("  log server %s:%u (%s)", addr_str(s->log_server, buf),
		       s->log_port, utcp_source_name(s->log_server_source));
	else
		printf("  log server none");
	printf("  ntp");
	if (s->n_ntp) {
		text_addrs(s->ntp, s->n_ntp);
		printf(" (%s)", utcp_source_name(s->ntp_source));
	} else {
		printf(" none");
	}
	putchar('\n');
}

/* The stub resolver: its servers, search list, limits and cache. */
void text_dns(const struct utcp_status *st)
{
	const struct utcp_dns_info *d = &st->dns;
	char buf[INET_ADDRSTRLEN], where[32], type[8];
	size_t i;

	if (!st->has_dns)
		return;
	printf("\ndns\n");
	printf("  lookups %" PRIu32 "/%" PRIu32 "  queries %" PRIu32 "/%" PRIu32
	       "  cache %" PRIu32 "/%" PRIu32 "  ndots %u\n",
	       d->lookups_pending, d->lookups_max, d->queries_active,
	       d->queries_max, d->cache_entries, d->cache_max, d->ndots);
	printf("  search");
	for (i = 0; i < st->n_dns_search; i++)
		printf(" %s", st->dns_search[i]);
	printf("%s\n", st->n_dns_search ? "" : " none");
	if (st->n_dns_servers == 0)
		printf("  server none\n");
	for (i = 0; i < st->n_dns_servers; i++) {
		const struct utcp_dns_server *v = &st->dns_servers[i];

		snprintf(where, sizeof(where), "%s:%u",
			 addr_str(v->address, buf), v->port);
		printf("  server %-21s dev %-10s %-6s queries %" PRIu64
		       "  answers %" PRIu64 "  timeouts %" PRIu64
		       "  failures %" PRIu64 "%s\n",
		       where, v->interface, utcp_source_name(v->source),
		       v->queries, v->answers, v->timeouts, v->failures,
		       v->unresponsive ? "  (unresponsive)" : "");
	}
	printf("\ndns cache (%zu)\n", st->n_dns_cache);
	for (i = 0; i < st->n_dns_cache; i++) {
		const struct utcp_dns_cache_entry *e = &st->dns_cache[i];

		printf("  %-30s %-4s %-8s ttl %" PRIu32 " s  hits %" PRIu64,
		       e->name, qtype_name(e->qtype, type),
		       utcp_dns_cache_kind_name(e->kind), e->ttl_left_s,
		       e->hits);
		if (e->kind == UTCP_DNS_CACHE_POSITIVE) {
			printf("  addresses %u", e->naddrs);
			if (e->n_addrs)
				putchar(':');
			text_addrs(e->addrs, e->n_addrs);
			if (e->naddrs > e->n_addrs && e->n_addrs)
				printf(" ...");
		}
		putchar('\n');
	}
}

void text_options(const struct utcp_status *st, const struct utcp_interface *f)
{
	for (size_t k = 0; k < st->n_dhcp_options; k++) {
		const struct utcp_dhcp_option *o = &st->dhcp_options[k];
		const char *name = utcp_dhcp_option_name(o->code);
		char value[1024];

		if (o->ifindex != f->index)
			continue;
		option_text(o, value, sizeof(value));
		printf("  %-10s option %u%s%s %s\n", f->name, o->code,
		       name ? " " : "", name ? name : "",
		       o->length ? value : "(empty)");
	}
}

void dump_text(const struct utcp_status *st)
{
	char buf[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], mac[18], where[32];
	size_t i;
	bool any;

	printf("daemon %s, up %" PRIu64 ".%03" PRIu64 " s\n", st->name,
	       st->uptime_ms / 1000, st->uptime_ms % 1000);
	printf("ready %s\n", st->ready ? "yes" : "no");

	printf("\ninterfaces\n");
	for (i = 0; i < st->n_interfaces; i++) {
		const struct utcp_interface *f = &st->interfaces[i];
		const struct utcp_settings *set = settings_of(st, f->index);
		const struct utcp_ifstats *c = ifstats_of(st, f->index);

		mac_str(f->mac, mac);
		printf("  %-10s index %d  mac %s  mtu %u\n", f->name, f->index,
		       mac, f->mtu);
		if (f->has_address)
			printf("  %-10s address %s/%u", "",
			       addr_str(f->address, buf), f->prefix_len);
		else
			printf("  %-10s address none", "");
		if (set && f->has_address)
			printf(" (%s)", utcp_source_name(set->address_source));
		if (f->has_gateway)
			printf("  gateway %s", addr_str(f->gateway, buf));
		if (set && f->has_gateway)
			printf(" (%s)", utcp_source_name(set->routes_source));
		putchar('\n');
		if (c) {
			printf("  %-10s carrier %s\n", "",
			       utcp_carrier_name(c->carrier));
			text_ifstats("             ", c);
		}
		text_dhcp(st, f);
		if (set)
			text_settings(f, set);
		text_options(st, f);
	}

	printf("\nroutes\n");
	for (i = 0; i < st->n_routes; i++) {
		const struct utcp_route *r = &st->routes[i];

		snprintf(where, sizeof(where), "%s/%u",
			 addr_str(r->destination, buf), r->prefix_len);
		if (r->has_gateway)
			printf("  %-18s via %-15s dev %-10s %s", where,
			       addr_str(r->gateway, gw), r->interface,
			       utcp_route_kind_name(r->kind));
		else
			printf("  %-18s %-19s dev %-10s %s", where, "on-link",
			       r->interface, utcp_route_kind_name(r->kind));
		/* as ip-route(8): a metric only when there is one */
		if (st->route_metrics && st->route_metrics[i])
			printf(" metric %" PRIu32, st->route_metrics[i]);
		putchar('\n');
	}

	printf("\narp cache (%zu)\n", st->n_arp);
	for (i = 0; i < st->n_arp; i++) {
		const struct utcp_arp_entry *a = &st->arp[i];

		mac_str(a->mac, mac);
		printf("  %-15s %s  dev %-10s %-10s expires %" PRIu64
		       " ms  queued %u\n",
		       addr_str(a->address, buf), mac, a->interface,
		       utcp_arp_state_name(a->state), a->expires_ms, a->queued);
	}

	printf("\nsockets (%zu)\n", st->n_sockets);
	for (i = 0; i < st->n_sockets; i++) {
		const struct utcp_socket *s = &st->sockets[i];

		snprintf(where, sizeof(where), "%s:%u",
			 addr_str(s->local_addr, buf), s->local_port);
		printf("  %-5d %s  %-21s ", s->id, proto_name(s->protocol),
		       where);
		if (s->connected)
			snprintf(where, sizeof(where), "%s:%u",
				 addr_str(s->remote_addr, buf), s->remote_port);
		else
			snprintf(where, sizeof(where), "*:*");
		printf("%-21s recvq %u (%u B)  rx %" PRIu64 "  tx %" PRIu64
		       "  drops %" PRIu64 "\n",
		       where, s->recv_queue, s->recv_bytes, s->rx, s->tx,
		       s->drops);
	}

	printf("\ntcp (%zu)\n", st->n_tcp);
	for (i = 0; i < st->n_tcp; i++) {
		const struct utcp_tcp_socket *t = &st->tcp[i];
		char remote[32];

		snprintf(where, sizeof(where), "%s:%u",
			 addr_str(t->local_addr, buf), t->local_port);
		if (t->listener)
			snprintf(remote, sizeof(remote), "*:*");
		else
			snprintf(remote, sizeof(remote), "%s:%u",
				 addr_str(t->remote_addr, gw), t->remote_port);
		printf("  %-5d %-12s %-21s %-21s%s\n", t->id,
		       utcp_tcp_state_name(t->state), where, remote,
		       t->orphan ? "  (closed)" : "");
		if (t->listener) {
			printf("        backlog %u\n", t->backlog);
			continue;
		}
		printf("        sendq %u  recvq %u  snd_wnd %u  rcv_wnd %u  "
		       "mss %u\n"
		       "        cwnd %u  ssthresh %u  srtt %" PRIu64
		       " us  rttvar %" PRIu64 " us  rto %" PRIu64
		       " ms  retransmits %" PRIu64 "\n"
		       "        sent %" PRIu64 " B  received %" PRIu64 " B\n",
		       t->send_queue, t->recv_queue, t->snd_wnd, t->rcv_wnd,
		       t->mss, t->cwnd, t->ssthresh, t->srtt_us, t->rttvar_us,
		       t->rto_ms, t->retransmits, t->bytes_sent,
		       t->bytes_received);
	}

	printf("\ncontrol socket, per uid (%zu)\n", st->n_owners);
	for (i = 0; i < st->n_owners; i++) {
		const struct utcp_owner *o = &st->owners[i];

		printf("  uid %-8u clients %u  udp %u  listeners %u  "
		       "tcp %u\n",
		       o->uid, o->clients, o->udp, o->listeners,
		       o->connections);
	}

	printf("\nlinks\n");
	for (i = 0; i < st->n_links; i++) {
		const struct utcp_link *l = &st->links[i];

		printf("  %-10s syn filter %s (on %" PRIu64
		       " times)  syn drops %" PRIu64 "  kernel drops %" PRIu64
		       "\n",
		       l->interface, l->syn_shed ? "on" : "off",
		       l->syn_shed_times, l->syn_drops, l->kernel_drops);
	}

	text_dns(st);

	printf("\npacket pool\n"
	       "  small  %u in use, %u allocated, max %u\n"
	       "  large  %u in use, %u allocated, max %u\n",
	       st->pool.small_in_use, st->pool.small_allocated,
	       st->pool.small_max, st->pool.large_in_use,
	       st->pool.large_allocated, st->pool.large_max);

	printf("\ncounters (non-zero)\n");
	any = false;
	for (i = 0; i < st->n_counters; i++) {
		if (st->counters[i].value == 0)
			continue;
		printf("  %-28s %" PRIu64 "\n", st->counters[i].name,
		       st->counters[i].value);
		any = true;
	}
	if (!any)
		printf("  (all zero)\n");
}
