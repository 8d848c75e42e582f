/*
 * control_tcp.c - TCP connections and listeners through the IPC
 *
 * Theory of operation (docs/ipc.md, "TCP sockets", is the contract).
 *
 * A TCP connection reaches its application as one end of a
 * socketpair(AF_UNIX, SOCK_STREAM); the daemon keeps the other end in a
 * `struct tcp_channel`. Both ends are left blocking (the application's
 * must be, and socketpair() flags both or neither): every call the daemon
 * makes on its end says MSG_DONTWAIT instead of a fcntl per connection. A
 * listener is one end of a socketpair(AF_UNIX, SOCK_SEQPACKET) in a `struct
 * tcp_lchannel`: each accepted connection arrives on it as one packet (struct
 * ipc_accept) carrying the connection's stream end in SCM_RIGHTS.
 *
 * Ownership. A channel or listener belongs to its descriptor, not to the
 * control connection that made it: it lives until the application's end
 * is gone (every copy closed, or the process died), as a kernel socket
 * lives as long as its file. Only a blocking connect that has not been
 * answered yet belongs to its client (c->reply_pending), and dies with
 * it. Every object is the stack's cookie for its id (tcp_set_user,
 * tcp_listen_set_user), so an event leads straight to it, and it is in
 * a list, from which control_tcp_stop() frees them all. There are at most
 * connections_max channels ([control], fitted to the descriptors;
 * -ENFILE past it), and each is charged to the client and uid that made
 * it (a listener's for an accepted one) until it goes, whether or not
 * that client is still connected (control_limits.c; -EMFILE at a
 * share). Listeners are bounded by the stack (tcp_listeners_max) and
 * charged the same way.
 *
 * Application -> stack (channel_input). The application's end of the pair holds
 * half the connection's send buffer (channel_pair_size), so what it
 * writes ahead of the peer stays close to the send buffer, as with a kernel
 * socket. The daemon reads its end only while tcp_send_space() > 0, at most
 * that many bytes, into one buffer shared by every channel
 * (CONTROL_TCP_IO_BYTES, in struct control_tcp) and straight on into
 * tcp_send(). tcp_send_space() counts both the connection's send buffer and the
 * stack's shared chunk pool, so tcp_send() takes every byte read: a channel
 * owns no buffer of its own, and every byte the daemon holds for a connection
 * is in the stack's bounded pools (send_chunks_max, the packet pool). When
 * there is no space and the application has written something (a peek), the
 * daemon calls tcp_send() with nothing, which answers -EAGAIN and arms
 * STACK_EV_TCP_WRITABLE, stops reading and waits for that event: the
 * socketpair fills and the application blocks in write(), as on a full socket
 * buffer. The event comes from an ACK when the connection's send buffer is
 * full, and from the stack's memory waiters (tcp_buf.c) when the chunk pool is
 * short, when any connection gives chunks back.
 *
 * Reading is edge-triggered: a channel's end is in the channel set (a
 * private epoll set, one libev watcher, t->hup_fd) with EPOLLIN |
 * EPOLLRDHUP | EPOLLET, so each write of the application (and its
 * shutdown or close) is reported once; channel_input reads until the
 * stream is empty or EOF, and when it stops with bytes left (the
 * per-wakeup budgets of bytes and reads, daemon_turn_full) it re-sets the
 * entry, which reports it again next turn. Edge-triggered so that bytes may
 * stay in the pair without being reported again: a small request ("held") is
 * read with MSG_PEEK, handed to tcp_send() and left in the pair, because
 * consuming it frees its buffer, which makes the application's end
 * writable and wakes whoever sleeps on that end's wait queue, and that
 * is the application blocked in read() for the answer (a blocking read
 * waits there whatever event it wants): a wake-up and a context switch
 * of the application for nothing on every round trip. Held requests are
 * consumed (one recv) after an answer was written to the application once
 * CHANNEL_HOLD_PIECES are held or the next might not fit beside them (then
 * the application is most likely awake: the consume wakes nobody, unless it
 * was quick enough to ask again and sleep), and before anything else is
 * read, before the daemon stops reading (no room) and before its end is
 * closed (with whatever else is unread there: channel_discard_unread). A
 * peek finds a small request: all the stream held, under
 * CHANNEL_HOLD_BYTES; after a large read (bulk) the next read does not peek
 * first. Only pairs whose application end has at least
 * CHANNEL_HOLD_MIN_SNDBUF hold. Held bytes are under 4 KiB, but a peek
 * cannot tell how many writes (each a buffer of the application's end)
 * they came in: written a byte at a time, they can leave the end
 * unwritable (POLLOUT wants three quarters of its send buffer free) or
 * full, and a peer that only reads never sends the answer that would
 * release them. So a timer consumes what is still held a whole
 * CHANNEL_HOLD_MAX_S after it was first held (hold_timer_cb): no
 * request stays held much beyond twice that (the timer's own lateness). A
 * channel whose held bytes the timer took with no answer since (a sender that
 * does not wait for answers) holds nothing more until an answer goes to its
 * application: its tiny writes would fill its end under a hold and wait for the
 * timer again and again. Held requests count in the
 * application's SIOCOUTQ (an AF_UNIX end's: the buffers it has in the
 * pair, 768 for a 10-byte write) until they are consumed, after their
 * answer too, where a kernel socket's would read 0 once the answer
 * acknowledged them. A shutdown reported together with bytes (EPOLLRDHUP) would
 * not be reported again: then nothing is held and input reads on to EOF. An
 * urgent byte the application sent (MSG_OOB, EPOLLPRI) ends a read or
 * a peek short of the bytes after it, and so do descriptors it sent
 * (SCM_RIGHTS; the kernel closes them, as a TCP socket ignores them;
 * MSG_CTRUNC says so): then nothing is held either and input reads on
 * until the stream is empty (channel_recv).
 *
 * Stack -> application (channel_output). On STACK_EV_TCP_READABLE the
 * daemon writes tcp_recv_peek() views to its end and tcp_recv_consume()s
 * only what the socketpair took, so an application that does not read
 * closes the advertised window. When the socketpair is full it waits
 * for EV_WRITE. The READABLE event is an edge (re-armed when a peek
 * finds nothing), so output always runs until -EAGAIN, a full
 * socketpair, or its per-wakeup budget (then EV_WRITE resumes it).
 *
 * Ends of the stream:
 *   - peer FIN (peek: 0 bytes, status 0): shutdown(fd, SHUT_WR), so the
 *     application reads EOF.
 *   - application shutdown(SHUT_RD): writing to its end fails with EPIPE
 *     while the end is not hung up: reception stops there, the
 *     connection goes on and what arrives stays queued in the stack, as
 *     Linux queues it (channel_output_shut_rd).
 *   - application EOF on read: with POLLHUP it closed its end (or died):
 *     tcp_close(), which sends what is queued and FIN, or RST when
 *     received data is left unread (the stack's rule). Without POLLHUP
 *     it did shutdown(SHUT_WR): tcp_shutdown(); the channel stays for
 *     the other direction.
 *   - ECONNRESET when reading, EPIPE/ECONNRESET when writing: the
 *     application closed its end with data unread in it, or closed it
 *     while data was arriving: tcp_abort() / tcp_close() (RST).
 *   - both directions finished: tcp_close() and the channel goes; the
 *     application's end reads EOF and writes EPIPE from then on.
 *   - the daemon stops (control_tcp_stop): the urgent byte ENETDOWN,
 *     unless the peer's FIN went on already (channel_notice_now).
 *   - the channel set refuses the end (epoll_ctl fails: hup_watch):
 *     the daemon could neither read it nor notice its application's
 *     exit, so the connection is reset, counted, and the application
 *     gets the urgent byte ECONNABORTED (channel_watch_failed).
 *   - an error (peek returns it, or STACK_EV_TCP_ERROR; or tcp_send()
 *     took less than tcp_send_space() promised, a chunk it could not
 *     allocate, when the daemon resets the connection, tcp_reset(), as
 *     the bytes it read are lost, and goes on as here): data received
 *     before it is delivered first, then one urgent byte (MSG_OOB)
 *     holding the errno, then the daemon closes its end. Its end is
 *     shut for reading at once (channel_stop_writes), so the
 *     application's writes fail from then on, a blocked one too; at
 *     the close, what the application wrote and the daemon never read
 *     is discarded, which would make AF_UNIX report ECONNRESET too
 *     (channel_discard_unread, as at every close). libutcp's
 *     utcp_tcp_recv()/utcp_tcp_send() turn that byte into -ECONNRESET
 *     (or -ETIMEDOUT, ...) once; a plain read() sees the data, then
 *     EOF; a write fails with EPIPE.
 *
 * Noticing the application's exit. A channel always notices that its
 * application closed its end or died, whatever it waits for: while it
 * reads the end, EOF says so; while it writes, EPIPE (EV_WRITE fires on
 * a hang-up); and while it does neither (the application shut its side
 * down, a non-blocking connect is in progress, it waits for
 * STACK_EV_TCP_WRITABLE, or the connection failed) its entry in the
 * channel set reports only hang-ups (events 0: EPOLLHUP and EPOLLERR);
 * EPOLLIN would report EOF there. channel_reading() is the one switch
 * between reading and watching for a hang-up, so a channel is never in
 * neither. A hang-up while waiting for WRITABLE (channel_app_gone):
 * the connection becomes an orphan in the stack (tcp_orphan(), or a
 * reset when tcp_orphans_max are held, as a close would be); what the
 * application wrote goes to the stack as far as it takes it; what is
 * left waits like an orphan's send queue while the connection's own
 * send buffer is full (the peer will take it), but resets the
 * connection when the shared chunk pool is what is short, as Linux
 * resets orphans when TCP is out of memory: the bytes could be kept
 * nowhere but in the descriptor, held for as long as others hold the
 * pool. Once the peer's FIN went on, a hang-up may be a live
 * application's shutdown(SHUT_WR) (both directions of the daemon's end
 * are then shut): no reset then, the rest drains. Either way the wait
 * is bounded: a peer that keeps its window shut, answering every
 * probe, makes the orphan give up after tcp_orphan_retries probes
 * (tcp_timer.c); its STACK_EV_TCP_ERROR then ends the channel, and the
 * descriptor with it. (An application that shut both directions and
 * lives on can learn nothing more from its end either way.)
 *
 * Listeners (lchannel_accept). On STACK_EV_TCP_ACCEPTABLE the daemon
 * calls tcp_accept() repeatedly; for each connection it makes the
 * stream pair and sends the announcement with the application's end.
 * When the listening socketpair is full (EAGAIN) the one announcement in
 * hand waits (EV_WRITE) and tcp_accept() is not called again until it
 * went, so connections stay in the stack's bounded backlog and beyond it
 * SYN cookies answer. The daemon's end is shut for reading (the
 * application's write() on a listener fails with EPIPE, as on a kernel
 * socket), so it sits in the channel set (events 0), where the application
 * closing its listening descriptor shows: tcp_listen_close() (connections not
 * accepted by the stack are reset; ones in flight to the application arrive
 * closed, and their channels see EOF and close).
 *
 * Connect. TCP_CONNECT calls tcp_connect() and makes the pair at once.
 * Blocking form: the reply waits (c->reply_pending stops the client's
 * further requests) for STACK_EV_TCP_CONNECTED (status 0 + descriptor),
 * STACK_EV_TCP_ERROR (its errno) or the timeout (-ETIMEDOUT). Non-
 * blocking form (libutcp's only one): the reply with the descriptor is
 * held (connect_hold) until the links were read after the SYN, so a
 * peer that answers at once makes it arrive established (or failed,
 * its urgent byte in it); after one more turn it goes with the connect
 * in progress, its sending direction
 * full of filler (channel_fill) so it is not writable until the
 * connect is over; the filler is read back, unsent, once established
 * (channel_start) or after the urgent byte of a failure
 * (channel_fail), so POLLOUT says the connect is over and
 * utcp_tcp_error() (SO_ERROR) how. What only a connect needs (the
 * waiting client and request id, the end not yet sent, the filler's
 * count, the timer: struct tcp_connect) is allocated with it and freed
 * once it is over, as a lingering close's state is, so an accepted or
 * established channel does not carry it. Request first, housekeeping
 * later: while a reply is held, the channel set waits (hup_cb, at most
 * HUP_DEFER_TURNS_MAX turns in a row; it runs after the turn's
 * requests), so the close of the connection an application ended just
 * before asking for the next is done after the reply, not before its
 * SYN.
 *
 * Options (TCP_SETOPT, TCP_GETOPT, TCP_LINGER) are taken from the
 * client that made the connection (or its listener), or from any
 * client whose request carries the connection's descriptor as proof
 * of possession: a channel records its application end's identity
 * (its SO_COOKIE, one getsockopt() when the pair is made, which no other
 * socket gets until the system restarts; st_dev and st_ino too on a
 * kernel without cookies; 24 bytes) and compares it with the proof's
 * (channel_allows).
 *
 * Lingering close (TCP_LINGER, SO_LINGER with a time). The request of
 * an application that shut its side waits, as a blocking connect's
 * does (c->reply_pending), while a timer looks at the connection every
 * CONTROL_TCP_LINGER_POLL_S until its FIN is acknowledged, it fails,
 * or the linger time passes; destroying the channel answers it too. What
 * the wait needs (struct tcp_linger: the client, the request id, the
 * deadline and the timer) is allocated when it starts and freed when it
 * ends, at most one per channel, so an idle channel does not carry it
 * (-ENOMEM when that allocation fails).
 *
 * Stack events are hints: a handler finds the object by the event's
 * cookie and asks the stack (tcp_recv_peek ...) what is true now, so a
 * stale event is harmless.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "control_tcp.h"

#include "control_limits.h"
#include "log.h"

#define CONTROL_TCP_IO_BYTES	       (64u << 10)  /* one read from an app */
#define CONTROL_TCP_WAKEUP_BYTES       (256u << 10) /* per direction, wakeup */
#define CONTROL_TCP_ACCEPTS_PER_WAKEUP 64
#define CONTROL_TCP_HUP_EVENTS	       64
/* Reads of an application's end per wakeup: a bulk wakeup takes 4 (64
 * KiB each); descriptors or urgent bytes end each read after as little
 * as one byte (channel_recv), and a wakeup's 256 KiB of those kept other
 * clients' round trips waiting up to seconds (docs/design.md). */
