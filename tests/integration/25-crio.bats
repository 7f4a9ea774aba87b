#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# vigil driven exactly as CRI-O drives a monitor (interface.md §1.2 "CRI-O create" and "CRI-O
# ExecSync", §4.4 legacy records, §6.1, §7 ctl, §8 log caps), with real runc, on a machine as it is
# after a fresh install: /run (so /var/run/crio) starts empty. The whole CRI-O daemon is in
# tests/crio; here each CRI-O call is replayed by engine.py so that every byte can be checked.

load helpers
load faults

setup()
{
	faults_setup
	SYSLOG_CAPTURE=$T/syslog
	# CRI-O's per-container dirs: the bundle (also its cwd), the persist dir, its attach dir
	PERSIST=$T/containers/$CID
	mkdir -p "$PERSIST"
	XB=$T/exec-tmp # CRI-O's temp dir for one ExecSync
	XSTATE=$T/exec-engine
	XSPEC=$XB/exec-process
	XPID=$XB/pidfile-exec
	XLOG=$XB/crio-log-exec
	mkdir -p "$XB" "$XSTATE"
	XSOCK_DIR=$T/exec-sockets # CRI-O passes its attach dir; legacy exec puts nothing there
	mkdir -p "$XSOCK_DIR"
	XENGINE_PID=
	XENGINE_OPTS=()
}

teardown()
{
	clients_teardown
	exec_teardown
	faults_teardown
}

# crio_create_args [EXTRA...]: CRI-O 1.26's create command line (runtime_oci.go), in its order,
# into VARGS; SOCK_DIR may be a directory that does not exist yet.
crio_create_args()
{
	VARGS=(-b "$BUNDLE" -c "$CID" --exit-dir "$EXIT_DIR" -l "$LOG" --log-level info -n "k8s_ctr_${CID}"
		-P "$BUNDLE/conmon-pidfile" -p "$BUNDLE/pidfile" --persist-dir "$PERSIST" -r "$RUNC"
		--runtime-arg "--root=$RUNC_ROOT")
	[[ -n $SOCK_DIR ]] && VARGS+=(--socket-dir-path "$SOCK_DIR")
	VARGS+=(--syslog -u "$CID" "$@")
}

# crio_create [EXTRA...]: launch as CRI-O does (cwd = bundle, legacy API) and expect {"pid": N}
crio_create()
{
	crio_create_args "$@"
	ENGINE_OPTS+=(--cwd "$BUNDLE")
	vigil_launch_raw "${VARGS[@]}"
	wait_launch
	wait_sync
	if [[ $SYNC_FIRST != '{"pid": '[0-9]*'}' ]]; then
		echo "create failed: launch rc $LAUNCH_RC, sync record '$SYNC_FIRST'" >&2
		cat "$STATE/vigil.err" "$SYSLOG_CAPTURE" >&2
		return 1
	fi
}

# crio_exec_sync SECONDS ARGS...: CRI-O 1.26's ExecSync command line (a plain pipe for the sync fd,
# no start pipe, a pid file and a log file it made empty beforehand, 16 MiB global cap, -T SECONDS)
crio_exec_sync()
{
	local timeout=$1
	shift
	exec_spec "$@"
	: >"$XPID"
	: >"$XLOG"
	XENGINE_OPTS=(--sync-kind pipe --start-kind none)
	exec_launch -c "$CID" -n "k8s_ctr_${CID}" -r "$RUNC" -p "$XPID" -e -l "$XLOG" --socket-dir-path "$XSOCK_DIR" \
		--log-level info --sync --log-global-size-max 16777216 -T "$timeout" --exec-process-spec "$XSPEC" \
		--runtime-arg "--root=$RUNC_ROOT"
}

# start_target: a running container to exec into (its monitor started as CRI-O does)
start_target()
{
	make_bundle /bin/sleep 1000
	crio_create
	container_start
	wait_for container_running
}

@test "crio create on a fresh /run: /var/run/crio is made, {\"pid\": N}, attach and stdin through the link, exit files" {
	# CRI-O's default container_attach_socket_dir, on a machine that never ran a container
	ns_wrap --tmpfs /run 1m
	SOCK_DIR=/var/run/crio
	make_bundle /bin/sh -c 'read x; echo "got $x"; echo err >&2; printf tail; exit 3'
	crio_create -i
	wait_ns
	local run sock
	run=$(ns_path /run)
	[ "$(file_mode "$run/crio")" = 755 ]
	[ "$(readlink "$run/crio/$CID")" = "$BUNDLE" ]
	# the daemon's pid, no newline, in the bundle (-P), the container's from runc (-p)
	[[ $(cat "$BUNDLE/conmon-pidfile") =~ ^[0-9]+$ ]]
	[ "$(cat "$BUNDLE/conmon-pidfile")" = "$(daemon_pid)" ]
	assert_file_content "$STATE/sync.first" "{\"pid\": $(cat "$BUNDLE/pidfile")}"$'\n'
	# CRI-O dials <socket-dir>/<id>/attach (here through the namespace's root)
	sock=$run/crio/$CID/attach
	client_start c1 "$sock" --send $'hello\n'
	container_start
	client_wait c1
	wait_daemon
	# the daemon exits with the container's code
	[ "$DAEMON_RC" = 3 ]
	assert_file_content "$T/c1.2" $'got hello\ntail'
	assert_file_content "$T/c1.3" $'err\n'
	assert_file_content "$(exit_file)" 3
	assert_file_content "$PERSIST/exit" 3
	# order is kept within a stream, not across the two pipes
	k8s_check "$LOG"
	assert_file_content "$T/out.stdout" $'got hello\ntail'
	assert_file_content "$T/out.stderr" $'err\n'
	[ "$(grep -c '^TS stdout F got hello$' "$T/out.norm")" = 1 ]
	[ "$(grep -c '^TS stdout P tail$' "$T/out.norm")" = 1 ]
	# the link goes at exit, the directory stays for the next container; nothing went wrong
	[ ! -L "$run/crio/$CID" ]
	[ -d "$run/crio" ]
	[ "$(syslog_count "<error>")" = 0 ]
}

