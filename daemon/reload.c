/*
 * reload.c - SIGHUP: the configuration read again, what may change
 * applied, the rest logged as needing a restart (reload.h)
 *
 * Theory of operation. main.c reads the file again into a new struct
 * config (with the command line's overrides, as at start); a file that
 * does not load is logged and nothing changes. reload_apply() then
 * compares it with the running one (reload_compare(): pure, key by
 * key, from the table below), logs every difference that needs a
 * restart with the line that sets it, and merges the others into
 * d->cfg (reload_merge(): pure). Then each part that keeps its own
 * copy of a setting is told:
 *
 *   log               log_reconfigure(): target, file, level, the
 *                     priority prefix (a file
 *                     that cannot be opened keeps the old log, logged)
 *   [interface] dns,  netconf_recompute(): each interface's settings
 *   log_server        again (static keys over the lease bound now),
 *                     remote syslog follows; resolver_follow() hands
 *                     the resolver the servers, and flushes its cache
 *                     (as for a lease's) when their addresses, ports or order
 *                     changed (answers of the old servers are not
 *                     kept, as a restarted nscd would); not when only
 *                     where one came from (the configuration, a
 *                     lease) or its interface did, which status shows
 *                     and nothing is asked by
 *   [dns] search      resolver_follow(); the cache stays: its entries
 *                     are whole names, and the search list only
 *                     chooses which names a lookup tries (so does
 *                     ndots)
 *   [dns] the rest    dns_set_limits() (timeouts, attempts, ndots, TTL
 *                     caps, client_lookups_max); the cache is flushed
 *                     when a TTL cap was lowered, as its entries may
 *                     outlive the new one
 *   [hosts]           the static hosts replaced as a whole; the cache
 *                     stays: hosts answer before it and are never in it
 *   [control]         control_apply_config(): limits and access rules
 *                     for what comes next; what clients hold stays
 *   busy_poll_us      the loop's busy-polling window
 *   socket_mode,      control_socket_access(): the running socket's
 *   socket_owner,     mode, owner and group set again (connected
 *   socket_group      clients stay: permissions count at connect)
 *
 * What needs a restart is what was built from the configuration at
 * start and cannot change under connections: the interfaces (TAPs,
 * MACs, MTUs, addresses, routes, DHCP), the control socket's path, the stack's
 * table sizes ([limits], [tcp]), the resolver's table sizes, the state
 * directory, the name (the DHCP hostname, syslog's ident) and the
 * user and group (the privileges are dropped once, at start).
 *
 * The table is every key of utcpd.conf(5): tests/unit/daemon/
 * test_reload.c fails when the manual has a key the table lacks.
 */
#include "reload.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "control.h"
#include "control_limits.h"
#include "log.h"
#include "loop.h"
#include "netconf.h"
#include "resolver.h"
#include "utcpd.h"

#define CF(m)                                                                  \
	{                                                                      \
		offsetof(struct config, m), sizeof(((struct config *)0)->m),   \
		    false                                                      \
	}
#define CS(m)                                                                  \
	{                                                                      \
		offsetof(struct config, m), sizeof(((struct config *)0)->m),   \
		    true                                                       \
	}
#define IFF(m)                                                                 \
	{                                                                      \
		offsetof(struct config_interface, m),                          \
		    sizeof(((struct config_interface *)0)->m), false           \
	}
#define IFS(m)                                                                 \
	{                                                                      \
		offsetof(struct config_interface, m),                          \
		    sizeof(((struct config_interface *)0)->m), true            \
	}

/* [daemon] */
#define DAEMON(k, kind, ...)                                                   \
	{                                                                      \
		"daemon", k, kind, RELOAD_CONFIG, {__VA_ARGS__}, NULL          \
	}
/* [interface NAME]: restart, but dns */
#define IFACE(k, ...)                                                          \
	{                                                                      \
		"interface", k, RELOAD_RESTART, RELOAD_INTERFACE,              \
		    {__VA_ARGS__}, NULL                                        \
	}
/* [limits] and [tcp]: restart */
#define LIMIT(sec, k, m)                                                       \
	{                                                                      \
		sec, k, RELOAD_RESTART, RELOAD_CONFIG, {CF(m)}, NULL           \
	}
/* [control]: applied */
#define CONTROL(k, m)                                                          \
	{                                                                      \
		"control", k, RELOAD_APPLY, RELOAD_CONFIG, {CF(m)}, NULL       \
	}
