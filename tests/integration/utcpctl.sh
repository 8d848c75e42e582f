#!/bin/bash
# utcpctl: every program (utcpd, utcpctl, utcp-nc, utcp-run) answers
# --help and --version on stdout with status 0, and a bad command line
# with one line on stderr naming the bad option and status 2; utcpctl says in one line, status
# 1, that no daemon answers, that the path is no socket or no utcpd, or
# that permission is denied. Against a running daemon with a TCP
# connection to a kernel peer, a TCP listener and a UDP socket, each made
# by a utcp-nc of this test, every subcommand (status, ifaces, conns,
# arp, routes, lease, dns, counters) prints text and JSON; the JSON is
# checked field by field against what the test set up: the addresses,
# the connection's ports and state, the owner pid, uid and command of
# each socket, the kernel's ARP entry, counters that must have moved.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

: "${UTCP_RUN:?UTCP_RUN must name the utcp-run binary}"
: "${UTCP_VERSION:?UTCP_VERSION must be the project version}"

# kernel_tcp_listening PORT: a kernel socket in the namespace listens on
# TCP port PORT.
kernel_tcp_listening() {
	[[ -n $(nsx ss -Hntl "sport = :$1") ]]
}

# one_line_usage_error NAME OUT ERR: the command printed nothing on stdout and
# exactly one line on stderr that starts with "NAME: " and ends saying
# to try NAME --help.
one_line_usage_error() {
	local name=$1 out=$2 err=$3
	[[ -z $out ]] || fail "$name: a usage error printed on stdout: $out"
	(($(wc -l <<<"$err") == 1)) || fail "$name: not one line on stderr: $err"
	[[ $err == "$name: "*"; try '$name --help'" ]] ||
		fail "$name: the usage error does not say what to do: $err"
}

