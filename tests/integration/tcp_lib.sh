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
# utcpctl status --json, and `st`, the whole status; prints the result.
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
