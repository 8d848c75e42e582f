#!/bin/bash
# dns_evil: the daemon's only DNS server is hostile (dns_evil_server.py):
# an answer from the wrong source port is not taken, the right one is;
# an answer with a compression loop is dropped and counted
# (dns_rx_drop_pointer) and the lookup still ends (again); a TCP answer
# (after TC) that announces 65535 bytes and never finishes times out,
# the lookup ends (again) and the daemon closes the connection.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/dhcp_lib.sh
. "$(dirname "$0")/dhcp_lib.sh"
# shellcheck source=SCRIPTDIR/dns_lib.sh
. "$(dirname "$0")/dns_lib.sh"

NET=10.78.57
TAP0=utdnse0
EVIL=$NET.1

make_namespace
write_config utcp-dnse "$TAP0" "$NET" "dns = $EVIL"
printf '\n[dns]\ntimeout_ms = 300\nattempts = 1\n' >>"$CONF"
start_daemon_with_config

start_ns_bg "$PYTHON" "$(dirname "$0")/dns_evil_server.py" "$EVIL" "$TMP/evil"
evil_bound() {
	ns_sockets "$NS" -Hnul "src $EVIL and sport = :53" &&
		ns_sockets "$NS" -Hntl "src $EVIL and sport = :53"
}
wait_for evil_bound || fail "the hostile server does not listen on $EVIL:53"

say "spoof.ev.test: the answer from port 5353 is not taken, the one from 53 is"
out=$(resolve_ok -4 spoof.ev.test)
[[ $(json_eval '[j["server_port"], [a["address"] for a in j["addresses"]]]' <<<"$out") == \
	"[53, ['198.51.100.7']]" ]] || fail "resolve spoof.ev.test: $out"

say "loop.ev.test: a compression loop is dropped and counted; the lookup ends"
drops=$(counter dns_rx_drop_pointer)
[[ $(resolve_error -4 loop.ev.test) == again ]] || fail "loop.ev.test did not end with again"
(($(counter dns_rx_drop_pointer) > drops)) || fail "dns_rx_drop_pointer stayed $drops"

say "big.ev.test: TC, then a TCP answer that never ends: timed out, closed"
timeouts=$(counter dns_timeouts)
[[ $(resolve_error -4 big.ev.test) == again ]] || fail "big.ev.test did not end with again"
grep -q "^tcp big$" "$TMP/evil" || fail "no TCP query reached the server: $(cat "$TMP/evil")"
(($(counter dns_timeouts) > timeouts)) || fail "dns_timeouts stayed $timeouts"
wait_for grep -q "^tcp closed$" "$TMP/evil" || fail "the daemon kept the TCP connection open"
[[ $(dns_query 'dns["lookups_pending"]') == 0 ]] ||
	fail "lookups pending: $(dns_query 'dns["lookups_pending"]')"

pass
