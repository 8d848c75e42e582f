/*
 * test_dhcp_msg.c - parsing and building DHCP messages: a server's real
 * OFFER and ACK field by field, every reason a message is refused, option
 * overload, long options split over several instances (RFC 3396), the
 * search list (RFC 3397), classless routes (RFC 3442), the limits, and
 * what the client builds
 */
#include <stdio.h>

#include "harness.h"

#include "byteorder.h"
#include "dhcp_msg.h"

static const uint8_t CLIENT_MAC[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};

/* A server's reply being written: fixed part, cookie, then options. */
struct tmsg {
	uint8_t b[DHCP_MAX_LEN + 64];
	size_t len;
};

/* A BOOTREPLY with the cookie and, when type is not 0, option 53. */
static void m_init(struct tmsg *m, uint8_t type)
{
	memset(m, 0, sizeof(*m));
	m->b[0] = 2;
	m->b[1] = 1;
	m->b[2] = 6;
	put_be32(m->b + 4, 0x12345678);
	put_be32(m->b + 16, 0x0a000032);
	memcpy(m->b + 28, CLIENT_MAC, 6);
	put_be32(m->b + 236, DHCP_MAGIC);
	m->len = 240;
	if (type) {
		m->b[m->len++] = DHCP_OPT_MSG_TYPE;
		m->b[m->len++] = 1;
		m->b[m->len++] = type;
	}
}

static void m_bytes(struct tmsg *m, const void *v, size_t n)
{
	ck_assert_uint_le(m->len + n, sizeof(m->b));
	if (n) /* an empty value may come as NULL */
		memcpy(m->b + m->len, v, n);
	m->len += n;
}

static void m_opt(struct tmsg *m, uint8_t code, const void *v, size_t n)
{
	uint8_t h[2] = {code, (uint8_t)n};
	m_bytes(m, h, 2);
	m_bytes(m, v, n);
}

static void m_addr(struct tmsg *m, uint8_t code, uint32_t a)
{
	uint8_t v[4];
	put_be32(v, a);
	m_opt(m, code, v, 4);
}

/* END, then padding to the BOOTP minimum. */
static void m_end(struct tmsg *m)
{
	uint8_t end = DHCP_OPT_END;
	m_bytes(m, &end, 1);
	if (m->len < DHCP_MIN_LEN)
		m->len = DHCP_MIN_LEN;
}

static struct dhcp_msg out;

static enum dhcp_parse_error m_parse(const struct tmsg *m)
{
	return dhcp_msg_parse(m->b, m->len, &out);
}

/* A real OFFER: what dnsmasq 2.90 sent to a DISCOVER from
 * 02:00:00:00:00:02 with the broadcast flag, configured with
 *   --dhcp-range=10.77.0.50,10.77.0.60,255.255.255.0,3600
 *   --dhcp-option=3,10.77.0.1 --dhcp-option=6,10.77.0.1
 *   --dhcp-option=15,lan --dhcp-option=26,1400
 *   --dhcp-option=7,10.77.0.7 --dhcp-option=42,10.77.0.42
 *   --dhcp-option=121,192.168.5.0/24,10.77.0.1,0.0.0.0/0,10.77.0.1
 *   --dhcp-option=119,eng.apple.com,marketing.apple.com
 * (357 bytes; its ACK differs only in option 53). */
static const uint8_t dnsmasq_offer[] = {
    /* op, htype, hlen, hops, xid, secs, flags */
    0x02, 0x01, 0x06, 0x00, 0xa1, 0xb2, 0xc3, 0xd4, 0x00, 0x00, 0x80, 0x00,
    /* ciaddr, yiaddr 10.77.0.56, siaddr 10.77.0.1, giaddr */
    0x00, 0x00, 0x00, 0x00, 0x0a, 0x4d, 0x00, 0x38, 0x0a, 0x4d, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00,
    /* chaddr; then sname and file, zero */
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, [236] = 0x63, 0x82, 0x53, 0x63,
    /* 53, 54, 51, 58, 59, 1, 28, 119, 121, 42, 7, 26, 15, 6, 3, END */
    0x35, 0x01, 0x02, 0x36, 0x04, 0x0a, 0x4d, 0x00, 0x01, 0x33, 0x04, 0x00,
    0x00, 0x0e, 0x10, 0x3a, 0x04, 0x00, 0x00, 0x07, 0x08, 0x3b, 0x04, 0x00,
    0x00, 0x0c, 0x4e, 0x01, 0x04, 0xff, 0xff, 0xff, 0x00, 0x1c, 0x04, 0x0a,
    0x4d, 0x00, 0xff, 0x77, 0x1b, 0x03, 0x65, 0x6e, 0x67, 0x05, 0x61, 0x70,
    0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x09, 0x6d, 0x61, 0x72,
    0x6b, 0x65, 0x74, 0x69, 0x6e, 0x67, 0xc0, 0x04, 0x79, 0x0d, 0x18, 0xc0,
    0xa8, 0x05, 0x0a, 0x4d, 0x00, 0x01, 0x00, 0x0a, 0x4d, 0x00, 0x01, 0x2a,
    0x04, 0x0a, 0x4d, 0x00, 0x2a, 0x07, 0x04, 0x0a, 0x4d, 0x00, 0x07, 0x1a,
    0x02, 0x05, 0x78, 0x0f, 0x03, 0x6c, 0x61, 0x6e, 0x06, 0x04, 0x0a, 0x4d,
    0x00, 0x01, 0x03, 0x04, 0x0a, 0x4d, 0x00, 0x01, 0xff, /* END */
};

