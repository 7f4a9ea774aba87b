#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# podman exec with vigil as the exec monitor (§4.5 handshake, §11): exit codes, stream
# separation, large stdin and stdout, -t and -it through a real terminal, -d, and no leaks in
# the container's monitor or leftover exec monitors after many execs.

load helpers

setup_file() { e2e_setup_file; }
teardown_file() { e2e_teardown_file; }
teardown() {
	e2e_tmux_teardown
	e2e_teardown
}

# start_target NAME: a long-running detached container to exec into; prints its full ID.
start_target() {
	pm run -d --name "$1" "$E2E_IMAGE" sleep 1000 >/dev/null || return 1
	wait_until 20 inspect_is "$1" '{{.State.Status}}' running || return 1
	assert_vigil_monitors "$1" >&2 || return 1
	pm inspect --format '{{.Id}}' "$1"
}

no_exec_monitors() { [[ -z $(vigil_exec_pids "$1") ]]; }

@test "podman exec returns the exit code of the exec'd process (0, 3, 42, 137)" {
	local name id
	name=$(cname codes)
	id=$(start_target "$name")
	run -0 --separate-stderr pm exec "$name" true
	assert_eq "$output" "" "stdout of true"
	run -3 --separate-stderr pm exec "$name" sh -c 'exit 3'
	run -0 --separate-stderr pm exec "$name" sh -c 'exit 0'
	run -42 --separate-stderr pm exec "$name" sh -c 'echo x; exit 42'
	assert_eq "$output" x "stdout before exit 42"
	# Killed by a signal: the shell's convention, 128 + 9.
	run -137 --separate-stderr pm exec "$name" sh -c 'kill -9 $$'
	# The container is untouched and still has its own monitor.
	run -0 --separate-stderr pm inspect --format '{{.State.Status}}' "$name"
	assert_eq "$output" running "state after execs"
	assert_vigil_monitors "$name"
	wait_until 20 no_exec_monitors "$id"
}

@test "podman exec of a missing command: 127 and runc's error, with and without -i/-t; -d gives 125" {
	local name id
	name=$(cname missing)
	id=$(start_target "$name")
	local -a variants=("" "-i" "-t" "-it")
	local v
	for v in "${variants[@]}"; do
		# shellcheck disable=SC2086 # $v is zero or one option
		run -127 --separate-stderr pm exec $v "$name" no-such-command </dev/null
		[[ $stderr == *'exec: "no-such-command": executable file not found in $PATH'* ]] ||
			e2e_fail "exec $v: runc's error not passed on: $stderr"
	done
	run -127 --separate-stderr pm exec -w /no-such-dir "$name" true
	[[ $stderr == *'chdir to cwd ("/no-such-dir")'* ]] || e2e_fail "exec -w: $stderr"
	run -125 --separate-stderr pm exec -d "$name" no-such-command
	[[ $stderr == *'executable file not found'* ]] || e2e_fail "exec -d: $stderr"
	wait_until 20 no_exec_monitors "$id"
	# And the next exec works normally.
	run -0 --separate-stderr pm exec "$name" echo fine
	assert_eq "$output" fine "stdout after failed execs"
}

@test "podman exec keeps stdout and stderr apart, in order within each stream" {
	local name
	name=$(cname streams)
	start_target "$name" >/dev/null
	run -5 --separate-stderr pm exec "$name" \
		sh -c 'echo out1; echo err1 >&2; echo out2; echo err2 >&2; printf partial; exit 5'
	assert_eq "$output" $'out1\nout2\npartial' "stdout"
	assert_eq "$stderr" $'err1\nerr2' "stderr"
	# Only stdout / only stderr.
	run -0 --separate-stderr pm exec "$name" sh -c 'echo only-err >&2'
	assert_eq "$output" "" "stdout when only stderr is written"
	assert_eq "$stderr" "only-err" "stderr when only stderr is written"
}

