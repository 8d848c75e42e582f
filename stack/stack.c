/*
 * stack.c - the stack object: construction, interfaces, routes, the
 * caller's queues, timers and inspection
 *
 * This file is the sans-IO boundary (see stack.h). It owns the queues
 * the caller drains (tx frames, events), dispatches stack_timer() to the
 * modules that keep timers and answers inspection requests. The route
 * table lives here too: connected routes come from interface addresses,
 * others from stack_route_add() and DHCP leases (dhcp_if.c); lookups
 * take the longest prefix, then the lowest metric, then the first in
 * the table. When an interface's address goes or changes, whatever was
 * bound to the old one fails (stack_addr_gone).
 */
#include <errno.h>
#include <stdlib.h>

#include "stack_internal.h"
#include "tcp.h"

/* ---- construction ---- */

void stack_limits_default(struct stack_limits *lim)
{
	*lim = (struct stack_limits){
	    .pkt_small_max = 8192,
	    .pkt_large_max = 1024,
	    .arp_cache_max = 256,
	    .arp_hold_max = 16,
	    .arp_reachable_ns = 60 * STACK_NS_PER_SEC,
	    .arp_retry_ns = 1 * STACK_NS_PER_SEC,
	    .arp_retries = 3,
	    .reasm_datagrams_max = 64,
	    .reasm_frags_max = 64,
	    .reasm_bytes_max = 2u << 20,
	    .reasm_timeout_ns = 30 * STACK_NS_PER_SEC,
	    .udp_sockets_max = 1024,
	    .udp_rcvq_max = 64,
	    .udp_rcvq_bytes_max = 256u << 10,
	    .icmp_error_rate = 100,
	    .icmp_error_burst = 50,
	    .icmp_echo_max = 64,
	    .tcp_conns_max = 16384,
	    .tcp_listeners_max = 64,
	    .tcp_port_first = TCP_PORT_FIRST_DEFAULT,
	    .tcp_port_last = TCP_PORT_LAST_DEFAULT,
	    .tcp_challenge_ack_limit = 1000, /* Linux's, before 6.0 */
	    .tcp_syn_turn_budget = 32,
	    .tcp_syn_backlog = 256,
	    .tcp_chunks_max = 32768,
	    .tcp_chunks_reserve = 2048,
	    .tcp_sndbuf = 256u << 10,
	    .tcp_rcvbuf = 256u << 10,
	    .tcp_rcvbuf_max = 4u << 20, /* auto-tuning: see stack.h */
	    .tcp_orphans_max = 4096,
	    .tcp_orphan_retries = 8, /* Linux's, when the sysctl is 0 */
	    .tcp_keepidle_s = 7200,
	    .tcp_keepintvl_s = 75,
	    .tcp_keepcnt = 9,
	    .tcp_cubic = true,
	    .tcp_hystart = true,
	    .tcp_prr = true,
	};
}

struct stack *stack_new(const struct stack_limits *lim, uint64_t seed)
{
	struct stack *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->lim = *lim;
	if (s->lim.arp_cache_max == 0 || s->lim.reasm_datagrams_max == 0 ||
	    s->lim.udp_sockets_max == 0 || s->lim.tcp_conns_max == 0 ||
	    s->lim.tcp_listeners_max == 0 || s->lim.tcp_port_first == 0 ||
	    s->lim.tcp_port_first > s->lim.tcp_port_last ||
	    s->lim.tcp_port_last > 65535)
		goto fail;
	rng_seed(&s->rng, seed);
	pkt_pool_init(&s->pool, lim->pkt_small_max, lim->pkt_large_max);
	pkt_queue_init(&s->tx);
	/* Room for every event that can be pending at once (stack.h). */
	s->ev_cap = 2 * lim->udp_sockets_max + 4 * lim->tcp_conns_max +
		    lim->tcp_listeners_max + 64;
	s->events = calloc(s->ev_cap, sizeof(*s->events));
	if (!s->events)
		goto fail;
	if (arp_init(&s->arp, lim->arp_cache_max) < 0 ||
	    reasm_init(&s->reasm, lim->reasm_datagrams_max) < 0 ||
	    udp_init(&s->udp, lim->udp_sockets_max) < 0 || tcp_init(s) < 0 ||
	    icmp_echo_init(s, lim->icmp_echo_max) < 0)
		goto fail;
	s->ip_id = (uint16_t)rng_next(&s->rng);
	s->icmp_tokens = (uint64_t)lim->icmp_error_burst * STACK_NS_PER_SEC;
	s->next_deadline = STACK_NO_DEADLINE;
	return s;
fail:
	stack_free(s);
	return NULL;
}

