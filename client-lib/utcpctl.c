/*
 * utcpctl.c - inspect a running utcpd
 *
 *     utcpctl [-S PATH] [-j|--json] COMMAND [ARGS] [-j|--json]
 *     utcpctl -h|--help | -V|--version
 *
 * Theory of operation. main() reads the global options and hands the
 * command's arguments to its cmd_*: status, ifaces, conns, arp,
 * routes, lease, dns and counters parse their filters into a struct
 * view_opts, fetch one STATUS (utcp_status) and print their view of it
 * (utcpctl_views.c; `status -a` the whole of it, utcpctl_dump.c);
 * resolve looks a name up through the daemon (utcp_resolve) and prints
 * the answer one item a line ("name:", "canonical:", "source:",
 * "address:") or as one JSON object, a failed lookup being its
 * gai_strerror() text on stderr (or a JSON object with "error") and
 * exit status 1; barrier returns once the daemon has processed every
 * frame that had reached its TAPs (utcp_barrier). The text and JSON
 * forms are documented in utcpctl(8) and relied on by the integration
 * tests.
 *
 * Errors are one line on stderr naming the cause and what to do: a bad
 * command line exits 2 ("utcpctl: unknown command 'x'; try 'utcpctl
 * --help'"); a daemon that cannot be reached exits 1, told apart by
 * open_daemon() as no daemon (ENOENT, ECONNREFUSED on a socket), not a
 * socket (a file of another kind at the path), permission denied
 * (naming the socket's group, or its owner, or a closed directory),
 * something that does not speak the protocol, or utcpd's refusal.
 * Exit status: 0 on success, 1 when the daemon cannot be reached or
 * fails the request (or a view finds nothing it was asked for), 2 for
 * a bad command line.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include "cli_opt.h"

#include "utcpctl.h"

#ifndef UTCP_VERSION
#define UTCP_VERSION "unknown"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: utcpctl [-S PATH] [-j|--json] COMMAND [ARGS]\n"
		"       utcpctl -h|--help | -V|--version\n"
		"Inspect a running utcpd.\n"
		"\n"
		"commands:\n"
		"  status [-a]          a summary; -a: everything the daemon "
		"reports\n"
		"  ifaces [IFACE]       interfaces: state, MAC, MTU, "
		"addresses, DHCP\n"
		"  conns [-t] [-u] [-l] [state STATE] [port|sport|dport N]\n"
		"                       sockets, as ss -tanpi, with their "
		"owner\n"
		"  arp                  the ARP cache\n"
		"  routes               the routing table\n"
		"  lease [IFACE]        DHCP leases and their options\n"
		"  dns                  the stub resolver and its cache\n"
		"  counters [-z]        counters by layer; -z: zeros too\n"
		"  resolve [-4|-6] NAME look a name up through the daemon\n"
		"  barrier              wait until the daemon has processed "
		"what reached it\n"
		"  capture [-i IFACE] [-c COUNT] [-s SNAPLEN] -w FILE|-\n"
		"                       a pcap file of what the TAPs carry "
		"(root)\n"
		"  ping [-c N] [-i S] [-W S] [-s BYTES] [-I IFACE] HOST\n"
		"                       ICMP echo from the daemon's stack\n"
		"  metrics              every counter and gauge, in "
		"Prometheus' text format\n"
		"\n"
		"options:\n"
		"  -S PATH      the daemon's control socket (default: "
		"$" UTCP_SOCKET_ENV " or " UTCP_DEFAULT_SOCKET ")\n"
		"  -j, --json   one JSON object on stdout (any command but "
		"barrier)\n"
		"  -h, --help   this help\n"
		"  -V, --version\n"
		"               the version\n"
		"See utcpctl(8).\n");
}

/* A bad command line: one line on stderr, exit status 2. */
int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("utcpctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("; try 'utcpctl --help'\n", stderr);
	return 2;
}

/* The socket path utcp_open() uses for `path`. */
static const char *socket_path(const char *path)
{
	const char *env = getenv(UTCP_SOCKET_ENV);

	if (path)
		return path;
	return env && *env ? env : UTCP_DEFAULT_SOCKET;
}

/* Says, in one line, that connecting to the socket at p was denied,
 * and who may: the socket's group when its mode lets the group in (the
 * usual case, [daemon] socket_group), else its owner; when the socket
 * cannot even be looked at, a directory above it is closed. */
