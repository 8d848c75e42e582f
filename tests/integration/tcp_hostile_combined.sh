#!/bin/bash
# tcp_hostile_combined: the combined hostile-load attack, all at once, on pools
# that it exhausts (small buffers and send chunks: 8192 each, the
# chunks' reserve at its default, 2048; large buffers: 64):
#   - 40 raw out-of-order pinners (tcp_attack, 256 one-byte segments
#     each beyond a hole at RCV.NXT);
#   - 1000 libutcp connections whose application never reads, each
#     offered 1 MiB by a kernel sender (the receive side);
#   - 1000 libutcp connections writing as fast as they may to a kernel
#     sink that never reads (the send side: the chunk pool runs dry).
# Meanwhile a fresh connection moves 4 MiB each way, intact (SHA-256),
# within a generous bound (60 s; the time taken is printed, not
# asserted). The daemon's peak resident set (VmHWM) stays under the
# bound docs/design.md states ("The daemon's memory"):
#
#     RSS_idle + 2112 x (pkt_small_max + send_chunks_max)
#              + 65856 x pkt_large_max
#              + 2 KiB x connections + 6 KiB x out-of-order pinners
#              + 4 MiB
#
# (a small buffer or send chunk is 2048 bytes behind a 56-byte header,
# 2112 as malloc hands it out, a large one 65,792 and its header; a
# connection's block, channel and table slots are about 1 KiB
# (tests/bench/memory.sh), 2 KiB with its small arrays of segments in
# flight and its share of a status snapshot; a pinner's out-of-order
# array holds up to 256 entries of 24 bytes; 4 MiB is the allocator's
# slack). Once the attackers go, the packet pool, the connections, the
# bytes queued to send and the daemon's descriptors are back to the
# baseline.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"

pinners=40
segs=256
unread=${HOSTILE_UNREAD:-1000}
flood=${HOSTILE_FLOOD:-1000}
if ((UTCP_SANITIZED)); then
	unread=${HOSTILE_UNREAD:-200}
	flood=${HOSTILE_FLOOD:-200}
fi
size=$((4 * 1024 * 1024))
limit=60 # seconds the fresh transfer may take before it fails the test
# Pools the attack exhausts. The send minimum's reserve (a quarter of
# send_chunks_max at most, 2048 by default) serves reserve/2 senders
# below their minimum at once: 8192 chunks leave it at its default,
# enough for the 1000 flooders and the fresh connection. (With 2048
# chunks, a reserve of 512, the flooders take it all and the fresh
# connection cannot send; with 4096 small buffers, the never-reading
# connections' 2-MSS minimums can take the whole pool.)
small_max=${HOSTILE_SMALL_MAX:-8192}
large_max=${HOSTILE_LARGE_MAX:-64}
chunks_max=${HOSTILE_CHUNKS_MAX:-8192}
# The bound's constants (see the header).
buf_small=2112
buf_large=65856
per_conn_kib=2
per_pinner_kib=6
slack_kib=4096

# Every helper holds a descriptor per connection (the kernel's sender
# and sink, the never-reading and flooding applications); utcpd raises
# its own limit to the hard one.
nofile=$((unread + flood + 1024))
(($(ulimit -Hn) >= nofile)) || skip "RLIMIT_NOFILE's hard limit $(ulimit -Hn) < $nofile"
(($(ulimit -Sn) >= nofile)) || ulimit -Sn "$nofile"

make_namespace
write_config hostcomb uthcb 10.77.62 "" \
	"[limits]" "pkt_small_max = $small_max" "pkt_large_max = $large_max" \
	"[tcp]" "send_chunks_max = $chunks_max"
start_daemon_with_config
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"
ATTACK_IP=10.77.62.3

say "0. baseline"
pool0=$(pool_in_use)
fds0=$(daemon_fds)
rss0=$(daemon_rss_kib)
hwm0=$(daemon_hwm_kib)
say "  pool in use (small large) $pool0; $fds0 descriptors;" \
	"RSS $rss0 KiB (peak $hwm0 KiB); $(live_conns) connections"

say "1. $pinners out-of-order pinners, $segs one-byte segments each"
start_pinners 5301 "$pinners" "$segs" 110
say "  pool in use $(pool_in_use); ooo compact $(counter tcp_rx_ooo_compact)," \
	"dropped $(counter tcp_rx_ooo_drop), pruned $(counter tcp_rx_ooo_pruned)"

