/*
 * control_limits.c - fair shares of the control socket
 *
 * Theory of operation. Every limit of the control server exists three
 * times: in all (the server's, or the stack's own table), per client
 * (one control connection, a process's analogue) and per uid (the
 * peer's SO_PEERCRED uid, a user's analogue), so that one client at its
 * limit never stops another, and one uid never stops another uid:
 *
 *   kind                  in all                 per client / per uid
 *   control connections   clients_max: EUSERS    -  / clients_per_uid: EUSERS
 *   UDP sockets           udp_sockets_max: ENFILE  udp_per_*: EMFILE
 *   TCP listeners         listeners_max: ENFILE    listeners_per_*: EMFILE
 *   TCP connections       connections_max: ENFILE  connections_per_*: EMFILE
 *
 * as Linux answers EMFILE at a process's descriptor limit and ENFILE at
 * the system's. The last CONTROL_CLIENTS_ROOT_RESERVED control
 * connections are uid 0's (control.c), as Linux lets root past
 * file-max, so utcpctl run by root gets in while other uids hold every
 * other slot; per-uid limits do not bind uid 0 (Linux's per-user limits
 * do not bind a process with CAP_SYS_RESOURCE).
 *
 * A struct control_account counts what one client or one uid holds.
 * Accounts are reference counted: the client holds its own and its
 * uid's, and every object charged to them (a UDP socket, a listener, a
 * TCP connection) holds both, because a TCP connection outlives the
 * control connection that made it (control_tcp.c) and a listener's
 * accepted connections are charged to the listener's owner. When a
 * client goes its account is marked gone: what it left behind still
 * counts against its uid, no longer against a client. Uid accounts are
 * in a short list (one per uid with something open).
 *
 * Privileged ports: a local port below 1024 (UDP_OPEN's, TCP_LISTEN's,
 * TCP_CONNECT's explicit one) needs uid 0 or the configured group, as
 * binding one needs CAP_NET_BIND_SERVICE; otherwise -EACCES. Listening
 * (TCP_LISTEN, any port) may be limited to listen_groups: a client in
 * none of them gets -EACCES, as Linux answers a bind() it does not
 * allow; uid 0 always may. Both are decided at each request, from the
 * client's groups as the kernel gave them at connect (SO_PEERCRED's
 * gid, SO_PEERGROUPS) and the rules in ctl->limits as they are then,
 * so rules swapped in at run time bind every client from its next
 * request on.
 *
 * Descriptors: each TCP connection costs the daemon one descriptor
 * (its end of the socketpair), so the global connection limit is
 * bounded by RLIMIT_NOFILE; control_limits_fit() raises the soft limit
 * to the hard one and lowers connections_max to what is left once
 * everything else the daemon may hold at its limits is set aside
 * (control_fds_reserved(): control connections, the descriptors in
 * their reply queues, UDP sockets, listeners). At connections_max a
 * connect is refused with ENFILE before any descriptor is made, so the
 * daemon never meets EMFILE itself.
 */
#define _GNU_SOURCE
#include "control_limits.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control_tcp.h"
#include "log.h"

/* Descriptors kept for what is counted nowhere else: descriptors
 * received with a request (closed at once), a log reopened. */
#define CONTROL_FD_SLACK 64

static unsigned limit_of(const struct config_control *cc,
			 enum control_kind kind, bool per_uid)
{
	switch (kind) {
	case CONTROL_KIND_CLIENT:
		return per_uid ? cc->clients_per_uid : 1;
	case CONTROL_KIND_UDP:
		return per_uid ? cc->udp_per_uid : cc->udp_per_client;
	case CONTROL_KIND_LISTENER:
		return per_uid ? cc->listeners_per_uid
			       : cc->listeners_per_client;
	case CONTROL_KIND_CONN:
		return per_uid ? cc->connections_per_uid
			       : cc->connections_per_client;
	default:
		return 0;
	}
}

