/*
 * dns.h - the stub resolver: lookups, the cache, queries on the wire
 *
 * A sans-IO resolver, as the rest of stack/: it takes lookups from its
 * user, datagrams and stream messages that came back, and the time;
 * it returns what to send (struct dns_tx, popped) and the lookups'
 * results (struct dns_result, popped). It owns no socket: the daemon
 * (daemon/resolver.c) carries its queries over the stack's UDP and TCP.
 * It is its own object, beside struct stack, with its own limits,
 * counters and random generator (seeded by the caller).
 *
 * A lookup (dns_lookup) is a name and the families wanted (A, AAAA or
 * both). A name that is an IPv4 address in dotted form (four decimal
 * numbers, as inet_pton() reads them) is its own answer, source
 * DNS_SRC_LOCAL (NODATA when A is not wanted), as with getaddrinfo().
 * Any other is answered, in this order, from:
 *   1. "localhost" and names under ".localhost" (RFC 6761): 127.0.0.1
 *      and ::1, source DNS_SRC_LOCAL;
 *   2. the static host entries (dns_host_add), source DNS_SRC_HOSTS;
 *   3. the candidates of the search list: a name with a trailing dot
 *      is only itself; a name with at least `ndots` dots is tried as
 *      it is, then with each search domain appended; one with fewer is
 *      tried with each search domain first, then as it is (as glibc's
 *      resolver does). Each candidate is looked up in the cache, then
 *      on the wire; NXDOMAIN or NODATA for a candidate moves to the
 *      next; an answer with addresses ends the lookup; a failure
 *      (every server timed out, SERVFAIL, REFUSED) ends it with
 *      DNS_AGAIN.
 * With both families, A and AAAA are asked at once and the result has
 * both (one may be empty: the lookup succeeds when either has
 * addresses).
 *
 * Questions. A question is one (name, type) on the wire. Many lookups
 * asking the same question at once share it: one query leaves, every
 * one of them gets the answer (counted as dns_coalesced). At most
 * queries_max questions are on the wire at once; a lookup that needs
 * one more waits, oldest first, until one ends.
 *
 * Attempts. Each attempt of a question goes to one server with a fresh
 * random ID and a fresh transport (the caller opens a new socket on a
 * random port for each: RFC 5452), and waits timeout_ms << round
 * (round 0, 1, ... over the server list; capped at 8 s). Servers are
 * tried in order, except that a server that has timed out (and not
 * answered since) is tried after those that answer: it stays in the
 * list, last, until it answers again. A question gives up after
 * `attempts` rounds over the servers. SERVFAIL, REFUSED, NOTIMP and
 * FORMERR move to the next server at once, as does a transport error
 * (ICMP unreachable, a refused TCP connection). A truncated answer (TC)
 * is asked again of the same server over TCP (DNS_TX_TCP), which has
 * DNS_TCP_TIMEOUT_MS to answer.
 *
 * Answers. A datagram is accepted only when it comes from the server
 * and port the attempt's query went to, parses (dns_msg.h; else counted
 * dns_rx_drop_<reason>), has the attempt's ID and the same question
 * (name without regard to case, type, class): anything else is counted
 * as dns_rx_mismatch and ignored, and the attempt goes on waiting. A
 * CNAME chain that ends without an address of the type asked is
 * followed by a new question for its last name (at most DNS_CNAME_MAX
 * links in all).
 *
 * The cache. At most cache_max entries, each one (name, type) with its
 * addresses (positive), or a negative entry: NXDOMAIN (for the name,
 * whatever the type) or NODATA (for the name and type), per RFC 2308.
 * A positive entry lives for the smallest TTL of its records (and of
 * the CNAME links that led to it), at most ttl_max_s; a negative one
 * for min(SOA TTL, SOA MINIMUM), at most negative_ttl_max_s, and is not
 * cached without an SOA. An entry whose time is up is never returned.
 * When the cache is full the entry used least recently makes room
 * (counted as dns_cache_evictions). Answers from the cache carry the
 * TTLs left.
 *
 * Limits. lookups_max lookups pending at once (then dns_lookup()
 * returns -ENOBUFS), owner_lookups_max per owner (-EMFILE): an owner
 * is the caller's word for who asked (the daemon: a control client),
 * so one client cannot take every lookup.
 *
 * Names. A lookup's name is checked by dns_name_check(); an empty name,
 * a label over 63 bytes or a name over 253 is -EINVAL at once.
 */
#ifndef UTCP_DNS_H
#define UTCP_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns_msg.h"

