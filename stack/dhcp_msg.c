/*
 * dhcp_msg.c - DHCP messages (RFC 2131, RFC 2132): parsing and building,
 * with long options (RFC 3396), the domain search list (RFC 3397) and
 * classless static routes (RFC 3442)
 *
 * Parsing is three passes over a message that is never trusted:
 *
 *  1. The fixed BOOTP part and the magic cookie (RFC 2131 2, 3).
 *  2. The option fields, in RFC 3396 order: `options`, then `file` and
 *     then `sname` when option overload (52) says they hold options.
 *     Each field is a TLV walk that must stay inside the field and end
 *     with END; PAD is skipped, bytes after END are padding and ignored.
 *     Every option found is recorded (field offset, code, length). A
 *     52 must be in `options`, once, with value 1 (file), 2 (sname) or
 *     3 (both); a 52 anywhere else is a fault.
 *  3. The options, each code once: the instances of one code are
 *     concatenated in the order found (RFC 3396: a value longer than
 *     255 bytes, or any value, may be split over several instances),
 *     then checked and decoded, and kept raw.
 *
 * Any fault refuses the whole message with its reason; nothing decoded
 * before it is meant to be used. Choices where the RFCs leave room:
 *  - every option field read must end with END, `options` included
 *    (RFC 2131 4.1 requires it of overloaded messages; a message without
 *    END is treated as truncated, which is the safe reading);
 *  - only the first DHCP_MAX_LEN bytes of a datagram are read (we never
 *    advertise more in option 57): options must end within them;
 *  - every option the client decodes needs a value (zero length is
 *    OPTION_EMPTY), of its RFC 2132 size (OPTION_SIZE); options it
 *    does not decode may have any length, zero included;
 *  - lists longer than the arrays (routers, DNS ... 121 routes, 119
 *    names) are checked whole and their first entries kept;
 *  - names (15, 119) are host names: labels of letters, digits, '-'
 *    and '_', 1..63 bytes, at most 253 bytes dotted; 15 may end in a
 *    dot or NULs, which are removed;
 *  - 121 destinations are masked to their prefix length.
 *
 * Raw options keep code, length and value of each code in the order of
 * its first appearance, after concatenation; a value longer than 255
 * bytes is kept as consecutive pieces of 255 with the same code (the
 * RFC 3396 encoding). Options that do not fit in DHCP_RAW_MAX are left
 * out from the first one that does not fit, and raw_truncated is set.
 *
 * Building writes a BOOTREQUEST with the options in a fixed order (53,
 * 61, 50, 54, 57, 12, 55, 56, END), padded to DHCP_MIN_LEN.
 */
#include <string.h>

#include "byteorder.h"
#include "dhcp_msg.h"

/* Offsets of the fixed BOOTP fields (RFC 2131 2, figure 1). */
#define BOOTP_OP	    0
#define BOOTP_HTYPE	    1
#define BOOTP_HLEN	    2
#define BOOTP_HOPS	    3
#define BOOTP_XID	    4
#define BOOTP_SECS	    8
#define BOOTP_FLAGS	    10
#define BOOTP_CIADDR	    12
#define BOOTP_YIADDR	    16
#define BOOTP_SIADDR	    20
#define BOOTP_GIADDR	    24
#define BOOTP_CHADDR	    28
#define BOOTP_SNAME	    44
#define BOOTP_SNAME_LEN	    64
#define BOOTP_FILE	    108
#define BOOTP_FILE_LEN	    128
#define BOOTP_MAGIC	    236
#define BOOTP_OPTIONS	    240
#define BOOTP_REQUEST	    1
#define BOOTP_REPLY	    2
#define BOOTP_HTYPE_ETHER   1
#define BOOTP_HLEN_ETHER    6
#define DHCP_OVERLOAD_FILE  1u
#define DHCP_OVERLOAD_SNAME 2u

/* Option bytes a message can hold: `options` up to DHCP_MAX_LEN, plus
 * `file` and `sname`. An option takes at least two bytes. */
#define DHCP_OPTION_BYTES_MAX                                                  \
	(DHCP_MAX_LEN - BOOTP_OPTIONS + BOOTP_FILE_LEN + BOOTP_SNAME_LEN)
#define DHCP_OPTIONS_MAX (DHCP_OPTION_BYTES_MAX / 2 + 1)

