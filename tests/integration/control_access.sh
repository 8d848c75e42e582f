#!/bin/bash
# control_access: who may use the control socket, and what for. The
# socket gets the configured owner and group ([daemon] socket_owner,
# socket_group) and mode 0660: a user in the group connects, one
# outside gets utcpctl's one line naming the group. An unprivileged
# user cannot listen on port 80 and can on 8080; a member of
# privileged_group can on 80; a user outside listen_groups cannot
# listen at all. A client sending garbage is dropped and counted while
# another client's TCP connection keeps moving data. utcpctl's errors
# for a user at its share of clients and for a bad path. Users are
# unprivileged uids with chosen groups (setpriv); the groups need not
# exist by name.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

: "${CONTROL_LIMITS_HELPER:?CONTROL_LIMITS_HELPER must name the helper}"
command -v setpriv >/dev/null || skip "no setpriv"

SOCK_GROUP=64990 # may use the socket
PRIV_GROUP=64991 # may use ports below 1024
LISTEN_GROUP=64992 # may listen
OWNER=65533
USER_ID=65532 # a user of the socket's group

make_namespace
write_config access-test utacc 10.77.42 \
	'[control]' \
	"privileged_group = $PRIV_GROUP" \
	"listen_groups = $LISTEN_GROUP 0" \
	'clients_per_uid = 4'
# [daemon] keys go in its section: after the socket line
sed -i "s|^socket = .*|&\nsocket_owner = $OWNER\nsocket_group = $SOCK_GROUP\nsocket_mode = 0660|" "$CONF"
chmod 0755 "$TMP"
start_daemon_with_config

# as UID GROUPS PROGRAM...: runs PROGRAM as UID (its own gid) with the
# supplementary GROUPS (comma-separated, "-" for none).
as() {
	local uid=$1 groups=$2
	shift 2
	if [[ $groups == - ]]; then
		setpriv --reuid="$uid" --regid="$uid" --clear-groups "$@"
	else
		setpriv --reuid="$uid" --regid="$uid" --groups="$groups" "$@"
	fi
}

say "the socket has the configured owner, group and mode"
got=$(stat -c '%u %g %a' "$SOCK")
[[ $got == "$OWNER $SOCK_GROUP 660" ]] ||
	fail "socket owner, group, mode: $got, expected $OWNER $SOCK_GROUP 660"

say "a member of the socket's group connects; a user outside it is told which group"
as "$USER_ID" "$SOCK_GROUP" "$UTCPCTL" -S "$SOCK" status >/dev/null ||
	fail "a member of group $SOCK_GROUP could not use the socket"
as "$OWNER" - "$UTCPCTL" -S "$SOCK" status >/dev/null ||
	fail "the socket's owner could not use it"
status=0
out=$(as "$USER_ID" - "$UTCPCTL" -S "$SOCK" status 2>"$TMP/err") || status=$?
((status == 1)) || fail "outsider: exit status $status, expected 1"
[[ -z $out ]] || fail "outsider: printed on stdout: $out"
want="utcpctl: permission denied on $SOCK (owner $OWNER, group $SOCK_GROUP, mode 0660: run as root or as a member of group $SOCK_GROUP)"
[[ $(cat "$TMP/err") == "$want" ]] ||
	fail "outsider: said \"$(cat "$TMP/err")\", expected \"$want\""

say "a user holding its share of control connections is told so by utcpctl"
start_bg setpriv --reuid="$USER_ID" --regid="$USER_ID" --groups="$SOCK_GROUP" \
	"$CONTROL_LIMITS_HELPER" "$SOCK" hello 4 >"$TMP/hold.out"
holder=$BG_PID
wait_for grep -q held "$TMP/hold.out" || fail "the holder did not report"
grep -qx 'held 4 refused 0: none' "$TMP/hold.out" || fail "holder: $(cat "$TMP/hold.out")"
refused=$(counter control_clients_refused)
status=0
as "$USER_ID" "$SOCK_GROUP" "$UTCPCTL" -S "$SOCK" status >/dev/null 2>"$TMP/err" || status=$?
((status == 1)) || fail "over clients_per_uid: exit status $status, expected 1"
want="utcpctl: utcpd at $SOCK refused the connection: too many clients (close some, or raise [control] clients_max or clients_per_uid)"
[[ $(cat "$TMP/err") == "$want" ]] ||
	fail "over clients_per_uid: said \"$(cat "$TMP/err")\", expected \"$want\""
"$UTCPCTL" -S "$SOCK" status >/dev/null || fail "root was refused meanwhile"
[[ $(counter control_clients_refused) == $((refused + 1)) ]] ||
	fail "control_clients_refused: $(counter control_clients_refused), expected $((refused + 1))"
