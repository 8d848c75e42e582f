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

# stage NAME "MESON SETUP ARGS" "MESON TEST ARGS" [ENV=VALUE...]: one
# build, set up, built and tested; adds its counts to the totals.
stage() {
	local name=$1 setup_args=$2 test_args=$3
	shift 3
	local dir=$root/build-test-$name t0=$SECONDS status=ok
	local p=0 f=0 s=0
	echo
	echo "==== test.sh: $name build ($dir) ===="
	rm -rf "$dir"
	# shellcheck disable=SC2086 # the argument strings are word lists
	if ! env "$@" meson setup "$dir" $setup_args; then
		status="meson setup failed"
	elif ! ninja -C "$dir"; then
		status="build failed"
	else
		# shellcheck disable=SC2086
		meson test -C "$dir" --no-rebuild --print-errorlogs $test_args ||
			status="tests failed"
		read -r p f s < <(count_results "$dir")
		if [[ $status != ok && $f -eq 0 ]]; then
			f=1 # meson failed without a failed test: count it
		fi
	fi
	if [[ $status == "meson setup failed" || $status == "build failed" ]]; then
		f=1
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
	summary+=("$(printf '  %-9s %-14s %4d passed, %d failed, %d skipped  (%ds)' \
		"$name" "$status" "$p" "$f" "$s" $((SECONDS - t0)))")
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

stage normal "" ""

stage sanitize "-Db_sanitize=address,undefined -Db_lundef=false" \
	"--timeout-multiplier 2"

fuzz_args="-Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false"
fuzz_args+=" -Dc_args=-fsanitize=fuzzer-no-link"
if [[ -n ${FUZZ_RUNS:-} ]]; then
	fuzz_args+=" -Dfuzz_runs=$FUZZ_RUNS"
fi
stage fuzz "$fuzz_args" "--suite fuzz" CC=clang

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
