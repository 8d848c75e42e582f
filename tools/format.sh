#!/bin/sh
# format.sh - formats every C file of the project with its .clang-format
#
#   tools/format.sh            rewrite the files in place
#   tools/format.sh --check    change nothing; list the files that would
#                              change and exit 1 if there are any
#
# The files are the *.c and *.h below the source directories (build
# directories and fuzz corpora are not sources). git is not needed.
set -eu
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || {
	echo "format.sh: clang-format is not installed" >&2
	exit 2
}
files=$(find common stack ipc daemon client-lib tests \
	\( -name 'build*' -o -name 'corpus-*' \) -prune -o \
	-type f \( -name '*.c' -o -name '*.h' \) -print 2>/dev/null | sort)
if [ "${1:-}" = --check ]; then
	bad=0
	for f in $files; do
		clang-format "$f" | cmp -s - "$f" || {
			echo "format.sh: $f is not formatted (run tools/format.sh)"
			bad=1
		}
	done
	exit $bad
fi
# shellcheck disable=SC2086 # one word per file name; none has spaces
clang-format -i $files
