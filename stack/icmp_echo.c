/*
 * icmp_echo.c - ICMP echo requests of our own (ping), matched to replies
 *
 * Theory of operation. The caller (the daemon, for `utcpctl ping`)
 * sends one echo request at a time per call with icmp_echo_send(); the
 * stack keeps it in a bounded table of outstanding echoes
 * (lim.icmp_echo_max slots; one more is refused with -ENOBUFS) until
 * one of three things ends it:
 *
 *   - its reply comes: an echo reply from the address it was sent to,
 *     with its identifier and sequence number (RFC 792). The wire
 *     identifier is the slot's: a random base chosen when the stack is
 *     made, plus the slot index, so a reply finds its slot without a
 *     search and another host's pings (or a forged reply with another
 *     identifier, sequence or source) match nothing;
 *   - its deadline passes (stack_timer()): -ETIMEDOUT;
 *   - an error comes back about it: a destination unreachable that
 *     quotes it, or ARP's failure to find the next hop
 *     (icmp_local_unreachable): -EHOSTUNREACH or the code's error.
 *
 * The ended echo keeps its slot, with its result, until the caller pops
 * it (icmp_echo_pop()): the results wait in a ring with one place per
 * slot, so it can never overflow. A reply that matches no waiting echo
 * (a duplicate, one later than its deadline, a stranger's) is counted
 * as icmp_rx_echo_unmatched and dropped. icmp_echo_cancel() ends an
 * echo whose caller went away: a waiting one frees its slot at once,
 * an ended one is skipped when its turn in the ring comes.
 *
 * The round trip is the caller's two times: `now` when it sent and
 * `now` of the stack_input() that carried the reply. The payload is
 * a fixed pattern (byte i is i & 0xff); a reply of another length is
 * still a reply (the length is reported, as ping reports it).
 */
#include <errno.h>
#include <stdlib.h>

#include "checksum.h"
#include "stack_internal.h"

enum echo_state { ECHO_FREE, ECHO_WAITING, ECHO_ENDED, ECHO_CANCELLED };

struct icmp_echo {
	uint8_t state; /* enum echo_state */
	uint8_t ttl;   /* of the reply */
	uint16_t seq;
	uint32_t dst;
	uint32_t len;  /* payload sent, then the reply's */
	int status;    /* ended: 0 or a negative errno */
	uint32_t from; /* who answered (or reported the error) */
	uint64_t sent_ns;
	uint64_t deadline; /* waiting: when it times out; ended: RTT */
};

int icmp_echo_init(struct stack *s, uint32_t max)
{
	struct icmp_echo_table *t = &s->echo;

	t->max = max;
	t->ident_base = (uint16_t)rng_next(&s->rng);
	if (max == 0)
		return 0;
	t->slots = calloc(max, sizeof(*t->slots));
	t->ring = calloc(max, sizeof(*t->ring));
	if (!t->slots || !t->ring)
		return -ENOMEM;
	return 0;
}

void icmp_echo_destroy(struct stack *s)
{
	free(s->echo.slots);
	free(s->echo.ring);
	s->echo.slots = NULL;
	s->echo.ring = NULL;
}

/* Ends the waiting echo e: its result goes on the ring. */
static void echo_end(struct stack *s, struct icmp_echo *e, int status,
		     uint64_t now)
{
	struct icmp_echo_table *t = &s->echo;

	e->state = ECHO_ENDED;
	e->status = status;
	e->deadline = now - e->sent_ns; /* the round trip */
	t->ring[(t->ring_head + t->ring_count) % t->max] =
	    (uint32_t)(e - t->slots);
	t->ring_count++;
	t->waiting--;
}

int icmp_echo_send(struct stack *s, uint64_t now,
		   const struct icmp_echo_request *rq)
{
	struct icmp_echo_table *t = &s->echo;
	struct icmp_echo *e = NULL;
	uint32_t i, saddr = 0, nexthop;
	int ifindex, err;
	struct pkt *p;
	uint8_t *h;

	if (rq->len > ICMP_ECHO_DATA_MAX || rq->dst == 0 || rq->timeout_ns == 0)
		return -EINVAL;
	err = ipv4_route(s, rq->dst, &ifindex, &nexthop, &saddr);
	if (err)
		return err;
	if (rq->ifindex >= 0 && rq->ifindex != ifindex)
		return -ENETUNREACH; /* as ping -I: not that way */
	if (ipv4_is_broadcast(s, ifindex, rq->dst) || (rq->dst >> 28) == 0xe)
		return -EACCES; /* as ping without -b */
	for (i = 0; i < t->max; i++)
		if (t->slots[(t->next + i) % t->max].state == ECHO_FREE) {
			e = &t->slots[(t->next + i) % t->max];
			break;
		}
	if (!e) {
		COUNT(s, icmp_echo_table_full);
		return -ENOBUFS;
	}
	p = stack_pkt_alloc(s, ICMP_HDR_LEN + rq->len);
	if (!p)
		return -ENOBUFS;
	i = (uint32_t)(e - t->slots);
	t->next = (i + 1) % t->max;
	h = p->data;
	h[0] = ICMP_ECHO_REQUEST;
	h[1] = 0;
	put_be16(h + 2, 0);
	put_be16(h + 4, (uint16_t)(t->ident_base + i));
	put_be16(h + 6, rq->seq);
	for (uint32_t k = 0; k < rq->len; k++)
		h[ICMP_HDR_LEN + k] = (uint8_t)k;
	p->len = (uint32_t)(ICMP_HDR_LEN + rq->len);
	put_be16(h + 2, csum_fold(csum_partial(h, p->len, 0)));
	err = ipv4_output(s, now, p, saddr, rq->dst, IPV4_PROTO_ICMP);
	if (err)
		return err;
	*e = (struct icmp_echo){.state = ECHO_WAITING,
				.seq = rq->seq,
				.dst = rq->dst,
				.len = rq->len,
				.sent_ns = now,
				.deadline = now + rq->timeout_ns};
	t->waiting++;
	COUNT(s, icmp_tx_echo_requests);
	stack_deadline_hint(s, e->deadline);
	return (int)i;
}

