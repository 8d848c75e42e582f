/*
 * fuzz_dhcp.c - the DHCP message parser: the input is a UDP payload
 * from a server. Whatever it holds, the parser must stay inside it;
 * when it accepts a message, what it returns must be within its
 * bounds: counts within the arrays, strings NUL-terminated inside
 * theirs, raw options within DHCP_RAW_MAX and a well-formed list of
 * (code, length, value). An accepted message is built back as a
 * request and parsed again, which must succeed.
 */
#include <stdlib.h>
#include <string.h>

#include "dhcp_msg.h"

#define FUZZ_FIXED_LEN 240 /* op .. file, and the magic cookie */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_string(const char *s, size_t cap)
{
	if (!memchr(s, '\0', cap))
		abort();
}

static void check_options(const struct dhcp_options *o)
{
	if (o->nrouters > DHCP_ADDRS_MAX || o->ndns > DHCP_ADDRS_MAX ||
	    o->nlog_servers > DHCP_ADDRS_MAX || o->nntp > DHCP_ADDRS_MAX ||
	    o->nroutes > DHCP_ROUTES_MAX || o->nsearch > DHCP_SEARCH_MAX)
		abort();
	if (o->msg_type < DHCPDISCOVER || o->msg_type > DHCPINFORM ||
	    !dhcp_has(o, DHCP_OPT_MSG_TYPE))
		abort();
	if (dhcp_has(o, DHCP_OPT_PAD) || dhcp_has(o, DHCP_OPT_END))
		abort();
	check_string(o->domain, sizeof(o->domain));
	check_string(o->message, sizeof(o->message));
	for (size_t i = 0; i < DHCP_SEARCH_MAX; i++)
		check_string(o->search[i], sizeof(o->search[i]));
	for (size_t i = 0; i < o->nsearch; i++)
		if (o->search[i][0] == '\0')
			abort();
	for (size_t i = 0; i < o->nroutes; i++)
		if (o->routes[i].prefix_len > 32)
			abort();
	if (dhcp_has(o, DHCP_OPT_MTU) && o->mtu < 68)
		abort();
	if (o->raw_len > DHCP_RAW_MAX)
		abort();
	/* The raw list walks to its end exactly, every code one seen. */
	size_t i = 0;
	while (i < o->raw_len) {
		if (i + 2 > o->raw_len || i + 2u + o->raw[i + 1] > o->raw_len)
			abort();
		if (!dhcp_has(o, o->raw[i]))
			abort();
		i += 2u + o->raw[i + 1];
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dhcp_msg msg, again;
	static uint8_t out[DHCP_MAX_LEN];
	struct dhcp_out o;

	/* The message in a buffer of exactly its size, so that ASan sees
	 * any read past the end. The first byte chooses what the rest is:
	 * the whole message, or (to reach the options quickly) the options
	 * behind a valid fixed part, or `sname` and `file` and then the
	 * options behind it. */
	if (size == 0)
		return 0;
	uint8_t mode = data[0] % 3;
	data++;
	size--;
	if (size > 2 * DHCP_MAX_LEN)
		size = 2 * DHCP_MAX_LEN;
	size_t fields = mode == 2 ? (size < 192 ? size : 192) : 0;
	size_t len = mode == 0 ? size : FUZZ_FIXED_LEN + size - fields;
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	if (mode == 0) {
		memcpy(buf, data, size);
	} else {
		memset(buf, 0, FUZZ_FIXED_LEN);
		buf[0] = 2;
		buf[1] = 1;
		buf[2] = 6;
		memcpy(buf + 44, data, fields); /* sname, file */
		memcpy(buf + FUZZ_FIXED_LEN, data + fields, size - fields);
		buf[236] = 0x63;
		buf[237] = 0x82;
		buf[238] = 0x53;
		buf[239] = 0x63;
	}
	enum dhcp_parse_error e = dhcp_msg_parse(buf, len, &msg);
	free(buf);
	if (e >= DHCP_ERR_COUNT)
		abort();
	if (strcmp(dhcp_parse_error_name(e), "?") == 0)
		abort();
	if (e != DHCP_OK)
		return 0;
	check_options(&msg.opt);

	/* Build a request from it and read that back. */
	memset(&o, 0, sizeof(o));
	o.type = DHCPREQUEST;
	o.xid = msg.xid;
	memcpy(o.chaddr, msg.chaddr, sizeof(o.chaddr));
	o.requested_addr = msg.yiaddr;
	o.server_id = msg.opt.server_id;
	o.client_id_len = (uint8_t)(msg.opt.raw_len % 80);
	memcpy(o.client_id, msg.opt.raw, sizeof(o.client_id));
	memcpy(o.hostname, msg.opt.domain, sizeof(o.hostname) - 1);
	memcpy(o.message, msg.opt.message, sizeof(o.message));
	o.param_list = msg.opt.nroutes & 1;
	o.max_msg_size = msg.opt.max_msg_size;
	size_t n = dhcp_msg_build(out, sizeof(out), &o);
	if (n < DHCP_MIN_LEN || n > sizeof(out) || out[0] != 1)
		abort();
	out[0] = 2;
	if (dhcp_msg_parse(out, n, &again) != DHCP_OK ||
	    again.opt.msg_type != DHCPREQUEST || again.xid != msg.xid)
		abort();
	return 0;
}
