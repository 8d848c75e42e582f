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
# daemon with perf during the utcpd bulk runs and print the top symbols),
# BENCH_APP_SECONDS (each iperf3 and wrk run of the applications, 5),
# BENCH_RCVBUF_MAX (utcpd's [tcp] rcvbuf_max: auto-tuning; unset: the
# default, 4 MiB; 0: off), BENCH_BUSY_POLL_US (the daemon's [daemon]
# busy_poll_us for the whole run; unset: off, and the busy-polling lines
# below use BENCH_BUSY_LINES_US, default 200; 0: no such lines).
# After the round trips, a run of its own counts what one costs: frames
# on the TAP each way and (with perf) the daemon's system calls.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench_lib.sh
source "$HERE/bench_lib.sh"

SECONDS_BULK=${BENCH_SECONDS:-5}
SECONDS_RATE=${BENCH_RATE_SECONDS:-3}
RR_COUNT=${BENCH_RR_COUNT:-20000}
IDLE_N=${BENCH_IDLE:-10000}
SECONDS_APP=${BENCH_APP_SECONDS:-5}

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
	rr_counts
	stop_bg "$echo_pid"
}

# per_trip COUNT TRIPS: COUNT / TRIPS with two decimals.
per_trip() {
	awk -v c="$1" -v n="$2" 'BEGIN { printf "%.2f", c / n }'
}

