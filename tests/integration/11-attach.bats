#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The attach socket (interface.md §6; vigil's bounded client queues and back-pressure, §17.6) and
# container stdin through attach clients (§5.3, §6.5).

load helpers

setup()
{
	vigil_setup
}

teardown()
{
	clients_teardown
	vigil_teardown
}

# wait_log_stalls: wait until the log size stays the same over 0.3 s (at most 30 s); sets LOG_SIZE
wait_log_stalls()
{
	local prev=-1 i
	for ((i = 0; i < 100; i++)); do
		sleep 0.3
		LOG_SIZE=$(stat -c %s "$LOG")
		((LOG_SIZE > 0 && LOG_SIZE == prev)) && return 0
		prev=$LOG_SIZE
	done
	echo "the log kept growing" >&2
	return 1
}

# fd_count_is PID N
fd_count_is()
{
	[[ $(fd_count "$1") == "$2" ]]
}

# k8s_stdout LOG...: the stdout stream rebuilt from the given k8s log files, in order, into $T/all.stdout
k8s_stdout()
{
	: >"$T/all.stdout"
	local f
	for f in "$@"; do
		k8s_check "$f"
		cat "$T/out.stdout" >>"$T/all.stdout"
	done
}

@test "attach: a client attached before runc start gets the first line, then EOF at exit" {
	make_bundle /bin/sh -c 'echo first; echo second >&2; echo third'
	vigil_create --full-attach
	client_start c1 "$BUNDLE/attach" --exit-file "$(exit_file)"
	container_start
	client_wait c1
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$T/c1.2" $'first\nthird\n'
	assert_file_content "$T/c1.3" $'second\n'
	# EOF came before the exit file was written (§6.6)
	assert_file_content "$T/c1.at-exit-file" closed
}

@test "attach: two clients receive identical streams, message for message" {
	head -c 200000 /dev/urandom >"$DATA_DIR/blob"
	head -c 50000 /dev/urandom >"$DATA_DIR/blob2"
	make_bundle /bin/sh -c 'cat /data/blob; cat /data/blob2 >&2; echo end; echo end2 >&2'
	vigil_create --full-attach
	client_start c1 "$BUNDLE/attach"
	client_start c2 "$BUNDLE/attach"
	container_start
	client_wait c1
	client_wait c2
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	cmp "$T/c1.sizes" "$T/c2.sizes"
	cmp "$T/c1.2" "$T/c2.2"
	cmp "$T/c1.3" "$T/c2.3"
	{ cat "$DATA_DIR/blob"; echo end; } | cmp - "$T/c1.2"
	{ cat "$DATA_DIR/blob2"; echo end2; } | cmp - "$T/c1.3"
	# no message carries more than 8192 bytes
	[ -z "$(awk '$2 < 1 || $2 > 8192' "$T/c1.sizes")" ]
	k8s_check "$LOG"
	cmp "$T/out.stdout" "$T/c1.2"
	cmp "$T/out.stderr" "$T/c1.3"
}

@test "attach: --full-attach makes <bundle>/attach and no socket-dir symlink" {
	make_bundle /bin/echo hi
	vigil_create --full-attach
	[ -S "$BUNDLE/attach" ]
	[ -z "$(ls -A "$SOCK_DIR")" ]
	client_start c1 "$BUNDLE/attach"
	container_start
	client_wait c1
	wait_daemon
	assert_file_content "$T/c1.2" $'hi\n'
	[ ! -e "$BUNDLE/attach" ]
}

