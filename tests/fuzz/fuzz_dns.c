/*
 * fuzz_dns.c - the DNS message parser: the input is a response from a
 * server. Whatever it holds, the parser must stay inside it and end
 * (compression pointers cannot loop). When it accepts a message, what
 * it returns must be within its bounds: names NUL-terminated in their
 * arrays and valid text names, counts within the arrays and limits,
 * TTLs below 2^31, fields that say "absent" empty. The answer is then
 * written back with the writer (question, one CNAME to the chain's end,
 * the addresses, the SOA, the OPT) and parsed again, which must give
 * the same answer; and the query for its name must build.
 *
 * A third of the inputs are not bytes of a message but a script for
 * the writer (records of a few types over a few names that alias each
 * other), so that CNAME chains, loops and the address limit are reached
 * too; what the writer writes must always parse.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "dns_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_TTL_MAX 0x7fffffffu

static void check_name(const char *s)
{
	if (!memchr(s, '\0', DNS_NAME_MAX))
		abort();
	if (dns_name_check(s) != 0 || !dns_name_equal(s, s))
		abort();
}

static void check_answer(const struct dns_answer *a)
{
	if (!(a->flags & DNS_F_QR) || (a->flags & DNS_F_OPCODE_MASK))
		abort();
	if (a->tc != ((a->flags & DNS_F_TC) != 0) || a->qclass != DNS_CLASS_IN)
		abort();
	if ((a->rcode & DNS_F_RCODE_MASK) != (a->flags & DNS_F_RCODE_MASK) &&
	    a->rcode != UINT8_MAX)
		abort();
	if (!a->edns && (a->edns_udp_size || a->rcode > DNS_F_RCODE_MASK))
		abort();
	check_name(a->qname);
	check_name(a->cname);
	if (a->cnames > DNS_CNAME_MAX || a->cname_ttl > FUZZ_TTL_MAX)
		abort();
	if (a->cnames == 0 && (a->cname_ttl || strcmp(a->cname, a->qname) != 0))
		abort();
	if (a->cnames > 0 && dns_name_equal(a->cname, a->qname))
		abort(); /* the chain never comes back to its start */
	if (a->naddrs > DNS_ADDRS_MAX ||
	    (a->addrs_dropped && a->naddrs != DNS_ADDRS_MAX))
		abort();
	uint8_t family = a->qtype == DNS_TYPE_A	     ? 4
			 : a->qtype == DNS_TYPE_AAAA ? 6
						     : 0;
	if (!family && a->naddrs)
		abort();
	for (unsigned i = 0; i < a->naddrs; i++)
		if (a->addrs[i].family != family ||
		    a->addrs[i].ttl > FUZZ_TTL_MAX)
			abort();
	if (a->has_soa
		? a->soa_ttl > FUZZ_TTL_MAX || a->soa_minimum > FUZZ_TTL_MAX
		: a->soa_ttl || a->soa_minimum)
		abort();
}

/* Writes `a` back as a message of its own into buf; returns its
 * length. */
static size_t rebuild(const struct dns_answer *a, uint8_t *buf, size_t cap)
{
	struct dns_writer w;

	dns_writer_init(&w, buf, cap, a->id, a->flags);
	dns_writer_question(&w, a->qname, a->qtype);
	if (a->cnames)
		dns_writer_rr_name(&w, DNS_SEC_ANSWER, a->qname, DNS_TYPE_CNAME,
				   a->cname_ttl, a->cname);
	for (unsigned i = 0; i < a->naddrs; i++)
		dns_writer_rr(&w, DNS_SEC_ANSWER, a->cname, a->qtype,
			      a->addrs[i].ttl, a->addrs[i].addr,
			      a->addrs[i].family == 4 ? 4 : 16);
	if (a->has_soa)
		dns_writer_soa(&w, DNS_SEC_AUTHORITY, "", a->soa_ttl,
			       a->soa_minimum);
	if (a->edns)
		dns_writer_opt(&w, a->edns_udp_size);
	int n = dns_writer_finish(&w);
	if (n <= 0)
		abort();
	if (a->edns) /* the extended RCODE: the OPT's TTL's first byte */
		buf[n - 6] = (uint8_t)(a->rcode >> 4);
	return (size_t)n;
}

static void check_same(const struct dns_answer *a, const struct dns_answer *b)
{
	if (b->id != a->id || b->flags != a->flags || b->qtype != a->qtype ||
	    strcmp(b->qname, a->qname) != 0 || strcmp(b->cname, a->cname) != 0)
		abort();
	if (a->rcode != UINT8_MAX && b->rcode != a->rcode)
		abort();
	if (b->cnames != (a->cnames ? 1 : 0) || b->cname_ttl != a->cname_ttl ||
	    b->cname_loop)
		abort();
	if (b->naddrs != a->naddrs || b->addrs_dropped != 0)
		abort();
	for (unsigned i = 0; i < a->naddrs; i++)
		if (b->addrs[i].family != a->addrs[i].family ||
		    b->addrs[i].ttl != a->addrs[i].ttl ||
		    memcmp(b->addrs[i].addr, a->addrs[i].addr, 16) != 0)
			abort();
	if (b->has_soa != a->has_soa || b->soa_ttl != a->soa_ttl ||
	    b->soa_minimum != a->soa_minimum)
		abort();
	if (b->edns != a->edns || b->edns_udp_size != a->edns_udp_size)
		abort();
}

/* Writes a message from a script: the first byte picks the question,
 * then each 3 bytes one record (section, type; owner, target; TTL).
 * Returns its length. */
