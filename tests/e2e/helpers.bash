# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Helpers for vigil's end-to-end tests: real Podman (Debian 12's 4.3.1) with vigil as its conmon.
#
# Every bats file does:
#     load helpers
#     setup_file()    { e2e_setup_file; }
#     teardown_file() { e2e_teardown_file; }
#     teardown()      { e2e_teardown; }
#
# e2e_setup_file creates a private Podman instance under a fresh temp dir (its own containers.conf,
# storage.conf, graphroot, runroot, tmp_dir, static_dir, volume_path, file locks), imports a busybox
# rootfs as localhost/busybox:test, and exports CONTAINERS_CONF / CONTAINERS_STORAGE_CONF so that
# every podman process (including the `podman container cleanup` exit command that vigil runs)
# sees the same configuration. e2e_teardown_file removes everything again. The machine's own Podman
# storage (/var/lib/containers/storage, /run/containers/storage) is never used.
#
# Run by hand from the repository root:
#     VIGIL_BINARY=$PWD/build/src/vigil bats tests/e2e/01-basic.bats
# Set VIGIL_E2E_KEEP=1 to keep the temp dir (containers are still removed) for debugging.
# Set VIGIL_SANDBOX=1 to run every monitor confined (--sandbox, through conmon_env_vars).

bats_require_minimum_version 1.5.0

E2E_IMAGE=localhost/busybox:test
# Upper bound for every single podman command (seconds). Nothing may hang CI.
E2E_TIMEOUT=${E2E_TIMEOUT:-60}

# The vigil binary under test: $VIGIL_BINARY (meson sets it) or build/src/vigil in the repo.
e2e_vigil_binary() {
	local bin=${VIGIL_BINARY:-}
	if [[ -z $bin ]]; then
		bin="${VIGIL_SOURCE_DIR:-$BATS_TEST_DIRNAME/../..}/build/src/vigil"
	fi
	readlink -f -- "$bin"
}

# The path Podman runs as its conmon: the vigil binary, set as conmon_path; or, with
# VIGIL_E2E_CONMON_SEARCH=1, no conmon_path at all, so that Podman takes the first file of its own
# search list, which must be $VIGIL_BINARY as given (the package's alternative,
# /usr/libexec/podman/conmon, whose final target e2e_vigil_binary gives).
e2e_conmon_path() {
	if [[ ${VIGIL_E2E_CONMON_SEARCH:-} == 1 ]]; then
		printf '%s' "${VIGIL_BINARY:?VIGIL_E2E_CONMON_SEARCH needs VIGIL_BINARY}"
	else
		e2e_vigil_binary
	fi
}

# Print a message to the test's failure output and fail.
e2e_fail() {
	printf '# %s\n' "$@" >&2
	return 1
}

# assert_eq ACTUAL EXPECTED [WHAT]
assert_eq() {
	if [[ "$1" != "$2" ]]; then
		e2e_fail "${3:-value} mismatch" "expected: $(printf '%q' "$2")" "actual:   $(printf '%q' "$1")"
	fi
}

