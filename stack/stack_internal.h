/*
 * stack_internal.h - the stack's state and the calls between its layers
 *
 * Only stack/ includes this file. `struct stack` is one host: its
 * interfaces, routes, ARP cache, reassembly table, UDP sockets, the
 * packet pool, the queues the caller drains and the counters. Every
 * table is allocated once in stack_new() at the size its limit allows.
 *
 * Layers call down by function (udp -> ipv4 -> eth/arp) and up by
 * demultiplexing on input (eth -> arp | ipv4 -> icmp | udp). No layer
 * calls back into the caller: output goes on s->tx, events on s->events.
 */
#ifndef UTCP_STACK_INTERNAL_H
#define UTCP_STACK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "stack.h"
#include "byteorder.h"
#include "rng.h"

#define ETH_HDR_LEN    14
#define ETH_ADDR_LEN   6
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP  0x0806

#define IPV4_HDR_LEN	 20
#define IPV4_PROTO_ICMP	 1
#define IPV4_PROTO_TCP	 6
#define IPV4_PROTO_UDP	 17
#define IPV4_DEFAULT_TTL STACK_DEFAULT_TTL
#define IPV4_MAX_LEN	 65535u
#define IPV4_FLAG_DF	 0x4000
#define IPV4_FLAG_MF	 0x2000
#define IPV4_OFFSET_MASK 0x1fff
#define IPV4_BROADCAST	 0xffffffffu

#define UDP_HDR_LEN	    8
#define UDP_MAX_PAYLOAD	    (IPV4_MAX_LEN - IPV4_HDR_LEN - UDP_HDR_LEN)
#define UDP_EPHEMERAL_FIRST 49152u
#define UDP_EPHEMERAL_LAST  65535u
#define UDP_HASH_BUCKETS    256u

#define ICMP_HDR_LEN	      8
#define ICMP_ECHO_REPLY	      0
#define ICMP_DEST_UNREACH     3
#define ICMP_ECHO_REQUEST     8
#define ICMP_TIME_EXCEEDED    11
#define ICMP_UNREACH_PROTOCOL 2
#define ICMP_UNREACH_PORT     3
#define ICMP_EXC_FRAGTIME     1
/* An ICMP error quotes the offending datagram up to this total size
 * (RFC 1812 4.3.2.3: as much as fits in 576 bytes). */
#define ICMP_ERROR_MAX_LEN 576u

static inline uint32_t prefix_mask(uint8_t prefix_len)
{
	return prefix_len == 0 ? 0 : 0xffffffffu << (32 - prefix_len);
}

/* ---- per-module state ---- */

struct stack_if {
	char name[STACK_IF_NAME_MAX];
	uint8_t mac[ETH_ADDR_LEN];
	uint32_t mtu;	   /* in use: link_mtu, or a lease's (option 26) */
	uint32_t link_mtu; /* as added (stack_if_add): the most mtu may be */
	uint32_t addr;	   /* 0 = none */
	uint8_t prefix_len;
	bool tso;  /* the link segments TCP frames up to 64 KiB */
	bool csum; /* the link completes partial L4 checksums */
	uint64_t syn_over_budget; /* SYNs in, dropped beyond the turn budget */
};

struct route {
	bool used;
	uint32_t dst;
	uint8_t prefix_len;
	uint32_t gateway;
	int ifindex;
	enum stack_route_kind kind;
	uint32_t metric; /* of two routes of one prefix length, lower wins */
};

struct arp_entry {
	int32_t next; /* hash chain, -1 ends */
	bool used;
	bool refreshing; /* a refresh request is out for a REACHABLE entry */
	enum arp_state state;
	uint32_t addr;
	int ifindex;
	uint8_t mac[ETH_ADDR_LEN];
	uint32_t requests;  /* requests sent while INCOMPLETE */
	uint64_t deadline;  /* REACHABLE: expiry; INCOMPLETE: next retry */
	uint64_t last_used; /* for eviction: least recently used goes */
	struct pkt_queue hold;
};

struct arp_cache {
	struct arp_entry *entries;
	int32_t *buckets;
	uint32_t nbuckets; /* a power of two */
	uint32_t max;
	uint32_t count;
};

