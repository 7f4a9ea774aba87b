#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Restart policies: Podman restarts the container from the exit command vigil runs
# (`podman container cleanup`), and each restart gets a new vigil.

load helpers

setup_file() { e2e_setup_file; }
teardown_file() { e2e_teardown_file; }
teardown() { e2e_teardown; }

@test "--restart=on-failure:2 restarts a failing container twice, then it stays exited" {
	local name
	name=$(cname onfailure)
	# Each run sleeps briefly so that a running instance (and its monitor) can be observed.
	run -0 --separate-stderr pm run -d --name "$name" --restart=on-failure:2 "$E2E_IMAGE" \
		sh -c 'echo run; sleep 1; exit 1'
	wait_until 20 inspect_is "$name" '{{.State.Status}}' running
	assert_vigil_monitors "$name"
	wait_until 45 inspect_is "$name" '{{.RestartCount}} {{.State.Status}}' '2 exited'
	# And no third restart.
	sleep 2
	run -0 --separate-stderr pm inspect --format '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' "$name"
	assert_eq "$output" "2 exited 1" "RestartCount, state, exit code"
	# Three runs, each logged through (a new) vigil.
	run -0 --separate-stderr pm logs "$name"
	assert_eq "$output" $'run\nrun\nrun' "podman logs"
}

@test "--restart=on-failure:2 does not restart a container that exits 0" {
	local name
	name=$(cname onfailure-ok)
	run -0 --separate-stderr pm run -d --name "$name" --restart=on-failure:2 "$E2E_IMAGE" sh -c 'sleep 0.5'
	run -0 --separate-stderr pm wait "$name"
	assert_eq "$output" "0" "podman wait"
	sleep 2
	run -0 --separate-stderr pm inspect --format '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' "$name"
	assert_eq "$output" "0 exited 0" "RestartCount, state, exit code"
}
