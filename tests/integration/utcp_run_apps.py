"""utcp_run_apps.py - the small programs utcp_run_apps.sh runs under
utcp-run beside the real applications: plain Python sockets, nothing of
utcpd's. Each talks to utcp_run_peer.py's server on the kernel's side
(one line in, the line upper-cased back).

  forkclient ADDR PORT TEXT   connects, then forks: the child sends TEXT
                       and a newline on the inherited connection and
                       exits; the parent waits for it, reads the answer
                       line and prints it
  noenv ADDR PORT TEXT   empties its environment (as nginx's workers
                       do), then connects, sends TEXT and prints the
                       answer line
"""

import os
import socket
import sys


def answer(s):
    """Reads one line from socket s and returns it without the newline."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.decode().rstrip("\n")


def forkclient(addr, port, text):
    s = socket.create_connection((addr, int(port)), timeout=10)
    pid = os.fork()
    if pid == 0:
        try:
            s.sendall(text.encode() + b"\n")
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        sys.exit(f"the child exited with status {status}")
    print(answer(s))
    s.close()


def noenv(addr, port, text):
    os.environ.clear()  # unsetenv() each: the C library's environ too
    if os.getenv("UTCPD_SOCKET") is not None:
        sys.exit("the environment is not empty")
    s = socket.create_connection((addr, int(port)), timeout=10)
    s.sendall(text.encode() + b"\n")
    print(answer(s))
    s.close()


def main():
    modes = {"forkclient": forkclient, "noenv": noenv}
    if len(sys.argv) < 2 or sys.argv[1] not in modes:
        sys.exit(f"usage: {sys.argv[0]} forkclient|noenv ADDR PORT TEXT")
    modes[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    main()
