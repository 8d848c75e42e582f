/*
 * utcpctl_ping.c - `utcpctl ping`: ICMP echo through the daemon's stack
 *
 *     utcpctl ping [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [-s SIZE]
 *                  [-I IFACE] [-j|--json] HOST
 *
 * Theory of operation. HOST is an IPv4 address, or a name looked up
 * through the daemon's stub resolver (utcp_resolve, A records: the
 * first address). Each echo is one PING request (utcp_ping): the daemon's
 * stack sends it and the request returns with the reply, an error about
 * it, or its timeout. Echoes go one at a time: echo N+1 leaves at its
 * interval after echo N left, or when echo N ended if that is later. An
 * echo is waited for until the next one is due (at most -W); the last
 * for -W (default 10 s, as ping waits for stragglers). Sequence numbers
 * count from 1, as ping's icmp_seq.
 *
 * The output is iputils ping's: a header line, one line per reply
 * ("64 bytes from A: icmp_seq=N ttl=T time=X ms") or error ("From A
 * icmp_seq=N Destination Host Unreachable"), nothing for an echo that
 * timed out, and a summary (transmitted, received, errors, % loss, the
 * run's time; rtt min/avg/max/mdev over the replies). With --json, one
 * object at the end holding every echo and the summary (utcpctl(8)).
 * Without -c it runs until SIGINT. SIGINT or SIGTERM ends the run at
 * once, as with ping: the echo in flight counts as lost (transmitted,
 * not received), and the summary follows. The two signals are blocked
 * but in the waits (utcp_ping_pwait's and the sleep's, ppoll with the
 * mask from before), so one that comes between the test of the flag
 * and a wait ends that wait instead of being missed. Exit status as
 * ping's: 0 when any reply came, 1 when none did, 2 for a bad command
 * line or a name that does not resolve.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <net/if.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "utcpctl.h"

#define PING_DEFAULT_SIZE	 56u
#define PING_DEFAULT_INTERVAL_MS 1000u
#define PING_DEFAULT_TIMEOUT_MS	 10000u
#define PING_INTERVAL_MIN_MS	 1u	/* root's floor with iputils is 2 ms */
#define PING_ECHOES_KEPT	 65536u /* for --json: echoes kept, at most */

static volatile sig_atomic_t interrupted;

static void on_stop_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Sleeps until mono_ms() reaches t, or a stop signal (let in by
 * `waitmask` only while it sleeps). */
static void sleep_until(uint64_t t, const sigset_t *waitmask)
{
	uint64_t now;

	while (!interrupted && (now = mono_ms()) < t) {
		struct timespec ts = {.tv_sec = (time_t)((t - now) / 1000),
				      .tv_nsec =
					  (long)((t - now) % 1000) * 1000000};

		if (ppoll(NULL, 0, &ts, waitmask) < 0 && errno != EINTR)
			return;
	}
}

/* Seconds as "1", "0.2" into milliseconds in [lo, hi]; -1 when it is
 * not a number in range. */
static long parse_seconds(const char *s, long lo, long hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v * 1000 > (double)hi)
		return -1;
	if ((long)(v * 1000 + 0.5) < lo)
		return -1;
	return (long)(v * 1000 + 0.5);
}

/* What an error that came back says, in ping's words. */
static const char *unreachable_text(int status)
{
	switch (status) {
	case -EHOSTUNREACH:
		return "Destination Host Unreachable";
	case -ENETUNREACH:
		return "Destination Net Unreachable";
	case -ECONNREFUSED:
		return "Destination Port Unreachable";
	case -ENOPROTOOPT:
		return "Destination Protocol Unreachable";
	default:
		return strerror(-status);
	}
}

/* The JSON name of an echo's end. */
static const char *status_name(int status)
{
	switch (status) {
	case 0:
		return "reply";
	case -ETIMEDOUT:
		return "timeout";
	case -EHOSTUNREACH:
		return "host-unreachable";
	case -ENETUNREACH:
		return "net-unreachable";
	case -ECONNREFUSED:
		return "port-unreachable";
	case -ENOPROTOOPT:
		return "protocol-unreachable";
	default:
		return "error";
	}
}

/* HOST as an address: a literal, or the daemon's answer for the name.
 * Returns 0, or 2 after saying why on stderr. */
static int host_address(struct utcp *u, const char *host, struct in_addr *out)
{
	struct utcp_lookup *l;
	int err;

	if (inet_pton(AF_INET, host, out) == 1)
		return 0;
	err = utcp_resolve(u, host, AF_INET, &l);
	if (err) {
		fprintf(stderr, "utcpctl: ping: %s: %s\n", host,
			gai_strerror(err));
		return 2;
	}
	*out = l->addrs[0].addr.v4;
	utcp_lookup_free(l);
	return 0;
}

struct echo {
	uint16_t seq;
	struct utcp_ping_result r;
	bool sent; /* false: refused before it left (r.status says why) */
};

