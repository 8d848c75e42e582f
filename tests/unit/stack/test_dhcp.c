/*
 * test_dhcp.c - the DHCP client state machine (stack/dhcp.c)
 *
 * The client is driven directly: replies are struct dhcp_msg values
 * built here (no codec), times are given, and every action it queues
 * is popped and checked - the messages field by field, the states
 * through their DHCP_A_STATE actions, the timers through
 * dhcp_client_next_deadline().
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"

#define SEC	  DHCP_SEC_NS
#define T0	  (1000 * SEC)
#define BCAST	  0xffffffffu
#define SERVER	  0x0a000001u /* 10.0.0.1 */
#define SERVER2	  0x0a0000feu /* 10.0.0.254 */
#define ADDR	  0x0a000032u /* 10.0.0.50 */
#define ADDR2	  0x0a000033u /* 10.0.0.51 */
#define MASK24	  0xffffff00u
#define ACTS_MAX  64
#define NO_OPTION 0xfffffffeu /* t_ack: leave the option out */

static const uint8_t MAC[6] = {0x02, 0, 0, 0, 0, 0x02};

struct acts {
	struct dhcp_action a[ACTS_MAX];
	int n;
};

static void t_client(struct dhcp_client *c, bool arp_check, uint64_t seed)
{
	struct dhcp_client_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	memcpy(cfg.mac, MAC, 6);
	strcpy(cfg.hostname, "utcpd");
	cfg.max_msg_size = 1500;
	cfg.arp_check = arp_check;
	dhcp_client_init(c, &cfg, seed);
}

/* Pops everything; the queue never overflows when popped after each
 * call. */
static void t_pop(struct dhcp_client *c, struct acts *q)
{
	q->n = 0;
	while (q->n < ACTS_MAX && dhcp_client_pop(c, &q->a[q->n]))
		q->n++;
	ck_assert_int_lt(q->n, ACTS_MAX);
	ck_assert_uint_eq(c->actions_dropped, 0);
	ck_assert_uint_eq(c->transitions_refused, 0);
}

static void t_state(const struct acts *q, int i, enum dhcp_state from,
		    enum dhcp_state to)
{
	ck_assert_int_lt(i, q->n);
	ck_assert_int_eq(q->a[i].type, DHCP_A_STATE);
	ck_assert_str_eq(dhcp_state_name(q->a[i].from), dhcp_state_name(from));
	ck_assert_str_eq(dhcp_state_name(q->a[i].to), dhcp_state_name(to));
}

static const struct dhcp_out *t_send(const struct acts *q, int i, uint8_t type)
{
	ck_assert_int_lt(i, q->n);
	ck_assert_int_eq(q->a[i].type, DHCP_A_SEND);
	ck_assert_int_eq(q->a[i].out.type, type);
	return &q->a[i].out;
}

static void t_type(const struct acts *q, int i, enum dhcp_action_type type)
{
	ck_assert_int_lt(i, q->n);
	ck_assert_int_eq(q->a[i].type, type);
}

static int t_count(const struct acts *q, enum dhcp_action_type type)
{
	int n = 0;
	for (int i = 0; i < q->n; i++)
		n += q->a[i].type == type;
	return n;
}

static void t_set(struct dhcp_options *o, uint8_t code)
{
	o->has[code / 32] |= 1u << (code % 32);
}

/* A reply of `type` to the client's current exchange. */
static void t_reply(struct dhcp_msg *m, const struct dhcp_client *c,
		    uint8_t type, uint32_t yiaddr, uint32_t server_id)
{
	memset(m, 0, sizeof(*m));
	m->op = 2;
	m->htype = 1;
	m->hlen = 6;
	m->xid = c->xid;
	m->yiaddr = yiaddr;
	memcpy(m->chaddr, MAC, 6);
	m->opt.msg_type = type;
	t_set(&m->opt, DHCP_OPT_MSG_TYPE);
	if (server_id != 0) {
		m->opt.server_id = server_id;
		t_set(&m->opt, DHCP_OPT_SERVER_ID);
	}
}

/* An ACK: lease/t1/t2/mask NO_OPTION leave the option out. */
static void t_ack(struct dhcp_msg *m, const struct dhcp_client *c,
		  uint32_t yiaddr, uint32_t server_id, uint32_t lease,
		  uint32_t t1, uint32_t t2, uint32_t mask)
{
	t_reply(m, c, DHCPACK, yiaddr, server_id);
	if (lease != NO_OPTION) {
		m->opt.lease_s = lease;
		t_set(&m->opt, DHCP_OPT_LEASE_TIME);
	}
	if (t1 != NO_OPTION) {
		m->opt.t1_s = t1;
		t_set(&m->opt, DHCP_OPT_T1);
	}
	if (t2 != NO_OPTION) {
		m->opt.t2_s = t2;
		t_set(&m->opt, DHCP_OPT_T2);
	}
	if (mask != NO_OPTION) {
		m->opt.subnet_mask = mask;
		t_set(&m->opt, DHCP_OPT_SUBNET_MASK);
	}
}

static void t_offer(struct dhcp_client *c, uint64_t now, uint32_t yiaddr,
		    uint32_t server_id)
{
	struct dhcp_msg m;
	t_reply(&m, c, DHCPOFFER, yiaddr, server_id);
	m.opt.lease_s = 3600;
	t_set(&m.opt, DHCP_OPT_LEASE_TIME);
	dhcp_client_input(c, now, &m, server_id);
}

/* Started, offered ADDR by SERVER at T0 + 1 s: REQUESTING. */
static void t_to_requesting(struct dhcp_client *c, bool arp_check)
{
	struct acts q;
	t_client(c, arp_check, 42);
	dhcp_client_start(c, T0, 0);
	t_offer(c, T0 + SEC, ADDR, SERVER);
	t_pop(c, &q);
	ck_assert_int_eq(c->state, DHCP_S_REQUESTING);
}

/* BOUND to ADDR/24 from SERVER with the given times, the REQUEST sent
 * at T0 + 1 s and the ACK at T0 + 2 s (no ARP check). */
static void t_to_bound(struct dhcp_client *c, uint32_t lease, uint32_t t1,
		       uint32_t t2)
{
	struct dhcp_msg m;
	struct acts q;
	t_to_requesting(c, false);
	t_ack(&m, c, ADDR, SERVER, lease, t1, t2, MASK24);
	dhcp_client_input(c, T0 + 2 * SEC, &m, SERVER);
	t_pop(c, &q);
	ck_assert_int_eq(c->state, DHCP_S_BOUND);
}

/* The fields every DISCOVER/REQUEST carries the same way. */
static void t_query_common(const struct dhcp_out *o, uint32_t xid)
{
	ck_assert_uint_eq(o->xid, xid);
	ck_assert_mem_eq(o->chaddr, MAC, 6);
	ck_assert_uint_eq(o->client_id_len, 7);
	ck_assert_uint_eq(o->client_id[0], 1);
	ck_assert_mem_eq(o->client_id + 1, MAC, 6);
	ck_assert_str_eq(o->hostname, "utcpd");
	ck_assert_uint_eq(o->max_msg_size, 1500);
	ck_assert(o->param_list);
	ck_assert_str_eq(o->message, "");
}

/* ---- the table ------------------------------------------------------ */

