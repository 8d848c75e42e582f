#!/usr/bin/python3
"""tcp_syn_connects.py HOST PORT COUNT TIMEOUT: COUNT kernel connects to
an echo server, one after another, each echoing 16 bytes; each may take
TIMEOUT seconds (the kernel retries a SYN that got no answer). Prints
"ok N failed M" and exits 0 when every one succeeded."""
import socket
import sys

host, port, count, timeout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
ok = 0
for i in range(count):
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            msg = b"legitimate %05d" % i
            s.sendall(msg)
            got = b""
            while len(got) < len(msg):
                part = s.recv(len(msg) - len(got))
                if not part:
                    break
                got += part
            if got == msg:
                ok += 1
            else:
                print(f"connect {i}: echo {got!r}", file=sys.stderr)
    except OSError as e:
        print(f"connect {i}: {e}", file=sys.stderr)
print(f"ok {ok} failed {count - ok}")
sys.exit(0 if ok == count else 1)
