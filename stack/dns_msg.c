/*
 * dns_msg.c - DNS messages: building and parsing (RFC 1035, RFC 6891;
 * the interface and its rules are in dns_msg.h)
 *
 * Names. The text form is the labels joined with '.', no trailing dot,
 * the root "". dns_name_check() is the one judge of a text name;
 * everything that writes a name goes through it. On the wire a name is
 * written whole: length-prefixed labels and the root's zero byte.
 *
 * Writing. struct dns_writer appends into the caller's buffer (at most
 * DNS_MSG_MAX bytes of it) and remembers its first error in w->err;
 * every later call does nothing, so a caller writes a whole message and
 * checks once, in dns_writer_finish(), which fills in the header's
 * section counts. w->section is the last section written (-1 while
 * questions are being written); going back is -EINVAL.
 *
 * Parsing is two passes over a message that is never trusted:
 *
 *  1. Validation, front to back: the header, the question, then every
 *     record of the three sections (owner name, fixed part, RDATA
 *     inside the message, and the RDATA of A/AAAA of class IN, CNAME
 *     and SOA checked against its type), then no byte left over, then
 *     the question's class. The first fault refuses the message. On
 *     the way it takes the OPT record (the first in the additional
 *     section) and the authority section's first SOA of class IN.
 *  2. Extraction, over the answer section that pass 1 found sound: the
 *     CNAME chain from the question's name, then the addresses owned by
 *     the chain's last name. Each link is one walk over the answer
 *     section, so there are at most DNS_CNAME_MAX + 2 walks; a walk
 *     skips names in place and compares an owner with the name sought
 *     only for records of the type it looks for, stopping at the first
 *     byte that differs. The whole parse thus reads each byte of the
 *     message at most a small, fixed number of times over, times the
 *     DNS_WIRE_NAME_MAX bytes a pointer can stand for.
 *
 * Reading a name follows compression pointers under one rule that
 * makes loops impossible: a pointer must point into the message past
 * the header and strictly before the start of the stretch of bytes
 * being read, the name's first byte at first, then the previous
 * pointer's target. Offsets thus fall with every pointer. Any
 * compressor that only points at names it has already written obeys
 * it. At most DNS_POINTERS_MAX pointers and DNS_WIRE_NAME_MAX bytes
 * (labels and the root counted whole, pointers not) make up a name.
 *
 * Choices where the RFCs leave room:
 *  - a message with TC set that ends inside its records (RFC 1035
 *    4.2.1: "truncated") is accepted with its header and question only,
 *    so that the resolver sees TC and asks again over TCP; any other
 *    fault in it refuses it like any message;
 *  - A and AAAA RDATA lengths are checked in class IN only (other
 *    classes define their own formats); CNAME and SOA in any class;
 *  - the chain is not followed when the question's type is CNAME
 *    (RFC 1034 3.6.2); of several CNAMEs of one owner the first counts;
 *  - a TTL or SOA MINIMUM with its top bit set is 0 (RFC 2181 8);
 *  - the extended RCODE (12 bits) saturates at 255 in the 8-bit field;
 *  - of several OPT records the first counts (RFC 6891 6.1.1 makes more
 *    than one a fault for the server to report; a stub needs only one).
 */
#include <errno.h>
#include <string.h>

#include "byteorder.h"
#include "dns_msg.h"

/* Header fields (RFC 1035 4.1.1). */
#define DNS_H_ID      0
#define DNS_H_FLAGS   2
#define DNS_H_QDCOUNT 4
#define DNS_H_ANCOUNT 6
#define DNS_H_NSCOUNT 8
#define DNS_H_ARCOUNT 10

/* A record's fixed part after its owner: type, class, TTL, RDLENGTH. */
#define DNS_RR_FIXED_LEN 10u
#define DNS_Q_FIXED_LEN	 4u  /* QTYPE, QCLASS */
#define DNS_SOA_FIXED	 20u /* SERIAL .. MINIMUM */

/* The top two bits of a length byte: a label, or a pointer. */
#define DNS_LABEL_TYPE_MASK 0xc0u
#define DNS_LABEL_POINTER   0xc0u

