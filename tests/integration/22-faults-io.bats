#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# I/O faults: a full log disk, a log file deleted or replaced under vigil (§8.2, §8.6), hostile
# container output (NUL bytes, invalid UTF-8, a 10 MiB line; §8.2), attach clients that come and
# go (§6.4, §6.5), and garbage on ctl (§7). The container must never notice, vigil must not hang,
# spam or leak fds, and output that was accepted must be in the log byte for byte.

load helpers
load faults

setup()
{
	faults_setup
}

teardown()
{
	faults_teardown
}

# A container that prints numbered lines every 10 ms: "tick N", or "after N" once /out/resumed
# exists, until /out/stop exists; then "final N+1". The numbers count every line it printed.
COUNTER='i=0
while [ ! -e /out/stop ]; do
	i=$((i + 1))
	if [ -e /out/resumed ]; then echo "after $i"; else echo "tick $i"; fi
	sleep 0.01
done
echo "final $((i + 1))"'

start_counter()
{
	make_bundle /bin/sh -c "$COUNTER"
	bundle_out_mount
}

# seq_of LOG...: seq_check.py's JSON for the logs, into SEQ (and printed)
seq_of()
{
	SEQ=$(python3 "$INTEGRATION_DIR/seq_check.py" "$@")
	echo "seq: $SEQ"
}

# seq_expr EXPR: evaluate a python expression over the seq_check result s
seq_expr()
{
	python3 -c 'import json, sys; s = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$SEQ" "$1"
}

# log_stable PATH: PATH's size does not change over 0.5 s; sets STABLE_SIZE
log_stable()
{
	local a b
	a=$(stat -L -c %s "$1")
	sleep 0.5
	b=$(stat -L -c %s "$1")
	STABLE_SIZE=$b
	[[ $a == "$b" ]]
}

# ---------------------------------------------------------------------------------------------
# the log file

@test "log disk full: the container runs on, vigil warns once, logging resumes when space returns" {
	SYSLOG_CAPTURE=$T/syslog
	local small=$T/small
	mkdir -p "$small"
	LOG=$small/ctr.log
	VIGIL_LOG=(-l "k8s-file:$LOG")
	ns_wrap --tmpfs "$small" 1m
	start_counter
	vigil_create --syslog
	local vlog vsmall dpid fds
	vlog=$(ns_path "$LOG")
	vsmall=$(ns_path "$small")
	dpid=$(daemon_pid)
	container_start
	wait_for_grep ' stdout F tick 20$' "$vlog"
	# fill the disk: dd stops at ENOSPC
	run dd if=/dev/zero of="$vsmall/filler" bs=4k
	[ "$status" != 0 ]
	[[ $output == *"No space left on device"* ]]
	# the log stops growing, the container and vigil carry on
	wait_for log_stable "$vlog"
	# (counted now: syslog(3) opened its socket for the warning)
	fds=$(fd_count "$dpid")
	sleep 1
	[ "$(stat -c %s "$vlog")" = "$STABLE_SIZE" ]
	container_running
	daemon_alive
	# space returns; later output reaches the log again
	rm "$vsmall/filler"
	touch "$OUT_DIR/resumed"
	wait_for_grep ' stdout F after [0-9]+$' "$vlog"
	sleep 0.5
	assert_fd_count "$dpid" "$fds"
	touch "$OUT_DIR/stop"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$(exit_file)" 0
	cp "$vlog" "$T/final.log"
	: >"$NS/ns.release"
	wait_ns_cmd_done
	cat "$SYSLOG_CAPTURE"
	# one warning for the whole episode, naming the file and the error; nothing else
	[ "$(syslog_count "<nwarn>: Failed to write to log file '$LOG', dropping [0-9]+ bytes: No space left on device$")" = 1 ]
	[ "$(wc -l <"$SYSLOG_CAPTURE")" = 1 ]
	seq_of "$T/final.log"
	# two runs of numbers: before the disk filled up, and from shortly after space returned to
	# the end; the lines in between were dropped, and no record was cut: what part of a batch got
	# in before ENOSPC is taken back out of the file
	[ "$(seq_expr 'len(s["segments"])')" = 2 ]
	[ "$(seq_expr 's["segments"][0][0]')" = 1 ]
	[ "$(seq_expr 's["other"]')" = 0 ]
	# every line from some point before "after" began up to "final" is there
	[ "$(seq_expr 's["segments"][1][0] <= s["words"]["after"][0]')" = True ]
	[ "$(seq_expr 's["segments"][1][1] == s["words"]["final"][0]')" = True ]
}

