/*
 * test_libutcp.c - libutcp against a scripted fake daemon
 *
 * What a real daemon cannot produce is tested here: malformed replies
 * and announcements, protocol violations (a wrong request id, garbage
 * on a socket's channel), version negotiation corner cases (a daemon
 * that refuses the client, one that speaks no common version, one that
 * knows no TCP), failures chosen at will (a connect timing out, a host
 * unreachable) and the exact bytes the library puts on the wire.
 * libutcp against the real control server, stack and a peer is
 * tests/unit/daemon/test_control.c (HELLO, status, UDP, TCP connect,
 * listen and accept, errors, a client's disconnect).
 *
 * A thread plays the daemon on a real Unix SEQPACKET socket in a
 * temporary directory, built from the same ipc/ encoders, and behaves
 * per test: a normal daemon (HELLO, UDP_OPEN passing a socketpair end,
 * a STATUS), one that refuses the client, one that speaks no common
 * version, one that answers with the wrong request id. The tests check
 * what the library makes of each: decoded status, working descriptors,
 * the errors it returns.
 *
 * TCP. The normal fake daemon also serves TCP_CONNECT, TCP_LISTEN,
 * TCP_SETOPT and BARRIER. It records every request it decoded (and the
 * raw bytes of the last TCP_CONNECT) so a test can check what the
 * library put on the wire, and keeps the daemon's end of every
 * socketpair it hands out so a test can play the connection's peer: the
 * stream (data, the urgent error byte, EOF) and the listening channel
 * (accept announcements). A connect's outcome is chosen by its remote
 * port (FAKE_PORT_*). A barrier's reply can be held back until the test
 * releases it. FAKE_MALFORMED answers the first request after HELLO with
 * one of a table of broken replies; FAKE_NO_TCP is a daemon that knows
 * none of the TCP requests.
 *
 * Sockets shared across processes. fake.extra_caps adds capabilities
 * to the HELLO reply (FD_PROOF, TCP_INFO, UDP_OWN_FD): the fake records
 * how many descriptors came with each request (and the identity of the
 * first, then closes them), UDP_OPEN's flags, and answers TCP_INFO with
 * FAKE_INFO_BYTES; its STATUS carries one TCP record (FAKE_CONN_ID,
 * FAKE_STATUS_BYTES), so a test tells which way utcp_tcp_info() went.
 *
 * Names. The normal fake daemon answers RESOLVE by the name asked
 * (FAKE_NAME_*): a refusal with each status the daemon may give, or a
 * descriptor on whose other end it writes an answer at once. The result
 * packets themselves (every status, malformed ones, EOF, not yet
 * there) are tested on a plain socketpair, without a daemon.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <netdb.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "byteorder.h"
#include "ipc.h"
#include "utcp.h"

#define FAKE_ARP_ENTRIES 300

enum fake_mode {
	FAKE_NORMAL,
	FAKE_REFUSE,
	FAKE_OLD,
	FAKE_WRONG_ID,
	FAKE_NO_TCP,	/* an older daemon: ERROR -EOPNOTSUPP to TCP, BARRIER */
	FAKE_MALFORMED, /* breaks the protocol in reply to one request */
	FAKE_DHCP,	/* speaks version 2; status has DHCP and settings */
};

/* TCP_CONNECT's outcome, by the request's remote port. */
#define FAKE_PORT_REFUSED     1 /* -ECONNREFUSED */
#define FAKE_PORT_TIMEOUT     2 /* -ETIMEDOUT after the request's timeout_ms */
#define FAKE_PORT_UNREACHABLE 3 /* -EHOSTUNREACH */
/* From here up the connection's id is its remote port, and the fake
 * writes that port (big-endian u16) into the stream, then closes its
 * end: a thread can check that it holds its own connection. */
#define FAKE_PORT_TAGGED 20000
/* Any other port: established, the daemon's end kept in tcp_ends. */
#define FAKE_CONN_ID	      23
#define FAKE_LOCAL_ADDR	      0x0a000002u /* 10.0.0.2 */
#define FAKE_EPHEMERAL_PORT   49153
#define FAKE_TIMEOUT_SLEEP_MS 2000 /* at most, for FAKE_PORT_TIMEOUT */
/* TCP_LISTEN: a local port of 1 is in use; else listener FAKE_LISTENER_ID. */
#define FAKE_PORT_IN_USE 1
#define FAKE_LISTENER_ID 7
/* TCP_CONNECT to this address is refused whatever the port. */
#define FAKE_ADDR_REFUSED 0x0a000042u /* 10.0.0.66 */
/* RESOLVE: refused with a status, by the name asked; any other name is
 * answered at once with FAKE_NAME_ADDRS: 10.0.0.66, 10.0.0.67, ::1. */
#define FAKE_NAME_INVALID   "invalid.test"    /* -EINVAL */
#define FAKE_NAME_CLIENT    "client.test"     /* -EMFILE */
#define FAKE_NAME_DAEMON    "daemon.test"     /* -ENOBUFS */
#define FAKE_NAME_NO_RESOLV "noresolver.test" /* -ENOSYS */
#define FAKE_NAME_CANONICAL "canonical.test"
/* TCP_SETOPT: the daemon's answer by connection id. */
#define FAKE_ID_NOT_OURS 99 /* -EBADF */
#define FAKE_ID_INVALID	 98 /* -EINVAL */
/* bytes_sent of FAKE_CONN_ID as TCP_INFO gives it, and as STATUS. */
#define FAKE_INFO_BYTES	  456
#define FAKE_STATUS_BYTES 123
/* BARRIER reply: frames processed. */
#define FAKE_BARRIER_FRAMES 3
#define FAKE_TCP_ENDS_MAX   16
#define FAKE_STRAY_MAX	    2

/* The broken replies of FAKE_MALFORMED (see malformed_cases). */
enum fake_malformed {
	BAD_SHORT_PACKET,    /* 8 bytes: not even a header */
	BAD_OVERSIZE,	     /* over IPC_MSG_MAX: truncated by recv */
	BAD_MAGIC,	     /* a header with the wrong magic */
	BAD_VERSION,	     /* a version that was not negotiated */
	BAD_BODY_SHORT,	     /* a TCP_CONNECT reply with half a body */
	BAD_RESERVED,	     /* reserved bytes of a reply not zero */
	BAD_WRONG_TYPE,	     /* a BARRIER reply to a TCP_CONNECT */
	BAD_NOT_A_REPLY,     /* the request echoed back */
	BAD_SUCCESS_NO_FD,   /* status 0 and no descriptor */
	BAD_FAILURE_WITH_FD, /* a negative status and a descriptor */
	BAD_TWO_FDS,	     /* status 0 and two descriptors */
	BAD_ERROR_WITH_FD,   /* an ERROR carrying a descriptor */
	BAD_BARRIER_WITH_FD, /* a BARRIER reply carrying a descriptor */
	BAD_SETOPT_RESERVED, /* a TCP_SETOPT reply with value != 0 */
	BAD_HANGUP,	     /* the daemon closes without a reply */
};

struct fake {
	enum fake_mode mode;
	char dir[64];
	char path[108];
	int listen_fd;
	pthread_t thread;
	int data_fd;	    /* the daemon end of the last UDP socket */
	int status_replies; /* STATUS replies sent */
	enum fake_malformed malformed; /* FAKE_MALFORMED: what to send */
	bool slow; /* wait a little before each reply (overlap check) */

	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t cond;
	int requests;	       /* requests after HELLO */
	uint32_t last_id;      /* of the previous request */
	bool ids_out_of_order; /* an id not above the previous one */
	int overlaps;	       /* a request queued while one was served */
	int connects, listens, setopts, barriers;
	struct ipc_tcp_connect connect; /* the last of each, decoded */
	uint8_t connect_raw[IPC_HDR_LEN + IPC_TCP_CONNECT_LEN];
	struct ipc_tcp_listen listen;
	struct ipc_tcp_setopt setopt;
	int tcp_ends[FAKE_TCP_ENDS_MAX]; /* daemon ends of connections */
	int n_tcp_ends;
	int listener_end;		/* daemon end of the last listener */
	int stray_ends[FAKE_STRAY_MAX]; /* peers of descriptors sent amiss */
	int n_stray_ends;
	struct ipc_resolve resolve; /* the last RESOLVE, decoded */
	uint32_t extra_caps;	    /* added to the HELLO reply's */
	int fds_came;		    /* with the last request */
	dev_t fd_dev;		    /* the first one's identity */
	ino_t fd_ino;
	uint32_t udp_open_flags; /* of the last UDP_OPEN */
	int tcp_infos;		 /* TCP_INFO requests */
	bool barrier_hold;	 /* hold BARRIER replies until released */
	bool barrier_received;	 /* a BARRIER reached the daemon */
	bool barrier_released;
};

static struct fake fake;

static void send_fd(int sock, const void *buf, size_t len, int fd)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cmsg;

	if (fd >= 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof(cbuf.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	(void)sendmsg(sock, &msg, MSG_NOSIGNAL);
}

/* The version the fake negotiates. */
static uint8_t fake_version(void)
{
	return fake.mode == FAKE_DHCP ? 2 : 1;
}

/* FAKE_DHCP's status records after the interface: a DHCP route, READY,
 * and tap7's DHCP client, settings, search list and two options. */
static int fake_dhcp_records(struct ipc_record *recs)
{
	int n = 0;

	recs[n].type = IPC_REC_ROUTE_V2;
	recs[n].u.route_v2 = (struct ipc_rec_route_v2){.dst = 0,
						       .gateway = 0x0a000001,
						       .metric = 1024,
						       .kind = IPC_ROUTE_DHCP};
	n++;
	recs[n].type = IPC_REC_READY;
	recs[n++].u.ready =
	    (struct ipc_rec_ready){.ready = 1, .ready_at_ms = 1500};
	recs[n].type = IPC_REC_DHCP;
	recs[n++].u.dhcp = (struct ipc_rec_dhcp){
	    .state = IPC_DHCP_BOUND,
	    .flags = IPC_DHCP_F_RUNNING | IPC_DHCP_F_BOUND,
	    .prefix_len = 24,
	    .addr = 0x0a000002,
	    .server = 0x0a000001,
	    .lease_s = 3600,
	    .t1_s = 1800,
	    .t2_s = 3150,
	    .mtu = 1400,
	    .t1_in_ms = 1795000,
	    .t2_in_ms = 3145000,
	    .expires_in_ms = IPC_DHCP_NEVER,
	    .tx_discover = 1,
	    .tx_request = 2,
	    .rx_offer = 3,
	    .rx_ack = 4,
	    .corrections = 5};
	recs[n].type = IPC_REC_NETCONF;
	recs[n++].u.netconf = (struct ipc_rec_netconf){
	    .flags = IPC_NETCONF_F_DHCP | IPC_NETCONF_F_CONFIGURED,
	    .address_source = IPC_SOURCE_LEASE,
	    .routes_source = IPC_SOURCE_LEASE,
	    .mtu_source = IPC_SOURCE_LEASE,
	    .dns_source = IPC_SOURCE_CONFIG,
	    .domain_source = IPC_SOURCE_LEASE,
	    .search_source = IPC_SOURCE_LEASE,
	    .log_server_source = IPC_SOURCE_LEASE,
	    .log_server = 0x0a000001,
	    .log_port = 514,
	    .dns = {.n = 2, .a = {0x08080808, 0x01010101}},
	    .domain = "example.test"};
	recs[n].type = IPC_REC_SEARCH;
	strcpy(recs[n++].u.search.name, "a.test");
	recs[n].type = IPC_REC_SEARCH;
	strcpy(recs[n++].u.search.name, "b.test");
	recs[n].type = IPC_REC_DHCP_OPTION;
	recs[n++].u.dhcp_option = (struct ipc_rec_dhcp_option){
	    .code = 1, .value = {.n = 4, .b = {255, 255, 255, 0}}};
	recs[n].type = IPC_REC_DHCP_OPTION;
	recs[n++].u.dhcp_option =
	    (struct ipc_rec_dhcp_option){.code = 224, .value = {.n = 0}};
	/* the resolver: its numbers, one server, its search list (ifindex
	 * -1: no interface's), one cache entry */
	recs[n].type = IPC_REC_DNS;
	recs[n++].u.dns = (struct ipc_rec_dns){.ndots = 2,
					       .cache_entries = 1,
					       .cache_max = 512,
					       .lookups_pending = 3,
					       .lookups_max = 256,
					       .queries_active = 4,
					       .queries_max = 128};
	recs[n].type = IPC_REC_DNS_SERVER;
	recs[n++].u.dns_server =
	    (struct ipc_rec_dns_server){.ifindex = 0,
					.addr = 0x08080808,
					.port = 53,
					.source = IPC_SOURCE_CONFIG,
					.flags = IPC_DNS_SERVER_F_UNRESPONSIVE,
					.queries = 10,
					.answers = 7,
					.timeouts = 2,
					.failures = 1};
	recs[n].type = IPC_REC_SEARCH;
	recs[n].u.search.ifindex = -1;
	strcpy(recs[n++].u.search.name, "in-use.test");
	recs[n].type = IPC_REC_DNS_CACHE;
	recs[n].u.dns_cache = (struct ipc_rec_dns_cache){
	    .qtype = 1,
	    .kind = IPC_DNS_CACHE_POSITIVE,
	    .ttl_left_s = 299,
	    .hits = 6,
	    .naddrs = 2,
	    .addrs = {.n = 2, .a = {0x0a000005, 0x0a000006}}};
	strcpy(recs[n++].u.dns_cache.name, "www.a.test");
	return n;
}

static void fake_status(int c, uint32_t id)
{
	static uint8_t out[IPC_MSG_MAX];
	struct ipc_status_builder b;
	struct ipc_record recs[24 + FAKE_ARP_ENTRIES];
	int n = 0, i = 0;

	memset(recs, 0, sizeof(recs));
	recs[n].type = IPC_REC_DAEMON;
	strcpy(recs[n].u.daemon.name, "fake");
	recs[n++].u.daemon.uptime_ms = 4242;
	recs[n].type = IPC_REC_INTERFACE;
	strcpy(recs[n].u.iface.name, "tap7");
	recs[n].u.iface.index = 0;
	recs[n].u.iface.addr = 0x0a000002;
	recs[n].u.iface.prefix_len = 24;
	recs[n++].u.iface.gateway = 0x0a000001;
	recs[n].type = IPC_REC_ROUTE;
	recs[n].u.route.dst = 0x0a000000;
	recs[n++].u.route.prefix_len = 24;
	if (fake.mode == FAKE_DHCP)
		n += fake_dhcp_records(&recs[n]);
	for (int k = 0; k < FAKE_ARP_ENTRIES; k++) {
		recs[n].type = IPC_REC_ARP;
		recs[n].u.arp.addr = 0x0a000100u + (uint32_t)k;
		recs[n++].u.arp.state = IPC_ARP_REACHABLE;
	}
	recs[n].type = IPC_REC_TCP;
	recs[n].u.tcp.id = FAKE_CONN_ID;
	recs[n].u.tcp.state = IPC_TCPS_ESTABLISHED;
	recs[n++].u.tcp.bytes_sent = FAKE_STATUS_BYTES;
	recs[n].type = IPC_REC_COUNTER;
	strcpy(recs[n].u.counter.name, "udp_rx");
	recs[n++].u.counter.value = 99;

	while (i < n) {
		size_t len;

		ipc_status_begin(&b, out, sizeof(out), fake_version(), id);
		while (i < n && ipc_status_add(&b, &recs[i]) == 0)
			i++;
		len = ipc_status_finish(&b, 0, i == n);
		send(c, out, len, MSG_NOSIGNAL);
		fake.status_replies++;
	}
}

/* Sends one message carrying `nfds` descriptors (0..2). */
static void send_fds(int sock, const void *buf, size_t len, const int *fds,
		     int nfds)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cmsg;

	if (nfds > 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(cmsg), fds, (size_t)nfds * sizeof(int));
	}
	(void)sendmsg(sock, &msg, MSG_NOSIGNAL);
}