void stack_free(struct stack *s)
{
	if (!s)
		return;
	if (s->arp.entries)
		arp_destroy(s);
	if (s->reasm.entries)
		reasm_destroy(s);
	if (s->udp.socks)
		udp_destroy(s);
	tcp_destroy(s);
	icmp_echo_destroy(s);
	dhcp_if_destroy(s);
	pkt_queue_purge(&s->tx, &s->pool);
	pkt_pool_destroy(&s->pool);
	free(s->events);
	free(s);
}

/* ---- interfaces and routes ---- */

int stack_if_add(struct stack *s, const char *name, const uint8_t mac[6],
		 uint32_t mtu)
{
	struct stack_if *ifp;

	if (s->nifs >= STACK_IF_MAX)
		return -ENOSPC;
	if (mtu < 68 || mtu > 65535 - ETH_HDR_LEN)
		return -EINVAL;
	if (mac[0] & 1) /* a multicast MAC cannot be an interface address */
		return -EINVAL;
	ifp = &s->ifs[s->nifs];
	*ifp = (struct stack_if){.mtu = mtu, .link_mtu = mtu};
	strncpy(ifp->name, name, STACK_IF_NAME_MAX - 1);
	memcpy(ifp->mac, mac, ETH_ADDR_LEN);
	return s->nifs++;
}

int stack_if_set_offload(struct stack *s, int ifindex, bool tso, bool csum)
{
	if (ifindex < 0 || ifindex >= s->nifs)
		return -ENODEV;
	if (tso && !csum) /* segmentation completes checksums too */
		return -EINVAL;
	s->ifs[ifindex].tso = tso;
	s->ifs[ifindex].csum = csum;
	return 0;
}

int route_remove_kind(struct stack *s, int ifindex, enum stack_route_kind kind)
{
	int n = 0;

	for (int i = 0; i < STACK_ROUTE_MAX; i++) {
		struct route *r = &s->routes[i];
		if (r->used && r->ifindex == ifindex && r->kind == kind) {
			r->used = false;
			n++;
		}
	}
	return n;
}

int route_remove(struct stack *s, uint32_t dst, uint8_t prefix_len,
		 uint32_t gateway, int ifindex, uint32_t metric,
		 enum stack_route_kind kind)
{
	dst &= prefix_mask(prefix_len);
	for (int i = 0; i < STACK_ROUTE_MAX; i++) {
		struct route *r = &s->routes[i];
		if (r->used && r->dst == dst && r->prefix_len == prefix_len &&
		    r->gateway == gateway && r->ifindex == ifindex &&
		    r->metric == metric && r->kind == kind) {
			r->used = false;
			return 0;
		}
	}
	return -ENOENT;
}

int route_insert(struct stack *s, uint32_t dst, uint8_t prefix_len,
		 uint32_t gateway, int ifindex, uint32_t metric,
		 enum stack_route_kind kind)
{
	struct route *free_slot = NULL;

	dst &= prefix_mask(prefix_len);
	for (int i = 0; i < STACK_ROUTE_MAX; i++) {
		struct route *r = &s->routes[i];
		if (!r->used) {
			if (!free_slot)
				free_slot = r;
			continue;
		}
		if (r->dst == dst && r->prefix_len == prefix_len &&
		    r->ifindex == ifindex && r->gateway == gateway &&
		    r->metric == metric)
			return -EEXIST;
	}
	if (!free_slot)
		return -ENOSPC;
	*free_slot = (struct route){
	    .used = true,
	    .dst = dst,
	    .prefix_len = prefix_len,
	    .gateway = gateway,
	    .ifindex = ifindex,
	    .kind = kind,
	    .metric = metric,
	};
	return 0;
}

/*
 * addr is ours no more (no interface has it now): what was bound to it
 * cannot send again. TCP connections from it fail with EADDRNOTAVAIL,
 * without a RST (we may not send from it), and are freed as an abort
 * frees them; UDP sockets bound to it refuse sends and connected ones
 * learn of it (tcp_addr_gone, udp_addr_gone). Listeners bound to it
 * stay, as Linux's do: they take connections again if it comes back.
 */
static void stack_addr_gone(struct stack *s, uint64_t now, uint32_t addr)
{
	if (!addr || stack_is_local_addr(s, addr))
		return;
	tcp_addr_gone(s, now, addr);
	udp_addr_gone(s, addr);
}

