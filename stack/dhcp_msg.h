/*
 * dhcp_msg.h - DHCP messages (RFC 2131, RFC 2132): parsing and building
 *
 * Pure functions over byte buffers, shared by the client (dhcp.c), the
 * stack's glue (dhcp_if.c), the tests' scripted servers and the fuzzer.
 *
 * dhcp_msg_parse() checks a whole message before it returns anything:
 * the fixed BOOTP part, the magic cookie, every option's length against
 * the end of its field, the END option, option overload (52: options
 * continue in `file`, then `sname`) and the values of every option the
 * client uses (sizes, a 121 prefix length over 32, a 119 name that
 * loops or runs past the end ...). A message with any fault is refused
 * as a whole with the reason (enum dhcp_parse_error), never half-read.
 * Every option received is also kept raw, in the order received, so
 * that status can show all of them.
 *
 * dhcp_msg_build() writes what a client sends (struct dhcp_out) as a
 * BOOTREQUEST, padded to the BOOTP minimum of 300 bytes.
 *
 * Addresses are host byte order, as everywhere in stack/.
 */
#ifndef UTCP_DHCP_MSG_H
#define UTCP_DHCP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_FIXED_LEN	 236u /* op .. file, before the magic cookie */
#define DHCP_MAGIC	 0x63825363u
#define DHCP_MIN_LEN	 300u /* BOOTP's minimum; shorter ones are padded */
/* The largest message the client builds or accepts to parse: RFC 2131's
 * 576-byte minimum datagram is all a client must take; servers may send
 * up to the maximum message size we advertise (57). */
#define DHCP_MAX_LEN	      1500u
#define DHCP_FLAG_BROADCAST   0x8000u
#define DHCP_INFINITE	      0xffffffffu /* lease time 51: forever */
#define DHCP_ADDRS_MAX	      8	   /* routers, DNS, log, NTP servers each */
#define DHCP_ROUTES_MAX	      16   /* classless static routes (121) */
#define DHCP_SEARCH_MAX	      8	   /* domain search list entries (119) */
#define DHCP_NAME_MAX	      256  /* a domain name, dotted, with the NUL */
#define DHCP_RAW_MAX	      1024 /* bytes of raw options kept */
#define DHCP_CLIENT_ID_MAX    64
#define DHCP_HOSTNAME_MAX     64
#define DHCP_MESSAGE_TEXT_MAX 128 /* option 56, a server's message */

/* Message types, option 53. */
enum dhcp_msg_type {
	DHCPDISCOVER = 1,
	DHCPOFFER = 2,
	DHCPREQUEST = 3,
	DHCPDECLINE = 4,
	DHCPACK = 5,
	DHCPNAK = 6,
	DHCPRELEASE = 7,
	DHCPINFORM = 8,
};

/* "DHCPOFFER", ... or "?". */
const char *dhcp_msg_type_name(int type);

/* Option codes the client sends or uses. */
enum dhcp_option_code {
	DHCP_OPT_PAD = 0,
	DHCP_OPT_SUBNET_MASK = 1,
	DHCP_OPT_ROUTERS = 3,
	DHCP_OPT_DNS = 6,
	DHCP_OPT_LOG_SERVERS = 7,
	DHCP_OPT_HOSTNAME = 12,
	DHCP_OPT_DOMAIN = 15,
	DHCP_OPT_MTU = 26,
	DHCP_OPT_BROADCAST = 28,
	DHCP_OPT_NTP = 42,
	DHCP_OPT_REQUESTED_ADDR = 50,
	DHCP_OPT_LEASE_TIME = 51,
	DHCP_OPT_OVERLOAD = 52,
	DHCP_OPT_MSG_TYPE = 53,
	DHCP_OPT_SERVER_ID = 54,
	DHCP_OPT_PARAM_LIST = 55,
	DHCP_OPT_MESSAGE = 56,
	DHCP_OPT_MAX_MSG_SIZE = 57,
	DHCP_OPT_T1 = 58,
	DHCP_OPT_T2 = 59,
	DHCP_OPT_CLIENT_ID = 61,
	DHCP_OPT_SEARCH = 119,
	DHCP_OPT_CLASSLESS_ROUTES = 121,
	DHCP_OPT_END = 255,
};

/* Why a message was refused; each has a counter (dhcp_rx_drop_<name>). */
enum dhcp_parse_error {
	DHCP_OK = 0,
	DHCP_ERR_SHORT,		/* shorter than the fixed part + cookie */
	DHCP_ERR_HEADER,	/* op not BOOTREPLY, htype/hlen not Ethernet */
	DHCP_ERR_MAGIC,		/* no magic cookie */
	DHCP_ERR_OPTION_LENGTH, /* an option runs past the end of its field */
	DHCP_ERR_OPTION_EMPTY,	/* zero length where a value is required */
	DHCP_ERR_OPTION_SIZE,	/* a value of the wrong size (mask of 3 ...) */
	DHCP_ERR_NO_END,	/* a field's options are not ended by END */
	DHCP_ERR_OVERLOAD,	/* a bad 52, or 52 inside an overloaded field */
	DHCP_ERR_ROUTES,	/* 121: prefix length over 32, short entry */
	DHCP_ERR_NAME,		/* 15/119: a bad label, loop, too long */
	DHCP_ERR_MSG_TYPE,	/* no 53, or not one of 1..8 */
	DHCP_ERR_COUNT
};