START_TEST(test_transition_table_allows_exactly_the_rfc_moves)
{
	enum {
		S = DHCP_S_STOPPED,
		I = DHCP_S_INIT,
		SEL = DHCP_S_SELECTING,
		REQ = DHCP_S_REQUESTING,
		CHK = DHCP_S_CHECKING,
		B = DHCP_S_BOUND,
		REN = DHCP_S_RENEWING,
		REB = DHCP_S_REBINDING,
		IR = DHCP_S_INIT_REBOOT,
		RBT = DHCP_S_REBOOTING
	};
	static const int allowed[][2] = {
	    {S, I},	{S, IR},  {I, SEL}, {I, S},   {SEL, REQ}, {SEL, S},
	    {REQ, CHK}, {REQ, B}, {REQ, I}, {REQ, S}, {CHK, B},	  {CHK, I},
	    {CHK, S},	{B, REN}, {B, S},   {REN, B}, {REN, REB}, {REN, I},
	    {REN, S},	{REB, B}, {REB, I}, {REB, S}, {IR, RBT},  {IR, S},
	    {RBT, B},	{RBT, I}, {RBT, S},
	};
	int nallowed = 0;

	for (int from = 0; from < DHCP_S_COUNT; from++) {
		for (int to = 0; to < DHCP_S_COUNT; to++) {
			struct dhcp_client c;
			struct acts q;
			bool want = false;
			for (size_t k = 0;
			     k < sizeof(allowed) / sizeof(allowed[0]); k++)
				want |= allowed[k][0] == from &&
					allowed[k][1] == to;
			nallowed += want;
			ck_assert_int_eq(
			    dhcp_transition_allowed((enum dhcp_state)from,
						    (enum dhcp_state)to),
			    want);

			/* The function itself, from a client put there. */
			t_client(&c, false, 7);
			c.state = (enum dhcp_state)from;
			c.lease.addr = ADDR;
			c.lease.server_id = SERVER;
			c.lease.start_ns = T0;
			c.lease.lease_s = 3600;
			c.lease.t1_s = 1800;
			c.lease.t2_s = 3150;
			c.offer = c.lease;
			c.reboot_addr = ADDR;
			int rc = dhcp_client_transition(&c, T0 + SEC,
							(enum dhcp_state)to);
			if (!want) {
				ck_assert_int_eq(rc, -EPERM);
				ck_assert_int_eq(c.state, from);
				ck_assert_uint_eq(c.transitions_refused, 1);
				ck_assert(dhcp_client_pop(&c, &q.a[0]));
				ck_assert_int_eq(q.a[0].type, DHCP_A_NOTE);
				ck_assert_ptr_nonnull(
				    strstr(q.a[0].text, "refused transition"));
				ck_assert(!dhcp_client_pop(&c, &q.a[0]));
				continue;
			}
			ck_assert_int_eq(rc, 0);
			t_pop(&c, &q);
			t_state(&q, 0, (enum dhcp_state)from,
				(enum dhcp_state)to);
			/* INIT (no wait) and INIT-REBOOT pass straight on. */
			if (to == DHCP_S_INIT)
				ck_assert_int_eq(c.state, DHCP_S_SELECTING);
			else if (to == DHCP_S_INIT_REBOOT)
				ck_assert_int_eq(c.state, DHCP_S_REBOOTING);
			else
				ck_assert_int_eq(c.state, to);
		}
	}
	ck_assert_int_eq(nallowed, 27);
	ck_assert(!dhcp_transition_allowed(DHCP_S_COUNT, DHCP_S_INIT));
	ck_assert(!dhcp_transition_allowed(DHCP_S_STOPPED, DHCP_S_COUNT));
	ck_assert_str_eq(dhcp_state_name(DHCP_S_INIT_REBOOT), "INIT-REBOOT");
	ck_assert_str_eq(dhcp_state_name(DHCP_S_COUNT), "?");
}
END_TEST

/* ---- the whole acquisition ------------------------------------------ */

START_TEST(test_discover_offer_request_ack_checking_bound)
{
	struct dhcp_client c;
	struct dhcp_msg m;
	struct acts q;
	const struct dhcp_out *o;
	const struct dhcp_lease *l;

	t_client(&c, true, 42);
	ck_assert_int_eq(c.state, DHCP_S_STOPPED);
	ck_assert_uint_eq(dhcp_client_next_deadline(&c), UINT64_MAX);
	ck_assert_ptr_null(dhcp_client_lease(&c));

	/* No initial wait: the DISCOVER goes at once. */
	dhcp_client_start(&c, T0, 0);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 3);
	t_state(&q, 0, DHCP_S_STOPPED, DHCP_S_INIT);
	t_state(&q, 1, DHCP_S_INIT, DHCP_S_SELECTING);
	o = t_send(&q, 2, DHCPDISCOVER);
	uint32_t xid = o->xid;
	t_query_common(o, c.xid);
	ck_assert_uint_eq(o->secs, 0);
	ck_assert(o->broadcast);
	ck_assert_uint_eq(o->ciaddr, 0);
	ck_assert_uint_eq(o->requested_addr, 0);
	ck_assert_uint_eq(o->server_id, 0);
	ck_assert_uint_eq(o->dst, BCAST);
	ck_assert_uint_eq(o->src, 0);

	/* The OFFER 3.5 s later: the REQUEST keeps its xid, secs 3. */
	t_offer(&c, T0 + 3500000000ull, ADDR, SERVER);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 2);
	t_state(&q, 0, DHCP_S_SELECTING, DHCP_S_REQUESTING);
	o = t_send(&q, 1, DHCPREQUEST);
	t_query_common(o, xid);
	ck_assert_uint_eq(o->secs, 3);
	ck_assert(o->broadcast);
	ck_assert_uint_eq(o->ciaddr, 0);
	ck_assert_uint_eq(o->requested_addr, ADDR);
	ck_assert_uint_eq(o->server_id, SERVER);
	ck_assert_uint_eq(o->dst, BCAST);
	ck_assert_uint_eq(o->src, 0);

	/* The ACK: CHECKING, the first probe at once. */
	t_ack(&m, &c, ADDR, SERVER, 3600, NO_OPTION, NO_OPTION, MASK24);
	uint64_t t = T0 + 4 * SEC;
	dhcp_client_input(&c, t, &m, SERVER);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 2);
	t_state(&q, 0, DHCP_S_REQUESTING, DHCP_S_CHECKING);
	t_type(&q, 1, DHCP_A_ARP_PROBE);
	ck_assert_uint_eq(q.a[1].addr, ADDR);
	ck_assert_ptr_null(dhcp_client_lease(&c));

	/* Two more probes 1..2 s apart, then 2 s, then BOUND. */
	for (int probe = 2; probe <= DHCP_PROBE_NUM; probe++) {
		uint64_t d = dhcp_client_next_deadline(&c);
		ck_assert_uint_ge(d, t + DHCP_PROBE_MIN_NS);
		ck_assert_uint_le(d, t + DHCP_PROBE_MAX_NS);
		dhcp_client_timer(&c, d - 1);
		t_pop(&c, &q);
		ck_assert_int_eq(q.n, 0);
		t = d;
		dhcp_client_timer(&c, t);
		t_pop(&c, &q);
		ck_assert_int_eq(q.n, 1);
		t_type(&q, 0, DHCP_A_ARP_PROBE);
		ck_assert_uint_eq(q.a[0].addr, ADDR);
	}
	ck_assert_uint_eq(dhcp_client_next_deadline(&c),
			  t + DHCP_ANNOUNCE_WAIT_NS);
	t += DHCP_ANNOUNCE_WAIT_NS;
	dhcp_client_timer(&c, t);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 2);
	t_type(&q, 0, DHCP_A_CONFIGURE);
	t_state(&q, 1, DHCP_S_CHECKING, DHCP_S_BOUND);
	/* The probing took 4..6 s. */
	ck_assert_uint_ge(t, T0 + 4 * SEC + 4 * SEC);
	ck_assert_uint_le(t, T0 + 4 * SEC + 6 * SEC);

	l = dhcp_client_lease(&c);
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(l->addr, ADDR);
	ck_assert_uint_eq(l->prefix_len, 24);
	ck_assert_uint_eq(l->server_id, SERVER);
	ck_assert_uint_eq(l->lease_s, 3600);
	ck_assert_uint_eq(l->t1_s, 1800);
	ck_assert_uint_eq(l->t2_s, 3150);
	/* The lease counts from the REQUEST, not the ACK or the probes. */
	ck_assert_uint_eq(l->start_ns, T0 + 3500000000ull);
	ck_assert_uint_eq(dhcp_client_next_deadline(&c),
			  T0 + 3500000000ull + 1800 * SEC);
	ck_assert_uint_eq(c.stats.tx[DHCPDISCOVER], 1);
	ck_assert_uint_eq(c.stats.tx[DHCPREQUEST], 1);
	ck_assert_uint_eq(c.stats.rx[DHCPOFFER], 1);
	ck_assert_uint_eq(c.stats.rx[DHCPACK], 1);
	ck_assert_uint_eq(c.stats.rx_ignored, 0);
	ck_assert_uint_eq(c.stats.corrections, 0);
}
END_TEST

START_TEST(test_ack_without_arp_check_binds_at_once)
{
	struct dhcp_client c;
	struct dhcp_msg m;
	struct acts q;

	t_to_requesting(&c, false);
	t_ack(&m, &c, ADDR, SERVER, 3600, NO_OPTION, NO_OPTION, MASK24);
	dhcp_client_input(&c, T0 + 2 * SEC, &m, SERVER);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 2);
	t_type(&q, 0, DHCP_A_CONFIGURE);
	t_state(&q, 1, DHCP_S_REQUESTING, DHCP_S_BOUND);
	ck_assert_int_eq(t_count(&q, DHCP_A_ARP_PROBE), 0);
	ck_assert_uint_eq(dhcp_client_lease(&c)->start_ns, T0 + SEC);
}
END_TEST

START_TEST(test_configured_client_id_and_no_hostname_or_size)
{
	struct dhcp_client c;
	struct dhcp_client_config cfg;
	struct acts q;
	const struct dhcp_out *o;

	memset(&cfg, 0, sizeof(cfg));
	memcpy(cfg.mac, MAC, 6);
	cfg.client_id[0] = 0xff;
	cfg.client_id[1] = 0x12;
	cfg.client_id[2] = 0x34;
	cfg.client_id_len = 3;
	dhcp_client_init(&c, &cfg, 1);
	dhcp_client_start(&c, T0, 0);
	t_pop(&c, &q);
	o = t_send(&q, 2, DHCPDISCOVER);
	ck_assert_uint_eq(o->client_id_len, 3);
	ck_assert_uint_eq(o->client_id[0], 0xff);
	ck_assert_uint_eq(o->client_id[2], 0x34);
	ck_assert_str_eq(o->hostname, "");
	ck_assert_uint_eq(o->max_msg_size, 0);
	ck_assert(o->param_list);
}
END_TEST

