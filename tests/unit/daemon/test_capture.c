/*
 * test_capture.c - packet capture's queue and limits (daemon/capture.c)
 *
 * A capture set on a real libev loop and a daemon with one TAP (never
 * opened): frames are handed to capture_frame() as tap.c would, the
 * loop is turned once (its end-of-turn watcher writes the queue) and
 * the stream is read from the client's end. Checked at the limits: the
 * queue holds CAPTURE_QUEUE_BYTES_DEFAULT of whole records and the next
 * frame is dropped and counted; CAPTURE_MAX_DEFAULT captures exist, the
 * next is -EBUSY; the TAP's pointer is set exactly while a capture
 * takes frames. Configured limits ([control] captures_max and
 * capture_queue_bytes) hold for the captures started after them.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "pcap.h"
#include "utcpd.h"

#include "harness.h"

static struct daemon d;
static struct capture_set *cs;
static const int owner_a, owner_b; /* two clients' keys */
/* A frame that makes a record of exactly 64 KiB. */
#define FRAME_LEN (65536u - PCAP_REC_HDR_LEN)
static uint8_t frame[FRAME_LEN];

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN); /* as the daemon: EPIPE instead */
	memset(&d, 0, sizeof(d));
	d.loop = ev_loop_new(EVFLAG_AUTO);
	d.ntaps = 1;
	d.taps[0].ifindex = 0;
	cs = capture_set_new(&d);
	ck_assert_ptr_nonnull(cs);
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
}

static void teardown(void)
{
	capture_set_free(cs);
	ck_assert_ptr_null(d.taps[0].capture);
	ev_loop_destroy(d.loop);
}

/* Turns the loop once without blocking: the queue goes out. */
static void turn(void)
{
	ev_run(d.loop, EVRUN_NOWAIT);
}

/* Reads the stream until EOF, turning the loop while it has more to
 * write; returns the bytes read (into buf, up to cap). */
static size_t read_to_eof(int fd, uint8_t *buf, size_t cap)
{
	size_t got = 0;

	ck_assert_int_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	for (int spins = 0; spins < 100000; spins++) {
		ssize_t n = read(fd, buf + got, cap - got);

		if (n == 0)
			return got;
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		ck_assert_int_eq(errno, EAGAIN);
		turn();
	}
	ck_abort_msg("no EOF");
	return got;
}

START_TEST(test_queue_holds_whole_records_to_its_limit)
{
	/* 24 bytes of file header, then records of 64 KiB: 63 fit in
	 * 4 MiB, the 64th does not (24 bytes short). A record of the
	 * 65,512 bytes left does. */
	const unsigned fit =
	    (CAPTURE_QUEUE_BYTES_DEFAULT - PCAP_FILE_HDR_LEN) / 65536;
	const uint32_t last_len = CAPTURE_QUEUE_BYTES_DEFAULT -
				  PCAP_FILE_HDR_LEN - fit * 65536u -
				  PCAP_REC_HDR_LEN;
	struct {
		uint64_t seen, dropped;
	} st;
	size_t cap = CAPTURE_QUEUE_BYTES_DEFAULT + 65536, n;
	uint8_t *buf = malloc(cap);
	int fd;
	int32_t id;

	ck_assert_uint_eq(fit, 63);
	ck_assert_uint_eq(last_len, 65496);
	ck_assert_int_eq(
	    capture_start(cs, &owner_a, -1, CAPTURE_SNAPLEN_MAX, 0, &fd, &id),
	    0);
	ck_assert_ptr_eq(d.taps[0].capture, cs);
	for (unsigned i = 0; i < fit + 1; i++)
		capture_frame(cs, 0, frame, FRAME_LEN);
	ck_assert_uint_eq(cs->frames, fit);
	ck_assert_uint_eq(cs->drops, 1);
	/* a record of exactly the room left fits; then the smallest frame
	 * finds none */
	capture_frame(cs, 0, frame, last_len);
	capture_frame(cs, 0, frame, 14);
	ck_assert_uint_eq(cs->frames, fit + 1);
	ck_assert_uint_eq(cs->drops, 2);
	ck_assert_int_eq(capture_stop(cs, &owner_a, id, &st.seen, &st.dropped),
			 0);
	ck_assert_uint_eq(st.seen, fit + 3);
	ck_assert_uint_eq(st.dropped, 2);
	ck_assert_ptr_null(d.taps[0].capture);
	capture_frame(cs, 0, frame, FRAME_LEN); /* not taken: stopped */
	n = read_to_eof(fd, buf, cap);
	ck_assert_uint_eq(n, CAPTURE_QUEUE_BYTES_DEFAULT);
	/* the last record whole: its header, then the frame's bytes */
	ck_assert_uint_eq(buf[n - last_len - 16 + 8], last_len & 0xff);
	ck_assert_uint_eq(buf[n - last_len - 16 + 9], last_len >> 8);
	ck_assert_mem_eq(buf + n - last_len, frame, last_len);
	/* a second STOP finds nothing */
	ck_assert_int_eq(capture_stop(cs, &owner_a, id, &st.seen, &st.dropped),
			 -ENOENT);
	close(fd);
	free(buf);
}
END_TEST

