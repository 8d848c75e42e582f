/*
 * test_dhcp_if.c - the DHCP client inside the stack (dhcp_if.c)
 *
 * A scripted server: the test starts DHCP on stack A (no address), reads
 * the client's messages from stack_pop_tx(), and answers with OFFER /
 * ACK / NAK frames it builds here, fed through stack_input(). Frames
 * that are not DHCP go to B (a normal stack at 10.0.0.1, the server's
 * address) when a test needs TCP between them. The lease's effects
 * are read from the stack's inspection calls and its reports.
 */
#include "tcp_harness.h"

#define SEC	    1000000000ull
#define SERVER	    PEER_ADDR	/* 10.0.0.1 */
#define GW2	    0x0a0000feu /* 10.0.0.254 */
#define NET2	    0xc0a86400u /* 192.168.100.0/24 */
#define METRIC	    100u
#define LEASE_S	    1000u
#define OTHER_MAC_0 0x02

static const uint8_t OTHER_MAC[6] = {0x02, 0, 0, 0, 0, 0x77};

/* What the client sent: the fields a server looks at. */
struct req {
	uint8_t type;
	uint32_t xid;
	uint32_t ip_src, ip_dst;
	uint32_t ciaddr;
	uint32_t requested; /* option 50, 0: none */
	uint32_t server_id; /* option 54, 0: none */
	uint16_t max_msg;   /* option 57, 0: none */
	uint8_t eth_dst[6];
	uint8_t chaddr[6];
};

struct env {
	struct stack *a; /* runs DHCP */
	struct stack *b; /* the peer, or NULL */
	uint64_t now;
	int probes;	    /* ARP probes A sent */
	uint32_t probe_tpa; /* the last one's target */
	int other;	    /* non-DHCP frames seen (not probes) */
};

static void e_init(struct env *e, uint32_t mtu, bool peer)
{
	struct stack_limits lim;

	stack_limits_default(&lim);
	*e = (struct env){.now = T0};
	e->a = stack_new(&lim, 7);
	ck_assert_ptr_nonnull(e->a);
	ck_assert_int_eq(stack_if_add(e->a, "tap0", OUR_MAC, mtu), 0);
	if (peer)
		e->b = t_tcp_stack(PEER_MAC, PEER_ADDR, &lim);
}

static void e_free(struct env *e)
{
	stack_free(e->a);
	if (e->b)
		stack_free(e->b);
}

static void e_cfg(struct stack_dhcp_config *cfg, bool arp_check)
{
	*cfg = (struct stack_dhcp_config){
	    .arp_check = arp_check,
	    .use_routes = true,
	    .use_mtu = true,
	    .route_metric = METRIC,
	};
	strcpy(cfg->hostname, "utcpd");
}

/* Is f (data at the Ethernet header) a UDP datagram to port 67? Fills
 * *r from it. */
static bool parse_request(const struct pkt *f, struct req *r)
{
	const uint8_t *ip = f->data + ETH_HDR_LEN, *udp, *m, *o, *end;

	if (get_be16(f->data + 12) != ETHERTYPE_IPV4 || ip[9] != IPV4_PROTO_UDP)
		return false;
	udp = ip + (ip[0] & 15u) * 4u;
	if (get_be16(udp + 2) != DHCP_SERVER_PORT)
		return false;
	ck_assert_uint_eq(get_be16(udp), DHCP_CLIENT_PORT);
	m = udp + UDP_HDR_LEN;
	*r = (struct req){
	    .xid = get_be32(m + 4),
	    .ip_src = get_be32(ip + 12),
	    .ip_dst = get_be32(ip + 16),
	    .ciaddr = get_be32(m + 12),
	};
	memcpy(r->eth_dst, f->data, 6);
	ck_assert_uint_eq(m[0], 1); /* BOOTREQUEST */
	memcpy(r->chaddr, m + 28, 6);
	ck_assert_uint_eq(get_be32(m + DHCP_FIXED_LEN), DHCP_MAGIC);
	/* The UDP checksum is right (over the pseudo-header). */
	ck_assert_uint_eq(
	    csum_fold(csum_partial(
		udp, get_be16(udp + 4),
		csum_pseudo(r->ip_src, r->ip_dst, 17, get_be16(udp + 4)))),
	    0);
	o = m + DHCP_FIXED_LEN + 4;
	end = udp + get_be16(udp + 4);
	while (o < end && *o != DHCP_OPT_END) {
		if (*o == DHCP_OPT_PAD) {
			o++;
			continue;
		}
		if (o[0] == DHCP_OPT_MSG_TYPE)
			r->type = o[2];
		if (o[0] == DHCP_OPT_REQUESTED_ADDR)
			r->requested = get_be32(o + 2);
		if (o[0] == DHCP_OPT_SERVER_ID)
			r->server_id = get_be32(o + 2);
		if (o[0] == DHCP_OPT_MAX_MSG_SIZE)
			r->max_msg = get_be16(o + 2);
		o += 2 + o[1];
	}
	return true;
}

/* Hands a frame A sent to B (a copy), as a link would. */
static void to_peer(struct env *e, const struct pkt *f)
{
	struct pkt *g = stack_pkt_alloc(e->b, f->len);

	ck_assert_ptr_nonnull(g);
	memcpy(g->data, f->data, f->len);
	g->len = f->len;
	g->ifindex = 0;
	stack_input(e->b, e->now, g);
}

/* Moves B's frames to A. */
static void from_peer(struct env *e)
{
	struct pkt *f;

	while (e->b && (f = stack_pop_tx(e->b))) {
		struct pkt *g = stack_pkt_alloc(e->a, f->len);
		ck_assert_ptr_nonnull(g);
		memcpy(g->data, f->data, f->len);
		g->len = f->len;
		g->ifindex = 0;
		stack_pkt_free(e->b, f);
		stack_input(e->a, e->now, g);
	}
}

/*
 * Runs A until it sends a DHCP message (returned in *r) or time passes
 * `until`: A's other frames are counted (ARP probes apart) and passed
 * to B when there is one; timers run at each deadline. Returns false
 * at `until` with nothing sent.
 */
