#!/bin/bash
# arping: ARP requests from the kernel's side get utcpd's configured MAC,
# and the kernel's own ARP then resolves the daemon to that MAC.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon arping utarp 10.77.2

# Debian's arping (Thomas Habets') names the interface with -i,
# iputils' with -I.
if arping --help 2>&1 | grep Habets >/dev/null; then
	iface_flag=-i
else
	iface_flag=-I
fi

say "arping -c 3 $iface_flag $TAP $DAEMON_IP answers from $DAEMON_MAC"
out=$(nsx arping -c 3 "$iface_flag" "$TAP" "$DAEMON_IP" 2>&1) ||
	fail "arping failed: $out"
printf '%s\n' "$out"
grep -qi "$DAEMON_MAC" <<<"$out" || fail "no reply from $DAEMON_MAC"
if grep -i -o '\([0-9a-f]\{2\}:\)\{5\}[0-9a-f]\{2\}' <<<"$out" |
	grep -qiv "^$DAEMON_MAC\$"; then
	fail "a reply came from another MAC"
fi

say "the kernel's neighbour table resolves $DAEMON_IP to $DAEMON_MAC"
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping after arping failed"
neigh=$(ip -n "$NS" neigh show "$DAEMON_IP" dev "$TAP")
printf '%s\n' "$neigh"
grep -qi "lladdr $DAEMON_MAC" <<<"$neigh" || fail "kernel has no entry with $DAEMON_MAC"

say "utcpd counted the ARP replies it sent"
replies=$(counter arp_replies_tx)
((replies >= 3)) || fail "arp_replies_tx = $replies, expected >= 3"

pass
