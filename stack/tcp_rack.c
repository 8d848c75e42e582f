/*
 * tcp_rack.c - µTCP's record of what is in flight, and loss detection
 * by time: RACK-TLP (RFC 8985)
 *
 * Every range of sequence space sent (a segment, or a TSO super-segment)
 * has a record: where it starts and ends, when it last left, and whether
 * the peer SACKed it, it is judged lost, or it was resent. The records
 * cover [snd_una, snd_max) in order, in a ring that exists only while
 * something is in flight: an idle connection holds none.
 *
 * From them come:
 *  - the scoreboard (RFC 6675): pipe, and the next range to resend;
 *  - RACK (RFC 8985 6): a segment is lost once one sent after it was
 *    delivered and RACK.rtt + reo_wnd passed since it left. The
 *    reordering window is min_rtt / 4 (0 while no reordering was seen
 *    and DupThresh segments are SACKed, or in recovery), grows by that
 *    much with each round trip that brings a DSACK (RFC 2883), and
 *    falls back after 16 recoveries without one;
 *  - TLP (RFC 8985 7): when ACKs stop while data is in flight, a probe
 *    after about two round trips (new data, or the last segment again)
 *    draws SACKs that reveal a tail loss, instead of waiting for the
 *    retransmission timeout.
 *
 * At TCP_TXR_MAX records a connection stops splitting them: a new send
 * extends the last record, and SACK blocks or resends that would split
 * one mark it whole or not at all. Loss detection gets coarser there;
 * nothing is lost from the stream.
 */
#include <stdlib.h>

#include "tcp.h"

#define TLP_WCDELACK_NS	 (200 * 1000000ull) /* RFC 8985 7.2's WCDelAckT */
#define TLP_SLACK_NS	 (2 * 1000000ull)   /* over 2 SRTT, as Linux */
#define RACK_REO_PERSIST 16

static struct tcp_txrec *txr_at(const struct tcp_conn *c, uint32_t i)
{
	return &c->txr[(c->txr_head + i) & (c->txr_cap - 1)];
}

/* Moves r's bytes into (sign 1) or out of (sign -1) the counters of the
 * category its flags put it in. */
static void txr_count(struct tcp_conn *c, const struct tcp_txrec *r, int sign)
{
	uint32_t len = r->end - r->seq;

	if (r->flags & TCP_TXR_SACKED)
		c->sacked_bytes += (uint32_t)sign * len;
	else if (r->flags & TCP_TXR_LOST)
		c->lost_bytes += (uint32_t)sign * len;
}

static void txr_set_flags(struct tcp_conn *c, struct tcp_txrec *r,
			  uint8_t flags)
{
	txr_count(c, r, -1);
	r->flags = flags;
	txr_count(c, r, 1);
}

/* Room for one more record: false at TCP_TXR_MAX or without memory. */
static bool txr_room(struct tcp_conn *c)
{
	uint32_t cap;
	struct tcp_txrec *n;

	if (c->txr_n < c->txr_cap)
		return true;
	if (c->txr_cap >= TCP_TXR_MAX)
		return false;
	cap = c->txr_cap ? c->txr_cap * 2 : 8;
	n = malloc(cap * sizeof(*n));
	if (!n)
		return false;
	for (uint32_t i = 0; i < c->txr_n; i++)
		n[i] = *txr_at(c, i);
	free(c->txr);
	c->txr = n;
	c->txr_cap = cap;
	c->txr_head = 0;
	return true;
}

/* Splits record i at `at` (inside it) into two with the same state.
 * Moves whichever side of the ring is shorter. */
static bool txr_split(struct tcp_conn *c, uint32_t i, uint32_t at)
{
	if (!txr_room(c))
		return false;
	if (i < c->txr_n / 2) {
		c->txr_head = (c->txr_head - 1) & (c->txr_cap - 1);
		for (uint32_t j = 0; j <= i; j++)
			*txr_at(c, j) = *txr_at(c, j + 1);
	} else {
		for (uint32_t j = c->txr_n; j > i + 1; j--)
			*txr_at(c, j) = *txr_at(c, j - 1);
		*txr_at(c, i + 1) = *txr_at(c, i);
	}
	c->txr_n++;
	txr_at(c, i)->end = at;
	txr_at(c, i + 1)->seq = at;
	return true;
}

