/*
 * control_dns.c - RESOLVE (control_dns.h)
 *
 * Theory of operation. Each RESOLVE gets a socketpair(AF_UNIX,
 * SOCK_SEQPACKET) and one struct control_lookup: the daemon's end of
 * the pair and the resolver's lookup id, on its client's list
 * (c->lookups). The lookup goes to the resolver with the client's
 * serial as its owner (so [dns] client_lookups_max is per client) and
 * the struct as its cookie; the reply carries the other end to the
 * application. When the resolver hands the result back
 * (control_dns_on_result(), at the end of a turn, possibly the turn of
 * the request itself: localhost, hosts, the cache), it is encoded as
 * one packet (docs/ipc.md, RESOLVE), sent without blocking on the
 * daemon's end, and that end is closed: the application's descriptor
 * turns readable with the packet, then EOF. A client that goes cancels
 * its lookups (control_dns_client_gone()): no result will come for
 * them.
 *
 * The daemon watches its end for reading while the lookup is pending:
 * it turns readable when the application closed its descriptor (EOF),
 * which gives the lookup up (cancelled in the resolver, so it no
 * longer counts against the client's or the daemon's limit), or when
 * the application wrote into it, which it must not: that gives the
 * lookup up too, and nothing is read.
 */
#define _GNU_SOURCE
#include "control_dns.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "resolver.h"

_Static_assert(IPC_RESOLVE_WANT_A == DNS_WANT_A &&
		   IPC_RESOLVE_WANT_AAAA == DNS_WANT_AAAA &&
		   IPC_RESOLVE_WANT_ALL == DNS_WANT_ALL,
	       "the families wanted travel as they are");
_Static_assert(IPC_RESOLVE_ADDRS_MAX >= DNS_ADDRS_MAX,
	       "a result's addresses fit the packet");
_Static_assert(sizeof(((struct dns_result *)0)->name) <= IPC_DNAME_MAX + 1,
	       "a result's name fits the packet");
#define SAME_DNS_STATUS(id, name)                                              \
	_Static_assert((int)DNS_##id == (int)IPC_DNS_##id, #id);
#define SAME_DNS_SOURCE(id, name)                                              \
	_Static_assert((int)DNS_SRC_##id == (int)IPC_DNS_SRC_##id, #id);
DNS_STATUSES(SAME_DNS_STATUS)
DNS_SOURCES(SAME_DNS_SOURCE)
_Static_assert((int)DNS_STATUS_COUNT == (int)IPC_DNS_STATUS_COUNT, "statuses");
_Static_assert((int)DNS_SOURCE_COUNT == (int)IPC_DNS_SRC_COUNT, "sources");

/* One lookup in flight for a client. */
struct control_lookup {
	struct control_lookup *prev, *next; /* in client->lookups */
	struct control_client *client;
	int id;	       /* the resolver's */
	int fd;	       /* the daemon's end */
	ev_io watcher; /* fd readable: the application gave it up */
};

static void lookup_unlink_free(struct control_lookup *l)
{
	struct control_client *c = l->client;

	ev_io_stop(c->ctl->d->loop, &l->watcher);
	if (l->prev)
		l->prev->next = l->next;
	else
		c->lookups = l->next;
	if (l->next)
		l->next->prev = l->prev;
	close(l->fd);
	free(l);
}

/* The application closed its end (or wrote into it): the lookup is
 * given up. */
static void abandoned_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control_lookup *l = w->data;

	(void)loop;
	(void)revents;
	resolver_cancel(l->client->ctl->d, l->id);
	lookup_unlink_free(l);
}

/* Queues the RESOLVE reply: status and id, with fd when status is 0. */
static void reply(struct control_client *c, const struct ipc_msg *m, int status,
		  int id, int fd)
{
	struct ipc_resolve_reply r = {.status = status, .id = id};
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	int len;

	len = ipc_encode_resolve_reply(buf, sizeof(buf), c->version, m->id, &r);
	if (len > 0)
		control_client_queue(c, buf, len, fd);
	else if (fd >= 0)
		close(fd); /* cannot happen: the lookup's result is lost */
}

int control_dns_resolve(struct control_client *c, const struct ipc_msg *m)
{
	struct daemon *d = c->ctl->d;
	struct ipc_resolve req;
	struct control_lookup *l;
	int pair[2], id, err = ipc_decode_resolve(m, &req);

	if (err)
		return err;
	l = calloc(1, sizeof(*l));
	if (!l) {
		reply(c, m, -ENOBUFS, -1, -1);
		return 0;
	}
	/* Both ends non-blocking: the application's is documented so, and
	 * the daemon only ever sends one packet without waiting. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       0, pair) < 0) {
		/* The daemon's descriptors are everybody's: its lookups are
		 * at their limit, as with lookups_max. */
		log_msg(LOG_WARNING, "control: client %u: RESOLVE: %s",
			c->serial, strerror(errno));
		free(l);
		reply(c, m, -ENOBUFS, -1, -1);
		return 0;
	}
	id = resolver_lookup(d, req.name, req.want, c->serial, l);
	if (id < 0) {
		close(pair[0]);
		close(pair[1]);
		free(l);
		reply(c, m, id, -1, -1);
		return 0;
	}
	l->client = c;
	l->id = id;
	l->fd = pair[0];
	l->next = c->lookups;
	if (c->lookups)
		c->lookups->prev = l;
	c->lookups = l;
	ev_io_init(&l->watcher, abandoned_cb, l->fd, EV_READ);
	l->watcher.data = l;
	ev_io_start(d->loop, &l->watcher);
	reply(c, m, 0, id, pair[1]);
	return 0;
}

