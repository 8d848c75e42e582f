/*
 * tcp_output.c - µTCP: what to send, and building segments
 *
 * tcp_output() is called after anything that may let a connection send:
 * an arriving ACK, new user data, a window opening, a timer. It sends
 * the SYN or SYN-ACK of an opening connection; then what RACK or a
 * timeout judged lost, while pipe is below cwnd (RFC 6675 5 (C)); then
 * new data as far as min(cwnd, snd_wnd) allows (by pipe while
 * recovering), in segments of at most the MSS, subject to sender
 * silly-window avoidance and Nagle (RFC 9293 3.8.6.2.1, RFC 896;
 * MUST-38, SHLD-7): a
 * short segment goes only if it empties the buffer and either nothing
 * is in flight or TCP_NODELAY is set, or it is at least half the
 * largest window the peer offered;
 *
 * then a FIN once the user shut down and every byte is sent; and last
 * a bare ACK if one is owed and nothing else carried it.
 *
 * The receive window advertised follows receiver SWS avoidance
 * (RFC 9293 3.8.6.2.2, MUST-39): the right edge moves only by at least
 * min(buffer / 2, MSS), and never moves left (SHLD-14: no shrinking).
 *
 * Segment size: the MSS, or, when the interface offloads segmentation
 * (stack_if_set_offload), super-segments of up to TCP_TSO_MAX bytes of
 * payload, a multiple of the MSS unless they end the data: the link cuts
 * them into MSS-sized segments (pkt->gso_size), and completes their
 * checksums (PKT_F_CSUM_PARTIAL: we write only the pseudo-header sum and
 * never read the payload). Nagle and SWS still reason in MSS units: a
 * segment of at least the MSS is full.
 */
#include "checksum.h"
#include "tcp.h"

uint32_t tcp_payload_max(const struct tcp_conn *c)
{
	/* c->mss already leaves room for timestamps; SACK blocks take
	 * 4 + 8n bytes more (RFC 2018 3), and each block needs at least
	 * one held out-of-order segment. */
	uint32_t n = c->sack_ok ? c->nooo + c->dsack_pending : 0;
	uint32_t max_blocks = c->ts_ok ? 3 : 4;

	if (n > max_blocks)
		n = max_blocks;
	return c->mss - (n ? 4 + 8 * n : 0);
}

/* Does c leave through an interface that segments and checksums? */
static bool tcp_tso(const struct stack *s, const struct tcp_conn *c)
{
	return c->ifindex >= 0 && c->ifindex < s->nifs &&
	       s->ifs[c->ifindex].tso;
}

uint32_t tcp_seg_max(const struct stack *s, const struct tcp_conn *c)
{
	uint32_t mss = tcp_payload_max(c);
	uint32_t max;

	if (!tcp_tso(s, c) || !mss)
		return mss;
	max = (TCP_TSO_MAX / mss) * mss;
	return max > mss ? max : mss;
}

uint32_t tcp_rcv_window(const struct stack *s, const struct tcp_conn *c)
{
	uint32_t held = tcp_rcv_queued(c) + tcp_ooo_bytes(c);
	uint32_t space = held < c->rcv_wnd_max ? c->rcv_wnd_max - held : 0;
	uint32_t cur = tcp_rcv_adv_window(c);
	uint32_t step =
	    c->rcv_wnd_max / 2 < c->our_mss ? c->rcv_wnd_max / 2 : c->our_mss;
	uint32_t max = 65535u << c->rcv_wscale;

	if (space > max)
		space = max;
	/* Under memory pressure a new or growing window stays at a few
	 * segments (Linux's tcp_mem pressure); what was offered stands. */
	if (tcp_mem_level(s) != TCP_MEM_OK && space > tcp_rcv_pressure_wnd(c))
		space = tcp_rcv_pressure_wnd(c);
	/* Advance the right edge only by a worthwhile amount. */
	if (space < cur + step && space != c->rcv_wnd_max)
		return cur;
	return space > cur ? space : cur;
}

/* Starts an option at p after `nops` no-operations (to align its value
 * on a 4-byte boundary); returns where its value goes. */
static uint8_t *tcp_opt_start(uint8_t *p, unsigned nops, uint8_t kind,
			      uint8_t len)
{
	while (nops--)
		*p++ = TCP_OPT_NOP;
	p[0] = kind;
	p[1] = len;
	return p + 2;
}

/* Writes the fixed header at h: ports, sequence and acknowledgement
 * numbers, header length, flags, window; checksum and urgent pointer 0. */
