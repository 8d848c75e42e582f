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
#     fails with ECONNRESET, as on a kernel socket, rather than wait for
#     good; the bytes received before the reset are still read. Asked
#     instead of a write, SO_ERROR says ECONNRESET at once, then 0, and
#     the bytes are read, then EOF.
#  2. A request held in the pair (answered, not yet consumed) and then
#     the application's shutdown(SHUT_WR), or its close, at once: the
#     peer reads EOF each time (a close with the request unread in the
#     daemon's end would be a reset), many times over so that the hold
#     timer races some of them.
#  3. The peer resets while a request is held: the application's read
#     fails with ECONNRESET.
#  4. An end dup()ed, the first copy closed, then fork()ed: the parent
#     closes its copy and exits while the child makes its round trips;
#     the connection lives on until the child shuts it.
#  5. Many connections of one client, a request on each written while
#     the daemon is stopped (more than one epoll_wait's worth of
#     edges): every one is answered.
#  6. Reading stopped for lack of room (the peer does not read), then
#     the application writes abc, an urgent byte and def, or abc with
#     descriptors and def, or abc and shuts its side; once the peer
#     reads, all of it arrives (the urgent byte dropped), and the
#     shutdown as EOF.
#  7. The application sends its own end along on itself (SCM_RIGHTS)
#     and closes it: the end lives on in flight in the daemon's end
#     until the daemon reads it, so the close is no hang-up yet; once
#     read (the kernel closes it) it is, and the peer reads EOF.
#  8. A transmit queue full for the turn (daemon_turn_full) with ends
#     still to read: the rest are read in the turns after.
#  9. An urgent byte, or descriptors, written after a request that is
#     held (answered, still in the pair): the bytes after them arrive.
# 10. A healthy connection with bytes unread, its sending side shut by
#     the process through another copy (dup, a fork()ed child, or another
#     process it was sent to with SCM_RIGHTS): SO_ERROR
#     of the copy that did not shut it says 0, as on a kernel socket (a
#     reset behind unread bytes looks the same from the descriptor).
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
import errno, select, signal, socket, sys, time
# Fills its direction (reading nothing), marks it, then learns of the
# reset by a blocked write ("write") or by asking SO_ERROR ("soerror"),
# then reads what is left.
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.setblocking(False)
while select.select([], [s], [], 0.5)[1]:
    try:
        s.send(b"a" * 65536)
    except BlockingIOError:
        pass
open(sys.argv[3], "w").close()
if sys.argv[4] == "write":
    s.setblocking(True)
    signal.alarm(20) # a stall: killed by SIGALRM
    try:
        while True:
            s.send(b"a" * 65536)
    except (ConnectionResetError, BrokenPipeError) as e:
        said = [type(e).__name__]
else:
    deadline = time.monotonic() + 20
    while True:
        first = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if first or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    said = [errno.errorcode.get(first, first),
            s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)]
s.setblocking(True)
n, end = 0, "EOF"
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        n += len(b)
except OSError as e:
    end = errno.errorcode[e.errno]
print(*said, n, end)
PY
say "1. the peer resets while both directions are full, the write blocked"
start_ns_bg "$PYTHON" "$TMP/reset_peer.py" "$KERNEL_IP" 7001 "$TMP/full"
wait_for kernel_tcp_listening 7001 || fail "the peer is not listening on 7001"
out=$(app "$PYTHON" "$TMP/reset_app.py" "$KERNEL_IP" 7001 "$TMP/full" write) ||
	fail "the blocked write did not fail (status $?): $out"
read -r wrote got end <<<"$out"
say "   the blocked write failed ($wrote); then $got bytes read, and $end"
# A kernel socket's write says ECONNRESET; here the error's urgent byte
# comes after the bytes received before it (docs/ipc.md), and utcp-run
# says ECONNRESET for the EPIPE the write gets, the process never having
# shut the connection's sending side.
[[ $wrote == ConnectionResetError ]] || fail "the write failed with $wrote"
((got > 0)) || fail "none of the bytes received before the reset were read"

