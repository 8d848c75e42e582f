/*
 * ipv4.c - IPv4 input and output (RFC 791, RFC 1122 3.2.1)
 *
 * Input checks every header field once, here: version, IHL, checksum,
 * total length against the frame (Ethernet padding is trimmed), and the
 * source address (never broadcast, multicast or 0.0.0.0 as a unicast
 * sender). Options are not interpreted: the header length covers them
 * and they are skipped (counted), which RFC 1122 permits for a host
 * that implements none of them.
 *
 * A datagram is ours when addressed to the receiving interface's
 * address, the limited broadcast, or the receiving interface's directed
 * broadcast: the strong host model of RFC 1122 3.3.4.2, so that a
 * socket bound to one interface's address hears only that interface.
 * A datagram for another interface's address arriving here is dropped
 * and counted (ip_rx_drop_wrong_if); Linux, a weak host by default,
 * would take it. While an interface running DHCP has no address yet, a
 * UDP datagram to port 68 is ours too (a server may unicast to the
 * offered address). Sending stays weak, as on Linux: the route is
 * chosen by destination alone and the source is the outgoing
 * interface's address unless the socket is bound to another of ours
 * (then that address goes out of the routed interface, and the reply
 * comes back wherever the network routes that address).
 * Fragments go to frag.c and come back complete through ipv4_deliver().
 *
 * Output routes by longest prefix (stack.c), chooses the source, fills
 * the header with a fresh identification and TTL 64, and fragments a
 * datagram larger than the interface MTU (RFC 791 3.2, fragments on
 * 8-byte boundaries) before handing frames to ARP. A TCP super-segment
 * (pkt->gso_size) goes out whole: the link segments it (TSO).
 */
#include <errno.h>

#include "checksum.h"
#include "stack_internal.h"

int ipv4_parse(const uint8_t *buf, size_t len, struct ipv4_view *out)
{
	uint8_t ihl;

	if (len < IPV4_HDR_LEN)
		return IPV4_ERR_SHORT;
	if ((buf[0] >> 4) != 4)
		return IPV4_ERR_VERSION;
	ihl = (uint8_t)((buf[0] & 0x0f) * 4);
	if (ihl < IPV4_HDR_LEN || ihl > len)
		return IPV4_ERR_IHL;
	out->hdr_len = ihl;
	out->tos = buf[1];
	out->total_len = get_be16(buf + 2);
	if (out->total_len < ihl || out->total_len > len)
		return IPV4_ERR_TOTAL_LENGTH;
	if (csum_fold(csum_partial(buf, ihl, 0)) != 0)
		return IPV4_ERR_CHECKSUM;
	out->id = get_be16(buf + 4);
	out->frag = get_be16(buf + 6);
	out->ttl = buf[8];
	out->proto = buf[9];
	out->saddr = get_be32(buf + 12);
	out->daddr = get_be32(buf + 16);
	out->payload_len = (uint16_t)(out->total_len - ihl);
	return IPV4_OK;
}

bool ipv4_is_broadcast(const struct stack *s, int ifindex, uint32_t daddr)
{
	const struct stack_if *ifp;
	uint32_t mask;

	if (daddr == IPV4_BROADCAST)
		return true;
	if (ifindex < 0 || ifindex >= s->nifs)
		return false;
	ifp = &s->ifs[ifindex];
	if (!ifp->addr || ifp->prefix_len >= 31)
		return false;
	mask = prefix_mask(ifp->prefix_len);
	return (daddr & mask) == (ifp->addr & mask) &&
	       (daddr | mask) == IPV4_BROADCAST;
}

/* Is daddr the address of interface ifindex, or a broadcast there? */
static bool ipv4_is_ours_on(const struct stack *s, int ifindex, uint32_t daddr)
{
	if (ifindex >= 0 && ifindex < s->nifs && s->ifs[ifindex].addr &&
	    s->ifs[ifindex].addr == daddr)
		return true;
	return ipv4_is_broadcast(s, ifindex, daddr);
}

static bool ipv4_bad_source(const struct stack *s, int ifindex, uint32_t saddr)
{
	if (saddr == 0) /* only valid from an unconfigured DHCP client */
		return false;
	if ((saddr >> 28) == 0xe || (saddr >> 28) == 0xf) /* multicast, E */
		return true;
	if ((saddr >> 24) == 127) /* loopback never arrives on a wire */
		return true;
	return ipv4_is_broadcast(s, ifindex, saddr);
}

/* A DHCP reply may be unicast to the address offered before it is
 * ours (RFC 2131 4.1): while an interface running DHCP has no address,
 * a whole UDP datagram to port 68 is taken whatever its destination. */