/* The waiting echo with this wire identifier and sequence sent to
 * `dst`, or NULL. */
static struct icmp_echo *echo_find(struct stack *s, uint16_t ident,
				   uint16_t seq, uint32_t dst)
{
	struct icmp_echo_table *t = &s->echo;
	uint16_t i = (uint16_t)(ident - t->ident_base);
	struct icmp_echo *e;

	if (i >= t->max)
		return NULL;
	e = &t->slots[i];
	if (e->state != ECHO_WAITING || e->seq != seq || e->dst != dst)
		return NULL;
	return e;
}

void icmp_echo_reply_input(struct stack *s, uint64_t now, struct pkt *p)
{
	const uint8_t *h = p->data;
	struct icmp_echo *e;

	e = echo_find(s, get_be16(h + 4), get_be16(h + 6), p->saddr);
	if (!e) {
		COUNT(s, icmp_rx_echo_unmatched);
		return;
	}
	COUNT(s, icmp_rx_echo_replies);
	e->from = p->saddr;
	e->ttl = p->buf[p->l3_offset + 8];
	e->len = p->len - ICMP_HDR_LEN;
	echo_end(s, e, 0, now);
}

void icmp_echo_error(struct stack *s, uint64_t now, uint32_t from,
		     const struct ipv4_view *quoted, const uint8_t *l4,
		     int error)
{
	struct icmp_echo *e;

	if (l4[0] != ICMP_ECHO_REQUEST)
		return;
	e = echo_find(s, get_be16(l4 + 4), get_be16(l4 + 6), quoted->daddr);
	if (!e)
		return;
	e->from = from;
	echo_end(s, e, -error, now);
}

void icmp_echo_timer(struct stack *s, uint64_t now)
{
	struct icmp_echo_table *t = &s->echo;

	for (uint32_t i = 0; i < t->max && t->waiting; i++) {
		struct icmp_echo *e = &t->slots[i];

		if (e->state == ECHO_WAITING && e->deadline <= now) {
			COUNT(s, icmp_echo_timeouts);
			echo_end(s, e, -ETIMEDOUT, now);
		}
	}
}

uint64_t icmp_echo_next_deadline(const struct stack *s)
{
	const struct icmp_echo_table *t = &s->echo;
	uint64_t next = STACK_NO_DEADLINE;

	for (uint32_t i = 0; i < t->max && t->waiting; i++)
		if (t->slots[i].state == ECHO_WAITING &&
		    t->slots[i].deadline < next)
			next = t->slots[i].deadline;
	return next;
}

bool icmp_echo_pop(struct stack *s, struct icmp_echo_result *r)
{
	struct icmp_echo_table *t = &s->echo;

	while (t->ring_count) {
		uint32_t i = t->ring[t->ring_head];
		struct icmp_echo *e = &t->slots[i];

		t->ring_head = (t->ring_head + 1) % t->max;
		t->ring_count--;
		if (e->state == ECHO_CANCELLED) {
			e->state = ECHO_FREE;
			continue;
		}
		*r = (struct icmp_echo_result){.echo = (int)i,
					       .status = e->status,
					       .from = e->from,
					       .seq = e->seq,
					       .ttl = e->ttl,
					       .len = e->len,
					       .rtt_ns = e->deadline};
		e->state = ECHO_FREE;
		return true;
	}
	return false;
}

void icmp_echo_cancel(struct stack *s, int echo)
{
	struct icmp_echo_table *t = &s->echo;
	struct icmp_echo *e;

	if (echo < 0 || (uint32_t)echo >= t->max)
		return;
	e = &t->slots[echo];
	if (e->state == ECHO_WAITING) {
		e->state = ECHO_FREE;
		t->waiting--;
	} else if (e->state == ECHO_ENDED) {
		e->state = ECHO_CANCELLED;
	}
}

uint32_t icmp_echo_outstanding(const struct stack *s)
{
	return s->echo.waiting + s->echo.ring_count;
}
