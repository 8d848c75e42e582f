#!/bin/bash
# tcp_churn: thousands of short TCP connections through utcpd, and
# applications killed with connections open, against the kernel's TCP;
# afterwards the daemon must hold nothing it did not hold before.
#
# The daemon runs with a small connection table (conns_max 512), so
# that the churn's TIME_WAIT connections fill it and get recycled, and a
# small send-chunk pool (send_chunks_max 512, 1 MiB), so that chunks
# leaked by the churn would starve the bulk transfer at the end.
#
#   1. baseline: the daemon's descriptors, packet pool in use, RSS.
#   2. churn, CHURN connections each way, PARALLEL at a time, a line
#      echoed on each (tcp_churn_helper.c, tcp_churn_peer.py), closed
#      by the client first (C), the server first (S), or reset by the
#      server (R) in turn:
#      a. kernel clients -> an echo server on libutcp;
#      b. libutcp clients -> the kernel's echo server.
#      Both sides check every echo and every ending; the daemon's
#      counters count the opens and resets; afterwards nothing is left
#      on either side but TIME_WAIT, and the descriptors and packet
#      pool are back to the baseline.
#      c. kernel clients from 16 fixed local ports, the server closing
#         first: each SYN after a port's first finds the daemon's
#         TIME_WAIT of the connection before and must take it over
#         (RFC 6191: newer timestamp, or equal and higher sequence).
#   3. abrupt ends (SIGKILL):
#      a. applications with connects pending, non-blocking and blocking
#         (SYN_SENT to a port whose accept queue is full, so the kernel
#         drops the SYNs): the connections go;
#      b. an application holding connections to a kernel server: those
#         with data unread are reset, the others closed with FIN;
#      c. a listening application that accepted half of its
#         connections: the kernel clients that had sent data are reset,
#         the accepted ones without data see FIN;
#      d. the echo server of 2a, and then the clients of 2b, killed in
#         the middle of a churn: the kernel's side sees every
#         connection end (nothing left there but TIME_WAIT).
#   4. after it all: only TIME_WAIT (at most conns_max of them), no
#      listener, the descriptors and the packet pool back to the
#      baseline, no table-full refusal, no dropped stack event or
#      allocation failure, RSS grown by at most 64 MiB (512 MiB under
#      the sanitizers), and 4 MiB each way still go through intact.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"

: "${TCP_CHURN_HELPER:?TCP_CHURN_HELPER must name the tcp_churn_helper binary}"

peer=$(dirname "$0")/tcp_churn_peer.py
# A longer soak: TCP_CHURN_COUNT=20000 TCP_CHURN_PARALLEL=64 meson test ...
churn=${TCP_CHURN_COUNT:-2000}      # connections each way in phase 2
parallel=${TCP_CHURN_PARALLEL:-12}  # at a time
reuse=480    # connections of phase 2c ...
reuse_ports=16 # ... from this many local ports of the kernel's
rounds=3     # of phases 3b and 3c
held=16      # connections an application holds when killed
conns_max=512
chunks_max=512
rss_slack_kib=$((64 * 1024))
if ((UTCP_SANITIZED)); then
	rss_slack_kib=$((512 * 1024)) # ASan's quarantine alone is 256 MiB
fi

# states: the daemon's TCP entries counted by state.
states() {
	tcp_query 'sorted({s["state"]: sum(1 for t in tcp if t["state"] == s["state"])
	                   for s in tcp}.items())'
}

# conns_to PORT STATE: the daemon's connections in STATE with the
# kernel's PORT as their remote end ("" STATE: any state).
conns_to() {
	tcp_count "s[\"remote\"] == \"$KERNEL_IP:$1\" and \"$2\" in (\"\", s[\"state\"])"
}

# defer_fail MESSAGE: a failure reported now and failing the test at
# the end, so that the phases after it still run and report.
deferred=()
defer_fail() {
	printf '%s: FAIL (deferred to the end): %s\n' "$TEST_NAME" "$*" >&2
	deferred+=("$*")
}

