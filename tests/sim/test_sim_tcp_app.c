/*
 * test_sim_tcp_app.c - a TCP application for the simulated network,
 * shared by the test_sim_tcp_*.c scenarios (each #includes this file;
 * it is not built on its own)
 *
 * A `struct tapp` is the application on one stack node: it may listen
 * (accepting every connection into a flow) and open connections. A
 * `struct tflow` is one end of a connection: it sends `tx_total` bytes
 * of a pattern indexed by offset, reads with tcp_recv_peek /
 * tcp_recv_consume and checks every byte against the peer's pattern,
 * shuts down when it has sent everything and closes once it has also
 * seen EOF. Every event on the node pumps every flow of the node (reads
 * and writes what it can), since WRITABLE only follows a write that
 * did not fit.
 *
 * Pattern keys: a flow's bytes depend on the client's local port, so a
 * byte delivered to the wrong connection or at the wrong offset shows.
 * The client sends key (port), the server key (port ^ TKEY_REVERSE).
 */
#include <stdio.h>

#include "sim_test.h"
/* Internals, read only: the send-buffer chunk pool, which
 * stack_pool_info() does not report. */
#include "tcp.h"

#define TAPP_FLOWS_MAX 128
#define TAPP_PORT      5001
#define TKEY_REVERSE   0xa5a5u
#define TX_FOREVER     UINT64_MAX
#define TAPP_CHUNK     (64 * 1024)

/* The pattern: byte `off` of the stream with key `key`. */
static inline uint64_t pattern_word(uint32_t key, uint64_t word)
{
	uint64_t x = word * 0x9e3779b97f4a7c15ull ^ ((uint64_t)key << 40) ^ key;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	return x;
}

static inline void pattern_fill(uint8_t *buf, uint32_t key, uint64_t off,
				size_t len)
{
	for (size_t i = 0; i < len;) {
		uint64_t o = off + i;
		uint64_t w = pattern_word(key, o >> 3);
		for (unsigned b = (unsigned)(o & 7); b < 8 && i < len; b++, i++)
			buf[i] = (uint8_t)(w >> (b * 8));
	}
}

/* Returns the index of the first byte that differs, or len. */
static inline size_t pattern_check(const uint8_t *buf, uint32_t key,
				   uint64_t off, size_t len)
{
	for (size_t i = 0; i < len;) {
		uint64_t o = off + i;
		uint64_t w = pattern_word(key, o >> 3);
		for (unsigned b = (unsigned)(o & 7); b < 8 && i < len; b++, i++)
			if (buf[i] != (uint8_t)(w >> (b * 8)))
				return i;
	}
	return len;
}

struct tapp;

struct tflow {
	struct tapp *app;
	int conn; /* -1: none */
	bool client;
	uint32_t key_tx, key_rx;
	uint64_t tx_total; /* TX_FOREVER: never shut down */
	uint64_t tx_done;  /* bytes tcp_send took */
	uint64_t rx_bytes; /* bytes read (checked) */
	uint64_t rx_bad;   /* reads that held a wrong byte */
	uint64_t rx_first_bad;
	bool hold_rx; /* the application does not read */
	bool connected, eof, shut, closed;
	int error;		       /* positive errno of a failure */
	enum tcp_state state_at_eof;   /* when EOF was read */
	enum tcp_state state_at_close; /* just before tcp_close */
	uint64_t t_start, t_connected, t_tx_done, t_eof, t_closed;
	uint64_t eof_reads; /* EOF seen again after the first time */
};

struct tapp {
	struct sim *sim;
	struct sim_node *node;
	int listener;	     /* -1: none */
	uint64_t accept_tx;  /* what an accepted flow sends */
	bool no_close;	     /* do not close when done (tests close) */
	bool shut_after_eof; /* an accepted flow shuts down only after EOF */
	struct tflow flows[TAPP_FLOWS_MAX];
	int nflows;
	uint64_t accepted;
	uint64_t ev_count[STACK_EV_TCP_ERROR + 1];
	uint64_t stray_events; /* events for ids no flow has */
	uint64_t send_errors;  /* tcp_send errors other than -EAGAIN */
	/* Optional: called after every event the node handled. */
	void (*after_event)(struct tapp *app, const struct stack_event *ev);
	void *user;
};

