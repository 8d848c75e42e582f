/*
 * test_ipc.c - the control protocol's encoders and decoders
 *
 * Every message round-trips through its encoder and decoder with every
 * field intact; every decoder rejects what docs/ipc.md calls malformed:
 * short packets, a bad magic or version, the wrong type, a body of the
 * wrong size, reserved bits set, truncated or overlong records, a record
 * count that disagrees with the bytes, oversize messages and payloads.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"

static uint8_t buf[IPC_MSG_MAX + 64];

/* Encodes nothing; decodes buf[0..len) as a message, asserting success. */
static struct ipc_msg decode_ok(size_t len)
{
	struct ipc_msg m;

	ck_assert_int_eq(ipc_msg_decode(buf, len, &m), 0);
	return m;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- header -------------------------------------------------------- */

START_TEST(test_header_round_trip_carries_type_id_version)
{
	int len = ipc_encode_status(buf, sizeof(buf), 1, 0xdeadbeef);
	struct ipc_msg m;

	ck_assert_int_eq(len, (int)IPC_HDR_LEN);
	m = decode_ok((size_t)len);
	ck_assert_uint_eq(m.version, 1);
	ck_assert_uint_eq(m.type, IPC_T_STATUS);
	ck_assert_uint_eq(m.id, 0xdeadbeef);
	ck_assert_uint_eq(m.body_len, 0);
	ck_assert_ptr_eq(m.body, buf + IPC_HDR_LEN);
	/* big-endian magic "UT" first */
	ck_assert_uint_eq(buf[0], 'U');
	ck_assert_uint_eq(buf[1], 'T');
}
END_TEST

START_TEST(test_header_short_packets_are_rejected)
{
	struct ipc_msg m;
	int len = ipc_encode_status(buf, sizeof(buf), 1, 1);

	for (int n = 0; n < len; n++)
		ck_assert_int_eq(ipc_msg_decode(buf, (size_t)n, &m), -EBADMSG);
}
END_TEST

START_TEST(test_header_bad_magic_is_rejected)
{
	struct ipc_msg m;
	int len = ipc_encode_status(buf, sizeof(buf), 1, 1);

	buf[0] ^= 0x01;
	ck_assert_int_eq(ipc_msg_decode(buf, (size_t)len, &m), -EBADMSG);
}
END_TEST

START_TEST(test_header_unknown_versions_are_rejected)
{
	struct ipc_msg m;
	int len = ipc_encode_status(buf, sizeof(buf), 1, 1);

	buf[2] = 0;
	ck_assert_int_eq(ipc_msg_decode(buf, (size_t)len, &m),
			 -EPROTONOSUPPORT);
	buf[2] = IPC_VERSION_MAX + 1;
	ck_assert_int_eq(ipc_msg_decode(buf, (size_t)len, &m),
			 -EPROTONOSUPPORT);
	buf[2] = 0xff;
	ck_assert_int_eq(ipc_msg_decode(buf, (size_t)len, &m),
			 -EPROTONOSUPPORT);
}
END_TEST

START_TEST(test_header_reserved_fields_must_be_zero)
{
	struct ipc_msg m;
	int len = ipc_encode_status(buf, sizeof(buf), 1, 1);

	buf[3] = 1; /* flags */
	ck_assert_int_eq(ipc_msg_decode(buf, (size_t)len, &m), -EBADMSG);
	buf[3] = 0;
	buf[7] = 1; /* reserved */
	ck_assert_int_eq(ipc_msg_decode(buf, (size_t)len, &m), -EBADMSG);
}
END_TEST

START_TEST(test_header_length_must_match_the_packet)
{
	struct ipc_msg m;
	int len = ipc_encode_status(buf, sizeof(buf), 1, 1);

	/* a packet longer than the header says */
	ck_assert_int_eq(ipc_msg_decode(buf, (size_t)len + 4, &m), -EBADMSG);
	/* a length field longer than the packet */
	put32(buf + 8, (uint32_t)len + 4);
	ck_assert_int_eq(ipc_msg_decode(buf, (size_t)len, &m), -EBADMSG);
	put32(buf + 8, 0xffffffffu);
	ck_assert_int_eq(ipc_msg_decode(buf, (size_t)len, &m), -EBADMSG);
}
END_TEST

START_TEST(test_header_oversize_is_rejected)
{
	struct ipc_msg m;

	memset(buf, 0, sizeof(buf));
	ipc_encode_status(buf, sizeof(buf), 1, 1);
	put32(buf + 8, IPC_MSG_MAX + 1);
	ck_assert_int_eq(ipc_msg_decode(buf, IPC_MSG_MAX + 1, &m), -EMSGSIZE);
}
END_TEST

START_TEST(test_encoders_refuse_small_buffers)
{
	struct ipc_hello h = {1, 1};
	struct ipc_udp_open o = {0};
	uint8_t small[IPC_HDR_LEN + 4];

	ck_assert_int_eq(ipc_encode_hello(small, sizeof(small), 1, &h),
			 -ENOSPC);
	ck_assert_int_eq(ipc_encode_udp_open(small, sizeof(small), 1, 1, &o),
			 -ENOSPC);
	ck_assert_int_eq(ipc_encode_status(small, IPC_HDR_LEN - 1, 1, 1),
			 -ENOSPC);
}
END_TEST

START_TEST(test_encoders_refuse_unknown_versions)
{
	ck_assert_int_eq(ipc_encode_status(buf, sizeof(buf), 0, 1), -EINVAL);
	ck_assert_int_eq(
	    ipc_encode_status(buf, sizeof(buf), IPC_VERSION_MAX + 1, 1),
	    -EINVAL);
}
END_TEST

START_TEST(test_request_types_are_known)
{
	ck_assert(ipc_type_is_request(IPC_T_HELLO));
	ck_assert(ipc_type_is_request(IPC_T_UDP_OPEN));
	ck_assert(ipc_type_is_request(IPC_T_STATUS));
	ck_assert(ipc_type_is_request(IPC_T_TCP_CONNECT));
	ck_assert(ipc_type_is_request(IPC_T_TCP_LISTEN));
	ck_assert(ipc_type_is_request(IPC_T_TCP_SETOPT));
	ck_assert(ipc_type_is_request(IPC_T_BARRIER));
	ck_assert(!ipc_type_is_request(IPC_T_HELLO_REPLY));
	ck_assert(!ipc_type_is_request(IPC_T_TCP_CONNECT_REPLY));
	ck_assert(!ipc_type_is_request(0x0042));
	ck_assert(!ipc_type_is_request(IPC_T_ERROR));
}
END_TEST

/* ---- HELLO --------------------------------------------------------- */

START_TEST(test_hello_round_trip)
{
	struct ipc_hello h = {1, 1}, out;
	int len = ipc_encode_hello(buf, sizeof(buf), 7, &h);
	struct ipc_msg m;

	ck_assert_int_eq(len, (int)(IPC_HDR_LEN + IPC_HELLO_LEN));
	m = decode_ok((size_t)len);
	ck_assert_uint_eq(m.version, IPC_VERSION_MIN);
	ck_assert_uint_eq(m.type, IPC_T_HELLO);
	ck_assert_int_eq(ipc_decode_hello(&m, &out), 0);
	ck_assert_uint_eq(out.version_min, 1);
	ck_assert_uint_eq(out.version_max, 1);
}
END_TEST

START_TEST(test_hello_with_bad_range_is_rejected)
{
	struct ipc_hello h = {1, 1}, out;
	int len = ipc_encode_hello(buf, sizeof(buf), 7, &h);
	struct ipc_msg m;

	/* min > max */
	buf[IPC_HDR_LEN + 1] = 3;
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_hello(&m, &out), -EBADMSG);
	/* min 0 */
	buf[IPC_HDR_LEN + 1] = 0;
	ck_assert_int_eq(ipc_decode_hello(&m, &out), -EBADMSG);
	/* reserved */
	buf[IPC_HDR_LEN + 1] = 1;
	buf[IPC_HDR_LEN + 7] = 1;
	ck_assert_int_eq(ipc_decode_hello(&m, &out), -EBADMSG);
	/* and the encoder refuses to make one */
	h.version_min = 2;
	ck_assert_int_eq(ipc_encode_hello(buf, sizeof(buf), 7, &h), -EINVAL);
}
END_TEST

