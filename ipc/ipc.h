/*
 * ipc.h - the control wire protocol between utcpd and its clients
 *
 * Pure encoders and decoders, no I/O: the daemon (daemon/control.c) and
 * the client library (client-lib/) both build on them, and a fuzz
 * harness feeds them arbitrary bytes. docs/ipc.md is the specification;
 * this header is its C spelling.
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
#define IPC_VERSION_MAX 1u
#define IPC_HDR_LEN	16u
/* The largest control message, header included, in either direction. */
#define IPC_MSG_MAX 4096u
/* Request id 0 is never used by a client; the daemon uses it for
 * unsolicited messages (the ERROR sent to a refused connection). */
#define IPC_ID_NONE 0u

/* Capability bits in the HELLO reply: what this daemon can do. */
#define IPC_CAP_UDP	0x00000001u
#define IPC_CAP_TCP	0x00000002u /* TCP_CONNECT, TCP_LISTEN, TCP_SETOPT */
#define IPC_CAP_BARRIER 0x00000004u /* BARRIER */

enum ipc_type {
	IPC_T_HELLO = 0x0001,
	IPC_T_UDP_OPEN = 0x0002,
	IPC_T_STATUS = 0x0003,
	IPC_T_TCP_CONNECT = 0x0004,
	IPC_T_TCP_LISTEN = 0x0005,
	IPC_T_TCP_SETOPT = 0x0006,
	IPC_T_BARRIER = 0x0007,
	/* 0x0008..0x00ff reserved: DNS, ... */
	IPC_T_REPLY = 0x8000, /* set in the type of every reply */
	IPC_T_HELLO_REPLY = IPC_T_REPLY | IPC_T_HELLO,
	IPC_T_UDP_OPEN_REPLY = IPC_T_REPLY | IPC_T_UDP_OPEN,
	IPC_T_STATUS_REPLY = IPC_T_REPLY | IPC_T_STATUS,
	IPC_T_TCP_CONNECT_REPLY = IPC_T_REPLY | IPC_T_TCP_CONNECT,
	IPC_T_TCP_LISTEN_REPLY = IPC_T_REPLY | IPC_T_TCP_LISTEN,
	IPC_T_TCP_SETOPT_REPLY = IPC_T_REPLY | IPC_T_TCP_SETOPT,
	IPC_T_BARRIER_REPLY = IPC_T_REPLY | IPC_T_BARRIER,
	IPC_T_ERROR = 0xffff, /* reply to a request that has no other reply */
};

/* Fixed body sizes. */
#define IPC_HELLO_LEN		  8u
#define IPC_HELLO_REPLY_LEN	  16u
#define IPC_UDP_OPEN_LEN	  16u
#define IPC_UDP_OPEN_REPLY_LEN	  16u
#define IPC_STATUS_LEN		  0u
#define IPC_ERROR_LEN		  8u
#define IPC_STATUS_REPLY_MIN	  8u  /* before the records */
#define IPC_TCP_OPTS_LEN	  28u /* inside the TCP requests below */
#define IPC_TCP_CONNECT_LEN	  48u
#define IPC_TCP_CONNECT_REPLY_LEN 16u
#define IPC_TCP_LISTEN_LEN	  44u
#define IPC_TCP_LISTEN_REPLY_LEN  16u
#define IPC_TCP_SETOPT_LEN	  32u
#define IPC_TCP_SETOPT_REPLY_LEN  8u
#define IPC_BARRIER_LEN		  0u
#define IPC_BARRIER_REPLY_LEN	  8u

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
struct ipc_hello {
	uint16_t version_min;
	uint16_t version_max;
};

/* HELLO reply: status 0 and the version both sides speak from now on,
 * or -EPROTONOSUPPORT (and the daemon disconnects). */
struct ipc_hello_reply {
	int32_t status;
	uint16_t version;
	uint32_t capabilities; /* IPC_CAP_* */
	uint32_t msg_max;      /* the daemon's IPC_MSG_MAX */
};

/* UDP_OPEN: bind to local_addr:local_port (0 = any / ephemeral) and,
 * when remote_port is not 0, connect to remote_addr:remote_port. */
struct ipc_udp_open {
	uint32_t local_addr;
	uint16_t local_port;
	uint32_t remote_addr;
	uint16_t remote_port;
};

/* UDP_OPEN reply. With status 0 exactly one descriptor (the
 * application's end of the data channel) rides along in SCM_RIGHTS;
 * with a negative status, none. */
struct ipc_udp_open_reply {
	int32_t status;
	int32_t sock; /* the stack's socket id, -1 on error */
	uint32_t local_addr;
	uint16_t local_port;
};

