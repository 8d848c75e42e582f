/*
 * sim.c - a deterministic discrete-event network simulator
 *
 * Theory of operation
 *
 * The simulation is a clock (`now`, ns), a set of nodes, a set of links
 * and one event queue: a binary min-heap of events keyed by (time,
 * insertion sequence), so two events due at the same instant always run
 * in the order they were scheduled and a run never depends on heap
 * layout. There are three kinds of event:
 *
 *   FRAME  a frame reaches the far end of a link direction;
 *   TIMER  a stack node's deadline (stack_next_deadline) has come;
 *   CALL   a scripted action of the scenario (sim_at).
 *
 * The main loop pops the earliest event, sets `now` to its time and
 * performs it: a frame is copied into a buffer taken from the receiving
 * stack's own pool (stack_pkt_alloc) and handed to stack_input(), or is
 * forwarded by a switch, or is given to a scripted peer's callback; a
 * timer calls stack_timer(); a call runs the scenario's function. Then
 * every node is "flushed", as the daemon does after each input: its tx
 * queue is drained onto the links of the ports the frames name, its
 * events go to the scenario's callback (which may send more, so this
 * repeats until nothing is left), and its timer is re-armed from
 * stack_next_deadline(). Buffers never cross stacks: a transmitted pkt
 * is copied into a simulator buffer (struct sim_buf, shared by a frame
 * and its duplicate through a reference count) and returned to its
 * stack at once.
 *
 * Timers: each stack node has at most one valid TIMER event, at
 * `timer_at`. Re-arming pushes a new event only when the deadline moved
 * earlier; an event whose time is no longer `timer_at` is stale and is
 * skipped when popped, and one that fires while the stack's deadline
 * has moved later calls nothing and re-arms. So stack_timer() runs only
 * when the stack says it has work, and stale events stay few. A stack
 * whose deadline is still <= now after stack_timer(now) is a bug: it
 * is counted (timer_stuck), reported on stderr, and that node's timer
 * is not armed again, so the run fails its assertions instead of
 * spinning at one instant.
 *
 * A link direction models a transmitter with a FIFO, then a wire:
 *
 *   - bandwidth: a frame of n bytes occupies the transmitter for
 *     ceil(n * 8e9 / bandwidth) ns (the frame's bytes as the stack
 *     built them: no preamble, FCS or inter-frame gap) and starts when
 *     the previous frame has finished (`busy_until`);
 *   - queue: the bytes not yet serialized at time t are
 *     (busy_until - t) * bandwidth / 8e9, the frame on the wire
 *     included; a frame that would take that over queue_bytes_max is
 *     tail-dropped (queue_drops);
 *   - then loss, scripted drops (the drop list by frame number and the
 *     filter by content) act on the frame as it leaves, so a lost frame
 *     has used its share of the bandwidth, as on a real wire;
 *   - the frame arrives delay_ns after its last bit was sent, plus
 *     reorder_delay_ns with probability reorder_ppm (later frames then
 *     overtake it); with probability duplicate_ppm a second copy
 *     arrives at the same instant right after it.
 *
 * Randomness comes from one xoshiro256** generator per link direction,
 * seeded from the simulation's seed and the direction's index, and
 * every frame accepted by the queue draws exactly three numbers (loss,
 * duplication, reordering) whatever the probabilities. A fixed seed thus
 * gives the same run, and adding a link does not change what happens on
 * the others.
 *
 * Memory: every table is fixed (SIM_NODES_MAX, SIM_LINKS_MAX,
 * SIM_SWITCH_MACS_MAX, SIM_DROP_LIST_MAX) and the heap holds at most
 * `events_max` events, allocated once in sim_new(). A frame in flight
 * is one malloc'd sim_buf, so frame memory is bounded by events_max
 * times the largest frame. When the heap is full a new event is not
 * queued: a frame is discarded, and either way events_overflow counts
 * it (a warning goes to stderr once); scenarios assert it stays 0.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "byteorder.h"
#include "rng.h"

#define SIM_NAME_MAX 16

/* ---- the random generator: the stack's own (rng.h) ---- */

/* Draws one number and returns true with probability ppm / 1e6. */
static bool sim_rng_chance(struct stack_rng *r, uint32_t ppm)
{
	uint64_t x = rng_next(r) >> 32;

	return ((x * SIM_PPM_ONE) >> 32) < ppm;
}

