#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Process model (interface.md §3): the -P pid file, --sync, signal forwarding, fds.

load helpers

@test "process: -P holds the daemon pid, no newline, written before the launched process exits" {
	ENGINE_OPTS=(--snapshot "$CONMON_PIDFILE")
	make_bundle /bin/sleep 1000
	vigil_create
	[ "$LAUNCH_RC" = 0 ]
	local pid
	pid=$(daemon_pid)
	# the engine found the daemon as its reparented child; -P names exactly that process
	assert_file_content "$CONMON_PIDFILE" "$pid"
	assert_file_content "$STATE/snapshot" "$pid"
	[ "$(file_mode "$CONMON_PIDFILE")" = 644 ]
	# no temp file left next to it
	[ "$(find "$T" -maxdepth 1 -name 'conmon.pid*' | wc -l)" = 1 ]
	is_vigil_pid "$pid"
	[ "$(cat "$STATE/launch.pid")" != "$pid" ]

	container_start
	wait_for container_running
	# the daemon lives as long as the container
	is_vigil_pid "$pid"
	[ ! -e "$STATE/daemon.rc" ]
	container_kill KILL
	wait_daemon
	[ "$DAEMON_RC" = 137 ]
	[ ! -e "/proc/$pid" ]
	assert_file_content "$(exit_file)" 137
}

