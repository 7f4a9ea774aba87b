#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Interactive terminals with vigil as conmon, driven through tmux: podman run -it, window
# resizes (ctl/winsz, §7), podman attach with ctrl-p ctrl-q detach and re-attach (§6),
# several attached clients, and podman start --attach with and without a tty (§5.2, §6.2).

load helpers

setup_file() { e2e_setup_file; }
teardown_file() { e2e_teardown_file; }
teardown() {
	e2e_tmux_teardown
	e2e_teardown
}

# say WORD: a command line that prints WORD but does not contain it: for WORD=token-7 it is
# `echo "to""ken-7"`, so a line that is exactly WORD can only be the shell's output, not the echo.
say() { printf 'echo "%s""%s"' "${1:0:2}" "${1:2}"; }

pid_gone() { ! kill -0 "$1" 2>/dev/null; }
fd_count_is() { [[ $(proc_fd_count "$1") == "$2" ]]; }

@test "podman run -it: typed input, output, window resizes and exit through a real terminal" {
	local name n pid
	name=$(cname runit)
	n=$RANDOM
	tmux_start runit 80 24 run -it --name "$name" "$E2E_IMAGE" sh
	tmux_wait_for runit 30 '^/ #$'
	assert_vigil_monitors "$name"
	pid=$(pm inspect --format '{{.State.ConmonPid}}' "$name")

	tmux_type runit "$(say "typed-$n")"
	tmux_wait_for runit 10 "^typed-$n\$"
	# The pty got the initial size of the window Podman runs in.
	tmux_type_until runit 10 '^24 80$' 'stty size'
	tmux_type runit 'tty'
	tmux_wait_for runit 10 '^/dev/pts/[0-9]+$'

	# SIGWINCH -> podman -> "1 30 100" on <bundle>/ctl -> vigil -> TIOCSWINSZ on the master.
	tmux_resize runit 100 30
	tmux_type_until runit 15 '^30 100$' 'stty size'
	tmux_resize runit 72 19
	tmux_type_until runit 15 '^19 72$' 'stty size'

	# Control characters go through raw: ^C interrupts the foreground job in the container.
	tmux_type runit 'sleep 100; echo "sl""ept"'
	sleep 1
	tmux_keys runit C-c
	tmux_type runit "$(say "interrupted-$n")"
	tmux_wait_for runit 10 "^interrupted-$n\$"
	tmux_has runit '^slept$' && e2e_fail "^C did not interrupt sleep"

	# Still the same monitor after all that.
	assert_eq "$(pm inspect --format '{{.State.ConmonPid}}' "$name")" "$pid" "ConmonPid"
	tmux_type runit 'exit 5'
	run -0 tmux_wait_exit runit 30
	assert_eq "$output" 5 "podman run -it exit status"
	run -0 --separate-stderr pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$name"
	assert_eq "$output" "exited 5" "state"
	# The exit was noticed and reported by the monitor, which is gone now.
	wait_until 10 pid_gone "$pid"
}

