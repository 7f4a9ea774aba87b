#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# --metrics-dir (vigil extension, src/metrics.h): DIR/vigil-<cid>.prom in the Prometheus text format,
# written atomically at start, every --metrics-interval seconds and at exit, removed after the exit
# command unless --metrics-keep. Every file is parsed with the real Prometheus text parser
# (metrics_check.py, python3-prometheus-client); the last test serves the directory with a real
# node_exporter and scrapes it over HTTP.

# ls of a test-owned dir (SC2012); container scripts in single quotes (SC2016); ENGINE_OPTS is read
# by helpers.bash (SC2034); STATE is set by helpers.bash (SC2153); LOG is set per test (SC2030/1)
# shellcheck disable=SC2012,SC2016,SC2030,SC2031,SC2034,SC2153

load helpers
load faults

# Debian's python3, which has python3-prometheus-client (another python3 may come first in PATH)
PY=/usr/bin/python3

setup()
{
	faults_setup
	MDIR=$T/metrics
	mkdir -p "$MDIR" "$T/persist"
	MFILE=$MDIR/vigil-$CID.prom
	NE_PID=
	# exec sessions (helpers.bash: exec_spec, exec_launch, wait_exec)
	XSTATE=$T/exec-engine
	XSPEC=$T/exec-process.json
	XENGINE_OPTS=()
	XENGINE_PID=
	mkdir -p "$XSTATE"
}

teardown()
{
	if [[ -n $NE_PID ]]; then
		kill "$NE_PID" 2>/dev/null || true
		wait "$NE_PID" 2>/dev/null || true
	fi
	exec_teardown
	faults_teardown
}

# mcheck FILE [ARGS...]: metrics_check.py on FILE
mcheck()
{
	"$PY" "$INTEGRATION_DIR/metrics_check.py" "$@"
}

# metric_is FILE EXPECT: FILE exists and satisfies EXPECT (quietly; for wait_for)
metric_is()
{
	[[ -f $1 ]] && "$PY" "$INTEGRATION_DIR/metrics_check.py" "$1" "$2" >/dev/null 2>&1
}

@test "metrics: the file appears at start, follows the interval, and goes after the exit command" {
	make_bundle /bin/sh -c 'printf "hello\n"; printf "err" >&2; while [ ! -e /out/stop ]; do sleep 0.05; done; exit 3'
	bundle_out_mount
	# the exit command sees the file still there (the final one, with the exit code) and keeps a copy
	vigil_create --metrics-dir "$MDIR" --metrics-interval 1 --exit-json --persist-dir "$T/persist" \
		--exit-command /bin/sh --exit-command-arg -c --exit-command-arg "cp '$MFILE' '$T/at-exit-command.prom'"
	# created, not started: the file is there already, with nothing logged
	wait_for_file "$MFILE"
	mcheck "$MFILE" 'vigil_stream_bytes_total{stream=stdout}=0' 'vigil_info{version=0.1.0,conmon_version=2.2.1}=1' \
		"vigil_attach_clients_connected=0" 'vigil_open_fds>3' 'vigil_resident_memory_bytes>0' \
		"vigil_start_time_seconds>$(($(date +%s) - 60))"
	grep -q "container_name=\"$CID\",exec=\"0\",exec_id=\"\"" "$MFILE"
	run ! grep -q vigil_container_exit_code "$MFILE"
	container_start
	# the interval: the counters show up within a second or two
	WAIT_TIMEOUT=5 wait_for metric_is "$MFILE" 'vigil_stream_bytes_total{stream=stdout}=6'
	mcheck "$MFILE" 'vigil_stream_lines_total{stream=stdout}=1' 'vigil_stream_bytes_total{stream=stderr}=3' \
		'vigil_stream_lines_total{stream=stderr}=0' "vigil_log_file_bytes=$(stat -c %s "$LOG")"
	# only *.prom files and no temporary file for node_exporter to trip over
	[ "$(ls -A "$MDIR")" = "vigil-$CID.prom" ]
	touch "$OUT_DIR/stop"
	wait_daemon
	[ "$DAEMON_RC" = 3 ]
	# gone after the exit command; the command saw the final file
	[ ! -e "$MFILE" ]
	[ -z "$(ls -A "$MDIR")" ]
	mcheck "$T/at-exit-command.prom" --exit-json "$T/persist/exit.json" vigil_container_exit_code=3 \
		vigil_container_exit_signal=0 'vigil_stream_bytes_total{stream=stdout}=6'
}

