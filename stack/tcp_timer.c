/*
 * tcp_timer.c - µTCP's timers: retransmission (RFC 6298), persist,
 * delayed ACK, keepalive (RFC 1122 4.2.3.6), FIN_WAIT_2 and TIME_WAIT
 *
 * Each connection keeps an absolute deadline per timer (0 = stopped)
 * and their minimum, timer_at, which places it in a binary min-heap of
 * connections. The stack's next deadline is the heap's top; running
 * the timers pops every connection whose timer_at has come. Changing a
 * deadline costs O(log n), finding the next one O(1).
 *
 * Retransmission timeout: RFC 6298 with the minimum at TCP_RTO_MIN_NS
 * (200 ms, as Linux, rather than 1 s) and exponential backoff; after
 * TCP_DATA_RETRIES timeouts (TCP_SYN_RETRIES for a SYN) the connection
 * fails with ETIMEDOUT. On a timeout the congestion controller is told,
 * what the peer SACKed is kept (RFC 6675 5.1 allows either) and the
 * rest is judged lost and resent from snd_una as cwnd allows.
 *
 * RACK's reordering timer and TLP's probe timeout (RFC 8985) are two
 * more deadlines; tcp_rack.c decides what they do.
 *
 * Orphans (their user closed them, or their user's application is
 * gone) give up sooner, as Linux's do: after tcp_orphan_retries
 * retransmission timeouts rather than TCP_DATA_RETRIES, and after
 * tcp_orphan_retries zero-window probes even while the peer answers
 * them, so a peer that never reads cannot pin an orphan for ever.
 *
 * Out of send memory: when the retransmission or persist timer of an
 * orphan that still holds send-buffer chunks
 * expires while connections wait for chunks (tcp_buf.c), the orphan
 * is reset and its chunks go to them (tcp_orphans_reset_mem), as
 * Linux resets orphans when TCP is out of memory.
 */
#include "tcp.h"

static uint64_t tcp_min_deadline(const struct tcp_conn *c)
{
	uint64_t t = 0;
	const uint64_t all[] = {c->t_rexmt, c->t_delack, c->t_keep,
				c->t_2msl,  c->t_reo,	 c->t_tlp};

	for (unsigned i = 0; i < sizeof(all) / sizeof(*all); i++)
		if (all[i] && (!t || all[i] < t))
			t = all[i];
	return t;
}

static bool heap_less(const struct tcp_table *t, uint32_t a, uint32_t b)
{
	return t->conns[t->heap[a]]->timer_at < t->conns[t->heap[b]]->timer_at;
}

static void heap_swap(struct tcp_table *t, uint32_t a, uint32_t b)
{
	int32_t x = t->heap[a];

	t->heap[a] = t->heap[b];
	t->heap[b] = x;
	t->conns[t->heap[a]]->heap_pos = (int32_t)a;
	t->conns[t->heap[b]]->heap_pos = (int32_t)b;
}

static void heap_up(struct tcp_table *t, uint32_t i)
{
	while (i > 0 && heap_less(t, i, (i - 1) / 2)) {
		heap_swap(t, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct tcp_table *t, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < t->heap_len && heap_less(t, l, m))
			m = l;
		if (r < t->heap_len && heap_less(t, r, m))
			m = r;
		if (m == i)
			return;
		heap_swap(t, i, m);
		i = m;
	}
}

static void heap_remove(struct tcp_table *t, struct tcp_conn *c)
{
	uint32_t i = (uint32_t)c->heap_pos;

	c->heap_pos = -1;
	t->heap_len--;
	if (i == t->heap_len)
		return;
	t->heap[i] = t->heap[t->heap_len];
	t->conns[t->heap[i]]->heap_pos = (int32_t)i;
	heap_down(t, i);
	heap_up(t, i);
}

void tcp_timer_update(struct stack *s, struct tcp_conn *c)
{
	struct tcp_table *t = s->tcp;
	uint64_t at = tcp_min_deadline(c);

	if (!at) {
		if (c->heap_pos >= 0)
			heap_remove(t, c);
		c->timer_at = 0;
		return;
	}
	c->timer_at = at;
	if (c->heap_pos < 0) {
		c->heap_pos = (int32_t)t->heap_len;
		t->heap[t->heap_len++] = c->id;
	}
	heap_down(t, (uint32_t)c->heap_pos);
	heap_up(t, (uint32_t)c->heap_pos);
	stack_deadline_hint(s, at);
}

