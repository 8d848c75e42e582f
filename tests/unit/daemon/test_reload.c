/*
 * test_reload.c - what a reload (SIGHUP) applies and what needs a
 * restart (daemon/reload.c)
 *
 * Every key is changed by itself, from a base file to the same file
 * with one line more, and reload_compare() must name that key (and
 * only it) with its kind: this checks the table's spans key by key.
 * The table must hold every key utcpd.conf(5) documents and nothing
 * else, and every key the parser accepts (config_keys()), so a key
 * added to the parser or the manual but to neither list fails here.
 * reload_merge() copies what applies and leaves the rest; config_key_line()
 * gives the lines the messages name.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "reload.h"

#ifndef UTCPD_CONF_MAN
#error "UTCPD_CONF_MAN must name docs/utcpd.conf.5"
#endif

static char err[CONFIG_ERR_MAX];

/* Loads `text` into *cfg (over the defaults); fails the test on error. */
static void load(struct config *cfg, const char *text)
{
	char path[64];
	FILE *f;
	int fd, rc;

	snprintf(path, sizeof(path), "/tmp/utcpd-reload-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	fclose(f);
	config_defaults(cfg);
	rc = config_load(cfg, path, err, sizeof(err));
	unlink(path);
	ck_assert_msg(rc == 0, "%s\n---\n%s", err, text);
}

/* The base: [daemon] and the other named sections with no key (a line
 * is added after a header), an interface by DHCP. */
#define BASE_DAEMON "[daemon]\n"
#define BASE_LIMITS "[limits]\n"
#define BASE_TCP    "[tcp]\n"
#define BASE_CTL    "[control]\n"
#define BASE_DNS    "[dns]\n"
#define BASE_HOSTS  "[hosts]\n"
#define BASE_IF	    "[interface tap0]\n"

/* One sample per key: the line that changes it, and a second key the
 * same line changes (address makes dhcp no), or NULL. */
static const struct sample {
	const char *section, *key, *line, *also;
} samples[] = {
    {"daemon", "name", "name = other", NULL},
    {"daemon", "socket", "socket = /run/other.sock", NULL},
    {"daemon", "socket_mode", "socket_mode = 0600", NULL},
    {"daemon", "socket_owner", "socket_owner = 77", NULL},
    {"daemon", "socket_group", "socket_group = 77", NULL},
    {"daemon", "log", "log = /tmp/utcpd-reload.log", NULL},
    {"daemon", "log_level", "log_level = debug", NULL},
    {"daemon", "state_dir", "state_dir = /var/lib/other", NULL},
    {"daemon", "log_server", "log_server = 10.0.0.9", NULL},
    {"daemon", "busy_poll_us", "busy_poll_us = 50", NULL},
    {"daemon", "user", "user = 77", NULL},
    {"daemon", "group", "group = 77", NULL},
    {"daemon", "log_priority_prefix", "log_priority_prefix = yes", NULL},
    {"interface", "mac", "mac = 02:00:00:00:00:09", NULL},
    {"interface", "mtu", "mtu = 1400", NULL},
    {"interface", "dhcp", "address = 10.0.0.2/24", "address"},
    {"interface", "client_id", "client_id = duid", NULL},
    {"interface", "hostname", "hostname = h1", NULL},
    {"interface", "release", "release = no", NULL},
    {"interface", "arp_check", "arp_check = no", NULL},
    {"interface", "metric", "metric = 7", NULL},
    {"interface", "offload", "offload = no", NULL},
    {"interface", "address", "address = 10.0.0.2/24", "dhcp"},
    {"interface", "gateway", "gateway = 10.0.0.1", NULL},
    {"interface", "dns", "dns = 10.0.0.53", NULL},
    {"limits", "arp_cache_max", "arp_cache_max = 77", NULL},
    {"limits", "arp_hold_max", "arp_hold_max = 77", NULL},
    {"limits", "reasm_datagrams_max", "reasm_datagrams_max = 77", NULL},
    {"limits", "reasm_frags_max", "reasm_frags_max = 77", NULL},
    {"limits", "reasm_bytes_max", "reasm_bytes_max = 77777", NULL},
    {"limits", "reasm_timeout_ms", "reasm_timeout_ms = 777", NULL},
    {"limits", "udp_sockets_max", "udp_sockets_max = 777", NULL},
    {"limits", "udp_rcvq_max", "udp_rcvq_max = 77", NULL},
    {"limits", "udp_rcvq_bytes_max", "udp_rcvq_bytes_max = 77777", NULL},
    {"limits", "pkt_small_max", "pkt_small_max = 7777", NULL},
    {"limits", "pkt_large_max", "pkt_large_max = 77", NULL},
    {"limits", "icmp_error_rate", "icmp_error_rate = 77", NULL},
    {"limits", "icmp_error_burst", "icmp_error_burst = 77", NULL},
    {"limits", "icmp_echo_max", "icmp_echo_max = 77", NULL},
    {"tcp", "conns_max", "conns_max = 777", NULL},
    {"tcp", "listeners_max", "listeners_max = 77", NULL},
    {"tcp", "syn_backlog", "syn_backlog = 77", NULL},
    {"tcp", "syn_turn_budget", "syn_turn_budget = 77", NULL},
    {"tcp", "send_chunks_max", "send_chunks_max = 7777", NULL},
    {"tcp", "send_chunks_reserve", "send_chunks_reserve = 77", NULL},
    {"tcp", "sndbuf", "sndbuf = 77777", NULL},
    {"tcp", "rcvbuf", "rcvbuf = 77777", NULL},
    {"tcp", "rcvbuf_max", "rcvbuf_max = 777777", NULL},
    {"tcp", "keepidle_s", "keepidle_s = 77", NULL},
    {"tcp", "keepintvl_s", "keepintvl_s = 77", NULL},
    {"tcp", "keepcnt", "keepcnt = 77", NULL},
    {"tcp", "congestion", "congestion = newreno", NULL},
    {"tcp", "hystart", "hystart = no", NULL},
    {"tcp", "prr", "prr = no", NULL},
    {"tcp", "local_port_range", "local_port_range = 40000 40999", NULL},
    {"tcp", "challenge_ack_limit", "challenge_ack_limit = 77", NULL},
    {"tcp", "orphans_max", "orphans_max = 77", NULL},
    {"tcp", "orphan_retries", "orphan_retries = 77", NULL},
    {"control", "clients_max", "clients_max = 77", NULL},
    {"control", "clients_per_uid", "clients_per_uid = 7", NULL},
    {"control", "hello_timeout_ms", "hello_timeout_ms = 777", NULL},
    {"control", "udp_per_client", "udp_per_client = 7", NULL},
    {"control", "udp_per_uid", "udp_per_uid = 7", NULL},
    {"control", "listeners_per_client", "listeners_per_client = 7", NULL},
    {"control", "listeners_per_uid", "listeners_per_uid = 7", NULL},
    {"control", "connections_max", "connections_max = 77", NULL},
    {"control", "connections_per_client", "connections_per_client = 7", NULL},
    {"control", "connections_per_uid", "connections_per_uid = 7", NULL},
    {"control", "captures_max", "captures_max = 7", NULL},
    {"control", "capture_queue_bytes", "capture_queue_bytes = 777777", NULL},
    {"control", "privileged_group", "privileged_group = 77", NULL},
    {"control", "listen_groups", "listen_groups = 77 78", NULL},
    {"dns", "cache_max", "cache_max = 77", NULL},
    {"dns", "ttl_max", "ttl_max = 77", NULL},
    {"dns", "negative_ttl_max", "negative_ttl_max = 77", NULL},
    {"dns", "queries_max", "queries_max = 77", NULL},
    {"dns", "lookups_max", "lookups_max = 77", NULL},
    {"dns", "client_lookups_max", "client_lookups_max = 7", NULL},
    {"dns", "timeout_ms", "timeout_ms = 777", NULL},
    {"dns", "attempts", "attempts = 5", NULL},
    {"dns", "ndots", "ndots = 3", NULL},
    {"dns", "search", "search = example.org", NULL},
    {"hosts", "NAME", "printer.example = 10.0.0.9", NULL},
};

#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

/* The base file, with `line` added after the header of `section`. */
static void base_with(char *out, size_t len, const char *section,
		      const char *line)
{
	static const struct {
		const char *section, *header;
	} order[] = {
	    {"daemon", BASE_DAEMON}, {"limits", BASE_LIMITS},
	    {"tcp", BASE_TCP},	     {"control", BASE_CTL},
	    {"dns", BASE_DNS},	     {"hosts", BASE_HOSTS},
	    {"interface", BASE_IF},
	};
	size_t at = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		at +=
		    (size_t)snprintf(out + at, len - at, "%s", order[i].header);
		if (section && line && strcmp(order[i].section, section) == 0)
			at +=
			    (size_t)snprintf(out + at, len - at, "%s\n", line);
	}
}

