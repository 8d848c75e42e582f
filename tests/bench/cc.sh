#!/bin/bash
# cc.sh - congestion control measured: utcpd's CUBIC and NewReno beside
# Linux's CUBIC through one impairment relay (impair.c)
#
#     sudo tests/bench/cc.sh [BUILD_DIR]      # by hand (default: build)
#     meson test -C BUILD --benchmark cc      # as root, through meson
#
# Prints figures and a final table; never fails because something is
# slow or unfair. Fails (1) only when a measurement could not be made,
# skips (77) without root, /dev/net/tun or iproute2.
#
# The network (README.md, "Congestion control"): four namespaces.
#
#   NS:  utcpd ─TAP tc0─┐                       NSR: the relay
#                        br0 ── a0 ═══ a1 ─ impair ─ b1 ═══ b0  NSK
#   NSS: 10.77.0.4 s1 ═══ s0                                 10.77.0.3
#
# utcpd (10.77.0.2) and the Linux sender (NSS) share a bridge in NS, so
# both flows leave through a0 into the relay, cross its bottleneck in
# the a -> b direction, and reach the Linux receiver (utcp-bench -k
# sink) in NSK; the ACKs come back the other way. The relay's
# namespace has no addresses: it only moves frames. TSO, GSO and GRO
# are off on the four veth ends around the relay, so the kernel cuts
# utcpd's and Linux's super-segments before the relay and every loss,
# reordering and queue decision is about one wire segment (README.md
# says why, and what carrying super-segments whole gives).
#
# Figures, each flow alone on a path (BENCH_CC_RUN_SECONDS each):
#   lossy:  1 % random loss of the data segments, 20 ms RTT, no
#           bottleneck;
#   bottleneck: no loss, 50 ms RTT, 100 Mbit/s with a 1-BDP tail-drop
#           queue (625,000 bytes);
# then two CUBIC flows together on the bottleneck path for
# BENCH_CC_SECONDS (30): utcpd's and Linux's, each order (the first
# named starts first, some milliseconds ahead), two utcpd flows, and, as
# the baseline, two Linux flows: Jain's fairness index of their goodputs
# over the time both ran, and over its second half, with each sender's
# window, RTT and retransmissions. For each flow alone:
# goodput (the receiver's, first byte to EOF), the segments the relay
# dropped per MiB, retransmissions and RTOs per MiB (utcpd's counters
# from utcpctl status, which count a retransmitted super-segment once;
# the Linux sender's segments from its namespace's /proc/net), and the
# congestion window sampled once a second (utcpctl status; ss -ti)
# against the path's BDP, with the seconds that moved less than a tenth
# of the flow's mean (stalls).
#
# utcpd runs with [tcp] sndbuf = 4 MiB (Linux's tcp_wmem maximum): with
# its 256 KiB default, the send buffer and not the congestion window
# would limit it on the 50 ms path (BDP 625 KB).
#
# Tunables (environment): BENCH_CC_ONLY=shared (only the shared runs),
# BENCH_CC_RUN_SECONDS (each single flow, 15),
# BENCH_CC_SECONDS (the shared run, 30), BENCH_CC_SEED (the relay's, 1),
# BENCH_CC_SAMPLES (a directory: the shared runs' samples copied there),
# BENCH_CC_BURSTS (seconds: bursts.py watches the relay's input that
# long from 10 s into each shared run, and the log gives how each
# sender's segments arrive, in runs closer than 60 us, and which of
# them the relay dropped),
# BENCH_CC_TCP (more [tcp] keys for utcpd, ';' between them: e.g.
# "hystart = no;prr = no" measures the stack without them),
# BENCH_BUSY_POLL_US (utcpd's [daemon] busy_poll_us; unset: off),
# BENCH_CC_PAIRS (the shared runs, first/second sender: "utcpd/linux
# linux/utcpd utcpd/utcpd linux/linux"), BENCH_CC_STAGGER (seconds
# between the two senders' starts, 0), BENCH_CC_QUEUE (the bottleneck's
# queue: droptail; red: the same limit with random early drops, up to
# 10 % at three quarters of it; jitter: drop-tail, each frame's time on
# the link +-50 % at random; impair.c), IMPAIR (the relay binary).
#
# For each shared run the relay counts each flow's segments, those it
# dropped and the drop events (drops less than a round trip apart are
# one; shared: the other flow lost in the same round trip), over the
# whole run and from its middle on.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench_lib.sh
source "$HERE/bench_lib.sh"
# shellcheck disable=SC2034 # lib.sh's say() and temporary directory
TEST_NAME=cc

