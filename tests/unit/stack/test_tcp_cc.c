/*
 * test_tcp_cc.c - µTCP congestion control's arithmetic: PRR (RFC 6937)
 * and HyStart++ (RFC 9406), on bare connection blocks
 *
 * PRR: RFC 6937's example of one loss in a window of 20 segments (the
 * sends per ACK, against RFC 6675's), and the slow-start reduction
 * bound after a heavy loss, at its limit, with its catch-up held to
 * TCP_MAX_BURST segments; the window at the end of recovery held to
 * pipe + TCP_MAX_BURST. Without SACK, forged duplicate ACKs release
 * nothing beyond the segments in flight, with PRR and with RFC 6582's
 * inflation. HyStart++: the delay increase at its threshold,
 * conservative slow start's growth, its return to slow start when the
 * RTT falls, and its end after CSS_ROUNDS rounds. CUBIC after that
 * end: 5 % a round trip at least until the first loss.
 */
#include "tcp_harness.h"

#define MSS 1000u

/* A window of 20 segments loses one; ssthresh is 10 (NewReno's half).
 * Each later ACK delivers one segment; the model sends whole segments of
 * new data when sndcnt allows. The retransmission went at entry
 * (prr_out = 1 segment). While pipe is above ssthresh PRR sends one
 * segment every second ACK (RFC 6675 would send nothing until pipe fell
 * to ssthresh, ten ACKs in, then one per ACK); once pipe is at ssthresh
 * the reduction bound keeps it there. After 19 ACKs, ssthresh segments
 * went in all, never two on one ACK, and pipe is ssthresh. */
START_TEST(test_prr_one_loss_in_twenty_sends_every_other_ack)
{
	uint32_t recover_fs = 20 * MSS, ssthresh = 10 * MSS;
	uint32_t prr_delivered = 0, prr_out = MSS;
	/* In flight once the loss is judged: 19 segments, and the
	 * retransmission. */
	uint32_t pipe = 19 * MSS + MSS;
	char pattern[20] = "";
	bool bounded;

	for (int ack = 1; ack <= 19; ack++) {
		uint32_t sndcnt, segs;

		prr_delivered += MSS;
		pipe -= MSS;
		sndcnt =
		    tcp_prr_sndcnt(prr_delivered, prr_out, recover_fs, ssthresh,
				   pipe, MSS, MSS, false, &bounded);
		ck_assert(!bounded);
		segs = sndcnt / MSS;
		ck_assert_uint_le(segs, 1); /* never a burst */
		prr_out += segs * MSS;
		pipe += segs * MSS;
		pattern[ack - 1] = segs ? 'x' : '.';
	}
	ck_assert_str_eq(pattern, "...x.x.x.x.x.x..xxx");
	ck_assert_uint_eq(prr_out, ssthresh);
	ck_assert_uint_eq(pipe, ssthresh);
}
END_TEST

/* Fifteen of twenty lost: pipe (5 and the retransmission) is far below
 * ssthresh (10). RFC 6675 would send ssthresh - pipe = 4 segments on the
 * next ACK; PRR-SSRB sends what that ACK delivered, plus one segment
 * when snd_una advanced (Linux's condition): a slow start, not a burst. */
