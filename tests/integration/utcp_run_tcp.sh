#!/bin/bash
# utcp_run_tcp: TCP semantics of programs under utcp-run, each compared
# with Linux's (python3 on a kernel socket in the test's namespace runs
# the same code where the outputs can be the same). The programs run in
# a namespace of their own with nothing but loopback, so whatever works,
# worked through the daemon.
#   1. options on a connection inherited across fork: the child sets
#      TCP_NODELAY, SO_KEEPALIVE and TCP_KEEPIDLE and reads them back,
#      the parent sees them; a child that forks after connecting talks
#      on the connection, then the parent does.
#   2. TCP_INFO: CLOSE before connect, LISTEN on a listener; on a
#      connection ESTABLISHED with RTO, MSS, RTT, cwnd set and the bytes
#      received counted; a short length gets the prefix.
#   3. SO_LINGER (1, 10): close() returns once the data (300 KiB, which
#      the peer reads slowly) and the FIN are acknowledged - the peer has
#      them all when it is asked after - on a blocking and on a non-blocking socket; with (1, 0)
#      it resets the connection; set before exec, the new program reads
#      it (and TCP_NODELAY), sets SO_KEEPALIVE, and its close() waits;
#      with (1, 1) on a connection whose peer never reads, close() waits
#      the second and succeeds.
#   4. epoll: a socket added before connect() sees the connection made
#      and the answer; a socket added before listen() sees the
#      connection to accept (which has the TCP_NODELAY the listener was
#      given after listen(), as on Linux); the fifth epoll set of a
#      socket before connect is refused (ENOSPC); a UDP socket added
#      before its first datagram (which binds it) sees the answer.
#   5. getnameinfo() and gethostbyaddr() look nothing up: numeric host,
#      EAI_NONAME with NI_NAMEREQD, HOST_NOT_FOUND.
#   6. the control path's errors (bind twice, listen twice, connect on a
#      listener, shutdown before connect, accept on a connection, default
#      option values, SO_RCVTIMEO and SO_SNDTIMEO kept across listen()
#      and connect(), accept() timing out, connect() again after a
#      refusal, shutdown() of a listener, readv() and writev() of 1025
#      iovecs on a connection and a UDP socket, a pipe in the place of a
#      connection closed by close_range(), a UDP socket's FIONREAD
#      when empty, sends of 0 and 65508 bytes, shutdown()...) are the
#      kernel's; a blocking recv() that a handler with SA_RESTART
#      interrupted goes on waiting, as the kernel's (the handler runs
#      once it returned the data), and so does a blocking accept().
#   7. loopback and IPv6 are the kernel's by default (a TCP exchange on
#      127.0.0.1 in the application's namespace, an AF_INET6 socket); with
#      --loopback=fail and --ipv6=fail they are refused (EADDRNOTAVAIL,
#      ENETUNREACH, EAFNOSUPPORT), each said once on stderr.
#   8. a library whose constructor calls socket(), getsockopt(), close()
#      and write() before the layer's own constructor ran (it crashed).
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/utcp_run_lib.sh
. "$(dirname "$0")/utcp_run_lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"

PEER=$(dirname "$0")/utcp_run_tcp_peer.py
NET=10.78.62

make_namespace
write_config utcp-run-tcp uttcp0 "$NET"
start_daemon_with_config
app_namespace

# peer ARGS...: the peer script under utcp-run.
peer() {
	app "$PYTHON" "$PEER" "$@"
}

# kernel ARGS...: the peer script on kernel sockets in the test's
# namespace, at most 30 s.
kernel() {
	timeout 30 ip netns exec "$NS" "$PYTHON" "$PEER" "$@"
}

# serve NAME ARGS...: starts the peer script's server NAME on the
# kernel's side; its port is in $TMP/NAME.port.
serve() {
	local what=$1
	shift
	start_ns_bg "$PYTHON" "$PEER" "$what" "$TMP/$what.port" "$@"
	wait_for test -s "$TMP/$what.port" || fail "the kernel's $what did not start"
}

serve echo
ECHO=$(cat "$TMP/echo.port")

say "1. options on a connection inherited across fork; a child that forks after connecting"
out=$(peer inheritopts "$KERNEL_IP" "$ECHO" 2>&1) || fail "inheritopts: status $?: $out"
want=$(kernel inheritopts "$KERNEL_IP" "$ECHO" 2>&1) || fail "inheritopts on the kernel: $want"
[[ $want == $'before 0 0 7200\nchild 1 1 42\nparent 1 1 42\nSTILL' ]] ||
	fail "inheritopts on the kernel: ${want//$'\n'/ }"
[[ $out == "$want" ]] || fail "inheritopts: ${out//$'\n'/ }, the kernel's: ${want//$'\n'/ }"
out=$(peer forkuse "$KERNEL_IP" "$ECHO" 2>&1) || fail "forkuse: status $?: $out"
[[ $out == $'child FROM CHILD\nparent FROM PARENT' ]] || fail "forkuse: ${out//$'\n'/ }"

