/*
 * ipc.c - encoders and decoders for the control protocol (docs/ipc.md)
 *
 * Everything here is a pure function of its arguments: no I/O, no
 * allocation, no global state. Decoders take a pointer and a length,
 * never read outside them, and either accept the whole message (every
 * field in range, every size exact) or reject it with -EBADMSG and
 * friends; what they accept is safe to use without further checks.
 * Encoders check the room they are given and never write past it.
 *
 * The byte-order helpers at the top are the only code that touches raw
 * bytes; everything else goes through them.
 */
#include "ipc.h"

#include <errno.h>
#include <string.h>

/* ---- raw big-endian access ---------------------------------------- */

static void put_u8(uint8_t *p, uint8_t v)
{
	p[0] = v;
}

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

static int32_t get_status(const uint8_t *p)
{
	return (int32_t)get_u32(p);
}

static bool status_valid(int32_t status)
{
	return status <= 0 && status >= -IPC_ERRNO_MAX;
}

/* ---- header -------------------------------------------------------- */

/* Header layout: magic u16, version u8, flags u8 (0), type u16,
 * reserved u16 (0), length u32 (whole message), id u32. */
static int put_header(uint8_t *buf, size_t cap, uint8_t version, uint16_t type,
		      uint32_t id, size_t body_len)
{
	size_t len = IPC_HDR_LEN + body_len;

	if (version < IPC_VERSION_MIN || version > IPC_VERSION_MAX)
		return -EINVAL;
	if (len > cap || len > IPC_MSG_MAX)
		return -ENOSPC;
	put_u16(buf, IPC_MAGIC);
	put_u8(buf + 2, version);
	put_u8(buf + 3, 0);
	put_u16(buf + 4, type);
	put_u16(buf + 6, 0);
	put_u32(buf + 8, (uint32_t)len);
	put_u32(buf + 12, id);
	return (int)len;
}

int ipc_msg_decode(const void *buf, size_t len, struct ipc_msg *m)
{
	const uint8_t *p = buf;
	uint8_t version;

	if (len < IPC_HDR_LEN)
		return -EBADMSG;
	if (len > IPC_MSG_MAX)
		return -EMSGSIZE;
	if (get_u16(p) != IPC_MAGIC)
		return -EBADMSG;
	version = p[2];
	if (version < IPC_VERSION_MIN || version > IPC_VERSION_MAX)
		return -EPROTONOSUPPORT;
	if (p[3] != 0 || get_u16(p + 6) != 0)
		return -EBADMSG;
	if (get_u32(p + 8) != len)
		return -EBADMSG;
	m->version = version;
	m->type = get_u16(p + 4);
	m->id = get_u32(p + 12);
	m->body = p + IPC_HDR_LEN;
	m->body_len = len - IPC_HDR_LEN;
	return 0;
}

bool ipc_type_is_request(uint16_t type)
{
	return type == IPC_T_HELLO || type == IPC_T_UDP_OPEN ||
	       type == IPC_T_STATUS || type == IPC_T_TCP_CONNECT ||
	       type == IPC_T_TCP_LISTEN || type == IPC_T_TCP_SETOPT ||
	       type == IPC_T_BARRIER;
}

/* Common entry of every body decoder: the right type, the exact size. */
static int check_body(const struct ipc_msg *m, uint16_t type, size_t len)
{
	if (m->type != type)
		return -EPROTO;
	if (m->body_len != len)
		return -EBADMSG;
	return 0;
}

/* ---- HELLO --------------------------------------------------------- */

int ipc_encode_hello(void *buf, size_t cap, uint32_t id,
		     const struct ipc_hello *h)
{
	uint8_t *p = buf;
	int len;

	if (h->version_min == 0 || h->version_min > h->version_max ||
	    h->version_max > 0xff)
		return -EINVAL;
	len =
	    put_header(p, cap, IPC_VERSION_MIN, IPC_T_HELLO, id, IPC_HELLO_LEN);
	if (len < 0)
		return len;
	p += IPC_HDR_LEN;
	put_u16(p, h->version_min);
	put_u16(p + 2, h->version_max);
	put_u32(p + 4, 0);
	return len;
}

int ipc_decode_hello(const struct ipc_msg *m, struct ipc_hello *out)
{
	const uint8_t *p = m->body;
	int err = check_body(m, IPC_T_HELLO, IPC_HELLO_LEN);

	if (err)
		return err;
	out->version_min = get_u16(p);
	out->version_max = get_u16(p + 2);
	if (out->version_min == 0 || out->version_min > out->version_max ||
	    get_u32(p + 4) != 0)
		return -EBADMSG;
	return 0;
}

int ipc_encode_hello_reply(void *buf, size_t cap, uint8_t version, uint32_t id,
			   const struct ipc_hello_reply *r)
{
	uint8_t *p = buf;
	int len;

	if (!status_valid(r->status))
		return -EINVAL;
	len = put_header(p, cap, version, IPC_T_HELLO_REPLY, id,
			 IPC_HELLO_REPLY_LEN);
	if (len < 0)
		return len;
	p += IPC_HDR_LEN;
	put_u32(p, (uint32_t)r->status);
	put_u16(p + 4, r->version);
	put_u16(p + 6, 0);
	put_u32(p + 8, r->capabilities);
	put_u32(p + 12, r->msg_max);
	return len;
}

int ipc_decode_hello_reply(const struct ipc_msg *m, struct ipc_hello_reply *out)
{
	const uint8_t *p = m->body;
	int err = check_body(m, IPC_T_HELLO_REPLY, IPC_HELLO_REPLY_LEN);

	if (err)
		return err;
	out->status = get_status(p);
	out->version = get_u16(p + 4);
	out->capabilities = get_u32(p + 8);
	out->msg_max = get_u32(p + 12);
	if (!status_valid(out->status) || get_u16(p + 6) != 0)
		return -EBADMSG;
	/* A success names a version we speak and a usable size. */
	if (out->status == 0 &&
	    (out->version < IPC_VERSION_MIN || out->version > IPC_VERSION_MAX ||
	     out->msg_max < IPC_HDR_LEN + IPC_STATUS_REPLY_MIN + 64))
		return -EBADMSG;
	return 0;
}

