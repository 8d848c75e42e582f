#!/bin/bash
# malformed: broken frames (truncated headers, bad checksums, bad IHL,
# lengths beyond the frame, overlapping, oversized and too many
# fragments, an unknown protocol) are each dropped and counted by the
# reason in utcpctl status, and utcpd still answers ping afterwards.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

"$PYTHON" -c 'import scapy' 2>/dev/null || skip "$PYTHON has no scapy"

start_daemon malformed utmalformed 10.77.6

# utcpd learns the kernel's MAC first, so that its ICMP error for the
# unknown protocol goes out without waiting on ARP.
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"

say "each malformed frame is dropped and counted by its reason"
nsx "$PYTHON" "$(dirname "$0")/malformed.py" "$TAP" "$DAEMON_MAC" \
	"$DAEMON_IP" "$KERNEL_IP" "$UTCPCTL" "$SOCK" ||
	fail "some malformed frames were not counted"

say "utcpd is alive and still answers ping -c 3"
daemon_alive || fail "utcpd died"
out=$(nsx ping -n -c 3 -i 0.2 -w 10 "$DAEMON_IP") || true
printf '%s\n' "$out" | tail -n 2
grep -q ', 3 received' <<<"$out" || fail "expected 3 replies"

pass
