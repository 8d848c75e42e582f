/*
 * tcp_input.c - µTCP: a segment arrives (RFC 9293 3.10.7)
 *
 * tcp_input() checks the segment once (header, options, checksum,
 * addresses, flag combinations), finds its connection or listener, and
 * hands it to the function for that state. The checks are those of
 * RFC 9293 3.10.7 in its order; each case is a rule of tcp_rules.h,
 * named in a comment where it is applied and counted there:
 *
 *   no connection     deliver_in_5 (3.10.7.1)
 *   LISTEN            deliver_in_1 (passive open), deliver_in_1b,
 *                     deliver_in_7b (3.10.7.2), and SYN cookies when
 *                     the half-open bound is reached (RFC 4987)
 *   SYN-SENT          deliver_in_2 (active open), deliver_in_2a,
 *                     deliver_in_2b (simultaneous open), deliver_in_7d
 *                     (3.10.7.3)
 *   synchronized      (3.10.7.4) PAWS (RFC 7323 5), the acceptability
 *                     test, RST (deliver_in_7, 7a) and SYN (deliver_in_8)
 *                     with RFC 5961's challenge ACKs, the handshake's
 *                     last ACK (deliver_in_3c, 3d), then deliver_in_3:
 *                     ACK processing with RTT, congestion control and
 *                     recovery (RFC 5681, 6582; with SACK, RFC 2018,
 *                     6675 and RACK-TLP, RFC 8985, in tcp_rack.c), the
 *                     window update, DSACKs for duplicates (RFC 2883),
 *                     data (in order, or into the out-of-order store),
 *                     FIN and the state changes it makes.
 *
 * Every ACK that answers an invalid segment (out of the window, PAWS,
 * RFC 5961's challenges) is bounded per connection and for all of them
 * together (tcp_invalid_ack()), so that segments sent blind cannot be
 * reflected one for one.
 *
 * TIME_WAIT accepts a new SYN for the same 4-tuple when its timestamp,
 * or failing that its sequence number, is above the old connection's
 * (RFC 6191), and the new connection then replaces it.
 */
#include "checksum.h"
#include "tcp.h"

/* Takes one ACK from this second's budget for all connections, drawn
 * anew each second between half and one and a half times
 * tcp_challenge_ack_limit. Returns false when none is left. */
static bool tcp_invalid_ack_budget(struct stack *s, uint64_t now)
{
	struct tcp_table *t = s->tcp;
	uint32_t limit = s->lim.tcp_challenge_ack_limit;
	uint64_t second = now / STACK_NS_PER_SEC;

	if (limit == 0)
		return true;
	if (second != t->invalid_ack_second) {
		t->invalid_ack_second = second;
		t->invalid_ack_budget =
		    (limit + 1) / 2 + rng_below(&s->rng, limit);
	}
	if (t->invalid_ack_budget == 0)
		return false;
	t->invalid_ack_budget--;
	return true;
}

/*
 * Answers an invalid segment with an ACK, within bounds: a segment out
 * of the window, one PAWS rejects, an ACK of what was never sent, and
 * RFC 5961's challenges (a RST or SYN, an ACK far below snd_una: MAY-12)
 * each ask for one, and whoever can name a 4-tuple could otherwise
 * reflect a segment for each one sent. As on Linux, one such ACK per
 * connection every TCP_INVALID_ACK_PERIOD_NS (tcp_invalid_ratelimit),
 * and then a budget for all connections each second (RFC 5961 7,
 * tcp_challenge_ack_limit), random in size so that what is left of it
 * tells an off-path attacker nothing about other connections (the
 * side channel of CVE-2016-5696). The connection's bound comes first:
 * an attacked connection draws at most two ACKs a second from the
 * budget, so attacking one connection cannot use up the others'.
 * What is suppressed is counted; the peer, if genuine, retransmits.
 */
static void tcp_invalid_ack(struct stack *s, uint64_t now, struct tcp_conn *c,
			    bool challenge)
{
	if (now < c->invalid_ack_next) {
		if (challenge)
			COUNT(s, tcp_challenge_acks_limited);
		else
			COUNT(s, tcp_invalid_acks_limited);
		return;
	}
	c->invalid_ack_next = now + TCP_INVALID_ACK_PERIOD_NS;
	if (!tcp_invalid_ack_budget(s, now)) {
		COUNT(s, tcp_invalid_acks_global_limited);
		return;
	}
	if (challenge)
		COUNT(s, tcp_challenge_acks);
	else
		COUNT(s, tcp_invalid_acks);
	tcp_send_ack(s, now, c);
}

static void tcp_challenge_ack(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	tcp_invalid_ack(s, now, c, true);
}

/* Takes the peer's options from its SYN (RFC 7323 2.2, 3.2; RFC 2018 2).
 * MUST-14, MUST-15: the MSS option is used, 536 without one; MUST-16:
 * the effective send MSS leaves room for the timestamp option. */
static void tcp_take_syn_options(struct tcp_conn *c, const struct tcp_seg *seg,
				 bool we_offered)
{
	uint16_t mss = seg->has_mss ? seg->mss : TCP_DEFAULT_MSS;

	if (mss < TCP_MIN_MSS)
		mss = TCP_MIN_MSS;
	c->mss = mss < c->our_mss ? mss : c->our_mss;
	c->ws_ok = seg->has_ws && we_offered;
	if (c->ws_ok) {
		c->snd_wscale =
		    seg->ws > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : seg->ws;
	} else {
		c->snd_wscale = 0;
		c->rcv_wscale = 0;
		if (c->rcv_wnd_max > 65535)
			c->rcv_wnd_max = 65535;
	}
	c->sack_ok = seg->sack_permitted && we_offered;
	c->ts_ok = seg->has_ts && we_offered;
	if (c->ts_ok) {
		c->ts_recent = seg->tsval;
		c->mss = (uint16_t)(c->mss - 12 > TCP_MIN_MSS ? c->mss - 12
							      : TCP_MIN_MSS);
	}
}

/* The segment's sequence-space length: data plus SYN and FIN. */
static uint32_t seg_seqlen(const struct tcp_seg *seg)
{
	return seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
}

/* Takes an RTT sample from an ACK: its timestamp echo, or, without
 * timestamps, the ACK of the one segment being timed (the SYN or
 * SYN-ACK first: RFC 6298 2 lets the handshake be the first sample). */
static void tcp_rtt_from_ack(struct stack *s, uint64_t now, struct tcp_conn *c,
			     const struct tcp_seg *seg)
{
	if (c->ts_ok) {
		/* RFC 7323 4.1: every ACK with an echo is a sample; with
		 * timestamps Karn's algorithm (MUST-18) is not needed. */
		uint32_t rtt_ms = tcp_ts_now(s, c, now) - seg->tsecr;

		c->rtt_timing = false;
		if (seg->has_ts && seg->tsecr && rtt_ms < 60000)
			tcp_rtt_sample(c, (uint64_t)rtt_ms * 1000000 +
					      (rtt_ms ? 0 : 500000));
	} else if (c->rtt_timing && SEQ_GT(seg->ack, c->rtt_seq)) {
		/* MUST-18 (Karn): rtt_timing is cleared whenever the timed
		 * segment may have been resent. */
		c->rtt_timing = false;
		tcp_rtt_sample(c, now - c->rtt_start);
	}
}

/* Arms Eifel detection (RFC 3522) as a loss episode starts: remembers
 * the window to restore and the TSval the retransmission will carry. */
void tcp_undo_arm(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	if (c->recovery == TCP_RECOVERY_FAST && c->undo_possible)
		return; /* the episode's first retransmission counts */
	c->undo_possible = c->ts_ok;
	c->undo_tsval = tcp_ts_now(s, c, now);
	c->prior_cwnd = c->cwnd;
	c->prior_ssthresh = c->ssthresh;
}

/* Did this ACK echo a timestamp from before the retransmission? Then
 * it acknowledges the original transmission (RFC 3522 3.2). */
static bool tcp_spurious(const struct tcp_conn *c, const struct tcp_seg *seg)
{
	return seg->has_ts && seg->tsecr != 0 &&
	       SEQ_LT(seg->tsecr, c->undo_tsval);
}

/* Enters fast recovery on a loss RACK found (RFC 8985 with RFC 6675's
 * recovery): the window falls once, and the first lost range goes at
 * once, whatever pipe says (RFC 6675 5 (4)). */