START_TEST(test_dnsmasq_offer_decoded_field_by_field)
{
	ck_assert_uint_eq(sizeof(dnsmasq_offer), 357);
	ck_assert_int_eq(
	    dhcp_msg_parse(dnsmasq_offer, sizeof(dnsmasq_offer), &out),
	    DHCP_OK);
	ck_assert_uint_eq(out.op, 2);
	ck_assert_uint_eq(out.htype, 1);
	ck_assert_uint_eq(out.hlen, 6);
	ck_assert_uint_eq(out.hops, 0);
	ck_assert_uint_eq(out.xid, 0xa1b2c3d4u);
	ck_assert_uint_eq(out.secs, 0);
	ck_assert_uint_eq(out.flags, DHCP_FLAG_BROADCAST);
	ck_assert_uint_eq(out.ciaddr, 0);
	ck_assert_uint_eq(out.yiaddr, 0x0a4d0038u);
	ck_assert_uint_eq(out.siaddr, 0x0a4d0001u);
	ck_assert_uint_eq(out.giaddr, 0);
	ck_assert_mem_eq(out.chaddr, CLIENT_MAC, 6);
	ck_assert_uint_eq(out.opt.msg_type, DHCPOFFER);
	ck_assert_uint_eq(out.opt.server_id, 0x0a4d0001u);
	ck_assert_uint_eq(out.opt.lease_s, 3600);
	ck_assert_uint_eq(out.opt.t1_s, 1800);
	ck_assert_uint_eq(out.opt.t2_s, 3150);
	ck_assert_uint_eq(out.opt.subnet_mask, 0xffffff00u);
	ck_assert_uint_eq(out.opt.broadcast, 0x0a4d00ffu);
	ck_assert_uint_eq(out.opt.nrouters, 1);
	ck_assert_uint_eq(out.opt.routers[0], 0x0a4d0001u);
	ck_assert_uint_eq(out.opt.ndns, 1);
	ck_assert_uint_eq(out.opt.dns[0], 0x0a4d0001u);
	ck_assert_uint_eq(out.opt.nlog_servers, 1);
	ck_assert_uint_eq(out.opt.log_servers[0], 0x0a4d0007u);
	ck_assert_uint_eq(out.opt.nntp, 1);
	ck_assert_uint_eq(out.opt.ntp[0], 0x0a4d002au);
	ck_assert_str_eq(out.opt.domain, "lan");
	ck_assert_uint_eq(out.opt.mtu, 1400);
	ck_assert_uint_eq(out.opt.nsearch, 2);
	ck_assert_str_eq(out.opt.search[0], "eng.apple.com");
	ck_assert_str_eq(out.opt.search[1], "marketing.apple.com");
	ck_assert_uint_eq(out.opt.nroutes, 2);
	ck_assert_uint_eq(out.opt.routes[0].dst, 0xc0a80500u);
	ck_assert_uint_eq(out.opt.routes[0].prefix_len, 24);
	ck_assert_uint_eq(out.opt.routes[0].gateway, 0x0a4d0001u);
	ck_assert_uint_eq(out.opt.routes[1].dst, 0);
	ck_assert_uint_eq(out.opt.routes[1].prefix_len, 0);
	ck_assert_uint_eq(out.opt.routes[1].gateway, 0x0a4d0001u);
	ck_assert_uint_eq(out.opt.max_msg_size, 0);
	ck_assert_str_eq(out.opt.message, "");
	const uint8_t seen[] = {53,  54, 51, 58, 59, 1, 28, 119,
				121, 42, 7,  26, 15, 6, 3};
	for (size_t i = 0; i < sizeof(seen); i++)
		ck_assert_msg(dhcp_has(&out.opt, seen[i]), "option %u",
			      seen[i]);
	for (unsigned c = 0; c < 256; c++)
		ck_assert_msg(!dhcp_has(&out.opt, (uint8_t)c) ||
				  memchr(seen, (int)c, sizeof(seen)),
			      "option %u not sent", c);
	/* Raw: every option as received, in order, without END. */
	ck_assert_uint_eq(out.opt.raw_len, sizeof(dnsmasq_offer) - 240 - 1);
	ck_assert_mem_eq(out.opt.raw, dnsmasq_offer + 240, out.opt.raw_len);
	ck_assert(!out.opt.raw_truncated);

	/* Its ACK. */
	uint8_t ack[sizeof(dnsmasq_offer)];
	memcpy(ack, dnsmasq_offer, sizeof(ack));
	ck_assert_uint_eq(ack[242], DHCPOFFER);
	ack[242] = DHCPACK;
	ck_assert_int_eq(dhcp_msg_parse(ack, sizeof(ack), &out), DHCP_OK);
	ck_assert_uint_eq(out.opt.msg_type, DHCPACK);
	ck_assert_uint_eq(out.yiaddr, 0x0a4d0038u);
	ck_assert_uint_eq(out.opt.nroutes, 2);
	/* Every shorter prefix of it is refused, never read past. */
	for (size_t n = 0; n < sizeof(ack); n++)
		ck_assert_int_ne(dhcp_msg_parse(ack, n, &out), DHCP_OK);
}
END_TEST

/* An ACK with everything the client uses: 7, 42, 121, 119 and a
 * message, and an option it does not know (kept raw). */
START_TEST(test_full_ack_decoded_field_by_field)
{
	struct tmsg m;
	const uint8_t logs[] = {10, 0, 0, 7, 10, 0, 0, 8};
	const uint8_t ntp[] = {192, 168, 1, 123};
	const uint8_t routes[] = {24, 192, 168, 5, 10, 0, 0, 1, 0, 10, 0, 0, 1};
	const uint8_t search[] = {3, 'l', 'a', 'n', 0};
	const uint8_t vendor[] = {1, 2, 3};
	m_init(&m, DHCPACK);
	m_addr(&m, DHCP_OPT_SERVER_ID, 0x0a000001);
	m_addr(&m, DHCP_OPT_LEASE_TIME, DHCP_INFINITE);
	m_opt(&m, DHCP_OPT_LOG_SERVERS, logs, sizeof(logs));
	m_opt(&m, DHCP_OPT_NTP, ntp, sizeof(ntp));
	m_opt(&m, DHCP_OPT_CLASSLESS_ROUTES, routes, sizeof(routes));
	m_opt(&m, DHCP_OPT_SEARCH, search, sizeof(search));
	m_opt(&m, 43, vendor, sizeof(vendor));
	m_opt(&m, DHCP_OPT_HOSTNAME, "utcpd", 5);
	m_opt(&m, DHCP_OPT_MESSAGE, "ok\tthen\0", 8);
	m_opt(&m, DHCP_OPT_MAX_MSG_SIZE, "\x05\xdc", 2);
	size_t opts_end = m.len;
	m_end(&m);
	ck_assert_int_eq(m_parse(&m), DHCP_OK);
	ck_assert_uint_eq(out.opt.msg_type, DHCPACK);
	ck_assert_uint_eq(out.opt.lease_s, DHCP_INFINITE);
	ck_assert_uint_eq(out.opt.nlog_servers, 2);
	ck_assert_uint_eq(out.opt.log_servers[0], 0x0a000007u);
	ck_assert_uint_eq(out.opt.log_servers[1], 0x0a000008u);
	ck_assert_uint_eq(out.opt.nntp, 1);
	ck_assert_uint_eq(out.opt.ntp[0], 0xc0a8017bu);
	ck_assert_uint_eq(out.opt.nroutes, 2);
	ck_assert_uint_eq(out.opt.routes[0].dst, 0xc0a80500u);
	ck_assert_uint_eq(out.opt.routes[0].prefix_len, 24);
	ck_assert_uint_eq(out.opt.routes[0].gateway, 0x0a000001u);
	ck_assert_uint_eq(out.opt.routes[1].dst, 0);
	ck_assert_uint_eq(out.opt.routes[1].prefix_len, 0);
	ck_assert_uint_eq(out.opt.routes[1].gateway, 0x0a000001u);
	ck_assert_uint_eq(out.opt.nsearch, 1);
	ck_assert_str_eq(out.opt.search[0], "lan");
	ck_assert_str_eq(out.opt.message, "ok?then");
	ck_assert_uint_eq(out.opt.max_msg_size, 1500);
	ck_assert(dhcp_has(&out.opt, 43));
	ck_assert(dhcp_has(&out.opt, DHCP_OPT_HOSTNAME));
	/* Raw in order: 53, 54, 51, 7, 42, 121, 119, 43, 12, 56, 57. */
	ck_assert_uint_eq(out.opt.raw_len, opts_end - 240);
	ck_assert_mem_eq(out.opt.raw, m.b + 240, out.opt.raw_len);
	ck_assert_uint_eq(out.opt.raw[0], 53);
	ck_assert_uint_eq(out.opt.raw[3], 54);
}
END_TEST

START_TEST(test_short_message_is_refused)
{
	struct tmsg m;
	m_init(&m, DHCPOFFER);
	m_end(&m);
	ck_assert_int_eq(dhcp_msg_parse(m.b, 239, &out), DHCP_ERR_SHORT);
	ck_assert_int_eq(dhcp_msg_parse(m.b, 0, &out), DHCP_ERR_SHORT);
	/* 240 bytes: header and cookie, no options, so no END. */
	ck_assert_int_eq(dhcp_msg_parse(m.b, 240, &out), DHCP_ERR_NO_END);
}
END_TEST

START_TEST(test_not_an_ethernet_bootreply_is_refused)
{
	struct tmsg m;
	m_init(&m, DHCPOFFER);
	m_end(&m);
	ck_assert_int_eq(m_parse(&m), DHCP_OK);
	m.b[0] = 1; /* a BOOTREQUEST: another client's */
	ck_assert_int_eq(m_parse(&m), DHCP_ERR_HEADER);
	m.b[0] = 2;
	m.b[1] = 6; /* IEEE 802 */
	ck_assert_int_eq(m_parse(&m), DHCP_ERR_HEADER);
	m.b[1] = 1;
	m.b[2] = 16;
	ck_assert_int_eq(m_parse(&m), DHCP_ERR_HEADER);
}
END_TEST

