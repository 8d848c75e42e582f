#!/usr/bin/python3
"""syn_mss: records the MSS option of every TCP SYN crossing a link.

    syn_mss.py IFACE OUTFILE

Captures every frame on IFACE (an AF_PACKET socket, both directions)
and, for each IPv4 TCP segment with SYN set, appends a line
"SRC:SPORT DST:DPORT FLAGS MSS" to OUTFILE, FLAGS "S" or "SA", MSS the
option's value or "none". OUTFILE is created once the socket is bound,
so a test can wait for it before making a connection. Runs until killed.
"""
import socket
import struct
import sys

ETH_P_ALL = 0x0003


def mss_option(opts):
    """Returns the MSS in the TCP options bytes, or None."""
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
        length = opts[i + 1]
        if kind == 2 and length == 4 and i + 4 <= len(opts):
            return struct.unpack("!H", opts[i + 2:i + 4])[0]
        i += length
    return None


def main():
    iface, path = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                         socket.htons(ETH_P_ALL))
    sock.bind((iface, 0))
    with open(path, "a", encoding="ascii") as out:
        while True:
            frame = sock.recv(65600)
            if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
                continue
            ip = frame[14:]
            ihl = (ip[0] & 15) * 4
            if ip[9] != 6 or len(ip) < ihl + 20:
                continue
            tcp = ip[ihl:]
            flags = tcp[13]
            if not flags & 0x02:
                continue
            doff = (tcp[12] >> 4) * 4
            mss = mss_option(tcp[20:doff])
            src = socket.inet_ntoa(ip[12:16])
            dst = socket.inet_ntoa(ip[16:20])
            sport, dport = struct.unpack("!HH", tcp[0:4])
            kind = "SA" if flags & 0x10 else "S"
            out.write(f"{src}:{sport} {dst}:{dport} {kind} "
                      f"{mss if mss is not None else 'none'}\n")
            out.flush()


if __name__ == "__main__":
    main()
