#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The runtime's argv (interface.md §4.1, §4.2) and the option forms that reach it (§1.1).
# The runtime is a shell script that records its argv and fails; vigil runs it as the engine
# starts it (start pipe, sync pipe), reports the failure and exits 1.

load helpers

setup()
{
	vigil_setup
	RT=$T/fake-runtime
	make_fake_runtime "$RT"
}

# launch_fake ARGS...: vigil with the fake runtime and ARGS; wait until the daemon is gone.
launch_fake()
{
	vigil_launch_raw -r "$RT" --socket-dir-path "$SOCK_DIR" "$@"
	wait_launch
	wait_daemon
	[ -e "$RT.argv" ] || {
		echo "the runtime was not run; vigil stderr: $(cat "$STATE/vigil.err")"
		return 1
	}
}

# expect_argv LINE...: the runtime's argv[1..], one element per line
expect_argv()
{
	local expected
	expected=$(printf '%s\n' "$@")
	if [[ $(cat "$RT.argv") != "$expected" ]]; then
		echo "runtime argv:"
		cat "$RT.argv"
		echo "expected:"
		echo "$expected"
		return 1
	fi
}

@test "argv: create, with -s, --no-pivot, --no-new-keyring, runtime args and opts in order" {
	launch_fake --api-version -c "$CID" -u "$CID" -b "$BUNDLE" -p "$T/pidfile" -l "k8s-file:$LOG" \
		--exit-dir "$EXIT_DIR" --runtime-arg "--root=$RUNC_ROOT" --no-new-keyring \
		--runtime-arg --log-format=json --runtime-opt --preserve-fds -s --runtime-arg --log \
		--runtime-arg "$T/oci-log" --no-pivot --runtime-opt 2
	expect_argv --systemd-cgroup "--root=$RUNC_ROOT" --log-format=json --log "$T/oci-log" \
		create --bundle "$BUNDLE" --pid-file "$T/pidfile" --no-pivot --no-new-keyring \
		--preserve-fds 2 "$CID"
	[ "$LAUNCH_RC" = 0 ]
	[ "$DAEMON_RC" = 1 ]
}

@test "argv: create without the optional flags" {
	launch_fake --api-version -c "$CID" -u "$CID" -b "$BUNDLE" -p "$T/pidfile" -l "k8s-file:$LOG"
	expect_argv create --bundle "$BUNDLE" --pid-file "$T/pidfile" "$CID"
}

@test "argv: the bundle and the pid file default to the working directory" {
	mkdir "$T/cwd"
	cd "$T/cwd" || return 1
	local cwd
	cwd=$(pwd -P)
	launch_fake --api-version -c "$CID" -u "$CID" -l k8s-file:ctr.log --runtime-arg "--root=$RUNC_ROOT"
	expect_argv "--root=$RUNC_ROOT" create --bundle "$cwd" --pid-file "$cwd/pidfile-$CID" "$CID"
	# a relative log path is relative to the working directory
	[ -f "$cwd/ctr.log" ]
}

@test "argv: restore" {
	launch_fake --api-version -c "$CID" -u "$CID" -b "$BUNDLE" -p "$T/pidfile" -l "k8s-file:$LOG" \
		--restore "$T/checkpoint" --runtime-arg "--root=$RUNC_ROOT" -s --no-pivot --no-new-keyring \
		--runtime-opt --tcp-established --restore-arg --file-locks --runtime-opt --lsm-profile=x
	expect_argv --systemd-cgroup "--root=$RUNC_ROOT" restore --bundle "$BUNDLE" --pid-file "$T/pidfile" \
		--no-pivot --no-new-keyring --detach --image-path "$T/checkpoint" --work-path "$BUNDLE" \
		--tcp-established --file-locks --lsm-profile=x "$CID"
}

@test "argv: exec never gets --systemd-cgroup, --no-pivot or --no-new-keyring" {
	echo '{"args": ["/bin/true"], "cwd": "/"}' >"$T/process.json"
	launch_fake -c "$CID" -p "$T/exec-pid" -l "k8s-file:$LOG" -e --exec-process-spec "$T/process.json" \
		--runtime-arg "--root=$RUNC_ROOT" -s --no-pivot --no-new-keyring --runtime-opt --preserve-fds \
		--runtime-opt 0
	expect_argv "--root=$RUNC_ROOT" exec --pid-file "$T/exec-pid" --process "$T/process.json" --detach \
		--preserve-fds 0 "$CID"
}

@test "argv: '--' ends the options; positional arguments do not reach the runtime" {
	launch_fake --api-version -c "$CID" -u "$CID" -b "$BUNDLE" -p "$T/pidfile" -l "k8s-file:$LOG" stray \
		-- --bogus -s
	expect_argv create --bundle "$BUNDLE" --pid-file "$T/pidfile" "$CID"
}