/* -c: after `count` records the capture takes no more, writes them and
 * closes the stream; -s cuts each frame; -i takes one interface. */
START_TEST(test_count_snaplen_and_interface)
{
	uint8_t buf[4096], want[PCAP_FILE_HDR_LEN];
	uint64_t seen, dropped;
	size_t n;
	int fd;
	int32_t id;

	ck_assert_int_eq(capture_start(cs, &owner_a, 0, 64, 2, &fd, &id), 0);
	capture_frame(cs, 1, frame, 100); /* another interface */
	capture_frame(cs, 0, frame, 100);
	capture_frame(cs, 0, frame, 30);
	ck_assert_ptr_null(d.taps[0].capture); /* count reached */
	capture_frame(cs, 0, frame, 100);
	n = read_to_eof(fd, buf, sizeof(buf));
	ck_assert_uint_eq(n, PCAP_FILE_HDR_LEN + 16 + 64 + 16 + 30);
	pcap_file_header(want, 64);
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert_uint_eq(buf[PCAP_FILE_HDR_LEN + 8], 64);   /* caplen */
	ck_assert_uint_eq(buf[PCAP_FILE_HDR_LEN + 12], 100); /* orig len */
	ck_assert_mem_eq(buf + PCAP_FILE_HDR_LEN + 16, frame, 64);
	/* the counts stay for STOP */
	ck_assert_int_eq(capture_stop(cs, &owner_a, id, &seen, &dropped), 0);
	ck_assert_uint_eq(seen, 2);
	ck_assert_uint_eq(dropped, 0);
	close(fd);
}
END_TEST

START_TEST(test_captures_at_their_limit)
{
	int fd[CAPTURE_MAX_DEFAULT + 1];
	int32_t id[CAPTURE_MAX_DEFAULT + 1];
	uint64_t seen, dropped;

	for (int i = 0; i < CAPTURE_MAX_DEFAULT; i++)
		ck_assert_int_eq(
		    capture_start(cs, &owner_a, -1, 100, 0, &fd[i], &id[i]), 0);
	ck_assert_int_eq(capture_start(cs, &owner_b, -1, 100, 0,
				       &fd[CAPTURE_MAX_DEFAULT], &id[0]),
			 -EBUSY);
	/* another client cannot stop them */
	ck_assert_int_eq(capture_stop(cs, &owner_b, id[1], &seen, &dropped),
			 -ENOENT);
	/* one stopped (its header written first): one more may start */
	turn();
	ck_assert_int_eq(capture_stop(cs, &owner_a, id[1], &seen, &dropped), 0);
	ck_assert_int_eq(capture_start(cs, &owner_b, -1, 100, 0,
				       &fd[CAPTURE_MAX_DEFAULT], &id[1]),
			 0);
	/* a client that goes frees its captures at once */
	capture_owner_gone(cs, &owner_a);
	ck_assert_ptr_eq(d.taps[0].capture, cs); /* owner_b's still runs */
	ck_assert_int_eq(
	    capture_start(cs, &owner_a, -1, 100, 0, &fd[1], &id[2]), 0);
	for (int i = 0; i <= CAPTURE_MAX_DEFAULT; i++)
		close(fd[i]);
}
END_TEST

