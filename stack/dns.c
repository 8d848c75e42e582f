/*
 * dns.c - the stub resolver (dns.h)
 *
 * Time is in nanoseconds (`now`, as everywhere in stack/); TTLs and
 * timeouts are converted at the edges.
 *
 * State, all allocated in dns_new() except the cache entries' address
 * arrays (each sized to its entry, at most DNS_ADDRS_MAX):
 *
 *   lookups[lookups_max]   a lookup from dns_lookup() until its result
 *                          is popped (or it is cancelled). It holds the
 *                          name asked, the candidate being tried, two
 *                          families (A, AAAA) and the struct dns_result
 *                          being assembled: the result is written in
 *                          the slot, and the result queue is a ring of
 *                          slot numbers, so nothing is copied twice and
 *                          nothing grows. Its id is slot + lookups_max
 *                          * generation, so a stale id never matches.
 *   questions[queries_max] a (name, type) on the wire. The slot number
 *                          is also the transport id of its attempts;
 *                          the slot keeps the transport's state across
 *                          questions (opened, a CLOSE pending, an open
 *                          pending) so that a CLOSE always leaves
 *                          before the next open of the same id, and at
 *                          most one of each is pending per slot: the
 *                          tx "queue" is these flags, scanned by
 *                          dns_pop_tx() (CLOSEs first).
 *   cache[cache_max]       entries keyed by (name, type), an NXDOMAIN
 *                          entry answering for every type of its name;
 *                          least recently used is evicted; expired
 *                          entries are dropped when met and swept by
 *                          dns_timer().
 *
 * A family of a lookup is OFF (not wanted), ASK (attached to a question
 * by slot and generation), WAIT (every question slot is busy: it waits
 * with a sequence number, oldest first) or DONE with its status. When
 * every wanted family is DONE the candidate is judged: addresses end
 * the lookup OK; FAIL or AGAIN end it so; NXDOMAIN/NODATA move to the
 * next candidate. Everything that completes at once (localhost, hosts,
 * the cache, no server) runs synchronously, at a recursion depth
 * bounded by the candidates and CNAME links.
 *
 * A question's attempts: attempt k (0, 1, ...) goes to server
 * order[k % n] and waits timeout_ms << (k / n), at most
 * DNS_TIMEOUT_MAX_MS; after attempts * n attempts the question fails
 * (DNS_AGAIN). `order` is taken when the question starts (servers that
 * answer first, then the unresponsive ones, each in configured order)
 * and again when dns_set_servers() changed the list. A truncated
 * answer leads to one TCP attempt to the same server within the same
 * k. Any accepted answer marks its server responsive again.
 *
 * Choices where dns.h is silent: an answer with a CNAME chain and no
 * address is chased (a new question for the chain's last name) unless
 * it carries an SOA, which says the chain's end has no data (NODATA);
 * NXDOMAIN with a chain is the chain's end's (RFC 6604) and is cached
 * for that name; localhost and host entries carry TTL 0 (they are not
 * to be cached by anyone); host entries answer for the name as asked
 * (no search list, as the files backend of glibc) and a name without
 * an address of the wanted families goes on to DNS; with both families
 * each keeps at most DNS_ADDRS_MAX / 2 addresses in the result.
 */
#include "dns.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

#define NS_PER_MS   1000000ull
#define NS_PER_S    1000000000ull
#define NO_DEADLINE UINT64_MAX
/* A bound that keeps lookup ids positive ints with room for
 * generations. */
#define LOOKUPS_LIMIT 65536u
#define QUERIES_LIMIT 65536u

#define NAME_OF(name) "dns_" #name,
static const char *const counter_names[] = {DNS_COUNTERS(NAME_OF)};
#define STATUS_NAME(id, name) name,
static const char *const status_names[] = {DNS_STATUSES(STATUS_NAME)};
static const char *const source_names[] = {DNS_SOURCES(STATUS_NAME)};

/* The parse errors map onto the rx_drop counters in the same order. */
_Static_assert(DNS_C_rx_drop_question - DNS_C_rx_drop_short ==
		   DNS_PARSE_question - DNS_PARSE_short,
	       "rx_drop counters follow DNS_PARSE_ERRORS");

enum fam_state { FAM_OFF, FAM_ASK, FAM_WAIT, FAM_DONE };

/* A family's outcome for a candidate (DNS_NONAME: NXDOMAIN). */
struct family {
	enum fam_state state;
	uint16_t qtype;
	enum dns_status status;
	/* The name being asked (the candidate or a CNAME's target); once
	 * DONE with addresses, the canonical name. */
	char asking[DNS_NAME_MAX];
	uint8_t links;	    /* CNAME links followed across questions */
	uint32_t chain_ttl; /* the smallest TTL of those links */
	uint32_t q, qgen;   /* the question, when ASK */
	uint64_t wait_seq;  /* when WAIT */
	/* Where its addresses go in the result, how many it may have and
	 * has. */
	uint16_t off, cap, naddrs;
	enum dns_source src;
	uint32_t server;
	uint16_t port;
};

struct lookup {
	bool used, finished;
	int id;
	uint32_t gen;
	uint64_t owner;
	void *cookie;
	char name[DNS_NAME_MAX]; /* as asked, trailing dot dropped */
	bool absolute;		 /* it had a trailing dot */
	uint32_t cand;		 /* candidate index */
	char cand_name[DNS_NAME_MAX];
	bool saw_nodata;
	struct family fam[2];
	struct dns_result res;
};

struct srv_addr {
	uint32_t addr;
	uint16_t port;
};

struct question {
	bool used;
	uint32_t gen;
	char name[DNS_NAME_MAX];
	uint16_t qtype;
	uint32_t attempt;
	bool tcp;
	uint16_t id;
	struct srv_addr to;
	uint64_t deadline;
	struct srv_addr order[DNS_SERVERS_MAX];
	uint32_t norder, order_gen;
	uint8_t query[DNS_QUERY_MAX];
	size_t qlen;
	/* The slot's transport (outlives the question). */
	bool opened, open_pending, close_pending;
};

struct cache_entry {
	bool used;
	enum dns_cache_kind kind;
	uint16_t qtype;
	uint32_t hash;
	uint32_t ttl; /* seconds, from born */
	char name[DNS_NAME_MAX];
	char canon[DNS_NAME_MAX];
	uint64_t born, expires, last_used, hits;
	uint32_t server;
	uint16_t port;
	uint16_t naddrs;
	struct dns_addr *addrs;
};

struct server_state {
	struct dns_server sv;
	bool unresponsive;
	uint64_t queries, answers, timeouts, failures;
};

struct host_entry {
	char name[DNS_NAME_MAX];
	uint8_t naddrs;
	struct dns_addr addrs[DNS_HOST_ADDRS_MAX];
};

struct dns_resolver {
	struct dns_limits lim;
	struct stack_rng rng;
	uint64_t counters[DNS_COUNTER_COUNT];

	struct server_state servers[DNS_SERVERS_MAX];
	size_t nservers;
	uint32_t servers_gen;

	char search[DNS_SEARCH_MAX][DNS_NAME_MAX];
	size_t nsearch;
	unsigned ndots;