@test "metrics: --metrics-keep (and VIGIL_METRICS_KEEP=1) keeps the final file; a signal is reported" {
	make_bundle /bin/sleep 1000
	ENGINE_OPTS=(--env VIGIL_METRICS_DIR="$MDIR" --env VIGIL_METRICS_KEEP=1)
	vigil_create
	container_start
	wait_for container_running
	container_kill KILL
	wait_daemon
	[ "$DAEMON_RC" = 137 ]
	mcheck "$MFILE" vigil_container_exit_code=137 vigil_container_exit_signal=9
}

@test "metrics: numbers are written the C way under a comma-decimal locale (LC_ALL=de_DE.UTF-8)" {
	# a German locale made for this test only (LOCPATH), from the locales package's sources
	[[ -f /usr/share/i18n/locales/de_DE ]] || skip "the locales package is not installed"
	mkdir -p "$T/locale"
	localedef -i de_DE -f UTF-8 "$T/locale/de_DE.UTF-8" </dev/null 2>/dev/null || [[ -d $T/locale/de_DE.UTF-8 ]] ||
		skip "localedef cannot make de_DE.UTF-8"
	LOCPATH="$T/locale" LC_ALL=de_DE.UTF-8 python3 -c 'import locale; locale.setlocale(locale.LC_ALL, ""); assert locale.localeconv()["decimal_point"] == ","'
	make_bundle /bin/sh -c 'i=0; while [ $i -lt 20000 ]; do echo "line $i"; i=$((i + 1)); done'
	ENGINE_OPTS=(--env LOCPATH="$T/locale" --env LC_ALL=de_DE.UTF-8)
	vigil_create --metrics-dir "$MDIR" --metrics-keep
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	# the CPU seconds are fractions: a comma there is a file no Prometheus parser reads
	grep -E '^vigil_cpu_seconds_total\{.*\} [0-9]+\.[0-9]+$' "$MFILE"
	mcheck "$MFILE" vigil_container_exit_code=0
}

@test "metrics: counters are exact per stream: partial lines, --log-size-max truncation, and exit.json agrees" {
	# stdout: 300 lines of 50 bytes (15000) and a 4-byte partial line; stderr: 40 lines of 20 bytes
	# and no newline at the end of a 7-byte tail. A 4 KiB cap truncates the k8s log many times.
	make_bundle /bin/sh -c 'i=0; while [ $i -lt 300 ]; do printf "%049d\n" $i; i=$((i+1)); done; printf tail
		i=0; while [ $i -lt 40 ]; do printf "%019d\n" $i >&2; i=$((i+1)); done; printf "no-nl-7" >&2'
	vigil_create --metrics-dir "$MDIR" --metrics-keep --exit-json --persist-dir "$T/persist" --log-size-max 4096
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	mcheck "$MFILE" --exit-json "$T/persist/exit.json" \
		'vigil_stream_bytes_total{stream=stdout}=15004' 'vigil_stream_lines_total{stream=stdout}=300' \
		'vigil_stream_bytes_total{stream=stderr}=807' 'vigil_stream_lines_total{stream=stderr}=40' \
		'vigil_log_rotations_total>2' 'vigil_log_reopens_total=0' \
		'vigil_log_dropped_bytes_total{stream=stdout,reason=rate_limit}=0' \
		'vigil_log_dropped_bytes_total{stream=stdout,reason=write_error}=0'
	# what stayed in the log plus what the truncations threw away is what the container wrote
	k8s_check "$LOG"
	"$PY" - "$MFILE" "$T/out.stdout" "$T/out.stderr" "$LOG" <<'PY'
import os, sys
from prometheus_client.parser import text_string_to_metric_families
m = {}
for f in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in f.samples:
        m[(s.name, s.labels.get("stream"), s.labels.get("reason"))] = s.value
# content bytes as the container wrote them: a P record's added newline is not content
def content(path, stream):
    n = 0
    for line in open(path, "rb"):
        ts, st, tag, rest = line.split(b" ", 3)
        if st.decode() == stream:
            n += len(rest) - (1 if tag == b"P" else 0)
    return n
for st, total in (("stdout", 15004), ("stderr", 807)):
    kept = content(sys.argv[4], st)
    cut = m[("vigil_log_dropped_bytes_total", st, "log_size_max")]
    print("# %s: kept %d, truncated away %d" % (st, kept, cut))
    assert kept + cut == total, (st, kept, cut, total)
assert m[("vigil_log_file_bytes", None, None)] == os.path.getsize(sys.argv[4])
PY
}

