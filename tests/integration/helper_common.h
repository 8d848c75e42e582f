/*
 * helper_common.h - what the integration tests' libutcp programs share:
 * dying with a message, reaching the daemon, parsing arguments, and
 * main()'s choice of a command (helper_main).
 *
 * Define HELPER_NAME (the program's name, for messages) before
 * including it; the program sets sock_path from its options.
 */
#ifndef UTCP_HELPER_COMMON_H
#define UTCP_HELPER_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utcp.h"

static const char *sock_path;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fputs(HELPER_NAME ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static struct utcp *open_daemon(void)
{
	int err;
	struct utcp *u = utcp_open(sock_path, &err);

	if (!u)
		die("cannot reach utcpd: %s", utcp_strerror(err));
	return u;
}

static inline struct in_addr parse_host(const char *s)
{
	struct in_addr a;

	if (utcp_parse_addr(s, &a) != 0)
		die("bad address %s", s);
	return a;
}

static inline unsigned long parse_num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		die("bad number %s", s);
	return v;
}

/* A blocking connect to HOST PORT (argv[0], argv[1]) with `opts`
 * (NULL: none), 10 s at most; fills *info when not NULL. Dies when it
 * fails. */
static inline int connect_args(struct utcp *u, char **argv,
			       const struct utcp_tcp_opts *opts,
			       struct utcp_tcp_info *info)
{
	int fd = utcp_tcp_connect(u, parse_host(argv[0]),
				  (uint16_t)parse_num(argv[1], 65535), 10000,
				  opts, 0, info);

	if (fd < 0)
		die("connect: %s", utcp_strerror(fd));
	return fd;
}

/* One command of a helper: its name, and what runs it with the
 * arguments after the name. */
struct helper_cmd {
	const char *name;
	int (*fn)(int, char **);
};

/* A helper's main(): `[-S PATH] COMMAND ARGS...` runs the command of
 * cmds (n of them) named COMMAND, with SIGPIPE ignored. */
static int helper_main(int argc, char **argv, const struct helper_cmd *cmds,
		       size_t n)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 3 && strcmp(argv[1], "-S") == 0) {
		sock_path = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		die("usage: " HELPER_NAME " [-S PATH] COMMAND ARGS...");
	for (size_t i = 0; i < n; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 2, argv + 2);
	die("unknown command %s", argv[1]);
}

#endif
