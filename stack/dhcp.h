/*
 * dhcp.h - the DHCP client of one interface (RFC 2131), sans-IO
 *
 * A struct dhcp_client is the whole client state machine of one
 * interface: INIT, SELECTING, REQUESTING, CHECKING (the RFC 5227 ARP
 * probe of an offered address, RFC 2131 4.4.1), BOUND, RENEWING,
 * REBINDING, INIT-REBOOT and REBOOTING, and STOPPED. It knows nothing
 * of frames, sockets or clocks: parsed messages (struct dhcp_msg) and
 * the time go in, and what it wants done comes out as actions the
 * caller pops (dhcp_client_pop): a message to send, an ARP probe to
 * make, the lease to apply or to drop, a state change to log. The
 * stack's glue (dhcp_if.c) turns those into frames and configuration;
 * tests drive it directly.
 *
 * Every state change goes through one transition function that checks
 * the move against the table of allowed ones and queues a
 * DHCP_A_STATE action (from, to) for the log.
 *
 * Times are nanoseconds on the caller's monotonic clock. A lease's
 * times count from when the REQUEST that got the ACK was sent (RFC 2131
 * 4.4.1). Randomness (transaction ids, retransmission jitter, the ARP
 * probes' spacing) comes from the seed given at init.
 */
#ifndef UTCP_DHCP_H
#define UTCP_DHCP_H

#include <stdbool.h>
#include <stdint.h>

#include "dhcp_msg.h"
#include "rng.h"

enum dhcp_state {
	DHCP_S_STOPPED,	    /* not running (never started, or stopped) */
	DHCP_S_INIT,	    /* about to DISCOVER (possibly waiting first) */
	DHCP_S_SELECTING,   /* DISCOVER sent, waiting for an OFFER */
	DHCP_S_REQUESTING,  /* REQUEST for an offer sent, waiting for ACK */
	DHCP_S_CHECKING,    /* ACKed; ARP-probing the address */
	DHCP_S_BOUND,	    /* the lease is in use */
	DHCP_S_RENEWING,    /* past T1: REQUEST unicast to the server */
	DHCP_S_REBINDING,   /* past T2: REQUEST broadcast to any server */
	DHCP_S_INIT_REBOOT, /* starting with a remembered address */
	DHCP_S_REBOOTING,   /* REQUEST for the remembered address sent */
	DHCP_S_COUNT
};

/* "INIT", "SELECTING", ... "INIT-REBOOT". */
const char *dhcp_state_name(enum dhcp_state st);

/* The lease in use (or offered): the ACK's yiaddr and options, with
 * the times corrected (t1 < t2 < lease; DHCP_INFINITE for forever). */
struct dhcp_lease {
	uint32_t addr;
	uint8_t prefix_len; /* from option 1; else the class's, logged */
	uint32_t server_id;
	uint32_t lease_s, t1_s, t2_s; /* as used, after corrections */
	uint64_t start_ns;	      /* when the REQUEST was sent */
	struct dhcp_options opt;      /* everything the ACK carried */
};

struct dhcp_client_config {
	uint8_t mac[6];
	/* Option 61 as sent; length 0: hardware type 1 and the MAC. */
	uint8_t client_id[DHCP_CLIENT_ID_MAX];
	uint8_t client_id_len;
	char hostname[DHCP_HOSTNAME_MAX]; /* option 12; "": not sent */
	uint16_t max_msg_size;		  /* option 57; 0: not sent */
	bool arp_check; /* probe an offered address before using it */
};

enum dhcp_action_type {
	DHCP_A_SEND,	    /* send `out` */
	DHCP_A_ARP_PROBE,   /* send an RFC 5227 probe for `addr` */
	DHCP_A_CONFIGURE,   /* the lease is new or changed: apply it */
	DHCP_A_UNCONFIGURE, /* the lease is gone: remove `addr` */
	DHCP_A_STATE,	    /* moved from `from` to `to` (for the log) */
	DHCP_A_NOTE,	    /* something to log: `text` (a correction ...) */
};

struct dhcp_action {
	enum dhcp_action_type type;
	struct dhcp_out out;	  /* DHCP_A_SEND */
	uint32_t addr;		  /* DHCP_A_ARP_PROBE, DHCP_A_UNCONFIGURE */
	enum dhcp_state from, to; /* DHCP_A_STATE */
	char text[96];		  /* DHCP_A_NOTE */
};

/* Actions queued at most at once; the client never needs more between
 * two pops (each entry point queues at most 8). When the queue is full
 * the oldest action is dropped and counted (actions_dropped). */
#define DHCP_ACTIONS_MAX 16

