# shellcheck shell=bash
# lib.sh - sourced by every integration test
#
# Each test runs in a network namespace of its own, named
# utcpt-PID-RANDOM. utcpd runs inside it and creates its TAP there; the
# namespace's kernel is the peer on the other side of the TAP, with the
# .1 address of the test's /24 while the daemon has .2. No frame leaves
# the namespace.
#
# The EXIT trap stops every process the test started (utcpd last, and a
# utcpd that does not exit 0 on SIGTERM fails the test: that is where
# the sanitizers report), deletes the namespace and the temporary
# directory, and prints the daemon's log when the test failed.
#
# Every wait is a bounded poll (wait_for); a test never sleeps blindly.
#
# The environment names the programs under test (meson sets it):
#   UTCPD, UTCPCTL, UTCP_NC

set -euo pipefail

PYTHON=/usr/bin/python3 # Debian's, which has scapy (not a pyenv's)
TEST_NAME=$(basename "${0%.sh}")
NS=""          # the namespace, once made
TAP=""         # the daemon's TAP
KERNEL_IP=""   # NET.1, the kernel's side of the TAP
DAEMON_IP=""   # NET.2, utcpd's address
DAEMON_MAC=""  # utcpd's configured MAC
DAEMON_PID=""
SOCK=""        # utcpd's control socket
CONF=""        # utcpd's configuration file
LOG=""         # utcpd's stderr
STARTED_PIDS=() # background helpers (socat, utcp-nc, ...) to kill
PERSISTENT_TAPS=() # TAPs the test made with ip tuntap, deleted at exit
EXTRA_NS=()    # further namespaces (make_extra_namespace), deleted at exit
TEST_STATUS=1  # set to 0 by pass; anything else at exit is a failure

: "${UTCPD:?UTCPD must name the utcpd binary}"
: "${UTCPCTL:?UTCPCTL must name the utcpctl binary}"
: "${UTCP_NC:?UTCP_NC must name the utcp-nc binary}"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/utcpt-$TEST_NAME.XXXXXX")

# Prints a step of the test: what it checks.
say() {
	printf '%s: %s\n' "$TEST_NAME" "$*"
}

# Fails the test with a message; the EXIT trap prints the daemon's log.
fail() {
	printf '%s: FAIL: %s\n' "$TEST_NAME" "$*" >&2
	exit 1
}

# Ends the test successfully (after cleanup, which can still fail it).
pass() {
	TEST_STATUS=0
	say "PASS"
	exit 0
}

# Exits with 77, which meson counts as skipped.
skip() {
	printf '%s: SKIP: %s\n' "$TEST_NAME" "$*"
	TEST_STATUS=77
	exit 77
}

# Skips unless this can make namespaces and TAPs.
require_root() {
	((EUID == 0)) || skip "needs root (network namespaces, TAP devices)"
	[[ -c /dev/net/tun ]] || skip "/dev/net/tun is missing"
	command -v ip >/dev/null || skip "ip (iproute2) is missing"
}

# Runs a command in the test's namespace.
nsx() {
	ip netns exec "$NS" "$@"
}

# wait_for [-t SECONDS] CMD...: runs CMD every 0.05 s until it succeeds
# (returns 0) or SECONDS (default 10) of wall-clock time pass (returns
# 1). CMD is run anew each time: pass a command, not its output.
wait_for() {
	local timeout=10
	if [[ $1 == -t ]]; then
		timeout=$2
		shift 2
	fi
	# Sanitized daemons answer slower: give them three times as long.
	[[ ${UTCP_SANITIZED:-0} == 1 ]] && timeout=$((timeout * 3))
	local end=$((SECONDS + timeout))
	while :; do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		((SECONDS < end)) || return 1
		sleep 0.05
	done
}

# daemon_fds: prints how many descriptors utcpd holds.
daemon_fds() {
	ls /proc/"$DAEMON_PID"/fd | wc -l
}

# output_is WANT CMD...: true when CMD prints WANT (for wait_for).
output_is() {
	local want=$1
	shift
	[[ $("$@" 2>/dev/null) == "$want" ]]
}

