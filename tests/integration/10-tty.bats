#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Terminal containers (interface.md §5.2, §4.4 "-t but the runtime never sent a pty", §7 resize,
# §6.3 "with a tty everything comes as 2", §3.5 quick exits).

load helpers

setup()
{
	vigil_setup
}

teardown()
{
	clients_teardown
	vigil_teardown
}

# ctr_pid: the container's pid (from the runtime's pid file)
ctr_pid()
{
	cat "$CTR_PIDFILE"
}

# make_held_runtime PATH: a runtime wrapper that records its argv in PATH.argv (one per line) and
# whether the --console-socket path was a listening socket then (PATH.console: "socket"/"missing"),
# touches PATH.started, then waits (at most 30 s) for PATH.go before exec'ing the real runc.
# Only the first invocation (the create) is held.
make_held_runtime()
{
	local path=$1
	cat >"$path" <<EOF
#!/bin/bash
if [[ ! -e "$path.argv" ]]; then
	printf '%s\n' "\$@" >"$path.argv"
	prev=
	for a in "\$@"; do
		if [[ \$prev == --console-socket ]]; then
			if [[ -S \$a ]]; then echo socket; else echo missing; fi >"$path.console"
		fi
		prev=\$a
	done
	touch "$path.started"
	for ((i = 0; i < 1500; i++)); do
		[[ -e "$path.go" ]] && break
		sleep 0.02
	done
fi
exec "$RUNC" "\$@"
EOF
	chmod 755 "$path"
}

@test "tty: stty size follows a resize sent before start and one sent while the container runs" {
	make_bundle /bin/sh -c 'stty size; while [ ! -e /out/go ]; do sleep 0.02; done; stty size'
	bundle_tty
	bundle_out_mount
	vigil_create -t
	local pid
	pid=$(ctr_pid)
	# the pty of a runc container starts at 0x0
	[ "$(tty_size "$pid")" = "0 0" ]
	ctl_write '1 25 80\n'
	# applied to the pty before the container was started
	wait_for tty_size_is "$pid" "25 80"
	container_start
	wait_for_grep '^[^ ]+ stdout F 25 80'$'\r''$' "$LOG"
	ctl_write '1 40 132\n'
	wait_for tty_size_is "$pid" "40 132"
	touch "$OUT_DIR/go"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	assert_file_content "$T/out.stdout" $'25 80\r\n40 132\r\n'
	assert_file_content "$T/out.stderr" ''
}

@test "tty: a resize sent before the pty master exists is applied when it arrives (winsz, #82)" {
	local rt=$T/held-runtime
	make_held_runtime "$rt"
	make_bundle /bin/sh -c 'stty size'
	bundle_tty
	mkdir -p "$T/tmpdir"
	ENGINE_OPTS=(--env "TMPDIR=$T/tmpdir")
	vigil_args_with_runtime "$rt"
	vigil_launch_raw "${VARGS[@]}" -t
	# vigil made the FIFOs and the console socket, and started the runtime, which is held
	wait_for_file "$rt.started"
	[ -p "$BUNDLE/ctl" ]
	ctl_write '1 33 99\n'
	sleep 0.2
	touch "$rt.go"
	wait_sync
	[[ $SYNC_FIRST == '{"data": '[0-9]*'}' ]]
	# the console socket was $TMPDIR/conmon-term.XXXXXX, listening when the runtime started,
	# and it is gone once the runtime handed over the pty master
	local sock
	sock=$(grep -A1 -x -- --console-socket "$rt.argv" | tail -1)
	[[ $sock == "$T/tmpdir/conmon-term."?????? ]]
	assert_file_content "$rt.console" $'socket\n'
	[ ! -e "$sock" ]
	[ -z "$(ls -A "$T/tmpdir")" ]
	wait_for tty_size_is "$(ctr_pid)" "33 99"
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	assert_file_content "$T/out.stdout" $'33 99\r\n'
}

@test "tty: output reaches attach clients as stream 2 only; the k8s log has \\r\\n line ends" {
	make_bundle /bin/sh -c 'echo out; echo err >&2; printf "no newline"'
	bundle_tty
	vigil_create -t --full-attach
	client_start c1 "$BUNDLE/attach"
	container_start
	client_wait c1
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$T/c1.2" $'out\r\nerr\r\nno newline'
	assert_file_content "$T/c1.3" ''
	# every message is stream 2 with 1..8192 payload bytes
	[ "$(grep -c -v '^2 ' "$T/c1.sizes")" = 0 ]
	k8s_check "$LOG"
	assert_file_content "$T/out.stdout" $'out\r\nerr\r\nno newline'
	assert_file_content "$T/out.stderr" ''
	assert_file_content "$T/out.norm" $'TS stdout F out\r\nTS stdout F err\r\nTS stdout P no newline\n'
}

@test "tty: input typed through an attach client (-i -t) reaches sh and comes back echoed" {
	make_bundle /bin/sh
	bundle_tty
	vigil_create -t -i --full-attach
	# typed before the container starts: buffered in the pty until sh reads it (§5.2.7)
	client_start c1 "$BUNDLE/attach" --send 'echo $((6*7))\nexit 5\n' --keep-open
	container_start
	client_wait c1
	wait_daemon
	[ "$DAEMON_RC" = 5 ]
	assert_file_content "$(exit_file)" 5
	# the terminal echoed the command line, and sh ran it: 42 appears only in the output
	grep -qF 'echo $((6*7))' "$T/c1.2"
	grep -q $'^42\r$' "$T/c1.2"
	assert_file_content "$T/c1.3" ''
	k8s_check "$LOG"
	cmp "$T/out.stdout" "$T/c1.2"
}