/* ---- retransmission --------------------------------------------------- */

START_TEST(test_discover_retransmits_4_8_16_32_64_with_jitter)
{
	static const uint64_t base[] = {4, 8, 16, 32, 64, 64, 64, 64};
	uint64_t lo = UINT64_MAX, hi = 0;

	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct dhcp_client c;
		struct acts q;
		uint64_t t = T0;

		t_client(&c, false, seed);
		dhcp_client_start(&c, T0, 0);
		t_pop(&c, &q);
		uint32_t xid = c.xid;
		for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
			uint64_t d = dhcp_client_next_deadline(&c);
			uint64_t wait = d - t;
			ck_assert_uint_ge(wait, base[i] * SEC - DHCP_JITTER_NS);
			ck_assert_uint_le(wait, base[i] * SEC + DHCP_JITTER_NS);
			/* off: where in the +-1 s window it fell, 0..2 s */
			uint64_t off = wait - (base[i] * SEC - DHCP_JITTER_NS);
			lo = off < lo ? off : lo;
			hi = off > hi ? off : hi;
			dhcp_client_timer(&c, d - 1);
			t_pop(&c, &q);
			ck_assert_int_eq(q.n, 0);
			t = d;
			dhcp_client_timer(&c, t);
			t_pop(&c, &q);
			ck_assert_int_eq(q.n, 1);
			const struct dhcp_out *o = t_send(&q, 0, DHCPDISCOVER);
			/* Same exchange: same xid, secs counting. */
			ck_assert_uint_eq(o->xid, xid);
			ck_assert_uint_eq(o->secs, (t - T0) / SEC);
			ck_assert_uint_eq(c.stats.retransmits, i + 1);
		}
		ck_assert_int_eq(c.state, DHCP_S_SELECTING);
	}
	/* The jitter spreads over (nearly) the whole +-1 s. */
	ck_assert_uint_lt(lo, SEC / 4);
	ck_assert_uint_gt(hi, 2 * SEC - SEC / 4);
}
END_TEST

START_TEST(test_secs_is_capped_at_65535)
{
	struct dhcp_client c;
	struct acts q;
	uint64_t t = T0;

	t_client(&c, false, 3);
	dhcp_client_start(&c, T0, 0);
	while (t < T0 + 70000 * SEC) {
		t = dhcp_client_next_deadline(&c);
		dhcp_client_timer(&c, t);
		t_pop(&c, &q);
	}
	ck_assert_uint_eq(t_send(&q, 0, DHCPDISCOVER)->secs, 65535);
}
END_TEST

START_TEST(test_requesting_gives_up_after_four_requests)
{
	static const uint64_t base[] = {4, 8, 16};
	struct dhcp_client c;
	struct acts q;
	uint64_t t = T0 + SEC;

	t_to_requesting(&c, false);
	uint32_t xid = c.xid;
	for (size_t i = 0; i < 3; i++) {
		uint64_t d = dhcp_client_next_deadline(&c);
		ck_assert_uint_ge(d - t, base[i] * SEC - DHCP_JITTER_NS);
		ck_assert_uint_le(d - t, base[i] * SEC + DHCP_JITTER_NS);
		t = d;
		dhcp_client_timer(&c, t);
		t_pop(&c, &q);
		ck_assert_int_eq(q.n, 1);
		const struct dhcp_out *o = t_send(&q, 0, DHCPREQUEST);
		ck_assert_uint_eq(o->xid, xid);
		ck_assert_uint_eq(o->requested_addr, ADDR);
		ck_assert_uint_eq(o->server_id, SERVER);
	}
	ck_assert_uint_eq(c.stats.tx[DHCPREQUEST], DHCP_REQUEST_TRIES_MAX);
	/* The fourth's wait (32 +- 1 s) ends: INIT, a new DISCOVER. */
	uint64_t d = dhcp_client_next_deadline(&c);
	ck_assert_uint_ge(d - t, 31 * SEC);
	ck_assert_uint_le(d - t, 33 * SEC);
	dhcp_client_timer(&c, d);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 4);
	t_type(&q, 0, DHCP_A_NOTE);
	t_state(&q, 1, DHCP_S_REQUESTING, DHCP_S_INIT);
	t_state(&q, 2, DHCP_S_INIT, DHCP_S_SELECTING);
	const struct dhcp_out *o = t_send(&q, 3, DHCPDISCOVER);
	ck_assert_uint_ne(o->xid, xid);
	ck_assert_uint_eq(o->secs, 0);
	ck_assert_uint_eq(c.stats.tx[DHCPREQUEST], DHCP_REQUEST_TRIES_MAX);
}
END_TEST

/* ---- renewing, rebinding, expiry ------------------------------------ */

START_TEST(test_t1_renews_unicast_to_the_server)
{
	struct dhcp_client c;
	struct acts q;
	uint64_t start = T0 + SEC;

	t_to_bound(&c, 7200, NO_OPTION, NO_OPTION); /* T1 3600, T2 6300 */
	uint32_t old_xid = c.xid;
	uint64_t t1 = start + 3600 * SEC, t2 = start + 6300 * SEC;
	ck_assert_uint_eq(dhcp_client_next_deadline(&c), t1);
	dhcp_client_timer(&c, t1 - 1);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 0);

	dhcp_client_timer(&c, t1);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 2);
	t_state(&q, 0, DHCP_S_BOUND, DHCP_S_RENEWING);
	const struct dhcp_out *o = t_send(&q, 1, DHCPREQUEST);
	uint32_t xid = o->xid;
	ck_assert_uint_ne(xid, old_xid);
	t_query_common(o, c.xid);
	ck_assert_uint_eq(o->secs, 0);
	ck_assert(!o->broadcast);
	ck_assert_uint_eq(o->ciaddr, ADDR);
	ck_assert_uint_eq(o->requested_addr, 0);
	ck_assert_uint_eq(o->server_id, 0);
	ck_assert_uint_eq(o->dst, SERVER);
	ck_assert_uint_eq(o->src, ADDR);
	ck_assert_ptr_nonnull(dhcp_client_lease(&c));

	/* Retransmissions after half the time left to T2, at least 60 s,
	 * never past T2 (RFC 2131 4.4.5). */
	uint64_t t = t1;
	int sent = 0;
	for (;;) {
		uint64_t d = dhcp_client_next_deadline(&c);
		uint64_t half = (t2 - t) / 2;
		uint64_t want = t + (half < 60 * SEC ? 60 * SEC : half);
		ck_assert_uint_eq(d, want < t2 ? want : t2);
		if (d == t2)
			break;
		t = d;
		dhcp_client_timer(&c, t);
		t_pop(&c, &q);
		ck_assert_int_eq(q.n, 1);
		o = t_send(&q, 0, DHCPREQUEST);
		ck_assert_uint_eq(o->xid, xid);
		ck_assert_uint_eq(o->dst, SERVER);
		ck_assert_uint_eq(o->secs, (t - t1) / SEC);
		sent++;
	}
	ck_assert_int_ge(sent, 5);
	ck_assert_uint_eq(c.stats.retransmits, (uint64_t)sent);
}
END_TEST

START_TEST(test_t2_rebinds_by_broadcast_then_expires)
{
	struct dhcp_client c;
	struct acts q;
	uint64_t start = T0 + SEC;

	t_to_bound(&c, 7200, NO_OPTION, NO_OPTION);
	uint64_t t1 = start + 3600 * SEC, t2 = start + 6300 * SEC,
		 end = start + 7200 * SEC;
	dhcp_client_timer(&c, t1);
	t_pop(&c, &q);
	uint32_t renew_xid = c.xid;
	while (dhcp_client_next_deadline(&c) < t2) {
		dhcp_client_timer(&c, dhcp_client_next_deadline(&c));
		t_pop(&c, &q);
	}
	dhcp_client_timer(&c, t2);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 2);
	t_state(&q, 0, DHCP_S_RENEWING, DHCP_S_REBINDING);
	const struct dhcp_out *o = t_send(&q, 1, DHCPREQUEST);
	uint32_t xid = o->xid;
	ck_assert_uint_ne(xid, renew_xid);
	t_query_common(o, c.xid);
	ck_assert(!o->broadcast);
	ck_assert_uint_eq(o->ciaddr, ADDR);
	ck_assert_uint_eq(o->requested_addr, 0);
	ck_assert_uint_eq(o->server_id, 0);
	ck_assert_uint_eq(o->dst, BCAST);
	ck_assert_uint_eq(o->src, ADDR);

	uint64_t t = t2;
	for (;;) {
		uint64_t d = dhcp_client_next_deadline(&c);
		uint64_t half = (end - t) / 2;
		uint64_t want = t + (half < 60 * SEC ? 60 * SEC : half);
		ck_assert_uint_eq(d, want < end ? want : end);
		if (d == end)
			break;
		t = d;
		dhcp_client_timer(&c, t);
		t_pop(&c, &q);
		ck_assert_int_eq(q.n, 1);
		ck_assert_uint_eq(t_send(&q, 0, DHCPREQUEST)->dst, BCAST);
	}
	/* Expiry: the address goes, INIT, a DISCOVER. */
	dhcp_client_timer(&c, end);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 5);
	t_type(&q, 0, DHCP_A_NOTE);
	t_type(&q, 1, DHCP_A_UNCONFIGURE);
	ck_assert_uint_eq(q.a[1].addr, ADDR);
	t_state(&q, 2, DHCP_S_REBINDING, DHCP_S_INIT);
	t_state(&q, 3, DHCP_S_INIT, DHCP_S_SELECTING);
	t_send(&q, 4, DHCPDISCOVER);
	ck_assert_uint_eq(c.stats.expiries, 1);
	ck_assert_ptr_null(dhcp_client_lease(&c));
}
END_TEST

