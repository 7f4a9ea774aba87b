#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The opt-in exit record (vigil extension, man/vigil.8.scd --exit-json, man/exit-record.schema.json):
# <persist-dir>/exit.json, or <exit-dir>/<cid>.json without --persist-dir, written atomically before
# the exit files (§9.1 steps 7-8). Every record is validated against the schema's required keys and
# types by exit_json_check.py, then against what the container did.

# ls -A of test-owned dirs with plain names (SC2012); container scripts in single quotes (SC2016);
# ENGINE_OPTS is read by helpers.bash (SC2034)
# shellcheck disable=SC2012,SC2016,SC2034

load helpers

MEM_LIMIT=$((16 * 1024 * 1024))

setup()
{
	vigil_setup
	mkdir -p "$T/persist"
	SCHEMA=${VIGIL_SOURCE_DIR:-$INTEGRATION_DIR/../..}/man/exit-record.schema.json
	[[ -f $SCHEMA ]] || {
		echo "schema not found: $SCHEMA" >&2
		return 1
	}
	EVENTS=$T/events
	EVENTS_PID=
}

teardown()
{
	if [[ -n $EVENTS_PID ]]; then
		touch "$EVENTS.stop"
		WAIT_TIMEOUT=5 wait_for pid_gone "$EVENTS_PID" 2>/dev/null || kill -KILL "$EVENTS_PID" 2>/dev/null || true
		wait "$EVENTS_PID" 2>/dev/null || true
	fi
	vigil_teardown
}

# check_exit_json FILE [KEY=VALUE | KEY>=VALUE ...]: schema + expectations (values are JSON)
check_exit_json()
{
	[[ -f $1 ]] || {
		echo "no exit record at $1" >&2
		return 1
	}
	python3 "$INTEGRATION_DIR/exit_json_check.py" "$1" "$SCHEMA" "${@:2}"
}

# watch_dirs UNTIL-PATH DIR...: record, in order, the names that appear in DIRs
watch_dirs()
{
	python3 "$INTEGRATION_DIR/dir_events.py" "$EVENTS" "${@:2}" --until "$1" --timeout 60 3>&- &
	EVENTS_PID=$!
	wait_for_file "$EVENTS.ready"
}

watch_done()
{
	wait_for_file "$EVENTS.done"
	wait "$EVENTS_PID" || true
	EVENTS_PID=
	cat "$EVENTS"
}

# first_event PATH: the line number of the first event that makes PATH appear (empty if none)
first_event()
{
	grep -nE "^$1 (MOVED_TO|CREATE)\$" "$EVENTS" | head -1 | cut -d: -f1
}

# appeared_before A B: A appeared, and before B (both must have appeared)
appeared_before()
{
	local a b
	a=$(first_event "$1")
	b=$(first_event "$2")
	if [[ -z $a || -z $b ]] || ((a >= b)); then
		echo "expected $1 (event ${a:-none}) to appear before $2 (event ${b:-none})" >&2
		return 1
	fi
}

require_memory_cgroup()
{
	[[ -e /sys/fs/cgroup/memory/memory.oom_control ]] && return 0
	[[ -e /sys/fs/cgroup/cgroup.controllers ]] && grep -qw memory /sys/fs/cgroup/cgroup.controllers && return 0
	skip "no memory cgroup controller (neither /sys/fs/cgroup/memory nor memory in cgroup.controllers)"
}

@test "exit-json: normal exit 3, in --persist-dir, before both exit files; bytes per stream" {
	umask 077
	watch_dirs "$EXIT_DIR/$CID" "$T/persist" "$EXIT_DIR"
	# stdout: 6 + 7 = 13 bytes, stderr: 3 bytes
	run_container --persist-dir "$T/persist" --exit-json -- \
		/bin/sh -c 'printf "hello\n"; printf abc >&2; printf "world!\n"; exit 3'
	[ "$DAEMON_RC" = 3 ]
	watch_done
	check_exit_json "$T/persist/exit.json" exit_code=3 signaled=false signal=null oom_killed=false \
		oom_kill_count=0 timed_out=false bytes_logged.stdout=13 bytes_logged.stderr=3 \
		bytes_dropped.stdout=0 bytes_dropped.stderr=0
	[ "$(file_mode "$T/persist/exit.json")" = 644 ]
	appeared_before "$T/persist/exit.json" "$T/persist/exit"
	appeared_before "$T/persist/exit.json" "$EXIT_DIR/$CID"
	# only there: nothing in the exit dir but the exit file, no temp files left
	[ "$(ls -A "$T/persist" | sort | tr '\n' ' ')" = "exit exit.json " ]
	[ "$(ls -A "$EXIT_DIR")" = "$CID" ]
	assert_file_content "$(exit_file)" 3
}