static bool ipv4_dhcp_before_address(const struct stack *s, const struct pkt *p,
				     const struct ipv4_view *ip)
{
	const uint8_t *udp = p->data + ip->hdr_len;

	return ip->proto == IPV4_PROTO_UDP && !s->ifs[p->ifindex].addr &&
	       !(ip->frag & (IPV4_FLAG_MF | IPV4_OFFSET_MASK)) &&
	       ip->payload_len >= UDP_HDR_LEN &&
	       get_be16(udp + 2) == DHCP_CLIENT_PORT &&
	       dhcp_if_running(s, p->ifindex);
}

void ipv4_input(struct stack *s, uint64_t now, struct pkt *p)
{
	struct ipv4_view ip;
	int err;

	COUNT(s, ip_rx);
	err = ipv4_parse(p->data, p->len, &ip);
	switch (err) {
	case IPV4_OK:
		break;
	case IPV4_ERR_SHORT:
		COUNT(s, ip_rx_drop_short);
		goto drop;
	case IPV4_ERR_VERSION:
		COUNT(s, ip_rx_drop_version);
		goto drop;
	case IPV4_ERR_IHL:
		COUNT(s, ip_rx_drop_ihl);
		goto drop;
	case IPV4_ERR_TOTAL_LENGTH:
		COUNT(s, ip_rx_drop_total_length);
		goto drop;
	default:
		COUNT(s, ip_rx_drop_checksum);
		goto drop;
	}
	p->len = ip.total_len; /* trim Ethernet padding */
	if (ipv4_bad_source(s, p->ifindex, ip.saddr)) {
		COUNT(s, ip_rx_drop_bad_source);
		goto drop;
	}
	if (!ipv4_is_ours_on(s, p->ifindex, ip.daddr) &&
	    !ipv4_dhcp_before_address(s, p, &ip)) {
		if (stack_is_local_addr(s, ip.daddr))
			COUNT(s, ip_rx_drop_wrong_if);
		else
			COUNT(s, ip_rx_drop_not_for_us);
		goto drop;
	}
	if (ip.hdr_len > IPV4_HDR_LEN)
		COUNT(s, ip_rx_options);
	if (ip.frag & (IPV4_FLAG_MF | IPV4_OFFSET_MASK)) {
		p = reasm_input(s, now, p, &ip);
		if (!p)
			return;
	}
	ipv4_deliver(s, now, p);
	return;
drop:
	stack_drop(s, p);
}

void ipv4_deliver(struct stack *s, uint64_t now, struct pkt *p)
{
	const uint8_t *h = p->data;
	uint8_t hdr_len = (uint8_t)((h[0] & 0x0f) * 4);
	uint8_t proto = h[9];

	p->saddr = get_be32(h + 12);
	p->daddr = get_be32(h + 16);
	p->l3_offset = (uint16_t)(p->data - p->buf);
	pkt_pull(p, hdr_len);
	switch (proto) {
	case IPV4_PROTO_ICMP:
		icmp_input(s, now, p);
		return;
	case IPV4_PROTO_UDP:
		udp_input(s, now, p);
		return;
	case IPV4_PROTO_TCP:
		tcp_input(s, now, p);
		return;
	default:
		/* RFC 1122 3.2.2.1: protocol unreachable. */
		COUNT(s, ip_rx_drop_protocol);
		icmp_send_error(s, now, p, ICMP_DEST_UNREACH,
				ICMP_UNREACH_PROTOCOL);
		stack_drop(s, p);
		return;
	}
}

/* Writes a 20-byte header at h for a datagram of total_len bytes. */
static void ipv4_fill_header(uint8_t *h, const struct pkt *p,
			     uint16_t total_len, uint16_t id, uint16_t frag,
			     uint8_t proto, uint32_t saddr, uint32_t daddr)
{
	h[0] = 0x45;
	h[1] = p->tos;
	put_be16(h + 2, total_len);
	put_be16(h + 4, id);
	put_be16(h + 6, frag);
	h[8] = p->ttl ? p->ttl : IPV4_DEFAULT_TTL;
	h[9] = proto;
	put_be16(h + 10, 0);
	put_be32(h + 12, saddr);
	put_be32(h + 16, daddr);
	put_be16(h + 10, csum_fold(csum_partial(h, IPV4_HDR_LEN, 0)));
}

static const uint8_t eth_broadcast_mac[ETH_ADDR_LEN] = {0xff, 0xff, 0xff,
							0xff, 0xff, 0xff};

/* Hands one finished IPv4 packet to the link: broadcast or via ARP. */
static void ipv4_to_link(struct stack *s, uint64_t now, struct pkt *p,
			 uint32_t daddr, uint32_t nexthop)
{
	COUNT(s, ip_tx);
	if (ipv4_is_broadcast(s, p->ifindex, daddr))
		eth_output(s, p, eth_broadcast_mac, ETHERTYPE_IPV4);
	else
		arp_output(s, now, p, nexthop);
}

/* RFC 791 3.2 fragmentation: sends the payload of p in pieces of at
 * most (mtu - 20) bytes rounded down to 8, each in a fresh buffer. */
