#!/bin/bash
# impair_relay: TCP between the kernel and utcpd through the C
# impairment relay (tests/bench/impair.c), content compared (SHA-256),
# and the relay's counters asserted: it did drop, reorder, duplicate,
# queue and hold frames as told, within its limits, and accounts for
# every frame.
#
# The network: the kernel's address is on vk in the test's namespace;
# vk's peer a1 and b1 are in a second namespace, with no address, where
# the relay moves frames between a1 and b1; b1's peer b0 is on a bridge
# with utcpd's TAP. So every frame between the kernel and utcpd crosses
# the relay ("ab": kernel -> utcpd, "ba": utcpd -> kernel):
#
#     kernel $KERNEL_IP vk ═ a1 ─ impair ─ b1 ═ b0 ─ br0 ─ TAP ─ utcpd
#
# TSO, GSO and GRO are off on the four veth ends, so the kernel cuts
# utcpd's TSO super-segments (and its own) before the relay, which then
# impairs wire segments; a super-segment reaching the relay would be
# counted oversize, and the test asserts none did.
#
# Each round runs a relay with a fixed seed and one connection from
# utcp-nc to a kernel socat server moving data both ways at once:
#   1. impairments: 2 % loss, 5 ms each way, 5 % reordered (5 ms later
#      still), 2 % duplicated, each way: every one of these counted in
#      both directions; utcpd and the kernel retransmitted;
#   2. the bottleneck at its limits: 20 Mbit/s each way, the queue
#      towards utcpd limited to 15,000 bytes, the one towards the
#      kernel to 10 frames: frames dropped at both queues, whose peaks
#      are at the limits and never beyond;
#   3. the delay line at its limit: 16 frames held per direction
#      (--slots) with 10 ms each way: frames dropped for want of a
#      slot, at most 16 held, and counted against their flows;
#   4. RED (--red) at a 20 Mbit/s bottleneck towards utcpd, 60,000
#      bytes, its drain jittered (--jitter 20): frames dropped early
#      there (and none the other way), the content intact, and
#      the per-flow counters add up to the direction's: every IPv4
#      frame counted in a flow, every drop against one, in at least one
#      drop event.
# In every round: the content arrives intact both ways, and each
# direction's counters balance (frames in and duplicated = frames out,
# dropped, oversize, send errors and held; impair.c's header).
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"

: "${IMPAIR:?IMPAIR must name the impair relay binary}"
OFFLOAD_PY=$(dirname "$0")/../bench/offload.py
limit=60 # seconds a transfer may take (a hang, not a figure)

# kernel_retransmits: the namespace's Tcp RetransSegs.
kernel_retransmits() {
	# shellcheck disable=SC2016 # awk program
	nsx awk '$1 == "Tcp:" && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
		$1 == "Tcp:" { print $c["RetransSegs"] }' /proc/net/snmp
}

# offloads_off NS DEV
offloads_off() {
	ip netns exec "$1" "$PYTHON" "$OFFLOAD_PY" "$2" tso=0 gso=0 gro=0 \
		>/dev/null || fail "cannot turn offloads off on $2"
}

start_daemon impair tcimp 10.77.29
make_extra_namespace
NSR=$EXTRA_NS_NAME
# The kernel's address moves from the TAP to vk; the TAP becomes a
# bridge port.
ip -n "$NS" addr flush dev "$TAP"
ip -n "$NS" link add br0 type bridge
ip -n "$NS" link set "$TAP" master br0
ip -n "$NS" link add vk type veth peer name a1 netns "$NSR"
ip -n "$NS" link add b0 type veth peer name b1 netns "$NSR"
ip -n "$NS" link set b0 master br0
offloads_off "$NS" vk
offloads_off "$NS" b0
offloads_off "$NSR" a1
offloads_off "$NSR" b1
ip -n "$NS" addr add "$KERNEL_IP/24" dev vk
for d in br0 b0 vk; do ip -n "$NS" link set "$d" up; done
for d in a1 b1; do
	ip -n "$NSR" link set "$d" arp off
	ip -n "$NSR" link set "$d" up
done
vk_mac=$(nsx cat /sys/class/net/vk/address)

relay_pid=""
# relay_start ARGS...: the relay between a1 and b1, impair ARGS.
relay_start() {
	start_bg ip netns exec "$NSR" "$IMPAIR" "$@" a1 b1 \
		>"$TMP/relay.out" 2>"$TMP/relay.err" </dev/null
	relay_pid=$BG_PID
	wait_for grep -q '^ready' "$TMP/relay.out" ||
		fail "the relay did not start: $(cat "$TMP/relay.err")"
	say "relay: impair $*"
}

