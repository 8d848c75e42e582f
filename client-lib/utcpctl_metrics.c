/*
 * utcpctl_metrics.c - `utcpctl metrics`: the daemon's figures for a
 * scraper
 *
 *     utcpctl metrics [-j|--json]
 *
 * Theory of operation. One STATUS (utcp_status) is rendered in the
 * Prometheus text exposition format (version 0.0.4, what
 * node_exporter's textfile collector reads): each metric family once,
 * with its `# HELP` and `# TYPE` lines, then its samples. Nothing is
 * computed in the daemon for it. The families:
 *
 *   - every counter STATUS carries (the stack's, per layer and per drop
 *     reason, the resolver's dns_*, the loop's): utcpd_<name>_total,
 *     a counter, named as `utcpctl counters` names it;
 *   - per interface, label interface="tap0": the TAP's frames, bytes,
 *     errors and drops each way (utcpd_interface_{rx,tx}_*_total), the
 *     SYN filter's (utcpd_interface_syn_drops_total,
 *     utcpd_interface_kernel_drops_total,
 *     utcpd_interface_syn_filter_activations_total), and the gauges
 *     utcpd_interface_carrier (1 up, 0 down; no sample when unknown),
 *     utcpd_interface_syn_filter, utcpd_interface_mtu and
 *     utcpd_interface_configured;
 *   - connection gauges: utcpd_tcp_connections{state="established"}
 *     for every state but LISTEN (zeros included), utcpd_tcp_listeners,
 *     utcpd_tcp_orphans, utcpd_udp_sockets, utcpd_control_clients;
 *   - buffers: utcpd_pool_buffers_{in_use,allocated,max,free}{class=
 *     "small"|"large"} and utcpd_pool_pressure{class} (1 while more
 *     than half the class is in use: where the stack starts holding
 *     windows at 2 MSS, stack.h);
 *   - the daemon: utcpd_ready, utcpd_uptime_seconds, and with a
 *     resolver utcpd_dns_cache_entries, utcpd_dns_lookups_pending.
 *
 * With --json the same families as one object: {"metrics": [{"name",
 * "type", "help", "samples": [{"labels": {...}, "value"}]}]}.
 */
#include <inttypes.h>
#include <string.h>

#include "utcpctl.h"

struct emit {
	bool json;
	bool first_family, first_sample;
	const char *family;
};

/* A label value or help text, escaped for the text format. */
static void text_escaped(const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", stdout);
		else if (*s == '\n')
			fputs("\\n", stdout);
		else if (quote && *s == '"')
			fputs("\\\"", stdout);
		else
			putchar(*s);
	}
}

