#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Metrics under Podman: VIGIL_METRICS_DIR in containers.conf conmon_env_vars turns them on for every
# monitor Podman starts; a real node_exporter serves the directory and the scrape over HTTP has
# the container's exact counters, under the name Podman gave it. The file goes once Podman's exit
# command (podman container cleanup) ran.

load helpers

# Debian's python3, which has python3-prometheus-client (another python3 may come first in PATH)
PY=/usr/bin/python3

setup_file() {
	# shellcheck disable=SC2034 # read by e2e_setup_file
	E2E_CONMON_ENV="VIGIL_METRICS_DIR=@E2E_DIR@/metrics VIGIL_METRICS_INTERVAL=1"
	e2e_setup_file
	mkdir -p "$E2E_DIR/metrics"
}
teardown_file() { e2e_teardown_file; }
# The node_exporter a test started: the test's variables reach teardown, not teardown_file.
teardown() {
	if [[ -n ${NE_PID:-} ]]; then
		kill "$NE_PID" 2>/dev/null || true
		wait "$NE_PID" 2>/dev/null || true
	fi
	e2e_teardown
}

# stdout_bytes_are FILE N: the metrics file has N bytes of stdout
stdout_bytes_are() {
	[[ -f $1 ]] && grep -q "^vigil_stream_bytes_total{.*stream=\"stdout\"} $2\$" "$1"
}

@test "metrics: podman run with VIGIL_METRICS_DIR; node_exporter serves the exact counters; the file goes with the container" {
	local ne
	ne=$(command -v prometheus-node-exporter || command -v node_exporter) || skip "prometheus-node-exporter is not installed"
	local name cid file
	name=$(cname web)
	# 500 lines "line NNN\n" of 9 bytes each
	# shellcheck disable=SC2016 # the container's shell expands it
	cid=$(pm run -d --name "$name" "$E2E_IMAGE" sh -c 'i=100; while [ $i -lt 600 ]; do echo "line $i"; i=$((i+1)); done; sleep 1000')
	file=$E2E_DIR/metrics/vigil-$cid.prom
	wait_until 15 stdout_bytes_are "$file" 4500
	local port
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	"$ne" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$E2E_DIR/metrics" >"$E2E_DIR/ne.log" 2>&1 3>&- &
	NE_PID=$!
	wait_until 10 curl -sf -o "$E2E_DIR/scrape" "http://127.0.0.1:$port/metrics"
	"$PY" - "$E2E_DIR/scrape" "$cid" "$name" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
path, cid, name = sys.argv[1:]
got = []
for f in text_string_to_metric_families(open(path).read()):
    for s in f.samples:
        got.append((s.name, s.labels, s.value))
def one(metric, **want):
    hits = [v for n, l, v in got if n == metric and all(l.get(k) == x for k, x in want.items())]
    assert len(hits) == 1, (metric, want, hits)
    return hits[0]
assert one("vigil_stream_bytes_total", container_id=cid, container_name=name, exec="0", stream="stdout") == 4500
assert one("vigil_stream_lines_total", container_id=cid, stream="stdout") == 500
assert one("vigil_stream_bytes_total", container_id=cid, stream="stderr") == 0
assert one("vigil_info", container_id=cid) == 1
assert one("node_textfile_scrape_error") == 0
print("# scraped %d samples" % len(got))
PY
	# podman exec: its own monitor, its own file, gone with it
	run -0 pm exec "$name" sh -c 'echo from-exec'
	[ "$output" = from-exec ]
	pm rm -f -t 0 "$name" >/dev/null
	wait_until 15 test ! -e "$file"
	# nothing left: neither the container's file nor an exec session's
	[ -z "$(find "$E2E_DIR/metrics" -mindepth 1 -print -quit)" ]
}