# rr_counts: what one 1-byte round trip costs utcpd, counted rather than
# timed (so load does not move it): frames utcpd sent and received on
# its TAP (the kernel side's rx and tx counters) and the daemon's system
# calls (perf stat's raw_syscalls:sys_enter, when perf can count them),
# over a run of its own (RR_COUNT / 4 trips, and utcp-bench's 100
# warm-up trips, the connect and the close) so that counting does not
# slow the timed runs; and the frames of the kernel application, the
# same way. R[rr1-frames], R[rr1-kframes] ("out / in"), R[rr1-syscalls].
rr_counts() {
	local n=$((RR_COUNT / 4)) trips out0 in0 out1 in1 perf_pid=""
	((n >= 1000)) || n=1000
	trips=$((n + 100))
	out0=$(link_stat "$TAP" rx_packets)
	in0=$(link_stat "$TAP" tx_packets)
	local ctl ack line calls
	if command -v perf >/dev/null && mkfifo "$TMP/perf-ctl" "$TMP/perf-ack"; then
		# perf starts disabled and says "ack" once it counts, so the
		# count starts with the run whenever perf has attached.
		perf stat -x, -D -1 --control "fifo:$TMP/perf-ctl,$TMP/perf-ack" \
			-e raw_syscalls:sys_enter -p "$DAEMON_PID" \
			-o "$TMP/rr-perf.csv" >/dev/null 2>&1 &
		perf_pid=$!
		# read-write opens of the FIFOs do not block should perf fail
		exec {ctl}<>"$TMP/perf-ctl" {ack}<>"$TMP/perf-ack"
		echo enable >&"$ctl"
		if ! read -r -t 10 -u "$ack" line || [[ $line != ack* ]]; then
			kill -s KILL "$perf_pid" 2>/dev/null || true
			wait "$perf_pid" 2>/dev/null || true
			perf_pid=""
			say "rr 1 B utcpd: perf cannot count the daemon's system calls"
		fi
	fi
	run_fg rr1-count ns 120 rr "$KERNEL_IP" 5301 "$n" 1
	out1=$(link_stat "$TAP" rx_packets)
	in1=$(link_stat "$TAP" tx_packets)
	if [[ -n $perf_pid ]]; then
		kill -s INT "$perf_pid" 2>/dev/null || true
		wait "$perf_pid" 2>/dev/null || true
		calls=$(awk -F, '/raw_syscalls:sys_enter/ && $1 ~ /^[0-9]+$/ { print $1 }' \
			"$TMP/rr-perf.csv" 2>/dev/null)
		[[ -n $calls ]] && R[rr1-syscalls]=$(per_trip "$calls" "$trips")
	fi
	[[ -n ${ctl:-} ]] && exec {ctl}>&- {ack}>&-
	R[rr1-frames]="$(per_trip $((out1 - out0)) "$trips") / $(per_trip $((in1 - in0)) "$trips")"
	say "rr 1 B utcpd, counted over $trips trips: $(v rr1-frames) frames out / in, $(v rr1-syscalls) daemon system calls per round trip"
	# The same for the kernel application across vm (NSB's frames out
	# are vm0's rx in NS).
	out0=$(link_stat vm0 rx_packets)
	in0=$(link_stat vm0 tx_packets)
	run_fg rr1-kcount nsb 120 -k rr "$VM_NS" 5301 "$n" 1
	out1=$(link_stat vm0 rx_packets)
	in1=$(link_stat vm0 tx_packets)
	R[rr1-kframes]="$(per_trip $((out1 - out0)) "$trips") / $(per_trip $((in1 - in0)) "$trips")"
	say "rr 1 B kernel, counted over $trips trips: $(v rr1-kframes) frames out / in per round trip"
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

# ---- 3b. the same with busy-polling --------------------------------------

# bench_busy: the 1-byte round trip and the connection rates again, with
# the daemon reloaded to busy-poll for BENCH_BUSY_LINES_US (its
# [daemon] busy_poll_us), each beside a kernel figure taken just after
# it; then reloaded back to off. Whether busy-polling pays depends on a
# spare core (README.md, "Busy-polling, session 14"), so both are in
# every run.
bench_busy() {
	BUSY_US=${BENCH_BUSY_LINES_US:-200}
	[[ -z ${BENCH_BUSY_POLL_US:-} && $BUSY_US != 0 ]] || return 0
	if ! busy_reload "$BUSY_US"; then
		busy_off # the file says US now, and a late reload would apply it
		return 0
	fi
	say "busy-polling: the daemon polls for $BUSY_US us after its last work"
	run_bg echo ns -k echo 5301
	local echo_pid=$BG_PID
	wait_listening echo
	run_fg rr1-busy-utcpd ns 60 rr "$KERNEL_IP" 5301 "$RR_COUNT" 1
	run_fg rr1-busy-kernel nsb 60 -k rr "$VM_NS" 5301 "$RR_COUNT" 1
	stop_bg "$echo_pid"
	local who f
	for who in utcpd kernel; do
		f=$TMP/rr1-busy-$who.out
		say "rr 1 B $who (busy-polling line): $(grep '^RESULT' "$f" || cat "${f%.out}.err")"
		R[rr1-busy-$who]="$(result "$f" mean_us) / $(result "$f" p50_us) / $(result "$f" p99_us)"
	done
	rate accept-busy-utcpd ns utcpd ns kernel "$DAEMON_IP"
	rate open-busy-utcpd ns kernel ns utcpd "$KERNEL_IP"
	rate conn-busy-kernel ns kernel nsb kernel "$VM_NS"
	busy_off
}

# busy_off: busy-polling off again (the file and the daemon), by a
# reload; when that is not seen to apply, the figures that follow (the
# applications) may have been taken busy-polling, and the table says so
# (R[busy-left-on]).
busy_off() {
	busy_reload 0 && return 0
	R[busy-left-on]="may be on"
	say "busy-polling: not seen turned off: the figures after it may be with busy-polling"
}

# busy_reload US: the daemon's busy_poll_us set to US by a reload
# (SIGHUP), waiting for its log to say it applied.
busy_reload() {
	local n
	config_busy_poll "$1"
	n=$(grep -c 'reload: \[daemon\] busy_poll_us applied' "$LOG" || true)
	kill -s HUP "$DAEMON_PID"
	if ! wait_for -t 10 bash -c \
		"(( \$(grep -c 'reload: \[daemon\] busy_poll_us applied' '$LOG') > $n ))"; then
		say "busy-polling: the reload to $1 us did not apply"
		return 1
	fi
}

# ---- 4. memory per idle connection ----------------------------------------

bench_idle() {
	say "memory: $IDLE_N idle connections to a kernel listener"
	held idle-utcpd ns utcpd "$KERNEL_IP" "$IDLE_N" hold
	held_stop
	held idle-kernel nsb kernel "$VM_NS" "$IDLE_N" hold
	held_stop
}

# ---- 5. unmodified applications: iperf3, nginx with wrk -------------------

# kernel_listening PORT: a kernel TCP listener on PORT in NS.
kernel_listening() {
	[[ -n $(nsx ss -Hntl "sport = :$1") ]]
}

# The applications' servers listen on ports below 1024: the namespaces'
# local port range is 1024-65535 (setup), and after the rate runs one of
# their ports may be a closed client connection's in TIME_WAIT, which
# makes a listener's bind() fail (EADDRINUSE) even with SO_REUSEADDR.
IPERF_PORT=520
NGINX_PORT=80

# iperf KEY WHERE RUN HOST [-R]: an iperf3 client for SECONDS_APP in
# namespace WHERE (ns, nsb) against the kernel's iperf3 -s in NS at
# HOST, under RUN (utcp-run, or "" for none); R[KEY] = the receiver's
# Gbit/s (-R: the server sends and the client receives).
iperf() {
	local key=$1 where=$2 run=$3 host=$4 dir=${5:-} n=$NS pre=()
	[[ $where == nsb ]] && n=$NSB
	[[ $run == utcp-run ]] && pre=("$UTCP_RUN" -S "$SOCK" --)
	timeout -k 2 $((SECONDS_APP + 30)) ip netns exec "$n" "${pre[@]}" \
		iperf3 -c "$host" -4 -p "$IPERF_PORT" -t "$SECONDS_APP" $dir --json \
		>"$TMP/$key.json" 2>"$TMP/$key.err" </dev/null || true
	R[$key]=$("$PYTHON" -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit("no JSON from iperf3")
if "error" in d:
    sys.exit("iperf3: " + d["error"])
print("%.3f" % (d["end"]["sum_received"]["bits_per_second"] / 1e9))' \
		"$TMP/$key.json" 2>"$TMP/$key.why") || true
	say "$key: ${R[$key]:-failed} Gbit/s $(cat "$TMP/$key.why" "$TMP/$key.err" 2>/dev/null | head -n 2 | tr '\n' ' ')"
	[[ -n ${R[$key]} ]] || R[$key]=failed
}

# nginx_conf DIR PORT: writes DIR/nginx.conf: a master and 2 workers
# (one a CPU) serving DIR/www on PORT, its log and pid file in DIR.
nginx_conf() {
	local d=$1 port=$2
	mkdir -p "$d/www"
	printf 'small\n' >"$d/www/small"
	nginx_config "$d" "$port" 2 1024 error
}

# wrk_run KEY HOST PORT: kernel wrk in NS against nginx at HOST:PORT for
# SECONDS_APP (2 threads, 32 keep-alive connections, a 6-byte file);
# R[KEY] = requests/s, R[KEY-errors] = socket errors and error statuses.
wrk_run() {
	local key=$1 host=$2 port=$3
	cat >"$TMP/wrk.lua" <<-'EOF'
		function done(summary, latency, requests)
		    local e = summary.errors
		    io.write(string.format("RESULT requests=%d per_s=%.0f errors=%d\n",
		        summary.requests, summary.requests / (summary.duration / 1e6),
		        e.connect + e.read + e.write + e.timeout + e.status))
		end
	EOF
	timeout -k 2 $((SECONDS_APP + 30)) ip netns exec "$NS" wrk -t 2 -c 32 \
		-d "${SECONDS_APP}s" -s "$TMP/wrk.lua" "http://$host:$port/small" \
		>"$TMP/$key.out" 2>&1 </dev/null || true
	say "$key: $(sed -n '/^RESULT\|Socket errors\|Non-2xx/p' "$TMP/$key.out" | tr '\n' ' ')"
	R[$key]=$(result "$TMP/$key.out" per_s)
	R[$key-errors]=$(result "$TMP/$key.out" errors)
	[[ -n ${R[$key]} ]] || R[$key]=failed
}

# nginx_bench KEY WHERE RUN HOST PORT: nginx in namespace WHERE under
# RUN (utcp-run, or "" for none) listening on PORT, driven by wrk_run at
# HOST, then stopped (SIGQUIT: its workers finish, then the master).
nginx_bench() {
	local key=$1 where=$2 run=$3 host=$4 port=$5 n=$NS pre=()
	local d=$TMP/nginx-$key
	[[ $where == nsb ]] && n=$NSB
	[[ $run == utcp-run ]] && pre=("$UTCP_RUN" -S "$SOCK" --)
	nginx_conf "$d" "$port"
	start_bg ip netns exec "$n" "${pre[@]}" nginx -p "$d" -e "$d/error.log" \
		-c "$d/nginx.conf" >"$d/out" 2>&1 </dev/null
	local pid=$BG_PID
	if ! wait_for nsx curl -sf -o /dev/null "http://$host:$port/small"; then
		say "$key: nginx does not answer: $(cat "$d/out" "$d/error.log" 2>/dev/null | tail -n 3 | tr '\n' ' ')"
		R[$key]=failed
		stop_bg "$pid"
		return 0
	fi
	wrk_run "$key" "$host" "$port"
	say "$key: nginx's log has $(wc -l <"$d/error.log") lines; the last: $(tail -n 1 "$d/error.log")"
	[[ -s $d/nginx.pid ]] && kill -s QUIT "$(cat "$d/nginx.pid")" 2>/dev/null
	finished "$pid" 10
}

bench_apps() {
	local prog
	if [[ ! -x ${UTCP_RUN:-} ]]; then
		say "applications: skipped, no utcp-run (UTCP_RUN)"
		return 0
	fi
	for prog in iperf3 nginx wrk curl; do
		if ! command -v "$prog" >/dev/null; then
			say "applications: skipped, $prog is missing (tools/deps.sh)"
			return 0
		fi
	done
	say "applications: iperf3, ${SECONDS_APP} s each way; nginx with wrk, ${SECONDS_APP} s"
	start_ns_bg iperf3 -s -4 -p "$IPERF_PORT" >"$TMP/iperf3-server.out" 2>&1 </dev/null
	local server=$BG_PID
	wait_for -t 10 kernel_listening "$IPERF_PORT" ||
		fail "the kernel's iperf3 -s is not listening: $(cat "$TMP/iperf3-server.out")"
	#     key                where run      host
	iperf ipf-a2k-utcpd      ns    utcp-run "$KERNEL_IP"
	iperf ipf-k2a-utcpd      ns    utcp-run "$KERNEL_IP" -R
	iperf ipf-a2k-kernel-mtu nsb   ""       "$VM_NS"
	iperf ipf-k2a-kernel-mtu nsb   ""       "$VM_NS" -R
	iperf ipf-a2k-kernel-gso nsb   ""       "$VK_NS"
	iperf ipf-k2a-kernel-gso nsb   ""       "$VK_NS" -R
	stop_bg "$server"
	#           key          where run      host         port
	nginx_bench nginx-utcpd  ns    utcp-run "$DAEMON_IP" "$NGINX_PORT"
	nginx_bench nginx-kernel nsb   ""       "$VM_B"      "$NGINX_PORT"
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
	row "round trip 1 B: frames out / in" "$(v rr1-frames)" "$(v rr1-kframes)" "per round trip, counted"
	row "round trip 1 B: daemon system calls" "$(v rr1-syscalls)" "-" "per round trip, counted (perf stat)"
	row "accepted/s (kernel client -> listener)" "$(v accept-utcpd)" "$(v conn-kernel)" "errors: $(v accept-utcpd-errors) / $(v conn-kernel-errors)"
	row "opened/s (client -> kernel listener)" "$(v open-utcpd)" "$(v conn-kernel)" "errors: $(v open-utcpd-errors) / $(v conn-kernel-errors)"
	if [[ -n ${R[rr1-busy-utcpd]:-} ]]; then
		row "busy-polling $BUSY_US us: round trip 1 B" "$(v rr1-busy-utcpd)" "$(v rr1-busy-kernel)" "us mean/p50/p99; kernel just after"
		row "busy-polling $BUSY_US us: accepted/s" "$(v accept-busy-utcpd)" "$(v conn-busy-kernel)" "errors: $(v accept-busy-utcpd-errors) / $(v conn-busy-kernel-errors)"
		row "busy-polling $BUSY_US us: opened/s" "$(v open-busy-utcpd)" "$(v conn-busy-kernel)" "errors: $(v open-busy-utcpd-errors) / $(v conn-busy-kernel-errors)"
	fi
	if [[ -n ${R[busy-left-on]:-} ]]; then
		row "busy-polling after its lines" "$(v busy-left-on)" "-" "the reload back to off was not seen to apply"
	fi
	row "idle connections open (of $IDLE_N)" "$(v idle-utcpd-ok)" "$(v idle-kernel-ok)" "all, no errors (errors: $(v idle-utcpd-errors) / $(v idle-kernel-errors))"
	row "daemon RSS per idle connection, bytes" "$(v idle-utcpd-rss)" "-" "<= 1024"
	row "kernel slab per idle connection, bytes" "$(v idle-utcpd-slab)" "$(v idle-kernel-slab)" "utcpd: socketpair + kernel peer; kernel: both ends"
	row "iperf3 kernel -> app, Gbit/s" "$(v ipf-k2a-utcpd)" "$(v ipf-k2a-kernel-mtu)" "utcp-run iperf3 -c -R (kernel with GSO: $(v ipf-k2a-kernel-gso))"
	row "iperf3 app -> kernel, Gbit/s" "$(v ipf-a2k-utcpd)" "$(v ipf-a2k-kernel-mtu)" "utcp-run iperf3 -c (kernel with GSO: $(v ipf-a2k-kernel-gso))"
	row "nginx requests/s (kernel wrk)" "$(v nginx-utcpd)" "$(v nginx-kernel)" "utcp-run nginx, 2 workers (errors: $(v nginx-utcpd-errors) / $(v nginx-kernel-errors))"
	echo
}

# One client holds BENCH_IDLE connections; BENCH_RCVBUF_MAX sets the
# receive-buffer auto-tuning's ceiling ([tcp] rcvbuf_max; 0: off).
setup "[control]" "connections_per_client = 1048576" \
	${BENCH_RCVBUF_MAX:+"[tcp]" "rcvbuf_max = $BENCH_RCVBUF_MAX"}
# Memory first, on a fresh daemon: nothing else has touched its tables.
bench_idle
bench_bulk
bench_rr
bench_rates
bench_busy
bench_apps
table
TEST_STATUS=0
exit 0
