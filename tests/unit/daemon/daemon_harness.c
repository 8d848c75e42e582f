/*
 * daemon_harness.c - the real daemon loop in process over a simulated
 * link (daemon_harness.h)
 */
#define _GNU_SOURCE
#include "daemon_harness.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "capture.h"
#include "control.h"
#include "control_client.h"
#include "control_tcp.h"
#include "log.h"
#include "loop.h"

struct harness H;

static const uint8_t DAEMON_MAC[6] = {0x02, 0, 0, 0, 0, 0x42};

/* d->peer_cred: the kernel's pid, the test's uid and gid, and
 * H.next_group as the one supplementary group when it is not 0. */
static int fake_peer_cred(int fd, struct ucred *cred, gid_t **groups,
			  size_t *ngroups)
{
	socklen_t len = sizeof(*cred);

	*groups = NULL;
	*ngroups = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) < 0)
		return -errno;
	cred->uid = H.next_uid;
	cred->gid = H.next_gid;
	if (H.next_group != 0) {
		*groups = malloc(sizeof(**groups));
		if (!*groups)
			return -ENOMEM;
		**groups = H.next_group;
		*ngroups = 1;
	}
	return 0;
}

/* ---- the link ------------------------------------------------------ */

/* A frame of interface `ifindex` read or to write, to the captures
 * that run: what tap.c does at its TAPs (the harness has none). */
static void wire_capture(int ifindex, const uint8_t *data, size_t len)
{
	struct capture_set *cs = H.d.control ? H.d.control->captures : NULL;

	if (cs && cs->taking)
		capture_frame(cs, ifindex, data, (uint32_t)len);
}

/* d->link_send: the daemon's frame onto the simulated wire (or to the
 * test's link_tap), captured first. */
static void wire_send(struct daemon *d, const struct pkt *p)
{
	size_t queued = stack_tx_queued(d->stack) + 1; /* p popped */

	if (queued > H.tx_peak)
		H.tx_peak = queued;
	wire_capture(p->ifindex, p->data, p->len);
	if (H.opts.link_tap && H.opts.link_tap(p))
		return;
	ck_assert_int_eq(sim_node_send(H.sim, H.wire, 0, p->data, p->len), 0);
}

/* The daemon's end of the link holds what reaches it as a TAP does: in
 * a queue (at most HARNESS_RX_QUEUE frames; more are dropped and
 * counted, H.rx_dropped), until a read takes them into the stack: the
 * tick (every frame waiting), link_read_all (every frame, the link
 * quiet) and link_read_now (at most frames_max). */
struct harness_frame {
	size_t len;
	uint8_t data[];
};

static struct harness_frame *rx_queue[HARNESS_RX_QUEUE];
static unsigned rx_head, rx_count;

/* A frame from the peer reaches the daemon's end: queued. */
static void wire_rx(struct sim *sim, struct sim_node *node, int port,
		    const uint8_t *frame, size_t len, void *arg)
{
	struct harness_frame *f;

	if (rx_count == HARNESS_RX_QUEUE) {
		H.rx_dropped++;
		return;
	}
	f = malloc(sizeof(*f) + len);
	ck_assert_ptr_nonnull(f);
	f->len = len;
	memcpy(f->data, frame, len);
	rx_queue[(rx_head + rx_count++) % HARNESS_RX_QUEUE] = f;
}

/* Takes up to max frames of the queue into the daemon's stack (a frame
 * the stack's pool has no buffer for is lost, as at a TAP read), each
 * captured as it goes in. Returns the frames taken. */
static unsigned wire_queue_read(unsigned max)
{
	unsigned n = 0;

	while (rx_count > 0 && n < max) {
		struct harness_frame *f = rx_queue[rx_head];
		struct pkt *p = stack_pkt_alloc(H.d.stack, f->len);

		rx_head = (rx_head + 1) % HARNESS_RX_QUEUE;
		rx_count--;
		n++;
		if (p) {
			memcpy(p->data, f->data, f->len);
			p->len = (uint32_t)f->len;
			p->ifindex = 0;
			wire_capture(0, p->data, p->len);
			stack_input(H.d.stack, daemon_now(), p);
		}
		free(f);
	}
	return n;
}

unsigned harness_rx_queued(void)
{
	return rx_count;
}

/* d->link_read_all (BARRIER): the simulation up to now and every frame
 * it queued, until quiet. */
