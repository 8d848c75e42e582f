/*
 * control_client.c - one control connection: its replies, its
 * descriptors, its end
 *
 * Everything is non-blocking. A client's replies wait in a queue of at
 * most CONTROL_OUTQ_MAX messages, each with at most one descriptor
 * passed by SCM_RIGHTS (closed here once sent); after them goes the
 * chunked reply being streamed, if any (a STATUS: struct
 * control_stream). While the queue is full or a stream is being sent,
 * the daemon reads no further requests from that client (control.c), so
 * a client that sends without reading only stalls itself, as a full
 * socket buffer stalls a writer: it is bounded by what the kernel
 * buffers for its connection and CONTROL_OUTQ_MAX replies, and others
 * never wait for it. A client whose pending output makes no progress
 * for ctl->send_timeout_s (CONTROL_SEND_TIMEOUT_S) is disconnected and
 * counted (control_dropped_not_reading).
 *
 * A client is torn down (a send failed, the timeout, or it was closing
 * and its output is out) through ctl->client_destroy, which control.c
 * sets: the sockets a client owns are not this file's business.
 */
#define _GNU_SOURCE
#include "control_client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "control_limits.h"
#include "log.h"

const char *control_counter_name(enum control_counter i)
{
	static const char *const names[CONTROL_COUNTERS] = {
	    [CONTROL_CTR_REFUSED] = "control_clients_refused",
	    [CONTROL_CTR_HELLO_TIMEOUT] = "control_dropped_hello_timeout",
	    [CONTROL_CTR_MALFORMED] = "control_dropped_malformed",
	    [CONTROL_CTR_BEFORE_HELLO] = "control_dropped_before_hello",
	    [CONTROL_CTR_BAD_REQUEST] = "control_dropped_bad_request",
	    [CONTROL_CTR_ANCILLARY] = "control_dropped_ancillary",
	    [CONTROL_CTR_NOT_READING] = "control_dropped_not_reading",
	    [CONTROL_CTR_UNFRAMED] = "control_udp_unframed",
	    [CONTROL_CTR_UNWATCHED] = "control_tcp_unwatchable",
	    [CONTROL_CTR_SPARE_FAILED] = "control_tcp_pairs_ahead_failed",
	};

	return (unsigned)i < CONTROL_COUNTERS ? names[i] : "?";
}

struct control_fd_id control_fd_id_of(int fd)
{
	struct control_fd_id id = {0, 0, 0};
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	struct stat st;

	/* getsockopt() first: it refuses what is no socket without
	 * asking its file system (fstat() of a file on a FUSE mount
	 * would wait for its server), and an O_PATH handle of a socket
	 * (EBADF), which fstat() would answer, as for setsockopt(). */
	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) != 0) {
		if (errno != ENOPROTOOPT)
			return id;
		cookie = 0; /* a kernel without socket cookies */
	}
	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return id;
	id.dev = st.st_dev;
	id.ino = st.st_ino;
	id.cookie = cookie;
	return id;
}

struct control_fd_id control_fd_id_of_own(int fd)
{
	struct control_fd_id id = {0, 0, 0};
	socklen_t len = sizeof(id.cookie);

	/* A cookie is never given to another socket until the system
	 * restarts: it is the whole identity, one system call. */
	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &id.cookie, &len) == 0 &&
	    id.cookie != 0)
		return id;
	return control_fd_id_of(fd);
}

bool control_fd_proves(const struct control_fd_id *proof,
		       const struct control_fd_id *end)
{
	if (proof->ino == 0)
		return false; /* no socket */
	if (end->ino == 0)
		return end->cookie != 0 && proof->cookie == end->cookie;
	return proof->ino == end->ino && proof->dev == end->dev &&
	       proof->cookie == end->cookie;
}

void control_client_queue(struct control_client *c, const void *msg, int len,
			  int fd)
{
	struct control_outmsg *o;

	o = &c->outq[(c->outq_head + c->outq_count) % CONTROL_OUTQ_MAX];
	memcpy(o->data, msg, (size_t)len);
	o->len = (size_t)len;
	o->fd = fd;
	c->outq_count++;
}

int control_send_packet(int sock, const void *buf, size_t len, int fd)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr msg;
	struct cmsghdr *cmsg;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd >= 0) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	if (sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
			return -EAGAIN;
		return -errno;
	}
	return 0;
}

static void client_send_timer_update(struct control_client *c, bool pending)
{
	struct ev_loop *loop = c->ctl->d->loop;

	if (pending) {
		ev_io_start(loop, &c->write_watcher);
		if (!ev_is_active(&c->send_timer))
			ev_timer_again(loop, &c->send_timer);
	} else {
		ev_io_stop(loop, &c->write_watcher);
		ev_timer_stop(loop, &c->send_timer);
	}
}

/*
 * Sends what the client has pending: queued replies first, then status
 * chunks. Returns 0, or -1 when the client was destroyed.
 */
