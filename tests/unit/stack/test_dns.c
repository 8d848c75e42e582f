/*
 * test_dns.c - the stub resolver on the wire: what an answer must match
 * to be accepted, random IDs, retries with their exact deadlines,
 * failover and the unresponsive server tried last, SERVFAIL and
 * transport errors, truncation and TCP, CNAME chains and loops, both
 * families, coalescing, and the limits (questions in flight, lookups,
 * lookups per owner)
 */
#include "dns_harness.h"

START_TEST(test_a_lookup_end_to_end_accepts_only_the_exact_answer)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q, bad;
	struct dns_result *res;
	int id =
	    dns_lookup(r, T0, "www.example.org", DNS_WANT_A, 1, (void *)&t_res);

	ck_assert_int_ge(id, 0);
	q = t_one(r);
	ck_assert_int_eq(q.kind, DNS_TX_UDP);
	ck_assert_uint_eq(q.transport, 0);
	ck_assert_uint_eq(q.server, S1);
	ck_assert_uint_eq(q.port, DNS_PORT);
	ck_assert_str_eq(q.name, "www.example.org");
	ck_assert_uint_eq(q.qtype, DNS_TYPE_A);
	ck_assert(q.flags & DNS_F_RD);
	ck_assert_uint_eq(q.arcount, 1); /* EDNS0 */
	ck_assert_uint_eq(dns_next_deadline(r), T0 + 1000 * MS);
	ck_assert_uint_eq(dns_questions_active(r), 1);
	ck_assert_uint_eq(dns_lookups_pending(r), 1);

	/* The wrong ID. */
	bad = q;
	bad.id = (uint16_t)(q.id + 1);
	t_reply_a(r, T0, &bad, ADDR1, 300);
	/* The wrong server, then the wrong port. */
	t_rr_a(t_answer(&q, 0, false), q.name, ADDR1, 300);
	t_deliver_from(r, T0, &q, S2, DNS_PORT);
	t_rr_a(t_answer(&q, 0, false), q.name, ADDR1, 300);
	t_deliver_from(r, T0, &q, S1, 5353);
	/* The wrong question: another name, another type. */
	bad = q;
	strcpy(bad.name, "www.example.com");
	t_reply_a(r, T0, &bad, ADDR1, 300);
	bad = q;
	bad.qtype = DNS_TYPE_AAAA;
	t_answer(&bad, 0, false);
	t_deliver(r, T0, &bad);
	/* Another transport. */
	bad = q;
	bad.transport = 1;
	t_reply_a(r, T0, &bad, ADDR1, 300);
	ck_assert_uint_eq(t_count(r, DNS_C_rx_mismatch), 6);
	ck_assert_uint_eq(t_count(r, DNS_C_answers), 0);
	t_no_result(r);
	t_quiet(r);

	/* The right one, the name in another case. */
	bad = q;
	strcpy(bad.name, "WWW.Example.ORG");
	t_rr_a(t_answer(&bad, 0, false), "www.example.org", ADDR1, 300);
	t_deliver(r, T0 + 20 * MS, &q);
	res = t_result(r, DNS_OK);
	ck_assert_int_eq(res->lookup, id);
	ck_assert_uint_eq(res->owner, 1);
	ck_assert_ptr_eq(res->cookie, &t_res);
	ck_assert_int_eq(res->source, DNS_SRC_NETWORK);
	ck_assert_uint_eq(res->server, S1);
	ck_assert_uint_eq(res->server_port, DNS_PORT);
	ck_assert_str_eq(res->name, "www.example.org");
	ck_assert_uint_eq(res->naddrs, 1);
	ck_assert_uint_eq(t_v4(&res->addrs[0]), ADDR1);
	ck_assert_uint_eq(res->addrs[0].ttl, 300);
	t_no_result(r);

	/* Its transport is closed; nothing is left. */
	struct t_sent s[2];
	ck_assert_uint_eq(t_sent(r, s, 2), 1);
	ck_assert_int_eq(s[0].kind, DNS_TX_CLOSE);
	ck_assert_uint_eq(s[0].transport, 0);
	ck_assert_uint_eq(dns_next_deadline(r), UINT64_MAX);
	ck_assert_uint_eq(dns_questions_active(r), 0);
	ck_assert_uint_eq(dns_lookups_pending(r), 0);
	ck_assert_uint_eq(t_count(r, DNS_C_answers), 1);
	ck_assert_uint_eq(t_count(r, DNS_C_queries), 1);
	ck_assert_uint_eq(t_count(r, DNS_C_lookups), 1);
	ck_assert_uint_eq(t_count(r, DNS_C_lookups_ok), 1);
	ck_assert_uint_eq(t_count(r, DNS_C_cache_misses), 1);
	dns_free(r);
}
END_TEST

START_TEST(test_malformed_answer_is_dropped_counted_and_waited_past)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q;
	uint8_t junk[DNS_HEADER_LEN] = {0};

	dns_lookup(r, T0, "example.org", DNS_WANT_A, 1, NULL);
	q = t_one(r);
	dns_udp_input(r, T0, q.transport, S1, DNS_PORT, junk, 5);
	ck_assert_uint_eq(t_count(r, DNS_C_rx_drop_short), 1);
	/* QR clear: a query, not an answer. */
	put_be16(junk, q.id);
	put_be16(junk + 4, 1);
	dns_udp_input(r, T0, q.transport, S1, DNS_PORT, junk, sizeof(junk));
	ck_assert_uint_eq(t_count(r, DNS_C_rx_drop_header), 1);
	t_no_result(r);
	t_reply_a(r, T0, &q, ADDR1, 60);
	t_result(r, DNS_OK);
	dns_free(r);
}
END_TEST

