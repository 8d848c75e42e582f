/*
 * fuzz_ipc.c - libFuzzer harness for every ipc/ decoder
 *
 * The input is offered whole to each decoder, as the daemon and the
 * client library would meet it: as a control message (header, then the
 * body decoder of every type, whatever the header's type says, so each
 * body decoder sees arbitrary bodies), and as a UDP data-channel packet.
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

#include "ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

/* Re-encodes a decoded fixed-size message and compares. */
static void round_trip(const uint8_t *data, size_t size,
		       const struct ipc_msg *m)
{
	uint8_t out[IPC_MSG_MAX];
	struct ipc_hello hello;
	struct ipc_hello_reply hello_reply;
	struct ipc_udp_open open;
	struct ipc_udp_open_reply open_reply;
	struct ipc_error error;
	int len = -1;

	if (ipc_decode_hello(m, &hello) == 0 && m->version == IPC_VERSION_MIN)
		len = ipc_encode_hello(out, sizeof(out), m->id, &hello);
	else if (ipc_decode_hello_reply(m, &hello_reply) == 0)
		len = ipc_encode_hello_reply(out, sizeof(out), m->version,
					     m->id, &hello_reply);
	else if (ipc_decode_udp_open(m, &open) == 0)
		len = ipc_encode_udp_open(out, sizeof(out), m->version, m->id,
					  &open);
	else if (ipc_decode_udp_open_reply(m, &open_reply) == 0)
		len = ipc_encode_udp_open_reply(out, sizeof(out), m->version,
						m->id, &open_reply);
	else if (ipc_decode_error(m, &error) == 0)
		len = ipc_encode_error(out, sizeof(out), m->version, m->id,
				       &error);
	else if (ipc_decode_status(m) == 0)
		len = ipc_encode_status(out, sizeof(out), m->version, m->id);
	if (len < 0)
		return;
	check((size_t)len == size && memcmp(out, data, size) == 0);
}

/* Decodes one message with every decoder and checks what they accept. */
static void decode_all(const uint8_t *data, size_t size)
{
	struct ipc_msg m;
	struct ipc_status_chunk chunk;
	struct ipc_record_iter it;
	struct ipc_record r;
	struct ipc_dgram_hdr dg;
	const uint8_t *payload;
	size_t payload_len;
	struct ipc_hello hello;
	struct ipc_hello_reply hello_reply;
	struct ipc_udp_open open;
	struct ipc_udp_open_reply open_reply;
	struct ipc_error error;

	if (ipc_msg_decode(data, size, &m) == 0) {
		check(m.body + m.body_len == data + size);
		round_trip(data, size, &m);
		/* every body decoder, whatever the type says */
		for (uint16_t t = 0; t < 8; t++) {
			static const uint16_t types[] = {
			    IPC_T_HELLO,    IPC_T_HELLO_REPLY,
			    IPC_T_UDP_OPEN, IPC_T_UDP_OPEN_REPLY,
			    IPC_T_STATUS,   IPC_T_STATUS_REPLY,
			    IPC_T_ERROR,    0x0042,
			};
			struct ipc_msg any = m;

			any.type = types[t];
			(void)ipc_decode_hello(&any, &hello);
			(void)ipc_decode_hello_reply(&any, &hello_reply);
			(void)ipc_decode_udp_open(&any, &open);
			(void)ipc_decode_udp_open_reply(&any, &open_reply);
			(void)ipc_decode_error(&any, &error);
			(void)ipc_decode_status(&any);
			if (ipc_decode_status_reply(&any, &chunk) == 0) {
				size_t seen = 0;

				check(chunk.records + chunk.records_len ==
				      data + size);
				ipc_record_iter_init(&it, &chunk);
				while (ipc_record_next(&it, &r)) {
					check(r.type >= IPC_REC_DAEMON &&
					      r.type <= IPC_REC_COUNTER);
					seen++;
				}
				check(seen <= chunk.nrecords);
				check(it.left == 0);
			}
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
	static const uint16_t types[] = {
	    IPC_T_HELLO,	  IPC_T_HELLO_REPLY, IPC_T_UDP_OPEN,
	    IPC_T_UDP_OPEN_REPLY, IPC_T_STATUS,	     IPC_T_STATUS_REPLY,
	    IPC_T_ERROR,
	};
	static uint8_t msg[IPC_MSG_MAX];
	size_t body_len, len;
	uint16_t type;

	if (size < 2)
		return;
	type = types[data[0] % (sizeof(types) / sizeof(types[0]))];
	body_len = size - 2;
	if (body_len > IPC_MSG_MAX - IPC_HDR_LEN)
		body_len = IPC_MSG_MAX - IPC_HDR_LEN;
	len = IPC_HDR_LEN + body_len;
	msg[0] = IPC_MAGIC >> 8;
	msg[1] = IPC_MAGIC & 0xff;
	msg[2] = data[1] & 3; /* mostly version 1, sometimes not */
	msg[3] = 0;
	msg[4] = (uint8_t)(type >> 8);
	msg[5] = (uint8_t)type;
	msg[6] = msg[7] = 0;
	msg[8] = (uint8_t)(len >> 24);
	msg[9] = (uint8_t)(len >> 16);
	msg[10] = (uint8_t)(len >> 8);
	msg[11] = (uint8_t)len;
	msg[12] = msg[13] = msg[14] = 0;
	msg[15] = 1;
	memcpy(msg + IPC_HDR_LEN, data + 2, body_len);
	decode_all(msg, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_all(data, size);
	decode_as_body(data, size);
	return 0;
}
