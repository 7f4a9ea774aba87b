#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# OOM detection (interface.md §10, §17.4): a container killed by the kernel's OOM killer gets an
# empty `oom` file (0644) in the bundle and in --persist-dir, never in vigil's cwd.
#
# runc with cgroupfs puts the container in v1 cgroups on this hybrid host, so what runs end to end
# here is the v1 path (memory.oom_control + eventfd); the v2 path (memory.events) is covered by
# tests/unit/test_oom.c over files it writes.

# shellcheck disable=SC2012 # ls -A of test-owned dirs with plain names

load helpers

MEM_LIMIT=$((16 * 1024 * 1024))

setup()
{
	vigil_setup
	# vigil's cwd: the engine (and so vigil) is started from here
	mkdir -p "$T/cwd" "$T/persist"
}

# Skip only when there is no memory cgroup controller at all.
require_memory_cgroup()
{
	if [[ -e /sys/fs/cgroup/memory/memory.oom_control ]]; then
		return 0 # v1 or hybrid
	fi
	if [[ -e /sys/fs/cgroup/cgroup.controllers ]] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
		return 0 # v2
	fi
	skip "no memory cgroup controller (neither /sys/fs/cgroup/memory nor memory in cgroup.controllers)"
}

# limit_memory: linux.resources.memory.limit = 16 MiB (and no swap on top of it)
limit_memory()
{
	bundle_edit ".linux.resources.memory = {limit: $MEM_LIMIT, swap: $MEM_LIMIT}"
}

# mtime_ns PATH
mtime_ns()
{
	python3 -c 'import os, sys; print(os.stat(sys.argv[1]).st_mtime_ns)' "$1"
}

@test "oom: a container OOM-killed under a 16 MiB limit: empty 0644 oom in the bundle and the persist dir, not in cwd; 137" {
	require_memory_cgroup
	umask 077
	# dd allocates a 64 MiB buffer and fills it from /dev/zero
	make_bundle /bin/dd if=/dev/zero of=/dev/null bs=64M count=1
	limit_memory
	cd "$T/cwd"
	vigil_create --persist-dir "$T/persist"
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 137 ]
	assert_file_content "$(exit_file)" 137
	assert_file_content "$T/persist/exit" 137
	local f
	for f in "$BUNDLE/oom" "$T/persist/oom"; do
		[ -f "$f" ] || { echo "missing $f"; return 1; }
		[ "$(stat -c %s "$f")" = 0 ]
		[ "$(file_mode "$f")" = 644 ]
	done
	# never in vigil's cwd (conmon <= 2.1.12, #504)
	[ -z "$(ls -A "$T/cwd")" ]
	[ "$(ls -A "$T/persist" | sort | tr '\n' ' ')" = "exit oom " ]
	# the engine reads oom when it sees the exit file: it must already be there
	(($(mtime_ns "$BUNDLE/oom") <= $(mtime_ns "$(exit_file)")))
	(($(mtime_ns "$T/persist/oom") <= $(mtime_ns "$T/persist/exit")))
}

@test "oom: tail /dev/zero under the limit; without --persist-dir the oom file is in the bundle only" {
	require_memory_cgroup
	# `tail /dev/zero` buffers an endless line until the limit is hit
	make_bundle /bin/tail /dev/zero
	limit_memory
	cd "$T/cwd"
	vigil_create
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 137 ]
	assert_file_content "$(exit_file)" 137
	[ -f "$BUNDLE/oom" ]
	[ "$(stat -c %s "$BUNDLE/oom")" = 0 ]
	[ "$(file_mode "$BUNDLE/oom")" = 644 ]
	[ -z "$(ls -A "$T/cwd")" ]
	[ "$(ls -A "$EXIT_DIR")" = "$CID" ]
}

@test "oom: a container under the same limit that exits normally writes no oom file" {
	require_memory_cgroup
	make_bundle /bin/sh -c 'echo fine; dd if=/dev/zero of=/dev/null bs=1M count=4 2>/dev/null; exit 0'
	limit_memory
	cd "$T/cwd"
	vigil_create --persist-dir "$T/persist"
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$(exit_file)" 0
	[ ! -e "$BUNDLE/oom" ]
	[ ! -e "$T/persist/oom" ]
	[ -z "$(ls -A "$T/cwd")" ]
	[ "$(ls -A "$T/persist")" = exit ]
}

@test "oom: killed by runc kill KILL (not the OOM killer) under the limit: 137 and no oom file" {
	require_memory_cgroup
	make_bundle /bin/sleep 1000
	limit_memory
	cd "$T/cwd"
	vigil_create --persist-dir "$T/persist"
	container_start
	wait_for container_running
	container_kill KILL
	wait_daemon
	[ "$DAEMON_RC" = 137 ]
	[ ! -e "$BUNDLE/oom" ]
	[ ! -e "$T/persist/oom" ]
	[ -z "$(ls -A "$T/cwd")" ]
}
