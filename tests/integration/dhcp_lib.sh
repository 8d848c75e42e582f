# shellcheck shell=bash
# dhcp_lib.sh - sourced by the DHCP integration tests after lib.sh:
# real DHCP servers in the test's namespace, and questions about the
# daemon's leases.
#
# The server side. server_tap makes the TAP beforehand, persistent, with
# the kernel's address NET.1/24 on it, so that the server (dnsmasq or
# busybox udhcpd) is listening on it before utcpd attaches and sends its
# first DISCOVER. Each server keeps its lease file, log and configuration
# in $TMP, runs in the foreground under start_bg, and is killed at exit
# with every other helper. dnsmasq runs without DNS (--port=0) unless a
# test asks for it, without a configuration file, and without its ping
# check (the decline test wants an address offered that is in use).
#
# The daemon's side. write_dhcp_config writes an interface without an
# address (DHCP is the default), its lease files in $STATE_DIR (one a
# interface, lease-IFNAME). What the tests read back, from
# `utcpctl status -a --json`: the top-level "ready", and per interface
# "address" ("a.b.c.d/len"), "mtu", "dhcp" {"state", "server",
# "lease_s", "t1_s", "t2_s", "expires_in_ms", "mtu", "options":
# [{"code", "name", "value", "hex"}]...}, "dns", "dns_source", "domain",
# "search", "log_server"; routes of "kind" "dhcp" with a "metric". The
# daemon logs each move of the client as "IFNAME: dhcp OLD -> NEW".

DNSMASQ=${DNSMASQ:-/usr/sbin/dnsmasq}
BUSYBOX=${BUSYBOX:-/usr/bin/busybox}
STATE_DIR=$TMP/state

# require_dnsmasq / require_udhcpd: skip without the server.
require_dnsmasq() {
	[[ -x $DNSMASQ ]] || skip "dnsmasq is missing (Debian: dnsmasq-base)"
}
require_udhcpd() {
	if ! [[ -x $BUSYBOX ]] || ! "$BUSYBOX" --list | grep -x udhcpd >/dev/null; then
		skip "busybox with udhcpd is missing (Debian: busybox)"
	fi
}

# server_tap TAP NET [NAMESPACE]: makes persistent TAP in NAMESPACE
# (default the test's, made when missing) with NET.1/24 on the kernel's
# side, up. It is deleted at exit.
server_tap() {
	local tap=$1 net=$2 ns=${3:-}
	if [[ -z $ns ]]; then
		[[ -n $NS ]] || make_namespace
		ns=$NS
	fi
	ip -n "$ns" tuntap add dev "$tap" mode tap ||
		fail "cannot create TAP $tap in $ns"
	[[ $ns == "$NS" ]] && PERSISTENT_TAPS+=("$tap")
	ip -n "$ns" addr add "$net.1/24" dev "$tap"
	ip -n "$ns" link set "$tap" up
}

# dhcp_mac NET: the MAC write_dhcp_config gives an interface on NET.
dhcp_mac() {
	printf '02:00:00:78:%02x:02' "${1##*.}"
}

# write_dhcp_config NAME TAP NET [LINES...]: writes $CONF for a daemon
# NAME with one DHCP interface TAP (MAC from NET's third octet, no
# address, and no mtu key: a static one would win over option 26), its
# leases in $STATE_DIR. LINES go at the end of the
# interface's section. Sets TAP, KERNEL_IP (NET.1), DAEMON_MAC; DAEMON_IP
# is known once bound (wait_bound).
write_dhcp_config() {
	local name=$1 tap=$2 net=$3 line
	shift 3
	TAP=$tap
	KERNEL_IP=$net.1
	DAEMON_IP=""
	DAEMON_MAC=$(dhcp_mac "$net")
	SOCK=$TMP/utcpd.sock
	CONF=$TMP/utcpd.conf
	LOG=$TMP/utcpd.log
	mkdir -p "$STATE_DIR"
	{
		printf '[daemon]\nname = %s\nsocket = %s\nstate_dir = %s\n\n' \
			"$name" "$SOCK" "$STATE_DIR"
		printf '[interface %s]\nmac = %s\n' "$tap" "$DAEMON_MAC"
		for line in "$@"; do
			printf '%s\n' "$line"
		done
	} >"$CONF"
}