static bool e_next(struct env *e, uint64_t until, struct req *r)
{
	for (int i = 0; i < 100000; i++) {
		struct pkt *f = stack_pop_tx(e->a);
		uint64_t d;

		if (f) {
			bool dhcp = parse_request(f, r);
			if (!dhcp && get_be16(f->data + 12) == ETHERTYPE_ARP &&
			    get_be32(f->data + ETH_HDR_LEN + 14) == 0) {
				e->probes++;
				e->probe_tpa =
				    get_be32(f->data + ETH_HDR_LEN + 24);
			} else if (!dhcp) {
				e->other++;
				if (e->b)
					to_peer(e, f);
			}
			stack_pkt_free(e->a, f);
			from_peer(e);
			if (dhcp)
				return true;
			continue;
		}
		d = stack_next_deadline(e->a);
		if (e->b && stack_next_deadline(e->b) < d)
			d = stack_next_deadline(e->b);
		if (d > until) {
			if (e->now < until)
				e->now = until;
			return false;
		}
		if (d > e->now)
			e->now = d;
		stack_timer(e->a, e->now);
		if (e->b)
			stack_timer(e->b, e->now);
		from_peer(e);
	}
	ck_abort_msg("the client never stopped");
	return false;
}

/* Expects the next DHCP message, of `type`, within `window`. */
static void e_expect_in(struct env *e, uint8_t type, struct req *r,
			uint64_t window)
{
	ck_assert_msg(e_next(e, e->now + window, r), "no DHCP message");
	ck_assert_uint_eq(r->type, type);
	ck_assert(memcmp(r->chaddr, OUR_MAC, 6) == 0);
}

/* ... within a minute. */
static void e_expect(struct env *e, uint8_t type, struct req *r)
{
	e_expect_in(e, type, r, 60 * SEC);
}

/* Options of a reply under construction. */
struct opts {
	uint8_t b[1200];
	size_t n;
};

static void o_add(struct opts *o, uint8_t code, const void *v, size_t n)
{
	o->b[o->n++] = code;
	o->b[o->n++] = (uint8_t)n;
	if (n) /* an empty value may come as NULL */
		memcpy(o->b + o->n, v, n);
	o->n += n;
}

static void o_u32(struct opts *o, uint8_t code, uint32_t v)
{
	uint8_t b[4];
	put_be32(b, v);
	o_add(o, code, b, 4);
}

static void o_u16(struct opts *o, uint8_t code, uint16_t v)
{
	uint8_t b[2];
	put_be16(b, v);
	o_add(o, code, b, 2);
}

/* The usual options: server id, lease, mask /24. */
static void o_lease(struct opts *o, uint8_t type, uint32_t lease_s)
{
	o->n = 0;
	o_add(o, DHCP_OPT_MSG_TYPE, &type, 1);
	o_u32(o, DHCP_OPT_SERVER_ID, SERVER);
	o_u32(o, DHCP_OPT_LEASE_TIME, lease_s);
	o_u32(o, DHCP_OPT_SUBNET_MASK, 0xffffff00u);
}

/* Builds in *fp a BOOTREPLY from the server to ip_dst (broadcast or
 * unicast), for request r, with the options o (END added). */
static void e_reply_frame(struct tframe *fp, const struct req *r,
			  uint32_t yiaddr, uint32_t ip_dst,
			  const struct opts *o)
{
	uint8_t *u, *m;
	size_t len = DHCP_FIXED_LEN + 4 + o->n + 1;

	if (len < DHCP_MIN_LEN)
		len = DHCP_MIN_LEN;
	t_eth(fp, ip_dst == IPV4_BROADCAST ? BCAST_MAC : OUR_MAC, PEER_MAC,
	      ETHERTYPE_IPV4);
	t_ipv4(fp, SERVER, ip_dst, IPV4_PROTO_UDP, 1, 0, UDP_HDR_LEN + len);
	u = fp->b + fp->len;
	memset(u, 0, UDP_HDR_LEN + len);
	put_be16(u, DHCP_SERVER_PORT);
	put_be16(u + 2, DHCP_CLIENT_PORT);
	put_be16(u + 4, (uint16_t)(UDP_HDR_LEN + len));
	m = u + UDP_HDR_LEN;
	m[0] = 2;
	m[1] = 1;
	m[2] = 6;
	put_be32(m + 4, r->xid);
	put_be32(m + 16, yiaddr);
	put_be32(m + 20, SERVER);
	memcpy(m + 28, OUR_MAC, 6);
	put_be32(m + DHCP_FIXED_LEN, DHCP_MAGIC);
	memcpy(m + DHCP_FIXED_LEN + 4, o->b, o->n);
	m[DHCP_FIXED_LEN + 4 + o->n] = DHCP_OPT_END;
	put_be16(u + 6, csum_fold(csum_partial(
			    u, UDP_HDR_LEN + len,
			    csum_pseudo(SERVER, ip_dst, 17,
					(uint16_t)(UDP_HDR_LEN + len)))));
	fp->len += UDP_HDR_LEN + len;
}

/* Feeds A a BOOTREPLY from the server to ip_dst (broadcast or unicast),
 * for request r, with the options o (END added). */
static void e_reply(struct env *e, const struct req *r, uint32_t yiaddr,
		    uint32_t ip_dst, const struct opts *o)
{
	struct tframe f;

	e_reply_frame(&f, r, yiaddr, ip_dst, o);
	t_input(e->a, e->now, &f);
}

/* 121: 192.168.100.0/24 via GW2, and the default route via SERVER. */
static void o_classless(struct opts *o)
{
	const uint8_t v[] = {24, 192, 168, 100, 10, 0, 0, 254, 0, 10, 0, 0, 1};
	o_add(o, DHCP_OPT_CLASSLESS_ROUTES, v, sizeof(v));
}

static void e_start(struct env *e, bool arp_check)
{
	struct stack_dhcp_config cfg;

	e_cfg(&cfg, arp_check);
	ck_assert_int_eq(stack_dhcp_start(e->a, e->now, 0, &cfg), 0);
	ck_assert_int_eq(stack_dhcp_start(e->a, e->now, 0, &cfg), -EALREADY);
}

/* DISCOVER, OFFER (unicast to the offered address), REQUEST, ACK with
 * options `ack` (built by the caller after o_lease(ACK)). */
static void e_acquire(struct env *e, const struct opts *ack)
{
	struct req r;
	struct opts o;

	e_expect(e, DHCPDISCOVER, &r);
	o_lease(&o, DHCPOFFER, LEASE_S);
	e_reply(e, &r, OUR_ADDR, OUR_ADDR, &o);
	e_expect(e, DHCPREQUEST, &r);
	ck_assert_uint_eq(r.requested, OUR_ADDR);
	ck_assert_uint_eq(r.server_id, SERVER);
	e_reply(e, &r, OUR_ADDR, IPV4_BROADCAST, ack);
}

