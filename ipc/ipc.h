/*
 * ipc.h - the control wire protocol between utcpd and its clients
 *
 * Pure encoders and decoders, no I/O: the daemon (daemon/control.c) and
 * the client library (client-lib/) both build on them, and a fuzz
 * harness feeds them arbitrary bytes. docs/ipc.md is the specification;
 * this header is its C spelling. Each layout is written here once, as
 * a field list (the *_LAYOUT X-macros below), and everything else
 * follows from it: the structs, the sizes, ipc.c's encoders and
 * decoders, and the unit test that checks docs/ipc.md's tables.
 *
 * Two channels use these layouts:
 *
 *   - the control connection, a Unix SOCK_SEQPACKET socket: every
 *     message is one packet that starts with the 16-byte header
 *     (magic, version, type, length, request id) followed by a body
 *     whose size is fixed by the type (or, for status replies, by the
 *     records it carries). Nothing reads a body before
 *     ipc_msg_decode() checked the header against the packet size and
 *     a body decoder checked the body against its type.
 *   - a UDP socket's data channel, a SEQPACKET socketpair: every packet
 *     is one datagram, a 12-byte address header then the payload.
 *
 * Integers are big-endian on the wire. IPv4 addresses travel as the
 * 32-bit number in network byte order; in the structs below they are
 * host-order numbers (10.0.0.1 is 0x0a000001), as in stack/stack.h.
 * Ports are host-order numbers here, big-endian on the wire.
 *
 * Decoders return 0 or a negative errno:
 *   -EBADMSG          malformed (short, length mismatch, bad field,
 *                     truncated record, reserved bits set)
 *   -EMSGSIZE         longer than IPC_MSG_MAX (or a datagram payload
 *                     over IPC_UDP_PAYLOAD_MAX)
 *   -EPROTONOSUPPORT  a version this build does not speak
 *   -EPROTO           a well-formed message of another type than the
 *                     decoder handles
 */
#ifndef UTCP_IPC_H
#define UTCP_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPC_MAGIC	0x5554u /* "UT" */
#define IPC_VERSION_MIN 1u
#define IPC_VERSION_MAX 2u
#define IPC_HDR_LEN	IPC_LAYOUT_LEN(IPC_HEADER_LAYOUT)
/* The largest control message, header included, in either direction. */
#define IPC_MSG_MAX 4096u
/* Request id 0 is never used by a client; the daemon uses it for
 * unsolicited messages (the ERROR sent to a refused connection). */
#define IPC_ID_NONE 0u

/* Capability bits in the HELLO reply: what this daemon can do. UDP:
 * UDP_OPEN, UDP_SETOPT; TCP: TCP_CONNECT, TCP_LISTEN, TCP_SETOPT,
 * TCP_GETOPT, TCP_LINGER (a daemon from before the later ones answers
 * them with ERROR -EOPNOTSUPP). */
#define IPC_CAP_UDP	0x00000001u
#define IPC_CAP_TCP	0x00000002u
#define IPC_CAP_BARRIER 0x00000004u /* BARRIER */
#define IPC_CAP_RESOLVE 0x00000008u /* RESOLVE */
/* TCP_SETOPT, TCP_GETOPT, TCP_LINGER and UDP_SETOPT may carry the
 * socket's descriptor as proof of possession (docs/ipc.md, "Proof by
 * descriptor"); a daemon without it disconnects a client that sends
 * one. */
#define IPC_CAP_FD_PROOF 0x00000010u
#define IPC_CAP_TCP_INFO 0x00000020u /* TCP_INFO */
/* UDP_OPEN takes IPC_UDP_OPEN_F_OWN_FD (a daemon without it finds the
 * flag malformed and disconnects). */
#define IPC_CAP_UDP_OWN_FD 0x00000040u
/* TCP_CONNECT takes IPC_TCP_CONNECT_F_END_NONBLOCK and TCP_LISTEN
 * IPC_TCP_LISTEN_F_ACCEPT_NONBLOCK: a connection's descriptor arrives
 * non-blocking, which spares the application a fcntl() per connection
 * (a daemon without it finds the flags malformed and disconnects). */
#define IPC_CAP_TCP_NONBLOCK_END 0x00000080u
/* CAPTURE and CAPTURE_STOP: packet capture to a pcap stream. */
#define IPC_CAP_CAPTURE 0x00000100u
/* PING: one ICMP echo sent by the daemon's stack (utcpctl ping). */
#define IPC_CAP_PING 0x00000200u

enum ipc_type {
	IPC_T_HELLO = 0x0001,
	IPC_T_UDP_OPEN = 0x0002,
	IPC_T_STATUS = 0x0003,
	IPC_T_TCP_CONNECT = 0x0004,
	IPC_T_TCP_LISTEN = 0x0005,
	IPC_T_TCP_SETOPT = 0x0006,
	IPC_T_BARRIER = 0x0007,
	IPC_T_TCP_GETOPT = 0x0008,
	IPC_T_UDP_SETOPT = 0x0009,
	IPC_T_TCP_LINGER = 0x000a,
	IPC_T_RESOLVE = 0x000b,
	IPC_T_TCP_INFO = 0x000c,
	IPC_T_CAPTURE = 0x000d,
	IPC_T_CAPTURE_STOP = 0x000e,
	IPC_T_PING = 0x000f,
	/* 0x0010..0x00ff reserved */
	IPC_T_REPLY = 0x8000, /* set in the type of every reply */
	IPC_T_HELLO_REPLY = IPC_T_REPLY | IPC_T_HELLO,
	IPC_T_UDP_OPEN_REPLY = IPC_T_REPLY | IPC_T_UDP_OPEN,
	IPC_T_STATUS_REPLY = IPC_T_REPLY | IPC_T_STATUS,
	IPC_T_TCP_CONNECT_REPLY = IPC_T_REPLY | IPC_T_TCP_CONNECT,
	IPC_T_TCP_LISTEN_REPLY = IPC_T_REPLY | IPC_T_TCP_LISTEN,
	IPC_T_TCP_SETOPT_REPLY = IPC_T_REPLY | IPC_T_TCP_SETOPT,
	IPC_T_BARRIER_REPLY = IPC_T_REPLY | IPC_T_BARRIER,
	IPC_T_TCP_GETOPT_REPLY = IPC_T_REPLY | IPC_T_TCP_GETOPT,
	IPC_T_UDP_SETOPT_REPLY = IPC_T_REPLY | IPC_T_UDP_SETOPT,
	IPC_T_TCP_LINGER_REPLY = IPC_T_REPLY | IPC_T_TCP_LINGER,
	IPC_T_RESOLVE_REPLY = IPC_T_REPLY | IPC_T_RESOLVE,
	IPC_T_TCP_INFO_REPLY = IPC_T_REPLY | IPC_T_TCP_INFO,
	IPC_T_CAPTURE_REPLY = IPC_T_REPLY | IPC_T_CAPTURE,
	IPC_T_CAPTURE_STOP_REPLY = IPC_T_REPLY | IPC_T_CAPTURE_STOP,
	IPC_T_PING_REPLY = IPC_T_REPLY | IPC_T_PING,
	IPC_T_ERROR = 0xffff, /* reply to a request that has no other reply */
};

/*
 * ---- layouts: every wire format written once ----------------------
 *
 * Each body, record and channel header below is one X-macro list of
 * its fields in wire order, LAYOUT(F, R): F(kind, name) is a field the
 * C struct carries, R(kind, name) a reserved one (zero on the wire,
 * checked zero by the decoder, absent from the struct; the name is
 * docs/ipc.md's). From that one list come the struct (IPC_STRUCT), the
 * wire size (IPC_LAYOUT_LEN), ipc.c's encoder and decoder, and the
 * test that holds docs/ipc.md's tables against the code. A new field
 * is one line in its list. The kinds:
 *
 *   u8 u16 u32 u64 i32   big-endian integers (i32: two's complement)
 *   mac                  6 bytes
 *   tcp_opts             the TCP options block, IPC_TCP_OPTS_LAYOUT
 *   name ifname counter_name dname
 *                        a string: u8 length n, then n bytes of
 *                        printable ASCII; always last, and the size
 *                        counts only its length byte
 *   bytes                u8 length n, then n bytes of any value; last,
 *                        sized as a string
 *   addrs                u8 count n (<= IPC_ADDRS_MAX), then
 *                        IPC_ADDRS_MAX u32 addresses, those past n zero
 *   dname_fixed          a domain name in a fixed place: u8 length n,
 *                        then IPC_DNAME_MAX bytes, n of printable ASCII
 *                        and zeros after; may stand anywhere
 *   addr16               16 bytes as they are (an IPv6 address, or an
 *                        IPv4 one in the first 4 and zeros)
 */
#define IPC_CTYPE_u8(name)	     uint8_t name
#define IPC_CTYPE_u16(name)	     uint16_t name
#define IPC_CTYPE_u32(name)	     uint32_t name
#define IPC_CTYPE_u64(name)	     uint64_t name
#define IPC_CTYPE_i32(name)	     int32_t name
#define IPC_CTYPE_mac(name)	     uint8_t name[6]
#define IPC_CTYPE_tcp_opts(name)     struct ipc_tcp_opts name
#define IPC_CTYPE_name(name)	     char name[IPC_NAME_MAX + 1]
#define IPC_CTYPE_ifname(name)	     char name[IPC_IFNAME_MAX + 1]
#define IPC_CTYPE_counter_name(name) char name[IPC_COUNTER_NAME_MAX + 1]
#define IPC_CTYPE_dname(name)	     char name[IPC_DNAME_MAX + 1]
#define IPC_CTYPE_bytes(name)	     struct ipc_bytes name
#define IPC_CTYPE_addrs(name)	     struct ipc_addrs name
#define IPC_CTYPE_addr16(name)	     uint8_t name[16]
#define IPC_CTYPE_dname_fixed(name)  char name[IPC_DNAME_MAX + 1]

#define IPC_WIRE_u8  1u
#define IPC_WIRE_u16 2u
#define IPC_WIRE_u32 4u
#define IPC_WIRE_u64 8u
#define IPC_WIRE_i32 4u
#define IPC_WIRE_mac 6u
#define IPC_WIRE_tcp_opts                                                      \
	(0u IPC_TCP_OPTS_LAYOUT(IPC_SIZE_OPTS_FIELD, IPC_SIZE_OPTS_FIELD))
#define IPC_WIRE_name	      1u
#define IPC_WIRE_ifname	      1u
#define IPC_WIRE_counter_name 1u
#define IPC_WIRE_dname	      1u
#define IPC_WIRE_bytes	      1u
#define IPC_WIRE_addrs	      (1u + 4u * IPC_ADDRS_MAX)
#define IPC_WIRE_addr16	      16u
#define IPC_WIRE_dname_fixed  (1u + IPC_DNAME_MAX)