START_TEST(test_hello_body_size_must_be_exact)
{
	struct ipc_hello h = {1, 1}, out;
	int len = ipc_encode_hello(buf, sizeof(buf), 7, &h);
	struct ipc_msg m;

	/* one byte short */
	put32(buf + 8, (uint32_t)len - 1);
	m = decode_ok((size_t)len - 1);
	ck_assert_int_eq(ipc_decode_hello(&m, &out), -EBADMSG);
	/* one byte long */
	buf[len] = 0;
	put32(buf + 8, (uint32_t)len + 1);
	m = decode_ok((size_t)len + 1);
	ck_assert_int_eq(ipc_decode_hello(&m, &out), -EBADMSG);
}
END_TEST

START_TEST(test_hello_reply_round_trip)
{
	struct ipc_hello_reply r = {.status = 0,
				    .version = 1,
				    .capabilities = IPC_CAP_UDP,
				    .msg_max = IPC_MSG_MAX},
			       out;
	int len = ipc_encode_hello_reply(buf, sizeof(buf), 1, 9, &r);
	struct ipc_msg m = decode_ok((size_t)len);

	ck_assert_uint_eq(m.type, IPC_T_HELLO_REPLY);
	ck_assert_uint_eq(m.id, 9);
	ck_assert_int_eq(ipc_decode_hello_reply(&m, &out), 0);
	ck_assert_int_eq(out.status, 0);
	ck_assert_uint_eq(out.version, 1);
	ck_assert_uint_eq(out.capabilities, IPC_CAP_UDP);
	ck_assert_uint_eq(out.msg_max, IPC_MSG_MAX);

	r.status = -EPROTONOSUPPORT;
	r.version = 0;
	len = ipc_encode_hello_reply(buf, sizeof(buf), 1, 9, &r);
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_hello_reply(&m, &out), 0);
	ck_assert_int_eq(out.status, -EPROTONOSUPPORT);
}
END_TEST

START_TEST(test_hello_reply_with_unspoken_version_is_rejected)
{
	struct ipc_hello_reply r = {.version = 1, .msg_max = IPC_MSG_MAX}, out;
	int len = ipc_encode_hello_reply(buf, sizeof(buf), 1, 9, &r);
	struct ipc_msg m = decode_ok((size_t)len);

	buf[IPC_HDR_LEN + 5] = IPC_VERSION_MAX + 1;
	ck_assert_int_eq(ipc_decode_hello_reply(&m, &out), -EBADMSG);
	/* a positive status */
	buf[IPC_HDR_LEN + 5] = 1;
	put32(buf + IPC_HDR_LEN, 5);
	ck_assert_int_eq(ipc_decode_hello_reply(&m, &out), -EBADMSG);
	/* and the encoder will not send one */
	r.status = 5;
	ck_assert_int_eq(ipc_encode_hello_reply(buf, sizeof(buf), 1, 9, &r),
			 -EINVAL);
}
END_TEST

/* ---- UDP_OPEN ------------------------------------------------------ */

START_TEST(test_udp_open_round_trip)
{
	struct ipc_udp_open o = {.local_addr = 0x0a000002,
				 .local_port = 5000,
				 .remote_addr = 0x0a000001,
				 .remote_port = 53},
			    out;
	int len = ipc_encode_udp_open(buf, sizeof(buf), 1, 3, &o);
	struct ipc_msg m = decode_ok((size_t)len);

	ck_assert_uint_eq(m.type, IPC_T_UDP_OPEN);
	ck_assert_int_eq(ipc_decode_udp_open(&m, &out), 0);
	ck_assert_uint_eq(out.local_addr, 0x0a000002);
	ck_assert_uint_eq(out.local_port, 5000);
	ck_assert_uint_eq(out.remote_addr, 0x0a000001);
	ck_assert_uint_eq(out.remote_port, 53);
	/* the address is in network byte order on the wire */
	ck_assert_uint_eq(buf[IPC_HDR_LEN], 10);
	ck_assert_uint_eq(buf[IPC_HDR_LEN + 3], 2);
}
END_TEST

START_TEST(test_udp_open_malformed_is_rejected)
{
	struct ipc_udp_open o = {0}, out;
	int len = ipc_encode_udp_open(buf, sizeof(buf), 1, 3, &o);
	struct ipc_msg m = decode_ok((size_t)len);

	buf[IPC_HDR_LEN + 15] = 1; /* reserved flags */
	ck_assert_int_eq(ipc_decode_udp_open(&m, &out), -EBADMSG);
	buf[IPC_HDR_LEN + 15] = 0;
	m.body_len--;
	ck_assert_int_eq(ipc_decode_udp_open(&m, &out), -EBADMSG);
}
END_TEST

