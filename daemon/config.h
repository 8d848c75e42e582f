/*
 * config.h - utcpd.conf and the command line
 *
 * The configuration is an INI file (inih) with a [daemon] section, one
 * [interface NAME] section per TAP, a [limits] section for the stack's
 * table bounds, [tcp], [control], and [dns] and [hosts] for the stub
 * resolver. Command-line flags override [daemon] keys
 * (--name, --socket, ...) through config_override(). Any unknown
 * section or key, a duplicate, or a bad value is reported as
 * FILE:LINE: reason, and the daemon exits with status 2.
 *
 * docs/utcpd.conf.5 documents every key; conf/utcpd.conf is an example.
 */
#ifndef UTCPD_CONFIG_H
#define UTCPD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../stack/dns.h"
#include "../stack/stack.h"
#include "utcpd_paths.h"

#define CONFIG_NAME_MAX 64
#define CONFIG_PATH_MAX 108 /* sizeof(sun_path) */
#define CONFIG_DNS_MAX	3
/* The installation's paths (meson: sysconfdir, localstatedir,
 * runstatedir), generated as utcpd_paths.h. */
#define CONFIG_DEFAULT_SOCKET	 UTCPD_SOCKET_PATH
#define CONFIG_DEFAULT_PATH	 UTCPD_CONFIG_PATH
#define CONFIG_DEFAULT_NAME	 "utcpd"
#define CONFIG_DEFAULT_MTU	 1500u
#define CONFIG_MTU_MIN		 68u
#define CONFIG_MTU_MAX		 (65535u - 14u) /* as stack_if_add() */
#define CONFIG_DEFAULT_STATE_DIR UTCPD_STATE_DIR
#define CONFIG_STATE_DIR_MAX	 256
#define CONFIG_LOG_PORT		 514 /* syslog over UDP (RFC 5426) */
/* [daemon] busy_poll_us at most: a second of spinning after the last
 * work. */
#define CONFIG_BUSY_POLL_US_MAX 1000000u
/* An interface's default route metric when `metric` is not set: the
 * interface's position in the file times this, so the first one is
 * preferred (0, 100, 200 ...). */
#define CONFIG_METRIC_STEP 100
/* Room for "FILE:LINE: reason" in the err buffer of config_load(). */
#define CONFIG_ERR_MAX 512
/* [control] listen_groups: at most this many groups. */
#define CONFIG_LISTEN_GROUPS_MAX 16

/* What an interface sends as its DHCP client identifier (option 61). */
enum config_client_id {
	CLIENT_ID_MAC,	/* hardware type 1 and the MAC (the default) */
	CLIENT_ID_HEX,	/* the bytes given, as they are */
	CLIENT_ID_DUID, /* RFC 4361: 255, IAID, DUID-LL (type 3) of the MAC */
};

struct config_interface {
	char name[STACK_IF_NAME_MAX]; /* the TAP device */
	uint8_t mac[6];
	bool has_mac;  /* false: a random locally administered MAC */
	uint32_t mtu;  /* default 1500 */
	bool mtu_set;  /* `mtu` was given: it wins over the lease's (26) */
	bool dhcp;     /* default yes when no address is given */
	uint32_t addr; /* host order; 0 = none */
	uint8_t prefix_len;
	uint32_t gateway; /* 0 = none */
	uint32_t dns[CONFIG_DNS_MAX];
	int ndns;
	bool offload; /* default yes: IFF_VNET_HDR, TSO and checksum offload */
	int line;     /* line of the [interface NAME] header, for messages */
	/* DHCP (dhcp = yes): what the client sends and does. */
	enum config_client_id client_id_kind;  /* default CLIENT_ID_MAC */
	uint8_t client_id[DHCP_CLIENT_ID_MAX]; /* CLIENT_ID_HEX: as sent */
	uint8_t client_id_len;
	bool hostname_set;		  /* false: the daemon's name */
	char hostname[DHCP_HOSTNAME_MAX]; /* set and "": none sent */
	bool release;	/* default yes: DHCPRELEASE on a clean stop */
	bool arp_check; /* default yes: probe an offered address */
	/* The metric of this interface's default route (static gateway or
	 * lease): default CONFIG_METRIC_STEP times its position. */
	uint32_t metric;
};

