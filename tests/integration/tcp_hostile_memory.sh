#!/bin/bash
# tcp_hostile_memory: remote and local peers that pin utcpd's receive
# memory must not stop another connection:
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

small0=$(pool small_in_use)
large0=$(pool large_in_use)
fds0=$(daemon_fds)
say "baseline: pool small $small0, large $large0 in use; $(live_conns) connections"

if ((pinners > 0)); then
	say "1. $pinners out-of-order pinners, $segs one-byte segments each"
	start_pinners 5201 "$pinners" "$segs" 110
	say "  pinned: pool small $(pool small_in_use), large $(pool large_in_use) in use;" \
		"ooo compact $(counter tcp_rx_ooo_compact), dropped $(counter tcp_rx_ooo_drop)," \
		"pruned $(counter tcp_rx_ooo_pruned)"
fi

if ((unread > 0)); then
	say "2. $unread connections whose application never reads, 1 MiB offered to each"
	start_unread 5202 "$unread" $((1 << 20))
	say "  unread: pool small $(pool small_in_use), large $(pool large_in_use) in use;" \
		"dropped under pressure $(counter tcp_rx_drop_mem_pressure)," \
		"no buffer $(counter tcp_rx_drop_no_buffer)"
fi

say "3. a fresh connection: 4 MiB each way at once, intact"
fresh_both_ways 5203 "$size" "$limit"
say "  pool small $(pool small_in_use), large $(pool large_in_use) in use;" \
	"pruned $(counter tcp_rx_ooo_pruned), dropped under pressure" \
	"$(counter tcp_rx_drop_mem_pressure), no buffer $(counter tcp_rx_drop_no_buffer)"

say "4. the attackers go: pool and connections back to the baseline"
((pinners == 0)) || stop_pinners "$pinners"
((unread == 0)) || stop_bg "$UNREAD_APP_PID"
wait_for -t 30 output_is 0 live_conns || fail "connections left: $(tcp_unsettled)"
wait_for -t 30 pool_at_most "$small0" "$large0" ||
	fail "pool small $(pool small_in_use) (was $small0), large $(pool large_in_use) (was $large0) in use"
wait_for output_is "$fds0" daemon_fds ||
	fail "utcpd holds $(daemon_fds) descriptors, $fds0 before"
say "  pool small $(pool small_in_use), large $(pool large_in_use) in use; $(live_conns) connections"

pass
