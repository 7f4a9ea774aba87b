#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# k8s-file size cap, truncation and rotation (interface.md §8.2 "Size accounting", §8.4 path
# checks, §8.6 reopen through ctl, §1.3 step 2 option checks). The burst tests push 64 MiB of
# numbered lines through vigil as fast as `cat` writes them and check the kept files with
# rotation_check.py: oldest first they rebuild an exact suffix of the stream, every record whole,
# every file at most the cap and cut only when the next record did not fit.

# container scripts in single quotes (SC2016); variables read by helpers.bash (SC2034); bats sets
# $stderr (SC2154); LOG is changed per test on purpose (SC2030, SC2031)
# shellcheck disable=SC2016,SC2034,SC2154,SC2030,SC2031

load helpers

MIB=1048576

setup_file()
{
	# 64 MiB of numbered lines of 20..200 bytes (fixed seed), shared by the burst tests
	python3 - "$BATS_FILE_TMPDIR/stream" <<'PY'
import random, sys
rnd = random.Random(18)
total, n = 64 << 20, 0
with open(sys.argv[1], "wb") as f:
    size = 0
    while size < total:
        line = b"%09d %s\n" % (n, b"x" * rnd.randrange(10, 190))
        line = line[: total - size] if size + len(line) > total else line
        f.write(line)
        size += len(line)
        n += 1
PY
}

# wait_within SECONDS COMMAND...: COMMAND succeeds within SECONDS (fractions allowed) from now;
# wait_for's $SECONDS has whole-second steps, too coarse for "within 1 s"
wait_within()
{
	local limit_us start now
	limit_us=$(awk -v s="$1" 'BEGIN { printf "%d", s * 1000000 }')
	shift
	start=${EPOCHREALTIME/./}
	while ! "$@"; do
		now=${EPOCHREALTIME/./}
		if ((now - start > limit_us)); then
			echo "not within $((limit_us / 1000)) ms: $*" >&2
			return 1
		fi
		sleep 0.01
	done
	echo "took $(((${EPOCHREALTIME/./} - start) / 1000)) ms: $*"
}

setup()
{
	vigil_setup
}

# burst_run EXTRA_VIGIL_ARGS...: the container cats the 64 MiB stream to stdout
burst_run()
{
	ln "$BATS_FILE_TMPDIR/stream" "$DATA_DIR/stream"
	[ "$(stat -c %s "$DATA_DIR/stream")" = $((64 * MIB)) ]
	run_container "$@" -- /bin/cat /data/stream
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$(exit_file)" 0
}

@test "rotation: 64 MiB burst, --log-size-max 1 MiB --log-rotate --log-max-files 1" {
	burst_run --log-size-max $MIB --log-rotate --log-max-files 1
	python3 "$INTEGRATION_DIR/rotation_check.py" "$LOG" --cap $MIB --kept 1 --stream "$DATA_DIR/stream"
	[ ! -e "$LOG.new" ]
}

@test "rotation: 64 MiB burst, --log-size-max 1 MiB --log-rotate --log-max-files 3" {
	burst_run --log-size-max $MIB --log-rotate --log-max-files 3
	python3 "$INTEGRATION_DIR/rotation_check.py" "$LOG" --cap $MIB --kept 3 --stream "$DATA_DIR/stream"
	[ ! -e "$LOG.new" ]
}

@test "rotation: 64 MiB burst without --log-rotate truncates: one file, a suffix of the stream" {
	burst_run --log-size-max $MIB
	python3 "$INTEGRATION_DIR/rotation_check.py" "$LOG" --cap $MIB --kept 0 --stream "$DATA_DIR/stream"
	[ ! -e "$LOG.1" ]
	[ ! -e "$LOG.tmp" ]
}

