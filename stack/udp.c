/*
 * udp.c - UDP (RFC 768, RFC 1122 4.1) and its sockets
 *
 * Sockets live in a table of udp_sockets_max slots; the slot index is
 * the socket id. A hash on the local port finds the candidates for an
 * arriving datagram, and the most specific wins: a connected socket
 * whose remote address and port match, then one bound to the destination
 * address, then one bound to any address. Two sockets may share a port
 * only on different specific local addresses (-EADDRINUSE otherwise).
 *
 * Each socket queues at most udp_rcvq_max datagrams and udp_rcvq_bytes_max
 * payload bytes; beyond that arrivals are dropped and counted, per socket
 * and in udp_rx_drop_queue_full, as a kernel does with a full receive
 * buffer. A READABLE event is queued when a queue goes from empty to
 * non-empty; the caller drains it with udp_peek()/udp_pop(). Closing a
 * socket drops the events still queued for it: its id may be reused at
 * once, and a new socket must not get the old one's READABLE or ERROR
 * (an ICMP error for the old one's datagram).
 *
 * Checksums: verified when non-zero on input (zero means none, RFC 768),
 * always computed on output (a computed zero is sent as 0xffff).
 * Ephemeral ports are drawn at random from 49152-65535 (RFC 6056 3.3.1).
 *
 * A socket bound to an address the host loses (a DHCP lease ends) stays
 * open, as Linux's does, but its sends fail with EADDRNOTAVAIL until the
 * address comes back, and a connected one is told at once
 * (STACK_EV_UDP_ERROR, EADDRNOTAVAIL).
 */
#include <errno.h>
#include <stdlib.h>

#include "checksum.h"
#include "stack_internal.h"

int udp_init(struct udp_table *t, uint32_t max)
{
	t->socks = calloc(max, sizeof(*t->socks));
	if (!t->socks)
		return -ENOMEM;
	t->max = max;
	t->count = 0;
	for (uint32_t i = 0; i < UDP_HASH_BUCKETS; i++)
		t->buckets[i] = -1;
	return 0;
}

void udp_destroy(struct stack *s)
{
	for (uint32_t i = 0; i < s->udp.max; i++)
		pkt_queue_purge(&s->udp.socks[i].rcvq, &s->pool);
	free(s->udp.socks);
	s->udp.socks = NULL;
}

static uint32_t udp_bucket(uint16_t port)
{
	return (uint32_t)((port * 0x9e37u) >> 8) & (UDP_HASH_BUCKETS - 1);
}

static struct udp_sock *udp_get(struct stack *s, int sock)
{
	if (sock < 0 || (uint32_t)sock >= s->udp.max)
		return NULL;
	return s->udp.socks[sock].used ? &s->udp.socks[sock] : NULL;
}

/* Would a socket bound to addr:port conflict with an existing one? */
static bool udp_port_in_use(const struct stack *s, uint32_t addr, uint16_t port)
{
	int32_t i = s->udp.buckets[udp_bucket(port)];

	while (i >= 0) {
		const struct udp_sock *u = &s->udp.socks[i];
		if (u->local_port == port &&
		    (u->local_addr == 0 || addr == 0 || u->local_addr == addr))
			return true;
		i = u->next;
	}
	return false;
}

static int udp_pick_ephemeral(struct stack *s, uint32_t addr, uint16_t *port)
{
	uint32_t range = UDP_EPHEMERAL_LAST - UDP_EPHEMERAL_FIRST + 1;
	uint32_t start = rng_below(&s->rng, range);

	for (uint32_t n = 0; n < range; n++) {
		uint16_t p =
		    (uint16_t)(UDP_EPHEMERAL_FIRST + (start + n) % range);
		if (!udp_port_in_use(s, addr, p)) {
			*port = p;
			return 0;
		}
	}
	return -EADDRINUSE;
}