# Makes the test's namespace with its loopback up. With IPv6 off the
# kernel sends the daemon nothing it did not ask for but ARP.
make_namespace() {
	require_root
	NS="utcpt-$$-$RANDOM"
	ip netns add "$NS" || fail "cannot create network namespace $NS"
	ip -n "$NS" link set lo up
	nsx sh -c 'echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
		   echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6' ||
		true
}

# make_extra_namespace: makes one more namespace (loopback up, IPv6
# off), for a test with a peer per interface; prints nothing and sets
# EXTRA_NS_NAME. Its processes are killed and it is deleted at exit.
make_extra_namespace() {
	require_root
	EXTRA_NS_NAME="utcpt-$$-$RANDOM-${#EXTRA_NS[@]}"
	ip netns add "$EXTRA_NS_NAME" ||
		fail "cannot create network namespace $EXTRA_NS_NAME"
	EXTRA_NS+=("$EXTRA_NS_NAME")
	ip -n "$EXTRA_NS_NAME" link set lo up
	ip netns exec "$EXTRA_NS_NAME" sh -c '
		echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
		echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6' || true
}

# tap_gone TAP: true when the namespace has no link TAP.
tap_gone() {
	! ip -n "$NS" link show dev "$1" >/dev/null 2>&1
}

# daemon_alive: true while utcpd runs.
daemon_alive() {
	[[ -n $DAEMON_PID ]] && kill -0 "$DAEMON_PID" 2>/dev/null
}

# config_busy_poll US: $CONF's [daemon] busy_poll_us set to US (any
# value it had replaced).
config_busy_poll() {
	sed -i -e '/^busy_poll_us = /d' \
		-e "/^\[daemon\]/a busy_poll_us = $1" "$CONF"
}

# write_config NAME TAP NET [EXTRA_INTERFACE_LINES...]: writes $CONF for
# a daemon called NAME with TAP at $NET.2/24 and a MAC derived from the
# third octet of NET.
write_config() {
	local name=$1 tap=$2 net=$3
	shift 3
	TAP=$tap
	KERNEL_IP=$net.1
	DAEMON_IP=$net.2
	DAEMON_MAC=$(printf '02:00:00:77:%02x:02' "${net##*.}")
	SOCK=$TMP/utcpd.sock
	CONF=$TMP/utcpd.conf
	LOG=$TMP/utcpd.log
	{
		printf '[daemon]\nname = %s\nsocket = %s\n\n' "$name" "$SOCK"
		printf '[interface %s]\n' "$tap"
		printf 'mac = %s\nmtu = 1500\ndhcp = no\n' "$DAEMON_MAC"
		printf 'address = %s/24\ngateway = %s\n' "$DAEMON_IP" "$KERNEL_IP"
		local line
		for line in "$@"; do
			printf '%s\n' "$line"
		done
	} >"$CONF"
}

# daemon_ready: utcpctl answers and the TAP exists.
daemon_ready() {
	"$UTCPCTL" -S "$SOCK" status >/dev/null 2>&1 &&
		ip -n "$NS" link show dev "$TAP" >/dev/null 2>&1
}

# start_daemon NAME TAP NET [EXTRA_ARGS...]: makes the namespace (once),
# writes the configuration, starts utcpd in the namespace with its
# stderr in $LOG, waits until it is ready, and gives the kernel's side
# of the TAP $NET.1/24. EXTRA_ARGS go to utcpd's command line.
start_daemon() {
	local name=$1 tap=$2 net=$3
	shift 3
	[[ -n $NS ]] || make_namespace
	write_config "$name" "$tap" "$net"
	start_daemon_with_config "$@"
}