/* ---- state ---- */

/* A frame in flight, shared by its duplicate. */
struct sim_buf {
	uint32_t refs;
	uint32_t len;
	uint8_t data[];
};

enum sim_event_kind { SIM_EV_FRAME, SIM_EV_TIMER, SIM_EV_CALL };

struct sim_event {
	uint64_t time;
	uint64_t seq;
	enum sim_event_kind kind;
	union {
		struct {
			struct sim_link *link;
			enum sim_dir dir;
			bool duplicate;
			uint64_t frame_no;
			struct sim_buf *buf;
		} frame;
		struct sim_node *node;
		struct {
			sim_call_fn fn;
			void *arg;
		} call;
	} u;
};

enum sim_node_kind { SIM_NODE_STACK, SIM_NODE_SWITCH, SIM_NODE_SCRIPT };

struct sim_port {
	struct sim_link *link; /* NULL: nothing attached */
	enum sim_dir out_dir;  /* the link direction leaving this port */
};

struct sim_switch_mac {
	uint8_t mac[6];
	int port;
	uint64_t last_seen;
};

struct sim_node {
	struct sim *sim;
	int index;
	enum sim_node_kind kind;
	char name[SIM_NAME_MAX];
	struct sim_port ports[SIM_PORTS_MAX];
	/* SIM_NODE_STACK */
	struct stack *stack;
	sim_event_fn on_event;
	void *event_arg;
	uint64_t timer_at; /* the valid TIMER event, or NO_DEADLINE */
	bool timer_stuck;  /* stopped: see timer_stuck in sim_stats */
	/* SIM_NODE_SCRIPT */
	sim_rx_fn rx;
	void *rx_arg;
	/* SIM_NODE_SWITCH: least recently seen goes when full */
	struct sim_switch_mac macs[SIM_SWITCH_MACS_MAX];
	uint32_t nmacs;
};

struct sim_direction {
	struct sim_link_params p;
	struct sim_link_stats st;
	struct stack_rng rng;
	uint64_t busy_until; /* the transmitter is free from then on */
	uint64_t drop_list[SIM_DROP_LIST_MAX];
	uint32_t ndrops;
	struct sim_node *from, *to;
	int from_port, to_port;
};

struct sim_link {
	struct sim *sim;
	int index;
	struct sim_direction dir[2];
};

struct sim {
	uint64_t now;
	uint64_t seed;
	uint64_t seq; /* insertion counter: the heap's tie-breaker */
	struct sim_event *heap;
	uint32_t heap_len, heap_max;
	struct sim_node nodes[SIM_NODES_MAX];
	int nnodes;
	struct sim_link links[SIM_LINKS_MAX];
	int nlinks;
	struct sim_stats st;
	bool trace;
	bool overflow_warned;
	sim_tap_fn tap;
	void *tap_arg;
};

/* ---- the event heap ---- */

static bool sim_event_before(const struct sim_event *a,
			     const struct sim_event *b)
{
	return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

/* Queues ev (its seq is assigned here). Returns false when full. */
static bool sim_heap_push(struct sim *sim, struct sim_event ev)
{
	uint32_t i;

	if (sim->heap_len >= sim->heap_max) {
		sim->st.events_overflow++;
		if (!sim->overflow_warned)
			fprintf(stderr, "sim: event heap full (%u events)\n",
				sim->heap_max);
		sim->overflow_warned = true;
		return false;
	}
	ev.seq = sim->seq++;
	i = sim->heap_len++;
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		if (!sim_event_before(&ev, &sim->heap[parent]))
			break;
		sim->heap[i] = sim->heap[parent];
		i = parent;
	}
	sim->heap[i] = ev;
	return true;
}

static struct sim_event sim_heap_pop(struct sim *sim)
{
	struct sim_event top = sim->heap[0];
	struct sim_event last = sim->heap[--sim->heap_len];
	uint32_t i = 0, n = sim->heap_len;

	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n &&
		    sim_event_before(&sim->heap[c + 1], &sim->heap[c]))
			c++;
		if (!sim_event_before(&sim->heap[c], &last))
			break;
		sim->heap[i] = sim->heap[c];
		i = c;
	}
	if (n > 0)
		sim->heap[i] = last;
	return top;
}

