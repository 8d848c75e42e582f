#!/bin/bash
# memory.sh - utcpd's memory per connection at its descriptor limit,
# beside the kernel's
#
#     sudo tests/bench/memory.sh [BUILD_DIR] [N]
#
# utcpd raises its soft RLIMIT_NOFILE to the hard one and logs how many
# TCP connections that leaves descriptors for; with connections_max
# configured above it, that is the limit. N (default: that limit)
# connections are opened three times over, each time fresh, from
# libutcp (utcp-bench) to a kernel peer in the daemon's namespace, and
# then the same from kernel sockets in the baseline's namespace
# (bench_lib.sh's setup, README.md):
#   idle     the peer accepts and holds them (utcp-bench -k hold);
#   to app   the peer sends BYTES on each, which the application never
#            reads (tcp_churn_peer.py offer);
#   to send  the application writes BYTES on each to a peer that never
#            reads (tcp_churn_peer.py sink, 4 KiB receive buffers).
# For each, per connection: the daemon's resident set (VmRSS) growth,
# the kernel's slab growth (the whole machine's: noisy) and the memory
# of the application's sockets (ss -m: utcpd's socketpairs, the
# kernel's TCP sockets). It prints figures and a table, and never fails
# because of them; it fails (1) when it could not measure, and skips
# (77) without root.
#
# Tunables (environment): BENCH_MEM_BYTES (BYTES, default 16384).

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench_lib.sh
source "$HERE/bench_lib.sh"
TEST_NAME=memory

BYTES=${BENCH_MEM_BYTES:-16384}
CHUNKS=262144 # send_chunks_max: 512 MiB, so that BYTES to send fit in it

# As many connections as descriptors allow (utcpd lowers connections_max
# to that and says so), none refused for being one client's or one
# table's too many or for want of a local port (all go to one peer's
# port), send chunks enough for BYTES each.
setup "[control]" "connections_max = 1048576" "connections_per_client = 1048576" \
	"[tcp]" "conns_max = 65536" "send_chunks_max = $CHUNKS" "local_port_range = 1024 65535"
budget=$(sed -n 's/.*descriptors for \([0-9]*\) TCP connections.*/\1/p' "$LOG" | tail -n 1)
[[ -n $budget ]] || fail "utcpd did not log its descriptor budget"
N=${2:-$budget}
say "RLIMIT_NOFILE $(ulimit -Hn): utcpd has descriptors for $budget connections; opening $N"
rss_idle=$(rss_kb "$DAEMON_PID")
say "daemon idle: VmRSS $rss_idle kB; $(daemon_pool)"

run() {
	local name=$1 peer=$2
	say "$N connections, $name"
	held "$name-utcpd" ns utcpd "$KERNEL_IP" "$N" "$peer" "$BYTES"
	held_stop
	wait_for -t 120 output_is 0 live_conns ||
		say "$name-utcpd: $(live_conns) connections left in utcpd"
	held "$name-kernel" nsb kernel "$VM_NS" "$N" "$peer" "$BYTES"
	held_stop
}

# live_conns: utcpd's TCP connections that are not TIME_WAIT or CLOSED.
live_conns() {
	status_json | "$PYTHON" -c '
import json, sys
print(sum(1 for s in json.load(sys.stdin)["sockets"]
          if s.get("protocol") == "tcp" and not s["listener"]
          and s["state"] not in ("TIME_WAIT", "CLOSED")))'
}

run idle hold
run toapp offer
run tosend sink
rss_after=$(rss_kb "$DAEMON_PID")
peak=$(awk '/^VmHWM:/ { print $2 }' "/proc/$DAEMON_PID/status")

echo
echo "utcpd memory at the descriptor limit: $(uname -r), $(nproc) CPUs;" \
	"$N connections (RLIMIT_NOFILE $(ulimit -Hn)), $BYTES bytes queued each"
row "figure (bytes per connection)" "utcpd" "kernel" "note"
row "----------------------------------------" "------------------" "------------------" "-------------"
row "connections open, idle" "$(v idle-utcpd-ok)" "$(v idle-kernel-ok)" "errors: $(v idle-utcpd-errors) / $(v idle-kernel-errors)"
row "daemon RSS, idle" "$(v idle-utcpd-rss)" "-" "block, channel, tables"
row "kernel slab, idle" "$(v idle-utcpd-slab)" "$(v idle-kernel-slab)" "utcpd: socketpair + peer; kernel: both ends"
row "daemon RSS, $BYTES B to the app" "$(v toapp-utcpd-rss)" "-" "the socketpair holds it"
row "app socket memory, $BYTES B to the app" "$(v toapp-utcpd-skmem)" "$(v toapp-kernel-skmem)" "ss -m r+t+w"
row "kernel slab, $BYTES B to the app" "$(v toapp-utcpd-slab)" "$(v toapp-kernel-slab)" ""
row "daemon RSS, $BYTES B to send" "$(v tosend-utcpd-rss)" "-" "send chunks"
row "app socket memory, $BYTES B to send" "$(v tosend-utcpd-skmem)" "$(v tosend-kernel-skmem)" "ss -m r+t+w"
row "kernel slab, $BYTES B to send" "$(v tosend-utcpd-slab)" "$(v tosend-kernel-slab)" ""
echo
echo "daemon VmRSS: idle $rss_idle kB, at the end $rss_after kB, peak $peak kB" \
	"(the pools keep what they allocated)"
TEST_STATUS=0
exit 0