START_TEST(test_late_timer_crosses_t1_t2_and_expiry_in_one_call)
{
	struct dhcp_client c;
	struct acts q;

	t_to_bound(&c, 7200, NO_OPTION, NO_OPTION);
	dhcp_client_timer(&c, T0 + SEC + 7200 * SEC + 1);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 7);
	t_state(&q, 0, DHCP_S_BOUND, DHCP_S_RENEWING);
	t_state(&q, 1, DHCP_S_RENEWING, DHCP_S_REBINDING);
	t_type(&q, 2, DHCP_A_NOTE);
	t_type(&q, 3, DHCP_A_UNCONFIGURE);
	t_state(&q, 4, DHCP_S_REBINDING, DHCP_S_INIT);
	t_state(&q, 5, DHCP_S_INIT, DHCP_S_SELECTING);
	t_send(&q, 6, DHCPDISCOVER);
	ck_assert_uint_eq(c.stats.tx[DHCPREQUEST], 1); /* only REQUESTING's */
}
END_TEST

/* RENEWING at T1, from SERVER; returns when the REQUEST was sent. */
static uint64_t t_to_renewing(struct dhcp_client *c)
{
	struct acts q;
	uint64_t t1 = T0 + SEC + 1800 * SEC;
	t_to_bound(c, 3600, NO_OPTION, NO_OPTION);
	dhcp_client_timer(c, t1);
	t_pop(c, &q);
	ck_assert_int_eq(c->state, DHCP_S_RENEWING);
	return t1;
}

START_TEST(test_renewal_with_same_address_only_configures)
{
	struct dhcp_client c;
	struct dhcp_msg m;
	struct acts q;
	uint64_t sent = t_to_renewing(&c);

	t_ack(&m, &c, ADDR, SERVER, 3600, NO_OPTION, NO_OPTION, MASK24);
	m.opt.ndns = 1;
	m.opt.dns[0] = SERVER;
	t_set(&m.opt, DHCP_OPT_DNS);
	dhcp_client_input(&c, sent + SEC, &m, SERVER);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 2);
	t_type(&q, 0, DHCP_A_CONFIGURE);
	t_state(&q, 1, DHCP_S_RENEWING, DHCP_S_BOUND);
	ck_assert_int_eq(t_count(&q, DHCP_A_UNCONFIGURE), 0);
	const struct dhcp_lease *l = dhcp_client_lease(&c);
	ck_assert_uint_eq(l->addr, ADDR);
	ck_assert_uint_eq(l->start_ns, sent);
	ck_assert_uint_eq(l->opt.ndns, 1);
	ck_assert_uint_eq(dhcp_client_next_deadline(&c), sent + 1800 * SEC);
}
END_TEST

START_TEST(test_renewal_without_mask_keeps_the_prefix)
{
	struct dhcp_client c;
	struct dhcp_msg m;
	struct acts q;
	uint64_t sent = t_to_renewing(&c);

	/* 10.0.0.50 would be a /8 by its class: the /24 is kept. */
	t_ack(&m, &c, ADDR, SERVER, 3600, NO_OPTION, NO_OPTION, NO_OPTION);
	dhcp_client_input(&c, sent + SEC, &m, SERVER);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 2);
	t_type(&q, 0, DHCP_A_CONFIGURE);
	t_state(&q, 1, DHCP_S_RENEWING, DHCP_S_BOUND);
	ck_assert_uint_eq(dhcp_client_lease(&c)->prefix_len, 24);
}
END_TEST

START_TEST(test_renewal_with_new_address_unconfigures_the_old)
{
	struct dhcp_client c;
	struct dhcp_msg m;
	struct acts q;
	uint64_t sent = t_to_renewing(&c);

	t_ack(&m, &c, ADDR2, SERVER, 3600, NO_OPTION, NO_OPTION, MASK24);
	dhcp_client_input(&c, sent + SEC, &m, SERVER);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 3);
	t_type(&q, 0, DHCP_A_UNCONFIGURE);
	ck_assert_uint_eq(q.a[0].addr, ADDR);
	t_type(&q, 1, DHCP_A_CONFIGURE);
	t_state(&q, 2, DHCP_S_RENEWING, DHCP_S_BOUND);
	ck_assert_uint_eq(dhcp_client_lease(&c)->addr, ADDR2);
}
END_TEST

START_TEST(test_renewal_with_new_prefix_unconfigures_the_old)
{
	struct dhcp_client c;
	struct dhcp_msg m;
	struct acts q;
	uint64_t sent = t_to_renewing(&c);

	t_ack(&m, &c, ADDR, SERVER, 3600, NO_OPTION, NO_OPTION, 0xffff0000u);
	dhcp_client_input(&c, sent + SEC, &m, SERVER);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 3);
	t_type(&q, 0, DHCP_A_UNCONFIGURE);
	ck_assert_uint_eq(q.a[0].addr, ADDR);
	t_type(&q, 1, DHCP_A_CONFIGURE);
	ck_assert_uint_eq(dhcp_client_lease(&c)->prefix_len, 16);
}
END_TEST

START_TEST(test_rebinding_ack_from_another_server_takes_it)
{
	struct dhcp_client c;
	struct dhcp_msg m;
	struct acts q;
	uint64_t t2 = T0 + SEC + 3150 * SEC;

	t_to_renewing(&c);
	dhcp_client_timer(&c, t2);
	t_pop(&c, &q);
	ck_assert_int_eq(c.state, DHCP_S_REBINDING);
	t_ack(&m, &c, ADDR, SERVER2, 3600, NO_OPTION, NO_OPTION, MASK24);
	dhcp_client_input(&c, t2 + SEC, &m, SERVER2);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 2);
	t_type(&q, 0, DHCP_A_CONFIGURE);
	t_state(&q, 1, DHCP_S_REBINDING, DHCP_S_BOUND);
	ck_assert_uint_eq(dhcp_client_lease(&c)->server_id, SERVER2);
	/* The next renewal goes to the new server. */
	dhcp_client_timer(&c, t2 + 1800 * SEC);
	t_pop(&c, &q);
	ck_assert_uint_eq(t_send(&q, 1, DHCPREQUEST)->dst, SERVER2);
}
END_TEST

START_TEST(test_renewing_ack_from_another_server_is_ignored)
{
	struct dhcp_client c;
	struct dhcp_msg m;
	struct acts q;
	uint64_t sent = t_to_renewing(&c);

	t_ack(&m, &c, ADDR, SERVER2, 3600, NO_OPTION, NO_OPTION, MASK24);
	dhcp_client_input(&c, sent + SEC, &m, SERVER2);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 0);
	ck_assert_uint_eq(c.stats.rx_ignored, 1);
	ck_assert_int_eq(c.state, DHCP_S_RENEWING);
}
END_TEST

/* CHECKING ADDR after an ACK at T0 + 2 s. */
static void t_to_checking(struct dhcp_client *c)
{
	struct dhcp_msg m;
	struct acts q;
	t_to_requesting(c, true);
	t_ack(&m, c, ADDR, SERVER, 3600, NO_OPTION, NO_OPTION, MASK24);
	dhcp_client_input(c, T0 + 2 * SEC, &m, SERVER);
	t_pop(c, &q);
	ck_assert_int_eq(c->state, DHCP_S_CHECKING);
}

/* ---- NAK ---------------------------------------------------------------- */

static void t_nak(struct dhcp_msg *m, const struct dhcp_client *c,
		  uint32_t server)
{
	t_reply(m, c, DHCPNAK, 0, server);
	strcpy(m->opt.message, "wrong network");
	t_set(&m->opt, DHCP_OPT_MESSAGE);
}

