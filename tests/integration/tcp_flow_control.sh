#!/bin/bash
# tcp_flow_control: an application that stops reading. A libutcp
# program (tcp_helper sink, receive buffer RCVBUF) accepts a connection
# from the kernel and reads nothing while the kernel sends 16 MiB:
#   - the window utcpd advertises closes: status -a --json shows rcv_wnd 0
#     for the connection, and the kernel's socket goes into zero-window
#     probing (ss: the persist timer);
#   - utcpd's memory stays bounded: recv_queue <= RCVBUF, and it stays
#     there while the kernel probes;
#   - once the application reads again, all 16 MiB arrive intact.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"

size=$((16 * 1024 * 1024))
rcvbuf=131072

start_daemon tcpflow uttcpf 10.77.24
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"
random_file "$TMP/data" "$size"

# conn_field FIELD: FIELD of the daemon's connection on local port 7100.
conn_field() {
	tcp_query "[s[\"$1\"] for s in tcp if not s[\"listener\"]
	            and s[\"local\"].endswith(\":7100\")][0]"
}

# window_closed: the daemon advertises a zero window on that connection.
window_closed() {
	[[ $(conn_field rcv_wnd) == 0 ]]
}

# kernel_probing: the kernel's socket to the daemon runs its persist
# (zero-window probe) timer.
kernel_probing() {
	nsx ss -Htno state established "dst $DAEMON_IP:7100" | grep -q 'timer:(persist'
}

rss_kib() {
	awk '/^VmRSS:/ { print $2 }' /proc/"$DAEMON_PID"/status
}
rss_before=$(rss_kib)

say "a libutcp reader that does not read (receive buffer $rcvbuf bytes) on port 7100"
mkfifo "$TMP/sink.out"
exec 7<>"$TMP/sink.out"
start_bg "$TCP_HELPER" -S "$SOCK" sink 7100 "$TMP/got" "$rcvbuf" >&7
sink=$BG_PID
read -r -t 10 line <&7 || fail "the sink does not start"
[[ $line == listening ]] || fail "the sink says: $line"

say "the kernel sends $((size >> 20)) MiB"
start_bg timeout 90 ip netns exec "$NS" socat -u "OPEN:$TMP/data" "TCP:$DAEMON_IP:7100"
sender=$BG_PID
read -r -t 10 line <&7 || fail "the sink accepted no connection"
[[ $line == accepted* ]] || fail "the sink says: $line"

say "utcpd's advertised window closes: rcv_wnd 0 in status -a --json"
wait_for -t 20 window_closed ||
	fail "rcv_wnd is $(conn_field rcv_wnd), recv_queue $(conn_field recv_queue) after 20 s"
say "  rcv_wnd 0 with recv_queue $(conn_field recv_queue) bytes"

say "the kernel probes the zero window (ss: persist timer)"
wait_for -t 20 kernel_probing ||
	fail "the kernel is not probing: $(nsx ss -tnoi "dst $DAEMON_IP:7100")"
ss_line=$(nsx ss -Htnoi state established "dst $DAEMON_IP:7100" | tr -s ' \t\n' ' ')
say "  kernel: Send-Q $(awk '{ print $2 }' <<<"$ss_line") bytes, $(grep -o 'timer:([^)]*)' <<<"$ss_line")"

say "utcpd holds at most its buffer: recv_queue <= $rcvbuf while the kernel probes"
# rx_grew N: the daemon has received N more TCP segments (the kernel's
# probes: nothing else reaches it now) than when $rx0 was taken.
rx_grew() {
	(($(counter tcp_rx_segments) >= rx0 + $1))
}
taken=$(conn_field bytes_received)
for round in 1 2 3; do
	rx0=$(counter tcp_rx_segments)
	wait_for -t 15 rx_grew 1 || fail "round $round: no probe from the kernel in 15 s"
	q=$(conn_field recv_queue)
	w=$(conn_field rcv_wnd)
	((q <= rcvbuf)) || fail "recv_queue $q is beyond the buffer of $rcvbuf bytes"
	[[ $w == 0 ]] || fail "the window opened ($w) while nobody reads"
	[[ $(conn_field bytes_received) == "$taken" ]] ||
		fail "utcpd took in $(conn_field bytes_received) bytes, $taken before, through a zero window"
done
received=$(conn_field bytes_received)
((received < size)) || fail "all $size bytes were taken though nobody reads"
say "  after 3 probes: recv_queue $q, rcv_wnd $w, $received of $size bytes taken in"
say "  utcpd's RSS: $(rss_kib) KiB (before: $rss_before KiB)"
say "  tcp_zero_window_probes $(counter tcp_zero_window_probes), tcp_rx_drop_out_of_window $(counter tcp_rx_drop_out_of_window)"

say "the application reads again: everything arrives"
kill -s USR1 "$sink"
wait_pid 60 "$sink" || fail "the sink exited with status $? ($(file_size "$TMP/got") bytes)"
wait_pid 20 "$sender" || fail "socat exited with status $?"
got=$(file_size "$TMP/got")
((got == size)) || fail "$got of $size bytes arrived"
[[ $(sha "$TMP/got") == $(sha "$TMP/data") ]] || fail "different bytes arrived (SHA-256)"
say "  $size bytes, SHA-256 equal"
exec 7>&-

say "nothing left but TIME_WAIT"
wait_for tcp_settled || fail "connections left: $(tcp_unsettled)"

pass