# relay_stop: SIGTERM; its counters are in $TMP/relay.out.
# The counters go into RC[DIR.NAME] (bash only: they are many).
relay_stop() {
	local line dir kv
	kill -s TERM "$relay_pid"
	wait_for grep -q '^ba:' "$TMP/relay.out" ||
		fail "the relay printed no counters: $(cat "$TMP/relay.err")"
	stop_bg "$relay_pid"
	RC=()
	while read -r line; do
		if [[ $line =~ ^(ab|ba)\ flow\ [^\ ]+\ frames=([0-9]+)\ dropped=([0-9]+)\ drop_events=([0-9]+)\ shared_events=[0-9]+$ ]]; then
			dir=${BASH_REMATCH[1]}
			RC[$dir.flows]=$((${RC[$dir.flows]:-0} + 1))
			RC[$dir.flow_frames]=$((${RC[$dir.flow_frames]:-0} + BASH_REMATCH[2]))
			RC[$dir.flow_dropped]=$((${RC[$dir.flow_dropped]:-0} + BASH_REMATCH[3]))
			RC[$dir.flow_events]=$((${RC[$dir.flow_events]:-0} + BASH_REMATCH[4]))
			continue
		fi
		[[ $line == ab:* || $line == ba:* ]] || continue
		say "  $line"
		dir=${line%%:*}
		for kv in ${line#*:}; do
			RC[$dir.${kv%%=*}]=${kv#*=}
		done
	done <"$TMP/relay.out"
}
declare -A RC

# c DIR NAME: the relay's counter NAME in direction DIR (ab, ba).
c() {
	[[ -n ${RC[$1.$2]:-} ]] || fail "no relay counter $2 for $1"
	printf '%s\n' "${RC[$1.$2]}"
}

# balanced DIR: every frame of DIR accounted for.
balanced() {
	local in out
	in=$(($(c "$1" frames_in) + $(c "$1" duplicated)))
	out=$(($(c "$1" frames_out) + $(c "$1" dropped_loss) + $(c "$1" dropped_early) +
		$(c "$1" dropped_queue) +
		$(c "$1" dropped_full) + $(c "$1" oversize) + $(c "$1" send_errors) +
		$(c "$1" held)))
	((in == out)) || fail "$1: $in frames in (read and duplicated), $out accounted for"
	(($(c "$1" oversize) == 0)) || fail "$1: $(c "$1" oversize) frames oversize: a super-segment reached the relay"
	(($(c "$1" send_errors) == 0)) || fail "$1: $(c "$1" send_errors) frames the kernel refused"
}

# transfer BYTES PORT: utcp-nc to a kernel socat server, BYTES each way
# at once, both compared.
transfer() {
	local size=$1 port=$2 srv cli
	random_file "$TMP/a" "$size"
	random_file "$TMP/b" "$size"
	rm -f "$TMP/k" "$TMP/u"
	start_bg timeout "$limit" ip netns exec "$NS" socat \
		"TCP-LISTEN:$port,bind=$KERNEL_IP,reuseaddr" \
		"SYSTEM:cat $TMP/b & cat >$TMP/k; wait"
	srv=$BG_PID
	wait_for kernel_tcp_listening "$port" || fail "socat is not listening on $port"
	start_bg timeout "$limit" "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" "$port" <"$TMP/a" >"$TMP/u"
	cli=$BG_PID
	wait "$cli" || fail "utcp-nc exited with status $? ($(file_size "$TMP/u") bytes arrived)"
	wait "$srv" || fail "socat exited with status $? ($(file_size "$TMP/k") bytes arrived)"
	file_has_size "$TMP/k" "$size" || fail "utcpd -> kernel: $(file_size "$TMP/k") of $size bytes"
	file_has_size "$TMP/u" "$size" || fail "kernel -> utcpd: $(file_size "$TMP/u") of $size bytes"
	[[ $(sha "$TMP/k") == $(sha "$TMP/a") ]] || fail "utcpd -> kernel: the bytes differ (SHA-256)"
	[[ $(sha "$TMP/u") == $(sha "$TMP/b") ]] || fail "kernel -> utcpd: the bytes differ (SHA-256)"
	say "  $size bytes each way arrived intact (SHA-256)"
}

say "1. loss, delay, reordering and duplication each way"
relay_start -s 7 -d 5 -l 2 -r 5 -R 5 -u 2
nsx ping -n -c 1 -w 10 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP through the relay failed"
arp_mac=$(tcp_query "[a[\"mac\"] for a in st[\"arp\"] if a[\"address\"] == \"$KERNEL_IP\"]")
[[ $arp_mac == "['$vk_mac']" ]] ||
	fail "utcpd's ARP entry for $KERNEL_IP is $arp_mac, not vk's $vk_mac"
rexmit0=$(counter tcp_retransmits)
kretrans0=$(kernel_retransmits)
transfer $((1024 * 1024)) 5501
relay_stop
for dir in ab ba; do
	for n in dropped_loss reordered duplicated; do
		(($(c "$dir" "$n") > 0)) || fail "$dir: the relay counted no frame $n"
	done
	(($(c "$dir" dropped_queue) == 0 && $(c "$dir" dropped_full) == 0)) ||
		fail "$dir: frames dropped at a queue or for a slot with neither limited"
	balanced "$dir"
done
rexmit=$(($(counter tcp_retransmits) - rexmit0))
kretrans=$(($(kernel_retransmits) - kretrans0))
say "  utcpd retransmitted $rexmit, the kernel $kretrans; utcpd: out-of-order segments $(counter tcp_rx_ooo_segments), D-SACKs received $(counter tcp_rx_dsacks)"
((rexmit > 0)) || fail "utcpd retransmitted nothing over a lossy link"
((kretrans > 0)) || fail "the kernel retransmitted nothing over a lossy link"

say "2. a 20 Mbit/s bottleneck each way: 15,000 bytes queued towards utcpd, 10 frames towards the kernel"
relay_start -s 8 -d 2 -b 20 -q 15000/0 -Q 0/10
transfer $((512 * 1024)) 5502
relay_stop
for dir in ab ba; do
	(($(c "$dir" dropped_queue) > 0)) || fail "$dir: nothing dropped at the queue's limit"
	balanced "$dir"
done
peak=$(c ab peak_queue_bytes)
((peak <= 15000 && peak > 15000 - 1514)) ||
	fail "ab: the queue's peak is $peak bytes, not within a frame below its 15000"
peak=$(c ba peak_queue_packets)
((peak == 10)) || fail "ba: the queue's peak is $peak frames, not its limit of 10"

say "3. the delay line full: 16 frames per direction, 10 ms each way"
relay_start -s 9 -d 10 -n 16
transfer $((256 * 1024)) 5503
relay_stop
for dir in ab ba; do
	(($(c "$dir" dropped_full) > 0)) || fail "$dir: nothing dropped with the delay line full"
	(($(c "$dir" peak_held) == 16)) || fail "$dir: $(c "$dir" peak_held) frames held at most, not 16"
	balanced "$dir"
	# the frames dropped for want of a slot are their flows' too (all
	# but an ARP frame's)
	(($(c "$dir" flow_dropped) > 0 && $(c "$dir" flow_dropped) <= $(c "$dir" dropped_full))) ||
		fail "$dir: the flows counted $(c "$dir" flow_dropped) drops of the $(c "$dir" dropped_full) for want of a slot"
	(($(c "$dir" flow_frames) <= $(c "$dir" frames_in) - $(c "$dir" passed))) ||
		fail "$dir: the flows counted $(c "$dir" flow_frames) frames of $(($(c "$dir" frames_in) - $(c "$dir" passed))) not passed"
done

say "4. RED towards utcpd: 20 Mbit/s, 60,000 bytes, early drops up to 10 %, the drain +-20 %"
relay_start -s 10 -d 2 -b 20/0 -q 60000/0 -e 10/0 -j 20/0
transfer $((2 * 1024 * 1024)) 5504
relay_stop
(($(c ab dropped_early) > 0)) || fail "ab: nothing dropped early with --red"
(($(c ba dropped_early) == 0)) || fail "ba: $(c ba dropped_early) frames dropped early without --red"
for dir in ab ba; do
	balanced "$dir"
	(($(c "$dir" flow_frames) == $(c "$dir" frames_in) - $(c "$dir" passed))) ||
		fail "$dir: the flows counted $(c "$dir" flow_frames) frames of $(($(c "$dir" frames_in) - $(c "$dir" passed))) IPv4 ones"
	(($(c "$dir" flow_dropped) == $(c "$dir" dropped_early) + $(c "$dir" dropped_queue))) ||
		fail "$dir: the flows counted $(c "$dir" flow_dropped) drops of $(($(c "$dir" dropped_early) + $(c "$dir" dropped_queue)))"
done
(($(c ab flow_events) > 0 && $(c ab flow_events) <= $(c ab flow_dropped))) ||
	fail "ab: $(c ab flow_events) drop events for $(c ab flow_dropped) drops"
say "  ab: $(c ab dropped_early) dropped early, $(c ab dropped_queue) at the limit, in $(c ab flow_events) drop events (flows: $(c ab flows))"

say "nothing left in utcpd but TIME_WAIT"
wait_for tcp_settled || fail "connections left: $(tcp_unsettled)"
pass
