/*
 * tcp_cc.c - µTCP congestion control: NewReno and CUBIC
 *
 * A controller sees four moments (struct tcp_cc_ops): a new connection,
 * new data acknowledged outside recovery, a loss (found by RACK, by
 * three duplicate ACKs without SACK, by a loss probe, or a timeout), and
 * the end of fast recovery. Recovery itself (RFC 6675's pipe with
 * RACK-TLP in tcp_rack.c; RFC 6582's window inflation and partial ACKs
 * for peers without SACK, in tcp_input.c) is the same for both; what
 * differs is how the window grows and how far it falls.
 *
 * MUST-19: slow start and congestion avoidance (the backoff is in
 * tcp_timer.c); MAY-18: CUBIC is the alternative.
 *
 * NewReno: RFC 5681 slow start and congestion avoidance with
 * appropriate byte counting (RFC 3465, L = 2 SMSS), multiplicative
 * decrease to half the flight size.
 *
 * CUBIC: RFC 9438, beta 0.7, C 0.4, fast convergence, the Reno-friendly
 * region (4.3); slow start is the same as NewReno's.
 *
 * Both start from the RFC 6928 initial window of 10 segments.
 *
 * HyStart++ (RFC 9406) watches the first slow start (while ssthresh is
 * still unset; later slow starts stop at the ssthresh a loss set, as the
 * RFC recommends). A round lasts from an ACK until snd_una passes what
 * was sent by then (hystart_round_end); each ACK gives an RTT sample
 * (RACK's, of the newest segment it delivered, in tcp_rack.c). Once a
 * round has N_RTT_SAMPLE samples, a minimum above the last round's by
 * more than max(4 ms, min(last / 8, 16 ms)) means a queue is building:
 * slow start turns conservative (CSS: a quarter of the growth), with the
 * round's minimum as baseline. CSS's rounds are those after the one that
 * found the increase: the rest of that one acknowledges what slow start
 * sent, whose low RTTs would read as jitter. A CSS round's minimum below
 * the baseline was jitter: back to slow start. CSS_ROUNDS rounds of CSS
 * end it: ssthresh = cwnd, congestion avoidance. A loss ends it at any
 * time, through the controller's on_loss. The growth limit L stays RFC
 * 3465's two segments (µTCP does not pace).
 *
 * PRR (RFC 6937) sets the window during fast recovery, with or without
 * SACK, so that the reduction to ssthresh is spread over the recovery
 * round trip: each ACK lets out in proportion to what it delivered
 * (prr_delivered * ssthresh / RecoverFS, less prr_out) while pipe is
 * above ssthresh, and below it at most what was delivered and not yet
 * matched by sends, or this ACK's delivery, plus one segment when
 * snd_una advanced and nothing new was judged lost (the slow-start
 * reduction bound, PRR-SSRB, with Linux's condition on the extra
 * segment). cwnd becomes pipe + sndcnt at each ACK (without SACK: the
 * flight + sndcnt, pipe being estimated as the flight less a segment
 * per duplicate ACK since snd_una last moved), so tcp_output() sends
 * sndcnt. RecoverFS is the flight when recovery began (the RFC's; Linux
 * takes the window). The catch-up of PRR-SSRB is held to TCP_MAX_BURST
 * segments beyond what the ACK delivered. At the end of recovery the
 * controller's on_recovery_end sets the window as before, and then
 * tcp_cc_moderate() holds it to pipe + TCP_MAX_BURST segments (Linux's
 * old tcp_moderate_cwnd, its max burst being the reordering degree's
 * default, 3): CUBIC would step to ssthresh at once, however far below
 * it pipe had fallen; with ssthresh kept, slow start closes the gap.
 * With tcp_prr off, the window is RFC 6675's (cwnd = ssthresh, send
 * while pipe is below it) and RFC 6582's inflation without SACK, which
 * can release a burst of up to ssthresh - pipe at once (its duplicates
 * count, as PRR's, only while they are fewer than the segments in
 * flight).
 *
 * CUBIC's target looks one minimum RTT ahead (RACK's min_rtt, Linux's
 * delay_min), where RFC 9438 says "RTT": with the smoothed RTT a
 * standing queue lengthens the look-ahead, and the flow that keeps the
 * queue full grows faster than the curve. After HyStart++ ended the
 * first slow start (TCP_HYSTART_EXITED, until the first loss) W_max is
 * not known, and CUBIC grows at least 5 % a round trip, as Linux's.
 */