enum log_target { LOG_TARGET_STDERR, LOG_TARGET_SYSLOG, LOG_TARGET_FILE };

/* [control]: what the control server allows in all, per client (one
 * control connection) and per uid (SO_PEERCRED), docs/utcpd.conf.5.
 * The stack's own tables ([limits] udp_sockets_max, [tcp]
 * listeners_max) are the global bounds of UDP sockets and listeners. */
struct config_control {
	uint32_t clients_max;	   /* control connections in all: EUSERS */
	uint32_t clients_per_uid;  /* ... of one uid (not root's): EUSERS */
	uint32_t hello_timeout_ms; /* a client must send HELLO by then */
	uint32_t udp_per_client;   /* UDP sockets: EMFILE */
	uint32_t udp_per_uid;
	uint32_t listeners_per_client; /* TCP listeners: EMFILE */
	uint32_t listeners_per_uid;
	uint32_t connections_max;	 /* TCP connections in all: ENFILE */
	uint32_t connections_per_client; /* EMFILE */
	uint32_t connections_per_uid;
	bool has_privileged_group; /* may bind ports below 1024 */
	gid_t privileged_group;
	/* listen_groups: who may listen (TCP_LISTEN) besides uid 0; none
	 * (the default): anyone. A client outside them gets EACCES. */
	uint32_t nlisten_groups;
	gid_t listen_groups[CONFIG_LISTEN_GROUPS_MAX];
	/* Packet captures (utcpctl capture) at once, and the bytes each
	 * queues for a slow reader (capture.h's bounds). */
	uint32_t captures_max;
	uint32_t capture_queue_bytes;
};

/* [hosts]: one static host entry, NAME = ADDR [ADDR ...]. */
struct config_host {
	char name[DNS_NAME_MAX]; /* checked, without a trailing dot */
	struct dns_addr addrs[DNS_HOST_ADDRS_MAX]; /* family 4 or 6, ttl 0 */
	uint8_t naddrs;
};

/* [dns] and [hosts]: the stub resolver (daemon/resolver.c). */
struct config_dns {
	struct dns_limits limits; /* over dns_limits_default() */
	/* [dns] search: set (search_set) wins over every lease's search
	 * list and domain; set and empty is `none`. Checked names without
	 * a trailing dot. */
	bool search_set;
	char search[DNS_SEARCH_MAX][DNS_NAME_MAX];
	uint8_t nsearch;
	struct config_host hosts[DNS_HOSTS_MAX]; /* [hosts], file order */
	int nhosts;
};

/* Where a key was set in the file: "[SECTION] key" (a section as
 * written in its header: "[interface tap0] mtu") and its line. For the
 * messages of a reload (daemon/reload.c). [hosts] entries are not kept. */
#define CONFIG_KEY_LINES_MAX 256
#define CONFIG_KEY_NAME_MAX  48
struct config_key_line {
	char key[CONFIG_KEY_NAME_MAX];
	int line;
};

/* [daemon] log_priority_prefix */
enum log_prefix {
	LOG_PREFIX_AUTO, /* when stderr is the journal (JOURNAL_STREAM) */
	LOG_PREFIX_YES,
	LOG_PREFIX_NO,
};

/* The longest user or group name (useradd's limit is 32), with its NUL. */
#define CONFIG_USER_MAX 33

