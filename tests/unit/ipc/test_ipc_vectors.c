/*
 * test_ipc_vectors.c - the exact bytes of every control message
 *
 * libutcp is a public ABI: a client built today must keep talking to
 * every later daemon. So each message, each status record and both
 * channel headers are encoded here from values in which every field
 * differs from its neighbours, and the bytes are compared with vectors
 * captured from the encoders as they were before ipc.c was rewritten
 * over the layout lists. A change to the wire shows up here as a failed
 * vector, never silently. Each vector is also decoded and encoded
 * again, which must give the same bytes: the decoder loses nothing.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "samples.h"

/* Where every encoder writes. */
static uint8_t out[IPC_MSG_MAX];

/* ---- the values ---------------------------------------------------- */

/* Every option (a macro: a const object is no initializer in
 * standard C). */
#define OPTS                                                                   \
	{                                                                      \
		.set = IPC_TCP_OPT_ALL, .nodelay = true, .keepalive = true,    \
		.sndbuf = 0x00012345, .rcvbuf = 0x00023456,                    \
		.keepidle_s = 7200, .keepintvl_s = 75, .keepcnt = 9,           \
		.linger = true, .linger_s = 30, .maxseg = 1400, .tos = 0xb8,   \
		.ttl = 0x40,                                                   \
	}

static const struct ipc_hello hello = {.version_min = 1, .version_max = 1};
static const struct ipc_hello_reply hello_reply = {
    .capabilities = 0x00000007, .version = 1, .msg_max = IPC_MSG_MAX};
static const struct ipc_hello_reply hello_reply_refused = {
    .status = -EPROTONOSUPPORT};
static const struct ipc_udp_open udp_open = {.local_addr = 0x0a000002,
					     .local_port = 5000,
					     .remote_addr = 0xc0a80101,
					     .remote_port = 53};
static const struct ipc_udp_open_reply udp_open_reply = {
    .sock = 12, .local_addr = 0x0a000002, .local_port = 49152};
/* a failed reply carries no socket, whatever the caller left there */
static const struct ipc_udp_open_reply udp_open_reply_failed = {
    .status = -EADDRINUSE,
    .sock = 7,
    .local_addr = 0x0a000002,
    .local_port = 49152};
static const struct ipc_error error = {.status = -EOPNOTSUPP};
static const struct ipc_tcp_connect tcp_connect = {
    .local_addr = 0x0a000002,
    .local_port = 40000,
    .remote_addr = 0x5db8d822,
    .remote_port = 443,
    .timeout_ms = 30000,
    .flags = IPC_TCP_CONNECT_F_NONBLOCK,
    .opts = OPTS};
static const struct ipc_tcp_open_reply tcp_connect_reply = {
    .id = 42, .local_addr = 0x0a000002, .local_port = 40000};
static const struct ipc_tcp_open_reply tcp_connect_reply_failed = {
    .status = -ECONNREFUSED,
    .id = 42,
    .local_addr = 0x0a000002,
    .local_port = 40000};
static const struct ipc_tcp_listen tcp_listen = {
    .local_addr = 0x0a000002, .local_port = 8080, .backlog = 128, .opts = OPTS};
static const struct ipc_tcp_open_reply tcp_listen_reply = {
    .id = 3, .local_addr = 0x0a000002, .local_port = 8080};
/* The options of the first version of the block: the bytes it had,
 * then the later fields, zero. */
static const struct ipc_tcp_setopt tcp_setopt = {
    .id = 0x01020304,
    .opts = {.set = 0x7f & ~IPC_TCP_OPT_KEEPCNT,
	     .nodelay = true,
	     .keepalive = true,
	     .sndbuf = 0x00012345,
	     .rcvbuf = 0x00023456,
	     .keepidle_s = 7200,
	     .keepintvl_s = 75}};
static const struct ipc_status_only_reply tcp_setopt_reply = {.status = -EBADF};
static const struct ipc_status_only_reply barrier_reply = {.value = 0x00012345};
static const struct ipc_tcp_getopt tcp_getopt = {.id = 0x01020304};
static const struct ipc_udp_setopt udp_setopt = {
    .sock = 12, .set = IPC_UDP_OPT_ALL, .tos = 0xb8, .ttl = 17};
static const struct ipc_status_only_reply udp_setopt_reply = {.status = -EBADF};
static const struct ipc_tcp_linger tcp_linger = {.id = 0x01020304};
static const struct ipc_status_only_reply tcp_linger_reply = {.value = 1};
static const struct ipc_tcp_getopt_reply tcp_getopt_reply = {.opts = OPTS};
static const struct ipc_resolve resolve = {.want = IPC_RESOLVE_WANT_ALL,
					   .name = "ab.c"};