START_TEST(test_udp_open_reply_round_trip)
{
	struct ipc_udp_open_reply r = {.status = 0,
				       .sock = 12,
				       .local_addr = 0x0a000002,
				       .local_port = 49152},
				  out;
	int len = ipc_encode_udp_open_reply(buf, sizeof(buf), 1, 4, &r);
	struct ipc_msg m = decode_ok((size_t)len);

	ck_assert_int_eq(ipc_decode_udp_open_reply(&m, &out), 0);
	ck_assert_int_eq(out.status, 0);
	ck_assert_int_eq(out.sock, 12);
	ck_assert_uint_eq(out.local_addr, 0x0a000002);
	ck_assert_uint_eq(out.local_port, 49152);

	r.status = -EADDRINUSE;
	len = ipc_encode_udp_open_reply(buf, sizeof(buf), 1, 4, &r);
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_udp_open_reply(&m, &out), 0);
	ck_assert_int_eq(out.status, -EADDRINUSE);
	ck_assert_int_eq(out.sock, -1);
}
END_TEST

START_TEST(test_udp_open_reply_inconsistent_is_rejected)
{
	struct ipc_udp_open_reply r = {.status = 0, .sock = 1}, out;
	int len = ipc_encode_udp_open_reply(buf, sizeof(buf), 1, 4, &r);
	struct ipc_msg m = decode_ok((size_t)len);

	/* success without a socket id */
	put32(buf + IPC_HDR_LEN + 4, 0xffffffffu);
	ck_assert_int_eq(ipc_decode_udp_open_reply(&m, &out), -EBADMSG);
	/* a failure with one */
	put32(buf + IPC_HDR_LEN, (uint32_t)-EMFILE);
	put32(buf + IPC_HDR_LEN + 4, 3);
	ck_assert_int_eq(ipc_decode_udp_open_reply(&m, &out), -EBADMSG);
	/* status out of the errno range */
	put32(buf + IPC_HDR_LEN, (uint32_t)-100000);
	put32(buf + IPC_HDR_LEN + 4, 0xffffffffu);
	ck_assert_int_eq(ipc_decode_udp_open_reply(&m, &out), -EBADMSG);
}
END_TEST

/* ---- STATUS request, ERROR, wrong types ---------------------------- */

START_TEST(test_status_request_must_be_empty)
{
	int len = ipc_encode_status(buf, sizeof(buf), 1, 5);
	struct ipc_msg m = decode_ok((size_t)len);

	ck_assert_int_eq(ipc_decode_status(&m), 0);
	buf[len] = 0;
	put32(buf + 8, (uint32_t)len + 1);
	m = decode_ok((size_t)len + 1);
	ck_assert_int_eq(ipc_decode_status(&m), -EBADMSG);
}
END_TEST

START_TEST(test_error_round_trip)
{
	struct ipc_error e = {.status = -EOPNOTSUPP}, out;
	int len = ipc_encode_error(buf, sizeof(buf), 1, 6, &e);
	struct ipc_msg m = decode_ok((size_t)len);

	ck_assert_uint_eq(m.type, IPC_T_ERROR);
	ck_assert_int_eq(ipc_decode_error(&m, &out), 0);
	ck_assert_int_eq(out.status, -EOPNOTSUPP);
	/* an ERROR always carries an error */
	put32(buf + IPC_HDR_LEN, 0);
	ck_assert_int_eq(ipc_decode_error(&m, &out), -EBADMSG);
	e.status = 0;
	ck_assert_int_eq(ipc_encode_error(buf, sizeof(buf), 1, 6, &e), -EINVAL);
}
END_TEST

START_TEST(test_decoders_reject_other_types)
{
	struct ipc_hello h;
	struct ipc_hello_reply hr;
	struct ipc_udp_open o;
	struct ipc_udp_open_reply orr;
	struct ipc_error e;
	struct ipc_status_chunk c;
	int len = ipc_encode_status(buf, sizeof(buf), 1, 5);
	struct ipc_msg m = decode_ok((size_t)len);

	ck_assert_int_eq(ipc_decode_hello(&m, &h), -EPROTO);
	ck_assert_int_eq(ipc_decode_hello_reply(&m, &hr), -EPROTO);
	ck_assert_int_eq(ipc_decode_udp_open(&m, &o), -EPROTO);
	ck_assert_int_eq(ipc_decode_udp_open_reply(&m, &orr), -EPROTO);
	ck_assert_int_eq(ipc_decode_error(&m, &e), -EPROTO);
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EPROTO);
	m.type = 0x0042;
	ck_assert_int_eq(ipc_decode_status(&m), -EPROTO);
}
END_TEST

/* ---- STATUS replies ------------------------------------------------ */

static void fill_records(struct ipc_record r[7])
{
	memset(r, 0, 7 * sizeof(*r));
	r[0].type = IPC_REC_DAEMON;
	r[0].u.daemon.uptime_ms = 123456789012ull;
	strcpy(r[0].u.daemon.name, "demo");
	r[1].type = IPC_REC_INTERFACE;
	r[1].u.iface.index = 0;
	strcpy(r[1].u.iface.name, "tap0");
	memcpy(r[1].u.iface.mac, "\x02\x00\x00\x00\x00\x02", 6);
	r[1].u.iface.mtu = 1500;
	r[1].u.iface.addr = 0x0a000002;
	r[1].u.iface.prefix_len = 24;
	r[1].u.iface.gateway = 0x0a000001;
	r[2].type = IPC_REC_ROUTE;
	r[2].u.route.dst = 0x0a000000;
	r[2].u.route.prefix_len = 24;
	r[2].u.route.ifindex = 0;
	r[2].u.route.kind = IPC_ROUTE_CONNECTED;
	r[3].type = IPC_REC_ARP;
	r[3].u.arp.addr = 0x0a000001;
	memcpy(r[3].u.arp.mac, "\x02\x00\x00\x00\x00\x01", 6);
	r[3].u.arp.state = IPC_ARP_REACHABLE;
	r[3].u.arp.expires_ms = 30000;
	r[3].u.arp.queued = 2;
	r[4].type = IPC_REC_SOCKET;
	r[4].u.socket.id = 3;
	r[4].u.socket.protocol = IPC_PROTO_UDP;
	r[4].u.socket.local_port = 5000;
	r[4].u.socket.remote_addr = 0x0a000001;
	r[4].u.socket.remote_port = 53;
	r[4].u.socket.recv_queue = 4;
	r[4].u.socket.recv_bytes = 400;
	r[4].u.socket.rx = 1ull << 40;
	r[4].u.socket.tx = 7;
	r[4].u.socket.drops = 8;
	r[5].type = IPC_REC_POOL;
	r[5].u.pool.small_in_use = 1;
	r[5].u.pool.small_allocated = 2;
	r[5].u.pool.small_max = 3;
	r[5].u.pool.large_in_use = 4;
	r[5].u.pool.large_allocated = 5;
	r[5].u.pool.large_max = 6;
	r[6].type = IPC_REC_COUNTER;
	strcpy(r[6].u.counter.name, "eth_rx_frames");
	r[6].u.counter.value = 12;
}

