#!/bin/bash
# tcp: TCP through utcpd against the namespace's kernel. utcp-nc as a
# client to a kernel socat server and a kernel socat client to
# utcp-nc -l move several MiB each way (sha256 compared); a connect to a
# closed port fails with ECONNREFUSED; a reset reaches utcp-nc as
# ECONNRESET; 20 connections run at once; utcpctl status -a --json shows
# an ESTABLISHED connection during a transfer; utcpctl barrier answers;
# and when it is all over the daemon holds no connection and no more
# descriptors than before.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon tcp uttcp 10.77.9
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"

say "utcpctl barrier answers"
timeout 10 "$UTCPCTL" -S "$SOCK" barrier || fail "utcpctl barrier failed"

fds_before=$(ls /proc/"$DAEMON_PID"/fd | wc -l)

# kernel_tcp_listening PORT: a kernel socket listens on TCP port PORT.
kernel_tcp_listening() {
	[[ -n $(nsx ss -Hntl "sport = :$1") ]]
}

# tcp_sockets_json FILTER: prints the daemon's tcp entries (python
# expression on s, the entry, selects).
tcp_count() {
	status_json | "$PYTHON" -c '
import json, sys
st = json.load(sys.stdin)
sel = eval("lambda s: " + sys.argv[1])
print(sum(1 for s in st["sockets"] if s.get("protocol") == "tcp" and sel(s)))' "$1"
}

# no_live_tcp: every tcp entry left is an orphan finishing in the stack
# (TIME_WAIT ...), no connection belongs to an application any more.
no_live_tcp() {
	[[ $(tcp_count 'not s["orphan"]') -eq 0 ]]
}

size=$((4 * 1024 * 1024))
random_file "$TMP/a" "$size"
random_file "$TMP/b" "$size"

say "utcp-nc client -> kernel socat server: $size bytes each way at once"
start_ns_bg socat "TCP-LISTEN:5001,bind=$KERNEL_IP,reuseaddr" \
	"SYSTEM:cat $TMP/b & cat >$TMP/k_got; wait"
wait_for kernel_tcp_listening 5001 || fail "socat is not listening on 5001"
timeout 60 "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" 5001 <"$TMP/a" >"$TMP/u_got" ||
	fail "utcp-nc $KERNEL_IP 5001 failed (got $(file_size "$TMP/u_got") bytes)"
wait_for file_has_size "$TMP/k_got" "$size" ||
	fail "the kernel received $(file_size "$TMP/k_got") of $size bytes"
[[ $(sha "$TMP/k_got") == $(sha "$TMP/a") ]] || fail "the kernel received different bytes"
[[ $(sha "$TMP/u_got") == $(sha "$TMP/b") ]] || fail "utcp-nc received different bytes"
say "  both directions arrived, SHA-256 equal"

say "kernel socat client -> utcp-nc -l -p 5002: $size bytes each way at once"
rm -f "$TMP/k_got" "$TMP/u_got"
start_bg "$UTCP_NC" -S "$SOCK" -l -p 5002 <"$TMP/a" >"$TMP/u_got"
nc_pid=$BG_PID
wait_for -t 10 "$PYTHON" -c '
import json, subprocess, sys
st = json.loads(subprocess.run([sys.argv[1], "-S", sys.argv[2], "status", "-a", "--json"],
                capture_output=True, check=True).stdout)
sys.exit(0 if any(s.get("protocol") == "tcp" and s["listener"] and
                  s["local"].endswith(":5002") for s in st["sockets"]) else 1)' \
	"$UTCPCTL" "$SOCK" || fail "utcp-nc is not listening on 5002"
timeout 60 ip netns exec "$NS" socat "TCP:$DAEMON_IP:5002" \
	"SYSTEM:cat $TMP/b & cat >$TMP/k_got; wait" || fail "socat client failed"