void tcp_enter_recovery(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	uint32_t seq, len;

	TCP_RULE(s, rack_recovery);
	COUNT(s, tcp_fast_retransmits);
	c->recovery = TCP_RECOVERY_FAST;
	c->recover = c->snd_max;
	c->tlp_active = false;
	c->t_tlp = 0;
	tcp_undo_arm(s, now, c);
	c->cc->on_loss(c, now, false);
	tcp_prr_start(c);
	c->rtt_timing = false;
	if (tcp_next_lost(c, tcp_payload_max(c), &seq, &len) &&
	    tcp_retransmit_range(s, now, c, seq, len) == 0) {
		/* The resend's ACK is a round trip away: the timer counts
		 * from now, not from the last new ACK (as Linux). */
		c->t_rexmt = 0;
		tcp_rearm_rexmt(s, now, c);
	}
	/* PRR from the start: no more than the resend until ACKs come
	 * (an ACK that brought us here adds what it delivered). */
	if (s->lim.tcp_prr)
		tcp_prr_ack(s, c, 0, tcp_pipe(c), false);
}

/* Our FIN is acknowledged when snd_una passed it. */
static bool tcp_fin_acked(const struct tcp_conn *c)
{
	return c->fin_sent && c->snd_una == c->snd_max && c->sndbuf.len == 0;
}

/* What tcp_ack_in() leaves of the segment and the connection. */
enum tcp_ack_verdict {
	TCP_ACK_GO_ON, /* on to the data and FIN */
	TCP_ACK_DROP,  /* drop the rest of the segment; c may be CLOSED */
	TCP_ACK_FREED, /* the close completed and c was freed */
};

/* New data acknowledged (RFC 9293 3.10.7.4, fifth check): RTT, the send
 * buffer, the end of recovery or the window's growth. */