static unsigned wire_read_all(struct daemon *d)
{
	unsigned total = 0;

	for (int round = 0; round < 16; round++) {
		uint64_t n = sim_run_until(H.sim, daemon_now());
		unsigned got = wire_queue_read(UINT_MAX);

		daemon_drain(d);
		total += got;
		if (n == 0 && got == 0)
			break;
	}
	return total;
}

/* d->link_read_now (a connect's SYN-ACK): the simulation up to now, at
 * most frames_max of the frames queued (the rest wait for the next
 * read), one drain. Noted in H.read_now. */
static unsigned wire_read_now(struct daemon *d, unsigned frames_max)
{
	unsigned got;

	sim_run_until(H.sim, daemon_now());
	H.read_now.calls++;
	H.read_now.frames_max = frames_max;
	H.read_now.waiting = rx_count;
	got = wire_queue_read(frames_max);
	H.read_now.read = got;
	daemon_drain(d);
	return got;
}

/* The link's wakeup: what the simulation has for the daemon now. */
static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	sim_run_until(H.sim, daemon_now());
	(void)wire_queue_read(UINT_MAX);
}

/* ---- running code on the loop ----------------------------------------- */

static void call_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	pthread_mutex_lock(&H.mu);
	if (H.fn) {
		H.fn(H.arg);
		H.fn = NULL;
		pthread_cond_broadcast(&H.cv);
	}
	pthread_mutex_unlock(&H.mu);
}

void on_loop(void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&H.mu);
	H.fn = fn;
	H.arg = arg;
	ev_async_send(H.d.loop, &H.call);
	while (H.fn)
		pthread_cond_wait(&H.cv, &H.mu);
	pthread_mutex_unlock(&H.mu);
}

void probe_fn(void *arg)
{
	struct probe *pr = arg;

	pr->result = pr->pred();
}

bool wait_until(bool (*pred)(void))
{
	struct probe pr = {pred, false};

	for (int ms = 0; ms < WAIT_MS; ms++) {
		on_loop(probe_fn, &pr);
		if (pr.result)
			return true;
		usleep(1000);
	}
	return false;
}

static void *loop_thread(void *arg)
{
	ev_run(H.d.loop, 0);
	return NULL;
}

static void break_fn(void *arg)
{
	ev_break(H.d.loop, EVBREAK_ALL);
}

/* Are all the pairs made ahead there? (on the loop) */
static bool spares_made(void)
{
	return control_tcp_spares_ready(H.d.control) == 2 * CONTROL_TCP_SPARES;
}

/* ---- raw control connections ---------------------------------------- */

void raw_reply(int fd, uint8_t *buf, size_t cap, struct ipc_msg *m, int *passed)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf.b,
			    .msg_controllen = sizeof(cbuf.b)};
	struct cmsghdr *c;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ssize_t n;

	ck_assert_int_eq(poll(&pfd, 1, WAIT_MS), 1);
	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(ipc_msg_decode(buf, (size_t)n, m), 0);
	*passed = -1;
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(passed, CMSG_DATA(c), sizeof(int));
}

int raw_hello(uint16_t version_max, struct ipc_hello_reply *hr)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct ipc_hello hello = {IPC_VERSION_MIN, version_max};
	uint8_t buf[IPC_MSG_MAX];
	struct ipc_msg m;
	int fd, passed, len;

	memcpy(addr.sun_path, H.path, strlen(H.path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)),
			 0);
	len = ipc_encode_hello(buf, sizeof(buf), 1, &hello);
	ck_assert_int_eq(send(fd, buf, (size_t)len, 0), len);
	raw_reply(fd, buf, sizeof(buf), &m, &passed);
	ck_assert_int_eq(passed, -1);
	ck_assert_int_eq(ipc_decode_hello_reply(&m, hr), 0);
	ck_assert_int_eq(hr->status, 0);
	return fd;
}

int status_records(uint16_t version_max,
		   void (*fn)(const struct ipc_record *r, void *arg), void *arg)
{
	struct ipc_hello_reply hr;
	struct ipc_status_chunk chunk;
	struct ipc_record_iter it;
	struct ipc_record r;
	uint8_t buf[IPC_MSG_MAX];
	struct ipc_msg m;
	int fd = raw_hello(version_max, &hr), passed, len;

	len = ipc_encode_status(buf, sizeof(buf), (uint8_t)hr.version, 2);
	ck_assert_int_eq(send(fd, buf, (size_t)len, 0), len);
	do {
		raw_reply(fd, buf, sizeof(buf), &m, &passed);
		ck_assert_uint_eq(m.version, hr.version);
		ck_assert_int_eq(ipc_decode_status_reply(&m, &chunk), 0);
		ipc_record_iter_init(&it, &chunk);
		while (ipc_record_next(&it, &r))
			fn(&r, arg);
	} while (!chunk.last);
	close(fd);
	return hr.version;
}

