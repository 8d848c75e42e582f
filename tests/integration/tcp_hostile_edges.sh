#!/bin/bash
# tcp_hostile_edges: one client plays the nastiest mix against the
# daemon's edge-triggered reading of applications' ends
# (daemon/control_tcp.c) on many connections at once, to a kernel peer
# that reads everything:
#   - one-byte writes each carrying a descriptor (SCM_RIGHTS: each ends
#     a read of the daemon's end, so one read per byte);
#   - one-byte writes each followed by an urgent byte (MSG_OOB: the
#     same);
#   - tiny writes as fast as they go;
#   - connections opened, written to and shut or closed at once;
#   - all of it from a fork()ed second process too, on the same ends;
# and then a C client (edge_flood) writing one-byte writes that carry a
# descriptor, or are followed by an urgent byte, as fast as its two
# processes can on 64 connections.
# Meanwhile another client makes round trips on a connection of its own
# to a kernel echo server: every one is answered (a stall ends in its
# alarm), and the time taken and the slowest round trip are printed,
# with the same client's figures before the attack. The attackers stop,
# and the daemon is back to its baseline of connections.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/utcp_run_lib.sh
. "$(dirname "$0")/utcp_run_lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"
NET=10.78.94
conns=64 # the attacker's connections (its two processes share them)
rounds=${EDGE_ROUNDS:-2000} # the well-behaved client's round trips (at most)
flood_conns=${EDGE_FLOOD_CONNS:-64} # the C flooder's connections (two processes)
: "${EDGE_FLOOD:?EDGE_FLOOD must name the edge_flood binary}"

make_namespace
write_config hostedges edgesh0 "$NET"
start_daemon_with_config
app_namespace

# serve.py IP PORT: a kernel server of many connections on PORT: 7011
# echoes, 7012 reads and drops everything (a process each, so that the
# flood the sink reads does not delay the echoes).
cat >"$TMP/serve.py" <<'PY'
import selectors, socket, sys
sel = selectors.DefaultSelector()
port = int(sys.argv[2])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], port))
s.listen(1024)
s.setblocking(False)
sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        if key.fileobj is s:
            c, _ = s.accept()
            c.setblocking(False)
            sel.register(c, selectors.EVENT_READ)
            continue
        try:
            b = key.fileobj.recv(262144)
        except BlockingIOError:
            continue
        except ConnectionResetError:
            b = b""
        if not b:
            sel.unregister(key.fileobj)
            key.fileobj.close()
        elif port == 7011:
            key.fileobj.setblocking(True)
            key.fileobj.sendall(b)
            key.fileobj.setblocking(False)
PY
for port in 7011 7012; do
	start_ns_bg "$PYTHON" "$TMP/serve.py" "$KERNEL_IP" $port
done
for port in 7011 7012; do
	wait_for kernel_tcp_listening $port ||
		fail "the server is not listening on $port"
done

# roundtrips.py IP N: round trips of 64 bytes on one connection, N of
# them or as many as 8 s allow (the time is not asserted: a loaded
# machine makes fewer); prints how many, the seconds taken and the
# slowest in milliseconds. One that takes 20 s is a stall: it exits
# saying how many were done (within app's 30 s either way; the slowest
# seen under the floods was 2.6 s before the daemon's per-wakeup read
# bound, 0.3 s after).
cat >"$TMP/roundtrips.py" <<'PY'
import signal, socket, sys, time
done = 0
def stalled(sig, frame):
    sys.exit("stalled: no round trip for 20 s, after %d" % done)
signal.signal(signal.SIGALRM, stalled)
s = socket.create_connection((sys.argv[1], 7011))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
worst, t0 = 0.0, time.monotonic()
while done < int(sys.argv[2]) and time.monotonic() - t0 < 8:
    signal.alarm(20)
    msg = b"%064d" % done
    t = time.monotonic()
    s.sendall(msg)
    got = b""
    while len(got) < 64:
        b = s.recv(64 - len(got))
        if not b:
            sys.exit("EOF after %d round trips" % done)
        got += b
    if got != msg:
        sys.exit("round trip %d came back wrong" % done)
    worst = max(worst, time.monotonic() - t)
    done += 1
print("%d %.2f %.1f" % (done, time.monotonic() - t0, worst * 1000))
PY

# attack.py IP CONNS STOPFILE: the hostile mix until STOPFILE exists.
cat >"$TMP/attack.py" <<'PY'
import os, select, socket, sys
ip, n, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3]
conns = []
for i in range(n):
    s = socket.create_connection((ip, 7012))
    s.setblocking(False)
    conns.append(s)
