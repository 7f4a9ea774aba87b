#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Process hygiene: which fds the container, the runtime and the exit command get (§3.6, §4.3,
# §9.4, podman's --preserve-fds layout §4.5), the modes of every file and socket vigil creates
# under a hostile umask (§15, §3.1 step 1), the signal state handed to children (§17.7), and the
# exit command's argv passed through without a shell (§9.4).

load helpers
load faults

setup()
{
	faults_setup
	# the interpreter itself (not a shim): engine.py execs a path
	PYTHON=$(python3 -c 'import sys; print(sys.executable)')
}

teardown()
{
	faults_teardown
}

# launch_via_layout [--keep FD]... [--preserve FD] [VIGIL ARGS...]: the default create arguments
# plus ARGS, with fd_layout.py between the engine and vigil (a clean fd table: 0-4 and each --keep
# FD; with --preserve FD podman's layout for --preserve-fds 1: FD at 3, sync 4, start 5)
launch_via_layout()
{
	local layout=()
	while [[ ${1:-} == --preserve || ${1:-} == --keep ]]; do
		layout+=("$1" "$2")
		shift 2
	done
	default_vigil_args
	python3 "$INTEGRATION_DIR/engine.py" --state "$STATE" "${ENGINE_OPTS[@]}" -- \
		"$PYTHON" "$INTEGRATION_DIR/fd_layout.py" "${layout[@]}" -- "$VIGIL_BINARY" "${VARGS[@]}" "$@" \
		>"$STATE/engine.out" 2>&1 3>&- &
	ENGINE_PID=$!
}

# fdprobe: tests/integration/fdprobe.c, built once per run (skips without a C compiler)
build_fdprobe()
{
	FDPROBE=$BATS_RUN_TMPDIR/fdprobe
	[[ -x $FDPROBE ]] && return 0
	command -v cc >/dev/null || skip "no C compiler for fdprobe.c"
	cc -O -Wall -o "$FDPROBE.tmp" "$INTEGRATION_DIR/fdprobe.c"
	mv "$FDPROBE.tmp" "$FDPROBE"
}

# probe_fds FILE: the fd numbers fdprobe recorded in FILE, space separated
probe_fds()
{
	awk '$1 == "fd" {print $2}' "$1" | sort -n | tr '\n' ' '
}

# probe_target FILE FD: what fd FD was
probe_target()
{
	awk -v fd="$2" '$1 == "fd" && $2 == fd {print $3}' "$1"
}

# probe_sig FILE Blk|Ign: the signal mask field in hex
probe_sig()
{
	awk -v k="Sig$2:" '$1 == k {print $2}' "$1"
}

# ctr_fds: the container process's fds as "N TARGET" lines (from `ls -l /proc/self/fd` run as the
# container's process; ls's own directory fd is left out), in $T/ctr.fds
ctr_fds()
{
	k8s_check "$LOG"
	cat "$T/out.stdout"
	awk '$(NF-1) == "->" {print $(NF-2), $NF}' "$T/out.stdout" | grep -Ev ' /proc/[0-9]+/fd$' >"$T/ctr.fds"
}

ctr_fd_numbers()
{
	cut -d' ' -f1 "$T/ctr.fds" | sort -n | tr '\n' ' '
}

@test "hygiene: the container sees only fds 0, 1, 2, also when the engine leaks an fd to vigil" {
	ENGINE_OPTS=(--inherit-fd 7)
	make_bundle /bin/ls -l /proc/self/fd
	launch_via_layout --keep 7
	wait_sync
	# vigil itself has the leaked fd (it belongs to the engine, §3.6) ...
	[[ $(readlink "/proc/$(daemon_pid)/fd/7") == pipe:* ]]
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	ctr_fds
	# ... but without --preserve-fds the container gets none of it
	[ "$(ctr_fd_numbers)" = "0 1 2 " ]
	grep -qx '0 /dev/null' "$T/ctr.fds"
	grep -Eqx '1 pipe:\[[0-9]+\]' "$T/ctr.fds"
	grep -Eqx '2 pipe:\[[0-9]+\]' "$T/ctr.fds"
}

# args_fdprobe_runtime: default_vigil_args with -r fdprobe; the probe records into $T/runtime.rec
# and then runs runc (engine options in ENGINE_OPTS)
args_fdprobe_runtime()
{
	build_fdprobe
	vigil_args_with_runtime "$FDPROBE"
	ENGINE_OPTS+=(--env "FDPROBE_OUT=$T/runtime.rec" --env "FDPROBE_NEXT=$RUNC")
}

