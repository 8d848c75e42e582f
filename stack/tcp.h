/*
 * tcp.h - µTCP internals: the connection block, segments, and the calls
 * between tcp_*.c files
 *
 * µTCP follows RFC 9293. Its rules are those of the Netsem TCP
 * specification where one corresponds (tcp_rules.h lists every rule
 * once, with its RFC section), but not its style: Netsem, and the OCaml
 * µTCP written from it, are value-passing, each rule a function from
 * the old connection and a segment to a new connection and the segments
 * to send. Here a rule mutates the connection block in place and queues
 * what it sends on the stack's tx queue and what the user must learn as
 * events, which is what C does well; the price is that a rule can leave
 * a connection half-changed, so each function says what it changes, and
 * one that may free the connection says so in its return value.
 *
 * tcp_input.c takes one arriving segment for one connection at a given
 * time; tcp_timer.c is the other entry point; tcp_output.c decides what
 * to send; tcp_rack.c keeps the record of what is in flight and judges
 * losses by time (RACK-TLP); tcp_cc.c holds the congestion controllers
 * behind a small interface; tcp_buf.c the send and receive buffers;
 * tcp_user.c the calls of stack.h. The code applying a rule counts it
 * (TCP_RULE(), a tcp_rule_* counter), and code meeting one of RFC 9293's
 * numbered requirements (Appendix B) carries its tag, MUST-n, SHLD-n,
 * MAY-n, so that `grep MUST-20 stack/` finds where R2 is enforced.
 *
 * Sequence numbers are compared modulo 2^32 (SEQ_LT and friends).
 * Windows are kept in bytes, unscaled.
 */
#ifndef UTCP_TCP_H
#define UTCP_TCP_H

#include <errno.h>

#include "stack_internal.h"
#include "tcp_wire.h"

/* Counts the application of a rule of tcp_rules.h. */
#define TCP_RULE(s, name) COUNT(s, tcp_rule_##name)

#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)
#define SEQ_MAX(a, b) (SEQ_GT(a, b) ? (a) : (b))
#define SEQ_MIN(a, b) (SEQ_LT(a, b) ? (a) : (b))

#define TCP_DEFAULT_MSS 536 /* RFC 9293 3.7.1, without the option */
#define TCP_MIN_MSS	88  /* below this a peer's MSS is raised */
/* IP_TOS on a TCP socket leaves the ECN field to TCP, as Linux does. */
#define TCP_TOS_ECN_MASK    0x03u
#define TCP_MAX_WSCALE	    14 /* RFC 7323 2.3 */
#define TCP_SACK_BLOCKS_MAX 4
#define TCP_TXR_MAX	    4096 /* in-flight records per conn */
#define TCP_INIT_CWND_SEGS  10	 /* RFC 6928 */
#define TCP_DUPACK_THRESH   3
#define TCP_QUICKACKS_MAX   16 /* quick ACKs at a start (Linux's) */

/* Segments one ACK may release beyond what it delivered, in and at the
 * end of fast recovery (tcp_cc.c; Linux's max burst, 3). */
#define TCP_MAX_BURST 3

#define TCP_RTO_INITIAL_NS	  (1 * STACK_NS_PER_SEC) /* RFC 6298 2.1 */
#define TCP_RTO_MIN_NS		  (200 * 1000000ull) /* as Linux; RFC: 1 s */
#define TCP_RTO_MAX_NS		  (120 * STACK_NS_PER_SEC)
#define TCP_DELACK_NS		  (40 * 1000000ull) /* <= 200 ms */
#define TCP_MSL_NS		  (30 * STACK_NS_PER_SEC)
#define TCP_TIME_WAIT_NS	  (2 * TCP_MSL_NS)
#define TCP_FIN_WAIT_2_NS	  (60 * STACK_NS_PER_SEC) /* orphans only */
#define TCP_SYN_RETRIES		  6
#define TCP_SYNACK_RETRIES	  5
#define TCP_DATA_RETRIES	  15
#define TCP_PERSIST_MIN_NS	  (200 * 1000000ull)
#define TCP_PERSIST_MAX_NS	  (60 * STACK_NS_PER_SEC)
#define TCP_INVALID_ACK_PERIOD_NS (500 * 1000000ull)
#define TCP_TW_REUSE_AGE_NS	  (1 * STACK_NS_PER_SEC)
#define TCP_PAWS_IDLE_NS                                                       \
	(24ull * 24 * 3600 * STACK_NS_PER_SEC) /* RFC 7323 5.5 */
#define TCP_EPHEMERAL_FIRST TCP_PORT_FIRST_DEFAULT
#define TCP_EPHEMERAL_LAST  TCP_PORT_LAST_DEFAULT
#define TCP_OOO_MAX	    256 /* out-of-order segments held, per conn */
/* Every connection's send minimum, in chunks (4 KiB, Linux's
 * tcp_wmem[0]): below it, a connection may take chunks from the pool's
 * reserve (tcp_chunks_reserve), which the others may not touch. */
#define TCP_SND_MIN_CHUNKS 2u
/* Receive memory (tcp_buf.c): what a connection's queues pin is counted
 * in pool bytes, each buffer at its capacity (a 1-byte segment in a
 * small buffer costs 2 KiB), as Linux counts an skb's truesize. */
/* An out-of-order payload of at most this many bytes is copied into the
 * connection's compact buffer, never pinning a buffer of its own. */
#define TCP_OOO_COPY_MAX_BYTES 256u
/* In-order data of at most this many bytes that arrived in a 64 KiB
 * buffer (a coalesced super-segment) is copied into small buffers. */