START_TEST(test_nak_in_requesting_restarts)
{
	struct dhcp_client c;
	struct dhcp_msg m;
	struct acts q;

	t_to_requesting(&c, false);
	/* From a server we did not ask: ignored. */
	t_nak(&m, &c, SERVER2);
	dhcp_client_input(&c, T0 + 2 * SEC, &m, SERVER2);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 0);
	ck_assert_uint_eq(c.stats.rx_ignored, 1);

	t_nak(&m, &c, SERVER);
	dhcp_client_input(&c, T0 + 2 * SEC, &m, SERVER);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 4);
	t_type(&q, 0, DHCP_A_NOTE);
	ck_assert_ptr_nonnull(strstr(q.a[0].text, "wrong network"));
	ck_assert_ptr_nonnull(strstr(q.a[0].text, "10.0.0.1"));
	t_state(&q, 1, DHCP_S_REQUESTING, DHCP_S_INIT);
	t_state(&q, 2, DHCP_S_INIT, DHCP_S_SELECTING);
	t_send(&q, 3, DHCPDISCOVER);
	ck_assert_int_eq(t_count(&q, DHCP_A_UNCONFIGURE), 0);
	ck_assert_uint_eq(c.stats.naks, 1);
	ck_assert_uint_eq(c.stats.rx[DHCPNAK], 1);
}
END_TEST

START_TEST(test_nak_in_renewing_drops_the_lease)
{
	struct dhcp_client c;
	struct dhcp_msg m;
	struct acts q;
	uint64_t sent = t_to_renewing(&c);

	t_nak(&m, &c, SERVER2);
	dhcp_client_input(&c, sent + SEC, &m, SERVER2);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 0);
	ck_assert_uint_eq(c.stats.rx_ignored, 1);

	t_nak(&m, &c, SERVER);
	dhcp_client_input(&c, sent + SEC, &m, SERVER);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 5);
	t_type(&q, 0, DHCP_A_NOTE);
	t_type(&q, 1, DHCP_A_UNCONFIGURE);
	ck_assert_uint_eq(q.a[1].addr, ADDR);
	t_state(&q, 2, DHCP_S_RENEWING, DHCP_S_INIT);
	t_state(&q, 3, DHCP_S_INIT, DHCP_S_SELECTING);
	t_send(&q, 4, DHCPDISCOVER);
	ck_assert_ptr_null(dhcp_client_lease(&c));
}
END_TEST

START_TEST(test_nak_while_rebinding_from_any_server_drops_the_address)
{
	struct dhcp_client c;
	struct dhcp_msg m;
	struct acts q;
	uint64_t t2 = T0 + SEC + 3150 * SEC;

	t_to_renewing(&c);
	dhcp_client_timer(&c, t2);
	t_pop(&c, &q);
	t_nak(&m, &c, SERVER2);
	dhcp_client_input(&c, t2 + SEC, &m, SERVER2);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 5);
	t_type(&q, 1, DHCP_A_UNCONFIGURE);
	ck_assert_uint_eq(q.a[1].addr, ADDR);
	t_state(&q, 2, DHCP_S_REBINDING, DHCP_S_INIT);
	ck_assert_ptr_null(dhcp_client_lease(&c));
	ck_assert_uint_eq(c.stats.naks, 1);
}
END_TEST

START_TEST(test_nak_in_other_states_is_ignored)
{
	struct dhcp_client c;
	struct dhcp_msg m;
	struct acts q;

	t_client(&c, false, 5);
	dhcp_client_start(&c, T0, 0);
	t_pop(&c, &q);
	t_nak(&m, &c, SERVER);
	dhcp_client_input(&c, T0 + SEC, &m, SERVER); /* SELECTING */
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 0);
	ck_assert_uint_eq(c.stats.rx_ignored, 1);
	ck_assert_int_eq(c.state, DHCP_S_SELECTING);

	t_to_checking(&c);
	t_nak(&m, &c, SERVER);
	dhcp_client_input(&c, T0 + 3 * SEC, &m, SERVER); /* CHECKING */
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 0);
	ck_assert_uint_eq(c.stats.rx_ignored, 1);
	ck_assert_int_eq(c.state, DHCP_S_CHECKING);

	t_to_bound(&c, 3600, NO_OPTION, NO_OPTION);
	t_nak(&m, &c, SERVER);
	dhcp_client_input(&c, T0 + 3 * SEC, &m, SERVER); /* BOUND */
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 0);
	ck_assert_uint_eq(c.stats.rx_ignored, 1);
	ck_assert_uint_eq(c.stats.naks, 0);
	ck_assert_int_eq(c.state, DHCP_S_BOUND);
}
END_TEST

START_TEST(test_naks_in_a_row_back_off_up_to_64_s)
{
	static const uint64_t wait_s[] = {0, 1, 2, 4, 8, 16, 32, 64, 64};
	struct dhcp_client c;
	struct dhcp_msg m;
	struct acts q;
	uint64_t t = T0 + 2 * SEC;

	t_to_requesting(&c, false);
	for (size_t i = 0; i < sizeof(wait_s) / sizeof(wait_s[0]); i++) {
		t_nak(&m, &c, SERVER);
		dhcp_client_input(&c, t, &m, SERVER);
		t_pop(&c, &q);
		if (wait_s[i] == 0) {
			ck_assert_int_eq(c.state, DHCP_S_SELECTING);
		} else {
			ck_assert_int_eq(c.state, DHCP_S_INIT);
			ck_assert_int_eq(q.n, 2);
			ck_assert_uint_eq(dhcp_client_next_deadline(&c),
					  t + wait_s[i] * SEC);
			t += wait_s[i] * SEC;
			dhcp_client_timer(&c, t);
			t_pop(&c, &q);
			t_state(&q, 0, DHCP_S_INIT, DHCP_S_SELECTING);
			t_send(&q, 1, DHCPDISCOVER);
		}
		t_offer(&c, t, ADDR, SERVER);
		t_pop(&c, &q);
		ck_assert_int_eq(c.state, DHCP_S_REQUESTING);
	}
	/* BOUND resets it: the next NAK restarts at once. */
	t_ack(&m, &c, ADDR, SERVER, 3600, NO_OPTION, NO_OPTION, MASK24);
	dhcp_client_input(&c, t, &m, SERVER);
	dhcp_client_timer(&c, t + 1800 * SEC);
	t_pop(&c, &q);
	t_nak(&m, &c, SERVER);
	dhcp_client_input(&c, t + 1801 * SEC, &m, SERVER);
	t_pop(&c, &q);
	ck_assert_int_eq(c.state, DHCP_S_SELECTING);
}
END_TEST

/* ---- DECLINE -------------------------------------------------------- */

START_TEST(test_conflict_while_checking_declines_and_waits_10_s)
{
	struct dhcp_client c;
	struct acts q;
	uint64_t t = T0 + 3 * SEC;

	t_to_checking(&c);
	uint32_t xid = c.xid;
	/* Another address: nothing. */
	dhcp_client_arp_conflict(&c, t, ADDR2);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 0);

	dhcp_client_arp_conflict(&c, t, ADDR);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 3);
	const struct dhcp_out *o = t_send(&q, 0, DHCPDECLINE);
	ck_assert_uint_eq(o->xid, xid);
	ck_assert_uint_eq(o->secs, 0);
	ck_assert(!o->broadcast);
	ck_assert_uint_eq(o->ciaddr, 0);
	ck_assert_mem_eq(o->chaddr, MAC, 6);
	ck_assert_uint_eq(o->requested_addr, ADDR);
	ck_assert_uint_eq(o->server_id, SERVER);
	ck_assert_uint_eq(o->client_id_len, 7);
	ck_assert_str_eq(o->hostname, "");
	ck_assert_uint_eq(o->max_msg_size, 0);
	ck_assert(!o->param_list);
	ck_assert_str_ne(o->message, "");
	ck_assert_uint_eq(o->dst, BCAST);
	ck_assert_uint_eq(o->src, 0);
	t_type(&q, 1, DHCP_A_NOTE);
	t_state(&q, 2, DHCP_S_CHECKING, DHCP_S_INIT);
	ck_assert_int_eq(t_count(&q, DHCP_A_CONFIGURE), 0);
	ck_assert_int_eq(t_count(&q, DHCP_A_UNCONFIGURE), 0);
	ck_assert_uint_eq(c.stats.declines, 1);
	ck_assert_uint_eq(c.stats.tx[DHCPDECLINE], 1);
	ck_assert_ptr_null(dhcp_client_lease(&c));

	ck_assert_uint_eq(dhcp_client_next_deadline(&c),
			  t + DHCP_DECLINE_WAIT_NS);
	dhcp_client_timer(&c, t + DHCP_DECLINE_WAIT_NS - 1);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 0);
	dhcp_client_timer(&c, t + DHCP_DECLINE_WAIT_NS);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 2);
	t_state(&q, 0, DHCP_S_INIT, DHCP_S_SELECTING);
	ck_assert_uint_ne(t_send(&q, 1, DHCPDISCOVER)->xid, xid);
}
END_TEST

