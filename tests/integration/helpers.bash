# shellcheck shell=bash
# shellcheck disable=SC2034 # variables set here (T, CID, LOG, DAEMON_RC, ...) are used by the .bats files
# SPDX-License-Identifier: Apache-2.0
#
# Shared setup for the integration tests: real vigil + real runc + a busybox rootfs.
#
#   VIGIL_BINARY=build/src/vigil bats tests/integration/NN-topic.bats
#
# Per run:  a busybox rootfs and a config.json template ($BATS_RUN_TMPDIR).
# Per test: a bundle, a private `runc --root` dir (given to vigil as --runtime-arg --root=DIR),
#           an exit dir, a socket dir, and engine.py's state dir; all under $BATS_TEST_TMPDIR.
#
# The engine (engine.py) starts vigil as podman/CRI-O do: _OCI_SYNCPIPE=3 and _OCI_STARTPIPE=4
# (SOCK_SEQPACKET socketpairs), the start byte, then it waits for the launched process and
# collects the daemon (it is a child subreaper). The bash side does `runc start`.

bats_require_minimum_version 1.5.0

INTEGRATION_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${VIGIL_BINARY:?set VIGIL_BINARY to the vigil binary (e.g. build/src/vigil)}"
VIGIL_BINARY=$(realpath "$VIGIL_BINARY")
RUNC=${RUNC:-/usr/sbin/runc}
BUSYBOX=${BUSYBOX:-/bin/busybox}
ROOTFS=$BATS_RUN_TMPDIR/rootfs
CONFIG_TEMPLATE=$BATS_RUN_TMPDIR/config.template.json
# Upper bound for every wait, in seconds.
WAIT_TIMEOUT=${WAIT_TIMEOUT:-30}

# ---------------------------------------------------------------------------------------------
# rootfs and bundles

# Build the busybox rootfs and the config.json template once per bats run.
build_rootfs()
{
	[[ -e $ROOTFS/.done ]] && return 0
	command -v "$RUNC" >/dev/null || skip "runc not found at $RUNC"
	[[ -x $BUSYBOX ]] || skip "busybox-static not found at $BUSYBOX"
	rm -rf "$ROOTFS"
	mkdir -p "$ROOTFS"/{bin,etc,tmp,proc,sys,dev,data}
	cp "$BUSYBOX" "$ROOTFS/bin/busybox"
	local applet
	for applet in $("$BUSYBOX" --list); do
		# `busybox --list` names busybox itself: never replace the binary by a symlink to itself
		[[ $applet == busybox ]] && continue
		ln -sf busybox "$ROOTFS/bin/$applet"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$ROOTFS/etc/passwd"
	printf 'root:x:0:\nnobody:x:65534:\n' >"$ROOTFS/etc/group"

	local spec_dir=$BATS_RUN_TMPDIR/spec
	mkdir -p "$spec_dir"
	(cd "$spec_dir" && "$RUNC" spec)
	jq --arg rootfs "$ROOTFS" '
		.root = {path: $rootfs, readonly: true}
		| .process.terminal = false
		| .process.args = ["/bin/true"]
		| .hostname = "vigil-test"
		| .mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs",
		               options: ["nosuid", "nodev", "mode=1777"]}]' \
		"$spec_dir/config.json" >"$CONFIG_TEMPLATE"
	touch "$ROOTFS/.done"
}

# make_bundle CMD [ARGS...]: write $BUNDLE/config.json running CMD ARGS in the container.
# The host dir $DATA_DIR is bind-mounted read-only at /data.
make_bundle()
{
	mkdir -p "$BUNDLE" "$DATA_DIR"
	# python, not jq --args: jq 1.6 still parses options such as -c among the positional args
	python3 - "$CONFIG_TEMPLATE" "$BUNDLE/config.json" "$DATA_DIR" "$@" <<'PY'
import json, sys
template, out, data, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
with open(template) as f:
    config = json.load(f)
config["process"]["args"] = args
config["mounts"].append({"destination": "/data", "type": "bind", "source": data, "options": ["rbind", "ro"]})
with open(out, "w") as f:
    json.dump(config, f, indent=1)
PY
}

