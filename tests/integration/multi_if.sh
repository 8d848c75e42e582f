#!/bin/bash
# multi_if: one utcpd with two TAPs, each in a namespace of its own with
# a kernel peer, static addresses. Each peer pings utcpd and reaches its
# TCP and UDP servers through its own interface only: a peer that sends
# to the other interface's address (its frames addressed to utcpd's MAC
# on its own link) gets nothing, and utcpd counts ip_rx_drop_wrong_if.
# utcpd's traffic to each peer leaves by that peer's TAP (the kernel's
# frame counters of each TAP), from that interface's address, and
# traffic for elsewhere takes the first interface's default route.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

NET_A=10.77.31
NET_B=10.77.32
TAP_A=utmifa
TAP_B=utmifb
MAC_A=02:00:00:77:1f:02
MAC_B=02:00:00:77:20:02
FAR=198.51.100.7 # off-link: both peers have it on their loopback

make_namespace
make_extra_namespace
NS_B=$EXTRA_NS_NAME
nsb() {
	ip netns exec "$NS_B" "$@"
}
# b_udp_bound PORT: a kernel socket in B's namespace is bound to PORT.
b_udp_bound() {
	[[ -n $(nsb ss -Hnul "sport = :$1") ]]
}

# The daemon: two interfaces, a default route on each.
TAP=$TAP_A
KERNEL_IP=$NET_A.1
DAEMON_IP=$NET_A.2
DAEMON_MAC=$MAC_A
SOCK=$TMP/utcpd.sock
CONF=$TMP/utcpd.conf
LOG=$TMP/utcpd.log
cat >"$CONF" <<EOF
[daemon]
name = multi
socket = $SOCK

[interface $TAP_A]
mac = $MAC_A
mtu = 1500
dhcp = no
address = $NET_A.2/24
gateway = $NET_A.1

[interface $TAP_B]
mac = $MAC_B
mtu = 1500
dhcp = no
address = $NET_B.2/24
gateway = $NET_B.1
EOF
start_daemon_with_config

say "$TAP_B moves to its own namespace, the kernel's side $NET_B.1"
wait_for ip -n "$NS" link show dev "$TAP_B" || fail "no $TAP_B"
ip -n "$NS" link set "$TAP_B" netns "$NS_B"
ip -n "$NS_B" addr add "$NET_B.1/24" dev "$TAP_B"
ip -n "$NS_B" link set "$TAP_B" up
wait_for ip -n "$NS_B" route get "$NET_B.2" || fail "no route to $NET_B.2"
for ns in "$NS" "$NS_B"; do
	ip -n "$ns" addr add "$FAR/32" dev lo
done

say "each peer pings utcpd's address on its own link"
nsx ping -n -c 2 -i 0.2 -w 5 "$NET_A.2" >/dev/null || fail "ping $NET_A.2 from A failed"
nsb ping -n -c 2 -i 0.2 -w 5 "$NET_B.2" >/dev/null || fail "ping $NET_B.2 from B failed"

say "the peer of B sends to A's address, through its own link"
# ARP for A's address is not answered on B (each interface answers for
# its own address): put the entry in by hand so the datagrams go out.
nsb ip route add "$NET_A.2/32" dev "$TAP_B"
nsb ip neigh replace "$NET_A.2" lladdr "$MAC_B" dev "$TAP_B" nud permanent
wrong0=$(counter ip_rx_drop_wrong_if)
((wrong0 == 0)) || fail "ip_rx_drop_wrong_if = $wrong0 before the test"
if nsb ping -n -c 3 -i 0.2 -W 1 "$NET_A.2" >/dev/null; then
	fail "the peer of B had an answer from $NET_A.2"
fi
wait_for output_is 3 counter ip_rx_drop_wrong_if ||
	fail "ip_rx_drop_wrong_if = $(counter ip_rx_drop_wrong_if), want 3"
say "  no answer, 3 echo requests counted in ip_rx_drop_wrong_if"

say "UDP: a server on any address hears each peer on its own address only"
start_bg "$UTCP_NC" -S "$SOCK" -u -l -p 5300 >"$TMP/udp_got" </dev/null
wait_for socket_bound 5300 || fail "utcp-nc is not bound to 5300"
echo from-a | nsx socat -u - "UDP:$NET_A.2:5300"
echo wrong-from-b | nsb socat -u - "UDP:$NET_A.2:5300"
echo from-b | nsb socat -u - "UDP:$NET_B.2:5300"
# Frames of one TAP are handled in order: once from-b is in, so is the
# wrong one's fate.
wait_for grep -q from-b "$TMP/udp_got" || fail "from-b did not arrive"
wait_for grep -q from-a "$TMP/udp_got" || fail "from-a did not arrive"
! grep -q wrong "$TMP/udp_got" || fail "the datagram to A's address via B arrived"
[[ $(counter ip_rx_drop_wrong_if) -eq 4 ]] ||
	fail "ip_rx_drop_wrong_if = $(counter ip_rx_drop_wrong_if), want 4"

say "TCP: a server bound to A's address is reached from A only"
start_bg "$UTCP_NC" -S "$SOCK" -l -p 7000 "$NET_A.2" <<<"hello-a" >/dev/null
wait_for socket_bound 7000 || fail "utcp-nc is not listening on 7000"
got=$(nsx timeout 10 socat -u "TCP:$NET_A.2:7000" -) ||
	fail "the peer of A could not connect to $NET_A.2:7000"
[[ $got == hello-a ]] || fail "the peer of A read \"$got\""
start_bg "$UTCP_NC" -S "$SOCK" -l -p 7001 "$NET_A.2" <<<"hello-b" >/dev/null
wait_for socket_bound 7001 || fail "utcp-nc is not listening on 7001"
wrong=$(counter ip_rx_drop_wrong_if)
if nsb timeout 3 socat -u "TCP:$NET_A.2:7001,connect-timeout=2" - 2>/dev/null; then
	fail "the peer of B connected to $NET_A.2:7001"