@test "log deleted while running: vigil writes on to the unlinked file, ctl '2 0 0' recreates it; nothing lost" {
	start_counter
	vigil_create
	local dpid fds before keep
	dpid=$(daemon_pid)
	container_start
	wait_for_grep ' stdout F tick 30$' "$LOG"
	fds=$(fd_count "$dpid")
	before=$(fd_list "$dpid")
	# hold the old inode to read it back at the end
	exec {keep}<"$LOG"
	rm "$LOG"
	local s1 s2
	s1=$(stat -L -c %s "/proc/self/fd/$keep")
	sleep 0.5
	s2=$(stat -L -c %s "/proc/self/fd/$keep")
	((s2 > s1))
	fd_list "$dpid" | grep -qF "$LOG (deleted)"
	[ ! -e "$LOG" ]
	container_running
	ctl_write '2 0 0\n'
	WAIT_TIMEOUT=5 wait_for_file "$LOG"
	[ "$(file_mode "$LOG")" = 640 ]
	wait_for_grep ' stdout F tick [0-9]+$' "$LOG"
	# the deleted file's fd was replaced, not added to
	assert_fd_count "$dpid" "$fds" "$before"
	! fd_list "$dpid" | grep -qF '(deleted)'
	touch "$OUT_DIR/stop"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	cat <&"$keep" >"$T/old.log"
	exec {keep}<&-
	seq_of "$T/old.log" "$LOG"
	[ "$(seq_expr 's["segments"]')" = "[[1, $(seq_expr 's["words"]["final"][0]')]]" ]
	[ "$(seq_expr 's["other"]')" = 0 ]
	k8s_check "$T/old.log"
	k8s_check "$LOG"
}

@test "log replaced by someone else's file: vigil writes to the renamed one until ctl reopen, then a fresh file" {
	start_counter
	vigil_create
	local dpid fds
	dpid=$(daemon_pid)
	container_start
	wait_for_grep ' stdout F tick 30$' "$LOG"
	fds=$(fd_count "$dpid")
	mv "$LOG" "$LOG.rotated"
	echo "foreign content" >"$LOG"
	sleep 0.5
	# vigil still writes to the renamed file; the new one is untouched
	assert_file_content "$LOG" $'foreign content\n'
	local s1
	s1=$(stat -c %s "$LOG.rotated")
	sleep 0.3
	(($(stat -c %s "$LOG.rotated") > s1))
	ctl_write '2 0 0\n'
	# reopen starts a new file at the path (§8.6): the foreign file is replaced
	wait_for_grep ' stdout F tick [0-9]+$' "$LOG"
	! grep -q foreign "$LOG"
	assert_fd_count "$dpid" "$fds"
	touch "$OUT_DIR/stop"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	seq_of "$LOG.rotated" "$LOG"
	[ "$(seq_expr 's["segments"]')" = "[[1, $(seq_expr 's["words"]["final"][0]')]]" ]
	[ "$(seq_expr 's["other"]')" = 0 ]
}