static const struct reload_key *table_key(const char *section, const char *key)
{
	for (size_t i = 0; i < reload_nkeys; i++)
		if (strcmp(reload_keys[i].section, section) == 0 &&
		    strcmp(reload_keys[i].key, key) == 0)
			return &reload_keys[i];
	return NULL;
}

/* "[daemon] log_level", "[interface tap0] mtu", "[hosts]" */
static void change_name(char *out, size_t len, const char *section,
			const char *key)
{
	if (strcmp(section, "hosts") == 0)
		snprintf(out, len, "[hosts]");
	else if (strcmp(section, "interface") == 0)
		snprintf(out, len, "[interface tap0] %s", key);
	else
		snprintf(out, len, "[%s] %s", section, key);
}

static struct config old_cfg, new_cfg;
static struct reload_diff diff;

START_TEST(test_every_key_changed_alone_is_found_with_its_kind)
{
	char text[1024];

	ck_assert_uint_eq(NSAMPLES, reload_nkeys);
	base_with(text, sizeof(text), NULL, NULL);
	load(&old_cfg, text);
	reload_compare(&old_cfg, &old_cfg, &diff);
	ck_assert_int_eq(diff.n, 0);

	for (size_t i = 0; i < NSAMPLES; i++) {
		const struct sample *s = &samples[i];
		const struct reload_key *k = table_key(s->section, s->key);
		char want[CONFIG_KEY_NAME_MAX], also[CONFIG_KEY_NAME_MAX];
		int found = 0;

		ck_assert_msg(k, "[%s] %s: not in reload_keys", s->section,
			      s->key);
		base_with(text, sizeof(text), s->section, s->line);
		load(&new_cfg, text);
		reload_compare(&old_cfg, &new_cfg, &diff);
		change_name(want, sizeof(want), s->section, s->key);
		also[0] = '\0';
		if (s->also)
			change_name(also, sizeof(also), s->section, s->also);
		ck_assert_msg(diff.n == (s->also ? 2 : 1),
			      "%s: %d changes, first %s", want, diff.n,
			      diff.n ? diff.changes[0].key : "-");
		for (int j = 0; j < diff.n; j++) {
			const struct reload_change *c = &diff.changes[j];

			ck_assert_str_eq(c->what, "changed");
			if (strcmp(c->key, want) == 0) {
				ck_assert_int_eq(c->kind, k->kind);
				found++;
			} else {
				ck_assert_msg(strcmp(c->key, also) == 0,
					      "%s: also %s", want, c->key);
			}
		}
		ck_assert_msg(found == 1, "%s not found", want);
		ck_assert_int_eq(diff.nrestart,
				 (k->kind == RELOAD_RESTART) +
				     (s->also && k->kind == RELOAD_RESTART));
		ck_assert_int_eq(diff.dropped, 0);
		/* the other way too */
		reload_compare(&new_cfg, &old_cfg, &diff);
		ck_assert_int_eq(diff.n, s->also ? 2 : 1);
	}
}
END_TEST