START_TEST(test_prr_ssrb_bounds_the_send_after_a_heavy_loss)
{
	bool bounded;

	/* A SACK delivering one segment: no extra segment. */
	ck_assert_uint_eq(tcp_prr_sndcnt(MSS, MSS, 20 * MSS, 10 * MSS, 6 * MSS,
					 MSS, MSS, false, &bounded),
			  MSS);
	ck_assert(bounded);
	/* A cumulative ACK delivering one: one more. */
	ck_assert_uint_eq(tcp_prr_sndcnt(MSS, MSS, 20 * MSS, 10 * MSS, 6 * MSS,
					 MSS, MSS, true, &bounded),
			  2 * MSS);
	ck_assert(bounded);
	/* At the limit: the bound equals ssthresh - pipe, nothing held. */
	ck_assert_uint_eq(tcp_prr_sndcnt(MSS, MSS, 20 * MSS, 10 * MSS, 8 * MSS,
					 MSS, MSS, true, &bounded),
			  2 * MSS);
	ck_assert(!bounded);
	/* One below: ssthresh - pipe is the smaller. */
	ck_assert_uint_eq(tcp_prr_sndcnt(MSS, MSS, 20 * MSS, 10 * MSS,
					 8 * MSS + 1, MSS, MSS, true, &bounded),
			  2 * MSS - 1);
	ck_assert(!bounded);
	/* Delivered but not yet matched by sends is caught up (the RFC's
	 * prr_delivered - prr_out), within ssthresh - pipe. */
	ck_assert_uint_eq(tcp_prr_sndcnt(6 * MSS, 2 * MSS, 20 * MSS, 10 * MSS,
					 5 * MSS, MSS, MSS, false, &bounded),
			  4 * MSS);
	ck_assert(bounded);
	/* ... but at most TCP_MAX_BURST segments beyond this ACK's
	 * delivery: many segments judged lost at once dropped pipe far
	 * below ssthresh, and the credit held back while pipe was above
	 * it (15 segments here) leaves a few per ACK, not at once. */
	ck_assert_uint_eq(tcp_prr_sndcnt(20 * MSS, 5 * MSS, 40 * MSS, 20 * MSS,
					 5 * MSS, MSS, MSS, false, &bounded),
			  (1 + TCP_MAX_BURST) * MSS);
	ck_assert(bounded);
	/* At the limit (the credit is delivered + TCP_MAX_BURST) and one
	 * byte beyond it; PRR-SSRB's extra segment still adds. */
	ck_assert_uint_eq(tcp_prr_sndcnt((6 + TCP_MAX_BURST) * MSS, 5 * MSS,
					 40 * MSS, 20 * MSS, 5 * MSS, MSS, MSS,
					 false, &bounded),
			  (1 + TCP_MAX_BURST) * MSS);
	ck_assert_uint_eq(tcp_prr_sndcnt((6 + TCP_MAX_BURST) * MSS + 1, 5 * MSS,
					 40 * MSS, 20 * MSS, 5 * MSS, MSS, MSS,
					 false, &bounded),
			  (1 + TCP_MAX_BURST) * MSS);
	ck_assert_uint_eq(tcp_prr_sndcnt(20 * MSS, 5 * MSS, 40 * MSS, 20 * MSS,
					 5 * MSS, MSS, MSS, true, &bounded),
			  (2 + TCP_MAX_BURST) * MSS);
	/* Nothing sent yet in this recovery: the retransmission goes. */
	ck_assert_uint_eq(tcp_prr_sndcnt(0, 0, 20 * MSS, 10 * MSS, 19 * MSS, 0,
					 MSS, false, &bounded),
			  MSS);
	/* pipe at ssthresh exactly is the reduction bound's side. */
	ck_assert_uint_eq(tcp_prr_sndcnt(2 * MSS, MSS, 20 * MSS, 10 * MSS,
					 10 * MSS, MSS, MSS, false, &bounded),
			  0);
}
END_TEST

/* The proportional part rounds up (CEIL) and never goes negative. */
START_TEST(test_prr_proportional_rounds_up)
{
	bool bounded;

	/* 1 byte delivered of RecoverFS 3000 with ssthresh 2000: 1. */
	ck_assert_uint_eq(
	    tcp_prr_sndcnt(1, MSS, 3000, 2000, 2500, 1, MSS, false, &bounded),
	    0);
	ck_assert_uint_eq(tcp_prr_sndcnt(1501, MSS, 3000, 2000, 2500, 1, MSS,
					 false, &bounded),
			  1);
	/* CUBIC's 0.7: 10 segments delivered of 20 allow 7. */
	ck_assert_uint_eq(tcp_prr_sndcnt(10 * MSS, 0, 20 * MSS, 14 * MSS,
					 15 * MSS, MSS, MSS, false, &bounded),
			  7 * MSS);
}
END_TEST

/* The end of fast recovery: cwnd at most pipe + TCP_MAX_BURST segments
 * (here pipe is 50 in flight less 20 SACKed less 10 lost: 20), at the
 * limit and a byte beyond it; a smaller window and ssthresh stay. */