# kill_app PID: SIGKILL to a background application, reaped quietly.
kill_app() {
	{
		kill -s KILL "$1"
		wait "$1" || true
	} 2>/dev/null
}

# kernel_left PORT: the kernel's TCP sockets with PORT at either end
# that are neither listening nor in TIME_WAIT (one a line).
kernel_left() {
	nsx ss -Htan "( sport = :$1 or dport = :$1 )" |
		awk '$1 != "LISTEN" && $1 != "TIME-WAIT"'
}

# kernel_settled PORT: kernel_left PORT is empty.
kernel_settled() {
	[[ -z $(kernel_left "$1") ]]
}

# back_to_baseline: descriptors and packet pool as at the start.
back_to_baseline() {
	[[ $(daemon_fds) -eq $fds_base && $(pool_in_use) == "$pool_base" ]]
}

make_namespace
write_config tcpchurn uttcpch 10.77.27 "" \
	"[tcp]" "conns_max = $conns_max" "send_chunks_max = $chunks_max"
start_daemon_with_config
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"
started=$SECONDS

say "1. baseline"
fds_base=$(daemon_fds)
pool_base=$(pool_in_use)
rss_base=$(daemon_rss_kib)
[[ $(tcp_count 'True') -eq 0 ]] || fail "TCP entries before the test: $(states)"
say "  $fds_base descriptors, packet pool in use (small large) $pool_base, RSS $rss_base KiB"

# mode_split N: how N connections numbered from 0 divide into C, S, R.
mode_split() {
	local n=$1
	printf 'C %d, S %d, R %d' $(((n + 2) / 3)) $(((n + 1) / 3)) $((n / 3))
}

say "2a. $churn kernel clients, $parallel at a time -> echo server on libutcp"
passive0=$(counter tcp_passive_opens)
txrst0=$(counter tcp_tx_resets)
start_bg timeout 80 "$TCP_CHURN_HELPER" -S "$SOCK" echo-server 7000 "$churn" >"$TMP/srv_a.out"
srv=$BG_PID
wait_for utcp_listening 7000 || fail "the libutcp echo server is not listening"
t0=$SECONDS
timeout 80 ip netns exec "$NS" "$PYTHON" "$peer" clients "$DAEMON_IP" 7000 "$churn" \
	"$parallel" >"$TMP/cli_a.out" ||
	fail "the kernel's clients failed (status $?): $(cat "$TMP/cli_a.out")"
wait_pid 20 "$srv" || fail "the libutcp echo server exited with status $?: $(cat "$TMP/srv_a.out")"
say "  kernel: $(cat "$TMP/cli_a.out") in $((SECONDS - t0)) s"
say "  libutcp: $(tail -n 1 "$TMP/srv_a.out")"
has_line "$TMP/cli_a.out" "$churn connections ($(mode_split "$churn"))" ||
	fail "the kernel's clients did not end as expected"
grep -q "^served $churn connections ($(mode_split "$churn"))" "$TMP/srv_a.out" ||
	fail "the libutcp server did not serve as expected"
(($(counter tcp_passive_opens) - passive0 == churn)) ||
	fail "tcp_passive_opens grew by $(($(counter tcp_passive_opens) - passive0)), not $churn"
(($(counter tcp_tx_resets) - txrst0 >= churn / 3)) ||
	fail "tcp_tx_resets grew by $(($(counter tcp_tx_resets) - txrst0)), fewer than the $((churn / 3)) R connections"
wait_for -t 10 tcp_settled || fail "connections left after 2a: $(tcp_unsettled)"
wait_for -t 10 kernel_settled 7000 || fail "the kernel's connections left after 2a: $(kernel_left 7000)"
wait_for -t 10 back_to_baseline ||
	fail "after 2a: $(daemon_fds) descriptors (baseline $fds_base), pool $(pool_in_use) (baseline $pool_base)"
say "  settled: $(states)"