/* Keeps the daemon's end of a connection for the test (fake.lock held). */
static void fake_keep_tcp_end(int fd)
{
	if (fake.n_tcp_ends < FAKE_TCP_ENDS_MAX)
		fake.tcp_ends[fake.n_tcp_ends++] = fd;
	else
		close(fd);
}

/* Makes a stream pair whose application end `*app` is about to be sent
 * where it does not belong; keeps the daemon's end to see it closed. */
static void fake_stray_pair(int *app)
{
	int pair[2];

	*app = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
		return;
	pthread_mutex_lock(&fake.lock);
	if (fake.n_stray_ends < FAKE_STRAY_MAX) {
		fake.stray_ends[fake.n_stray_ends++] = pair[0];
		*app = pair[1];
	} else {
		close(pair[0]);
		close(pair[1]);
	}
	pthread_mutex_unlock(&fake.lock);
}

/* TCP_CONNECT: the outcome the remote port asks for (FAKE_PORT_*).
 * Returns false when the request does not decode (then the daemon
 * hangs up, as utcpd does on a protocol error). */
static bool fake_tcp_connect(int c, const struct ipc_msg *m, const void *raw,
			     size_t raw_len)
{
	struct ipc_tcp_connect req;
	struct ipc_tcp_open_reply r = {.id = -1};
	uint8_t out[IPC_MSG_MAX];
	int pair[2] = {-1, -1};
	int len;

	if (ipc_decode_tcp_connect(m, &req) != 0 ||
	    raw_len != sizeof(fake.connect_raw))
		return false;
	pthread_mutex_lock(&fake.lock);
	fake.connect = req;
	memcpy(fake.connect_raw, raw, raw_len);
	fake.connects++;
	pthread_mutex_unlock(&fake.lock);
	switch (req.remote_addr == FAKE_ADDR_REFUSED ? FAKE_PORT_REFUSED
						     : req.remote_port) {
	case FAKE_PORT_REFUSED:
		r.status = -ECONNREFUSED;
		break;
	case FAKE_PORT_TIMEOUT:
		usleep((req.timeout_ms < FAKE_TIMEOUT_SLEEP_MS
			    ? req.timeout_ms
			    : FAKE_TIMEOUT_SLEEP_MS) *
		       1000u);
		r.status = -ETIMEDOUT;
		break;
	case FAKE_PORT_UNREACHABLE:
		r.status = -EHOSTUNREACH;
		break;
	default:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) <
		    0) {
			r.status = -errno;
			break;
		}
		r.id = req.remote_port >= FAKE_PORT_TAGGED ? req.remote_port
							   : FAKE_CONN_ID;
		r.local_addr =
		    req.local_addr ? req.local_addr : FAKE_LOCAL_ADDR;
		r.local_port =
		    req.local_port ? req.local_port : FAKE_EPHEMERAL_PORT;
	}
	/* the daemon's end is ready before the reply can be read */
	if (pair[0] >= 0 && req.remote_port >= FAKE_PORT_TAGGED) {
		uint8_t tag[2];

		put_be16(tag, req.remote_port);
		(void)send(pair[0], tag, sizeof(tag), MSG_NOSIGNAL);
		close(pair[0]);
	} else if (pair[0] >= 0) {
		pthread_mutex_lock(&fake.lock);
		fake_keep_tcp_end(pair[0]);
		pthread_mutex_unlock(&fake.lock);
	}
	len = ipc_encode_tcp_connect_reply(out, sizeof(out), 1, m->id, &r);
	send_fds(c, out, (size_t)len, &pair[1], pair[1] >= 0);
	if (pair[1] >= 0)
		close(pair[1]);
	return true;
}

/* Writes the answer to a FAKE_NAME_* lookup on fd: three addresses,
 * source network, server 10.0.0.1:53. */
static void fake_write_answer(int fd, int32_t id)
{
	struct ipc_resolve_result r = {.id = id,
				       .status = IPC_DNS_OK,
				       .source = IPC_DNS_SRC_NETWORK,
				       .naddrs = 3,
				       .server = 0x0a000001,
				       .server_port = 53};
	struct ipc_resolve_addr a[3] = {
	    {.family = 4, .ttl = 300, .addr = {10, 0, 0, 66}},
	    {.family = 4, .ttl = 300, .addr = {10, 0, 0, 67}},
	    {.family = 6, .ttl = 60, .addr = {[15] = 1}},
	};
	uint8_t buf[IPC_RESOLVE_RESULT_MAX];
	int len;

	strcpy(r.name, FAKE_NAME_CANONICAL);
	len = ipc_resolve_result_encode(buf, sizeof(buf), &r, a);
	if (len > 0)
		(void)send(fd, buf, (size_t)len, MSG_NOSIGNAL);
}

/* RESOLVE: refused by FAKE_NAME_*, else answered on a descriptor at
 * once. */
static bool fake_resolve(int c, const struct ipc_msg *m)
{
	static const struct {
		const char *name;
		int status;
	} refusals[] = {
	    {FAKE_NAME_INVALID, -EINVAL},
	    {FAKE_NAME_CLIENT, -EMFILE},
	    {FAKE_NAME_DAEMON, -ENOBUFS},
	    {FAKE_NAME_NO_RESOLV, -ENOSYS},
	};
	struct ipc_resolve req;
	struct ipc_resolve_reply r = {.id = 5};
	uint8_t out[IPC_MSG_MAX];
	int pair[2] = {-1, -1};
	int len;

	if (ipc_decode_resolve(m, &req) != 0)
		return false;
	pthread_mutex_lock(&fake.lock);
	fake.resolve = req;
	pthread_mutex_unlock(&fake.lock);
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (strcmp(req.name, refusals[i].name) == 0)
			r.status = refusals[i].status;
	if (r.status == 0 &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		r.status = -ENOBUFS;
	if (r.status == 0) {
		fake_write_answer(pair[0], r.id);
		close(pair[0]);
	}
	len = ipc_encode_resolve_reply(out, sizeof(out), 1, m->id, &r);
	send_fd(c, out, (size_t)len, pair[1]);
	if (pair[1] >= 0)
		close(pair[1]);
	return true;
}

/* TCP_LISTEN: listener FAKE_LISTENER_ID, or -EADDRINUSE on port 1. */
static bool fake_tcp_listen(int c, const struct ipc_msg *m)
{
	struct ipc_tcp_listen req;
	struct ipc_tcp_open_reply r = {.id = -1};
	uint8_t out[IPC_MSG_MAX];
	int pair[2] = {-1, -1};
	int len;

	if (ipc_decode_tcp_listen(m, &req) != 0)
		return false;
	pthread_mutex_lock(&fake.lock);
	fake.listen = req;
	fake.listens++;
	pthread_mutex_unlock(&fake.lock);
	if (req.local_port == FAKE_PORT_IN_USE) {
		r.status = -EADDRINUSE;
	} else if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) <
		   0) {
		r.status = -errno;
	} else {
		r.id = FAKE_LISTENER_ID;
		r.local_addr = req.local_addr;
		r.local_port = req.local_port;
	}
	if (pair[0] >= 0) {
		pthread_mutex_lock(&fake.lock);
		if (fake.listener_end >= 0)
			close(fake.listener_end);
		fake.listener_end = pair[0];
		pthread_mutex_unlock(&fake.lock);
	}
	len = ipc_encode_tcp_listen_reply(out, sizeof(out), 1, m->id, &r);
	send_fds(c, out, (size_t)len, &pair[1], pair[1] >= 0);
	if (pair[1] >= 0)
		close(pair[1]);
	return true;
}

/* TCP_SETOPT: 0, or the error the connection id asks for. */
static bool fake_tcp_setopt(int c, const struct ipc_msg *m)
{
	struct ipc_tcp_setopt req;
	struct ipc_status_only_reply r = {0};
	uint8_t out[IPC_MSG_MAX];
	int len;

	if (ipc_decode_tcp_setopt(m, &req) != 0)
		return false;
	pthread_mutex_lock(&fake.lock);
	fake.setopt = req;
	fake.setopts++;
	pthread_mutex_unlock(&fake.lock);
	if (req.id == FAKE_ID_NOT_OURS)
		r.status = -EBADF;
	else if (req.id == FAKE_ID_INVALID)
		r.status = -EINVAL;
	len = ipc_encode_tcp_setopt_reply(out, sizeof(out), 1, m->id, &r);
	send(c, out, (size_t)len, MSG_NOSIGNAL);
	return true;
}

/* TCP_INFO: FAKE_CONN_ID's figures, -ENOENT for any other id. */
static bool fake_tcp_info(int c, const struct ipc_msg *m)
{
	struct ipc_tcp_info req;
	struct ipc_tcp_info_reply r = {0};
	uint8_t out[IPC_MSG_MAX];
	int len;

	if (ipc_decode_tcp_info(m, &req) != 0)
		return false;
	pthread_mutex_lock(&fake.lock);
	fake.tcp_infos++;
	pthread_mutex_unlock(&fake.lock);
	if (req.id == FAKE_CONN_ID) {
		r.id = FAKE_CONN_ID;
		r.state = IPC_TCPS_CLOSE_WAIT;
		r.flags = IPC_TCP_F_ORPHAN;
		r.local_addr = FAKE_LOCAL_ADDR;
		r.local_port = FAKE_EPHEMERAL_PORT;
		r.remote_addr = 0x0a000001;
		r.remote_port = 80;
		r.mss = 1460;
		r.srtt_us = 250;
		r.bytes_sent = FAKE_INFO_BYTES;
		r.bytes_received = 789;
	} else {
		r.status = -ENOENT;
	}
	len = ipc_encode_tcp_info_reply(out, sizeof(out), 1, m->id, &r);
	send(c, out, (size_t)len, MSG_NOSIGNAL);
	return true;
}

/* Closes the descriptors that came with a request; records how many,
 * and the first one's identity. */
static void fake_take_request_fds(struct msghdr *msg)
{
	struct cmsghdr *cmsg;
	int count = 0;

	pthread_mutex_lock(&fake.lock);
	for (cmsg = CMSG_FIRSTHDR(msg); cmsg; cmsg = CMSG_NXTHDR(msg, cmsg)) {
		size_t n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t k = 0; k < n; k++) {
			struct stat st;
			int one;

			memcpy(&one, CMSG_DATA(cmsg) + k * sizeof(int),
			       sizeof(int));
			if (count++ == 0 && fstat(one, &st) == 0) {
				fake.fd_dev = st.st_dev;
				fake.fd_ino = st.st_ino;
			}
			close(one);
		}
	}
	fake.fds_came = count;
	pthread_mutex_unlock(&fake.lock);
}

/* BARRIER: replies at once, or once the test sets barrier_released. */
static bool fake_barrier(int c, const struct ipc_msg *m)
{
	struct ipc_status_only_reply r = {.value = FAKE_BARRIER_FRAMES};
	uint8_t out[IPC_MSG_MAX];
	int len;

	if (ipc_decode_barrier(m) != 0)
		return false;
	pthread_mutex_lock(&fake.lock);
	fake.barriers++;
	fake.barrier_received = true;
	pthread_cond_broadcast(&fake.cond);
	while (fake.barrier_hold && !fake.barrier_released)
		pthread_cond_wait(&fake.cond, &fake.lock);
	pthread_mutex_unlock(&fake.lock);
	len = ipc_encode_barrier_reply(out, sizeof(out), 1, m->id, &r);
	send(c, out, (size_t)len, MSG_NOSIGNAL);
	return true;
}

/* FAKE_MALFORMED: answers request `m` (raw bytes `in`) with
 * fake.malformed. Returns false when the daemon hangs up. */
static bool fake_malformed_reply(int c, const struct ipc_msg *m,
				 const uint8_t *in, size_t in_len)
{
	static uint8_t out[IPC_MSG_MAX + 1024];
	struct ipc_tcp_open_reply ok = {.id = FAKE_CONN_ID,
					.local_addr = FAKE_LOCAL_ADDR,
					.local_port = FAKE_EPHEMERAL_PORT};
	struct ipc_tcp_open_reply refused = {.status = -ECONNREFUSED, .id = -1};
	struct ipc_status_only_reply done = {0};
	struct ipc_error e = {.status = -EIO};
	int fds[2], len;

	switch (fake.malformed) {
	case BAD_SHORT_PACKET:
		memset(out, 0, 8);
		put_be16(out, IPC_MAGIC);
		send(c, out, 8, MSG_NOSIGNAL);
		return true;
	case BAD_OVERSIZE:
		len = ipc_encode_tcp_connect_reply(out, sizeof(out), 1, m->id,
						   &ok);
		put_be32(out + 8, IPC_MSG_MAX + 1000); /* length field */
		send(c, out, IPC_MSG_MAX + 1000, MSG_NOSIGNAL);
		return true;
	case BAD_MAGIC:
	case BAD_VERSION:
	case BAD_BODY_SHORT:
	case BAD_RESERVED:
		len = ipc_encode_tcp_connect_reply(out, sizeof(out), 1, m->id,
						   &ok);
		if (fake.malformed == BAD_MAGIC)
			put_be16(out, 0x5455);
		else if (fake.malformed == BAD_VERSION)
			out[2] = 2;
		else if (fake.malformed == BAD_RESERVED)
			out[IPC_HDR_LEN + 14] = 1;
		else {
			len = IPC_HDR_LEN + 8;
			put_be32(out + 8, (uint32_t)len);
		}
		/* with the descriptor a good reply would carry */
		fake_stray_pair(&fds[0]);
		send_fds(c, out, (size_t)len, fds, fds[0] >= 0);
		break;
	case BAD_WRONG_TYPE:
		len =
		    ipc_encode_barrier_reply(out, sizeof(out), 1, m->id, &done);
		send(c, out, (size_t)len, MSG_NOSIGNAL);
		return true;
	case BAD_NOT_A_REPLY:
		send(c, in, in_len, MSG_NOSIGNAL);
		return true;
	case BAD_SUCCESS_NO_FD:
		len = ipc_encode_tcp_connect_reply(out, sizeof(out), 1, m->id,
						   &ok);
		send(c, out, (size_t)len, MSG_NOSIGNAL);
		return true;
	case BAD_FAILURE_WITH_FD:
		len = ipc_encode_tcp_connect_reply(out, sizeof(out), 1, m->id,
						   &refused);
		fake_stray_pair(&fds[0]);
		send_fds(c, out, (size_t)len, fds, fds[0] >= 0);
		break;
	case BAD_TWO_FDS:
		len = ipc_encode_tcp_connect_reply(out, sizeof(out), 1, m->id,
						   &ok);
		fake_stray_pair(&fds[0]);
		fake_stray_pair(&fds[1]);
		send_fds(c, out, (size_t)len, fds, 2);
		close(fds[1]);
		break;
	case BAD_ERROR_WITH_FD:
		len = ipc_encode_error(out, sizeof(out), 1, m->id, &e);
		fake_stray_pair(&fds[0]);
		send_fds(c, out, (size_t)len, fds, fds[0] >= 0);
		break;
	case BAD_BARRIER_WITH_FD:
		len =
		    ipc_encode_barrier_reply(out, sizeof(out), 1, m->id, &done);
		fake_stray_pair(&fds[0]);
		send_fds(c, out, (size_t)len, fds, fds[0] >= 0);
		break;
	case BAD_SETOPT_RESERVED:
		len = ipc_encode_tcp_setopt_reply(out, sizeof(out), 1, m->id,
						  &done);
		put_be32(out + IPC_HDR_LEN + 4, 1);
		send(c, out, (size_t)len, MSG_NOSIGNAL);
		return true;
	case BAD_HANGUP:
		return false;
	}
	if (fds[0] >= 0)
		close(fds[0]);
	return true;
}