START_TEST(test_retries_back_off_across_servers_then_again)
{
	struct dns_resolver *r = t_dns();
	/* attempt k: server, wait (ms) */
	static const struct {
		uint32_t server;
		uint64_t wait_ms;
	} plan[] = {{S1, 1000}, {S2, 1000}, {S1, 2000},
		    {S2, 2000}, {S1, 4000}, {S2, 4000}};
	uint16_t ids[6];
	uint64_t now = T0;
	struct t_sent q;
	struct dns_server_info si[2];

	dns_lookup(r, now, "example.org", DNS_WANT_A, 1, NULL);
	q = t_one(r);
	for (size_t k = 0; k < 6; k++) {
		if (k)
			q = t_close_then_one(r, 0);
		ck_assert_int_eq(q.kind, DNS_TX_UDP);
		ck_assert_uint_eq(q.server, plan[k].server);
		ids[k] = q.id;
		ck_assert_uint_eq(dns_next_deadline(r),
				  now + plan[k].wait_ms * MS);
		/* Not a nanosecond early. */
		dns_timer(r, dns_next_deadline(r) - 1);
		t_quiet(r);
		now = dns_next_deadline(r);
		dns_timer(r, now);
	}
	/* Given up after attempts (3) rounds over the two servers. */
	t_result(r, DNS_AGAIN);
	ck_assert_str_eq(t_res.name, "example.org");
	struct t_sent s[2];
	ck_assert_uint_eq(t_sent(r, s, 2), 1);
	ck_assert_int_eq(s[0].kind, DNS_TX_CLOSE);
	ck_assert_uint_eq(now, T0 + 14000 * MS);
	ck_assert_uint_eq(dns_next_deadline(r), UINT64_MAX);
	ck_assert_uint_eq(t_count(r, DNS_C_timeouts), 6);
	ck_assert_uint_eq(t_count(r, DNS_C_queries), 6);
	ck_assert_uint_eq(t_count(r, DNS_C_lookups_failed), 1);
	/* A fresh random ID for each attempt. */
	for (size_t i = 0; i < 6; i++)
		for (size_t j = i + 1; j < 6; j++)
			ck_assert_uint_ne(ids[i], ids[j]);
	ck_assert_uint_eq(dns_server_snapshot(r, si, 2), 2);
	ck_assert(si[0].unresponsive && si[1].unresponsive);
	ck_assert_uint_eq(si[0].timeouts, 3);
	ck_assert_uint_eq(si[0].queries, 3);
	dns_free(r);
}
END_TEST

START_TEST(test_wait_is_capped_at_timeout_max)
{
	struct dns_limits lim;
	struct dns_resolver *r;
	struct dns_server sv = {S1, DNS_PORT, 0, 0};
	uint64_t now = T0;

	dns_limits_default(&lim);
	lim.timeout_ms = 3000;
	lim.attempts = 4;
	r = t_dns_lim(&lim);
	dns_set_servers(r, T0, &sv, 1);
	dns_lookup(r, now, "example.org", DNS_WANT_A, 1, NULL);
	/* 3 s, 6 s, then 8 s (not 12, not 24). */
	static const uint64_t waits[] = {3000, 6000, 8000, 8000};
	for (size_t k = 0; k < 4; k++) {
		(void)(k ? t_close_then_one(r, 0) : t_one(r));
		ck_assert_uint_eq(dns_next_deadline(r), now + waits[k] * MS);
		now = dns_next_deadline(r);
		dns_timer(r, now);
	}
	t_result(r, DNS_AGAIN);
	dns_free(r);
}
END_TEST

START_TEST(test_unresponsive_server_is_tried_last_until_it_answers)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q;
	struct dns_server_info si[2];

	dns_lookup(r, T0, "one.example", DNS_WANT_A, 1, NULL);
	q = t_one(r);
	ck_assert_uint_eq(q.server, S1);
	dns_timer(r, T0 + 1000 * MS);
	q = t_close_then_one(r, 0);
	ck_assert_uint_eq(q.server, S2);
	t_reply_a(r, T0 + 1100 * MS, &q, ADDR1, 60);
	ck_assert_uint_eq(t_result(r, DNS_OK)->server, S2);
	ck_assert_uint_eq(dns_server_snapshot(r, si, 2), 2);
	ck_assert_uint_eq(si[0].server.addr, S1); /* the order set */
	ck_assert(si[0].unresponsive);
	ck_assert(!si[1].unresponsive);
	t_sent(r, &q, 1);

	/* A new question asks S2 first; S2 refuses, S1 answers at once. */
	dns_lookup(r, T0 + 2 * SEC, "two.example", DNS_WANT_A, 1, NULL);
	q = t_one(r);
	ck_assert_uint_eq(q.server, S2);
	t_reply_neg(r, T0 + 2 * SEC, &q, DNS_RCODE_REFUSED, 0, 0);
	q = t_close_then_one(r, 0);
	ck_assert_uint_eq(q.server, S1);
	t_reply_a(r, T0 + 2 * SEC, &q, ADDR2, 60);
	ck_assert_uint_eq(t_result(r, DNS_OK)->server, S1);
	t_sent(r, &q, 1);
	dns_server_snapshot(r, si, 2);
	ck_assert(!si[0].unresponsive);
	ck_assert_uint_eq(si[1].failures, 1);

	/* S1 answers again: it is first again. */
	dns_lookup(r, T0 + 3 * SEC, "three.example", DNS_WANT_A, 1, NULL);
	ck_assert_uint_eq(t_one(r).server, S1);
	dns_free(r);
}
END_TEST

