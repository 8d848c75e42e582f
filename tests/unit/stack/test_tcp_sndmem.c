/*
 * test_tcp_sndmem.c - µTCP: send-buffer memory: the chunk pool shared
 * by every connection, the connections it refuses and how they resume
 *
 * A's chunk pool (tcp_chunks_max) is made small so that one connection
 * can empty it. A connection refused for lack of chunks waits in a FIFO
 * and is woken (STACK_EV_TCP_WRITABLE) when chunks come back from any
 * connection, one waiter per free chunk, oldest first; the chunks a
 * woken waiter may take are claimed for it until it sends. An orphan
 * that holds chunks others wait for is reset at its next timeout.
 */
#include "tcp_harness.h"

#define NCONN 6

static uint8_t zeros[8 * PKT_SMALL_CAP];

/* A pair whose A side has `chunks` send-buffer chunks, and n
 * connections from A to B's port 80 (ca[i] on A, cb[i] on B). */
static void t_open_many_lim(struct pair *p, struct stack_limits *lim,
			    uint32_t chunks, int n, int *ca, int *cb)
{
	int l;

	lim->tcp_chunks_max = chunks;
	t_pair_lim(p, lim);
	l = tcp_listen(p->b, 0, 80, 16, NULL);
	ck_assert_int_ge(l, 0);
	for (int i = 0; i < n; i++) {
		uint32_t raddr;
		uint16_t rport;

		ca[i] = tcp_connect(p->a, p->now, 0, 0, PEER_ADDR, 80, NULL);
		ck_assert_int_ge(ca[i], 0);
		t_exchange(p);
		cb[i] = tcp_accept(p->b, l, &raddr, &rport);
		ck_assert_int_ge(cb[i], 0);
	}
	t_drain(p->a);
	t_drain(p->b);
}

/* The same with no reserve: the pool is shared alike by all. */
static void t_open_many(struct pair *p, uint32_t chunks, int n, int *ca,
			int *cb)
{
	struct stack_limits lim;

	stack_limits_default(&lim);
	lim.tcp_chunks_reserve = 0;
	t_open_many_lim(p, &lim, chunks, n, ca, cb);
}

/* Pops A's events and records, in order, the connections that got
 * STACK_EV_TCP_WRITABLE. Returns how many. */
static int t_writable(struct stack *s, int *out, int max)
{
	struct stack_event ev;
	int n = 0;

	while (stack_pop_event(s, &ev))
		if (ev.type == STACK_EV_TCP_WRITABLE && n < max)
			out[n++] = ev.sock;
	return n;
}

START_TEST(test_send_refused_for_chunks_resumes_when_another_frees_them)
{
	struct pair p;
	int ca[2], cb[2], woken[4];
	uint8_t got[1000];
	size_t n = 0;

	t_open_many(&p, 8, 2, ca, cb);
	/* The first connection takes the whole pool; nothing is ACKed. */
	ck_assert_uint_eq(tcp_send_space(p.a, ca[0]), 8 * PKT_SMALL_CAP);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[0], zeros, sizeof(zeros)),
			 (long)sizeof(zeros));
	/* The second has room under its sndbuf but the pool is dry: it
	 * is told so before it reads a byte from its application, and
	 * refused if it tries; it has nothing in flight, so no ACK of its
	 * own would ever wake it. */
	ck_assert_uint_eq(tcp_send_space(p.a, ca[1]), 0);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[1], "hello", 5), -EAGAIN);
	ck_assert_uint_eq(stack_counter_get(p.a, STACK_CTR_tcp_send_mem_waits),
			  1);
	ck_assert_int_eq(t_writable(p.a, woken, 4), 0);
	/* B takes the data and ACKs it: A's chunks go back to the pool
	 * and the waiter is woken. */
	t_exchange(&p);
	ck_assert_int_eq(t_writable(p.a, woken, 4), 1);
	ck_assert_int_eq(woken[0], ca[1]);
	ck_assert_uint_gt(tcp_send_space(p.a, ca[1]), 0);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[1], "hello", 5), 5);
	t_exchange(&p);
	t_read_all(&p, p.b, cb[1], got, sizeof(got), &n);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(memcmp(got, "hello", 5), 0);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_send_mem_wakeups), 1);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_memory_waiters_are_woken_oldest_first_one_per_chunk)
{
	struct pair p;
	int ca[NCONN], cb[NCONN], woken[NCONN];

	/* ca[0] holds the pool's 4 chunks; ca[1..5] are refused in
	 * order. */
	t_open_many(&p, 4, NCONN, ca, cb);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[0], zeros, 4 * PKT_SMALL_CAP),
			 4 * PKT_SMALL_CAP);
	for (int i = 1; i < NCONN; i++)
		ck_assert_int_eq(tcp_send(p.a, p.now, ca[i], "x", 1), -EAGAIN);
	t_drain(p.a);
	/* ca[0] goes: 4 chunks free, 4 waiters woken, oldest first; the
	 * fifth waits (no herd). */
	tcp_abort(p.a, p.now, ca[0]);
	ck_assert_int_eq(t_writable(p.a, woken, NCONN), 4);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(woken[i], ca[i + 1]);
	/* The free chunks are claimed: the fifth sees no space yet, and
	 * each woken one sees at least one chunk. */
	ck_assert_uint_eq(tcp_send_space(p.a, ca[5]), 0);
	ck_assert_uint_ge(tcp_send_space(p.a, ca[1]), PKT_SMALL_CAP);
	/* A woken waiter that goes without sending passes its claim on. */
	tcp_abort(p.a, p.now, ca[2]);
	ck_assert_int_eq(t_writable(p.a, woken, NCONN), 1);
	ck_assert_int_eq(woken[0], ca[5]);
	/* Each woken one sends: the pool holds all of it. */
	for (int i = 1; i < NCONN; i++)
		if (i != 2)
			ck_assert_int_eq(tcp_send(p.a, p.now, ca[i], "y", 1),
					 1);
	ck_assert_uint_eq(p.a->tcp->mem_claims, 0);
	ck_assert(!tcp_mem_waiters(p.a));
	t_pair_free(&p);
}
END_TEST