/* "short", "header", ... as in the counter names. */
const char *dhcp_parse_error_name(enum dhcp_parse_error e);

struct dhcp_route {
	uint32_t dst;
	uint8_t prefix_len;
	uint32_t gateway; /* 0 = on-link */
};

/* What a message carries, decoded. `has` bits say which options came. */
struct dhcp_options {
	uint32_t has[8]; /* bit (code % 32) of has[code / 32]: option seen */
	uint8_t msg_type;
	uint32_t subnet_mask;
	uint32_t routers[DHCP_ADDRS_MAX];
	uint8_t nrouters;
	uint32_t dns[DHCP_ADDRS_MAX];
	uint8_t ndns;
	uint32_t log_servers[DHCP_ADDRS_MAX];
	uint8_t nlog_servers;
	uint32_t ntp[DHCP_ADDRS_MAX];
	uint8_t nntp;
	char domain[DHCP_NAME_MAX]; /* 15, without a trailing dot */
	char search[DHCP_SEARCH_MAX][DHCP_NAME_MAX]; /* 119, decoded */
	uint8_t nsearch;
	uint16_t mtu;	     /* 26 */
	uint32_t broadcast;  /* 28 */
	uint32_t lease_s;    /* 51; DHCP_INFINITE: forever */
	uint32_t server_id;  /* 54 */
	uint32_t t1_s, t2_s; /* 58, 59 */
	struct dhcp_route routes[DHCP_ROUTES_MAX]; /* 121 */
	uint8_t nroutes;
	uint16_t max_msg_size;		     /* 57 */
	char message[DHCP_MESSAGE_TEXT_MAX]; /* 56, made printable */
	/* Every option as received (after overload: options, then file,
	 * then sname), code, length, value, PAD and END left out;
	 * raw_truncated when they did not all fit. */
	uint8_t raw[DHCP_RAW_MAX];
	uint16_t raw_len;
	bool raw_truncated;
};

static inline bool dhcp_has(const struct dhcp_options *o, uint8_t code)
{
	return (o->has[code / 32] >> (code % 32)) & 1u;
}

/* A received message: the BOOTP fields and the decoded options. */
struct dhcp_msg {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[16];
	struct dhcp_options opt;
};

/*
 * Parses the UDP payload buf[0..len) as a server's message (BOOTREPLY,
 * Ethernet hardware address) into *out. Returns DHCP_OK, or the reason
 * the whole message is refused (*out is then unspecified).
 */
enum dhcp_parse_error dhcp_msg_parse(const uint8_t *buf, size_t len,
				     struct dhcp_msg *out);

/* What the client sends: one BOOTREQUEST. Zero fields are left out
 * (requested_addr, server_id 0: no option 50/54; hostname "": no 12). */
struct dhcp_out {
	uint8_t type; /* DHCPDISCOVER, DHCPREQUEST, DHCPDECLINE, DHCPRELEASE */
	uint32_t xid;
	uint16_t secs;
	bool broadcast; /* set the BROADCAST flag */
	uint32_t ciaddr;
	uint8_t chaddr[6];
	uint32_t requested_addr;	       /* option 50 */
	uint32_t server_id;		       /* option 54 */
	uint8_t client_id[DHCP_CLIENT_ID_MAX]; /* option 61, as sent */
	uint8_t client_id_len;
	char hostname[DHCP_HOSTNAME_MAX];    /* option 12 */
	uint16_t max_msg_size;		     /* option 57; 0: not sent */
	bool param_list;		     /* option 55, the options we use */
	char message[DHCP_MESSAGE_TEXT_MAX]; /* option 56 (DECLINE's why) */
	/* Where it goes (for the glue, not in the message): dst 0xffffffff
	 * is a broadcast from src 0.0.0.0 (or src, when it is ours);
	 * anything else a unicast from src to the server's port 67. */
	uint32_t dst;
	uint32_t src;
};

/* Writes the message to buf (at most cap bytes). Returns its length
 * (at least DHCP_MIN_LEN), or 0 when cap is too small. */
size_t dhcp_msg_build(uint8_t *buf, size_t cap, const struct dhcp_out *m);

/* The options a message is built with for 55, in the order sent. */
extern const uint8_t dhcp_param_list[];
extern const size_t dhcp_param_list_len;

#endif