static inline struct stack *tapp_stack(const struct tapp *app)
{
	return sim_node_stack(app->node);
}

/* The record of connection `id`; false when it is not there. */
static inline bool tapp_conn_info(struct stack *s, uint64_t now, int id,
				  struct stack_tcp_info *out)
{
	(void)now;
	return tcp_conn_info(s, id, out) == 0;
}

/* Connections (not listeners) the stack holds. */
static inline size_t tcp_conn_count(struct stack *s, uint64_t now)
{
	static struct stack_tcp_info infos[1024];
	size_t n = stack_tcp_snapshot(s, now, infos, 1024), conns = 0;

	ck_assert_uint_le(n, 1024);
	for (size_t i = 0; i < n; i++)
		conns += !infos[i].listener;
	return conns;
}

static inline enum tcp_state tflow_state(struct tflow *f)
{
	struct stack_tcp_info info;
	struct tapp *app = f->app;

	if (!tapp_conn_info(tapp_stack(app), sim_now(app->sim), f->conn, &info))
		return TCPS_CLOSED;
	return info.state;
}

static inline void tflow_read(struct tflow *f)
{
	struct tapp *app = f->app;
	struct stack *s = tapp_stack(app);

	for (;;) {
		const uint8_t *d;
		size_t n;
		int r = tcp_recv_peek(s, f->conn, &d, &n);

		if (r == -EAGAIN)
			return;
		if (r < 0) {
			f->error = -r;
			return;
		}
		if (n == 0) {
			if (f->eof) {
				f->eof_reads++;
				return;
			}
			f->eof = true;
			f->t_eof = sim_now(app->sim);
			f->state_at_eof = tflow_state(f);
			return;
		}
		if (f->eof) /* data after EOF */
			f->rx_bad++;
		size_t ok = pattern_check(d, f->key_rx, f->rx_bytes, n);
		if (ok != n) {
			if (!f->rx_bad)
				f->rx_first_bad = f->rx_bytes + ok;
			f->rx_bad++;
		}
		f->rx_bytes += n;
		tcp_recv_consume(s, sim_now(app->sim), f->conn, n);
	}
}

static inline void tflow_write(struct tflow *f)
{
	static uint8_t buf[TAPP_CHUNK];
	struct tapp *app = f->app;
	struct stack *s = tapp_stack(app);

	while (f->tx_done < f->tx_total) {
		size_t room = tcp_send_space(s, f->conn);
		uint64_t left = f->tx_total - f->tx_done;
		size_t len = room < sizeof(buf) ? room : sizeof(buf);
		long n;

		if (len > left)
			len = (size_t)left;
		if (len == 0)
			len = 1; /* asks for WRITABLE: returns -EAGAIN */
		pattern_fill(buf, f->key_tx, f->tx_done, len);
		n = tcp_send(s, sim_now(app->sim), f->conn, buf, len);
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			app->send_errors++;
			f->error = (int)-n;
			return;
		}
		f->tx_done += (uint64_t)n;
		if ((size_t)n < len)
			return;
	}
}

/* Reads and writes what it can; shuts down and closes when done. */
static inline void tflow_pump(struct tflow *f)
{
	struct tapp *app = f->app;
	struct stack *s = tapp_stack(app);
	uint64_t now = sim_now(app->sim);

	if (f->conn < 0 || !f->connected || f->closed || f->error)
		return;
	if (!f->hold_rx)
		tflow_read(f);
	if (f->error)
		return;
	tflow_write(f);
	if (f->error)
		return;
	if (f->tx_done == f->tx_total && !f->shut &&
	    (!app->shut_after_eof || f->client || f->eof)) {
		ck_assert_int_eq(tcp_shutdown(s, now, f->conn), 0);
		f->shut = true;
		f->t_tx_done = now;
	}
	if (f->shut && f->eof && !app->no_close) {
		f->state_at_close = tflow_state(f);
		tcp_close(s, now, f->conn);
		f->closed = true;
		f->t_closed = now;
	}
}