static void tcp_put_header(uint8_t *h, uint16_t sport, uint16_t dport,
			   uint32_t seq, uint32_t ack, uint32_t hdr_len,
			   uint8_t flags, uint16_t wnd)
{
	put_be16(h + TCP_OFF_SPORT, sport);
	put_be16(h + TCP_OFF_DPORT, dport);
	put_be32(h + TCP_OFF_SEQ, seq);
	put_be32(h + TCP_OFF_ACK, ack);
	h[TCP_OFF_DOFF] = TCP_DOFF_BYTE(hdr_len);
	h[TCP_OFF_FLAGS] = flags;
	put_be16(h + TCP_OFF_WINDOW, wnd);
	put_be16(h + TCP_OFF_CSUM, 0);
	put_be16(h + TCP_OFF_URP, 0);
}

/* Writes our options for a segment with `flags` at opt; returns their
 * length (a multiple of 4: NOPs go in front, so no padding is needed,
 * MUST-69). Timestamps (MAY-10, RFC 7323) and SACK (RFC 2018) when
 * the peer agreed. */
static uint32_t tcp_write_options(struct stack *s, uint64_t now,
				  struct tcp_conn *c, uint8_t flags,
				  uint8_t *opt)
{
	uint8_t *p = opt, *v;

	if (flags & TCP_SYN) {
		bool synack = flags & TCP_ACK;
		/* MUST-14: we send the MSS option, in SYNs only (MUST-65),
		 * from our MTU (MUST-67); always (MAY-3). */
		v = tcp_opt_start(p, 0, TCP_OPT_MSS, TCP_OPTLEN_MSS);
		put_be16(v, c->our_mss);
		p = v + 2;
		if (!synack || c->ws_ok) {
			v = tcp_opt_start(p, 1, TCP_OPT_WSCALE,
					  TCP_OPTLEN_WSCALE);
			v[0] = c->rcv_wscale;
			p = v + 1;
		}
		if (!synack || c->sack_ok)
			p = tcp_opt_start(p, 2, TCP_OPT_SACK_PERMITTED,
					  TCP_OPTLEN_SACK_PERMITTED);
	}
	if ((flags & TCP_SYN && !(flags & TCP_ACK)) || c->ts_ok) {
		uint32_t tsval = tcp_ts_now(s, c, now);
		if (c->cookie) /* the options a SYN cookie cannot hold */
			tsval = (tsval & ~0x1fu) | c->cookie_opts;
		v = tcp_opt_start(p, 2, TCP_OPT_TIMESTAMP,
				  TCP_OPTLEN_TIMESTAMP);
		put_be32(v, tsval);
		c->ts_last_sent = tsval;
		put_be32(v + 4, c->ts_ok ? c->ts_recent : 0);
		p = v + 8;
	}
	if (!(flags & TCP_SYN) && c->sack_ok &&
	    (c->nooo > 0 || c->dsack_pending)) {
		uint32_t blocks[TCP_SACK_BLOCKS_MAX][2];
		int max = c->ts_ok ? 3 : 4, n = 0;
		if (c->dsack_pending) {
			/* RFC 2883: the duplicate first, once. */
			blocks[n][0] = c->dsack[0];
			blocks[n][1] = c->dsack[1];
			n++;
			c->dsack_pending = false;
			COUNT(s, tcp_tx_dsacks);
		}
		if (c->nooo > 0)
			n += tcp_sack_blocks(c, c->ooo_recent, blocks + n,
					     max - n);
		v = tcp_opt_start(p, 2, TCP_OPT_SACK,
				  (uint8_t)TCP_OPTLEN_SACK(n));
		for (int i = 0; i < n; i++) {
			put_be32(v + 8 * i, blocks[i][0]);
			put_be32(v + 4 + 8 * i, blocks[i][1]);
		}
		p = v + 8 * n;
	}
	return (uint32_t)(p - opt);
}

/*
 * Builds and sends one segment of c: sequence seq, flags, and len bytes
 * of the send buffer from seq (which must be held there). Returns 0 or
 * -ENOBUFS.
 */