/*
 * TCP socket options as requests carry them. `set` says which fields
 * are given (IPC_TCP_OPT_*); the others are zero on the wire and the
 * daemon's defaults apply. Ranges are those the stack accepts:
 * buffers IPC_TCP_BUF_MIN..IPC_TCP_BUF_MAX bytes, keepidle_s
 * 1..IPC_TCP_KEEPIDLE_MAX, keepintvl_s 1..IPC_TCP_KEEPINTVL_MAX,
 * keepcnt 1..IPC_TCP_KEEPCNT_MAX.
 */
#define IPC_TCP_OPT_NODELAY   0x01u
#define IPC_TCP_OPT_KEEPALIVE 0x02u
#define IPC_TCP_OPT_SNDBUF    0x04u
#define IPC_TCP_OPT_RCVBUF    0x08u
#define IPC_TCP_OPT_KEEPIDLE  0x10u
#define IPC_TCP_OPT_KEEPINTVL 0x20u
#define IPC_TCP_OPT_KEEPCNT   0x40u
#define IPC_TCP_OPT_ALL	      0x7fu
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
};

/* TCP_CONNECT: open a connection to remote_addr:remote_port from
 * local_addr:local_port (0 = the route's source / an ephemeral port).
 * Without IPC_TCP_CONNECT_F_NONBLOCK the reply comes when the
 * connection is established or has failed, at most timeout_ms later
 * (0 = IPC_TCP_CONNECT_TIMEOUT_DEFAULT_MS); with it, at once. */
#define IPC_TCP_CONNECT_F_NONBLOCK	   0x01u
#define IPC_TCP_CONNECT_TIMEOUT_MAX_MS	   600000u
#define IPC_TCP_CONNECT_TIMEOUT_DEFAULT_MS 75000u

struct ipc_tcp_connect {
	uint32_t local_addr;
	uint16_t local_port;
	uint32_t remote_addr;
	uint16_t remote_port; /* not 0 */
	uint32_t timeout_ms;  /* 0..IPC_TCP_CONNECT_TIMEOUT_MAX_MS */
	uint32_t flags;	      /* IPC_TCP_CONNECT_F_* */
	struct ipc_tcp_opts opts;
};

/* TCP_CONNECT and TCP_LISTEN replies. With status 0 exactly one
 * descriptor rides along: the connection's stream socket, or the
 * listener's SEQPACKET socket. `id` is the connection or listener id
 * (as status shows it), -1 on error; local_addr/local_port are the
 * local endpoint when known, else 0. */
struct ipc_tcp_open_reply {
	int32_t status;
	int32_t id;
	uint32_t local_addr;
	uint16_t local_port;
};

/* TCP_LISTEN: listen on local_addr:local_port (port not 0) with at
 * most backlog (1..IPC_TCP_BACKLOG_MAX) connections waiting. */
#define IPC_TCP_BACKLOG_MAX 4096u

struct ipc_tcp_listen {
	uint32_t local_addr;
	uint16_t local_port;
	uint32_t backlog;
	struct ipc_tcp_opts opts;
};

/* TCP_SETOPT: changes the given options of a connection the client
 * owns. The reply is a bare status. */
struct ipc_tcp_setopt {
	int32_t id; /* a connection id, >= 0 */
	struct ipc_tcp_opts opts;
};

/* TCP_SETOPT and BARRIER replies. */
struct ipc_status_only_reply {
	int32_t status;
	uint32_t value; /* BARRIER: frames processed; TCP_SETOPT: 0 */
};

/* ERROR: the reply to a request that failed before it had one (an
 * unknown type), and the unsolicited message to a refused client. */
struct ipc_error {
	int32_t status;
};

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
#define IPC_REC_HDR_LEN	 4u

enum ipc_record_type {
	IPC_REC_DAEMON = 1,
	IPC_REC_INTERFACE = 2,
	IPC_REC_ROUTE = 3,
	IPC_REC_ARP = 4,
	IPC_REC_SOCKET = 5,
	IPC_REC_POOL = 6,
	IPC_REC_COUNTER = 7,
	IPC_REC_TCP = 8,
};

#define IPC_NAME_MAX	     63 /* daemon name, bytes */
#define IPC_IFNAME_MAX	     15 /* interface name, bytes */
#define IPC_COUNTER_NAME_MAX 47 /* counter name, bytes */

enum ipc_route_kind { IPC_ROUTE_CONNECTED = 0, IPC_ROUTE_STATIC = 1 };
enum ipc_arp_state {
	IPC_ARP_INCOMPLETE = 0,
	IPC_ARP_REACHABLE = 1,
	IPC_ARP_STATIC = 2,
};
#define IPC_PROTO_UDP 17u
#define IPC_PROTO_TCP 6u

