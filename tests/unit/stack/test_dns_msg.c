/*
 * test_dns_msg.c - DNS messages: text names (check, compare, dots), the
 * writer and the resolver's query byte for byte; parsing: round trips
 * through the writer, real servers' compression, every reason a message
 * is refused (each at its limit), CNAME chains, the address limit,
 * extended RCODEs and the SOA of negative answers
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

/* ---- parsing ---- */

static struct dns_answer ans;

/* Parses into `ans`; returns DNS_PARSE_OK or the reason it refused. */
static enum dns_parse_error parse(const uint8_t *b, size_t n)
{
	enum dns_parse_error why = DNS_PARSE_OK;
	int r = dns_msg_parse(b, n, &ans, &why);
	if (r == 0)
		return DNS_PARSE_OK;
	ck_assert_int_eq(r, -EBADMSG);
	ck_assert_int_ge(why, 0);
	ck_assert_int_lt(why, DNS_PARSE_ERROR_COUNT);
	return why;
}

/* A message written by hand, byte by byte, for what the writer will
 * not write. */
struct tmsg {
	uint8_t b[DNS_MSG_MAX];
	size_t len;
};

static void m_bytes(struct tmsg *m, const void *p, size_t n)
{
	ck_assert_uint_le(m->len + n, sizeof(m->b));
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void m_u8(struct tmsg *m, uint8_t v)
{
	m_bytes(m, &v, 1);
}

static void m_u16(struct tmsg *m, uint16_t v)
{
	uint8_t b[2];
	put_be16(b, v);
	m_bytes(m, b, 2);
}

static void m_u32(struct tmsg *m, uint32_t v)
{
	uint8_t b[4];
	put_be32(b, v);
	m_bytes(m, b, 4);
}

/* A response header: QR set, the given counts. */
static void m_header(struct tmsg *m, uint16_t flags, uint16_t qd, uint16_t an,
		     uint16_t ns, uint16_t ar)
{
	m->len = 0;
	m_u16(m, 0x4242);
	m_u16(m, flags);
	m_u16(m, qd);
	m_u16(m, an);
	m_u16(m, ns);
	m_u16(m, ar);
}

/* Labels from a dotted name, without the root's zero byte; returns
 * where they start. */
static size_t m_labels(struct tmsg *m, const char *name)
{
	size_t at = m->len;
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);
		m_u8(m, (uint8_t)n);
		m_bytes(m, name, n);
		name += n + (dot ? 1 : 0);
	}
	return at;
}

/* A whole name; returns where it starts. */
static size_t m_name(struct tmsg *m, const char *name)
{
	size_t at = m_labels(m, name);
	m_u8(m, 0);
	return at;
}

static void m_ptr(struct tmsg *m, size_t to)
{
	m_u16(m, (uint16_t)(0xc000u | to));
}

/* The question: its name at 12, type, class. */
static void m_question(struct tmsg *m, const char *name, uint16_t qtype,
		       uint16_t qclass)
{
	m_name(m, name);
	m_u16(m, qtype);
	m_u16(m, qclass);
}

/* A record's fixed part after its owner. */
static void m_fixed(struct tmsg *m, uint16_t type, uint16_t class, uint32_t ttl,
		    uint16_t rdlength)
{
	m_u16(m, type);
	m_u16(m, class);
	m_u32(m, ttl);
	m_u16(m, rdlength);
}

/* A response with a header, one question (A, IN) for `name` and
 * `an` answers to come. */
static void m_response(struct tmsg *m, const char *name, uint16_t an)
{
	m_header(m, DNS_F_QR | DNS_F_RD | DNS_F_RA, 1, an, 0, 0);
	m_question(m, name, DNS_TYPE_A, DNS_CLASS_IN);
}

/* An A record owned by a pointer to `owner`. */
static void m_a_ptr(struct tmsg *m, size_t owner, uint32_t ttl, uint32_t addr)
{
	m_ptr(m, owner);
	m_fixed(m, DNS_TYPE_A, DNS_CLASS_IN, ttl, 4);
	m_u32(m, addr);
}

/* A writer over a static buffer, for round trips. */
static uint8_t wbuf[DNS_MSG_MAX];
static struct dns_writer w;

static void w_start(uint16_t flags, const char *qname, uint16_t qtype)
{
	dns_writer_init(&w, wbuf, sizeof(wbuf), 0x5151, DNS_F_QR | flags);
	dns_writer_question(&w, qname, qtype);
}

static void w_a(const char *owner, uint32_t ttl, uint32_t addr)
{
	uint8_t a[4];
	put_be32(a, addr);
	dns_writer_rr(&w, DNS_SEC_ANSWER, owner, DNS_TYPE_A, ttl, a, 4);
}

