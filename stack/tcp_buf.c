/*
 * tcp_buf.c - µTCP's send buffer, receive queue and out-of-order store
 *
 * Send buffer: the bytes from snd_una on, in 2 KiB chunks from the TCP
 * chunk pool (bounded by tcp_chunks_max for all connections); a chunk
 * goes back to the pool as soon as its last byte is acknowledged, so an
 * idle connection holds none. Appending copies the user's bytes once;
 * building a segment copies them once more into the frame.
 *
 * Waiting for memory (as Linux's SOCK_NOSPACE, sk_stream_wait_memory
 * and tcp_check_space). tcp_send_space() counts the pool as well as
 * sndbuf_max, so a caller that sends at most that much never has bytes
 * refused. A connection refused while its buffer has room is short of
 * chunks only: it joins a FIFO of memory waiters. Whenever chunks go
 * back to the pool, waiters are woken oldest first (STACK_EV_TCP_-
 * WRITABLE), one per free chunk: no thundering herd, and the wait does
 * not depend on an ACK of the waiter's own (a connection with nothing
 * in flight has none coming). A woken waiter holds a claim on one
 * chunk until its next tcp_send(): the free chunks that are claimed
 * are not offered to anyone else, so a connection that did not wait
 * cannot take them first, and every waiter moves at least one chunk
 * per wakeup. A claim goes back (and the next waiter is woken) when
 * its connection closes, shuts its side or is let go by its user.
 *
 * The send minimum (Linux's tcp_wmem[0] and sk_forced_mem_schedule):
 * the pool's last chunks_reserve chunks go only to connections holding
 * fewer than TCP_SND_MIN_CHUNKS, so senders whose peers never read hold
 * at most the pool less the reserve, and any other connection still
 * sends its minimum at a time. The reserve serves chunks_reserve /
 * TCP_SND_MIN_CHUNKS connections at their minimum at once; past that,
 * a connection below its minimum waits in a FIFO of its own, woken
 * before the others (whom a chunk in the reserve's part of the pool
 * does not help). A claim is on one chunk of the whole pool, so a woken
 * waiter may use it even when connections below their minimum have
 * taken the rest outside the reserve meanwhile: the reserve's part may
 * hold as many chunks of others as there are claims.
 *
 * Receive queue: in-order segments are kept in the buffers they arrived
 * in (no copy), data trimmed to what is new; the user reads them in
 * place. The advertised window is the buffer limit less what is held.
 * A segment that fits the room after the queue's tail is copied there
 * instead (Linux's tcp_try_coalesce), and a short payload in a 64 KiB
 * buffer is copied into small ones (tcp_collapse): an application
 * that never reads pins about the bytes it holds, not a buffer for
 * every segment the peer chose to send.
 *
 * Out-of-order store: up to TCP_OOO_MAX segments in an array sorted by
 * sequence, non-overlapping. An arrival is cut against what is held:
 * every run of new bytes is kept (runs after the first share its
 * buffer), so the SACK blocks report all that arrived (RFC 2018 4), and
 * the first run already held is reported in a DSACK (RFC 2883 4). Lookup is a
 * binary search and the common arrival (just after the highest held) an append,
 * so reassembly is O(log n) to find and at worst a move of n pointers to
 * insert, never quadratic in bytes. A payload of at most TCP_OOO_COPY_MAX_BYTES
 * is copied into the connection's compact buffer (several entries share it; one
 * that continues the last is extended, as tcp_collapse joins adjacent data), so
 * a 1-byte segment never pins a 2 KiB buffer; a buffer goes back to the pool
 * when its last entry goes. The store pins at most TCP_OOO_MEM_FACTOR times the
 * buffer limit in pool bytes (each buffer at its capacity): beyond, what lies
 * above the arrival is pruned for it, or the arrival is dropped when it is the
 * highest (counted).
 *
 * Receive-buffer auto-tuning (Linux's dynamic right-sizing, tcp_rmem):
 * a connection starts with the default buffer (rcv_wnd_max, the most it
 * advertises) and grows it with what its user reads per round trip, up
 * to tcp_rcvbuf_max, so that a sender is not held by the window where
 * the user keeps pace. The round trip is the receiver's own estimate
 * (rcv_rtt_us): the echo of our timestamps on full segments (at least
 * our clock's 1 ms tick), or without timestamps the time a window's
 * worth of data takes to arrive, the smallest seen. Once per estimate,
 * when the user read at least half the buffer in it and in the estimate
 * before (the window is what limits it), the buffer becomes twice what
 * was read plus 16 segments, more in proportion when that is more than
 * in any earlier estimate (rcv_space). Growth follows bytes read, not
 * bytes sent, so a peer cannot grow a buffer its user does not drain
 * (the daemon fills an application's socketpair, about 200 KiB, even
 * when it never reads: less than two halves of the default buffer);
 * under memory pressure nothing
 * grows; a buffer never shrinks (the right edge offered stands) but the
 * pressure rules below bound what is offered anew; a user that sets
 * rcvbuf turns it off (rcvbuf_lock). The window scale is chosen at the
 * handshake for tcp_rcvbuf_max, so the window can express the growth.
 *
 * Memory pressure (tcp_mem_level(), from the pool's occupancy per
 * class, as Linux's tcp_mem): above TCP_MEM_PRESSURE_16THS, windows
 * offered anew are at most TCP_RCV_PRESSURE_WND_SEGS segments (a right
 * edge already offered stands, RFC 9293 3.8.6.2.2), rounded up to the
 * window scale's unit (tcp_rcv_pressure_wnd): rounded down, a 128-byte
 * unit (scale 7) left room for one full segment, so each waited for the
 * delayed ACK, and a unit above 2 MSS would offer none. Above
 * TCP_MEM_HARD_16THS, arriving data first prunes out-of-order data, the
 * highest first, from the connections holding the most, until the pool
 * is under TCP_MEM_PRUNE_TO_16THS (Linux's tcp_prune_ofo_queue; SACK
 * has the sender resend it, RFC 2018 8). Pruning is per buffer class:
 * only entries held in buffers of the class that is short go, from a
 * list of that class's holders kept as buffers come and go; every
 * holder above one level is cut down to it, the highest level that
 * frees what is needed, found by halving (a pass over the holders per
 * step, about 16 passes at most), never a pass over the whole
 * connection table. Then a connection may
 * hold no more than that window (tcp_rcv_pressure_fit): a segment crossing that
 * is cut to it, one beyond it dropped (counted, ACK at once), and the segment
 * that fills a connection's hole first prunes that connection's own
 * out-of-order data, so bytes held beyond a hole never stall it. Every
 * connection keeps that minimum, so it still makes progress (what it holds is
 * read, and it takes more), and no one connection can take the pool from the
 * others; in pool memory the minimum is TCP_RCV_MIN_BUFS small
 * buffers, and a segment in a 64 KiB buffer is cut to what is copied
 * into small ones, so it never pins the large one. Minimums are per
 * connection, as Linux's tcp_rmem[0]: many connections that never read
 * can together fill the pool up to its last TCP_POOL_RESERVE_SMALL
 * buffers, which are kept for ACKs and the daemon's reads
 * (tcp_input.c); a count of shares held for good would instead shut
 * out every connection that comes after them.
 */