/* What the issue and utcpd.conf(5) promise, key by key. */
START_TEST(test_what_a_reload_applies)
{
	static const char *const apply[] = {
	    "daemon log",	   "daemon log_level",
	    "daemon log_server",   "daemon busy_poll_us",
	    "interface dns",	   "dns search",
	    "dns timeout_ms",	   "dns attempts",
	    "dns ndots",	   "hosts NAME",
	    "control clients_max", "control privileged_group",
	};
	static const char *const restart[] = {
	    "daemon name",   "daemon socket",	  "interface mtu",
	    "interface mac", "interface address", "limits udp_sockets_max",
	    "tcp conns_max", "dns cache_max",	  "dns queries_max",
	};

	for (size_t i = 0; i < sizeof(apply) / sizeof(apply[0]); i++) {
		char sec[16], key[32];
		const struct reload_key *k;

		ck_assert_int_eq(sscanf(apply[i], "%15s %31s", sec, key), 2);
		k = table_key(sec, key);
		ck_assert_msg(k && k->kind == RELOAD_APPLY, "%s", apply[i]);
	}
	for (size_t i = 0; i < sizeof(restart) / sizeof(restart[0]); i++) {
		char sec[16], key[32];
		const struct reload_key *k;

		ck_assert_int_eq(sscanf(restart[i], "%15s %31s", sec, key), 2);
		k = table_key(sec, key);
		ck_assert_msg(k && k->kind == RELOAD_RESTART, "%s", restart[i]);
	}
}
END_TEST