struct run {
	unsigned long transmitted, received, errors;
	double min, max, sum, sum2; /* ms, over the replies */
	struct echo *echoes;	    /* for --json */
	size_t n, cap;
};

static void run_add(struct run *run, const struct echo *e, bool json)
{
	run->transmitted++;
	if (e->r.status == 0) {
		double ms = (double)e->r.rtt_ns / 1e6;

		if (run->received == 0 || ms < run->min)
			run->min = ms;
		if (run->received == 0 || ms > run->max)
			run->max = ms;
		run->sum += ms;
		run->sum2 += ms * ms;
		run->received++;
	} else if (e->r.status != -ETIMEDOUT) {
		run->errors++;
	}
	if (!json || run->n >= PING_ECHOES_KEPT)
		return;
	if (run->n == run->cap) {
		size_t cap = run->cap ? run->cap * 2 : 64;
		struct echo *p = realloc(run->echoes, cap * sizeof(*p));

		if (!p)
			return;
		run->echoes = p;
		run->cap = cap;
	}
	run->echoes[run->n++] = *e;
}

static void echo_text(const struct echo *e, const char *host)
{
	char a[INET_ADDRSTRLEN];

	if (e->r.status == 0)
		printf("%u bytes from %s: icmp_seq=%u ttl=%u time=%.3f ms\n",
		       e->r.size + 8u, addr_str(e->r.from, a), e->seq, e->r.ttl,
		       (double)e->r.rtt_ns / 1e6);
	else if (!e->sent)
		fprintf(stderr, "utcpctl: ping: %s: icmp_seq=%u: %s\n", host,
			e->seq, strerror(-e->r.status));
	else if (e->r.status != -ETIMEDOUT)
		printf("From %s icmp_seq=%u %s\n", addr_str(e->r.from, a),
		       e->seq, unreachable_text(e->r.status));
	fflush(stdout);
}

/* The summary's figures: % loss, and the mean and mean deviation of
 * the replies' times (with none, both 0). */
static double run_loss(const struct run *run)
{
	return run->transmitted
		   ? 100.0 * (double)(run->transmitted - run->received) /
			 (double)run->transmitted
		   : 0.0;
}

static void run_rtt(const struct run *run, double *avg, double *mdev)
{
	double var;

	*avg = *mdev = 0.0;
	if (!run->received)
		return;
	*avg = run->sum / (double)run->received;
	var = run->sum2 / (double)run->received - *avg * *avg;
	*mdev = var > 0 ? sqrt(var) : 0.0;
}

static void summary_text(const struct run *run, const char *host,
			 uint64_t time_ms)
{
	double avg, mdev;

	printf("\n--- %s ping statistics ---\n", host);
	printf("%lu packets transmitted, %lu received, ", run->transmitted,
	       run->received);
	if (run->errors)
		printf("+%lu errors, ", run->errors);
	printf("%g%% packet loss, time %llums\n", run_loss(run),
	       (unsigned long long)time_ms);
	run_rtt(run, &avg, &mdev);
	if (run->received)
		printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n",
		       run->min, avg, run->max, mdev);
}

static void summary_json(const struct run *run, const char *host,
			 struct in_addr dst, unsigned size, uint64_t time_ms)
{
	char a[INET_ADDRSTRLEN];
	double avg, mdev;

	fputs("{\"host\": ", stdout);
	json_string(host);
	printf(", \"address\": \"%s\", \"size\": %u, \"echoes\": [",
	       addr_str(dst, a), size);
	for (size_t i = 0; i < run->n; i++) {
		const struct echo *e = &run->echoes[i];
		bool reply = e->r.status == 0;

		printf("%s{\"seq\": %u, \"status\": \"%s\", \"error\": ",
		       i ? ", " : "", e->seq, status_name(e->r.status));
		if (reply || e->r.status == -ETIMEDOUT)
			fputs("null", stdout);
		else
			json_string(strerror(-e->r.status));
		fputs(", \"from\": ", stdout);
		json_addr(e->sent && e->r.status != -ETIMEDOUT, e->r.from);
		if (reply)
			printf(", \"bytes\": %u, \"ttl\": %u, \"time_ms\": "
			       "%.3f}",
			       e->r.size + 8u, e->r.ttl,
			       (double)e->r.rtt_ns / 1e6);
		else
			fputs(", \"bytes\": null, \"ttl\": null, \"time_ms\": "
			      "null}",
			      stdout);
	}
	printf("], \"transmitted\": %lu, \"received\": %lu, \"errors\": %lu, "
	       "\"loss_percent\": %g, \"time_ms\": %llu",
	       run->transmitted, run->received, run->errors, run_loss(run),
	       (unsigned long long)time_ms);
	run_rtt(run, &avg, &mdev);
	if (run->received) {
		printf(", \"rtt_min_ms\": %.3f, \"rtt_avg_ms\": %.3f, "
		       "\"rtt_max_ms\": %.3f, \"rtt_mdev_ms\": %.3f}\n",
		       run->min, avg, run->max, mdev);
	} else {
		fputs(", \"rtt_min_ms\": null, \"rtt_avg_ms\": null, "
		      "\"rtt_max_ms\": null, \"rtt_mdev_ms\": null}\n",
		      stdout);
	}
}

