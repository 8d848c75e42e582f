#!/bin/bash
# tcp_hostile_grown: receive-buffer auto-tuning (on by default) must not
# let grown buffers take the pool from another connection:
#   - 24 libutcp connections, one after the other, each read 2 MiB from
#     a kernel sender as fast as it comes (their buffers grow from a
#     16 KiB start towards the default 4 MiB ceiling), then are read no
#     more while the sender goes on: each may fill the window it grew;
#   - on a pool of 64 large buffers (4 MiB), which that takes past its
#     pressure mark (half of it);
# meanwhile a fresh connection moves 4 MiB each way, intact (SHA-256).
# Asserted: the buffers grew (a connection holds more than the 16 KiB it
# started with; the daemon counts the growth), the pool went past its
# pressure mark, the fresh transfer completed, and once the attackers
# go the pool and the connections are back to the baseline. Figures
# (pool in use, time taken, the largest receive queue) are printed.
# The start is 16 KiB rather than the default 256 KiB so that a buffer
# grows whenever its reader takes 8 KiB per round trip (at least 1 ms
# by the timestamp clock), which a loaded machine always manages.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"

: "${TCP_CHURN_HELPER:?TCP_CHURN_HELPER must name the tcp_churn_helper binary}"

growers=24
grow_bytes=$((2 * 1024 * 1024))
large_max=64
start=16384
size=$((4 * 1024 * 1024))
limit=60 # seconds the fresh transfer may take before it fails the test

make_namespace
write_config hostgrow uthgr 10.77.63 \
	"[limits]" "pkt_large_max = $large_max" \
	"[tcp]" "rcvbuf = $start"
start_daemon_with_config
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"

small0=$(pool small_in_use)
large0=$(pool large_in_use)
fds0=$(daemon_fds)
say "baseline: pool small $small0, large $large0 in use; $(live_conns) connections"

# pressure_reached: the large buffers in use are past the pressure mark.
pressure_reached() {
	(($(pool large_in_use) * 2 > large_max))
}

say "1. $growers connections grow their buffers, then stop reading"
start_ns_bg "$PYTHON" "$(dirname "$0")/tcp_churn_peer.py" offer "$KERNEL_IP" 5301 \
	$((grow_bytes + (64 << 20))) >"$TMP/offer.out"
peer=$BG_PID
wait_for has_line "$TMP/offer.out" listening || fail "the kernel's sender is not listening"
start_bg "$TCP_CHURN_HELPER" -S "$SOCK" grow "$KERNEL_IP" 5301 "$growers" "$grow_bytes" \
	>"$TMP/grow.out" 2>&1
app=$BG_PID
wait_for -t 120 has_line "$TMP/grow.out" ready ||
	fail "the growing connections are not ready ($(live_conns) connections): $(cat "$TMP/grow.out")"
wait_for -t 30 pressure_reached ||
	fail "the pool never went past its pressure mark: large $(pool large_in_use) of $large_max in use"
grown=$(counter tcp_rcvbuf_grown)
most=$(tcp_query 'max(s["recv_queue"] for s in tcp if not s["listener"])')
say "  grown $grown times; largest receive queue $most bytes; pool small" \
	"$(pool small_in_use), large $(pool large_in_use) in use; growth refused under" \
	"pressure $(counter tcp_rcvbuf_grow_pressure), dropped under pressure" \
	"$(counter tcp_rx_drop_mem_pressure)"
((grown > 0)) || fail "no receive buffer grew"
((most > start)) || fail "no connection holds more than its $start-byte start ($most)"

say "2. a fresh connection: 4 MiB each way at once, intact"
fresh_both_ways 5302 "$size" "$limit"
say "  pool small $(pool small_in_use), large $(pool large_in_use) in use;" \
	"dropped under pressure $(counter tcp_rx_drop_mem_pressure)," \
	"no buffer $(counter tcp_rx_drop_no_buffer)"

say "3. the attackers go: pool and connections back to the baseline"
stop_bg "$app"
stop_bg "$peer"
wait_for -t 30 output_is 0 live_conns || fail "connections left: $(tcp_unsettled)"
wait_for -t 30 pool_at_most "$small0" "$large0" ||
	fail "pool small $(pool small_in_use) (was $small0), large $(pool large_in_use) (was $large0) in use"
wait_for output_is "$fds0" daemon_fds ||
	fail "utcpd holds $(daemon_fds) descriptors, $fds0 before"
say "  pool small $(pool small_in_use), large $(pool large_in_use) in use; $(live_conns) connections"

pass
