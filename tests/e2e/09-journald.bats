#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Podman 4.3.1 with vigil as conmon and the journald log driver, against a real systemd-journald.
# No journald runs on these machines (host-notes.md), so this file starts a private one in a
# mount namespace (tests/integration/journald-ns.sh --hold: a tmpfs on /run/systemd, the journal
# under $E2E_DIR/jns/runlog bind-mounted at /run/log, nothing visible on the host) and runs every
# podman command of the tests inside that namespace (nsenter --mount), so podman, vigil, the
# `podman container cleanup` exit command and `podman logs` (sdjournal, which reads
# /run/log/journal) all see the private journal. Also the k8s-file size cap through podman
# (--log-opt max-size), interface.md §8.2.

load helpers

INTEGRATION_DIR=$BATS_TEST_DIRNAME/../integration

setup_file()
{
	e2e_setup_file
	JNS=$E2E_DIR/jns
	mkdir -p "$JNS"
	bash "$INTEGRATION_DIR/journald-ns.sh" "$JNS" journald --hold >"$E2E_DIR/jns.log" 2>&1 3>&- &
	local _
	for _ in $(seq 200); do
		[[ -e $JNS/ready ]] && break
		sleep 0.05
	done
	[[ -e $JNS/ready ]] || e2e_fail "private journald did not start: $(cat "$E2E_DIR/jns.log")" || return 1
	JNS_PID=$(cat "$JNS/holder.pid")
	export JNS JNS_PID
}

# Remove the containers inside the namespace (their mounts live there), then stop the private
# journald; the namespace goes away with its last process. Then the usual cleanup on the host.
teardown_file()
{
	if [[ -n ${JNS_PID:-} ]]; then
		pm rm -a -f -t 0 >/dev/null 2>&1 || true
		touch "$JNS/stop"
		local _
		for _ in $(seq 300); do
			kill -0 "$JNS_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$JNS_PID" 2>/dev/null && kill -KILL "$JNS_PID"
		JNS_PID=
	fi
	e2e_teardown_file
}

teardown() { e2e_teardown; }