@test "hygiene: with an inherited fd 3 and --preserve-fds 1 the container sees exactly 0-3; the runtime 0-3 too" {
	ENGINE_OPTS=(--inherit-fd 7)
	args_fdprobe_runtime
	make_bundle /bin/ls -l /proc/self/fd
	python3 "$INTEGRATION_DIR/engine.py" --state "$STATE" "${ENGINE_OPTS[@]}" -- \
		"$PYTHON" "$INTEGRATION_DIR/fd_layout.py" --preserve 7 -- "$VIGIL_BINARY" "${VARGS[@]}" \
		--runtime-opt --preserve-fds --runtime-opt 1 >"$STATE/engine.out" 2>&1 3>&- &
	ENGINE_PID=$!
	wait_sync
	[[ $SYNC_FIRST =~ ^\{\"data\":\ [0-9]+\}$ ]]
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	ctr_fds
	[ "$(ctr_fd_numbers)" = "0 1 2 3 " ]
	grep -Eqx '3 pipe:\[[0-9]+\]' "$T/ctr.fds"
	# the runtime got stdio and the preserved fd 3; not the sync (4) or start (5) pipe, nor any
	# fd of vigil's own
	cat "$T/runtime.rec"
	[ "$(probe_fds "$T/runtime.rec")" = "0 1 2 3 " ]
	[[ $(probe_target "$T/runtime.rec" 3) == pipe:* ]]
}

@test "hygiene: the runtime gets only 0, 1, 2, an empty signal mask and SIGPIPE ignored (as upstream)" {
	args_fdprobe_runtime
	make_bundle /bin/true
	python3 "$INTEGRATION_DIR/engine.py" --state "$STATE" "${ENGINE_OPTS[@]}" -- \
		"$PYTHON" "$INTEGRATION_DIR/fd_layout.py" -- "$VIGIL_BINARY" "${VARGS[@]}" >"$STATE/engine.out" 2>&1 3>&- &
	ENGINE_PID=$!
	wait_sync
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	cat "$T/runtime.rec"
	[ "$(probe_fds "$T/runtime.rec")" = "0 1 2 " ]
	[ "$(probe_target "$T/runtime.rec" 0)" = /dev/null ]
	[[ $(probe_target "$T/runtime.rec" 1) == pipe:* ]]
	[[ $(probe_target "$T/runtime.rec" 2) == pipe:* ]]
	# §17.7: the mask is reset; SIGPIPE (13, bit 0x1000) stays ignored for the runtime
	[ "$(probe_sig "$T/runtime.rec" Blk)" = 0000000000000000 ]
	(((0x$(probe_sig "$T/runtime.rec" Ign) & 0x1000) != 0))
}

@test "hygiene: the exit command sees only 0, 1, 2 (on /dev/null), an empty signal mask, no ignored signals" {
	build_fdprobe
	ENGINE_OPTS=(--inherit-fd 7)
	local rec=$T/exitcmd.rec
	make_bundle /bin/true
	launch_via_layout --keep 7 --exit-command "$FDPROBE" --exit-command-arg --out --exit-command-arg "$rec"
	wait_sync
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	cat "$rec"
	[ "$(probe_fds "$rec")" = "0 1 2 " ]
	[ "$(probe_target "$rec" 0)" = /dev/null ]
	[ "$(probe_target "$rec" 1)" = /dev/null ]
	[ "$(probe_target "$rec" 2)" = /dev/null ]
	# §17.7: the signal mask is reset and SIGPIPE is back to default
	[ "$(probe_sig "$rec" Blk)" = 0000000000000000 ]
	[ "$(probe_sig "$rec" Ign)" = 0000000000000000 ]
}

# Skip only when there is no memory cgroup controller at all (as 14-oom.bats).
require_memory_cgroup()
{
	[[ -e /sys/fs/cgroup/memory/memory.oom_control ]] && return 0
	[[ -e /sys/fs/cgroup/cgroup.controllers ]] && grep -qw memory /sys/fs/cgroup/cgroup.controllers && return 0
	skip "no memory cgroup controller"
}

@test "hygiene: modes under umask 077: log 0640, exit files 0644, attach srwx------, ctl/winsz prw-r-----, oom 0644, pidfile 0644" {
	require_memory_cgroup
	umask 077
	mkdir -p "$T/persist"
	chmod 755 "$T/persist"
	make_bundle /bin/dd if=/dev/zero of=/dev/null bs=64M count=1
	bundle_edit '.linux.resources.memory = {limit: 16777216, swap: 16777216}'
	vigil_create --persist-dir "$T/persist"
	# before the container runs
	[ "$(stat -c %A "$LOG")" = -rw-r----- ]
	[ "$(stat -c %A "$CONMON_PIDFILE")" = -rw-r--r-- ]
	[ "$(stat -c %A "$BUNDLE/attach")" = srwx------ ]
	[ "$(stat -c %A "$BUNDLE/ctl")" = prw-r----- ]
	[ "$(stat -c %A "$BUNDLE/winsz")" = prw-r----- ]
	[ -L "$SOCK_DIR/$CUUID" ]
	# a reopened log has the same mode
	mv "$LOG" "$LOG.1"
	ctl_write '2 0 0\n'
	WAIT_TIMEOUT=5 wait_for_file "$LOG"
	[ "$(stat -c %A "$LOG")" = -rw-r----- ]
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 137 ]
	[ "$(stat -c %A "$(exit_file)")" = -rw-r--r-- ]
	[ "$(stat -c %A "$T/persist/exit")" = -rw-r--r-- ]
	[ "$(stat -c %A "$T/persist/oom")" = -rw-r--r-- ]
	[ "$(stat -c %A "$BUNDLE/oom")" = -rw-r--r-- ]
	[ ! -s "$BUNDLE/oom" ]
	# no temp files next to the atomically written ones
	[ "$(ls -A "$EXIT_DIR")" = "$CID" ]
	[ "$(ls -A "$T" | grep -c 'conmon.pid.')" = 0 ]
	[ "$(ls -A "$T/persist" | tr '\n' ' ')" = "exit oom " ]
}

@test "hygiene: the exit command gets spaces, quotes, \$, *, newlines, backslashes and empty arguments intact" {
	local rec=$T/exitcmd-args
	local args=('two words' "it's \"quoted\"" '$HOME $(id) `id`' '*' '/*' '' 'line one
line two' 'back\slash \n \t' $'tab\there' '--' '-x' '--root=/x' ';' '|' '&' '>out' '~' 'ünïcødé' ' ' '')
	local long
	long=$(head -c 100000 /dev/zero | tr '\0' a)
	args+=("$long")
	printf '#!/bin/sh\nprintf "%%s\\0" "$@" >"%s.tmp"; mv "%s.tmp" "%s"\n' "$rec" "$rec" "$rec" >"$T/exitcmd"
	chmod 755 "$T/exitcmd"
	local vargs=() a
	for a in "${args[@]}"; do
		vargs+=(--exit-command-arg "$a")
	done
	# (not run_container: one argument is "--")
	make_bundle /bin/true
	vigil_create --exit-command "$T/exitcmd" "${vargs[@]}"
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	printf '%s\0' "${args[@]}" >"$T/expected-args"
	cmp "$T/expected-args" "$rec"
	# nothing was expanded: no file named "out" appeared, the cwd is untouched
	[ ! -e out ]
	[ ! -e "$T/out" ]
}

# fds_without_cloexec PID: "fd -> target" for every fd of PID without O_CLOEXEC
fds_without_cloexec()
{
	local f fd flags
	for f in /proc/"$1"/fdinfo/*; do
		fd=${f##*/}
		flags=$(awk '/^flags:/ {print $2}' "$f" 2>/dev/null) || continue
		[[ -n $flags ]] || continue
		if (((8#$flags & 8#2000000) == 0)); then
			echo "$fd -> $(readlink "/proc/$1/fd/$fd")"
		fi
	done
}

@test "hygiene: every fd vigil opens itself is O_CLOEXEC; the engine's leaked fd keeps its flags" {
	ENGINE_OPTS=(--inherit-fd 7)
	make_bundle /bin/sh -c 'while [ ! -e /out/stop ]; do sleep 0.02; done'
	bundle_tty
	bundle_out_mount
	launch_via_layout --keep 7 -t --full-attach --syslog
	wait_sync
	local dpid
	dpid=$(daemon_pid)
	client_start c1 "$BUNDLE/attach" --keep-open --send 'x'
	container_start
	wait_for container_running
	# a reopen and a resize, so that every kind of fd vigil has is open now
	ctl_write '1 10 10\n'
	mv "$LOG" "$LOG.1"
	ctl_write '2 0 0\n'
	WAIT_TIMEOUT=5 wait_for_file "$LOG"
	fd_list "$dpid"
	echo "without O_CLOEXEC:"
	fds_without_cloexec "$dpid" | tee "$T/nocloexec"
	# stdio (dup2'd /dev/null) and the engine's fd 7, nothing else
	[ "$(cut -d' ' -f1 "$T/nocloexec" | sort -n | tr '\n' ' ')" = "0 1 2 7 " ]
	touch "$OUT_DIR/stop"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
}
