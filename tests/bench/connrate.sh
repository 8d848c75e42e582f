#!/bin/bash
# connrate.sh - what one connection costs: run.sh's connection rates,
# with the daemon's CPU and, optionally, the system calls per connection
#
#     sudo tests/bench/connrate.sh [BUILD_DIR] [strace|perf|timeline]
#
# Sets up as run.sh does (bench_lib.sh) and runs its three rate lines
# (accept-utcpd: a kernel client connects to utcp-bench's accept-rate on
# utcpd; open-utcpd: utcp-bench's connect-rate on utcpd to a kernel
# listener; conn-kernel: both on kernel sockets, the baseline), each
# BENCH_RATE_SECONDS (default 3). Prints each RESULT line and the
# daemon's CPU time per connection (/proc/PID/schedstat, in ns).
#
# With "strace", `strace -c -f` attaches to the daemon during each run
# and runs the utcp-bench side that uses utcpd (or, for conn-kernel,
# the kernel client and then the kernel server, in two runs), and prints
# the system calls per connection of each (calls / connections made,
# those at 0.05 or more by name). Under strace the rates mean nothing;
# the counts do not depend on load. With "perf", `perf record -g`
# attaches to the daemon during each utcpd line and its profile follows.
# With "timeline", the scheduler events and every system call of the
# whole machine are recorded for BENCH_TIMELINE_SECONDS (default 0.3)
# in the middle of the open line, and timeline.py cuts them into opens,
# stretch by stretch (tracing slows every call: read the proportions).
# BENCH_PERF_KEEP=DIR keeps the recordings. See README.md, "Connection
# rate".
# Fails only when a measurement could not be made.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/bench_lib.sh
source "$HERE/bench_lib.sh"

SECONDS_RATE=${BENCH_RATE_SECONDS:-3}
TRACE=${2:-}
case $TRACE in
"" | strace | perf | timeline) ;;
*) fail "unknown mode '$TRACE' (strace, perf or timeline)" ;;
esac

# cpu_ns PID: the time PID has run, in ns.
cpu_ns() {
	awk '{print $1}' "/proc/$1/schedstat"
}

# per_conn FILE N: strace -c's FILE as calls per connection.
per_conn() {
	awk -v n="$2" '/^ *[0-9]/ && $NF != "total" {
		t += $4; if ($4 / n >= 0.05) s = s sprintf("%s %.2f, ", $NF, $4 / n)
	} END { printf "%.2f per connection (%s)\n", t / n, s }' "$1"
}