/* One option instance found by the walk: its value is buf[off..off+len). */
struct dhcp_seg {
	uint16_t off;
	uint8_t code;
	uint8_t len;
};

struct dhcp_walk {
	const uint8_t *buf;
	struct dhcp_seg seg[DHCP_OPTIONS_MAX];
	size_t nseg;
	uint8_t overload; /* 52's value, 0 when absent */
};

const char *dhcp_msg_type_name(int type)
{
	static const char *const names[] = {
	    [DHCPDISCOVER] = "DHCPDISCOVER", [DHCPOFFER] = "DHCPOFFER",
	    [DHCPREQUEST] = "DHCPREQUEST",   [DHCPDECLINE] = "DHCPDECLINE",
	    [DHCPACK] = "DHCPACK",	     [DHCPNAK] = "DHCPNAK",
	    [DHCPRELEASE] = "DHCPRELEASE",   [DHCPINFORM] = "DHCPINFORM",
	};
	if (type < DHCPDISCOVER || type > DHCPINFORM)
		return "?";
	return names[type];
}

const char *dhcp_parse_error_name(enum dhcp_parse_error e)
{
	static const char *const names[DHCP_ERR_COUNT] = {
	    [DHCP_OK] = "ok",
	    [DHCP_ERR_SHORT] = "short",
	    [DHCP_ERR_HEADER] = "header",
	    [DHCP_ERR_MAGIC] = "magic",
	    [DHCP_ERR_OPTION_LENGTH] = "option_length",
	    [DHCP_ERR_OPTION_EMPTY] = "option_empty",
	    [DHCP_ERR_OPTION_SIZE] = "option_size",
	    [DHCP_ERR_NO_END] = "no_end",
	    [DHCP_ERR_OVERLOAD] = "overload",
	    [DHCP_ERR_ROUTES] = "routes",
	    [DHCP_ERR_NAME] = "name",
	    [DHCP_ERR_MSG_TYPE] = "msg_type",
	};
	if ((unsigned)e >= DHCP_ERR_COUNT)
		return "?";
	return names[e];
}

/*
 * Walks one option field buf[start..start+len), recording its options.
 * `main` is the `options` field, the only one where 52 may appear.
 */