# Run podman against the private instance, bounded in time. Refuses to run without the private
# configuration so that a broken setup can never touch the machine's own Podman state.
pm() {
	if [[ -z ${E2E_DIR:-} || ${CONTAINERS_STORAGE_CONF:-} != "$E2E_DIR"/* ||
		${CONTAINERS_CONF:-} != "$E2E_DIR"/* ]]; then
		echo "pm: private podman configuration is not set up" >&2
		return 125
	fi
	timeout --kill-after=10 "$E2E_TIMEOUT" podman "$@"
}

# A container name with this file's unique prefix.
cname() {
	printf '%s%s' "$E2E_PREFIX" "$1"
}

# wait_until SECONDS COMMAND...: poll COMMAND every 0.1 s until it succeeds or SECONDS pass.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	while ! "$@"; do
		if ((SECONDS >= deadline)); then
			e2e_fail "timed out after waiting for: $*"
			return 1
		fi
		sleep 0.1
	done
}

# inspect_is CONTAINER FORMAT VALUE: true if `podman inspect --format FORMAT` prints VALUE.
inspect_is() {
	[[ "$(pm inspect --format "$2" "$1" 2>/dev/null)" == "$3" ]]
}

# logs_are CONTAINER TEXT: true if `podman logs` (both streams) prints exactly TEXT.
logs_are() {
	[[ "$(pm logs "$1" 2>&1)" == "$2" ]]
}

# ctr_absent CONTAINER: true once Podman no longer knows the container.
ctr_absent() {
	local rc=0
	pm container exists "$1" || rc=$?
	((rc == 1))
}

# assert_vigil_pid PID: PID is a live process whose executable is the vigil binary under test.
assert_vigil_pid() {
	local pid=$1 exe want
	[[ $pid =~ ^[1-9][0-9]*$ ]] || e2e_fail "not a PID: $(printf '%q' "$pid")" || return 1
	want=$(e2e_vigil_binary)
	exe=$(readlink "/proc/$pid/exe") || e2e_fail "process $pid does not exist" || return 1
	# A rebuild while the test runs replaces the file; the running process then shows " (deleted)".
	exe=${exe% (deleted)}
	assert_eq "$exe" "$want" "/proc/$pid/exe"
	# Zombies still have no exe; make sure it is really running.
	local state
	state=$(awk '/^State:/ {print $2}' "/proc/$pid/status")
	[[ $state != Z ]] || e2e_fail "process $pid is a zombie"
}

# assert_vigil_monitors CONTAINER: the running container's conmon (State.ConmonPid) is vigil.
assert_vigil_monitors() {
	local pid
	pid=$(pm inspect --format '{{.State.ConmonPid}}' "$1") || return 1
	assert_vigil_pid "$pid"
}

# Host paths that Podman 4.3.1 creates even with a fully private configuration (as root):
#   /var/lib/containers/cache/blob-info-cache-v1.boltdb (containers/image blob cache, on import)
#   /run/containers/networks                           (netavark run dir, a constant in c/common)
# e2e_teardown_file removes them again, but only if they did not exist before this file ran.
_e2e_record_host_state() {
	local p
	for p in /var/lib/containers /var/lib/containers/cache /run/containers /run/containers/networks; do
		[[ -e $p ]] || echo "$p"
	done >"$E2E_DIR/host-absent"
}

_e2e_restore_host_state() {
	[[ -f $E2E_DIR/host-absent ]] || return 0
	if grep -qx /var/lib/containers/cache "$E2E_DIR/host-absent"; then
		rm -f /var/lib/containers/cache/blob-info-cache-v1.boltdb
		rmdir /var/lib/containers/cache 2>/dev/null || true
	fi
	if grep -qx /var/lib/containers "$E2E_DIR/host-absent"; then
		rmdir /var/lib/containers 2>/dev/null || true
	fi
	if grep -qx /run/containers/networks "$E2E_DIR/host-absent"; then
		rmdir /run/containers/networks 2>/dev/null || true
	fi
	if grep -qx /run/containers "$E2E_DIR/host-absent"; then
		rmdir /run/containers 2>/dev/null || true
	fi
}

_e2e_build_rootfs() {
	local rootfs=$1 busybox a
	busybox=$(command -v busybox) || { echo "busybox not found" >&2; return 1; }
	mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev"
	cp "$busybox" "$rootfs/bin/busybox"
	for a in $("$rootfs/bin/busybox" --list); do
		[[ $a == busybox ]] || ln -sf busybox "$rootfs/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
}

e2e_setup_file() {
	local vigil
	[[ $(id -u) == 0 ]] || skip "e2e tests need root"
	command -v podman >/dev/null || skip "podman not installed"
	command -v runc >/dev/null || [[ -x /usr/sbin/runc ]] || skip "runc not installed"
	vigil=$(e2e_vigil_binary)
	[[ -x $vigil ]] || e2e_fail "vigil binary not found: ${VIGIL_BINARY:-<unset>} -> $vigil" || return 1

	# Nothing from a remote Podman setup or the caller's own configuration may leak in.
	unset CONTAINER_HOST CONTAINER_CONNECTION CONTAINERS_REGISTRIES_CONF

	E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vigil-e2e.XXXXXX")
	export E2E_DIR
	E2E_PREFIX="ve2e-${E2E_DIR##*.}-"
	export E2E_PREFIX
	_e2e_record_host_state

	mkdir -p "$E2E_DIR/graph" "$E2E_DIR/run" "$E2E_DIR/tmp" "$E2E_DIR/volumes" "$E2E_DIR/networks"
	# static_dir must be <graphroot>/libpod: the exit command is `podman --root <graphroot> ...
	# container cleanup`, and an explicit --root makes Podman 4.3.1 use <graphroot>/libpod for its
	# database unless static_dir says the same. A different static_dir puts the cleanup process on
	# another database ("no container with name or ID ... found"), and every `podman run` then
	# waits 20 s for a state change that never comes.
	# E2E_CONMON_ENV (set by a test file before e2e_setup_file): extra conmon_env_vars entries,
	# NAME=VALUE words, with $E2E_DIR in them expanded here
	# VIGIL_SANDBOX=1 in the suite's environment: every monitor Podman starts confines itself.
	local conmon_env="" e
	[[ ${VIGIL_SANDBOX:-} == 1 ]] && conmon_env+=', "VIGIL_SANDBOX=1"'
	for e in ${E2E_CONMON_ENV:-}; do
		e=${e//@E2E_DIR@/$E2E_DIR}
		conmon_env+=", \"$e\""
	done
	local conmon_line="conmon_path = [\"$vigil\"]"
	if [[ ${VIGIL_E2E_CONMON_SEARCH:-} == 1 ]]; then
		conmon_line="# no conmon_path: Podman's own search list"
	fi
	cat >"$E2E_DIR/containers.conf" <<-EOF
		[containers]
		default_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]
		netns = "none"

		[network]
		network_config_dir = "$E2E_DIR/networks"

		[engine]
		runtime = "runc"
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		$conmon_line
		conmon_env_vars = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"$conmon_env]
		tmp_dir = "$E2E_DIR/tmp"
		static_dir = "$E2E_DIR/graph/libpod"
		volume_path = "$E2E_DIR/volumes"
		lock_type = "file"
	EOF
	cat >"$E2E_DIR/storage.conf" <<-EOF
		[storage]
		driver = "overlay"
		graphroot = "$E2E_DIR/graph"
		runroot = "$E2E_DIR/run"
	EOF
	export CONTAINERS_CONF="$E2E_DIR/containers.conf"
	export CONTAINERS_STORAGE_CONF="$E2E_DIR/storage.conf"

	# Make sure the configuration took: private storage, vigil as conmon.
	local graphroot conmon
	graphroot=$(pm info --format '{{.Store.GraphRoot}}') || return 1
	assert_eq "$graphroot" "$E2E_DIR/graph" "podman graphroot" || return 1
	conmon=$(pm info --format '{{.Host.Conmon.Path}}') || return 1
	assert_eq "$conmon" "$(e2e_conmon_path)" "podman's conmon path" || return 1

	_e2e_build_rootfs "$E2E_DIR/rootfs" || return 1
	tar -C "$E2E_DIR/rootfs" -c . |
		pm import --quiet --change 'CMD ["/bin/sh"]' - "$E2E_IMAGE" >"$E2E_DIR/import.log" 2>&1 ||
		e2e_fail "podman import failed: $(cat "$E2E_DIR/import.log")" || return 1
}

# Remove this file's containers after each test so tests cannot see each other's leftovers.
e2e_teardown() {
	[[ -n ${E2E_DIR:-} && -n ${E2E_PREFIX:-} ]] || return 0
	local ids
	ids=$(pm ps -a --filter "name=^$E2E_PREFIX" --format '{{.ID}}' 2>/dev/null) || true
	if [[ -n $ids ]]; then
		# shellcheck disable=SC2086 # one ID per word
		pm rm -f -t 0 $ids >/dev/null 2>&1 || true
	fi
}

# Kill (by PID) any monitor process of this instance that is still alive.
_e2e_kill_leftover_monitors() {
	local exe pid
	exe=$(e2e_vigil_binary)
	for pid in $(pgrep -f -- "$E2E_DIR" 2>/dev/null); do
		[[ $pid != "$$" && $pid != "$BASHPID" ]] || continue
		if [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$exe"* ]]; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
}

_e2e_unmount_all() {
	local mp pass mps
	for pass in 1 2 3; do
		: "unmount pass $pass"
		# Deepest mount points first (field 5 of mountinfo is the mount point).
		mapfile -t mps < <(awk -v d="$E2E_DIR" '$5 == d || index($5, d "/") == 1 {print $5}' \
			/proc/self/mountinfo | sort -r)
		((${#mps[@]} == 0)) && return 0
		for mp in "${mps[@]}"; do
			umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || true
		done
	done
}

e2e_teardown_file() {
	[[ -n ${E2E_DIR:-} && -d $E2E_DIR ]] || return 0
	pm rm -a -f -t 0 >/dev/null 2>&1 || true
	pm pod rm -a -f >/dev/null 2>&1 || true
	pm volume rm -a -f >/dev/null 2>&1 || true
	pm rmi -a -f >/dev/null 2>&1 || true
	_e2e_kill_leftover_monitors
	_e2e_unmount_all
	_e2e_restore_host_state
	if [[ -n ${VIGIL_E2E_KEEP:-} ]]; then
		echo "# kept $E2E_DIR" >&3
	else
		rm -rf -- "$E2E_DIR"
	fi
}

# ---------------------------------------------------------------------------------------------
# Interactive terminals through tmux (06-interactive, 07-exec).
#
# Each test file gets its own tmux server: socket and config under $E2E_DIR, no user config. A
# pane runs one bounded podman command (`timeout --foreground`, so that podman stays in the
# terminal's foreground process group and may read it), then records podman's exit status in
# $E2E_DIR/tmux-SESSION.rc. remain-on-exit keeps the screen readable after podman returns.
# Call e2e_tmux_teardown from teardown() (before e2e_teardown) to end the server.

# tmx ARGS...: tmux against this file's private server, bounded in time.
tmx() {
	if [[ ! -f $E2E_DIR/tmux.conf ]]; then
		cat >"$E2E_DIR/tmux.conf" <<-'EOC'
			set -g remain-on-exit on
			set -g history-limit 5000
			set -g default-shell /bin/bash
			set -g status off
		EOC
	fi
	TERM=${TERM:-xterm} timeout --kill-after=5 10 \
		tmux -f "$E2E_DIR/tmux.conf" -S "$E2E_DIR/tmux.sock" "$@" 3>&-
}

# tmux_start SESSION COLS ROWS PODMAN-ARGS...: run `podman PODMAN-ARGS...` in a new detached tmux
# session whose window is COLS x ROWS, with this file's private Podman configuration.
tmux_start() {
	local session=$1 cols=$2 rows=$3 cmd
	shift 3
	rm -f "$E2E_DIR/tmux-$session.rc"
	printf -v cmd '%q ' env "CONTAINERS_CONF=$CONTAINERS_CONF" \
		"CONTAINERS_STORAGE_CONF=$CONTAINERS_STORAGE_CONF" \
		timeout --foreground --kill-after=10 "$E2E_TIMEOUT" podman "$@"
	cmd+="; echo \$? >$(printf '%q' "$E2E_DIR/tmux-$session.rc")"
	tmx new-session -d -s "$session" -x "$cols" -y "$rows" "$cmd"
}

# tmux_screen SESSION: the pane's text, scrollback included, wrapped lines joined, no trailing blanks.
tmux_screen() {
	tmx capture-pane -p -J -S - -t "$1" | sed -e 's/[[:space:]]*$//'
}

# tmux_has SESSION ERE: true if a line of the pane matches ERE.
tmux_has() {
	tmux_screen "$1" | grep -Eq -- "$2"
}

# tmux_wait_for SESSION SECONDS ERE: wait until a line of the pane matches ERE; show the pane if not.
tmux_wait_for() {
	local session=$1 secs=$2 ere=$3
	wait_until "$secs" tmux_has "$session" "$ere" ||
		e2e_fail "pane '$session' never showed /$ere/; it shows:" "$(tmux_screen "$session")"
}

# tmux_type SESSION TEXT: type TEXT literally, then Enter.
tmux_type() {
	tmx send-keys -t "$1" -l -- "$2" && tmx send-keys -t "$1" Enter
}

# tmux_keys SESSION KEY...: send keys (tmux names, e.g. C-p) one at a time, 0.3 s apart, so that
# each arrives in its own read. Podman's detach-key matcher only recognises single-byte reads.
tmux_keys() {
	local session=$1 key
	shift
	for key in "$@"; do
		tmx send-keys -t "$session" "$key" || return 1
		sleep 0.3
	done
}

# tmux_type_until SESSION SECONDS ERE TEXT: type TEXT (+Enter) every 2 s until a line matches ERE.
# For effects that arrive asynchronously, such as a window resize reaching the pty.
tmux_type_until() {
	local session=$1 secs=$2 ere=$3 text=$4 deadline=$((SECONDS + $2))
	while :; do
		tmux_type "$session" "$text" || return 1
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			tmux_has "$session" "$ere" && return 0
			sleep 0.2
		done
		if ((SECONDS >= deadline)); then
			e2e_fail "pane '$session' never showed /$ere/ after typing '$text'; it shows:" \
				"$(tmux_screen "$session")"
			return 1
		fi
	done
}

# tmux_resize SESSION COLS ROWS
tmux_resize() {
	tmx resize-window -t "$1" -x "$2" -y "$3"
}

# tmux_exited SESSION: true once podman in SESSION has returned.
tmux_exited() {
	[[ -s $E2E_DIR/tmux-$1.rc ]]
}

# tmux_wait_exit SESSION SECONDS: wait for podman in SESSION to return; print its exit status.
tmux_wait_exit() {
	wait_until "$2" tmux_exited "$1" ||
		e2e_fail "podman in pane '$1' did not return; the pane shows:" "$(tmux_screen "$1")" ||
		return 1
	cat "$E2E_DIR/tmux-$1.rc"
}

e2e_tmux_teardown() {
	[[ -n ${E2E_DIR:-} && -S $E2E_DIR/tmux.sock ]] || return 0
	tmx kill-server >/dev/null 2>&1 || true
	rm -f "$E2E_DIR/tmux.sock"
}

# ---------------------------------------------------------------------------------------------
# Process accounting for vigil monitors.

# vigil_pids_for ID: PIDs of live vigil processes (the binary under test) whose argv mentions ID.
vigil_pids_for() {
	local want pid exe
	want=$(e2e_vigil_binary)
	for pid in $(pgrep -f -- "$1" 2>/dev/null); do
		exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
		[[ ${exe% (deleted)} == "$want" ]] || continue
		[[ $(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null) != Z ]] || continue
		echo "$pid"
	done
}

# vigil_exec_pids CONTAINER-ID: PIDs of live vigil processes monitoring an exec session of it.
vigil_exec_pids() {
	local pid
	for pid in $(vigil_pids_for "$1"); do
		tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qx -- '--exec-process-spec' && echo "$pid"
	done
	return 0
}

# proc_fd_count PID / proc_children PID: open fds, and direct children (sorted PIDs, one line).
proc_fd_count() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}
proc_children() {
	cat "/proc/$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -v '^$' | sort -n | tr '\n' ' '
}
