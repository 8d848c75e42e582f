"""utcp_run_tcp_peer.py - the programs utcp_run_tcp.sh runs under
utcp-run (and, to compare, on the kernel): plain Python sockets. Each
prints what it finds, one fact a line, in a form that is the same on a
kernel socket, so that the test can compare the two outputs.

  echo PORTFILE        the kernel's side: answers each line upper-cased
                       on every connection, until killed; port in PORTFILE
  lingerpeer PORTFILE  the kernel's side of "linger": accepts a data
                       connection and reads it slowly (a small receive
                       buffer, 4 KiB each 5 ms at most); when a second
                       connection says "check", drains the first without
                       waiting and answers "BYTES eof" (everything and
                       the FIN were there), "BYTES open" or "BYTES reset"
  sink PORTFILE        the kernel's side of "lingerwait": accepts, with a
                       small receive buffer, and never reads
  inheritopts ADDR PORT   connects, forks: the child sets TCP_NODELAY,
                       SO_KEEPALIVE and TCP_KEEPIDLE on the parent's
                       connection and reads them back; then the parent
                       reads them
  execopts ADDR PORT   connects to lingerpeer, sets TCP_NODELAY and
                       SO_LINGER (1, 10), executes itself ("execopts2"):
                       the new program reads them, sets SO_KEEPALIVE,
                       sends 300 KiB and closes (which waits), then asks
                       lingerpeer whether all of it and the FIN arrived
  forkuse ADDR PORT    connects, forks: the child talks on the
                       connection, then the parent does
  tcpinfo ADDR PORT    TCP_INFO of a socket before connect, of a listener,
                       and of a connection after an exchange (state,
                       which figures are set, bytes received), with a
                       short length too
  linger ADDR PORT MODE   sends 300 KiB (all in the send buffer: without
                       the wait, close() would return long before the peer
                       has read it) with SO_LINGER (1, 10) and closes
                       (MODE block or nonblock), then asks lingerpeer
                       whether all of it and the FIN had arrived
  lingerreset ADDR PORT   sends 1000 bytes, closes with SO_LINGER (1, 0):
                       lingerpeer's side is reset
  lingerwait ADDR PORT    fills the connection to sink, closes with
                       SO_LINGER (1, 1) on a non-blocking socket: close
                       waits the second, and succeeds
  epollclient ADDR PORT   a socket in an epoll set before connect():
                       the set sees it connect, then the answer
  udpecho PORTFILE     the kernel's side: a UDP socket that answers each
                       datagram upper-cased
  epolludp ADDR PORT   an unbound UDP socket in an epoll set: its first
                       datagram binds it, and the set sees the answer
  epollserver PORTFILE  a socket in an epoll set before listen(): the
                       set sees the connection to accept, which has the
                       TCP_NODELAY set on the listener after listen(); the
                       limit of epoll sets before connect
  names ADDR           getnameinfo() and gethostbyaddr() of ADDR
  semantics ADDR PORT  the control path's errors, one a line: bind
                       twice, listen twice, connect on a listener,
                       shutdown before connect, accept on a connection,
                       default option values; SO_RCVTIMEO and SO_SNDTIMEO
                       kept across listen() and connect(), an accept()
                       that times out; a connect() again after one was
                       refused; shutdown() of a listener
"""
import errno
import os
import select
import socket
import struct
import sys
import time


def name(err):
    return errno.errorcode.get(err, str(err))


def write_port(portfile, port):
    with open(portfile + ".tmp", "w") as f:
        f.write(f"{port}\n")
    os.rename(portfile + ".tmp", portfile)


def try_(what, fn):
    try:
        r = fn()
        print(f"{what}: ok" if r is None else f"{what}: {r}")
    except OSError as e:
        print(f"{what}: {name(e.errno)}")