#include <math.h>

#include "tcp.h"

#define CUBIC_BETA 0.7
#define CUBIC_C	   0.4
/* The least growth a round trip while W_max is unknown (Linux's). */
#define CUBIC_FIRST_GROWTH 1.05

/* RFC 9406 4.3's constants. */
#define HYSTART_MIN_RTT_THRESH_US 4000u
#define HYSTART_MAX_RTT_THRESH_US 16000u
#define HYSTART_MIN_RTT_DIVISOR	  8u
#define HYSTART_N_RTT_SAMPLE	  8u
#define HYSTART_CSS_GROWTH_DIV	  4u
#define HYSTART_CSS_ROUNDS	  5u
#define HYSTART_NO_RTT		  UINT32_MAX

static uint32_t tcp_initial_window(const struct tcp_conn *c)
{
	uint32_t ten = TCP_INIT_CWND_SEGS * (uint32_t)c->mss;
	uint32_t floor =
	    2 * (uint32_t)c->mss > 14600 ? 2 * (uint32_t)c->mss : 14600;

	/* RFC 6928 2: min(10*MSS, max(2*MSS, 14600)). */
	return ten < floor ? ten : floor;
}

static void reno_init(struct tcp_conn *c)
{
	c->cwnd = tcp_initial_window(c);
	c->ssthresh = UINT32_MAX;
	c->bytes_acked = 0;
}

/* Slow start with ABC; returns the bytes not used by slow start. RFC
 * 3465's limit L is two segments per ACK; with TSO a "segment" is what
 * we send in one piece, so one ACK for a super-segment still counts. */
static uint32_t slow_start(struct tcp_conn *c, uint32_t acked)
{
	uint32_t seg = c->max_seg_sent > c->mss ? c->max_seg_sent : c->mss;
	uint32_t limit = 2 * seg;
	uint32_t inc = acked < limit ? acked : limit;

	if (c->cwnd >= c->ssthresh)
		return acked;
	if (c->cwnd + inc > c->ssthresh)
		inc = c->ssthresh - c->cwnd;
	/* RFC 9406 4.2: conservative slow start grows a quarter as fast. */
	c->cwnd +=
	    c->hystart == TCP_HYSTART_CSS ? inc / HYSTART_CSS_GROWTH_DIV : inc;
	return acked > inc ? acked - inc : 0;
}

static void reno_on_ack(struct tcp_conn *c, uint64_t now, uint32_t acked)
{
	(void)now;
	acked = slow_start(c, acked);
	if (!acked)
		return;
	/* RFC 5681 3.1 congestion avoidance, counting bytes. */
	c->bytes_acked += acked;
	if (c->bytes_acked >= c->cwnd) {
		c->bytes_acked -= c->cwnd;
		c->cwnd += c->mss;
	}
}

static void reno_on_loss(struct tcp_conn *c, uint64_t now, bool timeout)
{
	uint32_t half = tcp_flight_size(c) / 2;
	uint32_t floor = 2 * (uint32_t)c->mss;

	(void)now;
	if (c->hystart == TCP_HYSTART_EXITED)
		c->hystart = TCP_HYSTART_OFF;
	c->ssthresh = half > floor ? half : floor; /* RFC 5681 (4) */
	c->cwnd = timeout ? c->mss : c->ssthresh;
	c->bytes_acked = 0;
}

static void reno_on_recovery_end(struct tcp_conn *c, uint64_t now)
{
	uint32_t flight = tcp_flight_size(c);

	(void)now;
	/* RFC 6582 3.2 step 3, option (1): min(ssthresh,
	 * max(FlightSize, SMSS) + SMSS). */
	flight = (flight > c->mss ? flight : c->mss) + c->mss;
	c->cwnd = c->ssthresh < flight ? c->ssthresh : flight;
}

