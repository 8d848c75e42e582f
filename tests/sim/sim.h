/*
 * sim.h - a deterministic simulated network for the sans-IO stack
 *
 * A `struct sim` holds nodes joined by links and one clock. Nothing here
 * reads a real clock or starts a thread: time only moves when the
 * simulator pops the next event from its queue, so a scenario with a
 * fixed seed runs identically every time, on every machine.
 *
 * Nodes are
 *   - stacks: a `struct stack` whose interfaces (ports = ifindex) are
 *     attached to links; the simulator feeds it frames and timer calls
 *     and drains its tx queue and events, exactly as the daemon would;
 *   - switches: a learning Ethernet switch joining several links;
 *   - scripted peers: a callback receives every frame, and the scenario
 *     sends hand-built frames (a "stack against scripted segments").
 *
 * A link joins two (node, port) endpoints; each direction has its own
 * parameters (delay, bandwidth and queue, loss, duplication,
 * reordering, scripted drops) and statistics. See sim.c for the model.
 *
 * Scenario code may call any stack function (udp_send ...) on a node's
 * stack between runs or from a callback; the simulator drains what that
 * produced before it processes the next event.
 */
#ifndef UTCP_SIM_H
#define UTCP_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack.h"

#define SIM_NODES_MAX	    32
#define SIM_LINKS_MAX	    64
#define SIM_PORTS_MAX	    16 /* per node; a stack uses its ifindex */
#define SIM_SWITCH_MACS_MAX 64 /* learned addresses per switch */
#define SIM_DROP_LIST_MAX   64 /* scripted drops per link direction */
/* Pending events (frames in flight, timers, scripted calls) when the
 * configuration does not say: 64 Ki, about 3.5 MiB of heap. */
#define SIM_EVENTS_DEFAULT (1u << 16)
/* Time at which a simulation starts unless configured: 1 s, so that 0
 * is never a meaningful instant. */
#define SIM_T0_NS 1000000000ull

#define SIM_MS(x)  ((uint64_t)(x)*1000000ull)
#define SIM_US(x)  ((uint64_t)(x)*1000ull)
#define SIM_SEC(x) ((uint64_t)(x)*STACK_NS_PER_SEC)
/* Probabilities are integers in parts per million. */
#define SIM_PPM_ONE    1000000u
#define SIM_PERCENT(x) ((uint32_t)((x)*10000u))

struct sim;
struct sim_node;
struct sim_link;

/* Link directions: from the first endpoint given to sim_link() to the
 * second, and back. */
enum sim_dir { SIM_AB = 0, SIM_BA = 1 };

/* What happened to a frame, as the tap and the trace see it. */
enum sim_fate {
	SIM_FATE_SENT,	     /* offered to the link (accepted or not) */
	SIM_FATE_QUEUE_DROP, /* tail-dropped: the queue was full */
	SIM_FATE_LOST,	     /* random loss */
	SIM_FATE_DROPPED,    /* scripted: the drop list or the filter */
	SIM_FATE_DELIVERED,  /* handed to the far end */
};

/* One frame on one link direction, handed to filters and taps. */
struct sim_frame_info {
	uint64_t now;
	const struct sim_link *link;
	enum sim_dir dir;
	uint64_t frame_no; /* 1-based count of frames offered to this dir */
	const uint8_t *data;
	size_t len;
	enum sim_fate fate;
	bool duplicate; /* DELIVERED: this is the copy the link made */
};

/* Returns true to drop the frame (counted as DROPPED). Called once per
 * frame offered, after the queue accepted it. */
typedef bool (*sim_filter_fn)(void *arg, const struct sim_frame_info *fi);

/* Parameters of one direction of a link. All zero is an ideal wire:
 * no delay, unlimited bandwidth, no loss. */