int udp_socket_open(struct stack *s, uint32_t local_addr, uint16_t local_port,
		    uint32_t remote_addr, uint16_t remote_port)
{
	struct udp_sock *u = NULL;
	uint32_t b;
	int err;

	if (local_addr && !stack_is_local_addr(s, local_addr) &&
	    local_addr != IPV4_BROADCAST)
		return -EADDRNOTAVAIL;
	if (remote_port && !remote_addr)
		return -EINVAL;
	if (remote_port) {
		/* As Linux's connect(): no route, no socket. */
		uint32_t nexthop, saddr;
		int ifindex;

		err = ipv4_route(s, remote_addr, &ifindex, &nexthop, &saddr);
		if (err < 0)
			return err;
	}
	if (s->udp.count >= s->udp.max)
		return -EMFILE;
	if (local_port == 0) {
		err = udp_pick_ephemeral(s, local_addr, &local_port);
		if (err < 0)
			return err;
	} else if (udp_port_in_use(s, local_addr, local_port)) {
		return -EADDRINUSE;
	}
	for (uint32_t i = 0; i < s->udp.max; i++) {
		if (!s->udp.socks[i].used) {
			u = &s->udp.socks[i];
			break;
		}
	}
	*u = (struct udp_sock){
	    .used = true,
	    .local_addr = local_addr,
	    .local_port = local_port,
	    .remote_addr = remote_port ? remote_addr : 0,
	    .remote_port = remote_port,
	};
	pkt_queue_init(&u->rcvq);
	b = udp_bucket(local_port);
	u->next = s->udp.buckets[b];
	s->udp.buckets[b] = (int32_t)(u - s->udp.socks);
	s->udp.count++;
	return (int)(u - s->udp.socks);
}

void udp_socket_close(struct stack *s, int sock)
{
	struct udp_sock *u = udp_get(s, sock);
	int32_t *link;

	if (!u)
		return;
	link = &s->udp.buckets[udp_bucket(u->local_port)];
	while (*link >= 0 && *link != sock)
		link = &s->udp.socks[*link].next;
	if (*link == sock)
		*link = u->next;
	pkt_queue_purge(&u->rcvq, &s->pool);
	u->used = false;
	s->udp.count--;
	stack_forget_events(s, STACK_EV_UDP_ALL, sock);
}

int udp_socket_set_tos_ttl(struct stack *s, int sock, uint8_t tos, uint8_t ttl)
{
	struct udp_sock *u = udp_get(s, sock);

	if (!u)
		return -EBADF;
	u->tos = tos;
	u->ttl = ttl;
	return 0;
}

int udp_socket_get_tos_ttl(struct stack *s, int sock, uint8_t *tos,
			   uint8_t *ttl)
{
	struct udp_sock *u = udp_get(s, sock);

	if (!u)
		return -EBADF;
	*tos = u->tos;
	*ttl = u->ttl;
	return 0;
}

void udp_put_header(struct pkt *p, size_t payload_len, uint16_t sport,
		    uint16_t dport, uint32_t saddr, uint32_t daddr)
{
	uint8_t *h = p->data;
	uint16_t csum;

	p->len = (uint32_t)(UDP_HDR_LEN + payload_len);
	put_be16(h + 0, sport);
	put_be16(h + 2, dport);
	put_be16(h + 4, (uint16_t)p->len);
	put_be16(h + 6, 0);
	csum = csum_fold(csum_partial(
	    h, p->len,
	    csum_pseudo(saddr, daddr, IPV4_PROTO_UDP, (uint16_t)p->len)));
	put_be16(h + 6, csum ? csum : 0xffff);
}