RUN_S=${BENCH_CC_RUN_SECONDS:-15}
SHARE_S=${BENCH_CC_SECONDS:-30}
SEED=${BENCH_CC_SEED:-1}
if [[ -z ${IMPAIR:-} ]]; then
	for IMPAIR in "$(dirname "$UTCP_BENCH")/impair" \
		"$(dirname "$UTCP_BENCH")/../integration/impair"; do
		[[ -x $IMPAIR ]] && break
	done
fi

SENDER_IP=10.77.0.4 # NSS's Linux sender
SINK_IP=10.77.0.3   # NSK's Linux receiver
NSS="" NSK="" NSR=""
RELAY_PID=""
CC=""               # utcpd's congestion control now

nssx() { ip netns exec "$NSS" "$@"; }
nskx() { ip netns exec "$NSK" "$@"; }

# offloads_off NS DEV: no TSO, GSO or GRO on DEV in namespace NS.
offloads_off() {
	ip netns exec "$1" "$PYTHON" "$HERE/offload.py" "$2" tso=0 gso=0 gro=0 \
		>/dev/null || fail "cannot turn offloads off on $2"
}

# setup_net: the namespaces, veths and bridge (the daemon comes later).
setup_net() {
	require_root
	[[ -x $UTCP_BENCH ]] || fail "no $UTCP_BENCH (build first)"
	[[ -x $IMPAIR ]] || fail "no impair relay $IMPAIR (build first)"
	make_namespace
	make_extra_namespace
	NSS=$EXTRA_NS_NAME
	make_extra_namespace
	NSK=$EXTRA_NS_NAME
	make_extra_namespace
	NSR=$EXTRA_NS_NAME
	ip -n "$NS" link add br0 type bridge
	ip -n "$NS" link add a0 type veth peer name a1 netns "$NSR"
	ip -n "$NSK" link add b0 type veth peer name b1 netns "$NSR"
	ip -n "$NSS" link add s1 type veth peer name s0 netns "$NS"
	offloads_off "$NS" a0
	offloads_off "$NSR" a1
	offloads_off "$NSR" b1
	offloads_off "$NSK" b0
	ip -n "$NS" link set a0 master br0
	ip -n "$NS" link set s0 master br0
	local d
	for d in br0 a0 s0; do ip -n "$NS" link set "$d" up; done
	for d in a1 b1; do
		ip -n "$NSR" link set "$d" arp off
		ip -n "$NSR" link set "$d" up
	done
	ip -n "$NSS" addr add "$SENDER_IP/24" dev s1
	ip -n "$NSS" link set s1 up
	ip -n "$NSK" addr add "$SINK_IP/24" dev b0
	ip -n "$NSK" link set b0 up
	say "$(uname -r), $(nproc) CPUs; the Linux sender uses CUBIC (TCP_CONGESTION), its namespace's default being $(nssx sysctl -n net.ipv4.tcp_congestion_control)"
}

# daemon_up CC: utcpd with congestion = CC, its TAP on the bridge.
daemon_up() {
	CC=$1
	if [[ -n $DAEMON_PID ]]; then
		stop_daemon || fail "utcpd did not stop cleanly"
	fi
	local extra=()
	[[ -n ${BENCH_CC_TCP:-} ]] && IFS=';' read -r -a extra <<<"$BENCH_CC_TCP"
	write_config cc tc0 10.77.0 "" "[tcp]" "congestion = $CC" \
		"sndbuf = 4194304" "${extra[@]}"
	if [[ -n ${BENCH_BUSY_POLL_US:-} ]]; then
		config_busy_poll "$BENCH_BUSY_POLL_US"
	fi
	start_daemon_with_config
	# lib.sh gave the TAP's kernel side the gateway's address: the
	# kernel of NS takes no part here, the TAP is a bridge port.
	ip -n "$NS" addr flush dev tc0
	ip -n "$NS" link set tc0 master br0
	say "utcpd ($CC${BENCH_CC_TCP:+; $BENCH_CC_TCP}${BENCH_BUSY_POLL_US:+; busy_poll_us $BENCH_BUSY_POLL_US}) is PID $DAEMON_PID"
}

# relay_up ARGS...: the relay between a1 and b1 with ARGS.
relay_up() {
	relay_down
	start_bg ip netns exec "$NSR" "$IMPAIR" -s "$SEED" "$@" a1 b1 \
		>"$TMP/relay.out" 2>"$TMP/relay.err" </dev/null
	RELAY_PID=$BG_PID
	wait_for grep -q '^ready' "$TMP/relay.out" ||
		fail "the relay did not start: $(cat "$TMP/relay.err")"
	say "relay: impair $*"
}