START_TEST(test_connection_not_waiting_cannot_take_claimed_chunks)
{
	struct pair p;
	int ca[3], cb[3], woken[3];

	t_open_many(&p, 2, 3, ca, cb);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[0], zeros, 2 * PKT_SMALL_CAP),
			 2 * PKT_SMALL_CAP);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[1], "x", 1), -EAGAIN);
	ck_assert_int_eq(t_writable(p.a, woken, 3), 0);
	/* B ACKs (Nagle holds the tail until then, and the last ACK is
	 * delayed): 2 chunks free, ca[1] woken with a claim on one. */
	t_exchange(&p);
	for (int i = 0; i < 10 && tcp_conn_get(p.a, ca[0])->sndbuf.len; i++)
		t_tick(&p, 100 * MS);
	ck_assert_uint_eq(tcp_conn_get(p.a, ca[0])->sndbuf.len, 0);
	ck_assert_int_eq(t_writable(p.a, woken, 3), 1);
	ck_assert_int_eq(woken[0], ca[1]);
	/* ca[2] never waited: it may take the unclaimed chunk only, and
	 * is refused beyond it, behind ca[1]. */
	ck_assert_uint_eq(tcp_send_space(p.a, ca[2]), PKT_SMALL_CAP);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[2], zeros, sizeof(zeros)),
			 PKT_SMALL_CAP);
	ck_assert_uint_eq(tcp_send_space(p.a, ca[1]), PKT_SMALL_CAP);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[1], zeros, PKT_SMALL_CAP),
			 PKT_SMALL_CAP);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_waiter_that_closes_leaves_the_queue)
{
	struct pair p;
	int ca[3], cb[3], woken[3];

	t_open_many(&p, 2, 3, ca, cb);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[0], zeros, 2 * PKT_SMALL_CAP),
			 2 * PKT_SMALL_CAP);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[1], "x", 1), -EAGAIN);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[2], "x", 1), -EAGAIN);
	/* ca[1] shuts its side, ca[2] is closed by its user: neither
	 * waits any more, and nothing is woken for them. */
	ck_assert_int_eq(tcp_shutdown(p.a, p.now, ca[1]), 0);
	tcp_close(p.a, p.now, ca[2]);
	ck_assert(!tcp_mem_waiters(p.a));
	t_drain(p.a);
	tcp_abort(p.a, p.now, ca[0]);
	ck_assert_int_eq(t_writable(p.a, woken, 3), 0);
	ck_assert_uint_eq(p.a->tcp->mem_claims, 0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_orphan_holding_chunks_is_reset_when_others_wait)
{
	struct pair p;
	struct stack_limits lim;
	int ca[2], cb[2], woken[2];

	/* B's window is 4 KiB and B never reads: what ca[0] sends beyond
	 * it stays in A's chunks. */
	stack_limits_default(&lim);
	lim.tcp_rcvbuf = 4096;
	lim.tcp_chunks_reserve = 0;
	t_open_many_lim(&p, &lim, 8, 2, ca, cb);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[0], zeros, sizeof(zeros)),
			 (long)sizeof(zeros));
	t_exchange(&p);
	ck_assert_uint_eq(tcp_conn_get(p.b, cb[0])->rcv_wnd_max, 4096);
	while (tcp_send(p.a, p.now, ca[0], zeros, sizeof(zeros)) > 0)
		t_exchange(&p);
	ck_assert_uint_eq(p.a->tcp->chunk_pool.in_use[PKT_CLASS_SMALL], 8);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[1], "x", 1), -EAGAIN);
	/* ca[0]'s user closes it: an orphan, its data and FIN waiting
	 * for B's window, its chunks wanted by ca[1]. At its next persist
	 * timeout it is reset and ca[1] is woken. */
	tcp_close(p.a, p.now, ca[0]);
	ck_assert_ptr_nonnull(tcp_conn_get(p.a, ca[0]));
	for (int i = 0; i < 100 && tcp_conn_get(p.a, ca[0]); i++)
		t_tick(&p, 1000 * MS);
	ck_assert_ptr_null(tcp_conn_get(p.a, ca[0]));
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_orphans_reset_mem), 1);
	ck_assert_int_eq(t_writable(p.a, woken, 2), 1);
	ck_assert_int_eq(woken[0], ca[1]);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[1], "x", 1), 1);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_orphan_whose_data_is_acked_does_not_wait_for_memory)
{
	struct pair p;
	int ca[1], cb[1];

	t_open_many(&p, 4, 1, ca, cb);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[0], zeros, sizeof(zeros)),
			 4 * PKT_SMALL_CAP);
	ck_assert_int_eq(p.a->tcp->mem_wait_head[TCP_MEM_WAIT_POOL], ca[0]);
	/* Closed by its user with data in flight: ACKs free its chunks,
	 * and an orphan neither waits nor claims any. */
	tcp_close(p.a, p.now, ca[0]);
	for (int i = 0; i < 10 && tcp_conn_get(p.a, ca[0]) &&
			tcp_conn_get(p.a, ca[0])->sndbuf.len;
	     i++) {
		t_exchange(&p);
		t_tick(&p, 100 * MS);
	}
	ck_assert(!tcp_mem_waiters(p.a));
	ck_assert_uint_eq(p.a->tcp->mem_claims, 0);
	t_pair_free(&p);
}
END_TEST

