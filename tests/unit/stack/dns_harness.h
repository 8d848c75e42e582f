/*
 * dns_harness.h - a scripted DNS server for the resolver's unit tests
 *
 * A test makes a resolver (t_dns()), starts lookups, and plays the
 * servers: t_sent() pops what the resolver wants sent and decodes each
 * query (ID, name, type: the codec parses responses only, so the few
 * query bytes are read here); t_reply_*() build answers with the
 * codec's writer and hand them back as the server (or, to test the
 * checks, as someone else). Time is in nanoseconds from T0.
 */
#ifndef UTCP_TEST_DNS_HARNESS_H
#define UTCP_TEST_DNS_HARNESS_H

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "dns.h"
#include "dns_msg.h"

#define T0    1000000000000ull /* tests start at t = 1000 s */
#define MS    1000000ull
#define SEC   1000000000ull
#define S1    0x0a000035u /* 10.0.0.53 */
#define S2    0x0a000036u /* 10.0.0.54 */
#define S3    0x0a000037u /* 10.0.0.55 */
#define ADDR1 0xc0000201u /* 192.0.2.1 */
#define ADDR2 0xc0000202u /* 192.0.2.2 */

/* One thing the resolver sent, its query decoded. */
struct t_sent {
	enum dns_tx_kind kind;
	uint32_t transport;
	uint32_t server;
	uint16_t port;
	uint16_t id;
	uint16_t flags;
	char name[DNS_NAME_MAX];
	uint16_t qtype;
	uint16_t arcount;
};

/* Results popped (kept off the stack: each is about 3 KiB). */
static struct dns_result t_res;

static inline struct dns_resolver *t_dns_lim(const struct dns_limits *lim)
{
	struct dns_resolver *r = dns_new(lim, 7);
	struct dns_server sv[2] = {{S1, DNS_PORT, 0, 0}, {S2, DNS_PORT, 0, 0}};

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(dns_set_servers(r, T0, sv, 2), 0);
	return r;
}

/* A resolver with the default limits and servers S1 and S2. */
static inline struct dns_resolver *t_dns(void)
{
	struct dns_limits lim;

	dns_limits_default(&lim);
	return t_dns_lim(&lim);
}

/* Decodes the query in a UDP or TCP tx. */
static inline void t_decode(const struct dns_tx *tx, struct t_sent *s)
{
	const uint8_t *p = tx->data;
	size_t off = DNS_HEADER_LEN, n = 0;

	ck_assert_uint_ge(tx->len, DNS_HEADER_LEN + 5);
	s->id = get_be16(p);
	s->flags = get_be16(p + 2);
	ck_assert_uint_eq(get_be16(p + 4), 1);
	s->arcount = get_be16(p + 10);
	while (p[off]) {
		uint8_t l = p[off++];

		ck_assert_uint_le(l, 63);
		ck_assert_uint_lt(off + l, tx->len);
		if (n)
			s->name[n++] = '.';
		memcpy(s->name + n, p + off, l);
		n += l;
		off += l;
	}
	s->name[n] = '\0';
	off++;
	s->qtype = get_be16(p + off);
	ck_assert_uint_eq(get_be16(p + off + 2), DNS_CLASS_IN);
}

/* Pops everything the resolver wants sent into out[] (at most max).
 * Returns how many. */
static inline size_t t_sent(struct dns_resolver *r, struct t_sent *out,
			    size_t max)
{
	struct dns_tx tx;
	size_t n = 0;

	while (dns_pop_tx(r, &tx)) {
		ck_assert_uint_lt(n, max);
		memset(&out[n], 0, sizeof(out[n]));
		out[n].kind = tx.kind;
		out[n].transport = tx.transport;
		out[n].server = tx.server;
		out[n].port = tx.port;
		if (tx.kind != DNS_TX_CLOSE)
			t_decode(&tx, &out[n]);
		n++;
	}
	return n;
}

/* Pops exactly one query (UDP or TCP, no CLOSE) and returns it. */
static inline struct t_sent t_one(struct dns_resolver *r)
{
	struct t_sent s[4];

	ck_assert_uint_eq(t_sent(r, s, 4), 1);
	ck_assert_int_ne(s[0].kind, DNS_TX_CLOSE);
	return s[0];
}

