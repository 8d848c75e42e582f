/*
 * test_ipc_vectors.c - the exact bytes of every control message
 *
 * libutcp is a public ABI: a client built today must keep talking to
 * every later daemon. So each message, each status record and both
 * channel headers are encoded here from values in which every field
 * differs from its neighbours, and the bytes are compared with vectors
 * captured from the encoders as they were when the layout was first
 * written down. A change to the wire shows up here as a failed vector,
 * never silently. Each vector is also decoded back to the values it
 * came from.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"

/* Where every encoder writes. */
static uint8_t out[IPC_MSG_MAX];

/* ---- the values ---------------------------------------------------- */

static const struct ipc_tcp_opts opts = {
    .set = IPC_TCP_OPT_ALL,
    .nodelay = true,
    .keepalive = true,
    .sndbuf = 0x00012345,
    .rcvbuf = 0x00023456,
    .keepidle_s = 7200,
    .keepintvl_s = 75,
    .keepcnt = 9,
};

static int enc_hello(const struct ipc_msg *from)
{
	struct ipc_hello h = {.version_min = 1, .version_max = 1};

	if (from && ipc_decode_hello(from, &h))
		return -1;
	return ipc_encode_hello(out, IPC_MSG_MAX, 0x01020304, &h);
}

static int enc_hello_reply(const struct ipc_msg *from)
{
	struct ipc_hello_reply r = {.status = 0,
				    .version = 1,
				    .capabilities = 0x00000007,
				    .msg_max = IPC_MSG_MAX};

	if (from && ipc_decode_hello_reply(from, &r))
		return -1;
	return ipc_encode_hello_reply(out, IPC_MSG_MAX, 1, 0xa1b2c3d4, &r);
}

static int enc_hello_reply_refused(const struct ipc_msg *from)
{
	struct ipc_hello_reply r = {.status = -EPROTONOSUPPORT};

	if (from && ipc_decode_hello_reply(from, &r))
		return -1;
	return ipc_encode_hello_reply(out, IPC_MSG_MAX, 1, 2, &r);
}

static int enc_udp_open(const struct ipc_msg *from)
{
	struct ipc_udp_open o = {.local_addr = 0x0a000002,
				 .local_port = 5000,
				 .remote_addr = 0xc0a80101,
				 .remote_port = 53};

	if (from && ipc_decode_udp_open(from, &o))
		return -1;
	return ipc_encode_udp_open(out, IPC_MSG_MAX, 1, 3, &o);
}

static int enc_udp_open_reply(const struct ipc_msg *from)
{
	struct ipc_udp_open_reply r = {.status = 0,
				       .sock = 12,
				       .local_addr = 0x0a000002,
				       .local_port = 49152};

	if (from && ipc_decode_udp_open_reply(from, &r))
		return -1;
	return ipc_encode_udp_open_reply(out, IPC_MSG_MAX, 1, 4, &r);
}

static int enc_udp_open_reply_failed(const struct ipc_msg *from)
{
	struct ipc_udp_open_reply r = {.status = -EADDRINUSE,
				       .sock = 7,
				       .local_addr = 0x0a000002,
				       .local_port = 49152};

	if (from && ipc_decode_udp_open_reply(from, &r))
		return -1;
	return ipc_encode_udp_open_reply(out, IPC_MSG_MAX, 1, 4, &r);
}

static int enc_status(const struct ipc_msg *from)
{
	if (from && ipc_decode_status(from))
		return -1;
	return ipc_encode_status(out, IPC_MSG_MAX, 1, 0xdeadbeef);
}

static int enc_error(const struct ipc_msg *from)
{
	struct ipc_error e = {.status = -EOPNOTSUPP};

	if (from && ipc_decode_error(from, &e))
		return -1;
	return ipc_encode_error(out, IPC_MSG_MAX, 1, 6, &e);
}

static int enc_tcp_connect(const struct ipc_msg *from)
{
	struct ipc_tcp_connect c = {.local_addr = 0x0a000002,
				    .local_port = 40000,
				    .remote_addr = 0x5db8d822,
				    .remote_port = 443,
				    .timeout_ms = 30000,
				    .flags = IPC_TCP_CONNECT_F_NONBLOCK,
				    .opts = opts};

	if (from && ipc_decode_tcp_connect(from, &c))
		return -1;
	return ipc_encode_tcp_connect(out, IPC_MSG_MAX, 1, 7, &c);
}

static int enc_tcp_connect_reply(const struct ipc_msg *from)
{
	struct ipc_tcp_open_reply r = {.status = 0,
				       .id = 42,
				       .local_addr = 0x0a000002,
				       .local_port = 40000};

	if (from && ipc_decode_tcp_connect_reply(from, &r))
		return -1;
	return ipc_encode_tcp_connect_reply(out, IPC_MSG_MAX, 1, 7, &r);
}

