#!/bin/bash
# tcp_concurrent: 100 TCP connections open at the same time through
# utcpd, each with its own content (about 100 KB), echoed and compared
# byte for byte:
#   1. kernel -> utcpd: a Python client in the namespace against an echo
#      server over libutcp (tcp_helper echo-server);
#   2. utcpd -> kernel: tcp_helper echo-clients (100 non-blocking
#      connects over one control connection) against a Python echo
#      server in the namespace.
# Both sides half-close only once every echo is complete, so all 100 are
# open at once (asserted from the server's count). Afterwards utcpctl
# status -a --json shows nothing but TIME_WAIT/CLOSED (bounded wait) and
# utcpd holds as many descriptors as before.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"

count=100
bytes=100000
peer=$(dirname "$0")/tcp_peer.py

start_daemon tcpconc uttcpc 10.77.23
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"
fds_before=$(daemon_fds)

say "1. $count kernel clients at once -> echo server over libutcp on port 7000"
start_bg timeout 90 "$TCP_HELPER" -S "$SOCK" echo-server 7000 "$count" >"$TMP/srv1.out"
srv=$BG_PID
wait_for utcp_listening 7000 || fail "the libutcp echo server is not listening"
t0=$(now_ns)
timeout 90 ip netns exec "$NS" "$PYTHON" "$peer" echo-clients "$DAEMON_IP" 7000 \
	"$count" "$bytes" >"$TMP/cli1.out" ||
	fail "the kernel's clients failed (status $?): $(cat "$TMP/cli1.out")"
t1=$(now_ns)
wait "$srv" || fail "the libutcp echo server exited with status $?: $(cat "$TMP/srv1.out")"
say "  kernel: $(cat "$TMP/cli1.out"); $(rate $((count * bytes * 2)) "$t0" "$t1") echoed"
say "  server: $(tail -n 1 "$TMP/srv1.out")"
grep -q "echoed $count connections, at most $count open at once" "$TMP/srv1.out" ||
	fail "the libutcp echo server did not have all $count open at once"

say "2. $count libutcp clients at once -> kernel echo server on port 7001"
start_ns_bg "$PYTHON" "$peer" echo-server "$KERNEL_IP" 7001 "$count" >"$TMP/srv2.out"
srv=$BG_PID
wait_for kernel_tcp_listening 7001 || fail "the kernel's echo server is not listening"
t0=$(now_ns)
timeout 90 "$TCP_HELPER" -S "$SOCK" echo-clients "$KERNEL_IP" 7001 "$count" "$bytes" \
	>"$TMP/cli2.out" || fail "the libutcp clients failed (status $?)"
t1=$(now_ns)
wait_pid 20 "$srv" || fail "the kernel's echo server exited with status $?: $(cat "$TMP/srv2.out")"
say "  libutcp: $(cat "$TMP/cli2.out"); $(rate $((count * bytes * 2)) "$t0" "$t1") echoed"
say "  server: $(tail -n 1 "$TMP/srv2.out")"
grep -q "echoed $count connections, at most $count open at once" "$TMP/srv2.out" ||
	fail "the kernel's echo server did not have all $count open at once"

say "the daemon counted $(counter tcp_passive_opens) passive and $(counter tcp_active_opens) active opens"
(($(counter tcp_passive_opens) >= count)) || fail "fewer than $count passive opens counted"
(($(counter tcp_active_opens) >= count)) || fail "fewer than $count active opens counted"

say "nothing left: only TIME_WAIT/CLOSED, as many descriptors as before ($fds_before)"
wait_for -t 15 tcp_settled || fail "connections left: $(tcp_unsettled)"
say "  $(tcp_count 's["state"] == "TIME_WAIT"') connections in TIME_WAIT"
wait_for output_is "$fds_before" daemon_fds ||
	fail "utcpd holds $(daemon_fds) descriptors, $fds_before before"

pass