struct reasm_entry {
	bool used;
	bool dead; /* RFC 5722: dropped; later fragments are too */
	uint32_t saddr, daddr;
	uint16_t id;
	uint8_t proto;
	uint32_t total_len; /* payload length, known once the last arrives */
	uint32_t received;  /* payload bytes held */
	uint32_t nfrags;
	uint32_t mem; /* buffer capacity held */
	uint64_t created;
	uint64_t deadline;
	struct pkt *frags; /* sorted by frag_offset, no overlaps */
};

struct reasm_table {
	struct reasm_entry *entries;
	uint32_t max;
	uint32_t mem; /* buffer capacity held by all entries */
};

struct udp_sock {
	bool used;
	void *user;   /* the caller's cookie (udp_socket_set_user) */
	int32_t next; /* hash chain by local port, -1 ends */
	uint32_t local_addr;
	uint16_t local_port;
	uint32_t remote_addr;
	uint16_t remote_port;
	bool readable_pending; /* a READABLE event is queued */
	uint8_t tos, ttl;      /* IP_TOS, IP_TTL (0 = default) of its sends */
	struct pkt_queue rcvq;
	uint64_t rx_datagrams, tx_datagrams, rx_drops;
};

struct udp_table {
	struct udp_sock *socks;
	uint32_t max;
	uint32_t count;
	int32_t buckets[UDP_HASH_BUCKETS];
};

struct tcp_table;
struct icmp_echo;

/* Our own echo requests (icmp_echo.c): max slots, each waiting for its
 * reply or ended and waiting on the ring to be popped. */
struct icmp_echo_table {
	struct icmp_echo *slots;
	uint32_t *ring; /* slot indices of ended echoes, in order */
	uint32_t max, next, waiting, ring_head, ring_count;
	uint16_t ident_base; /* slot i's wire identifier: ident_base + i */
};

/* The DHCP client of an interface and what its lease applied, so that
 * the next one changes only what differs (dhcp_if.c). */
struct dhcp_if {
	bool running;
	struct stack_dhcp_config cfg;
	struct dhcp_client client;
	uint32_t probe_addr; /* the address the last ARP probe was for */
	uint32_t addr;	     /* the lease's address, as applied; 0: none */
	struct dhcp_route routes[DHCP_ROUTES_MAX]; /* routes it added */
	uint8_t nroutes;
	uint32_t mtu_applied; /* 0: option 26 not applied */
	/* The server of the last reply it sent itself (not by a relay):
	 * a unicast to it needs no ARP (a RELEASE at shutdown). */
	uint32_t server_addr;
	uint8_t server_mac[ETH_ADDR_LEN];
	bool server_mac_known;
};

struct stack {
	struct stack_limits lim;
	struct stack_rng rng;
	struct pkt_pool pool;

	struct stack_if ifs[STACK_IF_MAX];
	int nifs;
	struct route routes[STACK_ROUTE_MAX];

	struct arp_cache arp;
	struct reasm_table reasm;
	struct udp_table udp;
	struct icmp_echo_table echo;
	struct tcp_table *tcp;

	uint16_t ip_id;
	/* ICMP error token bucket, in tokens * STACK_NS_PER_SEC. */
	uint64_t icmp_tokens;
	uint64_t icmp_last_ns;

	struct pkt_queue tx;
	struct stack_event *events;
	uint32_t ev_head, ev_count, ev_cap;

	/* A lower bound on the next deadline: every module lowers it when
	 * it sets a timer; stack_timer() recomputes it exactly. */
	uint64_t next_deadline;

	/* DHCP clients, by interface (NULL until started there), and the
	 * reports waiting for stack_dhcp_pop_report(). */
	struct dhcp_if *dhcp[STACK_IF_MAX];
	struct stack_dhcp_report dhcp_reports[STACK_DHCP_REPORTS_MAX];
	uint32_t dhcp_report_head, dhcp_report_count;

	uint64_t counters[STACK_COUNTER_COUNT];
};

#define COUNT(s, name)	    ((s)->counters[STACK_CTR_##name]++)
#define COUNT_N(s, name, n) ((s)->counters[STACK_CTR_##name] += (n))

/* Lowers s->next_deadline to t if t is earlier. */
static inline void stack_deadline_hint(struct stack *s, uint64_t t)
{
	if (t < s->next_deadline)
		s->next_deadline = t;
}

/* Drops p: returns it to the pool. */
static inline void stack_drop(struct stack *s, struct pkt *p)
{
	pkt_free(&s->pool, p);
}

/* Queues an event; returns false (and drops it) when the queue is full. */
bool stack_push_event(struct stack *s, const struct stack_event *ev);

