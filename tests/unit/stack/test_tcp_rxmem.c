/*
 * test_tcp_rxmem.c - receive memory: the out-of-order store's bounds,
 * compact storage for small payloads, coalescing in the receive queue,
 * and the pool-pressure rules (tcp_buf.c)
 *
 * Each test drives A's connections with segments crafted as B would
 * send them, each byte of the stream a known function of its offset, so
 * that what A delivers can be checked byte for byte; pool occupancy is
 * read from A's pool directly.
 */
#include "tcp_harness.h"

/* The byte at stream offset off. */
static uint8_t pat(uint32_t off)
{
	return (uint8_t)(off * 7u + 3u);
}

/* Delivers to A's connection ca bytes [off, off + len) of B's stream,
 * whose first byte is at sequence base. */
static void put_data(struct pair *p, int ca, int cb, uint32_t base,
		     uint32_t off, uint32_t len)
{
	struct tcp_conn *a = tcp_conn_get(p->a, ca);
	struct tframe f;
	uint8_t ts[12];
	uint8_t *d;

	t_ts_opt(ts, a->ts_recent + 1, 0);
	t_craft(p, ca, cb, &f, base + off, TCP_ACK, ts, sizeof(ts), len);
	d = t_tcp_hdr(&f) + TCP_HDR_LEN + sizeof(ts);
	for (uint32_t i = 0; i < len; i++)
		d[i] = pat(off + i);
	t_tcp_recsum(&f);
	t_input(p->a, p->now, &f);
	t_drain(p->a);
}

/* put_data(), and the ACK A answers with into *ack. */
static void put_data_ack(struct pair *p, int ca, int cb, uint32_t base,
			 uint32_t off, uint32_t len, struct tcp_seg *ack)
{
	struct tcp_conn *a = tcp_conn_get(p->a, ca);
	struct tframe f;
	uint8_t ts[12];
	uint8_t *d;

	t_ts_opt(ts, a->ts_recent + 1, 0);
	t_craft(p, ca, cb, &f, base + off, TCP_ACK, ts, sizeof(ts), len);
	d = t_tcp_hdr(&f) + TCP_HDR_LEN + sizeof(ts);
	for (uint32_t i = 0; i < len; i++)
		d[i] = pat(off + i);
	t_tcp_recsum(&f);
	t_input(p->a, p->now, &f);
	t_pop_seg(p->a, ack);
	t_drain(p->a);
}

/* Is SACK block b of ack [base + from, base + to)? */
static void ck_sack(const struct tcp_seg *ack, int b, uint32_t base,
		    uint32_t from, uint32_t to)
{
	ck_assert_int_gt(ack->nsack, b);
	ck_assert_uint_eq(ack->sack[b][0] - base, from);
	ck_assert_uint_eq(ack->sack[b][1] - base, to);
}

/* Reads what A's connection holds and checks it is the stream from
 * offset 0 on; returns the byte count. */
static size_t read_check(struct pair *p, int ca)
{
	static uint8_t buf[1u << 20];
	size_t got = 0;

	t_read_all(p, p->a, ca, buf, sizeof(buf), &got);
	for (size_t i = 0; i < got; i++)
		ck_assert_uint_eq(buf[i], pat((uint32_t)i));
	t_drain(p->a);
	return got;
}

/* Opens n connections from B to A (A listening on port 80): ca[i] on A,
 * cb[i] on B. */
static void open_many(struct pair *p, int n, int *ca, int *cb)
{
	int l = tcp_listen(p->a, 0, 80, 64, NULL);

	ck_assert_int_ge(l, 0);
	for (int i = 0; i < n; i++) {
		cb[i] = tcp_connect(p->b, p->now, 0, 0, OUR_ADDR, 80, NULL);
		ck_assert_int_ge(cb[i], 0);
		t_exchange(p);
		ca[i] = tcp_accept(p->a, l, NULL, NULL);
		ck_assert_int_ge(ca[i], 0);
	}
	struct stack_event ev;
	while (stack_pop_event(p->a, &ev) || stack_pop_event(p->b, &ev))
		;
}

static uint32_t small_in_use(struct pair *p)
{
	return p->a->pool.in_use[PKT_CLASS_SMALL];
}

