#!/bin/bash
# dhcp_decline: dnsmasq offers utcpd an address ($NET.50, reserved for
# its MAC) that a kernel host on the link already holds: the kernel's
# side of the TAP has it too, and answers ARP for it. utcpd's RFC 5227
# probe finds it, the client DECLINEs it, waits, and takes another
# address from the range; the address in use is never configured.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/dhcp_lib.sh
. "$(dirname "$0")/dhcp_lib.sh"

require_dnsmasq
NET=10.78.15
TAP0=utdd0
TAKEN=$NET.50

server_tap "$TAP0" "$NET"
ip -n "$NS" addr add "$TAKEN/24" dev "$TAP0"
write_dhcp_config dd-host "$TAP0" "$NET"
# The reserved address is outside the dynamic range (.51-.52): once
# declined, dnsmasq gives one of those.
start_bg ip netns exec "$NS" "$DNSMASQ" --no-daemon --conf-file=/dev/null \
	--no-hosts --no-resolv --port=0 --no-ping --log-dhcp \
	--interface="$TAP0" --bind-interfaces --dhcp-authoritative \
	--dhcp-range="$NET.51,$NET.52,255.255.255.0,2m" \
	--dhcp-host="$DAEMON_MAC,$TAKEN" \
	--dhcp-leasefile="$TMP/dnsmasq-$TAP0.leases" \
	2>>"$TMP/dnsmasq-$TAP0.log"
wait_for ns_udp_bound "$NS" 67 || fail "dnsmasq does not listen"
start_address_watch "$TMP/addresses"
start_dhcp_daemon
wait_bound "$TAP0" 60
say "bound: $DAEMON_IP"
[[ $DAEMON_IP == "$NET.51" || $DAEMON_IP == "$NET.52" ]] ||
	fail "bound to $DAEMON_IP, want $NET.51 or $NET.52"
grep -q "DHCPOFFER($TAP0) $TAKEN" "$TMP/dnsmasq-$TAP0.log" ||
	fail "dnsmasq never offered $TAKEN"
grep -q "DHCPDECLINE($TAP0) $TAKEN" "$TMP/dnsmasq-$TAP0.log" ||
	fail "no DECLINE of $TAKEN reached dnsmasq"
! grep -q "^$TAKEN/" "$TMP/addresses" || fail "$TAKEN was configured"
[[ $(if_query "$TAP0" 'd["counters"]["declines"]') -ge 1 ]] ||
	fail "declines $(if_query "$TAP0" 'd["counters"]["declines"]'), want >= 1"
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"
say "  $TAKEN declined, $DAEMON_IP taken instead"

pass