uint64_t tcp_next_deadline(const struct stack *s)
{
	const struct tcp_table *t = s->tcp;

	if (!t || t->heap_len == 0)
		return STACK_NO_DEADLINE;
	return t->conns[t->heap[0]]->timer_at;
}

void tcp_rtt_sample(struct tcp_conn *c, uint64_t rtt)
{
	/* RFC 6298 2.2 and 2.3, alpha 1/8, beta 1/4, K 4 (RFC 9293 3.8.1). */
	if (rtt == 0)
		rtt = 1000; /* a microsecond: clocks are coarse */
	if (!c->srtt) {
		c->srtt = rtt;
		c->rttvar = rtt / 2;
	} else {
		uint64_t delta = c->srtt > rtt ? c->srtt - rtt : rtt - c->srtt;
		c->rttvar = (3 * c->rttvar + delta) / 4;
		c->srtt = (7 * c->srtt + rtt) / 8;
	}
	/* RTO = SRTT + max(G, 4 RTTVAR) with Linux's 200 ms as the clock
	 * granularity G: the floor applies to the variation, so a long
	 * path keeps 200 ms of slack beyond its round trip. */
	c->rto = c->srtt + (4 * c->rttvar > TCP_RTO_MIN_NS ? 4 * c->rttvar
							   : TCP_RTO_MIN_NS);
	if (c->rto > TCP_RTO_MAX_NS)
		c->rto = TCP_RTO_MAX_NS;
}

static uint64_t tcp_backed_off_rto(const struct tcp_conn *c)
{
	uint64_t rto = c->rto << (c->backoff < 16 ? c->backoff : 16);

	return rto > TCP_RTO_MAX_NS ? TCP_RTO_MAX_NS : rto;
}

void tcp_rearm_rexmt(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	/* RFC 6298 5.1-5.3: runs while data (or SYN/FIN) is outstanding;
	 * otherwise the persist timer runs if the window is zero. */
	if (SEQ_LT(c->snd_una, c->snd_max)) {
		c->persist = false;
		c->t_rexmt = now + tcp_backed_off_rto(c);
	} else if ((c->sndbuf.len > c->snd_nxt - c->snd_una ||
		    tcp_fin_unsent(c)) &&
		   c->state >= TCPS_ESTABLISHED && c->state != TCPS_TIME_WAIT) {
		/* Nothing in flight, data (or our FIN) waiting, and the
		 * window too small to send it, or no buffer to build it in:
		 * the persist timer probes a zero window (RFC 9293 3.8.6.1),
		 * overrides sender SWS avoidance (3.8.6.2.1, the override
		 * timeout) or tries again. */
		uint64_t p = tcp_backed_off_rto(c);
		if (p < TCP_PERSIST_MIN_NS)
			p = TCP_PERSIST_MIN_NS;
		if (p > TCP_PERSIST_MAX_NS)
			p = TCP_PERSIST_MAX_NS;
		if (!c->persist || !c->t_rexmt)
			c->t_rexmt = now + p;
		c->persist = true;
	} else {
		c->persist = false;
		c->t_rexmt = 0;
	}
	if (c->snd_una == c->snd_max)
		c->t_reo = c->t_tlp = 0; /* nothing in flight to judge */
	tcp_timer_update(s, c);
}

/* The retransmission timer expired (RFC 6298 5.4-5.7). Returns false
 * when the connection is gone (failed or freed). */
