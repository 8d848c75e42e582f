/*
 * privileges.c - dropping to [daemon] user after setting up
 * (privileges.h)
 *
 * Theory of operation. What needs privileges is done before the drop,
 * in main.c: the TAPs are opened (TUNSETIFF, and their MTU, MAC and
 * state set over rtnetlink), the control socket bound, the state
 * directory made (and given to the user, so it can save leases). After
 * the drop the daemon needs CAP_NET_ADMIN for one thing only: when it
 * stops, a pre-existing persistent TAP gets back its MTU, MAC and state
 * over rtnetlink (tap_close()). A TAP it created disappears with its
 * descriptor, and nothing else touches the kernel's configuration:
 * addresses, routes and leases live in the stack, and attaching or
 * detaching the SYN-shedding filter (TUNATTACHFILTER) is allowed to
 * whoever holds the TAP's descriptor. So main.c asks to keep
 * CAP_NET_ADMIN only when some TAP was pre-existing; otherwise the
 * daemon runs with no capability at all.
 *
 * The drop, in the order the kernel requires:
 *
 *   1. prctl(PR_SET_KEEPCAPS, 1) when CAP_NET_ADMIN is kept: without it
 *      setresuid() from uid 0 clears the permitted set;
 *   2. the supplementary groups: the user's (initgroups(), as a login
 *      or systemd's User= would), or none for a bare uid;
 *   3. setresgid(), then setresuid() (after it the gid could no longer
 *      change);
 *   4. capset() through the raw system call (no libcap): permitted and
 *      effective CAP_NET_ADMIN or nothing, inheritable nothing; the
 *      ambient set is cleared and PR_SET_KEEPCAPS reset;
 *   5. the check: real, effective and saved uid and gid are the
 *      user's, the effective and permitted sets hold exactly what was
 *      asked for. Anything else is an error, and main.c stops.
 */
#define _GNU_SOURCE /* setresuid, getresuid */
#include "privileges.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

/* Reads a uid or gid written as a number; false when it is not one. */
static bool parse_id(const char *v, unsigned long *out)
{
	unsigned long n = 0;

	if (!*v)
		return false;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9' || n > 0xfffffffeul / 10)
			return false;
		n = n * 10 + (unsigned long)(*p - '0');
	}
	if (n >= 0xfffffffful) /* (uid_t)-1 means "unchanged" */
		return false;
	*out = n;
	return true;
}

int privileges_resolve(const struct config *cfg, struct privileges *p,
		       char *err, size_t errlen)
{
	struct passwd pw, *pwf = NULL;
	struct group gr, *grf = NULL;
	char buf[4096];
	unsigned long n;
	bool have_gid = false;

	memset(p, 0, sizeof(*p));
	if (!cfg->user[0]) {
		if (cfg->group[0]) {
			snprintf(
			    err, errlen,
			    "[daemon] group = %s without user = ", cfg->group);
			return -EINVAL;
		}
		return 0;
	}
	if (parse_id(cfg->user, &n)) {
		p->uid = (uid_t)n;
		if (getpwuid_r(p->uid, &pw, buf, sizeof(buf), &pwf) == 0 &&
		    pwf) {
			p->gid = pwf->pw_gid;
			have_gid = true;
			snprintf(p->user, sizeof(p->user), "%s", pwf->pw_name);
		}
	} else if (getpwnam_r(cfg->user, &pw, buf, sizeof(buf), &pwf) == 0 &&
		   pwf) {
		p->uid = pwf->pw_uid;
		p->gid = pwf->pw_gid;
		have_gid = true;
		snprintf(p->user, sizeof(p->user), "%s", pwf->pw_name);
	} else {
		snprintf(err, errlen,
			 "[daemon] user = %s: no such user (create it, or "
			 "give a uid)",
			 cfg->user);
		return -EINVAL;
	}
	if (cfg->group[0]) {
		if (parse_id(cfg->group, &n)) {
			p->gid = (gid_t)n;
		} else if (getgrnam_r(cfg->group, &gr, buf, sizeof(buf),
				      &grf) == 0 &&
			   grf) {
			p->gid = grf->gr_gid;
		} else {
			snprintf(err, errlen,
				 "[daemon] group = %s: no such group",
				 cfg->group);
			return -EINVAL;
		}
		have_gid = true;
	}
	if (!have_gid) {
		snprintf(err, errlen,
			 "[daemon] user = %s has no passwd entry: give group "
			 "= too",
			 cfg->user);
		return -EINVAL;
	}
	p->set = true;
	return 0;
}