START_TEST(test_servfail_and_transport_error_move_on_at_once)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q;
	uint64_t now = T0 + 300 * MS;

	dns_lookup(r, T0, "example.org", DNS_WANT_A, 1, NULL);
	q = t_one(r);
	t_reply_neg(r, now, &q, DNS_RCODE_SERVFAIL, 0, 0);
	q = t_close_then_one(r, 0);
	ck_assert_uint_eq(q.server, S2);
	ck_assert_uint_eq(dns_next_deadline(r), now + 1000 * MS);
	ck_assert_uint_eq(t_count(r, DNS_C_servfail), 1);
	/* ICMP unreachable from S2: the next round, S1 at once, 2 s. */
	dns_transport_error(r, now, q.transport, -ECONNREFUSED);
	q = t_close_then_one(r, 0);
	ck_assert_uint_eq(q.server, S1);
	ck_assert_uint_eq(dns_next_deadline(r), now + 2000 * MS);
	ck_assert_uint_eq(t_count(r, DNS_C_transport_errors), 1);
	/* NOTIMP and FORMERR count the same. */
	t_reply_neg(r, now, &q, DNS_RCODE_NOTIMP, 0, 0);
	q = t_close_then_one(r, 0);
	t_reply_neg(r, now, &q, DNS_RCODE_FORMERR, 0, 0);
	q = t_close_then_one(r, 0);
	ck_assert_uint_eq(t_count(r, DNS_C_servfail), 3);
	t_reply_a(r, now, &q, ADDR1, 60);
	t_result(r, DNS_OK);
	dns_free(r);
}
END_TEST

START_TEST(test_truncated_answer_is_asked_again_over_tcp_same_server)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q, tq;
	struct dns_result *res;

	dns_lookup(r, T0, "big.example", DNS_WANT_A, 1, NULL);
	q = t_one(r);
	t_rr_a(t_answer(&q, 0, true), q.name, ADDR1, 60);
	t_deliver(r, T0, &q);
	t_no_result(r);
	tq = t_close_then_one(r, 0);
	ck_assert_int_eq(tq.kind, DNS_TX_TCP);
	ck_assert_uint_eq(tq.server, S1);
	ck_assert_uint_eq(tq.port, DNS_PORT);
	ck_assert_str_eq(tq.name, "big.example");
	ck_assert_uint_eq(dns_next_deadline(r), T0 + DNS_TCP_TIMEOUT_MS * MS);
	ck_assert_uint_eq(t_count(r, DNS_C_truncated), 1);
	ck_assert_uint_eq(t_count(r, DNS_C_queries_tcp), 1);
	/* A datagram now is not the attempt's. */
	t_reply_a(r, T0, &q, ADDR1, 60);
	ck_assert_uint_eq(t_count(r, DNS_C_rx_mismatch), 1);
	/* The whole answer over TCP. */
	struct dns_writer *w = t_answer(&tq, 0, false);
	for (uint32_t i = 0; i < 100; i++)
		t_rr_a(w, tq.name, ADDR1 + i, 60);
	t_deliver(r, T0 + 50 * MS, &tq);
	res = t_result(r, DNS_OK);
	ck_assert_uint_eq(res->naddrs, 100);
	ck_assert_uint_eq(t_v4(&res->addrs[99]), ADDR1 + 99);
	dns_free(r);
}
END_TEST

START_TEST(test_tcp_timeout_moves_to_the_next_server_over_udp)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q;

	dns_lookup(r, T0, "big.example", DNS_WANT_A, 1, NULL);
	q = t_one(r);
	t_answer(&q, 0, true);
	t_deliver(r, T0, &q);
	q = t_close_then_one(r, 0);
	ck_assert_int_eq(q.kind, DNS_TX_TCP);
	dns_timer(r, T0 + DNS_TCP_TIMEOUT_MS * MS);
	q = t_close_then_one(r, 0);
	ck_assert_int_eq(q.kind, DNS_TX_UDP);
	ck_assert_uint_eq(q.server, S2);
	dns_free(r);
}
END_TEST

START_TEST(test_cname_chain_is_followed_and_cached_for_the_name_asked)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q;
	struct dns_result *res;
	struct dns_writer *w;

	dns_lookup(r, T0, "www.example.org", DNS_WANT_A, 1, NULL);
	q = t_one(r);
	/* A dangling chain: www -> web.example.net, no address. */
	w = t_answer(&q, 0, false);
	dns_writer_rr_name(w, DNS_SEC_ANSWER, "www.example.org", DNS_TYPE_CNAME,
			   120, "web.example.net");
	t_deliver(r, T0, &q);
	t_no_result(r);
	q = t_close_then_one(r, 0);
	ck_assert_str_eq(q.name, "web.example.net");
	ck_assert_uint_eq(q.qtype, DNS_TYPE_A);
	ck_assert_uint_eq(t_count(r, DNS_C_cname_chases), 1);
	t_reply_a(r, T0, &q, ADDR2, 600);
	res = t_result(r, DNS_OK);
	ck_assert_str_eq(res->name, "web.example.net");
	ck_assert_uint_eq(t_v4(&res->addrs[0]), ADDR2);
	ck_assert_uint_eq(res->addrs[0].ttl, 120); /* the link's TTL */

	/* The same lookup from the cache: the same answer, TTL left. */
	t_sent(r, &q, 1);
	dns_lookup(r, T0 + 20 * SEC, "www.example.org", DNS_WANT_A, 1, NULL);
	t_quiet(r);
	res = t_result(r, DNS_OK);
	ck_assert_int_eq(res->source, DNS_SRC_CACHE);
	ck_assert_str_eq(res->name, "web.example.net");
	ck_assert_uint_eq(res->addrs[0].ttl, 100);
	ck_assert_uint_eq(res->server, S1);
	dns_free(r);
}
END_TEST

