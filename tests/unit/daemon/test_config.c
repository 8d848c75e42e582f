/*
 * test_config.c - utcpd.conf parsing and command-line overrides
 *
 * Each test writes a configuration to a temporary file, loads it with
 * config_load() over the defaults, and asserts on the resulting struct
 * config or on the error: "PATH:LINE: reason". Helpers strip "PATH:"
 * so that tests compare "LINE: reason".
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"

#ifndef UTCPD_EXAMPLE_CONF
#error "UTCPD_EXAMPLE_CONF must name conf/utcpd.conf"
#endif

#define IP(a, b, c, d)                                                         \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* A good minimal interface section, to append to configs under test. */
#define GOOD_IF "[interface tap0]\ndhcp = no\naddress = 10.0.0.2/24\n"

static struct config cfg;
static char err[CONFIG_ERR_MAX];
static char path[64];

/* Loads `text` from a temporary file; returns config_load()'s result.
 * Afterwards `err` holds the message with the path stripped. */
static int load(const char *text)
{
	FILE *f;
	int fd, rc;

	snprintf(path, sizeof(path), "/tmp/utcpd-test-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	fclose(f);

	config_defaults(&cfg);
	err[0] = '\0';
	rc = config_load(&cfg, path, err, sizeof(err));
	unlink(path);
	if (rc < 0) {
		size_t n = strlen(path);

		ck_assert_msg(strncmp(err, path, n) == 0 && err[n] == ':',
			      "error \"%s\" does not start with the path", err);
		memmove(err, err + n + 1, strlen(err + n + 1) + 1);
	}
	return rc;
}

/* Asserts that `text` is refused with exactly "LINE: reason". */
#define ck_refused(text, expected)                                             \
	do {                                                                   \
		ck_assert_int_eq(load(text), -EINVAL);                         \
		ck_assert_str_eq(err, expected);                               \
	} while (0)

/* Asserts that `text` is refused at `line` with a reason containing
 * `part`. */
#define ck_refused_at(text, line, part)                                        \
	do {                                                                   \
		char prefix_[16];                                              \
		ck_assert_int_eq(load(text), -EINVAL);                         \
		snprintf(prefix_, sizeof(prefix_), "%d: ", (line));            \
		ck_assert_msg(strncmp(err, prefix_, strlen(prefix_)) == 0,     \
			      "\"%s\" is not at line %d", err, (line));        \
		ck_assert_msg(strstr(err, (part)) != NULL,                     \
			      "\"%s\" does not say \"%s\"", err, (part));      \
	} while (0)

/* ---- good configurations ------------------------------------------- */

START_TEST(test_defaults_are_documented_values)
{
	struct stack_limits lim;

	config_defaults(&cfg);
	stack_limits_default(&lim);
	ck_assert_str_eq(cfg.name, "utcpd");
	/* the build's: RUNSTATEDIR/utcpd/utcpd.sock, /run by default */
	ck_assert_str_eq(cfg.socket_path, UTCPD_SOCKET_PATH);
	ck_assert_str_eq(&UTCPD_SOCKET_PATH[strlen(UTCPD_SOCKET_PATH) -
					    strlen("/utcpd/utcpd.sock")],
			 "/utcpd/utcpd.sock");
	ck_assert_uint_eq(cfg.socket_mode, 0660);
	ck_assert_int_eq(cfg.log_target, LOG_TARGET_STDERR);
	ck_assert_int_eq(cfg.log_level, LOG_INFO);
	ck_assert_uint_eq(cfg.busy_poll_us, 0); /* off, as net.core.busy_poll */
	ck_assert_int_eq(cfg.nifs, 0);
	/* Field by field: the struct has padding. */
	ck_assert_uint_eq(cfg.limits.pkt_small_max, lim.pkt_small_max);
	ck_assert_uint_eq(cfg.limits.pkt_large_max, lim.pkt_large_max);
	ck_assert_uint_eq(cfg.limits.arp_cache_max, lim.arp_cache_max);
	ck_assert_uint_eq(cfg.limits.arp_hold_max, lim.arp_hold_max);
	ck_assert_uint_eq(cfg.limits.arp_reachable_ns, lim.arp_reachable_ns);
	ck_assert_uint_eq(cfg.limits.arp_retry_ns, lim.arp_retry_ns);
	ck_assert_uint_eq(cfg.limits.arp_retries, lim.arp_retries);
	ck_assert_uint_eq(cfg.limits.reasm_datagrams_max,
			  lim.reasm_datagrams_max);
	ck_assert_uint_eq(cfg.limits.reasm_frags_max, lim.reasm_frags_max);
	ck_assert_uint_eq(cfg.limits.reasm_bytes_max, lim.reasm_bytes_max);
	ck_assert_uint_eq(cfg.limits.reasm_timeout_ns, lim.reasm_timeout_ns);
	ck_assert_uint_eq(cfg.limits.udp_sockets_max, lim.udp_sockets_max);
	ck_assert_uint_eq(cfg.limits.udp_rcvq_max, lim.udp_rcvq_max);
	ck_assert_uint_eq(cfg.limits.udp_rcvq_bytes_max,
			  lim.udp_rcvq_bytes_max);
	ck_assert_uint_eq(cfg.limits.icmp_error_rate, lim.icmp_error_rate);
	ck_assert_uint_eq(cfg.limits.icmp_error_burst, lim.icmp_error_burst);
	ck_assert_uint_eq(cfg.limits.icmp_echo_max, 64);
	/* HyStart++ and PRR are on unless [tcp] turns them off. */
	ck_assert(cfg.limits.tcp_hystart);
	ck_assert(cfg.limits.tcp_prr);
	/* Receive buffers of 256 KiB, auto-tuned up to 4 MiB. */
	ck_assert_uint_eq(cfg.limits.tcp_rcvbuf, 256u << 10);
	ck_assert_uint_eq(cfg.limits.tcp_rcvbuf_max, 4u << 20);
}
END_TEST

START_TEST(test_example_config_is_the_demo)
{
	char e[CONFIG_ERR_MAX];
	const uint8_t mac[6] = {2, 0, 0, 0, 0, 2};

	config_defaults(&cfg);
	ck_assert_msg(config_load(&cfg, UTCPD_EXAMPLE_CONF, e, sizeof(e)) == 0,
		      "%s", e);
	ck_assert_str_eq(cfg.name, "demo");
	ck_assert_int_eq(cfg.nifs, 1);
	ck_assert_str_eq(cfg.ifs[0].name, "tap0");
	ck_assert(cfg.ifs[0].has_mac);
	ck_assert_mem_eq(cfg.ifs[0].mac, mac, 6);
	ck_assert_uint_eq(cfg.ifs[0].mtu, 1500);
	ck_assert(!cfg.ifs[0].dhcp);
	ck_assert_uint_eq(cfg.ifs[0].addr, IP(10, 0, 0, 2));
	ck_assert_uint_eq(cfg.ifs[0].prefix_len, 24);
	ck_assert_uint_eq(cfg.ifs[0].gateway, IP(10, 0, 0, 1));
	ck_assert_int_eq(cfg.ifs[0].ndns, 1);
	ck_assert_uint_eq(cfg.ifs[0].dns[0], IP(10, 0, 0, 1));
}
END_TEST

START_TEST(test_every_key_accepted_with_a_good_value)
{
	const uint8_t mac[6] = {0x02, 0xab, 0xcd, 0xef, 0x01, 0x23};
	int rc = load("; a comment\n"
		      "# another\n"
		      "[daemon]\n"
		      "name = host-1.example_x\n"
		      "socket = /tmp/utcpd-test/ctl.sock\n"
		      "socket_mode = 0600\n"
		      "log = /var/log/utcpd.log\n"
		      "log_level = debug\n"
		      "[interface tap7]\n"
		      "mac = 02:AB:cd:EF:01:23\n"
		      "mtu = 9000\n"
		      "dhcp = no\n"
		      "address = 192.168.7.10/23\n"
		      "gateway = 192.168.6.1\n"
		      "dns = 192.168.6.1, 9.9.9.9 1.1.1.1\n"
		      "[limits]\n"
		      "arp_cache_max = 100\n"
		      "arp_hold_max = 5\n"
		      "reasm_datagrams_max = 7\n"
		      "reasm_frags_max = 33\n"
		      "reasm_bytes_max = 200000\n"
		      "reasm_timeout_ms = 1500\n"
		      "udp_sockets_max = 99\n"
		      "udp_rcvq_max = 17\n"
		      "udp_rcvq_bytes_max = 123456\n"
		      "pkt_small_max = 4096\n"
		      "pkt_large_max = 12\n"
		      "icmp_error_rate = 20\n"
		      "icmp_error_burst = 0\n"
		      "icmp_echo_max = 3\n");

	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_str_eq(cfg.name, "host-1.example_x");
	ck_assert_str_eq(cfg.socket_path, "/tmp/utcpd-test/ctl.sock");
	ck_assert_uint_eq(cfg.socket_mode, 0600);
	ck_assert_int_eq(cfg.log_target, LOG_TARGET_FILE);
	ck_assert_str_eq(cfg.log_file, "/var/log/utcpd.log");
	ck_assert_int_eq(cfg.log_level, LOG_DEBUG);
	ck_assert_int_eq(cfg.nifs, 1);
	ck_assert_str_eq(cfg.ifs[0].name, "tap7");
	ck_assert(cfg.ifs[0].has_mac);
	ck_assert_mem_eq(cfg.ifs[0].mac, mac, 6);
	ck_assert_uint_eq(cfg.ifs[0].mtu, 9000);
	ck_assert(!cfg.ifs[0].dhcp);
	ck_assert_uint_eq(cfg.ifs[0].addr, IP(192, 168, 7, 10));
	ck_assert_uint_eq(cfg.ifs[0].prefix_len, 23);
	ck_assert_uint_eq(cfg.ifs[0].gateway, IP(192, 168, 6, 1));
	ck_assert_int_eq(cfg.ifs[0].ndns, 3);
	ck_assert_uint_eq(cfg.ifs[0].dns[0], IP(192, 168, 6, 1));
	ck_assert_uint_eq(cfg.ifs[0].dns[1], IP(9, 9, 9, 9));
	ck_assert_uint_eq(cfg.ifs[0].dns[2], IP(1, 1, 1, 1));
	ck_assert_uint_eq(cfg.limits.arp_cache_max, 100);
	ck_assert_uint_eq(cfg.limits.arp_hold_max, 5);
	ck_assert_uint_eq(cfg.limits.reasm_datagrams_max, 7);
	ck_assert_uint_eq(cfg.limits.reasm_frags_max, 33);
	ck_assert_uint_eq(cfg.limits.reasm_bytes_max, 200000);
	ck_assert_uint_eq(cfg.limits.reasm_timeout_ns, 1500000000ull);
	ck_assert_uint_eq(cfg.limits.udp_sockets_max, 99);
	ck_assert_uint_eq(cfg.limits.udp_rcvq_max, 17);
	ck_assert_uint_eq(cfg.limits.udp_rcvq_bytes_max, 123456);
	ck_assert_uint_eq(cfg.limits.pkt_small_max, 4096);
	ck_assert_uint_eq(cfg.limits.pkt_large_max, 12);
	ck_assert_uint_eq(cfg.limits.icmp_error_rate, 20);
	ck_assert_uint_eq(cfg.limits.icmp_error_burst, 0);
	ck_assert_uint_eq(cfg.limits.icmp_echo_max, 3);
}
END_TEST

START_TEST(test_log_targets_and_levels)
{
	static const struct {
		const char *text;
		int level;
	} levels[] = {
	    {"err", LOG_ERR},	    {"warning", LOG_WARNING},
	    {"notice", LOG_NOTICE}, {"info", LOG_INFO},
	    {"debug", LOG_DEBUG},
	};
	char text[256];

	ck_assert_int_eq(load("[daemon]\nlog = syslog\n" GOOD_IF), 0);
	ck_assert_int_eq(cfg.log_target, LOG_TARGET_SYSLOG);
	ck_assert_int_eq(load("[daemon]\nlog = stderr\n" GOOD_IF), 0);
	ck_assert_int_eq(cfg.log_target, LOG_TARGET_STDERR);
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		snprintf(text, sizeof(text),
			 "[daemon]\nlog_level = %s\n" GOOD_IF, levels[i].text);
		ck_assert_int_eq(load(text), 0);
		ck_assert_int_eq(cfg.log_level, levels[i].level);
		ck_assert_str_eq(config_log_level_name(levels[i].level),
				 levels[i].text);
	}
}
END_TEST

