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
# only, so there the kernel's retransmissions are asserted > 0).
# Without it, a userspace relay (tcp_relay.py) stands in: the kernel's
# address goes on a veth end (vk), and the relay moves frames between
# the other end (vr) and the TAP netdev with AF_PACKET sockets, impairing
# IPv4 frames in both directions with a fixed seed: 1% loss, 10 ms delay
# each way (the round trip grows by 20 ms, as with netem's 20 ms on one
# side), 3% of frames 5-15 ms later still (reordered), 1% duplicated.
# Its counters are printed and asserted non-zero, so the test proves it
# impaired something. Either way utcpd's tcp_retransmits must be > 0.
# In relay mode utcpd runs with offload = no (the relay cannot handle
# partial checksums or super-segments).
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

start_daemon tcpimp uttcpi 10.77.26

if nsx tc qdisc add dev "$TAP" root netem loss 1% delay 20ms 5ms \
	reorder 10% 50% duplicate 1% 2>"$TMP/netem.err"; then
	mode=netem
	say "impairment: tc netem on $TAP (kernel -> utcpd): loss 1%, delay 20 ms, reorder, duplicate 1%"
else
	mode=relay
	say "no tc netem ($(head -n 1 "$TMP/netem.err")): a userspace relay instead"
	# The relay moves plain MTU frames (AF_PACKET without
	# PACKET_VNET_HDR, offloads off on the veth pair): it can neither
	# complete a partial checksum nor cut a TSO super-segment, so utcpd
	# runs without TAP offload here.
	stop_daemon || fail "utcpd did not stop cleanly"
	write_config tcpimp uttcpi 10.77.26 "offload = no"
	start_daemon_with_config
	# The kernel's address moves from the TAP netdev to vk; the TAP
	# netdev keeps no address and answers no ARP (NOARP), so the kernel
	# reaches utcpd only through vk -> vr -> relay -> TAP.
	ip -n "$NS" addr del "$KERNEL_IP/24" dev "$TAP"
	ip -n "$NS" link set "$TAP" arp off
	ip -n "$NS" link add vk type veth peer name vr
	ip -n "$NS" link set vr arp off
	nsx "$PYTHON" "$relay_py" offload-off vk vr ||
		fail "cannot turn offloads off on the veth pair"
	ip -n "$NS" addr add "$KERNEL_IP/24" dev vk
	ip -n "$NS" link set vk up
	ip -n "$NS" link set vr up
	say "  the kernel's $KERNEL_IP is on vk ($(nsx cat /sys/class/net/vk/address))"
	mkfifo "$TMP/relay.fifo"
	exec 7<>"$TMP/relay.fifo"
	start_ns_bg "$PYTHON" "$relay_py" relay --tap "$TAP" --wire vr --seed 7 \
		--loss 0.01 --delay-ms 10 --reorder 0.03 --reorder-ms 10 --dup 0.01 \
		>&7 2>"$TMP/relay.err"
	relay=$BG_PID
	read -r -t 10 line <&7 || fail "the relay did not start: $(cat "$TMP/relay.err")"
	[[ $line == ready ]] || fail "the relay says: $line"
	say "  relay: loss 1%, delay 10 ms (20 ms more RTT), 3% reordered (5-15 ms more), 1% duplicated, each way"
fi

# A ping through the impaired link (it may lose one).
nsx ping -n -c 1 -w 10 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"
if [[ $mode == relay ]]; then
	vk_mac=$(nsx cat /sys/class/net/vk/address)
	arp_mac=$(tcp_query "[a[\"mac\"] for a in st[\"arp\"] if a[\"address\"] == \"$KERNEL_IP\"]")
	[[ $arp_mac == "['$vk_mac']" ]] ||
		fail "utcpd's ARP entry for $KERNEL_IP is $arp_mac, not vk's $vk_mac: frames bypass the relay"
	say "  utcpd reaches $KERNEL_IP at vk's $vk_mac: through the relay"
fi
fds_before=$(daemon_fds)
rexmit0=$(counter tcp_retransmits)