static enum dhcp_state e_state(struct env *e)
{
	struct stack_dhcp_info info;

	ck_assert_int_eq(stack_dhcp_info(e->a, e->now, 0, &info), 0);
	return info.state;
}

/* Runs A's timers until the client is in `st` (within `within`). */
static void e_until_state(struct env *e, enum dhcp_state st, uint64_t within)
{
	uint64_t until = e->now + within;
	struct req r;

	while (e_state(e) != st) {
		ck_assert_msg(e->now < until, "never reached %s",
			      dhcp_state_name(st));
		if (e_next(e, until, &r))
			continue;
	}
}

/* The DHCP routes in place, into r (at most max); returns how many. */
static size_t e_dhcp_routes(struct env *e, struct stack_route_info *r,
			    size_t max)
{
	struct stack_route_info all[16];
	size_t n = stack_route_snapshot(e->a, all, 16), k = 0;

	for (size_t i = 0; i < n && i < 16; i++)
		if (all[i].kind == STACK_ROUTE_DHCP && k < max)
			r[k++] = all[i];
	return k;
}

static bool has_route(const struct stack_route_info *r, size_t n, uint32_t dst,
		      uint8_t plen, uint32_t gw)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].dst == dst && r[i].prefix_len == plen &&
		    r[i].gateway == gw && r[i].metric == METRIC &&
		    r[i].ifindex == 0)
			return true;
	return false;
}

/* ---- acquisition ---- */

START_TEST(test_acquire_applies_address_121_routes_and_mtu)
{
	struct env e;
	struct opts o;
	struct stack_if_info ifi;
	struct stack_route_info r[8];
	struct stack_dhcp_info info;
	struct req disc;

	e_init(&e, 1500, false);
	e_start(&e, false);
	/* The DISCOVER: broadcast from 0.0.0.0 out of this interface,
	 * though there is no route at all. */
	e_expect(&e, DHCPDISCOVER, &disc);
	ck_assert(memcmp(disc.eth_dst, BCAST_MAC, 6) == 0);
	ck_assert_uint_eq(disc.ip_src, 0);
	ck_assert_uint_eq(disc.ip_dst, IPV4_BROADCAST);
	/* Replies fit the link unfragmented: 1500 - 20 - 8. */
	ck_assert_uint_eq(disc.max_msg, 1472);
	ck_assert_uint_eq(t_ctr(e.a, STACK_CTR_dhcp_tx), 1);
	{
		struct opts off;
		struct req r2;
		o_lease(&off, DHCPOFFER, LEASE_S);
		/* Unicast to the address offered, not yet ours. */
		e_reply(&e, &disc, OUR_ADDR, OUR_ADDR, &off);
		ck_assert_uint_eq(t_ctr(e.a, STACK_CTR_ip_rx_drop_not_for_us),
				  0);
		e_expect(&e, DHCPREQUEST, &r2);
		ck_assert_uint_eq(r2.ip_src, 0);
		ck_assert_uint_eq(r2.ip_dst, IPV4_BROADCAST);
		o_lease(&o, DHCPACK, LEASE_S);
		o_classless(&o);
		o_u32(&o, DHCP_OPT_ROUTERS, GW2); /* 121 replaces it */
		o_u16(&o, DHCP_OPT_MTU, 1400);
		e_reply(&e, &r2, OUR_ADDR, IPV4_BROADCAST, &o);
	}
	ck_assert_int_eq(e_state(&e), DHCP_S_BOUND);
	ck_assert_int_eq(stack_if_info(e.a, 0, &ifi), 0);
	ck_assert_uint_eq(ifi.addr, OUR_ADDR);
	ck_assert_uint_eq(ifi.prefix_len, 24);
	ck_assert_uint_eq(ifi.mtu, 1400);
	ck_assert_uint_eq(e_dhcp_routes(&e, r, 8), 2);
	ck_assert(has_route(r, 2, NET2, 24, GW2));
	ck_assert(has_route(r, 2, 0, 0, SERVER));
	ck_assert_int_eq(stack_dhcp_info(e.a, e.now, 0, &info), 0);
	ck_assert(info.running && info.bound);
	ck_assert_uint_eq(info.lease.addr, OUR_ADDR);
	ck_assert_uint_eq(info.mtu_applied, 1400);
	ck_assert_uint_eq(info.expires_in_ns, LEASE_S * SEC);
	ck_assert_uint_eq(info.t1_in_ns, LEASE_S / 2 * SEC);
	ck_assert_uint_eq(t_ctr(e.a, STACK_CTR_dhcp_rx), 2);
	/* The client's next event, T1, is the stack's deadline. */
	stack_timer(e.a, e.now);
	ck_assert_uint_eq(stack_next_deadline(e.a), e.now + LEASE_S / 2 * SEC);
	e_free(&e);
}
END_TEST

START_TEST(test_acquire_option_3_gives_default_route)
{
	struct env e;
	struct opts o;
	struct stack_route_info r[8];
	uint32_t nh, src;
	int ifindex;

	e_init(&e, 1500, false);
	e_start(&e, false);
	o_lease(&o, DHCPACK, LEASE_S);
	{
		uint8_t two[8];
		put_be32(two, GW2);
		put_be32(two + 4, SERVER);
		o_add(&o, DHCP_OPT_ROUTERS, two, 8); /* the first is used */
	}
	e_acquire(&e, &o);
	ck_assert_uint_eq(e_dhcp_routes(&e, r, 8), 1);
	ck_assert(has_route(r, 1, 0, 0, GW2));
	ck_assert_int_eq(ipv4_route(e.a, 0x08080808, &ifindex, &nh, &src), 0);
	ck_assert_uint_eq(nh, GW2);
	ck_assert_uint_eq(src, OUR_ADDR);
	e_free(&e);
}
END_TEST

static void mtu_case(uint32_t link, uint16_t opt, uint32_t want)
{
	struct env e;
	struct opts o;
	struct stack_if_info ifi;

	e_init(&e, link, false);
	e_start(&e, false);
	o_lease(&o, DHCPACK, LEASE_S);
	o_u16(&o, DHCP_OPT_MTU, opt);
	e_acquire(&e, &o);
	ck_assert_int_eq(stack_if_info(e.a, 0, &ifi), 0);
	ck_assert_uint_eq(ifi.mtu, want);
	e_free(&e);
}

