#!/bin/bash
# multi_if_dhcp: one utcpd with two DHCP interfaces, each TAP in a
# namespace of its own with its own dnsmasq handing out a different
# subnet. Both are bound, each by its own server, with a lease file
# each; each kernel peer reaches utcpd only on its own interface (a
# datagram to the other interface's address is dropped and counted),
# utcpd's datagrams to each peer leave from that interface's address,
# and of the two DHCP default routes the first interface's is preferred
# (lower metric): off-link traffic goes out of it.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/dhcp_lib.sh
. "$(dirname "$0")/dhcp_lib.sh"

require_dnsmasq
NET_A=10.78.17
NET_B=10.78.18
TAP_A=utdma
TAP_B=utdmb
FAR=198.51.100.11 # off-link: both peers have it on their loopback

make_namespace
make_extra_namespace
NS_B=$EXTRA_NS_NAME
nsb() {
	ip netns exec "$NS_B" "$@"
}

server_tap "$TAP_A" "$NET_A"
start_dnsmasq "$NS" "$TAP_A" "$NET_A"
# B's TAP is made here for utcpd to attach to, then moves to B's
# namespace, where its server runs; the client retransmits until then.
ip -n "$NS" tuntap add dev "$TAP_B" mode tap
write_dhcp_config mi-host "$TAP_A" "$NET_A"
add_dhcp_interface "$TAP_B" "$NET_B"
start_dhcp_daemon
ip -n "$NS" link set "$TAP_B" netns "$NS_B"
ip -n "$NS_B" addr add "$NET_B.1/24" dev "$TAP_B"
ip -n "$NS_B" link set "$TAP_B" up
start_dnsmasq "$NS_B" "$TAP_B" "$NET_B"
for ns in "$NS" "$NS_B"; do
	ip -n "$ns" addr add "$FAR/32" dev lo
done

wait_bound "$TAP_A"
wait_bound "$TAP_B" 60
ADDR_A=$DAEMON_IP
ADDR_B=$(if_address "$TAP_B")
say "bound: $TAP_A $ADDR_A, $TAP_B $ADDR_B"
[[ $ADDR_A == "$NET_A".* && $ADDR_B == "$NET_B".* ]] ||
	fail "addresses $ADDR_A, $ADDR_B: want $NET_A.x and $NET_B.x"
[[ $(if_query "$TAP_A" 'd["server"]') == "$NET_A.1" ]] || fail "$TAP_A's server"
[[ $(if_query "$TAP_B" 'd["server"]') == "$NET_B.1" ]] || fail "$TAP_B's server"
[[ $(if_query "$TAP_A" 'st["ready"]') == True ]] || fail "status not ready"
for tap in "$TAP_A" "$TAP_B"; do
	[[ -s $STATE_DIR/lease-$tap ]] || fail "no lease file for $tap"
done
grep -q "$ADDR_A" "$TMP/dnsmasq-$TAP_A.leases" || fail "A's dnsmasq has no lease"
grep -q "$ADDR_B" "$TMP/dnsmasq-$TAP_B.leases" || fail "B's dnsmasq has no lease"

say "each peer pings utcpd on its own link"
nsx ping -n -c 1 -w 5 "$ADDR_A" >/dev/null || fail "ping $ADDR_A from A failed"
nsb ping -n -c 1 -w 5 "$ADDR_B" >/dev/null || fail "ping $ADDR_B from B failed"

say "the peer of B cannot reach utcpd through A's address"
nsb ip route add "$ADDR_A/32" dev "$TAP_B"
nsb ip neigh replace "$ADDR_A" lladdr "$(dhcp_mac "$NET_B")" dev "$TAP_B" nud permanent
start_bg "$UTCP_NC" -S "$SOCK" -u -l -p 5300 >"$TMP/udp_got" </dev/null
wait_for socket_bound 5300 || fail "utcp-nc is not bound to 5300"
wrong0=$(counter ip_rx_drop_wrong_if)
echo from-a | nsx socat -u - "UDP:$ADDR_A:5300"
echo wrong-from-b | nsb socat -u - "UDP:$ADDR_A:5300"
echo from-b | nsb socat -u - "UDP:$ADDR_B:5300"
wait_for grep -q from-b "$TMP/udp_got" || fail "from-b did not arrive"
wait_for grep -q from-a "$TMP/udp_got" || fail "from-a did not arrive"
! grep -q wrong "$TMP/udp_got" || fail "the datagram to A's address via B arrived"
[[ $(counter ip_rx_drop_wrong_if) -eq $((wrong0 + 1)) ]] ||
	fail "ip_rx_drop_wrong_if $(counter ip_rx_drop_wrong_if), want $((wrong0 + 1))"

say "utcpd's datagrams to B's peer come from $ADDR_B"
start_bg ip netns exec "$NS_B" "$PYTHON" "$(dirname "$0")/udp_sink.py" \
	"$NET_B.1" 5400 "$TMP/sink_b"
wait_for ns_udp_bound "$NS_B" 5400 || fail "no sink on B"
echo to-b | timeout 10 "$UTCP_NC" -S "$SOCK" -u "$NET_B.1" 5400 ||
	fail "utcp-nc -u $NET_B.1 5400 failed"
wait_for grep -q "^$ADDR_B to-b" "$TMP/sink_b" ||
	fail "B's peer got: $(cat "$TMP/sink_b")"

say "two DHCP default routes; the first interface's metric is lower"
status_json | "$PYTHON" -c '
import json, sys
st = json.load(sys.stdin)
d = {r["interface"]: r for r in st["routes"]
     if r["destination"] == "0.0.0.0/0" and r.get("kind") == "dhcp"}
a, b = d[sys.argv[1]], d[sys.argv[2]]
assert a["metric"] < b["metric"], (a, b)
' "$TAP_A" "$TAP_B" || fail "routes: $(status_json | head -c 1500)"
start_ns_bg "$PYTHON" "$(dirname "$0")/udp_sink.py" "$FAR" 5401 "$TMP/far_a"
wait_for kernel_udp_bound 5401 || fail "no far sink on A"
start_bg ip netns exec "$NS_B" "$PYTHON" "$(dirname "$0")/udp_sink.py" \
	"$FAR" 5401 "$TMP/far_b"
wait_for ns_udp_bound "$NS_B" 5401 || fail "no far sink on B"
echo far | timeout 10 "$UTCP_NC" -S "$SOCK" -u "$FAR" 5401 ||
	fail "utcp-nc -u $FAR 5401 failed"
wait_for grep -q "^$ADDR_A far" "$TMP/far_a" ||
	fail "the datagram to $FAR did not reach A from $ADDR_A"
# B's sink would have it by now too: both sinks are one hop away and the
# datagram went out once.
[[ ! -s $TMP/far_b ]] || fail "the datagram to $FAR reached B"

pass