#define DNS_SERVERS_MAX	   8
#define DNS_SEARCH_MAX	   6 /* as glibc's resolver */
#define DNS_HOSTS_MAX	   64
#define DNS_HOST_ADDRS_MAX 8
#define DNS_TCP_TIMEOUT_MS 5000u
#define DNS_TIMEOUT_MAX_MS 8000u /* one attempt's wait, at most */

struct dns_limits {
	uint32_t cache_max;	     /* entries (512); 0: no cache */
	uint32_t ttl_max_s;	     /* a positive entry's life (86400) */
	uint32_t negative_ttl_max_s; /* a negative entry's life (3600) */
	uint32_t queries_max;	     /* questions on the wire (128) */
	uint32_t lookups_max;	     /* lookups pending (256) */
	uint32_t owner_lookups_max;  /* lookups pending per owner (16) */
	uint32_t timeout_ms;	     /* an attempt's first wait (1000) */
	uint32_t attempts;	     /* rounds over the servers (3) */
	uint32_t ndots;		     /* search list threshold (1) */
};

/* Fills *l with the defaults above. */
void dns_limits_default(struct dns_limits *l);

/* Every counter, X(name): dns_<name> in status. */
#define DNS_COUNTERS(X)                                                        \
	X(lookups)	    /* dns_lookup() calls that were accepted */        \
	X(lookups_ok)	    /* results with addresses */                       \
	X(lookups_failed)   /* results without */                              \
	X(lookups_refused)  /* -ENOBUFS or -EMFILE from dns_lookup() */        \
	X(local_answers)    /* localhost, host entries, address literals */    \
	X(cache_hits)	    /* a candidate answered from the cache */          \
	X(cache_misses)	    /* a candidate that went to the wire */            \
	X(cache_evictions)  /* entries dropped for room */                     \
	X(coalesced)	    /* a lookup that joined a question in flight */    \
	X(queries)	    /* UDP queries sent (attempts) */                  \
	X(queries_tcp)	    /* TCP queries sent */                             \
	X(queries_waited)   /* questions that waited for a free slot */        \
	X(answers)	    /* answers accepted */                             \
	X(timeouts)	    /* attempts that timed out */                      \
	X(truncated)	    /* answers with TC, asked again over TCP */        \
	X(nxdomain)	    /* NXDOMAIN answers */                             \
	X(nodata)	    /* NOERROR answers without addresses */            \
	X(servfail)	    /* SERVFAIL, REFUSED, NOTIMP, FORMERR answers */   \
	X(transport_errors) /* dns_transport_error() calls */                  \
	X(rx_mismatch)	    /* wrong server, port, ID or question */           \
	X(cname_chases)	    /* questions asked for a CNAME's target */         \
	X(cname_loops)	    /* chains too long or looping */                   \
	X(rx_drop_short)                                                       \
	X(rx_drop_header)                                                      \
	X(rx_drop_label)                                                       \
	X(rx_drop_name_long)                                                   \
	X(rx_drop_name_char)                                                   \
	X(rx_drop_pointer)                                                     \
	X(rx_drop_truncated)                                                   \
	X(rx_drop_rdata)                                                       \
	X(rx_drop_trailing)                                                    \
	X(rx_drop_question)

#define DNS_COUNTER_ENUM(name) DNS_C_##name,
enum dns_counter { DNS_COUNTERS(DNS_COUNTER_ENUM) DNS_COUNTER_COUNT };

/* "dns_lookups", ...; "?" out of range. */
const char *dns_counter_name(enum dns_counter c);

/* Families a lookup asks for (bits). */
#define DNS_WANT_A    0x1u
#define DNS_WANT_AAAA 0x2u
#define DNS_WANT_ALL  0x3u

/* How a lookup ended, X(ID, "name"). */
#define DNS_STATUSES(X)                                                        \
	X(OK, "ok")	    /* addresses found */                              \
	X(NONAME, "noname") /* NXDOMAIN for every candidate */                 \
	X(NODATA, "nodata") /* the name exists, no address of the families */  \
	X(AGAIN, "again")   /* no server answered, SERVFAIL, no server */      \
	X(FAIL, "fail")	    /* a CNAME loop, an unusable answer */

#define DNS_STATUS_ENUM(id, name) DNS_##id,
enum dns_status { DNS_STATUSES(DNS_STATUS_ENUM) DNS_STATUS_COUNT };

/* "ok", "noname", ...; "?" out of range. */
const char *dns_status_name(enum dns_status st);

