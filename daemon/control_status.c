/*
 * control_status.c - the STATUS request: the stack's records to the
 * IPC's
 *
 * Theory of operation. A STATUS request takes a snapshot at once
 * (status_snapshot: the interfaces, routes, ARP entries, UDP sockets,
 * TCP connections and listeners, the pool and every counter;
 * control_snapshot: what each uid holds through the control socket, and
 * each TAP's SYN shedding), so that
 * what the client receives is one instant however slowly it reads. The
 * snapshot is a struct control_stream (control_client.h): each time the
 * client's socket has room, status_encode_chunk() copies the next
 * records from the stack's structs into IPC records (status_record:
 * the stack-record -> IPC-record copies, phase by phase, docs/ipc.md
 * "STATUS") and encodes as many as fit in one chunk of at most
 * IPC_MSG_MAX bytes; the last chunk carries the end flag. The snapshot
 * is freed when the last chunk went, or with the client.
 *
 * Routes go out as the client's version reads them: ROUTE_V2 (with the
 * metric and kind dhcp) from version 2 on, ROUTE to a version 1 client
 * (a DHCP route as static). Each interface's DHCP client and settings
 * (netconf_snapshot: the stack's stack_dhcp_info() and the daemon's
 * struct netconf, or without one what the configuration says) are
 * copied into IPC records at snapshot time, since a lease's options
 * are many records per interface: READY, then per interface DHCP,
 * NETCONF, SEARCH..., DHCP_OPTION.... The stub resolver's (dns_snapshot:
 * stack/dns.h's snapshots of d->resolver) are made the same way, last:
 * DNS, DNS_SERVER..., SEARCH... (ifindex -1), DNS_CACHE...; its counters
 * follow the stack's as COUNTER records named dns_*. Without a resolver
 * there are none of these. The loop's two busy-polling counters
 * (busy_polls, busy_poll_hits) and the captures' (capture_started,
 * capture_frames, capture_drops) follow, then the control server's
 * (control_*: enum control_counter), the last COUNTER records. Last, one
 * SOCK_OWNER per socket of the control socket (control_snapshot,
 * through ctl->sock_owners): the credentials and command of the client
 * that made it. After the LINK records come the IFSTATS ones, one per
 * TAP: the daemon's frame and byte counts of it (struct tap) and its
 * carrier, read from sysfs at snapshot time.
 *
 * TCP_INFO (control_status_tcp_info) is one connection's TCP record,
 * made by the same tcp_record() from tcp_conn_info(), answered to any
 * client as STATUS is.
 */
#include "control_status.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "log.h"
#include "netconf.h"
#include "resolver.h"

/* The captures' counters (capture.h), after the busy-polling ones. */
#define CAPTURE_COUNTERS 3
static const char *const capture_counter_names[CAPTURE_COUNTERS] = {
    "capture_started", "capture_frames", "capture_drops"};

/* A status being streamed: the snapshot and where encoding stands. */
enum status_phase {
	STATUS_DAEMON,
	STATUS_INTERFACES,
	STATUS_ROUTES,
	STATUS_ARP,
	STATUS_SOCKETS,
	STATUS_TCP,
	STATUS_POOL,
	STATUS_COUNTERS,
	STATUS_OWNERS,
	STATUS_LINKS,
	STATUS_IFSTATS,
	STATUS_READY,
	STATUS_NETCONF,
	STATUS_DNS,
	STATUS_SOCK_OWNERS,
	STATUS_DONE,
};

struct status_stream {
	struct control_stream base; /* first: the stream's chunks */
	uint32_t id;
	int32_t error; /* nonzero: one last reply with this status */
	enum status_phase phase;
	size_t index;
	uint64_t uptime_ms;
	int nifs;
	struct stack_if_info ifs[STACK_IF_MAX];
	uint32_t if_gateway[STACK_IF_MAX];
	struct stack_route_info *routes;
	size_t nroutes;
	struct stack_arp_info *arp;
	size_t narp;
	struct stack_udp_info *udp;
	size_t nudp;
	struct stack_tcp_info *tcp;
	size_t ntcp;
	struct stack_pool_info pool;
	uint64_t counters[STACK_COUNTER_COUNT];
	bool has_dns; /* a resolver: its counters follow the stack's */
	uint64_t dns_counters[DNS_COUNTER_COUNT];
	/* the loop's busy-polling (loop.c): polls made without blocking,
	 * and those that found work; last of the counters */
	uint64_t busy_polls, busy_poll_hits;
	uint64_t capture[CAPTURE_COUNTERS]; /* capture_counter_names */
	uint64_t control[CONTROL_COUNTERS]; /* the control server's, last */
	struct ipc_rec_owner *owners;	    /* per uid (control_limits.c) */
	size_t nowners;
	struct ipc_rec_sock_owner *sock_owners; /* per socket: who made it */
	size_t nsock_owners;
	struct ipc_rec_link links[STACK_IF_MAX]; /* per TAP */
	int nlinks;
	struct ipc_rec_ifstats ifstats[STACK_IF_MAX]; /* per TAP */
	int nifstats;
	uint8_t version; /* the client's: which route record */
	struct ipc_rec_ready ready;
	/* per interface: DHCP, NETCONF, SEARCH..., DHCP_OPTION... */
	struct ipc_record *netconf;
	size_t nnetconf;
	/* the resolver's: DNS, DNS_SERVER..., SEARCH..., DNS_CACHE... */
	struct ipc_record *dns;
	size_t ndns;
};