static void *fake_main(void *arg)
{
	uint8_t in[IPC_MSG_MAX + 1], out[IPC_MSG_MAX];
	int c = accept(fake.listen_fd, NULL, NULL);
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = {.iov_base = in, .iov_len = sizeof(in)};
	struct msghdr msg;
	ssize_t n;

	if (c < 0)
		return NULL;
	if (fake.mode == FAKE_REFUSE) {
		struct ipc_error e = {.status = -EUSERS};
		int len = ipc_encode_error(out, sizeof(out), 1, 0, &e);

		send(c, out, (size_t)len, MSG_NOSIGNAL);
		close(c);
		return NULL;
	}
	for (;;) {
		struct ipc_msg m;
		int len = -1;

		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof(cbuf.buf);
		n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);
		if (n <= 0)
			break;
		fake_take_request_fds(&msg);

		if (ipc_msg_decode(in, (size_t)n, &m) != 0)
			break;
		pthread_mutex_lock(&fake.lock);
		if (m.id <= fake.last_id)
			fake.ids_out_of_order = true;
		fake.last_id = m.id;
		if (m.type != IPC_T_HELLO)
			fake.requests++;
		pthread_mutex_unlock(&fake.lock);
		if (fake.slow) {
			/* libutcp has one request outstanding at a time:
			 * nothing else may be queued while we serve this */
			uint8_t peek;

			usleep(500);
			if (recv(c, &peek, 1, MSG_PEEK | MSG_DONTWAIT) > 0) {
				pthread_mutex_lock(&fake.lock);
				fake.overlaps++;
				pthread_mutex_unlock(&fake.lock);
			}
		}
		if (m.type == IPC_T_HELLO) {
			struct ipc_hello_reply r = {.version = fake_version(),
						    .capabilities = IPC_CAP_UDP,
						    .msg_max = IPC_MSG_MAX};

			if (fake.mode == FAKE_NORMAL)
				r.capabilities |= IPC_CAP_TCP | IPC_CAP_BARRIER;
			r.capabilities |= fake.extra_caps;
			if (fake.mode == FAKE_OLD) {
				r.status = -EPROTONOSUPPORT;
				r.version = 0;
			}
			len = ipc_encode_hello_reply(out, sizeof(out), 1, m.id,
						     &r);
			send(c, out, (size_t)len, MSG_NOSIGNAL);
		} else if (fake.mode == FAKE_MALFORMED) {
			if (!fake_malformed_reply(c, &m, in, (size_t)n))
				break;
		} else if (fake.mode == FAKE_WRONG_ID) {
			struct ipc_error e = {.status = -EIO};

			len =
			    ipc_encode_error(out, sizeof(out), 1, m.id + 7, &e);
			send(c, out, (size_t)len, MSG_NOSIGNAL);
		} else if (m.type == IPC_T_UDP_OPEN) {
			struct ipc_udp_open o;
			struct ipc_udp_open_reply r = {.sock = 5,
						       .local_addr = 0x0a000002,
						       .local_port = 40000};
			int pair[2];

			ipc_decode_udp_open(&m, &o);
			pthread_mutex_lock(&fake.lock);
			fake.udp_open_flags = o.flags;
			pthread_mutex_unlock(&fake.lock);
			if (o.local_port == 1) {
				/* the test's way to ask for a failure */
				r.status = -EADDRINUSE;
				r.sock = -1;
				len = ipc_encode_udp_open_reply(
				    out, sizeof(out), 1, m.id, &r);
				send_fd(c, out, (size_t)len, -1);
				continue;
			}
			socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair);
			__atomic_store_n(&fake.data_fd, pair[0],
					 __ATOMIC_SEQ_CST);
			len = ipc_encode_udp_open_reply(out, sizeof(out), 1,
							m.id, &r);
			send_fd(c, out, (size_t)len, pair[1]);
			close(pair[1]);
		} else if (m.type == IPC_T_STATUS) {
			fake_status(c, m.id);
		} else if (fake.mode == FAKE_NORMAL &&
			   m.type == IPC_T_TCP_CONNECT) {
			if (!fake_tcp_connect(c, &m, in, (size_t)n))
				break;
		} else if (fake.mode == FAKE_NORMAL &&
			   m.type == IPC_T_TCP_LISTEN) {
			if (!fake_tcp_listen(c, &m))
				break;
		} else if (fake.mode == FAKE_NORMAL &&
			   m.type == IPC_T_TCP_SETOPT) {
			if (!fake_tcp_setopt(c, &m))
				break;
		} else if (fake.mode == FAKE_NORMAL &&
			   (fake.extra_caps & IPC_CAP_TCP_INFO) &&
			   m.type == IPC_T_TCP_INFO) {
			if (!fake_tcp_info(c, &m))
				break;
		} else if (fake.mode == FAKE_NORMAL &&
			   m.type == IPC_T_RESOLVE) {
			if (!fake_resolve(c, &m))
				break;
		} else if (fake.mode == FAKE_NORMAL &&
			   m.type == IPC_T_BARRIER) {
			if (!fake_barrier(c, &m))
				break;
		} else {
			struct ipc_error e = {.status = -EOPNOTSUPP};

			len = ipc_encode_error(out, sizeof(out), 1, m.id, &e);
			send(c, out, (size_t)len, MSG_NOSIGNAL);
		}
	}
	close(c);
	return NULL;
}

static void fake_start(enum fake_mode mode)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	memset(&fake, 0, sizeof(fake));
	fake.mode = mode;
	fake.data_fd = -1;
	fake.listener_end = -1;
	pthread_mutex_init(&fake.lock, NULL);
	pthread_cond_init(&fake.cond, NULL);
	strcpy(fake.dir, "/tmp/test_libutcp.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fake.dir));
	snprintf(fake.path, sizeof(fake.path), "%s/sock", fake.dir);
	strcpy(addr.sun_path, fake.path);
	fake.listen_fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	ck_assert_int_ge(fake.listen_fd, 0);
	ck_assert_int_eq(
	    bind(fake.listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ck_assert_int_eq(listen(fake.listen_fd, 4), 0);
	ck_assert_int_eq(pthread_create(&fake.thread, NULL, fake_main, NULL),
			 0);
}

static void fake_stop(void)
{
	pthread_join(fake.thread, NULL);
	close(fake.listen_fd);
	if (fake.data_fd >= 0)
		close(fake.data_fd);
	for (int i = 0; i < fake.n_tcp_ends; i++)
		close(fake.tcp_ends[i]);
	for (int i = 0; i < fake.n_stray_ends; i++)
		close(fake.stray_ends[i]);
	if (fake.listener_end >= 0)
		close(fake.listener_end);
	pthread_cond_destroy(&fake.cond);
	pthread_mutex_destroy(&fake.lock);
	unlink(fake.path);
	rmdir(fake.dir);
}

/* Takes the daemon's end of the last connection the fake made (the
 * caller closes it). */
static int fake_take_tcp_end(void)
{
	int fd = -1;

	pthread_mutex_lock(&fake.lock);
	if (fake.n_tcp_ends > 0)
		fd = fake.tcp_ends[--fake.n_tcp_ends];
	pthread_mutex_unlock(&fake.lock);
	ck_assert_int_ge(fd, 0);
	return fd;
}

/* Takes the daemon's end of the last listener (the caller closes it). */
static int fake_take_listener_end(void)
{
	int fd;

	pthread_mutex_lock(&fake.lock);
	fd = fake.listener_end;
	fake.listener_end = -1;
	pthread_mutex_unlock(&fake.lock);
	ck_assert_int_ge(fd, 0);
	return fd;
}

/* A copy of the last TCP_CONNECT the fake decoded, and its raw bytes. */
static struct ipc_tcp_connect fake_last_connect(uint8_t *raw)
{
	struct ipc_tcp_connect c;

	pthread_mutex_lock(&fake.lock);
	c = fake.connect;
	if (raw)
		memcpy(raw, fake.connect_raw, sizeof(fake.connect_raw));
	pthread_mutex_unlock(&fake.lock);
	return c;
}

/* fake.requests, read under its lock. */
static int fake_requests(void)
{
	int n;

	pthread_mutex_lock(&fake.lock);
	n = fake.requests;
	pthread_mutex_unlock(&fake.lock);
	return n;
}

static struct in_addr addr_of(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(utcp_parse_addr(s, &a), 0);
	return a;
}

START_TEST(test_udp_descriptor_carries_datagrams_both_ways)
{
	struct utcp_udp_info info;
	struct ipc_dgram_hdr h;
	const uint8_t *payload;
	size_t plen;
	uint8_t pkt[64];
	char rbuf[16];
	struct in_addr from;
	uint16_t port;
	struct utcp *u;
	int fd, dfd, err;
	ssize_t n;

	fake_start(FAKE_NORMAL);
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);
	fd = utcp_udp_open(u, addr_of("0.0.0.0"), 0, addr_of("10.0.0.1"), 53, 0,
			   &info);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(info.id, 5);
	ck_assert_uint_eq(info.local_port, 40000);
	ck_assert_uint_eq(ntohl(info.local_addr.s_addr), 0x0a000002);
	dfd = __atomic_load_n(&fake.data_fd, __ATOMIC_SEQ_CST);
	ck_assert_int_ge(dfd, 0);

	/* application -> daemon: header with the destination */
	ck_assert_int_eq(utcp_sendto(fd, "ping", 4, addr_of("10.0.0.9"), 7), 4);
	n = recv(dfd, pkt, sizeof(pkt), 0);
	ck_assert_int_eq(n, IPC_DGRAM_HDR_LEN + 4);
	ck_assert_int_eq(ipc_dgram_decode(pkt, (size_t)n, &h, &payload, &plen),
			 0);
	ck_assert_uint_eq(h.addr, 0x0a000009);
	ck_assert_uint_eq(h.port, 7);
	ck_assert_mem_eq(payload, "ping", 4);
	/* utcp_send: 0:0 = the connected peer */
	ck_assert_int_eq(utcp_send(fd, "x", 1), 1);
	n = recv(dfd, pkt, sizeof(pkt), 0);
	ck_assert_int_eq(ipc_dgram_decode(pkt, (size_t)n, &h, &payload, &plen),
			 0);
	ck_assert_uint_eq(h.addr, 0);
	ck_assert_uint_eq(h.port, 0);

	/* daemon -> application: header with the source */
	h = (struct ipc_dgram_hdr){.addr = 0x0a000001, .port = 53};
	ipc_dgram_hdr_encode(pkt, &h);
	memcpy(pkt + IPC_DGRAM_HDR_LEN, "pong", 4);
	send(dfd, pkt, IPC_DGRAM_HDR_LEN + 4, 0);
	n = utcp_recvfrom(fd, rbuf, sizeof(rbuf), &from, &port);
	ck_assert_int_eq(n, 4);
	ck_assert_mem_eq(rbuf, "pong", 4);
	ck_assert_uint_eq(ntohl(from.s_addr), 0x0a000001);
	ck_assert_uint_eq(port, 53);

	/* a datagram longer than the buffer is cut, as recvfrom() does */
	send(dfd, pkt, IPC_DGRAM_HDR_LEN + 4, 0);
	ck_assert_int_eq(utcp_recvfrom(fd, rbuf, 2, NULL, NULL), 2);

	/* an ICMP error arrives as an error message */
	h = (struct ipc_dgram_hdr){.flags = IPC_DGRAM_F_ERROR,
				   .error = ECONNREFUSED};
	ipc_dgram_hdr_encode(pkt, &h);
	send(dfd, pkt, IPC_DGRAM_HDR_LEN, 0);
	ck_assert_int_eq(utcp_recvfrom(fd, rbuf, sizeof(rbuf), NULL, NULL),
			 -ECONNREFUSED);

	/* garbage on the channel is not a datagram */
	send(dfd, "abc", 3, 0);
	ck_assert_int_eq(utcp_recvfrom(fd, rbuf, sizeof(rbuf), NULL, NULL),
			 -EBADMSG);

	/* oversize payloads never leave */
	ck_assert_int_eq(utcp_send(fd, rbuf, UTCP_UDP_PAYLOAD_MAX + 1),
			 -EMSGSIZE);

	/* the daemon closing the socket */
	close(dfd);
	fake.data_fd = -1;
	ck_assert_int_eq(utcp_recvfrom(fd, rbuf, sizeof(rbuf), NULL, NULL),
			 -ECONNRESET);
	close(fd);
	utcp_close(u);
	fake_stop();
}
END_TEST

START_TEST(test_refused_client_learns_why)
{
	int err = 0;

	fake_start(FAKE_REFUSE);
	ck_assert_ptr_null(utcp_open(fake.path, &err));
	ck_assert_int_eq(err, -EUSERS);
	fake_stop();
}
END_TEST

START_TEST(test_no_common_version_is_reported)
{
	int err = 0;

	fake_start(FAKE_OLD);
	ck_assert_ptr_null(utcp_open(fake.path, &err));
	ck_assert_int_eq(err, -EPROTONOSUPPORT);
	fake_stop();
}
END_TEST

START_TEST(test_reply_with_wrong_id_breaks_the_connection)
{
	struct utcp_status *st;
	struct utcp *u;
	int err;

	fake_start(FAKE_WRONG_ID);
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(utcp_status(u, &st), -EIO);
	ck_assert_ptr_null(st);
	ck_assert_int_eq(utcp_status(u, &st), -ENOTCONN);
	ck_assert_int_eq(utcp_udp_bind(u, addr_of("0.0.0.0"), 9, 0), -ENOTCONN);
	utcp_close(u);
	fake_stop();
}
END_TEST

START_TEST(test_helpers)
{
	struct in_addr a;

	ck_assert_int_eq(utcp_parse_addr("10.1.2.3", &a), 0);
	ck_assert_uint_eq(ntohl(a.s_addr), 0x0a010203);
	ck_assert_int_eq(utcp_parse_addr("10.1.2", &a), -EINVAL);
	ck_assert_int_eq(utcp_parse_addr("host", &a), -EINVAL);
	ck_assert_int_eq(utcp_parse_addr(NULL, &a), -EINVAL);
	ck_assert_str_eq(utcp_strerror(-ECONNREFUSED), "Connection refused");
	ck_assert_str_eq(utcp_strerror(0), "Success");
	ck_assert_str_eq(utcp_arp_state_name(UTCP_ARP_INCOMPLETE),
			 "incomplete");
	ck_assert_str_eq(utcp_route_kind_name(UTCP_ROUTE_STATIC), "static");
	ck_assert_str_eq(utcp_route_kind_name(UTCP_ROUTE_DHCP), "dhcp");
}
END_TEST

/* ---- TCP ----------------------------------------------------------- */

static int64_t test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool fd_is_cloexec(int fd)
{
	return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}

static bool fd_is_nonblocking(int fd)
{
	return (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}

static int socket_type(int fd)
{
	int type = -1;
	socklen_t len = sizeof(type);

	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len), 0);
	return type;
}

/* Whether `fd` reads EOF within two seconds: its peer, a descriptor the
 * library received, has been closed. */
static bool peer_closed(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char b;

	if (poll(&pfd, 1, 2000) != 1)
		return false;
	return recv(fd, &b, 1, MSG_DONTWAIT) == 0;
}

/* The daemon's report of a connection error: one urgent byte. */
static void send_urgent(int fd, int err)
{
	uint8_t byte = (uint8_t)err;

	ck_assert_int_eq(send(fd, &byte, 1, MSG_OOB | MSG_NOSIGNAL), 1);
}

/* A connection from the normal fake daemon, with the daemon's end. */
static int connect_to_fake(struct utcp *u, int flags, int *daemon_end)
{
	int fd =
	    utcp_tcp_connect(u, addr_of("10.0.0.1"), 80, 0, NULL, flags, NULL);

	ck_assert_int_ge(fd, 0);
	*daemon_end = fake_take_tcp_end();
	return fd;
}