/* ---- UDP_OPEN ------------------------------------------------------ */

int ipc_encode_udp_open(void *buf, size_t cap, uint8_t version, uint32_t id,
			const struct ipc_udp_open *o)
{
	uint8_t *p = buf;
	int len =
	    put_header(p, cap, version, IPC_T_UDP_OPEN, id, IPC_UDP_OPEN_LEN);

	if (len < 0)
		return len;
	p += IPC_HDR_LEN;
	put_u32(p, o->local_addr);
	put_u32(p + 4, o->remote_addr);
	put_u16(p + 8, o->local_port);
	put_u16(p + 10, o->remote_port);
	put_u32(p + 12, 0);
	return len;
}

int ipc_decode_udp_open(const struct ipc_msg *m, struct ipc_udp_open *out)
{
	const uint8_t *p = m->body;
	int err = check_body(m, IPC_T_UDP_OPEN, IPC_UDP_OPEN_LEN);

	if (err)
		return err;
	out->local_addr = get_u32(p);
	out->remote_addr = get_u32(p + 4);
	out->local_port = get_u16(p + 8);
	out->remote_port = get_u16(p + 10);
	if (get_u32(p + 12) != 0)
		return -EBADMSG;
	return 0;
}

int ipc_encode_udp_open_reply(void *buf, size_t cap, uint8_t version,
			      uint32_t id, const struct ipc_udp_open_reply *r)
{
	uint8_t *p = buf;
	int len;

	if (!status_valid(r->status) || (r->status == 0 && r->sock < 0))
		return -EINVAL;
	len = put_header(p, cap, version, IPC_T_UDP_OPEN_REPLY, id,
			 IPC_UDP_OPEN_REPLY_LEN);
	if (len < 0)
		return len;
	p += IPC_HDR_LEN;
	put_u32(p, (uint32_t)r->status);
	put_u32(p + 4, (uint32_t)(r->status == 0 ? r->sock : -1));
	put_u32(p + 8, r->local_addr);
	put_u16(p + 12, r->local_port);
	put_u16(p + 14, 0);
	return len;
}

int ipc_decode_udp_open_reply(const struct ipc_msg *m,
			      struct ipc_udp_open_reply *out)
{
	const uint8_t *p = m->body;
	int err = check_body(m, IPC_T_UDP_OPEN_REPLY, IPC_UDP_OPEN_REPLY_LEN);

	if (err)
		return err;
	out->status = get_status(p);
	out->sock = (int32_t)get_u32(p + 4);
	out->local_addr = get_u32(p + 8);
	out->local_port = get_u16(p + 12);
	if (!status_valid(out->status) || get_u16(p + 14) != 0)
		return -EBADMSG;
	if (out->status == 0 ? out->sock < 0 : out->sock != -1)
		return -EBADMSG;
	return 0;
}

/* ---- STATUS request, ERROR ----------------------------------------- */

int ipc_encode_status(void *buf, size_t cap, uint8_t version, uint32_t id)
{
	return put_header(buf, cap, version, IPC_T_STATUS, id, IPC_STATUS_LEN);
}

int ipc_decode_status(const struct ipc_msg *m)
{
	return check_body(m, IPC_T_STATUS, IPC_STATUS_LEN);
}

int ipc_encode_error(void *buf, size_t cap, uint8_t version, uint32_t id,
		     const struct ipc_error *e)
{
	uint8_t *p = buf;
	int len;

	if (!status_valid(e->status) || e->status == 0)
		return -EINVAL;
	len = put_header(p, cap, version, IPC_T_ERROR, id, IPC_ERROR_LEN);
	if (len < 0)
		return len;
	p += IPC_HDR_LEN;
	put_u32(p, (uint32_t)e->status);
	put_u32(p + 4, 0);
	return len;
}

int ipc_decode_error(const struct ipc_msg *m, struct ipc_error *out)
{
	const uint8_t *p = m->body;
	int err = check_body(m, IPC_T_ERROR, IPC_ERROR_LEN);

	if (err)
		return err;
	out->status = get_status(p);
	if (!status_valid(out->status) || out->status == 0 ||
	    get_u32(p + 4) != 0)
		return -EBADMSG;
	return 0;
}

/* ---- TCP requests -------------------------------------------------- */

/*
 * Options block (28 bytes): u32 set, u32 flags (bit 0 nodelay, bit 1
 * keepalive), u32 sndbuf, rcvbuf, keepidle_s, keepintvl_s, keepcnt.
 * A field not in `set` is zero; a flag bit only with its `set` bit.
 */
#define TCP_OPTS_F_NODELAY   0x1u
#define TCP_OPTS_F_KEEPALIVE 0x2u

static bool in_range_if_set(uint32_t set, uint32_t bit, uint32_t v, uint32_t lo,
			    uint32_t hi)
{
	if (!(set & bit))
		return v == 0;
	return v >= lo && v <= hi;
}