static void sim_buf_unref(struct sim_buf *b)
{
	if (b && --b->refs == 0)
		free(b);
}

/* ---- decoding, for the trace ---- */

static void fmt_ip(char *buf, size_t size, uint32_t a)
{
	snprintf(buf, size, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
		 (a >> 8) & 255, a & 255);
}

static void decode_transport(const uint8_t *l4, size_t len, uint8_t proto,
			     char *buf, size_t size)
{
	switch (proto) {
	case 1:
		if (len < 8) {
			snprintf(buf, size, "ICMP (short)");
			return;
		}
		if (l4[0] == 0 || l4[0] == 8)
			snprintf(buf, size, "ICMP echo %s id %u seq %u",
				 l4[0] ? "request" : "reply", get_be16(l4 + 4),
				 get_be16(l4 + 6));
		else
			snprintf(buf, size, "ICMP type %u code %u", l4[0],
				 l4[1]);
		return;
	case 6: {
		static const char flag_names[] = "FSRPAUEC";
		char flags[9];
		int n = 0;
		if (len < 20) {
			snprintf(buf, size, "TCP (short)");
			return;
		}
		for (int i = 0; i < 8; i++)
			if (l4[13] & (1u << i))
				flags[n++] = flag_names[i];
		flags[n] = '\0';
		snprintf(buf, size,
			 "TCP %u > %u [%s] seq %" PRIu32 " ack %" PRIu32
			 " win %u len %zu",
			 get_be16(l4), get_be16(l4 + 2), flags,
			 get_be32(l4 + 4), get_be32(l4 + 8), get_be16(l4 + 14),
			 len - (size_t)((l4[12] >> 4) * 4u));
		return;
	}
	case 17:
		if (len < 8) {
			snprintf(buf, size, "UDP (short)");
			return;
		}
		snprintf(buf, size, "UDP %u > %u len %u", get_be16(l4),
			 get_be16(l4 + 2), get_be16(l4 + 4) - 8u);
		return;
	default:
		snprintf(buf, size, "proto %u", proto);
	}
}

void sim_decode_frame(const uint8_t *f, size_t len, char *buf, size_t size)
{
	char src[16], dst[16], l4[96] = "";
	uint16_t type, frag, ihl, total;

	if (len < 14) {
		snprintf(buf, size, "runt");
		return;
	}
	type = get_be16(f + 12);
	f += 14;
	len -= 14;
	if (type == 0x0806) {
		if (len < 28) {
			snprintf(buf, size, "ARP (short)");
			return;
		}
		fmt_ip(src, sizeof(src), get_be32(f + 14));
		fmt_ip(dst, sizeof(dst), get_be32(f + 24));
		if (get_be16(f + 6) == 1)
			snprintf(buf, size, "ARP who-has %s tell %s", dst, src);
		else
			snprintf(buf, size,
				 "ARP reply %s is-at %02x:%02x:%02x:%02x:"
				 "%02x:%02x",
				 src, f[8], f[9], f[10], f[11], f[12], f[13]);
		return;
	}
	if (type != 0x0800) {
		snprintf(buf, size, "ethertype 0x%04x", type);
		return;
	}
	if (len < 20 || (ihl = (uint16_t)((f[0] & 15u) * 4u)) < 20 ||
	    ihl > len) {
		snprintf(buf, size, "IPv4 (short)");
		return;
	}
	total = get_be16(f + 2);
	if (total > len || total < ihl)
		total = (uint16_t)len;
	fmt_ip(src, sizeof(src), get_be32(f + 12));
	fmt_ip(dst, sizeof(dst), get_be32(f + 16));
	frag = get_be16(f + 6);
	if ((frag & 0x1fff) == 0)
		decode_transport(f + ihl, total - ihl, f[9], l4, sizeof(l4));
	else
		snprintf(l4, sizeof(l4), "proto %u", f[9]);
	if (frag & 0x3fff)
		snprintf(buf, size, "%s > %s %s [frag id %u off %u%s]", src,
			 dst, l4, get_be16(f + 4), (frag & 0x1fffu) * 8u,
			 (frag & 0x2000) ? " MF" : "");
	else
		snprintf(buf, size, "%s > %s %s", src, dst, l4);
}

