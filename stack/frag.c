/*
 * frag.c - IPv4 reassembly (RFC 791 3.2, RFC 815, RFC 5722's rule)
 *
 * A datagram being reassembled is keyed by (source, destination,
 * protocol, identification) and holds its fragments as buffers sorted by
 * payload offset. Bounds, each with its counter:
 *
 *   reasm_datagrams_max  datagrams at once; a new one evicts the oldest
 *                        (frag_drop_memory).
 *   reasm_frags_max      fragments of one datagram; one more drops it
 *                        (frag_drop_too_many).
 *   reasm_bytes_max      buffer memory held by all datagrams, counted as
 *                        buffer capacity (a 1-byte fragment costs a whole
 *                        buffer); the oldest others are evicted first,
 *                        then this one goes (frag_drop_memory).
 *   65535 bytes          a fragment ending beyond the IPv4 maximum drops
 *                        the datagram (frag_drop_oversize).
 *   reasm_timeout_ns     an incomplete datagram is dropped when it runs
 *                        out (frag_drop_timeout), with an ICMP time
 *                        exceeded when the first fragment was held
 *                        (RFC 792, RFC 1122 3.2.1.4).
 *
 * Overlaps: as RFC 5722 prescribes for IPv6 and Linux does for IPv4, a
 * fragment that overlaps another drops the whole datagram
 * (frag_drop_overlap), and the entry stays "dead" until its timeout so
 * that the rest of that datagram's fragments are dropped as well. An
 * exact duplicate (same offset and length) is ignored. When the held
 * fragments cover 0..total contiguously, they are copied into one large
 * buffer behind the first fragment's header and delivered.
 */
#include <errno.h>
#include <stdlib.h>

#include "checksum.h"
#include "stack_internal.h"

int reasm_init(struct reasm_table *t, uint32_t max)
{
	t->entries = calloc(max, sizeof(*t->entries));
	if (!t->entries)
		return -ENOMEM;
	t->max = max;
	t->mem = 0;
	return 0;
}

/* Frees an entry's fragments; the entry itself stays as it is. */
static void reasm_release(struct stack *s, struct reasm_entry *e)
{
	struct pkt *p = e->frags;

	while (p) {
		struct pkt *next = p->next;
		stack_drop(s, p);
		p = next;
	}
	e->frags = NULL;
	s->reasm.mem -= e->mem;
	e->mem = 0;
	e->nfrags = 0;
	e->received = 0;
}

static void reasm_free_entry(struct stack *s, struct reasm_entry *e)
{
	reasm_release(s, e);
	e->used = false;
}

void reasm_destroy(struct stack *s)
{
	for (uint32_t i = 0; i < s->reasm.max; i++)
		reasm_release(s, &s->reasm.entries[i]);
	free(s->reasm.entries);
	s->reasm.entries = NULL;
}

/* Kills a datagram per RFC 5722: its fragments go now, later ones are
 * dropped on arrival until the entry times out. */
static void reasm_kill(struct stack *s, struct reasm_entry *e)
{
	reasm_release(s, e);
	e->dead = true;
}

static struct reasm_entry *reasm_oldest(struct stack *s,
					const struct reasm_entry *except)
{
	struct reasm_entry *oldest = NULL;

	for (uint32_t i = 0; i < s->reasm.max; i++) {
		struct reasm_entry *e = &s->reasm.entries[i];
		if (!e->used || e == except || (e->dead && !e->mem))
			continue;
		if (!oldest || e->created < oldest->created)
			oldest = e;
	}
	return oldest;
}

static struct reasm_entry *reasm_find_or_create(struct stack *s, uint64_t now,
						const struct ipv4_view *ip)
{
	struct reasm_entry *slot = NULL, *oldest = NULL;

	for (uint32_t i = 0; i < s->reasm.max; i++) {
		struct reasm_entry *e = &s->reasm.entries[i];
		if (!e->used) {
			if (!slot)
				slot = e;
			continue;
		}
		if (e->saddr == ip->saddr && e->daddr == ip->daddr &&
		    e->id == ip->id && e->proto == ip->proto)
			return e;
		if (!oldest || e->created < oldest->created)
			oldest = e;
	}
	if (!slot) {
		/* Full: the oldest datagram makes room. */
		if (oldest->mem)
			COUNT(s, frag_drop_memory);
		reasm_free_entry(s, oldest);
		slot = oldest;
	}
	*slot = (struct reasm_entry){
	    .used = true,
	    .saddr = ip->saddr,
	    .daddr = ip->daddr,
	    .id = ip->id,
	    .proto = ip->proto,
	    .created = now,
	    .deadline = now + s->lim.reasm_timeout_ns,
	};
	stack_deadline_hint(s, slot->deadline);
	return slot;
}

/* Copies the complete datagram of e into one buffer; NULL when the pool
 * is exhausted (the datagram is then dropped). */
static struct pkt *reasm_join(struct stack *s, struct reasm_entry *e)
{
	struct pkt *first = e->frags;
	uint8_t *first_hdr = first->buf + first->l3_offset;
	uint8_t hdr_len = (uint8_t)((first_hdr[0] & 0x0f) * 4);
	struct pkt *out;
	uint8_t *h;