START_TEST(test_moderate_at_the_end_of_recovery)
{
	struct tcp_conn *c = calloc(1, sizeof(*c));

	ck_assert_ptr_nonnull(c);
	c->mss = MSS;
	c->snd_una = 7;
	c->snd_max = 7 + 50 * MSS;
	c->sacked_bytes = 20 * MSS;
	c->lost_bytes = 10 * MSS;
	c->ssthresh = 35 * MSS;
	c->cwnd = 35 * MSS; /* CUBIC's on_recovery_end: ssthresh */
	tcp_cc_moderate(c);
	ck_assert_uint_eq(c->cwnd, (20 + TCP_MAX_BURST) * MSS);
	ck_assert_uint_eq(c->ssthresh, 35 * MSS);
	c->cwnd = (20 + TCP_MAX_BURST) * MSS + 1;
	tcp_cc_moderate(c);
	ck_assert_uint_eq(c->cwnd, (20 + TCP_MAX_BURST) * MSS);
	tcp_cc_moderate(c);
	ck_assert_uint_eq(c->cwnd, (20 + TCP_MAX_BURST) * MSS);
	c->cwnd = 12 * MSS;
	tcp_cc_moderate(c);
	ck_assert_uint_eq(c->cwnd, 12 * MSS);
	free(c);
}
END_TEST

/* A pair with lim, A's connection to B without SACK (NewReno's path),
 * after one exchange each way, so that B's window has settled and its
 * ACKs to out-of-order data count as duplicates. Returns A's side. */
static struct tcp_conn *open_without_sack(struct pair *p,
					  const struct stack_limits *lim,
					  int *ca, int *cb, int *l)
{
	static uint8_t blob[2048]; /* > one segment's payload */
	struct tcp_conn *a;

	t_pair_lim(p, lim);
	t_connect(p, ca, cb, l);
	a = tcp_conn_get(p->a, *ca);
	a->sack_ok = false;
	ck_assert_uint_le(tcp_payload_max(a), sizeof(blob));
	t_send_all(p->a, p->now, *ca, blob, tcp_payload_max(a));
	p->now += 5 * MS;
	ck_assert_int_eq(t_move(p, p->a, p->b), 1);
	t_send_all(p->b, p->now, *cb, blob, 100);
	p->now += 5 * MS;
	ck_assert_int_ge(t_move(p, p->b, p->a), 1);
	while (t_tick(p, 100 * MS) && !a->t_rexmt)
		if (tcp_conn_get(p->b, *cb)->snd_una ==
		    tcp_conn_get(p->b, *cb)->snd_max)
			break;
	ck_assert_uint_eq(a->snd_una, a->snd_max);
	return a;
}

/* Without SACK (NewReno's path): a window of 40 segments, the first
 * lost; each of the others, and each new one sent meanwhile, draws a
 * duplicate ACK. Fills sent[d] with the new segments A sent on the d-th
 * duplicate (the third also draws the retransmission, in both cases). */
#define PRR_W	 40
#define PRR_DUPS 30
/* The same with a window of w segments and `dups` duplicates, at most: */
#define PRR_BIG_W    300
#define PRR_BIG_DUPS 290
static void prr_dupacks_without_sack_w(bool prr, int w, int dups, int sent[])
{
	struct pair p;
	struct stack_limits lim;
	int ca, cb, l, n, next = 1, ndup = 0;
	static struct pkt *segs[PRR_BIG_W + PRR_BIG_DUPS];
	struct pkt *out[8];
	static uint8_t blob[(PRR_BIG_W + PRR_BIG_DUPS) * 1448];
	size_t blob_len = (size_t)(w + dups) * 1448;
	struct tcp_conn *a;
	uint32_t mss;

	ck_assert_int_le(w, PRR_BIG_W);
	ck_assert_int_le(dups, PRR_BIG_DUPS);
	stack_limits_default(&lim);
	lim.tcp_cubic = false;
	lim.tcp_prr = prr;
	lim.tcp_sndbuf = lim.tcp_rcvbuf = 4u << 20; /* room for w */
	a = open_without_sack(&p, &lim, &ca, &cb, &l);
	mss = tcp_payload_max(a);
	a->cwnd = (uint32_t)w * mss; /* as if grown */
	t_send_all(p.a, p.now, ca, blob, blob_len);
	n = t_hold(p.a, segs, w);
	ck_assert_int_eq(n, w);
	p.now += 5 * MS;
	stack_pkt_free(p.a, segs[0]); /* lost */
	while (ndup < dups && next < n) {
		int m;

		t_deliver(&p, p.a, p.b, segs[next++]);
		ck_assert_int_eq(t_move(&p, p.b, p.a), 1);
		ck_assert_uint_eq(a->dupacks, (uint32_t)++ndup);
		m = t_hold(p.a, out, 8);
		sent[ndup] = 0;
		for (int j = 0; j < m; j++) {
			struct tcp_seg seg;

			t_parse(out[j], &seg);
			if (seg.seq == a->snd_una) {
				ck_assert_int_eq(ndup, 3); /* the resend */
				stack_pkt_free(p.a, out[j]);
				continue;
			}
			ck_assert_uint_eq(seg.len, mss);
			sent[ndup]++;
			segs[n++] = out[j]; /* it arrives too, in turn */
		}
	}
	while (n > next)
		stack_pkt_free(p.a, segs[--n]);
	t_drain(p.a);
	t_pair_free(&p);
}

