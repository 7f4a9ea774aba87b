#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Container output through CRI-O: `crictl logs` and the k8s-file log that vigil writes (-l PATH),
# who the monitor is and how CRI-O starts it, and kubelet's log rotation (rename, then the CRI
# ReopenContainerLog call, which CRI-O turns into "2 0 0" on the monitor's ctl FIFO).

load helpers

setup_file() {
	suite_setup_file
	POD=$(pod_create logs)
	export POD
}

teardown_file() { suite_teardown_file; }

@test "crictl logs gives back stdout and stderr byte for byte; the k8s-file log has the right records" {
	local data=$RUN_DIR/data/streams t=$BATS_TEST_TMPDIR
	mkdir -p "$data"
	# Known bytes: an empty line, edge spaces, a tab, UTF-8, a 24000-byte line (more than two
	# 8192-byte records), and on both streams a last line without a newline.
	{
		printf 'first line\n\n  spaces around  \ntab\there\nutf-8: gr\303\274\303\237e \342\234\223\n'
		# shellcheck disable=SC2046 # one printf argument per number
		printf '%05d.' $(seq 0 3999)
		printf '\nlast line without a newline'
	} >"$data/stdout"
	printf 'error 1\nerror 2\nerror partial' >"$data/stderr"

	local id
	id=$(ctr_run "$POD" streams --mount "$data:/data" -- sh -c 'cat /data/stdout; cat /data/stderr >&2')
	# CRI-O reports EXITED once the monitor wrote the exit file, which it does after draining
	# the container's output: the log is complete from then on.
	wait_until 30 state_is "$id" CONTAINER_EXITED
	assert_eq "$(ctr_field "$id" '{{.status.exitCode}}')" 0 "exit code"

	# crictl logs writes stdout records to its stdout and stderr records to its stderr.
	cri logs "$id" >"$t/logs.out" 2>"$t/logs.err"
	assert_file_eq "$t/logs.out" "$data/stdout" "crictl logs (stdout)"
	assert_file_eq "$t/logs.err" "$data/stderr" "crictl logs (stderr)"

	# The file itself: well-formed records, each stream rebuilt exactly from its own records.
	local log
	log=$(ctr_log "$id")
	assert_eq "$log" "$RUN_DIR/podlogs/logs/streams.log" "log path"
	k8s_log_split "$log" "$t/split"
	assert_file_eq "$t/split/stdout" "$data/stdout" "stdout rebuilt from the k8s-file records"
	assert_file_eq "$t/split/stderr" "$data/stderr" "stderr rebuilt from the k8s-file records"
	# The tags: five full lines (they sit together at the start of the first read), the long line
	# as two or more P records and an F, then the unterminated last line as a P record.
	local tags
	tags=$(<"$t/split/tags.stdout")
	[[ $tags =~ ^F\ F\ F\ F\ F\ P\ P(\ P)*\ F\ P$ ]] || fail_with "stdout record tags: $tags"
	assert_eq "$(<"$t/split/tags.stderr")" "F F P" "stderr record tags"
}

