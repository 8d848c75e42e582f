/*
 * preload_names.c - utcp-run: getaddrinfo, gethostbyname and
 * gethostbyname2 (and their _r forms) ask utcpd's stub resolver;
 * getnameinfo and gethostbyaddr (and its _r form) look nothing up
 *
 * See preload.c's theory of operation, "Names".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preload.h"

static int (*real_getaddrinfo)(const char *, const char *,
			       const struct addrinfo *, struct addrinfo **);
static void (*real_freeaddrinfo)(struct addrinfo *);
static struct hostent *(*real_gethostbyname)(const char *);
static int (*real_gethostbyname_r)(const char *, struct hostent *, char *,
				   size_t, struct hostent **, int *);
static struct hostent *(*real_gethostbyname2)(const char *, int);
static int (*real_gethostbyname2_r)(const char *, int, struct hostent *, char *,
				    size_t, struct hostent **, int *);
static int (*real_getnameinfo)(const struct sockaddr *, socklen_t, char *,
			       socklen_t, char *, socklen_t, int);
static struct hostent *(*real_gethostbyaddr)(const void *, socklen_t, int);
static int (*real_gethostbyaddr_r)(const void *, socklen_t, int,
				   struct hostent *, char *, size_t,
				   struct hostent **, int *);

void preload_names_init(void)
{
	real_getaddrinfo = next_symbol("getaddrinfo");
	real_freeaddrinfo = next_symbol("freeaddrinfo");
	real_gethostbyname = next_symbol("gethostbyname");
	real_gethostbyname_r = next_symbol("gethostbyname_r");
	real_gethostbyname2 = next_symbol("gethostbyname2");
	real_gethostbyname2_r = next_symbol("gethostbyname2_r");
	real_getnameinfo = next_symbol("getnameinfo");
	real_gethostbyaddr = next_symbol("gethostbyaddr");
	real_gethostbyaddr_r = next_symbol("gethostbyaddr_r");
}

/* Whether name is an address the C library parses without a lookup. */
static bool numeric(const char *name)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, name, &a4) == 1 ||
	       inet_pton(AF_INET6, name, &a6) == 1 || inet_aton(name, &a4) != 0;
}

/* One result entry: the template's socket type and port, the address. */
static struct addrinfo *clone_entry(const struct addrinfo *t,
				    const struct utcp_dns_addr *a)
{
	struct {
		struct addrinfo ai;
		struct sockaddr_in6 sa; /* room for either family */
	} *n = calloc(1, sizeof(*n));
	uint16_t port;

	if (!n)
		return NULL;
	port = ((const struct sockaddr_in *)t->ai_addr)->sin_port;
	n->ai = *t;
	n->ai.ai_next = NULL;
	n->ai.ai_canonname = NULL;
	n->ai.ai_addr = (struct sockaddr *)&n->sa;
	n->ai.ai_family = a->family;
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&n->sa;

		sin->sin_family = AF_INET;
		sin->sin_port = port;
		sin->sin_addr = a->addr.v4;
		n->ai.ai_addrlen = sizeof(*sin);
	} else {
		n->sa.sin6_family = AF_INET6;
		n->sa.sin6_port = port;
		n->sa.sin6_addr = a->addr.v6;
		n->ai.ai_addrlen = sizeof(n->sa);
	}
	return &n->ai;
}

void freeaddrinfo(struct addrinfo *ai)
{
	PRELOAD_READY();
	/* The C library's entries and ours are made alike: one block per
	 * entry, its canonical name apart. */
	while (ai) {
		struct addrinfo *next = ai->ai_next;

		free(ai->ai_canonname);
		free(ai);
		ai = next;
	}
}

