/*
 * arp.c - ARP resolution and cache (RFC 826, RFC 5227 announcements
 * and probes)
 *
 * The cache holds at most arp_cache_max entries for all interfaces,
 * found through a hash table on (interface, address). An entry is
 *
 *   INCOMPLETE  a request is out; up to arp_hold_max IPv4 packets wait
 *               on it (beyond that the oldest is dropped, counted). A
 *               request is re-sent every arp_retry_ns; after
 *               arp_retries requests the entry goes and its packets are
 *               dropped and counted (arp_hold_drop_timeout); each is
 *               first reported to its socket as "host unreachable"
 *               (icmp_local_unreachable), as Linux reports a failed
 *               neighbour, so a connect fails with EHOSTUNREACH after
 *               about arp_retries * arp_retry_ns, not its own timeout.
 *   REACHABLE   the MAC is known until `deadline` (arp_reachable_ns
 *               after the last confirmation). Used within the last
 *               arp_retry_ns * arp_retries before expiry, it is
 *               refreshed with a unicast request so traffic never
 *               stalls on re-resolution; otherwise it ages out.
 *
 * Only a request or reply aimed at one of our addresses creates an
 * entry (RFC 826's "merge" rule: other ARP traffic only updates entries
 * that already exist), so a flood of foreign ARP cannot fill the cache.
 * When the cache is full, the least recently used entry is evicted
 * (counted) to make room.
 */
#include <errno.h>
#include <stdlib.h>

#include "stack_internal.h"

static const uint8_t mac_broadcast[ETH_ADDR_LEN] = {0xff, 0xff, 0xff,
						    0xff, 0xff, 0xff};
static const uint8_t mac_zero[ETH_ADDR_LEN];

static const char *const arp_state_names[] = {
    [ARP_INCOMPLETE] = "incomplete",
    [ARP_REACHABLE] = "reachable",
    [ARP_STATIC] = "static",
};

const char *arp_state_name(enum arp_state st)
{
	if ((unsigned)st >= sizeof(arp_state_names) / sizeof(*arp_state_names))
		return "?";
	return arp_state_names[st];
}

int arp_init(struct arp_cache *c, uint32_t max)
{
	uint32_t nb = 16;

	while (nb < max * 2)
		nb <<= 1;
	c->entries = calloc(max, sizeof(*c->entries));
	c->buckets = malloc(nb * sizeof(*c->buckets));
	if (!c->entries || !c->buckets) {
		free(c->entries);
		free(c->buckets);
		c->entries = NULL;
		c->buckets = NULL;
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < nb; i++)
		c->buckets[i] = -1;
	c->nbuckets = nb;
	c->max = max;
	c->count = 0;
	return 0;
}

void arp_destroy(struct stack *s)
{
	for (uint32_t i = 0; i < s->arp.max; i++)
		pkt_queue_purge(&s->arp.entries[i].hold, &s->pool);
	free(s->arp.entries);
	free(s->arp.buckets);
	s->arp.entries = NULL;
	s->arp.buckets = NULL;
}

static uint32_t arp_hash(const struct arp_cache *c, int ifindex, uint32_t addr)
{
	uint32_t h = (addr ^ ((uint32_t)ifindex << 24)) * 0x9e3779b1u;

	return (h >> 16) & (c->nbuckets - 1);
}

static struct arp_entry *arp_lookup(struct arp_cache *c, int ifindex,
				    uint32_t addr)
{
	int32_t i = c->buckets[arp_hash(c, ifindex, addr)];

	while (i >= 0) {
		struct arp_entry *e = &c->entries[i];
		if (e->addr == addr && e->ifindex == ifindex)
			return e;
		i = e->next;
	}
	return NULL;
}

static void arp_unlink(struct arp_cache *c, struct arp_entry *e)
{
	int32_t idx = (int32_t)(e - c->entries);
	int32_t *link = &c->buckets[arp_hash(c, e->ifindex, e->addr)];

	while (*link >= 0 && *link != idx)
		link = &c->entries[*link].next;
	if (*link == idx)
		*link = e->next;
}