#define DNS_TTL_NEGATIVE 0x80000000u

/* The placeholders of an SOA record written by dns_writer_soa(). */
#define DNS_SOA_SERIAL	1u
#define DNS_SOA_REFRESH 3600u
#define DNS_SOA_RETRY	600u
#define DNS_SOA_EXPIRE	86400u

#define DNS_PARSE_ERROR_NAME(name) #name,
static const char *const dns_parse_error_names[] = {
    DNS_PARSE_ERRORS(DNS_PARSE_ERROR_NAME)};

/* "short", "header", ...; "?" out of range. */
const char *dns_parse_error_name(enum dns_parse_error e)
{
	if ((int)e < 0 || e >= DNS_PARSE_ERROR_COUNT)
		return "?";
	return dns_parse_error_names[e];
}

/* ---- text names ---- */

/* The length of a text name without its trailing dot. */
static size_t name_len(const char *name)
{
	size_t n = strlen(name);
	if (n > 0 && name[n - 1] == '.')
		n--;
	return n;
}

static char ascii_lower(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	return c;
}

/* Checks a dotted name: at most 253 bytes (a trailing dot is allowed
 * and not counted), labels of 1..63 bytes. "" and "." are the root.
 * Returns 0 or -EINVAL. */
int dns_name_check(const char *name)
{
	if (!name)
		return -EINVAL;
	size_t n = name_len(name);
	if (n == 0)
		return 0; /* "" or "." */
	if (n > DNS_NAME_MAX - 1)
		return -EINVAL;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		if (name[i] != '.') {
			if (++label > DNS_LABEL_MAX)
				return -EINVAL;
			continue;
		}
		if (label == 0)
			return -EINVAL; /* an empty label */
		label = 0;
	}
	return label == 0 ? -EINVAL : 0;
}

/* True when a and b are the same name: ASCII case and a trailing dot
 * aside. */
