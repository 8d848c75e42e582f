#!/bin/bash
# dhcp_dnsmasq: utcpd gets its address from dnsmasq, and the lease
# configures it. dnsmasq's lease file shows the hostname utcpd sent (its
# `name`); option 121's routes replace option 3 (the router of option 3
# leads nowhere) and one is used to reach a host behind a second gateway;
# option 26 sets the MTU, and the MSS utcpd offers a kernel TCP peer
# follows it (mtu - 40); options 6, 15, 119 and 42 are shown by status
# with their source; option 7 sends utcpd's log lines as syslog over UDP
# through its own stack to a receiver in the namespace.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/dhcp_lib.sh
. "$(dirname "$0")/dhcp_lib.sh"

require_dnsmasq
NET=10.78.11
TAP0=utdq0
BEHIND=203.0.113.5 # a host behind gateway $NET.3 (the kernel, on lo)
HOSTNAME_SENT=utcp-dq

server_tap "$TAP0" "$NET"
ip -n "$NS" addr add "$NET.3/24" dev "$TAP0" # the 121 route's gateway
ip -n "$NS" addr add "$BEHIND/32" dev lo
start_ns_bg "$PYTHON" "$(dirname "$0")/udp_sink.py" "$NET.1" 514 "$TMP/syslog"
wait_for kernel_udp_bound 514 || fail "no syslog receiver"
start_dnsmasq "$NS" "$TAP0" "$NET" \
	"--dhcp-option=option:router,$NET.9" \
	"--dhcp-option=option:classless-static-route,203.0.113.0/24,$NET.3,0.0.0.0/0,$NET.1" \
	--dhcp-option=option:mtu,1400 \
	"--dhcp-option=option:dns-server,$NET.1,$NET.4" \
	--dhcp-option=option:domain-name,example.test \
	--dhcp-option=option:domain-search,lab.example.test,example.test \
	"--dhcp-option=option:log-server,$NET.1" \
	"--dhcp-option=option:ntp-server,$NET.1"

write_dhcp_config "$HOSTNAME_SENT" "$TAP0" "$NET"
sed -i 's/^name = .*/name = '"$HOSTNAME_SENT"'/' "$CONF"
start_dhcp_daemon
wait_bound "$TAP0"
say "bound: $DAEMON_IP"

say "the lease: an address of the range, dnsmasq as server, ready"
[[ $(if_query "$TAP0" 'i["address"]') =~ ^$NET\.([0-9]+)/24$ ]] ||
	fail "address $(if_query "$TAP0" 'i["address"]'), want $NET.x/24"
n=${BASH_REMATCH[1]}
((n >= 50 && n <= 150)) || fail "address $DAEMON_IP outside the range"
[[ $(if_query "$TAP0" 'd["server"]') == "$NET.1" ]] ||
	fail "server $(if_query "$TAP0" 'd["server"]'), want $NET.1"
[[ $(if_query "$TAP0" 'd["lease_s"]') == 120 ]] ||
	fail "lease_s $(if_query "$TAP0" 'd["lease_s"]'), want 120"
[[ $(if_query "$TAP0" 'st["ready"]') == True ]] || fail "status not ready"
daemon_log_has "$TAP0: dhcp [A-Z-]+ -> BOUND" || fail "no '-> BOUND' in the log"
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"

say "utcpctl lease and ifaces show the lease, in text and JSON"
lease_text=$("$UTCPCTL" -S "$SOCK" lease "$TAP0") # whole, then grep: no SIGPIPE
grep -Eq "^  $TAP0 +dhcp BOUND  server $NET\.1  lease 120 s " <<<"$lease_text" ||
	fail "utcpctl lease: $lease_text"
"$UTCPCTL" -S "$SOCK" lease --json | "$PYTHON" -c '
import json, sys
j = json.load(sys.stdin)
tap, address, server = sys.argv[1:4]
(l,) = j["leases"]
d = l["dhcp"]
got = (l["interface"], d["state"], d["bound"], d["address"], d["server"], d["lease_s"])
want = (tap, "BOUND", True, address + "/24", server, 120)
codes = {o["code"] for o in d["options"]}
sys.exit(0 if got == want and {1, 3, 6, 51, 54} <= codes
         else f"lease --json: {got} (options {sorted(codes)}), want {want}")' \
	"$TAP0" "$DAEMON_IP" "$NET.1" || fail "utcpctl lease --json"