#define CONTROL_TCP_WAKEUP_READS 16
/* Turns in a row the channel set may wait for held connect replies
 * (hup_cb): a reply is held at most two. */
#define HUP_DEFER_TURNS_MAX 2
/* Holding requests (channel_hold): a peek of at most this many bytes
 * finds a small request, at most this many are held at once, and only
 * in a pair whose application end has at least this send buffer. */
#define CHANNEL_HOLD_BYTES	4096
#define CHANNEL_HOLD_PIECES	8
#define CHANNEL_HOLD_MIN_SNDBUF (64 << 10)
/* Held requests no answer released are consumed after one to two of
 * these (hold_timer_cb). */
#define CHANNEL_HOLD_MAX_S 0.001

struct tcp_lchannel;

/* A TCP_LINGER not answered yet: its client, request id, and the timer
 * that looks at the connection until its FIN is acknowledged or the
 * linger time (the deadline, daemon_now()) is over. */
struct tcp_linger {
	struct control_client *waiter;
	uint32_t reply_id;
	uint64_t deadline;
	ev_timer timer; /* data: the channel */
};

/* What only a connect needs (TCP_CONNECT), allocated with its channel
 * and freed once the connect is over: answered, its filler read back
 * and its timer stopped (channel_connect_end), so that an accepted or
 * established channel does not carry it. */
struct tcp_connect {
	struct control_client *waiter; /* connect not answered yet */
	uint32_t reply_id;	       /* ... its request id */
	int app_fd;		       /* the application's end, until sent */
	size_t filler;		       /* non-blocking: bytes to discard */
	ev_timer timer;		       /* the connect's timeout; data: ch */
	/* A non-blocking connect whose reply is held for a turn
	 * (connect_hold): next in ctl->tcp->held, and the turns seen. */
	struct tcp_connect *held_next;
	bool held;
	uint8_t held_turns;
};

struct tcp_channel {
	struct control *ctl;
	struct tcp_channel *prev, *next; /* ctl->tcp->channels */
	struct tcp_connect *cn;		 /* a connect not over, else NULL */
	unsigned creator;		 /* client serial, for TCP_SETOPT */
	struct control_fd_id app_id;	 /* the application's end's */
	struct control_owner owner;	 /* charged to (control_limits.c) */
	int conn;			 /* the stack's connection id */
	int fd;				 /* the daemon's end */
	int fail_error;			 /* the urgent byte waits for room */
	ev_io write_watcher;
	bool connecting;    /* until CONNECTED (or failure) */
	bool app_eof;	    /* the application shut its side (tcp_shutdown) */
	bool peer_eof;	    /* the peer's FIN went on (SHUT_WR on fd) */
	bool want_writable; /* reading stopped until TCP_WRITABLE */
	bool in_hup_set;    /* fd is in the channel set (t->hup_fd) */
	bool reading;	    /* ... for reading (EPOLLIN), not hang-ups alone */
	bool app_gone;	    /* hung up: what it wrote still drains */
	bool app_shut_rd;   /* the application shut its reading side */
	bool hold_ok;	    /* the pair is large enough to hold requests */
	bool bulk;	    /* the last read was large: no peek first */
	bool rdhup;	    /* the end reported a shutdown: hold nothing */
	bool hup;	    /* ... a hang-up (EPOLLHUP: for good) */
	bool read_on;	    /* a read ended short (an urgent byte, file
			     * descriptors): read on until empty */
	bool read_eof;	    /* a read (not a peek) found EOF: nothing
			     * unread is left */
	bool on_hold_list;  /* in ctl->tcp->holding (held, or was) */
	bool hold_old;	    /* held since before hold_timer last fired */
	bool answered;	    /* output wrote since the last hold */
	bool streaming;	    /* the timer took unanswered bytes: no hold */
	uint8_t held_n;	    /* requests held (sent on, left in the pair) */
	uint16_t held;	    /* ... their bytes */
	struct tcp_channel *hold_next; /* ctl->tcp->holding */
	/* The listener whose announcement of this connection waits for
	 * room (its pending); destroying the channel clears that. */
	struct tcp_lchannel *announcing;
	struct tcp_linger *linger; /* a TCP_LINGER waits, else NULL */
};

/* How often a lingering close looks at its connection. */
#define CONTROL_TCP_LINGER_POLL_S 0.01

/* A pair made ahead that could not be made is tried again after this
 * long, doubled after each failure up to the maximum, and back to the
 * minimum once one is made ("Pairs made ahead"). */
#define CONTROL_TCP_SPARE_RETRY_MIN_S 0.01
#define CONTROL_TCP_SPARE_RETRY_MAX_S 1.0

struct tcp_lchannel {
	struct control *ctl;
	struct tcp_lchannel *prev, *next;
	unsigned creator;
	struct control_owner owner; /* charged to, as its connections */
	int listener;		    /* the stack's listener id */
	uint32_t local_addr;
	uint16_t local_port;
	int fd; /* the daemon's end of the SEQPACKET pair, shut for reading */
	bool in_hup_set;
	bool accept_nonblock; /* IPC_TCP_LISTEN_F_ACCEPT_NONBLOCK */
	ev_io write_watcher;
	/* An accepted connection whose announcement waits for room. */
	struct tcp_channel *pending;
	int pending_fd;
	struct ipc_accept pending_msg;
};

/* A socketpair made ahead (channel_spare_take): its ends, the
 * application end's identity, the TCP send buffer it was sized for
 * (channel_pair_size) and whether that lets it hold requests. */
struct channel_spare {
	int fd[2];
	struct control_fd_id app_id;
	uint32_t sndbuf;
	bool hold_ok;
};

struct control_tcp {
	struct tcp_channel *channels;
	struct tcp_lchannel *lchannels;
	unsigned nchannels;
	int hup_fd; /* the channel set: epoll, channels and listeners */
	ev_io hup_watcher;
	uint64_t refused;	/* connections reset: a limit */
	uint64_t gone_reset;	/* reset: app gone, its bytes short of chunks */
	uint64_t orphans_reset; /* reset: app gone, tcp_orphans_max held */
	int pair_sndbuf;	/* a new socketpair's SO_SNDBUF (0: unknown) */
	struct tcp_connect *held;    /* non-blocking replies held a turn */
	ev_prepare held_turn;	     /* after loop.c's drain: release them */
	ev_idle held_nowait;	     /* the loop polls without blocking */
	struct tcp_channel *holding; /* channels that held requests */
	ev_timer hold_timer;	     /* consumes those held too long */
	uint8_t hup_deferred;	     /* turns the channel set waited */
	/* Pairs made ahead, per kind (the application's end blocking:
	 * 0, non-blocking: 1), and the watcher that makes them. */
	struct channel_spare spare[2][CONTROL_TCP_SPARES];
	uint8_t spares[2];
	ev_idle spare_idle;
	/* After a pair could not be made: the timer that tries again,
	 * its next wait (CONTROL_TCP_SPARE_RETRY_MIN_S doubling to _MAX_S)
	 * and the failures of this run (0: none, the making works); the
	 * runs so far, of which one in 1024 is logged. */
	ev_timer spare_retry;
	double spare_retry_s;
	uint64_t spare_failures;
	uint64_t spare_runs;
	uint8_t io[CONTROL_TCP_IO_BYTES]; /* one read, shared by channels */
};

enum channel_end {
	END_CLOSE, /* tcp_close: FIN, or RST with unread data */
	END_ABORT, /* tcp_abort: RST */
};

static void channel_output(struct tcp_channel *ch);
static void channel_input(struct tcp_channel *ch);
static void lchannel_destroy(struct tcp_lchannel *l);

/* A listener's entry in the channel set: its address, tagged (channels'
 * entries are connection ids, below 2^31). */
#define HUP_LISTENER_TAG (1ull << 63)

/* The channel of stack connection `conn` (its cookie), or NULL. */
static struct tcp_channel *channel_find(struct control *ctl, int conn)
{
	return tcp_get_user(ctl->d->stack, conn);
}

/* ---- the stack's options from the wire's ---------------------------- */

/* Starts from the defaults and applies what the request sets. */
/* Applies the options a request sets to *out (the defaults, or a
 * connection's current options). */
static void sockopts_apply(const struct ipc_tcp_opts *in,
			   struct tcp_sockopts *out)
{
	if (in->set & IPC_TCP_OPT_NODELAY)
		out->nodelay = in->nodelay;
	if (in->set & IPC_TCP_OPT_KEEPALIVE)
		out->keepalive = in->keepalive;
	if (in->set & IPC_TCP_OPT_SNDBUF)
		out->sndbuf = in->sndbuf;
	if (in->set & IPC_TCP_OPT_RCVBUF) {
		out->rcvbuf = in->rcvbuf;
		out->rcvbuf_lock = true; /* no auto-tuning, as Linux */
	}
	if (in->set & IPC_TCP_OPT_KEEPIDLE)
		out->keepidle_s = in->keepidle_s;
	if (in->set & IPC_TCP_OPT_KEEPINTVL)
		out->keepintvl_s = in->keepintvl_s;
	if (in->set & IPC_TCP_OPT_KEEPCNT)
		out->keepcnt = in->keepcnt;
	if (in->set & IPC_TCP_OPT_LINGER) {
		out->linger = in->linger;
		out->linger_s = in->linger_s;
	}
	if (in->set & IPC_TCP_OPT_MAXSEG)
		out->maxseg = (uint16_t)in->maxseg;
	if (in->set & IPC_TCP_OPT_TOS)
		out->tos = in->tos;
	if (in->set & IPC_TCP_OPT_TTL)
		out->ttl = in->ttl;
}

/* The wire's options from the stack's: every option, as the
 * connection holds it (TCP_GETOPT). A TTL left to the default reads
 * as that default, as Linux's getsockopt(IP_TTL) gives it. */
static void sockopts_to_ipc(const struct tcp_sockopts *in,
			    struct ipc_tcp_opts *out)
{
	*out = (struct ipc_tcp_opts){
	    .set = IPC_TCP_OPT_ALL,
	    .nodelay = in->nodelay,
	    .keepalive = in->keepalive,
	    .sndbuf = in->sndbuf,
	    .rcvbuf = in->rcvbuf,
	    .keepidle_s = in->keepidle_s,
	    .keepintvl_s = in->keepintvl_s,
	    .keepcnt = in->keepcnt,
	    .linger = in->linger,
	    .linger_s = in->linger_s,
	    .maxseg = in->maxseg,
	    .tos = in->tos,
	    .ttl = in->ttl ? in->ttl : (uint8_t)STACK_DEFAULT_TTL,
	};
}

