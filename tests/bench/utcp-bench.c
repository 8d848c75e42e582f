/*
 * utcp-bench.c - the benchmark's traffic program, both sides of it
 *
 *     utcp-bench [-k [-C ALGO]] [-S PATH] MODE ARGS...
 *
 * By default every socket comes from utcpd through libutcp (-S PATH or
 * $UTCPD_SOCKET names its control socket). With -k the very same code
 * uses the kernel's sockets instead: that is both the kernel peer of a
 * utcpd measurement and the two ends of the kernel-to-kernel baseline,
 * so the two figures differ only in the stack under the application.
 * -C ALGO sets the kernel's congestion control (TCP_CONGESTION) on the
 * connections it opens, whatever the namespace's default (cc.sh).
 *
 * Modes (HOST is a dotted quad; every mode ends on its own, or on
 * SIGTERM/SIGINT, and none of them waits unbounded for the network):
 *
 *   sink PORT                    accept one connection, read and discard
 *                                until EOF; report bytes/s (first byte
 *                                to EOF)
 *   source HOST PORT SECONDS     connect, write for SECONDS, shut down
 *                                and wait for the peer's EOF; report
 *                                bytes/s (first write to that EOF)
 *   echo PORT                    accept connections one after another
 *                                and echo each until EOF (until killed)
 *   rr HOST PORT COUNT SIZE      COUNT round trips of SIZE bytes each
 *                                way (TCP_NODELAY) against `echo`;
 *                                report mean/p50/p99 in µs and its
 *                                context switches per round trip
 *   connect-rate HOST PORT SECONDS
 *                                connect + close, one after another, for
 *                                SECONDS; report connections/s and errors
 *   accept-rate PORT [SECONDS]   accept + close until no connection came
 *                                for 1 s (or SECONDS, default 60,
 *                                passed); report accepts/s
 *   idle HOST PORT N [BYTES]     open N connections, write BYTES (default
 *                                0) on each, never read; report how many
 *                                succeeded and the bytes written, check
 *                                after a second that they are all still
 *                                open (no EOF, reset or error byte),
 *                                then hold them until SIGTERM/SIGINT
 *   hold PORT                    accept connections and hold them until
 *                                SIGTERM/SIGINT; report how many
 *
 * Each mode prints one machine-readable line, "RESULT mode=... k=v ...",
 * on standard output (run.sh reads it), and notes on standard error.
 * Exit status: 0 done (errors are counted in the RESULT line, never a
 * failure), 1 the measurement could not be made, 2 bad command line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "utcp.h"

#define IO_BUF	       (256 * 1024)
#define SOURCE_WRITE   (128 * 1024)
#define CONNECT_MS     10000 /* a connect that takes longer is an error */
#define ACCEPT_WAIT_MS 30000 /* sink/echo: the first connection, at most */
#define RR_WARMUP      100

static bool kernel;		/* -k */
static const char *socket_path; /* -S */
static const char *congestion;	/* -C: the kernel's, for its connects */
static struct utcp *U;
static volatile sig_atomic_t stop;
static const char *mode = "?";

static void __attribute__((format(printf, 1, 2))) note(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "utcp-bench %s%s: ", kernel ? "-k " : "", mode);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "utcp-bench %s%s: ", kernel ? "-k " : "", mode);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: blocking calls return */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Many connections are many descriptors: soft limit up to the hard. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			note("setrlimit(RLIMIT_NOFILE): %s", strerror(errno));
	}
}

static const char *err_name(int err)
{
	return kernel ? strerror(-err) : utcp_strerror(err);
}

/* ---- the two backends ---------------------------------------------- */

static struct utcp *ut(void)
{
	int err = 0;

	if (!U) {
		U = utcp_open(socket_path, &err);
		if (!U)
			die("cannot reach utcpd: %s", utcp_strerror(err));
	}
	return U;
}

/* Connects to addr:port: a blocking stream descriptor or -errno. */
static int b_connect(struct in_addr addr, uint16_t port, bool nodelay)
{
	if (kernel) {
		struct sockaddr_in sin = {.sin_family = AF_INET,
					  .sin_port = htons(port),
					  .sin_addr = addr};
		struct timeval tv = {.tv_sec = CONNECT_MS / 1000};
		int one = 1, fd, err;

		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		/* SO_SNDTIMEO bounds connect() as well. */
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (nodelay)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof(one));
		if (congestion &&
		    setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, congestion,
			       (socklen_t)strlen(congestion)) < 0) {
			err = -errno;
			close(fd);
			return err;
		}
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
			err = errno == EINPROGRESS ? -ETIMEDOUT : -errno;
			close(fd);
			return err;
		}
		tv.tv_sec = 0;
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		return fd;
	} else {
		struct utcp_tcp_opts o = {.set = nodelay ? UTCP_TCP_OPT_NODELAY
							 : 0,
					  .nodelay = nodelay};

		return utcp_tcp_connect(ut(), addr, port, CONNECT_MS, &o, 0,
					NULL);
	}
}