#define IPC_STRUCT_FIELD(kind, name) IPC_CTYPE_##kind(name);
#define IPC_STRUCT_RESERVED(kind, name)
/* The members of a layout's struct. */
#define IPC_STRUCT(LAYOUT) LAYOUT(IPC_STRUCT_FIELD, IPC_STRUCT_RESERVED)

#define IPC_SIZE_FIELD(kind, name) +IPC_WIRE_##kind
/* (a second name: the options block's size is taken inside another's) */
#define IPC_SIZE_OPTS_FIELD(kind, name) +IPC_WIRE_##kind
/* A layout's size on the wire (for strings: up to their length byte). */
#define IPC_LAYOUT_LEN(LAYOUT) (0u LAYOUT(IPC_SIZE_FIELD, IPC_SIZE_FIELD))

#define IPC_NAME_MAX	     63	 /* daemon name, bytes */
#define IPC_IFNAME_MAX	     15	 /* interface name, bytes */
#define IPC_COUNTER_NAME_MAX 47	 /* counter name, bytes */
#define IPC_DNAME_MAX	     255 /* a domain name, dotted, bytes */
#define IPC_BYTES_MAX	     255 /* a `bytes` field's value */
#define IPC_ADDRS_MAX	     8	 /* addresses in an `addrs` field */

/* A `bytes` field: n bytes of any value. */
struct ipc_bytes {
	uint8_t n;
	uint8_t b[IPC_BYTES_MAX];
};

/* An `addrs` field: n IPv4 addresses (host order, as everywhere). */
struct ipc_addrs {
	uint8_t n;
	uint32_t a[IPC_ADDRS_MAX];
};

/* The message header, the same in every version. */
#define IPC_HEADER_LAYOUT(F, R)                                                \
	F(u16, magic) /* IPC_MAGIC */                                          \
	F(u8, version)                                                         \
	R(u8, flags)                                                           \
	F(u16, type) /* enum ipc_type */                                       \
	R(u16, reserved)                                                       \
	F(u32, length) /* of the whole message, header included */             \
	F(u32, id)

/* Errors travel as negative errno values in [-IPC_ERRNO_MAX, 0]. */
#define IPC_ERRNO_MAX 4095

/* A checked message: a view into the caller's buffer. */
struct ipc_msg {
	uint8_t version;
	uint16_t type;
	uint32_t id;
	const uint8_t *body;
	size_t body_len;
};

/*
 * Checks the header of the `len`-byte packet at `buf` (magic, a version
 * between IPC_VERSION_MIN and IPC_VERSION_MAX, reserved fields zero,
 * length field equal to `len`, len <= IPC_MSG_MAX) and fills *m.
 * The type is not checked here: the caller dispatches on it. Returns
 * 0, -EBADMSG, -EMSGSIZE or -EPROTONOSUPPORT.
 */
int ipc_msg_decode(const void *buf, size_t len, struct ipc_msg *m);

/* True when `type` is a request this build knows. */
bool ipc_type_is_request(uint16_t type);

/* HELLO: the client's range of versions. Its header always carries
 * version IPC_VERSION_MIN so that any daemon can read it. */
#define IPC_HELLO_LAYOUT(F, R)                                                 \
	F(u16, version_min)                                                    \
	F(u16, version_max)                                                    \
	R(u32, reserved)
struct ipc_hello {
	IPC_STRUCT(IPC_HELLO_LAYOUT)
};
#define IPC_HELLO_LEN IPC_LAYOUT_LEN(IPC_HELLO_LAYOUT)

/* HELLO reply: status 0 and the version both sides speak from now on,
 * or -EPROTONOSUPPORT (and the daemon disconnects). */
#define IPC_HELLO_REPLY_LAYOUT(F, R)                                           \
	F(i32, status)                                                         \
	F(u16, version)                                                        \
	R(u16, reserved)                                                       \
	F(u32, capabilities) /* IPC_CAP_* */                                   \
	F(u32, msg_max)	     /* the daemon's IPC_MSG_MAX */
struct ipc_hello_reply {
	IPC_STRUCT(IPC_HELLO_REPLY_LAYOUT)
};
#define IPC_HELLO_REPLY_LEN IPC_LAYOUT_LEN(IPC_HELLO_REPLY_LAYOUT)

/* UDP_OPEN: bind to local_addr:local_port (0 = any / ephemeral) and,
 * when remote_port is not 0, connect to remote_addr:remote_port. With
 * IPC_UDP_OPEN_F_OWN_FD the socket belongs to its descriptor, not to
 * the control connection: it outlives the connection and closes when
 * every copy of the descriptor is closed (IPC_CAP_UDP_OWN_FD). */
#define IPC_UDP_OPEN_F_OWN_FD 0x1u
#define IPC_UDP_OPEN_LAYOUT(F, R)                                              \
	F(u32, local_addr)                                                     \
	F(u32, remote_addr)                                                    \
	F(u16, local_port)                                                     \
	F(u16, remote_port)                                                    \
	F(u32, flags) /* IPC_UDP_OPEN_F_* */
struct ipc_udp_open {
	IPC_STRUCT(IPC_UDP_OPEN_LAYOUT)
};
#define IPC_UDP_OPEN_LEN IPC_LAYOUT_LEN(IPC_UDP_OPEN_LAYOUT)

/* UDP_OPEN reply. With status 0 exactly one descriptor (the
 * application's end of the data channel) rides along in SCM_RIGHTS;
 * with a negative status, none. */
#define IPC_UDP_OPEN_REPLY_LAYOUT(F, R)                                        \
	F(i32, status)                                                         \
	F(i32, sock) /* the stack's socket id, -1 on error */                  \
	F(u32, local_addr)                                                     \
	F(u16, local_port)                                                     \
	R(u16, reserved)
struct ipc_udp_open_reply {
	IPC_STRUCT(IPC_UDP_OPEN_REPLY_LAYOUT)
};
#define IPC_UDP_OPEN_REPLY_LEN IPC_LAYOUT_LEN(IPC_UDP_OPEN_REPLY_LAYOUT)

/*
 * TCP socket options as requests carry them. `set` says which fields
 * are given (IPC_TCP_OPT_*); the others are zero on the wire and the
 * daemon's defaults apply. Ranges are those the stack accepts:
 * buffers IPC_TCP_BUF_MIN..IPC_TCP_BUF_MAX bytes, keepidle_s
 * 1..IPC_TCP_KEEPIDLE_MAX, keepintvl_s 1..IPC_TCP_KEEPINTVL_MAX,
 * keepcnt 1..IPC_TCP_KEEPCNT_MAX, maxseg 0 (none) or
 * IPC_TCP_MAXSEG_MIN..IPC_TCP_MAXSEG_MAX; linger_s, tos and ttl (0 =
 * the default TTL) take any value.
 */
#define IPC_TCP_OPT_NODELAY   0x01u
#define IPC_TCP_OPT_KEEPALIVE 0x02u
#define IPC_TCP_OPT_SNDBUF    0x04u
#define IPC_TCP_OPT_RCVBUF    0x08u
#define IPC_TCP_OPT_KEEPIDLE  0x10u
#define IPC_TCP_OPT_KEEPINTVL 0x20u
#define IPC_TCP_OPT_KEEPCNT   0x40u
#define IPC_TCP_OPT_LINGER    0x80u  /* SO_LINGER: flag and linger_s */
#define IPC_TCP_OPT_MAXSEG    0x100u /* TCP_MAXSEG */
#define IPC_TCP_OPT_TOS	      0x200u /* IP_TOS */
#define IPC_TCP_OPT_TTL	      0x400u /* IP_TTL */
#define IPC_TCP_OPT_ALL	      0x7ffu
#define IPC_TCP_MAXSEG_MIN    88u
#define IPC_TCP_MAXSEG_MAX    32767u
#define IPC_TCP_BUF_MIN	      2048u
#define IPC_TCP_BUF_MAX	      (64u << 20)
#define IPC_TCP_KEEPIDLE_MAX  (86400u * 30 - 1)
#define IPC_TCP_KEEPINTVL_MAX (86400u - 1)
#define IPC_TCP_KEEPCNT_MAX   255u

struct ipc_tcp_opts {
	uint32_t set; /* IPC_TCP_OPT_* */
	bool nodelay;
	bool keepalive;
	uint32_t sndbuf, rcvbuf;
	uint32_t keepidle_s, keepintvl_s, keepcnt;
	bool linger;
	uint32_t linger_s, maxseg;
	uint8_t tos, ttl;
};

/* The options block on the wire: `flags` carries nodelay (bit 0),
 * keepalive (bit 1) and linger (bit 2), IPC_TCP_OPTS_F_*. */
#define IPC_TCP_OPTS_F_NODELAY	 0x1u
#define IPC_TCP_OPTS_F_KEEPALIVE 0x2u
#define IPC_TCP_OPTS_F_LINGER	 0x4u
#define IPC_TCP_OPTS_LAYOUT(F, R)                                              \
	F(u32, set)                                                            \
	F(u32, flags)                                                          \
	F(u32, sndbuf)                                                         \
	F(u32, rcvbuf)                                                         \
	F(u32, keepidle_s)                                                     \
	F(u32, keepintvl_s)                                                    \
	F(u32, keepcnt)                                                        \
	F(u32, linger_s)                                                       \
	F(u32, maxseg)                                                         \
	F(u8, tos)                                                             \
	F(u8, ttl)                                                             \
	R(u16, reserved)
#define IPC_TCP_OPTS_LEN IPC_LAYOUT_LEN(IPC_TCP_OPTS_LAYOUT)

/* TCP_CONNECT: open a connection to remote_addr:remote_port from
 * local_addr:local_port (0 = the route's source / an ephemeral port).
 * Without IPC_TCP_CONNECT_F_NONBLOCK the reply comes when the
 * connection is established or has failed, at most timeout_ms later
 * (0 = IPC_TCP_CONNECT_TIMEOUT_DEFAULT_MS); with it, at once. */
#define IPC_TCP_CONNECT_F_NONBLOCK 0x01u
/* The connection's descriptor arrives with O_NONBLOCK set
 * (IPC_CAP_TCP_NONBLOCK_END). */
#define IPC_TCP_CONNECT_F_END_NONBLOCK	   0x02u
#define IPC_TCP_CONNECT_TIMEOUT_MAX_MS	   600000u
#define IPC_TCP_CONNECT_TIMEOUT_DEFAULT_MS 75000u

#define IPC_TCP_CONNECT_LAYOUT(F, R)                                           \
	F(u32, local_addr)                                                     \
	F(u32, remote_addr)                                                    \
	F(u16, local_port)                                                     \
	F(u16, remote_port) /* not 0 */                                        \
	F(u32, timeout_ms)  /* 0..IPC_TCP_CONNECT_TIMEOUT_MAX_MS */            \
	F(u32, flags)	    /* IPC_TCP_CONNECT_F_* */                          \
	F(tcp_opts, opts)