@test "podman run -dit, attach, detach with ctrl-p ctrl-q, re-attach and type again" {
	local name pid n=$RANDOM
	name=$(cname detach)
	run -0 --separate-stderr pm run -dit --name "$name" "$E2E_IMAGE" sh
	wait_until 20 inspect_is "$name" '{{.State.Status}}' running
	assert_vigil_monitors "$name"
	pid=$(pm inspect --format '{{.State.ConmonPid}}' "$name")
	local fds0
	fds0=$(proc_fd_count "$pid")

	tmux_start att1 80 24 attach "$name"
	# Podman connects to <bundle>/attach first; nothing is printed until we type.
	tmux_type_until att1 15 "^first-$n\$" "$(say "first-$n")"
	tmux_keys att1 C-p C-q
	run -0 tmux_wait_exit att1 20
	assert_eq "$output" 0 "podman attach exit status after detach"
	tmux_has att1 '^first-' || e2e_fail "output gone from pane"

	# Detaching must not touch the container or its monitor.
	sleep 1
	run -0 --separate-stderr pm inspect --format '{{.State.Status}} {{.State.ConmonPid}}' "$name"
	assert_eq "$output" "running $pid" "state after detach"
	assert_vigil_pid "$pid"
	# The detached client's connection goes away at the latest when output to it fails (the
	# same as conmon 2.1.6, which also keeps it until then): make the container print something.
	run -0 --separate-stderr pm exec "$name" sh -c 'echo poke >/proc/1/fd/1'
	wait_until 10 fd_count_is "$pid" "$fds0" || e2e_fail "vigil fds: $(ls -l "/proc/$pid/fd")"

	# Stdin still works for the next client (no -i on the monitor, so no close-on-detach).
	tmux_start att2 80 24 attach "$name"
	tmux_type_until att2 15 "^second-$n\$" "$(say "second-$n")"
	# The shell's state survived the detach: set a variable, read it back.
	tmux_type att2 "v=kept$n; echo \"v=\$v\""
	tmux_wait_for att2 10 "^v=kept$n\$"
	tmux_keys att2 C-p C-q
	run -0 tmux_wait_exit att2 20
	assert_eq "$output" 0 "second podman attach exit status after detach"

	# A third attach ends when the shell exits; podman attach itself returns 0.
	tmux_start att3 80 24 attach "$name"
	tmux_type_until att3 15 "^third-$n\$" "$(say "third-$n")"
	tmux_type att3 'exit 9'
	run -0 tmux_wait_exit att3 30
	assert_eq "$output" 0 "podman attach exit status after container exit"
	wait_until 20 inspect_is "$name" '{{.State.Status}} {{.State.ExitCode}}' "exited 9"
}

@test "two podman attach clients on one tty container both see the output" {
	local name n=$RANDOM
	name=$(cname twoclients)
	run -0 --separate-stderr pm run -dit --name "$name" "$E2E_IMAGE" sh
	wait_until 20 inspect_is "$name" '{{.State.Status}}' running
	assert_vigil_monitors "$name"
	tmux_start cl1 80 24 attach "$name"
	tmux_start cl2 80 24 attach "$name"
	# Wait until both are connected: each one's own input must come back.
	tmux_type_until cl1 15 "^one-$n\$" "$(say "one-$n")"
	tmux_type_until cl2 15 "^two-$n\$" "$(say "two-$n")"
	# Now both are connected: output of input typed in one client reaches both (§6.4: every
	# chunk goes to every client).
	tmux_type cl1 "$(say "both-$n")"
	tmux_wait_for cl1 10 "^both-$n\$"
	tmux_wait_for cl2 10 "^both-$n\$"
	tmux_keys cl2 C-p C-q
	run -0 tmux_wait_exit cl2 20
	# cl1 still works after cl2 left.
	tmux_type cl1 "$(say "after-$n")"
	tmux_wait_for cl1 10 "^after-$n\$"
	# Stopping the container ends the remaining attach: vigil closes its clients at exit (§6.6).
	run -0 --separate-stderr pm stop -t 1 "$name"
	run -0 tmux_wait_exit cl1 30
	assert_eq "$output" 0 "podman attach exit status after podman stop"
}

@test "attach clients killed with SIGKILL leave no fds behind in vigil; output keeps flowing" {
	local name pid fds0 out=$BATS_TEST_TMPDIR/attach.out n0 n1 i
	name=$(cname killclient)
	run -0 --separate-stderr pm run -d --name "$name" "$E2E_IMAGE" \
		sh -c 'i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.02; done'
	wait_until 20 inspect_is "$name" '{{.State.Status}}' running
	assert_vigil_monitors "$name"
	pid=$(pm inspect --format '{{.State.ConmonPid}}' "$name")
	fds0=$(proc_fd_count "$pid")
	# (The private Podman configuration is exported; timeout -s KILL stands in for pm here.)
	for i in 1 2 3; do
		: >"$out"
		timeout -s KILL 3 podman attach --no-stdin --sig-proxy=false "$name" >"$out" 2>&1 || true
		grep -q '^line [0-9]' "$out" || e2e_fail "attach #$i got no output: $(head -c 300 "$out")"
		# vigil notices the dead client and closes its end.
		wait_until 10 fd_count_is "$pid" "$fds0" ||
			e2e_fail "vigil fds: $(ls -l "/proc/$pid/fd")" || return 1
	done
	# The container was never blocked by a vanished client: its log keeps growing.
	n0=$(pm logs --tail 1 "$name" | awk '{print $2}')
	sleep 1
	n1=$(pm logs --tail 1 "$name" | awk '{print $2}')
	((n1 > n0)) || e2e_fail "log stalled at line $n0 -> $n1"
	run -0 --separate-stderr pm inspect --format '{{.State.Status}} {{.State.ConmonPid}}' "$name"
	assert_eq "$output" "running $pid" "state after killed clients"
}