@test "podman exec -i: 1 MiB of piped stdin arrives intact, 1 MiB of stdout comes back intact" {
	local name f want
	name=$(cname bigio)
	start_target "$name" >/dev/null
	f=$BATS_TEST_TMPDIR/random
	head -c 1048576 /dev/urandom >"$f"
	want=$(sha256sum <"$f")
	want=${want%% *}

	run -0 --separate-stderr pm exec -i "$name" sh -c 'cat | sha256sum' <"$f"
	assert_eq "${output%% *}" "$want" "sha256 of stdin as seen by the exec'd process"

	# Byte count, and stdin EOF reaches the process (wc returns).
	run -0 --separate-stderr pm exec -i "$name" sh -c 'wc -c' <"$f"
	assert_eq "${output// /}" 1048576 "bytes received"

	# Store it in the container, read it back through the exec output path (8192-byte frames).
	run -0 --separate-stderr pm exec -i "$name" sh -c 'cat >/tmp/big' <"$f"
	pm exec "$name" cat /tmp/big >"$BATS_TEST_TMPDIR/back" 2>"$BATS_TEST_TMPDIR/back.err" ||
		e2e_fail "podman exec cat failed: $(cat "$BATS_TEST_TMPDIR/back.err")"
	cmp "$f" "$BATS_TEST_TMPDIR/back" || e2e_fail "1 MiB read back through podman exec differs"

	# A process that does not read its stdin, or stops reading: exec still returns promptly.
	run -0 --separate-stderr pm exec -i "$name" true <"$f"
	run -0 --separate-stderr pm exec -i "$name" head -c 5 < <(yes)
	assert_eq "$output" $'y\ny\ny' "head -c 5 of yes"

	# Empty stdin: immediate EOF.
	run -0 --separate-stderr pm exec -i "$name" sh -c 'wc -c' </dev/null
	assert_eq "${output// /}" 0 "bytes from /dev/null"
}

@test "podman exec -t (no stdin): a tty, CRLF output, exit code; also for instant exits" {
	local name i
	name=$(cname exect)
	start_target "$name" >/dev/null
	run -7 --separate-stderr pm exec -t "$name" sh -c 'tty; echo a; exit 7'
	assert_eq "$output" $'/dev/pts/0\r\na\r' "exec -t output"
	# Large output through the exec's pty, and the exec ends right after it: nothing is lost.
	local want got
	want=$(seq 1 100000 | sha256sum)
	got=$(pm exec -t "$name" seq 1 100000 | tr -d '\r' | sha256sum)
	assert_eq "$got" "$want" "sha256 of exec -t output"
	# The exec'd process may be reaped before the runtime is (§11): the code must still be right.
	for i in 1 2 3 4 5 6 7 8; do
		run -0 --separate-stderr pm exec -t "$name" true
		run -9 --separate-stderr pm exec -t "$name" sh -c 'exit 9'
	done
}

@test "podman exec -it through a real terminal: typed input, output, size, resize, exit code" {
	local name id n=$RANDOM
	name=$(cname execit)
	id=$(start_target "$name")
	tmux_start eit 87 23 exec -it "$name" sh
	tmux_wait_for eit 30 '^/ #$'
	# This session has its own vigil (not the container's), with a tty.
	local epids
	epids=$(vigil_exec_pids "$id")
	[[ $epids =~ ^[0-9]+$ ]] || e2e_fail "expected one exec vigil for $id, found: '$epids'"
	tr '\0' '\n' <"/proc/$epids/cmdline" | grep -qx -- -t || e2e_fail "exec vigil has no -t"
	tmux_type eit "echo \"ex\"\"ec-$n\""
	tmux_wait_for eit 10 "^exec-$n\$"
	# Podman wrote the initial size to <execbundle>/ctl (§4.5 step 4).
	tmux_type_until eit 10 '^23 87$' 'stty size'
	tmux_resize eit 101 31
	tmux_type_until eit 15 '^31 101$' 'stty size'
	# It is the container's namespace: PID 1 is the container's sleep.
	tmux_type eit 'echo "pid1=$(cat /proc/1/cmdline | tr "\0" " ")"'
	tmux_wait_for eit 10 '^pid1=sleep 1000 ?$'
	tmux_type eit 'exit 12'
	run -0 tmux_wait_exit eit 30
	assert_eq "$output" 12 "podman exec -it exit status"
	wait_until 20 no_exec_monitors "$id"
	run -0 --separate-stderr pm inspect --format '{{.State.Status}}' "$name"
	assert_eq "$output" running "container state after exec -it"
}

