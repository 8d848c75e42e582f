/*
 * config.c - reading utcpd.conf (inih) and applying command-line flags
 *
 * Theory of operation. inih does the INI syntax; this file supplies the
 * line reader and the key handler, and keeps a parse state that knows
 * at every moment which line inih is on:
 *
 *   - config_reader() hands inih one line at a time and counts lines.
 *     inih calls the handler for a line before it asks for the next
 *     one, so the reader's count is the handler's line number. (The
 *     Debian build has neither INI_HANDLER_LINENO nor
 *     INI_CALL_HANDLER_ON_NEW_SECTION; this works with either.)
 *   - The reader also sees section headers, which inih never shows a
 *     handler: it checks each header ([daemon], [limits], [tcp],
 *     [control], [dns], [hosts], [interface NAME]) and opens the
 *     section, so unknown and duplicate
 *     sections, and sections without keys, are all reported at their
 *     own line.
 *   - The reader strips leading white space, so indentation never
 *     turns a line into an inih continuation line, drops comment lines
 *     (so that a long comment is harmless), and reports any other line
 *     longer than inih's line buffer instead of letting inih split it.
 *   - config_handler() looks the key up in the table of the current
 *     section, refuses a key given twice in one section, and parses the
 *     value with the key's parser. [hosts] has no table: each key is a
 *     host name (one entry each, a name given twice is refused).
 *
 * Only the first error is kept: the reader, the handler and inih's own
 * syntax errors (a line with neither "=" nor "[") each report a line,
 * and the smallest line wins. When the file parses, config_check()
 * validates what only the whole can tell (an address for dhcp = no, no
 * address with dhcp = yes, a gateway on the address's subnet, at least
 * one interface), reporting at the line of the offending key or section
 * header, and fills the defaults that depend on other keys (dhcp: yes
 * when no address is given; metric: from the interface's position).
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

/* How much of a bad value an error message quotes. */
#define CONFIG_QUOTE_MAX 64

enum section_kind {
	SECTION_NONE,	 /* before the first header */
	SECTION_INVALID, /* a header that was refused: its keys are skipped */
	SECTION_DAEMON,
	SECTION_LIMITS,
	SECTION_TCP,
	SECTION_CONTROL,
	SECTION_INTERFACE,
	SECTION_DNS,
	SECTION_HOSTS,
};

/* Lines at which interface keys were set, for errors found later. */
struct interface_lines {
	int dhcp;
	int address;
	int gateway;
	int mac;
	int metric;
};

struct parse_state {
	struct config *cfg;
	const char *path;
	FILE *fp;
	int lineno; /* lines read so far: the line inih is working on */

	enum section_kind kind;
	struct config_interface *iface; /* SECTION_INTERFACE */
	uint32_t seen_keys;		/* bit per key of the current section */
	int daemon_line, limits_line, tcp_line, control_line; /* 0 = not yet */
	int dns_line, hosts_line;
	int queries_max_line; /* [dns] queries_max was given there */
	struct interface_lines lines[STACK_IF_MAX];
	int host_lines[DNS_HOSTS_MAX]; /* of cfg->dns.hosts[i] */

	int err_line; /* first error, 0 = none */
	char err[CONFIG_ERR_MAX];
};

/* ---- value parsers --------------------------------------------------
 *
 * Each takes the value as inih gives it (trimmed, inline comment gone)
 * and writes the reason for a refusal to err. They return 0 or -EINVAL.
 */

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Parses a decimal number without sign in [min, max]. */
static int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Parses a dotted quad into host order (inet_pton: exactly four
 * decimal parts, no leading zeros). */
static int parse_ipv4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = ntohl(a.s_addr);
	return 0;
}

/* Why `a` cannot be a host's unicast address, or NULL when it can. */
static const char *ipv4_not_unicast(uint32_t a)
{
	if (a == 0)
		return "unspecified address";
	if ((a >> 24) == 0)
		return "address in 0.0.0.0/8";
	if ((a >> 24) == 127)
		return "loopback address";
	if ((a >> 28) == 0xe)
		return "multicast address";
	if (a == 0xffffffffu)
		return "broadcast address";
	if ((a >> 28) == 0xf)
		return "reserved address (240.0.0.0/4)";
	return NULL;
}

static uint32_t prefix_mask(uint8_t prefix_len)
{
	return prefix_len ? ~0u << (32 - prefix_len) : 0;
}

static void format_ipv4(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
		 (a >> 8) & 0xff, a & 0xff);
}

static int parse_name(struct config *cfg, const char *v, char *err,
		      size_t errlen)
{
	size_t len = strlen(v);

	if (len == 0 || len >= sizeof(cfg->name))
		return fail(err, errlen,
			    "bad name \"%.*s\": must be 1 to %zu characters",
			    CONFIG_QUOTE_MAX, v, sizeof(cfg->name) - 1);
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.')
			return fail(err, errlen,
				    "bad name \"%.*s\": only letters, digits, "
				    "'-', '_' and '.'",
				    CONFIG_QUOTE_MAX, v);
	memcpy(cfg->name, v, len + 1);
	return 0;
}

static int parse_socket(struct config *cfg, const char *v, char *err,
			size_t errlen)
{
	size_t len = strlen(v);

	if (v[0] != '/')
		return fail(err, errlen,
			    "bad socket \"%.*s\": must be an absolute path",
			    CONFIG_QUOTE_MAX, v);
	if (len >= sizeof(cfg->socket_path))
		return fail(err, errlen,
			    "bad socket \"%.*s...\": longer than %zu bytes",
			    CONFIG_QUOTE_MAX, v, sizeof(cfg->socket_path) - 1);
	if (v[len - 1] == '/')
		return fail(err, errlen,
			    "bad socket \"%.*s\": names a directory",
			    CONFIG_QUOTE_MAX, v);
	memcpy(cfg->socket_path, v, len + 1);
	return 0;
}

static int parse_socket_mode(struct config *cfg, const char *v, char *err,
			     size_t errlen)
{
	unsigned mode = 0;
	size_t len = strlen(v);

	if (len == 0 || len > 4)
		goto bad;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '7')
			goto bad;
		mode = mode * 8 + (unsigned)(*p - '0');
	}
	if (mode > 0777)
		goto bad;
	cfg->socket_mode = (mode_t)mode;
	return 0;
bad:
	return fail(err, errlen,
		    "bad socket_mode \"%.*s\": must be octal 0000 to 0777",
		    CONFIG_QUOTE_MAX, v);
}

/* socket_owner: a user name or number. */
static int parse_socket_owner(struct config *cfg, const char *v, char *err,
			      size_t errlen)
{
	struct passwd pw, *found = NULL;
	char buf[4096];
	uint64_t n;

	if (parse_uint(v, 0, UINT32_MAX - 1, &n) == 0)
		cfg->socket_owner = (uid_t)n;
	else if (getpwnam_r(v, &pw, buf, sizeof(buf), &found) == 0 && found)
		cfg->socket_owner = found->pw_uid;
	else
		return fail(err, errlen,
			    "bad socket_owner \"%.*s\": no such user",
			    CONFIG_QUOTE_MAX, v);
	cfg->socket_owner_set = true;
	return 0;
}

static int parse_group(const char *key, const char *v, gid_t *gid, char *err,
		       size_t errlen);

/* socket_group: a group name or number. */
static int parse_socket_group(struct config *cfg, const char *v, char *err,
			      size_t errlen)
{
	if (parse_group("socket_group", v, &cfg->socket_group, err, errlen) < 0)
		return -EINVAL;
	cfg->socket_group_set = true;
	return 0;
}

static int parse_log(struct config *cfg, const char *v, char *err,
		     size_t errlen)
{
	size_t len = strlen(v);

	if (strcmp(v, "stderr") == 0) {
		cfg->log_target = LOG_TARGET_STDERR;
		return 0;
	}
	if (strcmp(v, "syslog") == 0) {
		cfg->log_target = LOG_TARGET_SYSLOG;
		return 0;
	}
	if (v[0] != '/')
		return fail(err, errlen,
			    "bad log \"%.*s\": must be stderr, syslog or an "
			    "absolute path",
			    CONFIG_QUOTE_MAX, v);
	if (len >= sizeof(cfg->log_file))
		return fail(err, errlen,
			    "bad log \"%.*s...\": longer than %zu bytes",
			    CONFIG_QUOTE_MAX, v, sizeof(cfg->log_file) - 1);
	cfg->log_target = LOG_TARGET_FILE;
	memcpy(cfg->log_file, v, len + 1);
	return 0;
}