def echo(portfile):
    import socketserver

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            for line in self.rfile:
                self.wfile.write(line.upper())

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    socketserver.ThreadingTCPServer.daemon_threads = True
    with socketserver.ThreadingTCPServer(("0.0.0.0", 0), Handler) as srv:
        write_port(portfile, srv.server_address[1])
        srv.serve_forever()


def lingerpeer(portfile):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    ls.bind(("0.0.0.0", 0))
    ls.listen(4)
    write_port(portfile, ls.getsockname()[1])
    while True:
        data, _ = ls.accept()
        data.setblocking(False)
        total, state, check = 0, "open", None

        def drain(most):
            nonlocal total, state
            try:
                while state == "open" and most > 0:
                    b = data.recv(4096)
                    total += len(b)
                    state = "open" if b else "eof"
                    most -= 1
            except BlockingIOError:
                pass
            except ConnectionResetError:
                state = "reset"

        while check is None:
            r, _, _ = select.select(
                [data, ls] if state == "open" else [ls], [], [])
            if data in r:
                drain(1)
                time.sleep(0.005)  # slowly: 300 KiB take 0.37 s at least
            if ls in r:
                check, _ = ls.accept()
        check.makefile("rb").readline()
        drain(1 << 30)
        check.sendall(f"{total} {state}\n".encode())
        check.close()
        data.close()


def udpecho(portfile):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    write_port(portfile, s.getsockname()[1])
    while True:
        data, peer = s.recvfrom(2048)
        s.sendto(data.upper(), peer)


def sink(portfile):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    ls.bind(("0.0.0.0", 0))
    ls.listen(4)
    write_port(portfile, ls.getsockname()[1])
    held = []
    while True:
        held.append(ls.accept()[0])


def exchange(s, text):
    s.sendall(text.encode() + b"\n")
    line = b""
    while not line.endswith(b"\n"):
        b = s.recv(100)
        if not b:
            break
        line += b
    return line.decode().strip()


def opts(s):
    return (s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY),
            s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
            s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE))


def inheritopts(addr, port):
    s = socket.create_connection((addr, int(port)))
    print("before", *opts(s))
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 42)
            print("child", *opts(s), flush=True)
        except OSError as e:
            print("child", name(e.errno), flush=True)
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    print("parent", *opts(s))
    print(exchange(s, "still"))
    sys.exit(0 if status == 0 else 1)


def execopts(addr, port):
    s = socket.create_connection((addr, int(port)))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)  # all of it
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 10))
    os.set_inheritable(s.fileno(), True)
    os.execv(sys.executable, [sys.executable, __file__, "execopts2",
                              str(s.fileno()), addr, port])


def execopts2(fd, addr, port):
    s = socket.socket(fileno=int(fd))
    print("nodelay", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    print("linger", struct.unpack("ii", s.getsockopt(
        socket.SOL_SOCKET, socket.SO_LINGER, 8)))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    print("keepalive", s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE))
    s.sendall(os.urandom(300 << 10))
    s.close()
    with socket.create_connection((addr, int(port))) as c:
        print(exchange(c, "check"))


def forkuse(addr, port):
    s = socket.create_connection((addr, int(port)))
    pid = os.fork()
    if pid == 0:
        print("child", exchange(s, "from child"), flush=True)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    print("parent", exchange(s, "from parent"))
    sys.exit(0 if status == 0 else 1)


TCP_INFO_SIZE = 232  # <linux/tcp.h> up to tcpi_snd_wnd


def tcp_info(s, size=TCP_INFO_SIZE):
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, size)