/* Reports a frame's fate to the trace and the tap. `arrival` is for the
 * trace of an accepted frame (0 otherwise). */
static void sim_report(struct sim *sim, const struct sim_frame_info *fi,
		       uint64_t arrival)
{
	static const char *const fate_names[] = {
	    [SIM_FATE_SENT] = "send",	   [SIM_FATE_QUEUE_DROP] = "qdrop",
	    [SIM_FATE_LOST] = "lost",	   [SIM_FATE_DROPPED] = "drop",
	    [SIM_FATE_DELIVERED] = "recv",
	};

	if (sim->trace && (fi->fate != SIM_FATE_SENT || arrival)) {
		const struct sim_direction *d = &fi->link->dir[fi->dir];
		char what[200], when[40] = "";
		sim_decode_frame(fi->data, fi->len, what, sizeof(what));
		if (arrival)
			snprintf(when, sizeof(when),
				 " (arrives %" PRIu64 ".%09" PRIu64 ")",
				 arrival / (uint64_t)STACK_NS_PER_SEC,
				 arrival % (uint64_t)STACK_NS_PER_SEC);
		fprintf(stderr,
			"sim %" PRIu64 ".%09" PRIu64 " L%d %s>%s #%" PRIu64
			" %zuB %s%s %s%s\n",
			fi->now / (uint64_t)STACK_NS_PER_SEC,
			fi->now % (uint64_t)STACK_NS_PER_SEC, fi->link->index,
			d->from->name, d->to->name, fi->frame_no, fi->len,
			fate_names[fi->fate], fi->duplicate ? "(dup)" : "",
			what, when);
	}
	if (sim->tap)
		sim->tap(sim->tap_arg, fi);
}

/* ---- links ---- */

static uint64_t sim_serialization_ns(uint64_t bytes, uint64_t bps)
{
	return (bytes * 8 * STACK_NS_PER_SEC + bps - 1) / bps;
}

static uint64_t sim_backlog_bytes(const struct sim_direction *d, uint64_t now)
{
	if (!d->p.bandwidth_bps || d->busy_until <= now)
		return 0;
	return (uint64_t)((unsigned __int128)(d->busy_until - now) *
			  d->p.bandwidth_bps / (8 * STACK_NS_PER_SEC));
}

static bool sim_drop_listed(struct sim_direction *d, uint64_t frame_no)
{
	for (uint32_t i = 0; i < d->ndrops; i++) {
		if (d->drop_list[i] == frame_no) {
			d->drop_list[i] = d->drop_list[--d->ndrops];
			return true;
		}
	}
	return false;
}

/* Queues the arrival of b; returns false (counted) when the heap is full.
 * The caller takes the reference the event holds. */
static bool sim_schedule_frame(struct sim *sim, struct sim_link *l,
			       enum sim_dir dir, uint64_t at, uint64_t frame_no,
			       struct sim_buf *b, bool duplicate)
{
	struct sim_event ev = {
	    .time = at,
	    .kind = SIM_EV_FRAME,
	    .u.frame = {.link = l,
			.dir = dir,
			.duplicate = duplicate,
			.frame_no = frame_no,
			.buf = b},
	};

	return sim_heap_push(sim, ev);
}

/* Offers a frame to one link direction at `now` (see the model above). */
static void sim_link_transmit(struct sim *sim, struct sim_link *l,
			      enum sim_dir dir, const uint8_t *data, size_t len)
{
	struct sim_direction *d = &l->dir[dir];
	struct sim_frame_info fi = {
	    .now = sim->now,
	    .link = l,
	    .dir = dir,
	    .data = data,
	    .len = len,
	    .fate = SIM_FATE_SENT,
	};
	uint64_t depart = sim->now, arrive;
	bool lose, dup, reorder;
	struct sim_buf *b;

