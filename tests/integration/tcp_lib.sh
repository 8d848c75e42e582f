# shellcheck shell=bash
# tcp_lib.sh - sourced by the TCP integration tests after lib.sh: the
# libutcp helper program, and questions about the daemon's and the
# kernel's TCP sockets.
#
# The environment also names (meson sets them):
#   TCP_HELPER      tests/integration/tcp_helper (see its header)
#   UTCP_SANITIZED  1 in a sanitizer build: move less data

: "${TCP_HELPER:?TCP_HELPER must name the tcp_helper binary}"
UTCP_SANITIZED=${UTCP_SANITIZED:-0}

# helper ARGS...: tcp_helper on the test's daemon.
helper() {
	"$TCP_HELPER" -S "$SOCK" "$@"
}

# kernel_tcp_listening PORT: a kernel socket in the namespace listens on
# TCP port PORT.
kernel_tcp_listening() {
	[[ -n $(nsx ss -Hntl "sport = :$1") ]]
}

# tcp_query EXPR: evaluates the python expression EXPR with `tcp`, the
# list of the daemon's TCP entries (listeners and connections) from
# utcpctl status -a --json, and `st`, the whole status; prints the result.
tcp_query() {
	status_json | "$PYTHON" -c '
import json, sys
st = json.load(sys.stdin)
tcp = [s for s in st["sockets"] if s.get("protocol") == "tcp"]
print(eval(sys.argv[1]))' "$1"
}

# tcp_count FILTER: prints how many of the daemon's TCP entries satisfy
# the python expression FILTER on s (an entry).
tcp_count() {
	tcp_query "sum(1 for s in tcp if ($1))"
}

# utcp_listening PORT: a listener of the daemon is on local port PORT.
utcp_listening() {
	[[ $(tcp_count "s[\"listener\"] and s[\"local\"].endswith(\":$1\")") -ge 1 ]]
}

# tcp_settled: every TCP entry left in the daemon is TIME_WAIT or
# CLOSED (no listener, nothing established or closing).
tcp_settled() {
	[[ $(tcp_count 's["state"] not in ("TIME_WAIT", "CLOSED")') -eq 0 ]]
}

# tcp_unsettled: prints the entries tcp_settled complains about.
tcp_unsettled() {
	tcp_query '[(s["id"], s["state"], s["local"], s["remote"], s["orphan"],
	             s["send_queue"], s["recv_queue"])
	            for s in tcp if s["state"] not in ("TIME_WAIT", "CLOSED")]'
}

# now_ns: a monotonic-enough clock for throughput figures.
now_ns() {
	date +%s%N
}

# rate BYTES START_NS END_NS: prints "X.X MiB in Y.YY s, Z.Z MiB/s".
rate() {
	awk -v b="$1" -v t0="$2" -v t1="$3" 'BEGIN {
		s = (t1 - t0) / 1e9; if (s <= 0) s = 1e-9
		printf "%.1f MiB in %.2f s, %.1f MiB/s", b / 1048576, s, b / 1048576 / s
	}'
}

# wait_pid SECONDS PID: waits (bounded) for the background PID to exit
# and returns its exit status; 124 when it is still running after
# SECONDS (it is then killed).
wait_pid() {
	local secs=$1 pid=$2 status=0
	if ! wait_for -t "$secs" sh -c "! kill -0 $pid 2>/dev/null"; then
		kill -s KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		return 124
	fi
	wait "$pid" || status=$?
	return "$status"
}

# ---- hostile load ---------------------------------------------------
# What tcp_hostile_memory, tcp_send_memory and tcp_hostile_combined
# share: the attackers, the fresh connection that must get through, and
# the measures of what the daemon holds.

# has_line FILE LINE: FILE has LINE.
has_line() {
	grep -qxF "$2" "$1"
}

# output_cmp OP VALUE CMD...: CMD's output compares with VALUE (test's
# -eq, -le, ...).
output_cmp() {
	local op=$1 value=$2
	shift 2
	test "$("$@")" "$op" "$value"
}