bool dns_name_equal(const char *a, const char *b)
{
	size_t n = name_len(a);
	if (name_len(b) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return false;
	return true;
}

/* The dots in a checked name, a trailing dot not counted. */
unsigned dns_name_dots(const char *name)
{
	size_t n = name_len(name);
	unsigned dots = 0;
	for (size_t i = 0; i < n; i++)
		if (name[i] == '.')
			dots++;
	return dots;
}

/* ---- writing ---- */

static void writer_fail(struct dns_writer *w, int err)
{
	if (!w->err)
		w->err = err;
}

/* True when n more bytes fit; else records -ENOSPC. */
static bool writer_room(struct dns_writer *w, size_t n)
{
	if (w->err)
		return false;
	if (w->cap - w->len < n) {
		writer_fail(w, -ENOSPC);
		return false;
	}
	return true;
}

static void writer_bytes(struct dns_writer *w, const void *p, size_t n)
{
	if (!writer_room(w, n))
		return;
	if (n)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void writer_u16(struct dns_writer *w, uint16_t v)
{
	uint8_t b[2];
	put_be16(b, v);
	writer_bytes(w, b, sizeof(b));
}

static void writer_u32(struct dns_writer *w, uint32_t v)
{
	uint8_t b[4];
	put_be32(b, v);
	writer_bytes(w, b, sizeof(b));
}

/* Writes a text name whole: its labels and the root's zero byte. */
static void writer_name(struct dns_writer *w, const char *name)
{
	if (w->err)
		return;
	if (dns_name_check(name) < 0) {
		writer_fail(w, -EINVAL);
		return;
	}
	size_t n = name_len(name);
	size_t start = 0;
	while (start < n) {
		const char *dot = memchr(name + start, '.', n - start);
		size_t end = dot ? (size_t)(dot - name) : n;
		uint8_t label = (uint8_t)(end - start);
		writer_bytes(w, &label, 1);
		writer_bytes(w, name + start, label);
		start = end + 1;
	}
	writer_bytes(w, "", 1);
}

/* Counts one more entry in counts[i]; -EINVAL past 65535. */
static void writer_count(struct dns_writer *w, int i)
{
	if (w->counts[i] == UINT16_MAX)
		writer_fail(w, -EINVAL);
	else
		w->counts[i]++;
}

/* Starts a message with its header (id, flags as DNS_F_*). A buffer
 * smaller than the header is -ENOSPC at dns_writer_finish(). */
void dns_writer_init(struct dns_writer *w, uint8_t *buf, size_t cap,
		     uint16_t id, uint16_t flags)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap > DNS_MSG_MAX ? DNS_MSG_MAX : cap;
	w->section = -1;
	writer_u16(w, id);
	writer_u16(w, flags);
	for (int i = 0; i < 4; i++)
		writer_u16(w, 0);
}

/* Appends a question (class IN); -EINVAL once a record is written. */
void dns_writer_question(struct dns_writer *w, const char *name, uint16_t qtype)
{
	if (w->section != -1)
		writer_fail(w, -EINVAL);
	writer_name(w, name);
	writer_u16(w, qtype);
	writer_u16(w, DNS_CLASS_IN);
	writer_count(w, 0);
}

/*
 * Writes a record's owner and fixed part with RDLENGTH 0 in section
 * sec, which must not come before the last one written. Returns the
 * offset of RDLENGTH, for writer_rr_end(); 0 after an error.
 */
static size_t writer_rr_begin(struct dns_writer *w, enum dns_section sec,
			      const char *name, uint16_t type, uint16_t class,
			      uint32_t ttl)
{
	if ((int)sec < (int)DNS_SEC_ANSWER || sec > DNS_SEC_ADDITIONAL ||
	    (int)sec < w->section) {
		writer_fail(w, -EINVAL);
		return 0;
	}
	w->section = (int)sec;
	writer_name(w, name);
	writer_u16(w, type);
	writer_u16(w, class);
	writer_u32(w, ttl);
	size_t rdlength = w->len;
	writer_u16(w, 0);
	writer_count(w, 1 + (int)sec);
	return w->err ? 0 : rdlength;
}

/* Fills in RDLENGTH: the bytes written since writer_rr_begin(). */
static void writer_rr_end(struct dns_writer *w, size_t rdlength)
{
	if (w->err)
		return;
	size_t n = w->len - rdlength - 2;
	if (n > UINT16_MAX) {
		writer_fail(w, -EINVAL);
		return;
	}
	put_be16(w->buf + rdlength, (uint16_t)n);
}

/* Appends a record of class IN with `rdlen` bytes of RDATA. Sections
 * must come in order (answer, authority, additional). */
void dns_writer_rr(struct dns_writer *w, enum dns_section sec, const char *name,
		   uint16_t type, uint32_t ttl, const void *rdata,
		   uint16_t rdlen)
{
	size_t at = writer_rr_begin(w, sec, name, type, DNS_CLASS_IN, ttl);
	writer_bytes(w, rdata, rdlen);
	writer_rr_end(w, at);
}

/* Appends a record whose RDATA is one name (CNAME, NS, PTR). */
void dns_writer_rr_name(struct dns_writer *w, enum dns_section sec,
			const char *name, uint16_t type, uint32_t ttl,
			const char *target)
{
	size_t at = writer_rr_begin(w, sec, name, type, DNS_CLASS_IN, ttl);
	writer_name(w, target);
	writer_rr_end(w, at);
}

/* Appends an SOA record with the given MINIMUM; MNAME and RNAME are
 * the root, SERIAL .. EXPIRE fixed placeholders. */
void dns_writer_soa(struct dns_writer *w, enum dns_section sec,
		    const char *name, uint32_t ttl, uint32_t minimum)
{
	size_t at =
	    writer_rr_begin(w, sec, name, DNS_TYPE_SOA, DNS_CLASS_IN, ttl);
	writer_name(w, ""); /* MNAME */
	writer_name(w, ""); /* RNAME */
	writer_u32(w, DNS_SOA_SERIAL);
	writer_u32(w, DNS_SOA_REFRESH);
	writer_u32(w, DNS_SOA_RETRY);
	writer_u32(w, DNS_SOA_EXPIRE);
	writer_u32(w, minimum);
	writer_rr_end(w, at);
}

/* Appends an OPT record (RFC 6891 6.1.2) offering `udp_size` in the
 * additional section: root owner, CLASS the payload size, TTL 0
 * (extended RCODE 0, version 0, no flags), no options. */
void dns_writer_opt(struct dns_writer *w, uint16_t udp_size)
{
	size_t at = writer_rr_begin(w, DNS_SEC_ADDITIONAL, "", DNS_TYPE_OPT,
				    udp_size, 0);
	writer_rr_end(w, at);
}

/* Writes the section counts into the header. Returns the message's
 * length, or -ENOSPC (the buffer was too small), -EINVAL (a bad name,
 * sections out of order, more than 65535 in a section). */
int dns_writer_finish(struct dns_writer *w)
{
	if (w->err)
		return w->err;
	for (int i = 0; i < 4; i++)
		put_be16(w->buf + DNS_H_QDCOUNT + 2 * i, w->counts[i]);
	return (int)w->len;
}

/* Builds the resolver's query: ID `id`, RD, one question of class IN
 * and, when `edns`, an OPT record offering DNS_EDNS_UDP_SIZE. Returns
 * its length (at most DNS_QUERY_MAX), -EINVAL (a bad name), -ENOSPC. */
int dns_msg_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name,
			uint16_t qtype, bool edns)
{
	struct dns_writer w;

	dns_writer_init(&w, buf, cap, id, DNS_F_RD);
	dns_writer_question(&w, name, qtype);
	if (edns)
		dns_writer_opt(&w, DNS_EDNS_UDP_SIZE);
	return dns_writer_finish(&w);
}