wait_for -t 20 sh -c "! kill -0 $nc_pid" || fail "utcp-nc -l did not exit"
wait "$nc_pid" || fail "utcp-nc -l exited with status $?"
[[ $(sha "$TMP/k_got") == $(sha "$TMP/a") ]] || fail "socat received different bytes ($(file_size "$TMP/k_got") of $size)"
[[ $(sha "$TMP/u_got") == $(sha "$TMP/b") ]] || fail "utcp-nc -l received different bytes ($(file_size "$TMP/u_got") of $size)"
say "  both directions arrived, SHA-256 equal"

say "a connect to a closed port fails with ECONNREFUSED"
if timeout 20 "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" 5999 </dev/null 2>"$TMP/refused"; then
	fail "utcp-nc to a closed port exited 0"
fi
grep -q "Connection refused" "$TMP/refused" || fail "no 'Connection refused': $(cat "$TMP/refused")"
say "  $(cat "$TMP/refused")"

say "a reset from the kernel reaches utcp-nc as ECONNRESET"
# The kernel's side sends a line, then closes with SO_LINGER 0: a RST
# without a FIN before it.
start_ns_bg "$PYTHON" -c '
import socket, struct, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((sys.argv[1], 5003))
srv.listen(1)
srv.settimeout(20)
conn, _ = srv.accept()
conn.sendall(b"hello\n")
conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
conn.close()' "$KERNEL_IP"
wait_for kernel_tcp_listening 5003 || fail "python is not listening on 5003"
mkfifo "$TMP/hold"
exec 7<>"$TMP/hold" # keeps utcp-nc's stdin open
status=0
timeout 20 "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" 5003 <"$TMP/hold" >"$TMP/rst_got" 2>"$TMP/rst_err" ||
	status=$?
exec 7>&-
((status == 1)) || fail "utcp-nc after a reset exited $status: $(cat "$TMP/rst_err")"
[[ $(cat "$TMP/rst_got") == hello ]] || fail "the data before the reset was lost: $(cat "$TMP/rst_got")"
grep -q "Connection reset by peer" "$TMP/rst_err" || fail "no 'Connection reset by peer': $(cat "$TMP/rst_err")"
say "  $(cat "$TMP/rst_err")"

say "20 connections at once to a kernel echo server"
start_ns_bg socat "TCP-LISTEN:5004,bind=$KERNEL_IP,reuseaddr,fork,backlog=64" EXEC:cat
wait_for kernel_tcp_listening 5004 || fail "socat is not listening on 5004"
pids=()
for i in $(seq 1 20); do
	random_file "$TMP/c$i" $((64 * 1024 + i))
	timeout 60 "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" 5004 <"$TMP/c$i" >"$TMP/r$i" &
	pids+=($!)
done
for i in $(seq 1 20); do
	wait "${pids[$((i - 1))]}" || fail "client $i exited with status $?"
	[[ $(sha "$TMP/r$i") == $(sha "$TMP/c$i") ]] || fail "client $i got different bytes back"
done
say "  20 echoes intact"

say "utcpctl status -a --json shows an ESTABLISHED connection during a transfer"
start_ns_bg socat -u "TCP-LISTEN:5005,bind=$KERNEL_IP,reuseaddr" /dev/null
wait_for kernel_tcp_listening 5005 || fail "socat is not listening on 5005"
exec 8<>"$TMP/hold"
start_bg "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" 5005 <&8 >/dev/null
hold_pid=$BG_PID
exec 8>&-
established() {
	[[ $(tcp_count "s[\"state\"] == \"ESTABLISHED\" and s[\"remote\"] == \"$KERNEL_IP:5005\"") -eq 1 ]]
}
wait_for established || fail "no ESTABLISHED connection to $KERNEL_IP:5005 in status -a --json"
"$UTCPCTL" -S "$SOCK" status -a | grep -A3 " ESTABLISHED " || true
stop_bg "$hold_pid"

say "nothing leaks: no live connection, as many descriptors as before"
wait_for no_live_tcp || fail "connections still owned: $(status_json)"
wait_for output_is "$fds_before" daemon_fds ||
	fail "utcpd holds $(ls /proc/"$DAEMON_PID"/fd | wc -l) descriptors, $fds_before before"

pass
