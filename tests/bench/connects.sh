#!/bin/bash
# connects.sh - how many sequential connects from libutcp to one kernel
# server succeed
#
#     sudo tests/bench/connects.sh [BUILD_DIR] [COUNT]
#
# Uses BUILD_DIR's utcpd, utcpctl and tcp_churn_helper (default: build),
# with the default configuration (local ports 49152-65535), so that two
# builds can be compared (see README.md, "Sequential connects"). The
# libutcp clients (tests/integration/tcp_churn_helper.c) make COUNT
# (default 100000) connections one after the other to the kernel's echo
# server (tests/integration/tcp_churn_peer.py), a third of them closed
# by the client first, which leaves their ports in TIME_WAIT for 60 s.
# Prints how many succeeded and how the first failure read; fails only
# when it could not be measured.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
B=$(cd "${1:-$HERE/../../build}" && pwd) ||
	{ echo "connects.sh: no build directory ${1:-build}" >&2; exit 1; }
export UTCPD=$B/daemon/utcpd UTCPCTL=$B/client-lib/utcpctl \
	UTCP_NC=$B/client-lib/utcp-nc TCP_HELPER=$B/tests/integration/tcp_helper
CHURN=$B/tests/integration/tcp_churn_helper
COUNT=${2:-100000}
export TCP_CHURN_DEADLINE_S=300

# shellcheck source=SCRIPTDIR/../integration/lib.sh
source "$HERE/../integration/lib.sh"
# shellcheck source=SCRIPTDIR/../integration/tcp_lib.sh
source "$HERE/../integration/tcp_lib.sh"
TEST_NAME=connects # lib.sh says it

start_daemon benchconnects utbconn 10.77.35
start_ns_bg timeout 310 "$PYTHON" "$HERE/../integration/tcp_churn_peer.py" \
	echo-server "$KERNEL_IP" 7001 "$COUNT" >"$TMP/srv.out"
wait_for kernel_tcp_listening 7001 || fail "the kernel's echo server is not listening"
t0=$SECONDS
status=0
timeout 300 "$CHURN" -S "$SOCK" clients "$KERNEL_IP" 7001 "$COUNT" 1 \
	>"$TMP/cli.out" 2>"$TMP/cli.err" || status=$?
opens=$(counter tcp_active_opens)
if ((status == 0)); then
	say "$COUNT sequential connects, all succeeded, in $((SECONDS - t0)) s:" \
		"$(cat "$TMP/cli.out")"
else
	say "$opens sequential connects succeeded in $((SECONDS - t0)) s," \
		"then: $(tail -n 1 "$TMP/cli.err")"
fi
# (An older build has no such counter.)
reused=$(status_json | "$PYTHON" -c '
import json, sys
print(json.load(sys.stdin)["counters"].get("tcp_connect_time_wait_reused", "n/a"))')
say "connects that took a port over from TIME_WAIT: $reused"
pass