random_file "$TMP/a" "$size"
random_file "$TMP/b" "$size"

# check_file FILE REFERENCE WHAT
check_file() {
	local got
	got=$(file_size "$1")
	((got == size)) || fail "$3: $got of $size bytes arrived"
	[[ $(sha "$1") == $(sha "$2") ]] || fail "$3: $size bytes arrived but differ (SHA-256)"
}

say "both connections at once, each moving $mib MiB each way at once:"
say "  1. utcp-nc client <-> kernel socat server (port 5301)"
say "  2. kernel socat client <-> utcp-nc -l (port 5302)"
start_bg timeout "$limit" ip netns exec "$NS" socat \
	"TCP-LISTEN:5301,bind=$KERNEL_IP,reuseaddr" \
	"SYSTEM:cat $TMP/b & cat >$TMP/k1; wait"
srv1=$BG_PID
start_bg timeout "$limit" "$UTCP_NC" -S "$SOCK" -l -p 5302 <"$TMP/a" >"$TMP/u2"
srv2=$BG_PID
wait_for kernel_tcp_listening 5301 || fail "socat is not listening on 5301"
wait_for utcp_listening 5302 || fail "utcp-nc is not listening on 5302"
t0=$(now_ns)
start_bg timeout "$limit" "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" 5301 <"$TMP/a" >"$TMP/u1"
cli1=$BG_PID
start_bg timeout "$limit" ip netns exec "$NS" socat "TCP:$DAEMON_IP:5302" \
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

# kernel_retransmits: the namespace's Tcp RetransSegs (/proc/net/snmp).
kernel_retransmits() {
	# shellcheck disable=SC2016 # awk program
	nsx awk '$1 == "Tcp:" && !h { for (i = 2; i <= NF; i++) f[$i] = i; h = 1; next }
		 $1 == "Tcp:" { print $f["RetransSegs"] }' /proc/net/snmp
}
say "the kernel retransmitted $(kernel_retransmits) segments"
if [[ $mode == netem ]]; then
	(($(kernel_retransmits) > 0)) || fail "the kernel retransmitted nothing through netem"
fi
rexmit=$(($(counter tcp_retransmits) - rexmit0))
say "utcpd: tcp_retransmits +$rexmit, fast $(counter tcp_fast_retransmits), RTO $(counter tcp_rto_timeouts), ooo segments $(counter tcp_rx_ooo_segments), dup ACKs $(counter tcp_rx_dup_acks), checksum drops $(counter tcp_rx_drop_checksum)"
if [[ $mode == relay ]]; then
	((rexmit > 0)) || fail "utcpd retransmitted nothing over a lossy link"
fi
(($(counter tcp_rx_drop_checksum) == 0)) || fail "utcpd dropped segments with bad checksums"

if [[ $mode == relay ]]; then
	stop_bg "$relay"
	while read -r -t 5 line <&7; do
		say "  relay $line"
		printf '%s\n' "$line" >>"$TMP/relay.stats"
		[[ $line == to-kernel:* ]] && break
	done
	exec 7>&-
	for dir in to-daemon to-kernel; do
		stats=$(grep "^$dir:" "$TMP/relay.stats") || fail "no relay counters for $dir: $(cat "$TMP/relay.err")"
		for c in dropped delayed reordered duplicated; do
			v=$(grep -o " $c=[0-9]*" <<<"$stats" | cut -d= -f2)
			((v > 0)) || fail "the relay $c no frame $dir"
		done
		v=$(grep -o " oversize=[0-9]*" <<<"$stats" | cut -d= -f2)
		((v == 0)) || fail "the relay saw $v oversize frames $dir (offloads still on)"
	done
fi

say "nothing left: only TIME_WAIT, as many descriptors as before ($fds_before)"
wait_for tcp_settled || fail "connections left: $(tcp_unsettled)"
wait_for test "$(daemon_fds)" -eq "$fds_before" ||
	fail "utcpd holds $(daemon_fds) descriptors, $fds_before before"

pass