/* ---- parsing ---- */

/* A record as pass 1 found it: offsets into the message. */
struct dns_rr {
	size_t owner; /* the owner name's first byte */
	uint16_t type, class;
	uint32_t ttl; /* as received */
	size_t rdata; /* RDATA's first byte */
	uint16_t rdlength;
};

/* A TTL with its top bit set is 0 (RFC 2181 8). */
static uint32_t ttl_value(uint32_t ttl)
{
	return ttl & DNS_TTL_NEGATIVE ? 0 : ttl;
}

/*
 * Reads the name at *off in msg[0..len), following pointers under the
 * rule of the top of this file, and moves *off past it (past its first
 * pointer, when it has one). When text is not NULL, writes the dotted
 * form there (DNS_NAME_MAX bytes are always enough). Returns
 * DNS_PARSE_OK or the fault.
 */
static enum dns_parse_error name_read(const uint8_t *msg, size_t len,
				      size_t *off, char *text)
{
	size_t pos = *off;
	size_t limit = *off; /* pointers must land before this */
	size_t after = 0;    /* where the name ends in place, once known */
	size_t wire = 0;     /* labels' bytes with their length bytes */
	size_t t = 0;
	unsigned pointers = 0;

	for (;;) {
		if (pos >= len)
			return DNS_PARSE_truncated;
		uint8_t b = msg[pos];
		if ((b & DNS_LABEL_TYPE_MASK) == DNS_LABEL_POINTER) {
			if (pos + 1 >= len)
				return DNS_PARSE_truncated;
			size_t target = (size_t)(b & ~DNS_LABEL_TYPE_MASK)
					    << 8 |
					msg[pos + 1];
			if (++pointers > DNS_POINTERS_MAX ||
			    target < DNS_HEADER_LEN || target >= limit)
				return DNS_PARSE_pointer;
			if (!after)
				after = pos + 2;
			pos = limit = target;
			continue;
		}
		if (b & DNS_LABEL_TYPE_MASK)
			return DNS_PARSE_label; /* 01 and 10: reserved */
		if (b == 0)
			break;
		if (wire + 1 + b + 1 > DNS_WIRE_NAME_MAX)
			return DNS_PARSE_name_long;
		if (b > len - pos - 1)
			return DNS_PARSE_truncated;
		const uint8_t *label = msg + pos + 1;
		for (size_t i = 0; i < b; i++)
			if (label[i] == '.' || label[i] == '\0')
				return DNS_PARSE_name_char;
		if (text) {
			if (wire)
				text[t++] = '.';
			memcpy(text + t, label, b);
			t += b;
		}
		wire += 1u + b;
		pos += 1u + b;
	}
	if (text)
		text[t] = '\0';
	*off = after ? after : pos + 1;
	return DNS_PARSE_OK;
}

