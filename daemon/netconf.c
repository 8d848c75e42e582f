/*
 * netconf.c - each interface's settings and their sources (netconf.h)
 *
 * Theory of operation. An interface's settings are always recomputed
 * as a whole by one pure function, netconf_if_compute(), from the
 * configuration and the lease bound on it (or none): static keys win
 * key by key, whatever the lease says, so precedence lives in one
 * place. At start every interface is computed without a lease (a static
 * one is then configured); DHCP interfaces start their client, asking
 * again for the address of the lease saved in the state directory
 * (INIT-REBOOT) when that lease has not run out.
 *
 * Afterwards the stack's DHCP reports drive it, once per round of the
 * end of each loop turn (netconf_drain_reports(), from loop.c):
 *
 *   STATE  logged at info, "IFNAME: dhcp OLD -> NEW";
 *   NOTE   logged at notice;
 *   LEASE  logged, the interface recomputed with the lease, the lease
 *          saved to STATE_DIR/lease-IFNAME (lease_file.c);
 *   LOST   logged, the interface recomputed without a lease, its file
 *          removed (released, expired or refused: not worth asking for
 *          again), except while stopping with `release = no`: that
 *          lease is asked for again at the next start.
 *
 * READY is logged once, the first time every interface is configured
 * (a static address, or a lease bound), and stays set: status shows
 * when it happened. The service manager hears of it then (READY=1,
 * notify.c), and of each interface's state at each change (STATUS=).
 *
 * The state directory is made (mode 0700) when an interface runs DHCP;
 * when that fails, a warning is logged once and the daemon runs on
 * without lease files.
 */
#include "netconf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"
#include "lease_file.h"
#include "log.h"
#include "notify.h"
#include "syslog_remote.h"
#include "utcpd.h"

const char *netconf_source_name(enum netconf_source src)
{
	switch (src) {
	case NETCONF_CONFIG:
		return "config";
	case NETCONF_LEASE:
		return "lease";
	case NETCONF_NONE:
	default:
		return "none";
	}
}

/* The client's state names, as dhcp_state_name() of stack/dhcp.c. */
static const char *state_name(enum dhcp_state st)
{
	static const char *const names[DHCP_S_COUNT] = {
	    [DHCP_S_STOPPED] = "STOPPED",
	    [DHCP_S_INIT] = "INIT",
	    [DHCP_S_SELECTING] = "SELECTING",
	    [DHCP_S_REQUESTING] = "REQUESTING",
	    [DHCP_S_CHECKING] = "CHECKING",
	    [DHCP_S_BOUND] = "BOUND",
	    [DHCP_S_RENEWING] = "RENEWING",
	    [DHCP_S_REBINDING] = "REBINDING",
	    [DHCP_S_INIT_REBOOT] = "INIT-REBOOT",
	    [DHCP_S_REBOOTING] = "REBOOTING",
	};

	return (unsigned)st < DHCP_S_COUNT && names[st] ? names[st] : "?";
}

static void format_ipv4(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
		 (a >> 8) & 0xff, a & 0xff);
}

