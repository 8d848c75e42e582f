#!/usr/bin/python3
"""udp_sink: receives UDP datagrams and writes one line for each.

    udp_sink.py ADDR PORT OUTFILE

Binds ADDR:PORT and appends "SOURCE_ADDRESS PAYLOAD" to OUTFILE for
every datagram (the payload decoded as UTF-8 with replacement, its line
breaks kept out), flushed at once, so that a test can poll the file and
see from which address each datagram came. Runs until killed.
"""
import socket
import sys


def main():
    addr, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((addr, port))
    with open(path, "a", encoding="utf-8") as out:
        while True:
            data, (src, _) = sock.recvfrom(65535)
            text = data.decode("utf-8", "replace").replace("\n", "\\n")
            out.write(f"{src} {text}\n")
            out.flush()


if __name__ == "__main__":
    main()
