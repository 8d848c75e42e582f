/*
 * test_netconf.c - what the daemon does with DHCP: which source wins
 * (netconf_if_compute), the lease file (written, read back, refused
 * when cut short or garbage), the remote syslog line
 *
 * Mostly pure functions; the lease file also makes its round trip
 * through a temporary directory, the state directory is made, and a
 * log line goes through a real stack to the link (the harness's peer).
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "lease_file.h"
#include "log.h"
#include "netconf.h"
#include "syslog_remote.h"
#include "utcpd.h"

#include "harness.h"

#define IP(a, b, c, d)                                                         \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static void set_has(struct dhcp_options *o, uint8_t code)
{
	o->has[code / 32] |= 1u << (code % 32);
}

/* Appends one raw option, as the codec keeps them. */
static void add_raw(struct dhcp_options *o, uint8_t code, const void *v,
		    uint8_t len)
{
	o->raw[o->raw_len] = code;
	o->raw[o->raw_len + 1] = len;
	memcpy(o->raw + o->raw_len + 2, v, len);
	o->raw_len = (uint16_t)(o->raw_len + 2 + len);
}

/* A lease with everything netconf uses. */
static void full_lease(struct dhcp_lease *l)
{
	struct dhcp_options *o = &l->opt;
	const uint8_t mask[4] = {255, 255, 255, 0}, mtu[2] = {0x05, 0xdc};

	memset(l, 0, sizeof(*l));
	l->addr = IP(10, 5, 0, 50);
	l->prefix_len = 24;
	l->server_id = IP(10, 5, 0, 1);
	l->lease_s = 3600;
	l->t1_s = 1800;
	l->t2_s = 3150;
	set_has(o, DHCP_OPT_ROUTERS);
	o->routers[0] = IP(10, 5, 0, 1);
	o->nrouters = 1;
	set_has(o, DHCP_OPT_DNS);
	o->dns[0] = IP(10, 5, 0, 53);
	o->dns[1] = IP(10, 5, 0, 54);
	o->ndns = 2;
	set_has(o, DHCP_OPT_DOMAIN);
	snprintf(o->domain, sizeof(o->domain), "lab.example");
	set_has(o, DHCP_OPT_SEARCH);
	snprintf(o->search[0], sizeof(o->search[0]), "lab.example");
	snprintf(o->search[1], sizeof(o->search[1]), "example");
	o->nsearch = 2;
	set_has(o, DHCP_OPT_LOG_SERVERS);
	o->log_servers[0] = IP(10, 5, 0, 7);
	o->log_servers[1] = IP(10, 5, 0, 8);
	o->nlog_servers = 2;
	set_has(o, DHCP_OPT_NTP);
	o->ntp[0] = IP(10, 5, 0, 123);
	o->nntp = 1;
	set_has(o, DHCP_OPT_MTU);
	o->mtu = 1500;
	add_raw(o, DHCP_OPT_SUBNET_MASK, mask, 4);
	add_raw(o, DHCP_OPT_MTU, mtu, 2);
	add_raw(o, 224, "", 0); /* a zero-length site option */
}

static struct config cfg;

/* cfg with one DHCP interface (and nothing set) unless told. */
static void one_interface(bool dhcp)
{
	config_defaults(&cfg);
	cfg.nifs = 1;
	snprintf(cfg.ifs[0].name, sizeof(cfg.ifs[0].name), "tap0");
	cfg.ifs[0].mtu = 1500;
	cfg.ifs[0].dhcp = dhcp;
	if (!dhcp) {
		cfg.ifs[0].addr = IP(10, 0, 0, 2);
		cfg.ifs[0].prefix_len = 24;
	}
}

/* ---- precedence ------------------------------------------------------ */

START_TEST(test_lease_sets_everything_nothing_static)
{
	struct dhcp_lease l;
	struct netconf_if n;

	one_interface(true);
	netconf_if_compute(&cfg, 0, NULL, &n);
	ck_assert(n.dhcp);
	ck_assert(!n.configured);
	ck_assert_int_eq(n.address_src, NETCONF_NONE);
	ck_assert_int_eq(n.dns_src, NETCONF_NONE);
	ck_assert_int_eq(n.log_server_src, NETCONF_NONE);

	full_lease(&l);
	netconf_if_compute(&cfg, 0, &l, &n);
	ck_assert(n.configured);
	ck_assert_int_eq(n.address_src, NETCONF_LEASE);
	ck_assert_int_eq(n.routes_src, NETCONF_LEASE);
	ck_assert_int_eq(n.mtu_src, NETCONF_LEASE);
	ck_assert_int_eq(n.dns_src, NETCONF_LEASE);
	ck_assert_uint_eq(n.ndns, 2);
	ck_assert_uint_eq(n.dns[1], IP(10, 5, 0, 54));
	ck_assert_int_eq(n.domain_src, NETCONF_LEASE);
	ck_assert_str_eq(n.domain, "lab.example");
	ck_assert_int_eq(n.search_src, NETCONF_LEASE);
	ck_assert_uint_eq(n.nsearch, 2);
	ck_assert_str_eq(n.search[1], "example");
	/* The first log server, on the syslog port. */
	ck_assert_int_eq(n.log_server_src, NETCONF_LEASE);
	ck_assert_uint_eq(n.log_server, IP(10, 5, 0, 7));
	ck_assert_uint_eq(n.log_port, 514);
	ck_assert_int_eq(n.ntp_src, NETCONF_LEASE);
	ck_assert_uint_eq(n.nntp, 1);
	ck_assert_uint_eq(n.ntp[0], IP(10, 5, 0, 123));
}
END_TEST