static void status_free(struct control_stream *base)
{
	struct status_stream *st = (struct status_stream *)base;

	if (!st)
		return;
	free(st->routes);
	free(st->arp);
	free(st->udp);
	free(st->tcp);
	free(st->owners);
	free(st->sock_owners);
	free(st->netconf);
	free(st->dns);
	free(st);
}

/*
 * The stack's enums and the wire's are numbered alike, so a state or a
 * kind travels as its number; the asserts keep it so.
 */
#define SAME_TCP_STATE(id, name)                                               \
	_Static_assert((int)TCPS_##id == (int)IPC_TCPS_##id, #id);
#define SAME_ARP_STATE(id, name)                                               \
	_Static_assert((int)ARP_##id == (int)IPC_ARP_##id, #id);
#define SAME_ROUTE_KIND(id, name)                                              \
	_Static_assert((int)STACK_ROUTE_##id == (int)IPC_ROUTE_##id, #id);
#define SAME_DHCP_STATE(id, name)                                              \
	_Static_assert((int)DHCP_S_##id == (int)IPC_DHCP_##id, #id);
#define SAME_SOURCE(id, name)                                                  \
	_Static_assert((int)NETCONF_##id == (int)IPC_SOURCE_##id, #id);
IPC_TCP_STATES(SAME_TCP_STATE)
IPC_ARP_STATES(SAME_ARP_STATE)
IPC_ROUTE_KINDS(SAME_ROUTE_KIND)
IPC_DHCP_STATES(SAME_DHCP_STATE)
IPC_SOURCES(SAME_SOURCE)
_Static_assert((int)DNS_CACHE_POSITIVE == (int)IPC_DNS_CACHE_POSITIVE &&
		   (int)DNS_CACHE_NXDOMAIN == (int)IPC_DNS_CACHE_NXDOMAIN &&
		   (int)DNS_CACHE_NODATA == (int)IPC_DNS_CACHE_NODATA,
	       "DNS cache kinds");
_Static_assert(DNS_NAME_MAX <= IPC_DNAME_MAX + 1, "DNS names fit");
_Static_assert((int)TCPS_STATE_COUNT == (int)IPC_TCPS_COUNT, "TCP states");
_Static_assert((int)DHCP_S_COUNT == (int)IPC_DHCP_COUNT, "DHCP states");
_Static_assert(DHCP_ADDRS_MAX <= IPC_ADDRS_MAX, "addresses fit");
_Static_assert(DHCP_NAME_MAX <= IPC_DNAME_MAX + 1, "names fit");

/*
 * The fields an IPC record shares, by name, with the stack's struct it
 * is copied from (TO_RECORD assigns them). A field both have is one
 * line here (the TCP record's come from ipc.h); the others are set by
 * hand.
 */
/* clang-format off */
#define INTERFACE_SAME(X)                                                      \
	X(mtu)                                                                 \
	X(addr)                                                                \
	X(prefix_len)
#define ROUTE_SAME(X)                                                          \
	X(dst)                                                                 \
	X(prefix_len)                                                          \
	X(gateway)                                                             \
	X(ifindex)                                                             \
	X(kind)
#define ARP_SAME(X)                                                            \
	X(addr)                                                                \
	X(ifindex)                                                             \
	X(state)                                                               \
	X(queued)
#define TO_RECORD(field) dst->field = src->field;
/* clang-format on */

static void interface_record(const struct stack_if_info *src, uint32_t gateway,
			     int32_t index, struct ipc_rec_interface *dst)
{
	INTERFACE_SAME(TO_RECORD)
	dst->index = index;
	memcpy(dst->name, src->name, sizeof(dst->name) - 1);
	memcpy(dst->mac, src->mac, sizeof(dst->mac));
	dst->gateway = gateway;
}

/* A route as the client's version reads it. */
static void route_record(const struct stack_route_info *src, uint8_t version,
			 struct ipc_record *r)
{
	if (version >= 2) {
		struct ipc_rec_route_v2 *dst = &r->u.route_v2;

		r->type = IPC_REC_ROUTE_V2;
		ROUTE_SAME(TO_RECORD)
		dst->metric = src->metric;
	} else {
		struct ipc_rec_route *dst = &r->u.route;

		r->type = IPC_REC_ROUTE;
		ROUTE_SAME(TO_RECORD)
		if (src->kind == STACK_ROUTE_DHCP)
			dst->kind = IPC_ROUTE_STATIC;
	}
}

static void arp_record(const struct stack_arp_info *src,
		       struct ipc_rec_arp *dst)
{
	ARP_SAME(TO_RECORD)
	memcpy(dst->mac, src->mac, sizeof(dst->mac));
	dst->expires_ms = src->expires_in_ns / 1000000u;
}

/* A TCP connection's or listener's record. */
static void tcp_record(const struct stack_tcp_info *src, struct ipc_record *r)
{
	struct ipc_rec_tcp *dst = &r->u.tcp;

	r->type = IPC_REC_TCP;
	IPC_REC_TCP_PLAIN(TO_RECORD)
	if (src->listener)
		dst->state = IPC_TCPS_LISTEN;
	else if ((unsigned)src->state < IPC_TCPS_COUNT &&
		 src->state != TCPS_LISTEN)
		dst->state = (uint8_t)src->state;
	else
		dst->state = IPC_TCPS_CLOSED; /* cannot happen */
	dst->flags = (uint8_t)((src->listener ? IPC_TCP_F_LISTENER : 0) |
			       (src->orphan ? IPC_TCP_F_ORPHAN : 0));
}

/* Fills *r with the record at the stream's position; false when the
 * current phase is exhausted. */
static bool status_record(struct status_stream *st, struct ipc_record *r)
{
	size_t i = st->index;

	memset(r, 0, sizeof(*r));
	switch (st->phase) {
	case STATUS_DAEMON:
		if (i > 0)
			return false;
		r->type = IPC_REC_DAEMON;
		r->u.daemon.uptime_ms = st->uptime_ms;
		return true; /* name filled by the caller */
	case STATUS_INTERFACES:
		if (i >= (size_t)st->nifs)
			return false;
		r->type = IPC_REC_INTERFACE;
		interface_record(&st->ifs[i], st->if_gateway[i], (int32_t)i,
				 &r->u.iface);
		return true;
	case STATUS_ROUTES:
		if (i >= st->nroutes)
			return false;
		route_record(&st->routes[i], st->version, r);
		return true;
	case STATUS_ARP:
		if (i >= st->narp)
			return false;
		r->type = IPC_REC_ARP;
		arp_record(&st->arp[i], &r->u.arp);
		return true;
	case STATUS_SOCKETS:
		if (i >= st->nudp)
			return false;
		r->type = IPC_REC_SOCKET;
		r->u.socket.id = st->udp[i].sock;
		r->u.socket.protocol = IPC_PROTO_UDP;
		r->u.socket.local_addr = st->udp[i].local_addr;
		r->u.socket.local_port = st->udp[i].local_port;
		r->u.socket.remote_addr = st->udp[i].remote_addr;
		r->u.socket.remote_port = st->udp[i].remote_port;
		r->u.socket.recv_queue = st->udp[i].rcvq_datagrams;
		r->u.socket.recv_bytes = st->udp[i].rcvq_bytes;
		r->u.socket.rx = st->udp[i].rx_datagrams;
		r->u.socket.tx = st->udp[i].tx_datagrams;
		r->u.socket.drops = st->udp[i].rx_drops;
		return true;
	case STATUS_TCP:
		if (i >= st->ntcp)
			return false;
		tcp_record(&st->tcp[i], r);
		return true;
	case STATUS_POOL:
		if (i > 0)
			return false;
		r->type = IPC_REC_POOL;
		r->u.pool.small_in_use = st->pool.in_use[PKT_CLASS_SMALL];
		r->u.pool.small_allocated = st->pool.allocated[PKT_CLASS_SMALL];
		r->u.pool.small_max = st->pool.max[PKT_CLASS_SMALL];
		r->u.pool.large_in_use = st->pool.in_use[PKT_CLASS_LARGE];
		r->u.pool.large_allocated = st->pool.allocated[PKT_CLASS_LARGE];
		r->u.pool.large_max = st->pool.max[PKT_CLASS_LARGE];
		return true;
	case STATUS_COUNTERS:
		r->type = IPC_REC_COUNTER;
		if (i < STACK_COUNTER_COUNT) {
			snprintf(r->u.counter.name, sizeof(r->u.counter.name),
				 "%s",
				 stack_counter_name((enum stack_counter)i));
			r->u.counter.value = st->counters[i];
			return true;
		}
		i -= STACK_COUNTER_COUNT;
		if (st->has_dns && i < DNS_COUNTER_COUNT) {
			snprintf(r->u.counter.name, sizeof(r->u.counter.name),
				 "%s", dns_counter_name((enum dns_counter)i));
			r->u.counter.value = st->dns_counters[i];
			return true;
		}
		if (st->has_dns)
			i -= DNS_COUNTER_COUNT;
		if (i >= 2 && i < 2 + CAPTURE_COUNTERS) {
			snprintf(r->u.counter.name, sizeof(r->u.counter.name),
				 "%s", capture_counter_names[i - 2]);
			r->u.counter.value = st->capture[i - 2];
			return true;
		}
		if (i >= 2) {
			i -= 2 + CAPTURE_COUNTERS;
			if (i >= CONTROL_COUNTERS)
				return false;
			snprintf(r->u.counter.name, sizeof(r->u.counter.name),
				 "%s",
				 control_counter_name((enum control_counter)i));
			r->u.counter.value = st->control[i];
			return true;
		}
		snprintf(r->u.counter.name, sizeof(r->u.counter.name), "%s",
			 i == 0 ? "busy_polls" : "busy_poll_hits");
		r->u.counter.value =
		    i == 0 ? st->busy_polls : st->busy_poll_hits;
		return true;
	case STATUS_OWNERS:
		if (i >= st->nowners)
			return false;
		r->type = IPC_REC_OWNER;
		r->u.owner = st->owners[i];
		return true;
	case STATUS_LINKS:
		if (i >= (size_t)st->nlinks)
			return false;
		r->type = IPC_REC_LINK;
		r->u.link = st->links[i];
		return true;
	case STATUS_IFSTATS:
		if (i >= (size_t)st->nifstats)
			return false;
		r->type = IPC_REC_IFSTATS;
		r->u.ifstats = st->ifstats[i];
		return true;
	case STATUS_READY:
		if (i > 0)
			return false;
		r->type = IPC_REC_READY;
		r->u.ready = st->ready;
		return true;
	case STATUS_NETCONF:
		if (i >= st->nnetconf)
			return false;
		*r = st->netconf[i];
		return true;
	case STATUS_DNS:
		if (i >= st->ndns)
			return false;
		*r = st->dns[i];
		return true;
	case STATUS_SOCK_OWNERS:
		if (i >= st->nsock_owners)
			return false;
		r->type = IPC_REC_SOCK_OWNER;
		r->u.sock_owner = st->sock_owners[i];
		return true;
	case STATUS_DONE:
		break;
	}
	return false;
}

/* Encodes the next chunk of the stream into its chunk (base.next). */
static void status_encode_chunk(struct control_stream *base,
				struct control_client *c)
{
	struct status_stream *st = (struct status_stream *)base;
	struct ipc_status_builder b;
	struct ipc_record r;

	/* IPC_MSG_MAX always holds an empty reply: cannot fail. */
	(void)ipc_status_begin(&b, st->base.chunk, sizeof(st->base.chunk),
			       c->version, st->id);
	if (st->error) {
		st->base.chunk_len = ipc_status_finish(&b, st->error, true);
		st->base.chunk_last = true;
		return;
	}
	while (st->phase != STATUS_DONE) {
		if (!status_record(st, &r)) {
			st->phase++;
			st->index = 0;
			continue;
		}
		if (r.type == IPC_REC_DAEMON)
			snprintf(r.u.daemon.name, sizeof(r.u.daemon.name), "%s",
				 c->ctl->d->cfg->name);
		if (ipc_status_add(&b, &r) == -ENOSPC) {
			if (b.nrecords == 0) {
				/* cannot happen: every record is small */
				st->index++;
				continue;
			}
			break;
		}
		st->index++;
	}
	st->base.chunk_last = st->phase == STATUS_DONE;
	st->base.chunk_len = ipc_status_finish(&b, 0, st->base.chunk_last);
}

/* Takes a snapshot of `count` records via `snap`; returns 0 or -ENOMEM.
 * Entries may appear between the two calls: what fits is kept. */
#define SNAPSHOT(st, field, nfield, type, call)                                \
	do {                                                                   \
		size_t total_ = (call(NULL, 0));                               \
		if (total_ > 0) {                                              \
			(st)->field = calloc(total_, sizeof(type));            \
			if (!(st)->field)                                      \
				return -ENOMEM;                                \
			(st)->nfield = call((st)->field, total_);              \
			if ((st)->nfield > total_)                             \
				(st)->nfield = total_;                         \
		}                                                              \
	} while (0)

/* What the kernel dropped in front of TAP `name` (its tx_dropped: the
 * SYN filter's drops and a full queue's), 0 when it cannot tell. */
static uint64_t tap_kernel_drops(const char *name)
{
	char path[64 + STACK_IF_NAME_MAX];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/tx_dropped",
		 name);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* Whether TAP `name`'s kernel side has carrier: its sysfs `carrier`
 * reads 1 (the kernel refuses the read while the link is down, as for
 * `ip link set dev TAP down`: no carrier). IPC_CARRIER_UNKNOWN when
 * there is no such file (no sysfs of this namespace). */
static uint8_t tap_carrier(const char *name)
{
	char path[64 + STACK_IF_NAME_MAX];
	int c = EOF;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", name);
	f = fopen(path, "re");
	if (!f)
		return IPC_CARRIER_UNKNOWN;
	c = fgetc(f);
	fclose(f);
	return c == '1' ? IPC_CARRIER_UP : IPC_CARRIER_DOWN;
}

/* What each uid holds through the control socket, and each TAP's SYN
 * shedding and counters. Returns 0 or -ENOMEM. */
static int control_snapshot(const struct control *ctl, struct status_stream *st)
{
	const struct daemon *d = ctl->d;
	const struct control_account *a;
	size_t n = 0;

	memcpy(st->control, ctl->counters, sizeof(st->control));
	for (a = ctl->uids; a; a = a->next)
		n++;
	if (n > 0) {
		st->owners = calloc(n, sizeof(*st->owners));
		if (!st->owners)
			return -ENOMEM;
	}
	for (a = ctl->uids; a && st->nowners < n; a = a->next)
		st->owners[st->nowners++] = (struct ipc_rec_owner){
		    .uid = (uint32_t)a->uid,
		    .clients = a->held[CONTROL_KIND_CLIENT],
		    .udp = a->held[CONTROL_KIND_UDP],
		    .listeners = a->held[CONTROL_KIND_LISTENER],
		    .connections = a->held[CONTROL_KIND_CONN],
		};
	n = ctl->sock_owners ? ctl->sock_owners(ctl, NULL, 0) : 0;
	if (n > 0) {
		st->sock_owners = calloc(n, sizeof(*st->sock_owners));
		if (!st->sock_owners)
			return -ENOMEM;
		st->nsock_owners = ctl->sock_owners(ctl, st->sock_owners, n);
		if (st->nsock_owners > n)
			st->nsock_owners = n;
	}
	for (int i = 0; i < d->ntaps && i < STACK_IF_MAX; i++) {
		const struct tap *t = &d->taps[i];
		struct stack_if_info info = {0};

		(void)stack_if_info(d->stack, t->ifindex, &info);
		st->links[st->nlinks++] = (struct ipc_rec_link){
		    .ifindex = t->ifindex,
		    .syn_shed = t->shed.on ? 1 : 0,
		    .syn_shed_times = t->shed.times_on,
		    .syn_drops = info.syn_over_budget,
		    .kernel_drops = tap_kernel_drops(t->name),
		};
		st->ifstats[st->nifstats++] = (struct ipc_rec_ifstats){
		    .ifindex = t->ifindex,
		    .carrier = tap_carrier(t->name),
		    .rx_frames = t->rx_frames,
		    .rx_bytes = t->rx_bytes,
		    .rx_errors = t->rx_errors,
		    .rx_drops = t->rx_drops,
		    .tx_frames = t->tx_frames,
		    .tx_bytes = t->tx_bytes,
		    .tx_errors = t->tx_errors,
		    .tx_drops = t->tx_drops,
		};
	}
	return 0;
}

/* Milliseconds of a DHCP timer, IPC_DHCP_NEVER for never. */
static uint64_t dhcp_ms(uint64_t ns)
{
	return ns == UINT64_MAX ? IPC_DHCP_NEVER : ns / 1000000u;
}

/* The DHCP record of an interface from the stack's view of its client. */
static void dhcp_record(int ifindex, const struct stack_dhcp_info *in,
			struct ipc_rec_dhcp *dst)
{
	const struct dhcp_client_stats *n = &in->stats;

	dst->ifindex = ifindex;
	dst->state = (unsigned)in->state < IPC_DHCP_COUNT ? (uint8_t)in->state
							  : IPC_DHCP_STOPPED;
	dst->flags = (uint8_t)((in->running ? IPC_DHCP_F_RUNNING : 0) |
			       (in->bound ? IPC_DHCP_F_BOUND : 0));
	dst->mtu = in->mtu_applied;
	dst->tx_discover = n->tx[DHCPDISCOVER];
	dst->tx_request = n->tx[DHCPREQUEST];
	dst->tx_decline = n->tx[DHCPDECLINE];
	dst->tx_release = n->tx[DHCPRELEASE];
	dst->rx_offer = n->rx[DHCPOFFER];
	dst->rx_ack = n->rx[DHCPACK];
	dst->rx_nak = n->rx[DHCPNAK];
	dst->rx_ignored = n->rx_ignored;
	dst->retransmits = n->retransmits;
	dst->declines = n->declines;
	dst->naks = n->naks;
	dst->expiries = n->expiries;
	dst->corrections = n->corrections;
	if (!in->bound)
		return;
	if (in->lease.opt.raw_truncated)
		dst->flags |= IPC_DHCP_F_OPTIONS_TRUNCATED;
	dst->addr = in->lease.addr;
	dst->prefix_len =
	    in->lease.prefix_len <= 32 ? in->lease.prefix_len : 32;
	dst->server = in->lease.server_id;
	dst->lease_s = in->lease.lease_s;
	dst->t1_s = in->lease.t1_s;
	dst->t2_s = in->lease.t2_s;
	dst->t1_in_ms = dhcp_ms(in->t1_in_ns);
	dst->t2_in_ms = dhcp_ms(in->t2_in_ns);
	dst->expires_in_ms = dhcp_ms(in->expires_in_ns);
}

static void copy_addrs(struct ipc_addrs *dst, const uint32_t *src, size_t n)
{
	dst->n = (uint8_t)(n < IPC_ADDRS_MAX ? n : IPC_ADDRS_MAX);
	memcpy(dst->a, src, dst->n * sizeof(src[0]));
}

/* The NETCONF record from the daemon's netconf. */
static void netconf_record(int ifindex, const struct netconf_if *nc,
			   struct ipc_rec_netconf *dst)
{
	dst->ifindex = ifindex;
	dst->flags = (uint8_t)((nc->dhcp ? IPC_NETCONF_F_DHCP : 0) |
			       (nc->configured ? IPC_NETCONF_F_CONFIGURED : 0));
	dst->address_source = (uint8_t)nc->address_src;
	dst->routes_source = (uint8_t)nc->routes_src;
	dst->mtu_source = (uint8_t)nc->mtu_src;
	dst->dns_source = (uint8_t)nc->dns_src;
	dst->domain_source = (uint8_t)nc->domain_src;
	dst->search_source = (uint8_t)nc->search_src;
	dst->log_server_source = (uint8_t)nc->log_server_src;
	dst->ntp_source = (uint8_t)nc->ntp_src;
	dst->log_server = nc->log_server;
	dst->log_port = nc->log_server ? nc->log_port : 0;
	copy_addrs(&dst->dns, nc->dns, nc->ndns);
	copy_addrs(&dst->ntp, nc->ntp, nc->nntp);
	snprintf(dst->domain, sizeof(dst->domain), "%s", nc->domain);
}

/* Without a netconf (tests that run without one): what the
 * configuration and the stack say. */
static void netconf_from_config(const struct daemon *d, int ifindex,
				const struct status_stream *st,
				const struct stack_dhcp_info *dhcp,
				struct ipc_rec_netconf *dst)
{
	const struct stack_if_info *info = &st->ifs[ifindex];
	const struct config_interface *ci = NULL;
	uint32_t dns[IPC_ADDRS_MAX];
	size_t ndns = 0;

	for (int k = 0; k < d->cfg->nifs; k++)
		if (strcmp(d->cfg->ifs[k].name, info->name) == 0)
			ci = &d->cfg->ifs[k];
	dst->ifindex = ifindex;
	dst->flags = (uint8_t)((dhcp->running ? IPC_NETCONF_F_DHCP : 0) |
			       (info->addr ? IPC_NETCONF_F_CONFIGURED : 0));
	if (info->addr)
		dst->address_source =
		    dhcp->bound ? IPC_SOURCE_LEASE : IPC_SOURCE_CONFIG;
	if (ci && ci->gateway)
		dst->routes_source = IPC_SOURCE_CONFIG;
	for (size_t r = 0; r < st->nroutes; r++)
		if (st->routes[r].ifindex == ifindex &&
		    st->routes[r].kind == STACK_ROUTE_DHCP)
			dst->routes_source = IPC_SOURCE_LEASE;
	dst->mtu_source =
	    dhcp->mtu_applied ? IPC_SOURCE_LEASE : IPC_SOURCE_CONFIG;
	for (int k = 0; ci && k < ci->ndns && ndns < IPC_ADDRS_MAX; k++)
		dns[ndns++] = ci->dns[k];
	if (ndns)
		dst->dns_source = IPC_SOURCE_CONFIG;
	copy_addrs(&dst->dns, dns, ndns);
}

/* The next option of a bound lease's raw options from *at (code,
 * length, value; PAD and END skipped), moving *at past it; NULL at the
 * end. */
static const uint8_t *lease_option(const struct stack_dhcp_info *in, size_t *at)
{
	const struct dhcp_options *o = &in->lease.opt;
	size_t end = o->raw_len < DHCP_RAW_MAX ? o->raw_len : DHCP_RAW_MAX;

	while (in->bound && *at + 2 <= end) {
		const uint8_t *p = &o->raw[*at];

		if (*at + 2u + p[1] > end)
			break;
		*at += 2u + p[1];
		if (p[0] != 0 && p[0] != 255)
			return p;
	}
	return NULL;
}

/* Appends a record to the stream's per-interface records (room was
 * counted). */
static struct ipc_record *netconf_append(struct status_stream *st,
					 uint16_t type)
{
	struct ipc_record *r = &st->netconf[st->nnetconf++];

	r->type = type;
	return r;
}

/* Each interface's DHCP client and settings, and READY. Returns 0 or
 * -ENOMEM. */
static int netconf_snapshot(struct daemon *d, uint64_t now,
			    struct status_stream *st)
{
	const struct netconf *nc = d->netconf;
	struct stack_dhcp_info *dhcp;
	size_t room = 0;
	bool ready = true;
	int i;

	dhcp = calloc((size_t)st->nifs + 1, sizeof(*dhcp));
	if (!dhcp)
		return -ENOMEM;
	for (i = 0; i < st->nifs; i++) {
		if (stack_dhcp_info(d->stack, now, i, &dhcp[i]) != 0)
			memset(&dhcp[i], 0, sizeof(dhcp[i]));
		size_t at = 0;

		/* DHCP, NETCONF, the search list, the options */
		room += 2 + DHCP_SEARCH_MAX;
		while (lease_option(&dhcp[i], &at))
			room++;
		ready &= st->ifs[i].addr != 0;
	}
	st->netconf = calloc(room + 1, sizeof(*st->netconf));
	if (!st->netconf) {
		free(dhcp);
		return -ENOMEM;
	}
	for (i = 0; i < st->nifs; i++) {
		const struct stack_dhcp_info *in = &dhcp[i];
		const struct netconf_if *nif =
		    nc && i < nc->nifs ? &nc->ifs[i] : NULL;
		struct ipc_record *r;
		const uint8_t *o;
		size_t at = 0;

		r = netconf_append(st, IPC_REC_DHCP);
		dhcp_record(i, in, &r->u.dhcp);
		r = netconf_append(st, IPC_REC_NETCONF);
		if (nif)
			netconf_record(i, nif, &r->u.netconf);
		else
			netconf_from_config(d, i, st, in, &r->u.netconf);
		for (int k = 0; nif && k < nif->nsearch && k < DHCP_SEARCH_MAX;
		     k++) {
			if (!nif->search[k][0])
				continue;
			r = netconf_append(st, IPC_REC_SEARCH);
			r->u.search.ifindex = i;
			snprintf(r->u.search.name, sizeof(r->u.search.name),
				 "%s", nif->search[k]);
		}
		/* every option of the lease: code, length, value */
		while ((o = lease_option(in, &at)) != NULL) {
			r = netconf_append(st, IPC_REC_DHCP_OPTION);
			r->u.dhcp_option.ifindex = i;
			r->u.dhcp_option.code = o[0];
			r->u.dhcp_option.value.n = o[1];
			memcpy(r->u.dhcp_option.value.b, o + 2, o[1]);
		}
	}
	free(dhcp);
	if (nc) {
		st->ready.ready = nc->ready ? 1 : 0;
		if (nc->ready && nc->ready_ns > d->start_ns)
			st->ready.ready_at_ms =
			    (nc->ready_ns - d->start_ns) / 1000000u;
	} else {
		st->ready.ready = ready && st->nifs > 0 ? 1 : 0;
	}
	return 0;
}

/* The first IPv4 addresses of a cache entry, host order. */
static void cache_addrs(const struct dns_cache_info *ci, struct ipc_addrs *dst)
{
	dst->n = 0;
	for (size_t k = 0; k < ci->naddrs && k < DNS_CACHE_INFO_ADDRS; k++) {
		const uint8_t *a = ci->addrs[k].addr;

		if (ci->addrs[k].family != 4 || dst->n == IPC_ADDRS_MAX)
			continue;
		dst->a[dst->n++] = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
				   (uint32_t)a[2] << 8 | a[3];
	}
}

/* The resolver's records and counters (none without one). Returns 0 or
 * -ENOMEM. */
static int dns_snapshot(struct daemon *d, uint64_t now,
			struct status_stream *st)
{
	const struct resolver *res = d->resolver;
	const struct dns_limits *lim = &d->cfg->dns.limits;
	struct dns_server_info sv[DNS_SERVERS_MAX];
	char search[DNS_SEARCH_MAX][DNS_NAME_MAX];
	struct dns_cache_info *cache = NULL;
	size_t nsv, nsearch, ncache = 0, room;
	struct ipc_record *r;

	if (!res || !res->dns)
		return 0;
	st->has_dns = true;
	for (int i = 0; i < DNS_COUNTER_COUNT; i++)
		st->dns_counters[i] =
		    dns_counter_get(res->dns, (enum dns_counter)i);
	nsv = dns_server_snapshot(res->dns, sv, DNS_SERVERS_MAX);
	if (nsv > DNS_SERVERS_MAX)
		nsv = DNS_SERVERS_MAX;
	nsearch = dns_search_snapshot(res->dns, search, DNS_SEARCH_MAX);
	if (nsearch > DNS_SEARCH_MAX)
		nsearch = DNS_SEARCH_MAX;
	room = dns_cache_size(res->dns);
	if (room) {
		cache = calloc(room, sizeof(*cache));
		if (!cache)
			return -ENOMEM;
		ncache = dns_cache_snapshot(res->dns, now, cache, room);
		if (ncache > room)
			ncache = room;
	}
	st->dns = calloc(1 + nsv + nsearch + ncache, sizeof(*st->dns));
	if (!st->dns) {
		free(cache);
		return -ENOMEM;
	}
	r = &st->dns[st->ndns++];
	r->type = IPC_REC_DNS;
	r->u.dns.ndots = dns_ndots(res->dns);
	r->u.dns.cache_entries = (uint32_t)dns_cache_size(res->dns);
	r->u.dns.cache_max = lim->cache_max;
	r->u.dns.lookups_pending = (uint32_t)dns_lookups_pending(res->dns);
	r->u.dns.lookups_max = lim->lookups_max;
	r->u.dns.queries_active = (uint32_t)dns_questions_active(res->dns);
	r->u.dns.queries_max = lim->queries_max;
	for (size_t i = 0; i < nsv; i++) {
		struct ipc_rec_dns_server *dst;

		r = &st->dns[st->ndns++];
		r->type = IPC_REC_DNS_SERVER;
		dst = &r->u.dns_server;
		dst->ifindex = sv[i].server.ifindex;
		dst->addr = sv[i].server.addr;
		dst->port = sv[i].server.port;
		dst->source = sv[i].server.source < IPC_SOURCE_COUNT
				  ? sv[i].server.source
				  : IPC_SOURCE_NONE;
		dst->flags =
		    sv[i].unresponsive ? IPC_DNS_SERVER_F_UNRESPONSIVE : 0;
		dst->queries = sv[i].queries;
		dst->answers = sv[i].answers;
		dst->timeouts = sv[i].timeouts;
		dst->failures = sv[i].failures;
	}
	for (size_t i = 0; i < nsearch; i++) {
		size_t len = strnlen(search[i], DNS_NAME_MAX - 1);

		if (len == 0)
			continue;
		r = &st->dns[st->ndns++];
		r->type = IPC_REC_SEARCH;
		r->u.search.ifindex = -1;
		memcpy(r->u.search.name, search[i], len);
		r->u.search.name[len] = '\0';
	}
	for (size_t i = 0; i < ncache; i++) {
		struct ipc_rec_dns_cache *dst;

		if (!cache[i].name[0])
			continue; /* the record needs a name */
		r = &st->dns[st->ndns++];
		r->type = IPC_REC_DNS_CACHE;
		dst = &r->u.dns_cache;
		dst->qtype = cache[i].qtype;
		dst->kind = (uint8_t)cache[i].kind;
		dst->ttl_left_s = cache[i].ttl_left_s;
		dst->hits = cache[i].hits;
		dst->naddrs = cache[i].naddrs;
		cache_addrs(&cache[i], &dst->addrs);
		snprintf(dst->name, sizeof(dst->name), "%s", cache[i].name);
	}
	free(cache);
	return 0;
}

/* Fills a status stream with a snapshot of the stack. */
static int status_snapshot(struct daemon *d, struct status_stream *st)
{
	uint64_t now = daemon_now();
	int i;

#define ROUTES(out, max) stack_route_snapshot(d->stack, out, max)
#define ARPS(out, max)	 stack_arp_snapshot(d->stack, now, out, max)
#define UDPS(out, max)	 stack_udp_snapshot(d->stack, out, max)
#define TCPS(out, max)	 stack_tcp_snapshot(d->stack, now, out, max)
	SNAPSHOT(st, routes, nroutes, struct stack_route_info, ROUTES);
	SNAPSHOT(st, arp, narp, struct stack_arp_info, ARPS);
	SNAPSHOT(st, udp, nudp, struct stack_udp_info, UDPS);
	SNAPSHOT(st, tcp, ntcp, struct stack_tcp_info, TCPS);
#undef ROUTES
#undef ARPS
#undef UDPS
#undef TCPS

	st->uptime_ms = (now - d->start_ns) / 1000000u;
	st->nifs = stack_if_count(d->stack);
	if (st->nifs > STACK_IF_MAX)
		st->nifs = STACK_IF_MAX;
	if (st->nifs < 0)
		st->nifs = 0;
	for (i = 0; i < st->nifs; i++) {
		if (stack_if_info(d->stack, i, &st->ifs[i]) != 0)
			memset(&st->ifs[i], 0, sizeof(st->ifs[i]));
		st->ifs[i].name[STACK_IF_NAME_MAX - 1] = '\0';
	}
	/* An interface's gateway: that of a default route out of it. */
	for (size_t r = 0; r < st->nroutes; r++) {
		const struct stack_route_info *ri = &st->routes[r];

		if (ri->prefix_len == 0 && ri->gateway != 0 &&
		    ri->ifindex >= 0 && ri->ifindex < st->nifs &&
		    st->if_gateway[ri->ifindex] == 0)
			st->if_gateway[ri->ifindex] = ri->gateway;
	}
	stack_pool_info(d->stack, &st->pool);
	for (i = 0; i < STACK_COUNTER_COUNT; i++)
		st->counters[i] =
		    stack_counter_get(d->stack, (enum stack_counter)i);
	st->busy_polls = d->busy.polls;
	st->busy_poll_hits = d->busy.hits;
	if (d->control && d->control->captures) {
		st->capture[0] = d->control->captures->started;
		st->capture[1] = d->control->captures->frames;
		st->capture[2] = d->control->captures->drops;
	}
	if (netconf_snapshot(d, now, st) < 0)
		return -ENOMEM;
	return dns_snapshot(d, now, st);
}

void control_status_request(struct control_client *c, const struct ipc_msg *m)
{
	struct status_stream *st = calloc(1, sizeof(*st));
	int err;

	if (!st) {
		control_reply_error(c, m->id, -ENOMEM);
		return;
	}
	st->base.next = status_encode_chunk;
	st->base.free = status_free;
	st->id = m->id;
	st->version = c->version;
	err = status_snapshot(c->ctl->d, st);
	if (!err)
		err = control_snapshot(c->ctl, st);
	if (err) {
		free(st->routes);
		free(st->arp);
		free(st->udp);
		free(st->tcp);
		free(st->owners);
		free(st->sock_owners);
		st->sock_owners = NULL;
		st->nsock_owners = 0;
		free(st->netconf);
		st->netconf = NULL;
		st->nnetconf = 0;
		free(st->dns);
		st->dns = NULL;
		st->ndns = 0;
		st->has_dns = false;
		st->routes = NULL;
		st->arp = NULL;
		st->udp = NULL;
		st->tcp = NULL;
		st->owners = NULL;
		st->nowners = 0;
		st->nlinks = 0;
		st->nifstats = 0;
		st->error = err;
	}
	c->stream = &st->base;
}

_Static_assert(IPC_HDR_LEN + IPC_TCP_INFO_REPLY_LEN <= CONTROL_SMALL_MSG_MAX,
	       "a TCP_INFO reply is a small message");

#define FROM_RECORD(field) r.field = rec.u.tcp.field;

void control_status_tcp_info(struct control_client *c, const struct ipc_msg *m,
			     const struct ipc_tcp_info *req)
{
	struct ipc_tcp_info_reply r = {0};
	struct stack_tcp_info info;
	struct ipc_record rec = {0};
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	int len;

	/* The same record STATUS would show for it, to anyone. */
	if (tcp_conn_info(c->ctl->d->stack, req->id, &info) == 0) {
		tcp_record(&info, &rec);
		IPC_REC_TCP_PLAIN(FROM_RECORD)
		r.state = rec.u.tcp.state;
		r.flags = rec.u.tcp.flags;
	} else {
		r.status = -ENOENT;
	}
	len =
	    ipc_encode_tcp_info_reply(buf, sizeof(buf), c->version, m->id, &r);
	if (len > 0)
		control_client_queue(c, buf, len, -1);
}