#define TCP_COLLAPSE_MAX_BYTES (4u * PKT_SMALL_CAP)
/* The out-of-order store pins at most this many times the buffer limit
 * (rcv_wnd_max) in pool bytes (Linux's rcvbuf: twice the window). */
#define TCP_OOO_MEM_FACTOR 2u
/* Every connection's minimum, in MSS of payload: under pressure a window
 * advertised anew is at most this, and under hard pressure a connection
 * may still queue data up to this much (coalescing keeps its memory
 * near the bytes). */
#define TCP_RCV_PRESSURE_WND_SEGS 2u
/* The last small buffers of the pool, kept for ACKs and the daemon's
 * reads: data is dropped rather than queued into them (tcp_input.c).
 * A pool of fewer than four times this many (pkt_small_max may be as
 * low as 16) keeps a quarter of itself instead, so that data still has
 * the other three quarters. */
#define TCP_POOL_RESERVE_SMALL 64u
/* Under hard pressure a connection's minimum in pool memory, in small
 * buffers (the rounding of its last segment included). */
#define TCP_RCV_MIN_BUFS (TCP_RCV_PRESSURE_WND_SEGS + 1u)
/* Pool pressure, per buffer class, as a share of the class's maximum in
 * 1/16ths: PRESSURE when more than 8/16 are in use (windows stop
 * growing, new ones start at the minimum, as Linux's tcp_mem[1]); HARD
 * above 12/16 (out-of-order data is pruned from the connections holding
 * the most until 10/16, and data beyond a connection's minimum is
 * dropped, as Linux's tcp_mem[2]). */
#define TCP_MEM_PRESSURE_16THS 8u
#define TCP_MEM_HARD_16THS     12u
#define TCP_MEM_PRUNE_TO_16THS 10u
/* Payload of a TSO super-segment at most: an IPv4 datagram of 65535
 * bytes with a 20-byte IP header and the largest TCP header. */
#define TCP_TSO_MAX (65535u - 20u - TCP_HDR_MAX)

/* A parsed segment: header fields in host order, options, payload. */
struct tcp_seg {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint8_t hdr_len;
	uint16_t wnd; /* as on the wire: scale it with snd_wscale */
	uint16_t urp;
	const uint8_t *data;
	uint32_t len; /* payload bytes */
	/* Options (RFC 9293 3.2, RFC 7323, RFC 2018). */
	bool has_mss, has_ws, sack_permitted, has_ts;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	uint8_t nsack;
	uint32_t sack[TCP_SACK_BLOCKS_MAX][2]; /* [start, end) */
};

enum tcp_parse_error {
	TCP_PARSE_OK = 0,
	TCP_PARSE_SHORT = -1,	/* shorter than a header */
	TCP_PARSE_OFFSET = -2,	/* data offset < 5 or beyond the segment */
	TCP_PARSE_OPTIONS = -3, /* option length 0, 1 or past the header */
};

/* Parses the TCP header and options of a segment of len bytes (the IP
 * payload). Does not check the checksum. */
int tcp_parse(const uint8_t *buf, size_t len, struct tcp_seg *seg);

/* ---- buffers ---- */

/* The send buffer: bytes from snd_una on, in chunks (pool buffers used
 * as plain byte arrays). Empty means no chunk is held. */
struct tcp_sndbuf {
	struct pkt_queue chunks;
	uint32_t head_off; /* offset of snd_una's byte in the first chunk */
	uint32_t len;	   /* bytes held */
};

/* An out-of-order segment held for reassembly: the buffer and its range. */
struct tcp_ooo {
	uint32_t seq;
	uint32_t len;
	struct pkt *pkt; /* the buffer holding it, perhaps shared */
	uint8_t *data;	 /* its first byte, in pkt */
};

/* A range of sequence space as last sent: one segment or TSO
 * super-segment, or a part of one that was SACKed or resent apart. */
#define TCP_TXR_SACKED	0x01 /* the peer holds it */
#define TCP_TXR_LOST	0x02 /* judged lost and not resent since */
#define TCP_TXR_RETRANS 0x04 /* resent at least once */
struct tcp_txrec {
	uint32_t seq, end;
	uint64_t xmit_ns; /* when it last left */
	uint8_t flags;
};

struct tcp_cc_ops;

/* HyStart++ (RFC 9406): off (disabled, or done: the first slow start
 * ended), slow start watching the RTT, or conservative slow start; done
 * too, CSS having ended the first slow start with no loss since (CUBIC:
 * W_max is not known yet). */
enum tcp_hystart {
	TCP_HYSTART_OFF,
	TCP_HYSTART_SS,
	TCP_HYSTART_CSS,
	TCP_HYSTART_EXITED,
};

/* Loss recovery: none, fast recovery (RFC 6582 without SACK, RFC 6675
 * with RACK-TLP with it), or after a retransmission timeout (RFC 8985
 * 6.3: what the peer does not hold is resent as the window allows).
 * Each lasts until snd_una reaches recover. */
enum tcp_recovery {
	TCP_RECOVERY_NONE,
	TCP_RECOVERY_FAST,
	TCP_RECOVERY_RTO,
};

