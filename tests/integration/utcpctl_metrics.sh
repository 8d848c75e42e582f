#!/bin/bash
# utcpctl_metrics: `utcpctl metrics` is parsed by the Prometheus text
# format's parser (python3-prometheus-client, as a scraper or
# node_exporter's textfile collector reads it): every counter of
# `counters --json` is there as utcpd_<name>_total, its value between
# that counter's in two full dumps taken around it; the gauges match
# what the test set up (2 established connections to a kernel peer, a
# listener, a UDP socket); --json carries the same families. `ifaces`
# shows each TAP's counters: 20 pings move the daemon's rx/tx frames and
# bytes exactly as much as the kernel's side of the TAP counted
# (/proc/net/dev), in text and JSON; and its carrier goes down when the
# kernel side is set down and comes back up with it.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

"$PYTHON" -c 'import prometheus_client' 2>/dev/null ||
	skip "python3-prometheus-client is not installed (tools/deps.sh)"

start_daemon utmetrics utmet0 10.77.42

# kernel_tcp_listening PORT: a kernel socket in the namespace listens.
kernel_tcp_listening() {
	[[ -n $(nsx ss -Hntl "sport = :$1") ]]
}

say "two connections to a kernel peer, a listener and a UDP socket"
start_ns_bg socat "TCP-LISTEN:6100,bind=$KERNEL_IP,reuseaddr,fork" SYSTEM:cat
wait_for kernel_tcp_listening 6100 || fail "socat is not listening on 6100"
mkfifo "$TMP/in1" "$TMP/in2" "$TMP/in3"
exec 3<>"$TMP/in1" 4<>"$TMP/in2" 5<>"$TMP/in3"
start_bg "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" 6100 <"$TMP/in1" >"$TMP/out1"
start_bg "$UTCP_NC" -S "$SOCK" "$KERNEL_IP" 6100 <"$TMP/in2" >"$TMP/out2"
start_bg "$UTCP_NC" -S "$SOCK" -l -p 6300 <"$TMP/in3" >/dev/null
start_bg "$UTCP_NC" -S "$SOCK" -u -l -p 6200 </dev/null >/dev/null
printf 'one\n' >&3
printf 'two\n' >&4
wait_for grep -q one "$TMP/out1" || fail "no echo on the first connection"
wait_for grep -q two "$TMP/out2" || fail "no echo on the second connection"
# conns_ready: 2 established connections, a listener, a UDP socket.
conns_ready() {
	"$UTCPCTL" -S "$SOCK" conns --json | "$PYTHON" -c '
import json, sys
s = json.load(sys.stdin)["sockets"]
est = [x for x in s if x["state"] == "ESTABLISHED" and x["protocol"] == "tcp"]
lst = [x for x in s if x["state"] == "LISTEN"]
udp = [x for x in s if x["protocol"] == "udp"]
sys.exit(0 if (len(est), len(lst), len(udp)) == (2, 1, 1) else 1)'
}
wait_for conns_ready || fail "the sockets are not all there: $("$UTCPCTL" -S "$SOCK" conns)"

say "metrics: parsed by prometheus_client; counters between two dumps, gauges as set up"
before=$(status_json)
"$UTCPCTL" -S "$SOCK" metrics >"$TMP/metrics.txt" || fail "utcpctl metrics: exit status $?"
after=$(status_json)
"$UTCPCTL" -S "$SOCK" metrics --json >"$TMP/metrics.json" || fail "utcpctl metrics --json failed"
"$PYTHON" - "$TMP/metrics.txt" "$TMP/metrics.json" "$before" "$after" "$TAP" <<'PY' ||
import json, sys
from prometheus_client.parser import text_string_to_metric_families

text = open(sys.argv[1]).read()
j = json.load(open(sys.argv[2]))
before = json.loads(sys.argv[3])["counters"]
after = json.loads(sys.argv[4])["counters"]
tap = sys.argv[5]
errors = []
samples, types = {}, {}
for fam in text_string_to_metric_families(text):
    for s in fam.samples:
        key = (s.name, tuple(sorted(s.labels.items())))
        if key in samples:
            errors.append(f"{key} twice")
        samples[key] = s.value
        types[s.name] = fam.type
