/*
 * preload_tcpinfo.c - utcp-run: getsockopt(IPPROTO_TCP, TCP_INFO) from
 * what the daemon's stack knows of a connection
 *
 * Linux's struct tcp_info (the kernel's own layout, <linux/tcp.h>,
 * which the C library's <netinet/tcp.h> repeats in part) is filled from
 * utcp_tcp_info(), the figures `utcpctl status` shows:
 *   - tcpi_state in Linux's numbering (TCP_ESTABLISHED 1 ... TCP_CLOSING
 *     11), from the stack's state;
 *   - tcpi_rto, tcpi_rtt, tcpi_rttvar in microseconds;
 *   - tcpi_snd_mss and tcpi_rcv_mss: the connection's MSS (the stack
 *     keeps one); tcpi_snd_cwnd and tcpi_snd_ssthresh in segments of
 *     it (an ssthresh not yet set, "infinite", is Linux's 0x7fffffff);
 *   - tcpi_snd_wnd (the peer's window) and tcpi_rcv_space (ours), in
 *     bytes;
 *   - tcpi_total_retrans (segments retransmitted), tcpi_bytes_sent
 *     (retransmissions included, as Linux counts it) and
 *     tcpi_bytes_received.
 * Everything else is zero: the stack does not count it (tcpi_unacked,
 * tcpi_bytes_acked, tcpi_options, the last-activity times, pacing,
 * delivery rate, segment counts). A socket before connect() or after
 * its connect failed is CLOSE with the rest zero, as is a connection
 * the daemon no longer has; a listener is LISTEN with the rest zero.
 *
 * The caller's length is honoured as Linux does: min(length, the
 * structure's size) bytes are copied and the length set to that, so
 * a program built against an older, shorter struct gets its prefix.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/tcp.h>
#include <string.h>

#include "preload.h"

/* Linux's TCP states (include/net/tcp_states.h), as TCP_INFO gives them. */
enum {
	LINUX_TCP_ESTABLISHED = 1,
	LINUX_TCP_SYN_SENT,
	LINUX_TCP_SYN_RECV,
	LINUX_TCP_FIN_WAIT1,
	LINUX_TCP_FIN_WAIT2,
	LINUX_TCP_TIME_WAIT,
	LINUX_TCP_CLOSE,
	LINUX_TCP_CLOSE_WAIT,
	LINUX_TCP_LAST_ACK,
	LINUX_TCP_LISTEN,
	LINUX_TCP_CLOSING,
};

/* Linux's ssthresh before the first loss. */
#define LINUX_INFINITE_SSTHRESH 0x7fffffffu

/* Returns Linux's number for the stack's state st. */
static unsigned linux_state(enum utcp_tcp_state st)
{
	switch (st) {
	case UTCP_TCP_LISTEN:
		return LINUX_TCP_LISTEN;
	case UTCP_TCP_SYN_SENT:
		return LINUX_TCP_SYN_SENT;
	case UTCP_TCP_SYN_RECEIVED:
		return LINUX_TCP_SYN_RECV;
	case UTCP_TCP_ESTABLISHED:
		return LINUX_TCP_ESTABLISHED;
	case UTCP_TCP_FIN_WAIT_1:
		return LINUX_TCP_FIN_WAIT1;
	case UTCP_TCP_FIN_WAIT_2:
		return LINUX_TCP_FIN_WAIT2;
	case UTCP_TCP_CLOSE_WAIT:
		return LINUX_TCP_CLOSE_WAIT;
	case UTCP_TCP_CLOSING:
		return LINUX_TCP_CLOSING;
	case UTCP_TCP_LAST_ACK:
		return LINUX_TCP_LAST_ACK;
	case UTCP_TCP_TIME_WAIT:
		return LINUX_TCP_TIME_WAIT;
	case UTCP_TCP_CLOSED:
	default:
		return LINUX_TCP_CLOSE;
	}
}

/* Saturates v into 32 bits. */
static uint32_t u32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* Fills *ti from the stack's figures *c. */
static void fill(struct tcp_info *ti, const struct utcp_tcp_socket *c)
{
	uint32_t mss = c->mss ? c->mss : 1, ss = c->ssthresh / mss;

	ti->tcpi_state = (uint8_t)linux_state(c->state);
	ti->tcpi_rto = u32(c->rto_ms * 1000);
	ti->tcpi_rtt = u32(c->srtt_us);
	ti->tcpi_rttvar = u32(c->rttvar_us);
	ti->tcpi_snd_mss = c->mss;
	ti->tcpi_rcv_mss = c->mss;
	ti->tcpi_snd_cwnd = c->cwnd / mss;
	ti->tcpi_snd_ssthresh =
	    c->ssthresh == UINT32_MAX || ss > LINUX_INFINITE_SSTHRESH
		? LINUX_INFINITE_SSTHRESH
		: ss;
	ti->tcpi_snd_wnd = c->snd_wnd;
	ti->tcpi_rcv_space = c->rcv_wnd;
	ti->tcpi_total_retrans = u32(c->retransmits);
	ti->tcpi_bytes_sent = c->bytes_sent;
	ti->tcpi_bytes_received = c->bytes_received;
}

/* Gives TCP_INFO for the socket whose entry is *s into the caller's
 * (val, *len). Returns 0, or -1 with errno EFAULT, EINVAL, or the
 * daemon's error (ENETDOWN). */
int give_tcp_info(const struct usock *s, void *val, socklen_t *len)
{
	struct tcp_info ti;
	struct utcp_tcp_socket c;
	struct utcp *u;
	size_t n;
	int err;

	if (!val || !len)
		return fail_with(EFAULT);
	if ((int)*len < 0)
		return fail_with(EINVAL);
	memset(&ti, 0, sizeof(ti));
	ti.tcpi_state = LINUX_TCP_CLOSE;
	if (s->state == USOCK_LISTENING) {
		ti.tcpi_state = LINUX_TCP_LISTEN;
	} else if (s->id >= 0 && (s->state == USOCK_CONNECTED ||
				  s->state == USOCK_CONNECTING)) {
		u = get_handle(&err);
		if (!u)
			return fail_with(open_errno(err));
		err = utcp_tcp_info(u, s->id, &c);
		if (err && err != -ENOENT)
			return fail_with(control_errno(u, err));
		if (!err)
			fill(&ti, &c);
	}
	n = *len < sizeof(ti) ? *len : sizeof(ti);
	memcpy(val, &ti, n);
	*len = (socklen_t)n;
	return 0;
}