# bundle_edit JQ-FILTER: edit $BUNDLE/config.json in place.
bundle_edit()
{
	local tmp=$BUNDLE/config.json.tmp
	jq "$1" "$BUNDLE/config.json" >"$tmp" && mv "$tmp" "$BUNDLE/config.json"
}

# ---------------------------------------------------------------------------------------------
# per-test setup and cleanup

vigil_setup()
{
	build_rootfs
	T=$BATS_TEST_TMPDIR
	CID=vigil-test-$$-$BATS_TEST_NUMBER
	CUUID=$CID
	BUNDLE=$T/bundle
	DATA_DIR=$T/data
	RUNC_ROOT=$T/runc-root
	STATE=$T/engine
	EXIT_DIR=$T/exits
	SOCK_DIR=$T/sockets
	LOG=$T/ctr.log
	CONMON_PIDFILE=$T/conmon.pid
	CTR_PIDFILE=$BUNDLE/pidfile
	mkdir -p "$BUNDLE" "$DATA_DIR" "$RUNC_ROOT" "$STATE" "$EXIT_DIR" "$SOCK_DIR"
	ENGINE_PID=
	ENGINE_OPTS=()
	# set to a file to run the engine (and vigil) with a private /dev/log capturing syslog(3)
	SYSLOG_CAPTURE=
	VIGIL_API=(--api-version)
	VIGIL_LOG=(-l "k8s-file:$LOG")
}

