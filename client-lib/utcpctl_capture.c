/*
 * utcpctl_capture.c - utcpctl capture: a pcap file of what utcpd's TAPs
 * carry
 *
 *     utcpctl capture [-i IFACE] [-c COUNT] [-s SNAPLEN] -w FILE|-
 *
 * Theory of operation. The daemon writes the pcap file itself (CAPTURE,
 * docs/ipc.md): the file header, then one record per frame, into a
 * stream socket it hands over with the reply. This command copies that
 * stream to FILE (or stdout for `-w -`) byte for byte until EOF, which
 * comes once the capture has ended and every queued record is written:
 * after COUNT frames (the daemon counts), or after SIGINT or SIGTERM,
 * on which the command sends CAPTURE_STOP and reads on to EOF, so the
 * file is complete and valid either way. Then it asks the counts
 * (CAPTURE_STOP, once more harmless: -ENOENT once stopped, so it is
 * asked exactly once) and prints them as tcpdump does on stderr:
 * "N packets captured", "N packets received by filter", "N packets
 * dropped by kernel" (frames the daemon had no room to queue for a slow
 * reader), or with --json one object (on stdout, on stderr with -w -).
 * -i names an interface; it is looked up in one STATUS for its index.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "utcpctl.h"

#define CAPTURE_COPY_BUF (64u * 1024u)

static volatile sig_atomic_t stop_asked;

static void on_signal(int sig)
{
	(void)sig;
	stop_asked = 1;
}

/* A bad command line: one line on stderr, exit status 2. */
static int capture_usage(const char *what, const char *arg)
{
	fprintf(stderr, "utcpctl: capture: %s%s%s%s; try 'utcpctl --help'\n",
		what, arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
	return 2;
}

/* Writes all n bytes to fd, through EINTR. Returns 0 or -errno. */
static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Says, in one line, why the daemon refused the capture. */
static void start_error(int err)
{
	switch (-err) {
	case EPERM:
	case EACCES:
		fputs("utcpctl: capture: permission denied (capturing needs "
		      "root)\n",
		      stderr);
		break;
	case EBUSY:
		fputs("utcpctl: capture: the daemon runs as many captures as "
		      "it allows ([control] captures_max); stop one and try "
		      "again\n",
		      stderr);
		break;
	case EOPNOTSUPP:
		fputs("utcpctl: capture: this utcpd cannot capture (install "
		      "matching versions)\n",
		      stderr);
		break;
	default:
		fprintf(stderr, "utcpctl: capture: %s\n", utcp_strerror(err));
		break;
	}
}

/* Copies the stream to out until EOF, stopping the capture when a
 * signal asks. SIGINT and SIGTERM are blocked by the caller but in the
 * wait itself (ppoll with `waitmask`): one that comes between the test
 * of stop_asked and the wait interrupts the wait instead of being seen
 * only after the next frame. Returns 0, or 1 after saying why. */
static int copy_stream(struct utcp *u, int id, int sfd, int out,
		       const char *file, const sigset_t *waitmask,
		       bool *stopped, struct utcp_capture_stats *stats)
{
	static uint8_t buf[CAPTURE_COPY_BUF];
	struct pollfd pfd = {.fd = sfd, .events = POLLIN};

	for (;;) {
		ssize_t n;
		int err;

		if (stop_asked && !*stopped) {
			err = utcp_capture_stop(u, id, stats);
			if (err) {
				fprintf(stderr, "utcpctl: capture: stop: %s\n",
					utcp_strerror(err));
				return 1;
			}
			*stopped = true;
		}
		if (ppoll(&pfd, 1, NULL, waitmask) < 0) {
			if (errno == EINTR)
				continue;
			perror("utcpctl: capture: poll");
			return 1;
		}
		n = read(sfd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("utcpctl: capture: reading from utcpd");
			return 1;
		}
		if (n == 0)
			return 0;
		err = write_all(out, buf, (size_t)n);
		if (err) {
			fprintf(stderr, "utcpctl: capture: writing %s: %s\n",
				file, strerror(-err));
			return 1;
		}
	}
}

static void print_stats(const struct utcp_capture_stats *s, bool json,
			bool to_stdout)
{
	uint64_t captured = s->seen - s->dropped;
	FILE *f = to_stdout ? stdout : stderr;

	if (json)
		fprintf(f,
			"{\"captured\": %" PRIu64 ", \"received\": %" PRIu64
			", \"dropped\": %" PRIu64 "}\n",
			captured, s->seen, s->dropped);
	else
		fprintf(stderr,
			"%" PRIu64 " packets captured\n%" PRIu64
			" packets received by filter\n%" PRIu64
			" packets dropped by kernel\n",
			captured, s->seen, s->dropped);
	fflush(f);
}

int cmd_capture(const char *path, bool json, int argc, char **argv)
{
	const char *iface = NULL, *file = NULL;
	long count = 0, snaplen = UTCP_CAPTURE_SNAPLEN_MAX;
	struct utcp_capture_stats stats = {0};
	struct sigaction sa;
	sigset_t stop_signals, waitmask;
	bool stopped = false, blocked = false, pcap_on_stdout;
	int ifindex = -1, sfd = -1, out = -1, id, err, ret;
	struct utcp *u;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v;

		if (strcmp(a, "-j") == 0 || strcmp(a, "--json") == 0) {
			json = true;
			continue;
		}
		if (a[0] != '-' || !strchr("icsw", a[1]) || a[1] == '\0')
			return capture_usage("unexpected argument", a);
		v = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);
		if (!v)
			return capture_usage(
			    a[1] == 'i'	  ? "-i needs an interface"
			    : a[1] == 'w' ? "-w needs a file or -"
					  : "a number is needed after",
			    a[1] == 'c' || a[1] == 's' ? a : NULL);
		switch (a[1]) {
		case 'i':
			iface = v;
			break;
		case 'w':
			file = v;
			break;
		case 'c':
			count = parse_whole(v, 1, UINT32_MAX);
			if (count < 0)
				return capture_usage("bad count", v);
			break;
		case 's':
			/* 0 is tcpdump's "the default" */
			snaplen = parse_whole(v, 0, UTCP_CAPTURE_SNAPLEN_MAX);
			if (snaplen < 0)
				return capture_usage(
				    "bad snap length (1..262144)", v);
			if (snaplen == 0)
				snaplen = UTCP_CAPTURE_SNAPLEN_MAX;
			break;
		}
	}
	if (!file)
		return capture_usage("-w FILE (or -w - for stdout) is needed",
				     NULL);
	pcap_on_stdout = strcmp(file, "-") == 0;
	if (pcap_on_stdout) {
		out = STDOUT_FILENO;
		file = "stdout";
	} else {
		out =
		    open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out < 0) {
			fprintf(stderr, "utcpctl: capture: %s: %s\n", file,
				strerror(errno));
			return 1;
		}
	}
	u = open_daemon(path);
	if (!u) {
		ret = 1;
		goto out;
	}
	if (iface) {
		ifindex = iface_index(u, "capture", iface);
		if (ifindex < 0) {
			ret = 1;
			goto close;
		}
	}
	/* Signals stop the capture; a reader that went gives EPIPE. They
	 * are let in only while copy_stream() waits. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop_signals, &waitmask);
	blocked = true;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	err = utcp_capture_start(u, ifindex, (unsigned)snaplen, (unsigned)count,
				 &sfd, &id);
	if (err) {
		start_error(err);
		ret = 1;
		goto close;
	}
	/* The counts come whether the copy ended well or not (a reader of
	 * stdout that went is worth its "dropped" line too). */
	ret = copy_stream(u, id, sfd, out, file, &waitmask, &stopped, &stats);
	if (!stopped) {
		err = utcp_capture_stop(u, id, &stats);
		if (err) {
			fprintf(stderr, "utcpctl: capture: stop: %s\n",
				utcp_strerror(err));
			ret = 1;
		}
		stopped = err == 0;
	}
	close(sfd);
	if (out != STDOUT_FILENO && close(out) < 0 && ret == 0) {
		fprintf(stderr, "utcpctl: capture: %s: %s\n", file,
			strerror(errno));
		ret = 1;
	}
	out = -1;
	if (stopped)
		print_stats(&stats, json, !pcap_on_stdout);
close:
	utcp_close(u);
	if (blocked)
		sigprocmask(SIG_SETMASK, &waitmask, NULL);
out:
	if (out >= 0 && out != STDOUT_FILENO)
		close(out);
	return ret;
}
