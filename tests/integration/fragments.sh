#!/bin/bash
# fragments: a 4000-byte datagram from the kernel arrives fragmented and
# is reassembled by utcpd; a 4000-byte datagram sent through utcpd is
# fragmented by it and reassembled by the kernel. Both intact.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon fragments utfrag 10.77.10
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"

size=4000
random_file "$TMP/to_daemon" "$size"
random_file "$TMP/to_kernel" "$size"

say "the kernel sends one $size-byte datagram to utcp-nc -u -l -p 6001"
start_bg "$UTCP_NC" -S "$SOCK" -u -l -p 6001 >"$TMP/from_kernel" </dev/null
nc_pid=$BG_PID
wait_for socket_bound 6001 || fail "utcp-nc is not bound to 6001"
nsx "$PYTHON" - "$DAEMON_IP" 6001 "$TMP/to_daemon" <<'PY' || fail "send failed"
import socket, sys
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.sendto(open(sys.argv[3], "rb").read(), (sys.argv[1], int(sys.argv[2])))
PY
wait_for file_has_size "$TMP/from_kernel" "$size" ||
	fail "utcp-nc received $(file_size "$TMP/from_kernel") of $size bytes"
[[ $(sha "$TMP/from_kernel") == $(sha "$TMP/to_daemon") ]] ||
	fail "utcp-nc received different bytes"
stop_bg "$nc_pid"
reassembled=$(counter frag_reassembled)
((reassembled >= 1)) || fail "frag_reassembled = $reassembled"
say "  intact; frag_reassembled = $reassembled"

say "utcp-nc sends one $size-byte datagram to the kernel, fragmented"
start_ns_bg "$PYTHON" - "$KERNEL_IP" 6002 "$TMP/from_daemon" "$TMP/ready" <<'PY'
import socket, sys
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((sys.argv[1], int(sys.argv[2])))
sock.settimeout(30)
open(sys.argv[4], "w").close()
data = sock.recv(65535)
open(sys.argv[3], "wb").write(data)
PY
wait_for test -e "$TMP/ready" || fail "the kernel's receiver did not start"
# -b: one read of stdin, up to that many bytes, is one datagram.
timeout 10 "$UTCP_NC" -S "$SOCK" -u -b "$size" "$KERNEL_IP" 6002 <"$TMP/to_kernel" ||
	fail "utcp-nc -u -b $size $KERNEL_IP 6002 failed"
wait_for file_has_size "$TMP/from_daemon" "$size" ||
	fail "the kernel received a datagram of $(file_size "$TMP/from_daemon") bytes, expected one of $size"
[[ $(sha "$TMP/from_daemon") == $(sha "$TMP/to_kernel") ]] ||
	fail "the kernel received different bytes"
fragments=$(counter ip_tx_fragments)
((fragments >= 3)) || fail "ip_tx_fragments = $fragments, expected >= 3"
say "  intact; ip_tx_fragments = $fragments"

pass