int getaddrinfo(const char *node, const char *service,
		const struct addrinfo *hints, struct addrinfo **res)
{
	PRELOAD_READY();
	struct addrinfo th = {.ai_family = AF_INET}, *tmpl = NULL, *head = NULL;
	struct addrinfo **tail = &head;
	struct utcp_lookup *l = NULL;
	int family = hints ? hints->ai_family : AF_UNSPEC, ret, err;
	struct utcp *u;

	if (!node || numeric(node) ||
	    (hints && (hints->ai_flags & AI_NUMERICHOST)))
		return real_getaddrinfo(node, service, hints, res);
	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
		return EAI_FAMILY;
	/* The service and socket types, from the C library. */
	if (hints) {
		th.ai_socktype = hints->ai_socktype;
		th.ai_protocol = hints->ai_protocol;
		th.ai_flags = hints->ai_flags & AI_NUMERICSERV;
	}
	th.ai_flags |= AI_NUMERICHOST;
	ret = real_getaddrinfo("0.0.0.0", service, &th, &tmpl);
	if (ret)
		return ret;
	u = get_handle(&err);
	if (!u) {
		ret = EAI_AGAIN;
		goto out;
	}
	ret =
	    utcp_resolve(u, node, family == AF_INET6 ? AF_INET6 : AF_INET, &l);
	if (ret)
		goto out;
	for (size_t i = 0; i < l->n; i++) {
		if (family == AF_INET6 ? l->addrs[i].family != AF_INET6
				       : l->addrs[i].family != AF_INET)
			continue;
		for (struct addrinfo *t = tmpl; t; t = t->ai_next) {
			*tail = clone_entry(t, &l->addrs[i]);
			if (!*tail) {
				ret = EAI_MEMORY;
				goto out;
			}
			tail = &(*tail)->ai_next;
		}
	}
	if (!head) {
		ret = EAI_NODATA;
		goto out;
	}
	if (hints && (hints->ai_flags & AI_CANONNAME)) {
		head->ai_canonname = strdup(l->name[0] ? l->name : node);
		if (!head->ai_canonname) {
			ret = EAI_MEMORY;
			goto out;
		}
	}
	*res = head;
	head = NULL;
out:
	freeaddrinfo(head);
	real_freeaddrinfo(tmpl);
	utcp_lookup_free(l);
	return ret;
}

/* Fills *h in buf for gethostbyname2_r(): the pointers (aligned), the
 * addresses of `family` (AF_INET or AF_INET6), the name. Returns 0,
 * ENOENT (not found, *h_err says why), EAGAIN or ERANGE. */
static int fill_hostent(const char *name, int family, struct hostent *h,
			char *buf, size_t buflen, int *h_err)
{
	size_t alen = family == AF_INET ? sizeof(struct in_addr)
					: sizeof(struct in6_addr);
	struct utcp_lookup *l = NULL;
	size_t n = 0, k = 0, need, namelen, pad;
	char **ptrs, *addrs, *nm;
	struct utcp *u;
	int ret, err;

	u = get_handle(&err);
	if (!u) {
		*h_err = TRY_AGAIN;
		return EAGAIN;
	}
	ret = utcp_resolve(u, name, family, &l);
	if (ret) {
		*h_err = ret == EAI_NONAME   ? HOST_NOT_FOUND
			 : ret == EAI_NODATA ? NO_DATA
			 : ret == EAI_FAIL   ? NO_RECOVERY
					     : TRY_AGAIN;
		return ret == EAI_AGAIN ? EAGAIN : ENOENT;
	}
	for (size_t i = 0; i < l->n; i++)
		n += l->addrs[i].family == family;
	if (n == 0) {
		utcp_lookup_free(l);
		*h_err = NO_DATA;
		return ENOENT;
	}
	namelen = strlen(l->name[0] ? l->name : name) + 1;
	pad =
	    (sizeof(char *) - (uintptr_t)buf % sizeof(char *)) % sizeof(char *);
	/* addresses, NULL; the aliases' NULL */
	need = pad + (n + 2) * sizeof(char *) + n * alen + namelen;
	if (buflen < need) {
		utcp_lookup_free(l);
		*h_err = NETDB_INTERNAL;
		return ERANGE;
	}
	ptrs = (char **)(void *)(buf + pad);
	addrs = (char *)(ptrs + n + 2);
	nm = addrs + n * alen;
	for (size_t i = 0; i < l->n; i++) {
		if (l->addrs[i].family != family)
			continue;
		memcpy(addrs + k * alen, &l->addrs[i].addr, alen);
		ptrs[k] = addrs + k * alen;
		k++;
	}
	ptrs[n] = NULL;
	ptrs[n + 1] = NULL;
	memcpy(nm, l->name[0] ? l->name : name, namelen);
	h->h_name = nm;
	h->h_aliases = ptrs + n + 1;
	h->h_addrtype = family;
	h->h_length = (int)alen;
	h->h_addr_list = ptrs;
	utcp_lookup_free(l);
	*h_err = 0;
	return 0;
}

