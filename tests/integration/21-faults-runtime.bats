#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Runtime and process faults: a missing, failing, crashing or hanging runtime (§1.3, §4.3, §4.4),
# the engine going away (§3.2, §4.4 EPIPE), signals to the container and to vigil (§3.4, §9.2),
# a broken exit command (§9.4). Each case checks the documented outcome, that it ends within a
# bounded time, and that no process or zombie is left behind.

load helpers
load faults

setup()
{
	faults_setup
	RT=$T/fake-runtime
}

teardown()
{
	faults_teardown
}

# launch_with_runtime PATH [EXTRA...]: the default create arguments with -r PATH
launch_with_runtime()
{
	local rt=$1
	shift
	vigil_args_with_runtime "$rt"
	vigil_launch_raw "${VARGS[@]}" "$@"
}

# nothing_created: a create that failed before the runtime left no files behind
nothing_created()
{
	[ ! -e "$CONMON_PIDFILE" ]
	[ ! -e "$(exit_file)" ]
	[ -z "$(ls -A "$SOCK_DIR")" ]
	[ ! -e "$BUNDLE/attach" ]
	[ ! -e "$BUNDLE/ctl" ]
	[ ! -e "$BUNDLE/winsz" ]
	run ! "$RUNC" --root "$RUNC_ROOT" state "$CID"
}

