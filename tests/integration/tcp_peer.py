#!/usr/bin/python3
"""tcp_peer.py - the kernel's side of the TCP integration tests.

Runs in the test's namespace, with the kernel's TCP:

  echo-clients HOST PORT COUNT BYTES
      Opens COUNT connections at once, sends each BYTES + 7 * i bytes
      of its own content, checks the echo byte for byte; only once every
      echo is complete half-closes them all and expects each server's
      FIN. So all COUNT are open at the same time.
  echo-server HOST PORT COUNT
      Accepts COUNT connections and echoes each until its FIN, then
      half-closes it; prints how many were open at once at most.
  reset-server HOST PORT BYTES
      Accepts one connection, reads BYTES of what the client streams,
      then resets it (SO_LINGER 0 close): a RST in the middle of a
      transfer.
  expect-reset HOST PORT BYTES
      Accepts one connection, sends BYTES, then waits (at most 20 s)
      for the connection to end; prints "reset" (ConnectionResetError),
      "eof" (FIN) or "timeout"; exits 0 only for "reset".
  stream-server HOST PORT
      Accepts one connection and sends to it until it fails; prints how
      it ended ("reset", "pipe", "eof", "timeout") and the byte count.

Every listener prints "listening" once it listens. Errors: a message
and exit status 1.
"""
import errno
import random
import selectors
import socket
import struct
import sys
import time

CHUNK = 65536


def content(i, n):
    return random.Random(0x5EED0000 + i).randbytes(n)


def listener(host, port, backlog=1):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(backlog)
    print("listening", flush=True)
    return s


def accept_one(host, port, timeout=30):
    srv = listener(host, port)
    srv.settimeout(timeout)
    conn, _ = srv.accept()
    srv.close()
    conn.settimeout(None)
    return conn


def echo_clients(host, port, count, nbytes):
    sel = selectors.DefaultSelector()
    conns = []
    for i in range(count):
        s = socket.socket()
        s.setblocking(False)
        err = s.connect_ex((host, port))
        if err not in (0, errno.EINPROGRESS):
            sys.exit(f"connection {i}: connect: {errno.errorcode[err]}")
        c = {"i": i, "s": s, "data": content(i, nbytes + 7 * i),
             "sent": 0, "got": bytearray(), "shut": False, "done": False}
        conns.append(c)
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
    done = 0
    echoed = 0
    deadline = time.monotonic() + 60
    while done < count:
        if time.monotonic() > deadline:
            sys.exit(f"timeout: {done} of {count} done, {echoed} echoed")
        for key, ev in sel.select(timeout=1):
            c = key.data
            s = c["s"]
            if ev & selectors.EVENT_WRITE and c["sent"] < len(c["data"]):
                try:
                    n = s.send(c["data"][c["sent"]:c["sent"] + CHUNK])
                except BlockingIOError:
                    n = 0
                except OSError as e:
                    sys.exit(f"connection {c['i']}: send: {e}")
                c["sent"] += n
                if c["sent"] == len(c["data"]):
                    sel.modify(s, selectors.EVENT_READ, c)
            if ev & selectors.EVENT_READ:
                try:
                    b = s.recv(CHUNK)
                except BlockingIOError:
                    continue
                except OSError as e:
                    sys.exit(f"connection {c['i']}: recv: {e}")
                if not b:
                    if not c["shut"]:
                        sys.exit(f"connection {c['i']}: EOF after "
                                 f"{len(c['got'])} of {len(c['data'])} "
                                 "bytes, before our FIN")
                    sel.unregister(s)
                    s.close()
                    c["done"] = True
                    done += 1
                    continue
                start = len(c["got"])
                c["got"] += b
                if c["got"] != c["data"][:len(c["got"])]:
                    sys.exit(f"connection {c['i']}: echo differs after "
                             f"byte {start}")
                if len(c["got"]) == len(c["data"]):
                    echoed += 1
        if echoed == count and not any(c["shut"] for c in conns):
            for c in conns:
                c["s"].shutdown(socket.SHUT_WR)
                c["shut"] = True
    print(f"{done} connections echoed intact")


def echo_server(host, port, count):
    srv = listener(host, port, backlog=count + 16)
    srv.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ, None)
    accepted = done = open_now = peak = 0
    deadline = time.monotonic() + 60
    while done < count:
        if time.monotonic() > deadline:
            sys.exit(f"timeout: {accepted} accepted, {done} done")
        for key, ev in sel.select(timeout=1):
            if key.data is None:
                try:
                    s, _ = srv.accept()
                except BlockingIOError:
                    continue
                s.setblocking(False)
                accepted += 1
                open_now += 1
                peak = max(peak, open_now)
                sel.register(s, selectors.EVENT_READ,
                             {"s": s, "buf": b""})
                if accepted == count:
                    sel.unregister(srv)
                continue
            c = key.data
            s = c["s"]
            try:
                if c["buf"]:
                    n = s.send(c["buf"])
                    c["buf"] = c["buf"][n:]
                    if not c["buf"]:
                        sel.modify(s, selectors.EVENT_READ, c)
                    continue
                b = s.recv(CHUNK)
            except BlockingIOError:
                continue
            except OSError as e:
                sys.exit(f"echo: {e}")
            if not b:
                s.shutdown(socket.SHUT_WR)
                sel.unregister(s)
                s.close()
                done += 1
                open_now -= 1
                continue
            c["buf"] = b
            sel.modify(s, selectors.EVENT_WRITE, c)
    print(f"echoed {done} connections, at most {peak} open at once")


def reset_server(host, port, nbytes):
    conn = accept_one(host, port)
    got = 0
    conn.settimeout(20)
    while got < nbytes:
        b = conn.recv(CHUNK)
        if not b:
            sys.exit(f"EOF after {got} bytes")
        got += len(b)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack("ii", 1, 0))
    conn.close()
    print(f"reset after {got} bytes", flush=True)


def expect_reset(host, port, nbytes):
    conn = accept_one(host, port)
    conn.sendall(random.randbytes(nbytes))
    conn.settimeout(20)
    outcome = "timeout"
    try:
        while True:
            b = conn.recv(CHUNK)
            if not b:
                outcome = "eof"
                break
    except ConnectionResetError:
        outcome = "reset"
    except socket.timeout:
        pass
    print(outcome, flush=True)
    sys.exit(0 if outcome == "reset" else 1)


def stream_server(host, port):
    conn = accept_one(host, port)
    conn.settimeout(20)
    block = random.randbytes(CHUNK)
    sent = 0
    try:
        while True:
            sent += conn.send(block)
    except ConnectionResetError:
        outcome = "reset"
    except BrokenPipeError:
        outcome = "pipe"
    except socket.timeout:
        outcome = "timeout"
    print(f"{outcome} after {sent} bytes", flush=True)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    host, port = args[0], int(args[1])
    if cmd == "echo-clients":
        echo_clients(host, port, int(args[2]), int(args[3]))
    elif cmd == "echo-server":
        echo_server(host, port, int(args[2]))
    elif cmd == "reset-server":
        reset_server(host, port, int(args[2]))
    elif cmd == "expect-reset":
        expect_reset(host, port, int(args[2]))
    elif cmd == "stream-server":
        stream_server(host, port)
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
