"""utcp_run_peer.py - the program utcp_run.sh runs under utcp-run (and,
for the other side, in the kernel): plain Python sockets, nothing of
utcpd's.

  server PORTFILE      blocking: listens on 0.0.0.0:0, writes the port
                       given to PORTFILE, accepts one connection, reads
                       one line and answers it upper-cased, checking the
                       peer address accept() and getpeername() give
  client ADDR PORT TEXT   blocking: connects, checks the peer (also of
                       a dup), sends TEXT and a newline, prints the
                       answer line
  refused ADDR PORT    non-blocking connect to a closed port: prints
                       connect's errno name, then, once the socket is
                       writable, SO_ERROR's errno name twice (the
                       second read is 0, as the first takes it)
  forkserver PORTFILE  blocking: listens on 0.0.0.0:0, writes the port,
                       forks; parent and child accept one connection
                       each and answer its line with "parent: LINE" or
                       "child: LINE"; the parent waits for the child
  aclient ADDR PORT TEXT   client's exchange with asyncio (a
                       non-blocking connect, SO_ERROR read by the loop)
  aserver PORTFILE     server's exchange with asyncio, one connection
  execclient ADDR PORT TEXT   connects, makes the socket inheritable
                       and executes "inherited": the new image must know
                       it as a TCP socket
  inherited FD ADDR PORT TEXT   checks FD's family, type and peer,
                       sends TEXT, prints the answer
  execserver PORTFILE  listens, writes the port, executes "inheritedserver"
  inheritedserver FD   accepts one connection on the inherited listener
                       and answers its line upper-cased
  resetter PORTFILE    listens, writes the port, accepts one
                       connection, sends "bye" and resets it (SO_LINGER 0)
  resetclient ADDR PORT   reads "bye", then prints what the next two
                       recv() calls give: the reset's errno name, then
                       "eof" (b"") as on a kernel socket
  resetwriter ADDR PORT   as resetclient, but writes twice after the
                       reset (the error, then EPIPE), then reads
  reseterror ADDR PORT    as resetclient, but asks SO_ERROR twice after
                       the reset (the error, then 0), then reads (eof)
  resolve NAME         prints getaddrinfo()'s addresses and port for
                       NAME port 80 (TCP), then gethostbyname_ex()'s
                       addresses, or the gaierror/herror code
  options              SO_TYPE, SO_DOMAIN, SO_ACCEPTCONN, TCP_NODELAY
                       and SO_KEEPALIVE as set and read back, one a line
"""
import errno
import select
import socket
import sys


def name(err):
    return errno.errorcode.get(err, str(err))


def server(portfile):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as ls:
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("0.0.0.0", 0))
        ls.listen(4)
        port = ls.getsockname()[1]
        assert ls.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
        with open(portfile + ".tmp", "w") as f:
            f.write(f"{port}\n")
        import os
        os.rename(portfile + ".tmp", portfile)
        conn, peer = ls.accept()
        with conn:
            assert conn.getpeername() == peer, (conn.getpeername(), peer)
            assert conn.getsockname()[1] == port
            line = conn.makefile("rb").readline()
            conn.sendall(line.upper())
            print(f"served {peer[0]}")


def forkserver(portfile):
    import os
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind(("0.0.0.0", 0))
    ls.listen(4)
    pid = os.fork()
    who = "child" if pid == 0 else "parent"
    if pid != 0:
        with open(portfile + ".tmp", "w") as f:
            f.write(f"{ls.getsockname()[1]}\n")
        os.rename(portfile + ".tmp", portfile)
    conn, _ = ls.accept()
    with conn:
        line = conn.makefile("rb").readline().decode().strip()
        conn.sendall(f"{who}: {line}\n".encode())
    if pid == 0:
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    sys.exit(0 if status == 0 else 1)


def client(addr, port, text):
    with socket.create_connection((addr, int(port)), timeout=None) as s:
        assert s.getpeername() == (addr, int(port)), s.getpeername()
        with s.dup() as d:  # F_DUPFD_CLOEXEC: still the same TCP socket
            assert d.getpeername() == s.getpeername(), d.getpeername()
        s.sendall(text.encode() + b"\n")
        print(s.makefile("rb").readline().decode().strip())