static void prr_dupacks_without_sack(bool prr, int sent[PRR_DUPS + 1])
{
	prr_dupacks_without_sack_w(prr, PRR_W, PRR_DUPS, sent);
}

/* RFC 6582's inflation sends nothing new until enough duplicates came
 * to inflate cwnd (ssthresh + one segment each) past the flight, then
 * one per duplicate: half a window of silence, then the rest at once
 * rate. PRR sends from the start of recovery, about one segment every
 * second duplicate, never two at once. */
START_TEST(test_prr_without_sack_spreads_the_sends)
{
	int with[PRR_DUPS + 1] = {0}, without[PRR_DUPS + 1] = {0};
	int first_with = 0, first_without = 0, total_with = 0;
	int total_without = 0;

	prr_dupacks_without_sack(true, with);
	prr_dupacks_without_sack(false, without);
	/* Limited transmit: one each for the first two, in both. */
	ck_assert_int_eq(with[1], 1);
	ck_assert_int_eq(with[2], 1);
	ck_assert_int_eq(without[1], 1);
	ck_assert_int_eq(without[2], 1);
	for (int d = 3; d <= PRR_DUPS; d++) {
		ck_assert_int_le(with[d], 1);
		ck_assert_int_le(without[d], 1);
		total_with += with[d];
		total_without += without[d];
		if (with[d] && !first_with)
			first_with = d;
		if (without[d] && !first_without)
			first_without = d;
	}
	/* A flight of 42 (limited transmit's two): ssthresh 21. Inflation
	 * needs 21 + d > 42: the 22nd duplicate. PRR: ceil(delivered * 21
	 * / 42) less the resend reaches a segment with the 4th delivered
	 * since recovery began, the 6th duplicate. */
	ck_assert_int_eq(first_without, 22);
	ck_assert_int_eq(first_with, 6);
	/* By the 30th duplicate, 28 delivered in recovery: PRR sent
	 * 28 / 2 - 1 new segments, RFC 6582 nine. */
	ck_assert_int_eq(total_with, 13);
	ck_assert_int_eq(total_without, 9);
}
END_TEST

/* Without SACK, a window of 300 segments losing its first: more than
 * 255 duplicates come. Each still stands for a segment delivered, so
 * PRR goes on sending about one segment every second duplicate after
 * the 255th as before it, rather than stall until the retransmission's
 * ACK comes a round trip later. */
START_TEST(test_prr_without_sack_past_255_duplicates)
{
	static int sent[PRR_BIG_DUPS + 1];
	int before = 0, after = 0;

	prr_dupacks_without_sack_w(true, PRR_BIG_W, PRR_BIG_DUPS, sent);
	for (int d = 3; d <= PRR_BIG_DUPS; d++) {
		ck_assert_int_le(sent[d], 1);
		if (d <= 255)
			before += sent[d];
		else
			after += sent[d];
	}
	/* Duplicates 3 to 255: 253 delivered, half of it less the resend
	 * (ssthresh is half the flight: 125). The 35
	 * after: half of them again. */
	ck_assert_int_eq(before, 125);
	ck_assert_int_ge(after, 17);
	ck_assert_int_le(after, 18);
}
END_TEST

