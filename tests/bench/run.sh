#!/bin/bash
# run.sh - utcpd's benchmark: each figure beside the kernel's own
#
#     sudo tests/bench/run.sh [BUILD_DIR]      # by hand (default: build)
#     meson test -C BUILD --benchmark          # as root, through meson
#
# Prints figures and a final table; it never fails because something is
# slow. It fails (status 1) only when a measurement could not be made at
# all, and skips (77) without root, /dev/net/tun or iproute2.
#
# The network (see README.md): one namespace NS, made by lib.sh, where
# utcpd runs on its TAP ($DAEMON_IP; the kernel's side is $KERNEL_IP)
# and where every kernel peer runs; a second namespace NSB joined to NS
# by two veth pairs, where the application side of the kernel-to-kernel
# baseline runs. So a utcpd figure and its baseline share the kernel
# peer, its program and its namespace; only the application's stack
# differs (utcpd across the TAP, or the kernel across a veth).
#   vk0/vk1  10.78.1.0/24  veth as created, with TSO/GSO: 64 KiB segments
#   vm0/vm1  10.78.2.0/24  TSO and GSO off (offload.py): plain MTU frames,
#                          as utcpd sends and receives on its TAP
# Nothing leaves the two namespaces; both go at exit, with every process.
#
# Tunables (environment): BENCH_SECONDS (bulk, default 5),
# BENCH_RATE_SECONDS (connect rates, 3), BENCH_RR_COUNT (round trips,
# 20000), BENCH_IDLE (idle connections, 10000), BENCH_PERF=1 (profile the
# daemon with perf during the utcpd bulk runs and print the top symbols).

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -z ${UTCPD:-} ]]; then
	B=$(cd "${1:-$HERE/../../build}" && pwd) ||
		{ echo "run.sh: no build directory ${1:-build}" >&2; exit 1; }
	export UTCPD=$B/daemon/utcpd UTCPCTL=$B/client-lib/utcpctl \
		UTCP_NC=$B/client-lib/utcp-nc UTCP_BENCH=$B/tests/bench/utcp-bench
fi
: "${UTCP_BENCH:?UTCP_BENCH must name the utcp-bench binary}"

# shellcheck source=../integration/lib.sh
source "$HERE/../integration/lib.sh"
TEST_NAME=bench

SECONDS_BULK=${BENCH_SECONDS:-5}
SECONDS_RATE=${BENCH_RATE_SECONDS:-3}
RR_COUNT=${BENCH_RR_COUNT:-20000}
IDLE_N=${BENCH_IDLE:-10000}
NSB=""          # the baseline's application namespace
VK_NS=10.78.1.1 # NS's end of vk (GSO)
VK_B=10.78.1.2  # NSB's end of vk
VM_NS=10.78.2.1 # NS's end of vm (MTU frames)
VM_B=10.78.2.2  # NSB's end of vm