const struct tcp_cc_ops tcp_cc_newreno = {
    .name = "newreno",
    .init = reno_init,
    .on_ack = reno_on_ack,
    .on_loss = reno_on_loss,
    .on_recovery_end = reno_on_recovery_end,
};

static void cubic_init(struct tcp_conn *c)
{
	reno_init(c);
	c->cubic.w_max = 0;
	c->cubic.k = 0;
	c->cubic.w_est = 0;
	c->cubic.epoch_start = 0;
}

static void cubic_on_ack(struct tcp_conn *c, uint64_t now, uint32_t acked)
{
	double mss = c->mss, cwnd_segs, t, target, w_cubic, rtt, next;
	bool unknown;

	acked = slow_start(c, acked);
	if (!acked)
		return;
	cwnd_segs = c->cwnd / mss;
	if (!c->cubic.epoch_start) {
		/* RFC 9438 4.2: a new congestion avoidance epoch. */
		c->cubic.epoch_start = now;
		if (c->cubic.w_max < cwnd_segs) {
			c->cubic.k = 0;
			c->cubic.w_max = cwnd_segs;
		} else {
			c->cubic.k =
			    cbrt((c->cubic.w_max - cwnd_segs) / CUBIC_C);
		}
		c->cubic.w_est = cwnd_segs;
		c->cubic.acc = 0;
	}
	/* The target's look-ahead is the path's minimum RTT, as Linux's
	 * delay_min, not the smoothed one: a standing queue would otherwise
	 * speed up the growth of whoever fills it. */
	rtt = c->rack_min_rtt ? (double)c->rack_min_rtt / 1e9
	      : c->srtt	      ? (double)c->srtt / 1e9
			      : 0.1;
	t = (double)(now - c->cubic.epoch_start) / 1e9;
	/* W_cubic(t) = C (t - K)^3 + W_max (RFC 9438 4.2), and the target
	 * one RTT ahead, kept within [cwnd, 1.5 cwnd]. */
	w_cubic = CUBIC_C * pow(t - c->cubic.k, 3) + c->cubic.w_max;
	target = CUBIC_C * pow(t + rtt - c->cubic.k, 3) + c->cubic.w_max;
	if (target < cwnd_segs)
		target = cwnd_segs;
	if (target > 1.5 * cwnd_segs)
		target = 1.5 * cwnd_segs;
	/* HyStart++ ended slow start before any loss: W_max is not known,
	 * and the curve from the window at that exit (K = 0) would hold it
	 * there for seconds. Grow at least 5 % a round trip until the first
	 * loss, as Linux's tcp_cubic does (cnt at most 20 while
	 * last_max_cwnd is 0). */
	unknown = c->hystart == TCP_HYSTART_EXITED;
	if (unknown && target < CUBIC_FIRST_GROWTH * cwnd_segs)
		target = CUBIC_FIRST_GROWTH * cwnd_segs;
	/* The Reno-friendly estimate (4.3). */
	c->cubic.w_est += 3.0 * (1 - CUBIC_BETA) / (1 + CUBIC_BETA) *
			  (acked / mss) / cwnd_segs;
	if (w_cubic < c->cubic.w_est && !unknown) {
		next = c->cubic.w_est;
	} else {
		/* Concave or convex region (4.4, 4.5): grow by
		 * (target - cwnd) / cwnd per acknowledged segment. */
		c->cubic.acc +=
		    (target - cwnd_segs) / cwnd_segs * (acked / mss);
		next = cwnd_segs + floor(c->cubic.acc);
		c->cubic.acc -= floor(c->cubic.acc);
		if (unknown && next < c->cubic.w_est)
			next = c->cubic.w_est;
	}
	if (next > cwnd_segs)
		c->cwnd = (uint32_t)(next * mss);
}