# relay_counters: the relay's counters now (SIGUSR1), "ab: ..." lines.
relay_counters() {
	local n
	n=$(grep -c '^ab:' "$TMP/relay.out" || true)
	kill -s USR1 "$RELAY_PID"
	wait_for -t 5 bash -c "(( \$(grep -c '^ab:' '$TMP/relay.out') > $n ))" ||
		fail "the relay prints no counters"
	wait_for -t 5 bash -c "(( \$(grep -c '^ba:' '$TMP/relay.out') > $n ))" || true
	grep '^ab:' "$TMP/relay.out" | tail -n 1
	grep '^ba:' "$TMP/relay.out" | tail -n 1
}

# relay_lost: the frames the relay dropped towards the receiver so
# far (loss, queue, slots).
relay_lost() {
	relay_counters | awk '/^ab:/ {
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] ~ /^dropped_/) n += kv[2]
		}
		print n + 0 }'
}

relay_down() {
	[[ -n $RELAY_PID ]] || return 0
	stop_bg "$RELAY_PID"
	RELAY_PID=""
}

# reachable: both senders reach the receiver through the relay.
reachable() {
	wait_for nssx ping -c 1 -W 1 "$SINK_IP" || fail "no path $SENDER_IP -> $SINK_IP"
	wait_for nskx ping -c 1 -W 1 "$DAEMON_IP" ||
		fail "no path $SINK_IP -> $DAEMON_IP"
}

# kernel_stat NS FILE GROUP FIELD: namespace NS's counter FIELD of GROUP
# in /proc/net/FILE (snmp, netstat).
kernel_stat() {
	# shellcheck disable=SC2016 # awk program
	ip netns exec "$1" awk -v g="$3:" -v f="$4" '
		$1 == g && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
		$1 == g { print $c[f] }' "/proc/net/$2"
}

# sender_counts WHO: "retransmitted_segments rtos" of the utcpd or the
# Linux sender so far.
sender_counts() {
	if [[ $1 == utcpd ]]; then
		echo "$(counter tcp_retransmits) $(counter tcp_rto_timeouts)"
	else
		echo "$(kernel_stat "$NSS" snmp Tcp RetransSegs) $(kernel_stat "$NSS" netstat TcpExt TCPTimeouts)"
	fi
}

# slow_start_ends: utcpd's HyStart++ counters (CSS entries, resumes,
# exits) and the Linux sender's HyStart exits (delay, ACK train).
slow_start_ends() {
	echo "$(counter tcp_hystart_css_entries) $(counter tcp_hystart_css_resumes)" \
		"$(counter tcp_hystart_exits)" \
		"$(kernel_stat "$NSS" netstat TcpExt TCPHystartDelayDetect)" \
		"$(kernel_stat "$NSS" netstat TcpExt TCPHystartTrainDetect)"
}