	struct host_entry hosts[DNS_HOSTS_MAX];
	size_t nhosts;

	struct lookup *lookups;
	uint32_t *results; /* ring of finished lookup slots */
	uint32_t res_head, res_count;
	uint64_t wait_seq;
	size_t nwaiting;

	struct question *questions;
	size_t tx_close, tx_open; /* slots with one pending */

	struct cache_entry *cache;
	size_t cache_used;
	uint64_t use_seq;

	struct dns_answer ans; /* scratch for dns_msg_parse() */
};

/* What ended a question (or a cache hit), handed to its families. */
enum outcome_kind {
	OC_ADDRS,
	OC_CHASE,
	OC_NXDOMAIN,
	OC_NODATA,
	OC_AGAIN,
	OC_FAIL
};

struct outcome {
	enum outcome_kind kind;
	const char *canon; /* ADDRS, CHASE: the chain's last name */
	uint8_t links;	   /* CNAME links in this answer */
	uint32_t chain_ttl;
	const struct dns_addr *addrs;
	uint16_t naddrs;
	uint32_t elapsed_s; /* to take off the addresses' TTLs (cache) */
	uint32_t ttl_left;  /* cache: the entry's life left (>= 1); 0 else */
	enum dns_source src;
	uint32_t server;
	uint16_t port;
};

const char *dns_counter_name(enum dns_counter c)
{
	return (unsigned)c < DNS_COUNTER_COUNT ? counter_names[c] : "?";
}

const char *dns_status_name(enum dns_status st)
{
	return (unsigned)st < DNS_STATUS_COUNT ? status_names[st] : "?";
}

const char *dns_source_name(enum dns_source src)
{
	return (unsigned)src < DNS_SOURCE_COUNT ? source_names[src] : "?";
}

void dns_limits_default(struct dns_limits *l)
{
	l->cache_max = 512;
	l->ttl_max_s = 86400;
	l->negative_ttl_max_s = 3600;
	l->queries_max = 128;
	l->lookups_max = 256;
	l->owner_lookups_max = 16;
	l->timeout_ms = 1000;
	l->attempts = 3;
	l->ndots = 1;
}

static void count(struct dns_resolver *r, enum dns_counter c)
{
	r->counters[c]++;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* ---- names ---------------------------------------------------------- */

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Copies a checked name without its trailing dot. */
static void name_copy(char *dst, const char *src)
{
	size_t n = strlen(src);

	if (n >= DNS_NAME_MAX)
		n = DNS_NAME_MAX - 1;
	if (n > 0 && src[n - 1] == '.')
		n--;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static uint32_t name_hash(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name; name++) {
		h ^= (uint8_t)lower(*name);
		h *= 16777619u;
	}
	return h;
}

static bool is_localhost(const char *name)
{
	size_t n = strlen(name);

	if (dns_name_equal(name, "localhost"))
		return true;
	return n > 10 && name[n - 10] == '.' &&
	       dns_name_equal(name + n - 9, "localhost");
}

/* ---- the cache ------------------------------------------------------ */

static void cache_remove(struct dns_resolver *r, struct cache_entry *e)
{
	free(e->addrs);
	e->addrs = NULL;
	e->used = false;
	r->cache_used--;
}

static bool cache_live(const struct cache_entry *e, uint64_t now)
{
	return now < e->expires;
}

/* Whole seconds since the entry was made (less than its ttl while it
 * is live). */
static uint32_t entry_age_s(const struct cache_entry *e, uint64_t now)
{
	uint64_t age = now > e->born ? (now - e->born) / NS_PER_S : 0;

	return age < e->ttl ? (uint32_t)age : e->ttl;
}

/* The entry answering (name, qtype) at `now`, or NULL; expired entries
 * met on the way are dropped. */
static struct cache_entry *cache_get(struct dns_resolver *r, uint64_t now,
				     const char *name, uint16_t qtype)
{
	uint32_t h = name_hash(name);

	for (uint32_t i = 0; i < r->lim.cache_max; i++) {
		struct cache_entry *e = &r->cache[i];

		if (!e->used || e->hash != h || !dns_name_equal(e->name, name))
			continue;
		if (!cache_live(e, now)) {
			cache_remove(r, e);
			continue;
		}
		if (e->qtype == qtype || e->kind == DNS_CACHE_NXDOMAIN) {
			e->last_used = ++r->use_seq;
			e->hits++;
			return e;
		}
	}
	return NULL;
}

static void cache_sweep(struct dns_resolver *r, uint64_t now)
{
	for (uint32_t i = 0; i < r->lim.cache_max; i++)
		if (r->cache[i].used && !cache_live(&r->cache[i], now))
			cache_remove(r, &r->cache[i]);
}

/* The server of that address and port, or NULL. */
static struct server_state *server_find(struct dns_resolver *r,
					struct srv_addr a)
{
	for (size_t i = 0; i < r->nservers; i++)
		if (r->servers[i].sv.addr == a.addr &&
		    r->servers[i].sv.port == a.port)
			return &r->servers[i];
	return NULL;
}

/*
 * Puts an entry for (name, qtype) in the cache for ttl seconds (0: not
 * at all). It replaces what it contradicts: the same (name, qtype), an
 * NXDOMAIN of the name, and for an NXDOMAIN every entry of the name.
 * Nothing from a server that is no longer one of the resolver's: its
 * question went out before the servers changed (and the cache was
 * flushed for them), and the new servers may see the name otherwise.
 */
static void cache_put(struct dns_resolver *r, uint64_t now, const char *name,
		      uint16_t qtype, enum dns_cache_kind kind,
		      const char *canon, const struct dns_addr *addrs,
		      uint16_t naddrs, uint32_t ttl, uint32_t server,
		      uint16_t port)
{
	uint32_t h = name_hash(name);
	struct cache_entry *e = NULL;

	if (!server_find(r, (struct srv_addr){server, port}))
		return;

	if (r->lim.cache_max == 0 || ttl == 0)
		return;
	for (uint32_t i = 0; i < r->lim.cache_max; i++) {
		struct cache_entry *o = &r->cache[i];

		if (o->used && o->hash == h && dns_name_equal(o->name, name) &&
		    (o->qtype == qtype || o->kind == DNS_CACHE_NXDOMAIN ||
		     kind == DNS_CACHE_NXDOMAIN))
			cache_remove(r, o);
	}
	if (r->cache_used == r->lim.cache_max)
		cache_sweep(r, now);
	if (r->cache_used == r->lim.cache_max) {
		struct cache_entry *lru = NULL;

		for (uint32_t i = 0; i < r->lim.cache_max; i++)
			if (!lru || r->cache[i].last_used < lru->last_used)
				lru = &r->cache[i];
		cache_remove(r, lru);
		count(r, DNS_C_cache_evictions);
	}
	for (uint32_t i = 0; i < r->lim.cache_max && !e; i++)
		if (!r->cache[i].used)
			e = &r->cache[i];
	if (naddrs) {
		e->addrs = malloc(naddrs * sizeof(*addrs));
		if (!e->addrs)
			return;
		memcpy(e->addrs, addrs, naddrs * sizeof(*addrs));
	}
	e->used = true;
	r->cache_used++;
	e->kind = kind;
	e->qtype = qtype;
	e->hash = h;
	e->ttl = ttl;
	name_copy(e->name, name);
	name_copy(e->canon, canon ? canon : name);
	e->born = now;
	e->expires = now + ttl * NS_PER_S;
	e->last_used = ++r->use_seq;
	e->hits = 0;
	e->server = server;
	e->port = port;
	e->naddrs = naddrs;
}

/* A negative answer's life (RFC 2308 section 5): 0 without an SOA. */
static uint32_t negative_ttl(const struct dns_resolver *r,
			     const struct dns_answer *a)
{
	if (!a->has_soa)
		return 0;
	return min_u32(min_u32(a->soa_ttl, a->soa_minimum),
		       r->lim.negative_ttl_max_s);
}

void dns_cache_flush(struct dns_resolver *r)
{
	for (uint32_t i = 0; i < r->lim.cache_max; i++)
		if (r->cache[i].used)
			cache_remove(r, &r->cache[i]);
}

/* ---- the transports (tx) -------------------------------------------- */

/* Queues the open of the question's next attempt on its slot: a CLOSE
 * of what the slot had open first. An open not popped yet is simply
 * rewritten (the caller never saw it). */
static void slot_open(struct dns_resolver *r, struct question *q)
{
	if (q->open_pending)
		return;
	if (q->opened) {
		q->opened = false;
		q->close_pending = true;
		r->tx_close++;
	}
	q->open_pending = true;
	r->tx_open++;
}

/* The slot's transport is done with: close it, or forget its open. */
static void slot_close(struct dns_resolver *r, struct question *q)
{
	if (q->open_pending) {
		q->open_pending = false;
		r->tx_open--;
	} else if (q->opened) {
		q->opened = false;
		q->close_pending = true;
		r->tx_close++;
	}
}

bool dns_pop_tx(struct dns_resolver *r, struct dns_tx *tx)
{
	if (r->tx_close) {
		for (uint32_t i = 0; i < r->lim.queries_max; i++) {
			struct question *q = &r->questions[i];

			if (!q->close_pending)
				continue;
			q->close_pending = false;
			r->tx_close--;
			memset(tx, 0, sizeof(*tx));
			tx->kind = DNS_TX_CLOSE;
			tx->transport = i;
			return true;
		}
	}
	if (r->tx_open) {
		for (uint32_t i = 0; i < r->lim.queries_max; i++) {
			struct question *q = &r->questions[i];

			if (!q->open_pending)
				continue;
			q->open_pending = false;
			q->opened = true;
			r->tx_open--;
			tx->kind = q->tcp ? DNS_TX_TCP : DNS_TX_UDP;
			tx->transport = i;
			tx->server = q->to.addr;
			tx->port = q->to.port;
			tx->data = q->query;
			tx->len = q->qlen;
			return true;
		}
	}
	return false;
}

/* ---- servers -------------------------------------------------------- */

/* The order attempts take: servers that answer, then the others. */
static void order_build(const struct dns_resolver *r, struct question *q)
{
	q->norder = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < r->nservers; i++) {
			const struct server_state *s = &r->servers[i];

			if (s->unresponsive != (pass == 1))
				continue;
			q->order[q->norder].addr = s->sv.addr;
			q->order[q->norder].port = s->sv.port;
			q->norder++;
		}
	q->order_gen = r->servers_gen;
}