def tcpinfo(addr, port):
    s = socket.socket()
    print("pending state", tcp_info(s)[0])
    ls = socket.socket()
    ls.bind(("0.0.0.0", 0))
    ls.listen(1)
    print("listener state", tcp_info(ls)[0])
    ls.close()
    s.connect((addr, int(port)))
    print(exchange(s, "info"))
    b = tcp_info(s)
    print("length", len(b))
    state = b[0]
    rto, = struct.unpack_from("I", b, 8)
    snd_mss, rcv_mss = struct.unpack_from("II", b, 16)
    rtt, rttvar, ssthresh, cwnd = struct.unpack_from("IIII", b, 68)
    bytes_received, = struct.unpack_from("Q", b, 128)
    print("state", state)
    print("rto set", rto >= 200000)  # Linux's and RFC 6298's floor: 200 ms
    print("mss set", 500 <= snd_mss <= 1460, 500 <= rcv_mss <= 1460)
    print("rtt set", rtt > 0, rttvar > 0)
    print("cwnd segments", 2 <= cwnd <= 1000)
    print("ssthresh", ssthresh)
    print("bytes received", bytes_received)
    short = tcp_info(s, 8)
    print("short", len(short), short[0])
    s.close()


def linger(addr, port, mode):
    s = socket.create_connection((addr, int(port)))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)  # all of it
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 10))
    print("linger", struct.unpack("ii", s.getsockopt(
        socket.SOL_SOCKET, socket.SO_LINGER, 8)))
    s.sendall(os.urandom(300 << 10))
    if mode == "nonblock":
        s.setblocking(False)
    s.close()
    with socket.create_connection((addr, int(port))) as c:
        print(exchange(c, "check"))


def lingerreset(addr, port):
    s = socket.create_connection((addr, int(port)))
    s.sendall(b"x" * 1000)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    with socket.create_connection((addr, int(port))) as c:
        print(exchange(c, "check").split()[1])


def lingerwait(addr, port):
    s = socket.create_connection((addr, int(port)))
    s.setblocking(False)
    sent = 0
    try:
        while True:
            sent += s.send(b"x" * 65536)
    except BlockingIOError:
        pass
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 1))
    t = time.monotonic()
    s.close()  # raises on a failure
    print("close waited", time.monotonic() - t >= 0.9)


def epollclient(addr, port):
    s = socket.socket()
    s.setblocking(False)
    ep = select.epoll()
    ep.register(s.fileno(), select.EPOLLOUT)
    print("connect", name(s.connect_ex((addr, int(port)))))
    ev = ep.poll(10)
    print("writable", ev == [(s.fileno(), select.EPOLLOUT)], ev)
    print("error", name(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))
    ep.modify(s.fileno(), select.EPOLLIN)
    s.send(b"epoll\n")
    ev = ep.poll(10)
    print("readable", ev == [(s.fileno(), select.EPOLLIN)])
    print(s.recv(100).decode().strip())