# The same, but the application asks SO_ERROR instead of writing: a
# kernel socket says ECONNRESET at once, bytes unread or not, and takes
# it (then 0; the bytes, then EOF). Here the urgent byte still waits
# behind the bytes: utcp-run says ECONNRESET for it (the process never
# shut its sending side), once.
rm -f "$TMP/full"
start_ns_bg "$PYTHON" "$TMP/reset_peer.py" "$KERNEL_IP" 7002 "$TMP/full"
wait_for kernel_tcp_listening 7002 || fail "the peer is not listening on 7002"
out=$(app "$PYTHON" "$TMP/reset_app.py" "$KERNEL_IP" 7002 "$TMP/full" soerror) ||
	fail "SO_ERROR after a reset behind unread bytes: status $?: $out"
read -r first second got end <<<"$out"
say "   SO_ERROR instead: $first, then $second; then $got bytes read, and $end"
[[ $first == ECONNRESET && $second == 0 ]] ||
	fail "SO_ERROR said $first, then $second (want ECONNRESET, then 0)"
((got > 0)) || fail "none of the bytes received before the reset were read"
[[ $end == EOF ]] || fail "the reads ended with $end, not EOF (SO_ERROR took the error)"

# ---- a kernel peer for steps 2-9 -------------------------------------------
# peer.py IP PORT MODE RESULTS: serves each connection in a thread and
# appends a line about it to RESULTS.
#   echo:  echoes until EOF, then closes ("eof", or "reset").
#   reset: reads 3 bytes, then resets ("reset-sent").
#   sink:  reads until EOF ("eof BYTES"), or a reset ("reset").
#   late:  reads nothing until RESULTS.some exists, then 256 KiB, then
#          nothing until RESULTS.go exists, then reads until a "." or EOF
#          ("dot BYTES TAIL" or "eof BYTES TAIL").
cat >"$TMP/peer.py" <<'PY'
import os, socket, struct, sys, threading, time
port, mode, results = int(sys.argv[2]), sys.argv[3], sys.argv[4]
lock = threading.Lock()
def note(line):
    with lock, open(results, "a") as f:
        f.write(line + "\n")
def wait_file(name):
    while not os.path.exists(name):
        time.sleep(0.01)
def serve(c):
    try:
        if mode == "echo":
            try:
                while True:
                    b = c.recv(65536)
                    if not b:
                        note("eof")
                        break
                    c.sendall(b)
            except ConnectionResetError:
                note("reset")
        elif mode == "reset":
            got = b""
            while len(got) < 3:
                got += c.recv(3 - len(got))
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
            note("reset-sent")
        elif mode == "sink":
            n = 0
            try:
                while True:
                    b = c.recv(65536)
                    if not b:
                        note("eof %d" % n)
                        break
                    n += len(b)
            except ConnectionResetError:
                note("reset")
        elif mode == "late":
            wait_file(results + ".some")
            n, tail = 0, b""
            while n < 262144:
                b = c.recv(262144 - n)
                n += len(b)
                tail = (tail + b)[-8:]
            wait_file(results + ".go")
            while True:
                b = c.recv(65536)
                if not b:
                    note("eof %d %s" % (n, tail.decode()))
                    break
                n += len(b)
                tail = (tail + b)[-8:]
                if tail.endswith(b"."):
                    note("dot %d %s" % (n, tail.decode()))
                    break
    finally:
        c.close()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], port))
s.listen(512)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
start_ns_bg "$PYTHON" "$TMP/peer.py" "$KERNEL_IP" 7002 echo "$TMP/echo"
start_ns_bg "$PYTHON" "$TMP/peer.py" "$KERNEL_IP" 7003 reset "$TMP/reset"
start_ns_bg "$PYTHON" "$TMP/peer.py" "$KERNEL_IP" 7004 late "$TMP/late"
start_ns_bg "$PYTHON" "$TMP/peer.py" "$KERNEL_IP" 7005 sink "$TMP/sink"
for port in 7002 7003 7004 7005; do
	wait_for kernel_tcp_listening $port ||
		fail "the peer is not listening on $port"
