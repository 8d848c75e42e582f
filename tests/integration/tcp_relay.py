#!/usr/bin/python3
"""tcp_relay.py - a userspace network impairment relay (netem's stand-in).

Where the kernel has no netem (CONFIG_NET_SCH_NETEM), tcp_impaired.sh
puts the kernel's address on one end of a veth pair and runs this
relay between the other end (--wire) and the daemon's TAP netdev
(--tap), with AF_PACKET sockets:

  - a frame the kernel sends arrives on --wire; written with AF_PACKET
    to the TAP netdev, it reaches the daemon;
  - a frame the daemon writes arrives on the TAP netdev (as received
    there); written to --wire, it reaches the kernel.

IPv4 frames are impaired in both directions, each with a seeded random
generator of its own: dropped (--loss), delayed (--delay-ms, a timer
heap), some delayed further (--reorder, by --reorder-ms more: they
arrive after frames sent later) and some sent twice (--dup). Other
frames (ARP) pass at once. Frames larger than the MTU (offloads that
were not turned off) are counted as oversize and dropped.

  tcp_relay.py offload-off IFACE...
      Turns off checksum, scatter-gather, TSO, GSO and GRO on IFACE
      (ethtool -K, through the SIOCETHTOOL ioctl), so the kernel hands
      the veth whole, checksummed, MTU-sized frames.
  tcp_relay.py relay --tap IF --wire IF [options]
      Relays until SIGTERM, then prints one line per direction of
      counters ("to-daemon: relayed=... dropped=..."). Prints "ready"
      once both sockets are bound.
"""
import argparse
import array
import fcntl
import heapq
import random
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
SIOCETHTOOL = 0x8946
# Legacy ethtool "set" commands: tx checksum, SG, TSO, GSO, GRO.
ETHTOOL_SET = {"tx": 0x17, "sg": 0x19, "tso": 0x1f, "gso": 0x24,
               "gro": 0x2c}
MAX_FRAME = 1514


def offload_off(ifaces):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for name in ifaces:
        # TSO and GSO first: they depend on SG and checksumming.
        for feature in ("tso", "gso", "gro", "sg", "tx"):
            val = array.array("I", [ETHTOOL_SET[feature], 0])
            addr = val.buffer_info()[0]
            ifr = struct.pack("16sP", name.encode(), addr)
            ifr += b"\0" * (40 - len(ifr))
            try:
                fcntl.ioctl(s, SIOCETHTOOL, ifr)
            except OSError as e:
                sys.exit(f"{name}: ethtool {feature} off: {e}")
    s.close()


class Direction:
    def __init__(self, name, out_sock, rng):
        self.name = name
        self.out = out_sock
        self.rng = rng
        self.c = dict.fromkeys(("frames", "relayed", "dropped", "delayed",
                                "reordered", "duplicated", "passed",
                                "oversize", "send_errors"), 0)

    def line(self):
        return self.name + ": " + " ".join(f"{k}={v}"
                                           for k, v in self.c.items())


def packet_socket(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    # SO_RCVBUFFORCE (33) and SO_SNDBUFFORCE (32): past rmem_max.
    for opt, force in ((socket.SO_RCVBUF, 33), (socket.SO_SNDBUF, 32)):
        try:
            s.setsockopt(socket.SOL_SOCKET, force, 8 << 20)
        except OSError:
            s.setsockopt(socket.SOL_SOCKET, opt, 8 << 20)
    s.bind((ifname, 0))
    s.setblocking(False)
    return s


def relay(args):
    tap = packet_socket(args.tap)
    wire = packet_socket(args.wire)
    # Frames read on the wire go to the TAP (to the daemon), and back.
    to_daemon = Direction("to-daemon", tap, random.Random(args.seed))
    to_kernel = Direction("to-kernel", wire, random.Random(args.seed + 1))
    by_sock = {wire: to_daemon, tap: to_kernel}
    heap = []  # (due, seq, direction, frame)
    seq = 0
    delay = args.delay_ms / 1000
    extra = args.reorder_ms / 1000

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    print("ready", flush=True)

    def send(d, frame):
        try:
            d.out.send(frame)
            d.c["relayed"] += 1
        except OSError:
            d.c["send_errors"] += 1

    while not stop:
        now = time.monotonic()
        timeout = max(0.0, heap[0][0] - now) if heap else 0.5
        try:
            readable, _, _ = select.select([tap, wire], [], [], timeout)
        except InterruptedError:
            continue
        now = time.monotonic()
        for sock in readable:
            d = by_sock[sock]
            for _ in range(512):
                try:
                    frame, addr = sock.recvfrom(65536)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue  # our own writes to this interface
                d.c["frames"] += 1
                if len(frame) > MAX_FRAME:
                    d.c["oversize"] += 1
                    continue
                if len(frame) < 14 or \
                        struct.unpack_from("!H", frame, 12)[0] != ETH_P_IP:
                    d.c["passed"] += 1
                    send(d, frame)
                    continue
                r = d.rng
                if r.random() < args.loss:
                    d.c["dropped"] += 1
                    continue
                due = now + delay
                d.c["delayed"] += 1
                if r.random() < args.reorder:
                    due += extra * (0.5 + r.random())
                    d.c["reordered"] += 1
                heapq.heappush(heap, (due, seq, d, frame))
                seq += 1
                if r.random() < args.dup:
                    d.c["duplicated"] += 1
                    heapq.heappush(heap, (due + 0.001, seq, d, frame))
                    seq += 1
        now = time.monotonic()
        while heap and heap[0][0] <= now:
            _, _, d, frame = heapq.heappop(heap)
            send(d, frame)
    print(to_daemon.line())
    print(to_kernel.line(), flush=True)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "offload-off":
        offload_off(sys.argv[2:])
        return
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["relay"])
    p.add_argument("--tap", required=True)
    p.add_argument("--wire", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--loss", type=float, default=0.01)
    p.add_argument("--delay-ms", type=float, default=20)
    p.add_argument("--reorder", type=float, default=0.03)
    p.add_argument("--reorder-ms", type=float, default=10)
    p.add_argument("--dup", type=float, default=0.01)
    relay(p.parse_args())


if __name__ == "__main__":
    main()
