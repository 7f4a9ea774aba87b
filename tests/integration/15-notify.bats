#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The sd-notify relay (interface.md §12) and the refused seccomp notify option (§13).
#
# The container gets <bundle>/notify bind-mounted at /run/notify and NOTIFY_SOCKET pointing at
# /run/notify/notify.sock, as podman does. busybox has no sd_notify tool, so sd_notify_send.c is
# built with `gcc -static` and copied into this run's rootfs. notify_peer.py stands in for
# systemd's socket on the host side (it records every datagram and who sent it).

# bats runs each test in a subshell (SC2030/SC2031) and sets $stderr with run --separate-stderr (SC2154)
# shellcheck disable=SC2030,SC2031,SC2154

load helpers

setup()
{
	vigil_setup
	SENDER=$ROOTFS/bin/sd-notify-send
	if [[ ! -x $SENDER ]]; then
		command -v gcc >/dev/null || skip "gcc not installed: cannot build the static sd_notify sender"
		gcc -static -O2 -o "$SENDER.tmp" "$INTEGRATION_DIR/sd_notify_send.c" ||
			skip "gcc -static failed (no libc.a?): cannot build the static sd_notify sender"
		mv "$SENDER.tmp" "$SENDER"
	fi
	# the mount point of <bundle>/notify (the rootfs is read-only in the container)
	mkdir -p "$ROOTFS/run/notify"
	HOST_SOCK=$T/host.sock
	PEER=$T/peer
	PEER_PID=
}

teardown()
{
	if [[ -n $PEER_PID ]]; then
		touch "$PEER.stop"
		WAIT_TIMEOUT=5 wait_for pid_gone "$PEER_PID" 2>/dev/null || kill -KILL "$PEER_PID" 2>/dev/null || true
		wait "$PEER_PID" 2>/dev/null || true
	fi
	vigil_teardown
}

# notify_bundle CMD [ARGS...]: make_bundle plus <bundle>/notify mounted at /run/notify and
# NOTIFY_SOCKET=/run/notify/notify.sock in the container's environment.
notify_bundle()
{
	make_bundle "$@"
	mkdir -p "$BUNDLE/notify"
	local tmp=$BUNDLE/config.json.tmp
	jq --arg src "$BUNDLE/notify" '
		.mounts += [{destination: "/run/notify", type: "bind", source: $src, options: ["rbind", "rw"]}]
		| .process.env += ["NOTIFY_SOCKET=/run/notify/notify.sock"]' \
		"$BUNDLE/config.json" >"$tmp" && mv "$tmp" "$BUNDLE/config.json"
}

# start_peer [ARGS...]: the host-side notify socket at $HOST_SOCK
start_peer()
{
	python3 "$INTEGRATION_DIR/notify_peer.py" "$HOST_SOCK" "$PEER" --timeout 60 "$@" 3>&- &
	PEER_PID=$!
	wait_for_file "$PEER.ready"
}

stop_peer()
{
	touch "$PEER.stop"
	wait_for_file "$PEER.done"
	wait "$PEER_PID" || true
	PEER_PID=
}

peer_count()
{
	cat "$PEER.count" 2>/dev/null || echo 0
}

peer_has_at_least()
{
	(($(peer_count) >= $1))
}

# The container waits (at most 20 s) for $DATA_DIR/go before it exits, so the relay is not racing
# the container's exit.
# shellcheck disable=SC2016 # expanded by the container's shell
WAIT_GO='i=0; while [ ! -e /data/go ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done'

@test "notify: only the lines of §12 reach the host socket, joined with \\n, relayed by vigil" {
	umask 077
	start_peer
	local m1=$'MAINPID=1\nREADY=1\nSTATUS=hello world\rFDSTORE=1\nREADY=10\nWATCHDOG=1x\nWATCHDOG=trigger'
	local m2=$'MAINPID=99\nFDSTORE=1\nFDNAME=x'
	local m3=$'RELOADING=1\r\nSTOPPING=1\nERRNO=5\nBUSERROR=org.example.Error\nMONOTONIC_USEC=123\nWATCHDOG=1\n'
	notify_bundle /bin/sh -c "sd-notify-send \"\$@\" && { $WAIT_GO; }" sh "$m1" "$m2" "$m3"
	vigil_create --sdnotify-socket "$HOST_SOCK"
	# the container side exists before the container starts: a socket, mode 0777 despite umask 077
	[ "$(stat -c %A "$BUNDLE/notify/notify.sock")" = srwxrwxrwx ]
	container_start
	wait_for peer_has_at_least 2
	touch "$DATA_DIR/go"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$(exit_file)" 0
	stop_peer
	cat "$PEER.jsonl"
	# exactly two datagrams (m2 keeps nothing, so nothing is sent for it), both from vigil
	python3 - "$PEER.jsonl" "$(daemon_pid)" <<'PY'
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1])]
want = ["READY=1\nSTATUS=hello world\nWATCHDOG=trigger",
        "RELOADING=1\nSTOPPING=1\nERRNO=5\nBUSERROR=org.example.Error\nMONOTONIC_USEC=123\nWATCHDOG=1"]
