/*
 * fuzz_ipc.c - libFuzzer harness for every ipc/ decoder
 *
 * The input is offered whole to each decoder, as the daemon and the
 * client library would meet it: as a control message (header, then the
 * body decoder of every type, whatever the header's type says, so each
 * body decoder sees arbitrary bodies), as a UDP data-channel packet and
 * as a TCP listener's accept announcement.
 * Each input is also wrapped in a valid header (decode_as_body) so that
 * the fuzzer reaches the body and record parsers quickly. What a
 * decoder accepts must be consistent: a status reply's records
 * iterate to exactly the checked bytes, and a fixed-size message that
 * decodes re-encodes to the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

#define ROUND_TRIP(name, TYPE, body, LAYOUT)                                   \
	if (len < 0) {                                                         \
		struct ipc_##body v;                                           \
		if (ipc_decode_##name(m, &v) == 0)                             \
			len = ipc_encode_##name(out, sizeof(out), m->version,  \
						m->id, &v);                    \
	}

/* Re-encodes a decoded fixed-size message and compares. */
static void round_trip(const uint8_t *data, size_t size,
		       const struct ipc_msg *m)
{
	uint8_t out[IPC_MSG_MAX];
	struct ipc_hello hello;
	int len = -1;

	if (ipc_decode_hello(m, &hello) == 0 && m->version == IPC_VERSION_MIN)
		len = ipc_encode_hello(out, sizeof(out), m->id, &hello);
	else if (ipc_decode_status(m) == 0)
		len = ipc_encode_status(out, sizeof(out), m->version, m->id);
	else if (ipc_decode_barrier(m) == 0)
		len = ipc_encode_barrier(out, sizeof(out), m->version, m->id);
	IPC_BODY_MESSAGES(ROUND_TRIP)
	if (len < 0)
		return;
	check((size_t)len == size && memcmp(out, data, size) == 0);
}

/* A status reply's records iterate to exactly its checked bytes. */
static void check_status_reply(const struct ipc_msg *m, const uint8_t *end)
{
	struct ipc_status_chunk chunk;
	struct ipc_record_iter it;
	struct ipc_record r;
	size_t seen = 0;

	if (ipc_decode_status_reply(m, &chunk) != 0)
		return;
	check(chunk.records + chunk.records_len == end);
	ipc_record_iter_init(&it, &chunk);
	while (ipc_record_next(&it, &r)) {
		check(r.type >= IPC_REC_DAEMON &&
		      r.type <= IPC_REC_DHCP_OPTION);
		check(r.type != IPC_REC_ROUTE_V2 ||
		      r.u.route_v2.kind < IPC_ROUTE_COUNT);
		check(r.type != IPC_REC_NETCONF ||
		      (r.u.netconf.dns.n <= IPC_ADDRS_MAX &&
		       r.u.netconf.ntp.n <= IPC_ADDRS_MAX));
		check(r.type != IPC_REC_TCP ||
		      (r.u.tcp.state < IPC_TCPS_COUNT && r.u.tcp.id >= 0));
		seen++;
	}
	check(seen <= chunk.nrecords);
	check(it.left == 0);
}

#define TYPE_OF(name, TYPE, body, LAYOUT) TYPE,
#define DECODE(name, TYPE, body, LAYOUT)                                       \
	{                                                                      \
		struct ipc_##body v;                                           \
		(void)ipc_decode_##name(m, &v);                                \
	}

/* Every type a body may be read as: each request and reply, and one
 * unknown. */
static const uint16_t types[] = {
    IPC_T_HELLO,   IPC_T_STATUS, IPC_T_STATUS_REPLY,
    IPC_T_BARRIER, 0x0042,	 IPC_BODY_MESSAGES(TYPE_OF)};

#define N_TYPES (sizeof(types) / sizeof(types[0]))

/* Every body decoder on one message. */
static void decode_body(const struct ipc_msg *m, const uint8_t *end)
{
	struct ipc_hello hello;

	(void)ipc_decode_hello(m, &hello);
	(void)ipc_decode_status(m);
	(void)ipc_decode_barrier(m);
	IPC_BODY_MESSAGES(DECODE)
	check_status_reply(m, end);
}

