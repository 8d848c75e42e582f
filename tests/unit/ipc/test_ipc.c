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
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "ipc.h"
#include "samples.h"
#include "wire_layout.h"

static uint8_t buf[IPC_MSG_MAX + 64];

/* Encodes nothing; decodes buf[0..len) as a message, asserting success. */
static struct ipc_msg decode_ok(size_t len)
{
	struct ipc_msg m;

	ck_assert_int_eq(ipc_msg_decode(buf, len, &m), 0);
	return m;
}

/* The layouts whose fields the tests below poke by name. */
static const struct wire_layout header = WIRE_LAYOUT(IPC_HEADER_LAYOUT);
static const struct wire_layout reply_head =
    WIRE_LAYOUT(IPC_STATUS_REPLY_LAYOUT);
static const struct wire_layout record_header =
    WIRE_LAYOUT(IPC_RECORD_HEADER_LAYOUT);
static const struct wire_layout daemon_record =
    WIRE_LAYOUT(IPC_REC_DAEMON_LAYOUT);
static const struct wire_layout interface_record =
    WIRE_LAYOUT(IPC_REC_INTERFACE_LAYOUT);
static const struct wire_layout route_record =
    WIRE_LAYOUT(IPC_REC_ROUTE_LAYOUT);
static const struct wire_layout arp_record = WIRE_LAYOUT(IPC_REC_ARP_LAYOUT);
static const struct wire_layout tcp_record = WIRE_LAYOUT(IPC_REC_TCP_LAYOUT);
static const struct wire_layout dgram_header =
    WIRE_LAYOUT(IPC_DGRAM_HDR_LAYOUT);
static const struct wire_layout accept_packet = WIRE_LAYOUT(IPC_ACCEPT_LAYOUT);

/* Sets the header's length field of the message in buf. */
static void set_length(size_t len)
{
	wire_poke(buf, &header, "length", len);
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

	wire_poke(buf, &header, "version", 0);
	ck_assert_int_eq(ipc_msg_decode(buf, (size_t)len, &m),
			 -EPROTONOSUPPORT);
	wire_poke(buf, &header, "version", IPC_VERSION_MAX + 1);
	ck_assert_int_eq(ipc_msg_decode(buf, (size_t)len, &m),
			 -EPROTONOSUPPORT);
	wire_poke(buf, &header, "version", 0xff);
	ck_assert_int_eq(ipc_msg_decode(buf, (size_t)len, &m),
			 -EPROTONOSUPPORT);
}
END_TEST

START_TEST(test_header_reserved_fields_must_be_zero)
{
	struct ipc_msg m;
	int len = ipc_encode_status(buf, sizeof(buf), 1, 1);

	wire_poke(buf, &header, "flags", 1);
	ck_assert_int_eq(ipc_msg_decode(buf, (size_t)len, &m), -EBADMSG);
	wire_poke(buf, &header, "flags", 0);
	wire_poke(buf, &header, "reserved", 1);
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
	set_length((size_t)len + 4);
	ck_assert_int_eq(ipc_msg_decode(buf, (size_t)len, &m), -EBADMSG);
	set_length(0xffffffffu);
	ck_assert_int_eq(ipc_msg_decode(buf, (size_t)len, &m), -EBADMSG);
}
END_TEST

START_TEST(test_header_oversize_is_rejected)
{
	struct ipc_msg m;

	memset(buf, 0, sizeof(buf));
	ipc_encode_status(buf, sizeof(buf), 1, 1);
	set_length(IPC_MSG_MAX + 1);
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
	ck_assert(ipc_type_is_request(IPC_T_TCP_GETOPT));
	ck_assert(ipc_type_is_request(IPC_T_UDP_SETOPT));
	ck_assert(ipc_type_is_request(IPC_T_TCP_LINGER));
	ck_assert(ipc_type_is_request(IPC_T_RESOLVE));
	ck_assert(ipc_type_is_request(IPC_T_TCP_INFO));
	ck_assert(ipc_type_is_request(IPC_T_PING));
	ck_assert(!ipc_type_is_request(IPC_T_PING_REPLY));
	ck_assert(!ipc_type_is_request(IPC_T_HELLO_REPLY));
	ck_assert(!ipc_type_is_request(IPC_T_TCP_CONNECT_REPLY));
	ck_assert(!ipc_type_is_request(0x0042));
	ck_assert(!ipc_type_is_request(IPC_T_ERROR));
}
END_TEST

/* ---- message bodies, table-driven ---------------------------------- */

/*
 * Each message with a body is tested from tables: a value sent and
 * read back field by field (round_trips), a valid value with one or two
 * fields poked out of range on the wire (malformed), a value the
 * encoder must refuse (unsendable). The fields are found by name in
 * the message's layout, never by a counted offset.
 */
struct message {
	const char *name;
	uint16_t type;
	struct wire_layout layout;
	int (*encode)(const void *value);
	int (*decode)(const struct ipc_msg *m, void *out);
	void (*assert_same)(const void *got, const void *want);
};