struct tcp_conn {
	int32_t id;	     /* index in the connection table */
	int32_t hash_next;   /* chain in the 4-tuple hash */
	int32_t heap_pos;    /* position in the timer heap, -1 = none */
	int32_t listener;    /* listener id while not yet accepted, else -1 */
	int32_t accept_next; /* the listener's accept queue, -1 ends */
	enum tcp_state state;
	void *user;	  /* the caller's cookie (tcp_set_user) */
	bool user_closed; /* orphan: the user let go of the id */
	bool app_gone;	  /* orphan: the user's application went (tcp_orphan) */
	bool orphan_counted; /* in tcp_table.orphans */
	bool shut_wr;	     /* the user asked for FIN */
	bool fin_sent;	     /* our FIN has a sequence number (snd_max) */
	bool fin_received;
	bool rcv_fin_pending; /* a FIN arrived out of order at rcv_fin_seq */
	bool cookie;	      /* a SYN cookie's SYN-ACK (never in the table) */
	uint8_t cookie_opts;  /* options folded into the cookie's TSval */
	bool ack_now;	      /* send an ACK at the next output */
	bool delack_pending;  /* an ACK is owed, the delack timer runs */
	bool ts_ok, sack_ok, ws_ok;
	bool nodelay, keepalive;
	enum tcp_recovery recovery; /* until snd_una reaches recover */
	bool readable_signalled, writable_wanted;
	bool rtt_timing; /* measuring rtt_seq (no timestamps) */
	uint8_t snd_wscale, rcv_wscale;
	/* Memory waiters (tcp_buf.c): in a FIFO of connections whose
	 * send the chunk pool refused (mem_wait_q: which one), or woken
	 * from it and holding a claim on one chunk until the next
	 * tcp_send(). */
	bool mem_waiting, mem_claim;
	uint8_t mem_wait_q;		      /* enum tcp_mem_wait_q */
	int32_t mem_wait_prev, mem_wait_next; /* while mem_waiting */
	/* Data segments still to ACK at once (quick ACK, tcp_input.c),
	 * unless replies carry the ACKs (pingpong: we sent data soon after
	 * data came, until a delayed ACK has to go alone). */
	uint8_t quickacks;
	bool ack_pingpong;
	/* Duplicate ACKs since snd_una last moved: without SACK, PRR counts
	 * a segment delivered for each (a window holds more than 255). */
	uint16_t dupacks;
	uint8_t unacked_full_segs; /* for ACK every second full segment */
	/* The route's interface, for the MSS and offloads; each segment is
	 * routed as it leaves (16 bits, as a packet's: here, no hole). */
	int16_t ifindex;
	int error;	/* positive errno once the connection failed */
	int soft_error; /* an ICMP error seen: reported on timeout */

	uint32_t laddr, raddr;
	uint16_t lport, rport;

	/* Send sequence space (RFC 9293 3.3.1). */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wl1, snd_wl2;
	uint32_t snd_wnd, max_snd_wnd;
	/* Receive sequence space. */
	uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: right edge advertised */
	uint32_t rcv_fin_seq;
	uint32_t rcv_wnd_max; /* the buffer limit (auto-tuning grows it) */
	/* Receive-buffer auto-tuning (tcp_buf.c): the most bytes the user
	 * read in one of our RTT estimates so far (Linux's rcvq_space). Its
	 * other fields sit in holes of this struct, each marked so. */
	uint32_t rcv_space;

	uint16_t mss;	  /* what we send: the peer's MSS clamped to our MTU */
	uint16_t our_mss; /* what we advertised */

	/* Timestamps (RFC 7323). */
	uint32_t ts_recent;
	uint64_t ts_recent_age;
	uint32_t ts_offset; /* randomises our TSval per connection */
	uint32_t last_ack_sent;
	uint32_t ts_last_sent; /* the last TSval we sent (tw_reuse) */
	/* Auto-tuning: the receiver's RTT estimate, µs (0: none yet), from
	 * the time a window's worth of data takes to arrive (tcp_buf.c). */
	uint32_t rcv_rtt_us;
	uint32_t rcv_rtt_seq; /* auto-tuning: the sample ends at this rcv_nxt */
	/* Auto-tuning: when the RTT sample began, in µs (the low 32 bits of
	 * now / 1000: only differences are used). */
	uint32_t rcv_rtt_start;

	/* RTT and RTO (RFC 6298), in ns. */
	uint64_t srtt, rttvar, rto;
	uint32_t rtt_seq;
	uint32_t hystart_round_end; /* HyStart++'s round ends at snd_una */
	uint64_t rtt_start;
	uint8_t backoff; /* RTO doublings since the last new ACK */
	uint8_t retries; /* consecutive timeouts */
	/* HyStart++'s phase (enum tcp_hystart), RTT samples in this round,
	 * and rounds spent in conservative slow start (tcp_cc.c). */
	uint8_t hystart, hystart_samples, hystart_css_rounds;
	bool persist; /* t_rexmt is the persist timer */
	uint8_t keep_probes;
	uint8_t persist_unanswered; /* zero-window probes with no ACK since */

	/* Congestion control (RFC 5681, RFC 6582, RFC 3465). */
	const struct tcp_cc_ops *cc;
	uint32_t cwnd, ssthresh, recover, bytes_acked;
	uint32_t max_seg_sent; /* largest segment sent (TSO: above the MSS) */
	/* PRR (RFC 6937, tcp_cc.c) in fast recovery: bytes the peer got
	 * and bytes sent since it began (and recover_fs below). */
	uint32_t prr_delivered, prr_out;
	/* HyStart++ (RFC 9406, tcp_cc.c): the smallest RTT of this round
	 * and of the last, and conservative slow start's baseline, in µs
	 * (UINT32_MAX: none yet); hystart_round_end is with rtt_seq. */
	uint32_t hystart_rtt_us, hystart_last_rtt_us, hystart_css_base_us;
	struct {
		double w_max; /* window before the last reduction, segments */
		double k;     /* time to reach w_max again, seconds */
		double w_est; /* the Reno-friendly estimate, segments */
		double acc;   /* growth not yet a whole segment */
		uint64_t epoch_start; /* ns, 0 = no epoch */
	} cubic;