static int parse_state_dir(struct config *cfg, const char *v, char *err,
			   size_t errlen)
{
	size_t len = strlen(v);

	if (v[0] != '/')
		return fail(err, errlen,
			    "bad state_dir \"%.*s\": must be an absolute path",
			    CONFIG_QUOTE_MAX, v);
	if (len >= sizeof(cfg->state_dir))
		return fail(err, errlen,
			    "bad state_dir \"%.*s...\": longer than %zu bytes",
			    CONFIG_QUOTE_MAX, v, sizeof(cfg->state_dir) - 1);
	memcpy(cfg->state_dir, v, len + 1);
	return 0;
}

/* log_server = none | A.B.C.D | A.B.C.D:PORT */
static int parse_log_server(struct config *cfg, const char *v, char *err,
			    size_t errlen)
{
	char buf[32];
	const char *colon = strchr(v, ':');
	size_t addr_len = colon ? (size_t)(colon - v) : strlen(v);
	uint64_t port = CONFIG_LOG_PORT;
	uint32_t a;
	const char *why;

	if (strcmp(v, "none") == 0) {
		cfg->log_server_set = true;
		cfg->log_server = 0;
		cfg->log_port = CONFIG_LOG_PORT;
		return 0;
	}
	if (addr_len >= sizeof(buf))
		goto bad;
	memcpy(buf, v, addr_len);
	buf[addr_len] = '\0';
	if (parse_ipv4(buf, &a) < 0)
		goto bad;
	if (colon && parse_uint(colon + 1, 1, 65535, &port) < 0)
		return fail(err, errlen,
			    "bad log_server \"%.*s\": the port must be 1 to "
			    "65535",
			    CONFIG_QUOTE_MAX, v);
	why = ipv4_not_unicast(a);
	if (why)
		return fail(err, errlen, "bad log_server \"%.*s\": %s",
			    CONFIG_QUOTE_MAX, v, why);
	cfg->log_server_set = true;
	cfg->log_server = a;
	cfg->log_port = (uint16_t)port;
	return 0;
bad:
	return fail(err, errlen,
		    "bad log_server \"%.*s\": must be none, an address or "
		    "ADDRESS:PORT",
		    CONFIG_QUOTE_MAX, v);
}

/* busy_poll_us = 0 to CONFIG_BUSY_POLL_US_MAX */
static int parse_busy_poll_us(struct config *cfg, const char *v, char *err,
			      size_t errlen)
{
	uint64_t us;

	if (parse_uint(v, 0, CONFIG_BUSY_POLL_US_MAX, &us) < 0)
		return fail(err, errlen,
			    "bad busy_poll_us \"%.*s\": must be 0 (off) to "
			    "%u microseconds",
			    CONFIG_QUOTE_MAX, v, CONFIG_BUSY_POLL_US_MAX);
	cfg->busy_poll_us = (uint32_t)us;
	return 0;
}

/* user = NAME|UID, group = NAME|GID: what a passwd or group entry may
 * hold (letters, digits, '_', '-', '.'; not starting with '-'), looked
 * up at start. */
static int parse_account(const char *key, char *out, const char *v, char *err,
			 size_t errlen)
{
	size_t len = strlen(v);

	if (len == 0 || len >= CONFIG_USER_MAX || v[0] == '-')
		return fail(err, errlen,
			    "bad %s \"%.*s\": must be a name or number of 1 "
			    "to %d characters",
			    key, CONFIG_QUOTE_MAX, v, CONFIG_USER_MAX - 1);
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.')
			return fail(err, errlen,
				    "bad %s \"%.*s\": only letters, digits, "
				    "'-', '_' and '.'",
				    key, CONFIG_QUOTE_MAX, v);
	memcpy(out, v, len + 1);
	return 0;
}

static int parse_run_user(struct config *cfg, const char *v, char *err,
			  size_t errlen)
{
	return parse_account("user", cfg->user, v, err, errlen);
}

static int parse_run_group(struct config *cfg, const char *v, char *err,
			   size_t errlen)
{
	return parse_account("group", cfg->group, v, err, errlen);
}

/* log_priority_prefix = auto | yes | no */
static int parse_log_prefix(struct config *cfg, const char *v, char *err,
			    size_t errlen)
{
	if (strcmp(v, "auto") == 0)
		cfg->log_prefix = LOG_PREFIX_AUTO;
	else if (strcmp(v, "yes") == 0)
		cfg->log_prefix = LOG_PREFIX_YES;
	else if (strcmp(v, "no") == 0)
		cfg->log_prefix = LOG_PREFIX_NO;
	else
		return fail(err, errlen,
			    "bad log_priority_prefix \"%.*s\": must be auto, "
			    "yes or no",
			    CONFIG_QUOTE_MAX, v);
	return 0;
}

static const struct {
	const char *name;
	int level;
} log_levels[] = {
    {"err", LOG_ERR},	{"warning", LOG_WARNING}, {"notice", LOG_NOTICE},
    {"info", LOG_INFO}, {"debug", LOG_DEBUG},
};

static int parse_log_level(struct config *cfg, const char *v, char *err,
			   size_t errlen)
{
	for (size_t i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++)
		if (strcmp(v, log_levels[i].name) == 0) {
			cfg->log_level = log_levels[i].level;
			return 0;
		}
	return fail(err, errlen,
		    "bad log_level \"%.*s\": must be debug, info, notice, "
		    "warning or err",
		    CONFIG_QUOTE_MAX, v);
}