# daemon_rss_kib: utcpd's resident set now, KiB (VmRSS).
daemon_rss_kib() {
	awk '/^VmRSS:/ { print $2 }' /proc/"$DAEMON_PID"/status
}

# daemon_hwm_kib: utcpd's largest resident set since it started, KiB
# (VmHWM).
daemon_hwm_kib() {
	awk '/^VmHWM:/ { print $2 }' /proc/"$DAEMON_PID"/status
}

# pool FIELD: prints the packet pool's FIELD (small_in_use, large_max...).
pool() {
	tcp_query "st['pool']['$1']"
}

# pool_in_use: the packet pool's "SMALL LARGE" buffers in use.
pool_in_use() {
	tcp_query '"%d %d" % (st["pool"]["small_in_use"], st["pool"]["large_in_use"])'
}

# pool_at_most SMALL LARGE: the pool has at most that many in use.
pool_at_most() {
	local in_use
	in_use=$(pool_in_use)
	((${in_use% *} <= $1 && ${in_use#* } <= $2))
}

# live_conns: prints how many TCP connections (not listeners) utcpd has
# that are not TIME_WAIT or CLOSED.
live_conns() {
	tcp_count 'not s["listener"] and s["state"] not in ("TIME_WAIT", "CLOSED")'
}

# send_queued: bytes every connection of the daemon holds to send.
send_queued() {
	tcp_query 'sum(s["send_queue"] for s in tcp if not s["listener"])'
}

# start_pinners PORT CONNS SEGS SECONDS: CONNS raw peers (tcp_attack,
# from $ATTACK_IP, an unused address of the test's subnet) connect to a
# libutcp echo server on utcpd's PORT and each send SEGS one-byte
# segments beyond a hole at RCV.NXT, which utcpd can only hold or drop;
# they give up after SECONDS. Returns once they are all pinned; the
# processes are $PINNER_ECHO_PID and $PINNER_ATTACK_PID.
start_pinners() {
	local port=$1 n=$2 segs=$3 secs=$4
	: "${TCP_ATTACK:?TCP_ATTACK must name the tcp_attack binary}"
	# The application accepts them and echoes (nothing ever arrives in order).
	start_bg "$TCP_HELPER" -S "$SOCK" echo-server "$port" "$n" >"$TMP/pin_echo.out" 2>&1
	PINNER_ECHO_PID=$BG_PID
	wait_for utcp_listening "$port" || fail "the pinners' listener is not up"
	start_ns_bg "$TCP_ATTACK" -i "$TAP" -s "$ATTACK_IP" -d "$DAEMON_IP" -t "$secs" \
		ooo-pin "$port" "$n" "$segs" >"$TMP/pin_attack.out"
	PINNER_ATTACK_PID=$BG_PID
	wait_for -t 40 has_line "$TMP/pin_attack.out" "pinned $n $segs" ||
		fail "the pinners did not get going: $(cat "$TMP/pin_attack.out")"
	wait_for -t 10 output_is "$((n * segs))" counter tcp_rx_ooo_segments ||
		say "  (utcpd saw $(counter tcp_rx_ooo_segments) of $((n * segs)) segments)"
}

# stop_pinners N: the pinners reset their N connections and go, and so
# does their echo server.
stop_pinners() {
	stop_bg "$PINNER_ATTACK_PID"
	has_line "$TMP/pin_attack.out" "reset $1" ||
		fail "the pinners did not reset their connections: $(cat "$TMP/pin_attack.out")"
	stop_bg "$PINNER_ECHO_PID"
}

# shellcheck disable=SC2034 # the $*_PID are for the tests that source this
# start_unread PORT COUNT BYTES: COUNT libutcp connections whose
# application never reads (tcp_churn_helper hold) to a kernel peer on
# PORT that sends BYTES on each (tcp_churn_peer.py offer). Returns once
# data has arrived on them; the processes are $UNREAD_APP_PID and
# $UNREAD_PEER_PID.
start_unread() {
	local port=$1 n=$2 bytes=$3
	: "${TCP_CHURN_HELPER:?TCP_CHURN_HELPER must name the tcp_churn_helper binary}"
	start_ns_bg "$PYTHON" "$(dirname "$0")/tcp_churn_peer.py" offer "$KERNEL_IP" "$port" \
		"$bytes" >"$TMP/offer.out"
	UNREAD_PEER_PID=$BG_PID
	wait_for has_line "$TMP/offer.out" listening || fail "the kernel's sender is not listening"
	start_bg "$TCP_CHURN_HELPER" -S "$SOCK" hold "$KERNEL_IP" "$port" "$n" >"$TMP/hold.out" 2>&1
	UNREAD_APP_PID=$BG_PID
	wait_for -t 60 has_line "$TMP/hold.out" ready ||
		fail "the never-reading connections are not ready ($(live_conns) connections):" \
			"$(cat "$TMP/hold.out")"
}

# shellcheck disable=SC2034 # the $*_PID are for the tests that source this
# start_flood PORT COUNT: COUNT libutcp connections (tcp_churn_helper
# flood) write as fast as they may to a kernel sink on PORT that never
# reads (tcp_churn_peer.py sink, 4 KiB receive buffers). Returns once
# every one has been refused a write (its socketpair is full); the
# processes are $FLOOD_APP_PID and $FLOOD_SINK_PID.
start_flood() {
	local port=$1 n=$2
	: "${TCP_CHURN_HELPER:?TCP_CHURN_HELPER must name the tcp_churn_helper binary}"
	start_ns_bg "$PYTHON" "$(dirname "$0")/tcp_churn_peer.py" sink "$KERNEL_IP" "$port" \
		>"$TMP/sink.out"
	FLOOD_SINK_PID=$BG_PID
	wait_for has_line "$TMP/sink.out" listening || fail "the kernel's sink is not listening"
	start_bg "$TCP_CHURN_HELPER" -S "$SOCK" flood "$KERNEL_IP" "$port" "$n" \
		>"$TMP/flood.out" 2>&1
	FLOOD_APP_PID=$BG_PID
	wait_for -t 60 has_line "$TMP/flood.out" ready ||
		fail "the senders never all blocked ($(live_conns) connections):" \
			"$(cat "$TMP/flood.out")"
}

# fresh_both_ways PORT BYTES SECONDS: a fresh libutcp connection
# (utcp-nc) to a kernel socat on PORT moves BYTES each way at once and
# both arrive intact (SHA-256), within SECONDS (a generous bound, not a
# figure: the time taken is printed). Fails the test otherwise.
fresh_both_ways() {
	local port=$1 size=$2 limit=$3 srv t0 t1 status=0
	random_file "$TMP/fresh_a" "$size"
	random_file "$TMP/fresh_b" "$size"
	start_bg timeout "$limit" ip netns exec "$NS" socat \
		"TCP-LISTEN:$port,bind=$KERNEL_IP,reuseaddr" \
		"SYSTEM:cat $TMP/fresh_b & cat >$TMP/fresh_k; wait"
	srv=$BG_PID
	wait_for kernel_tcp_listening "$port" || fail "socat is not listening on $port"
	t0=$(now_ns)
	timeout "$limit" "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" "$port" \
		<"$TMP/fresh_a" >"$TMP/fresh_u" || status=$?
	((status == 0)) ||
		fail "the fresh transfer failed: utcp-nc exited with status $status" \
			"(kernel -> utcpd: $(file_size "$TMP/fresh_u") of $size bytes;" \
			"utcpd -> kernel: $(file_size "$TMP/fresh_k") of $size bytes)"
	wait "$srv" || fail "socat server exited with status $?"
	t1=$(now_ns)
	[[ $(sha "$TMP/fresh_k") == $(sha "$TMP/fresh_a") ]] ||
		fail "utcpd -> kernel: $(file_size "$TMP/fresh_k") of $size bytes, or they differ"
	[[ $(sha "$TMP/fresh_u") == $(sha "$TMP/fresh_b") ]] ||
		fail "kernel -> utcpd: $(file_size "$TMP/fresh_u") of $size bytes, or they differ"
	say "  SHA-256 equal both ways: $(rate $((2 * size)) "$t0" "$t1")"
}