# every line of the text is HELP, TYPE or a sample
for line in text.splitlines():
    if not line or (line.startswith("#") and not line.startswith(("# HELP ", "# TYPE "))):
        errors.append(f"odd line {line!r}")
for name in after:
    key = (f"utcpd_{name}_total", ())
    if key not in samples:
        errors.append(f"no {key[0]}")
    elif not before[name] <= samples[key] <= after[name]:
        errors.append(f"{key[0]} = {samples[key]}, not within {before[name]}..{after[name]}")
    elif types[key[0]] != "counter":
        errors.append(f"{key[0]} is a {types[key[0]]}")
def want(name, labels, value):
    got = samples.get((name, tuple(sorted(labels.items()))))
    if got != value:
        errors.append(f"{name}{labels}: {got!r}, want {value!r}")
want("utcpd_tcp_connections", {"state": "established"}, 2)
want("utcpd_tcp_connections", {"state": "time_wait"}, 0)
want("utcpd_tcp_listeners", {}, 1)
want("utcpd_udp_sockets", {}, 1)
want("utcpd_ready", {}, 1)
want("utcpd_interface_carrier", {"interface": tap}, 1)
want("utcpd_interface_mtu", {"interface": tap}, 1500)
want("utcpd_interface_configured", {"interface": tap}, 1)
if samples.get(("utcpd_control_clients", ()), 0) < 4:
    errors.append(f"utcpd_control_clients {samples.get(('utcpd_control_clients', ()))}, want >= 4")
for k in ("in_use", "allocated", "max", "free"):
    for c in ("small", "large"):
        if ("utcpd_pool_buffers_" + k, (("class", c),)) not in samples:
            errors.append(f"no utcpd_pool_buffers_{k}{{class={c}}}")
for k in ("rx_frames", "rx_bytes", "tx_frames", "tx_bytes", "rx_errors", "tx_drops"):
    v = samples.get((f"utcpd_interface_{k}_total", (("interface", tap),)))
    if v is None or (k.endswith(("frames", "bytes")) and v <= 0):
        errors.append(f"utcpd_interface_{k}_total{{interface={tap}}} = {v!r}")
# the JSON: the same families, the same gauges
fams = {m["name"]: m for m in j["metrics"]}
for m in j["metrics"]:
    if m["type"] not in ("counter", "gauge") or not m["help"] or not m["samples"]:
        errors.append(f"json family {m['name']}: {m['type']} {m['help']!r}")
est = [s["value"] for s in fams["utcpd_tcp_connections"]["samples"] if s["labels"] == {"state": "established"}]
if est != [2]:
    errors.append(f"json established: {est}")
if len(fams) != len({f.name for f in text_string_to_metric_families(text)}):
    errors.append(f"json has {len(fams)} families, text {len(list(text_string_to_metric_families(text)))}")
