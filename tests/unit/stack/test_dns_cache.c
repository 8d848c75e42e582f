/*
 * test_dns_cache.c - the resolver's cache and names: negative caching
 * (NXDOMAIN and NODATA, with and without an SOA), TTL expiry and the
 * caps, the bound with LRU eviction, the snapshot; the search list and
 * ndots, a trailing dot, localhost and the static host entries
 */
#include "dns_harness.h"

/* Looks up name (A) at now, answers its one query with addr/ttl. */
static void t_fill(struct dns_resolver *r, uint64_t now, const char *name,
		   uint32_t addr, uint32_t ttl)
{
	struct t_sent s[4];
	size_t n;

	ck_assert_int_ge(dns_lookup(r, now, name, DNS_WANT_A, 1, NULL), 0);
	n = t_sent(r, s, 4);
	ck_assert_uint_ge(n, 1);
	t_reply_a(r, now, &s[n - 1], addr, ttl);
	t_result(r, DNS_OK);
	t_sent(r, s, 4);
}

/* Looks up name (A) at now: true when answered from the cache (nothing
 * sent); the result is in t_res. A query sent is left unanswered. */
static bool t_cached(struct dns_resolver *r, uint64_t now, const char *name,
		     unsigned want)
{
	struct dns_tx tx;

	ck_assert_int_ge(dns_lookup(r, now, name, want, 1, NULL), 0);
	if (dns_pop_tx(r, &tx)) {
		while (dns_pop_tx(r, &tx))
			;
		return false;
	}
	ck_assert(dns_pop_result(r, &t_res));
	ck_assert_int_eq(t_res.source, DNS_SRC_CACHE);
	return true;
}

START_TEST(test_nxdomain_with_soa_is_cached_for_every_type)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q;
	struct dns_cache_info ci[2];

	dns_lookup(r, T0, "nowhere.example", DNS_WANT_A, 1, NULL);
	q = t_one(r);
	t_reply_neg(r, T0, &q, DNS_RCODE_NXDOMAIN, 600, 300);
	t_result(r, DNS_NONAME);
	ck_assert_uint_eq(t_count(r, DNS_C_nxdomain), 1);
	t_sent(r, &q, 1);
	/* The second lookup, another type even: nothing on the wire. */
	ck_assert(t_cached(r, T0 + SEC, "nowhere.example", DNS_WANT_AAAA));
	ck_assert_int_eq(t_res.status, DNS_NONAME);
	ck_assert_uint_eq(t_count(r, DNS_C_cache_hits), 1);
	/* min(SOA TTL, MINIMUM) = 300 s. */
	ck_assert_uint_eq(dns_cache_snapshot(r, T0 + SEC, ci, 2), 1);
	ck_assert_int_eq(ci[0].kind, DNS_CACHE_NXDOMAIN);
	ck_assert_uint_eq(ci[0].ttl_left_s, 299);
	ck_assert_uint_eq(ci[0].hits, 1);
	ck_assert(t_cached(r, T0 + 299 * SEC, "nowhere.example", DNS_WANT_A));
	ck_assert(!t_cached(r, T0 + 300 * SEC, "nowhere.example", DNS_WANT_A));
	dns_free(r);
}
END_TEST

START_TEST(test_negative_answer_without_soa_is_not_cached)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q;

	dns_lookup(r, T0, "nowhere.example", DNS_WANT_A, 1, NULL);
	q = t_one(r);
	t_reply_neg(r, T0, &q, DNS_RCODE_NXDOMAIN, 0, 0);
	t_result(r, DNS_NONAME);
	t_sent(r, &q, 1);
	ck_assert_uint_eq(dns_cache_size(r), 0);
	ck_assert(!t_cached(r, T0, "nowhere.example", DNS_WANT_A));
	dns_free(r);
}
END_TEST