/* Builds a one-chunk reply with the seven sample records. */
static size_t build_sample(void)
{
	struct ipc_status_builder b;
	struct ipc_record r[7];

	fill_records(r);
	ck_assert_int_eq(ipc_status_begin(&b, buf, IPC_MSG_MAX, 1, 77), 0);
	for (int i = 0; i < 7; i++)
		ck_assert_int_eq(ipc_status_add(&b, &r[i]), 0);
	return ipc_status_finish(&b, 0, true);
}

START_TEST(test_status_reply_round_trips_every_record)
{
	struct ipc_record want[7], got;
	struct ipc_status_chunk c;
	struct ipc_record_iter it;
	size_t len = build_sample();
	struct ipc_msg m = decode_ok(len);
	int n = 0;

	fill_records(want);
	ck_assert_uint_eq(m.type, IPC_T_STATUS_REPLY);
	ck_assert_uint_eq(m.id, 77);
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), 0);
	ck_assert(c.last);
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(c.nrecords, 7);
	ipc_record_iter_init(&it, &c);
	while (ipc_record_next(&it, &got)) {
		ck_assert_int_lt(n, 7);
		/* decoded records equal the encoded ones, field by field
		 * (both were zeroed before filling, so memcmp is fair) */
		ck_assert_uint_eq(got.type, want[n].type);
		ck_assert_mem_eq(&got.u, &want[n].u, sizeof(got.u));
		n++;
	}
	ck_assert_int_eq(n, 7);
}
END_TEST

START_TEST(test_status_builder_cuts_and_cleans_strings)
{
	struct ipc_status_builder b;
	struct ipc_status_chunk c;
	struct ipc_record_iter it;
	struct ipc_record r = {.type = IPC_REC_COUNTER}, got;
	struct ipc_msg m;
	size_t len;

	memset(r.u.counter.name, 'a', IPC_COUNTER_NAME_MAX);
	r.u.counter.name[3] = '\n';
	ipc_status_begin(&b, buf, IPC_MSG_MAX, 1, 1);
	ck_assert_int_eq(ipc_status_add(&b, &r), 0);
	len = ipc_status_finish(&b, 0, true);
	m = decode_ok(len);
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), 0);
	ipc_record_iter_init(&it, &c);
	ck_assert(ipc_record_next(&it, &got));
	ck_assert_uint_eq(strlen(got.u.counter.name), IPC_COUNTER_NAME_MAX);
	ck_assert_int_eq(got.u.counter.name[3], '?');
}
END_TEST

START_TEST(test_status_builder_fills_chunks_to_the_bound)
{
	struct ipc_status_builder b;
	struct ipc_record r = {.type = IPC_REC_ARP};
	struct ipc_status_chunk c;
	struct ipc_msg m;
	int added = 0;
	size_t len;

	ipc_status_begin(&b, buf, sizeof(buf), 1, 1);
	while (ipc_status_add(&b, &r) == 0)
		added++;
	ck_assert_int_gt(added, 10);
	ck_assert_uint_le(b.len, IPC_MSG_MAX);
	len = ipc_status_finish(&b, 0, false);
	ck_assert_uint_le(len, IPC_MSG_MAX);
	m = decode_ok(len);
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), 0);
	ck_assert(!c.last);
	ck_assert_uint_eq(c.nrecords, added);
	/* unknown record types cannot be encoded */
	r.type = 99;
	ipc_status_begin(&b, buf, sizeof(buf), 1, 1);
	ck_assert_int_eq(ipc_status_add(&b, &r), -EINVAL);
}
END_TEST

START_TEST(test_status_reply_error_must_be_last_and_empty)
{
	struct ipc_status_builder b;
	struct ipc_status_chunk c;
	struct ipc_record r = {.type = IPC_REC_POOL};
	struct ipc_msg m;
	size_t len;

	ipc_status_begin(&b, buf, IPC_MSG_MAX, 1, 1);
	len = ipc_status_finish(&b, -ENOMEM, true);
	m = decode_ok(len);
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), 0);
	ck_assert_int_eq(c.status, -ENOMEM);

	ipc_status_begin(&b, buf, IPC_MSG_MAX, 1, 1);
	len = ipc_status_finish(&b, -ENOMEM, false);
	m = decode_ok(len);
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EBADMSG);

	ipc_status_begin(&b, buf, IPC_MSG_MAX, 1, 1);
	ipc_status_add(&b, &r);
	len = ipc_status_finish(&b, -ENOMEM, true);
	m = decode_ok(len);
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EBADMSG);
}
END_TEST

/* Offsets in the sample: after header (16) and reply fields (8). */
#define REC0 (IPC_HDR_LEN + IPC_STATUS_REPLY_MIN)

START_TEST(test_status_reply_truncated_records_are_rejected)
{
	size_t len = build_sample();
	struct ipc_status_chunk c;
	struct ipc_msg m;

	/* Every shorter packet, its length field fixed up, is bad. */
	for (size_t n = REC0 + 1; n < len; n++) {
		put32(buf + 8, (uint32_t)n);
		m = decode_ok(n);
		ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EBADMSG);
	}
	/* Too short for the reply fields themselves. */
	put32(buf + 8, REC0 - 1);
	m = decode_ok(REC0 - 1);
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EBADMSG);
}
END_TEST

START_TEST(test_status_reply_count_must_match)
{
	size_t len = build_sample();
	struct ipc_status_chunk c;
	struct ipc_msg m = decode_ok(len);

	buf[IPC_HDR_LEN + 7] = 6; /* one record too many in the bytes */
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EBADMSG);
	buf[IPC_HDR_LEN + 7] = 8; /* one too few */
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EBADMSG);
}
END_TEST

START_TEST(test_status_reply_record_lengths_are_checked)
{
	size_t len = build_sample();
	struct ipc_status_chunk c;
	struct ipc_msg m = decode_ok(len);
	/* record 0 (DAEMON, name "demo") is 4 + 9 + 4 = 17 bytes */
	uint8_t *rec_len = buf + REC0 + 3;

	ck_assert_uint_eq(*rec_len, 17);
	*rec_len = 3; /* shorter than a record header */
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EBADMSG);
	*rec_len = 16; /* disagrees with the name length */
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EBADMSG);
	*rec_len = 0xff; /* runs past the message */
	buf[REC0 + 2] = 0xff;
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EBADMSG);
	buf[REC0 + 2] = 0;
	*rec_len = 17;
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), 0);
	/* a name with a NUL in it */
	buf[REC0 + 4 + 9 + 1] = 0;
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EBADMSG);
}
END_TEST