START_TEST(test_interface_defaults_mtu_1500_random_mac)
{
	ck_assert_int_eq(load(GOOD_IF), 0);
	ck_assert_uint_eq(cfg.ifs[0].mtu, 1500);
	ck_assert(!cfg.ifs[0].has_mac);
	ck_assert_uint_eq(cfg.ifs[0].gateway, 0);
	ck_assert_int_eq(cfg.ifs[0].ndns, 0);
	ck_assert_int_eq(cfg.ifs[0].line, 1);
}
END_TEST

START_TEST(test_indentation_inline_comments_and_bom_are_accepted)
{
	ck_assert_msg(load("\xef\xbb\xbf[daemon]\n"
			   "    name = indented ; an inline comment\n"
			   "\tsocket_mode = 660\n"
			   "  [interface tap0]\n"
			   "  dhcp = no\n"
			   "  address = 10.0.0.2/24\n"
			   "\n"
			   "  mtu = 1400\n") == 0,
		      "%s", err);
	ck_assert_str_eq(cfg.name, "indented");
	ck_assert_uint_eq(cfg.socket_mode, 0660);
	ck_assert_uint_eq(cfg.ifs[0].mtu, 1400);
}
END_TEST

START_TEST(test_long_comment_lines_are_accepted)
{
	char text[1024];

	memset(text, 0, sizeof(text));
	text[0] = '#';
	memset(text + 1, 'x', 600);
	strcat(text, "\n" GOOD_IF);
	ck_assert_msg(load(text) == 0, "%s", err);
}
END_TEST

START_TEST(test_empty_daemon_and_limits_sections_are_accepted)
{
	ck_assert_msg(load("[daemon]\n[limits]\n" GOOD_IF) == 0, "%s", err);
}
END_TEST

START_TEST(test_several_interfaces)
{
	ck_assert_msg(
	    load("[interface a]\ndhcp = no\naddress = 10.0.0.2/24\n"
		 "gateway = 10.0.0.1\n"
		 "[interface b]\ndhcp = no\naddress = 10.1.0.2/16\n") == 0,
	    "%s", err);
	ck_assert_int_eq(cfg.nifs, 2);
	ck_assert_str_eq(cfg.ifs[1].name, "b");
	ck_assert_int_eq(cfg.ifs[1].line, 5);
}
END_TEST

START_TEST(test_slash_31_and_32_have_no_network_address)
{
	ck_assert_msg(load("[interface tap0]\ndhcp = no\n"
			   "address = 10.0.0.0/31\ngateway = 10.0.0.1\n") == 0,
		      "%s", err);
	ck_assert_int_eq(load("[interface tap0]\ndhcp = no\n"
			      "address = 10.0.0.255/32\n"),
			 0);
}
END_TEST

/* ---- structure errors ---------------------------------------------- */

START_TEST(test_unknown_section_is_refused_at_its_line)
{
	ck_refused(GOOD_IF "[udp]\nfoo = 1\n", "4: unknown section [udp]");
}
END_TEST

START_TEST(test_unknown_section_without_keys_is_refused)
{
	ck_refused("[daemon]\n\n[bogus]\n" GOOD_IF,
		   "3: unknown section [bogus]");
}
END_TEST

START_TEST(test_unknown_key_is_refused)
{
	ck_refused("[daemon]\nname = x\nport = 7\n" GOOD_IF,
		   "3: unknown key \"port\" in [daemon]");
	ck_refused(GOOD_IF "speed = 10\n",
		   "4: unknown key \"speed\" in [interface]");
	ck_refused("[limits]\ntcp_max = 10\n" GOOD_IF,
		   "2: unknown key \"tcp_max\" in [limits]");
}
END_TEST

START_TEST(test_tcp_section_sets_the_tcp_limits)
{
	ck_assert_msg(load("[tcp]\n"
			   "conns_max = 20000\n"
			   "listeners_max = 8\n"
			   "syn_backlog = 0\n"
			   "syn_turn_budget = 5\n"
			   "send_chunks_max = 1000\n"
			   "send_chunks_reserve = 100\n"
			   "sndbuf = 1048576\n"
			   "rcvbuf = 65536\n"
			   "rcvbuf_max = 67108864\n"
			   "keepidle_s = 60\n"
			   "keepintvl_s = 5\n"
			   "keepcnt = 3\n"
			   "challenge_ack_limit = 0\n"
			   "orphans_max = 10\n"
			   "orphan_retries = 3\n"
			   "local_port_range = 40000 40999\n"
			   "congestion = newreno\n"
			   "hystart = no\n"
			   "prr = no\n" GOOD_IF) == 0,
		      "%s", err);
	ck_assert_uint_eq(cfg.limits.tcp_conns_max, 20000);
	ck_assert_uint_eq(cfg.limits.tcp_listeners_max, 8);
	ck_assert_uint_eq(cfg.limits.tcp_syn_backlog, 0);
	ck_assert_uint_eq(cfg.limits.tcp_syn_turn_budget, 5);
	ck_assert_uint_eq(cfg.limits.tcp_chunks_max, 1000);
	ck_assert_uint_eq(cfg.limits.tcp_chunks_reserve, 100);
	ck_assert_uint_eq(cfg.limits.tcp_sndbuf, 1048576);
	ck_assert_uint_eq(cfg.limits.tcp_rcvbuf, 65536);
	ck_assert_uint_eq(cfg.limits.tcp_rcvbuf_max, 64u << 20);
	ck_assert_uint_eq(cfg.limits.tcp_keepidle_s, 60);
	ck_assert_uint_eq(cfg.limits.tcp_keepintvl_s, 5);
	ck_assert_uint_eq(cfg.limits.tcp_keepcnt, 3);
	ck_assert(!cfg.limits.tcp_cubic);
	ck_assert(!cfg.limits.tcp_hystart);
	ck_assert(!cfg.limits.tcp_prr);
	ck_assert_uint_eq(cfg.limits.tcp_challenge_ack_limit, 0);
	ck_assert_uint_eq(cfg.limits.tcp_orphans_max, 10);
	ck_assert_uint_eq(cfg.limits.tcp_orphan_retries, 3);
	ck_assert_uint_eq(cfg.limits.tcp_port_first, 40000);
	ck_assert_uint_eq(cfg.limits.tcp_port_last, 40999);
	ck_refused_at("[tcp]\nlocal_port_range = 5000 4000\n" GOOD_IF, 2,
		      "bad local_port_range");
	ck_refused_at("[tcp]\nlocal_port_range = 0 4000\n" GOOD_IF, 2,
		      "bad local_port_range");
	ck_refused_at("[tcp]\nlocal_port_range = 4000\n" GOOD_IF, 2,
		      "bad local_port_range");
	ck_refused_at("[tcp]\nlocal_port_range = 4000 70000\n" GOOD_IF, 2,
		      "bad local_port_range");
	ck_refused_at("[tcp]\nlocal_port_range = 4000 5000x\n" GOOD_IF, 2,
		      "bad local_port_range");
	ck_refused("[tcp]\ncongestion = vegas\n" GOOD_IF,
		   "2: bad congestion \"vegas\": cubic or newreno");
	ck_refused("[tcp]\nhystart = maybe\n" GOOD_IF,
		   "2: bad hystart \"maybe\": must be yes or no");
	ck_refused("[tcp]\nprr = 1\n" GOOD_IF,
		   "2: bad prr \"1\": must be yes or no");
	ck_refused_at("[tcp]\nhystart = yes\nhystart = no\n" GOOD_IF, 3,
		      "duplicate");
	ck_refused_at("[tcp]\nsndbuf = 100\n" GOOD_IF, 2, "bad sndbuf");
	ck_refused_at("[tcp]\nrcvbuf_max = 67108865\n" GOOD_IF, 2,
		      "bad rcvbuf_max");
	ck_assert_msg(load("[tcp]\nrcvbuf_max = 0\n" GOOD_IF) == 0, "%s", err);
	ck_assert_uint_eq(cfg.limits.tcp_rcvbuf_max, 0);
	ck_refused("[tcp]\nmss = 100\n" GOOD_IF,
		   "2: unknown key \"mss\" in [tcp]");
	ck_refused_at("[tcp]\n[tcp]\n" GOOD_IF, 2, "duplicate section [tcp]");
}
END_TEST