/*
 * Reads the record at *off: its owner, its fixed part and its RDATA
 * inside the message, and the RDATA of the types the resolver reads
 * against their format. Moves *off past it. Returns DNS_PARSE_OK or
 * the fault.
 */
static enum dns_parse_error rr_read(const uint8_t *msg, size_t len, size_t *off,
				    struct dns_rr *rr)
{
	enum dns_parse_error e;

	rr->owner = *off;
	e = name_read(msg, len, off, NULL);
	if (e != DNS_PARSE_OK)
		return e;
	if (len - *off < DNS_RR_FIXED_LEN)
		return DNS_PARSE_truncated;
	rr->type = get_be16(msg + *off);
	rr->class = get_be16(msg + *off + 2);
	rr->ttl = get_be32(msg + *off + 4);
	rr->rdlength = get_be16(msg + *off + 8);
	rr->rdata = *off + DNS_RR_FIXED_LEN;
	if (len - rr->rdata < rr->rdlength)
		return DNS_PARSE_truncated;
	*off = rr->rdata + rr->rdlength;

	size_t end = *off, at = rr->rdata;
	switch (rr->type) {
	case DNS_TYPE_A:
		if (rr->class == DNS_CLASS_IN && rr->rdlength != 4)
			return DNS_PARSE_rdata;
		break;
	case DNS_TYPE_AAAA:
		if (rr->class == DNS_CLASS_IN && rr->rdlength != 16)
			return DNS_PARSE_rdata;
		break;
	case DNS_TYPE_CNAME:
		e = name_read(msg, len, &at, NULL);
		if (e != DNS_PARSE_OK)
			return e;
		if (at != end)
			return DNS_PARSE_rdata;
		break;
	case DNS_TYPE_SOA:
		e = name_read(msg, len, &at, NULL); /* MNAME */
		if (e == DNS_PARSE_OK)
			e = name_read(msg, len, &at, NULL); /* RNAME */
		if (e != DNS_PARSE_OK)
			return e;
		if (at > end || end - at != DNS_SOA_FIXED)
			return DNS_PARSE_rdata;
		break;
	default:
		break;
	}
	return DNS_PARSE_OK;
}

/*
 * Pass 2 reads only what pass 1 found sound, so it follows the bytes
 * without checking them again and skips what it does not need: names
 * in place, without following their pointers.
 */

/* Reads the sound record at *off into rr, moves *off past it. */
static void rr_next(const uint8_t *msg, size_t *off, struct dns_rr *rr)
{
	size_t pos = *off;

	rr->owner = pos;
	while (msg[pos] != 0 &&
	       (msg[pos] & DNS_LABEL_TYPE_MASK) != DNS_LABEL_POINTER)
		pos += 1u + msg[pos];
	pos += msg[pos] == 0 ? 1 : 2;
	rr->type = get_be16(msg + pos);
	rr->class = get_be16(msg + pos + 2);
	rr->ttl = get_be32(msg + pos + 4);
	rr->rdlength = get_be16(msg + pos + 8);
	rr->rdata = pos + DNS_RR_FIXED_LEN;
	*off = rr->rdata + rr->rdlength;
}

/* True when the sound name at `at` is the text name `name` (as written
 * by name_read(): no trailing dot), ASCII case aside. Stops at the
 * first byte that differs. */