@test "metrics: a full log disk: write_error counts exactly what the log lacks, and no record is torn" {
	# 2000 numbered lines of 100 bytes, slowly enough for the disk to fill up in the middle
	local small=$T/small
	mkdir -p "$small"
	LOG=$small/ctr.log
	VIGIL_LOG=(-l "k8s-file:$LOG")
	ns_wrap --tmpfs "$small" 64k
	make_bundle /bin/sh -c 'i=0; while [ $i -lt 2000 ]; do printf "%099d\n" $i; i=$((i+1)); [ $((i % 50)) = 0 ] && sleep 0.01; done'
	vigil_create --metrics-dir "$MDIR" --metrics-keep
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	local vlog
	vlog=$(ns_path "$LOG")
	k8s_check "$vlog"
	"$PY" - "$MFILE" "$vlog" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
m = {}
for f in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in f.samples:
        m[(s.name, s.labels.get("stream"), s.labels.get("reason"))] = s.value
kept = 0
for line in open(sys.argv[2], "rb"):
    ts, st, tag, rest = line.split(b" ", 3)
    assert tag == b"F" and len(rest) == 100, "a torn or odd record: %r" % line[:80]
    kept += len(rest)
lost = m[("vigil_log_dropped_bytes_total", "stdout", "write_error")]
print("# kept %d, write_error %d" % (kept, lost))
assert lost > 0
assert kept + lost == 200000 == m[("vigil_stream_bytes_total", "stdout", None)], (kept, lost)
PY
	: >"$NS/ns.release"
}

@test "metrics: the rate limit and --log-global-size-max drops are counted per stream and reason" {
	local script='i=0; while [ $i -lt 200 ]; do printf "%099d\n" $i; i=$((i+1)); done
		i=0; while [ $i -lt 100 ]; do printf "%099d\n" $i >&2; i=$((i+1)); done'
	# the rate limit alone: its "[vigil] log rate limit" records are in the log, but they are not
	# the container's lines
	make_bundle /bin/sh -c "$script"
	vigil_create --metrics-dir "$MDIR" --metrics-keep --exit-json --persist-dir "$T/persist" --log-rate-limit 2000:5000
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	grep -q ' F \[vigil\] log rate limit: dropped' "$LOG"
	mcheck "$MFILE" --exit-json "$T/persist/exit.json" \
		'vigil_stream_bytes_total{stream=stdout}=20000' 'vigil_stream_bytes_total{stream=stderr}=10000' \
		'vigil_stream_lines_total{stream=stdout}=200' 'vigil_stream_lines_total{stream=stderr}=100' \
		'vigil_log_dropped_bytes_total{stream=stdout,reason=rate_limit}>0' \
		'vigil_log_dropped_bytes_total{stream=stderr,reason=rate_limit}>0' \
		'vigil_log_dropped_bytes_total{stream=stdout,reason=log_global_size_max}=0'
	# both: the global cap is reached on stdout, stderr is dropped by it entirely
	vigil_reset
	rm -f "$T/persist/exit.json"
	make_bundle /bin/sh -c "$script"
	vigil_create --metrics-dir "$MDIR" --metrics-keep --exit-json --persist-dir "$T/persist" \
		--log-rate-limit 2000:5000 --log-global-size-max 6000
	container_start
	wait_daemon
	mcheck "$MFILE" --exit-json "$T/persist/exit.json" \
		'vigil_stream_bytes_total{stream=stdout}=20000' 'vigil_stream_bytes_total{stream=stderr}=10000' \
		'vigil_stream_lines_total{stream=stdout}=200' 'vigil_stream_lines_total{stream=stderr}=100' \
		'vigil_log_dropped_bytes_total{stream=stdout,reason=log_global_size_max}>0' \
		'vigil_log_dropped_bytes_total{stream=stderr,reason=log_global_size_max}>0'
}