# sampler FILE [FAST]: once a second (four times a second over the
# first FAST seconds), one line per sample:
#   T rxPORT=BYTES... ucwnd=BYTES kcwnd=BYTES cwPORT=BYTES rtPORT=US rePORT=N...
# (bytes received by the sink on each PORT, utcpd's and the Linux
# sender's largest congestion window in bytes, and each sender
# connection's window, smoothed RTT and retransmissions so far, keyed by
# the sink's PORT), until killed.
sampler() {
	local file=$1 fast=${2:-0} t0 now line
	shift
	# A sample that fails is a sample missing, never the run's end.
	set +e +o pipefail
	trap - ERR
	t0=$(date +%s.%N)
	while :; do
		now=$(date +%s.%N)
		line=$(awk -v a="$now" -v b="$t0" 'BEGIN { printf "%.2f", a - b }')
		line+=" $(nskx ss -tinH state established 2>/dev/null | awk '
			/^[0-9]/ {
				for (i = 1; i <= NF; i++)
					if ($i ~ /^[0-9.]+:[0-9]+$/) { split($i, p, ":"); port = p[2]; break }
			}
			/bytes_received:/ {
				for (i = 1; i <= NF; i++)
					if ($i ~ /^bytes_received:/) { split($i, v, ":"); printf "rx%s=%s ", port, v[2] }
			}')"
		line+=" ucwnd=$(status_json 2>/dev/null | "$PYTHON" -c '
import json, sys
try:
    st = json.load(sys.stdin)
    print(max([s["cwnd"] for s in st["sockets"] if s.get("protocol") == "tcp"
               and not s["listener"] and s["state"] == "ESTABLISHED"] or [0]))
except Exception:
    print(0)' 2>/dev/null)"
		line+=" kcwnd=$(nssx ss -tinH state established 2>/dev/null | awk '
			{ for (i = 1; i <= NF; i++) {
				if ($i ~ /^cwnd:/) { split($i, v, ":"); c = v[2] }
				if ($i ~ /^mss:/) { split($i, v, ":"); m = v[2] } } }
			END { print c * m + 0 }')"
		# Each flow on its own: utcpd's sockets, then Linux's.
		line+=" $(status_json 2>/dev/null | "$PYTHON" -c '
import json, sys
try:
    for s in json.load(sys.stdin)["sockets"]:
        if s.get("protocol") == "tcp" and not s["listener"] and s["state"] == "ESTABLISHED":
            p = s["remote"].rpartition(":")[2]
            print("cw%s=%d rt%s=%d re%s=%d" % (p, s["cwnd"], p, s["srtt_us"], p, s["retransmits"]), end=" ")
except Exception:
    pass' 2>/dev/null)"
		line+=" $(nssx ss -tinH state established 2>/dev/null | awk '
			/^[0-9]/ {
				port = ""
				for (i = 1; i <= NF; i++)
					if ($i ~ /^[0-9.]+:[0-9]+$/) { split($i, p, ":"); port = p[2] }
				next
			}
			port != "" {
				c = m = r = t = 0
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^cwnd:/) { split($i, v, ":"); c = v[2] }
					if ($i ~ /^mss:/) { split($i, v, ":"); m = v[2] }
					if ($i ~ /^rtt:/) { split($i, v, "[:/]"); t = v[2] * 1000 }
					if ($i ~ /^retrans:/) { split($i, v, "[:/]"); r = v[3] }
				}
				printf "cw%s=%d rt%s=%d re%s=%d ", port, c * m, port, t, port, r
			}')"
		printf '%s\n' "$line" >>"$file"
		if awk -v a="$now" -v b="$t0" -v f="$fast" 'BEGIN { exit !(a - b < f) }'; then
			sleep 0.25
		else
			sleep 1
		fi
	done
}

# sink_up NAME PORT: a Linux receiver on PORT in NSK, in the
# background, listening; $SINK_PID is its PID.
sink_up() {
	start_bg ip netns exec "$NSK" "$UTCP_BENCH" -k sink "$2" \
		>"$TMP/$1-sink.out" 2>"$TMP/$1-sink.err" </dev/null
	wait_listening "$1-sink"
	SINK_PID=$BG_PID
}

# flow NAME WHO PORT SECONDS: a sender (WHO: utcpd or linux) to a sink
# on PORT in NSK, in the background; $FLOW_PID is the source's PID,
# $SINK_PID the sink's.
flow() {
	sink_up "$1" "$3"
	source_up "$@"
}

# source_up NAME WHO PORT SECONDS: flow's sender alone (its sink
# listening already); $FLOW_PID is its PID.
source_up() {
	local name=$1 who=$2 port=$3 secs=$4
	if [[ $who == utcpd ]]; then
		start_bg ip netns exec "$NS" "$UTCP_BENCH" -S "$SOCK" source \
			"$SINK_IP" "$port" "$secs" \
			>"$TMP/$name-source.out" 2>"$TMP/$name-source.err" </dev/null
	else
		start_bg ip netns exec "$NSS" "$UTCP_BENCH" -k -C cubic source \
			"$SINK_IP" "$port" "$secs" \
			>"$TMP/$name-source.out" 2>"$TMP/$name-source.err" </dev/null
	fi
	FLOW_PID=$BG_PID
}

