#!/bin/bash
# tcp_ports: many sequential libutcp connects to one kernel server, with
# a small range of ephemeral ports, all succeed: the ports are chosen per
# 4-tuple (RFC 6056) and a port whose connection is still in TIME_WAIT
# is taken over once timestamps make it safe (as Linux's tcp_tw_reuse).
#
# The daemon is configured with local_port_range of PORTS ports. The
# libutcp clients (tcp_churn_helper.c) make COUNT connections one after
# another to the kernel's echo server (tcp_churn_peer.py); a third of
# them are closed by the client first, which leaves each one's port in
# TIME_WAIT for 60 s, so after the first PORTS of those the range is
# used up unless TIME_WAIT is taken over. Every connection must succeed,
# every local port must lie in the range, and the daemon must count the
# takeovers (tcp_connect_time_wait_reused).
#
# PORTS is 2000: the connects run at about 2000 a second here, a third
# of them leave TIME_WAIT, and a TIME_WAIT less than a second old is not
# taken over (as on Linux), so a range of fewer ports than the third of
# the connect rate could run out.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"

: "${TCP_CHURN_HELPER:?TCP_CHURN_HELPER must name the tcp_churn_helper binary}"

peer=$(dirname "$0")/tcp_churn_peer.py
ports=${TCP_PORTS_RANGE:-2000}
count=${TCP_PORTS_COUNT:-12000}
if ((UTCP_SANITIZED)); then
	count=${TCP_PORTS_COUNT:-7500}
fi
first=50000
last=$((first + ports - 1))

make_namespace
write_config tcpports utports 10.77.29 "" \
	"[tcp]" "local_port_range = $first $last"
start_daemon_with_config
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"

say "$count sequential libutcp connects to the kernel's echo server, local ports $first-$last"
active0=$(counter tcp_active_opens)
reused0=$(counter tcp_connect_time_wait_reused)
start_ns_bg timeout 60 "$PYTHON" "$peer" echo-server "$KERNEL_IP" 7001 "$count" >"$TMP/srv.out"
srv=$BG_PID
wait_for kernel_tcp_listening 7001 || fail "the kernel's echo server is not listening"
t0=$SECONDS
timeout 60 "$TCP_CHURN_HELPER" -S "$SOCK" clients "$KERNEL_IP" 7001 "$count" 1 \
	>"$TMP/cli.out" || fail "the libutcp clients failed (status $?): $(cat "$TMP/cli.out")"
wait_pid 20 "$srv" || fail "the kernel's echo server exited with status $?: $(cat "$TMP/srv.out")"
reused=$(($(counter tcp_connect_time_wait_reused) - reused0))
say "  libutcp: $(cat "$TMP/cli.out") in $((SECONDS - t0)) s"
say "  kernel: $(tail -n 1 "$TMP/srv.out")"
say "  ports taken over from TIME_WAIT: $reused; no port free: $(counter tcp_connect_no_port)"
grep -q "^$count connections" "$TMP/cli.out" ||
	fail "not every connection succeeded"
grep -q "^served $count connections" "$TMP/srv.out" ||
	fail "the kernel's server did not serve $count connections"
(($(counter tcp_active_opens) - active0 == count)) ||
	fail "tcp_active_opens grew by $(($(counter tcp_active_opens) - active0)), not $count"
# The client-closed third left more TIME_WAIT ports than the range has.
((count / 3 > ports)) || fail "the test needs more than $((3 * ports)) connects"
((reused > 0)) || fail "no TIME_WAIT was taken over (tcp_connect_time_wait_reused 0)"
(($(counter tcp_connect_no_port) == 0)) || fail "a connect found no port free"

# Every local port the daemon used is in the range.
outside=$(tcp_count "not $first <= int(s[\"local\"].rsplit(\":\", 1)[1]) <= $last")
[[ $outside -eq 0 ]] || fail "$outside connections outside local_port_range: $(tcp_unsettled)"
wait_for -t 10 tcp_settled || fail "connections left: $(tcp_unsettled)"
pass
