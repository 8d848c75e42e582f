# shellcheck shell=bash
# bench_lib.sh - sourced by the benchmarks that compare utcpd with the
# kernel (run.sh, memory.sh): the build's programs, the two namespaces
# and their veths (setup), utcp-bench in either, the figures table, and
# memory measures (README.md, "What it sets up").
#
# The sourcing script's first argument, when UTCPD is not set, is the
# build directory (default: build).

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -z ${UTCPD:-} ]]; then
	B=$(cd "${1:-$HERE/../../build}" && pwd) ||
		{ echo "$(basename "$0"): no build directory ${1:-build}" >&2; exit 1; }
	export UTCPD=$B/daemon/utcpd UTCPCTL=$B/client-lib/utcpctl \
		UTCP_NC=$B/client-lib/utcp-nc UTCP_BENCH=$B/tests/bench/utcp-bench \
		UTCP_RUN=$B/client-lib/utcp-run
fi
: "${UTCP_BENCH:?UTCP_BENCH must name the utcp-bench binary}"

# shellcheck source=../integration/lib.sh
source "$HERE/../integration/lib.sh"
TEST_NAME=bench

NSB=""          # the baseline's application namespace
VK_NS=10.78.1.1 # NS's end of vk (GSO)
VK_B=10.78.1.2  # NSB's end of vk
VM_NS=10.78.2.1 # NS's end of vm (MTU frames)
VM_B=10.78.2.2  # NSB's end of vm

# lib.sh's cleanup, run after the baseline namespace is gone.
eval "lib_$(declare -f cleanup)"
bench_cleanup() {
	local status=$? pid
	# errexit would end the script at "(exit 1)" below, before
	# lib_cleanup, leaving utcpd running and NS behind.
	set +e
	trap - ERR
	if [[ -n $NSB ]]; then
		for pid in $(ip netns pids "$NSB" 2>/dev/null); do
			kill -s KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$NSB" 2>/dev/null || true
	fi
	(exit "$status")
	lib_cleanup
}
trap bench_cleanup EXIT

nsbx() {
	ip netns exec "$NSB" "$@"
}

# ---- results ------------------------------------------------------------

declare -A R # figure name -> value (printed in the table)

# result FILE KEY: prints KEY's value from FILE's last RESULT line.
result() {
	grep '^RESULT ' "$1" 2>/dev/null | tail -n 1 | tr ' ' '\n' |
		sed -n "s/^$2=//p"
}

# run_bg NAME WHERE ARGS...: utcp-bench ARGS in the background, in namespace
# WHERE (ns, nsb), output in $TMP/NAME.out and .err. $BG_PID is its PID.
run_bg() {
	local name=$1 where=$2
	shift 2
	local n=$NS
	[[ $where == nsb ]] && n=$NSB
	start_bg ip netns exec "$n" "$UTCP_BENCH" -S "$SOCK" "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
}

# run_fg NAME WHERE TIMEOUT ARGS...: utcp-bench ARGS in the foreground,
# killed after TIMEOUT seconds; output in $TMP/NAME.out and .err.
run_fg() {
	local name=$1 where=$2 t=$3
	shift 3
	local n=$NS
	[[ $where == nsb ]] && n=$NSB
	timeout -k 2 "$t" ip netns exec "$n" "$UTCP_BENCH" -S "$SOCK" "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null || {
		say "$name: utcp-bench exited with $? ($(tail -n 1 "$TMP/$name.err"))"
		return 0
	}
}

listening() {
	grep -q '^LISTENING' "$1"
}

# wait_listening NAME: waits until the background NAME listens.
wait_listening() {
	wait_for -t 10 listening "$TMP/$1.out" ||
		fail "$1 is not listening: $(cat "$TMP/$1.err")"
}

# stop_wait PID: SIGTERM, then waits (at most 10 s) for it to finish.
stop_wait() {
	kill -s TERM "$1" 2>/dev/null || true
	wait_for -t 10 bash -c "! kill -0 $1 2>/dev/null" || true
	stop_bg "$1"
}

# finished PID: waits up to $2 seconds for a background PID to exit.
finished() {
	wait_for -t "$2" bash -c "! kill -0 $1 2>/dev/null" || true
	stop_bg "$1"
}

# ---- setup --------------------------------------------------------------