START_TEST(test_tcp_connect_request_and_descriptor)
{
	struct utcp_tcp_info info;
	struct ipc_tcp_connect req;
	uint8_t raw[IPC_HDR_LEN + IPC_TCP_CONNECT_LEN];
	const uint8_t *body = raw + IPC_HDR_LEN;
	char buf[32];
	struct utcp *u;
	int fd, dfd, err, requests;

	fake_start(FAKE_NORMAL);
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);
	memset(&info, 0xa5, sizeof(info));
	fd = utcp_tcp_connect(u, addr_of("10.0.0.1"), 80, 5000, NULL, 0, &info);
	ck_assert_int_ge(fd, 0);

	/* the request, as decoded and byte for byte (docs/ipc.md) */
	req = fake_last_connect(raw);
	ck_assert_uint_eq(req.remote_addr, 0x0a000001);
	ck_assert_uint_eq(req.remote_port, 80);
	ck_assert_uint_eq(req.local_addr, 0);
	ck_assert_uint_eq(req.local_port, 0);
	ck_assert_uint_eq(req.timeout_ms, 5000);
	/* a blocking connect asks for the daemon's non-blocking form and
	 * waits on its descriptor, without the handle's lock */
	ck_assert_uint_eq(req.flags, IPC_TCP_CONNECT_F_NONBLOCK);
	ck_assert_uint_eq(req.opts.set, 0);
	ck_assert_uint_eq(get_be16(raw), IPC_MAGIC);
	ck_assert_uint_eq(raw[2], 1); /* version */
	ck_assert_uint_eq(get_be16(raw + 4), IPC_T_TCP_CONNECT);
	ck_assert_uint_eq(get_be32(raw + 8), sizeof(raw));
	ck_assert_uint_eq(get_be32(raw + 12), 2); /* HELLO was 1 */
	ck_assert_mem_eq(body + 4, "\x0a\x00\x00\x01", 4);
	ck_assert_uint_eq(get_be16(body + 10), 80);
	ck_assert_uint_eq(get_be32(body + 12), 5000);
	for (size_t i = 20; i < IPC_TCP_CONNECT_LEN; i++)
		ck_assert_uint_eq(body[i], 0); /* no options: all defaults */

	/* the reply, in *info */
	ck_assert_int_eq(info.id, FAKE_CONN_ID);
	ck_assert_uint_eq(ntohl(info.local_addr.s_addr), FAKE_LOCAL_ADDR);
	ck_assert_uint_eq(info.local_port, FAKE_EPHEMERAL_PORT);
	ck_assert_uint_eq(ntohl(info.remote_addr.s_addr), 0x0a000001);
	ck_assert_uint_eq(info.remote_port, 80);

	/* a blocking, close-on-exec stream socket */
	ck_assert_int_eq(socket_type(fd), SOCK_STREAM);
	ck_assert(fd_is_cloexec(fd));
	ck_assert(!fd_is_nonblocking(fd));

	/* bytes both ways with the daemon's end */
	dfd = fake_take_tcp_end();
	ck_assert_int_eq(utcp_tcp_send(fd, "hello", 5), 5);
	ck_assert_int_eq(recv(dfd, buf, sizeof(buf), 0), 5);
	ck_assert_mem_eq(buf, "hello", 5);
	ck_assert_int_eq(send(dfd, "world!", 6, 0), 6);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 6);
	ck_assert_mem_eq(buf, "world!", 6);
	/* and with plain read()/write() */
	ck_assert_int_eq(write(fd, "abc", 3), 3);
	ck_assert_int_eq(recv(dfd, buf, sizeof(buf), 0), 3);
	ck_assert_mem_eq(buf, "abc", 3);
	ck_assert_int_eq(send(dfd, "xyz", 3, 0), 3);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 3);
	ck_assert_mem_eq(buf, "xyz", 3);
	/* closing the descriptor is the daemon's EOF */
	close(fd);
	ck_assert(peer_closed(dfd));
	close(dfd);

	/* an explicit local endpoint and options travel too */
	fd = utcp_tcp_open(u, addr_of("10.0.0.2"), 5555, addr_of("10.9.8.7"),
			   443, 0, NULL, 0, &info);
	ck_assert_int_ge(fd, 0);
	req = fake_last_connect(raw);
	ck_assert_uint_eq(req.local_addr, 0x0a000002);
	ck_assert_uint_eq(req.local_port, 5555);
	ck_assert_uint_eq(req.remote_addr, 0x0a090807);
	ck_assert_uint_eq(req.remote_port, 443);
	ck_assert_uint_eq(req.timeout_ms, 0); /* the daemon's default */
	ck_assert_uint_eq(get_be32(body), 0x0a000002);
	ck_assert_uint_eq(get_be16(body + 8), 5555);
	ck_assert_uint_eq(info.local_port, 5555);
	close(fd);
	close(fake_take_tcp_end());

	/* arguments the library refuses without asking the daemon */
	requests = fake_requests();
	ck_assert_int_eq(
	    utcp_tcp_connect(u, addr_of("10.0.0.1"), 0, 0, NULL, 0, NULL),
	    -EINVAL);
	ck_assert_int_eq(utcp_tcp_connect(u, addr_of("10.0.0.1"), 80,
					  UTCP_TCP_CONNECT_TIMEOUT_MAX_MS + 1,
					  NULL, 0, NULL),
			 -EINVAL);
	ck_assert_int_eq(
	    utcp_tcp_connect(u, addr_of("10.0.0.1"), 80, -1, NULL, 0, NULL),
	    -EINVAL);
	ck_assert_int_eq(
	    utcp_tcp_connect(u, addr_of("10.0.0.1"), 80, 0, NULL, 0x80, NULL),
	    -EINVAL);
	ck_assert_int_eq(fake_requests(), requests);
	/* the longest timeout is accepted and encoded */
	fd = utcp_tcp_connect(u, addr_of("10.0.0.1"), 80,
			      UTCP_TCP_CONNECT_TIMEOUT_MAX_MS, NULL, 0, NULL);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(fake_last_connect(NULL).timeout_ms,
			  UTCP_TCP_CONNECT_TIMEOUT_MAX_MS);
	close(fd);
	utcp_close(u);
	fake_stop();
	ck_assert(!fake.ids_out_of_order);
}
END_TEST

START_TEST(test_tcp_connect_failures_are_the_daemons_status)
{
	struct utcp_tcp_info info = {.id = 1234};
	struct utcp *u;
	int64_t start, elapsed;
	int fd, err;

	fake_start(FAKE_NORMAL);
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);

	ck_assert_int_eq(utcp_tcp_connect(u, addr_of("10.0.0.1"),
					  FAKE_PORT_REFUSED, 1000, NULL, 0,
					  &info),
			 -ECONNREFUSED);
	ck_assert_int_eq(info.id, 1234); /* untouched on failure */
	ck_assert_int_eq(utcp_tcp_connect(u, addr_of("10.0.0.1"),
					  FAKE_PORT_UNREACHABLE, 1000, NULL, 0,
					  NULL),
			 -EHOSTUNREACH);

	/* the daemon gives up after the request's timeout_ms: the library
	 * waits that long for the reply, and reports -ETIMEDOUT */
	start = test_now_ms();
	ck_assert_int_eq(utcp_tcp_connect(u, addr_of("10.0.0.1"),
					  FAKE_PORT_TIMEOUT, 150, NULL, 0,
					  NULL),
			 -ETIMEDOUT);
	elapsed = test_now_ms() - start;
	ck_assert_int_ge(elapsed, 150);
	ck_assert_uint_eq(fake_last_connect(NULL).timeout_ms, 150);

	/* a failed connect leaves the control connection usable */
	fd = utcp_tcp_connect(u, addr_of("10.0.0.1"), 80, 0, NULL, 0, &info);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(info.id, FAKE_CONN_ID);
	close(fd);
	utcp_close(u);
	fake_stop();
}
END_TEST

/* With TCP_NONBLOCK_END a UTCP_NONBLOCK connect and a UTCP_NONBLOCK
 * listener ask the daemon for non-blocking descriptors and make no
 * fcntl() of their own (this fake hands over blocking ends, so a
 * blocking end shows that none was made); without the capability the
 * flags are not sent (an older daemon would find them malformed). An
 * announcement says how its descriptor came, and accept4() changes the
 * mode only when it differs from what the caller asked. */
static void nonblock_end_with_caps(uint32_t caps)
{
	bool has = caps & IPC_CAP_TCP_NONBLOCK_END;
	struct ipc_accept a = {.remote_addr = 0x0a000009,
			       .remote_port = 51000,
			       .local_addr = FAKE_LOCAL_ADDR,
			       .local_port = 8080,
			       .id = 12};
	uint8_t ann[IPC_ACCEPT_LEN];
	struct utcp *u;
	int fd, dfd, lfd, dlfd, err, pair[2];

	fake_start(FAKE_NORMAL);
	fake.extra_caps = caps;
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);
	fd = connect_to_fake(u, UTCP_NONBLOCK, &dfd);
	ck_assert_uint_eq(fake_last_connect(NULL).flags,
			  IPC_TCP_CONNECT_F_NONBLOCK |
			      (has ? IPC_TCP_CONNECT_F_END_NONBLOCK : 0));
	ck_assert(fd_is_nonblocking(fd) == !has);
	close(fd);
	close(dfd);
	fd = connect_to_fake(u, 0, &dfd); /* a blocking one never asks */
	ck_assert_uint_eq(fake_last_connect(NULL).flags,
			  IPC_TCP_CONNECT_F_NONBLOCK);
	ck_assert(!fd_is_nonblocking(fd));
	close(fd);
	close(dfd);

	lfd = utcp_tcp_listen(u, addr_of("0.0.0.0"), 8080, 4, NULL,
			      UTCP_NONBLOCK, NULL);
	ck_assert_int_ge(lfd, 0);
	pthread_mutex_lock(&fake.lock);
	ck_assert_uint_eq(fake.listen.flags,
			  has ? IPC_TCP_LISTEN_F_ACCEPT_NONBLOCK : 0);
	pthread_mutex_unlock(&fake.lock);
	dlfd = fake_take_listener_end();
	/* the long form, a non-blocking end: kept for UTCP_NONBLOCK,
	 * made blocking for 0 */
	a.flags = IPC_ACCEPT_F_NONBLOCK;
	for (int want = 0; want < 2; want++) {
		ck_assert_int_eq(
		    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair),
		    0);
		send_fd(dlfd, ann, ipc_accept_encode(ann, &a), pair[1]);
		close(pair[1]);
		fd = utcp_tcp_accept4(lfd, NULL, want ? UTCP_NONBLOCK : 0);
		ck_assert_int_ge(fd, 0);
		ck_assert(fd_is_nonblocking(fd) == (want == 1));
		close(fd);
		close(pair[0]);
	}
	/* the short form (an older daemon's), a blocking end */
	a.flags = 0;
	for (int want = 0; want < 2; want++) {
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
		ck_assert_uint_eq(ipc_accept_encode(ann, &a),
				  IPC_ACCEPT_SHORT_LEN);
		send_fd(dlfd, ann, IPC_ACCEPT_SHORT_LEN, pair[1]);
		close(pair[1]);
		fd = utcp_tcp_accept4(lfd, NULL, want ? UTCP_NONBLOCK : 0);
		ck_assert_int_ge(fd, 0);
		ck_assert(fd_is_nonblocking(fd) == (want == 1));
		close(fd);
		close(pair[0]);
	}
	close(dlfd);
	close(lfd);
	utcp_close(u);
	fake_stop();
}

START_TEST(test_tcp_nonblocking_ends_from_a_daemon_that_makes_them)
{
	nonblock_end_with_caps(IPC_CAP_TCP_NONBLOCK_END);
	nonblock_end_with_caps(0); /* an older daemon */
}
END_TEST

START_TEST(test_tcp_nonblocking_connect_reports_failure_in_band)
{
	struct pollfd pfd;
	char buf[16];
	struct utcp *u;
	int fd, dfd, err;

	fake_start(FAKE_NORMAL);
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);
	fd = connect_to_fake(u, UTCP_NONBLOCK, &dfd);
	ck_assert_uint_eq(fake_last_connect(NULL).flags,
			  IPC_TCP_CONNECT_F_NONBLOCK);
	ck_assert(fd_is_nonblocking(fd));
	ck_assert(fd_is_cloexec(fd));

	/* nothing yet */
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), UTCP_NONBLOCK),
			 -EAGAIN);
	ck_assert_int_eq(utcp_tcp_error(fd), 0);
	/* what the application writes before it is established waits in
	 * the socketpair for the daemon */
	ck_assert_int_eq(utcp_tcp_send(fd, "early", 5), 5);
	ck_assert_int_eq(recv(dfd, buf, sizeof(buf), 0), 5);
	ck_assert_mem_eq(buf, "early", 5);

	/* the SYN was refused: the urgent byte, then EOF */
	send_urgent(dfd, ECONNREFUSED);
	close(dfd);
	pfd = (struct pollfd){.fd = fd, .events = POLLIN | POLLPRI};
	ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
	ck_assert(pfd.revents & POLLPRI);
	ck_assert_int_eq(utcp_tcp_error(fd), -ECONNREFUSED);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), UTCP_NONBLOCK),
			 -ECONNREFUSED);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), UTCP_NONBLOCK), 0);
	ck_assert_int_eq(utcp_tcp_error(fd), 0);
	close(fd);
	utcp_close(u);
	fake_stop();
}
END_TEST

/* The daemon's side of a connection, after a delay, in a thread. */
struct later {
	int fd;
	int delay_ms;
	const char *data; /* sent first, when not NULL */
	int error;	  /* then this urgent byte, when not 0 */
	bool close;	  /* then close fd */
};

static void *later_main(void *arg)
{
	struct later *l = arg;

	usleep((unsigned)l->delay_ms * 1000u);
	if (l->data)
		(void)send(l->fd, l->data, strlen(l->data), MSG_NOSIGNAL);
	if (l->error) {
		uint8_t byte = (uint8_t)l->error;

		(void)send(l->fd, &byte, 1, MSG_OOB | MSG_NOSIGNAL);
	}
	if (l->close)
		close(l->fd);
	return NULL;
}

START_TEST(test_tcp_reset_is_econnreset_after_the_data)
{
	struct later later;
	pthread_t thread;
	struct pollfd pfd;
	char buf[64];
	struct utcp *u;
	int fd, dfd, err;

	fake_start(FAKE_NORMAL);
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);

	/* data, then the reset: utcp_tcp_recv gives the data, the error
	 * once, then 0 */
	fd = connect_to_fake(u, 0, &dfd);
	ck_assert_int_eq(send(dfd, "last words", 10, 0), 10);
	send_urgent(dfd, ECONNRESET);
	close(dfd);
	pfd = (struct pollfd){.fd = fd, .events = POLLIN | POLLPRI};
	ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
	ck_assert(pfd.revents & POLLPRI);
	/* utcp_tcp_error() peeks: it does not take the error */
	ck_assert_int_eq(utcp_tcp_error(fd), -ECONNRESET);
	ck_assert_int_eq(utcp_tcp_error(fd), -ECONNRESET);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 10);
	ck_assert_mem_eq(buf, "last words", 10);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), -ECONNRESET);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 0);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), UTCP_NONBLOCK), 0);
	close(fd);

	/* a reader asleep in utcp_tcp_recv() wakes for data and error that
	 * arrive later */
	fd = connect_to_fake(u, 0, &dfd);
	later = (struct later){.fd = dfd,
			       .delay_ms = 50,
			       .data = "ab",
			       .error = ECONNRESET,
			       .close = true};
	ck_assert_int_eq(pthread_create(&thread, NULL, later_main, &later), 0);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 2);
	ck_assert_mem_eq(buf, "ab", 2);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), -ECONNRESET);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 0);
	pthread_join(thread, NULL);
	close(fd);

	/* utcp_tcp_send() reports the error, not -EPIPE, and takes it, as
	 * a kernel socket's write does: reads then see the end of the
	 * stream, writes EPIPE */
	fd = connect_to_fake(u, 0, &dfd);
	send_urgent(dfd, ETIMEDOUT);
	close(dfd);
	ck_assert_int_eq(utcp_tcp_send(fd, "x", 1), -ETIMEDOUT);
	ck_assert_int_eq(utcp_tcp_error(fd), 0);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 0);
	ck_assert_int_eq(utcp_tcp_send(fd, "x", 1), -EPIPE);
	close(fd);

	/* The connection failed while received bytes wait to be read: the
	 * daemon shut its end for reading, its urgent byte waits behind
	 * them. The first write says -ECONNRESET, as a kernel socket's
	 * first write after a reset, the next -EPIPE; the reads get the
	 * data, then the end of the stream: the urgent byte, when it comes,
	 * is not reported again. (The kernel's, on loopback, in
	 * test_control.c.) */
	fd = connect_to_fake(u, 0, &dfd);
	ck_assert_int_eq(send(dfd, "unread", 6, 0), 6);
	ck_assert_int_eq(shutdown(dfd, SHUT_RD), 0);
	ck_assert_int_eq(utcp_tcp_send(fd, "x", 1), -ECONNRESET);
	ck_assert_int_eq(utcp_tcp_send(fd, "x", 1), -EPIPE);
	send_urgent(dfd, ECONNRESET);
	close(dfd);
	ck_assert_int_eq(utcp_tcp_error(fd), 0);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 6);
	ck_assert_mem_eq(buf, "unread", 6);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 0);
	ck_assert_int_eq(utcp_tcp_send(fd, "x", 1), -EPIPE);
	close(fd);

	/* a plain read() sees the data, then EOF: the urgent byte is
	 * dropped (docs/ipc.md) */
	fd = connect_to_fake(u, 0, &dfd);
	ck_assert_int_eq(send(dfd, "data", 4, 0), 4);
	send_urgent(dfd, ECONNRESET);
	close(dfd);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 4);
	ck_assert_mem_eq(buf, "data", 4);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	utcp_close(u);
	fake_stop();
}
END_TEST