struct ipc_tcp_connect {
	IPC_STRUCT(IPC_TCP_CONNECT_LAYOUT)
};
#define IPC_TCP_CONNECT_LEN IPC_LAYOUT_LEN(IPC_TCP_CONNECT_LAYOUT)

/* TCP_CONNECT and TCP_LISTEN replies. With status 0 exactly one
 * descriptor rides along: the connection's stream socket, or the
 * listener's SEQPACKET socket. `id` is the connection or listener id
 * (as status shows it), -1 on error; local_addr/local_port are the
 * local endpoint when known, else 0. */
#define IPC_TCP_OPEN_REPLY_LAYOUT(F, R)                                        \
	F(i32, status)                                                         \
	F(i32, id)                                                             \
	F(u32, local_addr)                                                     \
	F(u16, local_port)                                                     \
	R(u16, reserved)
struct ipc_tcp_open_reply {
	IPC_STRUCT(IPC_TCP_OPEN_REPLY_LAYOUT)
};
#define IPC_TCP_CONNECT_REPLY_LEN IPC_LAYOUT_LEN(IPC_TCP_OPEN_REPLY_LAYOUT)
#define IPC_TCP_LISTEN_REPLY_LEN  IPC_LAYOUT_LEN(IPC_TCP_OPEN_REPLY_LAYOUT)

/* TCP_LISTEN: listen on local_addr:local_port (0 = an ephemeral port,
 * as Linux's listen() without bind(); the reply says which) with at
 * most backlog (1..IPC_TCP_BACKLOG_MAX) connections waiting. */
#define IPC_TCP_BACKLOG_MAX 4096u

#define IPC_TCP_LISTEN_LAYOUT(F, R)                                            \
	F(u32, local_addr)                                                     \
	F(u16, local_port)                                                     \
	R(u16, reserved)                                                       \
	F(u32, backlog)                                                        \
	F(u32, flags) /* IPC_TCP_LISTEN_F_* */                                 \
	F(tcp_opts, opts)
struct ipc_tcp_listen {
	IPC_STRUCT(IPC_TCP_LISTEN_LAYOUT)
};
#define IPC_TCP_LISTEN_LEN IPC_LAYOUT_LEN(IPC_TCP_LISTEN_LAYOUT)
/* Every accepted connection's descriptor arrives with O_NONBLOCK set,
 * announced by the long form of the packet, with IPC_ACCEPT_F_NONBLOCK
 * (IPC_CAP_TCP_NONBLOCK_END). */
#define IPC_TCP_LISTEN_F_ACCEPT_NONBLOCK 0x1u

/* TCP_SETOPT: changes the given options of a connection the client
 * owns. The reply is a bare status. */
#define IPC_TCP_SETOPT_LAYOUT(F, R)                                            \
	F(i32, id) /* a connection id, >= 0 */                                 \
	F(tcp_opts, opts)
struct ipc_tcp_setopt {
	IPC_STRUCT(IPC_TCP_SETOPT_LAYOUT)
};
#define IPC_TCP_SETOPT_LEN IPC_LAYOUT_LEN(IPC_TCP_SETOPT_LAYOUT)

/* TCP_GETOPT: reads the options of a connection the client owns (as
 * for TCP_SETOPT). The reply carries every option (set =
 * IPC_TCP_OPT_ALL) as the connection holds it, on success; zeros with
 * a negative status. */
#define IPC_TCP_GETOPT_LAYOUT(F, R)                                            \
	F(i32, id) /* a connection id, >= 0 */                                 \
	R(u32, reserved)
struct ipc_tcp_getopt {
	IPC_STRUCT(IPC_TCP_GETOPT_LAYOUT)
};
#define IPC_TCP_GETOPT_LEN IPC_LAYOUT_LEN(IPC_TCP_GETOPT_LAYOUT)

#define IPC_TCP_GETOPT_REPLY_LAYOUT(F, R)                                      \
	F(i32, status)                                                         \
	R(u32, reserved)                                                       \
	F(tcp_opts, opts)
struct ipc_tcp_getopt_reply {
	IPC_STRUCT(IPC_TCP_GETOPT_REPLY_LAYOUT)
};
#define IPC_TCP_GETOPT_REPLY_LEN IPC_LAYOUT_LEN(IPC_TCP_GETOPT_REPLY_LAYOUT)

/* UDP_SETOPT: sets IP_TOS and IP_TTL (0 = the default) of a UDP socket
 * the client opened, for its datagrams from then on; `set` says which
 * (IPC_UDP_OPT_*), a field not set is zero and keeps its value. The
 * reply is a bare status (0, -EBADF). */
#define IPC_UDP_OPT_TOS 0x1u
#define IPC_UDP_OPT_TTL 0x2u
#define IPC_UDP_OPT_ALL 0x3u
#define IPC_UDP_SETOPT_LAYOUT(F, R)                                            \
	F(i32, sock) /* the socket id, >= 0 */                                 \
	F(u32, set)  /* IPC_UDP_OPT_* */                                       \
	F(u8, tos)                                                             \
	F(u8, ttl)                                                             \
	R(u16, reserved)
struct ipc_udp_setopt {
	IPC_STRUCT(IPC_UDP_SETOPT_LAYOUT)
};
#define IPC_UDP_SETOPT_LEN IPC_LAYOUT_LEN(IPC_UDP_SETOPT_LAYOUT)

/* TCP_LINGER: a close with SO_LINGER's time (linger on, linger_s > 0)
 * of a connection the client owns, whose application has shut its side
 * (SHUT_WR) and is about to close its descriptor. The reply (a bare
 * status, 0 or -EBADF; value 1 when everything was sent and
 * acknowledged, 0 when linger_s ran out first or there was nothing to
 * wait for) comes once the connection's FIN is acknowledged, or after
 * linger_s. Meanwhile the daemon reads no other request of that
 * client, as for a blocking TCP_CONNECT. */
#define IPC_TCP_LINGER_LAYOUT(F, R)                                            \
	F(i32, id) /* a connection id, >= 0 */                                 \
	R(u32, reserved)
struct ipc_tcp_linger {
	IPC_STRUCT(IPC_TCP_LINGER_LAYOUT)
};
#define IPC_TCP_LINGER_LEN IPC_LAYOUT_LEN(IPC_TCP_LINGER_LAYOUT)

/* TCP_INFO: what the stack knows of connection `id` now, from any
 * client (STATUS shows the same to anyone). The reply is a status (0,
 * -ENOENT: no such connection; a listener's id is not looked up) and
 * the connection's TCP status record's fields (IPC_REC_TCP_LAYOUT),
 * zero on failure. */
#define IPC_TCP_INFO_LAYOUT(F, R)                                              \
	F(i32, id) /* a connection id, >= 0 */                                 \
	R(u32, reserved)
struct ipc_tcp_info {
	IPC_STRUCT(IPC_TCP_INFO_LAYOUT)
};
#define IPC_TCP_INFO_LEN IPC_LAYOUT_LEN(IPC_TCP_INFO_LAYOUT)

#define IPC_TCP_INFO_REPLY_LAYOUT(F, R)                                        \
	F(i32, status)                                                         \
	R(u32, reserved)                                                       \
	IPC_REC_TCP_LAYOUT(F, R)
/* (its struct follows the TCP record's layout, below) */

/* TCP_SETOPT, UDP_SETOPT, TCP_LINGER and BARRIER replies. */
#define IPC_STATUS_ONLY_REPLY_LAYOUT(F, R)                                     \
	F(i32, status)                                                         \
	F(u32, value) /* BARRIER: frames processed; TCP_LINGER: 1 = all sent;  \
			 the SETOPTs: 0 */
struct ipc_status_only_reply {
	IPC_STRUCT(IPC_STATUS_ONLY_REPLY_LAYOUT)
};
#define IPC_TCP_SETOPT_REPLY_LEN IPC_LAYOUT_LEN(IPC_STATUS_ONLY_REPLY_LAYOUT)
#define IPC_UDP_SETOPT_REPLY_LEN IPC_LAYOUT_LEN(IPC_STATUS_ONLY_REPLY_LAYOUT)
#define IPC_TCP_LINGER_REPLY_LEN IPC_LAYOUT_LEN(IPC_STATUS_ONLY_REPLY_LAYOUT)
#define IPC_BARRIER_REPLY_LEN	 IPC_LAYOUT_LEN(IPC_STATUS_ONLY_REPLY_LAYOUT)
#define IPC_STATUS_LEN		 0u
#define IPC_BARRIER_LEN		 0u

/* ERROR: the reply to a request that failed before it had one (an
 * unknown type), and the unsolicited message to a refused client. */
#define IPC_ERROR_LAYOUT(F, R)                                                 \
	F(i32, status)                                                         \
	R(u32, reserved)
struct ipc_error {
	IPC_STRUCT(IPC_ERROR_LAYOUT)
};
#define IPC_ERROR_LEN IPC_LAYOUT_LEN(IPC_ERROR_LAYOUT)

/* ---- packet capture: CAPTURE, CAPTURE_STOP ------------------------ */

/*
 * CAPTURE: a pcap file of the frames of stack interface `ifindex` (-1:
 * every interface), each cut to `snaplen` bytes, ending after `count`
 * frames (0: at CAPTURE_STOP). The reply comes at once: status 0 with
 * the capture's id and exactly one descriptor (a SOCK_STREAM socket)
 * carrying the file, or -EPERM (the client may not capture), -ENODEV
 * (no such interface), -EBUSY (the daemon's captures are at their
 * limit), -ENOMEM, another errno of socketpair(), and no descriptor.
 * The daemon closes its end once the capture has ended (count reached,
 * CAPTURE_STOP) and every record is written: EOF ends the file.
 */
#define IPC_CAPTURE_SNAPLEN_MAX 262144u
#define IPC_CAPTURE_LAYOUT(F, R)                                               \
	F(i32, ifindex) /* -1 = every interface, else a stack index */         \
	F(u32, snaplen) /* 1..IPC_CAPTURE_SNAPLEN_MAX */                       \
	F(u32, count)	/* 0 = until CAPTURE_STOP */                           \
	R(u32, reserved)
struct ipc_capture {
	IPC_STRUCT(IPC_CAPTURE_LAYOUT)
};
#define IPC_CAPTURE_LEN IPC_LAYOUT_LEN(IPC_CAPTURE_LAYOUT)

#define IPC_CAPTURE_REPLY_LAYOUT(F, R)                                         \
	F(i32, status)                                                         \
	F(i32, id) /* the capture's id, -1 on error */
struct ipc_capture_reply {
	IPC_STRUCT(IPC_CAPTURE_REPLY_LAYOUT)
};
#define IPC_CAPTURE_REPLY_LEN IPC_LAYOUT_LEN(IPC_CAPTURE_REPLY_LAYOUT)