void netconf_if_compute(const struct config *cfg, int i,
			const struct dhcp_lease *lease, struct netconf_if *out)
{
	const struct config_interface *ifc = &cfg->ifs[i];
	const struct dhcp_options *o = lease ? &lease->opt : NULL;

	memset(out, 0, sizeof(*out));
	out->dhcp = ifc->dhcp;
	if (!ifc->dhcp) {
		out->configured = true;
		out->address_src = NETCONF_CONFIG;
		out->addr = ifc->addr;
		out->prefix_len = ifc->prefix_len;
	} else if (lease) {
		out->configured = true;
		out->address_src = NETCONF_LEASE;
		out->addr = lease->addr;
		out->prefix_len = lease->prefix_len;
	}

	if (ifc->gateway)
		out->routes_src = NETCONF_CONFIG;
	else if (o && ifc->dhcp &&
		 ((dhcp_has(o, DHCP_OPT_CLASSLESS_ROUTES) && o->nroutes) ||
		  o->nrouters))
		out->routes_src = NETCONF_LEASE;

	if (ifc->mtu_set)
		out->mtu_src = NETCONF_CONFIG;
	else if (o && ifc->dhcp && dhcp_has(o, DHCP_OPT_MTU))
		out->mtu_src = NETCONF_LEASE;

	if (ifc->ndns) {
		for (int j = 0; j < ifc->ndns && j < DHCP_ADDRS_MAX; j++)
			out->dns[out->ndns++] = ifc->dns[j];
		out->dns_src = NETCONF_CONFIG;
	} else if (o && o->ndns) {
		for (int j = 0; j < o->ndns && j < DHCP_ADDRS_MAX; j++)
			out->dns[out->ndns++] = o->dns[j];
		out->dns_src = NETCONF_LEASE;
	}

	if (o && o->domain[0]) {
		snprintf(out->domain, sizeof(out->domain), "%s", o->domain);
		out->domain_src = NETCONF_LEASE;
	}
	if (o && o->nsearch) {
		for (int j = 0; j < o->nsearch && j < DHCP_SEARCH_MAX; j++)
			snprintf(out->search[out->nsearch++],
				 sizeof(out->search[0]), "%s", o->search[j]);
		out->search_src = NETCONF_LEASE;
	}

	if (cfg->log_server_set) {
		out->log_server = cfg->log_server; /* 0: none */
		out->log_port = cfg->log_port;
		out->log_server_src = NETCONF_CONFIG;
	} else if (o && o->nlog_servers) {
		out->log_server = o->log_servers[0];
		out->log_port = CONFIG_LOG_PORT;
		out->log_server_src = NETCONF_LEASE;
	}

	if (o && o->nntp) {
		for (int j = 0; j < o->nntp && j < DHCP_ADDRS_MAX; j++)
			out->ntp[out->nntp++] = o->ntp[j];
		out->ntp_src = NETCONF_LEASE;
	}
}

bool netconf_log_server(const struct netconf *nc, uint32_t *addr,
			uint16_t *port)
{
	for (int i = 0; i < nc->nifs; i++) {
		const struct netconf_if *nif = &nc->ifs[i];

		if (nif->configured && nif->log_server) {
			*addr = nif->log_server;
			*port = nif->log_port;
			return true;
		}
	}
	return false;
}

/* Makes `dir` and what is missing above it (those 0755, it 0700). */
static int make_state_dir(const char *dir)
{
	char path[CONFIG_STATE_DIR_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	/* Lease files are trusted when read back: a directory others may
	 * write to (or replace) is not used. */
	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_mode & 0022)
		return 1;
	return 0;
}

/* Logs READY the first time every interface is configured, and tells
 * the service manager (notify.c: READY=1 then, STATUS= at each change). */
static void check_ready(struct daemon *d)
{
	struct netconf *nc = d->netconf;
	bool all = true;

	for (int i = 0; i < nc->nifs; i++)
		all &= nc->ifs[i].configured;
	if (all && !nc->ready) {
		nc->ready = true;
		nc->ready_ns = daemon_now();
		log_msg(LOG_NOTICE, "ready: every interface is configured");
	}
	notify_status_update(d);
}

void netconf_recompute(struct daemon *d)
{
	struct netconf *nc = d->netconf;

	if (!nc)
		return;
	for (int i = 0; i < nc->nifs && i < d->cfg->nifs; i++) {
		struct stack_dhcp_info info;
		bool bound =
		    d->cfg->ifs[i].dhcp &&
		    stack_dhcp_info(d->stack, daemon_now(), i, &info) == 0 &&
		    info.bound;

		netconf_if_compute(d->cfg, i, bound ? &info.lease : NULL,
				   &nc->ifs[i]);
	}
	syslog_remote_follow(d);
}