int dns_set_servers(struct dns_resolver *r, uint64_t now,
		    const struct dns_server *sv, size_t n)
{
	struct server_state next[DNS_SERVERS_MAX];

	(void)now;
	if (n > DNS_SERVERS_MAX || (n && !sv))
		return -EINVAL;
	memset(next, 0, sizeof(next));
	for (size_t i = 0; i < n; i++) {
		struct srv_addr a = {sv[i].addr, sv[i].port};
		struct server_state *old = server_find(r, a);

		if (old)
			next[i] = *old;
		next[i].sv = sv[i];
	}
	memcpy(r->servers, next, sizeof(next));
	r->nservers = n;
	r->servers_gen++;
	return 0;
}

/* ---- lookups: results ----------------------------------------------- */

static struct lookup *lookup_of(struct dns_resolver *r, int id)
{
	struct lookup *lk;

	if (id < 0)
		return NULL;
	lk = &r->lookups[(uint32_t)id % r->lim.lookups_max];
	return lk->used && lk->id == id ? lk : NULL;
}

static uint32_t slot_of(const struct dns_resolver *r, const struct lookup *lk)
{
	return (uint32_t)(lk - r->lookups);
}

static void wait_remove(struct dns_resolver *r, struct family *f)
{
	if (f->state == FAM_WAIT)
		r->nwaiting--;
}

/* Ends the lookup with `st`: the result is assembled in its slot and
 * queued. */
static void lookup_finish(struct dns_resolver *r, struct lookup *lk,
			  enum dns_status st)
{
	struct dns_result *res = &lk->res;
	struct family *a = &lk->fam[0], *b = &lk->fam[1];
	const struct family *best = NULL;

	for (int i = 0; i < 2; i++) {
		wait_remove(r, &lk->fam[i]);
		if (lk->fam[i].state != FAM_OFF)
			lk->fam[i].state = FAM_DONE;
	}
	res->lookup = lk->id;
	res->owner = lk->owner;
	res->cookie = lk->cookie;
	res->status = st;
	res->naddrs = 0;
	if (st == DNS_OK) {
		/* A's block stays where it is, AAAA's follows it. */
		if (a->naddrs && a->status == DNS_OK)
			res->naddrs = a->naddrs;
		if (b->naddrs && b->status == DNS_OK) {
			memmove(res->addrs + res->naddrs, res->addrs + b->off,
				b->naddrs * sizeof(res->addrs[0]));
			res->naddrs = (uint16_t)(res->naddrs + b->naddrs);
		}
		best = a->status == DNS_OK && a->naddrs ? a : b;
		res->source = best->src;
		res->server = best->server;
		res->server_port = best->port;
		name_copy(res->name, best->asking);
	} else {
		/* The first family's word: where its last answer came
		 * from. */
		best = a->state != FAM_OFF ? a : b;
		res->source = best->src;
		res->server = best->server;
		res->server_port = best->port;
		name_copy(res->name, lk->name);
	}
	count(r, st == DNS_OK ? DNS_C_lookups_ok : DNS_C_lookups_failed);
	lk->finished = true;
	r->results[(r->res_head + r->res_count) % r->lim.lookups_max] =
	    slot_of(r, lk);
	r->res_count++;
}

bool dns_pop_result(struct dns_resolver *r, struct dns_result *out)
{
	struct lookup *lk;

	if (!r->res_count)
		return false;
	lk = &r->lookups[r->results[r->res_head]];
	r->res_head = (r->res_head + 1) % r->lim.lookups_max;
	r->res_count--;
	*out = lk->res;
	lk->used = false;
	lk->finished = false;
	return true;
}

