#!/bin/bash
# tcp_send_memory: many senders whose peer never reads run the daemon's
# send-buffer chunk pool dry; a fresh connection that asks for memory
# then must resume when memory frees, and the senders, killed while
# they wait for memory, must leave nothing behind.
#
# The daemon runs with a small chunk pool (send_chunks_max 256, 512 KiB
# of send buffers for every connection together).
#
#   1. baseline: descriptors, packet pool, RSS.
#   2. FLOOD libutcp connections (tcp_churn_helper flood, send buffer
#      64 MiB each, so that only the pool limits them) to a kernel sink
#      that accepts and never reads (4 KiB receive buffer): every
#      window closes, the pool runs dry and every sender blocks in
#      write(). RSS is measured: the daemon holds every byte of theirs
#      in the pool (no per-connection stash outside it).
#   3. a fresh libutcp connection (utcp-nc) to a kernel server that
#      reads starts sending 1 MiB: the pool is dry, it waits with
#      nothing in flight (no ACK of its own will ever wake it).
#   4. the senders are killed while their channels wait for memory:
#      each channel notices, and the connection is reset (the bytes
#      its application wrote cannot be queued); within bounded time no
#      connection to the sink is left but orphans (closed while not
#      waiting: their queued data and FIN wait for the sink's window,
#      as Linux's orphans do), the daemon's descriptors are back to the
#      baseline plus the fresh connection's, and the chunks the reset
#      ones held wake the fresh connection, whose 1 MiB arrives intact.
#   5. the sink goes; everything settles: only TIME_WAIT, descriptors
#      and packet pool as at the start, nothing queued to send, RSS
#      within the pools' bound.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"

: "${TCP_CHURN_HELPER:?TCP_CHURN_HELPER must name the tcp_churn_helper binary}"

flood=${TCP_SEND_MEMORY_FLOOD:-300} # connections whose peer never reads
chunks_max=256
sink_port=7100
reader_port=7101
fresh_bytes=$((1024 * 1024))

# conns_to PORT [ORPHAN]: the daemon's connections with the kernel's
# PORT as their remote end (ORPHAN True/False: only those that are, or
# are not, orphans: closed by their application, finishing alone).
conns_to() {
	tcp_count "s[\"remote\"] == \"$KERNEL_IP:$1\" and s[\"orphan\"] in (${2:-True, False},)"
}

make_namespace
write_config tcpsndmem utsndm 10.77.41 "" \
	"[tcp]" "send_chunks_max = $chunks_max"
start_daemon_with_config
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"

say "1. baseline"
fds_base=$(daemon_fds)
pool_base=$(pool_in_use)
rss_base=$(daemon_rss_kib)
say "  $fds_base descriptors, packet pool in use $pool_base, RSS $rss_base KiB"

say "2. $flood senders to a kernel sink that never reads"
waits0=$(counter tcp_send_mem_waits)
start_flood "$sink_port" "$flood"
# The pool is dry once senders are refused for want of chunks (and the
# fresh connection's refusal below shows it still is).
wait_for -t 20 output_cmp -ge $((waits0 + flood / 2)) counter tcp_send_mem_waits ||
	fail "the chunk pool never ran dry: $(send_queued) bytes queued," \
		"$(($(counter tcp_send_mem_waits) - waits0)) sends refused memory"
rss_flood=$(daemon_rss_kib)
fds_flood=$(daemon_fds)
queued=$(send_queued)
say "  $(conns_to $sink_port) connections, $queued bytes queued to send," \
	"$fds_flood descriptors, RSS $rss_flood KiB ($((rss_flood - rss_base)) KiB more)"
# What the daemon may hold: the buffers its pools allocated (a chunk
# or small buffer is 2 KiB and its header, a large one 64 KiB and a
# bit), a few KiB per connection (its block, its channel), and a fixed
# 4 MiB for the allocator's own slack. A per-connection buffer outside
# the pools (the stash this replaced: up to 64 KiB each) breaks it.
pools_kib=$(tcp_query "(st['pool']['small_allocated'] * 2200 + st['pool']['large_allocated'] * 66000 + $chunks_max * 2200) // 1024")
bound_kib=$((pools_kib + flood * 4 + 4096))
say "  RSS grew by $((rss_flood - rss_base)) KiB; bound: pools $pools_kib KiB + $flood x 4 KiB + 4 MiB = $bound_kib KiB"
if ((!UTCP_SANITIZED && rss_flood - rss_base > bound_kib)); then
	fail "RSS grew by $((rss_flood - rss_base)) KiB, more than $bound_kib KiB"
fi

say "3. a fresh connection sends $fresh_bytes bytes while the pool is dry"
random_file "$TMP/fresh.in" "$fresh_bytes"
start_ns_bg socat -u "TCP-LISTEN:$reader_port,bind=$KERNEL_IP,reuseaddr" \
	"CREATE:$TMP/fresh.out"
reader=$BG_PID
wait_for kernel_tcp_listening "$reader_port" || fail "the kernel's reader is not listening"
waits1=$(counter tcp_send_mem_waits)
start_bg timeout 60 "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" "$reader_port" <"$TMP/fresh.in"
nc=$BG_PID
wait_for -t 10 output_cmp -gt "$waits1" counter tcp_send_mem_waits ||
	fail "the fresh connection was never refused memory"
fds_fresh=$(($(daemon_fds) - fds_flood))
say "  it waits for memory; its descriptors in the daemon: $fds_fresh"

say "4. the senders are killed while they wait for memory"
wakeups0=$(counter tcp_send_mem_wakeups)
kill -s KILL "$FLOOD_APP_PID"
wait "$FLOOD_APP_PID" 2>/dev/null || true
wait_for -t 10 output_cmp -eq 0 conns_to "$sink_port" False ||
	fail "$(conns_to $sink_port False) connections to the sink left after their senders died: $(tcp_unsettled)"
wait_for -t 10 output_cmp -le $((fds_base + fds_fresh)) daemon_fds ||
	fail "$(daemon_fds) descriptors after the senders died (baseline $fds_base + $fds_fresh)"
say "  no connection to the sink left but $(conns_to $sink_port True) orphans; $(daemon_fds) descriptors"
wait_pid 30 "$nc" || fail "the fresh connection's utcp-nc exited with status $?"
wait_pid 10 "$reader" || fail "the kernel's reader exited with status $?"
[[ $(sha "$TMP/fresh.out") == "$(sha "$TMP/fresh.in")" ]] ||
	fail "the fresh connection delivered $(file_size "$TMP/fresh.out") bytes, not the ones sent"
(($(counter tcp_send_mem_wakeups) > wakeups0)) || fail "no memory waiter was woken"
say "  the fresh connection resumed: $fresh_bytes bytes intact"

say "5. the sink goes; everything settles"
stop_bg "$FLOOD_SINK_PID"
wait_for -t 10 tcp_settled || fail "connections left: $(tcp_unsettled)"
wait_for -t 10 output_cmp -eq 0 send_queued || fail "$(send_queued) bytes still queued to send"
wait_for -t 10 output_cmp -eq "$fds_base" daemon_fds ||
	fail "$(daemon_fds) descriptors (baseline $fds_base)"
wait_for -t 10 output_is "$pool_base" pool_in_use ||
	fail "packet pool in use $(pool_in_use) (baseline $pool_base)"
rss=$(daemon_rss_kib)
say "  $(daemon_fds) descriptors, packet pool $(pool_in_use), RSS $rss KiB"
pass
