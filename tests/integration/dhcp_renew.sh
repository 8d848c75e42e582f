#!/bin/bash
# dhcp_renew: a lease with T1 of 3 s and T2 of 10 s (options 58 and 59
# from dnsmasq). RENEWING happens during a TCP transfer from the kernel,
# which completes intact (SHA-256) over the one connection; the address
# is never removed (status polled every 0.1 s throughout). Then dnsmasq
# stops and a second one starts on another address: the renewal to the
# first goes unanswered, at T2 the client REBINDs (broadcast), and the
# second server answers it, keeping the address.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/dhcp_lib.sh
. "$(dirname "$0")/dhcp_lib.sh"

require_dnsmasq
NET=10.78.12
TAP0=utdr0

server_tap "$TAP0" "$NET"
start_dnsmasq "$NS" "$TAP0" "$NET" --dhcp-option=option:T1,3 \
	--dhcp-option=option:T2,10
first_dnsmasq=$DNSMASQ_PID
write_dhcp_config dr-host "$TAP0" "$NET"
start_dhcp_daemon
wait_bound "$TAP0"
say "bound: $DAEMON_IP, T1 $(if_query "$TAP0" 'd["t1_s"]') s, T2 $(if_query "$TAP0" 'd["t2_s"]') s"
[[ $(if_query "$TAP0" '(d["t1_s"], d["t2_s"], d["lease_s"])') == "(3, 10, 120)" ]] ||
	fail "times $(if_query "$TAP0" '(d["t1_s"], d["t2_s"], d["lease_s"])'), want (3, 10, 120)"
start_address_watch "$TMP/addresses"

# renewals: how many times the client went back from RENEWING to BOUND.
renewals() {
	log_count "$TAP0: dhcp RENEWING -> BOUND"
}
renewals_above() {
	(($(renewals) > $1))
}

say "a TCP transfer from the kernel spans a renewal"
size=$((2 * 1024 * 1024))
random_file "$TMP/part1" "$size"
random_file "$TMP/part2" "$size"
cat "$TMP/part1" "$TMP/part2" >"$TMP/sent"
start_bg "$UTCP_NC" -S "$SOCK" -l -p 7300 >"$TMP/got" </dev/null
nc_pid=$BG_PID
wait_for socket_bound 7300 || fail "utcp-nc is not listening on 7300"
mkfifo "$TMP/feed"
exec 3<>"$TMP/feed" # read-write: opens without waiting for the reader
start_ns_bg socat -u "OPEN:$TMP/feed" "TCP:$DAEMON_IP:7300" 3>&-
cat "$TMP/part1" >&3
wait_for file_has_size "$TMP/got" "$size" ||
	fail "the first half did not arrive ($(file_size "$TMP/got") bytes)"
before=$(renewals)
wait_for -t 15 renewals_above "$before" || fail "no renewal within 15 s"
say "  renewed (RENEWING -> BOUND) with the connection open"
cat "$TMP/part2" >&3
exec 3>&-
wait_for file_has_size "$TMP/got" $((2 * size)) ||
	fail "utcp-nc received $(file_size "$TMP/got") of $((2 * size)) bytes"
wait_pid_gone() {
	! kill -0 "$1" 2>/dev/null
}
wait_for wait_pid_gone "$nc_pid" || fail "utcp-nc did not see the end"
[[ $(sha "$TMP/got") == $(sha "$TMP/sent") ]] || fail "the bytes differ"
say "  $((2 * size)) bytes, SHA-256 equal"
address_watch_saw "$TMP/addresses" "$DAEMON_IP" ||
	fail "the address changed: $(sort "$TMP/addresses" | uniq -c)"
# INIT and SELECTING once each, at the start: the client never started
# over.
[[ $(log_count "$TAP0: dhcp [A-Z-]+ -> (INIT|SELECTING)\$") -eq 2 ]] ||
	fail "the client started over: $(grep -E -- '-> (INIT|SELECTING)$' "$LOG")"

say "dnsmasq stops; a second server starts on $NET.254, a fresh lease file"
# Right after a renewal: T1 is 3 s away, T2 10 s. The renewal goes to
# $NET.1, which is gone; RFC 2131 4.4.5 waits at least 60 s before
# sending it again, so the next request is REBINDING's broadcast at T2,
# which the second server hears.
before=$(renewals)
wait_for -t 15 renewals_above "$before" || fail "no renewal within 15 s"
stop_bg "$first_dnsmasq"
ip -n "$NS" addr del "$NET.1/24" dev "$TAP0"
ip -n "$NS" addr add "$NET.254/24" dev "$TAP0"
rm -f "$TMP/dnsmasq-$TAP0.leases"
start_dnsmasq "$NS" "$TAP0" "$NET" --dhcp-option=option:T1,60 \
	--dhcp-option=option:T2,100
wait_for -t 20 daemon_log_has "$TAP0: dhcp RENEWING -> REBINDING" ||
	fail "no REBINDING within 20 s of dnsmasq's end"
say "  rebinding"
wait_for -t 20 daemon_log_has "$TAP0: dhcp REBINDING -> BOUND" ||
	fail "not bound again within 20 s of REBINDING"
grep -q "DHCPREQUEST($TAP0) $DAEMON_IP" "$TMP/dnsmasq-$TAP0.log" ||
	fail "the second server saw no REQUEST for $DAEMON_IP"
[[ $(if_query "$TAP0" 'd["server"]') == "$NET.254" ]] ||
	fail "server $(if_query "$TAP0" 'd["server"]'), want $NET.254"
[[ $(if_address "$TAP0") == "$DAEMON_IP" ]] ||
	fail "address $(if_address "$TAP0"), want $DAEMON_IP still"
address_watch_saw "$TMP/addresses" "$DAEMON_IP" ||
	fail "the address changed: $(sort "$TMP/addresses" | uniq -c)"
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"
say "  bound again to $DAEMON_IP by $NET.254, the address never removed"

pass
