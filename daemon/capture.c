/*
 * capture.c - packet capture to a client's stream (capture.h)
 *
 * Theory of operation. Each capture has a queue: a ring of c->cap
 * bytes (the set's queue_bytes when it started) holding the bytes of the pcap
 * file not yet written to its stream, whole records only (the file header
 * first). capture_frame(), on the data path, reads CLOCK_REALTIME once and, for
 * every capture taking frames of that interface, appends a record
 * header (pcap.c) and the frame's first caplen bytes, or counts a drop
 * when they do not fit; after `count` records the capture stops
 * taking. Nothing on the data path makes a system call besides the
 * clock.
 *
 * The queue goes to the stream at the end of each loop turn: an
 * ev_prepare watcher of the lowest priority runs after loop.c's drain
 * (which writes the stack's frames, and so queues their records), and
 * writes each queue with one writev() (the ring's two pieces),
 * MSG_DONTWAIT in effect (our end is non-blocking). What the socket
 * does not take waits for an ev_io EV_WRITE watcher. A stream is a
 * byte stream: a record may go out in pieces, the reader gets the file
 * whole and in order.
 *
 * A capture that stops taking (its count reached, or STOP) writes what
 * it has queued, then closes its end: the reader sees EOF after the
 * last record. A write error (the reader closed its end) ends it at
 * once, its queue discarded. The capture itself is freed once it is
 * STOPped (or its owner gone) and its queue written or discarded;
 * until STOP it keeps its counts for the STOP reply. Which TAPs look at
 * captures: while at least one capture takes frames, every TAP's
 * t->capture points at the set; otherwise it is NULL, and a frame
 * costs the TAP one predictable branch.
 */
#define _GNU_SOURCE
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pcap.h"
#include "utcpd.h"

struct capture {
	struct capture_set *cs;
	const void *owner;
	int32_t id;
	int fd; /* our end of the stream; -1 once closed */
	ev_io write_watcher;
	int ifindex; /* -1: every interface */
	uint32_t snaplen;
	uint32_t count; /* records to take; 0: no limit */
	bool taking;	/* frames are recorded */
	bool stopped;	/* STOP came (or the owner went): free when flushed */
	uint64_t seen, dropped, recorded;
	uint8_t *ring;
	size_t cap;	  /* the ring's bytes */
	size_t head, len; /* the queued bytes: ring[head..], wrapping */
};

static void update_taps(struct capture_set *cs)
{
	struct daemon *d = cs->d;

	for (int i = 0; i < d->ntaps; i++)
		d->taps[i].capture = cs->taking ? cs : NULL;
}

/* The capture takes no more frames. */
static void stop_taking(struct capture *c)
{
	if (!c->taking)
		return;
	c->taking = false;
	c->cs->taking--;
	update_taps(c->cs);
}

static void close_stream(struct capture *c)
{
	if (c->fd < 0)
		return;
	ev_io_stop(c->cs->d->loop, &c->write_watcher);
	close(c->fd);
	c->fd = -1;
}

/* Ends capture c, however it ended (stopped, its count reached, its
 * reader or its client gone, the daemon leaving), with a log line that
 * closes the one its start wrote (control.c, handle_capture). */
static void capture_free(struct capture *c)
{
	struct capture_set *cs = c->cs;

	log_msg(LOG_NOTICE,
		"control: capture %d of interface %d (-1: all) ended: "
		"%llu frames seen, %llu recorded, %llu dropped",
		(int)c->id, c->ifindex, (unsigned long long)c->seen,
		(unsigned long long)c->recorded,
		(unsigned long long)c->dropped);
	stop_taking(c);
	close_stream(c);
	for (int i = 0; i < CAPTURE_SLOTS; i++)
		if (cs->slot[i] == c)
			cs->slot[i] = NULL;
	free(c->ring);
	free(c);
}

/* Appends n bytes to the ring (the caller checked the room). */
static void ring_put(struct capture *c, const uint8_t *p, size_t n)
{
	size_t tail = (c->head + c->len) % c->cap;
	size_t first = c->cap - tail;

	if (first > n)
		first = n;
	memcpy(c->ring + tail, p, first);
	memcpy(c->ring, p + first, n - first);
	c->len += n;
}

/*
 * Writes what the queue holds, as much as the stream takes now. When a
 * capture that stopped taking has written everything, closes its end
 * (and frees it if STOPped). Returns false when the capture was freed.
 */
static bool flush_one(struct capture *c)
{
	struct ev_loop *loop = c->cs->d->loop;

	while (c->fd >= 0 && c->len > 0) {
		struct iovec iov[2];
		size_t first = c->cap - c->head;
		int niov = 1;
		ssize_t n;

		if (first >= c->len) {
			iov[0] = (struct iovec){c->ring + c->head, c->len};
		} else {
			iov[0] = (struct iovec){c->ring + c->head, first};
			iov[1] = (struct iovec){c->ring, c->len - first};
			niov = 2;
		}
		n = writev(c->fd, iov, niov);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_io_start(loop, &c->write_watcher);
			return true;
		}
		if (n <= 0) {
			/* The reader is gone: nothing more can reach it. */
			stop_taking(c);
			close_stream(c);
			c->len = 0;
			break;
		}
		c->head = (c->head + (size_t)n) % c->cap;
		c->len -= (size_t)n;
		if ((size_t)n <
		    iov[0].iov_len + (niov > 1 ? iov[1].iov_len : 0))
			break; /* the socket is full: EAGAIN next time */
	}
	if (c->len == 0)
		ev_io_stop(loop, &c->write_watcher);
	if (c->len == 0 && !c->taking) {
		close_stream(c);
		if (c->stopped) {
			capture_free(c);
			return false;
		}
	}
	if (c->len > 0 && c->fd >= 0)
		ev_io_start(loop, &c->write_watcher);
	return true;
}

