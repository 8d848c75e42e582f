/*
 * eth.c - Ethernet II framing
 *
 * Input accepts frames addressed to the interface's MAC or to the
 * broadcast address, and hands ARP and IPv4 up; everything else
 * (other unicast, multicast we never joined, other EtherTypes including
 * 802.1Q tags and IPv6) is dropped and counted. Output prepends the
 * header into the buffer's headroom and queues the frame on s->tx.
 */
#include <errno.h>

#include "stack_internal.h"

static const uint8_t eth_broadcast[ETH_ADDR_LEN] = {0xff, 0xff, 0xff,
						    0xff, 0xff, 0xff};

void eth_input(struct stack *s, uint64_t now, struct pkt *p)
{
	const struct stack_if *ifp;
	uint16_t ethertype;

	COUNT(s, eth_rx_frames);
	if (p->ifindex >= s->nifs || p->len < ETH_HDR_LEN) {
		COUNT(s, eth_rx_drop_short);
		goto drop;
	}
	ifp = &s->ifs[p->ifindex];
	if (memcmp(p->data, ifp->mac, ETH_ADDR_LEN) != 0 &&
	    memcmp(p->data, eth_broadcast, ETH_ADDR_LEN) != 0) {
		COUNT(s, eth_rx_drop_not_for_us);
		goto drop;
	}
	ethertype = get_be16(p->data + 12);
	pkt_pull(p, ETH_HDR_LEN);
	switch (ethertype) {
	case ETHERTYPE_ARP:
		arp_input(s, now, p);
		return;
	case ETHERTYPE_IPV4:
		ipv4_input(s, now, p);
		return;
	default:
		COUNT(s, eth_rx_drop_ethertype);
		goto drop;
	}
drop:
	stack_drop(s, p);
}

void eth_output(struct stack *s, struct pkt *p, const uint8_t dst[ETH_ADDR_LEN],
		uint16_t ethertype)
{
	uint8_t *h = pkt_push(p, ETH_HDR_LEN);

	if (!h) {
		COUNT(s, eth_tx_drop_no_buffer);
		stack_drop(s, p);
		return;
	}
	memcpy(h, dst, ETH_ADDR_LEN);
	memcpy(h + 6, s->ifs[p->ifindex].mac, ETH_ADDR_LEN);
	put_be16(h + 12, ethertype);
	COUNT(s, eth_tx_frames);
	pkt_queue_push(&s->tx, p);
}