def refused(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    err = s.connect_ex((addr, int(port)))
    print(name(err))
    _, w, _ = select.select([], [s], [], 10)
    if not w:
        print("not writable")
        return
    print(name(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))
    print(name(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))
    s.close()


def aclient(addr, port, text):
    import asyncio

    async def run():
        r, w = await asyncio.open_connection(addr, int(port))
        w.write(text.encode() + b"\n")
        await w.drain()
        print((await r.readline()).decode().strip())
        w.close()
        await w.wait_closed()

    asyncio.run(run())


def aserver(portfile):
    import asyncio
    import os

    async def run():
        done = asyncio.Event()

        async def handle(r, w):
            line = await r.readline()
            w.write(line.upper())
            await w.drain()
            w.close()
            await w.wait_closed()
            print(f"served {w.get_extra_info('peername')[0]}")
            done.set()

        srv = await asyncio.start_server(handle, "0.0.0.0", 0)
        with open(portfile + ".tmp", "w") as f:
            f.write(f"{srv.sockets[0].getsockname()[1]}\n")
        os.rename(portfile + ".tmp", portfile)
        await done.wait()
        srv.close()
        await srv.wait_closed()

    asyncio.run(run())


def execclient(addr, port, text):
    import os
    s = socket.create_connection((addr, int(port)))
    os.set_inheritable(s.fileno(), True)
    os.execv(sys.executable, [sys.executable, __file__, "inherited",
                              str(s.fileno()), addr, port, text])


def inherited(fd, addr, port, text):
    s = socket.socket(fileno=int(fd))
    assert s.family == socket.AF_INET and s.type == socket.SOCK_STREAM, s
    assert s.getpeername() == (addr, int(port)), s.getpeername()
    s.sendall(text.encode() + b"\n")
    print(s.makefile("rb").readline().decode().strip())


def execserver(portfile):
    import os
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind(("0.0.0.0", 0))
    ls.listen(4)
    with open(portfile + ".tmp", "w") as f:
        f.write(f"{ls.getsockname()[1]}\n")
    os.rename(portfile + ".tmp", portfile)
    os.set_inheritable(ls.fileno(), True)
    os.execv(sys.executable, [sys.executable, __file__, "inheritedserver",
                              str(ls.fileno())])


def inheritedserver(fd):
    ls = socket.socket(fileno=int(fd))
    assert ls.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
    conn, peer = ls.accept()
    with conn:
        conn.sendall(conn.makefile("rb").readline().upper())
        print(f"served {peer[0]}")


def resetter(portfile):
    import os
    import struct
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as ls:
        ls.bind(("0.0.0.0", 0))
        ls.listen(1)
        with open(portfile + ".tmp", "w") as f:
            f.write(f"{ls.getsockname()[1]}\n")
        os.rename(portfile + ".tmp", portfile)
        conn, _ = ls.accept()
        conn.sendall(b"bye\n")
        conn.recv(1)  # the client's go: it has read "bye"
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
        conn.close()


def resetclient(addr, port):
    with socket.create_connection((addr, int(port))) as s:
        got = b""
        while not got.endswith(b"\n"):
            got += s.recv(100)
        print(got.decode().strip())
        s.sendall(b"k")
        for _ in range(2):
            try:
                print("eof" if s.recv(100) == b"" else "data")
            except OSError as e:
                print(name(e.errno))


def read_bye_until_reset(s):
    """Reads "bye", gives the resetter its go, and waits (at most 10 s)
    until the connection hung up: the reset has come (as Linux's socket
    reports a reset, and utcpd's end once it closed)."""
    import select
    import time
    got = b""
    while not got.endswith(b"\n"):
        got += s.recv(100)
    print(got.decode().strip())
    s.sendall(b"k")
    p = select.poll()
    p.register(s, 0)  # only POLLHUP and POLLERR
    deadline = time.monotonic() + 10
    while not any(ev & select.POLLHUP for _, ev in
                  p.poll(max(0, deadline - time.monotonic()) * 1000)):
        if time.monotonic() > deadline:
            break


def resetwriter(addr, port):
    """As resetclient, but writes after the reset: the error once, then
    EPIPE (SIGPIPE is ignored by python), then a read's end of stream."""
    with socket.create_connection((addr, int(port))) as s:
        read_bye_until_reset(s)
        for _ in range(2):
            try:
                s.send(b"more")
                print("sent")
            except OSError as e:
                print(name(e.errno))
        print("eof" if s.recv(100) == b"" else "data")


def reseterror(addr, port):
    """As resetwriter, but asks SO_ERROR after the reset: the error,
    taken by the first ask (then 0), so a read then finds the end of
    the stream."""
    with socket.create_connection((addr, int(port))) as s:
        read_bye_until_reset(s)
        for _ in range(2):
            print(name(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))
        try:
            print("eof" if s.recv(100) == b"" else "data")
        except OSError as e:
            print(name(e.errno))


def resolve(host):
    try:
        ai = socket.getaddrinfo(host, "http", socket.AF_UNSPEC,
                                socket.SOCK_STREAM)
        print(" ".join(f"{a[4][0]}:{a[4][1]}" for a in ai))
    except socket.gaierror as e:
        print(f"gaierror {e.errno == socket.EAI_NONAME}")
    try:
        print(" ".join(socket.gethostbyname_ex(host)[2]))
    except socket.herror as e:
        print(f"herror {e.errno}")
    except socket.gaierror as e:
        print(f"gaierror {e.errno}")


def options():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    print(s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_STREAM)
    print(s.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN) == socket.AF_INET)
    print(s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    print(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    print(s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE))
    s.close()


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"server": server, "client": client, "refused": refused,
     "options": options, "forkserver": forkserver,
     "resolve": resolve, "aclient": aclient, "aserver": aserver,
     "execclient": execclient, "inherited": inherited,
     "execserver": execserver, "inheritedserver": inheritedserver,
     "resetter": resetter, "resetclient": resetclient,
     "resetwriter": resetwriter, "reseterror": reseterror}[cmd](*args)