/* ---- lookups: candidates and families ------------------------------- */

static void family_ask(struct dns_resolver *r, uint64_t now, struct lookup *lk,
		       struct family *f, bool waited);
static bool lookup_next_candidate(struct dns_resolver *r, uint64_t now,
				  struct lookup *lk);

/* The candidate number i of the lookup's name into out; false when
 * there is no such candidate. Candidates too long are skipped. */
static bool candidate(const struct dns_resolver *r, const struct lookup *lk,
		      uint32_t i, char *out)
{
	bool as_is_first;
	uint32_t k = 0;

	if (lk->absolute) {
		if (i > 0)
			return false;
		strcpy(out, lk->name);
		return true;
	}
	as_is_first = dns_name_dots(lk->name) >= r->ndots;
	for (uint32_t pos = 0; pos <= r->nsearch; pos++) {
		/* pos: 0..nsearch over "as is" and the domains. */
		bool as_is = as_is_first ? pos == 0 : pos == r->nsearch;
		const char *dom = NULL;

		if (!as_is) {
			size_t d = as_is_first ? pos - 1 : pos;

			dom = r->search[d];
			if (strlen(lk->name) + 1 + strlen(dom) >
			    DNS_NAME_MAX - 1)
				continue;
		}
		if (k++ != i)
			continue;
		if (as_is) {
			strcpy(out, lk->name);
		} else {
			strcpy(out, lk->name);
			strcat(out, ".");
			strcat(out, dom);
		}
		return true;
	}
	return false;
}

/* Every wanted family is done with the candidate: judge it. */
static void lookup_judge(struct dns_resolver *r, uint64_t now,
			 struct lookup *lk)
{
	bool again = false, fail = false, nodata = false;

	for (int i = 0; i < 2; i++)
		if (lk->fam[i].state != FAM_OFF && lk->fam[i].state != FAM_DONE)
			return;
	for (int i = 0; i < 2; i++) {
		const struct family *f = &lk->fam[i];

		if (f->state == FAM_OFF)
			continue;
		if (f->status == DNS_OK) {
			lookup_finish(r, lk, DNS_OK);
			return;
		}
		again |= f->status == DNS_AGAIN;
		fail |= f->status == DNS_FAIL;
		nodata |= f->status == DNS_NODATA;
	}
	if (fail || again) {
		lookup_finish(r, lk, fail ? DNS_FAIL : DNS_AGAIN);
		return;
	}
	lk->saw_nodata |= nodata;
	lk->cand++;
	if (!lookup_next_candidate(r, now, lk))
		lookup_finish(r, lk, lk->saw_nodata ? DNS_NODATA : DNS_NONAME);
}

static void family_done(struct dns_resolver *r, uint64_t now, struct lookup *lk,
			struct family *f, enum dns_status st)
{
	f->state = FAM_DONE;
	f->status = st;
	lookup_judge(r, now, lk);
}

/* Hands a question's (or the cache's) outcome to a family. */
static void family_deliver(struct dns_resolver *r, uint64_t now,
			   struct lookup *lk, struct family *f,
			   const struct outcome *oc)
{
	uint32_t links = (uint32_t)f->links + oc->links;
	/* An address from the cache lives no longer than its entry (its
	 * own TTL may have been capped, or the chain's shorter). */
	uint32_t ttl_cap = oc->ttl_left
			       ? min_u32(r->lim.ttl_max_s, oc->ttl_left)
			       : r->lim.ttl_max_s;

	f->src = oc->src;
	f->server = oc->server;
	f->port = oc->port;
	switch (oc->kind) {
	case OC_ADDRS:
	case OC_CHASE:
		if (links > DNS_CNAME_MAX) {
			count(r, DNS_C_cname_loops);
			family_done(r, now, lk, f, DNS_FAIL);
			return;
		}
		if (oc->links)
			f->chain_ttl = min_u32(f->chain_ttl, oc->chain_ttl);
		name_copy(f->asking, oc->canon);
		if (oc->kind == OC_CHASE) {
			f->links = (uint8_t)links;
			count(r, DNS_C_cname_chases);
			family_ask(r, now, lk, f, false);
			return;
		}
		if (links)
			ttl_cap = min_u32(ttl_cap, f->chain_ttl);
		f->naddrs = 0;
		for (uint16_t i = 0; i < oc->naddrs && f->naddrs < f->cap;
		     i++) {
			struct dns_addr *d = &lk->res.addrs[f->off + f->naddrs];

			*d = oc->addrs[i];
			d->ttl =
			    d->ttl > oc->elapsed_s ? d->ttl - oc->elapsed_s : 0;
			d->ttl = min_u32(d->ttl, ttl_cap);
			f->naddrs++;
		}
		if (f->links) {
			/* Chased across questions: the candidate gets its
			 * own entry, so a hit gives the same answer. */
			uint32_t ttl = ttl_cap;

			for (uint16_t i = 0; i < f->naddrs; i++)
				ttl =
				    min_u32(ttl, lk->res.addrs[f->off + i].ttl);
			cache_put(r, now, lk->cand_name, f->qtype,
				  DNS_CACHE_POSITIVE, f->asking,
				  lk->res.addrs + f->off, f->naddrs, ttl,
				  oc->server, oc->port);
		}
		family_done(r, now, lk, f, f->naddrs ? DNS_OK : DNS_NODATA);
		return;
	case OC_NXDOMAIN:
		family_done(r, now, lk, f, DNS_NONAME);
		return;
	case OC_NODATA:
		family_done(r, now, lk, f, DNS_NODATA);
		return;
	case OC_AGAIN:
		family_done(r, now, lk, f, DNS_AGAIN);
		return;
	case OC_FAIL:
		family_done(r, now, lk, f, DNS_FAIL);
		return;
	}
}

/* Starts the lookup's candidate lk->cand; false when there is none. */
static bool lookup_next_candidate(struct dns_resolver *r, uint64_t now,
				  struct lookup *lk)
{
	if (!candidate(r, lk, lk->cand, lk->cand_name))
		return false;
	for (int i = 0; i < 2; i++) {
		struct family *f = &lk->fam[i];

		if (f->state == FAM_OFF)
			continue;
		f->state = FAM_ASK;
		f->q = UINT32_MAX;
		f->links = 0;
		f->chain_ttl = UINT32_MAX;
		f->naddrs = 0;
		strcpy(f->asking, lk->cand_name);
	}
	/* A family answered at once may end the lookup only once the
	 * other has been asked too: each is marked ASK above first. */
	for (int i = 0; i < 2; i++)
		if (lk->fam[i].state == FAM_ASK && lk->fam[i].q == UINT32_MAX)
			family_ask(r, now, lk, &lk->fam[i], false);
	return true;
}

/* ---- questions ------------------------------------------------------ */

static struct question *question_find(struct dns_resolver *r, const char *name,
				      uint16_t qtype)
{
	for (uint32_t i = 0; i < r->lim.queries_max; i++) {
		struct question *q = &r->questions[i];

		if (q->used && q->qtype == qtype &&
		    dns_name_equal(q->name, name))
			return q;
	}
	return NULL;
}