START_TEST(test_tiny_out_of_order_segments_share_a_compact_buffer)
{
	struct pair p;
	int ca, cb;
	struct tcp_conn *a;
	uint32_t base, before;

	t_pair(&p);
	open_many(&p, 1, &ca, &cb);
	a = tcp_conn_get(p.a, ca);
	base = a->rcv_nxt;
	before = small_in_use(&p);
	/* 256 one-byte segments at the odd offsets: a hole before each. */
	for (uint32_t i = 0; i < TCP_OOO_MAX; i++)
		put_data(&p, ca, cb, base, 2 * i + 1, 1);
	ck_assert_uint_eq(a->nooo, TCP_OOO_MAX);
	/* One compact buffer holds them all, not 256 buffers. */
	ck_assert_uint_eq(a->ooo_mem, PKT_SMALL_CAP);
	ck_assert_uint_le(small_in_use(&p), before + 1);
	ck_assert_uint_eq(t_ctr(p.a, STACK_CTR_tcp_rx_ooo_compact),
			  TCP_OOO_MAX);
	/* Fill the holes one by one: each drains the byte after it. */
	for (uint32_t i = 0; i < TCP_OOO_MAX; i++)
		put_data(&p, ca, cb, base, 2 * i, 1);
	ck_assert_uint_eq(a->nooo, 0);
	ck_assert_uint_eq(a->ooo_mem, 0);
	ck_assert_uint_eq(a->rcv_nxt, base + 2 * TCP_OOO_MAX);
	ck_assert_uint_eq(read_check(&p, ca), 2 * TCP_OOO_MAX);
	ck_assert_uint_eq(a->rcvq_mem, 0);
	ck_assert_uint_eq(small_in_use(&p), before);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_adjacent_tiny_segments_collapse_into_one_entry)
{
	struct pair p;
	int ca, cb;
	struct tcp_conn *a;
	uint32_t base;

	t_pair(&p);
	open_many(&p, 1, &ca, &cb);
	a = tcp_conn_get(p.a, ca);
	base = a->rcv_nxt;
	for (uint32_t i = 1; i <= 300; i++)
		put_data(&p, ca, cb, base, i, 1);
	ck_assert_uint_eq(a->nooo, 1);
	ck_assert_uint_eq(tcp_ooo_bytes(a), 300);
	ck_assert_uint_eq(a->ooo_mem, PKT_SMALL_CAP);
	put_data(&p, ca, cb, base, 0, 1);
	ck_assert_uint_eq(read_check(&p, ca), 301);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_small_in_order_segments_coalesce_in_the_receive_queue)
{
	struct pair p;
	int ca, cb;
	struct tcp_conn *a;
	uint32_t base;

	t_pair(&p);
	open_many(&p, 1, &ca, &cb);
	a = tcp_conn_get(p.a, ca);
	base = a->rcv_nxt;
	/* An application that does not read: 300 one-byte segments pin
	 * one buffer, not 300. */
	for (uint32_t i = 0; i < 300; i++)
		put_data(&p, ca, cb, base, i, 1);
	ck_assert_uint_eq(tcp_rcv_queued(a), 300);
	ck_assert_uint_eq(a->rcvq.count, 1);
	ck_assert_uint_eq(a->rcvq_mem, PKT_SMALL_CAP);
	ck_assert_uint_ge(t_ctr(p.a, STACK_CTR_tcp_rx_coalesced), 299);
	ck_assert_uint_eq(read_check(&p, ca), 300);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_out_of_order_memory_is_bounded_per_connection)
{
	struct pair p;
	struct stack_limits lim;
	int ca, cb;
	struct tcp_conn *a;
	uint32_t base, bound, n;

	stack_limits_default(&lim);
	lim.tcp_rcvbuf = 16384;
	t_pair_lim(&p, &lim);
	open_many(&p, 1, &ca, &cb);
	a = tcp_conn_get(p.a, ca);
	base = a->rcv_nxt;
	bound = TCP_OOO_MEM_FACTOR * a->rcv_wnd_max;
	/* 300-byte pieces (too big to copy) with a hole before each: each
	 * pins a 2 KiB buffer, so memory, not bytes, runs out first. */
	for (n = 0; 301 * (n + 1) + 300 < a->rcv_wnd_max; n++)
		put_data(&p, ca, cb, base, 301 * (n + 1), 300);
	ck_assert_uint_le(a->ooo_mem, bound);
	ck_assert_uint_eq(a->nooo, bound / PKT_SMALL_CAP);
	ck_assert_uint_eq(t_ctr(p.a, STACK_CTR_tcp_rx_ooo_drop),
			  n - bound / PKT_SMALL_CAP);
	/* An arrival below the highest held makes room: the highest (the
	 * most recent) is pruned for it. */
	put_data(&p, ca, cb, base, 1, 300);
	ck_assert_uint_le(a->ooo_mem, bound);
	ck_assert_uint_eq(t_rule(p.a, data_ooo_pruned), 1);
	ck_assert_uint_eq(t_ctr(p.a, STACK_CTR_tcp_rx_ooo_pruned), 1);
	ck_assert_uint_eq(a->ooo[0].seq, base + 1);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_pool_pressure_prunes_the_biggest_holder_first)
{
	struct pair p;
	struct stack_limits lim;
	int ca[3], cb[3];
	struct tcp_conn *a0, *a1, *a2;
	uint32_t base0, base1, base2, hard;

	stack_limits_default(&lim);
	lim.pkt_small_max = 512;
	t_pair_lim(&p, &lim);
	open_many(&p, 3, ca, cb);
	a0 = tcp_conn_get(p.a, ca[0]);
	a1 = tcp_conn_get(p.a, ca[1]);
	a2 = tcp_conn_get(p.a, ca[2]);
	base0 = a0->rcv_nxt;
	base1 = a1->rcv_nxt;
	base2 = a2->rcv_nxt;
	hard = lim.pkt_small_max * TCP_MEM_HARD_16THS / 16;
	/* Connection 0 takes 250 buffers of out-of-order data, 1 up to 150:
	 * the pool crosses the hard mark. */
	for (uint32_t i = 0; i < 250; i++)
		put_data(&p, ca[0], cb[0], base0, 301 * (i + 1), 300);
	ck_assert_uint_eq(a0->nooo, 250);
	ck_assert_uint_eq(t_ctr(p.a, STACK_CTR_tcp_rx_ooo_pruned), 0);
	for (uint32_t i = 0; i < 150; i++)
		put_data(&p, ca[1], cb[1], base1, 301 * (i + 1), 300);
	/* The biggest holder was pruned from its highest sequence down;
	 * the other kept what it had. */
	ck_assert_uint_gt(t_ctr(p.a, STACK_CTR_tcp_rx_ooo_pruned), 0);
	ck_assert_uint_gt(t_rule(p.a, data_ooo_pruned), 0);
	ck_assert_uint_lt(a0->nooo, 250);
	ck_assert_uint_eq(a0->ooo[0].seq, base0 + 301);
	ck_assert_uint_eq(a1->nooo, 150);
	ck_assert_uint_le(small_in_use(&p), hard + 1);
	ck_assert_uint_eq(t_ctr(p.a, STACK_CTR_tcp_rx_drop_no_buffer), 0);
	/* A third connection's in-order data still gets through. */
	for (uint32_t i = 0; i < 20; i++)
		put_data(&p, ca[2], cb[2], base2, 1000 * i, 1000);
	ck_assert_uint_eq(a2->rcv_nxt, base2 + 20000);
	ck_assert_uint_eq(read_check(&p, ca[2]), 20000);
	/* The hole filled, connection 0 delivers what it kept. */
	put_data(&p, ca[0], cb[0], base0, 0, 301);
	ck_assert_uint_eq(a0->rcv_nxt, base0 + 601);
	ck_assert_uint_eq(read_check(&p, ca[0]), 601);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_pressure_keeps_new_windows_at_a_few_segments)
{
	struct pair p;
	struct stack_limits lim;
	struct pkt *held[300];
	int ca, cb;
	struct tcp_conn *a;
	uint32_t nheld = 0;

	stack_limits_default(&lim);
	lim.pkt_small_max = 512;
	t_pair_lim(&p, &lim);
	/* Pressure: over half the pool in use. */
	nheld = t_pool_fill(p.a,
			    lim.pkt_small_max * TCP_MEM_PRESSURE_16THS / 16 + 1,
			    held, 300);
	ck_assert_int_eq(tcp_mem_level(p.a), TCP_MEM_PRESSURE);
	open_many(&p, 1, &ca, &cb);
	a = tcp_conn_get(p.a, ca);
	ck_assert_uint_le(a->rcv_adv - a->rcv_nxt, tcp_rcv_pressure_wnd(a));
	/* It still makes progress: data within that window is taken. */
	put_data(&p, ca, cb, a->rcv_nxt, 0, 1000);
	ck_assert_uint_eq(read_check(&p, ca), 1000);
	/* Pressure gone, the window opens to the buffer. */
	t_pool_release(p.a, held, &nheld);
	ck_assert_int_eq(tcp_mem_level(p.a), TCP_MEM_OK);
	ck_assert_uint_eq(tcp_rcv_window(p.a, a), a->rcv_wnd_max);
	t_pair_free(&p);
}
END_TEST

