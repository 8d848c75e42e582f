#!/bin/sh
# Formats every C file tracked by git with the project's .clang-format.
# With --check, changes nothing and exits 1 if any file would change.
set -eu
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || {
	echo "format.sh: clang-format is not installed" >&2
	exit 2
}
if [ "${1:-}" = --check ]; then
	bad=0
	for f in $(git ls-files '*.c' '*.h'); do
		clang-format "$f" | cmp -s - "$f" || { echo "$f"; bad=1; }
	done
	exit $bad
fi
git ls-files '*.c' '*.h' | xargs clang-format -i
