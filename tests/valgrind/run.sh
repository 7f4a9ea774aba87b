#!/bin/bash
# Run integration test files with vigil under valgrind memcheck; fail on any memcheck error or
# definite leak in any vigil process.  Tests that fail only because valgrind makes vigil 20-50x
# slower (timing-bound waits) are listed but do not fail the run: the plain and ASan jobs run them.
#   tests/valgrind/run.sh BUILD_DIR FILE.bats...
set -uo pipefail
build=$(realpath "${1:?usage: run.sh BUILD_DIR FILE.bats...}")
shift
here=$(cd "$(dirname "$0")" && pwd)
logs=$(mktemp -d /tmp/vigil-vg.XXXXXX)
export VIGIL_VG_BINARY="$build/src/vigil" VIGIL_VG_LOGS="$logs" VIGIL_BINARY="$here/vigil-vg.sh"
status=0
for f in "$@"; do
	if ! bats "$f" >"$logs/$(basename "$f").tap" 2>&1; then
		echo "(under valgrind, for information) $(basename "$f"):"
		grep -E '^not ok' "$logs/$(basename "$f").tap"
	fi
done
reports=$(find "$logs" -name 'vg.*' | wc -l)
# With -q valgrind writes only errors (and definite leaks): any non-empty report is a failure.
bad=$(find "$logs" -name 'vg.*' -size +0 | sort)
if [ -n "$bad" ]; then
	for b in $bad; do echo "== $b"; head -60 "$b"; done
	status=1
fi
echo "valgrind: $reports vigil processes checked, $(echo -n "$bad" | grep -c .) with errors"
rm -rf "$logs"
exit $status