static void sockopts_from_ipc(const struct stack *s,
			      const struct ipc_tcp_opts *in,
			      struct tcp_sockopts *out)
{
	tcp_sockopts_default(s, out);
	sockopts_apply(in, out);
}

/* ---- the channel set ----------------------------------------------- */

static void channel_watch_failed(struct tcp_channel *ch, int err);

/* Puts the channel's end in the channel set, or changes what it is
 * watched for there: EPOLLIN | EPOLLET (reading), or 0 (hang-ups
 * alone). A change reports the end at once when it is ready, so
 * re-setting EPOLLIN | EPOLLET is also how a channel that stopped
 * reading with bytes left asks to be called again next turn. Returns
 * false when that failed (ENOMEM, ENOSPC: the user's max_user_watches):
 * a channel the daemon cannot watch would never read again nor notice
 * its application's exit, so it has failed and is gone
 * (channel_watch_failed). */
static bool hup_watch(struct tcp_channel *ch, uint32_t events)
{
	struct control_tcp *t = ch->ctl->tcp;
	struct epoll_event ev = {.events = events,
				 .data.u64 = (uint64_t)ch->conn};

	if (epoll_ctl(t->hup_fd, ch->in_hup_set ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
		      ch->fd, &ev) != 0) {
		channel_watch_failed(ch, errno);
		return false;
	}
	ch->in_hup_set = true;
	ch->reading = events != 0;
	return true;
}

/* Watches for hang-ups alone; false: the channel is gone (hup_watch). */
static bool hup_add(struct tcp_channel *ch)
{
	return hup_watch(ch, 0);
}

static void hup_del(struct tcp_channel *ch)
{
	if (!ch->in_hup_set)
		return;
	(void)epoll_ctl(ch->ctl->tcp->hup_fd, EPOLL_CTL_DEL, ch->fd, NULL);
	ch->in_hup_set = false;
	ch->reading = false;
}

/* Reads the application's end (EPOLLIN), or stops and watches it
 * for a hang-up alone: the one switch between the two, so that a
 * channel always notices its application's exit (once it has gone
 * there is nothing more to notice). Returns false when the channel
 * could not be watched and is gone (hup_watch). */
static bool channel_reading(struct tcp_channel *ch, bool on)
{
	if (on)
		return hup_watch(ch, EPOLLIN | EPOLLPRI | EPOLLRDHUP | EPOLLET);
	if (!ch->app_gone)
		return hup_add(ch);
	hup_del(ch); /* a hang-up, once seen, would be seen again */
	return true;
}

/* ---- channels ------------------------------------------------------- */

static void channel_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	channel_output(w->data);
}

static void connect_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void linger_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void linger_answer(struct tcp_channel *ch, uint32_t all_sent);

/*
 * The socketpair is a buffer of its own in front of the TCP send
 * buffer: what an application can write ahead of a peer that does not
 * read is the send buffer plus what the pair holds. The application's
 * end (whose send buffer is what AF_UNIX stream sockets account
 * against; the receiver's SO_RCVBUF plays no part) is therefore
 * sized to half the connection's send buffer: the kernel doubles the
 * value set, hence the quarter. (An eighth cost about half the bulk
 * throughput from the application: the daemon's reads of up to 64 KiB
 * found the pair nearly empty each time.) Below the kernel's
 * minimum the kernel raises it; above the pair's default size it is
 * left at the default (then what the stack holds dominates anyway).
 * The size is fixed when the pair is made: a later TCP_SETOPT changes
 * the stack's buffer only.
 */
static int channel_pair_size(struct control_tcp *t, int app_fd,
			     uint32_t tcp_sndbuf)
{
	int want = (int)(tcp_sndbuf / 4);
	socklen_t len = sizeof(t->pair_sndbuf);

	/* A new pair's size is the kernel's default (net.core.wmem_default),
	 * read from the first pair and remembered: one system call less per
	 * connection. A failure leaves the default. */
	if (t->pair_sndbuf == 0 && getsockopt(app_fd, SOL_SOCKET, SO_SNDBUF,
					      &t->pair_sndbuf, &len) != 0)
		t->pair_sndbuf = 0;
	if (want < t->pair_sndbuf / 2) {
		(void)setsockopt(app_fd, SOL_SOCKET, SO_SNDBUF, &want,
				 sizeof(want));
		return 2 * want;
	}
	return t->pair_sndbuf;
}

/*
 * Reads (or peeks at) up to `want` bytes of the application's end into
 * t->io. Descriptors the application sent (SCM_RIGHTS) end the read
 * after their bytes, and more may follow with no edge to say so: the
 * kernel closes them (no room for them: MSG_CTRUNC), as a TCP socket
 * ignores them, and the channel reads on until its end is empty.
 */
static ssize_t channel_recv(struct tcp_channel *ch, size_t want, int flags)
{
	struct iovec iov = {.iov_base = ch->ctl->tcp->io, .iov_len = want};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n = recvmsg(ch->fd, &mh, flags | MSG_DONTWAIT);

	if (n > 0 && (mh.msg_flags & MSG_CTRUNC))
		ch->read_on = true;
	return n;
}

/*
 * A small request the application wrote is read with MSG_PEEK and left
 * in the pair, "held", once the stack has it (see the top of the file):
 * returns the number of new bytes, copied to the start of t->io, or 0
 * when the caller is to read as always (nothing new, EOF, more than a
 * small request, or as many held as allowed), or -1 with errno (an
 * error only a peek with nothing held can meet, and it takes the
 * socket's error: the caller must act on it).
 */
static ssize_t channel_hold(struct tcp_channel *ch, size_t want)
{
	uint8_t *io = ch->ctl->tcp->io;
	ssize_t n;

	if (!ch->hold_ok || ch->bulk || ch->rdhup || ch->read_on ||
	    ch->streaming || ch->app_gone ||
	    ch->held_n >= CHANNEL_HOLD_PIECES || want < CHANNEL_HOLD_BYTES)
		return 0;
	n = channel_recv(ch, CHANNEL_HOLD_BYTES, MSG_PEEK);
	if (n < 0)
		return -1;
	if (n <= (ssize_t)ch->held || n >= CHANNEL_HOLD_BYTES || ch->read_on)
		return 0;
	memmove(io, io + ch->held, (size_t)n - ch->held);
	return n - (ssize_t)ch->held;
}

/* Consumes the held requests (the stack has them already). */
static void channel_release(struct tcp_channel *ch)
{
	if (ch->held)
		(void)recv(ch->fd, ch->ctl->tcp->io, ch->held, MSG_DONTWAIT);
	ch->held = 0;
	ch->held_n = 0;
}

/*
 * A peek cannot tell how many writes, and so how many of the
 * application's socket buffers, the bytes it finds came in: a hold of
 * 100 bytes written one at a time holds 100 buffers, enough to leave
 * the application's end unwritable, and then no answer may ever come
 * to release them (a peer that only reads). So the channels that
 * start holding go on a list, and a timer consumes what is still held
 * after a whole period: no request stays held past
 * 2 * CHANNEL_HOLD_MAX_S. A round trip answered sooner releases its
 * request itself; one answered later wakes its application for
 * nothing, as before holding.
 */
static void hold_listed(struct tcp_channel *ch)
{
	struct control_tcp *t = ch->ctl->tcp;

	ch->hold_old = false;
	if (ch->on_hold_list)
		return;
	ch->on_hold_list = true;
	ch->hold_next = t->holding;
	t->holding = ch;
	if (!ev_is_active(&t->hold_timer))
		ev_timer_again(ch->ctl->d->loop, &t->hold_timer);
}

/* Takes a channel off the list (a short one: those that held since the
 * timer last fired). */
static void hold_unlisted(struct tcp_channel *ch)
{
	struct tcp_channel **pp;

	if (!ch->on_hold_list)
		return;
	for (pp = &ch->ctl->tcp->holding; *pp; pp = &(*pp)->hold_next)
		if (*pp == ch) {
			*pp = ch->hold_next;
			break;
		}
	ch->on_hold_list = false;
	ch->hold_next = NULL;
}

static void hold_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct control_tcp *t = ((struct control *)w->data)->tcp;
	struct tcp_channel **pp = &t->holding;

	while (*pp) {
		struct tcp_channel *ch = *pp;

		if (ch->held && !ch->hold_old) {
			ch->hold_old = true; /* the next tick, if still held */
			pp = &ch->hold_next;
			continue;
		}
		/* Held a whole period with no answer since: a sender
		 * that does not wait for answers, whose writes may
		 * fill its end under a hold each time: no hold until
		 * an answer goes. */
		if (ch->held && !ch->answered)
			ch->streaming = true;
		channel_release(ch); /* held a whole period, or released */
		*pp = ch->hold_next;
		ch->hold_next = NULL;
		ch->on_hold_list = false;
	}
	if (!t->holding)
		ev_timer_stop(loop, w);
}

/*
 * Makes a stream pair into *sp, its application end blocking unless
 * `nonblock` and sized for a TCP send buffer of `sndbuf` bytes (0: left
 * as made). SOCK_NONBLOCK flags both ends or neither: the daemon's needs
 * no flag either way, as every call on it says MSG_DONTWAIT, so there is
 * no fcntl per connection. Returns 0, or -ENFILE when out of descriptors
 * (everybody's), or the errno of socketpair.
 */
static int channel_pair_make(struct control_tcp *t, bool nonblock,
			     uint32_t sndbuf, struct channel_spare *sp)
{
	if (socketpair(AF_UNIX,
		       SOCK_STREAM | SOCK_CLOEXEC |
			   (nonblock ? SOCK_NONBLOCK : 0),
		       0, sp->fd) < 0)
		return errno == EMFILE ? -ENFILE : -errno;
	sp->sndbuf = sndbuf;
	sp->hold_ok = sndbuf > 0 && channel_pair_size(t, sp->fd[1], sndbuf) >=
					CHANNEL_HOLD_MIN_SNDBUF;
	sp->app_id = control_fd_id_of_own(sp->fd[1]);
	return 0;
}

/*
 * Pairs made ahead. Making a pair (socketpair, its size, its identity)
 * is three system calls between a connect's request and its SYN, or
 * between a SYN-ACK and its announcement. So up to CONTROL_TCP_SPARES
 * pairs of each kind wait ready, sized for the stack's default send
 * buffer: a connection with that buffer takes one (the newest), one
 * with another makes its own. The spare_idle watcher makes them, the
 * first ones too, one per turn, and only in turns that found nothing
 * else to do (libev runs idle watchers then): after the reply, while
 * the application works. None is made before the loop runs
 * (control_tcp_start), that is before the daemon dropped its
 * privileges: a pair belongs to whoever made it. Their descriptors are set
 * aside in the descriptor budget (CONTROL_TCP_SPARE_FDS,
 * control_fds_reserved()). When a pair cannot be made (out of descriptors:
 * EMFILE, ENFILE) the idle watcher stops, since trying again in every idle
 * turn would spin the loop, and a timer (spare_retry) starts it again after
 * CONTROL_TCP_SPARE_RETRY_MIN_S, doubled after each failure up to
 * CONTROL_TCP_SPARE_RETRY_MAX_S: the pairs come back without a connection
 * asking for one. A connection that takes or makes a pair meanwhile starts
 * the watcher at once too. A run of failures is logged once, when it
 * starts, and again when it ends (every pair made again, not only one:
 * failures that alternate with pairs made are one run), and only one
 * run in 1024 (at the descriptor limit each connection can start one);
 * each failure counts (control_tcp_pairs_ahead_failed).
 */
static bool channel_spare_take(struct control *ctl, bool nonblock,
			       uint32_t sndbuf, struct channel_spare *sp)
{
	struct control_tcp *t = ctl->tcp;
	uint8_t *n = &t->spares[nonblock];
	bool took = *n > 0 && t->spare[nonblock][*n - 1].sndbuf == sndbuf;

	if (took)
		*sp = t->spare[nonblock][--*n];
	/* The missing ones are made again, of both kinds: the one just
	 * taken, or those whose making failed (out of descriptors) and
	 * that connections of either kind took since. */
	if (t->spares[0] < CONTROL_TCP_SPARES ||
	    t->spares[1] < CONTROL_TCP_SPARES)
		ev_idle_start(ctl->d->loop, &t->spare_idle);
	return took;
}

/* Makes one missing pair ahead. Returns 1 when it made one, 0 when none
 * is missing, or the negative errno of socketpair(). */
