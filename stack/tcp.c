/*
 * tcp.c - µTCP: the connection table, states, segment parsing and
 * initial sequence numbers
 *
 * Connections are allocated one by one (a connection costs its block
 * and nothing else while idle: buffers are taken only while they hold
 * data) into a table of tcp_conns_max slots, and found by a hash on the
 * 4-tuple. When the table is full, the oldest TIME_WAIT connection the
 * user has closed is recycled (tcp_time_wait_recycled); failing that,
 * the new connection is refused (tcp_conns_table_full). A connection's
 * id is free only once the user let go of it (tcp_close, tcp_abort)
 * and the stack is done with it: the stack never frees one the user
 * holds.
 *
 * States follow RFC 9293 3.3.2. tcp_set_state() is the one place a
 * connection's state changes: it checks the transition against the
 * diagram (an impossible one is counted, tcp_bad_transitions, and
 * aborts a debug build), counts the state entered (tcp_enter_*), and
 * performs the new state's entry actions:
 *
 *   ESTABLISHED  the congestion controller starts (initial window)
 *   FIN_WAIT_2   an orphan's FIN_WAIT_2 timeout starts
 *   TIME_WAIT    every timer stops but the 2 MSL one, which starts; the
 *                send buffer and the in-flight records are freed, and
 *                the connection stops waiting for chunks and counting
 *                as an orphan
 *   CLOSED       every timer stops; the send buffer and the in-flight
 *                records are freed, and the connection stops waiting
 *                for chunks and counting as an orphan
 *
 * Orphans (tcp_is_orphan) are counted (tcp_orphan_count) from the
 * user's tcp_close() or tcp_orphan() to TIME_WAIT, CLOSED or their
 * end; past tcp_orphans_max the one more is reset at once, as Linux
 * does past tcp_max_orphans.
 *
 * Initial sequence numbers follow RFC 6528: a 4-microsecond clock plus
 * a keyed hash (SipHash-2-4) of the 4-tuple with a secret drawn from the
 * stack's generator at start.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "tcp.h"

static const char *const tcp_state_names[TCPS_STATE_COUNT] = {
    [TCPS_CLOSED] = "CLOSED",		[TCPS_LISTEN] = "LISTEN",
    [TCPS_SYN_SENT] = "SYN_SENT",	[TCPS_SYN_RECEIVED] = "SYN_RECEIVED",
    [TCPS_ESTABLISHED] = "ESTABLISHED", [TCPS_FIN_WAIT_1] = "FIN_WAIT_1",
    [TCPS_FIN_WAIT_2] = "FIN_WAIT_2",	[TCPS_CLOSE_WAIT] = "CLOSE_WAIT",
    [TCPS_CLOSING] = "CLOSING",		[TCPS_LAST_ACK] = "LAST_ACK",
    [TCPS_TIME_WAIT] = "TIME_WAIT",
};

const char *tcp_state_name(enum tcp_state st)
{
	if ((unsigned)st >= TCPS_STATE_COUNT)
		return "?";
	return tcp_state_names[st];
}

/* The transitions RFC 9293's diagram allows (3.3.2, figure 5), plus
 * any state to CLOSED (reset, timeout, abort). */
static bool tcp_transition_ok(enum tcp_state from, enum tcp_state to)
{
	if (to == TCPS_CLOSED)
		return true;
	switch (from) {
	case TCPS_CLOSED:
		return to == TCPS_SYN_SENT || to == TCPS_SYN_RECEIVED;
	case TCPS_SYN_SENT:
		return to == TCPS_SYN_RECEIVED || to == TCPS_ESTABLISHED;
	case TCPS_SYN_RECEIVED:
		return to == TCPS_ESTABLISHED || to == TCPS_FIN_WAIT_1 ||
		       to == TCPS_CLOSE_WAIT;
	case TCPS_ESTABLISHED:
		return to == TCPS_FIN_WAIT_1 || to == TCPS_CLOSE_WAIT;
	case TCPS_FIN_WAIT_1:
		return to == TCPS_FIN_WAIT_2 || to == TCPS_CLOSING ||
		       to == TCPS_TIME_WAIT;
	case TCPS_FIN_WAIT_2:
		return to == TCPS_TIME_WAIT;
	case TCPS_CLOSE_WAIT:
		return to == TCPS_LAST_ACK;
	case TCPS_CLOSING:
		return to == TCPS_TIME_WAIT;
	case TCPS_LAST_ACK:
	case TCPS_TIME_WAIT:
	case TCPS_LISTEN:
	case TCPS_STATE_COUNT:
		return false;
	}
	return false;
}

