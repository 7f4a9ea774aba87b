#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The package's CRI-O drop-in (examples/crio.conf.d/10-vigil.conf) with a private CRI-O v1.26.4:
# crio.conf names Debian's conmon as the runc handler's monitor, the drop-in replaces the handler,
# and every monitor is then the installed /usr/bin/vigil with the drop-in's environment. run.sh
# runs it through tests/crio/run-in-ns.sh with VIGIL_CRIO_DROPIN set: the drop-in goes in as it is
# but for the lines that must name this host's runc wrapper, state dir and cgroupfs monitor cgroup
# (tests/crio/helpers.bash, suite_setup_file).

load ../crio/helpers

setup_file() {
	[[ -n ${VIGIL_CRIO_DROPIN:-} && $VIGIL == /usr/bin/vigil ]] ||
		fail_with "run through tests/package/run.sh (VIGIL_CRIO_DROPIN, VIGIL_BINARY=/usr/bin/vigil)" || return 1
	suite_setup_file
	POD=$(pod_create dropin)
	export POD
}

teardown_file() { suite_teardown_file; }

@test "crio drop-in: containers and exec probes run under /usr/bin/vigil with the drop-in's monitor_env" {
	# what CRI-O made of the files: the handler is the drop-in's
	grep -q 'monitor_path = "/usr/bin/vigil"' "$RUN_DIR/conf/crio.conf.d/10-vigil.conf"
	run ! grep -q 'monitor_path = "/usr/bin/vigil"' "$RUN_DIR/conf/crio.conf"
	local ctr pid
	ctr=$(ctr_run "$POD" web -- sh -c 'echo up; echo err >&2; exec sleep 100000')
	wait_until 30 state_is "$ctr" CONTAINER_RUNNING
	pid=$(monitor_pid "$ctr")
	assert_vigil_pid "$pid"
	tr '\0' '\n' <"/proc/$pid/environ" | grep -qx VIGIL_EXIT_JSON=1 ||
		fail_with "VIGIL_EXIT_JSON=1 is not in the monitor's environment"
	wait_until 10 log_records_are "$(ctr_log "$ctr")" 2
	run -0 cri exec -s "$ctr" sh -c 'echo probe; exit 0'
	assert_eq "$output" probe "exec probe output"
	cri stop -t 1 "$ctr" >/dev/null
	wait_until 30 state_is "$ctr" CONTAINER_EXITED
	# SIGTERM, or SIGKILL after the second: CRI-O reports 128 + the signal
	local code
	code=$(ctr_field "$ctr" '{{.status.exitCode}}')
	[[ $code == 143 || $code == 137 ]] || fail_with "exit code $code, want 143 or 137"
	# the opt-in feature took: an exit record for the container
	local rec
	rec=$(find "$RUN_DIR" -name exit.json -path "*$ctr*" 2>/dev/null | head -n1)
	[[ -n $rec ]] || rec=$(find "$RUN_DIR" -name "$ctr.json" 2>/dev/null | head -n1)
	[[ -n $rec ]] || fail_with "no exit record for $ctr under $RUN_DIR"
	python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); assert r["exit_code"] == int(sys.argv[2]), r' \
		"$rec" "$code"
	cri rm "$ctr" >/dev/null
	cri stopp "$POD" >/dev/null
	cri rmp "$POD" >/dev/null
	assert_run_clean
}
