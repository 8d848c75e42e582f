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

The daemon may run its TAP with offloads (IFF_VNET_HDR, TSO and
checksum offload), so the socket on the TAP netdev has PACKET_VNET_HDR:
every frame read there comes behind a struct virtio_net_hdr, and every
frame written there goes behind one (zeroed: a whole, checksummed
frame). What the daemon hands over is done here as the kernel's GSO
would do it before the frame reaches a wire:

  - a TCP/IPv4 super-segment (gso_type TCPV4) is cut into segments of
    gso_size payload bytes: the IP ID counts up from the super-segment's,
    each has its own total length and header checksum, the TCP sequence
    number advances by the payload before it, FIN and PSH stay only on
    the last segment and CWR only on the first, and each TCP checksum is
    completed from the pseudo-header sum the daemon left in the header
    (adjusted to the segment's length, as tcp_gso_segment() does);
  - a frame with a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM) and no
    segmentation gets its checksum completed at csum_start + csum_offset
    (skb_checksum_help()).

The pseudo-header sum in each such frame is also checked against the
one its addresses and length call for (csum_seed_bad counts the
wrong ones; the frame still goes out as the kernel would send it).

Then IPv4 frames are impaired, frame by frame as they go on the wire,
in both directions, each with a seeded random generator of its own:
dropped (--loss), delayed (--delay-ms, a timer heap), some delayed
further (--reorder, by --reorder-ms more: they arrive after frames sent
later) and some sent twice (--dup). Other frames (ARP) pass at once.
Frames still larger than the MTU (offloads on the veth that were not
turned off, or a gso_size over the MSS) are counted as oversize and
dropped, as are frames that cannot be parsed (malformed) and
segmentation of other kinds than TCPV4 (gso_unsupported).

  tcp_relay.py offload-off IFACE...
      Turns off checksum, scatter-gather, TSO, GSO and GRO on IFACE
      (ethtool -K, through the SIOCETHTOOL ioctl), so the kernel hands
      the veth whole, checksummed, MTU-sized frames.
  tcp_relay.py relay --tap IF --wire IF [options]
      Relays until SIGTERM, then prints one line per direction of
      counters ("to-daemon: frames=... relayed=... dropped=..."). Prints
      "ready" once both sockets are bound. Counters: frames read (not
      counting the relay's own writes), relayed (written), dropped,
      delayed, reordered, duplicated, passed (not IPv4: at once),
      split (super-segments cut), segments (frames cut from them),
      csum_completed (partial checksums completed on frames not cut),
      csum_seed_bad, oversize, malformed, gso_unsupported, send_errors,
      rx_drops (frames the kernel dropped before the relay read them:
      PACKET_STATISTICS).
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
ETH_HLEN = 14
IPPROTO_TCP = 6
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_STATISTICS = 6
PACKET_VNET_HDR = 15
SIOCETHTOOL = 0x8946
# Legacy ethtool "set" commands: tx checksum, SG, TSO, GSO, GRO.
ETHTOOL_SET = {"tx": 0x17, "sg": 0x19, "tso": 0x1f, "gso": 0x24,
               "gro": 0x2c}
MAX_FRAME = 1514
# The largest frame AF_PACKET hands over: a 64 KiB IPv4 datagram, its
# Ethernet header and the virtio-net header, with room to spare.
RECV_MAX = 1 << 17

# struct virtio_net_hdr (linux/virtio_net.h), in the host's order (the
# little-endian one here): flags, gso_type, hdr_len, gso_size,
# csum_start, csum_offset.
VNET_HDR = struct.Struct("<BBHHHH")
VNET_HDR_ZERO = bytes(VNET_HDR.size)
VIRTIO_NET_HDR_F_NEEDS_CSUM = 1
VIRTIO_NET_HDR_GSO_NONE = 0
VIRTIO_NET_HDR_GSO_TCPV4 = 1
VIRTIO_NET_HDR_GSO_ECN = 0x80
TCP_FIN, TCP_PSH, TCP_CWR = 0x01, 0x08, 0x80


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


# The Internet checksum (RFC 1071) with ones' complement sums kept as
# integers modulo 0xffff: 2**16 is 1 modulo 0xffff, so a byte string
# read as one big-endian integer is congruent to the sum of its 16-bit
# words, and int.from_bytes does the adding at C speed.

def csum_add(data):
    """The sum of data's 16-bit words (zero-padded), modulo 0xffff."""
    if len(data) & 1:
        data = bytes(data) + b"\0"
    return int.from_bytes(data, "big") % 0xffff


def csum_fold(total):
    """A sum modulo 0xffff as a 16-bit ones' complement sum (a non-zero
    sum that is 0 modulo 0xffff is 0xffff, as end-around carries give
    it)."""
    total %= 0xffff
    return total if total else 0xffff


def csum_finish(total):
    """The checksum field for a sum: its complement."""
    return 0xffff - csum_fold(total)


def pseudo_sum(ip, l4_len):
    """The IPv4 pseudo-header's sum for the L4 length l4_len (ip: the IP
    header, for its addresses and protocol)."""
    return csum_add(ip[12:20]) + ip[9] + l4_len


def ip_check(ip):
    """The header checksum of IPv4 header ip (its own field zeroed)."""
    ip[10:12] = b"\0\0"
    return csum_finish(csum_add(ip))


class Malformed(Exception):
    pass


def parse_tcp4(frame):
    """Returns (ihl, thl, ip_len) of an Ethernet/IPv4/TCP frame, or
    raises Malformed."""
    if len(frame) < ETH_HLEN + 20 or \
            struct.unpack_from("!H", frame, 12)[0] != ETH_P_IP:
        raise Malformed("not IPv4")
    ihl = (frame[ETH_HLEN] & 0x0f) * 4
    ip_len = struct.unpack_from("!H", frame, ETH_HLEN + 2)[0]
    if frame[ETH_HLEN] >> 4 != 4 or ihl < 20 or \
            frame[ETH_HLEN + 9] != IPPROTO_TCP or \
            ETH_HLEN + ip_len > len(frame) or ihl + 20 > ip_len:
        raise Malformed("not TCP/IPv4")
    thl = (frame[ETH_HLEN + ihl + 12] >> 4) * 4
    if thl < 20 or ihl + thl > ip_len:
        raise Malformed("bad TCP header length")
    return ihl, thl, ip_len


def tcp4_segment(d, frame, mss):
    """Cuts a TCP/IPv4 super-segment into segments of mss payload bytes
    the way the kernel's GSO does (inet_gso_segment, tcp_gso_segment)
    and returns them."""
    ihl, thl, ip_len = parse_tcp4(frame)
    l4 = ETH_HLEN + ihl
    hdr_end = l4 + thl
    end = ETH_HLEN + ip_len
    payload_len = end - hdr_end
    if mss == 0:
        raise Malformed("gso_size 0")
    eth = frame[:ETH_HLEN]
    ip0 = frame[ETH_HLEN:l4]
    tcp0 = frame[l4:hdr_end]
    seed = struct.unpack_from("!H", tcp0, 16)[0]
    if csum_fold(seed) != csum_fold(pseudo_sum(ip0, thl + payload_len)):
        d.c["csum_seed_bad"] += 1
    ip_id = struct.unpack_from("!H", ip0, 4)[0]
    seq = struct.unpack_from("!I", tcp0, 4)[0]
    flags = tcp0[13]
    # tcp_gso_segment(): the seed was for the whole length; each
    # segment's is the seed less that length plus its own.
    seed_less_len = seed + 0xffff - (thl + payload_len) % 0xffff
    out = []
    off = hdr_end
    while off < end:
        n = min(mss, end - off)
        last = off + n >= end
        ip = bytearray(ip0)
        struct.pack_into("!HH", ip, 2, ihl + thl + n,
                         (ip_id + len(out)) & 0xffff)
        struct.pack_into("!H", ip, 10, ip_check(ip))
        tcp = bytearray(tcp0)
        struct.pack_into("!I", tcp, 4, (seq + off - hdr_end) & 0xffffffff)
        f = flags
        if not last:
            f &= ~(TCP_FIN | TCP_PSH)
        if out:
            f &= ~TCP_CWR
        tcp[13] = f
        tcp[16:18] = b"\0\0"
        data = frame[off:off + n]
        total = seed_less_len + thl + n + csum_add(tcp) + csum_add(data)
        struct.pack_into("!H", tcp, 16, csum_finish(total))
        out.append(eth + ip + tcp + data)
        off += n
    return out


def csum_complete(d, frame, start, offset):
    """Completes the partial checksum of frame (skb_checksum_help): the
    field at start + offset holds the pseudo-header sum; the checksum
    covers everything from start."""
    if start + offset + 2 > len(frame):
        raise Malformed("csum_start/csum_offset past the frame")
    end = len(frame)
    try:
        ihl, thl, ip_len = parse_tcp4(frame)
        end = ETH_HLEN + ip_len  # no Ethernet padding in the sum
        if start == ETH_HLEN + ihl and offset == 16:
            seed = struct.unpack_from("!H", frame, start + 16)[0]
            want = pseudo_sum(frame[ETH_HLEN:start], ip_len - ihl)
            if csum_fold(seed) != csum_fold(want):
                d.c["csum_seed_bad"] += 1
    except Malformed:
        pass
    f = bytearray(frame)
    struct.pack_into("!H", f, start + offset,
                     csum_finish(csum_add(f[start:end])))
    return bytes(f)


def from_vnet(d, buf):
    """The plain frames (GSO done, checksums complete) for buf, a frame
    behind a virtio-net header; [] when it is dropped (counted)."""
    if len(buf) < VNET_HDR.size:
        d.c["malformed"] += 1
        return []
    # hdr_len is not relied on: on receive the kernel reports the
    # length of the skb's linear part there (virtio_net_hdr_from_skb),
    # which need not be the headers'; they are read from the frame.
    flags, gso_type, _hdr_len, gso_size, csum_start, csum_offset = \
        VNET_HDR.unpack_from(buf)
    frame = buf[VNET_HDR.size:]
    gso = gso_type & ~VIRTIO_NET_HDR_GSO_ECN
    try:
        if gso == VIRTIO_NET_HDR_GSO_TCPV4:
            ihl, thl, ip_len = parse_tcp4(frame)
            if ip_len - ihl - thl > gso_size:
                d.c["split"] += 1
                segs = tcp4_segment(d, frame, gso_size)
                d.c["segments"] += len(segs)
                return segs
            # One segment's worth: the kernel only completes the checksum.
        elif gso != VIRTIO_NET_HDR_GSO_NONE:
            d.c["gso_unsupported"] += 1
            return []
        if flags & VIRTIO_NET_HDR_F_NEEDS_CSUM:
            d.c["csum_completed"] += 1
            return [csum_complete(d, frame, csum_start, csum_offset)]
    except Malformed:
        d.c["malformed"] += 1
        return []
    return [frame]


class Direction:
    def __init__(self, name, in_sock, in_vnet, out_sock, out_vnet, rng):
        self.name = name
        self.inp = in_sock
        self.in_vnet = in_vnet
        self.out = out_sock
        self.out_prefix = VNET_HDR_ZERO if out_vnet else b""
        self.rng = rng
        self.c = dict.fromkeys(("frames", "relayed", "dropped", "delayed",
                                "reordered", "duplicated", "passed",
                                "split", "segments", "csum_completed",
                                "csum_seed_bad", "oversize", "malformed",
                                "gso_unsupported", "send_errors",
                                "rx_drops"), 0)

    def line(self):
        return self.name + ": " + " ".join(f"{k}={v}"
                                           for k, v in self.c.items())


def packet_socket(ifname, vnet_hdr):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    # SO_RCVBUFFORCE (33) and SO_SNDBUFFORCE (32): past rmem_max.
    for opt, force in ((socket.SO_RCVBUF, 33), (socket.SO_SNDBUF, 32)):
        try:
            s.setsockopt(socket.SOL_SOCKET, force, 8 << 20)
        except OSError:
            s.setsockopt(socket.SOL_SOCKET, opt, 8 << 20)
    if vnet_hdr:
        # Before bind: the kernel refuses it on a socket with a ring.
        s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    s.bind((ifname, 0))
    s.setblocking(False)
    return s


def rx_drops(sock):
    """Frames the kernel dropped on sock for want of room (struct
    tpacket_stats' tp_drops, since the last call)."""
    try:
        return struct.unpack("II", sock.getsockopt(SOL_PACKET,
                                                   PACKET_STATISTICS, 8))[1]
    except OSError:
        return 0


def relay(args):
    tap = packet_socket(args.tap, True)
    wire = packet_socket(args.wire, False)
    rx_drops(tap)  # counting from here
    rx_drops(wire)
    # Frames read on the wire go to the TAP (to the daemon), and back.
    to_daemon = Direction("to-daemon", wire, False, tap, True,
                          random.Random(args.seed))
    to_kernel = Direction("to-kernel", tap, True, wire, False,
                          random.Random(args.seed + 1))
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
            d.out.send(d.out_prefix + frame)
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
                    buf, addr = sock.recvfrom(RECV_MAX)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue  # our own writes to this interface
                d.c["frames"] += 1
                frames = from_vnet(d, buf) if d.in_vnet else [buf]
                for frame in frames:
                    if len(frame) > MAX_FRAME:
                        d.c["oversize"] += 1
                        continue
                    if len(frame) < ETH_HLEN or \
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
    for d in (to_daemon, to_kernel):
        d.c["rx_drops"] += rx_drops(d.inp)
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