START_TEST(test_cname_chain_in_one_answer)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q;
	struct dns_result *res;
	struct dns_writer *w;

	dns_lookup(r, T0, "www.example.org", DNS_WANT_A, 1, NULL);
	q = t_one(r);
	w = t_answer(&q, 0, false);
	dns_writer_rr_name(w, DNS_SEC_ANSWER, "www.example.org", DNS_TYPE_CNAME,
			   50, "web.example.net");
	t_rr_a(w, "web.example.net", ADDR1, 300);
	t_deliver(r, T0, &q);
	res = t_result(r, DNS_OK);
	ck_assert_str_eq(res->name, "web.example.net");
	ck_assert_uint_eq(res->addrs[0].ttl, 50);
	ck_assert_uint_eq(t_count(r, DNS_C_cname_chases), 0);
	dns_free(r);
}
END_TEST

START_TEST(test_cname_loop_fails)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q;
	struct dns_writer *w;

	dns_lookup(r, T0, "a.example", DNS_WANT_A, 1, NULL);
	q = t_one(r);
	w = t_answer(&q, 0, false);
	dns_writer_rr_name(w, DNS_SEC_ANSWER, "a.example", DNS_TYPE_CNAME, 50,
			   "b.example");
	dns_writer_rr_name(w, DNS_SEC_ANSWER, "b.example", DNS_TYPE_CNAME, 50,
			   "a.example");
	t_deliver(r, T0, &q);
	t_result(r, DNS_FAIL);
	ck_assert_uint_eq(t_count(r, DNS_C_cname_loops), 1);
	dns_free(r);
}
END_TEST

START_TEST(test_cname_chase_beyond_the_bound_fails)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q;
	char next[32];

	dns_lookup(r, T0, "n0.example", DNS_WANT_A, 1, NULL);
	q = t_one(r);
	/* Each answer one more link: n0 -> n1 -> ... */
	for (unsigned i = 0; i <= DNS_CNAME_MAX; i++) {
		snprintf(next, sizeof(next), "n%u.example", i + 1);
		dns_writer_rr_name(t_answer(&q, 0, false), DNS_SEC_ANSWER,
				   q.name, DNS_TYPE_CNAME, 50, next);
		t_deliver(r, T0, &q);
		if (i < DNS_CNAME_MAX) {
			t_no_result(r);
			q = t_close_then_one(r, 0);
			ck_assert_str_eq(q.name, next);
		}
	}
	t_result(r, DNS_FAIL);
	ck_assert_str_eq(t_res.name, "n0.example");
	ck_assert_uint_eq(t_count(r, DNS_C_cname_chases), DNS_CNAME_MAX);
	ck_assert_uint_eq(t_count(r, DNS_C_cname_loops), 1);
	dns_free(r);
}
END_TEST

START_TEST(test_both_families_asked_at_once_a_first_in_result)
{
	struct dns_resolver *r = t_dns();
	struct t_sent s[4];
	struct dns_result *res;
	const struct t_sent *qa, *q6;

	dns_lookup(r, T0, "dual.example", DNS_WANT_ALL, 1, NULL);
	ck_assert_uint_eq(t_sent(r, s, 4), 2);
	qa = s[0].qtype == DNS_TYPE_A ? &s[0] : &s[1];
	q6 = s[0].qtype == DNS_TYPE_A ? &s[1] : &s[0];
	ck_assert_uint_eq(qa->qtype, DNS_TYPE_A);
	ck_assert_uint_eq(q6->qtype, DNS_TYPE_AAAA);
	ck_assert_uint_ne(qa->transport, q6->transport);
	/* AAAA answers first. */
	struct dns_writer *w = t_answer(q6, 0, false);
	t_rr_aaaa(w, q6->name, 1, 60);
	t_rr_aaaa(w, q6->name, 2, 60);
	t_deliver(r, T0, q6);
	t_no_result(r);
	t_reply_a(r, T0, qa, ADDR1, 60);
	res = t_result(r, DNS_OK);
	ck_assert_uint_eq(res->naddrs, 3);
	ck_assert_uint_eq(t_v4(&res->addrs[0]), ADDR1);
	ck_assert_uint_eq(res->addrs[1].family, 6);
	ck_assert_uint_eq(res->addrs[1].addr[15], 1);
	ck_assert_uint_eq(res->addrs[2].addr[15], 2);
	t_sent(r, s, 4);
	/* A answers first this time: the lookup waits for AAAA. */
	dns_lookup(r, T0, "dual2.example", DNS_WANT_ALL, 1, NULL);
	ck_assert_uint_eq(t_sent(r, s, 4), 2);
	qa = s[0].qtype == DNS_TYPE_A ? &s[0] : &s[1];
	q6 = s[0].qtype == DNS_TYPE_A ? &s[1] : &s[0];
	t_reply_a(r, T0, qa, ADDR2, 60);
	t_no_result(r);
	t_rr_aaaa(t_answer(q6, 0, false), q6->name, 9, 60);
	t_deliver(r, T0, q6);
	res = t_result(r, DNS_OK);
	ck_assert_uint_eq(res->naddrs, 2);
	ck_assert_uint_eq(t_v4(&res->addrs[0]), ADDR2);
	ck_assert_uint_eq(res->addrs[1].addr[15], 9);
	dns_free(r);
}
END_TEST