static void cubic_on_loss(struct tcp_conn *c, uint64_t now, bool timeout)
{
	double cwnd_segs = c->cwnd / (double)c->mss;
	uint32_t floor = 2 * (uint32_t)c->mss;
	uint32_t ss;

	(void)now;
	if (c->hystart == TCP_HYSTART_EXITED)
		c->hystart = TCP_HYSTART_OFF; /* W_max is known from here */
	/* Fast convergence (4.7). */
	if (cwnd_segs < c->cubic.w_max)
		c->cubic.w_max = cwnd_segs * (1 + CUBIC_BETA) / 2;
	else
		c->cubic.w_max = cwnd_segs;
	ss = (uint32_t)(c->cwnd * CUBIC_BETA);
	c->ssthresh = ss > floor ? ss : floor;
	c->cwnd = timeout ? c->mss : c->ssthresh;
	c->cubic.epoch_start = 0;
	c->cubic.acc = 0;
	c->bytes_acked = 0;
}

static void cubic_on_recovery_end(struct tcp_conn *c, uint64_t now)
{
	(void)now;
	c->cwnd = c->ssthresh;
}

const struct tcp_cc_ops tcp_cc_cubic = {
    .name = "cubic",
    .init = cubic_init,
    .on_ack = cubic_on_ack,
    .on_loss = cubic_on_loss,
    .on_recovery_end = cubic_on_recovery_end,
};

void tcp_cc_timeout_again(struct tcp_conn *c)
{
	c->cwnd = c->mss;
	c->bytes_acked = 0;
	c->cubic.epoch_start = 0;
	c->cubic.acc = 0;
}

void tcp_cc_start(const struct stack *s, struct tcp_conn *c)
{
	c->cc->init(c);
	c->hystart = s->lim.tcp_hystart ? TCP_HYSTART_SS : TCP_HYSTART_OFF;
	c->hystart_samples = 0;
	c->hystart_css_rounds = 0;
	c->hystart_round_end = c->snd_una; /* the first ACK starts a round */
	c->hystart_rtt_us = HYSTART_NO_RTT;
	c->hystart_last_rtt_us = HYSTART_NO_RTT;
	c->hystart_css_base_us = HYSTART_NO_RTT;
}

/* ---- HyStart++ (RFC 9406) ---- */

/* A round begins (4.2: windowEnd = SND.NXT). Returns false when CSS
 * has lasted its CSS_ROUNDS rounds and ended slow start. */
static bool hystart_new_round(struct stack *s, struct tcp_conn *c)
{
	if (c->hystart == TCP_HYSTART_CSS) {
		if (c->hystart_css_rounds >= HYSTART_CSS_ROUNDS) {
			/* Congestion avoidance from here. */
			c->ssthresh = c->cwnd;
			c->hystart = TCP_HYSTART_EXITED;
			COUNT(s, tcp_hystart_exits);
			return false;
		}
		c->hystart_css_rounds++;
	}
	c->hystart_last_rtt_us = c->hystart_rtt_us;
	c->hystart_rtt_us = HYSTART_NO_RTT;
	c->hystart_samples = 0;
	c->hystart_round_end = c->snd_max;
	return true;
}

void tcp_hystart_ack(struct stack *s, struct tcp_conn *c)
{
	uint64_t rtt_us = c->rack_rtt / 1000;
	uint32_t last = c->hystart_last_rtt_us, thresh;

	if (c->hystart == TCP_HYSTART_OFF || c->hystart == TCP_HYSTART_EXITED)
		return;
	if (c->ssthresh != UINT32_MAX) {
		/* A loss ended the first slow start: HyStart++ is done. */
		c->hystart = TCP_HYSTART_OFF;
		return;
	}
	if (SEQ_GEQ(c->snd_una, c->hystart_round_end) &&
	    !hystart_new_round(s, c))
		return;
	if (!c->rack_rtt)
		return; /* no sample yet */
	if (rtt_us < c->hystart_rtt_us)
		c->hystart_rtt_us = rtt_us ? (uint32_t)rtt_us : 1;
	if (c->hystart_samples < UINT8_MAX)
		c->hystart_samples++;
	if (c->hystart_samples < HYSTART_N_RTT_SAMPLE || last == HYSTART_NO_RTT)
		return;
	if (c->hystart == TCP_HYSTART_SS) {
		/* 4.2: the delay increase, by max(MIN_RTT_THRESH,
		 * min(lastRoundMinRTT / MIN_RTT_DIVISOR, MAX_RTT_THRESH)). */
		thresh = last / HYSTART_MIN_RTT_DIVISOR;
		if (thresh > HYSTART_MAX_RTT_THRESH_US)
			thresh = HYSTART_MAX_RTT_THRESH_US;
		if (thresh < HYSTART_MIN_RTT_THRESH_US)
			thresh = HYSTART_MIN_RTT_THRESH_US;
		if (c->hystart_rtt_us >= last + thresh) {
			/* CSS's rounds are those after this one: the rest
			 * of this one acknowledges what slow start sent. */
			c->hystart = TCP_HYSTART_CSS;
			c->hystart_css_base_us = c->hystart_rtt_us;
			c->hystart_css_rounds = 0;
			COUNT(s, tcp_hystart_css_entries);
		}
	} else if (c->hystart_css_rounds &&
		   c->hystart_rtt_us < c->hystart_css_base_us) {
		/* The RTT fell back below the baseline: the increase was
		 * jitter, not a queue. Slow start again. */
		c->hystart = TCP_HYSTART_SS;
		c->hystart_css_base_us = HYSTART_NO_RTT;
		COUNT(s, tcp_hystart_css_resumes);
	}
}

