/*
 * helper_common.h - what the integration tests' libutcp programs share:
 * dying with a message, reaching the daemon, parsing arguments.
 *
 * Define HELPER_NAME (the program's name, for messages) before
 * including it; the program sets sock_path from its options.
 */
#ifndef UTCP_HELPER_COMMON_H
#define UTCP_HELPER_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "utcp.h"

static const char *sock_path;

static void __attribute__((noreturn)) die(const char *fmt, ...)
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

static struct in_addr parse_host(const char *s)
{
	struct in_addr a;

	if (utcp_parse_addr(s, &a) != 0)
		die("bad address %s", s);
	return a;
}

static unsigned long parse_num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		die("bad number %s", s);
	return v;
}

#endif
