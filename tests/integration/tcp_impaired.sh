#!/bin/bash
# tcp_impaired: bulk TCP through utcpd over an impaired link: 1% loss,
# 20 ms more round trip, reordering and duplication, content compared
# (SHA-256):
#   1. utcp-nc client <-> kernel socat server, 8 MiB each way at once;
#   2. kernel socat client <-> utcp-nc -l, 8 MiB each way at once,
# (4 MiB each in a sanitizer build).
#
# With tc netem (CONFIG_NET_SCH_NETEM) the impairment is netem on the
# kernel's side of the TAP (egress: the kernel -> utcpd direction
# only, so there the kernel's retransmissions are asserted > 0), and
# utcpd runs with its default TAP offloads.
# Without it, a userspace relay (tcp_relay.py) stands in: the kernel's
# address goes on a veth end (vk), and the relay moves frames between
# the other end (vr) and the TAP netdev with AF_PACKET sockets, impairing
# IPv4 frames in both directions with a fixed seed: 1% loss, 10 ms delay
# each way (the round trip grows by 20 ms, as with netem's 20 ms on one
# side), 3% of frames 5-15 ms later still (reordered), 1% duplicated.
# Its counters are printed and asserted non-zero, so the test proves it
# impaired something. Either way utcpd's tcp_retransmits must be > 0.
# In relay mode the transfers run twice, with a daemon of its own each
# time:
#   a. offload = yes: utcpd hands the TAP TSO super-segments of up to
#      64 KiB with partial checksums; the relay reads them behind their
#      virtio-net header (PACKET_VNET_HDR), cuts and checksums them as
#      the kernel's GSO would, and only then impairs each segment. The
#      relay must have cut super-segments (so offload did not silently
#      stay off), found every pseudo-header checksum utcpd left right,
#      and the kernel must have dropped no segment for its checksum;
#   b. offload = no: plain frames only, the relay completes and cuts
#      nothing.
# Both connections run at the same time (the relay is not the
# bottleneck; congestion control is) to keep the test short.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"

relay_py=$(dirname "$0")/tcp_relay.py
mib=8
[[ $UTCP_SANITIZED == 1 ]] && mib=4
size=$((mib * 1024 * 1024))
limit=100 # seconds a transfer may take

random_file "$TMP/a" "$size"
random_file "$TMP/b" "$size"

# kernel_stat FILE GROUP FIELD: the namespace's counter FIELD of GROUP
# in /proc/net/FILE (snmp, netstat).
kernel_stat() {
	# shellcheck disable=SC2016 # awk program
	nsx awk -v g="$2:" -v f="$3" '
		$1 == g && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
		$1 == g { print $c[f] }' "/proc/net/$1"
}

# kernel_retransmits: the namespace's Tcp RetransSegs.
kernel_retransmits() {
	kernel_stat snmp Tcp RetransSegs
}

# kernel_csum_errors: segments the namespace's kernel dropped for a bad
# TCP or IP header checksum.
kernel_csum_errors() {
	echo $(($(kernel_stat snmp Tcp InCsumErrors) + $(kernel_stat netstat IpExt InCsumErrors)))
}

# check_file FILE REFERENCE WHAT
check_file() {
	local got
	got=$(file_size "$1")
	((got == size)) || fail "$3: $got of $size bytes arrived"
	[[ $(sha "$1") == $(sha "$2") ]] || fail "$3: $size bytes arrived but differ (SHA-256)"
}

