#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Create (interface.md §2, §4): the sync pipe records, runtime failures, the start pipe.

load helpers

container_pid_from_runc()
{
	"$RUNC" --root "$RUNC_ROOT" state "$CID" | jq -r .pid
}

# json_field FILE EXPR: evaluate a python expression over the JSON record r in FILE
json_field()
{
	python3 -c 'import json, sys; r = json.loads(open(sys.argv[1], "rb").read()); print(eval(sys.argv[2]))' "$1" "$2"
}

@test "create: --api-version reports {\"data\": PID} with the container's pid" {
	make_bundle /bin/sleep 1000
	vigil_create
	local pid
	pid=$(cat "$CTR_PIDFILE")
	[[ $pid =~ ^[0-9]+$ ]]
	assert_file_content "$STATE/sync.first" "{\"data\": $pid}"$'\n'
	[ "$(container_pid_from_runc)" = "$pid" ]
	container_start
	container_kill KILL
	wait_daemon
	# nothing else is sent for a create; the engine sees EOF when the daemon has gone
	assert_file_content "$STATE/sync.all" "{\"data\": $pid}"$'\n'
	[ -e "$STATE/sync.eof" ]
}

@test "create: without --api-version the record is {\"pid\": PID}" {
	VIGIL_API=()
	make_bundle /bin/sh -c 'echo legacy'
	vigil_create
	local pid
	pid=$(cat "$CTR_PIDFILE")
	assert_file_content "$STATE/sync.first" "{\"pid\": $pid}"$'\n'
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$STATE/sync.all" "{\"pid\": $pid}"$'\n'
	grep -q ' stdout F legacy$' "$LOG"
}

@test "create: the sync and start fds may be plain pipes" {
	ENGINE_OPTS=(--sync-kind pipe --start-kind pipe)
	VIGIL_API=()
	make_bundle /bin/true
	vigil_create
	assert_file_content "$STATE/sync.first" "{\"pid\": $(cat "$CTR_PIDFILE")}"$'\n'
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$(exit_file)" 0
}

@test "create: a runtime failure sends -1 with runc's message; the daemon exits 1; no exit file" {
	make_bundle /no-such-binary arg
	vigil_launch
	wait_launch
	[ "$LAUNCH_RC" = 0 ]
	wait_daemon
	[ "$DAEMON_RC" = 1 ]
	cat "$STATE/sync.first"
	# one line, exact separators
	[[ $(cat "$STATE/sync.first") =~ ^\{\"data\":\ -1,\ \"message\":\ \".*\"\}$ ]]
	[ "$(wc -l <"$STATE/sync.first")" = 1 ]
	[ "$(json_field "$STATE/sync.first" 'r["data"]')" = -1 ]
	# runc's own error text, with '/' escaped as '\/' (§4.4)
	[[ $(json_field "$STATE/sync.first" 'r["message"]') == *'/no-such-binary'* ]]
	[[ $(json_field "$STATE/sync.first" 'r["message"]') == *'runc create failed'* ]]
	grep -qF '\/no-such-binary' "$STATE/sync.first"
	[ ! -e "$(exit_file)" ]
	[ -e "$STATE/sync.eof" ]
	# that was the only record
	cmp "$STATE/sync.first" "$STATE/sync.all"
}

@test "create: legacy runtime failure record uses the pid key" {
	VIGIL_API=()
	make_bundle /no-such-binary
	vigil_launch
	wait_daemon
	[ "$DAEMON_RC" = 1 ]
	[[ $(cat "$STATE/sync.first") =~ ^\{\"pid\":\ -1,\ \"message\":\ \".+\"\}$ ]]
	[ ! -e "$(exit_file)" ]
}

@test "create: a missing runtime binary fails before daemonizing" {
	make_bundle /bin/true
	default_vigil_args
	vigil_launch_raw "${VARGS[@]}" -r "$T/no-such-runtime"
	wait_launch
	wait_daemon
	[ "$LAUNCH_RC" = 1 ]
	assert_file_content "$STATE/vigil.err" \
		"[conmon:e]: Runtime path $T/no-such-runtime is not valid No such file or directory"$'\n'
	[ ! -e "$CONMON_PIDFILE" ]
	[ ! -s "$STATE/sync.all" ]
}

@test "create: nothing happens before the start byte" {
	ENGINE_OPTS=(--hold-start)
	make_bundle /bin/sh -c 'echo started'
	vigil_launch
	wait_for_file "$STATE/launch.pid"
	local pid
	pid=$(cat "$STATE/launch.pid")
	# vigil sits in read() on the start pipe (fd 4) ...
	wait_for blocked_in_read "$pid" 4
	# ... and has not forked, written -P, nor run the runtime
	[ -z "$(cat /proc/"$pid"/task/*/children)" ]
	[ ! -e "$CONMON_PIDFILE" ]
	[ ! -e "$STATE/launch.rc" ]
	[ ! -e "$STATE/sync.first" ]
	[ ! -e "$CTR_PIDFILE" ]
	run ! "$RUNC" --root "$RUNC_ROOT" state "$CID"

	touch "$STATE/go"
	wait_launch
	[ "$LAUNCH_RC" = 0 ]
	wait_sync
	[[ $SYNC_FIRST =~ ^\{\"data\":\ [0-9]+\}$ ]]
	[ -e "$CONMON_PIDFILE" ]
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	grep -q ' stdout F started$' "$LOG"
}

@test "create: EOF on the start pipe also means go" {
	ENGINE_OPTS=(--start-eof)
	make_bundle /bin/true
	vigil_create
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$(exit_file)" 0
}

@test "create: without _OCI_SYNCPIPE and _OCI_STARTPIPE vigil still runs the container" {
	ENGINE_OPTS=(--sync-kind none --start-kind none)
	make_bundle /bin/sh -c 'echo no-pipes'
	vigil_launch
	wait_launch
	[ "$LAUNCH_RC" = 0 ]
	wait_for_file "$CTR_PIDFILE"
	wait_for eval '[[ $(container_status) == created ]]'
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	grep -q ' stdout F no-pipes$' "$LOG"
}

@test "create: an unparsable _OCI_SYNCPIPE is fatal before daemonizing: exit 1, named on stderr, no runtime" {
	ENGINE_OPTS=(--env _OCI_SYNCPIPE=3x)
	make_bundle /bin/true
	vigil_launch
	wait_launch
	wait_daemon
	# the process the engine started fails itself (conmon's daemon would fail after a clean exit 0)
	[ "$LAUNCH_RC" = 1 ]
	[ "$DAEMON_RC" = none ]
	grep -q '_OCI_SYNCPIPE' "$STATE/vigil.err"
	[ ! -e "$SOCK_DIR/$CUUID" ]
	[ ! -e "$BUNDLE/ctl" ]
	[ ! -e "$CTR_PIDFILE" ]
	run ! "$RUNC" --root "$RUNC_ROOT" state "$CID"
	[ ! -e "$(exit_file)" ]
}
