#!/bin/bash
# tcp_orphans: applications that die with their send buffers full,
# facing a kernel peer that never reads (its window stays shut and it
# answers every zero-window probe), must not pin their connections and
# descriptors: each becomes an orphan, which gives up after
# orphan_retries probes (as Linux's tcp_orphan_retries). A live
# application waiting in the same place is probed for as long as the
# peer answers, and a well-behaved connection is not disturbed.
#
# The daemon runs with orphan_retries = 3; the senders' send buffers are
# 64 KiB, so their own buffers (not the shared chunk pool) fill.
#
#   1. baseline: descriptors.
#   2. LIVE (1 connection), then DEAD (4) libutcp senders to a kernel
#      sink that never reads (4 KiB receive buffer): every window shuts,
#      every send buffer fills, every sender blocks in write().
#   3. the dead senders are killed: within bounded time their four
#      connections are gone (RST after the bounded probes), the daemon's
#      descriptors are back to the baseline plus the live sender's, and
#      the live connection, probed at least as long, is still there.
#   4. a fresh connection moves 1 MiB intact to a kernel reader.
#   5. the live sender is killed: it goes the same way; the sink goes;
#      everything settles to the baseline.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"

: "${TCP_CHURN_HELPER:?TCP_CHURN_HELPER must name the tcp_churn_helper binary}"

peer=$(dirname "$0")/tcp_churn_peer.py
retries=3
dead=4
sndbuf=65536
sink_port=7200
reader_port=7201
fresh_bytes=$((1024 * 1024))

# conns_to PORT [ORPHAN]: the daemon's connections to the kernel's PORT
# (ORPHAN True/False: only those that are, or are not, orphans).
conns_to() {
	tcp_count "s[\"remote\"] == \"$KERNEL_IP:$1\" and s[\"orphan\"] in (${2:-True, False},)"
}

# established_to PORT: ... of them, those ESTABLISHED and not orphans.
established_to() {
	tcp_count "s[\"remote\"] == \"$KERNEL_IP:$1\" and not s[\"orphan\"] and s[\"state\"] == \"ESTABLISHED\""
}

# output_cmp OP VALUE CMD...: CMD's output compares with VALUE.
output_cmp() {
	local op=$1 value=$2
	shift 2
	test "$("$@")" "$op" "$value"
}

# has_line FILE LINE: FILE has LINE.
has_line() {
	grep -qxF "$2" "$1"
}

make_namespace
write_config tcporph utorph 10.77.43 "" \
	"[tcp]" "orphan_retries = $retries"
start_daemon_with_config ${TCP_ORPHANS_DEBUG:+--log-level debug}
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"

say "1. baseline"
fds_base=$(daemon_fds)
say "  $fds_base descriptors"

say "2. 1 live and $dead doomed senders to a kernel sink that never reads"
start_ns_bg "$PYTHON" "$peer" sink "$KERNEL_IP" "$sink_port" >"$TMP/sink.out"
sink=$BG_PID
wait_for has_line "$TMP/sink.out" listening || fail "the kernel's sink is not listening"
start_bg "$TCP_CHURN_HELPER" -S "$SOCK" flood "$KERNEL_IP" "$sink_port" 1 "$sndbuf" \
	>"$TMP/live.out"
live=$BG_PID
wait_for -t 30 has_line "$TMP/live.out" ready ||
	fail "the live sender never blocked: $(cat "$TMP/live.out") $(tcp_unsettled)"
fds_live=$(($(daemon_fds) - fds_base))
start_bg "$TCP_CHURN_HELPER" -S "$SOCK" flood "$KERNEL_IP" "$sink_port" "$dead" "$sndbuf" \
	>"$TMP/dead.out"
app=$BG_PID
wait_for -t 30 has_line "$TMP/dead.out" ready ||
	fail "the doomed senders never blocked: $(cat "$TMP/dead.out")"
[[ $(established_to $sink_port) -eq $((dead + 1)) ]] ||
	fail "$(established_to $sink_port) connections to the sink, not $((dead + 1)): $(tcp_unsettled)"
gave_up0=$(counter tcp_rule_persist_orphan_give_up)
say "  $((dead + 1)) connections established, windows shut; $(daemon_fds) descriptors"

say "3. the $dead doomed senders are killed"
kill -s KILL "$app"
wait "$app" 2>/dev/null || true
# Each gives up by its (retries + 1)th persist expiry since its window
# shut, the longest 200 ms << backoff: well within 60 s here.
wait_for -t 60 output_cmp -eq 1 conns_to "$sink_port" ||
	fail "$(conns_to $sink_port) connections to the sink left after $dead senders died: $(tcp_unsettled)"
(($(counter tcp_rule_persist_orphan_give_up) - gave_up0 == dead)) ||
	fail "$(($(counter tcp_rule_persist_orphan_give_up) - gave_up0)) orphans gave up probing, not $dead"
wait_for -t 10 output_cmp -eq $((fds_base + fds_live)) daemon_fds ||
	fail "$(daemon_fds) descriptors after the senders died (baseline $fds_base + $fds_live)"
[[ $(established_to $sink_port) -eq 1 ]] ||
	fail "the live sender's connection is gone: $(tcp_unsettled)"
probes=$(counter tcp_zero_window_probes)
((probes >= (dead + 1) * retries)) ||
	fail "only $probes zero-window probes: the live connection was probed less than the bound"
say "  $dead orphans gave up after $retries probes; the live one, probed as long, stays;" \
	"$(daemon_fds) descriptors"

say "4. a fresh connection moves $fresh_bytes bytes"
random_file "$TMP/fresh.in" "$fresh_bytes"
start_ns_bg socat -u "TCP-LISTEN:$reader_port,bind=$KERNEL_IP,reuseaddr" \
	"CREATE:$TMP/fresh.out"
reader=$BG_PID
wait_for kernel_tcp_listening "$reader_port" || fail "the kernel's reader is not listening"
timeout 30 "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" "$reader_port" <"$TMP/fresh.in" ||
	fail "utcp-nc to the kernel's reader failed"
wait_pid 10 "$reader" || fail "the kernel's reader exited with status $?"
[[ $(sha "$TMP/fresh.out") == "$(sha "$TMP/fresh.in")" ]] ||
	fail "the fresh connection delivered $(file_size "$TMP/fresh.out") bytes, not the ones sent"
say "  intact"

say "5. the live sender is killed too; the sink goes"
kill -s KILL "$live"
wait "$live" 2>/dev/null || true
wait_for -t 70 output_cmp -eq 0 conns_to "$sink_port" ||
	fail "the last sender's connection is left: $(tcp_unsettled)"
(($(counter tcp_rule_persist_orphan_give_up) - gave_up0 == dead + 1)) ||
	fail "$(($(counter tcp_rule_persist_orphan_give_up) - gave_up0)) orphans gave up, not $((dead + 1))"
stop_bg "$sink"
wait_for -t 10 tcp_settled || fail "connections left: $(tcp_unsettled)"
wait_for -t 10 output_cmp -eq "$fds_base" daemon_fds ||
	fail "$(daemon_fds) descriptors (baseline $fds_base)"
say "  $(daemon_fds) descriptors"
pass