/* Parses "xx:xx:xx:xx:xx:xx", exactly. */
static int parse_mac(const char *v, uint8_t mac[6])
{
	if (strlen(v) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		const char *p = v + 3 * i;
		unsigned byte = 0;

		if (i < 5 && p[2] != ':')
			return -EINVAL;
		for (int j = 0; j < 2; j++) {
			int c = tolower((unsigned char)p[j]);

			if (c >= '0' && c <= '9')
				byte = byte * 16 + (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				byte = byte * 16 + (unsigned)(c - 'a' + 10);
			else
				return -EINVAL;
		}
		mac[i] = (uint8_t)byte;
	}
	return 0;
}

static int parse_if_mac(struct config_interface *ifc, const char *v, char *err,
			size_t errlen)
{
	static const uint8_t zero[6];
	uint8_t mac[6];

	if (parse_mac(v, mac) < 0)
		return fail(err, errlen,
			    "bad mac \"%.*s\": must be six hex pairs, "
			    "xx:xx:xx:xx:xx:xx",
			    CONFIG_QUOTE_MAX, v);
	if (mac[0] & 1)
		return fail(err, errlen,
			    "bad mac \"%s\": a multicast address (the first "
			    "octet is odd)",
			    v);
	if (memcmp(mac, zero, 6) == 0)
		return fail(err, errlen, "bad mac \"%s\": all zeros", v);
	memcpy(ifc->mac, mac, 6);
	ifc->has_mac = true;
	return 0;
}

static int parse_if_mtu(struct config_interface *ifc, const char *v, char *err,
			size_t errlen)
{
	uint64_t mtu;

	if (parse_uint(v, CONFIG_MTU_MIN, CONFIG_MTU_MAX, &mtu) < 0)
		return fail(err, errlen, "bad mtu \"%.*s\": must be %u to %u",
			    CONFIG_QUOTE_MAX, v, CONFIG_MTU_MIN,
			    CONFIG_MTU_MAX);
	ifc->mtu = (uint32_t)mtu;
	ifc->mtu_set = true;
	return 0;
}

/* Parses yes or no for `key`. */
static int parse_yes_no(const char *key, const char *v, bool *out, char *err,
			size_t errlen)
{
	if (strcmp(v, "yes") == 0)
		*out = true;
	else if (strcmp(v, "no") == 0)
		*out = false;
	else
		return fail(err, errlen, "bad %s \"%.*s\": must be yes or no",
			    key, CONFIG_QUOTE_MAX, v);
	return 0;
}

static int parse_if_dhcp(struct config_interface *ifc, const char *v, char *err,
			 size_t errlen)
{
	return parse_yes_no("dhcp", v, &ifc->dhcp, err, errlen);
}

static int parse_if_release(struct config_interface *ifc, const char *v,
			    char *err, size_t errlen)
{
	return parse_yes_no("release", v, &ifc->release, err, errlen);
}

static int parse_if_arp_check(struct config_interface *ifc, const char *v,
			      char *err, size_t errlen)
{
	return parse_yes_no("arp_check", v, &ifc->arp_check, err, errlen);
}

static int hex_digit(char c)
{
	int l = tolower((unsigned char)c);

	if (l >= '0' && l <= '9')
		return l - '0';
	if (l >= 'a' && l <= 'f')
		return l - 'a' + 10;
	return -1;
}

/* client_id = mac | duid | hex:XX:XX...: option 61. Hex gives the whole
 * option as sent (its first byte the type), 2 to DHCP_CLIENT_ID_MAX
 * bytes (RFC 2132 9.14: at least 2), as pairs of hex digits with or
 * without ':' between them (64 bytes with colons do not fit a line). */
static int parse_if_client_id(struct config_interface *ifc, const char *v,
			      char *err, size_t errlen)
{
	const char *p = v + 4;
	size_t n = 0;

	if (strcmp(v, "mac") == 0) {
		ifc->client_id_kind = CLIENT_ID_MAC;
		return 0;
	}
	if (strcmp(v, "duid") == 0) {
		ifc->client_id_kind = CLIENT_ID_DUID;
		return 0;
	}
	if (strncmp(v, "hex:", 4) != 0)
		return fail(err, errlen,
			    "bad client_id \"%.*s\": must be mac, duid or "
			    "hex:XX:XX:...",
			    CONFIG_QUOTE_MAX, v);
	for (;;) {
		int hi = hex_digit(p[0]), lo = hi < 0 ? -1 : hex_digit(p[1]);

		if (lo < 0)
			return fail(err, errlen,
				    "bad client_id \"%.*s\": hex pairs, may "
				    "be separated by ':', after hex:",
				    CONFIG_QUOTE_MAX, v);
		if (n == DHCP_CLIENT_ID_MAX)
			return fail(err, errlen,
				    "bad client_id \"%.*s...\": more than %d "
				    "bytes",
				    CONFIG_QUOTE_MAX, v, DHCP_CLIENT_ID_MAX);
		ifc->client_id[n++] = (uint8_t)(hi * 16 + lo);
		p += 2;
		if (*p == '\0')
			break;
		if (*p == ':' && p[1] != '\0')
			p++;
		else if (hex_digit(*p) < 0)
			return fail(err, errlen,
				    "bad client_id \"%.*s\": hex pairs, may "
				    "be separated by ':', after hex:",
				    CONFIG_QUOTE_MAX, v);
	}
	if (n < 2)
		return fail(err, errlen,
			    "bad client_id \"%.*s\": at least 2 bytes (a type "
			    "and a value)",
			    CONFIG_QUOTE_MAX, v);
	ifc->client_id_kind = CLIENT_ID_HEX;
	ifc->client_id_len = (uint8_t)n;
	return 0;
}

/* hostname = NAME | none: option 12. A host name of RFC 1123: labels of
 * letters, digits and '-' (not at a label's ends), joined by dots. */
static int parse_if_hostname(struct config_interface *ifc, const char *v,
			     char *err, size_t errlen)
{
	size_t len = strlen(v), label = 0;

	if (strcmp(v, "none") == 0) {
		ifc->hostname_set = true;
		ifc->hostname[0] = '\0';
		return 0;
	}
	if (len == 0 || len >= sizeof(ifc->hostname))
		return fail(err, errlen,
			    "bad hostname \"%.*s\": must be 1 to %zu "
			    "characters, or none",
			    CONFIG_QUOTE_MAX, v, sizeof(ifc->hostname) - 1);
	for (size_t i = 0; i <= len; i++) {
		char c = v[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || v[i - 1] == '-')
				goto bad;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-')
			goto bad;
		if (c == '-' && label == 0)
			goto bad;
		label++;
	}
	ifc->hostname_set = true;
	memcpy(ifc->hostname, v, len + 1);
	return 0;
bad:
	return fail(err, errlen,
		    "bad hostname \"%.*s\": labels of letters, digits and "
		    "'-' joined by '.', or none",
		    CONFIG_QUOTE_MAX, v);
}

static int parse_if_metric(struct config_interface *ifc, const char *v,
			   char *err, size_t errlen)
{
	uint64_t m;

	if (parse_uint(v, 0, UINT32_MAX, &m) < 0)
		return fail(err, errlen, "bad metric \"%.*s\": must be 0 to %u",
			    CONFIG_QUOTE_MAX, v, UINT32_MAX);
	ifc->metric = (uint32_t)m;
	return 0;
}

static int parse_if_offload(struct config_interface *ifc, const char *v,
			    char *err, size_t errlen)
{
	return parse_yes_no("offload", v, &ifc->offload, err, errlen);
}

static int parse_if_address(struct config_interface *ifc, const char *v,
			    char *err, size_t errlen)
{
	char buf[32];
	const char *slash = strchr(v, '/');
	size_t addr_len = slash ? (size_t)(slash - v) : strlen(v);
	uint64_t prefix_len;
	uint32_t addr, mask;
	const char *why;

	if (!slash)
		return fail(err, errlen,
			    "bad address \"%.*s\": missing /prefix "
			    "(a.b.c.d/prefix)",
			    CONFIG_QUOTE_MAX, v);
	if (addr_len >= sizeof(buf))
		goto bad;
	memcpy(buf, v, addr_len);
	buf[addr_len] = '\0';
	if (parse_ipv4(buf, &addr) < 0)
		goto bad;
	if (parse_uint(slash + 1, 1, 32, &prefix_len) < 0)
		return fail(err, errlen,
			    "bad address \"%.*s\": prefix must be 1 to 32",
			    CONFIG_QUOTE_MAX, v);
	why = ipv4_not_unicast(addr);
	if (why)
		return fail(err, errlen, "bad address \"%s\": %s", v, why);
	mask = prefix_mask((uint8_t)prefix_len);
	if (prefix_len <= 30 && (addr & ~mask) == 0)
		return fail(err, errlen,
			    "bad address \"%s\": the subnet's network address",
			    v);
	if (prefix_len <= 30 && (addr & ~mask) == ~mask)
		return fail(
		    err, errlen,
		    "bad address \"%s\": the subnet's broadcast address", v);
	ifc->addr = addr;
	ifc->prefix_len = (uint8_t)prefix_len;
	return 0;
bad:
	return fail(err, errlen, "bad address \"%.*s\"", CONFIG_QUOTE_MAX, v);
}

static int parse_if_gateway(struct config_interface *ifc, const char *v,
			    char *err, size_t errlen)
{
	uint32_t gw;
	const char *why;

	if (parse_ipv4(v, &gw) < 0)
		return fail(err, errlen, "bad gateway \"%.*s\"",
			    CONFIG_QUOTE_MAX, v);
	why = ipv4_not_unicast(gw);
	if (why)
		return fail(err, errlen, "bad gateway \"%s\": %s", v, why);
	ifc->gateway = gw;
	return 0;
}

static int parse_if_dns(struct config_interface *ifc, const char *v, char *err,
			size_t errlen)
{
	const char *p = v;
	int n = 0;

	while (*p) {
		char buf[32];
		size_t len = strcspn(p, ", \t");
		uint32_t a;
		const char *why;

		if (len == 0) {
			p++;
			continue;
		}
		if (n == CONFIG_DNS_MAX)
			return fail(err, errlen,
				    "bad dns \"%.*s\": at most %d servers",
				    CONFIG_QUOTE_MAX, v, CONFIG_DNS_MAX);
		if (len >= sizeof(buf) || (memcpy(buf, p, len), buf[len] = '\0',
					   parse_ipv4(buf, &a) < 0))
			return fail(err, errlen, "bad dns server \"%.*s\"",
				    (int)(len < CONFIG_QUOTE_MAX
					      ? len
					      : CONFIG_QUOTE_MAX),
				    p);
		why = ipv4_not_unicast(a);
		if (why)
			return fail(err, errlen, "bad dns server \"%s\": %s",
				    buf, why);
		ifc->dns[n++] = a;
		p += len;
	}
	if (n == 0)
		return fail(err, errlen, "bad dns \"\": no server given");
	ifc->ndns = n;
	return 0;
}

/* ---- [limits] ------------------------------------------------------- */

/* One tunable of struct stack_limits: its key, where it lives, its
 * bounds and the factor from the file's unit to the struct's. */
struct limit_key {
	const char *name;
	size_t offset;
	bool is_u64;
	uint64_t min, max;
	uint64_t scale;
};

#define LIMIT32(field, lo, hi)                                                 \
	{                                                                      \
#field, offsetof(struct stack_limits, field), false, lo, hi, 1 \
	}

static const struct limit_key limit_keys[] = {
    LIMIT32(arp_cache_max, 1, 65536),
    LIMIT32(arp_hold_max, 1, 1024),
    LIMIT32(reasm_datagrams_max, 1, 4096),
    LIMIT32(reasm_frags_max, 1, 8192),
    LIMIT32(reasm_bytes_max, 1, 64u << 20),
    {"reasm_timeout_ms", offsetof(struct stack_limits, reasm_timeout_ns), true,
     1, 120000, 1000000},
    LIMIT32(udp_sockets_max, 1, 65536),
    LIMIT32(udp_rcvq_max, 1, 65536),
    LIMIT32(udp_rcvq_bytes_max, 1, 64u << 20),
    LIMIT32(pkt_small_max, 16, 262144),
    LIMIT32(pkt_large_max, 1, 4096),
    LIMIT32(icmp_error_rate, 0, 100000),
    LIMIT32(icmp_error_burst, 0, 100000),
    LIMIT32(icmp_echo_max, 1, 65536),
};

#define LIMIT_KEYS (sizeof(limit_keys) / sizeof(limit_keys[0]))
_Static_assert(LIMIT_KEYS <= 32, "seen_keys has a bit per key");

/* [tcp]: µTCP's tunables, also fields of struct stack_limits. The
 * congestion controller, the port range, hystart and prr (yes or no)
 * are the keys that are not a number. */
static const struct limit_key tcp_keys[] = {
    {"conns_max", offsetof(struct stack_limits, tcp_conns_max), false, 1,
     1u << 20, 1},
    {"listeners_max", offsetof(struct stack_limits, tcp_listeners_max), false,
     1, 4096, 1},
    {"syn_backlog", offsetof(struct stack_limits, tcp_syn_backlog), false, 0,
     65536, 1},
    {"syn_turn_budget", offsetof(struct stack_limits, tcp_syn_turn_budget),
     false, 0, 65536, 1},
    {"send_chunks_max", offsetof(struct stack_limits, tcp_chunks_max), false,
     16, 1u << 20, 1},
    {"send_chunks_reserve", offsetof(struct stack_limits, tcp_chunks_reserve),
     false, 0, 1u << 18, 1},
    {"sndbuf", offsetof(struct stack_limits, tcp_sndbuf), false, 2048,
     64u << 20, 1},
    {"rcvbuf", offsetof(struct stack_limits, tcp_rcvbuf), false, 2048,
     64u << 20, 1},
    {"rcvbuf_max", offsetof(struct stack_limits, tcp_rcvbuf_max), false, 0,
     64u << 20, 1},
    {"keepidle_s", offsetof(struct stack_limits, tcp_keepidle_s), false, 1,
     30u * 86400, 1},
    {"keepintvl_s", offsetof(struct stack_limits, tcp_keepintvl_s), false, 1,
     86400, 1},
    {"keepcnt", offsetof(struct stack_limits, tcp_keepcnt), false, 1, 255, 1},
    {"orphans_max", offsetof(struct stack_limits, tcp_orphans_max), false, 0,
     1u << 20, 1},
    {"orphan_retries", offsetof(struct stack_limits, tcp_orphan_retries), false,
     1, 255, 1},
    {"challenge_ack_limit",
     offsetof(struct stack_limits, tcp_challenge_ack_limit), false, 0, 1u << 20,
     1},
};

#define TCP_NUM_KEYS (sizeof(tcp_keys) / sizeof(tcp_keys[0]))
/* and "congestion", "local_port_range", "hystart", "prr" */
#define TCP_KEYS (TCP_NUM_KEYS + 4)

/* local_port_range = FIRST LAST: the ephemeral ports of connects, as
 * Linux's ip_local_port_range (1 to 65535, FIRST <= LAST). */
static int parse_port_range(struct stack_limits *lim, const char *v, char *err,
			    size_t errlen)
{
	char first[8], last[8];
	uint64_t a, b;
	int n = 0;

	if (sscanf(v, "%7[0-9] %7[0-9]%n", first, last, &n) != 2 ||
	    v[n] != '\0' || parse_uint(first, 1, 65535, &a) < 0 ||
	    parse_uint(last, a, 65535, &b) < 0)
		return fail(err, errlen,
			    "bad local_port_range \"%.*s\": two ports, "
			    "the first no greater than the last",
			    CONFIG_QUOTE_MAX, v);
	lim->tcp_port_first = (uint32_t)a;
	lim->tcp_port_last = (uint32_t)b;
	return 0;
}

static int parse_congestion(struct stack_limits *lim, const char *v, char *err,
			    size_t errlen)
{
	if (strcmp(v, "cubic") == 0)
		lim->tcp_cubic = true;
	else if (strcmp(v, "newreno") == 0)
		lim->tcp_cubic = false;
	else
		return fail(err, errlen,
			    "bad congestion \"%.*s\": cubic or newreno",
			    CONFIG_QUOTE_MAX, v);
	return 0;
}

/* Parses the value of key k into the struct at `base` (a struct
 * stack_limits or struct config_control). */
static int parse_limit(void *base, const struct limit_key *k, const char *v,
		       char *err, size_t errlen)
{
	uint64_t n;
	char *field = (char *)base + k->offset;

	if (parse_uint(v, k->min, k->max, &n) < 0)
		return fail(err, errlen,
			    "bad %s \"%.*s\": must be %llu to %llu", k->name,
			    CONFIG_QUOTE_MAX, v, (unsigned long long)k->min,
			    (unsigned long long)k->max);
	n *= k->scale;
	if (k->is_u64) {
		memcpy(field, &n, sizeof(n));
	} else {
		uint32_t n32 = (uint32_t)n;

		memcpy(field, &n32, sizeof(n32));
	}
	return 0;
}

/* [control]: the control server's limits (struct config_control). The
 * privileged group is the one key that is not a number. */
#define CONTROL32(field, lo, hi)                                               \
	{                                                                      \
#field, offsetof(struct config_control, field), false, lo, hi, \
		    1                                                          \
	}

static const struct limit_key control_keys[] = {
    CONTROL32(clients_max, 1, 65536),
    CONTROL32(clients_per_uid, 1, 65536),
    CONTROL32(hello_timeout_ms, 1, 600000),
    CONTROL32(udp_per_client, 1, 65536),
    CONTROL32(udp_per_uid, 1, 65536),
    CONTROL32(listeners_per_client, 1, 4096),
    CONTROL32(listeners_per_uid, 1, 4096),
    CONTROL32(connections_max, 1, 1u << 20),
    CONTROL32(connections_per_client, 1, 1u << 20),
    CONTROL32(connections_per_uid, 1, 1u << 20),
    CONTROL32(captures_max, 1, 16),			   /* CAPTURE_SLOTS */
    CONTROL32(capture_queue_bytes, 64u << 10, 256u << 20), /* capture.h */
};

#define CONTROL_NUM_KEYS (sizeof(control_keys) / sizeof(control_keys[0]))
/* and "privileged_group", "listen_groups" */
#define CONTROL_KEYS (CONTROL_NUM_KEYS + 2)

/* A group `v`, a name or a number, of key `key` into *gid. */
static int parse_group(const char *key, const char *v, gid_t *gid, char *err,
		       size_t errlen)
{
	struct group gr, *found = NULL;
	char buf[4096];
	uint64_t n;

	if (parse_uint(v, 0, UINT32_MAX - 1, &n) == 0) {
		*gid = (gid_t)n;
	} else if (getgrnam_r(v, &gr, buf, sizeof(buf), &found) == 0 && found) {
		*gid = found->gr_gid;
	} else {
		return fail(err, errlen, "bad %s \"%.*s\": no such group", key,
			    CONFIG_QUOTE_MAX, v);
	}
	return 0;
}

static int parse_privileged_group(struct config_control *cc, const char *v,
				  char *err, size_t errlen)
{
	if (parse_group("privileged_group", v, &cc->privileged_group, err,
			errlen) < 0)
		return -EINVAL;
	cc->has_privileged_group = true;
	return 0;
}

/* listen_groups: one to CONFIG_LISTEN_GROUPS_MAX groups (names or
 * numbers) separated by white space. */
static int parse_listen_groups(struct config_control *cc, const char *v,
			       char *err, size_t errlen)
{
	char word[256];
	uint32_t n = 0;

	while (*v) {
		size_t len = strcspn(v, " \t");

		if (len == 0) {
			v++;
			continue;
		}
		if (n == CONFIG_LISTEN_GROUPS_MAX)
			return fail(err, errlen,
				    "bad listen_groups: more than %d groups",
				    CONFIG_LISTEN_GROUPS_MAX);
		if (len >= sizeof(word))
			return fail(err, errlen,
				    "bad listen_groups \"%.*s...\": no such "
				    "group",
				    CONFIG_QUOTE_MAX, v);
		memcpy(word, v, len);
		word[len] = '\0';
		if (parse_group("listen_groups", word, &cc->listen_groups[n],
				err, errlen) < 0)
			return -EINVAL;
		n++;
		v += len;
	}
	if (n == 0)
		return fail(err, errlen,
			    "bad listen_groups: no group (leave the key out "
			    "to let anyone listen)");
	cc->nlisten_groups = n;
	return 0;
}

/* ---- [dns] and [hosts] ---------------------------------------------- */

/* [dns]: the resolver's limits (struct dns_limits), in the file's
 * units; "search" is the one key that is not a number. */
#define DNS32(key, field, lo, hi)                                              \
	{                                                                      \
		key, offsetof(struct dns_limits, field), false, lo, hi, 1      \
	}

static const struct limit_key dns_keys[] = {
    DNS32("cache_max", cache_max, 0, 65536),
    DNS32("ttl_max", ttl_max_s, 1, 604800),
    DNS32("negative_ttl_max", negative_ttl_max_s, 0, 86400),
    DNS32("queries_max", queries_max, 1, 4096),
    DNS32("lookups_max", lookups_max, 1, 65536),
    DNS32("client_lookups_max", owner_lookups_max, 1, 65536),
    DNS32("timeout_ms", timeout_ms, 1, DNS_TIMEOUT_MAX_MS),
    DNS32("attempts", attempts, 1, 5),
    DNS32("ndots", ndots, 0, 15),
};

#define DNS_NUM_KEYS (sizeof(dns_keys) / sizeof(dns_keys[0]))
#define DNS_KEYS     (DNS_NUM_KEYS + 1) /* and "search" */

/* Checks a domain or host name (dns_name_check(), not the root) and
 * copies it without its trailing dot into out (DNS_NAME_MAX bytes).
 * Returns 0 or -EINVAL. */
static int parse_dns_name(const char *s, size_t len, char *out)
{
	char buf[DNS_NAME_MAX + 1];

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (dns_name_check(buf) < 0)
		return -EINVAL;
	if (buf[len - 1] == '.')
		buf[--len] = '\0';
	if (len == 0 || len >= DNS_NAME_MAX)
		return -EINVAL; /* the root */
	memcpy(out, buf, len + 1);
	return 0;
}

/* search = none | DOMAIN [DOMAIN ...] (spaces or commas between). */
static int parse_dns_search(struct config_dns *cd, const char *v, char *err,
			    size_t errlen)
{
	const char *p = v;
	uint8_t n = 0;

	if (strcmp(v, "none") == 0) {
		cd->search_set = true;
		cd->nsearch = 0;
		return 0;
	}
	while (*p) {
		size_t len = strcspn(p, ", \t");

		if (len == 0) {
			p++;
			continue;
		}
		if (n == DNS_SEARCH_MAX)
			return fail(err, errlen,
				    "bad search \"%.*s\": at most %d domains",
				    CONFIG_QUOTE_MAX, v, DNS_SEARCH_MAX);
		if (parse_dns_name(p, len, cd->search[n]) < 0)
			return fail(err, errlen, "bad search domain \"%.*s\"",
				    (int)(len < CONFIG_QUOTE_MAX
					      ? len
					      : CONFIG_QUOTE_MAX),
				    p);
		n++;
		p += len;
	}
	if (n == 0)
		return fail(err, errlen,
			    "bad search \"\": no domain given (none for an "
			    "empty list)");
	cd->search_set = true;
	cd->nsearch = n;
	return 0;
}

/* [hosts] NAME = ADDR [ADDR ...]: IPv4 or IPv6 addresses, spaces or
 * commas between. Fills *h. */
static int parse_host(struct config_host *h, const char *name, const char *v,
		      char *err, size_t errlen)
{
	const char *p = v;
	uint8_t n = 0;

	memset(h, 0, sizeof(*h));
	if (parse_dns_name(name, strlen(name), h->name) < 0)
		return fail(err, errlen, "bad host name \"%.*s\"",
			    CONFIG_QUOTE_MAX, name);
	while (*p) {
		char buf[INET6_ADDRSTRLEN + 1];
		size_t len = strcspn(p, ", \t");
		struct dns_addr *a = &h->addrs[n];

		if (len == 0) {
			p++;
			continue;
		}
		if (n == DNS_HOST_ADDRS_MAX)
			return fail(err, errlen,
				    "bad host %s: at most %d addresses",
				    h->name, DNS_HOST_ADDRS_MAX);
		if (len < sizeof(buf)) {
			memcpy(buf, p, len);
			buf[len] = '\0';
		}
		if (len < sizeof(buf) && inet_pton(AF_INET, buf, a->addr) == 1)
			a->family = 4;
		else if (len < sizeof(buf) &&
			 inet_pton(AF_INET6, buf, a->addr) == 1)
			a->family = 6;
		else
			return fail(
			    err, errlen, "bad address \"%.*s\" for host %s",
			    (int)(len < CONFIG_QUOTE_MAX ? len
							 : CONFIG_QUOTE_MAX),
			    p, h->name);
		n++;
		p += len;
	}
	if (n == 0)
		return fail(err, errlen, "bad host %s: no address given",
			    h->name);
	h->naddrs = n;
	return 0;
}

/* One line of [hosts]: a new entry, unless the name has one. Records
 * an error and returns 0, or returns 1. */
static int hosts_line(struct parse_state *st, const char *key,
		      const char *value);
static void key_line_note(struct parse_state *st, const char *key);

/* ---- keys of [daemon] and [interface NAME] --------------------------- */

enum daemon_key {
	DAEMON_NAME,
	DAEMON_SOCKET,
	DAEMON_SOCKET_MODE,
	DAEMON_LOG,
	DAEMON_LOG_LEVEL,
	DAEMON_STATE_DIR,
	DAEMON_LOG_SERVER,
	DAEMON_BUSY_POLL_US,
	DAEMON_SOCKET_OWNER,
	DAEMON_SOCKET_GROUP,
	DAEMON_USER,
	DAEMON_GROUP,
	DAEMON_LOG_PRIORITY_PREFIX,
	DAEMON_KEYS
};

static const struct {
	const char *name;
	int (*parse)(struct config *cfg, const char *v, char *err,
		     size_t errlen);
} daemon_keys[DAEMON_KEYS] = {
    [DAEMON_NAME] = {"name", parse_name},
    [DAEMON_SOCKET] = {"socket", parse_socket},
    [DAEMON_SOCKET_MODE] = {"socket_mode", parse_socket_mode},
    [DAEMON_LOG] = {"log", parse_log},
    [DAEMON_LOG_LEVEL] = {"log_level", parse_log_level},
    [DAEMON_STATE_DIR] = {"state_dir", parse_state_dir},
    [DAEMON_LOG_SERVER] = {"log_server", parse_log_server},
    [DAEMON_BUSY_POLL_US] = {"busy_poll_us", parse_busy_poll_us},
    [DAEMON_SOCKET_OWNER] = {"socket_owner", parse_socket_owner},
    [DAEMON_SOCKET_GROUP] = {"socket_group", parse_socket_group},
    [DAEMON_USER] = {"user", parse_run_user},
    [DAEMON_GROUP] = {"group", parse_run_group},
    [DAEMON_LOG_PRIORITY_PREFIX] = {"log_priority_prefix", parse_log_prefix},
};

enum interface_key {
	IF_MAC,
	IF_MTU,
	IF_DHCP,
	IF_ADDRESS,
	IF_GATEWAY,
	IF_DNS,
	IF_OFFLOAD,
	IF_CLIENT_ID,
	IF_HOSTNAME,
	IF_RELEASE,
	IF_ARP_CHECK,
	IF_METRIC,
	IF_KEYS
};

/* config_handler() looks keys up in one array, as long as any
 * section's table may be. */
#define SECTION_KEYS_MAX 32 /* seen_keys has a bit per key */
_Static_assert(DAEMON_KEYS <= SECTION_KEYS_MAX && IF_KEYS <= SECTION_KEYS_MAX &&
		   TCP_KEYS <= SECTION_KEYS_MAX &&
		   CONTROL_KEYS <= SECTION_KEYS_MAX &&
		   LIMIT_KEYS <= SECTION_KEYS_MAX &&
		   DNS_KEYS <= SECTION_KEYS_MAX,
	       "names[] holds every section's keys");

static const struct {
	const char *name;
	int (*parse)(struct config_interface *ifc, const char *v, char *err,
		     size_t errlen);
} interface_keys[IF_KEYS] = {
    [IF_MAC] = {"mac", parse_if_mac},
    [IF_MTU] = {"mtu", parse_if_mtu},
    [IF_DHCP] = {"dhcp", parse_if_dhcp},
    [IF_ADDRESS] = {"address", parse_if_address},
    [IF_GATEWAY] = {"gateway", parse_if_gateway},
    [IF_DNS] = {"dns", parse_if_dns},
    [IF_OFFLOAD] = {"offload", parse_if_offload},
    [IF_CLIENT_ID] = {"client_id", parse_if_client_id},
    [IF_HOSTNAME] = {"hostname", parse_if_hostname},
    [IF_RELEASE] = {"release", parse_if_release},
    [IF_ARP_CHECK] = {"arp_check", parse_if_arp_check},
    [IF_METRIC] = {"metric", parse_if_metric},
};

/* ---- the parse state ------------------------------------------------- */

static void config_error_at(struct parse_state *st, int line, const char *fmt,
			    ...) __attribute__((format(printf, 3, 4)));

/* Records an error at `line` unless one at an earlier line is known. */
static void config_error_at(struct parse_state *st, int line, const char *fmt,
			    ...)
{
	va_list ap;

	if (st->err_line && st->err_line <= line)
		return;
	st->err_line = line;
	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
}

/* Is `name` acceptable to the kernel as a network device name? */
static const char *ifname_problem(const char *name, size_t len)
{
	if (len == 0)
		return "no interface name";
	if (len >= STACK_IF_NAME_MAX)
		return "interface name longer than 15 characters";
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return "bad interface name";
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == ':' ||
		    isspace((unsigned char)name[i]) ||
		    !isprint((unsigned char)name[i]))
			return "bad interface name";
	return NULL;
}