@test "the monitor is vigil, started the way CRI-O starts conmon, serving the attach socket in CRI-O's dir" {
	local id bundle pid
	id=$(ctr_run "$POD" sleeper -- "${SLEEPER[@]}")
	wait_until 30 state_is "$id" CONTAINER_RUNNING
	bundle=$(ctr_bundle "$id")

	# CRI-O's -P file names the monitor, and that process runs the binary under test.
	pid=$(monitor_pid "$id")
	assert_vigil_pid "$pid"

	# CRI-O v1.26.4's whole command line for a container monitor (crio-lib.sh's wrapper logs it
	# one line per call, arguments separated by spaces, with a space at the end).
	local want=(-b "$bundle" -c "$id" --exit-dir "$RUN_DIR/exits" -l "$RUN_DIR/podlogs/logs/sleeper.log"
		--log-level "${CRIO_LOG_LEVEL:-info}" -n k8s_sleeper_logs_vigil-crio_uid-logs_0 -P "$bundle/conmon-pidfile"
		-p "$bundle/pidfile" --persist-dir "$RUN_DIR/root/overlay-containers/$id/userdata"
		-r "$RUN_DIR/runtime" --runtime-arg "--root=$RUN_DIR/runc" --socket-dir-path "$RUN_DIR/attach"
		--syslog -u "$id")
	local lines
	lines=$(grep -F -- "-c $id " "$RUN_DIR/monitor-argv.log")
	assert_eq "$lines" "${want[*]} " "monitor command line in monitor-argv.log"
	# ... and it is this very process: its argv is the binary plus exactly those arguments.
	assert_eq "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "$VIGIL ${want[*]} " "/proc/$pid/cmdline"

	# The attach socket: <socket-dir-path>/<id> is a symlink to the bundle, the socket is in the
	# bundle, and the process that accepts a connection on it is the monitor.
	assert_eq "$(readlink "$RUN_DIR/attach/$id")" "$bundle" "attach symlink"
	[[ -S $bundle/attach ]] || fail_with "no socket at $bundle/attach"
	local owner
	owner=$(python3 "$CRIO_TESTS_DIR/attach_owner.py" "$RUN_DIR/attach/$id")
	assert_eq "$owner" "$pid" "process serving $RUN_DIR/attach/$id/attach"

	cri rm -f "$id" >/dev/null
}

@test "log rotation: after rename and ReopenContainerLog, new output goes to a new file at the old path" {
	local id log t=$BATS_TEST_TMPDIR
	id=$(ctr_run "$POD" rotated -- "${SLEEPER[@]}")
	wait_until 30 state_is "$id" CONTAINER_RUNNING
	log=$(ctr_log "$id")

	ctr_write "$id" 1 $'before rotation (stdout)\n'
	ctr_write "$id" 2 $'before rotation (stderr)\n'
	wait_until 20 log_records_are "$log" 2
	local old_inode
	old_inode=$(stat -c %i "$log")

	# What kubelet does: rename the file, then ask the runtime to reopen the container's log.
	mv "$log" "$log.1"
	"$CRIO_BIN/crio-reopen" "$CRIO_SOCK" "$id"
	# CRI-O returns once it saw the file come back (the monitor's reopen), so it is there now.
	[[ -f $log ]] || fail_with "no new log file at $log after ReopenContainerLog"
	[[ $(stat -c %i "$log") != "$old_inode" ]] || fail_with "$log is still the old file"
	cp "$log.1" "$t/old-at-reopen"

	ctr_write "$id" 1 $'after rotation\n'
	wait_until 20 log_records_are "$log" 1

	k8s_log_split "$log" "$t/new"
	printf 'after rotation\n' >"$t/want-new"
	assert_file_eq "$t/new/stdout" "$t/want-new" "stdout in the new file"
	assert_eq "$(stat -c %s "$t/new/stderr")" 0 "stderr bytes in the new file"

	# The renamed file holds the output from before, and nothing was added after the reopen.
	k8s_log_split "$log.1" "$t/old"
	printf 'before rotation (stdout)\n' >"$t/want-old-out"
	printf 'before rotation (stderr)\n' >"$t/want-old-err"
	assert_file_eq "$t/old/stdout" "$t/want-old-out" "stdout in the renamed file"
	assert_file_eq "$t/old/stderr" "$t/want-old-err" "stderr in the renamed file"
	assert_file_eq "$log.1" "$t/old-at-reopen" "renamed file since the reopen"

	# crictl logs reads the current file only.
	cri logs "$id" >"$t/logs.out" 2>"$t/logs.err"
	assert_file_eq "$t/logs.out" "$t/want-new" "crictl logs (stdout) after rotation"
	assert_eq "$(stat -c %s "$t/logs.err")" 0 "crictl logs (stderr) bytes after rotation"

	cri rm -f "$id" >/dev/null
}

@test "once the pod is removed, no vigil process of this run is left and the attach dir is clean" {
	cri stopp "$POD" >/dev/null
	cri rmp "$POD" >/dev/null
	assert_run_clean
}