START_TEST(test_mtu_clamped_to_link_and_576)
{
	mtu_case(1500, 9000, 1500);
	mtu_case(1500, 576, 576);
	mtu_case(1500, 575, 576);
	mtu_case(1500, 1499, 1499);
}
END_TEST

/* use_routes/use_mtu off: static settings win, nothing is applied. */
START_TEST(test_static_routes_and_mtu_win)
{
	struct env e;
	struct opts o;
	struct stack_dhcp_config cfg;
	struct stack_route_info r[8];
	struct stack_if_info ifi;

	e_init(&e, 1500, false);
	e_cfg(&cfg, false);
	cfg.use_routes = false;
	cfg.use_mtu = false;
	ck_assert_int_eq(stack_dhcp_start(e.a, e.now, 0, &cfg), 0);
	o_lease(&o, DHCPACK, LEASE_S);
	o_classless(&o);
	o_u16(&o, DHCP_OPT_MTU, 1000);
	e_acquire(&e, &o);
	ck_assert_uint_eq(e_dhcp_routes(&e, r, 8), 0);
	ck_assert_int_eq(stack_if_info(e.a, 0, &ifi), 0);
	ck_assert_uint_eq(ifi.addr, OUR_ADDR);
	ck_assert_uint_eq(ifi.mtu, 1500);
	e_free(&e);
}
END_TEST

/* ---- renewal and expiry ---- */

/* A bound A with a TCP connection to B; returns A's connection id. */
static int e_bound_with_conn(struct env *e, int *cb, const struct opts *ack)
{
	struct pair p;
	int ca, l;

	e_init(e, 1500, true);
	e_start(e, false);
	e_acquire(e, ack);
	ck_assert_int_eq(e_state(e), DHCP_S_BOUND);
	p = (struct pair){.a = e->a, .b = e->b, .now = e->now};
	t_exchange(&p); /* the gratuitous ARP */
	t_connect(&p, &ca, cb, &l);
	e->now = p.now;
	return ca;
}

START_TEST(test_renewal_same_lease_changes_nothing)
{
	struct env e;
	struct opts o;
	struct req r;
	struct stack_route_info before[8], after[8];
	struct stack_dhcp_report rep;
	struct pair p;
	uint64_t garp;
	int ca, cb;
	size_t n;

	o_lease(&o, DHCPACK, LEASE_S);
	o_classless(&o);
	o_u16(&o, DHCP_OPT_MTU, 1400);
	ca = e_bound_with_conn(&e, &cb, &o);
	n = stack_route_snapshot(e.a, before, 8);
	while (stack_dhcp_pop_report(e.a, &rep))
		;
	garp = t_ctr(e.a, STACK_CTR_arp_gratuitous_tx);
	/* T1: the REQUEST goes unicast to the server, from our address. */
	e_expect_in(&e, DHCPREQUEST, &r, LEASE_S * SEC);
	ck_assert_uint_eq(e_state(&e), DHCP_S_RENEWING);
	ck_assert_uint_eq(r.ip_dst, SERVER);
	ck_assert_uint_eq(r.ip_src, OUR_ADDR);
	ck_assert_uint_eq(r.ciaddr, OUR_ADDR);
	ck_assert(memcmp(r.eth_dst, PEER_MAC, 6) == 0);
	e_reply(&e, &r, OUR_ADDR, OUR_ADDR, &o);
	ck_assert_int_eq(e_state(&e), DHCP_S_BOUND);
	/* Nothing changed: routes, address, no announcement, the
	 * connection carries data. */
	ck_assert_uint_eq(stack_route_snapshot(e.a, after, 8), n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(before[i].dst, after[i].dst);
		ck_assert_uint_eq(before[i].prefix_len, after[i].prefix_len);
		ck_assert_uint_eq(before[i].gateway, after[i].gateway);
		ck_assert_uint_eq(before[i].metric, after[i].metric);
		ck_assert_int_eq(before[i].kind, after[i].kind);
	}
	ck_assert_uint_eq(t_ctr(e.a, STACK_CTR_arp_gratuitous_tx), garp);
	ck_assert_uint_eq(t_ctr(e.a, STACK_CTR_tcp_conns_addr_gone), 0);
	while (stack_dhcp_pop_report(e.a, &rep))
		ck_assert_int_ne(rep.kind, STACK_DHCP_LOST);
	p = (struct pair){.a = e.a, .b = e.b, .now = e.now};
	ck_assert_int_eq(t_state(e.a, ca), TCPS_ESTABLISHED);
	t_transfer(&p, e.a, ca, e.b, cb, 30000);
	e_free(&e);
}
END_TEST

/* A renewal whose routes differ changes only those. */
START_TEST(test_renewal_changes_only_what_differs)
{
	struct env e;
	struct opts o;
	struct req r;
	struct stack_route_info rt[8];
	struct stack_if_info ifi;
	int ca, cb;

	o_lease(&o, DHCPACK, LEASE_S);
	o_classless(&o);
	ca = e_bound_with_conn(&e, &cb, &o);
	e_expect_in(&e, DHCPREQUEST, &r, LEASE_S * SEC);
	o_lease(&o, DHCPACK, LEASE_S);
	o_u32(&o, DHCP_OPT_ROUTERS, GW2); /* no 121 now: 3 is used */
	o_u16(&o, DHCP_OPT_MTU, 1200);
	e_reply(&e, &r, OUR_ADDR, OUR_ADDR, &o);
	ck_assert_uint_eq(e_dhcp_routes(&e, rt, 8), 1);
	ck_assert(has_route(rt, 1, 0, 0, GW2));
	ck_assert_int_eq(stack_if_info(e.a, 0, &ifi), 0);
	ck_assert_uint_eq(ifi.mtu, 1200);
	ck_assert_uint_eq(ifi.addr, OUR_ADDR);
	ck_assert_int_eq(t_state(e.a, ca), TCPS_ESTABLISHED);
	e_free(&e);
}
END_TEST

