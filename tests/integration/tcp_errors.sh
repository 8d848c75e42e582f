#!/bin/bash
# tcp_errors: how TCP failures reach each side through utcpd.
#   1. a connect to a closed port of the kernel fails with ECONNREFUSED
#      (libutcp's return value, and utcp-nc's message);
#   2. the kernel resets a connection in the middle of a transfer:
#      utcp-nc, sending, reports "Connection reset by peer";
#   3. an application that exits with received data unread: the
#      kernel's peer sees a RST (ConnectionResetError);
#   4. an application killed with SIGKILL while the kernel streams to
#      it: the kernel's send fails, and the daemon keeps nothing of the
#      connection (bounded poll on status -a --json). The failure is a RST
#      either way, but which errno the kernel reports depends on a race
#      that Linux has too: if the application had read everything when
#      it died, its close is a FIN and the data still arriving draws the
#      RST (the kernel, in CLOSE_WAIT by then, reports EPIPE); if data
#      was waiting unread, the close itself is a RST (ECONNRESET);
#   5. the kernel resets a connection right after a one-byte request,
#      which the daemon keeps unconsumed in the socketpair (held:
#      daemon/control_tcp.c): a plain read() of the application still
#      ends with EOF, as docs/ipc.md says, not with the ECONNRESET an
#      unread byte in the daemon's end at its close would give.
# At the end no connection is left and the daemon holds as many
# descriptors as before.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"

peer=$(dirname "$0")/tcp_peer.py

start_daemon tcperr uttcpe 10.77.25
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"
fds_before=$(daemon_fds)

# conns_to PORT: how many of the daemon's connections have the
# kernel's PORT as their remote end.
conns_to() {
	tcp_count "s[\"remote\"] == \"$KERNEL_IP:$1\""
}

say "1. a connect to a closed port fails with ECONNREFUSED"
refused0=$(counter tcp_conns_refused)
out=$(timeout 20 "$TCP_HELPER" -S "$SOCK" connect "$KERNEL_IP" 5999) ||
	fail "tcp_helper connect exited with status $?"
[[ $out == ECONNREFUSED ]] || fail "utcp_tcp_connect to a closed port gave $out"
if timeout 20 "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" 5999 </dev/null 2>"$TMP/refused"; then
	fail "utcp-nc to a closed port exited 0"
fi
grep -q "Connection refused" "$TMP/refused" || fail "utcp-nc said: $(cat "$TMP/refused")"
(($(counter tcp_conns_refused) >= refused0 + 2)) || fail "tcp_conns_refused did not count both"
say "  libutcp: -$out; utcp-nc: $(cat "$TMP/refused")"

say "2. the kernel resets a connection while utcp-nc sends 64 MiB: ECONNRESET"
resets0=$(counter tcp_rx_resets)
start_ns_bg "$PYTHON" "$peer" reset-server "$KERNEL_IP" 5201 $((1024 * 1024)) >"$TMP/rst.out"
srv=$BG_PID
wait_for kernel_tcp_listening 5201 || fail "the kernel's server is not listening"
status=0
head -c $((64 * 1024 * 1024)) /dev/zero |
	timeout 30 "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" 5201 >/dev/null 2>"$TMP/rst.err" ||
	status=$?
((status == 1)) || fail "utcp-nc after a reset exited $status: $(cat "$TMP/rst.err")"
grep -q "Connection reset by peer" "$TMP/rst.err" ||
	fail "no 'Connection reset by peer': $(cat "$TMP/rst.err")"
wait_pid 10 "$srv" || fail "the kernel's server exited with status $?"
(($(counter tcp_rx_resets) > resets0)) || fail "tcp_rx_resets did not count the RST"
say "  kernel: $(tail -n 1 "$TMP/rst.out"); $(cat "$TMP/rst.err")"
wait_for output_is 0 conns_to 5201 || fail "the reset connection is still there: $(tcp_unsettled)"

say "3. an application exits with received data unread: the kernel sees a RST"
txrst0=$(counter tcp_tx_resets)
start_ns_bg "$PYTHON" "$peer" expect-reset "$KERNEL_IP" 5202 65536 >"$TMP/unread.out"
srv=$BG_PID
wait_for kernel_tcp_listening 5202 || fail "the kernel's server is not listening"
out=$(timeout 30 "$TCP_HELPER" -S "$SOCK" unread "$KERNEL_IP" 5202) ||
	fail "tcp_helper unread exited with status $?"
[[ $out == "data pending" ]] || fail "tcp_helper unread said: $out"
wait_pid 25 "$srv" || fail "the kernel did not see a reset: $(tail -n 1 "$TMP/unread.out") (status $?)"
(($(counter tcp_tx_resets) > txrst0)) || fail "tcp_tx_resets did not count the RST"
say "  kernel: $(tail -n 1 "$TMP/unread.out")"
wait_for output_is 0 conns_to 5202 || fail "the connection is still there: $(tcp_unsettled)"

say "4. an application killed with SIGKILL while the kernel streams to it"
start_ns_bg "$PYTHON" "$peer" stream-server "$KERNEL_IP" 5203 >"$TMP/kill.out"
srv=$BG_PID
wait_for kernel_tcp_listening 5203 || fail "the kernel's server is not listening"
mkfifo "$TMP/hold"
exec 8<>"$TMP/hold" # keeps utcp-nc's stdin open
start_bg "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" 5203 <&8 >"$TMP/kill.got"
nc=$BG_PID
exec 8>&-
# Some data has arrived: the connection is in full flow.
got_some() {
	(($(file_size "$TMP/kill.got") > 1000000))
}
wait_for -t 10 got_some ||
	fail "utcp-nc received only $(file_size "$TMP/kill.got") bytes"
[[ $(tcp_count "s[\"remote\"] == \"$KERNEL_IP:5203\" and s[\"state\"] == \"ESTABLISHED\"") -eq 1 ]] ||
	fail "no ESTABLISHED connection to port 5203: $(tcp_unsettled)"
kill -s KILL "$nc"
wait "$nc" 2>/dev/null || true
wait_pid 25 "$srv" || fail "the kernel's server exited with status $?"
outcome=$(tail -n 1 "$TMP/kill.out")
[[ $outcome == reset* || $outcome == pipe* ]] ||
	fail "the kernel's send ended with: $outcome"
say "  kernel: $outcome"
wait_for output_is 0 conns_to 5203 ||
	fail "the killed application's connection is still there: $(tcp_unsettled)"
say "  the daemon holds no connection to port 5203"

say "5. the kernel resets a connection after a held request: read() ends with EOF"
start_ns_bg "$PYTHON" "$peer" reset-server "$KERNEL_IP" 5204 1 >"$TMP/held.out"
srv=$BG_PID
wait_for kernel_tcp_listening 5204 || fail "the kernel's server is not listening"
out=$(timeout 30 "$SOCK_HELPER" -S "$SOCK" request-read "$KERNEL_IP" 5204) ||
	fail "sock_helper request-read exited with status $?"
[[ $out == eof ]] || fail "read() after the reset of a held request: $out"
wait_pid 10 "$srv" || fail "the kernel's server exited with status $?"
say "  kernel: $(tail -n 1 "$TMP/held.out"); read(): $out"
wait_for output_is 0 conns_to 5204 || fail "the reset connection is still there: $(tcp_unsettled)"

say "nothing left: no connection, as many descriptors as before ($fds_before)"
wait_for tcp_settled || fail "connections left: $(tcp_unsettled)"
wait_for output_is "$fds_before" daemon_fds ||
	fail "utcpd holds $(daemon_fds) descriptors, $fds_before before"

pass