# add_dhcp_interface TAP NET [LINES...]: appends one more DHCP interface
# section to $CONF.
add_dhcp_interface() {
	local tap=$1 net=$2 line
	shift 2
	{
		printf '\n[interface %s]\nmac = %s\n' "$tap" \
			"$(dhcp_mac "$net")"
		for line in "$@"; do
			printf '%s\n' "$line"
		done
	} >>"$CONF"
}

# control_ready: utcpctl answers (the lease may still be coming).
control_ready() {
	"$UTCPCTL" -S "$SOCK" status >/dev/null 2>&1
}

# start_dhcp_daemon [ARGS...]: starts utcpd on $CONF in $NS, attaching
# to the TAPs made by server_tap, and waits until its control socket
# answers. ARGS go to its command line.
start_dhcp_daemon() {
	say "starting utcpd on $TAP (DHCP, $DAEMON_MAC) in $NS"
	ip netns exec "$NS" "$UTCPD" -c "$CONF" "$@" 2>>"$LOG" &
	DAEMON_PID=$!
	local i
	for ((i = 0; i < 200; i++)); do
		daemon_alive || fail "utcpd exited during start-up"
		control_ready && return 0
		sleep 0.05
	done
	fail "utcpd's control socket does not answer after 10 s"
}

# if_query TAP EXPR [ARGS...]: evaluates the python expression EXPR
# with `i`, the status entry of interface TAP, `d` its "dhcp" object
# ({} when absent), `st` the whole status and ARGS as sys.argv[3:];
# prints the result (None when TAP is not there or EXPR raises
# KeyError, IndexError or TypeError).
if_query() {
	status_json | "$PYTHON" -c '
import json, sys
st = json.load(sys.stdin)
i = next((x for x in st["interfaces"] if x["name"] == sys.argv[1]), None)
d = (i or {}).get("dhcp") or {}
try:
    print(eval("(" + sys.argv[2] + ")") if i is not None else None)
except (KeyError, IndexError, TypeError):
    print(None)' "$@"
}

# dhcp_state TAP: prints the client's state on TAP (BOUND, ...).
dhcp_state() {
	if_query "$1" 'd["state"]'
}

# if_address TAP: prints the interface's address without its prefix
# length, or nothing.
if_address() {
	local a
	a=$(if_query "$1" 'i["address"]')
	[[ $a == None ]] || printf '%s\n' "${a%/*}"
}

# state_is TAP STATE: the client on TAP is in STATE (for wait_for).
state_is() {
	[[ $(dhcp_state "$1") == "$2" ]]
}

# wait_bound TAP [SECONDS]: waits (default 30 s) until TAP's lease is
# bound and the status ready; sets DAEMON_IP when TAP is $TAP.
wait_bound() {
	local tap=$1 secs=${2:-30}
	wait_for -t "$secs" state_is "$tap" BOUND ||
		fail "$tap: no lease after $secs s (state $(dhcp_state "$tap"))"
	if [[ $tap == "$TAP" ]]; then
		DAEMON_IP=$(if_address "$tap")
		[[ -n $DAEMON_IP ]] || fail "$tap: bound without an address"
	fi
}

# daemon_log_has PATTERN: utcpd's log has a line matching the extended
# regular expression PATTERN.
daemon_log_has() {
	grep -Eq "$1" "$LOG"
}

# log_count PATTERN: prints how many of utcpd's log lines match.
log_count() {
	grep -Ec "$1" "$LOG" || true
}

