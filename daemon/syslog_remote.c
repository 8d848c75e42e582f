/*
 * syslog_remote.c - the daemon's log lines to a syslog server, through
 * its own stack (syslog_remote.h)
 *
 * A ring of SYSLOG_REMOTE_QUEUE_MAX formatted lines between the log's
 * hook, which may run anywhere, and the end of the loop's turn, where
 * the stack may be entered. The socket is the stack's, connected to
 * the server, bound to no address: the stack picks the source address
 * of the interface its route leaves by.
 */
#include "syslog_remote.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"
#include "netconf.h"
#include "utcpd.h"

size_t syslog_remote_format(char *buf, size_t cap, int priority,
			    const struct timespec *wall, const char *hostname,
			    int pid, const char *msg)
{
	struct tm tm;
	int n;

	if (cap == 0)
		return 0;
	if (priority < LOG_EMERG || priority > LOG_DEBUG)
		priority = LOG_ERR;
	gmtime_r(&wall->tv_sec, &tm);
	n = snprintf(buf, cap,
		     "<%d>1 %04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s utcpd %d "
		     "- - %s",
		     SYSLOG_FACILITY_DAEMON * 8 + priority, tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, wall->tv_nsec / 1000000,
		     hostname[0] ? hostname : "-", pid, msg);
	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

void syslog_remote_start(struct syslog_remote *sr, const char *hostname,
			 int pid)
{
	memset(sr, 0, sizeof(*sr));
	sr->sock = -1;
	snprintf(sr->hostname, sizeof(sr->hostname), "%s", hostname);
	sr->pid = pid;
	log_set_hook(syslog_remote_log, sr);
}

void syslog_remote_log(void *arg, int priority, const char *msg)
{
	struct syslog_remote *sr = arg;
	struct timespec now;
	unsigned slot;

	if (!sr->active || sr->sending)
		return;
	if (sr->count == SYSLOG_REMOTE_QUEUE_MAX) {
		sr->dropped++;
		return;
	}
	slot = (sr->head + sr->count) % SYSLOG_REMOTE_QUEUE_MAX;
	clock_gettime(CLOCK_REALTIME, &now);
	sr->lens[slot] = (uint16_t)syslog_remote_format(
	    sr->lines[slot], SYSLOG_REMOTE_LINE_MAX, priority, &now,
	    sr->hostname, sr->pid, msg);
	sr->count++;
}

static void pop_line(struct syslog_remote *sr)
{
	sr->head = (sr->head + 1) % SYSLOG_REMOTE_QUEUE_MAX;
	sr->count--;
}

static void close_socket(struct daemon *d, struct syslog_remote *sr)
{
	if (sr->sock >= 0)
		udp_socket_close(d->stack, sr->sock);
	sr->sock = -1;
	sr->dst = 0;
	sr->port = 0;
}

bool syslog_remote_follow(struct daemon *d)
{
	struct syslog_remote *sr = d->syslog;
	uint32_t dst;
	uint16_t port;

	if (!sr)
		return false;
	if (!d->netconf || !netconf_log_server(d->netconf, &dst, &port)) {
		sr->active = false;
		sr->dropped += sr->count;
		sr->count = 0;
		close_socket(d, sr);
		return false;
	}
	sr->active = true;
	return true;
}

bool syslog_remote_flush(struct daemon *d)
{
	struct syslog_remote *sr = d->syslog;
	uint32_t dst = 0;
	uint16_t port = 0;
	bool sent = false;
	uint64_t now;

	if (!syslog_remote_follow(d))
		return false;
	netconf_log_server(d->netconf, &dst, &port);
	if (sr->sock >= 0 && (sr->dst != dst || sr->port != port))
		close_socket(d, sr);
	if (sr->sock < 0) {
		int sock = udp_socket_open(d->stack, 0, 0, dst, port);

		if (sock < 0)
			return false; /* no route yet: lines wait */
		sr->sock = sock;
		sr->dst = dst;
		sr->port = port;
	}
	now = daemon_now();
	sr->sending = true;
	while (sr->count) {
		int rc = udp_send(d->stack, now, sr->sock, 0, 0,
				  sr->lines[sr->head], sr->lens[sr->head]);

		if (rc == -ENOBUFS)
			break; /* no buffer: next turn */
		if (rc < 0)
			sr->dropped++;
		else
			sr->sent++;
		sent = true;
		pop_line(sr);
	}
	sr->sending = false;
	return sent;
}

void syslog_remote_stop(struct daemon *d)
{
	struct syslog_remote *sr = d->syslog;

	if (!sr)
		return;
	log_set_hook(NULL, NULL);
	close_socket(d, sr);
	sr->active = false;
	sr->dropped += sr->count;
	sr->count = 0;
	if (sr->sent || sr->dropped)
		log_msg(LOG_INFO,
			"remote syslog: %llu lines sent, %llu dropped",
			(unsigned long long)sr->sent,
			(unsigned long long)sr->dropped);
}
