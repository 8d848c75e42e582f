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
 * No offset is written by hand. Bytes are read and written through a
 * cursor (struct writer, struct reader) that knows how much room is
 * left and fails once and stays failed: a short buffer, a reserved
 * field that is not zero or a bad string is one sticky error, checked
 * when the body is done (the shape of OpenBSD's ibuf_get_n32()). The
 * field lists in ipc.h (the *_LAYOUT X-macros) drive the cursor: each
 * layout becomes a put_<layout>() and a get_<layout>() below, and each
 * message's encoder and decoder is one MESSAGE() line that adds the
 * header, the type and size checks, and the message's own range checks
 * (the *_sendable() and *_valid() functions, the only hand-written
 * part of a message).
 */
#include "ipc.h"

#include <errno.h>
#include <string.h>

#include "byteorder.h"

/* ---- the cursor ---------------------------------------------------- */

struct writer {
	uint8_t *p;
	size_t left;
	bool failed;
};

struct reader {
	const uint8_t *p;
	size_t left;
	bool failed;
};

static struct writer writer_at(void *buf, size_t cap)
{
	struct writer w = {.p = buf, .left = cap, .failed = false};

	return w;
}

static struct reader reader_at(const void *buf, size_t len)
{
	struct reader r = {.p = buf, .left = len, .failed = false};

	return r;
}

/* Takes the next n bytes to write, or NULL (and fails) without room. */
static uint8_t *put_room(struct writer *w, size_t n)
{
	uint8_t *p = w->p;

	if (w->failed || n > w->left) {
		w->failed = true;
		return NULL;
	}
	w->p += n;
	w->left -= n;
	return p;
}

/* Takes the next n bytes to read, or NULL (and fails) past the end. */
static const uint8_t *get_room(struct reader *r, size_t n)
{
	const uint8_t *p = r->p;

	if (r->failed || n > r->left) {
		r->failed = true;
		return NULL;
	}
	r->p += n;
	r->left -= n;
	return p;
}

/* One put_<kind>() and get_<kind>() per field kind of ipc.h; put takes
 * the field, get a pointer to it. */

static void put_u8(struct writer *w, uint8_t v)
{
	uint8_t *p = put_room(w, IPC_WIRE_u8);

	if (p)
		*p = v;
}

static void put_u16(struct writer *w, uint16_t v)
{
	uint8_t *p = put_room(w, IPC_WIRE_u16);

	if (p)
		put_be16(p, v);
}

static void put_u32(struct writer *w, uint32_t v)
{
	uint8_t *p = put_room(w, IPC_WIRE_u32);

	if (p)
		put_be32(p, v);
}

static void put_u64(struct writer *w, uint64_t v)
{
	uint8_t *p = put_room(w, IPC_WIRE_u64);

	if (p)
		put_be64(p, v);
}

static void put_i32(struct writer *w, int32_t v)
{
	put_u32(w, (uint32_t)v);
}

static void put_mac(struct writer *w, const uint8_t v[6])
{
	uint8_t *p = put_room(w, IPC_WIRE_mac);

	if (p)
		memcpy(p, v, IPC_WIRE_mac);
}

/* Reserved bytes: zero. */
static void put_zero(struct writer *w, size_t n)
{
	uint8_t *p = put_room(w, n);

	if (p)
		memset(p, 0, n);
}

static void get_u8(struct reader *r, uint8_t *v)
{
	const uint8_t *p = get_room(r, IPC_WIRE_u8);

	*v = p ? *p : 0;
}

static void get_u16(struct reader *r, uint16_t *v)
{
	const uint8_t *p = get_room(r, IPC_WIRE_u16);

	*v = p ? get_be16(p) : 0;
}

static void get_u32(struct reader *r, uint32_t *v)
{
	const uint8_t *p = get_room(r, IPC_WIRE_u32);

	*v = p ? get_be32(p) : 0;
}

static void get_u64(struct reader *r, uint64_t *v)
{
	const uint8_t *p = get_room(r, IPC_WIRE_u64);

	*v = p ? get_be64(p) : 0;
}

static void get_i32(struct reader *r, int32_t *v)
{
	uint32_t u;

	get_u32(r, &u);
	*v = (int32_t)u;
}

static void get_mac(struct reader *r, uint8_t (*v)[6])
{
	const uint8_t *p = get_room(r, IPC_WIRE_mac);

	if (p)
		memcpy(*v, p, IPC_WIRE_mac);
	else
		memset(*v, 0, IPC_WIRE_mac);
}

/* Reserved bytes: must be zero, else the reader fails. */
static void get_zero(struct reader *r, size_t n)
{
	const uint8_t *p = get_room(r, n);

	for (size_t i = 0; p && i < n; i++)
		if (p[i] != 0)
			r->failed = true;
}

/* A wire string from a NUL-terminated one: at most `max` bytes, bytes
 * outside printable ASCII as '?'. */
static void put_string(struct writer *w, const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	uint8_t *p;

	put_u8(w, (uint8_t)n);
	p = put_room(w, n);
	for (size_t i = 0; p && i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		p[i] = (c >= 0x20 && c < 0x7f) ? c : '?';
	}
}

/* A wire string of min..max printable ASCII bytes, copied and
 * terminated; anything else fails the reader. */
static void get_string(struct reader *r, char *out, size_t min, size_t max)
{
	const uint8_t *p;
	uint8_t n;

	get_u8(r, &n);
	out[0] = '\0';
	if (n < min || n > max)
		r->failed = true;
	p = get_room(r, n);
	if (!p)
		return;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] >= 0x7f)
			r->failed = true;
		out[i] = (char)p[i];
	}
	out[n] = '\0';
}

static void put_name(struct writer *w, const char *v)
{
	put_string(w, v, IPC_NAME_MAX);
}

static void put_ifname(struct writer *w, const char *v)
{
	put_string(w, v, IPC_IFNAME_MAX);
}

static void put_counter_name(struct writer *w, const char *v)
{
	put_string(w, v, IPC_COUNTER_NAME_MAX);
}

static void get_name(struct reader *r, char (*v)[IPC_NAME_MAX + 1])
{
	get_string(r, *v, 0, IPC_NAME_MAX);
}

