/*
 * test_libutcp.c - libutcp against a scripted fake daemon
 *
 * A thread plays the daemon on a real Unix SEQPACKET socket in a
 * temporary directory, built from the same ipc/ encoders, and behaves
 * per test: a normal daemon (HELLO, UDP_OPEN passing a socketpair end,
 * a STATUS large enough to span several replies), one that refuses the
 * client, one that speaks no common version, one that answers with the
 * wrong request id. The tests check what the library makes of each:
 * decoded status, working descriptors, the errors it returns.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc.h"
#include "utcp.h"

#define FAKE_ARP_ENTRIES 300

enum fake_mode { FAKE_NORMAL, FAKE_REFUSE, FAKE_OLD, FAKE_WRONG_ID };

struct fake {
	enum fake_mode mode;
	char dir[64];
	char path[108];
	int listen_fd;
	pthread_t thread;
	int data_fd;	    /* the daemon end of the last UDP socket */
	int status_replies; /* STATUS replies sent */
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

static void fake_status(int c, uint32_t id)
{
	static uint8_t out[IPC_MSG_MAX];
	struct ipc_status_builder b;
	struct ipc_record recs[4 + FAKE_ARP_ENTRIES];
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
	for (int k = 0; k < FAKE_ARP_ENTRIES; k++) {
		recs[n].type = IPC_REC_ARP;
		recs[n].u.arp.addr = 0x0a000100u + (uint32_t)k;
		recs[n++].u.arp.state = IPC_ARP_REACHABLE;
	}
	recs[n].type = IPC_REC_COUNTER;
	strcpy(recs[n].u.counter.name, "udp_rx");
	recs[n++].u.counter.value = 99;

	while (i < n) {
		size_t len;

		ipc_status_begin(&b, out, sizeof(out), 1, id);
		while (i < n && ipc_status_add(&b, &recs[i]) == 0)
			i++;
		len = ipc_status_finish(&b, 0, i == n);
		send(c, out, len, MSG_NOSIGNAL);
		fake.status_replies++;
	}
}

static void *fake_main(void *arg)
{
	uint8_t in[IPC_MSG_MAX + 1], out[IPC_MSG_MAX];
	int c = accept(fake.listen_fd, NULL, NULL);
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
	while ((n = recv(c, in, sizeof(in), 0)) > 0) {
		struct ipc_msg m;
		int len = -1;

		if (ipc_msg_decode(in, (size_t)n, &m) != 0)
			break;
		if (m.type == IPC_T_HELLO) {
			struct ipc_hello_reply r = {.version = 1,
						    .capabilities = IPC_CAP_UDP,
						    .msg_max = IPC_MSG_MAX};

			if (fake.mode == FAKE_OLD) {
				r.status = -EPROTONOSUPPORT;
				r.version = 0;
			}
			len = ipc_encode_hello_reply(out, sizeof(out), 1, m.id,
						     &r);
			send(c, out, (size_t)len, MSG_NOSIGNAL);
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
	unlink(fake.path);
	rmdir(fake.dir);
}

static struct in_addr addr_of(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(utcp_parse_addr(s, &a), 0);
	return a;
}

START_TEST(test_status_spanning_several_replies_is_decoded)
{
	struct utcp_status *st = NULL;
	struct utcp *u;
	int err = 1;
	char buf[INET_ADDRSTRLEN];

	fake_start(FAKE_NORMAL);
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(utcp_status(u, &st), 0);
	ck_assert_int_gt(fake.status_replies, 1);
	ck_assert_str_eq(st->name, "fake");
	ck_assert_uint_eq(st->uptime_ms, 4242);
	ck_assert_uint_eq(st->n_interfaces, 1);
	ck_assert_str_eq(st->interfaces[0].name, "tap7");
	ck_assert(st->interfaces[0].has_address);
	ck_assert_str_eq(
	    inet_ntop(AF_INET, &st->interfaces[0].address, buf, sizeof(buf)),
	    "10.0.0.2");
	ck_assert(st->interfaces[0].has_gateway);
	ck_assert_uint_eq(st->n_routes, 1);
	ck_assert_str_eq(st->routes[0].interface, "tap7");
	ck_assert(!st->routes[0].has_gateway);
	ck_assert_uint_eq(st->n_arp, FAKE_ARP_ENTRIES);
	ck_assert_str_eq(inet_ntop(AF_INET,
				   &st->arp[FAKE_ARP_ENTRIES - 1].address, buf,
				   sizeof(buf)),
			 "10.0.2.43");
	ck_assert_int_eq(st->arp[0].state, UTCP_ARP_REACHABLE);
	ck_assert_uint_eq(st->n_counters, 1);
	ck_assert_str_eq(st->counters[0].name, "udp_rx");
	ck_assert_uint_eq(st->counters[0].value, 99);
	utcp_status_free(st);
	/* the connection stays usable after a multi-reply exchange */
	ck_assert_int_eq(utcp_status(u, &st), 0);
	utcp_status_free(st);
	utcp_close(u);
	fake_stop();
}
END_TEST

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

START_TEST(test_udp_open_failure_is_the_daemons_status)
{
	struct utcp *u;
	int err;

	fake_start(FAKE_NORMAL);
	u = utcp_open(fake.path, &err);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(utcp_udp_bind(u, addr_of("0.0.0.0"), 1, 0),
			 -EADDRINUSE);
	/* and the connection is fine afterwards */
	err = utcp_udp_bind(u, addr_of("0.0.0.0"), 2, UTCP_NONBLOCK);
	ck_assert_int_ge(err, 0);
	{
		char b[8];

		ck_assert_int_eq(utcp_recvfrom(err, b, sizeof(b), NULL, NULL),
				 -EAGAIN);
	}
	close(err);
	/* arguments the library refuses itself */
	ck_assert_int_eq(utcp_udp_connect(u, addr_of("10.0.0.1"), 0, 0),
			 -EINVAL);
	ck_assert_int_eq(utcp_udp_bind(u, addr_of("0.0.0.0"), 2, 0x80),
			 -EINVAL);
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

START_TEST(test_socket_path_comes_from_the_environment)
{
	struct utcp *u;
	int err = 0;

	ck_assert_ptr_null(utcp_open("/nonexistent/utcpd.sock", &err));
	ck_assert_int_eq(err, -ENOENT);
	fake_start(FAKE_NORMAL);
	setenv(UTCP_SOCKET_ENV, fake.path, 1);
	u = utcp_open(NULL, &err);
	unsetenv(UTCP_SOCKET_ENV);
	ck_assert_ptr_nonnull(u);
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
}
END_TEST

static Suite *libutcp_suite(void)
{
	Suite *s = suite_create("libutcp");
	TCase *tc = tcase_create("fake daemon");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_status_spanning_several_replies_is_decoded);
	tcase_add_test(tc, test_udp_descriptor_carries_datagrams_both_ways);
	tcase_add_test(tc, test_udp_open_failure_is_the_daemons_status);
	tcase_add_test(tc, test_refused_client_learns_why);
	tcase_add_test(tc, test_no_common_version_is_reported);
	tcase_add_test(tc, test_reply_with_wrong_id_breaks_the_connection);
	tcase_add_test(tc, test_socket_path_comes_from_the_environment);
	tcase_add_test(tc, test_helpers);
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