	/* What is in flight (tcp_rack.c): records covering [snd_una,
	 * snd_max) in a ring of txr_cap (a power of two), NULL when none;
	 * the bytes SACKed, and judged lost and not resent. */
	struct tcp_txrec *txr;
	uint32_t txr_head, txr_n, txr_cap;
	uint32_t sacked_bytes, lost_bytes;
	uint32_t recover_fs; /* the flight as fast recovery began (PRR) */

	/* RACK (RFC 8985 6.1): the most recently sent delivered segment,
	 * its RTT, the minimum RTT, and the reordering window's state. */
	uint64_t rack_xmit_ns, rack_rtt, rack_min_rtt;
	uint32_t rack_end_seq, rack_fack, rack_dsack_round;
	bool rack_reordering_seen, rack_dsack_round_set;
	uint8_t rack_reo_mult, rack_reo_persist;
	/* TLP (RFC 8985 7): a probe is out until an ACK covers
	 * tlp_end_seq; tlp_retrans if it resent data. */
	uint32_t tlp_end_seq;
	bool tlp_active, tlp_retrans;
	/* A DSACK to report (RFC 2883): a duplicate that arrived, in
	 * dsack[] (below, with ooo_recent). */
	bool dsack_pending;

	/* Eifel detection (RFC 3522): our TSval when the episode's first
	 * retransmission left, and what to restore if it was spurious. */
	bool undo_possible;
	uint32_t undo_tsval;
	uint32_t prior_cwnd, prior_ssthresh;

	uint32_t dsack[2];   /* the DSACK to report (dsack_pending) */
	uint32_t ooo_recent; /* seq of the latest out-of-order arrival */

	/* Timers: absolute deadlines in ns, 0 = not running. */
	uint64_t t_rexmt; /* retransmission, or SYN, or persist */
	uint64_t t_delack;
	uint64_t t_keep;	   /* keepalive, or FIN_WAIT_2 for orphans */
	uint64_t t_2msl;	   /* TIME_WAIT */
	uint64_t t_reo;		   /* RACK's reordering timer */
	uint64_t t_tlp;		   /* TLP's probe timeout */
	uint64_t timer_at;	   /* the earliest of them, the heap key */
	uint64_t last_rx;	   /* for keepalive */
	uint64_t last_data_rx;	   /* in-order data last came, 0 = never */
	uint64_t invalid_ack_next; /* no ACK to an invalid segment before */

	struct tcp_sndbuf sndbuf;
	uint32_t sndbuf_max;
	uint32_t rcv_space_start; /* auto-tuning: when rcv_copied began, µs */
	struct pkt_queue rcvq;	  /* in-order data, data at pkt->data */
	uint32_t rcvq_off;	  /* bytes of the head buffer already read */
	uint32_t rcv_copied;	  /* auto-tuning: bytes read since then */
	struct tcp_ooo *ooo;   /* out-of-order, sorted by seq; NULL if none */
	struct pkt *ooo_arena; /* compact buffer taking small payloads */
	uint16_t nooo;
	uint16_t ooo_cap;
	uint32_t ooo_mem;		    /* pool bytes the OOO store pins */
	uint16_t ooo_bufs[PKT_CLASS_COUNT]; /* ... as buffers per class */
	/* Links in the table's list of holders of each class (while
	 * ooo_bufs[k] > 0), for pruning (tcp_mem_reclaim). */
	int32_t ooo_holder_prev[PKT_CLASS_COUNT];
	int32_t ooo_holder_next[PKT_CLASS_COUNT];
	uint32_t rcvq_mem; /* pool bytes the receive queue pins */

	uint32_t keepidle_s, keepintvl_s;
	/* Options kept as the user set them (tcp_get_sockopts reads them
	 * back): the receive buffer asked for (rcv_wnd_max may be less),
	 * SO_LINGER, TCP_MAXSEG (0 = none; it clamps our_mss when the
	 * connection is set up), IP_TOS and IP_TTL of every segment sent
	 * (0 = the stack's default). */
	uint32_t rcvbuf_set;
	uint32_t linger_s;
	uint8_t keepcnt; /* tcp_sockopts_valid keeps it below 256 */
	bool linger;
	bool rcvbuf_lock; /* rcvbuf set by the user: no auto-tuning */
	/* Auto-tuning: the user read at least half the buffer in the last
	 * estimate (a second one in a row grows it). */
	bool rcv_space_rising;
	uint16_t maxseg;
	uint8_t tos, ttl;

	/* Statistics. */
	uint64_t retransmits, bytes_sent, bytes_received;
};

/* The user asked for FIN and it has no sequence number yet: it waits
 * for the data before it, for the window, or for a buffer to go in. */
static inline bool tcp_fin_unsent(const struct tcp_conn *c)
{
	return c->shut_wr && !c->fin_sent;
}

/* Is c an orphan: closed by its user, or its user's application gone
 * (tcp_orphan())? Orphans give up sooner (tcp_orphan_retries) and are
 * reset when their send chunks are wanted. */
static inline bool tcp_is_orphan(const struct tcp_conn *c)
{
	return c->user_closed || c->app_gone;
}