/* Without SACK, a receiver that forges duplicate ACKs (copies of a
 * real one) gets no more data for them once the duplicates reach the
 * segments in flight less the lost one: each duplicate up to that limit
 * counts a segment delivered (PRR) or inflates cwnd by one (RFC 6582's
 * inflation, prr off), the one at the limit and every later one nothing,
 * so the sends stop. */
static void forged_duplicates(bool prr)
{
	struct pair p;
	struct stack_limits lim;
	int ca, cb, l, n, next = 1, counted = 0, forged = 0;
	struct pkt *segs[20], *ack, *out[8];
	static uint8_t blob[40 * 1448];
	struct tcp_conn *a;
	uint32_t mss, sent_after_limit = 0;

	stack_limits_default(&lim);
	lim.tcp_cubic = false;
	lim.tcp_prr = prr;
	a = open_without_sack(&p, &lim, &ca, &cb, &l);
	mss = tcp_payload_max(a);
	a->cwnd = 20 * mss;
	t_send_all(p.a, p.now, ca, blob, sizeof(blob));
	n = t_hold(p.a, segs, 20);
	ck_assert_int_eq(n, 20);
	p.now += 5 * MS;
	stack_pkt_free(p.a, segs[0]); /* lost */
	/* Three real duplicates: recovery. */
	while (next < 4) {
		t_deliver(&p, p.a, p.b, segs[next++]);
		ck_assert_int_eq(t_move(&p, p.b, p.a), 1);
	}
	ck_assert_int_eq(a->recovery, TCP_RECOVERY_FAST);
	t_drain(p.a);
	/* The next real duplicate, kept to be copied. */
	t_deliver(&p, p.a, p.b, segs[next++]);
	ck_assert_int_eq(t_hold(p.b, &ack, 1), 1);
	for (forged = 0; forged < 100; forged++) {
		struct pkt *g = stack_pkt_alloc(p.b, ack->len);
		uint32_t before = prr ? a->prr_delivered : a->cwnd, flight;
		int m;

		ck_assert_ptr_nonnull(g);
		memcpy(g->data, ack->data, ack->len);
		g->len = ack->len;
		g->flags = ack->flags;
		flight = a->snd_max - a->snd_una;
		t_deliver(&p, p.b, p.a, g);
		ck_assert_uint_eq(a->recovery, TCP_RECOVERY_FAST);
		if ((uint32_t)a->dupacks * mss < flight) {
			ck_assert_uint_eq(prr ? a->prr_delivered : a->cwnd,
					  before + mss);
			counted++;
		} else {
			ck_assert_uint_eq(prr ? a->prr_delivered : a->cwnd,
					  before);
		}
		m = t_hold(p.a, out, 8);
		if ((uint32_t)a->dupacks * mss >= flight + 2 * mss)
			sent_after_limit += (uint32_t)m;
		for (int j = 0; j < m; j++)
			stack_pkt_free(p.a, out[j]);
	}
	/* Some counted (up to the limit), then nothing more went. */
	ck_assert_int_gt(counted, 0);
	ck_assert_int_lt(counted, 100);
	ck_assert_uint_eq(sent_after_limit, 0);
	stack_pkt_free(p.b, ack);
	while (n > next)
		stack_pkt_free(p.a, segs[--n]);
	t_drain(p.a);
	t_drain(p.b);
	t_pair_free(&p);
}

START_TEST(test_prr_without_sack_forged_duplicates_release_nothing)
{
	forged_duplicates(true);
}
END_TEST

START_TEST(test_inflation_forged_duplicates_release_nothing)
{
	forged_duplicates(false);
}
END_TEST

/* ---- HyStart++ ---- */

struct hs {
	struct stack *s;
	struct tcp_conn *c;
};