# transfers PORT1 PORT2: both connections at once, content compared,
# then utcpd's retransmissions and checksum drops; leaves the daemon's
# descriptor count before them in $fds_before.
transfers() {
	local p1=$1 p2=$2 srv1 srv2 cli1 cli2 t0 t1 rexmit0 rexmit
	local csum0 kretrans0 kretrans kcsum0 kcsum
	fds_before=$(daemon_fds)
	rexmit0=$(counter tcp_retransmits)
	csum0=$(counter tcp_rx_drop_checksum)
	kretrans0=$(kernel_retransmits)
	kcsum0=$(kernel_csum_errors)
	rm -f "$TMP/k1" "$TMP/k2" "$TMP/u1" "$TMP/u2"
	say "both connections at once, each moving $mib MiB each way at once:"
	say "  1. utcp-nc client <-> kernel socat server (port $p1)"
	say "  2. kernel socat client <-> utcp-nc -l (port $p2)"
	start_bg timeout "$limit" ip netns exec "$NS" socat \
		"TCP-LISTEN:$p1,bind=$KERNEL_IP,reuseaddr" \
		"SYSTEM:cat $TMP/b & cat >$TMP/k1; wait"
	srv1=$BG_PID
	start_bg timeout "$limit" "$UTCP_NC" -S "$SOCK" -l -p "$p2" <"$TMP/a" >"$TMP/u2"
	srv2=$BG_PID
	wait_for kernel_tcp_listening "$p1" || fail "socat is not listening on $p1"
	wait_for utcp_listening "$p2" || fail "utcp-nc is not listening on $p2"
	t0=$(now_ns)
	start_bg timeout "$limit" "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" "$p1" <"$TMP/a" >"$TMP/u1"
	cli1=$BG_PID
	start_bg timeout "$limit" ip netns exec "$NS" socat "TCP:$DAEMON_IP:$p2" \
		"SYSTEM:cat $TMP/b & cat >$TMP/k2; wait"
	cli2=$BG_PID
	# Each is bounded by its timeout.
	wait "$cli1" || fail "1: utcp-nc exited with status $? ($(file_size "$TMP/u1") bytes arrived)"
	wait "$srv1" || fail "1: socat server exited with status $?"
	wait "$cli2" || fail "2: socat client exited with status $?"
	wait "$srv2" || fail "2: utcp-nc -l exited with status $? ($(file_size "$TMP/u2") bytes arrived)"
	t1=$(now_ns)
	check_file "$TMP/k1" "$TMP/a" "1: utcpd -> kernel"
	check_file "$TMP/u1" "$TMP/b" "1: kernel -> utcpd"
	check_file "$TMP/k2" "$TMP/a" "2: utcpd -> kernel"
	check_file "$TMP/u2" "$TMP/b" "2: kernel -> utcpd"
	say "  SHA-256 equal, both connections both ways; $(rate $((4 * size)) "$t0" "$t1") in all"

	kretrans=$(($(kernel_retransmits) - kretrans0))
	say "the kernel retransmitted $kretrans segments"
	if [[ $mode == netem ]]; then
		((kretrans > 0)) || fail "the kernel retransmitted nothing through netem"
	fi
	rexmit=$(($(counter tcp_retransmits) - rexmit0))
	say "utcpd: tcp_retransmits +$rexmit, fast $(counter tcp_fast_retransmits), RTO $(counter tcp_rto_timeouts), ooo segments $(counter tcp_rx_ooo_segments), dup ACKs $(counter tcp_rx_dup_acks), checksum drops $(counter tcp_rx_drop_checksum)"
	if [[ $mode == relay ]]; then
		((rexmit > 0)) || fail "utcpd retransmitted nothing over a lossy link"
	fi
	(($(counter tcp_rx_drop_checksum) == csum0)) || fail "utcpd dropped segments with bad checksums"
	kcsum=$(($(kernel_csum_errors) - kcsum0))
	((kcsum == 0)) || fail "the kernel dropped $kcsum segments with bad checksums"
}

# fds_back: utcpd holds as many descriptors as before the transfers.
# shellcheck disable=SC2317 # called through wait_for
fds_back() {
	(($(daemon_fds) == fds_before))
}

# settled: nothing left but TIME_WAIT, and as many descriptors as
# before the transfers.
settled() {
	say "nothing left: only TIME_WAIT, as many descriptors as before ($fds_before)"
	wait_for tcp_settled || fail "connections left: $(tcp_unsettled)"
	wait_for fds_back ||
		fail "utcpd holds $(daemon_fds) descriptors, $fds_before before"
}

# relay_stat DIRECTION NAME: the relay's counter NAME for DIRECTION
# (to-daemon, to-kernel), from the lines it printed at exit.
relay_stat() {
	local v
	v=$(grep "^$1:" "$TMP/relay.stats" | grep -o " $2=[0-9]*" | cut -d= -f2) ||
		fail "no relay counter $2 for $1: $(cat "$TMP/relay.err")"
	printf '%s\n' "$v"
}