#define SAME_FIELD(kind, name)                                                 \
	ck_assert_msg(memcmp(&g->name, &w->name, sizeof(g->name)) == 0,        \
		      "field %s differs", #name);
#define NO_FIELD(kind, name)

#define MESSAGE_UNDER_TEST(name, TYPE, body, LAYOUT)                           \
	static int encode_##name(const void *value)                            \
	{                                                                      \
		return ipc_encode_##name(buf, sizeof(buf), 1, 7, value);       \
	}                                                                      \
	static int decode_##name(const struct ipc_msg *m, void *out)           \
	{                                                                      \
		return ipc_decode_##name(m, out);                              \
	}                                                                      \
	static void same_##name(const void *got, const void *want)             \
	{                                                                      \
		const struct ipc_##body *g = got, *w = want;                   \
                                                                               \
		LAYOUT(SAME_FIELD, NO_FIELD)                                   \
	}                                                                      \
	static const struct message name = {                                   \
	    #name,	   TYPE,	  WIRE_LAYOUT(LAYOUT),                 \
	    encode_##name, decode_##name, same_##name};
IPC_BODY_MESSAGES(MESSAGE_UNDER_TEST)

/* HELLO's encoder takes no version: it is always IPC_VERSION_MIN. */
static int encode_hello(const void *value)
{
	return ipc_encode_hello(buf, sizeof(buf), 7, value);
}

static int decode_hello(const struct ipc_msg *m, void *out)
{
	return ipc_decode_hello(m, out);
}

static void same_hello(const void *got, const void *want)
{
	const struct ipc_hello *g = got, *w = want;

	IPC_HELLO_LAYOUT(SAME_FIELD, NO_FIELD)
}

static const struct message hello = {
    "hello",	  IPC_T_HELLO,	WIRE_LAYOUT(IPC_HELLO_LAYOUT),
    encode_hello, decode_hello, same_hello};

static const struct message *const messages[] = {
#define MESSAGE_ENTRY(name, TYPE, body, LAYOUT) &name,
    &hello, IPC_BODY_MESSAGES(MESSAGE_ENTRY)};

#define N_MESSAGES (sizeof(messages) / sizeof(messages[0]))

/* Sample values. Every option (a macro: a const object is no
 * initializer in standard C). */
#define EVERY_OPT                                                              \
	{                                                                      \
		.set = IPC_TCP_OPT_ALL, .nodelay = true, .keepalive = true,    \
		.sndbuf = 1u << 20, .rcvbuf = IPC_TCP_BUF_MAX,                 \
		.keepidle_s = 60, .keepintvl_s = 5, .keepcnt = 9,              \
		.linger = true, .linger_s = 0, .maxseg = IPC_TCP_MAXSEG_MAX,   \
		.tos = 0xff, .ttl = 255,                                       \
	}
static const struct ipc_hello hello_1_1 = {1, 1};
static const struct ipc_hello_reply hello_ok = {
    .version = 1, .capabilities = IPC_CAP_UDP, .msg_max = IPC_MSG_MAX};
static const struct ipc_hello_reply hello_refused = {.status =
							 -EPROTONOSUPPORT};
static const struct ipc_udp_open udp_open_to_dns = {.local_addr = 0x0a000002,
						    .local_port = 5000,
						    .remote_addr = 0x0a000001,
						    .remote_port = 53};
static const struct ipc_udp_open_reply udp_opened = {
    .sock = 12, .local_addr = 0x0a000002, .local_port = 49152};
static const struct ipc_udp_open_reply udp_in_use = {.status = -EADDRINUSE,
						     .sock = 12};
static const struct ipc_udp_open_reply udp_in_use_sent = {.status = -EADDRINUSE,
							  .sock = -1};
static const struct ipc_error unsupported = {.status = -EOPNOTSUPP};
static const struct ipc_tcp_connect connect_all_opts = {
    .local_addr = 0x0a000002,
    .local_port = 40000,
    .remote_addr = 0x0a000001,
    .remote_port = 443,
    .timeout_ms = IPC_TCP_CONNECT_TIMEOUT_MAX_MS,
    .flags = IPC_TCP_CONNECT_F_NONBLOCK,
    .opts = EVERY_OPT};
static const struct ipc_tcp_connect connect_no_opts = {.remote_addr = 1,
						       .remote_port = 80};
static const struct ipc_tcp_connect connect_nodelay = {
    .remote_addr = 1, .remote_port = 80, .opts.set = IPC_TCP_OPT_NODELAY};
static const struct ipc_tcp_open_reply tcp_opened = {
    .id = 77, .local_addr = 0x0a000002, .local_port = 5001};
static const struct ipc_tcp_open_reply tcp_refused = {
    .status = -ECONNREFUSED, .id = 77, .local_port = 5001};
static const struct ipc_tcp_open_reply tcp_refused_sent = {
    .status = -ECONNREFUSED, .id = -1};
static const struct ipc_tcp_listen listen_8080 = {
    .local_port = 8080, .backlog = IPC_TCP_BACKLOG_MAX, .opts = EVERY_OPT};
static const struct ipc_tcp_setopt setopt_12 = {.id = 12, .opts = EVERY_OPT};
static const struct ipc_status_only_reply bad_fd = {.status = -EBADF};
static const struct ipc_tcp_connect connect_maxseg_min = {
    .remote_addr = 1,
    .remote_port = 80,
    .opts = {.set = IPC_TCP_OPT_MAXSEG, .maxseg = IPC_TCP_MAXSEG_MIN}};
static const struct ipc_tcp_getopt getopt_12 = {.id = 12};
static const struct ipc_tcp_linger linger_12 = {.id = 12};
static const struct ipc_status_only_reply all_sent = {.value = 1};
static const struct ipc_udp_setopt udp_setopt_all = {
    .sock = 3, .set = IPC_UDP_OPT_ALL, .tos = 0xff, .ttl = 255};
static const struct ipc_udp_setopt udp_setopt_tos = {
    .sock = 3, .set = IPC_UDP_OPT_TOS, .tos = 0x10};
static const struct ipc_tcp_getopt_reply getopt_all = {.opts = EVERY_OPT};
static const struct ipc_tcp_getopt_reply getopt_bad_fd = {.status = -EBADF,
							  .opts = EVERY_OPT};
static const struct ipc_tcp_getopt_reply getopt_bad_fd_sent = {.status =
								   -EBADF};
static const struct ipc_status_only_reply frames_1234 = {.value = 1234};
static const struct ipc_resolve resolve_all = {.want = IPC_RESOLVE_WANT_ALL,
					       .name = "www.example.org"};
static const struct ipc_resolve_reply resolve_started = {.id = 5};
static const struct ipc_resolve_reply resolve_over = {.status = -EMFILE,
						      .id = 5};
static const struct ipc_resolve_reply resolve_over_sent = {.status = -EMFILE,
							   .id = -1};

static const struct ipc_udp_open udp_open_own_fd = {
    .local_port = 5000, .flags = IPC_UDP_OPEN_F_OWN_FD};
static const struct ipc_capture capture_eth0 = {
    .ifindex = 1, .snaplen = IPC_CAPTURE_SNAPLEN_MAX, .count = 10};
static const struct ipc_capture capture_all_1 = {.ifindex = -1, .snaplen = 1};
static const struct ipc_capture capture_snaplen_0 = {.ifindex = 1};
static const struct ipc_capture_reply capture_started = {.id = 3};
static const struct ipc_capture_reply capture_busy = {.status = -EBUSY,
						      .id = 3};
static const struct ipc_capture_reply capture_busy_sent = {.status = -EBUSY,
							   .id = -1};
static const struct ipc_capture_reply capture_no_id = {.id = -1};
static const struct ipc_capture_stop capture_stop_3 = {.id = 3};
static const struct ipc_capture_stop_reply capture_counts = {.seen = 1000,
							     .dropped = 1000};
static const struct ipc_capture_stop_reply capture_none = {
    .status = -ENOENT, .seen = 5, .dropped = 2};
static const struct ipc_capture_stop_reply capture_none_sent = {.status =
								    -ENOENT};
static const struct ipc_capture_stop_reply capture_more_dropped = {
    .seen = 1, .dropped = 2};
static const struct ipc_tcp_info tcp_info_12 = {.id = 12};
static const struct ipc_ping ping_peer = {.dst = 0x0a000001,
					  .ifindex = -1,
					  .seq = 3,
					  .size = IPC_PING_SIZE_MAX,
					  .timeout_ms =
					      IPC_PING_TIMEOUT_MAX_MS};
static const struct ipc_ping ping_iface = {
    .dst = 0x0a000001, .ifindex = 2, .seq = 0xffff, .timeout_ms = 1};
static const struct ipc_ping_reply ping_answered = {
    .from = 0x0a000001, .seq = 3, .size = 56, .ttl = 64, .rtt_ns = 12345};
static const struct ipc_ping_reply ping_unreachable = {.status = -EHOSTUNREACH,
						       .from = 0x0a000002,
						       .seq = 4,
						       .size = 56,
						       .ttl = 9,
						       .rtt_ns = 3000000000ull};
static const struct ipc_ping_reply ping_unreachable_sent = {
    .status = -EHOSTUNREACH,
    .from = 0x0a000002,
    .seq = 4,
    .rtt_ns = 3000000000ull};
static const struct ipc_tcp_info_reply tcp_info_all = {
    .id = 12,
    .state = IPC_TCPS_CLOSE_WAIT,
    .flags = IPC_TCP_F_ORPHAN,
    .local_port = 40000,
    .local_addr = 0x0a000002,
    .remote_addr = 0x0a000001,
    .remote_port = 443,
    .send_queue = 1,
    .recv_queue = 2,
    .snd_wnd = 3,
    .rcv_wnd = 4,
    .cwnd = 5,
    .ssthresh = 6,
    .mss = 1460,
    .srtt_us = 7,
    .rttvar_us = 8,
    .rto_ms = 200,
    .retransmits = 9,
    .bytes_sent = 1ull << 40,
    .bytes_received = 1ull << 41};
static const struct ipc_tcp_info_reply tcp_info_none = {
    .status = -ENOENT, .id = 12, .mss = 1460};
static const struct ipc_tcp_info_reply tcp_info_none_sent = {.status = -ENOENT};
static const struct ipc_tcp_info_reply tcp_info_listening = {
    .id = 1, .state = IPC_TCPS_LISTEN};

struct round_trip {
	const struct message *msg;
	const void *value;
	const void *want; /* what is read back, when not value */
};

static const struct round_trip round_trips[] = {
    {&hello, &hello_1_1, NULL},
    {&hello_reply, &hello_ok, NULL},
    {&hello_reply, &hello_refused, NULL},
    {&udp_open, &udp_open_to_dns, NULL},
    {&udp_open_reply, &udp_opened, NULL},
    /* a failure carries no socket */
    {&udp_open_reply, &udp_in_use, &udp_in_use_sent},
    {&error, &unsupported, NULL},
    {&tcp_connect, &connect_all_opts, NULL},
    /* no options at all is the common case */
    {&tcp_connect, &connect_no_opts, NULL},
    {&tcp_connect_reply, &tcp_opened, NULL},
    /* a failure carries no id and no address */
    {&tcp_connect_reply, &tcp_refused, &tcp_refused_sent},
    {&tcp_listen_reply, &tcp_opened, NULL},
    {&tcp_listen, &listen_8080, NULL},
    {&tcp_setopt, &setopt_12, NULL},
    {&tcp_setopt_reply, &bad_fd, NULL},
    {&barrier_reply, &frames_1234, NULL},
    {&tcp_connect, &connect_maxseg_min, NULL},
    {&tcp_getopt, &getopt_12, NULL},
    {&tcp_getopt_reply, &getopt_all, NULL},
    /* a failure carries no options */
    {&tcp_getopt_reply, &getopt_bad_fd, &getopt_bad_fd_sent},
    {&udp_setopt, &udp_setopt_all, NULL},
    {&udp_setopt, &udp_setopt_tos, NULL},
    {&udp_setopt_reply, &bad_fd, NULL},
    {&tcp_linger, &linger_12, NULL},
    {&tcp_linger_reply, &all_sent, NULL},
    {&resolve, &resolve_all, NULL},
    {&resolve_reply, &resolve_started, NULL},
    /* a failure carries no id */
    {&resolve_reply, &resolve_over, &resolve_over_sent},
    {&udp_open, &udp_open_own_fd, NULL},
    {&tcp_info, &tcp_info_12, NULL},
    {&tcp_info_reply, &tcp_info_all, NULL},
    /* a failure carries zeros */
    {&tcp_info_reply, &tcp_info_none, &tcp_info_none_sent},
    {&capture, &capture_eth0, NULL},
    {&capture, &capture_all_1, NULL},
    {&capture_reply, &capture_started, NULL},
    /* a failure carries no id */
    {&capture_reply, &capture_busy, &capture_busy_sent},
    {&capture_stop, &capture_stop_3, NULL},
    {&capture_stop_reply, &capture_counts, NULL},
    /* a failure carries no counts */
    {&capture_stop_reply, &capture_none, &capture_none_sent},
    {&ping, &ping_peer, NULL},
    {&ping, &ping_iface, NULL},
    {&ping_reply, &ping_answered, NULL},
    /* a failure carries no size or ttl */
    {&ping_reply, &ping_unreachable, &ping_unreachable_sent},
};

#define N_ROUND_TRIPS (sizeof(round_trips) / sizeof(round_trips[0]))

/* Encodes a value and checks the header it got; returns the message. */
static struct ipc_msg encode_ok(const struct message *msg, const void *value)
{
	int len = msg->encode(value);
	struct ipc_msg m;

	ck_assert_msg(len > 0, "%s: encoder says %d", msg->name, len);
	m = decode_ok((size_t)len);
	ck_assert_uint_eq(m.type, msg->type);
	ck_assert_uint_eq(m.id, 7);
	ck_assert_uint_eq(m.version, IPC_VERSION_MIN);
	return m;
}

/* Room for any message's body struct. */
#define BODY_MEMBER(name, TYPE, body, LAYOUT) struct ipc_##body name;
union any_body {
	struct ipc_hello hello;
	IPC_BODY_MESSAGES(BODY_MEMBER)
};

START_TEST(test_messages_round_trip_every_field)
{
	const struct round_trip *t = &round_trips[_i];
	struct ipc_msg m = encode_ok(t->msg, t->value);
	union any_body got;

	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(t->msg->decode(&m, &got), 0);
	t->msg->assert_same(&got, t->want ? t->want : t->value);
}
END_TEST

START_TEST(test_message_bodies_have_their_layouts_size)
{
	const struct message *msg = messages[_i];
	size_t size = 0;
	struct ipc_msg m;
	_Alignas(max_align_t) uint8_t out[256];
	const void *value = NULL;

	for (size_t i = 0; i < N_ROUND_TRIPS && !value; i++)
		if (round_trips[i].msg == msg)
			value = round_trips[i].value;
	ck_assert_ptr_nonnull(value);
	for (size_t i = 0; i < msg->layout.nfields; i++)
		size += msg->layout.fields[i].size;
	m = encode_ok(msg, value);
	ck_assert_uint_eq(m.body_len, size);
	/* one byte short, one byte long */
	m.body_len = size - 1;
	ck_assert_int_eq(msg->decode(&m, out), -EBADMSG);
	m.body_len = size + 1;
	ck_assert_int_eq(msg->decode(&m, out), -EBADMSG);
}
END_TEST

/* Every body decoder refuses every other message's type. */
START_TEST(test_decoders_refuse_other_types)
{
	const struct message *msg = messages[_i];
	_Alignas(max_align_t) uint8_t out[256];
	struct ipc_msg m;

	for (size_t i = 0; i < N_ROUND_TRIPS; i++) {
		if (round_trips[i].msg == msg)
			continue;
		m = encode_ok(round_trips[i].msg, round_trips[i].value);
		ck_assert_msg(msg->decode(&m, out) == -EPROTO,
			      "%s decodes a %s", msg->name,
			      round_trips[i].msg->name);
	}
	m = decode_ok((size_t)ipc_encode_status(buf, sizeof(buf), 1, 5));
	ck_assert_int_eq(msg->decode(&m, out), -EPROTO);
}
END_TEST

struct malformed {
	const char *what;
	const struct message *msg;
	const void *value;
	const char *field; /* poked on the wire */
	uint64_t poke;
};

static const struct malformed malformed[] = {
    {"min > max", &hello, &hello_1_1, "version_min", 3},
    {"min 0", &hello, &hello_1_1, "version_min", 0},
    {"reserved", &hello, &hello_1_1, "reserved", 1},
    {"unspoken version", &hello_reply, &hello_ok, "version",
     IPC_VERSION_MAX + 1},
    {"positive status", &hello_reply, &hello_ok, "status", 5},
    {"unknown flags", &udp_open, &udp_open_to_dns, "flags", 2},
    {"a negative id", &tcp_info, &tcp_info_12, "id", 0x80000000u},
    {"reserved", &tcp_info, &tcp_info_12, "reserved", 1},
    {"reserved", &tcp_info_reply, &tcp_info_all, "reserved", 1},
    {"a listener's state", &tcp_info_reply, &tcp_info_all, "state",
     IPC_TCPS_LISTEN},
    {"a state past the last", &tcp_info_reply, &tcp_info_all, "state",
     IPC_TCPS_COUNT},
    {"the listener flag", &tcp_info_reply, &tcp_info_all, "flags",
     IPC_TCP_F_LISTENER},
    {"failure with a figure", &tcp_info_reply, &tcp_info_none_sent,
     "bytes_sent", 1},
    {"failure with an id", &tcp_info_reply, &tcp_info_none_sent, "id", 3},
    {"snaplen 0", &capture, &capture_eth0, "snaplen", 0},
    {"snaplen past the largest", &capture, &capture_eth0, "snaplen",
     IPC_CAPTURE_SNAPLEN_MAX + 1},
    {"an interface below -1", &capture, &capture_eth0, "ifindex", 0xfffffffeu},
    {"reserved", &capture, &capture_eth0, "reserved", 1},
    {"success without an id", &capture_reply, &capture_started, "id",
     0xffffffffu},
    {"failure with an id", &capture_reply, &capture_busy_sent, "id", 0},
    {"a negative id", &capture_stop, &capture_stop_3, "id", 0x80000000u},
    {"reserved", &capture_stop, &capture_stop_3, "reserved", 1},
    {"more dropped than seen", &capture_stop_reply, &capture_counts, "seen",
     999},
    {"failure with a count", &capture_stop_reply, &capture_none_sent, "seen",
     1},
    {"reserved", &capture_stop_reply, &capture_counts, "reserved", 1},
    {"no destination", &ping, &ping_peer, "dst", 0},
    {"an interface below -1", &ping, &ping_peer, "ifindex", 0xfffffffeu},
    {"a size past the largest", &ping, &ping_peer, "size",
     IPC_PING_SIZE_MAX + 1},
    {"no timeout", &ping, &ping_peer, "timeout_ms", 0},
    {"a timeout past the longest", &ping, &ping_peer, "timeout_ms",
     IPC_PING_TIMEOUT_MAX_MS + 1},
    {"failure with a size", &ping_reply, &ping_unreachable_sent, "size", 1},
    {"failure with a ttl", &ping_reply, &ping_unreachable_sent, "ttl", 1},
    {"reserved", &ping_reply, &ping_answered, "reserved", 1},
    {"success without a socket", &udp_open_reply, &udp_opened, "sock",
     0xffffffffu},
    {"failure with a socket", &udp_open_reply, &udp_in_use, "sock", 3},
    {"status out of range", &udp_open_reply, &udp_in_use, "status",
     (uint32_t)-100000},
    {"an ERROR without an error", &error, &unsupported, "status", 0},
    {"remote port 0", &tcp_connect, &connect_all_opts, "remote_port", 0},
    {"timeout over the maximum", &tcp_connect, &connect_all_opts, "timeout_ms",
     IPC_TCP_CONNECT_TIMEOUT_MAX_MS + 1},
    {"unknown flag", &tcp_connect, &connect_all_opts, "flags", 0x04},
    {"unknown option bit", &tcp_connect, &connect_all_opts, "opts.set",
     IPC_TCP_OPT_ALL + 1},
    {"unknown option flag", &tcp_connect, &connect_all_opts, "opts.flags",
     0x08},
    {"maxseg below the minimum", &tcp_connect, &connect_all_opts, "opts.maxseg",
     IPC_TCP_MAXSEG_MIN - 1},
    {"maxseg over the maximum", &tcp_connect, &connect_all_opts, "opts.maxseg",
     IPC_TCP_MAXSEG_MAX + 1},
    {"linger without its bit", &tcp_connect, &connect_no_opts, "opts.flags",
     0x04},
    {"a linger time without its bit", &tcp_connect, &connect_no_opts,
     "opts.linger_s", 5},
    {"a TTL without its bit", &tcp_connect, &connect_nodelay, "opts.ttl", 1},
    {"a TOS without its bit", &tcp_connect, &connect_nodelay, "opts.tos", 1},
    {"a negative id", &tcp_getopt, &getopt_12, "id", 0x80000000u},
    {"reserved", &tcp_getopt, &getopt_12, "reserved", 1},
    {"options with a failure", &tcp_getopt_reply, &getopt_bad_fd, "opts.set",
     IPC_TCP_OPT_NODELAY},
    {"a negative socket", &udp_setopt, &udp_setopt_all, "sock", 0x80000000u},
    {"unknown option bit", &udp_setopt, &udp_setopt_all, "set", 0x4},
    {"a TTL without its bit", &udp_setopt, &udp_setopt_tos, "ttl", 1},
    {"reserved", &udp_setopt, &udp_setopt_all, "reserved", 1},
    {"reserved value", &udp_setopt_reply, &bad_fd, "value", 1},
    {"a negative id", &tcp_linger, &linger_12, "id", 0x80000000u},
    {"reserved", &tcp_linger, &linger_12, "reserved", 1},
    {"value over 1", &tcp_linger_reply, &all_sent, "value", 2},
    {"sndbuf over 64 MiB", &tcp_connect, &connect_all_opts, "opts.sndbuf",
     IPC_TCP_BUF_MAX + 1},
    {"keepintvl 0", &tcp_connect, &connect_all_opts, "opts.keepintvl_s", 0},
    {"keepcnt 0", &tcp_connect, &connect_all_opts, "opts.keepcnt", 0},
    {"keepcnt 256", &tcp_connect, &connect_all_opts, "opts.keepcnt", 256},
    {"a value for an option not set", &tcp_connect, &connect_nodelay,
     "opts.sndbuf", 1},
    {"keepalive without its bit", &tcp_connect, &connect_no_opts, "opts.flags",
     0x02},
    {"success with id -1", &tcp_connect_reply, &tcp_opened, "id", 0xffffffffu},
    {"failure with an id", &tcp_connect_reply, &tcp_refused, "id", 5},
    {"failure with an address", &tcp_connect_reply, &tcp_refused, "local_port",
     1},
    {"reserved", &tcp_connect_reply, &tcp_opened, "reserved", 1},
    {"positive status", &tcp_connect_reply, &tcp_opened, "status", 5},
    {"backlog 0", &tcp_listen, &listen_8080, "backlog", 0},
    {"backlog over the maximum", &tcp_listen, &listen_8080, "backlog",
     IPC_TCP_BACKLOG_MAX + 1},
    {"reserved", &tcp_listen, &listen_8080, "reserved", 1},
    {"reserved flags", &tcp_listen, &listen_8080, "flags", 2},
    {"a negative id", &tcp_setopt, &setopt_12, "id", 0x80000000u},
    {"reserved value", &tcp_setopt_reply, &bad_fd, "value", 1},
    {"positive status", &barrier_reply, &frames_1234, "status", 1},
};

#define N_MALFORMED (sizeof(malformed) / sizeof(malformed[0]))

START_TEST(test_malformed_bodies_are_rejected)
{
	const struct malformed *t = &malformed[_i];
	struct ipc_msg m = encode_ok(t->msg, t->value);
	_Alignas(max_align_t) uint8_t out[256];

	ck_assert_int_eq(t->msg->decode(&m, out), 0);
	wire_poke(buf + IPC_HDR_LEN, &t->msg->layout, t->field, t->poke);
	ck_assert_msg(t->msg->decode(&m, out) == -EBADMSG, "%s: %s accepted",
		      t->msg->name, t->what);
}
END_TEST

/* What the decoders refuse, the encoders refuse to send. */
static const struct ipc_hello hello_2_1 = {2, 1};
static const struct ipc_hello_reply hello_positive = {.status = 5};
static const struct ipc_udp_open_reply udp_no_socket = {.sock = -1};
static const struct ipc_error no_error = {.status = 0};
static const struct ipc_tcp_connect connect_port_0 = {.remote_addr = 1};
static const struct ipc_tcp_connect connect_small_sndbuf = {
    .remote_addr = 1,
    .remote_port = 80,
    .opts = {.set = IPC_TCP_OPT_SNDBUF, .sndbuf = IPC_TCP_BUF_MIN - 1}};
static const struct ipc_tcp_open_reply tcp_no_id = {.id = -1};
static const struct ipc_tcp_listen listen_backlog_0 = {.local_port = 8080};
static const struct ipc_status_only_reply setopt_value = {.value = 1};

struct unsendable {
	const struct message *msg;
	const void *value;
};

static const struct unsendable unsendable[] = {
    {&hello, &hello_2_1},
    {&hello_reply, &hello_positive},
    {&udp_open_reply, &udp_no_socket},
    {&error, &no_error},
    {&tcp_connect, &connect_port_0},
    {&tcp_connect, &connect_small_sndbuf},
    {&tcp_connect_reply, &tcp_no_id},
    {&tcp_listen, &listen_backlog_0},
    {&tcp_setopt_reply, &setopt_value},
    {&tcp_info_reply, &tcp_info_listening},
    {&capture, &capture_snaplen_0},
    {&capture_reply, &capture_no_id},
    {&capture_stop_reply, &capture_more_dropped},
};

#define N_UNSENDABLE (sizeof(unsendable) / sizeof(unsendable[0]))

START_TEST(test_encoders_refuse_what_decoders_would)
{
	const struct unsendable *t = &unsendable[_i];

	ck_assert_int_eq(t->msg->encode(t->value), -EINVAL);
}
END_TEST

START_TEST(test_status_and_barrier_requests_are_empty)
{
	struct ipc_status_chunk c;
	int len = ipc_encode_status(buf, sizeof(buf), 1, 5);
	struct ipc_msg m = decode_ok((size_t)len);

	ck_assert_int_eq(ipc_decode_status(&m), 0);
	ck_assert_int_eq(ipc_decode_barrier(&m), -EPROTO);
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EPROTO);
	buf[len] = 0;
	set_length((size_t)len + 1);
	m = decode_ok((size_t)len + 1);
	ck_assert_int_eq(ipc_decode_status(&m), -EBADMSG);

	len = ipc_encode_barrier(buf, sizeof(buf), 1, 8);
	ck_assert_int_eq(len, (int)IPC_HDR_LEN);
	m = decode_ok((size_t)len);
	ck_assert_int_eq(ipc_decode_barrier(&m), 0);
	ck_assert_int_eq(ipc_decode_status(&m), -EPROTO);
	m.body_len = 1;
	ck_assert_int_eq(ipc_decode_barrier(&m), -EBADMSG);
	m.type = 0x0042;
	ck_assert_int_eq(ipc_decode_status(&m), -EPROTO);
}
END_TEST

/* ---- STATUS replies ------------------------------------------------ */

/* Builds a one-chunk reply with the sample records. */
static size_t build_sample(void)
{
	struct ipc_status_builder b;

	ck_assert_int_eq(ipc_status_begin(&b, buf, IPC_MSG_MAX, 1, 77), 0);
	for (size_t i = 0; i < N_SAMPLE_RECORDS; i++)
		ck_assert_int_eq(ipc_status_add(&b, &sample_records[i]), 0);
	return ipc_status_finish(&b, 0, true);
}

START_TEST(test_status_reply_round_trips_every_record)
{
	struct ipc_status_chunk c;
	struct ipc_record_iter it;
	struct ipc_record got;
	size_t len = build_sample();
	struct ipc_msg m = decode_ok(len);
	size_t n = 0;

	ck_assert_uint_eq(m.type, IPC_T_STATUS_REPLY);
	ck_assert_uint_eq(m.id, 77);
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), 0);
	ck_assert(c.last);
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(c.nrecords, N_SAMPLE_RECORDS);
	ipc_record_iter_init(&it, &c);
	while (ipc_record_next(&it, &got)) {
		ck_assert_uint_lt(n, N_SAMPLE_RECORDS);
		/* decoded records equal the encoded ones, field by field
		 * (the decoder zeroes a record before filling it, and the
		 * sample is static, so memcmp is fair) */
		ck_assert_uint_eq(got.type, sample_records[n].type);
		ck_assert_mem_eq(&got.u, &sample_records[n].u, sizeof(got.u));
		n++;
	}
	ck_assert_uint_eq(n, N_SAMPLE_RECORDS);
}
END_TEST