# True if PID is alive and runs the vigil binary (so that cleanup never kills a reused pid).
is_vigil_pid()
{
	local pid=$1
	[[ -n $pid && -e /proc/$pid ]] || return 1
	[[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$VIGIL_BINARY" ]]
}

# pid_gone PID: PID has exited (it may still be an unreaped zombie)
pid_gone()
{
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	[[ ${stat%% *} == Z ]]
}

vigil_teardown()
{
	local pid f
	for f in "$STATE/daemon.pid" "$STATE/launch.pid"; do
		[[ -s $f ]] || continue
		pid=$(<"$f")
		if is_vigil_pid "$pid"; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
	if [[ -s $STATE/engine.pid ]]; then
		pid=$(<"$STATE/engine.pid")
		if [[ $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") == *engine.py* ]]; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	if [[ -n $ENGINE_PID ]]; then
		# the engine, or syslog-ns.sh around it, ends by itself once the engine is gone
		WAIT_TIMEOUT=5 wait_for pid_gone "$ENGINE_PID" 2>/dev/null ||
			kill -KILL "$ENGINE_PID" 2>/dev/null || true
		wait "$ENGINE_PID" 2>/dev/null || true
	fi
	if [[ -d $RUNC_ROOT ]]; then
		local id
		for id in $("$RUNC" --root "$RUNC_ROOT" list -q 2>/dev/null); do
			"$RUNC" --root "$RUNC_ROOT" delete -f "$id" >/dev/null 2>&1 || true
		done
	fi
}

setup()
{
	vigil_setup
}

teardown()
{
	vigil_teardown
}

# ---------------------------------------------------------------------------------------------
# waiting

# wait_for CONDITION-COMMAND... : poll until the command succeeds, at most $WAIT_TIMEOUT seconds.
wait_for()
{
	local deadline=$((SECONDS + WAIT_TIMEOUT))
	while ! "$@"; do
		if ((SECONDS >= deadline)); then
			echo "timed out after ${WAIT_TIMEOUT}s waiting for: $*" >&2
			return 1
		fi
		sleep 0.02
	done
}

# any_exists PATH...: true if one of the paths exists
any_exists()
{
	local p
	for p in "$@"; do
		[[ -e $p ]] && return 0
	done
	return 1
}

wait_for_file()
{
	wait_for test -e "$1"
}

# wait_for_grep PATTERN FILE: wait until FILE has a line matching the extended regex PATTERN.
wait_for_grep()
{
	wait_for grep -Eq -- "$1" "$2"
}

# ---------------------------------------------------------------------------------------------
# driving vigil the way an engine does

# The options podman/CRI-O pass for a create, pointing at this test's dirs. A test can change
# VIGIL_API (default: --api-version) and VIGIL_LOG (default: -l k8s-file:$LOG) first.
default_vigil_args()
{
	VARGS=("${VIGIL_API[@]}" -c "$CID" -u "$CUUID" -n "$CID" -r "$RUNC" -b "$BUNDLE" -p "$CTR_PIDFILE"
		-P "$CONMON_PIDFILE" --exit-dir "$EXIT_DIR" --socket-dir-path "$SOCK_DIR"
		--runtime-arg "--root=$RUNC_ROOT" "${VIGIL_LOG[@]}")
}

# vigil_launch_raw ARGS...: start the engine in the background with vigil and exactly ARGS.
# Engine options come from the ENGINE_OPTS array; --foreground is added when ARGS has --sync.
vigil_launch_raw()
{
	local opts=("${ENGINE_OPTS[@]}") a
	for a in "$@"; do
		[[ $a == --sync ]] && opts+=(--foreground)
	done
	local wrap=()
	if [[ -n $SYSLOG_CAPTURE ]]; then
		wrap=(unshare --mount --propagation private bash "$INTEGRATION_DIR/syslog-ns.sh" "$T/syslog-ns"
			"$SYSLOG_CAPTURE")
	fi
	# LAUNCH_WRAP (an array, unset by default): a command prefix for the engine, e.g. journald-ns.sh
	if [[ -n ${LAUNCH_WRAP+set} ]]; then
		wrap=("${LAUNCH_WRAP[@]}" "${wrap[@]}")
	fi
	"${wrap[@]}" python3 "$INTEGRATION_DIR/engine.py" --state "$STATE" "${opts[@]}" -- "$VIGIL_BINARY" "$@" \
		>"$STATE/engine.out" 2>&1 3>&- &
	ENGINE_PID=$!
}

# vigil_launch [EXTRA_ARGS...]: the default create arguments plus EXTRA_ARGS.
vigil_launch()
{
	default_vigil_args
	vigil_launch_raw "${VARGS[@]}" "$@"
}

# Wait until the launched process exited (or, with --sync, until it reported on the sync pipe).
wait_launch()
{
	wait_for any_exists "$STATE/launch.rc" "$STATE/sync.first" "$STATE/done"
	LAUNCH_RC=$(cat "$STATE/launch.rc" 2>/dev/null || echo running)
}

# Wait for the first sync-pipe record (or the engine's end).
wait_sync()
{
	wait_for any_exists "$STATE/sync.first" "$STATE/done"
	SYNC_FIRST=$(cat "$STATE/sync.first" 2>/dev/null || true)
}

# Wait for the daemon to exit; sets DAEMON_RC.
wait_daemon()
{
	wait_for_file "$STATE/done"
	[[ ! -e $STATE/engine.timeout ]] || {
		echo "engine gave up waiting for vigil" >&2
		return 1
	}
	DAEMON_RC=$(cat "$STATE/daemon.rc" 2>/dev/null || echo none)
}

# Wait for the engine process itself (with SYSLOG_CAPTURE: until the capture file is complete).
wait_engine()
{
	wait_for_file "$STATE/done"
	wait "$ENGINE_PID" || true
}

daemon_pid()
{
	cat "$STATE/daemon.pid"
}

# vigil_create [EXTRA_ARGS...]: launch with the default args, expect a successful create.
vigil_create()
{
	vigil_launch "$@"
	wait_launch
	wait_sync
	if [[ $SYNC_FIRST != '{"data": '[0-9]*'}' && $SYNC_FIRST != '{"pid": '[0-9]*'}' ]]; then
		echo "create failed: launch rc $LAUNCH_RC, sync record '$SYNC_FIRST'" >&2
		echo "vigil stderr: $(cat "$STATE/vigil.err")" >&2
		return 1
	fi
}

container_start()
{
	"$RUNC" --root "$RUNC_ROOT" start "$CID"
}

container_kill()
{
	"$RUNC" --root "$RUNC_ROOT" kill "$CID" "${1:-KILL}"
}

exit_file()
{
	echo "$EXIT_DIR/$CID"
}

# runc's view of the container: created, running, stopped (empty if unknown)
container_status()
{
	"$RUNC" --root "$RUNC_ROOT" state "$CID" 2>/dev/null | jq -r .status
}

container_running()
{
	[[ $(container_status) == running ]]
}

# blocked_in_read PID FD: PID sleeps in read(FD) (per /proc/PID/syscall)
blocked_in_read()
{
	local nr sc
	case $(uname -m) in
	x86_64) nr=0 ;;
	aarch64) nr=63 ;;
	*) skip "no read syscall number for $(uname -m)" ;;
	esac
	sc=$(cat "/proc/$1/syscall" 2>/dev/null) || return 1
	[[ $sc == "$nr $(printf '0x%x' "$2") "* ]]
}

# vigil_reset: forget this test's previous vigil run (engine state, exit files, log, container),
# so that one test can run a second container with the same id.
vigil_reset()
{
	vigil_teardown
	rm -rf "$STATE" "$LOG" "$EXIT_DIR"
	mkdir -p "$STATE" "$EXIT_DIR"
	ENGINE_PID=
}

# run_container [EXTRA_VIGIL_ARGS...] -- CMD [ARGS...]: the whole life of one container:
# bundle, create, start, exit file, daemon exit. Sets LAUNCH_RC, SYNC_FIRST, DAEMON_RC.
run_container()
{
	local extra=()
	while (($#)) && [[ $1 != -- ]]; do
		extra+=("$1")
		shift
	done
	shift
	make_bundle "$@"
	vigil_create "${extra[@]}"
	container_start
	wait_daemon
}

# ---------------------------------------------------------------------------------------------
# exec sessions into a running target container (13-exec, 25-crio): the exec's own engine keeps
# its state in $XSTATE, the process spec is $XSPEC; the caller's setup sets both.

# exec_spec [--tty] ARGS...: write $XSPEC, the target's process with these args (as engines derive it)
exec_spec()
{
	local tty=false
	if [[ $1 == --tty ]]; then
		tty=true
		shift
	fi
	python3 - "$BUNDLE/config.json" "$XSPEC" "$tty" "$@" <<'PY'
import json, sys
config, out, tty, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
with open(config) as f:
    process = json.load(f)["process"]
process["args"] = args
process["terminal"] = tty == "true"
with open(out, "w") as f:
    json.dump(process, f, indent=1)
PY
}

# exec_launch ARGS...: start vigil with exactly ARGS through a second engine (state $XSTATE).
# XENGINE_OPTS are engine options; --foreground is added when ARGS has --sync.
# shellcheck disable=SC2153 # XSTATE comes from the .bats file's setup
exec_launch()
{
	local opts=("${XENGINE_OPTS[@]}") a
	for a in "$@"; do
		[[ $a == --sync ]] && opts+=(--foreground)
	done
	python3 "$INTEGRATION_DIR/engine.py" --state "$XSTATE" "${opts[@]}" -- "$VIGIL_BINARY" "$@" \
		>"$XSTATE/engine.out" 2>&1 3>&- &
	XENGINE_PID=$!
}

# exec_teardown: kill what is left of the exec session's vigil and engine
exec_teardown()
{
	local f pid
	for f in "$XSTATE/daemon.pid" "$XSTATE/launch.pid"; do
		[[ -s $f ]] || continue
		pid=$(<"$f")
		if is_vigil_pid "$pid"; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
	if [[ -n ${XENGINE_PID:-} ]]; then
		kill -KILL "$XENGINE_PID" 2>/dev/null || true
		wait "$XENGINE_PID" 2>/dev/null || true
	fi
}

# wait_exec: wait for the exec vigil to exit; sets DAEMON_RC and XSYNC (all sync-pipe bytes)
wait_exec()
{
	STATE=$XSTATE wait_daemon
	XSYNC=$(cat "$XSTATE/sync.all"; printf x)
	XSYNC=${XSYNC%x}
}

# ---------------------------------------------------------------------------------------------
# fake peers (shell scripts), for argv checks only

# make_fake_runtime PATH [STDERR-PRINTF-FORMAT]: a runtime that records its argv (one per line) in
# PATH.argv, the fds it was given in PATH.fds and its environment in PATH.env, writes
# STDERR-PRINTF-FORMAT (a printf format, no single quotes; default "fake runtime refuses\n") to
# stderr and fails.
make_fake_runtime()
{
	local path=$1 msg=${2-'fake runtime refuses\n'}
	cat >"$path" <<EOF
#!/bin/sh
for a in "\$@"; do printf '%s\n' "\$a"; done >"$path.argv"
ls /proc/\$\$/fd >"$path.fds"
env >"$path.env"
printf '$msg' >&2
exit 1
EOF
	chmod 755 "$path"
}

# make_exit_command PATH [STATUS]: an exit command that records its args (one per line) in
# PATH.args, the exit file's content at that moment in PATH.exitfile, the time (seconds since the
# epoch, with fraction) in PATH.time, the open fds 3..9 in PATH.fds, then exits STATUS.
make_exit_command()
{
	local path=$1 status=${2:-0}
	cat >"$path" <<EOF
#!/bin/sh
date +%s.%N >"$path.time"
for a in "\$@"; do printf '%s\n' "\$a"; done >"$path.args.tmp"
cat "$EXIT_DIR/$CID" >"$path.exitfile" 2>/dev/null || echo missing >"$path.exitfile"
for fd in 3 4 5 6 7 8 9; do [ -e /proc/\$\$/fd/\$fd ] && echo \$fd; done >"$path.fds"
mv "$path.args.tmp" "$path.args"
exit $status
EOF
	chmod 755 "$path"
}

# k8s_check LOG: validate LOG as a k8s-file log and rebuild the streams into $T/out.stdout,
# $T/out.stderr and the normalised log (timestamps replaced by TS) into $T/out.norm.
k8s_check()
{
	python3 "$INTEGRATION_DIR/k8s_log.py" "$1" --stdout "$T/out.stdout" --stderr "$T/out.stderr" \
		--normalized "$T/out.norm"
}

# mtime PATH: modification time, seconds since the epoch with fraction
mtime()
{
	python3 -c 'import os, sys; print(os.stat(sys.argv[1]).st_mtime)' "$1"
}

# file_mode PATH: octal permission bits
file_mode()
{
	stat -c %a "$1"
}

# assert_file_content PATH EXPECTED: exact bytes (no trailing newline is added or removed)
assert_file_content()
{
	local actual
	actual=$(cat "$1"; printf x)
	actual=${actual%x}
	if [[ $actual != "$2" ]]; then
		echo "content of $1:" >&2
		printf '%s' "$actual" | od -c | head -20 >&2
		echo "expected:" >&2
		printf '%s' "$2" | od -c | head -20 >&2
		return 1
	fi
}

# ---------------------------------------------------------------------------------------------
# tty, attach clients, FIFOs (used by 10-tty .. 13-exec)

# bundle_out_mount: bind-mount the host dir $OUT_DIR (= $T/out) read-write at /out in the container,
# for files the container writes and flags the test sets.
bundle_out_mount()
{
	OUT_DIR=$T/out
	mkdir -p "$OUT_DIR"
	chmod 777 "$OUT_DIR"
	bundle_edit ".mounts += [{destination: \"/out\", type: \"bind\", source: \"$OUT_DIR\", options: [\"rbind\", \"rw\"]}]"
}

# bundle_tty: the container gets a terminal (config.json process.terminal; vigil needs -t)
bundle_tty()
{
	bundle_edit '.process.terminal = true'
}

# client_start NAME SOCKET [attach_client.py OPTIONS...]: connect an attach client in the
# background (its files are $T/NAME.*, its pid in $T/NAME.pid) and wait until it is connected
# (with --close-after-send: until it has sent and closed).
client_start()
{
	local name=$1 sock=$2 a
	shift 2
	python3 "$INTEGRATION_DIR/attach_client.py" "$sock" "$T/$name" "$@" >"$T/$name.stderr" 2>&1 3>&- &
	echo $! >"$T/$name.pid"
	for a in "$@"; do
		if [[ $a == --close-after-send ]]; then
			wait_for_file "$T/$name.sent"
			return
		fi
	done
	wait_for_file "$T/$name.connected"
}

client_pid()
{
	cat "$T/$1.pid"
}

# client_wait NAME: wait for the client to finish (it has its own timeout); true if it read EOF.
client_wait()
{
	local rc=0
	wait "$(client_pid "$1")" || rc=$?
	if [[ $rc != 0 ]]; then
		echo "attach client $1 exited $rc: $(cat "$T/$1.stderr")" >&2
		return 1
	fi
	[[ -e $T/$1.eof ]]
}

# clients_teardown: kill every attach client this test started that is still running
clients_teardown()
{
	local f pid
	for f in "$T"/*.pid; do
		[[ -s $f ]] || continue
		pid=$(<"$f")
		if [[ $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") == *attach_client.py* ]]; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
}

# fifo_write PATH TEXT: one write(2) of TEXT (backslash escapes such as \n allowed) to the FIFO
# PATH, opened O_WRONLY|O_NONBLOCK as podman opens ctl (fails with ENXIO if nobody reads it).
fifo_write()
{
	python3 - "$1" "$2" <<'PY'
import os, sys
data = sys.argv[2].encode().decode("unicode_escape").encode("latin-1")
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK)
n = os.write(fd, data)
os.close(fd)
sys.exit(0 if n == len(data) else 1)
PY
}

# ctl_write TEXT: fifo_write to $BUNDLE/ctl
ctl_write()
{
	fifo_write "$BUNDLE/ctl" "$1"
}

# tty_size PID: "ROWS COLS" of the terminal that is fd 0 of PID (TIOCGWINSZ from the host)
tty_size()
{
	python3 - "$1" <<'PY'
import fcntl, os, struct, sys, termios
fd = os.open("/proc/%s/fd/0" % sys.argv[1], os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
print(rows, cols)
PY
}

# tty_size_is PID "ROWS COLS"
tty_size_is()
{
	[[ $(tty_size "$1") == "$2" ]]
}

# vigil_args_with_runtime PATH: default_vigil_args (into VARGS) with -r PATH instead of runc
vigil_args_with_runtime()
{
	default_vigil_args
	local i
	for i in "${!VARGS[@]}"; do
		if [[ ${VARGS[i]} == -r ]]; then
			VARGS[i + 1]=$1
		fi
	done
}

# A tty container that answers size queries, asked from inside it: for each /out/q.N it writes
# `stty size` (run in the container, on its terminal) to /out/size.N. It ends when /out/stop appears.
# shellcheck disable=SC2016 # expanded by the container's shell, not here
SIZE_SERVER='while [ ! -e /out/stop ]; do
	for f in /out/q.*; do
		[ -e "$f" ] || continue
		n=${f#/out/q.}
		stty size >/out/size.$n.tmp
		mv /out/size.$n.tmp /out/size.$n
		rm -f "$f"
	done
	sleep 0.02
done'

# start_size_server [VIGIL ARGS...]: run SIZE_SERVER in a tty container (vigil -t ARGS), started
start_size_server()
{
	make_bundle /bin/sh -c "$SIZE_SERVER"
	bundle_tty
	bundle_out_mount
	vigil_create -t "$@"
	container_start
	QUERY=0
}

# ctr_size: the size server's `stty size`
ctr_size()
{
	QUERY=$((QUERY + 1))
	touch "$OUT_DIR/q.$QUERY"
	wait_for_file "$OUT_DIR/size.$QUERY" || return 1
	cat "$OUT_DIR/size.$QUERY"
}

# ctr_size_is "ROWS COLS"
ctr_size_is()
{
	[[ $(ctr_size) == "$1" ]]
}

# fd_count PID: number of open fds of PID
fd_count()
{
	local fds=("/proc/$1/fd/"*)
	echo "${#fds[@]}"
}

# cpu_ticks PID: utime+stime of PID in clock ticks
cpu_ticks()
{
	local stat
	stat=$(cat "/proc/$1/stat") || return 1
	stat=${stat##*) }
	# fields after the comm: 3=state ... 14=utime 15=stime (1-based in stat(5)) -> 12th, 13th here
	awk '{print $12 + $13}' <<<"$stat"
}