static void account_put(struct control *ctl, struct control_account *a)
{
	struct control_account **pp;

	if (!a || --a->refs > 0)
		return;
	if (a->is_uid) {
		for (pp = &ctl->uids; *pp; pp = &(*pp)->next) {
			if (*pp == a) {
				*pp = a->next;
				break;
			}
		}
	}
	free(a);
}

int control_owner_new(struct control *ctl, uid_t uid, struct control_owner *o)
{
	struct control_account *u;

	for (u = ctl->uids; u; u = u->next)
		if (u->uid == uid)
			break;
	o->client = calloc(1, sizeof(*o->client));
	if (!o->client)
		return -ENOMEM;
	if (!u) {
		u = calloc(1, sizeof(*u));
		if (!u) {
			free(o->client);
			o->client = NULL;
			return -ENOMEM;
		}
		u->is_uid = true;
		u->uid = uid;
		u->next = ctl->uids;
		ctl->uids = u;
	}
	o->client->uid = uid;
	o->client->refs = 1;
	u->refs++;
	o->uid = u;
	return 0;
}

void control_owner_put(struct control *ctl, struct control_owner *o)
{
	account_put(ctl, o->client);
	account_put(ctl, o->uid);
	o->client = o->uid = NULL;
}

int control_charge(struct control *ctl, const struct control_owner *o,
		   enum control_kind kind)
{
	struct control_account *c = o->client, *u = o->uid;

	if (!c->gone && c->held[kind] >= limit_of(&ctl->limits, kind, false))
		return -EMFILE;
	if (u->uid != 0 && u->held[kind] >= limit_of(&ctl->limits, kind, true))
		return -EMFILE;
	c->held[kind]++;
	c->refs++;
	u->held[kind]++;
	u->refs++;
	return 0;
}

void control_uncharge(struct control *ctl, const struct control_owner *o,
		      enum control_kind kind)
{
	o->client->held[kind]--;
	o->uid->held[kind]--;
	account_put(ctl, o->client);
	account_put(ctl, o->uid);
}

bool control_client_in_group(const struct control_client *c, gid_t gid)
{
	if (c->gid == gid)
		return true;
	for (size_t i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

bool control_port_allowed(const struct control_client *c, uint16_t port)
{
	const struct config_control *cc = &c->ctl->limits;

	return port == 0 || port > CONTROL_PRIVILEGED_PORT_MAX || c->uid == 0 ||
	       (cc->has_privileged_group &&
		control_client_in_group(c, cc->privileged_group));
}

bool control_listen_allowed(const struct control_client *c)
{
	const struct config_control *cc = &c->ctl->limits;

	if (c->uid == 0 || cc->nlisten_groups == 0)
		return true;
	for (uint32_t i = 0;
	     i < cc->nlisten_groups && i < CONFIG_LISTEN_GROUPS_MAX; i++)
		if (control_client_in_group(c, cc->listen_groups[i]))
			return true;
	return false;
}

bool control_may_capture(const struct control_client *c)
{
	return c->uid == 0;
}

void control_account_read_comm(struct control_account *a)
{
	char path[32];
	ssize_t n;
	int fd;

	a->comm[0] = '\0';
	if (a->pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)a->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return;
	n = read(fd, a->comm, sizeof(a->comm) - 1);
	close(fd);
	if (n < 0)
		n = 0;
	a->comm[n] = '\0';
	a->comm[strcspn(a->comm, "\n")] = '\0';
}

void control_sock_owner_record(const struct control_owner *o, uint8_t kind,
			       int id, struct ipc_rec_sock_owner *r)
{
	const struct control_account *a = o->client;

	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->id = id;
	if (!a)
		return;
	r->flags = a->gone ? IPC_SOCK_OWNER_F_GONE : 0;
	r->pid = a->pid > 0 ? (uint32_t)a->pid : 0;
	r->uid = (uint32_t)a->uid;
	r->gid = (uint32_t)a->gid;
	snprintf(r->comm, sizeof(r->comm), "%s", a->comm);
}

int control_peer_cred(int fd, struct ucred *cred, gid_t **groups,
		      size_t *ngroups)
{
	socklen_t len = sizeof(*cred);
	gid_t *g;

	*groups = NULL;
	*ngroups = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) < 0)
		return -errno;
	/* Asked with no room, the kernel says how much it needs (ERANGE);
	 * a peer without supplementary groups needs none. */
	len = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, NULL, &len) == 0 ||
	    errno != ERANGE || len == 0)
		return 0;
	g = malloc(len);
	if (!g)
		return -ENOMEM;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) < 0) {
		free(g);
		return 0; /* changed meanwhile: the primary group alone */
	}
	*groups = g;
	*ngroups = len / sizeof(*g);
	return 0;
}