static bool tcp_opts_valid(const struct ipc_tcp_opts *o)
{
	uint32_t set = o->set;

	if (set & ~IPC_TCP_OPT_ALL)
		return false;
	if ((o->nodelay && !(set & IPC_TCP_OPT_NODELAY)) ||
	    (o->keepalive && !(set & IPC_TCP_OPT_KEEPALIVE)))
		return false;
	return in_range_if_set(set, IPC_TCP_OPT_SNDBUF, o->sndbuf,
			       IPC_TCP_BUF_MIN, IPC_TCP_BUF_MAX) &&
	       in_range_if_set(set, IPC_TCP_OPT_RCVBUF, o->rcvbuf,
			       IPC_TCP_BUF_MIN, IPC_TCP_BUF_MAX) &&
	       in_range_if_set(set, IPC_TCP_OPT_KEEPIDLE, o->keepidle_s, 1,
			       IPC_TCP_KEEPIDLE_MAX) &&
	       in_range_if_set(set, IPC_TCP_OPT_KEEPINTVL, o->keepintvl_s, 1,
			       IPC_TCP_KEEPINTVL_MAX) &&
	       in_range_if_set(set, IPC_TCP_OPT_KEEPCNT, o->keepcnt, 1,
			       IPC_TCP_KEEPCNT_MAX);
}

static void put_tcp_opts(uint8_t *p, const struct ipc_tcp_opts *o)
{
	put_u32(p, o->set);
	put_u32(p + 4, (o->nodelay ? TCP_OPTS_F_NODELAY : 0) |
			   (o->keepalive ? TCP_OPTS_F_KEEPALIVE : 0));
	put_u32(p + 8, o->sndbuf);
	put_u32(p + 12, o->rcvbuf);
	put_u32(p + 16, o->keepidle_s);
	put_u32(p + 20, o->keepintvl_s);
	put_u32(p + 24, o->keepcnt);
}

static int get_tcp_opts(const uint8_t *p, struct ipc_tcp_opts *o)
{
	uint32_t flags = get_u32(p + 4);

	o->set = get_u32(p);
	o->nodelay = (flags & TCP_OPTS_F_NODELAY) != 0;
	o->keepalive = (flags & TCP_OPTS_F_KEEPALIVE) != 0;
	o->sndbuf = get_u32(p + 8);
	o->rcvbuf = get_u32(p + 12);
	o->keepidle_s = get_u32(p + 16);
	o->keepintvl_s = get_u32(p + 20);
	o->keepcnt = get_u32(p + 24);
	if (flags & ~(TCP_OPTS_F_NODELAY | TCP_OPTS_F_KEEPALIVE))
		return -EBADMSG;
	return tcp_opts_valid(o) ? 0 : -EBADMSG;
}

/* TCP_CONNECT body: u32 local_addr, remote_addr, u16 local_port,
 * remote_port, u32 timeout_ms, flags, then the options block. */
int ipc_encode_tcp_connect(void *buf, size_t cap, uint8_t version, uint32_t id,
			   const struct ipc_tcp_connect *c)
{
	uint8_t *p = buf;
	int len;

	if (c->remote_port == 0 ||
	    c->timeout_ms > IPC_TCP_CONNECT_TIMEOUT_MAX_MS ||
	    (c->flags & ~IPC_TCP_CONNECT_F_NONBLOCK) ||
	    !tcp_opts_valid(&c->opts))
		return -EINVAL;
	len = put_header(p, cap, version, IPC_T_TCP_CONNECT, id,
			 IPC_TCP_CONNECT_LEN);
	if (len < 0)
		return len;
	p += IPC_HDR_LEN;
	put_u32(p, c->local_addr);
	put_u32(p + 4, c->remote_addr);
	put_u16(p + 8, c->local_port);
	put_u16(p + 10, c->remote_port);
	put_u32(p + 12, c->timeout_ms);
	put_u32(p + 16, c->flags);
	put_tcp_opts(p + 20, &c->opts);
	return len;
}

int ipc_decode_tcp_connect(const struct ipc_msg *m, struct ipc_tcp_connect *out)
{
	const uint8_t *p = m->body;
	int err = check_body(m, IPC_T_TCP_CONNECT, IPC_TCP_CONNECT_LEN);

	if (err)
		return err;
	out->local_addr = get_u32(p);
	out->remote_addr = get_u32(p + 4);
	out->local_port = get_u16(p + 8);
	out->remote_port = get_u16(p + 10);
	out->timeout_ms = get_u32(p + 12);
	out->flags = get_u32(p + 16);
	if (out->remote_port == 0 ||
	    out->timeout_ms > IPC_TCP_CONNECT_TIMEOUT_MAX_MS ||
	    (out->flags & ~IPC_TCP_CONNECT_F_NONBLOCK))
		return -EBADMSG;
	return get_tcp_opts(p + 20, &out->opts);
}

/* Open reply body: i32 status, i32 id, u32 local_addr, u16 local_port,
 * u16 reserved. Shared by TCP_CONNECT and TCP_LISTEN. */
static int encode_tcp_open_reply(void *buf, size_t cap, uint8_t version,
				 uint16_t type, uint32_t id,
				 const struct ipc_tcp_open_reply *r)
{
	uint8_t *p = buf;
	int len;

	if (!status_valid(r->status) || (r->status == 0 && r->id < 0))
		return -EINVAL;
	len = put_header(p, cap, version, type, id, IPC_TCP_CONNECT_REPLY_LEN);
	if (len < 0)
		return len;
	p += IPC_HDR_LEN;
	put_u32(p, (uint32_t)r->status);
	put_u32(p + 4, (uint32_t)(r->status == 0 ? r->id : -1));
	put_u32(p + 8, r->status == 0 ? r->local_addr : 0);
	put_u16(p + 12, r->status == 0 ? r->local_port : 0);
	put_u16(p + 14, 0);
	return len;
}

static int decode_tcp_open_reply(const struct ipc_msg *m, uint16_t type,
				 struct ipc_tcp_open_reply *out)
{
	const uint8_t *p = m->body;
	int err = check_body(m, type, IPC_TCP_CONNECT_REPLY_LEN);

