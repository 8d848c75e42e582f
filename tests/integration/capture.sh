#!/bin/bash
# capture: `utcpctl capture` writes a pcap file of what utcpd's TAPs
# carry, read back with tshark and compared packet by packet with a
# known exchange: three pings from the kernel (direction by MAC, ICMP
# id and sequence numbers) and a small TCP exchange (ports, the
# handshake's flags, the payload bytes each way). Then: -c stops by
# itself and -w - feeds tshark through a pipe; -s 64 keeps 64 bytes
# and records the frame's length; -i of the other interface captures
# none of it; with [control] captures_max = 2 the third capture at once
# is refused;
# a user other than root is refused; a capture during bulk TCP records
# each TSO super-segment as one frame of its length, cut by -s 128; and
# a capture whose reader stops
# reading while bulk TCP runs: the transfer completes intact, the
# daemon counts the drops, utcpctl prints them, and the daemon's memory
# grows by at most the capture's queue ([control] capture_queue_bytes =
# 1 MiB, and 2 MiB of slack: without the bound it would hold hundreds
# of MiB of dropped frames) besides what its packet pool grew by (it
# grows on demand, more under load).
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/tcp_lib.sh
. "$(dirname "$0")/tcp_lib.sh"

command -v tshark >/dev/null || skip "tshark is not installed (tools/deps.sh)"

NET_A=10.77.45
NET_B=10.77.46
TAP_A=utcapa
TAP_B=utcapb
MAC_B=02:00:00:77:2e:02
QUEUE_BYTES=$((1024 * 1024)) # [control] capture_queue_bytes below

make_namespace
write_config capture "$TAP_A" "$NET_A" \
	"" "[interface $TAP_B]" "mac = $MAC_B" "mtu = 1500" "dhcp = no" \
	"address = $NET_B.2/24" "[control]" "captures_max = 2" \
	"capture_queue_bytes = $QUEUE_BYTES"
sed -i "s|^socket = .*|&\nsocket_mode = 0666|" "$CONF"
start_daemon_with_config
ip -n "$NS" addr replace "$NET_B.1/24" dev "$TAP_B"
ip -n "$NS" link set "$TAP_B" up
wait_for ip -n "$NS" route get "$NET_B.2" || fail "no kernel route to $NET_B.2"
KMAC_A=$(ip -n "$NS" -br link show dev "$TAP_A" | awk '{print $3}')

# tshark as root warns on stderr; its output alone is compared.
tsh() {
	tshark -n "$@" 2>"$TMP/tshark.err" || {
		cat "$TMP/tshark.err" >&2
		fail "tshark $* failed"
	}
}

# capture_running N: the daemon has granted N captures so far.
captures_started() {
	[[ $(counter capture_started) -ge $1 ]]
}

# start_capture FILE ARGS...: utcpctl capture -w FILE ARGS in the
# background (its stderr in FILE.err), once the daemon has it running.
started=0
start_capture() {
	local file=$1
	shift
	start_bg "$UTCPCTL" -S "$SOCK" capture -w "$file" "$@" >"$file.out" 2>"$file.err"
	CAP_PID=$BG_PID
	started=$((started + 1))
	wait_for captures_started "$started" ||
		fail "capture $file did not start: $(cat "$file.err")"
}

# end_capture PID FILE: SIGINT, then utcpctl must exit 0 with its
# counts on stderr.
end_capture() {
	local pid=$1 file=$2 status=0
	"$UTCPCTL" -S "$SOCK" barrier
	kill -INT "$pid"
	wait "$pid" || status=$?
	((status == 0)) || fail "utcpctl capture -w $file exited $status: $(cat "$file.err")"
	grep -q "packets dropped by kernel" "$file.err" ||
		fail "no 'dropped by kernel' line from utcpctl: $(cat "$file.err")"
}

say "warming the ARP caches (one ping each way), so the capture holds the exchange"
nsx ping -n -c 1 -w 5 "$NET_A.2" >/dev/null || fail "ping $NET_A.2 failed"
nsx ping -n -c 1 -w 5 "$NET_B.2" >/dev/null || fail "ping $NET_B.2 failed"