/* The sections without a name, each at most once. */
static const struct {
	const char *name;
	enum section_kind kind;
	size_t line_offset; /* where parse_state keeps its line */
} sections[] = {
    {"daemon", SECTION_DAEMON, offsetof(struct parse_state, daemon_line)},
    {"limits", SECTION_LIMITS, offsetof(struct parse_state, limits_line)},
    {"tcp", SECTION_TCP, offsetof(struct parse_state, tcp_line)},
    {"control", SECTION_CONTROL, offsetof(struct parse_state, control_line)},
    {"dns", SECTION_DNS, offsetof(struct parse_state, dns_line)},
    {"hosts", SECTION_HOSTS, offsetof(struct parse_state, hosts_line)},
};

/* Opens the section named by the header `text` (what is between the
 * brackets), at the current line. */
static void section_begin(struct parse_state *st, char *text)
{
	struct config *cfg = st->cfg;
	size_t len;
	char *name;
	const char *why;

	st->kind = SECTION_INVALID;
	st->iface = NULL;
	st->seen_keys = 0;

	/* Trim, so that "[ daemon ]" means "[daemon]". */
	while (isspace((unsigned char)*text))
		text++;
	len = strlen(text);
	while (len && isspace((unsigned char)text[len - 1]))
		text[--len] = '\0';

	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		int *line = (int *)((char *)st + sections[i].line_offset);

		if (strcmp(text, sections[i].name) != 0)
			continue;
		if (*line) {
			config_error_at(st, st->lineno,
					"duplicate section [%s] (first at "
					"line %d)",
					sections[i].name, *line);
			return;
		}
		*line = st->lineno;
		st->kind = sections[i].kind;
		return;
	}
	if (strncmp(text, "interface", 9) != 0 ||
	    (text[9] != '\0' && !isspace((unsigned char)text[9]))) {
		config_error_at(st, st->lineno, "unknown section [%.*s]",
				CONFIG_QUOTE_MAX, text);
		return;
	}

	name = text + 9;
	while (isspace((unsigned char)*name))
		name++;
	len = strlen(name);
	why = ifname_problem(name, len);
	if (why) {
		config_error_at(st, st->lineno,
				"%s in [%.*s] (expected [interface NAME])", why,
				CONFIG_QUOTE_MAX, text);
		return;
	}
	for (int i = 0; i < cfg->nifs; i++)
		if (strcmp(cfg->ifs[i].name, name) == 0) {
			config_error_at(st, st->lineno,
					"duplicate interface %s (first at line "
					"%d)",
					name, cfg->ifs[i].line);
			return;
		}
	if (cfg->nifs == STACK_IF_MAX) {
		config_error_at(st, st->lineno,
				"too many interfaces (at most %d)",
				STACK_IF_MAX);
		return;
	}

	st->iface = &cfg->ifs[cfg->nifs];
	memset(st->iface, 0, sizeof(*st->iface));
	memcpy(st->iface->name, name, len + 1);
	st->iface->mtu = CONFIG_DEFAULT_MTU;
	st->iface->dhcp = true;
	st->iface->offload = true;
	st->iface->release = true;
	st->iface->arp_check = true;
	st->iface->line = st->lineno;
	memset(&st->lines[cfg->nifs], 0, sizeof(st->lines[0]));
	cfg->nifs++;
	st->kind = SECTION_INTERFACE;
}