struct config {
	char name[CONFIG_NAME_MAX];	   /* [daemon] name */
	char socket_path[CONFIG_PATH_MAX]; /* [daemon] socket */
	mode_t socket_mode;		   /* [daemon] socket_mode, 0660 */
	/* [daemon] socket_owner, socket_group: the control socket's owner
	 * and group (chown after bind); unset: the daemon's own. */
	bool socket_owner_set, socket_group_set;
	uid_t socket_owner;
	gid_t socket_group;
	enum log_target log_target; /* [daemon] log */
	char log_file[CONFIG_PATH_MAX * 4];
	int log_level; /* syslog priority, LOG_INFO */
	struct config_interface ifs[STACK_IF_MAX];
	int nifs;
	struct stack_limits limits;	      /* [limits] over the defaults */
	struct config_control control;	      /* [control] */
	char state_dir[CONFIG_STATE_DIR_MAX]; /* [daemon] state_dir */
	/* [daemon] log_server: set (log_server_set) wins over every
	 * lease's option 7; set with address 0 is `none`. */
	bool log_server_set;
	uint32_t log_server;
	uint16_t log_port;
	/* [daemon] busy_poll_us: how long the loop polls without blocking
	 * after its last work (loop.c, busy_poll.h); 0 (default): off. */
	uint32_t busy_poll_us;
	struct config_dns dns; /* [dns], [hosts] */
	/* The keys the file set, in file order (config_key_line()). */
	struct config_key_line key_lines[CONFIG_KEY_LINES_MAX];
	int nkey_lines;
	/* [daemon] user and group: the daemon runs as them once its TAPs
	 * are open (privileges.c); "" (default): stays as started. A name
	 * or a number, looked up at start. */
	char user[CONFIG_USER_MAX];
	char group[CONFIG_USER_MAX];
	/* [daemon] log_priority_prefix: "<N>" before each stderr line
	 * (log.c). */
	enum log_prefix log_prefix;
};

/* Fills cfg with the defaults: name "utcpd", the default socket with
 * mode 0660, log to stderr at info, no interface,
 * stack_limits_default() and dns_limits_default(). */
void config_defaults(struct config *cfg);

/*
 * Reads the file at `path` over what cfg holds (normally the defaults)
 * and checks the result as a whole (at least one interface, gateways
 * on-link, ...). On error writes one line without a newline to err:
 * "PATH:LINE: reason" for a problem in the file, "PATH: reason" for an
 * unreadable file or a missing interface. cfg may then be partly
 * filled. Returns 0, -EINVAL for a bad configuration, or the negative
 * errno of opening or reading the file.
 */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);

/*
 * Sets one key as a command-line flag overrides it, with the same
 * checks as in the file: a [daemon] key (name, socket, socket_mode,
 * log, log_level, state_dir, log_server, busy_poll_us, socket_owner,
 * socket_group), or one for every
 * interface: "dns" (--dns-servers: static DNS servers, which win over leases)
 * and "dhcp" with value "no" (--no-dhcp: every interface then needs its static
 * address). Call it after config_load(). On error writes the reason (e.g. `bad
 * socket_mode "999": ...`) to err. Returns 0, -EINVAL for a bad value or
 * -ENOENT for an unknown key.
 */
int config_override(struct config *cfg, const char *key, const char *value,
		    char *err, size_t errlen);

/* Writes the DHCP client identifier of ifc, given the interface's MAC,
 * to out (DHCP_CLIENT_ID_MAX bytes). Returns its length; 0 for
 * CLIENT_ID_MAC, which the stack fills in itself (type 1 + the MAC). */
size_t config_client_id(const struct config_interface *ifc,
			const uint8_t mac[6], uint8_t *out);

/* The line of the file where `key` ("[daemon] log_level", as in
 * struct config_key_line) was set, or 0 when the file did not set it. */
int config_key_line(const struct config *cfg, const char *key);

/* Writes "[section] key" for every key the parser accepts ("[interface]
 * mtu" for each interface's, "[hosts] NAME" for the host entries) to
 * out, at most max of them. Returns how many there are. */
size_t config_keys(char (*out)[CONFIG_KEY_NAME_MAX], size_t max);

/* The name of a log level as written in the file ("info"), or "?". */
const char *config_log_level_name(int level);

#endif
