#!/bin/bash
# dhcp_udhcpd: a second DHCP server implementation, busybox's udhcpd.
# utcpd gets a lease from it (address, router, DNS, domain), its lease
# table (busybox dumpleases) shows our MAC and hostname, the kernel
# reaches utcpd by ping and TCP, and off-link traffic goes through the
# lease's router.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/dhcp_lib.sh
. "$(dirname "$0")/dhcp_lib.sh"

require_udhcpd
NET=10.78.16
TAP0=utdu0
FAR=198.51.100.9 # off-link: the kernel has it on its loopback

server_tap "$TAP0" "$NET"
ip -n "$NS" addr add "$FAR/32" dev lo
start_udhcpd "$NS" "$TAP0" "$NET" "opt domain example.test" \
	"opt dns $NET.1 $NET.4"
write_dhcp_config du-host "$TAP0" "$NET"
start_dhcp_daemon
wait_bound "$TAP0"
say "bound: $DAEMON_IP"

say "the lease: an address of the range, udhcpd's options"
n=${DAEMON_IP##*.}
[[ $DAEMON_IP == "$NET".* ]] && ((n >= 100 && n <= 150)) ||
	fail "address $DAEMON_IP outside $NET.100-150"
if_query "$TAP0" '
d["server"] == sys.argv[3] and d["lease_s"] == 120
and i["dns"] == [sys.argv[3], sys.argv[4]] and i["domain"] == "example.test"' \
	"$NET.1" "$NET.4" | grep -qx True ||
	fail "status of $TAP0: $(if_query "$TAP0" 'json.dumps(i)')"
# udhcpd writes its lease file on SIGUSR1.
udhcpd_has_lease() {
	kill -USR1 "$UDHCPD_PID"
	"$BUSYBOX" dumpleases -f "$TMP/udhcpd-$TAP0.leases" 2>/dev/null |
		grep -i "$DAEMON_MAC" | grep -q "$DAEMON_IP.*du-host"
}
wait_for udhcpd_has_lease ||
	fail "udhcpd's leases: $("$BUSYBOX" dumpleases -f "$TMP/udhcpd-$TAP0.leases" 2>&1)"

say "the kernel reaches utcpd; utcpd reaches $FAR via the router"
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"
start_bg "$UTCP_NC" -S "$SOCK" -l -p 7400 <<<"hello-udhcpd" >/dev/null
wait_for socket_bound 7400 || fail "utcp-nc is not listening on 7400"
got=$(nsx timeout 10 socat -u "TCP:$DAEMON_IP:7400" -) ||
	fail "the kernel could not connect to $DAEMON_IP:7400"
[[ $got == hello-udhcpd ]] || fail "the kernel read \"$got\""
start_ns_bg "$PYTHON" "$(dirname "$0")/udp_sink.py" "$FAR" 7401 "$TMP/far"
wait_for kernel_udp_bound 7401 || fail "no sink on $FAR"
echo far | timeout 10 "$UTCP_NC" -S "$SOCK" -u "$FAR" 7401 ||
	fail "utcp-nc -u $FAR 7401 failed"
wait_for grep -q "^$DAEMON_IP far" "$TMP/far" || fail "nothing reached $FAR"

pass
