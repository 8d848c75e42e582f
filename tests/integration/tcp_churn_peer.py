#!/usr/bin/python3
"""tcp_churn_peer.py - the kernel's side of tcp_churn.sh.

Runs in the test's namespace, with the kernel's TCP. The per-connection
exchange (modes C, S, R) is the one tcp_churn_helper.c describes:
connection i sends "<MODE><i>:<filler>\\n" with MODE "CSR"[i % 3]; the
server echoes it; C: the client closes first, S: the server closes
first, R: the client sends one more byte, the server closes without
reading it (RST) and the client sees ECONNRESET.

  clients HOST PORT COUNT PARALLEL [tolerant]
      COUNT client connections, PARALLEL at a time; prints
      "COUNT connections (C c, S s, R r)". With "tolerant" a connection
      that fails (refused, reset, cut short) is counted, not fatal, and
      once one has failed no new one starts: the server is killed in
      the middle; prints "N connections (...), B broken" once the open
      ones have ended.
  reuse-clients HOST PORT COUNT NPORTS FIRST
      COUNT client connections, all of mode S (the server closes first,
      so its TCP holds TIME_WAIT), NPORTS at a time, slot j always from
      local port FIRST + j: each new connection's SYN finds the
      server's TIME_WAIT of the one before. Prints as clients does.
  echo-server HOST PORT COUNT [tolerant]
      Serves COUNT connections; prints "listening" first and
      "served COUNT connections (C c, S s, R r), at most N at once".
      With "tolerant" (COUNT 0: until killed) a connection cut short
      is counted, not fatal, and each end is printed as it happens:
      "served N, broken B".
  abrupt-server HOST PORT COUNT
      Accepts COUNT connections and sends 1000 bytes on each
      even-numbered one (in accept order); prints "ready". Then waits
      (at most 20 s each) for every connection to end and prints
      "reset R eof E": the application on the other side is killed, so
      the even ones, with data unread, must be reset and the odd ones
      closed with FIN; exits 1 otherwise.
  abrupt-clients HOST PORT COUNT ACCEPTED
      Connects COUNT times, one after the other, and sends 1000 bytes on
      each even-numbered connection; prints "ready". Then waits (at most
      20 s each) for every connection to end: the listening application
      (which accepted the first ACCEPTED) is killed. Even-numbered ones
      must be reset, odd accepted ones closed with FIN, odd unaccepted
      ones either. Prints "reset R eof E"; exits 1 otherwise.
  blackhole HOST PORT
      Listens with a backlog of 0 and fills its accept queue with one
      connection of its own, so that the kernel drops further SYNs;
      prints "full" and sleeps until killed.
  sink HOST PORT
      Listens (receive buffer 4 KiB, so windows close at once), prints
      "listening", accepts every connection and never reads; killed,
      its kernel resets them all (data unread).
  offer HOST PORT BYTES
      Listens, prints "listening", accepts every connection and sends
      BYTES on each (all of them in one loop, without blocking), never
      reading, until killed: the peer of applications that never read.

Errors: a message and exit status 1.
"""
import errno
import os
import selectors
import socket
import sys
import time

MODES = "CSR"
# A churn command's whole run (longer runs, e.g. tests/bench/connects.sh,
# set TCP_CHURN_DEADLINE_S).
DEADLINE_S = float(os.environ.get("TCP_CHURN_DEADLINE_S", "60"))
END_WAIT_S = 20  # one abrupt connection's end


class Broken(Exception):
    """A connection failed (fatal unless tolerant)."""


def line(i, mode=None):
    head = b"%c%d:" % ((mode or MODES[i % 3]).encode(), i)
    fill = bytes(ord("a") + (i + k) % 26 for k in range((i * 13) % 97))
    return head + fill + b"\n"


def die(msg):
    sys.exit(f"tcp_churn_peer: {msg}")


def listener(host, port, backlog):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(backlog)
    return s