/* [dns] */
#define DNS(k, kind, m)                                                        \
	{                                                                      \
		"dns", k, kind, RELOAD_CONFIG, {CF(m)}, NULL                   \
	}

static bool same_if_dns(const void *a, const void *b)
{
	const struct config_interface *x = a, *y = b;

	return x->ndns == y->ndns &&
	       memcmp(x->dns, y->dns, (size_t)x->ndns * sizeof(x->dns[0])) == 0;
}

static bool same_search(const void *a, const void *b)
{
	const struct config_dns *x = &((const struct config *)a)->dns;
	const struct config_dns *y = &((const struct config *)b)->dns;

	if (x->search_set != y->search_set || x->nsearch != y->nsearch)
		return false;
	for (int i = 0; i < x->nsearch; i++)
		if (strcmp(x->search[i], y->search[i]) != 0)
			return false;
	return true;
}

static bool same_hosts(const void *a, const void *b)
{
	const struct config_dns *x = &((const struct config *)a)->dns;
	const struct config_dns *y = &((const struct config *)b)->dns;

	if (x->nhosts != y->nhosts)
		return false;
	for (int i = 0; i < x->nhosts; i++) {
		const struct config_host *h = &x->hosts[i], *k = &y->hosts[i];

		if (strcasecmp(h->name, k->name) != 0 || h->naddrs != k->naddrs)
			return false;
		for (int j = 0; j < h->naddrs; j++)
			if (h->addrs[j].family != k->addrs[j].family ||
			    memcmp(h->addrs[j].addr, k->addrs[j].addr,
				   h->addrs[j].family == 4 ? 4 : 16) != 0)
				return false;
	}
	return true;
}

static bool same_log(const void *a, const void *b)
{
	const struct config *x = a, *y = b;

	return x->log_target == y->log_target &&
	       (x->log_target != LOG_TARGET_FILE ||
		strcmp(x->log_file, y->log_file) == 0);
}