static void say_denied(const char *p)
{
	char owner[64], group[64];
	struct passwd *pw;
	struct group *gr;
	struct stat sb;

	if (stat(p, &sb) < 0) {
		fprintf(stderr,
			"utcpctl: permission denied on %s (a directory above "
			"it is closed to this user: run as root, or see -S)\n",
			p);
		return;
	}
	pw = getpwuid(sb.st_uid);
	gr = getgrgid(sb.st_gid);
	if (pw)
		snprintf(owner, sizeof(owner), "%s", pw->pw_name);
	else
		snprintf(owner, sizeof(owner), "%u", (unsigned)sb.st_uid);
	if (gr)
		snprintf(group, sizeof(group), "%s", gr->gr_name);
	else
		snprintf(group, sizeof(group), "%u", (unsigned)sb.st_gid);
	if (sb.st_mode & S_IWGRP)
		fprintf(stderr,
			"utcpctl: permission denied on %s (owner %s, group "
			"%s, mode %04o: run as root or as a member of group "
			"%s)\n",
			p, owner, group, (unsigned)(sb.st_mode & 07777), group);
	else
		fprintf(stderr,
			"utcpctl: permission denied on %s (owner %s, group "
			"%s, mode %04o: run as root or as user %s)\n",
			p, owner, group, (unsigned)(sb.st_mode & 07777), owner);
}

/* The control connection, or NULL after saying on stderr, in one line,
 * why and what to do. */
struct utcp *open_daemon(const char *path)
{
	const char *p = socket_path(path);
	struct utcp *u;
	struct stat sb;
	int err;

	u = utcp_open(path, &err);
	if (u)
		return u;
	switch (-err) {
	case ENOENT:
	case ECONNREFUSED:
		if (stat(p, &sb) == 0 && !S_ISSOCK(sb.st_mode))
			fprintf(stderr,
				"utcpctl: %s is not a socket (wrong path? "
				"see -S)\n",
				p);
		else
			fprintf(stderr,
				"utcpctl: no daemon at %s (is utcpd running? "
				"see -S)\n",
				p);
		break;
	case EACCES:
	case EPERM:
		say_denied(p);
		break;
	case ENOTDIR:
	case ENAMETOOLONG:
		fprintf(stderr, "utcpctl: bad socket path %s: %s (see -S)\n", p,
			utcp_strerror(err));
		break;
	case EPROTONOSUPPORT:
		fprintf(stderr,
			"utcpctl: utcpd at %s speaks no protocol version of "
			"this utcpctl (install matching versions)\n",
			p);
		break;
	case EPROTOTYPE:
	case EPROTO:
	case EBADMSG:
	case ETIMEDOUT:
	case ECONNRESET:
	case EPIPE:
		fprintf(stderr,
			"utcpctl: %s does not answer as utcpd does: %s (wrong "
			"socket? see -S)\n",
			p, utcp_strerror(err));
		break;
	case EUSERS:
		fprintf(stderr,
			"utcpctl: utcpd at %s refused the connection: too many "
			"clients (close some, or raise [control] clients_max "
			"or clients_per_uid)\n",
			p);
		break;
	default:
		fprintf(stderr, "utcpctl: cannot reach utcpd at %s: %s\n", p,
			utcp_strerror(err));
		break;
	}
	return NULL;
}

struct utcp_status *status_snapshot(const char *path, const char *cmd)
{
	struct utcp_status *st;
	struct utcp *u = open_daemon(path);
	int err;

	if (!u)
		return NULL;
	err = utcp_status(u, &st);
	utcp_close(u);
	if (err) {
		fprintf(stderr, "utcpctl: %s: %s\n", cmd, utcp_strerror(err));
		return NULL;
	}
	return st;
}

int iface_index(struct utcp *u, const char *cmd, const char *name)
{
	struct utcp_status *st;
	int err = utcp_status(u, &st), index = -1;

	if (err) {
		fprintf(stderr, "utcpctl: %s: cannot read the interfaces: %s\n",
			cmd, utcp_strerror(err));
		return -1;
	}
	for (size_t i = 0; i < st->n_interfaces; i++)
		if (strcmp(st->interfaces[i].name, name) == 0)
			index = st->interfaces[i].index;
	utcp_status_free(st);
	if (index < 0)
		fprintf(stderr,
			"utcpctl: %s: no interface '%s' (see 'utcpctl "
			"ifaces')\n",
			cmd, name);
	return index;
}

/* Writes what is buffered; 1 after saying why when stdout failed. */
int flush_stdout(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("utcpctl: stdout");
		return 1;
	}
	return status;
}

long parse_whole(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	return v;
}

/* A port number 0..65535, or -1. */
static int parse_port(const char *s)
{
	return (int)parse_whole(s, 0, 65535);
}

/* The views' commands. */
enum view_cmd {
	VIEW_STATUS,
	VIEW_IFACES,
	VIEW_CONNS,
	VIEW_ARP,
	VIEW_ROUTES,
	VIEW_LEASE,
	VIEW_DNS,
	VIEW_COUNTERS,
};

