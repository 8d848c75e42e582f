/*
 * main.c - utcpd: the command line, the event loop, the I/O around the
 * stack
 *
 * Theory of operation. main() reads the configuration (the file, then
 * the command-line overrides), opens the log, creates the stack with a
 * seed from getrandom(), and for each [interface] opens its TAP and
 * gives the stack the interface with its static address, or starts its
 * DHCP client (netconf.c: asking again for the saved lease), and a
 * default route via a static gateway with the interface's metric. Then
 * it starts the control server and runs one libev loop, in the
 * foreground, until SIGTERM or SIGINT. What DHCP reports (leases, state
 * changes) is handled at the end of each turn (loop.c -> netconf.c);
 * log lines go to a remote syslog server when one is known
 * (syslog_remote.c); the stub resolver (resolver.c) follows each
 * interface's DNS servers and search list and carries its queries over
 * the stack. The service manager hears how it goes (notify.c: READY=1
 * once every interface is configured, STATUS=, STOPPING=1, the
 * watchdog). On SIGTERM the DHCP clients stop (with a
 * DHCPRELEASE where `release` says so), and the teardown's last drain
 * writes it to the TAP.
 *
 * The loop has four kinds of watchers:
 *
 *   - one ev_io per TAP: reads frames into the stack (tap_read_frames(),
 *     tap.c), as many per wakeup as its adaptive budget allows
 *     (rx_budget.h: one for request/response traffic, so that no read
 *     finds nothing; up to RX_BUDGET_MAX while frames keep coming);
 *   - one ev_timer at the stack's next deadline, calling stack_timer(),
 *     and the ev_prepare that ends each turn (loop.c);
 *   - the control server's watchers (control.c);
 *   - ev_signal for SIGTERM and SIGINT (stop) and SIGHUP (reopen the
 *     log file, then reload the configuration: reload.c). SIGPIPE is
 *     ignored: a write to a closed socket returns EPIPE instead.
 *
 * Watchers only give the stack its input. At the end of each turn,
 * before the loop blocks, loop.c drains the stack: its frames to their
 * TAPs (tap_write_frame(), tap.c), its events to the control server, its timer
 * re-armed. Nothing in the process blocks: TAPs are non-blocking, and a frame
 * that cannot be written at once is dropped and counted (tx_drops), as a NIC
 * would.
 *
 * Exit status: 0 after a signal, 1 when setting up failed (a TAP, the
 * control socket, the log file), 2 for a bad command line or
 * configuration.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "log.h"
#include "loop.h"
#include "netconf.h"
#include "notify.h"
#include "privileges.h"
#include "reload.h"
#include "resolver.h"
#include "syslog_remote.h"
#include "tap.h"
#include "utcpd.h"

#ifndef UTCPD_VERSION
#define UTCPD_VERSION "unknown"
#endif

/* Frames a barrier reads from one TAP between two drains (and a held
 * connect's read, taps_read_now, in all). */
#define TAP_RX_BATCH RX_BUDGET_MAX
/* Frames one barrier reads from one TAP at most: a TAP the kernel keeps
 * filling cannot hold a barrier forever (the kernel's queue is 500 to
 * 1000 frames, so this is never reached by frames sent before it). */
#define DAEMON_BARRIER_FRAMES_MAX 65536
/* Command-line overrides kept until the file has been read. */
#define OVERRIDES_MAX 16

#define EXIT_SETUP  1
#define EXIT_CONFIG 2

struct override {
	int opt;
	const char *flag; /* for messages */
	const char *key;
	const char *value;
};

static struct daemon daemon_state;
/* What a reload reads again: the file, and the command line's
 * overrides over it (read_configuration()). */
static const char *config_path = CONFIG_DEFAULT_PATH;
static struct override overrides[OVERRIDES_MAX];
static int noverrides;
static struct netconf netconf_state;
static struct resolver resolver_state;
static struct syslog_remote syslog_state;
static struct privileges privileges_state; /* [daemon] user, group */

static struct tap *tap_by_ifindex(struct daemon *d, int ifindex)
{
	for (int i = 0; i < d->ntaps; i++)
		if (d->taps[i].ifindex == ifindex)
			return &d->taps[i];
	return NULL;
}

/* d->link_send: a frame the stack queued, to the TAP of its interface. */
static void link_send(struct daemon *d, const struct pkt *p)
{
	struct tap *t = tap_by_ifindex(d, p->ifindex);

	if (t)
		tap_write_frame(t, p);
}

