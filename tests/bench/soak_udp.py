#!/usr/bin/python3
"""soak_udp.py - the UDP echo of soak.sh.

    soak_udp.py echo HOST PORT           echoes every datagram to its sender
    soak_udp.py client HOST PORT COUNT   sends COUNT datagrams of 1 to 1400
                                         random bytes, one at a time, and
                                         checks each echo (1 s to come)

The client prints "RESULT sent=N echoed=N lost=N wrong=N" and exits 0;
a lost datagram is counted, not a failure (UDP may lose one)."""
import os
import random
import socket
import sys


def echo(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, port))
    while True:
        data, peer = s.recvfrom(65536)
        s.sendto(data, peer)


def client(host, port, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    echoed = lost = wrong = 0
    for _ in range(count):
        data = os.urandom(random.randint(1, 1400))
        s.sendto(data, (host, port))
        try:
            got, _ = s.recvfrom(65536)
        except socket.timeout:
            lost += 1
            continue
        if got == data:
            echoed += 1
        else:
            wrong += 1
    print(f"RESULT sent={count} echoed={echoed} lost={lost} wrong={wrong}")


if __name__ == "__main__":
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "echo":
        echo(host, port)
    else:
        client(host, port, int(sys.argv[4]))