/* Listens on every address, port `port`: a non-blocking listening
 * descriptor (poll it for POLLIN, then b_accept), or exits. */
static int b_listen(uint16_t port, int backlog, bool nodelay)
{
	int fd;

	if (kernel) {
		struct sockaddr_in sin = {.sin_family = AF_INET,
					  .sin_port = htons(port),
					  .sin_addr.s_addr = htonl(INADDR_ANY)};
		int one = 1;

		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    0);
		if (fd < 0)
			die("socket: %s", strerror(errno));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (nodelay)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof(one));
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			die("bind port %u: %s", port, strerror(errno));
		if (listen(fd, backlog) < 0)
			die("listen: %s", strerror(errno));
	} else {
		struct utcp_tcp_opts o = {.set = nodelay ? UTCP_TCP_OPT_NODELAY
							 : 0,
					  .nodelay = nodelay};
		struct in_addr any = {.s_addr = htonl(INADDR_ANY)};

		fd = utcp_tcp_listen(ut(), any, port,
				     backlog > 4096 ? 4096 : backlog, &o,
				     UTCP_NONBLOCK, NULL);
		if (fd < 0)
			die("utcp_tcp_listen port %u: %s", port,
			    utcp_strerror(fd));
	}
	/* Ready: run.sh starts the client once it sees this. */
	printf("LISTENING %u\n", port);
	fflush(stdout);
	return fd;
}

/* Takes a waiting connection: its descriptor (blocking unless
 * keep_nonblock), -EAGAIN when none waits, or another -errno. */
static int b_accept(int lfd, bool keep_nonblock)
{
	int fd;

	if (kernel) {
		fd =
		    accept4(lfd, NULL, NULL,
			    SOCK_CLOEXEC | (keep_nonblock ? SOCK_NONBLOCK : 0));
		if (fd < 0)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		return fd;
	}
	fd = utcp_tcp_accept(lfd, NULL, NULL, UTCP_NONBLOCK);
	if (fd >= 0 && !keep_nonblock) {
		int fl = fcntl(fd, F_GETFL);

		if (fl >= 0)
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	}
	return fd;
}

/* Waits for a connection on lfd, at most ms: its descriptor, or exits. */
static int wait_accept(int lfd, int ms)
{
	uint64_t deadline = now_ns() + (uint64_t)ms * 1000000u;

	for (;;) {
		struct pollfd p = {.fd = lfd, .events = POLLIN};
		int64_t left = (int64_t)(deadline - now_ns()) / 1000000;
		int fd;

		if (stop)
			exit(0);
		if (left <= 0)
			die("no connection within %d ms", ms);
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		fd = b_accept(lfd, false);
		if (fd >= 0)
			return fd;
		if (fd != -EAGAIN && fd != -EINTR)
			die("accept: %s", err_name(fd));
	}
}

/* ---- helpers --------------------------------------------------------- */

static struct in_addr parse_host(const char *s)
{
	struct in_addr a;

	if (utcp_parse_addr(s, &a) < 0) {
		fprintf(stderr, "utcp-bench: bad address '%s'\n", s);
		exit(2);
	}
	return a;
}

static long parse_num(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "utcp-bench: bad %s '%s' (%ld..%ld)\n", what, s,
			lo, hi);
		exit(2);
	}
	return v;
}

static uint16_t parse_port(const char *s)
{
	return (uint16_t)parse_num(s, 1, 65535, "port");
}