static size_t w_end(void)
{
	int n = dns_writer_finish(&w);
	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

START_TEST(test_round_trip_cname_address_soa_opt)
{
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};

	w_start(DNS_F_RD | DNS_F_RA | DNS_F_AA, "www.Example.org", DNS_TYPE_A);
	dns_writer_rr_name(&w, DNS_SEC_ANSWER, "www.Example.org",
			   DNS_TYPE_CNAME, 300, "web.example.net");
	w_a("web.example.net", 60, 0xc0000201);
	w_a("other.example.net", 60, 0xc0000299); /* not in the chain */
	dns_writer_rr(&w, DNS_SEC_ANSWER, "web.example.net", DNS_TYPE_AAAA, 60,
		      v6, 16); /* not the question's type */
	w_a("web.example.net", 30, 0xc0000202);
	dns_writer_soa(&w, DNS_SEC_AUTHORITY, "example.net", 900, 120);
	dns_writer_opt(&w, 1232);
	size_t n = w_end();

	ck_assert_int_eq(parse(wbuf, n), DNS_PARSE_OK);
	ck_assert_uint_eq(ans.id, 0x5151);
	ck_assert_uint_eq(ans.flags, DNS_F_QR | DNS_F_RD | DNS_F_RA | DNS_F_AA);
	ck_assert_uint_eq(ans.rcode, DNS_RCODE_NOERROR);
	ck_assert(!ans.tc);
	ck_assert_uint_eq(ans.qtype, DNS_TYPE_A);
	ck_assert_uint_eq(ans.qclass, DNS_CLASS_IN);
	ck_assert_str_eq(ans.qname, "www.Example.org"); /* as received */
	ck_assert_str_eq(ans.cname, "web.example.net");
	ck_assert_uint_eq(ans.cnames, 1);
	ck_assert_uint_eq(ans.cname_ttl, 300);
	ck_assert(!ans.cname_loop);
	ck_assert_uint_eq(ans.naddrs, 2);
	ck_assert_uint_eq(ans.addrs_dropped, 0);
	ck_assert_uint_eq(ans.addrs[0].family, 4);
	ck_assert_uint_eq(get_be32(ans.addrs[0].addr), 0xc0000201);
	ck_assert_uint_eq(ans.addrs[0].ttl, 60);
	ck_assert_uint_eq(get_be32(ans.addrs[1].addr), 0xc0000202);
	ck_assert_uint_eq(ans.addrs[1].ttl, 30);
	ck_assert(ans.has_soa);
	ck_assert_uint_eq(ans.soa_ttl, 900);
	ck_assert_uint_eq(ans.soa_minimum, 120);
	ck_assert(ans.edns);
	ck_assert_uint_eq(ans.edns_udp_size, 1232);
}
END_TEST

START_TEST(test_round_trip_aaaa_without_opt)
{
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 7};

	w_start(DNS_F_RA, "host", DNS_TYPE_AAAA);
	w_a("host", 60, 0x0a000001); /* an A in an AAAA answer: skipped */
	dns_writer_rr(&w, DNS_SEC_ANSWER, "HOST.", DNS_TYPE_AAAA, 77, v6, 16);
	size_t n = w_end();

	ck_assert_int_eq(parse(wbuf, n), DNS_PARSE_OK);
	ck_assert_str_eq(ans.qname, "host");
	ck_assert_str_eq(ans.cname, "host");
	ck_assert_uint_eq(ans.cnames, 0);
	ck_assert_uint_eq(ans.cname_ttl, 0);
	ck_assert_uint_eq(ans.naddrs, 1);
	ck_assert_uint_eq(ans.addrs[0].family, 6);
	ck_assert_mem_eq(ans.addrs[0].addr, v6, 16);
	ck_assert_uint_eq(ans.addrs[0].ttl, 77);
	ck_assert(!ans.edns);
	ck_assert(!ans.has_soa);
}
END_TEST

START_TEST(test_round_trip_query_parses_once_qr_is_set)
{
	uint8_t b[DNS_QUERY_MAX];
	int n = dns_msg_build_query(b, sizeof(b), 9, "Example.org.",
				    DNS_TYPE_AAAA, true);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(parse(b, (size_t)n), DNS_PARSE_header);
	b[2] |= DNS_F_QR >> 8;
	ck_assert_int_eq(parse(b, (size_t)n), DNS_PARSE_OK);
	ck_assert_uint_eq(ans.id, 9);
	ck_assert_str_eq(ans.qname, "Example.org");
	ck_assert_uint_eq(ans.qtype, DNS_TYPE_AAAA);
	ck_assert(ans.edns);
	ck_assert_uint_eq(ans.edns_udp_size, DNS_EDNS_UDP_SIZE);
}
END_TEST

START_TEST(test_root_question)
{
	w_start(0, "", DNS_TYPE_A);
	size_t n = w_end();
	ck_assert_int_eq(parse(wbuf, n), DNS_PARSE_OK);
	ck_assert_str_eq(ans.qname, "");
	ck_assert_str_eq(ans.cname, "");
}
END_TEST

/* What servers send: owners and targets compressed against the
 * question and each other. */
START_TEST(test_compressed_names_are_followed)
{
	struct tmsg m;

	m_response(&m, "www.example.org", 2);
	/* www.example.org CNAME web.(example.org) */
	m_ptr(&m, 12);
	m_fixed(&m, DNS_TYPE_CNAME, DNS_CLASS_IN, 100, 6);
	size_t web = m_labels(&m, "web");
	m_ptr(&m, 16); /* "example.org" inside the question */
	/* web.example.org A, owner a pointer to the target above */
	m_a_ptr(&m, web, 50, 0x0a000005);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_OK);
	ck_assert_str_eq(ans.cname, "web.example.org");
	ck_assert_uint_eq(ans.cnames, 1);
	ck_assert_uint_eq(ans.cname_ttl, 100);
	ck_assert_uint_eq(ans.naddrs, 1);
	ck_assert_uint_eq(get_be32(ans.addrs[0].addr), 0x0a000005);
}
END_TEST