"$UTCPCTL" -S "$SOCK" ifaces --json | "$PYTHON" -c '
import json, sys
(i,) = json.load(sys.stdin)["interfaces"]
got = (i["name"], i["state"], i["address"], i["address_source"], i["dhcp"])
want = (sys.argv[1], "configured", sys.argv[2] + "/24", "lease", "BOUND")
sys.exit(0 if got == want else f"ifaces --json: {got}, want {want}")' "$TAP0" "$DAEMON_IP" ||
	fail "utcpctl ifaces --json"

say "dnsmasq's lease file has our MAC, address and hostname"
dnsmasq_lease "$TAP0" | grep -Eq "^[0-9]+ $DAEMON_MAC $DAEMON_IP $HOSTNAME_SENT " ||
	fail "dnsmasq's leases: $(dnsmasq_lease "$TAP0")"

say "routes come from option 121, not from option 3"
routes=$(status_json | "$PYTHON" -c '
import json, sys
st = json.load(sys.stdin)
for r in st["routes"]:
    print(r["destination"], r["gateway"], r.get("kind"))')
grep -qx "203.0.113.0/24 $NET.3 dhcp" <<<"$routes" || fail "no 121 route: $routes"
grep -qx "0.0.0.0/0 $NET.1 dhcp" <<<"$routes" || fail "no 121 default route: $routes"
! grep -q "$NET.9" <<<"$routes" || fail "option 3's router was used: $routes"

say "the 121 route is used: a TCP connection to $BEHIND via $NET.3"
start_ns_bg socat -u "TCP-LISTEN:7100,bind=$BEHIND,reuseaddr" "OPEN:$TMP/behind,creat,trunc"
wait_for kernel_tcp_listening 7100 || fail "socat is not listening on 7100"
echo through-121 | timeout 10 "$UTCP_NC" -S "$SOCK" "$BEHIND" 7100 >/dev/null ||
	fail "utcp-nc $BEHIND 7100 failed"
wait_for grep -q through-121 "$TMP/behind" || fail "nothing reached $BEHIND"
arp=$(status_json | "$PYTHON" -c '
import json, sys
print(" ".join(a["address"] for a in json.load(sys.stdin)["arp"]))')
grep -qw "$NET.3" <<<"$arp" || fail "utcpd never resolved $NET.3 (arp: $arp)"

say "option 26: the MTU is 1400, and a kernel peer sees MSS 1360"
[[ $(if_query "$TAP0" 'i["mtu"]') == 1400 ]] ||
	fail "mtu $(if_query "$TAP0" 'i["mtu"]'), want 1400"
start_ns_bg "$PYTHON" "$(dirname "$0")/syn_mss.py" "$TAP0" "$TMP/syns"
wait_for test -e "$TMP/syns" || fail "the SYN recorder did not start"
start_bg "$UTCP_NC" -S "$SOCK" -l -p 7200 <<<"mss" >/dev/null
wait_for socket_bound 7200 || fail "utcp-nc is not listening on 7200"
got=$(nsx timeout 10 socat -u "TCP:$DAEMON_IP:7200" -) ||
	fail "the kernel could not connect to $DAEMON_IP:7200"
[[ $got == mss ]] || fail "the kernel read \"$got\""
wait_for grep -q "^$DAEMON_IP:7200 .* SA " "$TMP/syns" || fail "no SYN-ACK seen"
synack=$(grep "^$DAEMON_IP:7200 .* SA " "$TMP/syns" | head -n 1)
[[ ${synack##* } == 1360 ]] || fail "utcpd's SYN-ACK: $synack, want MSS 1360"

say "options 6, 15, 119, 42 are shown, from the lease"
if_query "$TAP0" '
i["dns"] == [sys.argv[3], sys.argv[4]] and i["dns_source"] == "lease"
and i["domain"] == "example.test"
and i["search"] == ["lab.example.test", "example.test"]
and {6, 7, 15, 26, 42, 119, 121} <= {o["code"] for o in d["options"]}
and all(o["name"] and o["hex"] for o in d["options"])' "$NET.1" "$NET.4" |
	grep -qx True ||
	fail "status of $TAP0: $(if_query "$TAP0" 'json.dumps(i)')"

say "option 7: utcpd's log lines arrive as syslog at $NET.1"
[[ $(if_query "$TAP0" 'i["log_server"]') == "$NET.1"* ]] ||
	fail "log_server $(if_query "$TAP0" 'i["log_server"]'), want $NET.1"
kill -HUP "$DAEMON_PID"
wait_for -t 10 grep -q "^$DAEMON_IP <[0-9]*>1 .*SIGHUP" "$TMP/syslog" ||
	fail "no syslog line about SIGHUP from $DAEMON_IP: $(head -c 600 "$TMP/syslog")"

pass