def epolludp(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    ep = select.epoll()
    ep.register(s.fileno(), select.EPOLLIN)
    s.sendto(b"datagram", (addr, int(port)))  # binds it: a new descriptor
    ev = ep.poll(10)
    print("readable", ev == [(s.fileno(), select.EPOLLIN)])
    print(s.recv(100).decode())


def epollserver(portfile):
    sets = [select.epoll() for _ in range(5)]
    s = socket.socket()
    for i, ep in enumerate(sets):
        try:
            ep.register(s.fileno(), select.EPOLLIN)
        except OSError as e:
            print(f"set {i + 1}: {name(e.errno)}")
    s.close()
    ls = socket.socket()
    ls.bind(("0.0.0.0", 0))
    ep = sets[0]
    ep.register(ls.fileno(), select.EPOLLIN)
    ls.listen(1)
    ls.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    write_port(portfile, ls.getsockname()[1])
    ev = ep.poll(20)
    print("acceptable", ev == [(ls.fileno(), select.EPOLLIN)])
    c, _ = ls.accept()
    print("nodelay", c.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    with c:
        c.sendall(c.makefile("rb").readline().upper())


def names(addr):
    print(socket.getnameinfo((addr, 80), 0))
    print(socket.getnameinfo((addr, 80), socket.NI_NUMERICSERV))
    try:
        print(socket.getnameinfo((addr, 80), socket.NI_NAMEREQD))
    except socket.gaierror as e:
        print("NAMEREQD", e.errno == socket.EAI_NONAME)
    try:
        print(socket.gethostbyaddr(addr))
    except socket.herror as e:
        print("gethostbyaddr herror", e.errno)


def fionread(s):
    import fcntl
    import termios
    return struct.unpack("i", fcntl.ioctl(s.fileno(), termios.FIONREAD,
                                          struct.pack("i", -1)))[0]


def semantics(addr, port):
    s = socket.socket()
    try_("getsockname fresh", lambda: s.getsockname())
    try_("getpeername fresh", lambda: s.getpeername())
    try_("shutdown fresh", lambda: s.shutdown(socket.SHUT_RDWR))
    try_("SO_ERROR fresh", lambda: s.getsockopt(socket.SOL_SOCKET,
                                                socket.SO_ERROR))
    try_("SO_LINGER fresh", lambda: struct.unpack("ii", s.getsockopt(
        socket.SOL_SOCKET, socket.SO_LINGER, 8)))
    try_("TCP_MAXSEG fresh", lambda: s.getsockopt(socket.IPPROTO_TCP,
                                                  socket.TCP_MAXSEG))
    try_("IP_TTL fresh", lambda: s.getsockopt(socket.IPPROTO_IP,
                                              socket.IP_TTL))
    try_("TCP_KEEPCNT 0", lambda: s.setsockopt(socket.IPPROTO_TCP,
                                               socket.TCP_KEEPCNT, 0))
    try_("TCP_MAXSEG 87", lambda: s.setsockopt(socket.IPPROTO_TCP,
                                               socket.TCP_MAXSEG, 87))
    try_("TCP_MAXSEG 1000", lambda: s.setsockopt(socket.IPPROTO_TCP,
                                                 socket.TCP_MAXSEG, 1000))
    try_("TCP_MAXSEG read", lambda: s.getsockopt(socket.IPPROTO_TCP,
                                                 socket.TCP_MAXSEG))
    try_("IP_TOS 16", lambda: s.setsockopt(socket.IPPROTO_IP,
                                           socket.IP_TOS, 16))
    try_("IP_TOS read", lambda: s.getsockopt(socket.IPPROTO_IP,
                                             socket.IP_TOS))
    try_("accept fresh", lambda: s.accept())
    tv = struct.pack("ll", 0, 200000)
    try_("SO_RCVTIMEO", lambda: s.setsockopt(socket.SOL_SOCKET,
                                             socket.SO_RCVTIMEO, tv))
    try_("bind", lambda: s.bind(("0.0.0.0", 0)))
    try_("bind again", lambda: s.bind(("0.0.0.0", 0)))
    try_("listen", lambda: s.listen(1))
    try_("listen again", lambda: s.listen(5))
    try_("SO_ACCEPTCONN", lambda: s.getsockopt(socket.SOL_SOCKET,
                                               socket.SO_ACCEPTCONN))
    try_("SO_RCVTIMEO listener", lambda: s.getsockopt(
        socket.SOL_SOCKET, socket.SO_RCVTIMEO, 16) == tv)
    try_("accept times out", lambda: s.accept())
    try_("getpeername listener", lambda: s.getpeername())
    try_("bind listener", lambda: s.bind(("0.0.0.0", 0)))
    try_("connect listener", lambda: s.connect((addr, int(port))))
    try_("shutdown listener SHUT_WR", lambda: s.shutdown(socket.SHUT_WR))
    try_("SO_ACCEPTCONN still", lambda: s.getsockopt(socket.SOL_SOCKET,
                                                     socket.SO_ACCEPTCONN))
    try_("shutdown listener", lambda: s.shutdown(socket.SHUT_RDWR))
    try_("accept after shutdown", lambda: s.accept())
    try_("SO_ACCEPTCONN after shutdown", lambda: s.getsockopt(
        socket.SOL_SOCKET, socket.SO_ACCEPTCONN))
    try_("shutdown again", lambda: s.shutdown(socket.SHUT_RDWR))
    try_("listen after shutdown", lambda: s.listen(1))
    try_("SO_ACCEPTCONN listening again", lambda: s.getsockopt(
        socket.SOL_SOCKET, socket.SO_ACCEPTCONN))
    s.close()
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)
    c.setblocking(False)
    try_("connect closed port", lambda: c.connect((addr, 9)))
    select.select([], [c], [], 10)
    try_("SO_ERROR refused", lambda: name(c.getsockopt(socket.SOL_SOCKET,
                                                       socket.SO_ERROR)))
    try_("getpeername refused", lambda: c.getpeername())
    c.setblocking(True)
    try_("connect after refused", lambda: c.connect((addr, int(port))))
    try_("connect anew", lambda: c.connect((addr, int(port))))
    try_("SO_SNDTIMEO connection", lambda: c.getsockopt(
        socket.SOL_SOCKET, socket.SO_SNDTIMEO, 16) == tv)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv)
    try_("recv times out", lambda: c.recv(10))
    c.sendall(b"late\n")
    try_("recv after the timeout", lambda: c.recv(10))
    try_("connect again", lambda: c.connect((addr, int(port))))
    try_("listen connection", lambda: c.listen(1))
    try_("bind connection", lambda: c.bind(("0.0.0.0", 0)))
    try_("accept connection", lambda: c.accept())
    try_("SO_ACCEPTCONN connection", lambda: c.getsockopt(
        socket.SOL_SOCKET, socket.SO_ACCEPTCONN))
    try_("SO_PROTOCOL", lambda: c.getsockopt(socket.SOL_SOCKET,
                                             socket.SO_PROTOCOL))
    try_("exchange", lambda: exchange(c, "semantics"))
    try_("shutdown write", lambda: c.shutdown(socket.SHUT_WR))
    try_("read after", lambda: c.recv(10))
    try_("getpeername after", lambda: c.getpeername()[1] == int(port))
    try_("writev 1025", lambda: os.writev(c.fileno(), [b"x"] * 1025))
    try_("readv 1025", lambda: os.readv(c.fileno(), [bytearray(1)] * 1025))
    c.close()
    d = socket.create_connection((addr, int(port)))
    fd = d.detach()
    os.closerange(fd, fd + 1)  # close_range(), not close()
    r, w = os.pipe()  # in its place, most likely
    os.write(w, b"p")
    try_("read of a pipe in a closed connection's place",
         lambda: os.read(r, 1))
    os.close(r)
    os.close(w)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.connect((addr, int(port)))
    try_("udp writev 1025", lambda: os.writev(u.fileno(), [b"x"] * 1025))
    try_("udp readv 1025", lambda: os.readv(u.fileno(),
                                            [bytearray(1)] * 1025))
    try_("udp FIONREAD empty", lambda: fionread(u))
    try_("udp recv DONTWAIT", lambda: u.recv(10, socket.MSG_DONTWAIT))
    try_("udp send 65508", lambda: u.send(b"x" * 65508))
    try_("udp shutdown RD", lambda: u.shutdown(socket.SHUT_RD))
    try_("udp recv after shutdown", lambda: u.recv(10))
    # Last: the closed port's ICMP error comes back at its own pace, and
    # a read after it would see it or not.
    try_("udp send 0", lambda: u.send(b""))
    u.close()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try_("udp fresh shutdown", lambda: u.shutdown(socket.SHUT_RDWR))
    try_("udp fresh send", lambda: u.send(b"x"))
    try_("udp fresh FIONREAD", lambda: fionread(u))
    try_("udp fresh getpeername", lambda: u.getpeername())
    u.close()


