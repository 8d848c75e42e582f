#!/usr/bin/python3
"""sock_peer.py - the kernel's side of the socket-semantics tests.

Runs in the test's namespace:

  sink-count HOST PORT GO_FILE
      Listens (prints "listening"), accepts one connection and never
      reads it. Once the bytes queued on it (FIONREAD) have not changed
      for 1.5 s, prints their count; then waits (at most 30 s) for
      GO_FILE to exist before it closes, so the writer is not reset
      while it still measures.
  capture IFACE SRC OUT_FILE DPORT
      Captures the IPv4 TCP segments from SRC to port DPORT on IFACE (an AF_PACKET
      socket) and writes one line per segment to OUT_FILE: its flags
      ("S", "SA", "A", "PA", "R" ...), TOS, TTL and the MSS option (0
      without one), e.g. "S 184 17 700". Prints "capturing" once the
      socket is bound; runs until killed (at most 60 s).
  udp-tos HOST PORT
      Binds a UDP socket with IP_RECVTOS and IP_RECVTTL (prints
      "listening"), receives one datagram (at most 20 s) and prints the
      TOS and TTL it came with: "tos T ttl T".
  accept-maxseg HOST PORT
      Listens (prints "listening"), accepts one connection, prints the
      MSS the kernel uses to send on it (getsockopt TCP_MAXSEG), then
      reads until EOF.

Errors: a message and exit status 1.
"""
import fcntl
import os
import socket
import struct
import sys
import termios
import time

ETH_P_IP = 0x0800
IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)  # Linux's; Python lacks it


def listen(host, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, int(port)))
    sock.listen(1)
    print("listening", flush=True)
    return sock


def sink_count(host, port, go_file):
    conn, _ = listen(host, port).accept()
    last, stable_since = -1, time.monotonic()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        queued = struct.unpack(
            "i", fcntl.ioctl(conn, termios.FIONREAD, b"\0\0\0\0"))[0]
        if queued != last:
            last, stable_since = queued, time.monotonic()
        elif time.monotonic() - stable_since >= 1.5:
            break
        time.sleep(0.05)
    print(last, flush=True)
    deadline = time.monotonic() + 30
    while not os.path.exists(go_file) and time.monotonic() < deadline:
        time.sleep(0.05)
    conn.close()


def tcp_options_mss(opts):
    """The MSS option's value in a TCP options block, or 0."""
    i = 0
    while i < len(opts):
        kind = opts[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            break
        if kind == 2 and opts[i + 1] == 4 and i + 4 <= len(opts):
            return struct.unpack("!H", opts[i + 2:i + 4])[0]
        i += opts[i + 1]
    return 0


def capture(iface, src, out_file, dport):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                         socket.htons(ETH_P_IP))
    sock.bind((iface, ETH_P_IP))
    sock.settimeout(0.5)
    src = socket.inet_aton(src)
    dport = int(dport)
    print("capturing", flush=True)
    deadline = time.monotonic() + 60
    with open(out_file, "w", buffering=1) as out:
        while time.monotonic() < deadline:
            try:
                frame, addr = sock.recvfrom(65536)
            except socket.timeout:
                continue
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            ip = frame[14:]
            if len(ip) < 20 or ip[9] != socket.IPPROTO_TCP or ip[12:16] != src:
                continue
            ihl = (ip[0] & 15) * 4
            tcp = ip[ihl:]
            if len(tcp) < 20 or int.from_bytes(tcp[2:4], "big") != dport:
                continue  # another connection's (an earlier test's end)
            doff = (tcp[12] >> 4) * 4
            flags = tcp[13]
            names = "".join(n for bit, n in ((0x02, "S"), (0x01, "F"),
                                             (0x04, "R"), (0x08, "P"),
                                             (0x10, "A")) if flags & bit)
            mss = tcp_options_mss(tcp[20:doff])
            out.write(f"{names} {ip[1]} {ip[8]} {mss}\n")


def udp_tos(host, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
    sock.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
    sock.bind((host, int(port)))
    sock.settimeout(20)
    print("listening", flush=True)
    _, cmsgs, _, _ = sock.recvmsg(2048, socket.CMSG_SPACE(4) * 2)
    tos = ttl = None
    for level, kind, data in cmsgs:
        if level == socket.IPPROTO_IP and kind == socket.IP_TOS:
            tos = data[0]
        elif level == socket.IPPROTO_IP and kind == socket.IP_TTL:
            ttl = struct.unpack("i", data[:4])[0]
    print(f"tos {tos} ttl {ttl}", flush=True)


def accept_maxseg(host, port):
    conn, _ = listen(host, port).accept()
    print(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG), flush=True)
    conn.settimeout(30)
    while conn.recv(65536):
        pass


def main():
    cmds = {"sink-count": sink_count, "capture": capture,
            "accept-maxseg": accept_maxseg, "udp-tos": udp_tos}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit("usage: sock_peer.py sink-count|capture|accept-maxseg|"
                 "udp-tos ...")
    try:
        cmds[sys.argv[1]](*sys.argv[2:])
    except (OSError, TypeError) as e:
        sys.exit(f"sock_peer.py: {e}")


if __name__ == "__main__":
    main()