static int enc_tcp_connect_reply_failed(const struct ipc_msg *from)
{
	struct ipc_tcp_open_reply r = {.status = -ECONNREFUSED,
				       .id = 42,
				       .local_addr = 0x0a000002,
				       .local_port = 40000};

	if (from && ipc_decode_tcp_connect_reply(from, &r))
		return -1;
	return ipc_encode_tcp_connect_reply(out, IPC_MSG_MAX, 1, 7, &r);
}

static int enc_tcp_listen(const struct ipc_msg *from)
{
	struct ipc_tcp_listen l = {.local_addr = 0x0a000002,
				   .local_port = 8080,
				   .backlog = 128,
				   .opts = opts};

	if (from && ipc_decode_tcp_listen(from, &l))
		return -1;
	return ipc_encode_tcp_listen(out, IPC_MSG_MAX, 1, 8, &l);
}

static int enc_tcp_listen_reply(const struct ipc_msg *from)
{
	struct ipc_tcp_open_reply r = {
	    .status = 0, .id = 3, .local_addr = 0x0a000002, .local_port = 8080};

	if (from && ipc_decode_tcp_listen_reply(from, &r))
		return -1;
	return ipc_encode_tcp_listen_reply(out, IPC_MSG_MAX, 1, 8, &r);
}

static int enc_tcp_setopt(const struct ipc_msg *from)
{
	struct ipc_tcp_setopt o = {.id = 0x01020304, .opts = opts};

	o.opts.set &= ~IPC_TCP_OPT_KEEPCNT;
	o.opts.keepcnt = 0;
	if (from && ipc_decode_tcp_setopt(from, &o))
		return -1;
	return ipc_encode_tcp_setopt(out, IPC_MSG_MAX, 1, 9, &o);
}

static int enc_tcp_setopt_reply(const struct ipc_msg *from)
{
	struct ipc_status_only_reply r = {.status = -EBADF};

	if (from && ipc_decode_tcp_setopt_reply(from, &r))
		return -1;
	return ipc_encode_tcp_setopt_reply(out, IPC_MSG_MAX, 1, 9, &r);
}

static int enc_barrier(const struct ipc_msg *from)
{
	if (from && ipc_decode_barrier(from))
		return -1;
	return ipc_encode_barrier(out, IPC_MSG_MAX, 1, 10);
}

static int enc_barrier_reply(const struct ipc_msg *from)
{
	struct ipc_status_only_reply r = {.status = 0, .value = 0x00012345};

	if (from && ipc_decode_barrier_reply(from, &r))
		return -1;
	return ipc_encode_barrier_reply(out, IPC_MSG_MAX, 1, 10, &r);
}