START_TEST(test_one_family_failing_still_gives_the_other_addresses)
{
	struct dns_resolver *r = t_dns();
	struct t_sent s[4];
	struct dns_result *res;
	const struct t_sent *qa, *q6;
	uint64_t now = T0;

	dns_lookup(r, T0, "dual.example", DNS_WANT_ALL, 1, NULL);
	ck_assert_uint_eq(t_sent(r, s, 4), 2);
	qa = s[0].qtype == DNS_TYPE_A ? &s[0] : &s[1];
	q6 = s[0].qtype == DNS_TYPE_A ? &s[1] : &s[0];
	t_reply_a(r, T0, qa, ADDR1, 60);
	(void)q6;
	/* AAAA never answers: every attempt times out. */
	while (dns_next_deadline(r) != UINT64_MAX) {
		now = dns_next_deadline(r);
		dns_timer(r, now);
		t_sent(r, s, 4);
	}
	res = t_result(r, DNS_OK);
	ck_assert_uint_eq(res->naddrs, 1);
	ck_assert_uint_eq(t_v4(&res->addrs[0]), ADDR1);
	ck_assert_uint_eq(now, T0 + 14 * SEC);
	dns_free(r);
}
END_TEST

START_TEST(test_lookups_of_one_name_share_one_query)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q;
	int ids[5];

	for (int i = 0; i < 5; i++)
		ids[i] = dns_lookup(r, T0, "shared.example", DNS_WANT_A,
				    (uint64_t)i, NULL);
	q = t_one(r);
	ck_assert_uint_eq(t_count(r, DNS_C_coalesced), 4);
	ck_assert_uint_eq(dns_questions_active(r), 1);
	t_reply_a(r, T0, &q, ADDR1, 60);
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(t_result(r, DNS_OK)->lookup, ids[i]);
		ck_assert_uint_eq(t_v4(&t_res.addrs[0]), ADDR1);
	}
	t_no_result(r);
	ck_assert_uint_eq(t_count(r, DNS_C_queries), 1);
	dns_free(r);
}
END_TEST

START_TEST(test_questions_beyond_queries_max_wait_oldest_first)
{
	struct dns_limits lim;
	struct dns_resolver *r;
	struct t_sent s[4], q;

	dns_limits_default(&lim);
	lim.queries_max = 2;
	r = t_dns_lim(&lim);
	dns_lookup(r, T0, "a.example", DNS_WANT_A, 1, NULL);
	dns_lookup(r, T0, "b.example", DNS_WANT_A, 1, NULL);
	dns_lookup(r, T0, "c.example", DNS_WANT_A, 1, NULL);
	dns_lookup(r, T0, "d.example", DNS_WANT_A, 1, NULL);
	/* "a.example" again joins its question: no wait. */
	dns_lookup(r, T0, "a.example", DNS_WANT_A, 2, NULL);
	ck_assert_uint_eq(t_sent(r, s, 4), 2);
	ck_assert_str_eq(s[0].name, "a.example");
	ck_assert_str_eq(s[1].name, "b.example");
	ck_assert_uint_eq(dns_questions_active(r), 2);
	ck_assert_uint_eq(t_count(r, DNS_C_queries_waited), 2);
	/* b ends: its slot goes to c, the oldest waiting. */
	t_reply_a(r, T0, &s[1], ADDR2, 60);
	ck_assert_str_eq(t_result(r, DNS_OK)->name, "b.example");
	q = t_close_then_one(r, s[1].transport);
	ck_assert_str_eq(q.name, "c.example");
	t_reply_a(r, T0, &s[0], ADDR1, 60);
	t_result(r, DNS_OK);
	t_result(r, DNS_OK);
	q = t_close_then_one(r, s[0].transport);
	ck_assert_str_eq(q.name, "d.example");
	t_reply_a(r, T0, &q, ADDR1, 60);
	ck_assert_str_eq(t_result(r, DNS_OK)->name, "d.example");
	dns_free(r);
}
END_TEST

START_TEST(test_lookups_max_refuses_with_enobufs)
{
	struct dns_limits lim;
	struct dns_resolver *r;
	char name[32];
	int first = -1;

	dns_limits_default(&lim);
	lim.lookups_max = 4;
	lim.owner_lookups_max = 4;
	r = t_dns_lim(&lim);
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "n%d.example", i);
		int id = dns_lookup(r, T0, name, DNS_WANT_A, (uint64_t)i, NULL);

		ck_assert_int_ge(id, 0);
		if (i == 0)
			first = id;
	}
	ck_assert_int_eq(dns_lookup(r, T0, "x.example", DNS_WANT_A, 9, NULL),
			 -ENOBUFS);
	/* Even one answered at once needs its slot until it is popped. */
	ck_assert_int_eq(dns_lookup(r, T0, "localhost", DNS_WANT_A, 9, NULL),
			 -ENOBUFS);
	ck_assert_uint_eq(t_count(r, DNS_C_lookups_refused), 2);
	ck_assert_uint_eq(dns_lookups_pending(r), 4);
	/* One ends (cancelled): room again. */
	dns_cancel(r, first);
	ck_assert_uint_eq(dns_lookups_pending(r), 3);
	ck_assert_int_ge(dns_lookup(r, T0, "x.example", DNS_WANT_A, 9, NULL),
			 0);
	dns_free(r);
}
END_TEST

START_TEST(test_owner_limit_refuses_with_emfile_others_still_get_in)
{
	struct dns_limits lim;
	struct dns_resolver *r;
	int id;

	dns_limits_default(&lim);
	lim.owner_lookups_max = 2;
	r = t_dns_lim(&lim);
	ck_assert_int_ge(dns_lookup(r, T0, "a.example", DNS_WANT_A, 1, NULL),
			 0);
	ck_assert_int_ge(dns_lookup(r, T0, "b.example", DNS_WANT_A, 1, NULL),
			 0);
	ck_assert_int_eq(dns_lookup(r, T0, "c.example", DNS_WANT_A, 1, NULL),
			 -EMFILE);
	ck_assert_uint_eq(dns_owner_lookups(r, 1), 2);
	id = dns_lookup(r, T0, "c.example", DNS_WANT_A, 2, NULL);
	ck_assert_int_ge(id, 0);
	ck_assert_uint_eq(dns_owner_lookups(r, 2), 1);
	ck_assert_uint_eq(t_count(r, DNS_C_lookups_refused), 1);
	dns_free(r);
}
END_TEST