START_TEST(test_short_message_is_refused)
{
	uint8_t b[DNS_HEADER_LEN] = {0, 1, 0x80, 0, 0, 1};
	ck_assert_int_eq(parse(b, 0), DNS_PARSE_short);
	ck_assert_int_eq(parse(b, DNS_HEADER_LEN - 1), DNS_PARSE_short);
	/* The header alone with QDCOUNT 1: the question is cut. */
	ck_assert_int_eq(parse(b, DNS_HEADER_LEN), DNS_PARSE_truncated);
}
END_TEST

START_TEST(test_bad_header_is_refused)
{
	struct tmsg m;

	m_response(&m, "a", 0);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_OK);
	/* QR clear: a query. */
	m.b[2] &= (uint8_t) ~(DNS_F_QR >> 8);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_header);
	m.b[2] |= DNS_F_QR >> 8;
	/* Opcode IQUERY (1), STATUS (2), and the highest. */
	for (unsigned op = 1; op < 16; op++) {
		put_be16(m.b + 2, (uint16_t)(DNS_F_QR | op << 11));
		ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_header);
	}
	put_be16(m.b + 2, DNS_F_QR);
	/* QDCOUNT 0 and 2. */
	put_be16(m.b + 4, 0);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_header);
	put_be16(m.b + 4, 2);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_header);
	put_be16(m.b + 4, 1);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_OK);
}
END_TEST

START_TEST(test_label_over_63_or_reserved_type_is_refused)
{
	struct tmsg m;
	char label[64];

	/* 63 is fine. */
	m_response(&m, long_name(label, 63, 63), 0);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_OK);
	ck_assert_uint_eq(strlen(ans.qname), 63);
	/* 64 is 0x40: the reserved type 01. */
	m.len = 12;
	m_u8(&m, 64);
	m_bytes(&m, label, 63);
	m_bytes(&m, "a", 1);
	m_u8(&m, 0);
	m_u32(&m, 0x00010001);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_label);
	/* 10 as the top bits, in an answer's owner. */
	m_response(&m, "a", 1);
	m_u8(&m, 0x81);
	m_bytes(&m, "a", 1);
	m_u8(&m, 0);
	m_fixed(&m, DNS_TYPE_A, DNS_CLASS_IN, 1, 4);
	m_u32(&m, 1);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_label);
}
END_TEST

START_TEST(test_name_over_255_on_the_wire_is_refused)
{
	struct tmsg m;
	char name[260];

	/* 253 text bytes: 255 on the wire, the longest. */
	m_response(&m, long_name(name, 253, 63), 0);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_OK);
	ck_assert_str_eq(ans.qname, name);
	/* 254 text bytes: 256 on the wire, through four labels. */
	m_response(&m, long_name(name, 254, 63), 0);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_name_long);
	/* Many short labels. */
	m_response(&m, long_name(name, 255, 1), 0);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_name_long);
	m_response(&m, long_name(name, 253, 1), 0);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_OK);
	/* Over the limit only through a pointer: 200 + 60 bytes. */
	m_response(&m, long_name(name, 199, 63), 1);
	m_labels(&m, long_name(name, 59, 63));
	m_ptr(&m, 12);
	m_fixed(&m, DNS_TYPE_TXT, DNS_CLASS_IN, 1, 0);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_name_long);
}
END_TEST

START_TEST(test_dot_or_nul_in_a_label_is_refused)
{
	struct tmsg m;

	m_header(&m, DNS_F_QR, 1, 0, 0, 0);
	m_bytes(&m,
		"\x03"
		"a.b\x00",
		5);
	m_u32(&m, 0x00010001);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_name_char);
	m.b[14] = 0;
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_name_char);
	m.b[14] = '-';
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_OK);
	ck_assert_str_eq(ans.qname, "a-b");
}
END_TEST

START_TEST(test_pointer_loop_is_refused)
{
	struct tmsg m;

	/* A name pointing at its own start. */
	m_response(&m, "a", 1);
	size_t at = m.len;
	m_ptr(&m, at);
	m_fixed(&m, DNS_TYPE_TXT, DNS_CLASS_IN, 1, 0);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_pointer);
	/* A label, then back to that label. */
	m_response(&m, "a", 1);
	at = m_labels(&m, "x");
	m_ptr(&m, at);
	m_fixed(&m, DNS_TYPE_TXT, DNS_CLASS_IN, 1, 0);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_pointer);
	/* The same with a long label: refused at the first turn, as a
	 * pointer, before the name grows too long. */
	char label[64];
	m_response(&m, "a", 1);
	at = m_labels(&m, long_name(label, 63, 63));
	m_ptr(&m, at);
	m_fixed(&m, DNS_TYPE_TXT, DNS_CLASS_IN, 1, 0);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_pointer);
	/* Two stretches pointing at each other, in a TXT's RDATA at p:
	 * "x" -> p + 4 and "y" -> p. A later name enters at p + 4: the
	 * jump to p goes back, the jump to p + 4 is not before p. */
	m_response(&m, "a", 2);
	m_ptr(&m, 12);
	m_fixed(&m, DNS_TYPE_TXT, DNS_CLASS_IN, 1, 8);
	size_t p = m_labels(&m, "x");
	m_ptr(&m, p + 4);
	m_labels(&m, "y");
	m_ptr(&m, p);
	m_ptr(&m, p + 4);
	m_fixed(&m, DNS_TYPE_TXT, DNS_CLASS_IN, 1, 0);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_pointer);
	/* Entering at p + 4 with "y" -> 12 instead is fine: "y.a". */
	m.b[p + 7] = 12;
	put_be16(m.b + 6, 3);
	m_ptr(&m, p + 4);
	m_fixed(&m, DNS_TYPE_CNAME, DNS_CLASS_IN, 1, 2);
	m_ptr(&m, 12);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_OK);
}
END_TEST

