#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Exec (interface.md §11): api 1 (podman) and legacy (CRI-O ExecSync) sync records (§4.4), the
# exec attach handshake (§4.5), timeouts (§9.5), exec exit files (§9.1) and exit commands (§9.4).
#
# Each test runs a long-lived container (the "target") under one vigil, and execs into it with a
# second vigil started by its own engine.py (state in $XSTATE).

load helpers

setup()
{
	vigil_setup
	SESSION=exec-$$-$BATS_TEST_NUMBER
	XB=$T/exec-bundle # podman: the exec session's bundle dir
	XSTATE=$T/exec-engine
	XEXIT=$XB/exit
	XPID=$XB/exec_pid
	XSPEC=$XB/exec-process.json
	XLOG=$T/exec.log
	XSOCK_DIR=$T/exec-sockets # the target's vigil has its symlink in $SOCK_DIR
	mkdir -p "$XB" "$XSTATE" "$XEXIT" "$XSOCK_DIR"
	XENGINE_PID=
	XENGINE_OPTS=()
}

teardown()
{
	clients_teardown
	exec_teardown
	vigil_teardown
}

# start_target: a running container to exec into, with /out shared with the host
start_target()
{
	make_bundle /bin/sleep 1000
	bundle_out_mount
	vigil_create
	container_start
	wait_for container_running
}

# podman_exec_args: what podman 4.3.1 passes for an exec session (§1.2 notes), before the
# per-session -t/-i/-e/--exec-attach/--exec-process-spec part; the log is $XLOG here, not none.
podman_exec_args()
{
	XARGS=(--api-version 1 -c "$CID" -u "$SESSION" -r "$RUNC" -b "$XB" -p "$XPID" -n "$CID"
		--exit-dir "$XEXIT" --full-attach --runtime-arg "--root=$RUNC_ROOT" -l "k8s-file:$XLOG"
		--log-level warning)
}