/* IFSTATS round-trips every field; a carrier past unknown or a
 * negative ifindex is malformed, unknown (the last) is not. */
START_TEST(test_status_reply_ifstats_record)
{
	const struct ipc_record rec = {
	    .type = IPC_REC_IFSTATS,
	    .u.ifstats = {.ifindex = 3,
			  .carrier = IPC_CARRIER_UP,
			  .rx_frames = 0x0102030405060708ull,
			  .rx_bytes = 0x1112131415161718ull,
			  .rx_errors = 0x2122232425262728ull,
			  .rx_drops = 0x3132333435363738ull,
			  .tx_frames = 0x4142434445464748ull,
			  .tx_bytes = 0x5152535455565758ull,
			  .tx_errors = 0x6162636465666768ull,
			  .tx_drops = 0x7172737475767778ull}};

	for (int k = 0; k < 4; k++) {
		struct ipc_status_builder b;
		struct ipc_status_chunk c;
		struct ipc_record_iter it;
		struct ipc_record r = rec, got;
		struct ipc_msg m;
		size_t len;
		int want = k < 2 ? 0 : -EBADMSG;

		if (k == 1)
			r.u.ifstats.carrier = IPC_CARRIER_UNKNOWN;
		if (k == 2)
			r.u.ifstats.carrier = IPC_CARRIER_UNKNOWN + 1;
		if (k == 3)
			r.u.ifstats.ifindex = -1;
		ipc_status_begin(&b, buf, IPC_MSG_MAX, 1, 5);
		ck_assert_int_eq(ipc_status_add(&b, &r), 0);
		len = ipc_status_finish(&b, 0, true);
		m = decode_ok(len);
		ck_assert_int_eq(ipc_decode_status_reply(&m, &c), want);
		if (want)
			continue;
		ipc_record_iter_init(&it, &c);
		ck_assert(ipc_record_next(&it, &got));
		ck_assert_uint_eq(got.type, IPC_REC_IFSTATS);
		ck_assert_mem_eq(&got.u.ifstats, &r.u.ifstats,
				 sizeof(r.u.ifstats));
		ck_assert(!ipc_record_next(&it, &got));
	}
}
END_TEST

