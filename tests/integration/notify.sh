#!/bin/bash
# notify: the service manager's readiness protocol (Type=notify) against
# a listener on a test NOTIFY_SOCKET (notify_listener.py).
#
# A DHCP daemon started with no server: it sends DISCOVERs (at least
# two, read from its counters) and says nothing but STATUS "waiting for
# a lease"; no READY=1. dnsmasq starts: READY=1 arrives, and the
# listener's `utcpctl lease --json`, run the moment it arrives, shows
# the lease bound (READY never precedes the bind); STATUS names the
# address. WATCHDOG_USEC=200000 gives WATCHDOG=1 pings (at least 3);
# SIGTERM gives STOPPING=1. A static daemon, notifying an abstract
# socket name ('@...'), says READY=1 at once; with WATCHDOG_PID naming
# another process it starts no watchdog.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/dhcp_lib.sh
. "$(dirname "$0")/dhcp_lib.sh"

require_dnsmasq
NET=10.78.31
TAP0=utnf0
NOTIFY_LOG=$TMP/notify.log
READY_OUT=$TMP/ready-lease.json
LISTENER="$(dirname "$0")/notify_listener.py"

# notify_count LINE: how many notification lines equal LINE exactly.
notify_count() {
	grep -cx -- "$1" "$NOTIFY_LOG" || true
}
notify_at_least() {
	(($(notify_count "$1") >= $2))
}
listening() {
	grep -qx LISTENING "$NOTIFY_LOG"
}
discovers_at_least() {
	local n
	n=$("$UTCPCTL" -S "$SOCK" lease --json | "$PYTHON" -c '
import json, sys
l = json.load(sys.stdin)["leases"][0]
print(l["dhcp"]["counters"]["tx_discover"])') || return 1
	((n >= $1))
}

server_tap "$TAP0" "$NET"
write_dhcp_config nf-host "$TAP0" "$NET"
start_bg "$PYTHON" "$LISTENER" "$TMP/notify.sock" "$NOTIFY_LOG" "$READY_OUT" \
	"$UTCPCTL" -S "$TMP/utcpd.sock" lease --json
listener=$BG_PID
wait_for listening || fail "the listener does not listen"

say "a DHCP daemon with no server yet: DISCOVERs, no READY=1"
NOTIFY_SOCKET=$TMP/notify.sock WATCHDOG_USEC=200000 start_dhcp_daemon
wait_for -t 30 discovers_at_least 2 || fail "fewer than 2 DISCOVERs in 30 s"
wait_for notify_at_least "STATUS=$TAP0 waiting for a lease" 1 ||
	fail "no STATUS waiting for a lease: $(cat "$NOTIFY_LOG")"
(($(notify_count READY=1) == 0)) || fail "READY=1 before any lease"
[[ ! -e $READY_OUT ]] || fail "the listener saw READY=1"
say "  $(grep -c . "$NOTIFY_LOG") lines, no READY=1"

say "the watchdog: WATCHDOG=1 every 0.1 s"
wait_for notify_at_least WATCHDOG=1 3 ||
	fail "$(notify_count WATCHDOG=1) WATCHDOG=1 within 10 s"
daemon_log_has "watchdog: WATCHDOG=1 every 0.100 s" ||
	fail "the daemon did not log its watchdog interval"

say "dnsmasq starts: READY=1 once the lease is bound"
start_dnsmasq "$NS" "$TAP0" "$NET"
wait_for -t 40 notify_at_least READY=1 1 ||
	fail "no READY=1 within 40 s (state $(dhcp_state "$TAP0"))"
wait_for test -e "$READY_OUT" || fail "the listener did not run utcpctl"
bound=$("$PYTHON" -c '
import json, sys
l = json.load(open(sys.argv[1]))["leases"][0]
print(l["dhcp"]["state"], l["dhcp"]["bound"], l["dhcp"]["address"])' "$READY_OUT") ||
	fail "utcpctl lease --json at READY=1: $(cat "$READY_OUT")"
[[ $bound == "BOUND True $NET."* ]] ||
	fail "at READY=1 the lease was: $bound"
DAEMON_IP=${bound##* }
DAEMON_IP=${DAEMON_IP%/*}
say "  at READY=1: $bound"
notify_at_least "STATUS=$TAP0 $DAEMON_IP/24 (dhcp)" 1 ||
	fail "no STATUS naming $DAEMON_IP/24: $(grep STATUS= "$NOTIFY_LOG")"
# READY=1 and the STATUS naming the address came in one datagram.
grep -A1 -x READY=1 "$NOTIFY_LOG" | grep -qx "STATUS=$TAP0 $DAEMON_IP/24 (dhcp)" ||
	fail "READY=1 came without the STATUS: $(cat "$NOTIFY_LOG")"

say "SIGTERM: STOPPING=1"
stop_daemon TERM || fail "utcpd exited with an error on SIGTERM"
wait_for notify_at_least STOPPING=1 1 || fail "no STOPPING=1"
# The lease released on the way out changes no STATUS: the last is
# "stopping", in STOPPING=1's datagram.
wait_for notify_at_least STATUS=stopping 1 || fail "no STATUS=stopping"
[[ $(grep STATUS= "$NOTIFY_LOG" | tail -n 1) == STATUS=stopping ]] ||
	fail "a STATUS after stopping: $(grep STATUS= "$NOTIFY_LOG" | tail -n 2)"
(($(notify_count READY=1) == 1)) || fail "READY=1 $(notify_count READY=1) times"
stop_bg "$listener"

say "a static daemon notifying an abstract socket: READY=1 at once"
NOTIFY_LOG=$TMP/notify2.log
abstract="@utcpt-notify-$$-$RANDOM"
start_ns_bg "$PYTHON" "$LISTENER" "$abstract" "$NOTIFY_LOG" "$TMP/ready2"
wait_for listening || fail "the second listener does not listen"
write_config nf-static utnf1 10.78.32
: >"$LOG"
NOTIFY_SOCKET=$abstract WATCHDOG_USEC=200000 WATCHDOG_PID=1 \
	start_daemon_with_config
wait_for notify_at_least READY=1 1 || fail "no READY=1 from a static daemon"
notify_at_least "STATUS=utnf1 10.78.32.2/24 (static)" 1 ||
	fail "STATUS: $(grep STATUS= "$NOTIFY_LOG")"
# WATCHDOG_PID names another process: no watchdog (logged at start).
! daemon_log_has "watchdog:" || fail "a watchdog for another process's WATCHDOG_PID"
stop_daemon TERM || fail "utcpd exited with an error on SIGTERM"
wait_for notify_at_least STOPPING=1 1 || fail "no STOPPING=1 (abstract)"
pass