@test "rotation: --log-max-files -1 and --log-rotate --log-max-files 0 are errors (before --cid)" {
	# §1.3 step 2: "conmon: " prefix, exit 1, checked before everything else but parsing
	run --separate-stderr timeout 20 "$VIGIL_BINARY" --log-max-files -1 -l "k8s-file:$LOG"
	echo "$status: $stderr"
	[ "$status" = 1 ]
	[[ $stderr == "conmon: "*log-max-files* && $stderr != *$'\n'* ]]
	run --separate-stderr timeout 20 "$VIGIL_BINARY" --log-rotate --log-max-files 0 -l "k8s-file:$LOG"
	echo "$status: $stderr"
	[ "$status" = 1 ]
	[[ $stderr == "conmon: "*log-max-files* && $stderr != *$'\n'* ]]
	[ ! -e "$LOG" ]
	# through an engine, with everything else right: nothing starts
	make_bundle /bin/true
	vigil_launch --log-rotate --log-max-files 0 --log-size-max 1000
	wait_launch
	wait_engine
	[ "$LAUNCH_RC" = 1 ]
	[ ! -e "$STATE/sync.first" ]
	[ -z "$("$RUNC" --root "$RUNC_ROOT" list -q)" ]
	# --log-max-files 0 without --log-rotate is fine
	vigil_reset
	run_container --log-max-files 0 --log-size-max 1000 -- /bin/sh -c 'echo fine'
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	assert_file_content "$T/out.norm" $'TS stdout F fine\n'
}

# 40 lines of 100 bytes: records of 146 bytes, 5840 bytes in all
LINES40='i=0; while [ $i -lt 40 ]; do printf "%03d %096d\n" $i 0; i=$((i+1)); done'

lines40()
{
	local i
	for ((i = 0; i < 40; i++)); do
		printf "%03d %096d\n" "$i" 0
	done
}

@test "rotation: refused when the log file is a symlink; logging goes on in the current file, nothing lost" {
	lines40 >"$T/expected"
	: >"$T/real.log"
	ln -s "$T/real.log" "$LOG"
	SYSLOG_CAPTURE=$T/syslog
	run_container --syslog --log-size-max 2000 --log-rotate --log-max-files 2 -- /bin/sh -c "$LINES40"
	wait_engine
	[ "$DAEMON_RC" = 0 ]
	# nothing rotated, nothing renamed, the symlink is still there
	[ -L "$LOG" ]
	[ "$(readlink "$LOG")" = "$T/real.log" ]
	[ ! -e "$LOG.1" ] && [ ! -L "$LOG.1" ]
	[ ! -e "$T/real.log.1" ]
	[ ! -e "$LOG.new" ]
	# everything is in the file (the cap could not be kept)
	k8s_check "$T/real.log"
	cmp "$T/out.stdout" "$T/expected"
	# and vigil said so (§8.2: "On any failure it warns")
	cat "$T/syslog"
	grep -Eq "<nwarn>: .*$LOG" "$T/syslog"
}

@test "rotation: --log-allowlist-dir elsewhere refuses rotation; the log's own dir allows it" {
	lines40 >"$T/expected"
	mkdir -p "$T/logs" "$T/allowed"
	LOG=$T/logs/ctr.log
	VIGIL_LOG=(-l "k8s-file:$LOG")
	SYSLOG_CAPTURE=$T/syslog
	run_container --syslog --log-size-max 2000 --log-rotate --log-allowlist-dir "$T/allowed" -- /bin/sh -c "$LINES40"
	wait_engine
	[ "$DAEMON_RC" = 0 ]
	[ ! -e "$LOG.1" ]
	k8s_check "$LOG"
	cmp "$T/out.stdout" "$T/expected"
	grep -Eq "<nwarn>: .*$LOG" "$T/syslog"

	vigil_reset
	SYSLOG_CAPTURE=
	run_container --log-size-max 2000 --log-rotate --log-allowlist-dir "$T/allowed" \
		--log-allowlist-dir "$T/logs/" -- /bin/sh -c "$LINES40"
	[ "$DAEMON_RC" = 0 ]
	python3 "$INTEGRATION_DIR/rotation_check.py" "$LOG" --cap 2000 --kept 1 --stream "$T/expected"
}