#include <stdlib.h>

#include "tcp.h"

#define TCP_CHUNK_DATA (PKT_SMALL_CAP)

/* Chunks the pool can still hand out, and those of them outside the
 * reserve. */
static uint32_t tcp_chunks_free(const struct stack *s)
{
	const struct pkt_pool *pool = &s->tcp->chunk_pool;

	return pool->max[PKT_CLASS_SMALL] - pool->in_use[PKT_CLASS_SMALL];
}

static uint32_t tcp_chunks_free_outside_reserve(const struct stack *s)
{
	uint32_t free = tcp_chunks_free(s), reserve = s->tcp->chunks_reserve;

	return free > reserve ? free - reserve : 0;
}

/* Is c below its send minimum, in chunks held? */
static bool tcp_snd_below_min(const struct tcp_conn *c)
{
	return c->sndbuf.chunks.count < TCP_SND_MIN_CHUNKS;
}

void tcp_sndbuf_free(struct stack *s, struct tcp_sndbuf *b)
{
	bool held = b->chunks.head != NULL;

	pkt_queue_purge(&b->chunks, &s->tcp->chunk_pool);
	b->head_off = 0;
	b->len = 0;
	if (held)
		tcp_mem_wake(s);
}

uint32_t tcp_sndbuf_room(const struct tcp_conn *c)
{
	return c->sndbuf.len < c->sndbuf_max ? c->sndbuf_max - c->sndbuf.len
					     : 0;
}

/* Chunks c may take from the pool now: those outside the reserve; up
 * to its minimum from any free chunk; its claim's one; never one that
 * a woken waiter other than c holds a claim on. */
static uint32_t tcp_chunks_for(const struct stack *s, const struct tcp_conn *c)
{
	uint32_t claims = s->tcp->mem_claims - (c->mem_claim ? 1u : 0u);
	uint32_t all = tcp_chunks_free(s);
	uint32_t outside = tcp_chunks_free_outside_reserve(s);
	uint32_t n;

	all = all > claims ? all - claims : 0;
	n = outside > claims ? outside - claims : 0;
	if (c->mem_claim && n < 1 && all >= 1)
		n = 1; /* a claim is on one chunk of the whole pool */
	if (tcp_snd_below_min(c)) {
		uint32_t min = TCP_SND_MIN_CHUNKS - c->sndbuf.chunks.count;
		if (min > all)
			min = all;
		if (n < min)
			n = min;
	}
	return n;
}

uint32_t tcp_sndbuf_space(const struct stack *s, const struct tcp_conn *c)
{
	const struct pkt *tail = c->sndbuf.chunks.tail;
	uint32_t room = tcp_sndbuf_room(c), chunks = tcp_chunks_for(s, c);
	uint64_t mem = tail ? TCP_CHUNK_DATA - tail->len : 0;

	mem += (uint64_t)chunks * TCP_CHUNK_DATA;
	return mem < room ? (uint32_t)mem : room;
}

void tcp_mem_wait(struct stack *s, struct tcp_conn *c)
{
	struct tcp_table *t = s->tcp;
	int q = tcp_snd_below_min(c) ? TCP_MEM_WAIT_RESERVE : TCP_MEM_WAIT_POOL;

	if (c->mem_waiting || c->user_closed || c->shut_wr)
		return;
	c->mem_waiting = true;
	c->mem_wait_q = (uint8_t)q;
	c->mem_wait_next = -1;
	c->mem_wait_prev = t->mem_wait_tail[q];
	if (t->mem_wait_tail[q] >= 0)
		t->conns[t->mem_wait_tail[q]]->mem_wait_next = c->id;
	else
		t->mem_wait_head[q] = c->id;
	t->mem_wait_tail[q] = c->id;
	COUNT(s, tcp_send_mem_waits);
}

/* Unlinks c from its waiters' FIFO. */
static void tcp_mem_unlink(struct tcp_table *t, struct tcp_conn *c)
{
	int q = c->mem_wait_q;

	if (c->mem_wait_prev >= 0)
		t->conns[c->mem_wait_prev]->mem_wait_next = c->mem_wait_next;
	else
		t->mem_wait_head[q] = c->mem_wait_next;
	if (c->mem_wait_next >= 0)
		t->conns[c->mem_wait_next]->mem_wait_prev = c->mem_wait_prev;
	else
		t->mem_wait_tail[q] = c->mem_wait_prev;
	c->mem_waiting = false;
}