static void get_ifname(struct reader *r, char (*v)[IPC_IFNAME_MAX + 1])
{
	get_string(r, *v, 1, IPC_IFNAME_MAX);
}

static void get_counter_name(struct reader *r,
			     char (*v)[IPC_COUNTER_NAME_MAX + 1])
{
	get_string(r, *v, 1, IPC_COUNTER_NAME_MAX);
}

static void put_dname(struct writer *w, const char *v)
{
	put_string(w, v, IPC_DNAME_MAX);
}

static void get_dname(struct reader *r, char (*v)[IPC_DNAME_MAX + 1])
{
	get_string(r, *v, 0, IPC_DNAME_MAX);
}

/* A `bytes` field: its length, then its bytes as they are. */
static void put_bytes(struct writer *w, struct ipc_bytes v)
{
	uint8_t *p;

	put_u8(w, v.n);
	p = put_room(w, v.n);
	if (p)
		memcpy(p, v.b, v.n);
}

static void get_bytes(struct reader *r, struct ipc_bytes *v)
{
	const uint8_t *p;

	memset(v, 0, sizeof(*v));
	get_u8(r, &v->n);
	p = get_room(r, v->n);
	if (p)
		memcpy(v->b, p, v->n);
	else
		v->n = 0;
}

/* An `addrs` field: the count, then every slot (past the count: 0). */
static void put_addrs(struct writer *w, struct ipc_addrs v)
{
	uint8_t n = v.n > IPC_ADDRS_MAX ? IPC_ADDRS_MAX : v.n;

	put_u8(w, n);
	for (unsigned i = 0; i < IPC_ADDRS_MAX; i++)
		put_u32(w, i < n ? v.a[i] : 0);
}

/* A count over IPC_ADDRS_MAX, or an address past it, fails. */
static void get_addrs(struct reader *r, struct ipc_addrs *v)
{
	get_u8(r, &v->n);
	for (unsigned i = 0; i < IPC_ADDRS_MAX; i++) {
		get_u32(r, &v->a[i]);
		if (i >= v->n && v->a[i] != 0)
			r->failed = true;
	}
	if (v->n > IPC_ADDRS_MAX)
		r->failed = true;
}

/* A `dname_fixed` field: the name's length and bytes, zeros to fill
 * IPC_DNAME_MAX. Bytes outside printable ASCII, or a fill not zero,
 * fail the reader. */
static void put_dname_fixed(struct writer *w, const char *v)
{
	size_t n = strnlen(v, IPC_DNAME_MAX);
	uint8_t *p;

	put_u8(w, (uint8_t)n);
	p = put_room(w, IPC_DNAME_MAX);
	if (!p)
		return;
	memset(p, 0, IPC_DNAME_MAX);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v[i] < 0x20 || v[i] >= 0x7f ? '?' : v[i]);
}

static void get_dname_fixed(struct reader *r, char (*v)[IPC_DNAME_MAX + 1])
{
	const uint8_t *p;
	uint8_t n = 0;

	get_u8(r, &n);
	p = get_room(r, IPC_DNAME_MAX);
	memset(*v, 0, sizeof(*v));
	if (!p)
		return;
	for (size_t i = 0; i < IPC_DNAME_MAX; i++) {
		if (i < n && (p[i] < 0x20 || p[i] >= 0x7f))
			r->failed = true;
		if (i >= n && p[i] != 0)
			r->failed = true;
	}
	memcpy(*v, p, n); /* n <= 255 = IPC_DNAME_MAX */
}

/* An `addr16` field: 16 bytes as they are. */
static void put_addr16(struct writer *w, const uint8_t *v)
{
	uint8_t *p = put_room(w, 16);

	if (p)
		memcpy(p, v, 16);
}

static void get_addr16(struct reader *r, uint8_t (*v)[16])
{
	const uint8_t *p = get_room(r, 16);

	if (p)
		memcpy(*v, p, 16);
	else
		memset(*v, 0, 16);
}

/* ---- layouts -> codecs --------------------------------------------- */

#define PUT_FIELD(kind, name)	 put_##kind(w, v->name);
#define PUT_RESERVED(kind, name) put_zero(w, IPC_WIRE_##kind);
#define GET_FIELD(kind, name)	 get_##kind(r, &v->name);
#define GET_RESERVED(kind, name) get_zero(r, IPC_WIRE_##kind);

/* put_<name>(w, v) and get_<name>(r, v) for a layout and its struct. */
#define CODEC(name, LAYOUT, type)                                              \
	static void put_##name(struct writer *w, const type *v)                \
	{                                                                      \
		LAYOUT(PUT_FIELD, PUT_RESERVED)                                \
	}                                                                      \
	static void get_##name(struct reader *r, type *v)                      \
	{                                                                      \
		LAYOUT(GET_FIELD, GET_RESERVED)                                \
	}

/* The options block's wire form: the two flags in one word. */
struct tcp_opts_wire {
	IPC_STRUCT(IPC_TCP_OPTS_LAYOUT)
};
CODEC(tcp_opts_wire, IPC_TCP_OPTS_LAYOUT, struct tcp_opts_wire)

/* The options' fields that are the same in both forms. */
/* clang-format off */
#define TCP_OPTS_NUMBERS(X)                                                    \
	X(set) X(sndbuf) X(rcvbuf) X(keepidle_s) X(keepintvl_s) X(keepcnt)    \
	X(linger_s) X(maxseg) X(tos) X(ttl)
/* clang-format on */
#define COPY_TO(field) to->field = from->field;

static void put_tcp_opts(struct writer *w, struct ipc_tcp_opts o)
{
	const struct ipc_tcp_opts *from = &o;
	struct tcp_opts_wire wire, *to = &wire;

	TCP_OPTS_NUMBERS(COPY_TO)
	wire.flags = (o.nodelay ? IPC_TCP_OPTS_F_NODELAY : 0) |
		     (o.keepalive ? IPC_TCP_OPTS_F_KEEPALIVE : 0) |
		     (o.linger ? IPC_TCP_OPTS_F_LINGER : 0);
	put_tcp_opts_wire(w, &wire);
}

