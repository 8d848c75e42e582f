#!/usr/bin/env python3
"""utcp_run_udp's python3 programs: the same script runs on the kernel's
side of the TAP and under utcp-run. Each mode prints what it saw, one
item a line, for the test to compare; errors are printed by errno name.

  echo PORTFILE N      kernel: a UDP server on the address given by
                       $ECHO_ADDR, port 0 (written to PORTFILE); answers N
                       datagrams: "who" with the sender's ip:port, "ttl"
                       with the datagram's IP TTL, anything else
                       upper-cased; then exits
  client HOST PORT T   unconnected: sendto, recvfrom (the source checked),
                       getsockname's port against the one the server saw
  cclient HOST PORT T  connected: getpeername before (ENOTCONN) and after,
                       SO_TYPE, send, recv, a sendto to the same peer
  server PORTFILE      binds 0.0.0.0:0, answers one datagram upper-cased,
                       prints "served ADDR"
  send HOST PORT T     sends one datagram (the kernel's client of server)
  trunc HOST PORT      a 100-byte answer into 10 bytes: recvmsg's
                       MSG_TRUNC, recv_into(MSG_TRUNC)'s length, MSG_PEEK,
                       FIONREAD
  iov HOST PORT        sendmsg of three buffers, recvmsg_into two
  limits HOST PORT     the largest datagram there and back, one byte more
                       (EMSGSIZE), send without a peer (EDESTADDRREQ),
                       non-blocking EAGAIN, MSG_DONTWAIT EAGAIN
  refused HOST PORT    connected to a closed port: recv's error, then
                       SO_ERROR's, then 0
  reconnect HOST PORT1 PORT2
                       bound, connected to PORT1, then to PORT2 on the same
                       local port; connect(AF_UNSPEC) disconnects it, the
                       port kept; an unbound one's disconnect unbinds it
  shut HOST PORT       shutdown(): ENOTCONN unconnected; connected, SHUT_RD
                       then a read gives b"" and SHUT_WR a send EPIPE
  options              options read back
  forkclient HOST PORT connects, forks; the parent exits, the child (after
                       the parent is gone) sends and receives
  execclient HOST PORT connects, execs itself with the descriptor
  execnew HOST PORT    execs itself with a socket not bound yet, which
                       the new image sends from (an implicit bind)
"""
import errno
import fcntl
import os
import select
import socket
import struct
import sys
import termios


def err_name(e):
    if e.errno == errno.EOPNOTSUPP:
        return "EOPNOTSUPP"  # not its alias ENOTSUP
    return errno.errorcode.get(e.errno, str(e.errno))


def udp():
    return socket.socket(socket.AF_INET, socket.SOCK_DGRAM)


def echo(portfile, count):
    s = udp()
    s.bind((os.environ.get("ECHO_ADDR", "0.0.0.0"), 0))
    with open(portfile + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    s.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_RECVTTL", 12), 1)
    for _ in range(int(count)):
        data, cmsgs, _, peer = s.recvmsg(65535, socket.CMSG_SPACE(4))
        if data == b"who":
            s.sendto(("%s:%d" % peer).encode(), peer)
        elif data == b"ttl":
            ttl = [struct.unpack("i", d)[0] for lv, t, d in cmsgs
                   if lv == socket.IPPROTO_IP and t == socket.IP_TTL]
            s.sendto(str(ttl).encode(), peer)
        else:
            s.sendto(data.upper(), peer)


def client(host, port, text):
    s = udp()
    s.settimeout(10)
    s.sendto(text.encode(), (host, int(port)))
    data, peer = s.recvfrom(100)
    print(data.decode())
    print(peer == (host, int(port)))
    s.sendto(b"who", (host, int(port)))
    seen, _ = s.recvfrom(100)
    print(int(seen.decode().split(":")[1]) == s.getsockname()[1])


def cclient(host, port, text):
    s = udp()
    s.settimeout(10)
    try:
        s.getpeername()
        print("connected?")
    except OSError as e:
        print(err_name(e))
    s.connect((host, int(port)))
    print(s.getpeername() == (host, int(port)))
    print(s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) ==
          socket.SOCK_DGRAM)
    s.send(text.encode())
    print(s.recv(100).decode())
    s.sendto(b"again", (host, int(port)))
    print(s.recv(100).decode())
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 33)
    s.send(b"ttl")
    print(s.recv(100).decode())
    print(s.getsockname()[1] != 0)