# relay_round OFFLOAD PORT1 PORT2: in relay mode, a daemon with
# offload = OFFLOAD, a relay between vr and its TAP, the transfers, and
# the relay's counters checked.
relay_round() {
	local offload=$1 p1=$2 p2=$3 relay line dir c v split segs arp_mac
	say "relay round: utcpd with offload = $offload"
	write_config tcpimp uttcpi 10.77.26 "offload = $offload"
	start_daemon_with_config
	# The kernel's address is on vk; the TAP netdev keeps no address
	# and answers no ARP (NOARP), so the kernel reaches utcpd only
	# through vk -> vr -> relay -> TAP.
	ip -n "$NS" addr del "$KERNEL_IP/24" dev "$TAP"
	ip -n "$NS" link set "$TAP" arp off
	start_ns_bg "$PYTHON" "$relay_py" relay --tap "$TAP" --wire vr --seed 7 \
		--loss 0.01 --delay-ms 10 --reorder 0.03 --reorder-ms 10 --dup 0.01 \
		>&7 2>"$TMP/relay.err"
	relay=$BG_PID
	read -r -t 10 line <&7 || fail "the relay did not start: $(cat "$TMP/relay.err")"
	[[ $line == ready ]] || fail "the relay says: $line"
	say "  relay: loss 1%, delay 10 ms (20 ms more RTT), 3% reordered (5-15 ms more), 1% duplicated, each way"

	# A ping through the impaired link (it may lose one).
	nsx ping -n -c 1 -w 10 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"
	arp_mac=$(tcp_query "[a[\"mac\"] for a in st[\"arp\"] if a[\"address\"] == \"$KERNEL_IP\"]")
	[[ $arp_mac == "['$vk_mac']" ]] ||
		fail "utcpd's ARP entry for $KERNEL_IP is $arp_mac, not vk's $vk_mac: frames bypass the relay"
	say "  utcpd reaches $KERNEL_IP at vk's $vk_mac: through the relay"

	transfers "$p1" "$p2"

	stop_bg "$relay"
	: >"$TMP/relay.stats"
	while read -r -t 5 line <&7; do
		say "  relay $line"
		printf '%s\n' "$line" >>"$TMP/relay.stats"
		[[ $line == to-kernel:* ]] && break
	done
	for dir in to-daemon to-kernel; do
		for c in dropped delayed reordered duplicated; do
			v=$(relay_stat "$dir" "$c")
			((v > 0)) || fail "the relay $c no frame $dir"
		done
		for c in oversize malformed gso_unsupported csum_seed_bad; do
			v=$(relay_stat "$dir" "$c")
			((v == 0)) || fail "the relay counted $v frames $c $dir"
		done
	done
	split=$(relay_stat to-kernel split)
	segs=$(relay_stat to-kernel segments)
	if [[ $offload == yes ]]; then
		((split > 0 && segs > split)) ||
			fail "utcpd sent no TSO super-segment (split $split, into $segs): offload is off"
		say "  utcpd sent $split super-segments, cut into $segs segments, $(relay_stat to-kernel csum_completed) more frames with partial checksums"
	else
		((split == 0)) || fail "utcpd sent $split super-segments with offload = no"
		v=$(relay_stat to-kernel csum_completed)
		((v == 0)) || fail "utcpd sent $v frames with partial checksums with offload = no"
	fi

	settled
	stop_daemon || fail "utcpd did not stop cleanly"
}

start_daemon tcpimp uttcpi 10.77.26

if nsx tc qdisc add dev "$TAP" root netem loss 1% delay 20ms 5ms \
	reorder 10% 50% duplicate 1% 2>"$TMP/netem.err"; then
	mode=netem
	say "impairment: tc netem on $TAP (kernel -> utcpd): loss 1%, delay 20 ms, reorder, duplicate 1%"
	# A ping through the impaired link (it may lose one).
	nsx ping -n -c 1 -w 10 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"
	transfers 5301 5302
	settled
else
	mode=relay
	say "no tc netem ($(head -n 1 "$TMP/netem.err")): a userspace relay instead"
	stop_daemon || fail "utcpd did not stop cleanly"
	# The veth pair outlives the daemons, each of which makes its TAP
	# anew. Its offloads are off: the kernel hands vk's frames to the
	# relay whole, checksummed and MTU-sized.
	ip -n "$NS" link add vk type veth peer name vr
	ip -n "$NS" link set vr arp off
	nsx "$PYTHON" "$relay_py" offload-off vk vr ||
		fail "cannot turn offloads off on the veth pair"
	ip -n "$NS" addr add "$KERNEL_IP/24" dev vk
	ip -n "$NS" link set vk up
	ip -n "$NS" link set vr up
	vk_mac=$(nsx cat /sys/class/net/vk/address)
	say "  the kernel's $KERNEL_IP is on vk ($vk_mac)"
	mkfifo "$TMP/relay.fifo"
	exec 7<>"$TMP/relay.fifo"
	relay_round yes 5301 5302
	relay_round no 5303 5304
	exec 7>&-
fi

pass