START_TEST(test_forward_pointer_is_refused)
{
	struct tmsg m;

	/* An owner pointing at the RDATA after it, which holds a name. */
	m_response(&m, "a", 1);
	size_t at = m.len;
	m_ptr(&m, at + 2 + 10);
	m_fixed(&m, DNS_TYPE_TXT, DNS_CLASS_IN, 1, 3);
	m_name(&m, "b");
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_pointer);
	/* The same name pointed at from behind is fine. */
	m_response(&m, "a", 2);
	m_ptr(&m, 12);
	m_fixed(&m, DNS_TYPE_TXT, DNS_CLASS_IN, 1, 3);
	size_t b = m_name(&m, "b");
	m_a_ptr(&m, b, 1, 1);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_OK);
}
END_TEST

START_TEST(test_pointer_into_the_header_is_refused)
{
	struct tmsg m;

	for (size_t to = 0; to < DNS_HEADER_LEN; to++) {
		m_response(&m, "a", 1);
		m_ptr(&m, to);
		m_fixed(&m, DNS_TYPE_TXT, DNS_CLASS_IN, 1, 0);
		ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_pointer);
	}
	/* In the question's own name, whose start is 12. */
	m_header(&m, DNS_F_QR, 1, 0, 0, 0);
	m_ptr(&m, 4);
	m_u32(&m, 0x00010001);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_pointer);
}
END_TEST

/* A TXT record whose RDATA is `n` pointers, each to the one before it
 * and the first to the question's name; the owner of a second record
 * points at pointer number `to` (1-based): 1 + `to` pointers. */
static void m_pointer_chain(struct tmsg *m, unsigned n, unsigned to)
{
	size_t at[64];

	m_response(m, "a", 2);
	m_ptr(m, 12);
	m_fixed(m, DNS_TYPE_TXT, DNS_CLASS_IN, 1, (uint16_t)(2 * n));
	for (unsigned i = 0; i < n; i++) {
		at[i] = m->len;
		m_ptr(m, i == 0 ? 12 : at[i - 1]);
	}
	m_ptr(m, at[to - 1]);
	m_fixed(m, DNS_TYPE_A, DNS_CLASS_IN, 5, 4);
	m_u32(m, 0x01020304);
}

START_TEST(test_pointers_in_one_name_limit)
{
	struct tmsg m;

	m_pointer_chain(&m, DNS_POINTERS_MAX, DNS_POINTERS_MAX - 1);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_OK);
	ck_assert_uint_eq(ans.naddrs, 1); /* the owner is "a" */
	m_pointer_chain(&m, DNS_POINTERS_MAX, DNS_POINTERS_MAX);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_pointer);
}
END_TEST

START_TEST(test_counts_beyond_the_message_are_truncated)
{
	struct tmsg m;

	/* ANCOUNT 2 with one answer present. */
	m_response(&m, "a", 2);
	m_a_ptr(&m, 12, 1, 1);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_truncated);
	put_be16(m.b + 6, 1);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_OK);
	/* NSCOUNT and ARCOUNT the same. */
	put_be16(m.b + 8, 1);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_truncated);
	put_be16(m.b + 8, 0);
	put_be16(m.b + 10, 65535);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_truncated);
}
END_TEST

START_TEST(test_cut_records_are_truncated)
{
	struct tmsg m;

	m_response(&m, "a", 1);
	m_a_ptr(&m, 12, 1, 0x01020304);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_OK);
	/* Cut anywhere inside the record: RDATA, fixed part, owner. */
	for (size_t n = m.len - 1; n >= 12 + 3 + 4; n--)
		ck_assert_int_eq(parse(m.b, n), DNS_PARSE_truncated);
	/* Inside the question. */
	for (size_t n = 12; n < 12 + 3 + 4; n++)
		ck_assert_int_eq(parse(m.b, n), DNS_PARSE_truncated);
	/* RDLENGTH past the end. */
	put_be16(m.b + m.len - 6, 5);
	m_u8(&m, 0);
	ck_assert_int_eq(parse(m.b, m.len - 1), DNS_PARSE_truncated);
	/* A label past the end. */
	m_response(&m, "a", 1);
	m_u8(&m, 10);
	m_bytes(&m, "abc", 3);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_truncated);
}
END_TEST