	fi.frame_no = ++d->st.sent;
	d->st.sent_bytes += len;
	if (d->p.bandwidth_bps) {
		uint64_t backlog = sim_backlog_bytes(d, sim->now);
		if (d->p.queue_bytes_max &&
		    backlog + len > d->p.queue_bytes_max) {
			d->st.queue_drops++;
			sim_report(sim, &fi, 0);
			fi.fate = SIM_FATE_QUEUE_DROP;
			sim_report(sim, &fi, 0);
			return;
		}
		if (backlog + len > d->st.queue_bytes_peak)
			d->st.queue_bytes_peak = backlog + len;
		if (d->busy_until > depart)
			depart = d->busy_until;
		depart += sim_serialization_ns(len, d->p.bandwidth_bps);
		d->busy_until = depart;
	}
	/* Always three draws per accepted frame: see the theory above. */
	lose = sim_rng_chance(&d->rng, d->p.loss_ppm);
	dup = sim_rng_chance(&d->rng, d->p.duplicate_ppm);
	reorder = sim_rng_chance(&d->rng, d->p.reorder_ppm);
	arrive = depart + d->p.delay_ns;
	if (reorder)
		arrive += d->p.reorder_delay_ns;

	if (sim_drop_listed(d, fi.frame_no) ||
	    (d->p.filter && d->p.filter(d->p.filter_arg, &fi))) {
		d->st.dropped++;
		sim_report(sim, &fi, 0);
		fi.fate = SIM_FATE_DROPPED;
		sim_report(sim, &fi, 0);
		return;
	}
	if (lose) {
		d->st.lost++;
		sim_report(sim, &fi, 0);
		fi.fate = SIM_FATE_LOST;
		sim_report(sim, &fi, 0);
		return;
	}
	sim_report(sim, &fi, arrive);
	b = malloc(sizeof(*b) + len);
	if (!b) {
		/* Out of memory in a test: treat as overflow, visibly. */
		sim->st.events_overflow++;
		return;
	}
	b->refs = 0;
	b->len = (uint32_t)len;
	memcpy(b->data, data, len);
	if (reorder)
		d->st.reordered++;
	if (sim_schedule_frame(sim, l, dir, arrive, fi.frame_no, b, false))
		b->refs++;
	if (dup) {
		d->st.duplicated++;
		if (sim_schedule_frame(sim, l, dir, arrive, fi.frame_no, b,
				       true))
			b->refs++;
	}
	if (b->refs == 0)
		free(b);
}

/* Sends a frame out of (node, port) now. */
static void sim_port_transmit(struct sim *sim, struct sim_node *n, int port,
			      const uint8_t *data, size_t len)
{
	const struct sim_port *p;

	if (port < 0 || port >= SIM_PORTS_MAX || !n->ports[port].link) {
		sim->st.tx_unattached++;
		return;
	}
	p = &n->ports[port];
	sim_link_transmit(sim, p->link, p->out_dir, data, len);
}

/* ---- nodes ---- */

static void sim_switch_learn(struct sim *sim, struct sim_node *n,
			     const uint8_t *mac, int port)
{
	struct sim_switch_mac *slot = NULL;

	if (mac[0] & 1)
		return;
	for (uint32_t i = 0; i < n->nmacs; i++) {
		if (memcmp(n->macs[i].mac, mac, 6) == 0) {
			slot = &n->macs[i];
			break;
		}
	}
	if (!slot && n->nmacs < SIM_SWITCH_MACS_MAX)
		slot = &n->macs[n->nmacs++];
	if (!slot) {
		slot = &n->macs[0];
		for (uint32_t i = 1; i < n->nmacs; i++)
			if (n->macs[i].last_seen < slot->last_seen)
				slot = &n->macs[i];
	}
	memcpy(slot->mac, mac, 6);
	slot->port = port;
	slot->last_seen = sim->now;
}

static void sim_switch_forward(struct sim *sim, struct sim_node *n, int in_port,
			       const uint8_t *data, size_t len)
{
	if (len < 14)
		return;
	sim_switch_learn(sim, n, data + 6, in_port);
	if (!(data[0] & 1)) {
		for (uint32_t i = 0; i < n->nmacs; i++) {
			if (memcmp(n->macs[i].mac, data, 6) != 0)
				continue;
			if (n->macs[i].port != in_port)
				sim_port_transmit(sim, n, n->macs[i].port, data,
						  len);
			return;
		}
	}
	for (int port = 0; port < SIM_PORTS_MAX; port++)
		if (port != in_port && n->ports[port].link)
			sim_port_transmit(sim, n, port, data, len);
}

