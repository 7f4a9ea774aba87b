#!/bin/bash
# Run every libFuzzer harness for SECONDS each on a copy of its seed corpus; exit 1 on any crash.
#   tests/fuzz/run.sh [--sandbox] BUILD_DIR [SECONDS]
# --sandbox: each harness confines its fuzzing thread as --sandbox confines a monitor before the
# first input (fuzz_sandbox.h), with only the scratch dir writable; leak checks are off there
# (LeakSanitizer needs clone and ptrace, which the sandbox denies).
set -uo pipefail
sandbox=false
if [[ ${1:-} == --sandbox ]]; then
	sandbox=true
	shift
fi
build=${1:?usage: run.sh [--sandbox] BUILD_DIR [SECONDS]}
secs=${2:-30}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/vigil-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
extra=()
if $sandbox; then
	export VIGIL_FUZZ_SANDBOX=$work
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	extra=(-detect_leaks=0)
fi
status=0
for h in ctl journald k8s memory_events options sync_msg; do
	mkdir -p "$work/$h"
	cp -r "$here/corpus/$h/." "$work/$h/" 2>/dev/null || true
	if "$build/tests/fuzz/fuzz_$h" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 \
		"${extra[@]}" -artifact_prefix="$work/$h-" "$work/$h" >"$work/$h.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$h.log")
		if $sandbox && ! grep -q '^fuzz_sandbox: confined' "$work/$h.log"; then
			echo "fuzz_$h: ran, but not confined"
			tail -30 "$work/$h.log"
			status=1
			continue
		fi
		echo "fuzz_$h: ${runs:-?} runs in ${secs}s, no crash$($sandbox && echo ", sandboxed")"
	else
		echo "fuzz_$h: CRASH"
		tail -30 "$work/$h.log"
		status=1
	fi
done
exit $status