struct tcp_listener {
	bool used;
	uint32_t laddr;
	uint16_t lport;
	uint32_t backlog;     /* accept queue bound */
	uint32_t syn_backlog; /* half-open bound */
	uint32_t nsyn;	      /* half-open now */
	uint32_t naccept;     /* in the accept queue */
	int32_t accept_head, accept_tail;
	struct tcp_sockopts opts;
	bool acceptable_signalled;
	uint64_t syn_cookies_sent;
	void *user; /* the caller's cookie (tcp_listen_set_user) */
};

/* The memory waiters' FIFOs: connections below their send minimum wait
 * for any free chunk (the reserve's included), the others for one
 * outside the reserve. */
enum tcp_mem_wait_q {
	TCP_MEM_WAIT_RESERVE,
	TCP_MEM_WAIT_POOL,
	TCP_MEM_WAIT_QUEUES
};

struct tcp_table {
	struct tcp_conn **conns; /* by id; NULL = free */
	uint32_t max;
	uint32_t count;
	uint32_t id_hint; /* where the search for a free id starts */
	int32_t *buckets;
	uint32_t nbuckets;
	int32_t *heap; /* conn ids ordered by timer_at */
	uint32_t heap_len;
	struct tcp_listener *listeners;
	uint32_t listeners_max;
	uint8_t secret[16]; /* ISNs and SYN cookies */
	uint64_t boot_ns;   /* the origin of ISN clocks and timestamps */
	struct pkt_pool chunk_pool;	    /* send buffer chunks */
	uint32_t ooo_bufs[PKT_CLASS_COUNT]; /* buffers all OOO stores pin */
	/* Per class, the connections whose OOO store pins buffers of
	 * it (first id, -1: none). */
	int32_t ooo_holders[PKT_CLASS_COUNT];
	/* Connections waiting for chunks, oldest first (-1: none), one
	 * FIFO per enum tcp_mem_wait_q, and how many woken ones hold a
	 * claim (tcp_buf.c). */
	int32_t mem_wait_head[TCP_MEM_WAIT_QUEUES];
	int32_t mem_wait_tail[TCP_MEM_WAIT_QUEUES];
	uint32_t mem_claims;
	/* Orphans counted against tcp_orphans_max (tcp_orphan_count). */
	uint32_t orphans;
	uint32_t chunks_reserve; /* tcp_chunks_reserve, at most max / 4 */

	uint32_t port_next; /* RFC 6056 3.3.3's next_ephemeral */
	/* ACKs to invalid segments left in second invalid_ack_second. */
	uint64_t invalid_ack_second;
	uint32_t invalid_ack_budget;
	/* SYNs at listeners answered since the last stack_turn(). */
	uint32_t syn_turn_used;
};

/* ---- congestion control ---- */

struct tcp_cc_ops {
	const char *name;
	void (*init)(struct tcp_conn *c);
	/* New data acknowledged outside recovery. */
	void (*on_ack)(struct tcp_conn *c, uint64_t now, uint32_t acked);
	/* Loss detected: by three duplicate ACKs (fast) or a timeout. */
	void (*on_loss)(struct tcp_conn *c, uint64_t now, bool timeout);
	/* Recovery ended (RFC 6582 3.2 step 3, full acknowledgement). */
	void (*on_recovery_end)(struct tcp_conn *c, uint64_t now);
};

extern const struct tcp_cc_ops tcp_cc_newreno;
extern const struct tcp_cc_ops tcp_cc_cubic;

/* The connection is established: its controller starts (init), and
 * HyStart++ with it when the stack enables it. */
void tcp_cc_start(const struct stack *s, struct tcp_conn *c);
/* HyStart++ (RFC 9406) sees an ACK that acknowledged new data outside
 * recovery, before the controller grows the window: it times the round
 * trip's rounds, leaves slow start for conservative slow start when the
 * RTT grows, and that for congestion avoidance after CSS_ROUNDS. */
void tcp_hystart_ack(struct stack *s, struct tcp_conn *c);
/* PRR (RFC 6937): fast recovery begins (after on_loss set ssthresh). */
void tcp_prr_start(struct tcp_conn *c);
/* PRR's sndcnt: the bytes an ACK lets the sender send in fast recovery,
 * given what was delivered and sent since recovery began, RecoverFS,
 * ssthresh, the pipe after this ACK, what this ACK delivered, and
 * whether the reduction bound may add a segment (snd_una advanced and
 * nothing new was judged lost: Linux's PRR-SSRB); the bound's catch-up
 * is at most TCP_MAX_BURST segments beyond delivered. *bounded is set when
 * the reduction bound held it below ssthresh - pipe. Pure arithmetic. */
uint32_t tcp_prr_sndcnt(uint32_t prr_delivered, uint32_t prr_out,
			uint32_t recover_fs, uint32_t ssthresh, uint32_t pipe,
			uint32_t delivered, uint32_t mss, bool bonus,
			bool *bounded);
/* Fast recovery ended: cwnd at most pipe + TCP_MAX_BURST segments
 * (ssthresh stays, so slow start closes the gap). */
void tcp_cc_moderate(struct tcp_conn *c);
/* An ACK in fast recovery delivered `delivered` bytes; `pipe` is what
 * the network holds after it: sets cwnd to pipe plus PRR's sndcnt. */
void tcp_prr_ack(struct stack *s, struct tcp_conn *c, uint32_t delivered,
		 uint32_t pipe, bool bonus);

/* A timeout while the loss of the same window is still being recovered:
 * cwnd falls to one segment, ssthresh stays where the first response
 * put it (either controller). */
void tcp_cc_timeout_again(struct tcp_conn *c);

