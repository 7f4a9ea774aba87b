#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# -l syntax and drivers (interface.md §8.1), passthrough (§8.5), and the flags that only have to
# be accepted here: --no-sync-log (§14.3), --log-level and --syslog (§8.7).

load helpers

setup()
{
	vigil_setup
	mkdir "$T/cwd"
	cd "$T/cwd" || return 1
}

# files_in_cwd: the names of the files in the working directory, one a line
files_in_cwd()
{
	find . -mindepth 1 -maxdepth 1 -printf '%f\n' | sort
}

@test "log drivers: none, off and null log nothing and leave k8s-file active" {
	VIGIL_LOG=(-l none -l "k8s-file:$LOG" -l off -l null)
	run_container -- /bin/sh -c 'echo kept'
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	assert_file_content "$T/out.norm" $'TS stdout F kept\n'
	# no file named after a driver keyword
	[ -z "$(files_in_cwd)" ]
}

@test "log drivers: -l none alone runs the container without a log" {
	VIGIL_LOG=(-l none)
	run_container -- /bin/sh -c 'echo nowhere'
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$(exit_file)" 0
	[ -z "$(files_in_cwd)" ]
	[ ! -e "$LOG" ]
}

@test "log drivers: with several k8s-file values the last one wins" {
	VIGIL_LOG=(-l "k8s-file:$T/a.log" -l "k8s-file:$T/b.log")
	run_container -- /bin/sh -c 'echo to-b'
	[ ! -e "$T/a.log" ]
	k8s_check "$T/b.log"
	assert_file_content "$T/out.norm" $'TS stdout F to-b\n'
}

@test "log drivers: a plain path and ':PATH' are k8s-file" {
	VIGIL_LOG=(-l "k8s-file:$T/a.log" -l "$T/plain.log")
	run_container -- /bin/sh -c 'echo plain'
	[ ! -e "$T/a.log" ]
	k8s_check "$T/plain.log"
	assert_file_content "$T/out.norm" $'TS stdout F plain\n'

	vigil_reset
	# ':none' is a file named none (relative to the working directory)
	VIGIL_LOG=(-l :none)
	run_container -- /bin/sh -c 'echo colon'
	k8s_check "$T/cwd/none"
	assert_file_content "$T/out.norm" $'TS stdout F colon\n'
}

@test "log drivers: -l json-file is a file named json-file, not a driver" {
	VIGIL_LOG=(-l json-file)
	run_container -- /bin/sh -c 'echo json'
	[ "$(files_in_cwd)" = json-file ]
	k8s_check json-file
	assert_file_content "$T/out.norm" $'TS stdout F json\n'
}

@test "log drivers: passthrough hands the engine's stdout and stderr to the container" {
	VIGIL_LOG=(-l passthrough)
	make_bundle /bin/sh -c 'echo to-stdout; echo to-stderr >&2; ls -l /proc/self/fd/0'
	vigil_launch --sync --full-attach
	wait_sync
	[[ $SYNC_FIRST =~ ^\{\"data\":\ [0-9]+\}$ ]]
	# no attach socket, no ctl or winsz FIFO with passthrough (§6.1, §7)
	[ ! -e "$BUNDLE/attach" ]
	[ ! -e "$BUNDLE/ctl" ]
	[ ! -e "$BUNDLE/winsz" ]
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$(exit_file)" 0
	# the engine gave vigil /dev/null as stdin, and files as stdout and stderr
	[ "$(head -n 1 "$STATE/vigil.out")" = to-stdout ]
	grep -q ' /proc/self/fd/0 -> /dev/null$' "$STATE/vigil.out"
	[ "$(wc -l <"$STATE/vigil.out")" = 2 ]
	assert_file_content "$STATE/vigil.err" $'to-stderr\n'
}

@test "log drivers: passthrough without --sync also reaches the engine's files" {
	VIGIL_LOG=(-l passthrough)
	run_container -- /bin/sh -c 'echo out; echo err >&2'
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$STATE/vigil.out" $'out\n'
	assert_file_content "$STATE/vigil.err" $'err\n'
}

@test "log drivers: --no-sync-log is accepted" {
	run_container --no-sync-log -- /bin/sh -c 'echo synced'
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	assert_file_content "$T/out.norm" $'TS stdout F synced\n'
}

@test "log drivers: --log-level debug and trace keep vigil's messages out of the container log" {
	local level
	for level in debug TRACE; do
		vigil_reset
		run_container --log-level "$level" -- /bin/sh -c 'echo out; echo err >&2'
		[ "$DAEMON_RC" = 0 ]
		k8s_check "$LOG"
		assert_file_content "$T/out.stdout" $'out\n'
		assert_file_content "$T/out.stderr" $'err\n'
	done
}

@test "log drivers: --syslog is accepted" {
	run_container --syslog --log-level info -- /bin/sh -c 'echo with-syslog'
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	assert_file_content "$T/out.norm" $'TS stdout F with-syslog\n'
}

@test "log drivers: --syslog copies vigil's own messages to syslog(3)" {
	SYSLOG_CAPTURE=$T/syslog
	run_container --syslog --log-level debug -- /bin/sh -c 'echo with-syslog'
	wait_engine
	[ "$DAEMON_RC" = 0 ]
	cat "$T/syslog"
	# debug messages go out at LOG_INFO (<14>) as "conmon <cid> <ndebug>: ..." (§8.7)
	grep -Eq "^<14>.* conmon ${CID:0:20} <ndebug>: " "$T/syslog"
	# never the container's output
	run ! grep -q with-syslog "$T/syslog"
}
