#!/bin/bash
# tcp_bulk: bulk TCP through utcpd against the namespace's kernel, N MiB
# each way with SHA-256 compared (N = 100; 16 in a sanitizer build):
#   1. utcp-nc client -> kernel socat server, utcp-nc sending;
#   2. the same connection shape, the kernel sending;
#   3. kernel socat client -> utcp-nc -l, the kernel sending;
#   4. the same, utcp-nc -l sending;
#   5. both directions at once on one connection (utcp-nc client).
# Throughput is printed as information, never asserted. At the end no
# connection is left but TIME_WAIT and the daemon holds as many
# descriptors as before.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"

mib=100
[[ $UTCP_SANITIZED == 1 ]] && mib=16
size=$((mib * 1024 * 1024))
limit=90 # seconds any one transfer may take before it fails the test

start_daemon tcpbulk uttcpb 10.77.21
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"
fds_before=$(daemon_fds)

say "making two files of $mib MiB"
random_file "$TMP/a" "$size"
random_file "$TMP/b" "$size"
sha_a=$(sha "$TMP/a")
sha_b=$(sha "$TMP/b")

# check_file FILE WANT_SHA WHAT: FILE has SIZE bytes and the SHA-256.
check_file() {
	local got
	got=$(file_size "$1")
	((got == size)) || fail "$3: $got of $size bytes arrived"
	[[ $(sha "$1") == "$2" ]] || fail "$3: $size bytes arrived but differ (SHA-256)"
}

say "1. utcp-nc client -> kernel socat server: utcp-nc sends $mib MiB"
start_bg timeout "$limit" ip netns exec "$NS" socat -u \
	"TCP-LISTEN:5101,bind=$KERNEL_IP,reuseaddr" "CREATE:$TMP/k1"
srv=$BG_PID
wait_for kernel_tcp_listening 5101 || fail "socat is not listening on 5101"
t0=$(now_ns)
timeout "$limit" "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" 5101 <"$TMP/a" >/dev/null ||
	fail "utcp-nc $KERNEL_IP 5101 exited with status $?"
wait "$srv" || fail "socat server exited with status $?"
t1=$(now_ns)
check_file "$TMP/k1" "$sha_a" "utcpd -> kernel"
say "  SHA-256 equal; utcpd -> kernel: $(rate "$size" "$t0" "$t1")"
rm -f "$TMP/k1"

say "2. utcp-nc client -> kernel socat server: the kernel sends $mib MiB"
start_bg timeout "$limit" ip netns exec "$NS" socat -U \
	"TCP-LISTEN:5102,bind=$KERNEL_IP,reuseaddr" "OPEN:$TMP/b"
srv=$BG_PID
wait_for kernel_tcp_listening 5102 || fail "socat is not listening on 5102"
t0=$(now_ns)
timeout "$limit" "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" 5102 </dev/null >"$TMP/u2" ||
	fail "utcp-nc $KERNEL_IP 5102 exited with status $? ($(file_size "$TMP/u2") bytes arrived)"
t1=$(now_ns)
wait "$srv" || fail "socat server exited with status $?"
check_file "$TMP/u2" "$sha_b" "kernel -> utcpd"
say "  SHA-256 equal; kernel -> utcpd: $(rate "$size" "$t0" "$t1")"
rm -f "$TMP/u2"

say "3. kernel socat client -> utcp-nc -l: the kernel sends $mib MiB"
start_bg timeout "$limit" "$UTCP_NC" -S "$SOCK" -l -p 5103 </dev/null >"$TMP/u3"
nc=$BG_PID
wait_for utcp_listening 5103 || fail "utcp-nc is not listening on 5103"
t0=$(now_ns)
timeout "$limit" ip netns exec "$NS" socat -u "OPEN:$TMP/b" "TCP:$DAEMON_IP:5103" ||
	fail "socat client exited with status $?"
wait "$nc" || fail "utcp-nc -l exited with status $? ($(file_size "$TMP/u3") bytes arrived)"
t1=$(now_ns)
check_file "$TMP/u3" "$sha_b" "kernel -> utcpd"
say "  SHA-256 equal; kernel -> utcpd: $(rate "$size" "$t0" "$t1")"
rm -f "$TMP/u3"

say "4. kernel socat client -> utcp-nc -l: utcp-nc sends $mib MiB"
start_bg timeout "$limit" "$UTCP_NC" -S "$SOCK" -l -p 5104 <"$TMP/a" >/dev/null
nc=$BG_PID
wait_for utcp_listening 5104 || fail "utcp-nc is not listening on 5104"
t0=$(now_ns)
timeout "$limit" ip netns exec "$NS" socat -u "TCP:$DAEMON_IP:5104" "CREATE:$TMP/k4" ||
	fail "socat client exited with status $?"
t1=$(now_ns)
wait "$nc" || fail "utcp-nc -l exited with status $?"
check_file "$TMP/k4" "$sha_a" "utcpd -> kernel"
say "  SHA-256 equal; utcpd -> kernel: $(rate "$size" "$t0" "$t1")"
rm -f "$TMP/k4"

say "5. utcp-nc client <-> kernel socat server: $mib MiB each way at once"
start_bg timeout "$limit" ip netns exec "$NS" socat \
	"TCP-LISTEN:5105,bind=$KERNEL_IP,reuseaddr" \
	"SYSTEM:cat $TMP/b & cat >$TMP/k5; wait"
srv=$BG_PID
wait_for kernel_tcp_listening 5105 || fail "socat is not listening on 5105"
t0=$(now_ns)
timeout "$limit" "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" 5105 <"$TMP/a" >"$TMP/u5" ||
	fail "utcp-nc $KERNEL_IP 5105 exited with status $? ($(file_size "$TMP/u5") bytes arrived)"
wait "$srv" || fail "socat server exited with status $?"
t1=$(now_ns)
check_file "$TMP/k5" "$sha_a" "utcpd -> kernel (both ways)"
check_file "$TMP/u5" "$sha_b" "kernel -> utcpd (both ways)"
say "  SHA-256 equal both ways; together: $(rate $((2 * size)) "$t0" "$t1")"
rm -f "$TMP/k5" "$TMP/u5"

say "retransmissions: $(counter tcp_retransmits), ooo segments: $(counter tcp_rx_ooo_segments)"

say "nothing left: only TIME_WAIT, as many descriptors as before ($fds_before)"
wait_for tcp_settled || fail "connections left: $(tcp_unsettled)"
wait_for output_is "$fds_before" daemon_fds ||
	fail "utcpd holds $(daemon_fds) descriptors, $fds_before before"

pass
