/*
 * reload.h - SIGHUP: the configuration read again, and what may change
 * applied without dropping anything (see reload.c)
 */
#ifndef UTCPD_RELOAD_H
#define UTCPD_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct daemon;

/* What a changed key needs. */
enum reload_kind {
	RELOAD_APPLY,	/* applied to the running daemon */
	RELOAD_RESTART, /* logged "needs a restart", not applied */
};

/* Where a key's value is kept: in struct config, or in each struct
 * config_interface. */
enum reload_scope { RELOAD_CONFIG, RELOAD_INTERFACE };

/* One span of a key's value: bytes, or a string compared up to its
 * NUL. */
struct reload_field {
	size_t off, len;
	bool str;
};

/* One key of utcpd.conf(5): its section as in the file's headers
 * ("daemon", "interface" for every [interface NAME], "hosts" with key
 * "NAME" for its entries as a whole), its name and what a change needs;
 * then where its value is kept (up to 3 spans, copied by
 * reload_merge()), and a comparison of its own where the bytes would
 * not do (NULL: the spans'). */
struct reload_key {
	const char *section;
	const char *key;
	enum reload_kind kind;
	enum reload_scope scope;
	struct reload_field f[3];
	bool (*same)(const void *a, const void *b); /* config or interface */
};

/* Every key of utcpd.conf(5), section by section; reload_nkeys of them. */
extern const struct reload_key reload_keys[];
extern const size_t reload_nkeys;

/* At most this many differences are listed; more are counted. */
#define RELOAD_CHANGES_MAX 64

/* One difference between two configurations. */
struct reload_change {
	/* "[daemon] log_level", "[interface tap0] mtu", or a whole
	 * section: "[interface tap1]", "[hosts]" */
	char key[CONFIG_KEY_NAME_MAX];
	const char *what; /* "changed", "added", "removed" */
	enum reload_kind kind;
};

struct reload_diff {
	struct reload_change changes[RELOAD_CHANGES_MAX];
	int n;
	int dropped;  /* differences past RELOAD_CHANGES_MAX */
	int nrestart; /* of all, those that need a restart */
	int napply;   /* of all, those a reload applies */
	/* [hosts] changed; a socket_mode, socket_owner or socket_group
	 * changed (whether listed or not) */
	bool hosts_changed, socket_changed;
};

/*
 * Compares the running configuration `old` with `new` key by key and
 * lists each difference with what it needs (the first
 * RELOAD_CHANGES_MAX; the counts and flags cover them all). Interfaces
 * are matched by
 * their place in the file: one added, removed or renamed is a whole
 * section that needs a restart. Pure.
 */
void reload_compare(const struct config *old, const struct config *new,
		    struct reload_diff *out);

/* Copies what may change in a running daemon (every RELOAD_APPLY key)
 * from `new` into `live`; the rest of `live` stays. Pure. */
void reload_merge(struct config *live, const struct config *new);

/*
 * The SIGHUP step after the file was read again into `new` (with the
 * command line's overrides): logs each key that needs a restart as
 * "FILE:LINE: KEY changed: needs a restart" (the line of `new`'s file
 * where it is set, or FILE alone when it is no longer set), merges the
 * rest into d->cfg and makes it take effect: the log's target, file
 * and level, the resolver's servers (its cache flushed when their
 * addresses, ports or order changed, or a TTL cap was lowered), search
 * list, limits and hosts, the remote log server,
 * the control server's limits and access rules, and busy-polling.
 * Returns how many keys took effect.
 */
int reload_apply(struct daemon *d, const struct config *new, const char *path);

#endif