START_TEST(test_control_section_sets_the_control_limits)
{
	config_defaults(&cfg);
	ck_assert_uint_eq(cfg.control.clients_max, 256);
	ck_assert_uint_eq(cfg.control.clients_per_uid, 32);
	ck_assert_uint_eq(cfg.control.hello_timeout_ms, 5000);
	ck_assert_uint_eq(cfg.control.connections_max, 16384);
	ck_assert_uint_eq(cfg.control.captures_max, 4);
	ck_assert_uint_eq(cfg.control.capture_queue_bytes, 4u << 20);
	ck_assert(!cfg.control.has_privileged_group);
	ck_assert_msg(load("[control]\n"
			   "clients_max = 100\n"
			   "clients_per_uid = 10\n"
			   "hello_timeout_ms = 2000\n"
			   "udp_per_client = 11\n"
			   "udp_per_uid = 12\n"
			   "listeners_per_client = 3\n"
			   "listeners_per_uid = 4\n"
			   "connections_max = 100000\n"
			   "connections_per_client = 500\n"
			   "connections_per_uid = 600\n"
			   "captures_max = 16\n"
			   "capture_queue_bytes = 65536\n"
			   "privileged_group = 4242\n" GOOD_IF) == 0,
		      "%s", err);
	ck_assert_uint_eq(cfg.control.clients_max, 100);
	ck_assert_uint_eq(cfg.control.clients_per_uid, 10);
	ck_assert_uint_eq(cfg.control.hello_timeout_ms, 2000);
	ck_assert_uint_eq(cfg.control.udp_per_client, 11);
	ck_assert_uint_eq(cfg.control.udp_per_uid, 12);
	ck_assert_uint_eq(cfg.control.listeners_per_client, 3);
	ck_assert_uint_eq(cfg.control.listeners_per_uid, 4);
	ck_assert_uint_eq(cfg.control.connections_max, 100000);
	ck_assert_uint_eq(cfg.control.connections_per_client, 500);
	ck_assert_uint_eq(cfg.control.connections_per_uid, 600);
	ck_assert_uint_eq(cfg.control.captures_max, 16);
	ck_assert_uint_eq(cfg.control.capture_queue_bytes, 65536);
	ck_assert(cfg.control.has_privileged_group);
	ck_assert_uint_eq(cfg.control.privileged_group, 4242);
	/* a group by name */
	ck_assert_msg(load("[control]\nprivileged_group = root\n" GOOD_IF) == 0,
		      "%s", err);
	ck_assert_uint_eq(cfg.control.privileged_group, 0);
	ck_refused("[control]\nprivileged_group = no-such-group-x\n" GOOD_IF,
		   "2: bad privileged_group \"no-such-group-x\": no such "
		   "group");
	ck_refused_at("[control]\nclients_max = 0\n" GOOD_IF, 2,
		      "bad clients_max");
	ck_refused("[control]\nidle_timeout_ms = 1\n" GOOD_IF,
		   "2: unknown key \"idle_timeout_ms\" in [control]");
	ck_refused_at("[control]\n[control]\n" GOOD_IF, 2,
		      "duplicate section [control]");
}
END_TEST

/* The control socket's owner and group ([daemon] socket_owner,
 * socket_group: names or numbers; unset by default), and who may
 * listen ([control] listen_groups: up to 16 groups; anyone by
 * default). A name that does not exist is FILE:LINE: reason. */