done
# lines FILE: how many lines FILE has (0 when it is not there).
lines() {
	if [[ -f $1 ]]; then wc -l <"$1"; else echo 0; fi
}
has_lines() {
	(($(lines "$1") >= $2))
}

# ---- 2. a shutdown or a close while a request is held ----------------------
cat >"$TMP/held_end.py" <<'PY'
import signal, socket, sys
signal.alarm(25)
ip, rounds = sys.argv[1], int(sys.argv[2])
for i in range(rounds):
    s = socket.create_connection((ip, 7002))
    s.sendall(b"request %04d" % i)
    got = b""
    while len(got) < 12:
        got += s.recv(12 - len(got))
    if i % 2 == 0:
        # still held (a 12-byte request is consumed by the hold timer or
        # the next read): shut the sending side, read the peer's EOF
        s.shutdown(socket.SHUT_WR)
        if s.recv(100) != b"":
            sys.exit("no EOF after the shutdown")
    s.close()
print("done")
PY
rounds=200
say "2. $rounds requests answered, then at once a shutdown or a close"
out=$(app "$PYTHON" "$TMP/held_end.py" "$KERNEL_IP" $rounds) ||
	fail "the application did not finish (status $?): $out"
wait_for has_lines "$TMP/echo" $rounds ||
	fail "the peer saw $(lines "$TMP/echo") of $rounds connections end"
eofs=$(grep -c '^eof$' "$TMP/echo" || true)
say "   the peer read EOF on $eofs of $rounds connections"
((eofs == rounds)) || fail "$((rounds - eofs)) connections ended in a reset"

# ---- 3. the peer resets while a request is held ----------------------------
cat >"$TMP/held_reset.py" <<'PY'
import signal, socket, sys
signal.alarm(25)
s = socket.create_connection((sys.argv[1], 7003))
s.sendall(b"abc")
try:
    print("read %d bytes" % len(s.recv(100)))
except ConnectionResetError:
    print("ECONNRESET")
PY
say "3. the peer resets while a request is held"
for i in 1 2 3; do
	out=$(app "$PYTHON" "$TMP/held_reset.py" "$KERNEL_IP") ||
		fail "the application did not finish (status $?): $out"
	[[ $out == ECONNRESET ]] || fail "try $i: the read gave $out"
done
say "   the read failed with ECONNRESET, three times out of three"

# ---- 4. dup(), close, fork() -----------------------------------------------
cat >"$TMP/forked.py" <<'PY'
import os, signal, socket, sys
signal.alarm(25)
s = socket.create_connection((sys.argv[1], 7002))
fd = os.dup(s.fileno())
s.close() # one copy closed: the connection lives on
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(w)
    os.read(r, 1) # EOF: the parent closed its copy and is gone
    n = 0
    for i in range(int(sys.argv[2])):
        os.write(fd, b"ping %04d" % i)
        got = b""
        while len(got) < 9:
            got += os.read(fd, 9 - len(got))
        n += got == b"ping %04d" % i
    socket.socket(fileno=os.dup(fd)).shutdown(socket.SHUT_WR)
    print(n, os.read(fd, 100) == b"", flush=True)
    os._exit(0)
os.close(fd) # the parent's copy
os._exit(0) # and the parent goes (the pipe's end with it)
PY
rounds=300
before=$(lines "$TMP/echo")
say "4. an end dup()ed, the first copy closed, fork(); the parent goes, the child makes $rounds round trips"
out=$(app "$PYTHON" "$TMP/forked.py" "$KERNEL_IP" $rounds | cat) ||
	fail "the application did not finish (status $?): $out"
say "   the child's echoes intact, and EOF after its shutdown: $out"
[[ $out == "$rounds True" ]] || fail "the child got '$out'"
wait_for has_lines "$TMP/echo" $((before + 1)) ||
	fail "the peer did not see the connection end"
[[ $(tail -n 1 "$TMP/echo") == eof ]] || fail "the connection ended in a reset"