static int ipv4_fragment(struct stack *s, uint64_t now, struct pkt *p,
			 uint16_t id, uint8_t proto, uint32_t saddr,
			 uint32_t daddr, uint32_t nexthop, uint32_t mtu)
{
	uint32_t chunk = ((mtu - IPV4_HDR_LEN) / 8) * 8;
	uint32_t off = 0;
	int ret = 0;

	while (off < p->len) {
		uint32_t n = p->len - off < chunk ? p->len - off : chunk;
		bool more = off + n < p->len;
		struct pkt *f = stack_pkt_alloc(s, n + IPV4_HDR_LEN);
		uint8_t *h;

		if (!f) {
			COUNT(s, ip_tx_drop_no_buffer);
			ret = -ENOBUFS;
			break;
		}
		f->ifindex = p->ifindex;
		memcpy(f->data, p->data + off, n);
		f->len = n;
		h = pkt_push(f, IPV4_HDR_LEN);
		ipv4_fill_header(
		    h, p, (uint16_t)(n + IPV4_HDR_LEN), id,
		    (uint16_t)((more ? IPV4_FLAG_MF : 0) | (off / 8)), proto,
		    saddr, daddr);
		COUNT(s, ip_tx_fragments);
		ipv4_to_link(s, now, f, daddr, nexthop);
		off += n;
	}
	stack_drop(s, p);
	return ret;
}

int ipv4_output_mac(struct stack *s, struct pkt *p, uint32_t saddr,
		    uint32_t daddr, uint8_t proto, int ifindex,
		    const uint8_t mac[ETH_ADDR_LEN])
{
	uint8_t *h;

	if (p->len + IPV4_HDR_LEN > s->ifs[ifindex].mtu) {
		COUNT(s, ip_tx_drop_too_big);
		stack_drop(s, p);
		return -EMSGSIZE;
	}
	p->ifindex = (uint16_t)ifindex;
	h = pkt_push(p, IPV4_HDR_LEN);
	if (!h) {
		COUNT(s, ip_tx_drop_no_buffer);
		stack_drop(s, p);
		return -ENOBUFS;
	}
	ipv4_fill_header(h, p, (uint16_t)p->len, s->ip_id++, 0, proto, saddr,
			 daddr);
	COUNT(s, ip_tx);
	eth_output(s, p, mac, ETHERTYPE_IPV4);
	return 0;
}

int ipv4_output(struct stack *s, uint64_t now, struct pkt *p, uint32_t saddr,
		uint32_t daddr, uint8_t proto)
{
	uint32_t nexthop, route_saddr;
	int ifindex, err;

	err = ipv4_route(s, daddr, &ifindex, &nexthop, &route_saddr);
	if (err < 0) {
		COUNT(s, ip_tx_drop_no_route);
		stack_drop(s, p);
		return err;
	}
	return ipv4_output_via(s, now, p, saddr ? saddr : route_saddr, daddr,
			       proto, ifindex, nexthop);
}

int ipv4_output_via(struct stack *s, uint64_t now, struct pkt *p,
		    uint32_t saddr, uint32_t daddr, uint8_t proto, int ifindex,
		    uint32_t nexthop)
{
	uint32_t mtu;
	uint16_t id;
	uint8_t *h;

	if (p->len + IPV4_HDR_LEN > IPV4_MAX_LEN) {
		COUNT(s, ip_tx_drop_too_big);
		stack_drop(s, p);
		return -EMSGSIZE;
	}
	p->ifindex = (uint16_t)ifindex;
	if (p->flags & PKT_F_CSUM_PARTIAL) {
		const struct stack_if *ifp = &s->ifs[ifindex];
		if (p->gso_size && !ifp->tso) {
			/* Built for a TSO link, routed to another. */
			COUNT(s, ip_tx_drop_too_big);
			stack_drop(s, p);
			return -EMSGSIZE;
		}
		if (!ifp->csum) {
			/* Complete the checksum here: the field holds the
			 * pseudo-header sum, not complemented. */
			uint8_t *ck = p->data + p->csum_offset;
			put_be16(ck, 0);
			put_be16(ck, csum_fold(csum_partial(
					 p->data, p->len,
					 csum_pseudo(saddr, daddr, proto,
						     (uint16_t)p->len))));
			p->flags &= (uint8_t)~PKT_F_CSUM_PARTIAL;
		}
	}
	id = s->ip_id++;
	mtu = s->ifs[ifindex].mtu;
	if (p->len + IPV4_HDR_LEN > mtu && !p->gso_size)
		return ipv4_fragment(s, now, p, id, proto, saddr, daddr,
				     nexthop, mtu);
	h = pkt_push(p, IPV4_HDR_LEN);
	if (!h) {
		COUNT(s, ip_tx_drop_no_buffer);
		stack_drop(s, p);
		return -ENOBUFS;
	}
	ipv4_fill_header(h, p, (uint16_t)p->len, id, 0, proto, saddr, daddr);
	ipv4_to_link(s, now, p, daddr, nexthop);
	return 0;
}
