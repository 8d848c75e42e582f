#!/usr/bin/python3
"""tcp_reflect.py - a burst of out-of-window segments for one established
connection; how many ACKs does utcpd reflect?

Run inside the test's namespace by tcp_reflect.sh (and by
tests/bench/reflect.sh for the figure):

    tcp_reflect.py TAP DAEMON_MAC DAEMON_IP KERNEL_IP PORT COUNT UTCPCTL SOCKET

Connects a kernel socket to the echo server at DAEMON_IP:PORT (on
libutcp), learning both initial sequence numbers from the handshake,
which it watches on the kernel's side of the TAP with a packet socket.
It checks one echo, then writes COUNT segments for that connection to
the TAP (a packet socket, as malformed.py does): half of them carry 10
bytes at a sequence number a quarter of the sequence space or more
ahead of what utcpd expects, the others as far behind, and every tenth
is a SYN instead. None is in the window. Meanwhile it counts the
segments utcpd sends on the connection. Then it checks one more echo.

Prints one line, "in N out M window_s S tx_segments T", where M is the
count of utcpd's segments seen on the connection during the burst (and
for 0.6 s after), S the burst's duration and T the growth of utcpd's
tcp_tx_segments counter over the same time. Exits 1 when an echo fails.

Needs Debian's /usr/bin/python3 with python3-scapy.
"""
import json
import random
import socket
import struct
import subprocess
import sys
import threading
import time

from scapy.all import IP, TCP, Ether, Raw, conf, get_if_hwaddr

conf.verb = 0

TAP, DAEMON_MAC, DAEMON_IP, KERNEL_IP = sys.argv[1:5]
PORT, COUNT = int(sys.argv[5]), int(sys.argv[6])
UTCPCTL, SOCKET = sys.argv[7:9]
KERNEL_MAC = get_if_hwaddr(TAP)
ETH_P_ALL = 0x0003
# A pause after each segment, so that the TAP's queue (500 frames) does
# not overflow while utcpd keeps up: most of the burst should arrive.
PACE_S = 0.00002


def counter(name):
    """One of utcpd's counters."""
    out = subprocess.run([UTCPCTL, "-S", SOCKET, "status", "-a", "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["counters"].get(name, 0)


class Watch(threading.Thread):
    """Watches the TAP for TCP segments between the two ends: records
    the SYN's and SYN-ACK's sequence numbers and counts utcpd's."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                  socket.htons(ETH_P_ALL))
        self.sock.bind((TAP, 0))
        self.sock.settimeout(0.1)
        self.kport = None
        self.isn = {}   # "kernel" / "daemon": ISN
        self.from_daemon = 0
        self.stop = False

    def run(self):
        dip = socket.inet_aton(DAEMON_IP)
        while not self.stop:
            try:
                f, addr = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            if len(f) < 54 or f[12:14] != b"\x08\x00" or f[23] != 6:
                continue
            ihl = (f[14] & 15) * 4
            t = 14 + ihl
            sport, dport, seq = struct.unpack("!HHI", f[t:t + 8])
            flags = f[t + 13]
            if f[26:30] == dip and sport == PORT:
                if flags & 0x12 == 0x12:
                    self.isn["daemon"] = seq
                if self.kport is not None and dport == self.kport:
                    self.from_daemon += 1
            elif f[30:34] == dip and dport == PORT and flags & 0x12 == 0x02:
                self.isn.setdefault(sport, seq)


def template(tcp):
    """A frame from the kernel's side to utcpd carrying tcp, as a
    bytearray."""
    return bytearray(bytes(Ether(src=KERNEL_MAC, dst=DAEMON_MAC) /
                           IP(src=KERNEL_IP, dst=DAEMON_IP) / tcp))


def with_seq(frame, seq):
    """A copy of a template() frame with sequence number seq and its TCP
    checksum made right again."""
    f = bytearray(frame)
    t = 14 + (f[14] & 15) * 4
    struct.pack_into("!I", f, t + 4, seq)
    struct.pack_into("!H", f, t + 16, 0)
    seg = bytes(f[t:])
    total = 6 + len(seg)  # the protocol and the TCP length
    for a in (f[26:30], f[30:34]):
        total += (a[0] << 8 | a[1]) + (a[2] << 8 | a[3])
    if len(seg) % 2:
        seg += b"\0"
    total += sum(struct.unpack(f"!{len(seg) // 2}H", seg))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    struct.pack_into("!H", f, t + 16, ~total & 0xffff)
    return bytes(f)


def echo(sock, data):
    """Sends data and reads its echo; False when it does not come."""
    sock.sendall(data)
    got = b""
    sock.settimeout(5)
    while len(got) < len(data):
        part = sock.recv(65536)
        if not part:
            return False
        got += part
    return got == data


def main():
    watch = Watch()
    watch.start()
    sock = socket.create_connection((DAEMON_IP, PORT), timeout=5)
    kport = sock.getsockname()[1]
    line = b"C0:before the burst\n"
    if not echo(sock, line):
        print("no echo before the burst")
        return 1
    deadline = time.monotonic() + 5
    while (kport not in watch.isn or "daemon" not in watch.isn) and \
            time.monotonic() < deadline:
        time.sleep(0.01)
    if kport not in watch.isn or "daemon" not in watch.isn:
        print("the handshake was not seen on the TAP")
        return 1
    # What utcpd expects next from us, and what we expect from it.
    rcv_nxt = (watch.isn[kport] + 1 + len(line)) & 0xffffffff
    snd_nxt = (watch.isn["daemon"] + 1 + len(line)) & 0xffffffff

    rng = random.Random(5961)
    syn = template(TCP(sport=kport, dport=PORT, flags="S", window=65535))
    data = template(TCP(sport=kport, dport=PORT, ack=snd_nxt, flags="PA",
                        window=65535) / Raw(b"x" * 10))
    frames = []
    for i in range(COUNT):
        off = (1 << 30) + rng.randrange(1 << 29)
        seq = (rcv_nxt + off if i % 2 else rcv_nxt - off) & 0xffffffff
        frames.append(with_seq(syn if i % 10 == 0 else data, seq))
    out = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    out.bind((TAP, 0))

    tx0 = counter("tcp_tx_segments")
    watch.kport = kport
    watch.from_daemon = 0
    t0 = time.monotonic()
    for f in frames:
        while True:
            try:
                out.send(f)
                break
            except BlockingIOError:
                time.sleep(0.001)
        time.sleep(PACE_S)
    window = time.monotonic() - t0
    time.sleep(0.6)  # what the burst's last segments draw
    seen = watch.from_daemon
    watch.kport = None
    tx = counter("tcp_tx_segments") - tx0
    if not echo(sock, b"C1:after the burst\n"):
        print("no echo after the burst")
        return 1
    sock.close()
    watch.stop = True
    print(f"in {COUNT} out {seen} window_s {window:.2f} tx_segments {tx}")
    return 0


sys.exit(main())