static void tcp_ack_new_data(struct stack *s, uint64_t now, struct tcp_conn *c,
			     const struct tcp_seg *seg)
{
	uint32_t ack = seg->ack;
	uint32_t acked = ack - c->snd_una;
	uint32_t data_acked = acked;
	uint32_t flight = c->snd_max - c->snd_una;
	/* Grow cwnd only while it limits sending (RFC 7661's concern,
	 * Linux's tcp_is_cwnd_limited): in slow start when over half of it
	 * was in use, after that when all of it. */
	bool cwnd_limited = c->cwnd < c->ssthresh
				? 2 * (uint64_t)flight >= c->cwnd
				: flight + c->mss >= c->cwnd;

	TCP_RULE(s, ack_new_data);
	if (c->fin_sent && ack == c->snd_max && data_acked > c->sndbuf.len)
		data_acked = c->sndbuf.len; /* the FIN's number */
	if (c->undo_possible && tcp_spurious(c, seg)) {
		/* RFC 3522: the original arrived; the retransmission was not
		 * needed (reordering, or a premature RTO). Respond as RFC
		 * 4015 does: restore the window, and forget what was judged
		 * lost. RACK's reordering window, widened by DSACKs, keeps
		 * the next such reordering from being taken for a loss. */
		TCP_RULE(s, spurious_undo);
		COUNT(s, tcp_spurious_retransmits);
		if (c->cwnd < c->prior_cwnd)
			c->cwnd = c->prior_cwnd;
		c->ssthresh = c->prior_ssthresh;
		c->recovery = TCP_RECOVERY_NONE;
		tcp_txr_clear_lost(c);
	}
	c->undo_possible = false;
	tcp_rtt_from_ack(s, now, c, seg);
	c->backoff = 0;
	c->retries = 0;
	tcp_sndbuf_consume(s, &c->sndbuf, data_acked);
	tcp_txr_acked(c, ack, now);
	c->snd_una = ack;
	if (SEQ_LT(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	if (c->recovery == TCP_RECOVERY_RTO && SEQ_GEQ(ack, c->recover))
		c->recovery = TCP_RECOVERY_NONE;
	if (c->recovery == TCP_RECOVERY_FAST) {
		if (SEQ_GEQ(ack, c->recover)) {
			/* RFC 6582 3.2 step 3, RFC 6675 5 (A): full
			 * acknowledgement ends recovery. */
			TCP_RULE(s, recovery_end);
			c->recovery = TCP_RECOVERY_NONE;
			c->cc->on_recovery_end(c, now);
			tcp_cc_moderate(c);
			tcp_rack_recovery_done(c);
		} else if (!c->sack_ok) {
			/* RFC 6582 step 4: partial acknowledgement, resend
			 * the next segment, deflate (PRR sets cwnd after). */
			TCP_RULE(s, recovery_partial_ack);
			tcp_retransmit_one(s, now, c);
			if (!s->lim.tcp_prr) {
				c->cwnd = c->cwnd > acked ? c->cwnd - acked : 0;
				c->cwnd += c->mss;
			}
		}
		/* With SACK, tcp_output() sends by pipe. */
	} else {
		tcp_hystart_ack(s, c); /* RFC 9406, before the growth */
		if (cwnd_limited)
			c->cc->on_ack(c, now, acked);
	}
	c->dupacks = 0;
	tcp_rearm_rexmt(s, now, c);
	tcp_check_space(s, c);
}

/* Is seg a duplicate ACK (RFC 5681 2, "DUPLICATE ACKNOWLEDGMENT")? */
static bool tcp_is_dup_ack(const struct tcp_conn *c, const struct tcp_seg *seg)
{
	return seg->ack == c->snd_una && seg->len == 0 &&
	       !(seg->flags & (TCP_SYN | TCP_FIN)) &&
	       SEQ_LT(c->snd_una, c->snd_max) &&
	       ((uint32_t)seg->wnd << c->snd_wscale) == c->snd_wnd;
}

/* A duplicate ACK: without SACK, the third starts fast recovery (RFC
 * 6582 3.2); with SACK, RACK decides after. */
static void tcp_dup_ack(struct stack *s, uint64_t now, struct tcp_conn *c,
			const struct tcp_seg *seg)
{
	TCP_RULE(s, dup_ack);
	COUNT(s, tcp_rx_dup_acks);
	if (c->dupacks < UINT16_MAX)
		c->dupacks++;
	if (!c->sack_ok && c->recovery != TCP_RECOVERY_FAST &&
	    c->dupacks == TCP_DUPACK_THRESH) {
		/* RFC 6582 3.2 step 2: enter fast recovery, unless this loss
		 * was already recovered from. */
		if (SEQ_GT(seg->ack, c->recover) || c->recover == c->iss) {
			TCP_RULE(s, fast_retransmit);
			COUNT(s, tcp_fast_retransmits);
			c->recovery = TCP_RECOVERY_FAST;
			c->recover = c->snd_max;
			tcp_undo_arm(s, now, c);
			c->cc->on_loss(c, now, false);
			tcp_prr_start(c);
			c->rtt_timing = false;
			/* Resend the first segment now, and (without PRR)
			 * inflate by the three duplicates. */
			tcp_retransmit_one(s, now, c);
			if (!s->lim.tcp_prr)
				c->cwnd = c->ssthresh +
					  TCP_DUPACK_THRESH * (uint32_t)c->mss;
			tcp_rearm_rexmt(s, now, c);
		}
	} else if (c->recovery == TCP_RECOVERY_FAST && !c->sack_ok &&
		   !s->lim.tcp_prr &&
		   (uint32_t)c->dupacks * c->mss < c->snd_max - c->snd_una) {
		/* RFC 6582 step 3: inflate by one segment per duplicate;
		 * new data may follow. Only while the duplicates are fewer
		 * than the segments in flight (as PRR counts them, and
		 * Linux's bound on duplicates counted as delivered): those
		 * a receiver forges beyond inflate nothing. */
		c->cwnd += c->mss;
	}
}

/* The window update (RFC 9293 3.10.7.4: SND.WL1/SND.WL2). MUST-1: the
 * window is unsigned, and kept in 32 bits (REC-1). */
static void tcp_window_update(struct stack *s, uint64_t now, struct tcp_conn *c,
			      const struct tcp_seg *seg)
{
	uint32_t old = c->snd_wnd;

	if (!(SEQ_LT(c->snd_wl1, seg->seq) ||
	      (c->snd_wl1 == seg->seq && SEQ_LEQ(c->snd_wl2, seg->ack))))
		return;
	TCP_RULE(s, window_update);
	c->snd_wnd = (uint32_t)seg->wnd << c->snd_wscale;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	if (c->snd_wnd > c->max_snd_wnd)
		c->max_snd_wnd = c->snd_wnd;
	if (old == 0 && c->snd_wnd > 0 && c->persist) {
		c->persist = false;
		c->backoff = 0;
		c->t_rexmt = 0;
		tcp_rearm_rexmt(s, now, c);
	}
}

/* our_fin_acked: the FIN-related transitions of the fifth check. May
 * free c, and says so. */
static enum tcp_ack_verdict tcp_our_fin_acked(struct stack *s, uint64_t now,
					      struct tcp_conn *c)
{
	if (!tcp_fin_acked(c))
		return TCP_ACK_GO_ON;
	switch (c->state) {
	case TCPS_FIN_WAIT_1:
		TCP_RULE(s, our_fin_acked);
		tcp_set_state(s, now, c, TCPS_FIN_WAIT_2);
		break;
	case TCPS_CLOSING:
		TCP_RULE(s, our_fin_acked);
		tcp_set_state(s, now, c, TCPS_TIME_WAIT);
		break;
	case TCPS_LAST_ACK:
		/* The close is complete. */
		TCP_RULE(s, our_fin_acked);
		if (c->user_closed) {
			tcp_conn_free(s, c);
			return TCP_ACK_FREED;
		}
		tcp_set_state(s, now, c, TCPS_CLOSED);
		return TCP_ACK_DROP;
	default:
		break;
	}
	return TCP_ACK_GO_ON;
}

/* PRR (RFC 6937) on an ACK in fast recovery, given snd_una, the SACKed
 * and lost bytes, and the duplicate ACK count before it: DeliveredData
 * is snd_una's advance plus the change in SACKed bytes; without SACK a
 * duplicate ACK stands for one segment delivered (while the duplicates
 * are fewer than the segments in flight), an advance for what its
 * duplicates did not already count, and pipe is the flight less a
 * segment per duplicate since snd_una last moved. */
static void tcp_prr_on_ack(struct stack *s, struct tcp_conn *c, uint32_t una,
			   uint32_t sacked, uint32_t lost, uint16_t dupacks)
{
	uint32_t advance = c->snd_una - una, mss = c->mss;
	uint32_t delivered, pipe, flight, credit;

	if (c->sack_ok) {
		delivered = advance + (c->sacked_bytes - sacked);
		pipe = tcp_pipe(c);
	} else {
		flight = c->snd_max - c->snd_una;
		credit = (uint32_t)dupacks * mss;
		if (advance)
			delivered = advance > credit ? advance - credit : 0;
		else
			/* Not more than the flight less the lost segment
			 * (Linux's bound on duplicates counted as delivered):
			 * duplicates a receiver forges release nothing. */
			delivered = c->dupacks != dupacks &&
					    (uint32_t)c->dupacks * mss < flight
					? mss
					: 0;
		credit = (uint32_t)c->dupacks * mss;
		pipe = flight > credit ? flight - credit : 0;
	}
	tcp_prr_ack(s, c, delivered, pipe, advance && c->lost_bytes <= lost);
}

/* deliver_in_3, the ACK: processes the ACK field of an acceptable
 * segment in a synchronized state (RFC 9293 3.10.7.4, fifth check). May
 * free c, and says so. */
static enum tcp_ack_verdict tcp_ack_in(struct stack *s, uint64_t now,
				       struct tcp_conn *c,
				       const struct tcp_seg *seg)
{
	int sack = 0;
	bool advanced;
	uint32_t una = c->snd_una, sacked = c->sacked_bytes;
	uint32_t lost = c->lost_bytes;
	uint16_t dupacks = c->dupacks;

	/* RFC 5961 5.2: the ACK must be in [snd_una - max_snd_wnd,
	 * snd_max]. */
	if (SEQ_GT(seg->ack, c->snd_max)) {
		TCP_RULE(s, ack_unsent);
		COUNT(s, tcp_rx_drop_bad_ack);
		tcp_invalid_ack(s, now, c, false);
		return TCP_ACK_DROP;
	}
	if (SEQ_LT(seg->ack, c->snd_una - c->max_snd_wnd - 1)) {
		TCP_RULE(s, ack_too_old);
		COUNT(s, tcp_rx_drop_bad_ack);
		tcp_challenge_ack(s, now, c);
		return TCP_ACK_DROP;
	}
	c->persist_unanswered = 0; /* the peer is there */
	if (c->sack_ok && seg->nsack)
		sack = tcp_txr_sack(c, seg, now);
	if (sack & TCP_SACK_DSACK)
		COUNT(s, tcp_rx_dsacks);

	advanced = SEQ_GT(seg->ack, c->snd_una);
	/* A probe's episode ends before snd_una moves: a loss it repaired
	 * is answered from the flight it was part of. */
	tcp_tlp_ack(s, now, c, seg, sack, advanced);
	if (advanced)
		tcp_ack_new_data(s, now, c, seg);
	else if (tcp_is_dup_ack(c, seg))
		tcp_dup_ack(s, now, c, seg);

	/* RACK-TLP (RFC 8985): losses judged by time, and the probe
	 * timeout rearmed. */
	if (c->txr_n && tcp_rack_detect(c, now) &&
	    c->recovery == TCP_RECOVERY_NONE)
		tcp_enter_recovery(s, now, c);
	if (c->recovery == TCP_RECOVERY_FAST && s->lim.tcp_prr)
		tcp_prr_on_ack(s, c, una, sacked, lost, dupacks);
	if (advanced || c->recovery != TCP_RECOVERY_NONE || c->lost_bytes ||
	    c->sacked_bytes)
		tcp_tlp_arm(s, now, c); /* RFC 8985 7.2 */
	tcp_timer_update(s, c);

	tcp_window_update(s, now, c, seg);
	return tcp_our_fin_acked(s, now, c);
}

/* Drops a segment's payload, and its FIN with it: a FIN counts only
 * once the data before it is in, so the peer resends both. */
static void tcp_drop_payload(struct tcp_seg *seg)
{
	seg->len = 0;
	seg->flags &= (uint8_t)~TCP_FIN;
}

/* Is the pool nearly out of buffers of p's class? Then data is dropped
 * rather than queued, keeping buffers for ACKs and other connections:
 * 64 small ones (a quarter of a smaller pool), or 1/16 of the large
 * ones (super-segments). */
static bool tcp_pool_low(const struct stack *s, const struct pkt *p)
{
	unsigned c =
	    p->pkt_class < PKT_CLASS_COUNT ? p->pkt_class : PKT_CLASS_SMALL;
	uint32_t margin = s->pool.max[c] / 16;

	if (c == PKT_CLASS_SMALL)
		margin = s->pool.max[c] / 4 < TCP_POOL_RESERVE_SMALL
			     ? s->pool.max[c] / 4
			     : TCP_POOL_RESERVE_SMALL;

	return s->pool.in_use[c] + margin > s->pool.max[c];
}

/* Quick ACK, as Linux's quickack mode (RFC 5681 4.2 leaves the policy
 * open): the first in-order data of a connection, and the first after
 * an idle time longer than the RTO, is acknowledged segment by segment
 * for up to half the receive window in segments (at least 2, at most
 * TCP_QUICKACKS_MAX), so that the peer's slow start, which grows by the
 * ACKs it gets, is not held back by delayed ACKs. Not while the
 * connection is interactive (ack_pingpong, as Linux's pingpong mode):
 * our replies carry the ACKs there. Returns true when this segment's
 * ACK should go at once. */
static bool tcp_quick_ack(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	if (!c->last_data_rx || now - c->last_data_rx > c->rto) {
		uint32_t wnd = tcp_rcv_adv_window(c);
		uint32_t quick = wnd / (2u * c->our_mss);

		if (quick < 2)
			quick = 2;
		if (quick > TCP_QUICKACKS_MAX)
			quick = TCP_QUICKACKS_MAX;
		if (quick > c->quickacks)
			c->quickacks = (uint8_t)quick;
	}
	c->last_data_rx = now;
	if (!c->quickacks || c->ack_pingpong)
		return false;
	c->quickacks--;
	COUNT(s, tcp_quick_acks);
	return true;
}

/* The most payload the peer may send in one segment: the MSS we
 * advertised, less its timestamp option when timestamps are on. */
static uint32_t tcp_peer_seg_max(const struct tcp_conn *c)
{
	return c->our_mss - (c->ts_ok ? 12u : 0u);
}

/* Queues in-order data (takes p, payload at p->data) or stores it out
 * of order. Returns true when the ACK should go at once. */
static bool tcp_data_in(struct stack *s, uint64_t now, struct tcp_conn *c,
			struct tcp_seg *seg, struct pkt *p)
{
	bool was_empty = tcp_rcv_queued(c) == 0;
	uint32_t len = seg->len;

	p->data = (uint8_t *)seg->data;
	p->len = len;
	if (seg->seq != c->rcv_nxt) {
		/* Out of order: keep it (SHLD-31), ACK at once (RFC 5681
		 * 4.2, MAY-13). */
		TCP_RULE(s, data_out_of_order);
		COUNT(s, tcp_rx_ooo_segments);
		c->ooo_recent = seg->seq;
		if (seg->flags & TCP_FIN) {
			c->rcv_fin_pending = true;
			c->rcv_fin_seq = seg->seq + len;
		}
		if (!tcp_ooo_insert(s, c, seg->seq, p))
			COUNT(s, tcp_rx_ooo_drop);
		return true;
	}
	TCP_RULE(s, data_in_order);
	tcp_rcvq_append(s, c, p);
	c->rcv_nxt += len;
	c->bytes_received += len;
	tcp_rcv_rtt_measure(s, now, c, seg);
	if (c->nooo) {
		uint32_t moved = tcp_ooo_drain(s, c);
		c->rcv_nxt += moved;
		c->bytes_received += moved;
		if (c->rcv_fin_pending && c->rcv_nxt == c->rcv_fin_seq)
			seg->flags |= TCP_FIN;
		(void)now;
		if (was_empty && !c->readable_signalled) {
			c->readable_signalled = true;
			tcp_event(s, c, STACK_EV_TCP_READABLE);
		}
		return true; /* a hole filled: ACK at once */
	}
	if (was_empty && !c->readable_signalled) {
		c->readable_signalled = true;
		tcp_event(s, c, STACK_EV_TCP_READABLE);
	}
	if (tcp_quick_ack(s, now, c))
		return true;
	/* Delayed ACK (RFC 1122 4.2.3.2, RFC 5681 4.2; SHLD-18): every
	 * second full-sized segment at once (SHLD-19), else within
	 * TCP_DELACK_NS (MUST-40). A small pushed segment waits too, as in
	 * Linux: a request's reply, sent within the delayed-ACK time,
	 * carries its ACK, so a round trip is one segment each way. */
	/* A super-segment counts as two when it holds more than one
	 * segment's worth: a TSO frame of one full and one short segment is
	 * two on the peer's wire, and waiting for the delayed ACK there
	 * made the peer's tail-loss probe fire (Linux ACKs at once when
	 * more than one MSS has arrived). One segment's worth is what the
	 * peer may put in one: our MSS less the timestamp option (12 bytes
	 * with its padding) it carries on every segment (RFC 6691: options
	 * come out of the MSS), as Linux measures rcv_mss. */
	if (len >= c->our_mss - 40u)
		c->unacked_full_segs =
		    (uint8_t)(c->unacked_full_segs +
			      (len > tcp_peer_seg_max(c) ? 2 : 1));
	return c->unacked_full_segs >= 2;
}

/* Owes the peer an ACK within TCP_DELACK_NS (the delack timer, unless
 * it already runs). */
static void tcp_delack_schedule(struct stack *s, uint64_t now,
				struct tcp_conn *c)
{
	c->delack_pending = true;
	if (!c->t_delack) {
		c->t_delack = now + TCP_DELACK_NS;
		tcp_timer_update(s, c);
	}
}

/* fin_in: a FIN at rcv_nxt (RFC 9293 3.10.7.4, eighth check). The
 * first FIN (-> CLOSE_WAIT) is acknowledged as data is, within
 * TCP_DELACK_NS (Linux's choice: it enters pingpong mode there), so
 * that an application that closes at once sends one FIN+ACK; the FIN
 * that answers ours (-> CLOSING, TIME_WAIT) at once, as nothing of
 * ours will follow to carry it. */
static void tcp_fin_in(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	TCP_RULE(s, fin_in);
	c->rcv_nxt++;
	c->fin_received = true;
	c->rcv_fin_pending = false;
	switch (c->state) {
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
		tcp_set_state(s, now, c, TCPS_CLOSE_WAIT);
		tcp_delack_schedule(s, now, c);
		break;
	case TCPS_FIN_WAIT_1:
		c->ack_now = true;
		if (tcp_fin_acked(c))
			tcp_set_state(s, now, c, TCPS_TIME_WAIT);
		else
			tcp_set_state(s, now, c, TCPS_CLOSING);
		break;
	case TCPS_FIN_WAIT_2:
		c->ack_now = true;
		tcp_set_state(s, now, c, TCPS_TIME_WAIT);
		break;
	default:
		c->ack_now = true;
		break;
	}
	if (!c->readable_signalled) {
		c->readable_signalled = true;
		tcp_event(s, c, STACK_EV_TCP_READABLE);
	}
}

/* The acceptability test (RFC 9293 3.10.7.4, first check) for a segment
 * of seqlen in a receive window of wnd bytes from rcv_nxt. */
static bool tcp_seq_acceptable(const struct tcp_conn *c,
			       const struct tcp_seg *seg, uint32_t seqlen,
			       uint32_t wnd)
{
	if (seqlen == 0)
		return wnd == 0 ? seg->seq == c->rcv_nxt
				: SEQ_GEQ(seg->seq, c->rcv_nxt) &&
				      SEQ_LT(seg->seq, c->rcv_nxt + wnd);
	return wnd > 0 && ((SEQ_GEQ(seg->seq, c->rcv_nxt) &&
			    SEQ_LT(seg->seq, c->rcv_nxt + wnd)) ||
			   (SEQ_GEQ(seg->seq + seqlen - 1, c->rcv_nxt) &&
			    SEQ_LT(seg->seq + seqlen - 1, c->rcv_nxt + wnd)));
}

/* Counts a segment the acceptability test refused (not a RST, not a
 * probe) as tcp_rx_drop_out_of_window and by what refused it:
 *   _left         all of it is below rcv_nxt (an empty one: its seq),
 *                 received before: an old duplicate, a late
 *                 retransmission, a stale ACK;
 *   _zero_window  our window is shut and it brings sequence space at or
 *                 after rcv_nxt (a zero-window probe at rcv_nxt is
 *                 taken, zero_window_accept: this one starts elsewhere);
 *   _right        it starts at or beyond rcv_nxt + wnd: the peer sent
 *                 past the window we advertised, or guessed;
 *   _spans        it starts below rcv_nxt and ends beyond the window:
 *                 neither end inside (a retransmission larger than a
 *                 window that shrank). */
static void tcp_count_out_of_window(struct stack *s, const struct tcp_conn *c,
				    const struct tcp_seg *seg, uint32_t seqlen,
				    uint32_t wnd)
{
	COUNT(s, tcp_rx_drop_out_of_window);
	if (seqlen ? SEQ_LEQ(seg->seq + seqlen, c->rcv_nxt)
		   : SEQ_LT(seg->seq, c->rcv_nxt))
		COUNT(s, tcp_rx_drop_out_of_window_left);
	else if (wnd == 0)
		COUNT(s, tcp_rx_drop_out_of_window_zero_window);
	else if (SEQ_GEQ(seg->seq, c->rcv_nxt + wnd))
		COUNT(s, tcp_rx_drop_out_of_window_right);
	else
		COUNT(s, tcp_rx_drop_out_of_window_spans);
}

/* The first check: an unacceptable segment is answered with an ACK
 * (seq_unacceptable) and false returned; a zero window still takes a
 * segment's ACK and RST (zero_window_accept: its data and SYN and FIN
 * are dropped, and *ack_now set to answer the probe). */
static bool tcp_first_check(struct stack *s, uint64_t now, struct tcp_conn *c,
			    struct tcp_seg *seg, uint32_t seqlen, uint32_t wnd,
			    bool *ack_now)
{
	if (tcp_seq_acceptable(c, seg, seqlen, wnd))
		return true;
	if (wnd == 0 && seg->seq == c->rcv_nxt) {
		/* MUST-66: RST and ACK processed whatever the window. */
		TCP_RULE(s, zero_window_accept);
		seg->len = 0;
		seg->flags &= (uint8_t) ~(TCP_FIN | TCP_SYN);
		*ack_now = true; /* answer the probe with our window */
		return true;
	}
	TCP_RULE(s, seq_unacceptable);
	if (seg->flags & TCP_RST)
		return false;
	/* A keepalive or zero-window probe (an empty segment just below
	 * rcv_nxt) is not a drop worth counting, and is always answered:
	 * the peer's liveness hangs on it, and an attacker who knows
	 * rcv_nxt is in the window anyway. */
	if (seqlen == 0 && seg->seq == c->rcv_nxt - 1) {
		tcp_send_ack(s, now, c);
		return false;
	}
	tcp_count_out_of_window(s, c, seg, seqlen, wnd);
	/* An old duplicate gets an ACK, with a DSACK for its data (RFC 2883
	 * 4.1.1); a SYN a challenge ACK (RFC 5961 4.2). Both within the
	 * bounds of tcp_invalid_ack(); a DSACK held back goes with the
	 * next ACK. */
	if (seg->len && SEQ_LEQ(seg->seq + seg->len, c->rcv_nxt))
		tcp_dsack_note(c, seg->seq, seg->seq + seg->len);
	tcp_invalid_ack(s, now, c, (seg->flags & TCP_SYN) != 0);
	return false;
}

/* The second check, an acceptable RST (RFC 5961 3.2): a challenge ACK
 * unless it is at rcv_nxt, else the connection is closed. c may be
 * freed. */
static void tcp_rst_in(struct stack *s, uint64_t now, struct tcp_conn *c,
		       const struct tcp_seg *seg)
{
	if (seg->seq != c->rcv_nxt) {
		TCP_RULE(s, rst_challenge);
		tcp_challenge_ack(s, now, c);
		return;
	}
	COUNT(s, tcp_rx_resets);
	if (c->state == TCPS_SYN_RECEIVED && c->listener >= 0) {
		/* deliver_in_7a: back to LISTEN, the half-open connection
		 * goes (MUST-11: a passive open's SYN-RECEIVED returns to
		 * LISTEN). */
		TCP_RULE(s, deliver_in_7a);
		tcp_fail(s, c, ECONNREFUSED);
	} else if (c->state == TCPS_CLOSING || c->state == TCPS_LAST_ACK ||
		   c->state == TCPS_TIME_WAIT) {
		TCP_RULE(s, rst_closing);
		tcp_fail(s, c, 0);
	} else {
		/* deliver_in_7 (deliver_in_7a for an active or simultaneous
		 * open's SYN-RECEIVED); MUST-12: the user learns of the
		 * reset. */
		if (c->state == TCPS_SYN_RECEIVED)
			TCP_RULE(s, deliver_in_7a);
		else
			TCP_RULE(s, deliver_in_7);
		COUNT(s, tcp_conns_reset);
		tcp_fail(s, c,
			 c->state == TCPS_SYN_RECEIVED ? ECONNREFUSED
						       : ECONNRESET);
	}
}

/* The fifth check in SYN_RECEIVED: the ACK of our SYN completes the
 * handshake (deliver_in_3d); any other ACK is answered with a reset
 * (deliver_in_3c) and false returned. */
static bool tcp_handshake_ack(struct stack *s, uint64_t now, struct tcp_conn *c,
			      const struct tcp_seg *seg)
{
	if (!SEQ_GT(seg->ack, c->snd_una) || SEQ_GT(seg->ack, c->snd_max)) {
		TCP_RULE(s, deliver_in_3c);
		tcp_send_reset_for(s, now, seg);
		return false;
	}
	TCP_RULE(s, deliver_in_3d);
	tcp_set_state(s, now, c, TCPS_ESTABLISHED);
	c->snd_wnd = (uint32_t)seg->wnd << c->snd_wscale;
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	tcp_rtt_from_ack(s, now, c, seg);
	if (c->listener >= 0)
		tcp_listener_established(s, c);
	else
		tcp_event(s, c, STACK_EV_TCP_CONNECTED);
	return true;
}

/* The seventh check: trims what was received before (data_duplicate)
 * and what lies beyond the window (data_beyond_window), then takes the
 * rest, *pp included, when it can. Sets *ack_now when the ACK must go
 * at once. Returns false when the connection was reset (data after the
 * user closed): c may be freed. URG is ignored, urgent data is in-line:
 * MUST-30, MUST-31, MUST-32, MUST-33 and MUST-62 are not implemented. */
static bool tcp_text_in(struct stack *s, uint64_t now, struct tcp_conn *c,
			struct tcp_seg *seg, uint32_t wnd, struct pkt **pp,
			bool *ack_now)
{
	if (seg->seq != c->rcv_nxt && SEQ_LT(seg->seq, c->rcv_nxt) &&
	    seg->len) {
		uint32_t old = c->rcv_nxt - seg->seq;

		TCP_RULE(s, data_duplicate);
		tcp_dsack_note(c, seg->seq,
			       old >= seg->len ? seg->seq + seg->len
					       : c->rcv_nxt);
		if (old >= seg->len) {
			seg->len = 0;
		} else {
			seg->data += old;
			seg->len -= old;
			seg->seq = c->rcv_nxt;
		}
	}
	if (seg->len && SEQ_GT(seg->seq + seg->len, c->rcv_nxt + wnd)) {
		/* A FIN after the window goes with what is trimmed. */
		uint32_t room = c->rcv_nxt + wnd - seg->seq;

		TCP_RULE(s, data_beyond_window);
		seg->len = SEQ_GT(c->rcv_nxt + wnd, seg->seq) ? room : 0;
		seg->flags &= (uint8_t)~TCP_FIN;
	}
	if (!seg->len)
		return true;
	/* The pool under hard pressure: prune out-of-order data first. */
	if (tcp_mem_level(s) == TCP_MEM_HARD)
		tcp_mem_reclaim(s);
	if (c->state != TCPS_ESTABLISHED && c->state != TCPS_FIN_WAIT_1 &&
	    c->state != TCPS_FIN_WAIT_2) {
		/* Data after the peer's FIN: ignore it. */
		TCP_RULE(s, data_after_fin);
		seg->len = 0;
	} else if (c->user_closed) {
		/* Nobody will read it: reset, as a closed socket does (RFC
		 * 9293 3.6, SHLD-3: the RST shows that data was lost). */
		TCP_RULE(s, data_after_close);
		tcp_send_reset(s, now, c);
		tcp_fail(s, c, ECONNRESET);
		return false;
	} else if (tcp_rcv_queued(c) + tcp_ooo_bytes(c) + seg->len >
		       c->rcv_wnd_max + c->our_mss ||
		   tcp_pool_low(s, *pp)) {
		TCP_RULE(s, data_no_buffer);
		COUNT(s, tcp_rx_drop_no_buffer);
		tcp_drop_payload(seg);
		*ack_now = true;
	} else if (tcp_mem_level(s) == TCP_MEM_HARD &&
		   !tcp_rcv_pressure_fit(s, c, seg, *pp)) {
		/* The pool under hard pressure even after pruning: a
		 * connection may hold only up to its minimum, and takes what
		 * of the segment fits it (tcp_buf.c). */
		TCP_RULE(s, data_mem_pressure);
		COUNT(s, tcp_rx_drop_mem_pressure);
		tcp_drop_payload(seg);
		*ack_now = true;
	} else {
		*ack_now = tcp_data_in(s, now, c, seg, *pp);
		*pp = NULL;
	}
	return true;
}

/* The eighth check: this segment's FIN, or one that arrived out of
 * order and whose place the data just reached (fin_in); a FIN again in
 * TIME_WAIT (fin_in_time_wait); or a FIN beyond rcv_nxt, remembered
 * and acknowledged at once (fin_out_of_order). */
static void tcp_fin_check(struct stack *s, uint64_t now, struct tcp_conn *c,
			  const struct tcp_seg *seg)
{
	if (((seg->flags & TCP_FIN) && seg->seq + seg->len == c->rcv_nxt &&
	     !c->fin_received) ||
	    (c->rcv_fin_pending && c->rcv_nxt == c->rcv_fin_seq &&
	     !c->fin_received)) {
		tcp_fin_in(s, now, c);
	} else if ((seg->flags & TCP_FIN) && c->state == TCPS_TIME_WAIT) {
		/* A retransmitted FIN: ACK it, restart 2MSL. */
		TCP_RULE(s, fin_in_time_wait);
		c->ack_now = true;
		c->t_2msl = now + TCP_TIME_WAIT_NS;
		tcp_timer_update(s, c);
	} else if (seg->flags & TCP_FIN &&
		   SEQ_GT(seg->seq + seg->len, c->rcv_nxt)) {
		/* fin_out_of_order: a FIN beyond a hole is out-of-order
		 * data like any other, acknowledged at once (RFC 5681 4.2)
		 * so that the peer learns of the hole. */
		TCP_RULE(s, fin_out_of_order);
		c->rcv_fin_pending = true;
		c->rcv_fin_seq = seg->seq + seg->len;
		c->ack_now = true;
	}
}

/* The synchronized states (RFC 9293 3.10.7.4), its checks in order.
 * Takes p; c may be freed. */
static void tcp_established_in(struct stack *s, uint64_t now,
			       struct tcp_conn *c, struct tcp_seg *seg,
			       struct pkt *p)
{
	uint32_t wnd = tcp_rcv_adv_window(c);
	uint32_t seqlen = seg_seqlen(seg);
	bool ack_now = false;

	/* synack_resend: the peer's SYN again in SYN_RECEIVED means our
	 * SYN-ACK was lost; answer with it at once. */
	if (c->state == TCPS_SYN_RECEIVED && (seg->flags & TCP_SYN) &&
	    !(seg->flags & TCP_ACK) && seg->seq == c->irs) {
		TCP_RULE(s, synack_resend);
		tcp_retransmit_one(s, now, c);
		goto drop;
	}

	/* PAWS (RFC 7323 5.3). */
	if (c->ts_ok && seg->has_ts && !(seg->flags & TCP_RST) &&
	    SEQ_LT(seg->tsval, c->ts_recent) &&
	    now - c->ts_recent_age < TCP_PAWS_IDLE_NS) {
		TCP_RULE(s, paws_reject);
		COUNT(s, tcp_rx_drop_paws);
		tcp_invalid_ack(s, now, c, false);
		goto drop;
	}

	if (!tcp_first_check(s, now, c, seg, seqlen, wnd, &ack_now))
		goto drop;
	if (seg->flags & TCP_RST) {
		tcp_rst_in(s, now, c, seg);
		goto drop;
	}
	/* The fourth check, SYN (RFC 5961 4.2): deliver_in_8. */
	if (seg->flags & TCP_SYN) {
		TCP_RULE(s, deliver_in_8);
		tcp_challenge_ack(s, now, c);
		goto drop;
	}
	/* The fifth check, ACK. */
	if (!(seg->flags & TCP_ACK)) {
		TCP_RULE(s, ack_missing);
		goto drop;
	}
	if (c->state == TCPS_SYN_RECEIVED && !tcp_handshake_ack(s, now, c, seg))
		goto drop;
	TCP_RULE(s, deliver_in_3);
	if (c->ts_ok && seg->has_ts && SEQ_LEQ(seg->seq, c->last_ack_sent) &&
	    SEQ_LEQ(c->last_ack_sent, seg->seq + seqlen)) {
		/* RFC 7323 4.3: remember the timestamp to echo. */
		c->ts_recent = seg->tsval;
		c->ts_recent_age = now;
	}
	if (tcp_ack_in(s, now, c, seg) != TCP_ACK_GO_ON)
		goto drop; /* c may be gone: not touched again */
	c->last_rx = now;
	c->keep_probes = 0;
	if (c->keepalive && c->state == TCPS_ESTABLISHED) {
		c->t_keep = now + (uint64_t)c->keepidle_s * STACK_NS_PER_SEC;
		tcp_timer_update(s, c);
	}

	if (!tcp_text_in(s, now, c, seg, wnd, &p, &ack_now))
		goto drop; /* c may be gone */
	if (seg->len == 0 && seqlen && seg->seq != c->rcv_nxt)
		ack_now = true; /* out of order (a FIN too): RFC 5681 4.2 */
	tcp_fin_check(s, now, c, seg);

	/* MUST-58: ACKs aggregate through the delayed ACK. MUST-59 is not
	 * met: segments arrive one call at a time, and an ACK owed at once
	 * goes before the next segment is seen. */
	if (ack_now || c->dsack_pending)
		c->ack_now = true;
	else if (seg->len && !c->ack_now)
		tcp_delack_schedule(s, now, c);
	tcp_output(s, now, c, 0);
drop:
	if (p)
		stack_drop(s, p);
}

/* SYN_SENT (RFC 9293 3.10.7.3). Takes p. */
static void tcp_syn_sent_in(struct stack *s, uint64_t now, struct tcp_conn *c,
			    struct tcp_seg *seg, struct pkt *p)
{
	bool ack_ok = false;

	if (seg->flags & TCP_ACK) {
		if (SEQ_LEQ(seg->ack, c->iss) || SEQ_GT(seg->ack, c->snd_max)) {
			TCP_RULE(s, deliver_in_2a); /* a bad ACK */
			tcp_send_reset_for(s, now, seg);
			goto drop;
		}
		ack_ok = true;
	}
	if (seg->flags & TCP_RST) {
		if (ack_ok) {
			/* deliver_in_7d: connection refused (MUST-12). */
			TCP_RULE(s, deliver_in_7d);
			COUNT(s, tcp_conns_refused);
			tcp_fail(s, c, ECONNREFUSED);
		} else {
			TCP_RULE(s, deliver_in_2a);
		}
		goto drop;
	}
	if (!(seg->flags & TCP_SYN)) {
		TCP_RULE(s, deliver_in_2a);
		goto drop;
	}
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	tcp_take_syn_options(c, seg, true);
	if (ack_ok) {
		/* deliver_in_2: the handshake completes. */
		TCP_RULE(s, deliver_in_2);
		c->snd_una = seg->ack;
		tcp_rtt_from_ack(s, now, c, seg);
		c->backoff = 0;
		c->retries = 0;
		tcp_set_state(s, now, c, TCPS_ESTABLISHED);
		c->snd_wnd = seg->wnd; /* not scaled in a SYN */
		c->max_snd_wnd = c->snd_wnd;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = seg->ack;
		c->last_rx = now;
		tcp_rearm_rexmt(s, now, c);
		if (c->keepalive) {
			c->t_keep =
			    now + (uint64_t)c->keepidle_s * STACK_NS_PER_SEC;
			tcp_timer_update(s, c);
		}
		c->ack_now = true;
		tcp_event(s, c, STACK_EV_TCP_CONNECTED);
		tcp_output(s, now, c, 0);
	} else {
		/* deliver_in_2b: simultaneous open (3.10.7.3, fourth;
		 * MUST-10). */
		TCP_RULE(s, deliver_in_2b);
		tcp_set_state(s, now, c, TCPS_SYN_RECEIVED);
		c->snd_wnd = seg->wnd;
		c->snd_nxt = c->iss;
		tcp_output(s, now, c, 0);
	}
drop:
	stack_drop(s, p);
}

void tcp_input(struct stack *s, uint64_t now, struct pkt *p)
{
	struct tcp_seg seg;
	struct tcp_conn *c;

	COUNT(s, tcp_rx_segments);
	switch (tcp_parse(p->data, p->len, &seg)) {
	case TCP_PARSE_OK:
		break;
	case TCP_PARSE_SHORT:
		TCP_RULE(s, deliver_in_4);
		COUNT(s, tcp_rx_drop_short);
		goto drop;
	case TCP_PARSE_OFFSET:
		TCP_RULE(s, deliver_in_4);
		COUNT(s, tcp_rx_drop_offset);
		goto drop;
	default:
		TCP_RULE(s, deliver_in_4); /* MUST-7 */
		COUNT(s, tcp_rx_drop_options);
		goto drop;
	}
	/* MUST-3: the receiver checks the checksum (or the link did). */
	if (!(p->flags & PKT_F_CSUM_VALID) &&
	    csum_fold(
		csum_partial(p->data, p->len,
			     csum_pseudo(p->saddr, p->daddr, IPV4_PROTO_TCP,
					 (uint16_t)p->len))) != 0) {
		TCP_RULE(s, deliver_in_3a);
		COUNT(s, tcp_rx_drop_checksum);
		goto drop;
	}
	/* MUST-57: silently discard a segment to a broadcast address;
	 * MUST-63: and one from an invalid source (multicast and broadcast
	 * sources were refused by IPv4). */
	if (ipv4_is_broadcast(s, p->ifindex, p->daddr) || p->saddr == 0) {
		TCP_RULE(s, deliver_in_4);
		COUNT(s, tcp_rx_drop_broadcast);
		goto drop;
	}
	/* Flag combinations no TCP sends: SYN with FIN or RST, and a
	 * segment with neither SYN, ACK nor RST (RFC 9293 3.10.7.4:
	 * "if the ACK bit is off, drop the segment"). */
	if ((seg.flags & TCP_SYN && seg.flags & (TCP_FIN | TCP_RST)) ||
	    !(seg.flags & (TCP_SYN | TCP_ACK | TCP_RST))) {
		TCP_RULE(s, deliver_in_10);
		COUNT(s, tcp_rx_drop_flags);
		goto drop;
	}
	seg.saddr = p->saddr;
	seg.daddr = p->daddr;

	c = tcp_conn_lookup(s, seg.daddr, seg.dport, seg.saddr, seg.sport);
	if (c && c->state == TCPS_TIME_WAIT && (seg.flags & TCP_SYN) &&
	    !(seg.flags & TCP_ACK)) {
		/* RFC 6191: a new incarnation may take over TIME_WAIT
		 * (MAY-2; with timestamps, SHLD-4). */
		bool newer = c->ts_ok && seg.has_ts
				 ? SEQ_GT(seg.tsval, c->ts_recent) ||
				       (seg.tsval == c->ts_recent &&
					SEQ_GT(seg.seq, c->rcv_nxt))
				 : SEQ_GT(seg.seq, c->rcv_nxt);
		if (newer && c->user_closed) {
			TCP_RULE(s, time_wait_syn_reopen);
			COUNT(s, tcp_time_wait_reused);
			tcp_conn_free(s, c);
			c = NULL;
		}
	}
	if (c && c->state == TCPS_CLOSED)
		c = NULL; /* dead, held by its user: as if absent */
	if (!c) {
		if (tcp_listen_input(s, now, &seg, p))
			return;
		/* deliver_in_5: no connection, no listener. */
		TCP_RULE(s, deliver_in_5);
		COUNT(s, tcp_rx_no_conn);
		tcp_send_reset_for(s, now, &seg);
		goto drop;
	}
	if (c->state == TCPS_SYN_SENT)
		tcp_syn_sent_in(s, now, c, &seg, p);
	else
		tcp_established_in(s, now, c, &seg, p);
	return;
drop:
	stack_drop(s, p);
}

/* Starts a connection from a SYN at a listener (deliver_in_1, and SYN
 * cookie completion). Returns it, or NULL (no route, no room). */
struct tcp_conn *tcp_passive_open(struct stack *s, uint64_t now,
				  const struct tcp_seg *seg,
				  const struct tcp_sockopts *o, uint32_t iss)
{
	struct tcp_conn *c;
	uint32_t src, nexthop;
	int ifindex;

	if (ipv4_route(s, seg->saddr, &ifindex, &nexthop, &src) < 0)
		return NULL;
	c = tcp_conn_new(s, now);
	if (!c)
		return NULL;
	c->laddr = seg->daddr;
	c->lport = seg->dport;
	c->raddr = seg->saddr;
	c->rport = seg->sport;
	c->ifindex = (int16_t)ifindex;
	tcp_conn_setup(s, c, o);
	c->iss = iss;
	c->snd_una = c->snd_nxt = c->snd_max = iss;
	c->recover = iss;
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	c->last_rx = now;
	tcp_conn_hash(s, c);
	return c;
}

/* ---- listeners and SYN cookies ---- */

/*
 * SYN cookies carry a connection's essentials in our initial sequence
 * number when no state is kept: a keyed hash of the 4-tuple, the peer's
 * ISN, a 64-second counter (8 bits, so a cookie is honoured for two
 * ticks) and an index into a table of MSS values. Window scale and SACK
 * ride in the low 5 bits of our timestamp when the peer uses
 * timestamps; without them the connection goes without both.
 */
#define COOKIE_TICK_NS (64 * STACK_NS_PER_SEC)
static const uint16_t cookie_mss[] = {536, 1300, 1440, 1460};
#define COOKIE_MSS_COUNT (sizeof(cookie_mss) / sizeof(*cookie_mss))

static uint32_t cookie_tick(const struct stack *s, uint64_t now)
{
	return (uint32_t)((now - s->tcp->boot_ns) / COOKIE_TICK_NS);
}

static uint32_t cookie_make(const struct stack *s, uint64_t now,
			    const struct tcp_seg *seg, uint32_t mss_index)
{
	uint32_t tick = cookie_tick(s, now) & 0xff;
	uint32_t h1 = tcp_tuple_hash(s, seg->daddr, seg->dport, seg->saddr,
				     seg->sport, 1);
	uint32_t h2 = tcp_tuple_hash(s, seg->daddr, seg->dport, seg->saddr,
				     seg->sport, 2 + tick);

	return h1 + seg->seq + (tick << 24) + ((h2 + mss_index) & 0xffffff);
}

/* Checks the cookie an ACK returns; gives the MSS index or -1. */
static int cookie_check(const struct stack *s, uint64_t now,
			const struct tcp_seg *seg)
{
	uint32_t cookie = seg->ack - 1, peer_isn = seg->seq - 1;
	uint32_t h1 = tcp_tuple_hash(s, seg->daddr, seg->dport, seg->saddr,
				     seg->sport, 1);
	uint32_t diff = cookie - h1 - peer_isn;
	uint32_t tick = diff >> 24;
	uint32_t age = (cookie_tick(s, now) - tick) & 0xff;
	uint32_t h2, index;

	if (age > 1)
		return -1;
	h2 = tcp_tuple_hash(s, seg->daddr, seg->dport, seg->saddr, seg->sport,
			    2 + tick);
	index = (diff - h2) & 0xffffff;
	return index < COOKIE_MSS_COUNT ? (int)index : -1;
}

/* Answers a SYN with a cookie: a SYN-ACK from a connection block that
 * lives only on this function's stack. */
static void cookie_send(struct stack *s, uint64_t now,
			const struct tcp_listener *l, const struct tcp_seg *seg)
{
	struct tcp_conn tmp = {0};
	uint32_t src, nexthop, index = 0;
	int ifindex;
	uint16_t mss = seg->has_mss ? seg->mss : TCP_DEFAULT_MSS;

	if (ipv4_route(s, seg->saddr, &ifindex, &nexthop, &src) < 0)
		return;
	for (uint32_t i = 0; i < COOKIE_MSS_COUNT; i++)
		if (cookie_mss[i] <= mss)
			index = i;
	tmp.id = -1;
	tmp.heap_pos = -1;
	tmp.listener = -1;
	tmp.laddr = seg->daddr;
	tmp.lport = seg->dport;
	tmp.raddr = seg->saddr;
	tmp.rport = seg->sport;
	tmp.ifindex = (int16_t)ifindex;
	tmp.state = TCPS_SYN_RECEIVED; /* a template, never a connection */
	tcp_conn_setup(s, &tmp, &l->opts);
	tcp_take_syn_options(&tmp, seg, true);
	tmp.iss = cookie_make(s, now, seg, index);
	tmp.rcv_nxt = seg->seq + 1;
	tmp.rcv_adv = tmp.rcv_nxt;
	tmp.cookie = true;
	tmp.cookie_opts = (uint8_t)((tmp.ws_ok ? tmp.rcv_wscale : 0xf) |
				    (tmp.sack_ok ? 0x10 : 0));
	tcp_send_synack(s, now, &tmp);
	TCP_RULE(s, syn_cookie_sent);
	COUNT(s, tcp_syn_cookies_sent);
}

/* syn_cookie_ack: an ACK that returns a valid cookie makes a connection
 * in SYN_RECEIVED, which the ACK then completes. Returns it, or NULL;
 * *no_room is set when the cookie was valid but the connection could
 * not be made (the listener's accept queue full, a full table, no
 * route): the ACK is dropped, not reset, as Linux drops it (without
 * tcp_abort_on_overflow), and the peer's next segment tries again. */
static struct tcp_conn *cookie_complete(struct stack *s, uint64_t now,
					struct tcp_listener *l,
					const struct tcp_seg *seg,
					bool *no_room)
{
	int index = cookie_check(s, now, seg);
	struct tcp_seg syn = *seg;
	struct tcp_conn *c;

	if (index < 0) {
		COUNT(s, tcp_syn_cookies_bad);
		return NULL;
	}
	if (l->naccept >= l->backlog) {
		COUNT(s, tcp_listen_overflow);
		*no_room = true;
		return NULL;
	}
	/* Rebuild what the SYN said, as far as the cookie remembers. */
	syn.seq = seg->seq - 1;
	syn.flags = TCP_SYN;
	syn.has_mss = true;
	syn.mss = cookie_mss[index];
	syn.has_ts = seg->has_ts;
	syn.tsval = seg->tsval;
	syn.has_ws = seg->has_ts && (seg->tsecr & 0xf) != 0xf;
	syn.ws = (uint8_t)(seg->tsecr & 0xf);
	syn.sack_permitted = seg->has_ts && (seg->tsecr & 0x10);
	c = tcp_passive_open(s, now, &syn, &l->opts, seg->ack - 1);
	if (!c) {
		*no_room = true;
		return NULL;
	}
	/* Our window scale is the one tcp_conn_setup() chose for the
	 * listener's buffer, the same as when the cookie went out. */
	tcp_take_syn_options(c, &syn, true);
	c->snd_nxt = c->snd_max = seg->ack;
	c->snd_una = seg->ack - 1;
	c->listener = (int32_t)(l - s->tcp->listeners);
	l->nsyn++;
	tcp_set_state(s, now, c, TCPS_SYN_RECEIVED);
	c->rcv_adv = c->rcv_nxt + tcp_rcv_window(s, c);
	TCP_RULE(s, syn_cookie_ack);
	COUNT(s, tcp_syn_cookies_ok);
	return c;
}

/*
 * Takes one SYN from this turn's budget for all listeners. A SYN flood
 * would otherwise cost a SYN-ACK (a cookie) per SYN, built and written
 * by the caller, and crowd out the segments of established connections
 * read in the same batches. Like the budget of a NIC's poll (Linux's
 * netdev_budget), the work per turn is bounded; unlike Linux, which
 * answers every SYN with a cookie once its queue is full, SYNs beyond
 * the budget are dropped and counted (syn_over_budget): a genuine
 * client retries its SYN, and a cookie already sent still completes,
 * since the returning ACK is not a SYN and draws nothing. Returns false
 * when the budget is spent.
 */
static bool tcp_syn_budget(struct stack *s)
{
	uint32_t budget = s->lim.tcp_syn_turn_budget;

	if (budget == 0)
		return true;
	if (s->tcp->syn_turn_used >= budget)
		return false;
	s->tcp->syn_turn_used++;
	return true;
}

void tcp_turn(struct stack *s)
{
	s->tcp->syn_turn_used = 0;
}

bool tcp_listen_input(struct stack *s, uint64_t now, struct tcp_seg *seg,
		      struct pkt *p)
{
	struct tcp_listener *l = tcp_listener_find(s, seg->daddr, seg->dport);
	struct tcp_conn *c;

	if (!l)
		return false;
	if (seg->flags & TCP_RST) {
		TCP_RULE(s, deliver_in_7b); /* ignored */
		goto drop;
	}
	if (seg->flags & TCP_ACK) {
		bool no_room = false;

		/* Only a returning SYN cookie is welcome; anything else is
		 * deliver_in_1b: a reset. */
		c = seg->flags & TCP_SYN
			? NULL
			: cookie_complete(s, now, l, seg, &no_room);
		if (no_room)
			goto drop;
		if (!c) {
			TCP_RULE(s, deliver_in_1b);
			COUNT(s, tcp_rx_no_conn);
			tcp_send_reset_for(s, now, seg);
			goto drop;
		}
		tcp_established_in(s, now, c, seg, p);
		return true;
	}
	/* A bounded number of SYNs answered per turn, so that a flood
	 * costs each turn a fixed amount and established connections keep
	 * the rest (tcp_syn_budget()). */
	if (!tcp_syn_budget(s)) {
		TCP_RULE(s, syn_over_budget);
		if (p->ifindex < STACK_IF_MAX) /* per interface, for shedding */
			s->ifs[p->ifindex].syn_over_budget++;
		goto drop;
	}
	/* deliver_in_1 (RFC 9293 3.10.7.2, third check): passive open. */
	if (l->naccept >= l->backlog) {
		TCP_RULE(s, listen_queue_full);
		COUNT(s, tcp_listen_overflow);
		goto drop;
	}
	if (l->nsyn >= l->syn_backlog) {
		cookie_send(s, now, l, seg);
		goto drop;
	}
	/* No room in the table (tcp_conns_table_full; every TIME_WAIT in
	 * it still held by its user) or no route: the SYN is dropped, as
	 * one a full accept queue cannot take, and as Linux drops what it
	 * cannot take. The peer sends it again and finds room once a
	 * connection goes; a cookie instead would be returned by an ACK
	 * that finds the table as full, and the connection the peer takes
	 * for established would be reset. */
	c = tcp_passive_open(
	    s, now, seg, &l->opts,
	    tcp_isn(s, now, seg->daddr, seg->dport, seg->saddr, seg->sport));
	if (!c)
		goto drop;
	TCP_RULE(s, deliver_in_1);
	c->listener = (int32_t)(l - s->tcp->listeners);
	l->nsyn++;
	tcp_set_state(s, now, c, TCPS_SYN_RECEIVED);
	tcp_take_syn_options(c, seg, true);
	c->snd_wnd = seg->wnd;
	tcp_output(s, now, c, 0);
drop:
	stack_drop(s, p);
	return true;
}

/* ---- ICMP errors (RFC 1122 4.2.3.9, RFC 5927) ---- */

void tcp_icmp_error(struct stack *s, const struct ipv4_view *quoted,
		    const uint8_t *tcp_hdr, int error)
{
	uint16_t sport = get_be16(tcp_hdr + TCP_OFF_SPORT);
	uint16_t dport = get_be16(tcp_hdr + TCP_OFF_DPORT);
	uint32_t seq = get_be32(tcp_hdr + TCP_OFF_SEQ);
	struct tcp_conn *c =
	    tcp_conn_lookup(s, quoted->saddr, sport, quoted->daddr, dport);

	if (!c)
		return;
	/* Only for a segment in flight, SND.UNA <= SEG.SEQ < SND.NXT (RFC
	 * 5927 4.1; snd_max is the highest SND.NXT): blind forgeries change
	 * nothing. In SYN-SENT that is the ISN alone. */
	if (SEQ_LT(seq, c->snd_una) || SEQ_GEQ(seq, c->snd_max)) {
		TCP_RULE(s, icmp_out_of_window);
		return;
	}
	if (c->state == TCPS_SYN_SENT &&
	    (error == ECONNREFUSED || error == ENOPROTOOPT)) {
		/* The peer has no TCP listening there: a hard error
		 * while connecting, as Linux treats it (SHLD-26, which
		 * would abort in any state). */
		TCP_RULE(s, icmp_refused);
		COUNT(s, tcp_conns_refused);
		tcp_fail(s, c, ECONNREFUSED);
		return;
	}
	/* Otherwise a soft error: retries go on, and a timeout reports
	 * it instead of ETIMEDOUT (RFC 1122 4.2.3.9; MUST-54, SHLD-25;
	 * MUST-56: no abort on unreachable codes 0, 1, 5). */
	TCP_RULE(s, icmp_soft_error);
	c->soft_error = error;
}

void tcp_local_unreachable(struct stack *s, const struct ipv4_view *quoted,
			   const uint8_t *tcp_hdr)
{
	uint16_t sport = get_be16(tcp_hdr + TCP_OFF_SPORT);
	uint16_t dport = get_be16(tcp_hdr + TCP_OFF_DPORT);
	struct tcp_conn *c =
	    tcp_conn_lookup(s, quoted->saddr, sport, quoted->daddr, dport);

	if (!c)
		return;
	if (c->state == TCPS_SYN_SENT) {
		/* Nobody answers ARP for the next hop: the connect fails
		 * now with EHOSTUNREACH, as Linux's does when its
		 * neighbour entry fails, rather than after its timeout.
		 * The knowledge is our own, not a message from outside,
		 * so no sequence check applies. */
		TCP_RULE(s, local_unreachable);
		tcp_fail(s, c, EHOSTUNREACH);
		return;
	}
	/* In other states a soft error, as an ICMP one (RFC 1122
	 * 4.2.3.9): retransmission goes on and ARP is tried again. */
	TCP_RULE(s, icmp_soft_error);
	c->soft_error = EHOSTUNREACH;
}