/* tcp_rack.c */
/* Bytes sent and not acknowledged, less what the peer SACKed. */
uint32_t tcp_flight_size(const struct tcp_conn *c);
/* RFC 6675 "pipe": bytes the network holds: in flight, less SACKed,
 * less judged lost and not resent. */
uint32_t tcp_pipe(const struct tcp_conn *c);
/* RFC 6675 NextSeg() rule 1 with RACK's judgement: the first run of
 * lost records (at most max bytes). False when nothing is lost. */
bool tcp_next_lost(const struct tcp_conn *c, uint32_t max, uint32_t *seq,
		   uint32_t *len);
/* The first range the peer does not hold (at most max bytes). */
bool tcp_first_hole(const struct tcp_conn *c, uint32_t max, uint32_t *seq,
		    uint32_t *len);
void tcp_txr_free(struct tcp_conn *c);
/* Can a send be recorded? False only when no record exists and none
 * can be made (no memory): the send must wait. */
bool tcp_txr_can_record(struct tcp_conn *c, bool new_data);
/* [seq, end) left at `now` (called before snd_max moves): records the
 * bytes beyond snd_max, marks the rest resent. */
void tcp_txr_sent(struct tcp_conn *c, uint32_t seq, uint32_t end, uint64_t now);
/* Everything below ack is acknowledged. */
void tcp_txr_acked(struct tcp_conn *c, uint32_t ack, uint64_t now);
/* Marks what the segment's SACK blocks report; returns TCP_SACK_NEW
 * and TCP_SACK_DSACK bits. */
#define TCP_SACK_NEW   1
#define TCP_SACK_DSACK 2
int tcp_txr_sack(struct tcp_conn *c, const struct tcp_seg *seg, uint64_t now);
/* Judges every record not SACKed lost (a timeout). */
void tcp_txr_mark_all_lost(struct tcp_conn *c);
/* Forgets every loss judgement (a spurious episode undone). */
void tcp_txr_clear_lost(struct tcp_conn *c);
/* RACK_detect_loss(): marks records lost, sets t_reo for those that may
 * be; true if any became lost. */
bool tcp_rack_detect(struct tcp_conn *c, uint64_t now);
/* A recovery episode ended. */
void tcp_rack_recovery_done(struct tcp_conn *c);
/* (Re)computes t_tlp. */
void tcp_tlp_arm(struct stack *s, uint64_t now, struct tcp_conn *c);
/* An ACK arrived: ends a probe's episode when it can tell. */
void tcp_tlp_ack(struct stack *s, uint64_t now, struct tcp_conn *c,
		 const struct tcp_seg *seg, int sack, bool advanced);
/* The probe timeout expired. */
void tcp_tlp_fire(struct stack *s, uint64_t now, struct tcp_conn *c);
/* The payload a segment can carry now: the MSS less any SACK option. */
uint32_t tcp_payload_max(const struct tcp_conn *c);
/* The payload one segment we build can carry: tcp_payload_max(), or a
 * multiple of it up to TCP_TSO_MAX when c's interface offloads TSO. */
uint32_t tcp_seg_max(const struct stack *s, const struct tcp_conn *c);

/* ---- between the tcp_*.c files ---- */

int tcp_init(struct stack *s);
void tcp_destroy(struct stack *s);
/* p->data at the TCP header; addresses in p->saddr/daddr. */
void tcp_input(struct stack *s, uint64_t now, struct pkt *p);

struct tcp_conn *tcp_conn_get(struct stack *s, int id);
struct tcp_conn *tcp_conn_new(struct stack *s, uint64_t now);
void tcp_conn_hash(struct stack *s, struct tcp_conn *c);
void tcp_conn_unhash(struct stack *s, struct tcp_conn *c);
void tcp_conn_free(struct stack *s, struct tcp_conn *c);
struct tcp_conn *tcp_conn_lookup(struct stack *s, uint32_t laddr,
				 uint16_t lport, uint32_t raddr,
				 uint16_t rport);
/* Moves c to `st` and performs the new state's entry actions (tcp.c
 * lists them; `now` is needed by FIN_WAIT_2 and TIME_WAIT, which start
 * timers). Every state change goes through here. An impossible
 * transition is counted and ignored, and aborts a debug build. */
void tcp_set_state(struct stack *s, uint64_t now, struct tcp_conn *c,
		   enum tcp_state st);
/* The connection failed with `error`: it is CLOSED, its user learns
 * (MUST-12). Returns true when c was freed (an orphan, or not yet
 * accepted): the caller must not touch it. A CLOSED c stays until its
 * user closes it. */
bool tcp_fail(struct stack *s, struct tcp_conn *c, int error);
/* Removes a connection that is not accepted yet from its listener's
 * half-open count or accept queue (c->listener stays set). */
void tcp_listener_unlink(struct stack *s, struct tcp_conn *c);
/* c becomes an orphan: counts it against tcp_orphans_max (once).
 * Returns false, counting nothing, when that many are held: the caller
 * resets c (Linux's tcp_too_many_orphans). */
bool tcp_orphan_count(struct stack *s, struct tcp_conn *c);
/* c is an orphan no more (TIME_WAIT, CLOSED or freed): uncounts it. */
void tcp_orphan_uncount(struct stack *s, struct tcp_conn *c);
/* Queues an event for the user of c (none for orphans). */
void tcp_event(struct stack *s, struct tcp_conn *c, enum stack_event_type t);

uint32_t tcp_isn(const struct stack *s, uint64_t now, uint32_t laddr,
		 uint16_t lport, uint32_t raddr, uint16_t rport);
