#!/bin/bash
# dns_hostile: clients that start lookups which never end cannot take
# the resolver from the others. dnsmasq forwards slow.test to a socket
# that never answers, so lookups of its names stay pending for as long
# as [dns] timeout_ms and attempts allow (3 rounds of 8 s or more,
# longer than the test). A hostile client (dns_hostile_helper hold)
# starts such lookups until it is refused: exactly client_lookups_max
# are accepted, the next gets EAI_AGAIN; meanwhile another client
# resolves a good name, with the blocking and the non-blocking calls,
# and status counts the hostile client's lookups pending. A second
# hostile client, asking the same names, gets only what is left of the
# daemon's lookups_max (its lookups join the first one's questions in
# flight: dns_coalesced), and then another client's lookup is refused
# too. When the hostile clients disconnect, their lookups are dropped:
# the pending count returns to 0 and the daemon's descriptors to what
# it held before.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/dhcp_lib.sh
. "$(dirname "$0")/dhcp_lib.sh"
# shellcheck source=SCRIPTDIR/dns_lib.sh
. "$(dirname "$0")/dns_lib.sh"

: "${DNS_HOSTILE_HELPER:?DNS_HOSTILE_HELPER must name dns_hostile_helper}"
require_dnsmasq
NET=10.78.55
TAP0=utdnsh0
CLIENT_MAX=4 # [dns] client_lookups_max
DAEMON_MAX=6 # [dns] lookups_max
BLACK_HOLE_PORT=5399

make_namespace
write_config utcp-dnsh "$TAP0" "$NET" "dns = $NET.1"
printf '\n[dns]\nclient_lookups_max = %d\nlookups_max = %d\n' \
	"$CLIENT_MAX" "$DAEMON_MAX" >>"$CONF"
printf 'timeout_ms = 8000\nattempts = 3\n' >>"$CONF"
start_daemon_with_config

start_ns_bg "$PYTHON" "$(dirname "$0")/udp_sink.py" 127.0.0.1 "$BLACK_HOLE_PORT" \
	"$TMP/black-hole"
wait_for kernel_udp_bound "$BLACK_HOLE_PORT" || fail "no black hole"
start_dns_server "$NS" "$TAP0" "--host-record=good.hostile.test,198.51.100.9" \
	"--host-record=good2.hostile.test,198.51.100.10" \
	"--host-record=good3.hostile.test,198.51.100.11" \
	"--server=/slow.test/127.0.0.1#$BLACK_HOLE_PORT"

# hostile_start NAME DOMAIN: starts `dns_hostile_helper hold DOMAIN
# MAX` with its output in $TMP/NAME; waits for its "pending" line and
# sets HOSTILE_PID.
hostile_start() {
	start_bg "$DNS_HOSTILE_HELPER" -S "$SOCK" hold "$2" $((DAEMON_MAX * 2)) \
		>"$TMP/$1" </dev/null
	HOSTILE_PID=$BG_PID
	wait_for grep -q '^pending ' "$TMP/$1" ||
		fail "$1 did not report: $(cat "$TMP/$1")"
}

fds=$(daemon_fds)
say "a hostile client gets exactly $CLIENT_MAX lookups, then EAI_AGAIN"
hostile_start first a.slow.test
first_pid=$HOSTILE_PID
[[ $(cat "$TMP/first") == "accepted $CLIENT_MAX refused EAI_AGAIN"$'\n'"pending $CLIENT_MAX" ]] ||
	fail "the first hostile client: $(cat "$TMP/first")"
wait_for grep -q "forwarded h$CLIENT_MAX\\.a\\.slow\\.test to 127\\.0\\.0\\.1#$BLACK_HOLE_PORT" \
	"$(dnsmasq_log "$TAP0")" ||
	fail "dnsmasq did not forward the last lookup's query to the black hole"
wait_for test -s "$TMP/black-hole" || fail "the black hole received nothing"
[[ $(dns_query 'dns["lookups_pending"]') == "$CLIENT_MAX" ]] ||
	fail "lookups_pending $(dns_query 'dns["lookups_pending"]'), want $CLIENT_MAX"

say "meanwhile another client resolves good.hostile.test"
out=$(resolve_ok -4 good.hostile.test)
[[ $(json_eval '[j["source"], [a["address"] for a in j["addresses"]]]' <<<"$out") == \
	"['network', ['198.51.100.9']]" ]] || fail "resolve good.hostile.test: $out"
got=$("$DNS_HOSTILE_HELPER" -S "$SOCK" resolve good2.hostile.test) ||
	fail "dns_hostile_helper resolve failed"
[[ $got == "good2.hostile.test network 198.51.100.10" ]] ||
	fail "dns_hostile_helper resolve good2.hostile.test: $got"
[[ $(dns_query 'dns["lookups_pending"]') == "$CLIENT_MAX" ]] ||
	fail "lookups_pending $(dns_query 'dns["lookups_pending"]'), want $CLIENT_MAX"

left=$((DAEMON_MAX - CLIENT_MAX))
say "a second hostile client gets the $left left of lookups_max $DAEMON_MAX"
say "(the same names as the first's: they join its questions in flight)"
coalesced=$(counter dns_coalesced)
hostile_start second a.slow.test
second_pid=$HOSTILE_PID
[[ $(cat "$TMP/second") == "accepted $left refused EAI_AGAIN"$'\n'"pending $left" ]] ||
	fail "the second hostile client: $(cat "$TMP/second")"
[[ $(dns_query 'dns["lookups_pending"]') == "$DAEMON_MAX" ]] ||
	fail "lookups_pending $(dns_query 'dns["lookups_pending"]'), want $DAEMON_MAX"
[[ $(counter dns_coalesced) == $((coalesced + left)) ]] ||
	fail "dns_coalesced went from $coalesced to $(counter dns_coalesced), want +$left"
[[ $(dns_query 'dns["lookups_max"]') == "$DAEMON_MAX" ]] ||
	fail "lookups_max $(dns_query 'dns["lookups_max"]'), want $DAEMON_MAX"

say "at lookups_max, a lookup from another client is refused: again"
[[ $(resolve_error -4 good3.hostile.test) == again ]] ||
	fail "resolve good3.hostile.test at the daemon's limit: want again"

say "the hostile clients disconnect: their lookups go"
stop_bg "$first_pid"
wait_for lookups_pending_is "$left" ||
	fail "lookups_pending $(dns_query 'dns["lookups_pending"]') after the first left, want $left"
out=$(resolve_ok -4 good3.hostile.test)
[[ $(json_eval '[a["address"] for a in j["addresses"]]' <<<"$out") == "['198.51.100.11']" ]] ||
	fail "resolve good3.hostile.test: $out"
stop_bg "$second_pid"
wait_for lookups_pending_is 0 ||
	fail "lookups_pending $(dns_query 'dns["lookups_pending"]') after both left, want 0"

wait_for output_is "$fds" daemon_fds ||
	fail "utcpd holds $(daemon_fds) descriptors, $fds before the hostile clients"

say "and lookups work as before"
out=$(resolve_ok -4 good2.hostile.test)
[[ $(json_eval '[a["address"] for a in j["addresses"]]' <<<"$out") == "['198.51.100.10']" ]] ||
	fail "resolve good2.hostile.test: $out"

pass