unsigned long long control_fds_reserved(const struct config_control *cc,
					const struct stack_limits *sl,
					unsigned open_now)
{
	/* What is open now (stdio, the log, the TAPs, the loop's epoll,
	 * the control socket), the TCP hang-up epoll set; per control
	 * client its connection and the descriptors its queued replies
	 * hold (an application's end of a socket, until sent: at most
	 * CONTROL_OUTQ_MAX, a blocking connect's waiting one included,
	 * since no request is read while the queue is full or a connect
	 * waits); one per UDP socket and listener, a listener's accepted
	 * connection waiting to be announced, the socketpairs made ahead,
	 * and the slack. */
	return (unsigned long long)open_now + 1 +
	       (unsigned long long)cc->clients_max * (1 + CONTROL_OUTQ_MAX) +
	       sl->udp_sockets_max + 2ull * sl->tcp_listeners_max +
	       CONTROL_TCP_SPARE_FDS + CONTROL_FD_SLACK;
}

/* Descriptors open in this process now. */
static unsigned fds_open(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	unsigned n = 0;

	if (!dir)
		return 16; /* a guess: stdio, log, TAPs, loop */
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n > 0 ? n - 1 : 0; /* not the directory's own */
}

void control_limits_fit(struct control *ctl)
{
	struct config_control *cc = &ctl->limits;
	const struct stack_limits *sl = &ctl->d->cfg->limits;
	struct rlimit rl;
	unsigned long long soft0, other, allowed;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_msg(LOG_WARNING, "control: getrlimit: %m");
		return;
	}
	soft0 = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			log_msg(LOG_WARNING, "control: setrlimit: %m");
			(void)getrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	other = control_fds_reserved(cc, sl, fds_open());
	allowed = rl.rlim_cur > other ? rl.rlim_cur - other : 0;
	if (allowed == 0)
		allowed = 1;
	ctl->connections_fit = allowed;
	if (cc->connections_max > allowed) {
		log_msg(LOG_WARNING,
			"control: connections_max %u needs more descriptors "
			"than RLIMIT_NOFILE %llu leaves (%llu for the rest): "
			"lowered to %llu",
			cc->connections_max, (unsigned long long)rl.rlim_cur,
			other, allowed);
		cc->connections_max = (uint32_t)allowed;
	}
	log_msg(LOG_INFO,
		"control: RLIMIT_NOFILE %llu (was %llu): descriptors for %llu "
		"TCP connections; connections_max %u",
		(unsigned long long)rl.rlim_cur, soft0, allowed,
		cc->connections_max);
}

void control_apply_config(struct control *ctl, const struct config_control *cc)
{
	ctl->limits = *cc;
	if (ctl->connections_fit &&
	    cc->connections_max > ctl->connections_fit) {
		log_msg(LOG_WARNING,
			"control: connections_max %u needs more descriptors "
			"than RLIMIT_NOFILE leaves: lowered to %llu",
			cc->connections_max, ctl->connections_fit);
		ctl->limits.connections_max = (uint32_t)ctl->connections_fit;
	}
}