int stack_if_set_address(struct stack *s, uint64_t now, int ifindex,
			 uint32_t addr, uint8_t prefix_len)
{
	struct stack_if *ifp;
	uint32_t old;

	if (ifindex < 0 || ifindex >= s->nifs)
		return -ENODEV;
	if (prefix_len > 32 || (addr != 0 && prefix_len == 0))
		return -EINVAL;
	ifp = &s->ifs[ifindex];
	old = ifp->addr;
	if (!addr)
		prefix_len = 0;
	/* The same address and prefix: nothing changes (no ARP flush, no
	 * route churn, no announcement; connections go on). */
	if (addr == old && prefix_len == ifp->prefix_len)
		return 0;
	route_remove_kind(s, ifindex, STACK_ROUTE_CONNECTED);
	if (addr != old)
		arp_flush_if(s, ifindex);
	ifp->addr = addr;
	ifp->prefix_len = prefix_len;
	if (addr != old)
		stack_addr_gone(s, now, old);
	if (!addr)
		return 0;
	route_insert(s, addr, prefix_len, 0, ifindex, 0, STACK_ROUTE_CONNECTED);
	if (addr != old)
		arp_announce(s, ifindex);
	return 0;
}

int stack_if_set_mtu(struct stack *s, int ifindex, uint32_t mtu)
{
	struct stack_if *ifp;

	if (ifindex < 0 || ifindex >= s->nifs)
		return -ENODEV;
	ifp = &s->ifs[ifindex];
	if (mtu == 0 || mtu > ifp->link_mtu)
		mtu = ifp->link_mtu;
	if (mtu < STACK_MTU_MIN)
		mtu = ifp->link_mtu < STACK_MTU_MIN ? ifp->link_mtu
						    : STACK_MTU_MIN;
	ifp->mtu = mtu;
	return (int)mtu;
}

int stack_route_add(struct stack *s, uint32_t dst, uint8_t prefix_len,
		    uint32_t gateway, int ifindex)
{
	return stack_route_add_metric(s, dst, prefix_len, gateway, ifindex, 0);
}

int stack_route_add_metric(struct stack *s, uint32_t dst, uint8_t prefix_len,
			   uint32_t gateway, int ifindex, uint32_t metric)
{
	if (ifindex < 0 || ifindex >= s->nifs)
		return -ENODEV;
	if (prefix_len > 32 || (dst & ~prefix_mask(prefix_len)))
		return -EINVAL;
	return route_insert(s, dst, prefix_len, gateway, ifindex, metric,
			    STACK_ROUTE_STATIC);
}

int ipv4_route(const struct stack *s, uint32_t daddr, int *ifindex,
	       uint32_t *nexthop, uint32_t *saddr)
{
	const struct route *best = NULL;

	for (int i = 0; i < STACK_ROUTE_MAX; i++) {
		const struct route *r = &s->routes[i];
		if (!r->used || (daddr & prefix_mask(r->prefix_len)) != r->dst)
			continue;
		if (!s->ifs[r->ifindex].addr)
			continue;
		/* The longest prefix, then the lowest metric, then the
		 * first in the table. */
		if (!best || r->prefix_len > best->prefix_len ||
		    (r->prefix_len == best->prefix_len &&
		     r->metric < best->metric))
			best = r;
	}
	if (!best)
		return -ENETUNREACH;
	*ifindex = best->ifindex;
	*nexthop = best->gateway ? best->gateway : daddr;
	*saddr = s->ifs[best->ifindex].addr;
	return 0;
}

bool stack_is_local_addr(const struct stack *s, uint32_t addr)
{
	for (int i = 0; i < s->nifs; i++)
		if (s->ifs[i].addr && s->ifs[i].addr == addr)
			return true;
	return false;
}

/* ---- the I/O contract ---- */

struct pkt *stack_pkt_alloc(struct stack *s, size_t size)
{
	struct pkt *p = pkt_alloc(&s->pool, size);

	if (!p)
		COUNT(s, pkt_alloc_failures);
	return p;
}

void stack_pkt_free(struct stack *s, struct pkt *p)
{
	pkt_free(&s->pool, p);
}

void stack_input(struct stack *s, uint64_t now, struct pkt *frame)
{
	eth_input(s, now, frame);
}

void stack_timer(struct stack *s, uint64_t now)
{
	arp_timer(s, now);
	reasm_timer(s, now);
	tcp_timers_run(s, now);
	dhcp_if_timer(s, now);
	icmp_echo_timer(s, now);
	s->next_deadline = arp_next_deadline(s);
	stack_deadline_hint(s, icmp_echo_next_deadline(s));
	stack_deadline_hint(s, dhcp_if_next_deadline(s));
	stack_deadline_hint(s, reasm_next_deadline(s));
	stack_deadline_hint(s, tcp_next_deadline(s));
}

uint64_t stack_next_deadline(const struct stack *s)
{
	return s->next_deadline;
}

struct pkt *stack_pop_tx(struct stack *s)
{
	struct pkt *p = pkt_queue_pop(&s->tx);

	if (!p)
		tcp_turn(s);
	return p;
}

size_t stack_tx_queued(const struct stack *s)
{
	return s->tx.count;
}