static int tcp_send_segment(struct stack *s, uint64_t now, struct tcp_conn *c,
			    uint32_t seq, uint8_t flags, uint32_t len)
{
	struct pkt *p;
	uint32_t optlen, wnd, mss;
	uint8_t *h;

	/* A DSACK reports a duplicate once (RFC 2883): not in each of the
	 * segments the link cuts a super-segment into. It goes ahead on a
	 * bare ACK. */
	if (c->dsack_pending && len > tcp_payload_max(c) &&
	    !(flags & (TCP_SYN | TCP_RST)))
		tcp_send_segment(s, now, c, c->snd_nxt, TCP_ACK, 0);
	p = stack_pkt_alloc(s, TCP_HDR_MAX + len);

	bool data =
	    (len || (flags & TCP_FIN)) && !(flags & (TCP_SYN | TCP_RST));

	if (p && data &&
	    !tcp_txr_can_record(
		c, SEQ_GT(seq + len + !!(flags & TCP_FIN), c->snd_max))) {
		pkt_free(&s->pool, p);
		p = NULL;
	}
	if (!p) {
		COUNT(s, tcp_tx_drop_no_buffer);
		return -ENOBUFS;
	}
	if (data)
		tcp_txr_sent(c, seq, seq + len + !!(flags & TCP_FIN), now);
	if (c->recovery == TCP_RECOVERY_FAST)
		c->prr_out += len; /* PRR's prr_out (RFC 6937) */
	if (c->state != TCPS_SYN_SENT)
		flags |= TCP_ACK;
	h = p->data;
	mss = tcp_payload_max(c); /* before a DSACK is written and cleared */
	optlen = tcp_write_options(s, now, c, flags, h + TCP_HDR_LEN);
	if (len)
		tcp_sndbuf_copy(&c->sndbuf, seq - c->snd_una,
				h + TCP_HDR_LEN + optlen, len);
	wnd = tcp_rcv_window(s, c);
	/* The window in a SYN is never scaled (RFC 7323 2.2). */
	tcp_put_header(
	    h, c->lport, c->rport, seq, (flags & TCP_ACK) ? c->rcv_nxt : 0,
	    TCP_HDR_LEN + optlen, flags,
	    (uint16_t)((flags & TCP_SYN) ? (wnd > 65535 ? 65535 : wnd)
					 : wnd >> c->rcv_wscale));
	p->len = TCP_HDR_LEN + optlen + len;
	if (tcp_tso(s, c)) {
		/* The link completes the checksum (and segments when len is
		 * over the MSS): write the pseudo-header sum, folded, not
		 * complemented, over the whole super-segment's length. */
		uint16_t sum = (uint16_t)~csum_fold(csum_pseudo(
		    c->laddr, c->raddr, IPV4_PROTO_TCP, (uint16_t)p->len));
		put_be16(h + TCP_OFF_CSUM, sum);
		p->flags |= PKT_F_CSUM_PARTIAL;
		p->l4_offset = (uint16_t)(h - p->buf);
		p->csum_offset = TCP_OFF_CSUM;
		if (len > mss)
			p->gso_size = (uint16_t)mss;
	} else {
		/* MUST-2: the sender computes the checksum. */
		put_be16(h + TCP_OFF_CSUM,
			 csum_fold(csum_partial(
			     h, p->len,
			     csum_pseudo(c->laddr, c->raddr, IPV4_PROTO_TCP,
					 (uint16_t)p->len))));
	}
	if (flags & TCP_ACK) {
		/* Advertised: remember the right edge and the ACK. */
		uint32_t edge =
		    c->rcv_nxt + ((wnd >> c->rcv_wscale) << c->rcv_wscale);
		if (flags & TCP_SYN)
			edge = c->rcv_nxt + wnd;
		if (SEQ_GT(edge, c->rcv_adv))
			c->rcv_adv = edge;
		c->last_ack_sent = c->rcv_nxt;
		c->ack_now = false;
		c->delack_pending = false;
		c->unacked_full_segs = 0;
		if (c->t_delack) {
			c->t_delack = 0;
			tcp_timer_update(s, c);
		}
	}
	COUNT(s, tcp_tx_segments);
	c->bytes_sent += len;
	/* MUST-45: from the connection's local address. MUST-48, MUST-49:
	 * the user's Diffserv field (IP_TOS) and TTL (IP_TTL). */
	p->tos = c->tos;
	p->ttl = c->ttl;
	ipv4_output(s, now, p, c->laddr, c->raddr, IPV4_PROTO_TCP);
	return 0;
}

void tcp_send_synack(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	tcp_send_segment(s, now, c, c->iss, TCP_SYN | TCP_ACK, 0);
}

void tcp_send_ack(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	tcp_send_segment(s, now, c, c->snd_nxt, TCP_ACK, 0);
}

