/*
 * dns_hostile_helper.c - libutcp clients of the DNS tests: one that
 * takes all the lookups it may and holds them, and one that looks a
 * name up with the non-blocking calls an event loop would use
 *
 *   dns_hostile_helper [-S PATH] hold DOMAIN MAX
 *       Over one control connection, starts lookups (utcp_resolve_start,
 *       AF_INET) of h1.DOMAIN, h2.DOMAIN, ... until one is refused or
 *       MAX were accepted; prints "accepted N refused CODE" (CODE the
 *       EAI_* name of the refusal, "none" when none was refused) and
 *       "pending P" (P of the N descriptors have no answer yet), then
 *       sleeps until killed, holding them: its exit is the client's
 *       disconnection.
 *   dns_hostile_helper [-S PATH] resolve NAME
 *       Looks NAME up for AF_INET with utcp_resolve_start(), poll() and
 *       utcp_resolve_finish(), and prints "CANONICAL SOURCE ADDRESS..."
 *       or "error CODE".
 *
 * Every other failure is a message on stderr and exit status 1.
 */
#define _GNU_SOURCE
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HELPER_NAME "dns_hostile_helper"
#include "helper_common.h"

/* The EAI_* name of a getaddrinfo() code. */
static const char *eai_name(int code)
{
	switch (code) {
	case EAI_NONAME:
		return "EAI_NONAME";
	case EAI_NODATA:
		return "EAI_NODATA";
	case EAI_AGAIN:
		return "EAI_AGAIN";
	case EAI_FAIL:
		return "EAI_FAIL";
	case EAI_FAMILY:
		return "EAI_FAMILY";
	case EAI_MEMORY:
		return "EAI_MEMORY";
	case EAI_INPROGRESS:
		return "EAI_INPROGRESS";
	case EAI_SYSTEM:
		return "EAI_SYSTEM";
	default:
		return "EAI_OTHER";
	}
}

static int cmd_hold(int argc, char **argv)
{
	const char *refusal = "none";
	unsigned long max, accepted = 0, pending = 0;
	struct utcp *u;
	int *fds;

	if (argc != 2)
		die("usage: hold DOMAIN MAX");
	max = parse_num(argv[1], 4096);
	fds = calloc(max ? max : 1, sizeof(*fds));
	if (!fds)
		die("out of memory");
	u = open_daemon();
	while (accepted < max) {
		char name[256];
		int err;

		snprintf(name, sizeof(name), "h%lu.%s", accepted + 1, argv[0]);
		err = utcp_resolve_start(u, name, AF_INET, &fds[accepted]);
		if (err != 0) {
			refusal = eai_name(err);
			break;
		}
		accepted++;
	}
	for (unsigned long i = 0; i < accepted; i++) {
		struct pollfd pfd = {.fd = fds[i], .events = POLLIN};

		if (poll(&pfd, 1, 0) == 0)
			pending++;
	}
	printf("accepted %lu refused %s\npending %lu\n", accepted, refusal,
	       pending);
	fflush(stdout);
	for (;;)
		pause();
}

static int cmd_resolve(int argc, char **argv)
{
	struct pollfd pfd = {.events = POLLIN};
	struct utcp_lookup *l = NULL;
	struct utcp *u;
	int err, fd;

	if (argc != 1)
		die("usage: resolve NAME");
	u = open_daemon();
	err = utcp_resolve_start(u, argv[0], AF_INET, &fd);
	if (err != 0) {
		printf("error %s\n", eai_name(err));
		utcp_close(u);
		return 0;
	}
	pfd.fd = fd;
	for (;;) {
		if (poll(&pfd, 1, UTCP_RESOLVE_TIMEOUT_MS) != 1)
			die("no answer within %d ms", UTCP_RESOLVE_TIMEOUT_MS);
		err = utcp_resolve_finish(fd, &l);
		if (err != EAI_INPROGRESS)
			break;
	}
	if (err != 0) {
		printf("error %s\n", eai_name(err));
	} else {
		printf("%s %s", l->name, utcp_dns_source_name(l->source));
		for (size_t i = 0; i < l->n; i++) {
			char buf[INET6_ADDRSTRLEN];

			inet_ntop(l->addrs[i].family, &l->addrs[i].addr, buf,
				  sizeof(buf));
			printf(" %s", buf);
		}
		printf("\n");
	}
	utcp_lookup_free(l);
	utcp_close(u);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct helper_cmd cmds[] = {
	    {"hold", cmd_hold},
	    {"resolve", cmd_resolve},
	};

	return helper_main(argc, argv, cmds, sizeof(cmds) / sizeof(cmds[0]));
}
