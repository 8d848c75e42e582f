#!/bin/bash
# udp: several KiB of random data cross as datagrams both ways, utcp-nc
# on utcpd's side and socat on the kernel's, and arrive unchanged.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon udp utudp 10.77.4

# Both ARP caches learn each other first, so that no datagram of the
# bursts below waits on (or is dropped from) an ARP hold queue.
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"

size=$((12 * 1024))
random_file "$TMP/to_kernel" "$size"
random_file "$TMP/to_daemon" "$size"

say "utcp-nc -u $KERNEL_IP 5001 sends $size bytes to the kernel's socat"
start_ns_bg socat -u "UDP-RECV:5001,bind=$KERNEL_IP" "OPEN:$TMP/from_daemon,creat,trunc"
socat_pid=$BG_PID
wait_for kernel_udp_bound 5001 || fail "socat is not listening on 5001"
# utcp-nc sends each read of stdin (up to 1400 bytes) as one datagram
# and exits 0 at EOF.
timeout 10 "$UTCP_NC" -S "$SOCK" -u "$KERNEL_IP" 5001 <"$TMP/to_kernel" ||
	fail "utcp-nc -u $KERNEL_IP 5001 failed"
wait_for file_has_size "$TMP/from_daemon" "$size" ||
	fail "the kernel received $(file_size "$TMP/from_daemon") of $size bytes"
[[ $(sha "$TMP/from_daemon") == $(sha "$TMP/to_kernel") ]] ||
	fail "the kernel received different bytes"
say "  $size bytes arrived, SHA-256 equal"
stop_bg "$socat_pid"

say "the kernel's socat sends $size bytes to utcp-nc -u -l -p 5002"
start_bg "$UTCP_NC" -S "$SOCK" -u -l -p 5002 >"$TMP/from_kernel" </dev/null
nc_pid=$BG_PID
wait_for socket_bound 5002 || fail "utcp-nc is not bound to 5002"
nsx socat -u -b 1400 "OPEN:$TMP/to_daemon" "UDP:$DAEMON_IP:5002" ||
	fail "socat failed to send"
wait_for file_has_size "$TMP/from_kernel" "$size" ||
	fail "utcp-nc received $(file_size "$TMP/from_kernel") of $size bytes"
[[ $(sha "$TMP/from_kernel") == $(sha "$TMP/to_daemon") ]] ||
	fail "utcp-nc received different bytes"
say "  $size bytes arrived, SHA-256 equal"
stop_bg "$nc_pid"

say "utcpd counted the datagrams"
rx=$(counter udp_rx)
tx=$(counter udp_tx)
((rx >= size / 1400 && tx >= size / 1400)) ||
	fail "udp_rx = $rx, udp_tx = $tx, expected >= $((size / 1400)) each"

pass
