#!/usr/bin/python3
"""dns_evil_server: a DNS server that answers as an attacker would.

    dns_evil_server.py ADDR LOGFILE

Serves UDP and TCP port 53 on ADDR and appends one line per event to
LOGFILE (flushed at once) so that a test can poll it. By the first
label of the name asked:

  spoof   from port 5353 first (the same ID and question, 192.0.2.66),
          then from port 53 (198.51.100.7): only the second may count;
  loop    an answer record whose owner is a compression pointer to
          itself, on every attempt;
  big     over UDP an empty answer with TC; over TCP the 2-byte length
          of a 65535-byte message and 100 bytes of it, then nothing (the
          connection stays open until the other side ends it: "tcp
          closed" is logged then);
  other   NXDOMAIN.

Runs until killed.
"""
import socket
import struct
import sys
import threading

LOG_LOCK = threading.Lock()


def log(out, line):
    with LOG_LOCK:
        out.write(line + "\n")
        out.flush()


def question(msg):
    """The query's ID, first label, question bytes (name, type, class)."""
    qid = struct.unpack("!H", msg[:2])[0]
    at, labels = 12, []
    while msg[at]:
        labels.append(msg[at + 1:at + 1 + msg[at]].decode("ascii", "replace"))
        at += 1 + msg[at]
    return qid, labels[0] if labels else "", msg[12:at + 5]


def header(qid, flags, ancount):
    return struct.pack("!HHHHHH", qid, flags, 1, ancount, 0, 0)


def a_answer(qid, q, addr):
    rr = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(addr)
    return header(qid, 0x8180, 1) + q + rr


def loop_answer(qid, q):
    at = 12 + len(q)  # the answer's owner points at itself
    rr = struct.pack("!H", 0xC000 | at) + struct.pack("!HHIH", 1, 1, 60, 4)
    return header(qid, 0x8180, 1) + q + rr + socket.inet_aton("192.0.2.99")


def serve_udp(addr, out):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((addr, 53))
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    other.bind((addr, 5353))
    while True:
        msg, src = sock.recvfrom(65535)
        qid, label, q = question(msg)
        log(out, f"udp {label}")
        if label == "spoof":
            other.sendto(a_answer(qid, q, "192.0.2.66"), src)
            sock.sendto(a_answer(qid, q, "198.51.100.7"), src)
        elif label == "loop":
            sock.sendto(loop_answer(qid, q), src)
        elif label == "big":
            sock.sendto(header(qid, 0x8380, 0) + q, src)
        else:
            sock.sendto(header(qid, 0x8183, 0) + q, src)


def serve_tcp_conn(conn, out):
    try:
        data = b""
        while len(data) < 2 or len(data) < 2 + struct.unpack("!H", data[:2])[0]:
            more = conn.recv(4096)
            if not more:
                break
            data += more
        if len(data) >= 2:
            qid, label, q = question(data[2:])
            log(out, f"tcp {label}")
            head = header(qid, 0x8180, 0) + q
            conn.sendall(b"\xff\xff" + (head + b"\x00" * 100)[:100])
        while conn.recv(4096):
            pass
    except OSError:
        pass
    log(out, "tcp closed")
    conn.close()


def serve_tcp(addr, out):
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((addr, 53))
    lsock.listen(8)
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=serve_tcp_conn, args=(conn, out), daemon=True).start()


def main():
    addr, path = sys.argv[1], sys.argv[2]
    with open(path, "a", encoding="utf-8") as out:
        threading.Thread(target=serve_tcp, args=(addr, out), daemon=True).start()
        serve_udp(addr, out)


if __name__ == "__main__":
    main()