static void hs_setup(struct hs *h, bool enabled)
{
	struct stack_limits lim;

	stack_limits_default(&lim);
	lim.tcp_hystart = enabled;
	h->s = stack_new(&lim, 1);
	ck_assert_ptr_nonnull(h->s);
	h->c = calloc(1, sizeof(*h->c));
	ck_assert_ptr_nonnull(h->c);
	h->c->mss = MSS;
	h->c->cc = &tcp_cc_newreno;
	h->c->snd_una = 1000;
	h->c->snd_max = 1000 + 100 * MSS;
	tcp_cc_start(h->s, h->c);
	ck_assert_uint_eq(h->c->ssthresh, UINT32_MAX);
	ck_assert_uint_eq(h->c->cwnd, 10 * MSS);
}

static void hs_free(struct hs *h)
{
	free(h->c);
	stack_free(h->s);
}

/* One round of `acks` ACKs of two segments each with this RTT, as
 * tcp_ack_new_data() hands them on: HyStart++ first, then the
 * controller's growth. The first ACK covers what was sent when the last
 * round began, so each call is one of HyStart++'s rounds; the sender
 * keeps 100 segments in flight. */
static void hs_round(struct hs *h, int acks, double rtt_ms)
{
	struct tcp_conn *c = h->c;

	for (int i = 0; i < acks; i++) {
		uint32_t next = c->snd_una + 2 * MSS;

		if (i == 0 && SEQ_GT(c->hystart_round_end, next))
			next = c->hystart_round_end;
		c->snd_una = next;
		c->rack_rtt = (uint64_t)(rtt_ms * 1e6 + 0.5);
		tcp_hystart_ack(h->s, c);
		c->cc->on_ack(c, 0, 2 * MSS);
		c->snd_max = c->snd_una + 100 * MSS;
	}
}

static uint64_t hs_ctr(struct hs *h, enum stack_counter k)
{
	return t_ctr(h->s, k);
}

/* RTT 100 ms: the threshold is max(4, min(100 / 8, 16)) = 12.5 ms. A
 * round whose minimum is 112.5 ms enters CSS, where the window grows a
 * quarter as fast; 112.4 ms stays in slow start, and the next round is
 * held against 112.4 ms. */
START_TEST(test_hystart_delay_increase_at_its_threshold)
{
	struct hs h;
	uint32_t before;

	hs_setup(&h, true);
	hs_round(&h, 10, 100.0);
	hs_round(&h, 10, 112.5);
	ck_assert_uint_eq(h.c->hystart, TCP_HYSTART_CSS);
	hs_free(&h);

	hs_setup(&h, true);
	hs_round(&h, 10, 100.0);
	hs_round(&h, 10, 112.4);
	ck_assert_uint_eq(h.c->hystart, TCP_HYSTART_SS);
	/* Against 112.4 now: 14.05 ms more. */
	before = h.c->cwnd;
	hs_round(&h, 10, 126.45);
	ck_assert_uint_eq(h.c->hystart, TCP_HYSTART_CSS);
	ck_assert_uint_eq(hs_ctr(&h, STACK_CTR_tcp_hystart_css_entries), 1);
	ck_assert_uint_eq(h.c->hystart_css_base_us, 126450);
	/* 7 ACKs of slow start (2 MSS each), then from the 8th sample on
	 * 3 of CSS (MSS / 2 each). */
	ck_assert_uint_eq(h.c->cwnd - before, 7 * 2 * MSS + 3 * 2 * MSS / 4);
	before = h.c->cwnd;
	hs_round(&h, 10, 126.45);
	ck_assert_uint_eq(h.c->cwnd - before, 10 * 2 * MSS / 4);
	ck_assert_uint_eq(h.c->ssthresh, UINT32_MAX);
	hs_free(&h);
}
END_TEST

/* The threshold's bounds: at most 16 ms (RTT 200 ms: not 25), at least
 * 4 ms (RTT 20 ms: not 2.5). */
START_TEST(test_hystart_threshold_is_between_4_and_16_ms)
{
	struct hs h;

	hs_setup(&h, true);
	hs_round(&h, 10, 200.0);
	hs_round(&h, 10, 215.99);
	ck_assert_uint_eq(h.c->hystart, TCP_HYSTART_SS);
	hs_round(&h, 10, 231.99);
	ck_assert_uint_eq(h.c->hystart, TCP_HYSTART_CSS);
	hs_free(&h);

	hs_setup(&h, true);
	hs_round(&h, 10, 20.0);
	hs_round(&h, 10, 23.99);
	ck_assert_uint_eq(h.c->hystart, TCP_HYSTART_SS);
	hs_round(&h, 10, 27.99);
	ck_assert_uint_eq(h.c->hystart, TCP_HYSTART_CSS);
	hs_free(&h);
}
END_TEST