class Client:
    """One client connection as a small state machine."""

    def __init__(self, sel, addr, i, mode=None, sport=None):
        self.i, self.line = i, line(i, mode)
        self.mode = chr(self.line[0])
        self.sent, self.got, self.after = 0, b"", False
        self.sock = socket.socket()
        if sport is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            bind_retrying(self.sock, sport)
        self.sock.setblocking(False)
        err = self.sock.connect_ex(addr)
        deadline = time.monotonic() + 5
        while sport is not None and err == errno.EADDRNOTAVAIL and time.monotonic() < deadline:
            # The connection before from this port is still closing
            # (LAST_ACK until the server's ACK of our FIN).
            time.sleep(0.001)
            err = self.sock.connect_ex(addr)
        if err not in (0, errno.EINPROGRESS):
            die(f"connection {i}: connect: {errno.errorcode.get(err, err)}")
        self.sel = sel
        sel.register(self.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, self)

    def fail(self, what):
        raise Broken(f"connection {self.i} ({self.mode}): {what} after "
                     f"{len(self.got)} of {len(self.line)} bytes of echo")

    def close(self):
        self.sel.unregister(self.sock)
        self.sock.close()

    def step(self, mask):
        """Returns True once the connection has ended as it should."""
        if mask & selectors.EVENT_WRITE and self.sent < len(self.line):
            try:
                self.sent += self.sock.send(self.line[self.sent:])
            except BlockingIOError:
                pass
            except OSError as e:
                self.fail(f"send: {e!r}")
            if self.sent == len(self.line):
                self.sel.modify(self.sock, selectors.EVENT_READ, self)
        if not mask & selectors.EVENT_READ:
            return False
        try:
            data = self.sock.recv(4096)
        except BlockingIOError:
            return False
        except ConnectionResetError:
            if self.mode == "R" and self.after:
                self.close()
                return True
            self.fail("reset")
        except OSError as e:
            self.fail(f"receive: {e!r}")
        if not data:
            if len(self.got) < len(self.line) or self.mode == "R":
                self.fail("EOF" + (" (a reset was due)" if self.mode == "R" else ""))
            self.close()
            return True
        self.got += data
        if self.line[: len(self.got)] != self.got:
            self.fail("a different echo")
        if len(self.got) == len(self.line) and not self.after:
            self.after = True
            if self.mode == "C":
                self.sock.shutdown(socket.SHUT_WR)
            elif self.mode == "R":
                self.sock.send(b"x")
        return False


def bind_retrying(sock, port):
    """Binds a local port that the connection before may still hold for
    a moment (LAST_ACK until the server's ACK)."""
    deadline = time.monotonic() + 5
    while True:
        try:
            sock.bind(("0.0.0.0", port))
            return
        except OSError as e:
            if e.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                raise
            time.sleep(0.001)


def clients(host, port, count, parallel, tolerant=False, mode=None, first_port=None):
    sel = selectors.DefaultSelector()
    started = done = broken = 0
    modes = dict.fromkeys(MODES, 0)
    free = list(range(parallel))  # slots, for the local ports
    deadline = time.monotonic() + DEADLINE_S
    while done + broken < started or (started < count and not (tolerant and broken)):
        while started < count and free and not (tolerant and broken):
            slot = free.pop()
            c = Client(sel, (host, port), started, mode,
                       None if first_port is None else first_port + slot)
            c.slot = slot
            started += 1
        if time.monotonic() > deadline:
            die(f"{done} of {count} connections done ({broken} broken) "
                f"after {DEADLINE_S} s")
        for key, mask in sel.select(timeout=1):
            c = key.data
            try:
                if not c.step(mask):
                    continue
                modes[c.mode] += 1
                done += 1
            except Broken as e:
                if not tolerant:
                    die(str(e))
                c.close()
                broken += 1
            free.append(c.slot)
    print(f"{done} connections (C {modes['C']}, S {modes['S']}, R {modes['R']})"
          + (f", {broken} broken" if tolerant else ""))


