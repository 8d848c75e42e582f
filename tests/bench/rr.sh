#!/bin/bash
# rr.sh - what a 1-byte round trip costs: run.sh's rr line alone, with
# the daemon's CPU time and system calls per round trip
#
#     sudo tests/bench/rr.sh [BUILD_DIR]
#     sudo BENCH_BUSY_POLL_US=50 tests/bench/rr.sh build   # busy-polling
#
# Sets up as run.sh does (bench_lib.sh; BENCH_BUSY_POLL_US sets the
# daemon's [daemon] busy_poll_us) and runs, BENCH_RR_RUNS times (default
# 3), BENCH_RR_COUNT (default 20000) 1-byte round trips on utcpd, then
# the same on the kernel, alternating, against run.sh's kernel echo
# server. For each utcpd run it prints the RESULT line (with the
# application's own context switches per round trip, csw and icsw:
# README.md, "Round trip, session 11"), the daemon's
# CPU time per round trip (/proc/PID/schedstat), the times it was
# scheduled in per round trip (its wakeups, plus any preemption), the
# frames utcpd wrote to and read from its TAP per round trip (the
# kernel side's counters), and with perf the daemon's system calls per
# round trip (perf stat's
# raw_syscalls:sys_enter over the run); with busy-polling, its counters
# (utcpctl status) at the end. See README.md, "Round trip, session 9".
# Fails only when a measurement could not be made.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/bench_lib.sh
source "$HERE/bench_lib.sh"

RR_COUNT=${BENCH_RR_COUNT:-20000}
RUNS=${BENCH_RR_RUNS:-3}

# sched FIELD: the daemon's /proc/PID/schedstat field (1: ns on the
# CPU, 3: times scheduled in).
sched() {
	awk -v f="$1" '{ print $f }' "/proc/$DAEMON_PID/schedstat"
}

# calls_start / calls_stop: perf stat on the daemon's system calls, as
# run.sh's rr_counts: started disabled, enabled once it has attached
# (its "ack"), so that the count is the run's; calls_stop sets CALLS to
# their number (empty without perf). Not in a subshell: it waits for
# perf, its child.
calls_start() {
	PERF_PID=""
	command -v perf >/dev/null || return 0
	rm -f "$TMP/perf-ctl" "$TMP/perf-ack"
	mkfifo "$TMP/perf-ctl" "$TMP/perf-ack" || return 0
	perf stat -x, -D -1 --control "fifo:$TMP/perf-ctl,$TMP/perf-ack" \
		-e raw_syscalls:sys_enter -p "$DAEMON_PID" \
		-o "$TMP/rr-perf.csv" >/dev/null 2>&1 &
	PERF_PID=$!
	# read-write opens of the FIFOs do not block should perf fail
	exec {CTL}<>"$TMP/perf-ctl" {ACK}<>"$TMP/perf-ack"
	echo enable >&"$CTL"
	local line
	if ! read -r -t 10 -u "$ACK" line || [[ $line != ack* ]]; then
		kill -s KILL "$PERF_PID" 2>/dev/null || true
		wait "$PERF_PID" 2>/dev/null || true
		PERF_PID=""
	fi
}
calls_stop() {
	CALLS=""
	if [[ -n $PERF_PID ]]; then
		kill -s INT "$PERF_PID" 2>/dev/null || true
		wait "$PERF_PID" 2>/dev/null || true
		CALLS=$(awk -F, '/raw_syscalls:sys_enter/ && $1 ~ /^[0-9]+$/ { print $1 }' \
			"$TMP/rr-perf.csv" 2>/dev/null)
	fi
	[[ -n ${CTL:-} ]] && exec {CTL}>&- {ACK}>&-
	CTL=""
}

# per_trip COUNT: COUNT / trips with two decimals ("-" without COUNT).
per_trip() {
	if [[ -z $1 ]]; then
		echo -
		return
	fi
	awk -v c="$1" -v n="$trips" 'BEGIN { printf "%.2f", c / n }'
}

# tap_stat COUNTER: the TAP's kernel-side statistic (rx_packets ...).
tap_stat() {
	nsx cat "/sys/class/net/$TAP/statistics/$1"
}

setup
run_bg echo ns -k echo 5301
echo_pid=$BG_PID
wait_listening echo
say "busy_poll_us = ${BENCH_BUSY_POLL_US:-0}; $RUNS runs of $RR_COUNT round trips"
trips=$((RR_COUNT + 100)) # utcp-bench's warm-up trips
for ((run = 1; run <= RUNS; run++)); do
	cpu0=$(sched 1)
	ins0=$(sched 3)
	out0=$(tap_stat rx_packets)
	in0=$(tap_stat tx_packets)
	calls_start
	run_fg rr-utcpd ns 300 rr "$KERNEL_IP" 5301 "$RR_COUNT" 1
	calls_stop
	cpu1=$(sched 1)
	ins1=$(sched 3)
	out1=$(tap_stat rx_packets)
	in1=$(tap_stat tx_packets)
	grep -q '^RESULT' "$TMP/rr-utcpd.out" ||
		fail "rr on utcpd: $(cat "$TMP/rr-utcpd.err")"
	say "run $run utcpd: $(grep '^RESULT' "$TMP/rr-utcpd.out")"
	say "run $run utcpd: per round trip: daemon CPU $(((cpu1 - cpu0) / trips)) ns," \
		"scheduled in $(per_trip $((ins1 - ins0))), system calls $(per_trip "$CALLS")," \
		"frames out / in $(per_trip $((out1 - out0))) / $(per_trip $((in1 - in0)))"
	run_fg rr-kernel nsb 300 -k rr "$VM_NS" 5301 "$RR_COUNT" 1
	grep -q '^RESULT' "$TMP/rr-kernel.out" ||
		fail "rr on the kernel: $(cat "$TMP/rr-kernel.err")"
	say "run $run kernel: $(grep '^RESULT' "$TMP/rr-kernel.out")"
done
# (a build without busy-polling has no such counters)
if [[ ${BENCH_BUSY_POLL_US:-0} != 0 ]]; then
	say "busy_polls $(counter busy_polls), busy_poll_hits $(counter busy_poll_hits)"
fi
stop_bg "$echo_pid"
TEST_STATUS=0
exit 0