void netconf_start(struct daemon *d)
{
	const struct config *cfg = d->cfg;
	struct netconf *nc = d->netconf;
	bool any_dhcp = false;
	int rc;

	memset(nc, 0, sizeof(*nc));
	nc->nifs = cfg->nifs;
	for (int i = 0; i < cfg->nifs; i++) {
		netconf_if_compute(cfg, i, NULL, &nc->ifs[i]);
		any_dhcp |= cfg->ifs[i].dhcp;
	}
	if (!any_dhcp)
		return;
	rc = make_state_dir(cfg->state_dir);
	if (rc == 1) {
		log_msg(LOG_WARNING,
			"state_dir %s: writable by group or others; leases "
			"are not saved across restarts",
			cfg->state_dir);
		return;
	}
	if (rc < 0) {
		log_msg(LOG_WARNING,
			"state_dir %s: %s; leases are not saved across "
			"restarts",
			cfg->state_dir, strerror(-rc));
		return;
	}
	nc->lease_files = true;
}

void netconf_ready_check(struct daemon *d)
{
	if (d->netconf)
		check_ready(d);
}

/* The wall-clock time, in seconds, of the monotonic time t. */
static int64_t wall_time_of(uint64_t t)
{
	uint64_t now = daemon_now();
	int64_t wall = (int64_t)time(NULL);

	return now >= t ? wall - (int64_t)((now - t) / STACK_NS_PER_SEC) : wall;
}

int netconf_dhcp_start(struct daemon *d, int i, int ifindex,
		       const uint8_t mac[6])
{
	const struct config *cfg = d->cfg;
	const struct config_interface *ifc = &cfg->ifs[i];
	struct stack_dhcp_config dc;
	struct lease_file lf;
	char why[128], a[16];
	int rc;

	memset(&dc, 0, sizeof(dc));
	dc.client_id_len = (uint8_t)config_client_id(ifc, mac, dc.client_id);
	snprintf(dc.hostname, sizeof(dc.hostname), "%s",
		 ifc->hostname_set ? ifc->hostname : cfg->name);
	dc.arp_check = ifc->arp_check;
	dc.use_routes = !ifc->gateway;
	dc.use_mtu = !ifc->mtu_set;
	dc.route_metric = ifc->metric;

	if (d->netconf && d->netconf->lease_files) {
		rc = lease_file_load(cfg->state_dir, ifc->name, &lf, why,
				     sizeof(why));
		if (rc == 0) {
			format_ipv4(lf.addr, a, sizeof(a));
			if (lease_file_expired(&lf, (int64_t)time(NULL))) {
				log_msg(LOG_INFO,
					"%s: the saved lease of %s has run "
					"out; not asking for it again",
					ifc->name, a);
			} else {
				dc.reboot_addr = lf.addr;
				log_msg(LOG_INFO,
					"%s: asking again for %s, the saved "
					"lease",
					ifc->name, a);
			}
		} else if (rc == -EINVAL) {
			log_msg(LOG_WARNING, "%s: lease file in %s ignored: %s",
				ifc->name, cfg->state_dir, why);
		} else if (rc != -ENOENT) {
			log_msg(LOG_WARNING, "%s: lease file in %s ignored: %s",
				ifc->name, cfg->state_dir, strerror(-rc));
		}
	}

	rc = stack_dhcp_start(d->stack, daemon_now(), ifindex, &dc);
	if (rc < 0) {
		log_msg(LOG_ERR, "%s: starting DHCP: %s", ifc->name,
			strerror(-rc));
		return rc;
	}
	log_msg(LOG_INFO,
		"%s: DHCP started: hostname %s, client id %s, arp check %s, "
		"route metric %u",
		ifc->name, dc.hostname[0] ? dc.hostname : "none",
		ifc->client_id_kind == CLIENT_ID_HEX	? "hex"
		: ifc->client_id_kind == CLIENT_ID_DUID ? "duid"
							: "mac",
		dc.arp_check ? "yes" : "no", dc.route_metric);
	return 0;
}

void netconf_dhcp_stop(struct daemon *d)
{
	const struct config *cfg = d->cfg;

	if (d->netconf)
		d->netconf->stopping = true;
	for (int i = 0; i < cfg->nifs && i < d->ntaps; i++)
		if (cfg->ifs[i].dhcp)
			stack_dhcp_stop(d->stack, daemon_now(),
					d->taps[i].ifindex,
					cfg->ifs[i].release);
}