static int cap_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};

	memset(data, 0, 2 * sizeof(data[0]));
	return syscall(SYS_capget, &hdr, data) < 0 ? -errno : 0;
}

static int cap_set(uint64_t permitted, uint64_t effective)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	data[0].permitted = (uint32_t)permitted;
	data[1].permitted = (uint32_t)(permitted >> 32);
	data[0].effective = (uint32_t)effective;
	data[1].effective = (uint32_t)(effective >> 32);
	return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

unsigned long long privileges_effective(void)
{
	struct __user_cap_data_struct data[2];

	if (cap_get(data) < 0)
		return 0;
	return (unsigned long long)data[0].effective |
	       (unsigned long long)data[1].effective << 32;
}

/* Logs `what` failing with -ret and returns ret. */
static int failed(const char *what, int ret)
{
	log_msg(LOG_ERR, "dropping privileges: %s: %s; not running on", what,
		strerror(-ret));
	return ret;
}

int privileges_drop(const struct privileges *p, bool keep_net_admin)
{
	uint64_t want = keep_net_admin ? 1ull << CAP_NET_ADMIN : 0;
	struct __user_cap_data_struct data[2];
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	uint64_t eff, perm;
	int ret;

	if (!p->set)
		return 0;
	if (getresuid(&ru, &eu, &su) == 0 && getresgid(&rg, &eg, &sg) == 0 &&
	    ru == p->uid && eu == p->uid && su == p->uid && rg == p->gid &&
	    eg == p->gid && sg == p->gid) {
		/* Started as the user: only what it holds can be kept. */
		if (cap_get(data) == 0)
			want &= (uint64_t)data[0].permitted |
				(uint64_t)data[1].permitted << 32;
		keep_net_admin = want != 0;
	} else {
		if (keep_net_admin && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			return failed("PR_SET_KEEPCAPS", -errno);
		if (p->user[0] ? initgroups(p->user, p->gid) < 0
			       : setgroups(0, NULL) < 0)
			return failed("setting the supplementary groups",
				      -errno);
		if (setresgid(p->gid, p->gid, p->gid) < 0)
			return failed("setresgid", -errno);
		if (setresuid(p->uid, p->uid, p->uid) < 0)
			return failed("setresuid", -errno);
	}
	ret = cap_set(want, want);
	if (ret < 0)
		return failed("capset", ret);
	/* Not there before Linux 4.3: then there is nothing to clear. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return failed("clearing the ambient capabilities", -errno);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return failed("PR_SET_KEEPCAPS", -errno);

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return failed("reading the ids back", -errno);
	if (ru != p->uid || eu != p->uid || su != p->uid || rg != p->gid ||
	    eg != p->gid || sg != p->gid)
		return failed("the ids read back", -EPERM);
	ret = cap_get(data);
	if (ret < 0)
		return failed("capget", ret);
	eff = (uint64_t)data[0].effective | (uint64_t)data[1].effective << 32;
	perm = (uint64_t)data[0].permitted | (uint64_t)data[1].permitted << 32;
	if (eff != want || perm != want)
		return failed("the capabilities read back", -EPERM);
	log_msg(LOG_NOTICE, "running as uid %u gid %u%s%s, capabilities: %s",
		(unsigned)p->uid, (unsigned)p->gid, p->user[0] ? " " : "",
		p->user, keep_net_admin ? "CAP_NET_ADMIN" : "none");
	return 0;
}
