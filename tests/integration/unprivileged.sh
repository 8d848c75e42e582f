#!/bin/bash
# unprivileged: the daemon running as an unprivileged user (nobody).
#
#   1. started as root with `user = nobody` on a TAP it creates: after
#      setting up it runs with nobody's uid and gid (all four of each in
#      /proc/PID/status) and no capability at all (a TAP it created
#      needs none to close); the first connections' descriptors (those
#      of pairs made ahead among them) were made by nobody, as SO_PEERCRED
#      on the application's end says; it answers ping and carries a TCP
#      exchange;
#   2. started by setpriv as nobody with only CAP_NET_ADMIN (ambient, as
#      systemd's AmbientCapabilities= gives it): the same, its control
#      socket in a directory nobody may write; and started so with a
#      socket directory it may not write, it says so and exits 1;
#   3. started as root with `user = nobody` on a DHCP interface whose
#      persistent TAP must get its link back at the end: it keeps
#      CAP_NET_ADMIN alone, saves its lease as nobody in the state
#      directory (given to nobody), renews it (T1 of 3 s) and carries a
#      TCP exchange after the renewal;
#   4. `user = ` naming no user: a configuration error (exit 2).
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/dhcp_lib.sh
. "$(dirname "$0")/dhcp_lib.sh"

require_root
require_dnsmasq
: "${SOCK_HELPER:?SOCK_HELPER must name the sock_helper binary}"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is missing"
NOBODY=$(id -u nobody 2>/dev/null) || skip "no user nobody"
NOGROUP=$(id -g nobody)
CAP_NET_ADMIN_ONLY=0000000000001000 # bit 12
# A process that changed its uid is not dumpable: LeakSanitizer cannot
# stop its threads to look for leaks. The other tests check for leaks.
if [[ ${UTCP_SANITIZED:-0} == 1 ]]; then
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
fi
# nobody reads the configuration and the state directory under $TMP.
chmod 0711 "$TMP"

# proc_field NAME: the daemon's /proc/PID/status field NAME, its values
# separated by single spaces.
proc_field() {
	awk -v f="$1:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' \
		"/proc/$DAEMON_PID/status"
}

# expect_ids CAPEFF [CAPAMB]: the daemon runs as nobody with CapEff and
# CapPrm CAPEFF, CapAmb CAPAMB (default none: the drop clears it).
expect_ids() {
	[[ $(proc_field Uid) == "$NOBODY $NOBODY $NOBODY $NOBODY" ]] ||
		fail "Uid $(proc_field Uid), want nobody's ($NOBODY) four times"
	[[ $(proc_field Gid) == "$NOGROUP $NOGROUP $NOGROUP $NOGROUP" ]] ||
		fail "Gid $(proc_field Gid), want $NOGROUP four times"
	[[ $(proc_field CapEff) == "$1" ]] ||
		fail "CapEff $(proc_field CapEff), want $1"
	[[ $(proc_field CapPrm) == "$1" ]] ||
		fail "CapPrm $(proc_field CapPrm), want $1"
	[[ $(proc_field CapAmb) == "${2:-0000000000000000}" ]] ||
		fail "CapAmb $(proc_field CapAmb), want ${2:-0000000000000000}"
	say "  uid/gid $NOBODY/$NOGROUP, CapEff $1"
}

# tcp_exchange PORT: the kernel pings the daemon, and 64 KiB go from
# utcp-nc to a kernel socat on PORT, intact.
tcp_exchange() {
	local port=$1
	nsx ping -c 1 -W 5 "$DAEMON_IP" >/dev/null || fail "no ping reply from $DAEMON_IP"
	random_file "$TMP/sent-$port" 65536
	start_ns_bg socat -u "TCP-LISTEN:$port,bind=$KERNEL_IP,reuseaddr" \
		"CREATE:$TMP/got-$port"
	wait_for kernel_tcp_listening "$port" || fail "socat is not listening on $port"
	timeout 30 "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" "$port" <"$TMP/sent-$port" ||
		fail "utcp-nc to $KERNEL_IP:$port failed"
	wait_for file_has_size "$TMP/got-$port" 65536 ||
		fail "the kernel received $(file_size "$TMP/got-$port") of 65536 bytes"
	[[ $(sha "$TMP/got-$port") == $(sha "$TMP/sent-$port") ]] ||
		fail "the kernel received different bytes"
	say "  ping answered, 64 KiB over TCP to port $port intact"
}

# peercreds_are_nobody PORT: the first connections, 3 with a blocking
# descriptor and 3 with a non-blocking one (more than the pairs made
# ahead of each kind), to a kernel listener on PORT: the application's
# end of each reports nobody's uid (SO_PEERCRED: who made the pair),
# not root's, which made pairs before the privilege drop.
peercreds_are_nobody() {
	local port=$1 out
	start_ns_bg python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(16)
time.sleep(60)' "$KERNEL_IP" "$port"
	wait_for kernel_tcp_listening "$port" || fail "no listener on $port"
	out=$("$SOCK_HELPER" -S "$SOCK" peercred "$KERNEL_IP" "$port" 3) ||
		fail "peercred failed"
	[[ $(sort -u <<<"$out") == "uid $NOBODY" ]] ||
		fail "the first connections' ends were made by: $(tr '\n' ' ' <<<"$out"), want uid $NOBODY"
	stop_bg "$BG_PID"
	say "  the first 6 connections' ends: made by uid $NOBODY"
}

