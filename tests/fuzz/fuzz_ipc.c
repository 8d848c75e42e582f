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
	struct ipc_tcp_connect tcp_connect;
	struct ipc_tcp_listen tcp_listen;
	struct ipc_tcp_setopt tcp_setopt;
	struct ipc_tcp_open_reply open_tcp;
	struct ipc_status_only_reply only;
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
	else if (ipc_decode_tcp_connect(m, &tcp_connect) == 0)
		len = ipc_encode_tcp_connect(out, sizeof(out), m->version,
					     m->id, &tcp_connect);
	else if (ipc_decode_tcp_connect_reply(m, &open_tcp) == 0)
		len = ipc_encode_tcp_connect_reply(out, sizeof(out), m->version,
						   m->id, &open_tcp);
	else if (ipc_decode_tcp_listen(m, &tcp_listen) == 0)
		len = ipc_encode_tcp_listen(out, sizeof(out), m->version, m->id,
					    &tcp_listen);
	else if (ipc_decode_tcp_listen_reply(m, &open_tcp) == 0)
		len = ipc_encode_tcp_listen_reply(out, sizeof(out), m->version,
						  m->id, &open_tcp);
	else if (ipc_decode_tcp_setopt(m, &tcp_setopt) == 0)
		len = ipc_encode_tcp_setopt(out, sizeof(out), m->version, m->id,
					    &tcp_setopt);
	else if (ipc_decode_tcp_setopt_reply(m, &only) == 0)
		len = ipc_encode_tcp_setopt_reply(out, sizeof(out), m->version,
						  m->id, &only);
	else if (ipc_decode_barrier(m) == 0)
		len = ipc_encode_barrier(out, sizeof(out), m->version, m->id);
	else if (ipc_decode_barrier_reply(m, &only) == 0)
		len = ipc_encode_barrier_reply(out, sizeof(out), m->version,
					       m->id, &only);
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
	struct ipc_tcp_connect tcp_connect;
	struct ipc_tcp_listen tcp_listen;
	struct ipc_tcp_setopt tcp_setopt;
	struct ipc_tcp_open_reply open_tcp;
	struct ipc_status_only_reply only;
	struct ipc_accept accept;

	if (ipc_msg_decode(data, size, &m) == 0) {
		check(m.body + m.body_len == data + size);
		round_trip(data, size, &m);
		/* every body decoder, whatever the type says */
		static const uint16_t types[] = {
		    IPC_T_HELLO,       IPC_T_HELLO_REPLY,
		    IPC_T_UDP_OPEN,    IPC_T_UDP_OPEN_REPLY,
		    IPC_T_STATUS,      IPC_T_STATUS_REPLY,
		    IPC_T_ERROR,       0x0042,
		    IPC_T_TCP_CONNECT, IPC_T_TCP_CONNECT_REPLY,
		    IPC_T_TCP_LISTEN,  IPC_T_TCP_LISTEN_REPLY,
		    IPC_T_TCP_SETOPT,  IPC_T_TCP_SETOPT_REPLY,
		    IPC_T_BARRIER,     IPC_T_BARRIER_REPLY,
		};
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
			struct ipc_msg any = m;

			any.type = types[t];
			(void)ipc_decode_hello(&any, &hello);
			(void)ipc_decode_hello_reply(&any, &hello_reply);
			(void)ipc_decode_udp_open(&any, &open);
			(void)ipc_decode_udp_open_reply(&any, &open_reply);
			(void)ipc_decode_error(&any, &error);
			(void)ipc_decode_status(&any);
			(void)ipc_decode_tcp_connect(&any, &tcp_connect);
			(void)ipc_decode_tcp_connect_reply(&any, &open_tcp);
			(void)ipc_decode_tcp_listen(&any, &tcp_listen);
			(void)ipc_decode_tcp_listen_reply(&any, &open_tcp);
			(void)ipc_decode_tcp_setopt(&any, &tcp_setopt);
			(void)ipc_decode_tcp_setopt_reply(&any, &only);
			(void)ipc_decode_barrier(&any);
			(void)ipc_decode_barrier_reply(&any, &only);
			if (ipc_decode_status_reply(&any, &chunk) == 0) {
				size_t seen = 0;

				check(chunk.records + chunk.records_len ==
				      data + size);
				ipc_record_iter_init(&it, &chunk);
				while (ipc_record_next(&it, &r)) {
					check(r.type >= IPC_REC_DAEMON &&
					      r.type <= IPC_REC_TCP);
					check(r.type != IPC_REC_TCP ||
					      (r.u.tcp.state < IPC_TCPS_COUNT &&
					       r.u.tcp.id >= 0));
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

	if (ipc_accept_decode(data, size, &accept) == 0) {
		uint8_t again[IPC_ACCEPT_LEN];

		check(size == IPC_ACCEPT_LEN && accept.id >= 0);
		ipc_accept_encode(again, &accept);
		check(memcmp(again, data, IPC_ACCEPT_LEN) == 0);
	}
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
	    IPC_T_HELLO,
	    IPC_T_HELLO_REPLY,
	    IPC_T_UDP_OPEN,
	    IPC_T_UDP_OPEN_REPLY,
	    IPC_T_STATUS,
	    IPC_T_STATUS_REPLY,
	    IPC_T_ERROR,
	    IPC_T_TCP_CONNECT,
	    IPC_T_TCP_CONNECT_REPLY,
	    IPC_T_TCP_LISTEN,
	    IPC_T_TCP_LISTEN_REPLY,
	    IPC_T_TCP_SETOPT,
	    IPC_T_TCP_SETOPT_REPLY,
	    IPC_T_BARRIER,
	    IPC_T_BARRIER_REPLY,
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