/* The configuration index of the stack's interface ifindex, or -1. */
static int config_index(const struct daemon *d, int ifindex)
{
	for (int i = 0; i < d->ntaps && i < d->cfg->nifs; i++)
		if (d->taps[i].ifindex == ifindex)
			return i;
	return -1;
}

static void on_lease(struct daemon *d, int i, int ifindex,
		     const struct stack_dhcp_info *info)
{
	const struct config *cfg = d->cfg;
	const char *name = cfg->ifs[i].name;
	struct lease_file lf;
	char a[16], srv[16], len[24];
	int rc;

	if (!info || !info->bound) {
		log_msg(LOG_WARNING,
			"%s: a lease was reported but none is "
			"bound",
			name);
		return;
	}
	format_ipv4(info->lease.addr, a, sizeof(a));
	format_ipv4(info->lease.server_id, srv, sizeof(srv));
	if (info->lease.lease_s == DHCP_INFINITE)
		snprintf(len, sizeof(len), "ever");
	else
		snprintf(len, sizeof(len), "%u s", info->lease.lease_s);
	/* The settings first: a log server of this lease gets the line. */
	netconf_if_compute(cfg, i, &info->lease, &d->netconf->ifs[ifindex]);
	syslog_remote_follow(d);
	log_msg(LOG_INFO, "%s: lease %s/%u from %s for %s", name, a,
		info->lease.prefix_len, srv, len);

	if (!d->netconf->lease_files)
		return;
	lease_file_from_lease(&lf, name, &info->lease,
			      wall_time_of(info->lease.start_ns));
	rc = lease_file_save(cfg->state_dir, &lf);
	if (rc < 0)
		log_msg(LOG_WARNING, "%s: saving the lease in %s: %s", name,
			cfg->state_dir, strerror(-rc));
}

static void on_lost(struct daemon *d, int i, int ifindex,
		    const struct stack_dhcp_report *r)
{
	const struct config *cfg = d->cfg;
	int rc;

	log_msg(LOG_NOTICE, "%s: lease lost%s%s", cfg->ifs[i].name,
		r->text[0] ? ": " : "", r->text);
	netconf_if_compute(cfg, i, NULL, &d->netconf->ifs[ifindex]);
	syslog_remote_follow(d);
	if (!d->netconf->lease_files ||
	    (d->netconf->stopping && !cfg->ifs[i].release))
		return;
	rc = lease_file_remove(cfg->state_dir, cfg->ifs[i].name);
	if (rc < 0)
		log_msg(LOG_WARNING, "%s: removing the lease file: %s",
			cfg->ifs[i].name, strerror(-rc));
}

void netconf_on_report(struct daemon *d, const struct stack_dhcp_report *r,
		       const struct stack_dhcp_info *info)
{
	int i = config_index(d, r->ifindex);

	if (!d->netconf || i < 0 || r->ifindex >= STACK_IF_MAX)
		return;
	switch (r->kind) {
	case STACK_DHCP_STATE:
		log_msg(LOG_INFO, "%s: dhcp %s -> %s", d->cfg->ifs[i].name,
			state_name(r->from), state_name(r->to));
		break;
	case STACK_DHCP_NOTE:
		log_msg(LOG_NOTICE, "%s: %s", d->cfg->ifs[i].name, r->text);
		break;
	case STACK_DHCP_LEASE:
		on_lease(d, i, r->ifindex, info);
		check_ready(d);
		break;
	case STACK_DHCP_LOST:
		on_lost(d, i, r->ifindex, r);
		notify_status_update(d);
		break;
	}
}

void netconf_drain_reports(struct daemon *d)
{
	struct stack_dhcp_report r;
	struct stack_dhcp_info info;

	while (stack_dhcp_pop_report(d->stack, &r)) {
		bool have_info = false;

		if (!d->netconf)
			continue;
		if (r.kind == STACK_DHCP_LEASE)
			have_info = stack_dhcp_info(d->stack, daemon_now(),
						    r.ifindex, &info) == 0;
		netconf_on_report(d, &r, have_info ? &info : NULL);
	}
}