const struct reload_key reload_keys[] = {
    DAEMON("name", RELOAD_RESTART, CS(name)),
    DAEMON("socket", RELOAD_RESTART, CS(socket_path)),
    DAEMON("socket_mode", RELOAD_APPLY, CF(socket_mode)),
    DAEMON("socket_owner", RELOAD_APPLY, CF(socket_owner_set),
	   CF(socket_owner)),
    DAEMON("socket_group", RELOAD_APPLY, CF(socket_group_set),
	   CF(socket_group)),
    {"daemon",
     "log",
     RELOAD_APPLY,
     RELOAD_CONFIG,
     {CF(log_target), CS(log_file)},
     same_log},
    DAEMON("log_level", RELOAD_APPLY, CF(log_level)),
    DAEMON("state_dir", RELOAD_RESTART, CS(state_dir)),
    DAEMON("log_server", RELOAD_APPLY, CF(log_server_set), CF(log_server),
	   CF(log_port)),
    DAEMON("busy_poll_us", RELOAD_APPLY, CF(busy_poll_us)),
    DAEMON("user", RELOAD_RESTART, CS(user)),
    DAEMON("group", RELOAD_RESTART, CS(group)),
    DAEMON("log_priority_prefix", RELOAD_APPLY, CF(log_prefix)),

    IFACE("mac", IFF(has_mac), IFF(mac)),
    IFACE("mtu", IFF(mtu), IFF(mtu_set)),
    IFACE("dhcp", IFF(dhcp)),
    IFACE("client_id", IFF(client_id_kind), IFF(client_id_len), IFF(client_id)),
    IFACE("hostname", IFF(hostname_set), IFS(hostname)),
    IFACE("release", IFF(release)),
    IFACE("arp_check", IFF(arp_check)),
    IFACE("metric", IFF(metric)),
    IFACE("offload", IFF(offload)),
    IFACE("address", IFF(addr), IFF(prefix_len)),
    IFACE("gateway", IFF(gateway)),
    {"interface",
     "dns",
     RELOAD_APPLY,
     RELOAD_INTERFACE,
     {IFF(ndns), IFF(dns)},
     same_if_dns},

    LIMIT("limits", "arp_cache_max", limits.arp_cache_max),
    LIMIT("limits", "arp_hold_max", limits.arp_hold_max),
    LIMIT("limits", "reasm_datagrams_max", limits.reasm_datagrams_max),
    LIMIT("limits", "reasm_frags_max", limits.reasm_frags_max),
    LIMIT("limits", "reasm_bytes_max", limits.reasm_bytes_max),
    LIMIT("limits", "reasm_timeout_ms", limits.reasm_timeout_ns),
    LIMIT("limits", "udp_sockets_max", limits.udp_sockets_max),
    LIMIT("limits", "udp_rcvq_max", limits.udp_rcvq_max),
    LIMIT("limits", "udp_rcvq_bytes_max", limits.udp_rcvq_bytes_max),
    LIMIT("limits", "pkt_small_max", limits.pkt_small_max),
    LIMIT("limits", "pkt_large_max", limits.pkt_large_max),
    LIMIT("limits", "icmp_error_rate", limits.icmp_error_rate),
    LIMIT("limits", "icmp_error_burst", limits.icmp_error_burst),
    LIMIT("limits", "icmp_echo_max", limits.icmp_echo_max),

    LIMIT("tcp", "conns_max", limits.tcp_conns_max),
    LIMIT("tcp", "listeners_max", limits.tcp_listeners_max),
    LIMIT("tcp", "syn_backlog", limits.tcp_syn_backlog),
    LIMIT("tcp", "syn_turn_budget", limits.tcp_syn_turn_budget),
    LIMIT("tcp", "send_chunks_max", limits.tcp_chunks_max),
    LIMIT("tcp", "send_chunks_reserve", limits.tcp_chunks_reserve),
    LIMIT("tcp", "sndbuf", limits.tcp_sndbuf),
    LIMIT("tcp", "rcvbuf", limits.tcp_rcvbuf),
    LIMIT("tcp", "rcvbuf_max", limits.tcp_rcvbuf_max),
    LIMIT("tcp", "keepidle_s", limits.tcp_keepidle_s),
    LIMIT("tcp", "keepintvl_s", limits.tcp_keepintvl_s),
    LIMIT("tcp", "keepcnt", limits.tcp_keepcnt),
    LIMIT("tcp", "congestion", limits.tcp_cubic),
    LIMIT("tcp", "hystart", limits.tcp_hystart),
    LIMIT("tcp", "prr", limits.tcp_prr),
    {"tcp",
     "local_port_range",
     RELOAD_RESTART,
     RELOAD_CONFIG,
     {CF(limits.tcp_port_first), CF(limits.tcp_port_last)},
     NULL},
    LIMIT("tcp", "challenge_ack_limit", limits.tcp_challenge_ack_limit),
    LIMIT("tcp", "orphans_max", limits.tcp_orphans_max),
    LIMIT("tcp", "orphan_retries", limits.tcp_orphan_retries),

    CONTROL("clients_max", control.clients_max),
    CONTROL("clients_per_uid", control.clients_per_uid),
    CONTROL("hello_timeout_ms", control.hello_timeout_ms),
    CONTROL("udp_per_client", control.udp_per_client),
    CONTROL("udp_per_uid", control.udp_per_uid),
    CONTROL("listeners_per_client", control.listeners_per_client),
    CONTROL("listeners_per_uid", control.listeners_per_uid),
    CONTROL("connections_max", control.connections_max),
    CONTROL("connections_per_client", control.connections_per_client),
    CONTROL("connections_per_uid", control.connections_per_uid),
    CONTROL("captures_max", control.captures_max),
    CONTROL("capture_queue_bytes", control.capture_queue_bytes),
    {"control",
     "privileged_group",
     RELOAD_APPLY,
     RELOAD_CONFIG,
     {CF(control.has_privileged_group), CF(control.privileged_group)},
     NULL},
    {"control",
     "listen_groups",
     RELOAD_APPLY,
     RELOAD_CONFIG,
     {CF(control.nlisten_groups), CF(control.listen_groups)},
     NULL},

    DNS("cache_max", RELOAD_RESTART, dns.limits.cache_max),
    DNS("ttl_max", RELOAD_APPLY, dns.limits.ttl_max_s),
    DNS("negative_ttl_max", RELOAD_APPLY, dns.limits.negative_ttl_max_s),
    DNS("queries_max", RELOAD_RESTART, dns.limits.queries_max),
    DNS("lookups_max", RELOAD_RESTART, dns.limits.lookups_max),
    DNS("client_lookups_max", RELOAD_APPLY, dns.limits.owner_lookups_max),
    DNS("timeout_ms", RELOAD_APPLY, dns.limits.timeout_ms),
    DNS("attempts", RELOAD_APPLY, dns.limits.attempts),
    DNS("ndots", RELOAD_APPLY, dns.limits.ndots),
    {"dns",
     "search",
     RELOAD_APPLY,
     RELOAD_CONFIG,
     {CF(dns.search_set), CF(dns.nsearch), CF(dns.search)},
     same_search},

    {"hosts",
     "NAME",
     RELOAD_APPLY,
     RELOAD_CONFIG,
     {CF(dns.nhosts), CF(dns.hosts)},
     same_hosts},
};