/* Timing (RFC 2131 4.1, 4.4.1, 4.4.5; RFC 5227 2.1.1). */
#define DHCP_SEC_NS		     1000000000ull
#define DHCP_RETRANSMIT_FIRST_NS     (4 * DHCP_SEC_NS)	/* then doubled ... */
#define DHCP_RETRANSMIT_MAX_NS	     (64 * DHCP_SEC_NS) /* ... up to this */
#define DHCP_JITTER_NS		     DHCP_SEC_NS /* each, uniform +-1 s */
#define DHCP_REQUEST_TRIES_MAX	     4 /* REQUESTs for an offer, then INIT */
#define DHCP_REBOOT_TIMEOUT_NS	     (10 * DHCP_SEC_NS) /* REBOOTING, then INIT */
#define DHCP_DECLINE_WAIT_NS	     (10 * DHCP_SEC_NS) /* INIT after a DECLINE */
#define DHCP_CONFLICTS_MAX	     10 /* declines in a row, then ... */
#define DHCP_RATE_LIMIT_WAIT_NS	     (60 * DHCP_SEC_NS) /* ... wait this long */
#define DHCP_NAK_WAIT_MAX_NS	     (64 * DHCP_SEC_NS) /* NAKs in a row back off */
#define DHCP_RENEW_RETRANSMIT_MIN_NS (60 * DHCP_SEC_NS)
#define DHCP_LEASE_MIN_S	     60 /* shorter (or no) lease time: this */
#define DHCP_PROBE_NUM		     3	/* ARP probes in CHECKING ... */
#define DHCP_PROBE_MIN_NS	     DHCP_SEC_NS /* ... this far apart ... */
#define DHCP_PROBE_MAX_NS	     (2 * DHCP_SEC_NS)
#define DHCP_ANNOUNCE_WAIT_NS	     (2 * DHCP_SEC_NS)	/* ... then this wait */
#define DHCP_DEFEND_INTERVAL_NS	     (10 * DHCP_SEC_NS) /* a conflict noted */

/* Counters of one client (status shows them). */
struct dhcp_client_stats {
	uint64_t tx[DHCPINFORM + 1]; /* messages sent, by type */
	uint64_t rx[DHCPINFORM + 1]; /* messages taken, by type */
	uint64_t rx_ignored; /* wrong xid or chaddr, unexpected type/state */
	uint64_t retransmits;
	uint64_t declines; /* addresses found in use */
	uint64_t naks;
	uint64_t expiries;
	uint64_t corrections; /* bogus T1/T2/lease values corrected */
};

struct dhcp_client {
	struct dhcp_client_config cfg;
	enum dhcp_state state;
	struct stack_rng rng; /* seeded at init */
	uint32_t xid;
	uint64_t xid_start_ns;	/* for secs */
	uint64_t deadline;	/* next timer: retransmit, T1, T2, expiry */
	uint64_t retransmit_ns; /* current backoff interval */
	uint32_t tries;
	uint32_t reboot_addr;	  /* INIT-REBOOT: the address to ask for */
	struct dhcp_lease offer;  /* SELECTING..CHECKING */
	struct dhcp_lease lease;  /* BOUND..REBINDING */
	bool have_lease;	  /* lease holds an applied lease */
	uint64_t request_sent_ns; /* when the current REQUEST went */
	struct dhcp_client_stats stats;
	struct dhcp_action actions[DHCP_ACTIONS_MAX];
	uint32_t nactions, action_head;
	uint64_t init_wait_ns;	      /* INIT: wait this long before DISCOVER */
	uint32_t nak_streak;	      /* NAKs since the last BOUND */
	uint32_t decline_streak;      /* DECLINEs since the last BOUND */
	uint64_t actions_dropped;     /* the queue was full (a caller bug) */
	uint64_t transitions_refused; /* moves the table refused (a bug) */
	uint64_t conflict_noted_ns;   /* when BOUND's last conflict was noted */
	bool conflict_noted;
};

/* Sets the client up in STOPPED. */
void dhcp_client_init(struct dhcp_client *c,
		      const struct dhcp_client_config *cfg, uint64_t seed);

/* Starts the client: in INIT-REBOOT when reboot_addr is not 0 (the
 * address of the lease saved before a restart), else in INIT. */
void dhcp_client_start(struct dhcp_client *c, uint64_t now,
		       uint32_t reboot_addr);

/* Stops the client: with release and a lease, a DHCPRELEASE is queued
 * (unicast to the server) and DHCP_A_UNCONFIGURE; then STOPPED. */
void dhcp_client_stop(struct dhcp_client *c, uint64_t now, bool release);

/* A parsed message arrived for this interface from src (the IP source).
 * Messages whose xid or chaddr do not match, or that the state does not
 * expect, are counted as ignored. */
void dhcp_client_input(struct dhcp_client *c, uint64_t now,
		       const struct dhcp_msg *m, uint32_t src);

/* Another host answered an ARP probe for, or claims, `addr` (an ARP
 * whose sender is addr from another MAC, or another's probe for it):
 * in CHECKING the offered address is declined; when bound, the
 * conflict is logged, at most once per DHCP_DEFEND_INTERVAL_NS (RFC
 * 5227 2.4 (b): keep it). */
void dhcp_client_arp_conflict(struct dhcp_client *c, uint64_t now,
			      uint32_t addr);

/* Runs whatever is due at now (retransmissions, the probe's end, T1,
 * T2, expiry). */
void dhcp_client_timer(struct dhcp_client *c, uint64_t now);

/* When dhcp_client_timer() must next run; UINT64_MAX for never. */
uint64_t dhcp_client_next_deadline(const struct dhcp_client *c);

/* Whether the transition table allows moving from -> to. */
bool dhcp_transition_allowed(enum dhcp_state from, enum dhcp_state to);

/* Moves the client to `to` and runs that state's entry actions (the
 * message it sends, its timer), queuing DHCP_A_STATE (from, to); the
 * client's own events go through here. Returns 0, or -EPERM when the
 * table refuses the move: the state is kept, a DHCP_A_NOTE is queued
 * and transitions_refused counted. */
int dhcp_client_transition(struct dhcp_client *c, uint64_t now,
			   enum dhcp_state to);

/* Pops the next action into *a; false when there is none. */
bool dhcp_client_pop(struct dhcp_client *c, struct dhcp_action *a);

/* The lease in use, or NULL when none is (not BOUND, RENEWING or
 * REBINDING). */
const struct dhcp_lease *dhcp_client_lease(const struct dhcp_client *c);

#endif