/* Writes all of buf: 0, or -errno. */
static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR && !stop)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads exactly len bytes: 0, -EPIPE at an early EOF, or -errno. */
static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0) {
			if (errno == EINTR && !stop)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static char *xmalloc(size_t n)
{
	char *p = malloc(n);

	if (!p)
		die("out of memory");
	memset(p, 'x', n);
	return p;
}

/* ---- modes ----------------------------------------------------------- */

static int mode_sink(uint16_t port)
{
	int lfd = b_listen(port, 16, false), fd;
	char *buf = xmalloc(IO_BUF);
	uint64_t bytes = 0, t0 = 0, t1;
	ssize_t n;

	fd = wait_accept(lfd, ACCEPT_WAIT_MS);
	for (;;) {
		n = read(fd, buf, IO_BUF);
		if (n < 0 && errno == EINTR && !stop)
			continue;
		if (n <= 0)
			break;
		if (!bytes)
			t0 = now_ns();
		bytes += (uint64_t)n;
	}
	t1 = now_ns();
	if (n < 0)
		note("read: %s (after %llu bytes)", strerror(errno),
		     (unsigned long long)bytes);
	close(fd);
	close(lfd);
	if (!bytes || t1 <= t0)
		die("no data received");
	printf("RESULT mode=sink bytes=%llu seconds=%.3f gbps=%.3f "
	       "complete=%d\n",
	       (unsigned long long)bytes, secs(t1 - t0),
	       (double)bytes * 8 / secs(t1 - t0) / 1e9, n == 0);
	return 0;
}

static int mode_source(struct in_addr host, uint16_t port, long seconds)
{
	int fd = b_connect(host, port, false), err = 0;
	char *buf = xmalloc(SOURCE_WRITE);
	uint64_t bytes = 0, t0, end, t1;
	ssize_t n;

	if (fd < 0)
		die("connect: %s", err_name(fd));
	t0 = now_ns();
	end = t0 + (uint64_t)seconds * 1000000000u;
	while (!stop && now_ns() < end) {
		n = write(fd, buf, SOURCE_WRITE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			break;
		}
		bytes += (uint64_t)n;
	}
	if (err)
		die("write: %s after %llu bytes", strerror(err),
		    (unsigned long long)bytes);
	/* Everything written has arrived once the sink closes. */
	shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (poll(&p, 1, 30000) <= 0) {
			note("no EOF from the sink within 30 s");
			break;
		}
		n = read(fd, buf, SOURCE_WRITE);
		if (n <= 0)
			break;
	}
	t1 = now_ns();
	close(fd);
	printf("RESULT mode=source bytes=%llu seconds=%.3f gbps=%.3f\n",
	       (unsigned long long)bytes, secs(t1 - t0),
	       (double)bytes * 8 / secs(t1 - t0) / 1e9);
	return 0;
}

static int mode_echo(uint16_t port)
{
	int lfd = b_listen(port, 16, true);
	char *buf = xmalloc(IO_BUF);

	while (!stop) {
		int fd = wait_accept(lfd, INT_MAX);
		ssize_t n;

		if (kernel) {
			int one = 1;

			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof(one));
		}
		while ((n = read(fd, buf, IO_BUF)) > 0)
			if (write_all(fd, buf, (size_t)n) < 0)
				break;
		close(fd);
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int mode_rr(struct in_addr host, uint16_t port, long count, long size)
{
	int fd = b_connect(host, port, true), err;
	char *buf = xmalloc((size_t)size);
	uint64_t *lat = calloc((size_t)count, sizeof(*lat)), sum = 0;
	long i, done = 0, vcsw = 0, ivcsw = 0;
	struct rusage ru;

	if (!lat)
		die("out of memory");
	if (fd < 0)
		die("connect: %s", err_name(fd));
	for (i = -RR_WARMUP; i < count && !stop; i++) {
		uint64_t t0 = now_ns();

		if (i == 0 && getrusage(RUSAGE_SELF, &ru) == 0) {
			vcsw = -ru.ru_nvcsw;
			ivcsw = -ru.ru_nivcsw;
		}

		err = write_all(fd, buf, (size_t)size);
		if (!err)
			err = read_all(fd, buf, (size_t)size);
		if (err)
			die("round trip %ld: %s", i, strerror(-err));
		if (i >= 0) {
			lat[i] = now_ns() - t0;
			sum += lat[i];
			done++;
		}
	}
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		vcsw += ru.ru_nvcsw;
		ivcsw += ru.ru_nivcsw;
	}
	close(fd);
	if (!done)
		die("no round trip");
	qsort(lat, (size_t)done, sizeof(*lat), cmp_u64);
	/* csw, icsw: this process's voluntary (it blocked) and involuntary
	 * (preempted) context switches per round trip */
	printf("RESULT mode=rr size=%ld count=%ld mean_us=%.1f p50_us=%.1f "
	       "p99_us=%.1f min_us=%.1f csw=%.2f icsw=%.2f\n",
	       size, done, (double)sum / (double)done / 1e3,
	       (double)lat[done / 2] / 1e3,
	       (double)lat[(done * 99) / 100] / 1e3, (double)lat[0] / 1e3,
	       (double)vcsw / (double)done, (double)ivcsw / (double)done);
	return 0;
}