# ---- 5. many connections, a request on each while the daemon is stopped ----
cat >"$TMP/many.py" <<'PY'
import os, signal, socket, sys
signal.alarm(25)
ip, daemon, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
conns = [socket.create_connection((ip, 7002)) for i in range(n)]
os.kill(daemon, signal.SIGSTOP)
try:
    for i, s in enumerate(conns):
        s.send(b"req %05d" % i)
finally:
    os.kill(daemon, signal.SIGCONT)
ok = 0
for i, s in enumerate(conns):
    got = b""
    while len(got) < 9:
        got += s.recv(9 - len(got))
    ok += got == b"req %05d" % i
print(ok)
PY
# many_requests CONNS: many.py on CONNS connections; all answered.
many_requests() {
	local out
	out=$(app "$PYTHON" "$TMP/many.py" "$KERNEL_IP" "$DAEMON_PID" "$1") ||
		fail "the application did not finish (status $?): $out"
	say "   $out of $1 answered"
	((out == $1)) || fail "only $out of $1 requests were answered"
}
say "5. 300 connections of one client, a request on each while the daemon is stopped"
many_requests 300

# ---- 6. reading stopped for lack of room; then urgent data, descriptors, or
# a shutdown ------------------------------------------------------------------
cat >"$TMP/no_room.py" <<'PY'
import os, select, signal, socket, sys
signal.alarm(25)
ip, how, marks = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.create_connection((ip, 7004))
s.setblocking(False)
n = 0
# Full: the peer reads nothing, the daemon stopped reading for room.
while select.select([], [s], [], 0.5)[1]:
    try:
        n += s.send(b"x" * 65536)
    except BlockingIOError:
        pass
# The peer reads 256 KiB and stops: the daemon reads on as far as the
# connection takes it, and stops again, with room left in the end.
open(marks + ".some", "w").close()
select.select([], [s], [], 20)
if how == "urgent":
    n += s.send(b"abc")
    s.send(b"!", socket.MSG_OOB)
    n += s.send(b"def.")
elif how == "fds":
    n += socket.send_fds(s, [b"abc"], [0])
    n += s.send(b"def.")
else:
    n += s.send(b"abc")
    s.shutdown(socket.SHUT_WR)
print(n, flush=True)
# no write more: only what the daemon does makes the rest arrive
open(marks + ".go", "w").close()
s.setblocking(True)
s.recv(1) # until the test is over
PY
for how in urgent fds shutdown; do
	rm -f "$TMP/late" "$TMP/late.some" "$TMP/late.go"
	say "6. reading stopped for room, then $how"
	# the application stays until killed: its output is its byte count
	start_bg timeout 60 ip netns exec "$APPNS" "${APP_ENV[@]}" "$UTCP_RUN" \
		-S "$SOCK" -- "$PYTHON" "$TMP/no_room.py" "$KERNEL_IP" "$how" \
		"$TMP/late" >"$TMP/no_room.out"
	wait_for -t 20 has_lines "$TMP/late" 1 ||
		fail "$how: the peer did not get the end of the stream"
	read -r sent <"$TMP/no_room.out"
	read -r kind got tail <"$TMP/late"
	say "   the application wrote $sent bytes; the peer read $got ($kind), ending ${tail: -7}"
	[[ $kind == "$([[ $how == shutdown ]] && echo eof || echo dot)" ]] ||
		fail "$how: the peer read $kind"
	((got == sent)) || fail "$how: the peer read $got bytes of $sent"
	stop_bg "$BG_PID"
done

# ---- 7. the application's own end sent along on itself, then closed -------
cat >"$TMP/own_end.py" <<'PY'
import signal, socket, sys
signal.alarm(25)
s = socket.create_connection((sys.argv[1], 7005))
s.sendall(b"first")
socket.send_fds(s, [b"last"], [s.fileno()])
s.close()
print("closed")
PY
say "7. the application's own end sent on itself, then closed"
out=$(app "$PYTHON" "$TMP/own_end.py" "$KERNEL_IP") ||
	fail "the application did not finish (status $?): $out"
wait_for has_lines "$TMP/sink" 1 || fail "the peer did not see the connection end"
say "   the peer's connection ended: $(cat "$TMP/sink")"
[[ $(cat "$TMP/sink") == "eof 9" ]] || fail "the peer read $(cat "$TMP/sink")"