# podman_exec [VIGIL_OPTS...] -- ARGS...: a podman-style exec of ARGS with the attach handshake
# done at once (podman's detached exec: no client connects)
podman_exec()
{
	local extra=()
	while (($#)) && [[ $1 != -- ]]; do
		extra+=("$1")
		shift
	done
	shift
	exec_spec "$@"
	podman_exec_args
	XENGINE_OPTS=(--attach-pipe)
	touch "$XSTATE/go2"
	exec_launch "${XARGS[@]}" "${extra[@]}" -e --exec-attach --exec-process-spec "$XSPEC"
}

# has_children PID: PID has child processes
has_children()
{
	[[ -n $(cat "/proc/$1/task/$1/children" 2>/dev/null) ]]
}

# exec_pid: the exec'd process (from the runtime's pid file)
exec_pid()
{
	cat "$XPID"
}

exec_code_case()
{
	start_target
	podman_exec -- /bin/sh -c "echo out; echo err >&2; exit $1"
	wait_exec
	[ "$DAEMON_RC" = "$1" ]
	assert_file_content "$XSTATE/attach.first" $'{"data": 0}\n'
	[ "$XSYNC" = "{\"data\": $(exec_pid)}"$'\n'"{\"data\": $1}"$'\n' ]
	# the exit file is <exit-dir>/<cid>: decimal, no newline, 0644
	assert_file_content "$XEXIT/$CID" "$1"
	[ "$(file_mode "$XEXIT/$CID")" = 644 ]
	[ "$(ls -A "$XEXIT")" = "$CID" ]
	k8s_check "$XLOG"
	assert_file_content "$T/out.stdout" $'out\n'
	assert_file_content "$T/out.stderr" $'err\n'
	# the target is unaffected
	container_running
	[ ! -e "$(exit_file)" ]
}

@test "exec api 1: status 0: pid record, exit record, exit file" {
	exec_code_case 0
}

@test "exec api 1: status 3: pid record, exit record, exit file" {
	exec_code_case 3
}

@test "exec api 1: an exec'd process killed with SIGKILL gives 137" {
	start_target
	podman_exec -- /bin/sleep 1000
	STATE=$XSTATE wait_sync
	local pid
	pid=$(exec_pid)
	assert_file_content "$XSTATE/sync.first" "{\"data\": $pid}"$'\n'
	kill -KILL "$pid"
	wait_exec
	[ "$DAEMON_RC" = 137 ]
	[ "$XSYNC" = "{\"data\": $pid}"$'\n{"data": 137}\n' ]
	assert_file_content "$XEXIT/$CID" 137
	container_running
}

@test "exec legacy (no --api-version, -u or -b): one record {\"exit_code\": N}" {
	start_target
	exec_spec /bin/sh -c 'echo legacy; exit 3'
	exec_launch -c "$CID" -n "$CID" -r "$RUNC" -p "$XPID" -e -l "k8s-file:$XLOG" \
		--socket-dir-path "$XSOCK_DIR" --exec-process-spec "$XSPEC" --runtime-arg "--root=$RUNC_ROOT"
	wait_exec
	[ "$DAEMON_RC" = 3 ]
	[ "$XSYNC" = $'{"exit_code": 3}\n' ]
	k8s_check "$XLOG"
	assert_file_content "$T/out.stdout" $'legacy\n'
	# no bundle: no attach socket, no symlink
	[ -z "$(ls -A "$XSOCK_DIR")" ]
}

@test "exec attach: vigil waits for the second start message; output from the start and stdin reach the client" {
	start_target
	exec_spec /bin/sh -c 'echo start; cat; echo end'
	podman_exec_args
	XENGINE_OPTS=(--attach-pipe)
	exec_launch "${XARGS[@]}" -i -e --exec-attach --exec-process-spec "$XSPEC"
	# the attach pipe says {"data": 0} once the socket and FIFOs exist
	wait_for_file "$XSTATE/attach.first"
	assert_file_content "$XSTATE/attach.first" $'{"data": 0}\n'
	[ -S "$XB/attach" ]
	[ -p "$XB/ctl" ]
	[ -p "$XB/winsz" ]
	# the runtime is not run before the second start message
	sleep 0.5
	[ ! -e "$XPID" ]
	[ ! -e "$XSTATE/sync.first" ]
	client_start c1 "$XB/attach" --send 'typed input\n'
	touch "$XSTATE/go2"
	client_wait c1
	wait_exec
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$T/c1.2" $'start\ntyped input\nend\n'
	assert_file_content "$T/c1.3" ''
	[ "$XSYNC" = "{\"data\": $(exec_pid)}"$'\n{"data": 0}\n' ]
	assert_file_content "$XEXIT/$CID" 0
	# the attach socket is removed at exit; the FIFOs are left to the engine
	[ ! -e "$XB/attach" ]
}

# exec_timeout_case [VIGIL_OPTS...]: a legacy --sync exec with -T 2 whose process group outlives it
exec_timeout_case()
{
	start_target
	# sh runs a background sleep and execs the last one: two processes in one process group
	exec_spec /bin/sh -c 'sleep 1000 & sleep 1001'
	XENGINE_OPTS=(--sync-kind pipe --start-kind none)
	exec_launch -c "$CID" -n "$CID" -r "$RUNC" -p "$XPID" -e -T 2 -l "k8s-file:$XLOG" \
		--socket-dir-path "$XSOCK_DIR" --sync --exec-process-spec "$XSPEC" --runtime-arg "--root=$RUNC_ROOT" "$@"
	local t0=$SECONDS
	wait_for test -s "$XPID"
	local pid kids
	pid=$(exec_pid)
	wait_for has_children "$pid"
	kids=$(cat "/proc/$pid/task/$pid/children")
	[ -n "$kids" ]
	if [[ -n ${EXPECT_SECCOMP:-} ]]; then
		# the monitor (engine.py launched it in the foreground, --sync)
		local mon
		mon=$(cat "$XSTATE/launch.pid")
		wait_for grep -q "^Seccomp:[[:space:]]*$EXPECT_SECCOMP\$" "/proc/$mon/status"
	fi
	wait_exec
	[ "$DAEMON_RC" = 255 ]
	[ "$XSYNC" = $'{"exit_code": -1, "message": "command timed out"}\n' ]
	((SECONDS - t0 >= 1))
	local p
	for p in $pid $kids; do
		WAIT_TIMEOUT=3 wait_for pid_gone "$p"
	done
	container_running
}

@test "exec legacy --sync -T 2: timeout record, vigil exits 255, the exec's process group is killed" {
	exec_timeout_case
}

@test "exec legacy --sync -T 2 --sandbox: a confined monitor still kills the exec's process group" {
	[[ -z ${VIGIL_VG_BINARY:-} ]] || skip "valgrind cannot run a confined process (seccomp, Landlock)"
	# LeakSanitizer's check at exit needs ptrace and clone, which a confined monitor has not
	[[ -z ${ASAN_OPTIONS:-} ]] || export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"
	EXPECT_SECCOMP=2 exec_timeout_case --sandbox
}

@test "exec of a missing binary (api 1): the runtime's error with -1, vigil exits 1" {
	start_target
	podman_exec -- /no-such-binary
	wait_exec
	[ "$DAEMON_RC" = 1 ]
	# exactly one record
	[ "$(printf '%s' "$XSYNC" | wc -l)" = 1 ]
	python3 - "$XSTATE/sync.all" data <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
key = sys.argv[2]
assert raw.startswith(b'{"%s": -1, "message": "' % key.encode()), raw
assert raw.endswith(b'"}\n'), raw
rec = json.loads(raw)
assert set(rec) == {key, "message"}, rec
assert "exec failed" in rec["message"], rec
assert "stat /no-such-binary: no such file or directory" in rec["message"], rec
# escaped as §4.4 says: '/' as '\/', '"' as '\"', newline as '\n'
assert b'stat \\/no-such-binary: no such file or directory\\"\\n"}\n' in raw, raw
PY
	container_running
}

@test "exec of a missing binary (legacy --sync): {\"exit_code\": -1, \"message\": ...}, vigil exits 1" {
	start_target
	exec_spec /no-such-binary
	XENGINE_OPTS=(--sync-kind pipe --start-kind none)
	exec_launch -c "$CID" -n "$CID" -r "$RUNC" -p "$XPID" -e -l "k8s-file:$XLOG" \
		--socket-dir-path "$XSOCK_DIR" --sync --exec-process-spec "$XSPEC" --runtime-arg "--root=$RUNC_ROOT"
	wait_exec
	[ "$DAEMON_RC" = 1 ]
	[ "$(printf '%s' "$XSYNC" | wc -l)" = 1 ]
	python3 - "$XSTATE/sync.all" exit_code <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
key = sys.argv[2]
assert raw.startswith(b'{"%s": -1, "message": "' % key.encode()), raw
assert raw.endswith(b'"}\n'), raw
rec = json.loads(raw)
assert set(rec) == {key, "message"}, rec
assert "exec failed" in rec["message"], rec
assert "stat /no-such-binary: no such file or directory" in rec["message"], rec
# escaped as §4.4 says: '/' as '\/', '"' as '\"', newline as '\n'
assert b'stat \\/no-such-binary: no such file or directory\\"\\n"}\n' in raw, raw
PY
}

@test "exec with a tty (-t): output through attach as stream 2 with \\r\\n" {
	start_target
	exec_spec --tty /bin/sh -c 'test -t 0 && echo stdin-tty; test -t 1 && echo stdout-tty; echo err >&2'
	podman_exec_args
	XENGINE_OPTS=(--attach-pipe)
	exec_launch "${XARGS[@]}" -t -e --exec-attach --exec-process-spec "$XSPEC"
	wait_for_file "$XSTATE/attach.first"
	client_start c1 "$XB/attach"
	touch "$XSTATE/go2"
	client_wait c1
	wait_exec
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$T/c1.2" $'stdin-tty\r\nstdout-tty\r\nerr\r\n'
	assert_file_content "$T/c1.3" ''
	[ "$XSYNC" = "{\"data\": $(exec_pid)}"$'\n{"data": 0}\n' ]
	k8s_check "$XLOG"
	assert_file_content "$T/out.stdout" $'stdin-tty\r\nstdout-tty\r\nerr\r\n'
}

@test "exec with a tty and stdin (-t -i): typed input reaches the process" {
	start_target
	exec_spec --tty /bin/sh -c 'read line; echo "got <$line>"'
	podman_exec_args
	XENGINE_OPTS=(--attach-pipe)
	exec_launch "${XARGS[@]}" -t -i -e --exec-attach --exec-process-spec "$XSPEC"
	wait_for_file "$XSTATE/attach.first"
	client_start c1 "$XB/attach" --send 'hello exec\n' --keep-open
	touch "$XSTATE/go2"
	client_wait c1
	wait_exec
	[ "$DAEMON_RC" = 0 ]
	grep -q $'^got <hello exec>\r$' "$T/c1.2"
}

@test "exec with a tty: quickly exiting execs never hang vigil" {
	start_target
	local i
	for i in 1 2 3 4 5; do
		rm -rf "$XSTATE" "$XEXIT" "$XPID"
		mkdir -p "$XSTATE" "$XEXIT"
		podman_exec -t -- --tty /bin/sh -c "exit $i"
		WAIT_TIMEOUT=10 wait_exec
		[ "$DAEMON_RC" = "$i" ]
		assert_file_content "$XEXIT/$CID" "$i"
		[ "$XSYNC" = "{\"data\": $(exec_pid)}"$'\n'"{\"data\": $i}"$'\n' ]
	done
}

@test "exec: --exit-delay 1 runs the exit command at least 1 s after the exit file" {
	start_target
	local cmd=$T/exit-command
	EXIT_DIR=$XEXIT make_exit_command "$cmd"
	podman_exec --exit-command "$cmd" --exit-command-arg "$SESSION" --exit-delay 1 -- /bin/sh -c 'exit 4'
	wait_exec
	# the command's status 0 keeps the exec's status
	[ "$DAEMON_RC" = 4 ]
	assert_file_content "$XEXIT/$CID" 4
	assert_file_content "$cmd.exitfile" 4
	assert_file_content "$cmd.args" "$SESSION"$'\n'
	python3 -c 'import sys; d = float(sys.argv[2]) - float(sys.argv[1]); print(d); assert d >= 0.95, d' \
		"$(mtime "$XEXIT/$CID")" "$(cat "$cmd.time")"
	# and vigil waited for it
	python3 -c 'import sys; assert float(sys.argv[1]) <= float(sys.argv[2])' \
		"$(cat "$cmd.time")" "$(mtime "$XSTATE/daemon.rc")"
}

@test "exec: CRI-O ExecSync argv end to end (plain pipe, --sync, pre-created pid file and log)" {
	start_target
	local tmp=$T/crio-tmp
	mkdir -p "$tmp"
	local pidfile=$tmp/pidfile-exec log=$tmp/crio-log-exec
	: >"$pidfile"
	: >"$log"
	exec_spec /bin/sh -c 'echo out1; sleep 0.1; echo err1 >&2; sleep 0.1; printf "partial"; exit 7'
	XENGINE_OPTS=(--sync-kind pipe --start-kind none)
	exec_launch -c "$CID" -n "$CID" -r "$RUNC" -p "$pidfile" -e -l "k8s-file:$log" \
		--socket-dir-path "$XSOCK_DIR" --log-level info --sync --log-global-size-max 16777216 -T 10 \
		--exec-process-spec "$XSPEC" --runtime-arg "--root=$RUNC_ROOT"
	wait_exec
	# cmd.Wait() status and the JSON from the pipe
	[ "$DAEMON_RC" = 7 ]
	[ "$XSYNC" = $'{"exit_code": 7}\n' ]
	[ -e "$XSTATE/sync.eof" ]
	k8s_check "$log"
	assert_file_content "$T/out.stdout" $'out1\npartial'
	assert_file_content "$T/out.stderr" $'err1\n'
	assert_file_content "$T/out.norm" $'TS stdout F out1\nTS stderr F err1\nTS stdout P partial\n'
	[ -z "$(ls -A "$XSOCK_DIR")" ]
	container_running
}

@test "exec --sync: the log is synced at exit when the session wrote to it, and not when it wrote nothing" {
	command -v strace >/dev/null || skip "strace not installed"
	start_target
	local case wrapper=$T/vigil-strace
	# the monitor under strace (without -f: not the runtime), its fsync-family calls counted;
	# LeakSanitizer cannot run under ptrace, so an ASan build's leak check is off here
	printf '#!/bin/sh\nASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" exec strace -qq -o "$VIGIL_STRACE_OUT" -e trace=fsync,fdatasync %q "$@"\n' \
		"$VIGIL_BINARY" >"$wrapper"
	chmod 755 "$wrapper"
	for case in quiet loud; do
		if [[ $case == quiet ]]; then exec_spec /bin/true; else exec_spec /bin/sh -c 'echo out'; fi
		: >"$T/$case.log"
		XSTATE=$T/xstate-$case
		mkdir -p "$XSTATE"
		XENGINE_OPTS=(--sync-kind pipe --start-kind none --env "VIGIL_STRACE_OUT=$T/$case.strace")
		VIGIL_BINARY=$wrapper exec_launch -c "$CID" -n "$CID" -r "$RUNC" -p "$T/$case.pid" -e \
			-l "k8s-file:$T/$case.log" --socket-dir-path "$XSOCK_DIR" --sync -T 10 \
			--exec-process-spec "$XSPEC" --runtime-arg "--root=$RUNC_ROOT"
		wait_exec
		[ "$DAEMON_RC" = 0 ] || { echo "$case: vigil exited $DAEMON_RC" >&2; cat "$XSTATE/engine.out" >&2; false; }
	done
	[ "$(stat -c %s "$T/quiet.log")" = 0 ]
	[ "$(grep -c 'fdatasync(' "$T/quiet.strace")" = 0 ]
	k8s_check "$T/loud.log"
	assert_file_content "$T/out.stdout" $'out\n'
	[ "$(grep -c 'fdatasync(' "$T/loud.strace")" = 1 ]
}

@test "exec attach with a tty: a resize written to ctl before the second start message applies" {
	start_target
	exec_spec --tty /bin/sh -c 'stty size'
	podman_exec_args
	XENGINE_OPTS=(--attach-pipe)
	exec_launch "${XARGS[@]}" -t -e --exec-attach --exec-process-spec "$XSPEC"
	wait_for_file "$XSTATE/attach.first"
	# podman: read {"data": 0}, write the terminal size to ctl, connect, second start byte (§4.5)
	fifo_write "$XB/ctl" '1 37 111\n'
	client_start c1 "$XB/attach"
	touch "$XSTATE/go2"
	client_wait c1
	wait_exec
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$T/c1.2" $'37 111\r\n'
}

@test "exec api 1 -T 1: {\"data\": -1, \"message\": \"command timed out\"}, exit file -1, vigil exits 255" {
	start_target
	podman_exec -T 1 -- /bin/sleep 1000
	STATE=$XSTATE wait_sync
	local pid
	pid=$(exec_pid)
	wait_exec
	[ "$DAEMON_RC" = 255 ]
	[ "$XSYNC" = "{\"data\": $pid}"$'\n{"data": -1, "message": "command timed out"}\n' ]
	assert_file_content "$XEXIT/$CID" -1
	WAIT_TIMEOUT=3 wait_for pid_gone "$pid"
	container_running
}

@test "exec: CRI-O ExecSync with a tty (-t, legacy, --sync): output logged with \\r\\n" {
	start_target
	local pidfile=$T/pidfile-exec log=$T/crio-log-exec
	: >"$pidfile"
	: >"$log"
	exec_spec --tty /bin/sh -c 'test -t 1 && echo tty; exit 2'
	XENGINE_OPTS=(--sync-kind pipe --start-kind none)
	exec_launch -c "$CID" -n "$CID" -r "$RUNC" -p "$pidfile" -e -t -T 10 -l "k8s-file:$log" \
		--socket-dir-path "$XSOCK_DIR" --log-level info --sync --exec-process-spec "$XSPEC" \
		--runtime-arg "--root=$RUNC_ROOT"
	WAIT_TIMEOUT=10 wait_exec
	[ "$DAEMON_RC" = 2 ]
	[ "$XSYNC" = $'{"exit_code": 2}\n' ]
	k8s_check "$log"
	assert_file_content "$T/out.norm" $'TS stdout F tty\r\n'
}

@test "exec api 1: an engine that closes the sync pipe after the pid record still gets the exit file and status" {
	start_target
	exec_spec /bin/sh -c 'sleep 0.3; exit 3'
	podman_exec_args
	XENGINE_OPTS=(--attach-pipe --close-sync-after-first)
	touch "$XSTATE/go2"
	exec_launch "${XARGS[@]}" -e --exec-attach --exec-process-spec "$XSPEC"
	wait_exec
	# the EPIPE on the exit record is not an error (§4.4)
	[ "$DAEMON_RC" = 3 ]
	assert_file_content "$XEXIT/$CID" 3
	assert_file_content "$XSTATE/sync.first" "{\"data\": $(exec_pid)}"$'\n'
}

@test "exec api 1 without --full-attach: <socket-dir>/<session> links to the exec bundle, removed at exit" {
	start_target
	exec_spec /bin/sh -c 'echo via-link; while [ ! -e /out/go ]; do sleep 0.02; done'
	podman_exec_args
	local i
	for i in "${!XARGS[@]}"; do
		[[ ${XARGS[i]} == --full-attach ]] && unset 'XARGS[i]'
	done
	XENGINE_OPTS=(--attach-pipe)
	exec_launch "${XARGS[@]}" --socket-dir-path "$XSOCK_DIR" -e --exec-attach --exec-process-spec "$XSPEC"
	wait_for_file "$XSTATE/attach.first"
	[ "$(readlink "$XSOCK_DIR/$SESSION")" = "$XB" ]
	client_start c1 "$XSOCK_DIR/$SESSION/attach"
	touch "$XSTATE/go2"
	wait_for_file "$XPID"
	touch "$OUT_DIR/go"
	client_wait c1
	wait_exec
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$T/c1.2" $'via-link\n'
	[ -z "$(ls -A "$XSOCK_DIR")" ]
}