/* CAPTURE_STOP: ends capture `id` of this client. The reply (status 0,
 * or -ENOENT: no such capture of this client, with zero counts) says
 * how many frames matched it (seen) and how many of those found no room
 * in its queue (dropped, <= seen). */
#define IPC_CAPTURE_STOP_LAYOUT(F, R)                                          \
	F(i32, id) /* a capture id, >= 0 */                                    \
	R(u32, reserved)
struct ipc_capture_stop {
	IPC_STRUCT(IPC_CAPTURE_STOP_LAYOUT)
};
#define IPC_CAPTURE_STOP_LEN IPC_LAYOUT_LEN(IPC_CAPTURE_STOP_LAYOUT)

#define IPC_CAPTURE_STOP_REPLY_LAYOUT(F, R)                                    \
	F(i32, status)                                                         \
	R(u32, reserved)                                                       \
	F(u64, seen)                                                           \
	F(u64, dropped)
struct ipc_capture_stop_reply {
	IPC_STRUCT(IPC_CAPTURE_STOP_REPLY_LAYOUT)
};
#define IPC_CAPTURE_STOP_REPLY_LEN IPC_LAYOUT_LEN(IPC_CAPTURE_STOP_REPLY_LAYOUT)

/* ---- PING: one ICMP echo through the daemon's stack ---------------- */

/*
 * PING: the daemon's stack sends one echo request of `size` payload
 * bytes with sequence number `seq` to `dst` (out interface `ifindex`,
 * or -1: wherever the route goes) and the reply waits for its echo
 * reply, an error about it, or `timeout_ms`. While it waits the client
 * sends nothing else (as during a blocking TCP_CONNECT), so a client has
 * at most one echo outstanding; the daemon's stack bounds them all.
 */
#define IPC_PING_SIZE_MAX	65507u /* an IPv4 datagram of 64 KiB */
#define IPC_PING_TIMEOUT_MAX_MS 600000u
#define IPC_PING_LAYOUT(F, R)                                                  \
	F(u32, dst)                                                            \
	F(i32, ifindex) /* -1: any */                                          \
	F(u16, seq)                                                            \
	F(u16, size)	   /* payload bytes, <= IPC_PING_SIZE_MAX */           \
	F(u32, timeout_ms) /* 1..IPC_PING_TIMEOUT_MAX_MS */
struct ipc_ping {
	IPC_STRUCT(IPC_PING_LAYOUT)
};
#define IPC_PING_LEN IPC_LAYOUT_LEN(IPC_PING_LAYOUT)

/* status 0: the reply came (from, ttl, size of the reply, rtt_ns);
 * -ETIMEDOUT: none in time; -EHOSTUNREACH, -ENETUNREACH ...: an error
 * came back about it (from: who said so), or it could not be sent
 * (-ENETUNREACH no route, -EACCES a broadcast address, -ENOBUFS the
 * daemon has too many echoes outstanding, -ENODEV no such interface;
 * then from, size, ttl and rtt_ns are 0). */
#define IPC_PING_REPLY_LAYOUT(F, R)                                            \
	F(i32, status)                                                         \
	F(u32, from)                                                           \
	F(u16, seq)                                                            \
	F(u16, size)                                                           \
	F(u8, ttl)                                                             \
	R(u8, reserved)                                                        \
	R(u16, reserved)                                                       \
	F(u64, rtt_ns)
struct ipc_ping_reply {
	IPC_STRUCT(IPC_PING_REPLY_LAYOUT)
};
#define IPC_PING_REPLY_LEN IPC_LAYOUT_LEN(IPC_PING_REPLY_LAYOUT)

/* ---- names: RESOLVE and its result channel ------------------------ */

/*
 * RESOLVE: look `name` up (a dotted name, checked as the resolver's
 * dns_name_check()) for the families in `want` (IPC_RESOLVE_WANT_*).
 * The reply comes at once: status 0 with the lookup's id and exactly
 * one descriptor (a SOCK_SEQPACKET socket) in SCM_RIGHTS, or -EINVAL
 * (a bad name or want), -EMFILE (the client's lookups pending are at
 * [dns] client_lookups_max), -ENOBUFS (the daemon's, lookups_max, or
 * it is out of descriptors or memory), -ENOSYS (no resolver), and no
 * descriptor. The result arrives later on the descriptor as one packet
 * (IPC_RESOLVE_RESULT), after which the daemon closes its end: the
 * descriptor is readable (POLLIN) exactly when the result is there, so
 * it fits any event loop. Closing it early abandons the lookup.
 */
#define IPC_RESOLVE_WANT_A    0x1u
#define IPC_RESOLVE_WANT_AAAA 0x2u
#define IPC_RESOLVE_WANT_ALL  0x3u
#define IPC_RESOLVE_LAYOUT(F, R)                                               \
	F(u8, want) /* IPC_RESOLVE_WANT_*, not 0 */                            \
	R(u8, reserved)                                                        \
	R(u16, reserved)                                                       \
	F(dname_fixed, name)
struct ipc_resolve {
	IPC_STRUCT(IPC_RESOLVE_LAYOUT)
};
#define IPC_RESOLVE_LEN IPC_LAYOUT_LEN(IPC_RESOLVE_LAYOUT)

#define IPC_RESOLVE_REPLY_LAYOUT(F, R)                                         \
	F(i32, status)                                                         \
	F(i32, id) /* the lookup's id, -1 on error */
struct ipc_resolve_reply {
	IPC_STRUCT(IPC_RESOLVE_REPLY_LAYOUT)
};
#define IPC_RESOLVE_REPLY_LEN IPC_LAYOUT_LEN(IPC_RESOLVE_REPLY_LAYOUT)

/* How a lookup ended (stack/dns.h's enum dns_status, in its order). */
#define IPC_DNS_STATUSES(X)                                                    \
	X(OK, "ok")                                                            \
	X(NONAME, "noname")                                                    \
	X(NODATA, "nodata")                                                    \
	X(AGAIN, "again")                                                      \
	X(FAIL, "fail")
/* Where its answer came from (stack/dns.h's enum dns_source). */
#define IPC_DNS_SOURCES(X)                                                     \
	X(NETWORK, "network")                                                  \
	X(CACHE, "cache")                                                      \
	X(LOCAL, "local")                                                      \
	X(HOSTS, "hosts")
/* What a cache entry holds (stack/dns.h's enum dns_cache_kind). */
#define IPC_DNS_CACHE_KINDS(X)                                                 \
	X(POSITIVE, "positive")                                                \
	X(NXDOMAIN, "nxdomain")                                                \
	X(NODATA, "nodata")

/*
 * The result packet on a lookup's descriptor: IPC_RESOLVE_RESULT_LAYOUT
 * (its name is the canonical name, or the name asked when it failed),
 * then `naddrs` entries of IPC_RESOLVE_ADDR_LAYOUT, A records first.
 * Only the daemon writes this channel.
 */
#define IPC_RESOLVE_ADDRS_MAX 128
#define IPC_RESOLVE_RESULT_LAYOUT(F, R)                                        \
	F(i32, id)     /* the lookup's id */                                   \
	F(u8, status)  /* enum ipc_dns_status */                               \
	F(u8, source)  /* enum ipc_dns_source */                               \
	F(u16, naddrs) /* 0..IPC_RESOLVE_ADDRS_MAX; 0 unless status ok */      \
	F(u32, server) /* that answered; 0 for local and hosts */              \
	F(u16, server_port)                                                    \
	R(u16, reserved)                                                       \
	F(dname, name)
struct ipc_resolve_result {
	IPC_STRUCT(IPC_RESOLVE_RESULT_LAYOUT)
};
#define IPC_RESOLVE_RESULT_LEN IPC_LAYOUT_LEN(IPC_RESOLVE_RESULT_LAYOUT)

#define IPC_RESOLVE_ADDR_LAYOUT(F, R)                                          \
	F(u8, family) /* 4 or 6 */                                             \
	R(u8, reserved)                                                        \
	R(u16, reserved)                                                       \
	F(u32, ttl)                                                            \
	F(addr16, addr) /* network order; IPv4 in the first 4 bytes */
struct ipc_resolve_addr {
	IPC_STRUCT(IPC_RESOLVE_ADDR_LAYOUT)
};
#define IPC_RESOLVE_ADDR_LEN IPC_LAYOUT_LEN(IPC_RESOLVE_ADDR_LAYOUT)
/* The largest result packet. */
#define IPC_RESOLVE_RESULT_MAX                                                 \
	(IPC_RESOLVE_RESULT_LEN + IPC_DNAME_MAX +                              \
	 IPC_RESOLVE_ADDRS_MAX * IPC_RESOLVE_ADDR_LEN)

/* Writes a result packet with `r->naddrs` entries from addrs into buf.
 * Returns its length, -ENOSPC, or -EINVAL (a value the wire cannot
 * carry: naddrs over the maximum, an unknown status, source or
 * family). */
int ipc_resolve_result_encode(void *buf, size_t cap,
			      const struct ipc_resolve_result *r,
			      const struct ipc_resolve_addr *addrs);

/* Checks a `len`-byte result packet and fills *out and addrs (room for
 * IPC_RESOLVE_ADDRS_MAX). Returns 0 or -EBADMSG. */
int ipc_resolve_result_decode(const void *buf, size_t len,
			      struct ipc_resolve_result *out,
			      struct ipc_resolve_addr *addrs);

/*
 * Encoders write one complete message (header and body) into buf and
 * return its length, or -ENOSPC when cap is too small, -EINVAL for a
 * value the wire cannot carry (a positive status, a version of 0).
 */
int ipc_encode_hello(void *buf, size_t cap, uint32_t id,
		     const struct ipc_hello *h);
int ipc_encode_hello_reply(void *buf, size_t cap, uint8_t version, uint32_t id,
			   const struct ipc_hello_reply *r);
int ipc_encode_udp_open(void *buf, size_t cap, uint8_t version, uint32_t id,
			const struct ipc_udp_open *o);
int ipc_encode_udp_open_reply(void *buf, size_t cap, uint8_t version,
			      uint32_t id, const struct ipc_udp_open_reply *r);
int ipc_encode_status(void *buf, size_t cap, uint8_t version, uint32_t id);
int ipc_encode_error(void *buf, size_t cap, uint8_t version, uint32_t id,
		     const struct ipc_error *e);
int ipc_encode_tcp_connect(void *buf, size_t cap, uint8_t version, uint32_t id,
			   const struct ipc_tcp_connect *c);
int ipc_encode_tcp_connect_reply(void *buf, size_t cap, uint8_t version,
				 uint32_t id,
				 const struct ipc_tcp_open_reply *r);
int ipc_encode_tcp_listen(void *buf, size_t cap, uint8_t version, uint32_t id,
			  const struct ipc_tcp_listen *l);
