#!/bin/bash
# tcp_semantics: what an application sees through libutcp is what a
# kernel socket gives, with the namespace's kernel as the peer (and, for
# the error after a FIN, as the reference: a kernel client runs the same
# steps against the same server).
#   1. non-blocking connect: the descriptor is not writable while the
#      connect is in progress; it becomes writable when it is over, and
#      utcp_tcp_error() (SO_ERROR) says how: connected, ECONNREFUSED,
#      ETIMEDOUT;
#   2. shutdown(SHUT_RD) stops reception only: what the kernel sends
#      afterwards is queued in the daemon, and the connection carries
#      the application's data afterwards;
#   3. a RST after the peer's FIN (CLOSE-WAIT): a receive returns 0 and
#      a send EPIPE, as the kernel's own client sees it;
#   4. calls on the wrong kind of socket are refused (EOPNOTSUPP,
#      EDESTADDRREQ);
#   5. the daemon stops while utcp-nc downloads (its socketpair full):
#      utcp-nc reports "Network is down" and exits 1 (not 0, as for a
#      complete stream).
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"

peer=$(dirname "$0")/tcp_peer.py
NOBODY_IP=10.77.43.99 # on the link; nobody answers ARP for it

start_daemon tcpsem uttcpsem 10.77.43
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"

say "1. non-blocking connect: writable when over, SO_ERROR says how"
start_ns_bg socat "TCP-LISTEN:5301,bind=$KERNEL_IP,reuseaddr,fork" EXEC:cat
wait_for kernel_tcp_listening 5301 || fail "socat is not listening on 5301"
out=$(timeout 40 "$TCP_HELPER" -S "$SOCK" nb-connect "$KERNEL_IP" 5301 5000) ||
	fail "nb-connect exited with status $?"
[[ $out == *" connected" ]] || fail "non-blocking connect to a listener: $out"
say "  to a listening port: $out"
out=$(timeout 40 "$TCP_HELPER" -S "$SOCK" nb-connect "$KERNEL_IP" 5399 5000) ||
	fail "nb-connect exited with status $?"
[[ $out == *" ECONNREFUSED" ]] || fail "non-blocking connect to a closed port: $out"
say "  to a closed port: $out"
out=$(timeout 40 "$TCP_HELPER" -S "$SOCK" nb-connect "$NOBODY_IP" 5301 2000) ||
	fail "nb-connect exited with status $?"
[[ $out == "pending ETIMEDOUT" ]] || fail "non-blocking connect to nobody: $out"
say "  to an address nobody answers, 2 s timeout: $out"

say "2. shutdown(SHUT_RD) stops reception and keeps the connection"
start_ns_bg "$PYTHON" -c '
import socket, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((sys.argv[1], 5302))
srv.listen(1)
srv.settimeout(20)
conn, _ = srv.accept()
conn.settimeout(20)
conn.sendall(b"hello\n")
f = conn.makefile("rb")
assert f.readline() == b"ready\n"
conn.sendall(b"m" * 1000)
line = f.readline()
print("got", line.decode().strip(), flush=True)
conn.close()' "$KERNEL_IP" >"$TMP/shutrd.out"
srv=$BG_PID
wait_for kernel_tcp_listening 5302 || fail "python is not listening on 5302"
out=$(timeout 40 "$TCP_HELPER" -S "$SOCK" shut-rd "$KERNEL_IP" 5302) ||
	fail "shut-rd exited with status $?"
[[ $out == ok ]] || fail "shut-rd said: $out"
wait_pid 20 "$srv" || fail "the kernel's side failed (status $?)"
[[ $(cat "$TMP/shutrd.out") == "got after" ]] ||
	fail "the kernel did not get what was sent after SHUT_RD: $(cat "$TMP/shutrd.out")"
say "  1000 bytes queued in the daemon, reads give 0, the kernel $(cat "$TMP/shutrd.out")"

say "3. a RST after the peer's FIN: as the kernel's own client sees it"
# after_fin_server PORT: FIN, then a RST once the client's byte came.
after_fin_server() {
	start_ns_bg "$PYTHON" -c '
import socket, struct, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((sys.argv[1], int(sys.argv[2])))
srv.listen(1)
srv.settimeout(20)
conn, _ = srv.accept()
conn.settimeout(20)
conn.sendall(b"data")
conn.shutdown(socket.SHUT_WR)
assert conn.recv(1) == b"x"
conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
conn.close()' "$KERNEL_IP" "$1"
	wait_for kernel_tcp_listening "$1" || fail "python is not listening on $1"
}
after_fin_server 5303
kernel=$(nsx timeout 30 "$PYTHON" -c '
import errno, select, socket, sys
c = socket.create_connection((sys.argv[1], 5303), timeout=20)
while c.recv(64):
    pass
c.send(b"x")
p = select.poll()
p.register(c, select.POLLERR)
p.poll(20000)
r = c.recv(64)
try:
    s = "%d" % c.send(b"y")
except OSError as e:
    s = errno.errorcode[e.errno]
print("recv %d send %s" % (len(r), s))' "$KERNEL_IP") || fail "the kernel's client failed"
after_fin_server 5304
out=$(timeout 40 "$TCP_HELPER" -S "$SOCK" after-fin "$KERNEL_IP" 5304) ||
	fail "after-fin exited with status $?"
[[ $out == "$kernel" ]] || fail "after a RST in CLOSE-WAIT libutcp gives '$out', the kernel '$kernel'"
say "  libutcp: $out; kernel: $kernel"

say "4. calls on the wrong kind of socket are refused"
out=$(timeout 40 "$TCP_HELPER" -S "$SOCK" wrong-kind "$KERNEL_IP" 5301) ||
	fail "wrong-kind exited with status $?"
[[ $out == "EOPNOTSUPP EDESTADDRREQ" ]] || fail "wrong-kind said: $out"
say "  utcp_send on TCP, write on unconnected UDP: $out"

say "5. the daemon stops during a download: utcp-nc fails"
# utcp-nc's output goes to a pipe nobody reads yet, so it stops reading
# and its socketpair fills: the error must get through a full one.
start_ns_bg "$PYTHON" "$peer" stream-server "$KERNEL_IP" 5305 >/dev/null
wait_for kernel_tcp_listening 5305 || fail "the kernel's server is not listening"
mkfifo "$TMP/hold" "$TMP/slow"
exec 7<>"$TMP/hold" # keeps utcp-nc's stdin open
timeout 30 "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" 5305 <"$TMP/hold" >"$TMP/slow" 2>"$TMP/down.err" &
nc=$!
exec 8<"$TMP/slow"
# full: the daemon holds received bytes the socketpair does not take
backed_up() {
	(($(tcp_count 's["remote"].endswith(":5305") and s["recv_queue"] > 0') >= 1))
}
wait_for backed_up || fail "utcp-nc's socketpair never filled: $(tcp_unsettled)"
stop_daemon TERM || fail "utcpd did not stop cleanly"
cat <&8 >/dev/null &
status=0
wait "$nc" || status=$?
exec 7>&- 8<&-
((status == 1)) || fail "utcp-nc exited $status when the daemon stopped: $(cat "$TMP/down.err")"
grep -q "Network is down" "$TMP/down.err" || fail "utcp-nc said: $(cat "$TMP/down.err")"
say "  utcp-nc, its socketpair full: $(cat "$TMP/down.err")"

pass