/* ---- the send minimum and the reserve ---- */

#define POOL	16
#define RESERVE 4

/* A pair whose A side has a 16-chunk pool with a 4-chunk reserve. */
static void t_open_reserve(struct pair *p, int n, int *ca, int *cb,
			   uint32_t rcvbuf)
{
	struct stack_limits lim;

	stack_limits_default(&lim);
	lim.tcp_chunks_reserve = RESERVE;
	if (rcvbuf) {
		/* A fixed window (scale 0): how many chunks each stalled
		 * sender is left holding depends on the windows it saw,
		 * which auto-tuning's scale (7: 128-byte units) changes. */
		lim.tcp_rcvbuf = rcvbuf;
		lim.tcp_rcvbuf_max = 0;
	}
	t_open_many_lim(p, &lim, POOL, n, ca, cb);
	ck_assert_uint_eq(p->a->tcp->chunks_reserve, RESERVE);
}

START_TEST(test_connection_below_its_minimum_takes_chunks_from_the_reserve)
{
	struct pair p;
	int ca[2], cb[2];
	const uint32_t min = TCP_SND_MIN_CHUNKS * PKT_SMALL_CAP;

	t_open_reserve(&p, 2, ca, cb, 0);
	/* ca[0] may take every chunk but the reserve's, and waits for
	 * one outside it. */
	ck_assert_uint_eq(tcp_send_space(p.a, ca[0]),
			  (POOL - RESERVE) * PKT_SMALL_CAP);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[0], zeros, sizeof(zeros)),
			 (long)sizeof(zeros));
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[0], zeros, sizeof(zeros)),
			 (POOL - RESERVE) * PKT_SMALL_CAP -
			     (long)sizeof(zeros));
	ck_assert_uint_eq(tcp_send_space(p.a, ca[0]), 0);
	ck_assert_int_eq(p.a->tcp->mem_wait_head[TCP_MEM_WAIT_POOL], ca[0]);
	/* ca[1] holds nothing: its minimum comes from the reserve, and
	 * no more. */
	ck_assert_uint_eq(tcp_send_space(p.a, ca[1]), min);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[1], zeros, sizeof(zeros)),
			 (long)min);
	ck_assert_uint_eq(
	    stack_counter_get(p.a, STACK_CTR_tcp_send_reserve_chunks),
	    TCP_SND_MIN_CHUNKS);
	ck_assert_uint_eq(tcp_send_space(p.a, ca[1]), 0);
	ck_assert_int_eq(p.a->tcp->mem_wait_tail[TCP_MEM_WAIT_POOL], ca[1]);
	ck_assert_uint_eq(p.a->tcp->chunk_pool.in_use[PKT_CLASS_SMALL],
			  POOL - RESERVE + TCP_SND_MIN_CHUNKS);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_reserve_run_out_connections_wait_and_take_it_first)
{
	struct pair p;
	int ca[4], cb[4], woken[4];

	/* The limit: RESERVE / TCP_SND_MIN_CHUNKS connections hold their
	 * minimum from the reserve; one more is refused and waits, in the
	 * reserve's FIFO, ahead of connections above their minimum. */
	_Static_assert(RESERVE / TCP_SND_MIN_CHUNKS == 2, "two minimums");
	t_open_reserve(&p, 4, ca, cb, 0);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[0], zeros, sizeof(zeros)),
			 (long)sizeof(zeros));
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[0], zeros, sizeof(zeros)),
			 (POOL - RESERVE) * PKT_SMALL_CAP -
			     (long)sizeof(zeros));
	for (int i = 1; i <= 2; i++)
		ck_assert_int_eq(
		    tcp_send(p.a, p.now, ca[i], zeros, sizeof(zeros)),
		    TCP_SND_MIN_CHUNKS * PKT_SMALL_CAP);
	ck_assert_uint_eq(p.a->tcp->chunk_pool.in_use[PKT_CLASS_SMALL], POOL);
	ck_assert_uint_eq(tcp_send_space(p.a, ca[3]), 0);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[3], "x", 1), -EAGAIN);
	ck_assert_int_eq(p.a->tcp->mem_wait_head[TCP_MEM_WAIT_RESERVE], ca[3]);
	t_drain(p.a);
	/* ca[1] goes: its two chunks are in the reserve's part of the
	 * pool, so only ca[3], below its minimum, is woken (ca[0] waits
	 * for a chunk outside the reserve), and takes its minimum. */
	tcp_abort(p.a, p.now, ca[1]);
	ck_assert_int_eq(t_writable(p.a, woken, 4), 1);
	ck_assert_int_eq(woken[0], ca[3]);
	ck_assert_uint_eq(tcp_send_space(p.a, ca[0]), 0);
	ck_assert_int_eq(tcp_send(p.a, p.now, ca[3], zeros, sizeof(zeros)),
			 TCP_SND_MIN_CHUNKS * PKT_SMALL_CAP);
	ck_assert_int_eq(p.a->tcp->mem_wait_head[TCP_MEM_WAIT_RESERVE], -1);
	ck_assert_uint_eq(p.a->tcp->mem_claims, 0);
	t_pair_free(&p);
}
END_TEST