# crate KEY SERVER_WHERE SERVER_STACK CLIENT_WHERE CLIENT_STACK HOST TRACED:
# run.sh's rate(), TRACED (server, client, none) naming the side run
# under strace.
crate() {
	local key=$1 sw=$2 ss=$3 cw=$4 cs=$5 host=$6 traced=$7
	local ks=() kc=() ws=() wc=() n sp="" c0 c1 ok
	[[ $ss == kernel ]] && ks=(-k)
	[[ $cs == kernel ]] && kc=(-k)
	if [[ -n $TRACE ]]; then
		[[ $TRACE == perf || $TRACE == timeline ]] && traced=none
		[[ $traced == server ]] && ws=(strace -c -f -o "$TMP/$key-app.strace")
		[[ $traced == client ]] && wc=(strace -c -f -o "$TMP/$key-app.strace")
	fi
	n=$NS
	[[ $sw == nsb ]] && n=$NSB
	start_bg ip netns exec "$n" "${ws[@]}" "$UTCP_BENCH" -S "$SOCK" "${ks[@]}" \
		accept-rate 5401 $((SECONDS_RATE + 30)) \
		>"$TMP/$key-server.out" 2>"$TMP/$key-server.err" </dev/null
	local server=$BG_PID
	wait_listening "$key-server"
	if [[ $TRACE == perf && $key != conn-kernel* ]]; then
		perf record -q -g -p "$DAEMON_PID" -o "$TMP/$key.perf" \
			>/dev/null 2>&1 &
		sp=$!
		sleep 1 # attached
	elif [[ $TRACE == timeline ]]; then
		: # below, once the client runs
	elif [[ -n $TRACE && $key != conn-kernel* ]]; then
		strace -c -f -p "$DAEMON_PID" -o "$TMP/$key-daemon.strace" \
			2>/dev/null &
		sp=$!
		sleep 1 # attached
	fi
	if [[ $TRACE == timeline && $key == open-utcpd ]]; then
		(
			sleep 1 # the line runs
			perf record -q -a -o "$TMP/$key.tl" \
				-e sched:sched_switch,sched:sched_wakeup \
				-e raw_syscalls:sys_enter,raw_syscalls:sys_exit \
				--exclude-perf \
				-- sleep "${BENCH_TIMELINE_SECONDS:-0.3}" \
				>/dev/null 2>&1
		) &
		sp=$!
	fi
	c0=$(cpu_ns "$DAEMON_PID")
	n=$NS
	[[ $cw == nsb ]] && n=$NSB
	timeout -k 2 $((SECONDS_RATE + 60)) ip netns exec "$n" "${wc[@]}" \
		"$UTCP_BENCH" -S "$SOCK" "${kc[@]}" connect-rate "$host" 5401 \
		"$SECONDS_RATE" >"$TMP/$key-client.out" \
		2>"$TMP/$key-client.err" </dev/null || true
	c1=$(cpu_ns "$DAEMON_PID")
	if [[ -n $sp ]]; then
		[[ $TRACE == timeline ]] || kill -s INT "$sp" 2>/dev/null || true
		wait "$sp" || true
	fi
	finished "$server" 40
	ok=$(result "$TMP/$key-client.out" ok)
	say "$key: client $(grep '^RESULT' "$TMP/$key-client.out" || cat "$TMP/$key-client.err")"
	say "$key: server $(grep '^RESULT' "$TMP/$key-server.out" || cat "$TMP/$key-server.err")"
	[[ -n $ok && $ok -gt 0 ]] || fail "$key: no connection was made"
	if [[ $key != conn-kernel* ]]; then
		say "$key: daemon CPU $(((c1 - c0) / ok)) ns per connection"
	fi
	if [[ $TRACE == perf && -f $TMP/$key.perf ]]; then
		say "$key: daemon profile (perf, callees included):"
		perf report -q -i "$TMP/$key.perf" --children --sort sym \
			--stdio -g none --percent-limit 2 \
			>"$TMP/$key.report" 2>/dev/null || true
		head -n "${BENCH_PERF_LINES:-40}" "$TMP/$key.report"
		[[ -n ${BENCH_PERF_KEEP:-} ]] &&
			cp "$TMP/$key.perf" "$BENCH_PERF_KEEP/$key.perf"
	elif [[ $TRACE == timeline ]]; then
		[[ -f $TMP/$key.tl ]] || return 0
		perf script -i "$TMP/$key.tl" -F comm,tid,cpu,time,event,trace \
			>"$TMP/$key.tl.txt" 2>/dev/null || true
		"$PYTHON" "$HERE/timeline.py" "$DAEMON_PID" <"$TMP/$key.tl.txt" ||
			say "$key: no timeline could be read"
		[[ -n ${BENCH_PERF_KEEP:-} ]] &&
			cp "$TMP/$key.tl.txt" "$BENCH_PERF_KEEP/$key.tl.txt"
	elif [[ -n $TRACE ]]; then
		[[ -f $TMP/$key-daemon.strace ]] &&
			say "$key: daemon system calls $(per_conn "$TMP/$key-daemon.strace" "$ok")"
		[[ -f $TMP/$key-app.strace ]] &&
			say "$key: $traced system calls $(per_conn "$TMP/$key-app.strace" "$ok")"
	fi
	return 0
}

setup "[control]" "connections_per_client = 1048576"
say "connection rates: connect + close, one at a time, ${SECONDS_RATE} s each"
crate accept-utcpd ns utcpd ns kernel "$DAEMON_IP" server
crate open-utcpd ns kernel ns utcpd "$KERNEL_IP" client
crate conn-kernel ns kernel nsb kernel "$VM_NS" client
[[ $TRACE == strace ]] && crate conn-kernel-server ns kernel nsb kernel "$VM_NS" server
# shellcheck disable=SC2034 # read by lib.sh at exit
TEST_STATUS=0
exit 0