static bool name_is(const uint8_t *msg, size_t at, const char *name)
{
	const char *t = name;
	bool first = true;

	for (;;) {
		uint8_t b = msg[at];
		if ((b & DNS_LABEL_TYPE_MASK) == DNS_LABEL_POINTER) {
			at = (size_t)(b & ~DNS_LABEL_TYPE_MASK) << 8 |
			     msg[at + 1];
			continue;
		}
		if (b == 0)
			return *t == '\0';
		if (!first && *t++ != '.')
			return false;
		first = false;
		/* A wire label holds no '.' or NUL: a text one never
		 * matches past its end. */
		for (size_t i = 1; i <= b; i++, t++)
			if (ascii_lower(*t) != ascii_lower((char)msg[at + i]))
				return false;
		at += 1u + b;
	}
}

/*
 * Finds the first CNAME of class IN in the answer section (count
 * records from `at`, all sound) owned by `name`; writes its target to
 * `target` and returns its TTL as received, or -1 when there is none.
 */
static int64_t cname_find(const uint8_t *msg, size_t len, size_t at,
			  unsigned count, const char *name, char *target)
{
	struct dns_rr rr;

	for (unsigned i = 0; i < count; i++) {
		rr_next(msg, &at, &rr);
		if (rr.type != DNS_TYPE_CNAME || rr.class != DNS_CLASS_IN ||
		    !name_is(msg, rr.owner, name))
			continue;
		size_t t = rr.rdata;
		if (name_read(msg, len, &t, target) != DNS_PARSE_OK)
			return -1;
		return rr.ttl;
	}
	return -1;
}

/* Follows the CNAME chain from the question's name through the answer
 * section (count records from `at`) into out->cname and its fields. */
static void cname_follow(const uint8_t *msg, size_t len, size_t at,
			 unsigned count, struct dns_answer *out)
{
	char chain[DNS_CNAME_MAX + 1][DNS_NAME_MAX];
	char target[DNS_NAME_MAX];

	memcpy(chain[0], out->qname, sizeof(chain[0]));
	memcpy(out->cname, out->qname, sizeof(out->cname));
	if (out->qtype == DNS_TYPE_CNAME)
		return;
	for (;;) {
		int64_t ttl =
		    cname_find(msg, len, at, count, out->cname, target);
		if (ttl < 0)
			return;
		if (out->cnames == DNS_CNAME_MAX) {
			out->cname_loop = true; /* longer than we follow */
			return;
		}
		for (unsigned i = 0; i <= out->cnames; i++) {
			if (dns_name_equal(chain[i], target)) {
				out->cname_loop = true; /* back on itself */
				return;
			}
		}
		uint32_t v = ttl_value((uint32_t)ttl);
		if (out->cnames == 0 || v < out->cname_ttl)
			out->cname_ttl = v;
		out->cnames++;
		memcpy(chain[out->cnames], target, sizeof(target));
		memcpy(out->cname, target, sizeof(target));
	}
}

/* Collects the addresses of type qtype and class IN owned by
 * out->cname from the answer section (count records from `at`). */
static void addrs_collect(const uint8_t *msg, size_t at, unsigned count,
			  struct dns_answer *out)
{
	struct dns_rr rr;
	uint8_t family;
	uint16_t size;

	if (out->qtype == DNS_TYPE_A) {
		family = 4;
		size = 4;
	} else if (out->qtype == DNS_TYPE_AAAA) {
		family = 6;
		size = 16;
	} else {
		return;
	}
	for (unsigned i = 0; i < count; i++) {
		rr_next(msg, &at, &rr);
		if (rr.type != out->qtype || rr.class != DNS_CLASS_IN ||
		    rr.rdlength != size || !name_is(msg, rr.owner, out->cname))
			continue;
		if (out->naddrs == DNS_ADDRS_MAX) {
			if (out->addrs_dropped < UINT16_MAX)
				out->addrs_dropped++;
			continue;
		}
		struct dns_addr *a = &out->addrs[out->naddrs++];
		a->family = family;
		memcpy(a->addr, msg + rr.rdata, size);
		a->ttl = ttl_value(rr.ttl);
	}
}

/* Takes what the resolver needs of a sound record of section sec:
 * the first SOA of class IN in authority, the first OPT in additional. */