START_TEST(test_expiry_removes_address_routes_and_fails_tcp)
{
	struct env e;
	struct opts o;
	struct req r;
	struct stack_route_info rt[8];
	struct stack_if_info ifi;
	struct stack_dhcp_report rep;
	bool lost = false;
	int ca, cb, err = 0, requests = 0;

	o_lease(&o, DHCPACK, 100);
	o_classless(&o);
	o_u16(&o, DHCP_OPT_MTU, 1400);
	ca = e_bound_with_conn(&e, &cb, &o);
	stack_free(e.b); /* the server and peer are gone */
	e.b = NULL;
	while (stack_dhcp_pop_report(e.a, &rep))
		;
	/* RENEWING, REBINDING: nobody answers until the lease ends. */
	{
		uint64_t until = e.now + 100 * SEC;
		while (e_next(&e, until, &r) && r.type == DHCPREQUEST)
			requests++;
	}
	ck_assert_int_ge(requests, 2);
	ck_assert_int_eq(stack_if_info(e.a, 0, &ifi), 0);
	ck_assert_uint_eq(ifi.addr, 0);
	ck_assert_uint_eq(ifi.mtu, 1500);
	ck_assert_uint_eq(e_dhcp_routes(&e, rt, 8), 0);
	ck_assert(t_event(e.a, STACK_EV_TCP_ERROR, ca, &err));
	ck_assert_int_eq(err, EADDRNOTAVAIL);
	while (stack_dhcp_pop_report(e.a, &rep))
		lost |= rep.kind == STACK_DHCP_LOST;
	ck_assert(lost);
	e_free(&e);
}
END_TEST

/* A NAK while renewing drops the address and starts over. */
START_TEST(test_nak_while_renewing_drops_address)
{
	struct env e;
	struct opts o;
	struct req r;
	struct stack_if_info ifi;
	int ca, cb, err = 0;
	uint8_t nak = DHCPNAK;

	o_lease(&o, DHCPACK, LEASE_S);
	ca = e_bound_with_conn(&e, &cb, &o);
	e_expect_in(&e, DHCPREQUEST, &r, LEASE_S * SEC);
	o.n = 0;
	o_add(&o, DHCP_OPT_MSG_TYPE, &nak, 1);
	o_u32(&o, DHCP_OPT_SERVER_ID, SERVER);
	e_reply(&e, &r, 0, OUR_ADDR, &o);
	ck_assert_int_eq(stack_if_info(e.a, 0, &ifi), 0);
	ck_assert_uint_eq(ifi.addr, 0);
	ck_assert(t_event(e.a, STACK_EV_TCP_ERROR, ca, &err));
	ck_assert_int_eq(err, EADDRNOTAVAIL);
	e_free(&e);
}
END_TEST

/* ---- ARP probes ---- */

/* Up to the probes of CHECKING. */
static void e_to_checking(struct env *e)
{
	struct opts o;

	e_init(e, 1500, false);
	e_start(e, true);
	o_lease(&o, DHCPACK, LEASE_S);
	e_acquire(e, &o);
	ck_assert_int_eq(e_state(e), DHCP_S_CHECKING);
}

START_TEST(test_probe_unanswered_binds)
{
	struct env e;
	struct stack_if_info ifi;

	e_to_checking(&e);
	e_until_state(&e, DHCP_S_BOUND, 10 * SEC);
	ck_assert_int_eq(e.probes, 3);
	ck_assert_uint_eq(e.probe_tpa, OUR_ADDR);
	ck_assert_uint_eq(t_ctr(e.a, STACK_CTR_arp_probes_tx), 3);
	ck_assert_int_eq(stack_if_info(e.a, 0, &ifi), 0);
	ck_assert_uint_eq(ifi.addr, OUR_ADDR);
	e_free(&e);
}
END_TEST

static void probe_conflict(bool reply)
{
	struct env e;
	struct tframe f;
	struct req r;
	struct stack_arp_info arp[4];
	struct stack_if_info ifi;
	static const uint8_t zero[6];

	e_to_checking(&e);
	ck_assert(!e_next(&e, e.now, &r)); /* the first probe */
	ck_assert_int_eq(e.probes, 1);
	if (reply) /* the holder answers the probe */
		t_arp_frame(&f, OUR_MAC, ARP_OP_REPLY, OTHER_MAC, OUR_ADDR,
			    OUR_MAC, 0);
	else /* another host probes for it too */
		t_arp_frame(&f, BCAST_MAC, ARP_OP_REQUEST, OTHER_MAC, 0, zero,
			    OUR_ADDR);
	t_input(e.a, e.now, &f);
	ck_assert_uint_eq(t_ctr(e.a, STACK_CTR_arp_conflicts), 1);
	/* DHCPDECLINE on the wire, broadcast, naming the address. */
	e_expect(&e, DHCPDECLINE, &r);
	ck_assert_uint_eq(r.requested, OUR_ADDR);
	ck_assert_uint_eq(r.server_id, SERVER);
	ck_assert_uint_eq(r.ip_dst, IPV4_BROADCAST);
	ck_assert_uint_eq(r.ip_src, 0);
	ck_assert_int_eq(e_state(&e), DHCP_S_INIT);
	ck_assert_int_eq(stack_if_info(e.a, 0, &ifi), 0);
	ck_assert_uint_eq(ifi.addr, 0);
	/* Nothing was learnt from it (and never 0.0.0.0). */
	ck_assert_uint_eq(stack_arp_snapshot(e.a, e.now, arp, 4), 0);
	e_free(&e);
}

START_TEST(test_probe_answered_declines)
{
	probe_conflict(true);
}
END_TEST

START_TEST(test_probe_from_another_declines)
{
	probe_conflict(false);
}
END_TEST

/* Our own probe echoed back, and another's ARP for other addresses,
 * are no conflict. */
START_TEST(test_probe_own_echo_is_no_conflict)
{
	struct env e;
	struct tframe f;
	static const uint8_t zero[6];

	e_to_checking(&e);
	t_arp_frame(&f, BCAST_MAC, ARP_OP_REQUEST, OUR_MAC, 0, zero, OUR_ADDR);
	t_input(e.a, e.now, &f);
	t_arp_frame(&f, BCAST_MAC, ARP_OP_REQUEST, OTHER_MAC, 0x0a000063u, zero,
		    0x0a000064u);
	t_input(e.a, e.now, &f);
	ck_assert_uint_eq(t_ctr(e.a, STACK_CTR_arp_conflicts), 0);
	e_until_state(&e, DHCP_S_BOUND, 10 * SEC);
	e_free(&e);
}
END_TEST