START_TEST(test_bad_magic_cookie_is_refused)
{
	struct tmsg m;
	m_init(&m, DHCPOFFER);
	m_end(&m);
	m.b[239] ^= 1;
	ck_assert_int_eq(m_parse(&m), DHCP_ERR_MAGIC);
}
END_TEST

START_TEST(test_option_past_end_of_field_is_refused)
{
	struct tmsg m;
	m_init(&m, DHCPOFFER);
	m_opt(&m, DHCP_OPT_SUBNET_MASK, "\xff\xff\xff\x00", 4);
	ck_assert_int_eq(dhcp_msg_parse(m.b, m.len - 1, &out),
			 DHCP_ERR_OPTION_LENGTH);
	/* A code with no room for its length byte. */
	ck_assert_int_eq(dhcp_msg_parse(m.b, 240 + 4, &out),
			 DHCP_ERR_OPTION_LENGTH);
	/* In an overloaded field: runs past the end of `file`. */
	m_init(&m, DHCPOFFER);
	m_opt(&m, DHCP_OPT_OVERLOAD, "\x01", 1);
	m_end(&m);
	m.b[108 + 126] = 43;
	m.b[108 + 127] = 1;
	ck_assert_int_eq(m_parse(&m), DHCP_ERR_OPTION_LENGTH);
}
END_TEST

START_TEST(test_zero_length_where_a_value_is_required_is_refused)
{
	const uint8_t codes[] = {1,  3,	 6,  7,	 15, 26, 28, 42,  51,
				 52, 53, 54, 56, 57, 58, 59, 119, 121};
	struct tmsg m;
	for (size_t i = 0; i < sizeof(codes); i++) {
		m_init(&m, codes[i] == 53 ? 0 : DHCPOFFER);
		m_opt(&m, codes[i], NULL, 0);
		m_end(&m);
		ck_assert_msg(m_parse(&m) == DHCP_ERR_OPTION_EMPTY,
			      "option %u: %s", codes[i],
			      dhcp_parse_error_name(m_parse(&m)));
	}
	/* An option the client does not use may be empty (rapid commit). */
	m_init(&m, DHCPACK);
	m_opt(&m, 80, NULL, 0);
	m_end(&m);
	ck_assert_int_eq(m_parse(&m), DHCP_OK);
	ck_assert(dhcp_has(&out.opt, 80));
	ck_assert_uint_eq(out.opt.raw_len, 5);
	ck_assert_uint_eq(out.opt.raw[3], 80);
	ck_assert_uint_eq(out.opt.raw[4], 0);
}
END_TEST

static enum dhcp_parse_error parse_one(uint8_t code, const void *v, size_t n)
{
	struct tmsg m;
	m_init(&m, code == DHCP_OPT_MSG_TYPE ? 0 : DHCPOFFER);
	m_opt(&m, code, v, n);
	m_end(&m);
	return m_parse(&m);
}

START_TEST(test_value_of_the_wrong_size_is_refused)
{
	const uint8_t four[] = {1, 28, 51, 54, 58, 59};
	const uint8_t lists[] = {3, 6, 7, 42};
	const uint8_t b[9] = {10, 0, 0, 1, 10, 0, 0, 2, 3};
	for (size_t i = 0; i < sizeof(four); i++) {
		ck_assert_int_eq(parse_one(four[i], b, 4), DHCP_OK);
		ck_assert_int_eq(parse_one(four[i], b, 3),
				 DHCP_ERR_OPTION_SIZE);
		ck_assert_int_eq(parse_one(four[i], b, 5),
				 DHCP_ERR_OPTION_SIZE);
	}
	for (size_t i = 0; i < sizeof(lists); i++) {
		ck_assert_int_eq(parse_one(lists[i], b, 8), DHCP_OK);
		ck_assert_int_eq(parse_one(lists[i], b, 9),
				 DHCP_ERR_OPTION_SIZE);
		ck_assert_int_eq(parse_one(lists[i], b, 3),
				 DHCP_ERR_OPTION_SIZE);
	}
	/* MTU: two bytes, at least 68 (RFC 2132 5.1). */
	ck_assert_int_eq(parse_one(DHCP_OPT_MTU, "\x00\x44", 2), DHCP_OK);
	ck_assert_uint_eq(out.opt.mtu, 68);
	ck_assert_int_eq(parse_one(DHCP_OPT_MTU, "\x00\x43", 2),
			 DHCP_ERR_OPTION_SIZE);
	ck_assert_int_eq(parse_one(DHCP_OPT_MTU, "\x05\xdc\x00", 3),
			 DHCP_ERR_OPTION_SIZE);
	ck_assert_int_eq(parse_one(DHCP_OPT_MSG_TYPE, "\x02\x00", 2),
			 DHCP_ERR_OPTION_SIZE);
	ck_assert_int_eq(parse_one(DHCP_OPT_MAX_MSG_SIZE, "\x05", 1),
			 DHCP_ERR_OPTION_SIZE);
	ck_assert_int_eq(parse_one(DHCP_OPT_OVERLOAD, "\x01\x00", 2),
			 DHCP_ERR_OPTION_SIZE);
}
END_TEST

START_TEST(test_missing_end_is_refused)
{
	struct tmsg m;
	m_init(&m, DHCPOFFER);
	m_addr(&m, DHCP_OPT_SERVER_ID, 0x0a000001);
	/* Options that fill the datagram exactly, no END. */
	ck_assert_int_eq(m_parse(&m), DHCP_ERR_NO_END);
	/* Padding is not an END either. */
	m.len = DHCP_MIN_LEN;
	ck_assert_int_eq(m_parse(&m), DHCP_ERR_NO_END);
	m_end(&m);
	ck_assert_int_eq(m_parse(&m), DHCP_OK);
	/* An overloaded `sname` without its END. */
	m_init(&m, DHCPOFFER);
	m_opt(&m, DHCP_OPT_OVERLOAD, "\x02", 1);
	m_end(&m);
	memset(m.b + 44, DHCP_OPT_PAD, 64);
	ck_assert_int_eq(m_parse(&m), DHCP_ERR_NO_END);
	m.b[44 + 63] = DHCP_OPT_END;
	ck_assert_int_eq(m_parse(&m), DHCP_OK);
}
END_TEST

START_TEST(test_bad_overload_is_refused)
{
	struct tmsg m;
	for (uint8_t v = 0; v < 8; v++) {
		m_init(&m, DHCPOFFER);
		m_opt(&m, DHCP_OPT_OVERLOAD, &v, 1);
		m_end(&m);
		m.b[44] = DHCP_OPT_END;
		m.b[108] = DHCP_OPT_END;
		ck_assert_int_eq(m_parse(&m), v >= 1 && v <= 3
						  ? DHCP_OK
						  : DHCP_ERR_OVERLOAD);
	}
	/* A 52 inside the field it overloads. */
	m_init(&m, DHCPOFFER);
	m_opt(&m, DHCP_OPT_OVERLOAD, "\x01", 1);
	m_end(&m);
	memcpy(m.b + 108, "\x34\x01\x02\xff", 4);
	ck_assert_int_eq(m_parse(&m), DHCP_ERR_OVERLOAD);
	/* Twice in `options`. */
	m_init(&m, DHCPOFFER);
	m_opt(&m, DHCP_OPT_OVERLOAD, "\x01", 1);
	m_opt(&m, DHCP_OPT_OVERLOAD, "\x01", 1);
	m_end(&m);
	m.b[108] = DHCP_OPT_END;
	ck_assert_int_eq(m_parse(&m), DHCP_ERR_OVERLOAD);
}
END_TEST