/* True when no pending lookup is attached to question q (every one
 * that asked it was cancelled). */
static bool question_orphan(const struct dns_resolver *r,
			    const struct question *q, uint32_t slot)
{
	for (uint32_t i = 0; i < r->lim.lookups_max; i++) {
		const struct lookup *lk = &r->lookups[i];

		if (!lk->used || lk->finished)
			continue;
		for (int j = 0; j < 2; j++)
			if (lk->fam[j].state == FAM_ASK &&
			    lk->fam[j].q == slot && lk->fam[j].qgen == q->gen)
				return false;
	}
	return true;
}

/* A free question slot, or NULL. When every slot is busy, a question
 * no lookup waits for any more is given up for it (its transport
 * closes): cancelled lookups never keep the living waiting. */
static struct question *question_free_slot(struct dns_resolver *r)
{
	for (uint32_t i = 0; i < r->lim.queries_max; i++)
		if (!r->questions[i].used)
			return &r->questions[i];
	for (uint32_t i = 0; i < r->lim.queries_max; i++) {
		struct question *q = &r->questions[i];

		if (question_orphan(r, q, i)) {
			slot_close(r, q);
			q->used = false;
			return q;
		}
	}
	return NULL;
}

static uint32_t slot_no(const struct dns_resolver *r, const struct question *q)
{
	return (uint32_t)(q - r->questions);
}

static void question_end(struct dns_resolver *r, uint64_t now,
			 struct question *q, const struct outcome *oc);

/* Sends attempt q->attempt (over TCP when q->tcp), or ends the question
 * with AGAIN when the attempts are spent or there is no server. */
static void question_send(struct dns_resolver *r, uint64_t now,
			  struct question *q)
{
	uint64_t wait_ms;
	uint32_t round;
	struct server_state *s;
	int len;

	if (q->order_gen != r->servers_gen)
		order_build(r, q);
	if (q->norder == 0 || q->attempt >= r->lim.attempts * q->norder) {
		struct outcome oc = {.kind = OC_AGAIN};

		question_end(r, now, q, &oc);
		return;
	}
	if (!q->tcp)
		q->to = q->order[q->attempt % q->norder];
	q->id = (uint16_t)rng_below(&r->rng, 65536);
	len = dns_msg_build_query(q->query, sizeof(q->query), q->id, q->name,
				  q->qtype, true);
	if (len < 0) {
		struct outcome oc = {.kind = OC_FAIL};

		question_end(r, now, q, &oc);
		return;
	}
	q->qlen = (size_t)len;
	round = q->attempt / q->norder;
	if (q->tcp) {
		wait_ms = DNS_TCP_TIMEOUT_MS;
		count(r, DNS_C_queries_tcp);
	} else {
		wait_ms = round >= 32 ? DNS_TIMEOUT_MAX_MS
				      : (uint64_t)r->lim.timeout_ms << round;
		if (wait_ms > DNS_TIMEOUT_MAX_MS)
			wait_ms = DNS_TIMEOUT_MAX_MS;
		count(r, DNS_C_queries);
	}
	q->deadline = now + wait_ms * NS_PER_MS;
	s = server_find(r, q->to);
	if (s)
		s->queries++;
	slot_open(r, q);
}

/* The attempt is over without an answer: the next one, at once. */
static void question_next(struct dns_resolver *r, uint64_t now,
			  struct question *q)
{
	q->attempt++;
	q->tcp = false;
	question_send(r, now, q);
}

/* Takes the slot for (name, qtype); question_send() starts it. */
static void question_init(struct dns_resolver *r, struct question *q,
			  const char *name, uint16_t qtype)
{
	q->used = true;
	q->gen++;
	name_copy(q->name, name);
	q->qtype = qtype;
	q->attempt = 0;
	q->tcp = false;
	order_build(r, q);
}

/* Serves the families waiting for a question slot, oldest first, as
 * long as slots are free. */
static void serve_waiters(struct dns_resolver *r, uint64_t now)
{
	while (r->nwaiting) {
		struct lookup *best = NULL;
		struct family *bf = NULL;

		for (uint32_t i = 0; i < r->lim.lookups_max; i++) {
			struct lookup *lk = &r->lookups[i];

			if (!lk->used)
				continue;
			for (int j = 0; j < 2; j++) {
				struct family *f = &lk->fam[j];

				if (f->state == FAM_WAIT &&
				    (!bf || f->wait_seq < bf->wait_seq)) {
					best = lk;
					bf = f;
				}
			}
		}
		if (!bf)
			return;
		if (!question_find(r, bf->asking, bf->qtype) &&
		    !question_free_slot(r) && r->nservers)
			return;
		r->nwaiting--;
		bf->state = FAM_ASK;
		family_ask(r, now, best, bf, true);
	}
}

/* Ends the question: its slot's transport closes, and every family
 * attached to it gets the outcome. */
static void question_end(struct dns_resolver *r, uint64_t now,
			 struct question *q, const struct outcome *oc)
{
	uint32_t slot = slot_no(r, q), gen = q->gen;

	slot_close(r, q);
	q->used = false;
	for (uint32_t i = 0; i < r->lim.lookups_max; i++) {
		struct lookup *lk = &r->lookups[i];

		if (!lk->used || lk->finished)
			continue;
		for (int j = 0; j < 2; j++) {
			struct family *f = &lk->fam[j];

			if (f->state != FAM_ASK || f->q != slot ||
			    f->qgen != gen || lk->finished)
				continue;
			f->q = UINT32_MAX;
			family_deliver(r, now, lk, f, oc);
		}
	}
	serve_waiters(r, now);
}

/* Asks (f->asking, f->qtype) for a family: from the cache, by joining
 * a question in flight, or with a new question (waiting for a slot
 * when every one is busy). `waited`: it is being served from the wait
 * queue (already counted as a miss). */
static void family_ask(struct dns_resolver *r, uint64_t now, struct lookup *lk,
		       struct family *f, bool waited)
{
	struct question *q;

	if (!waited) {
		struct cache_entry *e = cache_get(r, now, f->asking, f->qtype);

		if (e) {
			struct outcome oc = {.src = DNS_SRC_CACHE,
					     .server = e->server,
					     .port = e->port};

			count(r, DNS_C_cache_hits);
			if (e->kind == DNS_CACHE_NXDOMAIN) {
				oc.kind = OC_NXDOMAIN;
			} else if (e->kind == DNS_CACHE_NODATA) {
				oc.kind = OC_NODATA;
			} else {
				oc.kind = OC_ADDRS;
				oc.canon = e->canon;
				oc.addrs = e->addrs;
				oc.naddrs = e->naddrs;
				oc.elapsed_s = entry_age_s(e, now);
				oc.ttl_left = e->ttl - oc.elapsed_s;
			}
			family_deliver(r, now, lk, f, &oc);
			return;
		}
		count(r, DNS_C_cache_misses);
	}
	q = question_find(r, f->asking, f->qtype);
	if (q) {
		f->state = FAM_ASK;
		f->q = slot_no(r, q);
		f->qgen = q->gen;
		count(r, DNS_C_coalesced);
		return;
	}
	if (r->nservers == 0) {
		struct outcome oc = {.kind = OC_AGAIN};

		family_deliver(r, now, lk, f, &oc);
		return;
	}
	q = (waited || !r->nwaiting) ? question_free_slot(r) : NULL;
	if (!q) {
		f->state = FAM_WAIT;
		f->wait_seq = ++r->wait_seq;
		r->nwaiting++;
		count(r, DNS_C_queries_waited);
		return;
	}
	f->state = FAM_ASK;
	question_init(r, q, f->asking, f->qtype);
	f->q = slot_no(r, q);
	f->qgen = q->gen;
	question_send(r, now, q);
}