@test "podman start --attach of a created container without a tty: stdin, stdout, stderr, exit code" {
	local name
	name=$(cname startnotty)
	run -0 --separate-stderr pm create -i --name "$name" "$E2E_IMAGE" \
		sh -c 'while read l; do echo "out:$l"; echo "err:$l" >&2; done; echo end; exit 6'
	run -6 --separate-stderr pm start --attach --interactive "$name" < <(printf 'a\nb\nc\n')
	assert_eq "$output" $'out:a\nout:b\nout:c\nend' "stdout of start -ai"
	assert_eq "$stderr" $'err:a\nerr:b\nerr:c' "stderr of start -ai"
	run -0 --separate-stderr pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$name"
	assert_eq "$output" "exited 6" "state after start -ai"
	# Started again: vigil is its monitor, the same program gives the same result.
	run -6 --separate-stderr pm start --attach --interactive "$name" < <(printf 'z\n')
	assert_eq "$output" $'out:z\nend' "stdout of the second start -ai"
}

@test "podman start --attach of a created tty container, non-interactive: output with CRLF" {
	local name
	name=$(cname starttty)
	run -0 --separate-stderr pm create -t --name "$name" "$E2E_IMAGE" sh -c 'tty; echo tty-out; exit 2'
	run -2 --separate-stderr pm start --attach "$name" </dev/null
	# A tty has no separate stderr and ONLCR is set (§5.2): lines end in \r\n.
	assert_eq "$output" $'/dev/pts/0\r\ntty-out\r' "start --attach output"
	run -0 --separate-stderr pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$name"
	assert_eq "$output" "exited 2" "state"
}

@test "podman run -t with 100000 lines and an instant exit: every byte arrives before podman returns" {
	local want got i
	want=$(seq 1 100000 | sha256sum)
	for i in 1 2 3; do
		# With a tty (CRLF, one stream) and without.
		got=$(pm run --rm -t --name "$(cname "seqt$i")" "$E2E_IMAGE" seq 1 100000 </dev/null | tr -d '\r' | sha256sum)
		assert_eq "$got" "$want" "sha256 of run -t output, round $i"
		got=$(pm run --rm --name "$(cname "seq$i")" "$E2E_IMAGE" seq 1 100000 | sha256sum)
		assert_eq "$got" "$want" "sha256 of run output, round $i"
	done
}

@test "podman start -ai of a created -it container through a terminal: initial size, input, exit" {
	local name n=$RANDOM
	name=$(cname startit)
	run -0 --separate-stderr pm create -it --name "$name" "$E2E_IMAGE" sh
	run -0 --separate-stderr pm inspect --format '{{.State.Status}}' "$name"
	assert_eq "$output" created "state before start"
	tmux_start startit 91 26 start -ai "$name"
	tmux_wait_for startit 30 '^/ #$'
	assert_vigil_monitors "$name"
	tmux_type startit "$(say "started-$n")"
	tmux_wait_for startit 10 "^started-$n\$"
	# Podman sent the resize before the runtime made the pty; vigil applied it once the master
	# arrived (§7, winsz).
	tmux_type_until startit 10 '^26 91$' 'stty size'
	tmux_resize startit 120 40
	tmux_type_until startit 15 '^40 120$' 'stty size'
	tmux_type startit 'exit 4'
	run -0 tmux_wait_exit startit 30
	assert_eq "$output" 4 "podman start -ai exit status"
	run -0 --separate-stderr pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$name"
	assert_eq "$output" "exited 4" "state"
}