static int channel_spare_make(struct control *ctl)
{
	struct control_tcp *t = ctl->tcp;
	struct tcp_sockopts o;

	tcp_sockopts_default(ctl->d->stack, &o);
	for (int kind = 0; kind < 2; kind++) {
		uint8_t *n = &t->spares[kind];

		if (*n == CONTROL_TCP_SPARES)
			continue;
		if (channel_pair_make(t, kind, o.sndbuf, &t->spare[kind][*n]))
			return -errno; /* socketpair's (EMFILE too) */
		(*n)++;
		return 1;
	}
	return 0;
}

unsigned control_tcp_spares_ready(const struct control *ctl)
{
	return ctl->tcp ? ctl->tcp->spares[0] + ctl->tcp->spares[1] : 0;
}

bool control_tcp_spares_making(const struct control *ctl)
{
	return ctl->tcp && ev_is_active(&ctl->tcp->spare_idle);
}

bool control_tcp_spares_retrying(const struct control *ctl)
{
	return ctl->tcp && ev_is_active(&ctl->tcp->spare_retry);
}

double control_tcp_spares_retry_next_s(const struct control *ctl)
{
	return ctl->tcp ? ctl->tcp->spare_retry_s : 0;
}

/* A pair could not be made (`err`): the making stops until the retry
 * timer, unless that already waits (a connection's attempt between two
 * of the timer's). */
static void spare_make_failed(struct control *ctl, int err)
{
	struct control_tcp *t = ctl->tcp;

	ctl->counters[CONTROL_CTR_SPARE_FAILED]++;
	/* One run in 1024: at the descriptor limit each connection may
	 * take a pair that cannot be made again until one is freed, a run
	 * of its own; a flood of them must not flood the log. */
	if (t->spare_failures++ == 0 && t->spare_runs++ % 1024 == 0)
		log_msg(LOG_WARNING,
			"control: socketpairs made ahead for new connections "
			"cannot be made (%s): trying again, from every %g s up "
			"to every %g s (%llu time%s so far)",
			strerror(-err), CONTROL_TCP_SPARE_RETRY_MIN_S,
			CONTROL_TCP_SPARE_RETRY_MAX_S,
			(unsigned long long)t->spare_runs,
			t->spare_runs == 1 ? "" : "s");
	ev_idle_stop(ctl->d->loop, &t->spare_idle);
	if (ev_is_active(&t->spare_retry))
		return;
	ev_timer_set(&t->spare_retry, t->spare_retry_s, 0.);
	ev_timer_start(ctl->d->loop, &t->spare_retry);
	t->spare_retry_s *= 2;
	if (t->spare_retry_s > CONTROL_TCP_SPARE_RETRY_MAX_S)
		t->spare_retry_s = CONTROL_TCP_SPARE_RETRY_MAX_S;
}

static void spare_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct control *ctl = w->data;
	struct control_tcp *t = ctl->tcp;
	int made = channel_spare_make(ctl);

	if (made < 0) {
		spare_make_failed(ctl, made);
		return;
	}
	/* One made: the next failure waits the least again. The run of
	 * failures ends only when none is missing: out of descriptors, one
	 * freed makes a pair and the next pair fails again, and each such
	 * turn is not a run of its own to log. */
	t->spare_retry_s = CONTROL_TCP_SPARE_RETRY_MIN_S;
	ev_timer_stop(loop, &t->spare_retry);
	if (made > 0)
		return;
	ev_idle_stop(loop, w);
	if (t->spare_failures) {
		if ((t->spare_runs - 1) % 1024 == 0) /* its start logged */
			log_msg(LOG_NOTICE,
				"control: socketpairs made ahead are made "
				"again, after %llu failures",
				(unsigned long long)t->spare_failures);
		t->spare_failures = 0;
	}
}

static void spare_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct control *ctl = w->data;

	ev_idle_start(loop, &ctl->tcp->spare_idle);
}

/*
 * Makes a channel for stack connection `conn` with a stream pair (one
 * made ahead when it fits, channel_spare_take, else a new one),
 * charged to `owner`: *app_fd receives the application's end
 * (close-on-exec; blocking unless `nonblock`, when socketpair() makes
 * both ends non-blocking at no cost). Returns the channel, or NULL with *err
 * set (-ENFILE at connections_max or out of descriptors, -EMFILE at the owner's
 * share, or the errno of socketpair). The caller still owns `conn` on
 * failure.
 */
static struct tcp_channel *channel_new(struct control *ctl, int conn,
				       unsigned creator,
				       const struct control_owner *owner,
				       bool nonblock, int *app_fd, int *err)
{
	struct control_tcp *t = ctl->tcp;
	struct channel_spare spare;
	struct tcp_sockopts o;
	struct tcp_channel *ch;

	if (t->nchannels >= ctl->limits.connections_max) {
		*err = -ENFILE;
		return NULL;
	}
	*err = control_charge(ctl, owner, CONTROL_KIND_CONN);
	if (*err)
		return NULL;
	ch = calloc(1, sizeof(*ch));
	if (!ch) {
		*err = -ENOMEM;
		control_uncharge(ctl, owner, CONTROL_KIND_CONN);
		return NULL;
	}
	if (tcp_get_sockopts(ctl->d->stack, conn, &o) != 0)
		o.sndbuf = 0; /* not sized */
	if (!channel_spare_take(ctl, nonblock, o.sndbuf, &spare)) {
		*err = channel_pair_make(t, nonblock, o.sndbuf, &spare);
		if (*err) {
			control_uncharge(ctl, owner, CONTROL_KIND_CONN);
			free(ch);
			return NULL;
		}
	}
	ch->hold_ok = spare.hold_ok;
	ch->ctl = ctl;
	ch->owner = *owner;
	ch->conn = conn;
	ch->creator = creator;
	ch->app_id = spare.app_id; /* proof of possession */
	ch->fd = spare.fd[0];
	ev_io_init(&ch->write_watcher, channel_write_cb, ch->fd, EV_WRITE);
	ch->write_watcher.data = ch;
	(void)tcp_set_user(ctl->d->stack, conn, ch); /* its events' cookie */
	ch->next = t->channels;
	if (t->channels)
		t->channels->prev = ch;
	t->channels = ch;
	t->nchannels++;
	*app_fd = spare.fd[1];
	return ch;
}

/* The application's end while the daemon still holds it (a blocking
 * connect not answered), else -1. */
static int channel_app_fd(const struct tcp_channel *ch)
{
	return ch->cn ? ch->cn->app_fd : -1;
}

/* Takes a held connect out of the list (a short one: the non-blocking
 * connects of a turn or two). */
static void connect_unhold(struct control_tcp *t, struct tcp_connect *cn)
{
	struct tcp_connect **pp;

	if (!cn->held)
		return;
	for (pp = &t->held; *pp; pp = &(*pp)->held_next)
		if (*pp == cn) {
			*pp = cn->held_next;
			break;
		}
	cn->held = false;
	cn->held_next = NULL;
}

/* Frees what the connect needed (its end not sent is closed). */
static void channel_connect_end(struct tcp_channel *ch)
{
	if (!ch->cn)
		return;
	connect_unhold(ch->ctl->tcp, ch->cn);
	ev_timer_stop(ch->ctl->d->loop, &ch->cn->timer);
	if (ch->cn->app_fd >= 0)
		close(ch->cn->app_fd);
	free(ch->cn);
	ch->cn = NULL;
}

static void channel_discard_unread(struct tcp_channel *ch);

/* Unlinks and frees the channel, letting go of the stack's connection
 * as `end` says (a connection already failed is only released). */
static void channel_destroy(struct tcp_channel *ch, enum channel_end end)
{
	struct control *ctl = ch->ctl;
	struct control_tcp *t = ctl->tcp;
	struct ev_loop *loop = ctl->d->loop;

	/* A lingering close ends here: the stack finishes the rest. */
	if (ch->linger)
		linger_answer(ch, 0);
	if (ch->prev)
		ch->prev->next = ch->next;
	else
		t->channels = ch->next;
	if (ch->next)
		ch->next->prev = ch->prev;
	t->nchannels--;
	ev_io_stop(loop, &ch->write_watcher);
	channel_connect_end(ch);
	channel_discard_unread(ch); /* held requests too */
	hold_unlisted(ch);
	close(ch->fd); /* and out of the channel set */
	if (ch->announcing) {
		/* Failed before its announcement went: the application's
		 * end never leaves the daemon. */
		struct tcp_lchannel *l = ch->announcing;

		close(l->pending_fd);
		l->pending = NULL;
		l->pending_fd = -1;
	}
	if (end == END_ABORT)
		tcp_abort(ctl->d->stack, daemon_now(), ch->conn);
	else
		tcp_close(ctl->d->stack, daemon_now(), ch->conn);
	log_msg(LOG_DEBUG, "control: tcp %d: %s", ch->conn,
		end == END_ABORT ? "aborted" : "closed");
	control_uncharge(ctl, &ch->owner, CONTROL_KIND_CONN);
	free(ch);
}

/*
 * A non-blocking connect's descriptor must not be writable before the
 * connection is established or has failed (as a kernel socket's is
 * not): before the application has its end, the daemon writes filler
 * from that end into its own until the kernel refuses more, so the
 * application's end has no send room; channel_discard_filler() reads
 * exactly those bytes back, unsent, when the connect is over, and the
 * end becomes writable. The bytes sit in the kernel, at most the
 * application's socket send buffer.
 */
/* The shared buffer CHANNEL_FILL_IOVS times over: one sendmsg fills a
 * pair (a partial send means full) and one recvmsg takes the filler
 * back, rather than a call per 64 KiB and one more to see EAGAIN. */
#define CHANNEL_FILL_IOVS 8

static size_t channel_fill_iov(struct control_tcp *t, struct iovec *iov,
			       size_t want)
{
	size_t i, len = 0;

	for (i = 0; i < CHANNEL_FILL_IOVS && len < want; i++) {
		iov[i].iov_base = t->io;
		iov[i].iov_len =
		    want - len < sizeof(t->io) ? want - len : sizeof(t->io);
		len += iov[i].iov_len;
	}
	return i;
}

static void channel_fill(struct tcp_channel *ch, int app_fd)
{
	struct control_tcp *t = ch->ctl->tcp;
	struct iovec iov[CHANNEL_FILL_IOVS];
	struct msghdr mh = {.msg_iov = iov};
	size_t want = CHANNEL_FILL_IOVS * sizeof(t->io);

	mh.msg_iovlen = channel_fill_iov(t, iov, want);
	for (;;) {
		ssize_t n = sendmsg(app_fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0)
			ch->cn->filler += (size_t)n;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < (ssize_t)want)
			return; /* partial, or EAGAIN: full */
	}
}

/* Reads the filler back (it is first in the daemon's end, where the
 * application's own bytes follow it). */