int udp_send(struct stack *s, uint64_t now, int sock, uint32_t dst,
	     uint16_t dport, const void *data, size_t len)
{
	struct udp_sock *u = udp_get(s, sock);
	uint32_t saddr, nexthop;
	int ifindex, err;
	struct pkt *p;

	if (!u)
		return -EBADF;
	if (!dst && !dport) {
		dst = u->remote_addr;
		dport = u->remote_port;
	}
	if (!dst || !dport)
		return -EDESTADDRREQ;
	if (len > UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	err = ipv4_route(s, dst, &ifindex, &nexthop, &saddr);
	if (err < 0) {
		COUNT(s, ip_tx_drop_no_route);
		return err;
	}
	if (u->local_addr && u->local_addr != IPV4_BROADCAST) {
		/* Bound to an address that went away (a lease ended). */
		if (!stack_is_local_addr(s, u->local_addr)) {
			COUNT(s, udp_tx_drop_addr_gone);
			return -EADDRNOTAVAIL;
		}
		saddr = u->local_addr;
	}
	p = stack_pkt_alloc(s, UDP_HDR_LEN + len);
	if (!p) {
		COUNT(s, udp_tx_drop_no_buffer);
		return -ENOBUFS;
	}
	memcpy(p->data + UDP_HDR_LEN, data, len);
	udp_put_header(p, len, u->local_port, dport, saddr, dst);
	p->tos = u->tos;
	p->ttl = u->ttl;
	u->tx_datagrams++;
	COUNT(s, udp_tx);
	/* Routed once, above: the route also chose the checksum's source. */
	return ipv4_output_via(s, now, p, saddr, dst, IPV4_PROTO_UDP, ifindex,
			       nexthop);
}

/* The socket an arriving datagram belongs to, or NULL. */
static struct udp_sock *udp_demux(struct stack *s, const struct pkt *p)
{
	struct udp_sock *best = NULL;
	int best_score = -1;
	int32_t i = s->udp.buckets[udp_bucket(p->dport)];

	while (i >= 0) {
		struct udp_sock *u = &s->udp.socks[i];
		int score = 0;

		i = u->next;
		if (u->local_port != p->dport)
			continue;
		if (u->local_addr) {
			if (u->local_addr != p->daddr)
				continue;
			score += 1;
		}
		if (u->remote_port) {
			if (u->remote_addr != p->saddr ||
			    u->remote_port != p->sport)
				continue;
			score += 2;
		}
		if (score > best_score) {
			best = u;
			best_score = score;
		}
	}
	return best;
}

void udp_input(struct stack *s, uint64_t now, struct pkt *p)
{
	struct udp_sock *u;
	uint16_t ulen, csum;

	COUNT(s, udp_rx);
	if (p->len < UDP_HDR_LEN) {
		COUNT(s, udp_rx_drop_short);
		goto drop;
	}
	ulen = get_be16(p->data + 4);
	if (ulen < UDP_HDR_LEN || ulen > p->len) {
		COUNT(s, udp_rx_drop_length);
		goto drop;
	}
	p->len = ulen;
	csum = get_be16(p->data + 6);
	if (csum != 0 && !(p->flags & PKT_F_CSUM_VALID) &&
	    csum_fold(csum_partial(
		p->data, ulen,
		csum_pseudo(p->saddr, p->daddr, IPV4_PROTO_UDP, ulen))) != 0) {
		COUNT(s, udp_rx_drop_checksum);
		goto drop;
	}
	p->sport = get_be16(p->data);
	p->dport = get_be16(p->data + 2);
	if (dhcp_if_udp_input(s, now, p))
		return; /* the interface's DHCP client took it */
	u = udp_demux(s, p);
	if (!u) {
		COUNT(s, udp_rx_no_port);
		icmp_send_error(s, now, p, ICMP_DEST_UNREACH,
				ICMP_UNREACH_PORT);
		goto drop;
	}
	pkt_pull(p, UDP_HDR_LEN);
	if (u->rcvq.count >= s->lim.udp_rcvq_max ||
	    u->rcvq.bytes + p->len > s->lim.udp_rcvq_bytes_max) {
		COUNT(s, udp_rx_drop_queue_full);
		u->rx_drops++;
		goto drop;
	}
	u->rx_datagrams++;
	pkt_queue_push(&u->rcvq, p);
	if (u->rcvq.count == 1) {
		struct stack_event ev = {
		    .type = STACK_EV_UDP_READABLE,
		    .sock = (int)(u - s->udp.socks),
		};
		stack_push_event(s, &ev);
	}
	return;
drop:
	stack_drop(s, p);
}

void udp_icmp_error(struct stack *s, const struct ipv4_view *quoted,
		    const uint8_t *udp_hdr, int error)
{
	uint16_t sport = get_be16(udp_hdr), dport = get_be16(udp_hdr + 2);

	for (uint32_t i = 0; i < s->udp.max; i++) {
		struct udp_sock *u = &s->udp.socks[i];
		struct stack_event ev = {
		    .type = STACK_EV_UDP_ERROR,
		    .sock = (int)i,
		    .error = error,
		};
		if (!u->used || !u->remote_port || u->local_port != sport ||
		    u->remote_port != dport || u->remote_addr != quoted->daddr)
			continue;
		stack_push_event(s, &ev);
		return;
	}
}

void udp_addr_gone(struct stack *s, uint32_t addr)
{
	for (uint32_t i = 0; i < s->udp.max; i++) {
		struct udp_sock *u = &s->udp.socks[i];
		struct stack_event ev = {
		    .type = STACK_EV_UDP_ERROR,
		    .sock = (int)i,
		    .error = EADDRNOTAVAIL,
		};
		if (u->used && u->remote_port && u->local_addr == addr)
			stack_push_event(s, &ev);
	}
}

int udp_socket_set_user(struct stack *s, int sock, void *user)
{
	struct udp_sock *u = udp_get(s, sock);

	if (!u)
		return -EBADF;
	u->user = user;
	return 0;
}

void *udp_socket_user(struct stack *s, int sock)
{
	struct udp_sock *u = udp_get(s, sock);

	return u ? u->user : NULL;
}

int udp_peek(struct stack *s, int sock, struct udp_datagram *dg)
{
	struct udp_sock *u = udp_get(s, sock);
	const struct pkt *p;

	if (!u)
		return -EBADF;
	p = u->rcvq.head;
	if (!p)
		return -EAGAIN;
	*dg = (struct udp_datagram){
	    .data = p->data,
	    .len = p->len,
	    .src_addr = p->saddr,
	    .src_port = p->sport,
	    .dst_addr = p->daddr,
	};
	return 0;
}

void udp_pop(struct stack *s, int sock)
{
	struct udp_sock *u = udp_get(s, sock);

	if (u)
		stack_drop(s, pkt_queue_pop(&u->rcvq));
}

static void udp_info_fill(const struct udp_sock *u, int sock,
			  struct stack_udp_info *out)
{
	*out = (struct stack_udp_info){
	    .sock = sock,
	    .local_addr = u->local_addr,
	    .local_port = u->local_port,
	    .remote_addr = u->remote_addr,
	    .remote_port = u->remote_port,
	    .rcvq_datagrams = u->rcvq.count,
	    .rcvq_bytes = u->rcvq.bytes,
	    .rx_datagrams = u->rx_datagrams,
	    .tx_datagrams = u->tx_datagrams,
	    .rx_drops = u->rx_drops,
	};
}

int udp_socket_info(const struct stack *s, int sock, struct stack_udp_info *out)
{
	if (sock < 0 || (uint32_t)sock >= s->udp.max ||
	    !s->udp.socks[sock].used)
		return -EBADF;
	udp_info_fill(&s->udp.socks[sock], sock, out);
	return 0;
}

size_t stack_udp_snapshot(const struct stack *s, struct stack_udp_info *out,
			  size_t max)
{
	size_t n = 0;

	for (uint32_t i = 0; i < s->udp.max; i++) {
		const struct udp_sock *u = &s->udp.socks[i];
		if (!u->used)
			continue;
		if (n < max)
			udp_info_fill(u, (int)i, &out[n]);
		n++;
	}
	return n;
}