/* Decodes one message with every decoder and checks what they accept. */
static void decode_all(const uint8_t *data, size_t size)
{
	struct ipc_msg m;
	struct ipc_dgram_hdr dg;
	const uint8_t *payload;
	size_t payload_len;
	struct ipc_accept accept;

	if (ipc_msg_decode(data, size, &m) == 0) {
		check(m.body + m.body_len == data + size);
		round_trip(data, size, &m);
		/* every body decoder, whatever the type says */
		for (size_t t = 0; t < N_TYPES; t++) {
			struct ipc_msg any = m;

			any.type = types[t];
			decode_body(&any, data + size);
		}
	}

	if (ipc_dgram_decode(data, size, &dg, &payload, &payload_len) == 0) {
		check(payload + payload_len == data + size);
		check(payload_len <= IPC_UDP_PAYLOAD_MAX);
		check(!(dg.flags & IPC_DGRAM_F_ERROR) ||
		      (payload_len == 0 && dg.error > 0));
	}
	if (size >= IPC_DGRAM_HDR_LEN)
		(void)ipc_dgram_hdr_decode(data, size - IPC_DGRAM_HDR_LEN, &dg);

	if (ipc_accept_decode(data, size, &accept) == 0) {
		uint8_t again[IPC_ACCEPT_LEN];
		size_t n;

		check(
		    (size == IPC_ACCEPT_LEN || size == IPC_ACCEPT_SHORT_LEN) &&
		    accept.id >= 0);
		/* Re-encoded, the same bytes; the long form without flags
		 * comes back in the short one (its flags field was zero). */
		n = ipc_accept_encode(again, &accept);
		check(n == size ||
		      (n == IPC_ACCEPT_SHORT_LEN && !accept.flags));
		check(memcmp(again, data, n) == 0);
	}
}

/* A header of any type, version and length, written field by field in
 * IPC_HEADER_LAYOUT's order. */
struct header {
	IPC_STRUCT(IPC_HEADER_LAYOUT)
};

static uint8_t *put_u8(uint8_t *p, uint8_t v)
{
	*p = v;
	return p + 1;
}

static uint8_t *put_u16(uint8_t *p, uint16_t v)
{
	put_be16(p, v);
	return p + 2;
}

static uint8_t *put_u32(uint8_t *p, uint32_t v)
{
	put_be32(p, v);
	return p + 4;
}

#define PUT_FIELD(kind, name)	 p = put_##kind(p, h->name);
#define PUT_RESERVED(kind, name) p = put_##kind(p, 0);

static void put_header(uint8_t *p, const struct header *h)
{
	IPC_HEADER_LAYOUT(PUT_FIELD, PUT_RESERVED)
}

/*
 * Random bytes rarely make a valid header (magic, and a length field
 * equal to the size), so each input is also tried as a body: the first
 * byte picks a type, the second a version, the rest is the body, and
 * the harness writes a correct header in front. That takes the fuzzer
 * straight to the body and record parsers.
 */
static void decode_as_body(const uint8_t *data, size_t size)
{
	static uint8_t msg[IPC_MSG_MAX];
	struct header h = {.magic = IPC_MAGIC, .id = 1};
	size_t body_len;

	if (size < 2)
		return;
	body_len = size - 2;
	if (body_len > IPC_MSG_MAX - IPC_HDR_LEN)
		body_len = IPC_MSG_MAX - IPC_HDR_LEN;
	h.type = types[data[0] % N_TYPES];
	h.version = data[1] & 3; /* mostly version 1, sometimes not */
	h.length = (uint32_t)(IPC_HDR_LEN + body_len);
	put_header(msg, &h);
	memcpy(msg + IPC_HDR_LEN, data + 2, body_len);
	decode_all(msg, h.length);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_all(data, size);
	decode_as_body(data, size);
	return 0;
}
