#!/bin/bash
# reload: SIGHUP reads the configuration again and applies what can
# change without dropping anything (daemon/reload.c). The daemon starts
# with `dns = A` (a dnsmasq answering x.rl.test with one address) at log
# level info, and utcp-nc holds a TCP connection to a kernel echo
# server. The file then says `dns = B` (another dnsmasq, another address
# for the same name) and log_level = debug; after SIGHUP the resolver
# lists B, the name resolves to B's address (the cache of A's answer was
# flushed), debug lines appear in the log, and the connection still
# echoes both ways on the same ports. Then `mtu` changes: the log names
# the file and line, "needs a restart", and the MTU stays. Then a broken
# line: the log names the file and line, and nothing changes (B stays,
# debug stays, the connection echoes).
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/dhcp_lib.sh
. "$(dirname "$0")/dhcp_lib.sh"
# shellcheck source=SCRIPTDIR/dns_lib.sh
. "$(dirname "$0")/dns_lib.sh"

require_dnsmasq
NET=10.78.91
TAP0=utrl0
A=$NET.1 # the kernel's own address: dnsmasq A
B=$NET.3 # dnsmasq B
NAME=x.rl.test
PORT=5091

make_namespace
write_config utcp-rl "$TAP0" "$NET" "dns = $A"
start_daemon_with_config
ip -n "$NS" addr add "$B/24" dev "$TAP0"
# A's answer lives 300 s (dnsmasq's own names have a TTL of 0 unless told:
# not cached), so B's address after the reload is the flush's doing.
start_dns_server "$NS" "$A" "--host-record=$NAME,198.51.100.1" --local-ttl=300
start_dns_server "$NS" "$B" "--host-record=$NAME,198.51.100.2"

# reloads: how many reloads the log has finished (each ends with one
# "reload: " line: applied, nothing to apply, or nothing changed).
reloads() {
	grep -Ec ': reload: ([0-9]+ changes? applied|nothing to apply|.*: nothing changed)' \
		"$LOG" || true
}

# hup: signals SIGHUP and waits until the daemon has finished the reload.
hup() {
	local before
	before=$(reloads)
	kill -s HUP "$DAEMON_PID"
	wait_for output_is $((before + 1)) reloads ||
		fail "no reload logged after SIGHUP: $(tail -n 5 "$LOG")"
}

# servers: the resolver's servers, as `utcpctl dns --json` lists them.
servers() {
	"$UTCPCTL" -S "$SOCK" dns --json |
		json_eval '" ".join(s["address"] for s in j["dns"]["servers"])'
}

# if_dns: the interface's DNS servers, as `utcpctl ifaces --json` shows.
if_dns() {
	"$UTCPCTL" -S "$SOCK" ifaces --json | json_eval 'j["interfaces"][0]["dns"]'
}

# debug_lines: how many debug lines the log has.
debug_lines() {
	grep -c ' debug: ' "$LOG" || true
}

# more_debug_lines N: the log has more than N debug lines (for wait_for).
more_debug_lines() {
	(($(debug_lines) > $1))
}

# echo_once WORD: writes WORD to the connection and waits for its echo.
sent=0
echo_once() {
	printf '%s\n' "$1" >&7
	sent=$((sent + 1))
	wait_for output_is "$sent" grep -c . "$TMP/echoed" ||
		fail "no echo of $1: got $(cat "$TMP/echoed")"
	[[ $(tail -n 1 "$TMP/echoed") == "$1" ]] ||
		fail "echo of $1: $(tail -n 1 "$TMP/echoed")"
}

# conn_ports: the kernel's established connection on PORT, "LOCAL PEER".
conn_ports() {
	ip netns exec "$NS" ss -Htn state established "( sport = :$PORT )" |
		awk '{print $3, $4}'
}

say "a connection to a kernel echo server, through utcp-nc"
start_ns_bg socat "TCP-LISTEN:$PORT,bind=$KERNEL_IP,reuseaddr" EXEC:cat
wait_for ns_sockets "$NS" -Hntl "sport = :$PORT" ||
	fail "socat is not listening on $PORT"