static void get_tcp_opts(struct reader *r, struct ipc_tcp_opts *o)
{
	struct tcp_opts_wire wire, *from = &wire;
	struct ipc_tcp_opts *to = o;

	get_tcp_opts_wire(r, &wire);
	TCP_OPTS_NUMBERS(COPY_TO)
	o->nodelay = (wire.flags & IPC_TCP_OPTS_F_NODELAY) != 0;
	o->keepalive = (wire.flags & IPC_TCP_OPTS_F_KEEPALIVE) != 0;
	o->linger = (wire.flags & IPC_TCP_OPTS_F_LINGER) != 0;
	if (wire.flags & ~(IPC_TCP_OPTS_F_NODELAY | IPC_TCP_OPTS_F_KEEPALIVE |
			   IPC_TCP_OPTS_F_LINGER))
		r->failed = true;
}

/* The header's wire form; struct ipc_msg is its checked view. */
struct header {
	IPC_STRUCT(IPC_HEADER_LAYOUT)
};
CODEC(header, IPC_HEADER_LAYOUT, struct header)

struct status_reply_head {
	IPC_STRUCT(IPC_STATUS_REPLY_LAYOUT)
};
CODEC(status_reply_head, IPC_STATUS_REPLY_LAYOUT, struct status_reply_head)

struct record_header {
	IPC_STRUCT(IPC_RECORD_HEADER_LAYOUT)
};
CODEC(record_header, IPC_RECORD_HEADER_LAYOUT, struct record_header)

CODEC(hello, IPC_HELLO_LAYOUT, struct ipc_hello)
CODEC(hello_reply, IPC_HELLO_REPLY_LAYOUT, struct ipc_hello_reply)
CODEC(udp_open, IPC_UDP_OPEN_LAYOUT, struct ipc_udp_open)
CODEC(udp_open_reply, IPC_UDP_OPEN_REPLY_LAYOUT, struct ipc_udp_open_reply)
CODEC(error, IPC_ERROR_LAYOUT, struct ipc_error)
CODEC(tcp_connect, IPC_TCP_CONNECT_LAYOUT, struct ipc_tcp_connect)
CODEC(tcp_open_reply, IPC_TCP_OPEN_REPLY_LAYOUT, struct ipc_tcp_open_reply)
CODEC(tcp_listen, IPC_TCP_LISTEN_LAYOUT, struct ipc_tcp_listen)
CODEC(tcp_setopt, IPC_TCP_SETOPT_LAYOUT, struct ipc_tcp_setopt)
CODEC(status_only_reply, IPC_STATUS_ONLY_REPLY_LAYOUT,
      struct ipc_status_only_reply)
CODEC(dgram_hdr, IPC_DGRAM_HDR_LAYOUT, struct ipc_dgram_hdr)
CODEC(accept, IPC_ACCEPT_LAYOUT, struct ipc_accept)
CODEC(tcp_getopt, IPC_TCP_GETOPT_LAYOUT, struct ipc_tcp_getopt)
CODEC(udp_setopt, IPC_UDP_SETOPT_LAYOUT, struct ipc_udp_setopt)
CODEC(tcp_linger, IPC_TCP_LINGER_LAYOUT, struct ipc_tcp_linger)
CODEC(tcp_getopt_reply, IPC_TCP_GETOPT_REPLY_LAYOUT,
      struct ipc_tcp_getopt_reply)
CODEC(resolve, IPC_RESOLVE_LAYOUT, struct ipc_resolve)
CODEC(resolve_reply, IPC_RESOLVE_REPLY_LAYOUT, struct ipc_resolve_reply)
CODEC(resolve_result, IPC_RESOLVE_RESULT_LAYOUT, struct ipc_resolve_result)
CODEC(resolve_addr, IPC_RESOLVE_ADDR_LAYOUT, struct ipc_resolve_addr)
CODEC(tcp_info, IPC_TCP_INFO_LAYOUT, struct ipc_tcp_info)
CODEC(tcp_info_reply, IPC_TCP_INFO_REPLY_LAYOUT, struct ipc_tcp_info_reply)
CODEC(capture, IPC_CAPTURE_LAYOUT, struct ipc_capture)
CODEC(capture_reply, IPC_CAPTURE_REPLY_LAYOUT, struct ipc_capture_reply)
CODEC(capture_stop, IPC_CAPTURE_STOP_LAYOUT, struct ipc_capture_stop)
CODEC(capture_stop_reply, IPC_CAPTURE_STOP_REPLY_LAYOUT,
      struct ipc_capture_stop_reply)
CODEC(ping, IPC_PING_LAYOUT, struct ipc_ping)
CODEC(ping_reply, IPC_PING_REPLY_LAYOUT, struct ipc_ping_reply)