static const struct ipc_resolve_reply resolve_reply = {.id = 0x0102};
static const struct ipc_resolve_reply resolve_reply_failed = {.status = -EMFILE,
							      .id = 7};
/* A result and its addresses, as one channel packet. */
struct resolve_packet {
	struct ipc_resolve_result r;
	struct ipc_resolve_addr a[2];
};
static const struct resolve_packet resolve_result = {
    .r = {.id = 0x0102,
	  .status = IPC_DNS_OK,
	  .source = IPC_DNS_SRC_CACHE,
	  .naddrs = 2,
	  .server = 0x0a000001,
	  .server_port = 53,
	  .name = "x.y"},
    .a = {{.family = 4, .ttl = 300, .addr = {10, 0, 0, 7}},
	  {.family = 6,
	   .ttl = 0x01020304,
	   .addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}}}};
static const struct ipc_udp_open udp_open_own_fd = {
    .local_port = 0x0102, .flags = IPC_UDP_OPEN_F_OWN_FD};
static const struct ipc_capture capture = {
    .ifindex = 2, .snaplen = 0x40000, .count = 10};
static const struct ipc_capture_reply capture_reply = {.id = 0x01020304};
static const struct ipc_capture_stop capture_stop = {.id = 0x01020304};
static const struct ipc_capture_stop_reply capture_stop_reply = {
    .seen = 0x0102030405060708ull, .dropped = 0x0102};
/* a failed reply carries no counts, whatever the caller left there */
static const struct ipc_capture_stop_reply capture_stop_reply_failed = {
    .status = -ENOENT, .seen = 9, .dropped = 1};
static const struct ipc_tcp_info tcp_info = {.id = 0x01020304};
static const struct ipc_tcp_info_reply tcp_info_reply = {
    .id = 0x0a0b0c0d,
    .state = IPC_TCPS_ESTABLISHED,
    .flags = IPC_TCP_F_ORPHAN,
    .local_port = 40000,
    .local_addr = 0x0a000002,
    .remote_addr = 0x5db8d822,
    .remote_port = 443,
    .send_queue = 0x101,
    .recv_queue = 0x202,
    .snd_wnd = 0x303,
    .rcv_wnd = 0x404,
    .cwnd = 0x505,
    .ssthresh = 0x606,
    .mss = 1460,
    .srtt_us = 0x5152535455565758ull,
    .rttvar_us = 0x6162636465666768ull,
    .rto_ms = 0x7172737475767778ull,
    .retransmits = 0x8182838485868788ull,
    .bytes_sent = 0x9192939495969798ull,
    .bytes_received = 0xa1a2a3a4a5a6a7a8ull};
/* a failed reply carries zeros, whatever the caller left there */
static const struct ipc_tcp_info_reply tcp_info_reply_failed = {
    .status = -ENOENT, .id = 3, .mss = 1460, .bytes_sent = 9};
static const struct ipc_ping ping = {.dst = 0x0a000001,
				     .ifindex = -1,
				     .seq = 0x0102,
				     .size = 56,
				     .timeout_ms = 1000};
static const struct ipc_ping_reply ping_reply = {.from = 0x0a000001,
						 .seq = 0x0102,
						 .size = 56,
						 .ttl = 64,
						 .rtt_ns = 0x123456};
/* a failed reply carries no size or ttl, whatever the caller left */
static const struct ipc_ping_reply ping_reply_failed = {.status = -ETIMEDOUT,
							.from = 0x0a000001,
							.seq = 7,
							.size = 56,
							.ttl = 64,
							.rtt_ns = 1000000000};
/* a failed reply carries no options, whatever the caller left there */
static const struct ipc_tcp_getopt_reply tcp_getopt_reply_failed = {
    .status = -EBADF, .opts = OPTS};

#define N_RECORDS (sizeof(sample_records) / sizeof(sample_records[0]))

/* A STATUS reply: its status, and whether it carries records: the
 * first sample's, or the added one's. */
struct status_reply {
	int32_t status;
	bool records;
	bool added;
	bool dhcp;	 /* the DHCP sample's records instead */
	uint8_t version; /* 0: 1 */
};

static const struct status_reply status_reply = {.records = true};
static const struct status_reply status_reply_failed = {.status = -ENOMEM};
static const struct status_reply status_reply_added = {.records = true,
						       .added = true};
