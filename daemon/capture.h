/*
 * capture.h - packet capture: what the TAPs carry, as pcap records, to
 * a client's stream (utcpctl capture)
 *
 * A capture is started by a control client (CAPTURE, docs/ipc.md) and
 * writes a classic pcap file (pcap.h) into one end of a
 * socketpair(AF_UNIX, SOCK_STREAM) whose other end the client reads:
 * the file header, then one record per frame read from or written to
 * the TAP of its interface (or of every interface), as the daemon sees
 * the frame: a TSO super-segment is one frame, the virtio-net header
 * is not part of it, checksums left partial by offload are as they are.
 *
 * The data path never waits for a capture: each frame's record is
 * copied into the capture's queue (cs->queue_bytes at most, as the
 * capture started: [control] capture_queue_bytes); a frame whose record
 * does not fit is dropped and counted. The queue is written to the
 * stream once per loop turn, without blocking. At most cs->max captures
 * ([control] captures_max) exist at once. With no capture running, a TAP
 * costs one test of t->capture per frame.
 */
#ifndef UTCPD_CAPTURE_H
#define UTCPD_CAPTURE_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

struct daemon;
struct capture;

/* Captures at once, daemon-wide, at most ([control] captures_max: 1
 * to this), and by default; CAPTURE past cs->max is -EBUSY. */
#define CAPTURE_SLOTS	    16
#define CAPTURE_MAX_DEFAULT 4
/* The bytes of records one capture holds for a slow reader, by
 * default ([control] capture_queue_bytes), and the bounds. */
#define CAPTURE_QUEUE_BYTES_DEFAULT (4u << 20)
#define CAPTURE_QUEUE_BYTES_MIN	    (64u << 10)
#define CAPTURE_QUEUE_BYTES_MAX	    (256u << 20)
/* The largest snap length, and the default (tcpdump's). */
#define CAPTURE_SNAPLEN_MAX 262144u

struct capture_set {
	struct daemon *d;
	struct capture *slot[CAPTURE_SLOTS];
	/* The limits a capture_start() meets (capture_set_limits()): the
	 * captures that may exist, and the queue a new one gets. */
	unsigned max;
	uint32_t queue_bytes;
	unsigned taking; /* captures taking frames (the TAPs' pointer set) */
	ev_prepare flush_watcher; /* at the very end of each turn */
	int32_t next_id;
	/* The daemon's counters (STATUS): captures started, records
	 * queued, frames dropped for want of room in a queue. */
	uint64_t started, frames, drops;
};

/* Makes the daemon's capture set (its flush watcher on d->loop, not yet
 * started), with the default limits. Returns NULL when out of memory. */
struct capture_set *capture_set_new(struct daemon *d);

/* The limits of the captures started from now on: `max` captures at
 * once (1..CAPTURE_SLOTS; those running past a lowered one go on), a
 * queue of `queue_bytes` each (CAPTURE_QUEUE_BYTES_MIN..MAX). */
void capture_set_limits(struct capture_set *cs, unsigned max,
			uint32_t queue_bytes);

/* Ends every capture (closing their streams) and frees the set. Safe
 * on NULL. */
void capture_set_free(struct capture_set *cs);

/*
 * Starts a capture for `owner` (an opaque key: the control client) of
 * the frames of stack interface `ifindex` (-1: every interface), `snaplen`
 * bytes of each at most (1..CAPTURE_SNAPLEN_MAX), ending after `count`
 * frames (0: until stopped). On success *app_fd is the client's end of
 * the stream (blocking, close-on-exec) and *id the capture's id.
 * Returns 0, -EBUSY (cs->max captures exist), -ENOMEM, or the
 * negative errno of socketpair().
 */
int capture_start(struct capture_set *cs, const void *owner, int ifindex,
		  uint32_t snaplen, uint32_t count, int *app_fd, int32_t *id);

/*
 * Stops capture `id` of `owner`: no frame is taken from then on; the
 * records queued are still written, then the stream is closed (the
 * reader sees EOF) and the capture freed. *seen is the frames that
 * matched it, *dropped those of them it had no room for. Returns 0 or
 * -ENOENT (no capture `id` of this owner).
 */
int capture_stop(struct capture_set *cs, const void *owner, int32_t id,
		 uint64_t *seen, uint64_t *dropped);

/* Frees every capture of `owner` at once (its client went). */
void capture_owner_gone(struct capture_set *cs, const void *owner);

/* A frame of `len` bytes read from or written to the TAP of stack
 * interface `ifindex`: a record for every capture taking it. Called by
 * tap.c only while t->capture is set. */
void capture_frame(struct capture_set *cs, int ifindex, const uint8_t *data,
		   uint32_t len);

#endif