START_TEST(test_rdata_of_the_wrong_size_is_refused)
{
	struct tmsg m;
	uint8_t z[32] = {0};

	/* A: 4 bytes, not 3 or 5. */
	for (uint16_t n = 3; n <= 5; n += 2) {
		m_response(&m, "a", 1);
		m_ptr(&m, 12);
		m_fixed(&m, DNS_TYPE_A, DNS_CLASS_IN, 1, n);
		m_bytes(&m, z, n);
		ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_rdata);
	}
	/* AAAA: 16, not 4. */
	m_response(&m, "a", 1);
	m_ptr(&m, 12);
	m_fixed(&m, DNS_TYPE_AAAA, DNS_CLASS_IN, 1, 4);
	m_bytes(&m, z, 4);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_rdata);
	/* In another class, an A's RDATA is that class's business. */
	m_response(&m, "a", 1);
	m_ptr(&m, 12);
	m_fixed(&m, DNS_TYPE_A, 3, 1, 6);
	m_bytes(&m, z, 6);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_OK);
	ck_assert_uint_eq(ans.naddrs, 0);
}
END_TEST

START_TEST(test_bad_cname_rdata_is_refused)
{
	struct tmsg m;

	/* A byte after the name. */
	m_response(&m, "a", 1);
	m_ptr(&m, 12);
	m_fixed(&m, DNS_TYPE_CNAME, DNS_CLASS_IN, 1, 4);
	m_name(&m, "b");
	m_u8(&m, 0);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_rdata);
	/* The name running past RDATA into the next record. */
	m_response(&m, "a", 2);
	m_ptr(&m, 12);
	m_fixed(&m, DNS_TYPE_CNAME, DNS_CLASS_IN, 1, 2);
	m_labels(&m, "b");
	m_u8(&m, 0); /* the next owner: the root */
	m_fixed(&m, DNS_TYPE_TXT, DNS_CLASS_IN, 1, 0);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_rdata);
	/* Empty RDATA: the name runs into the message's end. */
	m_response(&m, "a", 1);
	m_ptr(&m, 12);
	m_fixed(&m, DNS_TYPE_CNAME, DNS_CLASS_IN, 1, 0);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_truncated);
	/* Exactly a compressed name is fine. */
	m_response(&m, "a", 1);
	m_ptr(&m, 12);
	m_fixed(&m, DNS_TYPE_CNAME, DNS_CLASS_IN, 1, 4);
	m_u8(&m, 1);
	m_bytes(&m, "b", 1);
	m_ptr(&m, 12);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_OK);
	ck_assert_str_eq(ans.cname, "b.a");
}
END_TEST

/* An SOA in authority owned by the question's name, with `tail` bytes
 * after its two names (20 is right). */
static void m_soa(struct tmsg *m, uint16_t tail, uint32_t ttl, uint32_t minimum)
{
	m_header(m, DNS_F_QR | DNS_RCODE_NXDOMAIN, 1, 0, 1, 0);
	m_question(m, "nx.example", DNS_TYPE_A, DNS_CLASS_IN);
	m_ptr(m, 15); /* "example" */
	m_fixed(m, DNS_TYPE_SOA, DNS_CLASS_IN, ttl, (uint16_t)(2 + 4 + tail));
	m_labels(m, "ns");
	m_ptr(m, 15);
	m_u8(m, 0); /* RNAME: the root */
	for (uint16_t i = 0; i + 4 < tail; i++)
		m_u8(m, (uint8_t)i);
	if (tail >= 4)
		m_u32(m, minimum);
}

START_TEST(test_soa_of_a_negative_answer)
{
	struct tmsg m;

	m_soa(&m, 20, 3600, 300);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_OK);
	ck_assert_uint_eq(ans.rcode, DNS_RCODE_NXDOMAIN);
	ck_assert(ans.has_soa);
	ck_assert_uint_eq(ans.soa_ttl, 3600);
	ck_assert_uint_eq(ans.soa_minimum, 300);
	ck_assert_uint_eq(ans.naddrs, 0);
	/* Top bits set: 0 (RFC 2181 8). */
	m_soa(&m, 20, 0x80000001, 0xfffffff0);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_OK);
	ck_assert_uint_eq(ans.soa_ttl, 0);
	ck_assert_uint_eq(ans.soa_minimum, 0);
	/* One byte short or over: refused. */
	m_soa(&m, 19, 1, 1);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_rdata);
	m_soa(&m, 21, 1, 1);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_rdata);
	/* No fixed fields at all, and RDATA ending inside RNAME. */
	m_soa(&m, 0, 1, 1);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_rdata);
	put_be16(m.b + m.len - 6 - 2, 5);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_rdata);
	/* Through the writer; an SOA in the answer section is not taken,
	 * the first of two in authority is. */
	w_start(DNS_RCODE_NXDOMAIN, "nx.example", DNS_TYPE_A);
	dns_writer_soa(&w, DNS_SEC_ANSWER, "example", 1, 2);
	dns_writer_soa(&w, DNS_SEC_AUTHORITY, "example", 60, 30);
	dns_writer_soa(&w, DNS_SEC_AUTHORITY, "example", 70, 40);
	size_t n = w_end();
	ck_assert_int_eq(parse(wbuf, n), DNS_PARSE_OK);
	ck_assert_uint_eq(ans.soa_ttl, 60);
	ck_assert_uint_eq(ans.soa_minimum, 30);
}
END_TEST

