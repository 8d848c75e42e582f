#!/bin/bash
# utcp_run_apps: real applications on utcpd through utcp-run, the kernel
# as their peer across the TAP. As in utcp_run, the programs under
# utcp-run run in a namespace of their own with nothing but loopback, so
# a socket that reached the kernel instead of utcpd would find no
# route: whatever works, worked through the daemon.
#   1. iperf3: utcp-run iperf3 -c against a kernel iperf3 -s, and a
#      kernel iperf3 -c against utcp-run iperf3 -s, each both ways (-R),
#      a fixed count of bytes (-n). iperf3 reports no error on either
#      side and the sender sent the count (or one 128 KiB write more:
#      iperf3 checks the count between writes). (iperf3 3.12's
#      receiver stops counting when the sender says it is done, with
#      data still in the buffers, so its count may fall short, also
#      from kernel to kernel: that it is within what was sent, and not
#      0, is asserted. socat and curl below compare content.)
#   2. nginx, a master and 4 worker processes sharing the listener,
#      serves a file to kernel curl (content compared), then kernel wrk
#      drives it with keep-alive connections for a few seconds: requests
#      are served, with no socket error and no response other than 2xx,
#      and nginx logs nothing worse than an error.
#      On SIGQUIT the workers finish and the listener is gone.
#   3. socat in TCP mode: under utcp-run as a client of a kernel socat
#      listener and as a listener for a kernel socat client, each
#      sending a file one way and echoing one back (content compared);
#      a listener with socat's fork option (a process per connection,
#      each executing cat) echoes three kernel clients at once.
#   4. python3: a client that forks after connecting (the child sends,
#      the parent reads the answer), and one that empties its
#      environment before its first socket (as nginx's workers do).
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/utcp_run_lib.sh
. "$(dirname "$0")/utcp_run_lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"

for prog in iperf3 nginx wrk socat curl; do
	command -v "$prog" >/dev/null || skip "$prog is missing (tools/deps.sh)"
done
PEER=$(dirname "$0")/utcp_run_peer.py
APPS=$(dirname "$0")/utcp_run_apps.py
NET=10.78.63
IPERF_BYTES=$((8 * 1024 * 1024))
WRK_SECONDS=3
# Sanitized builds: ASan's runtime preloaded into every process makes
# the applications slow; the load runs shorter.
[[ ${UTCP_SANITIZED:-0} == 1 ]] && WRK_SECONDS=1

make_namespace
write_config utcp-run-apps urapp0 "$NET"
start_daemon_with_config
app_namespace

# app_bg OUT PROGRAM ARGS...: app in the background, its output in OUT;
# the PID is in $APP_PID and the EXIT trap stops it.
app_bg() {
	local out=$1
	shift
	app "$@" >"$out" 2>&1 &
	APP_PID=$!
	STARTED_PIDS+=("$APP_PID")
}

