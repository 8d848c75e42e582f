#!/bin/bash
# tcp_small_writes: a request the daemon holds in the socketpair (read
# with MSG_PEEK and sent on, consumed once an answer comes: see
# daemon/control_tcp.c) must not stall an application whose writes were
# many and tiny. The daemon is stopped while the application writes one
# byte at a time until its end is full (EAGAIN: hundreds of buffers of
# one byte each), then goes on; the kernel peer only reads, so no answer
# ever comes. Every byte must arrive and the application's blocking
# writes after that must all complete: held bytes are consumed within
# a few milliseconds even without an answer.
# 2. An urgent byte (send(MSG_OOB)) ends a read of the daemon's end
# short, with bytes still after it: the rest of what the application
# wrote must reach the peer without a further write from it.
# 3. So must the bytes after a write that carried descriptors
# (SCM_RIGHTS, which end a read short as well).
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/utcp_run_lib.sh
. "$(dirname "$0")/utcp_run_lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"
NET=10.78.92
MORE=2000 # blocking one-byte writes after the daemon goes on

make_namespace
write_config small-writes smallw0 "$NET"
start_daemon_with_config
app_namespace

cat >"$TMP/peer.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 7000))
s.listen(1)
c, _ = s.accept()
n = 0
while True:
    b = c.recv(65536)
    if not b:
        break
    n += len(b)
c.sendall(str(n).encode())
c.close()
PY
cat >"$TMP/app.py" <<'PY'
import os, signal, socket, sys
daemon, more = int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((sys.argv[1], 7000))
os.kill(daemon, signal.SIGSTOP)
try:
    s.setblocking(False)
    full = 0
    while True:
        try:
            s.send(b"x")
        except BlockingIOError:
            break
        full += 1
finally:
    os.kill(daemon, signal.SIGCONT)
s.setblocking(True)
for i in range(more):
    s.send(b"y")
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    b = s.recv(100)
    if not b:
        break
    got += b
print(full, full + more, got.decode())
PY

start_ns_bg "$PYTHON" "$TMP/peer.py" "$KERNEL_IP"
wait_for kernel_tcp_listening 7000 || fail "the peer is not listening on 7000"

say "1. one-byte writes until the end is full, the daemon stopped; then $MORE more"
out=$(app "$PYTHON" "$TMP/app.py" "$KERNEL_IP" "$DAEMON_PID" "$MORE") ||
	fail "the application did not finish (status $?): $out"
read -r full sent got <<<"$out"
say "   $full writes filled the end; $sent sent, the peer read $got"
((full > 64)) || fail "only $full one-byte writes filled the end"
[[ $got == "$sent" ]] || fail "the peer read $got bytes of $sent"

cat >"$TMP/upeer.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 7001))
s.listen(2)
for i in range(2):
    c, _ = s.accept()
    got = b""
    while len(got) < 6:
        b = c.recv(100)
        if not b:
            break
        got += b
    c.sendall(got)
    c.close()
PY
cat >"$TMP/uapp.py" <<'PY'
import os, signal, socket, sys
daemon, how = int(sys.argv[2]), sys.argv[3]
s = socket.create_connection((sys.argv[1], int(sys.argv[4])))
os.kill(daemon, signal.SIGSTOP)
try:
    if how == "urgent":
        s.send(b"abc")
        s.send(b"!", socket.MSG_OOB)
    else:
        socket.send_fds(s, [b"abc"], [0])
    s.send(b"def")
finally:
    os.kill(daemon, signal.SIGCONT)
# no shutdown: no further event tells the daemon to read on (a stall
# ends in app's time limit)
print(s.recv(100).decode())
PY

start_ns_bg "$PYTHON" "$TMP/upeer.py" "$KERNEL_IP"
wait_for kernel_tcp_listening 7001 || fail "the peer is not listening on 7001"

say "2. abc, an urgent byte, def written while the daemon is stopped"
out=$(app "$PYTHON" "$TMP/uapp.py" "$KERNEL_IP" "$DAEMON_PID" urgent 7001) ||
	fail "the application failed (status $?): $out"
say "   the peer read and echoed: $out"
[[ $out == abcdef ]] || fail "the peer read '$out', not abcdef"

say "3. abc carrying a descriptor, def written while the daemon is stopped"
out=$(app "$PYTHON" "$TMP/uapp.py" "$KERNEL_IP" "$DAEMON_PID" fds 7001) ||
	fail "the application failed (status $?): $out"
say "   the peer read and echoed: $out"
[[ $out == abcdef ]] || fail "the peer read '$out', not abcdef"
pass
