#!/bin/bash
# tcp_syn_flood: a SYN flood from random sources leaves established
# connections and genuine connects working, and leaves nothing behind.
#
# A kernel socket connects to a libutcp sink first. Then syn_flood
# (tests/bench/syn_flood.c) writes COUNT SYNs from random off-link
# sources to a libutcp echo server's port, on the kernel's side of the
# TAP, for at most SECONDS. Meanwhile the established connection
# carries a file (its SHA-256 must match) and LEGIT kernel connects to
# the flooded port must each complete and echo. Properties, not timing:
# utcpd dropped SYNs beyond its per-turn budget (tcp_rule_syn_over_budget
# rose), and after the flood the pool and the connections return to
# where they were.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"

count=${TCP_SYN_FLOOD_COUNT:-4000000}
seconds=${TCP_SYN_FLOOD_SECONDS:-6}
legit=${TCP_SYN_FLOOD_LEGIT:-5}
size=$((4 << 20))
((UTCP_SANITIZED)) && size=$((1 << 20))
[[ -x ${SYN_FLOOD:-} ]] || skip "no syn_flood program (SYN_FLOOD)"

start_daemon tcpsynflood utsynfl 10.77.35
nsx ping -n -c 1 -w 5 "$DAEMON_IP" >/dev/null || fail "ping $DAEMON_IP failed"
pool() {
	tcp_query '"%d %d" % (st["pool"]["small_in_use"], st["pool"]["large_in_use"])'
}
pool0=$(pool)
say "baseline: pool in use (small large) $pool0"

random_file "$TMP/in" "$size"
start_bg "$TCP_HELPER" -S "$SOCK" sink 7100 "$TMP/out" >"$TMP/sink.out"
sink=$BG_PID
wait_for utcp_listening 7100 || fail "the libutcp sink is not listening"
start_ns_bg timeout 100 socat -u "OPEN:$TMP/in" "TCP:$DAEMON_IP:7100"
sender=$BG_PID
wait_for grep -q accepted "$TMP/sink.out" || fail "the sink accepted nothing"

start_bg timeout 100 "$TCP_HELPER" -S "$SOCK" echo-server 7000 $((legit + 1)) >"$TMP/echo.out"
echo_srv=$BG_PID
wait_for utcp_listening 7000 || fail "the libutcp echo server is not listening"

over0=$(counter tcp_rule_syn_over_budget)
answered0=$(($(counter tcp_rule_syn_cookie_sent) + $(counter tcp_rule_deliver_in_1)))
say "flood: at most $count SYNs in $seconds s at port 7000; $legit genuine connects; $((size >> 20)) MiB on the established connection"
start_ns_bg "$SYN_FLOOD" "$TAP" "$DAEMON_MAC" "$DAEMON_IP" 7000 "$count" "$seconds" \
	>"$TMP/flood.out"
flood=$BG_PID
flood_seen() {
	(($(counter tcp_rule_syn_over_budget) > over0))
}
wait_for flood_seen || fail "no SYN beyond the budget reached utcpd"
kill -s USR1 "$sink"
legit_out=$(nsx timeout 90 "$PYTHON" "$(dirname "$0")/tcp_syn_connects.py" \
	"$DAEMON_IP" 7000 "$legit" 30 2>&1) || fail "genuine connects during the flood: $legit_out"
say "  genuine connects during the flood: $legit_out"
flood_alive=no
kill -0 "$flood" 2>/dev/null && flood_alive=yes
wait_pid 60 "$sender" || fail "the kernel sender failed ($?)"
wait_pid 60 "$sink" || fail "the sink failed ($?): $(cat "$TMP/sink.out")"
say "  established transfer: $(tail -1 "$TMP/sink.out") (the flood still running then: $flood_alive)"
[[ $(sha "$TMP/in") == $(sha "$TMP/out") ]] || fail "the transfer arrived corrupted"
wait_pid 30 "$flood" || fail "syn_flood failed ($?)"
say "  syn_flood: $(cat "$TMP/flood.out")"
# The echo server's last connection, after the flood: it then exits.
out=$(nsx timeout 60 "$PYTHON" "$(dirname "$0")/tcp_syn_connects.py" \
	"$DAEMON_IP" 7000 1 30 2>&1) || fail "a connect after the flood: $out"
wait_pid 10 "$echo_srv" || fail "the echo server failed ($?): $(cat "$TMP/echo.out")"

over=$(($(counter tcp_rule_syn_over_budget) - over0))
answered=$(($(counter tcp_rule_syn_cookie_sent) + $(counter tcp_rule_deliver_in_1) - answered0))
say "  SYNs answered $answered, dropped beyond the per-turn budget $over"
((over > 0)) || fail "no SYN was dropped beyond the budget"
# One TAP: its SYN drops are all of them (status's link record).
link=$(tcp_query '"%d %d" % (st["links"][0]["syn_drops"], st["links"][0]["syn_shed_times"])')
[[ ${link% *} -eq $(counter tcp_rule_syn_over_budget) ]] ||
	fail "the TAP's SYN drops ${link% *} are not the stack's $(counter tcp_rule_syn_over_budget)"
say "  the TAP's SYN filter went on ${link#* } times"
((answered > 0)) || fail "no SYN was answered"

# Half-open connections of the flood expire (their SYN-ACKs go
# unanswered); cookies keep nothing. Then everything is as before.
wait_for -t 90 tcp_settled || fail "connections left: $(tcp_unsettled)"
wait_for -t 30 sh -c "[ \"\$1\" = \"\$(\"\$2\" -S \"\$3\" status --json | \"\$4\" -c 'import json,sys; p=json.load(sys.stdin)[\"pool\"]; print(p[\"small_in_use\"], p[\"large_in_use\"])')\" ]" \
	_ "$pool0" "$UTCPCTL" "$SOCK" "$PYTHON" || fail "pool in use $(pool), not back to $pool0"
say "  after: pool in use $(pool), no connection left but TIME_WAIT"
pass
