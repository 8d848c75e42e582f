#!/bin/bash
# soak.sh BUILD_DIR [SECONDS] - one utcpd under a mixed load for a long
# while, its memory and tables watched; not a test (too long), not a
# timing (run it at nice 19, without the benchmark lock).
#
# One daemon in a namespace of lib.sh's, its address from dnsmasq (DHCP,
# 2-minute leases, so it renews) which is also its DNS server. At once,
# for SECONDS (default 600):
#   - curl under utcp-run fetching 1 MiB from a kernel python http.server,
#     the size checked, in a loop (in a sanitizer build python's urllib
#     instead: curl with ASan's runtime preloaded hangs at start-up);
#   - nginx under utcp-run (2 workers) driven by kernel wrk in bursts,
#     and by kernel curl fetching 1 MiB;
#   - iperf3 -c under utcp-run against a kernel iperf3 -s, 2-second runs,
#     alternately each way;
#   - a kernel ping of the daemon (5 a second), and utcpctl ping;
#   - lookups through the stub: utcp-run getent and utcpctl resolve, of
#     a known name and of random unknown ones;
#   - UDP echo both ways: a utcp-run client against a kernel echo, and a
#     kernel client against a utcp-run echo;
#   - abandoned connections: utcp-run curl and kernel curl of a 64 MiB
#     file, rate-limited, killed with SIGKILL mid-transfer;
#   - SIGHUP (reload) every 45 s, every other one with changes (the
#     interface's dns, [dns], [hosts]), the next one without them;
#   - utcpctl capture started, then stopped (SIGINT), and one of 50
#     frames.
# Every 5 s a line goes to the watch log (soak_watch.py): RSS,
# descriptors, TCP entries by state, UDP sockets, pools, resolver,
# control clients, drop/error counters, and the kernel's side (ss -s's
# TCP line). After SECONDS the load stops,
# the applications end, and the daemon is watched until it holds no
# connection (TIME_WAIT over) or 150 s pass; then it is stopped with
# SIGTERM (a sanitizer build reports there).
#
# Prints the baseline, peak and end figures, and the failures each load
# logged; SOAK_KEEP=DIR keeps every log there. Exits 0 when the daemon
# came back to its baseline (no connection, the pool buffers in use and
# the descriptors as at the start, exit status 0 on SIGTERM), 1
# otherwise.
#
# Environment: SOAK_NET (default 10.79.40) the /24 of the TAP.
# SOAK_BUSY_POLL_US=N (unset: busy-polling off, as without it) starts
# the daemon with [daemon] busy_poll_us = N, and each reload also
# switches busy-polling: off (0) with the changes, N again without them,
# so reload.c starts and stops the loop's idle watcher under load. The
# reload loop then checks the counters busy_polls and busy_poll_hits
# (utcpctl status) over each reload's 45 s: both grew while it was on,
# neither moved while it was off ("BAD busy ..." in reload.log when
# not); at the end, busy-polling on and the load gone, it says the
# daemon's CPU time over 10 s idle (schedstat) and fails above 1 s (it
# spins).
# shellcheck disable=SC2016 # the loops' bodies expand when they run
set -euo pipefail
B=$(cd "${1:?usage: soak.sh BUILD_DIR [SECONDS]}" && pwd)
DURATION=${2:-600}
HERE=$(cd "$(dirname "$0")" && pwd)
export UTCPD=$B/daemon/utcpd UTCPCTL=$B/client-lib/utcpctl
export UTCP_NC=$B/client-lib/utcp-nc UTCP_RUN=$B/client-lib/utcp-run
export TCP_HELPER=$B/tests/integration/tcp_helper
if /usr/bin/python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
sys.exit(0 if any(x["name"] == "b_sanitize" and "address" in str(x["value"])
                  for x in o) else 1)' "$B/meson-info/intro-buildoptions.json"; then
	export UTCP_SANITIZED=1
fi
# shellcheck source=tests/integration/lib.sh
. "$HERE/../integration/lib.sh"
# shellcheck source=tests/integration/dhcp_lib.sh
. "$HERE/../integration/dhcp_lib.sh"
# shellcheck source=tests/integration/utcp_run_lib.sh
. "$HERE/../integration/utcp_run_lib.sh"
# shellcheck source=tests/integration/tcp_lib.sh
. "$HERE/../integration/tcp_lib.sh"

for prog in nginx wrk iperf3 curl getent; do
	command -v "$prog" >/dev/null || skip "$prog is missing"