# iperf_check WHAT CLIENT_JSON SERVER_JSON: asserts both of iperf3's
# reports of a test of IPERF_BYTES: no error on either side, the sender
# sent the count (iperf3 checks it between its 128 KiB writes, so it may
# send one more), the receiver got some and no more; prints the
# figures.
iperf_check() {
	local what=$1 out
	out=$("$PYTHON" -c '
import json, sys
want = int(sys.argv[3])
block = 128 * 1024  # iperf3 -l, by default: -n may end a block late
client, server = (json.load(open(p)) for p in sys.argv[1:3])
for side, d in (("client", client), ("server", server)):
    if "error" in d:
        sys.exit("iperf3 %s: %s" % (side, d["error"]))
end = client["end"]
sent, got = end["sum_sent"]["bytes"], end["sum_received"]["bytes"]
if not want <= sent <= want + block:
    sys.exit(f"sent {sent} bytes, want {want} (+ at most one block)")
if not 0 < got <= sent:
    sys.exit(f"received {got} bytes of {sent}")
print("sent %d, received %d bytes, %.2f Gbit/s"
      % (sent, got, end["sum_received"]["bits_per_second"] / 1e9))
' "$2" "$3" "$IPERF_BYTES" 2>&1) || fail "iperf3 $what: $out"
	say "  $what: $out"
}

say "1. iperf3, $IPERF_BYTES bytes each way, as client and as server"
# Each run on ports of its own: nothing waits for the last run's
# connections to leave TIME_WAIT.
kport=5201
aport=5211
for dir in "" -R; do
	kport=$((kport + 1)) aport=$((aport + 1))
	way="app -> kernel"
	[[ -n $dir ]] && way="kernel -> app"
	start_ns_bg iperf3 -s -1 -4 -B "$KERNEL_IP" -p "$kport" --json \
		>"$TMP/ksrv.json" 2>"$TMP/ksrv.err"
	ksrv=$BG_PID
	wait_for kernel_tcp_listening "$kport" || fail "the kernel's iperf3 -s is not listening"
	app iperf3 -c "$KERNEL_IP" -4 -p "$kport" -n "$IPERF_BYTES" $dir --json \
		>"$TMP/acli.json" 2>"$TMP/acli.err" ||
		fail "utcp-run iperf3 -c $dir: status $?: $(cat "$TMP/acli.err" "$TMP/acli.json")"
	wait "$ksrv" || fail "the kernel's iperf3 -s exited with status $?: $(cat "$TMP/ksrv.err")"
	iperf_check "utcp-run iperf3 -c${dir:+ $dir} ($way)" "$TMP/acli.json" "$TMP/ksrv.json"

	app_bg "$TMP/asrv.json" iperf3 -s -1 -4 -B "$DAEMON_IP" -p "$aport" --json
	wait_for utcp_listening "$aport" ||
		fail "utcp-run iperf3 -s is not listening: $(cat "$TMP/asrv.json")"
	nsx iperf3 -c "$DAEMON_IP" -4 -p "$aport" -n "$IPERF_BYTES" $dir --json \
		>"$TMP/kcli.json" 2>"$TMP/kcli.err" ||
		fail "the kernel's iperf3 -c $dir: status $?: $(cat "$TMP/kcli.err" "$TMP/kcli.json")"
	wait "$APP_PID" || fail "utcp-run iperf3 -s exited with status $?: $(cat "$TMP/asrv.json")"
	way="kernel -> app"
	[[ -n $dir ]] && way="app -> kernel"
	iperf_check "utcp-run iperf3 -s, kernel -c${dir:+ $dir} ($way)" "$TMP/kcli.json" "$TMP/asrv.json"
done

say "2. nginx, a master and 4 workers: kernel curl, then kernel wrk for $WRK_SECONDS s"
W=$TMP/nginx
mkdir -p "$W/www"
random_file "$W/www/file" $((256 * 1024))
printf 'small\n' >"$W/www/small"
nginx_config "$W" 8080 4 256
# wrk's figures, with every response's status looked at.
cat >"$W/result.lua" <<'EOF'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0 end
function response(status, headers, body)
	if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
	local bad = 0
	for _, t in ipairs(threads) do bad = bad + t:get("non2xx") end
	local e = summary.errors
	io.write(string.format("RESULT requests=%d connect=%d read=%d " ..
		"write=%d timeout=%d non2xx=%d\n", summary.requests,
		e.connect, e.read, e.write, e.timeout, bad))
end
EOF
app_bg "$W/out" nginx -p "$W" -e "$W/error.log" -c "$W/nginx.conf"
nginx_pid=$APP_PID
wait_for utcp_listening 8080 ||
	fail "nginx is not listening: $(cat "$W/out" "$W/error.log" 2>/dev/null)"
wait_for test -s "$W/nginx.pid" || fail "nginx wrote no pid file"
master=$(cat "$W/nginx.pid")
workers() {
	pgrep -P "$master" -c
}
wait_for output_is 4 workers || fail "nginx has $(workers) workers, want 4"
nsx curl -sS --fail -o "$TMP/got" "http://$DAEMON_IP:8080/file" 2>"$TMP/curl.err" ||
	fail "curl http://$DAEMON_IP:8080/file: status $?: $(cat "$TMP/curl.err")"
[[ $(sha "$TMP/got") == $(sha "$W/www/file") ]] ||
	fail "curl got $(file_size "$TMP/got") bytes from nginx, not the file's (SHA-256)"
say "  curl: $(file_size "$TMP/got") bytes, SHA-256 equal"
nsx wrk -t 2 -c 16 -d "${WRK_SECONDS}s" -s "$W/result.lua" \
	"http://$DAEMON_IP:8080/small" >"$TMP/wrk.out" 2>&1 ||
	fail "wrk: status $?: $(cat "$TMP/wrk.out")"
result=$(grep '^RESULT ' "$TMP/wrk.out") || fail "wrk printed no result: $(cat "$TMP/wrk.out")"
say "  wrk: ${result#RESULT }"
figure() {
	tr ' ' '\n' <<<"$result" | sed -n "s/^$1=//p"
}
(($(figure requests) > 0)) || fail "wrk: no request served: $result"
for key in connect read write timeout non2xx; do
	(($(figure "$key") == 0)) ||
		fail "wrk: $key $(figure "$key"), want 0: $result; nginx's log: $(grep -v '^\S* \S* \[info\]' "$W/error.log" | tail -n 5)"
done
alerts=$(grep -E '\[(alert|crit|emerg)\]' "$W/error.log" || true)
[[ -z $alerts ]] || fail "nginx's log: $(head -n 3 <<<"$alerts")"
kill -s QUIT "$master"
wait "$nginx_pid" || fail "nginx exited with status $? on SIGQUIT: $(tail -n 5 "$W/error.log")"
no_listener() {
	! utcp_listening 8080
}
wait_for -t 5 no_listener ||
	fail "nginx's listener is still in the daemon after it exited"

say "3. socat (TCP): as a client and as a listener, a file each way; a listener with fork"
random_file "$TMP/a" $((512 * 1024))
random_file "$TMP/b" $((512 * 1024))
start_ns_bg socat -u "TCP4-LISTEN:7001,bind=$KERNEL_IP,reuseaddr" "CREATE:$TMP/k1"
ksocat=$BG_PID
wait_for kernel_tcp_listening 7001 || fail "the kernel's socat is not listening on 7001"
app socat -u "FILE:$TMP/a" "TCP4:$KERNEL_IP:7001" 2>"$TMP/s1.err" ||
	fail "utcp-run socat (client, sending): status $?: $(cat "$TMP/s1.err")"
wait "$ksocat" || fail "the kernel's socat listener exited with status $?"
[[ $(sha "$TMP/k1") == $(sha "$TMP/a") ]] ||
	fail "utcp-run socat -> kernel: $(file_size "$TMP/k1") bytes, not the file's"
# The echoes are cat's: socat's PIPE (one pipe it both writes and
# reads, in one thread) can block for good in a write to the pipe while
# data flows both ways, on any stack.
start_ns_bg socat "TCP4-LISTEN:7002,bind=$KERNEL_IP,reuseaddr" EXEC:cat
wait_for kernel_tcp_listening 7002 || fail "the kernel's echoing socat is not listening"
app socat -t 5 - "TCP4:$KERNEL_IP:7002" <"$TMP/b" >"$TMP/a1" 2>"$TMP/s2.err" ||
	fail "utcp-run socat (client, echoed): status $?: $(cat "$TMP/s2.err")"
[[ $(sha "$TMP/a1") == $(sha "$TMP/b") ]] ||
	fail "utcp-run socat <-> kernel echo: $(file_size "$TMP/a1") bytes back, not the file's"
say "  client: a file sent, a file echoed by the kernel, content equal"

app_bg "$TMP/s3.err" socat -u "TCP4-LISTEN:7003,reuseaddr" "CREATE:$TMP/a2"
wait_for utcp_listening 7003 || fail "utcp-run socat is not listening on 7003: $(cat "$TMP/s3.err")"
nsx socat -u "FILE:$TMP/a" "TCP4:$DAEMON_IP:7003" || fail "the kernel's socat client: status $?"
wait "$APP_PID" || fail "utcp-run socat (listener, receiving): status $?: $(cat "$TMP/s3.err")"
[[ $(sha "$TMP/a2") == $(sha "$TMP/a") ]] ||
	fail "kernel -> utcp-run socat: $(file_size "$TMP/a2") bytes, not the file's"
app_bg "$TMP/s4.err" socat "TCP4-LISTEN:7004,reuseaddr" EXEC:cat
wait_for utcp_listening 7004 || fail "utcp-run socat is not listening on 7004: $(cat "$TMP/s4.err")"
nsx socat -t 5 - "TCP4:$DAEMON_IP:7004" <"$TMP/b" >"$TMP/k2" || fail "the kernel's socat client: status $?"
wait "$APP_PID" || fail "utcp-run socat (listener, echoing): status $?: $(cat "$TMP/s4.err")"
[[ $(sha "$TMP/k2") == $(sha "$TMP/b") ]] ||
	fail "kernel <-> utcp-run socat echo: $(file_size "$TMP/k2") bytes back, not the file's"
say "  listener: a file received, a file echoed to the kernel, content equal"

app_bg "$TMP/s5.err" socat "TCP4-LISTEN:7005,reuseaddr,fork" EXEC:cat
forker=$APP_PID
wait_for utcp_listening 7005 || fail "utcp-run socat (fork) is not listening: $(cat "$TMP/s5.err")"
clients=()
for i in 1 2 3; do
	random_file "$TMP/f$i" $((128 * 1024))
	nsx socat -t 5 - "TCP4:$DAEMON_IP:7005" <"$TMP/f$i" >"$TMP/g$i" &
	clients+=($!)
done
for i in 1 2 3; do
	wait "${clients[i - 1]}" || fail "kernel socat client $i of the forking listener: status $?"
	[[ $(sha "$TMP/g$i") == $(sha "$TMP/f$i") ]] ||
		fail "the forking listener echoed $(file_size "$TMP/g$i") bytes to client $i, not its file's"
done
kill -0 "$forker" 2>/dev/null || fail "utcp-run socat (fork) exited: $(cat "$TMP/s5.err")"
say "  fork: three clients at once, each echoed by a process of its own, content equal"

say "4. python3: a client that forks after connecting; one that empties its environment"
for mode in forkclient noenv; do
	rm -f "$TMP/k.port"
	start_ns_bg "$PYTHON" "$PEER" server "$TMP/k.port"
	wait_for test -s "$TMP/k.port" || fail "the kernel's python server did not start"
	out=$(app "$PYTHON" "$APPS" "$mode" "$KERNEL_IP" "$(cat "$TMP/k.port")" "$mode" 2>&1) ||
		fail "$mode under utcp-run: status $?: $out"
	[[ $out == "${mode^^}" ]] || fail "$mode under utcp-run got '$out', want ${mode^^}"
	wait "$BG_PID" || fail "the kernel's python server exited with status $?"
	say "  $mode: $out"
done

pass