static void channel_discard_filler(struct tcp_channel *ch)
{
	struct control_tcp *t = ch->ctl->tcp;
	struct iovec iov[CHANNEL_FILL_IOVS];
	struct msghdr mh = {.msg_iov = iov};

	while (ch->cn && ch->cn->filler > 0) {
		ssize_t n;

		mh.msg_iovlen = channel_fill_iov(t, iov, ch->cn->filler);
		n = recvmsg(ch->fd, &mh, MSG_DONTWAIT);
		if (n > 0) {
			ch->cn->filler -= (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			/* written before the application had its end, so
			 * always there: this is a broken invariant */
			log_msg(LOG_ERR, "control: tcp %d: filler: %s",
				ch->conn, n == 0 ? "EOF" : strerror(errno));
			ch->cn->filler = 0;
		}
	}
}

/* At most this many reads of CHANNEL_FILL_IOVS times the shared buffer
 * (4 MiB in all) discard what an application left unread in the
 * daemon's end (channel_discard_unread). */
#define CHANNEL_DISCARD_READS 8

/*
 * Before the daemon closes its end: what the application wrote and the
 * daemon never read (held requests, bytes that waited for room, the
 * writes of a connection that failed) can no longer go anywhere, and an
 * AF_UNIX end closed with its receive queue not empty makes the other
 * end's next read or write fail with ECONNRESET. So they are discarded,
 * and the application reads the end of the stream (after the urgent
 * byte of a failure) and writes fail with EPIPE, as a kernel socket's do
 * once its reset was reported (docs/ipc.md). The end is shut for
 * reading first, so the application's writes fail from then on and what
 * is left can only shrink; the reads are bounded all the same
 * (CHANNEL_DISCARD_READS, far more than an end's send buffer holds
 * unless its application forced it larger: then it reads ECONNRESET).
 */
static void channel_discard_unread(struct tcp_channel *ch)
{
	struct control_tcp *t = ch->ctl->tcp;
	struct iovec iov[CHANNEL_FILL_IOVS];
	struct msghdr mh = {.msg_iov = iov};
	int i;

	ch->held = 0;
	ch->held_n = 0;
	/* A read met EOF: the application's end is shut for writing and
	 * what it wrote was all read (held requests are consumed before
	 * any read), so nothing is left to discard and nothing more can
	 * come. Not after a peek's EOF: a peek passes over an urgent byte
	 * the application sent, which stays in the end until a read. */
	if (ch->read_eof)
		return;
	if (shutdown(ch->fd, SHUT_RD) < 0)
		return; /* not connected: nothing to discard */
	mh.msg_iovlen =
	    channel_fill_iov(t, iov, CHANNEL_FILL_IOVS * sizeof(t->io));
	for (i = 0; i < CHANNEL_DISCARD_READS; i++) {
		ssize_t n = recvmsg(ch->fd, &mh, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* empty (EAGAIN), or EOF */
	}
}

/*
 * The connection ends under the application, at the daemon's hand (it
 * stops, or cannot watch the end): unless the peer's FIN went on
 * already, its end gets the urgent error byte `err` now, after the
 * bytes the socketpair already holds, so that it does not read a clean
 * end of the stream. A full socketpair (an application that reads
 * slowly) is given room for the byte: the daemon is about to close its
 * end and cannot wait (SO_SNDBUFFORCE needs CAP_NET_ADMIN, which utcpd
 * has for its TAPs; without it the application reads EOF). A connect in
 * progress fails with it.
 */
static void channel_notice_now(struct tcp_channel *ch, int err)
{
	uint8_t byte = (uint8_t)err;
	int sndbuf;
	socklen_t len = sizeof(sndbuf);

	if (ch->peer_eof || channel_app_fd(ch) >= 0 || ch->app_shut_rd)
		return; /* EOF delivered, or the end never left */
	if (send(ch->fd, &byte, 1, MSG_OOB | MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) &&
	    getsockopt(ch->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) == 0 &&
	    setsockopt(ch->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf,
		       sizeof(sndbuf)) == 0)
		(void)send(ch->fd, &byte, 1,
			   MSG_OOB | MSG_DONTWAIT | MSG_NOSIGNAL);
	channel_discard_filler(ch); /* a connect in progress: failed */
}

/*
 * The channel set refused the channel's end (hup_watch): the daemon
 * could no longer read it nor notice its application's exit, so rather
 * than stall unseen the connection is reset (RST), counted
 * (control_tcp_unwatchable) and logged, and its application reads the
 * urgent byte ECONNABORTED (what Linux reports for a connection the
 * host aborted) after its data, then EOF.
 */
static void channel_watch_failed(struct tcp_channel *ch, int err)
{
	uint64_t *count = &ch->ctl->counters[CONTROL_CTR_UNWATCHED];

	if ((*count)++ % 1024 == 0)
		log_msg(LOG_WARNING,
			"control: tcp %d: epoll_ctl: %s: connection reset "
			"(%llu so far)",
			ch->conn, strerror(err), (unsigned long long)*count);
	channel_notice_now(ch, ECONNABORTED);
	channel_destroy(ch, END_ABORT);
}

/* Starts moving data both ways: the connection is established. */
static void channel_start(struct tcp_channel *ch)
{
	ch->connecting = false;
	channel_discard_filler(ch); /* writable now */
	channel_connect_end(ch);    /* answered before (blocking form) */
	if (channel_reading(ch, true))
		channel_output(ch);
}

/* Queues the reply to a blocking connect (with the application's end on
 * success) and lets the client's requests flow again. Sending may
 * destroy the client; the channel stays. */
static void channel_answer(struct tcp_channel *ch, int status)
{
	struct control_client *c = ch->cn ? ch->cn->waiter : NULL;
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	struct ipc_tcp_open_reply r = {.status = status, .id = ch->conn};
	struct stack_tcp_info info;
	int len, fd = -1;

	if (!c)
		return;
	ch->cn->waiter = NULL;
	connect_unhold(ch->ctl->tcp, ch->cn);
	if (tcp_conn_info(ch->ctl->d->stack, ch->conn, &info) == 0) {
		/* The address and port the stack chose. */
		r.local_addr = info.local_addr;
		r.local_port = info.local_port;
	}
	if (status == 0) {
		fd = ch->cn->app_fd; /* the queue owns it now */
		ch->cn->app_fd = -1;
	}
	len = ipc_encode_tcp_connect_reply(buf, sizeof(buf), c->version,
					   ch->cn->reply_id, &r);
	if (len > 0)
		control_client_queue(c, buf, len, fd);
	else if (fd >= 0)
		close(fd);
	c->reply_pending = false;
	(void)control_client_flush(c);
}

/*
 * The connection failed with `err` (positive errno): a blocking connect
 * is answered with it; otherwise the application gets it as the urgent
 * byte after the data it has. When that byte cannot go yet (the
 * socketpair is full) the channel waits for EV_WRITE and output tries
 * again; otherwise the channel goes.
 */
static void channel_fail(struct tcp_channel *ch, int err)
{
	struct daemon *d = ch->ctl->d;
	uint8_t byte;

	if (err <= 0 || err > IPC_TCP_ERROR_MAX)
		err = ECONNRESET;
	if (ch->cn && ch->cn->waiter) {
		log_msg(LOG_DEBUG, "control: tcp %d: connect: %s", ch->conn,
			strerror(err));
		if (ch->cn->held) {
			/* A non-blocking connect whose reply was held: its
			 * urgent byte first (a new pair has room), then the
			 * descriptor, writable at once. */
			byte = (uint8_t)err;
			(void)send(ch->fd, &byte, 1,
				   MSG_OOB | MSG_DONTWAIT | MSG_NOSIGNAL);
			channel_answer(ch, 0);
		} else {
			channel_answer(ch, -err);
		}
		channel_destroy(ch, END_CLOSE);
		return;
	}
	byte = (uint8_t)err;
	ch->connecting = false;
	if (send(ch->fd, &byte, 1, MSG_OOB | MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
		ch->fail_error = err; /* channel_output tries again */
		if (ch->cn)
			ev_timer_stop(d->loop, &ch->cn->timer);
		hup_del(ch);
		ev_io_start(d->loop, &ch->write_watcher);
		return;
	}
	/* Sent, or the application is gone, or this kernel has no
	 * AF_UNIX MSG_OOB: then it reads EOF (docs/ipc.md). A failed
	 * connect's end becomes writable only now, with its error there
	 * to read. */
	channel_discard_filler(ch);
	log_msg(LOG_DEBUG, "control: tcp %d: %s", ch->conn, strerror(err));
	channel_destroy(ch, END_CLOSE);
}

/*
 * The connection failed: nothing the application writes can go any
 * more. The daemon's end is shut for reading, so that the application's
 * writes fail with EPIPE at once, one blocked on a full end too, as a
 * write to a kernel socket fails once it is reset, rather than wait for
 * room that only a peer that is gone could make (while the bytes
 * received before the failure wait for the application to read them,
 * its end full both ways). The channel leaves the channel set: output,
 * which delivers those bytes and the error next, notices a hang-up
 * (EV_WRITE) while it waits for room, and otherwise lets the channel go.
 */
static void channel_stop_writes(struct tcp_channel *ch)
{
	ch->want_writable = false;
	hup_del(ch);
	(void)shutdown(ch->fd, SHUT_RD);
}

/* The established connection failed (STACK_EV_TCP_ERROR, or a send that
 * cannot go): an application that shut its reading side gets nothing
 * more; otherwise its writes fail from now on, and output delivers the
 * data received before the failure, then the error. */
static void channel_failed(struct tcp_channel *ch)
{
	if (ch->app_shut_rd) {
		channel_destroy(ch, END_CLOSE);
		return;
	}
	channel_stop_writes(ch);
	if (!ev_is_active(&ch->write_watcher))
		channel_output(ch);
}

/* Both directions are finished: the channel has no more to do. */
static bool channel_done(const struct tcp_channel *ch)
{
	return ch->app_eof && ch->peer_eof;
}

/* Has the application's end gone (closed, or both its directions shut
 * down), rather than only shut its reading side? */
static bool channel_hung_up(const struct tcp_channel *ch)
{
	struct pollfd pfd = {.fd = ch->fd, .events = 0};

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP);
}

/*
 * Stack -> application after the application's shutdown(SHUT_RD): as on
 * Linux the connection goes on and what arrives is queued (acknowledged,
 * the window closing as the receive buffer fills; unread at close, it
 * makes the close a RST), but nothing can reach the application any
 * more. The peer's FIN is still noted; a failure lets the channel go
 * (the application's write() then fails with EPIPE). May destroy the
 * channel.
 */
static void channel_output_shut_rd(struct tcp_channel *ch)
{
	struct stack_iov view;
	int nv = tcp_recv_peekv(ch->ctl->d->stack, ch->conn, &view, 1);

	ev_io_stop(ch->ctl->d->loop, &ch->write_watcher);
	if (nv < 0 && nv != -EAGAIN) {
		channel_destroy(ch, END_CLOSE);
		return;
	}
	if (nv == 0 && !ch->peer_eof) {
		ch->peer_eof = true;
		if (channel_done(ch))
			channel_destroy(ch, END_CLOSE);
	}
}

/*
 * Stack -> application: writes received bytes until the stack has no
 * more, the socketpair is full or the wakeup's budget is spent. May
 * destroy the channel.
 */
/* Received segments handed to the application in one sendmsg. */
#define CHANNEL_IOV_MAX 64

static void channel_output(struct tcp_channel *ch)
{
	struct daemon *d = ch->ctl->d;
	size_t budget = CONTROL_TCP_WAKEUP_BYTES;
	struct stack_iov views[CHANNEL_IOV_MAX];
	struct iovec iov[CHANNEL_IOV_MAX];
	struct msghdr mh;
	size_t len;
	ssize_t n;
	int nv, i;

	if (ch->fail_error) {
		channel_fail(ch, ch->fail_error);
		return;
	}
	if (ch->connecting || (ch->cn && ch->cn->waiter))
		return;
	for (;;) {
		if (ch->app_shut_rd) {
			channel_output_shut_rd(ch);
			return;
		}
		if (budget == 0) {
			/* more later: EV_WRITE fires at once while
			 * there is room */
			ev_io_start(d->loop, &ch->write_watcher);
			return;
		}
		/* Every queued segment in one sendmsg: one system call per
		 * batch of frames rather than per segment. */
		nv = tcp_recv_peekv(d->stack, ch->conn, views, CHANNEL_IOV_MAX);
		if (nv == -EAGAIN)
			break;
		if (nv < 0) {
			channel_fail(ch, -nv);
			return;
		}
		if (nv == 0) {
			/* deliver_in FIN: the application reads EOF */
			if (ch->peer_eof)
				break;
			ch->peer_eof = true;
			(void)shutdown(ch->fd, SHUT_WR);
			if (channel_done(ch)) {
				channel_destroy(ch, END_CLOSE);
				return;
			}
			break;
		}
		len = 0;
		for (i = 0; i < nv && len < budget; i++) {
			iov[i].iov_base = (void *)views[i].data;
			iov[i].iov_len = views[i].len;
			if (views[i].len > budget - len)
				iov[i].iov_len = budget - len;
			len += iov[i].iov_len;
		}
		mh = (struct msghdr){.msg_iov = iov, .msg_iovlen = (size_t)i};
		n = sendmsg(ch->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ENOBUFS) {
				ev_io_start(d->loop, &ch->write_watcher);
				return;
			}
			if (errno == EPIPE && !channel_hung_up(ch)) {
				/* shutdown(SHUT_RD): reception stops,
				 * the connection stays */
				ch->app_shut_rd = true;
				continue;
			}
			/* EPIPE, ECONNRESET: the application closed its
			 * end with data arriving: RST (unread data). */
			channel_destroy(ch, END_CLOSE);
			return;
		}
		tcp_recv_consume(d->stack, daemon_now(), ch->conn, (size_t)n);
		budget -= (size_t)n;
		ch->answered = true;
		ch->streaming = false;
		/* The application is awake for the answer: the least
		 * likely moment for a release to wake it for nothing.
		 * Released once the next request might not fit beside
		 * the held ones (a request of up to half the peek). */
		if (ch->held_n >= CHANNEL_HOLD_PIECES ||
		    2 * ch->held >= CHANNEL_HOLD_BYTES)
			channel_release(ch);
	}
	ev_io_stop(d->loop, &ch->write_watcher);
}

/* The application's end read EOF: a close (POLLHUP) or a shutdown. */
static void channel_app_eof(struct tcp_channel *ch)
{
	struct daemon *d = ch->ctl->d;
	struct pollfd pfd = {.fd = ch->fd, .events = 0};

	/* Once the peer's FIN went on, a shutdown ends the channel as a
	 * close does (channel_done): no need to ask which it was; nor
	 * when the channel set reported the hang-up already. */
	if (ch->app_gone || ch->peer_eof || ch->hup ||
	    (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP))) {
		/* Closed (or the process died): FIN after the queued
		 * data, or RST when received data was not read. */
		channel_destroy(ch, END_CLOSE);
		return;
	}
	if (!ch->app_eof) {
		ch->app_eof = true;
		(void)tcp_shutdown(d->stack, daemon_now(), ch->conn);
	}
	if (channel_done(ch)) {
		channel_destroy(ch, END_CLOSE);
	} else {
		/* Not read any more: watch for the close alone. */
		channel_reading(ch, false);
	}
}