START_TEST(test_bad_classless_route_is_refused)
{
	const uint8_t p33[] = {33, 1, 2, 3, 4, 5, 10, 0, 0, 1};
	const uint8_t short_gw[] = {24, 192, 168, 5, 10, 0, 0};
	const uint8_t short_dst[] = {0, 10, 0, 0, 1, 16, 172};
	ck_assert_int_eq(parse_one(DHCP_OPT_CLASSLESS_ROUTES, p33, sizeof(p33)),
			 DHCP_ERR_ROUTES);
	ck_assert_int_eq(
	    parse_one(DHCP_OPT_CLASSLESS_ROUTES, short_gw, sizeof(short_gw)),
	    DHCP_ERR_ROUTES);
	ck_assert_int_eq(
	    parse_one(DHCP_OPT_CLASSLESS_ROUTES, short_dst, sizeof(short_dst)),
	    DHCP_ERR_ROUTES);
}
END_TEST

START_TEST(test_bad_domain_name_is_refused)
{
	ck_assert_int_eq(parse_one(DHCP_OPT_DOMAIN, "my lan", 6),
			 DHCP_ERR_NAME);
	ck_assert_int_eq(parse_one(DHCP_OPT_DOMAIN, "a..b", 4), DHCP_ERR_NAME);
	ck_assert_int_eq(parse_one(DHCP_OPT_DOMAIN, ".", 1), DHCP_ERR_NAME);
	ck_assert_int_eq(parse_one(DHCP_OPT_DOMAIN, "a\0b", 3), DHCP_ERR_NAME);
	ck_assert_int_eq(parse_one(DHCP_OPT_DOMAIN, "\xc3\xa9t\xc3\xa9", 6),
			 DHCP_ERR_NAME);
	/* A trailing dot and NULs are removed. */
	ck_assert_int_eq(parse_one(DHCP_OPT_DOMAIN, "example.org.\0\0", 14),
			 DHCP_OK);
	ck_assert_str_eq(out.opt.domain, "example.org");
	/* Labels up to 63 bytes; a 64-byte one is refused. */
	char label[65];
	memset(label, 'a', 64);
	ck_assert_int_eq(parse_one(DHCP_OPT_DOMAIN, label, 63), DHCP_OK);
	ck_assert_uint_eq(strlen(out.opt.domain), 63);
	ck_assert_int_eq(parse_one(DHCP_OPT_DOMAIN, label, 64), DHCP_ERR_NAME);
	/* 253 bytes dotted is the longest name. */
	char name[255];
	memset(name, 'a', sizeof(name));
	for (size_t i = 63; i < sizeof(name); i += 64)
		name[i] = '.';
	ck_assert_int_eq(parse_one(DHCP_OPT_DOMAIN, name, 253), DHCP_OK);
	ck_assert_uint_eq(strlen(out.opt.domain), 253);
	ck_assert_int_eq(parse_one(DHCP_OPT_DOMAIN, name, 254), DHCP_ERR_NAME);
}
END_TEST

START_TEST(test_bad_search_list_is_refused)
{
	/* A pointer to itself, a loop of two, and a forward pointer. */
	const uint8_t self[] = {3, 'l', 'a', 'n', 0xc0, 4};
	const uint8_t loop[] = {1, 'a', 0xc0, 0}; /* back to its start */
	const uint8_t bare_self[] = {1, 'x', 0, 0xc0, 3};
	const uint8_t forward[] = {1, 'a', 0xc0, 5, 0, 1, 'b', 0};
	const uint8_t long_label[] = {64, 'a'};
	const uint8_t ext_label[] = {0x80, 'a', 0};
	const uint8_t truncated[] = {3, 'l', 'a', 'n'};
	const uint8_t past_end[] = {5, 'l', 'a', 'n'};
	const uint8_t half_pointer[] = {3, 'l', 'a', 'n', 0, 0xc0};
	const uint8_t root[] = {0};
	const uint8_t bad_char[] = {3, 'l', '/', 'n', 0};
	ck_assert_int_eq(parse_one(DHCP_OPT_SEARCH, self, sizeof(self)),
			 DHCP_ERR_NAME);
	ck_assert_int_eq(parse_one(DHCP_OPT_SEARCH, loop, sizeof(loop)),
			 DHCP_ERR_NAME);
	ck_assert_int_eq(
	    parse_one(DHCP_OPT_SEARCH, bare_self, sizeof(bare_self)),
	    DHCP_ERR_NAME);
	ck_assert_int_eq(parse_one(DHCP_OPT_SEARCH, forward, sizeof(forward)),
			 DHCP_ERR_NAME);
	ck_assert_int_eq(
	    parse_one(DHCP_OPT_SEARCH, long_label, sizeof(long_label)),
	    DHCP_ERR_NAME);
	ck_assert_int_eq(
	    parse_one(DHCP_OPT_SEARCH, ext_label, sizeof(ext_label)),
	    DHCP_ERR_NAME);
	ck_assert_int_eq(
	    parse_one(DHCP_OPT_SEARCH, truncated, sizeof(truncated)),
	    DHCP_ERR_NAME);
	ck_assert_int_eq(parse_one(DHCP_OPT_SEARCH, past_end, sizeof(past_end)),
			 DHCP_ERR_NAME);
	ck_assert_int_eq(
	    parse_one(DHCP_OPT_SEARCH, half_pointer, sizeof(half_pointer)),
	    DHCP_ERR_NAME);
	ck_assert_int_eq(parse_one(DHCP_OPT_SEARCH, root, sizeof(root)),
			 DHCP_ERR_NAME);
	ck_assert_int_eq(parse_one(DHCP_OPT_SEARCH, bad_char, sizeof(bad_char)),
			 DHCP_ERR_NAME);
}
END_TEST

/* A name of 255 wire bytes is the longest; pointers count what they add. */
START_TEST(test_search_name_length_limit)
{
	uint8_t v[300];
	size_t n = 0;
	/* 63+63+63+61 bytes in four labels: 4 + 250 + root = 255. */
	const size_t labels[] = {63, 63, 63, 61};
	for (size_t i = 0; i < 4; i++) {
		v[n++] = (uint8_t)labels[i];
		memset(v + n, 'a', labels[i]);
		n += labels[i];
	}
	v[n++] = 0;
	struct tmsg m;
	m_init(&m, DHCPOFFER);
	m_opt(&m, DHCP_OPT_SEARCH, v, 255);
	m_end(&m);
	ck_assert_int_eq(m_parse(&m), DHCP_OK);
	ck_assert_uint_eq(strlen(out.opt.search[0]), 253);
	/* One more byte in the last label: 256. */
	v[3 * 64] = 62;
	memset(v + 3 * 64 + 1, 'a', 62);
	v[3 * 64 + 63] = 0;
	m_init(&m, DHCPOFFER);
	m_opt(&m, DHCP_OPT_SEARCH, v, 255);
	m_opt(&m, DHCP_OPT_SEARCH, v + 255, 1);
	m_end(&m);
	ck_assert_int_eq(m_parse(&m), DHCP_ERR_NAME);
	/* Through a pointer: label "b" then a pointer to the 255-byte
	 * name is 2 + 255 = 257 bytes. */
	v[3 * 64] = 61;
	v[3 * 64 + 62] = 0;
	n = 255;
	v[n++] = 1;
	v[n++] = 'b';
	v[n++] = 0xc0;
	v[n++] = 0;
	m_init(&m, DHCPOFFER);
	m_opt(&m, DHCP_OPT_SEARCH, v, 255);
	m_opt(&m, DHCP_OPT_SEARCH, v + 255, n - 255);
	m_end(&m);
	ck_assert_int_eq(m_parse(&m), DHCP_ERR_NAME);
}
END_TEST