say "2b. $churn libutcp clients, $parallel at a time -> the kernel's echo server"
active0=$(counter tcp_active_opens)
rxrst0=$(counter tcp_rx_resets)
start_ns_bg timeout 80 "$PYTHON" "$peer" echo-server "$KERNEL_IP" 7001 "$churn" >"$TMP/srv_b.out"
srv=$BG_PID
wait_for kernel_tcp_listening 7001 || fail "the kernel's echo server is not listening"
t0=$SECONDS
timeout 80 "$TCP_CHURN_HELPER" -S "$SOCK" clients "$KERNEL_IP" 7001 "$churn" "$parallel" \
	>"$TMP/cli_b.out" || fail "the libutcp clients failed (status $?)"
wait_pid 20 "$srv" || fail "the kernel's echo server exited with status $?: $(cat "$TMP/srv_b.out")"
say "  libutcp: $(cat "$TMP/cli_b.out") in $((SECONDS - t0)) s"
say "  kernel: $(tail -n 1 "$TMP/srv_b.out")"
has_line "$TMP/cli_b.out" "$churn connections ($(mode_split "$churn"))" ||
	fail "the libutcp clients did not end as expected"
grep -q "^served $churn connections ($(mode_split "$churn"))" "$TMP/srv_b.out" ||
	fail "the kernel's server did not serve as expected"
(($(counter tcp_active_opens) - active0 == churn)) ||
	fail "tcp_active_opens grew by $(($(counter tcp_active_opens) - active0)), not $churn"
(($(counter tcp_rx_resets) - rxrst0 >= churn / 3)) ||
	fail "tcp_rx_resets grew by $(($(counter tcp_rx_resets) - rxrst0)), fewer than the $((churn / 3)) R connections"
wait_for -t 10 tcp_settled || fail "connections left after 2b: $(tcp_unsettled)"
wait_for -t 10 kernel_settled 7001 || fail "the kernel's connections left after 2b: $(kernel_left 7001)"
wait_for -t 10 back_to_baseline ||
	fail "after 2b: $(daemon_fds) descriptors (baseline $fds_base), pool $(pool_in_use) (baseline $pool_base)"
say "  settled: $(states); TIME_WAIT recycled $(counter tcp_time_wait_recycled), reused $(counter tcp_time_wait_reused)"

say "2c. $reuse kernel clients from $reuse_ports fixed ports, the server closing first: TIME_WAIT reused"
reused0=$(counter tcp_time_wait_reused)
passive0=$(counter tcp_passive_opens)
start_bg timeout 80 "$TCP_CHURN_HELPER" -S "$SOCK" echo-server 7002 "$reuse" >"$TMP/srv_c.out"
srv=$BG_PID
wait_for utcp_listening 7002 || fail "the libutcp echo server is not listening"
t0=$SECONDS
timeout 80 ip netns exec "$NS" "$PYTHON" "$peer" reuse-clients "$DAEMON_IP" 7002 "$reuse" \
	"$reuse_ports" 20000 >"$TMP/cli_c.out" ||
	fail "the kernel's clients failed (status $?): $(cat "$TMP/cli_c.out")"
wait_pid 20 "$srv" || fail "the libutcp echo server exited with status $?: $(cat "$TMP/srv_c.out")"
reused=$(($(counter tcp_time_wait_reused) - reused0))
say "  kernel: $(cat "$TMP/cli_c.out") in $((SECONDS - t0)) s; $reused found TIME_WAIT and reused it"
has_line "$TMP/cli_c.out" "$reuse connections (C 0, S $reuse, R 0)" ||
	fail "the kernel's clients did not end as expected"
(($(counter tcp_passive_opens) - passive0 == reuse)) ||
	fail "tcp_passive_opens grew by $(($(counter tcp_passive_opens) - passive0)), not $reuse"
# RFC 6191: a SYN whose timestamp is above the old connection's, or
# equal to it with a higher sequence number, takes over TIME_WAIT.
# Each SYN after a port's first is one, so every one should have.
if ((reused < reuse - reuse_ports)); then
	defer_fail "only $reused of $((reuse - reuse_ports)) SYNs took over their TIME_WAIT (RFC 6191)"