def blocked(tid):
    """Waits (at most 10 s) until thread tid is in a system call that
    waits (x86_64's read, poll, accept, recvfrom, ppoll, accept4)."""
    for _ in range(1000):
        with open(f"/proc/self/task/{tid}/syscall") as f:
            if f.read().split()[0] in ("0", "7", "43", "45", "271", "288"):
                return
        time.sleep(0.01)
    raise SystemExit("the main thread never waited")


def restart(addr, port):
    """A blocking recv() interrupted by a handler with SA_RESTART and no
    SO_RCVTIMEO goes on waiting (signal(7)): Python runs the handler
    only once the recv() returned, after the data was sent."""
    import signal
    import threading
    c = socket.create_connection((addr, int(port)))
    sent = []
    ran = threading.Event()

    def handler(sig, frame):
        print(f"handler ran {'after' if sent else 'before'} the data")
        ran.set()

    signal.signal(signal.SIGUSR1, handler)
    signal.siginterrupt(signal.SIGUSR1, False)
    main = threading.get_native_id()

    def poke():
        blocked(main)
        signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)
        ran.wait(0.5)  # a handler run now ran in the middle of the recv()
        sent.append(True)
        c.sendall(b"restart\n")

    t = threading.Thread(target=poke)
    t.start()
    print(f"recv {c.recv(100)}")
    t.join()
    ran.wait(10)