static size_t script(const uint8_t *data, size_t size, uint8_t *buf, size_t cap)
{
	/* Ten names, so that a chain can go past DNS_CNAME_MAX, and one
	 * of them again in another case. */
	static const char *const names[] = {"www.example.org",
					    "n1.example",
					    "n2",
					    "n3",
					    "n4",
					    "n5",
					    "n6",
					    "n7",
					    "n8",
					    "n9",
					    "N1.EXAMPLE."};
	const unsigned nnames = sizeof(names) / sizeof(names[0]);
	static const uint16_t types[] = {
	    DNS_TYPE_A,	  DNS_TYPE_AAAA, DNS_TYPE_CNAME,
	    DNS_TYPE_SOA, DNS_TYPE_TXT,	 DNS_TYPE_OPT,
	};
	static const uint8_t rdata[16] = {10, 0, 0, 1, 0xfe, 0x80};
	struct dns_writer w;
	int sec = DNS_SEC_ANSWER;

	dns_writer_init(&w, buf, cap, 0x7777, DNS_F_QR | DNS_F_RD);
	dns_writer_question(&w, names[data[0] % nnames],
			    data[0] & 0x80 ? DNS_TYPE_AAAA : DNS_TYPE_A);
	for (size_t i = 1; i + 3 <= size; i += 3) {
		const uint8_t *r = data + i;
		if ((r[0] & 3) > sec && (r[0] & 3) <= DNS_SEC_ADDITIONAL)
			sec = r[0] & 3;
		uint16_t type = types[(r[0] >> 2) % 6];
		const char *owner = names[(r[1] & 0x0f) % nnames];
		const char *target = names[(r[1] >> 4) % nnames];
		uint32_t ttl = (uint32_t)(r[2] & 0x7f) * 1000u |
			       (r[2] & 0x80 ? 0x80000000u : 0);
		switch (type) {
		case DNS_TYPE_CNAME:
			dns_writer_rr_name(&w, (enum dns_section)sec, owner,
					   type, ttl, target);
			break;
		case DNS_TYPE_SOA:
			dns_writer_soa(&w, (enum dns_section)sec, owner, ttl,
				       ttl / 2);
			break;
		case DNS_TYPE_OPT:
			dns_writer_opt(&w, (uint16_t)(ttl >> 3));
			sec = DNS_SEC_ADDITIONAL;
			break;
		default:
			dns_writer_rr(
			    &w, (enum dns_section)sec, owner, type, ttl, rdata,
			    type == DNS_TYPE_AAAA ? 16
			    : type == DNS_TYPE_A  ? 4
						  : (uint16_t)(r[2] % 16));
			break;
		}
	}
	int n = dns_writer_finish(&w);
	if (n <= 0)
		abort();
	return (size_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_answer ans, again;
	static uint8_t out[DNS_MSG_MAX];
	enum dns_parse_error why = DNS_PARSE_OK;

	/* The message in a buffer of exactly its size, so that ASan sees
	 * any read past the end. The first byte chooses what the rest is:
	 * the whole message, or (to reach the records quickly) the
	 * records behind a sound header and question of type A or AAAA,
	 * with section counts of 0..15, 0..3 and 0..3 from the second
	 * byte, or a script for the writer whose message is then taken
	 * as the input. */
	if (size < 2)
		return 0;
	uint8_t mode = data[0] % 3, aaaa = data[0] & 0x80, counts = data[1];
	if (mode == 2) {
		size_t n = script(data + 1, size > 3 * 512 ? 3 * 512 : size - 1,
				  out, sizeof(out));
		if (dns_msg_parse(out, n, &ans, NULL) != 0)
			abort();
		check_answer(&ans);
		size = n;
		data = out;
		mode = 0;
	} else {
		data += 2;
		size -= 2;
	}
	if (size > DNS_MSG_MAX)
		size = DNS_MSG_MAX;
	static const uint8_t head[] = {
	    0x00, 0x00, 0x81, 0x80, 0x00, 0x01, /* ID, QR RD RA, QD 1 */
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* AN, NS, AR */
	    0x03, 'w',	'w',  'w',  0x07, 'e',	'x', 'a',  'm',
	    'p',  'l',	'e',  0x03, 'o',  'r',	'g', 0x00, /* www.example.org */
	    0x00, 0x01, 0x00, 0x01,			   /* A, IN */
	};
	size_t len = mode == 0 ? size : sizeof(head) + size;
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	if (mode == 0) {
		memcpy(buf, data, size);
	} else {
		memcpy(buf, head, sizeof(head));
		put_be16(buf + 6, (uint16_t)(counts & 0x0f));
		put_be16(buf + 8, (uint16_t)(counts >> 4 & 0x03));
		put_be16(buf + 10, (uint16_t)(counts >> 6));
		if (aaaa)
			put_be16(buf + 29, DNS_TYPE_AAAA);
		memcpy(buf + sizeof(head), data, size);
	}
	int r = dns_msg_parse(buf, len, &ans, &why);
	free(buf);
	if (r != 0) {
		if (r != -EBADMSG || why < 0 || why >= DNS_PARSE_ERROR_COUNT ||
		    strcmp(dns_parse_error_name(why), "?") == 0)
			abort();
		return 0;
	}
	check_answer(&ans);

	/* The query for its name builds; the answer written back reads
	 * the same. */
	int q = dns_msg_build_query(out, DNS_QUERY_MAX, ans.id, ans.qname,
				    ans.qtype, true);
	if (q <= 0 || (size_t)q > DNS_QUERY_MAX)
		abort();
	size_t n = rebuild(&ans, out, sizeof(out));
	if (dns_msg_parse(out, n, &again, NULL) != 0)
		abort();
	check_answer(&again);
	check_same(&ans, &again);
	return 0;
}