/* TCP states on the wire: RFC 9293's, numbered as enum tcp_state. */
enum ipc_tcp_state {
	IPC_TCPS_CLOSED = 0,
	IPC_TCPS_LISTEN,
	IPC_TCPS_SYN_SENT,
	IPC_TCPS_SYN_RECEIVED,
	IPC_TCPS_ESTABLISHED,
	IPC_TCPS_FIN_WAIT_1,
	IPC_TCPS_FIN_WAIT_2,
	IPC_TCPS_CLOSE_WAIT,
	IPC_TCPS_CLOSING,
	IPC_TCPS_LAST_ACK,
	IPC_TCPS_TIME_WAIT,
	IPC_TCPS_COUNT
};
#define IPC_TCP_F_LISTENER 0x01u
#define IPC_TCP_F_ORPHAN   0x02u /* closed by its application */

struct ipc_rec_daemon {
	uint64_t uptime_ms;
	char name[IPC_NAME_MAX + 1];
};

struct ipc_rec_interface {
	int32_t index;
	char name[IPC_IFNAME_MAX + 1];
	uint8_t mac[6];
	uint32_t mtu;
	uint32_t addr; /* 0 = none */
	uint8_t prefix_len;
	uint32_t gateway; /* of a default route out this interface; 0 = none */
};

struct ipc_rec_route {
	uint32_t dst;
	uint8_t prefix_len;
	uint32_t gateway; /* 0 = on-link */
	int32_t ifindex;
	uint8_t kind; /* enum ipc_route_kind */
};

struct ipc_rec_arp {
	uint32_t addr;
	uint8_t mac[6];
	int32_t ifindex;
	uint8_t state; /* enum ipc_arp_state */
	uint64_t expires_ms;
	uint32_t queued;
};

struct ipc_rec_socket {
	int32_t id;
	uint8_t protocol; /* IPC_PROTO_UDP */
	uint32_t local_addr;
	uint16_t local_port;
	uint32_t remote_addr; /* remote_port 0 = not connected */
	uint16_t remote_port;
	uint32_t recv_queue; /* datagrams */
	uint32_t recv_bytes;
	uint64_t rx, tx, drops;
};

struct ipc_rec_tcp {
	int32_t id;    /* connection or listener id */
	uint8_t state; /* enum ipc_tcp_state */
	uint8_t flags; /* IPC_TCP_F_* */
	uint32_t local_addr, remote_addr;
	uint16_t local_port, remote_port;
	uint32_t send_queue, recv_queue; /* bytes */
	uint32_t snd_wnd, rcv_wnd, cwnd, ssthresh, mss;
	uint32_t backlog; /* listener: connections waiting */
	uint64_t srtt_us, rttvar_us, rto_ms, retransmits;
	uint64_t bytes_sent, bytes_received;
};

struct ipc_rec_pool {
	uint32_t small_in_use, small_allocated, small_max;
	uint32_t large_in_use, large_allocated, large_max;
};

struct ipc_rec_counter {
	char name[IPC_COUNTER_NAME_MAX + 1];
	uint64_t value;
};

struct ipc_record {
	uint16_t type; /* enum ipc_record_type */
	union {
		struct ipc_rec_daemon daemon;
		struct ipc_rec_interface iface;
		struct ipc_rec_route route;
		struct ipc_rec_arp arp;
		struct ipc_rec_socket socket;
		struct ipc_rec_pool pool;
		struct ipc_rec_counter counter;
		struct ipc_rec_tcp tcp;
	} u;
};

/* Builds one STATUS reply in a caller's buffer. */
struct ipc_status_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	uint16_t nrecords;
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
#define IPC_DGRAM_HDR_LEN   12u
#define IPC_UDP_PAYLOAD_MAX 65507u
#define IPC_DGRAM_F_ERROR   0x01u

struct ipc_dgram_hdr {
	uint32_t addr;
	uint16_t port;
	uint8_t flags;
	uint32_t error; /* positive errno with IPC_DGRAM_F_ERROR, else 0 */
};

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
 * connection id (>= 0). Only the daemon writes this channel.
 */
#define IPC_ACCEPT_LEN 16u

struct ipc_accept {
	uint32_t remote_addr;
	uint16_t remote_port;
	uint32_t local_addr;
	uint16_t local_port;
	int32_t id;
};

/* Writes the 16-byte announcement. */
void ipc_accept_encode(uint8_t out[IPC_ACCEPT_LEN], const struct ipc_accept *a);

/* Checks a `len`-byte packet: exactly IPC_ACCEPT_LEN bytes, id >= 0.
 * Returns 0 or -EBADMSG. */
int ipc_accept_decode(const void *buf, size_t len, struct ipc_accept *out);

/*
 * The error of a TCP connection travels on its stream socket as one
 * urgent byte (send MSG_OOB) holding the positive errno (ECONNRESET,
 * ETIMEDOUT, ECONNREFUSED, EHOSTUNREACH, ENETUNREACH: all below 256),
 * after the last data byte; then the daemon closes its end. A byte of 0
 * is never sent.
 */
#define IPC_TCP_ERROR_MAX 255

#endif