START_TEST(test_static_keys_win_key_by_key)
{
	struct dhcp_lease l;
	struct netconf_if n;

	one_interface(true);
	cfg.ifs[0].gateway = IP(10, 5, 0, 254);
	cfg.ifs[0].mtu_set = true;
	cfg.ifs[0].dns[0] = IP(9, 9, 9, 9);
	cfg.ifs[0].ndns = 1;
	cfg.log_server_set = true;
	cfg.log_server = IP(192, 168, 1, 5);
	cfg.log_port = 5140;
	full_lease(&l);
	netconf_if_compute(&cfg, 0, &l, &n);
	ck_assert_int_eq(n.address_src, NETCONF_LEASE);
	ck_assert_int_eq(n.routes_src, NETCONF_CONFIG);
	ck_assert_int_eq(n.mtu_src, NETCONF_CONFIG);
	ck_assert_int_eq(n.dns_src, NETCONF_CONFIG);
	ck_assert_uint_eq(n.ndns, 1);
	ck_assert_uint_eq(n.dns[0], IP(9, 9, 9, 9));
	ck_assert_int_eq(n.log_server_src, NETCONF_CONFIG);
	ck_assert_uint_eq(n.log_server, IP(192, 168, 1, 5));
	ck_assert_uint_eq(n.log_port, 5140);
	/* What has no static key still comes from the lease. */
	ck_assert_int_eq(n.domain_src, NETCONF_LEASE);
	ck_assert_int_eq(n.ntp_src, NETCONF_LEASE);

	/* log_server = none wins over option 7 too. */
	cfg.log_server = 0;
	netconf_if_compute(&cfg, 0, &l, &n);
	ck_assert_int_eq(n.log_server_src, NETCONF_CONFIG);
	ck_assert_uint_eq(n.log_server, 0);
}
END_TEST

START_TEST(test_static_interface_is_configured_from_the_start)
{
	struct netconf_if n;

	one_interface(false);
	netconf_if_compute(&cfg, 0, NULL, &n);
	ck_assert(!n.dhcp);
	ck_assert(n.configured);
	ck_assert_int_eq(n.address_src, NETCONF_CONFIG);
	ck_assert_int_eq(n.routes_src, NETCONF_NONE); /* no gateway */
	ck_assert_int_eq(n.mtu_src, NETCONF_NONE);    /* the default */
}
END_TEST

START_TEST(test_lease_without_routes_or_mtu_sets_none)
{
	struct dhcp_lease l;
	struct netconf_if n;

	one_interface(true);
	memset(&l, 0, sizeof(l));
	l.addr = IP(10, 5, 0, 50);
	l.prefix_len = 24;
	netconf_if_compute(&cfg, 0, &l, &n);
	ck_assert(n.configured);
	ck_assert_int_eq(n.routes_src, NETCONF_NONE);
	ck_assert_int_eq(n.mtu_src, NETCONF_NONE);
	ck_assert_int_eq(n.dns_src, NETCONF_NONE);
	ck_assert_int_eq(n.log_server_src, NETCONF_NONE);
}
END_TEST

START_TEST(test_log_server_is_the_first_configured_interfaces)
{
	struct netconf nc;
	uint32_t a = 0;
	uint16_t p = 0;

	memset(&nc, 0, sizeof(nc));
	nc.nifs = 3;
	nc.ifs[0].log_server = IP(10, 0, 0, 7); /* not configured yet */
	nc.ifs[0].log_port = 514;
	nc.ifs[1].configured = true; /* configured, no server */
	ck_assert(!netconf_log_server(&nc, &a, &p));
	nc.ifs[2].configured = true;
	nc.ifs[2].log_server = IP(10, 2, 0, 7);
	nc.ifs[2].log_port = 5140;
	ck_assert(netconf_log_server(&nc, &a, &p));
	ck_assert_uint_eq(a, IP(10, 2, 0, 7));
	ck_assert_uint_eq(p, 5140);
	nc.ifs[0].configured = true;
	ck_assert(netconf_log_server(&nc, &a, &p));
	ck_assert_uint_eq(a, IP(10, 0, 0, 7));
	ck_assert_uint_eq(p, 514);
}
END_TEST

/* ---- the lease file -------------------------------------------------- */

static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/utcpd-lease-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
	char path[LEASE_FILE_PATH_MAX];

	snprintf(path, sizeof(path), "%s/lease-tap0", dir);
	unlink(path);
	ck_assert_int_eq(rmdir(dir), 0);
}

