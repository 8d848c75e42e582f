/*
 * notify.c - the service manager's readiness protocol (notify.h)
 *
 * Theory of operation. One process-wide state, as the log's: the
 * address taken from NOTIFY_SOCKET once at start (a filesystem path, or
 * with '@' an abstract name, the '@' becoming the leading NUL), one
 * unconnected datagram socket (non-blocking, close-on-exec), and what
 * was sent last. Each message is one sendto(); nothing is queued or
 * retried: the manager reads its socket as it goes, and a message lost
 * (a full socket buffer) is followed by the next state change.
 *
 * What the daemon says, and when:
 *
 *   READY=1   once, the first time every interface is configured (a
 *             static address set, or a DHCP lease bound): netconf.c's
 *             check_ready() calls notify_status_update() right after
 *             the lease's report, so READY never precedes the bind. A
 *             lease lost later does not take readiness back (the
 *             protocol has no way to): STATUS says "waiting for a
 *             lease" again;
 *   STATUS=   each interface's state, whenever it changes (a lease
 *             bound or lost), in the datagram of READY=1 the first time;
 *   STOPPING=1  when SIGTERM or SIGINT begins the shutdown (main.c),
 *             with STATUS=stopping, the last STATUS sent (the leases
 *             released on the way out are not news);
 *   WATCHDOG=1  every WATCHDOG_USEC / 2 from a libev timer, when the
 *             manager asks for it (WATCHDOG_USEC set, and WATCHDOG_PID
 *             unset or this process's pid). The timer runs in the loop:
 *             a loop that hangs stops the pings, which is the point.
 */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "netconf.h"
#include "utcpd.h"

/* Longest STATUS line kept (per interface about 50 bytes). */
#define NOTIFY_STATUS_MAX 1024

static struct {
	int fd;
	struct sockaddr_un addr;
	socklen_t addr_len;
	bool failed_logged;
	bool ready_sent;
	bool stopping; /* notify_stopping() ran: no more STATUS */
	char status[NOTIFY_STATUS_MAX];
	uint64_t watchdog_usec;
	ev_timer watchdog;
} notify_state = {.fd = -1};

int notify_open(void)
{
	const char *e = getenv("NOTIFY_SOCKET");
	const char *wd = getenv("WATCHDOG_USEC");
	const char *wd_pid = getenv("WATCHDOG_PID");
	size_t len;
	int fd;

	notify_close();
	notify_state.watchdog_usec = 0;
	if (wd && *wd) {
		char *end;
		unsigned long long usec = strtoull(wd, &end, 10);
		bool mine = true;

		if (wd_pid && *wd_pid) {
			char *pend;
			long pid = strtol(wd_pid, &pend, 10);

			mine = *pend == '\0' && pid == (long)getpid();
		}
		if (*end == '\0' && usec > 0 && mine)
			notify_state.watchdog_usec = usec;
	}
	if (!e || !*e)
		return 0;
	len = strlen(e);
	memset(&notify_state.addr, 0, sizeof(notify_state.addr));
	notify_state.addr.sun_family = AF_UNIX;
	if ((e[0] != '/' && e[0] != '@') ||
	    len >= sizeof(notify_state.addr.sun_path)) {
		log_msg(LOG_WARNING,
			"NOTIFY_SOCKET \"%s\": not an absolute path or an "
			"@abstract name that fits; not notifying",
			e);
		notify_state.watchdog_usec = 0;
		return -EINVAL;
	}
	memcpy(notify_state.addr.sun_path, e, len);
	if (e[0] == '@')
		notify_state.addr.sun_path[0] = '\0';
	/* An abstract name's length is the address's; a path ends with
	 * its NUL. */
	notify_state.addr_len =
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
			(e[0] == '@' ? 0 : 1));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		int ret = -errno;

		log_msg(LOG_WARNING,
			"NOTIFY_SOCKET: socket: %m; not notifying");
		notify_state.watchdog_usec = 0;
		return ret;
	}
	notify_state.fd = fd;
	notify_state.failed_logged = false;
	notify_state.ready_sent = false;
	notify_state.stopping = false;
	notify_state.status[0] = '\0';
	return 0;
}

