/*
 * test_dns_msg.c - DNS messages: text names (check, compare, dots), the
 * writer and the resolver's query byte for byte
 */
#include <stdio.h>

#include "harness.h"

#include "byteorder.h"
#include "dns_msg.h"

/* A text name of `n` bytes: labels of `label` 'a's joined by dots (the
 * last label shorter when n does not divide). */
static const char *long_name(char *buf, size_t n, size_t label)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		if (run == label && i + 1 < n) {
			buf[i] = '.';
			run = 0;
		} else {
			buf[i] = 'a';
			run++;
		}
	}
	buf[n] = '\0';
	return buf;
}

/* ---- text names ---- */

START_TEST(test_name_check_limits)
{
	char b[300];

	ck_assert_int_eq(dns_name_check(""), 0);
	ck_assert_int_eq(dns_name_check("."), 0);
	ck_assert_int_eq(dns_name_check("example.org"), 0);
	ck_assert_int_eq(dns_name_check("example.org."), 0);
	ck_assert_int_eq(dns_name_check("a"), 0);
	ck_assert_int_eq(dns_name_check("a..b"), -EINVAL);
	ck_assert_int_eq(dns_name_check(".a"), -EINVAL);
	ck_assert_int_eq(dns_name_check("a.."), -EINVAL);
	ck_assert_int_eq(dns_name_check(".."), -EINVAL);
	ck_assert_int_eq(dns_name_check(NULL), -EINVAL);
	/* Any byte but '.' in a label. */
	ck_assert_int_eq(dns_name_check("a b.\x01\xff"), 0);
	/* 253 bytes is the longest, with or without the trailing dot. */
	long_name(b, 253, 63);
	ck_assert_int_eq(dns_name_check(b), 0);
	strcat(b, ".");
	ck_assert_int_eq(dns_name_check(b), 0);
	long_name(b, 254, 63);
	ck_assert_int_eq(dns_name_check(b), -EINVAL);
	/* Labels of 63 bytes, not 64. */
	long_name(b, 63, 63);
	ck_assert_int_eq(dns_name_check(b), 0);
	strcat(b, ".org");
	ck_assert_int_eq(dns_name_check(b), 0);
	long_name(b, 64, 64);
	ck_assert_int_eq(dns_name_check(b), -EINVAL);
	strcat(b, ".org");
	ck_assert_int_eq(dns_name_check(b), -EINVAL);
	char label[70];
	snprintf(b, sizeof(b), "org.%s", long_name(label, 64, 64));
	ck_assert_int_eq(dns_name_check(b), -EINVAL);
}
END_TEST

START_TEST(test_name_equal_ignores_ascii_case_and_trailing_dot)
{
	ck_assert(dns_name_equal("Example.ORG", "example.org"));
	ck_assert(dns_name_equal("example.org.", "EXAMPLE.org"));
	ck_assert(dns_name_equal("", "."));
	ck_assert(dns_name_equal("", ""));
	ck_assert(!dns_name_equal("example.org", "example.com"));
	ck_assert(!dns_name_equal("example.org", "example.or"));
	ck_assert(!dns_name_equal("a", ""));
	/* Only ASCII letters fold. */
	ck_assert(!dns_name_equal("\xc0", "\xe0"));
	ck_assert(!dns_name_equal("[", "{"));
}
END_TEST

START_TEST(test_name_dots)
{
	ck_assert_uint_eq(dns_name_dots(""), 0);
	ck_assert_uint_eq(dns_name_dots("."), 0);
	ck_assert_uint_eq(dns_name_dots("host"), 0);
	ck_assert_uint_eq(dns_name_dots("host."), 0);
	ck_assert_uint_eq(dns_name_dots("a.b.c"), 2);
	ck_assert_uint_eq(dns_name_dots("a.b.c."), 2);
}
END_TEST