START_TEST(test_status_reply_field_ranges_are_checked)
{
	size_t len = build_sample();
	struct ipc_status_chunk c;
	struct ipc_msg m = decode_ok(len);
	/* record 1 (INTERFACE "tap0") starts after the 17-byte DAEMON */
	size_t iface = REC0 + 17 + 4;
	/* record 2 (ROUTE) after the 4 + 24 + 4 byte INTERFACE */
	size_t route = iface + 24 + 4 + 4;

	buf[iface + 22] = 33; /* prefix_len */
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EBADMSG);
	buf[iface + 22] = 24;
	buf[route + 13] = 9; /* route kind */
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EBADMSG);
	buf[route + 13] = 0;
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), 0);
	buf[IPC_HDR_LEN + 5] |= 0x80; /* unknown reply flag */
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EBADMSG);
}
END_TEST

START_TEST(test_status_reply_unknown_records_are_skipped)
{
	struct ipc_status_builder b;
	struct ipc_status_chunk c;
	struct ipc_record_iter it;
	struct ipc_record r = {.type = IPC_REC_POOL}, got;
	struct ipc_msg m;
	size_t len;
	uint8_t *p;

	ipc_status_begin(&b, buf, IPC_MSG_MAX, 1, 1);
	ipc_status_add(&b, &r);
	/* hand-append a record of a future type 200, 10 bytes long */
	p = buf + b.len;
	memset(p, 0, 10);
	p[1] = 200;
	p[3] = 10;
	b.len += 10;
	b.nrecords++;
	ipc_status_add(&b, &r);
	len = ipc_status_finish(&b, 0, true);
	m = decode_ok(len);
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), 0);
	ipc_record_iter_init(&it, &c);
	ck_assert(ipc_record_next(&it, &got));
	ck_assert_uint_eq(got.type, IPC_REC_POOL);
	ck_assert(ipc_record_next(&it, &got));
	ck_assert_uint_eq(got.type, IPC_REC_POOL);
	ck_assert(!ipc_record_next(&it, &got));
}
END_TEST

/* ---- datagram header ----------------------------------------------- */

START_TEST(test_dgram_round_trip)
{
	struct ipc_dgram_hdr h = {.addr = 0x0a000001, .port = 5353}, out;
	const uint8_t *payload;
	size_t plen;

	ipc_dgram_hdr_encode(buf, &h);
	memcpy(buf + IPC_DGRAM_HDR_LEN, "hello", 5);
	ck_assert_int_eq(
	    ipc_dgram_decode(buf, IPC_DGRAM_HDR_LEN + 5, &out, &payload, &plen),
	    0);
	ck_assert_uint_eq(out.addr, 0x0a000001);
	ck_assert_uint_eq(out.port, 5353);
	ck_assert_uint_eq(out.flags, 0);
	ck_assert_uint_eq(plen, 5);
	ck_assert_mem_eq(payload, "hello", 5);
	/* an empty datagram is fine */
	ck_assert_int_eq(
	    ipc_dgram_decode(buf, IPC_DGRAM_HDR_LEN, &out, &payload, &plen), 0);
	ck_assert_uint_eq(plen, 0);
}
END_TEST

START_TEST(test_dgram_error_round_trip)
{
	struct ipc_dgram_hdr h = {.flags = IPC_DGRAM_F_ERROR,
				  .error = ECONNREFUSED},
			     out;
	const uint8_t *payload;
	size_t plen;

	ipc_dgram_hdr_encode(buf, &h);
	ck_assert_int_eq(
	    ipc_dgram_decode(buf, IPC_DGRAM_HDR_LEN, &out, &payload, &plen), 0);
	ck_assert_uint_eq(out.flags, IPC_DGRAM_F_ERROR);
	ck_assert_uint_eq(out.error, ECONNREFUSED);
	/* an error message carries no payload */
	ck_assert_int_eq(
	    ipc_dgram_decode(buf, IPC_DGRAM_HDR_LEN + 1, &out, &payload, &plen),
	    -EBADMSG);
}
END_TEST

START_TEST(test_dgram_malformed_is_rejected)
{
	struct ipc_dgram_hdr h = {0}, out;
	const uint8_t *payload;
	size_t plen;

	ipc_dgram_hdr_encode(buf, &h);
	for (size_t n = 0; n < IPC_DGRAM_HDR_LEN; n++)
		ck_assert_int_eq(
		    ipc_dgram_decode(buf, n, &out, &payload, &plen), -EBADMSG);
	buf[6] = 0x02; /* unknown flag */
	ck_assert_int_eq(
	    ipc_dgram_decode(buf, IPC_DGRAM_HDR_LEN, &out, &payload, &plen),
	    -EBADMSG);
	buf[6] = 0;
	buf[7] = 1; /* reserved */
	ck_assert_int_eq(
	    ipc_dgram_decode(buf, IPC_DGRAM_HDR_LEN, &out, &payload, &plen),
	    -EBADMSG);
	buf[7] = 0;
	buf[11] = 1; /* an error without the flag */
	ck_assert_int_eq(
	    ipc_dgram_decode(buf, IPC_DGRAM_HDR_LEN, &out, &payload, &plen),
	    -EBADMSG);
	buf[11] = 0;
	buf[6] = IPC_DGRAM_F_ERROR; /* the flag without an error */
	ck_assert_int_eq(
	    ipc_dgram_decode(buf, IPC_DGRAM_HDR_LEN, &out, &payload, &plen),
	    -EBADMSG);
	put32(buf + 8, IPC_ERRNO_MAX + 1); /* not an errno */
	ck_assert_int_eq(
	    ipc_dgram_decode(buf, IPC_DGRAM_HDR_LEN, &out, &payload, &plen),
	    -EBADMSG);
}
END_TEST

START_TEST(test_dgram_oversize_payload_is_rejected)
{
	size_t len = IPC_DGRAM_HDR_LEN + IPC_UDP_PAYLOAD_MAX;
	uint8_t *big = calloc(1, len + 1);
	struct ipc_dgram_hdr h = {0}, out;
	const uint8_t *payload;
	size_t plen;

	ck_assert_ptr_nonnull(big);
	ipc_dgram_hdr_encode(big, &h);
	ck_assert_int_eq(ipc_dgram_decode(big, len, &out, &payload, &plen), 0);
	ck_assert_uint_eq(plen, IPC_UDP_PAYLOAD_MAX);
	ck_assert_int_eq(ipc_dgram_decode(big, len + 1, &out, &payload, &plen),
			 -EMSGSIZE);
	free(big);
}
END_TEST

/* ---- TCP ------------------------------------------------------------ */

static const struct ipc_tcp_opts every_opt = {
    .set = IPC_TCP_OPT_ALL,
    .nodelay = true,
    .keepalive = true,
    .sndbuf = 1u << 20,
    .rcvbuf = IPC_TCP_BUF_MAX,
    .keepidle_s = 60,
    .keepintvl_s = 5,
    .keepcnt = 9,
};