/* The events of one id space, for stack_forget_events(). */
#define STACK_EV_BIT(type) (1u << (type))
#define STACK_EV_UDP_ALL                                                       \
	(STACK_EV_BIT(STACK_EV_UDP_READABLE) | STACK_EV_BIT(STACK_EV_UDP_ERROR))
#define STACK_EV_TCP_CONN_ALL                                                  \
	(STACK_EV_BIT(STACK_EV_TCP_CONNECTED) |                                \
	 STACK_EV_BIT(STACK_EV_TCP_READABLE) |                                 \
	 STACK_EV_BIT(STACK_EV_TCP_WRITABLE) |                                 \
	 STACK_EV_BIT(STACK_EV_TCP_ERROR))
#define STACK_EV_TCP_LISTENER_ALL STACK_EV_BIT(STACK_EV_TCP_ACCEPTABLE)

/* Drops the events of the given types (STACK_EV_BIT set) still queued
 * for id `sock`, whose socket, connection or listener is going: its id
 * may be reused at once, and they are not the new one's. */
void stack_forget_events(struct stack *s, unsigned types, int sock);

/* Is addr one of our interface addresses? */
bool stack_is_local_addr(const struct stack *s, uint32_t addr);

/* ---- stack.c: routes and interfaces, for dhcp_if.c ---- */
/* Adds a route (dst is masked to prefix_len). Returns 0, -EEXIST (the
 * same dst, prefix, gateway, interface and metric exist) or -ENOSPC. */
int route_insert(struct stack *s, uint32_t dst, uint8_t prefix_len,
		 uint32_t gateway, int ifindex, uint32_t metric,
		 enum stack_route_kind kind);
/* Removes the route of that kind with exactly these values. Returns 0
 * or -ENOENT. */
int route_remove(struct stack *s, uint32_t dst, uint8_t prefix_len,
		 uint32_t gateway, int ifindex, uint32_t metric,
		 enum stack_route_kind kind);
/* Removes every route of `kind` out of ifindex; returns how many. */
int route_remove_kind(struct stack *s, int ifindex, enum stack_route_kind kind);
/*
 * Sets the MTU the interface uses (a lease's option 26): clamped to the
 * MTU it was added with and to at least STACK_MTU_MIN (or the link's,
 * if smaller); 0 restores the link's. Returns the MTU now in use, or
 * -ENODEV. New TCP connections take their MSS from it and IP fragments
 * to it at once; connections that exist keep the MSS they have
 * (their larger segments are fragmented by IP; over a TSO link, cut by
 * the link at that MSS), where Linux lowers their sending MSS too
 * (docs/design.md).
 */
int stack_if_set_mtu(struct stack *s, int ifindex, uint32_t mtu);
#define STACK_MTU_MIN 576u /* RFC 791's datagram every host must take */

/* ---- eth.c ---- */
void eth_input(struct stack *s, uint64_t now, struct pkt *p);
/* Prepends an Ethernet header and queues p for transmission. */
void eth_output(struct stack *s, struct pkt *p, const uint8_t dst[ETH_ADDR_LEN],
		uint16_t ethertype);

/* ---- arp.c ---- */
int arp_init(struct arp_cache *c, uint32_t max);
void arp_destroy(struct stack *s);
void arp_input(struct stack *s, uint64_t now, struct pkt *p);
/* Sends IPv4 packet p (header included) to next hop `nexthop` on
 * p->ifindex: at once when resolved, else holds it while resolving. */
void arp_output(struct stack *s, uint64_t now, struct pkt *p, uint32_t nexthop);
/* Queues a gratuitous ARP announcement for the interface's address. */
void arp_announce(struct stack *s, int ifindex);
/* Queues an RFC 5227 probe for addr: a broadcast request whose sender
 * address is 0.0.0.0 (so no cache learns it) and target addr. */
void arp_probe(struct stack *s, int ifindex, uint32_t addr);
/* Forgets every entry of the interface (its address changed). */
void arp_flush_if(struct stack *s, int ifindex);
void arp_timer(struct stack *s, uint64_t now);
uint64_t arp_next_deadline(const struct stack *s);