/*
 * inih's line reader (fgets-shaped): reads one line, counts it, and
 * gives inih a normalised copy: no leading white space, comment lines
 * as empty lines. Opens sections as their headers go past.
 */
static char *config_reader(char *str, int num, void *stream)
{
	struct parse_state *st = stream;
	size_t len, skip = 0;
	bool complete;

	if (!fgets(str, num, st->fp))
		return NULL;
	st->lineno++;
	len = strlen(str);
	complete = len > 0 && str[len - 1] == '\n';
	if (!complete) {
		/* The buffer is full, or this is the last line without a
		 * newline: look at what follows, and skip the rest of a
		 * line too long for the buffer. */
		int c = fgetc(st->fp);

		complete = c == EOF || c == '\n';
		while (c != EOF && c != '\n')
			c = fgetc(st->fp);
	}

	if (st->lineno == 1 && strncmp(str, "\xef\xbb\xbf", 3) == 0)
		skip = 3;
	while (skip < len && isspace((unsigned char)str[skip]))
		skip++;
	memmove(str, str + skip, len - skip + 1);

	if (str[0] == ';' || str[0] == '#') {
		str[0] = '\0';
		return str;
	}
	if (!complete) {
		config_error_at(st, st->lineno,
				"line too long (at most %d characters)",
				num - 2);
		str[0] = '\0';
		return str;
	}
	if (str[0] == '[') {
		/* As inih: the header ends at ']'; anything after it is
		 * ignored. A header without ']' is a syntax error. */
		char *end = strchr(str + 1, ']');

		if (!end) {
			config_error_at(st, st->lineno,
					"section header without ']'");
			/* Skip the keys that follow: they belong nowhere. */
			st->kind = SECTION_INVALID;
			return str;
		}
		*end = '\0';
		section_begin(st, str + 1);
		*end = ']';
	}
	return str;
}

