#!/bin/bash
# sock_options: socket semantics a libutcp application sees as a kernel
# socket's, checked from the kernel's side of the TAP:
#   - what write() takes ahead of a peer that does not read is close to
#     the configured send buffer (the socketpair adds only a little);
#   - IP_TOS, IP_TTL and TCP_MAXSEG are on the wire (a capture on the
#     kernel's side of the TAP: every segment's TOS and TTL, the SYN's
#     MSS option), and the kernel sends segments no larger than it;
#   - SO_LINGER 0: close() resets the connection;
#   - a UDP socket's IP_TOS and IP_TTL reach the kernel's socket;
#   - listen without a port takes an ephemeral one the kernel can
#     connect to, and the accepted descriptor does not inherit the
#     listener's O_NONBLOCK (accept4's flags decide, as on Linux).
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

: "${SOCK_HELPER:?SOCK_HELPER must name the sock_helper binary}"
peer=$(dirname "$0")/sock_peer.py

start_daemon sockopts utsockopt 10.77.9

# The write-ahead allowed beyond the send buffer: the socketpair's share
# (daemon/control_tcp.c, channel_pair_size: half the send buffer, at
# least the kernel's minimum) plus one write in flight.
SNDBUF=65536
SLACK=40960
say "a writer facing a peer that does not read gets about $SNDBUF bytes ahead"
start_ns_bg "$PYTHON" "$peer" sink-count "$KERNEL_IP" 5001 "$TMP/go" \
	>"$TMP/sink.out"
wait_for grep -q listening "$TMP/sink.out" || fail "sink not listening"
total=$("$SOCK_HELPER" -S "$SOCK" fill "$KERNEL_IP" 5001 "$SNDBUF")
# sink_reported: the sink printed its count (for wait_for).
sink_reported() {
	(($(wc -l <"$TMP/sink.out") >= 2))
}
wait_for -t 20 sink_reported || fail "the sink did not report"
queued=$(sed -n 2p "$TMP/sink.out")
touch "$TMP/go"
ahead=$((total - queued))
say "  write() took $total bytes, the peer holds $queued: $ahead ahead of it"
((ahead >= SNDBUF)) || fail "only $ahead bytes ahead: the send buffer is $SNDBUF"
((ahead <= SNDBUF + SLACK)) ||
	fail "$ahead bytes ahead, over the send buffer $SNDBUF + $SLACK"

say "IP_TOS 184, IP_TTL 17 and TCP_MAXSEG 700 are on the wire; linger 0 resets"
# Only segments to 5002: the sink's connection above may still be
# finishing (its last data, FIN and ACKs went with the defaults).
start_ns_bg "$PYTHON" "$peer" capture "$TAP" "$DAEMON_IP" "$TMP/capture" \
	5002 >"$TMP/capture.out"
CAPTURE_PID=$BG_PID
wait_for grep -q capturing "$TMP/capture.out" || fail "no capture"
start_ns_bg "$PYTHON" "$peer" accept-maxseg "$KERNEL_IP" 5002 >"$TMP/mss.out"
wait_for grep -q listening "$TMP/mss.out" || fail "peer not listening"
out=$("$SOCK_HELPER" -S "$SOCK" opts "$KERNEL_IP" 5002 184 17 700 1)
[[ $out == "tos 184 ttl 17 maxseg 700 linger 1" ]] ||
	fail "options read back as: $out"
wait_for grep -q '^R' "$TMP/capture" || fail "no RST after a linger-0 close"
stop_bg "$CAPTURE_PID"
kernel_mss=$(sed -n 2p "$TMP/mss.out")
say "  the kernel sends segments of at most $kernel_mss bytes"
((kernel_mss <= 700)) || fail "the kernel's MSS is $kernel_mss, over 700"
read -r flags tos ttl mss < <(grep '^S' "$TMP/capture" | head -1)
[[ $flags == S && $mss == 700 ]] || fail "the SYN was: $flags mss $mss"
while read -r flags tos ttl mss; do
	((tos == 184 && ttl == 17)) ||
		fail "a $flags segment went with TOS $tos, TTL $ttl"
done <"$TMP/capture"
grep -q '^P\?A' "$TMP/capture" || fail "no data segment captured"
say "  $(wc -l <"$TMP/capture") segments, each with TOS 184 and TTL 17"
if grep -q F "$TMP/capture"; then
	fail "a FIN went out: linger 0 must reset"
fi

say "a UDP socket's IP_TOS 104 and IP_TTL 9 reach the kernel (IP_RECVTOS, IP_RECVTTL)"
start_ns_bg "$PYTHON" "$peer" udp-tos "$KERNEL_IP" 5003 >"$TMP/udp.out"
wait_for grep -q listening "$TMP/udp.out" || fail "UDP peer not listening"
out=$("$SOCK_HELPER" -S "$SOCK" udp-opts "$KERNEL_IP" 5003 104 9)
[[ $out == sent ]] || fail "udp send: $out"
wait_for grep -q '^tos' "$TMP/udp.out" || fail "no datagram at the kernel"
got=$(grep '^tos' "$TMP/udp.out")
[[ $got == "tos 104 ttl 9" ]] || fail "the kernel saw: $got"

say "listen without a port: the kernel connects to the port it took"
start_bg "$SOCK_HELPER" -S "$SOCK" listen-any >"$TMP/listen.out"
wait_for grep -q '^port' "$TMP/listen.out" || fail "no port"
port=$(awk '/^port/ {print $2}' "$TMP/listen.out")
((port >= 49152 && port <= 65535)) || fail "port $port is not ephemeral"
reply=$(nsx "$PYTHON" - "$DAEMON_IP" "$port" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.sendall(b"echo me")
got = b""
while len(got) < 7:
    chunk = s.recv(7 - len(got))
    if not chunk:
        break
    got += chunk
s.close()
print(got.decode())
PY
)
[[ $reply == "echo me" ]] || fail "echo through the ephemeral port: '$reply'"
grep -q '^nonblock 0' "$TMP/listen.out" ||
	fail "the accepted descriptor inherited O_NONBLOCK"

pass