	if (err)
		return err;
	out->status = get_status(p);
	out->id = (int32_t)get_u32(p + 4);
	out->local_addr = get_u32(p + 8);
	out->local_port = get_u16(p + 12);
	if (!status_valid(out->status) || get_u16(p + 14) != 0)
		return -EBADMSG;
	if (out->status == 0 ? out->id < 0
			     : (out->id != -1 || out->local_addr != 0 ||
				out->local_port != 0))
		return -EBADMSG;
	return 0;
}

int ipc_encode_tcp_connect_reply(void *buf, size_t cap, uint8_t version,
				 uint32_t id,
				 const struct ipc_tcp_open_reply *r)
{
	return encode_tcp_open_reply(buf, cap, version, IPC_T_TCP_CONNECT_REPLY,
				     id, r);
}

int ipc_decode_tcp_connect_reply(const struct ipc_msg *m,
				 struct ipc_tcp_open_reply *out)
{
	return decode_tcp_open_reply(m, IPC_T_TCP_CONNECT_REPLY, out);
}

int ipc_encode_tcp_listen_reply(void *buf, size_t cap, uint8_t version,
				uint32_t id, const struct ipc_tcp_open_reply *r)
{
	return encode_tcp_open_reply(buf, cap, version, IPC_T_TCP_LISTEN_REPLY,
				     id, r);
}

int ipc_decode_tcp_listen_reply(const struct ipc_msg *m,
				struct ipc_tcp_open_reply *out)
{
	return decode_tcp_open_reply(m, IPC_T_TCP_LISTEN_REPLY, out);
}

/* TCP_LISTEN body: u32 local_addr, u16 local_port, u16 reserved,
 * u32 backlog, u32 flags (reserved), then the options block. */
int ipc_encode_tcp_listen(void *buf, size_t cap, uint8_t version, uint32_t id,
			  const struct ipc_tcp_listen *l)
{
	uint8_t *p = buf;
	int len;

	if (l->local_port == 0 || l->backlog == 0 ||
	    l->backlog > IPC_TCP_BACKLOG_MAX || !tcp_opts_valid(&l->opts))
		return -EINVAL;
	len = put_header(p, cap, version, IPC_T_TCP_LISTEN, id,
			 IPC_TCP_LISTEN_LEN);
	if (len < 0)
		return len;
	p += IPC_HDR_LEN;
	put_u32(p, l->local_addr);
	put_u16(p + 4, l->local_port);
	put_u16(p + 6, 0);
	put_u32(p + 8, l->backlog);
	put_u32(p + 12, 0);
	put_tcp_opts(p + 16, &l->opts);
	return len;
}

int ipc_decode_tcp_listen(const struct ipc_msg *m, struct ipc_tcp_listen *out)
{
	const uint8_t *p = m->body;
	int err = check_body(m, IPC_T_TCP_LISTEN, IPC_TCP_LISTEN_LEN);

	if (err)
		return err;
	out->local_addr = get_u32(p);
	out->local_port = get_u16(p + 4);
	out->backlog = get_u32(p + 8);
	if (out->local_port == 0 || get_u16(p + 6) != 0 || out->backlog == 0 ||
	    out->backlog > IPC_TCP_BACKLOG_MAX || get_u32(p + 12) != 0)
		return -EBADMSG;
	return get_tcp_opts(p + 16, &out->opts);
}

/* TCP_SETOPT body: i32 id, then the options block. */
int ipc_encode_tcp_setopt(void *buf, size_t cap, uint8_t version, uint32_t id,
			  const struct ipc_tcp_setopt *o)
{
	uint8_t *p = buf;
	int len;

	if (o->id < 0 || !tcp_opts_valid(&o->opts))
		return -EINVAL;
	len = put_header(p, cap, version, IPC_T_TCP_SETOPT, id,
			 IPC_TCP_SETOPT_LEN);
	if (len < 0)
		return len;
	p += IPC_HDR_LEN;
	put_u32(p, (uint32_t)o->id);
	put_tcp_opts(p + 4, &o->opts);
	return len;
}

int ipc_decode_tcp_setopt(const struct ipc_msg *m, struct ipc_tcp_setopt *out)
{
	const uint8_t *p = m->body;
	int err = check_body(m, IPC_T_TCP_SETOPT, IPC_TCP_SETOPT_LEN);

	if (err)
		return err;
	out->id = (int32_t)get_u32(p);
	if (out->id < 0)
		return -EBADMSG;
	return get_tcp_opts(p + 4, &out->opts);
}

/* Status-only reply body: i32 status, u32 value. */
static int encode_status_only(void *buf, size_t cap, uint8_t version,
			      uint16_t type, uint32_t id,
			      const struct ipc_status_only_reply *r)
{
	uint8_t *p = buf;
	int len;

	if (!status_valid(r->status))
		return -EINVAL;
	len = put_header(p, cap, version, type, id, IPC_TCP_SETOPT_REPLY_LEN);
	if (len < 0)
		return len;
	p += IPC_HDR_LEN;
	put_u32(p, (uint32_t)r->status);
	put_u32(p + 4, r->value);
	return len;
}

static int decode_status_only(const struct ipc_msg *m, uint16_t type,
			      struct ipc_status_only_reply *out)
{
	const uint8_t *p = m->body;
	int err = check_body(m, type, IPC_TCP_SETOPT_REPLY_LEN);

	if (err)
		return err;
	out->status = get_status(p);
	out->value = get_u32(p + 4);
	if (!status_valid(out->status))
		return -EBADMSG;
	return 0;
}

int ipc_encode_tcp_setopt_reply(void *buf, size_t cap, uint8_t version,
				uint32_t id,
				const struct ipc_status_only_reply *r)
{
	if (r->value != 0)
		return -EINVAL;
	return encode_status_only(buf, cap, version, IPC_T_TCP_SETOPT_REPLY, id,
				  r);
}

int ipc_decode_tcp_setopt_reply(const struct ipc_msg *m,
				struct ipc_status_only_reply *out)
{
	int err = decode_status_only(m, IPC_T_TCP_SETOPT_REPLY, out);