@test "log reopen fails (a directory at LOG.tmp): one warning, vigil keeps the old file; the next reopen works" {
	SYSLOG_CAPTURE=$T/syslog
	start_counter
	vigil_create --syslog
	local dpid fds
	dpid=$(daemon_pid)
	container_start
	wait_for_grep ' stdout F tick 20$' "$LOG"
	mv "$LOG" "$LOG.rotated"
	mkdir "$LOG.tmp"
	ctl_write '2 0 0\n'
	sleep 0.5
	# (counted now: syslog(3) opened its socket for the warning)
	fds=$(fd_count "$dpid")
	ctl_write '2 0 0\n'
	sleep 0.5
	[ ! -e "$LOG" ]
	daemon_alive
	container_running
	assert_fd_count "$dpid" "$fds"
	rmdir "$LOG.tmp"
	ctl_write '2 0 0\n'
	WAIT_TIMEOUT=5 wait_for_file "$LOG"
	wait_for_grep ' stdout F tick [0-9]+$' "$LOG"
	touch "$OUT_DIR/stop"
	wait_daemon
	wait_engine
	[ "$DAEMON_RC" = 0 ]
	cat "$SYSLOG_CAPTURE"
	# one warning for the failure streak (two reopen requests), with the reason
	[ "$(syslog_count "<nwarn>: Failed to reopen log file '$LOG', keeping the old one: Is a directory$")" = 1 ]
	[ "$(wc -l <"$SYSLOG_CAPTURE")" = 1 ]
	seq_of "$LOG.rotated" "$LOG"
	[ "$(seq_expr 's["segments"]')" = "[[1, $(seq_expr 's["words"]["final"][0]')]]" ]
}

# ---------------------------------------------------------------------------------------------
# hostile output

# last_tags LOG: the tag of the last record of each stream: "stdout X, stderr Y"
last_tags()
{
	python3 - "$1" <<'PY'
import re, sys
last = {}
for line in open(sys.argv[1], "rb").read().split(b"\n")[:-1]:
    m = re.match(rb"^\S+ (stdout|stderr) ([PF]) ", line)
    if m:
        last[m.group(1).decode()] = m.group(2).decode()
print("stdout %s, stderr %s" % (last.get("stdout"), last.get("stderr")))
PY
}

@test "output with NUL bytes, invalid UTF-8 and a 10 MiB line without newline: log and attach byte-identical" {
	python3 - "$DATA_DIR" <<'PY'
import os, random, sys
d = sys.argv[1]
rnd = random.Random(42)
parts = [
    b"plain line\n",
    b"nul\x00in\x00the\x00middle\n",
    b"\x00\x00\x00\n",
    b"invalid utf-8: \xff\xfe \xc3\x28 \xe2\x82 \xf0\x9f\x98 end\n",
    b"overlong \xc0\xaf surrogate \xed\xa0\x80\n",
    b"carriage\rreturn and \x1b[31mescape\x1b[0m\n",
    b"\n",
    bytes(rnd.getrandbits(8) for _ in range(70000)),
    b"\n",
]
# a 10 MiB line with every byte value but the newline, then a last line without newline
big = bytearray(os.urandom(10 * 1024 * 1024))
big = big.replace(b"\n", b"\x00")
parts.append(bytes(big))
parts.append(b"\nthe end, no newline")
with open(os.path.join(d, "blob"), "wb") as f:
    f.write(b"".join(parts))
with open(os.path.join(d, "blob2"), "wb") as f:
    f.write(b"stderr \x00\xff\xfe\n" + os.urandom(100000) + b"partial")
PY
	make_bundle /bin/sh -c 'cat /data/blob; cat /data/blob2 >&2'
	vigil_create --full-attach
	client_start c1 "$BUNDLE/attach" --timeout 60
	container_start
	client_wait c1
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	cmp "$T/out.stdout" "$DATA_DIR/blob"
	cmp "$T/out.stderr" "$DATA_DIR/blob2"
	cmp "$T/c1.2" "$DATA_DIR/blob"
	cmp "$T/c1.3" "$DATA_DIR/blob2"
	# the long line became P records, at most 8192 content bytes each (k8s_check checked the size)
	(($(grep -ac ' stdout P ' "$LOG") >= 1280))
	# the stream ended inside a line: the last record is a P record, no terminating F (§8.2)
	[ "$(last_tags "$LOG")" = "stdout P, stderr P" ]
}

# ---------------------------------------------------------------------------------------------
# attach clients that come and go

