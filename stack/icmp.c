/*
 * icmp.c - ICMP for a host (RFC 792, RFC 1122 3.2.2)
 *
 * Input: echo requests are answered in place (the request's buffer
 * becomes the reply); destination unreachable messages that quote one of
 * our UDP datagrams or TCP segments are reported to the socket;
 * everything else is counted and dropped. A datagram whose next hop
 * never answered ARP is reported the same way, as "host unreachable"
 * (icmp_local_unreachable), with no ICMP message on the wire. Echo
 * requests to a broadcast address are ignored, as Linux does by
 * default. Echo replies, and errors quoting an echo request, go to
 * icmp_echo.c (our own pings).
 *
 * Output of errors follows RFC 1122 3.2.2: never about an ICMP error,
 * a datagram sent to a broadcast or multicast address, a non-first
 * fragment, or one whose source is not a unicast host. Errors quote the
 * offending datagram up to 576 bytes in all (RFC 1812 4.3.2.3) and are
 * rate-limited by a token bucket of icmp_error_rate per second with a
 * burst of icmp_error_burst (RFC 1812 4.3.2.8); echo replies are not.
 */
#include <errno.h>

#include "checksum.h"
#include "stack_internal.h"

static void icmp_echo_reply(struct stack *s, uint64_t now, struct pkt *p)
{
	uint8_t *h = p->data;

	if (ipv4_is_broadcast(s, p->ifindex, p->daddr)) {
		stack_drop(s, p);
		return;
	}
	h[0] = ICMP_ECHO_REPLY;
	h[1] = 0;
	put_be16(h + 2, 0);
	put_be16(h + 2, csum_fold(csum_partial(h, p->len, 0)));
	COUNT(s, icmp_tx_echo_replies);
	ipv4_output(s, now, p, p->daddr, p->saddr, IPV4_PROTO_ICMP);
}

/* Parses the quote q (qlen bytes: an IPv4 header and at least 8 bytes
 * after it; its total length may exceed what was quoted, so checked by
 * hand) into *quoted; returns the transport header, or NULL when the
 * quote is too short or not one of our datagrams. */
static const uint8_t *icmp_quote_parse(const struct stack *s, const uint8_t *q,
				       size_t qlen, struct ipv4_view *quoted)
{
	uint8_t ihl;

	if (qlen < IPV4_HDR_LEN || (q[0] >> 4) != 4)
		return NULL;
	ihl = (uint8_t)((q[0] & 0x0f) * 4);
	if (ihl < IPV4_HDR_LEN || qlen < (size_t)ihl + 8)
		return NULL;
	*quoted = (struct ipv4_view){
	    .hdr_len = ihl,
	    .proto = q[9],
	    .saddr = get_be32(q + 12),
	    .daddr = get_be32(q + 16),
	};
	if (!stack_is_local_addr(s, quoted->saddr))
		return NULL;
	return q + ihl;
}

/* A destination unreachable for a datagram of ours: tell its socket. */
static void icmp_unreachable_input(struct stack *s, uint64_t now, struct pkt *p)
{
	struct ipv4_view quoted;
	uint8_t code = p->data[1];
	const uint8_t *l4;
	int error;

	COUNT(s, icmp_rx_unreachable);
	l4 = icmp_quote_parse(s, p->data + ICMP_HDR_LEN, p->len - ICMP_HDR_LEN,
			      &quoted);
	if (!l4)
		return;
	error = code == ICMP_UNREACH_PORT	? ECONNREFUSED
		: code == ICMP_UNREACH_PROTOCOL ? ENOPROTOOPT
		: code == 0 || code == 6	? ENETUNREACH
						: EHOSTUNREACH;
	if (quoted.proto == IPV4_PROTO_UDP)
		udp_icmp_error(s, &quoted, l4, error);
	else if (quoted.proto == IPV4_PROTO_TCP)
		tcp_icmp_error(s, &quoted, l4, error);
	else if (quoted.proto == IPV4_PROTO_ICMP)
		icmp_echo_error(s, now, p->saddr, &quoted, l4, error);
}

void icmp_local_unreachable(struct stack *s, uint64_t now, const struct pkt *p)
{
	struct ipv4_view quoted;
	const uint8_t *l4 = icmp_quote_parse(s, p->data, p->len, &quoted);

	if (!l4)
		return;
	if (quoted.proto == IPV4_PROTO_UDP)
		udp_icmp_error(s, &quoted, l4, EHOSTUNREACH);
	else if (quoted.proto == IPV4_PROTO_TCP)
		tcp_local_unreachable(s, &quoted, l4);
	else if (quoted.proto == IPV4_PROTO_ICMP)
		icmp_echo_error(s, now, quoted.saddr, &quoted, l4,
				EHOSTUNREACH);
}