# lib.sh's cleanup, run after the baseline namespace is gone.
eval "lib_$(declare -f cleanup)"
bench_cleanup() {
	local status=$? pid
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

setup() {
	require_root
	[[ -x $UTCP_BENCH ]] || fail "no $UTCP_BENCH (build first)"
	# 10,000 connections are 10,000 descriptors in each process and
	# in the daemon (which raises its soft limit to this hard one).
	ulimit -Hn 65536 2>/dev/null || true
	ulimit -n "$(ulimit -Hn)"

	start_daemon bench tb0 10.77.0
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

# ---- 1. bulk throughput ---------------------------------------------------

perf_start() {
	PERF_PID=""
	[[ ${BENCH_PERF:-0} == 1 ]] && command -v perf >/dev/null || return 0
	perf record -q -g -p "$DAEMON_PID" -o "$TMP/perf-$1.data" \
		-- sleep "$((SECONDS_BULK - 1))" >/dev/null 2>&1 &
	PERF_PID=$!
}

perf_report() {
	[[ -n $PERF_PID ]] || return 0
	wait "$PERF_PID" 2>/dev/null || true
	say "perf: where utcpd spends its time ($1), top symbols (self):"
	perf report -i "$TMP/perf-$1.data" --stdio --no-children \
		--sort symbol -g none 2>/dev/null |
		grep -E '^ +[0-9]' | head -n 25 || true
}

# link_stat DEV COUNTER: NS's statistic COUNTER (tx_bytes ...) of DEV.
link_stat() {
	nsx cat "/sys/class/net/$1/statistics/$2"
}

# bulk KEY SINK_WHERE SINK_STACK SOURCE_WHERE SOURCE_STACK HOST DEV DIR:
# a sink listening on 5201 in one place, a source in the other;
# R[KEY] = Gbit/s at the sink. DEV is NS's link the data crosses and
# DIR its direction there (tx, rx), for the mean frame size.
bulk() {
	local key=$1 sink_where=$2 sink_mode=$3 src_where=$4 src_mode=$5 host=$6
	local dev=$7 dir=$8 bytes0 pkts0 bytes1 pkts1
	local k_sink=() k_src=()
	[[ $sink_mode == kernel ]] && k_sink=(-k)
	[[ $src_mode == kernel ]] && k_src=(-k)
	run_bg "$key-sink" "$sink_where" "${k_sink[@]}" sink 5201
	local sink=$BG_PID
	wait_listening "$key-sink"
	[[ $key == *utcpd* ]] && perf_start "$key"
	bytes0=$(link_stat "$dev" "${dir}_bytes")
	pkts0=$(link_stat "$dev" "${dir}_packets")
	run_fg "$key-source" "$src_where" $((SECONDS_BULK + 40)) \
		"${k_src[@]}" source "$host" 5201 "$SECONDS_BULK"
	finished "$sink" 10
	bytes1=$(link_stat "$dev" "${dir}_bytes")
	pkts1=$(link_stat "$dev" "${dir}_packets")
	say "$key: mean frame on $dev ($dir in $NS): $(((bytes1 - bytes0) / (pkts1 - pkts0 + 1))) bytes"
	[[ $key == *utcpd* ]] && perf_report "$key"
	R[$key]=$(result "$TMP/$key-sink.out" gbps)
	say "$key: sink $(grep '^RESULT' "$TMP/$key-sink.out" || cat "$TMP/$key-sink.err")"
	say "$key: source $(grep '^RESULT' "$TMP/$key-source.out" || cat "$TMP/$key-source.err")"
	[[ -n ${R[$key]} ]] || R[$key]="failed"
}

bench_bulk() {
	say "bulk throughput, ${SECONDS_BULK} s each"
	#    key            sink          source        host        link
	bulk k2a-utcpd      ns utcpd      ns kernel     "$DAEMON_IP" tb0 tx
	bulk a2k-utcpd      ns kernel     ns utcpd      "$KERNEL_IP" tb0 rx
	bulk k2a-kernel-mtu nsb kernel    ns kernel     "$VM_B"      vm0 tx
	bulk a2k-kernel-mtu ns kernel     nsb kernel    "$VM_NS"     vm0 rx
	bulk k2a-kernel-gso nsb kernel    ns kernel     "$VK_B"      vk0 tx
	bulk a2k-kernel-gso ns kernel     nsb kernel    "$VK_NS"     vk0 rx
}

# ---- 2. round trips -------------------------------------------------------

bench_rr() {
	say "round trips: $RR_COUNT of 1 byte, $((RR_COUNT / 2)) of 1 KiB"
	run_bg echo ns -k echo 5301
	local echo_pid=$BG_PID
	wait_listening echo
	local size count who where k host
	for size in 1 1024; do
		count=$RR_COUNT
		((size == 1)) || count=$((RR_COUNT / 2))
		for who in utcpd kernel; do
			if [[ $who == utcpd ]]; then
				where=ns k=() host=$KERNEL_IP
			else
				where=nsb k=(-k) host=$VM_NS
			fi
			run_fg "rr$size-$who" "$where" 60 "${k[@]}" rr "$host" 5301 \
				"$count" "$size"
			say "rr $size B $who: $(grep '^RESULT' "$TMP/rr$size-$who.out" || cat "$TMP/rr$size-$who.err")"
			R[rr$size-$who]="$(result "$TMP/rr$size-$who.out" mean_us) / $(result "$TMP/rr$size-$who.out" p50_us) / $(result "$TMP/rr$size-$who.out" p99_us)"
		done
	done
	stop_bg "$echo_pid"
}

# ---- 3. connection rates --------------------------------------------------

# rate KEY SERVER_WHERE SERVER_STACK CLIENT_WHERE CLIENT_STACK HOST
rate() {
	local key=$1 sw=$2 ss=$3 cw=$4 cs=$5 host=$6 ks=() kc=()
	[[ $ss == kernel ]] && ks=(-k)
	[[ $cs == kernel ]] && kc=(-k)
	run_bg "$key-server" "$sw" "${ks[@]}" accept-rate 5401 $((SECONDS_RATE + 30))
	local server=$BG_PID
	wait_listening "$key-server"
	run_fg "$key-client" "$cw" $((SECONDS_RATE + 30)) "${kc[@]}" \
		connect-rate "$host" 5401 "$SECONDS_RATE"
	finished "$server" 10
	say "$key: client $(grep '^RESULT' "$TMP/$key-client.out" || cat "$TMP/$key-client.err")"
	say "$key: server $(grep '^RESULT' "$TMP/$key-server.out" || cat "$TMP/$key-server.err")"
	R[$key]=$(result "$TMP/$key-client.out" per_s)
	R[$key-errors]=$(result "$TMP/$key-client.out" errors)
	R[$key-accepted]=$(result "$TMP/$key-server.out" per_s)
	[[ -n ${R[$key]} ]] || R[$key]="failed"
}

bench_rates() {
	say "connection rates: connect + close, one at a time, ${SECONDS_RATE} s each"
	rate accept-utcpd ns utcpd ns kernel "$DAEMON_IP" # utcpd accepts
	rate open-utcpd ns kernel ns utcpd "$KERNEL_IP"   # utcpd opens
	rate conn-kernel ns kernel nsb kernel "$VM_NS"     # kernel to kernel
}

# ---- 4. memory per idle connection ----------------------------------------

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

# idle KEY WHERE STACK HOST: N connections from WHERE (utcpd or
# kernel sockets) to a kernel `hold` in NS; memory before and after.
idle() {
	local key=$1 where=$2 stack=$3 host=$4 k=()
	[[ $stack == kernel ]] && k=(-k)
	run_bg "$key-hold" ns -k hold 5501
	local hold=$BG_PID
	wait_listening "$key-hold"
	local rss0 slab0 rss1 slab1
	sleep 1 # let the slab counters settle
	rss0=$(rss_kb "$DAEMON_PID")
	slab0=$(slab_kb)
	slabinfo_snap "$TMP/$key-slab0"
	run_bg "$key-idle" "$where" "${k[@]}" idle "$host" 5501 "$IDLE_N"
	local idle_pid=$BG_PID
	wait_for -t 120 grep -q '^RESULT' "$TMP/$key-idle.out" ||
		say "$key: idle did not finish in 120 s: $(tail -n 2 "$TMP/$key-idle.err")"
	rss1=$(rss_kb "$DAEMON_PID")
	slab1=$(slab_kb)
	slabinfo_snap "$TMP/$key-slab1"
	say "$key: $(grep '^RESULT' "$TMP/$key-idle.out" || cat "$TMP/$key-idle.err")"
	say "$key: daemon VmRSS $rss0 kB -> $rss1 kB; kernel Slab $slab0 kB -> $slab1 kB"
	say "$key: slab caches grown: $(slab_top "$TMP/$key-slab0" "$TMP/$key-slab1")"
	local ok
	ok=$(result "$TMP/$key-idle.out" open)
	R[$key-ok]=${ok:-0}
	R[$key-errors]=$(result "$TMP/$key-idle.out" errors)
	R[$key-closed]=$(result "$TMP/$key-idle.out" closed)
	if ((${ok:-0} > 0)); then
		R[$key-rss]=$(((rss1 - rss0) * 1024 / ok))
		R[$key-slab]=$(((slab1 - slab0) * 1024 / ok))
	else
		R[$key-rss]=failed R[$key-slab]=failed
	fi
	# The kernel closes first: TIME_WAIT ends up in the kernel, and
	# utcpd's table is left as it was.
	stop_wait "$hold"
	say "$key: hold $(grep '^RESULT' "$TMP/$key-hold.out" || cat "$TMP/$key-hold.err")"
	stop_wait "$idle_pid"
}

bench_idle() {
	say "memory: $IDLE_N idle connections to a kernel listener"
	idle idle-utcpd ns utcpd "$KERNEL_IP"
	idle idle-kernel nsb kernel "$VM_NS"
}

# ---- the table --------------------------------------------------------------

# v KEY: the figure R[KEY], or "-" when it was not measured.
v() {
	printf '%s' "${R[$1]:--}"
}

row() {
	printf '%-40s %18s %18s  %s\n' "$@"
}

table() {
	echo
	echo "utcpd benchmark: $(uname -r), $(nproc) CPUs; utcpd across a TAP vs kernel to kernel across a veth"
	row "figure" "utcpd" "kernel" "target / note"
	row "----------------------------------------" "------------------" "------------------" "-------------"
	row "bulk kernel -> app, Gbit/s" "$(v k2a-utcpd)" "$(v k2a-kernel-mtu)" ">= 1 (kernel with GSO: $(v k2a-kernel-gso))"
	row "bulk app -> kernel, Gbit/s" "$(v a2k-utcpd)" "$(v a2k-kernel-mtu)" ">= 1 (kernel with GSO: $(v a2k-kernel-gso))"
	row "round trip 1 B, us mean/p50/p99" "$(v rr1-utcpd)" "$(v rr1-kernel)" ""
	row "round trip 1 KiB, us mean/p50/p99" "$(v rr1024-utcpd)" "$(v rr1024-kernel)" ""
	row "accepted/s (kernel client -> listener)" "$(v accept-utcpd)" "$(v conn-kernel)" "errors: $(v accept-utcpd-errors) / $(v conn-kernel-errors)"
	row "opened/s (client -> kernel listener)" "$(v open-utcpd)" "$(v conn-kernel)" "errors: $(v open-utcpd-errors) / $(v conn-kernel-errors)"
	row "idle connections open (of $IDLE_N)" "$(v idle-utcpd-ok)" "$(v idle-kernel-ok)" "all, no errors (errors: $(v idle-utcpd-errors) / $(v idle-kernel-errors))"
	row "daemon RSS per idle connection, bytes" "$(v idle-utcpd-rss)" "-" "<= 1024"
	row "kernel slab per idle connection, bytes" "$(v idle-utcpd-slab)" "$(v idle-kernel-slab)" "utcpd: socketpair + kernel peer; kernel: both ends"
	echo
}

setup
# Memory first, on a fresh daemon: nothing else has touched its tables.
bench_idle
bench_bulk
bench_rr
bench_rates
table
TEST_STATUS=0
exit 0
