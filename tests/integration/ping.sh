#!/bin/bash
# ping: the kernel pings utcpd 20 times and gets 20 echo replies, which
# utcpd counts.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon ping utping 10.77.1

say "ping -c 20 -i 0.05 $DAEMON_IP gets 20 replies"
out=$(nsx ping -n -c 20 -i 0.05 -w 20 "$DAEMON_IP") || true
printf '%s\n' "$out" | tail -n 2
grep -q ', 20 received' <<<"$out" || fail "expected 20 replies"

say "utcpd counted at least 20 echo replies sent"
sent=$(counter icmp_tx_echo_replies)
((sent >= 20)) || fail "icmp_tx_echo_replies = $sent, expected >= 20"

pass