	out = stack_pkt_alloc(s, (size_t)hdr_len + e->total_len);
	if (!out)
		return NULL;
	out->ifindex = first->ifindex;
	out->flags = PKT_F_REASSEMBLED;
	h = out->data;
	memcpy(h, first_hdr, hdr_len);
	put_be16(h + 2, (uint16_t)(hdr_len + e->total_len));
	put_be16(h + 6, 0);
	put_be16(h + 10, 0);
	put_be16(h + 10, csum_fold(csum_partial(h, hdr_len, 0)));
	for (struct pkt *f = e->frags; f; f = f->next)
		memcpy(h + hdr_len + f->frag_offset, f->data, f->len);
	out->len = hdr_len + e->total_len;
	return out;
}

struct pkt *reasm_input(struct stack *s, uint64_t now, struct pkt *p,
			const struct ipv4_view *ip)
{
	uint32_t off = (uint32_t)(ip->frag & IPV4_OFFSET_MASK) * 8;
	uint32_t len = ip->payload_len;
	bool more = ip->frag & IPV4_FLAG_MF;
	struct reasm_entry *e;
	struct pkt **link, *joined;

	COUNT(s, frag_rx);
	/* Every fragment but the last carries a multiple of 8 bytes, and
	 * no fragment is empty (RFC 791 3.2). */
	if (len == 0 || (more && len % 8)) {
		COUNT(s, frag_drop_malformed);
		stack_drop(s, p);
		return NULL;
	}
	e = reasm_find_or_create(s, now, ip);
	if (e->dead) {
		COUNT(s, frag_drop_overlap);
		goto drop;
	}
	if (off + len + ip->hdr_len > IPV4_MAX_LEN) {
		COUNT(s, frag_drop_oversize);
		reasm_kill(s, e);
		goto drop;
	}
	if ((!more && e->total_len && e->total_len != off + len) ||
	    (e->total_len && off + len > e->total_len)) {
		COUNT(s, frag_drop_malformed);
		reasm_kill(s, e);
		goto drop;
	}
	/* Find the insertion point, checking overlap with neighbours. */
	link = &e->frags;
	while (*link && (*link)->frag_offset + (*link)->len <= off)
		link = &(*link)->next;
	if (*link && (*link)->frag_offset < off + len) {
		if ((*link)->frag_offset == off && (*link)->len == len)
			goto drop; /* exact duplicate */
		COUNT(s, frag_drop_overlap);
		reasm_kill(s, e);
		goto drop;
	}
	if (e->nfrags >= s->lim.reasm_frags_max) {
		COUNT(s, frag_drop_too_many);
		reasm_kill(s, e);
		goto drop;
	}
	/* Make room within the memory bound: evict older datagrams. */
	while (s->reasm.mem + p->cap > s->lim.reasm_bytes_max) {
		struct reasm_entry *old = reasm_oldest(s, e);
		if (!old)
			break;
		COUNT(s, frag_drop_memory);
		reasm_kill(s, old);
	}
	if (s->reasm.mem + p->cap > s->lim.reasm_bytes_max) {
		COUNT(s, frag_drop_memory);
		reasm_kill(s, e);
		goto drop;
	}
	/* Keep the fragment: data at its payload, l3_offset at its header. */
	p->l3_offset = (uint16_t)(p->data - p->buf);
	pkt_pull(p, ip->hdr_len);
	p->frag_offset = (uint16_t)off;
	p->next = *link;
	*link = p;
	e->nfrags++;
	e->received += len;
	e->mem += p->cap;
	s->reasm.mem += p->cap;
	if (!more)
		e->total_len = off + len;
	if (!e->total_len || e->received != e->total_len)
		return NULL;
	/* No overlaps and the byte count matches: 0..total is covered. */
	joined = reasm_join(s, e);
	if (joined)
		COUNT(s, frag_reassembled);
	else
		COUNT(s, frag_drop_memory);
	reasm_free_entry(s, e);
	return joined;
drop:
	stack_drop(s, p);
	return NULL;
}

void reasm_timer(struct stack *s, uint64_t now)
{
	for (uint32_t i = 0; i < s->reasm.max; i++) {
		struct reasm_entry *e = &s->reasm.entries[i];
		if (!e->used || e->deadline > now)
			continue;
		if (!e->dead) {
			COUNT(s, frag_drop_timeout);
			if (e->frags && e->frags->frag_offset == 0)
				icmp_send_error(s, now, e->frags,
						ICMP_TIME_EXCEEDED,
						ICMP_EXC_FRAGTIME);
		}
		reasm_free_entry(s, e);
	}
}

uint64_t reasm_next_deadline(const struct stack *s)
{
	uint64_t t = STACK_NO_DEADLINE;

	for (uint32_t i = 0; i < s->reasm.max; i++) {
		const struct reasm_entry *e = &s->reasm.entries[i];
		if (e->used && e->deadline < t)
			t = e->deadline;
	}
	return t;
}
