#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The ctl and winsz FIFOs (interface.md §7; decisions §17.5) and log reopen (§8.6).

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

# The size server (SIZE_SERVER, start_size_server, ctr_size, ctr_size_is) is in helpers.bash.

# ctl_barrier: wait until vigil has handled everything written to ctl so far. Lines are handled
# in order, so once a log reopen ("2 0 0") has recreated the deleted log, every earlier line has
# been handled too.
ctl_barrier()
{
	rm -f "$LOG"
	ctl_write '2 0 0\n'
	WAIT_TIMEOUT=5 wait_for_file "$LOG"
}

# bad_line TEXT: TEXT written to ctl is ignored: the container's size stays at 11x22
bad_line()
{
	ctl_write "$1"
	ctl_barrier
	local size
	size=$(ctr_size)
	if [[ $size != "11 22" ]]; then
		echo "after ctl line '$1' the size is $size, expected it to stay 11 22" >&2
		return 1
	fi
}

# wait_for_file_within SECS PATH: PATH appears within SECS seconds (fractions allowed)
wait_for_file_within()
{
	python3 - "$1" "$2" <<'PY'
import os, sys, time
limit, path = float(sys.argv[1]), sys.argv[2]
t0 = time.monotonic()
while not os.path.exists(path):
    if time.monotonic() - t0 > limit:
        sys.exit("%s did not appear within %s s" % (path, limit))
    time.sleep(0.005)
print("appeared after %.3f s" % (time.monotonic() - t0))
PY
}

@test "ctl: the ctl and winsz FIFOs exist as prw-r----- before the container starts" {
	umask 000
	make_bundle /bin/true
	vigil_create
	[ "$(stat -c %A "$BUNDLE/ctl")" = prw-r----- ]
	[ "$(stat -c %A "$BUNDLE/winsz")" = prw-r----- ]
	container_start
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	# not removed at exit (the engines remove them)
	[ -p "$BUNDLE/ctl" ]
	[ -p "$BUNDLE/winsz" ]
}