# analyse SAMPLES BDP PORT...: prints, per PORT, "PORT mbps stalls
# cwnd_min cwnd_med cwnd_max" (the window in BDPs, sampled over the
# second half of the flow), then with two PORTS "jain J MBPS1 MBPS2
# SECONDS J2 MBPS1 MBPS2": Jain's index and the goodputs over the
# seconds both received data, then over the second half of them. The
# windows are utcpd's (ports 5301, 5303) or Linux's.
analyse() {
	"$PYTHON" - "$@" <<'EOF'
import re, statistics, sys
path, bdp, ports = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
rows = []
for line in open(path):
    f = line.split()
    if not f:
        continue
    d = {"t": float(f[0])}
    for kv in f[1:]:
        k, _, v = kv.partition("=")
        try:
            d[k] = float(v)
        except ValueError:
            pass
    rows.append(d)
def series(port):
    return [(r["t"], r["rx" + port]) for r in rows if "rx" + port in r]
rates = {}
for port in ports:
    s = series(port)
    win = "ucwnd" if port in ("5301", "5303") else "kcwnd"
    if len(s) < 3:
        print(port, "- - - - -")
        continue
    steps = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(s, s[1:])]
    mean = (s[-1][1] - s[0][1]) / (s[-1][0] - s[0][0])
    # The last second may be the drain at the end: not a stall.
    stalls = sum(1 for x in steps[:-1] if x < mean / 10)
    t_lo, t_hi = s[0][0], s[-1][0]
    half = [r[win] for r in rows
            if t_lo + (t_hi - t_lo) / 2 <= r["t"] <= t_hi and r.get(win, 0) > 0]
    if half:
        print(port, "%.1f" % (mean * 8 / 1e6), stalls,
              "%.2f %.2f %.2f" % (min(half) / bdp, statistics.median(half) / bdp,
                                  max(half) / bdp))
    else:
        print(port, "%.1f" % (mean * 8 / 1e6), stalls, "- - -")
def jain(rows):
    x = [(rows[-1]["rx" + p] - rows[0]["rx" + p]) /
         (rows[-1]["t"] - rows[0]["t"]) for p in ports]
    if sum(x) <= 0:
        return "-", x
    return "%.3f" % (sum(x) ** 2 / (len(x) * sum(v * v for v in x))), x
