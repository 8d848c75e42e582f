/*
 * test_tcp_rcvbuf.c - receive-buffer auto-tuning (tcp_buf.c): a buffer
 * grows with what its user reads per round trip, up to tcp_rcvbuf_max
 * and no further; not under memory pressure, not when the user set
 * rcvbuf, not when the user does not read
 *
 * A streams to B through the harness. The harness's clock moves only
 * when a test moves it: each round here sends what A's buffer takes,
 * delivers it, moves the clock by a millisecond (so that B's RTT
 * estimate, one tick of the timestamp clock, has passed) and lets B
 * read, as a reader keeping pace would.
 */
#include "tcp_harness.h"

#define STEP_NS (1000 * 1000ull)

/* Sends up to `len` bytes from A's ca to B's cb in rounds, B reading
 * all it can each round when `read`; returns the bytes B read. The
 * largest window B advertised goes to *max_wnd when not NULL. */
static size_t stream(struct pair *p, int ca, int cb, size_t len, bool read,
		     uint32_t *max_wnd)
{
	static uint8_t src[1 << 20];
	size_t sent = 0, got = 0;

	for (int round = 0; (read ? got : sent) < len && round < 20000;
	     round++) {
		long n;
		size_t want =
		    len - sent < sizeof(src) ? len - sent : sizeof(src);
		struct tcp_conn *b = tcp_conn_get(p->b, cb);

		n = tcp_send(p->a, p->now, ca, src, want);
		if (n > 0)
			sent += (size_t)n;
		else
			ck_assert_int_eq(n, -EAGAIN);
		t_exchange(p);
		p->now += STEP_NS;
		stack_timer(p->a, p->now);
		stack_timer(p->b, p->now);
		t_exchange(p);
		if (max_wnd && b->rcv_adv - b->rcv_nxt > *max_wnd)
			*max_wnd = b->rcv_adv - b->rcv_nxt;
		while (read) {
			const uint8_t *d;
			size_t m;
			int r = tcp_recv_peek(p->b, cb, &d, &m);
			if (r == -EAGAIN || m == 0)
				break;
			ck_assert_int_eq(r, 0);
			got += m;
			tcp_recv_consume(p->b, p->now, cb, m);
		}
		t_exchange(p);
	}
	return got;
}

/* The limits of these tests: the defaults, auto-tuning up to 6 MiB. */
static void tuned(struct stack_limits *lim)
{
	stack_limits_default(lim);
	lim->tcp_rcvbuf_max = 6u << 20;
}

/* A pair with those limits. */
static void tuned_pair(struct pair *p)
{
	struct stack_limits lim;

	tuned(&lim);
	t_pair_lim(p, &lim);
}

static uint64_t ctr(struct stack *s, enum stack_counter c)
{
	return stack_counter_get(s, c);
}

