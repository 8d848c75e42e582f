#!/bin/bash
# reflect.sh - the ACK-reflection figure: ACKs utcpd sends per
# out-of-window segment it receives, for one established connection
#
#     sudo tests/bench/reflect.sh [BUILD_DIR] [COUNT]
#
# Uses BUILD_DIR's utcpd, utcpctl and tcp_helper (default: build), so
# that two builds can be compared (see README.md, "ACK reflection").
# A kernel socket connects to an echo server on libutcp, then COUNT
# segments (default 20000) for that connection, none in the window
# (data far ahead, far behind, a tenth SYNs), are written to the kernel's
# side of the TAP by tests/integration/tcp_reflect.py, which counts the
# segments utcpd sends on the connection meanwhile. Prints the figure;
# fails only when it could not be measured.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
B=$(cd "${1:-$HERE/../../build}" && pwd) ||
	{ echo "reflect.sh: no build directory ${1:-build}" >&2; exit 1; }
export UTCPD=$B/daemon/utcpd UTCPCTL=$B/client-lib/utcpctl \
	UTCP_NC=$B/client-lib/utcp-nc TCP_HELPER=$B/tests/integration/tcp_helper
COUNT=${2:-20000}

# shellcheck source=SCRIPTDIR/../integration/lib.sh
source "$HERE/../integration/lib.sh"
# shellcheck source=SCRIPTDIR/../integration/tcp_lib.sh
source "$HERE/../integration/tcp_lib.sh"
TEST_NAME=reflect # lib.sh says it

start_daemon benchreflect utbrefl 10.77.33
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"
start_bg timeout 120 "$TCP_HELPER" -S "$SOCK" echo-server 7000 1 >"$TMP/srv.out"
wait_for utcp_listening 7000 || fail "the libutcp echo server is not listening"
oow0=$(counter tcp_rx_drop_out_of_window)
out=$(timeout 120 ip netns exec "$NS" "$PYTHON" "$HERE/../integration/tcp_reflect.py" \
	"$TAP" "$DAEMON_MAC" "$DAEMON_IP" "$KERNEL_IP" 7000 "$COUNT" "$UTCPCTL" "$SOCK") ||
	fail "the burst or an echo failed: $out"
read -r _ sent _ seen _ window _ tx <<<"$out"
oow=$(($(counter tcp_rx_drop_out_of_window) - oow0))
say "$sent segments written in $window s, $oow reached TCP (out of the window);" \
	"utcpd sent $seen on the connection (tcp_tx_segments +$tx)"
say "ACKs out per out-of-window segment in: $(awk -v a="$seen" -v n="$oow" \
	'BEGIN { printf "%.5f (%d / %d)", a / n, a, n }')"
pass