START_TEST(test_tenth_decline_in_a_row_waits_60_s)
{
	struct dhcp_client c;
	struct dhcp_msg m;
	struct acts q;
	uint64_t t = T0 + 3 * SEC;

	t_to_checking(&c);
	for (int i = 1; i <= DHCP_CONFLICTS_MAX; i++) {
		dhcp_client_arp_conflict(&c, t, ADDR);
		t_pop(&c, &q);
		uint64_t wait = i < DHCP_CONFLICTS_MAX
				    ? DHCP_DECLINE_WAIT_NS
				    : DHCP_RATE_LIMIT_WAIT_NS;
		ck_assert_uint_eq(dhcp_client_next_deadline(&c), t + wait);
		t += wait;
		dhcp_client_timer(&c, t);
		t_offer(&c, t, ADDR, SERVER);
		t_ack(&m, &c, ADDR, SERVER, 3600, NO_OPTION, NO_OPTION, MASK24);
		dhcp_client_input(&c, t, &m, SERVER);
		t_pop(&c, &q);
		ck_assert_int_eq(c.state, DHCP_S_CHECKING);
	}
	ck_assert_uint_eq(c.stats.declines, DHCP_CONFLICTS_MAX);
}
END_TEST

START_TEST(test_conflict_when_bound_is_only_logged)
{
	struct dhcp_client c;
	struct acts q;

	t_to_bound(&c, 3600, NO_OPTION, NO_OPTION);
	dhcp_client_arp_conflict(&c, T0 + 10 * SEC, ADDR);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 1);
	t_type(&q, 0, DHCP_A_NOTE);
	ck_assert_ptr_nonnull(strstr(q.a[0].text, "10.0.0.50"));
	ck_assert_int_eq(c.state, DHCP_S_BOUND);
	ck_assert_uint_eq(c.stats.declines, 0);
	ck_assert_ptr_nonnull(dhcp_client_lease(&c));
}
END_TEST

/* A host that keeps claiming the bound address is noted once per
 * DHCP_DEFEND_INTERVAL_NS (RFC 5227 2.4's DEFEND_INTERVAL), not once per
 * ARP: a flood of them would flood the log and the glue's report ring. */
START_TEST(test_conflict_when_bound_is_noted_once_per_interval)
{
	struct dhcp_client c;
	struct acts q;
	uint64_t t = T0 + 10 * SEC;

	t_to_bound(&c, 3600, NO_OPTION, NO_OPTION);
	dhcp_client_arp_conflict(&c, t, ADDR);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 1);
	t_type(&q, 0, DHCP_A_NOTE);
	for (int i = 0; i < 100; i++)
		dhcp_client_arp_conflict(&c, t + (uint64_t)i * 1000, ADDR);
	dhcp_client_arp_conflict(&c, t + DHCP_DEFEND_INTERVAL_NS - 1, ADDR);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 0);
	ck_assert_uint_eq(c.actions_dropped, 0);
	dhcp_client_arp_conflict(&c, t + DHCP_DEFEND_INTERVAL_NS, ADDR);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 1);
	t_type(&q, 0, DHCP_A_NOTE);
	ck_assert_ptr_nonnull(strstr(q.a[0].text, "10.0.0.50"));
	ck_assert_int_eq(c.state, DHCP_S_BOUND);
	ck_assert_ptr_nonnull(dhcp_client_lease(&c));
}
END_TEST

/* ---- INIT-REBOOT ------------------------------------------------------ */

static void t_to_rebooting(struct dhcp_client *c, bool arp_check)
{
	struct acts q;
	t_client(c, arp_check, 9);
	dhcp_client_start(c, T0, ADDR);
	t_pop(c, &q);
	ck_assert_int_eq(q.n, 3);
	t_state(&q, 0, DHCP_S_STOPPED, DHCP_S_INIT_REBOOT);
	t_state(&q, 1, DHCP_S_INIT_REBOOT, DHCP_S_REBOOTING);
	const struct dhcp_out *o = t_send(&q, 2, DHCPREQUEST);
	t_query_common(o, c->xid);
	ck_assert_uint_eq(o->secs, 0);
	ck_assert(o->broadcast);
	ck_assert_uint_eq(o->ciaddr, 0);
	ck_assert_uint_eq(o->requested_addr, ADDR);
	ck_assert_uint_eq(o->server_id, 0);
	ck_assert_uint_eq(o->dst, BCAST);
	ck_assert_uint_eq(o->src, 0);
}

START_TEST(test_init_reboot_ack_binds_without_probing)
{
	struct dhcp_client c;
	struct dhcp_msg m;
	struct acts q;

	t_to_rebooting(&c, true);
	t_ack(&m, &c, ADDR, SERVER, 3600, NO_OPTION, NO_OPTION, MASK24);
	dhcp_client_input(&c, T0 + SEC, &m, SERVER);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 2);
	t_type(&q, 0, DHCP_A_CONFIGURE);
	t_state(&q, 1, DHCP_S_REBOOTING, DHCP_S_BOUND);
	const struct dhcp_lease *l = dhcp_client_lease(&c);
	ck_assert_uint_eq(l->addr, ADDR);
	ck_assert_uint_eq(l->server_id, SERVER);
	ck_assert_uint_eq(l->start_ns, T0);
}
END_TEST

START_TEST(test_init_reboot_nak_starts_over)
{
	struct dhcp_client c;
	struct dhcp_msg m;
	struct acts q;

	t_to_rebooting(&c, false);
	t_nak(&m, &c, SERVER2); /* any server may NAK it */
	dhcp_client_input(&c, T0 + SEC, &m, SERVER2);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 4);
	t_type(&q, 0, DHCP_A_NOTE);
	t_state(&q, 1, DHCP_S_REBOOTING, DHCP_S_INIT);
	t_state(&q, 2, DHCP_S_INIT, DHCP_S_SELECTING);
	t_send(&q, 3, DHCPDISCOVER);
	ck_assert_int_eq(t_count(&q, DHCP_A_UNCONFIGURE), 0);
}
END_TEST

START_TEST(test_init_reboot_without_answer_falls_to_init_after_10_s)
{
	struct dhcp_client c;
	struct acts q;

	t_to_rebooting(&c, false);
	uint32_t xid = c.xid;
	uint64_t d = dhcp_client_next_deadline(&c);
	ck_assert_uint_ge(d, T0 + 3 * SEC);
	ck_assert_uint_le(d, T0 + 5 * SEC);
	dhcp_client_timer(&c, d);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 1);
	ck_assert_uint_eq(t_send(&q, 0, DHCPREQUEST)->xid, xid);
	ck_assert_uint_eq(dhcp_client_next_deadline(&c),
			  T0 + DHCP_REBOOT_TIMEOUT_NS);
	dhcp_client_timer(&c, T0 + DHCP_REBOOT_TIMEOUT_NS - 1);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 0);
	dhcp_client_timer(&c, T0 + DHCP_REBOOT_TIMEOUT_NS);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 4);
	t_type(&q, 0, DHCP_A_NOTE);
	t_state(&q, 1, DHCP_S_REBOOTING, DHCP_S_INIT);
	t_state(&q, 2, DHCP_S_INIT, DHCP_S_SELECTING);
	t_send(&q, 3, DHCPDISCOVER);
	ck_assert_uint_eq(c.stats.tx[DHCPREQUEST], 2);
}
END_TEST

START_TEST(test_start_with_unusable_reboot_address_discovers)
{
	struct dhcp_client c;
	struct acts q;

	t_client(&c, false, 9);
	dhcp_client_start(&c, T0, 0xe0000001u); /* 224.0.0.1 */
	t_pop(&c, &q);
	t_state(&q, 0, DHCP_S_STOPPED, DHCP_S_INIT);
	t_send(&q, 2, DHCPDISCOVER);
	/* Started twice: the second does nothing. */
	dhcp_client_start(&c, T0, 0);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 0);
}
END_TEST

/* ---- lease times ---------------------------------------------------- */

struct times_case {
	uint32_t lease, t1, t2;		       /* sent; NO_OPTION: left out */
	uint32_t want_lease, want_t1, want_t2; /* as used */
	uint64_t corrections;
};

static const struct times_case times_cases[] = {
    /* Defaults: 0.5 and 0.875 of the lease; nothing corrected. */
    {3600, NO_OPTION, NO_OPTION, 3600, 1800, 3150, 0},
    {3600, 1000, 2000, 3600, 1000, 2000, 0},
    {3600, 1, 2, 3600, 1, 2, 0},
    {3600, 3598, 3599, 3600, 3598, 3599, 0},
    /* T1 >= T2 */
    {3600, 3000, 2000, 3600, 1800, 2000, 1},
    {3600, 2000, 2000, 3600, 1800, 2000, 1},
    /* T2 >= lease (and T2 too small to leave room for T1) */
    {3600, NO_OPTION, 3600, 3600, 1800, 3150, 1},
    {3600, NO_OPTION, 0xffffffffu, 3600, 1800, 3150, 1},
    {3600, NO_OPTION, 0, 3600, 1800, 3150, 1},
    {3600, NO_OPTION, 1, 3600, 1800, 3150, 1},
    /* T1 0, or infinite */
    {3600, 0, NO_OPTION, 3600, 1800, 3150, 1},
    {3600, 0xffffffffu, NO_OPTION, 3600, 1800, 3150, 1},
    /* T2 below the default T1: T1 becomes half of T2 */
    {3600, NO_OPTION, 1000, 3600, 500, 1000, 1},
    {3600, NO_OPTION, 2, 3600, 1, 2, 1},
    /* Lease 0, none, below and at the minimum */
    {0, NO_OPTION, NO_OPTION, 60, 30, 52, 1},
    {NO_OPTION, NO_OPTION, NO_OPTION, 60, 30, 52, 1},
    {59, NO_OPTION, NO_OPTION, 60, 30, 52, 1},
    {60, NO_OPTION, NO_OPTION, 60, 30, 52, 0},
    /* Everything bogus at once */
    {0, 0, 0, 60, 30, 52, 3},
    /* Infinite: no T1/T2 whatever was sent */
    {0xffffffffu, NO_OPTION, NO_OPTION, 0xffffffffu, 0xffffffffu, 0xffffffffu,
     0},
    {0xffffffffu, 100, 200, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0},
};

