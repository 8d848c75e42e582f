/*
 * fuzz_common.h - a live stack for the stack's fuzz harnesses
 *
 * fuzz_stack() builds a stack with one interface (10.0.0.2/24, MAC
 * 02:00:00:00:00:02), a gateway, a learnt peer 10.0.0.1 and a few UDP
 * sockets, so that fuzzed frames reach every layer. fuzz_finish() drains
 * every queue and frees the stack; ASan then reports any leak, and an
 * assertion in the pool catches buffers that were lost or freed twice.
 */
#ifndef UTCP_FUZZ_COMMON_H
#define UTCP_FUZZ_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "stack.h"
#include "stack_internal.h"

#define FUZZ_T0 1000000000ull

static const uint8_t fuzz_our_mac[6] = {2, 0, 0, 0, 0, 2};
static const uint8_t fuzz_peer_mac[6] = {2, 0, 0, 0, 0, 1};

static inline void fuzz_frame(struct stack *s, uint64_t now, const uint8_t *buf,
			      size_t len)
{
	struct pkt *p = stack_pkt_alloc(s, len);
	if (!p)
		return;
	memcpy(p->data, buf, len);
	p->len = (uint32_t)len;
	p->ifindex = 0;
	stack_input(s, now, p);
}

static inline struct stack *fuzz_stack(void)
{
	struct stack_limits lim;
	uint8_t arp[42];

	stack_limits_default(&lim);
	lim.pkt_small_max = 512;
	lim.pkt_large_max = 8;
	lim.reasm_frags_max = 16;
	lim.reasm_datagrams_max = 8;
	lim.tcp_conns_max = 32;
	lim.tcp_chunks_max = 256;
	lim.udp_sockets_max = 8;
	struct stack *s = stack_new(&lim, 1);
	if (!s)
		abort();
	stack_if_add(s, "fuzz0", fuzz_our_mac, 1500);
	stack_if_set_address(s, FUZZ_T0, 0, 0x0a000002, 24);
	stack_route_add(s, 0, 0, 0x0a000001, 0);
	/* The peer announces itself with an ARP request for us. */
	memcpy(arp, fuzz_our_mac, 6);
	memcpy(arp + 6, fuzz_peer_mac, 6);
	put_be16(arp + 12, ETHERTYPE_ARP);
	put_be16(arp + 14, 1);
	put_be16(arp + 16, ETHERTYPE_IPV4);
	arp[18] = 6;
	arp[19] = 4;
	put_be16(arp + 20, 1);
	memcpy(arp + 22, fuzz_peer_mac, 6);
	put_be32(arp + 28, 0x0a000001);
	memset(arp + 32, 0, 6);
	put_be32(arp + 38, 0x0a000002);
	fuzz_frame(s, FUZZ_T0, arp, sizeof(arp));
	udp_socket_open(s, 0, 7, 0, 0);
	udp_socket_open(s, 0x0a000002, 53, 0, 0);
	udp_socket_open(s, 0, 9000, 0x0a000001, 9001);
	tcp_listen(s, 0, 80, 4, NULL);
	return s;
}

/* Drains tx, events and socket queues the way the daemon would. */
static inline void fuzz_drain(struct stack *s)
{
	struct stack_event ev;
	struct udp_datagram dg;
	struct pkt *p;

	while ((p = stack_pop_tx(s)))
		stack_pkt_free(s, p);
	while (stack_pop_event(s, &ev)) {
		if (ev.type != STACK_EV_UDP_READABLE)
			continue;
		while (udp_peek(s, ev.sock, &dg) == 0) {
			/* Touch every byte the view claims to hold. */
			volatile uint8_t sum = 0;
			for (size_t i = 0; i < dg.len; i++)
				sum = (uint8_t)(sum + dg.data[i]);
			udp_pop(s, ev.sock);
		}
	}
}

static inline void fuzz_finish(struct stack *s)
{
	struct stack_pool_info pi;

	fuzz_drain(s);
	/* Run every timer out, deadline after deadline (ARP retries,
	 * reassembly, TCP's retransmissions and TIME_WAIT): each must let
	 * go of what it holds. */
	for (int i = 0; i < 256; i++) {
		uint64_t t = stack_next_deadline(s);
		if (t == STACK_NO_DEADLINE)
			break;
		stack_timer(s, t);
		fuzz_drain(s);
	}
	stack_pool_info(s, &pi);
	for (int c = 0; c < PKT_CLASS_COUNT; c++)
		if (pi.in_use[c] != 0)
			abort(); /* a buffer leaked inside the stack */
	stack_free(s);
}

/* Wraps `len` bytes of transport payload in Ethernet + IPv4 to us. */
static inline size_t fuzz_wrap_ipv4(uint8_t *out, uint8_t proto,
				    const uint8_t *payload, size_t len)
{
	uint8_t *h = out + 14;
	memcpy(out, fuzz_our_mac, 6);
	memcpy(out + 6, fuzz_peer_mac, 6);
	put_be16(out + 12, ETHERTYPE_IPV4);
	memset(h, 0, 20);
	h[0] = 0x45;
	put_be16(h + 2, (uint16_t)(20 + len));
	h[8] = 64;
	h[9] = proto;
	put_be32(h + 12, 0x0a000001);
	put_be32(h + 16, 0x0a000002);
	put_be16(h + 10, csum_fold(csum_partial(h, 20, 0)));
	memcpy(h + 20, payload, len);
	return 34 + len;
}

#endif