# pm: helpers.bash's pm, run inside the private journal's mount namespace once it exists
pm()
{
	if [[ -z ${E2E_DIR:-} || ${CONTAINERS_STORAGE_CONF:-} != "$E2E_DIR"/* ||
		${CONTAINERS_CONF:-} != "$E2E_DIR"/* ]]; then
		echo "pm: private podman configuration is not set up" >&2
		return 125
	fi
	local ns=()
	[[ -z ${JNS_PID:-} ]] || ns=(nsenter --target "$JNS_PID" --mount --)
	"${ns[@]}" timeout --kill-after=10 "$E2E_TIMEOUT" podman "$@"
}

# journal ID [journal_read.py options]: the container's entries in the private journal
journal()
{
	local id=$1
	shift
	nsenter --target "$JNS_PID" --mount -- timeout 20 journalctl --sync
	python3 "$INTEGRATION_DIR/journal_read.py" --dir "$JNS/runlog/journal" --cid "$id" "$@"
}

@test "journald: podman logs shows both streams in order (--log-driver journald)" {
	local name id t=$BATS_TEST_TMPDIR
	name=$(cname streams)
	# shellcheck disable=SC2016 # expanded by the container's shell
	run -0 --separate-stderr pm run -d --name "$name" --log-driver journald "$E2E_IMAGE" sh -c '
		sleep 1
		for i in 1 2 3 4; do
			echo "out $i"; sleep 0.2
			echo "err $i" >&2; sleep 0.2
		done
		printf "no newline"'
	id=$output
	wait_until 20 inspect_is "$name" '{{.State.Status}}' running
	assert_vigil_monitors "$name"
	assert_eq "$(pm inspect --format '{{.HostConfig.LogConfig.Type}}' "$name")" journald "log driver"
	run -0 --separate-stderr pm wait "$name"
	assert_eq "$output" 0 "exit code"

	pm logs "$name" >"$t/both" 2>&1
	assert_eq "$(cat "$t/both")" $'out 1\nerr 1\nout 2\nerr 2\nout 3\nerr 3\nout 4\nerr 4\nno newline' "podman logs 2>&1"
	pm logs "$name" >"$t/stdout" 2>/dev/null
	assert_eq "$(cat "$t/stdout")" $'out 1\nout 2\nout 3\nout 4\nno newline' "podman logs stdout"
	pm logs "$name" 2>"$t/stderr" >/dev/null
	assert_eq "$(cat "$t/stderr")" $'err 1\nerr 2\nerr 3\nerr 4' "podman logs stderr"

	# what podman read: vigil's entries in the journal (§8.3)
	journal "$id" --show MESSAGE,PRIORITY,CONTAINER_ID,CONTAINER_NAME,SYSLOG_IDENTIFIER,CONTAINER_PARTIAL_MESSAGE >"$t/show"
	assert_eq "$(head -n 2 "$t/show")" "MESSAGE=out 1\\n PRIORITY=6 CONTAINER_ID=${id:0:12} CONTAINER_NAME=$name SYSLOG_IDENTIFIER=$name
MESSAGE=err 1\\n PRIORITY=3 CONTAINER_ID=${id:0:12} CONTAINER_NAME=$name SYSLOG_IDENTIFIER=$name" "first journal entries"
	assert_eq "$(tail -n 1 "$t/show")" "MESSAGE=no newline PRIORITY=6 CONTAINER_ID=${id:0:12} CONTAINER_NAME=$name SYSLOG_IDENTIFIER=$name CONTAINER_PARTIAL_MESSAGE=true" "last journal entry"
	assert_eq "$(wc -l <"$t/show")" 9 "journal entries"
}

@test "journald: --log-opt tag=foo is CONTAINER_TAG and SYSLOG_IDENTIFIER" {
	local name id t=$BATS_TEST_TMPDIR
	name=$(cname tagged)
	run -0 --separate-stderr pm run --name "$name" --log-driver journald --log-opt tag=foo "$E2E_IMAGE" \
		sh -c 'echo tagged; echo tagged-err >&2'
	run -0 --separate-stderr pm inspect --format '{{.Id}}' "$name"
	id=$output
	journal "$id" --show MESSAGE,PRIORITY,CONTAINER_TAG,CONTAINER_NAME,SYSLOG_IDENTIFIER | sort >"$t/show"
	assert_eq "$(cat "$t/show")" "MESSAGE=tagged-err\\n PRIORITY=3 CONTAINER_TAG=foo CONTAINER_NAME=$name SYSLOG_IDENTIFIER=foo
MESSAGE=tagged\\n PRIORITY=6 CONTAINER_TAG=foo CONTAINER_NAME=$name SYSLOG_IDENTIFIER=foo" "journal entries"
	pm logs "$name" >"$t/stdout" 2>"$t/stderr"
	assert_eq "$(cat "$t/stdout")" tagged "podman logs stdout"
	assert_eq "$(cat "$t/stderr")" tagged-err "podman logs stderr"
}

@test "journald: a 200 KB line and 3000 short lines come back through podman logs byte for byte" {
	local name t=$BATS_TEST_TMPDIR
	name=$(cname long)
	head -c 150000 /dev/urandom | base64 -w 0 >"$t/line"
	echo >>"$t/line"
	seq 1 3000 >>"$t/line"
	run -0 --separate-stderr pm run --name "$name" --log-driver journald -v "$t/line:/line:ro" "$E2E_IMAGE" cat /line
	pm logs "$name" >"$t/logs" 2>&1
	cmp "$t/logs" "$t/line" || e2e_fail "podman logs differs: $(stat -c %s "$t/logs") vs $(stat -c %s "$t/line") bytes"
}

@test "journald: '<3>' at a line start keeps PRIORITY 6, so podman logs can read it (§17.3)" {
	# Podman 4.3.1 fails with "unexpected PRIORITY field" on priorities other than 6 and 3, which is
	# why vigil only parses the prefix with --log-journald-priority (not passed by podman)
	local name id t=$BATS_TEST_TMPDIR
	name=$(cname prio)
	run -0 --separate-stderr pm run --name "$name" --log-driver journald "$E2E_IMAGE" \
		sh -c 'echo "<3>looks like an error"; echo "<7>debug"'
	run -0 --separate-stderr pm inspect --format '{{.Id}}' "$name"
	id=$output
	journal "$id" --show MESSAGE,PRIORITY >"$t/show"
	assert_eq "$(cat "$t/show")" 'MESSAGE=<3>looks like an error\n PRIORITY=6
MESSAGE=<7>debug\n PRIORITY=6' "journal entries"
	run -0 --separate-stderr pm logs "$name"
	assert_eq "$output" $'<3>looks like an error\n<7>debug' "podman logs"
}

@test "k8s-file: --log-opt max-size=10k keeps the log under 10 KiB and podman logs shows only the tail" {
	local name log t=$BATS_TEST_TMPDIR
	name=$(cname capped)
	# shellcheck disable=SC2016 # expanded by the container's shell
	run -0 --separate-stderr pm run --name "$name" --log-driver k8s-file --log-opt max-size=10k "$E2E_IMAGE" \
		sh -c 'i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done'
	log=$(pm inspect --format '{{.HostConfig.LogConfig.Path}}' "$name")
	assert_eq "$(pm inspect --format '{{.HostConfig.LogConfig.Size}}' "$name")" 10kB "LogConfig.Size"
	local size
	size=$(stat -c %s "$log")
	((size > 0 && size <= 10240)) || e2e_fail "log file of $size bytes"
	pm logs "$name" >"$t/logs" 2>&1
	seq 0 1999 | sed 's/^/line /' >"$t/all"
	python3 - "$t/logs" "$t/all" <<'PY' || e2e_fail "podman logs is not a whole-line tail: $(head -c 200 "$t/logs")"
import sys
logs, full = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
assert logs and full.endswith(logs) and len(logs) < len(full), "not a proper suffix"
assert full[: len(full) - len(logs)].endswith(b"\n"), "starts inside a line"
print("podman logs: %d of %d bytes, from %r" % (len(logs), len(full), logs.split(b"\n")[0]))
PY
}