/* Is the stack's shared chunk pool, rather than the connection's own
 * send buffer, what keeps tcp_send_space() at 0? */
static bool channel_pool_short(const struct tcp_channel *ch)
{
	struct stack *s = ch->ctl->d->stack;
	struct stack_tcp_info info;
	struct tcp_sockopts o;

	return tcp_get_sockopts(s, ch->conn, &o) == 0 &&
	       tcp_conn_info(s, ch->conn, &info) == 0 &&
	       info.send_queue < o.sndbuf;
}

/*
 * Application -> stack: reads the daemon's end while the send buffer
 * has room, at most CONTROL_TCP_WAKEUP_BYTES in at most
 * CONTROL_TCP_WAKEUP_READS reads per wakeup, and not once
 * the stack's tx queue is full for this turn (daemon_turn_full: the
 * entry is re-set, so the rest goes next turn). A read that returns
 * less than it asked for emptied the stream: the next waits for the
 * next write's edge rather than find nothing (a request of a round trip
 * costs one read, a peek when it is held), unless a shutdown, an
 * urgent byte or descriptors were met, which end a read short with no
 * edge to follow: then it reads on to EOF or until the stream is empty. May
 * destroy the channel.
 */
static void channel_input(struct tcp_channel *ch)
{
	struct control_tcp *t = ch->ctl->tcp;
	struct daemon *d = ch->ctl->d;
	size_t budget = CONTROL_TCP_WAKEUP_BYTES;
	unsigned reads = CONTROL_TCP_WAKEUP_READS;

	if (ch->app_eof) {
		/* A hang-up on a half-closed channel: see how it ended. */
		ssize_t n = recv(ch->fd, t->io, 1, MSG_DONTWAIT | MSG_PEEK);

		channel_destroy(ch, n < 0 && errno == ECONNRESET ? END_ABORT
								 : END_CLOSE);
		return;
	}
	while (budget > 0 && reads > 0) {
		size_t space, want;
		ssize_t n, held;
		long taken;

		if (daemon_turn_full(d)) {
			/* The rest next turn: reported again. A memory
			 * waiter woken in this turn keeps its claim on a
			 * chunk (tcp_buf.c) until its next tcp_send(), then. */
			channel_reading(ch, true);
			return;
		}
		space = tcp_send_space(d->stack, ch->conn);
		if (space == 0) {
			/* Wait for room only with bytes to send: an idle
			 * application keeps reading, and a woken
			 * memory waiter always uses its wakeup. */
			channel_release(ch);
			n = recv(ch->fd, t->io, 1, MSG_DONTWAIT | MSG_PEEK);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (n == 0) {
				channel_app_eof(ch);
				return;
			}
			if (n < 0) {
				channel_destroy(ch, END_ABORT);
				return;
			}
			/* arms STACK_EV_TCP_WRITABLE (stack.h) */
			taken =
			    tcp_send(d->stack, daemon_now(), ch->conn, NULL, 0);
			if (taken == -EAGAIN || taken >= 0)
				goto wait_writable;
			goto failed;
		}
		want = space < budget ? space : budget;
		if (want > sizeof(t->io))
			want = sizeof(t->io);
		n = held = channel_hold(ch, want);
		if (held == 0) {
			channel_release(ch);
			n = channel_recv(ch, want, 0);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				ch->read_on = false; /* empty */
				break;
			}
			/* ECONNRESET: the application closed its end
			 * with our data unread in it: RST. */
			channel_destroy(ch, END_ABORT);
			return;
		}
		if (n == 0) {
			/* A read (not a peek, which passes over an urgent
			 * byte left in the end: AF_UNIX MSG_OOB) met EOF:
			 * the end is empty for good. */
			ch->read_eof = true;
			channel_app_eof(ch);
			return;
		}
		if (held == 0)
			ch->bulk = n >= CHANNEL_HOLD_BYTES;
		taken = tcp_send(d->stack, daemon_now(), ch->conn, t->io,
				 (size_t)n);
		if (taken < 0 && taken != -EAGAIN)
			goto failed; /* the bytes cannot go: error follows */
		if (taken != n) {
			/* tcp_send_space() promised room: only a failed
			 * allocation breaks that, and the bytes are lost,
			 * so the peer must learn (RST), and the
			 * application too: the connection fails as on
			 * the peer's RST, its data first, then the
			 * urgent byte ECONNRESET. */
			log_msg(LOG_ERR,
				"control: tcp %d: send buffer: out of memory: "
				"reset",
				ch->conn);
			(void)tcp_reset(d->stack, daemon_now(), ch->conn);
			goto failed;
		}
		if (held > 0) {
			if (ch->held == 0)
				hold_listed(ch);
			ch->held += (uint16_t)held;
			ch->held_n++;
			ch->answered = false;
			return; /* all there was */
		}
		budget -= (size_t)n;
		reads--;
		if ((size_t)n < want && !ch->rdhup && !ch->read_on)
			return; /* drained: the next write is an edge */
	}
	if (budget == 0 || reads == 0)
		channel_reading(ch, true); /* the rest next turn */
	return;

wait_writable:
	if (ch->app_gone && !ch->peer_eof && channel_pool_short(ch)) {
		/* Its application is gone and what it wrote waits for
		 * the shared pool: reset, as Linux resets orphans out of
		 * memory (see the top of the file). Not once the peer's
		 * FIN went on: then both directions of the daemon's end
		 * are shut, and a live application's shutdown(SHUT_WR)
		 * hangs it up just as an exit does, so what it wrote
		 * drains as an orphan's would. */
		if (t->gone_reset++ % 1024 == 0)
			log_msg(LOG_INFO,
				"control: tcp %d: application gone with "
				"bytes unsent and no send-buffer memory: "
				"reset (%llu so far)",
				ch->conn, (unsigned long long)t->gone_reset);
		channel_destroy(ch, END_ABORT);
		return;
	}
	ch->want_writable = true;
	channel_reading(ch, false);
	return;

failed:
	channel_failed(ch);
}

/*
 * The channel set reported that the application closed its end (or
 * died) while the channel was not reading it: waiting for
 * STACK_EV_TCP_WRITABLE, or its connection failed. Hands the stack what
 * it wrote as far as it takes it now (channel_input, which closes the
 * connection at EOF, waits for WRITABLE to drain the rest, or resets it
 * when the shared pool is what is short). May destroy the channel.
 */
static void channel_app_gone(struct tcp_channel *ch)
{
	struct control_tcp *t = ch->ctl->tcp;

	ch->app_gone = true;
	ch->want_writable = false;
	if (tcp_orphan(ch->ctl->d->stack, daemon_now(), ch->conn) == -ENOBUFS) {
		/* tcp_orphans_max orphans are held: reset, as a close
		 * would be. */
		if (t->orphans_reset++ % 1024 == 0)
			log_msg(LOG_WARNING,
				"control: tcp %d: application gone and too "
				"many orphans: reset (%llu so far)",
				ch->conn, (unsigned long long)t->orphans_reset);
		channel_destroy(ch, END_ABORT);
		return;
	}
	if (channel_reading(ch, true))
		channel_input(ch);
}

static void connect_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tcp_channel *ch = w->data;

	log_msg(LOG_DEBUG, "control: tcp %d: connect timed out", ch->conn);
	channel_fail(ch, ETIMEDOUT);
}

/* The channel set reported bytes, shutdowns or hang-ups. */
static void hup_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control *ctl = w->data;
	struct control_tcp *t = ctl->tcp;
	struct epoll_event evs[CONTROL_TCP_HUP_EVENTS];
	int n;

	/* Request first, housekeeping later: while a connect's reply is
	 * held (connect_hold), the set waits, so that the connections
	 * closed meanwhile (the application's previous one, typically)
	 * are not closed before its SYN and its reply (bytes other
	 * applications wrote wait as long: a turn or two, never a round
	 * trip); the set stays readable and the loop does not block
	 * meanwhile. At most
	 * HUP_DEFER_TURNS_MAX turns in a row: connects that keep coming
	 * do not starve it. */
	if (t->held && t->hup_deferred < HUP_DEFER_TURNS_MAX) {
		t->hup_deferred++;
		return;
	}
	t->hup_deferred = 0;
	n = epoll_wait(t->hup_fd, evs, CONTROL_TCP_HUP_EVENTS, 0);
	for (int i = 0; i < n; i++) {
		struct tcp_channel *ch;

		if (evs[i].data.u64 & HUP_LISTENER_TAG) {
			/* The application closed its listening end. Only
			 * its own entry destroys a listener, so the
			 * pointer is good. */
			lchannel_destroy((struct tcp_lchannel
					      *)(uintptr_t)(evs[i].data.u64 &
							    ~HUP_LISTENER_TAG));
			continue;
		}
		/* By id, not pointer: an earlier one may have gone. */
		ch = channel_find(ctl, (int)evs[i].data.u64);
		if (!ch || !ch->in_hup_set)
			continue;
		if (ch->reading) {
			/* Bytes, a shutdown or a hang-up: input sees which.
			 * A shutdown reported with bytes is not reported
			 * again: they are read, not held, to reach EOF. */
			if (evs[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				ch->rdhup = true;
			if (evs[i].events & EPOLLHUP)
				ch->hup = true;
			/* An urgent byte (send(MSG_OOB)) ends a read
			 * short with bytes after it, and no edge follows:
			 * read on until the stream is empty (the byte
			 * itself is dropped: no urgent data reaches the
			 * peer). */
			if (evs[i].events & EPOLLPRI)
				ch->read_on = true;
			channel_input(ch);
		} else if (ch->connecting) {
			/* closed before it connected */
			channel_destroy(ch, END_CLOSE);
		} else if (ch->app_eof) {
			channel_input(ch); /* a half-closed one: closed */
		} else {
			channel_app_gone(ch);
		}
	}
}

/* ---- listeners ------------------------------------------------------ */

/* Watches the listening end for the application closing it: the
 * daemon's end is shut for reading, so only a hang-up says so. Returns
 * 0, or the negative errno of epoll_ctl (ENOMEM, ENOSPC): a listener
 * whose close the daemon could not notice would hold its port until the
 * daemon stops, so the TCP_LISTEN fails instead. */
static int lchannel_watch_hangup(struct tcp_lchannel *l)
{
	struct epoll_event ev = {.events = 0,
				 .data.u64 = HUP_LISTENER_TAG | (uintptr_t)l};

	if (epoll_ctl(l->ctl->tcp->hup_fd, EPOLL_CTL_ADD, l->fd, &ev) != 0)
		return -errno;
	l->in_hup_set = true;
	return 0;
}

static void lchannel_destroy(struct tcp_lchannel *l)
{
	struct control *ctl = l->ctl;
	struct control_tcp *t = ctl->tcp;
	if (l->prev)
		l->prev->next = l->next;
	else
		t->lchannels = l->next;
	if (l->next)
		l->next->prev = l->prev;
	if (l->in_hup_set)
		(void)epoll_ctl(t->hup_fd, EPOLL_CTL_DEL, l->fd, NULL);
	ev_io_stop(ctl->d->loop, &l->write_watcher);
	if (l->pending)
		channel_destroy(l->pending, END_ABORT); /* and pending_fd */
	close(l->fd);
	tcp_listen_close(ctl->d->stack, daemon_now(), l->listener);
	control_uncharge(ctl, &l->owner, CONTROL_KIND_LISTENER);
	log_msg(LOG_DEBUG, "control: tcp listener %d closed", l->listener);
	free(l);
}

/* Sends the pending announcement. Returns 0, -EAGAIN (full: EV_WRITE
 * armed) or another negative errno (the listener is gone: the channel
 * was reset). */
static int lchannel_announce(struct tcp_lchannel *l)
{
	uint8_t msg[IPC_ACCEPT_LEN];
	size_t len = ipc_accept_encode(msg, &l->pending_msg);
	int err;

	err = control_send_packet(l->fd, msg, len, l->pending_fd);
	if (err == -EAGAIN) {
		ev_io_start(l->ctl->d->loop, &l->write_watcher);
		return -EAGAIN;
	}
	if (err) {
		log_msg(LOG_DEBUG,
			"control: tcp listener %d: announcing %d: %s",
			l->listener, l->pending->conn, strerror(-err));
		channel_destroy(l->pending, END_ABORT); /* and pending_fd */
		return err;
	}
	close(l->pending_fd); /* in flight: the application's now */
	l->pending->announcing = NULL;
	l->pending = NULL;
	l->pending_fd = -1;
	return 0;
}

/* Accepts connections from the stack and announces them, while the
 * listening socketpair takes them. */
static void lchannel_accept(struct tcp_lchannel *l)
{
	struct control *ctl = l->ctl;
	struct daemon *d = ctl->d;
	int i;

	for (i = 0; i < CONTROL_TCP_ACCEPTS_PER_WAKEUP; i++) {
		struct tcp_channel *ch;
		uint32_t raddr;
		uint16_t rport;
		int conn, app_fd, err;

		if (l->pending) {
			err = lchannel_announce(l);
			if (err == -EAGAIN)
				return;
			if (err)
				break; /* EOF on the listener follows */
			continue;
		}
		conn = tcp_accept(d->stack, l->listener, &raddr, &rport);
		if (conn < 0) {
			ev_io_stop(d->loop, &l->write_watcher);
			return; /* -EAGAIN: ACCEPTABLE re-armed */
		}
		ch = channel_new(ctl, conn, l->creator, &l->owner,
				 l->accept_nonblock, &app_fd, &err);
		if (!ch) {
			if (ctl->tcp->refused++ % 1024 == 0)
				log_msg(LOG_WARNING,
					"control: tcp listener %d: resetting "
					"a connection: %s (%llu so far)",
					l->listener, strerror(-err),
					(unsigned long long)ctl->tcp->refused);
			tcp_abort(d->stack, daemon_now(), conn);
			continue;
		}
		l->pending = ch;
		l->pending_fd = app_fd;
		ch->announcing = l;
		l->pending_msg = (struct ipc_accept){
		    .remote_addr = raddr,
		    .remote_port = rport,
		    .local_addr = l->local_addr,
		    .local_port = l->local_port,
		    .id = conn,
		    .flags = l->accept_nonblock ? IPC_ACCEPT_F_NONBLOCK : 0,
		};
		log_msg(LOG_DEBUG, "control: tcp listener %d: accepted %d",
			l->listener, conn);
		/* Established: read what the application writes. Data that
		 * came before it was accepted is announced by a READABLE
		 * event tcp_accept() queued. */
		channel_reading(ch, true);
	}
	/* Budget spent: go on when the loop comes round (writable). */
	ev_io_start(d->loop, &l->write_watcher);
}

static void lchannel_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	lchannel_accept(w->data);
}