uint32_t tcp_ts_now(const struct stack *s, const struct tcp_conn *c,
		    uint64_t now);
/* Keyed hashes of a 4-tuple: domain 0 for timestamp offsets, others for
 * SYN cookies. */
uint32_t tcp_tuple_hash(const struct stack *s, uint32_t laddr, uint16_t lport,
			uint32_t raddr, uint16_t rport, uint32_t domain);
/* Fills the windows, MSS and options of a new connection. */
void tcp_conn_setup(struct stack *s, struct tcp_conn *c,
		    const struct tcp_sockopts *o);

/* tcp_input.c */
/* A turn ends (stack_pop_tx() found its queue empty): the SYN budget is
 * full again. */
void tcp_turn(struct stack *s);
/* A segment for no connection: a listener's business? Returns true when
 * it took p. */
bool tcp_listen_input(struct stack *s, uint64_t now, struct tcp_seg *seg,
		      struct pkt *p);
struct tcp_conn *tcp_passive_open(struct stack *s, uint64_t now,
				  const struct tcp_seg *seg,
				  const struct tcp_sockopts *o, uint32_t iss);

/* tcp_user.c */
/* A half-open connection of a listener completed its handshake. */
void tcp_listener_established(struct stack *s, struct tcp_conn *c);
struct tcp_listener *tcp_listener_find(struct stack *s, uint32_t addr,
				       uint16_t port);

/* tcp_output.c */
/* What tcp_output() may do beyond what the windows allow: the persist
 * timer fired, so probe a zero window or push the one segment SWS
 * avoidance held (FORCE); a tail loss probe, one segment, beyond cwnd
 * if need be (PROBE, RFC 8985 7.3). */
#define TCP_OUT_FORCE 0x01
#define TCP_OUT_PROBE 0x02
/* Sends whatever the state, windows and buffers allow, and what
 * out_flags (TCP_OUT_*, or 0) add. */
void tcp_output(struct stack *s, uint64_t now, struct tcp_conn *c,
		unsigned out_flags);
/* Sends c's SYN-ACK (a SYN cookie's connection is never in the table). */
void tcp_send_synack(struct stack *s, uint64_t now, struct tcp_conn *c);
/* Sends a bare ACK now. */
void tcp_send_ack(struct stack *s, uint64_t now, struct tcp_conn *c);
/* Sends a RST in reply to seg, for which no connection exists
 * (RFC 9293 3.10.7.1). */
void tcp_send_reset_for(struct stack *s, uint64_t now,
			const struct tcp_seg *seg);
/* Sends a RST on c (abort). */
void tcp_send_reset(struct stack *s, uint64_t now, struct tcp_conn *c);
/* Retransmits the earliest unacknowledged segment not SACKed (or the
 * SYN in the SYN states). */
void tcp_retransmit_one(struct stack *s, uint64_t now, struct tcp_conn *c);
/* Resends [seq, seq + len) of the sequence space (a FIN included if it
 * lies there). Returns 0 or -ENOBUFS. */
int tcp_retransmit_range(struct stack *s, uint64_t now, struct tcp_conn *c,
			 uint32_t seq, uint32_t len);
/* The window we would advertise now, in bytes (smaller under memory
 * pressure, tcp_mem_level()). */
uint32_t tcp_rcv_window(const struct stack *s, const struct tcp_conn *c);
/* The window the peer was last told of: from rcv_nxt to the right edge
 * advertised, 0 once data reached that edge. */
static inline uint32_t tcp_rcv_adv_window(const struct tcp_conn *c)
{
	return SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
}

/* tcp_timer.c */
void tcp_timer_update(struct stack *s, struct tcp_conn *c);
void tcp_timers_run(struct stack *s, uint64_t now);
uint64_t tcp_next_deadline(const struct stack *s);
void tcp_rearm_rexmt(struct stack *s, uint64_t now, struct tcp_conn *c);
void tcp_rtt_sample(struct tcp_conn *c, uint64_t rtt);
/* Arms spurious-retransmission detection as a loss episode starts. */
void tcp_undo_arm(struct stack *s, uint64_t now, struct tcp_conn *c);
/* Enters fast recovery on a loss RACK found (SACK connections). */
void tcp_enter_recovery(struct stack *s, uint64_t now, struct tcp_conn *c);

/* tcp_buf.c */
void tcp_sndbuf_free(struct stack *s, struct tcp_sndbuf *b);
/* Appends up to len bytes; returns how many fit (chunk pool bound). */
size_t tcp_sndbuf_append(struct stack *s, struct tcp_sndbuf *b,
			 const uint8_t *data, size_t len);
/* Copies len bytes from offset off (from snd_una) into out. */
void tcp_sndbuf_copy(const struct tcp_sndbuf *b, uint32_t off, uint8_t *out,
		     uint32_t len);
/* Drops n acknowledged bytes from the front. */
void tcp_sndbuf_consume(struct stack *s, struct tcp_sndbuf *b, uint32_t n);
/* Bytes c's send buffer may take now: its room under sndbuf_max, and
 * no more than the chunks c may take from the pool hold. */
uint32_t tcp_sndbuf_space(const struct stack *s, const struct tcp_conn *c);
/* Bytes c's send buffer has room for under sndbuf_max alone. */
uint32_t tcp_sndbuf_room(const struct tcp_conn *c);
/* c's user was refused (writable_wanted) while its buffer has room:
 * queues c at the tail of the memory waiters (no-op if queued). */