int cmd_ping(const char *path, bool json, int argc, char **argv)
{
	long count = -1, interval = PING_DEFAULT_INTERVAL_MS,
	     timeout = PING_DEFAULT_TIMEOUT_MS, size = PING_DEFAULT_SIZE;
	const char *host = NULL, *iface = NULL;
	struct sigaction sa = {.sa_handler = on_stop_signal};
	sigset_t stop_signals, waitmask;
	struct utcp_ping p = {.ifindex = -1};
	struct run run = {0};
	uint64_t start, next;
	struct utcp *u;
	int status;
	char a[INET_ADDRSTRLEN];

	for (int i = 0; i < argc; i++) {
		const char *opt = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(opt, "-j") == 0 || strcmp(opt, "--json") == 0) {
			json = true;
			continue;
		}
		if (opt[0] != '-') {
			if (host)
				return usage_error(
				    "ping: unexpected argument '%s'", opt);
			host = opt;
			continue;
		}
		if (strlen(opt) != 2 || !strchr("ciWsI", opt[1]))
			return usage_error("ping: unknown option '%s'", opt);
		if (!val)
			return usage_error("ping: %s needs a value", opt);
		i++;
		switch (opt[1]) {
		case 'c':
			count = parse_whole(val, 1, 1000000000L);
			if (count < 0)
				return usage_error(
				    "ping: -c takes a count of 1 or more");
			break;
		case 'i':
			interval =
			    parse_seconds(val, PING_INTERVAL_MIN_MS, 3600000L);
			if (interval < 0)
				return usage_error(
				    "ping: -i takes seconds, 0.001 to 3600");
			break;
		case 'W':
			timeout =
			    parse_seconds(val, 1, UTCP_PING_TIMEOUT_MAX_MS);
			if (timeout < 0)
				return usage_error(
				    "ping: -W takes seconds, 0.001 to 600");
			break;
		case 's':
			size = parse_whole(val, 0, UTCP_PING_SIZE_MAX);
			if (size < 0)
				return usage_error(
				    "ping: -s takes bytes, 0 to %u",
				    UTCP_PING_SIZE_MAX);
			break;
		default: /* 'I' */
			iface = val;
			break;
		}
	}
	if (!host)
		return usage_error("ping: a host is needed");
	u = open_daemon(path);
	if (!u)
		return 1;
	status = host_address(u, host, &p.dst);
	if (status == 0 && iface &&
	    (p.ifindex = iface_index(u, "ping", iface)) < 0)
		status = 2;
	if (status) {
		utcp_close(u);
		return status;
	}
	p.size = (uint16_t)size;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop_signals, &waitmask);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!json) {
		printf("PING %s (%s) %ld(%ld) bytes of data.\n", host,
		       addr_str(p.dst, a), size, size + 28);
		fflush(stdout);
	}
	start = next = mono_ms();
	for (long seq = 1; !interrupted && (count < 0 || seq <= count); seq++) {
		bool last = count >= 0 && seq == count;
		uint64_t now = mono_ms(), wait;
		struct echo e = {.seq = (uint16_t)seq, .sent = true};
		int err;

		next += (uint64_t)interval;
		wait = last || next <= now ? (uint64_t)timeout : next - now;
		p.seq = e.seq;
		p.timeout_ms =
		    (uint32_t)(wait < (uint64_t)timeout ? (wait ? wait : 1)
							: (uint64_t)timeout);
		err = utcp_ping_pwait(u, &p, &e.r, &waitmask);
		if (err == -EINTR) {
			/* stopped while it was out: lost, as ping counts it */
			e.r = (struct utcp_ping_result){.status = -ETIMEDOUT};
			run_add(&run, &e, json);
			break;
		}
		if (err) {
			fprintf(stderr, "utcpctl: ping: %s\n",
				utcp_strerror(err));
			utcp_close(u);
			free(run.echoes);
			return 1;
		}
		e.sent = e.r.status == 0 || e.r.from.s_addr != 0 ||
			 e.r.status == -ETIMEDOUT;
		run_add(&run, &e, json);
		if (!json)
			echo_text(&e, host);
		if (!last)
			sleep_until(next, &waitmask);
	}
	utcp_close(u);
	if (json)
		summary_json(&run, host, p.dst, (unsigned)size,
			     mono_ms() - start);
	else
		summary_text(&run, host, mono_ms() - start);
	free(run.echoes);
	return flush_stdout(run.received ? 0 : 1);
}