/* ---- requests ------------------------------------------------------- */

/* May client c change or read connection ch's options? With a proof
 * (a descriptor the request carried), when it is ch's application
 * end, whoever sends it; without, when c made ch (or its listener). */
static bool channel_allows(const struct tcp_channel *ch,
			   const struct control_client *c,
			   const struct control_fd_id *proof)
{
	if (!ch)
		return false;
	if (proof)
		return control_fd_proves(proof, &ch->app_id);
	return ch->creator == c->serial;
}

static void reply_open(struct control_client *c, uint16_t type, uint32_t id,
		       const struct ipc_tcp_open_reply *r, int fd)
{
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	int len = type == IPC_T_TCP_LISTEN_REPLY
		      ? ipc_encode_tcp_listen_reply(buf, sizeof(buf),
						    c->version, id, r)
		      : ipc_encode_tcp_connect_reply(buf, sizeof(buf),
						     c->version, id, r);

	if (len > 0)
		control_client_queue(c, buf, len, fd);
	else if (fd >= 0)
		close(fd);
}

/*
 * A non-blocking connect's reply is held (docs/ipc.md, TCP_CONNECT):
 * its SYN goes out at the end of the request's turn, and a peer on this
 * host (the kernel behind the TAP) has its SYN-ACK queued on the TAP
 * before the write returns. So once that drain wrote the SYN, the links
 * are read at once (held_turn_cb, d->link_read_now), without a poll or
 * a turn of their own: the connection is established and the reply, in
 * that same turn, carries a descriptor that is writable already (no
 * filler, no hang-up set, and the application's poll() returns at once
 * instead of waiting for a second wake-up). A connect still in progress
 * then waits one more turn, which polls without blocking (held_nowait,
 * an idle watcher); at its end, or failed, it is answered as it would
 * have been at once (connect_release; channel_fail).
 */
static void connect_release(struct tcp_channel *ch)
{
	connect_unhold(ch->ctl->tcp, ch->cn); /* held_turn_cb goes on */
	channel_fill(ch, ch->cn->app_fd);     /* not writable until connected */
	channel_answer(ch, 0);
	hup_add(ch); /* the application may close it early */
}

static void connect_hold(struct tcp_channel *ch)
{
	struct control_tcp *t = ch->ctl->tcp;
	struct ev_loop *loop = ch->ctl->d->loop;

	ch->cn->held = true;
	ch->cn->held_next = t->held;
	t->held = ch->cn;
	ev_prepare_start(loop, &t->held_turn);
	ev_idle_start(loop, &t->held_nowait);
}

/* The end of a turn, after loop.c's drain (its SYNs written, its events
 * handled): connects held since the turn before are answered. */
static void held_turn_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct daemon *d = ((struct control *)w->data)->d;
	struct control_tcp *t = ((struct control *)w->data)->tcp;
	struct tcp_connect *cn;
	unsigned fresh = 0;

	/* The connects held in this turn: their SYNs went out in the
	 * drain that just ran, and a peer on this host queued its SYN-ACK
	 * inside that write. Read the links now, a frame per connect (at
	 * most a wakeup's: main.c, taps_read_now): the drain that follows
	 * answers the connects established (their events), in this turn
	 * rather than the next. */
	for (cn = t->held; cn; cn = cn->held_next)
		if (cn->held_turns == 0)
			fresh++;
	if (fresh && d->link_read_now)
		(void)d->link_read_now(d, fresh);
	/* Answering may destroy a client, never another held connect
	 * (its client waits for this reply); still, look again from the
	 * start after each. */
	for (cn = t->held; cn;) {
		if (cn->held_turns > 0) {
			connect_release(cn->timer.data);
			cn = t->held;
		} else {
			cn = cn->held_next;
		}
	}
	for (cn = t->held; cn; cn = cn->held_next)
		cn->held_turns = 1;
	if (!t->held) {
		ev_prepare_stop(loop, &t->held_turn);
		ev_idle_stop(loop, &t->held_nowait);
	}
}

/* Active only so that the loop does not block while a reply is held. */
static void held_nowait_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
}

void control_tcp_connect(struct control_client *c, const struct ipc_msg *m,
			 const struct ipc_tcp_connect *req)
{
	struct control *ctl = c->ctl;
	struct daemon *d = ctl->d;
	struct ipc_tcp_open_reply r = {.id = -1};
	struct tcp_sockopts o;
	struct tcp_channel *ch;
	uint32_t timeout_ms = req->timeout_ms
				  ? req->timeout_ms
				  : IPC_TCP_CONNECT_TIMEOUT_DEFAULT_MS;
	struct tcp_connect *cn = calloc(1, sizeof(*cn));
	int conn, app_fd = -1, err;

	if (!cn) {
		r.status = -ENOMEM;
		goto fail;
	}
	sockopts_from_ipc(d->stack, &req->opts, &o);
	conn = tcp_connect(d->stack, daemon_now(), req->local_addr,
			   req->local_port, req->remote_addr, req->remote_port,
			   &o);
	if (conn < 0) {
		/* The stack's table is everybody's: ENFILE. */
		r.status = conn == -EMFILE ? -ENFILE : conn;
		goto fail;
	}
	ch = channel_new(ctl, conn, c->serial, &c->owner,
			 req->flags & IPC_TCP_CONNECT_F_END_NONBLOCK, &app_fd,
			 &err);
	if (!ch) {
		tcp_close(d->stack, daemon_now(), conn);
		r.status = err;
		goto fail;
	}
	ch->connecting = true;
	cn->app_fd = -1;
	ev_timer_init(&cn->timer, connect_timeout_cb,
		      (double)timeout_ms / 1000., 0.);
	cn->timer.data = ch;
	ch->cn = cn;
	ev_timer_start(d->loop, &cn->timer);
	log_msg(LOG_DEBUG, "control: client %u: tcp %d connecting", c->serial,
		conn);
	cn->app_fd = app_fd;
	cn->waiter = c;
	cn->reply_id = m->id;
	c->reply_pending = true;
	if (req->flags & IPC_TCP_CONNECT_F_NONBLOCK)
		connect_hold(ch);
	return;
fail:
	free(cn);
	r.id = -1;
	reply_open(c, IPC_T_TCP_CONNECT_REPLY, m->id, &r, -1);
}

void control_tcp_listen(struct control_client *c, const struct ipc_msg *m,
			const struct ipc_tcp_listen *req)
{
	struct control *ctl = c->ctl;
	struct daemon *d = ctl->d;
	struct ipc_tcp_open_reply r = {.id = -1};
	struct tcp_sockopts o;
	struct tcp_lchannel *l = NULL;
	int pair[2] = {-1, -1};
	int listener = -1;
	bool charged = false;

	r.status = control_charge(ctl, &c->owner, CONTROL_KIND_LISTENER);
	if (r.status)
		goto fail; /* -EMFILE: this client's or uid's share */
	charged = true;
	l = calloc(1, sizeof(*l));
	if (!l) {
		r.status = -ENOMEM;
		goto fail;
	}
	/* The application never writes to a listener: its write() fails
	 * with EPIPE, as on a listening kernel socket. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0 ||
	    shutdown(pair[0], SHUT_RD) < 0) {
		r.status = errno == EMFILE ? -ENFILE : -errno;
		goto fail;
	}
	sockopts_from_ipc(d->stack, &req->opts, &o);
	listener = tcp_listen(d->stack, req->local_addr, req->local_port,
			      req->backlog, &o);
	if (listener < 0) {
		/* The stack's table is everybody's: ENFILE. */
		r.status = listener == -EMFILE ? -ENFILE : listener;
		goto fail;
	}
	l->ctl = ctl;
	l->owner = c->owner;
	l->creator = c->serial;
	l->listener = listener;
	l->local_addr = req->local_addr;
	l->local_port = (uint16_t)tcp_listen_port(d->stack, listener);
	l->fd = pair[0];
	l->pending_fd = -1;
	l->accept_nonblock = req->flags & IPC_TCP_LISTEN_F_ACCEPT_NONBLOCK;
	ev_io_init(&l->write_watcher, lchannel_write_cb, l->fd, EV_WRITE);
	l->write_watcher.data = l;
	r.status = lchannel_watch_hangup(l);
	if (r.status)
		goto fail;
	(void)tcp_listen_set_user(d->stack, listener, l); /* events' cookie */
	l->next = ctl->tcp->lchannels;
	if (l->next)
		l->next->prev = l;
	ctl->tcp->lchannels = l;
	r.status = 0;
	r.id = listener;
	r.local_addr = req->local_addr;
	r.local_port = l->local_port; /* chosen when the request had 0 */
	log_msg(LOG_DEBUG, "control: client %u: tcp listener %d on port %u",
		c->serial, listener, l->local_port);
	reply_open(c, IPC_T_TCP_LISTEN_REPLY, m->id, &r, pair[1]);
	return;