done
require_dnsmasq
NET=${SOAK_NET:-10.79.40}
TAP0=usoak0
ZONE=soak.test
WATCH=$TMP/watch.log
STOP=$TMP/stop
LOOPS=()

server_tap "$TAP0" "$NET"
start_bg ip netns exec "$NS" "$DNSMASQ" --no-daemon --conf-file=/dev/null \
	--no-hosts --no-resolv --no-ping --log-dhcp --interface="$TAP0" \
	--bind-interfaces --dhcp-authoritative \
	--dhcp-range="$NET.50,$NET.150,255.255.255.0,2m" \
	"--dhcp-option=option:router,$NET.1" \
	"--dhcp-option=option:dns-server,$NET.1" \
	"--dhcp-option=option:domain-search,$ZONE" \
	"--auth-server=ns.$ZONE,$NET.1" "--auth-zone=$ZONE" --auth-ttl=30 \
	"--host-record=www.$ZONE,$NET.1" \
	--dhcp-leasefile="$TMP/dnsmasq.leases" --pid-file="$TMP/dnsmasq.pid" \
	2>>"$TMP/dnsmasq.log"
wait_for ns_udp_bound "$NS" 67 || fail "dnsmasq does not serve DHCP"
write_dhcp_config utcp-soak "$TAP0" "$NET"
BUSY_US=${SOAK_BUSY_POLL_US:-}
if [[ -n $BUSY_US ]]; then
	[[ $BUSY_US =~ ^[1-9][0-9]*$ ]] ||
		fail "SOAK_BUSY_POLL_US=$BUSY_US: a number of microseconds above 0"
	config_busy_poll "$BUSY_US"
fi
if [[ ${UTCP_SANITIZED:-0} == 1 ]]; then
	export ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:halt_on_error=1
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
fi
start_dhcp_daemon
unset ASAN_OPTIONS UBSAN_OPTIONS
wait_bound "$TAP0"
say "bound: $DAEMON_IP; build $B, ${DURATION} s of load"
app_namespace

# sample [LABEL]: one watch line (stdout and the log).
T0=$SECONDS
sample() {
	local line
	local kernel
	line=$(status_json | "$PYTHON" "$HERE/soak_watch.py" "$DAEMON_PID" \
		"$((SECONDS - T0))") || return 0
	# The kernel's side: ss -s's TCP line, "TCP: N (estab ...)".
	kernel=$(nsx ss -s | sed -n 's/^TCP: *\([0-9]*\) (\(.*\))/\1(\2)/p' |
		sed 's/, /,/g; s/ /:/g')
	printf '%s%s kernel_tcp=%s\n' "${1:+$1 }" "$line" "$kernel" | tee -a "$WATCH"
}
field() { # field NAME LINE: the value of NAME= in a watch line
	sed -n "s/.*[ \[]$1=\([0-9/]*\).*/\1/p" <<<"$2"
}

