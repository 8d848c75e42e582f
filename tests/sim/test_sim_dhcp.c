/*
 * test_sim_dhcp.c - the DHCP client of a real stack against a scripted
 * server over a simulated link, with loss
 *
 * The client is a stack with one interface and no address on which
 * stack_dhcp_start() runs. The server is a scripted node written here,
 * as small as a DHCP server can be: it answers ARP for its address,
 * OFFERs SRV_POOL_ADDR to a DISCOVER and ACKs a REQUEST for it (NAKs one
 * for anything else), and records every client message it hears (type,
 * time, whether it was broadcast, ciaddr, options 50 and 54), so that a
 * scenario can check the retransmission schedule, RENEWING's unicast
 * and REBINDING's broadcast. A scenario switches it deaf and back.
 * Replies are broadcast (the client sets no address before the ACK).
 */
#include "sim_test.h"

#include "dhcp_msg.h"

#define SRV_ADDR      0x0a000001u /* 10.0.0.1 */
#define SRV_POOL_ADDR 0x0a000032u /* 10.0.0.50 */
#define SRV_LOG_MAX   256

static const uint8_t CLIENT_MAC[6] = {0x02, 0, 0, 0, 0, 0x32};
static const uint8_t SRV_MAC[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* One client message as the server heard it. */
struct heard {
	uint64_t at;
	uint8_t type;
	bool ip_broadcast; /* sent to 255.255.255.255 */
	uint32_t ciaddr;
	uint32_t requested; /* option 50, 0 when absent */
	uint32_t server_id; /* option 54, 0 when absent */
};

struct server {
	struct sim_node *node;
	bool deaf;	  /* hears (and records) but never answers */
	uint32_t lease_s; /* option 51 */
	uint32_t t1_s;	  /* option 58, 0: not sent */
	uint32_t t2_s;	  /* option 59, 0: not sent */
	uint32_t nheard;
	struct heard heard[SRV_LOG_MAX];
};

/* ---- the wire, as the server writes and reads it ---- */

static uint16_t csum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Sends an Ethernet/IPv4/UDP frame from the server (UDP checksum 0:
 * none, RFC 768). */
static void srv_send_udp(struct sim *sim, struct server *srv,
			 const uint8_t *dst_mac, uint32_t dst, uint16_t sport,
			 uint16_t dport, const uint8_t *data, size_t len)
{
	uint8_t f[1600];
	uint8_t *ip = f + 14, *u = f + 34;

	ck_assert_uint_le(len, sizeof(f) - 42);
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, SRV_MAC, 6);
	put_be16(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put_be16(ip + 2, (uint16_t)(20 + 8 + len));
	ip[8] = 64;
	ip[9] = 17;
	put_be32(ip + 12, SRV_ADDR);
	put_be32(ip + 16, dst);
	put_be16(ip + 10, csum16(ip, 20, 0));
	put_be16(u, sport);
	put_be16(u + 2, dport);
	put_be16(u + 4, (uint16_t)(8 + len));
	put_be16(u + 6, 0);
	memcpy(u + 8, data, len);
	ck_assert_int_eq(sim_node_send(sim, srv->node, 0, f, 42 + len), 0);
}

/* Appends option code with len bytes of value at *o. */
static void opt(uint8_t **o, uint8_t code, const void *val, uint8_t len)
{
	(*o)[0] = code;
	(*o)[1] = len;
	memcpy(*o + 2, val, len);
	*o += 2 + len;
}

static void opt32(uint8_t **o, uint8_t code, uint32_t v)
{
	uint8_t b[4];

	put_be32(b, v);
	opt(o, code, b, 4);
}

/* Builds and sends an OFFER, ACK or NAK for the request `req`. */
static void srv_reply(struct sim *sim, struct server *srv, const uint8_t *req,
		      uint8_t type)
{
	uint8_t m[DHCP_MIN_LEN + 64];
	uint8_t *o = m + DHCP_FIXED_LEN + 4;

	memset(m, 0, sizeof(m));
	m[0] = 2; /* BOOTREPLY */
	m[1] = 1;
	m[2] = 6;
	memcpy(m + 4, req + 4, 4);    /* xid */
	memcpy(m + 10, req + 10, 2);  /* flags */
	memcpy(m + 28, req + 28, 16); /* chaddr */
	if (type != DHCPNAK) {
		put_be32(m + 16, SRV_POOL_ADDR); /* yiaddr */
		memcpy(m + 12, req + 12, 4);	 /* ciaddr echoed */
	}
	put_be32(m + DHCP_FIXED_LEN, DHCP_MAGIC);
	opt(&o, DHCP_OPT_MSG_TYPE, &type, 1);
	opt32(&o, DHCP_OPT_SERVER_ID, SRV_ADDR);
	if (type != DHCPNAK) {
		opt32(&o, DHCP_OPT_LEASE_TIME, srv->lease_s);
		if (srv->t1_s)
			opt32(&o, DHCP_OPT_T1, srv->t1_s);
		if (srv->t2_s)
			opt32(&o, DHCP_OPT_T2, srv->t2_s);
		opt32(&o, DHCP_OPT_SUBNET_MASK, 0xffffff00u);
		opt32(&o, DHCP_OPT_ROUTERS, SRV_ADDR);
	}
	*o++ = DHCP_OPT_END;
	srv_send_udp(sim, srv, BCAST, 0xffffffffu, DHCP_SERVER_PORT,
		     DHCP_CLIENT_PORT, m, DHCP_MIN_LEN);
}

/* Finds option code in a message's options; returns its value or NULL
 * (no overload: the client does not use it). */
static const uint8_t *find_opt(const uint8_t *m, size_t len, uint8_t code,
			       uint8_t *olen)
{
	size_t i = DHCP_FIXED_LEN + 4;

	while (i < len && m[i] != 255) {
		if (m[i] == 0) {
			i++;
			continue;
		}
		ck_assert_uint_lt(i + 1, len);
		ck_assert_uint_le(i + 2 + m[i + 1], len);
		if (m[i] == code) {
			*olen = m[i + 1];
			return m + i + 2;
		}
		i += 2 + m[i + 1];
	}
	return NULL;
}

static uint32_t opt_addr(const uint8_t *m, size_t len, uint8_t code)
{
	uint8_t n;
	const uint8_t *v = find_opt(m, len, code, &n);

	if (!v)
		return 0;
	ck_assert_uint_eq(n, 4);
	return get_be32(v);
}

/* Answers an ARP request for the server's address. */
static void srv_arp(struct sim *sim, struct server *srv, const uint8_t *f,
		    size_t len)
{
	uint8_t r[42];

	if (len < 42 || get_be16(f + 20) != 1 || get_be32(f + 38) != SRV_ADDR)
		return;
	memcpy(r, f + 6, 6);
	memcpy(r + 6, SRV_MAC, 6);
	put_be16(r + 12, 0x0806);
	memcpy(r + 14, f + 14, 6); /* htype, ptype, hlen, plen */
	put_be16(r + 20, 2);
	memcpy(r + 22, SRV_MAC, 6);
	put_be32(r + 28, SRV_ADDR);
	memcpy(r + 32, f + 22, 10); /* the asker's sha and spa */
	ck_assert_int_eq(sim_node_send(sim, srv->node, 0, r, sizeof(r)), 0);
}

static void srv_rx(struct sim *sim, struct sim_node *node, int port,
		   const uint8_t *f, size_t len, void *arg)
{
	struct server *srv = arg;
	const uint8_t *m;
	struct heard h = {.at = sim_now(sim)};
	uint8_t n;
	const uint8_t *t;
	size_t mlen;

	(void)node;
	(void)port;
	if (len >= 14 && get_be16(f + 12) == 0x0806) {
		srv_arp(sim, srv, f, len);
		return;
	}
	if (len < 42 || get_be16(f + 12) != 0x0800 || f[23] != 17 ||
	    get_be16(f + 36) != DHCP_SERVER_PORT)
		return;
	m = f + 42;
	mlen = len - 42;
	ck_assert_uint_ge(mlen, DHCP_FIXED_LEN + 4);
	ck_assert_uint_eq(m[0], 1); /* BOOTREQUEST */
	ck_assert_mem_eq(m + 28, CLIENT_MAC, 6);
	ck_assert_uint_eq(get_be32(m + DHCP_FIXED_LEN), DHCP_MAGIC);
	t = find_opt(m, mlen, DHCP_OPT_MSG_TYPE, &n);
	ck_assert_ptr_nonnull(t);
	h.type = t[0];
	h.ip_broadcast = get_be32(f + 30) == 0xffffffffu;
	h.ciaddr = get_be32(m + 12);
	h.requested = opt_addr(m, mlen, DHCP_OPT_REQUESTED_ADDR);
	h.server_id = opt_addr(m, mlen, DHCP_OPT_SERVER_ID);
	ck_assert_uint_lt(srv->nheard, SRV_LOG_MAX);
	srv->heard[srv->nheard++] = h;
	if (srv->deaf)
		return;
	if (h.type == DHCPDISCOVER) {
		srv_reply(sim, srv, m, DHCPOFFER);
	} else if (h.type == DHCPREQUEST) {
		uint32_t want = h.requested ? h.requested : h.ciaddr;
		if (h.server_id && h.server_id != SRV_ADDR)
			return; /* chose another server */
		srv_reply(sim, srv, m,
			  want == SRV_POOL_ADDR ? DHCPACK : DHCPNAK);
	}
}

/* ---- the scenario ---- */

struct world {
	struct sim *sim;
	struct sim_node *client;
	struct stack *s;
	struct sim_link *link;
	struct server srv;
};

static void world_setup(struct world *w, uint64_t seed, uint32_t loss_ppm,
			uint32_t lease_s)
{
	struct sim_config cfg = {.seed = seed};
	struct sim_link_params wire = {.delay_ns = SIM_MS(5),
				       .loss_ppm = loss_ppm};
	struct stack_limits lim;
	struct stack *s;

	memset(w, 0, sizeof(*w));
	w->sim = sim_new(&cfg);
	ck_assert_ptr_nonnull(w->sim);
	stack_limits_default(&lim);
	s = stack_new(&lim, seed * 7 + 1);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(stack_if_add(s, "eth0", CLIENT_MAC, MTU), 0);
	w->client = sim_add_stack(w->sim, "client", s, NULL, NULL);
	ck_assert_ptr_nonnull(w->client);
	w->s = s;
	w->srv.lease_s = lease_s;
	w->srv.node = sim_add_script(w->sim, "server", srv_rx, &w->srv);
	ck_assert_ptr_nonnull(w->srv.node);
	w->link = sim_link(w->sim, w->client, 0, w->srv.node, 0, &wire, NULL);
	ck_assert_ptr_nonnull(w->link);
}

static void world_start(struct world *w, uint32_t reboot_addr)
{
	struct stack_dhcp_config cfg = {
	    .arp_check = false,
	    .reboot_addr = reboot_addr,
	    .use_routes = true,
	    .use_mtu = true,
	};

	strcpy(cfg.hostname, "sim-client");
	ck_assert_int_eq(stack_dhcp_start(w->s, sim_now(w->sim), 0, &cfg), 0);
}

static void world_teardown(struct world *w)
{
	sim_free(w->sim);
}

static struct stack_dhcp_info info(struct world *w)
{
	struct stack_dhcp_info in;

	ck_assert_int_eq(stack_dhcp_info(w->s, sim_now(w->sim), 0, &in), 0);
	return in;
}

static uint32_t if_addr(struct world *w)
{
	struct stack_if_info ii;

	ck_assert_int_eq(stack_if_info(w->s, 0, &ii), 0);
	return ii.addr;
}

static bool not_bound(struct sim *sim, void *arg)
{
	struct world *w = arg;

	(void)sim;
	return info(w).state != DHCP_S_BOUND;
}

/* Runs until the client is BOUND; fails after `limit` ns. */
static void run_until_bound(struct world *w, uint64_t limit)
{
	ck_assert_int_eq(
	    sim_run_while(w->sim, not_bound, w, sim_now(w->sim) + limit), 0);
}

/* How many messages of `type` the server heard from index `from` on. */
static uint32_t heard_count(const struct server *srv, uint8_t type,
			    uint32_t from)
{
	uint32_t n = 0;

	for (uint32_t i = from; i < srv->nheard; i++)
		n += srv->heard[i].type == type;
	return n;
}

START_TEST(test_lease_acquired_despite_30_percent_loss)
{
	struct world w;
	struct stack_dhcp_info in;

	world_setup(&w, 101, SIM_PERCENT(30), 3600);
	/* The first DISCOVER is lost whatever the dice say. */
	ck_assert_int_eq(sim_link_drop_frame(w.link, SIM_AB, 1), 0);
	world_start(&w, 0);
	run_until_bound(&w, SIM_SEC(300));
	in = info(&w);
	ck_assert(in.bound);
	ck_assert_uint_eq(in.lease.addr, SRV_POOL_ADDR);
	ck_assert_uint_eq(in.lease.server_id, SRV_ADDR);
	ck_assert_uint_eq(if_addr(&w), SRV_POOL_ADDR);
	ck_assert_uint_ge(in.stats.retransmits, 1);
	ck_assert_uint_ge(heard_count(&w.srv, DHCPDISCOVER, 0), 1);
	world_teardown(&w);
}
END_TEST

START_TEST(test_discover_retransmissions_back_off_exponentially)
{
	struct world w;

	world_setup(&w, 102, 0, 3600);
	w.srv.deaf = true;
	world_start(&w, 0);
	sim_run_until(w.sim, sim_now(w.sim) + SIM_SEC(200));
	/* RFC 2131 4.1: 4, 8, 16, 32 s, then 64 s, each +-1 s. */
	ck_assert_uint_ge(w.srv.nheard, 5);
	for (uint32_t i = 1; i < w.srv.nheard; i++) {
		uint64_t want = SIM_SEC(i < 5 ? 2u << i : 64);
		uint64_t gap = w.srv.heard[i].at - w.srv.heard[i - 1].at;

		ck_assert_uint_eq(w.srv.heard[i].type, DHCPDISCOVER);
		ck_assert_uint_ge(gap, want - SIM_SEC(1));
		ck_assert_uint_le(gap, want + SIM_SEC(1));
	}
	/* Heard at last: the next DISCOVER gets its OFFER. */
	w.srv.deaf = false;
	run_until_bound(&w, SIM_SEC(70));
	ck_assert_uint_eq(if_addr(&w), SRV_POOL_ADDR);
	world_teardown(&w);
}
END_TEST

START_TEST(test_renew_unicast_at_t1_then_rebind_broadcast_at_t2)
{
	struct stack_dhcp_info in;
	struct world w;
	uint64_t start;
	uint32_t mark;

	world_setup(&w, 103, 0, 1000); /* T1 500 s, T2 875 s */
	world_start(&w, 0);
	run_until_bound(&w, SIM_SEC(60));
	start = info(&w).lease.start_ns;

	/* Nothing is sent before T1. */
	mark = w.srv.nheard;
	sim_run_until(w.sim, start + SIM_SEC(500) - SIM_MS(1));
	ck_assert_uint_eq(w.srv.nheard, mark);

	/* T1: one REQUEST unicast to the server, ciaddr set, neither
	 * option 50 nor 54 (RFC 2131 4.3.2); ACKed, the same address. */
	sim_run_until(w.sim, start + SIM_SEC(501));
	ck_assert_uint_eq(w.srv.nheard, mark + 1);
	ck_assert_uint_eq(w.srv.heard[mark].type, DHCPREQUEST);
	ck_assert(!w.srv.heard[mark].ip_broadcast);
	ck_assert_uint_eq(w.srv.heard[mark].ciaddr, SRV_POOL_ADDR);
	ck_assert_uint_eq(w.srv.heard[mark].requested, 0);
	ck_assert_uint_eq(w.srv.heard[mark].server_id, 0);
	ck_assert_uint_ge(w.srv.heard[mark].at, start + SIM_SEC(500));
	in = info(&w);
	ck_assert_int_eq(in.state, DHCP_S_BOUND);
	ck_assert_uint_gt(in.lease.start_ns, start);
	ck_assert_uint_eq(if_addr(&w), SRV_POOL_ADDR);

	/* The server goes deaf: RENEWING's requests stay unicast until
	 * T2, then REBINDING broadcasts. */
	start = in.lease.start_ns;
	w.srv.deaf = true;
	mark = w.srv.nheard;
	sim_run_until(w.sim, start + SIM_SEC(875) - SIM_MS(1));
	ck_assert_int_eq(info(&w).state, DHCP_S_RENEWING);
	ck_assert_uint_ge(w.srv.nheard, mark + 1);
	for (uint32_t i = mark; i < w.srv.nheard; i++) {
		ck_assert_uint_eq(w.srv.heard[i].type, DHCPREQUEST);
		ck_assert(!w.srv.heard[i].ip_broadcast);
	}
	ck_assert_uint_eq(if_addr(&w), SRV_POOL_ADDR);
	mark = w.srv.nheard;
	sim_run_until(w.sim, start + SIM_SEC(876));
	ck_assert_int_eq(info(&w).state, DHCP_S_REBINDING);
	ck_assert_uint_eq(w.srv.nheard, mark + 1);
	ck_assert_uint_eq(w.srv.heard[mark].type, DHCPREQUEST);
	ck_assert(w.srv.heard[mark].ip_broadcast);
	ck_assert_uint_eq(w.srv.heard[mark].ciaddr, SRV_POOL_ADDR);
	ck_assert_uint_eq(w.srv.heard[mark].server_id, 0);
	ck_assert_uint_eq(if_addr(&w), SRV_POOL_ADDR);

	/* Heard again: the next REBINDING request is ACKed. */
	w.srv.deaf = false;
	run_until_bound(&w, SIM_SEC(124));
	ck_assert_uint_eq(if_addr(&w), SRV_POOL_ADDR);
	ck_assert_uint_eq(heard_count(&w.srv, DHCPDISCOVER, 1), 0);
	world_teardown(&w);
}
END_TEST

START_TEST(test_expiry_removes_the_address_and_starts_over)
{
	struct stack_route_info routes[8];
	struct stack_dhcp_info in;
	struct world w;
	uint64_t start;
	size_t n;

	world_setup(&w, 104, 0, 100); /* T1 50 s, T2 87.5 s */
	world_start(&w, 0);
	run_until_bound(&w, SIM_SEC(60));
	start = info(&w).lease.start_ns;
	n = stack_route_snapshot(w.s, routes, 8);
	ck_assert_uint_ge(n, 2); /* connected, and the default via 3 */

	w.srv.deaf = true;
	sim_run_until(w.sim, start + SIM_SEC(100) - SIM_MS(1));
	ck_assert_int_eq(info(&w).state, DHCP_S_REBINDING);
	ck_assert_uint_eq(if_addr(&w), SRV_POOL_ADDR);

	sim_run_until(w.sim, start + SIM_SEC(100) + SIM_MS(1));
	in = info(&w);
	ck_assert(!in.bound);
	ck_assert_uint_eq(in.stats.expiries, 1);
	ck_assert(in.state == DHCP_S_INIT || in.state == DHCP_S_SELECTING);
	ck_assert_uint_eq(if_addr(&w), 0);
	ck_assert_uint_eq(stack_route_snapshot(w.s, routes, 8), 0);

	/* It starts over, and gets a lease when the server hears again. */
	w.srv.deaf = false;
	run_until_bound(&w, SIM_SEC(120));
	ck_assert_uint_eq(if_addr(&w), SRV_POOL_ADDR);
	world_teardown(&w);
}
END_TEST

START_TEST(test_init_reboot_requests_the_saved_address)
{
	struct world w;

	world_setup(&w, 105, 0, 3600);
	world_start(&w, SRV_POOL_ADDR);
	run_until_bound(&w, SIM_SEC(30));
	ck_assert_uint_eq(if_addr(&w), SRV_POOL_ADDR);
	/* RFC 2131 4.3.2 INIT-REBOOT: broadcast, option 50, no 54, no
	 * ciaddr, and no DISCOVER at all. */
	ck_assert_uint_ge(w.srv.nheard, 1);
	ck_assert_uint_eq(w.srv.heard[0].type, DHCPREQUEST);
	ck_assert(w.srv.heard[0].ip_broadcast);
	ck_assert_uint_eq(w.srv.heard[0].requested, SRV_POOL_ADDR);
	ck_assert_uint_eq(w.srv.heard[0].server_id, 0);
	ck_assert_uint_eq(w.srv.heard[0].ciaddr, 0);
	ck_assert_uint_eq(heard_count(&w.srv, DHCPDISCOVER, 0), 0);
	world_teardown(&w);
}
END_TEST

START_TEST(test_init_reboot_naked_starts_over)
{
	struct world w;

	world_setup(&w, 106, 0, 3600);
	world_start(&w, 0x0a000063u); /* 10.0.0.99: not the server's */
	run_until_bound(&w, SIM_SEC(60));
	ck_assert_uint_eq(if_addr(&w), SRV_POOL_ADDR);
	ck_assert_uint_eq(w.srv.heard[0].type, DHCPREQUEST);
	ck_assert_uint_eq(w.srv.heard[0].requested, 0x0a000063u);
	ck_assert_uint_ge(heard_count(&w.srv, DHCPDISCOVER, 1), 1);
	ck_assert_uint_eq(info(&w).stats.naks, 1);
	world_teardown(&w);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, test_lease_acquired_despite_30_percent_loss);
	tcase_add_test(tc,
		       test_discover_retransmissions_back_off_exponentially);
	tcase_add_test(tc,
		       test_renew_unicast_at_t1_then_rebind_broadcast_at_t2);
	tcase_add_test(tc, test_expiry_removes_the_address_and_starts_over);
	tcase_add_test(tc, test_init_reboot_requests_the_saved_address);
	tcase_add_test(tc, test_init_reboot_naked_starts_over);
}

int main(void)
{
	return sim_run_suite("sim_dhcp", add_tests);
}