START_TEST(test_missing_or_unknown_message_type_is_refused)
{
	struct tmsg m;
	m_init(&m, 0);
	m_addr(&m, DHCP_OPT_SERVER_ID, 0x0a000001);
	m_end(&m);
	ck_assert_int_eq(m_parse(&m), DHCP_ERR_MSG_TYPE);
	ck_assert_int_eq(parse_one(DHCP_OPT_MSG_TYPE, "\x00", 1),
			 DHCP_ERR_MSG_TYPE);
	ck_assert_int_eq(parse_one(DHCP_OPT_MSG_TYPE, "\x09", 1),
			 DHCP_ERR_MSG_TYPE);
	for (uint8_t t = 1; t <= 8; t++) {
		ck_assert_int_eq(parse_one(DHCP_OPT_MSG_TYPE, &t, 1), DHCP_OK);
		ck_assert_uint_eq(out.opt.msg_type, t);
	}
}
END_TEST

/* Overload 3: options, then file, then sname (RFC 2131 4.1). */
START_TEST(test_overloaded_options_in_file_and_sname)
{
	struct tmsg m;
	m_init(&m, DHCPACK);
	m_opt(&m, DHCP_OPT_OVERLOAD, "\x03", 1);
	m_end(&m);
	/* file: PAD, 54, 6 (first half), END; sname: 6 (second half), 15. */
	memcpy(m.b + 108,
	       "\x00\x36\x04\x0a\x00\x00\x01\x06\x04\x08\x08\x08\x08\xff", 14);
	memcpy(m.b + 44, "\x06\x04\x08\x08\x04\x04\x0f\x03lan\xff", 13);
	ck_assert_int_eq(m_parse(&m), DHCP_OK);
	ck_assert_uint_eq(out.opt.server_id, 0x0a000001u);
	ck_assert_uint_eq(out.opt.ndns, 2);
	ck_assert_uint_eq(out.opt.dns[0], 0x08080808u);
	ck_assert_uint_eq(out.opt.dns[1], 0x08080404u);
	ck_assert_str_eq(out.opt.domain, "lan");
	const uint8_t raw[] = {53, 1, 5, 52, 1,	 3, 54,	 4,   10,
			       0,  0, 1, 6,  8,	 8, 8,	 8,   8,
			       8,  8, 4, 4,  15, 3, 'l', 'a', 'n'};
	ck_assert_uint_eq(out.opt.raw_len, sizeof(raw));
	ck_assert_mem_eq(out.opt.raw, raw, sizeof(raw));
	/* Without 52 the same file and sname are not options. */
	m_init(&m, DHCPACK);
	m_end(&m);
	memcpy(m.b + 108, "\x36\x04\x0a\x00\x00\x01\xff", 7);
	ck_assert_int_eq(m_parse(&m), DHCP_OK);
	ck_assert(!dhcp_has(&out.opt, DHCP_OPT_SERVER_ID));
	/* Overload 1 reads file only. */
	m_init(&m, DHCPACK);
	m_opt(&m, DHCP_OPT_OVERLOAD, "\x01", 1);
	m_end(&m);
	memcpy(m.b + 108, "\x36\x04\x0a\x00\x00\x01\xff", 7);
	memcpy(m.b + 44, "\x36\x01", 2); /* not read: would be an error */
	ck_assert_int_eq(m_parse(&m), DHCP_OK);
	ck_assert_uint_eq(out.opt.server_id, 0x0a000001u);
}
END_TEST

START_TEST(test_classless_routes_prefix_lengths)
{
	const uint8_t v[] = {
	    0,	10,  0,	   0,  1,		 /* default */
	    8,	10,  10,   0,  0,  254,		 /* 10/8 */
	    24, 192, 168,  7,  10, 0,	0, 2,	 /* 192.168.7/24 */
	    32, 172, 16,   1,  2,  0,	0, 0, 0, /* host, on-link */
	    9,	129, 0x7f, 10, 0,  0,	3,	 /* 129/9, host bits masked */
	};
	ck_assert_int_eq(parse_one(DHCP_OPT_CLASSLESS_ROUTES, v, sizeof(v)),
			 DHCP_OK);
	ck_assert_uint_eq(out.opt.nroutes, 5);
	ck_assert_uint_eq(out.opt.routes[0].dst, 0);
	ck_assert_uint_eq(out.opt.routes[0].prefix_len, 0);
	ck_assert_uint_eq(out.opt.routes[0].gateway, 0x0a000001u);
	ck_assert_uint_eq(out.opt.routes[1].dst, 0x0a000000u);
	ck_assert_uint_eq(out.opt.routes[1].prefix_len, 8);
	ck_assert_uint_eq(out.opt.routes[1].gateway, 0x0a0000feu);
	ck_assert_uint_eq(out.opt.routes[2].dst, 0xc0a80700u);
	ck_assert_uint_eq(out.opt.routes[2].prefix_len, 24);
	ck_assert_uint_eq(out.opt.routes[2].gateway, 0x0a000002u);
	ck_assert_uint_eq(out.opt.routes[3].dst, 0xac100102u);
	ck_assert_uint_eq(out.opt.routes[3].prefix_len, 32);
	ck_assert_uint_eq(out.opt.routes[3].gateway, 0);
	ck_assert_uint_eq(out.opt.routes[4].dst, 0x81000000u);
	ck_assert_uint_eq(out.opt.routes[4].prefix_len, 9);
	ck_assert_uint_eq(out.opt.routes[4].gateway, 0x0a000003u);
	const uint8_t bad[] = {0, 10, 0, 0, 1, 33, 1, 2, 3, 4, 5, 10, 0, 0, 1};
	ck_assert_int_eq(parse_one(DHCP_OPT_CLASSLESS_ROUTES, bad, sizeof(bad)),
			 DHCP_ERR_ROUTES);
}
END_TEST

/* RFC 3397 4's example: split over three 119s, the second name a
 * pointer to "apple.com" in the first. */
START_TEST(test_search_list_rfc3397_example)
{
	struct tmsg m;
	m_init(&m, DHCPACK);
	m_opt(&m, DHCP_OPT_SEARCH,
	      "\x03"
	      "eng\x05"
	      "appl",
	      9);
	m_opt(&m, DHCP_OPT_SEARCH,
	      "e\x03"
	      "com\x00\x09"
	      "ma",
	      9);
	m_opt(&m, DHCP_OPT_SEARCH, "rketing\xc0\x04", 9);
	m_end(&m);
	ck_assert_int_eq(m_parse(&m), DHCP_OK);
	ck_assert_uint_eq(out.opt.nsearch, 2);
	ck_assert_str_eq(out.opt.search[0], "eng.apple.com");
	ck_assert_str_eq(out.opt.search[1], "marketing.apple.com");
	/* Raw: one 119, concatenated. */
	ck_assert_uint_eq(out.opt.raw_len, 3 + 2 + 27);
	ck_assert_uint_eq(out.opt.raw[3], 119);
	ck_assert_uint_eq(out.opt.raw[4], 27);
	ck_assert_mem_eq(out.opt.raw + 5,
			 "\x03"
			 "eng\x05"
			 "apple\x03"
			 "com\x00\x09"
			 "marketing\xc0\x04",
			 27);
}
END_TEST

