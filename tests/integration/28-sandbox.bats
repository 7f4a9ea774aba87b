#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# --sandbox (VIGIL_SANDBOX=1): once the container runs, the monitor confines itself (no_new_privs,
# capabilities, Landlock, seccomp), and the exit command still runs with none of that.
# The probe tests need a build with -Dtest-hooks=true (meson passes VIGIL_TEST_HOOKS=1): the ctl
# message "99 FLAGS 0" makes the monitor try forbidden things and write what happened to
# EXIT_DIR/CID.probe.

load helpers

setup()
{
	vigil_setup
	EXITCMD=$T/exit-command
	unset VIGIL_SANDBOX
	# LeakSanitizer's check at exit needs ptrace and clone, which a confined monitor has not
	if [[ -n ${ASAN_OPTIONS:-} ]]; then
		export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"
	fi
}

# status_field PID NAME: the value of NAME: in /proc/PID/status
status_field()
{
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"
}

confined()
{
	[[ $(status_field "$1" Seccomp) == 2 ]]
}

# start_confined [VIGIL_OPTS...]: create and start the bundle's container under vigil --sandbox and
# wait until the monitor is confined; sets the caller's pid to the monitor's
start_confined()
{
	vigil_create --sandbox "$@"
	container_start
	pid=$(daemon_pid)
	wait_for confined "$pid"
}

needs_hooks()
{
	[[ ${VIGIL_TEST_HOOKS:-0} == 1 ]] || skip "vigil built without -Dtest-hooks=true"
}

# probe FLAGS: ask the monitor to probe; prints the report
probe()
{
	rm -f "$EXIT_DIR/$CID.probe"
	ctl_write "99 $1 0\n"
	wait_for_file "$EXIT_DIR/$CID.probe"
	cat "$EXIT_DIR/$CID.probe"
}

# the spawner processes whose parent is PID
spawners_of()
{
	local p
	for p in /proc/[0-9]*; do
		[[ $(awk '{print $4}' "$p/stat" 2>/dev/null) == "$1" ]] || continue
		[[ $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) == vigil-exit-spawner* ]] && echo "${p#/proc/}"
	done
	return 0
}

@test "sandbox: a confined monitor has seccomp, no_new_privs, only CAP_KILL and CAP_DAC_OVERRIDE" {
	make_bundle /bin/sh -c 'echo started; exec sleep 1000'
	local pid
	start_confined
	[ "$(status_field "$pid" NoNewPrivs)" = 1 ]
	# CAP_DAC_OVERRIDE (1) and CAP_KILL (5)
	[ "$(status_field "$pid" CapEff)" = 0000000000000022 ]
	[ "$(status_field "$pid" CapPrm)" = 0000000000000022 ]
	[ "$(status_field "$pid" CapBnd)" = 0000000000000022 ]
	[ "$(status_field "$pid" CapInh)" = 0000000000000000 ]
	[ "$(status_field "$pid" CapAmb)" = 0000000000000000 ]
	# it still does its job: the log, the container's end, the exit file
	wait_for_grep "started" "$LOG"
	container_kill KILL
	wait_daemon
	[ "$DAEMON_RC" = 137 ]
	assert_file_content "$(exit_file)" 137
}

@test "sandbox: signals to the monitor still reach the container" {
	# shellcheck disable=SC2016 # expanded by the container's shell
	make_bundle /bin/sh -c 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done'
	local pid
	start_confined
	wait_for_grep "ready" "$LOG"
	kill -TERM "$pid"
	wait_daemon
	[ "$DAEMON_RC" = 7 ]
	assert_file_content "$(exit_file)" 7
	grep -q "got TERM" "$LOG"
}

