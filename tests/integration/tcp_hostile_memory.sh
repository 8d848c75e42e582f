#!/bin/bash
# tcp_hostile_memory: remote and local peers that pin utcpd's receive
# memory must not stop another connection (issue 8):
#   - 40 raw peers (tcp_attack, an address of their own in the
#     namespace) each send 256 one-byte segments beyond a hole at
#     RCV.NXT, which utcpd can only hold or drop;
#   - 200 libutcp connections whose application never reads, each
#     offered 1 MiB by a kernel sender;
# meanwhile a fresh connection moves 4 MiB each way, intact (SHA-256).
# Once the attackers go, the packet pool and the connections are back
# to what they were before. Figures (pool in use, time taken) are
# printed, never asserted.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"

: "${TCP_ATTACK:?TCP_ATTACK must name the tcp_attack binary}"
: "${TCP_CHURN_HELPER:?TCP_CHURN_HELPER must name the tcp_churn_helper binary}"

# HOSTILE_PINNERS and HOSTILE_UNREAD change the attack (0 leaves one
# out), for figures; the suite runs the defaults.
pinners=${HOSTILE_PINNERS:-40}
segs=256
unread=${HOSTILE_UNREAD:-200}
[[ $UTCP_SANITIZED == 1 && -z ${HOSTILE_UNREAD:-} ]] && unread=50
size=$((4 * 1024 * 1024))
limit=60 # seconds the fresh transfer may take before it fails the test

start_daemon hostmem utthm 10.77.61
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"
ATTACK_IP=10.77.61.3

# pool FIELD: prints the packet pool's FIELD (small_in_use ...).
pool() {
	status_json | "$PYTHON" -c 'import json, sys
print(json.load(sys.stdin)["pool"][sys.argv[1]])' "$1"
}

# pool_at_most SMALL LARGE: the pool has at most that many in use.
pool_at_most() {
	(($(pool small_in_use) <= $1 && $(pool large_in_use) <= $2))
}

# has_line FILE LINE: FILE has LINE.
has_line() {
	grep -qxF "$2" "$1"
}

# conns: prints how many TCP connections (not listeners) utcpd has
# that are not TIME_WAIT or CLOSED.
conns() {
	tcp_count 'not s["listener"] and s["state"] not in ("TIME_WAIT", "CLOSED")'
}

small0=$(pool small_in_use)
large0=$(pool large_in_use)
fds0=$(daemon_fds)
say "baseline: pool small $small0, large $large0 in use; $(conns) connections"

if ((pinners > 0)); then
	say "1. $pinners out-of-order pinners, $segs one-byte segments each"
	# The application accepts them and echoes (nothing ever arrives in order).
	start_bg "$TCP_HELPER" -S "$SOCK" echo-server 5201 "$pinners" >"$TMP/echo.out" 2>&1
	echo_pid=$BG_PID
	wait_for utcp_listening 5201 || fail "the pinners' listener is not up"
	start_ns_bg "$TCP_ATTACK" -i "$TAP" -s "$ATTACK_IP" -d "$DAEMON_IP" -t 110 \
		ooo-pin 5201 "$pinners" "$segs" >"$TMP/attack.out"
	attack_pid=$BG_PID
	wait_for -t 40 has_line "$TMP/attack.out" "pinned $pinners $segs" ||
		fail "the pinners did not get going: $(cat "$TMP/attack.out")"
	wait_for -t 10 output_is "$((pinners * segs))" counter tcp_rx_ooo_segments ||
		say "  (utcpd saw $(counter tcp_rx_ooo_segments) of $((pinners * segs)) segments)"
	say "  pinned: pool small $(pool small_in_use), large $(pool large_in_use) in use;" \
		"ooo compact $(counter tcp_rx_ooo_compact), dropped $(counter tcp_rx_ooo_drop)," \
		"pruned $(counter tcp_rx_ooo_pruned)"
fi

if ((unread > 0)); then
	say "2. $unread connections whose application never reads, 1 MiB offered to each"
	start_ns_bg "$PYTHON" -c '