START_TEST(test_parse_error_names)
{
	ck_assert_str_eq(dns_parse_error_name(DNS_PARSE_short), "short");
	ck_assert_str_eq(dns_parse_error_name(DNS_PARSE_header), "header");
	ck_assert_str_eq(dns_parse_error_name(DNS_PARSE_name_long),
			 "name_long");
	ck_assert_str_eq(dns_parse_error_name(DNS_PARSE_question), "question");
	ck_assert_str_eq(dns_parse_error_name(DNS_PARSE_OK), "?");
	ck_assert_str_eq(dns_parse_error_name(DNS_PARSE_ERROR_COUNT), "?");
	for (int e = 0; e < DNS_PARSE_ERROR_COUNT; e++)
		ck_assert_str_ne(dns_parse_error_name((enum dns_parse_error)e),
				 "?");
}
END_TEST

/* ---- writing ---- */

START_TEST(test_build_query_bytes)
{
	static const uint8_t want[] = {
	    0x12, 0x34, 0x01, 0x00,		/* ID, flags: RD */
	    0x00, 0x01, 0x00, 0x00,		/* QDCOUNT 1, ANCOUNT 0 */
	    0x00, 0x00, 0x00, 0x01,		/* NSCOUNT 0, ARCOUNT 1 */
	    0x01, 'a',	0x02, 'b',  0x63, 0x00, /* a.bc */
	    0x00, 0x01, 0x00, 0x01,		/* A, IN */
	    0x00, 0x00, 0x29, 0x04, 0xd0,	/* root, OPT, 1232 */
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* TTL 0, RDLENGTH 0 */
	};
	uint8_t b[DNS_QUERY_MAX];

	memset(b, 0xee, sizeof(b));
	ck_assert_int_eq(
	    dns_msg_build_query(b, sizeof(b), 0x1234, "a.bc", DNS_TYPE_A, true),
	    (int)sizeof(want));
	ck_assert_mem_eq(b, want, sizeof(want));
	/* A trailing dot changes nothing; without EDNS0 no OPT, ARCOUNT 0. */
	ck_assert_int_eq(dns_msg_build_query(b, sizeof(b), 0x1234, "a.bc.",
					     DNS_TYPE_AAAA, false),
			 12 + 6 + 4);
	ck_assert_uint_eq(get_be16(b + 10), 0);
	ck_assert_uint_eq(get_be16(b + 18), DNS_TYPE_AAAA);
	ck_assert_mem_eq(b + 12, want + 12, 6);
	/* Exactly the room it needs, and one byte less. */
	ck_assert_int_eq(
	    dns_msg_build_query(b, sizeof(want), 1, "a.bc", DNS_TYPE_A, true),
	    (int)sizeof(want));
	ck_assert_int_eq(dns_msg_build_query(b, sizeof(want) - 1, 1, "a.bc",
					     DNS_TYPE_A, true),
			 -ENOSPC);
	ck_assert_int_eq(dns_msg_build_query(b, 5, 1, "a.bc", DNS_TYPE_A, true),
			 -ENOSPC);
	ck_assert_int_eq(
	    dns_msg_build_query(b, sizeof(b), 1, "a..bc", DNS_TYPE_A, true),
	    -EINVAL);
}
END_TEST

START_TEST(test_build_query_longest_name_fits_query_max)
{
	uint8_t b[DNS_QUERY_MAX];
	char name[260];

	long_name(name, 253, 63);
	ck_assert_int_eq(
	    dns_msg_build_query(b, sizeof(b), 7, name, DNS_TYPE_AAAA, true),
	    (int)DNS_QUERY_MAX);
	/* The name on the wire is 255 bytes, root included. */
	ck_assert_uint_eq(b[12], 63);
	ck_assert_uint_eq(b[12 + DNS_WIRE_NAME_MAX - 1], 0);
	long_name(name, 254, 63);
	ck_assert_int_eq(
	    dns_msg_build_query(b, sizeof(b), 7, name, DNS_TYPE_AAAA, true),
	    -EINVAL);
}
END_TEST