# start_dnsmasq NS TAP NET [DNSMASQ_ARGS...]: runs dnsmasq as the DHCP
# server of TAP (in namespace NS) handing out NET.50-NET.150 for 2
# minutes (dnsmasq's shortest lease), authoritative, with its lease file
# $TMP/dnsmasq-TAP.leases and log $TMP/dnsmasq-TAP.log. Sets
# DNSMASQ_PID; waits until it listens on port 67.
start_dnsmasq() {
	local ns=$1 tap=$2 net=$3
	shift 3
	start_bg ip netns exec "$ns" "$DNSMASQ" --no-daemon --conf-file=/dev/null \
		--no-hosts --no-resolv --port=0 --no-ping --log-dhcp \
		--interface="$tap" --bind-interfaces --dhcp-authoritative \
		--dhcp-range="$net.50,$net.150,255.255.255.0,2m" \
		--dhcp-leasefile="$TMP/dnsmasq-$tap.leases" \
		--pid-file="$TMP/dnsmasq-$tap.pid" "$@" \
		2>>"$TMP/dnsmasq-$tap.log"
	DNSMASQ_PID=$BG_PID
	wait_for ns_udp_bound "$ns" 67 ||
		fail "dnsmasq does not listen on $tap: $(tail -n 5 "$TMP/dnsmasq-$tap.log")"
}

# kernel_tcp_listening PORT: a kernel socket in the test's namespace
# listens on TCP port PORT.
kernel_tcp_listening() {
	[[ -n $(nsx ss -Hntl "sport = :$1") ]]
}

# ns_udp_bound NS PORT: a kernel socket in NS is bound to UDP PORT.
ns_udp_bound() {
	[[ -n $(ip netns exec "$1" ss -Hnula "sport = :$2") ]]
}

# dnsmasq_lease TAP: prints dnsmasq's lease lines for TAP's server
# ("EXPIRY MAC ADDRESS HOSTNAME CLIENT-ID").
dnsmasq_lease() {
	cat "$TMP/dnsmasq-$1.leases" 2>/dev/null
}

# start_udhcpd NS TAP NET [CONFIG_LINES...]: runs busybox udhcpd as the
# DHCP server of TAP handing out NET.100-NET.150, router NET.1, lease
# 120 s, with CONFIG_LINES added to its configuration ("opt dns ..."). Sets
# UDHCPD_PID; waits until it listens on port 67.
start_udhcpd() {
	local ns=$1 tap=$2 net=$3 conf=$TMP/udhcpd-$2.conf line
	shift 3
	{
		printf 'start %s.100\nend %s.150\ninterface %s\n' "$net" "$net" "$tap"
		printf 'lease_file %s\npidfile %s\n' "$TMP/udhcpd-$tap.leases" \
			"$TMP/udhcpd-$tap.pid"
		printf 'max_leases 51\nauto_time 0\n'
		printf 'opt subnet 255.255.255.0\nopt router %s.1\n' "$net"
		printf 'opt lease 120\n'
		for line in "$@"; do
			printf '%s\n' "$line"
		done
	} >"$conf"
	: >"$TMP/udhcpd-$tap.leases"
	start_bg ip netns exec "$ns" "$BUSYBOX" udhcpd -f -a 100 "$conf" \
		2>>"$TMP/udhcpd-$tap.log" >>"$TMP/udhcpd-$tap.log"
	UDHCPD_PID=$BG_PID
	wait_for ns_udp_bound "$ns" 67 ||
		fail "udhcpd does not listen on $tap: $(tail -n 5 "$TMP/udhcpd-$tap.log")"
}

# start_address_watch FILE: records the first interface's address (as
# status shows it, "none" without one) in FILE every 0.1 s until killed
# at exit, one line each, so a test can check that it never changed.
start_address_watch() {
	start_bg bash -c '
		while :; do
			a=$("$0" -S "$1" status -a --json 2>/dev/null |
				grep -o "\"address\": [^,]*" | head -n 1)
			a=${a#*: }
			[[ -n $a ]] && printf "%s\n" "${a//\"/}" >>"$2"
			sleep 0.1
		done' "$UTCPCTL" "$SOCK" "$1"
}

# address_watch_saw FILE ADDRESS: FILE (start_address_watch) has lines,
# and every one is ADDRESS/len.
address_watch_saw() {
	[[ -s $1 ]] && ! grep -qv "^$2/" "$1"
}