int ipc_encode_tcp_listen_reply(void *buf, size_t cap, uint8_t version,
				uint32_t id,
				const struct ipc_tcp_open_reply *r);
int ipc_encode_tcp_setopt(void *buf, size_t cap, uint8_t version, uint32_t id,
			  const struct ipc_tcp_setopt *o);
int ipc_encode_tcp_setopt_reply(void *buf, size_t cap, uint8_t version,
				uint32_t id,
				const struct ipc_status_only_reply *r);
int ipc_encode_barrier(void *buf, size_t cap, uint8_t version, uint32_t id);
int ipc_encode_barrier_reply(void *buf, size_t cap, uint8_t version,
			     uint32_t id,
			     const struct ipc_status_only_reply *r);
int ipc_encode_tcp_getopt(void *buf, size_t cap, uint8_t version, uint32_t id,
			  const struct ipc_tcp_getopt *g);
int ipc_encode_tcp_getopt_reply(void *buf, size_t cap, uint8_t version,
				uint32_t id,
				const struct ipc_tcp_getopt_reply *r);
int ipc_encode_udp_setopt(void *buf, size_t cap, uint8_t version, uint32_t id,
			  const struct ipc_udp_setopt *o);
int ipc_encode_udp_setopt_reply(void *buf, size_t cap, uint8_t version,
				uint32_t id,
				const struct ipc_status_only_reply *r);
int ipc_encode_tcp_linger(void *buf, size_t cap, uint8_t version, uint32_t id,
			  const struct ipc_tcp_linger *l);
int ipc_encode_tcp_linger_reply(void *buf, size_t cap, uint8_t version,
				uint32_t id,
				const struct ipc_status_only_reply *r);
int ipc_encode_resolve(void *buf, size_t cap, uint8_t version, uint32_t id,
		       const struct ipc_resolve *r);
int ipc_encode_resolve_reply(void *buf, size_t cap, uint8_t version,
			     uint32_t id, const struct ipc_resolve_reply *r);
struct ipc_tcp_info_reply; /* defined after the status records */
int ipc_encode_tcp_info(void *buf, size_t cap, uint8_t version, uint32_t id,
			const struct ipc_tcp_info *t);
int ipc_encode_tcp_info_reply(void *buf, size_t cap, uint8_t version,
			      uint32_t id, const struct ipc_tcp_info_reply *r);
int ipc_encode_capture(void *buf, size_t cap, uint8_t version, uint32_t id,
		       const struct ipc_capture *c);
int ipc_encode_capture_reply(void *buf, size_t cap, uint8_t version,
			     uint32_t id, const struct ipc_capture_reply *r);
int ipc_encode_capture_stop(void *buf, size_t cap, uint8_t version, uint32_t id,
			    const struct ipc_capture_stop *c);
int ipc_encode_capture_stop_reply(void *buf, size_t cap, uint8_t version,
				  uint32_t id,
				  const struct ipc_capture_stop_reply *r);
int ipc_encode_ping(void *buf, size_t cap, uint8_t version, uint32_t id,
		    const struct ipc_ping *p);
int ipc_encode_ping_reply(void *buf, size_t cap, uint8_t version, uint32_t id,
			  const struct ipc_ping_reply *r);

/*
 * Body decoders take a message checked by ipc_msg_decode(). They
 * return 0, -EPROTO when m->type is not theirs, or -EBADMSG when the
 * body has the wrong size or a field is out of range.
 */
int ipc_decode_hello(const struct ipc_msg *m, struct ipc_hello *out);
int ipc_decode_hello_reply(const struct ipc_msg *m,
			   struct ipc_hello_reply *out);
int ipc_decode_udp_open(const struct ipc_msg *m, struct ipc_udp_open *out);
int ipc_decode_udp_open_reply(const struct ipc_msg *m,
			      struct ipc_udp_open_reply *out);
int ipc_decode_status(const struct ipc_msg *m);
int ipc_decode_error(const struct ipc_msg *m, struct ipc_error *out);
int ipc_decode_tcp_connect(const struct ipc_msg *m,
			   struct ipc_tcp_connect *out);
int ipc_decode_tcp_connect_reply(const struct ipc_msg *m,
				 struct ipc_tcp_open_reply *out);
int ipc_decode_tcp_listen(const struct ipc_msg *m, struct ipc_tcp_listen *out);
int ipc_decode_tcp_listen_reply(const struct ipc_msg *m,
				struct ipc_tcp_open_reply *out);
int ipc_decode_tcp_setopt(const struct ipc_msg *m, struct ipc_tcp_setopt *out);
int ipc_decode_tcp_setopt_reply(const struct ipc_msg *m,
				struct ipc_status_only_reply *out);
int ipc_decode_barrier(const struct ipc_msg *m);
int ipc_decode_barrier_reply(const struct ipc_msg *m,
			     struct ipc_status_only_reply *out);
int ipc_decode_tcp_getopt(const struct ipc_msg *m, struct ipc_tcp_getopt *out);
int ipc_decode_tcp_getopt_reply(const struct ipc_msg *m,
				struct ipc_tcp_getopt_reply *out);
int ipc_decode_udp_setopt(const struct ipc_msg *m, struct ipc_udp_setopt *out);
int ipc_decode_udp_setopt_reply(const struct ipc_msg *m,
				struct ipc_status_only_reply *out);
int ipc_decode_tcp_linger(const struct ipc_msg *m, struct ipc_tcp_linger *out);
int ipc_decode_tcp_linger_reply(const struct ipc_msg *m,
				struct ipc_status_only_reply *out);
int ipc_decode_resolve(const struct ipc_msg *m, struct ipc_resolve *out);
int ipc_decode_resolve_reply(const struct ipc_msg *m,
			     struct ipc_resolve_reply *out);
int ipc_decode_tcp_info(const struct ipc_msg *m, struct ipc_tcp_info *out);
int ipc_decode_tcp_info_reply(const struct ipc_msg *m,
			      struct ipc_tcp_info_reply *out);
int ipc_decode_capture(const struct ipc_msg *m, struct ipc_capture *out);
int ipc_decode_capture_reply(const struct ipc_msg *m,
			     struct ipc_capture_reply *out);
int ipc_decode_capture_stop(const struct ipc_msg *m,
			    struct ipc_capture_stop *out);
int ipc_decode_capture_stop_reply(const struct ipc_msg *m,
				  struct ipc_capture_stop_reply *out);
int ipc_decode_ping(const struct ipc_msg *m, struct ipc_ping *out);
int ipc_decode_ping_reply(const struct ipc_msg *m, struct ipc_ping_reply *out);

/* ---- status: a stream of replies made of records ------------------ */

/*
 * A STATUS request is answered by one or more STATUS replies with the
 * request's id; the last carries IPC_STATUS_F_END. Each holds a status
 * (0, or a negative errno in a last reply with no records) and a run
 * of records: u16 type, u16 length (of the whole record), then the
 * record's fields. A reader skips record types it does not know, so
 * later versions can add some.
 */
#define IPC_STATUS_F_END 0x0001u

/* A STATUS reply's body before its records. */
#define IPC_STATUS_REPLY_LAYOUT(F, R)                                          \
	F(i32, status)                                                         \
	F(u16, flags) /* IPC_STATUS_F_* */                                     \
	F(u16, nrecords)
#define IPC_STATUS_REPLY_MIN IPC_LAYOUT_LEN(IPC_STATUS_REPLY_LAYOUT)

/* Every record starts with this; length counts the whole record. */
#define IPC_RECORD_HEADER_LAYOUT(F, R)                                         \
	F(u16, type) /* enum ipc_record_type */                                \
	F(u16, length)
#define IPC_REC_HDR_LEN IPC_LAYOUT_LEN(IPC_RECORD_HEADER_LAYOUT)

/*
 * Every record type: X(TYPE, number, struct suffix, union member).
 * The record's layout is IPC_REC_<TYPE>_LAYOUT, its struct
 * ipc_rec_<suffix>, its place in struct ipc_record u.<member>.
 */
#define IPC_RECORDS(X)                                                         \
	X(DAEMON, 1, daemon, daemon)                                           \
	X(INTERFACE, 2, interface, iface)                                      \
	X(ROUTE, 3, route, route)                                              \
	X(ARP, 4, arp, arp)                                                    \
	X(SOCKET, 5, socket, socket)                                           \
	X(POOL, 6, pool, pool)                                                 \
	X(COUNTER, 7, counter, counter)                                        \
	X(TCP, 8, tcp, tcp)                                                    \
	X(OWNER, 9, owner, owner)                                              \
	X(LINK, 10, link, link)                                                \
	X(ROUTE_V2, 11, route_v2, route_v2)                                    \
	X(READY, 12, ready, ready)                                             \
	X(DHCP, 13, dhcp, dhcp)                                                \
	X(NETCONF, 14, netconf, netconf)                                       \
	X(SEARCH, 15, search, search)                                          \
	X(DHCP_OPTION, 16, dhcp_option, dhcp_option)                           \
	X(DNS, 17, dns, dns)                                                   \
	X(DNS_SERVER, 18, dns_server, dns_server)                              \
	X(DNS_CACHE, 19, dns_cache, dns_cache)                                 \
	X(SOCK_OWNER, 20, sock_owner, sock_owner)                              \
	X(IFSTATS, 21, ifstats, ifstats)

#define IPC_RECORD_TYPE_ENUM(TYPE, number, sname, member)                      \
	IPC_REC_##TYPE = number,
enum ipc_record_type { IPC_RECORDS(IPC_RECORD_TYPE_ENUM) };

/*
 * The values of enumerated fields, each list X(NAME, "name") in wire
 * order from 0, with one name table: ipc_route_kind_name(),
 * ipc_arp_state_name(), ipc_tcp_state_name(). Other enums that must
 * agree (utcp.h's, the stack's) assert it against these lists.
 */
#define IPC_ROUTE_KINDS(X)                                                     \
	X(CONNECTED, "connected")                                              \
	X(STATIC, "static")                                                    \
	X(DHCP, "dhcp") /* ROUTE_V2 only */
#define IPC_ARP_STATES(X)                                                      \
	X(INCOMPLETE, "incomplete")                                            \
	X(REACHABLE, "reachable")                                              \
	X(STATIC, "static")
/* TCP states: RFC 9293's, numbered as enum tcp_state. */
#define IPC_TCP_STATES(X)                                                      \
	X(CLOSED, "CLOSED")                                                    \
	X(LISTEN, "LISTEN")                                                    \
	X(SYN_SENT, "SYN_SENT")                                                \
	X(SYN_RECEIVED, "SYN_RECEIVED")                                        \
	X(ESTABLISHED, "ESTABLISHED")                                          \
	X(FIN_WAIT_1, "FIN_WAIT_1")                                            \
	X(FIN_WAIT_2, "FIN_WAIT_2")                                            \
	X(CLOSE_WAIT, "CLOSE_WAIT")                                            \
	X(CLOSING, "CLOSING")                                                  \
	X(LAST_ACK, "LAST_ACK")                                                \
	X(TIME_WAIT, "TIME_WAIT")