const size_t reload_nkeys = sizeof(reload_keys) / sizeof(reload_keys[0]);

static bool same_value(const struct reload_key *k, const void *a, const void *b)
{
	if (k->same)
		return k->same(a, b);
	for (int i = 0; i < 3 && k->f[i].len; i++) {
		const char *x = (const char *)a + k->f[i].off;
		const char *y = (const char *)b + k->f[i].off;

		if (k->f[i].str ? strncmp(x, y, k->f[i].len) != 0
				: memcmp(x, y, k->f[i].len) != 0)
			return false;
	}
	return true;
}

static void copy_value(const struct reload_key *k, void *to, const void *from)
{
	for (int i = 0; i < 3 && k->f[i].len; i++)
		memcpy((char *)to + k->f[i].off,
		       (const char *)from + k->f[i].off, k->f[i].len);
}

static void add_change(struct reload_diff *out, enum reload_kind kind,
		       const char *what, const char *section, const char *name,
		       const char *key)
{
	struct reload_change *c;

	if (kind == RELOAD_RESTART)
		out->nrestart++;
	else
		out->napply++;
	if (out->n == RELOAD_CHANGES_MAX) {
		out->dropped++;
		return;
	}
	c = &out->changes[out->n++];
	/* "[daemon] log", "[interface tap0] mtu", "[interface tap1]" */
	snprintf(c->key, sizeof(c->key), "[%s%s%s]%s%s", section,
		 name ? " " : "", name ? name : "", key ? " " : "",
		 key ? key : "");
	c->what = what;
	c->kind = kind;
}

void reload_compare(const struct config *old, const struct config *new,
		    struct reload_diff *out)
{
	int nifs = old->nifs > new->nifs ? old->nifs : new->nifs;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < reload_nkeys; i++) {
		const struct reload_key *k = &reload_keys[i];
		bool whole = strcmp(k->section, "hosts") == 0;

		if (k->scope != RELOAD_CONFIG || same_value(k, old, new))
			continue;
		add_change(out, k->kind, "changed", k->section, NULL,
			   whole ? NULL : k->key);
		out->hosts_changed |= whole;
		out->socket_changed |= strcmp(k->section, "daemon") == 0 &&
				       strncmp(k->key, "socket_", 7) == 0;
	}
	for (int j = 0; j < nifs; j++) {
		const struct config_interface *a = &old->ifs[j];
		const struct config_interface *b = &new->ifs[j];

		if (j >= new->nifs) {
			add_change(out, RELOAD_RESTART, "removed", "interface",
				   a->name, NULL);
			continue;
		}
		if (j >= old->nifs) {
			add_change(out, RELOAD_RESTART, "added", "interface",
				   b->name, NULL);
			continue;
		}
		if (strcmp(a->name, b->name) != 0) {
			add_change(out, RELOAD_RESTART, "removed", "interface",
				   a->name, NULL);
			add_change(out, RELOAD_RESTART, "added", "interface",
				   b->name, NULL);
			continue;
		}
		for (size_t i = 0; i < reload_nkeys; i++) {
			const struct reload_key *k = &reload_keys[i];

			if (k->scope == RELOAD_INTERFACE &&
			    !same_value(k, a, b))
				add_change(out, k->kind, "changed", "interface",
					   a->name, k->key);
		}
	}
}

void reload_merge(struct config *live, const struct config *new)
{
	for (size_t i = 0; i < reload_nkeys; i++) {
		const struct reload_key *k = &reload_keys[i];

		if (k->kind != RELOAD_APPLY)
			continue;
		if (k->scope == RELOAD_CONFIG) {
			copy_value(k, live, new);
			continue;
		}
		/* the interfaces both have, by name */
		for (int j = 0; j < live->nifs && j < new->nifs; j++)
			if (strcmp(live->ifs[j].name, new->ifs[j].name) == 0)
				copy_value(k, &live->ifs[j], &new->ifs[j]);
	}
}

/* The line of `new`'s file where the change is: the key's, or the
 * section header's for an interface added. */
