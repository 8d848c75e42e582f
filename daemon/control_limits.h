/*
 * control_limits.h - what each client and each uid may hold through the
 * control socket, and who may use privileged ports (see control_limits.c)
 */
#ifndef UTCPD_CONTROL_LIMITS_H
#define UTCPD_CONTROL_LIMITS_H

#include "control_client.h"

/* Ports below this need uid 0 or the privileged group, as binding them
 * needs CAP_NET_BIND_SERVICE on Linux. */
#define CONTROL_PRIVILEGED_PORT_MAX 1023

/* Reads the command of process `pid` (/proc/PID/comm, at most
 * sizeof(a->comm) - 1 bytes, the newline dropped) into the client
 * account a; leaves it "" when it cannot be read. */
void control_account_read_comm(struct control_account *a);

/* The SOCK_OWNER record of socket `id` of `kind` (IPC_SOCK_OWNER_*)
 * charged to owner o: its client's credentials and command. */
void control_sock_owner_record(const struct control_owner *o, uint8_t kind,
			       int id, struct ipc_rec_sock_owner *r);

/* Makes the accounts of a new client of `uid`: a fresh client account
 * and the uid's (found or made). Returns 0 or -ENOMEM. */
int control_owner_new(struct control *ctl, uid_t uid, struct control_owner *o);

/* Lets go of the references an owner holds (control_owner_new's). */
void control_owner_put(struct control *ctl, struct control_owner *o);

/* Charges one object of `kind` to the owner's client and uid: checks
 * the per-client limit (while the client lives) and the per-uid limit
 * (not for uid 0, as Linux's per-user limits do not bind root), and
 * takes a reference on both accounts, which the object keeps in its
 * copy of *o. Returns 0, or -EMFILE at either limit (nothing charged). */
int control_charge(struct control *ctl, const struct control_owner *o,
		   enum control_kind kind);

/* Undoes control_charge(); may free the accounts. */
void control_uncharge(struct control *ctl, const struct control_owner *o,
		      enum control_kind kind);

/* True when client c is in group `gid`: its primary group, or one of
 * its supplementary groups as SO_PEERGROUPS gave them at connect. */
bool control_client_in_group(const struct control_client *c, gid_t gid);

/* True when a client may use local port `port` (0, an ephemeral port,
 * always may) under the current [control] rules: above 1023, or uid
 * 0, or a member of privileged_group. */
bool control_port_allowed(const struct control_client *c, uint16_t port);

/* True when a client may capture what the TAPs carry (CAPTURE): every
 * frame of every user, so root only (uid 0), as a raw socket needs
 * CAP_NET_RAW. The one place to widen or narrow who may. */
bool control_may_capture(const struct control_client *c);

/* True when a client may listen under the current [control] rules:
 * uid 0, no listen_groups, or a member of one of them. */
bool control_listen_allowed(const struct control_client *c);

/* The peer's credentials as the kernel gives them (SO_PEERCRED), and
 * its supplementary groups (SO_PEERGROUPS: *groups allocated, NULL when
 * there are none or the kernel has no SO_PEERGROUPS). Returns 0 or a
 * negative errno. */
int control_peer_cred(int fd, struct ucred *cred, gid_t **groups,
		      size_t *ngroups);

/*
 * The descriptors the daemon needs besides its TCP connections' own
 * ends, with every other limit reached: `open_now` (open at start), and
 * per control client its connection and the CONTROL_OUTQ_MAX its reply
 * queue may hold, per UDP socket and listener, the socketpairs made
 * ahead (CONTROL_TCP_SPARE_FDS), and some slack.
 */
unsigned long long control_fds_reserved(const struct config_control *cc,
					const struct stack_limits *sl,
					unsigned open_now);

/*
 * Raises the soft RLIMIT_NOFILE to the hard limit, counts the
 * descriptors the daemon needs besides TCP connections
 * (control_fds_reserved() with those open now) and
 * lowers ctl->limits.connections_max, with a warning, to what the rest
 * allows. Logs how many connections the descriptors allow.
 */
void control_limits_fit(struct control *ctl);

/*
 * Makes [control] `cc` the control server's: its limits and access
 * rules (a reload, SIGHUP). connections_max is capped as at start
 * (control_limits_fit()). What clients hold already stays: a lowered
 * limit refuses new clients, sockets and connections (as a lowered
 * RLIMIT_NOFILE does on Linux), and a client keeps the privilege it was
 * admitted with.
 */
void control_apply_config(struct control *ctl, const struct config_control *cc);

#endif
