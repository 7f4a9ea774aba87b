#!/bin/bash
# Run every libFuzzer harness for SECONDS each on a copy of its seed corpus; exit 1 on any crash.
#   tests/fuzz/run.sh BUILD_DIR [SECONDS]
set -uo pipefail
build=${1:?usage: run.sh BUILD_DIR [SECONDS]}
secs=${2:-30}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/vigil-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
status=0
for h in ctl journald k8s memory_events options sync_msg; do
	mkdir -p "$work/$h"
	cp -r "$here/corpus/$h/." "$work/$h/" 2>/dev/null || true
	if "$build/tests/fuzz/fuzz_$h" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/$h-" "$work/$h" >"$work/$h.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$h.log")
		echo "fuzz_$h: ${runs:-?} runs in ${secs}s, no crash"
	else
		echo "fuzz_$h: CRASH"
		tail -30 "$work/$h.log"
		status=1
	fi
done
exit $status