static inline struct tflow *tapp_flow_by_conn(struct tapp *app, int conn)
{
	for (int i = 0; i < app->nflows; i++)
		if (app->flows[i].conn == conn && !app->flows[i].closed)
			return &app->flows[i];
	return NULL;
}

static inline struct tflow *tapp_new_flow(struct tapp *app, int conn)
{
	struct tflow *f;

	ck_assert_int_lt(app->nflows, TAPP_FLOWS_MAX);
	f = &app->flows[app->nflows++];
	memset(f, 0, sizeof(*f));
	f->app = app;
	f->conn = conn;
	return f;
}

static inline void tapp_on_event(struct sim *sim, struct sim_node *node,
				 const struct stack_event *ev, void *arg)
{
	struct tapp *app = arg;
	struct stack *s = sim_node_stack(node);
	struct tflow *f;

	(void)sim;
	if (ev->type <= STACK_EV_TCP_ERROR)
		app->ev_count[ev->type]++;
	switch (ev->type) {
	case STACK_EV_TCP_ACCEPTABLE: {
		uint32_t raddr;
		uint16_t rport;
		int c;
		if (ev->sock != app->listener) {
			app->stray_events++;
			break;
		}
		while ((c = tcp_accept(s, app->listener, &raddr, &rport)) >=
		       0) {
			f = tapp_new_flow(app, c);
			f->connected = true;
			f->t_start = f->t_connected = sim_now(app->sim);
			f->key_rx = rport;
			f->key_tx = rport ^ TKEY_REVERSE;
			f->tx_total = app->accept_tx;
			app->accepted++;
		}
		ck_assert_int_eq(c, -EAGAIN);
		break;
	}
	case STACK_EV_TCP_CONNECTED:
		f = tapp_flow_by_conn(app, ev->sock);
		if (!f) {
			app->stray_events++;
			break;
		}
		f->connected = true;
		f->t_connected = sim_now(app->sim);
		break;
	case STACK_EV_TCP_ERROR:
		f = tapp_flow_by_conn(app, ev->sock);
		if (!f) {
			app->stray_events++;
			break;
		}
		f->error = ev->error;
		break;
	case STACK_EV_TCP_READABLE:
	case STACK_EV_TCP_WRITABLE:
		if (!tapp_flow_by_conn(app, ev->sock))
			app->stray_events++;
		break;
	default:
		break;
	}
	for (int i = 0; i < app->nflows; i++)
		tflow_pump(&app->flows[i]);
	if (app->after_event)
		app->after_event(app, ev);
}

static inline void tapp_listen(struct tapp *app, uint64_t accept_tx,
			       const struct tcp_sockopts *o)
{
	app->accept_tx = accept_tx;
	app->listener = tcp_listen(tapp_stack(app), 0, TAPP_PORT, 256, o);
	ck_assert_int_ge(app->listener, 0);
}

/* Opens a connection to dst that will send tx bytes. */
static inline struct tflow *tapp_connect(struct tapp *app, uint32_t dst,
					 uint64_t tx,
					 const struct tcp_sockopts *o)
{
	struct stack *s = tapp_stack(app);
	struct stack_tcp_info info;
	uint64_t now = sim_now(app->sim);
	int c = tcp_connect(s, now, 0, 0, dst, TAPP_PORT, o);
	struct tflow *f;

	ck_assert_int_ge(c, 0);
	f = tapp_new_flow(app, c);
	f->client = true;
	f->t_start = now;
	f->tx_total = tx;
	ck_assert(tapp_conn_info(s, now, c, &info));
	f->key_tx = info.local_port;
	f->key_rx = info.local_port ^ TKEY_REVERSE;
	return f;
}

/* ---- two hosts with a TCP application each ---- */

struct tpair {
	struct sim *sim;
	struct sim_node *a, *b;
	struct sim_link *link;
	struct tapp app_a, app_b;
};