static void assert_opts_equal(const struct ipc_tcp_opts *a,
			      const struct ipc_tcp_opts *b)
{
	ck_assert_uint_eq(a->set, b->set);
	ck_assert(a->nodelay == b->nodelay);
	ck_assert(a->keepalive == b->keepalive);
	ck_assert_uint_eq(a->sndbuf, b->sndbuf);
	ck_assert_uint_eq(a->rcvbuf, b->rcvbuf);
	ck_assert_uint_eq(a->keepidle_s, b->keepidle_s);
	ck_assert_uint_eq(a->keepintvl_s, b->keepintvl_s);
	ck_assert_uint_eq(a->keepcnt, b->keepcnt);
}

START_TEST(test_tcp_connect_round_trip)
{
	struct ipc_tcp_connect c = {
	    .local_addr = 0x0a000002,
	    .local_port = 40000,
	    .remote_addr = 0x0a000001,
	    .remote_port = 443,
	    .timeout_ms = IPC_TCP_CONNECT_TIMEOUT_MAX_MS,
	    .flags = IPC_TCP_CONNECT_F_NONBLOCK,
	    .opts = every_opt,
	};
	struct ipc_tcp_connect out;
	int len = ipc_encode_tcp_connect(buf, sizeof(buf), 1, 9, &c);
	struct ipc_msg m;

	ck_assert_int_eq(len, (int)(IPC_HDR_LEN + IPC_TCP_CONNECT_LEN));
	m = decode_ok((size_t)len);
	ck_assert_uint_eq(m.type, IPC_T_TCP_CONNECT);
	ck_assert_int_eq(ipc_decode_tcp_connect(&m, &out), 0);
	ck_assert_uint_eq(out.local_addr, c.local_addr);
	ck_assert_uint_eq(out.local_port, c.local_port);
	ck_assert_uint_eq(out.remote_addr, c.remote_addr);
	ck_assert_uint_eq(out.remote_port, c.remote_port);
	ck_assert_uint_eq(out.timeout_ms, c.timeout_ms);
	ck_assert_uint_eq(out.flags, c.flags);
	assert_opts_equal(&out.opts, &c.opts);

	/* no options at all is the common case */
	memset(&c.opts, 0, sizeof(c.opts));
	len = ipc_encode_tcp_connect(buf, sizeof(buf), 1, 9, &c);
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_tcp_connect(&m, &out), 0);
	ck_assert_uint_eq(out.opts.set, 0);
}
END_TEST

/* Encodes a valid TCP_CONNECT, lets `poke` break one byte of its body,
 * and expects the decoder to refuse it. */
static void expect_bad_connect(size_t body_off, uint8_t value)
{
	struct ipc_tcp_connect c = {
	    .remote_addr = 1, .remote_port = 80, .opts = every_opt};
	struct ipc_tcp_connect out;
	int len = ipc_encode_tcp_connect(buf, sizeof(buf), 1, 1, &c);
	struct ipc_msg m;

	buf[IPC_HDR_LEN + body_off] = value;
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_tcp_connect(&m, &out), -EBADMSG);
}

START_TEST(test_tcp_connect_malformed_is_rejected)
{
	struct ipc_tcp_connect c = {.remote_addr = 1, .remote_port = 80};
	struct ipc_tcp_connect out;
	struct ipc_msg m;
	int len;

	expect_bad_connect(11, 0);    /* remote port 0 (80 = 0x0050) */
	expect_bad_connect(12, 0xff); /* timeout over the maximum */
	expect_bad_connect(19, 0x02); /* unknown flag */
	expect_bad_connect(23, 0x80); /* unknown option bit */
	expect_bad_connect(27, 0x04); /* unknown option flag */
	expect_bad_connect(28, 0xff); /* sndbuf over 64 MiB */
	expect_bad_connect(43, 0);    /* keepintvl 0 */
	expect_bad_connect(47, 0);    /* keepcnt 0 */
	expect_bad_connect(46, 1);    /* keepcnt 256 */

	/* a value for an option not set, a flag for an option not set */
	c.opts.set = IPC_TCP_OPT_NODELAY;
	len = ipc_encode_tcp_connect(buf, sizeof(buf), 1, 1, &c);
	buf[IPC_HDR_LEN + 20 + 11] = 1; /* sndbuf's low byte */
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_tcp_connect(&m, &out), -EBADMSG);
	c.opts.set = 0;
	len = ipc_encode_tcp_connect(buf, sizeof(buf), 1, 1, &c);
	buf[IPC_HDR_LEN + 20 + 7] = 0x02; /* keepalive without its bit */
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_tcp_connect(&m, &out), -EBADMSG);

	/* sizes must be exact */
	len = ipc_encode_tcp_connect(buf, sizeof(buf), 1, 1, &c);
	m = decode_ok((size_t)len);
	m.body_len--;
	ck_assert_int_eq(ipc_decode_tcp_connect(&m, &out), -EBADMSG);
	m.body_len += 2;
	ck_assert_int_eq(ipc_decode_tcp_connect(&m, &out), -EBADMSG);

	/* the encoder refuses what the decoder would */
	c.remote_port = 0;
	ck_assert_int_eq(ipc_encode_tcp_connect(buf, sizeof(buf), 1, 1, &c),
			 -EINVAL);
	c.remote_port = 80;
	c.opts.set = IPC_TCP_OPT_SNDBUF;
	c.opts.sndbuf = IPC_TCP_BUF_MIN - 1;
	ck_assert_int_eq(ipc_encode_tcp_connect(buf, sizeof(buf), 1, 1, &c),
			 -EINVAL);
}
END_TEST

START_TEST(test_tcp_open_replies_round_trip)
{
	struct ipc_tcp_open_reply r = {.status = 0,
				       .id = 77,
				       .local_addr = 0x0a000002,
				       .local_port = 5001},
				  out;
	struct ipc_msg m;
	int len;

	len = ipc_encode_tcp_connect_reply(buf, sizeof(buf), 1, 3, &r);
	ck_assert_int_eq(len, (int)(IPC_HDR_LEN + IPC_TCP_CONNECT_REPLY_LEN));
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_tcp_connect_reply(&m, &out), 0);
	ck_assert_int_eq(out.id, 77);
	ck_assert_uint_eq(out.local_addr, r.local_addr);
	ck_assert_uint_eq(out.local_port, 5001);
	/* a connect reply is not a listen reply */
	ck_assert_int_eq(ipc_decode_tcp_listen_reply(&m, &out), -EPROTO);

	len = ipc_encode_tcp_listen_reply(buf, sizeof(buf), 1, 4, &r);
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_tcp_listen_reply(&m, &out), 0);
	ck_assert_int_eq(out.id, 77);

	/* a failure carries no id and no address */
	r.status = -ECONNREFUSED;
	len = ipc_encode_tcp_connect_reply(buf, sizeof(buf), 1, 3, &r);
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_tcp_connect_reply(&m, &out), 0);
	ck_assert_int_eq(out.status, -ECONNREFUSED);
	ck_assert_int_eq(out.id, -1);
	ck_assert_uint_eq(out.local_port, 0);
}
END_TEST

