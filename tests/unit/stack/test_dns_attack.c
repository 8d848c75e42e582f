/*
 * test_dns_attack.c - the resolver against a hostile or careless
 * server: answers from the wrong port, with the right ID but another
 * question, twice for one attempt, late (after the attempt timed out
 * and the next went elsewhere); records that must not be cached
 * (another name's addresses in the additional or answer section);
 * compression loops; the TTLs an answer from the cache carries; the
 * timer never left in the past.
 */
#include "dns_harness.h"

/* Starts a lookup of name (A) and returns its one query. */
static struct t_sent t_ask(struct dns_resolver *r, uint64_t now,
			   const char *name)
{
	ck_assert_int_ge(dns_lookup(r, now, name, DNS_WANT_A, 1, NULL), 0);
	return t_one(r);
}

/* Looks name (A) up at now: true when answered from the cache (the
 * result in t_res); a query sent is dropped. */
static bool t_from_cache(struct dns_resolver *r, uint64_t now, const char *name)
{
	struct dns_tx tx;
	bool sent = false;

	ck_assert_int_ge(dns_lookup(r, now, name, DNS_WANT_A, 1, NULL), 0);
	while (dns_pop_tx(r, &tx))
		sent = true;
	if (sent)
		return false;
	ck_assert(dns_pop_result(r, &t_res));
	ck_assert_int_eq(t_res.source, DNS_SRC_CACHE);
	return true;
}

START_TEST(test_answer_from_another_port_is_ignored)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q = t_ask(r, T0, "host.example");

	t_rr_a(t_answer(&q, DNS_RCODE_NOERROR, false), q.name, ADDR2, 60);
	t_deliver_from(r, T0, &q, q.server, 5353);
	ck_assert_uint_eq(t_count(r, DNS_C_rx_mismatch), 1);
	ck_assert_uint_eq(t_count(r, DNS_C_answers), 0);
	t_no_result(r);
	t_reply_a(r, T0, &q, ADDR1, 60);
	ck_assert_uint_eq(t_v4(&t_result(r, DNS_OK)->addrs[0]), ADDR1);
	dns_free(r);
}
END_TEST

START_TEST(test_answer_with_the_id_and_another_question_is_ignored)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q = t_ask(r, T0, "host.example"), other = q;

	strcpy(other.name, "evil.example");
	t_rr_a(t_answer(&other, DNS_RCODE_NOERROR, false), "host.example",
	       ADDR2, 60);
	t_deliver(r, T0, &q);
	other = q;
	other.qtype = DNS_TYPE_AAAA;
	t_answer(&other, DNS_RCODE_NXDOMAIN, false);
	t_deliver(r, T0, &q);
	ck_assert_uint_eq(t_count(r, DNS_C_rx_mismatch), 2);
	t_no_result(r);
	t_reply_a(r, T0, &q, ADDR1, 60);
	ck_assert_uint_eq(t_v4(&t_result(r, DNS_OK)->addrs[0]), ADDR1);
	ck_assert_uint_eq(dns_cache_size(r), 1);
	dns_free(r);
}
END_TEST

START_TEST(test_second_answer_to_one_attempt_is_ignored)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q = t_ask(r, T0, "host.example");

	t_reply_a(r, T0, &q, ADDR1, 60);
	t_result(r, DNS_OK);
	/* The same attempt answers again, differently, before the
	 * transport's CLOSE was even popped. */
	t_reply_a(r, T0, &q, ADDR2, 60);
	ck_assert_uint_eq(t_count(r, DNS_C_answers), 1);
	ck_assert_uint_eq(t_count(r, DNS_C_rx_mismatch), 1);
	t_no_result(r);
	t_sent(r, &q, 1); /* the CLOSE */
	ck_assert(t_from_cache(r, T0 + SEC, "host.example"));
	ck_assert_uint_eq(t_res.naddrs, 1);
	ck_assert_uint_eq(t_v4(&t_res.addrs[0]), ADDR1);
	dns_free(r);
}
END_TEST

START_TEST(test_late_answer_after_timeout_is_ignored)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q = t_ask(r, T0, "host.example"), q2;
	uint64_t now = dns_next_deadline(r);

	dns_timer(r, now);
	q2 = t_close_then_one(r, q.transport);
	ck_assert_uint_eq(q2.server, S2);
	/* The first server's answer to the first attempt, now on the
	 * transport of the second: the old ID from the old server. */
	t_rr_a(t_answer(&q, DNS_RCODE_NOERROR, false), q.name, ADDR2, 60);
	t_deliver_from(r, now, &q2, S1, DNS_PORT);
	/* The same bytes as if from the second server. */
	if (q.id != q2.id) {
		t_rr_a(t_answer(&q, DNS_RCODE_NOERROR, false), q.name, ADDR2,
		       60);
		t_deliver_from(r, now, &q2, S2, DNS_PORT);
	}
	t_no_result(r);
	ck_assert_uint_eq(t_count(r, DNS_C_answers), 0);
	t_reply_a(r, now, &q2, ADDR1, 60);
	ck_assert_uint_eq(t_v4(&t_result(r, DNS_OK)->addrs[0]), ADDR1);
	dns_free(r);
}
END_TEST

