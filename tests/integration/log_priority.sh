#!/bin/bash
# log_priority: syslog priorities on stderr for the journal.
#
# stderr redirected to a file and JOURNAL_STREAM set to that file's
# "device:inode" (as systemd sets it when stderr is the journal): every
# line starts with "<N>", an info line with <6>, the notice lines with
# <5>, and a daemon that cannot set up (a TAP named like the loopback)
# writes its error line with <3>. JOURNAL_STREAM unset, or naming
# another file: no prefix. [daemon] log_priority_prefix = yes prefixes
# without JOURNAL_STREAM; = no never does.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

# every_line_prefixed FILE: each line of FILE starts with <0> to <7>.
every_line_prefixed() {
	[[ -s $1 ]] && ! grep -qvE '^<[0-7]>' "$1"
}
# no_line_prefixed FILE: no line of FILE starts with <N>.
no_line_prefixed() {
	[[ -s $1 ]] && ! grep -qE '^<[0-9]>' "$1"
}
stream_of() {
	stat -c %d:%i "$1"
}

say "JOURNAL_STREAM names stderr: <N> on every line"
make_namespace
write_config lp-a utlp0 10.78.51
: >"$LOG"
JOURNAL_STREAM=$(stream_of "$LOG") start_daemon_with_config
stop_daemon TERM || fail "utcpd exited with an error"
every_line_prefixed "$LOG" || fail "a line without <N>: $(grep -vE '^<[0-7]>' "$LOG" | head -n 3)"
grep -qE '^<6>[-0-9T:.]+ info: utlp0: created TAP' "$LOG" ||
	fail "the info line is not <6>: $(grep 'created TAP' "$LOG")"
grep -qE '^<5>[-0-9T:.]+ notice: running: ' "$LOG" ||
	fail "the notice line is not <5>: $(grep 'running:' "$LOG")"

say "a setup error: <3>"
write_config lp-b lo 10.78.52
: >"$TMP/err.log"
status=0
JOURNAL_STREAM=$(stream_of "$TMP/err.log") ip netns exec "$NS" "$UTCPD" -c "$CONF" \
	2>"$TMP/err.log" || status=$?
((status == 1)) || fail "exit status $status on a TAP named lo, want 1"
grep -qE '^<3>[-0-9T:.]+ err: lo: ' "$TMP/err.log" ||
	fail "no <3> error line: $(cat "$TMP/err.log")"
every_line_prefixed "$TMP/err.log" || fail "a line without <N> in the error run"
say "  $(grep -E '^<3>' "$TMP/err.log" | head -n 1)"

say "JOURNAL_STREAM unset, or another file's: no prefix"
write_config lp-c utlp1 10.78.53
: >"$LOG"
(unset JOURNAL_STREAM && start_daemon_with_config && stop_daemon TERM) ||
	fail "utcpd (JOURNAL_STREAM unset) failed"
no_line_prefixed "$LOG" || fail "a prefix without JOURNAL_STREAM: $(head -n 2 "$LOG")"
: >"$TMP/other"
: >"$LOG"
(JOURNAL_STREAM=$(stream_of "$TMP/other") start_daemon_with_config &&
	stop_daemon TERM) || fail "utcpd (another stream) failed"
no_line_prefixed "$LOG" || fail "a prefix for another file's stream: $(head -n 2 "$LOG")"

say "log_priority_prefix = yes without JOURNAL_STREAM; = no with it"
sed -i '/^\[daemon\]$/a log_priority_prefix = yes' "$CONF"
: >"$LOG"
(unset JOURNAL_STREAM && start_daemon_with_config && stop_daemon TERM) ||
	fail "utcpd (log_priority_prefix = yes) failed"
every_line_prefixed "$LOG" || fail "log_priority_prefix = yes: $(head -n 2 "$LOG")"
sed -i 's/^log_priority_prefix = yes$/log_priority_prefix = no/' "$CONF"
: >"$LOG"
(JOURNAL_STREAM=$(stream_of "$LOG") start_daemon_with_config &&
	stop_daemon TERM) || fail "utcpd (log_priority_prefix = no) failed"
no_line_prefixed "$LOG" || fail "log_priority_prefix = no: $(head -n 2 "$LOG")"
pass