START_TEST(test_tcp_open_reply_inconsistent_is_rejected)
{
	struct ipc_tcp_open_reply r = {.status = 0, .id = 1}, out;
	struct ipc_msg m;
	int len;

	/* success with id -1 */
	len = ipc_encode_tcp_connect_reply(buf, sizeof(buf), 1, 3, &r);
	put32(buf + IPC_HDR_LEN + 4, 0xffffffffu);
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_tcp_connect_reply(&m, &out), -EBADMSG);
	/* failure with an id */
	r.status = -EMFILE;
	len = ipc_encode_tcp_connect_reply(buf, sizeof(buf), 1, 3, &r);
	put32(buf + IPC_HDR_LEN + 4, 5);
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_tcp_connect_reply(&m, &out), -EBADMSG);
	/* a positive status, reserved bits */
	r.status = 0;
	len = ipc_encode_tcp_connect_reply(buf, sizeof(buf), 1, 3, &r);
	buf[IPC_HDR_LEN + 15] = 1;
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_tcp_connect_reply(&m, &out), -EBADMSG);
	put32(buf + IPC_HDR_LEN, 5);
	buf[IPC_HDR_LEN + 15] = 0;
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_tcp_connect_reply(&m, &out), -EBADMSG);
	/* the encoder refuses success without an id */
	r.id = -1;
	ck_assert_int_eq(
	    ipc_encode_tcp_connect_reply(buf, sizeof(buf), 1, 3, &r), -EINVAL);
}
END_TEST

START_TEST(test_tcp_listen_round_trip_and_rejections)
{
	struct ipc_tcp_listen l = {.local_addr = 0,
				   .local_port = 8080,
				   .backlog = IPC_TCP_BACKLOG_MAX,
				   .opts = every_opt},
			      out;
	struct ipc_msg m;
	int len = ipc_encode_tcp_listen(buf, sizeof(buf), 1, 2, &l);

	ck_assert_int_eq(len, (int)(IPC_HDR_LEN + IPC_TCP_LISTEN_LEN));
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_tcp_listen(&m, &out), 0);
	ck_assert_uint_eq(out.local_port, 8080);
	ck_assert_uint_eq(out.backlog, IPC_TCP_BACKLOG_MAX);
	assert_opts_equal(&out.opts, &l.opts);

	/* port 0, backlog 0, backlog over the maximum, reserved fields:
	 * each a 32-bit word written at a body offset */
	static const struct {
		size_t off;
		uint32_t value;
	} bad[] = {{4, 0x00000000u}, /* port 0, reserved 0 */
		   {8, 0},	     /* backlog 0 */
		   {8, IPC_TCP_BACKLOG_MAX + 1},
		   {4, 0x1f900001u}, /* reserved u16 */
		   {12, 1}};	     /* reserved flags */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = ipc_encode_tcp_listen(buf, sizeof(buf), 1, 2, &l);
		put32(buf + IPC_HDR_LEN + bad[i].off, bad[i].value);
		m = decode_ok((size_t)len);
		ck_assert_msg(ipc_decode_tcp_listen(&m, &out) == -EBADMSG,
			      "word at %zu = %#x accepted", bad[i].off,
			      bad[i].value);
	}
	l.backlog = 0;
	ck_assert_int_eq(ipc_encode_tcp_listen(buf, sizeof(buf), 1, 2, &l),
			 -EINVAL);
}
END_TEST

START_TEST(test_tcp_setopt_and_barrier_round_trip)
{
	struct ipc_tcp_setopt o = {.id = 12, .opts = every_opt}, out;
	struct ipc_status_only_reply r = {.status = -EBADF}, rout;
	struct ipc_msg m;
	int len = ipc_encode_tcp_setopt(buf, sizeof(buf), 1, 2, &o);

	ck_assert_int_eq(len, (int)(IPC_HDR_LEN + IPC_TCP_SETOPT_LEN));
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_tcp_setopt(&m, &out), 0);
	ck_assert_int_eq(out.id, 12);
	assert_opts_equal(&out.opts, &o.opts);
	put32(buf + IPC_HDR_LEN, 0x80000000u); /* a negative id */
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_tcp_setopt(&m, &out), -EBADMSG);

	len = ipc_encode_tcp_setopt_reply(buf, sizeof(buf), 1, 2, &r);
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_tcp_setopt_reply(&m, &rout), 0);
	ck_assert_int_eq(rout.status, -EBADF);
	buf[IPC_HDR_LEN + 7] = 1; /* reserved */
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_tcp_setopt_reply(&m, &rout), -EBADMSG);

	len = ipc_encode_barrier(buf, sizeof(buf), 1, 8);
	ck_assert_int_eq(len, (int)IPC_HDR_LEN);
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_barrier(&m), 0);
	m.body_len = 1;
	ck_assert_int_eq(ipc_decode_barrier(&m), -EBADMSG);

	r.status = 0;
	r.value = 1234;
	len = ipc_encode_barrier_reply(buf, sizeof(buf), 1, 8, &r);
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_barrier_reply(&m, &rout), 0);
	ck_assert_uint_eq(rout.value, 1234);
	ck_assert_int_eq(ipc_decode_tcp_setopt_reply(&m, &rout), -EPROTO);
	put32(buf + IPC_HDR_LEN, 1); /* a positive status */
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_barrier_reply(&m, &rout), -EBADMSG);
}
END_TEST

START_TEST(test_accept_announcement_round_trip_and_rejections)
{
	struct ipc_accept a = {.remote_addr = 0x0a000001,
			       .remote_port = 55555,
			       .local_addr = 0x0a000002,
			       .local_port = 80,
			       .id = 3},
			  out;
	uint8_t p[IPC_ACCEPT_LEN + 1] = {0};

	ipc_accept_encode(p, &a);
	ck_assert_int_eq(ipc_accept_decode(p, IPC_ACCEPT_LEN, &out), 0);
	ck_assert_uint_eq(out.remote_addr, a.remote_addr);
	ck_assert_uint_eq(out.remote_port, 55555);
	ck_assert_uint_eq(out.local_addr, a.local_addr);
	ck_assert_uint_eq(out.local_port, 80);
	ck_assert_int_eq(out.id, 3);
	ck_assert_int_eq(ipc_accept_decode(p, IPC_ACCEPT_LEN - 1, &out),
			 -EBADMSG);
	ck_assert_int_eq(ipc_accept_decode(p, IPC_ACCEPT_LEN + 1, &out),
			 -EBADMSG);
	p[12] = 0x80; /* negative id */
	ck_assert_int_eq(ipc_accept_decode(p, IPC_ACCEPT_LEN, &out), -EBADMSG);
}
END_TEST