/* The parsed fields of an ARP packet (RFC 826), for Ethernet/IPv4. */
struct arp_view {
	uint16_t oper;
	uint8_t sha[ETH_ADDR_LEN];
	uint32_t spa;
	uint8_t tha[ETH_ADDR_LEN];
	uint32_t tpa;
};
#define ARP_PKT_LEN    28
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY   2
/* Parses an ARP packet. Returns 0, -EBADMSG (truncated or bad lengths)
 * or -EPROTONOSUPPORT (not Ethernet/IPv4, unknown operation). */
int arp_parse(const uint8_t *buf, size_t len, struct arp_view *out);

/* ---- ipv4.c ---- */
/* The parsed IPv4 header; payload is buf + hdr_len, payload_len long. */
struct ipv4_view {
	uint8_t hdr_len;
	uint8_t tos;
	uint16_t total_len;
	uint16_t id;
	uint16_t frag; /* flags and offset field */
	uint8_t ttl;
	uint8_t proto;
	uint32_t saddr, daddr;
	uint16_t payload_len;
};
enum ipv4_parse_error {
	IPV4_OK = 0,
	IPV4_ERR_SHORT = -1,
	IPV4_ERR_VERSION = -2,
	IPV4_ERR_IHL = -3,
	IPV4_ERR_TOTAL_LENGTH = -4,
	IPV4_ERR_CHECKSUM = -5,
};
/* Parses and checks an IPv4 header; returns IPV4_OK or an error. */
int ipv4_parse(const uint8_t *buf, size_t len, struct ipv4_view *out);
void ipv4_input(struct stack *s, uint64_t now, struct pkt *p);
/* Delivers a complete (reassembled) datagram whose header is at p->data. */
void ipv4_deliver(struct stack *s, uint64_t now, struct pkt *p);
/*
 * Sends p (transport header and payload at p->data) from saddr (0 = the
 * outgoing interface's address) to daddr. Routes, prepends the IPv4
 * header, fragments to the interface MTU. Takes ownership of p.
 * Returns 0, -ENETUNREACH, -ENOBUFS or -EMSGSIZE.
 */
int ipv4_output(struct stack *s, uint64_t now, struct pkt *p, uint32_t saddr,
		uint32_t daddr, uint8_t proto);
/* As ipv4_output(), for a caller that already routed: out ifindex to
 * nexthop, from saddr (not 0). */
int ipv4_output_via(struct stack *s, uint64_t now, struct pkt *p,
		    uint32_t saddr, uint32_t daddr, uint8_t proto, int ifindex,
		    uint32_t nexthop);
/* As ipv4_output_via() for a datagram that fits the MTU, sent to a
 * known Ethernet address with no routing and no ARP. Returns 0 or
 * -EMSGSIZE (it does not fit: dropped). */
int ipv4_output_mac(struct stack *s, struct pkt *p, uint32_t saddr,
		    uint32_t daddr, uint8_t proto, int ifindex,
		    const uint8_t mac[ETH_ADDR_LEN]);
/* Finds the route to daddr: the interface, the next hop and our source
 * address. Returns 0 or -ENETUNREACH. */
int ipv4_route(const struct stack *s, uint32_t daddr, int *ifindex,
	       uint32_t *nexthop, uint32_t *saddr);
/* Is daddr a broadcast address on interface ifindex? */
bool ipv4_is_broadcast(const struct stack *s, int ifindex, uint32_t daddr);

/* ---- frag.c ---- */
int reasm_init(struct reasm_table *t, uint32_t max);
void reasm_destroy(struct stack *s);
/* Takes a fragment (IPv4 header at p->data, parsed in *ip); returns the
 * reassembled datagram (header at data) when complete, else NULL. */
struct pkt *reasm_input(struct stack *s, uint64_t now, struct pkt *p,
			const struct ipv4_view *ip);
void reasm_timer(struct stack *s, uint64_t now);
uint64_t reasm_next_deadline(const struct stack *s);

/* ---- icmp.c ---- */
/* p->data at the ICMP header; header fields in p->saddr/daddr. */
void icmp_input(struct stack *s, uint64_t now, struct pkt *p);
/* Sends an ICMP error about the datagram whose IPv4 header starts at
 * orig->buf + orig->l3_offset (orig is not consumed). Applies RFC 1122
 * 3.2.2 (never about ICMP errors, broadcasts, non-first fragments) and
 * the rate limit. */
void icmp_send_error(struct stack *s, uint64_t now, const struct pkt *orig,
		     uint8_t type, uint8_t code);
/* Reports EHOSTUNREACH to the socket that sent p (p->data at its IPv4
 * header), as if an ICMP host unreachable had quoted it: the neighbour
 * did not answer ARP. p is not consumed. */