static enum dhcp_parse_error walk_field(struct dhcp_walk *w, size_t start,
					size_t len, bool main)
{
	const uint8_t *f = w->buf + start;
	size_t i = 0;

	while (i < len) {
		uint8_t code = f[i];
		if (code == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		if (code == DHCP_OPT_END)
			return DHCP_OK;
		if (i + 1 >= len)
			return DHCP_ERR_OPTION_LENGTH;
		uint8_t olen = f[i + 1];
		if (olen > len - i - 2)
			return DHCP_ERR_OPTION_LENGTH;
		if (code == DHCP_OPT_OVERLOAD) {
			/* Where the options are must be known before the
			 * other fields are read: one 52, in `options`. */
			if (!main || w->overload)
				return DHCP_ERR_OVERLOAD;
			if (olen == 0)
				return DHCP_ERR_OPTION_EMPTY;
			if (olen != 1)
				return DHCP_ERR_OPTION_SIZE;
			if (f[i + 2] < 1 || f[i + 2] > 3)
				return DHCP_ERR_OVERLOAD;
			w->overload = f[i + 2];
		}
		if (w->nseg == DHCP_OPTIONS_MAX)
			return DHCP_ERR_OPTION_LENGTH; /* cannot happen */
		w->seg[w->nseg].off = (uint16_t)(start + i + 2);
		w->seg[w->nseg].code = code;
		w->seg[w->nseg].len = olen;
		w->nseg++;
		i += 2u + olen;
	}
	return DHCP_ERR_NO_END;
}

/* Appends `n` addresses of v[0..len) (a multiple of 4) to a list. */
static enum dhcp_parse_error decode_addrs(const uint8_t *v, size_t len,
					  uint32_t *list, uint8_t *n)
{
	if (len == 0)
		return DHCP_ERR_OPTION_EMPTY;
	if (len % 4)
		return DHCP_ERR_OPTION_SIZE;
	*n = 0;
	for (size_t i = 0; i < len / 4 && i < DHCP_ADDRS_MAX; i++)
		list[(*n)++] = get_be32(v + 4 * i);
	return DHCP_OK;
}

static bool name_char_ok(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Option 15: a dotted name, trailing dot and NULs removed. */
static enum dhcp_parse_error decode_domain(const uint8_t *v, size_t len,
					   char *out)
{
	size_t label = 0;

	while (len > 0 && v[len - 1] == 0)
		len--;
	if (len > 0 && v[len - 1] == '.')
		len--;
	if (len == 0 || len > DHCP_NAME_MAX - 3)
		return DHCP_ERR_NAME;
	for (size_t i = 0; i < len; i++) {
		if (v[i] == '.') {
			if (label == 0)
				return DHCP_ERR_NAME;
			label = 0;
		} else if (name_char_ok(v[i]) && label < 63) {
			label++;
		} else {
			return DHCP_ERR_NAME;
		}
		out[i] = (char)v[i];
	}
	out[len] = '\0';
	return DHCP_OK;
}

/*
 * Reads the DNS wire name that starts at v[*pos] (RFC 1035 3.1, 4.1.4),
 * writing it dotted to out (may be NULL). A pointer must point before
 * where the current run of labels began, so runs move strictly back and
 * a loop is impossible. Advances *pos past the name as written in
 * sequence (its root label or first pointer).
 */
static enum dhcp_parse_error read_wire_name(const uint8_t *v, size_t len,
					    size_t *pos, char *out)
{
	size_t p = *pos, run = *pos, wire = 1, dotted = 0;
	bool jumped = false;

	for (;;) {
		if (p >= len)
			return DHCP_ERR_NAME;
		uint8_t l = v[p];
		if (l == 0) {
			if (!jumped)
				*pos = p + 1;
			break;
		}
		if ((l & 0xc0) == 0xc0) {
			if (p + 1 >= len)
				return DHCP_ERR_NAME;
			size_t target = (size_t)(l & 0x3f) << 8 | v[p + 1];
			if (target >= run)
				return DHCP_ERR_NAME;
			if (!jumped)
				*pos = p + 2;
			jumped = true;
			p = run = target;
			continue;
		}
		if (l > 63)
			return DHCP_ERR_NAME; /* 0x40, 0x80: no such labels */
		if (p + 1 + l > len)
			return DHCP_ERR_NAME;
		wire += 1u + l;
		if (wire > 255)
			return DHCP_ERR_NAME;
		for (size_t i = 0; i < l; i++) {
			uint8_t c = v[p + 1 + i];
			if (!name_char_ok(c))
				return DHCP_ERR_NAME;
		}
		if (out) {
			if (dotted)
				out[dotted++] = '.';
			memcpy(out + dotted, v + p + 1, l);
		}
		dotted += l;
		p += 1u + l;
	}
	if (dotted == 0)
		return DHCP_ERR_NAME; /* the root alone searches nothing */
	if (out)
		out[dotted] = '\0';
	return DHCP_OK;
}

/* Option 119 (RFC 3397): a sequence of names, compressed. */
static enum dhcp_parse_error decode_search(const uint8_t *v, size_t len,
					   struct dhcp_options *o)
{
	size_t pos = 0;

	if (len == 0)
		return DHCP_ERR_OPTION_EMPTY;
	o->nsearch = 0;
	while (pos < len) {
		char *out =
		    o->nsearch < DHCP_SEARCH_MAX ? o->search[o->nsearch] : NULL;
		enum dhcp_parse_error e = read_wire_name(v, len, &pos, out);
		if (e != DHCP_OK)
			return e;
		if (out)
			o->nsearch++;
	}
	return DHCP_OK;
}

/* Option 121 (RFC 3442): prefix length, significant octets, router. */
static enum dhcp_parse_error decode_routes(const uint8_t *v, size_t len,
					   struct dhcp_options *o)
{
	size_t pos = 0;

	if (len == 0)
		return DHCP_ERR_OPTION_EMPTY;
	o->nroutes = 0;
	while (pos < len) {
		uint8_t plen = v[pos];
		if (plen > 32)
			return DHCP_ERR_ROUTES;
		size_t sig = (plen + 7u) / 8u;
		if (len - pos < 1 + sig + 4)
			return DHCP_ERR_ROUTES;
		uint32_t dst = 0;
		for (size_t i = 0; i < sig; i++)
			dst |= (uint32_t)v[pos + 1 + i] << (24 - 8 * i);
		if (plen < 32)
			dst &= plen ? ~(0xffffffffu >> plen) : 0;
		if (o->nroutes < DHCP_ROUTES_MAX) {
			struct dhcp_route *r = &o->routes[o->nroutes++];
			r->dst = dst;
			r->prefix_len = plen;
			r->gateway = get_be32(v + pos + 1 + sig);
		}
		pos += 1 + sig + 4;
	}
	return DHCP_OK;
}

/* Option 56: kept printable, other bytes shown as '?'. */
static void decode_message(const uint8_t *v, size_t len, char *out)
{
	size_t n = 0;

	while (len > 0 && v[len - 1] == 0)
		len--;
	for (size_t i = 0; i < len && n < DHCP_MESSAGE_TEXT_MAX - 1; i++)
		out[n++] = v[i] >= 0x20 && v[i] < 0x7f ? (char)v[i] : '?';
	out[n] = '\0';
}

/* A fixed-size value: 0 bytes is EMPTY, any other wrong size SIZE. */
static enum dhcp_parse_error need_size(size_t len, size_t want)
{
	if (len == 0)
		return DHCP_ERR_OPTION_EMPTY;
	return len == want ? DHCP_OK : DHCP_ERR_OPTION_SIZE;
}

/* Checks and decodes one option's whole (concatenated) value. */
static enum dhcp_parse_error decode_option(uint8_t code, const uint8_t *v,
					   size_t len, struct dhcp_options *o)
{
	enum dhcp_parse_error e = DHCP_OK;

	switch (code) {
	case DHCP_OPT_SUBNET_MASK:
		if ((e = need_size(len, 4)) == DHCP_OK)
			o->subnet_mask = get_be32(v);
		break;
	case DHCP_OPT_ROUTERS:
		e = decode_addrs(v, len, o->routers, &o->nrouters);
		break;
	case DHCP_OPT_DNS:
		e = decode_addrs(v, len, o->dns, &o->ndns);
		break;
	case DHCP_OPT_LOG_SERVERS:
		e = decode_addrs(v, len, o->log_servers, &o->nlog_servers);
		break;
	case DHCP_OPT_NTP:
		e = decode_addrs(v, len, o->ntp, &o->nntp);
		break;
	case DHCP_OPT_DOMAIN:
		e = len ? decode_domain(v, len, o->domain)
			: DHCP_ERR_OPTION_EMPTY;
		break;
	case DHCP_OPT_MTU:
		if ((e = need_size(len, 2)) != DHCP_OK)
			break;
		o->mtu = get_be16(v);
		if (o->mtu < 68)
			e = DHCP_ERR_OPTION_SIZE; /* RFC 2132 5.1 */
		break;
	case DHCP_OPT_BROADCAST:
		if ((e = need_size(len, 4)) == DHCP_OK)
			o->broadcast = get_be32(v);
		break;
	case DHCP_OPT_LEASE_TIME:
		if ((e = need_size(len, 4)) == DHCP_OK)
			o->lease_s = get_be32(v);
		break;
	case DHCP_OPT_MSG_TYPE:
		if ((e = need_size(len, 1)) != DHCP_OK)
			break;
		if (v[0] < DHCPDISCOVER || v[0] > DHCPINFORM)
			e = DHCP_ERR_MSG_TYPE;
		o->msg_type = v[0];
		break;
	case DHCP_OPT_SERVER_ID:
		if ((e = need_size(len, 4)) == DHCP_OK)
			o->server_id = get_be32(v);
		break;
	case DHCP_OPT_MESSAGE:
		if (len == 0)
			e = DHCP_ERR_OPTION_EMPTY;
		else
			decode_message(v, len, o->message);
		break;
	case DHCP_OPT_MAX_MSG_SIZE:
		if ((e = need_size(len, 2)) == DHCP_OK)
			o->max_msg_size = get_be16(v);
		break;
	case DHCP_OPT_T1:
		if ((e = need_size(len, 4)) == DHCP_OK)
			o->t1_s = get_be32(v);
		break;
	case DHCP_OPT_T2:
		if ((e = need_size(len, 4)) == DHCP_OK)
			o->t2_s = get_be32(v);
		break;
	case DHCP_OPT_SEARCH:
		e = decode_search(v, len, o);
		break;
	case DHCP_OPT_CLASSLESS_ROUTES:
		e = decode_routes(v, len, o);
		break;
	default:
		break; /* kept raw only (52 was checked by the walk) */
	}
	return e;
}

/* Keeps one option raw, in pieces of at most 255 bytes. */
static void keep_raw(struct dhcp_options *o, uint8_t code, const uint8_t *v,
		     size_t len)
{
	size_t pieces = len ? (len + 254) / 255 : 1;

	if (o->raw_truncated || o->raw_len + 2 * pieces + len > DHCP_RAW_MAX) {
		o->raw_truncated = true;
		return;
	}
	do {
		size_t n = len < 255 ? len : 255;
		o->raw[o->raw_len] = code;
		o->raw[o->raw_len + 1] = (uint8_t)n;
		memcpy(o->raw + o->raw_len + 2, v, n);
		o->raw_len = (uint16_t)(o->raw_len + 2 + n);
		v += n;
		len -= n;
	} while (len > 0);
}

enum dhcp_parse_error dhcp_msg_parse(const uint8_t *buf, size_t len,
				     struct dhcp_msg *out)
{
	struct dhcp_walk w;
	uint8_t value[DHCP_OPTION_BYTES_MAX];
	uint32_t done[8] = {0};
	enum dhcp_parse_error e;

	if (len < BOOTP_OPTIONS)
		return DHCP_ERR_SHORT;
	if (len > DHCP_MAX_LEN)
		len = DHCP_MAX_LEN;
	if (buf[BOOTP_OP] != BOOTP_REPLY ||
	    buf[BOOTP_HTYPE] != BOOTP_HTYPE_ETHER ||
	    buf[BOOTP_HLEN] != BOOTP_HLEN_ETHER)
		return DHCP_ERR_HEADER;
	if (get_be32(buf + BOOTP_MAGIC) != DHCP_MAGIC)
		return DHCP_ERR_MAGIC;

	memset(out, 0, sizeof(*out));
	out->op = buf[BOOTP_OP];
	out->htype = buf[BOOTP_HTYPE];
	out->hlen = buf[BOOTP_HLEN];
	out->hops = buf[BOOTP_HOPS];
	out->xid = get_be32(buf + BOOTP_XID);
	out->secs = get_be16(buf + BOOTP_SECS);
	out->flags = get_be16(buf + BOOTP_FLAGS);
	out->ciaddr = get_be32(buf + BOOTP_CIADDR);
	out->yiaddr = get_be32(buf + BOOTP_YIADDR);
	out->siaddr = get_be32(buf + BOOTP_SIADDR);
	out->giaddr = get_be32(buf + BOOTP_GIADDR);
	memcpy(out->chaddr, buf + BOOTP_CHADDR, sizeof(out->chaddr));

	/* Pass 2: the fields, options then file then sname (RFC 3396 7). */
	w.buf = buf;
	w.nseg = 0;
	w.overload = 0;
	e = walk_field(&w, BOOTP_OPTIONS, len - BOOTP_OPTIONS, true);
	if (e == DHCP_OK && (w.overload & DHCP_OVERLOAD_FILE))
		e = walk_field(&w, BOOTP_FILE, BOOTP_FILE_LEN, false);
	if (e == DHCP_OK && (w.overload & DHCP_OVERLOAD_SNAME))
		e = walk_field(&w, BOOTP_SNAME, BOOTP_SNAME_LEN, false);
	if (e != DHCP_OK)
		return e;

	/* Pass 3: each code once, its instances concatenated. */
	struct dhcp_options *o = &out->opt;
	for (size_t i = 0; i < w.nseg; i++) {
		uint8_t code = w.seg[i].code;
		size_t vlen = 0;
		if ((done[code / 32] >> (code % 32)) & 1u)
			continue;
		done[code / 32] |= 1u << (code % 32);
		for (size_t j = i; j < w.nseg; j++) {
			if (w.seg[j].code != code)
				continue;
			memcpy(value + vlen, buf + w.seg[j].off, w.seg[j].len);
			vlen += w.seg[j].len;
		}
		o->has[code / 32] |= 1u << (code % 32);
		e = decode_option(code, value, vlen, o);
		if (e != DHCP_OK)
			return e;
		keep_raw(o, code, value, vlen);
	}
	if (!dhcp_has(o, DHCP_OPT_MSG_TYPE))
		return DHCP_ERR_MSG_TYPE;
	return DHCP_OK;
}

const uint8_t dhcp_param_list[] = {
    DHCP_OPT_SUBNET_MASK, DHCP_OPT_ROUTERS,
    DHCP_OPT_DNS,	  DHCP_OPT_LOG_SERVERS,
    DHCP_OPT_DOMAIN,	  DHCP_OPT_MTU,
    DHCP_OPT_BROADCAST,	  DHCP_OPT_NTP,
    DHCP_OPT_LEASE_TIME,  DHCP_OPT_SERVER_ID,
    DHCP_OPT_T1,	  DHCP_OPT_T2,
    DHCP_OPT_SEARCH,	  DHCP_OPT_CLASSLESS_ROUTES,
};
const size_t dhcp_param_list_len = sizeof(dhcp_param_list);

/* Writes one option at *pos when it fits in cap (always advances). */
static void put_option(uint8_t *buf, size_t cap, size_t *pos, uint8_t code,
		       const void *v, size_t len)
{
	if (*pos + 2 + len <= cap) {
		buf[*pos] = code;
		buf[*pos + 1] = (uint8_t)len;
		memcpy(buf + *pos + 2, v, len);
	}
	*pos += 2 + len;
}

/* Writes the options of m at buf[BOOTP_OPTIONS..]; returns where END
 * goes. With cap 0 it only measures. */
static size_t put_options(uint8_t *buf, size_t cap, const struct dhcp_out *m)
{
	size_t pos = BOOTP_OPTIONS, n;
	uint8_t v[4];

	put_option(buf, cap, &pos, DHCP_OPT_MSG_TYPE, &m->type, 1);
	n = m->client_id_len < DHCP_CLIENT_ID_MAX ? m->client_id_len
						  : DHCP_CLIENT_ID_MAX;
	if (n)
		put_option(buf, cap, &pos, DHCP_OPT_CLIENT_ID, m->client_id, n);
	if (m->requested_addr) {
		put_be32(v, m->requested_addr);
		put_option(buf, cap, &pos, DHCP_OPT_REQUESTED_ADDR, v, 4);
	}
	if (m->server_id) {
		put_be32(v, m->server_id);
		put_option(buf, cap, &pos, DHCP_OPT_SERVER_ID, v, 4);
	}
	if (m->max_msg_size) {
		put_be16(v, m->max_msg_size);
		put_option(buf, cap, &pos, DHCP_OPT_MAX_MSG_SIZE, v, 2);
	}
	n = strnlen(m->hostname, DHCP_HOSTNAME_MAX - 1);
	if (n)
		put_option(buf, cap, &pos, DHCP_OPT_HOSTNAME, m->hostname, n);
	if (m->param_list)
		put_option(buf, cap, &pos, DHCP_OPT_PARAM_LIST, dhcp_param_list,
			   dhcp_param_list_len);
	n = strnlen(m->message, DHCP_MESSAGE_TEXT_MAX - 1);
	if (n)
		put_option(buf, cap, &pos, DHCP_OPT_MESSAGE, m->message, n);
	return pos;
}

size_t dhcp_msg_build(uint8_t *buf, size_t cap, const struct dhcp_out *m)
{
	size_t end = put_options(buf, 0, m);
	size_t total = end + 1 < DHCP_MIN_LEN ? DHCP_MIN_LEN : end + 1;

	if (cap < total)
		return 0;
	memset(buf, 0, total);
	buf[BOOTP_OP] = BOOTP_REQUEST;
	buf[BOOTP_HTYPE] = BOOTP_HTYPE_ETHER;
	buf[BOOTP_HLEN] = BOOTP_HLEN_ETHER;
	put_be32(buf + BOOTP_XID, m->xid);
	put_be16(buf + BOOTP_SECS, m->secs);
	put_be16(buf + BOOTP_FLAGS,
		 m->broadcast ? (uint16_t)DHCP_FLAG_BROADCAST : 0);
	put_be32(buf + BOOTP_CIADDR, m->ciaddr);
	memcpy(buf + BOOTP_CHADDR, m->chaddr, sizeof(m->chaddr));
	put_be32(buf + BOOTP_MAGIC, DHCP_MAGIC);
	put_options(buf, total, m);
	buf[end] = DHCP_OPT_END;
	return total;
}