/* Removes an entry, dropping any packets it holds. */
static void arp_remove(struct stack *s, struct arp_entry *e)
{
	arp_unlink(&s->arp, e);
	pkt_queue_purge(&e->hold, &s->pool);
	e->used = false;
	s->arp.count--;
}

/* Returns a fresh entry for (ifindex, addr), evicting the least recently
 * used one when the cache is full; NULL when nothing can be evicted. */
static struct arp_entry *arp_create(struct stack *s, uint64_t now, int ifindex,
				    uint32_t addr)
{
	struct arp_cache *c = &s->arp;
	struct arp_entry *e = NULL, *victim = NULL;
	uint32_t b;

	for (uint32_t i = 0; i < c->max; i++) {
		struct arp_entry *x = &c->entries[i];
		if (!x->used) {
			e = x;
			break;
		}
		if (x->state != ARP_STATIC &&
		    (!victim || x->last_used < victim->last_used))
			victim = x;
	}
	if (!e) {
		if (!victim) {
			COUNT(s, arp_cache_full);
			return NULL;
		}
		COUNT(s, arp_cache_evictions);
		COUNT_N(s, arp_hold_drop_full, victim->hold.count);
		arp_remove(s, victim);
		e = victim;
	}
	*e = (struct arp_entry){
	    .used = true,
	    .addr = addr,
	    .ifindex = ifindex,
	    .state = ARP_INCOMPLETE,
	    .last_used = now,
	};
	pkt_queue_init(&e->hold);
	b = arp_hash(c, ifindex, addr);
	e->next = c->buckets[b];
	c->buckets[b] = (int32_t)(e - c->entries);
	c->count++;
	return e;
}

/* Builds and queues an ARP packet on ifindex. eth_dst is the frame's
 * destination; tha the target hardware address in the ARP body. */
static void arp_send(struct stack *s, int ifindex, uint16_t oper,
		     const uint8_t eth_dst[ETH_ADDR_LEN],
		     const uint8_t tha[ETH_ADDR_LEN], uint32_t spa,
		     uint32_t tpa)
{
	const struct stack_if *ifp = &s->ifs[ifindex];
	struct pkt *p = stack_pkt_alloc(s, ETH_HDR_LEN + ARP_PKT_LEN);
	uint8_t *a;

	if (!p)
		return;
	p->ifindex = (uint16_t)ifindex;
	a = p->data;
	p->len = ARP_PKT_LEN;
	put_be16(a + 0, 1);		 /* htype: Ethernet */
	put_be16(a + 2, ETHERTYPE_IPV4); /* ptype */
	a[4] = ETH_ADDR_LEN;
	a[5] = 4;
	put_be16(a + 6, oper);
	memcpy(a + 8, ifp->mac, ETH_ADDR_LEN);
	put_be32(a + 14, spa);
	memcpy(a + 18, tha, ETH_ADDR_LEN);
	put_be32(a + 24, tpa);
	eth_output(s, p, eth_dst, ETHERTYPE_ARP);
}

static void arp_send_request(struct stack *s, const struct arp_entry *e,
			     bool unicast)
{
	uint32_t spa = s->ifs[e->ifindex].addr;

	arp_send(s, e->ifindex, ARP_OP_REQUEST,
		 unicast ? e->mac : mac_broadcast, mac_zero, spa, e->addr);
	COUNT(s, arp_requests_tx);
}

void arp_announce(struct stack *s, int ifindex)
{
	uint32_t addr = s->ifs[ifindex].addr;

	/* RFC 5227 2.3: an ARP request with sender and target both set
	 * to our address, broadcast. */
	arp_send(s, ifindex, ARP_OP_REQUEST, mac_broadcast, mac_zero, addr,
		 addr);
	COUNT(s, arp_gratuitous_tx);
}