@test "metrics: lines are counted with every log driver: json-file alone, journald alone" {
	# 30 lines and a partial one on stdout, 5 lines on stderr
	local script='i=0; while [ $i -lt 30 ]; do echo "line $i"; i=$((i+1)); done; printf part; i=0; while [ $i -lt 5 ]; do echo e >&2; i=$((i+1)); done'
	VIGIL_LOG=(-l "json-file:$T/ctr.json")
	make_bundle /bin/sh -c "$script"
	vigil_create --metrics-dir "$MDIR" --metrics-keep
	container_start
	wait_daemon
	mcheck "$MFILE" 'vigil_stream_lines_total{stream=stdout}=30' 'vigil_stream_lines_total{stream=stderr}=5' \
		'vigil_stream_bytes_total{stream=stdout}=234' 'vigil_stream_bytes_total{stream=stderr}=10'
	# journald: no file log at all (the lines are counted on the way in); a private journald
	vigil_reset
	mkdir -p "$T/jns"
	LAUNCH_WRAP=(bash "$INTEGRATION_DIR/journald-ns.sh" "$T/jns" capture)
	VIGIL_LOG=(-l journald)
	make_bundle /bin/sh -c "$script"
	vigil_create --metrics-dir "$MDIR" --metrics-keep
	container_start
	wait_daemon
	mcheck "$MFILE" 'vigil_stream_lines_total{stream=stdout}=30' 'vigil_stream_lines_total{stream=stderr}=5' \
		'vigil_stream_bytes_total{stream=stdout}=234'
	run ! grep -q vigil_log_file_bytes "$MFILE"
}

@test "metrics: attach clients (now and total), stdin bytes, ctl reopens" {
	make_bundle /bin/sh -c 'while read -r line; do echo "got $line"; done; echo eof'
	vigil_create -i --metrics-dir "$MDIR" --metrics-interval 1 --metrics-keep
	container_start
	printf 'one\ntwo\n' >"$T/input"
	client_start c1 "$SOCK_DIR/$CUUID/attach" --send-file "$T/input" --keep-open --timeout 30
	WAIT_TIMEOUT=10 wait_for metric_is "$MFILE" 'vigil_stdin_bytes_total=8'
	WAIT_TIMEOUT=5 wait_for metric_is "$MFILE" 'vigil_attach_clients_connected=1'
	mcheck "$MFILE" vigil_attach_connections_total=1
	ctl_write '2 0 0\n'
	WAIT_TIMEOUT=5 wait_for metric_is "$MFILE" 'vigil_log_reopens_total=1'
	mcheck "$MFILE" vigil_log_rotations_total=0
	kill "$(cat "$T/c1.pid")"
	WAIT_TIMEOUT=5 wait_for metric_is "$MFILE" 'vigil_attach_clients_connected=0'
	mcheck "$MFILE" vigil_attach_connections_total=1
}

