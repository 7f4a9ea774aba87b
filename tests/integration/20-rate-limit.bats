#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The log rate limit, a vigil extension (--log-rate-limit RATE[:BURST], VIGIL_LOG_RATE_LIMIT;
# man/vigil.8.scd): output over the budget is dropped from the logs (never held back), cut after
# the last whole line that fits; dropping lasts until the budget is back at half the burst; then one
# "[vigil] log rate limit: dropped N bytes of STREAM" record precedes the new output (or ends the
# log at exit); the dropped bytes show in --exit-json's bytes_dropped; attach clients get everything.

# container scripts in single quotes (SC2016); variables read by helpers.bash (SC2034); bats sets
# $stderr (SC2154)
# shellcheck disable=SC2016,SC2034,SC2154

load helpers

RATE=10000
BURST=20000
MIB=1048576
LINE=128

setup()
{
	vigil_setup
	# 1 MiB of numbered 128-byte lines
	python3 -c '
import sys
open(sys.argv[1], "wb").write(b"".join(b"%07d %s\n" % (i, b"r" * 119) for i in range(8192)))' "$DATA_DIR/burst"
	[ "$(stat -c %s "$DATA_DIR/burst")" = $MIB ]
}

# the container: 1 MiB as fast as cat writes it, a pause long enough for the budget to refill
# to half the burst (1 s at 10000 B/s), then a marker line
BURST_CMD='cat /data/burst; sleep 1.5; echo MARKER'

# check_limited REBUILT-STDOUT [--no-marker]: REBUILT-STDOUT is a whole-line prefix P of the burst,
# about the burst in size, then exactly one notice for the rest, then MARKER (unless --no-marker).
# Prints N, the dropped byte count.
check_limited()
{
	python3 - "$1" "$DATA_DIR/burst" "$BURST" "$LINE" "${2:-}" <<'PY'
import re, sys
log, burst = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
cap, line, no_marker = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "--no-marker"
m = re.search(rb"\[vigil\] log rate limit: dropped ([0-9]+) bytes of stdout\n", log)
assert m, "no notice in %r" % log[-300:]
kept, rest = log[: m.start()], log[m.end():]
assert len(re.findall(rb"\[vigil\] log rate limit", log)) == 1, "more than one notice"
assert burst.startswith(kept), "what was kept is not the start of the burst"
assert kept.endswith(b"\n"), "the cut is not after a whole line"
assert cap - line < len(kept) <= cap + line, "kept %d bytes, burst is %d" % (len(kept), cap)
n = int(m.group(1))
assert n == len(burst) - len(kept), "notice says %d dropped, %d were" % (n, len(burst) - len(kept))
assert rest == (b"" if no_marker else b"MARKER\n"), "after the notice: %r" % rest[:200]
print(n)
PY
}

@test "rate limit: a 1 MiB burst keeps about BURST bytes, one notice with the exact count, then the marker" {
	run_container --log-rate-limit $RATE:$BURST -- /bin/sh -c "$BURST_CMD"
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	[ ! -s "$T/out.stderr" ]
	check_limited "$T/out.stdout"
	# the notice is a record of its own on stdout
	grep -Eq '^[^ ]+ stdout F \[vigil\] log rate limit: dropped [0-9]+ bytes of stdout$' "$LOG"
}

@test "rate limit: --exit-json bytes_dropped is the notice's count; bytes_logged counts everything" {
	run_container --exit-json --log-rate-limit $RATE:$BURST -- /bin/sh -c "$BURST_CMD"
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	local n
	n=$(check_limited "$T/out.stdout")
	echo "dropped $n"
	cat "$EXIT_DIR/$CID.json"
	python3 - "$EXIT_DIR/$CID.json" "$n" $((MIB + 7)) <<'PY'
import json, sys
rec, n, total = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
assert rec["bytes_dropped"] == {"stdout": n, "stderr": 0}, rec["bytes_dropped"]
assert rec["bytes_logged"] == {"stdout": total, "stderr": 0}, rec["bytes_logged"]
PY
}

@test "rate limit: VIGIL_LOG_RATE_LIMIT in the environment works the same" {
	ENGINE_OPTS=(--env "VIGIL_LOG_RATE_LIMIT=$RATE:$BURST")
	run_container -- /bin/sh -c "$BURST_CMD"
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	check_limited "$T/out.stdout"
}