/* RFC 3396: any option may come in pieces; they are joined in order. */
START_TEST(test_split_options_are_concatenated)
{
	struct tmsg m;
	m_init(&m, DHCPACK);
	m_opt(&m, DHCP_OPT_DNS, "\x01\x01\x01\x01\x08", 5);
	m_addr(&m, DHCP_OPT_SERVER_ID, 0x0a000001);
	m_opt(&m, DHCP_OPT_DNS, "\x08\x08\x08", 3);
	/* A 121 entry cut in the middle of its router. */
	m_opt(&m, DHCP_OPT_CLASSLESS_ROUTES, "\x18\xc0\xa8\x05\x0a\x00", 6);
	m_opt(&m, DHCP_OPT_CLASSLESS_ROUTES, "\x00\x01", 2);
	/* A mask in two halves. */
	m_opt(&m, DHCP_OPT_SUBNET_MASK, "\xff\xff", 2);
	m_opt(&m, DHCP_OPT_SUBNET_MASK, "\xff\x00", 2);
	m_end(&m);
	ck_assert_int_eq(m_parse(&m), DHCP_OK);
	ck_assert_uint_eq(out.opt.ndns, 2);
	ck_assert_uint_eq(out.opt.dns[0], 0x01010101u);
	ck_assert_uint_eq(out.opt.dns[1], 0x08080808u);
	ck_assert_uint_eq(out.opt.nroutes, 1);
	ck_assert_uint_eq(out.opt.routes[0].dst, 0xc0a80500u);
	ck_assert_uint_eq(out.opt.routes[0].gateway, 0x0a000001u);
	ck_assert_uint_eq(out.opt.subnet_mask, 0xffffff00u);
	/* Raw: each code once, where it first came. */
	const uint8_t raw[] = {53, 1,	5, 6,	 8,    1,    1,	   1,  1,
			       8,  8,	8, 8,	 54,   4,    10,   0,  0,
			       1,  121, 8, 0x18, 0xc0, 0xa8, 5,	   10, 0,
			       0,  1,	1, 4,	 0xff, 0xff, 0xff, 0};
	ck_assert_uint_eq(out.opt.raw_len, sizeof(raw));
	ck_assert_mem_eq(out.opt.raw, raw, sizeof(raw));
	/* Pieces that do not add up to a valid value are refused whole. */
	m_init(&m, DHCPACK);
	m_opt(&m, DHCP_OPT_SUBNET_MASK, "\xff\xff", 2);
	m_opt(&m, DHCP_OPT_SUBNET_MASK, "\xff\x00\x00", 3);
	m_end(&m);
	ck_assert_int_eq(m_parse(&m), DHCP_ERR_OPTION_SIZE);
}
END_TEST

/* A value longer than 255 bytes, split over options and file. */
START_TEST(test_long_option_across_fields_kept_in_pieces)
{
	struct tmsg m;
	uint8_t v[300];
	for (size_t i = 0; i < sizeof(v); i++)
		v[i] = (uint8_t)i;
	m_init(&m, DHCPACK);
	m_opt(&m, DHCP_OPT_OVERLOAD, "\x01", 1);
	m_opt(&m, 224, v, 255);
	m_end(&m);
	m.b[108] = 224;
	m.b[109] = 45;
	memcpy(m.b + 110, v + 255, 45);
	m.b[155] = DHCP_OPT_END;
	ck_assert_int_eq(m_parse(&m), DHCP_OK);
	ck_assert_uint_eq(out.opt.raw_len, 6 + 2 + 255 + 2 + 45);
	ck_assert_uint_eq(out.opt.raw[6], 224);
	ck_assert_uint_eq(out.opt.raw[7], 255);
	ck_assert_mem_eq(out.opt.raw + 8, v, 255);
	ck_assert_uint_eq(out.opt.raw[263], 224);
	ck_assert_uint_eq(out.opt.raw[264], 45);
	ck_assert_mem_eq(out.opt.raw + 265, v + 255, 45);
}
END_TEST

/* Lists longer than the arrays keep their first entries; at the limit
 * all are kept. */
START_TEST(test_lists_beyond_the_arrays_keep_the_first)
{
	uint8_t addrs[4 * (DHCP_ADDRS_MAX + 1)];
	for (size_t i = 0; i < DHCP_ADDRS_MAX + 1; i++)
		put_be32(addrs + 4 * i, 0x0a000001u + (uint32_t)i);
	const uint8_t codes[] = {3, 6, 7, 42};
	for (size_t c = 0; c < sizeof(codes); c++) {
		ck_assert_int_eq(parse_one(codes[c], addrs, 4 * DHCP_ADDRS_MAX),
				 DHCP_OK);
		ck_assert_int_eq(parse_one(codes[c], addrs, sizeof(addrs)),
				 DHCP_OK);
	}
	ck_assert_uint_eq(out.opt.nntp, DHCP_ADDRS_MAX);
	ck_assert_uint_eq(out.opt.ntp[DHCP_ADDRS_MAX - 1],
			  0x0a000000u + DHCP_ADDRS_MAX);
	ck_assert_int_eq(parse_one(3, addrs, sizeof(addrs)), DHCP_OK);
	ck_assert_uint_eq(out.opt.nrouters, DHCP_ADDRS_MAX);
	ck_assert_uint_eq(out.opt.routers[0], 0x0a000001u);

	/* 121: DHCP_ROUTES_MAX + 1 host routes, the last one checked too. */
	uint8_t r[9 * (DHCP_ROUTES_MAX + 1)];
	for (size_t i = 0; i < DHCP_ROUTES_MAX + 1; i++) {
		r[9 * i] = 32;
		put_be32(r + 9 * i + 1, 0xac100000u + (uint32_t)i);
		put_be32(r + 9 * i + 5, 0x0a000001u);
	}
	ck_assert_int_eq(parse_one(121, r, 9 * DHCP_ROUTES_MAX), DHCP_OK);
	ck_assert_uint_eq(out.opt.nroutes, DHCP_ROUTES_MAX);
	ck_assert_int_eq(parse_one(121, r, sizeof(r)), DHCP_OK);
	ck_assert_uint_eq(out.opt.nroutes, DHCP_ROUTES_MAX);
	ck_assert_uint_eq(out.opt.routes[DHCP_ROUTES_MAX - 1].dst,
			  0xac100000u + DHCP_ROUTES_MAX - 1);
	r[9 * DHCP_ROUTES_MAX] = 33;
	ck_assert_int_eq(parse_one(121, r, sizeof(r)), DHCP_ERR_ROUTES);

	/* 119: DHCP_SEARCH_MAX + 1 names "a0" ... "a8". */
	uint8_t s[4 * (DHCP_SEARCH_MAX + 1)];
	for (size_t i = 0; i < DHCP_SEARCH_MAX + 1; i++) {
		s[4 * i] = 2;
		s[4 * i + 1] = 'a';
		s[4 * i + 2] = (uint8_t)('0' + i);
		s[4 * i + 3] = 0;
	}
	ck_assert_int_eq(parse_one(119, s, 4 * DHCP_SEARCH_MAX), DHCP_OK);
	ck_assert_uint_eq(out.opt.nsearch, DHCP_SEARCH_MAX);
	ck_assert_int_eq(parse_one(119, s, sizeof(s)), DHCP_OK);
	ck_assert_uint_eq(out.opt.nsearch, DHCP_SEARCH_MAX);
	ck_assert_str_eq(out.opt.search[DHCP_SEARCH_MAX - 1], "a7");
	s[4 * DHCP_SEARCH_MAX + 1] = '.';
	ck_assert_int_eq(parse_one(119, s, sizeof(s)), DHCP_ERR_NAME);
}
END_TEST

/* Raw options fill DHCP_RAW_MAX exactly; one more does not fit. */
START_TEST(test_raw_options_limit)
{
	struct tmsg m;
	uint8_t v[250];
	memset(v, 0x5a, sizeof(v));
	/* 53 (3 bytes) + 52 (3) + 4 x 252 = 1014; 1024 - 1014 = 10: an
	 * option of 8 fits exactly. */
	m_init(&m, DHCPACK);
	m_opt(&m, DHCP_OPT_OVERLOAD, "\x01", 1);
	for (int i = 0; i < 4; i++)
		m_opt(&m, (uint8_t)(224 + i), v, sizeof(v));
	m_end(&m);
	memcpy(m.b + 108, "\xe5\x08\x01\x02\x03\x04\x05\x06\x07\x08\xff", 11);
	ck_assert_int_eq(m_parse(&m), DHCP_OK);
	ck_assert_uint_eq(out.opt.raw_len, DHCP_RAW_MAX);
	ck_assert(!out.opt.raw_truncated);
	ck_assert_uint_eq(out.opt.raw[DHCP_RAW_MAX - 10], 229);
	ck_assert_uint_eq(out.opt.raw[DHCP_RAW_MAX - 1], 8);
	/* Nine bytes: it is left out, and so is what follows. */
	memcpy(m.b + 108,
	       "\xe5\x09\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0f\x03lan\xff",
	       17);
	ck_assert_int_eq(m_parse(&m), DHCP_OK);
	ck_assert_uint_eq(out.opt.raw_len, DHCP_RAW_MAX - 10);
	ck_assert(out.opt.raw_truncated);
	ck_assert(dhcp_has(&out.opt, 229));
	ck_assert_str_eq(out.opt.domain, "lan"); /* still decoded */
}
END_TEST

