/*
 * dhcp.c - the DHCP client state machine of one interface (RFC 2131)
 *
 * Theory of operation. The client is a set of states (enum dhcp_state)
 * and one function, dhcp_client_transition(), that is the only place
 * the state is assigned: it checks the move against the table below,
 * queues DHCP_A_STATE (from, to) for the log, and runs the new state's
 * entry actions (a new transaction id, the first message, the timer).
 * Everything else - received messages, the timer, an ARP conflict -
 * decides which move to make and with which lease.
 *
 *   STOPPED     -> INIT, INIT-REBOOT                      (start)
 *   INIT        -> SELECTING (DISCOVER sent: at once, or after a wait)
 *   SELECTING   -> REQUESTING (the first valid OFFER taken)
 *   REQUESTING  -> CHECKING (ACK, arp_check), BOUND (ACK),
 *                  INIT (NAK; no ACK after DHCP_REQUEST_TRIES_MAX)
 *   CHECKING    -> BOUND (probes unanswered), INIT (conflict: DECLINE)
 *   BOUND       -> RENEWING (T1)
 *   RENEWING    -> BOUND (ACK), REBINDING (T2), INIT (NAK)
 *   REBINDING   -> BOUND (ACK), INIT (NAK, expiry)
 *   INIT-REBOOT -> REBOOTING (REQUEST for the saved address sent)
 *   REBOOTING   -> BOUND (ACK), INIT (NAK; DHCP_REBOOT_TIMEOUT_NS)
 *   any but STOPPED -> STOPPED                             (stop)
 *
 * Invariants: have_lease is true exactly while an applied lease is in
 * `lease` (BOUND, RENEWING, REBINDING). DHCP_A_CONFIGURE is queued for
 * every ACK applied; DHCP_A_UNCONFIGURE (with the old address) when a
 * lease is dropped (NAK, expiry, a renewal with another address or
 * prefix, stop with release) - a stop without release leaves the
 * address to the caller. A renewal that keeps the address and prefix
 * queues only CONFIGURE (the glue applies the difference), so the
 * address is never removed and added back; an ACK to a renewal without
 * a subnet mask keeps the lease's prefix. A refused move queues a NOTE
 * and changes nothing; the timer then stops rather than spin.
 *
 * Replies count only when their xid and chaddr are ours and the state
 * expects their type; in REQUESTING and RENEWING an ACK or NAK whose
 * server identifier is not the server asked is ignored, in REBOOTING
 * and REBINDING any server may answer. Lease times: 51 below
 * DHCP_LEASE_MIN_S (or missing) is raised to it; T1/T2 default to 0.5
 * and 0.875 of the lease and are corrected until 1 <= T1 < T2 < lease
 * (T2 -> 0.875 lease, T1 -> 0.5 lease or else T2 / 2), each correction
 * counted and noted; an infinite lease has no T1, T2 or expiry.
 *
 * Choices where RFC 2131 leaves room (as dhcpcd and systemd-networkd):
 * no random 1..10 s wait before the first DISCOVER (3.1 SHOULD), but
 * 10 s after a DECLINE (60 s after DHCP_CONFLICTS_MAX in a row, RFC
 * 5227 2.1.1); the first NAK restarts at once, NAKs in a row back off
 * 1, 2, 4 ... 64 s. SELECTING takes the first valid OFFER (yiaddr a
 * unicast address, a server identifier) and retransmits the DISCOVER
 * for ever. Retransmissions are 4, 8, 16, 32, 64, 64 ... s apart, each
 * +-1 s uniform jitter (4.1), with the same xid; RENEWING/REBINDING
 * retransmit after half the time left to T2 / expiry, at least 60 s
 * (4.4.5). A lease counts from the latest REQUEST sent of the exchange
 * that got the ACK. CHECKING sends DHCP_PROBE_NUM ARP probes 1..2 s
 * apart, the first at once, then waits DHCP_ANNOUNCE_WAIT_NS. REBOOTING
 * gives up DHCP_REBOOT_TIMEOUT_NS after its first REQUEST (so two are
 * sent), since a server without a record of us stays silent (4.3.2).
 *
 * Randomness is the stack's generator (rng.h) with a state of the
 * client's own, seeded from the seed given at init, so the same seed
 * and inputs give the same messages and times.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dhcp.h"

#define BROADCAST_ADDR 0xffffffffu

static const char *const state_names[DHCP_S_COUNT] = {
    [DHCP_S_STOPPED] = "STOPPED",	  [DHCP_S_INIT] = "INIT",
    [DHCP_S_SELECTING] = "SELECTING",	  [DHCP_S_REQUESTING] = "REQUESTING",
    [DHCP_S_CHECKING] = "CHECKING",	  [DHCP_S_BOUND] = "BOUND",
    [DHCP_S_RENEWING] = "RENEWING",	  [DHCP_S_REBINDING] = "REBINDING",
    [DHCP_S_INIT_REBOOT] = "INIT-REBOOT", [DHCP_S_REBOOTING] = "REBOOTING",
};

#define TO(s)	 (1u << (s))
#define STOPPING TO(DHCP_S_STOPPED)

/* allowed_moves[from]: the states `from` may move to (the table in the
 * comment at the top). */