def server(portfile):
    s = udp()
    s.bind(("0.0.0.0", 0))
    with open(portfile + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    s.settimeout(20)
    data, peer = s.recvfrom(100)
    s.sendto(data.upper(), peer)
    print("served %s" % peer[0])


def send(host, port, text):
    s = udp()
    s.settimeout(10)
    s.sendto(text.encode(), (host, int(port)))
    data, peer = s.recvfrom(100)
    print(data.decode())
    print(peer == (host, int(port)))


def trunc(host, port):
    s = udp()
    s.settimeout(10)
    s.connect((host, int(port)))
    s.send(b"t" * 100)
    select.select([s], [], [], 10)
    n = struct.unpack("i", fcntl.ioctl(s.fileno(), termios.FIONREAD,
                                       b"\0\0\0\0"))[0]
    print(n)
    print(len(s.recv(100, socket.MSG_PEEK)))
    data, _, flags, _ = s.recvmsg(10)
    print(data.decode(), bool(flags & socket.MSG_TRUNC))
    s.send(b"u" * 100)
    buf = bytearray(10)
    print(s.recv_into(buf, 10, socket.MSG_TRUNC), buf.decode())
    n = struct.unpack("i", fcntl.ioctl(s.fileno(), termios.FIONREAD,
                                       b"\0\0\0\0"))[0]
    print(n)


def iov(host, port):
    s = udp()
    s.settimeout(10)
    s.sendmsg([b"ab", b"cd", b"ef"], [], 0, (host, int(port)))
    a, b = bytearray(2), bytearray(10)
    n, _, flags, peer = s.recvmsg_into([a, b])
    print(n, a.decode(), b[:n - 2].decode(), flags, peer == (host, int(port)))


def limits(host, port):
    s = udp()
    s.settimeout(10)
    s.sendto(b"x" * 65507, (host, int(port)))
    data, _ = s.recvfrom(70000)
    print(len(data), data == b"X" * 65507)
    try:
        s.sendto(b"x" * 65508, (host, int(port)))
        print("sent 65508")
    except OSError as e:
        print(err_name(e))
    try:
        s.send(b"x")
        print("sent without a peer")
    except OSError as e:
        print(err_name(e))
    s.settimeout(None)  # blocking: python's timeout would wait instead
    try:
        s.recv(10, socket.MSG_DONTWAIT)
        print("read nothing?")
    except OSError as e:
        print(err_name(e))
    s.setblocking(False)
    try:
        s.recvfrom(10)
        print("read nothing?")
    except OSError as e:
        print(err_name(e))
    fresh = udp()
    fresh.setblocking(False)
    try:
        fresh.recv(10)
        print("read nothing?")
    except OSError as e:
        print(err_name(e))


def refused(host, port):
    s = udp()
    s.settimeout(10)
    s.connect((host, int(port)))
    s.send(b"anyone?")
    try:
        s.recv(10)
        print("an answer?")
    except OSError as e:
        print(err_name(e))
    s.send(b"still?")
    p = select.poll()
    p.register(s, select.POLLIN)
    p.poll(10000)
    e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    print(errno.errorcode.get(e, e))
    print(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))