START_TEST(test_nodata_is_cached_for_its_type_only)
{
	struct dns_resolver *r = t_dns();
	struct t_sent q;

	dns_lookup(r, T0, "v4only.example", DNS_WANT_AAAA, 1, NULL);
	q = t_one(r);
	ck_assert_uint_eq(q.qtype, DNS_TYPE_AAAA);
	t_reply_neg(r, T0, &q, DNS_RCODE_NOERROR, 3600, 900);
	t_result(r, DNS_NODATA);
	ck_assert_uint_eq(t_count(r, DNS_C_nodata), 1);
	t_sent(r, &q, 1);
	ck_assert(t_cached(r, T0, "v4only.example", DNS_WANT_AAAA));
	ck_assert_int_eq(t_res.status, DNS_NODATA);
	ck_assert(!t_cached(r, T0, "v4only.example", DNS_WANT_A));
	dns_free(r);
}
END_TEST

START_TEST(test_negative_ttl_is_capped)
{
	struct dns_limits lim;
	struct dns_resolver *r;
	struct t_sent q;
	struct dns_cache_info ci;

	dns_limits_default(&lim);
	lim.negative_ttl_max_s = 60;
	r = t_dns_lim(&lim);
	dns_lookup(r, T0, "nowhere.example", DNS_WANT_A, 1, NULL);
	q = t_one(r);
	t_reply_neg(r, T0, &q, DNS_RCODE_NXDOMAIN, 86400, 86400);
	t_result(r, DNS_NONAME);
	t_sent(r, &q, 1);
	ck_assert_uint_eq(dns_cache_snapshot(r, T0, &ci, 1), 1);
	ck_assert_uint_eq(ci.ttl_left_s, 60);
	ck_assert(t_cached(r, T0 + 59 * SEC, "nowhere.example", DNS_WANT_A));
	ck_assert(!t_cached(r, T0 + 60 * SEC, "nowhere.example", DNS_WANT_A));
	dns_free(r);
}
END_TEST

START_TEST(test_positive_entry_expires_with_its_ttl)
{
	struct dns_resolver *r = t_dns();
	struct dns_cache_info ci;

	t_fill(r, T0, "host.example", ADDR1, 30);
	ck_assert(
	    t_cached(r, T0 + 29 * SEC + 999 * MS, "host.example", DNS_WANT_A));
	ck_assert_uint_eq(t_res.addrs[0].ttl, 1);
	ck_assert_uint_eq(t_res.server, S1);
	ck_assert_uint_eq(dns_cache_snapshot(r, T0 + 10 * SEC, &ci, 1), 1);
	ck_assert_int_eq(ci.kind, DNS_CACHE_POSITIVE);
	ck_assert_str_eq(ci.name, "host.example");
	ck_assert_uint_eq(ci.qtype, DNS_TYPE_A);
	ck_assert_uint_eq(ci.ttl_left_s, 20);
	ck_assert_uint_eq(ci.naddrs, 1);
	ck_assert_uint_eq(t_v4(&ci.addrs[0]), ADDR1);
	ck_assert_uint_eq(ci.addrs[0].ttl, 20);
	/* Past its TTL: not in the snapshot, gone to the wire again. */
	ck_assert_uint_eq(dns_cache_snapshot(r, T0 + 30 * SEC, &ci, 1), 0);
	ck_assert(!t_cached(r, T0 + 30 * SEC, "host.example", DNS_WANT_A));
	ck_assert_uint_eq(t_count(r, DNS_C_cache_misses), 2);
	/* dns_timer() sweeps expired entries. */
	t_fill(r, T0 + 40 * SEC, "other.example", ADDR2, 5);
	ck_assert_uint_eq(dns_cache_size(r), 1);
	dns_timer(r, T0 + 45 * SEC);
	ck_assert_uint_eq(dns_cache_size(r), 0);
	dns_free(r);
}
END_TEST

/* An answer from a server that is no longer one of the resolver's (the
 * servers changed while its question was out, and the cache was
 * flushed for them) is given to the lookup, not cached: the new
 * servers may see the name otherwise. */
START_TEST(test_an_answer_from_a_server_gone_is_not_cached)
{
	struct dns_resolver *r = t_dns();
	struct dns_server sv = {S2, DNS_PORT, 0, 0};
	struct t_sent q;

	dns_lookup(r, T0, "host.example", DNS_WANT_A, 1, NULL);
	q = t_one(r);
	ck_assert_uint_eq(q.server, S1);
	ck_assert_int_eq(dns_set_servers(r, T0, &sv, 1), 0);
	dns_cache_flush(r);
	t_reply_a(r, T0, &q, ADDR1, 300);
	t_result(r, DNS_OK);
	ck_assert_uint_eq(t_res.server, S1);
	ck_assert_uint_eq(dns_cache_size(r), 0);
	ck_assert(!t_cached(r, T0 + SEC, "host.example", DNS_WANT_A));
	dns_free(r);
}
END_TEST

