#!/bin/bash
# dns_dnsmasq: utcpd's stub resolver against dnsmasq, which is also the
# DHCP server, so the resolver's server and search list come from the
# lease (options 6 and 119). dnsmasq answers authoritatively for
# lan.test (so its NXDOMAIN and NODATA answers carry the SOA that RFC
# 2308 negative caching needs). The test looks up an A record, a CNAME
# (the canonical name comes back), a short name found through the
# search list, and a name that does not exist: the second lookup of it
# is answered from the cache with nothing on the wire (dnsmasq logs no
# new query and the daemon's query counter stands still), as is the
# second lookup of a name without an AAAA record. A name with 100 A
# records does not fit the 1232 bytes of EDNS0 over UDP: dnsmasq sets
# TC and the resolver asks again over TCP, getting all 100. A [hosts]
# entry and localhost are answered without a query. Finally utcp-nc
# reaches a kernel TCP server by name.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/dhcp_lib.sh
. "$(dirname "$0")/dhcp_lib.sh"
# shellcheck source=SCRIPTDIR/dns_lib.sh
. "$(dirname "$0")/dns_lib.sh"

require_dnsmasq
NET=10.78.53
TAP0=utdns0
ZONE=lan.test
WEB=198.51.100.7 # web.lan.test's address (nobody's: only looked up)
MANY=100         # many.lan.test's A records: 198.18.0.1 ... 198.18.0.100

for ((i = 1; i <= MANY; i++)); do
	printf '198.18.0.%d many.%s\n' "$i" "$ZONE"
done >"$TMP/many.hosts"

server_tap "$TAP0" "$NET"
start_dns_server "$NS" "$TAP0" \
	--dhcp-authoritative --dhcp-range="$NET.50,$NET.150,255.255.255.0,2m" \
	"--dhcp-option=option:router,$NET.1" \
	"--dhcp-option=option:dns-server,$NET.1" \
	"--dhcp-option=option:domain-search,$ZONE" \
	"--auth-server=ns.$ZONE,$NET.1" "--auth-zone=$ZONE" --auth-ttl=600 \
	"--host-record=www.$ZONE,$NET.1" \
	"--host-record=web.$ZONE,$WEB" \
	"--cname=alias.$ZONE,web.$ZONE" \
	"--addn-hosts=$TMP/many.hosts"

write_dhcp_config utcp-dns "$TAP0" "$NET"
printf '\n[hosts]\nprinter.%s = 192.0.2.9\n' "$ZONE" >>"$CONF"
start_dhcp_daemon
wait_bound "$TAP0"
say "bound: $DAEMON_IP"

say "the resolver's server is $NET.1 from the lease, its search list $ZONE"
[[ $(dns_server_query "$NET.1" \
	's["interface"] == sys.argv[3] and s["port"] == 53 and s["source"] == "lease"' \
	"$TAP0") == True ]] ||
	fail "status's DNS servers: $(dns_query 'json.dumps(dns["servers"])')"
[[ $(dns_query 'len(dns["servers"])') == 1 ]] ||
	fail "status's DNS servers: $(dns_query 'json.dumps(dns["servers"])')"
[[ $(dns_query 'dns["search"]') == "['$ZONE']" ]] ||
	fail "status's search list: $(dns_query 'dns["search"]')"

say "an A record: www.$ZONE is $NET.1, from $NET.1:53"
before=$(dnsmasq_queries "$TAP0" "www.$ZONE" A)
out=$(resolve_ok -4 "www.$ZONE")
[[ $(json_eval '[j["name"], j["canonical"], j["source"], j["server"], j["server_port"]]' <<<"$out") == \
	"['www.$ZONE', 'www.$ZONE', 'network', '$NET.1', 53]" ]] ||
	fail "resolve www.$ZONE: $out"
[[ $(json_eval '[(a["family"], a["address"]) for a in j["addresses"]]' <<<"$out") == \
	"[('inet', '$NET.1')]" ]] || fail "resolve www.$ZONE: $out"
