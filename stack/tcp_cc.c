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
 */
#include <math.h>

#include "tcp.h"

#define CUBIC_BETA 0.7
#define CUBIC_C	   0.4

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
	c->cwnd += inc;
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
	rtt = c->srtt ? (double)c->srtt / 1e9 : 0.1;
	t = (double)(now - c->cubic.epoch_start) / 1e9;
	/* W_cubic(t) = C (t - K)^3 + W_max (RFC 9438 4.2), and the target
	 * one RTT ahead, kept within [cwnd, 1.5 cwnd]. */
	w_cubic = CUBIC_C * pow(t - c->cubic.k, 3) + c->cubic.w_max;
	target = CUBIC_C * pow(t + rtt - c->cubic.k, 3) + c->cubic.w_max;
	if (target < cwnd_segs)
		target = cwnd_segs;
	if (target > 1.5 * cwnd_segs)
		target = 1.5 * cwnd_segs;
	/* The Reno-friendly estimate (4.3). */
	c->cubic.w_est += 3.0 * (1 - CUBIC_BETA) / (1 + CUBIC_BETA) *
			  (acked / mss) / cwnd_segs;
	if (w_cubic < c->cubic.w_est) {
		next = c->cubic.w_est;
	} else {
		/* Concave or convex region (4.4, 4.5): grow by
		 * (target - cwnd) / cwnd per acknowledged segment. */
		c->cubic.acc +=
		    (target - cwnd_segs) / cwnd_segs * (acked / mss);
		next = cwnd_segs + floor(c->cubic.acc);
		c->cubic.acc -= floor(c->cubic.acc);
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