START_TEST(test_ttl_over_the_max_is_capped)
{
	struct dns_limits lim;
	struct dns_resolver *r;
	struct dns_cache_info ci;

	dns_limits_default(&lim);
	lim.ttl_max_s = 100;
	r = t_dns_lim(&lim);
	ck_assert_int_ge(dns_lookup(r, T0, "host.example", DNS_WANT_A, 1, NULL),
			 0);
	struct t_sent q = t_one(r);
	t_reply_a(r, T0, &q, ADDR1, 100000);
	ck_assert_uint_eq(t_result(r, DNS_OK)->addrs[0].ttl, 100);
	t_sent(r, &q, 1);
	ck_assert_uint_eq(dns_cache_snapshot(r, T0, &ci, 1), 1);
	ck_assert_uint_eq(ci.ttl_left_s, 100);
	ck_assert(t_cached(r, T0 + 99 * SEC, "host.example", DNS_WANT_A));
	ck_assert(!t_cached(r, T0 + 100 * SEC, "host.example", DNS_WANT_A));
	dns_free(r);
}
END_TEST

START_TEST(test_ttl_zero_is_not_cached)
{
	struct dns_resolver *r = t_dns();

	t_fill(r, T0, "host.example", ADDR1, 0);
	ck_assert_uint_eq(dns_cache_size(r), 0);
	dns_free(r);
}
END_TEST

START_TEST(test_cache_bound_evicts_least_recently_used)
{
	struct dns_limits lim;
	struct dns_resolver *r;
	struct dns_cache_info ci[4];

	dns_limits_default(&lim);
	lim.cache_max = 3;
	r = t_dns_lim(&lim);
	t_fill(r, T0, "n1.example", ADDR1, 600);
	t_fill(r, T0, "n2.example", ADDR1, 600);
	t_fill(r, T0, "n3.example", ADDR1, 600);
	ck_assert_uint_eq(dns_cache_size(r), 3);
	/* n1 used: n2 is the least recently used. */
	ck_assert(t_cached(r, T0, "n1.example", DNS_WANT_A));
	t_fill(r, T0, "n4.example", ADDR2, 600);
	ck_assert_uint_eq(dns_cache_size(r), 3);
	ck_assert_uint_eq(t_count(r, DNS_C_cache_evictions), 1);
	/* Most recently used first. */
	ck_assert_uint_eq(dns_cache_snapshot(r, T0, ci, 4), 3);
	ck_assert_str_eq(ci[0].name, "n4.example");
	ck_assert_str_eq(ci[1].name, "n1.example");
	ck_assert_str_eq(ci[2].name, "n3.example");
	ck_assert(t_cached(r, T0, "n3.example", DNS_WANT_A));
	ck_assert(t_cached(r, T0, "n1.example", DNS_WANT_A));
	ck_assert(t_cached(r, T0, "n4.example", DNS_WANT_A));
	ck_assert(!t_cached(r, T0, "n2.example", DNS_WANT_A));
	/* A snapshot stops at max. */
	ck_assert_uint_eq(dns_cache_snapshot(r, T0, ci, 2), 2);
	dns_cache_flush(r);
	ck_assert_uint_eq(dns_cache_size(r), 0);
	dns_free(r);
}
END_TEST

START_TEST(test_no_cache_when_cache_max_is_zero)
{
	struct dns_limits lim;
	struct dns_resolver *r;

	dns_limits_default(&lim);
	lim.cache_max = 0;
	r = t_dns_lim(&lim);
	t_fill(r, T0, "host.example", ADDR1, 600);
	ck_assert_uint_eq(dns_cache_size(r), 0);
	ck_assert(!t_cached(r, T0, "host.example", DNS_WANT_A));
	dns_free(r);
}
END_TEST

