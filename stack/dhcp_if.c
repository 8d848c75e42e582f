/*
 * dhcp_if.c - the DHCP client's glue to the stack (stack.h "DHCP")
 *
 * Each interface may run one client (dhcp.h), held in a struct dhcp_if
 * allocated when DHCP first starts on it. The client is sans-IO: what
 * it wants done comes out as actions, and after every entry point into
 * it (start, stop, an arriving message, an ARP conflict, its timer)
 * dhcp_if_drain() carries them out here:
 *
 *   SEND        dhcp_msg_build() into a UDP datagram, port 68 to 67. A
 *               broadcast (dst 255.255.255.255, src 0.0.0.0 or ours)
 *               leaves by this interface to the Ethernet broadcast
 *               address whatever the routes say, with no ARP; anything
 *               else (RENEWING, RELEASE: to the server) is routed as
 *               any datagram, except that a server on this link whose
 *               MAC came with its last reply is sent to directly, so a
 *               RELEASE at shutdown waits for no ARP.
 *   ARP_PROBE   an RFC 5227 probe (arp_probe()); the address is kept so
 *               that ARP input can tell a conflict (dhcp_if_arp_input).
 *   CONFIGURE   the lease is applied diff-wise against what the last
 *               one applied (struct dhcp_if): the address and prefix
 *               only if they changed (stack_if_set_address(), which
 *               fails what was bound to an old address); the routes
 *               (121 when present, which replaces 3 (RFC 3442), else
 *               the first router of 3 as the default route; kind
 *               STACK_ROUTE_DHCP with the configured metric; only when
 *               use_routes) removed and added one by one where they
 *               differ; the MTU (26, when use_mtu) through
 *               stack_if_set_mtu(). A renewal with the same values thus
 *               changes nothing at all. The broadcast address (28) is
 *               only noted: it stays in the lease, and the stack keeps
 *               deriving the directed broadcast from the prefix.
 *   UNCONFIGURE the address goes (sockets bound to it fail: stack.c),
 *               with every DHCP route of the interface, and the MTU
 *               is the link's again.
 *   STATE, NOTE reports for the daemon's log.
 *
 * Reports (state changes, notes, STACK_DHCP_LEASE when a lease was
 * applied, STACK_DHCP_LOST when it went) wait in a ring of
 * STACK_DHCP_REPORTS_MAX for stack_dhcp_pop_report(); when it is full
 * the oldest is dropped and counted (dhcp_reports_dropped).
 *
 * Input: udp_input() hands every datagram to port 68 arriving on an
 * interface that runs DHCP to dhcp_if_udp_input() before its socket
 * demultiplexing; ipv4_input() lets such a datagram through while the
 * interface has no address yet, whatever it is addressed to (a server
 * may unicast the OFFER to the offered address, RFC 2131 4.1), when it
 * is not a fragment (option 57 asks for replies that fit the link). A
 * message dhcp_msg_parse() refuses is dropped and counted by reason
 * (dhcp_rx_drop_<reason>).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "stack_internal.h"

/* The counter of each reason dhcp_msg_parse() refuses a message for. */
static const enum stack_counter dhcp_drop_counter[DHCP_ERR_COUNT] = {
    [DHCP_OK] = STACK_CTR_dhcp_rx,
    [DHCP_ERR_SHORT] = STACK_CTR_dhcp_rx_drop_short,
    [DHCP_ERR_HEADER] = STACK_CTR_dhcp_rx_drop_header,
    [DHCP_ERR_MAGIC] = STACK_CTR_dhcp_rx_drop_magic,
    [DHCP_ERR_OPTION_LENGTH] = STACK_CTR_dhcp_rx_drop_option_length,
    [DHCP_ERR_OPTION_EMPTY] = STACK_CTR_dhcp_rx_drop_option_empty,
    [DHCP_ERR_OPTION_SIZE] = STACK_CTR_dhcp_rx_drop_option_size,
    [DHCP_ERR_NO_END] = STACK_CTR_dhcp_rx_drop_no_end,
    [DHCP_ERR_OVERLOAD] = STACK_CTR_dhcp_rx_drop_overload,
    [DHCP_ERR_ROUTES] = STACK_CTR_dhcp_rx_drop_routes,
    [DHCP_ERR_NAME] = STACK_CTR_dhcp_rx_drop_name,
    [DHCP_ERR_MSG_TYPE] = STACK_CTR_dhcp_rx_drop_msg_type,
};