/* dns_set_limits() (a reload): a lowered owner limit keeps the lookups
 * pending and refuses new ones at it; ndots follows; the table sizes
 * cannot change, nor may a limit become 0. */
START_TEST(test_set_limits_at_run_time)
{
	struct dns_limits lim, bad;
	struct dns_resolver *r;

	dns_limits_default(&lim);
	lim.owner_lookups_max = 3;
	r = t_dns_lim(&lim);
	for (int i = 0; i < 3; i++)
		ck_assert_int_ge(
		    dns_lookup(r, T0, "a.example", DNS_WANT_A, 1, NULL), 0);
	lim.owner_lookups_max = 2;
	lim.ndots = 4;
	ck_assert_int_eq(dns_set_limits(r, &lim), 0);
	ck_assert_uint_eq(dns_owner_lookups(r, 1), 3);
	ck_assert_int_eq(dns_lookup(r, T0, "b.example", DNS_WANT_A, 1, NULL),
			 -EMFILE);
	ck_assert_uint_eq(dns_ndots(r), 4);
	lim.owner_lookups_max = 4;
	ck_assert_int_eq(dns_set_limits(r, &lim), 0);
	ck_assert_int_ge(dns_lookup(r, T0, "b.example", DNS_WANT_A, 1, NULL),
			 0);
	ck_assert_int_eq(dns_lookup(r, T0, "c.example", DNS_WANT_A, 1, NULL),
			 -EMFILE);
	bad = lim;
	bad.cache_max++;
	ck_assert_int_eq(dns_set_limits(r, &bad), -EINVAL);
	bad = lim;
	bad.queries_max--;
	ck_assert_int_eq(dns_set_limits(r, &bad), -EINVAL);
	bad = lim;
	bad.lookups_max++;
	ck_assert_int_eq(dns_set_limits(r, &bad), -EINVAL);
	bad = lim;
	bad.attempts = 0;
	ck_assert_int_eq(dns_set_limits(r, &bad), -EINVAL);
	bad = lim;
	bad.ndots = 16;
	ck_assert_int_eq(dns_set_limits(r, &bad), -EINVAL);
	ck_assert_uint_eq(dns_ndots(r), 4);
	dns_free(r);
}
END_TEST

START_TEST(test_no_server_is_again_at_once)
{
	struct dns_resolver *r = t_dns();

	ck_assert_int_eq(dns_set_servers(r, T0, NULL, 0), 0);
	ck_assert_int_ge(
	    dns_lookup(r, T0, "example.org", DNS_WANT_ALL, 1, NULL), 0);
	t_result(r, DNS_AGAIN);
	t_quiet(r);
	ck_assert_uint_eq(dns_next_deadline(r), UINT64_MAX);
	dns_free(r);
}
END_TEST

START_TEST(test_cancelled_lookup_gets_no_result_its_answer_is_cached)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q;
	int id, id2;

	id = dns_lookup(r, T0, "example.org", DNS_WANT_A, 1, NULL);
	q = t_one(r);
	dns_cancel(r, id);
	ck_assert_uint_eq(dns_lookups_pending(r), 0);
	ck_assert_uint_eq(dns_questions_active(r), 1);
	t_reply_a(r, T0, &q, ADDR1, 60);
	t_no_result(r);
	ck_assert_uint_eq(dns_cache_size(r), 1);
	/* Cancelled after its result was queued: the result goes too. */
	id = dns_lookup(r, T0, "localhost", DNS_WANT_A, 1, NULL);
	id2 = dns_lookup(r, T0, "example.org", DNS_WANT_A, 1, NULL);
	dns_cancel(r, id);
	ck_assert_int_eq(t_result(r, DNS_OK)->lookup, id2);
	t_no_result(r);
	/* A stale id does nothing. */
	dns_cancel(r, id);
	dns_cancel(r, -1);
	dns_free(r);
}
END_TEST

START_TEST(test_set_servers_keeps_the_state_of_servers_that_stay)
{
	struct dns_resolver *r = t_dns();
	struct dns_server sv[2] = {{S3, DNS_PORT, 2, 1}, {S1, DNS_PORT, 3, 2}};
	struct dns_server_info si[DNS_SERVERS_MAX];
	struct dns_server many[DNS_SERVERS_MAX + 1];
	struct t_sent q;

	dns_lookup(r, T0, "example.org", DNS_WANT_A, 1, NULL);
	t_one(r);
	dns_timer(r, T0 + SEC);
	q = t_close_then_one(r, 0);
	ck_assert_uint_eq(q.server, S2);
	ck_assert_int_eq(dns_set_servers(r, T0 + SEC, sv, 2), 0);
	ck_assert_uint_eq(dns_server_snapshot(r, si, DNS_SERVERS_MAX), 2);
	ck_assert_uint_eq(si[0].server.addr, S3);
	ck_assert(!si[0].unresponsive);
	ck_assert_uint_eq(si[0].queries, 0);
	ck_assert_uint_eq(si[1].server.addr, S1);
	ck_assert_int_eq(si[1].server.ifindex, 3);
	ck_assert(si[1].unresponsive);
	ck_assert_uint_eq(si[1].timeouts, 1);
	/* The attempt to S2 (gone) still goes on and is accepted. */
	t_reply_a(r, T0 + SEC, &q, ADDR1, 60);
	t_result(r, DNS_OK);
	/* S3 first now (S1 does not answer). */
	t_sent(r, &q, 1);
	dns_lookup(r, T0 + 2 * SEC, "other.example", DNS_WANT_A, 1, NULL);
	ck_assert_uint_eq(t_one(r).server, S3);
	/* At most DNS_SERVERS_MAX. */
	memset(many, 0, sizeof(many));
	ck_assert_int_eq(dns_set_servers(r, T0, many, DNS_SERVERS_MAX + 1),
			 -EINVAL);
	ck_assert_int_eq(dns_set_servers(r, T0, many, DNS_SERVERS_MAX), 0);
	dns_free(r);
}
END_TEST