/* When bound, another claiming the address is logged; it stays ours. */
START_TEST(test_conflict_when_bound_keeps_address)
{
	struct env e;
	struct opts o;
	struct tframe f;
	struct stack_dhcp_report rep;
	struct stack_if_info ifi;
	bool noted = false;

	e_init(&e, 1500, false);
	e_start(&e, false);
	o_lease(&o, DHCPACK, LEASE_S);
	e_acquire(&e, &o);
	t_arp_frame(&f, BCAST_MAC, ARP_OP_REQUEST, OTHER_MAC, OUR_ADDR, OUR_MAC,
		    OUR_ADDR);
	t_input(e.a, e.now, &f);
	ck_assert_uint_eq(t_ctr(e.a, STACK_CTR_arp_conflicts), 1);
	while (stack_dhcp_pop_report(e.a, &rep))
		noted |= rep.kind == STACK_DHCP_NOTE &&
			 strstr(rep.text, "conflict") != NULL;
	ck_assert(noted);
	ck_assert_int_eq(stack_if_info(e.a, 0, &ifi), 0);
	ck_assert_uint_eq(ifi.addr, OUR_ADDR);
	e_free(&e);
}
END_TEST

/* ---- input ---- */

static void bad_message(size_t cut, int field, enum stack_counter ctr)
{
	struct env e;
	struct req r;
	struct tframe f;
	uint8_t msg[400];

	e_init(&e, 1500, false);
	e_start(&e, false);
	e_expect(&e, DHCPDISCOVER, &r);
	memset(msg, 0, sizeof(msg));
	msg[0] = 2;
	msg[1] = 1;
	msg[2] = 6;
	put_be32(msg + 4, r.xid);
	memcpy(msg + 28, OUR_MAC, 6);
	put_be32(msg + DHCP_FIXED_LEN, DHCP_MAGIC);
	msg[DHCP_FIXED_LEN + 4] = DHCP_OPT_MSG_TYPE;
	msg[DHCP_FIXED_LEN + 5] = 1;
	msg[DHCP_FIXED_LEN + 6] = DHCPOFFER;
	msg[DHCP_FIXED_LEN + 7] = DHCP_OPT_END;
	if (field == 1)
		put_be32(msg + DHCP_FIXED_LEN, 0x12345678u); /* magic */
	if (field == 3) /* runs into zeroes (PAD) with no END */
		memset(msg + DHCP_FIXED_LEN + 7, DHCP_OPT_PAD, 1);
	if (field == 2) /* no 53 */
		memset(msg + DHCP_FIXED_LEN + 4, DHCP_OPT_PAD, 3);
	t_udp_frame(&f, SERVER, DHCP_SERVER_PORT, IPV4_BROADCAST,
		    DHCP_CLIENT_PORT, msg, cut ? cut : sizeof(msg));
	memcpy(f.b, BCAST_MAC, 6);
	t_input(e.a, e.now, &f);
	ck_assert_uint_eq(t_ctr(e.a, ctr), 1);
	ck_assert_uint_eq(t_ctr(e.a, STACK_CTR_dhcp_rx), 1);
	/* Refused whole: still SELECTING, and no port unreachable. */
	ck_assert_int_eq(e_state(&e), DHCP_S_SELECTING);
	ck_assert_uint_eq(t_ctr(e.a, STACK_CTR_udp_rx_no_port), 0);
	ck_assert_ptr_null(stack_pop_tx(e.a));
	e_free(&e);
}

START_TEST(test_malformed_counted_by_reason)
{
	bad_message(100, 0, STACK_CTR_dhcp_rx_drop_short);
	bad_message(0, 1, STACK_CTR_dhcp_rx_drop_magic);
	bad_message(0, 2, STACK_CTR_dhcp_rx_drop_msg_type);
	bad_message(0, 3, STACK_CTR_dhcp_rx_drop_no_end);
}
END_TEST

/* Without an address, only DHCP's port is taken whatever the
 * destination: other unicast is still not for us. */
START_TEST(test_no_address_takes_only_port_68)
{
	struct env e;
	struct tframe f;
	int sock;

	e_init(&e, 1500, false);
	sock = udp_socket_open(e.a, 0, 5000, 0, 0);
	ck_assert_int_ge(sock, 0);
	e_start(&e, false);
	t_udp_frame(&f, SERVER, 7, OUR_ADDR, 5000, "x", 1);
	t_input(e.a, e.now, &f);
	ck_assert_uint_eq(t_ctr(e.a, STACK_CTR_ip_rx_drop_not_for_us), 1);
	e_free(&e);
}
END_TEST

/* ---- stop, RELEASE, reports ---- */

START_TEST(test_stop_with_release_unicasts_and_removes)
{
	struct env e;
	struct opts o;
	struct req r;
	struct stack_if_info ifi;
	struct stack_route_info rt[4];
	struct stack_dhcp_info info;

	e_init(&e, 1500, false);
	e_start(&e, false);
	o_lease(&o, DHCPACK, LEASE_S);
	o_classless(&o);
	e_acquire(&e, &o);
	t_drain(e.a);
	stack_dhcp_stop(e.a, e.now, 0, true);
	/* The RELEASE goes to the server's MAC at once: no ARP first. */
	ck_assert(e_next(&e, e.now, &r));
	ck_assert_uint_eq(r.type, DHCPRELEASE);
	ck_assert_uint_eq(r.ip_dst, SERVER);
	ck_assert_uint_eq(r.ip_src, OUR_ADDR);
	ck_assert(memcmp(r.eth_dst, PEER_MAC, 6) == 0);
	ck_assert_int_eq(stack_if_info(e.a, 0, &ifi), 0);
	ck_assert_uint_eq(ifi.addr, 0);
	ck_assert_uint_eq(e_dhcp_routes(&e, rt, 4), 0);
	ck_assert_int_eq(stack_dhcp_info(e.a, e.now, 0, &info), 0);
	ck_assert(!info.running);
	ck_assert_int_eq(info.state, DHCP_S_STOPPED);
	ck_assert_uint_eq(stack_next_deadline(e.a) == STACK_NO_DEADLINE ||
			      stack_next_deadline(e.a) > e.now,
			  1);
	/* Started again, it works again. */
	e_start(&e, false);
	e_expect(&e, DHCPDISCOVER, &r);
	e_free(&e);
}
END_TEST

/* A reply that came in fragments has no Ethernet header of its own (it
 * was joined into a new buffer): it does not teach the server's MAC, and
 * the RELEASE still goes to the server's real MAC. */