static struct dhcp_if *dhcp_if_get(const struct stack *s, int ifindex)
{
	if (ifindex < 0 || ifindex >= s->nifs)
		return NULL;
	return s->dhcp[ifindex];
}

bool dhcp_if_running(const struct stack *s, int ifindex)
{
	const struct dhcp_if *d = dhcp_if_get(s, ifindex);

	return d && d->running;
}

void dhcp_if_destroy(struct stack *s)
{
	for (int i = 0; i < STACK_IF_MAX; i++) {
		free(s->dhcp[i]);
		s->dhcp[i] = NULL;
	}
}

static void ip_text(char *buf, size_t cap, uint32_t a)
{
	snprintf(buf, cap, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
		 (a >> 8) & 255, a & 255);
}

/* Queues a report, dropping the oldest when the ring is full. */
static void dhcp_report(struct stack *s, int ifindex,
			enum stack_dhcp_report_kind kind, enum dhcp_state from,
			enum dhcp_state to, const char *text)
{
	struct stack_dhcp_report *r;

	if (s->dhcp_report_count == STACK_DHCP_REPORTS_MAX) {
		COUNT(s, dhcp_reports_dropped);
		s->dhcp_report_head =
		    (s->dhcp_report_head + 1) % STACK_DHCP_REPORTS_MAX;
		s->dhcp_report_count--;
	}
	r = &s->dhcp_reports[(s->dhcp_report_head + s->dhcp_report_count) %
			     STACK_DHCP_REPORTS_MAX];
	*r = (struct stack_dhcp_report){
	    .ifindex = ifindex, .kind = kind, .from = from, .to = to};
	if (text)
		snprintf(r->text, sizeof(r->text), "%s", text);
	s->dhcp_report_count++;
}

/* Sends one message of the client (DHCP_A_SEND). */
static void dhcp_if_send(struct stack *s, uint64_t now, int ifindex,
			 const struct dhcp_out *out)
{
	struct dhcp_if *d = s->dhcp[ifindex];
	uint32_t src = out->src, dst = out->dst, nexthop = dst;
	struct pkt *p;
	size_t n;
	int ifx = ifindex;

	if (dst != IPV4_BROADCAST &&
	    !(d->server_mac_known && dst == d->server_addr && src)) {
		uint32_t route_src;

		if (ipv4_route(s, dst, &ifx, &nexthop, &route_src) < 0) {
			COUNT(s, ip_tx_drop_no_route);
			return;
		}
		if (!src)
			src = route_src;
	}
	p = stack_pkt_alloc(s, UDP_HDR_LEN + DHCP_MAX_LEN);
	if (!p)
		return;
	n = dhcp_msg_build(p->data + UDP_HDR_LEN, DHCP_MAX_LEN, out);
	if (n == 0) {
		stack_drop(s, p);
		return;
	}
	udp_put_header(p, n, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, src, dst);
	COUNT(s, dhcp_tx);
	COUNT(s, udp_tx);
	if (dst != IPV4_BROADCAST && ifx == ifindex && d->server_mac_known &&
	    dst == d->server_addr && src) {
		ipv4_output_mac(s, p, src, dst, IPV4_PROTO_UDP, ifindex,
				d->server_mac);
		return;
	}
	ipv4_output_via(s, now, p, src, dst, IPV4_PROTO_UDP, ifx, nexthop);
}

/* The routes a lease asks for: 121's, else a default route via 3's
 * first router; none when the configuration keeps static routes. */
static uint8_t dhcp_if_wanted_routes(const struct dhcp_if *d,
				     const struct dhcp_lease *l,
				     struct dhcp_route *out)
{
	if (!d->cfg.use_routes)
		return 0;
	if (dhcp_has(&l->opt, DHCP_OPT_CLASSLESS_ROUTES)) {
		memcpy(out, l->opt.routes,
		       l->opt.nroutes * sizeof(struct dhcp_route));
		return l->opt.nroutes;
	}
	if (l->opt.nrouters == 0)
		return 0;
	out[0] = (struct dhcp_route){.gateway = l->opt.routers[0]};
	return 1;
}

static bool dhcp_route_in(const struct dhcp_route *r,
			  const struct dhcp_route *set, uint8_t n)
{
	for (uint8_t i = 0; i < n; i++)
		if (set[i].dst == r->dst &&
		    set[i].prefix_len == r->prefix_len &&
		    set[i].gateway == r->gateway)
			return true;
	return false;
}

/* Makes the DHCP routes of the interface those of `want`, touching
 * none that stays. */
