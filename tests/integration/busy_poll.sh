#!/bin/bash
# busy_poll: [daemon] busy_poll_us makes the loop poll without blocking
# after a turn that did work, and such polls find the next request: with
# busy_poll_us at its maximum (1000000), pings 0.2 s apart are each
# found by a poll that did not block (the status counters busy_polls and
# busy_poll_hits grow); with the option off (the default) the loop
# always blocks and both counters stay 0. Counted, never timed.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

# pings N: N pings 0.2 s apart from the kernel to the daemon, all
# answered.
pings() {
	local out
	out=$(nsx ping -n -c "$1" -i 0.2 -w 30 "$DAEMON_IP") || true
	grep -q " $1 received" <<<"$out" || fail "ping: $(tail -n 2 <<<"$out")"
}

make_namespace
write_config busypoll utbusy 10.77.71
sed -i '/^\[daemon\]/a busy_poll_us = 1000000' "$CONF"
start_daemon_with_config

say "busy_poll_us = 1000000: the loop polls without blocking and finds the pings"
pings 10
polls=$(counter busy_polls)
hits=$(counter busy_poll_hits)
say "busy_polls $polls, busy_poll_hits $hits"
# Each ping after the first comes 0.2 s after the last answer: inside
# the 1 s window, so a poll that did not block finds it.
((hits >= 1)) || fail "no poll without blocking found work ($hits hits)"
((polls > hits)) || fail "busy_polls $polls not above busy_poll_hits $hits"
stop_daemon || fail "utcpd did not stop cleanly"

say "busy_poll_us unset (off): the loop always blocks"
write_config busypoll utbusy 10.77.71
start_daemon_with_config
pings 5
polls=$(counter busy_polls)
hits=$(counter busy_poll_hits)
say "busy_polls $polls, busy_poll_hits $hits"
((polls == 0 && hits == 0)) || fail "busy-polling while off: $polls polls, $hits hits"

pass