# symlink_case LEN: a socket dir such that "<dir>/<cuuid>" is LEN characters; sets LINK_DIR
symlink_case()
{
	LINK_DIR=$T/sd
	local n=$(($1 - ${#LINK_DIR} - 1))
	((n > 5)) || skip "test dir path too long"
	CUUID=$(printf 'u%.0s' $(seq "$n"))
	mkdir -p "$LINK_DIR"
	SOCK_DIR=$LINK_DIR
	[ $((${#SOCK_DIR} + 1 + ${#CUUID})) = "$1" ]
}

@test "attach: a socket-dir symlink of exactly 107 characters loses its last character" {
	symlink_case 107
	make_bundle /bin/sh -c 'read x; echo "got $x"'
	vigil_create -i
	local short=${CUUID%?}
	[ -L "$LINK_DIR/$short" ]
	[ "$(readlink "$LINK_DIR/$short")" = "$BUNDLE" ]
	[ ! -e "$LINK_DIR/$CUUID" ]
	[ ! -L "$LINK_DIR/$CUUID" ]
	client_start c1 "$LINK_DIR/$short/attach" --send 'through the short link\n'
	container_start
	client_wait c1
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$T/c1.2" $'got through the short link\n'
	# removed at exit
	[ -z "$(ls -A "$LINK_DIR")" ]
	[ ! -e "$BUNDLE/attach" ]
}

@test "attach: socket-dir symlinks of 106 and 108 characters keep their names and are removed at exit" {
	local len
	for len in 106 108; do
		vigil_reset
		symlink_case "$len"
		make_bundle /bin/echo "len $len"
		vigil_create
		[ -L "$LINK_DIR/$CUUID" ]
		[ "$(readlink "$LINK_DIR/$CUUID")" = "$BUNDLE" ]
		[ "$(ls -A "$LINK_DIR")" = "$CUUID" ]
		client_start "c$len" "$LINK_DIR/$CUUID/attach"
		container_start
		client_wait "c$len"
		wait_daemon
		assert_file_content "$T/c$len.2" "len $len"$'\n'
		[ -z "$(ls -A "$LINK_DIR")" ]
	done
}

@test "attach: an existing entry at <socket-dir>/<cuuid> is replaced by the symlink" {
	CUUID=$CID-stale
	ln -s /nonexistent "$SOCK_DIR/$CUUID"
	make_bundle /bin/echo replaced
	vigil_create
	[ "$(readlink "$SOCK_DIR/$CUUID")" = "$BUNDLE" ]
	client_start c1 "$SOCK_DIR/$CUUID/attach"
	container_start
	client_wait c1
	wait_daemon
	assert_file_content "$T/c1.2" $'replaced\n'
	[ ! -L "$SOCK_DIR/$CUUID" ]
}

@test "attach: a slow client loses nothing; SIGTERM and ctl are served while it holds output back" {
	head -c 3000000 /dev/urandom >"$DATA_DIR/blob"
	# pid 1 of the container traps TERM, records it and goes on waiting for cat
	make_bundle /bin/sh -c 'trap "echo term >/out/term" TERM; cat /data/blob & pid=$!
		while kill -0 $pid 2>/dev/null; do wait $pid; done; echo done >&2'
	bundle_out_mount
	vigil_create --full-attach
	local start=$SECONDS
	client_start c1 "$BUNDLE/attach" --slow-until "$T/release" --slow-interval 0.5
	container_start
	# back-pressure: vigil stops reading the container while the client's queue is over 1 MiB
	wait_log_stalls
	((LOG_SIZE < 2500000))
	[ ! -e "$(exit_file)" ]
	# a signal to vigil reaches the container promptly
	kill -TERM "$(daemon_pid)"
	WAIT_TIMEOUT=3 wait_for_file "$OUT_DIR/term"
	# a log reopen (kubelet rename + "2 0 0") is served promptly
	mv "$LOG" "$LOG.1"
	ctl_write '2 0 0\n'
	WAIT_TIMEOUT=3 wait_for_file "$LOG"
	# let the client stay slow for ~5 s in all
	while ((SECONDS - start < 5)); do sleep 0.2; done
	[ ! -e "$(exit_file)" ]
	touch "$T/release"
	client_wait c1
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	cmp "$T/c1.2" "$DATA_DIR/blob"
	assert_file_content "$T/c1.3" $'done\n'
	k8s_stdout "$LOG.1" "$LOG"
	cmp "$T/all.stdout" "$DATA_DIR/blob"
	assert_file_content "$T/out.stderr" $'done\n'
}

@test "attach: a client killed mid-stream is dropped; the log and the other client get everything" {
	head -c 3000000 /dev/urandom >"$DATA_DIR/blob"
	make_bundle /bin/sh -c 'cat /data/blob; echo done >&2'
	vigil_create --full-attach
	# c1 never reads, c2 reads normally
	client_start c1 "$BUNDLE/attach" --slow-until "$T/never" --slow-interval 1000
	client_start c2 "$BUNDLE/attach"
	container_start
	wait_log_stalls
	((LOG_SIZE < 2500000))
	kill -KILL "$(client_pid c1)"
	client_wait c2
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$(exit_file)" 0
	cmp "$T/c2.2" "$DATA_DIR/blob"
	assert_file_content "$T/c2.3" $'done\n'
	k8s_check "$LOG"
	cmp "$T/out.stdout" "$DATA_DIR/blob"
	assert_file_content "$T/out.stderr" $'done\n'
}

@test "attach: 1000 connect/close cycles leave vigil's fd count flat" {
	make_bundle /bin/sh -c 'while [ ! -e /out/go ]; do sleep 0.05; done; echo after'
	bundle_out_mount
	vigil_create --full-attach -i --leave-stdin-open
	container_start
	wait_for container_running
	local pid before
	pid=$(daemon_pid)
	before=$(fd_count "$pid")
	python3 - "$BUNDLE/attach" <<'PY'
import socket, sys
for i in range(1000):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    if i % 3 == 1:
        s.shutdown(socket.SHUT_WR)
    elif i % 3 == 2:
        s.send(b"x")
    s.close()
PY
	WAIT_TIMEOUT=5 wait_for fd_count_is "$pid" "$before"
	# still serving clients
	client_start c1 "$BUNDLE/attach"
	touch "$OUT_DIR/go"
	client_wait c1
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$T/c1.2" $'after\n'
}

@test "attach: -i stdin from a client; its shutdown(SHUT_WR) closes the container's stdin" {
	head -c 100000 /dev/urandom | base64 >"$T/input"
	make_bundle /bin/sh -c 'cat; echo "cat ended"'
	vigil_create --full-attach -i
	client_start c1 "$BUNDLE/attach" --send-file "$T/input"
	container_start
	client_wait c1
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	{ cat "$T/input"; echo "cat ended"; } | cmp - "$T/c1.2"
}

@test "attach: -i stdin: a client that closes its connection also closes the container's stdin" {
	make_bundle /bin/sh -c 'cat; echo "cat ended"'
	vigil_create --full-attach -i
	# c1 only reads; c2 writes and closes
	client_start c1 "$BUNDLE/attach"
	container_start
	client_start c2 "$BUNDLE/attach" --send 'abc\n' --close-after-send
	client_wait c1
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$T/c1.2" $'abc\ncat ended\n'
}

@test "attach: --leave-stdin-open: two sequential clients both feed stdin, which stays open" {
	make_bundle /bin/cat
	vigil_create --full-attach -i --leave-stdin-open
	container_start
	client_start c1 "$BUNDLE/attach" --send 'one\n'
	wait_for_grep ' stdout F one$' "$LOG"
	client_start c2 "$BUNDLE/attach" --send 'two\n'
	wait_for_grep ' stdout F two$' "$LOG"
	# both clients are done sending, and cat still has its stdin
	sleep 0.3
	container_running
	container_kill KILL
	client_wait c1
	client_wait c2
	wait_daemon
	[ "$DAEMON_RC" = 137 ]
	k8s_check "$LOG"
	assert_file_content "$T/out.stdout" $'one\ntwo\n'
	assert_file_content "$T/c1.2" $'one\ntwo\n'
	assert_file_content "$T/c2.2" $'two\n'
}

@test "attach: 1 MiB of stdin for a container that reads late arrives complete, without spinning" {
	head -c 1048576 /dev/urandom >"$T/input"
	make_bundle /bin/sh -c 'while [ ! -e /out/go ]; do sleep 0.05; done; cat >/out/input; echo read'
	bundle_out_mount
	vigil_create --full-attach -i
	container_start
	client_start c1 "$BUNDLE/attach" --send-file "$T/input"
	# the container's stdin pipe is full: vigil holds the client's input back without busy-waiting
	local pid t0 t1
	pid=$(daemon_pid)
	sleep 0.5
	t0=$(cpu_ticks "$pid")
	sleep 2
	t1=$(cpu_ticks "$pid")
	echo "vigil used $((t1 - t0)) ticks in 2 s"
	((t1 - t0 < 50))
	[ ! -e "$T/c1.sent" ]
	touch "$OUT_DIR/go"
	client_wait c1
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	cmp "$OUT_DIR/input" "$T/input"
	assert_file_content "$T/c1.2" $'read\n'
}

@test "attach: at exit, a client that stalls for 2 s still gets all queued output, then EOF before the exit file" {
	# less than the 1 MiB queue bound: the container writes it all and exits while it is queued
	head -c 900000 /dev/urandom >"$DATA_DIR/blob"
	make_bundle /bin/cat /data/blob
	vigil_create --full-attach
	local ctr
	ctr=$(cat "$CTR_PIDFILE")
	client_start c1 "$BUNDLE/attach" --slow-until "$T/release" --slow-interval 1000 --exit-file "$(exit_file)"
	container_start
	wait_for pid_gone "$ctr"
	sleep 2
	# vigil still waits for the client
	[ ! -e "$(exit_file)" ]
	touch "$T/release"
	client_wait c1
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	cmp "$T/c1.2" "$DATA_DIR/blob"
	assert_file_content "$T/c1.at-exit-file" closed
	k8s_check "$LOG"
	cmp "$T/out.stdout" "$DATA_DIR/blob"
}

@test "attach: at exit, a slow client that keeps making progress for over 5 s gets everything" {
	head -c 900000 /dev/urandom >"$DATA_DIR/blob"
	make_bundle /bin/cat /data/blob
	vigil_create --full-attach
	local ctr
	ctr=$(cat "$CTR_PIDFILE")
	client_start c1 "$BUNDLE/attach" --slow-until "$T/release" --slow-interval 0.5
	container_start
	wait_for pid_gone "$ctr"
	# one message (<= 8 kB) every 0.5 s for 7 s after the container is gone: never 5 s without
	# progress, so vigil must keep the client
	sleep 7
	touch "$T/release"
	client_wait c1
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	echo "the client got $(stat -c %s "$T/c1.2") of 900000 bytes"
	cmp "$T/c1.2" "$DATA_DIR/blob"
}

@test "attach: at exit, a client that never reads is given up after about 5 s; exit file and log are complete" {
	head -c 900000 /dev/urandom >"$DATA_DIR/blob"
	make_bundle /bin/cat /data/blob
	vigil_create --full-attach
	local ctr
	ctr=$(cat "$CTR_PIDFILE")
	client_start c1 "$BUNDLE/attach" --slow-until "$T/never" --slow-interval 1000
	container_start
	wait_for pid_gone "$ctr"
	local gone
	gone=$(date +%s.%N)
	WAIT_TIMEOUT=20 wait_daemon
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$(exit_file)" 0
	python3 -c 'import sys; d = float(sys.argv[2]) - float(sys.argv[1]); print(d); assert 4.0 <= d <= 15, d' \
		"$gone" "$(mtime "$(exit_file)")"
	k8s_check "$LOG"
	cmp "$T/out.stdout" "$DATA_DIR/blob"
}

@test "attach: at exit, a client still flooding stdin that nobody reads gets all its output, then EOF" {
	# The container never reads its stdin: vigil stops reading the client, whose messages then
	# wait in the socket.  Closing a socket with unread input makes the peer's next recv() fail
	# with ECONNRESET, before the output still queued for it.  The client reads slowly, so the
	# last messages are still in its queue when vigil ends the connection.
	head -c 300000 /dev/urandom >"$DATA_DIR/blob"
	make_bundle /bin/cat /data/blob
	vigil_create --full-attach -i
	client_start c1 "$BUNDLE/attach" --flood --slow-until "$T/never" --slow-interval 0.05
	container_start
	client_wait c1
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	cmp "$T/c1.2" "$DATA_DIR/blob"
	# its sends were refused once the connection ended (not reset, not left hanging)
	wait_for_file "$T/c1.flood"
	cat "$T/c1.flood"
	[[ $(<"$T/c1.flood") == *" EPIPE" ]]
	k8s_check "$LOG"
	cmp "$T/out.stdout" "$DATA_DIR/blob"
}
