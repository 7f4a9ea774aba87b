#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# `podman logs` reads the k8s-file log that vigil writes (-l k8s-file:<userdata>/ctr.log).

load helpers

setup_file() { e2e_setup_file; }
teardown_file() { e2e_teardown_file; }
teardown() { e2e_teardown; }

@test "podman logs shows stdout and stderr lines of a detached container, in order and per stream" {
	local name
	name=$(cname streams)
	# The pauses keep the order between the two pipes well defined even on a loaded machine.
	# shellcheck disable=SC2016 # expanded by the container's shell
	run -0 --separate-stderr pm run -d --name "$name" "$E2E_IMAGE" sh -c '
		sleep 1
		for i in 1 2 3 4; do
			echo "out $i"; sleep 0.2
			echo "err $i" >&2; sleep 0.2
		done
		sleep 1'
	wait_until 20 inspect_is "$name" '{{.State.Status}}' running
	assert_vigil_monitors "$name"

	run -0 --separate-stderr pm wait "$name"
	assert_eq "$output" "0" "exit code"

	local t=$BATS_TEST_TMPDIR
	# Both streams into one fd: the original interleaving.
	pm logs "$name" >"$t/both" 2>&1
	assert_eq "$(cat "$t/both")" $'out 1\nerr 1\nout 2\nerr 2\nout 3\nerr 3\nout 4\nerr 4' "podman logs 2>&1"
	# Each stream on its own fd.
	pm logs "$name" >"$t/stdout" 2>/dev/null
	assert_eq "$(cat "$t/stdout")" $'out 1\nout 2\nout 3\nout 4' "podman logs 2>/dev/null (stdout only)"
	pm logs "$name" 2>"$t/stderr" >/dev/null
	assert_eq "$(cat "$t/stderr")" $'err 1\nerr 2\nerr 3\nerr 4' "podman logs 2>&1 >/dev/null (stderr only)"
}

@test "podman logs of a 1 MiB output without a newline is byte-identical" {
	# What Podman 4.3.1 does with a final partial line (checked with Debian's conmon 2.1.6 too):
	# conmon writes the data as k8s-file `P` records and, as in conmon 2.2.1, no terminating `F`
	# record; `podman logs` prints P records verbatim and adds no newline at the end. So the
	# bytes must come back exactly, same length and same sha256.
	local name data
	name=$(cname big)
	data="$BATS_TEST_TMPDIR/big"
	head -c 786432 /dev/urandom | base64 -w 0 >"$data"
	assert_eq "$(stat -c %s "$data")" 1048576 "generated size"
	assert_eq "$(tr -cd '\n' <"$data" | wc -c)" 0 "newlines in the generated data"

	run -0 --separate-stderr pm run -d --name "$name" -v "$data:/big:ro" "$E2E_IMAGE" cat /big
	run -0 --separate-stderr pm wait "$name"
	assert_eq "$output" "0" "exit code"

	pm logs "$name" >"$BATS_TEST_TMPDIR/logs.out" 2>"$BATS_TEST_TMPDIR/logs.err"
	assert_eq "$(stat -c %s "$BATS_TEST_TMPDIR/logs.err")" 0 "podman logs stderr size"
	assert_eq "$(stat -c %s "$BATS_TEST_TMPDIR/logs.out")" 1048576 "podman logs output size"
	assert_eq "$(sha256sum <"$BATS_TEST_TMPDIR/logs.out")" "$(sha256sum <"$data")" "sha256"

	# The log file itself: only stdout P records of at most 8192 content bytes each.
	local log
	log=$(pm inspect --format '{{.HostConfig.LogConfig.Path}}' "$name")
	# shellcheck disable=SC2016 # awk program
	run -0 awk '
		$2 != "stdout" || $3 != "P" { bad++ }
		{ n = length($0) - length($1) - length($2) - length($3) - 3; if (n > 8192) big++; total += n }
		END { printf "bad=%d big=%d total=%d", bad, big, total }' "$log"
	assert_eq "$output" "bad=0 big=0 total=1048576" "k8s-file records"
}

@test "podman logs of a mixed run keeps a final partial line without adding a newline" {
	local name
	name=$(cname partial)
	run -0 --separate-stderr pm run --name "$name" "$E2E_IMAGE" sh -c 'printf "line1\nline2\npartial"'
	pm logs "$name" >"$BATS_TEST_TMPDIR/logs" 2>&1
	# Compare bytes exactly ($(...) would hide a trailing newline).
	printf 'line1\nline2\npartial' >"$BATS_TEST_TMPDIR/want"
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/logs" ||
		e2e_fail "podman logs bytes differ: $(od -c "$BATS_TEST_TMPDIR/logs")"
}
