#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Path faults: exit and persist dirs that are missing, read-only or full (§9.1), long paths for
# the socket dir, the bundle and TMPDIR (§6.1, §5.2, §15 sun_path), a missing or unmakeable socket dir (§6.1).
# vigil must report a clear one-line error (through --syslog once it has daemonized) and exit 1,
# or work as documented; never hang, never leave temp files or processes behind.

load helpers
load faults

setup()
{
	faults_setup
	SYSLOG_CAPTURE=$T/syslog
	EXITCMD=$T/exit-command
}

teardown()
{
	faults_teardown
}

# long_dir BASE LEN: create and print a directory path of exactly LEN characters below BASE
long_dir()
{
	python3 - "$1" "$2" <<'PY'
import os, sys
base, n = sys.argv[1], int(sys.argv[2])
path = base
i = 0
while len(path) < n:
    left = n - len(path) - 1          # room after the next "/"
    if left <= 0:
        sys.exit("base too long")
    seg = min(left, 60)
    if 0 < left - seg < 2:            # never leave a remainder too short for "/x"
        seg = left - 2
    path += "/" + (chr(ord("a") + i % 26) * seg)
    i += 1
os.makedirs(path, exist_ok=True)
assert len(path) == n, (len(path), n)
print(path)
PY
}

# only_error_is TEXT: the syslog capture has exactly one error line, with exactly TEXT
only_error_is()
{
	cat "$SYSLOG_CAPTURE"
	[ "$(syslog_count "<error>")" = 1 ]
	grep -qF -- "<error>: $1" "$SYSLOG_CAPTURE"
	[ "$(grep -F -- "<error>" "$SYSLOG_CAPTURE" | sed 's/.*<error>: //')" = "$1" ]
}

# ---------------------------------------------------------------------------------------------
# exit and persist dirs

@test "exit dir removed while the container runs: one clear error, exit 1, persist file written, no hang" {
	mkdir "$T/persist"
	make_bundle /bin/sh -c 'while [ ! -e /out/stop ]; do sleep 0.02; done; echo done'
	bundle_out_mount
	vigil_create --syslog --persist-dir "$T/persist"
	container_start
	wait_for container_running
	rmdir "$EXIT_DIR"
	touch "$OUT_DIR/stop"
	wait_daemon
	wait_engine
	[ "$DAEMON_RC" = 1 ]
	assert_file_content "$T/persist/exit" 0
	[ "$(ls -A "$T/persist")" = exit ]
	[ ! -e "$EXIT_DIR" ]
	only_error_is "Failed to write 0 to exit file: No such file or directory"
	grep -q ' stdout F done$' "$LOG"
	reaped "$(daemon_pid)"
}

@test "exit dir is a regular file: one clear error (Not a directory), exit 1" {
	: >"$T/not-a-dir"
	make_bundle /bin/sh -c 'exit 4'
	default_vigil_args
	vigil_launch_raw "${VARGS[@]}" --syslog --exit-dir "$T/not-a-dir"
	wait_sync
	container_start
	wait_daemon
	wait_engine
	[ "$DAEMON_RC" = 1 ]
	[ ! -s "$T/not-a-dir" ]
	only_error_is "Failed to write 4 to exit file: Not a directory"
}

@test "exit dir on a full disk: one clear error (No space left), exit 1, no temp file left behind" {
	ns_wrap --tmpfs "$EXIT_DIR" 4k
	make_bundle /bin/sh -c 'while [ ! -e /out/stop ]; do sleep 0.02; done; exit 5'
	bundle_out_mount
	vigil_create --syslog
	local vexit
	vexit=$(ns_path "$EXIT_DIR")
	# fill the 4 KiB tmpfs
	run dd if=/dev/zero of="$vexit/filler" bs=4k
	container_start
	wait_for container_running
	touch "$OUT_DIR/stop"
	wait_daemon
	[ "$DAEMON_RC" = 1 ]
	# the atomic write's temp file was removed again
	[ "$(ls -A "$vexit")" = filler ]
	: >"$NS/ns.release"
	wait_ns_cmd_done
	only_error_is "Failed to write 5 to exit file: No space left on device"
}

@test "persist dir read-only (EROFS even for root): one clear error, exit 1, no exit files; the exit command still runs" {
	mkdir "$T/persist"
	ns_wrap --ro "$T/persist"
	make_exit_command "$EXITCMD"
	make_bundle /bin/sh -c 'exit 0'
	vigil_create --syslog --persist-dir "$T/persist" --exit-command "$EXITCMD" --exit-command-arg cleanup
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 1 ]
	: >"$NS/ns.release"
	wait_ns_cmd_done
	only_error_is "Failed to write 0 to exit file: Read-only file system"
	# the persist file comes first and its failure is fatal (§9.1 steps 7, 8)
	[ -z "$(ls -A "$T/persist")" ]
	[ ! -e "$(exit_file)" ]
	# the engine's cleanup hook runs whatever happened (§9.4)
	assert_file_content "$EXITCMD.args" $'cleanup\n'
}

