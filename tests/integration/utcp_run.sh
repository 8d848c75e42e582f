#!/bin/bash
# utcp_run: unmodified programs on utcpd through utcp-run. They run in a
# namespace of their own with nothing but loopback, so a socket that
# reached the kernel instead of utcpd would find no route: whatever
# works, worked through the daemon.
#   1. curl fetches a file from python3 http.server on the kernel's side
#      of the TAP, by address, then by a name that dnsmasq (the
#      daemon's DNS server) answers; the content is compared.
#   2. python3, blocking: a client talks to a kernel server, and a
#      server (bind to port 0, listen, accept) answers a kernel client.
#      A listener shared by a forked child accepts in both processes.
#      asyncio's client (non-blocking connect) and server. A connection
#      and a listener made inheritable and kept across exec are still
#      TCP sockets to the new image (family, type, peer, accept).
#   3. python3: a non-blocking connect to a closed port gives
#      EINPROGRESS, becomes writable, and SO_ERROR says ECONNREFUSED
#      once (then 0); to an address no one answers ARP for, SO_ERROR
#      is EHOSTUNREACH; a reset after data reads as the data, then
#      ECONNRESET once, then the end of the stream, as on a kernel
#      socket, and writes after a reset give ECONNRESET once, then
#      EPIPE (then a read's end of the stream), and SO_ERROR asked
#      after a reset takes the error (then 0, and a read's end of the
#      stream); socket options read back as set; names resolve through
#      the daemon in getaddrinfo and gethostbyname_ex (and getent hosts:
#      gethostbyname2, IPv6 asked first), and one that does
#      not exist (dnsmasq is authoritative for the zone) is EAI_NONAME.
#   4. a statically linked program is refused with a message and not
#      run.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/utcp_run_lib.sh
. "$(dirname "$0")/utcp_run_lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"
# shellcheck source=SCRIPTDIR/dhcp_lib.sh
. "$(dirname "$0")/dhcp_lib.sh"
# shellcheck source=SCRIPTDIR/dns_lib.sh
. "$(dirname "$0")/dns_lib.sh"

: "${STATIC_HELLO:?STATIC_HELLO must name the static test program}"
command -v curl >/dev/null || skip "curl is missing"
require_dnsmasq
PEER=$(dirname "$0")/utcp_run_peer.py
NET=10.78.61
ZONE=run.test
size=$((1024 * 1024))

make_namespace
write_config utcp-run utrun0 "$NET" "dns = $NET.1"
start_daemon_with_config
start_dns_server "$NS" "$KERNEL_IP" "--auth-server=ns.$ZONE,$KERNEL_IP" \
	"--auth-zone=$ZONE" "--host-record=www.$ZONE,$KERNEL_IP"
app_namespace

mkdir "$TMP/www"
random_file "$TMP/www/file" "$size"
start_ns_bg "$PYTHON" -m http.server --bind "$KERNEL_IP" \
	--directory "$TMP/www" 8000 2>"$TMP/httpd.log"
wait_for kernel_tcp_listening 8000 || fail "http.server is not listening on 8000"

say "1. utcp-run curl fetches 1 MiB from $KERNEL_IP:8000, by address and by name"
# curl does not start with ASan's runtime preloaded (it hangs before
# main, with or without utcp-run's library): not in a sanitizer build.
hosts=("$KERNEL_IP" "www.$ZONE")
if [[ ${UTCP_SANITIZED:-0} == 1 ]]; then
	say "  skipped: a sanitizer build (curl cannot run with ASan preloaded)"
	hosts=()
fi
for host in "${hosts[@]}"; do
	rm -f "$TMP/got"
	app curl -sS --fail -o "$TMP/got" "http://$host:8000/file" 2>"$TMP/curl.err" ||
		fail "curl http://$host:8000/file: status $?: $(cat "$TMP/curl.err")"
	[[ $(file_size "$TMP/got") -eq $size ]] ||
		fail "curl via $host got $(file_size "$TMP/got") of $size bytes"
	[[ $(sha "$TMP/got") == $(sha "$TMP/www/file") ]] ||
		fail "curl via $host got different bytes (SHA-256)"
	say "  $host: $size bytes, SHA-256 equal"