static void sim_deliver(struct sim *sim, const struct sim_event *ev)
{
	struct sim_link *l = ev->u.frame.link;
	struct sim_direction *d = &l->dir[ev->u.frame.dir];
	const struct sim_buf *b = ev->u.frame.buf;
	struct sim_node *n = d->to;
	struct sim_frame_info fi = {
	    .now = sim->now,
	    .link = l,
	    .dir = ev->u.frame.dir,
	    .frame_no = ev->u.frame.frame_no,
	    .data = b->data,
	    .len = b->len,
	    .fate = SIM_FATE_DELIVERED,
	    .duplicate = ev->u.frame.duplicate,
	};
	struct pkt *p;

	d->st.delivered++;
	d->st.delivered_bytes += b->len;
	sim_report(sim, &fi, 0);
	switch (n->kind) {
	case SIM_NODE_STACK:
		p = stack_pkt_alloc(n->stack, b->len);
		if (!p) {
			d->st.rx_no_buffer++;
			return;
		}
		memcpy(p->data, b->data, b->len);
		p->len = b->len;
		p->ifindex = (uint16_t)d->to_port;
		stack_input(n->stack, sim->now, p);
		return;
	case SIM_NODE_SWITCH:
		sim_switch_forward(sim, n, d->to_port, b->data, b->len);
		return;
	case SIM_NODE_SCRIPT:
		n->rx(sim, n, d->to_port, b->data, b->len, n->rx_arg);
		return;
	}
}

/* Queues the node's timer for its stack's deadline if that is earlier
 * than the one queued. */
static void sim_node_rearm(struct sim *sim, struct sim_node *n)
{
	uint64_t t = stack_next_deadline(n->stack);

	if (t == STACK_NO_DEADLINE || n->timer_stuck)
		return;
	if (t < sim->now)
		t = sim->now;
	if (t >= n->timer_at)
		return;
	if (sim_heap_push(sim, (struct sim_event){.time = t,
						  .kind = SIM_EV_TIMER,
						  .u.node = n}))
		n->timer_at = t;
}

static void sim_node_timer(struct sim *sim, struct sim_node *n,
			   uint64_t event_time)
{
	if (event_time != n->timer_at)
		return; /* stale: superseded by an earlier one */
	n->timer_at = STACK_NO_DEADLINE;
	if (stack_next_deadline(n->stack) > sim->now)
		return; /* moved later; the flush re-arms */
	stack_timer(n->stack, sim->now);
	if (stack_next_deadline(n->stack) <= sim->now) {
		sim->st.timer_stuck++;
		n->timer_stuck = true;
		fprintf(stderr,
			"sim: %s: deadline still due after stack_timer at "
			"%" PRIu64 "; its timer is stopped\n",
			n->name, sim->now);
	}
}

/* Drains one stack node's tx queue and events; returns whether there
 * was anything. */
static bool sim_node_drain(struct sim *sim, struct sim_node *n)
{
	struct stack_event ev;
	struct pkt *p;
	bool any = false;

	while ((p = stack_pop_tx(n->stack))) {
		sim_port_transmit(sim, n, p->ifindex, p->data, p->len);
		stack_pkt_free(n->stack, p);
		any = true;
	}
	while (stack_pop_event(n->stack, &ev)) {
		if (n->on_event)
			n->on_event(sim, n, &ev, n->event_arg);
		any = true;
	}
	return any;
}

/* After any input: drain every stack until quiet, then re-arm timers. */
static void sim_flush(struct sim *sim)
{
	bool any;

	do {
		any = false;
		for (int i = 0; i < sim->nnodes; i++)
			if (sim->nodes[i].kind == SIM_NODE_STACK)
				any |= sim_node_drain(sim, &sim->nodes[i]);
	} while (any);
	for (int i = 0; i < sim->nnodes; i++)
		if (sim->nodes[i].kind == SIM_NODE_STACK)
			sim_node_rearm(sim, &sim->nodes[i]);
}

/* ---- public API ---- */

struct sim *sim_new(const struct sim_config *cfg)
{
	struct sim *sim = calloc(1, sizeof(*sim));
	const char *trace = getenv("SIM_TRACE");

