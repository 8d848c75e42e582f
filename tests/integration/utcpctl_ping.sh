#!/bin/bash
# utcpctl_ping: `utcpctl ping` sends ICMP echoes from utcpd's own stack
# to the namespace's kernel and prints each reply as ping does (icmp_seq
# 1..N in order, ttl, time) and ping's summary; the kernel counts exactly
# the echoes it answered (/proc/net/snmp) and utcpd's counters agree.
# --json holds every echo and the summary. A large echo is fragmented
# and reassembled both ways. A name is resolved by the daemon ([hosts]).
# An address in the subnet that nobody holds gives 100 % loss and exit
# status 1; a name that does not resolve, a bad option or interface give
# one line on stderr and status 2. A ping whose client is killed while
# it waits leaves the daemon serving others. SIGINT or SIGTERM ends a
# run at once with the summary and ping's exit status, between echoes
# or with one out (lost, as ping counts it). With [limits]
# icmp_echo_max = 2 a third echo at once is refused.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

make_namespace
write_config ping utping0 10.77.41 '' '[hosts]' 'peer.ping.test = 10.77.41.1' \
	'[limits]' 'icmp_echo_max = 2'
start_daemon_with_config

# kernel_icmp FIELD: the namespace kernel's Icmp FIELD (/proc/net/snmp).
kernel_icmp() {
	nsx awk -v f="$1" '$1 == "Icmp:" && !h { for (i = 2; i <= NF; i++) n[i] = $i; h = 1; next }
		$1 == "Icmp:" { for (i = 2; i <= NF; i++) if (n[i] == f) print $i }' /proc/net/snmp
}

say "ping -c 5 -i 0.05: five replies from the kernel, in order, and ping's summary"
in0=$(kernel_icmp InEchos) rep0=$(kernel_icmp OutEchoReps)
tx0=$(counter icmp_tx_echo_requests) rx0=$(counter icmp_rx_echo_replies)
status=0
out=$("$UTCPCTL" -S "$SOCK" ping -c 5 -i 0.05 "$KERNEL_IP" 2>"$TMP/err") || status=$?
printf '%s\n' "$out"
((status == 0)) || fail "exit status $status: $(cat "$TMP/err")"
[[ $(head -n 1 <<<"$out") == "PING $KERNEL_IP ($KERNEL_IP) 56(84) bytes of data." ]] ||
	fail "header line: $(head -n 1 <<<"$out")"
seqs=$(grep -E "^64 bytes from $KERNEL_IP: icmp_seq=[0-9]+ ttl=64 time=[0-9]+\.[0-9]{3} ms$" <<<"$out" |
	sed -E 's/.*icmp_seq=([0-9]+).*/\1/' | tr '\n' ' ')
[[ $seqs == "1 2 3 4 5 " ]] || fail "reply lines for icmp_seq '$seqs', want 1..5"
grep -qx -- "--- $KERNEL_IP ping statistics ---" <<<"$out" || fail "no statistics line"
grep -qE '^5 packets transmitted, 5 received, 0% packet loss, time [0-9]+ms$' <<<"$out" ||
	fail "summary: $(tail -n 2 <<<"$out")"
grep -qE '^rtt min/avg/max/mdev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms$' <<<"$out" ||
	fail "no rtt line"
((($(kernel_icmp InEchos) - in0) == 5)) ||
	fail "the kernel got $(($(kernel_icmp InEchos) - in0)) echo requests, want 5"
((($(kernel_icmp OutEchoReps) - rep0) == 5)) ||
	fail "the kernel sent $(($(kernel_icmp OutEchoReps) - rep0)) echo replies, want 5"
(($(counter icmp_tx_echo_requests) - tx0 == 5)) || fail "icmp_tx_echo_requests moved by other than 5"
(($(counter icmp_rx_echo_replies) - rx0 == 5)) || fail "icmp_rx_echo_replies moved by other than 5"

say "--json: every echo and the summary"
"$UTCPCTL" -S "$SOCK" ping -c 3 -i 0.05 --json "$KERNEL_IP" >"$TMP/ping.json" ||
	fail "ping --json: exit status $?"
"$PYTHON" - "$TMP/ping.json" "$KERNEL_IP" <<'PY' || fail "ping --json: $(cat "$TMP/ping.json")"
import json, sys
p = json.load(open(sys.argv[1]))
peer = sys.argv[2]
assert p["host"] == peer and p["address"] == peer and p["size"] == 56, p
assert [e["seq"] for e in p["echoes"]] == [1, 2, 3], p["echoes"]
for e in p["echoes"]:
    assert e["status"] == "reply" and e["error"] is None, e
    assert e["from"] == peer and e["bytes"] == 64 and e["ttl"] == 64, e
    assert isinstance(e["time_ms"], float) and e["time_ms"] >= 0, e