START_TEST(test_trailing_bytes_are_refused)
{
	struct tmsg m;

	m_response(&m, "a", 1);
	m_a_ptr(&m, 12, 1, 1);
	m_u8(&m, 0);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_trailing);
	ck_assert_int_eq(parse(m.b, m.len - 1), DNS_PARSE_OK);
}
END_TEST

START_TEST(test_question_not_in_class_in_is_refused)
{
	struct tmsg m;

	m_header(&m, DNS_F_QR, 1, 0, 0, 0);
	m_question(&m, "version.bind", DNS_TYPE_TXT, 3 /* CH */);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_question);
	/* Checked last: a fault in the records comes first. */
	put_be16(m.b + 6, 1);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_truncated);
}
END_TEST

START_TEST(test_truncated_answer_with_tc_keeps_the_question)
{
	struct tmsg m;

	/* TC, ANCOUNT 3, the message cut inside the second record. */
	m_header(&m, DNS_F_QR | DNS_F_TC | DNS_F_RD, 1, 3, 0, 1);
	m_question(&m, "big.example", DNS_TYPE_A, DNS_CLASS_IN);
	m_a_ptr(&m, 12, 60, 1);
	m_a_ptr(&m, 12, 60, 2);
	ck_assert_int_eq(parse(m.b, m.len - 2), DNS_PARSE_OK);
	ck_assert(ans.tc);
	ck_assert_str_eq(ans.qname, "big.example");
	ck_assert_uint_eq(ans.qtype, DNS_TYPE_A);
	ck_assert_uint_eq(ans.naddrs, 0);
	ck_assert(!ans.edns);
	/* Cut at a record's end, counts unchanged: the same. */
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_OK);
	ck_assert(ans.tc);
	ck_assert_uint_eq(ans.naddrs, 0);
	/* Without TC it is refused. */
	put_be16(m.b + 2, DNS_F_QR);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_truncated);
	/* With TC, other faults are still faults. */
	put_be16(m.b + 2, DNS_F_QR | DNS_F_TC);
	m.b[m.len - 16 + 1] = 0xff; /* an owner pointer, forward */
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_pointer);
	/* A TC answer that is whole parses whole. */
	w_start(DNS_F_TC, "a", DNS_TYPE_A);
	w_a("a", 1, 7);
	size_t n = w_end();
	ck_assert_int_eq(parse(wbuf, n), DNS_PARSE_OK);
	ck_assert(ans.tc);
	ck_assert_uint_eq(ans.naddrs, 1);
}
END_TEST

/* A chain of `links` CNAMEs n0 -> n1 -> ... and an address for the
 * last name, the records in reverse order. */
static size_t w_chain(unsigned links, bool address)
{
	char from[16], to[16];

	w_start(DNS_F_RA, "n0.example", DNS_TYPE_A);
	if (address) {
		snprintf(to, sizeof(to), "n%u.example", links);
		w_a(to, 40, 0x0a0a0a0a);
	}
	for (unsigned i = links; i > 0; i--) {
		snprintf(from, sizeof(from), "N%u.example", i - 1);
		snprintf(to, sizeof(to), "n%u.example", i);
		dns_writer_rr_name(&w, DNS_SEC_ANSWER, from, DNS_TYPE_CNAME,
				   100 + i, to);
	}
	return w_end();
}

START_TEST(test_cname_chain_of_one)
{
	size_t n = w_chain(1, true);
	ck_assert_int_eq(parse(wbuf, n), DNS_PARSE_OK);
	ck_assert_uint_eq(ans.cnames, 1);
	ck_assert_str_eq(ans.cname, "n1.example");
	ck_assert_uint_eq(ans.cname_ttl, 101);
	ck_assert(!ans.cname_loop);
	ck_assert_uint_eq(ans.naddrs, 1);
	ck_assert_uint_eq(ans.addrs[0].ttl, 40);
}
END_TEST

START_TEST(test_cname_chain_at_the_limit)
{
	size_t n = w_chain(DNS_CNAME_MAX, true);
	ck_assert_int_eq(parse(wbuf, n), DNS_PARSE_OK);
	ck_assert_uint_eq(ans.cnames, DNS_CNAME_MAX);
	ck_assert_str_eq(ans.cname, "n8.example");
	ck_assert_uint_eq(ans.cname_ttl, 101); /* the smallest */
	ck_assert(!ans.cname_loop);
	ck_assert_uint_eq(ans.naddrs, 1);
	ck_assert_uint_eq(get_be32(ans.addrs[0].addr), 0x0a0a0a0a);

	n = w_chain(DNS_CNAME_MAX + 1, true);
	ck_assert_int_eq(parse(wbuf, n), DNS_PARSE_OK);
	ck_assert(ans.cname_loop);
	ck_assert_uint_eq(ans.cnames, DNS_CNAME_MAX);
	ck_assert_str_eq(ans.cname, "n8.example");
	ck_assert_uint_eq(ans.naddrs, 0);
}
END_TEST