/* A metric name: [a-zA-Z0-9_], anything else written as '_'. */
static void metric_name(const char *s)
{
	for (; *s; s++)
		putchar((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
				(*s >= '0' && *s <= '9') || *s == '_'
			    ? *s
			    : '_');
}

static void family_end(struct emit *e)
{
	if (e->json && e->family)
		fputs("]}", stdout);
	e->family = NULL;
}

/* Starts family `prefix``name``suffix` of `type` ("counter", "gauge"). */
static void family(struct emit *e, const char *prefix, const char *name,
		   const char *suffix, const char *type, const char *help)
{
	family_end(e);
	e->family = name;
	e->first_sample = true;
	if (e->json) {
		fputs(e->first_family ? "{\"name\": \"" : ", {\"name\": \"",
		      stdout);
		e->first_family = false;
		fputs(prefix, stdout);
		metric_name(name);
		printf("%s\", \"type\": \"%s\", \"help\": ", suffix, type);
		json_string(help);
		fputs(", \"samples\": [", stdout);
		return;
	}
	printf("# HELP %s", prefix);
	metric_name(name);
	printf("%s ", suffix);
	text_escaped(help, false);
	printf("\n# TYPE %s", prefix);
	metric_name(name);
	printf("%s %s\n", suffix, type);
}

/* One sample of the current family: `value` already formatted, with one
 * label (lname NULL: none). The family's name is repeated. */
static void sample(struct emit *e, const char *prefix, const char *name,
		   const char *suffix, const char *lname, const char *lvalue,
		   const char *value)
{
	if (e->json) {
		fputs(e->first_sample ? "{\"labels\": {" : ", {\"labels\": {",
		      stdout);
		e->first_sample = false;
		if (lname) {
			printf("\"%s\": ", lname);
			json_string(lvalue);
		}
		printf("}, \"value\": %s}", value);
		return;
	}
	fputs(prefix, stdout);
	metric_name(name);
	fputs(suffix, stdout);
	if (lname) {
		printf("{%s=\"", lname);
		text_escaped(lvalue, true);
		fputs("\"}", stdout);
	}
	printf(" %s\n", value);
}

/* A family of one unlabelled sample. */
static void single(struct emit *e, const char *name, const char *type,
		   const char *help, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	family(e, "utcpd_", name, "", type, help);
	sample(e, "utcpd_", name, "", NULL, NULL, buf);
}

static void counters(struct emit *e, const struct utcp_status *st)
{
	char help[96], buf[24];

	for (size_t i = 0; i < st->n_counters; i++) {
		const struct utcp_counter *c = &st->counters[i];

		snprintf(help, sizeof(help),
			 "utcpd counter %s (utcpctl counters)", c->name);
		snprintf(buf, sizeof(buf), "%" PRIu64, c->value);
		family(e, "utcpd_", c->name, "_total", "counter", help);
		sample(e, "utcpd_", c->name, "_total", NULL, NULL, buf);
	}
}

/* Per-interface families: each a field of struct utcp_ifstats. */
#define IFSTATS_FIELDS(X)                                                      \
	X(rx_frames, "frames the daemon read from the interface's TAP")        \
	X(rx_bytes, "bytes of those frames")                                   \
	X(rx_errors, "reads from the TAP that failed")                         \
	X(rx_drops, "frames read with no buffer free, dropped")                \
	X(tx_frames, "frames the daemon wrote to the TAP")                     \
	X(tx_bytes, "bytes of those frames")                                   \
	X(tx_errors, "writes to the TAP that failed")                          \
	X(tx_drops, "frames the TAP could not take, dropped")

static void interfaces(struct emit *e, const struct utcp_status *st)
{
	char buf[24];

#define IFSTATS_FAMILY(field, help)                                            \
	if (st->n_ifstats) {                                                   \
		family(e, "utcpd_interface_", #field, "_total", "counter",     \
		       help);                                                  \
		for (size_t i = 0; i < st->n_ifstats; i++) {                   \
			snprintf(buf, sizeof(buf), "%" PRIu64,                 \
				 st->ifstats[i].field);                        \
			sample(e, "utcpd_interface_", #field, "_total",        \
			       "interface", st->ifstats[i].interface, buf);    \
		}                                                              \
	}
	IFSTATS_FIELDS(IFSTATS_FAMILY)
	if (st->n_ifstats) {
		family(e, "utcpd_interface_", "carrier", "", "gauge",
		       "1 while the TAP's kernel side has carrier, 0 while "
		       "not");
		for (size_t i = 0; i < st->n_ifstats; i++)
			if (st->ifstats[i].carrier != UTCP_CARRIER_UNKNOWN)
				sample(e, "utcpd_interface_", "carrier", "",
				       "interface", st->ifstats[i].interface,
				       st->ifstats[i].carrier == UTCP_CARRIER_UP
					   ? "1"
					   : "0");
	}
#define LINK_FAMILY(field, name, type, help)                                   \
	if (st->n_links) {                                                     \
		family(e, "utcpd_interface_", name,                            \
		       type[0] == 'c' ? "_total" : "", type, help);            \
		for (size_t i = 0; i < st->n_links; i++) {                     \
			snprintf(buf, sizeof(buf), "%" PRIu64,                 \
				 (uint64_t)st->links[i].field);                \
			sample(e, "utcpd_interface_", name,                    \
			       type[0] == 'c' ? "_total" : "", "interface",    \
			       st->links[i].interface, buf);                   \
		}                                                              \
	}
	LINK_FAMILY(syn_drops, "syn_drops", "counter",
		    "SYNs the stack dropped beyond its per-turn budget")
	LINK_FAMILY(kernel_drops, "kernel_drops", "counter",
		    "frames the kernel dropped in front of the TAP")
	LINK_FAMILY(syn_shed_times, "syn_filter_activations", "counter",
		    "times the SYN flood filter was attached to the TAP")
	LINK_FAMILY(syn_shed, "syn_filter", "gauge",
		    "1 while the SYN flood filter is attached to the TAP")
	if (st->n_interfaces) {
		family(e, "utcpd_interface_", "mtu", "", "gauge",
		       "the interface's MTU in use");
		for (size_t i = 0; i < st->n_interfaces; i++) {
			snprintf(buf, sizeof(buf), "%u", st->interfaces[i].mtu);
			sample(e, "utcpd_interface_", "mtu", "", "interface",
			       st->interfaces[i].name, buf);
		}
	}
	if (st->n_settings) {
		family(e, "utcpd_interface_", "configured", "", "gauge",
		       "1 when the interface has its static address or a "
		       "bound lease");
		for (size_t i = 0; i < st->n_settings; i++)
			sample(e, "utcpd_interface_", "configured", "",
			       "interface", st->settings[i].interface,
			       st->settings[i].configured ? "1" : "0");
	}
}

static void connections(struct emit *e, const struct utcp_status *st)
{
	uint64_t by_state[UTCP_TCP_TIME_WAIT + 1] = {0};
	uint64_t listeners = 0, orphans = 0, clients = 0;
	char buf[24], label[32];

	for (size_t i = 0; i < st->n_tcp; i++) {
		const struct utcp_tcp_socket *t = &st->tcp[i];

		if (t->listener)
			listeners++;
		else if ((unsigned)t->state <= UTCP_TCP_TIME_WAIT)
			by_state[t->state]++;
		if (!t->listener && t->orphan)
			orphans++;
	}
	family(e, "utcpd_", "tcp_connections", "", "gauge",
	       "TCP connections by state");
	for (int s = 0; s <= UTCP_TCP_TIME_WAIT; s++) {
		const char *n = utcp_tcp_state_name((enum utcp_tcp_state)s);
		size_t k;

		if (s == UTCP_TCP_LISTEN)
			continue;
		for (k = 0; n[k] && k < sizeof(label) - 1; k++)
			label[k] =
			    (char)(n[k] >= 'A' && n[k] <= 'Z' ? n[k] - 'A' + 'a'
							      : n[k]);
		label[k] = '\0';
		snprintf(buf, sizeof(buf), "%" PRIu64, by_state[s]);
		sample(e, "utcpd_", "tcp_connections", "", "state", label, buf);
	}
	single(e, "tcp_listeners", "gauge", "TCP listeners", listeners);
	single(e, "tcp_orphans", "gauge",
	       "TCP connections closed by their application, finishing",
	       orphans);
	single(e, "udp_sockets", "gauge", "UDP sockets", st->n_sockets);
	for (size_t i = 0; i < st->n_owners; i++)
		clients += st->owners[i].clients;
	single(e, "control_clients", "gauge",
	       "control connections of the daemon's clients", clients);
}

static void pool(struct emit *e, const struct utcp_status *st)
{
	const struct utcp_pool *p = &st->pool;
	const uint32_t small[] = {p->small_in_use, p->small_allocated,
				  p->small_max, p->small_max - p->small_in_use};
	const uint32_t large[] = {p->large_in_use, p->large_allocated,
				  p->large_max, p->large_max - p->large_in_use};
	static const char *const names[] = {
	    "pool_buffers_in_use", "pool_buffers_allocated", "pool_buffers_max",
	    "pool_buffers_free"};
	static const char *const helps[] = {
	    "packet buffers in use, by class (small, large: 64 KiB)",
	    "packet buffers allocated (in use or kept free)",
	    "the most packet buffers the class may have",
	    "packet buffers the class may still give"};
	char buf[24];

	for (int k = 0; k < 4; k++) {
		family(e, "utcpd_", names[k], "", "gauge", helps[k]);
		snprintf(buf, sizeof(buf), "%u", small[k]);
		sample(e, "utcpd_", names[k], "", "class", "small", buf);
		snprintf(buf, sizeof(buf), "%u", large[k]);
		sample(e, "utcpd_", names[k], "", "class", "large", buf);
	}
	family(e, "utcpd_", "pool_pressure", "", "gauge",
	       "1 while more than half the class is in use (TCP windows "
	       "are held small)");
	sample(e, "utcpd_", "pool_pressure", "", "class", "small",
	       p->small_in_use > p->small_max / 2 ? "1" : "0");
	sample(e, "utcpd_", "pool_pressure", "", "class", "large",
	       p->large_in_use > p->large_max / 2 ? "1" : "0");
}

static void daemon_gauges(struct emit *e, const struct utcp_status *st)
{
	char buf[32];

	single(e, "ready", "gauge",
	       "1 when every interface is configured (static address or "
	       "bound lease)",
	       st->ready);
	snprintf(buf, sizeof(buf), "%" PRIu64 ".%03u", st->uptime_ms / 1000,
		 (unsigned)(st->uptime_ms % 1000));
	family(e, "utcpd_", "uptime_seconds", "", "gauge",
	       "seconds since the daemon started");
	sample(e, "utcpd_", "uptime_seconds", "", NULL, NULL, buf);
	if (st->has_dns) {
		single(e, "dns_cache_entries", "gauge",
		       "entries in the stub resolver's cache",
		       st->dns.cache_entries);
		single(e, "dns_lookups_pending", "gauge",
		       "lookups the stub resolver is working on",
		       st->dns.lookups_pending);
	}
}

int cmd_metrics(const char *path, bool json, int argc, char **argv)
{
	struct emit e = {.first_family = true};
	struct utcp_status *st;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-j") == 0 ||
		    strcmp(argv[i], "--json") == 0)
			json = true;
		else
			return usage_error("metrics: unexpected argument '%s'",
					   argv[i]);
	}
	st = status_snapshot(path, "metrics");
	if (!st)
		return 1;
	e.json = json;
	if (json)
		fputs("{\"metrics\": [", stdout);
	daemon_gauges(&e, st);
	counters(&e, st);
	interfaces(&e, st);
	connections(&e, st);
	pool(&e, st);
	family_end(&e);
	if (json)
		fputs("]}\n", stdout);
	utcp_status_free(st);
	return flush_stdout(0);
}
