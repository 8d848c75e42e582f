#!/bin/bash
# unreachable: a datagram to a port where utcpd has no socket gets an
# ICMP port unreachable, which the kernel's connected socket reports as
# ECONNREFUSED. And the other way, what utcpd's applications see where
# Linux's would see an error:
#   - a connect to an on-link address no one answers ARP for fails with
#     EHOSTUNREACH once ARP gives up (3 requests 1 s apart), not at the
#     connect's timeout;
#   - a connected UDP socket sending there gets EHOSTUNREACH on a later
#     call (Linux reports the failed neighbour through the socket's
#     error);
#   - a UDP socket connected to an address with no route fails with
#     ENETUNREACH, and an unconnected one's send there makes its next
#     call fail with ENETUNREACH.
# The daemon has no gateway here, so only 10.77.5.0/24 is routed.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

: "${TCP_HELPER:?TCP_HELPER must name the tcp_helper binary}"
: "${SOCK_HELPER:?SOCK_HELPER must name the sock_helper binary}"

make_namespace
write_config unreachable utunreach 10.77.5
sed -i '/^gateway = /d' "$CONF"
start_daemon_with_config
SILENT_IP=10.77.5.99 # on-link, no one there
NO_ROUTE_IP=192.0.2.1

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

say "a connect to $SILENT_IP (no ARP answer) fails with EHOSTUNREACH, not at its 10 s timeout"
start=$SECONDS
out=$("$TCP_HELPER" -S "$SOCK" connect "$SILENT_IP" 80)
[[ $out == EHOSTUNREACH ]] || fail "connect gave $out"
say "  EHOSTUNREACH after about $((SECONDS - start)) s"
timeouts=$(counter arp_resolve_timeouts)
((timeouts >= 1)) || fail "arp_resolve_timeouts = $timeouts"

say "a connected UDP socket to $SILENT_IP gets EHOSTUNREACH on its next send"
out=$("$SOCK_HELPER" -S "$SOCK" udp-error "$SILENT_IP" 53 connected)
[[ $out == EHOSTUNREACH ]] || fail "second send gave $out"

say "a UDP socket connected to $NO_ROUTE_IP (no route) fails with ENETUNREACH"
out=$("$SOCK_HELPER" -S "$SOCK" udp-connect "$NO_ROUTE_IP" 53)
[[ $out == ENETUNREACH ]] || fail "udp connect gave $out"

say "an unconnected UDP send to $NO_ROUTE_IP makes the next send fail with ENETUNREACH"
out=$("$SOCK_HELPER" -S "$SOCK" udp-error "$NO_ROUTE_IP" 53 unconnected)
[[ $out == ENETUNREACH ]] || fail "second send gave $out"

say "a TCP connect to $NO_ROUTE_IP fails at once with ENETUNREACH"
out=$("$TCP_HELPER" -S "$SOCK" connect "$NO_ROUTE_IP" 80)
[[ $out == ENETUNREACH ]] || fail "connect gave $out"

pass