sample baseline >/dev/null
BASE=$(tail -n 1 "$WATCH")
say "$BASE"
declare -A BASE_IN_USE
for pool in small large; do
	BASE_IN_USE[$pool]=$(field "$pool" "$BASE")
	BASE_IN_USE[$pool]=${BASE_IN_USE[$pool]%/*}
done

# The kernel's servers, in the namespace.
mkdir -p "$TMP/www" "$TMP/nginx/www"
random_file "$TMP/www/1m" $((1024 * 1024))
head -c $((64 * 1024 * 1024)) /dev/zero >"$TMP/www/64m"
cp "$TMP/www/1m" "$TMP/nginx/www/1m"
cp "$TMP/www/64m" "$TMP/nginx/www/64m"
printf 'small\n' >"$TMP/nginx/www/small"
start_ns_bg "$PYTHON" -m http.server --bind "$KERNEL_IP" --directory "$TMP/www" \
	8000 >"$TMP/httpd.log" 2>&1
start_ns_bg iperf3 -s -4 -B "$KERNEL_IP" -p 5201 >"$TMP/iperf3-s.log" 2>&1
start_ns_bg "$PYTHON" "$HERE/soak_udp.py" echo "$KERNEL_IP" 7007
wait_for kernel_tcp_listening 8000 || fail "http.server is not listening"
wait_for kernel_tcp_listening 5201 || fail "iperf3 -s is not listening"

# The applications on utcpd.
W=$TMP/nginx
nginx_config "$W" 8080 2 512
# Under utcp-run but not app()'s 30 s timeout: they run the whole soak.
ip netns exec "$APPNS" "${APP_ENV[@]}" "$UTCP_RUN" -S "$SOCK" -- \
	nginx -p "$W" -e "$W/error.log" -c "$W/nginx.conf" >"$W/out" 2>&1 &
NGINX_PID=$!
STARTED_PIDS+=("$NGINX_PID")
ip netns exec "$APPNS" "${APP_ENV[@]}" "$UTCP_RUN" -S "$SOCK" -- \
	"$PYTHON" "$HERE/soak_udp.py" echo 0.0.0.0 7008 >"$TMP/udp-echo.log" 2>&1 &
UDP_ECHO_PID=$!
STARTED_PIDS+=("$UDP_ECHO_PID")
wait_for utcp_listening 8080 || fail "nginx is not listening: $(cat "$W/out" "$W/error.log")"
wait_for socket_bound 7008 || fail "the UDP echo on utcpd is not bound"

# The application-side HTTP client: curl, or in a sanitizer build
# python (curl with ASan's runtime preloaded hangs in its first
# setlocale(), with or without utcp-run).
get() { # get URL FILE
	if [[ ${UTCP_SANITIZED:-0} == 1 ]]; then
		"$PYTHON" -c '
import shutil, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=20) as r, open(sys.argv[2], "wb") as f:
    shutil.copyfileobj(r, f)' "$1" "$2"
	else
		curl -sS --fail -o "$2" "$1"
	fi
}
export -f get
export PYTHON UTCP_SANITIZED

# loop NAME BODY: runs the shell code BODY over and over until $STOP
# exists, each run's output appended to $TMP/NAME.log, failures counted
# there ("FAILED status N").
loop() {
	local name=$1 body=$2
	(
		set +e
		trap - ERR
		while [[ ! -e $STOP ]]; do
			eval "$body" >>"$TMP/$name.log" 2>&1 ||
				echo "FAILED status $?" >>"$TMP/$name.log"
		done
	) &
	LOOPS+=($!)
	STARTED_PIDS+=($!)
}

# A kernel ping for the whole run (its summary at the end).
# (ping itself, PING_PID: a subshell would defer the signal.)
(exec ip netns exec "$NS" ping -n -i 0.2 "$DAEMON_IP" >"$TMP/ping.log" 2>&1) &
PING_PID=$!
STARTED_PIDS+=("$PING_PID")

loop curl-app 'rm -f "$TMP/got-app"; t=$SECONDS
	app bash -c "get http://$KERNEL_IP:8000/1m $TMP/got-app"; st=$?
	[[ $st == 0 && $(file_size "$TMP/got-app") == 1048576 ]] ||
		echo "BAD status $st size $(file_size "$TMP/got-app") after $((SECONDS - t)) s at $((SECONDS - T0)) s"
	sleep 0.2'
loop curl-kernel 'rm -f "$TMP/got-k"; t=$SECONDS
	nsx curl -sS --fail -o "$TMP/got-k" "http://$DAEMON_IP:8080/1m"; st=$?
	[[ $st == 0 && $(file_size "$TMP/got-k") == 1048576 ]] ||
		echo "BAD status $st size $(file_size "$TMP/got-k") after $((SECONDS - t)) s at $((SECONDS - T0)) s"
	sleep 0.2'
loop wrk 'nsx wrk -t 1 -c 8 -d 3s "http://$DAEMON_IP:8080/small" | grep -E "Requests/sec|errors|Non-2xx"
	sleep 5'
loop iperf3 'app iperf3 -c "$KERNEL_IP" -4 -p 5201 -t 2 ${dir:-} | tail -n 4
	if [[ -z ${dir:-} ]]; then dir=-R; else dir=""; fi
	sleep 3'
loop dns 'app getent hosts "www.$ZONE" || echo "getent www FAILED"
	app getent hosts "r$RANDOM.$ZONE"; echo "getent random: $?"
	"$UTCPCTL" -S "$SOCK" resolve "www.$ZONE" || echo "resolve www FAILED"
	"$UTCPCTL" -S "$SOCK" resolve "n$RANDOM$RANDOM.$ZONE"; echo "resolve random: $?"
	sleep 0.5'
loop udp-app 'app "$PYTHON" "$HERE/soak_udp.py" client "$KERNEL_IP" 7007 200; sleep 1'
loop udp-kernel 'nsx "$PYTHON" "$HERE/soak_udp.py" client "$DAEMON_IP" 7008 200; sleep 1'
# shellcheck disable=SC2034 # used in the loop's body, evaluated later
ABANDONED_CLIENT=(curl -sS --limit-rate 2M -o /dev/null)
[[ ${UTCP_SANITIZED:-0} == 1 ]] && ABANDONED_CLIENT=("$PYTHON" -c '
import sys, time, urllib.request
r = urllib.request.urlopen(sys.argv[1])
while r.read(65536):
    time.sleep(0.03)')
# Each client is the process its PID names (ip netns exec and utcp-run
# execute it), so the SIGKILL reaches curl itself, mid-transfer.
loop abandon '(exec ip netns exec "$APPNS" "${APP_ENV[@]}" "$UTCP_RUN" -S "$SOCK" -- \
		"${ABANDONED_CLIENT[@]}" "http://$KERNEL_IP:8000/64m") & p=$!
	(exec ip netns exec "$NS" curl -sS --limit-rate 2M -o /dev/null \
		"http://$DAEMON_IP:8080/64m") & q=$!
	sleep 1.5
	echo "killing $(cat /proc/$p/comm) $(cat /proc/$q/comm)"
	kill -KILL $p $q
	wait $p $q 2>/dev/null
	sleep 1'
loop ctlping '"$UTCPCTL" -S "$SOCK" ping -c 3 -i 0.2 "$KERNEL_IP" | tail -n 2; sleep 4'
loop capture '"$UTCPCTL" -S "$SOCK" capture -w "$TMP/cap.pcap" & c=$!
	sleep 3; kill -INT $c; wait $c; echo "capture status $?"
	"$UTCPCTL" -S "$SOCK" capture -c 50 -w "$TMP/cap2.pcap"; echo "capture -c status $?"
	sleep 6'
# Every other reload changes what a reload applies: the interface's dns
# (from the lease's to the same server given), the resolver's ttl_max
# and ndots, a [hosts] entry (and, with SOAK_BUSY_POLL_US, busy-polling
# off); the next one goes back.
cp "$CONF" "$TMP/conf.lease"
{
	sed 's/^busy_poll_us = .*/busy_poll_us = 0/' "$CONF"
	printf 'dns = %s\n\n[dns]\nttl_max = 60\nndots = 2\n\n' "$KERNEL_IP"
	printf '[hosts]\nstatic.%s = 192.0.2.7\n' "$ZONE"
} >"$TMP/conf.changed"
# busy_counters: prints "busy_polls busy_poll_hits".
busy_counters() {
	status_json | "$PYTHON" -c '
import json, sys
c = json.load(sys.stdin)["counters"]
print(c["busy_polls"], c["busy_poll_hits"])'
}
# reloads_applied: how many reloads the daemon logged as applied.
reloads_applied() {
	grep -c 'reload: [0-9]* changes\{0,1\} applied' "$LOG" || true
}
# busy_check: with SOAK_BUSY_POLL_US, compares the counters with those
# read after the last reload ($TMP/busy_since, none before the first).
busy_check() {
	local now on polls hits BUSY_SINCE
	[[ -n $BUSY_US && -s $TMP/busy_since ]] || return 0
	BUSY_SINCE=$(cat "$TMP/busy_since")
	now=$(busy_counters) || { echo "BAD busy: no counters"; return 0; }
	read -r polls hits <<<"$now"
	polls=$((polls - ${BUSY_SINCE% *}))
	hits=$((hits - ${BUSY_SINCE#* }))
	if cmp -s "$CONF" "$TMP/conf.lease"; then on=on; else on=off; fi
	echo "busy $on since the last reload: busy_polls +$polls busy_poll_hits +$hits"
	if [[ $on == on ]] && ((polls <= 0 || hits <= 0)); then
		echo "BAD busy on: the counters did not grow"
	elif [[ $on == off ]] && ((polls != 0 || hits != 0)); then
		echo "BAD busy off: the counters moved"
	fi
}
# busy_reload: SIGHUP, then (with SOAK_BUSY_POLL_US) waits until it is
# applied and notes the counters in $TMP/busy_since (the reload loop's
# and the end's).
busy_reload() {
	local n
	n=$(reloads_applied)
	kill -HUP "$DAEMON_PID"
	[[ -n $BUSY_US ]] || return 0
	: >"$TMP/busy_since"
	if wait_for -t 20 eval '(($(reloads_applied) > n))'; then
		busy_counters >"$TMP/busy_since" || : >"$TMP/busy_since"
	else
		echo "BAD reload not applied in 20 s"
	fi
}
loop reload 'sleep 45; [[ -e $STOP ]] && continue
	busy_check
	if cmp -s "$CONF" "$TMP/conf.lease"; then
		cp "$TMP/conf.changed" "$CONF"
	else
		cp "$TMP/conf.lease" "$CONF"
	fi
	busy_reload; echo "HUP at $((SECONDS - T0)) s"
	"$UTCPCTL" -S "$SOCK" resolve "static.$ZONE" || echo "(not in [hosts] now)"'

END=$((SECONDS + DURATION))
while ((SECONDS < END)); do
	daemon_alive || fail "utcpd died: $(tail -n 20 "$LOG")"
	sample >/dev/null
	sleep 5
done
say "load over; stopping it"
touch "$STOP"
for pid in "${LOOPS[@]}"; do
	wait "$pid" 2>/dev/null || true
done
kill -INT "$PING_PID"
wait "$PING_PID" 2>/dev/null || true
kill -s QUIT "$(cat "$W/nginx.pid")" 2>/dev/null || true
wait_for -t 20 bash -c "! kill -0 $NGINX_PID" || stop_bg "$NGINX_PID"
stop_bg "$UDP_ECHO_PID"
# Whatever of the applications' namespace is left (utcp-run children).
for pid in $(ip netns pids "$APPNS" 2>/dev/null); do
	kill -s KILL "$pid" 2>/dev/null || true
done

no_connections() {
	[[ $(tcp_count 'True') -eq 0 ]]
}
wait_for -t 150 no_connections || say "connections left: $(tcp_unsettled)"
sleep 1
sample end >/dev/null
ENDLINE=$(tail -n 1 "$WATCH")

# cpu_ns: the daemon's CPU time so far, every thread's (schedstat).
cpu_ns() {
	cat /proc/"$DAEMON_PID"/task/*/schedstat | awk '{ n += $1 } END { printf "%.0f\n", n }'
}
IDLE_OK=1
if [[ -n $BUSY_US ]]; then
	busy_check >>"$TMP/reload.log"
	if ! cmp -s "$CONF" "$TMP/conf.lease"; then
		cp "$TMP/conf.lease" "$CONF"
		busy_reload >>"$TMP/reload.log"
	fi
	# (the reload's and the status requests' windows: far shorter)
	sleep 1
	c0=$(cpu_ns)
	sleep 10
	idle_ms=$((($(cpu_ns) - c0) / 1000000))
	say "idle with busy_poll_us $BUSY_US: $idle_ms ms of CPU in 10 s; busy_polls busy_poll_hits: $(busy_counters)"
	((idle_ms < 1000)) || { say "the daemon spins when idle"; IDLE_OK=0; }
fi

peak() { # the largest value of a watch field (first number of a/b)
	sed -n "s/.* $1=\([0-9]*\).*/\1/p" "$WATCH" | sort -n | tail -n 1
}
say "baseline: $BASE"
say "end:      $ENDLINE"
say "peak: rss_kb=$(peak rss_kb) fds=$(peak fds) small=$(peak small) large=$(peak large) udp=$(peak udp) clients=$(peak clients)"
say "ping: $(tail -n 2 "$TMP/ping.log" | head -n 1)"
for f in "$TMP"/*.log; do
	n=$(grep -c -E 'FAILED|BAD|error|rror:' "$f" || true)
	((n == 0)) || say "$(basename "$f"): $n failure lines, first: $(grep -m1 -E 'FAILED|BAD|error|rror:' "$f")"
done
say "daemon log: $(grep -vc -E ' dhcp |reload|capture' "$LOG" || true) lines other than dhcp/reload/capture"

ok=1
[[ $(field fds "$ENDLINE") == "$(field fds "$BASE")" ]] || { say "descriptors: $(field fds "$BASE") -> $(field fds "$ENDLINE")"; ok=0; }
for pool in small large; do
	[[ $(field "$pool" "$ENDLINE") == "${BASE_IN_USE[$pool]}"/* ]] ||
		{ say "$pool buffers in use: $(field "$pool" "$BASE") -> $(field "$pool" "$ENDLINE")"; ok=0; }
done
no_connections || ok=0
((IDLE_OK == 1)) || ok=0
if [[ -n ${SOAK_KEEP:-} ]]; then
	mkdir -p "$SOAK_KEEP"
	cp "$TMP"/*.log "$SOAK_KEEP"/ 2>/dev/null || true
	cp "$W/error.log" "$SOAK_KEEP/nginx-error.log" 2>/dev/null || true
	status_json >"$SOAK_KEEP/status-end.json" || true
fi
stop_daemon TERM || { say "utcpd exited with status $? on SIGTERM"; ok=0; }
[[ -n ${SOAK_KEEP:-} ]] && cp "$LOG" "$SOAK_KEEP/utcpd.log"
((ok == 1)) || fail "the daemon did not come back to its baseline"
pass