/* Where a result came from, X(ID, "name"). */
#define DNS_SOURCES(X)                                                         \
	X(NETWORK, "network") /* a server's answer, just now */                \
	X(CACHE, "cache")     /* the cache (TTLs are what is left) */          \
	X(LOCAL, "local")     /* localhost */                                  \
	X(HOSTS, "hosts")     /* a static host entry */

#define DNS_SOURCE_ENUM(id, name) DNS_SRC_##id,
enum dns_source { DNS_SOURCES(DNS_SOURCE_ENUM) DNS_SOURCE_COUNT };

/* "network", ...; "?" out of range. */
const char *dns_source_name(enum dns_source src);

/* A server to ask: address and port (host order), and two numbers the
 * resolver keeps for status (the interface it came from, and where
 * from: the daemon's netconf source). */
struct dns_server {
	uint32_t addr;
	uint16_t port;
	int ifindex;
	uint8_t source;
};

struct dns_resolver;

/* A new resolver with these limits and no server. Returns NULL when
 * out of memory or a limit is 0 where it may not be (queries_max,
 * lookups_max, owner_lookups_max, attempts, timeout_ms). */
struct dns_resolver *dns_new(const struct dns_limits *lim, uint64_t seed);

/* Frees it; results not popped are lost, transports are not closed
 * (the caller closes its sockets). */
void dns_free(struct dns_resolver *r);

/*
 * Sets the servers, in order of preference (at most DNS_SERVERS_MAX;
 * more are -EINVAL). A server kept (same address and port) keeps its
 * counters and whether it answers; attempts in flight to a server that
 * went on until they end. With no server, lookups that need the wire
 * end with DNS_AGAIN. Returns 0 or -EINVAL.
 */
int dns_set_servers(struct dns_resolver *r, uint64_t now,
		    const struct dns_server *sv, size_t n);

/* Sets the search list (at most DNS_SEARCH_MAX names, each checked;
 * a trailing dot is dropped). Returns 0 or -EINVAL. */
int dns_set_search(struct dns_resolver *r, const char *const *domains,
		   size_t n);

/* Sets ndots (0..15). Returns 0 or -EINVAL. */
int dns_set_ndots(struct dns_resolver *r, unsigned ndots);

/*
 * Sets the limits that may change in a running resolver: the TTL caps,
 * owner_lookups_max, timeout_ms, attempts and ndots (a lookup in flight
 * follows them from its next step; an owner over a lowered
 * owner_lookups_max keeps its lookups and gets -EMFILE for new ones).
 * The table sizes (cache_max, queries_max, lookups_max) must stay.
 * Returns 0 or -EINVAL.
 */
int dns_set_limits(struct dns_resolver *r, const struct dns_limits *lim);

/* Adds a static host entry: name (checked) and one address (family 4
 * or 6). A name gets at most DNS_HOST_ADDRS_MAX addresses; at most
 * DNS_HOSTS_MAX names. Returns 0, -EINVAL, -ENOSPC. */
int dns_host_add(struct dns_resolver *r, const char *name,
		 const struct dns_addr *addr);

/* Removes every static host entry. */
void dns_hosts_clear(struct dns_resolver *r);

/* Empties the cache. */
void dns_cache_flush(struct dns_resolver *r);

/*
 * Starts a lookup of `name` for the families in `want` (DNS_WANT_*),
 * on behalf of `owner`, with the caller's `cookie` (handed back in the
 * result). Returns the lookup's id (>= 0), or -EINVAL (a bad name or
 * want), -ENOBUFS (lookups_max pending), -EMFILE (owner_lookups_max
 * pending for this owner). The result may be queued before it returns
 * (localhost, hosts, cache); it is always popped with dns_pop_result().
 */
int dns_lookup(struct dns_resolver *r, uint64_t now, const char *name,
	       unsigned want, uint64_t owner, void *cookie);

/* Forgets a pending lookup: no result will come. Its questions go on
 * (others may share them; an answer still fills the cache), until a
 * lookup needs a question slot and none is free: a question no pending
 * lookup asks is then given up for it. */
void dns_cancel(struct dns_resolver *r, int lookup);

/* The outcome of a lookup. */
struct dns_result {
	int lookup;
	uint64_t owner;
	void *cookie;
	enum dns_status status;
	enum dns_source source;
	/* The server whose answer it is (network; cache: the one that gave
	 * the entry); 0 for local and hosts. */
	uint32_t server;
	uint16_t server_port;
	/* The name that answered: the candidate, after CNAMEs (its
	 * canonical name); for a failure, the name as asked. */
	char name[DNS_NAME_MAX];
	/* A first, then AAAA, each in the order received. */
	uint16_t naddrs;
	struct dns_addr addrs[DNS_ADDRS_MAX];
};