@test "tty: an attach client that sends and shuts down does not lose its input (-i -t)" {
	make_bundle /bin/sh -c 'read line; echo "got <$line>"'
	bundle_tty
	vigil_create -t -i --full-attach
	container_start
	client_start c1 "$BUNDLE/attach" --send 'hello tty\n'
	client_wait c1
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	grep -q $'^got <hello tty>\r$' "$T/c1.2"
}

@test "tty: quickly exiting tty containers never hang vigil" {
	local i
	for i in 1 2 3 4 5; do
		vigil_reset
		make_bundle /bin/echo hi
		bundle_tty
		vigil_create -t
		container_start
		WAIT_TIMEOUT=10 wait_daemon
		[ "$DAEMON_RC" = 0 ]
		assert_file_content "$(exit_file)" 0
		k8s_check "$LOG"
		assert_file_content "$T/out.stdout" $'hi\r\n'
	done
}

@test "tty: -t with a terminal:false config: runc's refusal is relayed as -1 and vigil exits 1" {
	make_bundle /bin/echo hi
	vigil_launch -t
	wait_launch
	wait_daemon
	[ "$DAEMON_RC" = 1 ]
	# one record with runc's stderr as the message
	[ "$(wc -l <"$STATE/sync.all")" = 1 ]
	python3 - "$STATE/sync.all" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
assert raw.startswith(b'{"data": -1, "message": "'), raw
assert raw.endswith(b'"}\n'), raw
rec = json.loads(raw)
assert set(rec) == {"data", "message"}, rec
assert "cannot use console socket if runc will not detach or allocate tty" in rec["message"], rec
PY
	[ ! -e "$(exit_file)" ]
}

@test "tty: a runtime that succeeds without sending a pty gives -1 \"Runtime did not set up terminal\"" {
	# a runtime that drops --console-socket: runc creates the container without a terminal
	local rt=$T/no-console-runtime
	cat >"$rt" <<EOF
#!/bin/bash
args=()
while ((\$#)); do
	if [[ \$1 == --console-socket ]]; then shift 2; continue; fi
	args+=("\$1")
	shift
done
exec "$RUNC" "\${args[@]}"
EOF
	chmod 755 "$rt"
	make_bundle /bin/echo hi
	vigil_args_with_runtime "$rt"
	vigil_launch_raw "${VARGS[@]}" -t
	wait_launch
	wait_daemon
	[ "$DAEMON_RC" = 1 ]
	assert_file_content "$STATE/sync.all" $'{"data": -1, "message": "Runtime did not set up terminal"}\n'
	[ ! -e "$(exit_file)" ]
}

@test "tty: a resize applies while a stalled attach client holds the output back" {
	# 3 MiB of text lines: more than the 1 MiB client queue, the socket buffer and the pty buffer
	head -c 2400000 /dev/urandom | base64 >"$DATA_DIR/text"
	make_bundle /bin/sh -c 'cat /data/text; stty size'
	bundle_tty
	vigil_create -t --full-attach
	local pid
	pid=$(ctr_pid)
	client_start c1 "$BUNDLE/attach" --slow-until "$T/release" --slow-interval 1000
	container_start
	# back-pressure: the log stops growing well before all the output is read
	local prev=-1 size i
	for ((i = 0; i < 100; i++)); do
		sleep 0.3
		size=$(stat -c %s "$LOG")
		((size > 0 && size == prev)) && break
		prev=$size
	done
	((size == prev))
	((size < 2000000))
	[ ! -e "$(exit_file)" ]
	# the ctl FIFO is still served
	ctl_write '1 50 150\n'
	WAIT_TIMEOUT=3 wait_for tty_size_is "$pid" "50 150"
	touch "$T/release"
	client_wait c1
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	# nothing was lost: the client and the log got the text with \r\n line ends, then the size
	{
		sed 's/$/\r/' "$DATA_DIR/text"
		printf '50 150\r\n'
	} >"$T/expected"
	cmp "$T/c1.2" "$T/expected"
	[ "$(grep -c -v '^2 ' "$T/c1.sizes")" = 0 ]
	[ -z "$(awk '$2 < 1 || $2 > 8192' "$T/c1.sizes")" ]
	k8s_check "$LOG"
	cmp "$T/out.stdout" "$T/expected"
}

@test "tty: 200 kB pasted through an attach client (-t -i) reach a raw-mode reader complete" {
	head -c 150000 /dev/urandom | base64 -w 0 >"$T/input"
	local n
	n=$(stat -c %s "$T/input")
	make_bundle /bin/sh -c "stty raw -echo; touch /out/ready; head -c $n >/out/input; echo done"
	bundle_tty
	bundle_out_mount
	vigil_create -t -i --full-attach
	container_start
	wait_for_file "$OUT_DIR/ready"
	# the pty input queue is a few kB: vigil must hold back and resume, losing nothing
	client_start c1 "$BUNDLE/attach" --send-file "$T/input" --keep-open
	client_wait c1
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	cmp "$OUT_DIR/input" "$T/input"
	# raw mode: no \r added
	assert_file_content "$T/c1.2" $'done\n'
}
