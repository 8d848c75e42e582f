#!/bin/bash
# demo.sh - build utcpd and show it working as a host on a TAP, its
# address from a DHCP server
#
# Run as root on Debian 12:
#
#   ./tools/demo.sh
#
# It installs what is missing (tools/deps.sh), builds into build-demo/,
# makes a network namespace of its own with the TAP of conf/utcpd.conf
# in it, the kernel's side holding the configured gateway address
# (10.0.0.1/24), and runs dnsmasq there as the network's DHCP server: it
# hands the daemon's MAC the configured address (10.0.0.2) with router,
# DNS server (itself) and domain, and answers DNS for demo.test. utcpd
# starts with conf/utcpd.conf turned to DHCP (no address, gateway or dns
# keys; its leases in a temporary state directory), gets its lease, and
# the namespace's kernel is its peer across the TAP. Then the kernel
# pings the daemon, sends it a UDP datagram with socat that
# `utcp-nc -u -l` prints, `utcpctl resolve` looks echo.demo.test up
# through the daemon's stub resolver (the server the lease named), and
# utcp-nc talks TCP to a kernel echo server by that name; utcpctl's
# status, lease, conns, dns and counters show the daemon's state.
# Everything is removed on exit; nothing leaves the namespace, and the
# control socket lives in a temporary directory (--socket), so /run is
# not touched.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
conf=$root/conf/utcpd.conf
build=$root/build-demo
udp_port=7000
echo_name=echo.demo.test # dnsmasq's name for the kernel's side

step() {
	if [[ -t 1 ]]; then
		printf '\n\033[1m== %s\033[0m\n' "$*"
	else
		printf '\n== %s\n' "$*"
	fi
}

die() {
	printf 'demo: %s\n' "$*" >&2
	exit 1
}

((EUID == 0)) || die "run me as root (I make a network namespace and a TAP)"

"$root/tools/deps.sh"

step "building into $build"
if [[ -f $build/build.ninja ]]; then
	ninja -C "$build"
else
	meson setup "$build" "$root"
	ninja -C "$build"
fi
utcpd=$build/daemon/utcpd
utcpctl=$build/client-lib/utcpctl
utcp_nc=$build/client-lib/utcp-nc
for program in "$utcpd" "$utcpctl" "$utcp_nc"; do
	[[ -x $program ]] || die "$program was not built"
done

# What conf/utcpd.conf says: the TAP, the daemon's address, and the
# gateway, which the kernel's side of the TAP takes.
tap=$(sed -n 's/^[[:space:]]*\[interface[[:space:]]\+\([^]]*\)\].*/\1/p' "$conf" | head -n 1)
conf_value() {
	sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\([^;[:space:]]*\).*/\1/p" "$conf" |
		head -n 1
}
address=$(conf_value address)
daemon_ip=${address%/*}
prefix=${address#*/}
kernel_ip=$(conf_value gateway)
mac=$(conf_value mac)
[[ -n $tap && -n $daemon_ip && -n $kernel_ip && -n $mac ]] ||
	die "$conf lacks an [interface], mac, address or gateway"
net=${kernel_ip%.*}

ns=utcpd-demo-$$
tmp=$(mktemp -d /tmp/utcpd-demo.XXXXXX)
sock=$tmp/utcpd.sock
daemon_pid=""
dnsmasq_pid=""
nc_pid=""
socat_pid=""