static const enum stack_counter tcp_enter_counter[TCPS_STATE_COUNT] = {
    [TCPS_CLOSED] = STACK_CTR_tcp_enter_closed,
    [TCPS_LISTEN] = STACK_CTR_tcp_bad_transitions, /* listeners aren't */
    [TCPS_SYN_SENT] = STACK_CTR_tcp_enter_syn_sent,
    [TCPS_SYN_RECEIVED] = STACK_CTR_tcp_enter_syn_received,
    [TCPS_ESTABLISHED] = STACK_CTR_tcp_enter_established,
    [TCPS_FIN_WAIT_1] = STACK_CTR_tcp_enter_fin_wait_1,
    [TCPS_FIN_WAIT_2] = STACK_CTR_tcp_enter_fin_wait_2,
    [TCPS_CLOSE_WAIT] = STACK_CTR_tcp_enter_close_wait,
    [TCPS_CLOSING] = STACK_CTR_tcp_enter_closing,
    [TCPS_LAST_ACK] = STACK_CTR_tcp_enter_last_ack,
    [TCPS_TIME_WAIT] = STACK_CTR_tcp_enter_time_wait,
};

/* Stops every timer of c. */
static void tcp_timers_stop(struct stack *s, struct tcp_conn *c)
{
	c->t_rexmt = c->t_delack = c->t_keep = c->t_2msl = 0;
	c->t_reo = c->t_tlp = 0;
	c->persist = false;
	tcp_timer_update(s, c);
}

void tcp_set_state(struct stack *s, uint64_t now, struct tcp_conn *c,
		   enum tcp_state st)
{
	bool ok = tcp_transition_ok(c->state, st);

	assert(ok); /* an impossible transition is a bug */
	if (!ok) {
		COUNT(s, tcp_bad_transitions);
		return;
	}
	s->counters[tcp_enter_counter[st]]++;
	c->state = st;
	switch (st) {
	case TCPS_ESTABLISHED:
		tcp_cc_start(s, c);
		break;
	case TCPS_FIN_WAIT_2:
		if (c->user_closed) {
			c->t_keep = now + TCP_FIN_WAIT_2_NS;
			tcp_timer_update(s, c);
		}
		break;
	case TCPS_TIME_WAIT:
		tcp_orphan_uncount(s, c); /* Linux counts it apart, too */
		tcp_timers_stop(s, c);
		c->t_2msl = now + TCP_TIME_WAIT_NS; /* MUST-13 */
		tcp_mem_unwait(s, c);
		tcp_sndbuf_free(s, &c->sndbuf);
		tcp_txr_free(c);
		tcp_timer_update(s, c);
		break;
	case TCPS_CLOSED:
		tcp_orphan_uncount(s, c);
		tcp_timers_stop(s, c);
		tcp_mem_unwait(s, c);
		tcp_sndbuf_free(s, &c->sndbuf);
		tcp_txr_free(c);
		break;
	default:
		break;
	}
}

/* ---- SipHash-2-4 (Aumasson and Bernstein), for RFC 6528 ---- */

#define SIP_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIP_ROUND                                                              \
	do {                                                                   \
		v0 += v1;                                                      \
		v1 = SIP_ROTL(v1, 13);                                         \
		v1 ^= v0;                                                      \
		v0 = SIP_ROTL(v0, 32);                                         \
		v2 += v3;                                                      \
		v3 = SIP_ROTL(v3, 16);                                         \
		v3 ^= v2;                                                      \
		v0 += v3;                                                      \
		v3 = SIP_ROTL(v3, 21);                                         \
		v3 ^= v0;                                                      \
		v2 += v1;                                                      \
		v1 = SIP_ROTL(v1, 17);                                         \
		v1 ^= v2;                                                      \
		v2 = SIP_ROTL(v2, 32);                                         \
	} while (0)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* SipHash-2-4 of two 64-bit words (16 bytes of message). */