# before/after container: 5 "before" lines of 100 bytes (730 bytes of records), then it waits for
# /data/go and prints 5 "after" lines
REOPEN_CMD='i=0; while [ $i -lt 5 ]; do printf "before %d %090d\n" $i 0; i=$((i+1)); done
while [ ! -e /data/go ]; do sleep 0.02; done
i=0; while [ $i -lt 5 ]; do printf "after %d %091d\n" $i 0; i=$((i+1)); done'

lines_before()
{
	local i
	for ((i = 0; i < 5; i++)); do printf "before %d %090d\n" "$i" 0; done
}

lines_after()
{
	local i
	for ((i = 0; i < 5; i++)); do printf "after %d %091d\n" "$i" 0; done
}

# ctl_reopen: ctl message type 2, as the brief for the engines does it
ctl_reopen()
{
	echo "2 0 0" >"$BUNDLE/ctl"
}

# before_logged: the 5 "before" records are in the log
before_logged()
{
	[[ $(grep -c ' stdout F before ' "$LOG" 2>/dev/null) == 5 ]]
}

wait_before()
{
	wait_for before_logged
}

@test "rotation: ctl reopen after the log was deleted recreates it within 1 s; the counter restarts" {
	lines_after >"$T/expected"
	make_bundle /bin/sh -c "$REOPEN_CMD"
	vigil_create --log-size-max 1000
	container_start
	wait_before
	rm "$LOG"
	ctl_reopen
	wait_within 1 test -e "$LOG"
	[ ! -s "$LOG" ]
	[ "$(file_mode "$LOG")" = 640 ]
	local ino
	ino=$(stat -c %i "$LOG")
	touch "$DATA_DIR/go"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	cmp "$T/out.stdout" "$T/expected"
	# 730 + 730 bytes would pass the 1000-byte cap had the counter kept counting: the file would
	# have been replaced (truncation renames a new file over it) before the first "after" record
	[ "$(stat -c %i "$LOG")" = "$ino" ]
	[ ! -e "$LOG.tmp" ]
}

@test "rotation: ctl reopen with --log-rotate rotates; later output goes to the new file" {
	lines_before >"$T/expected.before"
	lines_after >"$T/expected.after"
	make_bundle /bin/sh -c "$REOPEN_CMD"
	vigil_create --log-size-max 1000 --log-rotate --log-max-files 1
	container_start
	wait_before
	ctl_reopen
	wait_within 1 test -e "$LOG.1"
	[ -e "$LOG" ]
	touch "$DATA_DIR/go"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG.1"
	cmp "$T/out.stdout" "$T/expected.before"
	# with a counter that kept counting, the "after" records would have rotated again, pushing the
	# "before" file out
	k8s_check "$LOG"
	cmp "$T/out.stdout" "$T/expected.after"
	[ ! -e "$LOG.2" ]
	[ ! -e "$LOG.new" ]
}

@test "rotation: ctl reopen with --log-rotate after the log was deleted creates it within 1 s" {
	lines_after >"$T/expected"
	make_bundle /bin/sh -c "$REOPEN_CMD"
	vigil_create --log-size-max 100000 --log-rotate --log-max-files 2
	container_start
	wait_before
	rm "$LOG"
	ctl_reopen
	wait_within 1 test -e "$LOG"
	touch "$DATA_DIR/go"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	cmp "$T/out.stdout" "$T/expected"
	# there was nothing to rotate
	[ ! -e "$LOG.1" ]
	[ ! -e "$LOG.new" ]
}

@test "rotation: with --log-rotate, the size counter starts at the existing file's size" {
	# 1900 bytes already there: the first 146-byte record does not fit under 2000, so the old
	# content is rotated to .1 first (§8.2, counters start at the file size)
	python3 -c 'import sys; open(sys.argv[1], "wb").write(b"OLD\n" * 475)' "$LOG"
	run_container --log-size-max 2000 --log-rotate -- /bin/sh -c 'printf "%0100d\n" 7'
	[ "$DAEMON_RC" = 0 ]
	[ "$(stat -c %s "$LOG.1")" = 1900 ]
	[ "$(head -n 1 "$LOG.1")" = OLD ]
	k8s_check "$LOG"
	assert_file_content "$T/out.norm" "TS stdout F $(printf '%0100d' 7)"$'\n'
}
