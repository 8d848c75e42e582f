/*
 * lease_file.h - a DHCP lease saved across restarts
 *
 * Each interface that runs DHCP keeps its last lease in the state
 * directory, in STATE_DIR/lease-IFNAME, so that after a restart the
 * client starts in INIT-REBOOT and asks for the same address again
 * (RFC 2131 3.2). The file is text, one key=value a line (the format is
 * in docs/design.md), written atomically: a temporary file in the same
 * directory, fsync, rename, mode 0600. A file that does not parse, is
 * truncated or names another interface is ignored (the caller logs
 * why); it never stops the daemon.
 *
 * lease_file_format() and lease_file_parse() are pure; the others do
 * the file I/O.
 */
#ifndef UTCPD_LEASE_FILE_H
#define UTCPD_LEASE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../stack/stack.h"

#define LEASE_FILE_VERSION 1
/* The largest file written or read: every raw option in hex, each with
 * its own line. */
#define LEASE_FILE_MAX 16384
/* Room for "DIR/lease-IFNAME" and the temporary file's suffix. */
#define LEASE_FILE_PATH_MAX 320

struct lease_file {
	char ifname[STACK_IF_NAME_MAX];
	uint32_t addr;
	uint8_t prefix_len;
	uint32_t server_id;
	uint32_t lease_s, t1_s, t2_s; /* lease_s DHCP_INFINITE: forever */
	int64_t acquired;	      /* wall clock, s since the epoch: when
				       * the REQUEST that got it was sent */
	uint8_t raw[DHCP_RAW_MAX];    /* every option as received: code,
				       * length, value */
	uint16_t raw_len;
};

/* Fills *lf from a bound lease of interface ifname; acquired is the
 * wall-clock time of lease->start_ns. */
void lease_file_from_lease(struct lease_file *lf, const char *ifname,
			   const struct dhcp_lease *lease, int64_t acquired);

/* Writes the file's text to buf. Returns its length, or -ENOSPC when
 * cap is too small. */
int lease_file_format(const struct lease_file *lf, char *buf, size_t cap);

/* Parses the text of a lease file. Returns 0, or -EINVAL with the
 * reason in why (a bad line, a missing key, no "end" line: truncated). */
int lease_file_parse(const char *text, size_t len, struct lease_file *out,
		     char *why, size_t whylen);

/* True when the lease ran out before the wall-clock time now. */
bool lease_file_expired(const struct lease_file *lf, int64_t now);

/* Writes the lease of lf->ifname to DIR/lease-IFNAME atomically (mode
 * 0600). Returns 0 or a negative errno. */
int lease_file_save(const char *dir, const struct lease_file *lf);

/* Reads DIR/lease-IFNAME. Returns 0, -ENOENT when there is none, -EINVAL
 * (why says what is wrong, and names the interface when it is
 * another's), or the negative errno of reading it. */
int lease_file_load(const char *dir, const char *ifname, struct lease_file *lf,
		    char *why, size_t whylen);

/* Removes DIR/lease-IFNAME. Returns 0 (also when there was none) or a
 * negative errno. */
int lease_file_remove(const char *dir, const char *ifname);

#endif
