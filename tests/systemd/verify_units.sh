#!/bin/bash
# verify_units.sh UNIT... - `systemd-analyze verify` on the systemd units
#
# The units given (systemd/meson.build's build-utcpd.service and
# build-utcpd@.service: the shipped units with ExecStart naming the
# daemon of this build tree, $UTCPD) are copied under their real names
# and verified, the template as an instance (utcpd@test.service). Any
# line systemd-analyze prints fails the test, not only its exit status:
# it reports an unknown key or a bad value as a warning and exits 0.
# That the check can fail is checked first: a copy with a misspelt key
# and one with a bad value must be reported. The installed units beside
# them must have every @VARIABLE@ substituted.
# Exits 77 (skipped) without systemd-analyze (Debian: systemd).
set -euo pipefail

name=verify_units
command -v systemd-analyze >/dev/null ||
	{ echo "$name: SKIP: systemd-analyze is missing (Debian: systemd)"; exit 77; }
: "${UTCPD:?UTCPD must name the built daemon}"
((${#@} == 2)) || { echo "usage: $0 SERVICE TEMPLATE" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/utcpt-$name.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fail() {
	printf '%s: FAIL: %s\n' "$name" "$*" >&2
	exit 1
}

# verify DIR UNIT...: true when systemd-analyze verify accepts the units
# without a word; what it said is in $tmp/said.
verify() {
	local dir=$1 status=0
	shift
	(cd "$dir" && SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no "$@") \
		>"$tmp/said" 2>&1 || status=$?
	((status == 0)) && ! [[ -s $tmp/said ]]
}

mkdir "$tmp/units"
cp "$1" "$tmp/units/utcpd.service"
cp "$2" "$tmp/units/utcpd@.service"
grep -qx "ExecStart=$UTCPD -c .*/utcpd/utcpd.conf --state-dir %S/utcpd" "$tmp/units/utcpd.service" ||
	fail "utcpd.service's ExecStart does not name $UTCPD"

echo "$name: the check fails on a misspelt key and on a bad value"
for broken in 's/^Restart=/Restrat=/' 's/^Type=notify$/Type=notfy/'; do
	rm -rf "$tmp/broken"
	cp -r "$tmp/units" "$tmp/broken"
	sed -i "$broken" "$tmp/broken/utcpd.service"
	! cmp -s "$tmp/units/utcpd.service" "$tmp/broken/utcpd.service" ||
		fail "sed '$broken' changed nothing"
	! verify "$tmp/broken" ./utcpd.service ||
		fail "a unit broken by sed '$broken' passed"
	echo "$name:   sed '$broken': $(head -n 1 "$tmp/said")"
done

echo "$name: utcpd.service and utcpd@test.service"
verify "$tmp/units" ./utcpd.service ||
	fail "utcpd.service: $(cat "$tmp/said")"
verify "$tmp/units" ./utcpd@test.service ||
	fail "utcpd@.service: $(cat "$tmp/said")"
grep -q -- "-s %t/utcpd/%i.sock --state-dir %S/utcpd/%i$" \
	"$tmp/units/utcpd@.service" || fail "the template's ExecStart"

for unit in "$1" "$2"; do
	installed=$(dirname "$unit")/$(basename "$unit" | sed 's/^build-//')
	[[ -s $installed ]] || fail "no installed unit $installed"
	! grep -n '@[a-z_]*@' "$installed" ||
		fail "$installed: a variable left unsubstituted"
done
echo "$name: PASS"
