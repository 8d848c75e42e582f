#!/bin/bash
# tcp_edges: the daemon reads an application's end edge-triggered
# (daemon/control_tcp.c): each write is reported once, so any path that
# stops reading with bytes left, or misses a shutdown or a hang-up,
# stalls the connection for good. Each step is one way an edge could be
# consumed without the end being read to its end, played by an
# application under utcp-run against a kernel peer across the TAP; a
# stall ends in the application's alarm or the test's bounded waits.
#  1. The peer resets while both directions are full (the application
#     neither reads nor is read, its write blocked): the blocked write
#     fails, as on a kernel socket, rather than wait for good; the bytes
#     received before the reset are still read.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/utcp_run_lib.sh
. "$(dirname "$0")/utcp_run_lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"
NET=10.78.93

make_namespace
write_config tcp-edges edges0 "$NET"
start_daemon_with_config
app_namespace

# ---- 1. a reset while both directions are full ------------------------
cat >"$TMP/reset_peer.py" <<'PY'
import os, select, socket, struct, sys
# Sends until its direction is full (the application reads nothing),
# and once the application's direction is full too (its mark), resets.
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
c, _ = s.accept()
c.setblocking(False)
while True:
    _, w, _ = select.select([], [c], [], 0.5)
    if w:
        try:
            c.send(b"p" * 65536)
        except BlockingIOError:
            pass
    elif os.path.exists(sys.argv[3]):
        break
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
PY
cat >"$TMP/reset_app.py" <<'PY'
import select, signal, socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.setblocking(False)
while select.select([], [s], [], 0.5)[1]:
    try:
        s.send(b"a" * 65536)
    except BlockingIOError:
        pass
open(sys.argv[3], "w").close()
s.setblocking(True)
signal.alarm(20) # a stall: killed by SIGALRM
try:
    while True:
        s.send(b"a" * 65536)
except (ConnectionResetError, BrokenPipeError) as e:
    wrote = type(e).__name__
n, end = 0, "EOF"
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        n += len(b)
except ConnectionResetError as e:
    end = type(e).__name__
print(wrote, n, end)
PY
say "1. the peer resets while both directions are full, the write blocked"
start_ns_bg "$PYTHON" "$TMP/reset_peer.py" "$KERNEL_IP" 7001 "$TMP/full"
wait_for kernel_tcp_listening 7001 || fail "the peer is not listening on 7001"
out=$(app "$PYTHON" "$TMP/reset_app.py" "$KERNEL_IP" 7001 "$TMP/full") ||
	fail "the blocked write did not fail (status $?): $out"
read -r wrote got end <<<"$out"
say "   the blocked write failed ($wrote); then $got bytes read, and $end"
# A kernel socket's write says ECONNRESET; here the error's urgent byte
# comes after the bytes received before it (docs/ipc.md): EPIPE first.
[[ $wrote == ConnectionResetError || $wrote == BrokenPipeError ]] ||
	fail "the write failed with $wrote"
((got > 0)) || fail "none of the bytes received before the reset were read"

pass