/* The added records (OWNER, LINK) round-trip; a LINK whose syn_shed is
 * neither 0 nor 1 is malformed. */
START_TEST(test_status_reply_owner_and_link_records)
{
	struct ipc_status_builder b;
	struct ipc_status_chunk c;
	struct ipc_record_iter it;
	struct ipc_record got, bad = sample_records_added[1];
	struct ipc_msg m;
	size_t len, n = 0;

	ipc_status_begin(&b, buf, IPC_MSG_MAX, 1, 5);
	for (size_t i = 0; i < N_SAMPLE_RECORDS_ADDED; i++)
		ck_assert_int_eq(ipc_status_add(&b, &sample_records_added[i]),
				 0);
	len = ipc_status_finish(&b, 0, true);
	m = decode_ok(len);
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), 0);
	ipc_record_iter_init(&it, &c);
	while (ipc_record_next(&it, &got)) {
		ck_assert_uint_lt(n, N_SAMPLE_RECORDS_ADDED);
		ck_assert_uint_eq(got.type, sample_records_added[n].type);
		ck_assert_mem_eq(&got.u, &sample_records_added[n].u,
				 sizeof(got.u));
		n++;
	}
	ck_assert_uint_eq(n, N_SAMPLE_RECORDS_ADDED);

	bad.u.link.syn_shed = 2;
	ipc_status_begin(&b, buf, IPC_MSG_MAX, 1, 6);
	ck_assert_int_eq(ipc_status_add(&b, &bad), 0);
	len = ipc_status_finish(&b, 0, true);
	m = decode_ok(len);
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EBADMSG);

	/* SOCK_OWNER round-trips; a kind past the last, an unknown flag,
	 * a negative id are malformed; the last kind and every flag are
	 * not */
	for (int k = 0; k < 6; k++) {
		struct ipc_record o = {
		    .type = IPC_REC_SOCK_OWNER,
		    .u.sock_owner = {.kind = IPC_SOCK_OWNER_CONNECTION,
				     .flags = IPC_SOCK_OWNER_F_GONE,
				     .id = 0x01020304,
				     .pid = 0x11121314,
				     .uid = 0x21222324,
				     .gid = 0x31323334,
				     .comm = "utcp-nc"}};
		int want = k < 3 ? 0 : -EBADMSG;

		if (k == 1)
			o.u.sock_owner.kind = IPC_SOCK_OWNER_UDP;
		if (k == 2)
			o.u.sock_owner.kind = IPC_SOCK_OWNER_KIND_COUNT - 1;
		if (k == 3)
			o.u.sock_owner.kind = IPC_SOCK_OWNER_KIND_COUNT;
		if (k == 4)
			o.u.sock_owner.flags = IPC_SOCK_OWNER_F_ALL + 1;
		if (k == 5)
			o.u.sock_owner.id = -1;
		ipc_status_begin(&b, buf, IPC_MSG_MAX, 1, 7);
		ck_assert_int_eq(ipc_status_add(&b, &o), 0);
		len = ipc_status_finish(&b, 0, true);
		m = decode_ok(len);
		ck_assert_int_eq(ipc_decode_status_reply(&m, &c), want);
		if (want)
			continue;
		ipc_record_iter_init(&it, &c);
		ck_assert(ipc_record_next(&it, &got));
		ck_assert_uint_eq(got.type, IPC_REC_SOCK_OWNER);
		ck_assert_uint_eq(got.u.sock_owner.kind, o.u.sock_owner.kind);
		ck_assert_uint_eq(got.u.sock_owner.flags, o.u.sock_owner.flags);
		ck_assert_int_eq(got.u.sock_owner.id, o.u.sock_owner.id);
		ck_assert_uint_eq(got.u.sock_owner.pid, o.u.sock_owner.pid);
		ck_assert_uint_eq(got.u.sock_owner.uid, o.u.sock_owner.uid);
		ck_assert_uint_eq(got.u.sock_owner.gid, o.u.sock_owner.gid);
		ck_assert_str_eq(got.u.sock_owner.comm, o.u.sock_owner.comm);
		ck_assert(!ipc_record_next(&it, &got));
	}
}
END_TEST

