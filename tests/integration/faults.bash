# shellcheck shell=bash
# shellcheck disable=SC2034 # variables set here are used by the .bats files
# SPDX-License-Identifier: Apache-2.0
#
# Helpers for the fault and hygiene tests (21-faults-runtime .. 24-hygiene), on top of helpers.bash:
#
#   load helpers
#   load faults
#
# Every fault test checks four things besides its own outcome: nothing hangs (every wait is
# bounded), no zombie or stray process is left (fake runtimes are found by their path in /proc),
# no fd leaks in a daemon that lives on, and no byte of accepted output is lost.

# ---------------------------------------------------------------------------------------------
# setup and teardown

faults_setup()
{
	vigil_setup
	# background helpers this test started (pids, one per line), killed at teardown
	BG_PIDS=$T/bg.pids
	: >"$BG_PIDS"
	# fault-ns.sh work dir (see ns_wrap)
	NS=$T/ns
}

faults_teardown()
{
	local pid
	[[ -d $NS ]] && : >"$NS/ns.release"
	if [[ -s $BG_PIDS ]]; then
		while read -r pid; do
			kill -KILL "$pid" 2>/dev/null || true
		done <"$BG_PIDS"
	fi
	if declare -F clients_teardown >/dev/null; then
		clients_teardown
	fi
	# containers first: a subreaper wrapper (subreaper.py) waits for everything under it
	if [[ -d $RUNC_ROOT ]]; then
		local id
		for id in $("$RUNC" --root "$RUNC_ROOT" list -q 2>/dev/null); do
			"$RUNC" --root "$RUNC_ROOT" delete -f "$id" >/dev/null 2>&1 || true
		done
	fi
	vigil_teardown
	# fake runtimes and exit commands live under $T: none may survive the test
	for pid in $(pids_mentioning "$T/"); do
		kill -KILL "$pid" 2>/dev/null || true
	done
}

# bg_track PID: kill PID at teardown if it still runs
bg_track()
{
	echo "$1" >>"$BG_PIDS"
}

# ---------------------------------------------------------------------------------------------
# processes

# proc_state PID: the state letter (R, S, Z, ...) or nothing if there is no such process
proc_state()
{
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	echo "${stat%% *}"
}

# reaped PID: PID is gone and was reaped (no /proc entry, not even a zombie)
reaped()
{
	[[ ! -e /proc/$1 ]]
}

# children_of PID: the direct children of PID, one per line
children_of()
{
	local f c
	for f in /proc/"$1"/task/*/children; do
		[[ -r $f ]] || continue
		for c in $(<"$f"); do
			echo "$c"
		done
	done
}

# zombie_children PID: the children of PID that are zombies (exited, not reaped), one per line
zombie_children()
{
	local c
	for c in $(children_of "$1"); do
		[[ $(proc_state "$c") == Z ]] && echo "$c"
	done
	return 0
}

# pids_mentioning TEXT: live (non-zombie) processes whose command line contains TEXT, except this
# shell and its ancestors
pids_mentioning()
{
	local p cmd
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[[ $p == "$$" || $p == "$BASHPID" ]] && continue
		cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") || continue
		[[ -n $cmd && $cmd == *"$1"* ]] || continue
		[[ $(proc_state "$p") == Z ]] && continue
		# bats itself has the test file, never $T, on its command line; skip our own pipeline anyway
		[[ $cmd == *bats-exec* || $cmd == *pids_mentioning* ]] && continue
		echo "$p"
	done
}

# no_process_mentions TEXT: fails (listing them) if any live process mentions TEXT
no_process_mentions()
{
	local pids
	pids=$(pids_mentioning "$1")
	if [[ -n $pids ]]; then
		echo "processes still running that mention $1:" >&2
		local p
		for p in $pids; do
			echo "  $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >&2
		done
		return 1
	fi
}

# vm_rss_kb PID: resident set size in kB
vm_rss_kb()
{
	awk '/^VmRSS:/ {print $2}' "/proc/$1/status"
}

# fd_list PID: "fd -> target" lines (diagnostics)
fd_list()
{
	local f
	for f in /proc/"$1"/fd/*; do
		echo "${f##*/} -> $(readlink "$f" 2>/dev/null)"
	done
}

# fd_count_now_is PID N
fd_count_now_is()
{
	[[ $(fd_count "$1") == "$2" ]]
}

