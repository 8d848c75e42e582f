/*
 * dns_msg.c - DNS messages: building and parsing (dns_msg.h)
 *
 * Not written yet: every function refuses.
 */
#include "dns_msg.h"

#include <errno.h>

const char *dns_parse_error_name(enum dns_parse_error e)
{
	return "?";
}

int dns_msg_parse(const uint8_t *msg, size_t len, struct dns_answer *out,
		  enum dns_parse_error *why)
{
	if (why)
		*why = DNS_PARSE_short;
	return -EBADMSG;
}

int dns_name_check(const char *name)
{
	return -EINVAL;
}

bool dns_name_equal(const char *a, const char *b)
{
	return false;
}

unsigned dns_name_dots(const char *name)
{
	return 0;
}

void dns_writer_init(struct dns_writer *w, uint8_t *buf, size_t cap,
		     uint16_t id, uint16_t flags)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->err = -ENOSYS;
}

void dns_writer_question(struct dns_writer *w, const char *name, uint16_t qtype)
{
}

void dns_writer_rr(struct dns_writer *w, enum dns_section sec, const char *name,
		   uint16_t type, uint32_t ttl, const void *rdata,
		   uint16_t rdlen)
{
}

void dns_writer_rr_name(struct dns_writer *w, enum dns_section sec,
			const char *name, uint16_t type, uint32_t ttl,
			const char *target)
{
}

void dns_writer_soa(struct dns_writer *w, enum dns_section sec,
		    const char *name, uint32_t ttl, uint32_t minimum)
{
}

void dns_writer_opt(struct dns_writer *w, uint16_t udp_size)
{
}

int dns_writer_finish(struct dns_writer *w)
{
	return w->err;
}

int dns_msg_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name,
			uint16_t qtype, bool edns)
{
	return -ENOSYS;
}
