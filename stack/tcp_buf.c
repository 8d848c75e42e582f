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
 * Receive queue: in-order segments are kept in the buffers they arrived
 * in (no copy), data trimmed to what is new; the user reads them in
 * place. The advertised window is the buffer limit less what is held.
 *
 * Out-of-order store: up to TCP_OOO_MAX segments in an array sorted by
 * sequence, non-overlapping (an arrival is trimmed against what is
 * held). Lookup is a binary search and the common arrival (just after
 * the highest held) an append, so reassembly is O(log n) to find and
 * at worst a move of n pointers to insert, never quadratic in bytes.
 * When it is full, or the stack's pool is low, arrivals beyond the
 * store are dropped (counted); the peer retransmits them.
 */
#include <stdlib.h>

#include "tcp.h"

#define TCP_CHUNK_DATA (PKT_SMALL_CAP)

/* Chunks the pool can still hand out. */
static uint32_t tcp_chunks_free(const struct stack *s)
{
	const struct pkt_pool *pool = &s->tcp->chunk_pool;

	return pool->max[PKT_CLASS_SMALL] - pool->in_use[PKT_CLASS_SMALL];
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

uint32_t tcp_sndbuf_space(const struct stack *s, const struct tcp_conn *c)
{
	const struct pkt *tail = c->sndbuf.chunks.tail;
	uint32_t room = tcp_sndbuf_room(c), chunks = tcp_chunks_free(s);
	uint64_t mem = tail ? TCP_CHUNK_DATA - tail->len : 0;

	/* The free chunks not claimed by woken waiters, and c's own. */
	chunks = chunks > s->tcp->mem_claims ? chunks - s->tcp->mem_claims : 0;
	if (c->mem_claim)
		chunks++;
	mem += (uint64_t)chunks * TCP_CHUNK_DATA;
	return mem < room ? (uint32_t)mem : room;
}

void tcp_mem_wait(struct stack *s, struct tcp_conn *c)
{
	struct tcp_table *t = s->tcp;

	if (c->mem_waiting || c->user_closed || c->shut_wr)
		return;
	c->mem_waiting = true;
	c->mem_wait_next = -1;
	c->mem_wait_prev = t->mem_wait_tail;
	if (t->mem_wait_tail >= 0)
		t->conns[t->mem_wait_tail]->mem_wait_next = c->id;
	else
		t->mem_wait_head = c->id;
	t->mem_wait_tail = c->id;
	COUNT(s, tcp_send_mem_waits);
}

/* Unlinks c from the waiters' FIFO. */
static void tcp_mem_unlink(struct tcp_table *t, struct tcp_conn *c)
{
	if (c->mem_wait_prev >= 0)
		t->conns[c->mem_wait_prev]->mem_wait_next = c->mem_wait_next;
	else
		t->mem_wait_head = c->mem_wait_next;
	if (c->mem_wait_next >= 0)
		t->conns[c->mem_wait_next]->mem_wait_prev = c->mem_wait_prev;
	else
		t->mem_wait_tail = c->mem_wait_prev;
	c->mem_waiting = false;
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

	while (t->mem_wait_head >= 0 && tcp_chunks_free(s) > t->mem_claims) {
		struct tcp_conn *c = t->conns[t->mem_wait_head];

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
	if (s->tcp->mem_wait_head >= 0)
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

void tcp_rcv_free(struct stack *s, struct tcp_conn *c)
{
	pkt_queue_purge(&c->rcvq, &s->pool);
	c->rcvq_off = 0;
	for (int i = 0; i < c->nooo; i++)
		pkt_free(&s->pool, c->ooo[i].pkt);
	free(c->ooo);
	c->ooo = NULL;
	c->nooo = 0;
	c->ooo_cap = 0;
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

bool tcp_ooo_insert(struct stack *s, struct tcp_conn *c, uint32_t seq,
		    struct pkt *p)
{
	uint32_t len = p->len;
	int i;

	/* Trim against the held segment before and the ones after: keep
	 * only the first new run; the rest arrives again if needed. */
	i = tcp_ooo_search(c, seq);
	if (i < c->nooo && SEQ_LEQ(c->ooo[i].seq, seq)) {
		/* Starts inside a held segment: skip what is held. */
		uint32_t held_end = c->ooo[i].seq + c->ooo[i].len;
		/* What was held already arrived twice: a DSACK reports it
		 * (RFC 2883 4.1.2). */
		tcp_dsack_note(c, seq, SEQ_MIN(held_end, seq + len));
		if (SEQ_GEQ(held_end, seq + len))
			goto drop; /* nothing new */
		pkt_pull(p, held_end - seq);
		len -= held_end - seq;
		seq = held_end;
		i++;
	}
	if (i < c->nooo && SEQ_LT(c->ooo[i].seq, seq + len)) {
		/* Runs into the next held one: cut the end. */
		len = c->ooo[i].seq - seq;
		p->len = len;
	}
	if (len == 0)
		goto drop;
	if (c->nooo >= TCP_OOO_MAX)
		goto drop;
	if (c->nooo == c->ooo_cap) {
		uint16_t cap = c->ooo_cap ? (uint16_t)(c->ooo_cap * 2) : 8;
		struct tcp_ooo *n = realloc(c->ooo, cap * sizeof(*n));
		if (!n)
			goto drop;
		c->ooo = n;
		c->ooo_cap = cap;
	}
	memmove(&c->ooo[i + 1], &c->ooo[i],
		(size_t)(c->nooo - i) * sizeof(*c->ooo));
	c->ooo[i] = (struct tcp_ooo){.seq = seq, .len = len, .pkt = p};
	c->nooo++;
	return true;
drop:
	pkt_free(&s->pool, p);
	return false;
}

uint32_t tcp_ooo_drain(struct stack *s, struct tcp_conn *c)
{
	uint32_t next = c->rcv_nxt, moved = 0;
	int i = 0;

	while (i < c->nooo && SEQ_LEQ(c->ooo[i].seq, next)) {
		struct tcp_ooo *o = &c->ooo[i++];
		uint32_t end = o->seq + o->len;
		if (SEQ_LEQ(end, next)) {
			pkt_free(&s->pool, o->pkt); /* all old */
			continue;
		}
		pkt_pull(o->pkt, next - o->seq);
		moved += end - next;
		next = end;
		pkt_queue_push(&c->rcvq, o->pkt);
	}
	memmove(&c->ooo[0], &c->ooo[i],
		(size_t)(c->nooo - i) * sizeof(*c->ooo));
	c->nooo = (uint16_t)(c->nooo - i);
	if (c->nooo == 0) {
		free(c->ooo);
		c->ooo = NULL;
		c->ooo_cap = 0;
	}
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