@test "process: --sync keeps the launched process as the monitor and writes no -P" {
	make_bundle /bin/sh -c 'echo sync-mode; exit 7'
	vigil_launch --sync
	wait_sync
	[[ $SYNC_FIRST =~ ^\{\"data\":\ [0-9]+\}$ ]]
	# still the launched process: it has not exited yet
	[ ! -e "$STATE/launch.rc" ]
	is_vigil_pid "$(cat "$STATE/launch.pid")"
	container_start
	wait_daemon
	[ "$(cat "$STATE/launch.rc")" = 7 ]
	[ "$DAEMON_RC" = 7 ]
	[ "$(daemon_pid)" = "$(cat "$STATE/launch.pid")" ]
	[ ! -e "$CONMON_PIDFILE" ]
	assert_file_content "$(exit_file)" 7
	grep -q ' stdout F sync-mode$' "$LOG"
}

# forward_signal SIG STATUS: the container traps SIG, prints, exits STATUS; SIG goes to the daemon.
forward_signal()
{
	local sig=$1 st=$2
	make_bundle /bin/sh -c "trap 'echo got $sig; exit $st' $sig; echo ready; while :; do sleep 0.05; done"
	vigil_create
	container_start
	wait_for_grep ' stdout F ready$' "$LOG"
	kill -"$sig" "$(daemon_pid)"
	wait_daemon
	[ "$DAEMON_RC" = "$st" ]
	assert_file_content "$(exit_file)" "$st"
	grep -q " stdout F got $sig\$" "$LOG"
}

@test "process: SIGTERM to the daemon is forwarded to the container" {
	forward_signal TERM 0
}

@test "process: SIGINT to the daemon is forwarded to the container" {
	forward_signal INT 4
}

@test "process: SIGQUIT to the daemon is forwarded to the container" {
	forward_signal QUIT 5
}

@test "process: SIGTERM before the start byte: exit 1, no -P, no runtime, no exit file" {
	ENGINE_OPTS=(--hold-start)
	make_bundle /bin/true
	vigil_launch
	wait_for_file "$STATE/launch.pid"
	local pid
	pid=$(cat "$STATE/launch.pid")
	wait_for blocked_in_read "$pid" 4
	kill -TERM "$pid"
	wait_launch
	[ "$LAUNCH_RC" = 1 ]
	wait_daemon
	[ ! -e "$CONMON_PIDFILE" ]
	[ ! -e "$(exit_file)" ]
	run ! "$RUNC" --root "$RUNC_ROOT" state "$CID"
}

@test "process: container stdio: /dev/null stdin, pipes (mode 0777) for stdout and stderr" {
	# an fd the engine leaks to vigil on purpose does not reach the container (no --preserve-fds)
	ENGINE_OPTS=(--inherit-fd 7)
	run_container -- /bin/sh -c 'ls -l /proc/self/fd; stat -L -c "mode %a" /proc/self/fd/1 /proc/self/fd/2; echo fds $(ls /proc/self/fd)'
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	cat "$T/out.stdout"
	grep -Eq ' 0 -> /dev/null$' "$T/out.stdout"
	grep -Eq ' 1 -> pipe:\[[0-9]+\]$' "$T/out.stdout"
	grep -Eq ' 2 -> pipe:\[[0-9]+\]$' "$T/out.stdout"
	# ls's own directory fd is 3; nothing else
	grep -qx 'fds 0 1 2 3' "$T/out.stdout"
	[ "$(grep -c '^mode 777$' "$T/out.stdout")" = 2 ]
}

@test "process: with -i the container's stdin is a pipe" {
	# vigil keeps stdin open until an attach client disconnects; none does, so the container
	# only looks at fd 0 and exits
	run_container -i -- /bin/ls -l /proc/self/fd/0
	k8s_check "$LOG"
	grep -Eq ' /proc/self/fd/0 -> pipe:\[[0-9]+\]$' "$T/out.stdout"
}

@test "process: fds inherited from the engine are closed before the exit file is written" {
	ENGINE_OPTS=(--inherit-fd 7 --exit-file "$(exit_file)")
	make_bundle /bin/sleep 1000
	vigil_create
	container_start
	wait_for container_running
	# the daemon keeps the inherited fd while the container runs (§3.6)
	[ -e "/proc/$(daemon_pid)/fd/7" ]
	container_kill KILL
	wait_daemon
	[ "$DAEMON_RC" = 137 ]
	# when the exit file appeared, the engine's end of that pipe already read EOF
	assert_file_content "$STATE/inherit.result" closed
}

@test "process: the daemon runs in its own session with stdio on /dev/null" {
	make_bundle /bin/sleep 1000
	vigil_create
	local pid
	pid=$(daemon_pid)
	# setsid(): the daemon leads its own session
	local stat
	stat=$(cat "/proc/$pid/stat")
	stat=${stat##*) }
	# fields after the command: state ppid pgrp session
	[ "$(echo "$stat" | cut -d' ' -f4)" = "$pid" ]
	local fd
	for fd in 0 1 2; do
		[ "$(readlink "/proc/$pid/fd/$fd")" = /dev/null ]
	done
	container_start
	container_kill KILL
	wait_daemon
}

has_cap_sys_resource()
{
	local eff
	eff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
	(((0x$eff >> 24) & 1))
}

@test "process: oom_score_adj is -1000 for vigil; the container and the exit command get the original back" {
	echo 123 >"/proc/$BASHPID/oom_score_adj"
	cat >"$T/exit-command" <<SH
#!/bin/sh
cat /proc/\$\$/oom_score_adj >"$T/exit-command.oom"
SH
	chmod 755 "$T/exit-command"
	make_bundle /bin/sh -c 'cat /proc/self/oom_score_adj; read x'
	vigil_create --exit-command "$T/exit-command" --full-attach -i
	# lowering it needs CAP_SYS_RESOURCE (best effort, §3.1 step 3); some hosts lack it
	if has_cap_sys_resource; then
		[ "$(cat "/proc/$(daemon_pid)/oom_score_adj")" = -1000 ]
	else
		[ "$(cat "/proc/$(daemon_pid)/oom_score_adj")" = 123 ]
	fi
	container_start
	wait_for_grep ' stdout F ' "$LOG"
	# the stdin pipe closes when an attach client disconnects: the container ends
	python3 "$INTEGRATION_DIR/attach_client.py" "$BUNDLE/attach" "$T/c1" --send '\n' 3>&-
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	assert_file_content "$T/out.stdout" $'123\n'
	assert_file_content "$T/exit-command.oom" $'123\n'
}