/* Fewer than N_RTT_SAMPLE samples in a round decide nothing. */
START_TEST(test_hystart_needs_eight_samples)
{
	struct hs h;

	hs_setup(&h, true);
	hs_round(&h, 10, 100.0);
	hs_round(&h, 7, 200.0);
	ck_assert_uint_eq(h.c->hystart, TCP_HYSTART_SS);
	hs_free(&h);
}
END_TEST

/* In CSS, a round whose minimum falls below the baseline says the
 * increase was jitter: slow start again. */
START_TEST(test_hystart_css_back_to_slow_start_when_rtt_falls)
{
	struct hs h;

	hs_setup(&h, true);
	hs_round(&h, 10, 10.0);
	hs_round(&h, 10, 14.0); /* + 4 ms: the floor of the threshold */
	ck_assert_uint_eq(h.c->hystart, TCP_HYSTART_CSS);
	hs_round(&h, 10, 14.0); /* not below the baseline */
	ck_assert_uint_eq(h.c->hystart, TCP_HYSTART_CSS);
	hs_round(&h, 10, 13.9);
	ck_assert_uint_eq(h.c->hystart, TCP_HYSTART_SS);
	ck_assert_uint_eq(hs_ctr(&h, STACK_CTR_tcp_hystart_css_resumes), 1);
	hs_free(&h);
}
END_TEST

/* CSS_ROUNDS (5) rounds of CSS after the one it began in end slow start
 * at the next round's first ACK: ssthresh = cwnd, counted. */
START_TEST(test_hystart_css_rounds_end_slow_start)
{
	struct hs h;
	int rounds = 0;

	hs_setup(&h, true);
	hs_round(&h, 10, 50.0);
	hs_round(&h, 10, 60.0);
	ck_assert_uint_eq(h.c->hystart, TCP_HYSTART_CSS);
	while (h.c->hystart == TCP_HYSTART_CSS && rounds < 10) {
		hs_round(&h, 10, 60.0);
		rounds++;
	}
	ck_assert_int_eq(rounds, 6);
	ck_assert_uint_eq(h.c->hystart, TCP_HYSTART_EXITED);
	ck_assert_uint_ne(h.c->ssthresh, UINT32_MAX);
	ck_assert_uint_le(h.c->ssthresh, h.c->cwnd);
	ck_assert_uint_ge(h.c->ssthresh + 2 * MSS, h.c->cwnd);
	ck_assert_uint_eq(hs_ctr(&h, STACK_CTR_tcp_hystart_exits), 1);
	hs_free(&h);
}
END_TEST

/* [tcp] hystart = no: slow start runs until a loss, whatever the RTT. */
START_TEST(test_hystart_off_keeps_slow_start)
{
	struct hs h;

	hs_setup(&h, false);
	hs_round(&h, 10, 100.0);
	hs_round(&h, 10, 200.0);
	hs_round(&h, 10, 300.0);
	ck_assert_uint_eq(h.c->hystart, TCP_HYSTART_OFF);
	ck_assert_uint_eq(h.c->ssthresh, UINT32_MAX);
	ck_assert_uint_eq(h.c->cwnd, 10 * MSS + 30 * 2 * MSS);
	hs_free(&h);
}
END_TEST

/* A loss ends HyStart++ for good (the first slow start only). */
START_TEST(test_hystart_ends_with_a_loss)
{
	struct hs h;

	hs_setup(&h, true);
	hs_round(&h, 10, 100.0);
	h.c->cc->on_loss(h.c, 0, false);
	hs_round(&h, 10, 100.0);
	ck_assert_uint_eq(h.c->hystart, TCP_HYSTART_OFF);
	ck_assert_uint_eq(hs_ctr(&h, STACK_CTR_tcp_hystart_exits), 0);
	hs_free(&h);
}
END_TEST