START_TEST(test_many_addresses_kept_in_one_entry)
{
	struct dns_resolver *r = t_dns();
	struct dns_cache_info ci;
	struct dns_writer *w;
	struct t_sent q;

	dns_lookup(r, T0, "many.example", DNS_WANT_A, 1, NULL);
	q = t_one(r);
	w = t_answer(&q, 0, false);
	for (uint32_t i = 0; i < 20; i++)
		t_rr_a(w, q.name, ADDR1 + i, 600 - i);
	t_deliver(r, T0, &q);
	ck_assert_uint_eq(t_result(r, DNS_OK)->naddrs, 20);
	t_sent(r, &q, 1);
	ck_assert_uint_eq(dns_cache_snapshot(r, T0, &ci, 1), 1);
	ck_assert_uint_eq(ci.naddrs, 20);
	ck_assert_uint_eq(ci.ttl_left_s, 581); /* the smallest */
	ck_assert_uint_eq(t_v4(&ci.addrs[DNS_CACHE_INFO_ADDRS - 1]),
			  ADDR1 + DNS_CACHE_INFO_ADDRS - 1);
	ck_assert(t_cached(r, T0 + SEC, "many.example", DNS_WANT_A));
	ck_assert_uint_eq(t_res.naddrs, 20);
	ck_assert_uint_eq(t_v4(&t_res.addrs[19]), ADDR1 + 19);
	ck_assert_uint_eq(t_res.addrs[19].ttl, 580);
	dns_free(r);
}
END_TEST

START_TEST(test_both_families_from_the_cache_keep_their_order)
{
	struct dns_resolver *r = t_dns();
	struct t_sent s[4];
	struct dns_writer *w;

	dns_lookup(r, T0, "dual.example", DNS_WANT_ALL, 1, NULL);
	ck_assert_uint_eq(t_sent(r, s, 4), 2);
	for (int i = 0; i < 2; i++) {
		w = t_answer(&s[i], 0, false);
		if (s[i].qtype == DNS_TYPE_A)
			t_rr_a(w, s[i].name, ADDR1, 300);
		else
			t_rr_aaaa(w, s[i].name, 7, 200);
		t_deliver(r, T0, &s[i]);
	}
	t_result(r, DNS_OK);
	t_sent(r, s, 4);
	ck_assert(t_cached(r, T0 + 10 * SEC, "dual.example", DNS_WANT_ALL));
	ck_assert_uint_eq(t_res.naddrs, 2);
	ck_assert_uint_eq(t_v4(&t_res.addrs[0]), ADDR1);
	ck_assert_uint_eq(t_res.addrs[0].ttl, 290);
	ck_assert_uint_eq(t_res.addrs[1].family, 6);
	ck_assert_uint_eq(t_res.addrs[1].addr[15], 7);
	ck_assert_uint_eq(t_res.addrs[1].ttl, 190);
	ck_assert_uint_eq(t_count(r, DNS_C_cache_hits), 2); /* one a type */
	/* The AAAA entry gone, the A one still there: only AAAA leaves. */
	ck_assert_int_ge(dns_lookup(r, T0 + 250 * SEC, "dual.example",
				    DNS_WANT_ALL, 1, NULL),
			 0);
	ck_assert_uint_eq(t_sent(r, s, 4), 1);
	ck_assert_uint_eq(s[0].qtype, DNS_TYPE_AAAA);
	dns_free(r);
}
END_TEST

/* The names a lookup of `name` asks, in order, each answered NXDOMAIN
 * (NODATA for the one named `nodata`), and its final status. */
static enum dns_status t_walk(struct dns_resolver *r, const char *name,
			      const char *const *expect, size_t n,
			      const char *nodata)
{
	struct t_sent q;

	ck_assert_int_ge(dns_lookup(r, T0, name, DNS_WANT_A, 1, NULL), 0);
	for (size_t i = 0; i < n; i++) {
		struct t_sent s[4];
		size_t k = t_sent(r, s, 4);

		ck_assert_uint_ge(k, 1);
		q = s[k - 1];
		ck_assert_int_eq(q.kind, DNS_TX_UDP);
		ck_assert_str_eq(q.name, expect[i]);
		t_no_result(r);
		t_reply_neg(r, T0, &q,
			    nodata && !strcmp(nodata, expect[i])
				? DNS_RCODE_NOERROR
				: DNS_RCODE_NXDOMAIN,
			    0, 0);
	}
	ck_assert(dns_pop_result(r, &t_res));
	/* The name as asked, its trailing dot dropped. */
	ck_assert(dns_name_equal(t_res.name, name));
	ck_assert_int_ne(t_res.name[strlen(t_res.name) - 1], '.');
	return t_res.status;
}

