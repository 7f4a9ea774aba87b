#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# `crictl exec -s` (CRI ExecSync): CRI-O starts one monitor per call (-e --exec-process-spec,
# --sync, a private k8s-file log, --log-global-size-max 16777216, -T for a timeout), waits for
# its exit and parses the log into stdout and stderr. crictl v1.26 prints the stdout bytes, a
# newline, the stderr bytes and a newline; for a non-zero exit it fails with a message that
# carries the exit code and stderr instead.

load helpers

setup_file() {
	suite_setup_file
	POD=$(pod_create exec)
	EXEC_DATA=$RUN_DIR/data/exec
	mkdir -p "$EXEC_DATA"
	# The target of most execs, and a tty one; the data dir is where large outputs come from.
	CTR=$(ctr_run "$POD" target --mount "$EXEC_DATA:/data" -- "${SLEEPER[@]}")
	TTY_CTR=$(ctr_run "$POD" tty-target --tty -- "${SLEEPER[@]}")
	export POD EXEC_DATA CTR TTY_CTR
	wait_until 30 state_is "$CTR" CONTAINER_RUNNING
	wait_until 30 state_is "$TTY_CTR" CONTAINER_RUNNING
}

teardown_file() { suite_teardown_file; }

# exec_monitor_calls ID: how many exec monitors (-e) CRI-O started for container ID so far.
exec_monitor_calls() {
	# grep -c prints 0 but fails when nothing matches
	grep -F -- "-c $1 " "$RUN_DIR/monitor-argv.log" | grep -cF -- ' -e ' || true
}

# crictl_error FILE: crictl's fatal message in FILE without the time="..." prefix.
crictl_error() {
	sed -E 's/^time="[^"]*" //' "$1"
}

@test "exec -s: stdout and stderr come back separated, byte for byte, through a vigil exec monitor" {
	local t=$BATS_TEST_TMPDIR before
	before=$(exec_monitor_calls "$CTR")
	# shellcheck disable=SC2016 # expanded by the container's shell
	cri exec -s "$CTR" sh -c 'printf "out 1\n"; printf "err 1\n" >&2; printf "out 2\n\n"; printf "err no newline" >&2;
		printf "out no newline"' >"$t/out" 2>"$t/err"
	printf 'out 1\nout 2\n\nout no newline\nerr 1\nerr no newline\n' >"$t/want"
	assert_file_eq "$t/out" "$t/want" "crictl exec -s output"
	assert_eq "$(stat -c %s "$t/err")" 0 "crictl stderr bytes"
	# CRI-O ran exactly one more exec monitor for this container, through the logging wrapper,
	# which execs vigil.
	assert_eq "$(exec_monitor_calls "$CTR")" $((before + 1)) "exec monitor calls"
	grep -F -- "-c $CTR " "$RUN_DIR/monitor-argv.log" | tail -n 1 | grep -qE -- ' -e .* --sync ' ||
		fail_with "the last monitor call for $CTR is no exec: $(tail -n 1 "$RUN_DIR/monitor-argv.log")"
}

@test "exec -s: the exit code of the command reaches crictl (0, 7, and 137 for SIGKILL)" {
	local t=$BATS_TEST_TMPDIR rc
	run -0 cri exec -s "$CTR" sh -c 'exit 0'
	# crictl exits 1 for any failed ExecSync: the code is in its message
	rc=0
	cri exec -s "$CTR" sh -c 'echo bye >&2; exit 7' >/dev/null 2>"$t/err7" || rc=$?
	assert_eq "$rc" 1 "crictl's exit status for exit 7"
	# crictl puts the exit code and the stderr bytes in its message (logrus quotes the newline).
	assert_eq "$(crictl_error "$t/err7")" \
		"level=fatal msg=\"execing command in container synchronously: command 'sh -c echo bye >&2; exit 7' exited with 7: bye\\n\"" \
		"crictl's message for exit 7"
	# shellcheck disable=SC2016 # expanded by the container's shell
	rc=0
	cri exec -s "$CTR" sh -c 'kill -9 $$' >/dev/null 2>"$t/err137" || rc=$?
	assert_eq "$rc" 1 "crictl's exit status for SIGKILL"
	assert_eq "$(crictl_error "$t/err137")" \
		"level=fatal msg=\"execing command in container synchronously: command 'sh -c kill -9 \$\$' exited with 137: \"" \
		"crictl's message for SIGKILL"
}

# sleep_running ID ARG: a `sleep ARG` process runs in the container (busybox ps shows zombies in
# brackets, so a killed but unreaped one does not count).
sleep_running() {
	cri exec -s "$1" ps -o args | grep -qx "sleep $2"
}

no_sleep_running() {
	! sleep_running "$@"
}

# exec_monitor_running ID: a vigil process of this run monitors an exec (-e) in container ID.
exec_monitor_running() {
	run_vigil_pids | grep -qE -- " -c $1 .* -e "
}