if len(ports) > 1:
    both = [r for r in rows if all("rx" + p in r for p in ports)]
    if len(both) >= 5:
        j, x = jain(both)
        j2, x2 = jain(both[len(both) // 2:])
        print("jain", j, " ".join("%.1f" % (v * 8 / 1e6) for v in x),
              "%.0f" % (both[-1]["t"] - both[0]["t"]), j2,
              " ".join("%.1f" % (v * 8 / 1e6) for v in x2))
        t0 = both[0]["t"]
        out, k = [], 0
        for i, r in enumerate(both):
            if r["t"] - both[k]["t"] >= 5 or (i == len(both) - 1 and i > k):
                out.append("%.0f-%.0f s %s" % (both[k]["t"] - t0, r["t"] - t0,
                    "/".join("%.1f" % ((r["rx" + p] - both[k]["rx" + p]) * 8 / 1e6
                                        / (r["t"] - both[k]["t"])) for p in ports)))
                k = i
        print("intervals", "; ".join(out))
        # Each sender over the same seconds: its window (BDPs; median
        # of the whole, then of the second half), smoothed RTT (ms,
        # median) and retransmissions.
        half_t = both[len(both) // 2]["t"]
        for p in ports:
            cw = [(r["t"], r["cw" + p]) for r in both if r.get("cw" + p, 0) > 0]
            rt = [r["rt" + p] for r in both if r.get("rt" + p, 0) > 0]
            re_ = [r["re" + p] for r in both if "re" + p in r]
            if not cw:
                print("flow", p, "- - - -")
                continue
            print("flow", p,
                  "%.2f" % (statistics.median(v for _, v in cw) / bdp),
                  "%.2f" % (statistics.median([v for t, v in cw if t >= half_t] or [0]) / bdp),
                  "%.1f" % (statistics.median(rt) / 1000) if rt else "-",
                  "%d" % (re_[-1] - re_[0]) if re_ else "-")
        out, k = [], 0
        for i, r in enumerate(both):
            if r["t"] - both[k]["t"] >= 5 or (i == len(both) - 1 and i > k):
                seg = both[k:i + 1]
                out.append("%.0f-%.0f s %s" % (both[k]["t"] - t0, r["t"] - t0,
                    "/".join("%.2f" % (statistics.mean([x.get("cw" + p, 0) for x in seg]) / bdp)
                             for p in ports)))
                k = i
        print("windows", "; ".join(out))
    else:
        print("jain - - - 0 - - -")
EOF
}

declare -A R

# per_mib COUNT BYTES DIGITS: COUNT per MiB of BYTES.
per_mib() {
	awk -v r="$1" -v b="$2" -v d="$3" 'BEGIN { if (b > 0) printf "%.*f", d, r / (b / 1048576); else print "-" }'
}

# single KEY WHO BDP: one flow alone, measured. R[KEY-*] set.
single() {
	local key=$1 who=$2 bdp=$3 port=5301 r0 t0 r1 t1 sampler_pid bytes
	[[ $who == linux ]] && port=5302
	reachable
	read -r r0 t0 <<<"$(sender_counts "$who")"
	local lost0 lost1
	lost0=$(relay_lost)
	: >"$TMP/$key.samples"
	flow "$key" "$who" "$port" "$RUN_S"
	local src=$FLOW_PID sink=$SINK_PID
	sampler "$TMP/$key.samples" &
	sampler_pid=$!
	STARTED_PIDS+=("$sampler_pid")
	finished "$src" $((RUN_S + 60))
	finished "$sink" 10
	stop_bg "$sampler_pid"
	read -r r1 t1 <<<"$(sender_counts "$who")"
	lost1=$(relay_lost)
	say "$key: sink $(grep '^RESULT' "$TMP/$key-sink.out" || cat "$TMP/$key-sink.err")"
	say "$key: relay $(relay_counters | tr '\n' ' ')"
	bytes=$(result "$TMP/$key-sink.out" bytes)
	R[$key-mbps]=$(awk -v b="${bytes:-0}" -v s="$(result "$TMP/$key-sink.out" seconds)" \
		'BEGIN { if (b > 0 && s > 0) printf "%.1f", b * 8 / s / 1e6; else print "failed" }')
	R[$key-rexmit]=$(per_mib $((r1 - r0)) "${bytes:-0}" 2)
	R[$key-rto]=$(per_mib $((t1 - t0)) "${bytes:-0}" 3)
	R[$key-lost]=$(per_mib $((lost1 - lost0)) "${bytes:-0}" 2)
	say "$key: the relay dropped $((lost1 - lost0)) of its segments; it retransmitted $((r1 - r0)) times, $((t1 - t0)) RTOs; $bytes bytes"
	local a mbps stalls lo med hi
	a=$(analyse "$TMP/$key.samples" "$bdp" "$port")
	say "$key: samples: $(cut -d' ' -f2- <<<"$a") (Mbit/s, stalled seconds, cwnd min/median/max in BDPs over the second half)"
	read -r _ mbps stalls lo med hi <<<"$a"
	R[$key-stalls]=${stalls:--}
	R[$key-cwnd]="${lo:--}/${med:--}/${hi:--}"
}

# ---- the runs ---------------------------------------------------------------

setup_net
daemon_up cubic

ONLY=${BENCH_CC_ONLY:-}
[[ -z $ONLY || $ONLY == shared ]] || fail "BENCH_CC_ONLY is empty or shared"

# 1 % loss, 20 ms RTT: 10 ms each way, loss on the data direction only,
# no bottleneck. BDP for the window figure: at 100 Mbit/s, 250,000 bytes
# (only a yardstick: there is no bottleneck on this path).
LOSSY=(-d 10 -l 1/0)
BOTTLENECK=(-d 25 -b 100/0 -q 625000/0)
case ${BENCH_CC_QUEUE:-droptail} in
droptail) ;;
red) BOTTLENECK+=(-e 10/0) ;;
jitter) BOTTLENECK+=(-j 50/0) ;;
*) fail "BENCH_CC_QUEUE is droptail, red or jitter" ;;
esac
if [[ -z $ONLY ]]; then
	relay_up "${LOSSY[@]}"
	single lossy-utcpd-cubic utcpd 250000
	daemon_up newreno
	single lossy-utcpd-newreno utcpd 250000
	single lossy-linux-cubic linux 250000

	relay_up "${BOTTLENECK[@]}"
	single bn-utcpd-newreno utcpd 625000
	daemon_up cubic
	single bn-utcpd-cubic utcpd 625000
	single bn-linux-cubic linux 625000
fi

# shared KEY WHO1 WHO2: two flows at once on the bottleneck path from a
# fresh relay (its peak queue is this run's), WHO1 to port 5303 and
# WHO2 to 5304. Both receivers listen first; then the senders start one
# right after the other (some milliseconds apart: two process starts),
# or BENCH_CC_STAGGER seconds apart. R[KEY-*] set.
STAGGER=${BENCH_CC_STAGGER:-0}

# flow_drops PORT: "frames dropped drop_events shared_events" of the flow
# to the sink's PORT in each of the relay's reports so far, one line
# each.
flow_drops() {
	sed -n "s/^ab flow [0-9.:]*>$SINK_IP:$1 frames=\([0-9]*\) dropped=\([0-9]*\) drop_events=\([0-9]*\) shared_events=\([0-9]*\)\$/\1 \2 \3 \4/p" \
		"$TMP/relay.out"
}

# per_1000 COUNT OF: COUNT per 1,000 of OF.
per_1000() {
	awk -v d="$1" -v f="$2" 'BEGIN { if (f > 0) printf "%.2f", 1000 * d / f; else print "-" }'
}