/* Pops the next result into *out (a struct of about 3 KiB: keep it off
 * small stacks). False when there is none. */
bool dns_pop_result(struct dns_resolver *r, struct dns_result *out);

/*
 * What the resolver wants sent. A transport is one attempt's channel:
 * an id in 0..queries_max-1 that the caller maps to a socket.
 *   DNS_TX_UDP   open a UDP socket on a random port to server:port and
 *                send `data` (one datagram);
 *   DNS_TX_TCP   open a TCP connection to server:port and send `data`
 *                as one message (the caller writes the 2-byte length
 *                first, RFC 1035 4.2.2);
 *   DNS_TX_CLOSE close the transport's socket or connection (no data).
 * A transport id is reused only after its CLOSE was popped.
 */
enum dns_tx_kind { DNS_TX_UDP, DNS_TX_TCP, DNS_TX_CLOSE };

struct dns_tx {
	enum dns_tx_kind kind;
	uint32_t transport;
	uint32_t server;
	uint16_t port;
	const uint8_t *data; /* valid until the next call into the resolver */
	size_t len;
};

/* Pops what to send next into *tx; false when there is nothing. */
bool dns_pop_tx(struct dns_resolver *r, struct dns_tx *tx);

/* A datagram that arrived on a UDP transport, from src:sport. */
void dns_udp_input(struct dns_resolver *r, uint64_t now, uint32_t transport,
		   uint32_t src, uint16_t sport, const uint8_t *msg,
		   size_t len);

/* One whole message (without its 2-byte length) that arrived on a TCP
 * transport. */
void dns_tcp_input(struct dns_resolver *r, uint64_t now, uint32_t transport,
		   const uint8_t *msg, size_t len);

/* The transport failed (err: a negative errno: the socket could not be
 * opened, the send failed, ICMP unreachable, the connection was
 * refused or reset, or closed before an answer): the attempt ends and
 * the next server is tried. The caller closes nothing: a CLOSE for the
 * transport follows. */
void dns_transport_error(struct dns_resolver *r, uint64_t now,
			 uint32_t transport, int err);

/* Runs the timers that are due (attempts that time out, expired cache
 * entries). */
void dns_timer(struct dns_resolver *r, uint64_t now);

/* When dns_timer() must next run (STACK_NO_DEADLINE-like UINT64_MAX:
 * never). */
uint64_t dns_next_deadline(const struct dns_resolver *r);

/* ---- inspection, for status ---------------------------------------- */

uint64_t dns_counter_get(const struct dns_resolver *r, enum dns_counter c);

/* A server as status shows it. */
struct dns_server_info {
	struct dns_server server;
	bool unresponsive; /* timed out and has not answered since */
	uint64_t queries, answers, timeouts, failures;
};

/* Fills up to max servers, in the order set. Returns how many. */
size_t dns_server_snapshot(const struct dns_resolver *r,
			   struct dns_server_info *out, size_t max);

/* The search list and ndots in use. */
size_t dns_search_snapshot(const struct dns_resolver *r,
			   char out[][DNS_NAME_MAX], size_t max);
unsigned dns_ndots(const struct dns_resolver *r);

/* A cache entry as status shows it. */
enum dns_cache_kind {
	DNS_CACHE_POSITIVE,
	DNS_CACHE_NXDOMAIN,
	DNS_CACHE_NODATA
};

#define DNS_CACHE_INFO_ADDRS 8
struct dns_cache_info {
	char name[DNS_NAME_MAX];
	uint16_t qtype;
	enum dns_cache_kind kind;
	uint32_t ttl_left_s;
	uint64_t hits;
	uint16_t naddrs;			     /* all of them */
	struct dns_addr addrs[DNS_CACHE_INFO_ADDRS]; /* the first ones */
};

/* Fills up to max live entries (time left > 0 at `now`), most recently
 * used first. Returns how many. */
size_t dns_cache_snapshot(const struct dns_resolver *r, uint64_t now,
			  struct dns_cache_info *out, size_t max);

/* Entries in the cache now, live or not yet removed. */
size_t dns_cache_size(const struct dns_resolver *r);

/* Lookups pending, in all and for one owner; questions on the wire. */
size_t dns_lookups_pending(const struct dns_resolver *r);
size_t dns_owner_lookups(const struct dns_resolver *r, uint64_t owner);
size_t dns_questions_active(const struct dns_resolver *r);

#endif