fi
wait_for -t 10 tcp_settled || fail "connections left after 2c: $(tcp_unsettled)"
wait_for -t 10 kernel_settled 7002 || fail "the kernel's connections left after 2c: $(kernel_left 7002)"

say "3a. applications killed with connects pending (SYN_SENT): 8 non-blocking, 1 blocking"
start_ns_bg "$PYTHON" "$peer" blackhole "$KERNEL_IP" 7003 >"$TMP/bh.out"
bh=$BG_PID
wait_for has_line "$TMP/bh.out" full || fail "the kernel's full listener is not ready"
start_bg "$TCP_CHURN_HELPER" -S "$SOCK" hold-connecting "$KERNEL_IP" 7003 8 >"$TMP/hc.out"
app=$BG_PID
wait_for has_line "$TMP/hc.out" ready || fail "hold-connecting is not ready"
# hold's first connect blocks (its reply waits in the daemon).
start_bg "$TCP_CHURN_HELPER" -S "$SOCK" hold "$KERNEL_IP" 7003 1 >"$TMP/hb.out"
app2=$BG_PID
wait_for output_cmp -eq 9 conns_to 7003 SYN_SENT ||
	fail "not 9 connections in SYN_SENT: $(tcp_unsettled)"
kill_app "$app"
wait_for -t 5 output_cmp -eq 1 conns_to 7003 "" ||
	fail "the killed application's non-blocking connects are still there: $(tcp_unsettled)"
kill_app "$app2"
# The pending reply belongs to the control connection, which is gone.
# (Its connect would time out only after 60 s.)
if ! wait_for -t 5 output_cmp -eq 0 conns_to 7003 ""; then
	defer_fail "5 s after its application was killed, a blocking connect is still" \
		"there ($(tcp_unsettled), $(daemon_fds) descriptors, $fds_base at the start)"
	# With the full listener gone, the next SYN is refused: let the
	# phases after run.
	stop_bg "$bh"
	wait_for -t 40 output_cmp -eq 0 conns_to 7003 "" ||
		fail "the killed applications' connects are still there: $(tcp_unsettled)"
fi
stop_bg "$bh"
say "  the 9 SYN_SENT connections went with the applications"

say "3b. $rounds applications killed holding $held connections each to a kernel server"
for ((round = 1; round <= rounds; round++)); do
	port=$((7010 + round)) # a port per round: TIME_WAIT stays behind
	start_ns_bg timeout 60 "$PYTHON" "$peer" abrupt-server "$KERNEL_IP" "$port" "$held" \
		>"$TMP/as.out"
	srv=$BG_PID
	wait_for kernel_tcp_listening "$port" || fail "the kernel's server is not listening"
	start_bg "$TCP_CHURN_HELPER" -S "$SOCK" hold "$KERNEL_IP" "$port" "$held" >"$TMP/hold.out"
	app=$BG_PID
	wait_for -t 20 has_line "$TMP/hold.out" ready ||
		fail "round $round: the application is not ready: $(cat "$TMP/hold.out")"
	[[ $(conns_to "$port" ESTABLISHED) -eq $held ]] ||
		fail "round $round: not $held connections ESTABLISHED: $(tcp_unsettled)"
	kill_app "$app"
	wait_pid 50 "$srv" ||
		fail "round $round: the kernel saw: $(tail -n 2 "$TMP/as.out") (status $?)"
	has_line "$TMP/as.out" "reset $((held / 2)) eof $((held / 2))" ||
		fail "round $round: the kernel saw: $(tail -n 1 "$TMP/as.out")"
	wait_for -t 10 kernel_settled "$port" ||
		fail "round $round: the kernel's connections left: $(kernel_left "$port")"
done
say "  kernel, each round: $(tail -n 1 "$TMP/as.out")"
wait_for -t 10 tcp_settled || fail "connections left after 3b: $(tcp_unsettled)"