static inline void tpair_setup(struct tpair *p, uint64_t seed,
			       const struct sim_link_params *ab,
			       const struct sim_link_params *ba,
			       const struct stack_limits *lim)
{
	memset(p, 0, sizeof(*p));
	p->sim = sim_new(&(struct sim_config){.seed = seed});
	ck_assert_ptr_nonnull(p->sim);
	p->app_a.sim = p->app_b.sim = p->sim;
	p->app_a.listener = p->app_b.listener = -1;
	p->a = sim_add_host(p->sim, "A", ADDR_A, 24, MTU, lim, tapp_on_event,
			    &p->app_a);
	p->b = sim_add_host(p->sim, "B", ADDR_B, 24, MTU, lim, tapp_on_event,
			    &p->app_b);
	ck_assert_ptr_nonnull(p->a);
	ck_assert_ptr_nonnull(p->b);
	p->app_a.node = p->a;
	p->app_b.node = p->b;
	p->link = sim_link(p->sim, p->a, 0, p->b, 0, ab, ba);
	ck_assert_ptr_nonnull(p->link);
}

static inline void tpair_teardown(struct tpair *p)
{
	sim_assert_clean(p->sim);
	link_assert_balanced(p->link, SIM_AB);
	link_assert_balanced(p->link, SIM_BA);
	sim_free(p->sim);
}

static inline bool tflows_busy(struct sim *sim, void *arg)
{
	struct tpair *p = arg;
	struct tapp *apps[2] = {&p->app_a, &p->app_b};

	(void)sim;
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < apps[k]->nflows; i++) {
			struct tflow *f = &apps[k]->flows[i];
			if (!f->closed && !f->error)
				return true;
		}
	return p->app_a.nflows == 0 && p->app_b.nflows == 0;
}

/* Runs until every flow of both applications is closed or failed. */
static inline int tpair_run_flows(struct tpair *p, uint64_t limit)
{
	return sim_run_while(p->sim, tflows_busy, p, limit);
}

static inline bool tpair_has_conns(struct sim *sim, void *arg)
{
	struct tpair *p = arg;

	return tcp_conn_count(sim_node_stack(p->a), sim_now(sim)) ||
	       tcp_conn_count(sim_node_stack(p->b), sim_now(sim));
}

/* Checks one flow received exactly `len` intact bytes and EOF. */
static inline void tflow_assert_received(const struct tflow *f, uint64_t len)
{
	ck_assert_msg(f->rx_bad == 0,
		      "corrupt stream: first bad byte at offset %" PRIu64,
		      f->rx_first_bad);
	ck_assert_uint_eq(f->rx_bytes, len);
	ck_assert(f->eof);
	ck_assert_int_eq(f->error, 0);
}

/* Both stacks hold no connection, no listener and no buffer once every
 * timer that may hold one ran out: TIME_WAIT (2 MSL, 60 s, restarted
 * by a repeated FIN), an orphan's FIN_WAIT_2, and IP reassembly. */
static inline void tpair_assert_all_freed(struct tpair *p)
{
	struct stack *sa = sim_node_stack(p->a), *sb = sim_node_stack(p->b);
	uint64_t now = sim_now(p->sim);

	if (p->app_a.listener >= 0)
		tcp_listen_close(sa, now, p->app_a.listener);
	if (p->app_b.listener >= 0)
		tcp_listen_close(sb, now, p->app_b.listener);
	p->app_a.listener = p->app_b.listener = -1;
	sim_run_until(p->sim, now + SIM_SEC(62));
	ck_assert_int_eq(
	    sim_run_while(p->sim, tpair_has_conns, p, now + SIM_SEC(200)), 0);
	sim_run_until(p->sim, sim_now(p->sim) + SIM_SEC(1));
	ck_assert_uint_eq(stack_tcp_snapshot(sa, sim_now(p->sim), NULL, 0), 0);
	ck_assert_uint_eq(stack_tcp_snapshot(sb, sim_now(p->sim), NULL, 0), 0);
	ck_assert(pool_empty(p->a));
	ck_assert(pool_empty(p->b));
	for (int c = 0; c < PKT_CLASS_COUNT; c++) {
		ck_assert_uint_eq(sa->tcp->chunk_pool.in_use[c], 0);
		ck_assert_uint_eq(sb->tcp->chunk_pool.in_use[c], 0);
	}
}