START_TEST(test_lease_times_are_corrected_and_logged)
{
	const struct times_case *tc = &times_cases[_i];
	struct dhcp_client c;
	struct dhcp_msg m;
	struct acts q;

	t_to_requesting(&c, false);
	t_ack(&m, &c, ADDR, SERVER, tc->lease, tc->t1, tc->t2, MASK24);
	dhcp_client_input(&c, T0 + 2 * SEC, &m, SERVER);
	t_pop(&c, &q);
	const struct dhcp_lease *l = dhcp_client_lease(&c);
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(l->lease_s, tc->want_lease);
	ck_assert_uint_eq(l->t1_s, tc->want_t1);
	ck_assert_uint_eq(l->t2_s, tc->want_t2);
	ck_assert_uint_eq(c.stats.corrections, tc->corrections);
	ck_assert_int_eq(t_count(&q, DHCP_A_NOTE), (int)tc->corrections);
	if (tc->want_lease == DHCP_INFINITE)
		ck_assert_uint_eq(dhcp_client_next_deadline(&c), UINT64_MAX);
	else
		ck_assert_uint_eq(dhcp_client_next_deadline(&c),
				  T0 + SEC + tc->want_t1 * SEC);
}
END_TEST

START_TEST(test_infinite_lease_never_renews)
{
	struct dhcp_client c;
	struct acts q;

	t_to_bound(&c, DHCP_INFINITE, NO_OPTION, NO_OPTION);
	ck_assert_uint_eq(dhcp_client_next_deadline(&c), UINT64_MAX);
	dhcp_client_timer(&c, UINT64_MAX - 1);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 0);
	ck_assert_int_eq(c.state, DHCP_S_BOUND);
}
END_TEST

START_TEST(test_long_lease_times_do_not_overflow)
{
	struct dhcp_client c;
	struct acts q;

	/* The largest finite lease: its end is still in the future. */
	t_to_bound(&c, 0xfffffffdu, NO_OPTION, NO_OPTION);
	const struct dhcp_lease *l = dhcp_client_lease(&c);
	ck_assert_uint_eq(l->lease_s, 0xfffffffdu);
	ck_assert_uint_eq(l->t1_s, 0x7ffffffeu);
	ck_assert_uint_eq(l->t2_s, (uint32_t)(0xfffffffdull * 7 / 8));
	ck_assert_uint_eq(dhcp_client_next_deadline(&c),
			  T0 + SEC + 0x7ffffffeull * SEC);
	dhcp_client_timer(&c, T0 + SEC + 0x7ffffffeull * SEC);
	t_pop(&c, &q);
	ck_assert_int_eq(c.state, DHCP_S_RENEWING);
}
END_TEST

START_TEST(test_prefix_from_mask_else_class_default)
{
	static const struct {
		uint32_t addr, mask; /* mask NO_OPTION: left out */
		uint8_t want;
		int notes;
	} cases[] = {
	    {ADDR, 0xffff0000u, 16, 0},
	    {ADDR, 0xffffffffu, 32, 0},
	    {ADDR, 0xfffffffcu, 30, 0},
	    {ADDR, 0xff00ff00u, 8, 1},
	    {ADDR, 0, 8, 1},
	    {ADDR, NO_OPTION, 8, 1},
	    {0xac100005u, NO_OPTION, 16, 1},
	    {0xc0a80105u, NO_OPTION, 24, 1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dhcp_client c;
		struct dhcp_msg m;
		struct acts q;

		t_to_requesting(&c, false);
		t_ack(&m, &c, cases[i].addr, SERVER, 3600, NO_OPTION, NO_OPTION,
		      cases[i].mask);
		dhcp_client_input(&c, T0 + 2 * SEC, &m, SERVER);
		t_pop(&c, &q);
		ck_assert_uint_eq(dhcp_client_lease(&c)->prefix_len,
				  cases[i].want);
		ck_assert_int_eq(t_count(&q, DHCP_A_NOTE), cases[i].notes);
		ck_assert_uint_eq(c.stats.corrections, 0);
	}
}
END_TEST

/* ---- matching ------------------------------------------------------- */

START_TEST(test_wrong_xid_chaddr_or_type_is_ignored)
{
	struct dhcp_client c;
	struct dhcp_msg m;
	struct acts q;

	t_client(&c, false, 11);
	/* Stopped: anything is ignored. */
	t_reply(&m, &c, DHCPOFFER, ADDR, SERVER);
	dhcp_client_input(&c, T0, &m, SERVER);
	ck_assert_uint_eq(c.stats.rx_ignored, 1);
	dhcp_client_start(&c, T0, 0);
	t_pop(&c, &q);

	t_reply(&m, &c, DHCPOFFER, ADDR, SERVER);
	m.xid ^= 1;
	dhcp_client_input(&c, T0 + SEC, &m, SERVER);
	t_reply(&m, &c, DHCPOFFER, ADDR, SERVER);
	m.chaddr[5] ^= 1;
	dhcp_client_input(&c, T0 + SEC, &m, SERVER);
	t_reply(&m, &c, DHCPOFFER, ADDR, SERVER);
	m.chaddr[0] ^= 1;
	dhcp_client_input(&c, T0 + SEC, &m, SERVER);
	/* Not an OFFER, or not a valid one. */
	t_reply(&m, &c, DHCPACK, ADDR, SERVER);
	dhcp_client_input(&c, T0 + SEC, &m, SERVER);
	t_reply(&m, &c, DHCPOFFER, 0, SERVER);
	dhcp_client_input(&c, T0 + SEC, &m, SERVER);
	t_reply(&m, &c, DHCPOFFER, 0xe0000001u, SERVER);
	dhcp_client_input(&c, T0 + SEC, &m, SERVER);
	t_reply(&m, &c, DHCPOFFER, 0x7f000001u, SERVER);
	dhcp_client_input(&c, T0 + SEC, &m, SERVER);
	t_reply(&m, &c, DHCPOFFER, ADDR, 0); /* no server identifier */
	dhcp_client_input(&c, T0 + SEC, &m, SERVER);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 0);
	ck_assert_uint_eq(c.stats.rx_ignored, 9);
	ck_assert_uint_eq(c.stats.rx[DHCPOFFER], 0);
	ck_assert_int_eq(c.state, DHCP_S_SELECTING);

	/* Bytes of chaddr past the MAC do not matter. */
	t_reply(&m, &c, DHCPOFFER, ADDR, SERVER);
	m.chaddr[6] = 0x55;
	dhcp_client_input(&c, T0 + SEC, &m, SERVER);
	t_pop(&c, &q);
	ck_assert_int_eq(c.state, DHCP_S_REQUESTING);

	/* REQUESTING: a second OFFER, an ACK of a bad address, an ACK
	 * from another server are ignored. */
	t_reply(&m, &c, DHCPOFFER, ADDR2, SERVER2);
	dhcp_client_input(&c, T0 + SEC, &m, SERVER2);
	t_ack(&m, &c, 0, SERVER, 3600, NO_OPTION, NO_OPTION, MASK24);
	dhcp_client_input(&c, T0 + SEC, &m, SERVER);
	t_ack(&m, &c, ADDR2, SERVER2, 3600, NO_OPTION, NO_OPTION, MASK24);
	dhcp_client_input(&c, T0 + SEC, &m, SERVER2);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 0);
	ck_assert_uint_eq(c.stats.rx_ignored, 12);
	ck_assert_int_eq(c.state, DHCP_S_REQUESTING);
}
END_TEST

/* ---- stop ------------------------------------------------------------ */