@test "crio create without --socket-dir-path on a fresh /run: the default /var/run/crio is made" {
	ns_wrap --tmpfs /run 1m
	SOCK_DIR=
	make_bundle /bin/sh -c 'echo one'
	crio_create
	wait_ns
	# (/var/run is a symlink to /run, which ns_path cannot follow into the namespace)
	[ "$(readlink "$(ns_path /run/crio)/$CID")" = "$BUNDLE" ]
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$(exit_file)" 0
	[ ! -L "$(ns_path /run/crio)/$CID" ]
	[ "$(syslog_count "<error>")" = 0 ]
}

@test "crio ExecSync: output rebuilt from the log, exit code from the record and the status" {
	start_target
	crio_exec_sync 10 /bin/sh -c 'echo out1; echo err1 >&2; printf "no newline"; exit 7'
	wait_exec
	[ "$DAEMON_RC" = 7 ]
	[ "$XSYNC" = $'{"exit_code": 7}\n' ]
	k8s_check "$XLOG"
	assert_file_content "$T/out.stdout" $'out1\nno newline'
	assert_file_content "$T/out.stderr" $'err1\n'
	# legacy exec has no bundle: nothing in the socket dir, the pid file is runc's
	[ -z "$(ls -A "$XSOCK_DIR")" ]
	[[ $(cat "$XPID") =~ ^[0-9]+$ ]]
	container_running
}

@test "crio ExecSync: 20 MiB of output stops at the 16 MiB global cap, at a record boundary; the exit code still comes" {
	start_target
	# 3,000,000 numbered lines: 20,888,897 bytes
	crio_exec_sync 60 /bin/sh -c 'seq 1 3000000; exit 4'
	wait_exec
	[ "$DAEMON_RC" = 4 ]
	[ "$XSYNC" = $'{"exit_code": 4}\n' ]
	k8s_check "$XLOG"
	python3 - "$XLOG" "$T/out.stdout" <<'PY'
import os, sys
log, out = sys.argv[1], sys.argv[2]
cap = 16 * 1024 * 1024
size = os.path.getsize(log)
# the cap is checked before each record: the last record may go over it, by less than one line
assert cap <= size < cap + 64, size
got = open(out, "rb").read()
want = b"".join(b"%d\n" % i for i in range(1, 3000001))
assert want.startswith(got), "stdout is not a prefix of the sequence"
assert got.endswith(b"\n"), "the log ends inside a line"
print("logged %d of %d bytes, log %d bytes" % (len(got), len(want), size))
PY
	[ ! -s "$T/out.stderr" ]
	container_running
}

@test "crio ExecSync -T 2: {\"exit_code\": -1, \"message\": \"command timed out\"}, exit 255, the output so far kept" {
	start_target
	crio_exec_sync 2 /bin/sh -c 'echo started; exec sleep 60'
	local t0=$SECONDS
	wait_exec
	[ "$DAEMON_RC" = 255 ]
	[ "$XSYNC" = $'{"exit_code": -1, "message": "command timed out"}\n' ]
	((SECONDS - t0 < 20))
	k8s_check "$XLOG"
	assert_file_content "$T/out.stdout" $'started\n'
	container_running
}

@test "crio log reopen: kubelet renames the log, sends \"2 0 0\", and sees the file created again at once" {
	SOCK_DIR=$T/crio-attach
	make_bundle /bin/sh -c 'echo before; while [ ! -e /out/go ]; do sleep 0.02; done; echo after; echo after2 >&2'
	bundle_out_mount
	crio_create
	container_start
	wait_for_grep ' stdout F before$' "$LOG"
	mv "$LOG" "$LOG.1"
	# CRI-O waits for a Create (or Write) event for the log path after writing to ctl
	local events=$STATE/log-dir-events
	python3 "$INTEGRATION_DIR/dir_events.py" "$events" "$(dirname "$LOG")" --until "$LOG" --timeout 10 3>&- &
	echo $! >>"$BG_PIDS"
	wait_for_file "$events.ready"
	printf '2 0 0\n' >"$BUNDLE/ctl"
	wait_for_file "$events.done"
	# fsnotify reports IN_CREATE and IN_MOVED_TO (vigil's temp file renamed into place) as Create
	grep -qxF -e "$LOG CREATE" -e "$LOG MOVED_TO" "$events"
	touch "$OUT_DIR/go"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG.1"
	assert_file_content "$T/out.norm" $'TS stdout F before\n'
	k8s_check "$LOG"
	assert_file_content "$T/out.stdout" $'after\n'
	assert_file_content "$T/out.stderr" $'after2\n'
}

@test "crio: --no-container-partial-message without journald warns in conmon's words and goes on" {
	SOCK_DIR=$T/crio-attach
	make_bundle /bin/sh -c 'printf part'
	crio_create --no-container-partial-message
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	grep -qxF -- "[conmon:w]: --no-container-partial-message has no effect without journald log driver" \
		"$STATE/vigil.err"
	k8s_check "$LOG"
	assert_file_content "$T/out.norm" $'TS stdout P part\n'
}