START_TEST(test_tcp_plain_eof_stays_eof)
{
	char buf[64];
	struct utcp *u;
	int fd, dfd, err;

	fake_start(FAKE_NORMAL);
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);

	/* the peer's FIN: the daemon shuts its end for writing */
	fd = connect_to_fake(u, 0, &dfd);
	ck_assert_int_eq(send(dfd, "bye", 3, 0), 3);
	ck_assert_int_eq(shutdown(dfd, SHUT_WR), 0);
	ck_assert_int_eq(utcp_tcp_error(fd), 0);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 3);
	ck_assert_mem_eq(buf, "bye", 3);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 0);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), UTCP_NONBLOCK), 0);
	ck_assert_int_eq(utcp_tcp_error(fd), 0);
	/* half-closed: the application can still send */
	ck_assert_int_eq(utcp_tcp_send(fd, "more", 4), 4);
	ck_assert_int_eq(recv(dfd, buf, sizeof(buf), 0), 4);
	ck_assert_mem_eq(buf, "more", 4);

	/* shutdown(SHUT_WR) by the application (libutcp has no call of
	 * its own) reaches the daemon as EOF; the other way still works */
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert(peer_closed(dfd));
	/* the connection closed without an error: -EPIPE */
	close(dfd);
	ck_assert_int_eq(utcp_tcp_send(fd, "x", 1), -EPIPE);
	ck_assert_int_eq(utcp_tcp_error(fd), 0);
	close(fd);

	/* the daemon closing outright, no urgent byte: data, then 0 */
	fd = connect_to_fake(u, 0, &dfd);
	ck_assert_int_eq(send(dfd, "end", 3, 0), 3);
	close(dfd);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 3);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 0);
	ck_assert_int_eq(utcp_tcp_send(fd, "x", 1), -EPIPE);
	close(fd);
	utcp_close(u);
	fake_stop();
}
END_TEST

START_TEST(test_tcp_options_travel_in_requests)
{
	struct utcp_tcp_opts all = {
	    .set = UTCP_TCP_OPT_NODELAY | UTCP_TCP_OPT_KEEPALIVE |
		   UTCP_TCP_OPT_SNDBUF | UTCP_TCP_OPT_RCVBUF |
		   UTCP_TCP_OPT_KEEPIDLE | UTCP_TCP_OPT_KEEPINTVL |
		   UTCP_TCP_OPT_KEEPCNT | UTCP_TCP_OPT_LINGER |
		   UTCP_TCP_OPT_MAXSEG | UTCP_TCP_OPT_TOS | UTCP_TCP_OPT_TTL,
	    .nodelay = true,
	    .keepalive = true,
	    .sndbuf = 65536,
	    .rcvbuf = 131072,
	    .keepidle_s = 60,
	    .keepintvl_s = 10,
	    .keepcnt = 5,
	    .linger = true,
	    .linger_s = 7,
	    .maxseg = 1200,
	    .tos = 0x28,
	    .ttl = 17,
	};
	/* fields not in `set` are sent as zero, whatever they hold */
	struct utcp_tcp_opts some = {.set = UTCP_TCP_OPT_NODELAY,
				     .nodelay = false,
				     .keepalive = true,
				     .sndbuf = 12345,
				     .keepcnt = 9};
	struct utcp_tcp_opts bad;
	struct ipc_tcp_connect req;
	struct ipc_tcp_setopt so;
	uint8_t raw[IPC_HDR_LEN + IPC_TCP_CONNECT_LEN];
	const uint8_t *opts = raw + IPC_HDR_LEN + 20;
	struct utcp *u;
	int fd, err, requests;

	fake_start(FAKE_NORMAL);
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);

	fd = utcp_tcp_connect(u, addr_of("10.0.0.1"), 80, 0, &all, 0, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	close(fake_take_tcp_end());
	req = fake_last_connect(raw);
	ck_assert_uint_eq(req.opts.set, IPC_TCP_OPT_ALL);
	ck_assert(req.opts.nodelay);
	ck_assert(req.opts.keepalive);
	ck_assert_uint_eq(req.opts.sndbuf, 65536);
	ck_assert_uint_eq(req.opts.rcvbuf, 131072);
	ck_assert_uint_eq(req.opts.keepidle_s, 60);
	ck_assert_uint_eq(req.opts.keepintvl_s, 10);
	ck_assert_uint_eq(req.opts.keepcnt, 5);
	ck_assert(req.opts.linger);
	ck_assert_uint_eq(req.opts.linger_s, 7);
	ck_assert_uint_eq(req.opts.maxseg, 1200);
	ck_assert_uint_eq(req.opts.tos, 0x28);
	ck_assert_uint_eq(req.opts.ttl, 17);
	ck_assert_uint_eq(get_be32(opts), 0x7ff); /* set */
	ck_assert_uint_eq(get_be32(opts + 4),
			  0x7); /* nodelay|keepalive|linger */
	ck_assert_uint_eq(get_be32(opts + 8), 65536);
	ck_assert_uint_eq(get_be32(opts + 12), 131072);
	ck_assert_uint_eq(get_be32(opts + 16), 60);
	ck_assert_uint_eq(get_be32(opts + 20), 10);
	ck_assert_uint_eq(get_be32(opts + 24), 5);
	ck_assert_uint_eq(get_be32(opts + 28), 7);
	ck_assert_uint_eq(get_be32(opts + 32), 1200);
	ck_assert_uint_eq(opts[36], 0x28);
	ck_assert_uint_eq(opts[37], 17);

	fd = utcp_tcp_connect(u, addr_of("10.0.0.1"), 80, 0, &some, 0, NULL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	close(fake_take_tcp_end());
	req = fake_last_connect(raw);
	ck_assert_uint_eq(req.opts.set, IPC_TCP_OPT_NODELAY);
	ck_assert(!req.opts.nodelay);
	ck_assert(!req.opts.keepalive);
	ck_assert_uint_eq(req.opts.sndbuf, 0);
	ck_assert_uint_eq(req.opts.keepcnt, 0);
	ck_assert_uint_eq(get_be32(opts), IPC_TCP_OPT_NODELAY);
	for (size_t i = 4; i < IPC_TCP_OPTS_LEN; i++)
		ck_assert_uint_eq(opts[i], 0);

	/* TCP_SETOPT: the id and the values; the result is the daemon's */
	ck_assert_int_eq(utcp_tcp_setopt(u, 42, &all), 0);
	pthread_mutex_lock(&fake.lock);
	so = fake.setopt;
	ck_assert_int_eq(fake.setopts, 1);
	pthread_mutex_unlock(&fake.lock);
	ck_assert_int_eq(so.id, 42);
	ck_assert_uint_eq(so.opts.set, IPC_TCP_OPT_ALL);
	ck_assert(so.opts.nodelay);
	ck_assert(so.opts.keepalive);
	ck_assert_uint_eq(so.opts.sndbuf, 65536);
	ck_assert_uint_eq(so.opts.rcvbuf, 131072);
	ck_assert_uint_eq(so.opts.keepidle_s, 60);
	ck_assert_uint_eq(so.opts.keepintvl_s, 10);
	ck_assert_uint_eq(so.opts.keepcnt, 5);
	bad = (struct utcp_tcp_opts){.set = UTCP_TCP_OPT_RCVBUF |
					    UTCP_TCP_OPT_KEEPALIVE,
				     .keepalive = false,
				     .rcvbuf = 4096};
	ck_assert_int_eq(utcp_tcp_setopt(u, 0, &bad), 0);
	pthread_mutex_lock(&fake.lock);
	so = fake.setopt;
	pthread_mutex_unlock(&fake.lock);
	ck_assert_int_eq(so.id, 0);
	ck_assert_uint_eq(so.opts.set,
			  IPC_TCP_OPT_RCVBUF | IPC_TCP_OPT_KEEPALIVE);
	ck_assert(!so.opts.keepalive); /* turned off, explicitly */
	ck_assert_uint_eq(so.opts.rcvbuf, 4096);
	ck_assert_int_eq(utcp_tcp_setopt(u, FAKE_ID_NOT_OURS, &all), -EBADF);
	ck_assert_int_eq(utcp_tcp_setopt(u, FAKE_ID_INVALID, &all), -EINVAL);

	/* values the library refuses before asking: an unknown `set` bit,
	 * out-of-range sizes, a negative id */
	requests = fake_requests();
	bad = (struct utcp_tcp_opts){.set = 0x800};
	ck_assert_int_eq(
	    utcp_tcp_connect(u, addr_of("10.0.0.1"), 80, 0, &bad, 0, NULL),
	    -EINVAL);
	ck_assert_int_eq(utcp_tcp_setopt(u, 1, &bad), -EINVAL);
	bad = (struct utcp_tcp_opts){.set = UTCP_TCP_OPT_SNDBUF,
				     .sndbuf = IPC_TCP_BUF_MIN - 1};
	ck_assert_int_eq(
	    utcp_tcp_connect(u, addr_of("10.0.0.1"), 80, 0, &bad, 0, NULL),
	    -EINVAL);
	ck_assert_int_eq(utcp_tcp_setopt(u, 1, &bad), -EINVAL);
	bad =
	    (struct utcp_tcp_opts){.set = UTCP_TCP_OPT_KEEPCNT, .keepcnt = 256};
	ck_assert_int_eq(utcp_tcp_setopt(u, 1, &bad), -EINVAL);
	bad = (struct utcp_tcp_opts){.set = UTCP_TCP_OPT_MAXSEG,
				     .maxseg = IPC_TCP_MAXSEG_MIN - 1};
	ck_assert_int_eq(
	    utcp_tcp_connect(u, addr_of("10.0.0.1"), 80, 0, &bad, 0, NULL),
	    -EINVAL);
	bad.maxseg = IPC_TCP_MAXSEG_MAX + 1;
	ck_assert_int_eq(utcp_tcp_setopt(u, 1, &bad), -EINVAL);
	ck_assert_int_eq(utcp_tcp_setopt(u, -1, &all), -EBADF);
	ck_assert_int_eq(fake_requests(), requests);
	/* and the handle is fine afterwards */
	ck_assert_int_eq(utcp_tcp_setopt(u, 5, &all), 0);
	utcp_close(u);
	fake_stop();
	ck_assert(!fake.ids_out_of_order);
}
END_TEST

START_TEST(test_tcp_listen_and_accept)
{
	struct utcp_tcp_opts opts = {.set = UTCP_TCP_OPT_KEEPALIVE |
					    UTCP_TCP_OPT_KEEPIDLE,
				     .keepalive = true,
				     .keepidle_s = 30};
	struct ipc_accept a = {.remote_addr = 0x0a000009,
			       .remote_port = 51000,
			       .local_addr = FAKE_LOCAL_ADDR,
			       .local_port = 8080,
			       .id = 12};
	struct utcp_tcp_info info;
	struct ipc_tcp_listen req;
	uint8_t ann[IPC_ACCEPT_LEN];
	struct in_addr peer;
	uint16_t port;
	char buf[16];
	struct utcp *u;
	int lfd, dlfd, fd, pair[2], err;

	fake_start(FAKE_NORMAL);
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);

	memset(&info, 0xa5, sizeof(info));
	lfd =
	    utcp_tcp_listen(u, addr_of("10.0.0.2"), 8080, 16, &opts, 0, &info);
	ck_assert_int_ge(lfd, 0);
	pthread_mutex_lock(&fake.lock);
	req = fake.listen;
	pthread_mutex_unlock(&fake.lock);
	ck_assert_uint_eq(req.local_addr, FAKE_LOCAL_ADDR);
	ck_assert_uint_eq(req.local_port, 8080);
	ck_assert_uint_eq(req.backlog, 16);
	ck_assert_uint_eq(req.opts.set,
			  IPC_TCP_OPT_KEEPALIVE | IPC_TCP_OPT_KEEPIDLE);
	ck_assert(req.opts.keepalive);
	ck_assert_uint_eq(req.opts.keepidle_s, 30);
	ck_assert_int_eq(info.id, FAKE_LISTENER_ID);
	ck_assert_uint_eq(ntohl(info.local_addr.s_addr), FAKE_LOCAL_ADDR);
	ck_assert_uint_eq(info.local_port, 8080);
	ck_assert_uint_eq(info.remote_addr.s_addr, 0);
	ck_assert_uint_eq(info.remote_port, 0);
	ck_assert_int_eq(socket_type(lfd), SOCK_SEQPACKET);
	ck_assert(fd_is_cloexec(lfd));
	ck_assert(!fd_is_nonblocking(lfd));
	dlfd = fake_take_listener_end();

	/* nothing queued */
	ck_assert_int_eq(utcp_tcp_accept4(lfd, &info, UTCP_NONBLOCK), -EAGAIN);
	ck_assert_int_eq(utcp_tcp_accept(lfd, NULL, NULL, UTCP_NONBLOCK),
			 -EAGAIN);

	/* one announcement: the descriptor and both endpoints */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	ipc_accept_encode(ann, &a);
	send_fd(dlfd, ann, sizeof(ann), pair[1]);
	close(pair[1]);
	memset(&info, 0, sizeof(info));
	fd = utcp_tcp_accept4(lfd, &info, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(info.id, 12);
	ck_assert_uint_eq(ntohl(info.remote_addr.s_addr), 0x0a000009);
	ck_assert_uint_eq(info.remote_port, 51000);
	ck_assert_uint_eq(ntohl(info.local_addr.s_addr), FAKE_LOCAL_ADDR);
	ck_assert_uint_eq(info.local_port, 8080);
	ck_assert_int_eq(socket_type(fd), SOCK_STREAM);
	ck_assert(fd_is_cloexec(fd));
	ck_assert(!fd_is_nonblocking(fd));
	ck_assert_int_eq(utcp_tcp_send(fd, "srv", 3), 3);
	ck_assert_int_eq(recv(pair[0], buf, sizeof(buf), 0), 3);
	ck_assert_mem_eq(buf, "srv", 3);
	ck_assert_int_eq(send(pair[0], "cli", 3, 0), 3);
	ck_assert_int_eq(utcp_tcp_recv(fd, buf, sizeof(buf), 0), 3);
	ck_assert_mem_eq(buf, "cli", 3);
	close(fd);
	close(pair[0]);

	/* utcp_tcp_accept(): the peer's address; UTCP_NONBLOCK */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	a.remote_addr = 0xc0a80105; /* 192.168.1.5 */
	a.remote_port = 1;
	a.id = 0;
	ipc_accept_encode(ann, &a);
	send_fd(dlfd, ann, sizeof(ann), pair[1]);
	close(pair[1]);
	fd = utcp_tcp_accept(lfd, &peer, &port, UTCP_NONBLOCK);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(ntohl(peer.s_addr), 0xc0a80105);
	ck_assert_uint_eq(port, 1);
	ck_assert(fd_is_nonblocking(fd));
	close(fd);
	ck_assert(peer_closed(pair[0]));
	close(pair[0]);
	/* that emptied the queue again */
	ck_assert_int_eq(utcp_tcp_accept(lfd, NULL, NULL, UTCP_NONBLOCK),
			 -EAGAIN);

	/* the daemon closing the listener */
	close(dlfd);
	ck_assert_int_eq(utcp_tcp_accept4(lfd, &info, 0), -ECONNRESET);
	close(lfd);

	/* failures: the daemon's, and the library's own */
	ck_assert_int_eq(utcp_tcp_listen(u, addr_of("0.0.0.0"),
					 FAKE_PORT_IN_USE, 1, NULL, 0, NULL),
			 -EADDRINUSE);
	ck_assert_int_eq(
	    utcp_tcp_listen(u, addr_of("0.0.0.0"), 80, 0, NULL, 0, NULL),
	    -EINVAL);
	ck_assert_int_eq(utcp_tcp_listen(u, addr_of("0.0.0.0"), 80,
					 IPC_TCP_BACKLOG_MAX + 1, NULL, 0,
					 NULL),
			 -EINVAL);
	ck_assert_int_eq(utcp_tcp_accept4(-1, NULL, 0x80), -EINVAL);
	/* a non-blocking listener with the largest backlog */
	lfd = utcp_tcp_listen(u, addr_of("0.0.0.0"), 80, IPC_TCP_BACKLOG_MAX,
			      NULL, UTCP_NONBLOCK, NULL);
	ck_assert_int_ge(lfd, 0);
	ck_assert(fd_is_nonblocking(lfd));
	pthread_mutex_lock(&fake.lock);
	ck_assert_uint_eq(fake.listen.backlog, IPC_TCP_BACKLOG_MAX);
	ck_assert_uint_eq(fake.listen.local_addr, 0);
	ck_assert_int_eq(fake.listens, 3);
	pthread_mutex_unlock(&fake.lock);
	close(lfd);
	utcp_close(u);
	fake_stop();
}
END_TEST

START_TEST(test_tcp_malformed_accept_announcements)
{
	struct ipc_accept a = {.remote_addr = 0x0a000009,
			       .remote_port = 51000,
			       .local_port = 8080,
			       .id = 3};
	uint8_t ann[IPC_ACCEPT_LEN + 100];
	struct utcp_tcp_info info;
	struct utcp *u;
	int lfd, dlfd, fd, pair[2], err;

	fake_start(FAKE_NORMAL);
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);
	lfd = utcp_tcp_listen(u, addr_of("0.0.0.0"), 8080, 4, NULL, 0, NULL);
	ck_assert_int_ge(lfd, 0);
	dlfd = fake_take_listener_end();
	memset(ann, 0, sizeof(ann));
	ipc_accept_encode(ann, &a);

	/* too short, too long, and far too long (truncated): the
	 * descriptor is closed, -EBADMSG */
	{
		static const size_t sizes[] = {IPC_ACCEPT_LEN - 1,
					       IPC_ACCEPT_LEN + 1,
					       IPC_ACCEPT_LEN + 100};

		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			ck_assert_int_eq(
			    socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
			send_fd(dlfd, ann, sizes[i], pair[1]);
			close(pair[1]);
			ck_assert_int_eq(utcp_tcp_accept4(lfd, &info, 0),
					 -EBADMSG);
			ck_assert(peer_closed(pair[0]));
			close(pair[0]);
		}
	}
	/* no descriptor */
	send_fd(dlfd, ann, IPC_ACCEPT_LEN, -1);
	ck_assert_int_eq(utcp_tcp_accept4(lfd, &info, 0), -EBADMSG);
	/* a negative connection id */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	a.id = -1;
	ipc_accept_encode(ann, &a);
	send_fd(dlfd, ann, IPC_ACCEPT_LEN, pair[1]);
	close(pair[1]);
	ck_assert_int_eq(utcp_tcp_accept4(lfd, &info, UTCP_NONBLOCK), -EBADMSG);
	ck_assert(peer_closed(pair[0]));
	close(pair[0]);

	/* the listener still works */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	a.id = 4;
	ipc_accept_encode(ann, &a);
	send_fd(dlfd, ann, IPC_ACCEPT_LEN, pair[1]);
	close(pair[1]);
	fd = utcp_tcp_accept4(lfd, &info, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(info.id, 4);
	close(fd);
	close(pair[0]);
	close(dlfd);
	close(lfd);
	utcp_close(u);
	fake_stop();
}
END_TEST

/* utcp_barrier() in a thread, and what it saw when it returned. */
struct barrier_call {
	struct utcp *u;
	int ret;
	bool done;		 /* under fake.lock */
	bool released_on_return; /* fake.barrier_released at return */
};

static void *barrier_main(void *arg)
{
	struct barrier_call *b = arg;
	int ret = utcp_barrier(b->u);

	pthread_mutex_lock(&fake.lock);
	b->ret = ret;
	b->released_on_return = fake.barrier_released;
	b->done = true;
	pthread_mutex_unlock(&fake.lock);
	return NULL;
}

/* utcp_tcp_setopt() in a thread, likewise. */
struct setopt_call {
	struct utcp *u;
	int ret;
	bool done;
	bool released_on_return;
};

static void *setopt_main(void *arg)
{
	struct setopt_call *s = arg;
	struct utcp_tcp_opts opts = {.set = UTCP_TCP_OPT_NODELAY,
				     .nodelay = true};
	int ret = utcp_tcp_setopt(s->u, 1, &opts);

	pthread_mutex_lock(&fake.lock);
	s->ret = ret;
	s->released_on_return = fake.barrier_released;
	s->done = true;
	pthread_mutex_unlock(&fake.lock);
	return NULL;
}

START_TEST(test_barrier_returns_only_after_the_daemon_answers)
{
	struct barrier_call b = {0};
	struct setopt_call s = {0};
	pthread_t bt, st;
	struct timespec until;
	struct utcp *u;
	int err, rc = 0;

	fake_start(FAKE_NORMAL);
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);
	/* answered at once */
	ck_assert_int_eq(utcp_barrier(u), 0);

	pthread_mutex_lock(&fake.lock);
	fake.barrier_hold = true;
	fake.barrier_received = false;
	pthread_mutex_unlock(&fake.lock);
	b.u = s.u = u;
	ck_assert_int_eq(pthread_create(&bt, NULL, barrier_main, &b), 0);
	/* wait until the request is at the daemon */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&fake.lock);
	while (!fake.barrier_received && rc == 0)
		rc = pthread_cond_timedwait(&fake.cond, &fake.lock, &until);
	ck_assert(fake.barrier_received);
	pthread_mutex_unlock(&fake.lock);
	/* a second thread's request waits behind it */
	ck_assert_int_eq(pthread_create(&st, NULL, setopt_main, &s), 0);
	usleep(100 * 1000);
	pthread_mutex_lock(&fake.lock);
	ck_assert(!b.done);
	ck_assert(!s.done);
	ck_assert_int_eq(fake.setopts, 0); /* not even sent */
	fake.barrier_released = true;
	pthread_cond_broadcast(&fake.cond);
	pthread_mutex_unlock(&fake.lock);
	pthread_join(bt, NULL);
	pthread_join(st, NULL);
	ck_assert_int_eq(b.ret, 0);
	ck_assert(b.released_on_return);
	ck_assert_int_eq(s.ret, 0);
	ck_assert(s.released_on_return);
	pthread_mutex_lock(&fake.lock);
	ck_assert_int_eq(fake.barriers, 2);
	ck_assert_int_eq(fake.setopts, 1);
	pthread_mutex_unlock(&fake.lock);
	utcp_close(u);
	fake_stop();
}
END_TEST