/* DHCP client states: RFC 2131's, numbered as stack/dhcp.h's. */
#define IPC_DHCP_STATES(X)                                                     \
	X(STOPPED, "STOPPED")                                                  \
	X(INIT, "INIT")                                                        \
	X(SELECTING, "SELECTING")                                              \
	X(REQUESTING, "REQUESTING")                                            \
	X(CHECKING, "CHECKING")                                                \
	X(BOUND, "BOUND")                                                      \
	X(RENEWING, "RENEWING")                                                \
	X(REBINDING, "REBINDING")                                              \
	X(INIT_REBOOT, "INIT-REBOOT")                                          \
	X(REBOOTING, "REBOOTING")
/* Where an interface's setting comes from (daemon/netconf.h's). */
#define IPC_SOURCES(X)                                                         \
	X(NONE, "none")                                                        \
	X(CONFIG, "config")                                                    \
	X(LEASE, "lease")

#define IPC_ROUTE_KIND_ENUM(id, name)	  IPC_ROUTE_##id,
#define IPC_ARP_STATE_ENUM(id, name)	  IPC_ARP_##id,
#define IPC_TCP_STATE_ENUM(id, name)	  IPC_TCPS_##id,
#define IPC_DHCP_STATE_ENUM(id, name)	  IPC_DHCP_##id,
#define IPC_SOURCE_ENUM(id, name)	  IPC_SOURCE_##id,
#define IPC_DNS_STATUS_ENUM(id, name)	  IPC_DNS_##id,
#define IPC_DNS_SOURCE_ENUM(id, name)	  IPC_DNS_SRC_##id,
#define IPC_DNS_CACHE_KIND_ENUM(id, name) IPC_DNS_CACHE_##id,
enum ipc_route_kind { IPC_ROUTE_KINDS(IPC_ROUTE_KIND_ENUM) IPC_ROUTE_COUNT };
enum ipc_arp_state { IPC_ARP_STATES(IPC_ARP_STATE_ENUM) IPC_ARP_COUNT };
enum ipc_tcp_state { IPC_TCP_STATES(IPC_TCP_STATE_ENUM) IPC_TCPS_COUNT };
enum ipc_dhcp_state { IPC_DHCP_STATES(IPC_DHCP_STATE_ENUM) IPC_DHCP_COUNT };
enum ipc_source { IPC_SOURCES(IPC_SOURCE_ENUM) IPC_SOURCE_COUNT };
enum ipc_dns_status {
	IPC_DNS_STATUSES(IPC_DNS_STATUS_ENUM) IPC_DNS_STATUS_COUNT
};
enum ipc_dns_source { IPC_DNS_SOURCES(IPC_DNS_SOURCE_ENUM) IPC_DNS_SRC_COUNT };
enum ipc_dns_cache_kind {
	IPC_DNS_CACHE_KINDS(IPC_DNS_CACHE_KIND_ENUM) IPC_DNS_CACHE_COUNT
};

/* The name of a value ("static", "reachable", "ESTABLISHED", "BOUND",
 * "lease"), "?" for one out of range. */
const char *ipc_route_kind_name(unsigned kind);
const char *ipc_arp_state_name(unsigned state);
const char *ipc_tcp_state_name(unsigned state);
const char *ipc_dhcp_state_name(unsigned state);
const char *ipc_source_name(unsigned source);
const char *ipc_dns_status_name(unsigned status);
const char *ipc_dns_source_name(unsigned source);
const char *ipc_dns_cache_kind_name(unsigned kind);

#define IPC_PROTO_UDP 17u
#define IPC_PROTO_TCP 6u

#define IPC_TCP_F_LISTENER 0x01u
#define IPC_TCP_F_ORPHAN   0x02u /* closed by its application */

#define IPC_REC_DAEMON_LAYOUT(F, R)                                            \
	F(u64, uptime_ms)                                                      \
	F(name, name)

#define IPC_REC_INTERFACE_LAYOUT(F, R)                                         \
	F(i32, index)                                                          \
	F(u32, mtu)                                                            \
	F(u32, addr)	/* 0 = none */                                         \
	F(u32, gateway) /* of a default route out this interface; 0 = none */  \
	F(mac, mac)                                                            \
	F(u8, prefix_len)                                                      \
	F(ifname, name)

#define IPC_REC_ROUTE_LAYOUT(F, R)                                             \
	F(u32, dst)                                                            \
	F(u32, gateway) /* 0 = on-link */                                      \
	F(i32, ifindex)                                                        \
	F(u8, prefix_len)                                                      \
	F(u8, kind) /* enum ipc_route_kind */                                  \
	R(u16, reserved)

#define IPC_REC_ARP_LAYOUT(F, R)                                               \
	F(u32, addr)                                                           \
	F(i32, ifindex)                                                        \
	F(u64, expires_ms)                                                     \
	F(u32, queued)                                                         \
	F(mac, mac)                                                            \
	F(u8, state) /* enum ipc_arp_state */                                  \
	R(u8, reserved)

#define IPC_REC_SOCKET_LAYOUT(F, R)                                            \
	F(i32, id)                                                             \
	F(u8, protocol) /* IPC_PROTO_UDP */                                    \
	R(u8, reserved)                                                        \
	F(u16, local_port)                                                     \
	F(u32, local_addr)                                                     \
	F(u32, remote_addr)                                                    \
	F(u16, remote_port) /* 0 = not connected */                            \
	R(u16, reserved)                                                       \
	F(u32, recv_queue) /* datagrams */                                     \
	F(u32, recv_bytes)                                                     \
	F(u64, rx)                                                             \
	F(u64, tx)                                                             \
	F(u64, drops)

#define IPC_REC_POOL_LAYOUT(F, R)                                              \
	F(u32, small_in_use)                                                   \
	F(u32, small_allocated)                                                \
	F(u32, small_max)                                                      \
	F(u32, large_in_use)                                                   \
	F(u32, large_allocated)                                                \
	F(u32, large_max)

#define IPC_REC_COUNTER_LAYOUT(F, R)                                           \
	F(u64, value)                                                          \
	F(counter_name, name)

#define IPC_REC_TCP_LAYOUT(F, R)                                               \
	F(i32, id)   /* connection or listener id */                           \
	F(u8, state) /* enum ipc_tcp_state */                                  \
	F(u8, flags) /* IPC_TCP_F_* */                                         \
	F(u16, local_port)                                                     \
	F(u32, local_addr)                                                     \
	F(u32, remote_addr)                                                    \
	F(u16, remote_port)                                                    \
	R(u16, reserved)                                                       \
	F(u32, send_queue) /* bytes */                                         \
	F(u32, recv_queue) /* bytes */                                         \
	F(u32, snd_wnd)                                                        \
	F(u32, rcv_wnd)                                                        \
	F(u32, cwnd)                                                           \
	F(u32, ssthresh)                                                       \
	F(u32, mss)                                                            \
	F(u32, backlog) /* listener: connections waiting */                    \
	F(u64, srtt_us)                                                        \
	F(u64, rttvar_us)                                                      \
	F(u64, rto_ms)                                                         \
	F(u64, retransmits)                                                    \
	F(u64, bytes_sent)                                                     \
	F(u64, bytes_received)

/* What one uid holds through the control socket: its clients, and the
 * sockets they made (those that outlived their client included). */
#define IPC_REC_OWNER_LAYOUT(F, R)                                             \
	F(u32, uid)                                                            \
	F(u32, clients)                                                        \
	F(u32, udp)                                                            \
	F(u32, listeners)                                                      \
	F(u32, connections)

/* A TAP under the interface ifindex: its SYN shedding filter. */
#define IPC_REC_LINK_LAYOUT(F, R)                                              \
	F(i32, ifindex)                                                        \
	F(u8, syn_shed) /* 1: the filter is on */                              \
	R(u8, reserved)                                                        \
	R(u16, reserved)                                                       \
	F(u64, syn_shed_times) /* it was turned on */                          \
	F(u64, syn_drops)      /* SYNs dropped beyond the stack's budget */    \
	F(u64, kernel_drops)   /* frames dropped in front of the TAP */

/* A route, from version 2 on (the daemon sends ROUTE to a version 1
 * client, a DHCP route there as static): with its metric, and kind
 * dhcp for a route a lease made. */
#define IPC_REC_ROUTE_V2_LAYOUT(F, R)                                          \
	F(u32, dst)                                                            \
	F(u32, gateway) /* 0 = on-link */                                      \
	F(i32, ifindex)                                                        \
	F(u32, metric) /* of two routes as long, the lower wins */             \
	F(u8, prefix_len)                                                      \
	F(u8, kind) /* enum ipc_route_kind */                                  \
	R(u16, reserved)

/* Whether every interface is configured (a static address set, or a
 * lease bound): the daemon is READY. */
#define IPC_REC_READY_LAYOUT(F, R)                                             \
	F(u8, ready) /* 1: ready */                                            \
	R(u8, reserved)                                                        \
	R(u16, reserved)                                                       \
	F(u64, ready_at_ms) /* uptime when it became ready; 0 while not */

/* The DHCP client of the interface ifindex (stack.h's stack_dhcp_info):
 * its state, the lease in use, its timers and counters. */
#define IPC_DHCP_F_RUNNING	     0x01u
#define IPC_DHCP_F_BOUND	     0x02u /* a lease is in use */
#define IPC_DHCP_F_OPTIONS_TRUNCATED 0x04u /* not every option is shown */
#define IPC_DHCP_F_ALL		     0x07u
#define IPC_DHCP_INFINITE	     0xffffffffu /* lease_s, t1_s, t2_s */
#define IPC_DHCP_NEVER		     UINT64_MAX	 /* *_in_ms */
#define IPC_REC_DHCP_LAYOUT(F, R)                                              \
	F(i32, ifindex)                                                        \
	F(u8, state) /* enum ipc_dhcp_state */                                 \
	F(u8, flags) /* IPC_DHCP_F_* */                                        \
	F(u8, prefix_len)                                                      \
	R(u8, reserved)                                                        \
	F(u32, addr)   /* the lease's; 0 when not bound */                     \
	F(u32, server) /* its server identifier (54) */                        \
	F(u32, lease_s)                                                        \
	F(u32, t1_s)                                                           \
	F(u32, t2_s)                                                           \
	F(u32, mtu) /* applied from option 26; 0 = not */                      \
	F(u64, t1_in_ms)                                                       \
	F(u64, t2_in_ms)                                                       \
	F(u64, expires_in_ms)                                                  \
	F(u64, tx_discover)                                                    \
	F(u64, tx_request)                                                     \
	F(u64, tx_decline)                                                     \
	F(u64, tx_release)                                                     \
	F(u64, rx_offer)                                                       \
	F(u64, rx_ack)                                                         \
	F(u64, rx_nak)                                                         \
	F(u64, rx_ignored)                                                     \
	F(u64, retransmits)                                                    \
	F(u64, declines)                                                       \
	F(u64, naks)                                                           \
	F(u64, expiries)                                                       \
	F(u64, corrections)