/*
 * The keys of utcpd.conf(5): under each ".SH [SECTION]", the names of
 * each ".TP" paragraph's ".B" line ("a\fR, \fBb" names two). A section
 * without keys ([hosts]) counts as its key "NAME".
 */
START_TEST(test_every_documented_key_is_in_the_table_and_back)
{
	FILE *f = fopen(UTCPD_CONF_MAN, "r");
	char line[512], section[32] = "";
	bool after_tp = false, section_keys = false;
	size_t documented = 0;
	bool seen[256] = {false};

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_le(reload_nkeys, sizeof(seen));
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, ".SH ", 4) == 0) {
			if (section[0] && !section_keys) {
				const struct reload_key *k =
				    table_key(section, "NAME");

				ck_assert_msg(k, "[%s]: no key", section);
				seen[k - reload_keys] = true;
				documented++;
			}
			section[0] = '\0';
			section_keys = false;
			if (line[4] == '[')
				sscanf(line + 5, "%31[a-z]", section);
			after_tp = false;
			continue;
		}
		if (strcmp(line, ".TP") == 0) {
			after_tp = true;
			continue;
		}
		if (after_tp && section[0] && strncmp(line, ".B ", 3) == 0) {
			char *p = line + 3;

			for (;;) {
				char key[64];
				const struct reload_key *k;

				if (sscanf(p, "%63[a-z0-9_]", key) != 1)
					break;
				k = table_key(section, key);
				ck_assert_msg(k,
					      "utcpd.conf(5) [%s] %s: neither "
					      "reloadable nor restart-only in "
					      "daemon/reload.c",
					      section, key);
				ck_assert_msg(!seen[k - reload_keys],
					      "[%s] %s documented twice",
					      section, key);
				seen[k - reload_keys] = true;
				documented++;
				section_keys = true;
				p = strstr(p, "\\fB");
				if (!p)
					break;
				p += 3;
			}
		}
		after_tp = false;
	}
	fclose(f);
	for (size_t i = 0; i < reload_nkeys; i++)
		ck_assert_msg(seen[i], "[%s] %s is not in utcpd.conf(5)",
			      reload_keys[i].section, reload_keys[i].key);
	ck_assert_uint_eq(documented, reload_nkeys);
}
END_TEST

/* Every key the parser accepts is in the table (and so, by the test
 * above, in the manual), and the table has no key the parser lacks. */
/* Whether `word` is set in bold in utcpd.conf(5)'s RELOADING section
 * (".B word" or ".BR word ,"). */
static bool reloading_names(const char *word)
{
	FILE *f = fopen(UTCPD_CONF_MAN, "r");
	char line[512];
	bool in = false, found = false;

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f)) {
		char w[64];

		if (strncmp(line, ".SH ", 4) == 0)
			in = strcmp(line, ".SH RELOADING\n") == 0;
		else if (in && (sscanf(line, ".B %63[][a-z0-9_]", w) == 1 ||
				sscanf(line, ".BR %63[][a-z0-9_]", w) == 1))
			found = strcmp(w, word) == 0;
	}
	fclose(f);
	return found;
}

/* utcpd.conf(5)'s RELOADING names every key a reload applies (by its
 * section for [control] and [hosts]) and no key that needs a restart. */
START_TEST(test_the_manual_says_what_a_reload_applies)
{
	for (size_t i = 0; i < reload_nkeys; i++) {
		const struct reload_key *k = &reload_keys[i];
		bool whole = strcmp(k->section, "control") == 0 ||
			     strcmp(k->section, "hosts") == 0;
		char word[40];

		snprintf(word, sizeof(word), whole ? "[%s]" : "%s",
			 whole ? k->section : k->key);
		if (k->kind == RELOAD_APPLY) {
			ck_assert_msg(reloading_names(word),
				      "RELOADING does not name [%s] %s",
				      k->section, k->key);
			continue;
		}
		/* a restart key, unless an applied key has its name */
		bool shared = false;
		for (size_t j = 0; j < reload_nkeys; j++)
			shared |= reload_keys[j].kind == RELOAD_APPLY &&
				  strcmp(reload_keys[j].key, k->key) == 0;
		ck_assert_msg(shared || !reloading_names(k->key),
			      "RELOADING names [%s] %s, which needs a restart",
			      k->section, k->key);
	}
}
END_TEST