bool tcp_mem_waiters(const struct stack *s)
{
	const struct tcp_table *t = s->tcp;

	return t->mem_wait_head[TCP_MEM_WAIT_RESERVE] >= 0 ||
	       t->mem_wait_head[TCP_MEM_WAIT_POOL] >= 0;
}

void tcp_mem_settle(struct stack *s, struct tcp_conn *c)
{
	if (!c->mem_claim)
		return;
	c->mem_claim = false;
	s->tcp->mem_claims--;
	tcp_mem_wake(s); /* what c left is the next waiter's */
}

void tcp_mem_unwait(struct stack *s, struct tcp_conn *c)
{
	if (c->mem_waiting)
		tcp_mem_unlink(s->tcp, c);
	tcp_mem_settle(s, c);
}

void tcp_mem_wake(struct stack *s)
{
	struct tcp_table *t = s->tcp;

	for (;;) {
		struct tcp_conn *c;

		/* Below their minimum first: any free chunk is theirs. */
		if (t->mem_wait_head[TCP_MEM_WAIT_RESERVE] >= 0 &&
		    tcp_chunks_free(s) > t->mem_claims)
			c = t->conns[t->mem_wait_head[TCP_MEM_WAIT_RESERVE]];
		else if (t->mem_wait_head[TCP_MEM_WAIT_POOL] >= 0 &&
			 tcp_chunks_free_outside_reserve(s) > t->mem_claims)
			c = t->conns[t->mem_wait_head[TCP_MEM_WAIT_POOL]];
		else
			break;
		tcp_mem_unlink(t, c);
		c->mem_claim = true;
		t->mem_claims++;
		c->writable_wanted = false;
		COUNT(s, tcp_send_mem_wakeups);
		tcp_event(s, c, STACK_EV_TCP_WRITABLE);
	}
}

void tcp_check_space(struct stack *s, struct tcp_conn *c)
{
	if (!c->writable_wanted || c->user_closed || c->shut_wr) {
		c->writable_wanted = false; /* an orphan writes no more */
		return;
	}
	if (tcp_send_space(s, c->id) > 0) {
		c->writable_wanted = false;
		if (c->mem_waiting)
			tcp_mem_unlink(s->tcp, c); /* woken: not twice */
		tcp_event(s, c, STACK_EV_TCP_WRITABLE);
	} else if (tcp_sndbuf_room(c) > 0) {
		tcp_mem_wait(s, c); /* only the pool is short */
	}
}

size_t tcp_sndbuf_append(struct stack *s, struct tcp_sndbuf *b,
			 const uint8_t *data, size_t len)
{
	size_t done = 0;

	while (done < len) {
		struct pkt *tail = b->chunks.tail;
		size_t room, n;

		if (!tail || tail->len == TCP_CHUNK_DATA) {
			if (tcp_chunks_free(s) <= s->tcp->chunks_reserve)
				COUNT(s, tcp_send_reserve_chunks);
			tail = pkt_alloc(&s->tcp->chunk_pool, 0);
			if (!tail)
				break;
			tail->data = tail->buf; /* no headroom: plain bytes */
			tail->len = 0;
			pkt_queue_push(&b->chunks, tail);
		}
		room = TCP_CHUNK_DATA - tail->len;
		n = len - done < room ? len - done : room;
		memcpy(tail->data + tail->len, data + done, n);
		tail->len += (uint32_t)n;
		b->chunks.bytes += (uint32_t)n;
		done += n;
	}
	b->len += (uint32_t)done;
	return done;
}

void tcp_sndbuf_copy(const struct tcp_sndbuf *b, uint32_t off, uint8_t *out,
		     uint32_t len)
{
	const struct pkt *ch = b->chunks.head;

	off += b->head_off;
	while (ch && off >= ch->len) {
		off -= ch->len;
		ch = ch->next;
	}
	while (len && ch) {
		uint32_t n = ch->len - off < len ? ch->len - off : len;
		memcpy(out, ch->data + off, n);
		out += n;
		len -= n;
		off = 0;
		ch = ch->next;
	}
}

void tcp_sndbuf_consume(struct stack *s, struct tcp_sndbuf *b, uint32_t n)
{
	if (n > b->len)
		n = b->len;
	b->len -= n;
	n += b->head_off;
	while (b->chunks.head && n >= b->chunks.head->len) {
		struct pkt *ch = b->chunks.head;
		/* The tail chunk may still take bytes: keep it unless it is
		 * full or the buffer is now empty. */
		if (ch == b->chunks.tail && ch->len < TCP_CHUNK_DATA &&
		    b->len > 0)
			break;
		n -= ch->len;
		pkt_free(&s->tcp->chunk_pool, pkt_queue_pop(&b->chunks));
	}
	b->head_off = n;
	if (!b->chunks.head) {
		b->head_off = 0;
		b->len = 0;
	}
	if (tcp_mem_waiters(s))
		tcp_mem_wake(s);
}

uint32_t tcp_ooo_bytes(const struct tcp_conn *c)
{
	uint32_t n = 0;

	for (int i = 0; i < c->nooo; i++)
		n += c->ooo[i].len;
	return n;
}

uint32_t tcp_rcv_queued(const struct tcp_conn *c)
{
	return c->rcvq.bytes - c->rcvq_off;
}

/* ---- memory pressure ---- */

enum tcp_mem_level tcp_mem_level(const struct stack *s)
{
	enum tcp_mem_level l = TCP_MEM_OK;

	for (int k = 0; k < PKT_CLASS_COUNT; k++) {
		uint64_t used = (uint64_t)s->pool.in_use[k] * 16;
		uint64_t max = s->pool.max[k];
		if (used > max * TCP_MEM_HARD_16THS)
			return TCP_MEM_HARD;
		if (used > max * TCP_MEM_PRESSURE_16THS)
			l = TCP_MEM_PRESSURE;
	}
	return l;
}