/* The interface's settings (daemon/netconf.h) and where each came from
 * (enum ipc_source); its search list follows as SEARCH records. */
#define IPC_NETCONF_F_DHCP	 0x01u /* the interface runs DHCP */
#define IPC_NETCONF_F_CONFIGURED 0x02u /* a static address or a lease */
#define IPC_NETCONF_F_ALL	 0x03u
#define IPC_REC_NETCONF_LAYOUT(F, R)                                           \
	F(i32, ifindex)                                                        \
	F(u8, flags) /* IPC_NETCONF_F_* */                                     \
	F(u8, address_source)                                                  \
	F(u8, routes_source)                                                   \
	F(u8, mtu_source)                                                      \
	F(u8, dns_source)                                                      \
	F(u8, domain_source)                                                   \
	F(u8, search_source)                                                   \
	F(u8, log_server_source)                                               \
	F(u8, ntp_source)                                                      \
	R(u8, reserved)                                                        \
	F(u16, log_port)                                                       \
	F(u32, log_server) /* 0 = none */                                      \
	F(addrs, dns)                                                          \
	F(addrs, ntp)                                                          \
	F(dname, domain)

/* One entry of an interface's search list, in order. */
#define IPC_REC_SEARCH_LAYOUT(F, R)                                            \
	F(i32, ifindex)                                                        \
	F(dname, name)

/* One option of the interface's lease as received: code, value. */
#define IPC_REC_DHCP_OPTION_LAYOUT(F, R)                                       \
	F(i32, ifindex)                                                        \
	F(u8, code) /* 1..254 */                                               \
	F(bytes, value)

/* The stub resolver: its settings and what it holds now. The search
 * list in use follows as SEARCH records with ifindex -1; its counters
 * are COUNTER records named dns_*. */
#define IPC_REC_DNS_LAYOUT(F, R)                                               \
	F(u32, ndots)                                                          \
	F(u32, cache_entries)                                                  \
	F(u32, cache_max)                                                      \
	F(u32, lookups_pending)                                                \
	F(u32, lookups_max)                                                    \
	F(u32, queries_active) /* questions on the wire */                     \
	F(u32, queries_max)

/* A server the resolver asks, in its order of preference. */
#define IPC_DNS_SERVER_F_UNRESPONSIVE                                          \
	0x01u /* timed out, not answered since                                 \
	       */
#define IPC_DNS_SERVER_F_ALL 0x01u
#define IPC_REC_DNS_SERVER_LAYOUT(F, R)                                        \
	F(i32, ifindex) /* the interface whose settings list it */             \
	F(u32, addr)                                                           \
	F(u16, port)                                                           \
	F(u8, source) /* enum ipc_source */                                    \
	F(u8, flags)  /* IPC_DNS_SERVER_F_* */                                 \
	F(u64, queries)                                                        \
	F(u64, answers)                                                        \
	F(u64, timeouts)                                                       \
	F(u64, failures)

/* A live cache entry, most recently used first; its first IPv4
 * addresses (all of them: naddrs, A and AAAA). */
#define IPC_REC_DNS_CACHE_LAYOUT(F, R)                                         \
	F(u16, qtype) /* 1 = A, 28 = AAAA */                                   \
	F(u8, kind)   /* enum ipc_dns_cache_kind */                            \
	R(u8, reserved)                                                        \
	F(u32, ttl_left_s)                                                     \
	F(u64, hits)                                                           \
	F(u16, naddrs)                                                         \
	R(u16, reserved)                                                       \
	F(addrs, addrs)                                                        \
	F(dname, name)

/* Who made a socket of the control socket: the client's SO_PEERCRED
 * credentials at connect time and its command (/proc/PID/comm, read at
 * HELLO). kind says which id space id is in. */
#define IPC_SOCK_OWNER_UDP	  0u /* a UDP socket (SOCKET's id) */
#define IPC_SOCK_OWNER_LISTENER	  1u /* a TCP listener (TCP's id) */
#define IPC_SOCK_OWNER_CONNECTION 2u /* a TCP connection (TCP's id) */
#define IPC_SOCK_OWNER_KIND_COUNT 3u
#define IPC_SOCK_OWNER_F_GONE	  0x01u /* its client has disconnected */
#define IPC_SOCK_OWNER_F_ALL	  0x01u
#define IPC_REC_SOCK_OWNER_LAYOUT(F, R)                                        \
	F(u8, kind)  /* IPC_SOCK_OWNER_* */                                    \
	F(u8, flags) /* IPC_SOCK_OWNER_F_* */                                  \
	R(u16, reserved)                                                       \
	F(i32, id)                                                             \
	F(u32, pid) /* 0 = unknown */                                          \
	F(u32, uid)                                                            \
	F(u32, gid)                                                            \
	F(name, comm) /* "" = unknown */

/* A TAP under the interface ifindex: the frames and bytes the daemon
 * read from it and wrote to it (a TSO super-segment is one frame),
 * what failed or was dropped, and whether its kernel side has carrier
 * (the link is up there: /sys/class/net/TAP/carrier). */
#define IPC_CARRIER_DOWN    0u
#define IPC_CARRIER_UP	    1u
#define IPC_CARRIER_UNKNOWN 2u
#define IPC_REC_IFSTATS_LAYOUT(F, R)                                           \
	F(i32, ifindex)                                                        \
	F(u8, carrier) /* IPC_CARRIER_* */                                     \
	R(u8, reserved)                                                        \
	R(u16, reserved)                                                       \
	F(u64, rx_frames)                                                      \
	F(u64, rx_bytes)                                                       \
	F(u64, rx_errors) /* reads that failed */                              \
	F(u64, rx_drops)  /* read, no buffer for them */                       \
	F(u64, tx_frames)                                                      \
	F(u64, tx_bytes)                                                       \
	F(u64, tx_errors) /* writes that failed */                             \
	F(u64, tx_drops)  /* the TAP could not take them */

/*
 * The TCP record's plain fields: numbers that mean what their name says
 * on both sides of the wire (state and flags are encoded, the rest is
 * not). The daemon copies them from the stack's struct stack_tcp_info,
 * libutcp into its struct utcp_tcp_info, by this one list; a field
 * added to the record and to both structs is one line here.
 */
/* clang-format off */
#define IPC_REC_TCP_PLAIN(X)                                                   \
	X(id)                                                                  \
	X(local_port)                                                          \
	X(local_addr)                                                          \
	X(remote_addr)                                                         \
	X(remote_port)                                                         \
	X(send_queue)                                                          \
	X(recv_queue)                                                          \
	X(snd_wnd)                                                             \
	X(rcv_wnd)                                                             \
	X(cwnd)                                                                \
	X(ssthresh)                                                            \
	X(mss)                                                                 \
	X(backlog)                                                             \
	X(srtt_us)                                                             \
	X(rttvar_us)                                                           \
	X(rto_ms)                                                              \
	X(retransmits)                                                         \
	X(bytes_sent)                                                          \
	X(bytes_received)
/* clang-format on */

#define IPC_RECORD_STRUCT(TYPE, number, sname, member)                         \
	struct ipc_rec_##sname {                                               \
		IPC_STRUCT(IPC_REC_##TYPE##_LAYOUT)                            \
	};
IPC_RECORDS(IPC_RECORD_STRUCT)

/* TCP_INFO's reply: a status, then the TCP record's fields. */
struct ipc_tcp_info_reply {
	IPC_STRUCT(IPC_TCP_INFO_REPLY_LAYOUT)
};
#define IPC_TCP_INFO_REPLY_LEN IPC_LAYOUT_LEN(IPC_TCP_INFO_REPLY_LAYOUT)

#define IPC_RECORD_MEMBER(TYPE, number, sname, member)                         \
	struct ipc_rec_##sname member;
struct ipc_record {
	uint16_t type; /* enum ipc_record_type */
	union {
		IPC_RECORDS(IPC_RECORD_MEMBER)
	} u;
};

/* Builds one STATUS reply in a caller's buffer. */
struct ipc_status_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	uint16_t nrecords;
	uint8_t version;
	uint32_t id;
};

/* Starts a STATUS reply in buf (cap is clamped to IPC_MSG_MAX).
 * Returns 0 or -ENOSPC when cap cannot hold an empty reply. */
int ipc_status_begin(struct ipc_status_builder *b, void *buf, size_t cap,
		     uint8_t version, uint32_t id);

/* Appends a record. Strings longer than the wire allows are cut, and
 * bytes outside printable ASCII become '?'. Returns 0, -ENOSPC when it
 * does not fit (finish this reply and start another), -EINVAL for an
 * unknown record type. */
int ipc_status_add(struct ipc_status_builder *b, const struct ipc_record *r);

/* Completes the reply with `status` (0 or negative errno) and the END
 * flag when `last`; returns the message length. */
size_t ipc_status_finish(struct ipc_status_builder *b, int32_t status,
			 bool last);

/* A checked STATUS reply: every record in it is well-formed. */
struct ipc_status_chunk {
	int32_t status;
	bool last;
	uint16_t nrecords;
	const uint8_t *records;
	size_t records_len;
};

/* Checks a STATUS reply and every record in it. A negative status is
 * only valid in a last reply without records. Returns 0, -EPROTO or
 * -EBADMSG. */
int ipc_decode_status_reply(const struct ipc_msg *m,
			    struct ipc_status_chunk *out);

struct ipc_record_iter {
	const uint8_t *p;
	size_t left;
};

/* Iterates the records of a checked chunk. */
void ipc_record_iter_init(struct ipc_record_iter *it,
			  const struct ipc_status_chunk *c);

/* Fills *r with the next record of a known type (unknown ones are
 * skipped); false at the end. */
bool ipc_record_next(struct ipc_record_iter *it, struct ipc_record *r);

/* ---- the UDP data channel ----------------------------------------- */

/*
 * Every packet on a UDP socket's socketpair: u32 address, u16 port,
 * u8 flags, u8 reserved, u32 error, then the payload. Application to
 * daemon: the destination (0:0 = the connected peer), flags 0.
 * Daemon to application: the source; or, with IPC_DGRAM_F_ERROR, no
 * payload and `error` a positive errno (ECONNREFUSED) for an ICMP error
 * that arrived for a connected socket.
 */
#define IPC_UDP_PAYLOAD_MAX 65507u
#define IPC_DGRAM_F_ERROR   0x01u

#define IPC_DGRAM_HDR_LAYOUT(F, R)                                             \
	F(u32, addr)                                                           \
	F(u16, port)                                                           \
	F(u8, flags) /* IPC_DGRAM_F_* */                                       \
	R(u8, reserved)                                                        \
	F(u32, error) /* positive errno with IPC_DGRAM_F_ERROR, else 0 */