START_TEST(test_socket_owner_group_and_listen_groups)
{
	config_defaults(&cfg);
	ck_assert(!cfg.socket_owner_set);
	ck_assert(!cfg.socket_group_set);
	ck_assert_uint_eq(cfg.control.nlisten_groups, 0);
	ck_assert_msg(
	    load("[daemon]\nsocket_owner = root\n"
		 "socket_group = 4242\n"
		 "[control]\nlisten_groups = root 77\t 4243\n" GOOD_IF) == 0,
	    "%s", err);
	ck_assert(cfg.socket_owner_set);
	ck_assert_uint_eq(cfg.socket_owner, 0);
	ck_assert(cfg.socket_group_set);
	ck_assert_uint_eq(cfg.socket_group, 4242);
	ck_assert_uint_eq(cfg.control.nlisten_groups, 3);
	ck_assert_uint_eq(cfg.control.listen_groups[0], 0);
	ck_assert_uint_eq(cfg.control.listen_groups[1], 77);
	ck_assert_uint_eq(cfg.control.listen_groups[2], 4243);
	ck_assert_msg(load("[daemon]\nsocket_owner = 1234\n"
			   "socket_group = root\n" GOOD_IF) == 0,
		      "%s", err);
	ck_assert_uint_eq(cfg.socket_owner, 1234);
	ck_assert_uint_eq(cfg.socket_group, 0);
	ck_refused("[daemon]\nsocket_owner = no-such-user-x\n" GOOD_IF,
		   "2: bad socket_owner \"no-such-user-x\": no such user");
	ck_refused(
	    "[daemon]\nname = a\nsocket_group = no-such-group-x\n" GOOD_IF,
	    "3: bad socket_group \"no-such-group-x\": no such group");
	ck_refused("[control]\nlisten_groups = 5 no-such-group-x\n" GOOD_IF,
		   "2: bad listen_groups \"no-such-group-x\": no such group");
	ck_refused_at(
	    "[control]\nlisten_groups = 1 2 3 4 5 6 7 8 9 10 11 12 13 "
	    "14 15 16 17\n" GOOD_IF,
	    2, "more than 16 groups");
	ck_assert_msg(load("[control]\nlisten_groups = 1 2 3 4 5 6 7 8 9 10 11 "
			   "12 13 14 15 16\n" GOOD_IF) == 0,
		      "%s", err);
	ck_assert_uint_eq(cfg.control.nlisten_groups, 16);
	ck_refused_at("[daemon]\nsocket_owner = 1\nsocket_owner = 2\n" GOOD_IF,
		      3, "duplicate");
	/* as a command-line flag would set them */
	config_defaults(&cfg);
	ck_assert_int_eq(
	    config_override(&cfg, "socket_group", "root", err, sizeof(err)), 0);
	ck_assert(cfg.socket_group_set);
	ck_assert_int_eq(config_override(&cfg, "socket_owner", "nobody-x-y",
					 err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "bad socket_owner \"nobody-x-y\": no such user");
}
END_TEST

START_TEST(test_key_outside_a_section_is_refused)
{
	ck_refused("name = x\n" GOOD_IF, "1: key \"name\" outside a section");
}
END_TEST

START_TEST(test_duplicate_interface_is_refused)
{
	ck_refused(GOOD_IF "[interface tap0]\ndhcp = no\n",
		   "4: duplicate interface tap0 (first at line 1)");
}
END_TEST

START_TEST(test_duplicate_sections_and_keys_are_refused)
{
	ck_refused("[daemon]\nname = a\n[daemon]\n" GOOD_IF,
		   "3: duplicate section [daemon] (first at line 1)");
	ck_refused("[limits]\n[limits]\n" GOOD_IF,
		   "2: duplicate section [limits] (first at line 1)");
	ck_refused("[daemon]\nname = a\nname = b\n" GOOD_IF,
		   "3: duplicate key \"name\"");
	ck_refused(GOOD_IF "mtu = 1400\nmtu = 1500\n",
		   "5: duplicate key \"mtu\"");
}
END_TEST

START_TEST(test_interface_section_without_keys_runs_dhcp)
{
	ck_assert_msg(load("[daemon]\n[interface tap0]\n") == 0, "%s", err);
	ck_assert_int_eq(cfg.nifs, 1);
	ck_assert(cfg.ifs[0].dhcp);
	ck_assert_uint_eq(cfg.ifs[0].addr, 0);
}
END_TEST

START_TEST(test_bad_interface_names_are_refused)
{
	ck_refused_at("[interface]\n", 1, "no interface name");
	ck_refused_at("[interface abcdefghijklmnop]\n", 1,
		      "longer than 15 characters");
	ck_refused_at("[interface a/b]\n", 1, "bad interface name");
	ck_refused_at("[interfacetap0]\n", 1, "unknown section");
	ck_assert_int_eq(load("[interface abcdefghijklmno]\ndhcp = no\n"
			      "address = 10.0.0.2/8\n"),
			 0);
}
END_TEST

START_TEST(test_too_many_interfaces_are_refused)
{
	char text[4096] = "";

	for (int i = 0; i <= STACK_IF_MAX; i++) {
		char one[128];

		snprintf(one, sizeof(one),
			 "[interface t%d]\ndhcp = no\naddress = 10.%d.0.2/24\n",
			 i, i);
		strcat(text, one);
	}
	ck_refused_at(text, 3 * STACK_IF_MAX + 1, "too many interfaces");
}
END_TEST

START_TEST(test_no_interface_is_refused)
{
	ck_assert_int_eq(load("[daemon]\nname = x\n"), -EINVAL);
	ck_assert_str_eq(err,
			 " no interface (add an [interface NAME] section)");
	ck_assert_int_eq(load(""), -EINVAL);
}
END_TEST

START_TEST(test_syntax_errors_are_refused_at_their_line)
{
	ck_refused(GOOD_IF "just words\n",
		   "4: expected \"key = value\" or \"[section]\"");
	ck_refused("[daemon\nname = x\n" GOOD_IF,
		   "1: section header without ']'");
}
END_TEST

START_TEST(test_overlong_line_is_refused)
{
	char text[1024] = "[daemon]\nname = ";

	memset(text + strlen(text), 'a', 400);
	strcat(text, "\n" GOOD_IF);
	ck_refused_at(text, 2, "line too long");
}
END_TEST

START_TEST(test_first_error_wins)
{
	ck_refused("[daemon]\nname = bad name\n[nope]\nmtu = 0\n",
		   "2: bad name \"bad name\": only letters, digits, '-', '_' "
		   "and '.'");
}
END_TEST

START_TEST(test_missing_file_is_reported)
{
	config_defaults(&cfg);
	ck_assert_int_eq(
	    config_load(&cfg, "/nonexistent/utcpd.conf", err, sizeof(err)),
	    -ENOENT);
	ck_assert_str_eq(err, "/nonexistent/utcpd.conf: No such file or "
			      "directory");
}
END_TEST

/* ---- bad values, one class at a time -------------------------------- */

START_TEST(test_bad_daemon_values_are_refused)
{
	ck_refused("[daemon]\nname =\n" GOOD_IF,
		   "2: bad name \"\": must be 1 to 63 characters");
	ck_refused_at(
	    "[daemon]\nname = "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "\n" GOOD_IF,
	    2, "must be 1 to 63 characters");
	ck_refused("[daemon]\nsocket = run/x.sock\n" GOOD_IF,
		   "2: bad socket \"run/x.sock\": must be an absolute path");
	ck_refused_at(
	    "[daemon]\nsocket = /"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n" GOOD_IF,
	    2, "longer than 107 bytes");
	ck_refused("[daemon]\nsocket_mode = 0800\n" GOOD_IF,
		   "2: bad socket_mode \"0800\": must be octal 0000 to 0777");
	ck_refused_at("[daemon]\nsocket_mode = 1777\n" GOOD_IF, 2,
		      "bad socket_mode");
	ck_refused_at("[daemon]\nsocket_mode = rw\n" GOOD_IF, 2,
		      "bad socket_mode");
	ck_refused("[daemon]\nlog = file.log\n" GOOD_IF,
		   "2: bad log \"file.log\": must be stderr, syslog or an "
		   "absolute path");
	ck_refused("[daemon]\nlog_level = verbose\n" GOOD_IF,
		   "2: bad log_level \"verbose\": must be debug, info, notice, "
		   "warning or err");
}
END_TEST

START_TEST(test_bad_mac_is_refused)
{
	ck_refused(GOOD_IF "mac = 02:00:00:00:00\n",
		   "4: bad mac \"02:00:00:00:00\": must be six hex pairs, "
		   "xx:xx:xx:xx:xx:xx");
	ck_refused_at(GOOD_IF "mac = 02-00-00-00-00-01\n", 4, "six hex pairs");
	ck_refused_at(GOOD_IF "mac = 02:00:00:00:00:0g\n", 4, "six hex pairs");
	ck_refused(GOOD_IF "mac = 01:00:5e:00:00:01\n",
		   "4: bad mac \"01:00:5e:00:00:01\": a multicast address (the "
		   "first octet is odd)");
	ck_refused(GOOD_IF "mac = 00:00:00:00:00:00\n",
		   "4: bad mac \"00:00:00:00:00:00\": all zeros");
	ck_refused_at("[interface a]\ndhcp = no\naddress = 10.0.0.2/24\n"
		      "mac = 02:00:00:00:00:01\n"
		      "[interface b]\ndhcp = no\naddress = 10.1.0.2/24\n"
		      "mac = 02:00:00:00:00:01\n",
		      8, "also the mac of a");
}
END_TEST

START_TEST(test_bad_mtu_is_refused)
{
	ck_refused(GOOD_IF "mtu = 67\n",
		   "4: bad mtu \"67\": must be 68 to 65521");
	ck_refused_at(GOOD_IF "mtu = 65522\n", 4, "must be 68 to 65521");
	ck_refused_at(GOOD_IF "mtu = -1500\n", 4, "bad mtu");
	ck_refused_at(GOOD_IF "mtu = 1500 # not a comment\n", 4, "bad mtu");
	ck_refused_at(GOOD_IF "mtu = 99999999999999999999999\n", 4, "bad mtu");
	ck_assert_int_eq(load(GOOD_IF "mtu = 68\n"), 0);
	ck_assert_int_eq(load(GOOD_IF "mtu = 65521\n"), 0);
}
END_TEST

START_TEST(test_user_group_and_log_priority_prefix)
{
	config_defaults(&cfg);
	ck_assert_str_eq(cfg.user, "");
	ck_assert_str_eq(cfg.group, "");
	ck_assert_int_eq(cfg.log_prefix, LOG_PREFIX_AUTO);
	ck_assert_int_eq(
	    load("[daemon]\nuser = nobody\ngroup = 65534\n" GOOD_IF), 0);
	ck_assert_str_eq(cfg.user, "nobody");
	ck_assert_str_eq(cfg.group, "65534");
	/* 32 characters, useradd's longest name */
	ck_assert_int_eq(
	    load("[daemon]\nuser = u1234567890123456789012345678901\n" GOOD_IF),
	    0);
	ck_refused_at(
	    "[daemon]\nuser = u12345678901234567890123456789012\n" GOOD_IF, 2,
	    "bad user");
	ck_refused("[daemon]\nuser = -x\n" GOOD_IF,
		   "2: bad user \"-x\": must be a name or number of 1 to 32 "
		   "characters");
	ck_refused_at("[daemon]\nuser =\n" GOOD_IF, 2, "bad user");
	ck_refused_at("[daemon]\ngroup = a b\n" GOOD_IF, 2, "bad group");
	ck_assert_int_eq(load("[daemon]\nlog_priority_prefix = yes\n" GOOD_IF),
			 0);
	ck_assert_int_eq(cfg.log_prefix, LOG_PREFIX_YES);
	ck_assert_int_eq(load("[daemon]\nlog_priority_prefix = no\n" GOOD_IF),
			 0);
	ck_assert_int_eq(cfg.log_prefix, LOG_PREFIX_NO);
	ck_assert_int_eq(load("[daemon]\nlog_priority_prefix = auto\n" GOOD_IF),
			 0);
	ck_assert_int_eq(cfg.log_prefix, LOG_PREFIX_AUTO);
	ck_refused("[daemon]\nlog_priority_prefix = journal\n" GOOD_IF,
		   "2: bad log_priority_prefix \"journal\": must be auto, yes "
		   "or no");
}
END_TEST

START_TEST(test_busy_poll_us_from_0_to_a_second)
{
	char e[CONFIG_ERR_MAX];

	ck_assert_int_eq(load("[daemon]\nbusy_poll_us = 50\n" GOOD_IF), 0);
	ck_assert_uint_eq(cfg.busy_poll_us, 50);
	ck_assert_int_eq(load("[daemon]\nbusy_poll_us = 0\n" GOOD_IF), 0);
	ck_assert_uint_eq(cfg.busy_poll_us, 0);
	ck_assert_int_eq(load("[daemon]\nbusy_poll_us = 1000000\n" GOOD_IF), 0);
	ck_assert_uint_eq(cfg.busy_poll_us, CONFIG_BUSY_POLL_US_MAX);
	ck_refused("[daemon]\nbusy_poll_us = 1000001\n" GOOD_IF,
		   "2: bad busy_poll_us \"1000001\": must be 0 (off) to "
		   "1000000 microseconds");
	ck_refused_at("[daemon]\nbusy_poll_us = -1\n" GOOD_IF, 2,
		      "bad busy_poll_us");
	ck_refused_at("[daemon]\nbusy_poll_us = 50us\n" GOOD_IF, 2,
		      "bad busy_poll_us");
	ck_refused_at("[daemon]\nbusy_poll_us =\n" GOOD_IF, 2,
		      "bad busy_poll_us");
	/* and as an override, with the same checks */
	ck_assert_int_eq(
	    config_override(&cfg, "busy_poll_us", "200", e, sizeof(e)), 0);
	ck_assert_uint_eq(cfg.busy_poll_us, 200);
	ck_assert_int_eq(
	    config_override(&cfg, "busy_poll_us", "1000001", e, sizeof(e)),
	    -EINVAL);
	ck_assert_uint_eq(cfg.busy_poll_us, 200);
}
END_TEST

START_TEST(test_offload_defaults_to_yes_and_can_be_turned_off)
{
	ck_assert_int_eq(load(GOOD_IF), 0);
	ck_assert(cfg.ifs[0].offload);
	ck_assert_int_eq(load(GOOD_IF "offload = no\n"), 0);
	ck_assert(!cfg.ifs[0].offload);
	ck_assert_int_eq(load(GOOD_IF "offload = yes\n"), 0);
	ck_assert(cfg.ifs[0].offload);
	ck_refused(GOOD_IF "offload = maybe\n",
		   "4: bad offload \"maybe\": must be yes or no");
	ck_refused(GOOD_IF "offload = no\noffload = yes\n",
		   "5: duplicate key \"offload\"");
}
END_TEST

START_TEST(test_dhcp_is_the_default_without_an_address)
{
	ck_assert_msg(load("[interface tap0]\ndhcp = yes\n") == 0, "%s", err);
	ck_assert(cfg.ifs[0].dhcp);
	/* An address alone means a static interface. */
	ck_assert_msg(load("[interface tap0]\naddress = 10.0.0.2/24\n") == 0,
		      "%s", err);
	ck_assert(!cfg.ifs[0].dhcp);
	ck_assert_uint_eq(cfg.ifs[0].addr, IP(10, 0, 0, 2));
	ck_refused("[interface tap0]\ndhcp = yes\naddress = 10.0.0.2/24\n",
		   "3: interface tap0: address and dhcp = yes exclude each "
		   "other (set dhcp = no for a static address)");
	ck_refused("[interface tap0]\naddress = 10.0.0.2/24\ndhcp = yes\n",
		   "2: interface tap0: address and dhcp = yes exclude each "
		   "other (set dhcp = no for a static address)");
	ck_refused("[interface tap0]\ndhcp = maybe\n",
		   "2: bad dhcp \"maybe\": must be yes or no");
	ck_refused("[interface tap0]\ndhcp = no\n",
		   "1: interface tap0: dhcp = no needs an address");
}
END_TEST

START_TEST(test_dhcp_interface_defaults)
{
	ck_assert_msg(load("[interface a]\n[interface b]\n[interface c]\n"
			   "dhcp = no\naddress = 10.0.0.2/24\n") == 0,
		      "%s", err);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(cfg.ifs[i].client_id_kind, CLIENT_ID_MAC);
		ck_assert(!cfg.ifs[i].hostname_set);
		ck_assert(cfg.ifs[i].release);
		ck_assert(cfg.ifs[i].arp_check);
		ck_assert(!cfg.ifs[i].mtu_set);
		ck_assert_uint_eq(cfg.ifs[i].mtu, 1500);
		/* The first interface is preferred: 0, 100, 200. */
		ck_assert_uint_eq(cfg.ifs[i].metric, (uint32_t)i * 100);
	}
	/* the build's: LOCALSTATEDIR/lib/utcpd */
	ck_assert_str_eq(cfg.state_dir, UTCPD_STATE_DIR);
	ck_assert_str_eq(
	    &UTCPD_STATE_DIR[strlen(UTCPD_STATE_DIR) - strlen("/lib/utcpd")],
	    "/lib/utcpd");
	ck_assert(!cfg.log_server_set);
}
END_TEST