static int lookup(const char *key, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(key, names[i]) == 0)
			return i;
	return -1;
}

/* inih's handler: one key = value of the current section. Returns 1,
 * or 0 after recording an error. */
static int config_handler(void *user, const char *section, const char *key,
			  const char *value)
{
	struct parse_state *st = user;
	char reason[CONFIG_ERR_MAX - 64];
	const char *names[SECTION_KEYS_MAX];
	int k = -1, rc = 0;

	(void)section; /* the reader tracks the section */
	switch (st->kind) {
	case SECTION_NONE:
		config_error_at(st, st->lineno,
				"key \"%.*s\" outside a section",
				CONFIG_QUOTE_MAX, key);
		return 0;
	case SECTION_INVALID:
		return 1; /* its header was reported */
	case SECTION_DAEMON:
		for (k = 0; k < DAEMON_KEYS; k++)
			names[k] = daemon_keys[k].name;
		k = lookup(key, names, DAEMON_KEYS);
		if (k < 0)
			break;
		if (st->seen_keys & (1u << k))
			goto duplicate;
		rc = daemon_keys[k].parse(st->cfg, value, reason,
					  sizeof(reason));
		break;
	case SECTION_LIMITS:
		for (k = 0; k < (int)LIMIT_KEYS; k++)
			names[k] = limit_keys[k].name;
		k = lookup(key, names, (int)LIMIT_KEYS);
		if (k < 0)
			break;
		if (st->seen_keys & (1u << k))
			goto duplicate;
		rc = parse_limit(&st->cfg->limits, &limit_keys[k], value,
				 reason, sizeof(reason));
		break;
	case SECTION_TCP:
		for (k = 0; k < (int)TCP_NUM_KEYS; k++)
			names[k] = tcp_keys[k].name;
		names[TCP_NUM_KEYS] = "congestion";
		names[TCP_NUM_KEYS + 1] = "local_port_range";
		names[TCP_NUM_KEYS + 2] = "hystart";
		names[TCP_NUM_KEYS + 3] = "prr";
		k = lookup(key, names, (int)TCP_KEYS);
		if (k < 0)
			break;
		if (st->seen_keys & (1u << k))
			goto duplicate;
		if (k == (int)TCP_NUM_KEYS)
			rc = parse_congestion(&st->cfg->limits, value, reason,
					      sizeof(reason));
		else if (k == (int)TCP_NUM_KEYS + 1)
			rc = parse_port_range(&st->cfg->limits, value, reason,
					      sizeof(reason));
		else if (k == (int)TCP_NUM_KEYS + 2)
			rc = parse_yes_no("hystart", value,
					  &st->cfg->limits.tcp_hystart, reason,
					  sizeof(reason));
		else if (k == (int)TCP_NUM_KEYS + 3)
			rc =
			    parse_yes_no("prr", value, &st->cfg->limits.tcp_prr,
					 reason, sizeof(reason));
		else
			rc = parse_limit(&st->cfg->limits, &tcp_keys[k], value,
					 reason, sizeof(reason));
		break;
	case SECTION_CONTROL:
		for (k = 0; k < (int)CONTROL_NUM_KEYS; k++)
			names[k] = control_keys[k].name;
		names[CONTROL_NUM_KEYS] = "privileged_group";
		names[CONTROL_NUM_KEYS + 1] = "listen_groups";
		k = lookup(key, names, (int)CONTROL_KEYS);
		if (k < 0)
			break;
		if (st->seen_keys & (1u << k))
			goto duplicate;
		if (k == (int)CONTROL_NUM_KEYS)
			rc = parse_privileged_group(&st->cfg->control, value,
						    reason, sizeof(reason));
		else if (k == (int)CONTROL_NUM_KEYS + 1)
			rc = parse_listen_groups(&st->cfg->control, value,
						 reason, sizeof(reason));
		else
			rc = parse_limit(&st->cfg->control, &control_keys[k],
					 value, reason, sizeof(reason));
		break;
	case SECTION_DNS:
		for (k = 0; k < (int)DNS_NUM_KEYS; k++)
			names[k] = dns_keys[k].name;
		names[DNS_NUM_KEYS] = "search";
		k = lookup(key, names, (int)DNS_KEYS);
		if (k < 0)
			break;
		if (st->seen_keys & (1u << k))
			goto duplicate;
		if (k == (int)DNS_NUM_KEYS)
			rc = parse_dns_search(&st->cfg->dns, value, reason,
					      sizeof(reason));
		else
			rc = parse_limit(&st->cfg->dns.limits, &dns_keys[k],
					 value, reason, sizeof(reason));
		if (rc == 0 && k < (int)DNS_NUM_KEYS &&
		    strcmp(dns_keys[k].name, "queries_max") == 0)
			st->queries_max_line = st->lineno;
		break;
	case SECTION_HOSTS:
		return hosts_line(st, key, value);
	case SECTION_INTERFACE:
		for (k = 0; k < IF_KEYS; k++)
			names[k] = interface_keys[k].name;
		k = lookup(key, names, IF_KEYS);
		if (k < 0)
			break;
		if (st->seen_keys & (1u << k))
			goto duplicate;
		rc = interface_keys[k].parse(st->iface, value, reason,
					     sizeof(reason));
		if (rc == 0) {
			struct interface_lines *l =
			    &st->lines[st->iface - st->cfg->ifs];

			if (k == IF_DHCP)
				l->dhcp = st->lineno;
			else if (k == IF_ADDRESS)
				l->address = st->lineno;
			else if (k == IF_GATEWAY)
				l->gateway = st->lineno;
			else if (k == IF_MAC)
				l->mac = st->lineno;
			else if (k == IF_METRIC)
				l->metric = st->lineno;
		}
		break;
	}

	if (k < 0) {
		const char *where = st->kind == SECTION_DAEMON	 ? "[daemon]"
				    : st->kind == SECTION_LIMITS ? "[limits]"
				    : st->kind == SECTION_TCP	 ? "[tcp]"
				    : st->kind == SECTION_DNS	 ? "[dns]"
				    : st->kind == SECTION_CONTROL
					? "[control]"
					: "[interface]";

		config_error_at(st, st->lineno, "unknown key \"%.*s\" in %s",
				CONFIG_QUOTE_MAX, key, where);
		return 0;
	}
	if (rc < 0) {
		config_error_at(st, st->lineno, "%s", reason);
		return 0;
	}
	st->seen_keys |= 1u << k;
	key_line_note(st, key);
	return 1;

duplicate:
	config_error_at(st, st->lineno, "duplicate key \"%s\"", key);
	return 0;
}