static const struct wire_layout sock_owner_record =
    WIRE_LAYOUT(IPC_REC_SOCK_OWNER_LAYOUT);

/* A SOCK_OWNER as a hostile daemon could send it, then a POOL: its
 * record length one byte short or long, its command's length past
 * IPC_NAME_MAX or past the record, a byte of it unprintable, its
 * reserved bits set. Each is malformed, the whole reply refused; the
 * record as built, with a command of IPC_NAME_MAX bytes, is not. */
START_TEST(test_status_reply_sock_owner_malformed_is_rejected)
{
	struct ipc_record o = {
	    .type = IPC_REC_SOCK_OWNER,
	    .u.sock_owner = {.kind = IPC_SOCK_OWNER_UDP, .id = 3, .pid = 42}};
	struct ipc_record pool = {.type = IPC_REC_POOL}, got;
	struct ipc_status_builder b;
	struct ipc_status_chunk c;
	struct ipc_record_iter it;
	unsigned size;
	size_t comm = wire_offset(&sock_owner_record, "comm", &size);
	size_t length = wire_offset(&record_header, "length", &size);
	size_t rec_len;
	struct ipc_msg m;

	memset(o.u.sock_owner.comm, 'x', IPC_NAME_MAX);
	for (int k = 0; k < 7; k++) {
		uint8_t *rec, *body;
		size_t len;

		ck_assert_int_eq(ipc_status_begin(&b, buf, IPC_MSG_MAX, 1, 8),
				 0);
		rec = buf + b.len;
		ck_assert_int_eq(ipc_status_add(&b, &o), 0);
		ck_assert_int_eq(ipc_status_add(&b, &pool), 0);
		len = ipc_status_finish(&b, 0, true);
		body = rec + IPC_REC_HDR_LEN;
		rec_len = get_be16(rec + length);
		ck_assert_uint_eq(rec_len,
				  IPC_REC_HDR_LEN + comm + 1 + IPC_NAME_MAX);
		switch (k) {
		case 1: /* one byte short: the command runs past it */
			wire_poke(rec, &record_header, "length", rec_len - 1);
			break;
		case 2: /* one byte long: the next record is misread */
			wire_poke(rec, &record_header, "length", rec_len + 1);
			break;
		case 3: /* a command longer than a name may be */
			body[comm] = IPC_NAME_MAX + 1;
			break;
		case 4: /* a command shorter than the record holds */
			body[comm] = IPC_NAME_MAX - 1;
			break;
		case 5: /* an unprintable byte in the command */
			body[comm + 1 + 5] = 0x1b;
			break;
		case 6:
			wire_poke(body, &sock_owner_record, "reserved", 1);
			break;
		}
		m = decode_ok(len);
		if (k > 0) {
			ck_assert_msg(ipc_decode_status_reply(&m, &c) ==
					  -EBADMSG,
				      "case %d accepted", k);
			continue;
		}
		ck_assert_int_eq(ipc_decode_status_reply(&m, &c), 0);
		ipc_record_iter_init(&it, &c);
		ck_assert(ipc_record_next(&it, &got));
		ck_assert_uint_eq(got.type, IPC_REC_SOCK_OWNER);
		ck_assert_uint_eq(strlen(got.u.sock_owner.comm), IPC_NAME_MAX);
		ck_assert_uint_eq(got.u.sock_owner.pid, 42);
		ck_assert(ipc_record_next(&it, &got));
		ck_assert_uint_eq(got.type, IPC_REC_POOL);
		ck_assert(!ipc_record_next(&it, &got));
	}
}
END_TEST