/* The link's parameters for a lossy path. */
static inline struct sim_link_params lossy(uint64_t delay_ns, uint64_t bps,
					   uint32_t queue, uint32_t loss_ppm)
{
	return (struct sim_link_params){.delay_ns = delay_ns,
					.bandwidth_bps = bps,
					.queue_bytes_max = queue,
					.loss_ppm = loss_ppm};
}

static inline double mbit(uint64_t bytes, uint64_t ns)
{
	return ns ? (double)bytes * 8.0 * 1e3 / (double)ns : 0.0;
}

/* TCP header of an Ethernet frame carrying IPv4/TCP, else NULL; the
 * payload length in *plen. */
static inline const uint8_t *frame_tcp(const uint8_t *f, size_t len,
				       size_t *plen)
{
	size_t ihl, total, thl;

	if (len < 14 + 20 + 20 || f[12] != 0x08 || f[13] != 0x00)
		return NULL;
	f += 14;
	ihl = (size_t)(f[0] & 15) * 4;
	total = get_be16(f + 2);
	if (f[9] != 6 || ihl < 20 || total > len - 14 || total < ihl + 20)
		return NULL;
	thl = (size_t)(f[ihl + 12] >> 4) * 4;
	if (thl < 20 || ihl + thl > total)
		return NULL;
	if (plen)
		*plen = total - ihl - thl;
	return f + ihl;
}

/* ---- one bulk transfer A -> B, checked from open to the last free ---- */

#define BULK_DELAY	   SIM_MS(10)
#define BULK_BPS	   100000000ull
#define BULK_QUEUE	   250000u /* about one bandwidth-delay product */
#define BULK_REORDER_DELAY SIM_MS(1)

struct bulk_params {
	uint64_t seed;
	uint64_t bytes;
	uint32_t loss_ppm, reorder_ppm, duplicate_ppm; /* both directions */
};

struct bulk_result {
	uint64_t t_complete_ns; /* connect to the last byte and EOF at B */
	double goodput_mbit;
	uint64_t ctr_a[STACK_COUNTER_COUNT], ctr_b[STACK_COUNTER_COUNT];
	struct sim_link_stats ab, ba;
	uint64_t conn_retransmits; /* A's connection, from its snapshot */
	uint64_t time_wait_ns;	   /* A's EOF (TIME_WAIT) to its free */
	uint64_t end_ns;	   /* the clock when all was freed */
};

static inline void bulk_after_event(struct tapp *app,
				    const struct stack_event *ev)
{
	struct bulk_result *r = app->user;
	struct stack_tcp_info info;

	/* Keep A's connection counters while it is still the user's. */
	(void)ev;
	if (app->nflows == 1 && !app->flows[0].closed &&
	    tapp_conn_info(tapp_stack(app), sim_now(app->sim),
			   app->flows[0].conn, &info))
		r->conn_retransmits = info.retransmits;
}