/* A version 2 daemon's DHCP client, settings, options, READY and route
 * metrics come out decoded, per interface, named. */
START_TEST(test_status_decodes_dhcp_and_settings)
{
	struct utcp_status *st = NULL;
	const struct utcp_settings *set;
	const struct utcp_dhcp *dh;
	struct utcp *u;
	int err;

	fake_start(FAKE_DHCP);
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(utcp_status(u, &st), 0);
	ck_assert(st->ready);
	ck_assert_uint_eq(st->ready_at_ms, 1500);
	/* the version 1 route, then the version 2 one */
	ck_assert_uint_eq(st->n_routes, 2);
	ck_assert_int_eq(st->routes[0].kind, UTCP_ROUTE_CONNECTED);
	ck_assert_uint_eq(st->route_metrics[0], 0);
	ck_assert_int_eq(st->routes[1].kind, UTCP_ROUTE_DHCP);
	ck_assert_str_eq(utcp_route_kind_name(st->routes[1].kind), "dhcp");
	ck_assert_uint_eq(st->route_metrics[1], 1024);
	ck_assert_str_eq(st->routes[1].interface, "tap7");

	ck_assert_uint_eq(st->n_dhcp, 1);
	dh = &st->dhcp[0];
	ck_assert_str_eq(dh->interface, "tap7");
	ck_assert_int_eq(dh->state, UTCP_DHCP_BOUND);
	ck_assert_str_eq(utcp_dhcp_state_name(dh->state), "BOUND");
	ck_assert(dh->running && dh->bound && !dh->options_truncated);
	ck_assert_uint_eq(ntohl(dh->address.s_addr), 0x0a000002);
	ck_assert_uint_eq(dh->prefix_len, 24);
	ck_assert_uint_eq(ntohl(dh->server.s_addr), 0x0a000001);
	ck_assert_uint_eq(dh->lease_s, 3600);
	ck_assert_uint_eq(dh->t1_s, 1800);
	ck_assert_uint_eq(dh->t2_s, 3150);
	ck_assert_uint_eq(dh->mtu, 1400);
	ck_assert_uint_eq(dh->t1_in_ms, 1795000);
	ck_assert_uint_eq(dh->t2_in_ms, 3145000);
	ck_assert(dh->expires_in_ms == UTCP_DHCP_NEVER);
	ck_assert_uint_eq(dh->counters.tx_discover, 1);
	ck_assert_uint_eq(dh->counters.tx_request, 2);
	ck_assert_uint_eq(dh->counters.rx_offer, 3);
	ck_assert_uint_eq(dh->counters.rx_ack, 4);
	ck_assert_uint_eq(dh->counters.corrections, 5);

	ck_assert_uint_eq(st->n_settings, 1);
	set = &st->settings[0];
	ck_assert_str_eq(set->interface, "tap7");
	ck_assert(set->dhcp && set->configured);
	ck_assert_int_eq(set->address_source, UTCP_SOURCE_LEASE);
	ck_assert_int_eq(set->dns_source, UTCP_SOURCE_CONFIG);
	ck_assert_int_eq(set->ntp_source, UTCP_SOURCE_NONE);
	ck_assert_str_eq(utcp_source_name(set->dns_source), "config");
	ck_assert_str_eq(utcp_source_name(set->address_source), "lease");
	ck_assert_uint_eq(set->n_dns, 2);
	ck_assert_uint_eq(ntohl(set->dns[1].s_addr), 0x01010101);
	ck_assert_uint_eq(set->n_ntp, 0);
	ck_assert_str_eq(set->domain, "example.test");
	ck_assert_uint_eq(set->n_search, 2);
	ck_assert_str_eq(set->search[0], "a.test");
	ck_assert_str_eq(set->search[1], "b.test");
	ck_assert(set->has_log_server);
	ck_assert_uint_eq(ntohl(set->log_server.s_addr), 0x0a000001);
	ck_assert_uint_eq(set->log_port, 514);

	ck_assert_uint_eq(st->n_dhcp_options, 2);
	ck_assert_str_eq(st->dhcp_options[0].interface, "tap7");
	ck_assert_uint_eq(st->dhcp_options[0].code, 1);
	ck_assert_uint_eq(st->dhcp_options[0].length, 4);
	ck_assert_uint_eq(st->dhcp_options[0].value[3], 0);
	ck_assert_uint_eq(st->dhcp_options[0].value[2], 255);
	ck_assert_str_eq(utcp_dhcp_option_name(1), "subnet_mask");
	ck_assert_str_eq(utcp_dhcp_option_name(121), "classless_static_routes");
	ck_assert_uint_eq(st->dhcp_options[1].code, 224);
	ck_assert_uint_eq(st->dhcp_options[1].length, 0);
	ck_assert_ptr_null(utcp_dhcp_option_name(224));
	ck_assert_str_eq(utcp_dhcp_state_name(UTCP_DHCP_INIT_REBOOT),
			 "INIT-REBOOT");
	ck_assert_str_eq(utcp_dhcp_state_name((enum utcp_dhcp_state)99), "?");

	/* the resolver's part; its search list is no interface's */
	ck_assert(st->has_dns);
	ck_assert_uint_eq(st->dns.ndots, 2);
	ck_assert_uint_eq(st->dns.cache_entries, 1);
	ck_assert_uint_eq(st->dns.cache_max, 512);
	ck_assert_uint_eq(st->dns.lookups_pending, 3);
	ck_assert_uint_eq(st->dns.lookups_max, 256);
	ck_assert_uint_eq(st->dns.queries_active, 4);
	ck_assert_uint_eq(st->dns.queries_max, 128);
	ck_assert_uint_eq(st->n_dns_search, 1);
	ck_assert_str_eq(st->dns_search[0], "in-use.test");
	ck_assert_uint_eq(set->n_search, 2);
	ck_assert_uint_eq(st->n_dns_servers, 1);
	ck_assert_str_eq(st->dns_servers[0].interface, "tap7");
	ck_assert_uint_eq(ntohl(st->dns_servers[0].address.s_addr), 0x08080808);
	ck_assert_uint_eq(st->dns_servers[0].port, 53);
	ck_assert_int_eq(st->dns_servers[0].source, UTCP_SOURCE_CONFIG);
	ck_assert(st->dns_servers[0].unresponsive);
	ck_assert_uint_eq(st->dns_servers[0].queries, 10);
	ck_assert_uint_eq(st->dns_servers[0].answers, 7);
	ck_assert_uint_eq(st->dns_servers[0].timeouts, 2);
	ck_assert_uint_eq(st->dns_servers[0].failures, 1);
	ck_assert_uint_eq(st->n_dns_cache, 1);
	ck_assert_str_eq(st->dns_cache[0].name, "www.a.test");
	ck_assert_uint_eq(st->dns_cache[0].qtype, 1);
	ck_assert_int_eq(st->dns_cache[0].kind, UTCP_DNS_CACHE_POSITIVE);
	ck_assert_str_eq(utcp_dns_cache_kind_name(st->dns_cache[0].kind),
			 "positive");
	ck_assert_str_eq(utcp_dns_cache_kind_name(UTCP_DNS_CACHE_NXDOMAIN),
			 "nxdomain");
	ck_assert_uint_eq(st->dns_cache[0].ttl_left_s, 299);
	ck_assert_uint_eq(st->dns_cache[0].hits, 6);
	ck_assert_uint_eq(st->dns_cache[0].naddrs, 2);
	ck_assert_uint_eq(st->dns_cache[0].n_addrs, 2);
	ck_assert_uint_eq(ntohl(st->dns_cache[0].addrs[1].s_addr), 0x0a000006);
	utcp_status_free(st);
	utcp_close(u);
	fake_stop();
}
END_TEST

/* An option's value as text: decoded when its shape is known and its
 * bytes fit it, else hex. */
struct option_case {
	uint8_t code;
	uint8_t length;
	const char *value;
	bool decoded;
	const char *text;
};