/* Pops a CLOSE of `transport` then one query, and returns the query. */
static inline struct t_sent t_close_then_one(struct dns_resolver *r,
					     uint32_t transport)
{
	struct t_sent s[4];

	ck_assert_uint_eq(t_sent(r, s, 4), 2);
	ck_assert_int_eq(s[0].kind, DNS_TX_CLOSE);
	ck_assert_uint_eq(s[0].transport, transport);
	ck_assert_int_ne(s[1].kind, DNS_TX_CLOSE);
	ck_assert_uint_eq(s[1].transport, transport);
	return s[1];
}

/* Nothing to send. */
static inline void t_quiet(struct dns_resolver *r)
{
	struct dns_tx tx;

	ck_assert(!dns_pop_tx(r, &tx));
}

/* An answer being written for a query. */
struct t_msg {
	uint8_t b[DNS_MSG_MAX];
	struct dns_writer w;
};

static struct t_msg t_msg;

/* Starts the answer to s: same ID and question, QR RD RA and `rcode`
 * (with DNS_F_TC when tc). */
static inline struct dns_writer *t_answer(const struct t_sent *s,
					  uint16_t rcode, bool tc)
{
	uint16_t flags = (uint16_t)(DNS_F_QR | DNS_F_RD | DNS_F_RA | rcode |
				    (tc ? DNS_F_TC : 0));

	dns_writer_init(&t_msg.w, t_msg.b, sizeof(t_msg.b), s->id, flags);
	dns_writer_question(&t_msg.w, s->name, s->qtype);
	return &t_msg.w;
}

static inline void t_rr_a(struct dns_writer *w, const char *name, uint32_t addr,
			  uint32_t ttl)
{
	uint8_t a[4];

	put_be32(a, addr);
	dns_writer_rr(w, DNS_SEC_ANSWER, name, DNS_TYPE_A, ttl, a, 4);
}

static inline void t_rr_aaaa(struct dns_writer *w, const char *name,
			     uint8_t last, uint32_t ttl)
{
	uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8};

	a[15] = last;
	dns_writer_rr(w, DNS_SEC_ANSWER, name, DNS_TYPE_AAAA, ttl, a, 16);
}

/* Finishes the answer and hands it over UDP as src:sport on the
 * query's transport. */
static inline void t_deliver_from(struct dns_resolver *r, uint64_t now,
				  const struct t_sent *s, uint32_t src,
				  uint16_t sport)
{
	int len = dns_writer_finish(&t_msg.w);

	ck_assert_int_gt(len, 0);
	dns_udp_input(r, now, s->transport, src, sport, t_msg.b, (size_t)len);
}

/* Finishes the answer and hands it as the query's server. */
static inline void t_deliver(struct dns_resolver *r, uint64_t now,
			     const struct t_sent *s)
{
	if (s->kind == DNS_TX_TCP) {
		int len = dns_writer_finish(&t_msg.w);

		ck_assert_int_gt(len, 0);
		dns_tcp_input(r, now, s->transport, t_msg.b, (size_t)len);
		return;
	}
	t_deliver_from(r, now, s, s->server, s->port);
}

/* Answers s with one A record. */
static inline void t_reply_a(struct dns_resolver *r, uint64_t now,
			     const struct t_sent *s, uint32_t addr,
			     uint32_t ttl)
{
	t_rr_a(t_answer(s, DNS_RCODE_NOERROR, false), s->name, addr, ttl);
	t_deliver(r, now, s);
}

/* Answers s with `rcode` and nothing else (or an SOA when soa_ttl is
 * not 0: TTL soa_ttl, MINIMUM soa_min). */
static inline void t_reply_neg(struct dns_resolver *r, uint64_t now,
			       const struct t_sent *s, uint16_t rcode,
			       uint32_t soa_ttl, uint32_t soa_min)
{
	struct dns_writer *w = t_answer(s, rcode, false);

	if (soa_ttl)
		dns_writer_soa(w, DNS_SEC_AUTHORITY, "example.org", soa_ttl,
			       soa_min);
	t_deliver(r, now, s);
}

/* Pops one result into t_res and checks its status. */
static inline struct dns_result *t_result(struct dns_resolver *r,
					  enum dns_status st)
{
	ck_assert(dns_pop_result(r, &t_res));
	ck_assert_str_eq(dns_status_name(t_res.status), dns_status_name(st));
	return &t_res;
}

static inline void t_no_result(struct dns_resolver *r)
{
	ck_assert(!dns_pop_result(r, &t_res));
}

static inline uint32_t t_v4(const struct dns_addr *a)
{
	ck_assert_uint_eq(a->family, 4);
	return get_be32(a->addr);
}

static inline uint64_t t_count(const struct dns_resolver *r, enum dns_counter c)
{
	return dns_counter_get(r, c);
}

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
