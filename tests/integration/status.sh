#!/bin/bash
# status: utcpctl status shows the daemon's name, address and MAC, that
# it is ready, its interface's carrier and counters, where each setting
# came from (the configuration: a static address, DHCP stopped), and its --json form parses and carries the
# configured values, the sources and the routes' metrics.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon status-test utstatus 10.77.3

say "utcpctl status names the daemon, its address and its MAC"
text=$("$UTCPCTL" -S "$SOCK" status -a) || fail "utcpctl status failed"
head -n 20 <<<"$text"
grep -q 'status-test' <<<"$text" || fail "name missing"
grep -q "$DAEMON_IP/24" <<<"$text" || fail "address $DAEMON_IP/24 missing"
grep -qi "$DAEMON_MAC" <<<"$text" || fail "MAC $DAEMON_MAC missing"
grep -q "$TAP" <<<"$text" || fail "interface $TAP missing"
grep -Eq "^  $TAP +syn filter off \(on 0 times\)  syn drops 0  kernel drops [0-9]+$" <<<"$text" ||
	fail "the TAP's SYN filter line is missing"
grep -Eq "^  uid 0 +clients 1  udp 0  listeners 0  tcp 0$" <<<"$text" ||
	fail "what uid 0 holds (utcpctl's own client) is missing"
grep -q "^ready yes$" <<<"$text" || fail "the daemon is not shown ready"
# the interface's carrier and counters (IFSTATS), as `utcpctl ifaces`
grep -Eq "^ +carrier (up|down|unknown)$" <<<"$text" || fail "the carrier line is missing"
grep -Eq "^ +rx [0-9]+ frames  [0-9]+ bytes  [0-9]+ errors  [0-9]+ drops$" <<<"$text" ||
	fail "the interface's rx counters are missing"
grep -Eq "^ +tx [0-9]+ frames  [0-9]+ bytes  [0-9]+ errors  [0-9]+ drops$" <<<"$text" ||
	fail "the interface's tx counters are missing"
grep -Eq "^ +address $DAEMON_IP/24 \(config\)  gateway $KERNEL_IP \(config\)$" <<<"$text" ||
	fail "the address line does not say where address and gateway came from"
grep -Eq "^  $TAP +dhcp STOPPED$" <<<"$text" || fail "the DHCP line is missing"
grep -Eq "^  $TAP +dns none  domain none  search none  mtu 1500 \(config\)  log server none  ntp none$" <<<"$text" ||
	fail "the settings line is missing"

say "utcpctl status -a --json parses and matches the configuration"
json=$(status_json) || fail "utcpctl status -a --json failed"
"$PYTHON" - "$json" "$TAP" "$DAEMON_IP/24" "$DAEMON_MAC" "$KERNEL_IP" <<'PY' ||
import json, sys
status = json.loads(sys.argv[1])
tap, address, mac, gateway = sys.argv[2:6]
errors = []
def expect(what, got, want):
    if got != want:
        errors.append(f"{what}: {got!r}, expected {want!r}")
expect("name", status.get("name"), "status-test")
ifs = [i for i in status.get("interfaces", []) if i.get("name") == tap]
if len(ifs) != 1:
    errors.append(f"interfaces: {status.get('interfaces')!r} has no {tap}")
else:
    i = ifs[0]
    expect("address", i.get("address"), address)
    expect("mac", str(i.get("mac")).lower(), mac)
    expect("mtu", i.get("mtu"), 1500)
    expect("gateway", i.get("gateway"), gateway)
    # a static address: configured from the file, DHCP not running
    expect("address_source", i.get("address_source"), "config")
    expect("routes_source", i.get("routes_source"), "config")
    expect("mtu_source", i.get("mtu_source"), "config")
    expect("configured", i.get("configured"), True)
    for key in ("dns_source", "domain_source", "search_source",
                "log_server_source", "ntp_source"):
        expect(key, i.get(key), "none")
    expect("dns", i.get("dns"), [])
    expect("domain", i.get("domain"), None)
    expect("search", i.get("search"), [])
    expect("log_server", i.get("log_server"), None)
    expect("ntp", i.get("ntp"), [])
    dhcp = i.get("dhcp") or {}
    expect("dhcp.state", dhcp.get("state"), "STOPPED")
    expect("dhcp.running", dhcp.get("running"), False)
    expect("dhcp.bound", dhcp.get("bound"), False)
    expect("dhcp.options", dhcp.get("options"), [])
    if not isinstance(dhcp.get("counters"), dict) or \
            dhcp["counters"].get("tx_discover") != 0:
        errors.append(f"dhcp.counters: {dhcp.get('counters')!r}")
    # the per-interface counters, in the shape `utcpctl ifaces` gives
    expect("carrier", i.get("carrier") in ("up", "down", "unknown"), True)
    c = i.get("counters")
    keys = [f"{d}_{k}" for d in ("rx", "tx")
            for k in ("frames", "bytes", "errors", "drops")]
    if not isinstance(c, dict) or sorted(c) != sorted(keys) or \
            not all(isinstance(c[k], int) for k in keys):
        errors.append(f"counters: {c!r}")
expect("ready", status.get("ready"), True)
routes = {r.get("destination"): r for r in status.get("routes", [])}
default = routes.get("0.0.0.0/0", {})
expect("default route", (default.get("gateway"), default.get("kind"),
                         default.get("metric")), (gateway, "static", 0))
connected = routes.get(address.rsplit(".", 1)[0] + ".0/24", {})
expect("connected route", (connected.get("kind"), connected.get("metric")),
       ("connected", 0))
for key in ("uptime_ms", "routes", "arp", "sockets", "pool", "counters"):
    if key not in status:
        errors.append(f"no {key}")
links = [l for l in status.get("links", []) if l.get("interface") == tap]
if len(links) != 1:
    errors.append(f"links: {status.get('links')!r} has no {tap}")
else:
    expect("syn_shed", links[0].get("syn_shed"), False)
    expect("syn_shed_times", links[0].get("syn_shed_times"), 0)
    expect("syn_drops", links[0].get("syn_drops"), 0)
    if not isinstance(links[0].get("kernel_drops"), int):
        errors.append(f"kernel_drops: {links[0]!r}")
expect("owners", status.get("owners"),
       [{"uid": 0, "clients": 1, "udp": 0, "listeners": 0, "connections": 0}])
if not isinstance(status.get("counters"), dict) or \
        "ip_rx_drop_checksum" not in status["counters"]:
    errors.append("counters lack ip_rx_drop_checksum")
for e in errors:
    print("  " + e)
sys.exit(1 if errors else 0)
PY
	fail "the JSON does not match"

pass
