#!/bin/bash
# config_errors: a configuration with an unknown section or key, or a
# bad value, stops utcpd with "FILE:LINE: reason" and exit status 2.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

# utcpd must stop before it creates a TAP; should it not, the TAP is
# made in a namespace of the test's own, never in the caller's.
if ((EUID == 0)) && [[ -c /dev/net/tun ]]; then
	make_namespace
	run() { ip netns exec "$NS" "$@"; }
else
	run() { "$@"; }
fi

# expect_error LINE WHAT CONFIG: CONFIG (text) must be rejected with
# $conf:LINE: on stderr and exit status 2.
expect_error() {
	local line=$1 what=$2 text=$3 conf=$TMP/bad.conf status=0 err
	printf '%s\n' "$text" >"$conf"
	say "$what is reported at line $line, exit 2"
	err=$(run timeout 10 "$UTCPD" -c "$conf" --socket "$TMP/s.sock" 2>&1 >/dev/null) ||
		status=$?
	printf '  %s\n' "$err"
	((status == 2)) || fail "exit status $status, expected 2"
	grep -q "^$conf:$line: ." <<<"$err" || fail "no \"$conf:$line: reason\""
}

good_head='[daemon]
name = bad
socket = /nonexistent/utcpd.sock

[interface utbad0]'

expect_error 3 "an unknown key" '[daemon]
name = bad
colour = blue'

expect_error 4 "an unknown section" '[daemon]
name = bad

[nonsense]
key = value'

expect_error 8 "a bad address" "$good_head
mac = 02:00:00:00:00:09
dhcp = no
address = 10.0.0.300/24"

expect_error 8 "a prefix length over 32" "$good_head
mac = 02:00:00:00:00:09
dhcp = no
address = 10.0.0.2/33"

expect_error 6 "a bad MAC" "$good_head
mac = 02:00:00:zz:00:01
dhcp = no
address = 10.0.0.2/24"

expect_error 7 "a bad MTU" "$good_head
mac = 02:00:00:00:00:09
mtu = 12
dhcp = no
address = 10.0.0.2/24"

expect_error 6 "an unknown key in an interface" "$good_head
speed = fast"

expect_error 8 "an address with dhcp = yes" "$good_head
mac = 02:00:00:00:00:09
dhcp = yes
address = 10.0.0.2/24"

expect_error 6 "a bad client_id" "$good_head
client_id = serial"

expect_error 3 "a bad log_server" '[daemon]
name = bad
log_server = 10.0.0.1:99999'

say "--no-dhcp with an interface without an address exits 2, saying which"
status=0
printf '%s\n' "$good_head" >"$TMP/dhcp.conf"
err=$(run timeout 10 "$UTCPD" -c "$TMP/dhcp.conf" --no-dhcp 2>&1 >/dev/null) ||
	status=$?
printf '  %s\n' "$err"
((status == 2)) || fail "exit status $status, expected 2"
grep -q "^utcpd: --no-dhcp: interface utbad0 has no address" <<<"$err" ||
	fail "no reason naming the interface"

say "a bad --dns-servers exits 2"
status=0
err=$(run timeout 10 "$UTCPD" -c "$TMP/dhcp.conf" --dns-servers 1.2.3 2>&1 >/dev/null) ||
	status=$?
printf '  %s\n' "$err"
((status == 2)) || fail "exit status $status, expected 2"
grep -q '^utcpd: --dns-servers: bad dns server "1.2.3"' <<<"$err" ||
	fail "no reason"

say "a missing configuration file exits 2"
status=0
run timeout 10 "$UTCPD" -c "$TMP/none.conf" --socket "$TMP/s.sock" 2>/dev/null || status=$?
((status == 2)) || fail "exit status $status, expected 2"

pass