static const uint32_t allowed_moves[DHCP_S_COUNT] = {
    [DHCP_S_STOPPED] = TO(DHCP_S_INIT) | TO(DHCP_S_INIT_REBOOT),
    [DHCP_S_INIT] = TO(DHCP_S_SELECTING) | STOPPING,
    [DHCP_S_SELECTING] = TO(DHCP_S_REQUESTING) | STOPPING,
    [DHCP_S_REQUESTING] =
	TO(DHCP_S_CHECKING) | TO(DHCP_S_BOUND) | TO(DHCP_S_INIT) | STOPPING,
    [DHCP_S_CHECKING] = TO(DHCP_S_BOUND) | TO(DHCP_S_INIT) | STOPPING,
    [DHCP_S_BOUND] = TO(DHCP_S_RENEWING) | STOPPING,
    [DHCP_S_RENEWING] =
	TO(DHCP_S_BOUND) | TO(DHCP_S_REBINDING) | TO(DHCP_S_INIT) | STOPPING,
    [DHCP_S_REBINDING] = TO(DHCP_S_BOUND) | TO(DHCP_S_INIT) | STOPPING,
    [DHCP_S_INIT_REBOOT] = TO(DHCP_S_REBOOTING) | STOPPING,
    [DHCP_S_REBOOTING] = TO(DHCP_S_BOUND) | TO(DHCP_S_INIT) | STOPPING,
};

const char *dhcp_state_name(enum dhcp_state st)
{
	if ((unsigned)st >= DHCP_S_COUNT)
		return "?";
	return state_names[st];
}

bool dhcp_transition_allowed(enum dhcp_state from, enum dhcp_state to)
{
	if ((unsigned)from >= DHCP_S_COUNT || (unsigned)to >= DHCP_S_COUNT)
		return false;
	return (allowed_moves[from] & TO(to)) != 0;
}

/* ---- randomness (rng.h) ------------------------------------------ */

/* Uniform in [0, n]. */
static uint64_t rng_upto(struct dhcp_client *c, uint64_t n)
{
	if (n == UINT64_MAX)
		return rng_next(&c->rng);
	return rng_next(&c->rng) % (n + 1);
}

/* ---- small helpers ------------------------------------------------ */

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* A host address a server may hand out: not 0/8, 127/8, class D or E
 * or the broadcast address. */
static bool addr_is_unicast(uint32_t a)
{
	uint32_t top = a >> 24;
	return top != 0 && top != 127 && top < 224;
}

static void addr_text(char buf[16], uint32_t a)
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xffu,
		 (a >> 8) & 0xffu, a & 0xffu);
}

/* The end of a time of `s` seconds from start; DHCP_INFINITE: never. */
static uint64_t lease_at(uint64_t start_ns, uint32_t s)
{
	if (s == DHCP_INFINITE)
		return UINT64_MAX;
	return add_sat(start_ns, (uint64_t)s * DHCP_SEC_NS);
}

static uint64_t t1_at(const struct dhcp_lease *l)
{
	return lease_at(l->start_ns, l->t1_s);
}

static uint64_t t2_at(const struct dhcp_lease *l)
{
	return lease_at(l->start_ns, l->t2_s);
}

static uint64_t expiry_at(const struct dhcp_lease *l)
{
	return lease_at(l->start_ns, l->lease_s);
}

/* ---- the action queue --------------------------------------------- */