static void write_file(const char *text, size_t len)
{
	char path[LEASE_FILE_PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/lease-tap0", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
}

/* A link planted at the temporary file's name is replaced, never
 * written through. */
START_TEST(test_lease_file_save_does_not_follow_a_planted_link)
{
	struct dhcp_lease l;
	struct lease_file lf, back;
	char tmp[LEASE_FILE_PATH_MAX], victim[LEASE_FILE_PATH_MAX], why[128];
	struct stat st;
	FILE *f;

	make_dir();
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	f = fopen(victim, "w");
	ck_assert_ptr_nonnull(f);
	fputs("keep me\n", f);
	fclose(f);
	snprintf(tmp, sizeof(tmp), "%s/.lease-tap0.tmp", dir);
	ck_assert_int_eq(link(victim, tmp), 0);
	full_lease(&l);
	lease_file_from_lease(&lf, "tap0", &l, 1764935000);
	ck_assert_int_eq(lease_file_save(dir, &lf), 0);
	ck_assert_int_eq(stat(victim, &st), 0);
	ck_assert_int_eq(st.st_size, 8); /* untouched */
	ck_assert_msg(lease_file_load(dir, "tap0", &back, why, sizeof(why)) ==
			  0,
		      "%s", why);
	ck_assert_uint_eq(back.addr, IP(10, 5, 0, 50));
	ck_assert_int_eq(unlink(victim), 0);
	remove_dir();
}
END_TEST

START_TEST(test_lease_file_round_trip)
{
	struct dhcp_lease l;
	struct lease_file lf, back;
	char path[LEASE_FILE_PATH_MAX], why[128];
	struct stat st;

	make_dir();
	full_lease(&l);
	lease_file_from_lease(&lf, "tap0", &l, 1764935000);
	ck_assert_int_eq(lease_file_save(dir, &lf), 0);
	snprintf(path, sizeof(path), "%s/lease-tap0", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* No temporary file is left behind. */
	snprintf(path, sizeof(path), "%s/.lease-tap0.tmp", dir);
	ck_assert_int_ne(access(path, F_OK), 0);

	ck_assert_msg(lease_file_load(dir, "tap0", &back, why, sizeof(why)) ==
			  0,
		      "%s", why);
	ck_assert_str_eq(back.ifname, "tap0");
	ck_assert_uint_eq(back.addr, IP(10, 5, 0, 50));
	ck_assert_uint_eq(back.prefix_len, 24);
	ck_assert_uint_eq(back.server_id, IP(10, 5, 0, 1));
	ck_assert_uint_eq(back.lease_s, 3600);
	ck_assert_uint_eq(back.t1_s, 1800);
	ck_assert_uint_eq(back.t2_s, 3150);
	ck_assert_int_eq(back.acquired, 1764935000);
	ck_assert_uint_eq(back.raw_len, l.opt.raw_len);
	ck_assert_mem_eq(back.raw, l.opt.raw, l.opt.raw_len);

	/* Saving again replaces it. */
	lf.addr = IP(10, 5, 0, 51);
	ck_assert_int_eq(lease_file_save(dir, &lf), 0);
	ck_assert_int_eq(lease_file_load(dir, "tap0", &back, why, sizeof(why)),
			 0);
	ck_assert_uint_eq(back.addr, IP(10, 5, 0, 51));

	/* No file of tap1; removing twice is no error. */
	ck_assert_int_eq(lease_file_load(dir, "tap1", &back, why, sizeof(why)),
			 -ENOENT);
	ck_assert_int_eq(lease_file_remove(dir, "tap0"), 0);
	ck_assert_int_eq(lease_file_load(dir, "tap0", &back, why, sizeof(why)),
			 -ENOENT);
	ck_assert_int_eq(lease_file_remove(dir, "tap0"), 0);
	remove_dir();
}
END_TEST

START_TEST(test_lease_file_format_is_the_documented_one)
{
	struct dhcp_lease l;
	struct lease_file lf;
	char text[LEASE_FILE_MAX];
	int len;

	full_lease(&l);
	lease_file_from_lease(&lf, "tap0", &l, 1764935000);
	len = lease_file_format(&lf, text, sizeof(text));
	ck_assert_int_gt(len, 0);
	ck_assert_str_eq(
	    text, "# utcpd: the DHCP lease of tap0, asked for again at start\n"
		  "version=1\n"
		  "interface=tap0\n"
		  "address=10.5.0.50\n"
		  "prefix=24\n"
		  "server=10.5.0.1\n"
		  "lease_s=3600\n"
		  "t1_s=1800\n"
		  "t2_s=3150\n"
		  "acquired=1764935000\n"
		  "option=1:ffffff00\n"
		  "option=26:05dc\n"
		  "option=224:\n"
		  "end\n");
	/* Too small a buffer: refused, never cut. */
	ck_assert_int_eq(lease_file_format(&lf, text, (size_t)len), -ENOSPC);
	ck_assert_int_eq(lease_file_format(&lf, text, (size_t)len + 1), len);
}
END_TEST

START_TEST(test_lease_file_with_every_raw_byte_fits)
{
	struct dhcp_lease l;
	struct lease_file lf, back;
	char *text = malloc(LEASE_FILE_MAX);
	char why[128];
	int len;

	/* DHCP_RAW_MAX bytes of raw options, in the shortest options (the
	 * most lines): the file stays under LEASE_FILE_MAX and reads
	 * back. */
	ck_assert_ptr_nonnull(text);
	memset(&l, 0, sizeof(l));
	l.addr = IP(10, 5, 0, 50);
	l.prefix_len = 24;
	while (l.opt.raw_len + 2 <= DHCP_RAW_MAX)
		add_raw(&l.opt, 254, "", 0);
	ck_assert_uint_eq(l.opt.raw_len, DHCP_RAW_MAX);
	lease_file_from_lease(&lf, "tap0", &l, 1);
	len = lease_file_format(&lf, text, LEASE_FILE_MAX);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(
	    lease_file_parse(text, (size_t)len, &back, why, sizeof(why)), 0);
	ck_assert_uint_eq(back.raw_len, DHCP_RAW_MAX);
	/* One more option than raw holds: refused. */
	snprintf(text + len - 4, (size_t)(LEASE_FILE_MAX - len + 4),
		 "option=254:\nend\n");
	ck_assert_int_eq(
	    lease_file_parse(text, strlen(text), &back, why, sizeof(why)),
	    -EINVAL);
	ck_assert_str_eq(why, "line 523: bad option");
	free(text);
}
END_TEST

/* Asserts that `text` is refused with a reason containing `part`. */
#define ck_lease_refused(text, part)                                           \
	do {                                                                   \
		struct lease_file lf_;                                         \
		char why_[128] = "";                                           \
		ck_assert_int_eq(lease_file_parse((text), strlen(text), &lf_,  \
						  why_, sizeof(why_)),         \
				 -EINVAL);                                     \
		ck_assert_msg(strstr(why_, (part)) != NULL,                    \
			      "\"%s\" does not say \"%s\"", why_, (part));     \
	} while (0)

#define GOOD_HEAD                                                              \
	"version=1\ninterface=tap0\naddress=10.5.0.50\nprefix=24\n"            \
	"server=10.5.0.1\nlease_s=3600\nt1_s=1800\nt2_s=3150\n"

START_TEST(test_bad_lease_files_are_refused)
{
	struct lease_file lf;
	char why[128];
	const char *good = GOOD_HEAD "acquired=5\noption=3:0a050001\nend\n";

	ck_assert_int_eq(
	    lease_file_parse(good, strlen(good), &lf, why, sizeof(why)), 0);
	ck_assert_uint_eq(lf.raw_len, 6);
	/* Cut anywhere before its end: refused. */
	for (size_t n = 0; n < strlen(good); n++)
		ck_assert_msg(
		    lease_file_parse(good, n, &lf, why, sizeof(why)) == -EINVAL,
		    "cut at %zu accepted", n);
	ck_lease_refused(GOOD_HEAD "acquired=5\n", "no \"end\" line");
	ck_lease_refused(GOOD_HEAD "acquired=5\nend", "no newline");
	ck_lease_refused(GOOD_HEAD "end\n", "no acquired");
	ck_lease_refused(GOOD_HEAD "acquired=5\nend\nversion=1\n",
			 "after \"end\"");
	ck_lease_refused("version=2\n", "line 1: bad version");
	ck_lease_refused(GOOD_HEAD "acquired=5\ncolour=blue\nend\n",
			 "line 10: unknown key \"colour\"");
	ck_lease_refused(GOOD_HEAD "acquired=5\nprefix=24\nend\n",
			 "line 10: prefix given twice");
	ck_lease_refused(GOOD_HEAD "acquired=5\ngarbage\nend\n",
			 "line 10: not key=value");
	ck_lease_refused("address=10.5.0.256\n", "bad address");
	ck_lease_refused("address=10.5.0\n", "bad address");
	ck_lease_refused("address=010.5.0.1\n", "bad address");
	ck_lease_refused("prefix=33\n", "bad prefix");
	ck_lease_refused("prefix=0\n", "bad prefix");
	ck_lease_refused("lease_s=4294967296\n", "bad lease_s");
	ck_lease_refused("acquired=-1\n", "bad acquired");
	ck_lease_refused("option=0:00\n", "bad option");
	ck_lease_refused("option=255:00\n", "bad option");
	ck_lease_refused("option=3:0a05000\n", "bad option");
	ck_lease_refused("option=3:0a05000g\n", "bad option");
	ck_lease_refused("option=3\n", "bad option");
	ck_lease_refused("\x01\x02\x03\n", "not key=value");
	ck_assert_int_eq(lease_file_parse("v\0x\n", 4, &lf, why, sizeof(why)),
			 -EINVAL);
}
END_TEST

START_TEST(test_garbage_and_foreign_files_are_ignored_on_load)
{
	struct lease_file lf;
	char why[128];
	const char *other = "version=1\ninterface=tap9\naddress=10.5.0.50\n"
			    "prefix=24\nserver=10.5.0.1\nlease_s=3600\n"
			    "t1_s=1800\nt2_s=3150\nacquired=5\nend\n";

	make_dir();
	write_file("\x7f"
		   "ELF garbage\n",
		   13);
	ck_assert_int_eq(lease_file_load(dir, "tap0", &lf, why, sizeof(why)),
			 -EINVAL);
	ck_assert_str_eq(why, "line 1: not key=value");
	write_file(other, strlen(other) - 4); /* truncated: no end */
	ck_assert_int_eq(lease_file_load(dir, "tap0", &lf, why, sizeof(why)),
			 -EINVAL);
	ck_assert_str_eq(why, "no \"end\" line (truncated)");
	write_file(other, strlen(other));
	ck_assert_int_eq(lease_file_load(dir, "tap0", &lf, why, sizeof(why)),
			 -EINVAL);
	ck_assert_str_eq(why, "the lease of interface tap9");
	remove_dir();
}
END_TEST

START_TEST(test_lease_expiry)
{
	struct lease_file lf;

	memset(&lf, 0, sizeof(lf));
	lf.acquired = 1000;
	lf.lease_s = 60;
	ck_assert(!lease_file_expired(&lf, 1059));
	ck_assert(lease_file_expired(&lf, 1060));
	lf.lease_s = DHCP_INFINITE;
	ck_assert(!lease_file_expired(&lf, INT64_MAX / 2));
}
END_TEST

/* A file's acquired time is read up to INT64_MAX: the end of its lease
 * must not overflow (it wrapped to the past: "run out"). */
START_TEST(test_lease_expiry_at_the_limit)
{
	struct lease_file lf;

	memset(&lf, 0, sizeof(lf));
	lf.acquired = INT64_MAX;
	lf.lease_s = 60;
	ck_assert(!lease_file_expired(&lf, 1764935000));
	ck_assert(!lease_file_expired(&lf, INT64_MAX - 1));
	ck_assert(!lease_file_expired(&lf, INT64_MAX));
	lf.lease_s = DHCP_INFINITE - 1;
	lf.acquired = INT64_MAX - 10;
	ck_assert(!lease_file_expired(&lf, INT64_MAX));
	lf.acquired = 0;
	lf.lease_s = 60;
	ck_assert(lease_file_expired(&lf, INT64_MAX));
	ck_assert(lease_file_expired(&lf, 60));
	ck_assert(!lease_file_expired(&lf, 59));
}
END_TEST

/* ---- the syslog line ------------------------------------------------- */

START_TEST(test_syslog_line_is_rfc5424)
{
	char buf[SYSLOG_REMOTE_LINE_MAX];
	/* 2025-12-05T11:42:13.123Z */
	struct timespec t = {1764934933, 123456789};
	size_t n;

	n = syslog_remote_format(buf, sizeof(buf), LOG_NOTICE, &t, "web1", 4242,
				 "tap0: lease 10.5.0.50/24");
	ck_assert_str_eq(buf, "<29>1 2025-12-05T11:42:13.123Z web1 utcpd 4242 "
			      "- - tap0: lease 10.5.0.50/24");
	ck_assert_uint_eq(n, strlen(buf));
	syslog_remote_format(buf, sizeof(buf), LOG_ERR, &t, "h", 1, "x");
	ck_assert_str_eq(buf, "<27>1 2025-12-05T11:42:13.123Z h utcpd 1 - - x");
	syslog_remote_format(buf, sizeof(buf), LOG_DEBUG, &t, "", 1, "x");
	ck_assert_str_eq(buf, "<31>1 2025-12-05T11:42:13.123Z - utcpd 1 - - x");
}
END_TEST

START_TEST(test_syslog_line_is_cut_at_the_buffer)
{
	char buf[40], msg[100];
	struct timespec t = {0, 0};

	memset(msg, 'a', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	ck_assert_uint_eq(
	    syslog_remote_format(buf, sizeof(buf), LOG_INFO, &t, "h", 1, msg),
	    39);
	ck_assert_uint_eq(strlen(buf), 39);
	ck_assert_str_eq(buf, "<30>1 1970-01-01T00:00:00.000Z h utcpd ");
}
END_TEST

START_TEST(test_syslog_queue_holds_64_lines_then_drops)
{
	static struct syslog_remote sr;

	syslog_remote_start(&sr, "h", 1);
	/* No server known: nothing is queued. */
	syslog_remote_log(&sr, LOG_INFO, "before");
	ck_assert_uint_eq(sr.count, 0);
	sr.active = true;
	for (int i = 0; i < SYSLOG_REMOTE_QUEUE_MAX; i++)
		syslog_remote_log(&sr, LOG_INFO, "line");
	ck_assert_uint_eq(sr.count, SYSLOG_REMOTE_QUEUE_MAX);
	ck_assert_uint_eq(sr.dropped, 0);
	syslog_remote_log(&sr, LOG_INFO, "one more");
	ck_assert_uint_eq(sr.count, SYSLOG_REMOTE_QUEUE_MAX);
	ck_assert_uint_eq(sr.dropped, 1);
	ck_assert(strstr(sr.lines[0], " - - line") != NULL);
	/* While sending, a line logged is not queued (no recursion). */
	sr.count = 0;
	sr.sending = true;
	syslog_remote_log(&sr, LOG_INFO, "while sending");
	ck_assert_uint_eq(sr.count, 0);
	ck_assert_uint_eq(sr.dropped, 1);
}
END_TEST

/* ---- the daemon around them ----------------------------------------- */

static struct daemon dmn;
static struct netconf nc;
static struct syslog_remote srq;

/* A daemon with cfg (one_interface() first), no stack. */
static void daemon_up(void)
{
	memset(&dmn, 0, sizeof(dmn));
	dmn.cfg = &cfg;
	dmn.netconf = &nc;
	netconf_start(&dmn);
}

START_TEST(test_static_interfaces_are_ready_at_once)
{
	one_interface(false);
	daemon_up();
	ck_assert(!nc.ready);
	ck_assert(!nc.lease_files); /* no DHCP: no state directory */
	netconf_ready_check(&dmn);
	ck_assert(nc.ready);
	ck_assert_uint_gt(nc.ready_ns, 0);

	one_interface(true);
	daemon_up();
	netconf_ready_check(&dmn);
	ck_assert(!nc.ready); /* waits for the lease */
}
END_TEST

START_TEST(test_state_dir_is_made_0700)
{
	char base[64], path[128];
	struct stat st;

	snprintf(base, sizeof(base), "/tmp/utcpd-state-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	one_interface(true);
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s/a/b", base);
	daemon_up();
	ck_assert(nc.lease_files);
	ck_assert_int_eq(stat(cfg.state_dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/a", base);
	ck_assert_int_eq(rmdir(cfg.state_dir), 0);
	ck_assert_int_eq(rmdir(path), 0);
	ck_assert_int_eq(rmdir(base), 0);
}
END_TEST

START_TEST(test_unusable_state_dir_is_a_warning)
{
	one_interface(true);
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "/proc/utcpd-no/state");
	daemon_up();
	ck_assert(!nc.lease_files); /* and the daemon goes on */
	ck_assert_int_eq(nc.nifs, 1);
}
END_TEST

/* A state directory others may write to is not used for leases: a
 * planted file would be read back as a lease. */
START_TEST(test_state_dir_writable_by_others_is_not_used)
{
	char base[64];

	snprintf(base, sizeof(base), "/tmp/utcpd-state-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	ck_assert_int_eq(chmod(base, 0777), 0);
	one_interface(true);
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", base);
	daemon_up();
	ck_assert(!nc.lease_files);
	ck_assert_int_eq(chmod(base, 0700), 0);
	daemon_up();
	ck_assert(nc.lease_files);
	ck_assert_int_eq(rmdir(base), 0);
}
END_TEST

/* Log lines captured by the log's hook. */
static char logged[32][160];
static int nlogged;

static void capture(void *arg, int priority, const char *msg)
{
	if (nlogged < 32)
		snprintf(logged[nlogged++], sizeof(logged[0]), "%d %s",
			 priority, msg);
}

/* Asserts that "PRIORITY MESSAGE" was logged. */
static void ck_logged(const char *line)
{
	for (int i = 0; i < nlogged; i++)
		if (strcmp(logged[i], line) == 0)
			return;
	ck_abort_msg("\"%s\" not logged (%d lines, last \"%s\")", line, nlogged,
		     nlogged ? logged[nlogged - 1] : "");
}

static char sdir[64];

/* Two DHCP interfaces, a daemon with their TAPs' indexes, lease files
 * in a temporary state directory, the log captured. */
static void two_dhcp_interfaces(void)
{
	config_defaults(&cfg);
	cfg.nifs = 2;
	for (int i = 0; i < 2; i++) {
		snprintf(cfg.ifs[i].name, sizeof(cfg.ifs[i].name), "tap%d", i);
		cfg.ifs[i].dhcp = true;
		cfg.ifs[i].release = true;
	}
	snprintf(sdir, sizeof(sdir), "/tmp/utcpd-reports-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(sdir));
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", sdir);
	daemon_up();
	ck_assert(nc.lease_files);
	dmn.ntaps = 2;
	dmn.taps[0].ifindex = 0;
	dmn.taps[1].ifindex = 1;
	nlogged = 0;
	log_set_hook(capture, NULL);
}

static bool lease_file_exists(const char *ifname)
{
	char path[LEASE_FILE_PATH_MAX];

	snprintf(path, sizeof(path), "%s/lease-%s", sdir, ifname);
	return access(path, F_OK) == 0;
}

static void report(int ifindex, enum stack_dhcp_report_kind kind,
		   const struct stack_dhcp_info *info)
{
	struct stack_dhcp_report r;

	memset(&r, 0, sizeof(r));
	r.ifindex = ifindex;
	r.kind = kind;
	r.from = DHCP_S_REQUESTING;
	r.to = DHCP_S_BOUND;
	snprintf(r.text, sizeof(r.text), "T1 corrected");
	netconf_on_report(&dmn, &r, info);
}

START_TEST(test_reports_log_save_and_make_ready)
{
	static struct stack_dhcp_info info;
	struct lease_file lf;
	char why[128];

	two_dhcp_interfaces();
	memset(&info, 0, sizeof(info));
	info.bound = true;
	full_lease(&info.lease);
	info.lease.start_ns = daemon_now();

	report(0, STACK_DHCP_STATE, NULL);
	ck_logged("6 tap0: dhcp REQUESTING -> BOUND");
	report(0, STACK_DHCP_NOTE, NULL);
	ck_logged("5 tap0: T1 corrected");

	report(0, STACK_DHCP_LEASE, &info);
	ck_logged("6 tap0: lease 10.5.0.50/24 from 10.5.0.1 for 3600 s");
	ck_assert(nc.ifs[0].configured);
	ck_assert_int_eq(nc.ifs[0].dns_src, NETCONF_LEASE);
	ck_assert(!nc.ifs[1].configured);
	ck_assert(!nc.ready); /* tap1 has no lease yet */
	ck_assert(lease_file_exists("tap0"));
	ck_assert_int_eq(lease_file_load(sdir, "tap0", &lf, why, sizeof(why)),
			 0);
	ck_assert_uint_eq(lf.addr, IP(10, 5, 0, 50));
	/* Acquired now, on the wall clock. */
	ck_assert_int_le(lf.acquired, (int64_t)time(NULL));
	ck_assert_int_ge(lf.acquired, (int64_t)time(NULL) - 5);

	info.lease.addr = IP(10, 6, 0, 60);
	info.lease.lease_s = DHCP_INFINITE;
	report(1, STACK_DHCP_LEASE, &info);
	ck_logged("6 tap1: lease 10.6.0.60/24 from 10.5.0.1 for ever");
	ck_assert(nc.ready);
	ck_logged("5 ready: every interface is configured");

	/* A lease lost: settings and file go; READY was the first time. */
	report(0, STACK_DHCP_LOST, NULL);
	ck_logged("5 tap0: lease lost: T1 corrected");
	ck_assert(!nc.ifs[0].configured);
	ck_assert_int_eq(nc.ifs[0].dns_src, NETCONF_NONE);
	ck_assert(!lease_file_exists("tap0"));
	ck_assert(nc.ready);

	/* A LEASE with nothing bound is a warning, not a configuration. */
	report(0, STACK_DHCP_LEASE, NULL);
	ck_logged("4 tap0: a lease was reported but none is bound");
	ck_assert(!nc.ifs[0].configured);
	/* An interface the daemon does not have: ignored. */
	report(5, STACK_DHCP_LEASE, &info);

	/* Stopping: with release = no the lease stays for next time. */
	cfg.ifs[1].release = false;
	nc.stopping = true;
	report(1, STACK_DHCP_LOST, NULL);
	ck_assert(lease_file_exists("tap1"));
	cfg.ifs[1].release = true;
	report(1, STACK_DHCP_LOST, NULL);
	ck_assert(!lease_file_exists("tap1"));

	log_set_hook(NULL, NULL);
	ck_assert_int_eq(rmdir(sdir), 0);
}
END_TEST

START_TEST(test_lease_log_server_gets_the_lease_line)
{
	static struct stack_dhcp_info info;

	two_dhcp_interfaces();
	dmn.syslog = &srq;
	syslog_remote_start(&srq, "h", 1); /* the hook is now syslog's */
	memset(&info, 0, sizeof(info));
	info.bound = true;
	full_lease(&info.lease); /* log servers 10.5.0.7, .8 */

	report(0, STACK_DHCP_STATE, NULL);
	ck_assert_uint_eq(srq.count, 0); /* no server known yet */
	report(0, STACK_DHCP_LEASE, &info);
	ck_assert(srq.active);
	ck_assert_uint_ge(srq.count, 1);
	ck_assert_msg(strstr(srq.lines[srq.head],
			     " - - tap0: lease 10.5.0.50/24 from 10.5.0.1") !=
			  NULL,
		      "%s", srq.lines[srq.head]);
	/* The lease and with it the server gone: nothing more queued,
	 * what waited is dropped. */
	report(0, STACK_DHCP_LOST, NULL);
	ck_assert(!srq.active);
	ck_assert_uint_eq(srq.count, 0);
	ck_assert_uint_ge(srq.dropped, 1);
	syslog_remote_stop(&dmn);
	ck_assert_int_eq(rmdir(sdir), 0);
}
END_TEST

/* Frames the stack sends, popped from its queue. */
static struct pkt *pop_frame(void)
{
	struct pkt *p = stack_pop_tx(dmn.stack);

	ck_assert_ptr_nonnull(p);
	return p;
}

START_TEST(test_log_line_goes_through_the_stack)
{
	static const uint8_t zero[6];
	char want[SYSLOG_REMOTE_LINE_MAX];
	struct tframe f;
	struct pkt *p;
	const uint8_t *udp;
	size_t n;

	one_interface(false);
	cfg.ifs[0].addr = OUR_ADDR;
	cfg.log_server_set = true;
	cfg.log_server = PEER_ADDR;
	cfg.log_port = 5140;
	daemon_up();
	netconf_ready_check(&dmn);
	dmn.stack = t_stack();
	t_drain(dmn.stack);
	dmn.syslog = &srq;
	syslog_remote_start(&srq, "web1", 77);

	/* Before the first flush no server is known: not queued. */
	log_msg(LOG_INFO, "too early");
	ck_assert_uint_eq(srq.count, 0);
	ck_assert(!syslog_remote_flush(&dmn));
	ck_assert(srq.active);
	ck_assert_int_ge(srq.sock, 0);

	log_msg(LOG_NOTICE, "hello %d", 1);
	ck_assert_uint_eq(srq.count, 1);
	ck_assert(syslog_remote_flush(&dmn));
	ck_assert_uint_eq(srq.count, 0);
	ck_assert_uint_eq(srq.sent, 1);

	/* The server's address is resolved first, then the line goes. */
	p = pop_frame();
	ck_assert_uint_eq(get_be16(p->data + 12), ETHERTYPE_ARP);
	stack_pkt_free(dmn.stack, p);
	t_arp_frame(&f, OUR_MAC, 2, PEER_MAC, PEER_ADDR, zero, OUR_ADDR);
	memcpy(f.b + 14 + 18, OUR_MAC, 6);
	t_input(dmn.stack, T0, &f);
	p = t_pop_ipv4(dmn.stack, 17);
	ck_assert_mem_eq(p->data, PEER_MAC, 6);
	ck_assert_uint_eq(get_be32(p->data + 14 + 12), OUR_ADDR);
	ck_assert_uint_eq(get_be32(p->data + 14 + 16), PEER_ADDR);
	udp = p->data + 14 + 20;
	ck_assert_uint_eq(get_be16(udp + 2), 5140);
	/* The line as formatted, whole. */
	ck_assert_uint_ge(p->len, 14 + 20 + 8 + 40);
	n = p->len - 14 - 20 - 8;
	memcpy(want, udp + 8, n);
	want[n] = '\0';
	ck_assert_msg(strncmp(want, "<29>1 ", 6) == 0, "%s", want);
	ck_assert_msg(strstr(want, "Z web1 utcpd 77 - - hello 1") != NULL &&
			  want[n - 1] == '1',
		      "%s", want);
	stack_pkt_free(dmn.stack, p);

	/* The server gone (log_server = none): lines are no longer
	 * queued. */
	nc.ifs[0].log_server = 0;
	ck_assert(!syslog_remote_flush(&dmn));
	ck_assert(!srq.active);
	ck_assert_int_lt(srq.sock, 0);
	log_msg(LOG_NOTICE, "not sent");
	ck_assert_uint_eq(srq.count, 0);

	syslog_remote_stop(&dmn);
	stack_free(dmn.stack);
}
END_TEST

static Suite *netconf_suite(void)
{
	Suite *s = suite_create("netconf");
	TCase *prec = tcase_create("precedence");
	TCase *lease = tcase_create("lease_file");
	TCase *sys = tcase_create("syslog");
	TCase *dm = tcase_create("daemon");

	tcase_add_test(prec, test_lease_sets_everything_nothing_static);
	tcase_add_test(prec, test_static_keys_win_key_by_key);
	tcase_add_test(prec,
		       test_static_interface_is_configured_from_the_start);
	tcase_add_test(prec, test_lease_without_routes_or_mtu_sets_none);
	tcase_add_test(prec,
		       test_log_server_is_the_first_configured_interfaces);
	suite_add_tcase(s, prec);

	tcase_add_test(lease, test_lease_file_round_trip);
	tcase_add_test(lease,
		       test_lease_file_save_does_not_follow_a_planted_link);
	tcase_add_test(lease, test_lease_file_format_is_the_documented_one);
	tcase_add_test(lease, test_lease_file_with_every_raw_byte_fits);
	tcase_add_test(lease, test_bad_lease_files_are_refused);
	tcase_add_test(lease,
		       test_garbage_and_foreign_files_are_ignored_on_load);
	tcase_add_test(lease, test_lease_expiry);
	tcase_add_test(lease, test_lease_expiry_at_the_limit);
	suite_add_tcase(s, lease);

	tcase_add_test(sys, test_syslog_line_is_rfc5424);
	tcase_add_test(sys, test_syslog_line_is_cut_at_the_buffer);
	tcase_add_test(sys, test_syslog_queue_holds_64_lines_then_drops);
	suite_add_tcase(s, sys);

	tcase_add_test(dm, test_static_interfaces_are_ready_at_once);
	tcase_add_test(dm, test_state_dir_is_made_0700);
	tcase_add_test(dm, test_unusable_state_dir_is_a_warning);
	tcase_add_test(dm, test_state_dir_writable_by_others_is_not_used);
	tcase_add_test(dm, test_log_line_goes_through_the_stack);
	tcase_add_test(dm, test_reports_log_save_and_make_ready);
	tcase_add_test(dm, test_lease_log_server_gets_the_lease_line);
	suite_add_tcase(s, dm);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(netconf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