START_TEST(test_cname_loop)
{
	w_start(0, "a.example", DNS_TYPE_A);
	dns_writer_rr_name(&w, DNS_SEC_ANSWER, "a.example", DNS_TYPE_CNAME, 9,
			   "b.example");
	dns_writer_rr_name(&w, DNS_SEC_ANSWER, "b.example", DNS_TYPE_CNAME, 8,
			   "A.example");
	w_a("a.example", 1, 1);
	size_t n = w_end();
	ck_assert_int_eq(parse(wbuf, n), DNS_PARSE_OK);
	ck_assert(ans.cname_loop);
	ck_assert_uint_eq(ans.cnames, 1);
	ck_assert_str_eq(ans.cname, "b.example");
	ck_assert_uint_eq(ans.naddrs, 0);
	/* A name that is its own alias. */
	w_start(0, "a.example", DNS_TYPE_A);
	dns_writer_rr_name(&w, DNS_SEC_ANSWER, "a.example", DNS_TYPE_CNAME, 9,
			   "a.example");
	n = w_end();
	ck_assert_int_eq(parse(wbuf, n), DNS_PARSE_OK);
	ck_assert(ans.cname_loop);
	ck_assert_uint_eq(ans.cnames, 0);
}
END_TEST

START_TEST(test_cname_target_without_address)
{
	w_start(0, "a.example", DNS_TYPE_A);
	dns_writer_rr_name(&w, DNS_SEC_ANSWER, "a.example", DNS_TYPE_CNAME, 9,
			   "b.example");
	w_a("a.example", 1, 1); /* the alias's own: not the chain's end */
	dns_writer_soa(&w, DNS_SEC_AUTHORITY, "example", 5, 6);
	size_t n = w_end();
	ck_assert_int_eq(parse(wbuf, n), DNS_PARSE_OK);
	ck_assert(!ans.cname_loop);
	ck_assert_uint_eq(ans.cnames, 1);
	ck_assert_str_eq(ans.cname, "b.example");
	ck_assert_uint_eq(ans.naddrs, 0);
	ck_assert(ans.has_soa);
}
END_TEST

START_TEST(test_cname_not_followed_for_a_cname_question)
{
	w_start(0, "a.example", DNS_TYPE_CNAME);
	dns_writer_rr_name(&w, DNS_SEC_ANSWER, "a.example", DNS_TYPE_CNAME, 9,
			   "b.example");
	size_t n = w_end();
	ck_assert_int_eq(parse(wbuf, n), DNS_PARSE_OK);
	ck_assert_uint_eq(ans.cnames, 0);
	ck_assert_str_eq(ans.cname, "a.example");
}
END_TEST

START_TEST(test_owners_match_without_case)
{
	w_start(0, "WwW.ExAmPle.org", DNS_TYPE_A);
	dns_writer_rr_name(&w, DNS_SEC_ANSWER, "www.EXAMPLE.ORG",
			   DNS_TYPE_CNAME, 9, "Web.Example.Net");
	w_a("WEB.example.NET", 1, 0x01010101);
	w_a("web.example.net.", 1, 0x02020202);
	w_a("web.example.ne", 1, 0x03030303);
	w_a("web.example.netx", 1, 0x04040404);
	w_a("web.example.net.x", 1, 0x05050505);
	w_a("x.web.example.net", 1, 0x06060606);
	size_t n = w_end();
	ck_assert_int_eq(parse(wbuf, n), DNS_PARSE_OK);
	ck_assert_str_eq(ans.qname, "WwW.ExAmPle.org");
	ck_assert_str_eq(ans.cname, "Web.Example.Net"); /* as received */
	ck_assert_uint_eq(ans.naddrs, 2);
	ck_assert_uint_eq(get_be32(ans.addrs[0].addr), 0x01010101);
	ck_assert_uint_eq(get_be32(ans.addrs[1].addr), 0x02020202);
}
END_TEST

START_TEST(test_records_of_other_classes_are_skipped)
{
	struct tmsg m;

	/* a CNAME b.a in class CH (3), an A of a in CH, then in IN. */
	m_response(&m, "a", 3);
	m_ptr(&m, 12);
	m_fixed(&m, DNS_TYPE_CNAME, 3, 1, 4);
	m_labels(&m, "b");
	m_ptr(&m, 12);
	m_ptr(&m, 12);
	m_fixed(&m, DNS_TYPE_A, 3, 1, 4);
	m_u32(&m, 9);
	m_a_ptr(&m, 12, 1, 8);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_OK);
	ck_assert_uint_eq(ans.cnames, 0);
	ck_assert_uint_eq(ans.naddrs, 1);
	ck_assert_uint_eq(get_be32(ans.addrs[0].addr), 8);
}
END_TEST

START_TEST(test_addresses_limit)
{
	struct tmsg m;

	m_response(&m, "many", DNS_ADDRS_MAX);
	for (uint32_t i = 0; i < DNS_ADDRS_MAX; i++)
		m_a_ptr(&m, 12, 1000 + i, 0x0a000000 + i);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_OK);
	ck_assert_uint_eq(ans.naddrs, DNS_ADDRS_MAX);
	ck_assert_uint_eq(ans.addrs_dropped, 0);
	for (uint32_t i = 0; i < DNS_ADDRS_MAX; i++) {
		ck_assert_uint_eq(get_be32(ans.addrs[i].addr), 0x0a000000 + i);
		ck_assert_uint_eq(ans.addrs[i].ttl, 1000 + i);
	}
	/* Two more: kept out, counted. */
	m_a_ptr(&m, 12, 1, 1);
	m_a_ptr(&m, 12, 1, 2);
	put_be16(m.b + 6, DNS_ADDRS_MAX + 2);
	ck_assert_int_eq(parse(m.b, m.len), DNS_PARSE_OK);
	ck_assert_uint_eq(ans.naddrs, DNS_ADDRS_MAX);
	ck_assert_uint_eq(ans.addrs_dropped, 2);
	ck_assert_uint_eq(get_be32(ans.addrs[DNS_ADDRS_MAX - 1].addr),
			  0x0a000000 + DNS_ADDRS_MAX - 1);
}
END_TEST