	if (err == 0 && out->value != 0)
		return -EBADMSG; /* reserved */
	return err;
}

int ipc_encode_barrier(void *buf, size_t cap, uint8_t version, uint32_t id)
{
	return put_header(buf, cap, version, IPC_T_BARRIER, id,
			  IPC_BARRIER_LEN);
}

int ipc_decode_barrier(const struct ipc_msg *m)
{
	return check_body(m, IPC_T_BARRIER, IPC_BARRIER_LEN);
}

int ipc_encode_barrier_reply(void *buf, size_t cap, uint8_t version,
			     uint32_t id, const struct ipc_status_only_reply *r)
{
	return encode_status_only(buf, cap, version, IPC_T_BARRIER_REPLY, id,
				  r);
}

int ipc_decode_barrier_reply(const struct ipc_msg *m,
			     struct ipc_status_only_reply *out)
{
	return decode_status_only(m, IPC_T_BARRIER_REPLY, out);
}

/* ---- status records ------------------------------------------------ */

/*
 * Fixed part of each record type, after the 4-byte record header; the
 * string-carrying ones add that many bytes of string. Field by field
 * (docs/ipc.md has the offsets):
 *   DAEMON     u64 uptime_ms, u8 name_len
 *   INTERFACE  i32 index, u32 mtu, addr, gateway, mac[6], u8 prefix_len,
 *              u8 name_len
 *   ROUTE      u32 dst, gateway, i32 ifindex, u8 prefix_len, u8 kind,
 *              u16 reserved
 *   ARP        u32 addr, i32 ifindex, u64 expires_ms, u32 queued, mac[6],
 *              u8 state, u8 reserved
 *   SOCKET     i32 id, u8 protocol, u8 reserved, u16 local_port,
 *              u32 local_addr, remote_addr, u16 remote_port, u16 reserved,
 *              u32 recv_queue, recv_bytes, u64 rx, tx, drops
 *   POOL       6 x u32
 *   COUNTER    u64 value, u8 name_len
 *   TCP        i32 id, u8 state, u8 flags, u16 local_port, u32 local_addr,
 *              remote_addr, u16 remote_port, u16 reserved, u32 send_queue,
 *              recv_queue, snd_wnd, rcv_wnd, cwnd, ssthresh, mss, backlog,
 *              u64 srtt_us, rttvar_us, rto_ms, retransmits, bytes_sent,
 *              bytes_received
 */
#define REC_DAEMON_FIXED    9u
#define REC_INTERFACE_FIXED 24u
#define REC_ROUTE_LEN	    16u
#define REC_ARP_LEN	    28u
#define REC_SOCKET_LEN	    52u
#define REC_POOL_LEN	    24u
#define REC_COUNTER_FIXED   9u
#define REC_TCP_LEN	    100u
#define REC_TCP_FLAGS	    (IPC_TCP_F_LISTENER | IPC_TCP_F_ORPHAN)

/* Copies a NUL-terminated string for the wire: at most `max` bytes,
 * non-printable bytes as '?'. Returns the length written. */
static size_t put_string(uint8_t *p, const char *s, size_t max)
{
	size_t n = 0;

	for (; n < max && s[n] != '\0'; n++) {
		unsigned char c = (unsigned char)s[n];

		p[n] = (c >= 0x20 && c < 0x7f) ? c : '?';
	}
	return n;
}

static size_t string_len(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n] != '\0')
		n++;
	return n;
}

/* A wire string: printable ASCII only (so no NUL), copied and
 * terminated. Returns false for a bad byte. */
static bool get_string(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] >= 0x7f)
			return false;
		out[i] = (char)p[i];
	}
	out[n] = '\0';
	return true;
}

/* The record's full size on the wire, or 0 for an unknown type. */
static size_t record_size(const struct ipc_record *r)
{
	switch (r->type) {
	case IPC_REC_DAEMON:
		return IPC_REC_HDR_LEN + REC_DAEMON_FIXED +
		       string_len(r->u.daemon.name, IPC_NAME_MAX);
	case IPC_REC_INTERFACE:
		return IPC_REC_HDR_LEN + REC_INTERFACE_FIXED +
		       string_len(r->u.iface.name, IPC_IFNAME_MAX);
	case IPC_REC_ROUTE:
		return IPC_REC_HDR_LEN + REC_ROUTE_LEN;
	case IPC_REC_ARP:
		return IPC_REC_HDR_LEN + REC_ARP_LEN;
	case IPC_REC_SOCKET:
		return IPC_REC_HDR_LEN + REC_SOCKET_LEN;
	case IPC_REC_POOL:
		return IPC_REC_HDR_LEN + REC_POOL_LEN;
	case IPC_REC_COUNTER:
		return IPC_REC_HDR_LEN + REC_COUNTER_FIXED +
		       string_len(r->u.counter.name, IPC_COUNTER_NAME_MAX);
	case IPC_REC_TCP:
		return IPC_REC_HDR_LEN + REC_TCP_LEN;
	}
	return 0;
}