static int change_line(const struct config *new, const struct reload_change *c)
{
	int line = config_key_line(new, c->key);

	if (line == 0 && strcmp(c->what, "added") == 0)
		for (int j = 0; j < new->nifs; j++) {
			char hdr[CONFIG_KEY_NAME_MAX];

			snprintf(hdr, sizeof(hdr), "[interface %s]",
				 new->ifs[j].name);
			if (strcmp(hdr, c->key) == 0)
				line = new->ifs[j].line;
		}
	return line;
}

/* Sets the resolver's hosts to the configuration's. */
static void resolver_hosts_set(struct daemon *d)
{
	const struct config_dns *cd = &d->cfg->dns;
	struct dns_resolver *r = d->resolver->dns;

	dns_hosts_clear(r);
	for (int i = 0; i < cd->nhosts; i++)
		for (int k = 0; k < cd->hosts[i].naddrs; k++) {
			int rc = dns_host_add(r, cd->hosts[i].name,
					      &cd->hosts[i].addrs[k]);

			if (rc < 0)
				log_msg(LOG_WARNING, "dns: host %s: %s",
					cd->hosts[i].name, strerror(-rc));
		}
}

int reload_apply(struct daemon *d, const struct config *new, const char *path)
{
	struct config *cfg = d->cfg;
	struct reload_diff diff;
	enum log_target log_target = cfg->log_target;
	int log_level = cfg->log_level;
	char log_file[sizeof(cfg->log_file)];
	uint32_t busy_poll_us;
	struct dns_limits dns_limits;
	int applied;

	reload_compare(cfg, new, &diff);
	applied = diff.napply; /* listed or not */
	for (int i = 0; i < diff.n; i++) {
		const struct reload_change *c = &diff.changes[i];
		int line;

		if (c->kind == RELOAD_APPLY)
			continue;
		line = change_line(new, c);
		if (line)
			log_msg(LOG_WARNING, "%s:%d: %s %s: needs a restart",
				path, line, c->key, c->what);
		else
			log_msg(LOG_WARNING, "%s: %s %s: needs a restart", path,
				c->key, c->what);
	}
	if (diff.dropped)
		log_msg(LOG_WARNING, "%s: %d more changes not listed", path,
			diff.dropped);
	if (applied == 0) {
		log_msg(LOG_NOTICE, "reload: nothing to apply%s",
			diff.nrestart ? " (see above: needs a restart)" : "");
		return 0;
	}

	memcpy(log_file, cfg->log_file, sizeof(log_file));
	busy_poll_us = cfg->busy_poll_us;
	dns_limits = cfg->dns.limits;
	reload_merge(cfg, new);
	if (log_reconfigure(cfg) < 0) {
		/* the old log stays: so do its keys */
		cfg->log_target = log_target;
		memcpy(cfg->log_file, log_file, sizeof(cfg->log_file));
		cfg->log_level = log_level;
	}
	if (d->resolver) {
		struct resolver *r = d->resolver;

		if (dns_set_limits(r->dns, &cfg->dns.limits) < 0) {
			log_msg(LOG_WARNING, "dns: limits not applied");
		} else if (cfg->dns.limits.ttl_max_s < dns_limits.ttl_max_s ||
			   cfg->dns.limits.negative_ttl_max_s <
			       dns_limits.negative_ttl_max_s) {
			dns_cache_flush(r->dns);
			log_msg(LOG_INFO,
				"dns: cache flushed: a TTL cap was lowered");
		}
		if (diff.hosts_changed)
			resolver_hosts_set(d);
		netconf_recompute(d);
		resolver_follow(d); /* flushes the cache for other servers */
	} else {
		netconf_recompute(d);
	}
	if (d->control)
		control_apply_config(d->control, &cfg->control);
	if (d->control && diff.socket_changed)
		(void)control_socket_access(d, cfg); /* logs its failure */
	if (cfg->busy_poll_us != busy_poll_us)
		daemon_busy_poll_set(d, cfg->busy_poll_us);
	for (int i = 0; i < diff.n; i++)
		if (diff.changes[i].kind == RELOAD_APPLY)
			log_msg(LOG_INFO, "reload: %s applied",
				diff.changes[i].key);
	log_msg(LOG_NOTICE, "reload: %d change%s applied%s", applied,
		applied == 1 ? "" : "s",
		diff.nrestart ? ", others need a restart (see above)" : "");
	return applied;
}