# ---- 8. a full transmit queue for the turn, with edges left to read -------
# A daemon with 96 small buffers stops reading ends once 48 frames wait
# in its transmit queue for the turn (daemon_turn_full), and re-sets the
# entries of the rest: 60 requests written at once (one frame each) must
# all be answered. (Not fewer buffers: TCP keeps its last 64 for ACKs
# and drops data that would take them.)
stop_daemon || fail "utcpd did not stop cleanly"
write_config tcp-edges edges0 "$NET" "[limits]" "pkt_small_max = 96"
start_daemon_with_config
say "8. 60 requests at once to a daemon whose turn is full after 48 frames"
many_requests 60

# ---- 9. urgent bytes and descriptors after a held request -----------------
cat >"$TMP/after_held.py" <<'PY'
import signal, socket, sys
signal.alarm(25)
s = socket.create_connection((sys.argv[1], 7002))
def echo(data):
    got = b""
    while len(got) < len(data):
        b = s.recv(100)
        if not b:
            break
        got += b
    return got == data
ok = 0
for i in range(20):
    s.sendall(b"abc") # held: answered, still in the pair
    ok += echo(b"abc")
    s.send(b"!", socket.MSG_OOB) # no edge of its own to the rest
    s.send(b"def")
    ok += echo(b"def")
    socket.send_fds(s, [b"ghi"], [0])
    ok += echo(b"ghi")
print(ok)
PY
say "9. an urgent byte, then descriptors, after a held request (20 times)"
out=$(app "$PYTHON" "$TMP/after_held.py" "$KERNEL_IP") ||
	fail "the application did not finish (status $?): $out"
say "   $out of 60 echoes intact"
((out == 60)) || fail "only $out of 60 echoes came back intact"

# ---- 10. SO_ERROR of a healthy connection shut through another copy -------
cat >"$TMP/shut_peer.py" <<'PY'
import socket, sys
# Sends a few bytes and holds each connection open (no FIN, not even
# after the application's end of stream).
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(8)
held = []
while True:
    c, _ = s.accept()
    c.sendall(b"hello")
    held.append(c)
PY
cat >"$TMP/shut_copy.py" <<'PY'
import os, select, signal, socket, sys
# Shuts its sending side through a copy ("dup"), in a child ("fork"),
# or in a process made before the connection that is sent a copy
# ("sent", SCM_RIGHTS), with the peer's bytes unread, then asks
# SO_ERROR of the other copy.
signal.alarm(20)
if sys.argv[3] == "sent":
    here, there = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        _, fds, _, _ = socket.recv_fds(there, 1, 1)
        socket.socket(fileno=fds[0]).shutdown(socket.SHUT_WR)
        os._exit(0)
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
select.select([s], [], [], 20) # the peer's bytes are here, unread
if sys.argv[3] == "dup":
    d = s.dup()
    d.shutdown(socket.SHUT_WR)
elif sys.argv[3] == "sent":
    socket.send_fds(here, [b"x"], [s.fileno()])
    os.waitpid(pid, 0)
else:
    pid = os.fork()
    if pid == 0:
        s.shutdown(socket.SHUT_WR)
        os._exit(0)
    os.waitpid(pid, 0)
print(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), s.recv(100).decode())
PY
say "10. SO_ERROR of a connection shut through another copy, bytes unread"
start_ns_bg "$PYTHON" "$TMP/shut_peer.py" "$KERNEL_IP" 7010
wait_for kernel_tcp_listening 7010 || fail "the peer is not listening on 7010"
for how in dup fork sent; do
	out=$(app "$PYTHON" "$TMP/shut_copy.py" "$KERNEL_IP" 7010 "$how") ||
		fail "$how: the application did not finish (status $?): $out"
	say "   shut through a $how copy: SO_ERROR $out"
	[[ $out == "0 hello" ]] ||
		fail "$how: SO_ERROR of a healthy connection said $out (want 0 hello)"
done

pass