START_TEST(test_dhcp_keys_accepted)
{
	const uint8_t id[3] = {0x01, 0xab, 0xff};
	uint8_t out[DHCP_CLIENT_ID_MAX];
	const uint8_t mac[6] = {2, 0x11, 0x22, 0x33, 0x44, 0x55};
	const uint8_t duid[15] = {255, 0x22, 0x33, 0x44, 0x55, 0,    3,	  0,
				  1,   2,    0x11, 0x22, 0x33, 0x44, 0x55};

	ck_assert_msg(load("[daemon]\nstate_dir = /tmp/x/state\n"
			   "log_server = 10.0.0.9:5140\n"
			   "[interface a]\nclient_id = hex:01:AB:ff\n"
			   "hostname = web-1.example\nrelease = no\n"
			   "arp_check = no\nmetric = 4294967295\n"
			   "mtu = 1400\ngateway = 10.0.0.1\n"
			   "dns = 10.0.0.53\n"
			   "[interface b]\nclient_id = duid\n"
			   "hostname = none\n"
			   "[interface c]\nclient_id = mac\nmetric = 0\n") == 0,
		      "%s", err);
	ck_assert_str_eq(cfg.state_dir, "/tmp/x/state");
	ck_assert(cfg.log_server_set);
	ck_assert_uint_eq(cfg.log_server, IP(10, 0, 0, 9));
	ck_assert_uint_eq(cfg.log_port, 5140);
	ck_assert(cfg.ifs[0].dhcp);
	ck_assert_int_eq(cfg.ifs[0].client_id_kind, CLIENT_ID_HEX);
	ck_assert_uint_eq(config_client_id(&cfg.ifs[0], mac, out), 3);
	ck_assert_mem_eq(out, id, 3);
	ck_assert(cfg.ifs[0].hostname_set);
	ck_assert_str_eq(cfg.ifs[0].hostname, "web-1.example");
	ck_assert(!cfg.ifs[0].release);
	ck_assert(!cfg.ifs[0].arp_check);
	ck_assert_uint_eq(cfg.ifs[0].metric, 4294967295u);
	ck_assert(cfg.ifs[0].mtu_set);
	ck_assert_uint_eq(cfg.ifs[0].mtu, 1400);
	/* Static keys stay beside DHCP (they win over the lease). */
	ck_assert_uint_eq(cfg.ifs[0].gateway, IP(10, 0, 0, 1));
	ck_assert_int_eq(cfg.ifs[0].ndns, 1);
	ck_assert_int_eq(cfg.ifs[1].client_id_kind, CLIENT_ID_DUID);
	ck_assert_uint_eq(config_client_id(&cfg.ifs[1], mac, out), 15);
	ck_assert_mem_eq(out, duid, 15);
	ck_assert(cfg.ifs[1].hostname_set);
	ck_assert_str_eq(cfg.ifs[1].hostname, "");
	ck_assert_uint_eq(cfg.ifs[1].metric, 100);
	ck_assert_int_eq(cfg.ifs[2].client_id_kind, CLIENT_ID_MAC);
	ck_assert_uint_eq(config_client_id(&cfg.ifs[2], mac, out), 0);
	ck_assert_uint_eq(cfg.ifs[2].metric, 0);

	ck_assert_msg(load("[daemon]\nlog_server = none\n[interface a]\n") == 0,
		      "%s", err);
	ck_assert(cfg.log_server_set);
	ck_assert_uint_eq(cfg.log_server, 0);
	ck_assert_msg(
	    load("[daemon]\nlog_server = 10.1.2.3\n[interface a]\n") == 0, "%s",
	    err);
	ck_assert_uint_eq(cfg.log_server, IP(10, 1, 2, 3));
	ck_assert_uint_eq(cfg.log_port, 514);
}
END_TEST