def unspec_connect(s):
    """connect(AF_UNSPEC) through the process's own connect() (python's
    socket has no way to ask it)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    addr = struct.pack("HH12x", socket.AF_UNSPEC, 0)
    if libc.connect(s.fileno(), addr, len(addr)) != 0:
        return errno.errorcode[ctypes.get_errno()]
    return "0"


def reconnect(host, port1, port2):
    s = udp()
    s.settimeout(10)
    s.bind(("0.0.0.0", 0))
    local = s.getsockname()[1]
    s.connect((host, int(port1)))
    s.send(b"first")
    print(s.recv(100).decode(), s.getsockname()[1] == local)
    s.connect((host, int(port2)))
    s.send(b"second")
    print(s.recv(100).decode(), s.getsockname()[1] == local,
          s.getpeername() == (host, int(port2)))
    print(unspec_connect(s))
    try:
        s.getpeername()
        print("connected?")
    except OSError as e:
        print(err_name(e))
    s.sendto(b"third", (host, int(port1)))
    data, peer = s.recvfrom(100)
    print(data.decode(), peer == (host, int(port1)),
          s.getsockname()[1] == local)
    t = udp()
    t.settimeout(10)
    t.connect((host, int(port2)))
    print(t.getsockname()[1] != 0, unspec_connect(t), t.getsockname()[1])


def shut(host, port):
    s = udp()
    try:
        s.shutdown(socket.SHUT_RDWR)
        print("shut down?")
    except OSError as e:
        print(err_name(e))
    s = udp()
    s.connect((host, int(port)))
    s.shutdown(socket.SHUT_RD)
    print(s.recv(100))
    s.shutdown(socket.SHUT_WR)
    try:
        s.send(b"x")
        print("sent?")
    except OSError as e:
        print(err_name(e))


def options():
    s = udp()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 7)
    s.bind(("0.0.0.0", 0))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0x10)
    print(s.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST),
          s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR),
          s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
          s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF),
          s.getsockopt(socket.IPPROTO_IP, socket.IP_TTL),
          s.getsockopt(socket.IPPROTO_IP, socket.IP_TOS),
          s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) ==
          socket.SOCK_DGRAM,
          s.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL) ==
          socket.IPPROTO_UDP)
    try:
        s.listen(1)
    except OSError as e:
        print(err_name(e))


def forkclient(host, port):
    s = udp()
    s.connect((host, int(port)))
    r, w = os.pipe()
    if os.fork() == 0:
        os.close(w)
        os.read(r, 1)  # the end of the file: the parent is gone
        s.settimeout(10)
        s.send(b"child")
        print(s.recv(100).decode(), flush=True)
        os._exit(0)
    os._exit(0)


def execclient(host, port):
    s = udp()
    s.connect((host, int(port)))
    s.set_inheritable(True)
    os.execv(sys.executable, [sys.executable, __file__, "execchild",
                              str(s.fileno()), host, port])


def execchild(fd, host, port):
    s = socket.socket(fileno=int(fd))
    print(s.family == socket.AF_INET, s.type == socket.SOCK_DGRAM,
          s.getpeername() == (host, int(port)))
    s.settimeout(10)
    s.send(b"exec")
    print(s.recv(100).decode())
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 9)  # this image's own
    s.send(b"ttl")  # connection to the daemon, proving the socket
    print(s.recv(100).decode())


def execnew(host, port):
    s = udp()
    s.set_inheritable(True)
    os.execv(sys.executable, [sys.executable, __file__, "execnewchild",
                              str(s.fileno()), host, port])


def execnewchild(fd, host, port):
    s = socket.socket(fileno=int(fd))
    print(s.family == socket.AF_INET, s.type == socket.SOCK_DGRAM)
    s.settimeout(10)
    s.sendto(b"new", (host, int(port)))
    data, peer = s.recvfrom(100)
    print(data.decode(), peer == (host, int(port)), s.getsockname()[1] != 0)


if __name__ == "__main__":
    modes = {"echo": echo, "client": client, "cclient": cclient,
             "server": server, "send": send, "trunc": trunc, "iov": iov,
             "limits": limits, "refused": refused, "options": options, "reconnect": reconnect,
             "shut": shut,
             "forkclient": forkclient, "execclient": execclient,
             "execchild": execchild, "execnew": execnew,
             "execnewchild": execnewchild}
    modes[sys.argv[1]](*sys.argv[2:])