START_TEST(test_writer_records_and_counts)
{
	uint8_t b[512];
	struct dns_writer w;
	const uint8_t a[4] = {192, 0, 2, 1};

	dns_writer_init(&w, b, sizeof(b), 0xbeef,
			DNS_F_QR | DNS_F_RD | DNS_F_RA | DNS_RCODE_NXDOMAIN);
	dns_writer_question(&w, "www.example.org", DNS_TYPE_A);
	dns_writer_rr_name(&w, DNS_SEC_ANSWER, "www.example.org",
			   DNS_TYPE_CNAME, 300, "example.org");
	dns_writer_rr(&w, DNS_SEC_ANSWER, "example.org", DNS_TYPE_A, 60, a,
		      sizeof(a));
	dns_writer_soa(&w, DNS_SEC_AUTHORITY, "org", 900, 3600);
	dns_writer_opt(&w, 4096);
	int n = dns_writer_finish(&w);
	ck_assert_int_eq(n, 12 + (17 + 4) + (17 + 10 + 13) + (13 + 10 + 4) +
				(5 + 10 + 22) + 11);
	ck_assert_uint_eq(get_be16(b), 0xbeef);
	ck_assert_uint_eq(get_be16(b + 2), 0x8183);
	ck_assert_uint_eq(get_be16(b + 4), 1);
	ck_assert_uint_eq(get_be16(b + 6), 2);
	ck_assert_uint_eq(get_be16(b + 8), 1);
	ck_assert_uint_eq(get_be16(b + 10), 1);
	/* The CNAME: owner, type, class, TTL, RDLENGTH, the target. */
	const uint8_t *rr = b + 12 + 21;
	ck_assert_uint_eq(rr[0], 3);
	ck_assert_uint_eq(get_be16(rr + 17), DNS_TYPE_CNAME);
	ck_assert_uint_eq(get_be16(rr + 19), DNS_CLASS_IN);
	ck_assert_uint_eq(get_be32(rr + 21), 300);
	ck_assert_uint_eq(get_be16(rr + 25), 13);
	ck_assert_mem_eq(rr + 27,
			 "\x07"
			 "example\x03"
			 "org",
			 13);
	/* The SOA's MINIMUM is its last four bytes; the OPT's class is
	 * the payload size. */
	ck_assert_uint_eq(get_be32(b + n - 11 - 4), 3600);
	ck_assert_uint_eq(get_be16(b + n - 11 + 3), 4096);
	ck_assert_uint_eq(get_be16(b + n - 11 + 1), DNS_TYPE_OPT);
}
END_TEST

START_TEST(test_writer_sections_out_of_order_are_refused)
{
	uint8_t b[512];
	struct dns_writer w;

	dns_writer_init(&w, b, sizeof(b), 1, DNS_F_QR);
	dns_writer_question(&w, "a", DNS_TYPE_A);
	dns_writer_soa(&w, DNS_SEC_AUTHORITY, "a", 1, 1);
	dns_writer_rr(&w, DNS_SEC_ANSWER, "a", DNS_TYPE_A, 1, "abcd", 4);
	ck_assert_int_eq(dns_writer_finish(&w), -EINVAL);

	dns_writer_init(&w, b, sizeof(b), 1, DNS_F_QR);
	dns_writer_rr(&w, DNS_SEC_ANSWER, "a", DNS_TYPE_A, 1, "abcd", 4);
	dns_writer_question(&w, "a", DNS_TYPE_A);
	ck_assert_int_eq(dns_writer_finish(&w), -EINVAL);

	/* The same section twice, and skipping one, are fine. */
	dns_writer_init(&w, b, sizeof(b), 1, DNS_F_QR);
	dns_writer_question(&w, "a", DNS_TYPE_A);
	dns_writer_question(&w, "b", DNS_TYPE_A);
	dns_writer_rr(&w, DNS_SEC_ANSWER, "a", DNS_TYPE_A, 1, "abcd", 4);
	dns_writer_rr(&w, DNS_SEC_ANSWER, "a", DNS_TYPE_A, 1, "abcd", 4);
	dns_writer_opt(&w, 512);
	ck_assert_int_gt(dns_writer_finish(&w), 0);
	ck_assert_uint_eq(get_be16(b + 4), 2);
	ck_assert_uint_eq(get_be16(b + 6), 2);
	ck_assert_uint_eq(get_be16(b + 8), 0);
	ck_assert_uint_eq(get_be16(b + 10), 1);

	/* A section that is none. */
	dns_writer_init(&w, b, sizeof(b), 1, DNS_F_QR);
	dns_writer_rr(&w, (enum dns_section)3, "a", DNS_TYPE_A, 1, "abcd", 4);
	ck_assert_int_eq(dns_writer_finish(&w), -EINVAL);
}
END_TEST

