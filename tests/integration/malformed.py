#!/usr/bin/python3
"""malformed.py - send utcpd broken frames and check each is counted

Run inside the test's namespace by malformed.sh:

    malformed.py TAP DAEMON_MAC DAEMON_IP KERNEL_IP UTCPCTL SOCKET

Each case is one or more frames written to the kernel's side of the TAP
with a packet socket (scapy's sendp), addressed to utcpd's MAC, and the
counters that may say why utcpd dropped it. After sending, the case
polls `utcpctl status -a --json` (up to 5 s) until one of its counters has
grown. Every case is tried; the script exits 1 if any failed.

Needs Debian's /usr/bin/python3 with python3-scapy.
"""
import json
import socket
import subprocess
import sys
import time

from scapy.all import ARP, ICMP, IP, UDP, Ether, Raw, conf, get_if_hwaddr, sendp

conf.verb = 0

TAP, DAEMON_MAC, DAEMON_IP, KERNEL_IP, UTCPCTL, SOCKET = sys.argv[1:7]
KERNEL_MAC = get_if_hwaddr(TAP)
WAIT_S = 5.0


def counters():
    """The daemon's counters, as a dict."""
    out = subprocess.run([UTCPCTL, "-S", SOCKET, "status", "-a", "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["counters"]


def eth(ethertype):
    """An Ethernet header from the kernel's side to utcpd."""
    return bytes(Ether(src=KERNEL_MAC, dst=DAEMON_MAC, type=ethertype))


def ipv4(payload=b"", **fields):
    """An IPv4 packet from the kernel to utcpd, as bytes."""
    return bytes(IP(src=KERNEL_IP, dst=DAEMON_IP, **fields) / payload)


def udp(payload=b"", **fields):
    """A UDP datagram from the kernel to utcpd, in IPv4, as bytes."""
    return ipv4(UDP(sport=40000, dport=7777, **fields) / payload)


def flip(data, offset):
    """data with the 16-bit field at offset (a checksum) made wrong."""
    data = bytearray(data)
    data[offset] ^= 0x5A
    data[offset + 1] ^= 0xA5
    return bytes(data)


def arp_request(hlen=6, plen=4):
    """An ARP request for utcpd's address with the given lengths."""
    header = bytes([0, 1, 8, 0, hlen, plen, 0, 1])
    sha = bytes.fromhex(KERNEL_MAC.replace(":", "")).ljust(hlen, b"\0")[:hlen]
    spa = socket.inet_aton(KERNEL_IP).ljust(plen, b"\0")[:plen]
    tpa = socket.inet_aton(DAEMON_IP).ljust(plen, b"\0")[:plen]
    return header + sha + spa + bytes(hlen) + tpa


def fragment(ident, offset_bytes, payload, more, proto=17):
    """One IPv4 fragment of datagram ident, as bytes."""
    assert offset_bytes % 8 == 0
    return ipv4(Raw(payload), id=ident, proto=proto, frag=offset_bytes // 8,
                flags="MF" if more else 0)


IPV4, ARP_TYPE = 0x0800, 0x0806
udp_ok = udp(b"hello")
icmp_ok = ipv4(ICMP(type=8, id=7, seq=1) / b"ping!")

# (what, frames, counters of which one must grow)
CASES = [
    ("truncated IPv4 header (10 of 20 bytes)",
     [eth(IPV4) + udp_ok[:10]], ["ip_rx_drop_short"]),
    ("bad IPv4 header checksum",
     [eth(IPV4) + flip(udp_ok, 10)], ["ip_rx_drop_checksum"]),
    ("IHL 4 (< 5)",
     [eth(IPV4) + ipv4(UDP() / (b"x" * 8), ihl=4)],
     ["ip_rx_drop_ihl"]),
    ("IHL 15 (60 bytes) beyond the 28-byte packet",
     [eth(IPV4) + ipv4(UDP(), ihl=15, len=28)[:28]],
     ["ip_rx_drop_ihl", "ip_rx_drop_total_length"]),
    ("total length 1000 beyond the frame",
     [eth(IPV4) + ipv4(UDP(sport=1, dport=7777) / (b"y" * 10), len=1000)],
     ["ip_rx_drop_total_length"]),
    ("version 6 under the IPv4 ethertype",
     [eth(IPV4) + ipv4(UDP() / b"z", version=6)], ["ip_rx_drop_version"]),
    ("bad UDP checksum",
     [eth(IPV4) + flip(udp_ok, 20 + 6)], ["udp_rx_drop_checksum"]),
    ("UDP length 200 beyond the IP payload",
     [eth(IPV4) + udp(b"w" * 10, len=200)], ["udp_rx_drop_length"]),
    ("truncated ICMP (3 bytes)",
     [eth(IPV4) + ipv4(Raw(b"\x08\x00\x00"), proto=1)],
     ["icmp_rx_drop_short"]),
    ("bad ICMP checksum",
     [eth(IPV4) + flip(icmp_ok, 20 + 2)], ["icmp_rx_drop_checksum"]),
    ("ARP with hardware length 8",
     [eth(ARP_TYPE) + arp_request(hlen=8)],
     ["arp_rx_drop_malformed", "arp_rx_drop_unsupported"]),
    ("ARP with protocol length 6",
     [eth(ARP_TYPE) + arp_request(plen=6)],
     ["arp_rx_drop_malformed", "arp_rx_drop_unsupported"]),
    ("truncated ARP (20 of 28 bytes)",
     [eth(ARP_TYPE) + arp_request()[:20]], ["arp_rx_drop_malformed"]),
    ("overlapping fragments",
     [eth(IPV4) + fragment(1001, 0, b"a" * 48, more=True),
      eth(IPV4) + fragment(1001, 24, b"b" * 48, more=True)],
     ["frag_drop_overlap"]),
    ("a fragment series past 65535 bytes",
     [eth(IPV4) + fragment(1002, 0, b"c" * 1480, more=True),
      eth(IPV4) + fragment(1002, 65512, b"d" * 48, more=False)],
     ["frag_drop_oversize"]),
    ("1024 tiny fragments of one datagram",
     [eth(IPV4) + fragment(1003, 8 * i, b"e" * 8, more=True)
      for i in range(1024)],
     ["frag_drop_too_many"]),
    ("unknown IP protocol 253",
     [eth(IPV4) + ipv4(Raw(b"what is this?"), proto=253)],
     ["icmp_tx_unreachable"]),
]


def protocol_unreachable_seen(sock):
    """True when the kernel got ICMP protocol unreachable from utcpd."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            packet, (source, _) = sock.recvfrom(65535)
        except socket.timeout:
            return False
        ihl = (packet[0] & 0x0F) * 4
        if source == DAEMON_IP and packet[ihl:ihl + 2] == b"\x03\x02":
            return True
    return False


def main():
    # The kernel hands every ICMP message it receives to raw sockets.
    icmp_sock = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                              socket.IPPROTO_ICMP)
    print("  skipped: a truncated Ethernet header (< 14 bytes) cannot be "
          "sent: packet sockets refuse it (EINVAL); see the fuzz harnesses")
    failures = []
    for what, frames, names in CASES:
        before = counters()
        missing = [n for n in names if n not in before]
        if missing:
            failures.append(what)
            print(f"  FAIL {what}: utcpd has no counter {missing}")
            continue
        sendp([Raw(f) for f in frames], iface=TAP)
        deadline = time.monotonic() + WAIT_S
        grown = []
        while not grown and time.monotonic() < deadline:
            time.sleep(0.05)
            after = counters()
            grown = [n for n in names if after[n] > before[n]]
        if grown:
            print(f"  ok   {what}: {grown[0]} "
                  f"{before[grown[0]]} -> {after[grown[0]]}")
        else:
            failures.append(what)
            print(f"  FAIL {what}: none of {names} grew")
    if protocol_unreachable_seen(icmp_sock):
        print("  ok   the kernel received ICMP protocol unreachable")
    else:
        failures.append("protocol unreachable")
        print("  FAIL no ICMP protocol unreachable reached the kernel")
    if failures:
        print(f"  {len(failures)} of {len(CASES) + 1} checks failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
