#!/bin/bash
# tcp_reflect: out-of-window segments are not reflected one for one.
#
# A kernel socket connects to an echo server on libutcp; then a burst of
# COUNT segments for that connection, none of them in the window (data
# far ahead or far behind, and SYNs), is written to the kernel's side of
# the TAP (tcp_reflect.py). utcpd must drop every one that reaches it
# (counted as tcp_rx_drop_out_of_window, and as _left or _right by the
# edge they are beyond), answer at most one each 500 ms
# on the connection (and within the budget for all connections), count
# the ACKs it held back, and the connection must still carry an echo
# after.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"

count=${TCP_REFLECT_COUNT:-20000}
((UTCP_SANITIZED)) && count=${TCP_REFLECT_COUNT:-5000}

start_daemon tcpreflect utreflect 10.77.31
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"

start_bg timeout 60 "$TCP_HELPER" -S "$SOCK" echo-server 7000 1 >"$TMP/srv.out"
srv=$BG_PID
wait_for utcp_listening 7000 || fail "the libutcp echo server is not listening"

say "a burst of $count out-of-window segments (a tenth of them SYNs) for one connection"
oow0=$(counter tcp_rx_drop_out_of_window)
left0=$(counter tcp_rx_drop_out_of_window_left)
right0=$(counter tcp_rx_drop_out_of_window_right)
acks0=$(($(counter tcp_invalid_acks) + $(counter tcp_challenge_acks)))
held0=$(($(counter tcp_invalid_acks_limited) + $(counter tcp_challenge_acks_limited)))
t0=$(now_ns)
out=$(timeout 90 ip netns exec "$NS" "$PYTHON" "$(dirname "$0")/tcp_reflect.py" \
	"$TAP" "$DAEMON_MAC" "$DAEMON_IP" "$KERNEL_IP" 7000 "$count" "$UTCPCTL" "$SOCK") ||
	fail "the burst or an echo failed: $out"
t1=$(now_ns)
read -r _ sent _ seen _ window _ tx <<<"$out"
oow=$(($(counter tcp_rx_drop_out_of_window) - oow0))
left=$(($(counter tcp_rx_drop_out_of_window_left) - left0))
right=$(($(counter tcp_rx_drop_out_of_window_right) - right0))
acks=$(($(counter tcp_invalid_acks) + $(counter tcp_challenge_acks) - acks0))
held=$(($(counter tcp_invalid_acks_limited) + $(counter tcp_challenge_acks_limited) - held0))
say "  $sent segments in $window s: $oow dropped out of the window, $acks ACKs sent," \
	"$held held back; $seen segments seen from utcpd, tcp_tx_segments +$tx"
say "  by cause: $left left of the window (behind), $right right of it (ahead)"
say "  ACKs out per out-of-window segment in: $(awk -v a="$seen" -v n="$oow" 'BEGIN { printf "%.5f", a / n }')"
# The TAP may drop some of a burst that outruns utcpd: count what came.
((oow * 2 >= sent)) || fail "only $oow of the $sent segments reached utcpd's TCP"
# Half of them are far ahead, half far behind: the breakdown says so,
# and adds up (utcpctl shows each counter as the others).
((left > 0 && right > 0 && left + right == oow)) ||
	fail "out of the window: $left left and $right right for $oow in all"
((acks + held == oow)) || fail "$acks ACKs sent and $held held back for $oow segments"
# One each 500 ms while utcpd had the burst: at most twice the seconds
# the whole script ran (connect, burst, echoes), plus 2 (both ends).
bound=$(awk -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%d", 2 * (t1 - t0) / 1e9 + 2 }')
((acks <= bound)) || fail "$acks ACKs for $oow segments in $window s (at most $bound)"
((seen <= bound && tx <= bound)) ||
	fail "$seen segments seen from utcpd, tcp_tx_segments +$tx (at most $bound)"
((seen * 100 < oow)) || fail "ACKs out per segment in: $seen / $oow, not below 0.01"
wait_pid 10 "$srv" || fail "the echo server exited with status $?: $(cat "$TMP/srv.out")"
pass