# drops_said KEY N PORT: the log's line of flow N's drops (the whole
# run; from its middle on); R[KEY-eN] its drop events (those alone,
# without the other flow's) and R[KEY-pN] its dropped segments per
# 1,000, whole run / second half.
drops_said() {
	local f0 d0 e0 s0 f1 d1 e1 s1
	read -r f0 d0 e0 s0 <<<"$(flow_drops "$3" | head -n 1)"
	read -r f1 d1 e1 s1 <<<"$(flow_drops "$3" | tail -n 1)"
	if [[ -z $f1 ]]; then
		R[$1-e$2]=-
		return
	fi
	[[ -n $f0 && $f0 != "$f1" ]] || f0=0 d0=0 e0=0 s0=0
	say "$1: flow $2 (to $3): the relay dropped $d1 of its $f1 segments ($(per_1000 "$d1" "$f1") per 1,000) in $e1 drop events, $((e1 - s1)) of them without the other flow's; from the middle on $((d1 - d0)) of $((f1 - f0)) ($(per_1000 $((d1 - d0)) $((f1 - f0))) per 1,000) in $((e1 - e0)), $((e1 - e0 - s1 + s0)) alone"
	R[$1-e$2]="$e1($((e1 - s1)))/$((e1 - e0))($((e1 - e0 - s1 + s0)))"
	R[$1-p$2]="$(per_1000 "$d1" "$f1")/$(per_1000 $((d1 - d0)) $((f1 - f0)))"
}

shared() {
	local key=$1 w1=$2 w2=$3 s1 s2 k1 k2 sampler_pid a t1 t2 f
	local ur0 ut0 kr0 kt0 ur1 ut1 kr1 kt1 j m1 m2 secs j2 h1 h2
	relay_up "${BOTTLENECK[@]}"
	reachable
	say "$key: $w1 and $w2 CUBIC flows at once for $SHARE_S s, $w1's first (by $STAGGER s more than two process starts)"
	read -r ur0 ut0 <<<"$(sender_counts utcpd)"
	read -r kr0 kt0 <<<"$(sender_counts linux)"
	local hy0 hy1
	hy0=$(slow_start_ends)
	: >"$TMP/$key.samples"
	sink_up "$key-1" 5303
	k1=$SINK_PID
	sink_up "$key-2" 5304
	k2=$SINK_PID
	t1=$(date +%s.%N)
	source_up "$key-1" "$w1" 5303 "$SHARE_S"
	s1=$FLOW_PID
	[[ $STAGGER == 0 ]] || sleep "$STAGGER"
	t2=$(date +%s.%N)
	source_up "$key-2" "$w2" 5304 "$SHARE_S"
	s2=$FLOW_PID
	sampler "$TMP/$key.samples" 5 &
	sampler_pid=$!
	STARTED_PIDS+=("$sampler_pid")
	# The relay's per-flow counters in the middle of the run too.
	local middle_pid
	(sleep "$(awk -v s="$SHARE_S" -v g="$STAGGER" 'BEGIN { print g + s / 2 }')" &&
		kill -s USR1 "$RELAY_PID") &
	middle_pid=$!
	STARTED_PIDS+=("$middle_pid")
	local bursts_pid=""
	if ((${BENCH_CC_BURSTS:-0} > 0)); then
		# How each sender's segments reach the relay, from 10 s on.
		(sleep 10 && ip netns exec "$NSR" "$PYTHON" "$HERE/bursts.py" a1 \
			"$BENCH_CC_BURSTS" 60 b1 >"$TMP/$key.bursts" 2>&1) &
		bursts_pid=$!
		STARTED_PIDS+=("$bursts_pid")
	fi
	finished "$s1" $((SHARE_S + 60))
	finished "$s2" 60
	finished "$k1" 10
	finished "$k2" 10
	stop_bg "$sampler_pid"
	stop_bg "$middle_pid"
	read -r ur1 ut1 <<<"$(sender_counts utcpd)"
	read -r kr1 kt1 <<<"$(sender_counts linux)"
	hy1=$(slow_start_ends)
	say "$key: slow start ended by delay, utcpd: $(awk -v a="$hy0" -v b="$hy1" 'BEGIN {
		split(a, x); split(b, y)
		printf "%d CSS entries, %d resumes, %d exits; Linux: %d HyStart delay exits, %d ACK-train exits", y[1] - x[1], y[2] - x[2], y[3] - x[3], y[4] - x[4], y[5] - x[5] }')"
	[[ -z ${BENCH_CC_SAMPLES:-} ]] || cp "$TMP/$key.samples" "$BENCH_CC_SAMPLES/"
	for n in 1 2; do
		say "$key-$n: sink $(grep '^RESULT' "$TMP/$key-$n-sink.out" || cat "$TMP/$key-$n-sink.err")"
	done
	say "$key: the second sender started $(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.3f", b - a }') s after the first"
	say "$key: relay $(relay_counters | tr '\n' ' ')"
	drops_said "$key" 1 5303
	drops_said "$key" 2 5304
	if [[ -n $bursts_pid ]]; then
		wait "$bursts_pid" || true
		while read -r f; do
			say "$key: frames from $f (utcpd is $DAEMON_IP, Linux $SENDER_IP)"
		done <"$TMP/$key.bursts"
	fi
	a=$(analyse "$TMP/$key.samples" 625000 5303 5304)
	say "$key: Mbit/s per 5 s ($w1/$w2): $(sed -n 's/^intervals //p' <<<"$a")"
	say "$key: cwnd/BDP per 5 s ($w1/$w2): $(sed -n 's/^windows //p' <<<"$a")"
	while read -r _ f; do
		say "$key: sender to $f (cwnd/BDP median, second half's; srtt ms; retransmissions)"
	done < <(grep '^flow' <<<"$a")
	read -r _ j m1 m2 secs j2 h1 h2 <<<"$(grep '^jain' <<<"$a")"
	say "$key: utcpd retransmitted $((ur1 - ur0)) times, $((ut1 - ut0)) RTOs; Linux $((kr1 - kr0)) segments, $((kt1 - kt0)) RTOs"
	R[$key-jain]=${j:--} R[$key-m1]=${m1:--} R[$key-m2]=${m2:--}
	R[$key-secs]=${secs:--} R[$key-jain2]=${j2:--} R[$key-h1]=${h1:--}
	R[$key-h2]=${h2:--}
}

