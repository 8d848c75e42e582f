/*
 * syn_shed.h - when a TAP sheds a SYN flood at its edge, and the filter
 * that does it (see syn_shed.c)
 */
#ifndef UTCPD_SYN_SHED_H
#define UTCPD_SYN_SHED_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

/* While the filter is on, one pure SYN in this many gets through (a
 * power of two); more than SYN_SHED_TRIGGER SYNs dropped by the stack on
 * the interface within a SYN_SHED_WINDOW_NS turn it on (a flood, not a
 * burst of genuine connects), SYN_SHED_WINDOW_NS without that turn it
 * off. */
#define SYN_SHED_KEEP	   16u
#define SYN_SHED_TRIGGER   2048u
#define SYN_SHED_WINDOW_NS 1000000000ull

/* One interface's shedding state: zeroes is "off, nothing seen". */
struct syn_shed {
	bool on;	    /* the filter should be attached */
	uint64_t until;	    /* on at least until then */
	uint64_t seen;	    /* the interface's SYN drops last looked at */
	uint64_t window;    /* when this second of drops began */
	uint64_t in_window; /* SYN drops in it */
	uint64_t times_on;  /* how often it was turned on */
};

enum syn_shed_change {
	SYN_SHED_SAME,	 /* leave the filter as it is */
	SYN_SHED_ATTACH, /* turned on: attach the filter */
	SYN_SHED_DETACH, /* turned off: take it off */
};

/*
 * Looks at `drops`, the SYNs the stack has dropped beyond its per-turn
 * budget on this interface since it started (stack_if_info's
 * syn_over_budget), at time `now`, and says whether the filter must
 * change. Pure: the caller does the attaching.
 */
enum syn_shed_change syn_shed_step(struct syn_shed *sh, uint64_t drops,
				   uint64_t now);

/* The filter, for TUNATTACHFILTER (or SO_ATTACH_FILTER): on an Ethernet
 * frame, pure IPv4 TCP SYNs (no ACK, RST or FIN; first fragments) pass
 * one in SYN_SHED_KEEP at random, every other frame passes. */
void syn_shed_filter(struct sock_fprog *prog);

#endif