START_TEST(test_every_key_the_parser_accepts_is_in_the_table)
{
	static char keys[256][CONFIG_KEY_NAME_MAX];
	size_t n = config_keys(keys, 256);

	ck_assert_uint_le(n, 256);
	ck_assert_uint_eq(n, reload_nkeys);
	for (size_t i = 0; i < n; i++) {
		char sec[16], key[32];

		ck_assert_int_eq(sscanf(keys[i], "[%15[a-z]] %31s", sec, key),
				 2);
		ck_assert_msg(table_key(sec, key),
			      "%s: accepted by config.c, neither reloadable "
			      "nor restart-only in reload.c",
			      keys[i]);
	}
}
END_TEST

START_TEST(test_interfaces_added_removed_renamed_need_a_restart)
{
	load(&old_cfg, "[interface tap0]\n");
	load(&new_cfg, "[interface tap0]\n\n[interface tap1]\n");
	reload_compare(&old_cfg, &new_cfg, &diff);
	ck_assert_int_eq(diff.n, 1);
	ck_assert_str_eq(diff.changes[0].key, "[interface tap1]");
	ck_assert_str_eq(diff.changes[0].what, "added");
	ck_assert_int_eq(diff.changes[0].kind, RELOAD_RESTART);

	reload_compare(&new_cfg, &old_cfg, &diff);
	ck_assert_int_eq(diff.n, 1);
	ck_assert_str_eq(diff.changes[0].key, "[interface tap1]");
	ck_assert_str_eq(diff.changes[0].what, "removed");

	load(&new_cfg, "[interface tap9]\n");
	reload_compare(&old_cfg, &new_cfg, &diff);
	ck_assert_int_eq(diff.n, 2);
	ck_assert_str_eq(diff.changes[0].key, "[interface tap0]");
	ck_assert_str_eq(diff.changes[0].what, "removed");
	ck_assert_str_eq(diff.changes[1].key, "[interface tap9]");
	ck_assert_str_eq(diff.changes[1].what, "added");
	ck_assert_int_eq(diff.nrestart, 2);
}
END_TEST

/* Every key changed at once: more differences than are listed. What
 * a reload applies is counted from all of them, and [hosts] (the last
 * of the file-wide keys, past the list) and the socket keys are seen:
 * reload_apply() acts on these, not on the list. */
START_TEST(test_changes_past_the_list_still_apply)
{
	char text[8192];
	size_t at = 0;
	int napply = 0;

	base_with(text, sizeof(text), NULL, NULL);
	load(&old_cfg, text);
	for (const char *sec = "daemon\0limits\0tcp\0control\0dns\0hosts\0"
			       "interface\0";
	     *sec; sec += strlen(sec) + 1) {
		at += (size_t)snprintf(
		    text + at, sizeof(text) - at, "[%s%s]\n", sec,
		    strcmp(sec, "interface") == 0 ? " tap0" : "");
		for (size_t i = 0; i < NSAMPLES; i++)
			if (strcmp(samples[i].section, sec) == 0 &&
			    strcmp(samples[i].key, "dhcp") != 0) /* address */
				at += (size_t)snprintf(text + at,
						       sizeof(text) - at,
						       "%s\n", samples[i].line);
	}
	ck_assert_uint_lt(at, sizeof(text));
	load(&new_cfg, text);
	for (size_t i = 0; i < reload_nkeys; i++)
		napply += reload_keys[i].kind == RELOAD_APPLY;

	reload_compare(&old_cfg, &new_cfg, &diff);
	ck_assert_int_eq(diff.n, RELOAD_CHANGES_MAX);
	ck_assert_int_eq(diff.n + diff.dropped, (int)reload_nkeys);
	ck_assert_int_eq(diff.napply, napply);
	ck_assert_int_eq(diff.napply + diff.nrestart, (int)reload_nkeys);
	ck_assert(diff.hosts_changed);
	ck_assert(diff.socket_changed);
	for (int j = 0; j < diff.n; j++)
		ck_assert_str_ne(diff.changes[j].key, "[hosts]");

	/* one key alone: only what it is */
	base_with(text, sizeof(text), "hosts", "printer.example = 10.0.0.9");
	load(&new_cfg, text);
	reload_compare(&old_cfg, &new_cfg, &diff);
	ck_assert(diff.hosts_changed && !diff.socket_changed);
	ck_assert_int_eq(diff.napply, 1);
	base_with(text, sizeof(text), "daemon", "socket_mode = 0600");
	load(&new_cfg, text);
	reload_compare(&old_cfg, &new_cfg, &diff);
	ck_assert(!diff.hosts_changed && diff.socket_changed);
	base_with(text, sizeof(text), "daemon", "socket = /run/other.sock");
	load(&new_cfg, text);
	reload_compare(&old_cfg, &new_cfg, &diff);
	ck_assert(!diff.hosts_changed && !diff.socket_changed);
	ck_assert_int_eq(diff.napply, 0);
}
END_TEST

