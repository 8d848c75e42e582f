#!/bin/bash
# shutdown: SIGTERM stops utcpd with exit status 0, removes its control
# socket and releases the TAP it created (which disappears); a
# persistent TAP made beforehand with ip tuntap is attached to and
# survives the daemon. SIGHUP (reopen the log) leaves it running.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon shutdown utshut 10.77.8

say "SIGHUP leaves utcpd running"
kill -s HUP "$DAEMON_PID"
# The loop that answers status also handles the signal; had SIGHUP's
# default action applied, utcpd would be gone before it answered.
"$UTCPCTL" -S "$SOCK" status >/dev/null || fail "no status after SIGHUP"
daemon_alive || fail "utcpd died on SIGHUP"

say "SIGTERM: exit status 0, control socket removed, TAP gone"
status=0
stop_daemon TERM || status=$?
((status == 0)) || fail "exit status $status on SIGTERM"
[[ ! -e $SOCK ]] || fail "control socket $SOCK left behind"
wait_for -t 5 tap_gone "$TAP" || fail "$TAP still exists"

say "a persistent TAP made with ip tuntap is attached to and survives"
ip -n "$NS" tuntap add dev utpersist mode tap
PERSISTENT_TAPS+=(utpersist)
write_config shutdown-persist utpersist 10.77.7
start_daemon_with_config
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null ||
	fail "utcpd on the persistent TAP does not answer ping"
say "SIGINT: exit status 0, control socket removed, persistent TAP kept"
status=0
stop_daemon INT || status=$?
((status == 0)) || fail "exit status $status on SIGINT"
[[ ! -e $SOCK ]] || fail "control socket $SOCK left behind"
ip -n "$NS" link show dev utpersist >/dev/null ||
	fail "the persistent TAP utpersist was removed"

pass