static const struct option_case option_cases[] = {
    {1, 4, "\xff\xff\xff\x00", true, "255.255.255.0"},
    {6, 8, "\x0a\x00\x00\x01\x08\x08\x08\x08", true, "10.0.0.1 8.8.8.8"},
    {3, 5, "\x0a\x00\x00\x01\x01", false, "0a00000101"},
    {26, 2, "\x05\x78", true, "1400"},
    {26, 3, "\x05\x78\x00", false, "057800"},
    {51, 4, "\x00\x00\x0e\x10", true, "3600"},
    {2, 4, "\xff\xff\xf1\xf0", true, "-3600"},
    {15, 12, "example.test", true, "example.test"},
    {15, 3, "a\nb", false, "610a62"},
    {53, 1, "\x05", true, "DHCPACK"},
    {53, 1, "\x09", false, "09"},
    {55, 3, "\x01\x03\x06", true, "1 3 6"},
    {33, 8, "\x0a\x01\x00\x00\x0a\x00\x00\x01", true, "10.1.0.0 via 10.0.0.1"},
    {121, 13, "\x18\x0a\x01\x02\x0a\x00\x00\x01\x00\x0a\x00\x00\x01", true,
     "10.1.2.0/24 via 10.0.0.1, 0.0.0.0/0 via 10.0.0.1"},
    {121, 5, "\x21\x0a\x00\x00\x01", false, "210a000001"},
    {121, 4, "\x18\x0a\x01\x02", false, "180a0102"},
    /* RFC 3397: the second name points back into the first */
    {119, 12,
     "\x01"
     "a\x04test\x00\x01"
     "b\xc0\x02",
     true, "a.test b.test"},
    /* a pointer to itself */
    {119, 2, "\xc0\x00", false, "c000"},
    {224, 3, "\x00\x0a\xff", false, "000aff"},
    {80, 0, "", false, ""},
};

#define N_OPTION_CASES (sizeof(option_cases) / sizeof(option_cases[0]))

START_TEST(test_dhcp_option_text_decodes_known_options)
{
	const struct option_case *c = &option_cases[_i];
	struct utcp_dhcp_option o = {.code = c->code, .length = c->length};
	char buf[128];

	memcpy(o.value, c->value, c->length);
	ck_assert_msg(utcp_dhcp_option_text(&o, buf, sizeof(buf)) == c->decoded,
		      "option %u: decoded", c->code);
	ck_assert_str_eq(buf, c->text);
}
END_TEST

/* Text that does not fit is cut, never written past the buffer. */
START_TEST(test_dhcp_option_text_is_cut_to_the_buffer)
{
	struct utcp_dhcp_option o = {.code = 224, .length = 255};
	char buf[8];

	memset(o.value, 0xab, sizeof(o.value));
	memset(buf, 'x', sizeof(buf));
	ck_assert(!utcp_dhcp_option_text(&o, buf, 5));
	ck_assert_str_eq(buf, "abab");
	ck_assert_int_eq(buf[5], 'x');
	o.code = 6;
	o.length = 8;
	memcpy(o.value, "\x0a\x00\x00\x01\x08\x08\x08\x08", 8);
	memset(buf, 'x', sizeof(buf));
	ck_assert(utcp_dhcp_option_text(&o, buf, 6));
	ck_assert_str_eq(buf, "10.0.");
	ck_assert_int_eq(buf[6], 'x');
}
END_TEST

/* A version 1 daemon says nothing of DHCP: none listed, not ready,
 * metrics 0. */
START_TEST(test_status_from_a_version_1_daemon_has_no_dhcp)
{
	struct utcp_status *st = NULL;
	struct utcp *u;
	int err;

	fake_start(FAKE_NORMAL);
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(utcp_status(u, &st), 0);
	ck_assert(!st->ready);
	ck_assert_uint_eq(st->n_routes, 1);
	ck_assert_uint_eq(st->route_metrics[0], 0);
	ck_assert_uint_eq(st->n_dhcp, 0);
	ck_assert_uint_eq(st->n_settings, 0);
	ck_assert_uint_eq(st->n_dhcp_options, 0);
	ck_assert(!st->has_dns);
	ck_assert_uint_eq(st->n_dns_servers, 0);
	utcp_status_free(st);
	utcp_close(u);
	fake_stop();
}
END_TEST

/* fake.<field> read under its lock. */
#define FAKE_READ(field)                                                       \
	({                                                                     \
		__typeof__(fake.field) v_;                                     \
		pthread_mutex_lock(&fake.lock);                                \
		v_ = fake.field;                                               \
		pthread_mutex_unlock(&fake.lock);                              \
		v_;                                                            \
	})

/* A descriptor goes with an options request as proof, and OWN_FD with
 * UDP_OPEN, only to a daemon that announced it takes them: an older
 * one would take either for a protocol error. */
static void proof_and_own_fd_with_caps(uint32_t caps, bool sent)
{
	struct utcp_tcp_opts o = {.set = UTCP_TCP_OPT_NODELAY, .nodelay = true};
	struct utcp_udp_opts uo = {.set = UTCP_UDP_OPT_TTL, .ttl = 9};
	struct utcp *u;
	struct stat st;
	int err = 0, pair[2], fd, closed;

	fake_start(FAKE_NORMAL);
	fake.extra_caps = caps;
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	ck_assert_int_eq(fstat(pair[0], &st), 0);
	ck_assert_int_eq(utcp_tcp_setopt_fd(u, FAKE_CONN_ID, pair[0], &o), 0);
	ck_assert_int_eq(FAKE_READ(fds_came), sent ? 1 : 0);
	if (sent) {
		ck_assert(FAKE_READ(fd_dev) == st.st_dev);
		ck_assert(FAKE_READ(fd_ino) == st.st_ino);
	}
	/* ours stays open */
	ck_assert_int_eq(fcntl(pair[0], F_GETFD), 0);
	ck_assert_int_eq(utcp_tcp_setopt_fd(u, FAKE_CONN_ID, -1, &o), -EBADF);
	/* a descriptor that is not open: -EBADF, and the handle goes on */
	closed = dup(pair[1]);
	ck_assert_int_ge(closed, 0);
	close(closed);
	ck_assert_int_eq(utcp_tcp_setopt_fd(u, FAKE_CONN_ID, closed, &o),
			 -EBADF);
	/* (this fake answers UDP_SETOPT with ERROR -EOPNOTSUPP) */
	ck_assert_int_eq(utcp_udp_setopt_fd(u, 5, pair[0], &uo), -EOPNOTSUPP);
	ck_assert_int_eq(FAKE_READ(fds_came), sent ? 1 : 0);
	ck_assert_int_eq(utcp_tcp_setopt(u, FAKE_CONN_ID, &o), 0);
	ck_assert_int_eq(FAKE_READ(fds_came), 0);
	fd = utcp_udp_bind(u, addr_of("0.0.0.0"), 0, UTCP_OWN_FD);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(FAKE_READ(udp_open_flags),
			  sent ? IPC_UDP_OPEN_F_OWN_FD : 0);
	close(fd);
	fd = utcp_udp_bind(u, addr_of("0.0.0.0"), 0, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(FAKE_READ(udp_open_flags), 0);
	close(fd);
	close(pair[0]);
	close(pair[1]);
	utcp_close(u);
	fake_stop();
}

START_TEST(test_proof_and_own_fd_go_only_to_a_daemon_that_takes_them)
{
	proof_and_own_fd_with_caps(0, false);
	proof_and_own_fd_with_caps(IPC_CAP_FD_PROOF | IPC_CAP_UDP_OWN_FD, true);
}
END_TEST

/* utcp_tcp_info() asks TCP_INFO of a daemon that has it, and reads a
 * whole STATUS from one that has not. */
START_TEST(test_tcp_info_asks_tcp_info_or_reads_the_status)
{
	struct utcp_tcp_socket ti;
	struct utcp *u;
	int err = 0;

	fake_start(FAKE_NORMAL);
	fake.extra_caps = IPC_CAP_TCP_INFO;
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(utcp_tcp_info(u, FAKE_CONN_ID, &ti), 0);
	ck_assert_int_eq(FAKE_READ(tcp_infos), 1);
	ck_assert_int_eq(FAKE_READ(status_replies), 0);
	ck_assert_int_eq(ti.id, FAKE_CONN_ID);
	ck_assert_int_eq(ti.state, UTCP_TCP_CLOSE_WAIT);
	ck_assert(ti.orphan);
	ck_assert(!ti.listener);
	ck_assert_uint_eq(ti.local_addr.s_addr, htonl(FAKE_LOCAL_ADDR));
	ck_assert_uint_eq(ti.local_port, FAKE_EPHEMERAL_PORT);
	ck_assert_uint_eq(ti.remote_addr.s_addr, htonl(0x0a000001));
	ck_assert_uint_eq(ti.remote_port, 80);
	ck_assert_uint_eq(ti.mss, 1460);
	ck_assert_uint_eq(ti.srtt_us, 250);
	ck_assert_uint_eq(ti.bytes_sent, FAKE_INFO_BYTES);
	ck_assert_uint_eq(ti.bytes_received, 789);
	ck_assert_int_eq(utcp_tcp_info(u, FAKE_CONN_ID + 1, &ti), -ENOENT);
	utcp_close(u);
	fake_stop();

	fake_start(FAKE_NORMAL);
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(utcp_tcp_info(u, FAKE_CONN_ID, &ti), 0);
	ck_assert_int_eq(FAKE_READ(tcp_infos), 0);
	ck_assert_int_gt(FAKE_READ(status_replies), 0);
	ck_assert_uint_eq(ti.bytes_sent, FAKE_STATUS_BYTES);
	ck_assert_int_eq(utcp_tcp_info(u, FAKE_CONN_ID + 1, &ti), -ENOENT);
	utcp_close(u);
	fake_stop();
}
END_TEST

START_TEST(test_daemon_without_tcp_answers_eopnotsupp)
{
	struct utcp_status *st = NULL;
	struct utcp *u;
	int err;

	fake_start(FAKE_NO_TCP);
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(
	    utcp_tcp_connect(u, addr_of("10.0.0.1"), 80, 0, NULL, 0, NULL),
	    -EOPNOTSUPP);
	ck_assert_int_eq(
	    utcp_tcp_listen(u, addr_of("0.0.0.0"), 80, 1, NULL, 0, NULL),
	    -EOPNOTSUPP);
	ck_assert_int_eq(utcp_tcp_setopt(u, 1, NULL), -EOPNOTSUPP);
	ck_assert_int_eq(utcp_barrier(u), -EOPNOTSUPP);
	/* the connection goes on */
	ck_assert_int_eq(utcp_status(u, &st), 0);
	ck_assert_str_eq(st->name, "fake");
	utcp_status_free(st);
	utcp_close(u);
	fake_stop();
}
END_TEST

/* Which call meets each broken reply, and the error it must return. */
enum bad_call { CALL_CONNECT, CALL_BARRIER, CALL_SETOPT };

static const struct {
	enum fake_malformed what;
	enum bad_call call;
	int err;
	int strays; /* descriptors sent that the library must close */
} malformed_cases[] = {
    {BAD_SHORT_PACKET, CALL_CONNECT, -EPROTO, 0},
    {BAD_OVERSIZE, CALL_CONNECT, -EPROTO, 0},
    {BAD_MAGIC, CALL_CONNECT, -EPROTO, 1},
    {BAD_VERSION, CALL_CONNECT, -EPROTO, 1},
    {BAD_BODY_SHORT, CALL_CONNECT, -EPROTO, 1},
    {BAD_RESERVED, CALL_CONNECT, -EPROTO, 1},
    {BAD_WRONG_TYPE, CALL_CONNECT, -EPROTO, 0},
    {BAD_NOT_A_REPLY, CALL_BARRIER, -EPROTO, 0},
    {BAD_SUCCESS_NO_FD, CALL_CONNECT, -EPROTO, 0},
    {BAD_FAILURE_WITH_FD, CALL_CONNECT, -EPROTO, 1},
    {BAD_TWO_FDS, CALL_CONNECT, -EPROTO, 2},
    {BAD_ERROR_WITH_FD, CALL_CONNECT, -EPROTO, 1},
    {BAD_BARRIER_WITH_FD, CALL_BARRIER, -EPROTO, 1},
    {BAD_SETOPT_RESERVED, CALL_SETOPT, -EPROTO, 0},
    {BAD_HANGUP, CALL_CONNECT, -EPIPE, 0},
};

START_TEST(test_malformed_reply_is_a_clear_error)
{
	struct utcp_tcp_opts opts = {.set = UTCP_TCP_OPT_NODELAY,
				     .nodelay = true};
	struct utcp_tcp_info info = {.id = 1234};
	struct utcp *u;
	int64_t start;
	int ret, err;

	fake_start(FAKE_MALFORMED);
	fake.malformed = malformed_cases[_i].what;
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);
	start = test_now_ms();
	switch (malformed_cases[_i].call) {
	case CALL_CONNECT:
		ret = utcp_tcp_connect(u, addr_of("10.0.0.1"), 80, 1000, NULL,
				       0, &info);
		ck_assert_int_eq(info.id, 1234); /* untouched */
		break;
	case CALL_BARRIER:
		ret = utcp_barrier(u);
		break;
	default:
		ret = utcp_tcp_setopt(u, 3, &opts);
		break;
	}
	ck_assert_msg(ret == malformed_cases[_i].err,
		      "case %d: returned %d (%s), expected %d", _i, ret,
		      utcp_strerror(ret), malformed_cases[_i].err);
	/* at once: nobody waited for the reply timeout */
	ck_assert_int_lt(test_now_ms() - start, UTCP_REPLY_TIMEOUT_MS / 2);
	/* every descriptor that came with it has been closed */
	pthread_mutex_lock(&fake.lock);
	ck_assert_int_eq(fake.n_stray_ends, malformed_cases[_i].strays);
	pthread_mutex_unlock(&fake.lock);
	for (int k = 0; k < malformed_cases[_i].strays; k++)
		ck_assert_msg(peer_closed(fake.stray_ends[k]),
			      "case %d: descriptor %d left open", _i, k);
	/* the connection is out of step: later calls fail */
	ck_assert_int_eq(utcp_barrier(u), -ENOTCONN);
	ck_assert_int_eq(
	    utcp_tcp_connect(u, addr_of("10.0.0.1"), 80, 0, NULL, 0, NULL),
	    -ENOTCONN);
	ck_assert_int_eq(utcp_tcp_setopt(u, 1, &opts), -ENOTCONN);
	ck_assert_int_eq(
	    utcp_tcp_listen(u, addr_of("0.0.0.0"), 80, 1, NULL, 0, NULL),
	    -ENOTCONN);
	utcp_close(u);
	fake_stop();
}
END_TEST

#define THREAD_CONNECTS 25

/* One of two threads sharing a handle: connects to its own tagged
 * ports, now and then fetches the status, and counts what was wrong. */
struct worker {
	struct utcp *u;
	uint16_t first_port;
	int failures;
	char first_failure[128];
};

static void worker_fail(struct worker *w, const char *what, long got)
{
	if (w->failures++ == 0)
		snprintf(w->first_failure, sizeof(w->first_failure),
			 "port %u: %s: %ld", w->first_port, what, got);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < THREAD_CONNECTS; i++) {
		uint16_t port = (uint16_t)(w->first_port + i);
		struct utcp_tcp_info info;
		struct in_addr peer = {.s_addr = htonl(0x0a000001)};
		uint8_t tag[2];
		int fd = utcp_tcp_connect(w->u, peer, port, 0, NULL, 0, &info);
		ssize_t n;

		if (fd < 0) {
			worker_fail(w, "connect", fd);
			continue;
		}
		if (info.id != port || info.remote_port != port)
			worker_fail(w, "reply of another request", info.id);
		/* the descriptor is this request's too */
		n = utcp_tcp_recv(fd, tag, sizeof(tag), 0);
		if (n != 2 || get_be16(tag) != port)
			worker_fail(w, "descriptor of another request",
				    n == 2 ? get_be16(tag) : n);
		close(fd);
		if (i % 5 == 0) {
			struct utcp_status *st;
			int err = utcp_status(w->u, &st);

			if (err)
				worker_fail(w, "status", err);
			else {
				if (st->n_arp != FAKE_ARP_ENTRIES ||
				    st->n_counters != 1)
					worker_fail(w, "status records",
						    (long)st->n_arp);
				utcp_status_free(st);
			}
		}
	}
	return NULL;
}

START_TEST(test_threads_sharing_a_handle_get_their_own_replies)
{
	struct worker w[2] = {{.first_port = FAKE_PORT_TAGGED},
			      {.first_port = FAKE_PORT_TAGGED + 10000}};
	pthread_t t[2];
	struct utcp *u;
	int err;

	fake_start(FAKE_NORMAL);
	fake.slow = true;
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);
	for (int i = 0; i < 2; i++) {
		w[i].u = u;
		ck_assert_int_eq(
		    pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 2; i++)
		ck_assert_msg(w[i].failures == 0, "%d failures, first: %s",
			      w[i].failures, w[i].first_failure);
	pthread_mutex_lock(&fake.lock);
	ck_assert_int_eq(fake.connects, 2 * THREAD_CONNECTS);
	ck_assert_int_eq(fake.overlaps, 0);
	ck_assert(!fake.ids_out_of_order);
	pthread_mutex_unlock(&fake.lock);
	utcp_close(u);
	fake_stop();
}
END_TEST