/* Is class k of the pool above the mark pruning brings it down to? */
static bool tcp_mem_over_prune_mark(const struct stack *s, int k)
{
	return (uint64_t)s->pool.in_use[k] * 16 >
	       (uint64_t)s->pool.max[k] * TCP_MEM_PRUNE_TO_16THS;
}

/* ---- receive-buffer auto-tuning ---- */

bool tcp_rcv_tunable(const struct stack *s, const struct tcp_conn *c)
{
	return !c->rcvbuf_lock && s->lim.tcp_rcvbuf_max > c->rcv_wnd_max;
}

/* The clock auto-tuning keeps: µs, the low 32 bits (differences only). */
static uint32_t tcp_rcv_clock(uint64_t now)
{
	uint32_t us = (uint32_t)(now / 1000);

	return us ? us : 1; /* 0 means "not started" */
}

/* Folds an RTT sample (µs) into the receiver's estimate: a timestamp
 * echo's is averaged in (1/8), a window's is taken only when smaller
 * (it is at least the RTT, more when the sender sent less than the
 * window). */
static void tcp_rcv_rtt_update(struct tcp_conn *c, uint32_t us, bool win)
{
	if (!us)
		us = 1;
	if (!c->rcv_rtt_us)
		c->rcv_rtt_us = us;
	else if (!win)
		c->rcv_rtt_us =
		    (uint32_t)(((uint64_t)c->rcv_rtt_us * 7 + us) / 8);
	else if (us < c->rcv_rtt_us)
		c->rcv_rtt_us = us;
}

void tcp_rcv_rtt_measure(const struct stack *s, uint64_t now,
			 struct tcp_conn *c, const struct tcp_seg *seg)
{
	uint32_t clock = tcp_rcv_clock(now), wnd;

	if (!tcp_rcv_tunable(s, c))
		return;
	if (!c->rcv_space_start) /* what is read is measured from now */
		c->rcv_space_start = clock;
	/* A full segment's timestamp echo (full to within 40 bytes of
	 * options, as tcp_input.c's delayed ACK counts): our clock has 1 ms
	 * ticks, so a
	 * sample is at least one (as Linux's estimator when it counted in
	 * jiffies); an echo older than a minute is no sample. */
	if (c->ts_ok) {
		uint32_t ms = tcp_ts_now(s, c, now) - seg->tsecr;

		if (seg->has_ts && seg->tsecr && seg->len + 40u >= c->our_mss &&
		    ms < 60000)
			tcp_rcv_rtt_update(c, (ms ? ms : 1) * 1000u, false);
		return;
	}
	/* Without timestamps: the time a window's worth takes to arrive. */
	if (c->rcv_rtt_start) {
		if (SEQ_LT(c->rcv_nxt, c->rcv_rtt_seq))
			return;
		tcp_rcv_rtt_update(c, clock - c->rcv_rtt_start, true);
	}
	wnd = tcp_rcv_adv_window(c);
	if (wnd == 0)
		wnd = c->our_mss;
	c->rcv_rtt_seq = c->rcv_nxt + wnd;
	c->rcv_rtt_start = clock;
}

void tcp_rcv_space_adjust(struct stack *s, uint64_t now, struct tcp_conn *c,
			  uint32_t n)
{
	uint32_t clock = tcp_rcv_clock(now), copied;
	uint64_t win, cap;
	bool full, grow;

	if (!tcp_rcv_tunable(s, c))
		return;
	c->rcv_copied =
	    c->rcv_copied + n < c->rcv_copied ? UINT32_MAX : c->rcv_copied + n;
	if (!c->rcv_space_start) {
		c->rcv_space_start = clock;
		c->rcv_copied = 0;
		return;
	}
	if (!c->rcv_rtt_us || clock - c->rcv_space_start < c->rcv_rtt_us)
		return;
	copied = c->rcv_copied;
	c->rcv_copied = 0;
	c->rcv_space_start = clock;
	/* The window limits the reader when it drained at least half the
	 * buffer in an estimate. Once is not enough: the daemon moves what
	 * arrives to the application's socketpair until that is full (some
	 * 200 KiB), so an application that never reads still has that
	 * "read", once; only a reader that drains half the buffer in two
	 * estimates in a row grows it. */
	full = copied >= c->rcv_wnd_max / 2;
	grow = full && c->rcv_space_rising;
	c->rcv_space_rising = full;
	if (!grow) {
		if (copied > c->rcv_space)
			c->rcv_space = copied;
		return;
	}
	if (tcp_mem_level(s) != TCP_MEM_OK) {
		/* The pool is short: no connection grows (the pressure
		 * rules shrink what is offered anew). */
		COUNT(s, tcp_rcvbuf_grow_pressure);
		return;
	}
	/* Twice what was read in an RTT, so that the sender is not held
	 * by the window while the reader keeps pace, and room for 16
	 * segments more; more again in proportion while that grows. */
	win = 2ull * copied + 16u * (uint64_t)c->our_mss;
	if (copied > c->rcv_space) {
		if (c->rcv_space)
			win += 2 * win * (copied - c->rcv_space) / c->rcv_space;
		c->rcv_space = copied;
	}
	cap = s->lim.tcp_rcvbuf_max;
	if (cap > (65535ull << c->rcv_wscale))
		cap = 65535ull << c->rcv_wscale;
	if (win > cap)
		win = cap;
	if (win > c->rcv_wnd_max) {
		c->rcv_wnd_max = (uint32_t)win;
		COUNT(s, tcp_rcvbuf_grown);
	}
}

/* ---- receive queue ---- */

/* Copies len bytes to the end of the receive queue: into the tail
 * buffer's room, then into fresh small buffers (at most
 * TCP_COLLAPSE_MAX_BYTES worth). False (nothing appended) when the
 * buffers needed could not all be had. */