/* ---- answers -------------------------------------------------------- */

static bool rcode_is_failure(uint8_t rcode)
{
	return rcode != DNS_RCODE_NOERROR && rcode != DNS_RCODE_NXDOMAIN;
}

/* The server's datagram or message for the current attempt of q. */
static void question_input(struct dns_resolver *r, uint64_t now,
			   struct question *q, const uint8_t *msg, size_t len)
{
	struct dns_answer *a = &r->ans;
	enum dns_parse_error why = DNS_PARSE_short;
	struct server_state *s;
	struct outcome oc = {.src = DNS_SRC_NETWORK};
	uint32_t ttl;

	if (dns_msg_parse(msg, len, a, &why) < 0) {
		if ((int)why >= 0 && why < DNS_PARSE_ERROR_COUNT)
			count(r, (enum dns_counter)(DNS_C_rx_drop_short + why));
		return;
	}
	if (a->id != q->id || a->qtype != q->qtype ||
	    a->qclass != DNS_CLASS_IN || !dns_name_equal(a->qname, q->name)) {
		count(r, DNS_C_rx_mismatch);
		return;
	}
	count(r, DNS_C_answers);
	s = server_find(r, q->to);
	if (s) {
		s->answers++;
		s->unresponsive = false;
	}
	if (a->tc && !q->tcp) {
		count(r, DNS_C_truncated);
		q->tcp = true;
		question_send(r, now, q);
		return;
	}
	if (rcode_is_failure(a->rcode)) {
		count(r, DNS_C_servfail);
		if (s)
			s->failures++;
		question_next(r, now, q);
		return;
	}
	oc.server = q->to.addr;
	oc.port = q->to.port;
	/* Without a chain the name is the one asked, in its case. */
	oc.canon = a->cnames ? a->cname : q->name;
	oc.links = a->cnames;
	oc.chain_ttl = a->cname_ttl;
	if (a->cname_loop) {
		count(r, DNS_C_cname_loops);
		oc.kind = OC_FAIL;
	} else if (a->rcode == DNS_RCODE_NXDOMAIN) {
		count(r, DNS_C_nxdomain);
		oc.kind = OC_NXDOMAIN;
		cache_put(r, now, a->cname, q->qtype, DNS_CACHE_NXDOMAIN, NULL,
			  NULL, 0, negative_ttl(r, a), oc.server, oc.port);
	} else if (a->naddrs) {
		oc.kind = OC_ADDRS;
		oc.addrs = a->addrs;
		oc.naddrs = a->naddrs;
		ttl = r->lim.ttl_max_s;
		if (a->cnames)
			ttl = min_u32(ttl, a->cname_ttl);
		for (uint16_t i = 0; i < a->naddrs; i++)
			ttl = min_u32(ttl, a->addrs[i].ttl);
		cache_put(r, now, q->name, q->qtype, DNS_CACHE_POSITIVE,
			  oc.canon, a->addrs, a->naddrs, ttl, oc.server,
			  oc.port);
	} else if (a->cnames && !a->has_soa) {
		oc.kind = OC_CHASE;
	} else {
		count(r, DNS_C_nodata);
		oc.kind = OC_NODATA;
		cache_put(r, now, a->cname, q->qtype, DNS_CACHE_NODATA, NULL,
			  NULL, 0, negative_ttl(r, a), oc.server, oc.port);
	}
	question_end(r, now, q, &oc);
}

/* The question whose current attempt uses `transport`, or NULL. */
static struct question *current(struct dns_resolver *r, uint32_t transport,
				bool tcp)
{
	struct question *q;

	if (transport >= r->lim.queries_max)
		return NULL;
	q = &r->questions[transport];
	return q->used && q->opened && q->tcp == tcp ? q : NULL;
}

void dns_udp_input(struct dns_resolver *r, uint64_t now, uint32_t transport,
		   uint32_t src, uint16_t sport, const uint8_t *msg, size_t len)
{
	struct question *q = current(r, transport, false);

	if (!q || src != q->to.addr || sport != q->to.port) {
		count(r, DNS_C_rx_mismatch);
		return;
	}
	question_input(r, now, q, msg, len);
}

void dns_tcp_input(struct dns_resolver *r, uint64_t now, uint32_t transport,
		   const uint8_t *msg, size_t len)
{
	struct question *q = current(r, transport, true);

	if (!q) {
		count(r, DNS_C_rx_mismatch);
		return;
	}
	question_input(r, now, q, msg, len);
}

void dns_transport_error(struct dns_resolver *r, uint64_t now,
			 uint32_t transport, int err)
{
	struct question *q;
	struct server_state *s;

	(void)err;
	count(r, DNS_C_transport_errors);
	if (transport >= r->lim.queries_max)
		return;
	q = &r->questions[transport];
	if (!q->used || !q->opened)
		return;
	s = server_find(r, q->to);
	if (s)
		s->failures++;
	question_next(r, now, q);
}

void dns_timer(struct dns_resolver *r, uint64_t now)
{
	for (uint32_t i = 0; i < r->lim.queries_max; i++) {
		struct question *q = &r->questions[i];
		struct server_state *s;

		if (!q->used || q->deadline > now)
			continue;
		count(r, DNS_C_timeouts);
		s = server_find(r, q->to);
		if (s) {
			s->timeouts++;
			s->unresponsive = true;
		}
		question_next(r, now, q);
	}
	/* Waiters whose slot holders were all cancelled since. */
	serve_waiters(r, now);
	cache_sweep(r, now);
}

uint64_t dns_next_deadline(const struct dns_resolver *r)
{
	uint64_t d = NO_DEADLINE;

	for (uint32_t i = 0; i < r->lim.queries_max; i++)
		if (r->questions[i].used && r->questions[i].deadline < d)
			d = r->questions[i].deadline;
	return d;
}

/* ---- lookups: the entry points -------------------------------------- */

/* Queues the result of a lookup answered without a question (its
 * addresses, source and name already in lk->res when st is DNS_OK). */
static void local_finish(struct dns_resolver *r, struct lookup *lk,
			 enum dns_status st)
{
	struct dns_result *res = &lk->res;

	count(r, DNS_C_local_answers);
	res->lookup = lk->id;
	res->owner = lk->owner;
	res->cookie = lk->cookie;
	res->status = st;
	res->server = 0;
	res->server_port = 0;
	if (st != DNS_OK) {
		res->source = DNS_SRC_LOCAL;
		res->naddrs = 0;
		name_copy(res->name, lk->name);
	}
	count(r, st == DNS_OK ? DNS_C_lookups_ok : DNS_C_lookups_failed);
	lk->finished = true;
	r->results[(r->res_head + r->res_count) % r->lim.lookups_max] =
	    slot_of(r, lk);
	r->res_count++;
}