void tcp_mem_wait(struct stack *s, struct tcp_conn *c);
/* Takes c off the memory waiters and gives back any claim it holds
 * (its user let go, shut its side, or it closed). */
void tcp_mem_unwait(struct stack *s, struct tcp_conn *c);
/* c called tcp_send(): its claim, if any, is used. */
void tcp_mem_settle(struct stack *s, struct tcp_conn *c);
/* Wakes memory waiters, oldest first, one per free chunk not claimed
 * that it may take (those below their minimum first). */
void tcp_mem_wake(struct stack *s);
/* Does any connection wait for send-buffer chunks? */
bool tcp_mem_waiters(const struct stack *s);
/* c's user waits to write: raises STACK_EV_TCP_WRITABLE when the send
 * buffer takes bytes now, or queues c as a memory waiter when only the
 * pool is short (Linux's tcp_check_space). */
void tcp_check_space(struct stack *s, struct tcp_conn *c);
/* Bytes held in c's receive queue and out-of-order store. */
uint32_t tcp_rcv_queued(const struct tcp_conn *c);
uint32_t tcp_ooo_bytes(const struct tcp_conn *c);
/* A duplicate [seq, end) arrived: report it in the next ACK's first
 * SACK block (RFC 2883). */
void tcp_dsack_note(struct tcp_conn *c, uint32_t seq, uint32_t end);
/* Stores an out-of-order segment (takes p); false when it was dropped
 * (the per-connection bounds: TCP_OOO_MAX segments, TCP_OOO_MEM_FACTOR
 * times the buffer limit in pool bytes). */
bool tcp_ooo_insert(struct stack *s, struct tcp_conn *c, uint32_t seq,
		    struct pkt *p);
/* Appends in-order data (takes p) to the receive queue, copying it into
 * the tail buffer when it fits there. */
void tcp_rcvq_append(struct stack *s, struct tcp_conn *c, struct pkt *p);
/* Frees the receive queue's head buffer (the user read it). */
void tcp_rcvq_pop(struct stack *s, struct tcp_conn *c);
/* Pool bytes c's receive queue and out-of-order store pin. */
static inline uint32_t tcp_rcv_mem(const struct tcp_conn *c)
{
	return c->rcvq_mem + c->ooo_mem;
}
/* c's window under pressure, and under hard pressure what it may hold:
 * TCP_RCV_PRESSURE_WND_SEGS MSS rounded up to the window scale's unit,
 * so that the window on the wire still holds that many full segments
 * (rounded down, a 128-byte unit left one: each segment waited for the
 * delayed ACK) and never scales to zero (as Linux's __tcp_select_window
 * rounds up). */
static inline uint32_t tcp_rcv_pressure_wnd(const struct tcp_conn *c)
{
	uint32_t unit = 1u << c->rcv_wscale;

	return (TCP_RCV_PRESSURE_WND_SEGS * c->our_mss + unit - 1) &
	       ~(unit - 1);
}
/* Under hard pressure: may c take seg's data (in p)? It may hold up to
 * its minimum (tcp_rcv_pressure_wnd() bytes, and TCP_RCV_MIN_BUFS
 * small buffers): an in-order segment first prunes c's own
 * out-of-order data, the highest first, and a segment beyond the
 * minimum is cut to it (its FIN dropped); one in a large buffer also to
 * what is copied into small ones within the minimum. False when nothing
 * of it fits. */
bool tcp_rcv_pressure_fit(struct stack *s, struct tcp_conn *c,
			  struct tcp_seg *seg, const struct pkt *p);
/* Memory pressure from the pool's occupancy (TCP_MEM_*_16THS). */
enum tcp_mem_level { TCP_MEM_OK, TCP_MEM_PRESSURE, TCP_MEM_HARD };
enum tcp_mem_level tcp_mem_level(const struct stack *s);
/* Receive-buffer auto-tuning: may c's buffer still grow on its own (its
 * user did not set it, and it is below tcp_rcvbuf_max)? */
bool tcp_rcv_tunable(const struct stack *s, const struct tcp_conn *c);
/* In-order data arrived (rcv_nxt advanced; seg is the segment): takes a
 * sample of the receiver's RTT when one is due. */
void tcp_rcv_rtt_measure(const struct stack *s, uint64_t now,
			 struct tcp_conn *c, const struct tcp_seg *seg);
/* c's user read n bytes: once per RTT estimate, when the user read at
 * least half the buffer in it and in the one before, grows the buffer
 * to twice that (and more while that grows), within tcp_rcvbuf_max and
 * the window scale, unless the pool is under pressure. */
void tcp_rcv_space_adjust(struct stack *s, uint64_t now, struct tcp_conn *c,
			  uint32_t n);
/* At TCP_MEM_HARD: for each buffer class over TCP_MEM_PRUNE_TO_16THS,
 * prunes out-of-order data, the most recent first, from the connections
 * holding the most buffers of that class, until the class is back under
 * the mark or no out-of-order data holds any. */
void tcp_mem_reclaim(struct stack *s);
/* Moves what became in order from the OOO store to the receive queue;
 * returns the bytes moved (rcv_nxt advanced by the caller). */
uint32_t tcp_ooo_drain(struct stack *s, struct tcp_conn *c);
void tcp_rcv_free(struct stack *s, struct tcp_conn *c);
/* Writes up to `max` SACK blocks describing the OOO store, the block
 * holding `recent` first (RFC 2018 4). Returns the count. */
int tcp_sack_blocks(const struct tcp_conn *c, uint32_t recent,
		    uint32_t out[][2], int max);

#endif
