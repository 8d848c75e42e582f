/*
 * fuzz_tcp.c - TCP option parsing, and TCP input against a live
 * synthetic connection
 *
 * Two stacks, A (10.0.0.2, fuzzed) and B (10.0.0.1), complete a real
 * handshake and exchange a little data; then each fuzzed record becomes
 * a segment from B's address and port to A's connection, with flags,
 * options and payload from the input and sequence/acknowledgment
 * numbers chosen relative to the connection's state (so that they land
 * in, near and outside the windows). A has data in flight that B never
 * received, and a record may carry SACK blocks placed over it, so the
 * records of what is in flight (tcp_rack.c) are split, marked, judged
 * lost and resent. A's timers run between records. Whatever happens, A
 * must not crash, leak, or lose buffers, and its in-flight records must
 * stay consistent (checked after every record).
 */
#include "fuzz_common.h"
#include "tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void move_frames(struct stack *from, struct stack *to, uint64_t now)
{
	struct pkt *f;

	while ((f = stack_pop_tx(from))) {
		fuzz_frame(to, now, f->data, f->len);
		stack_pkt_free(from, f);
	}
}

static void exchange(struct stack *a, struct stack *b, uint64_t now)
{
	for (int i = 0; i < 64; i++) {
		if (!a->tx.count && !b->tx.count)
			return;
		move_frames(a, b, now);
		move_frames(b, a, now);
	}
}

/* The in-flight records tile [snd_una, snd_max) and their byte counts
 * agree with their flags. */
static void check_records(const struct tcp_conn *c)
{
	uint32_t sacked = 0, lost = 0, at = c->snd_una;

	if (c->txr_n > c->txr_cap || (c->txr_n && !c->txr) ||
	    c->txr_n > TCP_TXR_MAX)
		abort();
	for (uint32_t i = 0; i < c->txr_n; i++) {
		const struct tcp_txrec *r =
		    &c->txr[(c->txr_head + i) & (c->txr_cap - 1)];
		if (r->seq != at || !SEQ_LT(r->seq, r->end))
			abort();
		if (r->flags & TCP_TXR_SACKED)
			sacked += r->end - r->seq;
		else if (r->flags & TCP_TXR_LOST)
			lost += r->end - r->seq;
		at = r->end;
	}
	if ((c->txr_n && at != c->snd_max) || sacked != c->sacked_bytes ||
	    lost != c->lost_bytes)
		abort();
}

static struct stack *host(const uint8_t *mac, uint32_t addr)
{
	struct stack_limits lim;
	struct stack *s;

	stack_limits_default(&lim);
	lim.pkt_small_max = 512;
	lim.pkt_large_max = 8;
	lim.tcp_conns_max = 16;
	lim.tcp_listeners_max = 2;
	lim.tcp_chunks_max = 256;
	lim.udp_sockets_max = 2;
	lim.arp_cache_max = 4;
	lim.reasm_datagrams_max = 2;
	s = stack_new(&lim, addr);
	if (!s)
		abort();
	stack_if_add(s, "fz", mac, 1500);
	stack_if_set_address(s, FUZZ_T0, 0, addr, 24);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcp_seg seg;
	static uint8_t frame[14 + 20 + 1500];
	uint64_t now = FUZZ_T0;
	struct stack *a, *b;
	struct tcp_conn *c;
	int ca, l;

	/* The option parser on its own: any bytes as a header. */
	if (size >= 20 && tcp_parse(data, size, &seg) == TCP_PARSE_OK &&
	    (seg.hdr_len > size || seg.len != size - seg.hdr_len ||
	     seg.nsack > TCP_SACK_BLOCKS_MAX))
		abort();

	a = host(fuzz_our_mac, 0x0a000002);
	b = host(fuzz_peer_mac, 0x0a000001);
	l = tcp_listen(b, 0, 80, 4, NULL);
	ca = tcp_connect(a, now, 0, 0, 0x0a000001, 80, NULL);
	exchange(a, b, now);
	if (tcp_accept(b, l, NULL, NULL) < 0)
		abort(); /* the handshake itself must work */
	tcp_send(a, now, ca, "hello", 5);
	exchange(a, b, now);
	tcp_listen_close(b, now, l);
	stack_free(b);
	/* Data in flight that never reaches B. */
	{
		static uint8_t bulk[40000];
		tcp_send(a, now, ca, bulk, sizeof(bulk));
		fuzz_drain(a);
	}

