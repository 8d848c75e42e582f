#!/bin/bash
# utcp_run_udp: UDP sockets of unmodified programs through utcp-run. The
# programs run in a namespace with nothing but loopback, so a datagram
# that reached the kernel instead of utcpd would find no route; the
# peers are kernel UDP sockets on the other side of the TAP.
#   1. python3 under utcp-run: an unconnected client (recvfrom's source,
#      the port the server saw = getsockname's), a connected one
#      (getpeername ENOTCONN before, SO_TYPE, send/recv, sendto the
#      peer, IP_TTL seen by the server), a server (bind to port 0) answering a kernel client; a
#      socket connected again to another peer on the same port, then
#      disconnected (AF_UNSPEC: bind() to port 0 kept no port, as on
#      Linux), and an unbound one's disconnect unbinding it.
#   2. a 100-byte datagram into 10 bytes (recvmsg's MSG_TRUNC,
#      recv_into with MSG_TRUNC gives 100, MSG_PEEK, FIONREAD 100 then
#      0); sendmsg of three buffers and recvmsg_into two; the largest
#      datagram (65507 bytes) there and back and one byte more
#      (EMSGSIZE); EDESTADDRREQ; EAGAIN (MSG_DONTWAIT, non-blocking,
#      and an unbound non-blocking socket); a connected socket to a
#      closed port: ECONNREFUSED from recv, then from SO_ERROR, then 0;
#      shutdown (ENOTCONN unconnected; SHUT_RD reads b"", SHUT_WR EPIPE);
#      options read back (Linux's doubled SO_RCVBUF), listen EOPNOTSUPP.
#   3. a C program: sendmmsg, recvmmsg (MSG_WAITFORONE, then a timeout),
#      write/read and writev/readv on a connected socket, sendmsg and
#      recvmsg at the iovec limit (1024) and beyond (EMSGSIZE).
#   4. a socket used by a forked child after its parent exited, and ones
#      kept across exec (not bound yet; connected).
#   5. socat: UDP4 client to a kernel server, UDP4-RECVFROM server for a
#      kernel client, each with the data compared both ways.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/utcp_run_lib.sh
. "$(dirname "$0")/utcp_run_lib.sh"

: "${UTCP_RUN_MMSG:?UTCP_RUN_MMSG must name the mmsg test program}"
PEER=$(dirname "$0")/utcp_run_udp_peer.py
NET=10.78.62

make_namespace
write_config utcp-run-udp utrunu0 "$NET"
start_daemon_with_config
app_namespace

# echo_server NAME COUNT: starts the kernel's echo server for COUNT
# datagrams, its port in $TMP/NAME.port; sets $port.
echo_server() {
	rm -f "$TMP/$1.port"
	start_bg ip netns exec "$NS" env ECHO_ADDR="$KERNEL_IP" \
		"$PYTHON" "$PEER" echo "$TMP/$1.port" "$2"
	wait_for test -s "$TMP/$1.port" || fail "the kernel's echo server $1 did not start"
	port=$(cat "$TMP/$1.port")
}

# expect WHAT GOT WANT: fails unless GOT is WANT.
expect() {
	[[ $2 == "$3" ]] || fail "$1: got '$(echo $2)', want '$(echo $3)'"
}

say "1. python3: an unconnected client, a connected one, a server"
echo_server plain 2
out=$(app "$PYTHON" "$PEER" client "$KERNEL_IP" "$port" hello) ||
	fail "the unconnected client: status $?: $out"
expect "the unconnected client" "$out" $'HELLO\nTrue\nTrue'
wait "$BG_PID" || fail "the echo server exited with status $?"

echo_server conn 3
out=$(app "$PYTHON" "$PEER" cclient "$KERNEL_IP" "$port" there) ||
	fail "the connected client: status $?: $out"
expect "the connected client" "$out" $'ENOTCONN\nTrue\nTrue\nTHERE\nAGAIN\n[33]\nTrue'
wait "$BG_PID" || fail "the echo server exited with status $?"

echo_server again1 2
port1=$port pid1=$BG_PID
echo_server again2 1
out=$(app "$PYTHON" "$PEER" reconnect "$KERNEL_IP" "$port1" "$port") ||
	fail "reconnect: status $?: $out"
expect "connect again, then AF_UNSPEC" "$out" \
	$'FIRST True\nSECOND True True\n0\nENOTCONN\nTHIRD True False\nTrue 0 0'
wait "$pid1" || fail "the first echo server exited with status $?"
wait "$BG_PID" || fail "the second echo server exited with status $?"

app "$PYTHON" "$PEER" server "$TMP/app.port" >"$TMP/app.out" 2>&1 &
srv=$!
STARTED_PIDS+=("$srv")
wait_for test -s "$TMP/app.port" || fail "the server under utcp-run did not start: $(cat "$TMP/app.out")"
port=$(cat "$TMP/app.port")
wait_for socket_bound "$port" || fail "utcpd has no socket on port $port"
out=$(nsx "$PYTHON" "$PEER" send "$DAEMON_IP" "$port" ping) ||
	fail "the kernel client: status $?: $out"
