#!/usr/bin/python3
"""notify_listener.py - the service manager's side of NOTIFY_SOCKET, for
the notify test.

Usage: notify_listener.py SOCKET_PATH LOG READY_OUT [COMMAND...]

Binds a datagram socket at SOCKET_PATH (a path, or an abstract name
with a leading '@') and appends every line of every datagram received
to LOG, one line each, in the order they came (a datagram's lines in
one write). The first time a
datagram holds READY=1, it runs COMMAND at once (before reading the next
datagram) and writes its standard output to READY_OUT: what the daemon
showed at the moment it said it was ready. Runs until killed.
"""
import os
import socket
import subprocess
import sys


def main():
    path, log_path, ready_out = sys.argv[1:4]
    command = sys.argv[4:]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + path[1:] if path.startswith("@") else path)
    ready_seen = False
    with open(log_path, "a", buffering=1) as log:
        log.write("LISTENING\n")
        while True:
            data = sock.recv(65536).decode("utf-8", "replace")
            if not ready_seen and "READY=1" in data.split("\n"):
                ready_seen = True
                out = b""
                if command:
                    out = subprocess.run(command, stdout=subprocess.PIPE,
                                         check=False).stdout
                tmp = ready_out + ".tmp"
                with open(tmp, "wb") as f:
                    f.write(out)
                os.rename(tmp, ready_out)
            # One write per datagram: a reader of LOG never sees a
            # datagram's first lines without its last ones.
            log.write("".join(line + "\n" for line in data.split("\n")))


if __name__ == "__main__":
    main()