class Served:
    """One served connection."""

    def __init__(self, sel, sock, n):
        self.sel, self.sock, self.n = sel, sock, n
        self.buf, self.sent, self.after, self.mode = b"", 0, False, None
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ, self)

    def fail(self, what):
        raise Broken(f"served connection {self.n} ({self.mode}): {what}")

    def finish(self):
        self.sel.unregister(self.sock)
        self.sock.close()  # R: with the extra byte unread, so RST
        return True

    def step(self, mask):
        if self.after:
            if self.mode == "R":
                return self.finish()
            try:
                data = self.sock.recv(4096)
            except BlockingIOError:
                return False
            except OSError as e:
                self.fail(f"receive: {e!r}")
            if data:
                self.fail(f"{len(data)} bytes after the line")
            return self.finish()
        if mask & selectors.EVENT_READ and not self.buf.endswith(b"\n"):
            try:
                data = self.sock.recv(4096)
            except BlockingIOError:
                data = None
            except OSError as e:
                self.fail(f"receive: {e!r}")
            if data == b"":
                self.fail(f"EOF after {len(self.buf)} bytes")
            if data:
                self.buf += data
                self.mode = chr(self.buf[0])
                if self.mode not in MODES:
                    self.fail("bad mode")
                if b"\n" in self.buf[:-1]:
                    self.fail("data after the line")
        if self.sent < len(self.buf):
            try:
                self.sent += self.sock.send(self.buf[self.sent:])
            except BlockingIOError:
                pass
            except OSError as e:
                self.fail(f"send: {e!r}")
        complete = self.buf.endswith(b"\n") and self.sent == len(self.buf)
        if not complete:
            self.sel.modify(self.sock, selectors.EVENT_READ |
                            (selectors.EVENT_WRITE if self.sent < len(self.buf) else 0), self)
            return False
        if self.mode == "S":
            return self.finish()
        self.after = True
        self.sel.modify(self.sock, selectors.EVENT_READ, self)
        return False


def echo_server(host, port, count, tolerant=False):
    srv = listener(host, port, 512)
    srv.setblocking(False)
    print("listening", flush=True)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ, None)
    accepted = done = peak = broken = 0
    modes = dict.fromkeys(MODES, 0)
    deadline = time.monotonic() + DEADLINE_S
    if tolerant and count == 0:
        count, deadline = 1 << 62, float("inf")
    while done + broken < count:
        if time.monotonic() > deadline:
            die(f"{done} of {count} connections served after {DEADLINE_S} s")
        for key, mask in sel.select(timeout=1):
            if key.data is None:
                while accepted < count:
                    try:
                        conn, _ = srv.accept()
                    except BlockingIOError:
                        break
                    Served(sel, conn, accepted)
                    accepted += 1
                if accepted == count:
                    sel.unregister(srv)
                continue
            s = key.data
            try:
                if not s.step(mask):
                    continue
                modes[s.mode] += 1
                done += 1
            except Broken as e:
                if not tolerant:
                    die(str(e))
                s.finish()
                broken += 1
            if tolerant:
                print(f"served {done}, broken {broken}", flush=True)
        peak = max(peak, len(sel.get_map()) - (1 if accepted < count else 0))
    srv.close()
    print(f"served {done} connections (C {modes['C']}, S {modes['S']}, "
          f"R {modes['R']}), at most {peak} at once")


def ending(conn):
    """How a connection ends: 'reset', 'eof' or 'timeout' (data is
    discarded)."""
    conn.settimeout(END_WAIT_S)
    try:
        while conn.recv(65536):
            pass
        return "eof"
    except ConnectionResetError:
        return "reset"
    except socket.timeout:
        return "timeout"


