#!/bin/bash
# control_limits: the control socket is shared fairly. One user holding
# every control connection it may (1000 attempts) and every UDP socket
# it may does not lock out `utcpctl status` (root's or another user's),
# nor stop a second user from opening its sockets; clients that never
# say HELLO are closed at the HELLO timeout; a port below 1024 needs
# root. The users are unprivileged uids (setpriv) on a socket every
# user may open, as a group-accessible socket would be.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

: "${CONTROL_LIMITS_HELPER:?CONTROL_LIMITS_HELPER must name the helper}"
command -v setpriv >/dev/null || skip "no setpriv"

ATTACKER=65534 # nobody
OTHER=65533
SILENT=65532

make_namespace
write_config limits-test utlim 10.77.41 \
	'[control]' \
	'clients_per_uid = 16' \
	'udp_per_client = 8' \
	'udp_per_uid = 8' \
	'hello_timeout_ms = 2000'
chmod 0755 "$TMP"
start_daemon_with_config --socket-mode 0666
base_fds=$(daemon_fds)

# Room for the holder's 1000 descriptors; "${as[@]}" UID runs a
# program as an unprivileged user (its PID the program's own).
ulimit -n 4096
as=(setpriv --clear-groups)

# has_line FILE PATTERN: FILE has a line matching PATTERN (for wait_for).
has_line() {
	grep -q "$2" "$1"
}

say "the daemon logs how many connections its descriptors allow"
grep 'RLIMIT_NOFILE .*descriptors for [0-9]* TCP connections' "$LOG" ||
	fail "no descriptor budget in the log"

say "user $ATTACKER takes every UDP socket it may"
start_bg "${as[@]}" --reuid="$ATTACKER" --regid="$ATTACKER" "$CONTROL_LIMITS_HELPER" "$SOCK" udp 100 \
	>"$TMP/udp1.out"
wait_for has_line "$TMP/udp1.out" opened || fail "the UDP helper did not report"
cat "$TMP/udp1.out"
grep -q '^opened 8: Too many open files' "$TMP/udp1.out" ||
	fail "expected 8 sockets, then EMFILE"

say "user $ATTACKER tries 1000 control connections and holds what it gets"
start_bg "${as[@]}" --reuid="$ATTACKER" --regid="$ATTACKER" "$CONTROL_LIMITS_HELPER" "$SOCK" hello 1000 \
	>"$TMP/hold.out"
wait_for -t 30 has_line "$TMP/hold.out" held || fail "the holder did not report"
cat "$TMP/hold.out"
grep -q '^held 15 refused 985: Too many users' "$TMP/hold.out" ||
	fail "expected 15 held (16 with the UDP client), the rest EUSERS"

say "utcpctl status still answers, for root and for another user"
"$UTCPCTL" -S "$SOCK" status >/dev/null || fail "root's utcpctl locked out"
"${as[@]}" --reuid="$OTHER" --regid="$OTHER" "$UTCPCTL" -S "$SOCK" status >/dev/null ||
	fail "user $OTHER's utcpctl locked out"

say "user $OTHER still gets its UDP sockets"
start_bg "${as[@]}" --reuid="$OTHER" --regid="$OTHER" "$CONTROL_LIMITS_HELPER" "$SOCK" udp 5 >"$TMP/udp2.out"
wait_for has_line "$TMP/udp2.out" opened || fail "the second UDP helper did not report"
cat "$TMP/udp2.out"
grep -qx 'opened 5' "$TMP/udp2.out" || fail "user $OTHER was stopped"

say "clients that never say HELLO are closed at the timeout"
"${as[@]}" --reuid="$SILENT" --regid="$SILENT" "$CONTROL_LIMITS_HELPER" "$SOCK" idle 40 >"$TMP/idle.out" ||
	fail "the silent helper failed"
cat "$TMP/idle.out"
grep -qx 'idle 40 closed 40' "$TMP/idle.out" || fail "silent clients stayed"
grep -q 'no HELLO within 2000 ms' "$LOG" || fail "the timeout was not logged"
# 16 fit in the uid's share and time out; the other 24 were refused
[[ $(counter control_dropped_hello_timeout) == 16 ]] ||
	fail "control_dropped_hello_timeout: $(counter control_dropped_hello_timeout), expected 16"

say "a port below 1024 needs root"
out=$("${as[@]}" --reuid="$OTHER" --regid="$OTHER" "$CONTROL_LIMITS_HELPER" "$SOCK" bind 53)
echo "$out"
[[ $out == "refused 53: Permission denied" ]] || fail "user $OTHER bound :53"
out=$("${as[@]}" --reuid="$OTHER" --regid="$OTHER" "$CONTROL_LIMITS_HELPER" "$SOCK" bind 1053)
[[ $out == "bound 1053" ]] || fail "user $OTHER could not bind :1053: $out"
out=$("$CONTROL_LIMITS_HELPER" "$SOCK" bind 53)
[[ $out == "bound 53" ]] || fail "root could not bind :53: $out"

say "when the holders go, the daemon's descriptors return to their baseline"
for pid in "${STARTED_PIDS[@]}"; do
	stop_bg "$pid"
done
STARTED_PIDS=()
wait_for output_is "$base_fds" daemon_fds ||
	fail "descriptors: $(daemon_fds), baseline $base_fds"
"$UTCPCTL" -S "$SOCK" status >/dev/null || fail "status after the holders"

pass
