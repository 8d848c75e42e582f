/*
 * dns_msg.h - DNS messages (RFC 1035, RFC 6891): building and parsing
 *
 * Pure functions over byte buffers, shared by the stub resolver
 * (dns.c), the tests' scripted servers and the fuzzer.
 *
 * Building. struct dns_writer writes a message section by section:
 * the header, questions, then resource records in the answer,
 * authority and additional sections in that order. Names are written
 * whole (no compression). dns_msg_build_query() is what the resolver
 * sends: one question, RD set, and an EDNS0 OPT record offering a UDP
 * payload of DNS_EDNS_UDP_SIZE (RFC 6891; 1232 bytes, the size the DNS
 * community agreed on to avoid IP fragmentation).
 *
 * Parsing. dns_msg_parse() checks a whole response before it returns
 * anything: the header (QR set, opcode QUERY, exactly one question),
 * every name in every section (labels of at most 63 bytes, names of at
 * most 255 bytes on the wire, compression pointers that point strictly
 * backwards to the start of an earlier label, so no loop is possible,
 * at most DNS_POINTERS_MAX pointers in a name), every record's fixed
 * part and RDATA against the end of the message, and the RDATA of
 * the types it reads (A: 4 bytes, AAAA: 16, CNAME: one name that ends
 * exactly at the RDATA's end, SOA: two names and 20 bytes). A message
 * with any fault is refused as a whole with its reason (enum
 * dns_parse_error), never half-read. Bytes after the last record are
 * a fault too (`trailing`).
 *
 * What it returns is what the resolver needs, not the records: the
 * question, RCODE and flags; the CNAME chain from the question's name
 * followed through the answer section (at most DNS_CNAME_MAX links;
 * `cname_loop` when it goes further or comes back); the addresses of
 * the question's type owned by the chain's last name, each with its
 * TTL (at most DNS_ADDRS_MAX; more are counted in addrs_dropped); and
 * from the authority section the SOA's TTL and MINIMUM, which bound
 * how long a negative answer is cached (RFC 2308 section 5). Records
 * of other types, classes or owners are checked and skipped.
 *
 * Names are dotted text without the trailing dot ("example.org"; the
 * root is ""), compared without regard to ASCII case (RFC 4343). The
 * text form carries any byte but '.' and NUL in a label; a label with
 * '.' or NUL in it is refused (`name_char`), so text and wire forms
 * map one to one.
 */
#ifndef UTCP_DNS_MSG_H
#define UTCP_DNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_PORT	  53
#define DNS_HEADER_LEN	  12u
#define DNS_LABEL_MAX	  63u
#define DNS_WIRE_NAME_MAX 255u /* a name on the wire, length bytes in */
#define DNS_NAME_MAX	  254u /* dotted text with its NUL */
#define DNS_EDNS_UDP_SIZE 1232u
#define DNS_UDP_PLAIN_MAX 512u	 /* a UDP answer without EDNS0 */
#define DNS_MSG_MAX	  65535u /* over TCP: the 2-byte length's limit */
#define DNS_CNAME_MAX	  8u	 /* CNAME links followed */
#define DNS_ADDRS_MAX	  128u	 /* addresses kept from one answer */
#define DNS_POINTERS_MAX  32u	 /* compression pointers in one name */
#define DNS_QUERY_MAX	  (DNS_HEADER_LEN + DNS_WIRE_NAME_MAX + 4u + 11u)

/* Header flags (the 16 bits after the ID). */
#define DNS_F_QR	  0x8000u
#define DNS_F_OPCODE_MASK 0x7800u
#define DNS_F_AA	  0x0400u
#define DNS_F_TC	  0x0200u
#define DNS_F_RD	  0x0100u
#define DNS_F_RA	  0x0080u
#define DNS_F_RCODE_MASK  0x000fu

enum dns_rcode {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
};

enum dns_type {
	DNS_TYPE_A = 1,
	DNS_TYPE_NS = 2,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_SOA = 6,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_TXT = 16,
	DNS_TYPE_AAAA = 28,
	DNS_TYPE_OPT = 41,
};

#define DNS_CLASS_IN 1u

enum dns_section {
	DNS_SEC_ANSWER,
	DNS_SEC_AUTHORITY,
	DNS_SEC_ADDITIONAL,
};

/*
 * Why a message was refused, X(name): each is counted by the resolver
 * as dns_rx_drop_<name>. In order of the checks.
 */
#define DNS_PARSE_ERRORS(X)                                                    \
	X(short)     /* shorter than the header */                             \
	X(header)    /* QR clear, opcode not QUERY, or QDCOUNT not 1 */        \
	X(label)     /* a label over 63 bytes, or a reserved label type */     \
	X(name_long) /* a name over 255 bytes on the wire */                   \
	X(name_char) /* a label holding '.' or NUL */                          \
	X(pointer)   /* a compression pointer not strictly backwards, into     \
			the header, or too many in one name */                 \
	X(truncated) /* a name, record or RDATA runs past the end */           \
	X(rdata)     /* A not 4 bytes, AAAA not 16, a bad CNAME or SOA */      \
	X(trailing)  /* bytes after the last record */                         \
	X(question)  /* the question's class is not IN */