@test "exit-json: without --persist-dir the record is <exit-dir>/<cid>.json, before <exit-dir>/<cid>" {
	watch_dirs "$EXIT_DIR/$CID" "$EXIT_DIR"
	run_container --exit-json -- /bin/sh -c 'echo one; exit 0'
	[ "$DAEMON_RC" = 0 ]
	watch_done
	check_exit_json "$EXIT_DIR/$CID.json" exit_code=0 signaled=false signal=null timed_out=false \
		oom_killed=false bytes_logged.stdout=4 bytes_logged.stderr=0
	[ "$(file_mode "$EXIT_DIR/$CID.json")" = 644 ]
	appeared_before "$EXIT_DIR/$CID.json" "$EXIT_DIR/$CID"
	[ "$(ls -A "$EXIT_DIR" | sort | tr '\n' ' ')" = "$CID $CID.json " ]
}

@test "exit-json: VIGIL_EXIT_JSON=1 in vigil's environment has the same effect" {
	ENGINE_OPTS=(--env VIGIL_EXIT_JSON=1)
	watch_dirs "$T/persist/exit" "$T/persist"
	run_container --persist-dir "$T/persist" -- /bin/sh -c 'exit 7'
	[ "$DAEMON_RC" = 7 ]
	watch_done
	check_exit_json "$T/persist/exit.json" exit_code=7 signaled=false signal=null
	appeared_before "$T/persist/exit.json" "$T/persist/exit"
}

@test "exit-json: runc kill KILL gives 137, signaled, signal 9" {
	make_bundle /bin/sleep 1000
	vigil_create --persist-dir "$T/persist" --exit-json
	container_start
	wait_for container_running
	container_kill KILL
	wait_daemon
	[ "$DAEMON_RC" = 137 ]
	check_exit_json "$T/persist/exit.json" exit_code=137 signaled=true signal=9 oom_killed=false \
		oom_kill_count=0 timed_out=false
}

@test "exit-json: an OOM kill under a 16 MiB limit: oom_killed, oom_kill_count >= 1, 137, signal 9" {
	require_memory_cgroup
	make_bundle /bin/dd if=/dev/zero of=/dev/null bs=64M count=1
	bundle_edit ".linux.resources.memory = {limit: $MEM_LIMIT, swap: $MEM_LIMIT}"
	vigil_create --persist-dir "$T/persist" --exit-json
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 137 ]
	[ -e "$BUNDLE/oom" ]
	check_exit_json "$T/persist/exit.json" exit_code=137 signaled=true signal=9 oom_killed=true \
		'oom_kill_count>=1' timed_out=false
}

@test "exit-json: -T 2 gives timed_out true and exit_code -1" {
	make_bundle /bin/sleep 100
	vigil_create -T 2 --persist-dir "$T/persist" --exit-json
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 255 ]
	assert_file_content "$T/persist/exit" -1
	check_exit_json "$T/persist/exit.json" exit_code=-1 timed_out=true oom_killed=false
	# the timer starts when the pid is known. It is a GLib seconds timer (as in conmon, §9.5), which
	# rounds its expiry to a whole second of the main context's clock and so may fire up to 1/4 s
	# early: seen here as 1.79 s for -T 2.
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
d = (r["exit_time_ns"] - r["start_time_ns"]) / 1e9
print("start to exit: %.3f s" % d)
assert 1.5 <= d <= 15, d
' "$T/persist/exit.json"
}

@test "exit-json: --log-global-size-max: bytes_dropped counts what the cap kept out, on the right stream" {
	# stdout: "out\n" first; then stderr: 100 lines of 50 bytes (5000 bytes) against a 1000-byte cap
	make_bundle /bin/sh -c 'echo out; sleep 0.3; i=0; while [ $i -lt 100 ]; do printf "%049d\n" $i >&2; i=$((i+1)); done'
	vigil_create --persist-dir "$T/persist" --exit-json --log-global-size-max 1000
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	check_exit_json "$T/persist/exit.json" bytes_logged.stdout=4 bytes_logged.stderr=5000 \
		bytes_dropped.stdout=0 'bytes_dropped.stderr>0' 'bytes_dropped.stderr<5000'
	# what the log kept plus what was dropped is what the container wrote
	k8s_check "$LOG"
	python3 -c '
import json, os, sys
r = json.load(open(sys.argv[1]))
kept_out, kept_err = os.path.getsize(sys.argv[2]), os.path.getsize(sys.argv[3])
print("kept stdout %d stderr %d, dropped %r" % (kept_out, kept_err, r["bytes_dropped"]))
assert kept_out == 4
assert kept_err + r["bytes_dropped"]["stderr"] == 5000, (kept_err, r["bytes_dropped"])
' "$T/persist/exit.json" "$T/out.stdout" "$T/out.stderr"
}

@test "exit-json: without the flag (or with VIGIL_EXIT_JSON=0) no record is written" {
	run_container --persist-dir "$T/persist" -- /bin/sh -c 'echo x; exit 2'
	[ "$DAEMON_RC" = 2 ]
	[ "$(ls -A "$T/persist")" = exit ]
	[ "$(ls -A "$EXIT_DIR")" = "$CID" ]

	vigil_reset
	rm -rf "$T/persist"
	mkdir -p "$T/persist"
	ENGINE_OPTS=(--env VIGIL_EXIT_JSON=0)
	run_container --persist-dir "$T/persist" -- /bin/true
	[ "$DAEMON_RC" = 0 ]
	[ "$(ls -A "$T/persist")" = exit ]
	[ "$(ls -A "$EXIT_DIR")" = "$CID" ]
}
