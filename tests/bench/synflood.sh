#!/bin/bash
# synflood.sh - the SYN flood figure: an established flow's goodput
# without and with a full-rate SYN flood from random sources
#
#     sudo tests/bench/synflood.sh [BUILD_DIR] [SECONDS] [LEGIT]
#
# Uses BUILD_DIR's utcpd, utcpctl and tcp_helper (default: build), so
# that two builds can be compared (README.md, "SYN flood"); the flooder
# is $SYN_FLOOD, else BUILD_DIR's, else this tree's build's. A kernel
# socket sends zeroes to a libutcp sink for SECONDS (default 5), once
# quiet and once while syn_flood (tests/bench/syn_flood.c) writes SYNs
# from random off-link sources to a libutcp echo server's port, as fast
# as it can, on the kernel's side of the TAP; meanwhile LEGIT (default
# 10) kernel connects to that port each try to echo. Prints the goodputs
# and their ratio, the SYNs offered, answered and dropped (by utcpd
# beyond its per-turn budget; by the TAP's queue, which utcpd did not
# read in time), and how many connects succeeded. Never fails on speed;
# fails only when it could not measure.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
B=$(cd "${1:-$HERE/../../build}" && pwd) ||
	{ echo "synflood.sh: no build directory ${1:-build}" >&2; exit 1; }
export UTCPD=$B/daemon/utcpd UTCPCTL=$B/client-lib/utcpctl \
	UTCP_NC=$B/client-lib/utcp-nc TCP_HELPER=$B/tests/integration/tcp_helper
SECS=${2:-5}
LEGIT=${3:-10}
FLOOD=${SYN_FLOOD:-}
for f in "$B/tests/integration/syn_flood" "$B/tests/bench/syn_flood" \
	"$HERE/../../build/tests/integration/syn_flood" \
	"$HERE/../../build/tests/bench/syn_flood"; do
	[[ -z $FLOOD && -x $f ]] && FLOOD=$f
done

# shellcheck source=SCRIPTDIR/../integration/lib.sh
source "$HERE/../integration/lib.sh"
# shellcheck source=SCRIPTDIR/../integration/tcp_lib.sh
source "$HERE/../integration/tcp_lib.sh"
TEST_NAME=synflood # lib.sh says it
[[ -x $FLOOD ]] || fail "no syn_flood program (build it, or set SYN_FLOOD)"

# ctr NAME: a counter, 0 when this build does not have it.
ctr() {
	status_json | "$PYTHON" -c '
import json, sys
print(int(json.load(sys.stdin)["counters"].get(sys.argv[1], 0)))' "$1"
}
answered() {
	echo $(($(ctr tcp_rule_syn_cookie_sent) + $(ctr tcp_rule_deliver_in_1)))
}
# tap_tx_dropped: frames the kernel dropped on its way into the TAP.
tap_tx_dropped() {
	ip -n "$NS" -s -j link show dev "$TAP" | "$PYTHON" -c '
import json, sys
print(json.load(sys.stdin)[0]["stats64"]["tx"]["dropped"])'
}

start_daemon benchsynflood utbsynf 10.77.37
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"
start_bg "$TCP_HELPER" -S "$SOCK" echo-server 7000 10000 >"$TMP/echo.out"
wait_for utcp_listening 7000 || fail "the libutcp echo server is not listening"

# bulk PORT FLOOD: SECS of kernel -> libutcp through a sink on PORT,
# flooding port 7000 meanwhile when FLOOD is 1; sets BYTES.
bulk() {
	local port=$1 flood=$2 sink sender fl=
	start_bg "$TCP_HELPER" -S "$SOCK" sink "$port" /dev/null >"$TMP/sink$port.out"
	sink=$BG_PID
	wait_for utcp_listening "$port" || fail "the sink is not listening"
	start_ns_bg timeout "$SECS" socat -u /dev/zero "TCP:$DAEMON_IP:$port"
	sender=$BG_PID
	wait_for grep -q accepted "$TMP/sink$port.out" || fail "the sink accepted nothing"
	if ((flood)); then
		start_ns_bg "$FLOOD" "$TAP" "$DAEMON_MAC" "$DAEMON_IP" 7000 \
			1000000000 "$((SECS + 1))" >"$TMP/flood.out"
		fl=$BG_PID
		start_ns_bg timeout "$((SECS + 60))" "$PYTHON" "$HERE/../integration/tcp_syn_connects.py" \
			"$DAEMON_IP" 7000 "$LEGIT" 30 >"$TMP/legit.out" 2>/dev/null
		LEGIT_PID=$BG_PID
	fi
	kill -s USR1 "$sink"
	wait_pid "$((SECS + 30))" "$sender" || true
	wait_pid 30 "$sink" || fail "the sink failed: $(cat "$TMP/sink$port.out")"
	[[ -n $fl ]] && { wait_pid 30 "$fl" || fail "syn_flood failed"; }
	BYTES=$(awk '/^received/ { print $2 }' "$TMP/sink$port.out")
}

bulk 7100 0
quiet=$BYTES
over0=$(ctr tcp_rule_syn_over_budget)
ans0=$(answered)
drop0=$(tap_tx_dropped)
bulk 7101 1
busy=$BYTES
wait_pid 90 "$LEGIT_PID" || true
over=$(($(ctr tcp_rule_syn_over_budget) - over0))
ans=$(($(answered) - ans0))
tapdrop=$(($(tap_tx_dropped) - drop0))
read -r _ sent _ fsecs _ frate <"$TMP/flood.out"
say "build: $B"
say "goodput kernel -> libutcp, $SECS s: quiet $(awk -v b="$quiet" -v s="$SECS" 'BEGIN { printf "%.1f MiB/s", b / 1048576 / s }')," \
	"under the flood $(awk -v b="$busy" -v s="$SECS" 'BEGIN { printf "%.1f MiB/s", b / 1048576 / s }')," \
	"ratio $(awk -v a="$busy" -v q="$quiet" 'BEGIN { printf "%.3f", q ? a / q : 0 }')"
say "SYNs offered $sent in $fsecs s ($frate/s); utcpd answered $ans" \
	"($(awk -v n="$ans" -v s="$fsecs" 'BEGIN { printf "%.0f", s ? n / s : 0 }')/s)," \
	"dropped beyond its budget $over; the TAP queue dropped $tapdrop"
say "genuine connects during the flood: $(cat "$TMP/legit.out") (of $LEGIT)"
pass