say "capturing $TAP_A while the kernel pings 3 times and a TCP exchange runs"
start_capture "$TMP/a.pcap" -i "$TAP_A"
A_PID=$CAP_PID
start_capture "$TMP/b.pcap" -i "$TAP_B"
nsx ping -n -c 3 -i 0.2 -w 5 "$NET_A.2" >/dev/null || fail "ping $NET_A.2 failed"
printf 'hello from utcpd\n' >"$TMP/to_kernel"
printf 'and hello from the kernel\n' >"$TMP/to_utcpd"
start_ns_bg socat "TCP-LISTEN:5001,bind=$NET_A.1,reuseaddr" \
	"SYSTEM:cat $TMP/to_utcpd & cat >$TMP/k_got; wait"
wait_for kernel_tcp_listening 5001 || fail "socat is not listening on 5001"
timeout 20 "$UTCP_NC" -S "$SOCK" "$NET_A.1" 5001 <"$TMP/to_kernel" >"$TMP/u_got" ||
	fail "utcp-nc $NET_A.1 5001 failed"
wait_for file_has_size "$TMP/k_got" "$(file_size "$TMP/to_kernel")" ||
	fail "the kernel got $(file_size "$TMP/k_got") bytes"
cmp -s "$TMP/u_got" "$TMP/to_utcpd" || fail "utcp-nc got other bytes"
end_capture "$A_PID" "$TMP/a.pcap"
# The daemon's log closes the capture's start with its end and counts.
capture_ended() {
	local id
	id=$(sed -n 's/.*: capture \([0-9]*\) of interface [0-9]* (-1: all): started$/\1/p' "$LOG" | head -n 1)
	[[ -n $id ]] &&
		grep -Eq "capture $id of interface [0-9]+ \(-1: all\) ended: [1-9][0-9]* frames seen, [1-9][0-9]* recorded, 0 dropped" "$LOG"
}
wait_for capture_ended || fail "no log line for the end of the capture of $TAP_A: $(grep capture "$LOG" | tail -n 3)"

fields=(-T fields -E separator=, -E occurrence=f -e eth.src -e eth.dst
	-e icmp.type -e icmp.ident -e icmp.seq -e tcp.srcport -e tcp.dstport
	-e tcp.flags -e tcp.payload -e frame.len -e frame.cap_len)
tsh -r "$TMP/a.pcap" "${fields[@]}" -Y "icmp or tcp" >"$TMP/a.txt"
say "  $(wc -l <"$TMP/a.txt") ICMP and TCP frames in the capture of $TAP_A"
"$PYTHON" - "$TMP/a.txt" "$DAEMON_MAC" "$KMAC_A" \
	"$(od -An -tx1 "$TMP/to_kernel" | tr -d ' \n')" \
	"$(od -An -tx1 "$TMP/to_utcpd" | tr -d ' \n')" <<'PY' || fail "the capture of $TAP_A is not the exchange"
import sys
path, dmac, kmac, to_kernel, to_utcpd = sys.argv[1:]
rows = [l.rstrip("\n").split(",") for l in open(path)]
def fail(msg):
    sys.exit(f"capture: {msg}: {rows!r}")
icmp = [r for r in rows if r[2]]
tcp = [r for r in rows if r[5]]
if len(icmp) != 6:
    fail(f"{len(icmp)} ICMP frames, not 6")
