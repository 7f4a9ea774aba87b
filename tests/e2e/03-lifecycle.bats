#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Exit codes (vigil's exit file), kill, stop, rm -f, and the conmon pid file.

load helpers

setup_file() { e2e_setup_file; }
teardown_file() { e2e_teardown_file; }
teardown() { e2e_teardown; }

# run_detached NAME CMD...: start a detached container, wait until it runs, check vigil monitors it.
run_detached() {
	local name=$1
	shift
	pm run -d --name "$name" "$E2E_IMAGE" "$@" >/dev/null
	wait_until 20 inspect_is "$name" '{{.State.Status}}' running
	assert_vigil_monitors "$name"
}

@test "podman wait returns 0 and 3" {
	local name
	for code in 0 3; do
		name=$(cname "wait$code")
		# The sleep lets us see vigil monitoring it before it exits.
		run_detached "$name" sh -c "sleep 1; exit $code"
		run -0 --separate-stderr pm wait "$name"
		assert_eq "$output" "$code" "podman wait"
		run -0 --separate-stderr pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$name"
		assert_eq "$output" "exited $code" "state"
	done
}

@test "podman wait returns 137 after podman kill -s KILL" {
	local name
	name=$(cname killed)
	run_detached "$name" sleep 100
	run -0 --separate-stderr pm kill -s KILL "$name"
	run -0 --separate-stderr pm wait "$name"
	assert_eq "$output" "137" "podman wait"
	run -0 --separate-stderr pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$name"
	assert_eq "$output" "exited 137" "state"
}

@test "podman stop -t 2 of a container that ignores SIGTERM kills it (137) in bounded time" {
	local name start elapsed
	name=$(cname stubborn)
	run_detached "$name" sh -c 'trap "" TERM; echo ready; while :; do sleep 0.2; done'
	wait_until 10 logs_are "$name" ready
	start=$SECONDS
	run -0 --separate-stderr pm stop -t 2 "$name"
	elapsed=$((SECONDS - start))
	((elapsed >= 1 && elapsed <= 15)) || e2e_fail "podman stop -t 2 took ${elapsed}s"
	[[ $stderr == *"failed to stop container $name in 2 seconds, resorting to SIGKILL"* ]] ||
		e2e_fail "expected the SIGKILL fallback warning, stderr: $stderr"
	run -0 --separate-stderr pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$name"
	assert_eq "$output" "exited 137" "state"
	run -0 --separate-stderr pm wait "$name"
	assert_eq "$output" "137" "podman wait"
}

@test "podman stop of a container that exits on SIGTERM gives its exit code" {
	local name
	name=$(cname polite)
	run_detached "$name" sh -c 'trap "exit 42" TERM; echo ready; while :; do sleep 0.2; done'
	wait_until 10 logs_are "$name" ready
	run -0 --separate-stderr pm stop -t 20 "$name"
	run -0 --separate-stderr pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$name"
	assert_eq "$output" "exited 42" "state"
}

@test "podman rm -f of a running container removes it (and its vigil exits)" {
	local name pid
	name=$(cname rmf)
	run_detached "$name" sh -c 'trap "exit 0" TERM; while :; do sleep 0.2; done'
	pid=$(pm inspect --format '{{.State.ConmonPid}}' "$name")
	run -0 --separate-stderr pm rm -f -t 5 "$name"
	run -0 --separate-stderr pm ps -a --filter "name=^${name}\$" --format '{{.Names}}'
	assert_eq "$output" "" "podman ps -a for $name"
	ctr_absent "$name" || e2e_fail "container $name still exists"
	# The monitor is gone too (it exits once the container has; it may linger as a zombie of
	# PID 1 for a moment on these machines, so look at the state, not at existence).
	vigil_gone() {
		local st
		st=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || return 0
		[[ -z $st || $st == Z ]]
	}
	wait_until 10 vigil_gone
}

@test "podman inspect ConmonPidFile holds the running vigil's PID without a newline" {
	local name pidfile pid
	name=$(cname pidfile)
	run_detached "$name" sleep 100
	pidfile=$(pm inspect --format '{{.ConmonPidFile}}' "$name")
	[[ -f $pidfile ]] || e2e_fail "ConmonPidFile '$pidfile' does not exist"
	pid=$(pm inspect --format '{{.State.ConmonPid}}' "$name")
	# Exact content: digits, no trailing newline.
	printf '%s' "$pid" | cmp -s - "$pidfile" ||
		e2e_fail "ConmonPidFile content is not exactly '$pid'" "$(od -c "$pidfile")"
	assert_vigil_pid "$(cat "$pidfile")"
	# vigil is the container process's parent (it reaps it and writes the exit file).
	local ctr_pid
	ctr_pid=$(pm inspect --format '{{.State.Pid}}' "$name")
	assert_eq "$(awk '/^PPid:/ {print $2}' "/proc/$ctr_pid/status")" "$pid" "container process parent"
}
