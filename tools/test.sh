#!/bin/bash
# test.sh - build utcpd three ways and run the whole test suite
#
# Run as root on Debian 12 (the integration tests need network
# namespaces and TAP devices; without root they are skipped):
#
#   ./tools/test.sh
#
# 0. format:   tools/format.sh --check (every C file as clang-format
#              would write it); counts as one test
# 1. normal:   gcc, meson's default build, every test (unit, integration)
# 2. sanitize: gcc with -Db_sanitize=address,undefined, every test again,
#              leaks and undefined behaviour fatal (the daemon runs under
#              the sanitizers in the integration tests too)
# 3. fuzz:     clang, -Dfuzz=true, everything instrumented for libFuzzer;
#              each harness in tests/fuzz runs the meson option
#              fuzz_runs' iterations ($FUZZ_RUNS=N overrides it)
#
# Each build goes to a fresh directory build-test-NAME in the repository
# (wiped first). The script prints a summary and, last, one line
# "N passed, N failed, N skipped" over all three builds. It exits
# non-zero when any build or test failed, or when no test passed.
# .ci/run runs exactly this.
#
# Time: the normal build is compiled first. Then the sanitize and fuzz
# builds are compiled, one after the other, in the background at the
# lowest CPU priority (nice 19) while the normal build's tests run: most
# of those wait on protocol timers and peers, and the compiler takes
# only the CPU they leave (at nice 0 again while a stage waits for its
# build). A build's tests start once it is compiled and the previous
# build's tests are over, so two builds' tests never run at once; a
# background build's output is printed at the start of its stage. meson
# runs $TEST_PROCESSES tests at a time (default 4: most tests mostly
# wait; those that load the machine run alone, is_parallel false).
# 5-8 minutes on 2 cores.
#
# Stopping. SIGTERM, SIGINT or SIGHUP stops what runs: meson test
# (which ends its tests: SIGTERM to each, SIGKILL half a second later)
# or the build in the foreground, and the background builds; the script
# exits with 128 + the signal's number. A background build that ends
# without finishing (killed from outside) fails its stage, which says
# so, and the stages after it.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1

"$root/tools/deps.sh" || {
	echo "test.sh: installing dependencies failed" >&2
	exit 1
}

export ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:halt_on_error=1:print_summary=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:print_summary=1
export LSAN_OPTIONS=print_suppressions=0
# check's own per-test timeouts (tcase_set_timeout: wall clock, hang
# guards) three times as long: four tests at a time, the simulator's
# CPU-bound ones under the sanitizers, on a loaded machine, took a 30 s
# one past it. meson's timeouts still bound every test.
export CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-3}

summary=()
total_pass=0
total_fail=0
total_skip=0
started=$SECONDS

# count_results BUILD_DIR: prints "PASS FAIL SKIP" from meson's test log.
count_results() {
	local log=$1/meson-logs/testlog.json
	[[ -s $log ]] || {
		echo "0 0 0"
		return
	}
	/usr/bin/python3 - "$log" <<'PY'
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    result = json.loads(line)["result"]
    if result in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif result == "SKIP":
        skipped += 1
    else:
        failed += 1
print(passed, failed, skipped)
PY
}

test_processes=${TEST_PROCESSES:-4}
logs=$(mktemp -d)
background=""
# At exit (an interrupt too) the background builds go with the logs.
trap '[[ -n $background ]] && kill -- -"$background" 2>/dev/null; rm -rf "$logs"' EXIT

# run CMD...: the foreground work (a build, meson test), started as a
# job of its own (a process group) and waited for with `wait`, so that
# a signal's trap runs at once (bash runs none while a command runs in
# the foreground) and can end the job with all its processes. Returns
# CMD's status.
foreground=""
run() {
	local status
	set -m
	"$@" </dev/null &
	foreground=$!
	set +m
	wait "$foreground"
	status=$?
	foreground=""
	return $status
}

# stop SIGNAL: SIGTERM to the foreground job's processes (meson test
# then ends its tests) and, at most 30 s later, SIGKILL to what is left;
# the background builds go at exit (the EXIT trap). Exits 128 + N.
# shellcheck disable=SC2317 # run by the traps below
stop() {
	local i
	trap '' INT TERM HUP
	echo "test.sh: SIG$1: stopping the tests and builds" >&2
	if [[ -n $foreground ]]; then
		kill -TERM -- -"$foreground" 2>/dev/null
		for ((i = 0; i < 300; i++)); do
			kill -0 -- -"$foreground" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- -"$foreground" 2>/dev/null
	fi
	exit $((128 + $(kill -l "$1")))
}
trap 'stop INT' INT
trap 'stop TERM' TERM
trap 'stop HUP' HUP

