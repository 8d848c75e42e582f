#!/bin/bash
# unreachable: a datagram to a port where utcpd has no socket gets an
# ICMP port unreachable, which the kernel's connected socket reports as
# ECONNREFUSED.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon unreachable utunreach 10.77.5

before=$(counter icmp_tx_unreachable)

say "a connected UDP socket sending to $DAEMON_IP:4242 gets ECONNREFUSED"
nsx "$PYTHON" - "$DAEMON_IP" 4242 <<'PY' || fail "no ECONNREFUSED"
import socket, sys
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.connect((sys.argv[1], int(sys.argv[2])))
sock.settimeout(0.5)
for attempt in range(20):  # ICMP errors are rate-limited: retry
    try:
        sock.send(b"anyone there?")
        sock.recv(100)
        print("  got a reply?")
        sys.exit(1)
    except ConnectionRefusedError:
        print(f"  ECONNREFUSED after {attempt + 1} datagram(s)")
        sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
PY

say "utcpd counted the unreachable it sent"
after=$(counter icmp_tx_unreachable)
((after > before)) || fail "icmp_tx_unreachable stayed at $after"
no_port=$(counter udp_rx_no_port)
((no_port >= 1)) || fail "udp_rx_no_port = $no_port, expected >= 1"

pass
