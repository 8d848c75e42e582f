/*
 * log.h - the daemon's log: stderr, syslog or a file
 *
 * Every message goes through log_msg() with a syslog priority (LOG_ERR,
 * LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG from <syslog.h>).
 * Messages less important than the configured log_level are dropped.
 * Until log_open() runs, messages go to stderr at level LOG_INFO, so
 * that errors while reading the configuration are never lost.
 *
 * Targets: stderr (each line stamped with the local time and the level),
 * syslog (ident "utcpd", facility daemon), or a file opened for append
 * and reopened by log_reopen() (SIGHUP, for logrotate). A message is one
 * line; a trailing newline in the format is not needed. A hook
 * (log_set_hook) sees every message too: remote syslog. stderr lines
 * start with "<N>" (the priority, for journald) when [daemon]
 * log_priority_prefix says so (log.c).
 */
#ifndef UTCPD_LOG_H
#define UTCPD_LOG_H

#include <stdbool.h>
#include <syslog.h>

struct config;

/* Switches the log to cfg's target and level. A log file that cannot be
 * opened is reported on stderr, and messages keep going to stderr.
 * Returns 0 or a negative errno (the file could not be opened). */
int log_open(const struct config *cfg);

/* Switches a running log to cfg's target, file and level (a reload):
 * the new target is opened before the old one is closed, and when it
 * cannot be, the error is logged and the old target and level stay.
 * Returns 0 or a negative errno. */
int log_reconfigure(const struct config *cfg);

/* True when stderr is the journal's stream: JOURNAL_STREAM holds its
 * "device:inode". */
bool log_stderr_is_journal(void);

/* Reopens the log file (no-op for stderr and syslog). On failure the
 * old file stays in use and the error is logged to it. */
void log_reopen(void);

/* Closes the log file or the syslog connection; later messages go to
 * stderr. */
void log_close(void);

/* Logs one message at `priority` (LOG_ERR ... LOG_DEBUG). Preserves
 * errno, so `log_msg(LOG_ERR, "...: %m")` works. */
void log_msg(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A function that sees every message logged (after the level check),
 * without the time stamp: remote syslog (syslog_remote.c). NULL: none.
 * It must not log itself. */
typedef void log_hook_fn(void *arg, int priority, const char *msg);
void log_set_hook(log_hook_fn *hook, void *arg);

#endif