void icmp_local_unreachable(struct stack *s, uint64_t now, const struct pkt *p);

/* ---- icmp_echo.c ---- */
int icmp_echo_init(struct stack *s, uint32_t max);
void icmp_echo_destroy(struct stack *s);
/* An echo reply (p->data at the ICMP header, at least ICMP_HDR_LEN
 * long, checksum checked): ends the echo it answers, or is counted
 * unmatched. p is not consumed. */
void icmp_echo_reply_input(struct stack *s, uint64_t now, struct pkt *p);
/* An error about a datagram of ours that quoted an ICMP message (l4,
 * at least 8 bytes, as icmp_quote_parse gives it), from `from`: ends
 * the echo it quotes with -error. */
void icmp_echo_error(struct stack *s, uint64_t now, uint32_t from,
		     const struct ipv4_view *quoted, const uint8_t *l4,
		     int error);
void icmp_echo_timer(struct stack *s, uint64_t now);
uint64_t icmp_echo_next_deadline(const struct stack *s);

/* ---- tcp_input.c (tcp.h has the rest) ---- */
/* p->data at the TCP header; addresses in p->saddr/daddr. */
void tcp_input(struct stack *s, uint64_t now, struct pkt *p);
/* An ICMP destination unreachable quoted a TCP segment of ours
 * (tcp_hdr: at least its first 8 bytes). */
void tcp_icmp_error(struct stack *s, const struct ipv4_view *quoted,
		    const uint8_t *tcp_hdr, int error);
/* Our own segment could not reach its next hop (ARP failed): quoted
 * and tcp_hdr as for tcp_icmp_error. */
void tcp_local_unreachable(struct stack *s, const struct ipv4_view *quoted,
			   const uint8_t *tcp_hdr);
/* addr is ours no more: every connection from it fails with
 * EADDRNOTAVAIL, without a RST, and is freed as an abort frees it (a
 * user's stays CLOSED until the user lets go). Listeners stay. */
void tcp_addr_gone(struct stack *s, uint64_t now, uint32_t addr);

/* ---- udp.c ---- */
int udp_init(struct udp_table *t, uint32_t max);
void udp_destroy(struct stack *s);
/* p->data at the UDP header; addresses in p->saddr/daddr. */
/* Writes the UDP header in front of the payload_len bytes at
 * p->data + UDP_HDR_LEN (sets p->len), with the checksum over the
 * pseudo-header of saddr -> daddr. */
void udp_put_header(struct pkt *p, size_t payload_len, uint16_t sport,
		    uint16_t dport, uint32_t saddr, uint32_t daddr);
void udp_input(struct stack *s, uint64_t now, struct pkt *p);
/* An ICMP error quoted a UDP datagram of ours (quote = its IPv4 header,
 * at least header + 8 bytes long, already checked). */
void udp_icmp_error(struct stack *s, const struct ipv4_view *quoted,
		    const uint8_t *udp_hdr, int error);
/* addr is ours no more: sockets bound to it refuse to send
 * (-EADDRNOTAVAIL) and connected ones get STACK_EV_UDP_ERROR. */
void udp_addr_gone(struct stack *s, uint32_t addr);
/* The socket's cookie (udp_socket_set_user), NULL when it is closed. */
void *udp_socket_user(struct stack *s, int sock);

/* ---- dhcp_if.c (stack.h has the rest) ---- */
/* Does the interface run a DHCP client? */
bool dhcp_if_running(const struct stack *s, int ifindex);
/* A UDP datagram (p->data at its UDP header, ports in p, checked) for
 * port 68 on an interface running DHCP goes to its client: returns true
 * when it took p, false when it is not DHCP's. */
bool dhcp_if_udp_input(struct stack *s, uint64_t now, struct pkt *p);
/* Every ARP packet arriving on the interface: another host claiming
 * the address the client probes (RFC 5227 2.1.1: its sender is that
 * address, or it probes for it too) or holds (2.4: its sender is that
 * address) is a conflict for the client. */
void dhcp_if_arp_input(struct stack *s, uint64_t now, int ifindex,
		       const struct arp_view *a);
void dhcp_if_timer(struct stack *s, uint64_t now);
uint64_t dhcp_if_next_deadline(const struct stack *s);
/* Frees every interface's client (stack_free). */
void dhcp_if_destroy(struct stack *s);

#endif