/* A fresh action at the queue's tail; when full, the oldest is dropped
 * (and counted) to make room: the newest say what holds now. */
static struct dhcp_action *push(struct dhcp_client *c,
				enum dhcp_action_type type)
{
	struct dhcp_action *a;

	if (c->nactions == DHCP_ACTIONS_MAX) {
		c->action_head = (c->action_head + 1) % DHCP_ACTIONS_MAX;
		c->nactions--;
		c->actions_dropped++;
	}
	a = &c->actions[(c->action_head + c->nactions) % DHCP_ACTIONS_MAX];
	c->nactions++;
	memset(a, 0, sizeof(*a));
	a->type = type;
	return a;
}

static void note(struct dhcp_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void note(struct dhcp_client *c, const char *fmt, ...)
{
	struct dhcp_action *a = push(c, DHCP_A_NOTE);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->text, sizeof(a->text), fmt, ap);
	va_end(ap);
}

static void queue_addr(struct dhcp_client *c, enum dhcp_action_type type,
		       uint32_t addr)
{
	push(c, type)->addr = addr;
}

bool dhcp_client_pop(struct dhcp_client *c, struct dhcp_action *a)
{
	if (c->nactions == 0)
		return false;
	*a = c->actions[c->action_head];
	c->action_head = (c->action_head + 1) % DHCP_ACTIONS_MAX;
	c->nactions--;
	return true;
}

/* ---- building messages -------------------------------------------- */

/* A message of `type` with what every message carries: xid, chaddr,
 * client identifier. */
static struct dhcp_out *out_base(struct dhcp_client *c, uint8_t type)
{
	struct dhcp_out *o = &push(c, DHCP_A_SEND)->out;

	o->type = type;
	o->xid = c->xid;
	memcpy(o->chaddr, c->cfg.mac, 6);
	if (c->cfg.client_id_len > 0) {
		memcpy(o->client_id, c->cfg.client_id, c->cfg.client_id_len);
		o->client_id_len = c->cfg.client_id_len;
	} else {
		o->client_id[0] = 1; /* hardware type: Ethernet */
		memcpy(o->client_id + 1, c->cfg.mac, 6);
		o->client_id_len = 7;
	}
	c->stats.tx[type]++;
	return o;
}

/* DISCOVER and REQUEST also carry secs, the hostname, the maximum
 * message size and the parameter request list. */
static struct dhcp_out *out_query(struct dhcp_client *c, uint64_t now,
				  uint8_t type)
{
	struct dhcp_out *o = out_base(c, type);
	uint64_t secs = (now - c->xid_start_ns) / DHCP_SEC_NS;

	o->secs = (uint16_t)(secs > 0xffff ? 0xffff : secs);
	memcpy(o->hostname, c->cfg.hostname, sizeof(o->hostname));
	o->max_msg_size = c->cfg.max_msg_size;
	o->param_list = true;
	return o;
}

/* RFC 2131 4.4.1: DISCOVER, broadcast from 0.0.0.0. */
static void send_discover(struct dhcp_client *c, uint64_t now)
{
	struct dhcp_out *o = out_query(c, now, DHCPDISCOVER);

	o->broadcast = true;
	o->dst = BROADCAST_ADDR;
}

/* The REQUEST of the current state (RFC 2131 4.3.2, Table 5). */
static void send_request(struct dhcp_client *c, uint64_t now)
{
	struct dhcp_out *o = out_query(c, now, DHCPREQUEST);

	switch (c->state) {
	case DHCP_S_REQUESTING: /* SELECTING's answer: 50 and 54 */
		o->broadcast = true;
		o->requested_addr = c->offer.addr;
		o->server_id = c->offer.server_id;
		o->dst = BROADCAST_ADDR;
		break;
	case DHCP_S_REBOOTING: /* 50 only, ciaddr 0 */
		o->broadcast = true;
		o->requested_addr = c->reboot_addr;
		o->dst = BROADCAST_ADDR;
		break;
	case DHCP_S_RENEWING: /* ciaddr, unicast to the server */
		o->ciaddr = c->lease.addr;
		o->src = c->lease.addr;
		o->dst = addr_is_unicast(c->lease.server_id)
			     ? c->lease.server_id
			     : BROADCAST_ADDR;
		break;
	default: /* REBINDING: ciaddr, broadcast */
		o->ciaddr = c->lease.addr;
		o->src = c->lease.addr;
		o->dst = BROADCAST_ADDR;
		break;
	}
	c->request_sent_ns = now;
}