@test "rate limit: a pending notice is written at exit, per stream; both streams share the budget" {
	run_container --exit-json --log-rate-limit $RATE:$BURST -- /bin/sh -c 'cat /data/burst; cat /data/burst >&2'
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	local n
	n=$(check_limited "$T/out.stdout" --no-marker)
	# stdout used up the budget: all of stderr is dropped, and said so at exit
	assert_file_content "$T/out.stderr" "[vigil] log rate limit: dropped $MIB bytes of stderr"$'\n'
	python3 - "$EXIT_DIR/$CID.json" "$n" $MIB <<'PY'
import json, sys
rec, n, mib = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
assert rec["bytes_dropped"] == {"stdout": n, "stderr": mib}, rec["bytes_dropped"]
PY
}

# timed_run EXTRA_VIGIL_ARGS...: the container cats 8 MiB; its own runtime (from /proc/uptime, 10 ms
# steps) in seconds is printed
timed_run()
{
	vigil_reset
	mkdir -p "$T/out"
	rm -f "$T/out/times"
	make_bundle /bin/sh -c 'a=$(cut -d" " -f1 /proc/uptime); i=0; while [ $i -lt 8 ]; do cat /data/burst; i=$((i+1)); done
		b=$(cut -d" " -f1 /proc/uptime); echo "$a $b" >/out/times'
	bundle_edit ".mounts += [{destination: \"/out\", type: \"bind\", source: \"$T/out\", options: [\"rbind\", \"rw\"]}]"
	vigil_create "$@"
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	awk '{printf "%.2f\n", $2 - $1}' "$T/out/times"
}

@test "rate limit: the container is not slowed down" {
	local free limited
	free=$(timed_run)
	limited=$(timed_run --log-rate-limit $RATE:$BURST)
	echo "8 MiB: ${free}s without the limit, ${limited}s with it"
	# at 10000 B/s, holding the output back would take 800 s; dropping it costs nothing
	python3 -c 'import sys; f, l = map(float, sys.argv[1:]); sys.exit(0 if l <= 3 * f + 0.5 else 1)' "$free" "$limited"
	k8s_check "$LOG"
	[ "$(stat -c %s "$T/out.stdout")" -le $((BURST + LINE)) ]
}

@test "rate limit: attach clients still receive everything" {
	make_bundle /bin/sh -c "$BURST_CMD"
	vigil_create --full-attach --log-rate-limit $RATE:$BURST
	python3 "$INTEGRATION_DIR/attach_client.py" "$BUNDLE/attach" "$T/c1" >"$T/c1.log" 2>&1 3>&- &
	local client=$!
	wait_for_file "$T/c1.connected"
	container_start
	wait "$client"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	cmp "$T/c1.2" <(cat "$DATA_DIR/burst"; echo MARKER)
	k8s_check "$LOG"
	check_limited "$T/out.stdout"
}

@test "rate limit: journald gets the same kept output and notice as the k8s-file" {
	CID=$(printf '%s' "vigil-$$-$BATS_TEST_NUMBER-$RANDOM" | sha256sum | cut -c1-64)
	CUUID=$CID
	mkdir -p "$T/jns"
	LAUNCH_WRAP=(bash "$INTEGRATION_DIR/journald-ns.sh" "$T/jns" journald)
	VIGIL_LOG=(-l "k8s-file:$LOG" -l journald)
	run_container --log-rate-limit $RATE:$BURST -- /bin/sh -c "$BURST_CMD"
	wait_engine
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	check_limited "$T/out.stdout"
	python3 "$INTEGRATION_DIR/journal_read.py" --dir "$T/jns/runlog/journal" --cid "$CID" --stdout "$T/j.stdout"
	cmp "$T/j.stdout" "$T/out.stdout"
}

@test "rate limit: bad specs are rejected naming --log-rate-limit" {
	local fake=$T/fake-runtime spec
	make_fake_runtime "$fake"
	for spec in abc 0 10:0 0:10 10: :5 -5 10:5:3 '' ' 10' 10x 18446744073709551616; do
		run --separate-stderr timeout 20 "$VIGIL_BINARY" -c x -u x -r "$fake" -l "k8s-file:$LOG" \
			--log-rate-limit "$spec"
		echo "'$spec' -> $status: $stderr"
		[ "$status" = 1 ]
		[[ $stderr == "[conmon:e]: "*--log-rate-limit* && $stderr != *$'\n'* ]]
		[ ! -e "$fake.argv" ]
		[ ! -e "$LOG" ]
	done
	# the same from the environment
	VIGIL_LOG_RATE_LIMIT=10:0 run --separate-stderr timeout 20 "$VIGIL_BINARY" -c x -u x -r "$fake" \
		-l "k8s-file:$LOG"
	echo "env -> $status: $stderr"
	[ "$status" = 1 ]
	[[ $stderr == "[conmon:e]: "*--log-rate-limit* ]]
	[ ! -e "$fake.argv" ]
}