/* Under pressure a connection whose window scale is 7 (a 4 MiB
 * rcvbuf: 128-byte units) still offers two full segments on the wire
 * (tcp_rcv_pressure_wnd), and moves: whenever its user has read all it
 * holds, the sender has data in flight or a full segment's window, never
 * only its override timer; under soft pressure no delayed ACK is waited
 * for but at the end. */
START_TEST(test_pressure_with_a_coarse_window_scale_never_stalls)
{
	static const uint32_t marks[] = {TCP_MEM_PRESSURE_16THS,
					 TCP_MEM_HARD_16THS};
	static const enum tcp_mem_level levels[] = {TCP_MEM_PRESSURE,
						    TCP_MEM_HARD};
	static uint8_t src[256u << 10], dst[256u << 10];
	struct pair p;
	struct stack_limits lim;
	struct tcp_sockopts o;
	struct pkt *held[400];
	struct tcp_conn *a, *b;
	uint32_t nheld, idle = 0;
	size_t sent = 0, got = 0;
	int l, ca, cb;

	stack_limits_default(&lim);
	lim.pkt_small_max = 512;
	t_pair_lim(&p, &lim);
	tcp_sockopts_default(p.a, &o);
	o.rcvbuf = 4u << 20;
	l = tcp_listen(p.a, 0, 80, 16, &o);
	ck_assert_int_ge(l, 0);
	nheld =
	    t_pool_fill(p.a, lim.pkt_small_max * marks[_i] / 16 + 1, held, 400);
	ck_assert_int_eq(tcp_mem_level(p.a), levels[_i]);
	cb = tcp_connect(p.b, p.now, 0, 0, OUR_ADDR, 80, NULL);
	ck_assert_int_ge(cb, 0);
	t_exchange(&p);
	ca = tcp_accept(p.a, l, NULL, NULL);
	ck_assert_int_ge(ca, 0);
	a = tcp_conn_get(p.a, ca);
	b = tcp_conn_get(p.b, cb);
	ck_assert_uint_eq(a->rcv_wscale, 7);
	/* At the limit: two MSS rounded up to the 128-byte unit. */
	ck_assert_uint_eq(tcp_rcv_pressure_wnd(a),
			  (TCP_RCV_PRESSURE_WND_SEGS * a->our_mss + 127) / 128 *
			      128);
	ck_assert_uint_ge(tcp_rcv_pressure_wnd(a),
			  TCP_RCV_PRESSURE_WND_SEGS * tcp_payload_max(b));
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = pat((uint32_t)i);
	while (got < sizeof(src)) {
		size_t before = got;
		long n =
		    tcp_send(p.b, p.now, cb, src + sent, sizeof(src) - sent);
		if (n > 0)
			sent += (size_t)n;
		t_exchange(&p);
		t_read_all(&p, p.a, ca, dst, sizeof(dst), &got);
		t_exchange(&p);
		ck_assert_int_eq(tcp_mem_level(p.a), levels[_i]);
		if (got > before)
			continue;
		/* Nothing moved, and A holds nothing: B must have data in
		 * flight (a delayed ACK is owed) or a full segment's window,
		 * not wait for its override timer (RFC 9293 3.8.6.2.1). */
		ck_assert_uint_eq(tcp_rcv_queued(a), 0);
		ck_assert_msg(b->snd_nxt != b->snd_una ||
				  b->snd_wnd >= tcp_payload_max(b),
			      "stalled at %zu: offered %u, sender sees %u", got,
			      a->rcv_adv - a->rcv_nxt, b->snd_wnd);
		ck_assert_uint_lt(++idle, 1000);
		ck_assert(t_tick(&p, STACK_NS_PER_SEC));
	}
	/* Under pressure (not hard) two full segments fit the window, so
	 * every second one is ACKed at once: timers run only at the end
	 * (before, a 128-byte unit cut the window to one segment and each
	 * waited for the delayed ACK, 182 times here). */
	if (levels[_i] == TCP_MEM_PRESSURE)
		ck_assert_uint_le(idle, 8);
	ck_assert_mem_eq(dst, src, sizeof(src));
	t_pool_release(p.a, held, &nheld);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_hard_pressure_keeps_a_minimum_per_connection)
{
	struct pair p;
	struct stack_limits lim;
	struct pkt *held[512];
	int ca[2], cb[2];
	struct tcp_conn *a0, *a1;
	uint32_t nheld = 0, base0, base1;

	stack_limits_default(&lim);
	lim.pkt_small_max = 512;
	t_pair_lim(&p, &lim);
	open_many(&p, 2, ca, cb);
	a0 = tcp_conn_get(p.a, ca[0]);
	a1 = tcp_conn_get(p.a, ca[1]);
	base0 = a0->rcv_nxt;
	base1 = a1->rcv_nxt;
	/* Connection 0's application never reads: 10 segments queued. */
	for (uint32_t i = 0; i < 10; i++)
		put_data(&p, ca[0], cb[0], base0, 1400 * i, 1400);
	ck_assert_uint_gt(tcp_rcv_queued(a0),
			  TCP_RCV_PRESSURE_WND_SEGS * a0->our_mss);
	/* The pool over the hard mark. */
	while (tcp_mem_level(p.a) != TCP_MEM_HARD)
		ck_assert_ptr_nonnull(held[nheld++] =
					  stack_pkt_alloc(p.a, 100));
	/* Connection 0, over its minimum, is refused ... */
	put_data(&p, ca[0], cb[0], base0, 14000, 1400);
	ck_assert_uint_eq(a0->rcv_nxt, base0 + 14000);
	ck_assert_uint_eq(t_rule(p.a, data_mem_pressure), 1);
	ck_assert_uint_eq(t_ctr(p.a, STACK_CTR_tcp_rx_drop_mem_pressure), 1);
	/* ... connection 1, holding nothing, still receives, up to its
	 * minimum: the segment that crosses it is cut to it, the next
	 * one dropped. */
	put_data(&p, ca[1], cb[1], base1, 0, 1400);
	put_data(&p, ca[1], cb[1], base1, 1400, 1400);
	ck_assert_uint_eq(a1->rcv_nxt, base1 + 2800);
	ck_assert_uint_eq(t_rule(p.a, data_mem_pressure), 1);
	put_data(&p, ca[1], cb[1], base1, 2800, 1400);
	ck_assert_uint_eq(a1->rcv_nxt, base1 + tcp_rcv_pressure_wnd(a1));
	ck_assert_uint_eq(t_ctr(p.a, STACK_CTR_tcp_rx_trim_mem_pressure), 1);
	ck_assert_uint_eq(t_rule(p.a, data_mem_pressure), 1);
	put_data(&p, ca[1], cb[1], base1, 2920, 1400);
	ck_assert_uint_eq(t_rule(p.a, data_mem_pressure), 2);
	/* Once it reads, it goes on. */
	ck_assert_uint_eq(read_check(&p, ca[1]), tcp_rcv_pressure_wnd(a1));
	put_data(&p, ca[1], cb[1], base1, 2920, 1400);
	ck_assert_uint_eq(a1->rcv_nxt, base1 + 4320);
	t_pool_release(p.a, held, &nheld);
	t_pair_free(&p);
}
END_TEST