def restartaccept(portfile):
    """As restart, for accept(): the handler runs once accept() returned,
    after portfile + ".go" was written, which has the test connect."""
    import signal
    import threading
    s = socket.socket()
    s.bind(("0.0.0.0", 0))
    s.listen(1)
    sent = []
    ran = threading.Event()

    def handler(sig, frame):
        print(f"handler ran {'after' if sent else 'before'} the connection")
        ran.set()

    signal.signal(signal.SIGUSR1, handler)
    signal.siginterrupt(signal.SIGUSR1, False)
    main = threading.get_native_id()

    def poke():
        blocked(main)
        signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)
        ran.wait(0.5)  # a handler run now ran in the middle of accept()
        sent.append(True)
        write_port(portfile + ".go", 1)

    t = threading.Thread(target=poke)
    t.start()
    write_port(portfile, s.getsockname()[1])
    c, _ = s.accept()
    print(f"accepted {c.recv(100)}")
    t.join()
    ran.wait(10)


def families():
    """What loopback and IPv6 do under utcp-run's --loopback and --ipv6:
    a listener and a client on 127.0.0.1 (the kernel's loopback), UDP to
    it, and an IPv6 socket (the kernel's: IPv6 itself may be off)."""
    lsock = socket.socket()
    try_("bind loopback", lambda: lsock.bind(("127.0.0.1", 0)))
    try_("connect loopback", lambda: socket.socket().connect(
        ("127.0.0.1", 9)))
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try_("sendto loopback", lambda: u.sendto(b"x", ("127.0.0.1", 9)))
    try:
        if lsock.getsockname()[1] == 0:
            raise OSError(errno.EADDRNOTAVAIL, "not bound")
        lsock.listen(1)
        c = socket.create_connection(lsock.getsockname(), timeout=5)
        a, _ = lsock.accept()
        a.sendall(b"lo")
        print(f"loopback exchange: {c.recv(2)}")
    except OSError as e:
        print(f"loopback exchange: {name(e.errno)}")
    try:
        s6 = socket.socket(socket.AF_INET6)
        print("ipv6 socket: domain %d" % s6.getsockopt(socket.SOL_SOCKET,
                                                       socket.SO_DOMAIN))
    except OSError as e:
        print(f"ipv6 socket: {name(e.errno)}")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"echo": echo, "lingerpeer": lingerpeer, "sink": sink,
     "inheritopts": inheritopts, "forkuse": forkuse, "tcpinfo": tcpinfo,
     "execopts": execopts, "execopts2": execopts2,
     "linger": linger, "lingerwait": lingerwait, "lingerreset": lingerreset,
     "epollclient": epollclient, "epollserver": epollserver,
     "udpecho": udpecho, "epolludp": epolludp,
     "names": names, "semantics": semantics, "restart": restart,
     "restartaccept": restartaccept,
     "families": families}[cmd](*args)
