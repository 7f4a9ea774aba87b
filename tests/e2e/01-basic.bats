#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Podman with vigil as conmon: version probe, attached runs, exit codes, --rm cleanup,
# start --attach.

load helpers

setup_file() { e2e_setup_file; }
teardown_file() { e2e_teardown_file; }
teardown() { e2e_teardown; }

@test "podman info reports vigil's version line as the conmon version" {
	local vigil want
	vigil=$(e2e_vigil_binary)
	# Podman shows line 1 + ", " + the rest of `conmon --version`.
	want=$("$vigil" --version)
	want=${want/$'\n'/, }
	run -0 --separate-stderr pm info --format '{{.Host.Conmon.Version}}'
	assert_eq "$output" "$want" "Host.Conmon.Version"
	[[ ${lines[0]} =~ ^conmon\ version\ 2\.2\.1,\ commit:\ [^[:space:]]+$ ]] ||
		e2e_fail "unexpected first line: ${lines[0]}"
	run -0 --separate-stderr pm info --format '{{.Host.Conmon.Path}}'
	assert_eq "$output" "$(e2e_conmon_path)" "Host.Conmon.Path"
}

@test "podman starts vigil with the conmon argv (--api-version 1 ... --full-attach ... --exit-command)" {
	# Detached on purpose: at debug level Podman adds --syslog to the exit command, and
	# `podman --syslog` dies here ("Failed to initialize syslog hook": no /dev/log), so the
	# cleanup never happens and an attached `podman run` would sit out its 20 s conmon timeout.
	# That is Podman + this host, the same with Debian's conmon 2.1.6.
	local name
	name=$(cname argv)
	run -0 --separate-stderr pm --log-level debug run -d --rm --name "$name" "$E2E_IMAGE" true
	local line
	line=$(grep -F 'running conmon: ' <<<"$stderr") || e2e_fail "no 'running conmon' in debug output" "$stderr"
	[[ $line == *"running conmon: $(e2e_conmon_path)\""* ]] || e2e_fail "conmon is not vigil: $line"
	[[ $line == *'args="[--api-version 1 -c '* ]] || e2e_fail "unexpected argv: $line"
	[[ $line == *' --full-attach '* ]] || e2e_fail "no --full-attach: $line"
	[[ $line == *' --exit-command /usr/bin/podman '* ]] || e2e_fail "no exit command: $line"
	[[ $line == *'--exit-command-arg container --exit-command-arg cleanup --exit-command-arg --rm '* ]] ||
		e2e_fail "no 'container cleanup --rm' exit command: $line"
}

@test "podman run --rm IMG echo hi prints hi" {
	run -0 --separate-stderr pm run --rm --name "$(cname hi)" "$E2E_IMAGE" echo hi
	assert_eq "$output" "hi" "stdout"
}

@test "attached podman run streams through vigil's attach socket at <bundle>/attach" {
	local name out pid bundle
	name=$(cname attach)
	out="$BATS_TEST_TMPDIR/attach.out"
	pm run --name "$name" "$E2E_IMAGE" sh -c 'echo first; sleep 3; echo second' >"$out" 2>"$out.err" 3>&- &
	local podman_pid=$!
	wait_until 20 inspect_is "$name" '{{.State.Status}}' running
	wait_until 10 grep -qx first "$out"
	pid=$(pm inspect --format '{{.State.ConmonPid}}' "$name")
	assert_vigil_pid "$pid"
	bundle=$(pm inspect --format '{{.StaticDir}}' "$name")
	[[ -S $bundle/attach ]] || e2e_fail "no attach socket at $bundle/attach"
	if command -v ss >/dev/null; then
		# vigil listens on the SOCK_SEQPACKET socket it bound (via /proc/self/fd/N/attach) ...
		run -0 ss -x -l -p
		grep -E "^u_seq +LISTEN .*/attach .*pid=$pid," <<<"$output" ||
			e2e_fail "vigil ($pid) does not listen on an attach seqpacket socket" "$output"
		# ... and holds the accepted connection from the attached podman.
		run -0 ss -x -p
		grep -E "^u_seq +ESTAB .*/attach .*pid=$pid," <<<"$output" ||
			e2e_fail "no attach connection on vigil ($pid)" "$output"
	fi
	wait "$podman_pid" || e2e_fail "podman run failed: $(cat "$out.err")"
	assert_eq "$(cat "$out")" $'first\nsecond' "attached output"
}

@test "podman run --rm IMG sh -c 'exit 7' exits 7" {
	run -7 --separate-stderr pm run --rm --name "$(cname exit7)" "$E2E_IMAGE" sh -c 'exit 7'
	assert_eq "$output" "" "stdout"
}

@test "podman run --rm leaves no container behind (vigil ran 'podman container cleanup --rm')" {
	local name
	name=$(cname gone)
	run -0 --separate-stderr pm run --rm --name "$name" "$E2E_IMAGE" true
	run -0 --separate-stderr pm ps -a --filter "name=^${name}\$" --format '{{.Names}}'
	assert_eq "$output" "" "podman ps -a for $name"

	# Detached --rm: nothing but the exit command run by vigil can remove it.
	name=$(cname gone-detached)
	run -0 --separate-stderr pm run -d --rm --name "$name" "$E2E_IMAGE" sh -c 'sleep 1'
	wait_until 30 ctr_absent "$name"
	run -0 --separate-stderr pm ps -a --filter "name=^${name}\$" --format '{{.Names}}'
	assert_eq "$output" "" "podman ps -a for $name"
}

@test "after a detached container exits, vigil's exit command unmounts its rootfs" {
	# Nothing but `podman container cleanup` (the exit command vigil runs) does this for -d.
	local name merged
	name=$(cname cleanup)
	run -0 --separate-stderr pm run -d --name "$name" "$E2E_IMAGE" sh -c 'sleep 2'
	assert_vigil_monitors "$name"
	merged=$(pm inspect --format '{{.GraphDriver.Data.MergedDir}}' "$name")
	[[ -n $merged ]] || e2e_fail "no MergedDir"
	is_mounted() { awk -v m="$1" '$5 == m {found = 1} END {exit !found}' /proc/self/mountinfo; }
	not_mounted() { ! is_mounted "$1"; }
	is_mounted "$merged" || e2e_fail "rootfs $merged not mounted while running"
	wait_until 30 not_mounted "$merged"
	run -0 --separate-stderr pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$name"
	assert_eq "$output" "exited 0" "state"
}

@test "podman start --attach of a created container prints its output" {
	local name
	name=$(cname startattach)
	run -0 --separate-stderr pm create --name "$name" "$E2E_IMAGE" sh -c 'echo from-start-attach; exit 4'
	run -0 --separate-stderr pm inspect --format '{{.State.Status}}' "$name"
	assert_eq "$output" "created" "state before start"
	run -4 --separate-stderr pm start --attach "$name"
	assert_eq "$output" "from-start-attach" "attached output"
	run -0 --separate-stderr pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$name"
	assert_eq "$output" "exited 4" "state after start --attach"
}