/* RFC 2131 4.4.1: the offered address is in use. */
static void send_decline(struct dhcp_client *c)
{
	struct dhcp_out *o = out_base(c, DHCPDECLINE);

	o->requested_addr = c->offer.addr;
	o->server_id = c->offer.server_id;
	snprintf(o->message, sizeof(o->message),
		 "address in use (ARP probe answered)");
	o->dst = BROADCAST_ADDR;
}

/* RFC 2131 4.4.6: give the lease back, unicast to its server. */
static void send_release(struct dhcp_client *c)
{
	struct dhcp_out *o;

	c->xid = (uint32_t)(rng_next(&c->rng) >> 32);
	o = out_base(c, DHCPRELEASE);
	o->ciaddr = c->lease.addr;
	o->server_id = c->lease.server_id;
	o->src = c->lease.addr;
	o->dst = c->lease.server_id;
}

/* The n-th (1-based) retransmission interval of RFC 2131 4.1: 4 s
 * doubled up to 64 s, +-1 s uniform. */
static uint64_t backoff_ns(struct dhcp_client *c, uint32_t n)
{
	uint64_t base = DHCP_RETRANSMIT_FIRST_NS;

	for (uint32_t i = 1; i < n && base < DHCP_RETRANSMIT_MAX_NS; i++)
		base *= 2;
	if (base > DHCP_RETRANSMIT_MAX_NS)
		base = DHCP_RETRANSMIT_MAX_NS;
	c->retransmit_ns =
	    base - DHCP_JITTER_NS + rng_upto(c, 2 * DHCP_JITTER_NS);
	return c->retransmit_ns;
}

/* RFC 2131 4.4.5: the next REQUEST of RENEWING/REBINDING goes after
 * half the time left to `until`, at least 60 s; never past `until`. */
static uint64_t renew_deadline(uint64_t now, uint64_t until)
{
	uint64_t left = until > now ? until - now : 0;
	uint64_t wait = left / 2;

	if (wait < DHCP_RENEW_RETRANSMIT_MIN_NS)
		wait = DHCP_RENEW_RETRANSMIT_MIN_NS;
	return min_u64(add_sat(now, wait), until);
}

/* The wait between two ARP probes (RFC 5227 2.1.1): uniform 1..2 s. */
static uint64_t probe_gap_ns(struct dhcp_client *c)
{
	return DHCP_PROBE_MIN_NS +
	       rng_upto(c, DHCP_PROBE_MAX_NS - DHCP_PROBE_MIN_NS);
}

static void new_exchange(struct dhcp_client *c, uint64_t now)
{
	c->xid = (uint32_t)(rng_next(&c->rng) >> 32);
	c->xid_start_ns = now;
	c->tries = 0;
}

/* ---- the transition function -------------------------------------- */

int dhcp_client_transition(struct dhcp_client *c, uint64_t now,
			   enum dhcp_state to)
{
	enum dhcp_state from = c->state;
	struct dhcp_action *a;
	uint64_t wait, until;

	if (!dhcp_transition_allowed(from, to)) {
		c->transitions_refused++;
		note(c, "refused transition %s -> %s", dhcp_state_name(from),
		     dhcp_state_name(to));
		return -EPERM;
	}
	a = push(c, DHCP_A_STATE);
	a->from = from;
	a->to = to;
	c->state = to;