# ---------------------------------------------------------------------------------------------
# the socket dir

@test "socket dir missing with its parents: made 0755 before the runtime runs; attach works; the link goes at exit" {
	# a fresh machine has no /var/run/crio; vigil makes it as CRI-O makes its own (§6.1)
	SOCK_DIR=$T/fresh/var/run/crio
	make_bundle /bin/sh -c 'read x; echo "got $x"'
	vigil_create --syslog -i
	[ "$(file_mode "$T/fresh")" = 755 ]
	[ "$(file_mode "$T/fresh/var/run")" = 755 ]
	[ "$(file_mode "$SOCK_DIR")" = 755 ]
	[ "$(readlink "$SOCK_DIR/$CUUID")" = "$BUNDLE" ]
	# the engine's view: the socket through the symlink
	client_start c1 "$SOCK_DIR/$CUUID/attach" --send $'hello\n' --keep-open
	container_start
	client_wait c1
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$T/c1.2" $'got hello\n'
	[ "$(syslog_count "<error>")" = 0 ]
	[ ! -e "$SOCK_DIR/$CUUID" ] && [ ! -L "$SOCK_DIR/$CUUID" ]
	[ -d "$SOCK_DIR" ]
}

@test "socket dir that cannot be made (read-only file system): one clear error naming it, exit 1, no runtime" {
	mkdir -p "$T/ro"
	ns_wrap --ro "$T/ro"
	# nothing to read inside the namespace afterwards: let it go with the engine
	rm -f "$NS/ns.hold"
	SOCK_DIR=$T/ro/run/crio
	make_bundle /bin/true
	vigil_launch --syslog
	wait_launch
	wait_daemon
	wait_engine
	# found before daemonizing: the engine's own child exits 1 (conmon: exit 0, then a daemon that dies)
	[ "$LAUNCH_RC" = 1 ]
	[ "$DAEMON_RC" = none ]
	only_error_is "Failed to create the attach socket directory '$SOCK_DIR' (--socket-dir-path): Read-only file system"
	[ ! -e "$BUNDLE/ctl" ]
	[ ! -e "$CONMON_PIDFILE" ]
	run ! "$RUNC" --root "$RUNC_ROOT" state "$CID"
	[ ! -e "$(exit_file)" ]
	# no record, or a failure record: never a pid
	[[ ! -s $STATE/sync.all || $(cat "$STATE/sync.all") == '{"data": -1'* ]]
}

@test "socket dir path through a regular file: one clear error naming the link, exit 1, no runtime" {
	: >"$T/afile"
	SOCK_DIR=$T/afile/crio
	make_bundle /bin/true
	vigil_launch --syslog
	wait_launch
	wait_daemon
	wait_engine
	[ "$LAUNCH_RC" = 1 ]
	[ "$DAEMON_RC" = none ]
	only_error_is "Failed to create symlink for attach socket '$SOCK_DIR/$CUUID': Not a directory"
	run ! "$RUNC" --root "$RUNC_ROOT" state "$CID"
	[ ! -e "$(exit_file)" ]
}