struct sim_link_params {
	uint64_t delay_ns;	/* propagation, added to every frame */
	uint64_t bandwidth_bps; /* 0 = unlimited (no serialization) */
	/* Bytes not yet serialized that the queue holds, the frame on
	 * the wire included; a frame that would exceed it is tail-dropped.
	 * 0 = unbounded. Only meaningful with a bandwidth. */
	uint32_t queue_bytes_max;
	uint32_t loss_ppm;	/* random loss probability */
	uint32_t duplicate_ppm; /* probability the far end gets two copies */
	uint32_t reorder_ppm;	/* probability of reorder_delay_ns extra */
	uint64_t reorder_delay_ns;
	sim_filter_fn filter; /* optional scripted drop by content */
	void *filter_arg;
};

/* Statistics of one direction. At rest (nothing in flight):
 * sent + duplicated == queue_drops + lost + dropped + delivered. */
struct sim_link_stats {
	uint64_t sent; /* frames offered */
	uint64_t sent_bytes;
	uint64_t delivered; /* frames that reached the far end, copies too */
	uint64_t delivered_bytes;
	uint64_t lost;	       /* random loss */
	uint64_t dropped;      /* scripted: drop list and filter */
	uint64_t duplicated;   /* extra copies made */
	uint64_t reordered;    /* frames given the reorder delay */
	uint64_t queue_drops;  /* tail drops */
	uint64_t rx_no_buffer; /* delivered, but the stack's pool was empty */
	uint64_t queue_bytes_peak; /* high-water mark of the queue */
};

/* Simulator-wide faults; a correct scenario keeps both at zero. */
struct sim_stats {
	uint64_t events;	  /* events processed */
	uint64_t events_overflow; /* events (frames) lost: the heap was full */
	uint64_t timer_stuck;	  /* a stack's deadline stayed <= now after
				   * stack_timer(now); its timer stops */
	uint64_t tx_unattached;	  /* frames sent on a port with no link */
};

struct sim_config {
	uint64_t seed;	     /* all randomness: links and derived stacks */
	uint64_t start_ns;   /* 0 = SIM_T0_NS */
	uint32_t events_max; /* 0 = SIM_EVENTS_DEFAULT */
};

/* Called for every event a stack node pops; may call stack functions. */
typedef void (*sim_event_fn)(struct sim *sim, struct sim_node *node,
			     const struct stack_event *ev, void *arg);
/* Called for every frame reaching a scripted peer on `port`. */
typedef void (*sim_rx_fn)(struct sim *sim, struct sim_node *node, int port,
			  const uint8_t *frame, size_t len, void *arg);
/* A scripted action (sim_at). */
typedef void (*sim_call_fn)(struct sim *sim, void *arg);
/* A condition for sim_run_while. */
typedef bool (*sim_pred_fn)(struct sim *sim, void *arg);
/* Sees every frame's fate on every link (after the trace). */
typedef void (*sim_tap_fn)(void *arg, const struct sim_frame_info *fi);

/* Returns a new, empty simulation, or NULL when out of memory. Reads
 * SIM_TRACE from the environment: "1" traces every frame to stderr. */
struct sim *sim_new(const struct sim_config *cfg);

/* Frees the simulation, its stacks and every frame in flight. */
void sim_free(struct sim *sim);

/* The simulated time, in ns. */
uint64_t sim_now(const struct sim *sim);

/* ---- nodes --------------------------------------------------------- */

/* Adds a stack node; the simulation owns `s` from now on. `on_event`
 * (may be NULL: events are discarded) sees its events. Returns the node
 * or NULL when SIM_NODES_MAX exist. */
struct sim_node *sim_add_stack(struct sim *sim, const char *name,
			       struct stack *s, sim_event_fn on_event,
			       void *arg);

/* Convenience: a stack with one interface "eth0" (ifindex 0) of the
 * given MTU and address, MAC 02:00:a.b.c.d from the address, limits
 * `lim` (NULL = defaults) and a seed derived from the simulation's.
 * Returns the node or NULL. */