# build NAME "MESON SETUP ARGS" [ENV=VALUE...]: a fresh build directory
# build-test-NAME, set up and compiled; "STATUS SECONDS" goes to
# $logs/NAME.status (STATUS: ok, setup_failed, build_failed).
build() {
	local name=$1 setup_args=$2 t0=$SECONDS status=ok
	local dir=$root/build-test-$name
	shift 2
	rm -rf "$dir"
	# shellcheck disable=SC2086 # the argument string is a word list
	if ! env "$@" meson setup "$dir" $setup_args; then
		status=setup_failed
	elif ! ninja -C "$dir"; then
		status=build_failed
	fi
	echo "$status $((SECONDS - t0))" >"$logs/$name.status"
}

# background_built NAME: waits for the line the background job writes on
# $logs/NAME.built once build NAME is over; fails when the job ended
# without writing it (killed from outside), rather than wait for ever.
background_built() {
	local fifo=$logs/$1.built
	until read -r -t 1 <"$fifo"; do
		if ! kill -0 "$background" 2>/dev/null; then
			read -r -t 0.1 <"$fifo" # written just before it ended?
			return
		fi
	done
}

# stage NAME "MESON TEST ARGS": the tests of build NAME, once it is
# built (by build, or in the background: then it waits for the line
# the background job writes on $logs/NAME.built, and prints its output
# first); adds its counts to the totals.
stage() {
	local name=$1 test_args=$2 dir=$root/build-test-$1 status build_s
	local t0 p=0 f=0 s=0 how=""
	if [[ -p $logs/$name.built ]]; then
		echo
		echo "==== test.sh: $name build ($dir), compiled in the background ===="
		# Not done yet, nothing else runs: at full priority until it
		# is (renice -n 0 needs root; without it, it stays at 19).
		renice -n 0 -g "$background" >/dev/null 2>&1
		if ! background_built "$name"; then
			echo "test.sh: the background job ended before the" \
				"$name build did (killed from outside?)" >&2
			echo "build_killed 0" >"$logs/$name.status"
			# what is left of it (its group lives while they do)
			kill -- -"$background" 2>/dev/null
		fi
		renice -n 19 -g "$background" >/dev/null 2>&1
		[[ -f $logs/$name.log ]] && cat "$logs/$name.log"
		how=" alongside"
	fi
	read -r status build_s <"$logs/$name.status"
	t0=$SECONDS
	case $status in
	ok)
		# shellcheck disable=SC2086 # the argument string is a word list
		run meson test -C "$dir" --no-rebuild --print-errorlogs \
			--num-processes "$test_processes" $test_args ||
			status="tests failed"
		read -r p f s < <(count_results "$dir")
		if [[ $status != ok && $f -eq 0 ]]; then
			f=1 # meson failed without a failed test: count it
		fi
		;;
	*)
		status=${status//_/ }
		f=1
		;;
	esac
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
	summary+=("$(printf '  %-9s %-14s %4d passed, %d failed, %d skipped  (build %ds%s, tests %ds)' \
		"$name" "$status" "$p" "$f" "$s" "$build_s" "$how" $((SECONDS - t0)))")
}

echo
echo "==== test.sh: format check ===="
if "$root/tools/format.sh" --check; then
	total_pass=$((total_pass + 1))
	summary+=("  format    ok                1 passed, 0 failed, 0 skipped")
else
	total_fail=$((total_fail + 1))
	summary+=("  format    not formatted     0 passed, 1 failed, 0 skipped")
fi

echo
echo "==== test.sh: normal build ($root/build-test-normal) ===="
run build normal ""

# The other two, one after the other, while the normal build's tests
# run. Each $logs/NAME.built is a pipe this shell holds open for reading
# and writing, so that the job's line never waits for a reader.
fuzz_args="-Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false"
fuzz_args+=" -Dc_args=-fsanitize=fuzzer-no-link"
if [[ -n ${FUZZ_RUNS:-} ]]; then
	fuzz_args+=" -Dfuzz_runs=$FUZZ_RUNS"
fi
mkfifo "$logs/sanitize.built" "$logs/fuzz.built"
exec 8<>"$logs/sanitize.built" 9<>"$logs/fuzz.built"
set -m # the job in a process group of its own, which the trap can end
(
	renice -n 19 -p "$BASHPID" >/dev/null
	build sanitize "-Db_sanitize=address,undefined -Db_lundef=false" \
		>"$logs/sanitize.log" 2>&1
	echo built >&8
	build fuzz "$fuzz_args" CC=clang >"$logs/fuzz.log" 2>&1
	echo built >&9
) &
background=$!
set +m

stage normal ""
stage sanitize "--timeout-multiplier 2"
stage fuzz "--suite fuzz"
wait "$background"
background=""
exec 8>&- 9>&-

echo
echo "==== test.sh: summary ($((SECONDS - started)) s) ===="
printf '%s\n' "${summary[@]}"
if ((EUID != 0)); then
	echo "  (not root: the integration tests were skipped)"
fi
echo "$total_pass passed, $total_fail failed, $total_skip skipped"

if ((total_fail > 0 || total_pass == 0)); then
	exit 1
fi
exit 0