	if (!sim)
		return NULL;
	sim->seed = cfg->seed;
	sim->now = cfg->start_ns ? cfg->start_ns : SIM_T0_NS;
	sim->heap_max = cfg->events_max ? cfg->events_max : SIM_EVENTS_DEFAULT;
	sim->heap = calloc(sim->heap_max, sizeof(*sim->heap));
	if (!sim->heap) {
		free(sim);
		return NULL;
	}
	sim->trace = trace && strcmp(trace, "1") == 0;
	return sim;
}

void sim_free(struct sim *sim)
{
	if (!sim)
		return;
	for (uint32_t i = 0; i < sim->heap_len; i++)
		if (sim->heap[i].kind == SIM_EV_FRAME)
			sim_buf_unref(sim->heap[i].u.frame.buf);
	for (int i = 0; i < sim->nnodes; i++)
		stack_free(sim->nodes[i].stack);
	free(sim->heap);
	free(sim);
}

uint64_t sim_now(const struct sim *sim)
{
	return sim->now;
}

static struct sim_node *sim_node_new(struct sim *sim, const char *name,
				     enum sim_node_kind kind)
{
	struct sim_node *n;

	if (sim->nnodes >= SIM_NODES_MAX)
		return NULL;
	n = &sim->nodes[sim->nnodes];
	*n = (struct sim_node){
	    .sim = sim,
	    .index = sim->nnodes,
	    .kind = kind,
	    .timer_at = STACK_NO_DEADLINE,
	};
	snprintf(n->name, sizeof(n->name), "%s", name);
	sim->nnodes++;
	return n;
}

struct sim_node *sim_add_stack(struct sim *sim, const char *name,
			       struct stack *s, sim_event_fn on_event,
			       void *arg)
{
	struct sim_node *n = sim_node_new(sim, name, SIM_NODE_STACK);

	if (!n)
		return NULL;
	n->stack = s;
	n->on_event = on_event;
	n->event_arg = arg;
	return n;
}

struct sim_node *sim_add_host(struct sim *sim, const char *name, uint32_t addr,
			      uint8_t prefix_len, uint32_t mtu,
			      const struct stack_limits *lim,
			      sim_event_fn on_event, void *arg)
{
	const uint8_t mac[6] = {0x02,
				0,
				(uint8_t)(addr >> 24),
				(uint8_t)(addr >> 16),
				(uint8_t)(addr >> 8),
				(uint8_t)addr};
	struct stack_limits def;
	uint64_t x = sim->seed ^ (0x5eed0000ull + (uint64_t)sim->nnodes);
	struct stack *s;
	struct sim_node *n;

	if (sim->nnodes >= SIM_NODES_MAX)
		return NULL;
	if (!lim) {
		stack_limits_default(&def);
		lim = &def;
	}
	s = stack_new(lim, rng_splitmix64(&x));
	if (!s)
		return NULL;
	if (stack_if_add(s, "eth0", mac, mtu) != 0 ||
	    stack_if_set_address(s, sim->now, 0, addr, prefix_len) != 0) {
		stack_free(s);
		return NULL;
	}
	n = sim_add_stack(sim, name, s, on_event, arg);
	if (!n)
		stack_free(s);
	return n;
}

struct sim_node *sim_add_switch(struct sim *sim, const char *name)
{
	return sim_node_new(sim, name, SIM_NODE_SWITCH);
}

struct sim_node *sim_add_script(struct sim *sim, const char *name, sim_rx_fn rx,
				void *arg)
{
	struct sim_node *n = sim_node_new(sim, name, SIM_NODE_SCRIPT);

	if (!n)
		return NULL;
	n->rx = rx;
	n->rx_arg = arg;
	return n;
}

int sim_node_send(struct sim *sim, struct sim_node *node, int port,
		  const void *frame, size_t len)
{
	if (node->kind != SIM_NODE_SCRIPT || port < 0 || port >= SIM_PORTS_MAX)
		return -EINVAL;
	if (!node->ports[port].link)
		return -ENOTCONN;
	sim_port_transmit(sim, node, port, frame, len);
	return 0;
}

struct stack *sim_node_stack(const struct sim_node *node)
{
	return node->stack;
}

const char *sim_node_name(const struct sim_node *node)
{
	return node->name;
}

static bool sim_port_ok(const struct sim_node *n, int port)
{
	if (port < 0 || port >= SIM_PORTS_MAX || n->ports[port].link)
		return false;
	return n->kind != SIM_NODE_STACK || port < stack_if_count(n->stack);
}

