#!/bin/bash
# dhcp_reboot: utcpd keeps its lease in $STATE_DIR/lease-TAP. Killed and
# started again, it goes through INIT-REBOOT: it asks dnsmasq for the
# saved address (a REQUEST, no DISCOVER) and gets it. Killed again and
# started on a network that moved to another subnet, its INIT-REBOOT
# request is NAKed by the (authoritative) server and the client starts
# over, ending with an address of the new subnet.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/dhcp_lib.sh
. "$(dirname "$0")/dhcp_lib.sh"

require_dnsmasq
NET=10.78.13
NET2=10.78.14
TAP0=utdb0

# discovers: how many DISCOVERs dnsmasq has logged.
discovers() {
	grep -c "DHCPDISCOVER($TAP0)" "$TMP/dnsmasq-$TAP0.log" || true
}

server_tap "$TAP0" "$NET"
start_dnsmasq "$NS" "$TAP0" "$NET"
write_dhcp_config db-host "$TAP0" "$NET"
start_dhcp_daemon
wait_bound "$TAP0"
first=$DAEMON_IP
say "bound: $first"
wait_for test -s "$STATE_DIR/lease-$TAP0" ||
	fail "no lease file $STATE_DIR/lease-$TAP0"

say "killed and restarted: INIT-REBOOT asks for $first and gets it"
stop_daemon KILL 2>/dev/null || true # no RELEASE: the lease file stays
d0=$(discovers)
: >"$LOG"
start_dhcp_daemon
wait_bound "$TAP0"
[[ $DAEMON_IP == "$first" ]] || fail "bound to $DAEMON_IP, want $first"
daemon_log_has "$TAP0: dhcp INIT-REBOOT -> REBOOTING" ||
	fail "no INIT-REBOOT -> REBOOTING in the log"
daemon_log_has "$TAP0: dhcp REBOOTING -> BOUND" ||
	fail "no REBOOTING -> BOUND in the log"
[[ $(discovers) -eq $d0 ]] || fail "a DISCOVER was sent on reboot"
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"

say "killed; the network moves to $NET2.0/24; restarted: NAKed, starts over"
stop_daemon KILL 2>/dev/null || true # no RELEASE: the lease file stays
stop_bg "$DNSMASQ_PID"
ip -n "$NS" addr flush dev "$TAP0"
ip -n "$NS" addr add "$NET2.1/24" dev "$TAP0"
rm -f "$TMP/dnsmasq-$TAP0.leases"
start_dnsmasq "$NS" "$TAP0" "$NET2"
: >"$LOG"
start_dhcp_daemon
wait_bound "$TAP0" 40
[[ $DAEMON_IP == "$NET2".* ]] || fail "bound to $DAEMON_IP, want $NET2.x"
daemon_log_has "$TAP0: dhcp INIT-REBOOT -> REBOOTING" ||
	fail "no INIT-REBOOT -> REBOOTING in the log"
daemon_log_has "$TAP0: dhcp REBOOTING -> INIT" ||
	fail "no REBOOTING -> INIT (the NAK) in the log"
grep -q "DHCPNAK($TAP0) $first" "$TMP/dnsmasq-$TAP0.log" ||
	fail "dnsmasq did not NAK $first: $(grep "$TAP0" "$TMP/dnsmasq-$TAP0.log" | tail -n 5)"
grep -q "$DAEMON_IP" "$STATE_DIR/lease-$TAP0" ||
	fail "the lease file does not hold the new address $DAEMON_IP"
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"
say "  NAKed for $first, then bound to $DAEMON_IP"

pass