[[ $(json_eval '0 < j["addresses"][0]["ttl"] <= 600' <<<"$out") == True ]] ||
	fail "resolve www.$ZONE: TTL out of (0, 600]: $out"
wait_for output_is $((before + 1)) dnsmasq_queries "$TAP0" "www.$ZONE" A ||
	fail "dnsmasq saw $(dnsmasq_queries "$TAP0" "www.$ZONE" A) queries, want $((before + 1))"

say "the same again comes from the cache: nothing on the wire"
queries=$(counter dns_queries)
hits=$(counter dns_cache_hits)
out=$(resolve_ok -4 "www.$ZONE")
[[ $(json_eval '[j["source"], [a["address"] for a in j["addresses"]]]' <<<"$out") == \
	"['cache', ['$NET.1']]" ]] || fail "second resolve www.$ZONE: $out"
[[ $(counter dns_queries) == "$queries" ]] ||
	fail "dns_queries went from $queries to $(counter dns_queries)"
(($(counter dns_cache_hits) > hits)) || fail "dns_cache_hits stayed $hits"
[[ $(dnsmasq_queries "$TAP0" "www.$ZONE" A) == $((before + 1)) ]] ||
	fail "dnsmasq saw a query for www.$ZONE again"
[[ $(dns_query 'any(e["name"] == sys.argv[2] for e in dns["cache"])' "www.$ZONE") == True ]] ||
	fail "www.$ZONE not in the cache: $(dns_query 'json.dumps(dns["cache"])')"

say "a CNAME: alias.$ZONE is web.$ZONE, $WEB"
out=$(resolve_ok -4 "alias.$ZONE")
[[ $(json_eval '[j["name"], j["canonical"], [a["address"] for a in j["addresses"]]]' <<<"$out") == \
	"['alias.$ZONE', 'web.$ZONE', ['$WEB']]" ]] || fail "resolve alias.$ZONE: $out"

say "a short name through the search list: web is web.$ZONE"
out=$(resolve_ok -4 web)
[[ $(json_eval '[j["canonical"], [a["address"] for a in j["addresses"]]]' <<<"$out") == \
	"['web.$ZONE', ['$WEB']]" ]] || fail "resolve web: $out"

say "NXDOMAIN: nope.$ZONE does not exist, and the second lookup sends nothing"
nx=$(counter dns_nxdomain)
[[ $(resolve_error -4 "nope.$ZONE") == noname ]] || fail "resolve nope.$ZONE: want noname"
(($(counter dns_nxdomain) > nx)) || fail "dns_nxdomain stayed $nx"
wait_for grep -Eq "auth\\[A\\] nope\\.$ZONE from" "$(dnsmasq_log "$TAP0")" ||
	fail "dnsmasq saw no query for nope.$ZONE"
queries=$(counter dns_queries)
hits=$(counter dns_cache_hits)
logged=$(dnsmasq_all_queries "$TAP0")
[[ $(resolve_error -4 "nope.$ZONE") == noname ]] ||
	fail "second resolve nope.$ZONE: want noname"
[[ $(counter dns_queries) == "$queries" ]] ||
	fail "dns_queries went from $queries to $(counter dns_queries): the NXDOMAIN was not cached"
(($(counter dns_cache_hits) > hits)) || fail "dns_cache_hits stayed $hits"
[[ $(dnsmasq_all_queries "$TAP0") == "$logged" ]] ||
	fail "dnsmasq saw more queries: $(grep -E '(query|auth)\[' "$(dnsmasq_log "$TAP0")" | tail -n 5)"
[[ $(dns_query 'any(e["name"] == sys.argv[2] and e["kind"] == "nxdomain" for e in dns["cache"])' \
	"nope.$ZONE") == True ]] ||
	fail "no negative entry for nope.$ZONE: $(dns_query 'json.dumps(dns["cache"])')"