@test "attach: 1000 clients connect and go away: vigil's fd count is flat, the output complete" {
	start_counter
	vigil_create --full-attach
	local dpid fds before rss0 rss1
	dpid=$(daemon_pid)
	container_start
	wait_for_grep ' stdout F tick 10$' "$LOG"
	fds=$(fd_count "$dpid")
	before=$(fd_list "$dpid")
	rss0=$(vm_rss_kb "$dpid")
	run timeout 120 python3 "$INTEGRATION_DIR/attach_churn.py" "$BUNDLE/attach" 1000 --mode mixed
	echo "$output"
	[ "$status" = 0 ]
	assert_fd_count "$dpid" "$fds" "$before"
	rss1=$(vm_rss_kb "$dpid")
	echo "VmRSS before ${rss0} kB, after ${rss1} kB"
	((rss1 < rss0 + 2048))
	# the daemon's only child is the container, and it is not a zombie
	[ "$(children_of "$dpid")" = "$(cat "$CTR_PIDFILE")" ]
	[ -z "$(zombie_children "$dpid")" ]
	# a client that stays gets the rest of the output and EOF
	client_start last "$BUNDLE/attach" --exit-file "$(exit_file)"
	touch "$OUT_DIR/stop"
	client_wait last
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	seq_of "$LOG"
	[ "$(seq_expr 's["segments"]')" = "[[1, $(seq_expr 's["words"]["final"][0]')]]" ]
	grep -q '^final ' "$T/last.2"
}

# churn N MODE: attach_churn.py against $BUNDLE/attach
churn()
{
	run timeout 120 python3 "$INTEGRATION_DIR/attach_churn.py" "$BUNDLE/attach" "$1" --mode "$2"
	echo "$output"
	[ "$status" = 0 ]
}

@test "attach: after one client typed into a container without stdin, later clients are still dropped when they close" {
	start_counter
	vigil_create --full-attach
	local dpid fds before
	dpid=$(daemon_pid)
	container_start
	wait_for_grep ' stdout F tick 10$' "$LOG"
	fds=$(fd_count "$dpid")
	before=$(fd_list "$dpid")
	churn 200 close
	assert_fd_count "$dpid" "$fds" "$before"
	# one client sends input to a container without stdin: it is read once and left unread (§5.3)
	churn 1 send
	sleep 0.3
	echo "fds: $fds at first, $(fd_count "$dpid") after one client sent input and closed"
	# 200 later clients that send nothing and close: each one is dropped (§6.5, §17.6); at most
	# the one whose input was left unread may still be held
	churn 200 close
	sleep 0.3
	echo "fds: $(fd_count "$dpid") after 200 more clients connected and closed"
	(($(fd_count "$dpid") <= fds + 1)) || {
		echo "vigil holds $(($(fd_count "$dpid") - fds)) more fds than before" >&2
		false
	}
	touch "$OUT_DIR/stop"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	seq_of "$LOG"
	[ "$(seq_expr 's["segments"]')" = "[[1, $(seq_expr 's["words"]["final"][0]')]]" ]
}

@test "attach: clients that send input to a container without stdin and close are dropped too" {
	start_counter
	vigil_create --full-attach
	local dpid fds before
	dpid=$(daemon_pid)
	container_start
	wait_for_grep ' stdout F tick 10$' "$LOG"
	fds=$(fd_count "$dpid")
	before=$(fd_list "$dpid")
	churn 200 send
	# a client that hung up is dropped (§17.6), even if its input is never read (§5.3)
	assert_fd_count "$dpid" "$fds" "$before"
	touch "$OUT_DIR/stop"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
}

# ---------------------------------------------------------------------------------------------
# garbage on ctl

# The size server (start_size_server, ctr_size) is in helpers.bash.

# expect_size "ROWS COLS": the container's terminal has that size (resizes are applied
# asynchronously: ask until it matches, at most 5 s)
expect_size()
{
	local deadline=$((SECONDS + 5)) size
	while :; do
		size=$(ctr_size)
		[[ $size == "$1" ]] && return 0
		if ((SECONDS >= deadline)); then
			echo "terminal size is '$size', expected '$1'" >&2
			return 1
		fi
		sleep 0.05
	done
}