cleanup() {
	local status=$?
	trap - EXIT
	step "tearing down"
	local pid
	for pid in $nc_pid ${socat_pid:-} ${dnsmasq_pid:-}; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [[ -n $daemon_pid ]]; then
		kill -TERM "$daemon_pid" 2>/dev/null || true
		local i
		for ((i = 0; i < 100; i++)); do
			kill -0 "$daemon_pid" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
		echo "utcpd stopped"
	fi
	if ((status != 0)) && [[ -s $tmp/utcpd.log ]]; then
		echo "---- utcpd's log ----"
		tail -n 40 "$tmp/utcpd.log"
	fi
	ip netns del "$ns" 2>/dev/null && echo "namespace $ns deleted"
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

step "the network: namespace $ns, $tap with $kernel_ip/$prefix, dnsmasq"
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" tuntap add dev "$tap" mode tap
ip -n "$ns" addr add "$kernel_ip/$prefix" dev "$tap"
ip -n "$ns" link set "$tap" up
ip netns exec "$ns" dnsmasq --no-daemon --conf-file=/dev/null --no-hosts \
	--no-resolv --interface="$tap" --bind-interfaces \
	--local=/demo.test/ "--host-record=$echo_name,$kernel_ip" --local-ttl=300 \
	--dhcp-authoritative --dhcp-range="$net.100,$net.200,2m" \
	--dhcp-host="$mac,$daemon_ip" \
	--dhcp-option="option:router,$kernel_ip" \
	--dhcp-option="option:dns-server,$kernel_ip" \
	--dhcp-option=option:domain-name,demo.test \
	--dhcp-leasefile="$tmp/dnsmasq.leases" 2>"$tmp/dnsmasq.log" &
dnsmasq_pid=$!
echo "dnsmasq hands $mac the address $daemon_ip, and says $echo_name is $kernel_ip"

# conf/utcpd.conf without its static address, gateway and DNS server:
# the lease gives them.
sed -e 's/^[[:space:]]*dhcp[[:space:]]*=.*/dhcp = yes/' \
	-e '/^[[:space:]]*\(address\|gateway\|dns\)[[:space:]]*=/d' \
	"$conf" >"$tmp/utcpd.conf"
mkdir -m 0700 "$tmp/state"

step "starting utcpd in namespace $ns on $tap, by DHCP"
ip netns exec "$ns" "$utcpd" -c "$tmp/utcpd.conf" --socket "$sock" \
	--state-dir "$tmp/state" 2>"$tmp/utcpd.log" &
daemon_pid=$!

ready=no
for ((i = 0; i < 600; i++)); do # up to 30 s: the lease, after an ARP probe
	kill -0 "$daemon_pid" 2>/dev/null || die "utcpd exited: $(cat "$tmp/utcpd.log")"
	if "$utcpctl" -S "$sock" status --json 2>/dev/null |
		/usr/bin/python3 -c 'import json, sys; sys.exit(not json.load(sys.stdin)["ready"])' \
			2>/dev/null; then
		ready=yes
		break
	fi
	sleep 0.05
done
[[ $ready == yes ]] || die "utcpd had no lease within 30 s: $(tail -n 5 "$tmp/utcpd.log")"
grep -E "$tap: (dhcp|lease)" "$tmp/utcpd.log" | sed 's/^[^ ]* //'
echo "dnsmasq's lease: $(cat "$tmp/dnsmasq.leases")"

step "the kernel pings utcpd: ping -c 3 $daemon_ip"
ip netns exec "$ns" ping -n -c 3 -w 10 "$daemon_ip"

step "UDP: kernel socat -> utcp-nc -u -l -p $udp_port"
"$utcp_nc" -S "$sock" -u -l -p "$udp_port" >"$tmp/received" </dev/null &
nc_pid=$!
for ((i = 0; i < 200; i++)); do
	"$utcpctl" -S "$sock" conns -u sport "$udp_port" --json 2>/dev/null |
		/usr/bin/python3 -c '
import json, sys
sys.exit(not json.load(sys.stdin)["sockets"])' && break
	sleep 0.05
done
message="hello from the kernel, $(date -u +%H:%M:%S)"
echo "sending: $message"
echo "$message" | ip netns exec "$ns" socat - "UDP:$daemon_ip:$udp_port"
for ((i = 0; i < 200; i++)); do
	[[ -s $tmp/received ]] && break
	sleep 0.05
done
[[ -s $tmp/received ]] || die "utcp-nc received nothing"
echo "utcp-nc received: $(cat "$tmp/received")"
[[ $(cat "$tmp/received") == "$message" ]] || die "the datagram arrived changed"

step "DNS: utcpctl resolve -4 $echo_name (asks dnsmasq, the lease's DNS server)"
"$utcpctl" -S "$sock" resolve -4 "$echo_name"
step "DNS: the same again, from the daemon's cache"
"$utcpctl" -S "$sock" resolve -4 "$echo_name"

tcp_port=7001
step "TCP: utcp-nc connects by name to a kernel echo server (socat) on $echo_name:$tcp_port"
ip netns exec "$ns" socat "TCP-LISTEN:$tcp_port,bind=$kernel_ip,reuseaddr" EXEC:cat &
socat_pid=$!
for ((i = 0; i < 200; i++)); do
	ip netns exec "$ns" ss -Hltn "sport = :$tcp_port" | grep -q . && break
	sleep 0.05
done
message="hello over µTCP, $(date -u +%H:%M:%S)"
echo "sending: $message"
echoed=$(echo "$message" | timeout 10 "$utcp_nc" -S "$sock" "$echo_name" "$tcp_port") ||
	die "utcp-nc failed"
echo "echoed back: $echoed"
[[ $echoed == "$message" ]] || die "the echo differs"
wait "$socat_pid" 2>/dev/null || true

step "utcpctl status, lease, conns, dns, counters"
for command in status lease conns dns counters; do
	echo "\$ utcpctl $command"
	"$utcpctl" -S "$sock" "$command"
done

step "demo done"