/* One record of each type, every field set. */
static void fill_every_record(struct ipc_record r[8])
{
	memset(r, 0, 8 * sizeof(*r));
	r[0].type = IPC_REC_DAEMON;
	r[0].u.daemon.uptime_ms = 0x0102030405060708ull;
	strcpy(r[0].u.daemon.name, "utcpd-1");
	r[1].type = IPC_REC_INTERFACE;
	r[1].u.iface.index = 2;
	strcpy(r[1].u.iface.name, "tap0");
	memcpy(r[1].u.iface.mac, "\x02\x00\x5e\x10\x20\x30", 6);
	r[1].u.iface.mtu = 1500;
	r[1].u.iface.addr = 0x0a000002;
	r[1].u.iface.prefix_len = 24;
	r[1].u.iface.gateway = 0x0a000001;
	r[2].type = IPC_REC_ROUTE;
	r[2].u.route.dst = 0xc0a80000;
	r[2].u.route.prefix_len = 16;
	r[2].u.route.gateway = 0x0a0000fe;
	r[2].u.route.ifindex = 3;
	r[2].u.route.kind = IPC_ROUTE_STATIC;
	r[3].type = IPC_REC_ARP;
	r[3].u.arp.addr = 0x0a000001;
	memcpy(r[3].u.arp.mac, "\x52\x54\x00\xab\xcd\xef", 6);
	r[3].u.arp.ifindex = 4;
	r[3].u.arp.state = IPC_ARP_REACHABLE;
	r[3].u.arp.expires_ms = 0x1112131415161718ull;
	r[3].u.arp.queued = 5;
	r[4].type = IPC_REC_SOCKET;
	r[4].u.socket.id = 6;
	r[4].u.socket.protocol = IPC_PROTO_UDP;
	r[4].u.socket.local_addr = 0x0a000002;
	r[4].u.socket.local_port = 5353;
	r[4].u.socket.remote_addr = 0x08080808;
	r[4].u.socket.remote_port = 53;
	r[4].u.socket.recv_queue = 7;
	r[4].u.socket.recv_bytes = 0x00010203;
	r[4].u.socket.rx = 0x2122232425262728ull;
	r[4].u.socket.tx = 0x3132333435363738ull;
	r[4].u.socket.drops = 0x4142434445464748ull;
	r[5].type = IPC_REC_TCP;
	r[5].u.tcp.id = 8;
	r[5].u.tcp.state = IPC_TCPS_FIN_WAIT_1;
	r[5].u.tcp.flags = IPC_TCP_F_ORPHAN;
	r[5].u.tcp.local_addr = 0x0a000002;
	r[5].u.tcp.remote_addr = 0x5db8d822;
	r[5].u.tcp.local_port = 40000;
	r[5].u.tcp.remote_port = 443;
	r[5].u.tcp.send_queue = 0x101;
	r[5].u.tcp.recv_queue = 0x202;
	r[5].u.tcp.snd_wnd = 0x303;
	r[5].u.tcp.rcv_wnd = 0x404;
	r[5].u.tcp.cwnd = 0x505;
	r[5].u.tcp.ssthresh = 0x606;
	r[5].u.tcp.mss = 1460;
	r[5].u.tcp.backlog = 0x707;
	r[5].u.tcp.srtt_us = 0x5152535455565758ull;
	r[5].u.tcp.rttvar_us = 0x6162636465666768ull;
	r[5].u.tcp.rto_ms = 0x7172737475767778ull;
	r[5].u.tcp.retransmits = 0x8182838485868788ull;
	r[5].u.tcp.bytes_sent = 0x9192939495969798ull;
	r[5].u.tcp.bytes_received = 0xa1a2a3a4a5a6a7a8ull;
	r[6].type = IPC_REC_POOL;
	r[6].u.pool.small_in_use = 1;
	r[6].u.pool.small_allocated = 2;
	r[6].u.pool.small_max = 3;
	r[6].u.pool.large_in_use = 4;
	r[6].u.pool.large_allocated = 5;
	r[6].u.pool.large_max = 6;
	r[7].type = IPC_REC_COUNTER;
	strcpy(r[7].u.counter.name, "tcp_rx_segments");
	r[7].u.counter.value = 0xb1b2b3b4b5b6b7b8ull;
}

/* Re-adds every record of a decoded reply, or the sample records. */
static int enc_status_reply(const struct ipc_msg *from)
{
	struct ipc_status_builder b;
	struct ipc_status_chunk c;
	struct ipc_record_iter it;
	struct ipc_record r[8];
	int n = 8;

	fill_every_record(r);
	if (from) {
		if (ipc_decode_status_reply(from, &c))
			return -1;
		ipc_record_iter_init(&it, &c);
		for (n = 0; n < 8 && ipc_record_next(&it, &r[n]); n++)
			;
	}
	if (ipc_status_begin(&b, out, IPC_MSG_MAX, 1, 11))
		return -1;
	for (int i = 0; i < n; i++)
		if (ipc_status_add(&b, &r[i]))
			return -1;
	return (int)ipc_status_finish(&b, 0, true);
}

static int enc_status_reply_failed(const struct ipc_msg *from)
{
	struct ipc_status_builder b;
	struct ipc_status_chunk c = {.status = -ENOMEM};

	if (from && ipc_decode_status_reply(from, &c))
		return -1;
	if (ipc_status_begin(&b, out, IPC_MSG_MAX, 1, 12))
		return -1;
	return (int)ipc_status_finish(&b, c.status, true);
}

/* The channel packets are no control messages: `from` then holds the
 * whole packet as its body. */
static int enc_dgram(const struct ipc_msg *from)
{
	struct ipc_dgram_hdr h = {.addr = 0x0a000001, .port = 53};
	const uint8_t *payload;
	size_t payload_len;

	if (from && ipc_dgram_decode(from->body, from->body_len, &h, &payload,
				     &payload_len))
		return -1;
	ipc_dgram_hdr_encode(out, &h);
	return IPC_DGRAM_HDR_LEN;
}

static int enc_dgram_error(const struct ipc_msg *from)
{
	struct ipc_dgram_hdr h = {.addr = 0x0a000001,
				  .port = 53,
				  .flags = IPC_DGRAM_F_ERROR,
				  .error = ECONNREFUSED};
	const uint8_t *payload;
	size_t payload_len;

	if (from && ipc_dgram_decode(from->body, from->body_len, &h, &payload,
				     &payload_len))
		return -1;
	ipc_dgram_hdr_encode(out, &h);
	return IPC_DGRAM_HDR_LEN;
}