	switch (to) {
	case DHCP_S_STOPPED:
		c->deadline = UINT64_MAX;
		break;
	case DHCP_S_INIT:
		wait = c->init_wait_ns;
		c->init_wait_ns = 0;
		if (wait == 0)
			return dhcp_client_transition(c, now, DHCP_S_SELECTING);
		c->deadline = add_sat(now, wait);
		break;
	case DHCP_S_SELECTING:
		new_exchange(c, now);
		memset(&c->offer, 0, sizeof(c->offer));
		send_discover(c, now);
		c->tries = 1;
		c->deadline = add_sat(now, backoff_ns(c, c->tries));
		break;
	case DHCP_S_REQUESTING: /* the OFFER's xid and start are kept */
		c->tries = 1;
		send_request(c, now);
		c->deadline = add_sat(now, backoff_ns(c, c->tries));
		break;
	case DHCP_S_CHECKING:
		c->tries = 1;
		queue_addr(c, DHCP_A_ARP_PROBE, c->offer.addr);
		c->deadline = add_sat(now, probe_gap_ns(c));
		break;
	case DHCP_S_BOUND:
		c->nak_streak = 0;
		c->decline_streak = 0;
		c->deadline = t1_at(&c->lease);
		break;
	case DHCP_S_RENEWING:  /* (a late timer: already past T2?) */
	case DHCP_S_REBINDING: /* (a late timer: already expired?) */
		until = to == DHCP_S_RENEWING ? t2_at(&c->lease)
					      : expiry_at(&c->lease);
		new_exchange(c, now);
		if (now >= until) {
			c->deadline = now;
			break;
		}
		c->tries = 1;
		send_request(c, now);
		c->deadline = renew_deadline(now, until);
		break;
	case DHCP_S_INIT_REBOOT:
		return dhcp_client_transition(c, now, DHCP_S_REBOOTING);
	case DHCP_S_REBOOTING:
		new_exchange(c, now);
		c->tries = 1;
		send_request(c, now);
		c->deadline = min_u64(add_sat(now, backoff_ns(c, c->tries)),
				      add_sat(now, DHCP_REBOOT_TIMEOUT_NS));
		break;
	case DHCP_S_COUNT:
		break;
	}
	return 0;
}

/* ---- leases --------------------------------------------------------- */

/* The prefix length of a contiguous mask; -1 for any other. */
static int mask_prefix(uint32_t mask)
{
	uint32_t host = ~mask;
	int n = 0;

	if ((host & (host + 1)) != 0)
		return -1;
	while (mask != 0) {
		n++;
		mask <<= 1;
	}
	return n;
}

static uint8_t class_prefix(uint32_t addr)
{
	uint32_t top = addr >> 24;
	return top < 128 ? 8 : top < 192 ? 16 : 24;
}

static void correction(struct dhcp_client *c, const char *what, uint32_t bad,
		       uint32_t used)
{
	c->stats.corrections++;
	note(c, "bogus %s %u s: using %u s", what, bad, used);
}

/* The lease times as used (RFC 2131 4.4.5): 51, else (and below
 * DHCP_LEASE_MIN_S) the minimum; 58/59, else 0.5 and 0.875 of it;
 * corrected until 1 <= t1 < t2 < lease; infinite: no T1/T2. */
static void lease_times(struct dhcp_client *c, struct dhcp_lease *l,
			const struct dhcp_options *o)
{
	uint32_t lease = o->lease_s, t1, t2;

	if (!dhcp_has(o, DHCP_OPT_LEASE_TIME)) {
		c->stats.corrections++;
		note(c, "no lease time: using %u s", DHCP_LEASE_MIN_S);
		lease = DHCP_LEASE_MIN_S;
	} else if (lease < DHCP_LEASE_MIN_S) {
		correction(c, "lease time", lease, DHCP_LEASE_MIN_S);
		lease = DHCP_LEASE_MIN_S;
	}
	l->lease_s = lease;
	if (lease == DHCP_INFINITE) {
		l->t1_s = l->t2_s = DHCP_INFINITE;
		return;
	}
	t2 = (uint32_t)((uint64_t)lease * 7 / 8);
	if (dhcp_has(o, DHCP_OPT_T2)) {
		if (o->t2_s >= 2 && o->t2_s < lease)
			t2 = o->t2_s;
		else
			correction(c, "T2", o->t2_s, t2);
	}
	t1 = lease / 2;
	if (dhcp_has(o, DHCP_OPT_T1))
		t1 = o->t1_s;
	if (t1 == 0 || t1 >= t2) {
		uint32_t fixed = lease / 2 < t2 ? lease / 2 : t2 / 2;
		correction(c, "T1", t1, fixed);
		t1 = fixed;
	}
	l->t1_s = t1;
	l->t2_s = t2;
}

/* Fills c->offer from an ACK: the address, prefix, server, corrected
 * times and every option; the lease counts from the REQUEST. */