os.fork() # two processes on the same ends from here on
r, _ = os.pipe() # the descriptor sent along
kinds = ["fds", "urgent", "tiny", "fds", "urgent"]
turn = sent = 0
while not os.path.exists(stop):
    turn += 1
    _, ready, _ = select.select([], conns, [], 0.2)
    for s in ready:
        kind = kinds[s.fileno() % len(kinds)]
        try:
            for k in range(64):
                if kind == "fds":
                    socket.send_fds(s, [b"f"], [r])
                elif kind == "urgent":
                    s.send(b"u")
                    s.send(b"!", socket.MSG_OOB)
                else:
                    s.send(b"t")
                sent += 1
        except BlockingIOError:
            pass
    # churn: a connection opened, written to, shut or closed at once
    c = socket.create_connection((ip, 7012))
    c.send(b"churn")
    if turn % 2:
        c.shutdown(socket.SHUT_WR)
    c.close()
    sent += 5
print(sent)
PY

conns0=$(live_conns)
# conns_at_least N, conns_at_most N: the daemon's live connections.
conns_at_least() {
	(($(live_conns) >= $1))
}
conns_at_most() {
	(($(live_conns) <= $1))
}
say "1. round trips (at most $rounds), no attack"
out=$(app "$PYTHON" "$TMP/roundtrips.py" "$KERNEL_IP" "$rounds") ||
	fail "the round trips did not finish (status $?): $out"
read -r made took worst <<<"$out"
say "   $made round trips in $took s, the slowest $worst ms"

# attack_bytes FILE: the bytes the attacker's processes said they wrote,
# one count a line (attack.py's two processes print one each,
# edge_flood one for both), summed in the shell's 64-bit integers (awk
# printed a sum past 2^31 as 2.4e+11); "an unknown number of" when no
# process said, or a line is not a count (then the lines, quoted).
attack_bytes() {
	local lines line total=0
	mapfile -t lines <"$1"
	for line in "${lines[@]}"; do
		if [[ ! $line =~ ^[0-9]{1,18}$ ]]; then
			printf 'an unknown number of (it said %q)' "${lines[*]:0:4}"
			return
		fi
		total=$((total + 10#$line))
	done
	if ((${#lines[@]} == 0)); then
		printf 'an unknown number of'
	else
		printf '%d' "$total"
	fi
}

# under_attack WHAT CONNS PROGRAM ARGS...: runs PROGRAM under utcp-run in
# the application's namespace until $TMP/stop exists, and once the
# daemon has its CONNS connections makes the round trips meanwhile and
# prints their figures (and the bytes PROGRAM says it wrote);
# then the daemon's connections must come back to the baseline.
under_attack() {
	local what=$1 want=$2 attacker out made took worst
	shift 2
	rm -f "$TMP/stop"
	start_bg timeout 120 ip netns exec "$APPNS" "${APP_ENV[@]}" "$UTCP_RUN" \
		-S "$SOCK" -- "$@" >"$TMP/attack.out"
	attacker=$BG_PID
	wait_for -t 30 conns_at_least $((conns0 + want)) ||
		fail "$what: the attacker did not open its connections"
	out=$(app "$PYTHON" "$TMP/roundtrips.py" "$KERNEL_IP" "$rounds") ||
		fail "the round trips did not finish under $what (status $?): $out"
	read -r made took worst <<<"$out"
	touch "$TMP/stop"
	wait_pid 20 "$attacker" || true
	stop_bg "$attacker"
	say "   $made round trips in $took s, the slowest $worst ms;" \
		"the attacker wrote $(attack_bytes "$TMP/attack.out") bytes; $(uptime)"
	daemon_alive || fail "utcpd died"
	wait_for -t 30 conns_at_most "$conns0" ||
		fail "$what: $(live_conns) connections left of the baseline $conns0"
}

say "2. the same while one client attacks on $conns connections from two processes"
under_attack "the mix" "$conns" "$PYTHON" "$TMP/attack.py" "$KERNEL_IP" \
	"$conns" "$TMP/stop"
for kind in fds urgent; do
	say "3. the same while a C client floods $flood_conns connections with one-byte $kind writes"
	under_attack "the $kind flood" "$flood_conns" "$EDGE_FLOOD" "$KERNEL_IP" \
		7012 "$flood_conns" 2 "$kind" "$TMP/stop"
done
say "   the attackers gone: connections back to $(live_conns)"
pass