@test "socket dir path over 108 bytes: the symlink works through O_PATH, ctl works, the link goes at exit" {
	SOCK_DIR=$(long_dir "$T" 150)
	local link=$SOCK_DIR/$CUUID
	((${#link} > 108))
	make_bundle /bin/sh -c 'read x; echo "got $x"; while [ ! -e /out/stop ]; do sleep 0.02; done'
	bundle_out_mount
	vigil_create -i
	[ "$(readlink "$link")" = "$BUNDLE" ]
	[ -S "$BUNDLE/attach" ]
	# a plain connect() cannot even name the path ...
	run python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).connect(sys.argv[1])' "$link/attach"
	[ "$status" != 0 ]
	[[ $output == *"too long"* ]]
	# ... the O_PATH route does (§6.1)
	client_start c1 "$link/attach" --send 'hello through a long path\n' --keep-open
	container_start
	wait_for_grep ' stdout F got hello through a long path$' "$LOG"
	mv "$LOG" "$LOG.1"
	ctl_write '2 0 0\n'
	WAIT_TIMEOUT=5 wait_for_file "$LOG"
	touch "$OUT_DIR/stop"
	client_wait c1
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$T/c1.2" $'got hello through a long path\n'
	[ ! -L "$link" ]
	[ -z "$(ls -A "$SOCK_DIR")" ]
}

# ---------------------------------------------------------------------------------------------
# a 300-byte bundle path

# dir_client BUNDLE OUTPREFIX TEXT: connect to BUNDLE/attach through an O_PATH fd on the bundle
# directory (/proc/self/fd/N/attach), send TEXT (backslash escapes allowed) and shut down for
# writing, then read until EOF (at most 20 s); OUTPREFIX.2 gets stdout
dir_client()
{
	timeout 30 python3 - "$@" <<'PY'
import os, select, socket, sys, time
bundle, out, text = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
fd = os.open(bundle, os.O_PATH | os.O_DIRECTORY)
s.connect("/proc/self/fd/%d/attach" % fd)
os.close(fd)
open(out + ".connected", "w").close()
s.send(text.encode().decode("unicode_escape").encode("latin-1"))
s.shutdown(socket.SHUT_WR)
got = bytearray()
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    r, _, _ = select.select([s], [], [], 0.1)
    if r:
        m = s.recv(65536)
        if not m:
            break
        if m[0] == 2:
            got += m[1:]
else:
    sys.exit("no EOF")
open(out + ".2", "wb").write(got)
PY
}

@test "bundle path of 300 bytes: attach (symlink and /proc/self/fd/N/attach), pid file, exit file all work" {
	BUNDLE=$(long_dir "$T" 300)
	CTR_PIDFILE=$BUNDLE/pidfile
	EXIT_DIR=$BUNDLE/exits
	mkdir -p "$EXIT_DIR"
	[ "${#BUNDLE}" = 300 ]
	make_bundle /bin/sh -c 'read x; echo "got $x"; exit 3'
	vigil_create -i
	[ -S "$BUNDLE/attach" ]
	[ "$(stat -c %A "$BUNDLE/attach")" = srwx------ ]
	[ "$(readlink "$SOCK_DIR/$CUUID")" = "$BUNDLE" ]
	# a client through the socket-dir symlink, one through the bundle dir's O_PATH fd
	client_start c1 "$SOCK_DIR/$CUUID/attach" --keep-open
	dir_client "$BUNDLE" "$T/c2" 'long bundle\n' &
	local c2=$!
	bg_track "$c2"
	wait_for_file "$T/c2.connected"
	container_start
	wait "$c2"
	client_wait c1
	wait_daemon
	[ "$DAEMON_RC" = 3 ]
	assert_file_content "$(exit_file)" 3
	assert_file_content "$T/c1.2" $'got long bundle\n'
	assert_file_content "$T/c2.2" $'got long bundle\n'
	[ ! -e "$BUNDLE/attach" ]
	[ ! -L "$SOCK_DIR/$CUUID" ]
}

@test "bundle path of 300 bytes with a terminal: ctl resize, a direct winsz write and --full-attach work" {
	BUNDLE=$(long_dir "$T" 300)
	CTR_PIDFILE=$BUNDLE/pidfile
	make_bundle /bin/sh -c 'while [ ! -e /out/go ]; do sleep 0.02; done; stty size
		while [ ! -e /out/go2 ]; do sleep 0.02; done; stty size; read x; echo "got $x"'
	bundle_tty
	bundle_out_mount
	vigil_create -t --full-attach
	[ -p "$BUNDLE/ctl" ]
	[ -p "$BUNDLE/winsz" ]
	ctl_write '1 24 81\n'
	dir_client "$BUNDLE" "$T/c1" 'typed\n' &
	local c1=$!
	bg_track "$c1"
	wait_for_file "$T/c1.connected"
	container_start
	touch "$OUT_DIR/go"
	wait_for_grep ' stdout F 24 81'$'\r''$' "$LOG"
	# an external writer may post "<rows> <cols>" to winsz directly (§7)
	fifo_write "$BUNDLE/winsz" '31 99\n'
	sleep 0.3
	touch "$OUT_DIR/go2"
	wait "$c1"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	grep -q ' stdout F 31 99'$'\r''$' "$LOG"
	grep -q 'got typed' "$T/c1.2"
}

# ---------------------------------------------------------------------------------------------
# TMPDIR

@test "TMPDIR too long for the console socket (-t): one clear error, exit 1, nothing left in TMPDIR" {
	local tmp
	tmp=$(long_dir "$T" 120)
	ENGINE_OPTS=(--env "TMPDIR=$tmp")
	make_bundle /bin/true
	bundle_tty
	vigil_launch -t --syslog
	wait_launch
	wait_daemon
	wait_engine
	[ "$LAUNCH_RC" = 1 ]
	[ "$DAEMON_RC" = none ]
	cat "$SYSLOG_CAPTURE"
	[ "$(syslog_count "<error>")" = 1 ]
	grep -Eq "<error>: Console socket path '$tmp/conmon-term\.[A-Za-z0-9]{6}' is longer than 107 bytes: set TMPDIR to a shorter directory$" "$SYSLOG_CAPTURE"
	[ -z "$(ls -A "$tmp")" ]
	run ! "$RUNC" --root "$RUNC_ROOT" state "$CID"
	[ ! -e "$(exit_file)" ]
}