/* Under hard pressure a connection with a hole and more than its
 * minimum held out of order must still move: the segment that fills the
 * hole makes room by pruning the connection's own out-of-order data
 * (RFC 2018 8: SACKed data may be discarded, the sender resends it), so
 * it is never refused for the bytes it holds beyond the hole. The large
 * class is the one under pressure, so the stack-wide pruning of the
 * small class leaves this connection's store alone. */
START_TEST(test_hard_pressure_segment_filling_the_hole_prunes_its_own_store)
{
	struct pair p;
	struct stack_limits lim;
	struct pkt *held[16];
	int ca, cb;
	struct tcp_conn *a;
	uint32_t nheld = 0, base;

	stack_limits_default(&lim);
	lim.pkt_large_max = 16;
	t_pair_lim(&p, &lim);
	open_many(&p, 1, &ca, &cb);
	a = tcp_conn_get(p.a, ca);
	base = a->rcv_nxt;
	ck_assert_uint_eq(a->our_mss, 1460);
	/* A hole of 1400 bytes, then 3 x 1400 held out of order. */
	for (uint32_t i = 1; i <= 3; i++)
		put_data(&p, ca, cb, base, 1400 * i, 1400);
	ck_assert_uint_eq(a->nooo, 3);
	while (tcp_mem_level(p.a) != TCP_MEM_HARD)
		ck_assert_ptr_nonnull(held[nheld++] =
					  stack_pkt_alloc(p.a, 5000));
	/* The hole fills: the highest out-of-order segments go until the
	 * connection is within its minimum, and the stream moves on. */
	put_data(&p, ca, cb, base, 0, 1400);
	ck_assert_uint_eq(a->rcv_nxt, base + 2800);
	ck_assert_uint_eq(a->nooo, 0);
	ck_assert_uint_eq(t_ctr(p.a, STACK_CTR_tcp_rx_ooo_pruned), 2);
	ck_assert_uint_eq(t_ctr(p.a, STACK_CTR_tcp_rx_drop_mem_pressure), 0);
	ck_assert_uint_eq(read_check(&p, ca), 2800);
	/* What was pruned comes again and is taken. */
	put_data(&p, ca, cb, base, 2800, 1400);
	ck_assert_uint_eq(a->rcv_nxt, base + 4200);
	t_pool_release(p.a, held, &nheld);
	t_pair_free(&p);
}
END_TEST

/* Under hard pressure a super-segment beyond the minimum is not dropped
 * whole: the part that fits is taken (and its FIN, which lies beyond
 * the cut, dropped). */
START_TEST(test_hard_pressure_cuts_a_super_segment_to_the_minimum)
{
	struct pair p;
	struct stack_limits lim;
	struct pkt *held[16];
	int ca, cb;
	struct tcp_conn *a;
	uint32_t nheld = 0, base;

	stack_limits_default(&lim);
	lim.pkt_large_max = 16;
	t_pair_lim(&p, &lim);
	open_many(&p, 1, &ca, &cb);
	a = tcp_conn_get(p.a, ca);
	base = a->rcv_nxt;
	while (tcp_mem_level(p.a) != TCP_MEM_HARD)
		ck_assert_ptr_nonnull(held[nheld++] =
					  stack_pkt_alloc(p.a, 5000));
	put_data(&p, ca, cb, base, 0, 20000);
	ck_assert_uint_eq(a->rcv_nxt, base + tcp_rcv_pressure_wnd(a));
	ck_assert_uint_eq(t_ctr(p.a, STACK_CTR_tcp_rx_trim_mem_pressure), 1);
	ck_assert_uint_eq(read_check(&p, ca), tcp_rcv_pressure_wnd(a));
	t_pool_release(p.a, held, &nheld);
	t_pair_free(&p);
}
END_TEST

/* Under hard pressure an out-of-order super-segment cut to the minimum
 * must not pin a 64 KiB buffer: what c holds stays within its minimum. */
START_TEST(test_hard_pressure_out_of_order_cut_stays_within_the_minimum)
{
	struct pair p;
	struct stack_limits lim;
	struct pkt *held[16];
	int ca, cb;
	struct tcp_conn *a;
	uint32_t nheld = 0, base;

	stack_limits_default(&lim);
	lim.pkt_large_max = 16;
	t_pair_lim(&p, &lim);
	open_many(&p, 1, &ca, &cb);
	a = tcp_conn_get(p.a, ca);
	base = a->rcv_nxt;
	while (tcp_mem_level(p.a) != TCP_MEM_HARD)
		ck_assert_ptr_nonnull(held[nheld++] =
					  stack_pkt_alloc(p.a, 5000));
	put_data(&p, ca, cb, base, 500, 20000);
	ck_assert_uint_gt(a->nooo, 0);
	ck_assert_uint_le(tcp_rcv_mem(a), TCP_RCV_MIN_BUFS * PKT_SMALL_CAP);
	ck_assert_uint_eq(p.a->pool.in_use[PKT_CLASS_LARGE], nheld);
	/* The hole filled: what was kept is delivered. */
	put_data(&p, ca, cb, base, 0, 500);
	ck_assert_uint_eq(a->rcv_nxt, base + 500 + PKT_SMALL_CAP);
	ck_assert_uint_eq(read_check(&p, ca), a->rcv_nxt - base);
	t_pool_release(p.a, held, &nheld);
	t_pair_free(&p);
}
END_TEST