static int hosts_line(struct parse_state *st, const char *key,
		      const char *value)
{
	struct config_dns *cd = &st->cfg->dns;
	char reason[CONFIG_ERR_MAX - 64];
	struct config_host h;

	if (parse_host(&h, key, value, reason, sizeof(reason)) < 0) {
		config_error_at(st, st->lineno, "%s", reason);
		return 0;
	}
	for (int i = 0; i < cd->nhosts; i++)
		if (strcasecmp(cd->hosts[i].name, h.name) == 0) {
			config_error_at(st, st->lineno,
					"duplicate host %s (first at line %d)",
					h.name, st->host_lines[i]);
			return 0;
		}
	if (cd->nhosts == DNS_HOSTS_MAX) {
		config_error_at(st, st->lineno, "too many hosts (at most %d)",
				DNS_HOSTS_MAX);
		return 0;
	}
	st->host_lines[cd->nhosts] = st->lineno;
	cd->hosts[cd->nhosts++] = h;
	return 1;
}

/* Records where the key of the current section was set
 * (config_key_line()). */
static void key_line_note(struct parse_state *st, const char *key)
{
	struct config *cfg = st->cfg;
	struct config_key_line *kl;
	const char *where = st->kind == SECTION_DAEMON	  ? "daemon"
			    : st->kind == SECTION_LIMITS  ? "limits"
			    : st->kind == SECTION_TCP	  ? "tcp"
			    : st->kind == SECTION_DNS	  ? "dns"
			    : st->kind == SECTION_CONTROL ? "control"
							  : NULL;

	if (cfg->nkey_lines == CONFIG_KEY_LINES_MAX)
		return;
	kl = &cfg->key_lines[cfg->nkey_lines++];
	if (where)
		snprintf(kl->key, sizeof(kl->key), "[%s] %s", where, key);
	else
		snprintf(kl->key, sizeof(kl->key), "[interface %s] %s",
			 st->iface->name, key);
	kl->line = st->lineno;
}

