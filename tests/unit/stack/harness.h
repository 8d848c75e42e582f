/*
 * harness.h - building frames for the stack's unit tests, and reading
 * what comes out
 *
 * A test makes a stack with one interface (OUR_MAC, 10.0.0.2/24 unless
 * it says otherwise), feeds it frames built here from the peer PEER_MAC
 * / 10.0.0.1, and inspects the frames the stack queued. Builders write
 * real headers with correct checksums; tests then break one field.
 */
#ifndef UTCP_TEST_HARNESS_H
#define UTCP_TEST_HARNESS_H

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "stack.h"
#include "stack_internal.h"

#define OUR_ADDR  0x0a000002u	/* 10.0.0.2 */
#define PEER_ADDR 0x0a000001u	/* 10.0.0.1 */
#define T0	  1000000000ull /* tests start at t = 1 s */

static const uint8_t OUR_MAC[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t PEER_MAC[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t BCAST_MAC[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static inline struct stack *t_stack_lim(const struct stack_limits *lim)
{
	struct stack *s = stack_new(lim, 42);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(stack_if_add(s, "tap0", OUR_MAC, 1500), 0);
	ck_assert_int_eq(stack_if_set_address(s, T0, 0, OUR_ADDR, 24), 0);
	return s;
}

static inline struct stack *t_stack(void)
{
	struct stack_limits lim;
	stack_limits_default(&lim);
	return t_stack_lim(&lim);
}

/* Drops every queued frame (the gratuitous ARP after set_address ...). */
static inline int t_drain(struct stack *s)
{
	struct pkt *p;
	int n = 0;
	while ((p = stack_pop_tx(s))) {
		stack_pkt_free(s, p);
		n++;
	}
	return n;
}

static inline uint64_t t_ctr(struct stack *s, enum stack_counter c)
{
	return stack_counter_get(s, c);
}

/* A frame under construction: a plain byte array. */
struct tframe {
	uint8_t b[70000];
	size_t len;
};

static inline void t_eth(struct tframe *f, const uint8_t *dst,
			 const uint8_t *src, uint16_t type)
{
	memcpy(f->b, dst, 6);
	memcpy(f->b + 6, src, 6);
	put_be16(f->b + 12, type);
	f->len = 14;
}

/* Appends an IPv4 header (no options) for `payload_len` bytes. */
static inline uint8_t *t_ipv4(struct tframe *f, uint32_t src, uint32_t dst,
			      uint8_t proto, uint16_t id, uint16_t frag,
			      size_t payload_len)
{
	uint8_t *h = f->b + f->len;
	memset(h, 0, 20);
	h[0] = 0x45;
	put_be16(h + 2, (uint16_t)(20 + payload_len));
	put_be16(h + 4, id);
	put_be16(h + 6, frag);
	h[8] = 64;
	h[9] = proto;
	put_be32(h + 12, src);
	put_be32(h + 16, dst);
	put_be16(h + 10, csum_fold(csum_partial(h, 20, 0)));
	f->len += 20;
	return h;
}

static inline void t_ipv4_recsum(uint8_t *h)
{
	put_be16(h + 10, 0);
	put_be16(h + 10, csum_fold(csum_partial(h, (h[0] & 15u) * 4u, 0)));
}

/* A whole Ethernet/IPv4/UDP frame from the peer to us. */
static inline void t_udp_frame(struct tframe *f, uint32_t src, uint16_t sport,
			       uint32_t dst, uint16_t dport, const void *data,
			       size_t len)
{
	uint8_t *u;
	t_eth(f, OUR_MAC, PEER_MAC, ETHERTYPE_IPV4);
	t_ipv4(f, src, dst, IPV4_PROTO_UDP, 7, 0, 8 + len);
	u = f->b + f->len;
	put_be16(u, sport);
	put_be16(u + 2, dport);
	put_be16(u + 4, (uint16_t)(8 + len));
	put_be16(u + 6, 0);
	memcpy(u + 8, data, len);
	put_be16(u + 6, csum_fold(csum_partial(
			    u, 8 + len,
			    csum_pseudo(src, dst, 17, (uint16_t)(8 + len)))));
	f->len += 8 + len;
}

/* An echo request frame from the peer to dst. */
static inline void t_ping_frame(struct tframe *f, uint32_t dst, uint16_t id,
				uint16_t seq, const void *data, size_t len)
{
	uint8_t *m;
	t_eth(f, OUR_MAC, PEER_MAC, ETHERTYPE_IPV4);
	t_ipv4(f, PEER_ADDR, dst, IPV4_PROTO_ICMP, 9, 0, 8 + len);
	m = f->b + f->len;
	m[0] = 8;
	m[1] = 0;
	put_be16(m + 2, 0);
	put_be16(m + 4, id);
	put_be16(m + 6, seq);
	memcpy(m + 8, data, len);
	put_be16(m + 2, csum_fold(csum_partial(m, 8 + len, 0)));
	f->len += 8 + len;
}

/* An ARP packet in a frame. */
static inline void t_arp_frame(struct tframe *f, const uint8_t *eth_dst,
			       uint16_t oper, const uint8_t *sha, uint32_t spa,
			       const uint8_t *tha, uint32_t tpa)
{
	uint8_t *a;
	t_eth(f, eth_dst, sha, ETHERTYPE_ARP);
	a = f->b + f->len;
	put_be16(a, 1);
	put_be16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put_be16(a + 6, oper);
	memcpy(a + 8, sha, 6);
	put_be32(a + 14, spa);
	memcpy(a + 18, tha, 6);
	put_be32(a + 24, tpa);
	f->len += 28;
}

/* Feeds a frame to the stack at `now`. */
static inline void t_input(struct stack *s, uint64_t now,
			   const struct tframe *f)
{
	struct pkt *p = stack_pkt_alloc(s, f->len);
	ck_assert_ptr_nonnull(p);
	memcpy(p->data, f->b, f->len);
	p->len = (uint32_t)f->len;
	p->ifindex = 0;
	stack_input(s, now, p);
}

/* Teaches the stack that the peer is at PEER_MAC (an ARP request). */
static inline void t_learn_peer(struct stack *s)
{
	static const uint8_t zero[6];
	struct tframe f;
	t_arp_frame(&f, BCAST_MAC, 1, PEER_MAC, PEER_ADDR, zero, OUR_ADDR);
	t_input(s, T0, &f);
	t_drain(s);
}

/* Pops the next tx frame and checks it is IPv4 of protocol proto;
 * returns it (caller frees) with data still at the Ethernet header. */
static inline struct pkt *t_pop_ipv4(struct stack *s, uint8_t proto)
{
	struct pkt *p = stack_pop_tx(s);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_ge(p->len, 34);
	ck_assert_uint_eq(get_be16(p->data + 12), ETHERTYPE_IPV4);
	ck_assert_uint_eq(p->data[14 + 9], proto);
	/* Every header we send has a valid checksum. */
	ck_assert_uint_eq(
	    csum_fold(csum_partial(p->data + 14, (p->data[14] & 15u) * 4u, 0)),
	    0);
	return p;
}

/* Runs a suite; the process's exit status says whether it passed. */
static inline int t_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