@test "podman exec -d runs detached under its own vigil; its effect appears" {
	local name id merged epids
	name=$(cname execd)
	id=$(start_target "$name")
	merged=$(pm inspect --format '{{.GraphDriver.Data.MergedDir}}' "$name")
	[[ -d $merged ]] || e2e_fail "no MergedDir: $merged"
	run -0 --separate-stderr pm exec -d "$name" \
		sh -c 'echo started >/tmp/execd-started; sleep 3; echo done >/tmp/execd-done'
	# podman exec -d returns at once with the session ID.
	[[ $output =~ ^[0-9a-f]{64}$ ]] || e2e_fail "exec -d did not print a session ID: $output"
	wait_until 10 test -f "$merged/tmp/execd-started"
	[[ ! -e $merged/tmp/execd-done ]] || e2e_fail "the detached exec finished too early"
	# While it runs, a vigil monitors it.
	epids=$(vigil_exec_pids "$id")
	[[ $epids =~ ^[0-9]+$ ]] || e2e_fail "expected one exec vigil for $id, found: '$epids'"
	assert_vigil_pid "$epids"
	wait_until 15 test -f "$merged/tmp/execd-done"
	assert_eq "$(cat "$merged/tmp/execd-done")" "done" "file written by the detached exec"
	# Then the exec monitor exits.
	wait_until 20 no_exec_monitors "$id"
	run -0 --separate-stderr pm inspect --format '{{.State.Status}}' "$name"
	assert_eq "$output" running "container state after exec -d"
}

@test "50 podman exec in a row: no fd or child leak in the container's vigil, no leftover exec vigils" {
	local name id pid fds0 kids0 fds1 kids1 i
	name=$(cname leak)
	id=$(start_target "$name")
	pid=$(pm inspect --format '{{.State.ConmonPid}}' "$name")
	assert_vigil_pid "$pid"
	# One exec first, so that anything set up lazily on the first exec is counted in the baseline.
	pm exec "$name" true
	wait_until 20 no_exec_monitors "$id"
	fds0=$(proc_fd_count "$pid")
	kids0=$(proc_children "$pid")
	[[ -n $kids0 ]] || e2e_fail "container vigil $pid has no children (expected the container)"

	for ((i = 0; i < 50; i++)); do
		pm exec "$name" true || e2e_fail "exec #$i failed with $?" || return 1
	done
	wait_until 20 no_exec_monitors "$id"

	fds1=$(proc_fd_count "$pid")
	kids1=$(proc_children "$pid")
	assert_eq "$fds1" "$fds0" "open fds of the container's vigil ($pid)" ||
		e2e_fail "fds now: $(ls -l "/proc/$pid/fd")"
	assert_eq "$kids1" "$kids0" "children of the container's vigil ($pid)"
	# Still exactly one vigil for this container, and no exec session left behind by Podman.
	assert_eq "$(vigil_pids_for "$id")" "$pid" "vigil processes for $id"
	run -0 --separate-stderr pm inspect --format '{{len .ExecIDs}}' "$name"
	assert_eq "$output" 0 "exec sessions Podman still knows"
	assert_vigil_pid "$pid"
}

@test "exec monitors end when the container stops under them; the attached podman exec gets 137" {
	local name id out=$BATS_TEST_TMPDIR/exec.out
	name=$(cname stopunder)
	id=$(start_target "$name")
	run -0 --separate-stderr pm exec -d "$name" sleep 1000
	pm exec "$name" sh -c 'echo attached; exec sleep 1000' >"$out" 2>&1 3>&- &
	local exec_pid=$!
	wait_until 15 grep -qx attached "$out"
	count_exec_monitors() { [[ $(vigil_exec_pids "$1" | wc -l) == "$2" ]]; }
	wait_until 10 count_exec_monitors "$id" 2
	run -0 --separate-stderr pm stop -t 1 "$name"
	local rc=0
	wait "$exec_pid" || rc=$?
	assert_eq "$rc" 137 "exit status of the attached podman exec" || e2e_fail "output: $(cat "$out")"
	wait_until 20 no_exec_monitors "$id"
	assert_eq "$(vigil_pids_for "$id")" "" "vigil processes left for $id"
}