/* An out-of-order payload in a 64 KiB buffer that fits a small one is
 * copied to one even when it runs around held data (tcp_ooo_insert
 * stores every run): otherwise its first run pins the large buffer,
 * beyond the minimum under hard pressure. */
START_TEST(test_out_of_order_runs_in_a_large_buffer_are_copied)
{
	struct pair p;
	struct stack_limits lim;
	struct pkt *held[16];
	int ca, cb;
	struct tcp_conn *a;
	uint32_t nheld = 0, base;

	stack_limits_default(&lim);
	lim.pkt_large_max = 16;
	t_pair_lim(&p, &lim);
	open_many(&p, 1, &ca, &cb);
	a = tcp_conn_get(p.a, ca);
	base = a->rcv_nxt;
	put_data(&p, ca, cb, base, 1000, 100);
	while (tcp_mem_level(p.a) != TCP_MEM_HARD)
		ck_assert_ptr_nonnull(held[nheld++] =
					  stack_pkt_alloc(p.a, 5000));
	put_data(&p, ca, cb, base, 500, 20000);
	ck_assert_uint_ge(a->nooo, 2);
	ck_assert_uint_le(tcp_rcv_mem(a), TCP_RCV_MIN_BUFS * PKT_SMALL_CAP);
	ck_assert_uint_eq(p.a->pool.in_use[PKT_CLASS_LARGE], nheld);
	put_data(&p, ca, cb, base, 0, 500);
	ck_assert_uint_eq(a->rcv_nxt, base + 500 + PKT_SMALL_CAP);
	ck_assert_uint_eq(read_check(&p, ca), a->rcv_nxt - base);
	t_pool_release(p.a, held, &nheld);
	t_pair_free(&p);
}
END_TEST

/* Under hard pressure a connection with a large MSS (a jumbo frame
 * link) still takes its minimum: its segment, beyond what is copied,
 * is cut to its minimum's small buffers rather than refused whole. */
START_TEST(test_hard_pressure_large_mss_is_cut_to_the_minimum)
{
	struct pair p;
	struct stack_limits lim;
	struct pkt *held[16];
	int ca, cb;
	struct tcp_conn *a;
	uint32_t nheld = 0, base;

	stack_limits_default(&lim);
	lim.pkt_large_max = 16;
	t_pair_lim(&p, &lim);
	open_many(&p, 1, &ca, &cb);
	a = tcp_conn_get(p.a, ca);
	a->our_mss = 8960; /* as on a 9000-byte MTU */
	base = a->rcv_nxt;
	while (tcp_mem_level(p.a) != TCP_MEM_HARD)
		ck_assert_ptr_nonnull(held[nheld++] =
					  stack_pkt_alloc(p.a, 5000));
	put_data(&p, ca, cb, base, 0, 8960);
	ck_assert_uint_eq(a->rcv_nxt, base + TCP_RCV_MIN_BUFS * PKT_SMALL_CAP);
	ck_assert_uint_le(tcp_rcv_mem(a), TCP_RCV_MIN_BUFS * PKT_SMALL_CAP);
	ck_assert_uint_eq(p.a->pool.in_use[PKT_CLASS_LARGE], nheld);
	ck_assert_uint_eq(read_check(&p, ca), a->rcv_nxt - base);
	t_pool_release(p.a, held, &nheld);
	t_pair_free(&p);
}
END_TEST

/* An out-of-order payload in a 64 KiB buffer that is copied to a small
 * one is held at the small one's cost: a small receive buffer's store
 * (whose bound is below 64 KiB) keeps it. */
START_TEST(test_out_of_order_copied_payload_costs_a_small_buffer)
{
	struct pair p;
	struct stack_limits lim;
	int ca, cb;
	struct tcp_conn *a;
	uint32_t base;

	stack_limits_default(&lim);
	lim.tcp_rcvbuf = 16384;
	t_pair_lim(&p, &lim);
	open_many(&p, 1, &ca, &cb);
	a = tcp_conn_get(p.a, ca);
	base = a->rcv_nxt;
	put_data(&p, ca, cb, base, 1000, 2000); /* a frame over 2 KiB */
	ck_assert_uint_eq(a->nooo, 1);
	ck_assert_uint_eq(a->ooo_mem, PKT_SMALL_CAP);
	put_data(&p, ca, cb, base, 0, 1000);
	ck_assert_uint_eq(a->rcv_nxt, base + 3000);
	ck_assert_uint_eq(read_check(&p, ca), 3000);
	t_pair_free(&p);
}
END_TEST

/* Minimums are per connection (as Linux's tcp_rmem[0]): under hard
 * pressure every connection that never reads takes its minimum, until
 * the pool is down to its last TCP_POOL_RESERVE_SMALL buffers; those
 * stay for ACKs and the daemon's reads, so the next connection gets
 * nothing (counted as no buffer) until a holder has read what it held,
 * and then takes its minimum. */