START_TEST(test_merge_takes_what_applies_and_leaves_the_rest)
{
	load(&old_cfg, "[daemon]\nlog_level = info\n[interface tap0]\n"
		       "dns = 10.0.0.53\nmtu = 1500\n[control]\n"
		       "clients_max = 10\n[tcp]\nconns_max = 100\n");
	load(&new_cfg, "[daemon]\nlog_level = debug\nsocket = /run/x.sock\n"
		       "[interface tap0]\ndns = 10.0.0.54, 10.0.0.55\n"
		       "mtu = 1400\n[control]\nclients_max = 5\n[tcp]\n"
		       "conns_max = 200\n[dns]\nsearch = a.example\n"
		       "cache_max = 5\n[hosts]\nh.example = 10.0.0.7\n");
	reload_merge(&old_cfg, &new_cfg);
	ck_assert_int_eq(old_cfg.log_level, LOG_DEBUG);
	ck_assert_int_eq(old_cfg.ifs[0].ndns, 2);
	ck_assert_uint_eq(old_cfg.ifs[0].dns[1], 0x0a000037);
	ck_assert_uint_eq(old_cfg.control.clients_max, 5);
	ck_assert(old_cfg.dns.search_set);
	ck_assert_str_eq(old_cfg.dns.search[0], "a.example");
	ck_assert_int_eq(old_cfg.dns.nhosts, 1);
	/* restart-only: as they were */
	ck_assert_str_eq(old_cfg.socket_path, CONFIG_DEFAULT_SOCKET);
	ck_assert_uint_eq(old_cfg.ifs[0].mtu, 1500);
	ck_assert_uint_eq(old_cfg.limits.tcp_conns_max, 100);
	ck_assert_uint_ne(old_cfg.dns.limits.cache_max, 5);
	/* what is left differs only where a restart is needed */
	reload_compare(&old_cfg, &new_cfg, &diff);
	ck_assert_int_eq(diff.n, 4);
	ck_assert_int_eq(diff.nrestart, 4);
}
END_TEST

START_TEST(test_key_lines_name_where_each_key_is)
{
	load(&new_cfg, "# a comment\n[daemon]\nlog_level = debug\n\n"
		       "[interface tap0]\nmtu = 1400\n[interface tap1]\n"
		       "mtu = 1300\n[tcp]\nconns_max = 9\n");
	ck_assert_int_eq(config_key_line(&new_cfg, "[daemon] log_level"), 3);
	ck_assert_int_eq(config_key_line(&new_cfg, "[interface tap0] mtu"), 6);
	ck_assert_int_eq(config_key_line(&new_cfg, "[interface tap1] mtu"), 8);
	ck_assert_int_eq(config_key_line(&new_cfg, "[tcp] conns_max"), 10);
	ck_assert_int_eq(config_key_line(&new_cfg, "[daemon] socket"), 0);
}
END_TEST

static Suite *reload_suite(void)
{
	Suite *s = suite_create("reload");
	TCase *tc = tcase_create("compare");

	tcase_add_test(tc, test_every_key_changed_alone_is_found_with_its_kind);
	tcase_add_test(tc, test_what_a_reload_applies);
	tcase_add_test(tc, test_every_documented_key_is_in_the_table_and_back);
	tcase_add_test(tc, test_every_key_the_parser_accepts_is_in_the_table);
	tcase_add_test(tc, test_the_manual_says_what_a_reload_applies);
	tcase_add_test(tc,
		       test_interfaces_added_removed_renamed_need_a_restart);
	tcase_add_test(tc, test_changes_past_the_list_still_apply);
	tcase_add_test(tc, test_merge_takes_what_applies_and_leaves_the_rest);
	tcase_add_test(tc, test_key_lines_name_where_each_key_is);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(reload_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