void tcp_send_reset(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	if (c->state == TCPS_CLOSED || c->state == TCPS_SYN_SENT ||
	    c->state == TCPS_TIME_WAIT)
		return;
	COUNT(s, tcp_tx_resets);
	tcp_send_segment(s, now, c, c->snd_max, TCP_RST | TCP_ACK, 0);
}

void tcp_send_reset_for(struct stack *s, uint64_t now,
			const struct tcp_seg *seg)
{
	struct pkt *p;
	uint8_t *h;
	uint32_t seq = 0, ack = 0;
	uint8_t flags = TCP_RST;

	if (seg->flags & TCP_RST)
		return; /* never answer a reset */
	if (seg->flags & TCP_ACK) {
		seq = seg->ack; /* <SEQ=SEG.ACK><CTL=RST> */
	} else {
		/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
		ack = seg->seq + seg->len + !!(seg->flags & TCP_SYN) +
		      !!(seg->flags & TCP_FIN);
		flags |= TCP_ACK;
	}
	p = stack_pkt_alloc(s, TCP_HDR_LEN);
	if (!p) {
		COUNT(s, tcp_tx_drop_no_buffer);
		return;
	}
	h = p->data;
	tcp_put_header(h, seg->dport, seg->sport, seq, ack, TCP_HDR_LEN, flags,
		       0);
	p->len = TCP_HDR_LEN;
	put_be16(
	    h + TCP_OFF_CSUM,
	    csum_fold(csum_partial(h, TCP_HDR_LEN,
				   csum_pseudo(seg->daddr, seg->saddr,
					       IPV4_PROTO_TCP, TCP_HDR_LEN))));
	COUNT(s, tcp_tx_resets);
	COUNT(s, tcp_tx_segments);
	ipv4_output(s, now, p, seg->daddr, seg->saddr, IPV4_PROTO_TCP);
}

/* The sequence number our FIN has (or will have). */
static uint32_t tcp_fin_seq(const struct tcp_conn *c)
{
	return c->snd_una + c->sndbuf.len;
}

int tcp_retransmit_range(struct stack *s, uint64_t now, struct tcp_conn *c,
			 uint32_t seq, uint32_t len)
{
	uint32_t data_end = tcp_fin_seq(c);
	uint8_t flags = 0;
	int err;

	if (c->fin_sent && SEQ_GT(seq + len, data_end)) {
		flags |= TCP_FIN; /* the FIN lies in the range */
		len = SEQ_GT(data_end, seq) ? data_end - seq : 0;
	}
	if (!len && !flags)
		return 0;
	/* PSH as tcp_output() sets it: only if the segment reaches the end
	 * of what the application handed over. */
	if (len && seq + len == data_end)
		flags |= TCP_PSH;
	err = tcp_send_segment(s, now, c, seq, flags, len);
	if (err)
		return err;
	c->retransmits++;
	COUNT(s, tcp_retransmits);
	return 0;
}

void tcp_retransmit_one(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	uint32_t seq, len;

	if (c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED) {
		c->rtt_timing = false; /* Karn: the handshake is no sample */
		tcp_send_segment(
		    s, now, c, c->iss,
		    c->state == TCPS_SYN_SENT ? TCP_SYN : TCP_SYN | TCP_ACK, 0);
		c->retransmits++;
		COUNT(s, tcp_retransmits);
		return;
	}
	if (tcp_first_hole(c, tcp_payload_max(c), &seq, &len))
		tcp_retransmit_range(s, now, c, seq, len);
}

/* Sends the opening SYN or SYN-ACK if it is due. Its ACK is the first
 * RTT sample without timestamps (RFC 6298 2), timed from here unless
 * the ISN went before (a simultaneous open's SYN-ACK follows its SYN:
 * Karn's rule, MUST-18). */
static bool tcp_output_syn(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	if (c->snd_nxt != c->iss)
		return c->state == TCPS_SYN_SENT;
	c->rtt_timing = c->snd_max == c->iss;
	c->rtt_seq = c->iss;
	c->rtt_start = now;
	tcp_send_segment(
	    s, now, c, c->iss,
	    c->state == TCPS_SYN_SENT ? TCP_SYN : TCP_SYN | TCP_ACK, 0);
	c->snd_nxt = c->iss + 1;
	if (SEQ_GT(c->snd_nxt, c->snd_max))
		c->snd_max = c->snd_nxt;
	if (!c->t_rexmt)
		tcp_rearm_rexmt(s, now, c);
	return true;
}