/* The index of the record holding seq (which must be in flight). */
static uint32_t txr_find(const struct tcp_conn *c, uint32_t seq)
{
	uint32_t lo = 0, hi = c->txr_n;

	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (SEQ_LEQ(txr_at(c, mid)->seq, seq))
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

void tcp_txr_free(struct tcp_conn *c)
{
	free(c->txr);
	c->txr = NULL;
	c->txr_cap = c->txr_n = c->txr_head = 0;
	c->sacked_bytes = c->lost_bytes = 0;
}

bool tcp_txr_can_record(struct tcp_conn *c, bool new_data)
{
	/* At the limit new data extends the last record, which it may
	 * only when that is a plain one (neither SACKed, lost nor resent). */
	if (new_data && c->txr_n && c->txr_n == c->txr_cap &&
	    c->txr_cap >= TCP_TXR_MAX)
		return !txr_at(c, c->txr_n - 1)->flags;
	return c->txr_n > 0 || txr_room(c);
}

void tcp_txr_sent(struct tcp_conn *c, uint32_t seq, uint32_t end, uint64_t now)
{
	uint32_t old_end = SEQ_MIN(end, c->snd_max);

	if (SEQ_LT(seq, c->snd_una))
		seq = c->snd_una;
	if (SEQ_LT(seq, old_end) && c->txr_n) {
		/* Resent: the records it covers left again now. */
		uint32_t i = txr_find(c, seq);
		if (SEQ_LT(txr_at(c, i)->seq, seq) && txr_split(c, i, seq))
			i++;
		for (; i < c->txr_n && SEQ_LT(txr_at(c, i)->seq, old_end);
		     i++) {
			struct tcp_txrec *r = txr_at(c, i);
			if (SEQ_GT(r->end, old_end))
				txr_split(c, i, old_end);
			r = txr_at(c, i);
			r->xmit_ns = now;
			txr_set_flags(c, r,
				      (uint8_t)((r->flags & ~TCP_TXR_LOST) |
						TCP_TXR_RETRANS));
		}
	}
	if (SEQ_GT(end, c->snd_max)) {
		uint32_t from = SEQ_MAX(seq, c->snd_max);
		if (txr_room(c)) {
			*txr_at(c, c->txr_n++) = (struct tcp_txrec){
			    .seq = from, .end = end, .xmit_ns = now};
		} else if (c->txr_n) {
			/* At the limit: the last record grows. */
			struct tcp_txrec *r = txr_at(c, c->txr_n - 1);
			txr_count(c, r, -1);
			r->end = end;
			r->xmit_ns = now;
			txr_count(c, r, 1);
		}
	}
}

/* ---- RACK (RFC 8985 6) ---- */

/* RACK_sent_after(): was (t1, seq1) sent after (t2, seq2)? */
static bool sent_after(uint64_t t1, uint32_t seq1, uint64_t t2, uint32_t seq2)
{
	return t1 > t2 || (t1 == t2 && SEQ_GT(seq1, seq2));
}

/* RACK_update() and RACK_detect_reordering() for a record the peer now
 * holds (6.2, steps 2 and 3). */
static void rack_delivered(struct tcp_conn *c, const struct tcp_txrec *r,
			   uint64_t now)
{
	uint64_t rtt = now - r->xmit_ns;

	if (!c->rack_xmit_ns || SEQ_GT(r->end, c->rack_fack))
		c->rack_fack = r->end;
	else if (SEQ_LT(r->end, c->rack_fack) && !(r->flags & TCP_TXR_RETRANS))
		c->rack_reordering_seen = true;
	/* A resent record delivered sooner than any round trip: it was
	 * the original that arrived; the sample would mislead. */
	if ((r->flags & TCP_TXR_RETRANS) && rtt < c->rack_min_rtt)
		return;
	if (rtt < c->rack_min_rtt || !c->rack_min_rtt)
		c->rack_min_rtt = rtt ? rtt : 1;
	c->rack_rtt = rtt;
	if (sent_after(r->xmit_ns, r->end, c->rack_xmit_ns, c->rack_end_seq)) {
		c->rack_xmit_ns = r->xmit_ns;
		c->rack_end_seq = r->end;
	}
}

void tcp_txr_acked(struct tcp_conn *c, uint32_t ack, uint64_t now)
{
	if (c->rack_dsack_round_set && SEQ_GEQ(ack, c->rack_dsack_round))
		c->rack_dsack_round_set = false;
	while (c->txr_n) {
		struct tcp_txrec *r = txr_at(c, 0);
		if (!SEQ_GT(r->end, ack)) {
			if (!(r->flags & TCP_TXR_SACKED))
				rack_delivered(c, r, now);
			txr_count(c, r, -1);
			c->txr_head = (c->txr_head + 1) & (c->txr_cap - 1);
			c->txr_n--;
			continue;
		}
		if (SEQ_LT(r->seq, ack)) {
			/* Partly acknowledged (a super-segment's first MSS). */
			if (!(r->flags & TCP_TXR_SACKED))
				rack_delivered(c, r, now);
			txr_count(c, r, -1);
			r->seq = ack;
			txr_count(c, r, 1);
		}
		break;
	}
	if (!c->txr_n)
		tcp_txr_free(c); /* nothing in flight holds memory */
}

/* Is the segment's first SACK block a DSACK (RFC 2883 4): below the
 * cumulative ACK, or inside the second block? */
static bool seg_dsack(const struct tcp_seg *seg)
{
	if (!seg->nsack)
		return false;
	if (SEQ_LEQ(seg->sack[0][1], seg->ack))
		return true;
	return seg->nsack > 1 && SEQ_GEQ(seg->sack[0][0], seg->sack[1][0]) &&
	       SEQ_LEQ(seg->sack[0][1], seg->sack[1][1]);
}

int tcp_txr_sack(struct tcp_conn *c, const struct tcp_seg *seg, uint64_t now)
{
	int news = 0;
	bool dsack = seg_dsack(seg);

	if (dsack) {
		/* 6.2 step 4: a round trip with a DSACK widens reo_wnd. */
		if (!c->rack_dsack_round_set ||
		    SEQ_GEQ(c->snd_una, c->rack_dsack_round)) {
			c->rack_dsack_round = c->snd_max;
			c->rack_dsack_round_set = true;
			if (c->rack_reo_mult < 255)
				c->rack_reo_mult++;
		}
		c->rack_reo_persist = RACK_REO_PERSIST;
		news |= TCP_SACK_DSACK;
	}
	for (int b = dsack ? 1 : 0; b < seg->nsack; b++) {
		uint32_t a = seg->sack[b][0], e = seg->sack[b][1];
		uint32_t i;

		/* Only blocks inside (snd_una, snd_max]. */
		if (!c->txr_n || !SEQ_LT(a, e) || SEQ_GT(e, c->snd_max))
			continue;
		if (SEQ_LT(a, c->snd_una))
			a = c->snd_una;
		if (!SEQ_LT(a, e))
			continue;
		i = txr_find(c, a);
		if (SEQ_LT(txr_at(c, i)->seq, a) &&
		    !(txr_at(c, i)->flags & TCP_TXR_SACKED)) {
			if (!txr_split(c, i, a))
				i++; /* at the limit: not this one */
		}
		for (; i < c->txr_n && SEQ_LT(txr_at(c, i)->seq, e); i++) {
			struct tcp_txrec *r = txr_at(c, i);
			if (r->flags & TCP_TXR_SACKED || SEQ_LT(r->seq, a))
				continue;
			if (SEQ_GT(r->end, e) && !txr_split(c, i, e))
				break; /* at the limit: not a partial one */
			r = txr_at(c, i);
			rack_delivered(c, r, now);
			txr_set_flags(c, r,
				      (uint8_t)((r->flags & ~TCP_TXR_LOST) |
						TCP_TXR_SACKED));
			news |= TCP_SACK_NEW;
		}
	}
	return news;
}

/* RACK_update_reo_wnd() (6.2 step 4). */
static uint64_t rack_reo_wnd(const struct tcp_conn *c)
{
	uint64_t w;

	if (!c->rack_reordering_seen &&
	    (c->recovery != TCP_RECOVERY_NONE ||
	     c->sacked_bytes >= TCP_DUPACK_THRESH * (uint32_t)c->mss))
		return 0;
	w = c->rack_min_rtt / 4 * (c->rack_reo_mult ? c->rack_reo_mult : 1);
	return c->srtt && w > c->srtt ? c->srtt : w;
}

void tcp_rack_recovery_done(struct tcp_conn *c)
{
	if (c->rack_reo_persist && --c->rack_reo_persist == 0)
		c->rack_reo_mult = 1;
}

bool tcp_rack_detect(struct tcp_conn *c, uint64_t now)
{
	uint64_t reo, next = 0;
	bool lost = false;

	c->t_reo = 0;
	if (!c->sack_ok || !c->rack_xmit_ns)
		return false;
	reo = rack_reo_wnd(c);
	/* In sequence order; a record never resent was sent after every
	 * one before it, so the first such that is not lost yet ends the
	 * walk (nor is anything after it). */
	for (uint32_t i = 0; i < c->txr_n; i++) {
		struct tcp_txrec *r = txr_at(c, i);
		uint64_t at;
		bool resent = r->flags & TCP_TXR_RETRANS;

		if (r->flags & (TCP_TXR_SACKED | TCP_TXR_LOST))
			continue;
		if (!sent_after(c->rack_xmit_ns, c->rack_end_seq, r->xmit_ns,
				r->end)) {
			if (!resent)
				break;
			continue;
		}
		at = r->xmit_ns + c->rack_rtt + reo;
		if (at <= now) {
			txr_set_flags(c, r, r->flags | TCP_TXR_LOST);
			lost = true;
			continue;
		}
		if (!next || at < next)
			next = at;
		if (!resent)
			break;
	}
	c->t_reo = next; /* the reordering timer (6.3) */
	return lost;
}

void tcp_txr_mark_all_lost(struct tcp_conn *c)
{
	/* The left edge SACKed: the peer reneged (RFC 2018 8), and what
	 * it SACKed counts for nothing. */
	bool reneged = c->txr_n && (txr_at(c, 0)->flags & TCP_TXR_SACKED);

	for (uint32_t i = 0; i < c->txr_n; i++) {
		struct tcp_txrec *r = txr_at(c, i);
		if (reneged || !(r->flags & TCP_TXR_SACKED))
			txr_set_flags(c, r,
				      (uint8_t)((r->flags & ~TCP_TXR_SACKED) |
						TCP_TXR_LOST));
	}
}

void tcp_txr_clear_lost(struct tcp_conn *c)
{
	for (uint32_t i = 0; c->lost_bytes && i < c->txr_n; i++) {
		struct tcp_txrec *r = txr_at(c, i);
		if (r->flags & TCP_TXR_LOST)
			txr_set_flags(c, r, r->flags & (uint8_t)~TCP_TXR_LOST);
	}
}

/* ---- the scoreboard (RFC 6675) from the records ---- */

uint32_t tcp_flight_size(const struct tcp_conn *c)
{
	return c->snd_max - c->snd_una - c->sacked_bytes;
}

uint32_t tcp_pipe(const struct tcp_conn *c)
{
	return c->snd_max - c->snd_una - c->sacked_bytes - c->lost_bytes;
}

bool tcp_next_lost(const struct tcp_conn *c, uint32_t max, uint32_t *seq,
		   uint32_t *len)
{
	uint32_t i = 0;

	if (!c->lost_bytes)
		return false;
	while (i < c->txr_n && !(txr_at(c, i)->flags & TCP_TXR_LOST))
		i++;
	if (i == c->txr_n)
		return false;
	*seq = txr_at(c, i)->seq;
	*len = 0;
	/* A run of lost records goes in one piece, up to max. */
	for (; i < c->txr_n && (txr_at(c, i)->flags & TCP_TXR_LOST) &&
	       txr_at(c, i)->seq == *seq + *len;
	     i++) {
		uint32_t l = txr_at(c, i)->end - txr_at(c, i)->seq;
		if (*len + l > max) {
			if (!*len)
				*len = max;
			break;
		}
		*len += l;
	}
	return true;
}

bool tcp_first_hole(const struct tcp_conn *c, uint32_t max, uint32_t *seq,
		    uint32_t *len)
{
	uint32_t i = 0;

	while (i < c->txr_n && (txr_at(c, i)->flags & TCP_TXR_SACKED))
		i++;
	if (i == c->txr_n)
		return false;
	*seq = txr_at(c, i)->seq;
	*len = txr_at(c, i)->end - *seq;
	if (*len > max)
		*len = max;
	return true;
}

/* ---- TLP (RFC 8985 7) ---- */

void tcp_tlp_arm(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	uint64_t pto;

	(void)s;
	c->t_tlp = 0;
	/* 7.2: an open connection with SACK, data in flight, nothing
	 * judged lost, and no probe outstanding. */
	if (!c->sack_ok || c->recovery != TCP_RECOVERY_NONE || c->lost_bytes ||
	    c->sacked_bytes || c->tlp_active || c->persist ||
	    c->snd_una == c->snd_max || c->state < TCPS_ESTABLISHED ||
	    c->state == TCPS_TIME_WAIT)
		return;
	pto = c->srtt ? 2 * c->srtt : STACK_NS_PER_SEC;
	pto +=
	    c->snd_max - c->snd_una <= c->mss ? TLP_WCDELACK_NS : TLP_SLACK_NS;
	if (c->t_rexmt && now + pto > c->t_rexmt)
		pto = c->t_rexmt - now; /* 7.2: no later than the RTO */
	c->t_tlp = now + pto;
}

void tcp_tlp_ack(struct stack *s, uint64_t now, struct tcp_conn *c,
		 const struct tcp_seg *seg, int sack, bool advanced)
{
	if (!c->tlp_active || SEQ_LT(seg->ack, c->tlp_end_seq))
		return;
	/* 7.4: did the probe repair a loss? Not if it was new data, nor
	 * if the peer reports it a duplicate (a DSACK, or a plain
	 * duplicate ACK). An ACK beyond it without either says yes; one
	 * just reaching it cannot tell yet. */
	if (c->tlp_retrans && !(sack & TCP_SACK_DSACK) && advanced) {
		if (!SEQ_GT(seg->ack, c->tlp_end_seq))
			return;
		COUNT(s, tcp_tlp_recoveries);
		c->cc->on_loss(c, now, false);
		c->cc->on_recovery_end(c, now);
	} else if (c->tlp_retrans && !(sack & TCP_SACK_DSACK) &&
		   (seg->len || (sack & TCP_SACK_NEW))) {
		return; /* not a duplicate ACK: no answer yet */
	}
	c->tlp_active = false;
}

/* Where the probe that resends "the last segment" (RFC 8985 7.3)
 * starts: the last record that holds data (the one before a lone FIN's),
 * cut to its last MSS; the FIN, if sent, goes with it. The data's end is
 * what was sent: data may wait unsent behind the peer's window. */
static uint32_t tlp_last_segment(const struct tcp_conn *c)
{
	uint32_t data_end = SEQ_MIN(c->snd_una + c->sndbuf.len, c->snd_max);
	uint32_t seq = c->snd_una, max = tcp_payload_max(c);

	for (uint32_t i = c->txr_n; i-- > 0;) {
		const struct tcp_txrec *r = txr_at(c, i);
		if (SEQ_LT(r->seq, data_end)) {
			seq = r->seq;
			break;
		}
	}
	if (SEQ_GT(data_end, seq) && data_end - seq > max)
		seq = data_end - max;
	return SEQ_MAX(seq, c->snd_una);
}

void tcp_tlp_fire(struct stack *s, uint64_t now, struct tcp_conn *c)
{
	uint32_t max = c->snd_max;

	c->t_tlp = 0;
	if (!c->sack_ok || c->recovery != TCP_RECOVERY_NONE || c->lost_bytes ||
	    c->tlp_active || c->snd_una == c->snd_max)
		return;
	TCP_RULE(s, tlp_probe);
	COUNT(s, tcp_tlp_probes);
	/* 7.3: new data if the window allows, else the last segment. */
	tcp_output(s, now, c, TCP_OUT_PROBE);
	c->tlp_retrans = c->snd_max == max;
	if (c->tlp_retrans) {
		c->rtt_timing = false; /* Karn: no sample from a resend */
		uint32_t seq = tlp_last_segment(c);
		if (tcp_retransmit_range(s, now, c, seq, c->snd_max - seq))
			return;
	}
	c->tlp_active = true;
	c->tlp_end_seq = c->snd_max;
	c->t_tlp = 0;
	tcp_rearm_rexmt(s, now, c); /* the RTO counts from the probe */
}