/* Writes the record's fields (after its header) at p. */
static void put_record_body(uint8_t *p, const struct ipc_record *r)
{
	size_t n;

	switch (r->type) {
	case IPC_REC_DAEMON:
		put_u64(p, r->u.daemon.uptime_ms);
		n = put_string(p + 9, r->u.daemon.name, IPC_NAME_MAX);
		put_u8(p + 8, (uint8_t)n);
		break;
	case IPC_REC_INTERFACE:
		put_u32(p, (uint32_t)r->u.iface.index);
		put_u32(p + 4, r->u.iface.mtu);
		put_u32(p + 8, r->u.iface.addr);
		put_u32(p + 12, r->u.iface.gateway);
		memcpy(p + 16, r->u.iface.mac, 6);
		put_u8(p + 22, r->u.iface.prefix_len);
		n = put_string(p + 24, r->u.iface.name, IPC_IFNAME_MAX);
		put_u8(p + 23, (uint8_t)n);
		break;
	case IPC_REC_ROUTE:
		put_u32(p, r->u.route.dst);
		put_u32(p + 4, r->u.route.gateway);
		put_u32(p + 8, (uint32_t)r->u.route.ifindex);
		put_u8(p + 12, r->u.route.prefix_len);
		put_u8(p + 13, r->u.route.kind);
		put_u16(p + 14, 0);
		break;
	case IPC_REC_ARP:
		put_u32(p, r->u.arp.addr);
		put_u32(p + 4, (uint32_t)r->u.arp.ifindex);
		put_u64(p + 8, r->u.arp.expires_ms);
		put_u32(p + 16, r->u.arp.queued);
		memcpy(p + 20, r->u.arp.mac, 6);
		put_u8(p + 26, r->u.arp.state);
		put_u8(p + 27, 0);
		break;
	case IPC_REC_SOCKET:
		put_u32(p, (uint32_t)r->u.socket.id);
		put_u8(p + 4, r->u.socket.protocol);
		put_u8(p + 5, 0);
		put_u16(p + 6, r->u.socket.local_port);
		put_u32(p + 8, r->u.socket.local_addr);
		put_u32(p + 12, r->u.socket.remote_addr);
		put_u16(p + 16, r->u.socket.remote_port);
		put_u16(p + 18, 0);
		put_u32(p + 20, r->u.socket.recv_queue);
		put_u32(p + 24, r->u.socket.recv_bytes);
		put_u64(p + 28, r->u.socket.rx);
		put_u64(p + 36, r->u.socket.tx);
		put_u64(p + 44, r->u.socket.drops);
		break;
	case IPC_REC_POOL:
		put_u32(p, r->u.pool.small_in_use);
		put_u32(p + 4, r->u.pool.small_allocated);
		put_u32(p + 8, r->u.pool.small_max);
		put_u32(p + 12, r->u.pool.large_in_use);
		put_u32(p + 16, r->u.pool.large_allocated);
		put_u32(p + 20, r->u.pool.large_max);
		break;
	case IPC_REC_COUNTER:
		put_u64(p, r->u.counter.value);
		n = put_string(p + 9, r->u.counter.name, IPC_COUNTER_NAME_MAX);
		put_u8(p + 8, (uint8_t)n);
		break;
	case IPC_REC_TCP:
		put_u32(p, (uint32_t)r->u.tcp.id);
		put_u8(p + 4, r->u.tcp.state);
		put_u8(p + 5, r->u.tcp.flags);
		put_u16(p + 6, r->u.tcp.local_port);
		put_u32(p + 8, r->u.tcp.local_addr);
		put_u32(p + 12, r->u.tcp.remote_addr);
		put_u16(p + 16, r->u.tcp.remote_port);
		put_u16(p + 18, 0);
		put_u32(p + 20, r->u.tcp.send_queue);
		put_u32(p + 24, r->u.tcp.recv_queue);
		put_u32(p + 28, r->u.tcp.snd_wnd);
		put_u32(p + 32, r->u.tcp.rcv_wnd);
		put_u32(p + 36, r->u.tcp.cwnd);
		put_u32(p + 40, r->u.tcp.ssthresh);
		put_u32(p + 44, r->u.tcp.mss);
		put_u32(p + 48, r->u.tcp.backlog);
		put_u64(p + 52, r->u.tcp.srtt_us);
		put_u64(p + 60, r->u.tcp.rttvar_us);
		put_u64(p + 68, r->u.tcp.rto_ms);
		put_u64(p + 76, r->u.tcp.retransmits);
		put_u64(p + 84, r->u.tcp.bytes_sent);
		put_u64(p + 92, r->u.tcp.bytes_received);
		break;
	}
}

/* Reply body layout: status i32, flags u16, nrecords u16, records. */
int ipc_status_begin(struct ipc_status_builder *b, void *buf, size_t cap,
		     uint8_t version, uint32_t id)
{
	int len;

	if (cap > IPC_MSG_MAX)
		cap = IPC_MSG_MAX;
	len = put_header(buf, cap, version, IPC_T_STATUS_REPLY, id,
			 IPC_STATUS_REPLY_MIN);
	if (len < 0)
		return len;
	b->buf = buf;
	b->cap = cap;
	b->len = (size_t)len;
	b->nrecords = 0;
	return 0;
}

int ipc_status_add(struct ipc_status_builder *b, const struct ipc_record *r)
{
	size_t size = record_size(r);
	uint8_t *p;

	if (size == 0)
		return -EINVAL;
	if (size > b->cap - b->len || b->nrecords == UINT16_MAX)
		return -ENOSPC;
	p = b->buf + b->len;
	put_u16(p, r->type);
	put_u16(p + 2, (uint16_t)size);
	put_record_body(p + IPC_REC_HDR_LEN, r);
	b->len += size;
	b->nrecords++;
	return 0;
}

size_t ipc_status_finish(struct ipc_status_builder *b, int32_t status,
			 bool last)
{
	uint8_t *p = b->buf + IPC_HDR_LEN;

	put_u32(b->buf + 8, (uint32_t)b->len);
	put_u32(p, (uint32_t)status);
	put_u16(p + 4, last ? IPC_STATUS_F_END : 0);
	put_u16(p + 6, b->nrecords);
	return b->len;
}

/*
 * Parses one record at p (avail bytes left in the chunk): sets *used to
 * its size and fills *r (r->type 0 for an unknown type). Returns 0 or
 * -EBADMSG. This is the only place record bytes are read.
 */