say "2. TCP_INFO before connect, on a listener, on a connection"
out=$(peer tcpinfo "$KERNEL_IP" "$ECHO" 2>&1) || fail "tcpinfo: status $?: $out"
want="pending state 7
listener state 10
INFO
length 232
state 1
rto set True
mss set True True
rtt set True True
cwnd segments True
ssthresh 2147483647
bytes received 5
short 8 1"
[[ $out == "$want" ]] || fail "tcpinfo: ${out//$'\n'/ }, want ${want//$'\n'/ }"

say "3. SO_LINGER: close() waits for the acknowledgement, or for the time"
serve lingerpeer
for mode in block nonblock; do
	out=$(peer linger "$KERNEL_IP" "$(cat "$TMP/lingerpeer.port")" $mode 2>&1) ||
		fail "linger $mode: status $?: $out"
	[[ $out == $'linger (1, 10)\n307200 eof' ]] || fail "linger $mode: ${out//$'\n'/ }"
done
out=$(peer lingerreset "$KERNEL_IP" "$(cat "$TMP/lingerpeer.port")" 2>&1) ||
	fail "lingerreset: status $?: $out"
want=$(kernel lingerreset "$KERNEL_IP" "$(cat "$TMP/lingerpeer.port")" 2>&1) ||
	fail "lingerreset on the kernel: status $?: $want"
[[ $want == reset && $out == "$want" ]] ||
	fail "lingerreset: ${out//$'\n'/ }, the kernel's: ${want//$'\n'/ }"
out=$(peer execopts "$KERNEL_IP" "$(cat "$TMP/lingerpeer.port")" 2>&1) ||
	fail "execopts: status $?: $out"
want=$(kernel execopts "$KERNEL_IP" "$(cat "$TMP/lingerpeer.port")" 2>&1) ||
	fail "execopts on the kernel: status $?: $want"
[[ $want == $'nodelay 1\nlinger (1, 10)\nkeepalive 1\n307200 eof' && $out == "$want" ]] ||
	fail "execopts: ${out//$'\n'/ }, the kernel's: ${want//$'\n'/ }"
serve sink
out=$(peer lingerwait "$KERNEL_IP" "$(cat "$TMP/sink.port")" 2>&1) ||
	fail "lingerwait: status $?: $out"
want=$(kernel lingerwait "$KERNEL_IP" "$(cat "$TMP/sink.port")" 2>&1) ||
	fail "lingerwait on the kernel: status $?: $want"
[[ $want == "close waited True" && $out == "$want" ]] ||
	fail "lingerwait: ${out//$'\n'/ }, the kernel's: ${want//$'\n'/ }"

say "4. epoll sets that a socket joined before connect() or listen()"
out=$(peer epollclient "$KERNEL_IP" "$ECHO" 2>&1) || fail "epollclient: status $?: $out"
[[ $out == $'connect EINPROGRESS\nwritable True'*$'\nerror 0\nreadable True\nEPOLL' ]] ||
	fail "epollclient: ${out//$'\n'/ }"
