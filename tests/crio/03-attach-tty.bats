#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# `crictl attach` and tty containers. CRI-O connects to the monitor's attach socket
# (<socket-dir-path>/<id>/attach) and relays stdin and output; with "tty": true the container's
# stdio is a pty whose master the monitor holds. (`crictl exec -it` is not here: CRI-O v1.26 runs a
# streaming exec with runc directly, with no monitor; 02-exec covers exec -s in a tty container.)

load helpers

setup_file() {
	suite_setup_file
	POD=$(pod_create attach)
	export POD
}

teardown_file() { suite_teardown_file; }

# file_is FILE TEXT: FILE holds exactly the bytes of TEXT.
file_is() {
	[[ -f $1 ]] && cmp -s "$1" <(printf '%s' "$2")
}

@test "crictl attach -i: each input line is answered; closing stdin ends the container (stdin_once)" {
	local t=$BATS_TEST_TMPDIR id
	# shellcheck disable=SC2016 # expanded by the container's shell
	id=$(ctr_run "$POD" echoer --stdin --stdin-once -- \
		sh -c 'while read -r line; do echo "got:$line"; done; echo "stdin closed"')
	wait_until 30 state_is "$id" CONTAINER_RUNNING

	# crictl reads its stdin from a FIFO that this test writes a line at a time.
	mkfifo "$t/in"
	cri attach -i "$id" <"$t/in" >"$t/out" 2>"$t/err" 3>&- &
	local attach_pid=$! in
	exec {in}>"$t/in"
	printf 'hello\n' >&"$in"
	wait_until 30 file_is "$t/out" $'got:hello\n'
	printf 'world\n' >&"$in"
	wait_until 30 file_is "$t/out" $'got:hello\ngot:world\n'
	# EOF on crictl's stdin: CRI-O half-closes the attach connection, and with stdin_once the
	# monitor closes the container's stdin, so `read` ends the loop.
	exec {in}>&-
	local rc=0
	wait "$attach_pid" || rc=$?
	assert_eq "$rc" 0 "crictl attach exit status (stderr: $(<"$t/err"))"
	printf 'got:hello\ngot:world\nstdin closed\n' >"$t/want"
	assert_file_eq "$t/out" "$t/want" "crictl attach output"

	wait_until 30 state_is "$id" CONTAINER_EXITED
	assert_eq "$(ctr_field "$id" '{{.status.exitCode}}')" 0 "exit code"
	cri logs "$id" >"$t/logs.out" 2>"$t/logs.err"
	assert_file_eq "$t/logs.out" "$t/want" "crictl logs (stdout)"
	assert_eq "$(stat -c %s "$t/logs.err")" 0 "crictl logs (stderr) bytes"
	cri rm "$id" >/dev/null
}

@test "tty container: both streams reach crictl logs as stdout, with the terminal's CRLF" {
	local t=$BATS_TEST_TMPDIR id
	id=$(ctr_run "$POD" tty-writer --tty -- \
		sh -c 'printf "out\n"; printf "err\n" >&2; printf "\ttab\n"; printf "no newline"')
	wait_until 30 state_is "$id" CONTAINER_EXITED
	assert_eq "$(ctr_field "$id" '{{.status.exitCode}}')" 0 "exit code"

	printf 'out\r\nerr\r\n\ttab\r\nno newline' >"$t/want"
	cri logs "$id" >"$t/logs.out" 2>"$t/logs.err"
	assert_file_eq "$t/logs.out" "$t/want" "crictl logs (stdout)"
	assert_eq "$(stat -c %s "$t/logs.err")" 0 "crictl logs (stderr) bytes"

	k8s_log_split "$(ctr_log "$id")" "$t/split"
	assert_file_eq "$t/split/stdout" "$t/want" "stdout rebuilt from the k8s-file records"
	assert_eq "$(<"$t/split/tags.stdout")" "F F F P" "stdout record tags"
	assert_eq "$(<"$t/split/tags.stderr")" "" "stderr record tags"
	cri rm "$id" >/dev/null
}

@test "crictl attach -it to a tty container: typed input is echoed by the pty and answered" {
	local t=$BATS_TEST_TMPDIR id
	# The container says "waiting" every second until a line arrives: once crictl's screen shows
	# it, the attach session is live end to end, and only then is the line typed.
	# shellcheck disable=SC2016 # expanded by the container's shell
	id=$(ctr_run "$POD" tty-echoer --tty --stdin -- \
		sh -c 'until read -r -t 1 line; do echo waiting; done; echo "got:$line"')
	wait_until 30 state_is "$id" CONTAINER_RUNNING

	# crictl -t wants a terminal on its stdin: script(1) gives it one. script's own stdin is a
	# FIFO held open until crictl has ended, so script never sees EOF (on EOF it would type ^D).
	mkfifo "$t/in"
	script -q -e -c "$(cri_cmdline attach -it "$id")" /dev/null <"$t/in" >"$t/screen" 2>&1 3>&- &
	local script_pid=$! in rc=0
	exec {in}>"$t/in"
	wait_until 60 grep -q waiting "$t/screen" ||
		fail_with "no output reached crictl (screen: $(od -An -c "$t/screen" | head -5))"
	printf 'typed\r' >&"$in"
	# The container ends after one answer, which ends the attach session and so crictl and script.
	wait "$script_pid" || rc=$?
	exec {in}>&-
	assert_eq "$rc" 0 "crictl attach -it exit status (screen: $(od -An -c "$t/screen" | tail -5))"

	# The log holds the prompts, the line as the container's terminal echoed it (its ICRNL made
	# the CR a newline) and the answer, each line ended by the terminal's CRLF.
	cri logs "$id" >"$t/logs.out"
	printf 'typed\r\ngot:typed\r\n' >"$t/want"
	python3 - "$t/logs.out" "$t/want" <<'PY' || fail_with "crictl logs of the tty session: $(od -An -c "$t/logs.out" | tail -5)"
import re, sys
logs, want = (open(p, "rb").read() for p in sys.argv[1:])
m = re.fullmatch(rb"(?:waiting\r\n)+(.*)", logs, re.S)
sys.exit(0 if m and m.group(1) == want else 1)
PY
	[[ $(tail -c 11 "$t/screen" | od -An -tx1) == $(printf 'got:typed\r\n' | od -An -tx1) ]] ||
		fail_with "screen does not end with the answer: $(od -An -c "$t/screen" | tail -3)"
	wait_until 30 state_is "$id" CONTAINER_EXITED
	assert_eq "$(ctr_field "$id" '{{.status.exitCode}}')" 0 "exit code"
	cri rm "$id" >/dev/null
}

@test "once the pod is removed, no vigil process of this run is left and the attach dir is clean" {
	cri stopp "$POD" >/dev/null
	cri rmp "$POD" >/dev/null
	assert_run_clean
}