# start_daemon_with_config [EXTRA_ARGS...]: starts utcpd on $CONF (from
# write_config) and waits as start_daemon does.
start_daemon_with_config() {
	say "starting utcpd on $TAP ($DAEMON_IP, $DAEMON_MAC) in $NS"
	ip netns exec "$NS" "$UTCPD" -c "$CONF" "$@" 2>"$LOG" &
	DAEMON_PID=$!
	local i
	for ((i = 0; i < 200; i++)); do
		daemon_alive || fail "utcpd exited during start-up"
		daemon_ready && break
		sleep 0.05
	done
	daemon_ready || fail "utcpd not ready after 10 s (no status or no $TAP)"
	ip -n "$NS" addr replace "$KERNEL_IP/24" dev "$TAP"
	ip -n "$NS" link set "$TAP" up
	wait_for ip -n "$NS" route get "$DAEMON_IP" ||
		fail "no kernel route to $DAEMON_IP"
}

# stop_daemon [SIGNAL]: signals utcpd (TERM by default), waits up to
# 10 s for it to exit and returns its exit status (1 when it did not).
stop_daemon() {
	local sig=${1:-TERM} status=0 i
	[[ -n $DAEMON_PID ]] || return 0
	kill -s "$sig" "$DAEMON_PID" 2>/dev/null || true
	for ((i = 0; i < 200; i++)); do
		daemon_alive || break
		sleep 0.05
	done
	if daemon_alive; then
		printf '%s: utcpd did not exit within 10 s of SIG%s\n' \
			"$TEST_NAME" "$sig" >&2
		kill -s KILL "$DAEMON_PID" 2>/dev/null || true
		wait "$DAEMON_PID" 2>/dev/null || true
		DAEMON_PID=""
		return 1
	fi
	wait "$DAEMON_PID" || status=$?
	DAEMON_PID=""
	return "$status"
}

# start_bg PROGRAM ARGS...: runs PROGRAM (a program, not a shell
# function, so that the PID is its own) in the background and remembers
# it, so that the EXIT trap stops it. The PID is in $BG_PID. It reads
# the caller's standard input (bash would give it /dev/null otherwise).
start_bg() {
	"$@" <&0 &
	BG_PID=$!
	STARTED_PIDS+=("$BG_PID")
}

# start_ns_bg PROGRAM ARGS...: start_bg in the test's namespace.
start_ns_bg() {
	start_bg ip netns exec "$NS" "$@"
}