for e in errors:
    print("metrics:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
	fail "utcpctl metrics: see above"

# kernel_tap FIELD: the kernel side's counter of the TAP (/proc/net/dev:
# rx_bytes rx_packets ... tx_bytes tx_packets).
kernel_tap() {
	nsx awk -v tap="$TAP:" -v f="$1" '$1 == tap {
		if (f == "rx_bytes") print $2; if (f == "rx_packets") print $3
		if (f == "tx_bytes") print $10; if (f == "tx_packets") print $11 }' /proc/net/dev
}
# snapshot: "daemon rx frames, rx bytes, tx frames, tx bytes; kernel tx
# packets, tx bytes, rx packets, rx bytes", taken when the kernel's did
# not move while the daemon's were read (bounded tries). The barrier
# makes the daemon read every frame the kernel had queued on the TAP
# (counted by the kernel as sent when queued) before it counts.
snapshot() {
	local k1 k2 d
	for _ in $(seq 1 50); do
		k1="$(kernel_tap tx_packets) $(kernel_tap tx_bytes) $(kernel_tap rx_packets) $(kernel_tap rx_bytes)"
		"$UTCPCTL" -S "$SOCK" barrier || fail "utcpctl barrier failed"
		d=$("$UTCPCTL" -S "$SOCK" ifaces --json | "$PYTHON" -c '
import json, sys
c = json.load(sys.stdin)["interfaces"][0]["counters"]
print(c["rx_frames"], c["rx_bytes"], c["tx_frames"], c["tx_bytes"])')
		k2="$(kernel_tap tx_packets) $(kernel_tap tx_bytes) $(kernel_tap rx_packets) $(kernel_tap rx_bytes)"
		if [[ $k1 == "$k2" ]]; then
			printf '%s %s\n' "$d" "$k1"
			return
		fi
	done
	fail "the kernel's counters never held still"
}

say "ifaces: 20 pings move the TAP's counters as the kernel's side counted them"
read -r drf drb dtf dtb ktf ktb krf krb < <(snapshot)
"$UTCPCTL" -S "$SOCK" ping -c 20 -i 0.01 "$KERNEL_IP" >/dev/null || fail "ping failed"
"$UTCPCTL" -S "$SOCK" barrier
read -r drf2 drb2 dtf2 dtb2 ktf2 ktb2 krf2 krb2 < <(snapshot)
((drf2 - drf >= 20 && dtf2 - dtf >= 20)) || fail "rx/tx frames moved by $((drf2 - drf))/$((dtf2 - dtf)), want >= 20"
((drf2 - drf == ktf2 - ktf)) || fail "daemon rx frames +$((drf2 - drf)), kernel tx +$((ktf2 - ktf))"
((drb2 - drb == ktb2 - ktb)) || fail "daemon rx bytes +$((drb2 - drb)), kernel tx +$((ktb2 - ktb))"
((dtf2 - dtf == krf2 - krf)) || fail "daemon tx frames +$((dtf2 - dtf)), kernel rx +$((krf2 - krf))"
((dtb2 - dtb == krb2 - krb)) || fail "daemon tx bytes +$((dtb2 - dtb)), kernel rx +$((krb2 - krb))"
text=$("$UTCPCTL" -S "$SOCK" ifaces)
grep -qx "     carrier up" <<<"$text" || fail "ifaces: no 'carrier up': $text"
grep -Eq "^          rx [0-9]+ frames  [0-9]+ bytes  0 errors  0 drops$" <<<"$text" || fail "ifaces: no rx line: $text"
grep -Eq "^          tx [0-9]+ frames  [0-9]+ bytes  0 errors  0 drops$" <<<"$text" || fail "ifaces: no tx line: $text"

# carrier_is STATE: ifaces --json says the TAP's carrier is STATE.
carrier_is() {
	[[ $("$UTCPCTL" -S "$SOCK" ifaces --json | "$PYTHON" -c '
import json, sys
print(json.load(sys.stdin)["interfaces"][0]["carrier"])') == "$1" ]]
}
say "carrier: down when the kernel side is set down, up again with it"
ip -n "$NS" link set dev "$TAP" down
wait_for carrier_is down || fail "carrier not down after ip link set down"
grep -qx "     carrier down" <<<"$("$UTCPCTL" -S "$SOCK" ifaces)" || fail "ifaces text: carrier not down"
grep -qx "utcpd_interface_carrier{interface=\"$TAP\"} 0" <<<"$("$UTCPCTL" -S "$SOCK" metrics)" ||
	fail "metrics: carrier not 0"
ip -n "$NS" link set dev "$TAP" up
wait_for carrier_is up || fail "carrier not up after ip link set up"

say "metrics takes no argument"
status=0
"$UTCPCTL" -S "$SOCK" metrics extra >/dev/null 2>"$TMP/err" || status=$?
((status == 2)) || fail "metrics extra: exit status $status"

pass