say "every program answers --help and --version, and exits 2 with one line on a bad command line"
for pair in "utcpd:$UTCPD" "utcpctl:$UTCPCTL" "utcp-nc:$UTCP_NC" "utcp-run:$UTCP_RUN"; do
	name=${pair%%:*} bin=${pair#*:}
	status=0
	out=$("$bin" --help 2>"$TMP/err") || status=$?
	((status == 0)) || fail "$name --help: exit status $status"
	[[ -s $TMP/err ]] && fail "$name --help wrote on stderr: $(cat "$TMP/err")"
	grep -qi "^usage: $name " <<<"$out" || fail "$name --help: no usage line: $out"
	status=0
	out=$("$bin" --version 2>"$TMP/err") || status=$?
	((status == 0)) || fail "$name --version: exit status $status"
	[[ $out == "$name $UTCP_VERSION" ]] ||
		fail "$name --version: \"$out\", expected \"$name $UTCP_VERSION\""
	status=0
	out=$("$bin" --no-such-option 2>"$TMP/err") || status=$?
	((status == 2)) || fail "$name --no-such-option: exit status $status, expected 2"
	one_line_usage_error "$name" "$out" "$(cat "$TMP/err")"
	grep -qF "unknown option '--no-such-option'" "$TMP/err" ||
		fail "$name --no-such-option: the line does not name it: $(cat "$TMP/err")"
	# a bad letter first in a group ("-Zj"): named by itself, not as
	# the word before it
	status=0
	out=$("$bin" -Zj 2>"$TMP/err") || status=$?
	((status == 2)) || fail "$name -Zj: exit status $status, expected 2"
	one_line_usage_error "$name" "$out" "$(cat "$TMP/err")"
	grep -qF "unknown option '-Z'" "$TMP/err" ||
		fail "$name -Zj: the line does not name -Z: $(cat "$TMP/err")"
done
status=0
out=$("$UTCP_RUN" --ipv6 2>"$TMP/err") || status=$?
((status == 2)) || fail "utcp-run --ipv6: exit status $status, expected 2"
one_line_usage_error utcp-run "$out" "$(cat "$TMP/err")"
grep -qF "option '--ipv6' needs a value" "$TMP/err" ||
	fail "utcp-run --ipv6: $(cat "$TMP/err")"
for args in "bogus" "" "conns state nosuch" "conns port 70000" "conns sport" \
	"status -z" "counters IFACE" "barrier now" "resolve"; do
	status=0
	# shellcheck disable=SC2086 # the words are the arguments
	out=$("$UTCPCTL" -S "$TMP/none.sock" $args 2>"$TMP/err") || status=$?
	((status == 2)) || fail "utcpctl $args: exit status $status, expected 2"
	one_line_usage_error utcpctl "$out" "$(cat "$TMP/err")"
done
err=$("$UTCPCTL" bogus 2>&1) || true
[[ $err == "utcpctl: unknown command 'bogus'; try 'utcpctl --help'" ]] ||
	fail "the unknown command's line: $err"

# ctl_error WANT ARGS...: utcpctl ARGS exits 1 with the one line WANT.
ctl_error() {
	local want=$1 status=0 out
	shift
	out=$("$@" 2>"$TMP/err") || status=$?
	((status == 1)) || fail "$*: exit status $status, expected 1"
	[[ -z $out ]] || fail "$*: printed on stdout: $out"
	[[ $(cat "$TMP/err") == "$want" ]] ||
		fail "$*: said \"$(cat "$TMP/err")\", expected \"$want\""
}

say "no daemon, a path that is no socket, a socket that is not utcpd: one line each, exit 1"
ctl_error "utcpctl: no daemon at $TMP/none.sock (is utcpd running? see -S)" \
	"$UTCPCTL" -S "$TMP/none.sock" status
UTCPD_SOCKET=$TMP/none.sock ctl_error \
	"utcpctl: no daemon at $TMP/none.sock (is utcpd running? see -S)" \
	"$UTCPCTL" conns
: >"$TMP/file"
ctl_error "utcpctl: $TMP/file is not a socket (wrong path? see -S)" \
	"$UTCPCTL" -S "$TMP/file" ifaces
start_bg "$PYTHON" -c '
import signal, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen()
signal.pause()' "$TMP/stream.sock"
wait_for test -S "$TMP/stream.sock" || fail "no stream socket"
ctl_error "utcpctl: $TMP/stream.sock does not answer as utcpd does: Protocol wrong type for socket (wrong socket? see -S)" \
	"$UTCPCTL" -S "$TMP/stream.sock" arp
stop_bg "$BG_PID"

start_daemon utctl-test utctl 10.77.41

say "permission denied: one line naming the cause and the fix, exit 1"
if command -v setpriv >/dev/null; then
	# $TMP is root's, mode 0700: another user cannot reach the socket
	ctl_error "utcpctl: permission denied on $SOCK (a directory above it is closed to this user: run as root, or see -S)" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$UTCPCTL" -S "$SOCK" status
else
	say "  (no setpriv: skipped)"
fi

say "a kernel peer, and utcp-nc's connection to it, listener and UDP socket"
start_ns_bg socat "TCP-LISTEN:6100,bind=$KERNEL_IP,reuseaddr" SYSTEM:cat
wait_for kernel_tcp_listening 6100 || fail "socat is not listening on 6100"
# each utcp-nc reads a FIFO this shell holds open (read-write, so that
# opening it does not wait for a writer): no EOF while the test runs
mkfifo "$TMP/conn_in" "$TMP/listen_in"
exec 3<>"$TMP/conn_in" 4<>"$TMP/listen_in"
start_bg "$UTCP_NC" -S "$SOCK" -p 40123 "$KERNEL_IP" 6100 <"$TMP/conn_in" >"$TMP/conn_out"
conn_pid=$BG_PID
start_bg "$UTCP_NC" -S "$SOCK" -l -p 6300 <"$TMP/listen_in" >/dev/null
listen_pid=$BG_PID
start_bg "$UTCP_NC" -S "$SOCK" -u -l -p 6200 </dev/null >/dev/null
udp_pid=$BG_PID
printf 'hello utcpctl\n' >&3
wait_for grep -q "hello utcpctl" "$TMP/conn_out" || fail "the kernel peer's echo did not come back"

# all_there: conns --json lists our three sockets, each with its owner.
all_there() {
	"$UTCPCTL" -S "$SOCK" conns --json | "$PYTHON" -c '
import json, sys
ports = {s["local_port"] for s in json.load(sys.stdin)["sockets"] if s["owner"]}
sys.exit(0 if {40123, 6300, 6200} <= ports else 1)'
}
wait_for all_there || fail "conns does not show the three sockets: $("$UTCPCTL" -S "$SOCK" conns)"
kernel_mac=$(ip -n "$NS" -o link show dev "$TAP" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
[[ -n $kernel_mac ]] || fail "no MAC on the kernel's $TAP"

# check_json NAME JSON PYTHON...: runs the Python check with `j`, the
# parsed JSON, `errors` to append to and `expect(what, got, want)`.
check_json() {
	local name=$1 json=$2
	shift 2
	"$PYTHON" - "$json" "$@" <<PY || fail "utcpctl $name --json: see above; the JSON: ${json:0:3000}"
import json, sys
j = json.loads(sys.argv[1])
argv = sys.argv[2:]
errors = []
def expect(what, got, want):
    if got != want:
        errors.append(f"{what}: {got!r}, expected {want!r}")
$(cat)
for e in errors:
    print("utcpctl $name --json:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
}

ctl() {
	"$UTCPCTL" -S "$SOCK" "$@" || fail "utcpctl $*: exit status $?"
}

say "conns --json: ids, states, ports, queues, TCP figures and each socket's owner"
check_json conns "$(ctl conns --json)" "$DAEMON_IP" "$KERNEL_IP" "$conn_pid" "$listen_pid" "$udp_pid" <<'PY'
daemon_ip, kernel_ip = argv[0], argv[1]
conn_pid, listen_pid, udp_pid = map(int, argv[2:5])
socks = j["sockets"]
ids = [s["id"] for s in socks]
expect("ids unique", len(ids), len(set(ids)))
keys = None
for s in socks:
    if keys is None:
        keys = set(s)
    expect(f"{s['id']} keys", set(s), keys)
def one(port):
    m = [s for s in socks if s["local_port"] == port]
    if len(m) != 1:
        errors.append(f"port {port}: {len(m)} sockets")
        return {}
    return m[0]
c, l, u = one(40123), one(6300), one(6200)
def owner(s, pid):
    o = s.get("owner") or {}
    expect(f"{s.get('id')} owner", (o.get("pid"), o.get("uid"), o.get("gid"),
                                    o.get("command"), o.get("gone")),
           (pid, 0, 0, "utcp-nc", False))
if c:
    expect("connection id", c["id"].split(":")[0], "tcp")
    expect("connection", (c["protocol"], c["kind"], c["state"], c["local_address"],
                          c["peer_address"], c["peer_port"], c["orphan"], c["backlog"]),
           ("tcp", "connection", "ESTABLISHED", daemon_ip, kernel_ip, 6100, False, None))
    expect("bytes_sent", c["bytes_sent"], 14)
    expect("bytes_received", c["bytes_received"], 14)
    for k in ("mss", "cwnd", "snd_wnd", "rcv_wnd", "rto_ms"):
        if not isinstance(c[k], int) or c[k] <= 0:
            errors.append(f"connection {k}: {c[k]!r}")
    for k in ("recv_q", "send_q", "retransmits", "srtt_us", "rttvar_us", "ssthresh"):
        if not isinstance(c[k], int) or c[k] < 0:
            errors.append(f"connection {k}: {c[k]!r}")
    for k in ("recv_datagrams", "rx_datagrams", "tx_datagrams", "drops"):
        expect(f"connection {k}", c[k], None)
    owner(c, conn_pid)
if l:
    expect("listener id", l["id"].split(":")[0], "tcp-listen")
    expect("listener", (l["protocol"], l["kind"], l["state"], l["peer_address"],
                        l["peer_port"], l["backlog"], l["cwnd"]),
           ("tcp", "listener", "LISTEN", None, None, 0, None))
    owner(l, listen_pid)
if u:
    expect("udp id", u["id"].split(":")[0], "udp")
    expect("udp", (u["protocol"], u["kind"], u["state"], u["local_address"],
                   u["peer_address"], u["recv_q"], u["drops"], u["mss"]),
           ("udp", "udp", "UNCONN", "0.0.0.0", None, 0, 0, None))
    owner(u, udp_pid)
PY

say "status -a --json: each socket has the same owner"
check_json "status -a" "$(ctl status -a --json)" "$conn_pid" "$listen_pid" "$udp_pid" <<'PY'
pids = {40123: int(argv[0]), 6300: int(argv[1]), 6200: int(argv[2])}
for s in j["sockets"]:
    port = int(s["local"].rsplit(":", 1)[1])
    o = s.get("owner") or {}
    expect(f"socket {s['id']} ({s['protocol']}) owner",
           (o.get("pid"), o.get("uid"), o.get("command")), (pids.get(port), 0, "utcp-nc"))
expect("sockets", len(j["sockets"]), 3)
PY

say "conns filters: state, port, sport, dport, -t, -u, -l"
# filter_ports ARGS...: the local ports of what `conns ARGS --json` lists
filter_ports() {
	ctl conns "$@" --json | "$PYTHON" -c '
import json, sys
print(" ".join(str(p) for p in sorted(s["local_port"] for s in json.load(sys.stdin)["sockets"])))'
}
[[ $(filter_ports state established) == 40123 ]] || fail "state established: $(filter_ports state established)"
[[ $(filter_ports -s ESTABLISHED) == 40123 ]] || fail "-s ESTABLISHED: $(filter_ports -s ESTABLISHED)"
[[ $(filter_ports state listening) == "6200 6300" ]] || fail "state listening: $(filter_ports state listening)"
[[ $(filter_ports state time-wait) == "" ]] || fail "state time-wait: $(filter_ports state time-wait)"
[[ $(filter_ports sport 40123) == 40123 ]] || fail "sport 40123: $(filter_ports sport 40123)"
[[ $(filter_ports dport 6100) == 40123 ]] || fail "dport 6100: $(filter_ports dport 6100)"
[[ $(filter_ports port 6100) == 40123 ]] || fail "port 6100: $(filter_ports port 6100)"
[[ $(filter_ports port 6300) == 6300 ]] || fail "port 6300: $(filter_ports port 6300)"
[[ $(filter_ports -t) == "6300 40123" ]] || fail "-t: $(filter_ports -t)"
[[ $(filter_ports -u) == 6200 ]] || fail "-u: $(filter_ports -u)"
[[ $(filter_ports -l) == "6200 6300" ]] || fail "-l: $(filter_ports -l)"

say "conns in text: as ss -tanpi, with the owner"
text=$(ctl conns)
printf '%s\n' "$text"
head -n 1 <<<"$text" | grep -Eq '^Id +Netid +State +Recv-Q +Send-Q +Local Address:Port +Peer Address:Port +Process$' ||
	fail "conns: no header line"
grep -Eq "^tcp:[0-9]+ +tcp +ESTABLISHED +0 +0 +$DAEMON_IP:40123 +$KERNEL_IP:6100 +users:\(\(\"utcp-nc\",pid=$conn_pid,uid=0,gid=0\)\)$" <<<"$text" ||
	fail "conns: the connection's line"
grep -Eq "^	 mss [0-9]+ cwnd [0-9]+( ssthresh [0-9]+)? rtt [0-9]+\.[0-9]{3}/[0-9]+\.[0-9]{3} ms rto [0-9]+ ms snd_wnd [0-9]+ rcv_wnd [0-9]+ retrans [0-9]+ bytes_sent 14 bytes_received 14$" <<<"$text" ||
	fail "conns: the connection's figures"
grep -Eq "^tcp-listen:[0-9]+ +tcp +LISTEN +0 +0 +0\.0\.0\.0:6300 +\*:\* +users:\(\(\"utcp-nc\",pid=$listen_pid,uid=0,gid=0\)\)$" <<<"$text" ||
	fail "conns: the listener's line"
grep -Eq "^udp:[0-9]+ +udp +UNCONN +0 +0 +0\.0\.0\.0:6200 +\*:\* +users:\(\(\"utcp-nc\",pid=$udp_pid,uid=0,gid=0\)\)$" <<<"$text" ||
	fail "conns: the UDP socket's line"

say "status: the summary, in text and JSON"
text=$(ctl status)
printf '%s\n' "$text"
grep -Eq "^utcpd utctl-test: up [0-9]+\.[0-9]{3} s, ready$" <<<"$text" || fail "status: the first line"
grep -Eq "^  $TAP +configured +$DAEMON_IP/24$" <<<"$text" || fail "status: the interface's line"
grep -Eq "^tcp: 1 listening, 1 connection \(ESTABLISHED 1\)$" <<<"$text" || fail "status: the TCP line"
grep -Eq "^udp: 1 socket$" <<<"$text" || fail "status: the UDP line"
check_json status "$(ctl status --json)" "$TAP" "$DAEMON_IP" <<'PY'
expect("name", j["name"], "utctl-test")
expect("ready", j["ready"], True)
if not isinstance(j["uptime_ms"], int) or j["uptime_ms"] <= 0:
    errors.append(f"uptime_ms: {j['uptime_ms']!r}")
expect("interfaces", j["interfaces"], [{"name": argv[0], "state": "configured",
                                        "address": argv[1] + "/24", "dhcp": "STOPPED"}])
expect("tcp", j["tcp"], {"listeners": 1, "connections": 1,
                         "states": {"LISTEN": 1, "ESTABLISHED": 1}})
expect("udp", j["udp"], {"sockets": 1})
if "dns" not in j:
    errors.append("no dns")
PY
# the global --json works as well as the command's
[[ $(ctl --json status | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["name"])') == utctl-test ]] ||
	fail "utcpctl --json status"

say "ifaces: link, MAC, MTU, addresses and their sources, DHCP, the TAP's drops"
text=$(ctl ifaces)
printf '%s\n' "$text"
grep -Eq "^0: $TAP$" <<<"$text" || fail "ifaces: the name line"
grep -Eq "^ +address $DAEMON_IP/24 \(config\)$" <<<"$text" || fail "ifaces: the address line"
grep -Eq "^ +mac $DAEMON_MAC$" <<<"$text" || fail "ifaces: the MAC line"
grep -Eq "^ +gateway $KERNEL_IP \(config\)$" <<<"$text" || fail "ifaces: the gateway line"
grep -Eq "^ +dhcp STOPPED$" <<<"$text" || fail "ifaces: the DHCP line"
check_json ifaces "$(ctl ifaces "$TAP" --json)" "$TAP" "$DAEMON_IP" "$DAEMON_MAC" "$KERNEL_IP" <<'PY'
tap, ip, mac, gw = argv
expect("count", len(j["interfaces"]), 1)
i = j["interfaces"][0]
expect("interface", {k: i[k] for k in ("name", "index", "state", "mac", "mtu", "address",
                                        "gateway", "address_source", "mtu_source", "dns",
                                        "domain", "dhcp")},
       {"name": tap, "index": 0, "state": "configured", "mac": mac, "mtu": 1500,
        "address": ip + "/24", "gateway": gw, "address_source": "config",
        "mtu_source": "config", "dns": [], "domain": None, "dhcp": "STOPPED"})
link = i["link"] or {}
expect("link", (link.get("syn_filter"), link.get("syn_filter_times"), link.get("syn_drops")),
       (False, 0, 0))
if not isinstance(link.get("kernel_drops"), int):
    errors.append(f"link.kernel_drops: {link!r}")
PY
status=0
"$UTCPCTL" -S "$SOCK" ifaces nosuch >/dev/null 2>"$TMP/err" || status=$?
((status == 1)) || fail "ifaces nosuch: exit status $status, expected 1"
grep -qx "utcpctl: no interface nosuch" "$TMP/err" || fail "ifaces nosuch: $(cat "$TMP/err")"

say "arp: the kernel's entry, as ip neigh"
text=$(ctl arp)
printf '%s\n' "$text"
grep -Eq "^$KERNEL_IP dev $TAP lladdr $kernel_mac reachable expires [0-9]+ ms$" <<<"$text" ||
	fail "arp: the kernel's entry"
check_json arp "$(ctl arp --json)" "$KERNEL_IP" "$kernel_mac" "$TAP" <<'PY'
ip, mac, tap = argv
m = [a for a in j["arp"] if a["address"] == ip]
expect("entries for the kernel", len(m), 1)
if m:
    a = m[0]
    expect("entry", (a["mac"], a["interface"], a["state"], a["queued"]),
           (mac, tap, "reachable", 0))
    if not isinstance(a["expires_ms"], int) or a["expires_ms"] <= 0:
        errors.append(f"expires_ms: {a['expires_ms']!r}")
PY

say "routes: the default and the connected route, as ip route"
text=$(ctl routes)
printf '%s\n' "$text"
grep -qx "default via $KERNEL_IP dev $TAP proto static" <<<"$text" || fail "routes: the default route"
grep -qx "${DAEMON_IP%.*}.0/24 dev $TAP proto connected" <<<"$text" || fail "routes: the connected route"
check_json routes "$(ctl routes --json)" "$KERNEL_IP" "$TAP" "${DAEMON_IP%.*}.0/24" <<'PY'
gw, tap, net = argv
r = {x["destination"]: x for x in j["routes"]}
expect("default", r.get("0.0.0.0/0"), {"destination": "0.0.0.0/0", "gateway": gw,
                                       "interface": tap, "kind": "static", "metric": 0})
expect("connected", r.get(net), {"destination": net, "gateway": None, "interface": tap,
                                 "kind": "connected", "metric": 0})
PY

say "lease: no interface runs DHCP here"
[[ $(ctl lease) == "no interface runs DHCP" ]] || fail "lease: $(ctl lease)"
check_json lease "$(ctl lease --json)" <<'PY'
expect("leases", j, {"leases": []})
PY

say "dns: the resolver's part, text and JSON"
ctl dns >/dev/null
check_json dns "$(ctl dns --json)" <<'PY'
if set(j) != {"dns"}:
    errors.append(f"keys: {sorted(j)}")
d = j["dns"]
if d is not None:
    for k in ("ndots", "servers", "search", "cache", "cache_entries", "cache_max"):
        if k not in d:
            errors.append(f"dns.{k} missing")
PY

say "counters: by layer, zeros hidden unless -z"
text=$(ctl counters)
grep -qx "eth" <<<"$text" || fail "counters: no eth layer"
grep -Eq "^  eth_rx_frames +[1-9][0-9]*$" <<<"$text" || fail "counters: eth_rx_frames"
grep -Eq "^  tcp_active_opens +1$" <<<"$text" || fail "counters: tcp_active_opens"
grep -Eq " 0$" <<<"$text" && fail "counters without -z shows a zero"
# (captured first: grep -q leaving at its first match would make a pipe's
# writer die of SIGPIPE while it still writes, as a slow one did)
text=$(ctl counters -z)
grep -Eq "^  [a-z_0-9]+ +0$" <<<"$text" || fail "counters -z shows no zero"
# The counters move while the test runs (the kernel's ARP refreshes its
# entry when it will): counters --json is taken between two full dumps,
# and each value must lie between that counter's in the two.
before=$(status_json)
counters_json=$(ctl counters --json)
all=$(status_json)
check_json counters "$counters_json" "$before" "$all" <<'PY'
before = json.loads(argv[0])["counters"]
full = json.loads(argv[1])["counters"]
c = j["counters"]
expect("eth_rx_frames > 0", c.get("eth", {}).get("eth_rx_frames", 0) > 0, True)
expect("tcp_active_opens", c.get("tcp", {}).get("tcp_active_opens"), 1)
flat = {}
for layer, values in c.items():
    for name, v in values.items():
        expect(f"{name} in layer", name.split("_")[0], layer)
        if v == 0:
            errors.append(f"{name} is zero without -z")
        flat[name] = v
for name in full:
    if not before[name] <= flat.get(name, 0) <= full[name]:
        errors.append(f"{name}: {flat.get(name, 0)} shown, not within "
                      f"{before[name]}..{full[name]} of the full dumps around it")
unknown = set(flat) - set(full)
if unknown:
    errors.append(f"not in the full dump: {sorted(unknown)}")
PY
check_json "counters -z" "$(ctl counters -z --json)" "$all" <<'PY'
full = json.loads(argv[0])["counters"]
flat = {n: v for values in j["counters"].values() for n, v in values.items()}
expect("every counter", set(flat), set(full))
PY

say "a socket goes from conns with the utcp-nc that held it"
stop_bg "$udp_pid"
wait_for output_is "" filter_ports -u || fail "the UDP socket outlived its utcp-nc"

exec 3>&- 4>&-
pass
