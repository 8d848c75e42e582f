# shellcheck shell=bash
# dns_lib.sh - sourced by the DNS integration tests after lib.sh and
# dhcp_lib.sh: dnsmasq as a DNS server in the test's namespace, and
# questions about the daemon's stub resolver.
#
# The server side. start_dns_server runs dnsmasq with DNS on (port 53),
# every query logged (--log-queries) in $TMP/dnsmasq-WHERE.log, without a
# configuration file, /etc/hosts or /etc/resolv.conf: it knows only the
# names the test gives it and forwards nothing it was not told to. A
# test that wants DHCP as well passes --dhcp-range and its options.
# Negative answers carry an SOA (RFC 2308) only when dnsmasq answers as
# an authoritative server: --auth-server=NS,ADDRESS makes queries that
# arrive at ADDRESS authoritative for the --auth-zone (dnsmasq then
# refuses every other name there); queries at other addresses are
# answered from the same records but without an SOA in NXDOMAIN.
#
# The daemon's side, from utcpctl:
#   resolve [-4|-6] NAME   `utcpctl --json resolve`: {"name", "canonical",
#                          "source", "server", "server_port",
#                          "addresses": [{"family", "address", "ttl"}]},
#                          or {"name", "error", "message"} and status 1;
#   dns_query EXPR         evaluates EXPR on status's "dns" object;
#   dns_server_query ADDR EXPR   ... on its server ADDR.

# dnsmasq_log WHERE: the log file of start_dns_server's dnsmasq on
# WHERE.
dnsmasq_log() {
	printf '%s\n' "$TMP/dnsmasq-$1.log"
}

# start_dns_server NS WHERE [DNSMASQ_ARGS...]: runs dnsmasq in NS as a
# DNS server on WHERE, a TAP (the addresses it has now:
# --bind-interfaces) or one IPv4 address, with its log in
# $(dnsmasq_log WHERE); DNSMASQ_ARGS add records, zones, DHCP. Sets
# DNS_SERVER_PID; waits until it listens on UDP and TCP port 53 (and on
# 67 when it serves DHCP).
start_dns_server() {
	local ns=$1 where=$2 arg dhcp=no filter="sport = :53" listen
	shift 2
	for arg in "$@"; do
		[[ $arg == --dhcp-range=* ]] && dhcp=yes
	done
	if [[ $where =~ ^[0-9.]+$ ]]; then
		listen=--listen-address=$where
		filter="src $where and sport = :53"
	else
		listen=--interface=$where
	fi
	start_bg ip netns exec "$ns" "$DNSMASQ" --no-daemon --conf-file=/dev/null \
		--no-hosts --no-resolv --no-ping --log-queries --log-dhcp \
		"$listen" --bind-interfaces \
		--dhcp-leasefile="$TMP/dnsmasq-$where.leases" \
		--pid-file="$TMP/dnsmasq-$where.pid" "$@" \
		2>>"$(dnsmasq_log "$where")"
	DNS_SERVER_PID=$BG_PID
	wait_for ns_sockets "$ns" -Hnul "$filter" ||
		fail "dnsmasq does not serve DNS on $where: $(tail -n 5 "$(dnsmasq_log "$where")")"
	wait_for ns_sockets "$ns" -Hntl "$filter" ||
		fail "dnsmasq does not listen on TCP 53 on $where"
	if [[ $dhcp == yes ]]; then
		wait_for ns_udp_bound "$ns" 67 ||
			fail "dnsmasq does not serve DHCP on $where"
	fi
}

# ns_sockets NS SS_ARGS...: `ss SS_ARGS` in NS lists a socket.
ns_sockets() {
	local ns=$1
	shift
	[[ -n $(ip netns exec "$ns" ss "$@") ]]
}

# dnsmasq_queries WHERE NAME [TYPE]: prints how many queries for NAME
# (of TYPE, default any) dnsmasq on WHERE has logged, over UDP and TCP,
# authoritative ("auth[A] NAME from") or not ("query[A] NAME from").
dnsmasq_queries() {
	local type=${3:-[A-Z0-9]+}
	grep -Ec "(query|auth)\\[$type\\] ${2//./\\.} from" \
		"$(dnsmasq_log "$1")" || true
}

# dnsmasq_all_queries WHERE: prints how many queries dnsmasq on WHERE
# has logged, for any name.
dnsmasq_all_queries() {
	grep -Ec '(query|auth)\[[A-Z0-9]+\] .* from' "$(dnsmasq_log "$1")" || true
}

# resolve [-4|-6] NAME: prints utcpctl's JSON answer about NAME; returns
# utcpctl's status (1 when the lookup failed, with an "error").
resolve() {
	"$UTCPCTL" -S "$SOCK" --json resolve "$@"
}

# resolve_ok [-4|-6] NAME: prints the JSON answer; fails the test when
# the lookup failed.
resolve_ok() {
	local out
	out=$(resolve "$@") || fail "utcpctl resolve $*: status $?: $out"
	printf '%s\n' "$out"
}

# resolve_error [-4|-6] NAME: prints the lookup's "error" ("noname",
# "again"...); fails the test when the lookup succeeded or utcpctl
# printed no error object.
resolve_error() {
	local out status=0
	out=$(resolve "$@") || status=$?
	((status == 1)) || fail "utcpctl resolve $*: status $status, want 1: $out"
	json_eval 'j["error"]' <<<"$out"
}

# json_eval EXPR [ARGS...]: evaluates the python expression EXPR with `j`
# the JSON object read from stdin and ARGS as sys.argv[2:]; prints the
# result (None when EXPR raises KeyError, IndexError or TypeError).
json_eval() {
	"$PYTHON" -c '
import json, sys
j = json.load(sys.stdin)
try:
    print(eval("(" + sys.argv[1] + ")"))
except (KeyError, IndexError, TypeError):
    print(None)' "$@"
}

# answer_addresses JSON: prints the answer's addresses, one a line, in
# the order given.
answer_addresses() {
	json_eval '"\n".join(a["address"] for a in j["addresses"])' <<<"$1"
}

# dns_query EXPR [ARGS...]: evaluates EXPR with `dns` the "dns" object
# of `utcpctl status -a --json`, `st` the whole status, ARGS as
# sys.argv[2:]; prints the result (None on KeyError, ...).
dns_query() {
	status_json | "$PYTHON" -c '
import json, sys
st = json.load(sys.stdin)
dns = st.get("dns") or {}
try:
    print(eval("(" + sys.argv[1] + ")"))
except (KeyError, IndexError, TypeError, StopIteration):
    print(None)' "$@"
}

# dns_server_query ADDR EXPR [ARGS...]: evaluates EXPR with `s` the
# status entry of the resolver's server ADDR (None when it has none),
# ARGS as sys.argv[3:].
dns_server_query() {
	dns_query '(lambda s: '"$2"')(next(s for s in dns["servers"]
		if s["address"] == sys.argv[2]))' "$1" "${@:3}"
}

# lookups_pending_is N: status shows N lookups pending (for wait_for).
lookups_pending_is() {
	[[ $(dns_query 'dns["lookups_pending"]') == "$1" ]]
}

# not CMD...: true when CMD fails (for wait_for).
not() {
	! "$@"
}