expect "the kernel client of the server under utcp-run" "$out" $'PING\nTrue'
wait "$srv" || fail "the server under utcp-run exited with status $?: $(cat "$TMP/app.out")"
expect "the server under utcp-run" "$(cat "$TMP/app.out")" "served $KERNEL_IP"

say "2. truncation, iovecs, the limits, errors, options"
echo_server trunc 2
out=$(app "$PYTHON" "$PEER" trunc "$KERNEL_IP" "$port") || fail "trunc: status $?: $out"
expect "a 100-byte datagram into 10 bytes" "$out" \
	$'100\n100\nTTTTTTTTTT True\n100 UUUUUUUUUU\n0'
wait "$BG_PID" || fail "the echo server exited with status $?"

echo_server iov 1
out=$(app "$PYTHON" "$PEER" iov "$KERNEL_IP" "$port") || fail "iov: status $?: $out"
expect "sendmsg and recvmsg_into with iovecs" "$out" "6 AB CDEF 0 True"
wait "$BG_PID" || fail "the echo server exited with status $?"

echo_server limits 1
out=$(app "$PYTHON" "$PEER" limits "$KERNEL_IP" "$port") || fail "limits: status $?: $out"
expect "the limits and errors" "$out" \
	$'65507 True\nEMSGSIZE\nEDESTADDRREQ\nEAGAIN\nEAGAIN\nEAGAIN'
wait "$BG_PID" || fail "the echo server exited with status $?"

out=$(app "$PYTHON" "$PEER" refused "$KERNEL_IP" 9) || fail "refused: status $?: $out"
expect "a connected socket to a closed port" "$out" $'ECONNREFUSED\nECONNREFUSED\n0'

out=$(app "$PYTHON" "$PEER" shut "$KERNEL_IP" 9) || fail "shut: status $?: $out"
expect "shutdown" "$out" $'ENOTCONN\nb\'\'\nEPIPE'

out=$(app "$PYTHON" "$PEER" options) || fail "options: status $?: $out"
expect "options read back" "$out" $'1 1 131072 212992 7 16 True True\nEOPNOTSUPP'

say "3. sendmmsg, recvmmsg, read/write and readv/writev"
echo_server mmsg 8
out=$(app "$UTCP_RUN_MMSG" "$KERNEL_IP" "$port") || fail "utcp_run_mmsg: status $?: $out"
expect "utcp_run_mmsg" "$out" "sent 3 3 3 5
ONE 3 from-peer
TWO 3 from-peer
THREE 5 from-peer
sent 2 4 4
got 2 FOUR FIVE timeout-left
read WRITE
readv 6 WRI TEV
iovecs: 1025 -1 EMSGSIZE, 1024 1024; 1025 -1 EMSGSIZE, 1024 1024 same"
wait "$BG_PID" || fail "the echo server exited with status $?"

say "4. a socket used by a forked child after its parent exited, one kept across exec"
echo_server fork 1
out=$(app "$PYTHON" "$PEER" forkclient "$KERNEL_IP" "$port") || fail "forkclient: status $?: $out"
expect "the forked child's socket" "$out" "CHILD"
wait "$BG_PID" || fail "the echo server exited with status $?"

echo_server execnew 1
out=$(app "$PYTHON" "$PEER" execnew "$KERNEL_IP" "$port" 2>&1) || fail "execnew: status $?: $out"
expect "a socket not bound yet kept across exec" "$out" $'True True\nNEW True True'
wait "$BG_PID" || fail "the echo server exited with status $?"
# The connection that made it is close-on-exec: the socket stays as it
# belongs to its descriptor (UDP_OPEN's OWN_FD, docs/ipc.md).
echo_server exec 2
out=$(app "$PYTHON" "$PEER" execclient "$KERNEL_IP" "$port" 2>&1) || fail "execclient: status $?: $out"
expect "the socket kept across exec (IP_TTL set there)" "$out" $'True True True\nEXEC\n[9]'
wait "$BG_PID" || fail "the echo server exited with status $?"

say "5. socat: a UDP4 client, a UDP4-RECVFROM server"
echo_server socat 1
out=$(printf "from socat" | app socat -d -d -t 5 - "UDP4:$KERNEL_IP:$port" 2>"$TMP/socat1.err") ||
	fail "socat UDP4: status $?: $out: $(cat "$TMP/socat1.err")"
expect "socat's UDP4 client" "$out" "FROM SOCAT"
wait "$BG_PID" || fail "the echo server exited with status $?"

port=40123
app socat "UDP4-RECVFROM:$port" SYSTEM:"tr a-z A-Z" >"$TMP/socat.out" 2>&1 &
srv=$!
STARTED_PIDS+=("$srv")
wait_for socket_bound "$port" || fail "socat's UDP4-RECVFROM is not bound: $(cat "$TMP/socat.out")"
out=$(nsx "$PYTHON" "$PEER" send "$DAEMON_IP" "$port" "to socat") ||
	fail "the kernel client of socat: status $?: $out"
expect "the kernel client of socat" "$out" $'TO SOCAT\nTrue'
wait "$srv" || fail "socat UDP4-RECVFROM exited with status $?: $(cat "$TMP/socat.out")"

pass
