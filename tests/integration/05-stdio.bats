#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Stdio (interface.md §5.1) and the attach socket that carries it to clients (§6.1-§6.3, §6.5).

load helpers

# attach_start SOCKET NAME [--send TEXT]: connect a client in the background; output in $T/NAME.*
attach_start()
{
	local sock=$1 name=$2
	shift 2
	python3 "$INTEGRATION_DIR/attach_client.py" "$sock" "$T/$name" "$@" >"$T/$name.stderr" 2>&1 3>&- &
	ATTACH_PID=$!
	wait_for_file "$T/$name.connected"
}

# attach_wait: the client got EOF from vigil (it has its own timeout)
attach_wait()
{
	local rc=0
	wait "$ATTACH_PID" || rc=$?
	cat "$T"/*.stderr >&2 || true
	[ "$rc" = 0 ]
}

# check_framing NAME: every message is stream 2 or 3 with 1..8192 payload bytes
check_framing()
{
	local sid len
	while read -r sid len; do
		[[ $sid == 2 || $sid == 3 ]] || return 1
		((len >= 1 && len <= 8192)) || {
			echo "message of $len payload bytes"
			return 1
		}
	done <"$T/$1.sizes"
}

@test "stdio: stdout and stderr are kept apart" {
	run_container -- /bin/sh -c 'echo out1; echo err1 >&2; echo out2; echo err2 >&2; printf out3; printf err3 >&2'
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	assert_file_content "$T/out.stdout" $'out1\nout2\nout3'
	assert_file_content "$T/out.stderr" $'err1\nerr2\nerr3'
}

@test "stdio: --full-attach socket at <bundle>/attach carries output and stdin (-i)" {
	make_bundle /bin/sh -c 'echo started; cat; echo err >&2; echo done'
	vigil_create --full-attach -i
	local sock=$BUNDLE/attach
	[ -S "$sock" ]
	[ "$(file_mode "$sock")" = 700 ]
	# --full-attach: no symlink in the socket dir
	[ ! -e "$SOCK_DIR/$CUUID" ]
	[ ! -L "$SOCK_DIR/$CUUID" ]
	# the client attaches before the container starts (podman start --attach)
	attach_start "$sock" c1 --send 'hello\nworld\n'
	container_start
	attach_wait
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	# the client's input reached the container's stdin; its disconnect closed stdin (§6.5)
	assert_file_content "$T/c1.2" $'started\nhello\nworld\ndone\n'
	assert_file_content "$T/c1.3" $'err\n'
	[ -e "$T/c1.eof" ]
	check_framing c1
	k8s_check "$LOG"
	assert_file_content "$T/out.stdout" $'started\nhello\nworld\ndone\n'
	# the socket is removed at a normal exit
	[ ! -e "$sock" ]
}

@test "stdio: default attach location is <socket-dir>/<cuuid>/attach through a symlink" {
	CUUID=$CID-session
	make_bundle /bin/sh -c 'echo started; cat; echo done'
	vigil_create -i
	[ -L "$SOCK_DIR/$CUUID" ]
	[ "$(readlink "$SOCK_DIR/$CUUID")" = "$BUNDLE" ]
	[ -S "$BUNDLE/attach" ]
	attach_start "$SOCK_DIR/$CUUID/attach" c1 --send 'via symlink\n'
	container_start
	attach_wait
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$T/c1.2" $'started\nvia symlink\ndone\n'
	check_framing c1
	# the symlink and the socket are removed at exit
	[ ! -L "$SOCK_DIR/$CUUID" ]
	[ ! -e "$BUNDLE/attach" ]
}

@test "stdio: large output reaches an attach client in messages of at most 8192 bytes" {
	head -c 300000 /dev/urandom >"$DATA_DIR/blob"
	head -c 70000 /dev/urandom >"$DATA_DIR/blob2"
	make_bundle /bin/sh -c 'cat /data/blob; cat /data/blob2 >&2'
	vigil_create --full-attach
	attach_start "$BUNDLE/attach" c1
	container_start
	attach_wait
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	cmp "$T/c1.2" "$DATA_DIR/blob"
	cmp "$T/c1.3" "$DATA_DIR/blob2"
	check_framing c1
	# the log got the same bytes
	k8s_check "$LOG"
	cmp "$T/out.stdout" "$DATA_DIR/blob"
	cmp "$T/out.stderr" "$DATA_DIR/blob2"
}

@test "stdio: two attach clients both get the output" {
	make_bundle /bin/sh -c 'echo one; echo two >&2'
	vigil_create --full-attach
	attach_start "$BUNDLE/attach" c1
	local first=$ATTACH_PID
	attach_start "$BUNDLE/attach" c2
	container_start
	attach_wait
	ATTACH_PID=$first
	attach_wait
	wait_daemon
	local c
	for c in c1 c2; do
		assert_file_content "$T/$c.2" $'one\n'
		assert_file_content "$T/$c.3" $'two\n'
	done
}

@test "stdio: with -i and --leave-stdin-open a client disconnect does not close stdin" {
	make_bundle /bin/sh -c 'read a; echo "got $a"; read b; echo "got $b"'
	vigil_create --full-attach -i --leave-stdin-open
	attach_start "$BUNDLE/attach" c1 --send 'first\n'
	local first=$ATTACH_PID
	container_start
	wait_for_grep ' stdout F got first$' "$LOG"
	attach_start "$BUNDLE/attach" c2 --send 'second\n'
	attach_wait
	ATTACH_PID=$first
	attach_wait
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	assert_file_content "$T/out.stdout" $'got first\ngot second\n'
}

@test "stdio: ctl and winsz FIFOs are made in the bundle with mode 0640, replacing files" {
	echo stale >"$BUNDLE/ctl"
	make_bundle /bin/sh -c 'echo x'
	vigil_create
	[ -p "$BUNDLE/ctl" ]
	[ -p "$BUNDLE/winsz" ]
	[ "$(file_mode "$BUNDLE/ctl")" = 640 ]
	[ "$(file_mode "$BUNDLE/winsz")" = 640 ]
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
}

@test "stdio: attach clients are closed before the exit file is written" {
	make_bundle /bin/sh -c 'echo bye'
	vigil_create --full-attach
	attach_start "$BUNDLE/attach" c1 --exit-file "$(exit_file)"
	container_start
	attach_wait
	wait_daemon
	assert_file_content "$T/c1.2" $'bye\n'
	assert_file_content "$T/c1.at-exit-file" closed
}