static void tap_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct daemon *d = w->data;
	struct tap *t =
	    (struct tap *)((char *)w - offsetof(struct tap, watcher));
	bool drained;
	uint64_t now = daemon_now();
	unsigned budget = rx_budget_begin(&t->rx_budget, ev_iteration(loop));
	unsigned got = tap_read_frames(t, d->stack, now, budget, &drained);

	rx_budget_end(&t->rx_budget, got, drained);
	if (tap_syn_shed(t, d->stack, now) && !ev_is_active(&d->syn_shed_timer))
		ev_timer_start(loop, &d->syn_shed_timer);
}

/* While a TAP sheds SYNs: takes its filter off once the flood is over,
 * even when the filter lets nothing through to wake tap_read_cb. */
static void syn_shed_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;
	bool any = false;

	for (int i = 0; i < d->ntaps; i++)
		any |= tap_syn_shed(&d->taps[i], d->stack, daemon_now());
	if (!any)
		ev_timer_stop(loop, w);
}

/* d->link_read_all, for BARRIER: every frame waiting on every TAP
 * (until EAGAIN, at most DAEMON_BARRIER_FRAMES_MAX per TAP) into the
 * stack, draining it (daemon_drain) between batches. */
static unsigned taps_read_all(struct daemon *d)
{
	unsigned total = 0;

	for (int i = 0; i < d->ntaps; i++) {
		struct tap *t = &d->taps[i];
		unsigned read_here = 0;
		bool drained = false;

		if (t->fd < 0)
			continue;
		/* In batches, draining between them so that the pool
		 * drains as it fills. */
		while (!drained && read_here < DAEMON_BARRIER_FRAMES_MAX) {
			read_here += tap_read_frames(t, d->stack, daemon_now(),
						     TAP_RX_BATCH, &drained);
			daemon_drain(d);
		}
		total += read_here;
	}
	return total;
}

/* d->link_read_now: up to frames_max frames from each TAP, at most a
 * wakeup's (TAP_RX_BATCH: read without a drain between them, so that
 * many connects held in one turn cannot make it a read of a flood into
 * a pool that is not drained), then one drain. */
static unsigned taps_read_now(struct daemon *d, unsigned frames_max)
{
	unsigned total = 0;

	if (frames_max > TAP_RX_BATCH)
		frames_max = TAP_RX_BATCH;
	for (int i = 0; i < d->ntaps; i++) {
		bool drained;

		if (d->taps[i].fd >= 0)
			total +=
			    tap_read_frames(&d->taps[i], d->stack, daemon_now(),
					    frames_max, &drained);
	}
	daemon_drain(d);
	return total;
}

/* Reads the configuration file again, with the command line's
 * overrides, and applies it (reload.c). A file that does not load is
 * logged, and nothing changes. */
static void reload(struct daemon *d)
{
	static struct config next;
	char err[CONFIG_ERR_MAX];

	config_defaults(&next);
	if (config_load(&next, config_path, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "reload: %s: nothing changed", err);
		return;
	}
	for (int i = 0; i < noverrides; i++)
		if (config_override(&next, overrides[i].key, overrides[i].value,
				    err, sizeof(err)) < 0) {
			log_msg(LOG_ERR, "reload: %s: %s: nothing changed",
				overrides[i].flag, err);
			return;
		}
	reload_apply(d, &next, config_path);
}

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;

	if (w->signum == SIGHUP) {
		log_msg(LOG_INFO, "SIGHUP: reopening the log, reloading %s",
			config_path);
		log_reopen();
		notify_reload(true);
		reload(d);
		notify_reload(false);
		return;
	}
	log_msg(LOG_NOTICE, "%s: shutting down",
		w->signum == SIGTERM ? "SIGTERM" : "SIGINT");
	notify_stopping();
	d->exit_status = 0;
	ev_break(loop, EVBREAK_ALL);
}

/* ---- setting up -------------------------------------------------------- */

static void format_ipv4(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
		 (a >> 8) & 0xff, a & 0xff);
}

static void format_mac(const uint8_t m[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
}

/* Creates the directories above `path` that are missing (mode 0755). */
static int make_parent_dirs(const char *path)
{
	char dir[CONFIG_PATH_MAX];
	char *slash, c;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			int ret = -errno;

			log_msg(LOG_ERR, "creating %s: %m", dir);
			return ret;
		}
		*p = c;
		if (c == '\0')
			return 0;
	}
}