/* Loss recovery (RFC 6675 5, step (C)): while pipe is below cwnd,
 * resends what RACK or a timeout judged lost, whole runs in one
 * super-segment when the link offloads TSO. Returns whether it sent. */
static bool tcp_output_lost(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	bool sent = false;

	while (c->lost_bytes) {
		uint32_t pipe = tcp_pipe(c), seg_max = tcp_payload_max(c);
		uint32_t room = c->cwnd > pipe ? c->cwnd - pipe : 0;
		uint32_t max = tcp_seg_max(s, c), seq, len;

		if (!room)
			break;
		if (max > room)
			max = room > seg_max ? room - room % seg_max : seg_max;
		if (!tcp_next_lost(c, max, &seq, &len) ||
		    tcp_retransmit_range(s, now, c, seq, len))
			break;
		sent = true;
	}
	return sent;
}

/* How much new data may go in the next segment from snd_nxt, under
 * min(cwnd, snd_wnd) (by pipe while recovering), at most one segment or
 * TSO super-segment; *avail is what the buffer holds beyond snd_nxt. */
static uint32_t tcp_new_data_len(const struct stack *s,
				 const struct tcp_conn *c, bool probe,
				 uint32_t *avail)
{
	uint32_t data_end = c->snd_una + c->sndbuf.len;
	/* Limited transmit (RFC 3042): the first two duplicate ACKs each
	 * let one new segment out beyond cwnd, so that a small window still
	 * gets its three duplicates; a loss probe (RFC 8985 7.3) may send
	 * one segment beyond it too. */
	uint32_t seg_max = tcp_payload_max(c);
	uint32_t cwnd =
	    c->cwnd +
	    (c->recovery != TCP_RECOVERY_FAST && c->dupacks
		 ? (c->dupacks < 2 ? c->dupacks : 2) * (uint32_t)c->mss
		 : 0) +
	    (probe ? seg_max : 0);
	uint32_t wnd = c->snd_wnd < cwnd ? c->snd_wnd : cwnd;
	uint32_t win_end = c->snd_una + wnd;
	uint32_t tso_max = probe ? seg_max : tcp_seg_max(s, c);
	uint32_t len = 0;

	/* MUST-34: a window the peer shrank below what is in flight leaves
	 * win_end behind snd_nxt, and nothing more is sent. */
	if ((c->recovery == TCP_RECOVERY_FAST && c->sack_ok) ||
	    c->recovery == TCP_RECOVERY_RTO) {
		/* Recovering: new data by pipe, as resends are. */
		uint32_t pipe = tcp_pipe(c);
		uint32_t room = pipe < cwnd ? cwnd - pipe : 0;
		win_end = SEQ_MIN(c->snd_una + c->snd_wnd, c->snd_nxt + room);
	}
	*avail = SEQ_LT(c->snd_nxt, data_end) ? data_end - c->snd_nxt : 0;
	if (SEQ_LT(c->snd_nxt, win_end)) {
		len = win_end - c->snd_nxt;
		if (len > *avail)
			len = *avail;
		if (len > tso_max)
			len = tso_max;
		/* A super-segment is whole MSS-sized segments, but for the
		 * last bytes there are: the short tail goes on its own, under
		 * Nagle and SWS avoidance, as it would without offload. */
		if (len > seg_max && c->snd_nxt + len != data_end)
			len -= len % seg_max;
	}
	return len;
}

/* Should a segment of len bytes from snd_nxt wait for more data? MUST-38
 * (sender SWS avoidance), SHLD-7 and MUST-17 (Nagle, and TCP_NODELAY to
 * disable it): a short segment goes only if it empties the buffer and
 * nothing is in flight (or Nagle is off, or we are closing), or it is at
 * least half the largest window the peer offered. */
static bool tcp_nagle_holds(const struct tcp_conn *c, uint32_t len)
{
	uint32_t data_end = c->snd_una + c->sndbuf.len;
	bool empties = c->snd_nxt + len == data_end;
	bool idle = c->snd_nxt == c->snd_una;
	bool half = c->max_snd_wnd && len >= c->max_snd_wnd / 2;

	if (len >= tcp_payload_max(c))
		return false;
	return !((empties && (idle || c->nodelay || c->shut_wr)) || half);
}

/* A segment of len new bytes (and flags) left from snd_nxt: RTT timing,
 * snd_nxt and snd_max move, and our FIN changes the state. */
