#!/usr/bin/python3
"""bursts.py DEV SECONDS GAP_US [OUT_DEV] - how each sender's segments arrive

Captures the IPv4 TCP segments with a payload that arrive on DEV for
SECONDS (an AF_PACKET socket, the kernel's receive timestamps), and
prints one line per source address:

    SRC frames=N runs=R mean=M p50=A p90=B p99=C max=D in_runs_of_8=F

A run is a sequence of that sender's frames each within GAP_US of the
one before (cc.sh: 60 us, half the time the 100 Mbit/s bottleneck takes
to send one 1,514-byte frame, so a run is what arrives faster than the
bottleneck drains); p50..max are run lengths in frames, in_runs_of_8
the share of the frames that came in runs of 8 or more; per_5ms the
frames the sender delivered in each 5 ms of the capture (mean, p99,
max): how far its rate rises above its mean. With OUT_DEV (the relay's
output), also:

    SRC dropped=N events=E shared_events=S

the segments of SRC that entered on DEV and never left on OUT_DEV
(matched by sequence number and length; the last second's arrivals,
possibly still in the relay, left out), the drop events (drops of any
sender closer than 50 ms make one event) in which SRC lost a segment,
and how many of those events took segments of another sender too.
cc.sh uses it
on the relay's input to compare utcpd's sending with Linux's. Only the
standard library.
"""
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SO_TIMESTAMPNS = 35


def percentile(sorted_values, p):
    i = min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))
    return sorted_values[i]


def packet_socket(dev):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((dev, 0))
    return s


def segment(s, outgoing):
    """(ns, source, seq, length) of the next TCP segment with a payload
    that arrives on s (or leaves, when outgoing), or None."""
    frame, anc, _, addr = s.recvmsg(128, socket.CMSG_SPACE(16))
    if (addr[2] == socket.PACKET_OUTGOING) != outgoing or len(frame) < 54:
        return None
    if frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return None
    ihl = (frame[14] & 0x0F) * 4
    total = struct.unpack("!H", frame[16:18])[0]
    doff = (frame[14 + ihl + 12] >> 4) * 4
    if total - ihl - doff <= 0:
        return None  # an ACK
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            sec, nsec = struct.unpack("qq", data[:16])
            seq = struct.unpack("!I", frame[14 + ihl + 4:14 + ihl + 8])[0]
            return (sec * 1_000_000_000 + nsec, socket.inet_ntoa(frame[26:30]),
                    seq, total - ihl - doff)
    return None


def drops(sent, left_out):
    """Per source: segments dropped, drop events, events shared."""
    end = max(t for ts in sent.values() for t in ts) - 1_000_000_000
    lost = []
    for key, ts in sent.items():
        for t in sorted(ts)[: max(0, len(ts) - left_out.get(key, 0))]:
            if t < end:
                lost.append((t, key[0]))
    lost.sort()
    events, prev = [], None
    for t, src in lost:
        if prev is None or t - prev > 50_000_000:
            events.append(set())
        events[-1].add(src)
        prev = t
    for src in sorted({k[0] for k in sent}):
        mine = [e for e in events if src in e]
        print("%s dropped=%d events=%d shared_events=%d"
              % (src, sum(1 for _, x in lost if x == src), len(mine),
                 sum(1 for e in mine if len(e) > 1)))


def main():
    dev, seconds, gap_us = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    out_dev = sys.argv[4] if len(sys.argv) > 4 else None
    s = packet_socket(dev)
    o = packet_socket(out_dev) if out_dev else None
    sent = {}  # (source, seq, length) -> [arrival ns] on DEV
    left_out = {}  # (source, seq, length) -> times seen leaving on OUT_DEV
    last = {}  # source -> (timestamp ns, current run length)
    runs = {}  # source -> [run lengths]
    bins = {}  # source -> {ms: frames}
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        ready = select.select([s] + ([o] if o else []), [], [], left)[0]
        if o in ready:
            seg = segment(o, True)
            if seg:
                left_out[seg[1:]] = left_out.get(seg[1:], 0) + 1
        if s not in ready:
            continue
        seg = segment(s, False)
        if not seg:
            continue
        ts, src = seg[0], seg[1]
        if o:
            sent.setdefault(seg[1:], []).append(ts)
        ms = bins.setdefault(src, {})
        ms[ts // 1_000_000] = ms.get(ts // 1_000_000, 0) + 1
        prev = last.get(src)
        if prev and ts - prev[0] <= gap_us * 1000:
            last[src] = (ts, prev[1] + 1)
        else:
            if prev:
                runs.setdefault(src, []).append(prev[1])
            last[src] = (ts, 1)
    for src, (_, n) in last.items():
        runs.setdefault(src, []).append(n)
    for src in sorted(runs):
        r = sorted(runs[src])
        frames = sum(r)
        # Frames in each 5 ms (a tenth of the RTT; the bottleneck sends
        # 41 frames in 5 ms), every interval of the capture counted.
        first, lastms = min(bins[src]), max(bins[src])
        per5 = {}
        for t, n in bins[src].items():
            per5[(t - first) // 5] = per5.get((t - first) // 5, 0) + n
        p5 = sorted(per5.get(i, 0) for i in range((lastms - first) // 5 + 1))
        print(
            "%s frames=%d runs=%d mean=%.1f p50=%d p90=%d p99=%d max=%d in_runs_of_8=%.2f"
            " per_5ms: mean=%.1f p99=%d max=%d"
            % (src, frames, len(r), frames / len(r), percentile(r, 50),
               percentile(r, 90), percentile(r, 99), r[-1],
               sum(x for x in r if x >= 8) / frames,
               sum(p5) / len(p5), percentile(p5, 99), p5[-1])
        )
    if o and sent:
        drops(sent, left_out)


if __name__ == "__main__":
    main()