void arp_probe(struct stack *s, int ifindex, uint32_t addr)
{
	/* RFC 5227 2.1.1: sender hardware address ours, sender IP 0,
	 * target hardware 0, target IP the address probed, broadcast. */
	arp_send(s, ifindex, ARP_OP_REQUEST, mac_broadcast, mac_zero, 0, addr);
	COUNT(s, arp_probes_tx);
}

void arp_flush_if(struct stack *s, int ifindex)
{
	for (uint32_t i = 0; i < s->arp.max; i++) {
		struct arp_entry *e = &s->arp.entries[i];
		if (e->used && e->ifindex == ifindex)
			arp_remove(s, e);
	}
}

int arp_parse(const uint8_t *buf, size_t len, struct arp_view *out)
{
	if (len < 8)
		return -EBADMSG;
	if (buf[4] != ETH_ADDR_LEN || buf[5] != 4)
		return -EBADMSG;
	if (len < ARP_PKT_LEN)
		return -EBADMSG;
	if (get_be16(buf) != 1 || get_be16(buf + 2) != ETHERTYPE_IPV4)
		return -EPROTONOSUPPORT;
	out->oper = get_be16(buf + 6);
	if (out->oper != ARP_OP_REQUEST && out->oper != ARP_OP_REPLY)
		return -EPROTONOSUPPORT;
	memcpy(out->sha, buf + 8, ETH_ADDR_LEN);
	out->spa = get_be32(buf + 14);
	memcpy(out->tha, buf + 18, ETH_ADDR_LEN);
	out->tpa = get_be32(buf + 24);
	return 0;
}

/* Records that addr is at mac on ifindex and sends what was waiting. */
static void arp_confirm(struct stack *s, uint64_t now, struct arp_entry *e,
			const uint8_t mac[ETH_ADDR_LEN])
{
	struct pkt *p;

	memcpy(e->mac, mac, ETH_ADDR_LEN);
	if (e->state != ARP_STATIC) {
		e->state = ARP_REACHABLE;
		e->deadline = now + s->lim.arp_reachable_ns;
		stack_deadline_hint(s, e->deadline);
	}
	e->refreshing = false;
	e->requests = 0;
	while ((p = pkt_queue_pop(&e->hold)))
		eth_output(s, p, e->mac, ETHERTYPE_IPV4);
}

void arp_input(struct stack *s, uint64_t now, struct pkt *p)
{
	const struct stack_if *ifp = &s->ifs[p->ifindex];
	struct arp_entry *e;
	struct arp_view a;
	int err;

	COUNT(s, arp_rx);
	err = arp_parse(p->data, p->len, &a);
	if (err == -EBADMSG) {
		COUNT(s, arp_rx_drop_malformed);
		goto out;
	}
	if (err < 0) {
		COUNT(s, arp_rx_drop_unsupported);
		goto out;
	}
	/* A sender hardware address that is multicast or broadcast would
	 * poison the cache. */
	if (a.sha[0] & 1) {
		COUNT(s, arp_rx_drop_malformed);
		goto out;
	}
	/* A DHCP client watches for others claiming its address, with or
	 * without one in place yet. */
	dhcp_if_arp_input(s, now, p->ifindex, &a);
	if (!ifp->addr) {
		COUNT(s, arp_rx_drop_not_for_us);
		goto out;
	}
	/* RFC 826 merge: update an existing entry for the sender (a zero
	 * sender address is an RFC 5227 probe and teaches nothing). */
	e = a.spa ? arp_lookup(&s->arp, p->ifindex, a.spa) : NULL;
	if (e && a.spa != ifp->addr)
		arp_confirm(s, now, e, a.sha);
	if (a.tpa != ifp->addr || a.spa == a.tpa) {
		COUNT(s, arp_rx_drop_not_for_us);
		goto out;
	}
	/* Aimed at us: learn the sender, answer a request. */
	if (!e && a.spa && a.spa != ifp->addr) {
		e = arp_create(s, now, p->ifindex, a.spa);
		if (e)
			arp_confirm(s, now, e, a.sha);
	}
	if (a.oper == ARP_OP_REQUEST) {
		arp_send(s, p->ifindex, ARP_OP_REPLY, a.sha, a.sha, ifp->addr,
			 a.spa);
		COUNT(s, arp_replies_tx);
	}
out:
	stack_drop(s, p);
}