say "2. $unread connections whose application never reads, 1 MiB offered to each"
start_unread 5302 "$unread" $((1 << 20))
say "  pool in use $(pool_in_use); dropped under pressure" \
	"$(counter tcp_rx_drop_mem_pressure), no buffer $(counter tcp_rx_drop_no_buffer)"

say "3. $flood connections writing to a kernel sink that never reads"
waits0=$(counter tcp_send_mem_waits)
start_flood 5303 "$flood"
# The chunk pool is dry once writers are refused for want of chunks.
wait_for -t 20 output_cmp -gt "$waits0" counter tcp_send_mem_waits ||
	fail "the chunk pool never ran dry: $(send_queued) bytes queued"
say "  $(send_queued) bytes queued to send (in at most $chunks_max chunks of 2 KiB);" \
	"sends refused memory $(($(counter tcp_send_mem_waits) - waits0))"
# The receive side reached the pool's hard pressure mark.
(($(counter tcp_rx_drop_mem_pressure) > 0)) ||
	fail "no segment dropped under memory pressure: the receive attack did not press" \
		"(pool in use $(pool_in_use))"
conns=$(live_conns)
say "  $conns connections; pool in use $(pool_in_use); $(daemon_fds) descriptors;" \
	"RSS $(daemon_rss_kib) KiB"

say "4. a fresh connection: 4 MiB each way at once, intact"
fresh_both_ways 5304 "$size" "$limit"
say "  pool in use $(pool_in_use); pruned $(counter tcp_rx_ooo_pruned)," \
	"dropped under pressure $(counter tcp_rx_drop_mem_pressure)," \
	"no buffer $(counter tcp_rx_drop_no_buffer); send waits" \
	"$(($(counter tcp_send_mem_waits) - waits0))"

say "5. the daemon's memory stayed within its pools"
hwm=$(daemon_hwm_kib)
pools_kib=$(((small_max * buf_small + large_max * buf_large + chunks_max * buf_small) / 1024))
conns_kib=$(((conns + 1) * per_conn_kib + pinners * per_pinner_kib))
bound_kib=$((rss0 + pools_kib + conns_kib + slack_kib))
say "  peak RSS $hwm KiB; bound: idle $rss0 + pools $pools_kib + $((conns + 1))" \
	"connections x $per_conn_kib + $pinners pinners x $per_pinner_kib + $slack_kib" \
	"= $bound_kib KiB"
# A figure: the peak beyond what the pools allocated (the chunk pool is
# dry, so all of it), per connection.
allocated_kib=$(tcp_query "(st['pool']['small_allocated'] * $buf_small + st['pool']['large_allocated'] * $buf_large + $chunks_max * $buf_small) // 1024")
say "  pools allocated $allocated_kib KiB; the rest of the peak over idle:" \
	"$(((hwm - rss0 - allocated_kib) * 1024 / (conns + 1))) bytes a connection"
if ((UTCP_SANITIZED)); then
	say "  (not asserted in a sanitizer build: its shadow memory and quarantine)"
elif ((hwm > bound_kib)); then
	fail "peak RSS $hwm KiB is above the bound, $bound_kib KiB"
fi

say "6. the attackers go: everything back to the baseline"
stop_pinners "$pinners"
stop_bg "$UNREAD_APP_PID"
stop_bg "$UNREAD_PEER_PID"
stop_bg "$FLOOD_APP_PID"
stop_bg "$FLOOD_SINK_PID"
wait_for -t 30 output_is 0 live_conns || fail "connections left: $(tcp_unsettled)"
wait_for -t 10 output_is 0 send_queued || fail "$(send_queued) bytes still queued to send"
wait_for -t 10 output_is "$pool0" pool_in_use ||
	fail "pool in use $(pool_in_use), $pool0 before"
wait_for -t 10 output_is "$fds0" daemon_fds ||
	fail "utcpd holds $(daemon_fds) descriptors, $fds0 before"
say "  pool in use $(pool_in_use); $(daemon_fds) descriptors; $(live_conns) connections;" \
	"RSS $(daemon_rss_kib) KiB"
pass