static void lease_from_ack(struct dhcp_client *c, const struct dhcp_msg *m,
			   uint32_t server_id)
{
	struct dhcp_lease *l = &c->offer;
	char a[16];
	int prefix = -1;

	l->addr = m->yiaddr;
	l->server_id = server_id;
	l->start_ns = c->request_sent_ns;
	l->opt = m->opt;
	lease_times(c, l, &m->opt);
	if (dhcp_has(&m->opt, DHCP_OPT_SUBNET_MASK))
		prefix = mask_prefix(m->opt.subnet_mask);
	else if (c->have_lease && c->lease.addr == l->addr)
		prefix = c->lease.prefix_len; /* a renewal without 1 */
	if (prefix <= 0) {
		l->prefix_len = class_prefix(l->addr);
		addr_text(a, m->opt.subnet_mask);
		if (dhcp_has(&m->opt, DHCP_OPT_SUBNET_MASK))
			note(c, "bad subnet mask %s: using /%u", a,
			     l->prefix_len);
		else
			note(c, "no subnet mask: using /%u", l->prefix_len);
	} else {
		l->prefix_len = (uint8_t)prefix;
	}
}

/* Makes c->offer the lease in use: CONFIGURE (after UNCONFIGURE of an
 * old lease whose address or prefix differ). */
static void apply_offer(struct dhcp_client *c)
{
	if (c->have_lease && (c->lease.addr != c->offer.addr ||
			      c->lease.prefix_len != c->offer.prefix_len))
		queue_addr(c, DHCP_A_UNCONFIGURE, c->lease.addr);
	c->lease = c->offer;
	c->have_lease = true;
	push(c, DHCP_A_CONFIGURE);
}

/* The lease is gone (NAK, expiry, release): UNCONFIGURE it. */
static void drop_lease(struct dhcp_client *c)
{
	if (!c->have_lease)
		return;
	queue_addr(c, DHCP_A_UNCONFIGURE, c->lease.addr);
	c->have_lease = false;
}

/* ---- entry points --------------------------------------------------- */

void dhcp_client_init(struct dhcp_client *c,
		      const struct dhcp_client_config *cfg, uint64_t seed)
{
	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	if (c->cfg.client_id_len > DHCP_CLIENT_ID_MAX)
		c->cfg.client_id_len = DHCP_CLIENT_ID_MAX;
	c->cfg.hostname[DHCP_HOSTNAME_MAX - 1] = '\0';
	c->state = DHCP_S_STOPPED;
	c->deadline = UINT64_MAX;
	rng_seed(&c->rng, seed);
}

void dhcp_client_start(struct dhcp_client *c, uint64_t now,
		       uint32_t reboot_addr)
{
	if (c->state != DHCP_S_STOPPED)
		return;
	c->have_lease = false;
	c->init_wait_ns = 0;
	c->nak_streak = 0;
	c->decline_streak = 0;
	if (addr_is_unicast(reboot_addr)) {
		c->reboot_addr = reboot_addr;
		dhcp_client_transition(c, now, DHCP_S_INIT_REBOOT);
	} else {
		c->reboot_addr = 0;
		dhcp_client_transition(c, now, DHCP_S_INIT);
	}
}

void dhcp_client_stop(struct dhcp_client *c, uint64_t now, bool release)
{
	if (c->state == DHCP_S_STOPPED)
		return;
	if (c->have_lease && release) {
		if (addr_is_unicast(c->lease.server_id))
			send_release(c);
		drop_lease(c);
	}
	c->have_lease = false;
	dhcp_client_transition(c, now, DHCP_S_STOPPED);
}

/* SELECTING: the first valid OFFER is taken (RFC 2131 4.4.1). */
static bool take_offer(struct dhcp_client *c, uint64_t now,
		       const struct dhcp_msg *m)
{
	if (!addr_is_unicast(m->yiaddr) ||
	    !dhcp_has(&m->opt, DHCP_OPT_SERVER_ID) ||
	    !addr_is_unicast(m->opt.server_id))
		return false;
	c->offer.addr = m->yiaddr;
	c->offer.server_id = m->opt.server_id;
	c->offer.opt = m->opt;
	dhcp_client_transition(c, now, DHCP_S_REQUESTING);
	return true;
}

/* The server a reply in this state must come from, 0 for any. */
static uint32_t expected_server(const struct dhcp_client *c)
{
	if (c->state == DHCP_S_REQUESTING)
		return c->offer.server_id;
	if (c->state == DHCP_S_RENEWING)
		return c->lease.server_id;
	return 0;
}