struct sim_link *sim_link(struct sim *sim, struct sim_node *a, int port_a,
			  struct sim_node *b, int port_b,
			  const struct sim_link_params *ab,
			  const struct sim_link_params *ba)
{
	struct sim_link *l;

	if (sim->nlinks >= SIM_LINKS_MAX || !sim_port_ok(a, port_a) ||
	    !sim_port_ok(b, port_b) || (a == b && port_a == port_b))
		return NULL;
	l = &sim->links[sim->nlinks];
	*l = (struct sim_link){.sim = sim, .index = sim->nlinks};
	for (int dir = 0; dir < 2; dir++) {
		struct sim_direction *d = &l->dir[dir];
		d->p = dir == SIM_AB || !ba ? *ab : *ba;
		d->from = dir == SIM_AB ? a : b;
		d->from_port = dir == SIM_AB ? port_a : port_b;
		d->to = dir == SIM_AB ? b : a;
		d->to_port = dir == SIM_AB ? port_b : port_a;
		rng_seed(&d->rng,
			 sim->seed ^ ((uint64_t)(2 * l->index + dir + 1) *
				      0xd1b54a32d192ed03ull));
	}
	a->ports[port_a] = (struct sim_port){.link = l, .out_dir = SIM_AB};
	b->ports[port_b] = (struct sim_port){.link = l, .out_dir = SIM_BA};
	sim->nlinks++;
	return l;
}

void sim_link_set_params(struct sim_link *l, enum sim_dir dir,
			 const struct sim_link_params *p)
{
	l->dir[dir].p = *p;
}

int sim_link_drop_frame(struct sim_link *l, enum sim_dir dir, uint64_t frame_no)
{
	struct sim_direction *d = &l->dir[dir];

	if (d->ndrops >= SIM_DROP_LIST_MAX)
		return -ENOSPC;
	d->drop_list[d->ndrops++] = frame_no;
	return 0;
}

void sim_link_stats(const struct sim_link *l, enum sim_dir dir,
		    struct sim_link_stats *out)
{
	*out = l->dir[dir].st;
}

int sim_link_index(const struct sim_link *l)
{
	return l->index;
}

int sim_at(struct sim *sim, uint64_t t, sim_call_fn fn, void *arg)
{
	if (t < sim->now || !fn)
		return -EINVAL;
	if (!sim_heap_push(sim, (struct sim_event){.time = t,
						   .kind = SIM_EV_CALL,
						   .u.call = {fn, arg}}))
		return -ENOSPC;
	return 0;
}

/* Processes the earliest event if it is due by `limit`. */
static bool sim_step(struct sim *sim, uint64_t limit)
{
	struct sim_event ev;

	if (sim->heap_len == 0 || sim->heap[0].time > limit)
		return false;
	ev = sim_heap_pop(sim);
	sim->now = ev.time;
	sim->st.events++;
	switch (ev.kind) {
	case SIM_EV_FRAME:
		sim_deliver(sim, &ev);
		sim_buf_unref(ev.u.frame.buf);
		break;
	case SIM_EV_TIMER:
		sim_node_timer(sim, ev.u.node, ev.time);
		break;
	case SIM_EV_CALL:
		ev.u.call.fn(sim, ev.u.call.arg);
		break;
	}
	sim_flush(sim);
	return true;
}

uint64_t sim_run_until(struct sim *sim, uint64_t t)
{
	uint64_t n = 0;

	sim_flush(sim);
	while (sim_step(sim, t))
		n++;
	if (sim->now < t)
		sim->now = t;
	return n;
}

int sim_run_while(struct sim *sim, sim_pred_fn pred, void *arg, uint64_t limit)
{
	sim_flush(sim);
	while (pred(sim, arg)) {
		if (!sim_step(sim, limit)) {
			if (sim->now < limit)
				sim->now = limit;
			return -ETIMEDOUT;
		}
	}
	return 0;
}

void sim_set_tap(struct sim *sim, sim_tap_fn tap, void *arg)
{
	sim->tap = tap;
	sim->tap_arg = arg;
}

void sim_set_trace(struct sim *sim, bool on)
{
	sim->trace = on;
}

void sim_get_stats(const struct sim *sim, struct sim_stats *out)
{
	*out = sim->st;
}