static bool tcp_timeout_rexmt(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	uint32_t limit =
	    c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED
		? (c->state == TCPS_SYN_SENT ? TCP_SYN_RETRIES
					     : TCP_SYNACK_RETRIES)
		: TCP_DATA_RETRIES;

	if (tcp_is_orphan(c) && c->state >= TCPS_ESTABLISHED &&
	    limit > s->lim.tcp_orphan_retries)
		limit = s->lim.tcp_orphan_retries; /* Linux's, for orphans */
	c->t_rexmt = 0;
	if (tcp_is_orphan(c) && c->sndbuf.len && tcp_mem_waiters(s)) {
		/* An orphan holds send-buffer chunks that connections with
		 * a user wait for: it is reset, as Linux resets orphans
		 * when TCP is out of memory (tcp_out_of_resources). */
		COUNT(s, tcp_orphans_reset_mem);
		COUNT(s, tcp_conns_reset);
		tcp_send_reset(s, now, c);
		tcp_fail(s, c, ECONNRESET);
		return false;
	}
	if (c->persist) {
		/* timer_tt_persist_1: send what the window allows, or probe
		 * a zero window (MUST-36: the first probe after an RTO,
		 * SHLD-29; backing off, SHLD-30); a probe never gives up
		 * while the peer answers it. */
		TCP_RULE(s, timer_tt_persist_1);
		if (c->snd_wnd == 0) {
			/* A peer that answers probes may keep its window shut
			 * for ever (MUST-37); one that stops answering is
			 * gone. So may an orphan's, but nobody waits for it
			 * any more: it gives up after tcp_orphan_retries
			 * probes (backoff counts them since the window last
			 * opened or data was acknowledged), as Linux does,
			 * rather than hold its memory for ever. */
			if (tcp_is_orphan(c) &&
			    c->backoff >= s->lim.tcp_orphan_retries) {
				TCP_RULE(s, persist_orphan_give_up);
				COUNT(s, tcp_conns_timed_out);
				tcp_send_reset(s, now, c);
				tcp_fail(s, c, ETIMEDOUT);
				return false;
			}
			if (c->persist_unanswered >= TCP_DATA_RETRIES) {
				TCP_RULE(s, persist_give_up);
				COUNT(s, tcp_conns_timed_out);
				tcp_send_reset(s, now, c);
				tcp_fail(s, c, ETIMEDOUT);
				return false;
			}
			COUNT(s, tcp_zero_window_probes);
			c->persist_unanswered++;
			c->backoff++;
		}
		tcp_output(s, now, c, TCP_OUT_FORCE);
		c->persist = false;
		tcp_rearm_rexmt(s, now, c);
		return true;
	}
	if (c->retries >= limit) {
		/* MUST-20: close the connection after R2 retransmissions,
		 * the same way for SYNs (MUST-22). R2 is a count, not the
		 * 100 s (SHLD-11) or, for SYNs, 3 minutes (MUST-23: six SYN
		 * retries give up after about 127 s) the RFC asks for, nor
		 * can the user set it (MUST-21). Nothing happens at R1: no
		 * advice to IP (MUST-20's first half), no word to the user
		 * (SHLD-9). */
		TCP_RULE(s, rexmt_give_up);
		COUNT(s, tcp_conns_timed_out);
		tcp_send_reset(s, now, c);
		tcp_fail(s, c, c->soft_error ? c->soft_error : ETIMEDOUT);
		return false;
	}
	if (c->state == TCPS_SYN_SENT)
		TCP_RULE(s, timer_tt_rexmtsyn_1);
	else
		TCP_RULE(s, timer_tt_rexmt_1);
	COUNT(s, tcp_rto_timeouts);
	/* MUST-19: exponential backoff. */
	c->retries++;
	c->backoff++;
	if (c->state >= TCPS_ESTABLISHED) {
		/* ssthresh is set by the first response to a window's loss
		 * only (RFC 5681 3.1: by a timeout only for a segment not yet
		 * resent by the timer; Linux likewise keeps it in fast
		 * recovery and on backed-off timeouts): a timeout while that
		 * window is being recovered (snd_una below recover) drops
		 * cwnd to one segment and leaves ssthresh. Cutting it again
		 * from the small cwnd of the recovery left ssthresh at two
		 * segments after a slow-start overshoot. */
		bool again = c->recovery != TCP_RECOVERY_NONE &&
			     SEQ_LT(c->snd_una, c->recover);

		if (c->retries == 1) {
			c->recovery = TCP_RECOVERY_NONE;
			tcp_undo_arm(s, now, c);
		} else {
			c->undo_possible = false; /* backed off: real loss */
		}
		if (again)
			tcp_cc_timeout_again(c);
		else
			c->cc->on_loss(c, now, true);
	}
	c->recovery = TCP_RECOVERY_NONE;
	c->dupacks = 0;
	c->rtt_timing = false; /* Karn: no sample from a retransmission */
	c->recover = c->snd_max;
	c->tlp_active = false;
	c->t_reo = c->t_tlp = 0;
	if (c->state < TCPS_ESTABLISHED) {
		tcp_retransmit_one(s, now, c); /* the SYN again */
	} else {
		/* Everything the peer does not hold is lost (RFC 8985
		 * 6.3): resent from snd_una as the window reopens. */
		c->recovery = TCP_RECOVERY_RTO;
		tcp_txr_mark_all_lost(c);
		tcp_output(s, now, c, 0);
	}
	tcp_rearm_rexmt(s, now, c);
	return true;
}

/* Keepalive, or an orphan's FIN_WAIT_2 limit. Returns false when the
 * connection is gone. */