/* An ACK in REQUESTING, REBOOTING, RENEWING or REBINDING. */
static bool take_ack(struct dhcp_client *c, uint64_t now,
		     const struct dhcp_msg *m, uint32_t src)
{
	uint32_t want = expected_server(c), server = src;

	if (!addr_is_unicast(m->yiaddr))
		return false;
	if (dhcp_has(&m->opt, DHCP_OPT_SERVER_ID)) {
		if (want != 0 && m->opt.server_id != want)
			return false;
		server = m->opt.server_id;
	} else if (want != 0) {
		server = want;
	} else if (c->have_lease && !addr_is_unicast(server)) {
		server = c->lease.server_id;
	}
	lease_from_ack(c, m, server);
	if (c->state == DHCP_S_REQUESTING && c->cfg.arp_check) {
		dhcp_client_transition(c, now, DHCP_S_CHECKING);
		return true;
	}
	apply_offer(c);
	dhcp_client_transition(c, now, DHCP_S_BOUND);
	return true;
}

/* A NAK in REQUESTING, REBOOTING, RENEWING or REBINDING: back to INIT,
 * without the lease. */
static bool take_nak(struct dhcp_client *c, uint64_t now,
		     const struct dhcp_msg *m, uint32_t src)
{
	uint32_t want = expected_server(c);
	uint32_t server =
	    dhcp_has(&m->opt, DHCP_OPT_SERVER_ID) ? m->opt.server_id : src;
	char a[16];

	if (want != 0 && dhcp_has(&m->opt, DHCP_OPT_SERVER_ID) &&
	    m->opt.server_id != want)
		return false;
	c->stats.naks++;
	addr_text(a, server);
	note(c, "DHCPNAK from %s: %.60s", a, m->opt.message);
	drop_lease(c);
	if (c->nak_streak > 0) {
		uint64_t wait =
		    DHCP_SEC_NS
		    << (c->nak_streak - 1 < 6 ? c->nak_streak - 1 : 6);
		c->init_wait_ns = min_u64(wait, DHCP_NAK_WAIT_MAX_NS);
	}
	c->nak_streak++;
	dhcp_client_transition(c, now, DHCP_S_INIT);
	return true;
}

void dhcp_client_input(struct dhcp_client *c, uint64_t now,
		       const struct dhcp_msg *m, uint32_t src)
{
	bool taken = false;
	uint8_t type = m->opt.msg_type;

	if (m->xid != c->xid || memcmp(m->chaddr, c->cfg.mac, 6) != 0 ||
	    c->state == DHCP_S_STOPPED) {
		c->stats.rx_ignored++;
		return;
	}
	switch (c->state) {
	case DHCP_S_SELECTING:
		if (type == DHCPOFFER)
			taken = take_offer(c, now, m);
		break;
	case DHCP_S_REQUESTING:
	case DHCP_S_REBOOTING:
	case DHCP_S_RENEWING:
	case DHCP_S_REBINDING:
		if (type == DHCPACK)
			taken = take_ack(c, now, m, src);
		else if (type == DHCPNAK)
			taken = take_nak(c, now, m, src);
		break;
	default:
		break;
	}
	if (!taken) {
		c->stats.rx_ignored++;
		return;
	}
	c->stats.rx[type]++;
}

void dhcp_client_arp_conflict(struct dhcp_client *c, uint64_t now,
			      uint32_t addr)
{
	char a[16];

	addr_text(a, addr);
	if (c->state == DHCP_S_CHECKING && addr == c->offer.addr) {
		/* RFC 2131 4.4.1, RFC 5227 2.1.1 */
		send_decline(c);
		c->stats.declines++;
		c->decline_streak++;
		note(c, "%s is in use: declined", a);
		c->init_wait_ns = c->decline_streak >= DHCP_CONFLICTS_MAX
				      ? DHCP_RATE_LIMIT_WAIT_NS
				      : DHCP_DECLINE_WAIT_NS;
		dhcp_client_transition(c, now, DHCP_S_INIT);
	} else if (c->have_lease && addr == c->lease.addr) {
		/* RFC 5227 2.4 (b): defend by keeping it; log only, at most
		 * once per DHCP_DEFEND_INTERVAL_NS: a host that keeps
		 * claiming the address floods neither the log nor the
		 * caller's reports (where a LEASE could be pushed out). */
		if (c->conflict_noted && now < add_sat(c->conflict_noted_ns,
						       DHCP_DEFEND_INTERVAL_NS))
			return;
		c->conflict_noted = true;
		c->conflict_noted_ns = now;
		note(c, "address conflict on %s: keeping it", a);
	}
}