static bool tcp_rcvq_copy(struct stack *s, struct tcp_conn *c,
			  const uint8_t *data, uint32_t len)
{
	struct pkt *t = c->rcvq.tail;
	uint32_t room = t ? (uint32_t)pkt_tailroom(t) : 0;
	struct pkt *q[TCP_COLLAPSE_MAX_BYTES / PKT_SMALL_CAP + 1];
	uint32_t nq = 0, need;

	if (room > len)
		room = len;
	need = (len - room + PKT_SMALL_CAP - 1) / PKT_SMALL_CAP;
	if (need > sizeof(q) / sizeof(q[0]))
		return false;
	for (nq = 0; nq < need; nq++) {
		q[nq] = pkt_alloc(&s->pool, 0);
		if (!q[nq]) {
			while (nq)
				pkt_free(&s->pool, q[--nq]);
			return false;
		}
		q[nq]->data = q[nq]->buf; /* no headroom: plain bytes */
	}
	if (room) {
		memcpy(t->data + t->len, data, room);
		t->len += room;
		c->rcvq.bytes += room;
		data += room;
		len -= room;
	}
	for (uint32_t i = 0; i < nq; i++) {
		uint32_t n = len < PKT_SMALL_CAP ? len : PKT_SMALL_CAP;
		memcpy(q[i]->data, data, n);
		q[i]->len = n;
		data += n;
		len -= n;
		pkt_queue_push(&c->rcvq, q[i]);
		c->rcvq_mem += q[i]->cap;
	}
	return true;
}

void tcp_rcvq_append(struct stack *s, struct tcp_conn *c, struct pkt *p)
{
	/* A payload that fits the tail's room, or one of at most
	 * TCP_COLLAPSE_MAX_BYTES in a large buffer, is copied (Linux's
	 * tcp_try_coalesce and tcp_collapse): a small segment never pins a
	 * buffer, and a never reading application's queue costs about what it
	 * holds. */
	if ((c->rcvq.tail && p->len <= pkt_tailroom(c->rcvq.tail)) ||
	    (p->pkt_class == PKT_CLASS_LARGE &&
	     p->len <= TCP_COLLAPSE_MAX_BYTES)) {
		if (tcp_rcvq_copy(s, c, p->data, p->len)) {
			COUNT(s, tcp_rx_coalesced);
			pkt_free(&s->pool, p);
			return;
		}
	}
	pkt_queue_push(&c->rcvq, p);
	c->rcvq_mem += p->cap;
}

void tcp_rcvq_pop(struct stack *s, struct tcp_conn *c)
{
	struct pkt *p = pkt_queue_pop(&c->rcvq);

	if (!p)
		return;
	c->rcvq_mem -= p->cap;
	pkt_free(&s->pool, p);
}

/* ---- out-of-order store ---- */

/* Does an entry other than `skip` hold data in buffer p? */
static bool tcp_ooo_shared(const struct tcp_conn *c, const struct pkt *p,
			   int skip)
{
	if (p == c->ooo_arena)
		return true;
	for (int i = 0; i < c->nooo; i++)
		if (i != skip && c->ooo[i].pkt == p)
			return true;
	return false;
}

/* Links c into (or out of) the list of class k's holders. */
static void tcp_ooo_holder_link(struct tcp_table *t, struct tcp_conn *c, int k)
{
	c->ooo_holder_prev[k] = -1;
	c->ooo_holder_next[k] = t->ooo_holders[k];
	if (t->ooo_holders[k] >= 0)
		t->conns[t->ooo_holders[k]]->ooo_holder_prev[k] = c->id;
	t->ooo_holders[k] = c->id;
}

static void tcp_ooo_holder_unlink(struct tcp_table *t, struct tcp_conn *c,
				  int k)
{
	if (c->ooo_holder_prev[k] >= 0)
		t->conns[c->ooo_holder_prev[k]]->ooo_holder_next[k] =
		    c->ooo_holder_next[k];
	else
		t->ooo_holders[k] = c->ooo_holder_next[k];
	if (c->ooo_holder_next[k] >= 0)
		t->conns[c->ooo_holder_next[k]]->ooo_holder_prev[k] =
		    c->ooo_holder_prev[k];
}

/* Does an entry hold data in the compact buffer? */
static bool tcp_ooo_arena_used(const struct tcp_conn *c)
{
	for (int i = 0; i < c->nooo; i++)
		if (c->ooo[i].pkt == c->ooo_arena)
			return true;
	return false;
}

/* Counts buffer p in (sign 1) or out of (-1) c's OOO store. */
static void tcp_ooo_account(struct stack *s, struct tcp_conn *c,
			    const struct pkt *p, int sign)
{
	int k = p->pkt_class;

	c->ooo_mem += (uint32_t)sign * p->cap;
	c->ooo_bufs[k] = (uint16_t)(c->ooo_bufs[k] + sign);
	s->tcp->ooo_bufs[k] += (uint32_t)sign;
	if (sign > 0 && c->ooo_bufs[k] == 1)
		tcp_ooo_holder_link(s->tcp, c, k);
	else if (sign < 0 && c->ooo_bufs[k] == 0)
		tcp_ooo_holder_unlink(s->tcp, c, k);
}

/* Returns a buffer of the OOO store to the pool. */
static void tcp_ooo_pkt_free(struct stack *s, struct tcp_conn *c, struct pkt *p)
{
	tcp_ooo_account(s, c, p, -1);
	pkt_free(&s->pool, p);
}

