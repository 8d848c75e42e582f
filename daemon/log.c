/*
 * log.c - the daemon's log: stderr, syslog or a file
 *
 * One process-wide log state: the target, the level, and for a file its
 * descriptor and path. A message is formatted once into a bounded
 * buffer (LOG_LINE_MAX, longer messages are cut) and written with a
 * single write(2), so lines from one process never interleave. stderr
 * and file lines carry the local time to the millisecond and the level
 * name; syslog adds its own. Before log_open() and after log_close()
 * the target is stderr at LOG_INFO.
 *
 * Priorities for the journal: with `log_priority_prefix = yes`, or with
 * `auto` (the default) when stderr is the journal's stream (systemd
 * sets JOURNAL_STREAM to its "device:inode"), each stderr line starts
 * with "<N>", N its syslog priority (<3> err ... <7> debug), which
 * journald strips and files the line under; the rest of the line is
 * unchanged.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

#define LOG_LINE_MAX 1024

static struct {
	enum log_target target;
	int level;
	int fd; /* LOG_TARGET_FILE */
	char path[CONFIG_PATH_MAX * 4];
	log_hook_fn *hook; /* remote syslog */
	void *hook_arg;
	bool prefix; /* "<N>" before each stderr line */
} log_state = {LOG_TARGET_STDERR, LOG_INFO, -1, "", NULL, NULL, false};

static const char *const level_names[] = {
    [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert",     [LOG_CRIT] = "crit",
    [LOG_ERR] = "err",	   [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
    [LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
};

static int log_file_open(const char *path)
{
	int fd = open(
	    path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);

	return fd < 0 ? -errno : fd;
}

bool log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	if (!js || sscanf(js, "%llu:%llu%c", &dev, &ino, &end) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

/* Whether stderr lines start with "<N>" under cfg's log_priority_prefix. */
static bool log_wants_prefix(const struct config *cfg)
{
	return cfg->log_prefix == LOG_PREFIX_YES ||
	       (cfg->log_prefix == LOG_PREFIX_AUTO && log_stderr_is_journal());
}

int log_open(const struct config *cfg)
{
	int fd;

	log_close();
	log_state.level = cfg->log_level;
	log_state.prefix = log_wants_prefix(cfg);
	switch (cfg->log_target) {
	case LOG_TARGET_STDERR:
		break;
	case LOG_TARGET_SYSLOG:
		openlog("utcpd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_state.target = LOG_TARGET_SYSLOG;
		break;
	case LOG_TARGET_FILE:
		fd = log_file_open(cfg->log_file);
		if (fd < 0) {
			log_msg(LOG_ERR, "log file %s: %s", cfg->log_file,
				strerror(-fd));
			return fd;
		}
		snprintf(log_state.path, sizeof(log_state.path), "%s",
			 cfg->log_file);
		log_state.fd = fd;
		log_state.target = LOG_TARGET_FILE;
		break;
	}
	return 0;
}

int log_reconfigure(const struct config *cfg)
{
	int fd = -1;

	log_state.prefix = log_wants_prefix(cfg);
	if (cfg->log_target == log_state.target &&
	    (cfg->log_target != LOG_TARGET_FILE ||
	     strcmp(cfg->log_file, log_state.path) == 0)) {
		log_state.level = cfg->log_level;
		return 0;
	}
	if (cfg->log_target == LOG_TARGET_FILE) {
		fd = log_file_open(cfg->log_file);
		if (fd < 0) {
			log_msg(LOG_ERR,
				"log file %s: %s: the log stays as it is",
				cfg->log_file, strerror(-fd));
			return fd;
		}
	}
	log_close();
	log_state.level = cfg->log_level;
	if (cfg->log_target == LOG_TARGET_SYSLOG) {
		openlog("utcpd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_state.target = LOG_TARGET_SYSLOG;
	} else if (cfg->log_target == LOG_TARGET_FILE) {
		snprintf(log_state.path, sizeof(log_state.path), "%s",
			 cfg->log_file);
		log_state.fd = fd;
		log_state.target = LOG_TARGET_FILE;
	}
	return 0;
}

void log_reopen(void)
{
	int fd;

	if (log_state.target != LOG_TARGET_FILE)
		return;
	fd = log_file_open(log_state.path);
	if (fd < 0) {
		log_msg(LOG_ERR, "reopening log file %s: %s", log_state.path,
			strerror(-fd));
		return;
	}
	close(log_state.fd);
	log_state.fd = fd;
	log_msg(LOG_INFO, "log file reopened");
}

void log_close(void)
{
	if (log_state.target == LOG_TARGET_FILE)
		close(log_state.fd);
	else if (log_state.target == LOG_TARGET_SYSLOG)
		closelog();
	log_state.fd = -1;
	log_state.target = LOG_TARGET_STDERR;
}

void log_set_hook(log_hook_fn *hook, void *arg)
{
	log_state.hook = hook;
	log_state.hook_arg = arg;
}

void log_msg(int priority, const char *fmt, ...)
{
	int saved_errno = errno;
	char line[LOG_LINE_MAX];
	size_t len = 0, msg_start;
	va_list ap;
	int fd, n;

	if (priority < LOG_EMERG || priority > LOG_DEBUG)
		priority = LOG_ERR;
	if (priority > log_state.level)
		goto out;

	if (log_state.target != LOG_TARGET_SYSLOG) {
		struct timespec ts;
		struct tm tm;

		if (log_state.prefix && log_state.target == LOG_TARGET_STDERR)
			len = (size_t)snprintf(line, sizeof(line), "<%d>",
					       priority);
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		len += strftime(line + len, sizeof(line) - len,
				"%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(line + len, sizeof(line) - len,
			     ".%03ld %s: ", ts.tv_nsec / 1000000,
			     level_names[priority]);
		len += n > 0 ? (size_t)n : 0;
	}

	msg_start = len;
	errno = saved_errno; /* for %m */
	va_start(ap, fmt);
	n = vsnprintf(line + len, sizeof(line) - len - 1, fmt, ap);
	va_end(ap);
	if (n > 0)
		len += (size_t)n < sizeof(line) - len - 1
			   ? (size_t)n
			   : sizeof(line) - len - 2;
	while (len > 0 && line[len - 1] == '\n')
		len--;
	if (log_state.hook && len >= msg_start) {
		line[len] = '\0';
		log_state.hook(log_state.hook_arg, priority, line + msg_start);
	}

	if (log_state.target == LOG_TARGET_SYSLOG) {
		line[len] = '\0';
		syslog(priority, "%s", line);
		goto out;
	}
	line[len++] = '\n';
	fd = log_state.target == LOG_TARGET_FILE ? log_state.fd : STDERR_FILENO;
	/* A log that cannot be written has nowhere to report it. */
	if (write(fd, line, len) < 0)
		(void)0;
out:
	errno = saved_errno;
}