static void write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	flush_one(w->data);
}

/* The end of each turn (after loop.c's drain): every queue written. */
static void flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct capture_set *cs = w->data;
	bool any = false;

	for (int i = 0; i < CAPTURE_SLOTS; i++) {
		struct capture *c = cs->slot[i];

		if (c && !ev_is_active(&c->write_watcher))
			flush_one(c);
		any |= cs->slot[i] != NULL;
	}
	if (!any)
		ev_prepare_stop(loop, w);
}

struct capture_set *capture_set_new(struct daemon *d)
{
	struct capture_set *cs = calloc(1, sizeof(*cs));

	if (!cs)
		return NULL;
	cs->d = d;
	ev_prepare_init(&cs->flush_watcher, flush_cb);
	ev_set_priority(&cs->flush_watcher, EV_MINPRI);
	cs->flush_watcher.data = cs;
	cs->max = CAPTURE_MAX_DEFAULT;
	cs->queue_bytes = CAPTURE_QUEUE_BYTES_DEFAULT;
	return cs;
}

void capture_set_limits(struct capture_set *cs, unsigned max,
			uint32_t queue_bytes)
{
	if (max < 1)
		max = 1;
	if (max > CAPTURE_SLOTS)
		max = CAPTURE_SLOTS;
	if (queue_bytes < CAPTURE_QUEUE_BYTES_MIN)
		queue_bytes = CAPTURE_QUEUE_BYTES_MIN;
	if (queue_bytes > CAPTURE_QUEUE_BYTES_MAX)
		queue_bytes = CAPTURE_QUEUE_BYTES_MAX;
	cs->max = max;
	cs->queue_bytes = queue_bytes;
}

void capture_set_free(struct capture_set *cs)
{
	if (!cs)
		return;
	for (int i = 0; i < CAPTURE_SLOTS; i++)
		if (cs->slot[i])
			capture_free(cs->slot[i]);
	ev_prepare_stop(cs->d->loop, &cs->flush_watcher);
	free(cs);
}

int capture_start(struct capture_set *cs, const void *owner, int ifindex,
		  uint32_t snaplen, uint32_t count, int *app_fd, int32_t *id)
{
	uint8_t hdr[PCAP_FILE_HDR_LEN];
	struct capture *c;
	int slot = -1, sv[2];
	unsigned n = 0;

	for (int i = 0; i < CAPTURE_SLOTS; i++) {
		if (cs->slot[i])
			n++;
		else if (slot < 0)
			slot = i;
	}
	if (slot < 0 || n >= cs->max)
		return -EBUSY;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cap = cs->queue_bytes;
	c->ring = malloc(c->cap);
	if (!c->ring) {
		free(c);
		return -ENOMEM;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		int err = -errno;

		free(c->ring);
		free(c);
		return err;
	}
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	shutdown(sv[0], SHUT_RD); /* the client has nothing to say */
	c->cs = cs;
	c->owner = owner;
	c->fd = sv[0];
	c->id = cs->next_id;
	cs->next_id = cs->next_id == INT32_MAX ? 0 : cs->next_id + 1;
	c->ifindex = ifindex;
	c->snaplen = snaplen;
	c->count = count;
	ev_io_init(&c->write_watcher, write_cb, c->fd, EV_WRITE);
	c->write_watcher.data = c;
	pcap_file_header(hdr, snaplen);
	ring_put(c, hdr, sizeof(hdr));
	c->taking = true;
	cs->slot[slot] = c;
	cs->taking++;
	cs->started++;
	update_taps(cs);
	ev_prepare_start(cs->d->loop, &cs->flush_watcher);
	*app_fd = sv[1];
	*id = c->id;
	return 0;
}

static struct capture *find(struct capture_set *cs, const void *owner,
			    int32_t id)
{
	for (int i = 0; i < CAPTURE_SLOTS; i++) {
		struct capture *c = cs->slot[i];

		if (c && c->owner == owner && c->id == id && !c->stopped)
			return c;
	}
	return NULL;
}

int capture_stop(struct capture_set *cs, const void *owner, int32_t id,
		 uint64_t *seen, uint64_t *dropped)
{
	struct capture *c = cs ? find(cs, owner, id) : NULL;

	if (!c)
		return -ENOENT;
	*seen = c->seen;
	*dropped = c->dropped;
	stop_taking(c);
	c->stopped = true;
	if (c->len == 0 || c->fd < 0)
		capture_free(c);
	return 0;
}

void capture_owner_gone(struct capture_set *cs, const void *owner)
{
	if (!cs)
		return;
	for (int i = 0; i < CAPTURE_SLOTS; i++)
		if (cs->slot[i] && cs->slot[i]->owner == owner)
			capture_free(cs->slot[i]);
}

void capture_frame(struct capture_set *cs, int ifindex, const uint8_t *data,
		   uint32_t len)
{
	uint8_t hdr[PCAP_REC_HDR_LEN];
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	for (int i = 0; i < CAPTURE_SLOTS; i++) {
		struct capture *c = cs->slot[i];
		uint32_t caplen;

		if (!c || !c->taking ||
		    (c->ifindex >= 0 && c->ifindex != ifindex))
			continue;
		c->seen++;
		caplen = pcap_record_header(hdr, now, len, c->snaplen);
		if (c->cap - c->len < sizeof(hdr) + caplen) {
			c->dropped++;
			cs->drops++;
			continue;
		}
		ring_put(c, hdr, sizeof(hdr));
		ring_put(c, data, caplen);
		c->recorded++;
		cs->frames++;
		if (c->count && c->recorded == c->count)
			stop_taking(c);
	}
}