assert (p["transmitted"], p["received"], p["errors"]) == (3, 3, 0), p
assert p["loss_percent"] == 0 and p["time_ms"] >= 0, p
assert p["rtt_min_ms"] <= p["rtt_avg_ms"] <= p["rtt_max_ms"], p
assert p["rtt_mdev_ms"] >= 0, p
PY

say "-s 3000: the echo is fragmented and its reply reassembled"
frag0=$(counter ip_tx_fragments)
out=$("$UTCPCTL" -S "$SOCK" ping -c 2 -i 0.05 -s 3000 "$KERNEL_IP") || fail "ping -s 3000 failed"
(($(grep -c "^3008 bytes from $KERNEL_IP: icmp_seq=" <<<"$out") == 2)) || fail "ping -s 3000: $out"
(($(counter ip_tx_fragments) - frag0 == 6)) || fail "ip_tx_fragments moved by other than 6"

say "-I $TAP works; a name is resolved by the daemon"
out=$("$UTCPCTL" -S "$SOCK" ping -c 2 -i 0.05 -I "$TAP" peer.ping.test) || fail "ping -I by name failed"
[[ $(head -n 1 <<<"$out") == "PING peer.ping.test ($KERNEL_IP) 56(84) bytes of data." ]] ||
	fail "header line: $(head -n 1 <<<"$out")"
grep -q '^2 packets transmitted, 2 received, 0% packet loss' <<<"$out" || fail "ping by name: $out"

say "an address nobody holds: 100% loss, exit status 1"
status=0
out=$("$UTCPCTL" -S "$SOCK" ping -c 2 -i 0.2 -W 1 10.77.41.99 2>&1) || status=$?
printf '%s\n' "$out"
((status == 1)) || fail "exit status $status, want 1"
grep -qE '^2 packets transmitted, 0 received, (\+[0-9]+ errors, )?100% packet loss' <<<"$out" ||
	fail "summary: $out"
grep -q '^64 bytes' <<<"$out" && fail "a reply from nobody: $out"
status=0
"$UTCPCTL" -S "$SOCK" ping -c 1 -W 0.3 --json 10.77.41.99 >"$TMP/lost.json" || status=$?
((status == 1)) || fail "--json: exit status $status, want 1"
"$PYTHON" -c '
import json, sys
p = json.load(open(sys.argv[1]))
assert (p["transmitted"], p["received"], p["loss_percent"]) == (1, 0, 100), p
assert p["echoes"][0]["status"] in ("timeout", "host-unreachable"), p
assert p["rtt_avg_ms"] is None and p["echoes"][0]["time_ms"] is None, p' "$TMP/lost.json" ||
	fail "lost --json: $(cat "$TMP/lost.json")"

say "errors: a name that does not resolve, a bad interface, bad options: one line, status 2"
status=0
out=$("$UTCPCTL" -S "$SOCK" ping -c 1 nope.invalid 2>"$TMP/err") || status=$?
((status == 2)) || fail "unresolvable name: exit status $status, want 2"
[[ -z $out ]] || fail "unresolvable name printed: $out"
(($(wc -l <"$TMP/err") == 1)) && grep -q '^utcpctl: ping: nope.invalid: ' "$TMP/err" ||
	fail "unresolvable name: $(cat "$TMP/err")"
status=0
"$UTCPCTL" -S "$SOCK" ping -c 1 -I nosuch0 "$KERNEL_IP" >/dev/null 2>"$TMP/err" || status=$?
((status == 2)) && grep -q "no interface 'nosuch0'" "$TMP/err" ||
	fail "bad interface: status $status: $(cat "$TMP/err")"
for args in "" "-c 0 $KERNEL_IP" "-i x $KERNEL_IP" "-s 65508 $KERNEL_IP" "-W 601 $KERNEL_IP" \
	"-Q $KERNEL_IP" "$KERNEL_IP $KERNEL_IP" "-c"; do
	status=0
	# shellcheck disable=SC2086 # the words are the arguments
	"$UTCPCTL" -S "$SOCK" ping $args >/dev/null 2>"$TMP/err" || status=$?
	((status == 2)) || fail "ping $args: exit status $status, want 2"
	(($(wc -l <"$TMP/err") == 1)) && grep -q "^utcpctl: ping: .*; try 'utcpctl --help'$" "$TMP/err" ||
		fail "ping $args: $(cat "$TMP/err")"
done

# ping_bg ARGS...: starts `utcpctl ping ARGS` in the background, its
# output in $TMP/bg.out and $TMP/bg.err; its pid in $pid.
ping_bg() {
	"$UTCPCTL" -S "$SOCK" ping "$@" >"$TMP/bg.out" 2>"$TMP/bg.err" &
	pid=$!
	STARTED_PIDS+=("$pid")
}

# ping_bg_ends: waits (bounded, far less than the echoes' 300 s) for
# the background ping to exit; its exit status in $status.
ping_bg_ends() {
	wait_for -t 60 eval '! kill -0 "$pid"' || fail "ping still runs after the signal: $(cat "$TMP/bg.out")"
	status=0
	wait "$pid" || status=$?
}