START_TEST(test_search_list_order_follows_ndots)
{
	struct dns_resolver *r = t_dns();
	const char *dom[] = {"a.test", "b.test."};
	char got[DNS_SEARCH_MAX][DNS_NAME_MAX];

	ck_assert_int_eq(dns_set_search(r, dom, 2), 0);
	ck_assert_uint_eq(dns_search_snapshot(r, got, DNS_SEARCH_MAX), 2);
	ck_assert_str_eq(got[1], "b.test"); /* the trailing dot dropped */
	ck_assert_uint_eq(dns_ndots(r), 1);
	/* Fewer dots than ndots: the search list first. */
	const char *single[] = {"host.a.test", "host.b.test", "host"};
	ck_assert_int_eq(t_walk(r, "host", single, 3, NULL), DNS_NONAME);
	/* At least ndots: as it is first. */
	const char *dotted[] = {"www.example", "www.example.a.test",
				"www.example.b.test"};
	ck_assert_int_eq(t_walk(r, "www.example", dotted, 3, NULL), DNS_NONAME);
	/* A trailing dot: only itself. */
	const char *abs[] = {"host"};
	ck_assert_int_eq(t_walk(r, "host.", abs, 1, NULL), DNS_NONAME);
	/* ndots 2: www.example is now short. */
	ck_assert_int_eq(dns_set_ndots(r, 2), 0);
	ck_assert_int_eq(dns_set_ndots(r, 16), -EINVAL);
	const char *two[] = {"www.example.a.test", "www.example.b.test",
			     "www.example"};
	ck_assert_int_eq(t_walk(r, "www.example", two, 3, NULL), DNS_NONAME);
	/* NODATA for one candidate: the final status is NODATA. */
	ck_assert_int_eq(t_walk(r, "www.example", two, 3, "www.example.b.test"),
			 DNS_NODATA);
	dns_free(r);
}
END_TEST

START_TEST(test_search_stops_at_the_first_candidate_with_addresses)
{
	struct dns_resolver *r = t_dns();
	const char *dom[] = {"a.test", "b.test"};
	struct t_sent q;

	dns_set_search(r, dom, 2);
	dns_lookup(r, T0, "host", DNS_WANT_A, 1, NULL);
	q = t_one(r);
	ck_assert_str_eq(q.name, "host.a.test");
	t_reply_neg(r, T0, &q, DNS_RCODE_NXDOMAIN, 0, 0);
	q = t_close_then_one(r, 0);
	ck_assert_str_eq(q.name, "host.b.test");
	t_reply_a(r, T0, &q, ADDR1, 60);
	ck_assert_str_eq(t_result(r, DNS_OK)->name, "host.b.test");
	t_sent(r, &q, 1);
	t_quiet(r);
	/* A failure ends the walk: AGAIN, not the next candidate. */
	dns_set_search(r, dom, 1);
	dns_lookup(r, T0, "other", DNS_WANT_A, 1, NULL);
	ck_assert_str_eq(t_one(r).name, "other.a.test");
	while (dns_next_deadline(r) != UINT64_MAX) {
		struct t_sent s[4];
		size_t n;

		dns_timer(r, dns_next_deadline(r));
		n = t_sent(r, s, 4);
		for (size_t i = 0; i < n; i++)
			if (s[i].kind != DNS_TX_CLOSE)
				ck_assert_str_eq(s[i].name, "other.a.test");
	}
	ck_assert_int_eq(t_result(r, DNS_AGAIN)->status, DNS_AGAIN);
	ck_assert_str_eq(t_res.name, "other");
	/* Limits of the list. */
	const char *seven[7] = {"a", "b", "c", "d", "e", "f", "g"};
	const char *bad[] = {"a..b"};
	ck_assert_int_eq(dns_set_search(r, seven, 7), -EINVAL);
	ck_assert_int_eq(dns_set_search(r, seven, DNS_SEARCH_MAX), 0);
	ck_assert_int_eq(dns_set_search(r, bad, 1), -EINVAL);
	ck_assert_int_eq(dns_set_search(r, NULL, 0), 0);
	dns_free(r);
}
END_TEST