static int enc_accept(const struct ipc_msg *from)
{
	struct ipc_accept a = {.remote_addr = 0x0a000001,
			       .remote_port = 51000,
			       .local_addr = 0x0a000002,
			       .local_port = 8080,
			       .id = 0x00abcdef};

	if (from && ipc_accept_decode(from->body, from->body_len, &a))
		return -1;
	ipc_accept_encode(out, &a);
	return IPC_ACCEPT_LEN;
}

/* ---- the vectors --------------------------------------------------- */

struct vector {
	const char *name;
	/* Encodes the sample values into `out`, or with `from` the values
	 * decoded from it; returns the length or -1. */
	int (*encode)(const struct ipc_msg *from);
	bool channel; /* a data or listening channel packet, no header */
	const char *hex;
};

static const struct vector vectors[] = {
    {"hello", enc_hello, false,
     "555401000001000000000018010203040001000100000000"},
    {"hello_reply", enc_hello_reply, false,
     "555401008001000000000020a1b2c3d400000000000100000000000700001000"},
    {"hello_reply_refused", enc_hello_reply_refused, false,
     "55540100800100000000002000000002ffffffa3000000000000000000000000"},
    {"udp_open", enc_udp_open, false,
     "555401000002000000000020000000030a000002c0a801011388003500000000"},
    {"udp_open_reply", enc_udp_open_reply, false,
     "55540100800200000000002000000004000000000000000c0a000002c0000000"},
    {"udp_open_reply_failed", enc_udp_open_reply_failed, false,
     "55540100800200000000002000000004ffffff9effffffff0a000002c0000000"},
    {"status", enc_status, false, "555401000003000000000010deadbeef"},
    {"error", enc_error, false,
     "55540100ffff00000000001800000006ffffffa100000000"},
    {"tcp_connect", enc_tcp_connect, false,
     "555401000004000000000040000000070a0000025db8d8229c4001bb00007530000000010"
     "000007f00000003000123450002345600001c200000004b00000009"},
    {"tcp_connect_reply", enc_tcp_connect_reply, false,
     "55540100800400000000002000000007000000000000002a0a0000029c400000"},
    {"tcp_connect_reply_failed", enc_tcp_connect_reply_failed, false,
     "55540100800400000000002000000007ffffff91ffffffff0000000000000000"},
    {"tcp_listen", enc_tcp_listen, false,
     "55540100000500000000003c000000080a0000021f90000000000080000000000000007f0"
     "0000003000123450002345600001c200000004b00000009"},
    {"tcp_listen_reply", enc_tcp_listen_reply, false,
     "5554010080050000000000200000000800000000000000030a0000021f900000"},
    {"tcp_setopt", enc_tcp_setopt, false,
     "55540100000600000000003000000009010203040000003f0000000300012345000234560"
     "0001c200000004b00000000"},
    {"tcp_setopt_reply", enc_tcp_setopt_reply, false,
     "55540100800600000000001800000009fffffff700000000"},
    {"barrier", enc_barrier, false, "5554010000070000000000100000000a"},
    {"barrier_reply", enc_barrier_reply, false,
     "5554010080070000000000180000000a0000000000012345"},
    {"status_reply", enc_status_reply, false,
     "5554010080030000000001580000000b00000000000100080001001401020304050607080"
     "775746370642d310002002000000002000005dc0a0000020a00000102005e102030180474"
     "61703000030014c0a800000a0000fe0000000310010000000400200a00000100000004111"
     "213141516171800000005525400abcdef01000005003800000006110014e90a0000020808"
     "0808003500000000000700010203212223242526272831323334353637384142434445464"
     "748000800680000000805029c400a0000025db8d82201bb00000000010100000202000003"
     "03000004040000050500000606000005b4000007075152535455565758616263646566676"
     "8717273747576777881828384858687889192939495969798a1a2a3a4a5a6a7a80006001c"
     "0000000100000002000000030000000400000005000000060007001cb1b2b3b4b5b6b7b80"
     "f7463705f72785f7365676d656e7473"},
    {"status_reply_failed", enc_status_reply_failed, false,
     "5554010080030000000000180000000cfffffff400010000"},
    {"dgram", enc_dgram, true, "0a0000010035000000000000"},
    {"dgram_error", enc_dgram_error, true, "0a000001003501000000006f"},
    {"accept", enc_accept, true, "0a000001c7381f900a00000200abcdef"},
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
	len = v->encode(NULL);
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
	ck_assert_int_eq(v->encode(&m), (int)len);
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