struct sim_node *sim_add_host(struct sim *sim, const char *name, uint32_t addr,
			      uint8_t prefix_len, uint32_t mtu,
			      const struct stack_limits *lim,
			      sim_event_fn on_event, void *arg);

/* Adds a learning switch: a frame goes out of the port its destination
 * MAC was last seen on, else (broadcast, unknown) out of every other
 * attached port. Forwarding takes no time; the links carry the delay.
 * Returns the node or NULL. */
struct sim_node *sim_add_switch(struct sim *sim, const char *name);

/* Adds a scripted peer: `rx` gets every frame that reaches it. */
struct sim_node *sim_add_script(struct sim *sim, const char *name, sim_rx_fn rx,
				void *arg);

/* Sends a frame from a scripted peer's port now, through its link.
 * Returns 0, -EINVAL (not a scripted node, bad port), -ENOTCONN (no
 * link on the port). */
int sim_node_send(struct sim *sim, struct sim_node *node, int port,
		  const void *frame, size_t len);

/* The node's stack (NULL for switches and scripted peers). */
struct stack *sim_node_stack(const struct sim_node *node);
const char *sim_node_name(const struct sim_node *node);

/* ---- links --------------------------------------------------------- */

/*
 * Joins (a, port_a) and (b, port_b). `ab` are the parameters from a to
 * b, `ba` back (NULL = the same as ab). A port takes one link; a stack's
 * port must be one of its interfaces. Returns the link or NULL (bad
 * port, port taken, SIM_LINKS_MAX).
 */
struct sim_link *sim_link(struct sim *sim, struct sim_node *a, int port_a,
			  struct sim_node *b, int port_b,
			  const struct sim_link_params *ab,
			  const struct sim_link_params *ba);

/* Replaces one direction's parameters; frames in flight keep theirs. */
void sim_link_set_params(struct sim_link *l, enum sim_dir dir,
			 const struct sim_link_params *p);

/* Drops the frame_no-th frame offered to that direction (1-based,
 * counted as in sim_link_stats.sent; stats.sent + 1 is the next one).
 * Returns 0 or -ENOSPC (SIM_DROP_LIST_MAX pending). */
int sim_link_drop_frame(struct sim_link *l, enum sim_dir dir,
			uint64_t frame_no);

/* Copies one direction's statistics. */
void sim_link_stats(const struct sim_link *l, enum sim_dir dir,
		    struct sim_link_stats *out);

/* The link's index (0, 1, ... in creation order), as the trace names it. */
int sim_link_index(const struct sim_link *l);

/* ---- running ------------------------------------------------------- */

/* Calls fn(sim, arg) at time t (>= now). Actions at the same time run
 * in the order they were scheduled. Returns 0, -EINVAL, -ENOSPC. */
int sim_at(struct sim *sim, uint64_t t, sim_call_fn fn, void *arg);

/* Processes every event up to and including time t, then sets the clock
 * to t (never backwards). Returns the number of events processed. */
uint64_t sim_run_until(struct sim *sim, uint64_t t);

/* Processes events while pred(sim, arg) holds, checking it before the
 * first event and after each one, but not past time `limit`. Returns 0
 * when pred became false, -ETIMEDOUT when the limit came first (the
 * clock is then at limit). */
int sim_run_while(struct sim *sim, sim_pred_fn pred, void *arg, uint64_t limit);

/* Installs a tap that sees every frame's fate (NULL removes it). */
void sim_set_tap(struct sim *sim, sim_tap_fn tap, void *arg);

/* Turns the per-frame trace to stderr on or off (SIM_TRACE=1 does too). */
void sim_set_trace(struct sim *sim, bool on);

void sim_get_stats(const struct sim *sim, struct sim_stats *out);

/* Writes a one-line decode of an Ethernet frame ("ARP who-has ...",
 * "10.0.0.1 > 10.0.0.2 UDP 1000 > 2000 len 8") into buf. */
void sim_decode_frame(const uint8_t *frame, size_t len, char *buf, size_t size);

#endif