START_TEST(test_additional_addresses_of_another_name_are_not_cached)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q = t_ask(r, T0, "host.example");
	struct dns_writer *w = t_answer(&q, DNS_RCODE_NOERROR, false);
	uint8_t a[4] = {6, 6, 6, 6};

	t_rr_a(w, q.name, ADDR1, 60);
	/* Another name's address in the answer section, off the chain,
	 * and in the additional section. */
	t_rr_a(w, "victim.example", 0x06060606u, 3600);
	dns_writer_rr(w, DNS_SEC_ADDITIONAL, "bank.example", DNS_TYPE_A, 3600,
		      a, 4);
	t_deliver(r, T0, &q);
	ck_assert_uint_eq(t_result(r, DNS_OK)->naddrs, 1);
	t_sent(r, &q, 1);
	ck_assert_uint_eq(dns_cache_size(r), 1);
	ck_assert(!t_from_cache(r, T0, "victim.example"));
	ck_assert(!t_from_cache(r, T0, "bank.example"));
	dns_free(r);
}
END_TEST

START_TEST(test_compression_loop_is_dropped_and_lookup_ends)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q = t_ask(r, T0, "host.example"), s[4];
	uint8_t m[64];
	size_t n = 0;
	uint64_t now = T0;
	int rounds = 0;

	/* Header: the ID, QR, one question, one answer whose owner is a
	 * pointer to itself. */
	memset(m, 0, sizeof(m));
	put_be16(m, q.id);
	put_be16(m + 2, DNS_F_QR | DNS_F_RD | DNS_F_RA);
	put_be16(m + 4, 1);
	put_be16(m + 6, 1);
	n = DNS_HEADER_LEN;
	m[n++] = 4;
	memcpy(m + n, "host", 4);
	n += 4;
	m[n++] = 7;
	memcpy(m + n, "example", 7);
	n += 7;
	m[n++] = 0;
	put_be16(m + n, DNS_TYPE_A);
	put_be16(m + n + 2, DNS_CLASS_IN);
	n += 4;
	m[n] = 0xc0;
	m[n + 1] = (uint8_t)n;
	n += 2;
	put_be16(m + n, DNS_TYPE_A);
	put_be16(m + n + 2, DNS_CLASS_IN);
	put_be32(m + n + 4, 60);
	put_be16(m + n + 8, 4);
	n += 10;
	put_be32(m + n, ADDR2);
	n += 4;
	dns_udp_input(r, now, q.transport, q.server, q.port, m, n);
	ck_assert_uint_eq(t_count(r, DNS_C_rx_drop_pointer), 1);
	t_no_result(r);
	/* Every attempt gets the same: the lookup still ends. */
	while (!dns_pop_result(r, &t_res)) {
		ck_assert_int_lt(++rounds, 100);
		now = dns_next_deadline(r);
		ck_assert_uint_ne(now, UINT64_MAX);
		dns_timer(r, now);
		t_sent(r, s, 4);
	}
	ck_assert_int_eq(t_res.status, DNS_AGAIN);
	ck_assert_uint_eq(dns_next_deadline(r), UINT64_MAX);
	dns_free(r);
}
END_TEST

START_TEST(test_timer_deadline_never_in_the_past)
{
	struct dns_limits lim;
	struct dns_resolver *r;
	struct t_sent s[8];
	uint64_t now = T0;

	dns_limits_default(&lim);
	lim.queries_max = 2;
	r = t_dns_lim(&lim);
	for (int i = 0; i < 5; i++) {
		char name[32];

		snprintf(name, sizeof(name), "h%d.example", i);
		ck_assert_int_ge(dns_lookup(r, now, name, DNS_WANT_A, 1, NULL),
				 0);
	}
	t_sent(r, s, 8);
	/* The loop wakes late, every time: each run leaves the next
	 * deadline after `now`, and everything ends. */
	for (int rounds = 0; dns_next_deadline(r) != UINT64_MAX; rounds++) {
		ck_assert_int_lt(rounds, 200);
		now = dns_next_deadline(r) + 3 * SEC;
		dns_timer(r, now);
		t_sent(r, s, 8);
		ck_assert_uint_gt(dns_next_deadline(r), now);
	}
	for (int i = 0; i < 5; i++)
		t_result(r, DNS_AGAIN);
	dns_free(r);
}
END_TEST