START_TEST(test_writer_errors_are_sticky)
{
	uint8_t b[64];
	struct dns_writer w;

	/* The first error stays, whatever comes after. */
	dns_writer_init(&w, b, sizeof(b), 1, DNS_F_QR);
	dns_writer_question(&w, "a..b", DNS_TYPE_A);
	dns_writer_question(&w, "a", DNS_TYPE_A);
	ck_assert_int_eq(w.err, -EINVAL);
	ck_assert_uint_eq(w.len, 12);
	ck_assert_int_eq(dns_writer_finish(&w), -EINVAL);

	dns_writer_init(&w, b, 20, 1, DNS_F_QR);
	dns_writer_question(&w, "abcdefghij", DNS_TYPE_A);
	dns_writer_question(&w, "a..b", DNS_TYPE_A);
	ck_assert_int_eq(dns_writer_finish(&w), -ENOSPC);
	ck_assert_uint_le(w.len, 20);

	/* Smaller than a header. */
	dns_writer_init(&w, b, 11, 1, DNS_F_QR);
	ck_assert_int_eq(dns_writer_finish(&w), -ENOSPC);
	dns_writer_init(&w, b, 12, 1, DNS_F_QR);
	ck_assert_int_eq(dns_writer_finish(&w), 12);
}
END_TEST

START_TEST(test_writer_section_count_limit)
{
	static uint8_t b[DNS_MSG_MAX];
	struct dns_writer w;

	/* A record of the root with no RDATA is 11 bytes: 5957 fit, so
	 * count through the counter itself. */
	dns_writer_init(&w, b, sizeof(b), 1, DNS_F_QR);
	w.counts[1] = UINT16_MAX - 1;
	dns_writer_rr(&w, DNS_SEC_ANSWER, "", DNS_TYPE_TXT, 0, NULL, 0);
	ck_assert_int_eq(w.err, 0);
	ck_assert_uint_eq(w.counts[1], UINT16_MAX);
	dns_writer_rr(&w, DNS_SEC_ANSWER, "", DNS_TYPE_TXT, 0, NULL, 0);
	ck_assert_int_eq(dns_writer_finish(&w), -EINVAL);
}
END_TEST

START_TEST(test_writer_caps_at_msg_max)
{
	static uint8_t b[DNS_MSG_MAX + 100];
	static uint8_t rdata[UINT16_MAX];
	struct dns_writer w;

	/* 12 + 11 + RDATA: the largest RDATA that fits is 65512. */
	dns_writer_init(&w, b, sizeof(b), 1, DNS_F_QR);
	dns_writer_rr(&w, DNS_SEC_ANSWER, "", DNS_TYPE_TXT, 0, rdata,
		      (uint16_t)(DNS_MSG_MAX - 23));
	ck_assert_int_eq(dns_writer_finish(&w), (int)DNS_MSG_MAX);
	dns_writer_init(&w, b, sizeof(b), 1, DNS_F_QR);
	dns_writer_rr(&w, DNS_SEC_ANSWER, "", DNS_TYPE_TXT, 0, rdata,
		      (uint16_t)(DNS_MSG_MAX - 22));
	ck_assert_int_eq(dns_writer_finish(&w), -ENOSPC);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dns_msg");
	TCase *tc = tcase_create("names");
	tcase_add_test(tc, test_name_check_limits);
	tcase_add_test(tc, test_name_equal_ignores_ascii_case_and_trailing_dot);
	tcase_add_test(tc, test_name_dots);
	tcase_add_test(tc, test_parse_error_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("build");
	tcase_add_test(tc, test_build_query_bytes);
	tcase_add_test(tc, test_build_query_longest_name_fits_query_max);
	tcase_add_test(tc, test_writer_records_and_counts);
	tcase_add_test(tc, test_writer_sections_out_of_order_are_refused);
	tcase_add_test(tc, test_writer_errors_are_sticky);
	tcase_add_test(tc, test_writer_section_count_limit);
	tcase_add_test(tc, test_writer_caps_at_msg_max);
	suite_add_tcase(s, tc);
	return t_run(s);
}