static void dhcp_if_set_routes(struct stack *s, int ifindex,
			       const struct dhcp_route *want, uint8_t nwant)
{
	struct dhcp_if *d = s->dhcp[ifindex];
	struct dhcp_route kept[DHCP_ROUTES_MAX];
	uint8_t nkept = 0;
	char text[96], dst[16], gw[16];

	for (uint8_t i = 0; i < d->nroutes; i++) {
		const struct dhcp_route *r = &d->routes[i];
		if (dhcp_route_in(r, want, nwant))
			kept[nkept++] = *r;
		else
			route_remove(s, r->dst, r->prefix_len, r->gateway,
				     ifindex, d->cfg.route_metric,
				     STACK_ROUTE_DHCP);
	}
	for (uint8_t i = 0; i < nwant; i++) {
		const struct dhcp_route *r = &want[i];
		int err;

		if (dhcp_route_in(r, kept, nkept))
			continue;
		err =
		    route_insert(s, r->dst, r->prefix_len, r->gateway, ifindex,
				 d->cfg.route_metric, STACK_ROUTE_DHCP);
		if (err == 0) {
			kept[nkept++] = *r;
			continue;
		}
		ip_text(dst, sizeof(dst), r->dst);
		ip_text(gw, sizeof(gw), r->gateway);
		snprintf(text, sizeof(text), "route %s/%u via %s not added: %s",
			 dst, r->prefix_len, gw,
			 err == -ENOSPC ? "the table is full"
					: "it exists already");
		dhcp_report(s, ifindex, STACK_DHCP_NOTE, d->client.state,
			    d->client.state, text);
	}
	memcpy(d->routes, kept, nkept * sizeof(*kept));
	d->nroutes = nkept;
}

/* DHCP_A_CONFIGURE: applies the lease where it differs from what is in
 * place. */
static void dhcp_if_configure(struct stack *s, uint64_t now, int ifindex)
{
	struct dhcp_if *d = s->dhcp[ifindex];
	const struct stack_if *ifp = &s->ifs[ifindex];
	const struct dhcp_lease *l = &d->client.lease;
	struct dhcp_route want[DHCP_ROUTES_MAX];
	char text[96], addr[16], server[16];
	uint8_t nwant;

	if (d->addr && d->addr != l->addr)
		/* A new address: the old one's routes go with it. */
		dhcp_if_set_routes(s, ifindex, want, 0);
	if (ifp->addr != l->addr || ifp->prefix_len != l->prefix_len)
		stack_if_set_address(s, now, ifindex, l->addr, l->prefix_len);
	d->addr = l->addr;
	nwant = dhcp_if_wanted_routes(d, l, want);
	dhcp_if_set_routes(s, ifindex, want, nwant);
	if (d->cfg.use_mtu && dhcp_has(&l->opt, DHCP_OPT_MTU)) {
		int mtu = stack_if_set_mtu(s, ifindex, l->opt.mtu);
		d->mtu_applied = mtu > 0 ? (uint32_t)mtu : 0;
	} else if (d->mtu_applied) {
		stack_if_set_mtu(s, ifindex, 0);
		d->mtu_applied = 0;
	}
	ip_text(addr, sizeof(addr), l->addr);
	ip_text(server, sizeof(server), l->server_id);
	snprintf(text, sizeof(text), "%s/%u from %s", addr, l->prefix_len,
		 server);
	dhcp_report(s, ifindex, STACK_DHCP_LEASE, d->client.state,
		    d->client.state, text);
}

/* DHCP_A_UNCONFIGURE: the lease is gone. */
static void dhcp_if_unconfigure(struct stack *s, uint64_t now, int ifindex,
				uint32_t addr)
{
	struct dhcp_if *d = s->dhcp[ifindex];
	char text[96], a[16];

	if (!addr)
		addr = d->addr;
	route_remove_kind(s, ifindex, STACK_ROUTE_DHCP);
	d->nroutes = 0;
	if (addr && s->ifs[ifindex].addr == addr)
		stack_if_set_address(s, now, ifindex, 0, 0);
	if (d->mtu_applied) {
		stack_if_set_mtu(s, ifindex, 0);
		d->mtu_applied = 0;
	}
	d->addr = 0;
	ip_text(a, sizeof(a), addr);
	snprintf(text, sizeof(text), "%s removed", a);
	dhcp_report(s, ifindex, STACK_DHCP_LOST, d->client.state,
		    d->client.state, text);
}