# setup [CONFIG_LINES...]: the namespaces, the veths and utcpd (with
# CONFIG_LINES added to its configuration: sections and keys).
setup() {
	require_root
	[[ -x $UTCP_BENCH ]] || fail "no $UTCP_BENCH (build first)"
	# 10,000 connections are 10,000 descriptors in each process and
	# in the daemon (which raises its soft limit to this hard one).
	ulimit -Hn 65536 2>/dev/null || true
	ulimit -n "$(ulimit -Hn)"

	make_namespace
	write_config bench tb0 10.77.0 "" "$@"
	# BENCH_BUSY_POLL_US: the daemon's [daemon] busy_poll_us (unset: off)
	if [[ -n ${BENCH_BUSY_POLL_US:-} ]]; then
		config_busy_poll "$BENCH_BUSY_POLL_US"
	fi
	start_daemon_with_config
	say "utcpd is PID $DAEMON_PID"
	NSB="utcpb-$$-$RANDOM"
	ip netns add "$NSB" || fail "cannot create namespace $NSB"
	ip -n "$NSB" link set lo up
	local n
	for n in "$NS" "$NSB"; do
		ip netns exec "$n" sh -c '
			echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6
			echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
			echo 65535 >/proc/sys/net/core/somaxconn
			echo 65535 >/proc/sys/net/ipv4/tcp_max_syn_backlog
			echo "1024 65535" >/proc/sys/net/ipv4/ip_local_port_range
			echo 1 >/proc/sys/net/ipv4/tcp_tw_reuse' 2>/dev/null || true
	done
	ip -n "$NS" link add vk0 type veth peer name vk1 netns "$NSB"
	ip -n "$NS" link add vm0 type veth peer name vm1 netns "$NSB"
	# (gso_max_segs 1 would do it too, but the kernel is pathological
	# that way: a quarter of a Gbit/s, and reordering.)
	nsx "$PYTHON" "$HERE/offload.py" vm0 tso=0 gso=0 >/dev/null ||
		fail "cannot turn offloads off on vm0"
	nsbx "$PYTHON" "$HERE/offload.py" vm1 tso=0 gso=0 >/dev/null ||
		fail "cannot turn offloads off on vm1"
	ip -n "$NS" addr add "$VK_NS/24" dev vk0
	ip -n "$NS" addr add "$VM_NS/24" dev vm0
	ip -n "$NSB" addr add "$VK_B/24" dev vk1
	ip -n "$NSB" addr add "$VM_B/24" dev vm1
	for n in vk0 vm0; do ip -n "$NS" link set "$n" mtu 1500 up; done
	for n in vk1 vm1; do ip -n "$NSB" link set "$n" mtu 1500 up; done
	wait_for nsbx ping -c 1 -W 1 "$VM_NS" || fail "veth $VM_B -> $VM_NS"
	wait_for nsbx ping -c 1 -W 1 "$VK_NS" || fail "veth $VK_B -> $VK_NS"
	wait_for nsx ping -c 1 -W 1 "$DAEMON_IP" || fail "TAP -> $DAEMON_IP"
	say "$(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
}

# ---- memory measures ------------------------------------------------------

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# Kernel slab memory (kB), the whole machine: noisy, but 10,000
# connections stand well above the noise.
slab_kb() {
	awk '/^Slab:/ { print $2 }' /proc/meminfo
}

slabinfo_snap() {
	[[ -r /proc/slabinfo ]] || return 0
	awk 'NR > 2 { print $1, $3 * $4 }' /proc/slabinfo | sort >"$1"
}

# slab_names CACHE: CACHE and the caches merged with it (slabinfo shows
# one name for them all: UNIX sockets appear as signal_cache, say).
slab_names() {
	local target names
	target=$(readlink "/sys/kernel/slab/$1" 2>/dev/null) || {
		printf '%s' "$1"
		return 0
	}
	names=$(find /sys/kernel/slab -maxdepth 1 -lname "$target" -printf '%f\n' |
		grep -v '^:' | sort | tr '\n' '=' | sed 's/=$//')
	printf '%s' "${names:-$1}"
}

# slab_top BEFORE AFTER: the caches that grew most, in kB.
slab_top() {
	[[ -s $1 && -s $2 ]] || return 0
	local name kb out=()
	while read -r name kb; do
		out+=("$(slab_names "$name") +$kb kB")
	done < <(join "$1" "$2" |
		awk '{ d = int(($3 - $2) / 1024); if (d > 64) print $1, d }' |
		sort -k2 -rn | head -n 8)
	local IFS=,
	printf '%s' "${out[*]}" | sed 's/,/, /g'
}

# skmem_b NS FAMILY: the socket memory (ss -m: receive, send and send
# queue allocations, r + t + w) of every FAMILY (x: UNIX, t: TCP)
# socket in namespace NS, in bytes.
skmem_b() {
	ip netns exec "$1" ss -Hm"$2" | awk '
		match($0, /skmem:\([^)]*\)/) {
			n = split(substr($0, RSTART + 7, RLENGTH - 8), f, ",")
			for (i = 1; i <= n; i++)
				if (f[i] ~ /^[rtw][0-9]/) sum += substr(f[i], 2)
		}
		END { print sum + 0 }'
}

# daemon_pool: the daemon's packet pool in use "SMALL LARGE" and the
# bytes its connections queue to send.
daemon_pool() {
	status_json | "$PYTHON" -c '
import json, sys
st = json.load(sys.stdin)
p = st["pool"]
q = sum(s.get("send_queue", 0) for s in st["sockets"]
        if s.get("protocol") == "tcp" and not s["listener"])
print("pool in use %d small, %d large; %d bytes queued to send"
      % (p["small_in_use"], p["large_in_use"], q))'
}