/* ---- a world per test ------------------------------------------------ */

void harness_setup(const struct harness_opts *opts)
{
	struct sim_config scfg = {.seed = 1};
	struct sim_link_params wire = {0};
	struct sim_node *peer;

	memset(&H, 0, sizeof(H));
	if (opts)
		H.opts = *opts;
	snprintf(H.dir, sizeof(H.dir), "/tmp/utcpd-control-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(H.dir));
	snprintf(H.path, sizeof(H.path), "%s/ctl.sock", H.dir);
	config_defaults(&H.cfg);
	snprintf(H.cfg.name, sizeof(H.cfg.name), "in-process");
	H.cfg.log_target = LOG_TARGET_STDERR;
	H.cfg.log_level = LOG_WARNING; /* not every client's coming and going */
	if (H.opts.config)
		H.opts.config(&H.cfg);
	ck_assert_int_eq(log_open(&H.cfg), 0);

	H.d.cfg = &H.cfg;
	H.d.loop = ev_loop_new(EVFLAG_AUTO);
	ck_assert_ptr_nonnull(H.d.loop);
	H.d.start_ns = daemon_now();
	H.d.stack = stack_new(&H.cfg.limits, 1);
	ck_assert_ptr_nonnull(H.d.stack);
	ck_assert_int_eq(stack_if_add(H.d.stack, "sim0", DAEMON_MAC, 1500), 0);
	ck_assert_int_eq(stack_if_set_address(H.d.stack, daemon_now(), 0,
					      HARNESS_DAEMON_ADDR, 24),
			 0);
	H.d.link_send = wire_send;
	H.d.link_read_all = wire_read_all;
	H.d.link_read_now = wire_read_now;
	H.d.peer_cred = fake_peer_cred;

	scfg.start_ns = daemon_now();
	H.sim = sim_new(&scfg);
	ck_assert_ptr_nonnull(H.sim);
	peer = sim_add_host(H.sim, "peer", HARNESS_PEER_ADDR, 24, 1500, NULL,
			    H.opts.peer_event, H.opts.peer_arg);
	H.wire = sim_add_script(H.sim, "utcpd", wire_rx, NULL);
	ck_assert_ptr_nonnull(peer);
	ck_assert_ptr_nonnull(H.wire);
	ck_assert_ptr_nonnull(sim_link(H.sim, peer, 0, H.wire, 0, &wire, NULL));
	H.peer = sim_node_stack(peer);
	if (H.opts.peer_apps)
		H.opts.peer_apps(H.peer);

	daemon_loop_start(&H.d);
	ck_assert_int_eq(control_start(&H.d, H.path, 0600), 0);
	if (H.opts.before_run)
		H.opts.before_run();
	ev_timer_init(&H.tick, tick_cb, 0.001, 0.001);
	ev_timer_start(H.d.loop, &H.tick);
	ev_async_init(&H.call, call_cb);
	ev_async_start(H.d.loop, &H.call);
	pthread_mutex_init(&H.mu, NULL);
	pthread_cond_init(&H.cv, NULL);
	ck_assert_int_eq(pthread_create(&H.thread, NULL, loop_thread, NULL), 0);
	/* The pairs made ahead are made once the loop runs: a test
	 * starts with them there (its count of descriptors, a connect
	 * that takes one). */
	ck_assert(wait_until(spares_made));
}

void harness_teardown(void)
{
	on_loop(break_fn, NULL);
	pthread_join(H.thread, NULL);
	control_stop(&H.d);
	if (H.opts.after_run)
		H.opts.after_run();
	daemon_loop_stop(&H.d);
	ev_timer_stop(H.d.loop, &H.tick);
	ev_async_stop(H.d.loop, &H.call);
	while (rx_count > 0) { /* frames never read */
		free(rx_queue[rx_head]);
		rx_head = (rx_head + 1) % HARNESS_RX_QUEUE;
		rx_count--;
	}
	stack_free(H.d.stack);
	sim_free(H.sim);
	ev_loop_destroy(H.d.loop);
	log_close();
	rmdir(H.dir);
}