@test "exec -s --timeout 2 of sleep: fails with 'command timed out' within seconds, and the sleep is gone" {
	local t=$BATS_TEST_TMPDIR start elapsed rc=0 pid
	start=$(date +%s%N)
	cri exec -s --timeout 2 "$CTR" sleep 3037 >/dev/null 2>"$t/err" 3>&- &
	pid=$!
	# meanwhile: the exec monitor of this call is a vigil process
	wait_until 10 exec_monitor_running "$CTR"
	wait "$pid" || rc=$?
	elapsed=$((($(date +%s%N) - start) / 1000000))
	assert_eq "$rc" 1 "crictl's exit status"
	# CRI-O turns the monitor's {"data": -1, "message": "command timed out"} into exit code -1.
	assert_eq "$(crictl_error "$t/err")" \
		"level=fatal msg=\"execing command in container synchronously: command 'sleep 3037' exited with -1: command timed out\"" \
		"crictl's message for the timeout"
	((elapsed >= 2000 && elapsed < 10000)) || fail_with "exec with --timeout 2 returned after $elapsed ms"
	# The monitor killed the command: no `sleep 3037` is left to run for an hour. (The probe does
	# see a running sleep: the container's own.)
	sleep_running "$CTR" 100000 || fail_with "ps in the container does not show its main process"
	wait_until 10 no_sleep_running "$CTR" 3037
}

@test "exec -s: 6 MiB of output arrive byte for byte" {
	local t=$BATS_TEST_TMPDIR
	# 4 MiB of random bytes as base64 in 4096-byte lines: k8s-file framing adds 1%, far below
	# CRI-O's 16 MiB cap on the exec log.
	head -c $((4608 * 1024)) /dev/urandom | base64 -w 4096 >"$EXEC_DATA/big"
	cri exec -s "$CTR" cat /data/big >"$t/out"
	{
		cat "$EXEC_DATA/big"
		printf '\n\n'
	} >"$t/want"
	assert_file_eq "$t/out" "$t/want" "crictl exec -s output of 6 MiB"
	rm -f "$EXEC_DATA/big"
}

@test "exec -s: 20 MiB of output are cut near CRI-O's 16 MiB log cap, never corrupted" {
	local t=$BATS_TEST_TMPDIR size
	# One 20 MiB line: P records of at most 8192 bytes, 46 bytes of framing each.
	head -c $((15 * 1024 * 1024)) /dev/urandom | base64 -w 0 >"$EXEC_DATA/huge"
	cri exec -s "$CTR" cat /data/huge >"$t/out"
	size=$(($(stat -c %s "$t/out") - 2))
	# the output is the stdout bytes, then "\n" (stderr is empty) "\n"
	assert_eq "$(tail -c 2 "$t/out" | od -An -c | tr -d ' ')" '\n\n' "end of the output"
	((size > 15 * 1024 * 1024 && size <= 16 * 1024 * 1024)) ||
		fail_with "$size stdout bytes: not cut near 16 MiB"
	cmp -n "$size" "$t/out" "$EXEC_DATA/huge" || fail_with "the output is not a prefix of the data"
	rm -f "$EXEC_DATA/huge"
}

@test "exec -s in a tty container: both streams through the terminal, CRLF, as stdout" {
	# CRI-O passes no -t here: the exec process spec says "terminal": true, and the monitor
	# carries that through to `runc exec` (as conmon does; the bytes below are conmon's too).
	local t=$BATS_TEST_TMPDIR
	cri exec -s "$TTY_CTR" sh -c 'printf "x\n"; printf "y\n" >&2; printf z' >"$t/out" 2>"$t/err"
	printf 'x\r\ny\r\nz\n\n' >"$t/want"
	assert_file_eq "$t/out" "$t/want" "crictl exec -s output in a tty container"
	assert_eq "$(stat -c %s "$t/err")" 0 "crictl stderr bytes"
	grep -F -- "-c $TTY_CTR " "$RUN_DIR/monitor-argv.log" | tail -n 1 | grep -qE -- ' -e .* --sync ' ||
		fail_with "the last monitor call for $TTY_CTR is no exec: $(tail -n 1 "$RUN_DIR/monitor-argv.log")"
}

@test "after the execs only the three container monitors run; once the pod is removed, none" {
	# The pod's infra container and the two targets; the exec monitors have all exited.
	local want got
	want=$(printf '%s\n' "$(monitor_pid "$POD")" "$(monitor_pid "$CTR")" "$(monitor_pid "$TTY_CTR")" | sort -n)
	got=$(run_vigil_pids | cut -d: -f1 | sort -n)
	assert_eq "$got" "$want" "vigil processes of this run"
	cri stopp "$POD" >/dev/null
	cri rmp "$POD" >/dev/null
	assert_run_clean
}