START_TEST(test_fragmented_reply_does_not_teach_the_server_mac)
{
	static struct tframe f, g;
	struct env e;
	struct opts o;
	struct req r;
	size_t ip = ETH_HDR_LEN, first = 256, payload;

	e_init(&e, 1500, false);
	e_start(&e, false);
	o_lease(&o, DHCPACK, LEASE_S);
	e_acquire(&e, &o);
	t_drain(e.a);
	/* T1: the ACK to the unicast REQUEST comes in two fragments. */
	e_expect_in(&e, DHCPREQUEST, &r, LEASE_S * SEC);
	ck_assert_uint_eq(e_state(&e), DHCP_S_RENEWING);
	ck_assert(memcmp(r.eth_dst, PEER_MAC, 6) == 0);
	e_reply_frame(&f, &r, OUR_ADDR, OUR_ADDR, &o);
	payload = f.len - ip - 20;
	t_eth(&g, OUR_MAC, PEER_MAC, ETHERTYPE_IPV4);
	t_ipv4(&g, SERVER, OUR_ADDR, IPV4_PROTO_UDP, 9, IPV4_FLAG_MF, first);
	memcpy(g.b + g.len, f.b + ip + 20, first);
	g.len += first;
	t_input(e.a, e.now, &g);
	ck_assert_int_eq(e_state(&e), DHCP_S_RENEWING);
	t_eth(&g, OUR_MAC, PEER_MAC, ETHERTYPE_IPV4);
	t_ipv4(&g, SERVER, OUR_ADDR, IPV4_PROTO_UDP, 9, (uint16_t)(first / 8),
	       payload - first);
	memcpy(g.b + g.len, f.b + ip + 20 + first, payload - first);
	g.len += payload - first;
	t_input(e.a, e.now, &g);
	ck_assert_uint_eq(t_ctr(e.a, STACK_CTR_frag_reassembled), 1);
	ck_assert_int_eq(e_state(&e), DHCP_S_BOUND);
	t_drain(e.a);
	stack_dhcp_stop(e.a, e.now, 0, true);
	ck_assert(e_next(&e, e.now, &r));
	ck_assert_uint_eq(r.type, DHCPRELEASE);
	ck_assert(memcmp(r.eth_dst, PEER_MAC, 6) == 0);
	e_free(&e);
}
END_TEST

START_TEST(test_reports_popped_in_order)
{
	struct env e;
	struct opts o;
	struct stack_dhcp_report rep;
	static const enum dhcp_state moves[][2] = {
	    {DHCP_S_STOPPED, DHCP_S_INIT},
	    {DHCP_S_INIT, DHCP_S_SELECTING},
	    {DHCP_S_SELECTING, DHCP_S_REQUESTING},
	};
	size_t i = 0;
	bool lease = false;

	e_init(&e, 1500, false);
	e_start(&e, false);
	o_lease(&o, DHCPACK, LEASE_S);
	e_acquire(&e, &o);
	while (stack_dhcp_pop_report(e.a, &rep)) {
		ck_assert_int_eq(rep.ifindex, 0);
		if (rep.kind == STACK_DHCP_STATE && i < 3) {
			ck_assert_int_eq(rep.from, moves[i][0]);
			ck_assert_int_eq(rep.to, moves[i][1]);
			i++;
		} else if (rep.kind == STACK_DHCP_LEASE) {
			ck_assert_uint_eq(i, 3); /* after REQUESTING */
			ck_assert_str_eq(rep.text, "10.0.0.2/24 from 10.0.0.1");
			lease = true;
		} else if (rep.kind == STACK_DHCP_STATE) {
			ck_assert(lease); /* -> BOUND follows the lease */
			ck_assert_int_eq(rep.to, DHCP_S_BOUND);
			i++;
		}
	}
	ck_assert_uint_eq(i, 4);
	ck_assert(lease);
	e_free(&e);
}
END_TEST

/* The ring holds STACK_DHCP_REPORTS_MAX; one more drops the oldest. */
START_TEST(test_reports_ring_drops_oldest_at_the_limit)
{
	struct env e;
	struct stack_dhcp_report rep;
	uint32_t per_cycle = 0, cycles, n = 0;
	struct stack_dhcp_config cfg;

	e_init(&e, 1500, false);
	e_cfg(&cfg, false);
	/* One start/stop cycle: how many reports it makes. */
	ck_assert_int_eq(stack_dhcp_start(e.a, e.now, 0, &cfg), 0);
	stack_dhcp_stop(e.a, e.now, 0, false);
	while (stack_dhcp_pop_report(e.a, &rep))
		per_cycle++;
	ck_assert_uint_ge(per_cycle, 2);
	/* Fill the ring exactly (whole cycles, then single starts). */
	cycles = STACK_DHCP_REPORTS_MAX / per_cycle;
	for (uint32_t i = 0; i < cycles; i++) {
		ck_assert_int_eq(stack_dhcp_start(e.a, e.now, 0, &cfg), 0);
		stack_dhcp_stop(e.a, e.now, 0, false);
	}
	/* per_cycle reports more than the ring holds beyond the fill. */
	ck_assert_int_eq(stack_dhcp_start(e.a, e.now, 0, &cfg), 0);
	stack_dhcp_stop(e.a, e.now, 0, false);
	{
		uint32_t total = (cycles + 1) * per_cycle;
		uint32_t dropped = total > STACK_DHCP_REPORTS_MAX
				       ? total - STACK_DHCP_REPORTS_MAX
				       : 0;
		ck_assert_uint_gt(dropped, 0);
		ck_assert_uint_eq(t_ctr(e.a, STACK_CTR_dhcp_reports_dropped),
				  dropped);
		while (stack_dhcp_pop_report(e.a, &rep))
			n++;
		ck_assert_uint_eq(n, STACK_DHCP_REPORTS_MAX);
	}
	e_free(&e);
}
END_TEST

START_TEST(test_start_on_missing_interface)
{
	struct env e;
	struct stack_dhcp_config cfg;
	struct stack_dhcp_info info;

	e_init(&e, 1500, false);
	e_cfg(&cfg, false);
	ck_assert_int_eq(stack_dhcp_start(e.a, e.now, 1, &cfg), -ENODEV);
	ck_assert_int_eq(stack_dhcp_info(e.a, e.now, 1, &info), -ENODEV);
	ck_assert_int_eq(stack_dhcp_info(e.a, e.now, 0, &info), 0);
	ck_assert(!info.running);
	ck_assert_int_eq(info.state, DHCP_S_STOPPED);
	stack_dhcp_stop(e.a, e.now, 0, true); /* not running: no-op */
	ck_assert_ptr_null(stack_pop_tx(e.a));
	e_free(&e);
}
END_TEST