#define RECORD_CODEC(TYPE, number, sname, member)                              \
	CODEC(rec_##sname, IPC_REC_##TYPE##_LAYOUT, struct ipc_rec_##sname)
IPC_RECORDS(RECORD_CODEC)

/* ---- header -------------------------------------------------------- */

static bool status_valid(int32_t status)
{
	return status <= 0 && status >= -IPC_ERRNO_MAX;
}

/* Starts a message of body_len bytes in buf: writes its header and
 * leaves *w at the body. Returns the message length, -EINVAL for a
 * version we do not speak or -ENOSPC. */
static int begin_message(struct writer *w, void *buf, size_t cap,
			 uint8_t version, uint16_t type, uint32_t id,
			 size_t body_len)
{
	size_t len = IPC_HDR_LEN + body_len;
	struct header h = {.magic = IPC_MAGIC,
			   .version = version,
			   .type = type,
			   .length = (uint32_t)len,
			   .id = id};

	if (version < IPC_VERSION_MIN || version > IPC_VERSION_MAX)
		return -EINVAL;
	if (len > cap || len > IPC_MSG_MAX)
		return -ENOSPC;
	*w = writer_at(buf, len);
	put_header(w, &h);
	return (int)len;
}

int ipc_msg_decode(const void *buf, size_t len, struct ipc_msg *m)
{
	struct reader r = reader_at(buf, len);
	struct header h;

	if (len < IPC_HDR_LEN)
		return -EBADMSG;
	if (len > IPC_MSG_MAX)
		return -EMSGSIZE;
	get_header(&r, &h);
	if (h.magic != IPC_MAGIC)
		return -EBADMSG;
	if (h.version < IPC_VERSION_MIN || h.version > IPC_VERSION_MAX)
		return -EPROTONOSUPPORT;
	if (r.failed || h.length != len) /* reserved bits, length */
		return -EBADMSG;
	m->version = h.version;
	m->type = h.type;
	m->id = h.id;
	m->body = r.p;
	m->body_len = r.left;
	return 0;
}

bool ipc_type_is_request(uint16_t type)
{
	return type == IPC_T_HELLO || type == IPC_T_UDP_OPEN ||
	       type == IPC_T_STATUS || type == IPC_T_TCP_CONNECT ||
	       type == IPC_T_TCP_LISTEN || type == IPC_T_TCP_SETOPT ||
	       type == IPC_T_BARRIER || type == IPC_T_TCP_GETOPT ||
	       type == IPC_T_UDP_SETOPT || type == IPC_T_TCP_LINGER ||
	       type == IPC_T_RESOLVE || type == IPC_T_TCP_INFO ||
	       type == IPC_T_CAPTURE || type == IPC_T_CAPTURE_STOP ||
	       type == IPC_T_PING;
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

/* ---- each message's range checks ----------------------------------- */

/*
 * <message>_sendable(v) says whether the encoder may send *v (else
 * -EINVAL) and may normalise it (a failed reply carries no id);
 * <message>_valid(v) whether a decoded body is in range (else
 * -EBADMSG). Reserved fields and sizes are the layouts' business.
 */

/* For a message or record with no checks beyond its layout's. */
static bool no_check(const void *v)
{
	return true;
}

/* Where the encoder checks exactly what the decoder does. */
#define udp_open_sendable	  udp_open_valid
#define error_sendable		  error_valid
#define tcp_connect_sendable	  tcp_connect_valid
#define tcp_listen_sendable	  tcp_listen_valid
#define tcp_setopt_sendable	  tcp_setopt_valid
#define tcp_setopt_reply_sendable tcp_setopt_reply_valid
#define barrier_reply_sendable	  barrier_reply_valid
#define tcp_getopt_sendable	  tcp_getopt_valid
#define udp_setopt_sendable	  udp_setopt_valid
#define udp_setopt_reply_valid	  tcp_setopt_reply_valid
#define udp_setopt_reply_sendable tcp_setopt_reply_valid
#define tcp_linger_sendable	  tcp_linger_valid
#define tcp_linger_reply_sendable tcp_linger_reply_valid
#define resolve_sendable	  resolve_valid
#define tcp_info_sendable	  tcp_info_valid
#define capture_sendable	  capture_valid
#define capture_stop_sendable	  capture_stop_valid
#define ping_sendable		  ping_valid

static bool hello_sendable(struct ipc_hello *v)
{
	return v->version_min != 0 && v->version_min <= v->version_max &&
	       v->version_max <= 0xff;
}

static bool hello_valid(const struct ipc_hello *v)
{
	return v->version_min != 0 && v->version_min <= v->version_max;
}

static bool hello_reply_sendable(struct ipc_hello_reply *v)
{
	return status_valid(v->status);
}

static bool hello_reply_valid(const struct ipc_hello_reply *v)
{
	if (!status_valid(v->status))
		return false;
	/* A success names a version we speak and a usable size. */
	return v->status != 0 ||
	       (v->version >= IPC_VERSION_MIN &&
		v->version <= IPC_VERSION_MAX &&
		v->msg_max >= IPC_HDR_LEN + IPC_STATUS_REPLY_MIN + 64);
}

static bool udp_open_reply_sendable(struct ipc_udp_open_reply *v)
{
	if (!status_valid(v->status) || (v->status == 0 && v->sock < 0))
		return false;
	if (v->status != 0)
		v->sock = -1;
	return true;
}

static bool udp_open_reply_valid(const struct ipc_udp_open_reply *v)
{
	return status_valid(v->status) &&
	       (v->status == 0 ? v->sock >= 0 : v->sock == -1);
}

static bool error_valid(const struct ipc_error *v)
{
	return status_valid(v->status) && v->status != 0;
}

static bool in_range_if_set(uint32_t set, uint32_t bit, uint32_t v, uint32_t lo,
			    uint32_t hi)
{
	if (!(set & bit))
		return v == 0;
	return v >= lo && v <= hi;
}

/* A field not in `set` is zero; a flag only with its `set` bit. */
static bool tcp_opts_valid(const struct ipc_tcp_opts *o)
{
	uint32_t set = o->set;

	if (set & ~IPC_TCP_OPT_ALL)
		return false;
	if ((o->nodelay && !(set & IPC_TCP_OPT_NODELAY)) ||
	    (o->keepalive && !(set & IPC_TCP_OPT_KEEPALIVE)) ||
	    (o->linger && !(set & IPC_TCP_OPT_LINGER)))
		return false;
	if ((o->linger_s && !(set & IPC_TCP_OPT_LINGER)) ||
	    (o->tos && !(set & IPC_TCP_OPT_TOS)) ||
	    (o->ttl && !(set & IPC_TCP_OPT_TTL)))
		return false;
	if (o->maxseg &&
	    (!(set & IPC_TCP_OPT_MAXSEG) || o->maxseg < IPC_TCP_MAXSEG_MIN ||
	     o->maxseg > IPC_TCP_MAXSEG_MAX))
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

static bool tcp_connect_valid(const struct ipc_tcp_connect *v)
{
	return v->remote_port != 0 &&
	       v->timeout_ms <= IPC_TCP_CONNECT_TIMEOUT_MAX_MS &&
	       !(v->flags & ~(IPC_TCP_CONNECT_F_NONBLOCK |
			      IPC_TCP_CONNECT_F_END_NONBLOCK)) &&
	       tcp_opts_valid(&v->opts);
}

static bool tcp_open_reply_sendable(struct ipc_tcp_open_reply *v)
{
	if (!status_valid(v->status) || (v->status == 0 && v->id < 0))
		return false;
	if (v->status != 0) {
		v->id = -1;
		v->local_addr = 0;
		v->local_port = 0;
	}
	return true;
}

static bool tcp_open_reply_valid(const struct ipc_tcp_open_reply *v)
{
	if (!status_valid(v->status))
		return false;
	if (v->status == 0)
		return v->id >= 0;
	return v->id == -1 && v->local_addr == 0 && v->local_port == 0;
}

#define tcp_connect_reply_sendable tcp_open_reply_sendable
#define tcp_connect_reply_valid	   tcp_open_reply_valid
#define tcp_listen_reply_sendable  tcp_open_reply_sendable
#define tcp_listen_reply_valid	   tcp_open_reply_valid

static bool tcp_listen_valid(const struct ipc_tcp_listen *v)
{
	return v->backlog != 0 && v->backlog <= IPC_TCP_BACKLOG_MAX &&
	       !(v->flags & ~IPC_TCP_LISTEN_F_ACCEPT_NONBLOCK) &&
	       tcp_opts_valid(&v->opts);
}

static bool tcp_setopt_valid(const struct ipc_tcp_setopt *v)
{
	return v->id >= 0 && tcp_opts_valid(&v->opts);
}

static bool tcp_getopt_valid(const struct ipc_tcp_getopt *v)
{
	return v->id >= 0;
}

/* A failed TCP_GETOPT carries no options. */
static bool tcp_getopt_reply_sendable(struct ipc_tcp_getopt_reply *v)
{
	if (!status_valid(v->status))
		return false;
	if (v->status != 0)
		memset(&v->opts, 0, sizeof(v->opts));
	return tcp_opts_valid(&v->opts);
}

static bool tcp_getopt_reply_valid(const struct ipc_tcp_getopt_reply *v)
{
	if (!status_valid(v->status) || !tcp_opts_valid(&v->opts))
		return false;
	return v->status == 0 || v->opts.set == 0;
}

/* A field only with its `set` bit. */
static bool udp_setopt_valid(const struct ipc_udp_setopt *v)
{
	return v->sock >= 0 && !(v->set & ~IPC_UDP_OPT_ALL) &&
	       (v->tos == 0 || (v->set & IPC_UDP_OPT_TOS)) &&
	       (v->ttl == 0 || (v->set & IPC_UDP_OPT_TTL));
}

static bool tcp_linger_valid(const struct ipc_tcp_linger *v)
{
	return v->id >= 0;
}

/* TCP_LINGER's value says whether everything was sent: 0 or 1. */
static bool tcp_linger_reply_valid(const struct ipc_status_only_reply *v)
{
	return status_valid(v->status) && v->value <= 1;
}

/* TCP_SETOPT's value is reserved. */
static bool tcp_setopt_reply_valid(const struct ipc_status_only_reply *v)
{
	return status_valid(v->status) && v->value == 0;
}

static bool barrier_reply_valid(const struct ipc_status_only_reply *v)
{
	return status_valid(v->status);
}

/* A name to look up is not empty; want asks for something known. */
static bool resolve_valid(const struct ipc_resolve *v)
{
	return v->name[0] != '\0' && v->want != 0 &&
	       !(v->want & ~IPC_RESOLVE_WANT_ALL);
}

static bool udp_open_valid(const struct ipc_udp_open *v)
{
	return !(v->flags & ~IPC_UDP_OPEN_F_OWN_FD);
}

static bool tcp_info_valid(const struct ipc_tcp_info *v)
{
	return v->id >= 0;
}

/* A connection's record: a known state but LISTEN, no LISTENER flag. */
static bool tcp_info_fields_valid(const struct ipc_tcp_info_reply *v)
{
	return v->state < IPC_TCPS_COUNT && v->state != IPC_TCPS_LISTEN &&
	       !(v->flags & ~IPC_TCP_F_ORPHAN);
}

/* A failed TCP_INFO carries zeros. */
static bool tcp_info_reply_sendable(struct ipc_tcp_info_reply *v)
{
	int32_t status = v->status;

	if (!status_valid(status))
		return false;
	if (status != 0) {
		memset(v, 0, sizeof(*v));
		v->status = status;
	}
	return tcp_info_fields_valid(v) && (status != 0 || v->id >= 0);
}

#define IS_ZERO(field) zero = zero && v->field == 0;

static bool tcp_info_reply_valid(const struct ipc_tcp_info_reply *v)
{
	bool zero = v->state == 0 && v->flags == 0;

	if (!status_valid(v->status) || !tcp_info_fields_valid(v))
		return false;
	if (v->status == 0)
		return v->id >= 0;
	IPC_REC_TCP_PLAIN(IS_ZERO)
	return zero;
}

static bool ping_valid(const struct ipc_ping *v)
{
	return v->dst != 0 && v->ifindex >= -1 &&
	       v->size <= IPC_PING_SIZE_MAX && v->timeout_ms >= 1 &&
	       v->timeout_ms <= IPC_PING_TIMEOUT_MAX_MS;
}

/* A reply that failed before anything came back carries zeros but
 * its seq; one that an error ended names who said so. */
static bool ping_reply_sendable(struct ipc_ping_reply *v)
{
	if (!status_valid(v->status))
		return false;
	if (v->status != 0) {
		v->size = 0;
		v->ttl = 0;
	}
	return true;
}

static bool ping_reply_valid(const struct ipc_ping_reply *v)
{
	return status_valid(v->status) &&
	       (v->status == 0 || (v->size == 0 && v->ttl == 0));
}

static bool resolve_reply_sendable(struct ipc_resolve_reply *v)
{
	if (!status_valid(v->status) || (v->status == 0 && v->id < 0))
		return false;
	if (v->status != 0)
		v->id = -1;
	return true;
}

static bool resolve_reply_valid(const struct ipc_resolve_reply *v)
{
	if (!status_valid(v->status))
		return false;
	return v->status == 0 ? v->id >= 0 : v->id == -1;
}

/* A capture of a known interface (or all), a snap length in range. */
static bool capture_valid(const struct ipc_capture *v)
{
	return v->ifindex >= -1 && v->snaplen >= 1 &&
	       v->snaplen <= IPC_CAPTURE_SNAPLEN_MAX;
}

/* A failed CAPTURE carries id -1. */
static bool capture_reply_sendable(struct ipc_capture_reply *v)
{
	if (!status_valid(v->status) || (v->status == 0 && v->id < 0))
		return false;
	if (v->status != 0)
		v->id = -1;
	return true;
}

static bool capture_reply_valid(const struct ipc_capture_reply *v)
{
	if (!status_valid(v->status))
		return false;
	return v->status == 0 ? v->id >= 0 : v->id == -1;
}

static bool capture_stop_valid(const struct ipc_capture_stop *v)
{
	return v->id >= 0;
}

/* A failed CAPTURE_STOP carries zero counts. */
static bool capture_stop_reply_sendable(struct ipc_capture_stop_reply *v)
{
	if (!status_valid(v->status) || v->dropped > v->seen)
		return false;
	if (v->status != 0)
		v->seen = v->dropped = 0;
	return true;
}

static bool capture_stop_reply_valid(const struct ipc_capture_stop_reply *v)
{
	if (!status_valid(v->status) || v->dropped > v->seen)
		return false;
	return v->status == 0 || v->seen == 0;
}

/* ---- messages ------------------------------------------------------ */

/*
 * The encoder and decoder of one message with a body: `name` is the
 * message (encode_<name>, ipc_decode_<name>), `layout` the codec and
 * struct ipc_<layout> its body.
 */
#define MESSAGE(name, TYPE, layout, LAYOUT)                                    \
	static int encode_##name(void *buf, size_t cap, uint8_t version,       \
				 uint32_t id, const struct ipc_##layout *in)   \
	{                                                                      \
		struct ipc_##layout v = *in;                                   \
		struct writer w;                                               \
		int len;                                                       \
                                                                               \
		if (!name##_sendable(&v))                                      \
			return -EINVAL;                                        \
		len = begin_message(&w, buf, cap, version, TYPE, id,           \
				    IPC_LAYOUT_LEN(LAYOUT));                   \
		if (len < 0)                                                   \
			return len;                                            \
		put_##layout(&w, &v);                                          \
		return len;                                                    \
	}                                                                      \
	int ipc_decode_##name(const struct ipc_msg *m,                         \
			      struct ipc_##layout *out)                        \
	{                                                                      \
		struct reader r = reader_at(m->body, m->body_len);             \
		int err = check_body(m, TYPE, IPC_LAYOUT_LEN(LAYOUT));         \
                                                                               \
		if (err)                                                       \
			return err;                                            \
		get_##layout(&r, out);                                         \
		return !r.failed && name##_valid(out) ? 0 : -EBADMSG;          \
	}

/* The public encoder of a message sent in the negotiated version. */
#define ENCODER(name, TYPE, layout, LAYOUT)                                    \
	int ipc_encode_##name(void *buf, size_t cap, uint8_t version,          \
			      uint32_t id, const struct ipc_##layout *in)      \
	{                                                                      \
		return encode_##name(buf, cap, version, id, in);               \
	}

MESSAGE(hello, IPC_T_HELLO, hello, IPC_HELLO_LAYOUT)
IPC_BODY_MESSAGES(MESSAGE)
IPC_BODY_MESSAGES(ENCODER)

/* HELLO always carries IPC_VERSION_MIN so that any daemon can read it. */
int ipc_encode_hello(void *buf, size_t cap, uint32_t id,
		     const struct ipc_hello *h)
{
	return encode_hello(buf, cap, IPC_VERSION_MIN, id, h);
}

/* A request with no body (STATUS, BARRIER): the header alone. */
#define EMPTY_MESSAGE(name, TYPE)                                              \
	int ipc_encode_##name(void *buf, size_t cap, uint8_t version,          \
			      uint32_t id)                                     \
	{                                                                      \
		struct writer w;                                               \
                                                                               \
		return begin_message(&w, buf, cap, version, TYPE, id, 0);      \
	}                                                                      \
	int ipc_decode_##name(const struct ipc_msg *m)                         \
	{                                                                      \
		return check_body(m, TYPE, 0);                                 \
	}

EMPTY_MESSAGE(status, IPC_T_STATUS)
EMPTY_MESSAGE(barrier, IPC_T_BARRIER)

/* ---- enumerated values --------------------------------------------- */

#define NAME_OF(id, name) name,

/* const char *function(unsigned v): v's name in LIST, or "?". */
#define NAME_TABLE(function, LIST, count)                                      \
	const char *function(unsigned v)                                       \
	{                                                                      \
		static const char *const names[] = {LIST(NAME_OF)};            \
                                                                               \
		return v < count ? names[v] : "?";                             \
	}

NAME_TABLE(ipc_route_kind_name, IPC_ROUTE_KINDS, IPC_ROUTE_COUNT)
NAME_TABLE(ipc_arp_state_name, IPC_ARP_STATES, IPC_ARP_COUNT)
NAME_TABLE(ipc_tcp_state_name, IPC_TCP_STATES, IPC_TCPS_COUNT)
NAME_TABLE(ipc_dhcp_state_name, IPC_DHCP_STATES, IPC_DHCP_COUNT)
NAME_TABLE(ipc_source_name, IPC_SOURCES, IPC_SOURCE_COUNT)
NAME_TABLE(ipc_dns_status_name, IPC_DNS_STATUSES, IPC_DNS_STATUS_COUNT)
NAME_TABLE(ipc_dns_source_name, IPC_DNS_SOURCES, IPC_DNS_SRC_COUNT)
NAME_TABLE(ipc_dns_cache_kind_name, IPC_DNS_CACHE_KINDS, IPC_DNS_CACHE_COUNT)

/* ---- status records ------------------------------------------------ */

/* Each record's range checks, beyond its layout's. */

#define rec_daemon_valid  no_check
#define rec_pool_valid	  no_check
#define rec_counter_valid no_check
#define rec_owner_valid	  no_check

static bool rec_sock_owner_valid(const struct ipc_rec_sock_owner *v)
{
	return v->kind < IPC_SOCK_OWNER_KIND_COUNT && v->id >= 0 &&
	       !(v->flags & ~IPC_SOCK_OWNER_F_ALL);
}

static bool rec_ifstats_valid(const struct ipc_rec_ifstats *v)
{
	return v->ifindex >= 0 && v->carrier <= IPC_CARRIER_UNKNOWN;
}

static bool rec_link_valid(const struct ipc_rec_link *v)
{
	return v->ifindex >= 0 && v->syn_shed <= 1;
}

static bool rec_interface_valid(const struct ipc_rec_interface *v)
{
	return v->index >= 0 && v->prefix_len <= 32;
}

/* A version 1 route is connected or static. */
static bool rec_route_valid(const struct ipc_rec_route *v)
{
	return v->prefix_len <= 32 && v->ifindex >= 0 &&
	       v->kind <= IPC_ROUTE_STATIC;
}

static bool rec_route_v2_valid(const struct ipc_rec_route_v2 *v)
{
	return v->prefix_len <= 32 && v->ifindex >= 0 &&
	       v->kind < IPC_ROUTE_COUNT;
}

static bool rec_ready_valid(const struct ipc_rec_ready *v)
{
	return v->ready <= 1;
}

static bool rec_dhcp_valid(const struct ipc_rec_dhcp *v)
{
	return v->ifindex >= 0 && v->state < IPC_DHCP_COUNT &&
	       !(v->flags & ~IPC_DHCP_F_ALL) && v->prefix_len <= 32;
}

static bool rec_netconf_valid(const struct ipc_rec_netconf *v)
{
	const uint8_t sources[] = {
	    v->address_source,	  v->routes_source, v->mtu_source,
	    v->dns_source,	  v->domain_source, v->search_source,
	    v->log_server_source, v->ntp_source,
	};

	for (size_t i = 0; i < sizeof(sources); i++)
		if (sources[i] >= IPC_SOURCE_COUNT)
			return false;
	return v->ifindex >= 0 && !(v->flags & ~IPC_NETCONF_F_ALL);
}

/* An entry of a search list is a name; ifindex -1 is the resolver's
 * list in use. */
static bool rec_search_valid(const struct ipc_rec_search *v)
{
	return v->ifindex >= -1 && v->name[0] != '\0';
}

#define rec_dns_valid no_check

static bool rec_dns_server_valid(const struct ipc_rec_dns_server *v)
{
	return v->ifindex >= 0 && v->source < IPC_SOURCE_COUNT &&
	       !(v->flags & ~IPC_DNS_SERVER_F_ALL);
}

static bool rec_dns_cache_valid(const struct ipc_rec_dns_cache *v)
{
	return v->kind < IPC_DNS_CACHE_COUNT && v->name[0] != '\0' &&
	       v->addrs.n <= v->naddrs;
}

/* PAD (0) and END (255) are no options. */
static bool rec_dhcp_option_valid(const struct ipc_rec_dhcp_option *v)
{
	return v->ifindex >= 0 && v->code != 0 && v->code != 255;
}

static bool rec_arp_valid(const struct ipc_rec_arp *v)
{
	return v->ifindex >= 0 && v->state < IPC_ARP_COUNT;
}

static bool rec_socket_valid(const struct ipc_rec_socket *v)
{
	return v->id >= 0;
}

/* A listener is in LISTEN, nothing else is. */
static bool rec_tcp_valid(const struct ipc_rec_tcp *v)
{
	return v->id >= 0 && v->state < IPC_TCPS_COUNT &&
	       !(v->flags & ~(IPC_TCP_F_LISTENER | IPC_TCP_F_ORPHAN)) &&
	       ((v->flags & IPC_TCP_F_LISTENER) != 0) ==
		   (v->state == IPC_TCPS_LISTEN);
}

/* Reply body: the head, then the records. */
int ipc_status_begin(struct ipc_status_builder *b, void *buf, size_t cap,
		     uint8_t version, uint32_t id)
{
	struct writer w;
	int len;

	if (cap > IPC_MSG_MAX)
		cap = IPC_MSG_MAX;
	len = begin_message(&w, buf, cap, version, IPC_T_STATUS_REPLY, id,
			    IPC_STATUS_REPLY_MIN);
	if (len < 0)
		return len;
	b->buf = buf;
	b->cap = cap;
	b->len = (size_t)len;
	b->nrecords = 0;
	b->version = version;
	b->id = id;
	return 0;
}

#define PUT_RECORD(TYPE, number, sname, member)                                \
	case IPC_REC_##TYPE:                                                   \
		put_rec_##sname(&w, &r->u.member);                             \
		break;

int ipc_status_add(struct ipc_status_builder *b, const struct ipc_record *r)
{
	uint8_t *start = b->buf + b->len;
	struct writer w = writer_at(start, b->cap - b->len);
	struct record_header h = {.type = r->type}; /* length: below */

	put_record_header(&w, &h);
	switch (r->type) {
		IPC_RECORDS(PUT_RECORD)
	default:
		return -EINVAL;
	}
	if (w.failed || b->nrecords == UINT16_MAX)
		return -ENOSPC;
	h.length = (uint16_t)(w.p - start);
	w = writer_at(start, IPC_REC_HDR_LEN);
	put_record_header(&w, &h);
	b->len += h.length;
	b->nrecords++;
	return 0;
}

size_t ipc_status_finish(struct ipc_status_builder *b, int32_t status,
			 bool last)
{
	struct writer w;
	struct status_reply_head head = {
	    .status = status,
	    .flags = last ? IPC_STATUS_F_END : 0,
	    .nrecords = b->nrecords,
	};

	/* the header again, with the final length */
	begin_message(&w, b->buf, b->len, b->version, IPC_T_STATUS_REPLY, b->id,
		      b->len - IPC_HDR_LEN);
	put_status_reply_head(&w, &head);
	return b->len;
}

#define GET_RECORD(TYPE, number, sname, member)                                \
	case IPC_REC_##TYPE:                                                   \
		get_rec_##sname(&body, &r->u.member);                          \
		valid = rec_##sname##_valid(&r->u.member);                     \
		break;

/*
 * Parses one record at the reader (the rest of the chunk): fills *r
 * (r->type 0 for an unknown type, skipped) and moves the reader past
 * it. Fails the reader for a malformed record. This is the only place
 * record bytes are read.
 */
static void record_parse(struct reader *chunk, struct ipc_record *r)
{
	struct record_header h;
	struct reader body;
	const uint8_t *p;
	bool valid = true;

	memset(r, 0, sizeof(*r));
	get_record_header(chunk, &h);
	if (chunk->failed || h.length < IPC_REC_HDR_LEN) {
		chunk->failed = true;
		return;
	}
	p = get_room(chunk, h.length - IPC_REC_HDR_LEN);
	if (!p)
		return;
	body = reader_at(p, h.length - IPC_REC_HDR_LEN);
	switch (h.type) {
		IPC_RECORDS(GET_RECORD)
	default:
		return; /* unknown: skipped, type stays 0 */
	}
	/* a known record has exactly its size */
	if (body.failed || body.left != 0 || !valid)
		chunk->failed = true;
	r->type = h.type;
}

int ipc_decode_status_reply(const struct ipc_msg *m,
			    struct ipc_status_chunk *out)
{
	struct reader r = reader_at(m->body, m->body_len);
	struct status_reply_head head;
	struct ipc_record rec;
	uint16_t count;

	if (m->type != IPC_T_STATUS_REPLY)
		return -EPROTO;
	get_status_reply_head(&r, &head);
	if (r.failed)
		return -EBADMSG;
	out->status = head.status;
	out->nrecords = head.nrecords;
	out->last = (head.flags & IPC_STATUS_F_END) != 0;
	out->records = r.p;
	out->records_len = r.left;
	if (!status_valid(out->status) || (head.flags & ~IPC_STATUS_F_END))
		return -EBADMSG;
	if (out->status != 0 && (!out->last || out->nrecords != 0))
		return -EBADMSG;

	/* Walk every record once: the count must match the bytes. */
	for (count = 0; r.left > 0; count++) {
		if (count == out->nrecords)
			return -EBADMSG; /* trailing bytes */
		record_parse(&r, &rec);
		if (r.failed)
			return -EBADMSG;
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
	struct reader chunk = reader_at(it->p, it->left);

	while (chunk.left > 0) {
		/* The chunk was checked whole; a failure here would mean
		 * an unchecked chunk: stop rather than read on. */
		record_parse(&chunk, r);
		if (chunk.failed)
			break;
		it->p = chunk.p;
		it->left = chunk.left;
		if (r->type != 0)
			return true;
	}
	it->left = 0;
	return false;
}

/* ---- UDP data channel ---------------------------------------------- */

void ipc_dgram_hdr_encode(uint8_t out[IPC_DGRAM_HDR_LEN],
			  const struct ipc_dgram_hdr *h)
{
	struct writer w = writer_at(out, IPC_DGRAM_HDR_LEN);

	put_dgram_hdr(&w, h);
}

int ipc_dgram_hdr_decode(const uint8_t hdr[IPC_DGRAM_HDR_LEN],
			 size_t payload_len, struct ipc_dgram_hdr *out)
{
	struct reader r = reader_at(hdr, IPC_DGRAM_HDR_LEN);

	get_dgram_hdr(&r, out);
	if (r.failed || (out->flags & ~IPC_DGRAM_F_ERROR))
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

size_t ipc_accept_encode(uint8_t out[IPC_ACCEPT_LEN],
			 const struct ipc_accept *a)
{
	struct writer w = writer_at(out, IPC_ACCEPT_LEN);

	put_accept(&w, a);
	return a->flags ? IPC_ACCEPT_LEN : IPC_ACCEPT_SHORT_LEN;
}

int ipc_accept_decode(const void *buf, size_t len, struct ipc_accept *out)
{
	uint8_t whole[IPC_ACCEPT_LEN] = {0}; /* the short form: flags 0 */
	struct reader r = reader_at(whole, sizeof(whole));

	if (len != IPC_ACCEPT_LEN && len != IPC_ACCEPT_SHORT_LEN)
		return -EBADMSG;
	memcpy(whole, buf, len);
	get_accept(&r, out);
	if (r.failed || out->id < 0 || (out->flags & ~IPC_ACCEPT_F_NONBLOCK))
		return -EBADMSG;
	return 0;
}

/* ---- the result channel of RESOLVE ---------------------------------- */

static bool resolve_addr_valid(const struct ipc_resolve_addr *a)
{
	if (a->family == 4) {
		for (unsigned i = 4; i < 16; i++)
			if (a->addr[i])
				return false;
		return true;
	}
	return a->family == 6;
}

static bool resolve_result_valid(const struct ipc_resolve_result *v)
{
	return v->id >= 0 && v->status < IPC_DNS_STATUS_COUNT &&
	       v->source < IPC_DNS_SRC_COUNT &&
	       v->naddrs <= IPC_RESOLVE_ADDRS_MAX &&
	       (v->status == IPC_DNS_OK ? v->naddrs > 0 : v->naddrs == 0);
}

int ipc_resolve_result_encode(void *buf, size_t cap,
			      const struct ipc_resolve_result *r,
			      const struct ipc_resolve_addr *addrs)
{
	size_t len = IPC_RESOLVE_RESULT_LEN + strlen(r->name) +
		     (size_t)r->naddrs * IPC_RESOLVE_ADDR_LEN;
	struct writer w;

	if (!resolve_result_valid(r) || strlen(r->name) > IPC_DNAME_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < r->naddrs; i++)
		if (!resolve_addr_valid(&addrs[i]))
			return -EINVAL;
	if (len > cap)
		return -ENOSPC;
	w = writer_at(buf, len);
	put_resolve_result(&w, r);
	for (unsigned i = 0; i < r->naddrs; i++)
		put_resolve_addr(&w, &addrs[i]);
	return (int)len;
}

int ipc_resolve_result_decode(const void *buf, size_t len,
			      struct ipc_resolve_result *out,
			      struct ipc_resolve_addr *addrs)
{
	struct reader r = reader_at(buf, len);

	get_resolve_result(&r, out);
	if (r.failed || !resolve_result_valid(out))
		return -EBADMSG;
	for (unsigned i = 0; i < out->naddrs; i++) {
		get_resolve_addr(&r, &addrs[i]);
		if (r.failed || !resolve_addr_valid(&addrs[i]))
			return -EBADMSG;
	}
	return r.left == 0 ? 0 : -EBADMSG;
}