START_TEST(test_localhost_answered_locally)
{
	struct dns_resolver *r = t_dns();
	struct dns_result *res;

	ck_assert_int_ge(dns_lookup(r, T0, "localhost", DNS_WANT_ALL, 1, NULL),
			 0);
	res = t_result(r, DNS_OK);
	ck_assert_int_eq(res->source, DNS_SRC_LOCAL);
	ck_assert_uint_eq(res->naddrs, 2);
	ck_assert_uint_eq(t_v4(&res->addrs[0]), 0x7f000001u);
	ck_assert_uint_eq(res->addrs[1].family, 6);
	ck_assert_uint_eq(res->addrs[1].addr[15], 1);
	ck_assert_uint_eq(res->server, 0);
	dns_lookup(r, T0, "Foo.LocalHost.", DNS_WANT_AAAA, 1, NULL);
	res = t_result(r, DNS_OK);
	ck_assert_uint_eq(res->naddrs, 1);
	ck_assert_uint_eq(res->addrs[0].family, 6);
	t_quiet(r);
	ck_assert_uint_eq(t_count(r, DNS_C_local_answers), 2);
	/* Not localhost: "notlocalhost" goes to the wire. */
	dns_lookup(r, T0, "notlocalhost", DNS_WANT_A, 1, NULL);
	ck_assert_str_eq(t_one(r).name, "notlocalhost");
	dns_free(r);
}
END_TEST

START_TEST(test_ipv4_literal_is_its_own_answer)
{
	struct dns_resolver *r = t_dns();
	struct dns_result *res;
	const char *not_literal[] = {"192.0.2.256", "1.2.3", "01.2.3.4",
				     "1.2.3.4.", "1.2.3.4.5"};

	ck_assert_int_ge(dns_lookup(r, T0, "192.0.2.7", DNS_WANT_ALL, 1, NULL),
			 0);
	res = t_result(r, DNS_OK);
	ck_assert_int_eq(res->source, DNS_SRC_LOCAL);
	ck_assert_uint_eq(res->naddrs, 1);
	ck_assert_uint_eq(t_v4(&res->addrs[0]), 0xc0000207u);
	ck_assert_uint_eq(res->addrs[0].ttl, 0);
	ck_assert_str_eq(res->name, "192.0.2.7");
	/* No IPv6 address in an IPv4 one. */
	ck_assert_int_ge(dns_lookup(r, T0, "192.0.2.7", DNS_WANT_AAAA, 1, NULL),
			 0);
	ck_assert_uint_eq(t_result(r, DNS_NODATA)->naddrs, 0);
	t_quiet(r);
	ck_assert_uint_eq(t_count(r, DNS_C_local_answers), 2);
	ck_assert_uint_eq(t_count(r, DNS_C_cache_misses), 0);
	/* What inet_pton() refuses is a name. */
	for (size_t i = 0; i < sizeof(not_literal) / sizeof(not_literal[0]);
	     i++) {
		struct t_sent s[4];

		ck_assert_int_ge(
		    dns_lookup(r, T0, not_literal[i], DNS_WANT_A, 1, NULL), 0);
		ck_assert_uint_ge(t_sent(r, s, 4), 1);
	}
	dns_free(r);
}
END_TEST