/* Removes entry i, freeing its buffer unless another entry shares it. */
static void tcp_ooo_remove(struct stack *s, struct tcp_conn *c, int i)
{
	struct pkt *p = c->ooo[i].pkt;

	if (!tcp_ooo_shared(c, p, i))
		tcp_ooo_pkt_free(s, c, p);
	memmove(&c->ooo[i], &c->ooo[i + 1],
		(size_t)(c->nooo - i - 1) * sizeof(*c->ooo));
	c->nooo--;
}

/* The store became empty: give back the array and the compact buffer. */
static void tcp_ooo_release(struct stack *s, struct tcp_conn *c)
{
	if (c->nooo)
		return;
	if (c->ooo_arena) {
		struct pkt *a = c->ooo_arena;
		c->ooo_arena = NULL;
		tcp_ooo_pkt_free(s, c, a);
	}
	free(c->ooo);
	c->ooo = NULL;
	c->ooo_cap = 0;
}

/* Prunes c's out-of-order entries held in buffers of class k, from the
 * highest sequence down (the most recent, as Linux's
 * tcp_prune_ofo_queue), until c pins at most `target` buffers of k;
 * entries in the other class stay. SACK has the sender resend what
 * goes (RFC 2018 8: a receiver may discard what it SACKed). */
static void tcp_ooo_prune(struct stack *s, struct tcp_conn *c, int k,
			  uint32_t target)
{
	uint64_t n = 0;

	for (int i = c->nooo - 1; i >= 0 && c->ooo_bufs[k] > target; i--) {
		struct pkt *p = c->ooo[i].pkt;

		if (p->pkt_class != k)
			continue;
		tcp_ooo_remove(s, c, i);
		n++;
		if (p == c->ooo_arena && !tcp_ooo_arena_used(c)) {
			/* Its last entry went: the compact buffer too. */
			c->ooo_arena = NULL;
			tcp_ooo_pkt_free(s, c, p);
		}
	}
	tcp_ooo_release(s, c); /* when it emptied */
	if (n) {
		TCP_RULE(s, data_ooo_pruned);
		COUNT_N(s, tcp_rx_ooo_pruned, n);
	}
}

/* Buffers of class k that pruning every holder down to `level` frees. */
static uint64_t tcp_ooo_above(const struct tcp_table *t, int k, uint32_t level)
{
	uint64_t n = 0;

	for (int32_t id = t->ooo_holders[k]; id >= 0;
	     id = t->conns[id]->ooo_holder_next[k])
		if (t->conns[id]->ooo_bufs[k] > level)
			n += t->conns[id]->ooo_bufs[k] - level;
	return n;
}

void tcp_mem_reclaim(struct stack *s)
{
	struct tcp_table *t = s->tcp;

	for (int k = 0; k < PKT_CLASS_COUNT; k++) {
		uint32_t mark =
		    s->pool.max[k] / 16 * TCP_MEM_PRUNE_TO_16THS +
		    s->pool.max[k] % 16 * TCP_MEM_PRUNE_TO_16THS / 16;
		uint32_t lo = 0, hi = 0, need;

		if (!t->ooo_bufs[k] || !tcp_mem_over_prune_mark(s, k) ||
		    s->pool.in_use[k] <= mark)
			continue;
		need = s->pool.in_use[k] - mark;
		/* The biggest holders first: the highest level that, every
		 * holder of class k cut down to it, frees what is needed
		 * (or 0: all of it), found by halving the range up to the
		 * biggest holding, a pass over the holders each step. */
		for (int32_t id = t->ooo_holders[k]; id >= 0;
		     id = t->conns[id]->ooo_holder_next[k])
			if (t->conns[id]->ooo_bufs[k] > hi)
				hi = t->conns[id]->ooo_bufs[k];
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo + 1) / 2;
			if (tcp_ooo_above(t, k, mid) >= need)
				lo = mid;
			else
				hi = mid - 1;
		}
		for (int32_t id = t->ooo_holders[k], next; id >= 0; id = next) {
			struct tcp_conn *c = t->conns[id];
			next = c->ooo_holder_next[k]; /* c may leave it */
			if (c->ooo_bufs[k] > lo)
				tcp_ooo_prune(s, c, k, lo);
		}
	}
}

void tcp_rcv_free(struct stack *s, struct tcp_conn *c)
{
	while (c->rcvq.head)
		tcp_rcvq_pop(s, c);
	c->rcvq_off = 0;
	while (c->nooo)
		tcp_ooo_remove(s, c, c->nooo - 1);
	tcp_ooo_release(s, c);
}

/* Pool bytes that len bytes of p's payload will pin at most once queued:
 * a short payload in a 64 KiB buffer is copied to small ones. */
static uint32_t tcp_rcv_cost(const struct pkt *p, uint32_t len)
{
	if (p->pkt_class == PKT_CLASS_LARGE && len <= TCP_COLLAPSE_MAX_BYTES)
		return (len + PKT_SMALL_CAP - 1) / PKT_SMALL_CAP *
		       PKT_SMALL_CAP;
	return p->cap;
}

bool tcp_rcv_pressure_fit(struct stack *s, struct tcp_conn *c,
			  struct tcp_seg *seg, const struct pkt *p)
{
	const uint32_t min_mem = TCP_RCV_MIN_BUFS * PKT_SMALL_CAP;
	uint32_t min = tcp_rcv_pressure_wnd(c);
	uint32_t ooo = tcp_ooo_bytes(c), held, mem;
	uint32_t take = seg->len < min ? seg->len : min;
	uint32_t cost;
	uint64_t n = 0;

	/* A payload in a 64 KiB buffer is copied to small ones only when
	 * short (in order up to TCP_COLLAPSE_MAX_BYTES, out of order up
	 * to one small buffer: tcp_ooo_insert): take no more, or it would
	 * pin the large buffer, far beyond the minimum. */
	if (p->pkt_class == PKT_CLASS_LARGE) {
		uint32_t copy = seg->seq == c->rcv_nxt ? TCP_COLLAPSE_MAX_BYTES
						       : PKT_SMALL_CAP;
		if (take > copy)
			take = copy;
	}
	cost = tcp_rcv_cost(p, take);