/* DHCP on a second interface: its messages leave by it whatever the
 * routes say, and port 68 on the other (no DHCP) is a plain port. */
START_TEST(test_second_interface_uses_its_own_link)
{
	static const uint8_t MAC1[6] = {0x02, 0, 0, 0, 0, 0x12};
	struct stack_limits lim;
	struct stack_dhcp_config cfg;
	struct stack_dhcp_info info;
	struct udp_datagram dg;
	struct tframe f;
	struct pkt *p;
	struct stack *s;
	int sock;
	bool seen = false;

	stack_limits_default(&lim);
	s = stack_new(&lim, 3);
	ck_assert_int_eq(stack_if_add(s, "tap0", OUR_MAC, 1500), 0);
	ck_assert_int_eq(stack_if_add(s, "tap1", MAC1, 1500), 1);
	ck_assert_int_eq(stack_if_set_address(s, T0, 0, OUR_ADDR, 24), 0);
	ck_assert_int_eq(stack_route_add(s, 0, 0, PEER_ADDR, 0), 0);
	t_drain(s);
	sock = udp_socket_open(s, 0, DHCP_CLIENT_PORT, 0, 0);
	ck_assert_int_ge(sock, 0);
	e_cfg(&cfg, false);
	ck_assert_int_eq(stack_dhcp_start(s, T0, 1, &cfg), 0);
	stack_timer(s, stack_next_deadline(s));
	while ((p = stack_pop_tx(s))) {
		struct req r;
		if (parse_request(p, &r)) {
			ck_assert_uint_eq(p->ifindex, 1);
			ck_assert(memcmp(p->data + 6, MAC1, 6) == 0);
			ck_assert(memcmp(r.eth_dst, BCAST_MAC, 6) == 0);
			ck_assert(memcmp(r.chaddr, MAC1, 6) == 0);
			ck_assert_uint_eq(r.ip_src, 0);
			seen = true;
		}
		stack_pkt_free(s, p);
	}
	ck_assert(seen);
	ck_assert_int_eq(stack_dhcp_info(s, T0, 1, &info), 0);
	ck_assert(info.running);
	ck_assert_int_eq(stack_dhcp_info(s, T0, 0, &info), 0);
	ck_assert(!info.running);
	/* Port 68 on interface 0 reaches the socket. */
	t_udp_frame(&f, PEER_ADDR, DHCP_SERVER_PORT, OUR_ADDR, DHCP_CLIENT_PORT,
		    "hi", 2);
	t_input(s, T0, &f);
	ck_assert_int_eq(udp_peek(s, sock, &dg), 0);
	ck_assert_uint_eq(dg.len, 2);
	ck_assert_uint_eq(t_ctr(s, STACK_CTR_dhcp_rx), 0);
	stack_free(s);
}
END_TEST

/* Started again with another metric, the lease's routes take it. */
START_TEST(test_restart_with_new_metric_moves_routes)
{
	struct env e;
	struct opts o;
	struct stack_dhcp_config cfg;
	struct stack_route_info r[8];
	struct req q;

	e_init(&e, 1500, false);
	e_start(&e, false);
	o_lease(&o, DHCPACK, LEASE_S);
	o_classless(&o);
	e_acquire(&e, &o);
	stack_dhcp_stop(e.a, e.now, 0, false);
	ck_assert_uint_eq(e_dhcp_routes(&e, r, 8), 2); /* not released */
	e_cfg(&cfg, false);
	cfg.route_metric = METRIC + 1;
	ck_assert_int_eq(stack_dhcp_start(e.a, e.now, 0, &cfg), 0);
	ck_assert_uint_eq(e_dhcp_routes(&e, r, 8), 0);
	e_expect(&e, DHCPDISCOVER, &q);
	o_lease(&o, DHCPOFFER, LEASE_S);
	e_reply(&e, &q, OUR_ADDR, IPV4_BROADCAST, &o);
	e_expect(&e, DHCPREQUEST, &q);
	o_lease(&o, DHCPACK, LEASE_S);
	o_classless(&o);
	e_reply(&e, &q, OUR_ADDR, IPV4_BROADCAST, &o);
	ck_assert_uint_eq(e_dhcp_routes(&e, r, 8), 2);
	ck_assert_uint_eq(r[0].metric, METRIC + 1);
	ck_assert_uint_eq(r[1].metric, METRIC + 1);
	e_free(&e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dhcp_if");
	TCase *tc = tcase_create("dhcp_if");

	tcase_add_test(tc, test_acquire_applies_address_121_routes_and_mtu);
	tcase_add_test(tc, test_acquire_option_3_gives_default_route);
	tcase_add_test(tc, test_mtu_clamped_to_link_and_576);
	tcase_add_test(tc, test_static_routes_and_mtu_win);
	tcase_add_test(tc, test_renewal_same_lease_changes_nothing);
	tcase_add_test(tc, test_renewal_changes_only_what_differs);
	tcase_add_test(tc, test_expiry_removes_address_routes_and_fails_tcp);
	tcase_add_test(tc, test_nak_while_renewing_drops_address);
	tcase_add_test(tc, test_probe_unanswered_binds);
	tcase_add_test(tc, test_probe_answered_declines);
	tcase_add_test(tc, test_probe_from_another_declines);
	tcase_add_test(tc, test_probe_own_echo_is_no_conflict);
	tcase_add_test(tc, test_conflict_when_bound_keeps_address);
	tcase_add_test(tc, test_malformed_counted_by_reason);
	tcase_add_test(tc, test_no_address_takes_only_port_68);
	tcase_add_test(tc, test_stop_with_release_unicasts_and_removes);
	tcase_add_test(tc, test_fragmented_reply_does_not_teach_the_server_mac);
	tcase_add_test(tc, test_reports_popped_in_order);
	tcase_add_test(tc, test_reports_ring_drops_oldest_at_the_limit);
	tcase_add_test(tc, test_start_on_missing_interface);
	tcase_add_test(tc, test_second_interface_uses_its_own_link);
	tcase_add_test(tc, test_restart_with_new_metric_moves_routes);
	suite_add_tcase(s, tc);
	return t_run(s);
}
