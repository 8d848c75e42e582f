#!/bin/bash
# syslog_remote: with a log server (here --log-server, no DHCP needed)
# every line utcpd logs also goes, as RFC 5424 syslog over UDP, through
# utcpd's own stack to that server: a socat in the namespace that takes
# datagrams only from utcpd's address receives them.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

net=10.83.0
port=5514
got=$TMP/syslog.txt

make_namespace
say "a socat syslog receiver on the kernel's side, port $port, taking only $net.2"
: >"$got"
start_ns_bg socat -u "UDP-RECV:$port,range=$net.2/32" "OPEN:$got,creat,append"
wait_for kernel_udp_bound "$port" || fail "socat is not listening on $port"

start_daemon sysl utsysl0 "$net" --log-server "$net.1:$port"
pid=$DAEMON_PID

# received PATTERN: true when a received datagram matches the ERE
# PATTERN. socat appends datagrams as they come, and a syslog datagram
# has no newline of its own: each is cut out at its "<PRI>1 ".
received() {
	sed -E 's/<[0-9]+>1 /\n&/g' "$got" | grep -Eq "$1"
}

# Each datagram is one line: <PRI>1 TIMESTAMP HOSTNAME APP PROCID - - MSG
stamp='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
say "the start-up lines arrive: notice is <29>, with the name and the pid"
wait_for received "^<29>1 $stamp sysl utcpd $pid - - running: 1 interface, control socket " ||
	fail "no start-up line received: $(head -c 600 "$got")"
wait_for received "^<29>1 $stamp sysl utcpd $pid - - ready: every interface is configured" ||
	fail "no ready line received: $(head -c 600 "$got")"

say "a line logged later (SIGHUP, info: <30>) arrives too"
kill -HUP "$pid"
wait_for received "^<30>1 $stamp sysl utcpd $pid - - SIGHUP: reopening the log" ||
	fail "the SIGHUP line was not received: $(tail -c 600 "$got")"

say "the local log has the same lines"
grep -q "ready: every interface is configured" "$LOG" || fail "not in the local log"
grep -q "SIGHUP: reopening the log" "$LOG" || fail "not in the local log"

say "utcpd's own UDP socket is the sender, connected to the server"
status_text=$("$UTCPCTL" -S "$SOCK" status -a) # whole, then grep: no SIGPIPE
grep -Eq "udp +0\.0\.0\.0:[0-9]+ +$net\.1:$port " <<<"$status_text" ||
	fail "no UDP socket to $net.1:$port in status: $status_text"

say "on SIGTERM it counts what it sent"
stop_daemon TERM || fail "utcpd did not stop cleanly"
grep -Eq "remote syslog: [0-9]+ lines sent, 0 dropped" "$LOG" ||
	fail "no count of lines sent: $(tail -n 3 "$LOG")"

pass