/* Only the first DHCP_MAX_LEN bytes are read. */
/* A server's message (56) is kept printable, its first 127 bytes. */
START_TEST(test_server_message_kept_printable_up_to_the_limit)
{
	char text[200];
	memset(text, 'x', sizeof(text));
	ck_assert_int_eq(
	    parse_one(DHCP_OPT_MESSAGE, text, DHCP_MESSAGE_TEXT_MAX - 1),
	    DHCP_OK);
	ck_assert_uint_eq(strlen(out.opt.message), DHCP_MESSAGE_TEXT_MAX - 1);
	text[DHCP_MESSAGE_TEXT_MAX - 1] = '\n';
	ck_assert_int_eq(parse_one(DHCP_OPT_MESSAGE, text, sizeof(text)),
			 DHCP_OK);
	ck_assert_uint_eq(strlen(out.opt.message), DHCP_MESSAGE_TEXT_MAX - 1);
	/* Kept whole in raw. */
	ck_assert_uint_eq(out.opt.raw_len, 3 + 2 + sizeof(text));
	ck_assert_int_eq(parse_one(DHCP_OPT_MESSAGE, "no\x7f\x80\x01", 5),
			 DHCP_OK);
	ck_assert_str_eq(out.opt.message, "no???");
}
END_TEST

START_TEST(test_datagram_longer_than_max_len)
{
	struct tmsg m;
	m_init(&m, DHCPOFFER);
	m_end(&m);
	m.len = DHCP_MAX_LEN + 64; /* padding after END */
	ck_assert_int_eq(m_parse(&m), DHCP_OK);
	/* END just past the limit is not seen. */
	m_init(&m, DHCPOFFER);
	memset(m.b + m.len, DHCP_OPT_PAD, DHCP_MAX_LEN - m.len);
	m.len = DHCP_MAX_LEN;
	m_end(&m);
	ck_assert_int_eq(m_parse(&m), DHCP_ERR_NO_END);
	ck_assert_int_eq(dhcp_msg_parse(m.b, DHCP_MAX_LEN, &out),
			 DHCP_ERR_NO_END);
	m.b[DHCP_MAX_LEN - 1] = DHCP_OPT_END;
	ck_assert_int_eq(m_parse(&m), DHCP_OK);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(dhcp_msg_type_name(DHCPDISCOVER), "DHCPDISCOVER");
	ck_assert_str_eq(dhcp_msg_type_name(DHCPINFORM), "DHCPINFORM");
	ck_assert_str_eq(dhcp_msg_type_name(0), "?");
	ck_assert_str_eq(dhcp_msg_type_name(9), "?");
	ck_assert_str_eq(dhcp_parse_error_name(DHCP_ERR_SHORT), "short");
	ck_assert_str_eq(dhcp_parse_error_name(DHCP_ERR_OPTION_LENGTH),
			 "option_length");
	ck_assert_str_eq(dhcp_parse_error_name(DHCP_ERR_MSG_TYPE), "msg_type");
	ck_assert_str_eq(dhcp_parse_error_name(DHCP_ERR_COUNT), "?");
	/* Each reason has its counter, in the same order. */
	for (int e = DHCP_ERR_SHORT; e < DHCP_ERR_COUNT; e++) {
		char want[64];
		snprintf(want, sizeof(want), "dhcp_rx_drop_%s",
			 dhcp_parse_error_name((enum dhcp_parse_error)e));
		ck_assert_str_eq(
		    stack_counter_name((enum stack_counter)(
			STACK_CTR_dhcp_rx_drop_short + e - DHCP_ERR_SHORT)),
		    want);
	}
}
END_TEST

START_TEST(test_param_list)
{
	const uint8_t want[] = {1,  3,	6,  7,	15, 26,	 28,
				42, 51, 54, 58, 59, 119, 121};
	ck_assert_uint_eq(dhcp_param_list_len, sizeof(want));
	ck_assert_mem_eq(dhcp_param_list, want, sizeof(want));
}
END_TEST

/* What a client in INIT sends: every field at its offset. */
START_TEST(test_build_discover_bytes_at_offsets)
{
	struct dhcp_out o;
	uint8_t b[DHCP_MAX_LEN];
	memset(&o, 0, sizeof(o));
	memset(b, 0xee, sizeof(b));
	o.type = DHCPDISCOVER;
	o.xid = 0xdeadbeef;
	o.secs = 7;
	o.broadcast = true;
	memcpy(o.chaddr, CLIENT_MAC, 6);
	o.client_id[0] = 1;
	memcpy(o.client_id + 1, CLIENT_MAC, 6);
	o.client_id_len = 7;
	strcpy(o.hostname, "utcpd");
	o.max_msg_size = 1500;
	o.param_list = true;
	size_t n = dhcp_msg_build(b, sizeof(b), &o);
	ck_assert_uint_eq(n, DHCP_MIN_LEN);
	ck_assert_uint_eq(b[0], 1); /* BOOTREQUEST */
	ck_assert_uint_eq(b[1], 1);
	ck_assert_uint_eq(b[2], 6);
	ck_assert_uint_eq(b[3], 0);
	ck_assert_uint_eq(get_be32(b + 4), 0xdeadbeefu);
	ck_assert_uint_eq(get_be16(b + 8), 7);
	ck_assert_uint_eq(get_be16(b + 10), DHCP_FLAG_BROADCAST);
	for (size_t i = 12; i < 28; i++) /* ciaddr yiaddr siaddr giaddr */
		ck_assert_uint_eq(b[i], 0);
	ck_assert_mem_eq(b + 28, CLIENT_MAC, 6);
	for (size_t i = 34; i < 236; i++) /* chaddr's rest, sname, file */
		ck_assert_uint_eq(b[i], 0);
	ck_assert_uint_eq(get_be32(b + 236), DHCP_MAGIC);
	const uint8_t opts[] = {
	    53,	  1,	1,  61, 7,   1,	  0x02, 0,   0,	  0,   0,   0x02, 57, 2,
	    0x05, 0xdc, 12, 5,	'u', 't', 'c',	'p', 'd', 55,  14,  1,	  3,  6,
	    7,	  15,	26, 28, 42,  51,  54,	58,  59,  119, 121, 255};
	ck_assert_mem_eq(b + 240, opts, sizeof(opts));
	for (size_t i = 240 + sizeof(opts); i < DHCP_MIN_LEN; i++)
		ck_assert_uint_eq(b[i], 0);	  /* padding */
	ck_assert_uint_eq(b[DHCP_MIN_LEN], 0xee); /* nothing past it */
}
END_TEST

/* A test-only reading of a BOOTREQUEST: the parser with op flipped. */
static enum dhcp_parse_error parse_request(uint8_t *b, size_t n)
{
	ck_assert_uint_eq(b[0], 1);
	b[0] = 2;
	return dhcp_msg_parse(b, n, &out);
}