START_TEST(test_stop_with_release_sends_release_and_unconfigures)
{
	struct dhcp_client c;
	struct acts q;

	t_to_bound(&c, 3600, NO_OPTION, NO_OPTION);
	uint32_t xid = c.xid;
	dhcp_client_stop(&c, T0 + 100 * SEC, true);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 3);
	const struct dhcp_out *o = t_send(&q, 0, DHCPRELEASE);
	ck_assert_uint_ne(o->xid, xid);
	ck_assert_uint_eq(o->secs, 0);
	ck_assert(!o->broadcast);
	ck_assert_uint_eq(o->ciaddr, ADDR);
	ck_assert_mem_eq(o->chaddr, MAC, 6);
	ck_assert_uint_eq(o->requested_addr, 0);
	ck_assert_uint_eq(o->server_id, SERVER);
	ck_assert_uint_eq(o->client_id_len, 7);
	ck_assert_str_eq(o->hostname, "");
	ck_assert_uint_eq(o->max_msg_size, 0);
	ck_assert(!o->param_list);
	ck_assert_uint_eq(o->dst, SERVER);
	ck_assert_uint_eq(o->src, ADDR);
	t_type(&q, 1, DHCP_A_UNCONFIGURE);
	ck_assert_uint_eq(q.a[1].addr, ADDR);
	t_state(&q, 2, DHCP_S_BOUND, DHCP_S_STOPPED);
	ck_assert_ptr_null(dhcp_client_lease(&c));
	ck_assert_uint_eq(dhcp_client_next_deadline(&c), UINT64_MAX);
	ck_assert_uint_eq(c.stats.tx[DHCPRELEASE], 1);

	/* Stopped twice: nothing more. */
	dhcp_client_stop(&c, T0 + 101 * SEC, true);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 0);
}
END_TEST

START_TEST(test_stop_without_release_or_lease_sends_nothing)
{
	struct dhcp_client c;
	struct acts q;

	t_to_bound(&c, 3600, NO_OPTION, NO_OPTION);
	dhcp_client_stop(&c, T0 + 100 * SEC, false);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 1);
	t_state(&q, 0, DHCP_S_BOUND, DHCP_S_STOPPED);

	t_to_requesting(&c, false);
	dhcp_client_stop(&c, T0 + 2 * SEC, true);
	t_pop(&c, &q);
	ck_assert_int_eq(q.n, 1);
	t_state(&q, 0, DHCP_S_REQUESTING, DHCP_S_STOPPED);

	/* And it starts again. */
	dhcp_client_start(&c, T0 + 3 * SEC, 0);
	t_pop(&c, &q);
	t_send(&q, 2, DHCPDISCOVER);
}
END_TEST

/* ---- determinism and the queue -------------------------------------- */

/* A whole life: acquisition with probes, renewal, rebinding, expiry. */
static void t_life(struct dhcp_client *c, uint64_t seed, struct acts *all)
{
	struct dhcp_msg m;
	struct acts q;
	uint64_t t = T0;

	all->n = 0;
	t_client(c, true, seed);
	dhcp_client_start(c, t, 0);
	for (int step = 0; step < 40; step++) {
		if (step == 3) {
			t_offer(c, t, ADDR, SERVER);
		} else if (step == 6) {
			t_ack(&m, c, ADDR, SERVER, 600, NO_OPTION, NO_OPTION,
			      MASK24);
			dhcp_client_input(c, t, &m, SERVER);
		} else {
			t = dhcp_client_next_deadline(c);
			dhcp_client_timer(c, t);
		}
		t_pop(c, &q);
		for (int i = 0; i < q.n && all->n < ACTS_MAX; i++)
			all->a[all->n++] = q.a[i];
	}
}

START_TEST(test_same_seed_same_life)
{
	static struct dhcp_client a, b;
	static struct acts qa, qb;

	t_life(&a, 77, &qa);
	t_life(&b, 77, &qb);
	/* The life went through a lease and its expiry. */
	ck_assert_int_eq(t_count(&qa, DHCP_A_CONFIGURE), 1);
	ck_assert_int_eq(t_count(&qa, DHCP_A_UNCONFIGURE), 1);
	ck_assert_int_eq(t_count(&qa, DHCP_A_ARP_PROBE), DHCP_PROBE_NUM);
	ck_assert_int_eq(qa.n, qb.n);
	ck_assert_mem_eq(qa.a, qb.a, sizeof(qa.a));
	ck_assert_uint_eq(a.deadline, b.deadline);
	ck_assert_int_eq(a.state, b.state);

	t_life(&b, 78, &qb);
	ck_assert_uint_ne(qa.a[2].out.xid, qb.a[2].out.xid);
}
END_TEST

START_TEST(test_full_action_queue_drops_the_oldest)
{
	struct dhcp_client c;
	struct dhcp_action a;
	uint64_t t = T0;

	t_client(&c, false, 13);
	dhcp_client_start(&c, t, 0); /* 3 actions */
	/* 16 retransmissions never popped: 19 queued, 16 kept. */
	for (int i = 0; i < 16; i++) {
		t = dhcp_client_next_deadline(&c);
		dhcp_client_timer(&c, t);
	}
	ck_assert_uint_eq(c.nactions, DHCP_ACTIONS_MAX);
	ck_assert_uint_eq(c.actions_dropped, 3);
	/* The oldest left is the first retransmission (secs 4 +- 1). */
	ck_assert(dhcp_client_pop(&c, &a));
	ck_assert_int_eq(a.type, DHCP_A_SEND);
	ck_assert_uint_ge(a.out.secs, 3);
	ck_assert_uint_le(a.out.secs, 5);
	int n = 1;
	while (dhcp_client_pop(&c, &a))
		n++;
	ck_assert_int_eq(n, DHCP_ACTIONS_MAX);
	ck_assert_uint_eq(a.out.secs, (t - T0) / SEC);

	/* Exactly full: nothing dropped. */
	t_client(&c, false, 13);
	dhcp_client_start(&c, T0, 0);
	for (int i = 0; i < DHCP_ACTIONS_MAX - 3; i++)
		dhcp_client_timer(&c, dhcp_client_next_deadline(&c));
	ck_assert_uint_eq(c.nactions, DHCP_ACTIONS_MAX);
	ck_assert_uint_eq(c.actions_dropped, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dhcp");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_transition_table_allows_exactly_the_rfc_moves);
	tcase_add_test(tc, test_discover_offer_request_ack_checking_bound);
	tcase_add_test(tc, test_ack_without_arp_check_binds_at_once);
	tcase_add_test(tc, test_configured_client_id_and_no_hostname_or_size);
	tcase_add_test(tc, test_discover_retransmits_4_8_16_32_64_with_jitter);
	tcase_add_test(tc, test_secs_is_capped_at_65535);
	tcase_add_test(tc, test_requesting_gives_up_after_four_requests);
	tcase_add_test(tc, test_t1_renews_unicast_to_the_server);
	tcase_add_test(tc, test_t2_rebinds_by_broadcast_then_expires);
	tcase_add_test(tc,
		       test_late_timer_crosses_t1_t2_and_expiry_in_one_call);
	tcase_add_test(tc, test_renewal_with_same_address_only_configures);
	tcase_add_test(tc, test_renewal_without_mask_keeps_the_prefix);
	tcase_add_test(tc, test_renewal_with_new_address_unconfigures_the_old);
	tcase_add_test(tc, test_renewal_with_new_prefix_unconfigures_the_old);
	tcase_add_test(tc, test_rebinding_ack_from_another_server_takes_it);
	tcase_add_test(tc, test_renewing_ack_from_another_server_is_ignored);
	tcase_add_test(tc, test_nak_in_requesting_restarts);
	tcase_add_test(tc, test_nak_in_renewing_drops_the_lease);
	tcase_add_test(
	    tc, test_nak_while_rebinding_from_any_server_drops_the_address);
	tcase_add_test(tc, test_nak_in_other_states_is_ignored);
	tcase_add_test(tc, test_naks_in_a_row_back_off_up_to_64_s);
	tcase_add_test(tc,
		       test_conflict_while_checking_declines_and_waits_10_s);
	tcase_add_test(tc, test_tenth_decline_in_a_row_waits_60_s);
	tcase_add_test(tc, test_conflict_when_bound_is_only_logged);
	tcase_add_test(tc, test_conflict_when_bound_is_noted_once_per_interval);
	tcase_add_test(tc, test_init_reboot_ack_binds_without_probing);
	tcase_add_test(tc, test_init_reboot_nak_starts_over);
	tcase_add_test(
	    tc, test_init_reboot_without_answer_falls_to_init_after_10_s);
	tcase_add_test(tc, test_start_with_unusable_reboot_address_discovers);
	tcase_add_loop_test(
	    tc, test_lease_times_are_corrected_and_logged, 0,
	    (int)(sizeof(times_cases) / sizeof(times_cases[0])));
	tcase_add_test(tc, test_infinite_lease_never_renews);
	tcase_add_test(tc, test_long_lease_times_do_not_overflow);
	tcase_add_test(tc, test_prefix_from_mask_else_class_default);
	tcase_add_test(tc, test_wrong_xid_chaddr_or_type_is_ignored);
	tcase_add_test(tc,
		       test_stop_with_release_sends_release_and_unconfigures);
	tcase_add_test(tc, test_stop_without_release_or_lease_sends_nothing);
	tcase_add_test(tc, test_same_seed_same_life);
	tcase_add_test(tc, test_full_action_queue_drops_the_oldest);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