START_TEST(test_bad_names_and_wants_are_einval)
{
	struct dns_resolver *r = t_dns();
	char label[80], longname[300];

	ck_assert_int_eq(dns_lookup(r, T0, "", DNS_WANT_A, 1, NULL), -EINVAL);
	ck_assert_int_eq(dns_lookup(r, T0, ".", DNS_WANT_A, 1, NULL), -EINVAL);
	memset(label, 'a', 64);
	strcpy(label + 64, ".example");
	ck_assert_int_eq(dns_lookup(r, T0, label, DNS_WANT_A, 1, NULL),
			 -EINVAL);
	strcpy(label + 63, ".example"); /* a 63-byte label: fine */
	ck_assert_int_ge(dns_lookup(r, T0, label, DNS_WANT_A, 1, NULL), 0);
	/* 253 bytes is the most; 254 is too long. */
	memset(longname, 0, sizeof(longname));
	for (int i = 0; i < 63; i++)
		strcat(longname, "abc.");
	strcat(longname, "a"); /* 253 */
	ck_assert_uint_eq(strlen(longname), 253);
	ck_assert_int_ge(dns_lookup(r, T0, longname, DNS_WANT_A, 1, NULL), 0);
	strcat(longname, "b");
	ck_assert_int_eq(dns_lookup(r, T0, longname, DNS_WANT_A, 1, NULL),
			 -EINVAL);
	ck_assert_int_eq(dns_lookup(r, T0, "ok.example", 0, 1, NULL), -EINVAL);
	ck_assert_int_eq(dns_lookup(r, T0, "ok.example", 4, 1, NULL), -EINVAL);
	ck_assert_uint_eq(t_count(r, DNS_C_lookups), 2);
	dns_free(r);
}
END_TEST

START_TEST(test_new_refuses_zero_limits)
{
	struct dns_limits lim;

	dns_limits_default(&lim);
	lim.queries_max = 0;
	ck_assert_ptr_null(dns_new(&lim, 1));
	dns_limits_default(&lim);
	lim.lookups_max = 0;
	ck_assert_ptr_null(dns_new(&lim, 1));
	dns_limits_default(&lim);
	lim.owner_lookups_max = 0;
	ck_assert_ptr_null(dns_new(&lim, 1));
	dns_limits_default(&lim);
	lim.attempts = 0;
	ck_assert_ptr_null(dns_new(&lim, 1));
	dns_limits_default(&lim);
	lim.timeout_ms = 0;
	ck_assert_ptr_null(dns_new(&lim, 1));
	dns_limits_default(&lim);
	lim.cache_max = 0;
	dns_free(dns_new(&lim, 1));
	ck_assert_str_eq(dns_counter_name(DNS_C_rx_drop_question),
			 "dns_rx_drop_question");
	ck_assert_str_eq(dns_status_name(DNS_NONAME), "noname");
	ck_assert_str_eq(dns_source_name(DNS_SRC_HOSTS), "hosts");
}
END_TEST

START_TEST(test_open_not_popped_is_rewritten_not_closed)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q;

	dns_lookup(r, T0, "example.org", DNS_WANT_A, 1, NULL);
	/* The caller has not popped the first attempt when it times out:
	 * one open is left (no CLOSE of a transport never opened). */
	dns_timer(r, T0 + SEC);
	q = t_one(r);
	ck_assert_uint_eq(q.server, S2);
	ck_assert_uint_eq(t_count(r, DNS_C_queries), 2);
	/* An error on the transport before it was reopened is ignored;
	 * on the current one it moves on. */
	t_reply_neg(r, T0 + SEC, &q, DNS_RCODE_SERVFAIL, 0, 0);
	dns_transport_error(r, T0 + SEC, 0, -ECONNREFUSED);
	ck_assert_uint_eq(t_count(r, DNS_C_transport_errors), 1);
	q = t_close_then_one(r, 0);
	ck_assert_uint_eq(q.server, S1);
	ck_assert_uint_eq(dns_next_deadline(r), T0 + SEC + 2000 * MS);
	dns_transport_error(r, T0 + SEC, 5, -EIO); /* no such transport */
	t_quiet(r);
	t_reply_a(r, T0 + SEC, &q, ADDR1, 60);
	t_result(r, DNS_OK);
	dns_free(r);
}
END_TEST

START_TEST(test_servers_removed_mid_question_end_it_with_again)
{
	struct dns_resolver *r = t_dns();
	struct t_sent s[2];

	dns_lookup(r, T0, "example.org", DNS_WANT_A, 1, NULL);
	t_one(r);
	dns_set_servers(r, T0, NULL, 0);
	t_no_result(r); /* the attempt in flight goes on */
	dns_timer(r, T0 + SEC);
	t_result(r, DNS_AGAIN);
	ck_assert_uint_eq(t_sent(r, s, 2), 1);
	ck_assert_int_eq(s[0].kind, DNS_TX_CLOSE);
	dns_free(r);
}
END_TEST