say "SIGINT between two echoes (one answered): the summary at once, status 0"
ping_bg -c 2 -i 300 -W 300 "$KERNEL_IP"
wait_for grep -q '^64 bytes from' "$TMP/bg.out" || fail "no reply: $(cat "$TMP/bg.out" "$TMP/bg.err")"
kill -INT "$pid"
ping_bg_ends
cat "$TMP/bg.out"
((status == 0)) || fail "exit status $status, want 0: $(cat "$TMP/bg.err")"
grep -qE '^1 packets transmitted, 1 received, 0% packet loss, time [0-9]+ms$' "$TMP/bg.out" ||
	fail "summary: $(tail -n 3 "$TMP/bg.out")"

say "SIGINT while an echo is out (the kernel ignores echoes): the summary at once, the echo lost, status 1"
nsx sysctl -qw net.ipv4.icmp_echo_ignore_all=1
tx0=$(counter icmp_tx_echo_requests)
ping_bg -c 1 -W 300 "$KERNEL_IP"
wait_for grep -q '^PING ' "$TMP/bg.out" || fail "no header line: $(cat "$TMP/bg.err")"
wait_for output_is $((tx0 + 1)) counter icmp_tx_echo_requests || fail "the echo never left"
kill -INT "$pid"
ping_bg_ends
cat "$TMP/bg.out"
((status == 1)) || fail "exit status $status, want 1 (no reply): $(cat "$TMP/bg.err")"
grep -qx -- "--- $KERNEL_IP ping statistics ---" "$TMP/bg.out" || fail "no statistics line"
grep -qE '^1 packets transmitted, 0 received, 100% packet loss, time [0-9]+ms$' "$TMP/bg.out" ||
	fail "summary: $(tail -n 3 "$TMP/bg.out")"
[[ -s $TMP/bg.err ]] && fail "stderr: $(cat "$TMP/bg.err")"

say "SIGTERM while an echo is out, --json: the object, the echo lost, status 1"
tx0=$(counter icmp_tx_echo_requests)
ping_bg -c 3 -i 300 -W 300 --json "$KERNEL_IP"
wait_for output_is $((tx0 + 1)) counter icmp_tx_echo_requests || fail "the echo never left"
kill -TERM "$pid"
ping_bg_ends
((status == 1)) || fail "--json: exit status $status, want 1: $(cat "$TMP/bg.err")"
"$PYTHON" -c '
import json, sys
p = json.load(open(sys.argv[1]))
assert (p["transmitted"], p["received"], p["loss_percent"]) == (1, 0, 100), p
assert [(e["seq"], e["status"]) for e in p["echoes"]] == [(1, "timeout")], p' "$TMP/bg.out" ||
	fail "SIGTERM --json: $(cat "$TMP/bg.out")"

say "[limits] icmp_echo_max = 2: two echoes out, a third ping is refused (ENOBUFS)"
tx0=$(counter icmp_tx_echo_requests)
outs=()
for i in 1 2; do
	"$UTCPCTL" -S "$SOCK" ping -c 1 -W 300 "$KERNEL_IP" >"$TMP/out$i" 2>&1 &
	outs+=($!)
	STARTED_PIDS+=($!)
done
wait_for output_is $((tx0 + 2)) counter icmp_tx_echo_requests || fail "the two echoes never left"
status=0
"$UTCPCTL" -S "$SOCK" ping -c 1 -W 300 "$KERNEL_IP" >"$TMP/out3" 2>"$TMP/err3" || status=$?
((status == 1)) || fail "the third ping: exit status $status, want 1"
[[ $(cat "$TMP/err3") == "utcpctl: ping: $KERNEL_IP: icmp_seq=1: No buffer space available" ]] ||
	fail "the third ping's error: $(cat "$TMP/err3")"
(($(counter icmp_tx_echo_requests) == tx0 + 2)) || fail "a third echo left"
for pid in "${outs[@]}"; do
	kill -INT "$pid"
	ping_bg_ends
	((status == 1)) || fail "a held ping: exit status $status, want 1"
done
nsx sysctl -qw net.ipv4.icmp_echo_ignore_all=0

say "a client killed while its echo waits: the daemon goes on serving"
tx0=$(counter icmp_tx_echo_requests)
"$UTCPCTL" -S "$SOCK" ping -c 1 -W 60 10.77.41.98 >/dev/null 2>&1 &
pid=$!
STARTED_PIDS+=("$pid")
wait_for output_is $((tx0 + 1)) counter icmp_tx_echo_requests || fail "the echo never left"
kill "$pid"
wait "$pid" 2>/dev/null || true
out=$("$UTCPCTL" -S "$SOCK" ping -c 1 "$KERNEL_IP") || fail "ping after a killed client failed"
grep -q '^1 packets transmitted, 1 received' <<<"$out" || fail "ping after a killed client: $out"

pass