	c = tcp_conn_get(a, ca);
	while (size >= 8 && c) {
		/* Record: flags, seq mode, ack mode, option length, payload
		 * length (2), time step, extras, then options and payload.
		 * Extras: 0x80 adds SACK blocks over the data in flight (two
		 * bytes each from the input, after the options), 0x40 has
		 * the application write more. */
		uint8_t flags = data[0], seqm = data[1], ackm = data[2];
		size_t optlen = (data[3] % 11) * 4;
		size_t len = get_be16(data + 4) % 1400;
		uint8_t step = data[6], extra = data[7];
		size_t nsack = (extra & 0x80) ? (extra & 3) + 1 : 0;
		uint8_t sackopt[4 + 8 * 4];
		uint32_t seq, ack;
		uint8_t *t = frame + 34;

		data += 8;
		size -= 8;
		if (optlen > size)
			optlen = size & ~3u;
		if (optlen + 4 + 8 * nsack > TCP_OPT_MAX)
			nsack = 0;
		if (nsack * 2 > size - optlen)
			nsack = 0;
		if (nsack) {
			/* NOP NOP SACK len, blocks relative to snd_una. */
			sackopt[0] = sackopt[1] = 1;
			sackopt[2] = 5;
			sackopt[3] = (uint8_t)(2 + 8 * nsack);
			for (size_t k = 0; k < nsack; k++) {
				uint32_t st =
				    c->snd_una +
				    (uint32_t)data[optlen + 2 * k] * 181u;
				uint32_t en =
				    st +
				    ((uint32_t)data[optlen + 2 * k + 1] + 1) *
					97u;
				if (extra & 0x20) /* DSACK-like: below */
					st -= 2000, en -= 2000;
				put_be32(sackopt + 4 + 8 * k, st);
				put_be32(sackopt + 8 + 8 * k, en);
			}
		}
		if (len > size - optlen - nsack * 2)
			len = size - optlen - nsack * 2;
		if (extra & 0x40) {
			static uint8_t more[31 * 97];
			tcp_send(a, now, ca, more, (size_t)(extra & 0x1f) * 97);
		}
		seq = c->rcv_nxt + (uint32_t)((int8_t)seqm) * 97u;
		if (seqm == 0x80)
			seq = c->rcv_nxt + 0x80000000u;
		ack = c->snd_una + (uint32_t)((int8_t)ackm) * 13u;
		size_t hl = 20 + optlen + (nsack ? 4 + 8 * nsack : 0);
		memset(frame, 0, sizeof(frame));
		fuzz_wrap_ipv4(frame, IPV4_PROTO_TCP, t, hl + len);
		put_be16(t, c->rport);
		put_be16(t + 2, c->lport);
		put_be32(t + 4, seq);
		put_be32(t + 8, ack);
		t[12] = (uint8_t)((hl / 4) << 4);
		t[13] = flags;
		put_be16(t + 14, (uint16_t)(step * 257));
		memcpy(t + 20, data, optlen);
		if (nsack)
			memcpy(t + 20 + optlen, sackopt, 4 + 8 * nsack);
		memcpy(t + hl, data + optlen + nsack * 2, len);
		put_be16(t + 16, 0);
		put_be16(t + 16, csum_fold(csum_partial(
				     t, hl + len,
				     csum_pseudo(0x0a000001, 0x0a000002, 6,
						 (uint16_t)(hl + len)))));
		fuzz_frame(a, now, frame, 34 + hl + len);
		data += optlen + nsack * 2 + len;
		size -= optlen + nsack * 2 + len;
		now += (uint64_t)step * 10000000ull;
		if (stack_next_deadline(a) <= now)
			stack_timer(a, now);
		/* The application reads what it can. */
		{
			const uint8_t *d;
			size_t n;
			if (tcp_recv_peek(a, ca, &d, &n) == 0 && n)
				tcp_recv_consume(a, now, ca, n);
		}
		fuzz_drain(a);
		c = tcp_conn_get(a, ca);
		if (c)
			check_records(c);
	}
	if (tcp_conn_get(a, ca))
		tcp_abort(a, now, ca);
	fuzz_finish(a);
	return 0;
}