static const struct {
	const char *name;
	int (*view)(const struct utcp_status *, const struct view_opts *);
} views[] = {
    [VIEW_STATUS] = {"status", view_status},
    [VIEW_IFACES] = {"ifaces", view_ifaces},
    [VIEW_CONNS] = {"conns", view_conns},
    [VIEW_ARP] = {"arp", view_arp},
    [VIEW_ROUTES] = {"routes", view_routes},
    [VIEW_LEASE] = {"lease", view_lease},
    [VIEW_DNS] = {"dns", view_dns},
    [VIEW_COUNTERS] = {"counters", view_counters},
};

/* conns' filters: "state STATE" or "-s STATE", "port N", "sport N",
 * "dport N" (the word and its value as two arguments), -t, -u, -l.
 * Returns how many arguments it took (0: not a filter), or -2 after a
 * usage error (its exit status, negated). */
static int conns_filter(struct view_opts *o, int argc, char **argv)
{
	const char *word = argv[0];
	int *port = NULL;

	if (strcmp(word, "-t") == 0 || strcmp(word, "--tcp") == 0) {
		o->tcp = true;
		return 1;
	}
	if (strcmp(word, "-u") == 0 || strcmp(word, "--udp") == 0) {
		o->udp = true;
		return 1;
	}
	if (strcmp(word, "-l") == 0 || strcmp(word, "--listening") == 0) {
		o->listening = true;
		return 1;
	}
	if (strcmp(word, "state") == 0 || strcmp(word, "-s") == 0) {
		if (argc < 2)
			return -usage_error("conns: %s needs a state", word);
		o->state = view_state_by_name(argv[1]);
		if (o->state < 0)
			return -usage_error("conns: unknown state '%s'",
					    argv[1]);
		return 2;
	}
	if (strcmp(word, "port") == 0)
		port = &o->port;
	else if (strcmp(word, "sport") == 0)
		port = &o->sport;
	else if (strcmp(word, "dport") == 0)
		port = &o->dport;
	if (!port)
		return 0;
	if (argc < 2)
		return -usage_error("conns: %s needs a port number", word);
	*port = parse_port(argv[1]);
	if (*port < 0)
		return -usage_error("conns: bad port '%s'", argv[1]);
	return 2;
}

/* A view: its arguments, one STATUS, the view printed. */
static int cmd_view(enum view_cmd cmd, const char *path, bool json, int argc,
		    char **argv)
{
	struct view_opts o = {
	    .json = json, .state = -1, .port = -1, .sport = -1, .dport = -1};
	const char *name = views[cmd].name;
	struct utcp_status *st;
	bool all = false;
	int i, n, ret;

	for (i = 0; i < argc; i += n) {
		const char *a = argv[i];

		n = 1;
		if (strcmp(a, "--json") == 0 || strcmp(a, "-j") == 0) {
			o.json = true;
		} else if (cmd == VIEW_STATUS &&
			   (strcmp(a, "-a") == 0 || strcmp(a, "--all") == 0)) {
			all = true;
		} else if (cmd == VIEW_COUNTERS &&
			   (strcmp(a, "-z") == 0 ||
			    strcmp(a, "--zeros") == 0)) {
			o.zeros = true;
		} else if ((cmd == VIEW_IFACES || cmd == VIEW_LEASE) &&
			   a[0] != '-' && !o.iface) {
			o.iface = a;
		} else if (cmd == VIEW_CONNS &&
			   (n = conns_filter(&o, argc - i, argv + i)) != 0) {
			if (n < 0)
				return 2;
		} else {
			return usage_error("%s: unexpected argument '%s'", name,
					   a);
		}
	}
	st = status_snapshot(path, name);
	if (!st)
		return 1;
	owners_sort(st);
	if (all) {
		if (o.json)
			dump_json(st);
		else
			dump_text(st);
		ret = 0;
	} else {
		ret = views[cmd].view(st, &o);
	}
	utcp_status_free(st);
	return flush_stdout(ret);
}

/* A failed lookup's word in JSON. */
static const char *gai_error_name(int err)
{
	switch (err) {
	case EAI_NONAME:
		return "noname";
	case EAI_NODATA:
		return "nodata";
	case EAI_AGAIN:
		return "again";
	case EAI_FAIL:
		return "fail";
	default:
		return "system";
	}
}

static void resolve_text(const char *name, const struct utcp_lookup *l)
{
	char buf[INET6_ADDRSTRLEN];

	printf("name: %s\ncanonical: %s\nsource: %s", name, l->name,
	       utcp_dns_source_name(l->source));
	if (l->source == UTCP_DNS_NETWORK || l->source == UTCP_DNS_CACHE)
		printf(" %s:%u",
		       inet_ntop(AF_INET, &l->server, buf, sizeof(buf)),
		       l->server_port);
	putchar('\n');
	for (size_t i = 0; i < l->n; i++) {
		const struct utcp_dns_addr *a = &l->addrs[i];

		printf("address: %s ttl %" PRIu32 "\n",
		       inet_ntop(a->family, &a->addr, buf, sizeof(buf)),
		       a->ttl);
	}
}