static void tcp_new_data_sent(struct stack *s, uint64_t now, struct tcp_conn *c,
			      uint32_t len, uint8_t flags)
{
	if (!c->rtt_timing && !c->ts_ok && len) {
		c->rtt_timing = true;
		c->rtt_seq = c->snd_nxt;
		c->rtt_start = now;
	}
	if (len > c->max_seg_sent)
		c->max_seg_sent = len;
	/* A reply within the delayed-ACK time of the data it answers: an
	 * interactive connection, whose ACKs ride on its replies. */
	if (len && c->last_data_rx && now - c->last_data_rx < TCP_DELACK_NS)
		c->ack_pingpong = true;
	c->snd_nxt += len;
	if (flags & TCP_FIN) {
		c->snd_nxt++;
		c->fin_sent = true;
		if (c->state == TCPS_ESTABLISHED ||
		    c->state == TCPS_SYN_RECEIVED)
			tcp_set_state(s, now, c, TCPS_FIN_WAIT_1);
		else if (c->state == TCPS_CLOSE_WAIT)
			tcp_set_state(s, now, c, TCPS_LAST_ACK);
	}
	c->snd_max = c->snd_nxt;
}

void tcp_output(struct stack *s, uint64_t now, struct tcp_conn *c,
		unsigned out_flags)
{
	bool force = out_flags & TCP_OUT_FORCE;
	bool probe = out_flags & TCP_OUT_PROBE;
	bool sent = false, sent_new = false;

	switch (c->state) {
	case TCPS_CLOSED:
	case TCPS_LISTEN:
	case TCPS_TIME_WAIT:
		if (c->ack_now && c->state == TCPS_TIME_WAIT)
			tcp_send_ack(s, now, c);
		return;
	case TCPS_SYN_SENT:
		tcp_output_syn(s, now, c);
		return;
	case TCPS_SYN_RECEIVED:
		if (tcp_output_syn(s, now, c) || c->snd_nxt == c->iss + 1)
			return;
		break;
	default:
		break;
	}

	sent = tcp_output_lost(s, now, c);

	/* New data: sent once, from snd_nxt (which is snd_max: what was
	 * sent before goes again only through the loss recovery above). */
	if (SEQ_LT(c->snd_nxt, c->snd_max))
		c->snd_nxt = c->snd_max;
	for (;;) {
		uint32_t data_end = c->snd_una + c->sndbuf.len, avail;
		uint32_t len = tcp_new_data_len(s, c, probe, &avail);
		bool push = force || probe;
		uint8_t flags = 0;

		/* MUST-35, MUST-36: probing a zero window. */
		if (force && !len && avail) {
			/* Zero-window probe: a segment with an old sequence
			 * number makes the peer answer with its window, and
			 * consumes no sequence space (as Linux does). */
			tcp_send_segment(s, now, c, c->snd_una - 1, TCP_ACK, 0);
			break;
		}
		if (len && !push && tcp_nagle_holds(c, len))
			len = 0; /* wait for more */
		/* Our FIN follows the last byte. */
		if (tcp_fin_unsent(c) && c->snd_nxt + len == data_end)
			flags |= TCP_FIN;
		if (!len && !(flags & TCP_FIN))
			break;
		/* PSH (RFC 9293 3.9.1): the send call has no PUSH, so PSH
		 * goes on the last buffered segment, when no more data is
		 * queued (MUST-61), as BSD sets it: the peer delivers at the
		 * end of what the application wrote, and a stream's segments
		 * carry none (SHLD-27: successive pushes collapse). */
		if (len && c->snd_nxt + len == data_end)
			flags |= TCP_PSH;
		if (tcp_send_segment(s, now, c, c->snd_nxt, flags, len))
			break;
		sent = sent_new = true;
		tcp_new_data_sent(s, now, c, len, flags);
		if (push)
			break; /* one probe or push per expiry */
	}
	if (c->ack_now && !sent)
		tcp_send_ack(s, now, c);
	/* Data or a FIN waiting (also when no buffer could be had for it:
	 * the timer tries again) keeps a timer running. */
	if ((sent || c->sndbuf.len || tcp_fin_unsent(c)) && !c->t_rexmt)
		tcp_rearm_rexmt(s, now, c); /* retransmission or persist */
	if (sent_new && !c->t_tlp && !probe) {
		tcp_tlp_arm(s, now, c); /* RFC 8985 7.2 */
		tcp_timer_update(s, c);
	}
}