static int mode_connect_rate(struct in_addr host, uint16_t port, long seconds)
{
	uint64_t ok = 0, errors = 0, t0 = now_ns(), end, t1;
	int first_err = 0;

	end = t0 + (uint64_t)seconds * 1000000000u;
	while (!stop && now_ns() < end) {
		int fd = b_connect(host, port, false);

		if (fd < 0) {
			if (!first_err) {
				first_err = fd;
				note("connect: %s", err_name(fd));
			}
			errors++;
			continue;
		}
		close(fd);
		ok++;
	}
	t1 = now_ns();
	printf("RESULT mode=connect-rate ok=%llu errors=%llu seconds=%.3f "
	       "per_s=%.0f first_error=%s\n",
	       (unsigned long long)ok, (unsigned long long)errors,
	       secs(t1 - t0), (double)ok / secs(t1 - t0),
	       first_err ? err_name(first_err) : "none");
	return 0;
}

static int mode_accept_rate(uint16_t port, long max_seconds)
{
	int lfd = b_listen(port, 4096, false);
	uint64_t n = 0, errors = 0, first = 0, last = 0;
	uint64_t start = now_ns(),
		 end = start + (uint64_t)max_seconds * 1000000000u;

	while (!stop && now_ns() < end) {
		struct pollfd p = {.fd = lfd, .events = POLLIN};
		int r = poll(&p, 1, n ? 1000 : 200);

		if (r == 0 && n)
			break; /* a second without a connection: done */
		for (;;) {
			int fd = b_accept(lfd, true);

			if (fd == -EAGAIN || fd == -EINTR)
				break;
			if (fd < 0) {
				if (!errors++)
					note("accept: %s", err_name(fd));
				if (fd == -EMFILE || fd == -ENFILE)
					break;
				continue;
			}
			close(fd);
			last = now_ns();
			if (!n++)
				first = last;
		}
	}
	close(lfd);
	printf("RESULT mode=accept-rate accepted=%llu errors=%llu "
	       "seconds=%.3f per_s=%.0f\n",
	       (unsigned long long)n, (unsigned long long)errors,
	       n > 1 ? secs(last - first) : 0.0,
	       n > 1 ? (double)(n - 1) / secs(last - first) : 0.0);
	return 0;
}

/* Writes up to `bytes` on fd without blocking for long: a socket that
 * takes nothing for IDLE_WRITE_WAIT_MS is left. Returns what it took. */
