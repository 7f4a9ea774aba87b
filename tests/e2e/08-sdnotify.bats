#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# `podman run --sdnotify=container` (interface.md §12): Podman passes --sdnotify-socket=<its
# NOTIFY_SOCKET> to the monitor, bind-mounts <bundle>/notify at /run/notify in the container and
# sets NOTIFY_SOCKET=/run/notify/notify.sock there. The monitor relays the filtered lines; Podman
# sends MAINPID=<monitor pid> itself.
#
# systemd is not PID 1 here: notify_peer.py (tests/integration) stands in for systemd's socket and
# records every datagram with its sender's pid. The busybox image has no sd_notify tool, so the
# static sender tests/integration/sd_notify_send.c is built with `gcc -static` and bind-mounted
# into the container.
#
# Podman 4.3.1 (Debian 12), as observed: `podman run -d --sdnotify=container` does NOT wait for the
# container's READY=1; it returns right after the start, having sent MAINPID=<conmon pid> from the
# podman process. READY=1 arrives later, sent by the monitor. Newer Podman versions wait for READY=1
# before `run -d` returns; the first test asserts whichever applies to the installed version.

# container scripts in single quotes (SC2016); bats sets $stderr with run --separate-stderr (SC2154)
# shellcheck disable=SC2016,SC2154

load helpers

setup_file()
{
	e2e_setup_file
	command -v gcc >/dev/null || skip "gcc not installed: cannot build the static sd_notify sender"
	gcc -static -O2 -o "$E2E_DIR/sd-notify-send" "$BATS_TEST_DIRNAME/../integration/sd_notify_send.c" ||
		skip "gcc -static failed (no libc.a?): cannot build the static sd_notify sender"
}
teardown_file() { e2e_teardown_file; }

setup()
{
	PEER=$BATS_TEST_TMPDIR/peer
	SYSTEMD_SOCK=$E2E_DIR/systemd-$BATS_TEST_NUMBER.sock
	PEER_PID=
}

teardown()
{
	e2e_teardown
	if [[ -n $PEER_PID ]]; then
		touch "$PEER.stop"
		wait_until 5 test -e "$PEER.done" || kill -KILL "$PEER_PID" 2>/dev/null || true
		wait "$PEER_PID" 2>/dev/null || true
	fi
}

start_peer()
{
	python3 "$BATS_TEST_DIRNAME/../integration/notify_peer.py" "$SYSTEMD_SOCK" "$PEER" --timeout 90 3>&- &
	PEER_PID=$!
	wait_until 10 test -e "$PEER.ready"
}

# peer_got TEXT: the peer has received a datagram that is exactly TEXT
peer_got()
{
	python3 -c '
import json, sys
sys.exit(0 if any(json.loads(l)["data"] == sys.argv[2] for l in open(sys.argv[1])) else 1)' "$PEER.jsonl" "$1"
}

# podman_waits_for_ready: true for Podman versions whose `run -d --sdnotify=container` waits for READY=1
podman_waits_for_ready()
{
	local v
	v=$(pm version --format '{{.Client.Version}}')
	[[ $v != 4.[0-3].* && $v != [0-3].* ]]
}

@test "podman run -d --sdnotify=container: READY=1 from the container reaches NOTIFY_SOCKET, MAINPID from podman" {
	start_peer
	local name
	name=$(cname sdnotify)
	# the container shows its side of the relay, sleeps 2 s, then sends one datagram mixing a
	# MAINPID (must be dropped by the monitor), READY=1 and a STATUS
	local script='echo "$NOTIFY_SOCKET"; stat -c %A "$NOTIFY_SOCKET"; sleep 2
/sd-notify-send "$(printf "MAINPID=1\nREADY=1\nSTATUS=serving")"; exec sleep 60'
	local t0 t1
	t0=$(date +%s.%N)
	NOTIFY_SOCKET=$SYSTEMD_SOCK run -0 --separate-stderr pm run -d --name "$name" --sdnotify=container \
		-v "$E2E_DIR/sd-notify-send:/sd-notify-send:ro" "$E2E_IMAGE" sh -c "$script"
	t1=$(date +%s.%N)
	echo "podman run -d took $(python3 -c "print(round($t1 - $t0, 3))") s"
	assert_vigil_monitors "$name"
	local conmon_pid
	conmon_pid=$(pm inspect --format '{{.State.ConmonPid}}' "$name")

	wait_until 30 peer_got $'READY=1\nSTATUS=serving'
	cat "$PEER.jsonl"
	python3 - "$PEER.jsonl" "$conmon_pid" "$t1" <<'PY'
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1])]
conmon, returned = int(sys.argv[2]), float(sys.argv[3])
# podman's own MAINPID, naming the monitor, sent by podman (not by the monitor)
mainpid = [m for m in msgs if m["data"].startswith("MAINPID=")]
assert [m["data"] for m in mainpid] == ["MAINPID=%d" % conmon], mainpid
assert mainpid[0]["pid"] != conmon, "MAINPID relayed by the monitor: %r" % mainpid
# the container's datagram, filtered and relayed by the monitor
ready = [m for m in msgs if m["pid"] == conmon]
assert [m["data"] for m in ready] == ["READY=1\nSTATUS=serving"], ready
assert mainpid[0]["t"] <= ready[0]["t"]
open(sys.argv[1] + ".ready_t", "w").write(repr(ready[0]["t"]))
PY
	local ready_t
	ready_t=$(cat "$PEER.jsonl.ready_t")
	if podman_waits_for_ready; then
		# run -d returned only after READY=1 was sent (the container sleeps 2 s first)
		python3 -c "import sys; assert $t1 >= $ready_t and $t1 - $t0 >= 2, ($t0, $t1, $ready_t)"
	else
		# Podman 4.3.1: run -d does not wait; it returned before the container sent READY=1
		python3 -c "import sys; assert $t1 < $ready_t, ($t0, $t1, $ready_t)"
	fi

	# the container saw the monitor's socket at podman's mount point, mode 0777
	run -0 pm logs "$name"
	assert_eq "${lines[0]}" /run/notify/notify.sock "NOTIFY_SOCKET in the container"
	assert_eq "${lines[1]}" srwxrwxrwx "mode of the notify socket in the container"
	run -0 pm inspect --format '{{.State.Running}}' "$name"
	assert_eq "$output" true
}

@test "podman run --sdnotify=container with a NOTIFY_SOCKET that does not exist: the container runs and exits normally" {
	local name
	name=$(cname sdnotify-absent)
	NOTIFY_SOCKET=$E2E_DIR/no-such-dir/systemd.sock run --separate-stderr pm run --name "$name" \
		--sdnotify=container -v "$E2E_DIR/sd-notify-send:/sd-notify-send:ro" "$E2E_IMAGE" \
		sh -c '/sd-notify-send READY=1 && /sd-notify-send -n 100 WATCHDOG=1 && echo sent && exit 3'
	echo "stderr: $stderr"
	assert_eq "$status" 3 "podman run exit status"
	assert_eq "$output" sent
	run -0 --separate-stderr pm inspect --format '{{.State.ExitCode}}' "$name"
	assert_eq "$output" 3
}