struct ipc_dgram_hdr {
	IPC_STRUCT(IPC_DGRAM_HDR_LAYOUT)
};
#define IPC_DGRAM_HDR_LEN IPC_LAYOUT_LEN(IPC_DGRAM_HDR_LAYOUT)

/* Writes the 12-byte header. */
void ipc_dgram_hdr_encode(uint8_t out[IPC_DGRAM_HDR_LEN],
			  const struct ipc_dgram_hdr *h);

/* Checks a header followed by `payload_len` bytes of payload: flags
 * known, reserved zero, error set exactly with IPC_DGRAM_F_ERROR (then
 * in 1..IPC_ERRNO_MAX and no payload). Returns 0, -EBADMSG or -EMSGSIZE
 * (payload over IPC_UDP_PAYLOAD_MAX). */
int ipc_dgram_hdr_decode(const uint8_t hdr[IPC_DGRAM_HDR_LEN],
			 size_t payload_len, struct ipc_dgram_hdr *out);

/* Checks a whole packet of `len` bytes; on success *payload points into
 * buf. Returns 0, -EBADMSG (shorter than the header or a bad header) or
 * -EMSGSIZE. */
int ipc_dgram_decode(const void *buf, size_t len, struct ipc_dgram_hdr *out,
		     const uint8_t **payload, size_t *payload_len);

/* ---- the TCP listening channel --------------------------------- */

/*
 * Every packet on a listener's SEQPACKET socket announces one accepted
 * connection and carries its stream descriptor in SCM_RIGHTS: u32
 * remote_addr, u16 remote_port, u16 local_port, u32 local_addr, i32
 * connection id (>= 0), and, on a listener made with
 * IPC_TCP_LISTEN_F_ACCEPT_NONBLOCK only, u32 flags (the long form, 20
 * bytes; else the short form ends before it, 16 bytes, flags 0). Only
 * the daemon writes this channel.
 */
#define IPC_ACCEPT_LAYOUT(F, R)                                                \
	F(u32, remote_addr)                                                    \
	F(u16, remote_port)                                                    \
	F(u16, local_port)                                                     \
	F(u32, local_addr)                                                     \
	F(i32, id)                                                             \
	F(u32, flags) /* IPC_ACCEPT_F_*; long form only */
struct ipc_accept {
	IPC_STRUCT(IPC_ACCEPT_LAYOUT)
};
#define IPC_ACCEPT_LEN	      IPC_LAYOUT_LEN(IPC_ACCEPT_LAYOUT)
#define IPC_ACCEPT_SHORT_LEN  (IPC_ACCEPT_LEN - 4)
#define IPC_ACCEPT_F_NONBLOCK 0x1u /* the descriptor is O_NONBLOCK */

/* Writes the announcement: the long form when a->flags is not 0, else
 * the short one. Returns its length. */
size_t ipc_accept_encode(uint8_t out[IPC_ACCEPT_LEN],
			 const struct ipc_accept *a);

/* Checks a `len`-byte packet: IPC_ACCEPT_SHORT_LEN bytes (flags 0) or
 * IPC_ACCEPT_LEN with no unknown flag, id >= 0. Returns 0 or
 * -EBADMSG. */
int ipc_accept_decode(const void *buf, size_t len, struct ipc_accept *out);

/*
 * The error of a TCP connection travels on its stream socket as one
 * urgent byte (send MSG_OOB) holding the positive errno (ECONNRESET,
 * ETIMEDOUT, ECONNREFUSED, EHOSTUNREACH, ENETUNREACH: all below 256),
 * after the last data byte; then the daemon closes its end. A byte of 0
 * is never sent.
 */
#define IPC_TCP_ERROR_MAX 255

/*
 * Every message with a body but HELLO (whose encoder takes no version:
 * its header always carries IPC_VERSION_MIN), X(name, TYPE, body,
 * LAYOUT): ipc_encode_<name>() and ipc_decode_<name>() carry a struct
 * ipc_<body> laid out by LAYOUT in a message of type TYPE.
 */
#define IPC_BODY_MESSAGES(X)                                                   \
	X(hello_reply, IPC_T_HELLO_REPLY, hello_reply, IPC_HELLO_REPLY_LAYOUT) \
	X(udp_open, IPC_T_UDP_OPEN, udp_open, IPC_UDP_OPEN_LAYOUT)             \
	X(udp_open_reply, IPC_T_UDP_OPEN_REPLY, udp_open_reply,                \
	  IPC_UDP_OPEN_REPLY_LAYOUT)                                           \
	X(error, IPC_T_ERROR, error, IPC_ERROR_LAYOUT)                         \
	X(tcp_connect, IPC_T_TCP_CONNECT, tcp_connect, IPC_TCP_CONNECT_LAYOUT) \
	X(tcp_connect_reply, IPC_T_TCP_CONNECT_REPLY, tcp_open_reply,          \
	  IPC_TCP_OPEN_REPLY_LAYOUT)                                           \
	X(tcp_listen, IPC_T_TCP_LISTEN, tcp_listen, IPC_TCP_LISTEN_LAYOUT)     \
	X(tcp_listen_reply, IPC_T_TCP_LISTEN_REPLY, tcp_open_reply,            \
	  IPC_TCP_OPEN_REPLY_LAYOUT)                                           \
	X(tcp_setopt, IPC_T_TCP_SETOPT, tcp_setopt, IPC_TCP_SETOPT_LAYOUT)     \
	X(tcp_setopt_reply, IPC_T_TCP_SETOPT_REPLY, status_only_reply,         \
	  IPC_STATUS_ONLY_REPLY_LAYOUT)                                        \
	X(barrier_reply, IPC_T_BARRIER_REPLY, status_only_reply,               \
	  IPC_STATUS_ONLY_REPLY_LAYOUT)                                        \
	X(tcp_getopt, IPC_T_TCP_GETOPT, tcp_getopt, IPC_TCP_GETOPT_LAYOUT)     \
	X(tcp_getopt_reply, IPC_T_TCP_GETOPT_REPLY, tcp_getopt_reply,          \
	  IPC_TCP_GETOPT_REPLY_LAYOUT)                                         \
	X(udp_setopt, IPC_T_UDP_SETOPT, udp_setopt, IPC_UDP_SETOPT_LAYOUT)     \
	X(udp_setopt_reply, IPC_T_UDP_SETOPT_REPLY, status_only_reply,         \
	  IPC_STATUS_ONLY_REPLY_LAYOUT)                                        \
	X(tcp_linger, IPC_T_TCP_LINGER, tcp_linger, IPC_TCP_LINGER_LAYOUT)     \
	X(tcp_linger_reply, IPC_T_TCP_LINGER_REPLY, status_only_reply,         \
	  IPC_STATUS_ONLY_REPLY_LAYOUT)                                        \
	X(resolve, IPC_T_RESOLVE, resolve, IPC_RESOLVE_LAYOUT)                 \
	X(resolve_reply, IPC_T_RESOLVE_REPLY, resolve_reply,                   \
	  IPC_RESOLVE_REPLY_LAYOUT)                                            \
	X(tcp_info, IPC_T_TCP_INFO, tcp_info, IPC_TCP_INFO_LAYOUT)             \
	X(tcp_info_reply, IPC_T_TCP_INFO_REPLY, tcp_info_reply,                \
	  IPC_TCP_INFO_REPLY_LAYOUT)                                           \
	X(capture, IPC_T_CAPTURE, capture, IPC_CAPTURE_LAYOUT)                 \
	X(capture_reply, IPC_T_CAPTURE_REPLY, capture_reply,                   \
	  IPC_CAPTURE_REPLY_LAYOUT)                                            \
	X(capture_stop, IPC_T_CAPTURE_STOP, capture_stop,                      \
	  IPC_CAPTURE_STOP_LAYOUT)                                             \
	X(capture_stop_reply, IPC_T_CAPTURE_STOP_REPLY, capture_stop_reply,    \
	  IPC_CAPTURE_STOP_REPLY_LAYOUT)                                       \
	X(ping, IPC_T_PING, ping, IPC_PING_LAYOUT)                             \
	X(ping_reply, IPC_T_PING_REPLY, ping_reply, IPC_PING_REPLY_LAYOUT)

/* Every layout but the status records' (IPC_RECORDS has those), for
 * code that walks them all: the test that holds docs/ipc.md's tables
 * against them. */
#define IPC_LAYOUTS(X)                                                         \
	X(IPC_HEADER_LAYOUT)                                                   \
	X(IPC_HELLO_LAYOUT)                                                    \
	X(IPC_HELLO_REPLY_LAYOUT)                                              \
	X(IPC_UDP_OPEN_LAYOUT)                                                 \
	X(IPC_UDP_OPEN_REPLY_LAYOUT)                                           \
	X(IPC_TCP_OPTS_LAYOUT)                                                 \
	X(IPC_TCP_CONNECT_LAYOUT)                                              \
	X(IPC_TCP_OPEN_REPLY_LAYOUT)                                           \
	X(IPC_TCP_LISTEN_LAYOUT)                                               \
	X(IPC_TCP_SETOPT_LAYOUT)                                               \
	X(IPC_STATUS_ONLY_REPLY_LAYOUT)                                        \
	X(IPC_ERROR_LAYOUT)                                                    \
	X(IPC_STATUS_REPLY_LAYOUT)                                             \
	X(IPC_RECORD_HEADER_LAYOUT)                                            \
	X(IPC_DGRAM_HDR_LAYOUT)                                                \
	X(IPC_ACCEPT_LAYOUT)                                                   \
	X(IPC_TCP_GETOPT_LAYOUT)                                               \
	X(IPC_TCP_GETOPT_REPLY_LAYOUT)                                         \
	X(IPC_UDP_SETOPT_LAYOUT)                                               \
	X(IPC_TCP_LINGER_LAYOUT)                                               \
	X(IPC_RESOLVE_LAYOUT)                                                  \
	X(IPC_RESOLVE_REPLY_LAYOUT)                                            \
	X(IPC_RESOLVE_RESULT_LAYOUT)                                           \
	X(IPC_RESOLVE_ADDR_LAYOUT)                                             \
	X(IPC_TCP_INFO_LAYOUT)                                                 \
	X(IPC_TCP_INFO_REPLY_LAYOUT)                                           \
	X(IPC_CAPTURE_LAYOUT)                                                  \
	X(IPC_CAPTURE_REPLY_LAYOUT)                                            \
	X(IPC_CAPTURE_STOP_LAYOUT)                                             \
	X(IPC_CAPTURE_STOP_REPLY_LAYOUT)                                       \
	X(IPC_PING_LAYOUT)                                                     \
	X(IPC_PING_REPLY_LAYOUT)

#endif