START_TEST(test_static_hosts_answer_their_families)
{
	struct dns_resolver *r = t_dns();
	struct dns_addr a4 = {.family = 4, .addr = {192, 168, 1, 5}};
	struct dns_addr a6 = {.family = 6, .addr = {0xfd, 0, [15] = 5}};
	struct dns_addr bad = {.family = 5};
	struct dns_result *res;
	char name[32];

	ck_assert_int_eq(dns_host_add(r, "printer.lan", &a6), 0);
	ck_assert_int_eq(dns_host_add(r, "printer.lan.", &a4), 0);
	ck_assert_int_eq(dns_host_add(r, "printer.lan", &a4), 0); /* dup */
	ck_assert_int_eq(dns_host_add(r, "printer.lan", &bad), -EINVAL);
	ck_assert_int_eq(dns_host_add(r, "", &a4), -EINVAL);
	dns_lookup(r, T0, "PRINTER.lan", DNS_WANT_ALL, 1, NULL);
	res = t_result(r, DNS_OK);
	ck_assert_int_eq(res->source, DNS_SRC_HOSTS);
	ck_assert_str_eq(res->name, "PRINTER.lan");
	ck_assert_uint_eq(res->naddrs, 2);
	ck_assert_uint_eq(t_v4(&res->addrs[0]), 0xc0a80105u);
	ck_assert_uint_eq(res->addrs[1].family, 6);
	dns_lookup(r, T0, "printer.lan", DNS_WANT_A, 1, NULL);
	ck_assert_uint_eq(t_result(r, DNS_OK)->naddrs, 1);
	t_quiet(r);
	ck_assert_uint_eq(t_count(r, DNS_C_local_answers), 2);
	/* A name with only v4 asked for AAAA goes to DNS. */
	dns_host_add(r, "v4.lan", &a4);
	dns_lookup(r, T0, "v4.lan", DNS_WANT_AAAA, 1, NULL);
	ck_assert_uint_eq(t_one(r).qtype, DNS_TYPE_AAAA);
	/* The limits: addresses per name, names. */
	for (int i = 2; i < DNS_HOST_ADDRS_MAX + 1; i++) {
		a4.addr[2] = (uint8_t)i;
		ck_assert_int_eq(dns_host_add(r, "v4.lan", &a4),
				 i <= DNS_HOST_ADDRS_MAX ? 0 : -ENOSPC);
	}
	a4.addr[3] = 200;
	ck_assert_int_eq(dns_host_add(r, "v4.lan", &a4), -ENOSPC);
	for (int i = 2; i < DNS_HOSTS_MAX; i++) {
		snprintf(name, sizeof(name), "h%d.lan", i);
		ck_assert_int_eq(dns_host_add(r, name, &a4), 0);
	}
	ck_assert_int_eq(dns_host_add(r, "one-more.lan", &a4), -ENOSPC);
	dns_hosts_clear(r);
	ck_assert_int_eq(dns_host_add(r, "one-more.lan", &a4), 0);
	dns_lookup(r, T0, "printer.lan", DNS_WANT_A, 1, NULL);
	ck_assert_str_eq(t_one(r).name, "printer.lan");
	dns_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dns_cache");
	TCase *tc = tcase_create("cache");

	tcase_add_test(tc, test_nxdomain_with_soa_is_cached_for_every_type);
	tcase_add_test(tc, test_negative_answer_without_soa_is_not_cached);
	tcase_add_test(tc, test_nodata_is_cached_for_its_type_only);
	tcase_add_test(tc, test_negative_ttl_is_capped);
	tcase_add_test(tc, test_positive_entry_expires_with_its_ttl);
	tcase_add_test(tc, test_ttl_over_the_max_is_capped);
	tcase_add_test(tc, test_an_answer_from_a_server_gone_is_not_cached);
	tcase_add_test(tc, test_ttl_zero_is_not_cached);
	tcase_add_test(tc, test_cache_bound_evicts_least_recently_used);
	tcase_add_test(tc, test_no_cache_when_cache_max_is_zero);
	tcase_add_test(tc, test_many_addresses_kept_in_one_entry);
	tcase_add_test(tc, test_both_families_from_the_cache_keep_their_order);
	suite_add_tcase(s, tc);
	tc = tcase_create("names");
	tcase_add_test(tc, test_search_list_order_follows_ndots);
	tcase_add_test(tc,
		       test_search_stops_at_the_first_candidate_with_addresses);
	tcase_add_test(tc, test_localhost_answered_locally);
	tcase_add_test(tc, test_ipv4_literal_is_its_own_answer);
	tcase_add_test(tc, test_static_hosts_answer_their_families);
	suite_add_tcase(s, tc);
	return t_run(s);
}
