#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# OOM reporting. Podman 4.3.1 sets State.OOMKilled when `<bundle>/oom` exists as it reads the exit
# file; the monitor creates that file when the container's memory cgroup reports an OOM kill (here:
# cgroup v1, memory.oom_control + eventfd, since runc with cgroupfs uses the v1 hierarchy).
# conmon 2.1.6 writes `oom` into its cwd instead (upstream #504), so with Debian's conmon this
# test fails unless Podman happens to run in the bundle; vigil follows 2.1.13+ (the bundle).

load helpers

setup_file() { e2e_setup_file; }
teardown_file() { e2e_teardown_file; }
teardown() { e2e_teardown; }

@test "a container killed by the kernel OOM killer (--memory) has State.OOMKilled true" {
	[[ -e /sys/fs/cgroup/memory/memory.oom_control || -e /sys/fs/cgroup/cgroup.controllers ]] ||
		skip "no memory cgroup"
	local name
	name=$(cname oom)
	# `tail /dev/zero` buffers an endless "line" until the 20 MiB limit (no swap) is hit.
	run -0 --separate-stderr pm run -d --name "$name" --memory 20m --memory-swap 20m \
		"$E2E_IMAGE" sh -c 'sleep 1; exec tail /dev/zero'
	run -0 --separate-stderr pm wait "$name"
	assert_eq "$output" "137" "podman wait (SIGKILL from the OOM killer)"
	run -0 --separate-stderr pm inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}}' "$name"
	assert_eq "$output" "true 137" "State.OOMKilled, ExitCode"
}

@test "a container that exits normally under --memory has State.OOMKilled false" {
	local name
	name=$(cname no-oom)
	run -0 --separate-stderr pm run --name "$name" --memory 20m --memory-swap 20m "$E2E_IMAGE" true
	run -0 --separate-stderr pm inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}}' "$name"
	assert_eq "$output" "false 0" "State.OOMKilled, ExitCode"
}