# assert_fd_count PID N [LISTING-BEFORE]: PID has N open fds again within 5 s (it may still be
# closing connections); prints both listings if not
assert_fd_count()
{
	if ! WAIT_TIMEOUT=5 wait_for fd_count_now_is "$1" "$2" 2>/dev/null; then
		echo "pid $1 has $(fd_count "$1") fds, expected $2; now:" >&2
		fd_list "$1" >&2
		[[ -n ${3:-} ]] && echo "before:" >&2 && echo "$3" >&2
		return 1
	fi
}

# daemon_alive: the daemon of this test is running (not a zombie)
daemon_alive()
{
	local pid
	pid=$(daemon_pid 2>/dev/null) || return 1
	[[ -n $pid && -e /proc/$pid && $(proc_state "$pid") != Z ]]
}

# ---------------------------------------------------------------------------------------------
# fake runtimes

# make_script_runtime PATH BODY: a runtime that is the shell script BODY (#!/bin/sh)
make_script_runtime()
{
	printf '#!/bin/sh\n%s\n' "$2" >"$1"
	chmod 755 "$1"
}

# make_gate_runtime PATH: a runtime wrapper that, for the first call (the create) only, writes
# PATH.started and waits (at most 30 s) for PATH.go before exec'ing the real runc
make_gate_runtime()
{
	local path=$1
	cat >"$path" <<EOF
#!/bin/bash
if [[ ! -e "$path.started" ]]; then
	touch "$path.started"
	for ((i = 0; i < 1500; i++)); do
		[[ -e "$path.go" ]] && break
		sleep 0.02
	done
fi
exec "$RUNC" "\$@"
EOF
	chmod 755 "$path"
}

# json_get FILE EXPR: evaluate a python expression over the JSON record r in FILE
json_get()
{
	python3 -c 'import json, sys; r = json.loads(open(sys.argv[1], "rb").read()); print(eval(sys.argv[2]))' "$1" "$2"
}

# ---------------------------------------------------------------------------------------------
# mount namespaces, syslog

# ns_wrap [fault-ns.sh OPTIONS...]: run the next vigil_launch* inside fault-ns.sh (a private mount
# namespace with these mounts) and keep that namespace until teardown. Files in it are reached
# through ns_path.
ns_wrap()
{
	mkdir -p "$NS"
	: >"$NS/ns.hold"
	LAUNCH_WRAP=(bash "$INTEGRATION_DIR/fault-ns.sh" "$NS" "$@" --)
}

# ns_path PATH: PATH as seen inside the namespace of ns_wrap (through /proc/PID/root)
ns_path()
{
	echo "/proc/$(cat "$NS/ns.pid")/root$1"
}

# wait_ns: the namespace exists
wait_ns()
{
	wait_for_file "$NS/ns.pid"
}

# wait_ns_cmd_done: the command inside the namespace (engine, syslog capture) has finished; the
# syslog capture file is complete then
wait_ns_cmd_done()
{
	wait_for_file "$NS/ns.cmd-done"
}

# syslog_count REGEX: lines of $SYSLOG_CAPTURE matching REGEX (extended)
syslog_count()
{
	grep -Ec -- "$1" "$SYSLOG_CAPTURE" || true
}

# ---------------------------------------------------------------------------------------------
# FIFOs, logs

# fifo_write_all PATH FILE [DELAY]: write FILE's bytes to the FIFO PATH with blocking writes until
# all are written (the reader must keep up); fails after $FIFO_WRITE_TIMEOUT s (default 20). The
# open is O_NONBLOCK first, so a FIFO without a reader fails at once (ENXIO) instead of blocking.
fifo_write_all()
{
	timeout "${FIFO_WRITE_TIMEOUT:-20}" python3 - "$1" "$2" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK)
os.set_blocking(fd, True)
with open(sys.argv[2], "rb") as f:
    data = f.read()
view = memoryview(data)
while view:
    n = os.write(fd, view)
    view = view[n:]
os.close(fd)
PY
}

# k8s_stream_of STREAM OUT LOG...: the STREAM (stdout/stderr) rebuilt from the k8s logs, in order,
# into OUT (every log must be well formed)
k8s_stream_of()
{
	local stream=$1 out=$2 f
	shift 2
	: >"$out"
	for f in "$@"; do
		k8s_check "$f" || return 1
		cat "$T/out.$stream" >>"$out"
	done
}

# seq_lines PREFIX FIRST LAST: "PREFIX N" lines for N in FIRST..LAST
seq_lines()
{
	local i
	for ((i = $2; i <= $3; i++)); do
		echo "$1 $i"
	done
}