int control_client_flush(struct control_client *c)
{
	struct ev_loop *loop = c->ctl->d->loop;
	bool progress = false;
	int err;

	while (c->outq_count > 0) {
		struct control_outmsg *o = &c->outq[c->outq_head];

		err = control_send_packet(c->fd, o->data, o->len, o->fd);
		if (err == -EAGAIN)
			goto pending;
		if (err)
			goto failed;
		if (o->fd >= 0)
			close(o->fd);
		o->fd = -1;
		c->outq_head = (c->outq_head + 1) % CONTROL_OUTQ_MAX;
		c->outq_count--;
		progress = true;
	}
	while (c->stream) {
		struct control_stream *st = c->stream;

		if (st->chunk_len == 0)
			st->next(st, c);
		err = control_send_packet(c->fd, st->chunk, st->chunk_len, -1);
		if (err == -EAGAIN)
			goto pending;
		if (err)
			goto failed;
		progress = true;
		st->chunk_len = 0;
		if (st->chunk_last) {
			st->free(st);
			c->stream = NULL;
		}
	}
	client_send_timer_update(c, false);
	if (c->closing) {
		c->ctl->client_destroy(c);
		return -1;
	}
	if (!c->reply_pending)
		ev_io_start(loop, &c->read_watcher);
	return 0;

failed:
	log_msg(LOG_INFO, "control: client %u: send: %s", c->serial,
		strerror(-err));
	c->ctl->client_destroy(c);
	return -1;

pending:
	if (progress)
		ev_timer_stop(loop, &c->send_timer); /* restarted below */
	client_send_timer_update(c, true);
	return 0;
}

void control_reply_error(struct control_client *c, uint32_t id, int status)
{
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	struct ipc_error e = {.status = status};
	int len =
	    ipc_encode_error(buf, sizeof(buf),
			     c->version ? c->version : IPC_VERSION_MIN, id, &e);

	if (len > 0)
		control_client_queue(c, buf, len, -1);
}

static void client_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	control_client_flush(w->data);
}

static void client_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct control_client *c = w->data;

	c->ctl->counters[CONTROL_CTR_NOT_READING]++;
	log_msg(LOG_WARNING,
		"control: client %u (pid %d) does not read its replies: "
		"disconnecting",
		c->serial, (int)c->pid);
	c->ctl->client_destroy(c);
}

struct control_client *
control_client_new(struct control *ctl, int fd, const struct ucred *cred,
		   gid_t *groups, size_t ngroups,
		   const struct control_owner *owner,
		   void (*read_cb)(struct ev_loop *, ev_io *, int),
		   void (*hello_timeout_cb)(struct ev_loop *, ev_timer *, int))
{
	struct control_client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ctl = ctl;
	c->fd = fd;
	c->serial = ++ctl->next_serial;
	c->pid = cred->pid;
	c->uid = cred->uid;
	c->gid = cred->gid;
	c->groups = groups;
	c->ngroups = ngroups;
	c->owner = *owner;
	c->owner.client->pid = cred->pid;
	c->owner.client->gid = cred->gid;
	ev_io_init(&c->read_watcher, read_cb, fd, EV_READ);
	ev_io_init(&c->write_watcher, client_write_cb, fd, EV_WRITE);
	ev_init(&c->send_timer, client_timeout_cb);
	c->send_timer.repeat = ctl->send_timeout_s;
	ev_timer_init(&c->hello_timer, hello_timeout_cb,
		      (double)ctl->limits.hello_timeout_ms / 1000., 0.);
	c->read_watcher.data = c;
	c->write_watcher.data = c;
	c->send_timer.data = c;
	c->hello_timer.data = c;
	ev_io_start(ctl->d->loop, &c->read_watcher);
	ev_timer_start(ctl->d->loop, &c->hello_timer);
	c->next = ctl->clients;
	if (ctl->clients)
		ctl->clients->prev = c;
	ctl->clients = c;
	ctl->nclients++;
	return c;
}

void control_client_free(struct control_client *c)
{
	struct control *ctl = c->ctl;
	struct ev_loop *loop = ctl->d->loop;

	while (c->outq_count > 0) {
		struct control_outmsg *o = &c->outq[c->outq_head];

		if (o->fd >= 0)
			close(o->fd);
		c->outq_head = (c->outq_head + 1) % CONTROL_OUTQ_MAX;
		c->outq_count--;
	}
	if (c->stream)
		c->stream->free(c->stream);
	ev_io_stop(loop, &c->read_watcher);
	ev_io_stop(loop, &c->write_watcher);
	ev_timer_stop(loop, &c->send_timer);
	ev_timer_stop(loop, &c->hello_timer);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		ctl->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ctl->nclients--;
	/* What it leaves behind counts against its uid alone. */
	c->owner.client->gone = true;
	control_uncharge(ctl, &c->owner, CONTROL_KIND_CLIENT);
	control_owner_put(ctl, &c->owner);
	log_msg(LOG_DEBUG, "control: client %u disconnected", c->serial);
	free(c->groups);
	free(c);
}