@test "ctl: garbage, a 1 MiB line and a line split over two writes: vigil survives, valid lines work" {
	SYSLOG_CAPTURE=$T/syslog
	start_size_server --syslog
	local dpid fds
	dpid=$(daemon_pid)
	ctl_write '1 11 22\n'
	expect_size "11 22"
	# binary garbage with NULs, lines of at most 64 bytes, then a valid line
	python3 -c 'import os, sys
g = os.urandom(5000).replace(b"\n", b"\0")
open(sys.argv[1], "wb").write(b"\n".join(g[i:i + 64] for i in range(0, len(g), 64)) + b"\n1 12 23\n")' "$T/garbage"
	fifo_write_all "$BUNDLE/ctl" "$T/garbage"
	expect_size "12 23"
	# (counted now: syslog(3) opened its socket for the first warning)
	fds=$(fd_count "$dpid")
	# a 1 MiB line (no newline inside), then a valid line
	head -c 1048576 /dev/zero | tr '\0' 7 >"$T/huge"
	printf '\n1 13 24\n' >>"$T/huge"
	fifo_write_all "$BUNDLE/ctl" "$T/huge"
	expect_size "13 24"
	# one line in two writes
	ctl_write '1 1'
	sleep 0.2
	ctl_write '4 25\n'
	expect_size "14 25"
	daemon_alive
	container_running
	assert_fd_count "$dpid" "$fds"
	touch "$OUT_DIR/stop"
	wait_daemon
	wait_engine
	[ "$DAEMON_RC" = 0 ]
	cat "$SYSLOG_CAPTURE"
	# the long line is reported once, not once per 4 KiB read
	[ "$(syslog_count 'Ignoring a ctl line longer than 199 bytes')" = 1 ]
	# at most one warning per garbage line (80), never one per byte or per read
	(($(wc -l <"$SYSLOG_CAPTURE") <= 90))
}

# still_serving [OLD]: vigil's main loop still runs: after the log is renamed to OLD (default
# $LOG.moved), a log reopen ("2 0 0") creates the log again within 5 s. Prints what the daemon is
# doing if not.
still_serving()
{
	local dpid
	dpid=$(daemon_pid)
	mv "$LOG" "${1:-$LOG.moved}"
	ctl_write '2 0 0\n' || true
	if ! WAIT_TIMEOUT=5 wait_for_file "$LOG" 2>/dev/null; then
		echo "vigil no longer serves ctl; /proc/$dpid/syscall: $(cat "/proc/$dpid/syscall")," \
			"wchan: $(cat "/proc/$dpid/wchan")" >&2
		echo "fds: $(fd_list "$dpid" | tr '\n' ' ')" >&2
		return 1
	fi
}

@test "ctl: 20000 resizes in one burst on a tty: vigil keeps up, the last one wins" {
	start_size_server
	local dpid fds
	dpid=$(daemon_pid)
	fds=$(fd_count "$dpid")
	python3 -c 'import sys
out = "".join("1 %d %d\n" % (i % 900 + 1, i % 700 + 1) for i in range(19999)) + "1 42 84\n"
open(sys.argv[1], "w").write(out)' "$T/burst"
	FIFO_WRITE_TIMEOUT=10 fifo_write_all "$BUNDLE/ctl" "$T/burst" || echo "the ctl writer timed out"
	still_serving
	expect_size "42 84"
	daemon_alive
	assert_fd_count "$dpid" "$fds"
	touch "$OUT_DIR/stop"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
}

@test "ctl: 20000 resizes to a container without a terminal do not block vigil" {
	start_counter
	vigil_create
	local dpid fds
	dpid=$(daemon_pid)
	container_start
	wait_for_grep ' stdout F tick 10$' "$LOG"
	fds=$(fd_count "$dpid")
	python3 -c 'import sys; open(sys.argv[1], "w").write("1 10 20\n" * 20000)' "$T/burst"
	# a resize without a tty is a warning only (§7); vigil must go on reading ctl
	FIFO_WRITE_TIMEOUT=10 fifo_write_all "$BUNDLE/ctl" "$T/burst" || echo "the ctl writer timed out"
	# a later reopen is still served, the container still logged
	still_serving "$LOG.1"
	WAIT_TIMEOUT=5 wait_for_grep ' stdout F tick [0-9]+$' "$LOG"
	assert_fd_count "$dpid" "$fds"
	touch "$OUT_DIR/stop"
	WAIT_TIMEOUT=10 wait_daemon
	[ "$DAEMON_RC" = 0 ]
	seq_of "$LOG.1" "$LOG"
	[ "$(seq_expr 's["segments"]')" = "[[1, $(seq_expr 's["words"]["final"][0]')]]" ]
}