/* The IPv4 address written as exactly four decimal numbers 0..255
 * ("192.0.2.1", as inet_pton()) into a; false when `name` is not. */
static bool ipv4_literal(const char *name, uint8_t a[4])
{
	for (int part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;

		if (part > 0 && *name++ != '.')
			return false;
		for (; *name >= '0' && *name <= '9'; name++) {
			if (digits > 0 && v == 0)
				return false; /* a leading zero */
			v = v * 10 + (unsigned)(*name - '0');
			if (++digits > 3 || v > 255)
				return false;
		}
		if (digits == 0)
			return false;
		a[part] = (uint8_t)v;
	}
	return *name == '\0';
}

/* A name that is an IPv4 address is its own answer, as getaddrinfo()
 * has it, never a question: true when it was one. Without A wanted it
 * has no address of the families asked (NODATA). */
static bool lookup_literal(struct dns_resolver *r, struct lookup *lk,
			   const char *name, unsigned want)
{
	struct dns_result *res = &lk->res;
	uint8_t a[4];

	if (!ipv4_literal(name, a))
		return false;
	if (!(want & DNS_WANT_A)) {
		local_finish(r, lk, DNS_NODATA);
		return true;
	}
	memset(&res->addrs[0], 0, sizeof(res->addrs[0]));
	res->addrs[0].family = 4;
	memcpy(res->addrs[0].addr, a, 4);
	res->naddrs = 1;
	res->source = DNS_SRC_LOCAL;
	name_copy(res->name, name);
	local_finish(r, lk, DNS_OK);
	return true;
}

/* localhost and the static hosts: true when it answered. */
static bool lookup_local(struct dns_resolver *r, struct lookup *lk,
			 unsigned want)
{
	struct dns_result *res = &lk->res;
	const struct host_entry *h = NULL;

	res->naddrs = 0;
	if (is_localhost(lk->name)) {
		if (want & DNS_WANT_A) {
			struct dns_addr *d = &res->addrs[res->naddrs++];

			memset(d, 0, sizeof(*d));
			d->family = 4;
			d->addr[0] = 127;
			d->addr[3] = 1;
		}
		if (want & DNS_WANT_AAAA) {
			struct dns_addr *d = &res->addrs[res->naddrs++];

			memset(d, 0, sizeof(*d));
			d->family = 6;
			d->addr[15] = 1;
		}
		res->source = DNS_SRC_LOCAL;
	} else {
		for (size_t i = 0; i < r->nhosts && !h; i++)
			if (dns_name_equal(r->hosts[i].name, lk->name))
				h = &r->hosts[i];
		if (!h)
			return false;
		for (int fam = 4; fam <= 6; fam += 2) {
			if (!(want & (fam == 4 ? DNS_WANT_A : DNS_WANT_AAAA)))
				continue;
			for (uint8_t i = 0; i < h->naddrs; i++)
				if (h->addrs[i].family == fam)
					res->addrs[res->naddrs++] = h->addrs[i];
		}
		if (!res->naddrs)
			return false;
		res->source = DNS_SRC_HOSTS;
	}
	name_copy(res->name, lk->name);
	local_finish(r, lk, DNS_OK);
	return true;
}

int dns_lookup(struct dns_resolver *r, uint64_t now, const char *name,
	       unsigned want, uint64_t owner, void *cookie)
{
	struct lookup *lk = NULL;
	size_t mine = 0, len;
	uint32_t slot, gens;

	if (!name || dns_name_check(name) < 0 || !want ||
	    (want & ~DNS_WANT_ALL))
		return -EINVAL;
	len = strlen(name);
	if (len == 0 || (len == 1 && name[0] == '.'))
		return -EINVAL;
	for (uint32_t i = 0; i < r->lim.lookups_max; i++) {
		if (!r->lookups[i].used) {
			if (!lk)
				lk = &r->lookups[i];
		} else if (r->lookups[i].owner == owner) {
			mine++;
		}
	}
	if (!lk || mine >= r->lim.owner_lookups_max) {
		count(r, DNS_C_lookups_refused);
		return lk ? -EMFILE : -ENOBUFS;
	}
	/* Those waiting first, if cancelled lookups left room. */
	serve_waiters(r, now);
	slot = slot_of(r, lk);
	gens = (uint32_t)INT_MAX / r->lim.lookups_max;
	lk->gen = (lk->gen + 1) % gens;
	memset(&lk->res, 0, offsetof(struct dns_result, addrs));
	lk->used = true;
	lk->finished = false;
	lk->id = (int)(lk->gen * r->lim.lookups_max + slot);
	lk->owner = owner;
	lk->cookie = cookie;
	name_copy(lk->name, name);
	lk->absolute = name[len - 1] == '.';
	lk->cand = 0;
	lk->saw_nodata = false;
	count(r, DNS_C_lookups);
	for (int i = 0; i < 2; i++) {
		struct family *f = &lk->fam[i];
		unsigned bit = i == 0 ? DNS_WANT_A : DNS_WANT_AAAA;

		memset(f, 0, sizeof(*f));
		f->state = (want & bit) ? FAM_ASK : FAM_OFF;
		f->qtype = i == 0 ? DNS_TYPE_A : DNS_TYPE_AAAA;
		f->cap =
		    want == DNS_WANT_ALL ? DNS_ADDRS_MAX / 2 : DNS_ADDRS_MAX;
		f->off = (uint16_t)(want == DNS_WANT_ALL && i == 1
					? DNS_ADDRS_MAX / 2
					: 0);
	}
	if (lookup_literal(r, lk, name, want) || lookup_local(r, lk, want))
		return lk->id;
	if (!lookup_next_candidate(r, now, lk))
		lookup_finish(r, lk, DNS_NONAME);
	return lk->id;
}

void dns_cancel(struct dns_resolver *r, int lookup)
{
	struct lookup *lk = lookup_of(r, lookup);
	uint32_t slot;

	if (!lk)
		return;
	slot = slot_of(r, lk);
	if (lk->finished) {
		/* Take its result out of the ring, keeping the order. */
		uint32_t n = r->lim.lookups_max, at = UINT32_MAX;

		for (uint32_t i = 0; i < r->res_count; i++)
			if (r->results[(r->res_head + i) % n] == slot)
				at = i;
		for (uint32_t i = at; i + 1 < r->res_count; i++)
			r->results[(r->res_head + i) % n] =
			    r->results[(r->res_head + i + 1) % n];
		r->res_count--;
	}
	for (int i = 0; i < 2; i++)
		wait_remove(r, &lk->fam[i]);
	lk->used = false;
	lk->finished = false;
}

/* ---- configuration -------------------------------------------------- */

struct dns_resolver *dns_new(const struct dns_limits *lim, uint64_t seed)
{
	struct dns_resolver *r;