#define IDLE_WRITE_WAIT_MS 100
static long long idle_write(int fd, long long bytes)
{
	static const char junk[4096];
	long long done = 0;

	while (done < bytes && !stop) {
		size_t len = (size_t)(bytes - done) < sizeof(junk)
				 ? (size_t)(bytes - done)
				 : sizeof(junk);
		ssize_t n = send(fd, junk, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		struct pollfd p = {.fd = fd, .events = POLLOUT};

		if (n > 0) {
			done += n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR)
			break;
		if (poll(&p, 1, IDLE_WRITE_WAIT_MS) == 0)
			break;
	}
	return done;
}

static int mode_idle(struct in_addr host, uint16_t port, long count,
		     long long bytes)
{
	int *fds = calloc((size_t)count, sizeof(*fds)), first_err = 0;
	struct pollfd *p = calloc((size_t)count, sizeof(*p));
	long ok = 0, errors = 0, dead = 0, i;
	long long written = 0;
	uint64_t t0 = now_ns(), t1;

	if (!fds || !p)
		die("out of memory");
	raise_fd_limit();
	for (i = 0; i < count && !stop; i++) {
		int fd = b_connect(host, port, false);

		if (fd < 0) {
			if (!first_err) {
				first_err = fd;
				note("connection %ld: %s", i, err_name(fd));
			}
			errors++;
			continue;
		}
		fds[ok++] = fd;
	}
	t1 = now_ns();
	for (i = 0; i < ok && bytes > 0; i++)
		written += idle_write(fds[i], bytes);
	/* A second later each must still be open: no EOF, no error byte,
	 * no reset or hang-up (data the peer sent may be waiting). */
	sleep(1);
	for (i = 0; i < ok; i++)
		p[i] = (struct pollfd){.fd = fds[i],
				       .events = POLLRDHUP | POLLPRI};
	if (ok && poll(p, (nfds_t)ok, 0) > 0)
		for (i = 0; i < ok; i++)
			if (p[i].revents)
				dead++;
	printf("RESULT mode=idle wanted=%ld ok=%ld errors=%ld closed=%ld "
	       "open=%ld connect_seconds=%.3f written=%lld first_error=%s\n",
	       count, ok, errors, dead, ok - dead, secs(t1 - t0), written,
	       first_err ? err_name(first_err) : "none");
	fflush(stdout);
	while (!stop)
		pause();
	for (i = 0; i < ok; i++)
		close(fds[i]);
	return 0;
}

static int mode_hold(uint16_t port)
{
	int lfd, cap = 1024, *fds = malloc((size_t)cap * sizeof(*fds));
	long n = 0, errors = 0, i;

	if (!fds)
		die("out of memory");
	raise_fd_limit();
	lfd = b_listen(port, 4096, false);
	while (!stop) {
		struct pollfd p = {.fd = lfd, .events = POLLIN};

		if (poll(&p, 1, 1000) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (;;) {
			int fd = b_accept(lfd, true);

			if (fd == -EAGAIN || fd == -EINTR)
				break;
			if (fd < 0) {
				if (!errors++)
					note("accept: %s", err_name(fd));
				if (fd == -EMFILE || fd == -ENFILE)
					break;
				continue;
			}
			if (n == cap) {
				int *m = realloc(fds, (size_t)cap * 2 *
							  sizeof(*fds));

				if (!m)
					die("out of memory");
				fds = m;
				cap *= 2;
			}
			fds[n++] = fd;
		}
	}
	printf("RESULT mode=hold accepted=%ld errors=%ld\n", n, errors);
	for (i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
		"usage: utcp-bench [-k [-C ALGO]] [-S PATH] MODE ARGS...\n"
		"  sink PORT | source HOST PORT SECONDS | echo PORT |\n"
		"  rr HOST PORT COUNT SIZE | connect-rate HOST PORT SECONDS |\n"
		"  accept-rate PORT [SECONDS] | idle HOST PORT N [BYTES] | "
		"hold PORT\n"
		"  -k: kernel sockets instead of utcpd's\n"
		"  -C ALGO: the kernel's congestion control for connects\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "+kC:S:h")) != -1) {
		switch (opt) {
		case 'k':
			kernel = true;
			break;
		case 'C':
			congestion = optarg;
			break;
		case 'S':
			socket_path = optarg;
			break;
		default:
			usage();
		}
	}
	argv += optind;
	argc -= optind;
	if (argc < 1)
		usage();
	mode = argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);
	setup_signals();

#define NARGS(n)                                                               \
	do {                                                                   \
		if (argc != (n) + 1)                                           \
			usage();                                               \
	} while (0)
	if (!strcmp(mode, "sink")) {
		NARGS(1);
		return mode_sink(parse_port(argv[1]));
	} else if (!strcmp(mode, "source")) {
		NARGS(3);
		return mode_source(parse_host(argv[1]), parse_port(argv[2]),
				   parse_num(argv[3], 1, 3600, "seconds"));
	} else if (!strcmp(mode, "echo")) {
		NARGS(1);
		return mode_echo(parse_port(argv[1]));
	} else if (!strcmp(mode, "rr")) {
		NARGS(4);
		return mode_rr(parse_host(argv[1]), parse_port(argv[2]),
			       parse_num(argv[3], 1, 100000000, "count"),
			       parse_num(argv[4], 1, 16 << 20, "size"));
	} else if (!strcmp(mode, "connect-rate")) {
		NARGS(3);
		return mode_connect_rate(
		    parse_host(argv[1]), parse_port(argv[2]),
		    parse_num(argv[3], 1, 3600, "seconds"));
	} else if (!strcmp(mode, "accept-rate")) {
		if (argc != 2 && argc != 3)
			usage();
		return mode_accept_rate(
		    parse_port(argv[1]),
		    argc == 3 ? parse_num(argv[2], 1, 3600, "seconds") : 60);
	} else if (!strcmp(mode, "idle")) {
		if (argc != 4 && argc != 5)
			usage();
		return mode_idle(
		    parse_host(argv[1]), parse_port(argv[2]),
		    parse_num(argv[3], 1, 1000000, "count"),
		    argc == 5 ? parse_num(argv[4], 0, 1 << 30, "bytes") : 0);
	} else if (!strcmp(mode, "hold")) {
		NARGS(1);
		return mode_hold(parse_port(argv[1]));
	}
	usage();
}