/* The control socket's directory must be writable (and searchable) by
 * the daemon: a clear error for one started unprivileged. Returns 0 or
 * -EACCES (logged). */
static int socket_dir_writable(const char *path)
{
	char dir[CONFIG_PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		return 0;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (access(dir, W_OK | X_OK) == 0)
		return 0;
	log_msg(LOG_ERR,
		"control socket directory %s: %m for uid %u; make it "
		"writable by the daemon's user (systemd: RuntimeDirectory=)",
		dir, (unsigned)geteuid());
	return -EACCES;
}

/* Adds the default route via the interface's static gateway, with its
 * metric. Returns 0 or a negative errno (logged). */
static int gateway_route_add(struct daemon *d,
			     const struct config_interface *ifc, int idx)
{
	char gw[16];
	int ret;

	format_ipv4(ifc->gateway, gw, sizeof(gw));
	ret = stack_route_add_metric(d->stack, 0, 0, ifc->gateway, idx,
				     ifc->metric);
	if (ret == -EEXIST) {
		log_msg(LOG_WARNING,
			"%s: gateway %s ignored: a default route exists "
			"already",
			ifc->name, gw);
	} else if (ret < 0) {
		log_msg(LOG_ERR, "%s: default route via %s: %s", ifc->name, gw,
			strerror(-ret));
		return ret;
	}
	return 0;
}

/* Opens the TAP of cfg->ifs[i] and adds it to the stack: with its static
 * address, or running DHCP. */
static int interface_up(struct daemon *d, int i)
{
	const struct config_interface *ifc = &d->cfg->ifs[i];
	struct tap *t = &d->taps[d->ntaps];
	char mac[18], kmac[18], addr[20], gw[16], dns[CONFIG_DNS_MAX * 17 + 1];
	uint8_t stack_mac[6];
	size_t used = 0;
	int idx, ret;

	if (ifc->has_mac) {
		memcpy(stack_mac, ifc->mac, 6);
	} else {
		if (getrandom(stack_mac, 6, 0) != 6)
			return -EIO;
		stack_mac[0] = (uint8_t)((stack_mac[0] & 0xfe) | 0x02);
	}

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	ret = tap_open(t, ifc->name, ifc->mtu, stack_mac, ifc->offload);
	if (ret < 0)
		return ret;
	d->ntaps++;

	idx = stack_if_add(d->stack, ifc->name, stack_mac, ifc->mtu);
	if (idx < 0) {
		log_msg(LOG_ERR, "%s: adding to the stack: %s", ifc->name,
			strerror(-idx));
		return idx;
	}
	t->ifindex = idx;
	if (t->offload) {
		ret = stack_if_set_offload(d->stack, idx, true, true);
		if (ret < 0) {
			log_msg(LOG_ERR, "%s: offload: %s", ifc->name,
				strerror(-ret));
			return ret;
		}
	}
	if (idx != i) {
		/* netconf's table is by ifindex, in the file's order */
		log_msg(LOG_ERR, "%s: the stack's interface %d, not %d",
			ifc->name, idx, i);
		return -EINVAL;
	}
	if (ifc->dhcp) {
		snprintf(addr, sizeof(addr), "dhcp");
	} else {
		ret = stack_if_set_address(d->stack, daemon_now(), idx,
					   ifc->addr, ifc->prefix_len);
		format_ipv4(ifc->addr, addr, sizeof(addr));
		if (ret < 0) {
			log_msg(LOG_ERR, "%s: address %s/%u: %s", ifc->name,
				addr, ifc->prefix_len, strerror(-ret));
			return ret;
		}
		snprintf(addr + strlen(addr), sizeof(addr) - strlen(addr),
			 "/%u", ifc->prefix_len);
	}
	snprintf(gw, sizeof(gw), "none");
	if (ifc->gateway) {
		format_ipv4(ifc->gateway, gw, sizeof(gw));
		/* On a DHCP interface the route waits for the lease's
		 * address (a route of an interface without one is not
		 * used); it replaces the lease's routes. */
		ret = gateway_route_add(d, ifc, idx);
		if (ret < 0)
			return ret;
	}

	dns[0] = '\0';
	for (int j = 0; j < ifc->ndns; j++) {
		char a[16];

		format_ipv4(ifc->dns[j], a, sizeof(a));
		used += (size_t)snprintf(dns + used, sizeof(dns) - used, "%s%s",
					 j ? "," : "", a);
	}
	format_mac(stack_mac, mac, sizeof(mac));
	format_mac(t->kernel_mac, kmac, sizeof(kmac));
	log_msg(LOG_INFO,
		"%s: %s TAP, mac %s%s, mtu %u, offload %s, address %s, "
		"gateway %s, metric %u, dns %s; kernel side mac %s",
		ifc->name, t->created ? "created" : "attached to persistent",
		mac, ifc->has_mac ? "" : " (random)", ifc->mtu,
		t->offload ? "tso+csum" : "none", addr, gw, ifc->metric,
		ifc->ndns ? dns : "none", kmac);

	rx_budget_init(&t->rx_budget);
	ev_io_init(&t->watcher, tap_read_cb, t->fd, EV_READ);
	t->watcher.data = d;
	ev_io_start(d->loop, &t->watcher);
	if (ifc->dhcp)
		return netconf_dhcp_start(d, i, idx, stack_mac);
	return 0;
}

/* ---- the command line -------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: utcpd [-c FILE] [OPTION]...\n"
		"A userspace TCP/IP stack on TAP devices, serving local "
		"applications\nthrough a control socket. Runs in the "
		"foreground.\n"
		"\n"
		"  -c, --config FILE     configuration file (default %s)\n"
		"  -n, --name NAME       [daemon] name\n"
		"  -s, --socket PATH     [daemon] socket: the control socket\n"
		"      --socket-mode MODE  [daemon] socket_mode (octal)\n"
		"  -l, --log TARGET      [daemon] log: stderr, syslog or a "
		"file path\n"
		"      --log-level LEVEL [daemon] log_level: debug, info, "
		"notice, warning, err\n"
		"      --state-dir DIR   [daemon] state_dir: where leases are "
		"kept\n"
		"      --log-server HOST[:PORT]  [daemon] log_server: remote "
		"syslog (or none)\n"
		"      --no-dhcp         dhcp = no on every interface (each "
		"needs an address)\n"
		"      --dns-servers A,B dns on every interface (wins over "
		"leases)\n"
		"  -t, --check-config    read the configuration, report, "
		"exit\n"
		"  -h, --help            this help\n"
		"  -V, --version         the version\n"
		"\n"
		"Options override the configuration file. SIGTERM or SIGINT "
		"stops the daemon,\nSIGHUP reopens the log and reloads the "
		"configuration. Exit status: 0\nstopped by a signal or the "
		"configuration is good, 1 setting up failed,\n2 bad command "
		"line or configuration. See utcpd(8) and utcpd.conf(5).\n",
		CONFIG_DEFAULT_PATH);
}

/* The options that override a [daemon] key of the configuration file. */
static const struct override override_options[] = {
    {'n', "--name", "name", NULL},
    {'s', "--socket", "socket", NULL},
    {'M', "--socket-mode", "socket_mode", NULL},
    {'l', "--log", "log", NULL},
    {'L', "--log-level", "log_level", NULL},
    {'S', "--state-dir", "state_dir", NULL},
    {'G', "--log-server", "log_server", NULL},
    {'D', "--no-dhcp", "dhcp", NULL},
    {'N', "--dns-servers", "dns", NULL},
};

/* Fills *o for option `opt` with its value. Returns 0, or -EINVAL when
 * `opt` is no override (getopt's '?' for an unknown option). */
static int override_option(int opt, const char *value, struct override *o)
{
	for (size_t i = 0;
	     i < sizeof(override_options) / sizeof(override_options[0]); i++) {
		if (override_options[i].opt == opt) {
			*o = override_options[i];
			o->value = opt == 'D' ? "no" : value;
			return 0;
		}
	}
	return -EINVAL;
}

/* Prints what the configuration says, for --check-config. */
static void print_config(const struct config *cfg, const char *path)
{
	printf("%s: ok\n", path);
	char ls[24] = "lease";

	if (cfg->log_server_set && !cfg->log_server)
		snprintf(ls, sizeof(ls), "none");
	else if (cfg->log_server_set)
		snprintf(ls, sizeof(ls), "%u.%u.%u.%u:%u",
			 cfg->log_server >> 24, (cfg->log_server >> 16) & 0xff,
			 (cfg->log_server >> 8) & 0xff, cfg->log_server & 0xff,
			 cfg->log_port);
	printf("name %s, socket %s (mode %04o), log %s at %s, state_dir %s, "
	       "log_server %s\n",
	       cfg->name, cfg->socket_path, (unsigned)cfg->socket_mode,
	       cfg->log_target == LOG_TARGET_STDERR   ? "stderr"
	       : cfg->log_target == LOG_TARGET_SYSLOG ? "syslog"
						      : cfg->log_file,
	       config_log_level_name(cfg->log_level), cfg->state_dir, ls);
	for (int i = 0; i < cfg->nifs; i++) {
		const struct config_interface *ifc = &cfg->ifs[i];
		char mac[18] = "random", addr[20], gw[16] = "none";

		if (ifc->has_mac)
			format_mac(ifc->mac, mac, sizeof(mac));
		if (ifc->dhcp)
			snprintf(addr, sizeof(addr), "dhcp");
		else
			snprintf(addr, sizeof(addr), "%u.%u.%u.%u/%u",
				 ifc->addr >> 24, (ifc->addr >> 16) & 0xff,
				 (ifc->addr >> 8) & 0xff, ifc->addr & 0xff,
				 ifc->prefix_len);
		if (ifc->gateway)
			format_ipv4(ifc->gateway, gw, sizeof(gw));
		printf("interface %s: mac %s, mtu %u%s, dhcp %s, offload %s, "
		       "address %s, gateway %s, metric %u, dns",
		       ifc->name, mac, ifc->mtu,
		       ifc->mtu_set ? "" : " (default)",
		       ifc->dhcp ? "yes" : "no", ifc->offload ? "yes" : "no",
		       addr, gw, ifc->metric);
		if (!ifc->ndns)
			printf(" none");
		for (int j = 0; j < ifc->ndns; j++) {
			format_ipv4(ifc->dns[j], addr, sizeof(addr));
			printf("%s%s", j ? "," : " ", addr);
		}
		if (ifc->dhcp)
			printf(", client_id %s, hostname %s, release %s, "
			       "arp_check %s",
			       ifc->client_id_kind == CLIENT_ID_HEX    ? "hex"
			       : ifc->client_id_kind == CLIENT_ID_DUID ? "duid"
								       : "mac",
			       !ifc->hostname_set ? cfg->name
			       : ifc->hostname[0] ? ifc->hostname
						  : "none",
			       ifc->release ? "yes" : "no",
			       ifc->arp_check ? "yes" : "no");
		printf("\n");
	}
}

/*
 * The option getopt_long() refused with '?', as written. A letter that
 * is not one of our short options (`shorts`) was typed as one, and its
 * group may go on ("-xj": optind has not moved past it), so it is named
 * by itself; anything else came from a long option ("--bogus", or
 * "--help=x", refused with its letter), which optind has passed.
 */
static const char *refused_option(const char *shorts, char **argv, char buf[3])
{
	/* --no-dhcp (or a prefix of it) given a value: refused with 'D',
	 * which is no short option */
	const char *prev = argv[optind - 1];
	bool long_only = optopt == 'D' && strncmp(prev, "--", 2) == 0 &&
			 strncmp(prev, "--no-dhcp", strcspn(prev, "=")) == 0;

	if (optopt > 0 && optopt < 0x7f && !strchr(shorts, optopt) &&
	    !long_only) {
		buf[0] = '-';
		buf[1] = (char)optopt;
		buf[2] = '\0';
		return buf;
	}
	return argv[optind - 1];
}

/*
 * Reads the command line, the configuration file and the overrides
 * into *cfg (*path: the file read). Returns -1 to go on, or the exit
 * status when the process is done (--help, --version, --check-config,
 * or an error, reported on stderr).
 */
static int read_configuration(int argc, char **argv, struct config *cfg,
			      const char **path)
{
	static const struct option options[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"name", required_argument, NULL, 'n'},
	    {"socket", required_argument, NULL, 's'},
	    {"socket-mode", required_argument, NULL, 'M'},
	    {"log", required_argument, NULL, 'l'},
	    {"log-level", required_argument, NULL, 'L'},
	    {"state-dir", required_argument, NULL, 'S'},
	    {"log-server", required_argument, NULL, 'G'},
	    {"no-dhcp", no_argument, NULL, 'D'},
	    {"dns-servers", required_argument, NULL, 'N'},
	    {"check-config", no_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	char err[CONFIG_ERR_MAX];
	int check_only = 0, opt;
	char letter[3];

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:n:s:l:thV", options, NULL)) !=
	       -1) {
		struct override o;

		switch (opt) {
		case 'c':
			*path = optarg;
			continue;
		case 't':
			check_only = 1;
			continue;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("utcpd %s\n", UTCPD_VERSION);
			return 0;
		}
		if (override_option(opt, optarg, &o) < 0) {
			/* one line: what is wrong, and where to look */
			if (opt == ':')
				fprintf(stderr,
					"utcpd: option '%s' needs a value; "
					"try 'utcpd --help'\n",
					argv[optind - 1]);
			else
				fprintf(
				    stderr,
				    "utcpd: unknown option '%s'; try "
				    "'utcpd --help'\n",
				    refused_option("cnslthV", argv, letter));
			return EXIT_CONFIG;
		}
		if (noverrides == OVERRIDES_MAX) {
			fprintf(stderr, "utcpd: too many options\n");
			return EXIT_CONFIG;
		}
		overrides[noverrides++] = o;
	}
	if (optind < argc) {
		fprintf(stderr,
			"utcpd: unexpected argument \"%s\"; try 'utcpd "
			"--help'\n",
			argv[optind]);
		return EXIT_CONFIG;
	}

	config_defaults(cfg);
	if (config_load(cfg, *path, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return EXIT_CONFIG;
	}
	for (int i = 0; i < noverrides; i++)
		if (config_override(cfg, overrides[i].key, overrides[i].value,
				    err, sizeof(err)) < 0) {
			fprintf(stderr, "utcpd: %s: %s\n", overrides[i].flag,
				err);
			return EXIT_CONFIG;
		}
	if (check_only) {
		print_config(cfg, *path);
		return 0;
	}
	return -1;
}

/* Stops the TAPs' watchers, logs their counters and closes them. */
static void taps_close(struct daemon *d)
{
	for (int i = 0; i < d->ntaps; i++) {
		struct tap *t = &d->taps[i];

		if (d->loop)
			ev_io_stop(d->loop, &t->watcher);
		if (t->fd >= 0)
			log_msg(
			    LOG_INFO,
			    "%s: rx %llu frames (%llu dropped, %llu errors), "
			    "tx %llu frames (%llu dropped, %llu errors)",
			    t->name, (unsigned long long)t->rx_frames,
			    (unsigned long long)t->rx_drops,
			    (unsigned long long)t->rx_errors,
			    (unsigned long long)t->tx_frames,
			    (unsigned long long)t->tx_drops,
			    (unsigned long long)t->tx_errors);
		tap_release_spare(t, d->stack);
		tap_close(t);
	}
}

/*
 * Runs as [daemon] user from here (privileges.c), once the TAPs are
 * open and the control socket bound: gives it the state directory (the
 * leases are saved there), and keeps CAP_NET_ADMIN only when a
 * pre-existing TAP must get its link back at the end (tap_close()).
 * Returns 0, or a negative errno (logged): the daemon must stop.
 */
static int drop_privileges(struct daemon *d)
{
	const struct privileges *p = &privileges_state;
	bool keep = false;

	if (!p->set)
		return 0;
	for (int i = 0; i < d->ntaps; i++)
		keep |= !d->taps[i].created;
	if (d->netconf && d->netconf->lease_files && geteuid() == 0 &&
	    chown(d->cfg->state_dir, p->uid, p->gid) < 0) {
		int ret = -errno;

		log_msg(LOG_ERR, "state_dir %s: giving it to uid %u: %m",
			d->cfg->state_dir, (unsigned)p->uid);
		return ret;
	}
	return privileges_drop(p, keep);
}

/*
 * Sets the daemon up (the loop, the stack, the signals, each interface,
 * the control socket), runs the loop until a signal, and tears it all
 * down. Returns the exit status: 0 after a signal, EXIT_SETUP when
 * setting up failed (logged).
 */
static int daemon_run(struct daemon *d, struct config *cfg)
{
	int status = EXIT_SETUP, control_up = 0, loop_up = 0;
	uint64_t seed;

	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	d->exit_status = EXIT_SETUP;
	d->start_ns = daemon_now();
	d->loop = ev_default_loop(EVFLAG_AUTO);
	if (!d->loop) {
		log_msg(LOG_ERR, "libev: no usable event backend");
		goto out;
	}
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) {
		log_msg(LOG_ERR, "getrandom: %m");
		goto out;
	}
	d->stack = stack_new(&cfg->limits, seed);
	if (!d->stack) {
		log_msg(LOG_ERR, "creating the stack: %s", strerror(ENOMEM));
		goto out;
	}
	d->link_send = link_send;
	d->link_read_all = taps_read_all;
	d->link_read_now = taps_read_now;
	d->netconf = &netconf_state;
	netconf_start(d);
	/* Without it (out of memory) the daemon runs, RESOLVE refused. */
	(void)resolver_start(d, &resolver_state);
	d->syslog = &syslog_state;
	syslog_remote_start(d->syslog, cfg->name, (int)getpid());
	daemon_loop_start(d);
	loop_up = 1;
	/* From here a signal waits for ev_run(), which then stops at once:
	 * the teardown below runs in every case. */
	ev_signal_init(&d->sig_term, signal_cb, SIGTERM);
	ev_signal_init(&d->sig_int, signal_cb, SIGINT);
	ev_signal_init(&d->sig_hup, signal_cb, SIGHUP);
	d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;
	ev_signal_start(d->loop, &d->sig_term);
	ev_signal_start(d->loop, &d->sig_int);
	ev_signal_start(d->loop, &d->sig_hup);
	ev_timer_init(&d->syn_shed_timer, syn_shed_cb, 0.5, 0.5);
	d->syn_shed_timer.data = d;

	for (int i = 0; i < cfg->nifs; i++)
		if (interface_up(d, i) < 0)
			goto out;
	/* A static log server takes the lines from here on. */
	syslog_remote_flush(d);

	if (make_parent_dirs(cfg->socket_path) < 0 ||
	    socket_dir_writable(cfg->socket_path) < 0)
		goto out;
	if (control_start(d, cfg->socket_path, cfg->socket_mode) < 0)
		goto out;
	control_up = 1;
	if (drop_privileges(d) < 0)
		goto out;

	log_msg(LOG_NOTICE, "running: %d interface%s, control socket %s",
		d->ntaps, d->ntaps == 1 ? "" : "s", cfg->socket_path);
	netconf_ready_check(d); /* every interface static: at once */
	notify_watchdog_start(d->loop);
	ev_run(d->loop, 0); /* the first turn sends the gratuitous ARPs */
	status = d->exit_status;

out:
	if (control_up)
		control_stop(d);
	/* After the control server: its clients' lookups are cancelled. */
	resolver_stop(d);
	if (d->stack) {
		syslog_remote_flush(d); /* before the leases go */
		netconf_dhcp_stop(d);	/* the DHCPRELEASEs */
	}
	if (loop_up)
		daemon_loop_stop(d); /* the FINs, RSTs and RELEASEs */
	if (d->stack)
		syslog_remote_stop(d);
	taps_close(d);
	if (d->loop) {
		ev_signal_stop(d->loop, &d->sig_term);
		ev_signal_stop(d->loop, &d->sig_int);
		ev_signal_stop(d->loop, &d->sig_hup);
		ev_timer_stop(d->loop, &d->syn_shed_timer);
		notify_watchdog_stop(d->loop);
	}
	if (d->stack)
		stack_free(d->stack);
	return status;
}

int main(int argc, char **argv)
{
	static struct config cfg;
	int status = read_configuration(argc, argv, &cfg, &config_path);

	if (status >= 0)
		return status;
	{
		char err[CONFIG_ERR_MAX];

		if (privileges_resolve(&cfg, &privileges_state, err,
				       sizeof(err)) < 0) {
			fprintf(stderr, "utcpd: %s\n", err);
			return EXIT_CONFIG;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (log_open(&cfg) < 0)
		return EXIT_SETUP;
	/* Unusable: logged, and the daemon runs without notifying. */
	(void)notify_open();
	log_msg(LOG_NOTICE, "utcpd %s starting as \"%s\" (%s)", UTCPD_VERSION,
		cfg.name, config_path);
	status = daemon_run(&daemon_state, &cfg);
	log_msg(status ? LOG_ERR : LOG_NOTICE, "stopped%s",
		status ? " after an error" : "");
	notify_close();
	log_close();
	return status;
}