/* Checks what only the whole file can tell; records the first error. */
static void config_check(struct parse_state *st)
{
	struct config *cfg = st->cfg;

	/* Each query in flight holds a UDP socket of the stack's table,
	 * which the applications' sockets share: a queries_max given above
	 * it is refused, the default is lowered to it. */
	if (cfg->dns.limits.queries_max > cfg->limits.udp_sockets_max) {
		if (!st->queries_max_line) {
			cfg->dns.limits.queries_max =
			    cfg->limits.udp_sockets_max;
		} else {
			config_error_at(st, st->queries_max_line,
					"[dns] queries_max %u is above "
					"[limits] udp_sockets_max %u: each "
					"query in flight takes one of its UDP "
					"sockets",
					cfg->dns.limits.queries_max,
					cfg->limits.udp_sockets_max);
			return;
		}
	}

	for (int i = 0; i < cfg->nifs; i++) {
		struct config_interface *ifc = &cfg->ifs[i];
		const struct interface_lines *l = &st->lines[i];
		char a[16];

		if (!l->metric)
			ifc->metric = (uint32_t)i * CONFIG_METRIC_STEP;
		/* DHCP is the default when no address is given; a static
		 * address and DHCP on one interface exclude each other (the
		 * lease's address would replace it). */
		if (!l->dhcp)
			ifc->dhcp = ifc->addr == 0;
		if (ifc->dhcp && ifc->addr) {
			config_error_at(st, l->address,
					"interface %s: address and dhcp = yes "
					"exclude each other (set dhcp = no for "
					"a static address)",
					ifc->name);
			return;
		}
		if (ifc->dhcp)
			goto mac;
		if (!ifc->addr) {
			config_error_at(st, ifc->line,
					"interface %s: dhcp = no needs an "
					"address",
					ifc->name);
			return;
		}
		if (ifc->gateway) {
			uint32_t mask = prefix_mask(ifc->prefix_len);

			format_ipv4(ifc->gateway, a, sizeof(a));
			if (ifc->gateway == ifc->addr) {
				config_error_at(st, l->gateway,
						"bad gateway \"%s\": the "
						"interface's own address",
						a);
				return;
			}
			if ((ifc->gateway & mask) != (ifc->addr & mask)) {
				char net[16];

				format_ipv4(ifc->addr & mask, net, sizeof(net));
				config_error_at(
				    st, l->gateway,
				    "bad gateway \"%s\": not on-link "
				    "(outside %s/%u)",
				    a, net, ifc->prefix_len);
				return;
			}
		}
	mac:
		for (int j = 0; j < i && ifc->has_mac; j++)
			if (cfg->ifs[j].has_mac &&
			    memcmp(cfg->ifs[j].mac, ifc->mac, 6) == 0) {
				config_error_at(st, l->mac,
						"bad mac: also the mac of %s",
						cfg->ifs[j].name);
				return;
			}
	}
}

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "%s", CONFIG_DEFAULT_NAME);
	snprintf(cfg->socket_path, sizeof(cfg->socket_path), "%s",
		 CONFIG_DEFAULT_SOCKET);
	cfg->socket_mode = 0660;
	cfg->log_target = LOG_TARGET_STDERR;
	cfg->log_level = LOG_INFO;
	stack_limits_default(&cfg->limits);
	dns_limits_default(&cfg->dns.limits);
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s",
		 CONFIG_DEFAULT_STATE_DIR);
	cfg->log_port = CONFIG_LOG_PORT;
	cfg->control = (struct config_control){
	    .clients_max = 256,
	    .clients_per_uid = 32,
	    .hello_timeout_ms = 5000,
	    .udp_per_client = 256,
	    .udp_per_uid = 512,
	    .listeners_per_client = 16,
	    .listeners_per_uid = 32,
	    .connections_max = 16384,
	    .connections_per_client = 4096,
	    .connections_per_uid = 8192,
	    .captures_max = 4,
	    .capture_queue_bytes = 4u << 20,
	};
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct parse_state *st;
	int rc, ret;

	st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	st->cfg = cfg;
	st->path = path;
	st->fp = fopen(path, "re");
	if (!st->fp) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}

	rc = ini_parse_stream(config_reader, st, config_handler, st);
	if (ferror(st->fp)) {
		ret = -EIO;
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	if (rc > 0 && (st->err_line == 0 || rc < st->err_line)) {
		/* inih's own: neither a [section] nor key = value */
		st->err_line = rc;
		snprintf(st->err, sizeof(st->err),
			 "expected \"key = value\" or \"[section]\"");
	} else if (rc < 0 && !st->err_line) {
		ret = rc == -2 ? -ENOMEM : -EIO;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		goto out;
	}
	if (!st->err_line)
		config_check(st);
	if (st->err_line) {
		ret = -EINVAL;
		snprintf(err, errlen, "%s:%d: %s", path, st->err_line, st->err);
		goto out;
	}
	if (cfg->nifs == 0) {
		ret = -EINVAL;
		snprintf(err, errlen,
			 "%s: no interface (add an [interface NAME] section)",
			 path);
		goto out;
	}
	ret = 0;
out:
	if (st->fp)
		fclose(st->fp);
	free(st);
	return ret;
}

/* Adds "[section] key" to the list of config_keys(). */
static void key_add(char (*out)[CONFIG_KEY_NAME_MAX], size_t max, size_t *n,
		    const char *section, const char *key)
{
	if (*n < max)
		snprintf(out[*n], CONFIG_KEY_NAME_MAX, "[%s] %s", section, key);
	(*n)++;
}

size_t config_keys(char (*out)[CONFIG_KEY_NAME_MAX], size_t max)
{
	static const char *const tcp_more[] = {"congestion", "local_port_range",
					       "hystart", "prr"};
	size_t n = 0;

	for (size_t i = 0; i < DAEMON_KEYS; i++)
		key_add(out, max, &n, "daemon", daemon_keys[i].name);
	for (size_t i = 0; i < IF_KEYS; i++)
		key_add(out, max, &n, "interface", interface_keys[i].name);
	for (size_t i = 0; i < LIMIT_KEYS; i++)
		key_add(out, max, &n, "limits", limit_keys[i].name);
	for (size_t i = 0; i < TCP_NUM_KEYS; i++)
		key_add(out, max, &n, "tcp", tcp_keys[i].name);
	for (size_t i = 0; i < sizeof(tcp_more) / sizeof(tcp_more[0]); i++)
		key_add(out, max, &n, "tcp", tcp_more[i]);
	for (size_t i = 0; i < CONTROL_NUM_KEYS; i++)
		key_add(out, max, &n, "control", control_keys[i].name);
	key_add(out, max, &n, "control", "privileged_group");
	key_add(out, max, &n, "control", "listen_groups");
	for (size_t i = 0; i < DNS_NUM_KEYS; i++)
		key_add(out, max, &n, "dns", dns_keys[i].name);
	key_add(out, max, &n, "dns", "search");
	key_add(out, max, &n, "hosts", "NAME");
	return n;
}

int config_key_line(const struct config *cfg, const char *key)
{
	for (int i = 0; i < cfg->nkey_lines; i++)
		if (strcmp(cfg->key_lines[i].key, key) == 0)
			return cfg->key_lines[i].line;
	return 0;
}

int config_override(struct config *cfg, const char *key, const char *value,
		    char *err, size_t errlen)
{
	if (strcmp(key, "dns") == 0) {
		for (int i = 0; i < cfg->nifs; i++) {
			int rc = parse_if_dns(&cfg->ifs[i], value, err, errlen);

			if (rc < 0)
				return rc;
		}
		return 0;
	}
	if (strcmp(key, "dhcp") == 0) {
		if (strcmp(value, "no") != 0)
			return fail(
			    err, errlen,
			    "only dhcp = no is set for every interface");
		for (int i = 0; i < cfg->nifs; i++) {
			cfg->ifs[i].dhcp = false;
			if (!cfg->ifs[i].addr)
				return fail(err, errlen,
					    "interface %s has no address "
					    "(without DHCP every interface "
					    "needs one)",
					    cfg->ifs[i].name);
		}
		return 0;
	}
	for (int k = 0; k < DAEMON_KEYS; k++)
		if (strcmp(key, daemon_keys[k].name) == 0)
			return daemon_keys[k].parse(cfg, value, err, errlen);
	snprintf(err, errlen, "unknown key \"%s\"", key);
	return -ENOENT;
}

size_t config_client_id(const struct config_interface *ifc,
			const uint8_t mac[6], uint8_t *out)
{
	switch (ifc->client_id_kind) {
	case CLIENT_ID_HEX:
		memcpy(out, ifc->client_id, ifc->client_id_len);
		return ifc->client_id_len;
	case CLIENT_ID_DUID:
		/* RFC 4361 6.1: type 255, a 4-byte IAID (the MAC's last
		 * four bytes, as dhcpcd), then the DUID: DUID-LL (type
		 * 3, RFC 8415 11.4) of hardware type 1 and the MAC. */
		out[0] = 255;
		memcpy(out + 1, mac + 2, 4);
		out[5] = 0;
		out[6] = 3;
		out[7] = 0;
		out[8] = 1;
		memcpy(out + 9, mac, 6);
		return 15;
	case CLIENT_ID_MAC:
	default:
		return 0;
	}
}

const char *config_log_level_name(int level)
{
	for (size_t i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++)
		if (log_levels[i].level == level)
			return log_levels[i].name;
	return "?";
}