/* ---- CUBIC after HyStart++ ---- */

/* One round trip of CUBIC congestion avoidance: ACKs of two segments
 * for the whole window, 50 ms after *now (the path's minimum RTT);
 * returns the growth in segments. */
static double cubic_round(struct hs *h, uint64_t *now)
{
	struct tcp_conn *c = h->c;
	uint32_t before = c->cwnd;

	*now += 50 * 1000 * 1000ull;
	for (uint32_t done = 0; done < before; done += 2 * MSS) {
		c->snd_una += 2 * MSS;
		c->snd_max = c->snd_una + c->cwnd;
		tcp_hystart_ack(h->s, c);
		c->cc->on_ack(c, *now, 2 * MSS);
	}
	return (double)(c->cwnd - before) / MSS;
}

/* HyStart++ ended slow start before any loss: W_max is not known, and
 * CUBIC's curve from the window at the exit (K = 0) would hold it there
 * for seconds (0.4 t^3 segments: 0.4 after one second). Until the first
 * loss the window grows at least 5 % a round trip (Linux's cnt of at
 * most 20); after a loss, near the W_max it set, by far less. */
START_TEST(test_cubic_grows_after_a_hystart_exit)
{
	struct hs h;
	uint64_t now = 1;
	double grew, w;

	hs_setup(&h, true);
	h.c->cc = &tcp_cc_cubic;
	h.c->rack_min_rtt = 50 * 1000 * 1000ull;
	hs_round(&h, 10, 50.0);
	hs_round(&h, 10, 60.0);
	while (h.c->hystart == TCP_HYSTART_CSS)
		hs_round(&h, 10, 60.0);
	ck_assert_uint_eq(h.c->hystart, TCP_HYSTART_EXITED);
	ck_assert_uint_le(h.c->ssthresh, h.c->cwnd);
	/* Twenty round trips (one second): 5 % each at least, 2.65x. */
	w = (double)h.c->cwnd / MSS;
	for (int i = 0; i < 20; i++) {
		grew = cubic_round(&h, &now);
		ck_assert_double_ge(grew, 0.05 * w - 1);
		w += grew;
	}
	ck_assert_double_ge(w, 2.5 * h.c->ssthresh / MSS);
	/* A loss: W_max known, concave growth towards it. */
	h.c->cc->on_loss(h.c, now, false);
	ck_assert_uint_eq(h.c->hystart, TCP_HYSTART_OFF);
	h.c->cc->on_recovery_end(h.c, now);
	w = (double)h.c->cwnd / MSS;
	grew = cubic_round(&h, &now);
	ck_assert_double_lt(grew, 0.05 * w);
	hs_free(&h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tcp_cc");
	TCase *tc = tcase_create("cc");
	tcase_add_test(tc, test_prr_one_loss_in_twenty_sends_every_other_ack);
	tcase_add_test(tc, test_prr_ssrb_bounds_the_send_after_a_heavy_loss);
	tcase_add_test(tc, test_prr_proportional_rounds_up);
	tcase_add_test(tc, test_moderate_at_the_end_of_recovery);
	tcase_add_test(tc, test_prr_without_sack_spreads_the_sends);
	tcase_add_test(tc, test_prr_without_sack_past_255_duplicates);
	tcase_add_test(tc,
		       test_prr_without_sack_forged_duplicates_release_nothing);
	tcase_add_test(tc, test_inflation_forged_duplicates_release_nothing);
	tcase_add_test(tc, test_hystart_delay_increase_at_its_threshold);
	tcase_add_test(tc, test_hystart_threshold_is_between_4_and_16_ms);
	tcase_add_test(tc, test_hystart_needs_eight_samples);
	tcase_add_test(tc, test_hystart_css_back_to_slow_start_when_rtt_falls);
	tcase_add_test(tc, test_hystart_css_rounds_end_slow_start);
	tcase_add_test(tc, test_hystart_off_keeps_slow_start);
	tcase_add_test(tc, test_hystart_ends_with_a_loss);
	tcase_add_test(tc, test_cubic_grows_after_a_hystart_exit);
	suite_add_tcase(s, tc);
	return t_run(s);
}
