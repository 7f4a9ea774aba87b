#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Exit handling (interface.md §9.1-§9.3, §9.5): exit files, status mapping, vigil's own status,
# --timeout.

load helpers

# exit_code_case CODE: a container exiting CODE gives the exit file CODE (no newline, 0644)
exit_code_case()
{
	umask 077
	run_container -- /bin/sh -c "exit $1"
	[ "$LAUNCH_RC" = 0 ]
	[ "$DAEMON_RC" = "$1" ]
	assert_file_content "$(exit_file)" "$1"
	[ "$(file_mode "$(exit_file)")" = 644 ]
	# written atomically: nothing else is left in the exit dir
	[ "$(ls -A "$EXIT_DIR")" = "$CID" ]
}

@test "exit: status 0" {
	exit_code_case 0
}

@test "exit: status 3" {
	exit_code_case 3
}

@test "exit: status 255" {
	exit_code_case 255
}

@test "exit: killed with SIGKILL is 137" {
	make_bundle /bin/sleep 1000
	vigil_create
	container_start
	wait_for container_running
	container_kill KILL
	wait_daemon
	[ "$DAEMON_RC" = 137 ]
	assert_file_content "$(exit_file)" 137
}

@test "exit: killed with SIGTERM (no handler, not a pid-namespace init) is 143" {
	make_bundle /bin/sleep 1000
	# without a pid namespace the container process is not an init, so TERM kills it
	bundle_edit '.linux.namespaces |= map(select(.type != "pid"))'
	vigil_create
	container_start
	wait_for container_running
	container_kill TERM
	wait_daemon
	[ "$DAEMON_RC" = 143 ]
	assert_file_content "$(exit_file)" 143
}

@test "exit: --persist-dir gets <dir>/exit as well" {
	mkdir "$T/persist"
	run_container --persist-dir "$T/persist" -- /bin/sh -c 'exit 42'
	[ "$DAEMON_RC" = 42 ]
	assert_file_content "$T/persist/exit" 42
	[ "$(file_mode "$T/persist/exit")" = 644 ]
	assert_file_content "$(exit_file)" 42
	[ "$(ls -A "$T/persist")" = exit ]
}

@test "exit: -0 is --persist-dir" {
	mkdir "$T/persist"
	run_container -0 "$T/persist" -- /bin/true
	assert_file_content "$T/persist/exit" 0
}

@test "exit: a missing exit dir makes vigil exit 1 (the persist file comes first)" {
	mkdir "$T/persist"
	make_bundle /bin/true
	default_vigil_args
	# the later --exit-dir wins (§1.1)
	vigil_launch_raw "${VARGS[@]}" --persist-dir "$T/persist" --exit-dir "$T/no-such-dir"
	wait_launch
	wait_sync
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 1 ]
	[ ! -e "$T/no-such-dir" ]
	assert_file_content "$T/persist/exit" 0
}

@test "exit: nothing shows in the exit dirs while the container runs; a stale exit file is replaced" {
	mkdir "$T/persist"
	printf 99 >"$(exit_file)"
	printf 99 >"$T/persist/exit"
	make_bundle /bin/sh -c 'sleep 0.5; exit 7'
	vigil_create --persist-dir "$T/persist"
	container_start
	wait_for container_running
	# the exit files' inodes are made at start (O_TMPFILE): no temporary name is visible meanwhile
	[ "$(ls -A "$EXIT_DIR")" = "$CID" ]
	[ "$(ls -A "$T/persist")" = exit ]
	assert_file_content "$(exit_file)" 99
	wait_daemon
	[ "$DAEMON_RC" = 7 ]
	assert_file_content "$(exit_file)" 7
	assert_file_content "$T/persist/exit" 7
	[ "$(file_mode "$(exit_file)")" = 644 ]
	[ "$(ls -A "$EXIT_DIR")" = "$CID" ]
	[ "$(ls -A "$T/persist")" = exit ]
}

@test "exit: an exit dir mounted over while the container runs still gets the exit file" {
	make_bundle /bin/sh -c 'sleep 0.5; exit 5'
	vigil_create
	container_start
	# the inode made at start is on the old filesystem (linkat: EXDEV): written the usual way
	mount -t tmpfs tmpfs "$EXIT_DIR"
	wait_daemon
	local rc=$DAEMON_RC content
	content=$(cat "$(exit_file)" 2>/dev/null || true)
	umount "$EXIT_DIR"
	[ "$rc" = 5 ]
	[ "$content" = 5 ]
	[ -z "$(ls -A "$EXIT_DIR")" ]
}

@test "exit: -T kills the container after the timeout: exit file -1, vigil exits 255" {
	make_bundle /bin/sleep 100
	vigil_create -T 2
	local ctr_pid
	ctr_pid=$(cat "$CTR_PIDFILE")
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 255 ]
	assert_file_content "$(exit_file)" -1
	# the timer starts when the pid is reported
	python3 -c 'import sys; d = float(sys.argv[2]) - float(sys.argv[1]); print(d); assert 1.9 <= d <= 15' \
		"$(mtime "$STATE/sync.first")" "$(mtime "$(exit_file)")"
	# the container was killed
	[ ! -e "/proc/$ctr_pid" ] || [ "$(awk '{print $3}' "/proc/$ctr_pid/stat")" = Z ]
	[ "$(container_status)" = stopped ]
}

@test "exit: --timeout=N form; a container that exits in time is not affected" {
	run_container --timeout=30 -- /bin/sh -c 'exit 6'
	[ "$DAEMON_RC" = 6 ]
	assert_file_content "$(exit_file)" 6
}

@test "exit: the exit file write failure is reported through --syslog" {
	SYSLOG_CAPTURE=$T/syslog
	make_bundle /bin/true
	default_vigil_args
	vigil_launch_raw "${VARGS[@]}" --syslog --exit-dir "$T/no-such-dir"
	wait_sync
	container_start
	wait_daemon
	wait_engine
	[ "$DAEMON_RC" = 1 ]
	cat "$T/syslog"
	# LOG_ERR (facility user: <11>), the text of §8.7, errno text after ": " (§9.1)
	grep -Eq "^<11>.* conmon ${CID:0:20} <error>: Failed to write 0 to exit file: No such file or directory$" "$T/syslog"
}
