#!/bin/bash
# tcp_http: HTTP over TCP through utcpd, 10 MiB each way, SHA-256
# compared:
#   1. the kernel's curl fetches a file from an HTTP server running over
#      libutcp (tcp_helper http-server), twice on fresh connections;
#   2. a libutcp client (tcp_helper get) fetches a file from Python's
#      http.server bound to the kernel's address in the namespace.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"

command -v curl >/dev/null || skip "curl is missing"

size=$((10 * 1024 * 1024))

start_daemon tcphttp uttcph 10.77.22
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"
fds_before=$(daemon_fds)

mkdir "$TMP/www"
random_file "$TMP/www/served" "$size"
random_file "$TMP/www/fetched" "$size"

say "1. kernel curl -> HTTP server over libutcp on $DAEMON_IP:8080: 2 x 10 MiB"
start_bg timeout 60 "$TCP_HELPER" -S "$SOCK" http-server 8080 "$TMP/www/served" 2 \
	>"$TMP/server.out"
srv=$BG_PID
wait_for utcp_listening 8080 || fail "the libutcp HTTP server is not listening"
for i in 1 2; do
	t0=$(now_ns)
	timeout 60 ip netns exec "$NS" curl -sS --fail --max-time 50 \
		-o "$TMP/curl$i" -w '%{http_code} %{size_download}\n' \
		"http://$DAEMON_IP:8080/served" >"$TMP/curl$i.w" ||
		fail "curl exited with status $? ($(file_size "$TMP/curl$i") bytes)"
	t1=$(now_ns)
	read -r code got <"$TMP/curl$i.w"
	[[ $code == 200 ]] || fail "curl got HTTP status $code"
	((got == size)) || fail "curl downloaded $got of $size bytes"
	[[ $(sha "$TMP/curl$i") == $(sha "$TMP/www/served") ]] ||
		fail "curl got different bytes (SHA-256)"
	say "  fetch $i: HTTP 200, $got bytes, SHA-256 equal; $(rate "$size" "$t0" "$t1")"
done
wait "$srv" || fail "the libutcp HTTP server exited with status $?"

say "2. libutcp client -> python3 http.server on $KERNEL_IP:8000: 10 MiB"
start_ns_bg "$PYTHON" -m http.server --bind "$KERNEL_IP" \
	--directory "$TMP/www" 8000 2>"$TMP/httpd.log"
wait_for kernel_tcp_listening 8000 || fail "http.server is not listening on 8000"
t0=$(now_ns)
timeout 60 "$TCP_HELPER" -S "$SOCK" get "$KERNEL_IP" 8000 /fetched \
	>"$TMP/got" 2>"$TMP/get.err" ||
	fail "tcp_helper get exited with status $?: $(cat "$TMP/get.err") ($(file_size "$TMP/got") bytes)"
t1=$(now_ns)
say "  $(sed 's/^tcp_helper: //' "$TMP/get.err")"
got=$(file_size "$TMP/got")
((got == size)) || fail "the libutcp client got $got of $size bytes"
[[ $(sha "$TMP/got") == $(sha "$TMP/www/fetched") ]] ||
	fail "the libutcp client got different bytes (SHA-256)"
grep -q '"GET /fetched HTTP/1.0" 200' "$TMP/httpd.log" ||
	fail "http.server did not log the GET: $(cat "$TMP/httpd.log")"
say "  $got bytes, SHA-256 equal; $(rate "$size" "$t0" "$t1")"

say "nothing left: only TIME_WAIT, as many descriptors as before ($fds_before)"
wait_for tcp_settled || fail "connections left: $(tcp_unsettled)"
wait_for output_is "$fds_before" daemon_fds ||
	fail "utcpd holds $(daemon_fds) descriptors, $fds_before before"

pass