peer epollserver "$TMP/app.port" >"$TMP/epollserver.out" 2>&1 &
srv=$!
STARTED_PIDS+=("$srv")
wait_for test -s "$TMP/app.port" || fail "epollserver did not start: $(cat "$TMP/epollserver.out")"
port=$(cat "$TMP/app.port")
wait_for utcp_listening "$port" || fail "utcpd has no listener on $port"
out=$(nsx "$PYTHON" -c "
import socket
s = socket.create_connection(('$DAEMON_IP', $port))
s.sendall(b'accepted\n')
print(s.makefile().readline().strip())") || fail "the kernel client of epollserver: $out"
[[ $out == ACCEPTED ]] || fail "the kernel client of epollserver got '$out'"
wait "$srv" || fail "epollserver: status $?: $(cat "$TMP/epollserver.out")"
[[ $(cat "$TMP/epollserver.out") == $'set 5: ENOSPC\nacceptable True\nnodelay 1' ]] ||
	fail "epollserver: $(cat "$TMP/epollserver.out")"

serve udpecho
out=$(peer epolludp "$KERNEL_IP" "$(cat "$TMP/udpecho.port")" 2>&1) ||
	fail "epolludp: status $?: $out"
[[ $out == $'readable True\nDATAGRAM' ]] || fail "epolludp: ${out//$'\n'/ }"

say "5. getnameinfo and gethostbyaddr look nothing up"
out=$(peer names "$KERNEL_IP" 2>&1) || fail "names: status $?: $out"
want="('$KERNEL_IP', 'http')
('$KERNEL_IP', '80')
NAMEREQD True
gethostbyaddr herror 1"
[[ $out == "$want" ]] || fail "names: ${out//$'\n'/ }, want ${want//$'\n'/ }"

say "6. the control path's errors, as the kernel's"
out=$(peer semantics "$KERNEL_IP" "$ECHO" 2>&1) || fail "semantics: status $?: $out"
want=$(kernel semantics "$KERNEL_IP" "$ECHO" 2>&1) || fail "semantics on the kernel: $want"
[[ $out == "$want" ]] || fail "semantics differ from the kernel's:
$(diff <(echo "$want") <(echo "$out"))"

say "6b. a blocking recv() and accept() interrupted by a handler with SA_RESTART goes on, as the kernel's"
out=$(peer restart "$KERNEL_IP" "$ECHO" 2>&1) || fail "restart: status $?: $out"
want=$(kernel restart "$KERNEL_IP" "$ECHO" 2>&1) || fail "restart on the kernel: $want"
[[ $want == $'handler ran after the data\nrecv b\'RESTART\\n\'' ]] ||
	fail "restart on the kernel: ${want//$'\n'/ }"
[[ $out == "$want" ]] || fail "restart: ${out//$'\n'/ }, want ${want//$'\n'/ }"

# restartaccept HOW IP NAME: the peer's restartaccept, run by HOW (peer,
# or kernel_bg for the kernel's), its listener connected to on IP once
# it says so; what it printed is in $TMP/NAME.out.
restartaccept() {
	local how=$1 ip=$2 name=$3 pid port
	"$how" restartaccept "$TMP/$name.port" >"$TMP/$name.out" 2>&1 &
	pid=$!
	STARTED_PIDS+=("$pid")
	wait_for test -s "$TMP/$name.port.go" || fail "$name did not start: $(cat "$TMP/$name.out")"
	port=$(cat "$TMP/$name.port")
	nsx "$PYTHON" -c "
import socket
socket.create_connection(('$ip', $port)).sendall(b'in')" || fail "$name: no connection"
	wait "$pid" || fail "$name: status $?: $(cat "$TMP/$name.out")"
}

# kernel_bg ARGS...: the peer script on kernel sockets, for restartaccept.
kernel_bg() {
	ip netns exec "$NS" "$PYTHON" "$PEER" "$@"
}

restartaccept kernel_bg "$KERNEL_IP" kaccept
want=$(cat "$TMP/kaccept.out")
[[ $want == $'handler ran after the connection\naccepted b\'in\'' ]] ||
	fail "restartaccept on the kernel: ${want//$'\n'/ }"
restartaccept peer "$DAEMON_IP" uaccept
out=$(cat "$TMP/uaccept.out")
[[ $out == "$want" ]] || fail "restartaccept: ${out//$'\n'/ }, want ${want//$'\n'/ }"

say "7. loopback and IPv6 go to the kernel, or fail when asked to"
out=$(peer families 2>"$TMP/families.err") || fail "families: status $?: $out"
want="bind loopback: ok
connect loopback: ECONNREFUSED
sendto loopback: 1
loopback exchange: b'lo'
ipv6 socket: domain 10"
[[ $out == "$want" ]] || fail "families by default: ${out//$'\n'/ }, want ${want//$'\n'/ }"
[[ ! -s $TMP/families.err ]] || fail "families by default said: $(cat "$TMP/families.err")"
APP_OPTS=(--loopback=fail --ipv6=fail)
out=$(peer families 2>"$TMP/families.err") || fail "families, fail: status $?: $out"
APP_OPTS=()
want="bind loopback: EADDRNOTAVAIL
connect loopback: ENETUNREACH
sendto loopback: ENETUNREACH
loopback exchange: EADDRNOTAVAIL
ipv6 socket: EAFNOSUPPORT"
[[ $out == "$want" ]] || fail "families, fail: ${out//$'\n'/ }, want ${want//$'\n'/ }"
[[ $(grep -c 'loopback addresses are not supported (--loopback=fail)' "$TMP/families.err") == 1 ]] ||
	fail "--loopback=fail said: $(cat "$TMP/families.err")"
[[ $(grep -c 'IPv6 sockets are not supported (--ipv6=fail)' "$TMP/families.err") == 1 ]] ||
	fail "--ipv6=fail said: $(cat "$TMP/families.err")"
status=0
out=$("$UTCP_RUN" --loopback=maybe -- true 2>&1) || status=$?
[[ $status == 2 && $out == *"--loopback is kernel or fail"* ]] ||
	fail "--loopback=maybe: status $status: $out"

say "8. a library's constructor that uses sockets before the layer's own ran"
: "${UTCP_RUN_CTOR:?UTCP_RUN_CTOR must name the constructor test program}"
out=$(app "$UTCP_RUN_CTOR" 2>&1) || fail "constructor program: status $?: $out"
want="constructor: socket type 1
main"
[[ $out == "$want" ]] || fail "constructor program: ${out//$'\n'/ }, want ${want//$'\n'/ }"

pass