# stop_bg PID: stops a background helper (TERM, then KILL after 2 s).
stop_bg() {
	local pid=$1 i
	kill "$pid" 2>/dev/null || true
	for ((i = 0; i < 40; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -s KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# status_json: prints `utcpctl status -a --json` (everything).
status_json() {
	"$UTCPCTL" -S "$SOCK" status -a --json
}

# counter NAME: prints the value of the stack counter NAME; fails the
# test when the daemon does not report it.
counter() {
	local json value
	json=$(status_json) || fail "utcpctl status -a --json failed"
	value=$("$PYTHON" -c '
import json, sys
text = sys.stdin.read()
try:
    print(int(json.loads(text)["counters"][sys.argv[1]]))
except (ValueError, KeyError, TypeError) as e:
    sys.exit(f"utcpctl status -a --json: {e!r}: {text[:200]!r}")' "$1" <<<"$json") ||
		fail "no counter $1 in utcpctl status -a --json"
	printf '%s\n' "$value"
}

# socket_bound PORT: true when a utcpd socket is bound to local port PORT.
socket_bound() {
	status_json | "$PYTHON" -c '
import json, sys
port = sys.argv[1]
status = json.load(sys.stdin)
sys.exit(0 if any(s["local"].rsplit(":", 1)[-1] == port
                  for s in status["sockets"]) else 1)' "$1"
}

# kernel_udp_bound PORT: true when a kernel socket in the namespace is
# bound to UDP port PORT.
kernel_udp_bound() {
	[[ -n $(nsx ss -Hnul "sport = :$1") ]]
}

# file_size FILE: prints its size in bytes (0 when it does not exist).
file_size() {
	if [[ -e $1 ]]; then
		stat -c %s "$1"
	else
		echo 0
	fi
}

# file_has_size FILE SIZE: true when FILE is SIZE bytes long.
file_has_size() {
	[[ $(file_size "$1") -eq $2 ]]
}

# random_file FILE BYTES: fills FILE with BYTES random bytes.
random_file() {
	head -c "$2" /dev/urandom >"$1"
}

# nginx_config DIR PORT WORKERS CONNECTIONS [LOG_LEVEL]: writes
# DIR/nginx.conf for a master and WORKERS workers (CONNECTIONS each)
# serving DIR/www on PORT, its pid file, temporary files and error log
# (LOG_LEVEL, default info) in DIR, no access log.
nginx_config() {
	local d=$1 port=$2 workers=$3 conns=$4 level=${5:-info}
	cat >"$d/nginx.conf" <<-EOF
		daemon off;
		master_process on;
		worker_processes $workers;
		user root;
		pid $d/nginx.pid;
		error_log $d/error.log $level;
		events {
		    worker_connections $conns;
		}
		http {
		    access_log off;
		    client_body_temp_path $d/body;
		    proxy_temp_path $d/proxy;
		    fastcgi_temp_path $d/fastcgi;
		    uwsgi_temp_path $d/uwsgi;
		    scgi_temp_path $d/scgi;
		    server {
		        listen $port;
		        root $d/www;
		    }
		}
	EOF
}

# sha FILE: prints FILE's SHA-256.
sha() {
	sha256sum "$1" | cut -d' ' -f1
}

# drop_namespaces: kills whatever still runs in the test's namespaces
# (it is ours) and deletes them, with their persistent TAPs; then
# forgets them, so that a second call does nothing.
drop_namespaces() {
	local ns pid tap
	if [[ -n $NS ]]; then
		for pid in $(ip netns pids "$NS" 2>/dev/null); do
			kill -s KILL "$pid" 2>/dev/null || true
		done
		for tap in "${PERSISTENT_TAPS[@]}"; do
			ip -n "$NS" link del "$tap" 2>/dev/null || true
		done
		ip netns del "$NS" 2>/dev/null ||
			printf '%s: cannot delete namespace %s\n' "$TEST_NAME" "$NS" >&2
		NS=""
	fi
	for ns in "${EXTRA_NS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -s KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null ||
			printf '%s: cannot delete namespace %s\n' "$TEST_NAME" "$ns" >&2
	done
	EXTRA_NS=()
}

cleanup() {
	local status=$? pid daemon_status=0
	trap - EXIT INT TERM
	# A test that did not reach pass or skip failed, whatever $? says.
	if ((status == 0 && TEST_STATUS != 0)); then
		status=1
	fi
	for pid in "${STARTED_PIDS[@]}"; do
		stop_bg "$pid"
	done
	if [[ -n $DAEMON_PID ]]; then
		stop_daemon TERM || daemon_status=$?
		if ((daemon_status != 0)); then
			printf '%s: FAIL: utcpd exited with status %d on SIGTERM\n' \
				"$TEST_NAME" "$daemon_status" >&2
			((status != 0 && status != 77)) || status=1
		fi
	fi
	drop_namespaces
	if ((status != 0 && status != 77)) && [[ -n $LOG && -s $LOG ]]; then
		printf '%s: ---- utcpd log (%s) ----\n' "$TEST_NAME" "$LOG" >&2
		tail -n 60 "$LOG" >&2
		printf '%s: ---- end of log ----\n' "$TEST_NAME" >&2
	fi
	rm -rf "$TMP"
	exit "$status"
}

# A command that fails outside a condition ends the test (set -e); say
# which, since it printed nothing that fail() would have.
on_error() {
	printf '%s: FAIL: line %s: "%s" exited with status %s\n' \
		"$TEST_NAME" "$1" "$2" "$3" >&2
}

set -o errtrace
trap 'on_error "$LINENO" "$BASH_COMMAND" "$?"' ERR
trap cleanup EXIT
# Killed from outside (meson's timeout sends TERM to the test's process
# group and KILL half a second later): the namespaces go first, before
# cleanup's slower stops, so that none outlives the test.
trap 'drop_namespaces; exit 1' INT TERM