	if (!lim->queries_max || !lim->lookups_max || !lim->owner_lookups_max ||
	    !lim->attempts || !lim->timeout_ms ||
	    lim->lookups_max > LOOKUPS_LIMIT ||
	    lim->queries_max > QUERIES_LIMIT || lim->ndots > 15)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->lim = *lim;
	r->ndots = lim->ndots;
	rng_seed(&r->rng, seed);
	r->lookups = calloc(lim->lookups_max, sizeof(*r->lookups));
	r->results = calloc(lim->lookups_max, sizeof(*r->results));
	r->questions = calloc(lim->queries_max, sizeof(*r->questions));
	r->cache =
	    lim->cache_max ? calloc(lim->cache_max, sizeof(*r->cache)) : NULL;
	if (!r->lookups || !r->results || !r->questions ||
	    (lim->cache_max && !r->cache)) {
		dns_free(r);
		return NULL;
	}
	return r;
}

void dns_free(struct dns_resolver *r)
{
	if (!r)
		return;
	if (r->cache)
		dns_cache_flush(r);
	free(r->cache);
	free(r->questions);
	free(r->results);
	free(r->lookups);
	free(r);
}

int dns_set_search(struct dns_resolver *r, const char *const *domains, size_t n)
{
	if (n > DNS_SEARCH_MAX || (n && !domains))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!domains[i] || dns_name_check(domains[i]) < 0 ||
		    !domains[i][0] || !strcmp(domains[i], "."))
			return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		name_copy(r->search[i], domains[i]);
	r->nsearch = n;
	return 0;
}

int dns_set_ndots(struct dns_resolver *r, unsigned ndots)
{
	if (ndots > 15)
		return -EINVAL;
	r->ndots = ndots;
	return 0;
}

int dns_set_limits(struct dns_resolver *r, const struct dns_limits *lim)
{
	if (lim->cache_max != r->lim.cache_max ||
	    lim->queries_max != r->lim.queries_max ||
	    lim->lookups_max != r->lim.lookups_max || !lim->owner_lookups_max ||
	    !lim->attempts || !lim->timeout_ms || lim->ndots > 15)
		return -EINVAL;
	r->lim = *lim;
	r->ndots = lim->ndots;
	return 0;
}

int dns_host_add(struct dns_resolver *r, const char *name,
		 const struct dns_addr *addr)
{
	struct host_entry *h = NULL;
	size_t alen;

	if (!name || !addr || dns_name_check(name) < 0 || !name[0] ||
	    !strcmp(name, ".") || (addr->family != 4 && addr->family != 6))
		return -EINVAL;
	alen = addr->family == 4 ? 4 : 16;
	for (size_t i = 0; i < r->nhosts && !h; i++)
		if (dns_name_equal(r->hosts[i].name, name))
			h = &r->hosts[i];
	if (!h) {
		if (r->nhosts == DNS_HOSTS_MAX)
			return -ENOSPC;
		h = &r->hosts[r->nhosts++];
		name_copy(h->name, name);
		h->naddrs = 0;
	}
	for (uint8_t i = 0; i < h->naddrs; i++)
		if (h->addrs[i].family == addr->family &&
		    !memcmp(h->addrs[i].addr, addr->addr, alen))
			return 0;
	if (h->naddrs == DNS_HOST_ADDRS_MAX)
		return -ENOSPC;
	memset(&h->addrs[h->naddrs], 0, sizeof(h->addrs[0]));
	h->addrs[h->naddrs].family = addr->family;
	memcpy(h->addrs[h->naddrs].addr, addr->addr, alen);
	h->naddrs++;
	return 0;
}

void dns_hosts_clear(struct dns_resolver *r)
{
	r->nhosts = 0;
}

/* ---- inspection ----------------------------------------------------- */

uint64_t dns_counter_get(const struct dns_resolver *r, enum dns_counter c)
{
	return (unsigned)c < DNS_COUNTER_COUNT ? r->counters[c] : 0;
}

size_t dns_server_snapshot(const struct dns_resolver *r,
			   struct dns_server_info *out, size_t max)
{
	size_t n = 0;

	for (; n < r->nservers && n < max; n++) {
		const struct server_state *s = &r->servers[n];

		out[n].server = s->sv;
		out[n].unresponsive = s->unresponsive;
		out[n].queries = s->queries;
		out[n].answers = s->answers;
		out[n].timeouts = s->timeouts;
		out[n].failures = s->failures;
	}
	return n;
}

size_t dns_search_snapshot(const struct dns_resolver *r,
			   char out[][DNS_NAME_MAX], size_t max)
{
	size_t n = 0;

	for (; n < r->nsearch && n < max; n++)
		strcpy(out[n], r->search[n]);
	return n;
}

unsigned dns_ndots(const struct dns_resolver *r)
{
	return r->ndots;
}

size_t dns_cache_snapshot(const struct dns_resolver *r, uint64_t now,
			  struct dns_cache_info *out, size_t max)
{
	size_t n = 0;
	uint64_t below = UINT64_MAX;

	/* Most recently used first: each pass takes the newest entry
	 * older than the last one taken. */
	while (n < max) {
		const struct cache_entry *best = NULL;

		for (uint32_t i = 0; i < r->lim.cache_max; i++) {
			const struct cache_entry *e = &r->cache[i];

			if (e->used && cache_live(e, now) &&
			    e->last_used < below &&
			    (!best || e->last_used > best->last_used))
				best = e;
		}
		if (!best)
			break;
		below = best->last_used;
		uint32_t elapsed = entry_age_s(best, now);
		struct dns_cache_info *o = &out[n++];

		memset(o, 0, sizeof(*o));
		strcpy(o->name, best->name);
		o->qtype = best->qtype;
		o->kind = best->kind;
		o->ttl_left_s = best->ttl - elapsed;
		o->hits = best->hits;
		o->naddrs = best->naddrs;
		for (uint16_t i = 0;
		     i < best->naddrs && i < DNS_CACHE_INFO_ADDRS; i++) {
			o->addrs[i] = best->addrs[i];
			o->addrs[i].ttl = best->addrs[i].ttl > elapsed
					      ? best->addrs[i].ttl - elapsed
					      : 0;
			o->addrs[i].ttl =
			    min_u32(o->addrs[i].ttl, o->ttl_left_s);
		}
	}
	return n;
}

size_t dns_cache_size(const struct dns_resolver *r)
{
	return r->cache_used;
}

size_t dns_lookups_pending(const struct dns_resolver *r)
{
	size_t n = 0;

	for (uint32_t i = 0; i < r->lim.lookups_max; i++)
		n += r->lookups[i].used;
	return n;
}

size_t dns_owner_lookups(const struct dns_resolver *r, uint64_t owner)
{
	size_t n = 0;

	for (uint32_t i = 0; i < r->lim.lookups_max; i++)
		n += r->lookups[i].used && r->lookups[i].owner == owner;
	return n;
}

size_t dns_questions_active(const struct dns_resolver *r)
{
	size_t n = 0;

	for (uint32_t i = 0; i < r->lim.queries_max; i++)
		n += r->questions[i].used;
	return n;
}