static bool tcp_timeout_keep(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	c->t_keep = 0;
	if (c->user_closed && c->state == TCPS_FIN_WAIT_2) {
		TCP_RULE(s, timer_tt_fin_wait_2_1);
		tcp_fail(s, c, ETIMEDOUT); /* an orphan's FIN_WAIT_2 ends */
		return false;
	}
	/* MAY-5: keepalives, off unless the user asks (MUST-24, MUST-25),
	 * sent only after keepidle_s idle (MUST-26), which the user sets
	 * (MUST-27). The default idle time is the stack's limit
	 * tcp_keepidle_s, which the RFC wants at least 2 hours (MUST-28). */
	if (!c->keepalive || c->state != TCPS_ESTABLISHED)
		return true;
	if (now - c->last_rx < (uint64_t)c->keepidle_s * STACK_NS_PER_SEC) {
		c->t_keep =
		    c->last_rx + (uint64_t)c->keepidle_s * STACK_NS_PER_SEC;
		return true;
	}
	if (c->keep_probes >= c->keepcnt) {
		/* MUST-29: one lost ACK is no reason to give up: keepcnt
		 * probes go unanswered first. */
		TCP_RULE(s, keepalive_give_up);
		COUNT(s, tcp_conns_timed_out);
		tcp_send_reset(s, now, c);
		tcp_fail(s, c, ETIMEDOUT);
		return false;
	}
	/* RFC 1122 4.2.3.6: a segment with SEG.SEQ = SND.NXT - 1, with no
	 * data (SHLD-12). */
	TCP_RULE(s, keepalive_probe);
	COUNT(s, tcp_keepalive_probes);
	c->keep_probes++;
	c->snd_nxt--;
	tcp_send_ack(s, now, c);
	c->snd_nxt++;
	c->t_keep = now + (uint64_t)c->keepintvl_s * STACK_NS_PER_SEC;
	return true;
}

void tcp_timers_run(struct stack *s, uint64_t now)
{
	struct tcp_table *t = s->tcp;

	while (t->heap_len > 0) {
		struct tcp_conn *c = t->conns[t->heap[0]];
		if (c->timer_at > now)
			break;
		if (c->t_2msl && c->t_2msl <= now) {
			/* timer_tt_2msl_1: TIME_WAIT is over (MUST-13). A user
			 * who still holds the id keeps a CLOSED connection
			 * (reads give what is left, then end of stream) until
			 * tcp_close(). */
			TCP_RULE(s, timer_tt_2msl_1);
			if (c->user_closed) {
				tcp_conn_free(s, c);
				continue;
			}
			tcp_conn_unhash(s, c);
			tcp_set_state(s, now, c, TCPS_CLOSED);
			continue;
		}
		if (c->t_delack && c->t_delack <= now) {
			c->t_delack = 0;
			if (c->delack_pending) {
				TCP_RULE(s, timer_tt_delack_1);
				c->ack_pingpong = false; /* no reply came */
				tcp_send_ack(s, now, c);
			}
		}
		/* A probe due with the RTO goes instead (RFC 8985 7.2), and
		 * rearms it. */
		if (c->t_tlp && c->t_tlp <= now && c->t_rexmt &&
		    c->t_tlp >= c->t_rexmt && !c->persist)
			tcp_tlp_fire(s, now, c);
		if (c->t_rexmt && c->t_rexmt <= now &&
		    !tcp_timeout_rexmt(s, now, c))
			continue;
		if (c->t_reo && c->t_reo <= now) {
			/* RACK's reordering timer (RFC 8985 6.3). */
			c->t_reo = 0;
			TCP_RULE(s, rack_reo_timeout);
			COUNT(s, tcp_rack_reo_timeouts);
			if (tcp_rack_detect(c, now) &&
			    c->recovery == TCP_RECOVERY_NONE)
				tcp_enter_recovery(s, now, c);
			else if (c->recovery == TCP_RECOVERY_FAST &&
				 s->lim.tcp_prr)
				/* PRR: losses found without an ACK open no
				 * more room than what was delivered allows. */
				tcp_prr_ack(s, c, 0, tcp_pipe(c), false);
			tcp_output(s, now, c, 0);
		}
		if (c->t_tlp && c->t_tlp <= now)
			tcp_tlp_fire(s, now, c);
		if (c->t_keep && c->t_keep <= now &&
		    !tcp_timeout_keep(s, now, c))
			continue;
		tcp_timer_update(s, c);
	}
}