static uint64_t siphash_2w(const uint8_t key[16], uint64_t m0, uint64_t m1)
{
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ull ^ k0;
	uint64_t v1 = 0x646f72616e646f6dull ^ k1;
	uint64_t v2 = 0x6c7967656e657261ull ^ k0;
	uint64_t v3 = 0x7465646279746573ull ^ k1;
	uint64_t last = (uint64_t)16 << 56;

	v3 ^= m0;
	SIP_ROUND;
	SIP_ROUND;
	v0 ^= m0;
	v3 ^= m1;
	SIP_ROUND;
	SIP_ROUND;
	v0 ^= m1;
	v3 ^= last;
	SIP_ROUND;
	SIP_ROUND;
	v0 ^= last;
	v2 ^= 0xff;
	SIP_ROUND;
	SIP_ROUND;
	SIP_ROUND;
	SIP_ROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint32_t tcp_isn(const struct stack *s, uint64_t now, uint32_t laddr,
		 uint16_t lport, uint32_t raddr, uint16_t rport)
{
	uint64_t h = siphash_2w(s->tcp->secret, ((uint64_t)laddr << 32) | raddr,
				((uint64_t)lport << 16) | rport);
	/* RFC 6528 3: M is a timer that ticks every 4 microseconds
	 * (MUST-8), plus a keyed hash, a PRF (SHLD-1) no one outside can
	 * compute (MUST-9). */
	uint32_t m = (uint32_t)((now - s->tcp->boot_ns) / 4000);

	return m + (uint32_t)h;
}

uint32_t tcp_tuple_hash(const struct stack *s, uint32_t laddr, uint16_t lport,
			uint32_t raddr, uint16_t rport, uint32_t domain)
{
	return (uint32_t)siphash_2w(
	    s->tcp->secret, ((uint64_t)laddr << 32) | raddr,
	    ((uint64_t)domain << 32) | ((uint64_t)lport << 16) | rport);
}

uint32_t tcp_ts_now(const struct stack *s, const struct tcp_conn *c,
		    uint64_t now)
{
	/* A 1 ms timestamp clock (RFC 7323 5.4 allows 1 ms to 1 s),
	 * offset per connection so it reveals nothing about uptime. */
	return (uint32_t)((now - s->tcp->boot_ns) / 1000000) + c->ts_offset;
}

/* ---- parsing ---- */

int tcp_parse(const uint8_t *buf, size_t len, struct tcp_seg *seg)
{
	const uint8_t *opt, *end;
	uint8_t hdr_len;

	if (len < TCP_HDR_LEN)
		return TCP_PARSE_SHORT;
	hdr_len = TCP_DOFF_LEN(buf[TCP_OFF_DOFF]);
	if (hdr_len < TCP_HDR_LEN || hdr_len > len)
		return TCP_PARSE_OFFSET;
	*seg = (struct tcp_seg){
	    .sport = get_be16(buf + TCP_OFF_SPORT),
	    .dport = get_be16(buf + TCP_OFF_DPORT),
	    .seq = get_be32(buf + TCP_OFF_SEQ),
	    .ack = get_be32(buf + TCP_OFF_ACK),
	    .flags = buf[TCP_OFF_FLAGS],
	    .hdr_len = hdr_len,
	    .wnd = get_be16(buf + TCP_OFF_WINDOW),
	    .urp = get_be16(buf + TCP_OFF_URP),
	    .data = buf + hdr_len,
	    .len = (uint32_t)(len - hdr_len),
	};
	opt = buf + TCP_HDR_LEN;
	end = buf + hdr_len;
	/* MUST-5: options in any segment; MUST-64: at any alignment. */
	while (opt < end) {
		uint8_t kind = opt[0], olen;

		/* MUST-4: end of list, no-operation and MSS. */
		if (kind == TCP_OPT_EOL)
			break;
		if (kind == TCP_OPT_NOP) {
			opt++;
			continue;
		}
		if (end - opt < 2)
			return TCP_PARSE_OPTIONS;
		olen = opt[1];
		if (olen < 2 || olen > end - opt)
			return TCP_PARSE_OPTIONS; /* MUST-7, MUST-68 */
		switch (kind) {
		case TCP_OPT_MSS: /* SYN only */
			if (olen == TCP_OPTLEN_MSS && (seg->flags & TCP_SYN)) {
				seg->has_mss = true;
				seg->mss = get_be16(opt + 2);
			}
			break;
		case TCP_OPT_WSCALE: /* SYN only */
			if (olen == TCP_OPTLEN_WSCALE &&
			    (seg->flags & TCP_SYN)) {
				seg->has_ws = true;
				seg->ws = opt[2];
			}
			break;
		case TCP_OPT_SACK_PERMITTED: /* SYN only */
			if (olen == TCP_OPTLEN_SACK_PERMITTED &&
			    (seg->flags & TCP_SYN))
				seg->sack_permitted = true;
			break;
		case TCP_OPT_SACK:
			if ((olen - TCP_OPTLEN_SACK(0)) % 8 == 0) {
				int n = (olen - TCP_OPTLEN_SACK(0)) / 8;
				if (n > TCP_SACK_BLOCKS_MAX)
					n = TCP_SACK_BLOCKS_MAX;
				for (int i = 0; i < n; i++) {
					seg->sack[i][0] =
					    get_be32(opt + 2 + 8 * i);
					seg->sack[i][1] =
					    get_be32(opt + 6 + 8 * i);
				}
				seg->nsack = (uint8_t)n;
			}
			break;
		case TCP_OPT_TIMESTAMP:
			if (olen == TCP_OPTLEN_TIMESTAMP) {
				seg->has_ts = true;
				seg->tsval = get_be32(opt + 2);
				seg->tsecr = get_be32(opt + 6);
			}
			break;
		default: /* unknown options are skipped (MUST-6) */
			break;
		}
		opt += olen;
	}
	return TCP_PARSE_OK;
}

/* ---- the table ---- */

int tcp_init(struct stack *s)
{
	struct tcp_table *t = calloc(1, sizeof(*t));
	uint32_t nb = 64;

	if (!t)
		return -ENOMEM;
	s->tcp = t;
	t->max = s->lim.tcp_conns_max;
	while (nb < t->max)
		nb <<= 1;
	t->nbuckets = nb;
	t->conns = calloc(t->max, sizeof(*t->conns));
	t->heap = calloc(t->max, sizeof(*t->heap));
	t->buckets = malloc(nb * sizeof(*t->buckets));
	t->listeners_max = s->lim.tcp_listeners_max;
	t->listeners = calloc(t->listeners_max, sizeof(*t->listeners));
	if (!t->conns || !t->heap || !t->buckets || !t->listeners)
		return -ENOMEM;
	for (uint32_t i = 0; i < nb; i++)
		t->buckets[i] = -1;
	for (int i = 0; i < 16; i += 8) {
		uint64_t r = rng_next(&s->rng);
		memcpy(t->secret + i, &r, 8);
	}
	pkt_pool_init(&t->chunk_pool, s->lim.tcp_chunks_max, 0);
	for (int q = 0; q < TCP_MEM_WAIT_QUEUES; q++)
		t->mem_wait_head[q] = t->mem_wait_tail[q] = -1;
	for (int k = 0; k < PKT_CLASS_COUNT; k++)
		t->ooo_holders[k] = -1;
	t->chunks_reserve = s->lim.tcp_chunks_reserve;
	if (t->chunks_reserve > s->lim.tcp_chunks_max / 4)
		t->chunks_reserve = s->lim.tcp_chunks_max / 4;
	t->port_next = (uint32_t)rng_next(&s->rng);
	t->invalid_ack_second = UINT64_MAX;
	return 0;
}

void tcp_destroy(struct stack *s)
{
	struct tcp_table *t = s->tcp;

	if (!t)
		return;
	for (int q = 0; q < TCP_MEM_WAIT_QUEUES; q++)
		t->mem_wait_head[q] = -1; /* nobody to wake as buffers go */
	if (t->conns) {
		for (uint32_t i = 0; i < t->max; i++) {
			struct tcp_conn *c = t->conns[i];
			if (!c)
				continue;
			tcp_sndbuf_free(s, &c->sndbuf);
			tcp_txr_free(c);
			tcp_rcv_free(s, c);
			free(c);
		}
	}
	pkt_pool_destroy(&t->chunk_pool);
	free(t->conns);
	free(t->heap);
	free(t->buckets);
	free(t->listeners);
	free(t);
	s->tcp = NULL;
}

static uint32_t tcp_hash(const struct tcp_table *t, uint32_t laddr,
			 uint16_t lport, uint32_t raddr, uint16_t rport)
{
	uint32_t h = raddr * 0x9e3779b1u;

	h ^= ((uint32_t)rport << 16 | lport) * 0x85ebca6bu;
	h ^= laddr * 0xc2b2ae35u;
	h ^= h >> 15;
	return h & (t->nbuckets - 1);
}

struct tcp_conn *tcp_conn_lookup(struct stack *s, uint32_t laddr,
				 uint16_t lport, uint32_t raddr, uint16_t rport)
{
	struct tcp_table *t = s->tcp;
	int32_t i = t->buckets[tcp_hash(t, laddr, lport, raddr, rport)];

	while (i >= 0) {
		struct tcp_conn *c = t->conns[i];
		if (c->lport == lport && c->rport == rport &&
		    c->raddr == raddr && c->laddr == laddr)
			return c;
		i = c->hash_next;
	}
	return NULL;
}

struct tcp_conn *tcp_conn_get(struct stack *s, int id)
{
	if (id < 0 || (uint32_t)id >= s->tcp->max)
		return NULL;
	return s->tcp->conns[id];
}

void tcp_conn_hash(struct stack *s, struct tcp_conn *c)
{
	struct tcp_table *t = s->tcp;
	uint32_t b = tcp_hash(t, c->laddr, c->lport, c->raddr, c->rport);

	c->hash_next = t->buckets[b];
	t->buckets[b] = c->id;
}

void tcp_conn_unhash(struct stack *s, struct tcp_conn *c)
{
	struct tcp_table *t = s->tcp;
	int32_t *link =
	    &t->buckets[tcp_hash(t, c->laddr, c->lport, c->raddr, c->rport)];

	while (*link >= 0 && *link != c->id)
		link = &t->conns[*link]->hash_next;
	if (*link == c->id)
		*link = c->hash_next;
	c->hash_next = -1;
}

/* The TIME_WAIT connection that has waited longest among those the
 * user let go of, or NULL. One the user still holds is the user's: its
 * id stays its own until tcp_close() (freeing it would give the id to
 * the new connection at once, while the user holds it and its events
 * are dropped). */
static struct tcp_conn *tcp_oldest_time_wait(struct stack *s)
{
	struct tcp_conn *best = NULL;

	for (uint32_t i = 0; i < s->tcp->max; i++) {
		struct tcp_conn *c = s->tcp->conns[i];
		if (c && c->state == TCPS_TIME_WAIT && c->user_closed &&
		    (!best || c->t_2msl < best->t_2msl))
			best = c;
	}
	return best;
}

struct tcp_conn *tcp_conn_new(struct stack *s, uint64_t now)
{
	struct tcp_table *t = s->tcp;
	struct tcp_conn *c;
	uint32_t id;

	(void)now;
	if (t->count >= t->max) {
		struct tcp_conn *tw = tcp_oldest_time_wait(s);
		if (!tw) {
			COUNT(s, tcp_conns_table_full);
			return NULL;
		}
		COUNT(s, tcp_time_wait_recycled);
		tcp_conn_free(s, tw);
	}
	/* Search from where the last search ended: O(1) on average. */
	for (id = t->id_hint; t->conns[id]; id = (id + 1) % t->max)
		;
	t->id_hint = (id + 1) % t->max;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->id = (int32_t)id;
	c->hash_next = -1;
	c->heap_pos = -1;
	c->listener = -1;
	c->accept_next = -1;
	c->state = TCPS_CLOSED;
	pkt_queue_init(&c->rcvq);
	pkt_queue_init(&c->sndbuf.chunks);
	t->conns[id] = c;
	t->count++;
	return c;
}

void tcp_conn_free(struct stack *s, struct tcp_conn *c)
{
	struct tcp_table *t = s->tcp;

	tcp_conn_unhash(s, c);
	tcp_orphan_uncount(s, c);
	c->t_rexmt = c->t_delack = c->t_keep = c->t_2msl = 0;
	c->t_reo = c->t_tlp = 0;
	tcp_timer_update(s, c);
	tcp_mem_unwait(s, c);
	tcp_sndbuf_free(s, &c->sndbuf);
	tcp_txr_free(c);
	tcp_rcv_free(s, c);
	t->conns[c->id] = NULL;
	t->count--;
	stack_forget_events(s, STACK_EV_TCP_CONN_ALL, c->id);
	free(c);
}

bool tcp_orphan_count(struct stack *s, struct tcp_conn *c)
{
	if (c->orphan_counted)
		return true;
	if (s->tcp->orphans >= s->lim.tcp_orphans_max)
		return false;
	s->tcp->orphans++;
	c->orphan_counted = true;
	return true;
}

void tcp_orphan_uncount(struct stack *s, struct tcp_conn *c)
{
	if (!c->orphan_counted)
		return;
	s->tcp->orphans--;
	c->orphan_counted = false;
}

/* MUST-47: errors reach the user as events carrying c->error. */
void tcp_event(struct stack *s, struct tcp_conn *c, enum stack_event_type type)
{
	struct stack_event ev = {
	    .type = type, .sock = c->id, .error = c->error};

	if (c->user_closed || c->listener >= 0)
		return;
	stack_push_event(s, &ev);
}

bool tcp_fail(struct stack *s, struct tcp_conn *c, int error)
{
	if (c->state == TCPS_CLOSED)
		return false;
	if (c->listener >= 0)
		tcp_listener_unlink(s, c); /* not accepted yet */
	c->error = error;
	/* Entering CLOSED arms no timer: it needs no time. */
	tcp_set_state(s, 0, c, TCPS_CLOSED);
	if (c->user_closed || c->listener >= 0) {
		tcp_conn_free(s, c);
		return true;
	}
	tcp_event(s, c, STACK_EV_TCP_ERROR);
	return false;
}

void tcp_conn_setup(struct stack *s, struct tcp_conn *c,
		    const struct tcp_sockopts *o)
{
	uint32_t mtu = s->ifs[c->ifindex].mtu;
	uint32_t mss = mtu - IPV4_HDR_LEN - TCP_HDR_LEN;
	uint32_t wnd;

	/* TCP_MAXSEG clamps what we advertise, and so what we use too
	 * (c->mss is the smaller of the peer's and ours), as Linux's
	 * user_mss does. */
	if (o->maxseg && o->maxseg < mss)
		mss = o->maxseg;
	c->our_mss = (uint16_t)(mss > 65535 ? 65535 : mss);
	c->mss = TCP_DEFAULT_MSS;
	c->rcvbuf_set = o->rcvbuf;
	c->linger = o->linger;
	c->linger_s = o->linger_s;
	c->maxseg = o->maxseg;
	c->tos = (uint8_t)(o->tos & ~TCP_TOS_ECN_MASK);
	c->ttl = o->ttl;
	c->rack_reo_mult = 1; /* RFC 8985 6.1 */
	c->nodelay = o->nodelay;
	c->keepalive = o->keepalive;
	c->keepidle_s = o->keepidle_s;
	c->keepintvl_s = o->keepintvl_s;
	c->keepcnt = (uint8_t)o->keepcnt; /* < 256: tcp_sockopts_valid */
	c->sndbuf_max = o->sndbuf;
	c->rcv_wnd_max = o->rcvbuf;
	c->rcvbuf_lock = o->rcvbuf_lock;
	c->rcv_space = TCP_INIT_CWND_SEGS * (uint32_t)c->our_mss;
	if (c->rcv_space > c->rcv_wnd_max)
		c->rcv_space = c->rcv_wnd_max;
	/* The smallest scale that lets the buffer be advertised, at the
	 * size auto-tuning may grow it to (as Linux scales for tcp_rmem[2]). */
	wnd = tcp_rcv_tunable(s, c) ? s->lim.tcp_rcvbuf_max : c->rcv_wnd_max;
	c->rcv_wscale = 0;
	while (c->rcv_wscale < TCP_MAX_WSCALE &&
	       (65535u << c->rcv_wscale) < wnd)
		c->rcv_wscale++;
	c->rto = TCP_RTO_INITIAL_NS;
	c->cc = s->lim.tcp_cubic ? &tcp_cc_cubic : &tcp_cc_newreno;
	/* RFC 7323 5.4: a per-connection offset, from the 4-tuple so that
	 * a SYN cookie's connection finds the same one. */
	c->ts_offset =
	    tcp_tuple_hash(s, c->laddr, c->lport, c->raddr, c->rport, 0);
}