/* Builds a one-chunk reply with the DHCP sample's records; returns its
 * length. */
static size_t build_dhcp_sample(void)
{
	struct ipc_status_builder b;

	ck_assert_int_eq(ipc_status_begin(&b, buf, IPC_MSG_MAX, 2, 9), 0);
	for (size_t i = 0; i < N_SAMPLE_RECORDS_DHCP; i++)
		ck_assert_int_eq(ipc_status_add(&b, &sample_records_dhcp[i]),
				 0);
	return ipc_status_finish(&b, 0, true);
}

/* The DHCP and settings records (ROUTE_V2, READY, DHCP, NETCONF,
 * SEARCH, DHCP_OPTION) round-trip, every field. */
START_TEST(test_status_reply_dhcp_records_round_trip)
{
	struct ipc_status_chunk c;
	struct ipc_record_iter it;
	struct ipc_record got;
	size_t len = build_dhcp_sample(), n = 0;
	struct ipc_msg m = decode_ok(len);

	ck_assert_uint_eq(m.version, 2);
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), 0);
	ipc_record_iter_init(&it, &c);
	while (ipc_record_next(&it, &got)) {
		ck_assert_uint_lt(n, N_SAMPLE_RECORDS_DHCP);
		ck_assert_uint_eq(got.type, sample_records_dhcp[n].type);
		ck_assert_mem_eq(&got.u, &sample_records_dhcp[n].u,
				 sizeof(got.u));
		n++;
	}
	ck_assert_uint_eq(n, N_SAMPLE_RECORDS_DHCP);
}
END_TEST

/* The longest values fit: a 255-byte option value (any bytes), a
 * 255-byte domain, eight addresses; a longer domain is cut. */