START_TEST(test_stalled_senders_do_not_starve_a_fresh_one)
{
	struct pair p;
	enum { STALLED = 6 };
	int ca[STALLED + 1], cb[STALLED + 1];
	static uint8_t got[64 << 10];

	/* B's window is 4 KiB and B never reads on ca[0..5]: they send
	 * until A's pool, outside the reserve, is theirs. */
	t_open_reserve(&p, STALLED + 1, ca, cb, 4096);
	for (int round = 0; round < 8; round++) {
		for (int i = 0; i < STALLED; i++)
			(void)tcp_send(p.a, p.now, ca[i], zeros, sizeof(zeros));
		t_exchange(&p);
	}
	ck_assert_uint_ge(p.a->tcp->chunk_pool.in_use[PKT_CLASS_SMALL],
			  POOL - RESERVE);
	for (int i = 0; i < STALLED; i++)
		ck_assert_uint_eq(tcp_send_space(p.a, ca[i]), 0);
	/* The fresh connection, whose reader keeps up, still moves 64 KiB
	 * (its minimum at a time) while they hold on. */
	t_transfer(&p, p.a, ca[STALLED], p.b, cb[STALLED], sizeof(got));
	for (int i = 0; i < STALLED; i++)
		ck_assert_ptr_nonnull(tcp_conn_get(p.a, ca[i]));
	t_pair_free(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tcp_sndmem");
	TCase *tc = tcase_create("sndmem");
	tcase_set_timeout(tc, 60);
	tcase_add_test(
	    tc, test_send_refused_for_chunks_resumes_when_another_frees_them);
	tcase_add_test(
	    tc, test_memory_waiters_are_woken_oldest_first_one_per_chunk);
	tcase_add_test(tc,
		       test_connection_not_waiting_cannot_take_claimed_chunks);
	tcase_add_test(tc, test_waiter_that_closes_leaves_the_queue);
	tcase_add_test(tc,
		       test_orphan_holding_chunks_is_reset_when_others_wait);
	tcase_add_test(
	    tc, test_orphan_whose_data_is_acked_does_not_wait_for_memory);
	tcase_add_test(
	    tc,
	    test_connection_below_its_minimum_takes_chunks_from_the_reserve);
	tcase_add_test(tc,
		       test_reserve_run_out_connections_wait_and_take_it_first);
	tcase_add_test(tc, test_stalled_senders_do_not_starve_a_fresh_one);
	suite_add_tcase(s, tc);
	return t_run(s);
}