static const struct status_reply status_reply_dhcp = {
    .records = true, .dhcp = true, .version = 2};

static const struct ipc_dgram_hdr dgram = {.addr = 0x0a000001, .port = 53};
static const struct ipc_dgram_hdr dgram_error = {.addr = 0x0a000001,
						 .port = 53,
						 .flags = IPC_DGRAM_F_ERROR,
						 .error = ECONNREFUSED};
static const struct ipc_accept accept = {.remote_addr = 0x0a000001,
					 .remote_port = 51000,
					 .local_addr = 0x0a000002,
					 .local_port = 8080,
					 .id = 0x00abcdef};
static const struct ipc_accept accept_nonblock = {.remote_addr = 0x0a000001,
						  .remote_port = 51000,
						  .local_addr = 0x0a000002,
						  .local_port = 8080,
						  .id = 0x00abcdef,
						  .flags =
						      IPC_ACCEPT_F_NONBLOCK};

/* ---- the encoders under test --------------------------------------- */

/*
 * encode_<message>(value, id, from) encodes *value with request id
 * `id` into `out`, or with `from` the value decoded from that message
 * (or, for a channel packet, from its body); returns the length, or -1
 * when `from` does not decode.
 */
#define ENCODE(name, TYPE, body, LAYOUT)                                       \
	static int encode_##name(const void *value, uint32_t id,               \
				 const struct ipc_msg *from)                   \
	{                                                                      \
		struct ipc_##body v;                                           \
                                                                               \
		memcpy(&v, value, sizeof(v));                                  \
		if (from && ipc_decode_##name(from, &v))                       \
			return -1;                                             \
		return ipc_encode_##name(out, IPC_MSG_MAX, 1, id, &v);         \
	}
IPC_BODY_MESSAGES(ENCODE)

static int encode_hello(const void *value, uint32_t id,
			const struct ipc_msg *from)
{
	struct ipc_hello v = *(const struct ipc_hello *)value;

	if (from && ipc_decode_hello(from, &v))
		return -1;
	return ipc_encode_hello(out, IPC_MSG_MAX, id, &v);
}

static int encode_status(const void *value, uint32_t id,
			 const struct ipc_msg *from)
{
	if (from && ipc_decode_status(from))
		return -1;
	return ipc_encode_status(out, IPC_MSG_MAX, 1, id);
}

static int encode_barrier(const void *value, uint32_t id,
			  const struct ipc_msg *from)
{
	if (from && ipc_decode_barrier(from))
		return -1;
	return ipc_encode_barrier(out, IPC_MSG_MAX, 1, id);
}

/* Every record of `from`, or of the sample when it asks for them. */
static int encode_status_reply(const void *value, uint32_t id,
			       const struct ipc_msg *from)
{
	const struct status_reply *v = value;
	struct ipc_record r[N_RECORDS];
	struct ipc_status_builder b;
	struct ipc_status_chunk c = {.status = v->status};
	struct ipc_record_iter it;
	size_t n = !v->records ? 0
		   : v->added  ? N_SAMPLE_RECORDS_ADDED
		   : v->dhcp   ? N_SAMPLE_RECORDS_DHCP
			       : N_RECORDS;
	uint8_t version = v->version ? v->version : 1;

	_Static_assert(N_SAMPLE_RECORDS_ADDED <= N_RECORDS, "r holds them");
	_Static_assert(N_SAMPLE_RECORDS_DHCP <= N_RECORDS, "r holds them");
	if (v->added)
		memcpy(r, sample_records_added, sizeof(sample_records_added));
	else if (v->dhcp)
		memcpy(r, sample_records_dhcp, sizeof(sample_records_dhcp));
	else
		memcpy(r, sample_records, sizeof(sample_records));
	if (from) {
		if (ipc_decode_status_reply(from, &c))
			return -1;
		ipc_record_iter_init(&it, &c);
		for (n = 0; n < N_RECORDS && ipc_record_next(&it, &r[n]); n++)
			;
	}
	if (ipc_status_begin(&b, out, IPC_MSG_MAX, version, id))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (ipc_status_add(&b, &r[i]))
			return -1;
	return (int)ipc_status_finish(&b, c.status, true);
}

static int encode_dgram(const void *value, uint32_t id,
			const struct ipc_msg *from)
{
	struct ipc_dgram_hdr v = *(const struct ipc_dgram_hdr *)value;
	const uint8_t *payload;
	size_t payload_len;

	if (from && ipc_dgram_decode(from->body, from->body_len, &v, &payload,
				     &payload_len))
		return -1;
	ipc_dgram_hdr_encode(out, &v);
	return IPC_DGRAM_HDR_LEN;
}

static int encode_accept(const void *value, uint32_t id,
			 const struct ipc_msg *from)
{
	struct ipc_accept v = *(const struct ipc_accept *)value;

	if (from && ipc_accept_decode(from->body, from->body_len, &v))
		return -1;
	return (int)ipc_accept_encode(out, &v); /* the short or long form */
}

static int encode_resolve_result(const void *value, uint32_t id,
				 const struct ipc_msg *from)
{
	struct resolve_packet v = *(const struct resolve_packet *)value;

	if (from &&
	    ipc_resolve_result_decode(from->body, from->body_len, &v.r, v.a))
		return -1;
	return ipc_resolve_result_encode(out, IPC_MSG_MAX, &v.r, v.a);
}

/* ---- the vectors --------------------------------------------------- */

struct vector {
	const char *name;
	int (*encode)(const void *value, uint32_t id,
		      const struct ipc_msg *from);
	const void *value;
	uint32_t id;
	bool channel; /* a data or listening channel packet, no header */
	const char *hex;
};

/* Captured once; never edit one to make a test pass. */
static const struct vector vectors[] = {
    {"hello", encode_hello, &hello, 0x01020304, false,
     "555401000001000000000018010203040001000100000000"},
    {"hello_reply", encode_hello_reply, &hello_reply, 0xa1b2c3d4, false,
     "555401008001000000000020a1b2c3d400000000000100000000000700001000"},
    {"hello_reply_refused", encode_hello_reply, &hello_reply_refused, 2, false,
     "55540100800100000000002000000002ffffffa3000000000000000000000000"},
    {"udp_open", encode_udp_open, &udp_open, 3, false,
     "555401000002000000000020000000030a000002c0a801011388003500000000"},
    {"udp_open_reply", encode_udp_open_reply, &udp_open_reply, 4, false,
     "55540100800200000000002000000004000000000000000c0a000002c0000000"},
    {"udp_open_reply_failed", encode_udp_open_reply, &udp_open_reply_failed, 4,
     false, "55540100800200000000002000000004ffffff9effffffff0a000002c0000000"},
    {"status", encode_status, NULL, 0xdeadbeef, false,
     "555401000003000000000010deadbeef"},
    {"error", encode_error, &error, 6, false,
     "55540100ffff00000000001800000006ffffffa100000000"},
    {"tcp_connect", encode_tcp_connect, &tcp_connect, 7, false,
     "55540100000400000000004c000000070a0000025db8d8229c4001bb00007530"
     "00000001000007ff00000007000123450002345600001c200000004b00000009"
     "0000001e00000578b8400000"},
    {"tcp_connect_reply", encode_tcp_connect_reply, &tcp_connect_reply, 7,
     false, "55540100800400000000002000000007000000000000002a0a0000029c400000"},
    {"tcp_connect_reply_failed", encode_tcp_connect_reply,
     &tcp_connect_reply_failed, 7, false,
     "55540100800400000000002000000007ffffff91ffffffff0000000000000000"},
    {"tcp_listen", encode_tcp_listen, &tcp_listen, 8, false,
     "555401000005000000000048000000080a0000021f9000000000008000000000"
     "000007ff00000007000123450002345600001c200000004b00000009"
     "0000001e00000578b8400000"},
    {"tcp_listen_reply", encode_tcp_listen_reply, &tcp_listen_reply, 8, false,
     "5554010080050000000000200000000800000000000000030a0000021f900000"},
    {"tcp_setopt", encode_tcp_setopt, &tcp_setopt, 9, false,
     "55540100000600000000003c00000009010203040000003f0000000300012345"
     "0002345600001c200000004b00000000000000000000000000000000"},
    {"tcp_setopt_reply", encode_tcp_setopt_reply, &tcp_setopt_reply, 9, false,
     "55540100800600000000001800000009fffffff700000000"},
    {"barrier", encode_barrier, NULL, 10, false,
     "5554010000070000000000100000000a"},
    {"barrier_reply", encode_barrier_reply, &barrier_reply, 10, false,
     "5554010080070000000000180000000a0000000000012345"},
    {"status_reply", encode_status_reply, &status_reply, 11, false,
     "5554010080030000000001580000000b00000000000100080001001401020304"
     "050607080775746370642d310002002000000002000005dc0a0000020a000001"
     "02005e10203018047461703000030014c0a800000a0000fe0000000310010000"
     "000400200a00000100000004111213141516171800000005525400abcdef0100"
     "0005003800000006110014e90a00000208080808003500000000000700010203"
     "2122232425262728313233343536373841424344454647480008006800000008"
     "05029c400a0000025db8d82201bb000000000101000002020000030300000404"
     "0000050500000606000005b40000070751525354555657586162636465666768"
     "717273747576777881828384858687889192939495969798a1a2a3a4a5a6a7a8"
     "0006001c0000000100000002000000030000000400000005000000060007001c"
     "b1b2b3b4b5b6b7b80f7463705f72785f7365676d656e7473"},
    {"status_reply_added", encode_status_reply, &status_reply_added, 13, false,
     "5554010080030000000000540000000d000000000001000200090018000003e8"
     "00000011000021220000003141424344000a00240000000901000000c1c2c3c4"
     "c5c6c7c8d1d2d3d4d5d6d7d8e1e2e3e4e5e6e7e8"},
    {"status_reply_dhcp", encode_status_reply, &status_reply_dhcp, 16, false,
     "555402008003000000000175000000100000000000010007000b0018c0a80000"
     "0a0000fe000000030102030410020000000c0010010000000000000000001234"
     "000d00a400000001060318000a0000320a00000100000e100000070800000c4e"
     "0000057800000000000000110000000000002122ffffffffffffffff00000000"
     "0000003100000000000000320000000000000033000000000000003400000000"
     "0000004100000000000000420000000000000043000000000000005100000000"
     "0000005200000000000000530000000000000054000000000000005500000000"
     "00000056000e0067000000010302020101020202000002020a00000102080808"
     "0801010101000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000c65"
     "78616d706c652e74657374000f000f0000000106612e746573740010000e0000"
     "00010104ffffff000010000d00000001e003000aff"},
    {"status_reply_failed", encode_status_reply, &status_reply_failed, 12,
     false, "5554010080030000000000180000000cfffffff400010000"},
    {"dgram", encode_dgram, &dgram, 0, true, "0a0000010035000000000000"},
    {"dgram_error", encode_dgram, &dgram_error, 0, true,
     "0a000001003501000000006f"},
    {"accept", encode_accept, &accept, 0, true,
     "0a000001c7381f900a00000200abcdef"},
    {"accept_nonblock", encode_accept, &accept_nonblock, 0, true,
     "0a000001c7381f900a00000200abcdef00000001"},
    {"tcp_getopt", encode_tcp_getopt, &tcp_getopt, 13, false,
     "5554010000080000000000180000000d0102030400000000"},
    {"tcp_getopt_reply", encode_tcp_getopt_reply, &tcp_getopt_reply, 13, false,
     "5554010080080000000000400000000d0000000000000000"
     "000007ff00000007000123450002345600001c200000004b00000009"
     "0000001e00000578b8400000"},
    {"tcp_getopt_reply_failed", encode_tcp_getopt_reply,
     &tcp_getopt_reply_failed, 13, false,
     "5554010080080000000000400000000dfffffff700000000"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000"},
    {"udp_setopt", encode_udp_setopt, &udp_setopt, 14, false,
     "55540100000900000000001c0000000e0000000c00000003b8110000"},
    {"udp_setopt_reply", encode_udp_setopt_reply, &udp_setopt_reply, 14, false,
     "5554010080090000000000180000000efffffff700000000"},
    {"tcp_linger", encode_tcp_linger, &tcp_linger, 15, false,
     "55540100000a0000000000180000000f0102030400000000"},
    {"tcp_linger_reply", encode_tcp_linger_reply, &tcp_linger_reply, 15, false,
     "55540100800a0000000000180000000f0000000000000001"},
    {"resolve", encode_resolve, &resolve, 16, false,
     "55540100000b00000000011400000010030000000461622e6300000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000"},
    {"resolve_reply", encode_resolve_reply, &resolve_reply, 16, false,
     "55540100800b000000000018000000100000000000000102"},
    {"resolve_reply_failed", encode_resolve_reply, &resolve_reply_failed, 16,
     false, "55540100800b00000000001800000010ffffffe8ffffffff"},
    {"resolve_result", encode_resolve_result, &resolve_result, 0, true,
     "00000102000100020a0000010035000003782e79040000000000012c0a000007"
     "000000000000000000000000060000000102030420010db80000000000000000"
     "00000001"},
    {"udp_open_own_fd", encode_udp_open, &udp_open_own_fd, 17, false,
     "5554010000020000000000200000001100000000000000000102000000000001"},
    {"tcp_info", encode_tcp_info, &tcp_info, 18, false,
     "55540100000c000000000018000000120102030400000000"},
    {"tcp_info_reply", encode_tcp_info_reply, &tcp_info_reply, 18, false,
     "55540100800c00000000007c0000001200000000000000000a0b0c0d04029c40"
     "0a0000025db8d82201bb00000000010100000202000003030000040400000505"
     "00000606000005b4000000005152535455565758616263646566676871727374"
     "7576777881828384858687889192939495969798a1a2a3a4a5a6a7a8"},
    {"tcp_info_reply_failed", encode_tcp_info_reply, &tcp_info_reply_failed, 18,
     false,
     "55540100800c00000000007c00000012fffffffe000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000"
     "00000000000000000000000000000000000000000000000000000000"},
    {"capture", encode_capture, &capture, 19, false,
     "55540100000d000000000020000000130000000200040000"
     "0000000a00000000"},
    {"capture_reply", encode_capture_reply, &capture_reply, 19, false,
     "55540100800d000000000018000000130000000001020304"},
    {"capture_stop", encode_capture_stop, &capture_stop, 19, false,
     "55540100000e000000000018000000130102030400000000"},
    {"capture_stop_reply", encode_capture_stop_reply, &capture_stop_reply, 19,
     false,
     "55540100800e00000000002800000013000000000000000001020304050607080000"
     "000000000102"},
    {"capture_stop_reply_failed", encode_capture_stop_reply,
     &capture_stop_reply_failed, 19, false,
     "55540100800e00000000002800000013fffffffe0000000000000000000000000000"
     "000000000000"},
    {"ping", encode_ping, &ping, 19, false,
     "55540100000f00000000002000000013"
     "0a000001ffffffff01020038000003e8"},
    {"ping_reply", encode_ping_reply, &ping_reply, 19, false,
     "55540100800f00000000002800000013"
     "000000000a00000101020038400000000000000000123456"},
    {"ping_reply_failed", encode_ping_reply, &ping_reply_failed, 19, false,
     "55540100800f00000000002800000013"
     "ffffff920a0000010007000000000000000000003b9aca00"},
};

#define N_VECTORS (sizeof(vectors) / sizeof(vectors[0]))

static void to_hex(char *hex, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", p[i]);
	hex[2 * n] = '\0';
}

/* The encoder writes exactly the bytes it wrote when the layout was
 * fixed. */
START_TEST(test_encoders_write_the_recorded_bytes)
{
	static char hex[2 * IPC_MSG_MAX + 1];
	const struct vector *v = &vectors[_i];
	int len;

	memset(out, 0xee, IPC_MSG_MAX);
	len = v->encode(v->value, v->id, NULL);
	ck_assert_int_gt(len, 0);
	to_hex(hex, out, (size_t)len);
	ck_assert_msg(strcmp(hex, v->hex) == 0, "%s:\n got %s\nwant %s",
		      v->name, hex, v->hex);
}
END_TEST

/* Decoding the recorded bytes and encoding the result gives the same
 * bytes: the decoder loses nothing the encoder wrote. */
START_TEST(test_decoders_read_back_the_recorded_bytes)
{
	const struct vector *v = &vectors[_i];
	static uint8_t in[IPC_MSG_MAX];
	size_t len = strlen(v->hex) / 2;
	struct ipc_msg m = {0};
	unsigned byte;

	for (size_t i = 0; i < len; i++) {
		ck_assert_int_eq(sscanf(v->hex + 2 * i, "%2x", &byte), 1);
		in[i] = (uint8_t)byte;
	}
	if (v->channel) {
		m.body = in;
		m.body_len = len;
	} else {
		ck_assert_int_eq(ipc_msg_decode(in, len, &m), 0);
	}
	memset(out, 0xee, IPC_MSG_MAX);
	ck_assert_int_eq(v->encode(v->value, v->id, &m), (int)len);
	ck_assert_msg(memcmp(in, out, len) == 0, "%s changed", v->name);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ipc_vectors");
	TCase *tc = tcase_create("vectors");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_encoders_write_the_recorded_bytes, 0,
			    (int)N_VECTORS);
	tcase_add_loop_test(tc, test_decoders_read_back_the_recorded_bytes, 0,
			    (int)N_VECTORS);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