@test "metrics: an exec session writes its own file (exec=1, exec_id: its PID without -u) beside the container's" {
	make_bundle /bin/sh -c 'while [ ! -e /out/stop ]; do sleep 0.05; done'
	bundle_out_mount
	vigil_create --metrics-dir "$MDIR" --metrics-keep
	container_start
	wait_for container_running
	exec_spec /bin/sh -c 'echo from-exec; exit 5'
	# CRI-O's ExecSync: legacy exec, no -u
	exec_launch -c "$CID" -n "$CID" -r "$RUNC" -p "$T/exec_pid" -e -l "k8s-file:$T/exec.log" \
		--exec-process-spec "$XSPEC" --runtime-arg "--root=$RUNC_ROOT" --metrics-dir "$MDIR" --metrics-keep
	wait_exec
	[ "$DAEMON_RC" = 5 ]
	local xid xfile
	xid=$(cat "$XSTATE/daemon.pid")
	xfile="$MDIR/vigil-$CID-exec-$xid.prom"
	mcheck "$xfile" vigil_container_exit_code=5 'vigil_stream_bytes_total{stream=stdout}=10'
	grep -q "exec=\"1\",exec_id=\"$xid\"" "$xfile"
	[ "$(ls "$MDIR" | wc -l)" = 2 ]
	# the container's own file is untouched by the exec
	mcheck "$MFILE" 'vigil_stream_bytes_total{stream=stdout}=0'
	touch "$OUT_DIR/stop"
	wait_daemon
}

@test "metrics: a bad --metrics-dir or --metrics-interval is one clear error, before anything runs" {
	make_bundle /bin/true
	vigil_launch --metrics-dir "$T/does/not/exist"
	wait_launch
	wait_engine
	[ "$LAUNCH_RC" = 1 ]
	grep -F "Failed to open the metrics directory '$T/does/not/exist' (--metrics-dir): No such file or directory" \
		"$STATE/vigil.err"
	run ! "$RUNC" --root "$RUNC_ROOT" state "$CID"
	run "$VIGIL_BINARY" --metrics-dir "$MDIR" --metrics-interval 0 -c x -u x -r "$RUNC" -l k8s-file:"$T/l"
	[ "$status" = 1 ]
	[[ $output == *"--metrics-interval must be at least 1 second, got 0"* ]]
}

@test "metrics: a real node_exporter serves the file; the scrape has the container's exact counters" {
	local ne
	ne=$(command -v prometheus-node-exporter || command -v node_exporter) || skip "prometheus-node-exporter is not installed"
	make_bundle /bin/sh -c 'i=0; while [ $i -lt 1000 ]; do printf "line %04d\n" $i; i=$((i+1)); done; while [ ! -e /out/stop ]; do sleep 0.05; done'
	bundle_out_mount
	vigil_create --metrics-dir "$MDIR" --metrics-interval 1
	container_start
	# 1000 lines of 10 bytes
	WAIT_TIMEOUT=10 wait_for metric_is "$MFILE" 'vigil_stream_bytes_total{stream=stdout}=10000'
	local port
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	"$ne" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$MDIR" >"$T/ne.log" 2>&1 3>&- &
	NE_PID=$!
	WAIT_TIMEOUT=10 wait_for curl -sf -o "$T/scrape" "http://127.0.0.1:$port/metrics"
	"$PY" - "$T/scrape" "$CID" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
got = {}
for f in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in f.samples:
        got[(s.name, tuple(sorted(s.labels.items())))] = s.value
cid = sys.argv[2]
def one(name, **want):
    hits = [v for (n, l), v in got.items() if n == name and all(dict(l).get(k) == v2 for k, v2 in want.items())]
    assert len(hits) == 1, (name, want, hits)
    return hits[0]
assert one("vigil_stream_bytes_total", container_id=cid, stream="stdout") == 10000
assert one("vigil_stream_lines_total", container_id=cid, stream="stdout") == 1000
assert one("node_textfile_scrape_error") == 0, "node_exporter could not read the file"
print("# scraped: %d samples, vigil_stream_bytes_total{stdout} 10000" % len(got))
PY
	touch "$OUT_DIR/stop"
	wait_daemon
}