fi
wrong_above() {
	(($(counter ip_rx_drop_wrong_if) > $1))
}
wait_for wrong_above "$wrong" ||
	fail "the SYN to $NET_A.2 via B was not counted"
# B's own address has no listener on 7001: refused, not silence.
if nsb timeout 5 socat -u "TCP:$NET_B.2:7001" - 2>"$TMP/refused"; then
	fail "the peer of B connected to $NET_B.2:7001"
fi
grep -q "Connection refused" "$TMP/refused" ||
	fail "connect to $NET_B.2:7001: $(cat "$TMP/refused"), want refused"
say "  A connected and read; B's SYN dropped; B's own address refused"

# lines_are FILE N: FILE has N lines.
lines_are() {
	[[ -e $1 && $(wc -l <"$1") -eq $2 ]]
}

# tap_rx NS TAP: frames utcpd wrote to TAP (the kernel's rx_packets).
tap_rx() {
	ip -n "$1" -s -j link show dev "$2" |
		"$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'
}

say "utcpd's datagrams to each peer leave by that peer's TAP"
start_ns_bg "$PYTHON" "$(dirname "$0")/udp_sink.py" "$NET_A.1" 5400 "$TMP/sink_a"
wait_for kernel_udp_bound 5400 || fail "no sink on A"
start_bg ip netns exec "$NS_B" "$PYTHON" "$(dirname "$0")/udp_sink.py" \
	"$NET_B.1" 5400 "$TMP/sink_b"
wait_for b_udp_bound 5400 || fail "no sink on B"
n=40
head -c $((n * 10)) /dev/zero | tr '\0' x >"$TMP/payload"
rx_a=$(tap_rx "$NS" "$TAP_A")
rx_b=$(tap_rx "$NS_B" "$TAP_B")
timeout 10 "$UTCP_NC" -S "$SOCK" -u -b 10 "$NET_B.1" 5400 <"$TMP/payload" ||
	fail "utcp-nc -u $NET_B.1 5400 failed"
wait_for lines_are "$TMP/sink_b" "$n" ||
	fail "the peer of B got $(wc -l <"$TMP/sink_b") of $n datagrams"
grep -qv "^$NET_B.2 " "$TMP/sink_b" && fail "a datagram to B not from $NET_B.2"
d_a=$(($(tap_rx "$NS" "$TAP_A") - rx_a))
d_b=$(($(tap_rx "$NS_B" "$TAP_B") - rx_b))
say "  $TAP_B carried $d_b frames, $TAP_A $d_a"
((d_b >= n)) || fail "$TAP_B carried $d_b frames, want >= $n"
# A few ARP refreshes at most may go out of A meanwhile, not datagrams.
((d_a < 4)) || fail "$TAP_A carried $d_a frames while utcpd sent to B"

rx_a=$(tap_rx "$NS" "$TAP_A")
rx_b=$(tap_rx "$NS_B" "$TAP_B")
timeout 10 "$UTCP_NC" -S "$SOCK" -u -b 10 "$NET_A.1" 5400 <"$TMP/payload" ||
	fail "utcp-nc -u $NET_A.1 5400 failed"
wait_for lines_are "$TMP/sink_a" "$n" ||
	fail "the peer of A got $(wc -l <"$TMP/sink_a") of $n datagrams"
grep -qv "^$NET_A.2 " "$TMP/sink_a" && fail "a datagram to A not from $NET_A.2"
d_a=$(($(tap_rx "$NS" "$TAP_A") - rx_a))
d_b=$(($(tap_rx "$NS_B" "$TAP_B") - rx_b))
say "  $TAP_A carried $d_a frames, $TAP_B $d_b"
((d_a >= n)) || fail "$TAP_A carried $d_a frames, want >= $n"
((d_b < 4)) || fail "$TAP_B carried $d_b frames while utcpd sent to A"

say "off-link traffic takes the first interface's default route"
start_ns_bg "$PYTHON" "$(dirname "$0")/udp_sink.py" "$FAR" 5401 "$TMP/far_a"
wait_for kernel_udp_bound 5401 || fail "no far sink on A"
start_bg ip netns exec "$NS_B" "$PYTHON" "$(dirname "$0")/udp_sink.py" \
	"$FAR" 5401 "$TMP/far_b"
wait_for b_udp_bound 5401 || fail "no far sink on B"
rx_b=$(tap_rx "$NS_B" "$TAP_B")
echo far | timeout 10 "$UTCP_NC" -S "$SOCK" -u "$FAR" 5401 ||
	fail "utcp-nc -u $FAR 5401 failed"
wait_for grep -q "^$NET_A.2 far" "$TMP/far_a" ||
	fail "the datagram to $FAR did not reach A from $NET_A.2"
[[ ! -s $TMP/far_b ]] || fail "the datagram to $FAR reached B"
d_b=$(($(tap_rx "$NS_B" "$TAP_B") - rx_b))
((d_b < 2)) || fail "$TAP_B carried $d_b frames for $FAR"

say "status shows both interfaces and a default route on each"
status_json | "$PYTHON" -c '
import json, sys
st = json.load(sys.stdin)
names = [i["name"] for i in st["interfaces"]]
assert names == sys.argv[1:3], names
defaults = [r for r in st["routes"] if r["destination"].endswith("/0")]
assert len(defaults) == 2, defaults
' "$TAP_A" "$TAP_B" || fail "utcpctl status -a --json: $(status_json | head -c 600)"

pass