@test "argv: '--opt=value' forms and values starting with '-'" {
	launch_fake --api-version=1 --cid="$CID" --cuuid="$CID" --bundle="$BUNDLE" --container-pidfile="$T/pidfile" \
		--log-path="k8s-file:$LOG" --runtime-arg=--debug --runtime-arg -x --log-size-max -1 \
		--log-global-size-max -1 --exit-command-arg --root
	expect_argv --debug -x create --bundle "$BUNDLE" --pid-file "$T/pidfile" "$CID"
}

@test "argv: --pidfile is an alias of -p" {
	launch_fake --api-version -c "$CID" -u "$CID" -b "$BUNDLE" --pidfile "$T/old-pidfile" -l "k8s-file:$LOG"
	expect_argv create --bundle "$BUNDLE" --pid-file "$T/old-pidfile" "$CID"
}

@test "argv: the runtime inherits the engine's fds without CLOEXEC, not the sync and start pipes" {
	ENGINE_OPTS=(--inherit-fd 7)
	launch_fake --api-version -c "$CID" -u "$CID" -b "$BUNDLE" -p "$T/pidfile" -l "k8s-file:$LOG"
	cat "$RT.fds"
	grep -qx 7 "$RT.fds"
	run ! grep -qx 3 "$RT.fds"
	run ! grep -qx 4 "$RT.fds"
}

@test "argv: the runtime's error reaches the engine; --api-version 1 and =1 select the data key" {
	launch_fake --api-version 1 -c "$CID" -u "$CID" -b "$BUNDLE" -p "$T/pidfile" -l "k8s-file:$LOG"
	assert_file_content "$STATE/sync.first" $'{"data": -1, "message": "fake runtime refuses\\n"}\n'
	[ ! -e "$EXIT_DIR/$CID" ]

	vigil_reset
	rm -f "$RT.argv"
	launch_fake --api-version=1 -c "$CID" -u "$CID" -b "$BUNDLE" -p "$T/pidfile" -l "k8s-file:$LOG"
	assert_file_content "$STATE/sync.first" $'{"data": -1, "message": "fake runtime refuses\\n"}\n'

	vigil_reset
	rm -f "$RT.argv"
	launch_fake -c "$CID" -u "$CID" -b "$BUNDLE" -p "$T/pidfile" -l "k8s-file:$LOG"
	assert_file_content "$STATE/sync.first" $'{"pid": -1, "message": "fake runtime refuses\\n"}\n'
	[ "$DAEMON_RC" = 1 ]
}

@test "argv: the runtime inherits the environment unchanged, _OCI_* included" {
	export VIGIL_TEST_MARKER='a value with spaces'
	launch_fake --api-version -c "$CID" -u "$CID" -b "$BUNDLE" -p "$T/pidfile" -l "k8s-file:$LOG"
	grep -qx 'VIGIL_TEST_MARKER=a value with spaces' "$RT.env"
	grep -qx '_OCI_SYNCPIPE=3' "$RT.env"
	grep -qx '_OCI_STARTPIPE=4' "$RT.env"
}

# §4.4: JSON escaping of the runtime's message
@test "argv: the failure message is JSON-escaped" {
	# tab, quote, backslash, slash, 0x01, 0x1f, DEL, CR, BS, FF, a byte >= 0x80, newline
	make_fake_runtime "$RT" 'a\tb"c\\d/e\001f\037g\177h\ri\bj\fk\303\251l\n'
	launch_fake --api-version -c "$CID" -u "$CID" -b "$BUNDLE" -p "$T/pidfile" -l "k8s-file:$LOG"
	# the hex digits of \u00XX may be either case
	python3 -c '
import re, sys
data = open(sys.argv[1], "rb").read()
data = re.sub(rb"\\u00([0-9A-Fa-f]{2})", lambda m: b"\\u00" + m.group(1).lower(), data)
open(sys.argv[1] + ".lc", "wb").write(data)
' "$STATE/sync.first"
	assert_file_content "$STATE/sync.first.lc" \
		'{"data": -1, "message": "a\tb\"c\\d\/e\u0001f\u001fg\u007fh\ri\bj\fk'$'\303\251''l\n"}'$'\n'
}

@test "argv: an empty runtime message is left out of the failure record" {
	make_fake_runtime "$RT" ''
	launch_fake --api-version -c "$CID" -u "$CID" -b "$BUNDLE" -p "$T/pidfile" -l "k8s-file:$LOG"
	assert_file_content "$STATE/sync.first" $'{"data": -1}\n'
	[ "$DAEMON_RC" = 1 ]
}

@test "argv: a long runtime message is cut to at most 8191 bytes" {
	make_fake_runtime "$RT" "$(printf 'x%.0s' {1..10000})"
	launch_fake --api-version -c "$CID" -u "$CID" -b "$BUNDLE" -p "$T/pidfile" -l "k8s-file:$LOG"
	python3 -c '
import json, sys
r = json.loads(open(sys.argv[1], "rb").read())
assert r["data"] == -1, r
assert 0 < len(r["message"]) <= 8191 and set(r["message"]) == {"x"}, len(r["message"])
' "$STATE/sync.first"
}