/* Encodes res as the result packet into buf (IPC_RESOLVE_RESULT_MAX).
 * Returns its length or a negative errno. */
static int encode_result(const struct dns_result *res, uint8_t *buf, size_t cap)
{
	struct ipc_resolve_addr addrs[IPC_RESOLVE_ADDRS_MAX];
	struct ipc_resolve_result r = {
	    .id = res->lookup,
	    .status = (uint8_t)res->status,
	    .source = (uint8_t)res->source,
	    .server = res->server,
	    .server_port = res->server_port,
	};
	uint16_t n = res->status == DNS_OK ? res->naddrs : 0;

	if (n > IPC_RESOLVE_ADDRS_MAX)
		n = IPC_RESOLVE_ADDRS_MAX;
	r.naddrs = n;
	snprintf(r.name, sizeof(r.name), "%s", res->name);
	for (uint16_t i = 0; i < n; i++) {
		const struct dns_addr *a = &res->addrs[i];

		memset(&addrs[i], 0, sizeof(addrs[i]));
		addrs[i].family = a->family;
		addrs[i].ttl = a->ttl;
		memcpy(addrs[i].addr, a->addr, a->family == 4 ? 4 : 16);
	}
	return ipc_resolve_result_encode(buf, cap, &r, addrs);
}

void control_dns_on_result(struct daemon *d, const struct dns_result *res)
{
	uint8_t buf[IPC_RESOLVE_RESULT_MAX];
	struct control_lookup *l = res->cookie;
	int len;

	(void)d;
	if (!l)
		return;
	len = encode_result(res, buf, sizeof(buf));
	if (len < 0)
		log_msg(LOG_WARNING,
			"control: client %u: lookup %d: result not "
			"encodable (%s): dropped",
			l->client->serial, l->id, strerror(-len));
	/* The application may have closed its end: the packet is lost,
	 * and so is nothing else. */
	else if (send(l->fd, buf, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_msg(LOG_DEBUG, "control: client %u: lookup %d: %s",
			l->client->serial, l->id, strerror(errno));
	lookup_unlink_free(l);
}

void control_dns_client_gone(struct control_client *c)
{
	while (c->lookups) {
		resolver_cancel(c->ctl->d, c->lookups->id);
		lookup_unlink_free(c->lookups);
	}
}