void arp_output(struct stack *s, uint64_t now, struct pkt *p, uint32_t nexthop)
{
	struct arp_entry *e = arp_lookup(&s->arp, p->ifindex, nexthop);

	if (e && e->state != ARP_INCOMPLETE) {
		e->last_used = now;
		if (e->state == ARP_REACHABLE && !e->refreshing &&
		    now + s->lim.arp_retry_ns * s->lim.arp_retries >=
			e->deadline) {
			e->refreshing = true;
			arp_send_request(s, e, true);
		}
		eth_output(s, p, e->mac, ETHERTYPE_IPV4);
		return;
	}
	if (!e) {
		e = arp_create(s, now, p->ifindex, nexthop);
		if (!e) {
			COUNT(s, arp_hold_drop_full);
			stack_drop(s, p);
			return;
		}
		arp_send_request(s, e, false);
		e->requests = 1;
		e->deadline = now + s->lim.arp_retry_ns;
		stack_deadline_hint(s, e->deadline);
	}
	e->last_used = now;
	if (e->hold.count >= s->lim.arp_hold_max) {
		COUNT(s, arp_hold_drop_full);
		stack_drop(s, pkt_queue_pop(&e->hold));
	}
	if (s->lim.arp_hold_max == 0) {
		stack_drop(s, p);
		return;
	}
	pkt_queue_push(&e->hold, p);
}

void arp_timer(struct stack *s, uint64_t now)
{
	for (uint32_t i = 0; i < s->arp.max; i++) {
		struct arp_entry *e = &s->arp.entries[i];
		if (!e->used || e->state == ARP_STATIC || e->deadline > now)
			continue;
		if (e->state == ARP_REACHABLE) {
			arp_remove(s, e);
			continue;
		}
		if (e->requests >= s->lim.arp_retries) {
			COUNT(s, arp_resolve_timeouts);
			COUNT_N(s, arp_hold_drop_timeout, e->hold.count);
			for (const struct pkt *p = e->hold.head; p; p = p->next)
				icmp_local_unreachable(s, now, p);
			arp_remove(s, e);
			continue;
		}
		arp_send_request(s, e, false);
		e->requests++;
		e->deadline = now + s->lim.arp_retry_ns;
	}
}

uint64_t arp_next_deadline(const struct stack *s)
{
	uint64_t t = STACK_NO_DEADLINE;

	for (uint32_t i = 0; i < s->arp.max; i++) {
		const struct arp_entry *e = &s->arp.entries[i];
		if (e->used && e->state != ARP_STATIC && e->deadline < t)
			t = e->deadline;
	}
	return t;
}

size_t stack_arp_snapshot(const struct stack *s, uint64_t now,
			  struct stack_arp_info *out, size_t max)
{
	size_t n = 0;

	for (uint32_t i = 0; i < s->arp.max; i++) {
		const struct arp_entry *e = &s->arp.entries[i];
		if (!e->used)
			continue;
		if (n < max) {
			out[n] = (struct stack_arp_info){
			    .addr = e->addr,
			    .ifindex = e->ifindex,
			    .state = e->state,
			    .expires_in_ns =
				e->deadline > now ? e->deadline - now : 0,
			    .queued = e->hold.count,
			};
			memcpy(out[n].mac, e->mac, ETH_ADDR_LEN);
		}
		n++;
	}
	return n;
}