START_TEST(test_negative_ttls_are_zero)
{
	w_start(0, "a", DNS_TYPE_A);
	dns_writer_rr_name(&w, DNS_SEC_ANSWER, "a", DNS_TYPE_CNAME, 0x80000000,
			   "b");
	w_a("b", 0xffffffff, 1);
	w_a("b", 0x7fffffff, 2);
	size_t n = w_end();
	ck_assert_int_eq(parse(wbuf, n), DNS_PARSE_OK);
	ck_assert_uint_eq(ans.cname_ttl, 0);
	ck_assert_uint_eq(ans.addrs[0].ttl, 0);
	ck_assert_uint_eq(ans.addrs[1].ttl, 0x7fffffff);
}
END_TEST

START_TEST(test_extended_rcode_from_opt)
{
	/* BADVERS: 16, the OPT's 1 above the header's 0. */
	w_start(0, "a", DNS_TYPE_A);
	dns_writer_opt(&w, 4096);
	size_t n = w_end();
	wbuf[n - 6] = 1; /* the TTL's first byte */
	ck_assert_int_eq(parse(wbuf, n), DNS_PARSE_OK);
	ck_assert_uint_eq(ans.rcode, 16);
	ck_assert_uint_eq(ans.flags & DNS_F_RCODE_MASK, 0);
	ck_assert_uint_eq(ans.edns_udp_size, 4096);
	/* Both parts. */
	wbuf[3] |= DNS_RCODE_NXDOMAIN;
	ck_assert_int_eq(parse(wbuf, n), DNS_PARSE_OK);
	ck_assert_uint_eq(ans.rcode, 16 + DNS_RCODE_NXDOMAIN);
	/* Beyond 8 bits: saturated. */
	wbuf[n - 6] = 0xff;
	ck_assert_int_eq(parse(wbuf, n), DNS_PARSE_OK);
	ck_assert_uint_eq(ans.rcode, 255);
	/* Without OPT, the header's alone. */
	w_start(DNS_RCODE_SERVFAIL, "a", DNS_TYPE_A);
	n = w_end();
	ck_assert_int_eq(parse(wbuf, n), DNS_PARSE_OK);
	ck_assert_uint_eq(ans.rcode, DNS_RCODE_SERVFAIL);
	ck_assert(!ans.edns);
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
	tc = tcase_create("parse");
	tcase_add_test(tc, test_round_trip_cname_address_soa_opt);
	tcase_add_test(tc, test_round_trip_aaaa_without_opt);
	tcase_add_test(tc, test_round_trip_query_parses_once_qr_is_set);
	tcase_add_test(tc, test_root_question);
	tcase_add_test(tc, test_compressed_names_are_followed);
	tcase_add_test(tc, test_short_message_is_refused);
	tcase_add_test(tc, test_bad_header_is_refused);
	tcase_add_test(tc, test_label_over_63_or_reserved_type_is_refused);
	tcase_add_test(tc, test_name_over_255_on_the_wire_is_refused);
	tcase_add_test(tc, test_dot_or_nul_in_a_label_is_refused);
	tcase_add_test(tc, test_pointer_loop_is_refused);
	tcase_add_test(tc, test_forward_pointer_is_refused);
	tcase_add_test(tc, test_pointer_into_the_header_is_refused);
	tcase_add_test(tc, test_pointers_in_one_name_limit);
	tcase_add_test(tc, test_counts_beyond_the_message_are_truncated);
	tcase_add_test(tc, test_cut_records_are_truncated);
	tcase_add_test(tc, test_rdata_of_the_wrong_size_is_refused);
	tcase_add_test(tc, test_bad_cname_rdata_is_refused);
	tcase_add_test(tc, test_soa_of_a_negative_answer);
	tcase_add_test(tc, test_trailing_bytes_are_refused);
	tcase_add_test(tc, test_question_not_in_class_in_is_refused);
	tcase_add_test(tc, test_truncated_answer_with_tc_keeps_the_question);
	tcase_add_test(tc, test_addresses_limit);
	tcase_add_test(tc, test_negative_ttls_are_zero);
	tcase_add_test(tc, test_extended_rcode_from_opt);
	suite_add_tcase(s, tc);
	tc = tcase_create("cname");
	tcase_add_test(tc, test_cname_chain_of_one);
	tcase_add_test(tc, test_cname_chain_at_the_limit);
	tcase_add_test(tc, test_cname_loop);
	tcase_add_test(tc, test_cname_target_without_address);
	tcase_add_test(tc, test_cname_not_followed_for_a_cname_question);
	tcase_add_test(tc, test_owners_match_without_case);
	tcase_add_test(tc, test_records_of_other_classes_are_skipped);
	suite_add_tcase(s, tc);
	return t_run(s);
}