static inline void run_bulk(const struct bulk_params *bp, struct bulk_result *r)
{
	struct sim_link_params lp =
	    lossy(BULK_DELAY, BULK_BPS, BULK_QUEUE, bp->loss_ppm);
	struct tpair p;
	struct tflow *fa, *fb;

	memset(r, 0, sizeof(*r));
	lp.reorder_ppm = bp->reorder_ppm;
	lp.reorder_delay_ns = BULK_REORDER_DELAY;
	lp.duplicate_ppm = bp->duplicate_ppm;
	tpair_setup(&p, bp->seed, &lp, &lp, NULL);
	p.app_a.user = r;
	p.app_a.after_event = bulk_after_event;
	p.app_b.shut_after_eof = true; /* B answers A's FIN: A closes first */
	tapp_listen(&p.app_b, 0, NULL);
	fa = tapp_connect(&p.app_a, ADDR_B, bp->bytes, NULL);
	ck_assert_int_eq(tpair_run_flows(&p, sim_now(p.sim) + SIM_SEC(600)), 0);
	ck_assert_int_eq(p.app_b.nflows, 1);
	fb = &p.app_b.flows[0];

	/* Every byte arrived intact, in order, once; then EOF. */
	tflow_assert_received(fb, bp->bytes);
	tflow_assert_received(fa, 0);
	ck_assert_uint_eq(fa->tx_done, bp->bytes);
	ck_assert_uint_eq(fb->eof_reads, 0);
	ck_assert_uint_eq(p.app_a.stray_events + p.app_b.stray_events, 0);
	ck_assert_uint_eq(p.app_a.send_errors + p.app_b.send_errors, 0);
	ck_assert_uint_eq(p.app_a.ev_count[STACK_EV_TCP_ERROR] +
			      p.app_b.ev_count[STACK_EV_TCP_ERROR],
			  0);
	ck_assert_uint_eq(p.app_a.ev_count[STACK_EV_TCP_CONNECTED], 1);
	ck_assert_uint_eq(p.app_b.accepted, 1);

	/* A clean close: A shut down first, B saw EOF and closed from
	 * CLOSE_WAIT (its FIN sent: LAST_ACK); A read EOF in TIME_WAIT. */
	ck_assert_int_eq(fb->state_at_eof, TCPS_CLOSE_WAIT);
	ck_assert_int_eq(fb->state_at_close, TCPS_LAST_ACK);
	ck_assert_int_eq(fa->state_at_eof, TCPS_TIME_WAIT);
	ck_assert_int_eq(fa->state_at_close, TCPS_TIME_WAIT);
	ck_assert_uint_le(tcp_conn_count(sim_node_stack(p.a), sim_now(p.sim)),
			  1);

	r->t_complete_ns = fb->t_eof - fa->t_start;
	r->goodput_mbit = mbit(bp->bytes, r->t_complete_ns);

	/* TIME_WAIT lasts 2 MSL (restarted if B's FIN came again). */
	struct sim_node *a = p.a;
	while (tcp_conn_count(sim_node_stack(a), sim_now(p.sim))) {
		uint64_t t = sim_now(p.sim);
		sim_run_until(p.sim, t + SIM_MS(100));
		ck_assert_uint_lt(sim_now(p.sim) - fa->t_eof, SIM_SEC(200));
	}
	r->time_wait_ns = sim_now(p.sim) - fa->t_eof;
	tpair_assert_all_freed(&p);
	r->end_ns = sim_now(p.sim);
	for (int c = 0; c < STACK_COUNTER_COUNT; c++) {
		r->ctr_a[c] = ctr(p.a, (enum stack_counter)c);
		r->ctr_b[c] = ctr(p.b, (enum stack_counter)c);
	}
	sim_link_stats(p.link, SIM_AB, &r->ab);
	sim_link_stats(p.link, SIM_BA, &r->ba);
	tpair_teardown(&p);
}

static inline void print_bulk(const char *name, const struct bulk_params *bp,
			      const struct bulk_result *r)
{
	printf("%s: seed %" PRIu64 " loss %.1f%% reorder %.0f%% dup %.0f%%: "
	       "%" PRIu64 " B in %.3f s simulated, goodput %.1f Mbit/s; "
	       "A: %" PRIu64 " retransmits (%" PRIu64 " fast, %" PRIu64
	       " RTO), %" PRIu64 " dup ACKs at A, %" PRIu64
	       " out-of-order segs at B; link A>B lost %" PRIu64
	       " qdrop %" PRIu64 " dup %" PRIu64 " reord %" PRIu64
	       "; TIME_WAIT %.3f s\n",
	       name, bp->seed, bp->loss_ppm / 1e4, bp->reorder_ppm / 1e4,
	       bp->duplicate_ppm / 1e4, bp->bytes, r->t_complete_ns / 1e9,
	       r->goodput_mbit, r->ctr_a[STACK_CTR_tcp_retransmits],
	       r->ctr_a[STACK_CTR_tcp_fast_retransmits],
	       r->ctr_a[STACK_CTR_tcp_rto_timeouts],
	       r->ctr_a[STACK_CTR_tcp_rx_dup_acks],
	       r->ctr_b[STACK_CTR_tcp_rx_ooo_segments], r->ab.lost,
	       r->ab.queue_drops, r->ab.duplicated, r->ab.reordered,
	       r->time_wait_ns / 1e9);
	fflush(stdout);
}