START_TEST(test_client_id_at_its_limit)
{
	char text[512];
	size_t n = (size_t)snprintf(text, sizeof(text),
				    "[interface a]\nclient_id = hex:");

	/* 64 bytes (without colons, to fit a line): accepted; 65:
	 * refused. */
	for (int i = 0; i < DHCP_CLIENT_ID_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%02x", i);
	snprintf(text + n, sizeof(text) - n, "\n");
	ck_assert_msg(load(text) == 0, "%s", err);
	ck_assert_uint_eq(cfg.ifs[0].client_id_len, DHCP_CLIENT_ID_MAX);
	ck_assert_uint_eq(cfg.ifs[0].client_id[63], 63);
	snprintf(text + n, sizeof(text) - n, ":40\n");
	ck_refused_at(text, 2, "more than 64 bytes");
	/* Pairs with and without colons mix. */
	ck_assert_msg(load("[interface a]\nclient_id = hex:0102:03\n") == 0,
		      "%s", err);
	ck_assert_uint_eq(cfg.ifs[0].client_id_len, 3);
}
END_TEST

START_TEST(test_bad_dhcp_values_are_refused)
{
	ck_refused("[interface a]\nclient_id = serial\n",
		   "2: bad client_id \"serial\": must be mac, duid or "
		   "hex:XX:XX:...");
	ck_refused("[interface a]\nclient_id = hex:01\n",
		   "2: bad client_id \"hex:01\": at least 2 bytes (a type and "
		   "a value)");
	ck_refused_at("[interface a]\nclient_id = hex:01:2\n", 2,
		      "hex pairs, may be separated by ':'");
	ck_refused_at("[interface a]\nclient_id = hex:01-02\n", 2,
		      "hex pairs, may be separated by ':'");
	ck_refused_at("[interface a]\nclient_id = hex:01::02\n", 2,
		      "hex pairs, may be separated by ':'");
	ck_refused_at("[interface a]\nclient_id = hex:\n", 2,
		      "hex pairs, may be separated by ':'");
	ck_refused_at("[interface a]\nclient_id = hex:0g:01\n", 2,
		      "hex pairs, may be separated by ':'");
	ck_refused_at("[interface a]\nclient_id = hex:01:02:\n", 2,
		      "hex pairs, may be separated by ':'");
	ck_refused("[interface a]\nhostname = a_b\n",
		   "2: bad hostname \"a_b\": labels of letters, digits and "
		   "'-' joined by '.', or none");
	ck_refused_at("[interface a]\nhostname = -ab\n", 2, "bad hostname");
	ck_refused_at("[interface a]\nhostname = ab-\n", 2, "bad hostname");
	ck_refused_at("[interface a]\nhostname = a..b\n", 2, "bad hostname");
	ck_refused_at("[interface a]\nhostname = .ab\n", 2, "bad hostname");
	ck_refused_at("[interface a]\nhostname = ab.\n", 2, "bad hostname");
	ck_refused_at("[interface a]\nhostname = "
		      "a123456789012345678901234567890123456789012345678901234"
		      "567890123\n",
		      2, "must be 1 to 63 characters");
	ck_assert_msg(load("[interface a]\nhostname = "
			   "a12345678901234567890123456789012345678901234567890"
			   "123456789012\n") == 0,
		      "%s", err);
	ck_refused("[interface a]\nrelease = sometimes\n",
		   "2: bad release \"sometimes\": must be yes or no");
	ck_refused("[interface a]\narp_check = 1\n",
		   "2: bad arp_check \"1\": must be yes or no");
	ck_refused("[interface a]\nmetric = 4294967296\n",
		   "2: bad metric \"4294967296\": must be 0 to 4294967295");
	ck_refused("[interface a]\nmetric = -1\n",
		   "2: bad metric \"-1\": must be 0 to 4294967295");
	ck_refused("[interface a]\nmetric = 1\nmetric = 2\n",
		   "3: duplicate key \"metric\"");
	ck_refused("[daemon]\nstate_dir = var/lib\n[interface a]\n",
		   "2: bad state_dir \"var/lib\": must be an absolute path");
	ck_refused("[daemon]\nlog_server = loghost\n[interface a]\n",
		   "2: bad log_server \"loghost\": must be none, an address "
		   "or ADDRESS:PORT");
	ck_refused("[daemon]\nlog_server = 10.0.0.1:0\n[interface a]\n",
		   "2: bad log_server \"10.0.0.1:0\": the port must be 1 to "
		   "65535");
	ck_refused("[daemon]\nlog_server = 10.0.0.1:65536\n[interface a]\n",
		   "2: bad log_server \"10.0.0.1:65536\": the port must be 1 "
		   "to 65535");
	ck_refused("[daemon]\nlog_server = 224.0.0.1\n[interface a]\n",
		   "2: bad log_server \"224.0.0.1\": multicast address");
}
END_TEST

START_TEST(test_bad_address_is_refused)
{
	ck_refused("[interface tap0]\ndhcp = no\naddress = 10.0.0.300/24\n",
		   "3: bad address \"10.0.0.300/24\"");
	ck_refused("[interface tap0]\ndhcp = no\naddress = 10.0.0.2\n",
		   "3: bad address \"10.0.0.2\": missing /prefix "
		   "(a.b.c.d/prefix)");
	ck_refused("[interface tap0]\ndhcp = no\naddress = 10.0.0.2/33\n",
		   "3: bad address \"10.0.0.2/33\": prefix must be 1 to 32");
	ck_refused_at("[interface tap0]\ndhcp = no\naddress = 10.0.0.2/0\n", 3,
		      "prefix must be 1 to 32");
	ck_refused_at("[interface tap0]\ndhcp = no\naddress = 10.0.0.2/\n", 3,
		      "prefix must be 1 to 32");
	ck_refused_at("[interface tap0]\ndhcp = no\naddress = 10.0.2/24\n", 3,
		      "bad address");
	ck_refused_at("[interface tap0]\ndhcp = no\naddress = 010.0.0.2/24\n",
		      3, "bad address");
	ck_refused("[interface tap0]\ndhcp = no\naddress = 10.0.0.0/24\n",
		   "3: bad address \"10.0.0.0/24\": the subnet's network "
		   "address");
	ck_refused("[interface tap0]\ndhcp = no\naddress = 10.0.0.255/24\n",
		   "3: bad address \"10.0.0.255/24\": the subnet's broadcast "
		   "address");
	ck_refused_at("[interface tap0]\ndhcp = no\naddress = 127.0.0.2/8\n", 3,
		      "loopback address");
	ck_refused_at("[interface tap0]\ndhcp = no\naddress = 224.0.0.2/8\n", 3,
		      "multicast address");
	ck_refused_at("[interface tap0]\ndhcp = no\naddress = 0.0.0.0/8\n", 3,
		      "unspecified address");
	ck_refused_at("[interface tap0]\ndhcp = no\naddress = 250.0.0.1/8\n", 3,
		      "reserved address");
}
END_TEST

START_TEST(test_bad_gateway_is_refused)
{
	ck_refused(GOOD_IF "gateway = 10.0.1.1\n",
		   "4: bad gateway \"10.0.1.1\": not on-link (outside "
		   "10.0.0.0/24)");
	ck_refused("[interface tap0]\ngateway = 10.0.1.1\ndhcp = no\n"
		   "address = 10.0.0.2/24\n",
		   "2: bad gateway \"10.0.1.1\": not on-link (outside "
		   "10.0.0.0/24)");
	ck_refused(GOOD_IF "gateway = 10.0.0.2\n",
		   "4: bad gateway \"10.0.0.2\": the interface's own address");
	ck_refused(GOOD_IF "gateway = 10.0.0.256\n",
		   "4: bad gateway \"10.0.0.256\"");
	ck_refused(GOOD_IF "gateway = 255.255.255.255\n",
		   "4: bad gateway \"255.255.255.255\": broadcast address");
	ck_refused_at("[interface tap0]\ndhcp = no\ngateway = 10.0.0.1\n", 1,
		      "dhcp = no needs an address");
}
END_TEST

START_TEST(test_bad_dns_is_refused)
{
	ck_refused(GOOD_IF "dns = 1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4\n",
		   "4: bad dns \"1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4\": at most 3 "
		   "servers");
	ck_refused(GOOD_IF "dns = 1.1.1.1, one.one\n",
		   "4: bad dns server \"one.one\"");
	ck_refused(GOOD_IF "dns = 127.0.0.53\n",
		   "4: bad dns server \"127.0.0.53\": loopback address");
	ck_refused(GOOD_IF "dns = ,\n", "4: bad dns \"\": no server given");
}
END_TEST

START_TEST(test_bad_limits_are_refused)
{
	ck_refused("[limits]\narp_cache_max = 0\n" GOOD_IF,
		   "2: bad arp_cache_max \"0\": must be 1 to 65536");
	ck_refused("[limits]\npkt_large_max = 4097\n" GOOD_IF,
		   "2: bad pkt_large_max \"4097\": must be 1 to 4096");
	ck_refused("[limits]\nreasm_timeout_ms = 1s\n" GOOD_IF,
		   "2: bad reasm_timeout_ms \"1s\": must be 1 to 120000");
	ck_refused_at("[limits]\nudp_sockets_max = 4294967296\n" GOOD_IF, 2,
		      "bad udp_sockets_max");
	ck_refused_at("[limits]\nicmp_error_rate = -1\n" GOOD_IF, 2,
		      "bad icmp_error_rate");
}
END_TEST

/* ---- [dns] and [hosts] ----------------------------------------------- */

START_TEST(test_dns_defaults)
{
	struct dns_limits lim;

	config_defaults(&cfg);
	dns_limits_default(&lim);
	ck_assert_uint_eq(cfg.dns.limits.cache_max, 512);
	ck_assert_uint_eq(cfg.dns.limits.ttl_max_s, 86400);
	ck_assert_uint_eq(cfg.dns.limits.negative_ttl_max_s, 3600);
	ck_assert_uint_eq(cfg.dns.limits.queries_max, 128);
	ck_assert_uint_eq(cfg.dns.limits.lookups_max, 256);
	ck_assert_uint_eq(cfg.dns.limits.owner_lookups_max, 16);
	ck_assert_uint_eq(cfg.dns.limits.timeout_ms, 1000);
	ck_assert_uint_eq(cfg.dns.limits.attempts, 3);
	ck_assert_uint_eq(cfg.dns.limits.ndots, 1);
	ck_assert_uint_eq(cfg.dns.limits.cache_max, lim.cache_max);
	ck_assert_uint_eq(cfg.dns.limits.ndots, lim.ndots);
	ck_assert(!cfg.dns.search_set);
	ck_assert_int_eq(cfg.dns.nsearch, 0);
	ck_assert_int_eq(cfg.dns.nhosts, 0);
	/* An empty [dns] and [hosts] change nothing. */
	ck_assert_msg(load("[dns]\n[hosts]\n" GOOD_IF) == 0, "%s", err);
	ck_assert(!cfg.dns.search_set);
	ck_assert_uint_eq(cfg.dns.limits.queries_max, 128);
}
END_TEST

START_TEST(test_dns_keys_accepted)
{
	ck_assert_msg(load("[limits]\nudp_sockets_max = 4096\n"
			   "[dns]\n"
			   "cache_max = 0\n"
			   "ttl_max = 604800\n"
			   "negative_ttl_max = 0\n"
			   "queries_max = 4096\n"
			   "lookups_max = 65536\n"
			   "client_lookups_max = 1\n"
			   "timeout_ms = 8000\n"
			   "attempts = 5\n"
			   "ndots = 15\n"
			   "search = corp.example.  lab.example,x\n" GOOD_IF) ==
			  0,
		      "%s", err);
	ck_assert_uint_eq(cfg.dns.limits.cache_max, 0);
	ck_assert_uint_eq(cfg.dns.limits.ttl_max_s, 604800);
	ck_assert_uint_eq(cfg.dns.limits.negative_ttl_max_s, 0);
	ck_assert_uint_eq(cfg.dns.limits.queries_max, 4096);
	ck_assert_uint_eq(cfg.dns.limits.lookups_max, 65536);
	ck_assert_uint_eq(cfg.dns.limits.owner_lookups_max, 1);
	ck_assert_uint_eq(cfg.dns.limits.timeout_ms, 8000);
	ck_assert_uint_eq(cfg.dns.limits.attempts, 5);
	ck_assert_uint_eq(cfg.dns.limits.ndots, 15);
	ck_assert(cfg.dns.search_set);
	ck_assert_int_eq(cfg.dns.nsearch, 3);
	ck_assert_str_eq(cfg.dns.search[0], "corp.example"); /* dot gone */
	ck_assert_str_eq(cfg.dns.search[1], "lab.example");
	ck_assert_str_eq(cfg.dns.search[2], "x");
	/* The lower ends. */
	ck_assert_msg(load("[dns]\nttl_max = 1\nqueries_max = 1\n"
			   "lookups_max = 1\ntimeout_ms = 1\nattempts = 1\n"
			   "ndots = 0\n" GOOD_IF) == 0,
		      "%s", err);
	ck_assert_uint_eq(cfg.dns.limits.ttl_max_s, 1);
	ck_assert_uint_eq(cfg.dns.limits.queries_max, 1);
	ck_assert_uint_eq(cfg.dns.limits.lookups_max, 1);
	ck_assert_uint_eq(cfg.dns.limits.timeout_ms, 1);
	ck_assert_uint_eq(cfg.dns.limits.attempts, 1);
	ck_assert_uint_eq(cfg.dns.limits.ndots, 0);
	/* none: an empty list that is set (it wins over leases). */
	ck_assert_msg(load("[dns]\nsearch = none\n" GOOD_IF) == 0, "%s", err);
	ck_assert(cfg.dns.search_set);
	ck_assert_int_eq(cfg.dns.nsearch, 0);
}
END_TEST

/* The resolver's sockets come from the stack's UDP table. */
START_TEST(test_dns_queries_max_fits_the_udp_sockets)
{
	ck_assert_msg(load("[limits]\nudp_sockets_max = 64\n"
			   "[dns]\nqueries_max = 64\n" GOOD_IF) == 0,
		      "%s", err);
	/* not given: the default comes down to the table */
	ck_assert_msg(load("[limits]\nudp_sockets_max = 64\n" GOOD_IF) == 0,
		      "%s", err);
	ck_assert_uint_eq(cfg.dns.limits.queries_max, 64);
	ck_refused("[limits]\nudp_sockets_max = 64\n"
		   "[dns]\nqueries_max = 65\n" GOOD_IF,
		   "4: [dns] queries_max 65 is above [limits] udp_sockets_max "
		   "64: each query in flight takes one of its UDP sockets");
}
END_TEST

START_TEST(test_dns_search_at_its_limit)
{
	ck_assert_msg(load("[dns]\nsearch = a b c d e f\n" GOOD_IF) == 0, "%s",
		      err);
	ck_assert_int_eq(cfg.dns.nsearch, DNS_SEARCH_MAX);
	ck_assert_str_eq(cfg.dns.search[DNS_SEARCH_MAX - 1], "f");
	ck_refused("[dns]\nsearch = a b c d e f g\n" GOOD_IF,
		   "2: bad search \"a b c d e f g\": at most 6 domains");
}
END_TEST

START_TEST(test_bad_dns_values_are_refused)
{
	char label64[80], text[400];

	ck_refused("[dns]\ncache_max = 65537\n" GOOD_IF,
		   "2: bad cache_max \"65537\": must be 0 to 65536");
	ck_refused("[dns]\nttl_max = 0\n" GOOD_IF,
		   "2: bad ttl_max \"0\": must be 1 to 604800");
	ck_refused("[dns]\nttl_max = 604801\n" GOOD_IF,
		   "2: bad ttl_max \"604801\": must be 1 to 604800");
	ck_refused("[dns]\nnegative_ttl_max = 86401\n" GOOD_IF,
		   "2: bad negative_ttl_max \"86401\": must be 0 to 86400");
	ck_refused("[dns]\nqueries_max = 0\n" GOOD_IF,
		   "2: bad queries_max \"0\": must be 1 to 4096");
	ck_refused("[dns]\nqueries_max = 4097\n" GOOD_IF,
		   "2: bad queries_max \"4097\": must be 1 to 4096");
	ck_refused("[dns]\nlookups_max = 0\n" GOOD_IF,
		   "2: bad lookups_max \"0\": must be 1 to 65536");
	ck_refused("[dns]\nlookups_max = 65537\n" GOOD_IF,
		   "2: bad lookups_max \"65537\": must be 1 to 65536");
	ck_refused("[dns]\nclient_lookups_max = 0\n" GOOD_IF,
		   "2: bad client_lookups_max \"0\": must be 1 to 65536");
	ck_refused("[dns]\nclient_lookups_max = 65537\n" GOOD_IF,
		   "2: bad client_lookups_max \"65537\": must be 1 to 65536");
	ck_refused("[dns]\ntimeout_ms = 0\n" GOOD_IF,
		   "2: bad timeout_ms \"0\": must be 1 to 8000");
	ck_refused("[dns]\ntimeout_ms = 8001\n" GOOD_IF,
		   "2: bad timeout_ms \"8001\": must be 1 to 8000");
	ck_refused("[dns]\nattempts = 0\n" GOOD_IF,
		   "2: bad attempts \"0\": must be 1 to 5");
	ck_refused("[dns]\nattempts = 6\n" GOOD_IF,
		   "2: bad attempts \"6\": must be 1 to 5");
	ck_refused("[dns]\nndots = 16\n" GOOD_IF,
		   "2: bad ndots \"16\": must be 0 to 15");
	ck_refused("[dns]\nndots = -1\n" GOOD_IF,
		   "2: bad ndots \"-1\": must be 0 to 15");
	ck_refused("[dns]\nsearch = ,\n" GOOD_IF,
		   "2: bad search \"\": no domain given (none for an empty "
		   "list)");
	ck_refused("[dns]\nsearch = good.example a..b\n" GOOD_IF,
		   "2: bad search domain \"a..b\"");
	ck_refused("[dns]\nsearch = .\n" GOOD_IF, "2: bad search domain \".\"");
	memset(label64, 'a', 64);
	label64[64] = '\0';
	snprintf(text, sizeof(text), "[dns]\nsearch = %s.org\n" GOOD_IF,
		 label64);
	ck_refused_at(text, 2, "bad search domain");
	/* (A name over 253 bytes does not fit a line: 198 at most.) */
	ck_refused("[dns]\nretries = 1\n" GOOD_IF,
		   "2: unknown key \"retries\" in [dns]");
	ck_refused("[dns]\nndots = 1\nndots = 2\n" GOOD_IF,
		   "3: duplicate key \"ndots\"");
	ck_refused_at("[dns]\n[dns]\n" GOOD_IF, 2, "duplicate section [dns]");
}
END_TEST

START_TEST(test_hosts_accepted)
{
	ck_assert_msg(load(GOOD_IF "[hosts]\n"
				   "printer.lan = 10.0.0.9\n"
				   "both.example. = 10.0.0.10, 2001:db8::1 "
				   "10.0.0.11\n") == 0,
		      "%s", err);
	ck_assert_int_eq(cfg.dns.nhosts, 2);
	ck_assert_str_eq(cfg.dns.hosts[0].name, "printer.lan");
	ck_assert_int_eq(cfg.dns.hosts[0].naddrs, 1);
	ck_assert_int_eq(cfg.dns.hosts[0].addrs[0].family, 4);
	ck_assert_mem_eq(cfg.dns.hosts[0].addrs[0].addr, "\x0a\x00\x00\x09", 4);
	ck_assert_str_eq(cfg.dns.hosts[1].name, "both.example");
	ck_assert_int_eq(cfg.dns.hosts[1].naddrs, 3);
	ck_assert_int_eq(cfg.dns.hosts[1].addrs[1].family, 6);
	ck_assert_mem_eq(cfg.dns.hosts[1].addrs[1].addr,
			 "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	ck_assert_int_eq(cfg.dns.hosts[1].addrs[2].family, 4);
}
END_TEST

START_TEST(test_hosts_at_their_limits)
{
	static char text[8192];
	size_t n;

	/* DNS_HOST_ADDRS_MAX addresses for one name, then one more. */
	ck_assert_msg(load(GOOD_IF "[hosts]\nh = 10.0.0.1 10.0.0.2 10.0.0.3 "
				   "10.0.0.4 10.0.0.5 10.0.0.6 10.0.0.7 "
				   "::8\n") == 0,
		      "%s", err);
	ck_assert_int_eq(cfg.dns.hosts[0].naddrs, DNS_HOST_ADDRS_MAX);
	ck_refused(GOOD_IF "[hosts]\nh = 10.0.0.1 10.0.0.2 10.0.0.3 "
			   "10.0.0.4 10.0.0.5 10.0.0.6 10.0.0.7 ::8 ::9\n",
		   "5: bad host h: at most 8 addresses");
	/* DNS_HOSTS_MAX names, then one more. */
	n = (size_t)snprintf(text, sizeof(text), GOOD_IF "[hosts]\n");
	for (int i = 0; i < DNS_HOSTS_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "host%d = 10.0.1.%d\n", i, i + 1);
	ck_assert_msg(load(text) == 0, "%s", err);
	ck_assert_int_eq(cfg.dns.nhosts, DNS_HOSTS_MAX);
	ck_assert_str_eq(cfg.dns.hosts[DNS_HOSTS_MAX - 1].name, "host63");
	snprintf(text + n, sizeof(text) - n, "one-more = 10.0.2.1\n");
	ck_refused(text, "69: too many hosts (at most 64)");
}
END_TEST

START_TEST(test_bad_hosts_are_refused)
{
	ck_refused(GOOD_IF "[hosts]\nh = \n",
		   "5: bad host h: no address given");
	ck_refused(GOOD_IF "[hosts]\nh = 10.0.0.1 10.0.0.256\n",
		   "5: bad address \"10.0.0.256\" for host h");
	ck_refused(GOOD_IF "[hosts]\nh = 2001:db8::1::2\n",
		   "5: bad address \"2001:db8::1::2\" for host h");
	ck_refused(GOOD_IF "[hosts]\na..b = 10.0.0.1\n",
		   "5: bad host name \"a..b\"");
	ck_refused(GOOD_IF "[hosts]\na = 10.0.0.1\n\nA. = 10.0.0.2\n",
		   "7: duplicate host A (first at line 5)");
	ck_refused_at(GOOD_IF "[hosts]\n[hosts]\n", 5,
		      "duplicate section [hosts]");
}
END_TEST

/* ---- command-line overrides ----------------------------------------- */

START_TEST(test_overrides_replace_file_values)
{
	char e[CONFIG_ERR_MAX];

	ck_assert_int_eq(load("[daemon]\nname = fromfile\nsocket = /a/b.sock\n"
			      "log_level = err\n" GOOD_IF),
			 0);
	ck_assert_int_eq(
	    config_override(&cfg, "name", "fromflag", e, sizeof(e)), 0);
	ck_assert_int_eq(
	    config_override(&cfg, "socket", "/c/d.sock", e, sizeof(e)), 0);
	ck_assert_int_eq(
	    config_override(&cfg, "socket_mode", "0666", e, sizeof(e)), 0);
	ck_assert_int_eq(config_override(&cfg, "log", "syslog", e, sizeof(e)),
			 0);
	ck_assert_int_eq(
	    config_override(&cfg, "log_level", "debug", e, sizeof(e)), 0);
	ck_assert_str_eq(cfg.name, "fromflag");
	ck_assert_str_eq(cfg.socket_path, "/c/d.sock");
	ck_assert_uint_eq(cfg.socket_mode, 0666);
	ck_assert_int_eq(cfg.log_target, LOG_TARGET_SYSLOG);
	ck_assert_int_eq(cfg.log_level, LOG_DEBUG);
}
END_TEST

START_TEST(test_dhcp_overrides)
{
	char e[CONFIG_ERR_MAX];

	ck_assert_int_eq(load("[interface a]\n[interface b]\n"), 0);
	ck_assert_int_eq(
	    config_override(&cfg, "dns", "10.0.0.53,10.0.0.54", e, sizeof(e)),
	    0);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(cfg.ifs[i].ndns, 2);
		ck_assert_uint_eq(cfg.ifs[i].dns[1], IP(10, 0, 0, 54));
	}
	ck_assert_int_eq(
	    config_override(&cfg, "log_server", "10.0.0.7", e, sizeof(e)), 0);
	ck_assert_uint_eq(cfg.log_server, IP(10, 0, 0, 7));
	ck_assert_int_eq(
	    config_override(&cfg, "state_dir", "/tmp/st", e, sizeof(e)), 0);
	ck_assert_str_eq(cfg.state_dir, "/tmp/st");
	/* --no-dhcp: every interface needs its address. */
	ck_assert_int_eq(config_override(&cfg, "dhcp", "no", e, sizeof(e)),
			 -EINVAL);
	ck_assert_str_eq(e, "interface a has no address (without DHCP every "
			    "interface needs one)");
	ck_assert_int_eq(load("[interface a]\naddress = 10.0.0.2/24\n"
			      "[interface b]\naddress = 10.0.1.2/24\n"),
			 0);
	ck_assert_int_eq(config_override(&cfg, "dhcp", "no", e, sizeof(e)), 0);
	ck_assert(!cfg.ifs[0].dhcp && !cfg.ifs[1].dhcp);
	ck_assert_int_eq(
	    config_override(&cfg, "dns", "10.0.0.1,bad", e, sizeof(e)),
	    -EINVAL);
	ck_assert_str_eq(e, "bad dns server \"bad\"");
	ck_assert_int_eq(
	    config_override(&cfg, "log_server", "x:1", e, sizeof(e)), -EINVAL);
}
END_TEST

START_TEST(test_bad_overrides_are_refused_with_a_reason)
{
	char e[CONFIG_ERR_MAX];

	config_defaults(&cfg);
	ck_assert_int_eq(
	    config_override(&cfg, "socket", "rel.sock", e, sizeof(e)), -EINVAL);
	ck_assert_str_eq(e,
			 "bad socket \"rel.sock\": must be an absolute path");
	ck_assert_str_eq(cfg.socket_path, CONFIG_DEFAULT_SOCKET);
	ck_assert_int_eq(
	    config_override(&cfg, "log_level", "loud", e, sizeof(e)), -EINVAL);
	ck_assert_int_eq(config_override(&cfg, "mtu", "1500", e, sizeof(e)),
			 -ENOENT);
	ck_assert_str_eq(e, "unknown key \"mtu\"");
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *good = tcase_create("good");
	TCase *structure = tcase_create("structure");
	TCase *values = tcase_create("values");
	TCase *cli = tcase_create("overrides");

	tcase_add_test(good, test_defaults_are_documented_values);
	tcase_add_test(good, test_example_config_is_the_demo);
	tcase_add_test(good, test_every_key_accepted_with_a_good_value);
	tcase_add_test(good, test_log_targets_and_levels);
	tcase_add_test(good, test_interface_defaults_mtu_1500_random_mac);
	tcase_add_test(good,
		       test_indentation_inline_comments_and_bom_are_accepted);
	tcase_add_test(good, test_long_comment_lines_are_accepted);
	tcase_add_test(good,
		       test_empty_daemon_and_limits_sections_are_accepted);
	tcase_add_test(good, test_several_interfaces);
	tcase_add_test(good, test_slash_31_and_32_have_no_network_address);
	suite_add_tcase(s, good);

	tcase_add_test(structure, test_unknown_section_is_refused_at_its_line);
	tcase_add_test(structure, test_unknown_section_without_keys_is_refused);
	tcase_add_test(structure, test_unknown_key_is_refused);
	tcase_add_test(structure, test_key_outside_a_section_is_refused);
	tcase_add_test(structure, test_duplicate_interface_is_refused);
	tcase_add_test(structure, test_duplicate_sections_and_keys_are_refused);
	tcase_add_test(structure,
		       test_interface_section_without_keys_runs_dhcp);
	tcase_add_test(structure, test_bad_interface_names_are_refused);
	tcase_add_test(structure, test_too_many_interfaces_are_refused);
	tcase_add_test(structure, test_no_interface_is_refused);
	tcase_add_test(structure, test_syntax_errors_are_refused_at_their_line);
	tcase_add_test(structure, test_overlong_line_is_refused);
	tcase_add_test(structure, test_first_error_wins);
	tcase_add_test(structure, test_missing_file_is_reported);
	suite_add_tcase(s, structure);

	tcase_add_test(values, test_bad_daemon_values_are_refused);
	tcase_add_test(values, test_busy_poll_us_from_0_to_a_second);
	tcase_add_test(values, test_user_group_and_log_priority_prefix);
	tcase_add_test(values, test_bad_mac_is_refused);
	tcase_add_test(values, test_bad_mtu_is_refused);
	tcase_add_test(values, test_dhcp_is_the_default_without_an_address);
	tcase_add_test(values, test_dhcp_interface_defaults);
	tcase_add_test(values, test_dhcp_keys_accepted);
	tcase_add_test(values, test_client_id_at_its_limit);
	tcase_add_test(values, test_bad_dhcp_values_are_refused);
	tcase_add_test(values, test_bad_address_is_refused);
	tcase_add_test(values, test_bad_gateway_is_refused);
	tcase_add_test(values, test_bad_dns_is_refused);
	tcase_add_test(values, test_bad_limits_are_refused);
	tcase_add_test(values, test_tcp_section_sets_the_tcp_limits);
	tcase_add_test(values, test_control_section_sets_the_control_limits);
	tcase_add_test(values, test_socket_owner_group_and_listen_groups);
	tcase_add_test(values,
		       test_offload_defaults_to_yes_and_can_be_turned_off);
	tcase_add_test(values, test_dns_defaults);
	tcase_add_test(values, test_dns_keys_accepted);
	tcase_add_test(values, test_dns_search_at_its_limit);
	tcase_add_test(values, test_dns_queries_max_fits_the_udp_sockets);
	tcase_add_test(values, test_bad_dns_values_are_refused);
	tcase_add_test(values, test_hosts_accepted);
	tcase_add_test(values, test_hosts_at_their_limits);
	tcase_add_test(values, test_bad_hosts_are_refused);
	suite_add_tcase(s, values);

	tcase_add_test(cli, test_overrides_replace_file_values);
	tcase_add_test(cli, test_bad_overrides_are_refused_with_a_reason);
	tcase_add_test(cli, test_dhcp_overrides);
	suite_add_tcase(s, cli);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