got = [m["data"] for m in msgs]
assert got == want, "got %r, want %r" % (got, want)
for m in msgs:
    assert m["pid"] == int(sys.argv[2]), "sent by pid %r, not by vigil (%s)" % (m["pid"], sys.argv[2])
PY
	# the socket stays (§12: not removed at exit)
	[ -S "$BUNDLE/notify/notify.sock" ]
}

@test "notify: a host socket that does not exist does not hang vigil" {
	notify_bundle /bin/sh -c 'sd-notify-send READY=1 STATUS=one && sd-notify-send -n 50 WATCHDOG=1 && exit 5'
	vigil_create --sdnotify-socket "$T/no-such-dir/host.sock"
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 5 ]
	assert_file_content "$(exit_file)" 5
}

@test "notify: a host socket nobody listens on (ECONNREFUSED) does not hang vigil" {
	# a socket file whose owner has gone
	python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.close()' \
		"$HOST_SOCK"
	[ -S "$HOST_SOCK" ]
	notify_bundle /bin/sh -c 'sd-notify-send -n 20 READY=1 STATUS=x && exit 0'
	vigil_create --sdnotify-socket "$HOST_SOCK"
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$(exit_file)" 0
}

@test "notify: a full host socket (peer never reads) does not block vigil; datagrams are dropped" {
	start_peer --hold
	# 4000 datagrams: the peer's queue (net.unix.max_dgram_qlen) fills after a few
	notify_bundle /bin/sh -c 'sd-notify-send -n 2000 READY=1 STATUS=x && exit 0'
	vigil_create --sdnotify-socket "$HOST_SOCK"
	local start=$SECONDS
	container_start
	WAIT_TIMEOUT=30 wait_daemon
	echo "vigil finished after $((SECONDS - start)) s"
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$(exit_file)" 0
	stop_peer
	local n
	n=$(cat "$PEER.done")
	echo "the peer got $n of 4000 datagrams"
	# the queue really was full (so sendto would have blocked), and what was queued is correct
	((n >= 1 && n < 4000))
	python3 - "$PEER.jsonl" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    assert json.loads(l)["data"] in ("READY=1", "STATUS=x"), l
PY
}

@test "notify: a bundle path of ~300 bytes works (the bind goes through /proc/self/fd)" {
	local long=$T
	while ((${#long} < 300)); do
		long=$long/0123456789abcdefghijklmnopqrstuvwxyz
	done
	BUNDLE=$long
	CTR_PIDFILE=$BUNDLE/pidfile
	echo "bundle path: ${#BUNDLE} bytes"
	start_peer
	notify_bundle /bin/sh -c "sd-notify-send READY=1 && { $WAIT_GO; }"
	vigil_create --sdnotify-socket "$HOST_SOCK"
	[ "$(stat -c %A "$BUNDLE/notify/notify.sock")" = srwxrwxrwx ]
	container_start
	wait_for peer_has_at_least 1
	touch "$DATA_DIR/go"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	stop_peer
	python3 -c 'import json, sys; assert [json.loads(l)["data"] for l in open(sys.argv[1])] == ["READY=1"]' \
		"$PEER.jsonl"
}

@test "notify: without <bundle>/notify/ vigil fails and names the socket path" {
	make_bundle /bin/true
	default_vigil_args
	vigil_launch_raw "${VARGS[@]}" --sdnotify-socket "$HOST_SOCK"
	wait_launch
	wait_daemon
	cat "$STATE/vigil.err"
	# before daemonizing: the engine's own child exits 1 with the message on stderr
	[ "$LAUNCH_RC" = 1 ]
	[ "$DAEMON_RC" = none ]
	grep -qF "$BUNDLE/notify/notify.sock" "$STATE/vigil.err"
	# the runtime was never started
	[ ! -e "$CTR_PIDFILE" ]
	[ -z "$("$RUNC" --root "$RUNC_ROOT" list -q)" ]
}

@test "seccomp: --seccomp-notify-socket is refused with a message naming the option, exit 1" {
	make_bundle /bin/true
	default_vigil_args
	run --separate-stderr timeout 20 "$VIGIL_BINARY" "${VARGS[@]}" --seccomp-notify-socket "$T/seccomp.sock"
	echo "status $status, stderr: $stderr"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ $stderr == *--seccomp-notify-socket* ]]
	[[ $stderr == *"not supported"* ]]
	# nothing was started or created
	[ ! -e "$T/seccomp.sock" ]
	[ ! -e "$CONMON_PIDFILE" ]
	[ ! -e "$CTR_PIDFILE" ]
	# the --opt=value form too
	run --separate-stderr timeout 20 "$VIGIL_BINARY" "${VARGS[@]}" "--seccomp-notify-socket=$T/seccomp.sock"
	[ "$status" -eq 1 ]
	[[ $stderr == *--seccomp-notify-socket* ]]
}

@test "seccomp: --seccomp-notify-plugins alone is accepted (old argv still parses, §13)" {
	run_container --seccomp-notify-plugins /usr/lib/a.so:/usr/lib/b.so -- /bin/sh -c 'exit 4'
	[ "$LAUNCH_RC" = 0 ]
	[ "$DAEMON_RC" = 4 ]
	assert_file_content "$(exit_file)" 4
}