	/* The segment at rcv_nxt fills the hole: what c holds beyond it
	 * gives way, or c could never move again (SACK has the sender
	 * resend it, RFC 2018 8). */
	while (seg->seq == c->rcv_nxt && c->nooo &&
	       ((uint64_t)tcp_rcv_queued(c) + ooo + seg->len > min ||
		(uint64_t)tcp_rcv_mem(c) + cost > min_mem)) {
		ooo -= c->ooo[c->nooo - 1].len;
		tcp_ooo_remove(s, c, c->nooo - 1);
		n++;
	}
	if (n) {
		tcp_ooo_release(s, c);
		TCP_RULE(s, data_ooo_pruned);
		COUNT_N(s, tcp_rx_ooo_pruned, n);
	}
	held = tcp_rcv_queued(c) + ooo;
	if (held >= min)
		return false;
	if (take > min - held)
		take = min - held;
	mem = tcp_rcv_mem(c);
	if (p->pkt_class == PKT_CLASS_LARGE) {
		/* Copied: no more than the small buffers left in the minimum
		 * (a large MSS's segment is cut rather than refused). */
		uint32_t room =
		    mem < min_mem
			? (min_mem - mem) / PKT_SMALL_CAP * PKT_SMALL_CAP
			: 0;
		if (take > room)
			take = room;
	}
	cost = tcp_rcv_cost(p, take);
	if (take == 0 || (uint64_t)mem + cost > min_mem)
		return false;
	if (seg->len > take) {
		/* Take what fits; the rest (and a FIN after it) comes
		 * again. */
		seg->len = take;
		seg->flags &= (uint8_t)~TCP_FIN;
		COUNT(s, tcp_rx_trim_mem_pressure);
	}
	return true;
}