import selectors, socket, sys, time
addr, port, n, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), time.time() + 110
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((addr, port))
ls.listen(n)
ls.setblocking(False)
sel = selectors.DefaultSelector()
sel.register(ls, selectors.EVENT_READ)
left, buf = {}, b"u" * 65536
print("listening", flush=True)
while time.time() < end:
    for key, _ in sel.select(0.2):
        if key.fileobj is ls:
            c, _ = ls.accept()
            c.setblocking(False)
            left[c] = 1 << 20
            sel.register(c, selectors.EVENT_WRITE)
            continue
        c = key.fileobj
        try:
            left[c] -= c.send(buf[: left[c]])
        except BlockingIOError:
            continue
        except OSError:
            left[c] = 0
        if left[c] <= 0:
            sel.unregister(c)
' "$KERNEL_IP" 5202 "$unread" >"$TMP/sender.out"
	wait_for kernel_tcp_listening 5202 || fail "the kernel's sender is not listening"
	start_bg "$TCP_CHURN_HELPER" -S "$SOCK" hold "$KERNEL_IP" 5202 "$unread" >"$TMP/hold.out"
	hold_pid=$BG_PID
	wait_for -t 60 has_line "$TMP/hold.out" ready ||
		fail "the never-reading connections are not ready: $(cat "$TMP/hold.out")"
	say "  unread: pool small $(pool small_in_use), large $(pool large_in_use) in use;" \
		"dropped under pressure $(counter tcp_rx_drop_mem_pressure)," \
		"no buffer $(counter tcp_rx_drop_no_buffer)"
fi

say "3. a fresh connection: 4 MiB each way at once, intact"
random_file "$TMP/a" "$size"
random_file "$TMP/b" "$size"
start_bg timeout "$limit" ip netns exec "$NS" socat \
	"TCP-LISTEN:5203,bind=$KERNEL_IP,reuseaddr" \
	"SYSTEM:cat $TMP/b & cat >$TMP/k; wait"
srv=$BG_PID
wait_for kernel_tcp_listening 5203 || fail "socat is not listening on 5203"
t0=$(now_ns)
timeout "$limit" "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" 5203 <"$TMP/a" >"$TMP/u" ||
	fail "the fresh transfer failed: utcp-nc exited with status $?" \
		"($(file_size "$TMP/u") of $size bytes arrived)"
wait "$srv" || fail "socat server exited with status $?"
t1=$(now_ns)
[[ $(sha "$TMP/k") == $(sha "$TMP/a") ]] ||
	fail "utcpd -> kernel: $(file_size "$TMP/k") of $size bytes, or they differ"
[[ $(sha "$TMP/u") == $(sha "$TMP/b") ]] ||
	fail "kernel -> utcpd: $(file_size "$TMP/u") of $size bytes, or they differ"
say "  SHA-256 equal both ways under attack: $(rate $((2 * size)) "$t0" "$t1")"
say "  pool small $(pool small_in_use), large $(pool large_in_use) in use;" \
	"pruned $(counter tcp_rx_ooo_pruned), dropped under pressure" \
	"$(counter tcp_rx_drop_mem_pressure), no buffer $(counter tcp_rx_drop_no_buffer)"

say "4. the attackers go: pool and connections back to the baseline"
if ((pinners > 0)); then
		stop_bg "$attack_pid"
		has_line "$TMP/attack.out" "reset $pinners" ||
			fail "the pinners did not reset their connections"
		stop_bg "$echo_pid"
fi
((unread == 0)) || stop_bg "$hold_pid"
wait_for -t 30 output_is 0 conns || fail "connections left: $(tcp_unsettled)"
wait_for -t 30 pool_at_most "$small0" "$large0" ||
	fail "pool small $(pool small_in_use) (was $small0), large $(pool large_in_use) (was $large0) in use"
wait_for output_is "$fds0" daemon_fds ||
	fail "utcpd holds $(daemon_fds) descriptors, $fds0 before"
say "  pool small $(pool small_in_use), large $(pool large_in_use) in use; $(conns) connections"

pass
