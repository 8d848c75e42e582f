/*
 * control_ping.c - PING: ICMP echoes through the daemon's stack
 *
 * Theory of operation: control_ping.h. The client keeps the echo's id
 * and the request's id (c->ping_echo, c->ping_id) while its reply is
 * deferred; a result finds its client by a walk of the clients (at
 * most clients_max, once per ended echo). A request that the stack
 * refuses at once (no route, a broadcast address, the table full) is
 * answered at once with that error and seq, nothing else.
 */
#include "control_ping.h"

#include <errno.h>

#include "../stack/stack.h"

/* Queues the PING reply `r` to request `id` of client c and sends it. */
static void ping_reply(struct control_client *c, uint32_t id,
		       const struct ipc_ping_reply *r)
{
	uint8_t buf[CONTROL_SMALL_MSG_MAX];
	int len = ipc_encode_ping_reply(buf, sizeof(buf), c->version, id, r);

	control_client_queue(c, buf, len, -1);
}

_Static_assert(IPC_HDR_LEN + IPC_PING_REPLY_LEN <= CONTROL_SMALL_MSG_MAX,
	       "a PING reply is a small message");

int control_ping(struct control_client *c, const struct ipc_msg *m)
{
	struct daemon *d = c->ctl->d;
	struct ipc_ping req;
	int err = ipc_decode_ping(m, &req);
	struct icmp_echo_request rq;
	int echo;

	if (err)
		return err;
	if (req.ifindex >= stack_if_count(d->stack)) {
		echo = -ENODEV;
	} else {
		rq = (struct icmp_echo_request){
		    .dst = req.dst,
		    .ifindex = req.ifindex,
		    .seq = req.seq,
		    .len = req.size,
		    .timeout_ns = (uint64_t)req.timeout_ms * 1000000u};
		echo = icmp_echo_send(d->stack, daemon_now(), &rq);
	}
	if (echo < 0) {
		struct ipc_ping_reply r = {.status = echo, .seq = req.seq};

		ping_reply(c, m->id, &r);
		return 0;
	}
	c->ping_echo = echo;
	c->ping_id = m->id;
	c->ping_pending = true;
	c->reply_pending = true;
	return 0;
}

void control_ping_flush(struct daemon *d)
{
	struct icmp_echo_result r;

	while (icmp_echo_pop(d->stack, &r)) {
		struct control_client *c =
		    d->control ? d->control->clients : NULL;
		struct ipc_ping_reply reply = {.status = r.status,
					       .from = r.from,
					       .seq = r.seq,
					       .size = (uint16_t)r.len,
					       .ttl = r.ttl,
					       .rtt_ns = r.rtt_ns};

		while (c && !(c->ping_pending && c->ping_echo == r.echo))
			c = c->next;
		if (!c)
			continue; /* its client went: cancelled, never here */
		c->ping_pending = false;
		c->reply_pending = false;
		ping_reply(c, c->ping_id, &reply);
		(void)control_client_flush(c);
	}
}

void control_ping_client_gone(struct control_client *c)
{
	if (!c->ping_pending)
		return;
	icmp_echo_cancel(c->ctl->d->stack, c->ping_echo);
	c->ping_pending = false;
}