# held KEY WHERE STACK HOST N PEER [BYTES]: N connections from WHERE
# (ns: utcpd's libutcp, nsb: kernel sockets) to a kernel PEER in NS, on
# port 5501, held open; the daemon's resident set, the kernel's slab and
# the application sockets' memory (utcpd: the socketpairs' ends in NS;
# kernel: its TCP sockets in NSB) before and after. PEER:
#   hold   accepts and holds them (utcp-bench -k hold): idle connections;
#   offer  sends BYTES on each (tcp_churn_peer.py offer), which the
#          application never reads: data queued towards the application;
#   sink   never reads (tcp_churn_peer.py sink, 4 KiB receive buffers)
#          while the application writes BYTES on each: data queued to
#          send.
# Sets R[KEY-ok], -errors, -closed, -rss, -slab and -skmem (bytes per
# connection). The connections stay until held_stop.
held() {
	local key=$1 where=$2 stack=$3 host=$4 n=$5 peer=$6 bytes=${7:-0} k=()
	local peer_py=$HERE/../integration/tcp_churn_peer.py sk=t skns=$NSB
	[[ $stack == kernel ]] && k=(-k)
	[[ $stack == utcpd ]] && sk=x skns=$NS
	case $peer in
	hold)
		run_bg "$key-peer" ns -k hold 5501
		wait_listening "$key-peer"
		;;
	offer | sink)
		local args=("$peer" 0.0.0.0 5501)
		[[ $peer == offer ]] && args+=("$bytes")
		start_ns_bg "$PYTHON" "$peer_py" "${args[@]}" \
			>"$TMP/$key-peer.out" 2>"$TMP/$key-peer.err" </dev/null
		wait_for grep -q listening "$TMP/$key-peer.out" ||
			fail "$key: the kernel's $peer is not listening: $(cat "$TMP/$key-peer.err")"
		;;
	esac
	HELD_PEER=$BG_PID
	[[ $peer == sink ]] || bytes=0 # the application writes only to a sink
	local rss0 slab0 sk0 rss1 slab1 sk1
	sleep 1 # let the slab counters settle
	rss0=$(rss_kb "$DAEMON_PID")
	slab0=$(slab_kb)
	sk0=$(skmem_b "$skns" "$sk")
	slabinfo_snap "$TMP/$key-slab0"
	run_bg "$key-idle" "$where" "${k[@]}" idle "$host" 5501 "$n" "$bytes"
	HELD_APP=$BG_PID
	wait_for -t 300 grep -q '^RESULT' "$TMP/$key-idle.out" ||
		say "$key: idle did not finish in 300 s: $(tail -n 2 "$TMP/$key-idle.err")"
	# Data in flight lands: until the daemon's resident set and the
	# sockets' memory stay the same for a second (at most a minute).
	local i prev=""
	for ((i = 0; i < 60; i++)); do
		sleep 1
		rss1=$(rss_kb "$DAEMON_PID")
		sk1=$(skmem_b "$skns" "$sk")
		[[ $prev == "$rss1 $sk1" ]] && break
		prev="$rss1 $sk1"
	done
	slab1=$(slab_kb)
	slabinfo_snap "$TMP/$key-slab1"
	say "$key: $(grep '^RESULT' "$TMP/$key-idle.out" || cat "$TMP/$key-idle.err")"
	say "$key: daemon VmRSS $rss0 kB -> $rss1 kB; kernel Slab $slab0 kB -> $slab1 kB;" \
		"application sockets' memory $sk0 -> $sk1 bytes"
	[[ $stack == utcpd ]] && say "$key: daemon $(daemon_pool)"
	say "$key: slab caches grown: $(slab_top "$TMP/$key-slab0" "$TMP/$key-slab1")"
	local ok
	ok=$(result "$TMP/$key-idle.out" open)
	R[$key-ok]=${ok:-0}
	R[$key-errors]=$(result "$TMP/$key-idle.out" errors)
	R[$key-closed]=$(result "$TMP/$key-idle.out" closed)
	if ((${ok:-0} > 0)); then
		R[$key-rss]=$(((rss1 - rss0) * 1024 / ok))
		R[$key-slab]=$(((slab1 - slab0) * 1024 / ok))
		R[$key-skmem]=$(((sk1 - sk0) / ok))
	else
		R[$key-rss]=failed R[$key-slab]=failed R[$key-skmem]=failed
	fi
}

# held_stop: the kernel peer of held goes first (TIME_WAIT ends up in
# the kernel, and utcpd's table is left as it was), then the
# application.
held_stop() {
	stop_wait "$HELD_PEER"
	stop_wait "$HELD_APP"
}

# ---- the table --------------------------------------------------------------

# v KEY: the figure R[KEY], or "-" when it was not measured.
v() {
	printf '%s' "${R[$1]:--}"
}

row() {
	printf '%-40s %18s %18s  %s\n' "$@"
}