stop_bg "$holder"
wait_for as "$USER_ID" "$SOCK_GROUP" "$UTCPCTL" -S "$SOCK" status >/dev/null ||
	fail "the holder's connections stayed"

say "a socket path through a file: one line, exit 1"
status=0
"$UTCPCTL" -S /etc/passwd/utcpd.sock status 2>"$TMP/err" || status=$?
((status == 1)) || fail "bad path: exit status $status, expected 1"
[[ $(cat "$TMP/err") == "utcpctl: bad socket path /etc/passwd/utcpd.sock: Not a directory (see -S)" ]] ||
	fail "bad path: said \"$(cat "$TMP/err")\""

say "port 80 needs privileged_group, 8080 does not; listening needs listen_groups"
listen_as() { # GROUPS PORT: prints the helper's line
	as "$USER_ID" "$1" "$CONTROL_LIMITS_HELPER" "$SOCK" listen "$2"
}
out=$(listen_as "$SOCK_GROUP,$LISTEN_GROUP" 80)
[[ $out == "refused 80: Permission denied" ]] || fail "unprivileged listen :80: $out"
out=$(listen_as "$SOCK_GROUP,$LISTEN_GROUP" 8080)
[[ $out == "listening 8080" ]] || fail "unprivileged listen :8080: $out"
out=$(listen_as "$SOCK_GROUP,$LISTEN_GROUP,$PRIV_GROUP" 80)
[[ $out == "listening 80" ]] || fail "privileged_group member listen :80: $out"
out=$(listen_as "$SOCK_GROUP" 8080)
[[ $out == "refused 8080: Permission denied" ]] ||
	fail "listen outside listen_groups: $out"
out=$(as "$USER_ID" "$SOCK_GROUP" "$CONTROL_LIMITS_HELPER" "$SOCK" bind 8080)
[[ $out == "bound 8080" ]] || fail "UDP bind outside listen_groups: $out"
out=$(as "$USER_ID" "$SOCK_GROUP" "$CONTROL_LIMITS_HELPER" "$SOCK" bind 80)
[[ $out == "refused 80: Permission denied" ]] || fail "unprivileged UDP bind :80: $out"
out=$("$CONTROL_LIMITS_HELPER" "$SOCK" listen 80)
[[ $out == "listening 80" ]] || fail "root listen :80: $out"
grep -q 'not in listen_groups: listen refused' "$LOG" ||
	fail "the listen refusal was not logged"

say "a TCP connection through another client, to the kernel"
start_ns_bg socat "TCP-LISTEN:6400,bind=$KERNEL_IP,reuseaddr" SYSTEM:cat
wait_for output_is 1 sh -c "ip netns exec $NS ss -Hntl 'sport = :6400' | wc -l" ||
	fail "socat is not listening on 6400"
mkfifo "$TMP/conn_in"
exec 3<>"$TMP/conn_in"
start_bg "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" 6400 <"$TMP/conn_in" >"$TMP/conn_out"
printf 'before the garbage\n' >&3
wait_for grep -q "before the garbage" "$TMP/conn_out" || fail "no echo before"

say "clients sending garbage are dropped and counted"
malformed=$(counter control_dropped_malformed)
before=$(counter control_dropped_before_hello)
as "$USER_ID" "$SOCK_GROUP" "$PYTHON" - "$SOCK" <<'PY' || fail "the garbage clients were not dropped"
import select, socket, struct, sys
def dropped(packet):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    s.send(packet)
    r, _, _ = select.select([s], [], [], 10)
    ok = bool(r) and s.recv(4096) == b""
    s.close()
    return ok
# bad magic; a packet shorter than a header; BARRIER before HELLO
bad_magic = struct.pack(">HBBHHII", 0x4142, 1, 0, 1, 0, 16, 1)
barrier = struct.pack(">HBBHHII", 0x5554, 1, 0, 7, 0, 16, 2)
sys.exit(0 if all(dropped(p) for p in (bad_magic, b"\x55", barrier)) else 1)
PY
[[ $(counter control_dropped_malformed) == $((malformed + 2)) ]] ||
	fail "control_dropped_malformed: $(counter control_dropped_malformed), expected $((malformed + 2))"
[[ $(counter control_dropped_before_hello) == $((before + 1)) ]] ||
	fail "control_dropped_before_hello: $(counter control_dropped_before_hello), expected $((before + 1))"
counters=$("$UTCPCTL" -S "$SOCK" counters) || fail "utcpctl counters failed"
grep -q '^control$' <<<"$counters" || fail "utcpctl counters shows no control layer"
printf 'after the garbage\n' >&3
wait_for grep -q "after the garbage" "$TMP/conn_out" ||
	fail "the other client's connection stopped moving data"

pass