say "NODATA: www.$ZONE has no AAAA, and the second lookup sends nothing"
[[ $(resolve_error -6 "www.$ZONE") == nodata ]] || fail "resolve -6 www.$ZONE: want nodata"
queries=$(counter dns_queries)
logged=$(dnsmasq_all_queries "$TAP0")
[[ $(resolve_error -6 "www.$ZONE") == nodata ]] || fail "second resolve -6 www.$ZONE: want nodata"
[[ $(counter dns_queries) == "$queries" ]] ||
	fail "dns_queries went from $queries to $(counter dns_queries): the NODATA was not cached"
[[ $(dnsmasq_all_queries "$TAP0") == "$logged" ]] ||
	fail "dnsmasq saw more queries: $(grep -E '(query|auth)\[' "$(dnsmasq_log "$TAP0")" | tail -n 5)"

say "$MANY A records do not fit UDP: TC, then TCP gets all of them"
truncated=$(counter dns_truncated)
tcp=$(counter dns_queries_tcp)
out=$(resolve_ok -4 "many.$ZONE")
got=$(answer_addresses "$out" | sort -t. -k4,4n | tr '\n' ' ')
want=$(for ((i = 1; i <= MANY; i++)); do printf '198.18.0.%d ' "$i"; done)
[[ $got == "$want" ]] || fail "many.$ZONE: $(answer_addresses "$out" | wc -l) addresses: $got"
[[ $(json_eval 'j["source"]' <<<"$out") == network ]] || fail "many.$ZONE: $out"
(($(counter dns_truncated) > truncated)) || fail "dns_truncated stayed $truncated"
(($(counter dns_queries_tcp) > tcp)) || fail "dns_queries_tcp stayed $tcp"

say "[hosts] and localhost are answered without a query"
logged=$(dnsmasq_all_queries "$TAP0")
out=$(resolve_ok -4 "printer.$ZONE")
[[ $(json_eval '[j["source"], [a["address"] for a in j["addresses"]]]' <<<"$out") == \
	"['hosts', ['192.0.2.9']]" ]] || fail "resolve printer.$ZONE: $out"
out=$(resolve_ok -4 localhost)
[[ $(json_eval '[j["source"], [a["address"] for a in j["addresses"]]]' <<<"$out") == \
	"['local', ['127.0.0.1']]" ]] || fail "resolve localhost: $out"
[[ $(dnsmasq_all_queries "$TAP0") == "$logged" ]] ||
	fail "dnsmasq saw queries: $(grep -E '(query|auth)\[' "$(dnsmasq_log "$TAP0")" | tail -n 3)"

say "utcp-nc reaches a kernel TCP server by name: www.$ZONE 7300"
start_ns_bg socat -u "TCP-LISTEN:7300,bind=$NET.1,reuseaddr" "OPEN:$TMP/received,creat,trunc"
wait_for kernel_tcp_listening 7300 || fail "socat is not listening on 7300"
random_file "$TMP/sent" 20000
timeout 20 "$UTCP_NC" -S "$SOCK" "www.$ZONE" 7300 <"$TMP/sent" >/dev/null ||
	fail "utcp-nc www.$ZONE 7300 failed"
wait_for file_has_size "$TMP/received" 20000 ||
	fail "the server received $(file_size "$TMP/received") bytes, want 20000"
[[ $(sha "$TMP/received") == $(sha "$TMP/sent") ]] || fail "the data arrived changed"

say "utcp-nc with a name that does not exist fails"
if timeout 20 "$UTCP_NC" -S "$SOCK" "nope.$ZONE" 7300 </dev/null >/dev/null 2>"$TMP/nc.err"; then
	fail "utcp-nc nope.$ZONE 7300 succeeded"
fi
[[ -s $TMP/nc.err ]] || fail "utcp-nc nope.$ZONE said nothing"

pass