/* capture_set_limits(): 2 captures of 128 KiB queues; a third is
 * -EBUSY. Lowered to 1, both go on and none more starts; a capture
 * keeps the queue it started with. */
START_TEST(test_configured_limits)
{
	uint8_t *buf = malloc(256u << 10);
	uint64_t seen, dropped;
	int fd[3];
	int32_t id[3];

	ck_assert_ptr_nonnull(buf);
	capture_set_limits(cs, 2, 128u << 10);
	ck_assert_int_eq(capture_start(cs, &owner_a, -1, CAPTURE_SNAPLEN_MAX, 0,
				       &fd[0], &id[0]),
			 0);
	ck_assert_int_eq(
	    capture_start(cs, &owner_a, -1, 100, 0, &fd[1], &id[1]), 0);
	ck_assert_int_eq(
	    capture_start(cs, &owner_b, -1, 100, 0, &fd[2], &id[2]), -EBUSY);
	capture_set_limits(cs, 1, 64u << 10);
	/* 24 bytes of header and one 64 KiB record fit in 128 KiB, not two */
	capture_frame(cs, 0, frame, FRAME_LEN);
	capture_frame(cs, 0, frame, FRAME_LEN);
	ck_assert_int_eq(capture_stop(cs, &owner_a, id[0], &seen, &dropped), 0);
	ck_assert_uint_eq(seen, 2);
	ck_assert_uint_eq(dropped, 1);
	ck_assert_uint_eq(read_to_eof(fd[0], buf, 256u << 10),
			  PCAP_FILE_HDR_LEN + 65536u);
	/* one runs: at the lowered limit, none more */
	ck_assert_int_eq(
	    capture_start(cs, &owner_b, -1, 100, 0, &fd[2], &id[2]), -EBUSY);
	capture_set_limits(cs, 2, 64u << 10);
	ck_assert_int_eq(capture_start(cs, &owner_b, -1, CAPTURE_SNAPLEN_MAX, 0,
				       &fd[2], &id[2]),
			 0);
	/* its queue is 64 KiB: the header leaves no room for a 64 KiB
	 * record */
	capture_frame(cs, 0, frame, FRAME_LEN);
	ck_assert_int_eq(capture_stop(cs, &owner_b, id[2], &seen, &dropped), 0);
	ck_assert_uint_eq(dropped, 1);
	for (int i = 0; i < 3; i++)
		close(fd[i]);
	free(buf);
}
END_TEST

/* A reader that closed its end: the capture ends, its queue dropped;
 * STOP still answers. */
START_TEST(test_reader_gone)
{
	uint64_t seen, dropped;
	int fd;
	int32_t id;

	ck_assert_int_eq(capture_start(cs, &owner_a, -1, 100, 0, &fd, &id), 0);
	close(fd);
	capture_frame(cs, 0, frame, 100);
	turn();
	ck_assert_ptr_null(d.taps[0].capture);
	ck_assert_int_eq(capture_stop(cs, &owner_a, id, &seen, &dropped), 0);
	ck_assert_uint_eq(seen, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("capture");
	TCase *tc = tcase_create("queue");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_queue_holds_whole_records_to_its_limit);
	tcase_add_test(tc, test_count_snaplen_and_interface);
	tcase_add_test(tc, test_captures_at_their_limit);
	tcase_add_test(tc, test_reader_gone);
	tcase_add_test(tc, test_configured_limits);
	suite_add_tcase(s, tc);
	return t_run(s);
}