@test "ctl: an O_WRONLY|O_NONBLOCK open of ctl and winsz succeeds for the container's whole life" {
	make_bundle /bin/sleep 2
	vigil_create
	local ctr
	ctr=$(cat "$CTR_PIDFILE")
	# from before `runc start` until the container process is gone
	python3 - "$BUNDLE" "$ctr" "$(exit_file)" >"$T/opens" 2>&1 <<'PY' &
import errno, os, sys, time
bundle, pid, exit_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def alive():
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
ok = bad = 0
deadline = time.monotonic() + 30
while not os.path.exists(exit_file) and time.monotonic() < deadline:
    for name in ("ctl", "winsz"):
        try:
            fd = os.open(os.path.join(bundle, name), os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
            ok += 1
        except OSError as e:
            if alive():
                bad += 1
                print("open %s failed while the container runs: %s" % (name, e))
    time.sleep(0.005)
print("ok %d bad %d" % (ok, bad))
PY
	local watcher=$!
	sleep 0.3
	container_start
	wait_daemon
	wait "$watcher"
	cat "$T/opens"
	grep -q '^ok [0-9]* bad 0$' "$T/opens"
	# it tried many times
	(($(awk '/^ok/ {print $2}' "$T/opens") > 100))
}

@test "ctl: each malformed or out-of-range line is ignored with no effect" {
	start_size_server
	ctl_write '1 11 22\n'
	wait_for ctr_size_is "11 22"
	bad_line '1 55\n'
	bad_line '1\n'
	bad_line 'foo\n'
	bad_line '\n'
	bad_line '1 10.5 20.3\n'
	bad_line '1 0x10 0x20\n'
	bad_line '1 55 x\n'
	bad_line '3 55 66\n'
	bad_line '0 55 66\n'
	bad_line '-1 55 66\n'
	bad_line '1 1001 1000\n'
	bad_line '1 1000 1001\n'
	bad_line '1 100000 100000\n'
	bad_line '1 -5 66\n'
	bad_line '1 55 -66\n'
	# a following valid line still applies
	ctl_write '1 33 44\n'
	wait_for ctr_size_is "33 44"
	touch "$OUT_DIR/stop"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
}

@test "ctl: a type 2 line out of range does not reopen the log" {
	start_size_server
	rm -f "$LOG"
	ctl_write '2 1001 0\n'
	ctl_write '2 0 -1\n'
	ctl_write '2 0\n'
	# a resize after them shows that they were handled
	ctl_write '1 12 34\n'
	wait_for ctr_size_is "12 34"
	[ ! -e "$LOG" ]
	ctl_write '2 1000 1000\n'
	WAIT_TIMEOUT=5 wait_for_file "$LOG"
	touch "$OUT_DIR/stop"
	wait_daemon
}

@test "ctl: accepted forms: whitespace, signs, leading zeros, text after the third number, 0 and 1000" {
	start_size_server
	ctl_write '  1 0010 0020\n'
	wait_for ctr_size_is "10 20"
	ctl_write '1 +15 +25\n'
	wait_for ctr_size_is "15 25"
	ctl_write $'1\t16\t26\n'
	wait_for ctr_size_is "16 26"
	ctl_write '1 2 2 3\n'
	wait_for ctr_size_is "2 2"
	ctl_write '1 1000 1000\n'
	wait_for ctr_size_is "1000 1000"
	ctl_write '1 0 0\n'
	# busybox stty cannot print a 0x0 size: ask the terminal from the host
	wait_for tty_size_is "$(cat "$CTR_PIDFILE")" "0 0"
	touch "$OUT_DIR/stop"
	wait_daemon
}

@test "ctl: several lines in one write are all processed, in order" {
	start_size_server
	ctl_write '1 30 100\n1 40 120\n'
	wait_for ctr_size_is "40 120"
	# a bad line and a reopen in the middle of one write
	rm -f "$LOG"
	ctl_write '1 31 101\nfoo\n2 0 0\n1 41 121\n'
	wait_for ctr_size_is "41 121"
	[ -e "$LOG" ]
	touch "$OUT_DIR/stop"
	wait_daemon
}

@test "ctl: a line split over two writes is put together" {
	start_size_server
	ctl_write '1 45'
	sleep 0.3
	ctl_write ' 67\n'
	wait_for ctr_size_is "45 67"
	touch "$OUT_DIR/stop"
	wait_daemon
}

@test "ctl: a 300-byte line is rejected and parsing resumes after its newline" {
	start_size_server
	ctl_write '1 11 22\n'
	wait_for ctr_size_is "11 22"
	local pad250 pad292
	pad250=$(printf '%250s' '')
	pad292=$(printf '%292s' '')
	# a valid line padded to 300 bytes
	bad_line "1 77 88${pad292}\n"
	# 250 blanks, then what would be a valid line if the tail were parsed on its own
	bad_line "${pad250}1 77 88${pad292:0:42}\n"
	# the same two in one write, followed by a valid line
	ctl_write "1 77 88${pad292}\n${pad250}1 77 88${pad292:0:42}\n1 50 60\n"
	wait_for ctr_size_is "50 60"
	# a 107-byte line (within the limit) with leading blanks is fine
	ctl_write "$(printf '%100s' '')1 51 61\n"
	wait_for ctr_size_is "51 61"
	touch "$OUT_DIR/stop"
	wait_daemon
}

@test "ctl: rows and cols written directly to winsz are applied; out of range is not" {
	start_size_server
	fifo_write "$BUNDLE/winsz" '23 45\n'
	wait_for ctr_size_is "23 45"
	fifo_write "$BUNDLE/winsz" '2000 2000\n'
	ctl_barrier
	[ "$(ctr_size)" = "23 45" ]
	touch "$OUT_DIR/stop"
	wait_daemon
}

@test "ctl: log reopen after the log was deleted creates it again at once; new output goes there" {
	make_bundle /bin/sh -c 'echo before; while [ ! -e /out/go ]; do sleep 0.02; done; echo after'
	bundle_out_mount
	vigil_create
	container_start
	wait_for_grep ' stdout F before$' "$LOG"
	rm "$LOG"
	ctl_write '2 0 0\n'
	wait_for_file_within 1.0 "$LOG"
	assert_file_content "$LOG" ''
	[ "$(file_mode "$LOG")" = 640 ]
	touch "$OUT_DIR/go"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	assert_file_content "$T/out.norm" $'TS stdout F after\n'
	# no temporary files are left next to it
	local files=("$LOG"*)
	[ "${#files[@]}" = 1 ]
}

@test "ctl: after a kubelet-style rename and reopen, new output goes to the new file" {
	make_bundle /bin/sh -c 'echo before; while [ ! -e /out/go ]; do sleep 0.02; done; echo after; echo after2 >&2'
	bundle_out_mount
	vigil_create
	container_start
	wait_for_grep ' stdout F before$' "$LOG"
	mv "$LOG" "$LOG.1"
	ctl_write '2 0 0\n'
	wait_for_file_within 1.0 "$LOG"
	touch "$OUT_DIR/go"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG.1"
	assert_file_content "$T/out.norm" $'TS stdout F before\n'
	k8s_check "$LOG"
	assert_file_content "$T/out.norm" $'TS stdout F after\nTS stderr F after2\n'
}

@test "ctl: a resize for a container without a tty is harmless" {
	make_bundle /bin/sh -c 'echo before; while [ ! -e /out/go ]; do sleep 0.02; done; echo after'
	bundle_out_mount
	vigil_create
	container_start
	wait_for_grep ' stdout F before$' "$LOG"
	ctl_write '1 20 30\n'
	ctl_barrier
	touch "$OUT_DIR/go"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	assert_file_content "$T/out.norm" $'TS stdout F after\n'
}
