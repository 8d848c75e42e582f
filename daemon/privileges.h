/*
 * privileges.h - running as an unprivileged user after setting up
 *
 * [daemon] user (and group) name the account the daemon runs as once
 * its TAPs are open, its control socket bound and its state directory
 * prepared. privileges_resolve() looks them up before anything is set
 * up (an unknown user is a configuration error); privileges_drop()
 * switches to them, keeping CAP_NET_ADMIN only when asked, and checks
 * that nothing of root is left.
 */
#ifndef UTCPD_PRIVILEGES_H
#define UTCPD_PRIVILEGES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

struct privileges {
	bool set; /* a user was configured */
	uid_t uid;
	gid_t gid;
	/* the passwd entry's name, for its supplementary groups; "" for a
	 * number without an entry */
	char user[CONFIG_USER_MAX];
};

/* Looks [daemon] user and group up into *p (p->set false when no user
 * is configured). A user without group takes its passwd entry's group.
 * Returns 0, or -EINVAL with one line in err (an unknown user or group,
 * a number without an entry and without group). */
int privileges_resolve(const struct config *cfg, struct privileges *p,
		       char *err, size_t errlen);

/* Switches the process to p's uid and gid (supplementary groups: the
 * user's, from the group database; none for a bare number), with
 * CAP_NET_ADMIN alone in its permitted and effective sets when
 * keep_net_admin, else no capability, and no ambient or inheritable
 * one. Nothing to do when it runs as p's uid and gid already. Returns 0,
 * or a negative errno (logged): the caller must not go on. */
int privileges_drop(const struct privileges *p, bool keep_net_admin);

/* The process's effective capabilities (the first 64), for logs and
 * checks. */
unsigned long long privileges_effective(void);

#endif