# expect_failure_record: one sync record {"data": -1[, "message": ...]} and nothing else; the
# daemon exited 1 and wrote no exit file
expect_failure_record()
{
	[ "$DAEMON_RC" = 1 ]
	[[ $(cat "$STATE/sync.first") =~ ^\{\"data\":\ -1(,\ \"message\":\ \".*\")?\}$ ]]
	cmp "$STATE/sync.first" "$STATE/sync.all"
	[ -e "$STATE/sync.eof" ]
	[ ! -e "$(exit_file)" ]
}

# ---------------------------------------------------------------------------------------------
# the runtime binary

@test "runtime: a missing binary is one line on stderr and exit 1 before daemonizing; nothing is created" {
	make_bundle /bin/true
	launch_with_runtime "$T/no-such-runtime"
	wait_launch
	wait_daemon
	[ "$LAUNCH_RC" = 1 ]
	assert_file_content "$STATE/vigil.err" \
		"[conmon:e]: Runtime path $T/no-such-runtime is not valid No such file or directory"$'\n'
	[ ! -s "$STATE/vigil.out" ]
	# no daemon was forked: the engine saw no other child, and no sync record
	[ ! -e "$STATE/daemon.pid" ]
	[ ! -s "$STATE/sync.all" ]
	nothing_created
}

@test "runtime: a binary without execute permission is refused the same way (Permission denied)" {
	printf '#!/bin/sh\nexit 0\n' >"$RT"
	chmod 644 "$RT"
	make_bundle /bin/true
	launch_with_runtime "$RT"
	wait_launch
	wait_daemon
	[ "$LAUNCH_RC" = 1 ]
	assert_file_content "$STATE/vigil.err" "[conmon:e]: Runtime path $RT is not valid Permission denied"$'\n'
	[ ! -e "$STATE/daemon.pid" ]
	nothing_created
}

@test "runtime: a binary that cannot be exec'd (bad interpreter) gives a -1 record with a one-line message" {
	printf '#!/no/such/interpreter\n' >"$RT"
	chmod 755 "$RT"
	make_bundle /bin/true
	launch_with_runtime "$RT"
	wait_launch
	# the daemon may report before the parent has exited (slow under sanitizers): wait for its status
	wait_for_file "$STATE/launch.rc"
	[ "$(cat "$STATE/launch.rc")" = 0 ]
	wait_daemon
	expect_failure_record
	local msg
	msg=$(json_get "$STATE/sync.first" 'r["message"]')
	echo "message: $msg"
	[ -n "$msg" ]
	[ "$(printf '%s' "$msg" | wc -l)" -le 1 ]
	# the child's text, never the container's log
	[ ! -s "$LOG" ]
	wait_engine
	reaped "$(daemon_pid)"
}

@test "runtime: exit 1 with an error on stderr: the error is relayed in the sync record, vigil exits 1 and says why" {
	SYSLOG_CAPTURE=$T/syslog
	make_script_runtime "$RT" 'echo "fake-runtime: container \"x\" failed: bad config" >&2; exit 1'
	make_bundle /bin/true
	launch_with_runtime "$RT" --syslog
	wait_launch
	# the daemon may report before the parent has exited (slow under sanitizers): wait for its status
	wait_for_file "$STATE/launch.rc"
	[ "$(cat "$STATE/launch.rc")" = 0 ]
	wait_daemon
	wait_engine
	expect_failure_record
	assert_file_content "$STATE/sync.first" \
		'{"data": -1, "message": "fake-runtime: container \"x\" failed: bad config\n"}'$'\n'
	cat "$SYSLOG_CAPTURE"
	# one clear error line (§4.4 "Failed to create container: exit status N")
	[ "$(syslog_count "<error>: Failed to create container: exit status 1$")" = 1 ]
	[ "$(syslog_count "<error>")" = 1 ]
	reaped "$(daemon_pid)"
	no_process_mentions "$RT"
}

@test "runtime: killed by a signal: {\"data\": -1} without a message, vigil exits 1" {
	make_script_runtime "$RT" 'kill -KILL $$'
	make_bundle /bin/true
	launch_with_runtime "$RT"
	wait_daemon
	expect_failure_record
	assert_file_content "$STATE/sync.first" '{"data": -1}'$'\n'
}

@test "runtime: more than 8191 bytes on stderr: the message carries the first 8191, still one valid record" {
	make_script_runtime "$RT" 'head -c 20000 /dev/zero | tr "\0" x >&2; exit 1'
	make_bundle /bin/true
	launch_with_runtime "$RT"
	wait_daemon
	expect_failure_record
	[ "$(json_get "$STATE/sync.first" 'len(r["message"])')" = 8191 ]
	[ "$(json_get "$STATE/sync.first" 'set(r["message"])')" = "{'x'}" ]
}

@test "runtime: exit 0 without a pid file: -1 naming the pid file, vigil exits 1" {
	make_script_runtime "$RT" 'exit 0'
	make_bundle /bin/true
	launch_with_runtime "$RT"
	wait_daemon
	expect_failure_record
	cat "$STATE/sync.first"
	[[ $(json_get "$STATE/sync.first" 'r["message"]') == *"pid file '$CTR_PIDFILE'"*"No such file or directory"* ]]
}

@test "runtime: exit 0 with garbage in the pid file: -1 naming the pid file, vigil exits 1" {
	# the pid file is the argument after --pid-file
	make_script_runtime "$RT" 'while [ "$1" != --pid-file ]; do shift; done; printf "12ab" >"$2"; exit 0'
	make_bundle /bin/true
	launch_with_runtime "$RT"
	wait_daemon
	expect_failure_record
	cat "$STATE/sync.first"
	[[ $(json_get "$STATE/sync.first" 'r["message"]') == *"pid file"* ]]
}

# ---------------------------------------------------------------------------------------------
# a hanging runtime: vigil waits (the engine owns the create timeout), and nothing outlives it

# start_hanging_runtime [ignore-term]: a runtime that records its pid in $RT.pid and sleeps;
# sets RT_PID once it runs. The sleep is the runtime process itself (exec), so PR_SET_PDEATHSIG
# applies to it.
start_hanging_runtime()
{
	local trap=
	[[ ${1:-} == ignore-term ]] && trap="trap '' TERM;"
	make_script_runtime "$RT" "$trap echo \$\$ >'$RT.pid'; exec sleep 300"
	make_bundle /bin/true
	launch_with_runtime "$RT"
	wait_launch
	# the daemon may report before the parent has exited (slow under sanitizers): wait for its status
	wait_for_file "$STATE/launch.rc"
	[ "$(cat "$STATE/launch.rc")" = 0 ]
	wait_for_file "$RT.pid"
	RT_PID=$(cat "$RT.pid")
	# the runtime is the daemon's child
	[ "$(children_of "$(daemon_pid)")" = "$RT_PID" ]
	# the engine's create timeout, shortened: still no record, the daemon waits
	sleep 1
	[ ! -e "$STATE/sync.first" ]
	daemon_alive
}

@test "runtime hangs: SIGKILL to the daemon takes the runtime with it (PR_SET_PDEATHSIG); nothing is left" {
	start_hanging_runtime
	kill -KILL "$(daemon_pid)"
	wait_daemon
	[ "$DAEMON_RC" = 137 ]
	WAIT_TIMEOUT=5 wait_for reaped "$RT_PID"
	[ ! -e "$STATE/sync.first" ]
	[ -e "$STATE/sync.eof" ]
	[ ! -e "$(exit_file)" ]
	wait_engine
	no_process_mentions "$RT"
}

@test "runtime hangs: SIGTERM to the daemon is forwarded to the runtime; vigil reports -1 and exits 1" {
	start_hanging_runtime
	kill -TERM "$(daemon_pid)"
	wait_daemon
	expect_failure_record
	assert_file_content "$STATE/sync.first" '{"data": -1}'$'\n'
	WAIT_TIMEOUT=5 wait_for reaped "$RT_PID"
	wait_engine
	no_process_mentions "$RT"
}

@test "runtime hangs and ignores SIGTERM: vigil keeps waiting; the engine's SIGKILL ends both" {
	start_hanging_runtime ignore-term
	local dpid
	dpid=$(daemon_pid)
	kill -TERM "$dpid"
	sleep 1
	# the forwarded TERM was ignored: no record, both still there
	daemon_alive
	[ "$(proc_state "$RT_PID")" = S ]
	[ ! -e "$STATE/sync.first" ]
	kill -KILL "$dpid"
	wait_daemon
	[ "$DAEMON_RC" = 137 ]
	WAIT_TIMEOUT=5 wait_for reaped "$RT_PID"
	wait_engine
	no_process_mentions "$RT"
}

# ---------------------------------------------------------------------------------------------
# the engine goes away

# launch under subreaper.py: when the engine dies, the daemon is reparented there and reaped
reaper_wrap()
{
	REAPER=$T/reaper
	LAUNCH_WRAP=(python3 "$INTEGRATION_DIR/subreaper.py" "$REAPER" --timeout 60 --)
}

# reaped_status PID: PID's exit status as recorded by subreaper.py
reaped_status()
{
	awk -v p="$1" '$1 == p {print $2}' "$REAPER/reaped"
}

reaped_by_reaper()
{
	[[ -n $(reaped_status "$1") ]]
}

@test "engine killed right after create: vigil keeps the container, writes the exit file when it exits" {
	reaper_wrap
	make_bundle /bin/sh -c 'while [ ! -e /out/go ]; do sleep 0.02; done; echo bye; echo err >&2; exit 7'
	bundle_out_mount
	vigil_create
	local dpid epid fds_before
	dpid=$(daemon_pid)
	epid=$(cat "$STATE/engine.pid")
	container_start
	wait_for container_running
	fds_before=$(fd_count "$dpid")
	kill -KILL "$epid"
	wait_for reaped_by_reaper "$epid"
	# reparented to the next subreaper, still running, same fds
	[ "$(awk '{print $4}' "/proc/$dpid/stat")" = "$(cat "$REAPER/reaper.pid")" ]
	daemon_alive
	[ "$(fd_count "$dpid")" = "$fds_before" ]
	[ -z "$(zombie_children "$dpid")" ]
	touch "$OUT_DIR/go"
	wait_for_file "$(exit_file)"
	assert_file_content "$(exit_file)" 7
	wait_for reaped_by_reaper "$dpid"
	[ "$(reaped_status "$dpid")" = 7 ]
	k8s_check "$LOG"
	assert_file_content "$T/out.stdout" $'bye\n'
	assert_file_content "$T/out.stderr" $'err\n'
	[ "$(container_status)" = stopped ]
}

@test "engine killed before the pid is reported: the record meets a closed pipe (EPIPE), vigil carries on" {
	reaper_wrap
	make_gate_runtime "$RT"
	make_bundle /bin/sh -c 'echo late; exit 3'
	launch_with_runtime "$RT"
	wait_for_file "$RT.started"
	wait_for_file "$STATE/daemon.pid"
	local dpid epid
	dpid=$(daemon_pid)
	epid=$(cat "$STATE/engine.pid")
	kill -KILL "$epid"
	wait_for reaped_by_reaper "$epid"
	touch "$RT.go"
	wait_for eval '[[ $(container_status) == created ]]'
	# the pid record went nowhere; the daemon is still there
	sleep 0.3
	daemon_alive
	container_start
	wait_for_file "$(exit_file)"
	assert_file_content "$(exit_file)" 3
	wait_for reaped_by_reaper "$dpid"
	[ "$(reaped_status "$dpid")" = 3 ]
	grep -q ' stdout F late$' "$LOG"
}

# ---------------------------------------------------------------------------------------------
# signals to the container and to vigil

@test "container: runc kill KILL gives 137; the container is reaped by vigil and the daemon by the engine" {
	make_bundle /bin/sleep 1000
	vigil_create
	local ctr dpid
	ctr=$(cat "$CTR_PIDFILE")
	dpid=$(daemon_pid)
	container_start
	wait_for container_running
	container_kill KILL
	wait_daemon
	[ "$DAEMON_RC" = 137 ]
	assert_file_content "$(exit_file)" 137
	reaped "$ctr"
	wait_engine
	reaped "$dpid"
}

@test "container: runc kill TERM to a pid-1 that traps TERM and exits 143 itself gives 143" {
	make_bundle /bin/sh -c 'trap "echo got TERM; exit 143" TERM; touch /out/ready; while :; do sleep 0.05; done'
	bundle_out_mount
	vigil_create
	container_start
	wait_for_file "$OUT_DIR/ready"
	container_kill TERM
	wait_daemon
	[ "$DAEMON_RC" = 143 ]
	assert_file_content "$(exit_file)" 143
	grep -q ' stdout F got TERM$' "$LOG"
}

@test "container: runc kill TERM to a pid-1 without a handler is ignored; KILL then gives 137" {
	make_bundle /bin/sleep 1000
	vigil_create
	container_start
	wait_for container_running
	container_kill TERM
	sleep 1
	container_running
	[ ! -e "$(exit_file)" ]
	daemon_alive
	container_kill KILL
	wait_daemon
	[ "$DAEMON_RC" = 137 ]
	assert_file_content "$(exit_file)" 137
}

@test "vigil: SIGTERM and SIGINT to the daemon are forwarded to the container's pid 1" {
	local sig code
	for sig in TERM INT; do
		vigil_reset
		[[ $sig == TERM ]] && code=143 || code=130
		make_bundle /bin/sh -c "trap 'echo got $sig; exit $code' $sig; touch /out/ready; while :; do sleep 0.05; done"
		bundle_out_mount
		rm -f "$OUT_DIR/ready"
		vigil_create
		container_start
		wait_for_file "$OUT_DIR/ready"
		kill "-$sig" "$(daemon_pid)"
		wait_daemon
		[ "$DAEMON_RC" = "$code" ]
		assert_file_content "$(exit_file)" "$code"
		grep -q " stdout F got $sig\$" "$LOG"
	done
}

@test "vigil: SIGUSR1 only triggers a reap pass: container and fds unchanged, log not reopened" {
	make_bundle /bin/sh -c 'while [ ! -e /out/stop ]; do sleep 0.05; done; echo done'
	bundle_out_mount
	vigil_create
	container_start
	wait_for container_running
	local dpid fds before
	dpid=$(daemon_pid)
	fds=$(fd_count "$dpid")
	before=$(fd_list "$dpid")
	mv "$LOG" "$LOG.moved"
	for _ in 1 2 3 4 5; do
		kill -USR1 "$dpid"
		sleep 0.05
	done
	sleep 0.3
	daemon_alive
	container_running
	assert_fd_count "$dpid" "$fds" "$before"
	# SIGUSR1 does not reopen logs (§3.4, §8.6)
	[ ! -e "$LOG" ]
	touch "$OUT_DIR/stop"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	grep -q ' stdout F done$' "$LOG.moved"
}

@test "vigil: SIGHUP has its default action: the daemon dies without an exit file, the container lives on" {
	# the orphaned container is reaped by subreaper.py once teardown removes it
	reaper_wrap
	make_bundle /bin/sleep 1000
	vigil_create
	container_start
	wait_for container_running
	kill -HUP "$(daemon_pid)"
	wait_daemon
	[ "$DAEMON_RC" = 129 ]
	[ ! -e "$(exit_file)" ]
	container_running
}

# ---------------------------------------------------------------------------------------------
# the exit command

@test "exit command: missing, not executable or a directory: exit file written, vigil exits 1, no hang" {
	local cmd
	printf '#!/bin/sh\nexit 0\n' >"$T/not-executable"
	chmod 644 "$T/not-executable"
	mkdir "$T/a-directory"
	for cmd in "$T/no-such-command" "$T/not-executable" "$T/a-directory"; do
		vigil_reset
		local start=$SECONDS
		run_container --exit-command "$cmd" --exit-command-arg x -- /bin/sh -c 'echo ran; exit 0'
		echo "$cmd: daemon rc $DAEMON_RC after $((SECONDS - start)) s"
		[ "$DAEMON_RC" = 1 ]
		assert_file_content "$(exit_file)" 0
		grep -q ' stdout F ran$' "$LOG"
		((SECONDS - start < 15))
		wait_engine
		reaped "$(daemon_pid)"
	done
}

@test "exit command: missing after a runtime failure: vigil still exits 1 and ends" {
	make_script_runtime "$RT" 'echo nope >&2; exit 1'
	make_bundle /bin/true
	launch_with_runtime "$RT" --exit-command "$T/no-such-command"
	wait_daemon
	expect_failure_record
	wait_engine
	reaped "$(daemon_pid)"
}