size_t stack_events_queued(const struct stack *s)
{
	return s->ev_count;
}

bool stack_push_event(struct stack *s, const struct stack_event *ev)
{
	if (s->ev_count >= s->ev_cap) {
		COUNT(s, stack_events_dropped);
		return false;
	}
	s->events[(s->ev_head + s->ev_count) % s->ev_cap] = *ev;
	s->ev_count++;
	return true;
}

void stack_forget_events(struct stack *s, unsigned types, int sock)
{
	uint32_t kept = 0;

	for (uint32_t i = 0; i < s->ev_count; i++) {
		const struct stack_event *ev =
		    &s->events[(s->ev_head + i) % s->ev_cap];

		if ((types & STACK_EV_BIT(ev->type)) && ev->sock == sock)
			continue;
		s->events[(s->ev_head + kept) % s->ev_cap] = *ev;
		kept++;
	}
	s->ev_count = kept;
}

/* The cookie of the socket an event is for, now (stack.h): NULL when
 * the caller has let go of it (a connection closed by the user or not
 * yet accepted, a listener or UDP socket closed). */
static void *stack_event_user(struct stack *s, const struct stack_event *ev)
{
	switch (ev->type) {
	case STACK_EV_UDP_READABLE:
	case STACK_EV_UDP_ERROR:
		return udp_socket_user(s, ev->sock);
	case STACK_EV_TCP_ACCEPTABLE:
		if (ev->sock < 0 ||
		    (uint32_t)ev->sock >= s->tcp->listeners_max ||
		    !s->tcp->listeners[ev->sock].used)
			return NULL;
		return s->tcp->listeners[ev->sock].user;
	default:
		return tcp_get_user(s, ev->sock);
	}
}

bool stack_pop_event(struct stack *s, struct stack_event *ev)
{
	if (s->ev_count == 0)
		return false;
	*ev = s->events[s->ev_head];
	s->ev_head = (s->ev_head + 1) % s->ev_cap;
	s->ev_count--;
	ev->user = stack_event_user(s, ev);
	return true;
}

int tcp_set_user(struct stack *s, int conn, void *user)
{
	struct tcp_conn *c = tcp_conn_get(s, conn);

	if (!c || c->user_closed || c->listener >= 0)
		return -EBADF;
	c->user = user;
	return 0;
}

void *tcp_get_user(struct stack *s, int conn)
{
	const struct tcp_conn *c = tcp_conn_get(s, conn);

	if (!c || c->user_closed || c->listener >= 0)
		return NULL;
	return c->user;
}

int tcp_listen_set_user(struct stack *s, int listener, void *user)
{
	if (listener < 0 || (uint32_t)listener >= s->tcp->listeners_max ||
	    !s->tcp->listeners[listener].used)
		return -EBADF;
	s->tcp->listeners[listener].user = user;
	return 0;
}

/* ---- inspection ---- */

int stack_if_count(const struct stack *s)
{
	return s->nifs;
}

int stack_if_info(const struct stack *s, int ifindex, struct stack_if_info *out)
{
	const struct stack_if *ifp;

	if (ifindex < 0 || ifindex >= s->nifs)
		return -ENODEV;
	ifp = &s->ifs[ifindex];
	*out = (struct stack_if_info){
	    .mtu = ifp->mtu,
	    .addr = ifp->addr,
	    .prefix_len = ifp->prefix_len,
	    .syn_over_budget = ifp->syn_over_budget,
	};
	memcpy(out->name, ifp->name, sizeof(out->name));
	memcpy(out->mac, ifp->mac, sizeof(out->mac));
	return 0;
}

size_t stack_route_snapshot(const struct stack *s, struct stack_route_info *out,
			    size_t max)
{
	size_t n = 0;

	for (int i = 0; i < STACK_ROUTE_MAX; i++) {
		const struct route *r = &s->routes[i];
		if (!r->used)
			continue;
		if (n < max)
			out[n] = (struct stack_route_info){
			    .dst = r->dst,
			    .prefix_len = r->prefix_len,
			    .gateway = r->gateway,
			    .ifindex = r->ifindex,
			    .kind = r->kind,
			    .metric = r->metric,
			};
		n++;
	}
	return n;
}

void stack_pool_info(const struct stack *s, struct stack_pool_info *out)
{
	for (int c = 0; c < PKT_CLASS_COUNT; c++) {
		out->allocated[c] = s->pool.allocated[c];
		out->in_use[c] = s->pool.in_use[c];
		out->max[c] = s->pool.max[c];
	}
}

uint64_t stack_counter_get(const struct stack *s, enum stack_counter c)
{
	if ((unsigned)c >= STACK_COUNTER_COUNT)
		return 0;
	return s->counters[c];
}