done
if ((${#hosts[@]} > 0)); then
	[[ $(dnsmasq_queries "$KERNEL_IP" "www.$ZONE" A) -ge 1 ]] ||
		fail "dnsmasq was not asked for www.$ZONE"
	grep -c '"GET /file HTTP/1.1" 200' "$TMP/httpd.log" | grep -qx 2 ||
		fail "http.server did not log two GETs: $(cat "$TMP/httpd.log")"
fi

# app_client WHAT MODE TEXT WANT: the peer's MODE client under utcp-run
# sends TEXT to the kernel's python server and must get WANT back.
app_client() {
	local what=$1 mode=$2 text=$3 want=$4 out
	rm -f "$TMP/kernel-$mode.port"
	start_ns_bg "$PYTHON" "$PEER" server "$TMP/kernel-$mode.port"
	wait_for test -s "$TMP/kernel-$mode.port" || fail "the kernel's python server did not start"
	out=$(app "$PYTHON" "$PEER" "$mode" "$KERNEL_IP" "$(cat "$TMP/kernel-$mode.port")" "$text" 2>&1) ||
		fail "$what: status $?: $out"
	[[ $out == "$want" ]] || fail "$what got '$out', want $want"
	wait "$BG_PID" || fail "the kernel's python server exited with status $?"
}

# app_server WHAT MODE TEXT WANT: the peer's MODE server under utcp-run
# answers the kernel's python client sending TEXT with WANT, and says it
# served the kernel's address.
app_server() {
	local what=$1 mode=$2 text=$3 want=$4 out srv port
	app "$PYTHON" "$PEER" "$mode" "$TMP/$mode.port" >"$TMP/$mode.out" 2>&1 &
	srv=$!
	STARTED_PIDS+=("$srv")
	wait_for test -s "$TMP/$mode.port" || fail "$what did not start: $(cat "$TMP/$mode.out")"
	port=$(cat "$TMP/$mode.port")
	wait_for utcp_listening "$port" || fail "utcpd has no listener on $port"
	out=$(nsx "$PYTHON" "$PEER" client "$DAEMON_IP" "$port" "$text") ||
		fail "the kernel client of $what: status $?: $out"
	[[ $out == "$want" ]] || fail "the kernel client of $what got '$out', want $want"
	wait "$srv" || fail "$what exited with status $?: $(cat "$TMP/$mode.out")"
	[[ $(cat "$TMP/$mode.out") == "served $KERNEL_IP" ]] ||
		fail "$what said: $(cat "$TMP/$mode.out")"
}

say "2. utcp-run python3: a blocking client, then a blocking server"
app_client "the client under utcp-run" client hello HELLO
app_server "the server under utcp-run" server there THERE

say "   a listener shared by a forked child: each accepts one connection"
app "$PYTHON" "$PEER" forkserver "$TMP/fork.port" >"$TMP/fork.out" 2>&1 &
srv=$!
STARTED_PIDS+=("$srv")
wait_for test -s "$TMP/fork.port" || fail "the forking server did not start: $(cat "$TMP/fork.out")"
port=$(cat "$TMP/fork.port")
answers=""
for text in one two; do
	out=$(nsx "$PYTHON" "$PEER" client "$DAEMON_IP" "$port" "$text") ||
		fail "the kernel client of the forking server: status $?: $out"
	answers+="${out%%:*} "
done
wait "$srv" || fail "the forking server exited with status $?: $(cat "$TMP/fork.out")"
[[ $answers == "parent child " || $answers == "child parent " ]] ||
	fail "the forking server's answers came from: $answers"

say "   asyncio: a client, then a server"
app_client "the asyncio client under utcp-run" aclient async ASYNC
app_server "the asyncio server" aserver loop LOOP

say "   sockets inherited across exec: a connection, then a listener"
app_client "the client that executes itself" execclient exec EXEC
app_server "the exec server" execserver inherit INHERIT

say "3. utcp-run python3: non-blocking connect to a closed port, an unreachable one; a reset; options"
out=$(app "$PYTHON" "$PEER" refused "$KERNEL_IP" 9) || fail "refused: status $?: $out"
[[ $out == $'EINPROGRESS\nECONNREFUSED\n0' ]] ||
	fail "non-blocking connect to a closed port: $(echo $out)"
out=$(app "$PYTHON" "$PEER" refused "$NET.99" 80) || fail "unreachable: status $?: $out"
[[ $out == $'EINPROGRESS\nEHOSTUNREACH\n0' ]] ||
	fail "non-blocking connect to an address no one answers ARP for: $(echo $out)"
# after_reset CLIENT WHAT WANT...: the kernel's resetting server, and
# the peer script's CLIENT under utcp-run against it; its lines must be
# WANT (the kernel's, as tried on kernel sockets).
after_reset() {
	local client=$1 what=$2 out want
	shift 2
	want=$(printf '%s\n' "$@")
	rm -f "$TMP/resetter.port"
	start_ns_bg "$PYTHON" "$PEER" resetter "$TMP/resetter.port"
	wait_for test -s "$TMP/resetter.port" || fail "the kernel's resetting server did not start"
	out=$(app "$PYTHON" "$PEER" "$client" "$KERNEL_IP" "$(cat "$TMP/resetter.port")") ||
		fail "$what: status $?: $out"
	[[ $out == "${want%$'\n'}" ]] || fail "$what: $(echo $out), want $*"
	wait "$BG_PID" || fail "the kernel's resetting server exited with status $?"
}
after_reset resetclient "a reset after data" bye ECONNRESET eof
after_reset resetwriter "writes after a reset" bye ECONNRESET EPIPE eof
after_reset reseterror "SO_ERROR after a reset" bye ECONNRESET 0 eof
out=$(app "$PYTHON" "$PEER" options) || fail "options: status $?: $out"
[[ $out == $'True\nTrue\n0\n1\n1' ]] || fail "options read back: $(echo $out)"

say "   names: python3's getaddrinfo and gethostbyname_ex, getent hosts, a name that does not exist"
out=$(app "$PYTHON" "$PEER" resolve "www.$ZONE") || fail "resolve: status $?: $out"
[[ $out == "$KERNEL_IP:80"$'\n'"$KERNEL_IP" ]] || fail "resolve www.$ZONE: $(echo $out)"
out=$(app getent hosts "www.$ZONE") || fail "getent hosts www.$ZONE: status $?: $out"
[[ $(echo $out) == "$KERNEL_IP www.$ZONE" ]] || fail "getent hosts www.$ZONE: $out"
out=$(app "$PYTHON" "$PEER" resolve "nowhere.$ZONE") || fail "resolve: status $?: $out"
[[ $out == $'gaierror True\ngaierror -2' ]] || fail "resolve nowhere.$ZONE: $(echo $out)"

say "4. a statically linked program is refused"
status=0
out=$("$UTCP_RUN" -S "$SOCK" -- "$STATIC_HELLO" 2>&1) || status=$?
((status == 126)) || fail "utcp-run of a static program: status $status, want 126: $out"
[[ $out == *"statically linked"* && $out != *"static_hello ran"* ]] ||
	fail "utcp-run of a static program said: $out"

pass