@test "sandbox: VIGIL_SANDBOX=1 turns it on, VIGIL_SANDBOX=0 leaves it off, other values are refused" {
	make_bundle /bin/sh -c 'exec sleep 1000'
	VIGIL_SANDBOX=1 vigil_create
	wait_for confined "$(daemon_pid)"
	container_kill KILL
	wait_daemon
	vigil_reset
	VIGIL_SANDBOX=0 vigil_create
	container_start
	sleep 0.3
	[ "$(status_field "$(daemon_pid)" Seccomp)" = 0 ]
	container_kill KILL
	wait_daemon
	run -1 env VIGIL_SANDBOX=yes "$VIGIL_BINARY" -c x -u x -r "$RUNC" -b "$BUNDLE" -l "k8s-file:$LOG"
	[ "$output" = "[conmon:e]: VIGIL_SANDBOX must be 1 or 0, got 'yes'" ]
}

@test "sandbox: from inside, files outside its dirs, exec, inet and unix stream sockets, ptrace, mount, modules, fork and signals to others fail" {
	needs_hooks
	make_bundle /bin/sh -c 'exec sleep 1000'
	local pid
	start_confined
	run probe 3
	echo "$output"
	[ "$status" = 0 ]
	[ "$output" = "open_outside=EACCES
create_outside=EACCES
exec=EPERM
socket_inet=EPERM
socket_inet6=EPERM
socket_unix=ok
socket_unix_stream=EPERM
ptrace=EPERM
mount=EPERM
init_module=EPERM
finit_module=EPERM
fork=EPERM
kill_init=EPERM" ]
	[ ! -e "/var/tmp/vigil-probe.$pid" ]
	# the same monitor, still at work
	[ "$(daemon_pid)" = "$pid" ] && [ -e "/proc/$pid" ]
	container_running
	container_kill KILL
	wait_daemon
	assert_file_content "$(exit_file)" 137
}

@test "sandbox: the probe itself succeeds where the monitor is not confined (so the test above can fail)" {
	needs_hooks
	make_bundle /bin/sh -c 'exec sleep 1000'
	vigil_create
	container_start
	local pid
	pid=$(daemon_pid)
	run probe 0
	echo "$output"
	[ "$status" = 0 ]
	grep -qx "open_outside=ok" <<<"$output"
	grep -qx "create_outside=ok" <<<"$output"
	grep -qx "socket_inet=ok" <<<"$output"
	grep -qx "socket_unix_stream=ok" <<<"$output"
	grep -qx "mount=ok" <<<"$output"
	grep -qx "fork=ok" <<<"$output"
	grep -qx "kill_init=ok" <<<"$output"
	[[ $'\n'$output$'\n' != *$'\n'init_module=EPERM$'\n'* ]]
	[ ! -e "/var/tmp/vigil-probe.$pid" ]
	container_kill KILL
	wait_daemon
}

@test "sandbox: the exit command runs unconfined: no seccomp, no_new_privs clear, every capability" {
	cat >"$EXITCMD" <<EOF
#!/bin/sh
cat /proc/self/status >"$EXITCMD.status"
printf '%s\n' "\$@" >"$EXITCMD.args"
cat "$EXIT_DIR/$CID" >"$EXITCMD.exitfile"
exit 3
EOF
	chmod 755 "$EXITCMD"
	make_bundle /bin/sh -c 'exec sleep 1000'
	local pid spawner
	start_confined --exit-command "$EXITCMD" --exit-command-arg 'a b' --exit-command-arg ''
	# the spawner waits, unconfined, as the monitor's child
	spawner=$(spawners_of "$pid")
	[ -n "$spawner" ]
	[ "$(status_field "$spawner" Seccomp)" = 0 ]
	# the small helper beside the binary, not a second vigil
	[ "$(readlink "/proc/$spawner/exe")" = "$(dirname "$(readlink -f "$VIGIL_BINARY")")/vigil-exit-spawner" ]
	container_kill KILL
	wait_daemon
	# the command's status is vigil's, as without the sandbox
	[ "$DAEMON_RC" = 3 ]
	[ "$(sed -n 's/^Seccomp:[[:space:]]*//p' "$EXITCMD.status")" = 0 ]
	[ "$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' "$EXITCMD.status")" = 0 ]
	[ "$(sed -n 's/^CapEff:[[:space:]]*//p' "$EXITCMD.status")" = "$(status_field $$ CapEff)" ]
	[ "$(sed -n 's/^CapBnd:[[:space:]]*//p' "$EXITCMD.status")" = "$(status_field $$ CapBnd)" ]
	assert_file_content "$EXITCMD.args" "a b

"
	assert_file_content "$EXITCMD.exitfile" 137
	wait_for pid_gone "$spawner"
}

@test "sandbox: without the helper installed, vigil itself takes the spawner's part" {
	make_exit_command "$EXITCMD"
	mkdir "$T/bin"
	cp "$VIGIL_BINARY" "$T/bin/vigil"
	make_bundle /bin/sh -c 'exec sleep 1000'
	VIGIL_BINARY=$T/bin/vigil # this test's monitor: nothing beside it
	local pid spawner
	start_confined --exit-command "$EXITCMD" --exit-command-arg x
	spawner=$(spawners_of "$pid")
	[ -n "$spawner" ]
	[ "$(readlink "/proc/$spawner/exe")" = "$T/bin/vigil" ]
	[ "$(status_field "$spawner" Seccomp)" = 0 ]
	container_kill KILL
	wait_daemon
	[ "$DAEMON_RC" = 137 ]
	assert_file_content "$EXITCMD.args" $'x\n'
	assert_file_content "$EXITCMD.exitfile" 137
}

@test "sandbox: --exit-delay still postpones the exit command" {
	make_exit_command "$EXITCMD"
	run_container --sandbox --exit-command "$EXITCMD" --exit-delay 1 -- /bin/sh -c 'sleep 0.5'
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$EXITCMD.exitfile" 0
	assert_file_content "$EXITCMD.fds" ""
	python3 -c 'import sys; d = float(sys.argv[2]) - float(sys.argv[1]); print(d); assert d >= 0.95' \
		"$(mtime "$(exit_file)")" "$(cat "$EXITCMD.time")"
}

@test "sandbox: a monitor killed with SIGKILL takes its spawner along and the exit command never runs" {
	make_exit_command "$EXITCMD"
	make_bundle /bin/sh -c 'exec sleep 1000'
	local pid spawner
	start_confined --exit-command "$EXITCMD"
	spawner=$(spawners_of "$pid")
	[ -n "$spawner" ]
	kill -KILL "$pid"
	wait_for pid_gone "$spawner"
	sleep 0.3
	[ ! -e "$EXITCMD.args" ]
}

@test "sandbox: no exit command, no spawner" {
	make_bundle /bin/sh -c 'exec sleep 1000'
	local pid
	start_confined
	[ -z "$(spawners_of "$pid")" ]
	container_kill KILL
	wait_daemon
}

@test "sandbox: every byte logged in order across log rotations, and exit.json" {
	# 3000 numbered lines per stream, log rotated at 64 KiB
	# shellcheck disable=SC2016 # expanded by the container's shell
	make_bundle /bin/sh -c 'i=0; while [ $i -lt 3000 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done'
	vigil_create --sandbox --exit-json --log-size-max 65536 --log-rotate --log-max-files 100
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$(exit_file)" 0
	# the rotated files and the current one, oldest first, form both streams exactly
	local i files=()
	for ((i = 100; i >= 1; i--)); do
		[[ -e $LOG.$i ]] && files+=("$LOG.$i")
	done
	files+=("$LOG")
	[ "${#files[@]}" -gt 2 ]
	cat "${files[@]}" >"$T/all.log"
	k8s_check "$T/all.log"
	seq 0 2999 | sed 's/^/out /' >"$T/want.stdout"
	seq 0 2999 | sed 's/^/err /' >"$T/want.stderr"
	cmp "$T/out.stdout" "$T/want.stdout"
	cmp "$T/out.stderr" "$T/want.stderr"
	python3 -c 'import json,sys; r = json.load(open(sys.argv[1])); assert r["exit_code"] == 0, r' \
		"$EXIT_DIR/$CID.json"
}