static void resolve_json(const char *name, const struct utcp_lookup *l)
{
	char buf[INET6_ADDRSTRLEN];
	bool server =
	    l->source == UTCP_DNS_NETWORK || l->source == UTCP_DNS_CACHE;

	fputs("{\"name\": ", stdout);
	json_string(name);
	fputs(", \"canonical\": ", stdout);
	json_string(l->name);
	printf(", \"source\": \"%s\", \"server\": ",
	       utcp_dns_source_name(l->source));
	json_addr(server, l->server);
	printf(", \"server_port\": %u, \"addresses\": [",
	       server ? l->server_port : 0);
	for (size_t i = 0; i < l->n; i++) {
		const struct utcp_dns_addr *a = &l->addrs[i];

		printf("%s{\"family\": \"%s\", \"address\": \"%s\", "
		       "\"ttl\": %" PRIu32 "}",
		       i ? ", " : "", a->family == AF_INET ? "inet" : "inet6",
		       inet_ntop(a->family, &a->addr, buf, sizeof(buf)),
		       a->ttl);
	}
	fputs("]}\n", stdout);
}

static int cmd_resolve(const char *path, bool json, int argc, char **argv)
{
	struct utcp_lookup *l;
	const char *name = NULL;
	int family = AF_UNSPEC, err, saved;
	struct utcp *u;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "-j") == 0) {
			json = true;
		} else if (strcmp(argv[i], "-4") == 0 && family != AF_INET6) {
			family = AF_INET;
		} else if (strcmp(argv[i], "-6") == 0 && family != AF_INET) {
			family = AF_INET6;
		} else if (argv[i][0] != '-' && !name) {
			name = argv[i];
		} else {
			return usage_error("resolve: unexpected argument '%s'",
					   argv[i]);
		}
	}
	if (!name) {
		return usage_error("resolve: a name is needed");
	}
	u = open_daemon(path);
	if (!u)
		return 1;
	err = utcp_resolve(u, name, family, &l);
	saved = errno;
	utcp_close(u);
	if (err) {
		if (json) {
			fputs("{\"name\": ", stdout);
			json_string(name);
			printf(", \"error\": \"%s\", \"message\": ",
			       gai_error_name(err));
			json_string(gai_strerror(err));
			fputs("}\n", stdout);
		} else if (err == EAI_SYSTEM) {
			fprintf(stderr, "utcpctl: %s: %s: %s\n", name,
				gai_strerror(err), strerror(saved));
		} else {
			fprintf(stderr, "utcpctl: %s: %s\n", name,
				gai_strerror(err));
		}
		fflush(stdout);
		return 1;
	}
	if (json)
		resolve_json(name, l);
	else
		resolve_text(name, l);
	utcp_lookup_free(l);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("utcpctl: stdout");
		return 1;
	}
	return 0;
}

static int cmd_barrier(const char *path, int argc, char **argv)
{
	struct utcp *u;
	int err;

	if (argc > 0)
		return usage_error("barrier: unexpected argument '%s'",
				   argv[0]);
	u = open_daemon(path);
	if (!u)
		return 1;
	err = utcp_barrier(u);
	utcp_close(u);
	if (err) {
		fprintf(stderr, "utcpctl: barrier: %s\n", utcp_strerror(err));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = NULL, *cmd;
	bool json = false;
	char letter[3];
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+S:jhV", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'S':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return flush_stdout(0);
		case 'V':
			printf("utcpctl %s\n", UTCP_VERSION);
			return flush_stdout(0);
		default:
			if (optopt == 'S')
				return usage_error("-S needs a path");
			return usage_error(
			    "unknown option '%s'",
			    refused_option("SjhV", argv, letter));
		}
	}
	if (optind >= argc)
		return usage_error("a command is needed");
	cmd = argv[optind];
	argc -= optind + 1;
	argv += optind + 1;
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		if (strcmp(cmd, views[i].name) == 0)
			return cmd_view((enum view_cmd)i, path, json, argc,
					argv);
	if (strcmp(cmd, "resolve") == 0)
		return cmd_resolve(path, json, argc, argv);
	if (strcmp(cmd, "barrier") == 0)
		return cmd_barrier(path, argc, argv);
	if (strcmp(cmd, "capture") == 0)
		return cmd_capture(path, json, argc, argv);
	if (strcmp(cmd, "ping") == 0)
		return cmd_ping(path, json, argc, argv);
	if (strcmp(cmd, "metrics") == 0)
		return cmd_metrics(path, json, argc, argv);
	if (strcmp(cmd, "help") == 0) {
		usage(stdout);
		return flush_stdout(0);
	}
	return usage_error("unknown command '%s'", cmd);
}