fail:
	if (listener >= 0)
		tcp_listen_close(d->stack, daemon_now(), listener);
	if (pair[0] >= 0)
		close(pair[0]);
	if (pair[1] >= 0)
		close(pair[1]);
	free(l);
	if (charged)
		control_uncharge(ctl, &c->owner, CONTROL_KIND_LISTENER);
	reply_open(c, IPC_T_TCP_LISTEN_REPLY, m->id, &r, -1);
}

void control_tcp_setopt(struct control_client *c, const struct ipc_msg *m,
			const struct ipc_tcp_setopt *req,
			const struct control_fd_id *proof)
{
	struct daemon *d = c->ctl->d;
	struct ipc_status_only_reply r = {0};
	struct tcp_channel *ch = channel_find(c->ctl, req->id);
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	struct tcp_sockopts o;
	int len;

	if (!channel_allows(ch, c, proof)) {
		r.status = -EBADF; /* not this client's, not proven */
	} else {
		/* What the request does not set stays as it is. */
		r.status = tcp_get_sockopts(d->stack, ch->conn, &o);
		if (r.status == 0) {
			sockopts_apply(&req->opts, &o);
			r.status = tcp_set_sockopts(d->stack, daemon_now(),
						    ch->conn, &o);
		}
	}
	len = ipc_encode_tcp_setopt_reply(buf, sizeof(buf), c->version, m->id,
					  &r);
	if (len > 0)
		control_client_queue(c, buf, len, -1);
}

_Static_assert(IPC_HDR_LEN + IPC_TCP_GETOPT_REPLY_LEN <= CONTROL_SMALL_MSG_MAX,
	       "a TCP_GETOPT reply is a small message");

void control_tcp_getopt(struct control_client *c, const struct ipc_msg *m,
			const struct ipc_tcp_getopt *req,
			const struct control_fd_id *proof)
{
	struct daemon *d = c->ctl->d;
	struct ipc_tcp_getopt_reply r = {0};
	struct tcp_channel *ch = channel_find(c->ctl, req->id);
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	struct tcp_sockopts o;
	int len;

	if (!channel_allows(ch, c, proof)) {
		r.status = -EBADF; /* not this client's, not proven */
	} else {
		r.status = tcp_get_sockopts(d->stack, ch->conn, &o);
		if (r.status == 0)
			sockopts_to_ipc(&o, &r.opts);
	}
	len = ipc_encode_tcp_getopt_reply(buf, sizeof(buf), c->version, m->id,
					  &r);
	if (len < 0) {
		/* Options the wire cannot carry: say so rather than not
		 * answer at all. */
		r = (struct ipc_tcp_getopt_reply){.status = -EINVAL};
		len = ipc_encode_tcp_getopt_reply(buf, sizeof(buf), c->version,
						  m->id, &r);
	}
	if (len > 0)
		control_client_queue(c, buf, len, -1);
}

/* ---- a close that lingers (SO_LINGER with a time) ------------------- */

/* Ends the wait of a lingering close: stops its timer and frees it. */
static void linger_end(struct tcp_channel *ch)
{
	ev_timer_stop(ch->ctl->d->loop, &ch->linger->timer);
	free(ch->linger);
	ch->linger = NULL;
}

/* Answers the TCP_LINGER in wait and lets the client's requests flow
 * again. Sending may destroy the client; the channel stays. */
static void linger_answer(struct tcp_channel *ch, uint32_t all_sent)
{
	struct control_client *c = ch->linger->waiter;
	uint32_t reply_id = ch->linger->reply_id;
	struct ipc_status_only_reply r = {.value = all_sent};
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	int len;

	linger_end(ch);
	len = ipc_encode_tcp_linger_reply(buf, sizeof(buf), c->version,
					  reply_id, &r);
	if (len > 0)
		control_client_queue(c, buf, len, -1);
	c->reply_pending = false;
	(void)control_client_flush(c);
}

enum linger_state { LINGER_SENDING, LINGER_ALL_SENT, LINGER_OVER };

/* ALL_SENT: everything the application wrote is sent and acknowledged,
 * FIN included (FIN-WAIT-2 or TIME-WAIT: what Linux's close waits
 * for); OVER: the connection failed, nothing more will be sent. */
static enum linger_state linger_state(const struct tcp_channel *ch)
{
	struct stack_tcp_info info;

	if (tcp_conn_info(ch->ctl->d->stack, ch->conn, &info) != 0 ||
	    info.state == TCPS_CLOSED)
		return LINGER_OVER;
	if (info.state == TCPS_FIN_WAIT_2 || info.state == TCPS_TIME_WAIT)
		return LINGER_ALL_SENT;
	return LINGER_SENDING;
}

static void linger_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tcp_channel *ch = w->data;
	enum linger_state st = linger_state(ch);

	if (st != LINGER_SENDING || daemon_now() >= ch->linger->deadline)
		linger_answer(ch, st == LINGER_ALL_SENT);
}

void control_tcp_linger(struct control_client *c, const struct ipc_msg *m,
			const struct ipc_tcp_linger *req,
			const struct control_fd_id *proof)
{
	struct daemon *d = c->ctl->d;
	struct tcp_channel *ch = channel_find(c->ctl, req->id);
	struct ipc_status_only_reply r = {0};
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	struct tcp_sockopts o;
	int len;

	if (!channel_allows(ch, c, proof) || ch->linger) {
		r.status = -EBADF; /* not this client's, not proven */
	} else if (tcp_get_sockopts(d->stack, ch->conn, &o) == 0 && o.linger &&
		   o.linger_s > 0 && linger_state(ch) == LINGER_SENDING) {
		/* The reply waits, as a blocking connect's does. */
		struct tcp_linger *lg = calloc(1, sizeof(*lg));

		if (lg) {
			lg->waiter = c;
			lg->reply_id = m->id;
			lg->deadline =
			    daemon_now() + (uint64_t)o.linger_s * 1000000000ull;
			ev_timer_init(&lg->timer, linger_timer_cb,
				      CONTROL_TCP_LINGER_POLL_S,
				      CONTROL_TCP_LINGER_POLL_S);
			lg->timer.data = ch;
			ch->linger = lg;
			c->reply_pending = true;
			ev_timer_start(d->loop, &lg->timer);
			return;
		}
		r.status = -ENOMEM;
	} else {
		r.value = linger_state(ch) == LINGER_ALL_SENT;
	}
	len = ipc_encode_tcp_linger_reply(buf, sizeof(buf), c->version, m->id,
					  &r);
	if (len > 0)
		control_client_queue(c, buf, len, -1);
}

/* ---- events, start and stop ------------------------------------------ */

size_t control_tcp_sock_owners(const struct control *ctl,
			       struct ipc_rec_sock_owner *out, size_t max)
{
	const struct tcp_lchannel *l;
	const struct tcp_channel *ch;
	size_t n = 0;

	if (!ctl->tcp)
		return 0;
	for (l = ctl->tcp->lchannels; l; l = l->next, n++)
		if (n < max)
			control_sock_owner_record(&l->owner,
						  IPC_SOCK_OWNER_LISTENER,
						  l->listener, &out[n]);
	for (ch = ctl->tcp->channels; ch; ch = ch->next, n++)
		if (n < max)
			control_sock_owner_record(&ch->owner,
						  IPC_SOCK_OWNER_CONNECTION,
						  ch->conn, &out[n]);
	return n;
}

void control_tcp_on_event(struct control *ctl, const struct stack_event *ev)
{
	struct control_tcp *t = ctl->tcp;
	struct tcp_channel *ch;
	struct tcp_lchannel *l;

	if (!t)
		return;
	/* The cookies set by tcp_listen_set_user and tcp_set_user; NULL
	 * once the object has let go of its stack id. */
	if (ev->type == STACK_EV_TCP_ACCEPTABLE) {
		l = ev->user;
		if (l && !l->pending)
			lchannel_accept(l);
		return;
	}
	ch = ev->user;
	if (!ch)
		return; /* closed since */
	switch (ev->type) {
	case STACK_EV_TCP_CONNECTED:
		if (!ch->connecting)
			return;
		if (ch->cn && ch->cn->waiter) {
			ch->connecting = false;
			channel_answer(ch, 0);
		}
		channel_start(ch);
		return;
	case STACK_EV_TCP_ERROR:
		if (ch->connecting) {
			channel_fail(ch, ev->error);
			return;
		}
		channel_failed(ch); /* data first, then the error */
		return;
	case STACK_EV_TCP_READABLE:
		if (!ev_is_active(&ch->write_watcher))
			channel_output(ch);
		return;
	case STACK_EV_TCP_WRITABLE:
		if (ch->want_writable && !ch->connecting) {
			ch->want_writable = false;
			if (channel_reading(ch, true))
				channel_input(ch);
		}
		return;
	default:
		return;
	}
}

void control_tcp_client_gone(struct control *ctl, struct control_client *c)
{
	struct control_tcp *t = ctl->tcp;
	struct tcp_channel *ch, *next;

	if (!t || !c->reply_pending)
		return;
	for (ch = t->channels; ch; ch = next) {
		next = ch->next;
		if (ch->linger && ch->linger->waiter == c)
			linger_end(ch); /* the connection carries on */
		if (ch->cn && ch->cn->waiter == c) {
			ch->cn->waiter = NULL;
			channel_destroy(ch, END_CLOSE);
		}
	}
	c->reply_pending = false;
}

int control_tcp_start(struct control *ctl)
{
	struct control_tcp *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->hup_fd = epoll_create1(EPOLL_CLOEXEC);
	if (t->hup_fd < 0) {
		int err = -errno;

		free(t);
		return err;
	}
	ev_io_init(&t->hup_watcher, hup_cb, t->hup_fd, EV_READ);
	/* After the control requests of the same turn (hup_cb defers to
	 * a connect they make). */
	ev_set_priority(&t->hup_watcher, -1);
	t->hup_watcher.data = ctl;
	ev_io_start(ctl->d->loop, &t->hup_watcher);
	/* After loop.c's drain (priority 0), and before capture.c's flush
	 * (EV_MINPRI): held_turn_cb reads the links and drains too, and
	 * the frames of that are captured in the same turn. Among
	 * prepare watchers of one priority libev's order is not fixed. */
	ev_prepare_init(&t->held_turn, held_turn_cb);
	ev_set_priority(&t->held_turn, EV_MINPRI + 1);
	t->held_turn.data = ctl;
	ev_idle_init(&t->held_nowait, held_nowait_cb);
	ev_idle_init(&t->spare_idle, spare_idle_cb);
	t->spare_idle.data = ctl;
	ev_timer_init(&t->spare_retry, spare_retry_cb, 0., 0.);
	t->spare_retry.data = ctl;
	t->spare_retry_s = CONTROL_TCP_SPARE_RETRY_MIN_S;
	ev_timer_init(&t->hold_timer, hold_timer_cb, CHANNEL_HOLD_MAX_S,
		      CHANNEL_HOLD_MAX_S);
	t->hold_timer.data = ctl;
	ctl->tcp = t;
	/* The pairs the first connects take are made by the idle watcher,
	 * once the loop runs: after main.c dropped to [daemon] user, so
	 * that they are that user's as every later one is (SO_PEERCRED of
	 * the application's end, its inode's owner), not root's. */
	ev_idle_start(ctl->d->loop, &t->spare_idle);
	return 0;
}

void control_tcp_stop(struct control *ctl)
{
	struct control_tcp *t = ctl->tcp;

	if (!t)
		return;
	while (t->lchannels)
		lchannel_destroy(t->lchannels);
	while (t->channels) {
		struct tcp_channel *ch = t->channels;

		if (ch->cn)
			ch->cn->waiter = NULL;
		/* The network stack went down under the connection (the peer
		 * did not reset it): ENETDOWN, not a clean end. */
		channel_notice_now(ch,
				   ch->fail_error ? ch->fail_error : ENETDOWN);
		channel_destroy(ch, END_CLOSE);
	}
	ev_io_stop(ctl->d->loop, &t->hup_watcher);
	ev_prepare_stop(ctl->d->loop, &t->held_turn);
	ev_idle_stop(ctl->d->loop, &t->held_nowait);
	ev_idle_stop(ctl->d->loop, &t->spare_idle);
	ev_timer_stop(ctl->d->loop, &t->spare_retry);
	for (int kind = 0; kind < 2; kind++)
		while (t->spares[kind] > 0) {
			struct channel_spare *sp =
			    &t->spare[kind][--t->spares[kind]];

			close(sp->fd[0]);
			close(sp->fd[1]);
		}
	ev_timer_stop(ctl->d->loop, &t->hold_timer);
	close(t->hup_fd);
	free(t);
	ctl->tcp = NULL;
}