#define DNS_PARSE_ERROR_ENUM(name) DNS_PARSE_##name,
enum dns_parse_error {
	DNS_PARSE_OK = -1,
	DNS_PARSE_ERRORS(DNS_PARSE_ERROR_ENUM) DNS_PARSE_ERROR_COUNT
};

/* "short", "header", ...; "?" out of range. */
const char *dns_parse_error_name(enum dns_parse_error e);

/* One address of an answer: family 4 (A, addr[0..3], network order)
 * or 6 (AAAA, addr[0..15]), and its TTL in seconds. */
struct dns_addr {
	uint8_t family;
	uint8_t addr[16];
	uint32_t ttl;
};

/* What dns_msg_parse() returns of a response. */
struct dns_answer {
	uint16_t id;
	uint16_t flags; /* DNS_F_*, the RCODE's low 4 bits included */
	uint8_t rcode;	/* with the OPT record's extended RCODE bits */
	bool tc;	/* truncated: ask again over TCP */
	uint16_t qtype, qclass;
	char qname[DNS_NAME_MAX];
	/* The question's name followed through the answer's CNAMEs: the
	 * last name of the chain (qname when there is none), how many
	 * links, the smallest TTL among them, and whether the chain is
	 * longer than DNS_CNAME_MAX or comes back on itself. */
	char cname[DNS_NAME_MAX];
	uint8_t cnames;
	uint32_t cname_ttl;
	bool cname_loop;
	/* The addresses of type qtype owned by `cname`, in answer order. */
	uint16_t naddrs;
	uint16_t addrs_dropped; /* past DNS_ADDRS_MAX */
	struct dns_addr addrs[DNS_ADDRS_MAX];
	/* The authority section's SOA (a negative answer's TTL is the
	 * smaller of its TTL and MINIMUM). */
	bool has_soa;
	uint32_t soa_ttl, soa_minimum;
	/* The OPT record, when there is one. */
	bool edns;
	uint16_t edns_udp_size;
};

/*
 * Parses the response of `len` bytes at msg into *out. Returns 0, or
 * -EBADMSG with *why set (when why is not NULL). *out is undefined
 * after a failure.
 */
int dns_msg_parse(const uint8_t *msg, size_t len, struct dns_answer *out,
		  enum dns_parse_error *why);

/*
 * Checks a dotted name: at most 253 bytes (a trailing dot is allowed
 * and not counted), labels of 1..63 bytes, no NUL. "" and "." are the
 * root. Returns 0 or -EINVAL.
 */
int dns_name_check(const char *name);

/* True when a and b are the same name: ASCII case and a trailing dot
 * aside. */
bool dns_name_equal(const char *a, const char *b);

/* Labels in a checked name ("a.b.c" has 2 dots; a trailing dot is not
 * counted). */
unsigned dns_name_dots(const char *name);

/* A message being written into a caller's buffer. */
struct dns_writer {
	uint8_t *buf;
	size_t cap, len;
	int err;	    /* the first error; later calls do nothing */
	uint16_t counts[4]; /* QD, AN, NS, AR so far */
	int section;	    /* the last section written: -1 = question */
};

/* Starts a message with its header (id, flags as DNS_F_*). */
void dns_writer_init(struct dns_writer *w, uint8_t *buf, size_t cap,
		     uint16_t id, uint16_t flags);

/* Appends a question (class IN). */
void dns_writer_question(struct dns_writer *w, const char *name,
			 uint16_t qtype);

/* Appends a record of class IN with `rdlen` bytes of RDATA. Sections
 * must come in order (answer, authority, additional). */
void dns_writer_rr(struct dns_writer *w, enum dns_section sec, const char *name,
		   uint16_t type, uint32_t ttl, const void *rdata,
		   uint16_t rdlen);

/* Appends a record whose RDATA is one name (CNAME, NS, PTR). */
void dns_writer_rr_name(struct dns_writer *w, enum dns_section sec,
			const char *name, uint16_t type, uint32_t ttl,
			const char *target);

/* Appends an SOA record (authority section, usually) with the given
 * MINIMUM; the other fields are fixed placeholders. */
void dns_writer_soa(struct dns_writer *w, enum dns_section sec,
		    const char *name, uint32_t ttl, uint32_t minimum);

/* Appends an OPT record offering `udp_size` (additional section). */
void dns_writer_opt(struct dns_writer *w, uint16_t udp_size);

/* Writes the section counts into the header. Returns the message's
 * length, or -ENOSPC (the buffer was too small), -EINVAL (a bad name,
 * sections out of order, more than 65535 in a section). */
int dns_writer_finish(struct dns_writer *w);

/*
 * Builds the resolver's query for name/qtype into buf: ID `id`, RD,
 * one question and, when `edns`, an OPT record offering
 * DNS_EDNS_UDP_SIZE. Returns its length (at most DNS_QUERY_MAX) or
 * -EINVAL (a bad name), -ENOSPC.
 */
int dns_msg_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name,
			uint16_t qtype, bool edns);

#endif