void icmp_input(struct stack *s, uint64_t now, struct pkt *p)
{
	COUNT(s, icmp_rx);
	if (p->len < ICMP_HDR_LEN) {
		COUNT(s, icmp_rx_drop_short);
		goto drop;
	}
	if (csum_fold(csum_partial(p->data, p->len, 0)) != 0) {
		COUNT(s, icmp_rx_drop_checksum);
		goto drop;
	}
	switch (p->data[0]) {
	case ICMP_ECHO_REQUEST:
		COUNT(s, icmp_rx_echo_requests);
		icmp_echo_reply(s, now, p);
		return;
	case ICMP_ECHO_REPLY:
		icmp_echo_reply_input(s, now, p);
		goto drop;
	case ICMP_DEST_UNREACH:
		icmp_unreachable_input(s, now, p);
		goto drop;
	default:
		COUNT(s, icmp_rx_other);
		goto drop;
	}
drop:
	stack_drop(s, p);
}

/* Takes a token from the error bucket; false when empty. */
static bool icmp_rate_allow(struct stack *s, uint64_t now)
{
	uint64_t cap = (uint64_t)s->lim.icmp_error_burst * STACK_NS_PER_SEC;
	uint64_t elapsed = now > s->icmp_last_ns ? now - s->icmp_last_ns : 0;

	s->icmp_last_ns = now;
	if (elapsed > STACK_NS_PER_SEC * 1000)
		elapsed = STACK_NS_PER_SEC * 1000;
	s->icmp_tokens += elapsed * s->lim.icmp_error_rate;
	if (s->icmp_tokens > cap)
		s->icmp_tokens = cap;
	if (s->icmp_tokens < STACK_NS_PER_SEC)
		return false;
	s->icmp_tokens -= STACK_NS_PER_SEC;
	return true;
}

void icmp_send_error(struct stack *s, uint64_t now, const struct pkt *orig,
		     uint8_t type, uint8_t code)
{
	const uint8_t *q = orig->buf + orig->l3_offset;
	size_t avail = (size_t)(orig->data + orig->len - q);
	uint32_t saddr = get_be32(q + 12), daddr = get_be32(q + 16);
	uint8_t ihl = (uint8_t)((q[0] & 0x0f) * 4);
	size_t qlen;
	struct pkt *p;
	uint8_t *h;

	/* RFC 1122 3.2.2: the cases that never get an error. */
	if (ipv4_is_broadcast(s, orig->ifindex, daddr) ||
	    (daddr >> 28) == 0xe || saddr == 0 ||
	    ipv4_is_broadcast(s, orig->ifindex, saddr) || (saddr >> 28) >= 0xe)
		return;
	if (get_be16(q + 6) & IPV4_OFFSET_MASK)
		return;
	if (q[9] == IPV4_PROTO_ICMP && avail > ihl) {
		uint8_t t = q[ihl];
		if (t != ICMP_ECHO_REQUEST && t != ICMP_ECHO_REPLY && t != 13 &&
		    t != 14)
			return; /* an ICMP error, or unknown */
	}
	if (!icmp_rate_allow(s, now)) {
		COUNT(s, icmp_tx_rate_limited);
		return;
	}
	qlen = avail;
	if (qlen > ICMP_ERROR_MAX_LEN - IPV4_HDR_LEN - ICMP_HDR_LEN)
		qlen = ICMP_ERROR_MAX_LEN - IPV4_HDR_LEN - ICMP_HDR_LEN;
	p = stack_pkt_alloc(s, ICMP_HDR_LEN + qlen);
	if (!p)
		return;
	h = p->data;
	h[0] = type;
	h[1] = code;
	put_be16(h + 2, 0);
	put_be32(h + 4, 0);
	memcpy(h + ICMP_HDR_LEN, q, qlen);
	p->len = (uint32_t)(ICMP_HDR_LEN + qlen);
	put_be16(h + 2, csum_fold(csum_partial(h, p->len, 0)));
	if (type == ICMP_DEST_UNREACH)
		COUNT(s, icmp_tx_unreachable);
	else
		COUNT(s, icmp_tx_time_exceeded);
	ipv4_output(s, now, p, daddr, saddr, IPV4_PROTO_ICMP);
}