/* Carries out everything the client queued, then notes its deadline. */
static void dhcp_if_drain(struct stack *s, uint64_t now, int ifindex)
{
	struct dhcp_if *d = s->dhcp[ifindex];
	struct dhcp_action a;

	while (dhcp_client_pop(&d->client, &a)) {
		switch (a.type) {
		case DHCP_A_SEND:
			dhcp_if_send(s, now, ifindex, &a.out);
			break;
		case DHCP_A_ARP_PROBE:
			d->probe_addr = a.addr;
			arp_probe(s, ifindex, a.addr);
			break;
		case DHCP_A_CONFIGURE:
			dhcp_if_configure(s, now, ifindex);
			break;
		case DHCP_A_UNCONFIGURE:
			dhcp_if_unconfigure(s, now, ifindex, a.addr);
			break;
		case DHCP_A_STATE:
			dhcp_report(s, ifindex, STACK_DHCP_STATE, a.from, a.to,
				    NULL);
			break;
		case DHCP_A_NOTE:
			dhcp_report(s, ifindex, STACK_DHCP_NOTE,
				    d->client.state, d->client.state, a.text);
			break;
		}
	}
	stack_deadline_hint(s, dhcp_client_next_deadline(&d->client));
}

bool dhcp_if_udp_input(struct stack *s, uint64_t now, struct pkt *p)
{
	int ifindex = p->ifindex;
	struct dhcp_if *d = dhcp_if_get(s, ifindex);
	enum dhcp_parse_error err;
	struct dhcp_msg m;

	if (p->dport != DHCP_CLIENT_PORT || !d || !d->running)
		return false;
	COUNT(s, dhcp_rx);
	err = dhcp_msg_parse(p->data + UDP_HDR_LEN, p->len - UDP_HDR_LEN, &m);
	if (err != DHCP_OK) {
		if ((unsigned)err < DHCP_ERR_COUNT)
			s->counters[dhcp_drop_counter[err]]++;
		stack_drop(s, p);
		return true;
	}
	/* The server's MAC, for a unicast to it with no ARP (RELEASE):
	 * from its own reply, not a relay's, and from a frame's Ethernet
	 * header (a reassembled datagram has none before its IP header). */
	if (m.opt.server_id && p->saddr == m.opt.server_id &&
	    !(p->flags & PKT_F_REASSEMBLED) && p->l3_offset >= ETH_HDR_LEN) {
		memcpy(d->server_mac, p->buf + p->l3_offset - ETH_HDR_LEN + 6,
		       ETH_ADDR_LEN);
		d->server_addr = p->saddr;
		d->server_mac_known = true;
	}
	dhcp_client_input(&d->client, now, &m, p->saddr);
	stack_drop(s, p);
	dhcp_if_drain(s, now, ifindex);
	return true;
}

void dhcp_if_arp_input(struct stack *s, uint64_t now, int ifindex,
		       const struct arp_view *a)
{
	struct dhcp_if *d = dhcp_if_get(s, ifindex);
	uint32_t probing, conflict = 0;

	if (!d || !d->running ||
	    memcmp(a->sha, s->ifs[ifindex].mac, ETH_ADDR_LEN) == 0)
		return;
	probing = d->client.state == DHCP_S_CHECKING ? d->probe_addr : 0;
	if (probing &&
	    (a->spa == probing ||
	     (a->spa == 0 && a->tpa == probing && a->oper == ARP_OP_REQUEST)))
		conflict = probing; /* RFC 5227 2.1.1 */
	else if (d->addr && a->spa == d->addr)
		conflict = d->addr; /* RFC 5227 2.4 */
	if (!conflict)
		return;
	COUNT(s, arp_conflicts);
	dhcp_client_arp_conflict(&d->client, now, conflict);
	dhcp_if_drain(s, now, ifindex);
}

void dhcp_if_timer(struct stack *s, uint64_t now)
{
	for (int i = 0; i < s->nifs; i++) {
		struct dhcp_if *d = s->dhcp[i];
		if (!d || !d->running ||
		    dhcp_client_next_deadline(&d->client) > now)
			continue;
		dhcp_client_timer(&d->client, now);
		dhcp_if_drain(s, now, i);
	}
}

uint64_t dhcp_if_next_deadline(const struct stack *s)
{
	uint64_t t = STACK_NO_DEADLINE;

	for (int i = 0; i < s->nifs; i++) {
		const struct dhcp_if *d = s->dhcp[i];
		uint64_t dl;
		if (!d || !d->running)
			continue;
		dl = dhcp_client_next_deadline(&d->client);
		if (dl < t)
			t = dl;
	}
	return t;
}