/* ---- PRR (RFC 6937) ---- */

void tcp_prr_start(struct tcp_conn *c)
{
	c->prr_delivered = 0;
	c->prr_out = 0;
	c->recover_fs = c->snd_max - c->snd_una;
}

uint32_t tcp_prr_sndcnt(uint32_t prr_delivered, uint32_t prr_out,
			uint32_t recover_fs, uint32_t ssthresh, uint32_t pipe,
			uint32_t delivered, uint32_t mss, bool bonus,
			bool *bounded)
{
	int64_t sndcnt, limit;

	*bounded = false;
	if (!recover_fs)
		recover_fs = 1;
	if (pipe > ssthresh) {
		/* Proportional rate reduction: CEIL(prr_delivered *
		 * ssthresh / RecoverFS) - prr_out. */
		sndcnt = (int64_t)(((uint64_t)prr_delivered * ssthresh +
				    recover_fs - 1) /
				   recover_fs) -
			 prr_out;
	} else {
		/* The slow-start reduction bound (PRR-SSRB). What was
		 * delivered and not yet matched by sends is caught up at
		 * most TCP_MAX_BURST segments beyond this ACK's delivery:
		 * when RACK judges many segments lost at once, pipe falls
		 * far below ssthresh, and the credit PRR held back while
		 * pipe was above would otherwise leave in one burst. */
		limit = (int64_t)prr_delivered - prr_out;
		if (limit > (int64_t)delivered + TCP_MAX_BURST * (int64_t)mss)
			limit =
			    (int64_t)delivered + TCP_MAX_BURST * (int64_t)mss;
		if (limit < (int64_t)delivered)
			limit = delivered;
		if (bonus)
			limit += mss;
		sndcnt = ssthresh - pipe;
		if (limit < sndcnt) {
			sndcnt = limit;
			*bounded = true;
		}
	}
	/* The first retransmission goes whatever the arithmetic says. */
	if (!prr_out && sndcnt < (int64_t)mss)
		sndcnt = mss;
	return sndcnt > 0 ? (uint32_t)sndcnt : 0;
}

void tcp_cc_moderate(struct tcp_conn *c)
{
	uint32_t limit = tcp_pipe(c) + TCP_MAX_BURST * (uint32_t)c->mss;

	if (c->cwnd > limit)
		c->cwnd = limit;
}

void tcp_prr_ack(struct stack *s, struct tcp_conn *c, uint32_t delivered,
		 uint32_t pipe, bool bonus)
{
	bool bounded;
	uint32_t sndcnt;

	c->prr_delivered += delivered;
	sndcnt = tcp_prr_sndcnt(c->prr_delivered, c->prr_out, c->recover_fs,
				c->ssthresh, pipe, delivered, c->mss, bonus,
				&bounded);
	if (bounded)
		COUNT(s, tcp_prr_bounded);
	/* tcp_output() sends what cwnd leaves above pipe: with SACK the
	 * scoreboard's pipe, without it everything from snd_una. */
	c->cwnd = (c->sack_ok ? pipe : c->snd_max - c->snd_una) + sndcnt;
}