def report(outcomes, expected):
    """expected[i]: the set of outcomes allowed for connection i."""
    bad = [(i, o) for i, o in enumerate(outcomes) if o not in expected[i]]
    print(f"reset {outcomes.count('reset')} eof {outcomes.count('eof')}"
          + (f" timeout {outcomes.count('timeout')}" if "timeout" in outcomes else ""),
          flush=True)
    if bad:
        die("unexpected endings (connection, outcome): " + repr(bad))


def abrupt_server(host, port, count):
    srv = listener(host, port, count)
    srv.settimeout(20)
    conns = []
    for i in range(count):
        conn, _ = srv.accept()
        if i % 2 == 0:
            conn.sendall(b"u" * 1000)
        conns.append(conn)
    srv.close()
    print("ready", flush=True)
    outcomes = [ending(c) for c in conns]
    report(outcomes, [{"reset"} if i % 2 == 0 else {"eof"} for i in range(count)])


def abrupt_clients(host, port, count, accepted):
    conns = []
    for i in range(count):
        c = socket.create_connection((host, port), timeout=10)
        if i % 2 == 0:
            c.sendall(b"u" * 1000)
        conns.append(c)
    print("ready", flush=True)
    outcomes = [ending(c) for c in conns]
    report(outcomes, [{"reset"} if i % 2 == 0 else
                      ({"eof"} if i < accepted else {"eof", "reset"})
                      for i in range(count)])


def blackhole(host, port):
    keep = [listener(host, port, 0)]
    keep.append(socket.create_connection((host, port), timeout=5))
    print("full", flush=True)
    while keep:  # until killed
        time.sleep(3600)


def sink(host, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind((host, port))
    s.listen(1024)
    print("listening", flush=True)
    keep = []
    while True:  # until killed
        keep.append(s.accept()[0])


def offer(host, port, nbytes):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(4096)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ)
    left, buf = {}, b"u" * 65536
    print("listening", flush=True)
    while True:  # until killed
        for key, _ in sel.select():
            if key.fileobj is ls:
                try:
                    c, _ = ls.accept()
                except BlockingIOError:
                    continue
                c.setblocking(False)
                left[c] = nbytes
                sel.register(c, selectors.EVENT_WRITE)
                continue
            c = key.fileobj
            try:
                left[c] -= c.send(buf[: left[c]])
            except BlockingIOError:
                continue
            except OSError:
                left[c] = 0
            if left[c] <= 0:
                sel.unregister(c)


def main():
    if len(sys.argv) < 2:
        die("usage: tcp_churn_peer.py COMMAND ARGS...")
    cmd, args = sys.argv[1], sys.argv[2:]
    try:
        tolerant = args[-1:] == ["tolerant"]
        if tolerant:
            args = args[:-1]
        if cmd == "clients" and len(args) == 4:
            clients(args[0], int(args[1]), int(args[2]), int(args[3]), tolerant)
        elif cmd == "reuse-clients" and len(args) == 5 and not tolerant:
            clients(args[0], int(args[1]), int(args[2]), int(args[3]),
                    mode="S", first_port=int(args[4]))
        elif cmd == "echo-server" and len(args) == 3:
            echo_server(args[0], int(args[1]), int(args[2]), tolerant)
        elif cmd == "abrupt-server" and len(args) == 3:
            abrupt_server(args[0], int(args[1]), int(args[2]))
        elif cmd == "abrupt-clients" and len(args) == 4:
            abrupt_clients(args[0], int(args[1]), int(args[2]), int(args[3]))
        elif cmd == "blackhole" and len(args) == 2:
            blackhole(args[0], int(args[1]))
        elif cmd == "sink" and len(args) == 2 and not tolerant:
            sink(args[0], int(args[1]))
        elif cmd == "offer" and len(args) == 3 and not tolerant:
            offer(args[0], int(args[1]), int(args[2]))
        else:
            die(f"bad command line: {sys.argv[1:]}")
    except OSError as e:
        die(f"{cmd}: {e!r}")


if __name__ == "__main__":
    main()