int stack_dhcp_start(struct stack *s, uint64_t now, int ifindex,
		     const struct stack_dhcp_config *cfg)
{
	struct dhcp_client_config ccfg = {0};
	const struct stack_if *ifp;
	struct dhcp_if *d;

	if (ifindex < 0 || ifindex >= s->nifs)
		return -ENODEV;
	d = s->dhcp[ifindex];
	if (d && d->running)
		return -EALREADY;
	if (!d) {
		d = calloc(1, sizeof(*d));
		if (!d)
			return -ENOMEM;
		s->dhcp[ifindex] = d;
	} else {
		/* Started again: what the last lease applied (if it was
		 * not released) stays known, so that a lease like it
		 * changes nothing. */
		d->probe_addr = 0;
		if (d->nroutes && d->cfg.route_metric != cfg->route_metric) {
			/* Its routes come back with the new metric. */
			route_remove_kind(s, ifindex, STACK_ROUTE_DHCP);
			d->nroutes = 0;
		}
	}
	ifp = &s->ifs[ifindex];
	d->cfg = *cfg;
	memcpy(ccfg.mac, ifp->mac, ETH_ADDR_LEN);
	memcpy(ccfg.client_id, cfg->client_id, sizeof(ccfg.client_id));
	ccfg.client_id_len = cfg->client_id_len;
	memcpy(ccfg.hostname, cfg->hostname, sizeof(ccfg.hostname));
	ccfg.hostname[sizeof(ccfg.hostname) - 1] = '\0';
	/* The largest message we take (RFC 2132 9.10, 576 at least):
	 * what fits the link's MTU after the IP and UDP headers, so that
	 * no server fragments a reply (a fragment to an address not yet
	 * ours is not taken), and at most what we parse. */
	ccfg.max_msg_size =
	    (uint16_t)(ifp->link_mtu - IPV4_HDR_LEN - UDP_HDR_LEN < DHCP_MAX_LEN
			   ? ifp->link_mtu - IPV4_HDR_LEN - UDP_HDR_LEN
			   : DHCP_MAX_LEN);
	if (ccfg.max_msg_size < 576)
		ccfg.max_msg_size = 576;
	ccfg.arp_check = cfg->arp_check;
	dhcp_client_init(&d->client, &ccfg, rng_next(&s->rng));
	d->running = true;
	dhcp_client_start(&d->client, now, cfg->reboot_addr);
	dhcp_if_drain(s, now, ifindex);
	return 0;
}

void stack_dhcp_stop(struct stack *s, uint64_t now, int ifindex, bool release)
{
	struct dhcp_if *d = dhcp_if_get(s, ifindex);

	if (!d || !d->running)
		return;
	dhcp_client_stop(&d->client, now, release);
	dhcp_if_drain(s, now, ifindex);
	d->running = false;
}

/* From now until `s` seconds after start; UINT64_MAX for forever. */
static uint64_t dhcp_time_left(uint64_t now, uint64_t start, uint32_t secs)
{
	uint64_t at;

	if (secs == DHCP_INFINITE)
		return UINT64_MAX;
	at = start + (uint64_t)secs * STACK_NS_PER_SEC;
	return at > now ? at - now : 0;
}

int stack_dhcp_info(const struct stack *s, uint64_t now, int ifindex,
		    struct stack_dhcp_info *out)
{
	const struct dhcp_if *d;
	const struct dhcp_lease *l;

	if (ifindex < 0 || ifindex >= s->nifs)
		return -ENODEV;
	memset(out, 0, sizeof(*out));
	d = s->dhcp[ifindex];
	if (!d) {
		out->state = DHCP_S_STOPPED;
		return 0;
	}
	out->running = d->running;
	out->state = d->client.state;
	out->stats = d->client.stats;
	out->mtu_applied = d->mtu_applied;
	l = dhcp_client_lease(&d->client);
	if (l) {
		out->bound = true;
		out->lease = *l;
		out->t1_in_ns = dhcp_time_left(now, l->start_ns, l->t1_s);
		out->t2_in_ns = dhcp_time_left(now, l->start_ns, l->t2_s);
		out->expires_in_ns =
		    dhcp_time_left(now, l->start_ns, l->lease_s);
	}
	return 0;
}

bool stack_dhcp_pop_report(struct stack *s, struct stack_dhcp_report *r)
{
	if (s->dhcp_report_count == 0)
		return false;
	*r = s->dhcp_reports[s->dhcp_report_head];
	s->dhcp_report_head =
	    (s->dhcp_report_head + 1) % STACK_DHCP_REPORTS_MAX;
	s->dhcp_report_count--;
	return true;
}