START_TEST(test_hard_pressure_minimums_stop_at_the_pools_last_buffers)
{
	enum { MAX = 512, CONNS = 80 };
	struct pair p;
	struct stack_limits lim;
	struct pkt *held[MAX];
	int ca[CONNS], cb[CONNS], full = -1;
	uint32_t nheld = 0, base[CONNS];

	stack_limits_default(&lim);
	lim.pkt_small_max = MAX;
	t_pair_lim(&p, &lim);
	open_many(&p, CONNS, ca, cb);
	for (int i = 0; i < CONNS; i++)
		base[i] = tcp_conn_get(p.a, ca[i])->rcv_nxt;
	nheld = t_pool_fill(p.a, MAX * TCP_MEM_HARD_16THS / 16 + 1, held, MAX);
	ck_assert_int_eq(tcp_mem_level(p.a), TCP_MEM_HARD);
	/* Applications that never read: each takes its minimum while the
	 * pool has more than its last buffers. */
	for (int i = 0; i < CONNS && full < 0; i++) {
		put_data(&p, ca[i], cb[i], base[i], 0, 1400);
		put_data(&p, ca[i], cb[i], base[i], 1400, 1400);
		if (tcp_conn_get(p.a, ca[i])->rcv_nxt != base[i] + 2800)
			full = i;
	}
	ck_assert_msg(full > 0, "the minimums never reached the last buffers");
	ck_assert_uint_le(small_in_use(&p), MAX - TCP_POOL_RESERVE_SMALL + 2);
	ck_assert_uint_gt(t_ctr(p.a, STACK_CTR_tcp_rx_drop_no_buffer), 0);
	/* One more gets nothing... */
	ck_assert_int_lt(full + 1, CONNS);
	put_data(&p, ca[full + 1], cb[full + 1], base[full + 1], 0, 1400);
	ck_assert_uint_eq(tcp_conn_get(p.a, ca[full + 1])->rcv_nxt,
			  base[full + 1]);
	/* ... until a holder reads what it held. */
	ck_assert_uint_eq(read_check(&p, ca[0]), 2800);
	put_data(&p, ca[full + 1], cb[full + 1], base[full + 1], 0, 1400);
	ck_assert_uint_eq(tcp_conn_get(p.a, ca[full + 1])->rcv_nxt,
			  base[full + 1] + 1400);
	t_pool_release(p.a, held, &nheld);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_short_super_segments_move_to_small_buffers)
{
	struct pair p;
	int ca, cb;
	struct tcp_conn *a;
	uint32_t base, large0;

	t_pair(&p);
	open_many(&p, 1, &ca, &cb);
	a = tcp_conn_get(p.a, ca);
	base = a->rcv_nxt;
	large0 = p.a->pool.in_use[PKT_CLASS_LARGE];
	/* A 6000-byte coalesced segment arrives in a 64 KiB buffer: its
	 * bytes move to small buffers and the large one goes back. */
	put_data(&p, ca, cb, base, 0, 6000);
	ck_assert_uint_eq(p.a->pool.in_use[PKT_CLASS_LARGE], large0);
	ck_assert_uint_eq(a->rcvq_mem, 3 * PKT_SMALL_CAP);
	/* One of 20000 bytes stays where it is. */
	put_data(&p, ca, cb, base, 6000, 20000);
	ck_assert_uint_eq(p.a->pool.in_use[PKT_CLASS_LARGE], large0 + 1);
	ck_assert_uint_eq(a->rcvq_mem, 3 * PKT_SMALL_CAP + PKT_LARGE_CAP);
	ck_assert_uint_eq(read_check(&p, ca), 26000);
	ck_assert_uint_eq(a->rcvq_mem, 0);
	ck_assert_uint_eq(p.a->pool.in_use[PKT_CLASS_LARGE], large0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_pruning_frees_the_class_that_is_short)
{
	struct pair p;
	struct stack_limits lim;
	struct pkt *held[16];
	int ca[2], cb[2];
	struct tcp_conn *a0, *a1;
	uint32_t nheld = 0, base0, base1;

	stack_limits_default(&lim);
	lim.pkt_large_max = 16;
	t_pair_lim(&p, &lim);
	open_many(&p, 2, ca, cb);
	a0 = tcp_conn_get(p.a, ca[0]);
	a1 = tcp_conn_get(p.a, ca[1]);
	base0 = a0->rcv_nxt;
	base1 = a1->rcv_nxt;
	/* Connection 0 holds small buffers out of order, 1 a 64 KiB one. */
	for (uint32_t i = 0; i < 10; i++)
		put_data(&p, ca[0], cb[0], base0, 301 * (i + 1), 300);
	put_data(&p, ca[1], cb[1], base1, 100, 20000);
	ck_assert_uint_eq(a0->ooo_bufs[PKT_CLASS_SMALL], 10);
	ck_assert_uint_eq(a1->ooo_bufs[PKT_CLASS_LARGE], 1);
	/* The large class over the hard mark: the next data prunes the
	 * large buffer, and leaves the small ones, which would not help. */
	while (tcp_mem_level(p.a) != TCP_MEM_HARD)
		ck_assert_ptr_nonnull(held[nheld++] =
					  stack_pkt_alloc(p.a, 5000));
	put_data(&p, ca[0], cb[0], base0, 0, 100);
	ck_assert_uint_eq(a1->nooo, 0);
	ck_assert_uint_eq(a1->ooo_mem, 0);
	ck_assert_uint_eq(a0->nooo, 10);
	ck_assert_uint_eq(t_ctr(p.a, STACK_CTR_tcp_rx_ooo_pruned), 1);
	t_pool_release(p.a, held, &nheld);
	t_pair_free(&p);
}
END_TEST

/* Pruning is per buffer class: pruning the class under pressure removes
 * only the entries held in buffers of that class, even when entries in
 * the other class lie above them (they would free nothing it lacks). */
START_TEST(test_pruning_one_class_never_frees_the_other_class_entries)
{
	struct pair p;
	struct stack_limits lim;
	struct pkt *held[16];
	int ca[2], cb[2];
	struct tcp_conn *a0;
	uint32_t nheld = 0, base0, base1;

	stack_limits_default(&lim);
	lim.pkt_large_max = 16;
	t_pair_lim(&p, &lim);
	open_many(&p, 2, ca, cb);
	a0 = tcp_conn_get(p.a, ca[0]);
	base0 = a0->rcv_nxt;
	base1 = tcp_conn_get(p.a, ca[1])->rcv_nxt;
	/* Connection 0: a 64 KiB buffer low, ten small ones above it. */
	put_data(&p, ca[0], cb[0], base0, 100, 20000);
	for (uint32_t i = 0; i < 10; i++)
		put_data(&p, ca[0], cb[0], base0, 30000 + 301 * i, 300);
	ck_assert_uint_eq(a0->nooo, 11);
	ck_assert_uint_eq(a0->ooo_bufs[PKT_CLASS_LARGE], 1);
	ck_assert_uint_eq(a0->ooo_bufs[PKT_CLASS_SMALL], 10);
	while (tcp_mem_level(p.a) != TCP_MEM_HARD)
		ck_assert_ptr_nonnull(held[nheld++] =
					  stack_pkt_alloc(p.a, 5000));
	/* Data on connection 1 prunes the large class: the large entry
	 * goes, the small ones above it stay. */
	put_data(&p, ca[1], cb[1], base1, 0, 100);
	ck_assert_uint_eq(a0->ooo_bufs[PKT_CLASS_LARGE], 0);
	ck_assert_uint_eq(a0->ooo_bufs[PKT_CLASS_SMALL], 10);
	ck_assert_uint_eq(a0->nooo, 10);
	ck_assert_uint_eq(a0->ooo[0].seq, base0 + 30000);
	ck_assert_uint_eq(t_ctr(p.a, STACK_CTR_tcp_rx_ooo_pruned), 1);
	ck_assert_int_eq(p.a->tcp->ooo_holders[PKT_CLASS_LARGE], -1);
	t_pool_release(p.a, held, &nheld);
	t_pair_free(&p);
}
END_TEST

/* Under hard pressure the biggest holders are cut first, all down to
 * one level that frees what the pool needs (to TCP_MEM_PRUNE_TO_16THS):
 * two big holders end level, a small one keeps all it had. */
START_TEST(test_pruning_cuts_the_biggest_holders_down_to_one_level)
{
	enum { MAX = 512 };
	static const uint32_t hold[3] = {200, 150, 20};
	struct pair p;
	struct stack_limits lim;
	struct pkt *held[MAX];
	int ca[4], cb[4];
	struct tcp_conn *a[4];
	uint32_t nheld = 0, base[4];

	stack_limits_default(&lim);
	lim.pkt_small_max = MAX;
	t_pair_lim(&p, &lim);
	open_many(&p, 4, ca, cb);
	for (int i = 0; i < 4; i++) {
		a[i] = tcp_conn_get(p.a, ca[i]);
		base[i] = a[i]->rcv_nxt;
	}
	for (int c = 0; c < 3; c++)
		for (uint32_t i = 0; i < hold[c]; i++)
			put_data(&p, ca[c], cb[c], base[c], 301 * (i + 1), 300);
	for (int c = 0; c < 3; c++)
		ck_assert_uint_eq(a[c]->ooo_bufs[PKT_CLASS_SMALL], hold[c]);
	ck_assert_uint_eq(t_ctr(p.a, STACK_CTR_tcp_rx_ooo_pruned), 0);
	nheld = t_pool_fill(p.a, MAX * TCP_MEM_HARD_16THS / 16 + 1, held, MAX);
	put_data(&p, ca[3], cb[3], base[3], 0, 100);
	ck_assert_uint_lt(a[0]->ooo_bufs[PKT_CLASS_SMALL], hold[1]);
	ck_assert_uint_eq(a[0]->ooo_bufs[PKT_CLASS_SMALL],
			  a[1]->ooo_bufs[PKT_CLASS_SMALL]);
	ck_assert_uint_eq(a[2]->ooo_bufs[PKT_CLASS_SMALL], hold[2]);
	ck_assert_uint_le(small_in_use(&p),
			  MAX * TCP_MEM_PRUNE_TO_16THS / 16 + 1);
	ck_assert_uint_ge(small_in_use(&p),
			  MAX * TCP_MEM_PRUNE_TO_16THS / 16 - 1);
	ck_assert_uint_eq(a[3]->rcv_nxt, base[3] + 100);
	t_pool_release(p.a, held, &nheld);
	t_pair_free(&p);
}
END_TEST

/* RFC 2883 4 (4.1.2): a segment that duplicates data the receiver holds
 * out of order is reported in a D-SACK block, the first block, whether
 * or not it starts inside that data; RFC 2883 4.2 and RFC 2018 4: the
 * next block is the one holding it, which holds the segment that
 * triggered the ACK. */
START_TEST(test_rfc2883_dsack_for_a_segment_covering_data_held_out_of_order)
{
	struct pair p;
	struct tcp_seg ack;
	int ca, cb;
	uint32_t base;

	t_pair(&p);
	open_many(&p, 1, &ca, &cb);
	base = tcp_conn_get(p.a, ca)->rcv_nxt;
	put_data_ack(&p, ca, cb, base, 200, 100, &ack);
	ck_assert_uint_eq(ack.nsack, 1);
	/* [100, 400) arrives: [200, 300) twice. */
	put_data_ack(&p, ca, cb, base, 100, 300, &ack);
	ck_assert_uint_eq(ack.ack, base);
	ck_assert_uint_eq(ack.nsack, 2);
	ck_sack(&ack, 0, base, 200, 300);
	ck_sack(&ack, 1, base, 100, 400);
	ck_assert_uint_eq(t_ctr(p.a, STACK_CTR_tcp_tx_dsacks), 1);
	t_pair_free(&p);
}
END_TEST

/* RFC 2018 4: the receiver reports the data it holds; a segment that
 * partly overlaps held out-of-order data has every new byte kept (all
 * its runs between held segments, not only the first), so the SACK
 * blocks report all that arrived and the sender need not resend it. */
START_TEST(test_rfc2018_every_new_byte_of_an_overlapping_segment_is_kept)
{
	struct pair p;
	struct tcp_seg ack;
	int ca, cb;
	struct tcp_conn *a;
	uint32_t base;

	t_pair(&p);
	open_many(&p, 1, &ca, &cb);
	a = tcp_conn_get(p.a, ca);
	base = a->rcv_nxt;
	put_data_ack(&p, ca, cb, base, 200, 100, &ack);
	put_data_ack(&p, ca, cb, base, 400, 100, &ack);
	/* [100, 600): new [100, 200), [300, 400) and [500, 600). */
	put_data_ack(&p, ca, cb, base, 100, 500, &ack);
	ck_assert_uint_eq(ack.nsack, 2);
	ck_sack(&ack, 0, base, 200, 300); /* DSACK: the first duplicate */
	ck_sack(&ack, 1, base, 100, 600);
	/* The hole filled, all 600 bytes are delivered, in order. */
	put_data(&p, ca, cb, base, 0, 100);
	ck_assert_uint_eq(a->rcv_nxt, base + 600);
	ck_assert_uint_eq(a->nooo, 0);
	ck_assert_uint_eq(read_check(&p, ca), 600);
	t_pair_free(&p);
}
END_TEST

/* RFC 2018 4: the first SACK block holds the segment that triggered the
 * ACK (after a D-SACK block, RFC 2883 4), the others follow. */
START_TEST(test_rfc2018_first_sack_block_holds_the_latest_segment)
{
	struct pair p;
	struct tcp_seg ack;
	int ca, cb;
	uint32_t base;

	t_pair(&p);
	open_many(&p, 1, &ca, &cb);
	base = tcp_conn_get(p.a, ca)->rcv_nxt;
	put_data_ack(&p, ca, cb, base, 100, 100, &ack);
	put_data_ack(&p, ca, cb, base, 300, 100, &ack);
	put_data_ack(&p, ca, cb, base, 700, 100, &ack);
	put_data_ack(&p, ca, cb, base, 500, 100, &ack);
	ck_sack(&ack, 0, base, 500, 600);
	/* [350, 450): [350, 400) held, [400, 450) new. */
	put_data_ack(&p, ca, cb, base, 350, 100, &ack);
	ck_sack(&ack, 0, base, 350, 400);
	ck_sack(&ack, 1, base, 300, 450);
	t_pair_free(&p);
}
END_TEST

/* Out-of-order data pruned under pressure was SACKed: the sender (µTCP
 * here) must resend it all the same (RFC 2018 8), and the stream arrive
 * whole. */
START_TEST(test_a_transfer_survives_its_sacked_data_being_pruned)
{
	struct pair p;
	struct stack_limits lim;
	struct pkt *held[512];
	int ca, cb;
	uint32_t nheld = 0;

	stack_limits_default(&lim);
	lim.pkt_small_max = 512;
	t_pair_lim(&p, &lim);
	open_many(&p, 1, &ca, &cb);
	/* A just under the hard mark: losses fill the out-of-order store
	 * past it, and it is pruned. */
	nheld = t_pool_fill(
	    p.a, lim.pkt_small_max * TCP_MEM_HARD_16THS / 16 - 24, held, 512);
	p.drop_every = 11;
	t_transfer(&p, p.b, cb, p.a, ca, 400000);
	ck_assert_uint_gt(t_ctr(p.a, STACK_CTR_tcp_rx_ooo_pruned), 0);
	t_pool_release(p.a, held, &nheld);
	t_pair_free(&p);
}
END_TEST

/* The combined hostile-load attack: 40 connections each send 256 one-byte
 * segments beyond a hole at rcv_nxt. With a buffer per segment they would pin
 * 10,240 small buffers, more than the whole default pool; compact
 * storage pins one per connection, and another connection's transfer
 * goes through intact. */
#define PINNERS 40
START_TEST(test_forty_out_of_order_pinners_do_not_starve_a_transfer)
{
	struct pair p;
	int ca[PINNERS + 1], cb[PINNERS + 1];
	uint32_t before;

	t_pair(&p);
	open_many(&p, PINNERS + 1, ca, cb);
	before = small_in_use(&p);
	for (int c = 0; c < PINNERS; c++) {
		uint32_t base = tcp_conn_get(p.a, ca[c])->rcv_nxt;
		for (uint32_t i = 0; i < TCP_OOO_MAX; i++)
			put_data(&p, ca[c], cb[c], base, 2 * i + 1, 1);
		ck_assert_uint_eq(tcp_conn_get(p.a, ca[c])->nooo, TCP_OOO_MAX);
	}
	ck_assert_uint_le(small_in_use(&p), before + PINNERS);
	ck_assert_int_eq(tcp_mem_level(p.a), TCP_MEM_OK);
	t_transfer(&p, p.b, cb[PINNERS], p.a, ca[PINNERS], 1u << 20);
	ck_assert_uint_eq(t_ctr(p.a, STACK_CTR_tcp_rx_drop_no_buffer), 0);
	/* The attackers go: every buffer comes back. */
	for (int c = 0; c < PINNERS; c++)
		tcp_abort(p.a, p.now, ca[c]);
	t_drain(p.a);
	ck_assert_uint_le(small_in_use(&p), before);
	t_pair_free(&p);
}
END_TEST

/* The smallest pools the configuration allows (pkt_small_max 16 to 255)
 * keep a quarter of themselves for ACKs rather than the last
 * TCP_POOL_RESERVE_SMALL buffers, which would be all of them: data is
 * queued, not dropped for want of a buffer (with 32 buffers nothing was
 * ever delivered). */
START_TEST(test_a_small_pool_still_takes_data)
{
	static const uint32_t sizes[] = {16, 32, 255};
	struct pair p;
	struct stack_limits lim;
	int ca, cb;
	uint32_t base;

	stack_limits_default(&lim);
	lim.pkt_small_max = sizes[_i];
	t_pair_lim(&p, &lim);
	open_many(&p, 1, &ca, &cb);
	base = tcp_conn_get(p.a, ca)->rcv_nxt;
	put_data(&p, ca, cb, base, 0, 1000);
	put_data(&p, ca, cb, base, 1000, 1000);
	ck_assert_uint_eq(tcp_conn_get(p.a, ca)->rcv_nxt, base + 2000);
	ck_assert_uint_eq(t_ctr(p.a, STACK_CTR_tcp_rx_drop_no_buffer), 0);
	ck_assert_uint_eq(read_check(&p, ca), 2000);
	t_pair_free(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tcp_rxmem");
	TCase *tc = tcase_create("rxmem");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc,
		       test_tiny_out_of_order_segments_share_a_compact_buffer);
	tcase_add_test(tc, test_adjacent_tiny_segments_collapse_into_one_entry);
	tcase_add_test(
	    tc, test_small_in_order_segments_coalesce_in_the_receive_queue);
	tcase_add_test(tc, test_out_of_order_memory_is_bounded_per_connection);
	tcase_add_test(tc, test_pool_pressure_prunes_the_biggest_holder_first);
	tcase_add_test(tc, test_pressure_keeps_new_windows_at_a_few_segments);
	tcase_add_loop_test(
	    tc, test_pressure_with_a_coarse_window_scale_never_stalls, 0, 2);
	tcase_add_test(tc, test_hard_pressure_keeps_a_minimum_per_connection);
	tcase_add_test(
	    tc,
	    test_hard_pressure_segment_filling_the_hole_prunes_its_own_store);
	tcase_add_test(tc,
		       test_hard_pressure_cuts_a_super_segment_to_the_minimum);
	tcase_add_test(
	    tc, test_hard_pressure_out_of_order_cut_stays_within_the_minimum);
	tcase_add_test(tc, test_out_of_order_runs_in_a_large_buffer_are_copied);
	tcase_add_test(tc, test_hard_pressure_large_mss_is_cut_to_the_minimum);
	tcase_add_test(tc,
		       test_out_of_order_copied_payload_costs_a_small_buffer);
	tcase_add_test(
	    tc, test_hard_pressure_minimums_stop_at_the_pools_last_buffers);
	tcase_add_test(tc, test_short_super_segments_move_to_small_buffers);
	tcase_add_test(
	    tc, test_pruning_one_class_never_frees_the_other_class_entries);
	tcase_add_test(tc,
		       test_pruning_cuts_the_biggest_holders_down_to_one_level);
	tcase_add_test(
	    tc,
	    test_rfc2883_dsack_for_a_segment_covering_data_held_out_of_order);
	tcase_add_test(
	    tc, test_rfc2018_every_new_byte_of_an_overlapping_segment_is_kept);
	tcase_add_test(tc,
		       test_rfc2018_first_sack_block_holds_the_latest_segment);
	tcase_add_test(tc, test_pruning_frees_the_class_that_is_short);
	tcase_add_test(tc,
		       test_a_transfer_survives_its_sacked_data_being_pruned);
	tcase_add_test(
	    tc, test_forty_out_of_order_pinners_do_not_starve_a_transfer);
	tcase_add_loop_test(tc, test_a_small_pool_still_takes_data, 0, 3);
	suite_add_tcase(s, tc);
	return t_run(s);
}