ident = icmp[0][3]
for i, r in enumerate(icmp):
    req = i % 2 == 0
    src, dst = (kmac, dmac) if req else (dmac, kmac)
    if (r[0], r[1]) != (src, dst):
        fail(f"ICMP frame {i}: {r[0]} -> {r[1]}, not {src} -> {dst}")
    if r[2] != ("8" if req else "0") or r[3] != ident or r[4] != str(i // 2 + 1):
        fail(f"ICMP frame {i}: type {r[2]} id {r[3]} seq {r[4]}")
    if r[9] != r[10]:
        fail(f"ICMP frame {i}: caplen {r[10]} of {r[9]}")
out = [r for r in tcp if r[0] == dmac]
back = [r for r in tcp if r[0] == kmac]
if len(out) + len(back) != len(tcp) or not out or not back:
    fail("a TCP frame of neither direction, or a direction without one")
if any(r[1] != kmac or r[6] != "5001" for r in out):
    fail("a frame from utcpd not to the kernel's MAC and port 5001")
if any(r[1] != dmac or r[5] != "5001" or r[6] != out[0][5] for r in back):
    fail("a frame from the kernel not to utcpd's MAC and port")
flags = [int(r[7], 16) for r in tcp[:3]]
if flags != [0x002, 0x012, 0x010] or tcp[0][0] != dmac:
    fail(f"the handshake's flags {flags}")
if not any(int(r[7], 16) & 1 for r in out) or not any(int(r[7], 16) & 1 for r in back):
    fail("a direction without FIN")
if "".join(r[8].replace(":", "") for r in out) != to_kernel:
    fail("utcpd's payload differs")
if "".join(r[8].replace(":", "") for r in back) != to_utcpd:
    fail("the kernel's payload differs")
print(f"  {len(icmp)} ICMP, {len(tcp)} TCP frames as sent, payload equal each way")
PY

say "-i $TAP_B saw none of it: then it sees $TAP_B's own ping"
nsx ping -n -c 1 -w 5 "$NET_B.2" >/dev/null || fail "ping $NET_B.2 failed"
end_capture "$CAP_PID" "$TMP/b.pcap"
tsh -r "$TMP/b.pcap" -T fields -e ip.src -e ip.dst -e icmp.type >"$TMP/b.txt"
grep -q "$NET_A" "$TMP/b.txt" && fail "the capture of $TAP_B holds $NET_A frames: $(cat "$TMP/b.txt")"
[[ $(grep -c "^$NET_B.1	$NET_B.2	8" "$TMP/b.txt") -eq 1 && \
	$(grep -c "^$NET_B.2	$NET_B.1	0" "$TMP/b.txt") -eq 1 ]] ||
	fail "the capture of $TAP_B is not its ping: $(cat "$TMP/b.txt")"

say "-c 4 -s 64 -w - | tshark -r -: 4 frames, 64 bytes kept of each, their lengths recorded"
"$UTCPCTL" -S "$SOCK" capture -i "$TAP_A" -c 4 -s 64 -w - 2>"$TMP/c.err" |
	tshark -n -r - -T fields -e frame.len -e frame.cap_len -e icmp.type \
		>"$TMP/c.txt" 2>"$TMP/tshark.err" &
c_pid=$!
started=$((started + 1))
wait_for captures_started "$started" || fail "capture -c 4 did not start"
nsx ping -n -c 2 -i 0.2 -s 300 -w 5 "$NET_A.2" >/dev/null || fail "ping -s 300 failed"
timeout 10 tail --pid="$c_pid" -f /dev/null || fail "capture -c 4 did not end by itself"
wait "$c_pid" || fail "utcpctl capture -c 4 | tshark failed: $(cat "$TMP/c.err" "$TMP/tshark.err")"
[[ $(cat "$TMP/c.txt") == $'342\t64\t8\n342\t64\t0\n342\t64\t8\n342\t64\t0' ]] ||
	fail "-s 64: got $(cat "$TMP/c.txt")"
grep -q "^4 packets captured" "$TMP/c.err" || fail "no '4 packets captured': $(cat "$TMP/c.err")"

say "captures_max = 2: a third capture at once is refused, the two end well"
pids=()
for i in 1 2; do
	start_capture "$TMP/l$i.pcap"
	pids+=("$CAP_PID")
done
if "$UTCPCTL" -S "$SOCK" capture -w "$TMP/l5.pcap" 2>"$TMP/l5.err"; then
	fail "a third capture was granted"
fi
grep -q "as many captures as it allows (\[control\] captures_max)" "$TMP/l5.err" ||
	fail "the third capture's error: $(cat "$TMP/l5.err")"
nsx ping -n -c 1 -w 5 "$NET_A.2" >/dev/null || fail "ping failed"
for i in 1 2; do
	end_capture "${pids[i - 1]}" "$TMP/l$i.pcap"
	[[ $(tsh -r "$TMP/l$i.pcap" -Y "icmp.type == 8" -T fields -e icmp.seq) == 1 ]] ||
		fail "capture $i lacks the ping"
done
say "  then a capture is granted again; --json gives its counts on stdout"
start_capture "$TMP/l6.pcap" -i "$TAP_A" -c 1 --json
"$UTCPCTL" -S "$SOCK" barrier
nsx ping -n -c 1 -w 5 "$NET_A.2" >/dev/null || fail "ping failed"
timeout 10 tail --pid="$CAP_PID" -f /dev/null || fail "capture -c 1 did not end"
wait "$CAP_PID" || fail "capture -c 1 --json failed: $(cat "$TMP/l6.pcap.err")"
"$PYTHON" -c '
import json, sys
o = json.load(open(sys.argv[1]))
sys.exit(0 if o == {"captured": 1, "received": 1, "dropped": 0} else f"{o}")' \
	"$TMP/l6.pcap.out" || fail "capture --json: $(cat "$TMP/l6.pcap.out")"

say "an interface the daemon does not have: one line, exit 1"
status=0
"$UTCPCTL" -S "$SOCK" capture -i nosuch0 -w "$TMP/x.pcap" 2>"$TMP/x.err" || status=$?
((status == 1)) || fail "capture -i nosuch0 exited $status"
[[ $(cat "$TMP/x.err") == "utcpctl: capture: no interface 'nosuch0' (see 'utcpctl ifaces')" ]] ||
	fail "capture -i nosuch0 said: $(cat "$TMP/x.err")"
status=0
"$UTCPCTL" -S "$SOCK" capture -c 1 2>"$TMP/x.err" || status=$?
((status == 2)) || fail "capture without -w exited $status"

say "a user other than root may not capture"
chmod 755 "$TMP"
if setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$UTCPCTL" -S "$SOCK" capture -w - >/dev/null 2>"$TMP/p.err"; then
	fail "uid 65534 was let capture"
fi
grep -q "permission denied (capturing needs root)" "$TMP/p.err" ||
	fail "uid 65534's error: $(cat "$TMP/p.err")"

size=$((32 * 1024 * 1024))
if ((UTCP_SANITIZED)); then
	size=$((8 * 1024 * 1024)) # still twice the queue each way
fi
random_file "$TMP/bulk_a" "$size"
random_file "$TMP/bulk_b" "$size"
bulk() {
	rm -f "$TMP/k_bulk" "$TMP/u_bulk"
	start_ns_bg socat "TCP-LISTEN:5002,bind=$NET_A.1,reuseaddr" \
		"SYSTEM:cat $TMP/bulk_b & cat >$TMP/k_bulk; wait"
	local socat_pid=$BG_PID
	wait_for kernel_tcp_listening 5002 || fail "socat is not listening on 5002"
	timeout 60 "$UTCP_NC" -S "$SOCK" "$NET_A.1" 5002 <"$TMP/bulk_a" >"$TMP/u_bulk" ||
		fail "bulk utcp-nc failed (got $(file_size "$TMP/u_bulk") bytes)"
	wait_for file_has_size "$TMP/k_bulk" "$size" ||
		fail "the kernel got $(file_size "$TMP/k_bulk") of $size bytes"
	[[ $(sha "$TMP/k_bulk") == $(sha "$TMP/bulk_a") ]] || fail "the kernel got other bytes"
	[[ $(sha "$TMP/u_bulk") == $(sha "$TMP/bulk_b") ]] || fail "utcp-nc got other bytes"
	stop_bg "$socat_pid"
}
rss() {
	awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$DAEMON_PID/status"
}
# pool_bytes: what the packet buffers the daemon has allocated take (a
# small one 2 KiB and its header, a large one 64 KiB and its header):
# the pool grows on demand, more under load, and that is not the
# capture's.
pool_bytes() {
	status_json | "$PYTHON" -c '
import json, sys
p = json.load(sys.stdin)["pool"]
print(p["small_allocated"] * 2112 + p["large_allocated"] * 65600)'
}
say "TSO super-segments: one record each, -s 128 keeps 128 bytes of it, its length the frame's"
start_capture "$TMP/t.pcap" -i "$TAP_A" -s 128 -c 300
t_pid=$CAP_PID
bulk # also brings the pool to its working size for the memory check below
timeout 10 tail --pid="$t_pid" -f /dev/null || fail "capture -c 300 did not end"
wait "$t_pid" || fail "utcpctl capture -c 300 failed: $(cat "$TMP/t.pcap.err")"
tsh -r "$TMP/t.pcap" -T fields -E separator=, -E occurrence=f \
	-e eth.src -e frame.len -e frame.cap_len -e ip.len >"$TMP/t.txt"
"$PYTHON" - "$TMP/t.txt" "$DAEMON_MAC" <<'PY' || fail "the TSO capture is wrong"
import sys
rows = [l.rstrip("\n").split(",") for l in open(sys.argv[1])]
if len(rows) != 300:
    sys.exit(f"{len(rows)} records, not 300")
big = {}
for src, length, caplen, iplen in rows:
    length, caplen = int(length), int(caplen)
    if caplen != min(length, 128):
        sys.exit(f"caplen {caplen} of a {length}-byte frame")
    if iplen and length != int(iplen) + 14:
        sys.exit(f"a {length}-byte frame holding a {iplen}-byte datagram")
    if length > 1514:
        big[src] = max(big.get(src, 0), length)
if not big:
    sys.exit("no frame over 1514 bytes: no super-segment recorded")
who = {sys.argv[2]: "utcpd"}
print("  largest frames: " + ", ".join(f"{who.get(k, 'kernel')} {v}" for k, v in big.items()))
PY

say "a reader that stops reading while $((size >> 20)) MiB go each way: the transfer is intact, frames dropped"
rss0=$(rss)
pool0=$(pool_bytes) || fail "utcpctl status -a --json: no pool"
drops0=$(counter capture_drops)
mkfifo "$TMP/fifo"
start_bg sleep 600 <>"$TMP/fifo" # holds the reading end, never reads
holder=$BG_PID
start_bg "$UTCPCTL" -S "$SOCK" capture -w - >"$TMP/fifo" 2>"$TMP/s.err"
s_pid=$BG_PID
started=$((started + 1))
wait_for captures_started "$started" || fail "the stalled capture did not start"
bulk
rss1=$(rss)
pool1=$(pool_bytes) || fail "utcpctl status -a --json: no pool"
drops=$(($(counter capture_drops) - drops0))
say "  dropped $drops frames; daemon RSS $rss0 -> $rss1 bytes, its packet buffers $pool0 -> $pool1"
((drops > 0)) || fail "no frame dropped for a reader that does not read"
# (Under the sanitizers freed memory is held in quarantine: RSS says
# nothing about the bound there.)
grown=$((pool1 > pool0 ? pool1 - pool0 : 0))
if ((!UTCP_SANITIZED && rss1 - rss0 - grown > QUEUE_BYTES + 2 * 1024 * 1024)); then
	fail "the daemon grew by $((rss1 - rss0)) bytes (its packet buffers by $grown), more than the queue ($QUEUE_BYTES) and 2 MiB"
fi
stop_bg "$holder" # the reader goes: utcpctl's write fails, it stops and counts
wait "$s_pid" && fail "utcpctl capture went on writing to a reader that went"
grep -Eq "^[1-9][0-9]* packets dropped by kernel" "$TMP/s.err" ||
	fail "utcpctl did not print the drops: $(cat "$TMP/s.err")"
say "  utcpctl: $(grep dropped "$TMP/s.err")"

pass