START_TEST(test_build_request_round_trip)
{
	struct dhcp_out o;
	uint8_t b[DHCP_MAX_LEN];
	memset(&o, 0, sizeof(o));
	o.type = DHCPREQUEST;
	o.xid = 42;
	o.ciaddr = 0x0a000032;
	memcpy(o.chaddr, CLIENT_MAC, 6);
	o.client_id[0] = 0xff;
	o.client_id_len = 1;
	o.requested_addr = 0x0a000032;
	o.server_id = 0x0a000001;
	o.max_msg_size = 576;
	strcpy(o.hostname, "h");
	o.param_list = true;
	size_t n = dhcp_msg_build(b, sizeof(b), &o);
	ck_assert_uint_eq(n, DHCP_MIN_LEN);
	ck_assert_int_eq(parse_request(b, n), DHCP_OK);
	ck_assert_uint_eq(out.xid, 42);
	ck_assert_uint_eq(out.flags, 0);
	ck_assert_uint_eq(out.ciaddr, 0x0a000032u);
	ck_assert_mem_eq(out.chaddr, CLIENT_MAC, 6);
	ck_assert_uint_eq(out.opt.msg_type, DHCPREQUEST);
	ck_assert_uint_eq(out.opt.server_id, 0x0a000001u);
	ck_assert_uint_eq(out.opt.max_msg_size, 576);
	/* Options in their fixed order. */
	const uint8_t raw[] = {53, 1,  3,   61, 1,  0xff, 50,  4,  10, 0,  0,
			       50, 54, 4,   10, 0,  0,	  1,   57, 2,  2,  64,
			       12, 1,  'h', 55, 14, 1,	  3,   6,  7,  15, 26,
			       28, 42, 51,  54, 58, 59,	  119, 121};
	ck_assert_uint_eq(out.opt.raw_len, sizeof(raw));
	ck_assert_mem_eq(out.opt.raw, raw, sizeof(raw));
}
END_TEST

/* Zero fields are left out: a DECLINE carries 53, 50, 54 and 56. */
START_TEST(test_build_leaves_out_zero_fields)
{
	struct dhcp_out o;
	uint8_t b[DHCP_MAX_LEN];
	memset(&o, 0, sizeof(o));
	o.type = DHCPDECLINE;
	memcpy(o.chaddr, CLIENT_MAC, 6);
	o.requested_addr = 0x0a000032;
	o.server_id = 0x0a000001;
	strcpy(o.message, "address in use");
	size_t n = dhcp_msg_build(b, sizeof(b), &o);
	ck_assert_int_eq(parse_request(b, n), DHCP_OK);
	ck_assert_uint_eq(out.opt.msg_type, DHCPDECLINE);
	ck_assert_str_eq(out.opt.message, "address in use");
	ck_assert(!dhcp_has(&out.opt, DHCP_OPT_CLIENT_ID));
	ck_assert(!dhcp_has(&out.opt, DHCP_OPT_HOSTNAME));
	ck_assert(!dhcp_has(&out.opt, DHCP_OPT_PARAM_LIST));
	ck_assert(!dhcp_has(&out.opt, DHCP_OPT_MAX_MSG_SIZE));
	ck_assert_uint_eq(out.opt.raw_len, 3 + 6 + 6 + 2 + 14);
	ck_assert_uint_eq(out.opt.raw[3], 50);
	ck_assert_uint_eq(out.opt.raw[9], 54);
	ck_assert_uint_eq(out.opt.raw[15], 56);
	/* The smallest message: 53 alone, padded. */
	memset(&o, 0, sizeof(o));
	o.type = DHCPRELEASE;
	n = dhcp_msg_build(b, sizeof(b), &o);
	ck_assert_uint_eq(n, DHCP_MIN_LEN);
	ck_assert_mem_eq(b + 240, "\x35\x01\x07\xff", 4);
}
END_TEST

/* Every field at its largest: the message grows past 300 bytes, and a
 * buffer one byte short gets nothing. */
START_TEST(test_build_largest_message_and_small_buffer)
{
	struct dhcp_out o;
	uint8_t b[DHCP_MAX_LEN];
	memset(&o, 0, sizeof(o));
	o.type = DHCPREQUEST;
	o.client_id_len = 200; /* more than the array: its size is sent */
	memset(o.client_id, 'c', sizeof(o.client_id));
	memset(o.hostname, 'h', sizeof(o.hostname)); /* no NUL: 63 sent */
	memset(o.message, 'm', sizeof(o.message));
	o.requested_addr = 1;
	o.server_id = 2;
	o.max_msg_size = 1500;
	o.param_list = true;
	const size_t want = 240 + 3 + (2 + DHCP_CLIENT_ID_MAX) + 6 + 6 + 4 +
			    (2 + DHCP_HOSTNAME_MAX - 1) + (2 + 14) +
			    (2 + DHCP_MESSAGE_TEXT_MAX - 1) + 1;
	ck_assert_uint_eq(dhcp_msg_build(b, want - 1, &o), 0);
	ck_assert_uint_eq(dhcp_msg_build(b, want, &o), want);
	ck_assert_int_eq(parse_request(b, want), DHCP_OK);
	ck_assert_uint_eq(out.opt.raw[4], DHCP_CLIENT_ID_MAX);
	ck_assert_uint_eq(strlen(out.opt.message), DHCP_MESSAGE_TEXT_MAX - 1);
	/* The minimum: 300 bytes needs a 300-byte buffer. */
	memset(&o, 0, sizeof(o));
	o.type = DHCPDISCOVER;
	ck_assert_uint_eq(dhcp_msg_build(b, DHCP_MIN_LEN - 1, &o), 0);
	ck_assert_uint_eq(dhcp_msg_build(b, DHCP_MIN_LEN, &o), DHCP_MIN_LEN);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dhcp_msg");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, test_dnsmasq_offer_decoded_field_by_field);
	tcase_add_test(tc, test_full_ack_decoded_field_by_field);
	tcase_add_test(tc, test_short_message_is_refused);
	tcase_add_test(tc, test_not_an_ethernet_bootreply_is_refused);
	tcase_add_test(tc, test_bad_magic_cookie_is_refused);
	tcase_add_test(tc, test_option_past_end_of_field_is_refused);
	tcase_add_test(tc,
		       test_zero_length_where_a_value_is_required_is_refused);
	tcase_add_test(tc, test_value_of_the_wrong_size_is_refused);
	tcase_add_test(tc, test_missing_end_is_refused);
	tcase_add_test(tc, test_bad_overload_is_refused);
	tcase_add_test(tc, test_bad_classless_route_is_refused);
	tcase_add_test(tc, test_bad_domain_name_is_refused);
	tcase_add_test(tc, test_bad_search_list_is_refused);
	tcase_add_test(tc, test_search_name_length_limit);
	tcase_add_test(tc, test_missing_or_unknown_message_type_is_refused);
	tcase_add_test(tc, test_overloaded_options_in_file_and_sname);
	tcase_add_test(tc, test_classless_routes_prefix_lengths);
	tcase_add_test(tc, test_search_list_rfc3397_example);
	tcase_add_test(tc, test_split_options_are_concatenated);
	tcase_add_test(tc, test_long_option_across_fields_kept_in_pieces);
	tcase_add_test(tc, test_lists_beyond_the_arrays_keep_the_first);
	tcase_add_test(tc, test_raw_options_limit);
	tcase_add_test(tc, test_server_message_kept_printable_up_to_the_limit);
	tcase_add_test(tc, test_datagram_longer_than_max_len);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_param_list);
	suite_add_tcase(s, tc);
	tc = tcase_create("build");
	tcase_add_test(tc, test_build_discover_bytes_at_offsets);
	tcase_add_test(tc, test_build_request_round_trip);
	tcase_add_test(tc, test_build_leaves_out_zero_fields);
	tcase_add_test(tc, test_build_largest_message_and_small_buffer);
	suite_add_tcase(s, tc);
	return t_run(s);
}