START_TEST(test_status_tcp_record_round_trip_and_rejections)
{
	struct ipc_status_builder b;
	struct ipc_status_chunk c;
	struct ipc_record_iter it;
	struct ipc_record r, got;
	struct ipc_msg m;
	size_t len;

	memset(&r, 0, sizeof(r));
	r.type = IPC_REC_TCP;
	r.u.tcp.id = 42;
	r.u.tcp.state = IPC_TCPS_ESTABLISHED;
	r.u.tcp.flags = IPC_TCP_F_ORPHAN;
	r.u.tcp.local_addr = 0x0a000002;
	r.u.tcp.local_port = 40000;
	r.u.tcp.remote_addr = 0x0a000001;
	r.u.tcp.remote_port = 80;
	r.u.tcp.send_queue = 1;
	r.u.tcp.recv_queue = 2;
	r.u.tcp.snd_wnd = 3;
	r.u.tcp.rcv_wnd = 4;
	r.u.tcp.cwnd = 5;
	r.u.tcp.ssthresh = 6;
	r.u.tcp.mss = 1460;
	r.u.tcp.srtt_us = 7;
	r.u.tcp.rttvar_us = 8;
	r.u.tcp.rto_ms = 200;
	r.u.tcp.retransmits = 9;
	r.u.tcp.bytes_sent = 1ull << 40;
	r.u.tcp.bytes_received = (1ull << 41) + 1;
	ipc_status_begin(&b, buf, IPC_MSG_MAX, 1, 1);
	ck_assert_int_eq(ipc_status_add(&b, &r), 0);
	len = ipc_status_finish(&b, 0, true);
	m = decode_ok(len);
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), 0);
	ipc_record_iter_init(&it, &c);
	ck_assert(ipc_record_next(&it, &got));
	ck_assert_uint_eq(got.type, IPC_REC_TCP);
	ck_assert_int_eq(memcmp(&got.u.tcp, &r.u.tcp, sizeof(r.u.tcp)), 0);

	/* a state past TIME_WAIT, a listener flag outside LISTEN */
	buf[IPC_HDR_LEN + IPC_STATUS_REPLY_MIN + 4 + 4] = IPC_TCPS_COUNT;
	m = decode_ok(len);
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EBADMSG);
	buf[IPC_HDR_LEN + IPC_STATUS_REPLY_MIN + 4 + 4] = IPC_TCPS_ESTABLISHED;
	buf[IPC_HDR_LEN + IPC_STATUS_REPLY_MIN + 4 + 5] = IPC_TCP_F_LISTENER;
	m = decode_ok(len);
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EBADMSG);
	buf[IPC_HDR_LEN + IPC_STATUS_REPLY_MIN + 4 + 5] = 0x04; /* unknown */
	m = decode_ok(len);
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EBADMSG);
}
END_TEST

static Suite *ipc_suite(void)
{
	Suite *s = suite_create("ipc");
	TCase *tc;

	tc = tcase_create("header");
	tcase_add_test(tc, test_header_round_trip_carries_type_id_version);
	tcase_add_test(tc, test_header_short_packets_are_rejected);
	tcase_add_test(tc, test_header_bad_magic_is_rejected);
	tcase_add_test(tc, test_header_unknown_versions_are_rejected);
	tcase_add_test(tc, test_header_reserved_fields_must_be_zero);
	tcase_add_test(tc, test_header_length_must_match_the_packet);
	tcase_add_test(tc, test_header_oversize_is_rejected);
	tcase_add_test(tc, test_encoders_refuse_small_buffers);
	tcase_add_test(tc, test_encoders_refuse_unknown_versions);
	tcase_add_test(tc, test_request_types_are_known);
	suite_add_tcase(s, tc);

	tc = tcase_create("requests");
	tcase_add_test(tc, test_hello_round_trip);
	tcase_add_test(tc, test_hello_with_bad_range_is_rejected);
	tcase_add_test(tc, test_hello_body_size_must_be_exact);
	tcase_add_test(tc, test_hello_reply_round_trip);
	tcase_add_test(tc, test_hello_reply_with_unspoken_version_is_rejected);
	tcase_add_test(tc, test_udp_open_round_trip);
	tcase_add_test(tc, test_udp_open_malformed_is_rejected);
	tcase_add_test(tc, test_udp_open_reply_round_trip);
	tcase_add_test(tc, test_udp_open_reply_inconsistent_is_rejected);
	tcase_add_test(tc, test_status_request_must_be_empty);
	tcase_add_test(tc, test_error_round_trip);
	tcase_add_test(tc, test_decoders_reject_other_types);
	suite_add_tcase(s, tc);

	tc = tcase_create("tcp");
	tcase_add_test(tc, test_tcp_connect_round_trip);
	tcase_add_test(tc, test_tcp_connect_malformed_is_rejected);
	tcase_add_test(tc, test_tcp_open_replies_round_trip);
	tcase_add_test(tc, test_tcp_open_reply_inconsistent_is_rejected);
	tcase_add_test(tc, test_tcp_listen_round_trip_and_rejections);
	tcase_add_test(tc, test_tcp_setopt_and_barrier_round_trip);
	tcase_add_test(tc, test_accept_announcement_round_trip_and_rejections);
	tcase_add_test(tc, test_status_tcp_record_round_trip_and_rejections);
	suite_add_tcase(s, tc);

	tc = tcase_create("status");
	tcase_add_test(tc, test_status_reply_round_trips_every_record);
	tcase_add_test(tc, test_status_builder_cuts_and_cleans_strings);
	tcase_add_test(tc, test_status_builder_fills_chunks_to_the_bound);
	tcase_add_test(tc, test_status_reply_error_must_be_last_and_empty);
	tcase_add_test(tc, test_status_reply_truncated_records_are_rejected);
	tcase_add_test(tc, test_status_reply_count_must_match);
	tcase_add_test(tc, test_status_reply_record_lengths_are_checked);
	tcase_add_test(tc, test_status_reply_field_ranges_are_checked);
	tcase_add_test(tc, test_status_reply_unknown_records_are_skipped);
	suite_add_tcase(s, tc);

	tc = tcase_create("dgram");
	tcase_add_test(tc, test_dgram_round_trip);
	tcase_add_test(tc, test_dgram_error_round_trip);
	tcase_add_test(tc, test_dgram_malformed_is_rejected);
	tcase_add_test(tc, test_dgram_oversize_payload_is_rejected);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ipc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