void notify_close(void)
{
	if (notify_state.fd >= 0)
		close(notify_state.fd);
	notify_state.fd = -1;
}

bool notify_enabled(void)
{
	return notify_state.fd >= 0;
}

int notify_send(const char *msg)
{
	ssize_t n;

	if (notify_state.fd < 0)
		return -ENOTCONN;
	n = sendto(notify_state.fd, msg, strlen(msg), MSG_NOSIGNAL,
		   (const struct sockaddr *)&notify_state.addr,
		   notify_state.addr_len);
	if (n >= 0)
		return 0;
	n = -errno;
	if (!notify_state.failed_logged) {
		notify_state.failed_logged = true;
		log_msg(LOG_WARNING,
			"NOTIFY_SOCKET: %s; this and later notifications "
			"are lost (not logged again)",
			strerror((int)-n));
	}
	return (int)n;
}

void notify_reload(bool begin)
{
	struct timespec ts;
	char msg[64];

	if (!notify_state.ready_sent)
		return;
	if (!begin) {
		(void)notify_send("READY=1");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ull +
		     (unsigned long long)ts.tv_nsec / 1000u);
	(void)notify_send(msg);
}

char *notify_status_format(const struct daemon *d, char *buf, size_t len)
{
	const struct netconf *nc = d->netconf;
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; nc && i < nc->nifs && i < d->cfg->nifs; i++) {
		const struct netconf_if *nif = &nc->ifs[i];
		const char *name = d->cfg->ifs[i].name;
		uint32_t a = nif->addr;
		int n;

		if (nif->configured)
			n = snprintf(buf + used, len - used,
				     "%s%s %u.%u.%u.%u/%u (%s)", i ? ", " : "",
				     name, a >> 24, (a >> 16) & 0xff,
				     (a >> 8) & 0xff, a & 0xff,
				     (unsigned)nif->prefix_len,
				     nif->dhcp ? "dhcp" : "static");
		else
			n = snprintf(buf + used, len - used,
				     "%s%s waiting for a lease", i ? ", " : "",
				     name);
		if (n < 0 || (size_t)n >= len - used)
			break; /* cut: the lines that fit */
		used += (size_t)n;
	}
	return buf;
}

void notify_status_update(struct daemon *d)
{
	char status[NOTIFY_STATUS_MAX];
	char msg[NOTIFY_STATUS_MAX + 32];
	bool ready =
	    d->netconf && d->netconf->ready && !notify_state.ready_sent;

	if (notify_state.fd < 0 || notify_state.stopping)
		return;
	notify_status_format(d, status, sizeof(status));
	if (!ready && strcmp(status, notify_state.status) == 0)
		return;
	snprintf(msg, sizeof(msg), "%sSTATUS=%s", ready ? "READY=1\n" : "",
		 status);
	if (notify_send(msg) < 0)
		return;
	if (ready)
		notify_state.ready_sent = true;
	snprintf(notify_state.status, sizeof(notify_state.status), "%s",
		 status);
}

void notify_stopping(void)
{
	(void)notify_send("STOPPING=1\nSTATUS=stopping");
	notify_state.stopping = true;
}

uint64_t notify_watchdog_usec(void)
{
	return notify_state.fd >= 0 ? notify_state.watchdog_usec : 0;
}

static void watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)notify_send("WATCHDOG=1");
}

void notify_watchdog_start(struct ev_loop *loop)
{
	double every = (double)notify_watchdog_usec() / 2e6;

	if (every <= 0)
		return;
	ev_timer_init(&notify_state.watchdog, watchdog_cb, every, every);
	ev_timer_start(loop, &notify_state.watchdog);
	log_msg(LOG_INFO, "watchdog: WATCHDOG=1 every %.3f s", every);
}

void notify_watchdog_stop(struct ev_loop *loop)
{
	if (ev_is_active(&notify_state.watchdog))
		ev_timer_stop(loop, &notify_state.watchdog);
}