START_TEST(test_question_giving_up_serves_the_waiting_one)
{
	struct dns_limits lim;
	struct dns_resolver *r;
	struct dns_server sv = {S1, DNS_PORT, 0, 0};
	struct t_sent q;

	dns_limits_default(&lim);
	lim.queries_max = 1;
	lim.attempts = 1;
	r = t_dns_lim(&lim);
	dns_set_servers(r, T0, &sv, 1);
	dns_lookup(r, T0, "a.example", DNS_WANT_A, 1, NULL);
	dns_lookup(r, T0, "b.example", DNS_WANT_A, 1, NULL);
	ck_assert_str_eq(t_one(r).name, "a.example");
	dns_timer(r, T0 + SEC);
	ck_assert_str_eq(t_result(r, DNS_AGAIN)->name, "a.example");
	q = t_close_then_one(r, 0);
	ck_assert_str_eq(q.name, "b.example");
	/* Its first wait starts when it is sent. */
	ck_assert_uint_eq(dns_next_deadline(r), T0 + 2 * SEC);
	t_reply_a(r, T0 + SEC, &q, ADDR1, 60);
	ck_assert_str_eq(t_result(r, DNS_OK)->name, "b.example");
	dns_free(r);
}
END_TEST

START_TEST(test_cancelled_waiter_leaves_the_queue)
{
	struct dns_limits lim;
	struct dns_resolver *r;
	struct t_sent q, s[2];
	int b;

	dns_limits_default(&lim);
	lim.queries_max = 1;
	r = t_dns_lim(&lim);
	dns_lookup(r, T0, "a.example", DNS_WANT_A, 1, NULL);
	b = dns_lookup(r, T0, "b.example", DNS_WANT_A, 1, NULL);
	q = t_one(r);
	dns_cancel(r, b);
	t_reply_a(r, T0, &q, ADDR1, 60);
	t_result(r, DNS_OK);
	/* b is not asked; the slot is free for the next lookup at once. */
	ck_assert_uint_eq(t_sent(r, s, 2), 1);
	ck_assert_int_eq(s[0].kind, DNS_TX_CLOSE);
	dns_lookup(r, T0, "c.example", DNS_WANT_A, 1, NULL);
	ck_assert_str_eq(t_one(r).name, "c.example");
	dns_free(r);
}
END_TEST

START_TEST(test_both_families_with_one_slot_take_turns)
{
	struct dns_limits lim;
	struct dns_resolver *r;
	struct t_sent q;
	struct dns_result *res;

	dns_limits_default(&lim);
	lim.queries_max = 1;
	r = t_dns_lim(&lim);
	dns_lookup(r, T0, "dual.example", DNS_WANT_ALL, 1, NULL);
	q = t_one(r);
	ck_assert_uint_eq(q.qtype, DNS_TYPE_A);
	ck_assert_uint_eq(t_count(r, DNS_C_queries_waited), 1);
	t_reply_a(r, T0, &q, ADDR1, 60);
	t_no_result(r);
	q = t_close_then_one(r, 0);
	ck_assert_uint_eq(q.qtype, DNS_TYPE_AAAA);
	t_rr_aaaa(t_answer(&q, 0, false), q.name, 3, 60);
	t_deliver(r, T0, &q);
	res = t_result(r, DNS_OK);
	ck_assert_uint_eq(res->naddrs, 2);
	ck_assert_uint_eq(t_v4(&res->addrs[0]), ADDR1);
	ck_assert_uint_eq(res->addrs[1].addr[15], 3);
	dns_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("wire");

	tcase_add_test(tc,
		       test_a_lookup_end_to_end_accepts_only_the_exact_answer);
	tcase_add_test(
	    tc, test_malformed_answer_is_dropped_counted_and_waited_past);
	tcase_add_test(tc, test_retries_back_off_across_servers_then_again);
	tcase_add_test(tc, test_set_limits_at_run_time);
	tcase_add_test(tc, test_wait_is_capped_at_timeout_max);
	tcase_add_test(tc,
		       test_unresponsive_server_is_tried_last_until_it_answers);
	tcase_add_test(tc, test_servfail_and_transport_error_move_on_at_once);
	tcase_add_test(
	    tc, test_truncated_answer_is_asked_again_over_tcp_same_server);
	tcase_add_test(tc, test_tcp_timeout_moves_to_the_next_server_over_udp);
	tcase_add_test(
	    tc, test_cname_chain_is_followed_and_cached_for_the_name_asked);
	tcase_add_test(tc, test_cname_chain_in_one_answer);
	tcase_add_test(tc, test_cname_loop_fails);
	tcase_add_test(tc, test_cname_chase_beyond_the_bound_fails);
	tcase_add_test(tc, test_both_families_asked_at_once_a_first_in_result);
	tcase_add_test(tc,
		       test_one_family_failing_still_gives_the_other_addresses);
	tcase_add_test(tc, test_open_not_popped_is_rewritten_not_closed);
	tcase_add_test(tc, test_servers_removed_mid_question_end_it_with_again);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_test(tc, test_lookups_of_one_name_share_one_query);
	tcase_add_test(tc, test_questions_beyond_queries_max_wait_oldest_first);
	tcase_add_test(tc, test_question_giving_up_serves_the_waiting_one);
	tcase_add_test(tc, test_cancelled_waiter_leaves_the_queue);
	tcase_add_test(tc, test_both_families_with_one_slot_take_turns);
	tcase_add_test(tc, test_lookups_max_refuses_with_enobufs);
	tcase_add_test(
	    tc, test_owner_limit_refuses_with_emfile_others_still_get_in);
	tcase_add_test(tc, test_no_server_is_again_at_once);
	tcase_add_test(
	    tc, test_cancelled_lookup_gets_no_result_its_answer_is_cached);
	tcase_add_test(tc,
		       test_set_servers_keeps_the_state_of_servers_that_stay);
	tcase_add_test(tc, test_bad_names_and_wants_are_einval);
	tcase_add_test(tc, test_new_refuses_zero_limits);
	suite_add_tcase(s, tc);
	return t_run(s);
}