START_TEST(test_cached_ttls_never_exceed_the_entry)
{
	struct dns_limits lim;
	struct dns_resolver *r;
	struct dns_cache_info ci;
	struct t_sent q;
	struct dns_writer *w;

	dns_limits_default(&lim);
	lim.ttl_max_s = 100;
	r = t_dns_lim(&lim);
	/* Capped by ttl_max_s: 100 s, then what is left of them. */
	q = t_ask(r, T0, "capped.example");
	t_reply_a(r, T0, &q, ADDR1, 100000);
	ck_assert_uint_eq(t_result(r, DNS_OK)->addrs[0].ttl, 100);
	t_sent(r, &q, 1);
	ck_assert(t_from_cache(r, T0 + 40 * SEC, "capped.example"));
	ck_assert_uint_eq(t_res.addrs[0].ttl, 60);
	ck_assert_uint_eq(dns_cache_snapshot(r, T0 + 40 * SEC, &ci, 1), 1);
	ck_assert_uint_eq(ci.ttl_left_s, 60);
	ck_assert_uint_eq(ci.addrs[0].ttl, 60);
	/* Capped by the CNAME's TTL (10 s) in the same answer. */
	q = t_ask(r, T0, "alias.example");
	w = t_answer(&q, DNS_RCODE_NOERROR, false);
	dns_writer_rr_name(w, DNS_SEC_ANSWER, "alias.example", DNS_TYPE_CNAME,
			   10, "real.example");
	t_rr_a(w, "real.example", ADDR2, 50);
	t_deliver(r, T0, &q);
	ck_assert_uint_eq(t_result(r, DNS_OK)->addrs[0].ttl, 10);
	t_sent(r, &q, 1);
	ck_assert(t_from_cache(r, T0 + 4 * SEC, "alias.example"));
	ck_assert_str_eq(t_res.name, "real.example");
	ck_assert_uint_eq(t_res.addrs[0].ttl, 6);
	ck_assert(!t_from_cache(r, T0 + 10 * SEC, "alias.example"));
	dns_free(r);
}
END_TEST

START_TEST(test_cancelled_lookups_do_not_hold_question_slots)
{
	struct dns_limits lim;
	struct dns_resolver *r;
	struct t_sent s[4], q3;
	int l1, l2, la;

	dns_limits_default(&lim);
	lim.queries_max = 2;
	r = t_dns_lim(&lim);
	/* Two lookups take both slots, then are given up (their client
	 * went): nobody waits for those questions any more. */
	l1 = dns_lookup(r, T0, "gone1.example", DNS_WANT_A, 7, NULL);
	l2 = dns_lookup(r, T0, "gone2.example", DNS_WANT_A, 7, NULL);
	ck_assert_uint_eq(t_sent(r, s, 4), 2);
	dns_cancel(r, l1);
	dns_cancel(r, l2);
	/* A new lookup goes out at once, in one of their slots (a CLOSE
	 * of the abandoned transport first), without waiting for them to
	 * time out. */
	ck_assert_int_ge(dns_lookup(r, T0, "live.example", DNS_WANT_A, 1, NULL),
			 0);
	q3 = t_close_then_one(r, s[0].transport);
	ck_assert_str_eq(q3.name, "live.example");
	ck_assert_uint_eq(t_count(r, DNS_C_queries_waited), 0);
	t_reply_a(r, T0, &q3, ADDR1, 60);
	t_result(r, DNS_OK);
	t_sent(r, s, 4);
	/* A question still asked by a pending lookup is never taken: with
	 * both slots busy for the living, the next one waits. */
	la = dns_lookup(r, T0, "a.example", DNS_WANT_A, 1, NULL);
	ck_assert_int_ge(la, 0);
	ck_assert_uint_eq(t_sent(r, s, 4), 1);
	ck_assert_int_ge(dns_lookup(r, T0, "b.example", DNS_WANT_A, 1, NULL),
			 0);
	ck_assert_uint_eq(t_sent(r, s, 4), 2); /* the CLOSE, b's query */
	ck_assert_int_ge(dns_lookup(r, T0, "c.example", DNS_WANT_A, 1, NULL),
			 0);
	t_quiet(r);
	ck_assert_uint_eq(t_count(r, DNS_C_queries_waited), 1);
	/* a is cancelled: c takes its slot at the next timer run, long
	 * before a's question would have timed out. */
	dns_cancel(r, la);
	dns_timer(r, T0 + MS);
	ck_assert_uint_eq(t_sent(r, s, 4), 2);
	ck_assert_int_eq(s[0].kind, DNS_TX_CLOSE);
	ck_assert_str_eq(s[1].name, "c.example");
	ck_assert_uint_eq(dns_questions_active(r), 2);
	dns_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dns_attack");
	TCase *tc = tcase_create("spoofing");

	tcase_add_test(tc, test_answer_from_another_port_is_ignored);
	tcase_add_test(tc,
		       test_answer_with_the_id_and_another_question_is_ignored);
	tcase_add_test(tc, test_second_answer_to_one_attempt_is_ignored);
	tcase_add_test(tc, test_late_answer_after_timeout_is_ignored);
	tcase_add_test(
	    tc, test_additional_addresses_of_another_name_are_not_cached);
	suite_add_tcase(s, tc);
	tc = tcase_create("robustness");
	tcase_add_test(tc, test_compression_loop_is_dropped_and_lookup_ends);
	tcase_add_test(tc, test_timer_deadline_never_in_the_past);
	tcase_add_test(tc, test_cached_ttls_never_exceed_the_entry);
	tcase_add_test(tc, test_cancelled_lookups_do_not_hold_question_slots);
	suite_add_tcase(s, tc);
	return t_run(s);
}