static int record_parse(const uint8_t *p, size_t avail, struct ipc_record *r,
			size_t *used)
{
	uint16_t type;
	size_t size, body_len;
	const uint8_t *q = p + IPC_REC_HDR_LEN;

	if (avail < IPC_REC_HDR_LEN)
		return -EBADMSG;
	type = get_u16(p);
	size = get_u16(p + 2);
	if (size < IPC_REC_HDR_LEN || size > avail)
		return -EBADMSG;
	body_len = size - IPC_REC_HDR_LEN;
	*used = size;
	memset(r, 0, sizeof(*r));

	switch (type) {
	case IPC_REC_DAEMON:
		if (body_len < REC_DAEMON_FIXED || q[8] > IPC_NAME_MAX ||
		    body_len != REC_DAEMON_FIXED + q[8])
			return -EBADMSG;
		r->u.daemon.uptime_ms = get_u64(q);
		if (!get_string(r->u.daemon.name, q + 9, q[8]))
			return -EBADMSG;
		break;
	case IPC_REC_INTERFACE:
		if (body_len < REC_INTERFACE_FIXED || q[23] == 0 ||
		    q[23] > IPC_IFNAME_MAX ||
		    body_len != REC_INTERFACE_FIXED + q[23])
			return -EBADMSG;
		r->u.iface.index = (int32_t)get_u32(q);
		r->u.iface.mtu = get_u32(q + 4);
		r->u.iface.addr = get_u32(q + 8);
		r->u.iface.gateway = get_u32(q + 12);
		memcpy(r->u.iface.mac, q + 16, 6);
		r->u.iface.prefix_len = q[22];
		if (r->u.iface.index < 0 || r->u.iface.prefix_len > 32 ||
		    !get_string(r->u.iface.name, q + 24, q[23]))
			return -EBADMSG;
		break;
	case IPC_REC_ROUTE:
		if (body_len != REC_ROUTE_LEN)
			return -EBADMSG;
		r->u.route.dst = get_u32(q);
		r->u.route.gateway = get_u32(q + 4);
		r->u.route.ifindex = (int32_t)get_u32(q + 8);
		r->u.route.prefix_len = q[12];
		r->u.route.kind = q[13];
		if (r->u.route.prefix_len > 32 || r->u.route.ifindex < 0 ||
		    r->u.route.kind > IPC_ROUTE_STATIC || get_u16(q + 14))
			return -EBADMSG;
		break;
	case IPC_REC_ARP:
		if (body_len != REC_ARP_LEN)
			return -EBADMSG;
		r->u.arp.addr = get_u32(q);
		r->u.arp.ifindex = (int32_t)get_u32(q + 4);
		r->u.arp.expires_ms = get_u64(q + 8);
		r->u.arp.queued = get_u32(q + 16);
		memcpy(r->u.arp.mac, q + 20, 6);
		r->u.arp.state = q[26];
		if (r->u.arp.ifindex < 0 || r->u.arp.state > IPC_ARP_STATIC ||
		    q[27] != 0)
			return -EBADMSG;
		break;
	case IPC_REC_SOCKET:
		if (body_len != REC_SOCKET_LEN)
			return -EBADMSG;
		r->u.socket.id = (int32_t)get_u32(q);
		r->u.socket.protocol = q[4];
		r->u.socket.local_port = get_u16(q + 6);
		r->u.socket.local_addr = get_u32(q + 8);
		r->u.socket.remote_addr = get_u32(q + 12);
		r->u.socket.remote_port = get_u16(q + 16);
		r->u.socket.recv_queue = get_u32(q + 20);
		r->u.socket.recv_bytes = get_u32(q + 24);
		r->u.socket.rx = get_u64(q + 28);
		r->u.socket.tx = get_u64(q + 36);
		r->u.socket.drops = get_u64(q + 44);
		if (r->u.socket.id < 0 || q[5] != 0 || get_u16(q + 18) != 0)
			return -EBADMSG;
		break;
	case IPC_REC_POOL:
		if (body_len != REC_POOL_LEN)
			return -EBADMSG;
		r->u.pool.small_in_use = get_u32(q);
		r->u.pool.small_allocated = get_u32(q + 4);
		r->u.pool.small_max = get_u32(q + 8);
		r->u.pool.large_in_use = get_u32(q + 12);
		r->u.pool.large_allocated = get_u32(q + 16);
		r->u.pool.large_max = get_u32(q + 20);
		break;
	case IPC_REC_COUNTER:
		if (body_len < REC_COUNTER_FIXED || q[8] == 0 ||
		    q[8] > IPC_COUNTER_NAME_MAX ||
		    body_len != REC_COUNTER_FIXED + q[8])
			return -EBADMSG;
		r->u.counter.value = get_u64(q);
		if (!get_string(r->u.counter.name, q + 9, q[8]))
			return -EBADMSG;
		break;
	case IPC_REC_TCP:
		if (body_len != REC_TCP_LEN)
			return -EBADMSG;
		r->u.tcp.id = (int32_t)get_u32(q);
		r->u.tcp.state = q[4];
		r->u.tcp.flags = q[5];
		r->u.tcp.local_port = get_u16(q + 6);
		r->u.tcp.local_addr = get_u32(q + 8);
		r->u.tcp.remote_addr = get_u32(q + 12);
		r->u.tcp.remote_port = get_u16(q + 16);
		r->u.tcp.send_queue = get_u32(q + 20);
		r->u.tcp.recv_queue = get_u32(q + 24);
		r->u.tcp.snd_wnd = get_u32(q + 28);
		r->u.tcp.rcv_wnd = get_u32(q + 32);
		r->u.tcp.cwnd = get_u32(q + 36);
		r->u.tcp.ssthresh = get_u32(q + 40);
		r->u.tcp.mss = get_u32(q + 44);
		r->u.tcp.backlog = get_u32(q + 48);
		r->u.tcp.srtt_us = get_u64(q + 52);
		r->u.tcp.rttvar_us = get_u64(q + 60);
		r->u.tcp.rto_ms = get_u64(q + 68);
		r->u.tcp.retransmits = get_u64(q + 76);
		r->u.tcp.bytes_sent = get_u64(q + 84);
		r->u.tcp.bytes_received = get_u64(q + 92);
		if (r->u.tcp.id < 0 || r->u.tcp.state >= IPC_TCPS_COUNT ||
		    (r->u.tcp.flags & ~REC_TCP_FLAGS) || get_u16(q + 18) != 0)
			return -EBADMSG;
		/* a listener is in LISTEN, nothing else is */
		if (((r->u.tcp.flags & IPC_TCP_F_LISTENER) != 0) !=
		    (r->u.tcp.state == IPC_TCPS_LISTEN))
			return -EBADMSG;
		break;
	default:
		return 0; /* unknown: skipped, type stays 0 */
	}
	r->type = type;
	return 0;
}