/* One due event of the current state (deadline <= now). */
static void run_due(struct dhcp_client *c, uint64_t now)
{
	switch (c->state) {
	case DHCP_S_INIT:
		dhcp_client_transition(c, now, DHCP_S_SELECTING);
		break;
	case DHCP_S_SELECTING:
		c->stats.retransmits++;
		send_discover(c, now);
		c->tries++;
		c->deadline = add_sat(now, backoff_ns(c, c->tries));
		break;
	case DHCP_S_REQUESTING:
		if (c->tries >= DHCP_REQUEST_TRIES_MAX) {
			note(c, "no answer to %u REQUESTs: starting over",
			     c->tries);
			dhcp_client_transition(c, now, DHCP_S_INIT);
			break;
		}
		c->stats.retransmits++;
		send_request(c, now);
		c->tries++;
		c->deadline = add_sat(now, backoff_ns(c, c->tries));
		break;
	case DHCP_S_REBOOTING:
		if (now >= add_sat(c->xid_start_ns, DHCP_REBOOT_TIMEOUT_NS)) {
			note(c, "no answer to INIT-REBOOT: starting over");
			dhcp_client_transition(c, now, DHCP_S_INIT);
			break;
		}
		c->stats.retransmits++;
		send_request(c, now);
		c->tries++;
		c->deadline =
		    min_u64(add_sat(now, backoff_ns(c, c->tries)),
			    add_sat(c->xid_start_ns, DHCP_REBOOT_TIMEOUT_NS));
		break;
	case DHCP_S_CHECKING:
		if (c->tries < DHCP_PROBE_NUM) {
			queue_addr(c, DHCP_A_ARP_PROBE, c->offer.addr);
			c->tries++;
			if (c->tries < DHCP_PROBE_NUM)
				c->deadline = add_sat(now, probe_gap_ns(c));
			else
				c->deadline =
				    add_sat(now, DHCP_ANNOUNCE_WAIT_NS);
			break;
		}
		apply_offer(c);
		dhcp_client_transition(c, now, DHCP_S_BOUND);
		break;
	case DHCP_S_BOUND:
		dhcp_client_transition(c, now, DHCP_S_RENEWING);
		break;
	case DHCP_S_RENEWING:
		if (now >= t2_at(&c->lease)) {
			dhcp_client_transition(c, now, DHCP_S_REBINDING);
			break;
		}
		c->stats.retransmits++;
		send_request(c, now);
		c->tries++;
		c->deadline = renew_deadline(now, t2_at(&c->lease));
		break;
	case DHCP_S_REBINDING:
		if (now >= expiry_at(&c->lease)) {
			char a[16];
			addr_text(a, c->lease.addr);
			note(c, "lease of %s expired", a);
			c->stats.expiries++;
			drop_lease(c);
			dhcp_client_transition(c, now, DHCP_S_INIT);
			break;
		}
		c->stats.retransmits++;
		send_request(c, now);
		c->tries++;
		c->deadline = renew_deadline(now, expiry_at(&c->lease));
		break;
	default:
		c->deadline = UINT64_MAX;
		break;
	}
}

void dhcp_client_timer(struct dhcp_client *c, uint64_t now)
{
	uint64_t refused = c->transitions_refused;

	/* A late call may cross several deadlines (T1, T2 and expiry):
	 * each is run in turn, the states' messages with it. A refused
	 * move (a bug, logged) would leave the deadline due for ever: the
	 * timer is stopped instead of spinning. */
	for (int i = 0; i < 8 && c->deadline <= now; i++) {
		run_due(c, now);
		if (c->transitions_refused != refused) {
			c->deadline = UINT64_MAX;
			break;
		}
	}
}

uint64_t dhcp_client_next_deadline(const struct dhcp_client *c)
{
	return c->deadline;
}

const struct dhcp_lease *dhcp_client_lease(const struct dhcp_client *c)
{
	if (!c->have_lease)
		return NULL;
	return &c->lease;
}