START_TEST(test_buffer_grows_with_what_the_reader_reads)
{
	struct pair p;
	int ca, cb, l;
	uint32_t max_wnd = 0;
	struct tcp_conn *b;

	tuned_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	b = tcp_conn_get(p.b, cb);
	ck_assert_uint_eq(b->rcv_wnd_max, 256u << 10);
	/* Scaled for the ceiling, 6 MiB: 65535 << 7 holds it. */
	ck_assert_uint_eq(b->rcv_wscale, 7);
	ck_assert(b->ts_ok);
	ck_assert_uint_eq(stream(&p, ca, cb, 16u << 20, true, &max_wnd),
			  16u << 20);
	ck_assert_uint_gt(b->rcv_wnd_max, 256u << 10);
	ck_assert_uint_le(b->rcv_wnd_max, 6u << 20);
	ck_assert_uint_gt(ctr(p.b, STACK_CTR_tcp_rcvbuf_grown), 0);
	/* ... and the window offered grew with it. */
	ck_assert_uint_gt(max_wnd, 256u << 10);
	/* A, which only sent, did not grow. */
	ck_assert_uint_eq(tcp_conn_get(p.a, ca)->rcv_wnd_max, 256u << 10);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_growth_stops_at_the_ceiling)
{
	struct pair p;
	struct stack_limits lim;
	int ca, cb, l;
	uint32_t max_wnd = 0;
	struct tcp_conn *b;

	tuned(&lim);
	lim.tcp_rcvbuf_max = 600000; /* not a power of two */
	lim.tcp_sndbuf = 1u << 20;   /* A may send more than B's half */
	t_pair_lim(&p, &lim);
	t_connect(&p, &ca, &cb, &l);
	b = tcp_conn_get(p.b, cb);
	ck_assert_uint_eq(b->rcv_wscale, 4); /* 65535 << 4 >= 600000 */
	ck_assert_uint_eq(stream(&p, ca, cb, 16u << 20, true, &max_wnd),
			  16u << 20);
	/* At the limit exactly, and never past it. */
	ck_assert_uint_eq(b->rcv_wnd_max, 600000);
	ck_assert_uint_le(max_wnd, 600000);
	ck_assert_uint_gt(max_wnd, 256u << 10);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_ceiling_below_the_default_means_no_tuning)
{
	struct pair p;
	struct stack_limits lim;
	int ca, cb, l;
	struct tcp_conn *b;

	tuned(&lim);
	lim.tcp_rcvbuf_max = lim.tcp_rcvbuf;
	t_pair_lim(&p, &lim);
	t_connect(&p, &ca, &cb, &l);
	b = tcp_conn_get(p.b, cb);
	ck_assert_uint_eq(b->rcv_wscale, 3); /* for 256 KiB alone */
	ck_assert_uint_eq(stream(&p, ca, cb, 8u << 20, true, NULL), 8u << 20);
	ck_assert_uint_eq(b->rcv_wnd_max, 256u << 10);
	ck_assert_uint_eq(ctr(p.b, STACK_CTR_tcp_rcvbuf_grown), 0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_no_growth_under_memory_pressure)
{
	struct pair p;
	int ca, cb, l;
	struct pkt *held[1024];
	uint32_t n = 0;
	struct tcp_conn *b;

	tuned_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	b = tcp_conn_get(p.b, cb);
	/* B reads a full window in each of two estimates, the second
	 * under pressure: the first fills the window and B reads it; the
	 * second fills it again before the pressure comes (the edge
	 * offered stands), so B reads 256 KiB again. */
	ck_assert_uint_eq(stream(&p, ca, cb, 256u << 10, false, NULL), 0);
	ck_assert_uint_ge(stream(&p, ca, cb, 256u << 10, true, NULL),
			  (256u << 10) - 128);
	ck_assert_uint_eq(stream(&p, ca, cb, 256u << 10, false, NULL), 0);
	/* Over half of B's 64 KiB buffers in use: pressure, not hard. */
	while (p.b->pool.in_use[PKT_CLASS_LARGE] * 16 <=
	       p.b->pool.max[PKT_CLASS_LARGE] * TCP_MEM_PRESSURE_16THS) {
		held[n] = stack_pkt_alloc(p.b, 60000);
		ck_assert_ptr_nonnull(held[n]);
		n++;
	}
	ck_assert_int_eq(tcp_mem_level(p.b), TCP_MEM_PRESSURE);
	/* One round: B reads all it holds at once. */
	ck_assert_uint_ge(stream(&p, ca, cb, 128u << 10, true, NULL),
			  128u << 10);
	ck_assert(b->rcv_space_rising);
	/* ... and anything more: the next estimate would grow it. */
	ck_assert_uint_ge(stream(&p, ca, cb, 1, true, NULL), 1);
	ck_assert_uint_eq(b->rcv_wnd_max, 256u << 10);
	ck_assert_uint_eq(ctr(p.b, STACK_CTR_tcp_rcvbuf_grown), 0);
	ck_assert_uint_gt(ctr(p.b, STACK_CTR_tcp_rcvbuf_grow_pressure), 0);
	/* The pressure gone, the same reader grows it. */
	while (n)
		stack_pkt_free(p.b, held[--n]);
	ck_assert_uint_ge(stream(&p, ca, cb, 16u << 20, true, NULL), 16u << 20);
	ck_assert_uint_gt(b->rcv_wnd_max, 256u << 10);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_no_growth_when_the_user_set_rcvbuf)
{
	struct pair p;
	int ca, cb, l;
	struct tcp_sockopts o;
	struct tcp_conn *b;

	/* Set on the listener: the accepted connection inherits it, and
	 * its scale is for its own buffer only. */
	tuned_pair(&p);
	tcp_sockopts_default(p.b, &o);
	o.rcvbuf = 256u << 10;
	o.rcvbuf_lock = true;
	l = tcp_listen(p.b, 0, 80, 16, &o);
	ck_assert_int_ge(l, 0);
	ca = tcp_connect(p.a, p.now, 0, 0, PEER_ADDR, 80, NULL);
	ck_assert_int_ge(ca, 0);
	t_exchange(&p);
	cb = tcp_accept(p.b, l, NULL, NULL);
	ck_assert_int_ge(cb, 0);
	b = tcp_conn_get(p.b, cb);
	ck_assert_uint_eq(b->rcv_wscale, 3);
	ck_assert_uint_eq(stream(&p, ca, cb, 8u << 20, true, NULL), 8u << 20);
	ck_assert_uint_eq(b->rcv_wnd_max, 256u << 10);
	ck_assert_int_eq(tcp_get_sockopts(p.b, cb, &o), 0);
	ck_assert(o.rcvbuf_lock);
	t_pair_free(&p);

	/* Set on an open connection: it stops growing from then on, and
	 * a later setting of another option does not unlock it. */
	tuned_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	b = tcp_conn_get(p.b, cb);
	ck_assert_int_eq(tcp_get_sockopts(p.b, cb, &o), 0);
	ck_assert(!o.rcvbuf_lock);
	o.rcvbuf_lock = true;
	ck_assert_int_eq(tcp_set_sockopts(p.b, p.now, cb, &o), 0);
	o.rcvbuf_lock = false;
	o.nodelay = true;
	ck_assert_int_eq(tcp_set_sockopts(p.b, p.now, cb, &o), 0);
	ck_assert_uint_eq(stream(&p, ca, cb, 8u << 20, true, NULL), 8u << 20);
	ck_assert_uint_eq(b->rcv_wnd_max, 256u << 10);
	ck_assert_uint_eq(ctr(p.b, STACK_CTR_tcp_rcvbuf_grown), 0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_no_growth_when_the_user_does_not_read)
{
	struct pair p;
	int ca, cb, l;
	struct tcp_conn *b;

	/* A peer sending as fast as it can does not grow a buffer whose
	 * user does not drain it. */
	tuned_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	b = tcp_conn_get(p.b, cb);
	ck_assert_uint_eq(stream(&p, ca, cb, 2u << 20, false, NULL), 0);
	ck_assert_uint_eq(b->rcv_wnd_max, 256u << 10);
	/* Full, to the window scale's 128-byte unit. */
	ck_assert_uint_le(tcp_rcv_queued(b), 256u << 10);
	ck_assert_uint_gt(tcp_rcv_queued(b), (256u << 10) - 128);
	t_pair_free(&p);
}
END_TEST

/* B's user reads at most max bytes now; returns how many. */
static size_t read_some(struct pair *p, int cb, size_t max)
{
	size_t got = 0;

	while (got < max) {
		const uint8_t *d;
		size_t m;
		if (tcp_recv_peek(p->b, cb, &d, &m) != 0 || m == 0)
			break;
		if (m > max - got)
			m = max - got;
		tcp_recv_consume(p->b, p->now, cb, m);
		got += m;
	}
	return got;
}

START_TEST(test_a_socketpair_s_worth_does_not_grow)
{
	struct pair p;
	int ca, cb, l;
	struct tcp_conn *b;

	/* As the daemon does for an application that never reads: what
	 * arrives moves to the socketpair until that is full (here 220
	 * KiB, over two estimates), then nothing more. A fill is not a
	 * reader keeping pace. */
	tuned_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	b = tcp_conn_get(p.b, cb);
	ck_assert_uint_eq(stream(&p, ca, cb, 256u << 10, false, NULL), 0);
	ck_assert_uint_eq(read_some(&p, cb, 120u << 10), 120u << 10);
	ck_assert_uint_eq(stream(&p, ca, cb, 256u << 10, false, NULL), 0);
	ck_assert_uint_eq(read_some(&p, cb, 100u << 10), 100u << 10);
	ck_assert_uint_eq(stream(&p, ca, cb, 4u << 20, false, NULL), 0);
	ck_assert_uint_eq(read_some(&p, cb, 1), 1);
	ck_assert_uint_eq(b->rcv_wnd_max, 256u << 10);
	ck_assert_uint_eq(ctr(p.b, STACK_CTR_tcp_rcvbuf_grown), 0);
	/* Half the buffer in each of two estimates does. */
	ck_assert_uint_eq(read_some(&p, cb, 200u << 10), 200u << 10);
	ck_assert_uint_eq(stream(&p, ca, cb, 256u << 10, false, NULL), 0);
	ck_assert_uint_ge(read_some(&p, cb, 200u << 10), 128u << 10);
	ck_assert_uint_eq(stream(&p, ca, cb, 256u << 10, false, NULL), 0);
	ck_assert_uint_ge(read_some(&p, cb, 1), 1);
	ck_assert_uint_gt(b->rcv_wnd_max, 256u << 10);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_without_timestamps_the_rtt_is_a_window_s_arrival)
{
	struct pair p;
	int ca, cb, l;
	struct tcp_conn *a, *b;

	tuned_pair(&p);
	t_connect(&p, &ca, &cb, &l);
	a = tcp_conn_get(p.a, ca);
	b = tcp_conn_get(p.b, cb);
	/* As if the handshake had not agreed on timestamps. */
	a->ts_ok = b->ts_ok = false;
	ck_assert_uint_eq(stream(&p, ca, cb, 16u << 20, true, NULL), 16u << 20);
	/* A window's worth arrives within a round of the harness. */
	ck_assert_uint_gt(b->rcv_rtt_us, 0);
	ck_assert_uint_le(b->rcv_rtt_us, STEP_NS / 1000);
	ck_assert_uint_gt(b->rcv_wnd_max, 256u << 10);
	ck_assert_uint_le(b->rcv_wnd_max, 6u << 20);
	t_pair_free(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tcp_rcvbuf");
	TCase *tc = tcase_create("rcvbuf");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_buffer_grows_with_what_the_reader_reads);
	tcase_add_test(tc, test_growth_stops_at_the_ceiling);
	tcase_add_test(tc, test_ceiling_below_the_default_means_no_tuning);
	tcase_add_test(tc, test_no_growth_under_memory_pressure);
	tcase_add_test(tc, test_no_growth_when_the_user_set_rcvbuf);
	tcase_add_test(tc, test_no_growth_when_the_user_does_not_read);
	tcase_add_test(tc, test_a_socketpair_s_worth_does_not_grow);
	tcase_add_test(tc,
		       test_without_timestamps_the_rtt_is_a_window_s_arrival);
	suite_add_tcase(s, tc);
	return t_run(s);
}