mkfifo "$TMP/in"
exec 7<>"$TMP/in"
start_bg "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" "$PORT" <"$TMP/in" >"$TMP/echoed" 7>&-
nc_pid=$BG_PID
echo_once before
ports=$(conn_ports)
[[ $ports == "$KERNEL_IP:$PORT $DAEMON_IP:"* ]] || fail "the connection: '$ports'"

say "the resolver asks $A: $NAME is 198.51.100.1"
[[ $(servers) == "$A" ]] || fail "servers: $(servers)"
out=$(resolve_ok -4 "$NAME")
[[ $(answer_addresses "$out") == 198.51.100.1 ]] || fail "resolve $NAME: $out"
[[ $(debug_lines) == 0 ]] || fail "debug lines at log_level info"

say "dns = $B and log_level = debug, SIGHUP"
sed -i "s/^dns = $A\$/dns = $B/" "$CONF"
sed -i 's/^\[daemon\]$/[daemon]\nlog_level = debug/' "$CONF"
hup
wait_for output_is "$B" servers || fail "servers after the reload: $(servers)"
[[ $(if_dns) == "['$B']" ]] || fail "ifaces' dns: $(if_dns)"
grep -q 'reload: \[interface utrl0\] dns applied' "$LOG" ||
	fail "the reload did not log dns: $(tail -n 8 "$LOG")"
grep -q 'reload: \[daemon\] log_level applied' "$LOG" ||
	fail "the reload did not log log_level: $(tail -n 8 "$LOG")"
grep -q 'dns: cache flushed' "$LOG" || fail "the cache was not flushed"
! grep -q 'needs a restart' "$LOG" || fail "a restart asked for: $(grep 'needs a restart' "$LOG")"

say "$NAME now resolves through $B to 198.51.100.2"
out=$(resolve_ok -4 "$NAME")
[[ $(answer_addresses "$out") == 198.51.100.2 ]] || fail "resolve $NAME: $out"
[[ $(json_eval 'j["server"]' <<<"$out") == "$B" ]] || fail "resolve $NAME: $out"
wait_for grep -q ' debug: control: client [0-9]* connected' "$LOG" ||
	fail "no debug line after the reload"

say "the connection still echoes both ways, on the same ports"
echo_once after
[[ $(conn_ports) == "$ports" ]] || fail "the connection is now '$(conn_ports)', was '$ports'"
kill -0 "$nc_pid" || fail "utcp-nc exited"

say "mtu = 1400: logged with its line as needing a restart, not applied"
sed -i 's/^mtu = 1500$/mtu = 1400/' "$CONF"
line=$(grep -n '^mtu = 1400$' "$CONF" | cut -d: -f1)
hup
grep -q "$CONF:$line: \\[interface $TAP0\\] mtu changed: needs a restart" "$LOG" ||
	fail "no 'needs a restart' with $CONF:$line: $(tail -n 5 "$LOG")"
grep -q 'reload: nothing to apply' "$LOG" || fail "something applied: $(tail -n 5 "$LOG")"
[[ $("$UTCPCTL" -S "$SOCK" --json ifaces | json_eval '[i["mtu"] for i in j["interfaces"]]') == \
	"[1500]" ]] || fail "utcpctl ifaces: $("$UTCPCTL" -S "$SOCK" ifaces)"

say "a broken line: its file and line are logged, nothing changes"
printf 'this is not a key\n' >>"$CONF"
line=$(wc -l <"$CONF")
sed -i "s/^dns = $B\$/dns = $A/" "$CONF"
hup
grep -q "reload: $CONF:$line: .*: nothing changed" "$LOG" ||
	fail "the broken line was not reported: $(tail -n 5 "$LOG")"
[[ $(servers) == "$B" ]] || fail "servers after a broken reload: $(servers)"
echo_once still
[[ $(conn_ports) == "$ports" ]] || fail "the connection is now '$(conn_ports)'"
debug=$(debug_lines)
"$UTCPCTL" -S "$SOCK" status >/dev/null
wait_for more_debug_lines "$debug" || fail "log_level is no longer debug"
[[ $(if_dns) == "['$B']" ]] || fail "ifaces' dns: $(if_dns)"

exec 7>&-
wait_for not kill -0 "$nc_pid" 2>/dev/null || fail "utcp-nc did not end"
nc_status=0
wait "$nc_pid" || nc_status=$?
((nc_status == 0)) || fail "utcp-nc exited $nc_status"
pass