/* Index of the first held segment that ends after seq. */
static int tcp_ooo_search(const struct tcp_conn *c, uint32_t seq)
{
	int lo = 0, hi = c->nooo;

	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (SEQ_LEQ(c->ooo[mid].seq + c->ooo[mid].len, seq))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void tcp_dsack_note(struct tcp_conn *c, uint32_t seq, uint32_t end)
{
	if (!c->sack_ok || !SEQ_LT(seq, end))
		return;
	c->dsack_pending = true;
	c->dsack[0] = seq;
	c->dsack[1] = end;
}

/* Stores len bytes at data, sequence seq, at index i in the compact
 * buffer: appended to entry i - 1 when it continues it in the buffer
 * (collapse), else a new entry. False when no compact buffer could be
 * had. */
static bool tcp_ooo_compact(struct stack *s, struct tcp_conn *c, int i,
			    uint32_t seq, const uint8_t *data, uint32_t len)
{
	struct pkt *a = c->ooo_arena;

	if (i > 0 && c->ooo[i - 1].pkt == a &&
	    c->ooo[i - 1].seq + c->ooo[i - 1].len == seq &&
	    c->ooo[i - 1].data + c->ooo[i - 1].len == a->data + a->len &&
	    pkt_tailroom(a) >= len) {
		memcpy(a->data + a->len, data, len);
		a->len += len;
		c->ooo[i - 1].len += len;
		COUNT(s, tcp_rx_ooo_compact);
		return true;
	}
	if (!a || pkt_tailroom(a) < len) {
		struct pkt *n = pkt_alloc(&s->pool, 0);
		if (!n)
			return false;
		n->data = n->buf;
		n->len = 0;
		tcp_ooo_account(s, c, n, 1);
		c->ooo_arena = n;
		/* The old one goes when its last entry does. */
		if (a && !tcp_ooo_shared(c, a, -1))
			tcp_ooo_pkt_free(s, c, a);
		a = n;
	}
	memmove(&c->ooo[i + 1], &c->ooo[i],
		(size_t)(c->nooo - i) * sizeof(*c->ooo));
	c->ooo[i] = (struct tcp_ooo){
	    .seq = seq, .len = len, .pkt = a, .data = a->data + a->len};
	memcpy(a->data + a->len, data, len);
	a->len += len;
	c->nooo++;
	COUNT(s, tcp_rx_ooo_compact);
	return true;
}

/* Would an entry of `cost` more pool bytes take the store beyond its
 * bounds? */
static bool tcp_ooo_over(const struct tcp_conn *c, uint32_t cost)
{
	return c->ooo_mem + cost > TCP_OOO_MEM_FACTOR * c->rcv_wnd_max ||
	       c->nooo >= TCP_OOO_MAX;
}

/* Makes room for a new entry of `cost` pool bytes at index i: prunes
 * what lies above it, the highest first, and grows the array. False
 * when there is none (the entry would be the highest beyond the
 * bounds, or no memory). */
static bool tcp_ooo_room(struct stack *s, struct tcp_conn *c, int i,
			 uint32_t cost)
{
	while (c->nooo > i && tcp_ooo_over(c, cost)) {
		tcp_ooo_remove(s, c, c->nooo - 1);
		TCP_RULE(s, data_ooo_pruned);
		COUNT(s, tcp_rx_ooo_pruned);
	}
	if (tcp_ooo_over(c, cost))
		return false;
	if (c->nooo == c->ooo_cap) {
		uint16_t cap = c->ooo_cap ? (uint16_t)(c->ooo_cap * 2) : 8;
		struct tcp_ooo *n = realloc(c->ooo, cap * sizeof(*n));
		if (!n)
			return false;
		c->ooo = n;
		c->ooo_cap = cap;
	}
	return true;
}

bool tcp_ooo_insert(struct stack *s, struct tcp_conn *c, uint32_t seq,
		    struct pkt *p)
{
	uint32_t end = seq + p->len, cur = seq, base_seq = seq;
	const uint8_t *base = p->data; /* the byte at base_seq */
	bool stored = false, p_held = false, dup = false;

	/* Walk the arrival against what is held. Bytes already held are a
	 * duplicate: the first such run is reported in a DSACK (RFC 2883
	 * 4: data held out of order counts as received). Every run of new
	 * bytes between held segments is stored, so that the SACK blocks
	 * report all that arrived (RFC 2018 4), within the store's bounds;
	 * runs after the first share p's buffer. */
	while (SEQ_LT(cur, end)) {
		int i = tcp_ooo_search(c, cur);
		const uint8_t *data = base + (cur - base_seq);
		uint32_t run_end, len, cost;
		bool copy;

		if (i < c->nooo && SEQ_LEQ(c->ooo[i].seq, cur)) {
			uint32_t held_end = c->ooo[i].seq + c->ooo[i].len;
			uint32_t dup_end =
			    SEQ_LT(held_end, end) ? held_end : end;
			if (!dup)
				tcp_dsack_note(c, cur, dup_end);
			dup = true;
			cur = dup_end;
			continue;
		}
		run_end = i < c->nooo && SEQ_LT(c->ooo[i].seq, end)
			      ? c->ooo[i].seq
			      : end;
		len = run_end - cur;
		/* A short rest in a 64 KiB buffer costs the small buffer it
		 * is copied to (below). */
		copy = !p_held && p->pkt_class == PKT_CLASS_LARGE &&
		       end - cur <= PKT_SMALL_CAP;
		cost = len <= TCP_OOO_COPY_MAX_BYTES || p_held ? len
		       : copy				       ? PKT_SMALL_CAP
							       : p->cap;
		if (!tcp_ooo_room(s, c, i, cost))
			break; /* the rest lies higher: it comes again */
		if (len <= TCP_OOO_COPY_MAX_BYTES &&
		    tcp_ooo_compact(s, c, i, cur, data, len)) {
			stored = true;
			cur = run_end;
			continue;
		}
		if (copy) {
			/* A short rest in a 64 KiB buffer: copy it all to a
			 * small one, which this run and the later ones
			 * share. */
			struct pkt *q = pkt_alloc(&s->pool, 0);
			if (!q)
				break; /* room was made for a small one */
			q->data = q->buf;
			memcpy(q->data, data, end - cur);
			q->len = end - cur;
			pkt_free(&s->pool, p);
			p = q;
			base = data = q->data;
			base_seq = cur;
		}
		if (!p_held) {
			tcp_ooo_account(s, c, p, 1);
			p_held = true;
		}
		memmove(&c->ooo[i + 1], &c->ooo[i],
			(size_t)(c->nooo - i) * sizeof(*c->ooo));
		c->ooo[i] = (struct tcp_ooo){
		    .seq = cur, .len = len, .pkt = p, .data = (uint8_t *)data};
		c->nooo++;
		stored = true;
		cur = run_end;
	}
	if (!p_held)
		pkt_free(&s->pool, p);
	if (!stored)
		tcp_ooo_release(s, c); /* when it emptied */
	return stored;
}

uint32_t tcp_ooo_drain(struct stack *s, struct tcp_conn *c)
{
	uint32_t next = c->rcv_nxt, moved = 0;

	while (c->nooo && SEQ_LEQ(c->ooo[0].seq, next)) {
		struct tcp_ooo *o = &c->ooo[0];
		uint32_t end = o->seq + o->len;
		struct pkt *p = o->pkt;
		if (SEQ_LEQ(end, next)) {
			tcp_ooo_remove(s, c, 0); /* all old */
			continue;
		}
		o->data += next - o->seq;
		o->len = end - next;
		o->seq = next;
		if (tcp_ooo_shared(c, p, 0)) {
			/* In a shared buffer: copy it out. Without a buffer
			 * for it, it stays held, and is tried again. */
			if (!tcp_rcvq_copy(s, c, o->data, o->len))
				break;
			tcp_ooo_remove(s, c, 0);
		} else {
			/* Its own buffer: moves to the receive queue. */
			p->data = o->data;
			p->len = o->len;
			tcp_ooo_account(s, c, p, -1);
			memmove(&c->ooo[0], &c->ooo[1],
				(size_t)(c->nooo - 1) * sizeof(*c->ooo));
			c->nooo--;
			tcp_rcvq_append(s, c, p);
		}
		moved += end - next;
		next = end;
	}
	tcp_ooo_release(s, c);
	return moved;
}

int tcp_sack_blocks(const struct tcp_conn *c, uint32_t recent,
		    uint32_t out[][2], int max)
{
	int n = 0, first = -1;

	/* Merge adjacent held segments into blocks; the block holding
	 * `recent` goes first (RFC 2018 4), then the others from the
	 * highest down. */
	uint32_t blocks[TCP_OOO_MAX][2];
	int nb = 0;
	for (int i = 0; i < c->nooo; i++) {
		if (nb && blocks[nb - 1][1] == c->ooo[i].seq)
			blocks[nb - 1][1] = c->ooo[i].seq + c->ooo[i].len;
		else {
			blocks[nb][0] = c->ooo[i].seq;
			blocks[nb][1] = c->ooo[i].seq + c->ooo[i].len;
			nb++;
		}
	}
	for (int i = 0; i < nb; i++)
		if (SEQ_LEQ(blocks[i][0], recent) &&
		    SEQ_LT(recent, blocks[i][1]))
			first = i;
	if (first >= 0 && n < max) {
		out[n][0] = blocks[first][0];
		out[n][1] = blocks[first][1];
		n++;
	}
	for (int i = nb - 1; i >= 0 && n < max; i--) {
		if (i == first)
			continue;
		out[n][0] = blocks[i][0];
		out[n][1] = blocks[i][1];
		n++;
	}
	return n;
}