int gethostbyname2_r(const char *name, int family, struct hostent *h, char *buf,
		     size_t buflen, struct hostent **result, int *h_err)
{
	PRELOAD_READY();
	int ret;

	if (!name || numeric(name) || (family != AF_INET && family != AF_INET6))
		return real_gethostbyname2_r(name, family, h, buf, buflen,
					     result, h_err);
	ret = fill_hostent(name, family, h, buf, buflen, h_err);
	*result = ret ? NULL : h;
	return ret == ENOENT ? 0 : ret; /* not found: 0 with NULL */
}

int gethostbyname_r(const char *name, struct hostent *h, char *buf,
		    size_t buflen, struct hostent **result, int *h_err)
{
	PRELOAD_READY();
	if (!name || numeric(name))
		return real_gethostbyname_r(name, h, buf, buflen, result,
					    h_err);
	return gethostbyname2_r(name, AF_INET, h, buf, buflen, result, h_err);
}

struct hostent *gethostbyname2(const char *name, int family)
{
	PRELOAD_READY();
	static struct hostent h;
	/* the most addresses, IPv6, their pointers, the longest name */
	static char buf[UTCP_RESOLVE_ADDRS_MAX * (16 + sizeof(char *)) + 512];
	struct hostent *res;
	int err;

	if (!name || numeric(name) || (family != AF_INET && family != AF_INET6))
		return real_gethostbyname2(name, family);
	gethostbyname2_r(name, family, &h, buf, sizeof(buf), &res, &err);
	h_errno = err;
	return res;
}

struct hostent *gethostbyname(const char *name)
{
	PRELOAD_READY();
	if (!name || numeric(name))
		return real_gethostbyname(name);
	return gethostbyname2(name, AF_INET);
}

/* ---- reverse lookups ---------------------------------------------------- */

/*
 * The daemon answers no PTR question, and the C library's reverse
 * lookup would send one over the kernel's UDP (past the daemon): an
 * IPv4 or IPv6 address's host is always given in numeric form, and
 * NI_NAMEREQD (a name or nothing) fails with EAI_NONAME, as for an
 * address without a name. The service is the C library's (the
 * services database, or the number with NI_NUMERICSERV).
 */
int getnameinfo(const struct sockaddr *__restrict sa, socklen_t salen,
		char *__restrict host, socklen_t hostlen, char *__restrict serv,
		socklen_t servlen, int flags)
{
	PRELOAD_READY();
	int ret;

	if (!sa || salen < sizeof(sa->sa_family) ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) || !host ||
	    hostlen == 0 || (flags & NI_NUMERICHOST))
		return real_getnameinfo(sa, salen, host, hostlen, serv, servlen,
					flags);
	ret = real_getnameinfo(sa, salen, host, hostlen, serv, servlen,
			       (flags & ~NI_NAMEREQD) | NI_NUMERICHOST);
	if (ret == 0 && (flags & NI_NAMEREQD)) {
		host[0] = 0;
		return EAI_NONAME;
	}
	return ret;
}

/* gethostbyaddr_r(): no reverse lookup (above): HOST_NOT_FOUND for an
 * IPv4 or IPv6 address, the C library's answer for anything else. */
int gethostbyaddr_r(const void *__restrict addr, socklen_t len, int type,
		    struct hostent *__restrict h, char *__restrict buf,
		    size_t buflen, struct hostent **__restrict result,
		    int *__restrict h_err)
{
	PRELOAD_READY();
	if (type != AF_INET && type != AF_INET6)
		return real_gethostbyaddr_r(addr, len, type, h, buf, buflen,
					    result, h_err);
	*result = NULL;
	*h_err = HOST_NOT_FOUND;
	h_errno = HOST_NOT_FOUND; /* the C library sets both */
	return 0;
}

/* gethostbyaddr(): as gethostbyaddr_r(), with h_errno. */
struct hostent *gethostbyaddr(const void *addr, socklen_t len, int type)
{
	PRELOAD_READY();
	if (type != AF_INET && type != AF_INET6)
		return real_gethostbyaddr(addr, len, type);
	h_errno = HOST_NOT_FOUND;
	return NULL;
}