# BENCH_CC_PAIRS: the pairs, first/second sender (utcpd or linux).
read -r -a PAIRS <<<"${BENCH_CC_PAIRS:-utcpd/linux linux/utcpd utcpd/utcpd linux/linux}"
for pair in "${PAIRS[@]}"; do
	[[ $pair =~ ^(utcpd|linux)/(utcpd|linux)$ ]] ||
		fail "BENCH_CC_PAIRS: $pair is not utcpd|linux/utcpd|linux"
	shared "shared-${pair/\//-}" "${pair%/*}" "${pair#*/}"
done

relay_down
printf '\n'
printf '%-28s %8s %9s %11s %8s %7s %16s\n' "alone on a path" Mbit/s "lost/MiB" "rexmit/MiB" "RTO/MiB" stalls "cwnd/BDP lo/med/hi"
for key in lossy-utcpd-cubic lossy-utcpd-newreno lossy-linux-cubic \
	bn-utcpd-cubic bn-utcpd-newreno bn-linux-cubic; do
	printf '%-28s %8s %9s %11s %8s %7s %16s\n' "$key" "$(v "$key-mbps")" \
		"$(v "$key-lost")" "$(v "$key-rexmit")" "$(v "$key-rto")" \
		"$(v "$key-stalls")" "$(v "$key-cwnd")"
done
printf '\n%-28s %8s %8s %6s %11s %6s %21s %23s  (target >= 0.95)\n' "sharing the bottleneck${BENCH_CC_QUEUE:+ ($BENCH_CC_QUEUE)}" "Mbit/s" "Mbit/s" "Jain" "2nd half" "Jain" "drop events (alone)" "dropped per 1,000"
for pair in "${PAIRS[@]}"; do
	key=shared-${pair/\//-}
	label=${pair//linux/Linux}
	printf '%-28s %8s %8s %6s %11s %6s %21s %23s\n' "${label/\// / }" \
		"$(v "$key-m1")" "$(v "$key-m2")" "$(v "$key-jain")" \
		"$(v "$key-h1")/$(v "$key-h2")" "$(v "$key-jain2")" \
		"$(v "$key-e1") $(v "$key-e2")" "$(v "$key-p1") $(v "$key-p2")"
done
printf '\n'
printf '%-34s %8s\n' "lossy: utcpd CUBIC / Linux" \
	"$(awk -v a="$(v lossy-utcpd-cubic-mbps)" -v b="$(v lossy-linux-cubic-mbps)" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "-" }')"
printf '%-34s %8s\n' "bottleneck: utcpd CUBIC / Linux" \
	"$(awk -v a="$(v bn-utcpd-cubic-mbps)" -v b="$(v bn-linux-cubic-mbps)" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "-" }')"

TEST_STATUS=0
exit 0