int ipc_decode_status_reply(const struct ipc_msg *m,
			    struct ipc_status_chunk *out)
{
	const uint8_t *p = m->body;
	uint16_t flags, count;
	size_t off, used = 0;
	struct ipc_record r;

	if (m->type != IPC_T_STATUS_REPLY)
		return -EPROTO;
	if (m->body_len < IPC_STATUS_REPLY_MIN)
		return -EBADMSG;
	out->status = get_status(p);
	flags = get_u16(p + 4);
	out->nrecords = get_u16(p + 6);
	out->last = (flags & IPC_STATUS_F_END) != 0;
	out->records = p + IPC_STATUS_REPLY_MIN;
	out->records_len = m->body_len - IPC_STATUS_REPLY_MIN;
	if (!status_valid(out->status) || (flags & ~IPC_STATUS_F_END))
		return -EBADMSG;
	if (out->status != 0 && (!out->last || out->nrecords != 0))
		return -EBADMSG;

	/* Walk every record once: the count must match the bytes. */
	count = 0;
	for (off = 0; off < out->records_len; off += used) {
		if (count == out->nrecords)
			return -EBADMSG; /* trailing bytes */
		if (record_parse(out->records + off, out->records_len - off, &r,
				 &used))
			return -EBADMSG;
		count++;
	}
	if (count != out->nrecords)
		return -EBADMSG;
	return 0;
}

void ipc_record_iter_init(struct ipc_record_iter *it,
			  const struct ipc_status_chunk *c)
{
	it->p = c->records;
	it->left = c->records_len;
}

bool ipc_record_next(struct ipc_record_iter *it, struct ipc_record *r)
{
	size_t used;

	while (it->left > 0) {
		/* The chunk was checked whole; a failure here would mean
		 * an unchecked chunk: stop rather than read on. */
		if (record_parse(it->p, it->left, r, &used)) {
			it->left = 0;
			return false;
		}
		it->p += used;
		it->left -= used;
		if (r->type != 0)
			return true;
	}
	return false;
}

/* ---- UDP data channel ---------------------------------------------- */

void ipc_dgram_hdr_encode(uint8_t out[IPC_DGRAM_HDR_LEN],
			  const struct ipc_dgram_hdr *h)
{
	put_u32(out, h->addr);
	put_u16(out + 4, h->port);
	put_u8(out + 6, h->flags);
	put_u8(out + 7, 0);
	put_u32(out + 8, h->error);
}

int ipc_dgram_hdr_decode(const uint8_t hdr[IPC_DGRAM_HDR_LEN],
			 size_t payload_len, struct ipc_dgram_hdr *out)
{
	out->addr = get_u32(hdr);
	out->port = get_u16(hdr + 4);
	out->flags = hdr[6];
	out->error = get_u32(hdr + 8);
	if ((out->flags & ~IPC_DGRAM_F_ERROR) || hdr[7] != 0)
		return -EBADMSG;
	if (out->flags & IPC_DGRAM_F_ERROR) {
		if (out->error == 0 || out->error > IPC_ERRNO_MAX ||
		    payload_len != 0)
			return -EBADMSG;
	} else if (out->error != 0) {
		return -EBADMSG;
	}
	if (payload_len > IPC_UDP_PAYLOAD_MAX)
		return -EMSGSIZE;
	return 0;
}

int ipc_dgram_decode(const void *buf, size_t len, struct ipc_dgram_hdr *out,
		     const uint8_t **payload, size_t *payload_len)
{
	const uint8_t *p = buf;
	int err;

	if (len < IPC_DGRAM_HDR_LEN)
		return -EBADMSG;
	err = ipc_dgram_hdr_decode(p, len - IPC_DGRAM_HDR_LEN, out);
	if (err)
		return err;
	*payload = p + IPC_DGRAM_HDR_LEN;
	*payload_len = len - IPC_DGRAM_HDR_LEN;
	return 0;
}

/* ---- TCP listening channel ----------------------------------------- */

/* Layout: u32 remote_addr, u16 remote_port, u16 local_port,
 * u32 local_addr, i32 id. */
void ipc_accept_encode(uint8_t out[IPC_ACCEPT_LEN], const struct ipc_accept *a)
{
	put_u32(out, a->remote_addr);
	put_u16(out + 4, a->remote_port);
	put_u16(out + 6, a->local_port);
	put_u32(out + 8, a->local_addr);
	put_u32(out + 12, (uint32_t)a->id);
}

int ipc_accept_decode(const void *buf, size_t len, struct ipc_accept *out)
{
	const uint8_t *p = buf;

	if (len != IPC_ACCEPT_LEN)
		return -EBADMSG;
	out->remote_addr = get_u32(p);
	out->remote_port = get_u16(p + 4);
	out->local_port = get_u16(p + 6);
	out->local_addr = get_u32(p + 8);
	out->id = (int32_t)get_u32(p + 12);
	if (out->id < 0)
		return -EBADMSG;
	return 0;
}
