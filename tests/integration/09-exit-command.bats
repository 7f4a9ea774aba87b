#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The exit command (interface.md §9.3, §9.4).

load helpers

setup()
{
	vigil_setup
	EXITCMD=$T/exit-command
}

@test "exit command: gets its arguments intact, no shell, after the exit file exists" {
	make_exit_command "$EXITCMD"
	run_container --exit-command "$EXITCMD" --exit-command-arg 'two words' \
		--exit-command-arg "it's \"quoted\"" --exit-command-arg '$HOME;echo *' --exit-command-arg '' \
		--exit-command-arg --root --exit-command-arg=--cleanup -- /bin/sh -c 'exit 0'
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$EXITCMD.args" "two words
it's \"quoted\"
\$HOME;echo *

--root
--cleanup
"
	# the exit file was already written when the command ran
	assert_file_content "$EXITCMD.exitfile" 0
	# fds >= 3 are closed before the command runs (the sync pipe was fd 3, the start pipe fd 4)
	assert_file_content "$EXITCMD.fds" ""
}

@test "exit command: vigil waits for it before exiting" {
	cat >"$EXITCMD" <<EOF
#!/bin/sh
sleep 1
touch "$EXITCMD.finished"
EOF
	chmod 755 "$EXITCMD"
	run_container --exit-command "$EXITCMD" -- /bin/true
	[ "$DAEMON_RC" = 0 ]
	# the daemon was reaped after the command finished
	[ -e "$EXITCMD.finished" ]
	python3 -c 'import sys; assert float(sys.argv[1]) <= float(sys.argv[2])' \
		"$(mtime "$EXITCMD.finished")" "$(mtime "$STATE/daemon.rc")"
}

@test "exit command: --exit-delay postpones it" {
	make_exit_command "$EXITCMD"
	run_container --exit-command "$EXITCMD" --exit-delay 1 -- /bin/true
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$EXITCMD.exitfile" 0
	python3 -c 'import sys; d = float(sys.argv[2]) - float(sys.argv[1]); print(d); assert d >= 0.95' \
		"$(mtime "$(exit_file)")" "$(cat "$EXITCMD.time")"
}

@test "exit command: its non-zero status becomes vigil's exit status" {
	make_exit_command "$EXITCMD" 5
	run_container --exit-command "$EXITCMD" -- /bin/sh -c 'exit 0'
	[ "$DAEMON_RC" = 5 ]
	assert_file_content "$(exit_file)" 0
	[ -e "$EXITCMD.args" ]
}

@test "exit command: a zero status keeps the container's status" {
	make_exit_command "$EXITCMD" 0
	run_container --exit-command "$EXITCMD" -- /bin/sh -c 'exit 9'
	[ "$DAEMON_RC" = 9 ]
}

@test "exit command: also runs after a runtime create failure" {
	make_exit_command "$EXITCMD"
	make_bundle /no-such-binary
	vigil_launch --exit-command "$EXITCMD" --exit-command-arg cleanup
	wait_launch
	wait_daemon
	[ "$DAEMON_RC" = 1 ]
	[[ $(cat "$STATE/sync.first") =~ ^\{\"data\":\ -1, ]]
	assert_file_content "$EXITCMD.args" $'cleanup\n'
	assert_file_content "$EXITCMD.exitfile" $'missing\n'
	[ ! -e "$(exit_file)" ]
}

@test "exit command: a command that cannot be executed makes vigil exit 1" {
	run_container --exit-command "$T/no-such-command" -- /bin/true
	[ "$DAEMON_RC" = 1 ]
	assert_file_content "$(exit_file)" 0
}
