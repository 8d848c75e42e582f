#!/bin/bash
# dns_failover: two configured DNS servers (`dns = DEAD LIVE`), the
# first dead: a host that exists (the kernel answers ARP for it) but
# never answers DNS (a UDP socket on port 53 that reads and says
# nothing, recording each datagram), the second dnsmasq. The first
# lookup times out at the dead one ([dns] timeout_ms, small here) and
# succeeds at the live one; status then shows the dead server
# unresponsive with its timeout counted. A lookup of another name goes
# to the live server first: the dead one receives nothing more and no
# timeout is added. Then the dead server comes back (dnsmasq there) and
# the live one goes (its port closed): the next lookup fails at the
# first and is answered by the second, which is no longer unresponsive.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/dhcp_lib.sh
. "$(dirname "$0")/dhcp_lib.sh"
# shellcheck source=SCRIPTDIR/dns_lib.sh
. "$(dirname "$0")/dns_lib.sh"

require_dnsmasq
NET=10.78.54
TAP0=utdnsf0
DEAD=$NET.3
LIVE=$NET.1

make_namespace
write_config utcp-dnsf "$TAP0" "$NET" "dns = $DEAD $LIVE"
printf '\n[dns]\ntimeout_ms = 300\n' >>"$CONF"
start_daemon_with_config

ip -n "$NS" addr add "$DEAD/24" dev "$TAP0"
start_dns_server "$NS" "$LIVE" --host-record=one.fo.test,198.51.100.1 \
	--host-record=two.fo.test,198.51.100.2
live_pid=$DNS_SERVER_PID
start_ns_bg "$PYTHON" "$(dirname "$0")/udp_sink.py" "$DEAD" 53 "$TMP/dead"
sink_pid=$BG_PID
dead_bound() {
	ns_sockets "$NS" -Hnul "src $DEAD and sport = :53"
}
wait_for dead_bound || fail "no silent socket on $DEAD:53"

say "status lists $DEAD then $LIVE, from the configuration, both answering so far"
[[ $(dns_query '[(s["address"], s["port"], s["source"], s["interface"], s["unresponsive"])
	for s in dns["servers"]]') == \
	"[('$DEAD', 53, 'config', '$TAP0', False), ('$LIVE', 53, 'config', '$TAP0', False)]" ]] ||
	fail "status's servers: $(dns_query 'json.dumps(dns["servers"])')"

say "one.fo.test: $DEAD times out, $LIVE answers"
timeouts=$(counter dns_timeouts)
out=$(resolve_ok -4 one.fo.test)
[[ $(json_eval '[j["server"], [a["address"] for a in j["addresses"]]]' <<<"$out") == \
	"['$LIVE', ['198.51.100.1']]" ]] || fail "resolve one.fo.test: $out"
wait_for grep -q "^$DAEMON_IP " "$TMP/dead" || fail "$DEAD received no query"
(($(counter dns_timeouts) > timeouts)) || fail "dns_timeouts stayed $timeouts"
[[ $(dns_server_query "$DEAD" '[s["unresponsive"], s["timeouts"] >= 1, s["answers"]]') == \
	"[True, True, 0]" ]] ||
	fail "status of $DEAD: $(dns_server_query "$DEAD" 'json.dumps(s)')"
[[ $(dns_server_query "$LIVE" '[s["unresponsive"], s["timeouts"], s["answers"] >= 1]') == \
	"[False, 0, True]" ]] ||
	fail "status of $LIVE: $(dns_server_query "$LIVE" 'json.dumps(s)')"

say "two.fo.test goes to $LIVE first: nothing reaches $DEAD, no timeout"
timeouts=$(counter dns_timeouts)
sent_dead=$(wc -l <"$TMP/dead")
out=$(resolve_ok -4 two.fo.test)
[[ $(json_eval '[j["source"], j["server"], [a["address"] for a in j["addresses"]]]' <<<"$out") == \
	"['network', '$LIVE', ['198.51.100.2']]" ]] || fail "resolve two.fo.test: $out"
[[ $(counter dns_timeouts) == "$timeouts" ]] ||
	fail "dns_timeouts went from $timeouts to $(counter dns_timeouts)"
[[ $(wc -l <"$TMP/dead") == "$sent_dead" ]] ||
	fail "$DEAD received another query: $(tail -n 1 "$TMP/dead")"
wait_for output_is 1 dnsmasq_queries "$LIVE" two.fo.test A ||
	fail "dnsmasq saw $(dnsmasq_queries "$LIVE" two.fo.test A) queries for two.fo.test"

say "$DEAD answers again and $LIVE goes: three.fo.test is answered by $DEAD"
stop_bg "$sink_pid"
wait_for not dead_bound || fail "the silent socket on $DEAD:53 stays"
start_dns_server "$NS" "$DEAD" --host-record=three.fo.test,198.51.100.3
stop_bg "$live_pid"
live_bound() {
	ns_sockets "$NS" -Hnul "src $LIVE and sport = :53"
}
wait_for not live_bound || fail "dnsmasq on $LIVE did not stop"
out=$(resolve_ok -4 three.fo.test)
[[ $(json_eval '[j["server"], [a["address"] for a in j["addresses"]]]' <<<"$out") == \
	"['$DEAD', ['198.51.100.3']]" ]] || fail "resolve three.fo.test: $out"
[[ $(dns_server_query "$DEAD" '[s["unresponsive"], s["answers"]]') == "[False, 1]" ]] ||
	fail "status of $DEAD: $(dns_server_query "$DEAD" 'json.dumps(s)')"
[[ $(dns_server_query "$LIVE" 's["failures"] + s["timeouts"] >= 1') == True ]] ||
	fail "status of $LIVE: $(dns_server_query "$LIVE" 'json.dumps(s)')"

pass