START_TEST(test_status_reply_dhcp_records_at_their_limits)
{
	struct ipc_record opt = {.type = IPC_REC_DHCP_OPTION};
	struct ipc_record nc = {.type = IPC_REC_NETCONF};
	struct ipc_status_builder b;
	struct ipc_status_chunk c;
	struct ipc_record_iter it;
	struct ipc_record got;
	struct ipc_msg m;
	size_t len;

	opt.u.dhcp_option.code = 254;
	opt.u.dhcp_option.value.n = IPC_BYTES_MAX;
	for (int i = 0; i < IPC_BYTES_MAX; i++)
		opt.u.dhcp_option.value.b[i] = (uint8_t)(i * 7);
	nc.u.netconf.dns.n = IPC_ADDRS_MAX;
	for (int i = 0; i < IPC_ADDRS_MAX; i++)
		nc.u.netconf.dns.a[i] = 0x0a000001u + (uint32_t)i;
	memset(nc.u.netconf.domain, 'd', IPC_DNAME_MAX);
	ipc_status_begin(&b, buf, IPC_MSG_MAX, 2, 1);
	ck_assert_int_eq(ipc_status_add(&b, &opt), 0);
	ck_assert_int_eq(ipc_status_add(&b, &nc), 0);
	len = ipc_status_finish(&b, 0, true);
	m = decode_ok(len);
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), 0);
	ipc_record_iter_init(&it, &c);
	ck_assert(ipc_record_next(&it, &got));
	ck_assert_mem_eq(&got.u.dhcp_option, &opt.u.dhcp_option,
			 sizeof(opt.u.dhcp_option));
	ck_assert(ipc_record_next(&it, &got));
	ck_assert_uint_eq(got.u.netconf.dns.n, IPC_ADDRS_MAX);
	ck_assert_uint_eq(got.u.netconf.dns.a[IPC_ADDRS_MAX - 1], 0x0a000008);
	ck_assert_uint_eq(strlen(got.u.netconf.domain), IPC_DNAME_MAX);
	ck_assert(!ipc_record_next(&it, &got));
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
		set_length(n);
		m = decode_ok(n);
		ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EBADMSG);
	}
	/* Too short for the reply fields themselves. */
	set_length(REC0 - 1);
	m = decode_ok(REC0 - 1);
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EBADMSG);
}
END_TEST

/* The record `index` of the sample reply in buf, at its header. */
static uint8_t *sample_record(size_t index)
{
	uint8_t *p = buf + REC0;
	unsigned size;
	size_t length = wire_offset(&record_header, "length", &size);

	for (size_t i = 0; i < index; i++)
		p += get_be16(p + length);
	return p;
}

/* One field of the sample reply poked out of range: in the reply's
 * head (record -1), a record's header, or a record's body. */
struct reply_poke {
	const char *what;
	int record;
	const struct wire_layout *layout;
	const char *field;
	uint64_t value;
};

static const struct reply_poke reply_pokes[] = {
    {"one record too many in the bytes", -1, &reply_head, "nrecords",
     N_SAMPLE_RECORDS - 1},
    {"one record too few", -1, &reply_head, "nrecords", N_SAMPLE_RECORDS + 1},
    {"an unknown reply flag", -1, &reply_head, "flags", 0x8000},
    {"a record shorter than its header", 0, &record_header, "length", 3},
    {"a length that disagrees with the name", 0, &record_header, "length", 16},
    {"a record running past the message", 0, &record_header, "length", 0xffff},
    {"a daemon name longer than allowed", 0, &daemon_record, "name",
     IPC_NAME_MAX + 1},
    {"a negative interface index", 1, &interface_record, "index", 0x80000000u},
    {"prefix_len 33", 1, &interface_record, "prefix_len", 33},
    {"an empty interface name", 1, &interface_record, "name", 0},
    {"an unknown route kind", 2, &route_record, "kind", IPC_ROUTE_COUNT},
    {"a route's reserved bits", 2, &route_record, "reserved", 1},
    {"an unknown ARP state", 3, &arp_record, "state", IPC_ARP_COUNT},
    {"a state past TIME_WAIT", 5, &tcp_record, "state", IPC_TCPS_COUNT},
    {"a listener flag outside LISTEN", 5, &tcp_record, "flags",
     IPC_TCP_F_LISTENER},
    {"an unknown TCP flag", 5, &tcp_record, "flags", 0x04},
};

#define N_REPLY_POKES (sizeof(reply_pokes) / sizeof(reply_pokes[0]))

static const struct wire_layout route_v2_record =
    WIRE_LAYOUT(IPC_REC_ROUTE_V2_LAYOUT);
static const struct wire_layout ready_record =
    WIRE_LAYOUT(IPC_REC_READY_LAYOUT);
static const struct wire_layout dhcp_record = WIRE_LAYOUT(IPC_REC_DHCP_LAYOUT);
static const struct wire_layout netconf_record =
    WIRE_LAYOUT(IPC_REC_NETCONF_LAYOUT);
static const struct wire_layout search_record =
    WIRE_LAYOUT(IPC_REC_SEARCH_LAYOUT);
static const struct wire_layout dhcp_option_record =
    WIRE_LAYOUT(IPC_REC_DHCP_OPTION_LAYOUT);

/* The DHCP sample's records poked out of range (record: its index in
 * sample_records_dhcp). An `addrs` field is poked at its count byte. */
static const struct reply_poke dhcp_pokes[] = {
    {"a route kind past dhcp", 0, &route_v2_record, "kind", IPC_ROUTE_COUNT},
    {"a ROUTE_V2's reserved bits", 0, &route_v2_record, "reserved", 1},
    {"a negative route ifindex", 0, &route_v2_record, "ifindex", 0x80000000u},
    {"ready 2", 1, &ready_record, "ready", 2},
    {"READY's reserved bits", 1, &ready_record, "reserved", 1},
    {"a DHCP state past REBOOTING", 2, &dhcp_record, "state", IPC_DHCP_COUNT},
    {"an unknown DHCP flag", 2, &dhcp_record, "flags", 0x08},
    {"a DHCP prefix_len 33", 2, &dhcp_record, "prefix_len", 33},
    {"a negative DHCP ifindex", 2, &dhcp_record, "ifindex", 0x80000000u},
    {"an unknown NETCONF flag", 3, &netconf_record, "flags", 0x04},
    {"an unknown address source", 3, &netconf_record, "address_source",
     IPC_SOURCE_COUNT},
    {"an unknown ntp source", 3, &netconf_record, "ntp_source",
     IPC_SOURCE_COUNT},
    {"nine DNS servers", 3, &netconf_record, "dns", IPC_ADDRS_MAX + 1},
    {"a DNS server past the count", 3, &netconf_record, "dns", 1},
    {"NETCONF's reserved bits", 3, &netconf_record, "reserved", 1},
    {"an empty search entry", 4, &search_record, "name", 0},
    {"option 0 (PAD)", 5, &dhcp_option_record, "code", 0},
    {"option 255 (END)", 5, &dhcp_option_record, "code", 255},
    {"an option value past the record", 5, &dhcp_option_record, "value", 5},
};

#define N_DHCP_POKES (sizeof(dhcp_pokes) / sizeof(dhcp_pokes[0]))

/* The record `index` of the reply in buf, at its body. */
static uint8_t *record_body(size_t index)
{
	return sample_record(index) + IPC_REC_HDR_LEN;
}

START_TEST(test_status_reply_dhcp_records_malformed_are_rejected)
{
	const struct reply_poke *t = &dhcp_pokes[_i];
	size_t len = build_dhcp_sample();
	struct ipc_status_chunk c;
	struct ipc_msg m = decode_ok(len);

	unsigned size;
	size_t at = wire_offset(t->layout, t->field, &size);

	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), 0);
	if (size == IPC_WIRE_addrs)
		record_body((size_t)t->record)[at] = (uint8_t)t->value;
	else
		wire_poke(record_body((size_t)t->record), t->layout, t->field,
			  t->value);
	ck_assert_msg(ipc_decode_status_reply(&m, &c) == -EBADMSG,
		      "%s accepted", t->what);
}
END_TEST

/* A version 1 ROUTE is connected or static: dhcp is ROUTE_V2's. */
START_TEST(test_status_reply_route_v1_has_no_dhcp_kind)
{
	size_t len = build_sample();
	struct ipc_status_chunk c;
	struct ipc_msg m = decode_ok(len);

	wire_poke(record_body(2), &route_record, "kind", IPC_ROUTE_DHCP);
	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), -EBADMSG);
}
END_TEST

