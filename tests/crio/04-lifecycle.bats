#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Exit codes and removal. CRI-O learns a container's exit code only from the exit file that the
# monitor writes to --exit-dir (named after the container ID); `crictl stop` sends the stop
# signal and SIGKILL after the timeout through runc, and waits for that file.

load helpers

setup_file() {
	suite_setup_file
	POD=$(pod_create lifecycle)
	export POD
}

teardown_file() { suite_teardown_file; }

# logs_are ID TEXT: `crictl logs ID` prints exactly TEXT on stdout.
logs_are() {
	cmp -s <(cri logs "$1" 2>/dev/null) <(printf '%s' "$2")
}

# assert_exited ID CODE: the container is EXITED with exit code CODE.
assert_exited() {
	assert_eq "$(ctr_field "$1" '{{.status.state}} {{.status.exitCode}}')" "CONTAINER_EXITED $2" \
		"state and exit code of $1"
}

@test "a container that exits by itself: EXITED with its exit code (3)" {
	local id
	id=$(ctr_run "$POD" exits-3 -- sh -c 'exit 3')
	wait_until 30 state_is "$id" CONTAINER_EXITED
	assert_exited "$id" 3
}

@test "crictl stop: the container traps SIGTERM and exits 42" {
	local id start elapsed
	# `sleep & wait` keeps the shell interruptible, so the trap runs as soon as SIGTERM comes.
	# shellcheck disable=SC2016 # expanded by the container's shell
	id=$(ctr_run "$POD" traps-term -- sh -c 'trap "exit 42" TERM; echo ready; while :; do sleep 1 & wait $!; done')
	# The trap is in place once "ready" is in the log.
	wait_until 30 logs_are "$id" $'ready\n'
	start=$SECONDS
	cri stop -t 20 "$id" >/dev/null
	elapsed=$((SECONDS - start))
	assert_exited "$id" 42
	# 42 came from the trap, not from a SIGKILL after the timeout (that would be 137).
	((elapsed < 20)) || fail_with "crictl stop took $elapsed s"
}

@test "crictl stop: a container that ignores SIGTERM is killed after the timeout, exit code 137" {
	local id
	id=$(ctr_run "$POD" ignores-term -- sh -c 'trap "" TERM; echo ready; while :; do sleep 1; done')
	wait_until 30 logs_are "$id" $'ready\n'
	cri stop -t 2 "$id" >/dev/null
	assert_exited "$id" 137
}

@test "crictl rm removes the exited containers; crictl stopp and rmp remove the pod" {
	local ids left running
	# one more, still running, for stopp to stop
	running=$(ctr_run "$POD" running -- "${SLEEPER[@]}")
	wait_until 30 state_is "$running" CONTAINER_RUNNING

	# the exited containers of the tests before, or this one's if run alone
	mapfile -t ids < <(cri ps -a -q --pod "$POD" --state exited)
	if ((${#ids[@]} == 0)); then
		ids=("$(ctr_run "$POD" exits-0 -- true)")
		wait_until 30 state_is "${ids[0]}" CONTAINER_EXITED
	fi
	cri rm "${ids[@]}" >/dev/null
	left=$(cri ps -a -q --pod "$POD")
	assert_eq "$left" "$running" "containers left in the pod after crictl rm"

	cri stopp "$POD" >/dev/null
	assert_eq "$(cri inspectp -o go-template --template '{{.status.state}}' "$POD")" SANDBOX_NOTREADY "pod state"
	# stopping the pod stopped its container (sleep dies of SIGTERM: 128 + 15)
	assert_exited "$running" 143

	cri rmp "$POD" >/dev/null
	assert_eq "$(cri pods -q)" "" "pods after crictl rmp"
	assert_eq "$(cri ps -a -q)" "" "containers after crictl rmp"
}

@test "once everything is removed, no vigil process of this run is left and the attach dir is clean" {
	assert_run_clean
}