say "3c. $rounds listening applications killed after accepting $((held / 2)) of $held"
# conns_on PORT: the daemon's connections on its local PORT.
conns_on() {
	tcp_count "not s[\"listener\"] and s[\"local\"].endswith(\":$1\")"
}
# bytes_in PORT: bytes the daemon received on its local PORT.
bytes_in() {
	tcp_query "sum(s[\"bytes_received\"] for s in tcp
	               if not s[\"listener\"] and s[\"local\"].endswith(\":$1\"))"
}
for ((round = 1; round <= rounds; round++)); do
	port=$((7020 + round))
	start_bg "$TCP_CHURN_HELPER" -S "$SOCK" hold-listen "$port" $((held / 2)) >"$TMP/hl.out"
	app=$BG_PID
	wait_for utcp_listening "$port" || fail "round $round: the application is not listening"
	start_ns_bg timeout 60 "$PYTHON" "$peer" abrupt-clients "$DAEMON_IP" "$port" "$held" \
		$((held / 2)) >"$TMP/ac.out"
	cli=$BG_PID
	wait_for -t 20 has_line "$TMP/hl.out" ready ||
		fail "round $round: the application is not ready: $(cat "$TMP/hl.out")"
	wait_for -t 20 has_line "$TMP/ac.out" ready ||
		fail "round $round: the kernel's clients are not ready: $(cat "$TMP/ac.out")"
	# Every byte the kernel sent (1000 on each even connection) has
	# reached the daemon.
	wait_for output_cmp -eq $((held * 1000 / 2)) bytes_in "$port" ||
		fail "round $round: the daemon received $(bytes_in "$port") bytes, not $((held * 1000 / 2))"
	[[ $(conns_on "$port") -eq $held ]] ||
		fail "round $round: not $held connections on port $port: $(tcp_unsettled)"
	kill_app "$app"
	wait_pid 50 "$cli" ||
		fail "round $round: the kernel saw: $(tail -n 2 "$TMP/ac.out") (status $?)"
	say "  round $round, kernel: $(tail -n 1 "$TMP/ac.out")"
	wait_for -t 10 kernel_settled "$port" ||
		fail "round $round: the kernel's connections left: $(kernel_left "$port")"
done

say "3d. applications killed in the middle of a churn"
passive0=$(counter tcp_passive_opens)
start_bg "$TCP_CHURN_HELPER" -S "$SOCK" echo-server 7030 1000000000 >"$TMP/srv_d.out"
app=$BG_PID
wait_for utcp_listening 7030 || fail "the libutcp echo server is not listening"
start_ns_bg timeout 60 "$PYTHON" "$peer" clients "$DAEMON_IP" 7030 1000000 "$parallel" \
	tolerant >"$TMP/cli_d.out"
cli=$BG_PID
wait_for -t 20 output_cmp -ge $((passive0 + churn / 4)) counter tcp_passive_opens ||
	fail "fewer than $((churn / 4)) connections accepted: $(cat "$TMP/cli_d.out")"
kill_app "$app"
wait_pid 40 "$cli" || fail "the kernel's clients exited with status $?: $(cat "$TMP/cli_d.out")"
say "  echo server killed: kernel clients: $(cat "$TMP/cli_d.out")"
grep -Eq "^[0-9]+ connections \(.*\), [1-9][0-9]* broken$" "$TMP/cli_d.out" ||
	fail "the kernel's clients did not see the server go"
wait_for -t 10 kernel_settled 7030 ||
	fail "the kernel's connections left after the server was killed: $(kernel_left 7030)"

active0=$(counter tcp_active_opens)
start_ns_bg "$PYTHON" "$peer" echo-server "$KERNEL_IP" 7031 0 tolerant >"$TMP/srv_e.out"
srv=$BG_PID
wait_for kernel_tcp_listening 7031 || fail "the kernel's echo server is not listening"
start_bg "$TCP_CHURN_HELPER" -S "$SOCK" clients "$KERNEL_IP" 7031 1000000000 "$parallel" \
	>"$TMP/cli_e.out"
app=$BG_PID
wait_for -t 20 output_cmp -ge $((active0 + churn / 4)) counter tcp_active_opens ||
	fail "fewer than $((churn / 4)) connections opened"
kill_app "$app"
# The kernel's server closes each connection when it ends.
wait_for -t 10 kernel_settled 7031 ||
	fail "the kernel's connections left after the clients were killed: $(kernel_left 7031)"
say "  clients killed: kernel server: $(tail -n 1 "$TMP/srv_e.out")"
stop_bg "$srv"
wait_for -t 10 tcp_settled || fail "connections left after 3d: $(tcp_unsettled)"

say "4. after the churn"
wait_for -t 15 tcp_settled || fail "connections left: $(tcp_unsettled)"
tw=$(tcp_count 's["state"] == "TIME_WAIT"')
say "  $(states): $tw in TIME_WAIT (at most conns_max $conns_max)"
((tw <= conns_max)) || fail "$tw TIME_WAIT entries, more than conns_max $conns_max"
(($(counter tcp_time_wait_recycled) > 0)) ||
	fail "the TIME_WAIT connections never filled the table (tcp_time_wait_recycled 0)"
wait_for -t 10 back_to_baseline ||
	fail "$(daemon_fds) descriptors (baseline $fds_base), packet pool in use $(pool_in_use) (baseline $pool_base)"
say "  $(daemon_fds) descriptors, packet pool in use $(pool_in_use): as at the start"
for name in tcp_conns_table_full stack_events_dropped pkt_alloc_failures; do
	value=$(counter "$name")
	((value == 0)) || fail "$name is $value"
done
rss=$(daemon_rss_kib)
say "  RSS $rss KiB, $((rss - rss_base)) KiB more than at the start"
((rss - rss_base <= rss_slack_kib)) ||
	fail "RSS grew by $((rss - rss_base)) KiB (more than $rss_slack_kib)"

say "  4 MiB each way still go through (send chunks not leaked)"
random_file "$TMP/bulk.in" $((4 * 1024 * 1024))
start_ns_bg socat -u "TCP-LISTEN:7005,bind=$KERNEL_IP,reuseaddr" "CREATE:$TMP/bulk.up"
sink=$BG_PID
wait_for kernel_tcp_listening 7005 || fail "the kernel's sink is not listening"
timeout 30 "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" 7005 <"$TMP/bulk.in" >/dev/null ||
	fail "utcp-nc -> kernel exited with status $?"
wait_pid 10 "$sink" || fail "the kernel's sink exited with status $?"
[[ $(sha "$TMP/bulk.up") == "$(sha "$TMP/bulk.in")" ]] ||
	fail "libutcp -> kernel: $(file_size "$TMP/bulk.up") bytes, not the ones sent"
start_bg timeout 30 "$UTCP_NC" -S "$SOCK" -l -p 7006 </dev/null >"$TMP/bulk.down"
nc=$BG_PID
wait_for utcp_listening 7006 || fail "utcp-nc -l is not listening"
timeout 30 ip netns exec "$NS" socat -u "OPEN:$TMP/bulk.in" "TCP:$DAEMON_IP:7006" ||
	fail "socat -> utcp-nc exited with status $?"
wait_pid 10 "$nc" || fail "utcp-nc -l exited with status $?"
[[ $(sha "$TMP/bulk.down") == "$(sha "$TMP/bulk.in")" ]] ||
	fail "kernel -> libutcp: $(file_size "$TMP/bulk.down") bytes, not the ones sent"
wait_for -t 10 tcp_settled || fail "connections left after the transfers: $(tcp_unsettled)"
wait_for -t 10 back_to_baseline ||
	fail "after the transfers: $(daemon_fds) descriptors, pool $(pool_in_use)"
say "  done in $((SECONDS - started)) s"

if ((${#deferred[@]} > 0)); then
	msg=$(printf '%s; ' "${deferred[@]}")
	fail "${msg%; }"
fi
pass