START_TEST(test_status_reply_malformed_is_rejected)
{
	const struct reply_poke *t = &reply_pokes[_i];
	size_t len = build_sample();
	struct ipc_status_chunk c;
	struct ipc_msg m = decode_ok(len);
	uint8_t *p = buf + IPC_HDR_LEN;

	ck_assert_int_eq(ipc_decode_status_reply(&m, &c), 0);
	if (t->record >= 0)
		p = sample_record((size_t)t->record);
	if (t->record >= 0 && t->layout != &record_header)
		p += IPC_REC_HDR_LEN;
	wire_poke(p, t->layout, t->field, t->value);
	ck_assert_msg(ipc_decode_status_reply(&m, &c) == -EBADMSG,
		      "%s accepted", t->what);
}
END_TEST

START_TEST(test_status_reply_names_are_printable)
{
	size_t len = build_sample();
	struct ipc_status_chunk c;
	struct ipc_msg m = decode_ok(len);
	uint8_t *daemon = sample_record(0) + IPC_REC_HDR_LEN;
	unsigned size;
	size_t name = wire_offset(&daemon_record, "name", &size);

	/* the next record follows the name */
	ck_assert_ptr_eq(sample_record(1),
			 daemon + name + size +
			     strlen(sample_records[0].u.daemon.name));
	/* a NUL as the name's second byte (after its length byte) */
	daemon[name + size + 1] = 0;
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
	wire_poke(p, &record_header, "type", 200);
	wire_poke(p, &record_header, "length", 10);
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
	wire_poke(buf, &dgram_header, "flags", 0x02); /* unknown */
	ck_assert_int_eq(
	    ipc_dgram_decode(buf, IPC_DGRAM_HDR_LEN, &out, &payload, &plen),
	    -EBADMSG);
	wire_poke(buf, &dgram_header, "flags", 0);
	wire_poke(buf, &dgram_header, "reserved", 1);
	ck_assert_int_eq(
	    ipc_dgram_decode(buf, IPC_DGRAM_HDR_LEN, &out, &payload, &plen),
	    -EBADMSG);
	wire_poke(buf, &dgram_header, "reserved", 0);
	wire_poke(buf, &dgram_header, "error", 1); /* without the flag */
	ck_assert_int_eq(
	    ipc_dgram_decode(buf, IPC_DGRAM_HDR_LEN, &out, &payload, &plen),
	    -EBADMSG);
	wire_poke(buf, &dgram_header, "error", 0);
	/* the flag without an error */
	wire_poke(buf, &dgram_header, "flags", IPC_DGRAM_F_ERROR);
	ck_assert_int_eq(
	    ipc_dgram_decode(buf, IPC_DGRAM_HDR_LEN, &out, &payload, &plen),
	    -EBADMSG);
	/* not an errno */
	wire_poke(buf, &dgram_header, "error", IPC_ERRNO_MAX + 1);
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

/* ---- the TCP listening channel, the TCP record ------------------ */

START_TEST(test_accept_announcement_round_trip_and_rejections)
{
	struct ipc_accept a = {.remote_addr = 0x0a000001,
			       .remote_port = 55555,
			       .local_addr = 0x0a000002,
			       .local_port = 80,
			       .id = 3},
			  out;
	uint8_t p[IPC_ACCEPT_LEN + 1] = {0};

	/* the short form: flags 0, the 16 bytes an older side knows */
	ck_assert_uint_eq(ipc_accept_encode(p, &a), IPC_ACCEPT_SHORT_LEN);
	ck_assert_uint_eq(IPC_ACCEPT_SHORT_LEN, 16);
	memset(&out, 0xff, sizeof(out));
	ck_assert_int_eq(ipc_accept_decode(p, IPC_ACCEPT_SHORT_LEN, &out), 0);
	ck_assert_uint_eq(out.remote_addr, a.remote_addr);
	ck_assert_uint_eq(out.remote_port, 55555);
	ck_assert_uint_eq(out.local_addr, a.local_addr);
	ck_assert_uint_eq(out.local_port, 80);
	ck_assert_int_eq(out.id, 3);
	ck_assert_uint_eq(out.flags, 0);
	/* the long form, with NONBLOCK */
	a.flags = IPC_ACCEPT_F_NONBLOCK;
	ck_assert_uint_eq(ipc_accept_encode(p, &a), IPC_ACCEPT_LEN);
	ck_assert_int_eq(ipc_accept_decode(p, IPC_ACCEPT_LEN, &out), 0);
	ck_assert_uint_eq(out.flags, IPC_ACCEPT_F_NONBLOCK);
	ck_assert_int_eq(out.id, 3);
	/* other sizes, an unknown flag, a negative id */
	ck_assert_int_eq(ipc_accept_decode(p, IPC_ACCEPT_SHORT_LEN - 1, &out),
			 -EBADMSG);
	ck_assert_int_eq(ipc_accept_decode(p, IPC_ACCEPT_LEN - 1, &out),
			 -EBADMSG);
	ck_assert_int_eq(ipc_accept_decode(p, IPC_ACCEPT_LEN + 1, &out),
			 -EBADMSG);
	wire_poke(p, &accept_packet, "flags", 2);
	ck_assert_int_eq(ipc_accept_decode(p, IPC_ACCEPT_LEN, &out), -EBADMSG);
	wire_poke(p, &accept_packet, "flags", 1);
	wire_poke(p, &accept_packet, "id", 0x80000000u); /* negative */
	ck_assert_int_eq(ipc_accept_decode(p, IPC_ACCEPT_LEN, &out), -EBADMSG);
	ck_assert_int_eq(ipc_accept_decode(p, IPC_ACCEPT_SHORT_LEN, &out),
			 -EBADMSG);
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

	tc = tcase_create("messages");
	tcase_add_loop_test(tc, test_messages_round_trip_every_field, 0,
			    (int)N_ROUND_TRIPS);
	tcase_add_loop_test(tc, test_message_bodies_have_their_layouts_size, 0,
			    (int)N_MESSAGES);
	tcase_add_loop_test(tc, test_decoders_refuse_other_types, 0,
			    (int)N_MESSAGES);
	tcase_add_loop_test(tc, test_malformed_bodies_are_rejected, 0,
			    (int)N_MALFORMED);
	tcase_add_loop_test(tc, test_encoders_refuse_what_decoders_would, 0,
			    (int)N_UNSENDABLE);
	tcase_add_test(tc, test_status_and_barrier_requests_are_empty);
	suite_add_tcase(s, tc);

	tc = tcase_create("tcp");
	tcase_add_test(tc, test_accept_announcement_round_trip_and_rejections);
	suite_add_tcase(s, tc);

	tc = tcase_create("status");
	tcase_add_test(tc, test_status_reply_round_trips_every_record);
	tcase_add_test(tc, test_status_reply_owner_and_link_records);
	tcase_add_test(tc, test_status_reply_ifstats_record);
	tcase_add_test(tc, test_status_reply_sock_owner_malformed_is_rejected);
	tcase_add_test(tc, test_status_reply_dhcp_records_round_trip);
	tcase_add_test(tc, test_status_reply_dhcp_records_at_their_limits);
	tcase_add_loop_test(
	    tc, test_status_reply_dhcp_records_malformed_are_rejected, 0,
	    (int)N_DHCP_POKES);
	tcase_add_test(tc, test_status_reply_route_v1_has_no_dhcp_kind);
	tcase_add_test(tc, test_status_builder_cuts_and_cleans_strings);
	tcase_add_test(tc, test_status_builder_fills_chunks_to_the_bound);
	tcase_add_test(tc, test_status_reply_error_must_be_last_and_empty);
	tcase_add_test(tc, test_status_reply_truncated_records_are_rejected);
	tcase_add_loop_test(tc, test_status_reply_malformed_is_rejected, 0,
			    (int)N_REPLY_POKES);
	tcase_add_test(tc, test_status_reply_names_are_printable);
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