static void rr_note(const uint8_t *msg, const struct dns_rr *rr,
		    enum dns_section sec, struct dns_answer *out)
{
	if (sec == DNS_SEC_AUTHORITY && rr->type == DNS_TYPE_SOA &&
	    rr->class == DNS_CLASS_IN && !out->has_soa) {
		out->has_soa = true;
		out->soa_ttl = ttl_value(rr->ttl);
		out->soa_minimum =
		    ttl_value(get_be32(msg + rr->rdata + rr->rdlength - 4));
	}
	if (sec == DNS_SEC_ADDITIONAL && rr->type == DNS_TYPE_OPT &&
	    !out->edns) {
		out->edns = true;
		out->edns_udp_size = rr->class;
		/* RFC 6891 6.1.3: the TTL's high byte is the RCODE's
		 * upper 8 bits. */
		unsigned rcode = (rr->ttl >> 24) << 4 | out->rcode;
		out->rcode = (uint8_t)(rcode > UINT8_MAX ? UINT8_MAX : rcode);
	}
}

/*
 * Parses the response of `len` bytes at msg into *out. Returns 0, or
 * -EBADMSG with *why set (when why is not NULL). *out is undefined
 * after a failure.
 */
int dns_msg_parse(const uint8_t *msg, size_t len, struct dns_answer *out,
		  enum dns_parse_error *why)
{
	enum dns_parse_error e = DNS_PARSE_OK;
	size_t off = DNS_HEADER_LEN, answers = 0;
	uint16_t counts[3];
	struct dns_rr rr;

	memset(out, 0, sizeof(*out));
	if (len < DNS_HEADER_LEN) {
		e = DNS_PARSE_short;
		goto out;
	}
	out->id = get_be16(msg + DNS_H_ID);
	out->flags = get_be16(msg + DNS_H_FLAGS);
	out->rcode = (uint8_t)(out->flags & DNS_F_RCODE_MASK);
	out->tc = (out->flags & DNS_F_TC) != 0;
	if (!(out->flags & DNS_F_QR) || (out->flags & DNS_F_OPCODE_MASK) ||
	    get_be16(msg + DNS_H_QDCOUNT) != 1) {
		e = DNS_PARSE_header;
		goto out;
	}
	counts[0] = get_be16(msg + DNS_H_ANCOUNT);
	counts[1] = get_be16(msg + DNS_H_NSCOUNT);
	counts[2] = get_be16(msg + DNS_H_ARCOUNT);

	e = name_read(msg, len, &off, out->qname);
	if (e != DNS_PARSE_OK)
		goto out;
	if (len - off < DNS_Q_FIXED_LEN) {
		e = DNS_PARSE_truncated;
		goto out;
	}
	out->qtype = get_be16(msg + off);
	out->qclass = get_be16(msg + off + 2);
	off += DNS_Q_FIXED_LEN;
	memcpy(out->cname, out->qname, sizeof(out->cname));

	answers = off;
	for (int sec = DNS_SEC_ANSWER; sec <= DNS_SEC_ADDITIONAL; sec++) {
		for (unsigned i = 0; i < counts[sec]; i++) {
			e = rr_read(msg, len, &off, &rr);
			if (e != DNS_PARSE_OK)
				goto records_cut;
			rr_note(msg, &rr, (enum dns_section)sec, out);
		}
	}
	if (off != len) {
		e = DNS_PARSE_trailing;
		goto out;
	}
	if (out->qclass != DNS_CLASS_IN) {
		e = DNS_PARSE_question;
		goto out;
	}
	cname_follow(msg, len, answers, counts[DNS_SEC_ANSWER], out);
	addrs_collect(msg, answers, counts[DNS_SEC_ANSWER], out);
	return 0;

records_cut:
	/* A truncated answer ends where the server cut it: keep its
	 * header and question, and nothing of its records. */
	if (e == DNS_PARSE_truncated && out->tc &&
	    out->qclass == DNS_CLASS_IN) {
		out->rcode = (uint8_t)(out->flags & DNS_F_RCODE_MASK);
		out->has_soa = false;
		out->soa_ttl = out->soa_minimum = 0;
		out->edns = false;
		out->edns_udp_size = 0;
		return 0;
	}
out:
	if (why)
		*why = e;
	return -EBADMSG;
}
