/*
 * syslog_remote.h - the daemon's log lines to a syslog server, through
 * its own stack
 *
 * When an interface's settings name a log server (a lease's option 7,
 * or the [daemon] log_server key, which wins; `none` turns it off: see
 * netconf_log_server()), every line the daemon logs also goes to that
 * server as RFC 5424 syslog over UDP (RFC 5426), sent by the daemon's
 * own stack from a UDP socket of its own:
 *
 *     <PRI>1 TIMESTAMP HOSTNAME utcpd PID - - MSG
 *
 * PRI is facility daemon (3) * 8 + the severity, TIMESTAMP UTC to the
 * millisecond, HOSTNAME the daemon's name.
 *
 * Lines are queued by the log's hook as they are logged (at most
 * SYSLOG_REMOTE_QUEUE_MAX; beyond, dropped and counted) and sent at the
 * end of the loop's turn (syslog_remote_flush(), loop.c), because the
 * stack is not to be entered from wherever a line is logged. Lines are
 * queued only while a server is known (an interface is configured and
 * has one); a line logged while the queue is being sent is not queued,
 * so sending can never feed itself. A send the stack cannot take now
 * (no buffer) stays queued for the next turn; any other error drops
 * the line (counted). While the server's (or router's) MAC is being
 * resolved, the stack holds at most arp_hold_max frames for it and
 * drops the oldest beyond (arp_hold_drop_full): a burst of more lines
 * than that in the first moments loses its first lines.
 */
#ifndef UTCPD_SYSLOG_REMOTE_H
#define UTCPD_SYSLOG_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SYSLOG_REMOTE_QUEUE_MAX 64
#define SYSLOG_REMOTE_LINE_MAX	1024 /* bytes of one datagram, at most */
#define SYSLOG_FACILITY_DAEMON	3

struct daemon;

struct syslog_remote {
	char lines[SYSLOG_REMOTE_QUEUE_MAX][SYSLOG_REMOTE_LINE_MAX];
	uint16_t lens[SYSLOG_REMOTE_QUEUE_MAX];
	unsigned head, count;
	bool active;  /* a server is known: lines are queued */
	bool sending; /* in syslog_remote_flush(): lines are not queued */
	int sock;     /* the stack's UDP socket, -1: none */
	uint32_t dst; /* where sock is connected */
	uint16_t port;
	char hostname[64];
	int pid;
	uint64_t sent, dropped;
};

/*
 * Writes one RFC 5424 line to buf (at most cap - 1 bytes, NUL ended;
 * a long message is cut): priority is a syslog severity (LOG_ERR ...),
 * wall the wall-clock time. Returns the length. Pure.
 */
size_t syslog_remote_format(char *buf, size_t cap, int priority,
			    const struct timespec *wall, const char *hostname,
			    int pid, const char *msg);

/* Sets sr up (nothing queued, no socket) and hooks it to the log. */
void syslog_remote_start(struct syslog_remote *sr, const char *hostname,
			 int pid);

/* Queues one logged line (the log's hook). */
void syslog_remote_log(void *sr, int priority, const char *msg);

/*
 * Follows the log server of d->netconf: lines are queued from now on
 * when there is one; when there is none any more, the queue is emptied
 * (counted as dropped) and the socket closed. netconf.c calls it as
 * soon as a lease changes the settings, so the lines about that lease
 * already go. Returns true when a server is known.
 */
bool syslog_remote_follow(struct daemon *d);

/*
 * Once per round of the end of a turn: follows the log server
 * (syslog_remote_follow(), opening or moving the socket) and sends the
 * queued lines through the stack. Returns true when it sent any (frames
 * to drain).
 */
bool syslog_remote_flush(struct daemon *d);

/* Unhooks sr from the log, closes its socket (d->stack) and logs how
 * many lines were sent and dropped. */
void syslog_remote_stop(struct daemon *d);

#endif