/* ---- names ---------------------------------------------------------- */

/* A lookup's descriptor as the daemon would hand it: the reading end of
 * a SEQPACKET pair; *writer gets the daemon's end. */
static int result_channel(int *writer)
{
	int pair[2];

	ck_assert_int_eq(
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
	*writer = pair[0];
	return pair[1];
}

/* A descriptor with one result packet (status, no address unless ok)
 * waiting, the daemon's end closed. */
static int result_with(uint8_t status)
{
	struct ipc_resolve_result r = {.id = 9, .status = status};
	struct ipc_resolve_addr a = {
	    .family = 4, .ttl = 1, .addr = {1, 2, 3, 4}};
	uint8_t buf[IPC_RESOLVE_RESULT_MAX];
	int w, fd = result_channel(&w);
	int len;

	strcpy(r.name, "asked.test");
	r.naddrs = status == IPC_DNS_OK ? 1 : 0;
	len = ipc_resolve_result_encode(buf, sizeof(buf), &r, &a);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(send(w, buf, (size_t)len, 0), len);
	close(w);
	return fd;
}

static bool fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

START_TEST(test_resolve_finish_decodes_an_answer)
{
	struct ipc_resolve_result r = {.id = 3,
				       .status = IPC_DNS_OK,
				       .source = IPC_DNS_SRC_CACHE,
				       .naddrs = 2,
				       .server = 0x0a000001,
				       .server_port = 5353};
	struct ipc_resolve_addr a[2] = {
	    {.family = 4, .ttl = 300, .addr = {10, 0, 0, 5}},
	    {.family = 6,
	     .ttl = 60,
	     .addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 7}},
	};
	uint8_t buf[IPC_RESOLVE_RESULT_MAX];
	struct utcp_lookup *l = NULL;
	char text[INET6_ADDRSTRLEN];
	int w, fd = result_channel(&w), len;

	/* nothing there yet: in progress, the descriptor stays */
	ck_assert_int_eq(utcp_resolve_finish(fd, &l), EAI_INPROGRESS);
	ck_assert_ptr_null(l);
	ck_assert(fd_is_open(fd));

	strcpy(r.name, "www.example.test");
	len = ipc_resolve_result_encode(buf, sizeof(buf), &r, a);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(send(w, buf, (size_t)len, 0), len);
	ck_assert_int_eq(utcp_resolve_finish(fd, &l), 0);
	ck_assert(!fd_is_open(fd));
	ck_assert_ptr_nonnull(l);
	ck_assert_str_eq(l->name, "www.example.test");
	ck_assert_int_eq(l->source, UTCP_DNS_CACHE);
	ck_assert_str_eq(utcp_dns_source_name(l->source), "cache");
	ck_assert_uint_eq(ntohl(l->server.s_addr), 0x0a000001);
	ck_assert_uint_eq(l->server_port, 5353);
	ck_assert_uint_eq(l->n, 2);
	ck_assert_int_eq(l->addrs[0].family, AF_INET);
	ck_assert_uint_eq(ntohl(l->addrs[0].addr.v4.s_addr), 0x0a000005);
	ck_assert_uint_eq(l->addrs[0].ttl, 300);
	ck_assert_int_eq(l->addrs[1].family, AF_INET6);
	ck_assert_str_eq(
	    inet_ntop(AF_INET6, &l->addrs[1].addr.v6, text, sizeof(text)),
	    "2001:db8::7");
	ck_assert_uint_eq(l->addrs[1].ttl, 60);
	utcp_lookup_free(l);
	utcp_lookup_free(NULL);
	close(w);

	ck_assert_str_eq(utcp_dns_source_name(UTCP_DNS_NETWORK), "network");
	ck_assert_str_eq(utcp_dns_source_name(UTCP_DNS_LOCAL), "local");
	ck_assert_str_eq(utcp_dns_source_name(UTCP_DNS_HOSTS), "hosts");
	ck_assert_str_eq(utcp_dns_source_name((enum utcp_dns_source)9), "?");
}
END_TEST

/* Each status of a result packet and its EAI_* code. */
static const struct {
	uint8_t status;
	int eai;
} status_cases[] = {
    {IPC_DNS_NONAME, EAI_NONAME},
    {IPC_DNS_NODATA, EAI_NODATA},
    {IPC_DNS_AGAIN, EAI_AGAIN},
    {IPC_DNS_FAIL, EAI_FAIL},
};

START_TEST(test_resolve_finish_maps_each_status)
{
	struct utcp_lookup *l = NULL;
	int fd = result_with(status_cases[_i].status);

	ck_assert_int_eq(utcp_resolve_finish(fd, &l), status_cases[_i].eai);
	ck_assert_ptr_null(l);
	ck_assert(!fd_is_open(fd));
}
END_TEST

START_TEST(test_resolve_finish_refuses_malformed_results)
{
	struct ipc_resolve_result r = {
	    .id = 1, .status = IPC_DNS_OK, .naddrs = 1};
	struct ipc_resolve_addr a = {.family = 4, .addr = {10, 0, 0, 1}};
	uint8_t buf[IPC_RESOLVE_RESULT_MAX + 16];
	struct utcp_lookup *l = NULL;
	int w, fd, len;

	strcpy(r.name, "x.test");
	len = ipc_resolve_result_encode(buf, sizeof(buf), &r, &a);
	ck_assert_int_gt(len, 0);

	/* one byte short */
	fd = result_channel(&w);
	ck_assert_int_eq(send(w, buf, (size_t)len - 1, 0), len - 1);
	errno = 0;
	ck_assert_int_eq(utcp_resolve_finish(fd, &l), EAI_SYSTEM);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_ptr_null(l);
	close(w);

	/* an IPv4 address with bytes after its 4 */
	buf[len - 1] = 1;
	fd = result_channel(&w);
	ck_assert_int_eq(send(w, buf, (size_t)len, 0), len);
	errno = 0;
	ck_assert_int_eq(utcp_resolve_finish(fd, &l), EAI_SYSTEM);
	ck_assert_int_eq(errno, EBADMSG);
	close(w);

	/* larger than any result */
	memset(buf, 0, sizeof(buf));
	fd = result_channel(&w);
	ck_assert_int_eq(send(w, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	errno = 0;
	ck_assert_int_eq(utcp_resolve_finish(fd, &l), EAI_SYSTEM);
	ck_assert_int_eq(errno, EBADMSG);
	close(w);

	/* status ok (byte 4) without an address */
	r.status = IPC_DNS_NONAME;
	r.naddrs = 0;
	len = ipc_resolve_result_encode(buf, sizeof(buf), &r, &a);
	ck_assert_int_gt(len, 0);
	buf[4] = IPC_DNS_OK;
	fd = result_channel(&w);
	ck_assert_int_eq(send(w, buf, (size_t)len, 0), len);
	errno = 0;
	ck_assert_int_eq(utcp_resolve_finish(fd, &l), EAI_SYSTEM);
	ck_assert_int_eq(errno, EBADMSG);
	close(w);
}
END_TEST

START_TEST(test_resolve_finish_eof_without_result_is_econnreset)
{
	struct utcp_lookup *l = NULL;
	int w, fd = result_channel(&w);

	close(w);
	errno = 0;
	ck_assert_int_eq(utcp_resolve_finish(fd, &l), EAI_SYSTEM);
	ck_assert_int_eq(errno, ECONNRESET);
	ck_assert_ptr_null(l);
	ck_assert(!fd_is_open(fd));
}
END_TEST

START_TEST(test_resolve_through_the_daemon)
{
	struct utcp_tcp_info info;
	struct utcp_lookup *l = NULL;
	struct utcp *u;
	int err, fd, gai;

	fake_start(FAKE_NORMAL);
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);

	/* the non-blocking form: a close-on-exec, non-blocking descriptor
	 * that turns readable with the answer */
	ck_assert_int_eq(utcp_resolve_start(u, "www.test", AF_INET6, &fd), 0);
	ck_assert_int_ge(fd, 0);
	ck_assert(fd_is_cloexec(fd));
	ck_assert(fd_is_nonblocking(fd));
	ck_assert_int_eq(socket_type(fd), SOCK_SEQPACKET);
	pthread_mutex_lock(&fake.lock);
	ck_assert_str_eq(fake.resolve.name, "www.test");
	ck_assert_uint_eq(fake.resolve.want, IPC_RESOLVE_WANT_AAAA);
	pthread_mutex_unlock(&fake.lock);
	ck_assert_int_eq(utcp_resolve_finish(fd, &l), 0);
	ck_assert_str_eq(l->name, FAKE_NAME_CANONICAL);
	ck_assert_uint_eq(l->n, 3);
	utcp_lookup_free(l);

	/* the blocking form, both families */
	ck_assert_int_eq(utcp_resolve(u, "www.test", AF_UNSPEC, &l), 0);
	pthread_mutex_lock(&fake.lock);
	ck_assert_uint_eq(fake.resolve.want, IPC_RESOLVE_WANT_ALL);
	pthread_mutex_unlock(&fake.lock);
	ck_assert_int_eq(l->source, UTCP_DNS_NETWORK);
	ck_assert_uint_eq(l->server_port, 53);
	utcp_lookup_free(l);
	ck_assert_int_eq(utcp_resolve(u, "www.test", AF_INET, &l), 0);
	pthread_mutex_lock(&fake.lock);
	ck_assert_uint_eq(fake.resolve.want, IPC_RESOLVE_WANT_A);
	pthread_mutex_unlock(&fake.lock);
	utcp_lookup_free(l);

	/* the daemon's refusals */
	ck_assert_int_eq(utcp_resolve(u, FAKE_NAME_INVALID, AF_INET, &l),
			 EAI_NONAME);
	ck_assert_ptr_null(l);
	fd = 12345;
	ck_assert_int_eq(
	    utcp_resolve_start(u, FAKE_NAME_CLIENT, AF_UNSPEC, &fd), EAI_AGAIN);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(utcp_resolve(u, FAKE_NAME_DAEMON, AF_INET, &l),
			 EAI_AGAIN);
	errno = 0;
	ck_assert_int_eq(utcp_resolve(u, FAKE_NAME_NO_RESOLV, AF_INET, &l),
			 EAI_SYSTEM);
	ck_assert_int_eq(errno, ENOSYS);

	/* what never reaches the daemon */
	err = fake_requests();
	ck_assert_int_eq(utcp_resolve(u, "www.test", AF_PACKET, &l),
			 EAI_FAMILY);
	ck_assert_int_eq(utcp_resolve(u, "", AF_INET, &l), EAI_NONAME);
	ck_assert_int_eq(utcp_resolve(u, "tab\there.test", AF_INET, &l),
			 EAI_NONAME);
	{
		char longname[300];

		memset(longname, 'a', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		ck_assert_int_eq(utcp_resolve(u, longname, AF_INET, &l),
				 EAI_NONAME);
	}
	ck_assert_int_eq(fake_requests(), err);

	/* by name: 10.0.0.66 refuses, 10.0.0.67 takes it */
	fd = utcp_tcp_connect_name(u, "www.test", 8080, 0, NULL, &info, &gai);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(gai, 0);
	ck_assert_uint_eq(ntohl(info.remote_addr.s_addr), 0x0a000043);
	ck_assert_uint_eq(fake_last_connect(NULL).remote_addr, 0x0a000043);
	close(fd);
	close(fake_take_tcp_end());
	/* a dotted address is no lookup */
	err = fake_requests();
	fd = utcp_tcp_connect_name(u, "10.0.0.66", 8080, 0, NULL, NULL, &gai);
	ck_assert_int_eq(fd, -ECONNREFUSED);
	ck_assert_int_eq(gai, 0);
	ck_assert_int_eq(fake_requests(), err + 1);
	/* a failed lookup */
	ck_assert_int_eq(utcp_tcp_connect_name(u, FAKE_NAME_INVALID, 80, 0,
					       NULL, NULL, &gai),
			 -ENOENT);
	ck_assert_int_eq(gai, EAI_NONAME);
	ck_assert_int_eq(
	    utcp_tcp_connect_name(u, FAKE_NAME_CLIENT, 80, 0, NULL, NULL, NULL),
	    -EAGAIN);
	utcp_close(u);
	fake_stop();
}
END_TEST

START_TEST(test_resolve_on_a_daemon_without_resolve)
{
	struct utcp_lookup *l = NULL;
	struct utcp *u;
	int err;

	fake_start(FAKE_NO_TCP);
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);
	errno = 0;
	ck_assert_int_eq(utcp_resolve(u, "www.test", AF_INET, &l), EAI_SYSTEM);
	ck_assert_int_eq(errno, EOPNOTSUPP);
	ck_assert_ptr_null(l);
	/* the connection goes on */
	ck_assert_int_eq(utcp_resolve(u, "www.test", AF_INET, &l), EAI_SYSTEM);
	ck_assert_int_eq(errno, EOPNOTSUPP);
	utcp_close(u);
	fake_stop();
}
END_TEST

static Suite *libutcp_suite(void)
{
	Suite *s = suite_create("libutcp");
	TCase *tc = tcase_create("fake daemon");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_udp_descriptor_carries_datagrams_both_ways);
	tcase_add_test(tc, test_refused_client_learns_why);
	tcase_add_test(tc, test_no_common_version_is_reported);
	tcase_add_test(tc, test_reply_with_wrong_id_breaks_the_connection);
	tcase_add_test(tc, test_helpers);
	tcase_add_test(tc, test_status_decodes_dhcp_and_settings);
	tcase_add_test(tc, test_status_from_a_version_1_daemon_has_no_dhcp);
	tcase_add_loop_test(tc, test_dhcp_option_text_decodes_known_options, 0,
			    (int)N_OPTION_CASES);
	tcase_add_test(tc, test_dhcp_option_text_is_cut_to_the_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("tcp");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_tcp_connect_request_and_descriptor);
	tcase_add_test(tc, test_tcp_connect_failures_are_the_daemons_status);
	tcase_add_test(tc,
		       test_tcp_nonblocking_connect_reports_failure_in_band);
	tcase_add_test(tc,
		       test_tcp_nonblocking_ends_from_a_daemon_that_makes_them);
	tcase_add_test(tc, test_tcp_reset_is_econnreset_after_the_data);
	tcase_add_test(tc, test_tcp_plain_eof_stays_eof);
	tcase_add_test(tc, test_tcp_options_travel_in_requests);
	tcase_add_test(tc, test_tcp_listen_and_accept);
	tcase_add_test(tc, test_tcp_malformed_accept_announcements);
	tcase_add_test(tc, test_barrier_returns_only_after_the_daemon_answers);
	tcase_add_test(tc, test_daemon_without_tcp_answers_eopnotsupp);
	tcase_add_test(
	    tc, test_proof_and_own_fd_go_only_to_a_daemon_that_takes_them);
	tcase_add_test(tc, test_tcp_info_asks_tcp_info_or_reads_the_status);
	tcase_add_loop_test(
	    tc, test_malformed_reply_is_a_clear_error, 0,
	    (int)(sizeof(malformed_cases) / sizeof(malformed_cases[0])));
	tcase_add_test(tc, test_threads_sharing_a_handle_get_their_own_replies);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_resolve_finish_decodes_an_answer);
	tcase_add_loop_test(
	    tc, test_resolve_finish_maps_each_status, 0,
	    (int)(sizeof(status_cases) / sizeof(status_cases[0])));
	tcase_add_test(tc, test_resolve_finish_refuses_malformed_results);
	tcase_add_test(tc,
		       test_resolve_finish_eof_without_result_is_econnreset);
	tcase_add_test(tc, test_resolve_through_the_daemon);
	tcase_add_test(tc, test_resolve_on_a_daemon_without_resolve);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(libutcp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