# add_daemon_key LINE: adds LINE to $CONF's [daemon] section.
add_daemon_key() {
	sed -i "/^\[daemon\]\$/a $1" "$CONF"
}

say "1. root with user = nobody, a TAP it creates: no capability left"
make_namespace
write_config unpriv-a utpv0 10.78.41
add_daemon_key "user = nobody"
start_daemon_with_config
expect_ids 0000000000000000
daemon_log_has "running as uid $NOBODY gid $NOGROUP nobody, capabilities: none" ||
	fail "no log line about the drop"
peercreds_are_nobody 7404
tcp_exchange 7401
stop_daemon TERM || fail "utcpd (user = nobody) exited with an error"
tap_gone utpv0 || fail "the TAP it created outlived it"

say "2. started as nobody with only CAP_NET_ADMIN (setpriv, ambient)"
RUNDIR=$TMP/run
mkdir "$RUNDIR"
chown "$NOBODY:$NOGROUP" "$RUNDIR"
write_config unpriv-b utpv2 10.78.42
sed -i "s|^socket = .*|socket = $RUNDIR/utcpd.sock|" "$CONF"
SOCK=$RUNDIR/utcpd.sock
chmod 0644 "$CONF"
# ip netns exec runs the wrapper in a mount namespace of its own: there
# a /dev/net/tun that nobody may not open (udev makes it 0666, some
# containers 0600) is covered by a node of mode 0666.
cat >"$TMP/as-nobody" <<EOF
#!/bin/sh
set -e
if ! setpriv --reuid=$NOBODY --regid=$NOGROUP --clear-groups \
	sh -c ': <>/dev/net/tun' 2>/dev/null; then
	[ -e "$TMP/tun" ] || mknod -m 0666 "$TMP/tun" c 10 200
	mount --bind "$TMP/tun" /dev/net/tun
fi
exec setpriv --reuid=$NOBODY --regid=$NOGROUP --clear-groups \
	--inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin \
	--bounding-set=-all,+net_admin "$UTCPD" "\$@"
EOF
chmod 0755 "$TMP/as-nobody"
REAL_UTCPD=$UTCPD
UTCPD=$TMP/as-nobody
start_daemon_with_config
expect_ids "$CAP_NET_ADMIN_ONLY" "$CAP_NET_ADMIN_ONLY"
tcp_exchange 7402
stop_daemon TERM || fail "utcpd (setpriv) exited with an error"

say "   a socket directory nobody may not write: a clear error, exit 1"
mkdir -m 0755 "$TMP/rootonly"
sed -i "s|^socket = .*|socket = $TMP/rootonly/utcpd.sock|" "$CONF"
sed -i "s|^\[interface utpv2\]|[interface utpv3]|" "$CONF"
status=0
ip netns exec "$NS" "$UTCPD" -c "$CONF" 2>"$TMP/denied.log" || status=$?
UTCPD=$REAL_UTCPD
((status == 1)) || fail "exit status $status, want 1: $(tail -n 3 "$TMP/denied.log")"
grep -q "control socket directory $TMP/rootonly: Permission denied for uid $NOBODY; make it writable" "$TMP/denied.log" ||
	fail "no clear error: $(tail -n 3 "$TMP/denied.log")"
say "  $(grep -o 'control socket directory.*' "$TMP/denied.log")"

say "3. root with user = nobody on DHCP over a persistent TAP: CAP_NET_ADMIN kept"
NET=10.78.43
server_tap utpv4 "$NET"
start_dnsmasq "$NS" utpv4 "$NET" --dhcp-option=option:T1,3 \
	--dhcp-option=option:T2,10
write_dhcp_config unpriv-c utpv4 "$NET"
add_daemon_key "user = nobody"
: >"$LOG"
start_dhcp_daemon
wait_bound utpv4
expect_ids "$CAP_NET_ADMIN_ONLY"
[[ $(stat -c %u:%g "$STATE_DIR") == "$NOBODY:$NOGROUP" ]] ||
	fail "state_dir owned by $(stat -c %u:%g "$STATE_DIR")"
wait_for test -s "$STATE_DIR/lease-utpv4" || fail "no lease file"
[[ $(stat -c %u "$STATE_DIR/lease-utpv4") == "$NOBODY" ]] ||
	fail "the lease file was written by uid $(stat -c %u "$STATE_DIR/lease-utpv4")"
renewed() {
	daemon_log_has "utpv4: dhcp RENEWING -> BOUND"
}
wait_for -t 15 renewed || fail "no renewal within 15 s"
say "  renewed (RENEWING -> BOUND) as nobody"
! daemon_log_has "saving the lease" || fail "a lease could not be saved"
tcp_exchange 7403
stop_daemon TERM || fail "utcpd (DHCP, user = nobody) exited with an error"
! daemon_log_has "restoring the link" ||
	fail "the persistent TAP was not restored: $(grep 'restoring the link' "$LOG")"

say "4. user = naming no user: a configuration error"
write_config unpriv-d utpv5 10.78.44
add_daemon_key "user = utcpt-no-such-user"
status=0
ip netns exec "$NS" "$UTCPD" -c "$CONF" 2>"$TMP/nouser.log" || status=$?
((status == 2)) || fail "exit status $status, want 2"
grep -q "user = utcpt-no-such-user: no such user" "$TMP/nouser.log" ||
	fail "no clear error: $(cat "$TMP/nouser.log")"
pass
